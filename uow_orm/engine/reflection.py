"""Schema reflection: what tables, columns, keys and indexes a live database holds.

Called by users through ``inspect(engine)`` / ``inspect(connection)`` and by
``MetaData.reflect()`` / ``Table(..., autoload_with=...)``. The catalog queries of each
backend live in ``dialects/<name>_catalog.py``; this module only routes and caches.

Called by: uow_orm.engine, uow_orm.migrate.*, uow_orm.orm, uow_orm.schema.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import exc

if TYPE_CHECKING:
    from ..dialects.catalog import Catalog
    from ..schema import Table
    from .base import Connection, Engine

log = logging.getLogger("uow_orm.engine")


def catalog_for(dialect_name: str) -> Catalog:
    """The catalog reader of a dialect (``"sqlite"`` or ``"postgresql"``)."""
    if dialect_name == "sqlite":
        from ..dialects.sqlite_catalog import SQLiteCatalog

        return SQLiteCatalog()
    if dialect_name == "postgresql":
        from ..dialects.postgresql_catalog import PostgreSQLCatalog

        return PostgreSQLCatalog()
    raise exc.ArgumentError(f"schema reflection is not available for {dialect_name!r}")


class Inspector:
    """Reads the schema of a database, as SQLAlchemy's ``Inspector`` does.

    Made by ``inspect(engine)`` or ``inspect(connection)``. Each method runs its catalog
    query on a connection of its own (for an engine) or on the connection given, and returns
    plain dicts and lists with SQLAlchemy's keys, e.g.::

        insp = inspect(engine)
        insp.get_table_names()            # ['addresses', 'users']
        insp.get_columns("users")[0]      # {'name': 'id', 'type': Integer(), ...}

    ``schema=None`` means the default schema (``main`` on SQLite, the search path's first
    schema on PostgreSQL). A table that does not exist raises ``exc.NoSuchTableError``.
    """

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.dialect = bind.dialect
        self._catalog = catalog_for(bind.dialect.name)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        from .base import Connection

        if isinstance(self.bind, Connection):
            yield self.bind
        else:
            with self.bind.connect() as conn:
                yield conn

    def _table_query(self, method: str, table_name: str, schema: str | None) -> Any:
        with self._connection() as conn:
            if not self._catalog.has_table(conn, table_name, schema):
                where = f"{schema}.{table_name}" if schema else table_name
                raise exc.NoSuchTableError(where)
            return getattr(self._catalog, method)(conn, table_name, schema)

    @property
    def default_schema_name(self) -> str:
        """The schema that ``schema=None`` means."""
        with self._connection() as conn:
            return self._catalog.default_schema_name(conn)

    def get_schema_names(self) -> list[str]:
        """Schemas (PostgreSQL) or attached databases (SQLite), system ones left out."""
        with self._connection() as conn:
            return self._catalog.get_schema_names(conn)

    def get_table_names(self, schema: str | None = None) -> list[str]:
        """Names of the tables in ``schema``, sorted."""
        with self._connection() as conn:
            return self._catalog.get_table_names(conn, schema)

    def get_view_names(self, schema: str | None = None) -> list[str]:
        """Names of the views in ``schema``, sorted."""
        with self._connection() as conn:
            return self._catalog.get_view_names(conn, schema)

    def get_view_definition(self, view_name: str, schema: str | None = None) -> str:
        """The SELECT behind a view."""
        with self._connection() as conn:
            definition = self._catalog.get_view_definition(conn, view_name, schema)
        if definition is None:
            raise exc.NoSuchTableError(view_name)
        return definition

    def has_table(self, table_name: str, schema: str | None = None) -> bool:
        """Whether ``table_name`` exists (a table or a view)."""
        with self._connection() as conn:
            return self._catalog.has_table(conn, table_name, schema)

    def get_columns(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """One dict per column, in table order: ``name``, ``type`` (a uow_orm type),
        ``nullable``, ``default`` (the server default's SQL text or None),
        ``autoincrement`` and ``comment``."""
        return self._table_query("get_columns", table_name, schema)  # type: ignore[no-any-return]

    def get_pk_constraint(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        """``{"constrained_columns": [...], "name": ...}``."""
        return self._table_query("get_pk_constraint", table_name, schema)  # type: ignore[no-any-return]

    def get_foreign_keys(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """One dict per foreign key: ``name``, ``constrained_columns``, ``referred_schema``,
        ``referred_table``, ``referred_columns`` and ``options`` (``onupdate``,
        ``ondelete``, ``deferrable``, ``initially`` where set)."""
        return self._table_query("get_foreign_keys", table_name, schema)  # type: ignore[no-any-return]

    def get_indexes(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Indexes created with CREATE INDEX (not those behind a primary key or unique
        constraint): ``name``, ``column_names`` (None for an expression),
        ``expressions``, ``unique`` and ``dialect_options`` (``<dialect>_where``)."""
        return self._table_query("get_indexes", table_name, schema)  # type: ignore[no-any-return]

    def get_unique_constraints(
        self, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """``name`` and ``column_names`` of each UNIQUE constraint."""
        return self._table_query("get_unique_constraints", table_name, schema)  # type: ignore[no-any-return]

    def get_check_constraints(
        self, table_name: str, schema: str | None = None
    ) -> list[dict[str, Any]]:
        """``name`` and ``sqltext`` (the condition without CHECK and its parentheses)."""
        return self._table_query("get_check_constraints", table_name, schema)  # type: ignore[no-any-return]

    def get_table_comment(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        """``{"text": comment or None}`` (always None on SQLite, which has no comments)."""
        return self._table_query("get_table_comment", table_name, schema)  # type: ignore[no-any-return]

    def get_sequence_names(self, schema: str | None = None) -> list[str]:
        """Sequences in ``schema`` (PostgreSQL; SQLite has none and returns [])."""
        with self._connection() as conn:
            return self._catalog.get_sequence_names(conn, schema)

    def get_enums(self, schema: str | None = None) -> list[dict[str, Any]]:
        """PostgreSQL enum types: ``name``, ``schema``, ``visible``, ``labels`` (in
        order). SQLite has no enum types and returns []. ``schema="*"`` lists all."""
        with self._connection() as conn:
            return self._catalog.get_enums(conn, schema)

    def __repr__(self) -> str:
        return f"<Inspector {self.dialect.name}>"


def reflect_table(
    inspector: Inspector,
    table: Table,
    *,
    include_columns: Collection[str] | None = None,
    resolve_fks: bool = True,
) -> None:
    """Fill ``table`` (already named and in its MetaData) from the database: columns
    not given explicitly, primary key, foreign keys (and, with ``resolve_fks``, the tables
    they refer to), unique constraints and plain-column indexes."""
    from ..schema import Column, ForeignKey, ForeignKeyConstraint, Index, Table, UniqueConstraint
    from ..sql.elements import text

    name = table.name
    if not inspector.has_table(name):
        raise exc.NoSuchTableError(name)
    pk = set(inspector.get_pk_constraint(name)["constrained_columns"])
    fks = inspector.get_foreign_keys(name)
    single_fks = {
        fk["constrained_columns"][0]: fk for fk in fks if len(fk["constrained_columns"]) == 1
    }
    for info in inspector.get_columns(name):
        col_name = info["name"]
        if col_name in table.c or (include_columns is not None and col_name not in include_columns):
            continue
        args: list[Any] = [col_name, info["type"]]
        fk = single_fks.get(col_name)
        if fk is not None:
            args.append(
                ForeignKey(
                    f"{fk['referred_table']}.{fk['referred_columns'][0]}",
                    name=fk["name"],
                    **{k: v for k, v in fk["options"].items() if k in ("ondelete", "onupdate")},
                )
            )
        table.append(
            Column(
                *args,
                primary_key=col_name in pk,
                nullable=info["nullable"],
                server_default=text(info["default"]) if info["default"] is not None else None,
                autoincrement=info["autoincrement"] if col_name in pk else "auto",
            )
        )
    for fk in fks:
        if len(fk["constrained_columns"]) > 1:
            referred = fk["referred_table"]
            table.append(
                ForeignKeyConstraint(
                    fk["constrained_columns"],
                    [f"{referred}.{c}" for c in fk["referred_columns"]],
                    name=fk["name"],
                    ondelete=fk["options"].get("ondelete"),
                )
            )
        referred = fk["referred_table"]
        if resolve_fks and referred != name and referred not in table.metadata.tables:
            reflect_table(inspector, Table(referred, table.metadata), resolve_fks=True)
    for uc in inspector.get_unique_constraints(name):
        table.append(UniqueConstraint(*uc["column_names"], name=uc["name"]))
    for ix in inspector.get_indexes(name):
        if None in ix["column_names"] or ix["dialect_options"]:
            log.warning(
                "skipped index %r of table %r: expression and partial indexes are not "
                "reflected into Table objects yet",
                ix["name"],
                name,
            )
            continue
        table.append(Index(ix["name"], *ix["column_names"], unique=ix["unique"]))
