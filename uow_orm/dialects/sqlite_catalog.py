"""SQLite's catalog: tables, columns, keys and indexes from PRAGMAs and ``sqlite_master``.

Called only through the ``Inspector`` (``engine/reflection.py``). SQLite keeps no names
for some constraints and no CHECK catalog at all, so those are read from the table's own
CREATE TABLE text, as SQLAlchemy does.

Called by: uow_orm.engine.reflection, uow_orm.migrate.autogenerate.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import types as sqltypes
from ..sql.elements import text
from .catalog import TypeFactory, check_sqltext, closing_paren, parse_type

if TYPE_CHECKING:
    from ..engine.base import Connection


def _numeric(args: list[int]) -> sqltypes.TypeEngine:
    return sqltypes.Numeric(*args[:2])


def _string(args: list[int]) -> sqltypes.TypeEngine:
    return sqltypes.String(args[0] if args else None)


# The names uow_orm's DDL writes on SQLite, and the common spellings of other tools.
# Types SQLite cannot tell apart (Uuid is CHAR(32), Enum is VARCHAR or INTEGER, both
# DateTime flavours are DATETIME) come back as what the column's declaration says.
TYPE_NAMES: dict[str, TypeFactory] = {
    "integer": lambda a: sqltypes.Integer(),
    "int": lambda a: sqltypes.Integer(),
    "smallint": lambda a: sqltypes.SmallInteger(),
    "bigint": lambda a: sqltypes.BigInteger(),
    "varchar": _string,
    "character varying": _string,
    "nvarchar": _string,
    "char": _string,
    "character": _string,
    "nchar": _string,
    "text": lambda a: sqltypes.Text(),
    "clob": lambda a: sqltypes.Text(),
    "boolean": lambda a: sqltypes.Boolean(),
    "real": lambda a: sqltypes.Float(),
    "float": lambda a: sqltypes.Float(),
    "double": lambda a: sqltypes.Float(),
    "double precision": lambda a: sqltypes.Float(),
    "numeric": _numeric,
    "decimal": _numeric,
    "date": lambda a: sqltypes.Date(),
    "datetime": lambda a: sqltypes.DateTime(),
    "timestamp": lambda a: sqltypes.DateTime(),
    "time": lambda a: sqltypes.Time(),
    "json": lambda a: sqltypes.JSON(),
    "blob": lambda a: sqltypes.LargeBinary(),
}

_NAME = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)'
_CONSTRAINT = re.compile(
    rf"(?:CONSTRAINT\s+({_NAME})\s+)?(CHECK|UNIQUE|FOREIGN\s+KEY|PRIMARY\s+KEY)\s*\(",
    re.IGNORECASE,
)


def _unquote(name: str) -> str:
    if name[:1] == '"' and name[-1:] == '"':
        return name[1:-1].replace('""', '"')
    if name[:1] in "`[":
        return name[1:-1]
    return name


def _split_top_level(body: str) -> list[str]:
    """Split ``a, f(b, c), d`` at the commas outside parentheses and quotes."""
    parts: list[str] = []
    depth, start, quote = 0, 0, None
    for i, ch in enumerate(body):
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return [p for p in parts if p]


def _column_names(body: str) -> list[str]:
    return [_unquote(p.split()[0]) for p in _split_top_level(body)]


class SQLiteCatalog:
    """Catalog queries for SQLite; ``schema`` names an attached database (``main``)."""

    def _q(self, conn: Connection, name: str) -> str:
        return conn.dialect.quote(name)

    def _master(self, conn: Connection, schema: str | None) -> str:
        return f"{self._q(conn, schema or 'main')}.sqlite_master"

    def _pragma(self, conn: Connection, pragma: str, arg: str, schema: str | None) -> list[Any]:
        sql = f"PRAGMA {self._q(conn, schema or 'main')}.{pragma}({self._q(conn, arg)})"
        return list(conn.execute(text(sql)).all())

    def _table_sql(self, conn: Connection, table_name: str, schema: str | None) -> str:
        row = conn.execute(
            text(
                f"SELECT sql FROM {self._master(conn, schema)} WHERE name = :n AND type = 'table'"
            ),
            {"n": table_name},
        ).first()
        return (row[0] if row else None) or ""

    def _constraints(self, table_sql: str) -> list[tuple[str | None, str, str]]:
        """(name, kind, body inside the parentheses) of each constraint in CREATE TABLE."""
        found: list[tuple[str | None, str, str]] = []
        for m in _CONSTRAINT.finditer(table_sql):
            end = closing_paren(table_sql, m.end() - 1)
            if end < 0:
                continue
            name = _unquote(m.group(1)) if m.group(1) else None
            kind = " ".join(m.group(2).upper().split())
            found.append((name, kind, table_sql[m.end() : end]))
        return found

    def default_schema_name(self, conn: Connection) -> str:
        return "main"

    def get_schema_names(self, conn: Connection) -> list[str]:
        rows = conn.execute(text("PRAGMA database_list")).all()
        return [r[1] for r in rows if r[1] != "temp"]

    def _names(self, conn: Connection, schema: str | None, kind: str) -> list[str]:
        rows = conn.execute(
            text(
                f"SELECT name FROM {self._master(conn, schema)} "
                "WHERE type = :kind AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name"
            ),
            {"kind": kind},
        ).all()
        return [r[0] for r in rows]

    def get_table_names(self, conn: Connection, schema: str | None) -> list[str]:
        return self._names(conn, schema, "table")

    def get_view_names(self, conn: Connection, schema: str | None) -> list[str]:
        return self._names(conn, schema, "view")

    def get_view_definition(
        self, conn: Connection, view_name: str, schema: str | None
    ) -> str | None:
        row = conn.execute(
            text(f"SELECT sql FROM {self._master(conn, schema)} WHERE name = :n AND type = 'view'"),
            {"n": view_name},
        ).first()
        return row[0] if row else None

    def has_table(self, conn: Connection, table_name: str, schema: str | None) -> bool:
        row = conn.execute(
            text(
                f"SELECT 1 FROM {self._master(conn, schema)} "
                "WHERE name = :n AND type IN ('table', 'view')"
            ),
            {"n": table_name},
        ).first()
        return row is not None

    def get_columns(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        rows = self._pragma(conn, "table_xinfo", table_name, schema)
        pk_cols = [r for r in rows if r[5]]
        columns = []
        for _cid, name, type_name, notnull, default, pk, hidden in rows:
            if hidden == 1:  # a virtual table's hidden column
                continue
            column_type = parse_type(type_name or "", TYPE_NAMES, table_name, name)
            if not type_name:
                column_type = sqltypes.NullType()
            # An INTEGER PRIMARY KEY column is the rowid: the database numbers it.
            rowid = len(pk_cols) == 1 and pk and (type_name or "").strip().upper() == "INTEGER"
            column: dict[str, Any] = {
                "name": name,
                "type": column_type,
                "nullable": not notnull and not pk,
                "default": default,
                "autoincrement": bool(rowid) if pk else False,
                "primary_key": pk,
                "comment": None,
            }
            if hidden in (2, 3):
                column["computed"] = {"sqltext": "", "persisted": hidden == 3}
            columns.append(column)
        return columns

    def get_pk_constraint(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]:
        rows = self._pragma(conn, "table_info", table_name, schema)
        cols = [r[1] for r in sorted((r for r in rows if r[5]), key=lambda r: r[5])]
        name = None
        for cname, kind, _body in self._constraints(self._table_sql(conn, table_name, schema)):
            if kind == "PRIMARY KEY":
                name = cname
        return {"constrained_columns": cols, "name": name}

    def get_foreign_keys(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        rows = self._pragma(conn, "foreign_key_list", table_name, schema)
        by_id: dict[int, dict[str, Any]] = {}
        for fk_id, _seq, target, local, remote, on_update, on_delete, _match in rows:
            fk = by_id.setdefault(
                fk_id,
                {
                    "name": None,
                    "constrained_columns": [],
                    "referred_schema": schema,
                    "referred_table": target,
                    "referred_columns": [],
                    "options": {},
                },
            )
            fk["constrained_columns"].append(local)
            fk["referred_columns"].append(remote)
            if on_update and on_update.upper() != "NO ACTION":
                fk["options"]["onupdate"] = on_update
            if on_delete and on_delete.upper() != "NO ACTION":
                fk["options"]["ondelete"] = on_delete
        names: dict[tuple[str, ...], str] = {}
        for cname, kind, body in self._constraints(self._table_sql(conn, table_name, schema)):
            if kind == "FOREIGN KEY" and cname is not None:
                names[tuple(_column_names(body))] = cname
        fks = [by_id[k] for k in sorted(by_id, reverse=True)]  # declaration order
        for fk in fks:
            fk["name"] = names.get(tuple(fk["constrained_columns"]))
        return fks

    def _index_rows(self, conn: Connection, table_name: str, schema: str | None) -> list[Any]:
        return self._pragma(conn, "index_list", table_name, schema)

    def _index_columns(self, conn: Connection, index_name: str, schema: str | None) -> list[Any]:
        rows = self._pragma(conn, "index_xinfo", index_name, schema)
        return [r for r in rows if r[5]]  # key columns only, not the rowid tail

    def get_indexes(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        indexes = []
        for _seq, name, unique, origin, partial in self._index_rows(conn, table_name, schema):
            if origin != "c":  # behind a PRIMARY KEY or UNIQUE constraint
                continue
            row = conn.execute(
                text(f"SELECT sql FROM {self._master(conn, schema)} WHERE name = :n"),
                {"n": name},
            ).first()
            index_sql = (row[0] if row else None) or ""
            open_at = index_sql.find("(")
            close_at = closing_paren(index_sql, open_at) if open_at >= 0 else -1
            parts = _split_top_level(index_sql[open_at + 1 : close_at]) if close_at > 0 else []
            column_names: list[str | None] = []
            expressions: list[str] = []
            for i, info in enumerate(self._index_columns(conn, name, schema)):
                if info[1] == -2:  # an expression
                    column_names.append(None)
                    expressions.append(parts[i] if i < len(parts) else "")
                else:
                    column_names.append(info[2])
                    expressions.append(info[2])
            entry: dict[str, Any] = {
                "name": name,
                "column_names": column_names,
                "unique": bool(unique),
                "dialect_options": {},
            }
            if any(c is None for c in column_names):
                entry["expressions"] = expressions
            if partial and close_at > 0:
                where = re.search(r"\bWHERE\b(.*)$", index_sql[close_at + 1 :], re.I | re.S)
                if where:
                    entry["dialect_options"]["sqlite_where"] = where.group(1).strip()
            indexes.append(entry)
        return indexes

    def get_unique_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        names: dict[tuple[str, ...], str | None] = {}
        for cname, kind, body in self._constraints(self._table_sql(conn, table_name, schema)):
            if kind == "UNIQUE":
                names[tuple(_column_names(body))] = cname
        found = []
        for _seq, name, _unique, origin, _partial in self._index_rows(conn, table_name, schema):
            if origin != "u":
                continue
            cols = [r[2] for r in self._index_columns(conn, name, schema)]
            found.append({"name": names.get(tuple(cols)), "column_names": cols})
        return list(reversed(found))  # index_list lists the newest first

    def get_check_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        return [
            {"name": cname, "sqltext": check_sqltext(body)}
            for cname, kind, body in self._constraints(self._table_sql(conn, table_name, schema))
            if kind == "CHECK"
        ]

    def get_table_comment(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]:
        return {"text": None}

    def get_sequence_names(self, conn: Connection, schema: str | None) -> list[str]:
        return []

    def get_enums(self, conn: Connection, schema: str | None) -> list[dict[str, Any]]:
        return []
