"""The identity map: one object per (class, primary key) per session.

Called by: session (which owns the map); base and savepoint name the type. Every layer
reaches it as ``session.identity_map``. Objects are held weakly, so clean ones nobody
refers to are garbage collected; the session holds new, dirty and deleted ones strongly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .base import IdentityKey

if TYPE_CHECKING:
    from .state import InstanceState


class IdentityMap(Mapping[IdentityKey, Any]):
    """Identity key -> object; a ``Mapping`` whose values are the live objects.

    Holds the objects' states, which are weak references: when an object is garbage
    collected its state's callback removes the entry (`discard`).
    """

    __slots__ = ("_states", "builders", "hold", "state_for")

    def __init__(self) -> None:
        self._states: dict[IdentityKey, InstanceState] = {}
        #: row builders that loading made for this map's session and keeps for its next
        #: queries (`uow_orm.orm.loading`; each entry says when it is stale)
        self.builders: dict[Any, Any] = {}
        #: ``state_for(key)``: the state held under ``key`` (live or not), or None. The
        #: dict's own ``get``, because the row loader calls it once per row.
        self.state_for: Callable[[IdentityKey], InstanceState | None] = self._states.get
        #: ``hold(key, state)``: hold ``state`` under ``key``, replacing what was there
        #: (the row loader and the flush, for states whose key they just set).
        self.hold: Callable[[IdentityKey, InstanceState], None] = self._states.__setitem__

    def discard(self, state: InstanceState) -> None:
        """Forget ``state`` if it is held under its key (its object was garbage collected,
        expunged or deleted); its partner is `add`."""
        key = state.key
        if key is not None and self._states.get(key) is state:
            del self._states[key]

    remove = discard

    def discard_all(self, states: Iterable[InstanceState]) -> None:
        """`discard` each of ``states`` (a flush's or a commit's deleted objects)."""
        held = self._states
        get = held.get
        for state in states:
            key = state.key
            if key is not None and get(key) is state:
                del held[key]

    def add(self, state: InstanceState, obj: Any = None) -> None:
        """Hold ``state`` under its identity key (which it must have); partner of
        `discard`."""
        key = state.key
        assert key is not None
        self._states[key] = state

    def rekey(self, state: InstanceState, new_key: IdentityKey) -> None:
        """Move ``state`` to ``new_key``, the identity its row has in the database now.

        The invariant: an object is held under the primary key of its row, never under
        one it had before. The unit of work calls this when a flushed UPDATE changed the
        primary key (or ``ON UPDATE CASCADE`` changed it for a referencing row), and again
        with the old key when that flush or its transaction is rolled back. The entry
        under the old key goes only if it is this state's; whatever was under
        ``new_key`` is replaced (that row is this object's now).
        """
        old_key = state.key
        if old_key is not None and self._states.get(old_key) is state:
            del self._states[old_key]
        state.key = new_key
        self._states[new_key] = state

    def restore(self, state: InstanceState) -> InstanceState | None:
        """Hold ``state`` again under its key: its deletion was rolled back, so its row is
        back. Returns the live state this displaces (an object loaded for that row after
        a row switch replaced it), which the caller detaches; None if there was none.
        """
        key = state.key
        assert key is not None
        current = self._states.get(key)
        self._states[key] = state
        if current is None or current is state or current() is None:
            return None
        return current

    def get_obj(self, key: IdentityKey) -> Any:
        """The live object held under ``key``, or None."""
        st = self._states.get(key)
        return st() if st is not None else None

    def has_state(self, state: InstanceState) -> bool:
        """Whether ``state`` is the one held under its key."""
        return state.key is not None and self._states.get(state.key) is state

    def states(self) -> list[InstanceState]:
        """The states whose objects are alive (a copy: garbage collection may drop
        entries while the caller iterates)."""
        return [s for s in list(self._states.values()) if s() is not None]

    def all_states(self) -> list[InstanceState]:
        """Every held state, including ones whose object was just collected (a copy)."""
        return list(self._states.values())

    def clear(self) -> None:
        """Forget every state."""
        self._states.clear()

    # -- Mapping ------------------------------------------------------------------------
    def __getitem__(self, key: IdentityKey) -> Any:
        obj = self.get_obj(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def __iter__(self) -> Iterator[IdentityKey]:
        return iter([k for k, s in list(self._states.items()) if s() is not None])

    def __len__(self) -> int:
        return sum(1 for s in list(self._states.values()) if s() is not None)

    def __contains__(self, key: object) -> bool:
        return self.get_obj(key) is not None  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<IdentityMap {len(self)} objects>"


__all__ = ["IdentityMap"]
