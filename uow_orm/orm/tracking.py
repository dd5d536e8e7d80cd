"""The session's registries of new, deleted and modified objects, and their only writer.

Called by: session (which owns the `Tracker` and derives from `SessionViews`); seams names
the type. The session's internals reach the tracker as ``session.tracker``
(`.seams.InternalSession`), the layers below the session through the narrower
`.base.ChangeRegistry`: readers see read-only mappings, every change goes through a
`Tracker` method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .. import exc
from .base import state_of

if TYPE_CHECKING:
    from .seams import InternalSession
    from .state import InstanceState

#: Queued changes of one unloaded collection: (appended?, object) in order.
CollectionChanges = list[tuple[bool, Any]]


class Tracker:
    """What the next flush must write: state -> object for new, deleted and modified objects.

    Also holds backref changes to collections that are not loaded yet, applied when they
    load (state -> collection key -> changes); emptied by a flush (the rows then say the
    same) and by expiry of the owner. The mappings are insertion-ordered, so the flush sees
    new objects in the order they were added.

    The three registering writers are the registries' own ``__setitem__`` (they run once
    per added, changed or deleted object, and a bound C method costs no Python call):
    ``add_new(st, obj)`` registers ``obj`` as pending (the next flush INSERTs it; partner
    `pop_new`), ``mark_modified(st, obj)`` as changed (the next flush UPDATEs what changed;
    partner `unmark_modified`), ``mark_deleted(st, obj)`` for DELETE at the next flush
    (partner `unmark_deleted`).
    """

    __slots__ = (
        "_collections",
        "_deleted",
        "_modified",
        "_new",
        "add_new",
        "collections",
        "deleted",
        "mark_deleted",
        "mark_modified",
        "modified",
        "new",
    )

    def __init__(self) -> None:
        self._new: dict[InstanceState, Any] = {}
        self._deleted: dict[InstanceState, Any] = {}
        self._modified: dict[InstanceState, Any] = {}
        self._collections: dict[InstanceState, dict[str, CollectionChanges]] = {}
        #: Read-only views of the registries (the same dicts: no copy per read).
        self.new: Mapping[InstanceState, Any] = self._new
        self.deleted: Mapping[InstanceState, Any] = self._deleted
        self.modified: Mapping[InstanceState, Any] = self._modified
        self.collections: Mapping[InstanceState, Mapping[str, CollectionChanges]] = (
            self._collections
        )
        self.add_new: Callable[[InstanceState, Any], None] = self._new.__setitem__
        self.mark_modified: Callable[[InstanceState, Any], None] = self._modified.__setitem__
        self.mark_deleted: Callable[[InstanceState, Any], None] = self._deleted.__setitem__

    def has_changes(self) -> bool:
        """Whether a flush has anything to do."""
        return bool(self._new or self._deleted or self._modified)

    # -- writers ----------------------------------------------------------------------
    def pop_new(self, st: InstanceState) -> Any:
        """Unregister a pending object; returns it (None when it was not pending)."""
        return self._new.pop(st, None)

    def unmark_deleted(self, st: InstanceState) -> Any:
        """Cancel a registered deletion; returns the object (None when there was none)."""
        return self._deleted.pop(st, None)

    def unmark_modified(self, st: InstanceState) -> None:
        """``st`` has no unflushed changes any more."""
        self._modified.pop(st, None)

    def unmark_modified_all(self, states: Iterable[InstanceState]) -> None:
        """`unmark_modified` each of ``states``."""
        modified = self._modified
        if modified:
            pop = modified.pop
            for st in states:
                pop(st, None)

    def take_new(self, states: Iterable[InstanceState]) -> list[Any]:
        """Unregister these pending objects (their INSERT was flushed); returns their
        objects in order (None for one that was not pending)."""
        pop = self._new.pop
        return [pop(st, None) for st in states]

    def take_deleted(self, states: Iterable[InstanceState]) -> list[Any]:
        """Unregister these deleted objects (their DELETE was flushed) from the deleted
        and modified registries; returns their objects in order (None for one that was
        not registered)."""
        pop = self._deleted.pop
        out = [pop(st, None) for st in states]
        if self._modified:
            forget = self._modified.pop
            for st in states:
                forget(st, None)
        return out

    def forget(self, st: InstanceState) -> None:
        """Drop ``st`` from every registry (expunged, or made transient)."""
        self._new.pop(st, None)
        self._deleted.pop(st, None)
        self._modified.pop(st, None)
        if self._collections:
            self._collections.pop(st, None)

    def clear_deleted(self) -> None:
        """Empty the deleted registry (a flush wrote the deletions, or they were undone)."""
        self._deleted.clear()

    def clear_modified(self) -> None:
        """Empty the modified registry (every object was expired, or a flush wrote every
        change)."""
        self._modified.clear()

    def clear(self) -> None:
        """Empty every registry (``expunge_all()``)."""
        self._new.clear()
        self._deleted.clear()
        self._modified.clear()
        self._collections.clear()

    # -- collection changes queued for unloaded collections ------------------------------
    def queue_collection_change(
        self, st: InstanceState, key: str, obj: Any, appended: bool
    ) -> None:
        """Remember that the unloaded collection ``key`` of ``st`` gained (``appended``)
        or lost ``obj`` through the other side of the relationship."""
        self._collections.setdefault(st, {}).setdefault(key, []).append((appended, obj))

    def apply_collection_changes(self, st: InstanceState, key: str, coll: list[Any]) -> None:
        """Apply the queued changes of collection ``key`` to its freshly loaded ``coll``
        (called by loading; the changes are not history: the other side carries them)."""
        per_key = self._collections.get(st)
        if per_key is None:
            return
        changes = per_key.pop(key, None)
        if not per_key:
            del self._collections[st]
        for appended, obj in changes or ():
            present = next((i for i, x in enumerate(coll) if x is obj), None)
            if appended and present is None:
                list.append(coll, obj)
            elif not appended and present is not None:
                list.__delitem__(coll, present)

    def forget_collection_changes(self, st: InstanceState, keys: Iterable[str] | None) -> None:
        """Drop queued collection changes of ``st`` (all, or of ``keys``): it was expired,
        expunged or made transient."""
        per_key = self._collections.get(st)
        if per_key is None:
            return
        if keys is None:
            del self._collections[st]
            return
        for k in keys:
            per_key.pop(k, None)
        if not per_key:
            del self._collections[st]

    def clear_collection_changes(self) -> None:
        """Drop every queued collection change (a flush made the rows say the same)."""
        self._collections.clear()


class ObjectSet:
    """``session.new`` / ``dirty`` / ``deleted``: objects, compared by identity (what
    SQLAlchemy calls an ``IdentitySet``)."""

    __slots__ = ("_objs",)

    def __init__(self, objs: Iterable[Any]) -> None:
        self._objs = [o for o in objs if o is not None]

    def __contains__(self, obj: object) -> bool:
        return any(o is obj for o in self._objs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._objs)

    def __len__(self) -> int:
        return len(self._objs)

    def __bool__(self) -> bool:
        return bool(self._objs)

    def __repr__(self) -> str:
        return f"IdentitySet({self._objs!r})"


class SessionViews:
    """``session.new`` / ``dirty`` / ``deleted``, ``obj in session`` and ``iter(session)``
    (a base class of `Session`)."""

    @property
    def new(self: InternalSession) -> ObjectSet:
        """The pending objects (added, not yet flushed)."""
        return ObjectSet(st() for st in self.tracker.new)

    @property
    def dirty(self: InternalSession) -> ObjectSet:
        """The persistent objects with changed attributes (not marked for deletion)."""
        return ObjectSet(
            st()
            for st in self.tracker.modified
            if st.key is not None and not st.deleted and st not in self.tracker.deleted
        )

    @property
    def deleted(self: InternalSession) -> ObjectSet:
        """The objects marked for deletion at the next flush."""
        return ObjectSet(st() for st in self.tracker.deleted)

    def __contains__(self: InternalSession, obj: object) -> bool:
        """Whether ``obj`` is pending, persistent or marked deleted in this session.

        Raises:
            UnmappedInstanceError: ``obj`` is not mapped.
        """
        st = state_of(obj)
        if st is None:
            raise exc.UnmappedInstanceError(f"{type(obj).__name__} is not a mapped class")
        if st.session is not self:
            return False
        tracker = self.tracker
        return st in tracker.new or self.identity_map.has_state(st) or st in tracker.deleted

    def __iter__(self: InternalSession) -> Iterator[Any]:
        """The pending objects, then every object of the identity map."""
        seen = [st() for st in self.tracker.new]
        seen.extend(self.identity_map.values())
        return iter(seen)


__all__ = ["CollectionChanges", "ObjectSet", "SessionViews", "Tracker"]
