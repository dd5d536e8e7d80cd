"""Instrumented attributes: class-level SQL expressions, instance-level values, collections.

Installed on mapped classes by the mapper. Descriptors are *non-data* descriptors: reading
a loaded attribute is a plain ``__dict__`` hit; ``__get__`` runs only for unloaded ones.
Writes go through the mapped class's ``__setattr__``, which records the pre-change value
in the object's state (the whole cost of change tracking).

Called by: uow_orm.orm.* (the mapper installs the attribute classes; collections,
properties, relationships and loading build on them), uow_orm.ext.orderinglist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar, overload

from .. import exc
from ..sql.elements import (
    PLAIN_VALUES,
    BinaryExpression,
    ColumnElement,
    ColumnOperators,
    PlainComparisons,
    compare_plain,
    plain_comparisons,
)
from . import collections as _collections
from . import events as _events
from .base import (
    CALLABLES_OK,
    INIT_OK,
    NEVER_SET,
    NO_CHANGE,
    NO_KEY,
    NO_VALUE,
    NON_PERSISTENT_OK,
    PASSIVE_NO_FETCH,
    PASSIVE_NO_FETCH_RELATED,
    PASSIVE_NO_INITIALIZE,
    PASSIVE_OFF,
    PASSIVE_ONLY_PERSISTENT,
    PASSIVE_RETURN_NO_VALUE,
    RELATED_OBJECT_OK,
    SQL_OK,
    STATE_ATTR,
    InspectionAttr,
    LoaderCallableStatus,
    ORMDescriptor,
    PassiveFlag,
    instance_dict,
    instance_state,
    passive_loads,
)
from .state import History, InstanceState, attribute_history

if TYPE_CHECKING:
    from ..sql.schema import Column
    from .mapper import Mapper
    from .relationships import RelationshipProperty

_T = TypeVar("_T")


class QueryableAttribute(InspectionAttr, ORMDescriptor[_T], ColumnOperators):
    """``User.name``: usable in expressions (``User.name == "x"``) and as an option path."""

    __slots__ = ("class_", "key", "mapper")
    is_relationship = False
    is_attribute = True

    def __init__(self, class_: type, key: str, mapper: Mapper) -> None:
        self.class_ = class_
        self.key = key
        self.mapper = mapper

    def __repr__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    def set(self, obj: Any, value: Any) -> None:
        """Assign ``value`` to this attribute of ``obj`` as ``obj.<key> = value`` does
        (with change tracking); each kind of attribute implements it."""
        raise NotImplementedError

    @property
    def parent(self) -> Mapper:
        """The mapper of the class this attribute belongs to."""
        return self.mapper

    @property
    def info(self) -> dict[str, Any]:
        """The property's ``info`` dictionary."""
        self.mapper.ensure_configured()
        return self.mapper.attrs[self.key].info


def _plain_first(op: str) -> Callable[[ColumnAttribute[Any], Any], ColumnElement]:
    """A comparison operator of `ColumnAttribute`: a plain value through
    `ColumnAttribute._compare_plain`, anything else through ``operate``."""

    def compare(self: ColumnAttribute[Any], other: Any) -> ColumnElement:
        if other.__class__ in PLAIN_VALUES:
            out = self._compare_plain(op, other)
            if out is not None:
                return out
        return self.operate(op, other)

    return compare


class ColumnAttribute(QueryableAttribute[_T]):
    """A mapped column attribute."""

    __slots__ = ("_entity_tag", "_plain", "column")

    def __init__(self, class_: type, key: str, mapper: Mapper, column: Column[Any]) -> None:
        super().__init__(class_, key, mapper)
        self.column = column
        # what the expressions this attribute builds carry as their ``_orm_entities``
        # (a frozenset: the statement cache keys on it by value, without walking it)
        self._entity_tag = frozenset((class_,))
        self._plain: PlainComparisons | None = None

    # -- comparisons with plain values ----------------------------------------------------
    # ``User.id == 5`` is most of every WHERE clause: for an int / str / float these build
    # the expression `operate` would (same operator, bound type and entities) without its
    # dispatch through the column; anything else goes the general way.
    def _compare_plain(self, op: str, value: Any) -> ColumnElement | None:
        column = self.column
        plan = self._plain
        if plan is None or plan.type is not column.type:
            plan = self._plain = plain_comparisons(column)
            if type(self).operate is not ColumnAttribute.operate:
                plan = self._plain = plan._replace(operators=frozenset())
        if op not in plan.operators:
            return None
        out = compare_plain(column, op, value, plan)
        out._orm_entities = self._entity_tag
        return out

    __eq__ = _plain_first("=")  # type: ignore[assignment]
    __ne__ = _plain_first("!=")  # type: ignore[assignment]
    __lt__ = _plain_first("<")
    __le__ = _plain_first("<=")
    __gt__ = _plain_first(">")
    __ge__ = _plain_first(">=")
    __hash__ = QueryableAttribute.__hash__

    def __clause_element__(self) -> Column[Any]:
        return self.column

    def _expr(self) -> ColumnElement:
        return self.column

    def operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        if op.__class__ is not str:  # a function from sql.operators
            return op(self, *args, **kw)  # type: ignore[no-any-return]
        out = self.column.operate(op, *args)
        if isinstance(out, BinaryExpression):
            # which classes built it: with_loader_criteria filters the entities a nested
            # SELECT reads through its WHERE clause (exists().where(Child.x == Parent.id))
            other = args[0] if args else None
            if isinstance(other, ColumnAttribute) and other.class_ is not self.class_:
                out._orm_entities = self._entity_tag | other._entity_tag
            else:
                out._orm_entities = self._entity_tag
        return out

    @property
    def type(self) -> Any:
        return self.column.type

    @property
    def expression(self) -> Column[Any]:
        return self.column

    @property
    def expressions(self) -> list[Any]:
        """Every column mapped under this attribute (several for a class mapped to a join:
        ``group_by(*AddressUser.id.expressions)``); one otherwise."""
        prop = self.mapper.column_attrs.get(self.key)
        return list(prop.columns) if prop is not None and prop.columns else [self.column]

    @property
    def prop(self) -> Any:
        """The `ColumnProperty` of this attribute (alias of ``property``)."""
        return self.mapper.column_attrs[self.key]

    # defined after the other properties: the name shadows the builtin in the class body
    @property
    def property(self) -> Any:
        """The `ColumnProperty` of this attribute (``User.name.property.columns[0]``)."""
        return self.mapper.column_attrs[self.key]

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
        if state.key is None:  # transient / pending: an unset column reads as None
            if state.mapper.attr_dispatch:
                return _events.fire_init_scalar(state, obj, self.key)
            return None
        load_expired(state, self.key)
        return d[self.key]

    def set(self, obj: Any, value: Any) -> None:
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        key = self.key
        if state.key is not None:
            old = d.get(key, NO_VALUE)
            if old is not value or old is NO_VALUE:
                # = state.record_change(key, old), once per changed attribute
                if not state.modified:
                    session = state.session
                    if session is not None:
                        session.object_changed(state)  # (a savepoint snapshots it first)
                    state.modified = True
                committed = state.committed
                if committed is None:
                    state.committed = {key: old}
                elif key not in committed:
                    committed[key] = old
        elif state.session is not None and not state.modified:
            state.modified = True
        d[key] = value


def load_expired(state: InstanceState, key: str) -> None:
    """Load the unloaded column attributes of a persistent object (one SELECT)."""
    strategies = state.load_strategies
    deferred = state.mapper.deferred.get(key) if state.mapper.deferred else None
    strategy = strategies.get(key) if strategies is not None else None
    if strategy == "raise" or (deferred is not None and deferred[1] and strategy is None):
        raise exc.InvalidRequestError(
            f"'{state.mapper.class_.__name__}.{key}' is not available due to raiseload=True"
        )
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
    session.load_unloaded(state, key)


class InstrumentedList(list[_T]):
    """A relationship collection: a list that tells the ORM about every change."""

    __slots__ = ("_owner", "_rel", "_view")

    _owner: InstanceState | None
    _rel: RelationshipProperty | None
    #: the set / dict users see for a collection_class other than list (orm.collections)
    _view: Any

    def __init__(self, items: Iterable[_T] = ()) -> None:
        super().__init__(items)
        self._owner = None
        self._rel = None
        self._view = None

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

    def _added(self, item: Any, initiator: _events.AttributeEventToken | None = None) -> None:
        if self._owner is not None and self._rel is not None:
            self._rel._collection_added(self._owner, item, initiator)

    def _removed(self, item: Any, initiator: _events.AttributeEventToken | None = None) -> None:
        if self._owner is not None and self._rel is not None:
            if self._owner.mapper.attr_dispatch:
                _events.fire_remove(self._owner, self._rel.key, item, initiator)
            self._rel._collection_removed(self._owner, item, initiator)

    def _check(
        self,
        item: Any,
        initiator: _events.AttributeEventToken | None = None,
        fire: bool = True,
    ) -> Any:
        """The item to store (a ``@validates`` method may replace it), type-checked;
        ``fire``: the ``append`` listeners see it (not for an item a bulk replace keeps)."""
        rel = self._rel
        if rel is not None:
            if rel._validator and self._owner is not None:
                item = rel._validate(self._owner(), item, False, False)
            if fire and self._owner is not None and self._owner.mapper.attr_dispatch:
                item = _events.fire_append(self._owner, rel.key, item, initiator)
            rel._check_target(item, self._owner)
            if rel.single_parent and self._owner is not None:
                rel._check_single_parent(self._owner, item)
        return item

    def _check_remove(self, item: Any) -> None:
        """Run the ``@validates(include_removes=True)`` method on an item about to leave."""
        rel = self._rel
        if rel is not None and rel._validator and self._owner is not None:
            rel._validate(self._owner(), item, True, False)

    def _check_removals(self, old: list[Any], new: list[Any]) -> None:
        """`_check_remove` for the items of ``old`` that ``new`` does not keep."""
        rel = self._rel
        if rel is not None and rel._validator:
            kept = {id(n) for n in new}
            for item in old:
                if id(item) not in kept:
                    self._check_remove(item)

    # -- list API -------------------------------------------------------------------------
    def append(self, item: _T) -> None:
        rel = self._rel
        owner = self._owner
        if (
            rel is None
            or owner is None
            or rel._validator
            or rel.single_parent
            or owner.mapper.attr_dispatch
        ):
            item = self._check(item)
            self._before_change()
        else:
            # = _check + _before_change with no validator, listener or single_parent rule
            # (an append per child in a loop); _check_target runs only to raise its error
            # (or for a harmless was_deleted of a transient object)
            try:
                ist = item.__dict__.get(STATE_ATTR)
            except AttributeError:
                ist = None
            if (
                ist is None
                or ist.deleted
                or ist.was_deleted
                or owner.deleted
                or owner.was_deleted
                or not isinstance(item, rel.mapper.class_)
            ):
                rel._check_target(item, owner)
            if owner.key is not None:
                self._before_change()
        list.append(self, item)
        try:
            if rel is not None and owner is not None:  # = self._added(item)
                rel._collection_added(owner, item, None)
        except BaseException:
            # the other side refused it (a backref's @validates): as in SQLAlchemy the
            # item does not stay in the collection
            self._remove_silent(item)
            raise

    def extend(self, items: Iterable[_T]) -> None:
        for item in list(items):
            self.append(item)

    def __iadd__(self, items: Iterable[_T]) -> InstrumentedList[_T]:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: _T) -> None:
        item = self._check(item)
        self._before_change()
        list.insert(self, index, item)
        try:
            self._added(item)
        except BaseException:
            self._remove_silent(item)
            raise

    def remove(self, item: _T) -> None:
        self._check_remove(item)
        self._before_change()
        list.remove(self, item)
        self._removed(item)

    def pop(self, index: SupportsIndex = -1) -> _T:
        self._check_remove(list.__getitem__(self, index))
        self._before_change()
        item = list.pop(self, index)
        self._removed(item)
        return item

    def clear(self) -> None:
        for item in list(self):
            self._check_remove(item)
        self._before_change()
        items = list(self)
        list.clear(self)
        for item in items:
            self._removed(item)

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = list(value)
            self._check_removals(list.__getitem__(self, index), value)
            new = [self._check(item) for item in value]
            self._before_change()
            old = list.__getitem__(self, index)
            list.__setitem__(self, index, new)
            self._fire_difference(old, new)
        else:
            replaced = list.__getitem__(self, index)
            if replaced is not value:
                self._check_remove(replaced)
            value = self._check(value)
            self._before_change()
            old_item = list.__getitem__(self, index)
            list.__setitem__(self, index, value)
            if old_item is not value:
                self._removed(old_item)
                self._added(value)

    def __delitem__(self, index: Any) -> None:
        gone = list.__getitem__(self, index)
        for item in gone if isinstance(index, slice) else [gone]:
            self._check_remove(item)
        self._before_change()
        old = list.__getitem__(self, index)
        list.__delitem__(self, index)
        for item in old if isinstance(index, slice) else [old]:
            self._removed(item)

    def _replace(self, items: Iterable[Any]) -> None:
        """Replace the whole contents (``parent.children = [...]``): as in SQLAlchemy the
        items that come and go see ``append`` / ``remove`` events whose initiator is the
        bulk replace (``OP_BULK_REPLACE``); the items kept see none."""
        rel = self._rel
        token = rel._event_token(_events.OP_BULK_REPLACE) if rel is not None else None
        kept = {id(o) for o in self}
        new = [self._check(item, token, id(item) not in kept) for item in items]
        self._check_removals(list(self), new)
        self._before_change()
        old = list(self)
        list.clear(self)
        list.extend(self, new)
        self._fire_difference(old, new, token)

    def _fire_difference(
        self,
        old: list[Any],
        new: list[Any],
        initiator: _events.AttributeEventToken | None = None,
    ) -> None:
        """Events for the items that left (``old`` not in ``new``) and came, by identity."""
        new_ids = {id(n) for n in new}
        old_ids = {id(o) for o in old}
        for item in old:
            if id(item) not in new_ids:
                self._removed(item, initiator)
        for item in new:
            if id(item) not in old_ids:
                self._added(item, initiator)

    # Changes made by the ORM itself (backrefs, loading) bypass the events.
    def _append_silent(self, item: Any) -> None:
        if not any(x is item for x in self):
            self._before_change()
            list.append(self, item)
            if self._view is not None:
                _collections.sync_view(self._view, self)

    def _remove_silent(self, item: Any) -> None:
        for i, x in enumerate(self):
            if x is item:
                self._before_change()
                list.__delitem__(self, i)
                if self._view is not None:
                    _collections.sync_view(self._view, self)
                return

    def __reduce__(self) -> Any:
        return (list, (list(self),))


# -- SQLAlchemy's public attribute functions (sqlalchemy.orm.attributes) ---------------------
#: SQLAlchemy's name of the class attributes of mapped classes; ``isinstance(User.name,
#: InstrumentedAttribute)`` is True for column and relationship attributes.
InstrumentedAttribute = QueryableAttribute


def _mapped_key(st: InstanceState, key: str) -> None:
    if key not in st.mapper.attrs:
        raise exc.InvalidRequestError(
            f"{st.mapper.class_.__name__} has no mapped attribute {key!r}; mapped attributes "
            f"are {', '.join(st.mapper.attrs.keys())}"
        )


def get_history(obj: Any, key: str, passive: Any = PASSIVE_OFF) -> History:
    """The `History` (added, unchanged, deleted) of attribute ``key`` of ``obj``.

    As in SQLAlchemy, an unloaded attribute of a persistent object is loaded first; pass
    ``passive=attributes.PASSIVE_NO_INITIALIZE`` (or any `PassiveFlag` without
    ``CALLABLES_OK`` or ``SQL_OK``) to get the history without loading.

    Raises:
        UnmappedInstanceError: ``obj`` is not mapped.
        InvalidRequestError: ``key`` is not a mapped attribute.
        ArgumentError: ``passive`` sets a flag uow_orm cannot honour (``NO_AUTOFLUSH``,
            ``NO_RAISE``, ...), or asks a relationship for an identity-map-only load
            (``PASSIVE_NO_FETCH``).
    """
    st = instance_state(obj)
    _mapped_key(st, key)
    if key not in obj.__dict__ and st.key is not None:
        relationship = key in st.mapper.relationships
        if passive_loads(passive, "get_history()", relationship):
            getattr(obj, key)
    else:
        passive_loads(passive, "get_history()")  # a bad flag is an error either way
    return attribute_history(st, key)


def set_committed_value(instance: Any, key: str, value: Any) -> None:
    """Set attribute ``key`` as if it had been loaded with ``value``: no history, no UPDATE.

    Raises:
        UnmappedInstanceError: ``instance`` is not mapped.
        InvalidRequestError: ``key`` is not a mapped attribute.
    """
    st = instance_state(instance)
    _mapped_key(st, key)
    mapper = st.mapper
    mapper.ensure_configured()
    d = instance.__dict__
    prop = mapper.relationships.get(key)
    if prop is not None and prop.uselist:
        items = value or ()
        if prop._collection is not None and value:  # (an empty dict / set: no members)
            items = prop._collection.items_of(value, f"{prop}")
        d[key] = prop._new_members(items)._bind(st, prop)
    else:
        d[key] = value
    if st.committed is not None:
        st.committed.pop(key, None)


def flag_modified(instance: Any, key: str) -> None:
    """Mark attribute ``key`` as changed, so the next flush writes it even though its value
    compares equal (e.g. a JSON value changed in place).

    Raises:
        UnmappedInstanceError: ``instance`` is not mapped.
        InvalidRequestError: ``key`` is not loaded in the object (nothing to write).
    """
    st = instance_state(instance)
    _mapped_key(st, key)
    d = instance.__dict__
    if key not in d:
        raise exc.InvalidRequestError(
            f"Can't flag attribute {key!r} modified; it's not present in the object state"
        )
    if st.mapper.attr_dispatch:
        _events.fire_modified(st, key)
    if st.key is None or key not in st.mapper.columns:
        flag_dirty(instance)
        return
    st.record_change(key, NO_VALUE)
    committed = st.committed
    assert committed is not None
    old = committed[key]
    if old is d[key] or (old is not NO_VALUE and type(old) is type(d[key]) and bool(old == d[key])):
        committed[key] = NO_VALUE  # "previous value unknown": the flush writes it


def flag_dirty(instance: Any) -> None:
    """Mark the object as modified without changing an attribute: it appears in
    ``session.dirty`` and flush events see it; no UPDATE is emitted for it.

    Raises:
        UnmappedInstanceError: ``instance`` is not mapped.
    """
    st = instance_state(instance)
    if not st.modified:
        session = st.session
        if session is not None:
            session.object_changed(st)
        st.modified = True


def get_attribute(instance: Any, key: str) -> Any:
    """``getattr(instance, key)`` for a mapped attribute."""
    _mapped_key(instance_state(instance), key)
    return getattr(instance, key)


def set_attribute(instance: Any, key: str, value: Any) -> None:
    """``setattr(instance, key, value)`` for a mapped attribute, with change tracking."""
    _mapped_key(instance_state(instance), key)
    setattr(instance, key, value)


def del_attribute(instance: Any, key: str) -> None:
    """Set a mapped attribute to None, as ``del instance.key`` does in SQLAlchemy."""
    set_attribute(instance, key, None)


def get_state_history(state: InstanceState, key: str, passive: Any = PASSIVE_OFF) -> History:
    """`get_history` for an `InstanceState` (``inspect(obj)``) instead of the object.

    Raises:
        InvalidRequestError: ``key`` is not a mapped attribute.
    """
    obj = state()
    if obj is None:
        _mapped_key(state, key)
        passive_loads(passive, "get_state_history()")
        return attribute_history(state, key)
    return get_history(obj, key, passive)


#: the ``op`` of an attribute event's ``initiator`` (`AttributeEventToken`), as in
#: SQLAlchemy: ``if initiator.op is attributes.OP_APPEND``
OP_APPEND = _events.OP_APPEND
OP_REMOVE = _events.OP_REMOVE
OP_REPLACE = _events.OP_REPLACE
OP_BULK_REPLACE = _events.OP_BULK_REPLACE
OP_MODIFIED = _events.OP_MODIFIED
#: the initiator of an attribute event (SQLAlchemy's ``AttributeEventToken`` / ``Event``)
AttributeEventToken = _events.AttributeEventToken
Event = _events.AttributeEventToken


__all__ = [
    "CALLABLES_OK",
    "INIT_OK",
    "NEVER_SET",
    "NON_PERSISTENT_OK",
    "NO_CHANGE",
    "NO_KEY",
    "NO_VALUE",
    "OP_APPEND",
    "OP_BULK_REPLACE",
    "OP_MODIFIED",
    "OP_REMOVE",
    "OP_REPLACE",
    "PASSIVE_NO_FETCH",
    "PASSIVE_NO_FETCH_RELATED",
    "PASSIVE_NO_INITIALIZE",
    "PASSIVE_OFF",
    "PASSIVE_ONLY_PERSISTENT",
    "PASSIVE_RETURN_NO_VALUE",
    "RELATED_OBJECT_OK",
    "SQL_OK",
    "AttributeEventToken",
    "ColumnAttribute",
    "Event",
    "History",
    "InstrumentedAttribute",
    "InstrumentedList",
    "LoaderCallableStatus",
    "PassiveFlag",
    "QueryableAttribute",
    "del_attribute",
    "flag_dirty",
    "flag_modified",
    "get_attribute",
    "get_history",
    "get_state_history",
    "instance_dict",
    "instance_state",
    "load_expired",
    "set_attribute",
    "set_committed_value",
]
