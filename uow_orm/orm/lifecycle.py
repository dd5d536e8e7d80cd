"""Object state transitions and the cascades that drive them: add, delete, expunge, detach.

Called by: session, seams, flush, transaction, savepoint, expiry, merge and the package
``__init__`` (``make_transient``, ``make_transient_to_detached``: public, also in
``uow_orm.orm.session`` as in SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .. import exc
from . import events as _events
from .base import STATE_ATTR, state_of

if TYPE_CHECKING:
    from .seams import InternalSession
    from .state import InstanceState
    from .transaction import SessionTransaction
    from .unitofwork import FlushPlan


def state_or_raise(obj: Any) -> InstanceState:
    """The state of a mapped object.

    Raises:
        UnmappedInstanceError: ``obj`` is not an instance of a mapped class.
    """
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(
            f"{type(obj).__name__} object {obj!r:.60} is not an instance of a mapped class; "
            "only objects of classes mapped with a declarative base can be used in a Session"
        )
    return st


# -- attach ------------------------------------------------------------------------------
def save_or_update(session: InternalSession, st: InstanceState, obj: Any) -> bool:
    """Attach ``st``; True when it was not in this session before.

    Raises:
        InvalidRequestError: the object is deleted, or belongs to another session, or
            another object has its identity here.
    """
    if st.deleted or (st.was_deleted and st.key is not None):
        raise exc.InvalidRequestError(
            f"{obj!r} has been deleted (its row is gone); it cannot be added back. "
            "Use uow_orm.make_transient(obj) first to insert it again as a new row"
        )
    if st.session is session:
        # add() of an object marked for deletion cancels the deletion (only its own:
        # what the delete cascaded to stays marked, as in SQLAlchemy)
        session.tracker.unmark_deleted(st)
        return False
    if st.session is not None:
        raise exc.InvalidRequestError(
            f"{obj!r} is already attached to another Session; expunge it there first "
            "or use merge() to copy its state into this one"
        )
    st.mapper.ensure_configured()
    if session.dispatch._active:
        session.fire("before_attach", obj)
    if st.key is None:
        st.session = session
        session.tracker.add_new(st, obj)
        if session.dispatch._active:
            session.fire("after_attach", obj)
            session.fire("transient_to_pending", obj)
        return True
    existing = session.identity_map.state_for(st.key)
    if existing is not None and existing is not st and existing() is not None:
        raise exc.InvalidRequestError(
            f"cannot attach {obj!r}: another object with identity key {st.key[1]} is "
            "already in this session; use session.merge() to combine them"
        )
    st.session = session
    session.identity_map.add(st, obj)
    if st.modified:
        session.tracker.mark_modified(st, obj)
    session.transactions.note_touched(st)  # its values are not the savepoint's to restore
    if session.dispatch._active:
        session.fire("after_attach", obj)
        session.fire("detached_to_persistent", obj)
    return True


def cascade_save(session: InternalSession, obj: Any) -> None:
    """Attach ``obj`` and, when it is new here, its ``save-update`` cascade."""
    try:
        st = obj.__dict__[STATE_ATTR]  # = state_of(obj), once per related object
    except (AttributeError, KeyError):
        raise exc.UnmappedInstanceError(f"{obj!r} is not a mapped object") from None
    if st.session is session:
        return
    if st.session is None and st.key is None and not session.dispatch._active:
        # = save_or_update for a transient object nobody listens to (session.add's case;
        # a transient state is never deleted): a child reached from a new parent
        registry = st.mapper.registry
        if not registry.configured:
            registry.configure()
        st.session = session
        session.tracker.add_new(st, obj)
    elif not save_or_update(session, st, obj):
        return
    if not st.mapper.relationships:
        return
    # = cascade(session, st, "save-update", session.cascade_save), skipping without a call
    # the objects already in the session (the parent of a child reached from it)
    d = obj.__dict__
    for prop in dict.values(st.mapper.relationships):
        if "save-update" not in prop.cascade or prop.key not in d:
            continue
        value = d[prop.key]
        if not prop.uselist:
            if value is not None:
                try:
                    vst = value.__dict__[STATE_ATTR]
                except (AttributeError, KeyError):
                    vst = None
                if vst is None or vst.session is not session:
                    cascade_save(session, value)
            continue
        for item in list(value):
            cascade_save(session, item)


def cascade(
    session: InternalSession,
    st: InstanceState,
    name: str,
    fn: Callable[[Any], None],
    load: bool = False,
) -> None:
    """Call ``fn`` on each object related to ``st`` along relationships with cascade
    ``name`` (loading unloaded ones when ``load``, except passive deletes)."""
    obj = st()
    if obj is None:
        return
    d = obj.__dict__
    # dict.values(): Properties.values() builds a list (SQLAlchemy's API); hot loop
    for prop in dict.values(st.mapper.relationships):
        if name not in prop.cascade:
            continue
        if prop.key in d:
            value = d[prop.key]
        elif (
            load
            and st.key is not None
            and st.session is session
            and not (prop.passive_deletes and name == "delete")
        ):
            value = getattr(obj, prop.key)
        else:
            continue
        items = list(value) if prop.uselist else ([value] if value is not None else [])
        for item in items:
            fn(item)


def object_changed(session: InternalSession, st: InstanceState) -> None:
    """An object's first change: a persistent one is registered as modified.

    A change to a persistent object begins the session's transaction (as in SQLAlchemy),
    so that ``rollback()`` covers it even when it comes right after a commit; inside a
    savepoint the object is snapshot first.
    """
    if st.key is not None:
        session.tracker.mark_modified(st, st())
        transactions = session.transactions
        t = transactions.current
        if t is None:
            transactions.autobegin()
        elif t.nested:
            t.record.snapshot(st)


# -- delete ------------------------------------------------------------------------------
def delete_cascade(session: InternalSession, st: InstanceState) -> None:
    """Mark ``st`` deleted, then what its ``delete`` cascade reaches. The caller runs it
    under ``session.no_autoflush``: loading children must not flush this delete early."""
    if st in session.tracker.deleted or st.deleted:
        return
    session.tracker.mark_deleted(st, st())
    t = session.transactions.current
    if t is not None and t.nested:  # = transactions.snapshot(st), only inside a savepoint
        t.record.snapshot(st)
    if st.mapper.relationships:
        cascade(session, st, "delete", lambda o: _delete_child(session, o), load=True)


def _delete_child(session: InternalSession, obj: Any) -> None:
    st = state_or_raise(obj)
    if st.key is None:
        # a pending child of a deleted parent is simply never inserted
        if st.session is session:
            expunge_state(session, st)
        return
    if st.session is None:
        save_or_update(session, st, obj)
    delete_cascade(session, st)


# -- flush results ------------------------------------------------------------------------
def flush_succeeded(session: InternalSession, plan: FlushPlan, txn: SessionTransaction) -> None:
    """The flush succeeded: inserted objects are persistent, deleted ones deleted."""
    tracker = session.tracker
    session.identity_map.hold_all(plan.inserted)
    txn_new = txn.new
    for st, obj in zip(plan.inserted, tracker.take_new(plan.inserted)):
        if obj is None:
            obj = st()
        txn_new[st] = obj
        st.committed = None
        st.modified = False
    if plan.deleted_done:
        session.identity_map.discard_all(plan.deleted_done)
        txn_deleted = txn.deleted
        for st, obj in zip(plan.deleted_done, tracker.take_deleted(plan.deleted_done)):
            st.deleted = True
            txn_deleted[st] = obj or st()
    if plan.keys is not None and (plan.moves or plan.old_keys):  # (primary-key changes)
        plan.finish_key_changes(txn)
    only = plan.only
    if only is None:
        if tracker.modified:
            for st in tracker.modified:
                st.committed = None  # = st.clear_changes(), once per updated row
                st.modified = False
            tracker.clear_modified()
        if tracker.deleted:
            tracker.clear_deleted()
        if tracker.collections:
            tracker.clear_collection_changes()  # the rows now say the same
        return
    for st in list(tracker.modified):
        if st in only:
            st.clear_changes()
            tracker.unmark_modified(st)


def flush_failed(session: InternalSession, plan: FlushPlan) -> None:
    """The flush failed: forget the keys given to rows that no longer exist."""
    for st in plan.inserted:
        if st in session.tracker.new:
            st.key = None
    if plan.old_keys:
        plan.undo_key_changes()


# -- expunge, detach, transient -----------------------------------------------------------
def expunge_cascade(session: InternalSession, st: InstanceState) -> None:
    """Remove ``st`` and its ``expunge`` cascade from the session."""
    expunge_state(session, st)
    cascade(session, st, "expunge", lambda o: _expunge_child(session, o))


def _expunge_child(session: InternalSession, obj: Any) -> None:
    st = state_of(obj)
    if st is not None and st.session is session:
        expunge_cascade(session, st)


def expunge_state(session: InternalSession, st: InstanceState) -> None:
    """Remove ``st`` (only it) from the session; a flushed deletion makes it detached."""
    if session.dispatch._active:
        _events.fire_detach(session, [st])
    session.tracker.forget(st)
    session.identity_map.discard(st)
    st.session = None
    if st.deleted:  # its DELETE was flushed: detached, and known to be deleted
        st.deleted = False
        st.was_deleted = True


def expunge_all(session: InternalSession) -> None:
    """Detach every object of the session."""
    tracker = session.tracker
    if session.dispatch._active:
        _events.fire_detach(
            session, [*session.identity_map.all_states(), *tracker.new, *tracker.deleted]
        )
    for st in session.identity_map.all_states():
        st.session = None
        if st.deleted:
            st.deleted = False
            st.was_deleted = True
    for st in [*tracker.new, *tracker.deleted, *tracker.modified]:
        st.session = None
    session.identity_map.clear()
    tracker.clear()


def detach(session: InternalSession, st: InstanceState) -> None:
    """``st`` leaves the session's identity map (a committed deletion, a displaced row)."""
    session.identity_map.discard(st)
    session.tracker.unmark_modified(st)
    st.session = None


def detach_all(session: InternalSession, states: list[InstanceState]) -> None:
    """`detach` each of ``states`` (a commit's deleted objects)."""
    session.identity_map.discard_all(states)
    session.tracker.unmark_modified_all(states)
    for st in states:
        st.session = None


def make_transient_state(session: InternalSession, st: InstanceState) -> None:
    """``st`` forgets its row: out of the session, no identity key, no changes."""
    session.tracker.forget(st)
    session.identity_map.discard(st)
    if st.session is session:
        st.session = None
    st.key = None
    st.deleted = False
    st.clear_changes()


def make_transient(obj: Any) -> None:
    """Make a persistent, pending or detached object transient, as SQLAlchemy's
    ``make_transient``: it leaves its session and forgets its identity key and its pending
    changes; the attribute values it holds stay (expired ones are not loaded). Adding it
    to a session again makes it pending: the next flush INSERTs it. Fires
    ``persistent_to_transient`` for a persistent object.

    Raises:
        UnmappedInstanceError: ``obj`` is not an instance of a mapped class.
    """
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(f"{obj!r} is not mapped")
    if st.session is not None:
        if st.key is not None and st.session.dispatch.persistent_to_transient:
            _events.fire_each(st.session, "persistent_to_transient", [st])
        # the attribute history stays, as in SQLAlchemy (a versioning recipe reads it)
        committed, modified, had_key = st.committed, st.modified, st.key is not None
        # an object's session is a Session, which has the members its internals use
        make_transient_state(cast("InternalSession", st.session), st)
        if had_key:
            st.committed, st.modified = committed, modified
            st.history_kept = True
    st.key = None
    st.deleted = False
    st.was_deleted = False


def make_transient_to_detached(obj: Any) -> None:
    """Turn a transient object into a detached one, as if it had been loaded and its
    session closed: its identity key comes from its primary key attributes, its changes
    are forgotten, so ``session.add()`` makes it persistent and a later change is flushed
    as an UPDATE of that row. Attributes it has no value for load on access once it is
    in a session.

    Raises `uow_orm.exc.UnmappedInstanceError` for an unmapped object,
    `uow_orm.exc.InvalidRequestError` when it is not transient or a primary key attribute
    is unset.
    """
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(f"{obj!r} is not mapped")
    if st.session is not None or st.key is not None:
        raise exc.InvalidRequestError(f"make_transient_to_detached(): {obj!r} is not transient")
    mapper = st.mapper
    pk = tuple(obj.__dict__.get(k) for k in mapper.pk_keys)
    if any(v is None for v in pk):
        raise exc.InvalidRequestError(
            f"make_transient_to_detached(): {obj!r} has no value for its primary key "
            f"({', '.join(mapper.pk_keys)})"
        )
    st.key = mapper.identity_key_from_pk(pk)
    st.clear_changes()
    st.deleted = False
    st.was_deleted = False


__all__ = [
    "cascade",
    "cascade_save",
    "delete_cascade",
    "detach",
    "detach_all",
    "expunge_all",
    "expunge_cascade",
    "expunge_state",
    "flush_failed",
    "flush_succeeded",
    "make_transient",
    "make_transient_state",
    "make_transient_to_detached",
    "object_changed",
    "save_or_update",
    "state_or_raise",
]
