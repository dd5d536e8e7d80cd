"""Joined-table inheritance in the flush: each table of a subclass's chain written in turn.

Called by: uow_orm.orm.unitofwork (INSERT / UPDATE / DELETE / row switch of objects of a
joined-table subclass) and uow_orm.orm.bulk (ORM ``insert()`` (with RETURNING),
``update()`` / ``delete()`` of one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.schema import Column
from .inheritance import condition_pairs
from .mapper import Mapper

if TYPE_CHECKING:
    from ..engine.result import Result
    from ..sql.schema import Table


class TablePart(Mapper):
    """One table of a joined-table subclass, as the flush sees it: the columns of that table
    under their attribute keys, that table's primary key. ``insert_states`` and the other
    persistence functions write one table per call with it."""

    def __init__(self, mapper: Mapper, table: Table, root: bool) -> None:
        self.class_ = mapper.class_
        self.owner = mapper
        self.local_table = table
        self._joined_tables = None
        self._from = table
        self.registry = mapper.registry
        self.inherits = None
        self.base_mapper = mapper.base_mapper
        self._flush_base = mapper._flush_base
        self._identity_class = mapper._identity_class
        self._children = []
        self.eager_defaults = mapper.eager_defaults
        self.confirm_deleted_rows = mapper.confirm_deleted_rows
        pairs = [(k, c) for k, c in mapper.columns.items() if c.table is table]
        pairs += [(k, c) for k, c in mapper._extra_columns if c.table is table]
        order = {c: i for i, c in enumerate(table.c)}
        pairs.sort(key=lambda kc: order[kc[1]])
        from .properties import Properties

        self.columns = Properties(dict(pairs))
        self.c = self.columns
        self.column_to_key = {c: k for k, c in pairs}
        self.column_list = [c for _, c in pairs]
        self.column_keys = [k for k, _ in pairs]
        self.pk_columns = [c for c in table.primary_key if c in self.column_to_key]
        self.pk_keys = [self.column_to_key[c] for c in self.pk_columns]
        at = {c: i for i, c in enumerate(self.column_list)}  # (by identity, not ==)
        self.pk_positions = [at[c] for c in self.pk_columns]
        self.load_columns, self.load_keys = self.column_list, self.column_keys
        vc = mapper.version_id_col
        self.version_id_col = vc if vc is not None and vc.table is table else None
        self.version_key = (
            self.column_to_key.get(self.version_id_col) if self.version_id_col is not None else None
        )
        self.version_id_generator = mapper.version_id_generator
        autoinc = self.pk_columns[0] if root and mapper.autoinc_col is not None else None
        self.autoinc_col = autoinc if autoinc is not None and autoinc.table is table else None
        self.autoinc_key = (
            self.column_to_key.get(self.autoinc_col) if self.autoinc_col is not None else None
        )
        self.mutable_keys = {k: v for k, v in mapper.mutable_keys.items() if k in self.columns}
        self.server_onupdate_keys = [k for k, c in pairs if c.server_onupdate is not None]
        self.post_update_cols = {c for c in mapper.post_update_cols if c.table is table}
        #: not the base table: its key columns follow the base row's (ON UPDATE CASCADE)
        self._cascaded_keys = not root and not mapper._join_mapping
        if mapper._join_mapping:
            self._join_part(mapper, table)
        #: (parent attribute, own attribute) the key of this table's row is copied from
        self.sync_keys: list[tuple[str, str]] = []
        for m in mapper.iterate_to_root():
            for pcol, scol in getattr(m, "_inherit_pairs", ()):
                if scol.table is table:
                    pk, sk = mapper.column_to_key.get(pcol), self.column_to_key.get(scol)
                    if pk is not None and sk is not None and pk != sk:
                        self.sync_keys.append((pk, sk))

    def _join_part(self, mapper: Mapper, table: Table) -> None:
        """A table of a class mapped to a join: its row is found by its own part of the
        object's key, and its own integer key may be generated.

        Raises:
            ArgumentError: the table's primary key is not part of the mapped one.
        """
        if not all(k in mapper.pk_keys for k in self.pk_keys):
            raise exc.ArgumentError(
                f"{mapper.class_.__name__}: the primary key of table {table.name!r} is not "
                "part of the mapped primary key, so its rows cannot be written"
            )
        self._key_positions = [mapper.pk_keys.index(k) for k in self.pk_keys]
        own = self.pk_columns[0] if len(self.pk_columns) == 1 else None
        keyed = own is not None and mapper.columns.get(self.column_to_key[own]) is own
        autoinc = own if own is not None and keyed and own.is_autoincrement else None
        self.autoinc_col = autoinc
        self.autoinc_key = self.column_to_key[autoinc] if autoinc is not None else None

    def __repr__(self) -> str:
        return f"<TablePart {self.class_.__name__} -> {self.local_table.name}>"


def table_parts(mapper: Mapper) -> list[TablePart]:
    """The tables of a joined-table subclass as flush parts, base table first (cached
    until the mapper's columns change)."""
    parts: list[TablePart] | None = mapper.__dict__.get("_table_parts")
    if parts is None:
        tables = mapper.tables
        parts = [TablePart(mapper, t, i == 0) for i, t in enumerate(tables)]
        mapper.__dict__["_table_parts"] = parts
    return parts


def joined_write(
    kind: str, fn: Callable[..., Any], conn: Any, mapper: Mapper, states: Sequence[Any]
) -> None:
    """Write ``states`` of a joined-table subclass ``mapper`` with persistence function ``fn``
    one table at a time: INSERT / UPDATE base table first, DELETE subclass table first; the
    mapper's persistence events fire once per object around them. ``kind`` is
    ``"insert"``, ``"update"`` or ``"delete"`` (row switches: `row_switch`)."""
    from . import events as _events

    if getattr(mapper.dispatch, "before_" + kind):
        _events.fire_mapper(mapper, "before_" + kind, conn, states)
    parts = table_parts(mapper)
    if kind == "delete":
        for part in reversed(parts):
            fn(conn, part, states)
    elif kind == "update":
        force = _version_only(mapper, parts, states)
        for i, part in enumerate(parts):
            if i == 0 and force:
                fn(conn, part, states, force)
            else:
                fn(conn, part, states)
    else:
        for part in parts:
            if part.sync_keys:
                for st in states:
                    d = st().__dict__
                    for pk, sk in part.sync_keys:
                        d[sk] = d.get(pk)
            fn(conn, part, states)
    if getattr(mapper.dispatch, "after_" + kind):
        _events.fire_mapper(mapper, "after_" + kind, conn, states)


def _version_only(mapper: Mapper, parts: list[TablePart], states: Sequence[Any]) -> set[Any]:
    """States whose changed columns are all in subclass tables: with a version counter on
    the base table, that row's counter still moves on (an UPDATE of the counter alone)."""
    if mapper.version_key is None:
        return set()
    from .persistence import changed_keys

    base_cols = parts[0].columns
    out = set()
    for st in states:
        keys = changed_keys(st)
        if keys and not any(k in base_cols for k in keys):
            out.add(st)
    return out


def check_joined_dml(mapper: Mapper, stmt: Any) -> list[Any]:
    """Check an ORM ``update(Sub)`` / ``delete(Sub)`` of a joined-table subclass, which
    changes the subclass's own table only (as SQLAlchemy); returns the key columns of that
    table (for RETURNING). (An ``insert(Sub)`` goes through `joined_insert_rows`.)

    Raises:
        CompileError: SET names a column of another table of the chain.
        InvalidRequestError: WHERE names another table of the chain without the join
            condition (SQLAlchemy would run a cartesian UPDATE..FROM / DELETE..USING).
    """

    table = mapper.local_table
    name = mapper.class_.__name__
    other = [c for c in (stmt._values or {}) if getattr(c, "table", table) is not table]
    if other:
        raise exc.CompileError(
            f"an ORM UPDATE of the joined-table subclass {name} changes its own table "
            f"{table.name!r} only (as SQLAlchemy); {other[0].table.name}.{other[0].name} is a "
            f"column of another table: update({other[0].table.name}) that class instead, "
            "e.g. update(Base).where(Base.id.in_(select(Sub.id)))"
        )
    chain = {id(t): t for t in mapper.tables if t is not table}
    named: dict[int, Any] = {}
    for w in stmt._where:
        for f in _tables_of(w):
            if id(f) in chain:
                named[id(f)] = f
    if named:
        pairs = {(id(a), id(b)) for w in stmt._where for a, b in condition_pairs(w)}
        for m in mapper.iterate_to_root():
            for pcol, scol in m._inherit_pairs:
                if id(pcol.table) in named or id(scol.table) in named:
                    if (id(pcol), id(scol)) not in pairs and (id(scol), id(pcol)) not in pairs:
                        raise exc.InvalidRequestError(
                            f"ORM {type(stmt).__name__.upper()} of the joined-table subclass "
                            f"{name} names columns of table "
                            f"{next(iter(named.values())).name!r} in its WHERE clause without "
                            "the join between the tables: SQLAlchemy would run it as a "
                            f"cartesian product (every {table.name} row matching); add the "
                            f"join condition ({pcol.table.name}.{pcol.name} == "
                            f"{scol.table.name}.{scol.name}) to where(), or filter on "
                            f"{name}.id.in_(select(...))"
                        )
    return table_parts(mapper)[-1].pk_columns


def _tables_of(expr: Any) -> list[Any]:
    """The tables whose columns ``expr`` names (subqueries are not looked into)."""
    out: list[Any] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Column):
            if e.table is not None:
                out.append(e.table)
            continue
        if getattr(e, "is_select", False):
            continue
        for attr in ("left", "right", "element", "clause"):
            v = getattr(e, attr, None)
            if v is not None and not isinstance(v, (str, int, float)):
                stack.append(v)
        stack.extend(getattr(e, "clauses", ()) or ())
    return out


def insert_joined_rows(conn: Any, mapper: Mapper, rows: list[dict[str, Any]]) -> None:
    """``bulk_insert_mappings`` of a joined-table subclass: the rows (attribute dicts, with
    defaults and the discriminator already in) go into each table of the chain in turn,
    base first; a key the database generates is read back (RETURNING) and copied on."""
    from .persistence import bind_values, insert_rows

    dname = conn.dialect.name
    for part in table_parts(mapper):
        for pk, sk in part.sync_keys:
            for r in rows:
                r[sk] = r.get(pk)
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in rows:
            keys = tuple(
                k
                for k in part.column_keys
                if k in r and not (k == part.autoinc_key and r[k] is None)
            )
            groups.setdefault(keys, []).append(r)
        for keys, members in groups.items():
            generated = part.autoinc_key is not None and part.autoinc_key not in keys
            vals = [bind_values(part, dname, keys, [r[k] for k in keys]) for r in members]
            out = insert_rows(conn, part, keys, vals, generated)
            if out is not None:
                assert part.autoinc_key is not None
                for r, key in zip(members, out):
                    r[part.autoinc_key] = key


def joined_insert_rows(mapper: Mapper, stmt: Any, params: Any, many: bool) -> list[dict[str, Any]]:
    """The rows (attribute dicts) of an ORM ``insert(Sub)`` of a joined-table subclass:
    the parameter sets (or the one given, or one empty row), each with the statement's
    ``values()`` (constants for every row, as SQLAlchemy's bulk INSERT takes them), or
    the rows of a multi-row ``values([...])``.

    Raises:
        CompileError: ``from_select()``, an upsert, an SQL expression in ``values()``, or
            multi-row ``values()`` with parameter sets.
    """
    name = mapper.class_.__name__
    refused = "from_select()" if getattr(stmt, "_from_select", None) is not None else None
    if getattr(stmt, "_on_conflict", None) is not None:
        refused = "an ON CONFLICT clause"
    if stmt._multi_values is not None and params:
        refused = "multi-row values() with parameter sets"
    if refused is not None:
        raise exc.CompileError(
            f"insert({name}) with {refused}: an ORM INSERT of the joined-table subclass "
            f"{name} writes {len(mapper.tables)} tables and takes rows as attribute dicts "
            f"only; insert into each table (insert({name}.__table__), ...) yourself"
        )
    if stmt._multi_values is not None:
        return [_literal_values(mapper, v) for v in stmt._multi_values]
    given = _literal_values(mapper, stmt._values or {})
    sets = params if many else [params] if params else [{}]
    return [{**given, **p} for p in sets]


def _literal_values(mapper: Mapper, values: dict[Any, Any]) -> dict[str, Any]:
    """``values()`` of an ORM INSERT as attribute key -> value (constants only)."""
    from ..sql.elements import BindParameter, ClauseElement

    out: dict[str, Any] = {}
    for col, v in values.items():
        key = mapper.column_to_key.get(col) or getattr(col, "key", None)
        if isinstance(v, BindParameter):
            v = v.value
        elif isinstance(v, ClauseElement):
            raise exc.CompileError(
                f"insert({mapper.class_.__name__}).values({key}=<SQL expression>): an ORM "
                "INSERT of a joined-table subclass takes constant values only; compute "
                "the value in Python or update the row after the INSERT"
            )
        out[str(key)] = v
    return out


def returned_rows(
    session: Any, conn: Any, mapper: Mapper, returning: Sequence[Any], rows: list[Any]
) -> Result:
    """The RETURNING of an ORM bulk ``insert(Sub).returning(...)`` of a joined-table
    subclass whose ``rows`` (attribute dicts, keys filled in) were just inserted table by
    table: the entities and columns named, read with one SELECT by primary key (per 500
    rows), in the order of the rows; the objects are identity-mapped and persistent."""
    from ..sql.elements import and_, or_
    from ..sql.selectable import Select
    from .loading import execute_select

    pk_cols, pk_keys = mapper.pk_columns, mapper.pk_keys
    keys = [tuple(r.get(k) for k in pk_keys) for r in rows]
    n = len(pk_cols)
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    result_keys: list[str] = []
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        if n == 1:
            crit = pk_cols[0].in_([k[0] for k in chunk])
        else:
            crit = or_(*[and_(*[c == v for c, v in zip(pk_cols, k)]) for k in chunk])
        sel: Any = Select(*returning, *pk_cols).where(crit)
        result = execute_select(session, sel.execution_options(populate_existing=True), None, conn)
        result_keys = list(result.keys())[:-n]
        for row in result.tuples():
            found[tuple(row[-n:])] = tuple(row[:-n])
    missing = [k for k in keys if k not in found]
    if missing:
        raise exc.InvalidRequestError(
            f"insert({mapper.class_.__name__}).returning(...): the rows with primary key "
            f"{missing[0]} were inserted but cannot be read back"
        )
    from ..engine.result import Result

    return Result(result_keys, [found[k] for k in keys], rowcount=len(keys))


def update_joined_rows(
    conn: Any, mapper: Mapper, keys: tuple[str, ...], rows: list[list[Any]]
) -> None:
    """``bulk_update_mappings`` of a joined-table subclass: each row holds the converted
    values of ``keys`` then of the primary key; each table gets an UPDATE of its columns."""
    from .persistence import update_rows

    n = len(keys)
    for part in table_parts(mapper):
        idx = [i for i, k in enumerate(keys) if k in part.columns and k not in part.pk_keys]
        if not idx:
            continue
        part_keys = tuple(keys[i] for i in idx)
        update_rows(conn, part, part_keys, [[r[i] for i in idx] + r[n:] for r in rows])


def check_union_dml(mapper: Mapper, stmt: Any) -> None:
    """An ORM ``update()`` / ``delete()`` of a `ConcreteBase` class changes its own table;
    its class attributes name the polymorphic union, which such a statement cannot use.

    Raises:
        InvalidRequestError: the WHERE clause names the union's columns.
    """
    union = mapper._union
    for w in stmt._where:
        if any(f is union for f in w._from_objects()):
            raise exc.InvalidRequestError(
                f"ORM {type(stmt).__name__.upper()} of the ConcreteBase class "
                f"{mapper.class_.__name__}: its attributes ({mapper.class_.__name__}.name) "
                "name the polymorphic union of the hierarchy, not its own table; use the "
                f"table's columns ({mapper.class_.__name__}.__table__.c...) in where()"
            )


def row_switch(conn: Any, mapper: Mapper, pairs: Sequence[tuple[Any, Any]]) -> None:
    """Row switches (a new object taking the key of one deleted in the same flush) where a
    joined-table class is involved: the tables both classes have get an UPDATE, a table
    only the deleted object's class has a DELETE (subclass tables first), a table only the
    new object's class has an INSERT."""
    from . import events as _events
    from .persistence import delete_states, insert_states, row_switch_states

    news = [n for n, _ in pairs]
    if mapper.dispatch.before_update:
        _events.fire_mapper(mapper, "before_update", conn, news)
    new_parts: list[Mapper] = (
        list(table_parts(mapper)) if mapper._joined_tables is not None else [mapper]
    )
    new_tables = {id(p.local_table) for p in new_parts}
    by_old: dict[Mapper, list[tuple[Any, Any]]] = {}
    for new, old in pairs:
        by_old.setdefault(old.mapper, []).append((new, old))
    for old_mapper, group in by_old.items():
        old_parts: list[Mapper] = (
            list(table_parts(old_mapper)) if old_mapper._joined_tables is not None else [old_mapper]
        )
        old_tables = {id(p.local_table) for p in old_parts}
        for part in reversed(old_parts):
            if id(part.local_table) not in new_tables:
                delete_states(conn, part, [old for _, old in group])
        for part in new_parts:
            if id(part.local_table) in old_tables:
                row_switch_states(conn, part, group)
            else:
                for pk, sk in getattr(part, "sync_keys", ()):
                    for new, _ in group:
                        d = new().__dict__
                        d[sk] = d.get(pk)
                insert_states(conn, part, [new for new, _ in group])
    if mapper.dispatch.after_update:
        _events.fire_mapper(mapper, "after_update", conn, news)
