"""Which engine a session uses for a mapped class, a table or a statement, and the
session's methods that choose a bind and hand out its connection (`BindMethods`).

Called by: session (``Binds``; `Session` derives from `BindMethods`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .. import exc
from ..engine.base import Connection, Engine

if TYPE_CHECKING:
    from .mapper import Mapper
    from .seams import InternalSession

    class _BindingSession(InternalSession, Protocol):
        """What `BindMethods` reads of the `Session` it is a base class of."""

        bind: Any
        _binds: Binds
        _flushing: bool


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
        if not engines and default is not None:
            return default  # no binds= (most sessions): nothing to look up
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


class BindMethods:
    """The session's bind and connection methods (a base class of `Session`)."""

    def bind_mapper(self: _BindingSession, mapper: Any, bind: Engine) -> None:
        """Use ``bind`` for the statements of a mapped class (or its `Mapper`), as
        ``Session(binds={mapper: bind})`` does; a later call for the same key replaces it.

        Args:
            mapper: a mapped class or its `Mapper`.
            bind: the `Engine` its SELECTs and flushes use.

        Example::

            session.bind_mapper(User, users_engine)
        """
        self._binds.bind(mapper, bind)

    def bind_table(self: _BindingSession, table: Any, bind: Engine) -> None:
        """Use ``bind`` for the statements of ``table`` (and of the classes mapped to it),
        as ``Session(binds={table: bind})`` does.

        Args:
            table: a `Table`.
            bind: the `Engine` to use for it.
        """
        self._binds.bind(table, bind)

    def get_bind(self: _BindingSession, mapper: Any = None, clause: Any = None) -> Any:
        """The engine for a mapped class (``binds``, ``bind_mapper``, ``bind_table``)."""
        return self._binds.lookup(self.bind, mapper, clause)

    def connection_for_bind(self: _BindingSession, bind: Any) -> Connection:
        """Seam: the transaction's connection for ``bind`` (beginning it if needed)."""
        txn = self.transactions.autobegin()
        if self.router is not None and isinstance(bind, Engine):
            return self.router.connection(txn, bind, self._flushing)
        return txn.connection_for(bind)

    @property
    def replica_token(self: _BindingSession) -> str | None:
        """The primary's WAL position after this session's last writing commit (sessions
        with ``replicas=``): pass it as ``replica_token=`` to a later session, e.g. from a
        cookie, and that session reads only from replicas that have replayed it."""
        return self.router.token if self.router is not None else None

    def connection_for_mapper(self: _BindingSession, mapper: Mapper) -> Connection:
        """Seam: the transaction's connection for ``mapper``'s bind (looked up once per
        session until binds change)."""
        bind = self._binds.for_mapper(self.bind, mapper)
        if self.router is None:
            t = self.transactions.current
            if t is not None:
                # the root level holds the connections: one already taken for this bind is
                # the answer (`connection_for_bind` without its four calls; every get(),
                # lazy load and flush of a mapper asks)
                hit = t.root.connections.get(bind)
                if hit is not None:
                    return hit[0]
        return self.connection_for_bind(bind)

    def connection(
        self: _BindingSession,
        bind_arguments: dict[str, Any] | None = None,
        execution_options: dict[str, Any] | None = None,
    ) -> Connection:
        """The Connection this session uses (beginning the transaction if needed).

        ``bind_arguments`` may name the ``"mapper"`` whose bind is wanted.
        ``execution_options`` (e.g. ``{"isolation_level": "SERIALIZABLE"}``) apply to the
        connection when the transaction first takes it; InvalidRequestError afterwards.

        Raises:
            ArgumentError: for any ``bind_arguments`` key other than ``"mapper"``.
        """
        unknown = sorted(set(bind_arguments or {}) - {"mapper"})
        if unknown:
            raise exc.ArgumentError(
                f"Session.connection(bind_arguments=...) supports only 'mapper', got {unknown}"
            )
        self.transactions.check_active()
        mapper = (bind_arguments or {}).get("mapper")
        bind = self.get_bind(mapper)
        if execution_options:
            txn = self.transactions.autobegin()
            return txn.connection_for(bind, execution_options)
        return self.connection_for_bind(bind)


__all__ = ["BindMethods", "Binds"]
