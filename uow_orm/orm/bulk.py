"""ORM-enabled INSERT / UPDATE / DELETE statements and the bulk_* methods.

Called by: session (the ``bulk_*`` methods), execution (``execute()`` of ORM DML). Objects of the
session that a statement touches are brought in line: the affected primary keys come back
through RETURNING and the matching objects in the identity map are updated (literal
values) or expired (SQL expressions), or, for DELETE, marked deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..engine.result import Result
from ..sql.dml import Delete, DMLStatement, Insert, Update
from ..sql.elements import BindParameter, ClauseElement
from . import persistence
from .base import state_of
from .expiry import expire_state, unload
from .joined_flush import insert_joined_rows, joined_write, update_joined_rows
from .lookup import mapper_of_class

if TYPE_CHECKING:
    from .mapper import Mapper
    from .seams import InternalSession
    from .state import InstanceState


def _mapper_for(stmt: DMLStatement) -> Mapper | None:
    entity = stmt.entity
    if entity is not None:
        return getattr(entity, "__mapper__", None)
    return None


def execute_dml(session: InternalSession, stmt: DMLStatement, params: Any) -> Result:
    mapper = _mapper_for(stmt)
    bind = session.get_bind(mapper.class_ if mapper is not None else None, clause=stmt)
    conn = session.connection_for_bind(bind)
    many = isinstance(params, Sequence) and not isinstance(params, (str, bytes)) and bool(params)
    if mapper is None:
        return conn.execute(stmt, params)
    pk_cols = mapper.pk_columns
    if mapper._union is not None and isinstance(stmt, (Update, Delete)):
        from .joined_flush import check_union_dml

        check_union_dml(mapper, stmt)
    if mapper._joined_tables is not None and isinstance(stmt, Insert):
        from .joined_flush import joined_insert_rows

        rows = joined_insert_rows(mapper, stmt, params, many)
        return _insert_joined(session, conn, mapper, stmt, rows)
    if mapper._joined_tables is not None and (many or not isinstance(stmt, Insert)):
        from .joined_flush import check_joined_dml

        pk_cols = check_joined_dml(mapper, stmt)  # its own table's key columns
    options = stmt._execution_options
    # synchronize_session=False: the rows change, the session's objects are left as they are
    sync = not isinstance(stmt, Insert) and options.get("synchronize_session") is not False
    if isinstance(stmt, Update) and many and stmt._values is None and not stmt._where:
        bulk_update_mappings(session, mapper, list(params), synchronize=sync)
        return Result([], [], rowcount=len(params))
    if isinstance(stmt, Insert) and params and not options.get("render_nulls"):
        params = _without_nulls(params, many)
    if isinstance(stmt, Insert) and many and mapper._poly_key is not None:
        params = _with_identity(mapper, params)
    if stmt._returning and (many or any(_is_entity(r) for r in stmt._returning)):
        return _execute_returning_entities(session, mapper, stmt, params, conn, many, sync)
    if not sync and not isinstance(stmt, Insert):
        return conn.execute(stmt, params)
    if isinstance(stmt, Insert) and many and len({frozenset(p) for p in params}) > 1:
        # dicts with different keys: one executemany per run of the same keys, in order
        total = 0
        for run in _runs_by_keys(params):
            total += max(conn.execute(stmt, run).rowcount, 0)
        return Result([], [], rowcount=total)
    if isinstance(stmt, Insert) or many or stmt._returning:
        result = conn.execute(stmt, params)
        if getattr(stmt, "_on_conflict", None) is not None:
            _expire_class(session, mapper, stmt)  # an upsert may have changed loaded rows
        if isinstance(stmt, (Update, Delete)) and not isinstance(stmt, Insert):
            _expire_class(session, mapper, stmt)
        return result
    # UPDATE / DELETE: learn which rows were hit, then fix the objects we hold
    pk_stmt = stmt.returning(*pk_cols)
    result = conn.execute(pk_stmt, params)
    keys = [tuple(r) for r in result.tuples()]
    if isinstance(stmt, Update):
        _sync_update(session, mapper, stmt, keys)
    else:
        _sync_delete(session, mapper, keys)
    return Result([], [], rowcount=len(keys))


def _insert_joined(
    session: InternalSession, conn: Any, mapper: Mapper, stmt: Insert, rows: list[Any]
) -> Result:
    """ORM INSERT of a joined-table subclass: the rows (attribute dicts) go in table by
    table (base table first, its generated keys copied on; None-valued keys left out, so
    that defaults apply, unless ``render_nulls``); with ``returning(...)`` the entities
    and columns named are read back by primary key, in the order of the rows."""
    render_nulls = bool(stmt._execution_options.get("render_nulls"))
    bulk_insert_mappings(session, mapper, rows, True, render_nulls=render_nulls)
    if not stmt._returning:
        return Result([], [], rowcount=len(rows))
    from .joined_flush import returned_rows

    return returned_rows(session, conn, mapper, stmt._returning, rows)


def _without_nulls(params: Any, many: bool) -> Any:
    """The parameter sets of an ORM INSERT with None-valued keys left out, so that the
    column's default (Python or server side) applies, as in SQLAlchemy; the statement's
    ``render_nulls=True`` execution option sends NULL instead."""
    if many:
        if not any(v is None for p in params for v in p.values()):
            return params
        return [{k: v for k, v in p.items() if v is not None} for p in params]
    if isinstance(params, Mapping) and any(v is None for v in params.values()):
        return {k: v for k, v in params.items() if v is not None}
    return params


def _with_identity(mapper: Mapper, params: Sequence[Mapping[str, Any]]) -> Any:
    """Parameter dicts of an ORM bulk INSERT of a class with a polymorphic identity get
    its discriminator value (as SQLAlchemy's bulk INSERT does)."""
    key, ident = mapper._poly_key, mapper.polymorphic_identity
    if key is None or ident is None:
        return params
    return [p if key in p else {**p, key: ident} for p in params]


def _runs_by_keys(params: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Consecutive parameter sets grouped by their key sets (order kept)."""
    runs: list[list[Mapping[str, Any]]] = []
    for p in params:
        if runs and set(runs[-1][0]) == set(p):
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _is_entity(obj: Any) -> bool:
    return isinstance(obj, type) and hasattr(obj, "__mapper__")


def _execute_returning_entities(
    session: InternalSession,
    mapper: Mapper,
    stmt: DMLStatement,
    params: Any,
    conn: Any,
    many: bool,
    sync: bool = True,
) -> Result:
    """INSERT / UPDATE / DELETE ... RETURNING: returned entities become identity-mapped
    objects (refreshed with the returned values), one row per parameter set, in order.
    ``sync`` False (``synchronize_session=False``): other objects are left as they are."""
    from .loading import _value_getter, instance_builder

    dialect = conn.dialect
    raw: list[Any] = []
    if many:
        # one statement per run of parameter sets with the same keys, rows in order
        for run in _runs_by_keys(params):
            compiled = stmt._with_params(run[0])._compiled_for(dialect)
            raw.extend(
                r
                for r in conn._executemany_returning(
                    compiled.sql, [compiled.construct_params(p) for p in run]
                )
                if r is not None
            )
    else:
        compiled = stmt._with_params(params or {})._compiled_for(dialect)
        cursor = conn._run(compiled.sql, compiled.construct_params(params))
        raw = cursor.fetchall()
    if isinstance(stmt, (Update, Delete)) and sync:
        _expire_class(session, mapper, stmt)
    builders = []
    keys: list[str] = []
    pos = 0
    for item in stmt._returning:
        if _is_entity(item):
            m = item.__mapper__
            builders.append(instance_builder(session, m, pos, dialect.name, True))
            keys.append(item.__name__)
            pos += len(m.column_list)
        else:
            col = stmt._returning_columns()[pos]
            builders.append(_value_getter(pos, col.type._result(dialect.name)))
            keys.append(getattr(col, "key", None) or f"col_{pos}")
            pos += 1
    rows = [tuple(b(r) for b in builders) for r in raw]
    if isinstance(stmt, Delete) and sync:
        _sync_delete(
            session,
            mapper,
            [tuple(r[p] for p in mapper.pk_positions) for r in raw]
            if _is_entity(stmt._returning[0])
            else [],
        )
    return Result(keys, rows, rowcount=len(rows))


def _sync_update(
    session: InternalSession,
    mapper: Mapper,
    stmt: Update,
    keys: list[tuple[Any, ...]],
) -> None:
    values = stmt._values or {}
    literal: dict[str, Any] = {}
    expired: list[str] = []
    for col, value in values.items():
        key = mapper.column_to_key.get(col)
        if key is None:
            continue
        if isinstance(value, BindParameter):
            literal[key] = value.value
        elif isinstance(value, ClauseElement) or callable(value):
            expired.append(key)
        else:
            literal[key] = value
    for col in mapper.columns.values():
        if col.onupdate is not None and col not in values:
            expired.append(mapper.column_to_key[col])
    for pk in keys:
        st = session.identity_map.state_for(
            mapper.identity_key_from_pk(pk, session._identity_token)
        )
        if st is None or st() is None:
            continue
        d = st().__dict__
        committed = st.committed
        for k, v in literal.items():
            d[k] = v
            if committed:
                committed.pop(k, None)
        unload(session, st, expired)
        session.transactions.note_touched(st)


def _sync_delete(session: InternalSession, mapper: Mapper, keys: list[tuple[Any, ...]]) -> None:
    txn = session.transactions.current
    for pk in keys:
        st = session.identity_map.state_for(
            mapper.identity_key_from_pk(pk, session._identity_token)
        )
        if st is None or st() is None:
            continue
        obj = st()
        session.identity_map.discard(st)
        session.tracker.unmark_modified(st)
        session.tracker.unmark_deleted(st)
        st.deleted = True
        if txn is not None:
            txn.deleted[st] = obj


def _expire_class(session: InternalSession, mapper: Mapper, stmt: DMLStatement) -> None:
    for st in session.identity_map.states():
        if st.mapper is mapper or st.mapper.isa(mapper):  # (subclass objects too)
            expire_state(session, st, None)


def _check_writable(mapper: Mapper, what: str) -> None:
    """Refuse the bulk methods for a class mapped to a subquery (read-only).

    Raises:
        InvalidRequestError: naming the class.
    """
    if mapper._mapped_subquery is not None:
        from .subquery_mapping import read_only_error

        raise read_only_error(mapper, f"{what}() of")


def bulk_insert_mappings(
    session: InternalSession,
    mapper: Mapper,
    mappings: list[Mapping[str, Any]],
    return_defaults: bool,
    render_nulls: bool = False,
) -> None:
    """INSERT rows given as dicts of attribute values, grouped into executemany batches."""
    session.check_active()
    _check_writable(mapper, "bulk_insert_mappings")
    conn = session.connection_for_mapper(mapper)
    dname = conn.dialect.name
    groups: dict[tuple[str, ...], list[tuple[int, list[Any]]]] = {}
    joined_rows: list[tuple[int, dict[str, Any]]] = []
    for idx, m in enumerate(mappings):
        unknown = [k for k in m if k not in mapper.columns]
        if unknown:
            raise exc.InvalidRequestError(
                f"bulk_insert_mappings: {mapper.class_.__name__} has no column attribute "
                f"{unknown[0]!r}"
            )
        row = dict(m) if render_nulls else {k: v for k, v in m.items() if v is not None}
        if mapper._poly_key is not None and mapper.polymorphic_identity is not None:
            row.setdefault(mapper._poly_key, mapper.polymorphic_identity)
        for key, col in mapper.columns.items():
            if key not in row and col.default is not None:
                row[key] = persistence.default_value(conn, mapper, col, row)
            if key == mapper.version_key and row.get(key) is None:
                row[key] = 1
        if mapper._joined_tables is not None:  # joined-table inheritance: table by table
            joined_rows.append((idx, row))
            continue
        keys = tuple(
            k
            for k in mapper.column_keys
            if k in row and not (k == mapper.autoinc_key and row[k] is None)
        )
        vals = persistence.bind_values(mapper, dname, keys, [row[k] for k in keys])
        groups.setdefault(keys, []).append((idx, vals))
    pk_key = mapper.autoinc_key
    if joined_rows:
        insert_joined_rows(conn, mapper, [r for _, r in joined_rows])
        for idx, row in joined_rows:
            target = mappings[idx]
            if return_defaults and pk_key is not None and isinstance(target, dict):
                target[pk_key] = row[pk_key]
    for keys, rows in groups.items():
        generated = return_defaults and pk_key is not None and pk_key not in keys
        out = persistence.insert_rows(conn, mapper, keys, [v for _, v in rows], generated)
        if out is not None:
            for (idx, _), pk in zip(rows, out):
                target = mappings[idx]
                if isinstance(target, dict):
                    target[pk_key] = pk


def bulk_update_mappings(
    session: InternalSession,
    mapper: Mapper,
    mappings: list[Mapping[str, Any]],
    synchronize: bool = True,
) -> None:
    """UPDATE rows by primary key from dicts; objects in the session are updated to match
    (unless ``synchronize`` is False: ``synchronize_session=False``)."""
    session.check_active()
    _check_writable(mapper, "bulk_update_mappings")
    conn = session.connection_for_mapper(mapper)
    dname = conn.dialect.name
    groups: dict[tuple[str, ...], list[list[Any]]] = {}
    for m in mappings:
        missing = [k for k in mapper.pk_keys if k not in m]
        if missing:
            raise exc.InvalidRequestError(
                f"bulk_update_mappings: each dict needs the primary key {missing}"
            )
        keys = tuple(k for k in m if k in mapper.columns and k not in mapper.pk_keys)
        if not keys:
            continue
        vals = persistence.bind_values(mapper, dname, keys, [m[k] for k in keys])
        pk = persistence.bind_values(mapper, dname, mapper.pk_keys, [m[k] for k in mapper.pk_keys])
        groups.setdefault(keys, []).append(vals + pk)
        if not synchronize:
            continue
        st = session.identity_map.state_for(
            mapper.identity_key_from_pk(
                tuple(m[k] for k in mapper.pk_keys), session._identity_token
            )
        )
        if st is not None and st() is not None:
            d = st().__dict__
            for k in keys:
                d[k] = m[k]
                if st.committed:
                    st.committed.pop(k, None)
    for keys, rows in groups.items():
        if mapper._joined_tables is not None:  # joined-table inheritance: table by table
            update_joined_rows(conn, mapper, keys, rows)
        else:
            persistence.update_rows(conn, mapper, keys, rows)


def bulk_save_objects(session: InternalSession, objects: list[Any], return_defaults: bool) -> None:
    """INSERT new objects and UPDATE changed persistent ones in batches, bypassing the
    unit of work (the objects are not added to the session)."""
    session.check_active()
    by_mapper_new: dict[Mapper, list[InstanceState]] = {}
    by_mapper_upd: dict[Mapper, list[InstanceState]] = {}
    for obj in objects:
        st = state_of(obj)
        if st is None:
            raise exc.UnmappedInstanceError(f"{obj!r} is not a mapped object")
        (by_mapper_new if st.key is None else by_mapper_upd).setdefault(st.mapper, []).append(st)
    for mapper in [*by_mapper_new, *by_mapper_upd]:
        _check_writable(mapper, "bulk_save_objects")
    for mapper, states in by_mapper_new.items():
        conn = session.connection_for_mapper(mapper)
        if mapper._joined_tables is not None:  # joined-table inheritance: table by table
            joined_write("insert", persistence.insert_states, conn, mapper, states)
        else:
            persistence.insert_states(conn, mapper, states)
        for st in states:
            st.clear_changes()
    for mapper, states in by_mapper_upd.items():
        conn = session.connection_for_mapper(mapper)
        if mapper._joined_tables is not None:
            joined_write("update", persistence.update_states, conn, mapper, states)
        else:
            persistence.update_states(conn, mapper, states)
        for st in states:
            st.clear_changes()
            session.tracker.unmark_modified(st)


class BulkMethods:
    """The session's legacy ``bulk_*`` methods (a base class of `Session`)."""

    def bulk_insert_mappings(
        self: InternalSession,
        mapper: Any,
        mappings: Iterable[Mapping[str, Any]],
        return_defaults: bool = False,
        render_nulls: bool = False,
    ) -> None:
        """INSERT rows from dicts of attribute values, in executemany batches.

        As in SQLAlchemy, a None value leaves its column out of the INSERT (so a default
        applies) unless ``render_nulls=True``, which sends NULL.
        """
        bulk_insert_mappings(
            self, mapper_of_class(mapper), list(mappings), return_defaults, render_nulls
        )

    def bulk_save_objects(
        self: InternalSession,
        objects: Iterable[Any],
        return_defaults: bool = False,
        update_changed_only: bool = True,
        preserve_order: bool = True,
    ) -> None:
        """INSERT new and UPDATE changed objects in batches, outside the unit of work.

        New objects of one class are inserted in the order given (``preserve_order=False``
        allows any order, which uow_orm's grouping by class already is).

        Raises:
            ArgumentError: for ``update_changed_only=False`` (not supported yet).
        """
        if not update_changed_only:
            raise exc.ArgumentError(
                "bulk_save_objects(update_changed_only=False) is not supported yet: only "
                "changed attributes are updated"
            )
        bulk_save_objects(self, list(objects), return_defaults)

    def bulk_update_mappings(
        self: InternalSession, mapper: Any, mappings: Iterable[Mapping[str, Any]]
    ) -> None:
        """UPDATE rows by primary key from dicts of attribute values."""
        bulk_update_mappings(self, mapper_of_class(mapper), list(mappings))
