"""Connection pools: ``QueuePool`` (files and servers), ``StaticPool`` (``sqlite://``) and
``NullPool`` (no pooling).

Called by the engine only. A pool hands one DBAPI connection to one checkout at a time,
rolls it back when it comes back, and never hands out a connection once it is invalidated.

Called by: uow_orm.engine, uow_orm.engine.base, uow_orm.engine.create,
uow_orm.engine.events, uow_orm.pool.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import exc
from .._typing import DBAPIConnection

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..event import Dispatcher


def _seconds(value: float) -> str:
    """``1 second``, ``2.5 seconds``: a timeout as the error messages print it."""
    return f"{value:g} second" if value == 1 else f"{value:g} seconds"


class ResetState:
    """What a pool ``reset`` listener receives about the reset (SQLAlchemy's
    ``PoolResetState``): the pool rolls the connection back after the listeners."""

    __slots__ = ("asyncio_safe", "terminate_only", "transaction_was_reset")

    def __init__(self) -> None:
        self.transaction_was_reset = False
        self.terminate_only = False
        self.asyncio_safe = True


class ConnectionRecord:
    """One DBAPI connection owned by a pool, with when it was made and whether it is dead."""

    __slots__ = ("created", "dbapi_connection", "generation", "info", "invalidated")

    def __init__(self, dbapi_connection: DBAPIConnection, generation: int) -> None:
        self.dbapi_connection = dbapi_connection
        self.created = time.monotonic()
        self.generation = generation
        self.invalidated = False
        self.info: dict[str, Any] = {}


class PooledConnection:
    """A checked-out DBAPI connection; ``close()`` gives it back to the pool.

    Attribute access falls through to the DBAPI connection, so this object serves as the
    result of ``Engine.raw_connection()``.
    """

    __slots__ = ("_pool", "_record", "dbapi_connection")

    def __init__(self, pool: Pool, record: ConnectionRecord) -> None:
        self._pool = pool
        self._record = record
        # Any, not DBAPIConnection | None: callers use it while checked out (never None then).
        self.dbapi_connection: Any = record.dbapi_connection

    @property
    def driver_connection(self) -> Any:
        """The driver's connection (alias of ``dbapi_connection``, as in SQLAlchemy)."""
        return self.dbapi_connection

    @property
    def record(self) -> ConnectionRecord:
        """The pool's `ConnectionRecord` for this DBAPI connection."""
        return self._record

    @property
    def closed(self) -> bool:
        """True once `close` has given the connection back to the pool."""
        return self.dbapi_connection is None

    def invalidate(self, e: BaseException | None = None) -> None:
        """Mark the connection dead: it is closed on return and never reused.

        ``e`` is the error that made it unusable, passed to ``invalidate`` listeners."""
        record = self._record
        if not record.invalidated and self._pool._dispatch.invalidate:
            self._pool._dispatch.fire("invalidate", record.dbapi_connection, record, e)
        record.invalidated = True

    def close(self) -> None:
        """Give the DBAPI connection back to the pool (it stays open there); a second call
        does nothing.
        """
        if self.dbapi_connection is not None:
            self.dbapi_connection = None
            self._pool._return(self._record)

    def __getattr__(self, name: str) -> Any:
        conn = object.__getattribute__(self, "dbapi_connection")
        if conn is None:
            raise exc.ResourceClosedError("this pooled connection was closed (returned)")
        return getattr(conn, name)

    def __enter__(self) -> PooledConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Pool:
    """Shared parts of pools: making, checking and discarding DBAPI connections.

    A "connect", "checkout" or "checkin" listener that raises does not cost a slot: the
    error propagates and the pool's counts stay right (see `QueuePool` / `StaticPool`).
    """

    #: Whether checkouts of one thread get the same DBAPI connection (``StaticPool``).
    shares_connection: bool = False
    _first_connect_done = False

    def __init__(
        self,
        creator: Callable[[], Any],
        dialect: Dialect,
        dispatch: Dispatcher,
        *,
        pool_recycle: float = -1,
        pool_pre_ping: bool = False,
    ) -> None:
        self._creator = creator
        self._dialect = dialect
        self._dispatch = dispatch
        self._recycle = pool_recycle
        self._pre_ping = pool_pre_ping
        self._generation = 0

    def _new_record(self) -> ConnectionRecord:
        conn = self._creator()
        try:
            self._dialect.on_connect(conn)
            record = ConnectionRecord(conn, self._generation)
            if self._dispatch.first_connect and not self._first_connect_done:
                self._dispatch.fire("first_connect", conn, record)
            self._first_connect_done = True
            if self._dispatch.has("connect"):
                self._dispatch.fire("connect", conn, record)
        except BaseException:
            # not set up as the dialect or a "connect" listener wanted: never used
            self._dialect.close(conn)
            raise
        return record

    def _usable(self, record: ConnectionRecord) -> bool:
        if record.invalidated or record.generation != self._generation:
            return False
        if self._recycle is not None and self._recycle >= 0:
            if time.monotonic() - record.created > self._recycle:
                return False
        return not (self._pre_ping and not self._dialect.ping(record.dbapi_connection))

    def _reset(self, record: ConnectionRecord) -> None:
        if record.invalidated:
            return
        try:
            if self._dispatch.reset:
                self._dispatch.fire("reset", record.dbapi_connection, record, ResetState())
            self._dialect.reset(record.dbapi_connection)
        except Exception:
            record.invalidated = True

    def _discard(self, record: ConnectionRecord) -> None:
        if self._dispatch.close:
            self._dispatch.fire("close", record.dbapi_connection, record)
        self._dialect.close(record.dbapi_connection)

    def _checked_out(self, record: ConnectionRecord) -> PooledConnection:
        proxy = PooledConnection(self, record)
        if self._dispatch.has("checkout"):
            try:
                self._dispatch.fire("checkout", record.dbapi_connection, record, proxy)
            except BaseException:
                self._checkout_failed(record)
                raise
        return proxy

    def _checkout_failed(self, record: ConnectionRecord) -> None:
        """A "checkout" listener raised: give the slot back."""
        raise NotImplementedError

    def _fire_checkin(self, record: ConnectionRecord) -> None:
        if self._dispatch.has("checkin"):
            self._dispatch.fire("checkin", record.dbapi_connection, record)

    def connect(self) -> PooledConnection:
        """Check out a connection (see `QueuePool.connect` and `StaticPool.connect`)."""
        raise NotImplementedError

    def invalidate_all(self) -> None:
        """Retire every connection made so far (after a disconnect was detected)."""
        self.dispose()

    def _return(self, record: ConnectionRecord) -> None:
        raise NotImplementedError

    def dispose(self) -> None:
        """Close the pool's idle connections (see the subclasses)."""
        raise NotImplementedError

    def recreate(self) -> Pool:
        """A new, empty pool with the same settings (``Engine.dispose()`` uses it)."""
        raise NotImplementedError

    def status(self) -> str:
        """A one-line description of the pool's state, for logs."""
        return f"{type(self).__name__}"


class QueuePool(Pool):
    """A bounded pool: ``pool_size`` kept connections plus ``max_overflow`` temporary ones.
    Idle connections are handed out oldest first; ``use_lifo=True`` hands out the one
    returned last (so that idle ones beyond the load time out server-side)."""

    def __init__(
        self,
        creator: Callable[[], Any],
        dialect: Dialect,
        dispatch: Dispatcher,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pool_timeout: float = 30.0,
        pool_recycle: float = -1,
        pool_pre_ping: bool = False,
        use_lifo: bool = False,
    ) -> None:
        super().__init__(
            creator, dialect, dispatch, pool_recycle=pool_recycle, pool_pre_ping=pool_pre_ping
        )
        self._use_lifo = use_lifo
        if pool_size < 0:
            raise exc.ArgumentError(f"pool_size must be >= 0, got {pool_size}")
        self._size = pool_size
        self._max_overflow = max_overflow
        self._timeout = pool_timeout
        self._idle: deque[ConnectionRecord] = deque()
        self._open = 0  # connections that exist: idle + checked out
        self._out = 0
        self._cond = threading.Condition(threading.Lock())

    def _limit(self) -> int | None:
        return None if self._max_overflow < 0 else self._size + self._max_overflow

    def connect(self) -> PooledConnection:
        """Check out a connection, opening one if the limits allow.

        Raises ``exc.TimeoutError`` when ``pool_size + max_overflow`` connections stay
        checked out for ``pool_timeout`` seconds."""
        deadline = time.monotonic() + self._timeout
        cond = self._cond
        while True:
            record: ConnectionRecord | None = None
            with cond:
                while True:
                    if self._idle:
                        record = self._idle.pop() if self._use_lifo else self._idle.popleft()
                        break
                    limit = self._limit()
                    if limit is None or self._open < limit:
                        self._open += 1
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not cond.wait(remaining):
                        if self._idle or (limit is not None and self._open < limit):
                            continue
                        raise exc.TimeoutError(
                            f"QueuePool limit of size {self._size} overflow "
                            f"{self._max_overflow} reached: no connection came back within "
                            f"{_seconds(self._timeout)}. Close sessions and connections "
                            "when done with them, or raise pool_size / max_overflow / "
                            "pool_timeout in create_engine()"
                        )
                self._out += 1
            if record is None:
                try:
                    record = self._new_record()
                except BaseException:
                    with cond:
                        self._open -= 1
                        self._out -= 1
                        cond.notify()
                    raise
                return self._checked_out(record)
            if self._usable(record):
                return self._checked_out(record)
            # Stale or dead: replace it in place, keeping our slot.
            self._discard(record)
            try:
                record = self._new_record()
            except BaseException:
                with cond:
                    self._open -= 1
                    self._out -= 1
                    cond.notify()
                raise
            return self._checked_out(record)

    def _checkout_failed(self, record: ConnectionRecord) -> None:
        # A listener may have half-configured the connection: discard it.
        with self._cond:
            self._out -= 1
            self._open -= 1
            self._cond.notify()
        self._discard(record)

    def _return(self, record: ConnectionRecord) -> None:
        self._reset(record)
        try:
            self._fire_checkin(record)
        except BaseException:
            record.invalidated = True  # the listener's work is unknown: discard it
            self._put_back(record)
            raise
        self._put_back(record)

    def _put_back(self, record: ConnectionRecord) -> None:
        discard = False
        with self._cond:
            self._out -= 1
            if (
                record.invalidated
                or record.generation != self._generation
                or len(self._idle) >= self._size
            ):
                self._open -= 1
                discard = True
            else:
                self._idle.append(record)
            self._cond.notify()
        if discard:
            self._discard(record)

    def dispose(self) -> None:
        """Close every idle connection; checked-out ones close when they come back."""
        with self._cond:
            idle = list(self._idle)
            self._idle.clear()
            self._open -= len(idle)
            self._generation += 1
            self._cond.notify_all()
        for record in idle:
            self._discard(record)

    def recreate(self) -> QueuePool:
        """A new, empty pool with the same size, overflow, timeout and recycle settings."""
        return QueuePool(
            self._creator,
            self._dialect,
            self._dispatch,
            pool_size=self._size,
            max_overflow=self._max_overflow,
            pool_timeout=self._timeout,
            pool_recycle=self._recycle,
            pool_pre_ping=self._pre_ping,
        )

    def size(self) -> int:
        """``pool_size``: how many connections the pool keeps open."""
        return self._size

    def checkedin(self) -> int:
        """Idle connections in the pool right now."""
        return len(self._idle)

    def checkedout(self) -> int:
        """Connections checked out right now."""
        return self._out

    def overflow(self) -> int:
        """Connections open beyond ``pool_size`` right now."""
        return max(0, self._open - self._size)

    def status(self) -> str:
        """Size, overflow and checked-in / checked-out counts on one line."""
        return (
            f"QueuePool size={self._size} max_overflow={self._max_overflow} "
            f"checked in={self.checkedin()} checked out={self.checkedout()} "
            f"overflow={self.overflow()}"
        )


class StaticPool(Pool):
    """One connection for every checkout (``sqlite://`` in-memory databases).

    The database lives only as long as that connection, so it is never closed on return.
    Checkouts from one thread share it; another thread waits until that thread has
    returned every checkout, so the connection is used by one thread at a time.
    """

    shares_connection = True

    def __init__(
        self,
        creator: Callable[[], Any],
        dialect: Dialect,
        dispatch: Dispatcher,
        *,
        pool_timeout: float = 30.0,
    ) -> None:
        super().__init__(creator, dialect, dispatch)
        self._record: ConnectionRecord | None = None
        self._out = 0
        self._owner: int | None = None
        self._timeout = pool_timeout
        self._cond = threading.Condition(threading.Lock())

    def connect(self) -> PooledConnection:
        """Check out the one shared connection, waiting up to ``pool_timeout`` while another
        thread holds it (raises ``exc.TimeoutError``)."""
        me = threading.get_ident()
        deadline = time.monotonic() + self._timeout
        with self._cond:
            while self._out and self._owner != me:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    if self._out and self._owner != me:
                        raise exc.TimeoutError(
                            "the in-memory SQLite connection stayed in use by another thread "
                            f"for {_seconds(self._timeout)}; use a database file to work "
                            "from several threads at once"
                        )
            if self._record is None or self._record.invalidated:
                if self._record is not None:
                    self._discard(self._record)
                self._record = self._new_record()
            self._out += 1
            self._owner = me
            record = self._record
        return self._checked_out(record)

    def _checkout_failed(self, record: ConnectionRecord) -> None:
        # The connection holds the database: keep it, give the checkout back.
        self._release_checkout()

    def _release_checkout(self) -> None:
        with self._cond:
            self._out -= 1
            if self._out == 0:
                self._owner = None
                self._cond.notify_all()

    def _return(self, record: ConnectionRecord) -> None:
        with self._cond:
            last = self._out == 1
        try:
            if last:
                self._reset(record)
            self._fire_checkin(record)
        finally:
            self._release_checkout()

    def dispose(self) -> None:
        """Close the shared connection; the next ``connect()`` opens a new one."""
        with self._cond:
            if self._record is not None:
                self._discard(self._record)
                self._record = None

    def invalidate_all(self) -> None:
        if self._record is not None:
            self._record.invalidated = True

    def recreate(self) -> StaticPool:
        """A new pool with its own (new) connection and the same timeout."""
        return StaticPool(self._creator, self._dialect, self._dispatch, pool_timeout=self._timeout)

    def size(self) -> int:
        """Always 1: one connection shared by every checkout."""
        return 1

    def checkedin(self) -> int:
        """1 when the shared connection is idle, else 0."""
        return 1 if self._record is not None and self._out == 0 else 0

    def checkedout(self) -> int:
        """1 while the shared connection is checked out, else 0."""
        return self._out

    def overflow(self) -> int:
        """Always 0."""
        return 0


class NullPool(Pool):
    """No pooling: every checkout opens a new DBAPI connection and every return closes it
    (``create_engine(url, poolclass=NullPool)``, e.g. behind an external pooler)."""

    def connect(self) -> PooledConnection:
        """Open a new connection and check it out."""
        return self._checked_out(self._new_record())

    def _checkout_failed(self, record: ConnectionRecord) -> None:
        self._discard(record)

    def _return(self, record: ConnectionRecord) -> None:
        try:
            self._reset(record)
            self._fire_checkin(record)
        finally:
            self._discard(record)

    def dispose(self) -> None:
        """Nothing to close: no connection is kept."""

    def recreate(self) -> NullPool:
        """A new pool with the same recycle and pre-ping settings."""
        return NullPool(
            self._creator,
            self._dialect,
            self._dispatch,
            pool_recycle=self._recycle,
            pool_pre_ping=self._pre_ping,
        )


class SingletonThreadPool(Pool):
    """One connection per thread (SQLAlchemy's ``SingletonThreadPool``): every checkout of
    a thread gets that thread's connection, which is never used by another thread and
    stays open when returned. Past ``pool_size`` threads' connections, the idle ones of
    other threads are closed.
    """

    shares_connection = True

    def __init__(
        self,
        creator: Callable[[], Any],
        dialect: Dialect,
        dispatch: Dispatcher,
        *,
        pool_size: int = 5,
    ) -> None:
        super().__init__(creator, dialect, dispatch)
        self._size = pool_size
        #: per thread ident: its connection and how many checkouts hold it
        self._records: dict[int, list[Any]] = {}
        self._lock = threading.Lock()

    def connect(self) -> PooledConnection:
        """Check out this thread's connection (opened on the thread's first checkout)."""
        me = threading.get_ident()
        with self._lock:
            entry = self._records.get(me)
            if entry is not None and entry[0].invalidated:
                if entry[1] == 0:
                    self._discard(entry[0])
                    entry = None
            if entry is None:
                entry = self._records[me] = [self._new_record(), 0]
                self._cleanup(me)
            entry[1] += 1
            record: ConnectionRecord = entry[0]
        return self._checked_out(record)

    def _cleanup(self, me: int) -> None:
        """Close idle connections of other threads while more than ``pool_size`` are open
        (a connection another thread holds is left alone)."""
        for ident in list(self._records):
            if len(self._records) <= self._size:
                return
            entry = self._records[ident]
            if ident != me and entry[1] == 0:
                del self._records[ident]
                self._discard(entry[0])

    def _checkout_failed(self, record: ConnectionRecord) -> None:
        self._release(record)

    def _release(self, record: ConnectionRecord) -> bool:
        """Give back one checkout of ``record``; True when it was the thread's last."""
        with self._lock:
            for entry in self._records.values():
                if entry[0] is record:
                    entry[1] -= 1
                    return bool(entry[1] == 0)
        return True

    def _return(self, record: ConnectionRecord) -> None:
        with self._lock:
            last = any(e[0] is record and e[1] == 1 for e in self._records.values())
        try:
            if last:
                self._reset(record)
            self._fire_checkin(record)
        finally:
            self._release(record)

    def dispose(self) -> None:
        """Close every thread's idle connection; the next checkout opens a new one."""
        with self._lock:
            for ident, entry in list(self._records.items()):
                if entry[1] == 0:
                    del self._records[ident]
                    self._discard(entry[0])

    def invalidate_all(self) -> None:
        with self._lock:
            for entry in self._records.values():
                entry[0].invalidated = True

    def recreate(self) -> SingletonThreadPool:
        """A new, empty pool with the same ``pool_size``."""
        return SingletonThreadPool(
            self._creator, self._dialect, self._dispatch, pool_size=self._size
        )

    def size(self) -> int:
        """The number of threads' connections kept (``pool_size``)."""
        return self._size

    def checkedout(self) -> int:
        """How many threads hold their connection checked out."""
        with self._lock:
            return sum(1 for e in self._records.values() if e[1])


class AssertionPool(Pool):
    """At most one checkout at a time (SQLAlchemy's ``AssertionPool``, for tests that
    must not open a second connection): a second concurrent checkout raises
    ``AssertionError``. The one connection is kept between checkouts."""

    def __init__(self, creator: Callable[[], Any], dialect: Dialect, dispatch: Dispatcher) -> None:
        super().__init__(creator, dialect, dispatch)
        self._record: ConnectionRecord | None = None
        self._out = False
        self._lock = threading.Lock()

    def connect(self) -> PooledConnection:
        """Check out the connection.

        Raises:
            AssertionError: it is checked out already.
        """
        with self._lock:
            if self._out:
                raise AssertionError("connection is already checked out (AssertionPool)")
            if self._record is not None and self._record.invalidated:
                self._discard(self._record)
                self._record = None
            if self._record is None:
                self._record = self._new_record()
            self._out = True
            record = self._record
        return self._checked_out(record)

    def _checkout_failed(self, record: ConnectionRecord) -> None:
        self._out = False

    def _return(self, record: ConnectionRecord) -> None:
        try:
            self._reset(record)
            self._fire_checkin(record)
        finally:
            self._out = False

    def dispose(self) -> None:
        """Close the connection when it is not checked out."""
        with self._lock:
            if self._record is not None and not self._out:
                self._discard(self._record)
                self._record = None

    def invalidate_all(self) -> None:
        if self._record is not None:
            self._record.invalidated = True

    def recreate(self) -> AssertionPool:
        """A new, empty pool."""
        return AssertionPool(self._creator, self._dialect, self._dispatch)

    def checkedout(self) -> int:
        """1 while the connection is checked out, else 0."""
        return int(self._out)


__all__ = [
    "AssertionPool",
    "ConnectionRecord",
    "NullPool",
    "Pool",
    "PooledConnection",
    "QueuePool",
    "SingletonThreadPool",
    "StaticPool",
]
