"""Fresh databases for every repeat, their schema, the data each workload starts from, and checks.

Called only by the worker process (``benchmarks._worker``). Everything here talks to the DBAPI
driver directly, so the schema and the starting data are the same for every contender and none
of it is timed.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# One schema, written by hand, used by every contender: the ORM models in workloads_uow.py and
# workloads_sqla.py map onto these tables and never create them.
SCHEMA = {
    "sqlite": [
        "CREATE TABLE item (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL,"
        " value INTEGER NOT NULL, note VARCHAR)",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY,"
        " parent_id INTEGER NOT NULL REFERENCES parent (id), name VARCHAR(50) NOT NULL)",
        "CREATE INDEX ix_child_parent_id ON child (parent_id)",
    ],
    "postgresql": [
        "CREATE TABLE item (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL,"
        " value INTEGER NOT NULL, note VARCHAR)",
        "CREATE TABLE parent (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL)",
        "CREATE TABLE child (id SERIAL PRIMARY KEY,"
        " parent_id INTEGER NOT NULL REFERENCES parent (id), name VARCHAR(50) NOT NULL)",
        "CREATE INDEX ix_child_parent_id ON child (parent_id)",
    ],
}

# W7 is a fixed number of savepoints whatever N is.
W7_SAVEPOINTS = 2000
CHILDREN_PER_PARENT = 5


def item_row(i: int) -> tuple[str, int, str | None]:
    """The (name, value, note) of the i-th item; every contender creates the same rows."""
    return (f"item {i}", i, None if i % 2 else f"note {i}")


def connect_sqlite(path: str) -> sqlite3.Connection:
    # isolation_level=None: transactions are ours (explicit BEGIN), as SAVEPOINT needs.
    conn = sqlite3.connect(path, isolation_level=None)
    # uow_orm enforces foreign keys on SQLite; every contender runs with the same setting.
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@dataclass
class Database:
    """One empty database with the benchmark schema."""

    backend: str
    url: str  # sqlite:////abs/path.sqlite or postgresql://user@host:port/dbname
    path: str = ""  # SQLite file
    conninfo: str = ""  # PostgreSQL URL for psycopg
    _drop: Any = field(default=None, repr=False)

    @property
    def placeholder(self) -> str:
        return "?" if self.backend == "sqlite" else "%s"

    def connect(self) -> Any:
        """A new DBAPI connection (caller closes it)."""
        if self.backend == "sqlite":
            return connect_sqlite(self.path)
        import psycopg

        return psycopg.connect(self.conninfo)

    def drop(self) -> None:
        if self._drop is not None:
            self._drop()
            self._drop = None


class SqliteBackend:
    """A SQLite file on disk, default journal settings, one new file per repeat."""

    name = "sqlite"

    def __init__(self, tmpdir: str) -> None:
        self.tmpdir = tmpdir

    def fresh(self, label: str) -> Database:
        path = os.path.join(self.tmpdir, f"{label}-{uuid.uuid4().hex[:8]}.sqlite")
        conn = connect_sqlite(path)
        try:
            for ddl in SCHEMA["sqlite"]:
                conn.execute(ddl)
        finally:
            conn.close()

        def drop() -> None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)

        return Database("sqlite", "sqlite:///" + os.path.abspath(path), path=path, _drop=drop)


class PostgresBackend:
    """A new database on a loopback server per repeat, dropped afterwards."""

    name = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def fresh(self, label: str) -> Database:
        import psycopg

        dbname = f"bench_{label.lower()}_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{dbname}"')
        parts = urlsplit(self.admin_url)
        url = urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))
        with psycopg.connect(url) as conn:
            for ddl in SCHEMA["postgresql"]:
                conn.execute(ddl)  # type: ignore[arg-type]
            conn.commit()

        def drop() -> None:
            self._admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

        return Database("postgresql", url, conninfo=url, _drop=drop)


def make_backend(spec: dict[str, Any]) -> SqliteBackend | PostgresBackend:
    if spec["name"] == "sqlite":
        return SqliteBackend(spec["tmpdir"])
    return PostgresBackend(spec["admin_url"])


# --- starting data (raw executemany, never timed) -------------------------------------------


def _insert_items(db: Database, n: int) -> dict[str, Any]:
    p = db.placeholder
    conn = db.connect()
    try:
        cur = conn.cursor()
        if db.backend == "sqlite":
            cur.execute("BEGIN")
        cur.executemany(
            f"INSERT INTO item (name, value, note) VALUES ({p}, {p}, {p})",
            [item_row(i) for i in range(n)],
        )
        conn.commit()
        cur.execute("SELECT id FROM item ORDER BY id")
        ids = [row[0] for row in cur.fetchall()]
        conn.commit()
    finally:
        conn.close()
    return {"ids": ids, "value_sum": sum(range(n))}


def _insert_family(db: Database, n: int) -> dict[str, Any]:
    p = db.placeholder
    conn = db.connect()
    try:
        cur = conn.cursor()
        if db.backend == "sqlite":
            cur.execute("BEGIN")
        cur.executemany(
            f"INSERT INTO parent (name) VALUES ({p})", [(f"parent {i}",) for i in range(n // 10)]
        )
        cur.execute("SELECT id FROM parent ORDER BY id")
        parent_ids = [row[0] for row in cur.fetchall()]
        cur.executemany(
            f"INSERT INTO child (parent_id, name) VALUES ({p}, {p})",
            [
                (pid, f"child {i}.{j}")
                for i, pid in enumerate(parent_ids)
                for j in range(CHILDREN_PER_PARENT)
            ],
        )
        conn.commit()
    finally:
        conn.close()
    return {}


def setup(workload: str, db: Database, n: int) -> dict[str, Any]:
    """Put in ``db`` the rows ``workload`` starts from; return inputs for the workload."""
    if workload in ("W2", "W4", "W5", "M"):
        return _insert_items(db, n)
    if workload in ("W3", "W8"):
        data = _insert_items(db, n)
        # Distinct keys in a random (but repeatable) order: no contender can rely on locality.
        data["keys"] = random.Random(20000).sample(data["ids"], n // 4)
        return data
    if workload in ("W6b", "W9"):
        return _insert_family(db, n)
    return {}


# --- checks after each timed run (never timed) -------------------------------------------------


def _scalar(db: Database, sql: str) -> Any:
    conn = db.connect()
    try:
        cur = conn.cursor()
        cur.execute(sql)
        value = cur.fetchone()[0]
        conn.commit()
        return value
    finally:
        conn.close()


def verify(workload: str, db: Database, n: int, inputs: dict[str, Any], result: Any) -> None:
    """Raise AssertionError when a contender did not do the workload's work."""

    def check(ok: bool, what: str) -> None:
        if not ok:
            raise AssertionError(f"{workload}: {what}")

    if workload == "W1":
        count = _scalar(db, "SELECT count(*) FROM item")
        check(count == n, f"expected {n} rows in item, found {count}")
    elif workload in ("W2", "M"):
        check(len(result) == n, f"expected {n} objects loaded, got {len(result)}")
    elif workload in ("W3", "W8"):
        check(result == len(inputs["keys"]), f"expected {len(inputs['keys'])} found, got {result}")
    elif workload == "W4":
        total = _scalar(db, "SELECT sum(value) FROM item")
        expected = inputs["value_sum"] + n
        check(total == expected, f"expected sum(value) {expected} after update, found {total}")
    elif workload == "W5":
        count = _scalar(db, "SELECT count(*) FROM item")
        check(count == 0, f"expected an empty item table, found {count} rows")
    elif workload == "W6a":
        parents = _scalar(db, "SELECT count(*) FROM parent")
        children = _scalar(
            db, "SELECT count(*) FROM child JOIN parent ON parent.id = child.parent_id"
        )
        check(parents == n // 10, f"expected {n // 10} parents, found {parents}")
        check(
            children == n // 10 * CHILDREN_PER_PARENT,
            f"expected {n // 10 * CHILDREN_PER_PARENT} linked children, found {children}",
        )
    elif workload in ("W6b", "W9"):
        expected = n // 10 * CHILDREN_PER_PARENT
        check(result == expected, f"expected {expected} children touched, got {result}")
    elif workload == "W7":
        count = _scalar(db, "SELECT count(*) FROM item")
        check(count == W7_SAVEPOINTS, f"expected {W7_SAVEPOINTS} rows, found {count}")
