"""The PostgreSQL dialect over psycopg 3.

Connections run in autocommit mode; uow_orm sends BEGIN / SAVEPOINT / COMMIT itself, so
the library, not the driver, owns the transaction SQL.

Called by: uow_orm._typebase, uow_orm.engine.create, uow_orm.dialects.postgresql (the
public namespace, which re-exports it), uow_orm.dialects.postgresql.base,
uow_orm.dialects.postgresql.psycopg, uow_orm.dialects.postgresql.psycopg2 (SQLAlchemy's
module names), uow_orm.sql.compiler (printing statements).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from .. import exc
from .._typing import ConnectURL, DBAPIConnection, DBAPICursor, DBAPIParams, DBAPIRow
from .base import Dialect

if TYPE_CHECKING:
    import psycopg


def _psycopg(dbapi_conn: DBAPIConnection) -> psycopg.Connection[Any]:
    """The ``psycopg`` connection behind the protocol (this dialect only makes those)."""
    return cast("psycopg.Connection[Any]", dbapi_conn)


# SQLSTATE classes that mean the connection is gone.
_DISCONNECT_STATES = frozenset({"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001"})


class PGDialect(Dialect):
    """PostgreSQL through psycopg 3: ``format`` parameters, two-phase commit, ``FOR UPDATE``,
    ``ILIKE``.

    Raises:
        ArgumentError: when psycopg is not installed (the message says how to install it).
    """

    name: ClassVar[str] = "postgresql"
    driver: ClassVar[str] = "psycopg"
    placeholder: ClassVar[str] = "%s"
    paramstyle: ClassVar[str] = "format"
    supports_returning: ClassVar[bool] = True
    max_bind_params: ClassVar[int] = 65535
    multirow_returning_ordered: ClassVar[bool] = False
    supports_twophase: ClassVar[bool] = True
    supports_for_update: ClassVar[bool] = True
    server_side_cursors: ClassVar[bool] = True
    supports_ilike: ClassVar[bool] = True

    def __init__(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise exc.ArgumentError(
                "the postgresql dialect needs psycopg 3, which is not installed; "
                "install it with: pip install 'psycopg[binary]>=3.2' (or, from a uow_orm "
                "checkout: pip install '.[postgresql]')"
            ) from None
        super().__init__(psycopg)
        self._idle = psycopg.pq.TransactionStatus.IDLE

    def connect(self, url: ConnectURL, connect_args: dict[str, Any]) -> DBAPIConnection:
        psycopg = self.dbapi
        kw: dict[str, Any] = {}
        if url.host:
            kw["host"] = url.host.strip("[]")
        if url.port:
            kw["port"] = url.port
        if url.username:
            kw["user"] = url.username
        if url.password is not None:
            kw["password"] = url.password
        if url.database:
            kw["dbname"] = url.database
        kw.update(url.query)
        kw.update(connect_args)
        kw["autocommit"] = True
        try:
            conn: DBAPIConnection = psycopg.connect(**kw)
            return conn
        except psycopg.Error as e:
            wrapped = self.wrap_error(e, None, None)
            assert wrapped is not None
            raise wrapped from e

    def executemany_returning(
        self, cursor: DBAPICursor, sql: str, params: Sequence[DBAPIParams]
    ) -> list[DBAPIRow]:
        # psycopg pipelines the statements and keeps one result set per parameter set.
        pg_cursor = cast("psycopg.Cursor[Any]", cursor)
        pg_cursor.executemany(sql, cast("list[Any]", params), returning=True)
        rows: list[Any] = []  # (no cast() per row: it is a call at run time)
        while True:
            rows.append(pg_cursor.fetchone())
            if not pg_cursor.nextset():
                break
        return rows

    def in_transaction(self, dbapi_conn: DBAPIConnection) -> bool:
        return bool(_psycopg(dbapi_conn).info.transaction_status != self._idle)

    # -- isolation levels -------------------------------------------------------------------
    isolation_levels: ClassVar[tuple[str, ...]] = (
        "AUTOCOMMIT",
        "READ COMMITTED",
        "READ UNCOMMITTED",
        "REPEATABLE READ",
        "SERIALIZABLE",
    )

    def begin_statement(self, isolation_level: str | None, begin_mode: str | None) -> str:
        # Per transaction, so nothing is left set on the connection when it is returned.
        if isolation_level is None or isolation_level == "AUTOCOMMIT":
            return "BEGIN"
        return f"BEGIN ISOLATION LEVEL {isolation_level}"

    def default_isolation_level(self, dbapi_conn: DBAPIConnection) -> str:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SHOW default_transaction_isolation")
            row = cur.fetchone()
        finally:
            cur.close()
        return str(row[0]).upper()

    def error_code(self, err: BaseException) -> str | None:
        return getattr(err, "sqlstate", None)

    def is_disconnect(self, err: BaseException, dbapi_conn: DBAPIConnection | None) -> bool:
        """Whether ``err`` means the connection is gone (and only then).

        psycopg marks a connection whose socket or server went away as closed / broken;
        a live connection counts as lost only for the "connection lost" SQLSTATEs. A
        client-side refusal such as "number of parameters must be between 0 and 65535"
        (an ``OperationalError`` without SQLSTATE) leaves the connection usable.
        """
        code = getattr(err, "sqlstate", None)
        if code in _DISCONNECT_STATES:
            return True
        if dbapi_conn is not None:
            conn = _psycopg(dbapi_conn)
            return bool(conn.closed or getattr(conn, "broken", False))
        return code is None and isinstance(
            err, (self.dbapi.OperationalError, self.dbapi.InterfaceError)
        )

    def wrap_error(
        self, err: BaseException, statement: str | None, params: Any
    ) -> exc.DBAPIError | None:
        """The base translation; a statement refused inside a transaction block
        (CREATE DATABASE, VACUUM...) also says how to run it."""
        wrapped = super().wrap_error(err, statement, params)
        if wrapped is not None and "inside a transaction block" in str(err):
            wrapped.args = (
                f"{wrapped.args[0]}; run it on a connection in autocommit mode: "
                "conn.execution_options(isolation_level='AUTOCOMMIT') before its first "
                "statement",
                *wrapped.args[1:],
            )
        return wrapped

    def prepare_twophase_sql(self, xid: str) -> str:
        return f"PREPARE TRANSACTION {_literal(xid)}"

    def commit_twophase_sql(self, xid: str) -> str:
        return f"COMMIT PREPARED {_literal(xid)}"

    def rollback_twophase_sql(self, xid: str) -> str:
        return f"ROLLBACK PREPARED {_literal(xid)}"

    def has_table_sql(self) -> str:
        return (
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_name = %s"
        )

    def table_names_sql(self) -> str:
        return (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )


def _literal(xid: str) -> str:
    # Transaction ids are generated by uow_orm (hex strings); quote defensively anyway,
    # because PREPARE TRANSACTION takes no bound parameters.
    return "'" + xid.replace("'", "''") + "'"


__all__ = ["PGDialect"]
