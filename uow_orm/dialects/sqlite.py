"""The SQLite dialect over the standard library's ``sqlite3``.

Connections run in autocommit mode (``isolation_level=None``) so that uow_orm emits
BEGIN / SAVEPOINT / RELEASE / ROLLBACK itself: the driver's implicit transactions would
otherwise let a released SAVEPOINT survive an outer rollback.
"""

from __future__ import annotations

import sqlite3
from typing import Any, ClassVar

from .base import Dialect


class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    driver: ClassVar[str] = "pysqlite"
    placeholder: ClassVar[str] = "?"
    paramstyle: ClassVar[str] = "qmark"
    supports_returning: ClassVar[bool] = sqlite3.sqlite_version_info >= (3, 35)
    max_bind_params: ClassVar[int] = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
    # A new rowid is larger than every rowid before it (until the largest possible rowid is
    # used), so the keys of one multi-row INSERT sorted ascending follow the VALUES order.
    multirow_returning_ordered: ClassVar[bool] = supports_returning

    def __init__(self) -> None:
        super().__init__(sqlite3)

    def database_path(self, url: Any) -> str:
        return url.database or ":memory:"

    def is_memory(self, url: Any) -> bool:
        db = url.database
        return not db or db == ":memory:" or "mode=memory" in db

    def connect(self, url: Any, connect_args: dict[str, Any]) -> Any:
        args: dict[str, Any] = {"check_same_thread": False, "timeout": 5.0}
        args.update(connect_args)
        args["isolation_level"] = None
        path = self.database_path(url)
        if path.startswith("file:"):
            args.setdefault("uri", True)
        try:
            conn = sqlite3.connect(path, **args)
        except sqlite3.Error as e:
            wrapped = self.wrap_error(e, None, None)
            assert wrapped is not None
            raise wrapped from e
        return conn

    def on_connect(self, dbapi_conn: Any) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    def in_transaction(self, dbapi_conn: Any) -> bool:
        return bool(dbapi_conn.in_transaction)

    def ping(self, dbapi_conn: Any) -> bool:
        try:
            dbapi_conn.execute("SELECT 1").fetchall()
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


dialect_class = SQLiteDialect

# The SQLite type vocabulary (``from uow_orm.dialects.sqlite import DATETIME``).
from .sqlite_types import *  # noqa: E402, F403
from .sqlite_types import __all__ as _type_names  # noqa: E402

__all__ = ["SQLiteDialect", "dialect_class", *_type_names]
