"""``sqlalchemy.util.langhelpers``: `symbol`, the named singleton constants libraries
written for SQLAlchemy import from it.

Called by: applications and libraries written for SQLAlchemy; nothing in the package.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar


class symbol(int):
    """A named constant, one per name: ``symbol("FOO") is symbol("FOO")``. It is an int
    (``canonical``, else a value derived from the name) so it can be stored and compared
    like one; ``repr()`` shows its name.

    Args:
        name: the constant's name.
        doc: its documentation (``__doc__``).
        canonical: the int it equals (default: one derived from the name).
    """

    _registry: ClassVar[dict[str, symbol]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()
    name: str

    def __new__(cls, name: str, doc: str | None = None, canonical: int | None = None) -> symbol:
        with cls._lock:
            sym = cls._registry.get(name)
            if sym is None:
                value = canonical if canonical is not None else hash(name) & 0x7FFFFFFF
                sym = int.__new__(cls, value)
                sym.name = name
                if doc:
                    sym.__doc__ = doc
                cls._registry[name] = sym
            return sym

    def __reduce__(self) -> Any:
        return symbol, (self.name, None, int(self))

    def __repr__(self) -> str:
        return f"symbol({self.name!r})"

    __str__ = __repr__


__all__ = ["symbol"]
