"""Persistence: the INSERT / UPDATE / DELETE statements of a flush, batched.

Called by: uow_orm.orm.unitofwork and uow_orm.orm.dependencies (with states already in
dependency order), uow_orm.orm.bulk (rows given as values), uow_orm.orm.expiry
(``changed_keys``), uow_orm.orm.joined_flush (one table of a joined-table subclass at a
time).
Every statement is built with `uow_orm.sql` (``insert()`` / ``update()`` / ``delete()``
with bind parameters) and compiled once per (mapper, statement shape, dialect) into
`uow_orm.sql.cache.dml_cache`; values are checked and converted by each column type
(`uow_orm.types.apply_processors`) and sent positionally with
`Connection.cursor_execute`.
"""

from __future__ import annotations

import inspect
import warnings
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from .. import exc
from ..exc import ColumnValueError
from ..sql.cache import CompiledCache, dml_cache
from ..sql.dml import delete, insert, update
from ..sql.elements import BindParameter, ClauseElement, TextClause, and_, bindparam
from ..types import Processor, apply_processors, bind_processors, processor_items
from . import events as _events
from .mapper import Mapper
from .state import NO_VALUE, InstanceState

if TYPE_CHECKING:
    from ..engine.base import Connection
    from ..sql.compiler import Compiled
    from ..sql.schema import Column, Table

#: one row's values, in the order of its statement's placeholders
Values = list[Any]
#: the states of one INSERT shape and their values
Rows = list[tuple[InstanceState, Values]]


# -- statements and their cache --------------------------------------------------------------
class _MapperCache:
    """What the flush works out once per mapper: bind processors and insert plans per
    dialect, compiled statements per (shape, dialect). Valid while the mapper's column list
    is the one it was made for (a new mapped column makes a new list)."""

    __slots__ = ("__weakref__", "columns", "insert_plans", "procs", "statements")

    def __init__(self, mapper: Mapper) -> None:
        self.columns = mapper.column_list
        self.procs: dict[str, dict[str, Processor]] = {}
        self.insert_plans: dict[Hashable, _InsertPlan] = {}
        self.statements = CompiledCache(size=2000)


_mapper_caches: weakref.WeakKeyDictionary[Mapper, _MapperCache] = weakref.WeakKeyDictionary()


_last: list[Any] = [None, None]  # the mapper asked for last and its cache (a flush of one
# mapper's rows asks several times)


def _cache_of(mapper: Mapper) -> _MapperCache:
    last = _last
    if last[0] is mapper:
        cache: _MapperCache = last[1]
        if cache.columns is mapper.column_list:
            return cache
    hit = _mapper_caches.get(mapper)
    if hit is None or hit.columns is not mapper.column_list:
        hit = _mapper_caches[mapper] = _MapperCache(mapper)
    last[0], last[1] = mapper, hit
    return hit


def _compiled(
    conn: Connection,
    owner: Mapper | Table,
    shape: tuple[Any, ...],
    build: Callable[[], ClauseElement],
) -> Compiled:
    """The statement ``build()`` makes for ``owner`` (a mapper, or an association table) in
    this ``shape``, compiled for the connection's dialect once and then taken from the
    cache."""
    dialect = conn.dialect
    cache = _cache_of(owner).statements if isinstance(owner, Mapper) else dml_cache
    key = (owner, dialect.cache_key, shape) if cache is dml_cache else (dialect.cache_key, shape)
    hit = cache.get(key)
    if hit is None:
        hit = build().compile(dialect)
        cache.put(key, hit)
    return hit


def _bind(col: Column[Any], name: str | None = None) -> BindParameter:
    return bindparam(name or col.key, None, col.type)


def _key_criteria(mapper: Mapper, versioned: bool) -> ClauseElement:
    """``pk = ? [AND version = ?]``: how UPDATE and DELETE find one object's row."""
    where = [c == _bind(c) for c in mapper.pk_columns]
    if versioned:
        vc = mapper.version_id_col
        assert vc is not None
        where.append(vc == _bind(vc))
    return and_(*where)


def _execute(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
    """One execute for one row, else one executemany; the cursor."""
    if len(rows) == 1:
        return conn.cursor_execute(sql, tuple(rows[0]))
    return conn.cursor_execute(sql, [tuple(r) for r in rows], many=True)


# -- values ------------------------------------------------------------------------------------
def _bind_procs(mapper: Mapper, dialect_name: str) -> dict[str, Processor]:
    cache = _cache_of(mapper).procs
    procs = cache.get(dialect_name)
    if procs is None:
        keys = list(mapper.columns.keys())
        types = [mapper.columns[k].type for k in keys]
        procs = cache[dialect_name] = dict(zip(keys, bind_processors(types, dialect_name)))
    return procs


def _bad_value(
    mapper: Mapper, key: str, err: ColumnValueError, value: Any = NO_VALUE
) -> exc.ColumnValueError:
    col = mapper.columns[key]
    if isinstance(value, ClauseElement):  # SQLAlchemy embeds such values in the statement
        return exc.ColumnValueError(
            f"{mapper.class_.__name__}.{key} was set to an SQL expression ({value}); the "
            "flush writes plain values only (SQL expressions as attribute values are not "
            "supported yet): run session.execute(update(...).values(...)) instead"
        )
    return exc.ColumnValueError(
        f"{mapper.class_.__name__}.{key} ({col.type!r} column {col.table.name}.{col.name}): {err}"
    )


def _on_error(
    mapper: Mapper, keys: Sequence[str]
) -> Callable[[int, Any, ColumnValueError], Exception]:
    return lambda i, v, err: _bad_value(mapper, keys[i], err, v)


def _convert(
    mapper: Mapper, keys: Sequence[str], values: Values, procs: dict[str, Processor]
) -> Values:
    """``values`` (of the columns ``keys``) converted in place for the driver."""
    items = processor_items(procs[k] for k in keys)
    apply_processors((values,), items, _on_error(mapper, keys))
    return values


#: Marks, in a statement shape's column keys, a column whose value is a SQL expression
#: default (``default=func.now()``) written into the statement instead of bound (a NUL
#: cannot be in an attribute name).
SQL_VALUE = "\0sql"
_SQL_DEFAULT = object()


def _sql_default(default: Any) -> Any:
    """The SQL expression of a column ``default`` (a ColumnDefault) / ``onupdate`` (the
    value given) that is one, else None."""
    if default is None:
        return None
    if getattr(default, "is_clause_element", False):
        return default.arg
    return default if isinstance(default, ClauseElement) else None


def _bound_keys(keys: Sequence[str]) -> list[str]:
    """``keys`` without the SQL-valued ones (those have no parameter)."""
    return [k for k in keys if not k.endswith(SQL_VALUE)]


def _value_of(mapper: Mapper, key: str, default_of: str) -> Any:
    """The statement value for shape key ``key``: a bind, or the SQL default expression."""
    if key.endswith(SQL_VALUE):
        col = mapper.columns[key[: -len(SQL_VALUE)]]
        expr = _sql_default(getattr(col, default_of))
        if expr.compile().binds:  # (the flush's rows carry no values for them)
            raise exc.NotSupportedError(
                f"{mapper.class_.__name__}.{key[: -len(SQL_VALUE)]}: a SQL expression "
                f"{default_of} with bound values ({expr}) is not supported; write it with "
                "literal_column() / text(), or use a Python callable"
            )
        return expr
    return _bind(mapper.columns[key])


def _version_of(state: InstanceState, version_key: str) -> Any:
    """The version counter the database row has now (before this flush changed it)."""
    committed = state.committed or {}
    v = committed.get(version_key, state().__dict__.get(version_key, NO_VALUE))
    if v is NO_VALUE:
        v = getattr(state(), version_key)
    return v


# -- Python defaults that take the execution context ------------------------------------------
class DefaultContext:
    """What a ``default=`` / ``onupdate=`` function of one positional parameter receives
    (SQLAlchemy's "context-sensitive default functions"): the ``connection`` the row is
    written on and the row's other values, ``current_parameters`` (by column key)."""

    __slots__ = ("connection", "current_column", "current_parameters")

    def __init__(
        self, conn: Connection | None, mapper: Mapper, d: dict[str, Any], col: Column[Any]
    ) -> None:
        self.connection = conn
        self.current_column = col
        self.current_parameters = {
            c.key: d[k] for k, c in mapper.columns.items() if k in d and d[k] is not NO_VALUE
        }

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict[str, Any]:
        """The row's values by column key (one row per context: the flag changes nothing)."""
        return self.current_parameters


_takes_context_of: dict[int, tuple[Any, bool]] = {}


def default_value(conn: Connection, mapper: Mapper, col: Column[Any], d: dict[str, Any]) -> Any:
    """The value of ``col``'s ``default=`` for a row whose other values are ``d`` (by
    attribute key): the scalar, the function's result, or the result of a function that
    takes the execution context."""
    default = col.default
    assert default is not None
    if _takes_context(default):
        return default.arg(DefaultContext(conn, mapper, d, col))
    return default()


def _takes_context(default: Any) -> bool:
    """Whether a column default / onupdate is a function with one required positional
    parameter (the context), as SQLAlchemy decides it; worked out once per function."""
    fn = getattr(default, "arg", default)
    hit = _takes_context_of.get(id(fn))
    if hit is not None and hit[0] is fn:
        return hit[1]
    wants = False
    if callable(fn) and not isinstance(fn, ClauseElement):
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):  # a builtin without a signature: takes nothing
            params = None
        if params is not None:
            required = [
                p
                for p in params
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
            ]
            wants = len(required) == 1
    _takes_context_of[id(fn)] = (fn, wants)
    return wants


# -- INSERT ---------------------------------------------------------------------------------
class _InsertPlan:
    """Per (mapper, dialect): which columns a plain row sends and which need a closer look."""

    __slots__ = ("check_idx", "fetch_on_insert", "keys", "proc_items", "server_keys", "statements")

    def __init__(self, mapper: Mapper, dname: str, supports_returning: bool) -> None:
        procs = _bind_procs(mapper, dname)
        self.keys = tuple(k for k in mapper.column_keys if k != mapper.autoinc_key)
        # columns where None or a missing value means "fill in": defaults, keys, versions
        self.check_idx = [
            i
            for i, k in enumerate(self.keys)
            if (c := mapper.columns[k]).default is not None
            or c.server_default is not None
            or c.primary_key
            or k == mapper.version_key
        ]
        self.proc_items = processor_items(procs[k] for k in self.keys)
        #: columns the database fills when the INSERT leaves them out (server defaults,
        #: Identity, Computed, FetchedValue), besides the generated primary key
        self.server_keys = tuple(
            k
            for k, c in zip(mapper.column_keys, mapper.column_list)
            if c.server_default is not None and k != mapper.autoinc_key
        )
        #: whether the INSERT fetches them (and SQL expression defaults, which SQLAlchemy
        #: fetches by the same rules) back with RETURNING (see `_eager_on_insert`)
        sql_defaults = any(_sql_default(c.default) is not None for c in mapper.column_list)
        self.fetch_on_insert = bool(self.server_keys or sql_defaults) and (
            _eager_on_insert(mapper, supports_returning)
            or (supports_returning and mapper.version_from_server)
        )
        # compiled INSERTs by (columns, rows, RETURNING the key, RETURNING server values)
        self.statements: dict[tuple[tuple[str, ...], int, bool, tuple[str, ...]], Compiled] = {}


def _insert_plan(mapper: Mapper, conn: Connection) -> _InsertPlan:
    dialect = conn.dialect
    plans = _cache_of(mapper).insert_plans
    plan = plans.get(dialect.cache_key)
    if plan is None:
        plan = plans[dialect.cache_key] = _InsertPlan(
            mapper, dialect.name, bool(dialect.supports_returning)
        )
    return plan


def insert_states(conn: Connection, mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """INSERT the rows of pending states; server-generated keys are written back."""
    if not mapper.base_mapper.batch and len(states) > 1:
        one_at_a_time(insert_states, conn, mapper, states)
        return
    if mapper.dispatch.before_insert:
        _events.fire_mapper(mapper, "before_insert", conn, states)
    # refresh_flush: which attributes the flush fills in (only when someone listens)
    given = [set(st().__dict__) for st in states] if mapper.dispatch.refresh_flush else None
    dname = conn.dialect.name
    plan = _insert_plan(mapper, conn)
    autoinc_key = mapper.autoinc_key
    keys = plan.keys
    check_idx = plan.check_idx
    groups: dict[tuple[tuple[str, ...], bool], Rows] = {}
    plain_states: list[InstanceState] = []
    plain: list[Values] = []
    no_value = NO_VALUE
    for state in states:
        d = state().__dict__
        try:
            vals = list(map(d.__getitem__, keys))  # (no Python call per row)
        except KeyError:  # an unset column: defaults and checks
            _insert_row_slow(mapper, dname, state, d, groups, conn)
            continue
        if (
            no_value in vals
            or (check_idx and any(vals[i] is None for i in check_idx))
            or (autoinc_key is not None and d.get(autoinc_key) is not None)
        ):
            _insert_row_slow(mapper, dname, state, d, groups, conn)
            continue
        plain_states.append(state)
        plain.append(vals)
    if plain:
        apply_processors(plain, plan.proc_items, lambda i, v, e: _bad_value(mapper, keys[i], e, v))
        if not groups:  # every row plain (the usual case): one shape, no grouping
            _insert_group(conn, plan, mapper, keys, autoinc_key is not None, plain_states, plain)
        else:
            groups.setdefault((keys, autoinc_key is not None), []).extend(zip(plain_states, plain))
    for (keys_t, generated), rows in groups.items():
        _insert_group(
            conn, plan, mapper, keys_t, generated, [st for st, _ in rows], [v for _, v in rows]
        )
    if mapper.eager_defaults is True and not conn.dialect.supports_returning:
        fetch_server_values(conn, mapper, states)
    if mapper.version_id_generator is False:
        _check_versions(conn, mapper, states)
    if mapper.mutable_keys:
        _coerce_mutable_defaults(mapper, states)
    if given is not None:
        _report_filled_in(mapper, states, given)
    if mapper.dispatch.after_insert:
        _events.fire_mapper(mapper, "after_insert", conn, states)


def _insert_group(
    conn: Connection,
    plan: _InsertPlan,
    mapper: Mapper,
    keys: tuple[str, ...],
    generated: bool,
    states: list[InstanceState],
    values: list[Values],
) -> None:
    """INSERT the rows of one shape: the columns ``keys`` (converted ``values`` of
    ``states``), the primary key generated by the database or not."""
    fetch = _server_keys_left_out(plan, keys) if plan.fetch_on_insert else ()
    rows = list(zip(states, values))
    if fetch:
        insert_fetching_defaults(conn, plan, mapper, keys, rows, generated, fetch)
    elif generated:
        _insert_generated(conn, plan, mapper, keys, rows)
    else:
        sql = _insert_stmt(conn, plan, mapper, keys, 1, False).sql
        _execute(conn, sql, values)


def _check_versions(conn: Connection, mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """``version_id_generator=False``: fetch the versions the database generated (when
    RETURNING did not bring them) and refuse a row left without one.

    Raises:
        FlushError: a row has a NULL version after its INSERT / UPDATE.
    """
    key = mapper.version_key
    assert key is not None
    if mapper.version_from_server:
        _fetch_columns(conn, mapper, states, [key])
    for state in states:
        if state().__dict__.get(key) is None:
            raise exc.FlushError(
                f"{mapper.class_.__name__} instance does not contain a non-NULL version "
                f"value ({key}); with version_id_generator=False the application or the "
                "database must set it"
            )


def _report_filled_in(
    mapper: Mapper, states: Sequence[InstanceState], given: list[set[str]]
) -> None:
    """Fire ``refresh_flush`` with the column attributes the INSERT filled in: those the
    database gave (RETURNING) first, then the client-side defaults, as SQLAlchemy orders
    them."""
    pk = set(mapper.pk_keys)
    cols = [(k, c) for k, c in mapper.columns.items() if k not in pk]
    keys = [k for k, c in cols if c.server_default is not None or _sql_default(c.default)]
    keys += [k for k, _ in cols if k not in keys]
    filled = [
        [k for k in keys if k in st().__dict__ and k not in g] for st, g in zip(states, given)
    ]
    _events.fire_refresh_flush(states, filled)


def _coerce_mutable_defaults(mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """Values a column default gave a ``Mutable.as_mutable`` column become tracked too."""
    from .properties import attach

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
    server_keys = [
        k
        for k, c in mapper.columns.items()
        if c.server_default is not None or _sql_default(c.default) is not None
    ]
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
        row = conn.execute(stmt).first()
        assert row is not None
        d.update(zip(missing, row))


def _insert_row_slow(
    mapper: Mapper,
    dname: str,
    state: InstanceState,
    d: dict[str, Any],
    groups: dict[tuple[tuple[str, ...], bool], Rows],
    conn: Connection | None = None,
) -> None:
    """One row that needs defaults, server defaults or key checks applied."""
    autoinc_key = mapper.autoinc_key
    row_keys: list[str] = []
    vals: Values = []
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
            v = _fill_in(mapper, key, col, v, d, conn)
            if v is NO_VALUE:
                continue  # the server fills it; the attribute loads on access
            if v is _SQL_DEFAULT:  # written into the INSERT; the attribute loads on access
                row_keys.append(key + SQL_VALUE)
                continue
        row_keys.append(key)
        vals.append(v)
    _convert(mapper, _bound_keys(row_keys), vals, _bind_procs(mapper, dname))
    groups.setdefault((tuple(row_keys), generated), []).append((state, vals))


def _fill_in(
    mapper: Mapper,
    key: str,
    col: Column[Any],
    v: Any,
    d: dict[str, Any],
    conn: Connection | None = None,
) -> Any:
    """The value an INSERT writes for a column the object left None or unset (also set on
    the object): its default, 1 for a version counter, None; NO_VALUE when the server
    default fills it."""
    if col.default is not None:
        if _sql_default(col.default) is not None:
            if col.primary_key:
                raise exc.NotSupportedError(
                    f"{mapper.class_.__name__}.{key}: a SQL expression default on a primary "
                    "key column is not supported (the flush needs the key); use a Python "
                    "callable default or server_default"
                )
            return _SQL_DEFAULT
        if _takes_context(col.default):
            v = col.default.arg(DefaultContext(conn, mapper, d, col))
        else:
            v = col.default() if callable(col.default) else col.default
    elif key == mapper.version_key and mapper.version_id_generator is not False:
        gen = mapper.version_id_generator
        v = 1 if gen is None else gen(None)
    elif v is NO_VALUE:
        if col.server_default is not None:
            return NO_VALUE
        v = None
    else:
        return v
    d[key] = v
    return v


def _insert_stmt(
    conn: Connection,
    plan: _InsertPlan,
    mapper: Mapper,
    keys: tuple[str, ...],
    nrows: int,
    returning: bool,
    fetch: tuple[str, ...] = (),
) -> Compiled:
    """The INSERT of ``nrows`` rows of the columns ``keys`` (``RETURNING`` the generated
    key, then the server-generated columns ``fetch``), compiled once per insert plan (that
    is per mapper and dialect)."""
    shape = (keys, nrows, returning, fetch)
    hit = plan.statements.get(shape)
    if hit is None:
        stmt = insert(mapper.local_table).given_values_only()
        if keys:
            row = {
                mapper.columns[k.removesuffix(SQL_VALUE)]: _value_of(mapper, k, "default")
                for k in keys
            }
            stmt = stmt.values(row) if nrows == 1 else stmt.values([row] * nrows)
        if returning:
            stmt = stmt.returning(mapper.autoinc_col)
        if fetch:
            stmt = stmt.returning(*[mapper.columns[k] for k in fetch])
        hit = plan.statements[shape] = stmt.compile(conn.dialect)
    return hit


def _insert_generated(
    conn: Connection, plan: _InsertPlan, mapper: Mapper, keys: tuple[str, ...], rows: Rows
) -> None:
    """INSERT rows whose primary key the database generates, and give the objects their
    keys: RETURNING (several rows per statement where the order is known), or lastrowid."""
    dialect = conn.dialect
    pk_key = mapper.autoinc_key
    assert pk_key is not None
    if not dialect.supports_returning:
        sql = _insert_stmt(conn, plan, mapper, keys, 1, False).sql
        for state, vals in rows:
            cur = conn.cursor_execute(sql, tuple(vals))
            state().__dict__[pk_key] = cur.lastrowid
        return
    if dialect.multirow_returning_ordered and keys:
        if len(rows) == 1:  # (= a chunk of one row: a flush per savepoint)
            state, vals = rows[0]
            got = conn.cursor_execute(_insert_stmt(conn, plan, mapper, keys, 1, True).sql, vals)
            returned = got.fetchall()
            if len(returned) != 1:
                _check_generated_keys(mapper, [r[0] for r in returned], 1)  # (raises)
            state().__dict__[pk_key] = returned[0][0]
            return
        per = max(1, min(dialect.max_bind_params // len(keys), 5000))
        for i in range(0, len(rows), per):
            _insert_returning_chunk(conn, plan, mapper, keys, rows[i : i + per], pk_key)
        return
    sql = _insert_stmt(conn, plan, mapper, keys, 1, True).sql
    if len(rows) == 1:
        state, vals = rows[0]
        cur = conn.cursor_execute(sql, tuple(vals))
        state().__dict__[pk_key] = cur.fetchone()[0]
        return
    result_rows = conn.executemany_returning(sql, [tuple(vals) for _, vals in rows])
    for (state, _), row in zip(rows, result_rows):
        state().__dict__[pk_key] = row[0]


def _insert_returning_chunk(
    conn: Connection,
    plan: _InsertPlan,
    mapper: Mapper,
    keys: tuple[str, ...],
    chunk: Rows,
    pk_key: str,
) -> None:
    """One multi-row ``INSERT ... VALUES (...), (...) RETURNING pk``; keys given in order."""
    sql = _insert_stmt(conn, plan, mapper, keys, len(chunk), True).sql
    params: Values = []
    for _, vals in chunk:
        params.extend(vals)
    cur = conn.cursor_execute(sql, params)
    ids = [r[0] for r in cur.fetchall()]
    ids.sort()
    if len(ids) != len(chunk) or (ids and ids[-1] - ids[0] != len(ids) - 1):
        raise exc.FlushError(
            f"INSERT into {mapper.local_table.name} returned keys that cannot be "
            "matched to rows (the table's rowids are no longer increasing); give "
            "the objects explicit primary keys"
        )
    for (state, _), pk in zip(chunk, ids):
        state().__dict__[pk_key] = pk


# -- batch=False: one object at a time ------------------------------------------------------
def one_at_a_time(
    fn: Callable[[Connection, Mapper, Sequence[InstanceState]], None],
    conn: Connection,
    mapper: Mapper,
    states: Sequence[InstanceState],
) -> None:
    """``__mapper_args__ = {"batch": False}``: run the persistence function ``fn`` once per
    state, so that each object's before_insert / before_update event, statement and
    after_* event happen before the next object's (SQLAlchemy's ``batch=False``, for
    listeners that must see the rows written so far; DELETEs stay batched, as there)."""
    for state in states:
        fn(conn, mapper, [state])


# -- eager defaults: server-generated values fetched back by the INSERT / UPDATE -------------
# SQLAlchemy 2.0's rules: ``eager_defaults=True`` fetches the columns the database filled
# (server_default, Identity, Computed, FetchedValue) with RETURNING in the INSERT, and the
# server_onupdate / Computed columns with RETURNING in the UPDATE; without RETURNING, a
# SELECT after the statement. ``"auto"`` (the default) fetches on INSERT only, and only
# where RETURNING works for a batch of rows (both our backends); UPDATE then expires them.
# ``False`` fetches nothing: those attributes load on first access.
def _eager_on_insert(mapper: Mapper, supports_returning: bool) -> bool:
    """Whether the INSERT of ``mapper``'s rows fetches server-generated values with
    RETURNING on a dialect that has it (``supports_returning``) or not."""
    eager = mapper.eager_defaults
    return supports_returning and (eager is True or eager == "auto")


def _server_keys_left_out(plan: _InsertPlan, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The server-generated columns an INSERT of the columns ``keys`` leaves to the
    database (a column the object gave a value is sent, not fetched), and those written
    with a SQL expression default."""
    sql = tuple(k.removesuffix(SQL_VALUE) for k in keys if k.endswith(SQL_VALUE))
    return tuple(k for k in plan.server_keys if k not in keys) + sql


def insert_fetching_defaults(
    conn: Connection,
    plan: _InsertPlan,
    mapper: Mapper,
    keys: tuple[str, ...],
    rows: Rows,
    generated: bool,
    fetch: tuple[str, ...],
) -> None:
    """INSERT ``rows`` with ``RETURNING`` the generated key (``generated``) and the
    server-generated columns ``fetch``, and set those values on the objects (converted
    by their column types), so that reading them needs no SELECT.

    Raises:
        exc.FlushError: a multi-row INSERT returned keys that cannot be matched to rows.
    """
    dialect = conn.dialect
    pk_key = mapper.autoinc_key if generated else None
    out_keys = (pk_key, *fetch) if pk_key is not None else fetch
    if pk_key is not None and dialect.multirow_returning_ordered and keys:
        per = max(1, min(dialect.max_bind_params // len(keys), 5000))
        for i in range(0, len(rows), per):
            chunk = rows[i : i + per]
            compiled = _insert_stmt(conn, plan, mapper, keys, len(chunk), True, fetch)
            params: Values = []
            for _, vals in chunk:
                params.extend(vals)
            got = sorted(conn.cursor_execute(compiled.sql, params).fetchall(), key=lambda r: r[0])
            _check_generated_keys(mapper, [r[0] for r in got], len(chunk))
            _set_returned(compiled, out_keys, [st for st, _ in chunk], got)
        return
    compiled = _insert_stmt(conn, plan, mapper, keys, 1, pk_key is not None, fetch)
    if len(rows) == 1:
        got = [conn.cursor_execute(compiled.sql, tuple(rows[0][1])).fetchone()]
    else:
        got = conn.executemany_returning(compiled.sql, [tuple(vals) for _, vals in rows])
    _set_returned(compiled, out_keys, [st for st, _ in rows], got)


def _check_generated_keys(mapper: Mapper, ids: list[Any], nrows: int) -> None:
    """The sorted keys a multi-row INSERT returned must be one run of ``nrows`` values,
    else they cannot be matched to the rows in order."""
    if len(ids) != nrows or (ids and ids[-1] - ids[0] != len(ids) - 1):
        raise exc.FlushError(
            f"INSERT into {mapper.local_table.name} returned keys that cannot be "
            "matched to rows (the table's rowids are no longer increasing); give "
            "the objects explicit primary keys"
        )


def _set_returned(
    compiled: Compiled, keys: Sequence[str], states: Sequence[InstanceState], rows: Any
) -> None:
    """Put each returned row's values (result-converted) into its state's object."""
    procs = compiled.result_processors or [None] * len(keys)
    for state, row in zip(states, rows):
        d = state().__dict__
        for k, v, p in zip(keys, row, procs):
            d[k] = p(v) if p is not None and v is not None else v


def _set_by_database(mapper: Mapper, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The columns an UPDATE of the columns ``keys`` leaves the database to set: the
    server_onupdate / Computed ones and those written with a SQL expression onupdate."""
    sql = tuple(k.removesuffix(SQL_VALUE) for k in keys if k.endswith(SQL_VALUE))
    return tuple(mapper.server_onupdate_keys) + sql


def _update_returning(
    conn: Connection,
    mapper: Mapper,
    keys: tuple[str, ...],
    versioned: bool,
    rows: list[Values],
    states: list[InstanceState],
    fetch: tuple[str, ...],
) -> None:
    """``eager_defaults=True``: each UPDATE of the columns ``keys`` also RETURNs the
    columns ``fetch`` the database sets (server_onupdate, Computed, SQL expression
    onupdate), one statement per row as RETURNING needs; a row that matched nothing raises
    StaleDataError."""

    def build() -> ClauseElement:
        values = {
            mapper.columns[k.removesuffix(SQL_VALUE)]: _value_of(mapper, k, "onupdate")
            for k in keys
        }
        stmt = update(mapper.local_table).given_values_only().values(values)
        stmt = stmt.where(_key_criteria(mapper, versioned))
        return stmt.returning(*[mapper.columns[k] for k in fetch])  # type: ignore[no-any-return]

    compiled = _compiled(conn, mapper, ("update returning", keys, versioned, fetch), build)
    got: list[Any] = []
    for vals in rows:
        row = conn.cursor_execute(compiled.sql, tuple(vals)).fetchone()
        if row is None:
            raise _stale(mapper, "UPDATE", len(rows), len(got))
        got.append(row)
    _set_returned(compiled, fetch, states, got)
    if mapper.dispatch.refresh_flush:
        _events.fire_refresh_flush(states, [list(fetch)] * len(states))


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
    force: set[InstanceState] | None = None,
) -> None:
    """UPDATE only the changed columns of each state, grouped into executemany batches.
    ``force``: states whose row is updated even with no changed column here (the version
    counter of a joined-table base row whose subclass row changed)."""
    if not states:
        return
    if not mapper.base_mapper.batch and len(states) > 1:
        one_at_a_time(update_states, conn, mapper, states)
        return
    if mapper.dispatch.before_update:
        _events.fire_mapper(mapper, "before_update", conn, states)
    procs = _bind_procs(mapper, conn.dialect.name)
    eager_update = mapper.eager_defaults is True and bool(conn.dialect.supports_returning)
    groups, updated = _update_rows_by_shape(conn, mapper, states, force, eager_update)
    for (keys_t, versioned), rows in groups.items():
        # a refused value: the flush fails before any UPDATE of this mapper
        _Layout(mapper, procs, keys_t, versioned).convert(rows)
    server_version = (  # (the property only for False: no call on the usual path)
        mapper.version_key
        if mapper.version_id_generator is False and mapper.version_from_server
        else None
    )
    for (keys_t, versioned), rows in groups.items():
        fetch = _set_by_database(mapper, keys_t) if eager_update else ()
        if server_version is not None and conn.dialect.supports_returning:
            if server_version not in fetch:  # fetched in the UPDATE itself (RETURNING)
                fetch = (*fetch, server_version)
        if fetch:
            shape_states = updated[keys_t, versioned]
            _update_returning(conn, mapper, keys_t, versioned, rows, shape_states, fetch)
            continue
        sql = _update_stmt(conn, mapper, keys_t, versioned).sql
        _run_counted(conn, sql, rows, mapper, "UPDATE", raise_on_mismatch=True)
    if mapper.server_onupdate_keys and not eager_update and updated:
        _refresh_server_onupdate(conn, mapper, [st for sts in updated.values() for st in sts])
    if server_version is not None and not conn.dialect.supports_returning and updated:
        changed = [st for sts in updated.values() for st in sts]
        for st in changed:
            st().__dict__.pop(server_version, None)
        _fetch_columns(conn, mapper, changed, [server_version])
    if mapper.dispatch.after_update:
        _events.fire_mapper(mapper, "after_update", conn, states)


#: an UPDATE statement's shape: the SET keys, and whether the version counter is checked
_UpdateShape = tuple[tuple[str, ...], bool]


def _update_rows_by_shape(
    conn: Connection,
    mapper: Mapper,
    states: Sequence[InstanceState],
    force: set[InstanceState] | None,
    eager_update: bool,
) -> tuple[dict[_UpdateShape, list[Values]], dict[_UpdateShape, list[InstanceState]]]:
    """The parameter rows of the states' UPDATEs, by statement shape, and the states of
    each shape where server_onupdate columns must be fetched or expired afterwards (empty
    on the plain path). ``onupdate`` values are set on the objects on the way."""
    columns = mapper.columns
    onupdate, sql_onupdate = _onupdate_columns(mapper)
    groups: dict[_UpdateShape, list[Values]] = {}
    no_value = NO_VALUE
    unversioned = mapper.version_key is None
    server_changed = bool(mapper.server_onupdate_keys) or (
        mapper.version_id_generator is False and mapper.version_from_server
    )
    server_changed = server_changed or (sql_onupdate and eager_update)
    updated: dict[_UpdateShape, list[InstanceState]] = {}
    # a joined-table subclass's table: the database moves its key with the base row's
    # (ON UPDATE CASCADE), so its row is found by the new key and the key is not SET
    cascaded = mapper.pk_keys if mapper._cascaded_keys else None
    positions = mapper._key_positions
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
        if cascaded is not None:
            keys = [k for k in keys if k not in cascaded]
        if not keys and (force is None or state not in force):
            continue
        # (the version first: a SQL onupdate of its column unloads it)
        old_version = no_value if unversioned else _bump_version(conn, mapper, state, keys)
        if onupdate:
            _apply_onupdate(conn, mapper, d, keys, onupdate)
        assert state.key is not None
        vals = list(map(d.__getitem__, keys if not sql_onupdate else _bound_keys(keys)))
        # (one table of a join mapping: its part of the identity)
        ident = state.key[1] if positions is None else [state.key[1][i] for i in positions]
        vals.extend(ident if cascaded is None else [d[k] for k in cascaded])
        if old_version is not no_value:
            vals.append(old_version)
            shape = (tuple(keys), True)
        else:
            shape = (tuple(keys), False)
        groups.setdefault(shape, []).append(vals)
        if server_changed:
            updated.setdefault(shape, []).append(state)
    return groups, updated


#: a column with ``onupdate=``: (key, column, the value is SQL, a function of the context)
_OnUpdate: TypeAlias = "tuple[str, Column[Any], bool, bool]"


def _onupdate_columns(mapper: Mapper) -> tuple[list[_OnUpdate], bool]:
    """The mapper's columns with an ``onupdate=``, each classified once per flush, and
    whether one of them is SQL (then some SET values are not parameters)."""
    found: list[_OnUpdate] = []
    any_sql = False
    for k, c in mapper.columns.items():
        if c.onupdate is not None:
            is_sql = _sql_default(c.onupdate) is not None
            any_sql = any_sql or is_sql
            found.append((k, c, is_sql, not is_sql and _takes_context(c.onupdate)))
    return found, any_sql


def _apply_onupdate(
    conn: Connection, mapper: Mapper, d: dict[str, Any], keys: list[str], onupdate: list[_OnUpdate]
) -> None:
    """The ``onupdate`` values of one row being updated, for the columns the row does not
    set itself: a Python value is set on the object (``keys`` gains its key); an SQL one
    is written into the SET (``key + SQL_VALUE``) and loads again on access."""
    for key, col, is_sql, with_context in onupdate:
        if key not in keys:
            if is_sql:
                d.pop(key, None)  # set by the UPDATE; loads on access
                keys.append(key + SQL_VALUE)
                continue
            if with_context:
                d[key] = col.onupdate(DefaultContext(conn, mapper, d, col))
            else:
                d[key] = col.onupdate() if callable(col.onupdate) else col.onupdate
            keys.append(key)


def _bump_version(conn: Connection, mapper: Mapper, state: InstanceState, keys: list[str]) -> Any:
    """Move the version counter of a row being updated on (``keys`` gains its column) and
    return the old value the UPDATE checks; NO_VALUE when nothing is versioned (no counter,
    or the application sets it itself)."""
    version_key = mapper.version_key
    if version_key is None:
        return NO_VALUE
    gen = mapper.version_id_generator
    if gen is False:
        # the application sets the version (or the database does): the UPDATE checks
        # the row's version now; with nothing else to SET it writes the version unchanged
        old_version = _version_of(state, version_key)
        if (state.committed or {}).get(version_key, None) is NO_VALUE:
            # set while expired: the version the row has is read now
            old_version = _row_version(conn, mapper, state, version_key)
        if not keys:
            state().__dict__[version_key] = old_version
            keys.append(version_key)
        return old_version
    if version_key in keys:
        return NO_VALUE
    d = state().__dict__
    old_version = d.get(version_key, NO_VALUE)
    if old_version is NO_VALUE:
        old_version = getattr(state(), version_key)
    d[version_key] = (old_version or 0) + 1 if gen is None else gen(old_version)
    keys.append(version_key)
    return old_version


def _row_version(conn: Connection, mapper: Mapper, state: InstanceState, key: str) -> Any:
    """The version the database row of ``state`` has now (SELECT by primary key)."""
    from ..sql.selectable import Select

    assert state.key is not None
    pk = zip(mapper.pk_columns, state.key[1])
    stmt: Select[Any] = Select(mapper.columns[key]).where(*[c == v for c, v in pk])
    row = conn.execute(stmt).first()
    return None if row is None else row[0]


class _Layout:
    """The parameters of one UPDATE / DELETE shape: SET columns, then the primary key, then
    the old version (not converted: the counter is the ORM's own integer)."""

    __slots__ = ("items", "keys", "on_error")

    def __init__(
        self, mapper: Mapper, procs: dict[str, Processor], keys: Sequence[str], versioned: bool
    ) -> None:
        keys = _bound_keys(keys)
        custom = mapper.version_id_generator is not None  # not the ORM's own integer
        set_keys = [k for k in keys if custom or not (versioned and k == mapper.version_key)]
        self.keys = (*keys, *mapper.pk_keys)
        if versioned and custom and mapper.version_key is not None:
            self.keys = (*self.keys, mapper.version_key)
        self.items = [
            (i, p)
            for i, k in enumerate(self.keys)
            if k in set_keys or i >= len(keys)
            if (p := procs[k]) is not None
        ]
        self.on_error = _on_error(mapper, self.keys)

    def convert(self, rows: list[Values]) -> None:
        """Convert the rows' parameters in place."""
        apply_processors(rows, self.items, self.on_error)


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


def _update_stmt(
    conn: Connection, mapper: Mapper, keys: tuple[str, ...], versioned: bool
) -> Compiled:
    def build() -> ClauseElement:
        values = {
            mapper.columns[k.removesuffix(SQL_VALUE)]: _value_of(mapper, k, "onupdate")
            for k in keys
        }
        stmt = update(mapper.local_table).given_values_only().values(values)
        return stmt.where(_key_criteria(mapper, versioned))  # type: ignore[no-any-return]

    return _compiled(conn, mapper, ("update", keys, versioned), build)


def _run_counted(
    conn: Connection,
    sql: str,
    rows: list[Values],
    mapper: Mapper,
    verb: str,
    raise_on_mismatch: bool,
) -> None:
    """Run an UPDATE or DELETE of ``rows`` and compare the rows matched with those meant:
    StaleDataError (``raise_on_mismatch``), or the ``confirm_deleted_rows`` warning."""
    matched = _execute(conn, sql, rows).rowcount
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
            stacklevel=3,
        )
    if raise_on_mismatch and matched is not None and matched >= 0 and matched != len(rows):
        raise _stale(mapper, verb, len(rows), matched)


def _stale(mapper: Mapper, verb: str, expected: int, matched: int) -> exc.StaleDataError:
    """The StaleDataError of an UPDATE / DELETE that matched fewer rows than it meant."""
    return exc.StaleDataError(
        f"{verb} statement on table {mapper.local_table.name!r} expected to match "
        f"{expected} row(s); {matched} were matched. The rows were changed or deleted "
        "by another transaction (or their version counter moved on): reload the objects "
        "and try again"
    )


def post_update(
    conn: Connection, mapper: Mapper, items: Sequence[tuple[InstanceState, dict[str, Any]]]
) -> None:
    """UPDATE foreign key columns after the rows exist (``post_update=True``)."""
    procs = _bind_procs(mapper, conn.dialect.name)
    groups: dict[tuple[str, ...], list[Values]] = {}
    for state, values in items:
        keys = tuple(values)
        vals = _convert(mapper, keys, list(values.values()), procs)
        pk = [state().__dict__[k] for k in mapper.pk_keys]
        groups.setdefault(keys, []).append(vals + _convert(mapper, mapper.pk_keys, pk, procs))
    for keys_t, rows in groups.items():
        sql = _update_stmt(conn, mapper, keys_t, False).sql
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
    if not mapper.base_mapper.batch and len(pairs) > 1:
        for pair in pairs:
            row_switch_states(conn, mapper, [pair])
        return
    if mapper.dispatch.before_update:  # the new object's row already exists: an update
        _events.fire_mapper(mapper, "before_update", conn, [new for new, _ in pairs])
    procs = _bind_procs(mapper, conn.dialect.name)
    version_key = mapper.version_key
    groups: dict[tuple[tuple[str, ...], tuple[str, ...], bool], list[Values]] = {}
    for new, old in pairs:
        d = new().__dict__
        keys: list[str] = []
        server: list[str] = []
        vals: Values = []
        for key, col in zip(mapper.column_keys, mapper.column_list):
            if col.primary_key:
                continue
            v = d.get(key, NO_VALUE)
            if v is None or v is NO_VALUE:
                v = _fill_in(mapper, key, col, v, d, conn)
                if v is NO_VALUE:
                    server.append(key)
                    continue
                d[key] = v
            keys.append(key)
            vals.append(v)
        if not keys and not server:
            continue  # only key columns: the row already is the new object's
        _convert(mapper, keys, vals, procs)
        assert old.key is not None
        vals.extend(_convert(mapper, mapper.pk_keys, list(old.key[1]), procs))
        if version_key is not None:
            vals.append(_version_of(old, version_key))
        groups.setdefault((tuple(keys), tuple(server), version_key is not None), []).append(vals)
    for (keys_t, server_t, versioned), rows in groups.items():
        sql = _row_switch_stmt(conn, mapper, keys_t, server_t, versioned).sql
        _run_counted(conn, sql, rows, mapper, "UPDATE (row switch)", raise_on_mismatch=True)
    if mapper.dispatch.after_update:
        _events.fire_mapper(mapper, "after_update", conn, [new for new, _ in pairs])


def _row_switch_stmt(
    conn: Connection,
    mapper: Mapper,
    keys: tuple[str, ...],
    server: tuple[str, ...],
    versioned: bool,
) -> Compiled:
    dname = conn.dialect.name

    def build() -> ClauseElement:
        from ..sql.schema import server_default_sql

        columns = mapper.columns
        values: dict[Any, Any] = {columns[k]: _bind(columns[k]) for k in keys}
        for k in server:
            col = columns[k]
            # PostgreSQL has SET col = DEFAULT; SQLite has not, but its defaults are
            # constant expressions that evaluate the same in an UPDATE
            if dname == "postgresql":
                values[col] = TextClause("DEFAULT")
            else:
                default_sql = server_default_sql(col.server_default, dname)
                values[col] = TextClause("(" + default_sql.replace(":", "\\:") + ")")
        stmt = update(mapper.local_table).values(values)
        return stmt.where(_key_criteria(mapper, versioned))  # type: ignore[no-any-return]

    return _compiled(conn, mapper, ("row switch", keys, server, versioned), build)


# -- DELETE ---------------------------------------------------------------------------------
def delete_states(conn: Connection, mapper: Mapper, states: Sequence[InstanceState]) -> None:
    """DELETE the rows of ``states`` by primary key (and version counter): executemany."""
    if not states:
        return
    # (batch=False does not split DELETEs: SQLAlchemy applies it to INSERT / UPDATE only)
    if mapper.dispatch.before_delete:
        _events.fire_mapper(mapper, "before_delete", conn, states)
    version_key = mapper.version_key
    versioned = version_key is not None
    layout = _Layout(mapper, _bind_procs(mapper, conn.dialect.name), (), versioned)
    positions = mapper._key_positions
    rows = []
    for state in states:
        assert state.key is not None
        pk = list(state.key[1]) if positions is None else [state.key[1][i] for i in positions]
        if version_key is not None:
            pk.append(_version_of(state, version_key))
        rows.append(pk)
    layout.convert(rows)

    def build() -> ClauseElement:
        return delete(mapper.local_table).where(  # type: ignore[no-any-return]
            _key_criteria(mapper, versioned)
        )

    sql = _compiled(conn, mapper, ("delete", versioned), build).sql
    _run_counted(conn, sql, rows, mapper, "DELETE", raise_on_mismatch=versioned)
    if mapper.dispatch.after_delete:
        _events.fire_mapper(mapper, "after_delete", conn, states)


# -- rows given as values (bulk_insert_mappings / bulk_update_mappings) ----------------------
def bind_values(mapper: Mapper, dialect_name: str, keys: Sequence[str], values: Values) -> Values:
    """``values`` of the columns ``keys`` converted in place by their types for the driver.

    Raises:
        exc.ColumnValueError: a value the column's type refuses (naming the attribute).
    """
    return _convert(mapper, keys, values, _bind_procs(mapper, dialect_name))


def insert_rows(
    conn: Connection,
    mapper: Mapper,
    keys: tuple[str, ...],
    rows: list[Values],
    return_keys: bool,
) -> list[Any] | None:
    """INSERT ``rows`` (converted values of the columns ``keys``) in one executemany.

    With ``return_keys`` (``keys`` leaves out the mapper's autoincrement key), the statement
    has ``RETURNING`` that key and its value for each row is returned, in row order.
    """
    plan = _insert_plan(mapper, conn)
    sql = _insert_stmt(conn, plan, mapper, keys, 1, return_keys).sql
    params = [tuple(v) for v in rows]
    if return_keys:
        return [r[0] for r in conn.executemany_returning(sql, params)]
    conn.cursor_execute(sql, params, many=True)
    return None


def update_rows(
    conn: Connection, mapper: Mapper, keys: tuple[str, ...], rows: list[Values]
) -> None:
    """UPDATE by primary key: each row holds the converted values of ``keys``, then of the
    primary key. Rows that match nothing are not an error (as SQLAlchemy's bulk update)."""
    sql = _update_stmt(conn, mapper, keys, False).sql
    _run_counted(conn, sql, rows, mapper, "UPDATE", raise_on_mismatch=False)


# -- many-to-many association rows --------------------------------------------------------------
def secondary_rows(
    conn: Connection,
    table: Table | None,
    cols: Sequence[Column[Any]],
    rows: Sequence[tuple[Any, ...]],
    delete_rows: bool,
) -> None:
    """INSERT (or DELETE, by all their columns) rows of a many-to-many association table."""
    assert table is not None
    if not rows:
        return
    params = [list(r) for r in rows]
    apply_processors(
        params, processor_items(bind_processors([c.type for c in cols], conn.dialect.name))
    )

    def build() -> ClauseElement:
        stmt: ClauseElement
        if delete_rows:
            stmt = delete(table).where(and_(*[c == _bind(c) for c in cols]))
        else:
            stmt = insert(table).given_values_only().values({c: _bind(c) for c in cols})
        return stmt

    sql = _compiled(conn, table, ("secondary", tuple(cols), delete_rows), build).sql
    _execute(conn, sql, params)


__all__ = [
    "bind_values",
    "changed_keys",
    "default_value",
    "delete_states",
    "fetch_server_values",
    "insert_rows",
    "insert_states",
    "post_update",
    "row_switch_states",
    "secondary_rows",
    "update_rows",
    "update_states",
]
