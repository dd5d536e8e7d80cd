"""Which engine a session uses for a mapped class, a table or a statement.

Called by: session (``get_bind``, ``bind_mapper``, ``bind_table`` and its per-mapper
connection lookup).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import exc

if TYPE_CHECKING:
    from ..engine.base import Engine
    from .mapper import Mapper


class Binds:
    """The ``binds=`` of a session (class, mapper or table -> engine) and a per-mapper cache."""

    __slots__ = ("_by_mapper", "_engines")

    def __init__(self, binds: Mapping[Any, Engine] | None) -> None:
        self._engines: dict[Any, Engine] = {}
        # mapper -> (the session's bind when looked up, the engine found)
        self._by_mapper: dict[Mapper, tuple[Any, Any]] = {}
        for key, engine in (binds or {}).items():
            self._engines[
                getattr(key, "__table__", None)
                if isinstance(key, type) and not hasattr(key, "__mapper__")
                else key
            ] = engine

    def bind(self, key: Any, engine: Engine) -> None:
        """Use ``engine`` for ``key`` (a mapped class, mapper or table)."""
        self._engines[key] = engine
        self._by_mapper.clear()

    def lookup(self, default: Any, mapper: Any = None, clause: Any = None) -> Any:
        """The engine for ``mapper`` (a class or mapper) or ``clause``'s table, else
        ``default`` (the session's bind), else the only engine of ``binds``.

        Raises:
            InvalidRequestError: nothing says which engine to use.
        """
        engines = self._engines
        if mapper is not None:
            cls = (
                mapper.class_
                if hasattr(mapper, "class_") and not isinstance(mapper, type)
                else mapper
            )
            if isinstance(cls, type):
                for klass in cls.__mro__:
                    if klass in engines:
                        return engines[klass]
                table = getattr(cls, "__table__", None)
                if table is not None and table in engines:
                    return engines[table]
            elif cls in engines:
                return engines[cls]
        if clause is not None:
            table = getattr(clause, "table", None)
            if table is not None and table in engines:
                return engines[table]
        if default is not None:
            return default
        if len(set(engines.values())) == 1:
            return next(iter(engines.values()))
        raise exc.InvalidRequestError(
            "this Session has no bind for "
            + (f"{getattr(mapper, '__name__', mapper)}" if mapper is not None else "this statement")
            + "; create it with Session(engine), or give binds={Class: engine}"
        )

    def for_mapper(self, default: Any, mapper: Mapper) -> Any:
        """`lookup` for ``mapper``, cached until the binds or ``default`` change."""
        hit = self._by_mapper.get(mapper)
        if hit is None or hit[0] is not default:
            hit = self._by_mapper[mapper] = (default, self.lookup(default, mapper.class_))
        return hit[1]


__all__ = ["Binds"]
