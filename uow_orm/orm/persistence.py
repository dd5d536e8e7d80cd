"""Persistence: the INSERT / UPDATE / DELETE statements of a flush, batched.

Called only by the unit of work, with states already in dependency order. SQL text is
cached per (mapper, dialect, column set); values are bound parameters, checked and
converted by each column type before anything is sent.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..types import _BadValue
from . import events as _events
from .state import NO_VALUE, InstanceState

if TYPE_CHECKING:
    from ..engine.base import Connection
    from ..schema import Column
    from .mapper import Mapper


def _sql_cache(mapper: Mapper) -> dict[tuple[Any, ...], str]:
    return mapper.__dict__.setdefault("_sql_cache", {})  # type: ignore[no-any-return]


def _bind_procs(mapper: Mapper, dialect_name: str) -> dict[str, Any]:
    cache = mapper.__dict__.setdefault("_bind_procs", {})
    procs = cache.get(dialect_name)
    if procs is None:
        procs = cache[dialect_name] = {
            key: col.type._bind(dialect_name) for key, col in mapper.columns.items()
        }
    return procs  # type: ignore[no-any-return]


def _bad_value(mapper: Mapper, key: str, value: Any, err: _BadValue) -> exc.ColumnValueError:
    col = mapper.columns[key]
    return exc.ColumnValueError(
        f"{mapper.class_.__name__}.{key} ({col.type!r} column {col.table.name}.{col.name}): {err}"
    )


def _convert(
    mapper: Mapper, keys: Sequence[str], values: list[Any], procs: dict[str, Any]
) -> list[Any]:
    for i, key in enumerate(keys):
        v = values[i]
        if v is not None:
            p = procs[key]
            if p is not None:
                try:
                    values[i] = p(v)
                except _BadValue as e:
                    raise _bad_value(mapper, key, v, e) from None
    return values


# -- INSERT ---------------------------------------------------------------------------------
class _InsertPlan:
    """Per (mapper, dialect): which columns a plain row sends and which need a closer look."""

    __slots__ = ("check_idx", "keys", "keys_with_pk", "proc_items")

    def __init__(self, mapper: Mapper, dname: str) -> None:
        procs = _bind_procs(mapper, dname)
        self.keys = tuple(k for k in mapper.column_keys if k != mapper.autoinc_key)
        self.keys_with_pk = tuple(mapper.column_keys)
        # columns where None or a missing value means "fill in": defaults, keys, versions
        self.check_idx = [
            i
            for i, k in enumerate(self.keys)
            if (c := mapper.columns[k]).default is not None
            or c.server_default is not None
            or c.primary_key
            or k == mapper.version_key
        ]
        self.proc_items = [(i, procs[k]) for i, k in enumerate(self.keys) if procs[k] is not None]


def _insert_plan(mapper: Mapper, dname: str) -> _InsertPlan:
    cache = mapper.__dict__.setdefault("_insert_plans", {})
    plan = cache.get(dname)
    if plan is None:
        plan = cache[dname] = _InsertPlan(mapper, dname)
    return plan  # type: ignore[no-any-return]


def insert_states(conn: Connection, mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """INSERT the rows of pending states; server-generated keys are written back."""
    if mapper.dispatch.before_insert:
        _events.fire_mapper(mapper, "before_insert", conn, states)
    dname = conn.dialect.name
    plan = _insert_plan(mapper, dname)
    autoinc_key = mapper.autoinc_key
    keys = plan.keys
    check_idx = plan.check_idx
    proc_items = plan.proc_items
    groups: dict[tuple[tuple[str, ...], bool], list[tuple[InstanceState, list[Any]]]] = {}
    plain: list[tuple[InstanceState, list[Any]]] = []
    no_value = NO_VALUE
    for state in states:
        d = state().__dict__
        vals = [d.get(k, no_value) for k in keys]
        if (
            no_value in vals
            or (check_idx and any(vals[i] is None for i in check_idx))
            or (autoinc_key is not None and d.get(autoinc_key) is not None)
        ):
            _insert_row_slow(mapper, dname, state, d, groups)
            continue
        for i, p in proc_items:
            v = vals[i]
            if v is not None:
                try:
                    vals[i] = p(v)
                except _BadValue as e:
                    raise _bad_value(mapper, keys[i], v, e) from None
        plain.append((state, vals))
    if plain:
        groups.setdefault((keys, autoinc_key is not None), []).extend(plain)
    for (keys_t, generated), rows in groups.items():
        if generated:
            _insert_generated(conn, mapper, keys_t, rows)
        else:
            sql = _insert_sql(conn, mapper, keys_t, 1, False)
            params = [tuple(vals) for _, vals in rows]
            if len(params) == 1:
                conn._run(sql, params[0])
            else:
                conn._run(sql, params, many=True)
    if mapper.eager_defaults is True:
        fetch_server_values(conn, mapper, states)
    if mapper.mutable_keys:
        _coerce_mutable_defaults(mapper, states)
    if mapper.dispatch.after_insert:
        _events.fire_mapper(mapper, "after_insert", conn, states)


def _coerce_mutable_defaults(mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """Values a column default gave a ``Mutable.as_mutable`` column become tracked too."""
    from ..ext.mutable import attach

    for state in states:
        d = state().__dict__
        for key, mcls in mapper.mutable_keys.items():
            v = d.get(key)
            if v is not None and not isinstance(v, mcls):
                v = d[key] = mcls.coerce(key, v)
            attach(v, state, key)


def fetch_server_values(conn: Connection, mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """``eager_defaults``: load the server-generated columns the INSERT left unset now,
    instead of on first access."""
    server_keys = [k for k, c in mapper.columns.items() if c.server_default is not None]
    if server_keys:
        _fetch_columns(conn, mapper, states, server_keys)


def _fetch_columns(
    conn: Connection, mapper: Mapper, states: Sequence[InstanceState], server_keys: list[str]
) -> None:
    from ..sql.selectable import Select

    for state in states:
        d = state().__dict__
        missing = [k for k in server_keys if k not in d]
        if not missing:
            continue
        cols = [mapper.columns[k] for k in missing]
        pk = zip(mapper.pk_columns, mapper.pk_keys)
        stmt: Select[Any] = Select(*cols).where(*[c == d[k] for c, k in pk])
        compiled = stmt.compile(conn.dialect)
        row = conn._run(compiled.sql, compiled.construct_params()).fetchone()
        procs = compiled.result_processors or [None] * len(cols)
        for k, v, p in zip(missing, row, procs):
            d[k] = p(v) if p is not None and v is not None else v


def _insert_row_slow(
    mapper: Mapper,
    dname: str,
    state: InstanceState,
    d: dict[str, Any],
    groups: dict[tuple[tuple[str, ...], bool], list[tuple[InstanceState, list[Any]]]],
) -> None:
    """One row that needs defaults, server defaults or key checks applied."""
    autoinc_key = mapper.autoinc_key
    version_key = mapper.version_key
    row_keys: list[str] = []
    vals: list[Any] = []
    generated = False
    for key, col in zip(mapper.column_keys, mapper.column_list):
        v = d.get(key, NO_VALUE)
        if v is None or v is NO_VALUE:
            if key == autoinc_key:
                generated = True
                continue
            if col.primary_key and col.default is None and col.server_default is None:
                raise exc.FlushError(
                    f"{mapper.class_.__name__} instance has a NULL primary key "
                    f"({key}) and the database does not generate it; give it a value "
                    "before flushing"
                )
            if col.default is not None:
                v = col.default() if col._default_is_callable else col.default
                d[key] = v
            elif key == version_key:
                v = 1
                d[key] = v
            elif v is NO_VALUE:
                if col.server_default is not None:
                    continue  # the server fills it; the attribute loads on access
                v = None
                d[key] = None
        row_keys.append(key)
        vals.append(v)
    _convert(mapper, row_keys, vals, _bind_procs(mapper, dname))
    groups.setdefault((tuple(row_keys), generated), []).append((state, vals))


def _insert_sql(
    conn: Connection, mapper: Mapper, keys: tuple[str, ...], nrows: int, returning: bool
) -> str:
    dialect = conn.dialect
    ck = ("insert", dialect.name, keys, nrows, returning)
    cache = _sql_cache(mapper)
    sql = cache.get(ck)
    if sql is None:
        q = dialect.quote
        table = mapper.local_table
        cols = [mapper.columns[k] for k in keys]
        if cols:
            row = "(" + ", ".join([dialect.placeholder] * len(cols)) + ")"
            sql = (
                f"INSERT INTO {table._quoted(q)} ("
                + ", ".join(q(c.name) for c in cols)
                + ") VALUES "
                + ", ".join([row] * nrows)
            )
        else:
            sql = f"INSERT INTO {table._quoted(q)} DEFAULT VALUES"
        if returning:
            assert mapper.autoinc_col is not None
            sql += f" RETURNING {q(mapper.autoinc_col.name)}"
        if len(cache) > 2000:
            cache.clear()
        cache[ck] = sql
    return sql


def _insert_generated(
    conn: Connection,
    mapper: Mapper,
    keys: tuple[str, ...],
    rows: list[tuple[InstanceState, list[Any]]],
) -> None:
    dialect = conn.dialect
    pk_key = mapper.autoinc_key
    assert pk_key is not None
    if not dialect.supports_returning:
        sql = _insert_sql(conn, mapper, keys, 1, False)
        for state, vals in rows:
            cur = conn._run(sql, tuple(vals))
            state().__dict__[pk_key] = cur.lastrowid
        return
    if dialect.multirow_returning_ordered and keys:
        per = max(1, min(dialect.max_bind_params // len(keys), 5000))
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            sql = _insert_sql(conn, mapper, keys, len(chunk), True)
            params: list[Any] = []
            for _, vals in chunk:
                params.extend(vals)
            cur = conn._run(sql, params)
            ids = sorted(r[0] for r in cur.fetchall())
            if len(ids) != len(chunk) or (ids and ids[-1] - ids[0] != len(ids) - 1):
                raise exc.FlushError(
                    f"INSERT into {mapper.local_table.name} returned keys that cannot be "
                    "matched to rows (the table's rowids are no longer increasing); give "
                    "the objects explicit primary keys"
                )
            for (state, _), pk in zip(chunk, ids):
                state().__dict__[pk_key] = pk
        return
    sql = _insert_sql(conn, mapper, keys, 1, True)
    if len(rows) == 1:
        state, vals = rows[0]
        cur = conn._run(sql, tuple(vals))
        state().__dict__[pk_key] = cur.fetchone()[0]
        return
    result_rows = conn._executemany_returning(sql, [tuple(vals) for _, vals in rows])
    for (state, _), row in zip(rows, result_rows):
        state().__dict__[pk_key] = row[0]


# -- UPDATE ---------------------------------------------------------------------------------
def changed_keys(state: InstanceState) -> list[str]:
    """Column attributes whose value differs from the committed one."""
    committed = state.committed
    if not committed:
        return []
    d = state().__dict__
    columns = state.mapper.columns
    out = []
    for key, old in committed.items():
        if key not in columns or key not in d:
            continue
        new = d[key]
        if old is NO_VALUE or (old is not new and (type(old) is not type(new) or old != new)):
            out.append(key)
    return out


def update_states(
    conn: Connection,
    mapper: Mapper,
    states: Sequence[InstanceState],
) -> None:
    """UPDATE only the changed columns of each state, grouped into executemany batches."""
    if not states:
        return
    if mapper.dispatch.before_update:
        _events.fire_mapper(mapper, "before_update", conn, states)
    dname = conn.dialect.name
    procs = _bind_procs(mapper, dname)
    columns = mapper.columns
    version_key = mapper.version_key
    pk_procs = [procs[k] for k in mapper.pk_keys]
    onupdate = [(k, c) for k, c in columns.items() if c.onupdate is not None]
    groups: dict[tuple[tuple[str, ...], bool], list[list[Any]]] = {}
    no_value = NO_VALUE
    for state in states:
        committed = state.committed
        if not committed:
            continue
        d = state().__dict__
        keys = []
        for key, old in committed.items():  # the columns whose value really changed
            if key in columns and key in d:
                new = d[key]
                if old is no_value or (
                    old is not new and (type(old) is not type(new) or old != new)
                ):
                    keys.append(key)
        if not keys:
            continue
        for key, col in onupdate:
            if key not in keys:
                d[key] = col.onupdate() if col._onupdate_is_callable else col.onupdate
                keys.append(key)
        vals = []
        for k in keys:
            v = d[k]
            p = procs[k]
            if p is not None and v is not None:
                try:
                    v = p(v)
                except _BadValue as e:
                    raise _bad_value(mapper, k, v, e) from None
            vals.append(v)
        assert state.key is not None
        for p, v in zip(pk_procs, state.key[1]):
            vals.append(p(v) if p is not None and v is not None else v)
        versioned = False
        if version_key is not None and version_key not in keys:
            old_version = d.get(version_key, no_value)
            if old_version is no_value:
                old_version = getattr(state(), version_key)
            new_version = (old_version or 0) + 1
            d[version_key] = new_version
            keys.append(version_key)
            vals.insert(len(keys) - 1, new_version)  # SET values come before the WHERE key
            vals.append(old_version)
            versioned = True
        groups.setdefault((tuple(keys), versioned), []).append(vals)
    for (keys_t, versioned), rows in groups.items():
        sql = _update_sql(conn, mapper, keys_t, versioned)
        _run_counted(conn, sql, rows, mapper, "UPDATE", raise_on_mismatch=True)
    if mapper.server_onupdate_keys and groups:
        _refresh_server_onupdate(conn, mapper, states)
    if mapper.dispatch.after_update:
        _events.fire_mapper(mapper, "after_update", conn, states)


def _refresh_server_onupdate(
    conn: Connection, mapper: Mapper, states: Sequence[InstanceState]
) -> None:
    """Columns the database changes on UPDATE (``server_onupdate``, ``Computed``): fetched
    now with ``eager_defaults``, else expired so that they load on access."""
    keys = mapper.server_onupdate_keys
    for state in states:
        d = state().__dict__
        for k in keys:
            d.pop(k, None)
    if mapper.eager_defaults is True:
        _fetch_columns(conn, mapper, states, keys)


def _update_sql(conn: Connection, mapper: Mapper, keys: tuple[str, ...], versioned: bool) -> str:
    dialect = conn.dialect
    ck = ("update", dialect.name, keys, versioned)
    cache = _sql_cache(mapper)
    sql = cache.get(ck)
    if sql is None:
        q = dialect.quote
        ph = dialect.placeholder
        sets = ", ".join(f"{q(mapper.columns[k].name)} = {ph}" for k in keys)
        sql = f"UPDATE {mapper.local_table._quoted(q)} SET {sets} WHERE " + _key_where(
            mapper, dialect, versioned
        )
        cache[ck] = sql
    return sql


def _key_where(mapper: Mapper, dialect: Any, versioned: bool) -> str:
    """``pk = ? [AND version = ?]``: how UPDATE and DELETE find one object's row."""
    q = dialect.quote
    ph = dialect.placeholder
    where = [f"{q(c.name)} = {ph}" for c in mapper.pk_columns]
    if versioned:
        assert mapper.version_id_col is not None
        where.append(f"{q(mapper.version_id_col.name)} = {ph}")
    return " AND ".join(where)


def _run_counted(
    conn: Connection, sql: str, rows: list[Any], mapper: Mapper, verb: str, raise_on_mismatch: bool
) -> None:
    if len(rows) == 1:
        cur = conn._run(sql, tuple(rows[0]))
    else:
        cur = conn._run(sql, [tuple(r) for r in rows], many=True)
    matched = cur.rowcount
    if (
        not raise_on_mismatch
        and verb == "DELETE"
        and mapper.confirm_deleted_rows
        and matched is not None
        and 0 <= matched < len(rows)
    ):
        warnings.warn(
            f"DELETE statement on table {mapper.local_table.name!r} expected to delete "
            f"{len(rows)} row(s); {matched} were matched. Set "
            "__mapper_args__ = {'confirm_deleted_rows': False} to silence this warning",
            exc.SAWarning,
            stacklevel=2,
        )
    if raise_on_mismatch and matched is not None and matched >= 0 and matched != len(rows):
        raise exc.StaleDataError(
            f"{verb} statement on table {mapper.local_table.name!r} expected to match "
            f"{len(rows)} row(s); {matched} were matched. The rows were changed or deleted "
            "by another transaction (or their version counter moved on): reload the objects "
            "and try again"
        )


def post_update(
    conn: Connection, mapper: Mapper, items: Sequence[tuple[InstanceState, dict[str, Any]]]
) -> None:
    """UPDATE foreign key columns after the rows exist (``post_update=True``)."""
    procs = _bind_procs(mapper, conn.dialect.name)
    groups: dict[tuple[str, ...], list[list[Any]]] = {}
    for state, values in items:
        keys = tuple(values)
        vals = _convert(mapper, keys, list(values.values()), procs)
        pk = [state().__dict__[k] for k in mapper.pk_keys]
        groups.setdefault(keys, []).append(vals + _convert(mapper, mapper.pk_keys, pk, procs))
    for keys_t, rows in groups.items():
        sql = _update_sql(conn, mapper, keys_t, False)
        _run_counted(conn, sql, rows, mapper, "UPDATE", raise_on_mismatch=False)


# -- row switch -----------------------------------------------------------------------------
def row_switch_states(
    conn: Connection, mapper: Mapper, pairs: Sequence[tuple[InstanceState, InstanceState]]
) -> None:
    """Row switch: one UPDATE turns a deleted object's row into a new object's row.

    The unit of work calls this instead of DELETE + INSERT when a new object has the
    identity of an object deleted in the same flush. The row afterwards is exactly what
    the INSERT would have written: every column the new object did not set gets its
    Python default, its server default (``DEFAULT`` / the default's SQL; the attribute
    loads on access) or NULL, and the version counter starts again. The WHERE clause
    matches the old row (and its version), so a row gone meanwhile raises StaleDataError.
    """
    if mapper.dispatch.before_update:  # the new object's row already exists: an update
        _events.fire_mapper(mapper, "before_update", conn, [new for new, _ in pairs])
    dname = conn.dialect.name
    procs = _bind_procs(mapper, dname)
    version_key = mapper.version_key
    groups: dict[tuple[tuple[str, ...], tuple[str, ...], bool], list[list[Any]]] = {}
    for new, old in pairs:
        d = new().__dict__
        keys: list[str] = []
        server: list[str] = []
        vals: list[Any] = []
        for key, col in zip(mapper.column_keys, mapper.column_list):
            if col.primary_key:
                continue
            v = d.get(key, NO_VALUE)
            if v is None or v is NO_VALUE:
                if col.default is not None:
                    v = col.default() if col._default_is_callable else col.default
                    d[key] = v
                elif key == version_key:
                    v = 1
                    d[key] = v
                elif v is NO_VALUE and col.server_default is not None:
                    server.append(key)
                    continue
                else:
                    v = None
                    d[key] = None
            keys.append(key)
            vals.append(v)
        if not keys and not server:
            continue  # only key columns: the row already is the new object's
        _convert(mapper, keys, vals, procs)
        assert old.key is not None
        vals.extend(_convert(mapper, mapper.pk_keys, list(old.key[1]), procs))
        versioned = version_key is not None
        if versioned:
            assert version_key is not None
            ocommitted = old.committed or {}
            ov = ocommitted.get(version_key, old().__dict__.get(version_key, NO_VALUE))
            if ov is NO_VALUE:
                ov = getattr(old(), version_key)
            vals.append(ov)
        groups.setdefault((tuple(keys), tuple(server), versioned), []).append(vals)
    for (keys_t, server_t, versioned), rows in groups.items():
        sql = _row_switch_sql(conn, mapper, keys_t, server_t, versioned)
        _run_counted(conn, sql, rows, mapper, "UPDATE (row switch)", raise_on_mismatch=True)
    if mapper.dispatch.after_update:
        _events.fire_mapper(mapper, "after_update", conn, [new for new, _ in pairs])


def _row_switch_sql(
    conn: Connection,
    mapper: Mapper,
    keys: tuple[str, ...],
    server: tuple[str, ...],
    versioned: bool,
) -> str:
    dialect = conn.dialect
    ck = ("row switch", dialect.name, keys, server, versioned)
    cache = _sql_cache(mapper)
    sql = cache.get(ck)
    if sql is None:
        from ..schema import server_default_sql
        from ..sql.dml import update
        from ..sql.elements import BindParameter, TextClause, and_

        columns = mapper.columns
        values: dict[Any, Any] = {columns[k]: BindParameter(k, None, columns[k].type) for k in keys}
        for k in server:
            col = columns[k]
            # PostgreSQL has SET col = DEFAULT; SQLite has not, but its defaults are
            # constant expressions that evaluate the same in an UPDATE
            if dialect.name == "postgresql":
                values[col] = TextClause("DEFAULT")
            else:
                default_sql = server_default_sql(col.server_default, dialect.name)
                values[col] = TextClause("(" + default_sql.replace(":", "\\:") + ")")
        where = [c == BindParameter(c.key, None, c.type) for c in mapper.pk_columns]
        if versioned:
            vc = mapper.version_id_col
            assert vc is not None
            where.append(vc == BindParameter(vc.key, None, vc.type))
        stmt = update(mapper.local_table).values(values).where(and_(*where))
        sql = stmt.compile(dialect).sql
        cache[ck] = sql
    return sql


# -- DELETE ---------------------------------------------------------------------------------
def delete_states(conn: Connection, mapper: Mapper, states: Sequence[InstanceState]) -> None:
    if mapper.dispatch.before_delete:
        _events.fire_mapper(mapper, "before_delete", conn, states)
    dialect = conn.dialect
    procs = _bind_procs(mapper, dialect.name)
    version_key = mapper.version_key
    rows = []
    for state in states:
        assert state.key is not None
        pk = _convert(mapper, mapper.pk_keys, list(state.key[1]), procs)
        if version_key is not None:
            d = state().__dict__
            committed = state.committed or {}
            v = committed.get(version_key, d.get(version_key, NO_VALUE))
            if v is NO_VALUE:
                v = getattr(state(), version_key)
            pk.append(v)
        rows.append(pk)
    if not rows:
        return
    versioned = version_key is not None
    ck = ("delete", dialect.name, versioned)
    cache = _sql_cache(mapper)
    sql = cache.get(ck)
    if sql is None:
        sql = f"DELETE FROM {mapper.local_table._quoted(dialect.quote)} WHERE " + _key_where(
            mapper, dialect, versioned
        )
        cache[ck] = sql
    _run_counted(conn, sql, rows, mapper, "DELETE", raise_on_mismatch=versioned)
    if mapper.dispatch.after_delete:
        _events.fire_mapper(mapper, "after_delete", conn, states)


# -- many-to-many association rows --------------------------------------------------------------
def secondary_rows(
    conn: Connection,
    table: Any,
    cols: Sequence[Column[Any]],
    rows: Sequence[tuple[Any, ...]],
    delete: bool,
) -> None:
    dialect = conn.dialect
    q = dialect.quote
    ph = dialect.placeholder
    dname = dialect.name
    procs = [c.type._bind(dname) for c in cols]
    params = [
        tuple(p(v) if p is not None and v is not None else v for p, v in zip(procs, r))
        for r in rows
    ]
    if delete:
        sql = f"DELETE FROM {table._quoted(q)} WHERE " + " AND ".join(
            f"{q(c.name)} = {ph}" for c in cols
        )
    else:
        sql = (
            f"INSERT INTO {table._quoted(q)} ("
            + ", ".join(q(c.name) for c in cols)
            + ") VALUES ("
            + ", ".join([ph] * len(cols))
            + ")"
        )
    if len(params) == 1:
        conn._run(sql, params[0])
    elif params:
        conn._run(sql, params, many=True)


__all__ = [
    "changed_keys",
    "delete_states",
    "insert_states",
    "post_update",
    "row_switch_states",
    "secondary_rows",
    "update_states",
]
