"""ALTER statements: add, drop, change and rename columns, constraints, indexes and tables.

Called only by the migration operations (``uow_orm/migrate/operations.py``). Builds on
``ddl.py`` for column and constraint clauses, so a column is spelled the same way in
CREATE TABLE and in ALTER TABLE ... ADD COLUMN. Identifiers are quoted.

Called by: uow_orm.migrate.batch, uow_orm.migrate.operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from .ddl import _action, _column_ddl

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..types import TypeEngine
    from .schema import Column


def _names(dialect: Dialect, names: Sequence[str]) -> str:
    return ", ".join(dialect.quote(n) for n in names)


def add_column_sql(table: str, column: Column[Any], dialect: Dialect) -> str:
    """``ALTER TABLE t ADD COLUMN <the column as CREATE TABLE spells it>``."""
    column_sql = _column_ddl(column, dialect, inline_pk=False)
    return f"ALTER TABLE {dialect.quote(table)} ADD COLUMN {column_sql}"


def drop_column_sql(table: str, column: str, dialect: Dialect) -> str:
    """``ALTER TABLE table DROP COLUMN column``."""
    return f"ALTER TABLE {dialect.quote(table)} DROP COLUMN {dialect.quote(column)}"


def rename_table_sql(old: str, new: str, dialect: Dialect) -> str:
    """``ALTER TABLE old RENAME TO new``."""
    return f"ALTER TABLE {dialect.quote(old)} RENAME TO {dialect.quote(new)}"


def _comment_literal(comment: str | None) -> str:
    if comment is None:
        return "NULL"
    return "'" + comment.replace("'", "''").replace("%", "%%") + "'"


def table_comment_sql(table: str, comment: str | None, dialect: Dialect) -> str:
    """``COMMENT ON TABLE t IS '...'`` (``None``: remove it). PostgreSQL only."""
    return f"COMMENT ON TABLE {dialect.quote(table)} IS {_comment_literal(comment)}"


def column_comment_sql(table: str, column: str, comment: str | None, dialect: Dialect) -> str:
    """``COMMENT ON COLUMN t.c IS '...'`` (``None``: remove it). PostgreSQL only."""
    q = dialect.quote
    return f"COMMENT ON COLUMN {q(table)}.{q(column)} IS {_comment_literal(comment)}"


def rename_column_sql(table: str, old: str, new: str, dialect: Dialect) -> str:
    """``ALTER TABLE table RENAME COLUMN old TO new``."""
    q = dialect.quote
    return f"ALTER TABLE {q(table)} RENAME COLUMN {q(old)} TO {q(new)}"


def alter_column_sql(
    table: str,
    column: str,
    dialect: Dialect,
    *,
    type_: TypeEngine | None = None,
    using: str | None = None,
    nullable: bool | None = None,
    server_default: Any = False,
) -> list[str]:
    """PostgreSQL's ALTER COLUMN clauses, one statement each (``server_default=None`` drops
    the default, ``False`` leaves it alone). SQLite has no ALTER COLUMN: its callers
    rebuild the table instead."""
    from .schema import server_default_sql

    if dialect.name != "postgresql":
        raise exc.NotSupportedError(
            f"{dialect.name} cannot ALTER a column in place; rebuild the table with "
            "batch_alter_table()"
        )
    head = f"ALTER TABLE {dialect.quote(table)} ALTER COLUMN {dialect.quote(column)}"
    out = []
    if type_ is not None:
        sql = f"{head} TYPE {type_.ddl(dialect.name)}"
        if using is not None:
            sql += f" USING {using}"
        out.append(sql)
    if nullable is not None:
        out.append(f"{head} {'DROP' if nullable else 'SET'} NOT NULL")
    if server_default is None:
        out.append(f"{head} DROP DEFAULT")
    elif server_default is not False:
        out.append(f"{head} SET DEFAULT {server_default_sql(server_default, dialect.name)}")
    return out


def foreign_key_clause(
    local: Sequence[str],
    referent: str,
    remote: Sequence[str],
    dialect: Dialect,
    *,
    name: str | None = None,
    ondelete: str | None = None,
    onupdate: str | None = None,
    deferrable: bool | None = None,
    initially: str | None = None,
) -> str:
    """``[CONSTRAINT name] FOREIGN KEY (local) REFERENCES referent (remote)`` with its ON
    DELETE / ON UPDATE actions and deferrability.

    Raises:
        ArgumentError: for an ``initially`` other than DEFERRED or IMMEDIATE.
    """
    sql = f"CONSTRAINT {dialect.quote(name)} " if name else ""
    sql += (
        f"FOREIGN KEY ({_names(dialect, local)}) REFERENCES {dialect.quote(referent)} "
        f"({_names(dialect, remote)})"
    )
    if ondelete:
        sql += f" ON DELETE {_action(ondelete)}"
    if onupdate:
        sql += f" ON UPDATE {_action(onupdate)}"
    if deferrable is not None:
        sql += " DEFERRABLE" if deferrable else " NOT DEFERRABLE"
    if initially:
        if initially.upper() not in ("DEFERRED", "IMMEDIATE"):
            raise exc.ArgumentError(f"initially must be DEFERRED or IMMEDIATE, got {initially!r}")
        sql += f" INITIALLY {initially.upper()}"
    return sql


def unique_clause(name: str | None, columns: Sequence[str], dialect: Dialect) -> str:
    """``[CONSTRAINT name] UNIQUE (columns)``."""
    prefix = f"CONSTRAINT {dialect.quote(name)} " if name else ""
    return f"{prefix}UNIQUE ({_names(dialect, columns)})"


def check_clause(name: str | None, condition: str, dialect: Dialect) -> str:
    """``[CONSTRAINT name] CHECK (condition)``; ``condition`` is SQL text."""
    prefix = f"CONSTRAINT {dialect.quote(name)} " if name else ""
    return f"{prefix}CHECK ({condition})"


def add_constraint_sql(table: str, clause: str, dialect: Dialect) -> str:
    """``ALTER TABLE t ADD <constraint clause>`` (PostgreSQL; SQLite rebuilds instead)."""
    if dialect.name != "postgresql":
        raise exc.NotSupportedError(
            f"{dialect.name} cannot add a constraint to an existing table; rebuild it with "
            "batch_alter_table()"
        )
    return f"ALTER TABLE {dialect.quote(table)} ADD {clause}"


def drop_constraint_sql(table: str, name: str, dialect: Dialect) -> str:
    """``ALTER TABLE table DROP CONSTRAINT name`` (PostgreSQL).

    Raises:
        NotSupportedError: on SQLite, which rebuilds the table instead.
    """
    if dialect.name != "postgresql":
        raise exc.NotSupportedError(
            f"{dialect.name} cannot drop a constraint of an existing table; rebuild it with "
            "batch_alter_table()"
        )
    return f"ALTER TABLE {dialect.quote(table)} DROP CONSTRAINT {dialect.quote(name)}"


def create_index_sql(
    name: str,
    table: str,
    columns: Sequence[str],
    dialect: Dialect,
    *,
    unique: bool = False,
    concurrently: bool = False,
    where: str | None = None,
) -> str:
    """CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON table (columns) [WHERE ...]."""
    if concurrently and dialect.name != "postgresql":
        raise exc.ArgumentError("postgresql_concurrently is for PostgreSQL only")
    kind = "UNIQUE INDEX" if unique else "INDEX"
    sql = (
        f"CREATE {kind} {'CONCURRENTLY ' if concurrently else ''}{dialect.quote(name)} "
        f"ON {dialect.quote(table)} ({_names(dialect, columns)})"
    )
    if where:
        sql += f" WHERE {where}"
    return sql


def drop_index_sql(name: str, dialect: Dialect, *, concurrently: bool = False) -> str:
    """``DROP INDEX [CONCURRENTLY] name``."""
    return f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}{dialect.quote(name)}"


def drop_table_sql(table: str, dialect: Dialect) -> str:
    """``DROP TABLE table``."""
    return f"DROP TABLE {dialect.quote(table)}"


__all__ = [
    "add_column_sql",
    "add_constraint_sql",
    "alter_column_sql",
    "check_clause",
    "create_index_sql",
    "drop_column_sql",
    "drop_constraint_sql",
    "drop_index_sql",
    "drop_table_sql",
    "foreign_key_clause",
    "rename_column_sql",
    "rename_table_sql",
    "unique_clause",
]
