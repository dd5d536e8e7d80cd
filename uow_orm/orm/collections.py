"""Relationship collection types beyond the list: ``collection_class=set``, keyed
dictionaries (`attribute_keyed_dict`, `column_keyed_dict`, `keyfunc_mapping`, `KeyFuncDict`).

The ORM always keeps a collection's members in an `InstrumentedList` (the unit of work,
backrefs and loading read that); `RelationshipAttribute` hands users the set or dict view
made here.

Called by: relationships (``collection_class`` resolution, views).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping, MutableSet
from typing import TYPE_CHECKING, Any, TypeVar

from .. import exc

if TYPE_CHECKING:
    from .attributes import InstrumentedList

_T = TypeVar("_T")
_K = TypeVar("_K")


def _members(view: Any) -> InstrumentedList[Any]:
    members = view._members
    if members is None:
        raise exc.InvalidRequestError(
            f"this {type(view).__name__} is not attached to an object's relationship yet"
        )
    return members  # type: ignore[no-any-return]


class InstrumentedSet(MutableSet[_T]):
    """A relationship collection with ``collection_class=set``: a set of related objects
    (no duplicates, no order) whose changes the ORM sees.

    It is a `collections.abc.MutableSet` (``==``, ``|``, ``&``, ``add``, ``discard``, ...)
    rather than a subclass of the built-in ``set`` as in SQLAlchemy.
    """

    __slots__ = ("_members",)

    def __init__(self, members: InstrumentedList[_T] | None = None) -> None:
        self._members = members

    def __contains__(self, item: object) -> bool:
        return any(m is item for m in _members(self))

    def __iter__(self) -> Iterator[_T]:
        return iter(list(_members(self)))

    def __len__(self) -> int:
        return len(_members(self))

    def add(self, item: _T) -> None:
        """Add ``item`` (nothing happens if it is already in the set)."""
        if item not in self:
            _members(self).append(item)

    def discard(self, item: _T) -> None:
        """Remove ``item`` if present."""
        members = _members(self)
        for i, m in enumerate(members):
            if m is item:
                del members[i]
                return

    def remove(self, item: _T) -> None:
        """Remove ``item``.

        Raises:
            KeyError: ``item`` is not in the set.
        """
        if item not in self:
            raise KeyError(item)
        self.discard(item)

    def update(self, *others: Iterable[_T]) -> None:
        """Add every item of ``others``."""
        for other in others:
            for item in other:
                self.add(item)

    def clear(self) -> None:
        """Remove every item."""
        _members(self).clear()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"InstrumentedSet({list(_members(self))!r})"


class KeyFuncDict(MutableMapping[_K, _T]):
    """A relationship collection keyed by ``keyfunc(member)``: SQLAlchemy's ``KeyFuncDict``
    (``collection_class=attribute_keyed_dict("keyword")`` and friends).

    ``d[key] = obj`` adds ``obj`` (replacing, and so removing, the member under ``key``);
    a key given that way is kept until the collection is loaded again, as in SQLAlchemy.
    Members added otherwise (loading, backrefs, `set`) are keyed by ``keyfunc``. It is a
    `collections.abc.MutableMapping`, not a subclass of ``dict``.

    Subclass it with an ``__init__`` that takes no arguments (passing the key function to
    ``super().__init__``) to use the subclass itself as ``collection_class``.
    """

    #: leave members whose key is None out of the keys (else adding one with `set` raises)
    _ignore_unpopulated = False

    def __init__(self, keyfunc: Callable[[Any], Any]) -> None:
        self.keyfunc = keyfunc
        self._members: InstrumentedList[_T] | None = None
        self._explicit: dict[int, Any] = {}

    def _bind_members(self, members: InstrumentedList[_T]) -> KeyFuncDict[_K, _T]:
        self._members = members
        return self

    def _keyed(self) -> dict[Any, _T]:
        out: dict[Any, _T] = {}
        explicit = self._explicit
        skip_none = self._ignore_unpopulated
        for m in _members(self):
            key = explicit.get(id(m), _NO_KEY)
            if key is _NO_KEY:
                key = self.keyfunc(m)
            if key is None and skip_none:
                continue
            out[key] = m
        return out

    def __getitem__(self, key: _K) -> _T:
        keyed = self._keyed()
        if key not in keyed:
            missing = getattr(self, "__missing__", None)
            if missing is not None:  # a subclass's, as dict (SQLAlchemy's base) calls it
                return missing(key)  # type: ignore[no-any-return]
        return keyed[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keyed()  # (never ``__missing__``, as with a dict)

    def get(self, key: _K, default: Any = None) -> Any:
        """The member under ``key``, else ``default`` (never ``__missing__``)."""
        return self._keyed().get(key, default)

    def __setitem__(self, key: _K, value: _T) -> None:
        current = self._keyed().get(key, _NO_KEY)
        if current is value:
            return
        members = _members(self)
        if current is not _NO_KEY:
            self._drop(current)
        members.append(value)
        self._explicit[id(value)] = key

    def __delitem__(self, key: _K) -> None:
        self._drop(self._keyed()[key])

    def _drop(self, member: Any) -> None:
        members = _members(self)
        for i, m in enumerate(members):
            if m is member:
                del members[i]
                break
        self._explicit.pop(id(member), None)

    def __iter__(self) -> Iterator[_K]:
        return iter(self._keyed())

    def __len__(self) -> int:
        return len(_members(self))

    def set(self, value: _T) -> None:
        """Add ``value`` under ``keyfunc(value)`` (SQLAlchemy's appender).

        Raises:
            ArgumentError: the key is None (unless ``ignore_unpopulated_attribute=True``,
                which adds the member without a key).
        """
        key = self.keyfunc(value)
        if key is None:
            if not self._ignore_unpopulated:
                raise exc.ArgumentError(
                    f"{value!r} has no key (its key attribute is None) for this dictionary "
                    "collection; set it first, or pass ignore_unpopulated_attribute=True"
                )
            if not any(m is value for m in _members(self)):
                _members(self).append(value)
            return
        self[key] = value
        self._explicit.pop(id(value), None)

    def remove(self, value: _T) -> None:
        """Remove ``value`` (SQLAlchemy's remover).

        Raises:
            KeyError: ``value`` is not a member.
        """
        if not any(m is value for m in _members(self)):
            raise KeyError(value)
        self._drop(value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KeyFuncDict):
            return self._keyed() == other._keyed()
        if isinstance(other, dict):
            return self._keyed() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._keyed()!r})"


_NO_KEY: Any = object()


def keyfunc_mapping(keyfunc: Callable[[Any], Any]) -> type[KeyFuncDict[Any, Any]]:
    """A `KeyFuncDict` class keyed by ``keyfunc(member)``, for ``collection_class=``."""

    class _KeyFuncMapped(KeyFuncDict[Any, Any]):
        def __init__(self) -> None:
            super().__init__(keyfunc)

    return _KeyFuncMapped


def attribute_keyed_dict(
    attr_name: str, *, ignore_unpopulated_attribute: bool = False
) -> type[KeyFuncDict[Any, Any]]:
    """A `KeyFuncDict` class keyed by each member's attribute ``attr_name``.

    Args:
        ignore_unpopulated_attribute: when False (the default), adding a member whose
            attribute is None raises; when True it is left out of the keys.

    Raises:
        ArgumentError: (when adding) a member's key attribute is None.
    """

    def key(obj: Any) -> Any:
        return getattr(obj, attr_name)

    cls = keyfunc_mapping(key)
    cls._ignore_unpopulated = ignore_unpopulated_attribute
    return cls


def column_keyed_dict(
    mapping_spec: Any, *, ignore_unpopulated_attribute: bool = False
) -> type[KeyFuncDict[Any, Any]]:
    """A `KeyFuncDict` class keyed by the value of a mapped column (``Note.keyword``, the
    table column, or a lambda returning one), or a tuple of values for a list of columns."""
    from ..sql.elements import coerce

    cols = mapping_spec if isinstance(mapping_spec, (list, tuple)) else [mapping_spec]
    resolved: list[Any] = []

    def key(obj: Any) -> Any:
        from ..sql.elements import ClauseElement
        from .state import state_of

        if not resolved:  # a lambda stands for a column of a class not yet defined
            for c in cols:
                if callable(c) and not isinstance(c, ClauseElement) and not hasattr(c, "key"):
                    c = c()
                resolved.append(coerce(c))
        columns = resolved

        st = state_of(obj)
        if st is None:
            raise exc.ArgumentError(f"{obj!r} is not a mapped object")
        to_key = st.mapper.column_to_key
        values = []
        for c in columns:
            k = to_key.get(c)
            if k is None:
                raise exc.ArgumentError(f"column {c} is not mapped on {type(obj).__name__}")
            values.append(getattr(obj, k))
        if any(v is None for v in values):
            return None
        return tuple(values) if len(values) > 1 else values[0]

    cls = keyfunc_mapping(key)
    cls._ignore_unpopulated = ignore_unpopulated_attribute
    return cls


# SQLAlchemy 1.x names, still documented as synonyms in 2.0
attribute_mapped_collection = attribute_keyed_dict
column_mapped_collection = column_keyed_dict
mapped_collection = keyfunc_mapping
MappedCollection = KeyFuncDict


class CollectionKind:
    """How a relationship presents its members: built once from ``collection_class``."""

    __slots__ = ("factory", "kind")

    def __init__(self, kind: str, factory: Callable[[], Any] | None) -> None:
        #: "list", "set", "dict" or "custom-list" (a list subclass such as ordering_list)
        self.kind = kind
        self.factory = factory

    def view(self, members: InstrumentedList[Any]) -> Any:
        """What ``parent.<rel>`` returns for the member list ``members``."""
        if self.kind == "set":
            return InstrumentedSet(members)
        assert self.factory is not None
        d = self.factory()
        return d._bind_members(members)

    def items_of(self, value: Any, owner: str) -> Iterable[Any]:
        """The members given by an assigned value (``parent.rel = {...}``).

        Raises:
            ArgumentError: the value is not like this collection (a list for a dict).
        """
        if self.kind == "dict":
            if not isinstance(value, (dict, KeyFuncDict)):
                raise exc.ArgumentError(
                    f"{owner} is a dictionary collection; assign a dict, not {type(value).__name__}"
                )
            return list(value.values())
        if self.kind == "set" and isinstance(value, dict):
            raise exc.ArgumentError(f"{owner} is a set collection; assign a set, not a dict")
        return value  # type: ignore[no-any-return]


def collection_kind(collection_class: Any, owner: str) -> CollectionKind | None:
    """The `CollectionKind` for ``collection_class`` (None for a plain list).

    Raises:
        ArgumentError: a type that is not list, set, a list subclass factory or a
            `KeyFuncDict` (class or factory).
    """
    from .attributes import InstrumentedList

    if collection_class is None or collection_class is list:
        return None
    if collection_class is set:
        return CollectionKind("set", None)
    if collection_class is dict:
        raise exc.ArgumentError(
            f"{owner}: collection_class=dict needs a key; use attribute_keyed_dict('attr'), "
            "column_keyed_dict(column) or keyfunc_mapping(function)"
        )
    if not callable(collection_class):
        raise exc.ArgumentError(f"{owner}: collection_class={collection_class!r} is not a type")
    sample = collection_class()
    if isinstance(sample, KeyFuncDict):
        return CollectionKind("dict", collection_class)
    if isinstance(sample, InstrumentedList):
        return CollectionKind("custom-list", collection_class)
    raise exc.ArgumentError(
        f"{owner}: collection_class={collection_class!r} is not supported; use list, set, "
        "a KeyFuncDict (attribute_keyed_dict, column_keyed_dict, keyfunc_mapping) or "
        "uow_orm.ext.orderinglist.ordering_list"
    )


__all__ = [
    "InstrumentedSet",
    "KeyFuncDict",
    "MappedCollection",
    "attribute_keyed_dict",
    "attribute_mapped_collection",
    "column_keyed_dict",
    "column_mapped_collection",
    "keyfunc_mapping",
    "mapped_collection",
]
