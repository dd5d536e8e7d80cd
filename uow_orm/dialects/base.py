"""The dialect interface: paramstyle, quoting, capabilities, transaction SQL, error wrapping.

Used by the engine (connect, transactions, errors), the SQL compiler (placeholders,
quoting) and types (per-dialect conversions). A dialect holds no connection state.

Called by: uow_orm._typebase (fills in ``type_instance``), uow_orm.dialects,
uow_orm.dialects.postgresql_dialect, uow_orm.dialects.postgresql_types (quoted_name),
uow_orm.dialects.sqlite_dialect, uow_orm.engine.*, uow_orm.migrate.*, uow_orm.sql.*.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar

from .. import exc
from .._typing import ConnectURL, DBAPIConnection, DBAPICursor, DBAPIParams, DBAPIRow


def _types_not_imported(typeobj: Any) -> Any:
    raise exc.InvalidRequestError("uow_orm._typebase is not imported")  # pragma: no cover


#: A type instance from a type class or instance: ``uow_orm._typebase.to_instance``, which
#: that module fills in when it is imported (the type system sits above the dialects).
type_instance: Callable[[Any], Any] = _types_not_imported

_SIMPLE_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

# Words that must be quoted to be used as identifiers (a superset of both backends' lists).
RESERVED_WORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user
    default deferrable desc distinct do else end except false fetch for foreign freeze from
    full grant group having ilike in initially inner intersect into is isnull join lateral
    leading left like limit localtime localtimestamp natural not notnull null offset on only
    or order outer overlaps placing primary references returning right select session_user
    similar some symmetric system_user table tablesample then to trailing true union unique
    user using variadic verbose when where window with abort action add after alter attach
    autoincrement before begin between by cascade conflict database deferred delete detach
    drop each escape exclusive exists explain fail glob if ignore immediate index indexed
    insert instead key match no nothing notnull of plan pragma query raise recursive regexp
    reindex release rename replace restrict row rows rollback savepoint set temp temporary
    transaction trigger update vacuum values view virtual without
    """.split()
)

_ERROR_CLASSES: Sequence[tuple[str, type[exc.DBAPIError]]] = (
    ("IntegrityError", exc.IntegrityError),
    ("DataError", exc.DataError),
    ("OperationalError", exc.OperationalError),
    ("ProgrammingError", exc.ProgrammingError),
    ("NotSupportedError", exc.NotSupportedError),
    ("InternalError", exc.InternalError),
    ("DatabaseError", exc.DatabaseError),
    ("InterfaceError", exc.InterfaceError),
    ("Error", exc.DBAPIError),
)


MISSING_TABLE_HINT = (
    "; the table does not exist in this database: create the tables with "
    "Base.metadata.create_all(engine), or apply the migrations with "
    "`python -m uow_orm.migrate upgrade`"
)


class quoted_name(str):
    """An identifier with its quoting decided: ``quoted_name("Order", quote=True)`` is
    always quoted, ``quote=False`` never (the name is written as given, e.g. an
    upper-case name the database folds itself); ``quote=None`` quotes as a plain name.
    It is a `str` equal to the plain name; its ``quote`` attribute is read by the
    dialects' identifier quoting, in DDL, SELECT and DML alike.
    """

    quote: bool | None

    def __new__(cls, value: str, quote: bool | None = None) -> quoted_name:
        if quote is None and isinstance(value, quoted_name):
            return value
        self = super().__new__(cls, value)
        self.quote = quote
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return quoted_name, (str(self), self.quote)

    def __repr__(self) -> str:
        return f"quoted_name({str(self)!r}, quote={self.quote!r})"


def _missing_table(
    cls: type[exc.DBAPIError], message: str, err: BaseException, code: str | None
) -> tuple[type[exc.DBAPIError], str]:
    """A missing table is a ProgrammingError on every backend (PEP 249's class for it;
    sqlite3 calls it OperationalError), and its message says how to create the table."""
    if code == "42P01" or str(err).startswith("no such table"):
        return exc.ProgrammingError, message + MISSING_TABLE_HINT
    return cls, message


class Dialect:
    """Behaviour one backend needs; subclasses fill in the driver-specific parts."""

    name: ClassVar[str] = "base"
    driver: ClassVar[str] = ""
    placeholder: ClassVar[str] = "?"
    paramstyle: ClassVar[str] = "qmark"
    supports_returning: ClassVar[bool] = True
    #: Largest number of bound parameters one statement may carry.
    max_bind_params: ClassVar[int] = 32766
    #: Whether one multi-row INSERT ... RETURNING gives keys that can be matched to rows.
    multirow_returning_ordered: ClassVar[bool] = False
    supports_twophase: ClassVar[bool] = False
    supports_for_update: ClassVar[bool] = False
    #: ``yield_per`` reads through a named (server-side) cursor
    server_side_cursors: ClassVar[bool] = False
    supports_ilike: ClassVar[bool] = False
    #: Whether ``FULL OUTER JOIN`` is understood (SQLite only from 3.39).
    supports_full_outer_join: ClassVar[bool] = True
    #: The backend's version as text, for messages ("3.40.1"); "" when unknown.
    server_version: ClassVar[str] = ""
    dbapi: Any = None
    #: ``execution_options(schema_translate_map=...)``: the schema each table's own schema
    #: is rendered as (None keys: tables with no schema); None on the engine's dialect
    schema_translate_map: Mapping[str | None, str | None] | None = None

    def __init__(self, dbapi: Any) -> None:
        self.dbapi = dbapi
        #: What compiled-statement caches key on: the name, plus the schema translate
        #: map on a `translated` copy (its SQL differs)
        self.cache_key: Hashable = self.name
        self._translated: dict[tuple[tuple[str | None, str | None], ...], Dialect] = {}
        #: the engine's dialect a `translated` copy was made from
        self._base: Dialect | None = None
        self._quote_cache: dict[str, str] = {}
        self._error_map = [
            (getattr(dbapi, dbapi_name), ours)
            for dbapi_name, ours in _ERROR_CLASSES
            if hasattr(dbapi, dbapi_name)
        ]

    def translated(self, schema_map: Mapping[str | None, str | None] | None) -> Dialect:
        """This dialect rendering each table's schema through ``schema_map`` (SQLAlchemy's
        ``schema_translate_map``); this dialect itself for an empty or no map.

        One copy per distinct map (the statement caches key on `cache_key`, which holds
        the map, so a statement compiled for one map is never reused for another).
        """
        base = self._base or self
        if not schema_map:
            return base
        key = tuple(sorted(schema_map.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")))
        hit = base._translated.get(key)
        if hit is None:
            hit = copy.copy(base)
            hit.schema_translate_map = dict(key)
            hit.cache_key = (base.name, key)
            hit._translated = {}
            hit._base = base
            base._translated[key] = hit
        return hit

    def schema_for(self, schema: str | None) -> str | None:
        """The schema a table of schema ``schema`` is in for this dialect's statements."""
        m = self.schema_translate_map
        if m is None or schema not in m:
            return schema
        return m[schema]

    # -- identifiers -------------------------------------------------------------------
    def quote(self, name: str) -> str:
        """Quote an identifier when it needs it (always safe for any name); a
        `quoted_name` whose ``quote`` is True is always quoted, False never."""
        q = self._quote_cache.get(name)
        if q is None or name.__class__ is not str:
            force = getattr(name, "quote", None)  # (a quoted_name equals its plain str)
            if force is False or (
                force is None and _SIMPLE_IDENT.match(name) and name not in RESERVED_WORDS
            ):
                q = str(name)
            else:
                q = '"' + name.replace('"', '""') + '"'
            if self.paramstyle == "format":
                q = q.replace("%", "%%")
            if force is None:
                self._quote_cache[str(name)] = q
        return q

    # -- connections -------------------------------------------------------------------
    def connect(self, url: ConnectURL, connect_args: dict[str, Any]) -> DBAPIConnection:
        """A new DBAPI connection for ``url`` with ``connect_args`` (the driver's own keywords),
        in the driver's autocommit mode: uow_orm sends BEGIN itself.

        Raises:
            OperationalError: (or another `DBAPIError` subclass) when the driver cannot connect.
        """
        raise NotImplementedError

    def engine_options_from_connect_args(self, connect_args: dict[str, Any]) -> dict[str, Any]:
        """Remove driver arguments that uow_orm handles itself from ``connect_args``; the
        execution options they stand for."""
        return {}

    def on_connect(self, dbapi_conn: DBAPIConnection) -> None:
        """Prepare a fresh DBAPI connection (pragmas, settings)."""

    def ping(self, dbapi_conn: DBAPIConnection) -> bool:
        """True when ``SELECT 1`` succeeds on ``dbapi_conn`` (the pool's ``pool_pre_ping``)."""
        try:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT 1")
            cur.fetchall()
            cur.close()
        except Exception:
            return False
        return True

    def in_transaction(self, dbapi_conn: DBAPIConnection) -> bool:
        """True when ``dbapi_conn`` has a transaction open."""
        raise NotImplementedError

    def reset(self, dbapi_conn: DBAPIConnection) -> None:
        """Roll back whatever a returned connection left open."""
        if self.in_transaction(dbapi_conn):
            self._run(dbapi_conn, "ROLLBACK")

    def close(self, dbapi_conn: DBAPIConnection) -> None:
        """Close ``dbapi_conn``, ignoring errors (it may already be gone)."""
        try:
            dbapi_conn.close()
        except Exception:
            pass

    def _run(self, dbapi_conn: DBAPIConnection, sql: str) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute(sql)
        finally:
            cur.close()

    def executemany_returning(
        self, cursor: DBAPICursor, sql: str, params: Sequence[DBAPIParams]
    ) -> list[DBAPIRow]:
        """Run ``sql`` (an INSERT ... RETURNING) once per parameter set; the returned row of each,
        in parameter order.
        """
        rows = []
        for p in params:
            cursor.execute(sql, p)
            rows.append(cursor.fetchone())
        return rows

    # -- transaction SQL ---------------------------------------------------------------
    def begin_sql(self) -> str:
        """The statement that begins a transaction."""
        return "BEGIN"

    # -- isolation levels and begin modes (execution options) ----------------------------
    #: The values ``isolation_level`` accepts on this backend ("AUTOCOMMIT" included).
    isolation_levels: ClassVar[tuple[str, ...]] = ("AUTOCOMMIT",)

    def normalize_isolation_level(self, level: Any) -> str:
        """``level`` in canonical spelling (upper case, spaces); ArgumentError if unknown."""
        norm = level.upper().replace("_", " ").strip() if isinstance(level, str) else None
        if norm not in self.isolation_levels:
            raise exc.ArgumentError(
                f"invalid value {level!r} for isolation_level; valid isolation levels for "
                f"{self.name!r} are {', '.join(self.isolation_levels)}"
            )
        return norm

    def normalize_begin_mode(self, mode: Any) -> str:
        """Check the ``sqlite_begin`` execution option (only the SQLite dialect has it)."""
        raise exc.ArgumentError(
            f"the execution option 'sqlite_begin' is for SQLite engines; this is a "
            f"{self.name} engine (use isolation_level to choose how transactions isolate)"
        )

    def begin_statement(self, isolation_level: str | None, begin_mode: str | None) -> str:
        """The statement that begins a transaction at this isolation level / begin mode."""
        return "BEGIN"

    def isolation_setup_sql(self, isolation_level: str | None) -> str | None:
        """Statement that sets a per-connection isolation setting (None: nothing needed)."""
        return None

    def isolation_reset_sql(self) -> str:
        """Statement that undoes `isolation_setup_sql` when the connection is returned."""
        raise NotImplementedError

    def default_isolation_level(self, dbapi_conn: DBAPIConnection) -> str:
        """The isolation level the database gives a transaction on this connection when
        uow_orm asks for none."""
        raise NotImplementedError

    def savepoint_sql(self, name: str) -> str:
        """``SAVEPOINT name``."""
        return f"SAVEPOINT {self.quote(name)}"

    def release_sql(self, name: str) -> str:
        """``RELEASE SAVEPOINT name``."""
        return f"RELEASE SAVEPOINT {self.quote(name)}"

    def rollback_to_sql(self, name: str) -> str:
        """``ROLLBACK TO SAVEPOINT name``."""
        return f"ROLLBACK TO SAVEPOINT {self.quote(name)}"

    def prepare_twophase_sql(self, xid: str) -> str:
        """``PREPARE TRANSACTION xid`` where the backend has two-phase commit.

        Raises:
            NotSupportedError: on a backend without it (this base class, SQLite).
        """
        raise exc.NotSupportedError(
            f"the {self.name} dialect does not support two-phase commit; "
            "use PostgreSQL or set twophase=False"
        )

    def commit_twophase_sql(self, xid: str) -> str:
        """``COMMIT PREPARED xid`` (raises as `prepare_twophase_sql` does where unsupported)."""
        return self.prepare_twophase_sql(xid)

    def rollback_twophase_sql(self, xid: str) -> str:
        """``ROLLBACK PREPARED xid`` (raises as `prepare_twophase_sql` does where unsupported)."""
        return self.prepare_twophase_sql(xid)

    # -- errors ------------------------------------------------------------------------
    def error_code(self, err: BaseException) -> str | None:
        """The driver's error code for ``err`` (PostgreSQL's SQLSTATE, SQLite's error name), or
        None.
        """
        return None

    def is_disconnect(self, err: BaseException, dbapi_conn: DBAPIConnection | None) -> bool:
        """Whether ``err`` means the connection is gone, so the pool must not reuse it."""
        return False

    def wrap_error(
        self, err: BaseException, statement: str | None, params: Any
    ) -> exc.DBAPIError | None:
        """Translate a driver exception into the uow_orm tree; None if it is not one."""
        for dbapi_cls, ours in self._error_map:
            if isinstance(err, dbapi_cls):
                cls = ours
                break
        else:
            if isinstance(err, (OverflowError, UnicodeError, ValueError)):
                cls = exc.DataError
            else:
                return None
        code = self.error_code(err)
        label = f"{type(err).__module__}.{type(err).__name__}"
        message = f"({label}) {err}"
        if code:
            message = f"({label}) [{code}] {err}"
        cls, message = _missing_table(cls, message, err, code)
        return cls(message, statement, params, err, code)

    # -- types -------------------------------------------------------------------------
    def type_descriptor(self, typeobj: Any) -> Any:
        """The type to use on this dialect for ``typeobj`` (a type class or instance);
        what ``TypeDecorator.load_dialect_impl`` returns."""
        return type_instance(typeobj)

    # -- introspection -----------------------------------------------------------------
    def has_table_sql(self) -> str:
        """A query with one parameter, the table name, that returns a row when the table exists."""
        raise NotImplementedError

    def table_names_sql(self) -> str:
        """A query for the names of the tables of the default schema, sorted."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}+{self.driver}>"
