"""SQLAlchemy's DDL constructs for one schema item: ``AddConstraint`` / ``DropConstraint``,
``CreateSequence`` / ``DropSequence`` and the comment statements (``SetTableComment``,
``DropTableComment``, ``SetColumnComment``, ``DropColumnComment``); each runs with
``conn.execute(...)`` and prints with ``str()``, as the other `uow_orm.sql.ddl` elements.

SQLite can do none of them on an existing table (it has no ALTER TABLE ... CONSTRAINT, no
sequences and no comments): compiled for SQLite they raise ``CompileError`` naming the
statement.

Called by: uow_orm.schema (the public re-export).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from .ddl import _DDLElement, _fk_ddl, _name, _table_sql, inline_sql
from .schema import (
    CheckConstraint,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    UniqueConstraint,
    foreign_key_groups,
)

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .compiler import Compiled


class _NotOnSQLite(_DDLElement):
    """A DDL element SQLite cannot run: compiling it for SQLite raises."""

    _what = ""

    def compile(self, bind: Any = None, dialect: Any = None) -> Compiled:
        """As `BaseDDLElement.compile`.

        Raises:
            CompileError: compiled for SQLite, which cannot run this statement.
        """
        from .elements import _dialect_of

        d = _dialect_of(bind if bind is not None else dialect)
        if d is not None and d.name == "sqlite":
            raise exc.CompileError(f"SQLite does not support {self._what} ({type(self).__name__})")
        return super().compile(bind, dialect)

    def _printed(self, sql: str) -> Any:
        from .compiler import Printed

        return Printed(sql, {}, [], "")


def _constraint_clause(con: Any, dialect: Dialect) -> str:
    """A table constraint as ``ALTER TABLE ... ADD`` writes it."""
    q = dialect.quote
    table = con.table
    if isinstance(con, ForeignKeyConstraint):
        for group in foreign_key_groups(table):
            if group[0].constraint is con:
                return _fk_ddl(group, dialect)
        raise exc.ArgumentError(f"AddConstraint(): {con!r} has no columns on {table.name!r}")
    prefix = f"CONSTRAINT {_name(con.name, dialect)} " if con.name else ""
    if isinstance(con, UniqueConstraint):
        return prefix + "UNIQUE (" + ", ".join(q(n) for n in con.column_names) + ")"
    if isinstance(con, CheckConstraint):
        return prefix + f"CHECK ({inline_sql(con.sqltext, dialect)})"
    if isinstance(con, PrimaryKeyConstraint):
        return prefix + "PRIMARY KEY (" + ", ".join(q(c.name) for c in con) + ")"
    raise exc.ArgumentError(f"AddConstraint() takes a table constraint, got {con!r}")


def _table_of(con: Any, what: str) -> Any:
    table = getattr(con, "table", None)
    if table is None:
        raise exc.ArgumentError(f"{what}(): the constraint {con!r} belongs to no table")
    return table


class AddConstraint(_NotOnSQLite):
    """``ALTER TABLE t ADD CONSTRAINT ...`` of a constraint of a table (unique, check,
    foreign key or primary key), as SQLAlchemy's ``AddConstraint``.

    Raises:
        ArgumentError: the constraint belongs to no table.
    """

    _what = "ALTER TABLE ... ADD CONSTRAINT"

    def __init__(self, element: Any) -> None:
        _table_of(element, "AddConstraint")
        self.element = element

    def _sql(self, dialect: Dialect) -> str:
        table = _table_sql(self.element.table, dialect)
        return f"ALTER TABLE {table} ADD {_constraint_clause(self.element, dialect)}"


class DropConstraint(_NotOnSQLite):
    """``ALTER TABLE t DROP CONSTRAINT [IF EXISTS] name [CASCADE]``.

    Raises:
        ArgumentError: the constraint has no name or belongs to no table.
    """

    _what = "ALTER TABLE ... DROP CONSTRAINT"

    def __init__(self, element: Any, *, cascade: bool = False, if_exists: bool = False) -> None:
        _table_of(element, "DropConstraint")
        if not element.name:
            raise exc.ArgumentError("DropConstraint(): the constraint has no name")
        self.element = element
        self.cascade = cascade
        self.if_exists = if_exists

    def _sql(self, dialect: Dialect) -> str:
        guard = "IF EXISTS " if self.if_exists else ""
        tail = " CASCADE" if self.cascade else ""
        table = _table_sql(self.element.table, dialect)
        return (
            f"ALTER TABLE {table} DROP CONSTRAINT {guard}{_name(self.element.name, dialect)}{tail}"
        )


def _sequence_sql(seq: Any, dialect: Dialect) -> str:
    schema = dialect.schema_for(seq.schema)
    return (
        f"{dialect.quote(schema)}.{dialect.quote(seq.name)}" if schema else dialect.quote(seq.name)
    )


class CreateSequence(_NotOnSQLite):
    """``CREATE SEQUENCE [IF NOT EXISTS] name [INCREMENT BY n] [START WITH n]`` of a
    `Sequence` (PostgreSQL)."""

    _what = "sequences"

    def __init__(self, element: Any, *, if_not_exists: bool = False) -> None:
        self.element = element
        self.if_not_exists = if_not_exists

    def _sql(self, dialect: Dialect) -> str:
        seq = self.element
        guard = "IF NOT EXISTS " if self.if_not_exists else ""
        sql = f"CREATE SEQUENCE {guard}{_sequence_sql(seq, dialect)}"
        if seq.increment is not None:
            sql += f" INCREMENT BY {int(seq.increment)}"
        if seq.start is not None:
            sql += f" START WITH {int(seq.start)}"
        return sql


class DropSequence(_NotOnSQLite):
    """``DROP SEQUENCE [IF EXISTS] name`` of a `Sequence` (PostgreSQL)."""

    _what = "sequences"

    def __init__(self, element: Any, *, if_exists: bool = False) -> None:
        self.element = element
        self.if_exists = if_exists

    def _sql(self, dialect: Dialect) -> str:
        guard = "IF EXISTS " if self.if_exists else ""
        return f"DROP SEQUENCE {guard}{_sequence_sql(self.element, dialect)}"


def _literal(comment: str | None, dialect: Dialect) -> str:
    if comment is None:
        return "NULL"
    text = "'" + comment.replace("'", "''") + "'"
    # the SQL runs without parameters, still through the driver's % format
    return text.replace("%", "%%") if dialect.paramstyle == "format" else text


class SetTableComment(_NotOnSQLite):
    """``COMMENT ON TABLE t IS '<table.comment>'`` (PostgreSQL)."""

    _what = "table comments"

    def __init__(self, element: Any) -> None:
        self.element = element

    def _sql(self, dialect: Dialect) -> str:
        table = _table_sql(self.element, dialect)
        return f"COMMENT ON TABLE {table} IS {_literal(self.element.comment, dialect)}"


class DropTableComment(SetTableComment):
    """``COMMENT ON TABLE t IS NULL``: removes the table's comment (PostgreSQL)."""

    def _sql(self, dialect: Dialect) -> str:
        return f"COMMENT ON TABLE {_table_sql(self.element, dialect)} IS NULL"


class SetColumnComment(_NotOnSQLite):
    """``COMMENT ON COLUMN t.c IS '<column.comment>'`` (PostgreSQL).

    Raises:
        ArgumentError: the column belongs to no table.
    """

    _what = "column comments"

    def __init__(self, element: Any) -> None:
        if getattr(element, "table", None) is None:
            raise exc.ArgumentError(f"{type(self).__name__}(): the column belongs to no table")
        self.element = element

    def _target(self, dialect: Dialect) -> str:
        col = self.element
        return f"{_table_sql(col.table, dialect)}.{dialect.quote(col.name)}"

    def _sql(self, dialect: Dialect) -> str:
        comment = _literal(self.element.comment, dialect)
        return f"COMMENT ON COLUMN {self._target(dialect)} IS {comment}"


class DropColumnComment(SetColumnComment):
    """``COMMENT ON COLUMN t.c IS NULL``: removes the column's comment (PostgreSQL)."""

    def _sql(self, dialect: Dialect) -> str:
        return f"COMMENT ON COLUMN {self._target(dialect)} IS NULL"


__all__ = [
    "AddConstraint",
    "CreateSequence",
    "DropColumnComment",
    "DropConstraint",
    "DropSequence",
    "DropTableComment",
    "SetColumnComment",
    "SetTableComment",
]
