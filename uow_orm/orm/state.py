"""Per-object ORM state: identity key, session, the committed snapshot of changed values.

Created by mapping (constructor) and loading; read and changed by attributes, the session
and the unit of work. Kept small (slots) because there is one per loaded object.

Called by: uow_orm.orm.*, uow_orm.ext.mutable.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .base import NO_VALUE, STATE_ATTR, IdentityKey, InspectionAttr, ObjectSession, state_of

if TYPE_CHECKING:
    from .identity import ClassIdentities
    from .mapper import Mapper
    from .properties import Properties


def _state_gone(state: InstanceState) -> None:
    """Weak reference callback: the object was garbage collected."""
    session = state.session
    if session is not None:
        session.identity_map.discard(state)


class InstanceState(weakref.ref, InspectionAttr):  # type: ignore[type-arg]
    """What the ORM knows about one mapped object.

    The state *is* a weak reference to its object (calling it returns the object): one
    allocation per loaded row instead of two, and the identity map forgets clean objects
    that nobody else refers to.

    ``committed`` holds, for each attribute changed since the last flush, the value it had
    before (NO_VALUE when it was not loaded); it is None until the first change, so that
    loading and reading objects costs nothing here.
    """

    __slots__ = (
        "committed",
        "deleted",
        # where the identity map holds this state: the bare primary key, and its class's
        # entries (`ClassIdentities`); set by the map's hold() and by the row loader
        "held_as",
        "held_by",
        # set only by make_transient() of a loaded object: get_history() still tells
        # loaded values from changes (read with getattr(st, "history_kept", False))
        "history_kept",
        "key",
        "load_strategies",
        "mapper",
        "modified",
        # set only for objects related through a relationship(single_parent=True): that
        # relationship -> the state of the one object holding this one (never set by
        # new_state, so other objects pay nothing; read with getattr(st, "parents", None))
        "parents",
        "session",
        "was_deleted",
    )

    is_instance = True

    # Made only by new_state() below (one Python call per object instead of two).
    history_kept: bool
    mapper: Mapper
    #: the identity key ``(class, primary key, token)``; None for an object without a row
    #: (transient, pending). A loaded row's is made when first read (`LoadedState`).
    key: IdentityKey | None
    held_by: ClassIdentities | None
    held_as: Any
    session: ObjectSession | None
    committed: dict[str, Any] | None
    modified: bool
    deleted: bool
    was_deleted: bool
    load_strategies: dict[str, str] | None
    parents: dict[Any, InstanceState]

    # States are compared and hashed by identity (a plain weakref would use the object's
    # own __eq__ / __hash__, which mapped classes may define).
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def obj(self) -> Any:
        """The object this state tracks, or None once it was garbage collected.

        A method, as in SQLAlchemy (where ``state.obj`` is the weak reference itself):
        ``inspect(obj).obj() is obj``.
        """
        return self()

    @property
    def obj_ref(self) -> InstanceState:
        """The state itself, which is a weak reference to the object (SQLAlchemy's ``obj_ref``)."""
        return self

    @property
    def dict(self) -> dict[str, Any]:
        """The object's ``__dict__`` (its loaded attribute values); empty once it is gone."""
        o = self()
        return o.__dict__ if o is not None else {}

    # -- public inspection API (inspect(obj).xxx) ---------------------------------------
    @property
    def transient(self) -> bool:
        """True for an object in no session and without an identity (never flushed)."""
        return self.key is None and self.session is None

    @property
    def pending(self) -> bool:
        """True for an object added to a session but not flushed yet."""
        return self.key is None and self.session is not None

    @property
    def persistent(self) -> bool:
        """True for an object of a session with a row in the database (flushed, not
        deleted)."""
        return self.key is not None and self.session is not None and not self.deleted

    @property
    def detached(self) -> bool:
        """True for an object with an identity that belongs to no session (expunged, or
        its session closed)."""
        return self.key is not None and self.session is None

    @property
    def identity(self) -> tuple[Any, ...] | None:
        """The primary-key values of the object's row, or None before it is flushed."""
        return self.key[1] if self.key is not None else None

    @property
    def identity_key(self) -> tuple[Any, ...] | None:
        """The identity-map key ``(class, primary key, token)``, or None before the
        object is flushed."""
        return self.key

    @property
    def identity_token(self) -> Any:
        """The shard of the object's row (horizontal sharding), else None: the third
        element of its identity key; for a pending object of a ``ShardedSession``, the
        shard its flush will write to once the shard chooser picked it."""
        if self.key is not None:
            return self.key[2]
        tokens = getattr(self.session, "_pending_identity_tokens", None)
        return tokens.get(self) if tokens else None

    @property
    def object(self) -> Any:
        """The object (None once it was garbage collected)."""
        return self()

    @property
    def class_(self) -> type:
        """The object's mapped class."""
        return self.mapper.class_

    @property
    def expired_attributes(self) -> set[str]:
        """Column attributes of a persistent object that reload on next access."""
        if self.key is None:
            return set()
        d = self.dict
        return {k for k in self.mapper.column_keys if k not in d}

    @property
    def expired(self) -> bool:
        """True when some attributes are expired (loaded again on next access)."""
        return bool(self.expired_attributes)

    @property
    def modified_attributes(self) -> set[str]:
        """The keys of the attributes changed since the object was loaded or
        flushed."""
        return set(self.committed or ())

    @property
    def unloaded(self) -> set[str]:
        """The keys of the mapped attributes not in the object's ``__dict__`` (deferred,
        expired or never loaded)."""
        d = self.dict
        return {k for k in self.mapper.attrs.keys() if k not in d}

    @property
    def unloaded_expirable(self) -> set[str]:
        """As `unloaded`: the attributes a refresh would load."""
        return self.unloaded

    @property
    def has_identity(self) -> bool:
        """True when the object has a row identity (it was flushed or loaded)."""
        return self.key is not None

    @property
    def was_deleted_flag(self) -> bool:
        """True when the object's DELETE was flushed (it stays deleted in this
        transaction)."""
        return self.was_deleted

    @property
    def attrs(self) -> Properties[AttributeState]:
        """Per-attribute value and history: ``inspect(obj).attrs.name.history``."""
        from .properties import Properties

        self.mapper.ensure_configured()
        return Properties({k: AttributeState(self, k) for k in self.mapper.attrs.keys()})

    @property
    def committed_state(self) -> builtins.dict[str, Any]:
        """The loaded value of each attribute changed since then (NO_VALUE: not loaded)."""
        return builtins.dict(self.committed or {})

    @property
    def unmodified(self) -> set[str]:
        """Keys of the attributes with no change since they were loaded."""
        changed = self.committed or {}
        return {k for k in self.mapper.attrs.keys() if k not in changed}

    @property
    def async_session(self) -> None:
        """Always None: asyncio sessions are not supported."""
        return None

    @property
    def dirty(self) -> bool:
        """True when the object has changes a flush would write."""
        return self.modified

    def __repr__(self) -> str:
        if self.transient:
            s = "transient"
        elif self.pending:
            s = "pending"
        elif self.deleted:
            s = "deleted"
        elif self.persistent:
            s = "persistent"
        else:
            s = "detached"
        return f"<InstanceState {self.mapper.class_.__name__} {s} key={self.identity}>"

    # -- change tracking ----------------------------------------------------------------
    def record_change(self, key: str, old: Any) -> None:
        """Remember ``old`` as the pre-change value of ``key`` (first change wins)."""
        if not self.modified:
            # tell the session first: a savepoint snapshots the state as it was
            session = self.session
            if session is not None:
                session.object_changed(self)
            self.modified = True
        committed = self.committed
        if committed is None:
            self.committed = {key: old}
        elif key not in committed:
            committed[key] = old

    def clear_changes(self) -> None:
        """Forget the object's pending changes: its current values become the
        unchanged ones."""
        self.committed = None
        self.modified = False


class History(NamedTuple):
    """What changed on one attribute since it was loaded: ``added`` (new value or items),
    ``unchanged`` (loaded and still there), ``deleted`` (replaced value or removed items).

    Empty parts are empty tuples, as in SQLAlchemy; ``bool(history)`` is always True (it is
    a tuple of three), so test `has_changes` instead.
    """

    added: Sequence[Any]
    unchanged: Sequence[Any]
    deleted: Sequence[Any]

    def has_changes(self) -> bool:
        """True when something was added or deleted."""
        return bool(self.added or self.deleted)

    def empty(self) -> bool:
        """True when no part holds anything (the attribute is not loaded and unchanged)."""
        return not (self.added or self.deleted or self.unchanged)

    def sum(self) -> list[Any]:
        """added + unchanged + deleted."""
        return [*self.added, *self.unchanged, *self.deleted]

    def non_deleted(self) -> list[Any]:
        """added + unchanged: the current value(s)."""
        return [*self.added, *self.unchanged]

    def non_added(self) -> list[Any]:
        """unchanged + deleted: the value(s) as loaded."""
        return [*self.unchanged, *self.deleted]


_EMPTY_HISTORY = History((), (), ())


def attribute_history(state: InstanceState, key: str) -> History:
    """The `History` of attribute ``key`` of ``state``, without loading anything."""
    d = state.dict
    prop = state.mapper.relationships.get(key)
    if prop is not None and prop.uselist:
        current = list(d[key]) if d.get(key) is not None else None
        if state.key is None and not getattr(state, "history_kept", False):
            return History(current, (), ()) if current else _EMPTY_HISTORY
        committed = state.committed
        if committed is not None and key in committed:
            old = committed[key]
            cur = current or []
            if old is NO_VALUE:
                return History(cur, [], [])
            old_ids = {id(o) for o in old}
            cur_ids = {id(c) for c in cur}
            return History(
                [c for c in cur if id(c) not in old_ids],
                [c for c in cur if id(c) in old_ids],
                [o for o in old if id(o) not in cur_ids],
            )
        return History((), current, ()) if current else _EMPTY_HISTORY
    if key not in d:
        return _EMPTY_HISTORY
    new = d[key]
    if state.key is None and not getattr(state, "history_kept", False):
        return History([new], (), ())
    committed = state.committed
    if committed is not None and key in committed:
        old = committed[key]
        if old is NO_VALUE:
            return History([new], (), ())
        same = old is new if prop is not None else (old is new or _equal(old, new))
        if same:
            return History((), [new], ())
        return History([new], (), [old])
    return History((), [new], ())


def _equal(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # an __eq__ that raises means "not the same"
        return False


class AttributeState:
    """``inspect(obj).attrs.name``: the value and history of one mapped attribute."""

    __slots__ = ("key", "state")

    def __init__(self, state: InstanceState, key: str) -> None:
        self.state = state
        self.key = key

    @property
    def value(self) -> Any:
        """The current value; reading it loads an unloaded attribute, like ``obj.name``."""
        return getattr(self.state(), self.key)

    @property
    def loaded_value(self) -> Any:
        """The value in the object's dict, or ``NO_VALUE`` when it is not loaded (no SQL)."""
        return self.state.dict.get(self.key, NO_VALUE)

    @property
    def history(self) -> History:
        """The `History` of the attribute since it was loaded; loads nothing."""
        return attribute_history(self.state, self.key)

    def load_history(self) -> History:
        """Like `history`, loading the attribute first when it is not loaded."""
        self.value  # noqa: B018 - the read loads it
        return attribute_history(self.state, self.key)

    def __repr__(self) -> str:
        return f"<AttributeState {self.state.mapper.class_.__name__}.{self.key}>"


#: Former name of `AttributeState`.
AttributeStateView = AttributeState


_new_ref = weakref.ref.__new__


class LoadedState(InstanceState):
    """The state of a row the loader made, until its identity key is first read.

    The loader holds a row by its bare primary key (``held_as``, in ``held_by``) and
    makes no key tuple: most loaded objects are read and let go, and a tuple per row
    (tracked by the garbage collector, as it holds a class) cost a quarter of a plain
    load. The first read or write of ``key`` makes it and turns the state into a plain
    `InstanceState` (same slots), whose ``key`` is a plain slot again.
    """

    __slots__ = ()

    @property
    def key(self) -> IdentityKey | None:
        held = self.held_by
        assert held is not None
        ident = self.held_as  # (= held.key_of(ident), written out)
        key = (held.cls, (ident,) if held.single else ident, held.token)
        self.__class__ = InstanceState  # type: ignore[assignment]
        self.key = key
        return key

    @key.setter
    def key(self, key: IdentityKey | None) -> None:
        self.__class__ = InstanceState  # type: ignore[assignment]
        self.key = key


def new_state(
    obj: Any,
    mapper: Mapper,
    key: IdentityKey | None = None,
    session: ObjectSession | None = None,
    load_strategies: dict[str, str] | None = None,
) -> InstanceState:
    """The state of a new or freshly loaded object (runs once per object)."""
    state: InstanceState = _new_ref(InstanceState, obj, _state_gone)
    state.mapper = mapper
    state.key = key
    state.held_by = state.held_as = None
    state.session = session
    state.committed = None
    state.modified = False
    state.deleted = False
    state.was_deleted = False
    state.load_strategies = load_strategies
    return state


__all__ = [
    "NO_VALUE",
    "STATE_ATTR",
    "AttributeState",
    "History",
    "InstanceState",
    "LoadedState",
    "attribute_history",
    "new_state",
    "state_of",
]
