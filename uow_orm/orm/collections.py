"""Relationship collection types beyond the list: ``collection_class=set``, keyed
dictionaries (`attribute_keyed_dict`, `column_keyed_dict`, `keyfunc_mapping`, `KeyFuncDict`).

The ORM always keeps a collection's members in an `InstrumentedList` (the unit of work,
backrefs and loading read that); `RelationshipAttribute` hands users the set or dict view
made here.

Also the ``collection`` decorators for custom collection classes, whose objects mirror that
list.

Called by: relationships (``collection_class`` resolution, views), attributes (quiet changes
refresh a custom collection), uow_orm.orm.alt_names (the 1.x names), mapped_collection
(SQLAlchemy's module path).
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

    def __setitem__(self, key: _K, value: _T, _sa_initiator: Any = None) -> None:
        current = self._keyed().get(key, _NO_KEY)
        if current is value:
            return
        members = _members(self)
        if current is not _NO_KEY:
            self._drop(current)
        members.append(value)
        self._explicit[id(value)] = key

    def __delitem__(self, key: _K, _sa_initiator: Any = None) -> None:
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


# -- custom collection classes (SQLAlchemy's ``collection`` decorators) -----------------------


class collection:
    """Decorators that tell the ORM which methods of a custom ``collection_class`` add,
    remove and iterate its members (``from uow_orm.orm.collections import collection``).

    The ORM keeps the relationship's members in its own list; a custom collection object
    mirrors it. Calling the object's appender, remover or (for a list, set or dict like
    class) its known mutators reaches the unit of work and fires the attribute events and
    backrefs; the ORM fills the object through its appender and empties it through its
    remover.
    """

    @staticmethod
    def appender(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Mark ``fn(self, item)`` as the method that adds a member."""
        fn._uow_role = "appender"  # type: ignore[attr-defined]
        return fn

    @staticmethod
    def remover(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Mark ``fn(self, item)`` as the method that removes a member."""
        fn._uow_role = "remover"  # type: ignore[attr-defined]
        return fn

    @staticmethod
    def iterator(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Mark ``fn(self)`` as the method returning an iterator over the members."""
        fn._uow_role = "iterator"  # type: ignore[attr-defined]
        return fn

    @staticmethod
    def internally_instrumented(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Leave ``fn`` as it is: it calls other (instrumented) methods to make its changes."""
        fn._uow_internal = True  # type: ignore[attr-defined]
        return fn

    @staticmethod
    def _changes(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn._uow_mutator = True  # type: ignore[attr-defined]
        return fn

    @staticmethod
    def adds(arg: int | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Mark a method that adds the member passed as argument ``arg``."""
        return collection._changes

    @staticmethod
    def removes(arg: int | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Mark a method that removes the member passed as argument ``arg``."""
        return collection._changes

    @staticmethod
    def replaces(arg: int | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Mark a method that puts argument ``arg`` in place of the member it returns."""
        return collection._changes

    @staticmethod
    def removes_return() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Mark a method that removes the member it returns."""
        return collection._changes


_MUTATORS: dict[type, tuple[str, ...]] = {
    list: (
        "append",
        "remove",
        "insert",
        "__setitem__",
        "__delitem__",
        "extend",
        "__iadd__",
        "pop",
        "clear",
    ),
    set: (
        "add",
        "discard",
        "remove",
        "pop",
        "clear",
        "update",
        "__ior__",
        "difference_update",
        "__isub__",
        "intersection_update",
        "__iand__",
        "symmetric_difference_update",
        "__ixor__",
    ),
    dict: ("__setitem__", "__delitem__", "clear", "pop", "popitem", "setdefault", "update"),
}
_DEFAULT_ROLES: dict[type, dict[str, str]] = {
    list: {"appender": "append", "remover": "remove", "iterator": "__iter__"},
    set: {"appender": "add", "remover": "remove", "iterator": "__iter__"},
    dict: {"iterator": "values"},
}


_ARTICLE = {"appender": "an", "remover": "a", "iterator": "an"}


class _Roles:
    __slots__ = ("appender", "iterator", "remover")

    def __init__(self, appender: str, remover: str, iterator: str) -> None:
        self.appender = appender
        self.remover = remover
        self.iterator = iterator


def _roles_of(cls: type) -> _Roles | None:
    return cls.__dict__.get("_uow_roles")


def _emulates(cls: type) -> type | None:
    emulated = getattr(cls, "__emulates__", None)
    if emulated in (list, set, dict):
        return emulated  # type: ignore[no-any-return]
    for base in (list, set, dict):
        if issubclass(cls, base):
            return base
    for name, base in (("append", list), ("add", set), ("set", dict)):
        if hasattr(cls, name):
            return base
    return None


def instrument_class(cls: type, owner: str) -> _Roles:
    """Find the appender, remover and iterator of the custom collection class ``cls`` and
    wrap its changing methods so that they reach the unit of work (once per class).

    Raises:
        ArgumentError: ``cls`` names no appender, remover or iterator method.
    """
    roles = _roles_of(cls)
    if roles is not None:
        return roles
    emulated = _emulates(cls)
    found: dict[str, str] = {}
    for name in dir(cls):
        role = getattr(getattr(cls, name, None), "_uow_role", None)
        if role is not None and role not in found:
            found[role] = name
    for role, name in (_DEFAULT_ROLES.get(emulated, {}) if emulated else {}).items():
        if role not in found and hasattr(cls, name):
            found[role] = name
    if "iterator" not in found and hasattr(cls, "__iter__"):
        found["iterator"] = "__iter__"
    for role in ("appender", "remover", "iterator"):
        if role not in found:
            raise exc.ArgumentError(
                f"{owner}: collection_class {cls.__name__} must elect {_ARTICLE[role]} "
                f"{role} method (mark one with @collection.{role})"
            )
    roles = _Roles(found["appender"], found["remover"], found["iterator"])
    wrap = set(_MUTATORS.get(emulated, ()) if emulated else ())
    wrap.update(n for n in dir(cls) if getattr(getattr(cls, n, None), "_uow_mutator", False))
    for name in sorted(wrap | {roles.appender, roles.remover}):
        fn = getattr(cls, name, None)
        if fn is None or getattr(fn, "_uow_internal", False) or getattr(fn, "_uow_wrapper", False):
            continue
        if name == roles.appender:
            setattr(cls, name, _appender(fn, roles))
        elif name == roles.remover:
            setattr(cls, name, _remover(fn, roles))
        else:
            setattr(cls, name, _mutator(fn))
    cls._uow_roles = roles  # type: ignore[attr-defined]
    return roles


class _Quiet:
    """While active, the object's wrapped methods only run the user's code (the ORM itself
    is changing it, or an instrumented method calls another)."""

    __slots__ = ("obj", "prev")

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.prev = False

    def __enter__(self) -> None:
        self.prev = getattr(self.obj, "_uow_quiet", False)
        object.__setattr__(self.obj, "_uow_quiet", True)

    def __exit__(self, *exc_info: object) -> None:
        object.__setattr__(self.obj, "_uow_quiet", self.prev)


def _live_members(obj: Any) -> InstrumentedList[Any] | None:
    members: InstrumentedList[Any] | None = getattr(obj, "_uow_members", None)
    if members is None or getattr(obj, "_uow_quiet", False):
        return None
    _sync_custom(obj, members)
    return members


def _iterate(obj: Any) -> Iterable[Any]:
    roles = _roles_of(type(obj))
    assert roles is not None
    return getattr(obj, roles.iterator)()  # type: ignore[no-any-return]


def _index(members: list[Any], item: Any) -> int | None:
    return next((i for i, m in enumerate(members) if m is item), None)


def _member_added(obj: Any, members: InstrumentedList[Any], item: Any) -> None:
    if _index(members, item) is not None:
        return
    members._before_change()
    list.append(members, item)
    try:
        members._added(item)
    except BaseException:
        members._remove_silent(item)
        with _Quiet(obj):
            getattr(obj, _roles_of(type(obj)).remover)(item)  # type: ignore[union-attr]
        raise


def _member_removed(members: InstrumentedList[Any], item: Any) -> None:
    i = _index(members, item)
    if i is None:
        return
    members._check_remove(item)
    members._before_change()
    list.__delitem__(members, i)
    members._removed(item)


def _appender(fn: Callable[..., Any], roles: _Roles) -> Callable[..., Any]:
    def append(self: Any, item: Any, *args: Any, **kw: Any) -> Any:
        members = _live_members(self)
        if members is None:
            return fn(self, item, *args, **kw)
        if _index(members, item) is None:
            item = members._check(item)
        with _Quiet(self):
            result = fn(self, item, *args, **kw)
        _member_added(self, members, item)
        self._uow_seen = list(members)
        return result

    return _wrapped(append, fn)


def _remover(fn: Callable[..., Any], roles: _Roles) -> Callable[..., Any]:
    def remove(self: Any, item: Any, *args: Any, **kw: Any) -> Any:
        members = _live_members(self)
        if members is None:
            return fn(self, item, *args, **kw)
        with _Quiet(self):
            result = fn(self, item, *args, **kw)
        _member_removed(members, item)
        self._uow_seen = list(members)
        return result

    return _wrapped(remove, fn)


def _mutator(fn: Callable[..., Any]) -> Callable[..., Any]:
    def change(self: Any, *args: Any, **kw: Any) -> Any:
        members = _live_members(self)
        if members is None:
            return fn(self, *args, **kw)
        with _Quiet(self):
            before = list(_iterate(self))
            result = fn(self, *args, **kw)
            after = list(_iterate(self))
        gone, came = _difference(before, after)
        for item in gone:
            _member_removed(members, item)
        for item in came:
            if _index(members, item) is None:
                members._check(item)
            _member_added(self, members, item)
        self._uow_seen = list(members)
        return result

    return _wrapped(change, fn)


def _wrapped(wrapper: Callable[..., Any], fn: Callable[..., Any]) -> Callable[..., Any]:
    wrapper.__name__ = getattr(fn, "__name__", wrapper.__name__)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    wrapper._uow_wrapper = True  # type: ignore[attr-defined]
    return wrapper


def _difference(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
    """(items of ``old`` not in ``new``, items of ``new`` not in ``old``), by identity and
    counting repeats."""
    counts: dict[int, int] = {}
    for item in old:
        counts[id(item)] = counts.get(id(item), 0) + 1
    came = []
    for item in new:
        if counts.get(id(item), 0) > 0:
            counts[id(item)] -= 1
        else:
            came.append(item)
    gone = []
    for item in reversed(old):
        if counts.get(id(item), 0) > 0:
            counts[id(item)] -= 1
            gone.append(item)
    return gone, came


def _bind_custom(obj: Any, members: InstrumentedList[Any]) -> Any:
    object.__setattr__(obj, "_uow_members", members)
    object.__setattr__(obj, "_uow_seen", [])
    _sync_custom(obj, members)
    return obj


def _sync_custom(obj: Any, members: InstrumentedList[Any]) -> None:
    """Bring the custom collection ``obj`` up to date with the member list (changed by
    loading, backrefs or assignment) through its appender and remover."""
    seen: list[Any] = obj._uow_seen
    if len(seen) == len(members) and all(a is b for a, b in zip(seen, members)):
        return
    roles = _roles_of(type(obj))
    assert roles is not None
    gone, came = _difference(seen, list(members))
    with _Quiet(obj):
        for item in gone:
            getattr(obj, roles.remover)(item)
        for item in came:
            getattr(obj, roles.appender)(item)
    object.__setattr__(obj, "_uow_seen", list(members))


def sync_view(view: Any, members: InstrumentedList[Any]) -> None:
    """Called by the member list after the ORM changed it quietly (a backref): refresh a
    custom collection object that mirrors it."""
    if _roles_of(type(view)) is not None:
        _sync_custom(view, members)


class CollectionAdapter:
    """What `collection_adapter` returns for a relationship collection (SQLAlchemy's
    ``CollectionAdapter``): the way a custom collection's ``internally_instrumented``
    method tells the ORM about a change it makes by itself, and adds or removes members
    with or without the ORM's events.

    ``fire_append_event`` / ``fire_remove_event`` do what an instrumented appender /
    remover does around the object's own change (validators, attribute events, backrefs,
    cascades, history); the object's own data is left to the caller. The ``*_with_event``
    methods go through the collection's appender / remover. SQLAlchemy's
    ``*_without_event`` methods (loading's silent changes) are not provided: uow_orm's
    flush checks every member, so a silently added object would not be ignored.
    """

    __slots__ = ("_members", "data")

    def __init__(self, data: Any, members: InstrumentedList[Any]) -> None:
        #: the collection object (``parent.<relationship>``)
        self.data = data
        self._members = members

    @property
    def owner_state(self) -> Any:
        """The `InstanceState` of the object whose relationship this is."""
        return self._members._owner

    def _custom(self) -> bool:
        return _roles_of(type(self.data)) is not None and hasattr(self.data, "_uow_members")

    def _seen(self) -> None:
        if self._custom():
            object.__setattr__(self.data, "_uow_seen", list(self._members))

    def fire_append_event(self, item: Any, initiator: Any = None) -> Any:
        """Tell the ORM ``item`` joins the collection; returns the item to store (a
        ``@validates`` method or a ``retval=True`` listener may replace it)."""
        members = self._members
        if _index(members, item) is not None:
            return item
        item = members._check(item, initiator)
        members._before_change()
        list.append(members, item)
        members._added(item, initiator)
        self._seen()
        return item

    def fire_remove_event(self, item: Any, initiator: Any = None) -> None:
        """Tell the ORM ``item`` leaves the collection."""
        members = self._members
        i = _index(members, item)
        if i is None:
            return
        members._check_remove(item)
        members._before_change()
        list.__delitem__(members, i)
        members._removed(item, initiator)
        self._seen()

    def append_with_event(self, item: Any) -> None:
        """Add ``item`` through the collection's appender (events fire)."""
        if self._custom():
            getattr(self.data, _roles_of(type(self.data)).appender)(item)  # type: ignore[union-attr]
        else:
            self._members.append(item)

    def remove_with_event(self, item: Any) -> None:
        """Remove ``item`` through the collection's remover (events fire)."""
        if self._custom():
            getattr(self.data, _roles_of(type(self.data)).remover)(item)  # type: ignore[union-attr]
        else:
            self._members.remove(item)

    def clear_with_event(self) -> None:
        """Remove every member, with events."""
        for item in list(self._members):
            self.remove_with_event(item)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._members))

    def __len__(self) -> int:
        return len(self._members)

    def __bool__(self) -> bool:
        return True


def collection_adapter(collection: Any) -> CollectionAdapter:
    """The `CollectionAdapter` of a relationship collection (``parent.<relationship>``:
    a list, set, dict or custom collection object), as SQLAlchemy's ``collection_adapter``.

    Raises:
        ArgumentError: ``collection`` is not a relationship's collection.
    """
    members = getattr(collection, "_uow_members", None)
    if members is None:
        if isinstance(collection, (InstrumentedSet, KeyFuncDict)):
            members = _members(collection)
        elif isinstance(collection, list) and hasattr(collection, "_rel"):
            members = collection  # the InstrumentedList itself
    if members is None or members._rel is None:
        raise exc.ArgumentError(
            f"collection_adapter(): {type(collection).__name__} object is not the collection "
            "of a relationship"
        )
    return CollectionAdapter(collection, members)  # type: ignore[arg-type]


class CollectionKind:
    """How a relationship presents its members: built once from ``collection_class``."""

    __slots__ = ("factory", "kind")

    def __init__(self, kind: str, factory: Callable[[], Any] | None) -> None:
        #: "list", "set", "dict", "custom-list" (a list subclass such as ordering_list) or
        #: "custom" (a user class mirroring the members, see `collection`)
        self.kind = kind
        self.factory = factory

    def view(self, members: InstrumentedList[Any]) -> Any:
        """What ``parent.<rel>`` returns for the member list ``members``."""
        if self.kind == "set":
            return InstrumentedSet(members)
        assert self.factory is not None
        d = self.factory()
        if self.kind == "custom":
            return _bind_custom(d, members)
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
        if self.kind == "custom":
            assert self.factory is not None
            wanted = _emulates(type(self.factory()))
            given = _emulates(type(value))
            if wanted is not None and given is not wanted:
                name = given.__name__ if given is not None else type(value).__name__
                raise TypeError(
                    f"Incompatible collection type: {name} is not {wanted.__name__}-like"
                )
            if _roles_of(type(value)) is not None:
                return list(_iterate(value))
            return list(value.values()) if isinstance(value, dict) else list(value)
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
    instrument_class(type(sample), owner)
    return CollectionKind("custom", collection_class)


def __getattr__(name: str) -> Any:
    """``from uow_orm.orm.collections import InstrumentedList`` (SQLAlchemy's import
    path; the class lives in ``orm.attributes``, which imports this module)."""
    if name == "InstrumentedList":
        from .attributes import InstrumentedList

        return InstrumentedList
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CollectionAdapter",
    "InstrumentedSet",
    "KeyFuncDict",
    "MappedCollection",
    "attribute_keyed_dict",
    "attribute_mapped_collection",
    "collection",
    "collection_adapter",
    "column_keyed_dict",
    "column_mapped_collection",
    "keyfunc_mapping",
    "mapped_collection",
]
