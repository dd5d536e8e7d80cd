"""The ``op`` object of revision files: schema changes with Alembic's operation names.

Called by revision files (``from uow_orm.migrate import op``) while the runner applies
them. Every statement is built by ``uow_orm/sql/`` (``ddl.py``, ``alter.py``) and either
run on the migration's connection or, in offline mode, collected as SQL text.

Called by: uow_orm.migrate, uow_orm.migrate.batch, uow_orm.migrate.runner.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import exc
from ..engine.reflection import Inspector
from ..sql import alter
from ..sql.ddl import create_statements
from ..sql.elements import text
from ..sql.schema import Column, MetaData, Table
from ..types import Integer
from .script import MigrationError

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..engine.base import Connection
    from .batch import BatchOperations

log = logging.getLogger("uow_orm.migrate")


class Operations:
    """Schema operations on one database; ``op`` in a revision file is one of these.

    Online, each operation runs at once on the migration's connection, inside the
    revision's transaction. Offline (``python -m uow_orm.migrate sql``) the SQL is collected
    instead; operations that must read the database (``batch_alter_table`` on SQLite,
    ``get_bind``) then raise ``MigrationError``.
    """

    def __init__(
        self,
        dialect: Dialect,
        connection: Connection | None,
        emit: Callable[[str], None] | None = None,
    ) -> None:
        self.dialect = dialect
        self.connection = connection
        self._emit = emit
        self._metadata = MetaData()

    @property
    def offline(self) -> bool:
        """True in offline (``sql``) mode: statements are written out, not run."""
        return self.connection is None

    # -- running ----------------------------------------------------------------------
    def _run(self, sql: str) -> None:
        if self._emit is not None:
            self._emit(sql)
        if self.connection is None:
            return
        if self._in_autocommit:
            # Outside any transaction: the driver runs the statement on its own (both
            # dialects keep their driver in autocommit and send BEGIN themselves).
            log.info("%s (outside a transaction)", sql)
            cursor = self.connection.connection.cursor()
            try:
                cursor.execute(sql)
            finally:
                cursor.close()
            return
        self.connection.exec_driver_sql(sql)

    def get_bind(self) -> Connection:
        """The migration's connection (online mode only), for data migrations."""
        if self.connection is None:
            raise MigrationError("get_bind() is not available in offline (sql) mode")
        return self.connection

    def execute(self, sql: Any, params: Mapping[str, Any] | None = None) -> None:
        """Run a SQL string (``:name`` binds allowed) or a uow_orm statement."""
        statement = text(sql) if isinstance(sql, str) else sql
        if self.connection is None:
            if params:
                raise MigrationError("execute() with parameters cannot run in offline (sql) mode")
            if self._emit is not None:
                self._emit(str(statement.compile(self.dialect)))
            return
        self.connection.execute(statement, params)

    def bulk_insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """INSERT each dict of ``rows`` into ``table`` (a Table, e.g. the one
        ``create_table`` returned), as one executemany."""
        from ..sql.dml import insert

        if not rows:
            return
        if self.connection is None:
            raise MigrationError("bulk_insert() cannot run in offline (sql) mode")
        self.connection.execute(insert(table), list(rows))

    # -- tables -----------------------------------------------------------------------
    def _resolve_fk_targets(self, items: Sequence[Any]) -> None:
        """Make the tables that new foreign keys refer to known to this run's MetaData:
        reflected from the database online, stand-ins with the referenced columns offline."""
        for item in items:
            fks = item.foreign_keys if isinstance(item, Column) else []
            for fk in fks:
                target, _, column = fk.target_fullname.rpartition(".")
                if target in self._metadata.tables:
                    continue
                if self.connection is not None and Inspector(self.connection).has_table(target):
                    Table(target, self._metadata, autoload_with=self.connection, resolve_fks=False)
                else:
                    Table(target, self._metadata, Column(column, Integer))

    def create_table(self, name: str, *items: Any, **kw: Any) -> Table:
        """CREATE TABLE with the given Columns and constraints; returns the Table (usable
        with ``bulk_insert``)."""
        self._resolve_fk_targets(items)
        self._metadata.tables.pop(name, None)
        table = Table(name, self._metadata, *items, **kw)
        for sql in create_statements([table], self.dialect):
            self._run(sql)
        return table

    def drop_table(self, name: str) -> None:
        """DROP TABLE; on PostgreSQL the ENUM types its columns used go with it unless
        another table still uses them (as ``drop_all()`` does)."""
        named: list[Any] = []
        if self.dialect.name == "postgresql" and self.connection is not None:
            for info in Inspector(self.connection).get_columns(name):
                named.extend(info["type"]._named_types(self.dialect.name))
        self._run(alter.drop_table_sql(name, self.dialect))
        for named_type in named:
            self._run(named_type.drop_sql())
        self._metadata.tables.pop(name, None)

    def rename_table(self, old_name: str, new_name: str) -> None:
        """``ALTER TABLE old_name RENAME TO new_name``."""
        self._run(alter.rename_table_sql(old_name, new_name, self.dialect))

    def create_table_comment(
        self, table_name: str, comment: str, *, existing_comment: str | None = None
    ) -> None:
        """``COMMENT ON TABLE`` (PostgreSQL); SQLite keeps no comments, so it does nothing
        there (as the DDL of a commented table writes none)."""
        del existing_comment  # context only (the downgrade's value)
        if self.dialect.name == "postgresql":
            self._run(alter.table_comment_sql(table_name, comment, self.dialect))

    def drop_table_comment(self, table_name: str, *, existing_comment: str | None = None) -> None:
        """Remove a table's comment (PostgreSQL; nothing on SQLite)."""
        del existing_comment
        if self.dialect.name == "postgresql":
            self._run(alter.table_comment_sql(table_name, None, self.dialect))

    # -- PostgreSQL ENUM types ------------------------------------------------------------
    def _require_enums(self, what: str) -> None:
        if self.dialect.name != "postgresql":
            raise exc.NotSupportedError(
                f"op.{what}(): {self.dialect.name} has no ENUM types (an Enum column is a "
                "VARCHAR with a CHECK constraint there: change the column instead)"
            )

    def create_enum(self, name: str, values: Sequence[str]) -> None:
        """``CREATE TYPE name AS ENUM (...)`` (PostgreSQL); an existing type is kept."""
        from ..types import NamedEnumType

        self._require_enums("create_enum")
        self._run(NamedEnumType(name, list(values)).create_sql())

    def drop_enum(self, name: str) -> None:
        """``DROP TYPE name`` (PostgreSQL); kept while a column still uses it."""
        from ..types import NamedEnumType

        self._require_enums("drop_enum")
        self._run(NamedEnumType(name, []).drop_sql())

    def alter_enum(
        self, name: str, values: Sequence[str], *, existing_values: Sequence[str] | None = None
    ) -> None:
        """Give the PostgreSQL ENUM type ``name`` exactly ``values``, in that order.

        When every current value stays, in the same order, the new ones are added with
        ``ALTER TYPE ... ADD VALUE`` (new values are usable once the revision commits).
        Otherwise the type is rebuilt: renamed, created anew, every column of the old type
        converted (a row holding a removed value makes the conversion fail, and the revision
        rolls back), the old type dropped. ``existing_values`` are read from the database
        online and required offline.
        """
        self._require_enums("alter_enum")
        current: list[str] | None = None
        if self.connection is not None:
            found = [e for e in Inspector(self.connection).get_enums() if e["name"] == name]
            if not found:
                raise MigrationError(f"alter_enum(): there is no ENUM type {name!r}")
            current = list(found[0]["labels"])
        elif existing_values is not None:
            current = list(existing_values)
        else:
            raise MigrationError("alter_enum() needs existing_values= in offline (sql) mode")
        wanted = list(values)
        if current == wanted:
            return
        if [v for v in wanted if v in current] == current:  # only additions: in place
            self._add_enum_values(name, current, wanted)
            return
        if self.connection is None:
            raise MigrationError(
                f"alter_enum({name!r}) removes or reorders values, which needs the columns "
                "using the type: run it online"
            )
        self._rebuild_enum(name, wanted)

    def _add_enum_values(self, name: str, current: list[str], wanted: list[str]) -> None:
        """``ALTER TYPE ... ADD VALUE`` for each value of ``wanted`` not in ``current``, at
        its place."""
        q = self.dialect.quote
        for i, value in enumerate(wanted):
            if value in current:
                continue
            later = next((v for v in wanted[i + 1 :] if v in current), None)
            position = f" BEFORE {_literal(later)}" if later is not None else ""
            if later is None and i > 0:
                position = f" AFTER {_literal(wanted[i - 1])}"
            self._run(f"ALTER TYPE {q(name)} ADD VALUE {_literal(value)}{position}")
            current.insert(current.index(later) if later is not None else len(current), value)

    def _rebuild_enum(self, name: str, wanted: list[str]) -> None:
        """Rename the type, create it anew with ``wanted``, convert every column of the old
        type, drop the old type."""
        from ..types import NamedEnumType

        assert self.connection is not None
        q = self.dialect.quote
        users = self.connection.execute(
            text(
                "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a "
                "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
                "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
                "WHERE t.typname = :name AND t.typtype = 'e' AND a.attnum > 0 "
                "AND NOT a.attisdropped AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum"
            ),
            {"name": name},
        ).all()
        old = f"{name}_uow_old"
        self._run(f"ALTER TYPE {q(name)} RENAME TO {q(old)}")
        self._run(NamedEnumType(name, wanted).create_sql())
        for table_name, column_name in users:
            self._run(
                f"ALTER TABLE {q(table_name)} ALTER COLUMN {q(column_name)} TYPE {q(name)} "
                f"USING CAST(CAST({q(column_name)} AS text) AS {q(name)})"
            )
        self._run(f"DROP TYPE {q(old)}")

    # -- columns ----------------------------------------------------------------------
    def add_column(self, table_name: str, column: Column[Any]) -> None:
        """ALTER TABLE ADD COLUMN; a ForeignKey on the column becomes a constraint too."""
        if getattr(column, "table", None) is None:
            Table(table_name, MetaData(), column)  # a column spells itself through its table
        for named in column.type._named_types(self.dialect.name):
            self._run(named.create_sql())  # a PostgreSQL ENUM the table does not use yet
        sql = alter.add_column_sql(table_name, column, self.dialect)
        fks = list(column.foreign_keys)
        if self.dialect.name == "sqlite":
            # SQLite cannot add a constraint later, but takes it inline in ADD COLUMN.
            for fk in fks:
                target, _, remote = fk.target_fullname.rpartition(".")
                sql += f" REFERENCES {self.dialect.quote(target)} ({self.dialect.quote(remote)})"
                if fk.ondelete:
                    sql += f" ON DELETE {fk.ondelete.upper()}"
                if fk.onupdate:
                    sql += f" ON UPDATE {fk.onupdate.upper()}"
            self._run(sql)
            return
        self._run(sql)
        for fk in fks:
            target, _, remote = fk.target_fullname.rpartition(".")
            self.create_foreign_key(
                fk.name,
                table_name,
                target,
                [column.name],
                [remote],
                ondelete=fk.ondelete,
                onupdate=fk.onupdate,
            )

    def drop_column(self, table_name: str, column_name: str) -> None:
        """``ALTER TABLE table_name DROP COLUMN column_name`` (SQLite 3.35 and later; older
        versions need `batch_alter_table`).
        """
        self._run(alter.drop_column_sql(table_name, column_name, self.dialect))

    def alter_column(
        self,
        table_name: str,
        column_name: str,
        *,
        nullable: bool | None = None,
        server_default: Any = False,
        new_column_name: str | None = None,
        type_: Any = None,
        existing_type: Any = None,
        existing_nullable: bool | None = None,
        existing_server_default: Any = None,
        postgresql_using: str | None = None,
        comment: str | bool | None = False,
        existing_comment: str | None = None,
    ) -> None:
        """Change a column's type, nullability, server default, comment or name.

        ``existing_*`` describe the column as it is (used by SQLite's table rebuild and
        kept for Alembic compatibility). ``comment=None`` removes the comment, ``False``
        (the default) leaves it; SQLite keeps no comments, so there a comment change does
        nothing. A type that is a PostgreSQL ENUM is created first if it does not exist.
        On SQLite only a rename (or a comment) runs in place; anything else needs
        ``batch_alter_table`` and raises ``NotSupportedError`` saying so.
        """
        del existing_type, existing_nullable, existing_server_default, existing_comment
        if isinstance(type_, type):
            type_ = type_()
        if comment is True:
            raise exc.ArgumentError("alter_column(comment=...) takes the comment text or None")
        if comment is not False and self.dialect.name == "postgresql":
            self._run(alter.column_comment_sql(table_name, column_name, comment, self.dialect))
        changes = type_ is not None or nullable is not None or server_default is not False
        if type_ is not None:
            for named in type_._named_types(self.dialect.name):
                self._run(named.create_sql())
        if changes:
            for sql in alter.alter_column_sql(
                table_name,
                column_name,
                self.dialect,
                type_=type_,
                using=postgresql_using,
                nullable=nullable,
                server_default=server_default,
            ):
                self._run(sql)
        if new_column_name is not None:
            self._run(
                alter.rename_column_sql(table_name, column_name, new_column_name, self.dialect)
            )

    # -- constraints and indexes ------------------------------------------------------
    def create_foreign_key(
        self,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        *,
        ondelete: str | None = None,
        onupdate: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
    ) -> None:
        """Add a foreign key constraint from ``source_table``'s ``local_cols`` to
        ``referent_table``'s ``remote_cols`` (PostgreSQL; on SQLite use `batch_alter_table`).

        Raises:
            NotSupportedError: on SQLite, which cannot add a constraint to a table.
            ArgumentError: for an ``initially`` other than DEFERRED or IMMEDIATE.
        """
        clause = alter.foreign_key_clause(
            local_cols,
            referent_table,
            remote_cols,
            self.dialect,
            name=constraint_name,
            ondelete=ondelete,
            onupdate=onupdate,
            deferrable=deferrable,
            initially=initially,
        )
        self._run(alter.add_constraint_sql(source_table, clause, self.dialect))

    def create_unique_constraint(
        self, constraint_name: str | None, table_name: str, columns: Sequence[str]
    ) -> None:
        """Add a UNIQUE constraint over ``columns`` of ``table_name`` (PostgreSQL; on SQLite use
        `batch_alter_table`).

        Raises:
            NotSupportedError: on SQLite.
        """
        clause = alter.unique_clause(constraint_name, columns, self.dialect)
        self._run(alter.add_constraint_sql(table_name, clause, self.dialect))

    def create_check_constraint(
        self, constraint_name: str | None, table_name: str, condition: Any
    ) -> None:
        """``condition`` is SQL text or an expression such as ``column("x") > 0``."""
        sql = condition if isinstance(condition, str) else _literal_sql(condition, self.dialect)
        clause = alter.check_clause(constraint_name, sql, self.dialect)
        self._run(alter.add_constraint_sql(table_name, clause, self.dialect))

    def drop_constraint(
        self, constraint_name: str, table_name: str, type_: str | None = None
    ) -> None:
        """Drop a named constraint (``type_`` is "foreignkey", "unique", "check" or
        "primary"; PostgreSQL does not need it)."""
        if type_ not in (None, "foreignkey", "unique", "check", "primary"):
            raise exc.ArgumentError(
                f"drop_constraint(type_={type_!r}): use foreignkey, unique, check or primary"
            )
        self._run(alter.drop_constraint_sql(table_name, constraint_name, self.dialect))

    def create_index(
        self,
        index_name: str,
        table_name: str,
        columns: Sequence[str],
        *,
        unique: bool = False,
        postgresql_concurrently: bool = False,
        postgresql_where: str | None = None,
        sqlite_where: str | None = None,
    ) -> None:
        """CREATE INDEX. ``postgresql_concurrently=True`` builds it without locking out
        writes; PostgreSQL refuses that inside a transaction, so call it inside
        ``with op.autocommit_block():``."""
        where = postgresql_where if self.dialect.name == "postgresql" else sqlite_where
        sql = alter.create_index_sql(
            index_name,
            table_name,
            columns,
            self.dialect,
            unique=unique,
            concurrently=postgresql_concurrently,
            where=where,
        )
        self._run_maybe_concurrently(sql, postgresql_concurrently)

    def drop_index(
        self,
        index_name: str,
        table_name: str | None = None,
        *,
        postgresql_concurrently: bool = False,
    ) -> None:
        """``DROP INDEX index_name`` (``table_name`` is accepted for Alembic's signature and not
        needed: indexes are named per schema).

        Raises:
            MigrationError: for ``postgresql_concurrently=True`` outside
                ``op.autocommit_block()``.
        """
        del table_name  # PostgreSQL and SQLite name indexes per schema
        sql = alter.drop_index_sql(index_name, self.dialect, concurrently=postgresql_concurrently)
        self._run_maybe_concurrently(sql, postgresql_concurrently)

    def _run_maybe_concurrently(self, sql: str, concurrently: bool) -> None:
        if concurrently and not self._in_autocommit:
            raise MigrationError(
                "CONCURRENTLY cannot run inside a transaction; put the operation inside "
                "'with op.autocommit_block():'"
            )
        self._run(sql)

    _in_autocommit = False

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Commit the revision's work so far and run the block outside a transaction
        (for ``CREATE INDEX CONCURRENTLY``); a new transaction starts after it."""
        if self.connection is not None:
            self.connection.commit()
        self._in_autocommit = True
        try:
            yield
        finally:
            self._in_autocommit = False

    @contextmanager
    def batch_alter_table(
        self, table_name: str, recreate: str = "auto"
    ) -> Iterator[BatchOperations]:
        """Change a table in ways SQLite cannot ALTER: inside the block, ``batch_op`` takes
        the column, constraint and index operations without the table name. On SQLite the
        table is rebuilt (new table, rows copied, old dropped, new renamed, indexes and
        views recreated) keeping every row and foreign key; on PostgreSQL (``recreate=
        "auto"``) each operation is an ordinary ALTER."""
        from .batch import BatchOperations

        if recreate not in ("auto", "always", "never"):
            raise exc.ArgumentError(f"recreate must be auto, always or never, got {recreate!r}")
        batch = BatchOperations(self, table_name, recreate)
        yield batch
        batch.apply()


def _literal(value: str) -> str:
    """A string literal for DDL (ENUM labels are identifiers' kin: no bound values)."""
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"


def _literal_sql(expression: Any, dialect: Dialect) -> str:
    compiled = expression.compile(dialect)
    if compiled.binds:
        raise exc.ArgumentError(
            "a CHECK condition must not hold bound values; write it as SQL text"
        )
    return str(compiled.sql)


class _OpProxy:
    """``op``: forwards to the Operations of the migration being run."""

    def __getattr__(self, name: str) -> Any:
        current = _current.get()
        if current is None:
            raise MigrationError(
                f"op.{name} is only available while a migration runs "
                "(python -m uow_orm.migrate upgrade)"
            )
        return getattr(current, name)


_current: contextvars.ContextVar[Operations | None] = contextvars.ContextVar(
    "uow_orm_migrate_op", default=None
)

op: Any = _OpProxy()


@contextmanager
def operations_context(ops: Operations) -> Iterator[Operations]:
    """Make ``op`` stand for ``ops`` inside the block (used by the runner)."""
    token = _current.set(ops)
    try:
        yield ops
    finally:
        _current.reset(token)


__all__ = ["Operations", "op", "operations_context"]
