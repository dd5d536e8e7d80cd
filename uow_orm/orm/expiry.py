"""Column loading and expiry of persistent objects: refresh, expire, unload, is_modified.

Called by: session (``refresh``, ``expire``, ``expire_all``, ``is_modified``), seams (the
`AttributeLoader` seam attribute access uses), transaction and savepoint (expiry at commit
and rollback), bulk (synchronizing objects after ORM UPDATE / DELETE).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.selectable import Select
from . import events as _events
from .base import NO_VALUE, state_of
from .lifecycle import cascade, state_or_raise

if TYPE_CHECKING:
    from .mapper import Mapper
    from .seams import InternalSession
    from .state import InstanceState


def load_unloaded(
    session: InternalSession,
    st: InstanceState,
    key: str | None,
    keys: Sequence[str] | None = None,
    overwrite: bool = False,
    with_for_update: Any = None,
) -> None:
    """SELECT the unloaded (or the given) columns of one persistent object.

    Raises:
        ObjectDeletedError: its row is gone.
    """
    session.check_active()
    mapper = st.mapper
    obj = st()
    d = obj.__dict__
    if keys is None:
        keys = mapper.unloaded_keys(d, key)
    if not keys:
        return
    assert st.key is not None
    cols = [mapper.load_expr(k) for k in keys]
    stmt: Select[Any] = Select(*cols).where(*[c == v for c, v in zip(mapper.pk_columns, st.key[1])])
    if mapper._joined_tables is not None:  # joined-table inheritance: the chain's tables
        from .inheritance import inner_join

        stmt = stmt.select_from(inner_join(mapper))
    if with_for_update:
        stmt = stmt.with_for_update(
            **(with_for_update if isinstance(with_for_update, dict) else {})
        )
    row, procs = _column_row(session, mapper, stmt, len(keys))
    if row is None:
        raise exc.ObjectDeletedError(
            f"instance {type(obj).__name__} with identity {st.key[1]} has been deleted, "
            "or its row is otherwise not present in the database; it was probably "
            "deleted by another transaction"
        )
    committed = st.committed
    for k, v, p in zip(keys, row, procs):
        if overwrite or k not in d:
            d[k] = p(v) if p is not None and v is not None else v
            if committed and k in committed:
                del committed[k]
    if committed is not None and not committed and st.modified:
        st.clear_changes()
        session.tracker.unmark_modified(st)
    if mapper.dispatch.refresh:  # session.refresh() of everything: attrs None
        whole = overwrite and len(keys) == len(mapper.column_keys)
        _events.fire_refresh(st, session, None if whole else keys)


def _column_row(
    session: InternalSession, mapper: Mapper, stmt: Select[Any], width: int
) -> tuple[Any, list[Any]]:
    """The row of a column load and the result processors still to run on it (none when
    ``do_orm_execute`` listeners saw the load: they may answer it, with converted rows)."""
    conn = session.connection_for_mapper(mapper)
    if session.dispatch.do_orm_execute:
        run = conn.execute  # (converts the row: no processors left to run)
        result = session.relationship_load(stmt, None, run, column_load=True, mapper=mapper)
        return result.first(), [None] * width
    compiled = stmt._compiled_for(conn.dialect)
    row = conn._run(compiled.sql, compiled.construct_params()).fetchone()
    return row, compiled.result_processors or [None] * width


def refresh(
    session: InternalSession,
    obj: Any,
    attribute_names: Iterable[str] | None = None,
    with_for_update: Any = None,
) -> None:
    """Reload attributes (all by default, cascading refresh-expire) from the database.

    Raises:
        InvalidRequestError: ``obj`` is not persistent in ``session``, or a name is not a
            mapped attribute.
    """
    st = state_or_raise(obj)
    if st.key is None or st.session is not session or st.deleted:
        raise exc.InvalidRequestError(
            f"{obj!r} is not persistent within this Session (it is transient, pending, "
            "deleted or detached); only persistent objects can be refreshed"
        )
    mapper = st.mapper
    names = check_names(st, attribute_names)
    if names is None:
        cascade(session, st, "refresh-expire", lambda o: _refresh_child(session, o))
    col_keys = [k for k in (names or mapper.column_keys) if k in mapper.columns]
    rel_keys = [k for k in (names or mapper.relationships.keys()) if k in mapper.relationships]
    session.check_active()
    if mapper.dispatch.expire:  # refresh() expires, then loads (as in SQLAlchemy)
        _events.fire_expire(st, names)
    load_unloaded(session, st, None, col_keys, overwrite=True, with_for_update=with_for_update)
    unload(session, st, rel_keys)
    session.transactions.note_touched(st)


def _refresh_child(session: InternalSession, obj: Any) -> None:
    st = state_of(obj)
    if st is not None and st.session is session and st.key is not None:
        refresh(session, obj)


def check_names(st: InstanceState, attribute_names: Iterable[str] | None) -> list[str] | None:
    """``attribute_names`` as a list (None: all).

    Raises:
        InvalidRequestError: a name is not a mapped attribute.
    """
    names = list(attribute_names) if attribute_names is not None else None
    for n in names or []:
        if n not in st.mapper.attrs:
            raise exc.InvalidRequestError(f"{type(st()).__name__} has no mapped attribute {n!r}")
    return names


def expire(session: InternalSession, obj: Any, attribute_names: Iterable[str] | None) -> None:
    """Mark attributes (all by default, cascading refresh-expire) to reload on next access.

    Raises:
        InvalidRequestError: ``obj`` is not persistent in ``session``, or a name is not a
            mapped attribute.
    """
    st = state_or_raise(obj)
    if st.key is None or st.session is not session:
        raise exc.InvalidRequestError(
            f"{obj!r} is not persistent within this Session; only persistent objects can be expired"
        )
    names = check_names(st, attribute_names)
    if names is None:
        cascade(session, st, "refresh-expire", lambda o: _expire_child(session, o))
    expire_state(session, st, names)


def _expire_child(session: InternalSession, obj: Any) -> None:
    st = state_of(obj)
    if st is not None and st.session is session and st.key is not None:
        cascade(session, st, "refresh-expire", lambda o: _expire_child(session, o))
        expire_state(session, st, None)


def expire_state(session: InternalSession, st: InstanceState, names: Sequence[str] | None) -> None:
    """Drop the loaded values of ``names`` (all when None) of ``st``'s object."""
    obj = st()
    if obj is None:
        return
    d = obj.__dict__
    session.transactions.note_touched(st)
    if names is None:
        for k in st.mapper.attrs.keys():
            d.pop(k, None)
        st.clear_changes()
        session.tracker.unmark_modified(st)
        session.tracker.forget_collection_changes(st, None)
    else:
        unload(session, st, names)
    if st.mapper.dispatch.expire:
        _events.fire_expire(st, names)


def unload(session: InternalSession, st: InstanceState, keys: Iterable[str]) -> None:
    """Drop loaded values and pending changes of ``keys``; a state left without
    changes is clean again."""
    d = st().__dict__
    committed = st.committed
    keys = list(keys)
    for k in keys:
        d.pop(k, None)
        if committed:
            committed.pop(k, None)
    session.tracker.forget_collection_changes(st, keys)
    if committed is not None and not committed:
        st.clear_changes()
        session.tracker.unmark_modified(st)


def expire_all(session: InternalSession) -> None:
    """Expire every object in the session (``Session.expire_all()``)."""
    t = session.transactions.current
    if t is not None and t.nested:
        for st in session.identity_map.all_states():
            t.record.touch(st)
    expire_all_states(session)


def expire_all_states(session: InternalSession) -> None:
    """Drop every loaded value of every object (commit, rollback): they reload on access."""
    last: Any = None
    keys: list[str] = []
    for st in session.identity_map.all_states():
        obj = st()
        if obj is None:
            continue
        if st.mapper is not last:  # (the key list once per run of one class: a commit
            last = st.mapper  # expires every object)
            keys = last.attrs.keys()
        d = obj.__dict__
        for k in keys:
            d.pop(k, None)
        st.committed = None
        st.modified = False
    session.tracker.clear_modified()
    session.tracker.clear_collection_changes()
    if _events.state.expire_mappers:
        _events.fire_expire_all(session.identity_map.all_states())


def is_modified(st: InstanceState, include_collections: bool = True) -> bool:
    """True when some attribute of ``st``'s object differs from its loaded value."""
    if not st.modified or not st.committed:
        return False
    from .persistence import changed_keys

    if changed_keys(st):
        return True
    if not include_collections:
        return False
    d = st().__dict__
    rels = st.mapper.relationships
    for key, old in st.committed.items():
        if key not in rels:
            continue
        cur = d.get(key)
        if old is NO_VALUE:
            return True
        if rels[key].uselist:
            if len(old) != len(cur or []) or any(a is not b for a, b in zip(old, cur or [])):
                return True
        elif old is not cur:
            return True
    return False


__all__ = [
    "check_names",
    "expire",
    "expire_all",
    "expire_all_states",
    "expire_state",
    "is_modified",
    "load_unloaded",
    "refresh",
    "unload",
]
