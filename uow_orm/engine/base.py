"""``Engine``, ``Connection`` and ``Transaction``: running SQL on pooled DBAPI connections.

Called by users directly and by the session (through ``Connection``). Every statement
goes through ``Connection._run``: one place for events, logging, error wrapping and
invalidation of broken connections.

Called by: uow_orm.dialects.*, uow_orm.engine, uow_orm.engine.create,
uow_orm.engine.events, uow_orm.engine.reflection, uow_orm.ext.automap, uow_orm.migrate.*,
uow_orm.orm, uow_orm.orm.*, uow_orm.sql.schema, uow_orm.sql.ddl, uow_orm.testing.
"""

from __future__ import annotations

import difflib
import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from .. import exc
from .._processors import apply_processors, processor_items
from .._typing import DBAPIConnection, DBAPICursor, DBAPIParams, DBAPIRow
from ..event import Dispatcher
from . import events as _events
from .result import Result, ScalarResult

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .pool import Pool, PooledConnection
    from .url import URL

logger = logging.getLogger("uow_orm.engine")

#: Events of the pool; a listener added to an ``execution_options()`` copy of an engine
#: goes to the engine that owns the pool.
POOL_EVENTS = frozenset(_events.POOL_SIGNATURES)
ENGINE_EVENTS = frozenset(_events.ENGINE_SIGNATURES)

#: The execution options uow_orm acts on; other names are an application's own (kept and
#: readable, as in SQLAlchemy) unless SQLAlchemy defines them and uow_orm does not.
EXECUTION_OPTIONS = ("isolation_level", "schema_translate_map", "sqlite_begin")
#: Connection-level options SQLAlchemy defines that uow_orm does not implement (the
#: statement-level list is `uow_orm.sql.elements`'s, a layer above): refused.
_UNSUPPORTED_OPTIONS = frozenset(
    {
        "compiled_cache",
        "driver_column_names",
        "insertmanyvalues_page_size",
        "logging_token",
        "max_row_buffer",
        "no_parameters",
        "prebuffer_rows",
        "preserve_rowcount",
        "stream_results",
        "yield_per",
    }
)


def _checked_options(dialect: Dialect, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` validated and normalised for ``dialect``; ArgumentError naming a bad one."""
    unsupported = sorted(set(options) & _UNSUPPORTED_OPTIONS)
    if unsupported:
        raise exc.ArgumentError(
            f"execution option(s) {', '.join(map(repr, unsupported))} are not supported by "
            f"uow_orm on engines and connections; it supports {', '.join(EXECUTION_OPTIONS)}"
        )
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in EXECUTION_OPTIONS:
            _refuse_misspelt(key)
        if key == "isolation_level":
            out[key] = dialect.normalize_isolation_level(value)
        elif key == "sqlite_begin":
            out[key] = dialect.normalize_begin_mode(value)
        elif key == "schema_translate_map":
            out[key] = _schema_map(value)
        else:
            out[key] = value
    return out


def _refuse_misspelt(key: str) -> None:
    """ArgumentError for an application option named almost like an option of
    SQLAlchemy's (a typo would otherwise be kept and silently have no effect)."""
    known = sorted({*EXECUTION_OPTIONS, *_UNSUPPORTED_OPTIONS})
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
    if close:
        raise exc.ArgumentError(
            f"unknown execution option {key!r}; did you mean {close[0]!r}? (uow_orm "
            f"supports {', '.join(EXECUTION_OPTIONS)})"
        )


def _schema_map(value: Any) -> dict[str | None, str | None] | None:
    """A ``schema_translate_map`` checked: a mapping of schema names (or None) to names."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        (k is None or isinstance(k, str)) and (v is None or isinstance(v, str))
        for k, v in value.items()
    ):
        raise exc.ArgumentError(
            f"schema_translate_map={value!r}: expected a dict of schema names (None for "
            "tables with no schema) to schema names (None for no schema)"
        )
    return dict(value)


class Engine:
    """A pool of connections to one database, with the dialect that speaks to it."""

    def __init__(
        self,
        url: URL,
        dialect: Dialect,
        pool: Pool,
        *,
        echo: bool = False,
        dispatch: Dispatcher | None = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.dialect = dialect
        self.pool = pool
        self.dispatch = dispatch or _events.engine_dispatch()
        self.echo = echo
        #: Statements go to ``uow_orm.engine`` (a child of it for ``echo`` engines).
        self.logger: logging.Logger = logger
        #: ``create_engine(hide_parameters=True)``: parameters stay out of logs and errors
        self.hide_parameters = False
        #: ``create_engine(logging_name=...)``
        self.logging_name: str | None = None
        self._execution_options = _checked_options(dialect, execution_options or {})
        self.dialect = dialect.translated(self._execution_options.get("schema_translate_map"))

    def execution_options(self, **options: Any) -> Engine:
        """A copy of this engine whose connections get ``options`` (same pool and dialect).

        Options: ``isolation_level`` (``"AUTOCOMMIT"``, ``"SERIALIZABLE"``, ...),
        ``schema_translate_map`` (``{None: "tenant_1"}``: every statement renders tables of
        no schema in ``tenant_1``) and, on SQLite, ``sqlite_begin`` (``"DEFERRED"``,
        ``"IMMEDIATE"``, ``"EXCLUSIVE"``). Other names are the application's own: kept,
        readable with ``get_execution_options()`` and by cursor events'
        ``context.execution_options``.
        Listeners added to the copy see only its connections; those of this engine see
        both. Raises ArgumentError for an unknown option or value.
        """
        return OptionEngine(self, options)

    def update_execution_options(self, **options: Any) -> None:
        """Change, in place, the options that connections made from now on start with.

        Raises:
            ArgumentError: an unknown option, or a value the dialect does not accept.
        """
        self._execution_options = {
            **self._execution_options,
            **_checked_options(self.dialect, options),
        }
        self.dialect = self.dialect.translated(self._execution_options.get("schema_translate_map"))

    def get_execution_options(self) -> dict[str, Any]:
        """The execution options every connection of this engine starts with."""
        return dict(self._execution_options)

    @property
    def name(self) -> str:
        """The dialect name: ``"sqlite"`` or ``"postgresql"``."""
        return self.dialect.name

    def __repr__(self) -> str:
        return f"Engine({self.url})"

    def connect(self) -> Connection:
        """Check a connection out of the pool (use as a context manager to return it)."""
        return Connection(self)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction: committed on success, rolled back on error."""
        with self.connect() as conn, conn.begin():
            yield conn

    def raw_connection(self) -> PooledConnection:
        """A pooled DBAPI connection; ``close()`` returns it to the pool."""
        return self.pool.connect()

    def dispose(self) -> None:
        """Close the pool's connections and start a fresh pool."""
        self.pool.dispose()
        self.pool = self.pool.recreate()
        if self.dispatch.engine_disposed:
            self.dispatch.fire("engine_disposed", self)

    def has_table(self, name: str) -> bool:
        """Whether a table ``name`` exists in the database (asks the database, not the metadata)."""
        with self.connect() as conn:
            return conn._has_table(name)

    def table_names(self) -> list[str]:
        """The names of the tables in the database, sorted."""
        with self.connect() as conn:
            return conn._table_names()

    def scalar(self, statement: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Execute ``statement`` on a new connection and return the first column of the first row,
        or None."""
        with self.connect() as conn:
            return conn.execute(statement, params).scalar()

    def execute(self, statement: Any, params: Any = None) -> Result:
        """Run one statement in its own transaction (rows are fetched before returning)."""
        with self.begin() as conn:
            result = conn.execute(statement, params)
            if result.returns_rows:
                rows = [r._data for r in result.all()]
                return Result(result.keys(), rows, rowcount=result.rowcount)
            return result


class OptionEngine(Engine):
    """What `Engine.execution_options` returns: the engine's pool with other options."""

    def __init__(self, proxied: Engine, options: Mapping[str, Any]) -> None:
        self._proxied = proxied
        self.url = proxied.url
        self.dialect = proxied.dialect
        self.dispatch = _events.engine_dispatch(proxied.dispatch)
        self.echo = proxied.echo
        self.logger = proxied.logger
        self.hide_parameters = proxied.hide_parameters
        self.logging_name = proxied.logging_name
        self._execution_options = {
            **proxied._execution_options,
            **_checked_options(proxied.dialect, options),
        }
        self.dialect = proxied.dialect.translated(
            self._execution_options.get("schema_translate_map")
        )

    @property
    def pool(self) -> Pool:
        """The pool of the engine this copy was made from (``dispose()`` replaces it)."""
        return self._proxied.pool

    @pool.setter
    def pool(self, pool: Pool) -> None:
        self._proxied.pool = pool

    def __repr__(self) -> str:
        return f"OptionEngine({self.url}, {self._execution_options})"


class Transaction:
    """A transaction (or a SAVEPOINT, for ``NestedTransaction``) on one connection."""

    nested = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.is_active = True
        # whether COMMIT / ROLLBACK are sent: not in AUTOCOMMIT mode, where every
        # statement commits by itself and the transaction is only a bracket
        self._emits = False

    def _begin(self) -> None:
        conn = self.connection
        dbapi = conn._checked_dbapi()
        if conn.dialect.in_transaction(dbapi):
            if conn._shared:
                # sqlite:// in one thread: join the transaction another Connection began
                self._emits = not conn._autocommit
                return
            raise exc.InvalidRequestError(
                "the database connection is already in a transaction that this Connection "
                "did not begin (was SQL sent through the driver connection?); commit or "
                "roll it back first"
            )
        self._start(dbapi)

    def _start(self, dbapi: DBAPIConnection) -> None:
        """BEGIN (or let a "begin" listener emit its own, such as BEGIN IMMEDIATE)."""
        conn = self.connection
        self._emits = False  # statements of "begin" listeners run without re-beginning
        if conn._dispatch.has("begin"):
            conn._dispatch.fire("begin", conn)
            if conn.dialect.in_transaction(dbapi):
                self._emits = True
                return
        if not conn._autocommit:
            conn._run_control(conn._begin_sql)
            self._emits = True

    def _ends_database_transaction(self) -> bool:
        conn = self.connection
        if not self._emits:
            return False
        # sqlite:// in one thread: another Connection may have ended the shared transaction
        return not conn._shared or bool(conn.dialect.in_transaction(conn._checked_dbapi()))

    def commit(self) -> None:
        """Commit this transaction (``COMMIT``; for a `NestedTransaction`, ``RELEASE SAVEPOINT``).

        Raises:
            InvalidRequestError: when the transaction was already committed or rolled back.
        """
        if not self.is_active:
            raise exc.InvalidRequestError("this transaction is no longer active")
        self._do_commit()

    def _do_commit(self) -> None:
        conn = self.connection
        try:
            if conn._dispatch.has("commit"):
                conn._dispatch.fire("commit", conn)
            if self._ends_database_transaction():
                conn._run_control("COMMIT")
        finally:
            self.is_active = False
            conn._transaction_ended(self)

    def rollback(self) -> None:
        """Roll this transaction back (``ROLLBACK``); does nothing once it is no longer active."""
        if not self.is_active:
            return
        conn = self.connection
        try:
            if not conn._invalidated:
                if conn._dispatch.has("rollback"):
                    conn._dispatch.fire("rollback", conn)
                if self._ends_database_transaction():
                    conn._run_control("ROLLBACK")
        finally:
            self.is_active = False
            conn._transaction_ended(self)

    def close(self) -> None:
        """End this transaction: roll it back if it is still active, else do nothing."""
        self.rollback()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, tb: Any) -> None:
        if not self.is_active:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()


class NestedTransaction(Transaction):
    """A SAVEPOINT: commit releases it, rollback undoes everything since it began."""

    nested = True

    def __init__(self, connection: Connection, name: str) -> None:
        super().__init__(connection)
        self.name = name

    def _begin(self) -> None:
        conn = self.connection
        if conn._dispatch.savepoint:
            conn._dispatch.fire("savepoint", conn, self.name)
        conn._run_control(conn.dialect.savepoint_sql(self.name))

    def _do_commit(self) -> None:
        conn = self.connection
        try:
            if conn._dispatch.release_savepoint:
                conn._dispatch.fire("release_savepoint", conn, self.name, None)
            conn._run_control(conn.dialect.release_sql(self.name))
        finally:
            self.is_active = False
            conn._savepoint_ended(self)

    def rollback(self) -> None:
        """Undo everything since this savepoint began (``ROLLBACK TO SAVEPOINT``, then release it);
        the enclosing transaction stays open. Does nothing once it is no longer active.
        """
        if not self.is_active:
            return
        conn = self.connection
        try:
            if not conn._invalidated:
                if conn._dispatch.rollback_savepoint:
                    conn._dispatch.fire("rollback_savepoint", conn, self.name, None)
                conn._run_control(conn.dialect.rollback_to_sql(self.name))
                conn._run_control(conn.dialect.release_sql(self.name))
        finally:
            self.is_active = False
            conn._savepoint_ended(self)


class TwoPhaseTransaction(Transaction):
    """A transaction that can be prepared (PREPARE TRANSACTION) before it commits."""

    def __init__(self, connection: Connection, xid: str) -> None:
        super().__init__(connection)
        self.xid = xid
        self.prepared = False

    def prepare(self) -> None:
        """``PREPARE TRANSACTION xid`` (PostgreSQL): the first phase; `commit` then sends
        ``COMMIT PREPARED``.

        Raises:
            InvalidRequestError: when the transaction is no longer active.
            NotSupportedError: on a backend without two-phase commit (SQLite).
        """
        if not self.is_active:
            raise exc.InvalidRequestError("this transaction is no longer active")
        self.connection._run_control(self.connection.dialect.prepare_twophase_sql(self.xid))
        self.prepared = True

    def _do_commit(self) -> None:
        conn = self.connection
        try:
            if self.prepared:
                conn._run_control(conn.dialect.commit_twophase_sql(self.xid))
            else:
                conn._run_control("COMMIT")
        finally:
            self.is_active = False
            conn._transaction_ended(self)

    def rollback(self) -> None:
        """Roll back: ``ROLLBACK PREPARED xid`` once prepared, a plain ``ROLLBACK`` before."""
        if not self.is_active:
            return
        conn = self.connection
        try:
            if not conn._invalidated:
                if self.prepared:
                    conn._run_control(conn.dialect.rollback_twophase_sql(self.xid))
                else:
                    conn._run_control("ROLLBACK")
        finally:
            self.is_active = False
            conn._transaction_ended(self)


class Connection:
    """One checked-out DBAPI connection and the transaction on it.

    Like SQLAlchemy 2.0, a connection begins a transaction on first use ("commit as you
    go"); ``close()`` rolls back whatever was not committed and returns it to the pool.
    """

    # savepoint names of connections sharing one database connection (sqlite://)
    _shared_savepoints = itertools.count(1)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        pool = engine.pool
        #: True when Connections of one thread share the DBAPI connection (sqlite://)
        self._shared = pool.shares_connection
        self._pooled: PooledConnection | None = pool.connect()
        self._dbapi: DBAPIConnection | None = self._pooled.dbapi_connection
        self._transaction: Transaction | None = None
        self._savepoints: list[NestedTransaction] = []
        self._invalidated = False
        self._closed = False
        self._dispatch = engine.dispatch
        self._execution_options: dict[str, Any] = engine._execution_options
        self._isolation_set = False  # a per-connection isolation setting must be undone
        self._autocommit = False
        self._begin_sql = "BEGIN"
        try:
            self._apply_options()
            if self._dispatch.engine_connect:
                self._dispatch.fire("engine_connect", self)
        except BaseException:
            self.close()
            raise

    # -- execution options ---------------------------------------------------------------
    def execution_options(self, **options: Any) -> Connection:
        """Set options for this connection's next transactions; returns this Connection.

        ``isolation_level="AUTOCOMMIT"`` sends no BEGIN / COMMIT / ROLLBACK, so each
        statement commits by itself (``VACUUM``, ``PRAGMA journal_mode=WAL``,
        ``CREATE DATABASE`` need it); another level isolates the transactions that follow.
        ``sqlite_begin="IMMEDIATE"`` begins SQLite transactions with BEGIN IMMEDIATE.
        ``schema_translate_map={None: "tenant_1"}`` renders, in every statement from now
        on (Core, ORM, the flush, DDL), tables of no schema in schema ``tenant_1``; it may
        change at any time. The options last until the connection is closed.

        Raises:
            ArgumentError: an unknown option, or a value the dialect does not accept.
            InvalidRequestError: changing an option while a transaction is begun.
        """
        new = _checked_options(self.dialect, options)
        if self._transaction is not None:
            changed = [
                k
                for k, v in new.items()
                if k in ("isolation_level", "sqlite_begin") and self._execution_options.get(k) != v
            ]
            if changed:
                raise exc.InvalidRequestError(
                    f"{changed[0]} cannot change while this Connection is in a transaction "
                    "(it begins on the first statement); call commit() or rollback() first"
                )
        self._execution_options = {**self._execution_options, **new}
        if "schema_translate_map" in new:
            self.dialect = self.dialect.translated(new["schema_translate_map"])
        self._apply_options()
        return self

    def get_execution_options(self) -> dict[str, Any]:
        """The execution options in effect on this connection."""
        return dict(self._execution_options)

    def get_isolation_level(self) -> str:
        """The isolation level of this connection's transactions (never ``AUTOCOMMIT``,
        as in SQLAlchemy: in autocommit mode, the level each statement runs at)."""
        level = self._execution_options.get("isolation_level")
        if level is not None and level != "AUTOCOMMIT":
            return str(level)
        return self.default_isolation_level

    @property
    def default_isolation_level(self) -> str:
        """The level the database gives a transaction when none is asked for."""
        return self.dialect.default_isolation_level(self._checked_dbapi())

    def _apply_options(self) -> None:
        opts = self._execution_options
        level = opts.get("isolation_level")
        self._autocommit = level == "AUTOCOMMIT"
        self._begin_sql = self.dialect.begin_statement(level, opts.get("sqlite_begin"))
        self._setup_isolation()

    def _setup_isolation(self) -> None:
        """Per-connection isolation settings (SQLite READ UNCOMMITTED), if any."""
        dialect = self.dialect
        setup = dialect.isolation_setup_sql(self._execution_options.get("isolation_level"))
        if setup is not None:
            self._run_control(setup)
            self._isolation_set = True
        elif self._isolation_set:
            self._run_control(dialect.isolation_reset_sql())
            self._isolation_set = False

    # -- state -------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True once ``close()`` was called (the connection went back to the pool)."""
        return self._closed

    @property
    def invalidated(self) -> bool:
        """True when the driver connection was found broken and discarded."""
        return self._invalidated

    def in_transaction(self) -> bool:
        """True while a transaction (begun explicitly or autobegun) is open."""
        return self._transaction is not None

    def in_nested_transaction(self) -> bool:
        """True while a SAVEPOINT begun with ``begin_nested()`` is open."""
        return bool(self._savepoints)

    def get_transaction(self) -> Transaction | None:
        """The outermost open ``Transaction``, or None."""
        return self._transaction

    def get_nested_transaction(self) -> NestedTransaction | None:
        """The innermost open SAVEPOINT ``Transaction``, or None."""
        return self._savepoints[-1] if self._savepoints else None

    @property
    def connection(self) -> PooledConnection:
        """The pool's proxy for the DBAPI connection underneath (as in SQLAlchemy: the
        driver's connection is its ``dbapi_connection``; its attributes read through)."""
        self._checked_dbapi()
        assert self._pooled is not None
        return self._pooled

    def _checked_dbapi(self) -> DBAPIConnection:
        if self._closed:
            raise exc.ResourceClosedError(
                "this Connection is closed; get a new one from engine.connect()"
            )
        if self._invalidated:
            raise exc.PendingRollbackError(
                "the database connection was lost (invalidated) during the transaction; "
                "call rollback() before using this Connection again"
            )
        if self._dbapi is None:
            self._pooled = self.engine.pool.connect()
            self._dbapi = self._pooled.dbapi_connection
            if self._isolation_set:
                self._isolation_set = False
                self._setup_isolation()
        return self._dbapi

    # -- transactions ------------------------------------------------------------------
    def begin(self) -> Transaction:
        """Begin a transaction and return it (also usable as ``with conn.begin():``).

        Raises ``exc.InvalidRequestError`` when a transaction is already open."""
        if self._transaction is not None:
            raise exc.InvalidRequestError(
                "a transaction is already begun on this Connection (it autobegins on first "
                "execute); use commit()/rollback(), or begin_nested() for a SAVEPOINT"
            )
        txn = Transaction(self)
        self._transaction = txn  # statements of "begin" listeners run inside it
        try:
            txn._begin()
        except BaseException:
            self._transaction = None
            raise
        return txn

    def begin_twophase(self, xid: str) -> TwoPhaseTransaction:
        """Begin a two-phase transaction (``prepare()`` then ``commit()``); ``xid`` names it."""
        if not self.dialect.supports_twophase:
            raise exc.NotSupportedError(
                f"the {self.dialect.name} dialect does not support two-phase commit"
            )
        if self._transaction is not None:
            raise exc.InvalidRequestError("a transaction is already begun on this Connection")
        txn = TwoPhaseTransaction(self, xid)
        self._transaction = txn
        try:
            txn._begin()
        except BaseException:
            self._transaction = None
            raise
        return txn

    def begin_nested(self) -> NestedTransaction:
        """Begin a SAVEPOINT (beginning the outer transaction first if none is open)."""
        if self._transaction is None:
            self.begin()
        elif self._shared:
            self._rejoin(self._checked_dbapi())
        # A shared database connection (several Connections on one) needs names that
        # never repeat. Otherwise savepoints are named by depth: one released or rolled
        # back frees its name, so a loop of savepoints sends the same SAVEPOINT / RELEASE
        # text every time and the driver's statement cache keeps it prepared (a new name
        # each time made sqlite3 prepare both statements again per savepoint).
        number = next(Connection._shared_savepoints) if self._shared else len(self._savepoints) + 1
        sp = NestedTransaction(self, f"sp_{number}")
        sp._begin()
        self._savepoints.append(sp)
        return sp

    def commit(self) -> None:
        """Commit the open transaction; does nothing when there is none."""
        if self._transaction is not None:
            self._transaction.commit()

    def rollback(self) -> None:
        """Roll back the open transaction; does nothing when there is none."""
        if self._transaction is not None:
            self._transaction.rollback()
        if self._invalidated:
            self._invalidated = False
            self._dbapi = None  # a fresh connection is checked out on next use

    def _transaction_ended(self, txn: Transaction) -> None:
        if self._transaction is txn:
            self._transaction = None
            for sp in self._savepoints:
                sp.is_active = False
            self._savepoints.clear()

    def _savepoint_ended(self, sp: NestedTransaction) -> None:
        if sp in self._savepoints:
            at = self._savepoints.index(sp)
            for inner in self._savepoints[at:]:
                inner.is_active = False  # released or rolled back along with ``sp``
            del self._savepoints[at:]

    def _rejoin(self, dbapi: DBAPIConnection) -> None:
        """sqlite:// in one thread: if another Connection ended the shared transaction,
        begin a new one, as the next statement would in SQLAlchemy."""
        txn = self._transaction
        if txn is not None and txn._emits and not self.dialect.in_transaction(dbapi):
            for sp in self._savepoints:
                sp.is_active = False  # they ended with the transaction
            self._savepoints.clear()
            txn._start(dbapi)

    def invalidate(self, exception: BaseException | None = None) -> None:
        """Discard the DBAPI connection: it is closed and never returned to use.

        ``exception`` (the reason) is passed to the pool's ``invalidate`` listeners."""
        if self._pooled is not None:
            self._pooled.invalidate(exception)
            self._pooled.close()
            self._pooled = None
        self._dbapi = None
        if self._transaction is not None:
            self._invalidated = True

    def close(self) -> None:
        """Roll back what is open and give the connection back to the pool."""
        if self._closed:
            return
        try:
            if self._transaction is not None and not self._invalidated:
                try:
                    self._transaction.rollback()
                except exc.DBAPIError:
                    pass
            if self._isolation_set and self._dbapi is not None and not self._invalidated:
                try:
                    self._run_control(self.dialect.isolation_reset_sql())
                except exc.DBAPIError:
                    if self._pooled is not None:
                        self._pooled.invalidate()
        finally:
            self._transaction = None
            self._savepoints.clear()
            pooled, self._pooled = self._pooled, None
            self._dbapi = None
            self._closed = True
            if pooled is not None:
                pooled.close()  # may raise (a "checkin" listener); the state is final

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- execution ---------------------------------------------------------------------
    def execute(self, statement: Any, params: Any = None) -> Result:
        """Run a statement (``text()``, ``select()``, DML, DDL) with bound parameters.

        ``params`` is a mapping for one execution or a list of mappings for executemany.
        """
        compile_ = getattr(statement, "compile", None)
        if compile_ is None:
            if isinstance(statement, str):
                raise exc.ArgumentError(
                    "a plain string is not an executable statement; wrap it in "
                    "uow_orm.text(), e.g. conn.execute(text('SELECT 1'))"
                )
            raise exc.ArgumentError(f"cannot execute object of type {type(statement).__name__}")
        many_params = isinstance(params, Sequence) and not isinstance(params, (str, bytes))
        with_params = getattr(statement, "_with_params", None)
        if with_params is not None and params:
            statement = with_params(params[0] if many_params else params)
            compile_ = statement.compile
        if not many_params and getattr(statement, "_single_insert_pk", None) is not None:
            return statement._single_insert_pk(self, params)  # type: ignore[no-any-return]
        for_execution = getattr(statement, "_compiled_for", None)
        compiled = (
            for_execution(self.dialect) if for_execution is not None else compile_(self.dialect)
        )
        if many_params:
            many = [compiled.construct_params(p) for p in params]
            if len(many) == 1:
                return self._result(compiled, self._run(compiled.sql, many[0]))
            if compiled.result_keys is not None and getattr(statement, "_returning", None):
                return self._many_returning(statement, compiled, many)
            cursor = self._run(compiled.sql, many, many=True)
            return Result([], [], rowcount=cursor.rowcount)
        cursor = self._run(compiled.sql, compiled.construct_params(params))
        return self._result(compiled, cursor)

    def _many_returning(self, statement: Any, compiled: Any, many: list[Any]) -> Result:
        """executemany of an INSERT ... RETURNING: the returned rows, in parameter order (as
        SQLAlchemy's "insertmanyvalues" gives them). UPDATE / DELETE ... RETURNING with
        several parameter sets is refused, as SQLAlchemy refuses it on both backends."""
        if not hasattr(statement, "from_select"):  # (an Insert; sql is above this layer)
            raise exc.InvalidRequestError(
                f"{type(statement).__name__.upper()}..RETURNING is not supported with "
                "executemany (several parameter sets); run the statement once per set"
            )
        rows: Any = self._executemany_returning(compiled.sql, many)
        procs = compiled.result_processors
        items = processor_items(procs) if procs else None
        if items:
            converted = [list(r) for r in rows]
            apply_processors(converted, items)
            rows = [tuple(r) for r in converted]
        return Result(compiled.result_keys, rows, rowcount=len(rows))

    def _result(self, compiled: Any, cursor: Any) -> Result:
        description = cursor.description
        if not description:
            return Result([], [], rowcount=cursor.rowcount)
        keys = compiled.result_keys or [d[0] for d in description]
        procs = compiled.result_processors
        rows: Any = cursor.fetchall()
        items = processor_items(procs) if procs else None
        if items:
            converted = [list(r) for r in rows]
            apply_processors(converted, items)
            rows = [tuple(r) for r in converted]
        return Result(keys, rows, rowcount=cursor.rowcount)

    def exec_driver_sql(self, sql: str, params: Any = None) -> Result:
        """Run SQL already in the driver's paramstyle (placeholders ``?`` or ``%s``)."""
        cursor = self._run(sql, params if params is not None else ())
        if cursor.description:
            return Result(
                [d[0] for d in cursor.description], cursor.fetchall(), rowcount=cursor.rowcount
            )
        return Result([], [], rowcount=cursor.rowcount)

    def cursor_execute(self, sql: str, params: Any, many: bool = False) -> DBAPICursor:
        """Run SQL already compiled for this connection's dialect (placeholders in the
        driver's paramstyle) and return the DBAPI cursor, for its rows, ``rowcount`` and
        ``lastrowid``. The unit of work sends its cached statements this way.

        Args:
            sql: the statement text.
            params: one sequence of values, or (``many=True``) a list of them for the
                driver's ``executemany``.
            many: run ``executemany``.

        Raises:
            exc.DBAPIError: the driver's error, wrapped (as for `execute`).
        """
        dbapi = self._dbapi
        if dbapi is None or self._invalidated or self._closed:
            dbapi = self._checked_dbapi()
        if self._transaction is None:
            self.begin()
        elif self._shared:
            self._rejoin(dbapi)
        dispatch = self._dispatch
        if many or dispatch.before_cursor_execute or dispatch.after_cursor_execute:
            return self._cursor_execute(dbapi, sql, params, many)
        # one statement, no cursor listeners: `_cursor_execute` written out (every ORM
        # query and flush statement comes this way)
        cursor: DBAPICursor = dbapi.cursor()
        if self.engine.logger.isEnabledFor(logging.INFO):
            self._log(sql, params)
        try:
            cursor.execute(sql, params)
        except Exception as err:
            self._handle_error(err, sql, params, dbapi, cursor)
            raise  # unreachable: _handle_error always raises
        return cursor

    def _run_streaming(self, sql: str, params: Any) -> Any:
        """As `_run`, with a cursor that fetches rows as they are asked for: a server-side
        cursor on PostgreSQL (``yield_per``); SQLite's cursors already stream."""
        if not self.dialect.server_side_cursors:
            return self._run(sql, params)
        dbapi = self._dbapi
        if dbapi is None or self._invalidated or self._closed:
            dbapi = self._checked_dbapi()
        if self._transaction is None:
            self.begin()
        elif self._shared:
            self._rejoin(dbapi)
        self._stream_seq = getattr(self, "_stream_seq", 0) + 1
        # psycopg: a named cursor is a server-side cursor
        cursor = cast(Any, dbapi).cursor(name=f"uow_stream_{self._stream_seq}")
        dispatch = self._dispatch
        if dispatch.before_cursor_execute:
            sql, params = self._before_cursor_execute(cursor, sql, params, False)
        self._log(sql, params)
        try:
            cursor.execute(sql, params)
        except Exception as err:
            self._handle_error(err, sql, params, dbapi, cursor)
            raise
        if dispatch.after_cursor_execute:
            dispatch.fire(
                "after_cursor_execute",
                self,
                cursor,
                sql,
                params,
                _events.CursorExecutionContext(self, cursor, sql, params, False),
                False,
            )
        return cursor

    def executemany_returning(self, sql: str, params: Sequence[DBAPIParams]) -> list[DBAPIRow]:
        """executemany of an ``INSERT ... RETURNING`` compiled for this dialect: one
        returned row per parameter set, in parameter order.

        Raises:
            exc.DBAPIError: the driver's error, wrapped (as for `execute`).
        """
        return self._executemany_returning(sql, params)

    _run = cursor_execute  # the single exit towards the database

    def _executemany_returning(self, sql: str, params: Sequence[DBAPIParams]) -> list[DBAPIRow]:
        """executemany of an INSERT ... RETURNING; one returned row per parameter set."""
        dbapi = self._dbapi
        if dbapi is None or self._invalidated or self._closed:
            dbapi = self._checked_dbapi()
        if self._transaction is None:
            self.begin()
        elif self._shared:
            self._rejoin(dbapi)
        cursor = dbapi.cursor()
        if self._dispatch.before_cursor_execute:
            sql, params = self._before_cursor_execute(cursor, sql, params, True)
        self._log(sql, params)
        try:
            rows = self.dialect.executemany_returning(cursor, sql, params)
        except Exception as err:
            self._handle_error(err, sql, params, dbapi, cursor)
            raise
        if self._dispatch.after_cursor_execute:
            self._dispatch.fire(
                "after_cursor_execute",
                self,
                cursor,
                sql,
                params,
                _events.CursorExecutionContext(self, cursor, sql, params, True),
                True,
            )
        return rows

    def _run_control(self, sql: str) -> None:
        """Transaction control SQL (BEGIN, SAVEPOINT, COMMIT...)."""
        dbapi = self._dbapi
        if dbapi is None or self._invalidated or self._closed:
            dbapi = self._checked_dbapi()
        dispatch = self._dispatch
        if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
            self._cursor_execute(dbapi, sql, (), False)
            return
        cursor = dbapi.cursor()  # (two per savepoint: `_cursor_execute` written out)
        if self.engine.logger.isEnabledFor(logging.INFO):
            self._log(sql, ())
        try:
            cursor.execute(sql, ())
        except Exception as err:
            self._handle_error(err, sql, (), dbapi, cursor)
            raise  # unreachable: _handle_error always raises

    def _before_cursor_execute(
        self, cursor: Any, sql: str, params: Any, many: bool
    ) -> tuple[str, Any]:
        """The before_cursor_execute listeners; retval=True ones may replace SQL and params."""
        dispatch = self._dispatch
        context = _events.CursorExecutionContext(self, cursor, sql, params, many)
        for fn, retval in zip(
            dispatch.before_cursor_execute, dispatch.retvals("before_cursor_execute")
        ):
            out = fn(self, cursor, sql, params, context, many)
            if retval:
                sql, params = out
                context.statement, context.parameters = sql, params
        return sql, params

    def _log(self, sql: str, params: Any) -> None:
        log = self.engine.logger
        if log.isEnabledFor(logging.INFO):
            log.info("%s", sql)
            if log.isEnabledFor(logging.DEBUG):
                if self.engine.hide_parameters:
                    log.debug("[SQL parameters hidden due to hide_parameters=True]")
                else:
                    log.debug("[parameters: %r]", params)

    def _cursor_execute(
        self, dbapi: DBAPIConnection, sql: str, params: Any, many: bool
    ) -> DBAPICursor:
        cursor: DBAPICursor = dbapi.cursor()
        dispatch = self._dispatch
        if dispatch.before_cursor_execute:
            sql, params = self._before_cursor_execute(cursor, sql, params, many)
        self._log(sql, params)
        try:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except Exception as err:
            self._handle_error(err, sql, params, dbapi, cursor)
            raise  # unreachable: _handle_error always raises
        if dispatch.after_cursor_execute:
            dispatch.fire(
                "after_cursor_execute",
                self,
                cursor,
                sql,
                params,
                _events.CursorExecutionContext(self, cursor, sql, params, many),
                many,
            )
        return cursor

    def _handle_error(
        self,
        err: Exception,
        sql: str,
        params: Any,
        dbapi: DBAPIConnection | None,
        cursor: DBAPICursor | None = None,
    ) -> None:
        dialect = self.dialect
        wrapped = dialect.wrap_error(err, sql, params)
        disconnect = dialect.is_disconnect(err, dbapi)
        if disconnect and wrapped is None:
            wrapped = exc.OperationalError(str(err), sql, params, err)
        if self._dispatch.handle_error:
            ctx = _events.ExceptionContext(
                self, self.engine, cursor, sql, params, err, wrapped, disconnect
            )
            try:
                for fn in self._dispatch.handle_error:
                    fn(ctx)
            except BaseException as replaced:
                if disconnect:
                    self._disconnected(ctx.invalidate_pool_on_disconnect, err)
                raise replaced from err
            disconnect = ctx.is_disconnect
            if disconnect and wrapped is None:
                wrapped = exc.OperationalError(str(err), sql, params, err)
            if disconnect:
                self._disconnected(ctx.invalidate_pool_on_disconnect, err)
        elif disconnect:
            self._disconnected(True, err)
        if disconnect and wrapped is not None:
            wrapped.connection_invalidated = True
        if wrapped is None:
            raise err
        if self.engine.hide_parameters:
            wrapped.hide_parameters = True
        raise wrapped from err

    def _disconnected(self, whole_pool: bool, err: BaseException) -> None:
        self.invalidate(err)
        if whole_pool:
            # a lost connection usually means the server restarted: every pooled
            # connection made before now is suspect and is replaced on next checkout
            self.engine.pool.invalidate_all()

    # -- introspection -----------------------------------------------------------------
    def _has_table(self, name: str) -> bool:
        rows = self._run(self.dialect.has_table_sql(), (name,)).fetchall()
        return bool(rows)

    def _table_names(self) -> list[str]:
        return [r[0] for r in self._run(self.dialect.table_names_sql(), ()).fetchall()]

    def scalar(self, statement: Any, params: Any = None) -> Any:
        """Execute ``statement`` and return the first column of the first row, or None."""
        return self.execute(statement, params).scalar()

    def scalars(self, statement: Any, params: Any = None) -> ScalarResult[Any]:
        """Execute ``statement`` and return its first column as a `ScalarResult`
        (``conn.scalars(select(User.id)).all()``)."""
        return self.execute(statement, params).scalars()

    def __repr__(self) -> str:
        return f"<Connection {self.engine.url}>"


__all__ = [
    "Connection",
    "Engine",
    "NestedTransaction",
    "OptionEngine",
    "Transaction",
    "TwoPhaseTransaction",
]
