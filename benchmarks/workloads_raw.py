"""The limit: each workload done by hand with the DBAPI driver (stdlib sqlite3 or psycopg 3).

Loaded by ``benchmarks._worker`` in its own process. Hand-written SQL, ``executemany``, plain
tuples; every workload runs in one explicit transaction like a session's.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ._backends import CHILDREN_PER_PARENT, W7_SAVEPOINTS, Database, item_row

NAME = "raw"
LABEL = "raw DBAPI"


def version() -> str:
    try:
        import psycopg

        pg = f", psycopg {psycopg.__version__}"
    except ImportError:
        pg = ""
    return f"sqlite3 (SQLite {sqlite3.sqlite_version}){pg}"


class Raw:
    """A DBAPI connection plus the workloads' SQL in the driver's parameter style."""

    def __init__(self, db: Database) -> None:
        self.conn = db.connect()
        self.sqlite = db.backend == "sqlite"
        p = db.placeholder
        self.insert_item = f"INSERT INTO item (name, value, note) VALUES ({p}, {p}, {p})"
        self.select_items = "SELECT id, name, value, note FROM item"
        self.select_item = f"SELECT id, name, value, note FROM item WHERE id = {p}"
        self.update_value = f"UPDATE item SET value = {p} WHERE id = {p}"
        self.delete_item = f"DELETE FROM item WHERE id = {p}"
        self.insert_parent = f"INSERT INTO parent (name) VALUES ({p})"
        self.insert_child = f"INSERT INTO child (parent_id, name) VALUES ({p}, {p})"

    def cursor(self) -> Any:
        cur = self.conn.cursor()
        if self.sqlite:
            # psycopg opens the transaction by itself; sqlite3 in autocommit mode needs BEGIN.
            cur.execute("BEGIN")
        return cur

    def commit(self) -> None:
        if self.sqlite:
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()


def open(db: Database) -> Raw:
    return Raw(db)


def close(raw: Raw) -> None:
    raw.conn.close()


def w1_insert(raw: Raw, n: int, inputs: dict[str, Any]) -> list[Any]:
    rows = [item_row(i) for i in range(n)]
    cur = raw.cursor()
    cur.executemany(raw.insert_item, rows)
    raw.commit()
    return rows


def w2_load(raw: Raw, n: int, inputs: dict[str, Any]) -> list[Any]:
    cur = raw.cursor()
    cur.execute(raw.select_items)
    rows = cur.fetchall()
    raw.commit()
    return rows


def w3_get(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    sql = raw.select_item
    found = 0
    for key in inputs["keys"]:
        cur.execute(sql, (key,))
        if cur.fetchone() is not None:
            found += 1
    raw.commit()
    return found


def w4_update(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    cur.execute(raw.select_items)
    rows = cur.fetchall()
    cur.executemany(raw.update_value, [(row[2] + 1, row[0]) for row in rows])
    raw.commit()
    return len(rows)


def w5_delete(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    cur.execute(raw.select_items)
    rows = cur.fetchall()
    cur.executemany(raw.delete_item, [(row[0],) for row in rows])
    raw.commit()
    return len(rows)


def w6a_family(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    names = [(f"parent {i}",) for i in range(n // 10)]
    if raw.sqlite:
        parent_ids = []
        for params in names:
            cur.execute(raw.insert_parent, params)
            parent_ids.append(cur.lastrowid)
    else:
        # psycopg pipelines executemany; returning=True keeps one result per row, in order.
        cur.executemany(raw.insert_parent + " RETURNING id", names, returning=True)
        parent_ids = []
        while True:
            parent_ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
    cur.executemany(
        raw.insert_child,
        [
            (pid, f"child {i}.{j}")
            for i, pid in enumerate(parent_ids)
            for j in range(CHILDREN_PER_PARENT)
        ],
    )
    raw.commit()
    return len(parent_ids)


def w6b_family_load(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    cur.execute("SELECT id, name FROM parent")
    parents = cur.fetchall()
    cur.execute("SELECT id, parent_id, name FROM child")
    children: dict[int, list[Any]] = {}
    for row in cur.fetchall():
        bucket = children.get(row[1])
        if bucket is None:
            children[row[1]] = [row]
        else:
            bucket.append(row)
    raw.commit()
    touched = 0
    for parent in parents:
        for child in children.get(parent[0], ()):
            child[2]
            touched += 1
    return touched


def w7_savepoints(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    for i in range(W7_SAVEPOINTS):
        cur.execute("SAVEPOINT sp")
        cur.execute(raw.insert_item, item_row(i))
        cur.execute("RELEASE SAVEPOINT sp")
    raw.commit()
    return W7_SAVEPOINTS


def w8_select_one(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    p = "?" if raw.sqlite else "%s"
    sql = f"SELECT id, name, value, note FROM item WHERE id = {p} AND value >= {p}"
    found = 0
    for key in inputs["keys"]:
        cur.execute(sql, (key, 0))
        if cur.fetchone() is not None:
            found += 1
    raw.commit()
    return found


def w9_lazy_children(raw: Raw, n: int, inputs: dict[str, Any]) -> int:
    cur = raw.cursor()
    p = "?" if raw.sqlite else "%s"
    cur.execute("SELECT id, name FROM parent")
    parents = cur.fetchall()
    sql = f"SELECT id, parent_id, name FROM child WHERE parent_id = {p}"
    touched = 0
    for parent in parents:
        cur.execute(sql, (parent[0],))
        for child in cur.fetchall():
            child[2]
            touched += 1
    raw.commit()
    return touched


WORKLOADS = {
    "W1": w1_insert,
    "W2": w2_load,
    "W3": w3_get,
    "W4": w4_update,
    "W5": w5_delete,
    "W6a": w6a_family,
    "W6b": w6b_family_load,
    "W7": w7_savepoints,
    "W8": w8_select_one,
    "W9": w9_lazy_children,
}
