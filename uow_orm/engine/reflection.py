"""Schema reflection: what tables, columns, keys and indexes a live database holds.

Called by users through ``inspect(engine)`` / ``inspect(connection)`` and by
``MetaData.reflect()`` / ``Table(..., autoload_with=...)``. The catalog queries of each
backend live in ``dialects/<name>_catalog.py``; this module only routes and caches.

Called by: uow_orm.engine, uow_orm.migrate.*, uow_orm.orm, uow_orm.ext.declarative
(DeferredReflection) (and ``Table(autoload_with=...)``
/ ``MetaData.reflect()`` through ``sql.schema.upper_layers``, which it fills in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .. import exc
from ..event import Dispatcher, dispatcher_class, register_resolver
from ..sql.schema import upper_layers

if TYPE_CHECKING:
    from ..dialects.catalog import Catalog
    from ..sql.schema import MetaData, Table
    from .base import Connection, Engine

log = logging.getLogger("uow_orm.engine")

#: SQLAlchemy's DDLEvents: the reflection event (listeners may change the dict) and the
#: create / drop events of ``create_all`` / ``drop_all`` (a Table's, or the MetaData's)
_SCHEMA_SIGNATURES = {
    "column_reflect": ("inspector", "table", "column_info"),
    "before_create": ("target", "connection"),
    "after_create": ("target", "connection"),
    "before_drop": ("target", "connection"),
    "after_drop": ("target", "connection"),
}
SchemaDispatch = dispatcher_class("SchemaDispatch", _SCHEMA_SIGNATURES)
#: listeners for every table (on the Table or MetaData class)
_CLASS_DISPATCH: dict[str, Dispatcher] = {}


def _instance_dispatch(target: Any) -> Dispatcher:
    d: Dispatcher | None = target.__dict__.get("_schema_dispatch")
    if d is None:
        d = target.__dict__["_schema_dispatch"] = SchemaDispatch(repr(target))
    return d


def _resolve_schema_target(target: Any, identifier: str) -> Dispatcher | None:
    from ..sql.schema import MetaData, Table

    kinds = (Table, MetaData)
    if isinstance(target, type):
        if issubclass(target, kinds):
            name = next(k.__name__ for k in kinds if issubclass(target, k))
            if name not in _CLASS_DISPATCH:
                _CLASS_DISPATCH[name] = SchemaDispatch(f"the {name} class")
            return _CLASS_DISPATCH[name]
        return None
    if isinstance(target, kinds):
        return _instance_dispatch(target)
    return None


register_resolver(_resolve_schema_target)


def _fire_column_reflect(inspector: Inspector, table: Table, info: dict[str, Any]) -> None:
    """Run the ``column_reflect`` listeners (on the classes first, then the table's
    MetaData's and the table's own) on one reflected column's dict."""
    hosts = [*_CLASS_DISPATCH.values(), table.metadata, table]
    for host in hosts:
        d = host if isinstance(host, Dispatcher) else host.__dict__.get("_schema_dispatch")
        if d is not None:
            for fn in d.column_reflect:
                fn(inspector, table, info)


def fire_ddl_event(name: str, target: Any, connection: Connection) -> None:
    """Run the ``before_create`` / ``after_create`` / ``before_drop`` / ``after_drop``
    listeners of ``target`` (a Table or a MetaData), those on its class first, with
    ``(target, connection)`` (called by ``create_all`` / ``drop_all``)."""
    from ..sql.schema import MetaData

    kind = "MetaData" if isinstance(target, MetaData) else "Table"
    for d in (_CLASS_DISPATCH.get(kind), target.__dict__.get("_schema_dispatch")):
        if d is not None:
            for fn in getattr(d, name):
                fn(target, connection)


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

    def reflect_table(
        self,
        table: Table,
        include_columns: Collection[str] | None,
        exclude_columns: Collection[str] = (),
        resolve_fks: bool = True,
    ) -> None:
        """Fill ``table`` (a ``Table`` named and in its MetaData) from the database, as
        ``Table(..., autoload_with=...)`` does: the columns it lacks (those of
        ``include_columns`` when given, none of ``exclude_columns``), then its keys,
        constraints and indexes (and, with ``resolve_fks``, the tables its keys refer to).

        Raises:
            NoSuchTableError: the database has no such table.
        """
        reflect_table_columns(
            self, table, include_columns=include_columns, exclude_columns=exclude_columns
        )
        reflect_table_constraints(self, table, resolve_fks=resolve_fks)

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
    not given explicitly (with their comments), primary key, foreign keys with their
    actions (and, with ``resolve_fks``, the tables they refer to, in their schemas),
    unique and CHECK constraints, plain-column indexes and the table comment. The table's
    ``schema`` (a PostgreSQL schema or an attached SQLite database) is where it is read."""
    reflect_table_columns(inspector, table, include_columns=include_columns)
    reflect_table_constraints(inspector, table, resolve_fks=resolve_fks)


def reflect_table_columns(
    inspector: Inspector,
    table: Table,
    *,
    include_columns: Collection[str] | None = None,
    exclude_columns: Collection[str] = (),
) -> None:
    """The first half of `reflect_table`: the columns ``table`` does not have (nor
    ``exclude_columns`` names), with their primary key flags and single-column foreign
    keys (DeferredReflection adds the class's own columns before the second half).

    Raises:
        NoSuchTableError: the database has no such table.
    """
    name, schema = table.name, table.schema
    if not inspector.has_table(name, schema):
        raise exc.NoSuchTableError(table.fullname)
    fks = inspector.get_foreign_keys(name, schema)
    _reflect_columns(inspector, table, fks, include_columns, exclude_columns)


def reflect_table_constraints(inspector: Inspector, table: Table, *, resolve_fks: bool) -> None:
    """The second half of `reflect_table`: composite foreign keys (and, with
    ``resolve_fks``, the tables keys refer to), unique and CHECK constraints, indexes and
    the comment, naming the table's columns by their keys."""
    fks = inspector.get_foreign_keys(table.name, table.schema)
    keys = {c.name: c.key for c in table.c}
    _reflect_foreign_keys(inspector, table, fks, resolve_fks, keys)
    _reflect_constraints_and_indexes(inspector, table, keys)


def _referred(fk: dict[str, Any]) -> str:
    """``schema.table`` (or ``table``) of a reflected key's target, as MetaData keys it."""
    target_schema = fk["referred_schema"]
    return f"{target_schema}.{fk['referred_table']}" if target_schema else fk["referred_table"]


def _fk_actions(fk: dict[str, Any]) -> dict[str, Any]:
    """The ``ForeignKey`` keywords of a reflected key's options."""
    return {
        k: v
        for k, v in fk["options"].items()
        if k in ("ondelete", "onupdate", "deferrable", "initially")
    }


def _reflect_columns(
    inspector: Inspector,
    table: Table,
    fks: list[dict[str, Any]],
    include_columns: Collection[str] | None,
    exclude_columns: Collection[str] = (),
) -> None:
    """The columns the table does not have yet, with their single-column foreign keys,
    after the ``column_reflect`` listeners changed their dicts (a listener may rename a
    column or give it another key)."""
    from ..sql.elements import text
    from ..sql.schema import Column, ForeignKey

    name, schema = table.name, table.schema
    pk = set(inspector.get_pk_constraint(name, schema)["constrained_columns"])
    single_fks = {
        fk["constrained_columns"][0]: fk for fk in fks if len(fk["constrained_columns"]) == 1
    }
    existing = {c.name for c in table.c} | set(exclude_columns)
    for info in inspector.get_columns(name, schema):
        orig_name = info["name"]
        _fire_column_reflect(inspector, table, info)
        col_name = info["name"]  # a listener may rename it
        if orig_name in existing or (
            include_columns is not None and col_name not in include_columns
        ):
            continue
        unknown = set(info) - _COLUMN_INFO_KEYS
        if unknown:
            raise exc.ArgumentError(
                f"reflected column {table.fullname}.{orig_name}: column_info key(s) "
                f"{', '.join(sorted(unknown))} are not supported; a column_reflect listener "
                f"may set {', '.join(sorted(_COLUMN_INFO_KEYS))}"
            )
        args: list[Any] = [col_name, info["type"]]
        fk = single_fks.get(orig_name)
        if fk is not None:
            args.append(
                ForeignKey(
                    f"{_referred(fk)}.{fk['referred_columns'][0]}",
                    name=_as_given(fk["name"]),
                    **_fk_actions(fk),
                )
            )
        default = info.get("default")
        col = Column(
            *args,
            primary_key=orig_name in pk,
            nullable=info.get("nullable", True),
            server_default=text(default) if default is not None else None,
            autoincrement=info.get("autoincrement", "auto") if orig_name in pk else "auto",
            comment=info.get("comment"),
            key=info.get("key"),
            info=info.get("info"),
        )
        table.append(col)


#: what a reflected column dict may hold (``get_columns`` keys, and what SQLAlchemy's
#: reflection reads from a column_reflect listener's changes)
_COLUMN_INFO_KEYS = frozenset(
    {
        "name",
        "type",
        "nullable",
        "default",
        "autoincrement",
        "comment",
        "key",
        "info",
        "primary_key",
        "computed",
        "identity",
    }
)


def _as_given(name: str | None) -> str | None:
    """A reflected constraint name, kept as the database has it (no naming convention)."""
    from ..sql.naming import conv

    return conv(name) if name else None


def _reflect_foreign_keys(
    inspector: Inspector,
    table: Table,
    fks: list[dict[str, Any]],
    resolve_fks: bool,
    keys: dict[str, str],
) -> None:
    """The multi-column foreign keys, and (``resolve_fks``) the tables the keys refer to."""
    from ..sql.schema import ForeignKeyConstraint, Table

    for fk in fks:
        target = _referred(fk)
        if len(fk["constrained_columns"]) > 1 and all(c in keys for c in fk["constrained_columns"]):
            table.append(
                ForeignKeyConstraint(
                    [keys.get(c, c) for c in fk["constrained_columns"]],
                    [f"{target}.{c}" for c in fk["referred_columns"]],
                    name=_as_given(fk["name"]),
                    **_fk_actions(fk),
                )
            )
        if resolve_fks and target != table.fullname and target not in table.metadata.tables:
            reflect_table(
                inspector,
                Table(fk["referred_table"], table.metadata, schema=fk["referred_schema"]),
                resolve_fks=True,
            )


def _reflect_constraints_and_indexes(
    inspector: Inspector, table: Table, keys: dict[str, str]
) -> None:
    """Unique and CHECK constraints, the table comment and the plain-column indexes (a
    constraint or index over a column left out, by ``include_columns`` or
    ``exclude_columns``, is left out too, as in SQLAlchemy)."""
    from ..sql.elements import text
    from ..sql.schema import CheckConstraint, Index, UniqueConstraint

    name, schema = table.name, table.schema
    for uc in inspector.get_unique_constraints(name, schema):
        if not all(c in keys for c in uc["column_names"]):
            continue
        cols = [keys.get(c, c) for c in uc["column_names"]]
        table.append(UniqueConstraint(*cols, name=_as_given(uc["name"])))
    for ck in inspector.get_check_constraints(name, schema):
        table.append(CheckConstraint(text(ck["sqltext"]), name=_as_given(ck["name"])))
    if table.comment is None:
        table.comment = inspector.get_table_comment(name, schema)["text"]
    for ix in inspector.get_indexes(name, schema):
        if None in ix["column_names"] or ix["dialect_options"]:
            log.warning(
                "skipped index %r of table %r: expression and partial indexes are not "
                "reflected into Table objects yet",
                ix["name"],
                table.fullname,
            )
            continue
        if not all(c in keys for c in ix["column_names"]):
            continue
        cols = [keys.get(c, c) for c in ix["column_names"]]
        table.append(Index(_as_given(ix["name"]), *cols, unique=ix["unique"]))


def reflect_metadata(
    metadata: MetaData,
    bind: Engine | Connection,
    *,
    schema: str | None,
    views: bool,
    only: Sequence[str] | Callable[[str, MetaData], bool] | None,
    resolve_fks: bool,
) -> None:
    """``MetaData.reflect``: a Table for each table (and, with ``views``, view) of
    ``schema`` (default: the MetaData's own schema, else the connection's default) that
    the MetaData does not hold yet. Tables of a named schema get ``Table.schema`` set and
    are keyed ``"schema.name"``. Raises `exc.InvalidRequestError` for a name in ``only``
    that the database does not have."""
    from ..sql.schema import Table

    if schema is None:
        schema = metadata.schema
    inspector = Inspector(bind)
    available = inspector.get_table_names(schema)
    if views:
        available += inspector.get_view_names(schema)
    if only is None:
        wanted = available
    elif callable(only):
        wanted = [n for n in available if only(n, metadata)]
    else:
        missing = [n for n in only if n not in available]
        if missing:
            where = f" (schema {schema!r})" if schema else ""
            raise exc.InvalidRequestError(
                f"could not reflect: requested table(s) not available in the database"
                f"{where}: {', '.join(missing)}"
            )
        wanted = list(only)
    for name in wanted:
        key = f"{schema}.{name}" if schema else name
        if key not in metadata.tables:
            reflect_table(inspector, Table(name, metadata, schema=schema), resolve_fks=resolve_fks)


def autoload(
    table: Table,
    bind: Engine | Connection,
    include_columns: Collection[str] | None,
    resolve_fks: bool,
) -> None:
    """``Table(..., autoload_with=bind)``: fill ``table`` from the database."""
    reflect_table(Inspector(bind), table, include_columns=include_columns, resolve_fks=resolve_fks)


# Table(autoload_with=...) and MetaData.reflect() call these through the schema module
# (which is below).
upper_layers.autoload = autoload
upper_layers.reflect = reflect_metadata
upper_layers.fire_ddl_event = fire_ddl_event
