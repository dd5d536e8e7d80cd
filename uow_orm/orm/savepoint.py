"""Savepoint snapshots and their restore: what ``begin_nested()`` rollback does in memory.

Called by: transaction (a savepoint level takes snapshots, merges them into its parent and
restores them). The database side of a savepoint is the engine's; this is the objects' side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import NO_VALUE, STATE_ATTR, Direction
from .expiry import expire_state
from .lifecycle import detach, make_transient_state

if TYPE_CHECKING:
    from .identity import IdentityMap
    from .seams import InternalSession
    from .state import InstanceState


@dataclass(slots=True)
class Snapshot:
    """One object's values when it first changed inside a savepoint."""

    #: the object's ``__dict__`` (collections copied), without its state
    values: dict[str, Any]
    #: its pre-change values at that time (`InstanceState.committed`), or None
    committed: dict[str, Any] | None


def take_snapshot(state: InstanceState) -> Snapshot | None:
    """The `Snapshot` of ``state``'s object now (None when it was garbage collected);
    its partner is `SavepointRecord.restore`."""
    obj = state()
    if obj is None:
        return None
    values = {
        k: (list(v) if isinstance(v, list) else v)
        for k, v in obj.__dict__.items()
        if k != STATE_ATTR
    }
    return Snapshot(values, dict(state.committed) if state.committed else None)


@dataclass(slots=True, init=False)
class SavepointRecord:
    """What one savepoint level knows about objects, for rolling it back in memory."""

    snapshots: dict[InstanceState, Snapshot]
    # objects whose loaded values may have been read inside this savepoint (expired,
    # refreshed, attached or synchronized by bulk DML before any snapshot of theirs)
    touched: set[InstanceState]
    bulk_dml: bool  # an ORM UPDATE / DELETE statement ran inside this savepoint

    def __init__(self) -> None:
        # written out: the generated __init__ with default factories cost more than the
        # rest of a savepoint's bookkeeping (one record per level)
        self.snapshots = {}
        self.touched = set()
        self.bulk_dml = False

    def snapshot(self, state: InstanceState) -> None:
        """Snapshot ``state`` on its first change inside the savepoint. A touched object's
        values may come from inside the savepoint: no snapshot, the rollback expires it."""
        if state not in self.snapshots and state not in self.touched:
            snap = take_snapshot(state)
            if snap is not None:
                self.snapshots[state] = snap

    def touch(self, state: InstanceState) -> None:
        """``state``'s loaded values may be read inside the savepoint (see ``touched``)."""
        if state not in self.snapshots:
            self.touched.add(state)

    def merge_into(self, parent: SavepointRecord) -> None:
        """Released savepoint: the enclosing savepoint takes over what it knew. The
        parent's snapshots are older, hence still right; an inner snapshot of an object
        touched in the parent holds values read inside the parent."""
        psnaps = parent.snapshots
        ptouched = parent.touched
        for st in self.touched:
            if st not in psnaps:
                ptouched.add(st)
        for st, snap in self.snapshots.items():
            if st not in psnaps and st not in ptouched:
                psnaps[st] = snap
        parent.bulk_dml = parent.bulk_dml or self.bulk_dml

    def clear(self) -> None:
        """Forget everything (the savepoint ended)."""
        self.snapshots.clear()
        self.touched.clear()
        self.bulk_dml = False


def restore_savepoint(
    session: InternalSession,
    record: SavepointRecord,
    new: dict[InstanceState, Any],
    deleted: dict[InstanceState, Any],
) -> None:
    """Undo in memory what happened inside a savepoint (the database already is).

    Objects changed inside get back the column values of their snapshot. Everything
    that may hold values read inside the savepoint is expired instead and reloads on
    access: objects touched inside, another object now standing for a row written
    inside (the one that wrote it was expunged), everything after an ORM bulk
    UPDATE / DELETE, the relationships of the restored objects and, on the other side
    of each relationship, what linked to a row written inside. ``new`` and ``deleted``
    are what the savepoint level inserted and deleted.
    """
    imap = session.identity_map
    tracker = session.tracker
    # rows written inside (a touched object may have been changed and flushed too)
    written = [*record.snapshots, *record.touched, *new, *deleted, *tracker.new]
    written_keys = [(st, st.key) for st in written if st.key is not None]
    links: list[tuple[Any, str]] = []
    for st in written:
        obj = st()
        if obj is not None:
            _links(st, obj.__dict__, imap, links)
        snap = record.snapshots.get(st)
        if snap is not None:
            _links(st, snap.values, imap, links)
    # objects inserted inside, and objects still pending: back to transient
    for st in list(new) + list(tracker.new):
        make_transient_state(session, st)
    restore_deleted(session, deleted)
    for st, snap in record.snapshots.items():
        _restore_snapshot(session, st, snap, links)
    expire = {st for st in record.touched if st not in record.snapshots}
    for st, key in written_keys:
        current = imap.state_for(key)
        if current is not None and current is not st:
            expire.add(current)
    if record.bulk_dml:
        expire.update(imap.all_states())
    for st in expire:
        if st.session is session:
            expire_state(session, st, None)
    for obj, attr in links:
        other = getattr(obj, "__dict__", {}).get(STATE_ATTR)
        if other is not None and other.session is session and other.key is not None:
            obj.__dict__.pop(attr, None)


def restore_deleted(session: InternalSession, deleted: dict[InstanceState, Any]) -> None:
    """Objects whose DELETE is rolled back are persistent again (an object the user
    expunged after its DELETE stays out: a detached object whose row exists again)."""
    imap = session.identity_map
    for st, obj in deleted.items():
        st.deleted = False
        if st.session is not session:
            st.was_deleted = False
            continue
        if st.key is not None and obj is not None:
            displaced = imap.restore(st)  # a row switch's successor may hold its key
            if displaced is not None:
                detach(session, displaced)
            st.session = session
    session.tracker.clear_deleted()


def _restore_snapshot(
    session: InternalSession, st: InstanceState, snap: Snapshot, links: list[tuple[Any, str]]
) -> None:
    """Give ``st``'s object back the column values (and pending changes) of ``snap``."""
    obj = st()
    if obj is None or st.session is not session:
        return
    rels = st.mapper.relationships
    od = obj.__dict__
    for key in list(od):
        if key != STATE_ATTR and key in st.mapper.attrs:
            del od[key]
    for key, value in snap.values.items():
        if key not in rels:
            od[key] = value
    committed = snap.committed
    if committed:
        committed = {k: v for k, v in committed.items() if k not in rels}
    st.committed = committed or None
    st.modified = bool(committed)
    if st.modified:
        session.tracker.mark_modified(st, obj)
    else:
        session.tracker.unmark_modified(st)
    _links(st, od, session.identity_map, links)


def _links(
    st: InstanceState, d: dict[str, Any], imap: IdentityMap, out: list[tuple[Any, str]]
) -> None:
    """Collect (object, attribute) for the other side of each relationship in ``d``.

    ``d`` holds values of ``st``'s object: the objects in its relationships and, for a
    many-to-one, the object in the identity map that its foreign key names.
    """
    for prop in st.mapper.relationships.values():
        rev = prop.reverse
        if rev is None:
            continue
        value = d.get(prop.key)
        if prop.uselist:
            out.extend((o, rev.key) for o in value or ())
        elif value is not None and value is not NO_VALUE:
            out.append((value, rev.key))
        if prop.direction is Direction.MANYTOONE:
            pairs = prop.local_remote_pairs
            pk_cols = prop.mapper.pk_columns
            if len(pairs) != len(pk_cols) or any(
                rc is not pc for (_, rc), pc in zip(pairs, pk_cols)
            ):
                continue
            to_key = prop.parent.column_to_key
            fk = tuple(d.get(to_key[lc], NO_VALUE) for lc, _ in pairs)
            if any(v is None or v is NO_VALUE for v in fk):
                continue
            token = st.key[2] if st.key is not None else None  # (its shard, if sharded)
            target = imap.get_obj(prop.mapper.identity_key_from_pk(fk, token))
            if target is not None:
                out.append((target, rev.key))


__all__ = ["SavepointRecord", "Snapshot", "restore_deleted", "restore_savepoint", "take_snapshot"]
