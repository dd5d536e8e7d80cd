"""Autogenerate: compare the models' MetaData with the live database and write the
operations that make the database match, with their inverse for ``downgrade()``.

Called by the ``revision --autogenerate`` and ``check`` commands. Compared: tables,
columns (type, nullability, server default, comment), indexes, unique, foreign-key and
CHECK constraints, table comments and PostgreSQL ENUM types. Types are compared as the
database spells them (what this backend's DDL writes for the model, read back through the
catalog), so a fresh ``upgrade head`` shows no change.

Called by: uow_orm.migrate, uow_orm.migrate.commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import types as sqltypes
from ..engine.reflection import Inspector
from ..sql.ddl import CreateConstraint, inline_sql, should_create
from ..sql.naming import column_index_name, column_unique_name
from ..sql.schema import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    MetaData,
    Table,
    UniqueConstraint,
    server_default_sql,
    sort_tables,
)
from .runner import VERSION_TABLE

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..engine.base import Connection


log = logging.getLogger("uow_orm.migrate")


@dataclass
class Change:
    """One difference: a description for ``check``, and the code lines of the operation
    and of its inverse. ``batch_table`` puts the lines in a ``batch_alter_table`` block of
    that table on SQLite; ``warning`` is written as a comment above the operation."""

    description: str
    upgrade: list[str]
    downgrade: list[str]
    batch_table: str | None = None
    warning: str | None = None


@dataclass
class Comparison:
    """What `check` and ``revision(autogenerate=True)`` found between the models and the
    database: one ``Change`` per difference; false when they match.
    """

    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def descriptions(self) -> list[str]:
        """One line per difference, for people to read."""
        return [c.description for c in self.changes]


# -- rendering values as Python -----------------------------------------------------------
_TYPE_ARGS: dict[str, tuple[str, ...]] = {
    "Text": (),
    "String": ("length",),
    "Numeric": ("precision", "scale"),
    "DateTime": ("timezone",),
    "TIMESTAMP": ("timezone", "precision"),
    "TIME": ("precision",),
    "BIT": ("length", "varying"),
    "INTERVAL": ("precision", "fields"),
}


def render_type(type_: sqltypes.TypeEngine) -> str:
    """``sa.String(50)``-style constructor call for a type."""
    name = type(type_).__name__
    if isinstance(type_, sqltypes.Enum):
        # The Python enum class is the model's, not the migration's: the revision names
        # the stored values (a native ENUM type on PostgreSQL, as the model creates it).
        values = list(type_.enums)
        if not values or not all(isinstance(v, str) for v in values):
            return "sa.Integer()"
        args = [repr(v) for v in values]
        if type_.name:
            args.append(f"name={type_.name!r}")
        if not type_.native_enum:
            args.append("native_enum=False")
        if type_.create_constraint:
            args.append("create_constraint=True")
        return f"sa.Enum({', '.join(args)})"
    if isinstance(type_, sqltypes.Boolean) and type_.create_constraint:
        return "sa.Boolean(create_constraint=True)"
    if isinstance(type_, sqltypes.ARRAY):
        return f"postgresql.ARRAY({render_type(type_.item_type)})"
    from ..dialects import postgresql_ranges, postgresql_types

    if getattr(sqltypes, name, None) is type(type_):
        prefix = "sa."
    elif type(type_) in (
        getattr(postgresql_types, name, None),
        getattr(postgresql_ranges, name, None),
    ):
        prefix = "postgresql."  # a reflected PostgreSQL type (INET, TSVECTOR, ...)
    else:
        return f"sa.types.NullType()  # type {name} cannot be written here; fill it in"
    # the arguments of the generic type it is (VARCHAR is a String: its length)
    arg_names = next(
        (_TYPE_ARGS[c.__name__] for c in type(type_).__mro__ if c.__name__ in _TYPE_ARGS), ()
    )
    args = []
    for attr in arg_names:
        value = getattr(type_, attr, None)
        if value not in (None, False):
            args.append(f"{attr}={value!r}")
    return f"{prefix}{name}({', '.join(args)})"


def _render_default(value: Any, dialect: Dialect) -> str:
    return f"sa.text({server_default_sql(value, dialect.name)!r})"


def render_column(col: Column[Any], dialect: Dialect, *, with_fks: bool = True) -> str:
    """``sa.Column(...)`` source for ``col`` as a revision file writes it (with its
    ``sa.ForeignKey`` unless ``with_fks=False``).
    """
    parts = [repr(col.name), render_type(col.type)]
    if with_fks:
        for fk in col.foreign_keys:
            kw = "".join(
                f", {k}={v!r}"
                for k, v in (
                    ("name", fk.name),
                    ("ondelete", fk.ondelete),
                    ("onupdate", fk.onupdate),
                )
                if v
            )
            parts.append(f"sa.ForeignKey({fk.target_fullname!r}{kw})")
    if col.primary_key:
        parts.append("primary_key=True")
        if col.autoincrement is False:
            parts.append("autoincrement=False")
    parts.append(f"nullable={col.nullable!r}")
    if col.unique and not col.primary_key:
        parts.append("unique=True")  # its index, if any, is written as op.create_index
    if col.server_default is not None:
        parts.append(f"server_default={_render_default(col.server_default, dialect)}")
    if col.comment is not None:
        parts.append(f"comment={col.comment!r}")
    return f"sa.Column({', '.join(parts)})"


def _checks(table: Table, dialect: Dialect) -> list[tuple[str | None, str]]:
    """(name, condition SQL) of the table's CheckConstraints (table and column level)."""
    return [
        (con.name, inline_sql(con.sqltext, dialect))
        for con in table.constraints
        if isinstance(con, CheckConstraint) and _wanted_here(con, dialect)
    ]


def _wanted_here(item: Any, dialect: Dialect | None) -> bool:
    """Whether ``create_all`` makes ``item`` (a constraint / index) on ``dialect``: its
    ``ddl_if()`` condition (a callable gets no connection here)."""
    if dialect is None or getattr(item, "_ddl_if", None) is None:
        return True
    return should_create(item, CreateConstraint(item), dialect)


def _fk_groups(table: Table) -> list[tuple[list[str], str, list[str], dict[str, Any]]]:
    """(local columns, referred table, referred columns, options) of each foreign key."""
    groups: list[tuple[list[str], str, list[str], dict[str, Any]]] = []
    seen: set[int] = set()
    for con in table.constraints:
        if isinstance(con, ForeignKeyConstraint):
            target = con.refcolumns[0].rpartition(".")[0]
            groups.append(
                (
                    list(con.column_names),
                    target,
                    [r.rpartition(".")[2] for r in con.refcolumns],
                    {"name": con.name, "ondelete": con.ondelete},
                )
            )
            for n in con.column_names:
                seen.update(id(fk) for fk in table.c[n].foreign_keys)
    for col in table.c:
        for fk in col.foreign_keys:
            if id(fk) in seen:
                continue
            target, _, remote = fk.target_fullname.rpartition(".")
            groups.append(
                (
                    [col.name],
                    target,
                    [remote],
                    {"name": fk.name, "ondelete": fk.ondelete, "onupdate": fk.onupdate},
                )
            )
    return groups


def _indexes(
    table: Table, dialect: Dialect | None = None
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Index name -> (columns, unique), as ``create_all`` names them (on ``dialect``: not
    those whose ``ddl_if()`` leaves them out there)."""
    found: dict[str, tuple[tuple[str, ...], bool]] = {
        column_index_name(table, c): ((c.name,), bool(c.unique)) for c in table.c if c.index
    }
    for ix in table.indexes:
        if ix.name is not None and _wanted_here(ix, dialect):
            found[ix.name] = (tuple(ix.column_names), ix.unique)
    return found


def _uniques(table: Table, dialect: Dialect | None = None) -> dict[tuple[str, ...], str | None]:
    found: dict[tuple[str, ...], str | None] = {
        (c.name,): column_unique_name(table, c)
        for c in table.c
        if c.unique and not c.primary_key and not c.index
    }
    for con in table.constraints:
        if isinstance(con, UniqueConstraint) and _wanted_here(con, dialect):
            found[tuple(con.column_names)] = con.name
    return found


def render_create_table(table: Table, dialect: Dialect) -> list[str]:
    """``op.create_table(...)`` source for ``table``, then one ``op.create_index(...)`` per
    index: a list of statements for a revision file.
    """
    composite = [g for g in _fk_groups(table) if len(g[0]) > 1]
    lines = [f"op.create_table(\n    {table.name!r},"]
    for col in table.c:
        lines.append(f"    {render_column(col, dialect, with_fks=True)},")
    for cols, target, remote, opts in composite:
        refs = [f"{target}.{r}" for r in remote]
        kw = "".join(f", {k}={v!r}" for k, v in opts.items() if v)
        lines.append(f"    sa.ForeignKeyConstraint({cols!r}, {refs!r}{kw}),")
    for con in table.constraints:
        if isinstance(con, UniqueConstraint) and _wanted_here(con, dialect):
            name = f", name={con.name!r}" if con.name else ""
            lines.append(
                f"    sa.UniqueConstraint({', '.join(repr(c) for c in con.column_names)}{name}),"
            )
    for ck_name, ck_sql in _checks(table, dialect):
        name = f", name={ck_name!r}" if ck_name else ""
        lines.append(f"    sa.CheckConstraint({ck_sql!r}{name}),")
    if table.comment is not None:
        lines.append(f"    comment={table.comment!r},")
    lines.append(")")
    out = ["\n".join(lines)]
    for ix_name, (ix_cols, unique) in _indexes(table, dialect).items():
        out.append(
            f"op.create_index({ix_name!r}, {table.name!r}, {list(ix_cols)!r}, unique={unique!r})"
        )
    return out


# -- comparing -----------------------------------------------------------------------------
def _expected_type_sql(col: Column[Any], dialect: Dialect) -> str:
    """The column type as this backend's catalog will report it after create_all."""
    from ..dialects import postgresql_catalog, sqlite_catalog
    from ..dialects.catalog import parse_type

    names = sqlite_catalog.TYPE_NAMES if dialect.name == "sqlite" else postgresql_catalog.TYPE_NAMES
    spelled = col.type.ddl(dialect.name)
    if col.type._named_types(dialect.name):  # a PostgreSQL ENUM: the catalog names the type
        return " ".join(spelled.lower().split())
    if dialect.name == "sqlite" and col.is_autoincrement:
        spelled = "INTEGER"
    return _normal_type(parse_type(spelled, names, col.table.name, col.name), dialect)


def _normal_type(type_: sqltypes.TypeEngine, dialect: Dialect) -> str:
    if isinstance(type_, sqltypes.NullType):
        return "null"
    return " ".join(type_.ddl(dialect.name).lower().split())


_CAST = re.compile(r"::[a-z_ ]+(\[\])?(\([0-9, ]*\))?", re.I)


def _normal_default(sql: str | None) -> str | None:
    if sql is None:
        return None
    text = _CAST.sub("", sql.strip())
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    # server_default="0" on a number column: PostgreSQL stores the number, unquoted
    if re.fullmatch(r"'-?\d+(\.\d+)?'", text):
        text = text[1:-1]
    return text.lower()


def compare(metadata: MetaData, conn: Connection) -> Comparison:
    """The changes that turn the database of ``conn`` into ``metadata``'s schema."""
    dialect = conn.dialect
    insp = Inspector(conn)
    result = Comparison()
    db_tables = [t for t in insp.get_table_names() if t != VERSION_TABLE]
    model_tables = sort_tables(list(metadata.tables.values()))
    if dialect.name == "postgresql":
        _compare_enums(model_tables, db_tables, insp, conn, result, before_tables=True)
    for table in model_tables:
        if table.name not in db_tables:
            result.changes.append(
                Change(
                    f"add table {table.name!r}",
                    render_create_table(table, dialect),
                    [f"op.drop_table({table.name!r})"],
                )
            )
    for table in model_tables:
        if table.name in db_tables:
            _compare_table(table, insp, dialect, result)
    for name in reversed(db_tables):
        if name not in metadata.tables:
            reflected = Table(name, MetaData(), autoload_with=conn, resolve_fks=False)
            result.changes.append(
                Change(
                    f"remove table {name!r}",
                    [f"op.drop_table({name!r})"],
                    render_create_table(reflected, dialect),
                )
            )
    if dialect.name == "postgresql":
        _compare_enums(model_tables, db_tables, insp, conn, result, before_tables=False)
    return result


def _model_enums(tables: Iterable[Table]) -> dict[str, list[str]]:
    """PostgreSQL ENUM type name -> labels, as the models' columns create them."""
    found: dict[str, list[str]] = {}
    for table in tables:
        for col in table.c:
            for named in col.type._named_types("postgresql"):
                found.setdefault(named.name, list(named.labels))
    return found


def _compare_enums(
    model_tables: list[Table],
    db_tables: list[str],
    insp: Inspector,
    conn: Connection,
    result: Comparison,
    *,
    before_tables: bool,
) -> None:
    """PostgreSQL ENUM types. Before the tables: changed labels (``op.alter_enum``) and new
    types that an existing table's column will use (``op.create_enum``; a new table creates
    its own). After them: types in the database that no model and no remaining column
    uses (``op.drop_enum``)."""
    model = _model_enums(model_tables)
    db = {e["name"]: list(e["labels"]) for e in insp.get_enums()}
    if before_tables:
        _changed_and_new_enums(model, db, model_tables, db_tables, result)
    else:
        _unused_enums(model, db, model_tables, db_tables, insp, result)


def _changed_and_new_enums(
    model: dict[str, list[str]],
    db: dict[str, list[str]],
    model_tables: list[Table],
    db_tables: list[str],
    result: Comparison,
) -> None:
    """``op.alter_enum`` for changed labels, ``op.create_enum`` for a new type an existing
    table's column will use."""
    existing = [t for t in model_tables if t.name in db_tables]
    used_by_existing = _model_enums(existing)
    for name, labels in model.items():
        if name in db:
            if db[name] != labels:
                result.changes.append(
                    Change(
                        f"change values of enum type {name!r} from {db[name]!r} to {labels!r}",
                        [f"op.alter_enum({name!r}, {labels!r}, existing_values={db[name]!r})"],
                        [f"op.alter_enum({name!r}, {db[name]!r}, existing_values={labels!r})"],
                    )
                )
        elif name in used_by_existing:
            result.changes.append(
                Change(
                    f"add enum type {name!r}",
                    [f"op.create_enum({name!r}, {labels!r})"],
                    [f"op.drop_enum({name!r})"],
                )
            )


def _unused_enums(
    model: dict[str, list[str]],
    db: dict[str, list[str]],
    model_tables: list[Table],
    db_tables: list[str],
    insp: Inspector,
    result: Comparison,
) -> None:
    """``op.drop_enum`` for each database type that no model and no remaining column uses
    (a type of a dropped table goes with ``op.drop_table``)."""
    model_names = {t.name for t in model_tables}

    def types_of(table_name: str) -> set[str]:
        return {
            n.name
            for i in insp.get_columns(table_name)
            for n in i["type"]._named_types("postgresql")
        }

    used: set[str] = set()
    for table_name in db_tables:
        if table_name in model_names:
            used |= types_of(table_name)
    for name, labels in db.items():
        if name not in model and name not in used:
            if any(name in types_of(t) for t in db_tables if t not in model_names):
                continue  # op.drop_table drops it with the table (and its downgrade recreates it)
            result.changes.append(
                Change(
                    f"remove enum type {name!r}",
                    [f"op.drop_enum({name!r})"],
                    [f"op.create_enum({name!r}, {labels!r})"],
                )
            )


_PG_AUTO_CHECK = re.compile(r"_check\d*$")


def _normal_check(sql: str) -> str:
    text = _CAST.sub("", sql).replace('"', "")
    text = " ".join(text.lower().split())
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.replace("( ", "(").replace(" )", ")")


def _compare_checks(table: Table, insp: Inspector, dialect: Dialect, result: Comparison) -> None:
    """CHECK constraints. Named ones match by name (on SQLite, whose catalog keeps the
    text as written, a changed condition is a change too; PostgreSQL rewrites conditions,
    so there only the name counts). Unnamed ones match by their condition, or on
    PostgreSQL by a name it generated (``<table>_..._check``). The CHECKs an Enum or
    Boolean type adds to its column belong to the column, not to this comparison."""
    match = _CheckMatch(table, list(insp.get_check_constraints(table.name)), dialect, result)
    wanted = _checks(table, dialect)
    match.named(wanted)
    match.unnamed(wanted)
    match.leftovers()


def _same_name(ck_name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda ck: bool(ck["name"] == ck_name)


def _same_text(sql: str) -> Callable[[dict[str, Any]], bool]:
    text = _normal_check(sql)
    return lambda ck: _normal_check(ck["sqltext"]) == text


class _CheckMatch:
    """The database's CHECK constraints of one table, claimed one by one by the models'."""

    def __init__(
        self, table: Table, have: list[dict[str, Any]], dialect: Dialect, result: Comparison
    ) -> None:
        self.table = table
        self.name = table.name
        self.have = have
        self.claimed: set[int] = set()
        self.dialect = dialect
        self.result = result
        self.batch = self.name if dialect.name == "sqlite" else None

    def claim(self, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The first unclaimed database CHECK ``pred`` accepts (now claimed), or None."""
        for i, ck in enumerate(self.have):
            if i not in self.claimed and pred(ck):
                self.claimed.add(i)
                return ck
        return None

    def create(self, ck_name: str | None, sql: str) -> str:
        return f"op.create_check_constraint({ck_name!r}, {self.name!r}, {sql!r})"

    def drop(self, ck_name: str) -> str:
        return f"op.drop_constraint({ck_name!r}, {self.name!r}, type_='check')"

    def auto_named(self, ck: dict[str, Any]) -> bool:
        """Whether PostgreSQL generated the constraint's name (``<table>_..._check``)."""
        n = ck["name"]
        return self.dialect.name == "postgresql" and bool(
            n and n.startswith(f"{self.name}_") and _PG_AUTO_CHECK.search(n)
        )

    def add(self, description: str, upgrade: list[str], downgrade: list[str]) -> None:
        self.result.changes.append(Change(description, upgrade, downgrade, batch_table=self.batch))

    def named(self, wanted: list[tuple[str | None, str]]) -> None:
        """Named model CHECKs first: they claim by name."""
        for ck_name, sql in wanted:
            if ck_name is None:
                continue
            found = self.claim(_same_name(ck_name))
            if found is None:
                self.add(
                    f"add check constraint {ck_name!r} on {self.name}",
                    [self.create(ck_name, sql)],
                    [self.drop(ck_name)],
                )
            elif self.dialect.name == "sqlite" and _normal_check(found["sqltext"]) != _normal_check(
                sql
            ):
                self.add(
                    f"change check constraint {ck_name!r} on {self.name} from "
                    f"{found['sqltext']!r} to {sql!r}",
                    [self.drop(ck_name), self.create(ck_name, sql)],
                    [self.drop(ck_name), self.create(ck_name, found["sqltext"])],
                )

    def unnamed(self, wanted: list[tuple[str | None, str]]) -> None:
        """Unnamed model CHECKs and the CHECKs column types add: by condition, or by a name
        PostgreSQL generated."""
        dialect, table = self.dialect, self.table
        type_checks = {
            col.name: sql
            for col in table.c
            if (sql := col.type._column_check_sql(dialect.quote(col.name), dialect.name))
            is not None
        }
        unnamed: list[tuple[str, str | None]] = [(sql, None) for n, sql in wanted if n is None]
        unnamed += [(sql, col_name) for col_name, sql in type_checks.items()]
        for n, (sql, type_column) in enumerate(unnamed):
            found = self.claim(_same_text(sql)) or self.claim(self.auto_named)
            if found is None and type_column is not None:
                _retype_for_check(
                    table, table.c[type_column], self.have, self.claimed, dialect, self.result
                )
            elif found is None:
                new_name = f"ck_{self.name}_{len(self.have) + n + 1}"
                self.add(
                    f"add check constraint on {self.name} ({sql})",
                    [self.create(new_name, sql)],
                    [self.drop(new_name)],
                )

    def leftovers(self) -> None:
        """Database CHECKs no model claimed: dropped (an unnamed one only logged)."""
        for i, ck in enumerate(self.have):
            if i in self.claimed:
                continue
            if ck["name"] is None:
                log.warning(
                    "table %r has an unnamed CHECK (%s) that the models do not declare; "
                    "autogenerate cannot drop an unnamed constraint",
                    self.name,
                    ck["sqltext"],
                )
                continue
            self.add(
                f"remove check constraint {ck['name']!r} on {self.name}",
                [self.drop(ck["name"])],
                [self.create(ck["name"], ck["sqltext"])],
            )


def _retype_for_check(
    table: Table,
    col: Column[Any],
    have: list[dict[str, Any]],
    claimed: set[int],
    dialect: Dialect,
    result: Comparison,
) -> None:
    """A column whose type writes a CHECK (an Enum or Boolean with ``create_constraint``)
    whose condition the database does not have, e.g. an Enum with other values on SQLite:
    the column is rebuilt with its type (the rebuild drops the type's old CHECK). The
    downgrade restores the values the old CHECK lists, when it can read them."""
    old_type = "sa.String()"
    pattern = re.compile(rf'^"?{re.escape(col.name)}"?\s+IN\s*\((.*)\)$', re.I | re.S)
    for i, ck in enumerate(have):
        m = pattern.match(ck["sqltext"].strip()) if i not in claimed else None
        if m is not None:
            claimed.add(i)
            values = re.findall(r"'((?:[^']|'')*)'", m.group(1))
            if isinstance(col.type, sqltypes.Enum) and values:
                labels = ", ".join(repr(v.replace("''", "'")) for v in values)
                old_type = f"sa.Enum({labels}, create_constraint=True, native_enum=False)"
            elif isinstance(col.type, sqltypes.Boolean):
                old_type = "sa.Boolean()"
            break
    name = table.name
    new_type = render_type(col.type)
    up = f"type_={new_type}, existing_type={old_type}"
    down = f"type_={old_type}, existing_type={new_type}"
    result.changes.append(
        Change(
            f"change the CHECK of {name}.{col.name}'s type to {col.type!r}",
            [f"op.alter_column({name!r}, {col.name!r}, {up})"],
            [f"op.alter_column({name!r}, {col.name!r}, {down})"],
            batch_table=name if dialect.name == "sqlite" else None,
        )
    )


def _compare_comments(
    table: Table, insp: Inspector, reflected: dict[str, dict[str, Any]], result: Comparison
) -> None:
    """Table and column comments (PostgreSQL: SQLite keeps none, so nothing to compare)."""
    name = table.name
    old = insp.get_table_comment(name)["text"]
    if old != table.comment:

        def set_comment(new: str | None, existing: str | None) -> str:
            if new is None:
                return f"op.drop_table_comment({name!r}, existing_comment={existing!r})"
            return f"op.create_table_comment({name!r}, {new!r}, existing_comment={existing!r})"

        result.changes.append(
            Change(
                f"change comment of table {name} from {old!r} to {table.comment!r}",
                [set_comment(table.comment, old)],
                [set_comment(old, table.comment)],
            )
        )
    for col in table.c:
        info = reflected.get(col.name)
        if info is None or info.get("comment") == col.comment:
            continue
        result.changes.append(
            Change(
                f"change comment of {name}.{col.name} from {info.get('comment')!r} to "
                f"{col.comment!r}",
                [
                    f"op.alter_column({name!r}, {col.name!r}, comment={col.comment!r}, "
                    f"existing_comment={info.get('comment')!r})"
                ],
                [
                    f"op.alter_column({name!r}, {col.name!r}, comment={info.get('comment')!r}, "
                    f"existing_comment={col.comment!r})"
                ],
            )
        )


def _compare_table(table: Table, insp: Inspector, dialect: Dialect, result: Comparison) -> None:
    name = table.name
    reflected = {c["name"]: c for c in insp.get_columns(name)}
    batch = name if dialect.name == "sqlite" else None
    pg = dialect.name == "postgresql"
    for col in table.c:
        info = reflected.get(col.name)
        if info is None:
            warning = None
            if pg and not col.nullable and col.server_default is None:
                warning = (
                    "adding a NOT NULL column without a server default fails on a table "
                    "with rows (and takes an ACCESS EXCLUSIVE lock): add it nullable, fill "
                    "it in batches, then alter_column(..., nullable=False)"
                )
            result.changes.append(
                Change(
                    f"add column {name}.{col.name}",
                    [f"op.add_column({name!r}, {render_column(col, dialect)})"],
                    [f"op.drop_column({name!r}, {col.name!r})"],
                    batch_table=batch if col.foreign_keys or not col.nullable else None,
                    warning=warning,
                )
            )
            continue
        _compare_column(table, col, info, dialect, result)
    for col_name, info in reflected.items():
        if col_name not in table.c:
            from ..sql.elements import text

            col = Column(
                col_name,
                info["type"],
                nullable=info["nullable"],
                server_default=text(info["default"]) if info["default"] is not None else None,
            )
            result.changes.append(
                Change(
                    f"remove column {name}.{col_name}",
                    [f"op.drop_column({name!r}, {col_name!r})"],
                    [f"op.add_column({name!r}, {render_column(col, dialect)})"],
                    batch_table=batch,
                )
            )
    _compare_indexes(table, insp, dialect, result)
    _compare_uniques(table, insp, dialect, result)
    _compare_foreign_keys(table, insp, dialect, result)
    _compare_checks(table, insp, dialect, result)
    if dialect.name == "postgresql":
        _compare_comments(table, insp, reflected, result)


def _compare_column(
    table: Table, col: Column[Any], info: dict[str, Any], dialect: Dialect, result: Comparison
) -> None:
    name = table.name
    batch = name if dialect.name == "sqlite" else None
    expected, actual = _expected_type_sql(col, dialect), _normal_type(info["type"], dialect)
    if expected != actual and expected != "null":
        result.changes.append(
            Change(
                f"change type of {name}.{col.name} from {actual} to {expected}",
                [
                    f"op.alter_column({name!r}, {col.name!r}, type_={render_type(col.type)}, "
                    f"existing_type={render_type(info['type'])})"
                ],
                [
                    f"op.alter_column({name!r}, {col.name!r}, type_={render_type(info['type'])}, "
                    f"existing_type={render_type(col.type)})"
                ],
                batch_table=batch,
                warning=(
                    "ALTER COLUMN ... TYPE rewrites the table under an ACCESS EXCLUSIVE lock; "
                    "on a large table add a new column, backfill it in batches and swap them"
                )
                if dialect.name == "postgresql"
                else None,
            )
        )
    if bool(col.nullable) != bool(info["nullable"]) and not col.primary_key:
        result.changes.append(
            Change(
                f"make {name}.{col.name} {'nullable' if col.nullable else 'NOT NULL'}",
                [f"op.alter_column({name!r}, {col.name!r}, nullable={col.nullable!r})"],
                [f"op.alter_column({name!r}, {col.name!r}, nullable={info['nullable']!r})"],
                batch_table=batch,
            )
        )
    model_default = (
        None
        if col.server_default is None
        else _normal_default(server_default_sql(col.server_default, dialect.name))
    )
    db_default = _normal_default(info["default"])
    if db_default is not None and db_default.startswith("nextval(") and model_default is None:
        db_default = None  # a SERIAL column's sequence, not a default the model states
    if model_default != db_default:
        new = (
            _render_default(col.server_default, dialect)
            if col.server_default is not None
            else "None"
        )
        old = f"sa.text({info['default']!r})" if info["default"] is not None else "None"
        result.changes.append(
            Change(
                f"change server default of {name}.{col.name} from {db_default} to {model_default}",
                [f"op.alter_column({name!r}, {col.name!r}, server_default={new})"],
                [f"op.alter_column({name!r}, {col.name!r}, server_default={old})"],
                batch_table=batch,
            )
        )


def _compare_indexes(table: Table, insp: Inspector, dialect: Dialect, result: Comparison) -> None:
    name = table.name
    wanted = _indexes(table, dialect)
    have = {
        ix["name"]: (tuple(ix["column_names"]), ix["unique"])
        for ix in insp.get_indexes(name)
        if None not in ix["column_names"] and not ix["dialect_options"]
    }
    concurrently_hint = (
        "CREATE INDEX locks out writes to the table while it builds; on a large table use "
        "'with op.autocommit_block(): op.create_index(..., postgresql_concurrently=True)'"
        if dialect.name == "postgresql"
        else None
    )
    for ix_name, (cols, unique) in wanted.items():
        if have.get(ix_name) == (cols, unique):
            continue
        up = [f"op.create_index({ix_name!r}, {name!r}, {list(cols)!r}, unique={unique!r})"]
        down = [f"op.drop_index({ix_name!r}, {name!r})"]
        if ix_name in have:
            old_cols, old_unique = have[ix_name]
            up.insert(0, f"op.drop_index({ix_name!r}, {name!r})")
            down.append(
                f"op.create_index({ix_name!r}, {name!r}, {list(old_cols)!r}, unique={old_unique!r})"
            )
        result.changes.append(
            Change(f"add index {ix_name!r} on {name}", up, down, warning=concurrently_hint)
        )
    for ix_name, (cols, unique) in have.items():
        if ix_name not in wanted:
            result.changes.append(
                Change(
                    f"remove index {ix_name!r} on {name}",
                    [f"op.drop_index({ix_name!r}, {name!r})"],
                    [f"op.create_index({ix_name!r}, {name!r}, {list(cols)!r}, unique={unique!r})"],
                )
            )


def _compare_uniques(table: Table, insp: Inspector, dialect: Dialect, result: Comparison) -> None:
    name = table.name
    batch = name if dialect.name == "sqlite" else None
    wanted = _uniques(table, dialect)
    have = {tuple(u["column_names"]): u["name"] for u in insp.get_unique_constraints(name)}
    for cols, con_name in wanted.items():
        if cols in have:
            continue
        con_name = con_name or f"uq_{name}_{'_'.join(cols)}"
        result.changes.append(
            Change(
                f"add unique constraint {con_name!r} on {name}{cols!r}",
                [f"op.create_unique_constraint({con_name!r}, {name!r}, {list(cols)!r})"],
                [f"op.drop_constraint({con_name!r}, {name!r}, type_='unique')"],
                batch_table=batch,
            )
        )
    for cols, con_name in have.items():
        if cols not in wanted and con_name is not None:
            result.changes.append(
                Change(
                    f"remove unique constraint {con_name!r} on {name}{cols!r}",
                    [f"op.drop_constraint({con_name!r}, {name!r}, type_='unique')"],
                    [f"op.create_unique_constraint({con_name!r}, {name!r}, {list(cols)!r})"],
                    batch_table=batch,
                )
            )


def _fk_key(cols: Iterable[str], target: str, remote: Iterable[str], opts: dict[str, Any]) -> Any:
    return (
        tuple(cols),
        target,
        tuple(remote),
        (opts.get("ondelete") or "").upper() or None,
        (opts.get("onupdate") or "").upper() or None,
    )


def _compare_foreign_keys(
    table: Table, insp: Inspector, dialect: Dialect, result: Comparison
) -> None:
    name = table.name
    batch = name if dialect.name == "sqlite" else None
    wanted = {_fk_key(*g): g for g in _fk_groups(table)}
    have = {
        _fk_key(
            f["constrained_columns"], f["referred_table"], f["referred_columns"], f["options"]
        ): f
        for f in insp.get_foreign_keys(name)
    }

    def create(cols: Any, target: str, remote: Any, opts: dict[str, Any], fk_name: Any) -> str:
        kw = "".join(f", {k}={opts[k]!r}" for k in ("ondelete", "onupdate") if opts.get(k))
        return (
            f"op.create_foreign_key({fk_name!r}, {name!r}, {target!r}, {list(cols)!r}, "
            f"{list(remote)!r}{kw})"
        )

    for key, (cols, target, remote, opts) in wanted.items():
        if key in have:
            continue
        fk_name = opts.get("name") or f"fk_{name}_{'_'.join(cols)}_{target}"
        result.changes.append(
            Change(
                f"add foreign key {name}{tuple(cols)!r} -> {target}",
                [create(cols, target, remote, opts, fk_name)],
                [f"op.drop_constraint({fk_name!r}, {name!r}, type_='foreignkey')"],
                batch_table=batch,
            )
        )
    for key, fk in have.items():
        if key in wanted or fk["name"] is None:
            continue
        result.changes.append(
            Change(
                f"remove foreign key {fk['name']!r} of {name}",
                [f"op.drop_constraint({fk['name']!r}, {name!r}, type_='foreignkey')"],
                [
                    create(
                        fk["constrained_columns"],
                        fk["referred_table"],
                        fk["referred_columns"],
                        fk["options"],
                        fk["name"],
                    )
                ],
                batch_table=batch,
            )
        )


# -- writing the revision body -------------------------------------------------------------
_BATCH_OPS = re.compile(r"^op\.(\w+)\((['\"])(.*?)\2, ")


def _as_batch(line: str, table: str) -> str:
    """``op.alter_column('t', 'c', ...)`` -> ``batch_op.alter_column('c', ...)``; for the
    name-first operations the table argument is dropped from second place."""
    m = _BATCH_OPS.match(line)
    if m is None:
        return line
    fn, first = m.group(1), m.group(3)
    rest = line[m.end() :]
    if fn in ("add_column", "drop_column", "alter_column") and first == table:
        return f"batch_op.{fn}({rest}"
    table_arg = f"{table!r}, "
    if rest.startswith(table_arg):
        return f"batch_op.{fn}({first!r}, {rest[len(table_arg) :]}"
    return line


def render_body(changes: list[Change], direction: str, dialect_name: str) -> str:
    """The indented body of ``upgrade()`` or ``downgrade()``; on SQLite, neighbouring
    changes of one table share one ``batch_alter_table`` block (one rebuild)."""
    ordered = changes if direction == "upgrade" else list(reversed(changes))
    out: list[str] = []
    open_batch: str | None = None
    for change in ordered:
        lines = change.upgrade if direction == "upgrade" else change.downgrade
        batch = change.batch_table if dialect_name == "sqlite" else None
        if batch != open_batch:
            open_batch = batch
            if batch is not None:
                out.append(f"with op.batch_alter_table({batch!r}) as batch_op:")
        indent = "    " if batch is not None else ""
        if direction == "upgrade" and change.warning:
            out.append(f"{indent}# WARNING: {change.warning}")
        for line in lines:
            out.append(indent + (_as_batch(line, batch) if batch is not None else line))
    if not out:
        out = ["pass"]
    return "\n".join("    " + line.replace("\n", "\n    ") for line in out)
