"""PostgreSQL's catalog: tables, columns, keys, indexes, sequences and enums from pg_catalog.

Called only through the ``Inspector`` (``engine/reflection.py``). Every query binds the
schema and table names as values; ``schema=None`` means ``current_schema()``.

Called by: uow_orm.engine.reflection, uow_orm.migrate.autogenerate,
uow_orm.dialects.postgresql.base (``ischema_names``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import types as sqltypes
from ..sql.elements import text
from .catalog import TypeFactory, check_sqltext, parse_type
from .postgresql_ranges import (
    DATEMULTIRANGE,
    DATERANGE,
    INT4MULTIRANGE,
    INT4RANGE,
    INT8MULTIRANGE,
    INT8RANGE,
    NUMMULTIRANGE,
    NUMRANGE,
    TSMULTIRANGE,
    TSRANGE,
    TSTZMULTIRANGE,
    TSTZRANGE,
)
from .postgresql_types import (
    ARRAY,
    BIGINT,
    BIT,
    BOOLEAN,
    BYTEA,
    CHAR,
    CIDR,
    CITEXT,
    DATE,
    DOUBLE_PRECISION,
    HSTORE,
    INET,
    INTEGER,
    INTERVAL,
    JSON,
    JSONB,
    JSONPATH,
    MACADDR,
    MACADDR8,
    MONEY,
    NUMERIC,
    OID,
    REAL,
    REGCLASS,
    REGCONFIG,
    SMALLINT,
    TEXT,
    TIME,
    TIMESTAMP,
    TSQUERY,
    TSVECTOR,
    UUID,
    VARCHAR,
)

if TYPE_CHECKING:
    from ..engine.base import Connection


def _sized(cls: type[sqltypes.TypeEngine]) -> TypeFactory:
    return lambda a: cls(a[0] if a else None)  # type: ignore[call-arg]


def _plain(cls: type[sqltypes.TypeEngine]) -> TypeFactory:
    return lambda a: cls()


def _numeric(args: list[int]) -> sqltypes.TypeEngine:
    return NUMERIC(*args[:2])


def _bit(varying: bool) -> TypeFactory:
    return lambda a: BIT(a[0] if a else None, varying=varying)


# format_type() spellings (lower case, without precision for times), mapped to the
# dialect's type classes as SQLAlchemy's PostgreSQL dialect reflects them.
TYPE_NAMES: dict[str, TypeFactory] = {
    "integer": _plain(INTEGER),
    "smallint": _plain(SMALLINT),
    "bigint": _plain(BIGINT),
    "character varying": _sized(VARCHAR),
    "character": _sized(CHAR),
    "text": _plain(TEXT),
    "boolean": _plain(BOOLEAN),
    "real": _plain(REAL),
    "double precision": _plain(DOUBLE_PRECISION),
    "numeric": _numeric,
    "date": _plain(DATE),
    "timestamp without time zone": lambda a: TIMESTAMP(precision=a[0] if a else None),
    "timestamp with time zone": lambda a: TIMESTAMP(True, a[0] if a else None),
    "time without time zone": lambda a: TIME(precision=a[0] if a else None),
    "interval": lambda a: INTERVAL(a[0] if a else None),
    "json": _plain(JSON),
    "jsonb": _plain(JSONB),
    "jsonpath": _plain(JSONPATH),
    "uuid": _plain(UUID),
    "bytea": _plain(BYTEA),
    "inet": _plain(INET),
    "cidr": _plain(CIDR),
    "macaddr": _plain(MACADDR),
    "macaddr8": _plain(MACADDR8),
    "money": _plain(MONEY),
    "oid": _plain(OID),
    "regclass": _plain(REGCLASS),
    "regconfig": _plain(REGCONFIG),
    "tsvector": _plain(TSVECTOR),
    "tsquery": _plain(TSQUERY),
    "bit": _bit(False),
    "bit varying": _bit(True),
    "citext": _plain(CITEXT),
    "hstore": _plain(HSTORE),
    "int4range": _plain(INT4RANGE),
    "int8range": _plain(INT8RANGE),
    "numrange": _plain(NUMRANGE),
    "daterange": _plain(DATERANGE),
    "tsrange": _plain(TSRANGE),
    "tstzrange": _plain(TSTZRANGE),
    "int4multirange": _plain(INT4MULTIRANGE),
    "int8multirange": _plain(INT8MULTIRANGE),
    "nummultirange": _plain(NUMMULTIRANGE),
    "datemultirange": _plain(DATEMULTIRANGE),
    "tsmultirange": _plain(TSMULTIRANGE),
    "tstzmultirange": _plain(TSTZMULTIRANGE),
    # The spellings uow_orm's own DDL uses (autogenerate parses those too).
    "varchar": _sized(VARCHAR),
    "char": _sized(CHAR),
    "int": _plain(INTEGER),
    "time": lambda a: TIME(precision=a[0] if a else None),
    "timestamp": lambda a: TIMESTAMP(precision=a[0] if a else None),
}

#: SQLAlchemy's ``dialects.postgresql.base.ischema_names``: type name -> type class, which
#: applications extend (``ischema_names["ltree"] = LtreeType``) so reflection gives their
#: class for that name; an entry replacing one of the defaults replaces it.
ischema_names: dict[str, Any] = {}
_DEFAULT_CLASSES: dict[str, Any] = {}


for _name, _factory in TYPE_NAMES.items():
    _cls = type(_factory([]))
    ischema_names[_name] = _DEFAULT_CLASSES[_name] = _cls


def _user_type(name: str) -> Any:
    """The class an application registered in `ischema_names` for ``name``, or None."""
    cls = ischema_names.get(name)
    if cls is None or cls is _DEFAULT_CLASSES.get(name):
        return None
    return cls


# "timestamp(3) with time zone", "time(0) without time zone": the precision sits inside
_TIME_WITH_PRECISION = re.compile(
    r"^(timestamp|time)\((\d+)\) (with|without) time zone$", re.IGNORECASE
)
# "interval day to second", "interval(3)", "interval hour to second(2)"
_INTERVAL = re.compile(r"^interval(?:\((\d+)\))?(?: ([a-z ]+?))?(?:\((\d+)\))?$", re.IGNORECASE)


def reflected_type(spelled: str, table: str, column: str) -> sqltypes.TypeEngine:
    """The dialect type for a ``format_type()`` spelling: arrays (``integer[]``) as
    `ARRAY` of their item type, times with their precision, intervals with their fields;
    NullType (logged) for a type it does not know."""
    text_ = spelled.strip()
    user = _user_type(text_.lower())
    if user is not None:
        return user()  # type: ignore[no-any-return]
    if text_.endswith("[]"):
        item = reflected_type(text_.rstrip("[] "), table, column)
        if isinstance(item, sqltypes.NullType):
            return item
        return ARRAY(item)
    m = _TIME_WITH_PRECISION.match(text_)
    if m is not None:
        kind, precision, zone = m.group(1).lower(), int(m.group(2)), m.group(3).lower()
        name = f"{kind} {zone} time zone"
        return TYPE_NAMES[name]([precision]) if name in TYPE_NAMES else sqltypes.NullType()
    m = _INTERVAL.match(text_)
    if m is not None:
        digits = m.group(1) or m.group(3)
        fields = m.group(2)
        return INTERVAL(int(digits) if digits else None, fields=fields)
    return parse_type(text_, TYPE_NAMES, table, column)


_FK_ACTIONS = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

_SCHEMA = "COALESCE(CAST(:schema AS text), current_schema())"

_RELATION = f"""
SELECT c.oid FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = {_SCHEMA} AND c.relname = :table
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""


class PostgreSQLCatalog:
    """Catalog queries for PostgreSQL."""

    def _rows(self, conn: Connection, sql: str, **params: Any) -> list[Any]:
        return list(conn.execute(text(sql), params).all())

    def _oid(self, conn: Connection, table_name: str, schema: str | None) -> int:
        return int(self._rows(conn, _RELATION, schema=schema, table=table_name)[0][0])

    def default_schema_name(self, conn: Connection) -> str:
        return str(self._rows(conn, "SELECT current_schema()")[0][0])

    def get_schema_names(self, conn: Connection) -> list[str]:
        rows = self._rows(
            conn,
            "SELECT nspname FROM pg_catalog.pg_namespace "
            "WHERE nspname NOT LIKE 'pg~_%' ESCAPE '~' AND nspname <> 'information_schema' "
            "ORDER BY nspname",
        )
        return [r[0] for r in rows]

    def _relations(self, conn: Connection, schema: str | None, kinds: str) -> list[str]:
        rows = self._rows(
            conn,
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f'WHERE n.nspname = {_SCHEMA} AND c.relkind = ANY(CAST(:kinds AS "char"[])) '
            "ORDER BY c.relname",
            schema=schema,
            kinds=list(kinds),
        )
        return [r[0] for r in rows]

    def get_table_names(self, conn: Connection, schema: str | None) -> list[str]:
        return self._relations(conn, schema, "rp")

    def get_view_names(self, conn: Connection, schema: str | None) -> list[str]:
        return self._relations(conn, schema, "v")

    def get_view_definition(
        self, conn: Connection, view_name: str, schema: str | None
    ) -> str | None:
        rows = self._rows(
            conn,
            "SELECT pg_catalog.pg_get_viewdef(c.oid, true) FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = {_SCHEMA} AND c.relname = :table AND c.relkind IN ('v', 'm')",
            schema=schema,
            table=view_name,
        )
        return rows[0][0] if rows else None

    def has_table(self, conn: Connection, table_name: str, schema: str | None) -> bool:
        return bool(self._rows(conn, _RELATION, schema=schema, table=table_name))

    def _enum_names(self, conn: Connection) -> dict[str, list[str]]:
        rows = self._rows(
            conn,
            "SELECT t.typname, e.enumlabel FROM pg_catalog.pg_type t "
            "JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid ORDER BY t.typname, e.enumsortorder",
        )
        enums: dict[str, list[str]] = {}
        for name, label in rows:
            enums.setdefault(name, []).append(label)
        return enums

    def get_columns(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        oid = self._oid(conn, table_name, schema)
        rows = self._rows(
            conn,
            "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
            "pg_catalog.col_description(a.attrelid, a.attnum), t.typname "
            "FROM pg_catalog.pg_attribute a "
            "JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
            "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            oid=oid,
        )
        enums: dict[str, list[str]] | None = None
        columns = []
        for name, spelled, notnull, default, identity, generated, comment, typname in rows:
            column_type = reflected_type(spelled, table_name, name)
            if isinstance(column_type, sqltypes.NullType):
                if enums is None:
                    enums = self._enum_names(conn)
                if typname in enums:
                    column_type = _reflected_enum(typname, enums[typname])
            autoincrement = bool(identity) or (
                default is not None and str(default).startswith("nextval(")
            )
            column: dict[str, Any] = {
                "name": name,
                "type": column_type,
                "nullable": not notnull,
                "default": None if generated else default,
                "autoincrement": autoincrement,
                "comment": comment,
            }
            if identity:
                column["identity"] = {"always": identity == "a"}
            if generated:
                column["computed"] = {"sqltext": default, "persisted": generated == "s"}
            columns.append(column)
        return columns

    def _constraints(
        self, conn: Connection, table_name: str, schema: str | None, kind: str
    ) -> list[Any]:
        return self._rows(
            conn,
            "SELECT con.conname, "
            "ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) "
            "      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n "
            "      ORDER BY k.i), "
            "pg_catalog.pg_get_constraintdef(con.oid, true), con.confupdtype, con.confdeltype, "
            "con.condeferrable, con.condeferred, rn.nspname, rc.relname, "
            "ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i) "
            "      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n "
            "      ORDER BY k.i), "
            "pg_catalog.obj_description(con.oid, 'pg_constraint') "
            "FROM pg_catalog.pg_constraint con "
            "LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid "
            "LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace "
            "WHERE con.conrelid = :oid AND con.contype = :kind ORDER BY con.conname",
            oid=self._oid(conn, table_name, schema),
            kind=kind,
        )

    def get_pk_constraint(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]:
        rows = self._constraints(conn, table_name, schema, "p")
        if not rows:
            return {"constrained_columns": [], "name": None}
        return {"constrained_columns": list(rows[0][1]), "name": rows[0][0]}

    def get_foreign_keys(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        fks = []
        for row in self._constraints(conn, table_name, schema, "f"):
            name, cols, _definition, upd, dele, deferrable, deferred, rschema, rtable, rcols = row[
                :10
            ]
            options: dict[str, Any] = {}
            if _FK_ACTIONS.get(upd):
                options["onupdate"] = _FK_ACTIONS[upd]
            if _FK_ACTIONS.get(dele):
                options["ondelete"] = _FK_ACTIONS[dele]
            if deferrable:
                options["deferrable"] = True
                options["initially"] = "DEFERRED" if deferred else "IMMEDIATE"
            default_schema = self.default_schema_name(conn)
            fks.append(
                {
                    "name": name,
                    "constrained_columns": list(cols),
                    "referred_schema": None if rschema == default_schema else rschema,
                    "referred_table": rtable,
                    "referred_columns": list(rcols),
                    "options": options,
                }
            )
        return fks

    def get_indexes(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        rows = self._rows(
            conn,
            "SELECT ic.relname, i.indisunique, "
            "ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k.i, true) "
            "      FROM generate_series(1, i.indnkeyatts) k(i) ORDER BY k.i), "
            "ARRAY(SELECT i.indkey[k.i - 1] FROM generate_series(1, i.indnkeyatts) k(i) "
            "      ORDER BY k.i), "
            "pg_catalog.pg_get_expr(i.indpred, i.indrelid), am.amname "
            "FROM pg_catalog.pg_index i "
            "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
            "JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
            "WHERE i.indrelid = :oid AND NOT EXISTS ("
            "  SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid"
            "  AND con.conrelid = i.indrelid) "
            "ORDER BY ic.relname",
            oid=self._oid(conn, table_name, schema),
        )
        indexes = []
        for name, unique, definitions, attnums, where, method in rows:
            column_names = [
                None if num == 0 else _strip_quotes(d) for d, num in zip(definitions, attnums)
            ]
            entry: dict[str, Any] = {
                "name": name,
                "column_names": column_names,
                "unique": bool(unique),
                "dialect_options": {},
            }
            if any(c is None for c in column_names):
                entry["expressions"] = list(definitions)
            if where:
                entry["dialect_options"]["postgresql_where"] = where
            if method != "btree":
                entry["dialect_options"]["postgresql_using"] = method
            indexes.append(entry)
        return indexes

    def get_unique_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        return [
            {"name": row[0], "column_names": list(row[1])}
            for row in self._constraints(conn, table_name, schema, "u")
        ]

    def get_check_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        return [
            {"name": row[0], "sqltext": check_sqltext(row[2])}
            for row in self._constraints(conn, table_name, schema, "c")
        ]

    def get_table_comment(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]:
        rows = self._rows(
            conn,
            "SELECT pg_catalog.obj_description(CAST(:oid AS oid), 'pg_class')",
            oid=self._oid(conn, table_name, schema),
        )
        return {"text": rows[0][0]}

    def get_sequence_names(self, conn: Connection, schema: str | None) -> list[str]:
        return self._relations(conn, schema, "S")

    def get_enums(self, conn: Connection, schema: str | None) -> list[dict[str, Any]]:
        rows = self._rows(
            conn,
            "SELECT t.typname, n.nspname, pg_catalog.pg_type_is_visible(t.oid), "
            "ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid "
            "      ORDER BY e.enumsortorder) "
            "FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
            f"WHERE t.typtype = 'e' AND (CAST(:schema AS text) = '*' OR n.nspname = {_SCHEMA}) "
            "ORDER BY n.nspname, t.typname",
            schema=schema,
        )
        return [
            {"name": name, "schema": nsp, "visible": bool(visible), "labels": list(labels)}
            for name, nsp, visible, labels in rows
        ]


def _strip_quotes(name: str) -> str:
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _reflected_enum(name: str, labels: list[str]) -> sqltypes.TypeEngine:
    """A native enum column: an ``Enum`` of a Python enum built from its labels."""
    import enum

    members: Any = enum.Enum(name, {label: label for label in labels})  # type: ignore[misc]
    return sqltypes.Enum(members)
