"""Instrumented attributes: class-level SQL expressions, instance-level values, collections.

Installed on mapped classes by the mapper. Descriptors are *non-data* descriptors: reading
a loaded attribute is a plain ``__dict__`` hit; ``__get__`` runs only for unloaded ones.
Writes go through the mapped class's ``__setattr__``, which records the pre-change value
in the object's state (the whole cost of change tracking).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, SupportsIndex, TypeVar, overload

from .. import exc
from ..sql.elements import ColumnElement, ColumnOperators
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from ..schema import Column
    from .mapper import Mapper
    from .relationships import RelationshipProperty

_T = TypeVar("_T")


class QueryableAttribute(ColumnOperators, Generic[_T]):
    """``User.name``: usable in expressions (``User.name == "x"``) and as an option path."""

    __slots__ = ("class_", "key", "mapper")
    is_relationship = False

    def __init__(self, class_: type, key: str, mapper: Mapper) -> None:
        self.class_ = class_
        self.key = key
        self.mapper = mapper

    def __repr__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    def set(self, obj: Any, value: Any) -> None:
        raise NotImplementedError


class ColumnAttribute(QueryableAttribute[_T]):
    """A mapped column attribute."""

    __slots__ = ("column",)

    def __init__(self, class_: type, key: str, mapper: Mapper, column: Column[Any]) -> None:
        super().__init__(class_, key, mapper)
        self.column = column

    def __clause_element__(self) -> Column[Any]:
        return self.column

    def _expr(self) -> ColumnElement:
        return self.column

    def operate(self, op: str, other: Any) -> ColumnElement:
        return self.column.operate(op, other)

    @property
    def type(self) -> Any:
        return self.column.type

    @property
    def expression(self) -> Column[Any]:
        return self.column

    @overload
    def __get__(self, obj: None, owner: Any) -> ColumnAttribute[_T]: ...
    @overload
    def __get__(self, obj: object, owner: Any) -> _T: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        # Only reached when the value is not in obj.__dict__: unloaded or expired.
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        if state.key is None:
            return None  # transient / pending: an unset column reads as None
        load_expired(state, self.key)
        return d[self.key]

    def set(self, obj: Any, value: Any) -> None:
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        key = self.key
        if state.key is not None:
            old = d.get(key, NO_VALUE)
            if old is not value or old is NO_VALUE:
                state.record_change(key, old)
        elif state.session is not None and not state.modified:
            state.modified = True
        d[key] = value


def load_expired(state: InstanceState, key: str) -> None:
    """Load the unloaded column attributes of a persistent object (one SELECT)."""
    session = state.session
    if session is None:
        raise exc.DetachedInstanceError(
            f"attribute {key!r} of {state.mapper.class_.__name__} instance "
            f"(identity {state.identity}) is not loaded and the instance is not bound to a "
            "Session, so it cannot be loaded. This happens when an object is used after "
            "its session committed (expire_on_commit=True expires every attribute) or "
            "closed; use Session(expire_on_commit=False), load what you need before "
            "closing, or session.add() / merge() the object into a live session"
        )
    session._load_unloaded(state, key)


class InstrumentedList(list[_T]):
    """A relationship collection: a list that tells the ORM about every change."""

    __slots__ = ("_owner", "_rel")

    _owner: InstanceState | None
    _rel: RelationshipProperty | None

    def __init__(self, items: Iterable[_T] = ()) -> None:
        super().__init__(items)
        self._owner = None
        self._rel = None

    def _bind(self, owner: InstanceState, rel: RelationshipProperty) -> InstrumentedList[_T]:
        self._owner = owner
        self._rel = rel
        return self

    # -- event plumbing -----------------------------------------------------------------
    def _before_change(self) -> None:
        owner = self._owner
        # a new object's collection is inserted whole: only persistent ones keep history
        if owner is not None and owner.key is not None and self._rel is not None:
            key = self._rel.key
            if owner.committed is None or key not in owner.committed:
                owner.record_change(key, list(self))
            elif not owner.modified:
                owner.record_change(key, owner.committed[key])

    def _added(self, item: Any) -> None:
        if self._owner is not None and self._rel is not None:
            self._rel._collection_added(self._owner, item)

    def _removed(self, item: Any) -> None:
        if self._owner is not None and self._rel is not None:
            self._rel._collection_removed(self._owner, item)

    def _check(self, item: Any) -> None:
        if self._rel is not None:
            self._rel._check_target(item, self._owner)

    # -- list API -------------------------------------------------------------------------
    def append(self, item: _T) -> None:
        self._check(item)
        self._before_change()
        list.append(self, item)
        self._added(item)

    def extend(self, items: Iterable[_T]) -> None:
        for item in list(items):
            self.append(item)

    def __iadd__(self, items: Iterable[_T]) -> InstrumentedList[_T]:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: _T) -> None:
        self._check(item)
        self._before_change()
        list.insert(self, index, item)
        self._added(item)

    def remove(self, item: _T) -> None:
        self._before_change()
        list.remove(self, item)
        self._removed(item)

    def pop(self, index: SupportsIndex = -1) -> _T:
        self._before_change()
        item = list.pop(self, index)
        self._removed(item)
        return item

    def clear(self) -> None:
        self._before_change()
        items = list(self)
        list.clear(self)
        for item in items:
            self._removed(item)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            new = list(value)
            for item in new:
                self._check(item)
            self._before_change()
            old = list.__getitem__(self, index)
            list.__setitem__(self, index, new)
            self._fire_difference(old, new)
        else:
            self._check(value)
            self._before_change()
            old_item = list.__getitem__(self, index)
            list.__setitem__(self, index, value)
            if old_item is not value:
                self._removed(old_item)
                self._added(value)

    def __delitem__(self, index: Any) -> None:
        self._before_change()
        old = list.__getitem__(self, index)
        list.__delitem__(self, index)
        for item in old if isinstance(index, slice) else [old]:
            self._removed(item)

    def _replace(self, items: Iterable[Any]) -> None:
        """Replace the whole contents (``parent.children = [...]``)."""
        new = list(items)
        for item in new:
            self._check(item)
        self._before_change()
        old = list(self)
        list.clear(self)
        list.extend(self, new)
        self._fire_difference(old, new)

    def _fire_difference(self, old: list[Any], new: list[Any]) -> None:
        """Events for the items that left (``old`` not in ``new``) and came, by identity."""
        new_ids = {id(n) for n in new}
        old_ids = {id(o) for o in old}
        for item in old:
            if id(item) not in new_ids:
                self._removed(item)
        for item in new:
            if id(item) not in old_ids:
                self._added(item)

    # Changes made by the ORM itself (backrefs, loading) bypass the events.
    def _append_silent(self, item: Any) -> None:
        if not any(x is item for x in self):
            self._before_change()
            list.append(self, item)

    def _remove_silent(self, item: Any) -> None:
        for i, x in enumerate(self):
            if x is item:
                self._before_change()
                list.__delitem__(self, i)
                return

    def __reduce__(self) -> Any:
        return (list, (list(self),))


__all__ = ["ColumnAttribute", "InstrumentedList", "QueryableAttribute", "load_expired"]
