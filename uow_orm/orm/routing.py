"""Read replicas and read-only sessions: which engine a session's transaction talks to.

Called only by ``Session`` (its connection lookup, flush, commit and rollback). A session
created with ``replicas=`` sends the reads of a transaction that has not written to a
replica, and everything else to the primary; with read-your-writes it reads from a replica
only once that replica has replayed the primary's WAL up to the session's last commit.

Called by: session (``Session(replicas=...)``), factory (``sessionmaker(replicas=...)``).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..engine.base import Engine
from ..sql.elements import text

if TYPE_CHECKING:
    from ..engine.base import Connection
    from .transaction import SessionTransaction

log = logging.getLogger("uow_orm.engine")

POLICIES = ("round_robin", "least_lag")


def lsn_value(lsn: str) -> int:
    """A PostgreSQL WAL position ``"16/B374D848"`` as an integer, for comparing."""
    high, _, low = lsn.partition("/")
    try:
        return (int(high, 16) << 32) + int(low, 16)
    except ValueError:
        raise exc.ArgumentError(
            f"{lsn!r} is not a WAL position (expected e.g. '0/16B3748', as "
            "session.replica_token gives)"
        ) from None


class ReplicaSet:
    """Read replicas of one primary, shared by the sessions of a ``sessionmaker``.

    ``policy`` is ``"round_robin"`` (replicas in turn) or ``"least_lag"`` (the one that
    has replayed the most WAL; one query per replica per read transaction). ``wait`` is
    how long a read-your-writes read waits for a replica to catch up before it goes to the
    primary instead; a replica that fails to connect is skipped for ``retry_after`` seconds.
    """

    def __init__(
        self,
        *replicas: Engine,
        policy: str = "round_robin",
        wait: float = 1.0,
        retry_after: float = 5.0,
    ) -> None:
        if not replicas:
            raise exc.ArgumentError("ReplicaSet needs at least one replica engine")
        if policy not in POLICIES:
            raise exc.ArgumentError(f"replica policy must be one of {POLICIES}, got {policy!r}")
        for engine in replicas:
            if engine.dialect.name != "postgresql":
                raise exc.ArgumentError(
                    f"read replicas are supported on PostgreSQL only, got a "
                    f"{engine.dialect.name} engine ({engine})"
                )
        if wait < 0 or retry_after < 0:
            raise exc.ArgumentError("wait and retry_after must be >= 0 seconds")
        self.replicas = list(replicas)
        self.policy = policy
        self.wait = wait
        self.retry_after = retry_after
        self._turn = itertools.count()
        self._down_until: dict[Engine, float] = {}
        self._lock = threading.Lock()

    def candidates(self) -> list[Engine]:
        """Replicas not marked down, in the order the policy tries them."""
        now = time.monotonic()
        with self._lock:
            up = [r for r in self.replicas if self._down_until.get(r, 0.0) <= now]
            if not up:
                return []
            start = next(self._turn) % len(up)
        return up[start:] + up[:start]

    def mark_down(self, engine: Engine, err: BaseException) -> None:
        """Skip replica ``engine`` for ``retry_after`` seconds after it failed with ``err``."""
        with self._lock:
            self._down_until[engine] = time.monotonic() + self.retry_after
        log.warning("replica %s failed (%s); skipped for %.1f s", engine, err, self.retry_after)

    def __repr__(self) -> str:
        return f"ReplicaSet({len(self.replicas)} replicas, policy={self.policy!r})"


def _replayed(conn: Connection) -> int | None:
    value = conn.execute(text("SELECT pg_last_wal_replay_lsn()")).scalar()
    return None if value is None else lsn_value(str(value))


class Router:
    """Per session: the engine of the current transaction, whether it wrote, and the
    read-your-writes token. Also the read-only guard."""

    def __init__(
        self,
        primary: Engine | None,
        replicas: ReplicaSet | None,
        *,
        read_your_writes: bool,
        token: str | None,
        read_only: bool,
    ) -> None:
        if replicas is not None and primary is None:
            raise exc.ArgumentError("replicas= needs the primary engine as bind=")
        self.primary = primary
        self.replicas = replicas
        self.read_your_writes = read_your_writes
        self.read_only = read_only
        self.token = token
        if token is not None:
            lsn_value(token)  # refuse a malformed token now, not on the first read
        self._reading_from: Engine | None = None
        self._wrote = False
        self._read_only_conns: set[int] = set()

    # -- the session tells ------------------------------------------------------------
    def writing(self, what: str) -> None:
        """The transaction is about to write (a flush, DML, SELECT ... FOR UPDATE)."""
        if self.read_only:
            raise exc.InvalidRequestError(
                f"this Session is read-only (read_only=True): {what} is not allowed"
            )
        self._wrote = True

    def transaction_ended(self, committed: bool) -> None:
        wrote, self._wrote = self._wrote, False
        self._reading_from = None
        self._read_only_conns.clear()
        if committed and wrote and self.replicas is not None and self.read_your_writes:
            assert self.primary is not None
            with self.primary.connect() as conn:
                # The insert position: with synchronous_commit=off the commit record may not
                # be written yet, and pg_current_wal_lsn() (the write position) would
                # stop short of it.
                self.token = str(conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar())

    # -- choosing the connection ------------------------------------------------------
    def connection(self, txn: SessionTransaction, bind: Engine, writing: bool) -> Connection:
        """The connection for ``bind`` (the session's primary) in this transaction."""
        engine = bind
        if self.replicas is not None and not (writing or self._wrote):
            engine = self._reading_from or self._choose_replica(txn) or bind
            self._reading_from = engine
        conn = txn.connection_for(engine)
        if self.read_only and id(conn) not in self._read_only_conns:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            self._read_only_conns.add(id(conn))
        return conn

    def _choose_replica(self, txn: SessionTransaction) -> Engine | None:
        assert self.replicas is not None
        needed = lsn_value(self.token) if self.read_your_writes and self.token else None
        candidates = self.replicas.candidates()
        if self.replicas.policy == "least_lag" and len(candidates) > 1:
            candidates = self._by_replay(candidates)
        for engine in candidates:
            try:
                conn = txn.connection_for(engine)
                if needed is None or self._caught_up(conn, needed, engine):
                    log.info("read transaction routed to replica %s", engine)
                    return engine
            except exc.DBAPIError as err:
                if not (err.connection_invalidated or isinstance(err, exc.OperationalError)):
                    raise
                self.replicas.mark_down(engine, err)
        log.info("read transaction routed to the primary (no replica has the session's writes)")
        return None

    def _by_replay(self, candidates: Sequence[Engine]) -> list[Engine]:
        ranked: list[tuple[int, int, Engine]] = []
        for i, engine in enumerate(candidates):
            try:
                with engine.connect() as conn:
                    ranked.append((-(_replayed(conn) or 0), i, engine))
            except exc.DBAPIError as err:
                assert self.replicas is not None
                self.replicas.mark_down(engine, err)
        return [e for _lag, _i, e in sorted(ranked, key=lambda t: (t[0], t[1]))]

    def _caught_up(self, conn: Connection, needed: int, engine: Engine) -> bool:
        assert self.replicas is not None
        deadline = time.monotonic() + self.replicas.wait
        while True:
            replayed = _replayed(conn)
            if replayed is not None and replayed >= needed:
                return True
            lag = needed - (replayed or 0)
            if time.monotonic() >= deadline:
                log.info("replica %s is %d WAL bytes behind the session's writes", engine, lag)
                return False
            time.sleep(0.005)


def make_replica_set(replicas: Any) -> ReplicaSet | None:
    """``replicas=`` as given to a Session or sessionmaker: a ReplicaSet, a list of
    engines, or None."""
    if replicas is None or isinstance(replicas, ReplicaSet):
        return replicas
    if isinstance(replicas, (list, tuple)):
        return ReplicaSet(*replicas)
    raise exc.ArgumentError(
        f"replicas= takes a list of engines or a ReplicaSet, got {type(replicas).__name__}"
    )


def make_router(
    bind: Any, replicas: Any, read_your_writes: bool, token: str | None, read_only: bool
) -> Router | None:
    """The Router of a new Session, or None when it has neither replicas nor read_only.

    Raises:
        ArgumentError: ``replicas`` without an Engine as ``bind``, or of the wrong type.
    """
    replica_set = make_replica_set(replicas)
    if replica_set is not None and not isinstance(bind, Engine):
        raise exc.ArgumentError("replicas= needs the primary Engine as bind=")
    if replica_set is None and not read_only:
        return None
    return Router(
        bind if isinstance(bind, Engine) else None,
        replica_set,
        read_your_writes=read_your_writes,
        token=token,
        read_only=read_only,
    )


__all__ = ["ReplicaSet", "Router", "lsn_value", "make_replica_set", "make_router"]
