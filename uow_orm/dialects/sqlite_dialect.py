"""The SQLite dialect over the standard library's ``sqlite3``.

Connections run in autocommit mode (``isolation_level=None``) so that uow_orm emits
BEGIN / SAVEPOINT / RELEASE / ROLLBACK itself: the driver's implicit transactions would
otherwise let a released SAVEPOINT survive an outer rollback.

Called by: uow_orm._typebase, uow_orm.engine.create, uow_orm.sql.compiler,
uow_orm.dialects.sqlite, uow_orm.dialects.sqlite.* (the public namespaces, which re-export
it).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, ClassVar, cast

from .. import exc
from .._typing import ConnectURL, DBAPIConnection
from .base import Dialect

_BEGIN_MODES = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")

LOCKED_HINT = (
    "; another connection holds the lock this statement needed. If the transaction read "
    "before it wrote, SQLite cannot wait for the write lock (waiting could deadlock) and "
    "fails at once: begin write transactions with BEGIN IMMEDIATE, for the engine with "
    "create_engine(url, execution_options={'sqlite_begin': 'IMMEDIATE'}) or for one "
    "connection with conn.execution_options(sqlite_begin='IMMEDIATE'), then retry the "
    "transaction. Otherwise the lock was held longer than the busy timeout: raise it with "
    "connect_args={'timeout': seconds} (default 5) and keep write transactions short"
)


class SQLiteDialect(Dialect):
    """SQLite through the standard library's ``sqlite3``: ``qmark`` parameters, BEGIN sent by
    uow_orm, ``RETURNING`` from SQLite 3.35, ``FULL OUTER JOIN`` from 3.39.
    """

    name: ClassVar[str] = "sqlite"
    driver: ClassVar[str] = "pysqlite"
    placeholder: ClassVar[str] = "?"
    paramstyle: ClassVar[str] = "qmark"
    supports_returning: ClassVar[bool] = sqlite3.sqlite_version_info >= (3, 35)
    max_bind_params: ClassVar[int] = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
    # A new rowid is larger than every rowid before it (until the largest possible rowid is
    # used), so the keys of one multi-row INSERT sorted ascending follow the VALUES order.
    multirow_returning_ordered: ClassVar[bool] = supports_returning
    supports_full_outer_join: ClassVar[bool] = sqlite3.sqlite_version_info >= (3, 39)
    server_version: ClassVar[str] = sqlite3.sqlite_version

    def __init__(self) -> None:
        super().__init__(sqlite3)

    def database_path(self, url: ConnectURL) -> str:
        """The file the URL names (``":memory:"`` when it names none)."""
        return url.database or ":memory:"

    def is_memory(self, url: ConnectURL) -> bool:
        """True for an in-memory database (no file, ``:memory:`` or ``mode=memory``)."""
        db = url.database
        return not db or db == ":memory:" or "mode=memory" in db

    def connect(self, url: ConnectURL, connect_args: dict[str, Any]) -> DBAPIConnection:
        args: dict[str, Any] = {"check_same_thread": False, "timeout": 5.0}
        args.update(connect_args)
        args["isolation_level"] = None
        path = self.database_path(url)
        if path.startswith("file:"):
            args.setdefault("uri", True)
        try:
            conn: sqlite3.Connection = sqlite3.connect(path, **args)
        except sqlite3.Error as e:
            wrapped = self.wrap_error(e, None, None)
            assert wrapped is not None
            raise wrapped from e
        return conn

    def engine_options_from_connect_args(self, connect_args: dict[str, Any]) -> dict[str, Any]:
        """Take sqlite3's own ``isolation_level`` out of ``connect_args``.

        uow_orm emits BEGIN itself, so the driver's setting becomes the begin mode:
        ``"IMMEDIATE"`` or ``"EXCLUSIVE"`` give ``sqlite_begin``; ``None`` (the driver's
        autocommit, as in SQLAlchemy's pysqlite recipe) and ``""`` / ``"DEFERRED"`` keep
        plain BEGIN. Python 3.12's ``autocommit``: ``False`` is what uow_orm does anyway,
        ``True`` means the AUTOCOMMIT isolation level.
        """
        options: dict[str, Any] = {}
        if "autocommit" in connect_args:
            # Python 3.12's sqlite3 switch; uow_orm already gives PEP 249 transactions
            # (autocommit=False), and autocommit=True is the AUTOCOMMIT isolation level.
            auto = connect_args.pop("autocommit")
            if auto is True:
                options["isolation_level"] = "AUTOCOMMIT"
            elif auto is not False and auto != getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", -1):
                raise exc.ArgumentError(
                    f"invalid connect_args autocommit {auto!r} for sqlite3; use True or False"
                )
        if "isolation_level" not in connect_args:
            return options
        value = connect_args.pop("isolation_level")
        if value is None:
            return options
        mode = value.upper() if isinstance(value, str) else value
        if mode not in ("", *_BEGIN_MODES):
            raise exc.ArgumentError(
                f"invalid connect_args isolation_level {value!r} for sqlite3; use None, "
                f"'DEFERRED', 'IMMEDIATE' or 'EXCLUSIVE' (or the engine's own "
                "isolation_level argument for AUTOCOMMIT / READ UNCOMMITTED)"
            )
        options["sqlite_begin"] = mode or "DEFERRED"
        return options

    # -- isolation levels and begin modes -------------------------------------------------
    isolation_levels: ClassVar[tuple[str, ...]] = ("READ UNCOMMITTED", "SERIALIZABLE", "AUTOCOMMIT")

    def normalize_begin_mode(self, mode: Any) -> str:
        norm = mode.upper().strip() if isinstance(mode, str) else None
        if norm not in _BEGIN_MODES:
            raise exc.ArgumentError(
                f"invalid value {mode!r} for sqlite_begin; use one of {', '.join(_BEGIN_MODES)}"
            )
        return norm

    def begin_statement(self, isolation_level: str | None, begin_mode: str | None) -> str:
        if begin_mode is None or begin_mode == "DEFERRED":
            return "BEGIN"
        return f"BEGIN {begin_mode}"

    def isolation_setup_sql(self, isolation_level: str | None) -> str | None:
        if isolation_level == "READ UNCOMMITTED":
            return "PRAGMA read_uncommitted = 1"
        return None

    def isolation_reset_sql(self) -> str:
        return "PRAGMA read_uncommitted = 0"

    def default_isolation_level(self, dbapi_conn: DBAPIConnection) -> str:
        return "SERIALIZABLE"

    def wrap_error(
        self, err: BaseException, statement: str | None, params: Any
    ) -> exc.DBAPIError | None:
        """The base translation, with what to do about "database is locked" added."""
        wrapped = super().wrap_error(err, statement, params)
        if wrapped is not None:
            if _is_locked(err):
                wrapped.args = (f"{wrapped.args[0]}{LOCKED_HINT}", *wrapped.args[1:])
            elif "within a transaction" in str(err):
                wrapped.args = (f"{wrapped.args[0]}{AUTOCOMMIT_HINT}", *wrapped.args[1:])
        return wrapped

    def on_connect(self, dbapi_conn: DBAPIConnection) -> None:
        conn = _sqlite3(dbapi_conn)
        conn.execute("PRAGMA foreign_keys=ON")
        # SQLite parses "x REGEXP y" but ships no regexp(): Python's re stands in, so
        # regexp_match() / regexp_replace() work as on PostgreSQL
        conn.create_function("regexp", 2, _regexp, deterministic=True)
        conn.create_function("regexp_replace", 3, _regexp_replace, deterministic=True)
        conn.create_function("regexp_replace", 4, _regexp_replace, deterministic=True)

    def in_transaction(self, dbapi_conn: DBAPIConnection) -> bool:
        return _sqlite3(dbapi_conn).in_transaction

    def ping(self, dbapi_conn: DBAPIConnection) -> bool:
        try:
            _sqlite3(dbapi_conn).execute("SELECT 1").fetchall()
        except Exception:
            return False
        return True

    def error_code(self, err: BaseException) -> str | None:
        return getattr(err, "sqlite_errorname", None)

    def has_table_sql(self) -> str:
        return "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?"

    def table_names_sql(self) -> str:
        return (
            "SELECT name FROM sqlite_master WHERE type='table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )


def _sqlite3(dbapi_conn: DBAPIConnection) -> sqlite3.Connection:
    """The ``sqlite3`` connection behind the protocol (this dialect only makes those)."""
    return cast(sqlite3.Connection, dbapi_conn)


def _regexp(pattern: str | None, value: Any) -> bool | None:
    if pattern is None or value is None:
        return None
    return re.search(pattern, str(value)) is not None


def _regexp_replace(
    value: Any, pattern: str | None, replacement: str | None, flags: str = ""
) -> Any:
    if value is None or pattern is None or replacement is None:
        return None
    re_flags = re.IGNORECASE if "i" in flags else 0
    # PostgreSQL's \1 back-references are Python's too; without "g" only the first match
    return re.sub(pattern, replacement, str(value), count=0 if "g" in flags else 1, flags=re_flags)


AUTOCOMMIT_HINT = (
    "; run it on a connection in autocommit mode: "
    "conn.execution_options(isolation_level='AUTOCOMMIT') before its first statement"
)


def _is_locked(err: BaseException) -> bool:
    name = getattr(err, "sqlite_errorname", None) or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    return isinstance(err, sqlite3.OperationalError) and "database is locked" in str(err)


__all__ = ["SQLiteDialect"]
