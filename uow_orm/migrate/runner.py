"""Applying revisions: the version table, one transaction per revision, offline SQL.

Called by the migration commands (``commands.py``). The version table holds the current
heads (one row per head, like Alembic's ``alembic_version``). Each revision's operations
and its version-table update run in one transaction, so a failing revision leaves the
database at the revision before it. On SQLite, foreign-key enforcement is turned off for
the revision (SQLite's own procedure for rebuilding a table) and every key is checked
before the commit.

Called by: uow_orm.migrate.autogenerate, uow_orm.migrate.commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..sql.elements import text
from .operations import Operations, operations_context
from .script import MigrationError, Revision, ScriptDirectory

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..engine.base import Connection, Engine

log = logging.getLogger("uow_orm.migrate")

VERSION_TABLE = "uow_orm_version"
_SAFE_REVISION = re.compile(r"^[A-Za-z0-9_]+$")


def _create_version_table_sql(dialect: Dialect) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {dialect.quote(VERSION_TABLE)} "
        "(version_num VARCHAR(64) NOT NULL PRIMARY KEY)"
    )


def current_heads(conn: Connection) -> set[str]:
    """The revisions the database is at ({} for a database never migrated)."""
    from ..engine.reflection import Inspector

    if not Inspector(conn).has_table(VERSION_TABLE):
        return set()
    rows = conn.execute(text(f"SELECT version_num FROM {conn.dialect.quote(VERSION_TABLE)}"))
    return {r[0] for r in rows}


def _write_heads(ops: Operations, heads: list[str]) -> None:
    q = ops.dialect.quote(VERSION_TABLE)
    ops._run(_create_version_table_sql(ops.dialect))
    if ops.connection is not None:
        ops.connection.execute(text(f"DELETE FROM {q}"))
        for head in heads:
            ops.connection.execute(text(f"INSERT INTO {q} (version_num) VALUES (:v)"), {"v": head})
        return
    # Offline: the script must carry the values; revision ids are checked to be plain
    # identifiers before they are written as literals.
    ops._run(f"DELETE FROM {q}")
    for head in heads:
        if not _SAFE_REVISION.match(head):
            raise MigrationError(f"revision id {head!r} cannot be written into an SQL script")
        ops._run(f"INSERT INTO {q} (version_num) VALUES ('{head}')")


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: no foreign-key enforcement while a revision runs (a rebuilt table is
    dropped and renamed, which would cascade or fail with it on); every key is checked
    before the commit instead."""
    if conn.dialect.name != "sqlite":
        yield
        return
    if conn.in_transaction():
        conn.commit()
    raw = conn.connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection, revision: Revision) -> None:
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({r[0] for r in broken})
        raise MigrationError(
            f"revision {revision.revision} leaves rows whose foreign keys point nowhere "
            f"(tables: {', '.join(tables)}); nothing of it was committed"
        )


def run(
    engine: Engine,
    script: ScriptDirectory,
    steps: list[Revision],
    direction: str,
    start: set[str],
) -> set[str]:
    """Apply ``steps`` (``direction`` "upgrade" or "downgrade") from the heads ``start``,
    one transaction per revision; returns the heads afterwards."""
    applied = script.ancestors(start)
    with engine.connect() as conn:
        for rev in steps:
            log.info("%s %s: %s", direction, rev.revision, rev.message)
            with _foreign_keys_off(conn):
                ops = Operations(conn.dialect, conn)
                try:
                    with operations_context(ops):
                        getattr(rev, direction)()
                    if direction == "upgrade":
                        applied.add(rev.revision)
                    else:
                        applied.discard(rev.revision)
                    _write_heads(ops, script.heads_of(applied))
                    _check_foreign_keys(conn, rev)
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    if direction == "upgrade":
                        applied.discard(rev.revision)
                    else:
                        applied.add(rev.revision)
                    raise
    return set(script.heads_of(applied))


def offline_sql(
    dialect: Dialect,
    script: ScriptDirectory,
    steps: list[Revision],
    direction: str,
    start: set[str],
    emit: Callable[[str], None],
) -> None:
    """Write the SQL of ``steps`` through ``emit`` instead of running it (``sql``
    command): one BEGIN ... COMMIT block per revision."""
    applied = script.ancestors(start)
    for rev in steps:
        emit(f"-- {direction} {rev.revision}: {rev.message}")
        emit("BEGIN")
        ops = Operations(dialect, None, emit)
        with operations_context(ops):
            getattr(rev, direction)()
        if direction == "upgrade":
            applied.add(rev.revision)
        else:
            applied.discard(rev.revision)
        _write_heads(ops, script.heads_of(applied))
        emit("COMMIT")


def stamp(engine: Engine, heads: list[str]) -> None:
    """Set the version table to ``heads`` without running any migration."""
    with engine.connect() as conn:
        ops = Operations(conn.dialect, conn)
        _write_heads(ops, heads)
        conn.commit()
