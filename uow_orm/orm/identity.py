"""The identity map: one object per (class, primary key) per session.

Used by the session and loading. Objects are held weakly, so clean ones nobody refers to
are garbage collected; the session holds new, dirty and deleted objects strongly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .state import InstanceState


class IdentityMap(Mapping[tuple[Any, ...], Any]):
    """Identity key -> object; a ``Mapping`` whose values are the live objects.

    Holds the objects' states, which are weak references: when an object is garbage
    collected its state's callback removes the entry (``_discard``).
    """

    def __init__(self) -> None:
        self._states: dict[tuple[Any, ...], InstanceState] = {}

    def _discard(self, state: InstanceState) -> None:
        key = state.key
        if key is not None and self._states.get(key) is state:
            del self._states[key]

    def add(self, state: InstanceState, obj: Any = None) -> None:
        key = state.key
        assert key is not None
        self._states[key] = state

    def rekey(self, state: InstanceState, new_key: tuple[Any, ...]) -> None:
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

    def remove(self, state: InstanceState) -> None:
        key = state.key
        if key is not None and self._states.get(key) is state:
            del self._states[key]

    def state_for(self, key: tuple[Any, ...]) -> InstanceState | None:
        return self._states.get(key)

    def get_obj(self, key: tuple[Any, ...]) -> Any:
        st = self._states.get(key)
        return st() if st is not None else None

    def has_state(self, state: InstanceState) -> bool:
        return state.key is not None and self._states.get(state.key) is state

    def states(self) -> list[InstanceState]:
        return [s for s in list(self._states.values()) if s() is not None]

    def clear(self) -> None:
        self._states.clear()

    # -- Mapping ------------------------------------------------------------------------
    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        obj = self.get_obj(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter([k for k, s in list(self._states.items()) if s() is not None])

    def __len__(self) -> int:
        return sum(1 for s in list(self._states.values()) if s() is not None)

    def __contains__(self, key: object) -> bool:
        return self.get_obj(key) is not None  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<IdentityMap {len(self)} objects>"


__all__ = ["IdentityMap"]
