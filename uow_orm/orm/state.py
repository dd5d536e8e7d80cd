"""Per-object ORM state: identity key, session, the committed snapshot of changed values.

Created by mapping (constructor) and loading; read and changed by attributes, the session
and the unit of work. Kept small (slots) because there is one per loaded object.
"""

from __future__ import annotations

import builtins
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .mapper import Mapper
    from .session import Session

STATE_ATTR = "_sa_instance_state"


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


NO_VALUE: Any = _NoValue()


def _state_gone(state: InstanceState) -> None:
    """Weak reference callback: the object was garbage collected."""
    session = state.session
    if session is not None:
        session.identity_map._discard(state)


class InstanceState(weakref.ref):  # type: ignore[type-arg]
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
        "key",
        "load_strategies",
        "mapper",
        "modified",
        "session",
        "was_deleted",
    )

    # Made only by new_state() below (one Python call per object instead of two).
    mapper: Mapper
    key: tuple[Any, ...] | None
    session: Session | None
    committed: dict[str, Any] | None
    modified: bool
    deleted: bool
    was_deleted: bool
    load_strategies: dict[str, str] | None

    # States are compared and hashed by identity (a plain weakref would use the object's
    # own __eq__ / __hash__, which mapped classes may define).
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    @property
    def obj(self) -> Any:
        return self()

    @property
    def obj_ref(self) -> InstanceState:
        return self

    @property
    def dict(self) -> dict[str, Any]:
        o = self()
        return o.__dict__ if o is not None else {}

    # -- public inspection API (inspect(obj).xxx) ---------------------------------------
    @property
    def transient(self) -> bool:
        return self.key is None and self.session is None

    @property
    def pending(self) -> bool:
        return self.key is None and self.session is not None

    @property
    def persistent(self) -> bool:
        return self.key is not None and self.session is not None and not self.deleted

    @property
    def detached(self) -> bool:
        return self.key is not None and self.session is None

    @property
    def identity(self) -> tuple[Any, ...] | None:
        return self.key[1] if self.key is not None else None

    @property
    def identity_key(self) -> tuple[Any, ...] | None:
        return self.key

    @property
    def object(self) -> Any:
        return self()

    @property
    def class_(self) -> type:
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
        return bool(self.expired_attributes)

    @property
    def modified_attributes(self) -> set[str]:
        return set(self.committed or ())

    @property
    def unloaded(self) -> set[str]:
        d = self.dict
        return {k for k in self.mapper.attrs if k not in d}

    @property
    def unloaded_expirable(self) -> set[str]:
        return self.unloaded

    @property
    def has_identity(self) -> bool:
        return self.key is not None

    @property
    def was_deleted_flag(self) -> bool:
        return self.was_deleted

    @property
    def attrs(self) -> builtins.dict[str, AttributeStateView]:
        return {k: AttributeStateView(self, k) for k in self.mapper.attrs}

    @property
    def dirty(self) -> bool:
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
                session._state_modified(self)
            self.modified = True
        committed = self.committed
        if committed is None:
            self.committed = {key: old}
        elif key not in committed:
            committed[key] = old

    def clear_changes(self) -> None:
        self.committed = None
        self.modified = False


class AttributeStateView:
    """``inspect(obj).attrs.name``: the value and history of one attribute."""

    __slots__ = ("key", "state")

    def __init__(self, state: InstanceState, key: str) -> None:
        self.state = state
        self.key = key

    @property
    def value(self) -> Any:
        return getattr(self.state.obj, self.key)

    @property
    def loaded_value(self) -> Any:
        return self.state.dict.get(self.key, NO_VALUE)

    @property
    def history(self) -> tuple[list[Any], list[Any], list[Any]]:
        d = self.state.dict
        committed = self.state.committed or {}
        if self.key in committed:
            old = committed[self.key]
            return ([d.get(self.key)], [], [] if old is NO_VALUE else [old])
        return ([], [d[self.key]] if self.key in d else [], [])


_new_ref = weakref.ref.__new__


def new_state(
    obj: Any,
    mapper: Mapper,
    key: tuple[Any, ...] | None = None,
    session: Session | None = None,
    load_strategies: dict[str, str] | None = None,
) -> InstanceState:
    """The state of a new or freshly loaded object (runs once per object)."""
    state: InstanceState = _new_ref(InstanceState, obj, _state_gone)
    state.mapper = mapper
    state.key = key
    state.session = session
    state.committed = None
    state.modified = False
    state.deleted = False
    state.was_deleted = False
    state.load_strategies = load_strategies
    return state


def state_of(obj: Any) -> InstanceState | None:
    """The InstanceState of a mapped object, or None for anything else."""
    try:
        return obj.__dict__.get(STATE_ATTR)  # type: ignore[no-any-return]
    except AttributeError:
        return None


__all__ = ["NO_VALUE", "STATE_ATTR", "InstanceState", "new_state", "state_of"]
