"""The identity map: one object per (class, primary key) per session.

Called by: session (which owns the map); base and savepoint name the type. Every layer
reaches it as ``session.identity_map``. Objects are held weakly, so clean ones nobody
refers to are garbage collected; the session holds new, dirty and deleted ones strongly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .. import exc
from .base import IdentityKey
from .state import LoadedState

if TYPE_CHECKING:
    from .state import InstanceState


class ClassIdentities(dict[Any, "InstanceState"]):
    """The states of one class hierarchy (and shard token), by primary key.

    A one-column primary key is held by its value alone (``single``), a longer one by its
    tuple: the row loader looks rows up with the value it read, building no key tuple.
    """

    __slots__ = ("cls", "single", "token")

    def __init__(self, cls: type, token: Any, single: bool) -> None:
        super().__init__()
        self.cls, self.token, self.single = cls, token, single

    def key_of(self, ident: Any) -> IdentityKey:
        """The identity key of the entry held under ``ident``."""
        return (self.cls, (ident,) if self.single else ident, self.token)


class IdentityMap(Mapping[IdentityKey, Any]):
    """Identity key -> object; a ``Mapping`` whose values are the live objects.

    Holds the objects' states, which are weak references: when an object is garbage
    collected its state's callback removes the entry (`discard`). Inside, one
    `ClassIdentities` per (identity class, shard token), keyed by bare primary key.
    """

    __slots__ = ("_maps", "builders")

    def __init__(self) -> None:
        self._maps: dict[tuple[type, Any], ClassIdentities] = {}
        #: row builders that loading made for this map's session and keeps for its next
        #: queries (`uow_orm.orm.loading`; each entry says when it is stale)
        self.builders: dict[Any, Any] = {}

    def class_identities(self, cls: type, token: Any, single: bool) -> ClassIdentities:
        """The entries of identity class ``cls`` and shard ``token`` (made when first
        asked for, and kept: `clear` empties it in place, so a row builder may hold it)."""
        m = self._maps.get((cls, token))
        if m is None:
            m = self._maps[cls, token] = ClassIdentities(cls, token, single)
        return m

    def state_for(self, key: IdentityKey) -> InstanceState | None:
        """The state held under ``key`` (live or not), or None."""
        m = self._maps.get((key[0], key[2]))
        if m is None:
            return None
        pk = key[1]
        if m.single:
            # (a key of the wrong length for the class is nobody's: no entry matches it)
            return m.get(pk[0]) if len(pk) == 1 else None
        return m.get(pk)

    def hold(self, key: IdentityKey, state: InstanceState) -> None:
        """Hold ``state`` (whose key is ``key``) under it, replacing what was there (the
        row loader and the flush, for states whose key they just set)."""
        pk = key[1]
        m = self._maps.get((key[0], key[2]))
        if m is None:
            m = self.class_identities(key[0], key[2], len(pk) == 1)
        if m.single:
            if len(pk) != 1:  # (keys come from the mapper: this is a bug, not bad input)
                raise exc.InvalidRequestError(
                    f"identity key {key!r}: {key[0].__name__}'s primary key has one column"
                )
            ident = pk[0]
        else:
            ident = pk
        m[ident] = state
        state.held_by, state.held_as = m, ident

    def hold_all(self, states: Iterable[InstanceState]) -> None:
        """`hold` each of ``states`` under its own key (a flush's inserted objects; one
        given its bare key by the flush, a `LoadedState`, is put where it belongs)."""
        hold = self.hold
        for state in states:
            if state.__class__ is LoadedState:
                held = state.held_by
                assert held is not None
                held[state.held_as] = state
            else:
                key = state.key
                assert key is not None
                hold(key, state)

    def discard(self, state: InstanceState) -> None:
        """Forget ``state`` if it is held under its key (its object was garbage collected,
        expunged or deleted); its partner is `add`."""
        m = state.held_by
        if m is not None:
            ident = state.held_as
            if m.get(ident) is state:
                del m[ident]

    remove = discard

    def discard_all(self, states: Iterable[InstanceState]) -> None:
        """`discard` each of ``states`` (a flush's or a commit's deleted objects)."""
        for state in states:
            m = state.held_by
            if m is not None:
                ident = state.held_as
                if m.get(ident) is state:
                    del m[ident]

    def add(self, state: InstanceState, obj: Any = None) -> None:
        """Hold ``state`` under its identity key (which it must have); partner of
        `discard`."""
        key = state.key
        assert key is not None
        self.hold(key, state)

    def rekey(self, state: InstanceState, new_key: IdentityKey) -> None:
        """Move ``state`` to ``new_key``, the identity its row has in the database now.

        The invariant: an object is held under the primary key of its row, never under
        one it had before. The unit of work calls this when a flushed UPDATE changed the
        primary key (or ``ON UPDATE CASCADE`` changed it for a referencing row), and again
        with the old key when that flush or its transaction is rolled back. The entry
        under the old key goes only if it is this state's; whatever was under
        ``new_key`` is replaced (that row is this object's now).
        """
        self.discard(state)
        state.key = new_key
        self.hold(new_key, state)

    def restore(self, state: InstanceState) -> InstanceState | None:
        """Hold ``state`` again under its key: its deletion was rolled back, so its row is
        back. Returns the live state this displaces (an object loaded for that row after
        a row switch replaced it), which the caller detaches; None if there was none.
        """
        key = state.key
        assert key is not None
        current = self.state_for(key)
        self.hold(key, state)
        if current is None or current is state or current() is None:
            return None
        return current

    def get_obj(self, key: IdentityKey) -> Any:
        """The live object held under ``key``, or None."""
        st = self.state_for(key)
        return st() if st is not None else None

    def has_state(self, state: InstanceState) -> bool:
        """Whether ``state`` is the one held under its key."""
        m = state.held_by
        return m is not None and m.get(state.held_as) is state

    def states(self) -> list[InstanceState]:
        """The states whose objects are alive (a copy: garbage collection may drop
        entries while the caller iterates)."""
        return [s for s in self.all_states() if s() is not None]

    def all_states(self) -> list[InstanceState]:
        """Every held state, including ones whose object was just collected (a copy)."""
        maps = list(self._maps.values())
        if len(maps) == 1:
            return list(maps[0].values())
        out: list[InstanceState] = []
        for m in maps:
            out.extend(list(m.values()))
        return out

    def clear(self) -> None:
        """Forget every state (each class's entries are emptied in place)."""
        for m in list(self._maps.values()):
            m.clear()

    # -- Mapping ------------------------------------------------------------------------
    def __getitem__(self, key: IdentityKey) -> Any:
        obj = self.get_obj(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def __iter__(self) -> Iterator[IdentityKey]:
        keys: list[IdentityKey] = []
        for m in list(self._maps.values()):
            key_of = m.key_of
            keys.extend([key_of(i) for i, s in list(m.items()) if s() is not None])
        return iter(keys)

    def __len__(self) -> int:
        return sum(1 for s in self.all_states() if s() is not None)

    def __contains__(self, key: object) -> bool:
        return self.get_obj(key) is not None  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<IdentityMap {len(self)} objects>"


__all__ = ["ClassIdentities", "IdentityMap"]
