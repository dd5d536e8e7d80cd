"""The identity map: one object per (class, primary key) per session.

Used by the session and loading. Objects are held weakly, so clean ones nobody refers to
are garbage collected; the session holds new, dirty and deleted objects strongly.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from .state import InstanceState


class _StateRef(weakref.ref):  # type: ignore[type-arg]
    __slots__ = ("state",)
    state: InstanceState


class IdentityMap(Mapping[tuple[Any, ...], Any]):
    """Identity key -> object; a ``Mapping`` whose values are the live objects."""

    def __init__(self) -> None:
        self._states: dict[tuple[Any, ...], InstanceState] = {}
        self._refs: dict[tuple[Any, ...], _StateRef] = {}

    def _gone(self, ref: _StateRef) -> None:
        state = ref.state
        key = state.key
        if key is not None and self._refs.get(key) is ref:
            del self._refs[key]
            del self._states[key]

    def add(self, state: InstanceState, obj: Any) -> None:
        key = state.key
        assert key is not None
        ref = _StateRef(obj, self._gone)
        ref.state = state
        self._states[key] = state
        self._refs[key] = ref

    def remove(self, state: InstanceState) -> None:
        key = state.key
        if key is not None and self._states.get(key) is state:
            del self._states[key]
            del self._refs[key]

    def state_for(self, key: tuple[Any, ...]) -> InstanceState | None:
        return self._states.get(key)

    def get_obj(self, key: tuple[Any, ...]) -> Any:
        ref = self._refs.get(key)
        return ref() if ref is not None else None

    def has_state(self, state: InstanceState) -> bool:
        return state.key is not None and self._states.get(state.key) is state

    def states(self) -> list[InstanceState]:
        return [s for s in list(self._states.values()) if s.obj_ref() is not None]

    def clear(self) -> None:
        self._states.clear()
        self._refs.clear()

    # -- Mapping ------------------------------------------------------------------------
    def __getitem__(self, key: tuple[Any, ...]) -> Any:
        obj = self.get_obj(key)
        if obj is None:
            raise KeyError(key)
        return obj

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter([k for k, r in list(self._refs.items()) if r() is not None])

    def __len__(self) -> int:
        return sum(1 for r in list(self._refs.values()) if r() is not None)

    def __contains__(self, key: object) -> bool:
        return self.get_obj(key) is not None  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<IdentityMap {len(self)} objects>"


__all__ = ["IdentityMap"]
