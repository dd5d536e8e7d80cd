"""Mutation tracking for in-place changes of column values (``MutableDict``, ``MutableList``,
``MutableSet``), as in ``sqlalchemy.ext.mutable``.

``mapped_column(MutableDict.as_mutable(JSON))`` makes ``obj.data["k"] = v`` mark the object
changed, so the next flush writes the column. The mapper wires the parents (see
`Mapper._install_class_hooks`, and `uow_orm.orm.properties.TrackedValue`, the base class
the ORM knows); values are wrapped when loaded and when assigned.

Called by: applications.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar

from .. import exc
from ..orm.properties import TrackedValue, attach
from ..orm.state import NO_VALUE

if TYPE_CHECKING:
    from ..types import TypeEngine

_T = TypeVar("_T")
_KT = TypeVar("_KT")
_VT = TypeVar("_VT")


class Mutable(TrackedValue):
    """Mixin for value types that tell their parent objects about in-place changes.

    Subclasses call ``self.changed()`` after each mutation and implement ``coerce``.
    """

    def changed(self) -> None:
        """Mark every parent attribute holding this value as modified."""
        for state, key in list(self._parents.items()):
            if state() is not None:
                state.record_change(key, NO_VALUE)

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        """Convert a plain value assigned to (or loaded into) attribute ``key``."""
        if value is None or isinstance(value, cls):
            return value
        raise ValueError(f"attribute {key!r} cannot hold {type(value).__name__} {value!r}")

    @classmethod
    def associate_with(cls, sqltype: type[TypeEngine]) -> None:
        """Track values of this class in every column of type ``sqltype`` (a type class,
        subclasses included) mapped from now on, as ``as_mutable`` does for one column:
        loaded and assigned values are coerced with `coerce` and watched for changes.

        Raises:
            ArgumentError: ``sqltype`` is not a column type class.
        """
        from ..orm.properties import MUTABLE_ASSOCIATIONS
        from ..types import TypeEngine

        if not (isinstance(sqltype, type) and issubclass(sqltype, TypeEngine)):
            raise exc.ArgumentError(
                f"associate_with() takes a column type class (e.g. JSON), got {sqltype!r}"
            )
        MUTABLE_ASSOCIATIONS.append((sqltype, cls))

    @classmethod
    def as_mutable(cls, sqltype: TypeEngine | type[TypeEngine]) -> TypeEngine:
        """A copy of ``sqltype`` whose values (loaded or assigned) are instances of
        ``cls`` tracked for in-place changes."""
        from ..types import TypeEngine

        base = sqltype() if isinstance(sqltype, type) else sqltype
        if not isinstance(base, TypeEngine):
            raise exc.ArgumentError(f"as_mutable() needs a column type, got {sqltype!r}")
        mutable_cls = cls
        base_cls = type(base)

        def result_processor(self: Any, dialect_name: str) -> Any:
            inner = base_cls.result_processor(self, dialect_name)

            def wrap(value: Any) -> Any:
                if inner is not None:
                    value = inner(value)
                return mutable_cls.coerce("", value)

            return wrap

        sub = type(
            base_cls.__name__,
            (base_cls,),
            {"result_processor": result_processor, "_uow_mutable": mutable_cls},
        )
        t: Any = object.__new__(sub)
        t.__dict__.update(
            {k: v for k, v in base.__dict__.items() if k not in ("_bind_cache", "_result_cache")}
        )
        return t  # type: ignore[no-any-return]


class MutableDict(Mutable, dict[_KT, _VT]):
    """A dict that marks its parent attribute changed on every in-place change."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls(value)
        return Mutable.coerce.__func__(cls, key, value)  # type: ignore[attr-defined]

    def __setitem__(self, key: _KT, value: _VT) -> None:
        dict.__setitem__(self, key, value)
        self.changed()

    def __delitem__(self, key: _KT) -> None:
        dict.__delitem__(self, key)
        self.changed()

    def setdefault(self, key: _KT, value: Any = None) -> Any:
        result = dict.setdefault(self, key, value)
        self.changed()
        return result

    def update(self, *a: Any, **kw: Any) -> None:
        dict.update(self, *a, **kw)
        self.changed()

    def pop(self, *arg: Any) -> Any:
        result = dict.pop(self, *arg)
        self.changed()
        return result

    def popitem(self) -> tuple[_KT, _VT]:
        result = dict.popitem(self)
        self.changed()
        return result

    def clear(self) -> None:
        dict.clear(self)
        self.changed()

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


class MutableList(Mutable, list[_T]):
    """A list that marks its parent attribute changed on every in-place change."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, list):
            return cls(value)
        return Mutable.coerce.__func__(cls, key, value)  # type: ignore[attr-defined]

    def __setitem__(self, index: Any, value: Any) -> None:
        list.__setitem__(self, index, value)
        self.changed()

    def __delitem__(self, index: Any) -> None:
        list.__delitem__(self, index)
        self.changed()

    def __iadd__(self, other: Iterable[_T]) -> MutableList[_T]:  # type: ignore[override,misc]
        list.extend(self, other)
        self.changed()
        return self

    def append(self, x: _T) -> None:
        list.append(self, x)
        self.changed()

    def extend(self, x: Iterable[_T]) -> None:
        list.extend(self, x)
        self.changed()

    def insert(self, i: SupportsIndex, x: _T) -> None:
        list.insert(self, i, x)
        self.changed()

    def pop(self, *arg: Any) -> _T:
        result = list.pop(self, *arg)
        self.changed()
        return result

    def remove(self, i: _T) -> None:
        list.remove(self, i)
        self.changed()

    def clear(self) -> None:
        list.clear(self)
        self.changed()

    def sort(self, **kw: Any) -> None:
        list.sort(self, **kw)
        self.changed()

    def reverse(self) -> None:
        list.reverse(self)
        self.changed()

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class MutableSet(Mutable, set[_T]):
    """A set that marks its parent attribute changed on every in-place change (store it in
    a column type that holds sets, e.g. a PostgreSQL ARRAY, or JSON through a list)."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, (set, list, tuple, frozenset)):
            return cls(value)
        return Mutable.coerce.__func__(cls, key, value)  # type: ignore[attr-defined]

    def add(self, elem: _T) -> None:
        set.add(self, elem)
        self.changed()

    def discard(self, elem: object) -> None:
        set.discard(self, elem)
        self.changed()

    def remove(self, elem: _T) -> None:
        set.remove(self, elem)
        self.changed()

    def pop(self) -> _T:
        result = set.pop(self)
        self.changed()
        return result

    def clear(self) -> None:
        set.clear(self)
        self.changed()

    def update(self, *arg: Iterable[Any]) -> None:
        set.update(self, *arg)
        self.changed()

    def __reduce__(self) -> Any:
        return (set, (set(self),))


__all__ = ["Mutable", "MutableDict", "MutableList", "MutableSet", "attach"]
