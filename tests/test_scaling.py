"""Scale-out on PostgreSQL: sessions that read from a streaming replica and see their own
writes, read-only sessions, and ``run_transaction`` retries. Against a real primary and a
real hot standby started by the tests (tests/pgreplica.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pgreplica import PgReplica
from pgserver import PgServer

from uow_orm import (
    Column,
    Integer,
    Session,
    String,
    create_engine,
    declarative_base,
    event,
    exc,
    select,
    sessionmaker,
    text,
)
from uow_orm.orm.retry import run_transaction
from uow_orm.orm.routing import ReplicaSet, lsn_value

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)


class Account(Base):
    __tablename__ = "accounts"
    id = Column(Integer, primary_key=True, autoincrement=False)
    balance = Column(Integer, nullable=False)


@pytest.fixture(scope="module")
def replica(pg_server: PgServer) -> Iterator[PgReplica]:
    standby = PgReplica(pg_server).start()
    yield standby
    standby.stop()


@pytest.fixture
def cluster(pg_url: str, replica: PgReplica) -> Iterator[tuple[Any, Any]]:
    primary = create_engine(pg_url)
    Base.metadata.create_all(primary)
    dbname = pg_url.rsplit("/", 1)[1]
    replica.wait_for_database(dbname)
    standby = create_engine(replica.url(dbname))
    _wait_caught_up(primary, standby)
    yield primary, standby
    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    standby.dispose()
    primary.dispose()


def _wait_caught_up(primary: Any, standby: Any, timeout: float = 20.0) -> None:
    with primary.connect() as conn:
        target = lsn_value(str(conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()))
    deadline = time.monotonic() + timeout
    while True:
        with standby.connect() as conn:
            replayed = conn.execute(text("SELECT pg_last_wal_replay_lsn()")).scalar()
        if replayed is not None and lsn_value(str(replayed)) >= target:
            return
        assert time.monotonic() < deadline, "replica did not catch up"
        time.sleep(0.02)


def _on_replica(session: Session) -> bool:
    return bool(session.execute(text("SELECT pg_is_in_recovery()")).scalar())


def test_reads_of_a_session_that_has_not_written_go_to_a_replica(cluster: Any) -> None:
    primary, standby = cluster
    with Session(primary, replicas=[standby]) as s:
        assert _on_replica(s)
        assert s.scalars(select(Item)).all() == []


def test_after_a_flush_the_transaction_stays_on_the_primary(cluster: Any) -> None:
    primary, standby = cluster
    with Session(primary, replicas=[standby]) as s:
        s.add(Item(name="a"))
        s.flush()
        assert not _on_replica(s)
        assert [i.name for i in s.scalars(select(Item))] == ["a"]  # the uncommitted row
        s.commit()
    with Session(primary) as s:
        assert [i.name for i in s.scalars(select(Item))] == ["a"]


def test_select_for_update_and_dml_go_to_the_primary(cluster: Any) -> None:
    primary, standby = cluster
    with Session(primary) as s:
        s.add(Item(id=1, name="a"))
        s.commit()
    _wait_caught_up(primary, standby)
    with Session(primary, replicas=[standby]) as s:
        item = s.scalars(select(Item).with_for_update()).one()
        assert not _on_replica(s)
        item.name = "b"
        s.commit()
    with Session(primary, replicas=[standby]) as s:
        s.get(Item, 1, with_for_update=True)
        assert not _on_replica(s)


def test_read_your_writes_never_reads_stale_data_from_a_lagging_replica(cluster: Any) -> None:
    primary, standby = cluster
    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
    factory = sessionmaker(primary, replicas=ReplicaSet(standby, wait=0.2))
    with factory() as writer:
        writer.add(Item(id=7, name="mine"))
        writer.commit()
        token = writer.replica_token
    assert token is not None
    # The same session reads its own write: the replica has not replayed it, so after
    # waiting up to replica_wait the read goes to the primary.
    with factory(replica_token=token) as reader:
        assert reader.get(Item, 7).name == "mine"
        assert not _on_replica(reader)
    # A session without the token reads the lagging replica, which does not have the row.
    with factory() as other:
        assert _on_replica(other)
        assert other.get(Item, 7) is None
    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    # Once the replica has replayed the write, the token's reads go to the replica (a
    # longer wait: the WAL is flushed and streamed within a fraction of a second).
    patient = sessionmaker(primary, replicas=ReplicaSet(standby, wait=10.0))
    with patient(replica_token=token) as reader:
        assert reader.get(Item, 7).name == "mine"
        assert _on_replica(reader)


def test_the_session_keeps_its_token_across_transactions(cluster: Any) -> None:
    primary, standby = cluster
    with standby.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
    with Session(primary, replicas=ReplicaSet(standby, wait=0.05)) as s:
        s.add(Item(id=3, name="x"))
        s.commit()
        assert s.get(Item, 3).name == "x"  # a new transaction, still sees its write
        assert not _on_replica(s)


def test_a_failing_replica_is_skipped(cluster: Any) -> None:
    primary, standby = cluster
    from pgserver import free_port

    dead = create_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    replicas = ReplicaSet(dead, standby, retry_after=60)
    for _ in range(3):
        with Session(primary, replicas=replicas) as s:
            assert _on_replica(s)
    assert replicas.candidates() == [standby]
    dead.dispose()


def test_least_lag_policy_prefers_the_replica_that_replayed_more(cluster: Any) -> None:
    primary, standby = cluster
    replicas = ReplicaSet(standby, policy="least_lag")
    with Session(primary, replicas=replicas) as s:
        assert _on_replica(s)


def test_read_only_sessions_refuse_writes(cluster: Any) -> None:
    primary, _standby = cluster
    with Session(primary, read_only=True) as s:
        s.add(Item(name="nope"))
        with pytest.raises(exc.InvalidRequestError, match="read-only"):
            s.flush()
        s.rollback()
        # Writes that bypass the ORM meet a READ ONLY transaction in the database.
        with pytest.raises(exc.DBAPIError) as info:
            s.execute(text("INSERT INTO items (name) VALUES ('sql')"))
        assert info.value.code == "25006"
    with Session(primary) as s:
        assert s.scalars(select(Item)).all() == []


def test_bad_replica_arguments_are_refused(cluster: Any, tmp_path: Any) -> None:
    primary, standby = cluster
    sqlite = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(exc.ArgumentError, match="PostgreSQL only"):
        Session(primary, replicas=[sqlite])
    with pytest.raises(exc.ArgumentError, match="policy"):
        ReplicaSet(standby, policy="random")
    with pytest.raises(exc.ArgumentError, match="WAL position"):
        Session(primary, replicas=[standby], replica_token="yesterday")
    with pytest.raises(exc.ArgumentError, match="bind="):
        Session(replicas=[standby])


# -- retries --------------------------------------------------------------------------------
def test_serializable_transfers_with_retries_match_a_client_ledger(pg_url: str) -> None:
    engine = create_engine(pg_url, isolation_level="SERIALIZABLE", pool_size=4)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Account(id=i, balance=1000) for i in range(4)])
        s.commit()
    factory = sessionmaker(engine)
    ledger = {i: 1000 for i in range(4)}
    lock = threading.Lock()
    errors: list[BaseException] = []
    attempts = {"n": 0}

    def transfer(src: int, dst: int, amount: int) -> None:
        def work(session: Session) -> None:
            attempts["n"] += 1
            a = session.get(Account, src)
            b = session.get(Account, dst)
            a.balance -= amount
            b.balance += amount

        run_transaction(factory, work, max_retries=50, backoff=0.001, max_backoff=0.02)
        with lock:
            ledger[src] -= amount
            ledger[dst] += amount

    def worker(k: int) -> None:
        try:
            for j in range(15):
                transfer((k + j) % 4, (k + j + 1) % 4, 1 + (j % 3))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as s:
        assert {a.id: a.balance for a in s.scalars(select(Account))} == ledger
    assert attempts["n"] >= 60  # every transfer ran; conflicts ran again
    engine.dispose()


def test_errors_that_are_not_transient_are_not_retried(pg_url: str) -> None:
    engine = create_engine(pg_url)
    Base.metadata.create_all(engine)
    calls = []

    def work(session: Session) -> None:
        calls.append(1)
        session.add(Account(id=1, balance=1))
        session.add(Account(id=1, balance=2))

    with pytest.raises(exc.IntegrityError):
        run_transaction(sessionmaker(engine), work)
    assert len(calls) == 1
    engine.dispose()


def _kill_on(engine: Any, pg_url: str, statement: str, times: int) -> dict[str, int]:
    """Terminate the backend just before ``statement`` is sent, ``times`` times."""
    import psycopg

    left = {"n": times}

    def before(conn: Any, sql: str, params: Any, many: bool) -> None:
        if left["n"] and sql.strip().upper().startswith(statement):
            left["n"] -= 1
            pid = conn.connection.info.backend_pid
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    event.listen(engine, "before_cursor_execute", before)
    return left


def test_a_connection_lost_before_commit_is_retried(pg_url: str) -> None:
    engine = create_engine(pg_url)
    Base.metadata.create_all(engine)
    _kill_on(engine, pg_url, "INSERT", times=1)
    run_transaction(sessionmaker(engine), lambda s: s.add(Account(id=5, balance=50)))
    with Session(engine) as s:
        assert s.get(Account, 5).balance == 50
    engine.dispose()


def test_a_connection_lost_during_commit_is_ambiguous_and_not_retried(pg_url: str) -> None:
    engine = create_engine(pg_url)
    Base.metadata.create_all(engine)
    _kill_on(engine, pg_url, "COMMIT", times=1)
    calls = []

    def work(session: Session) -> None:
        calls.append(1)
        session.add(Account(id=6, balance=60))

    with pytest.raises(exc.AmbiguousCommitError) as info:
        run_transaction(sessionmaker(engine), work)
    assert isinstance(info.value.__cause__, exc.DBAPIError)
    assert len(calls) == 1
    engine.dispose()


def test_read_only_session_on_sqlite_refuses_flush(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    Base.metadata.create_all(engine)
    with Session(engine, read_only=True) as s:
        s.add(Item(name="x"))
        with pytest.raises(exc.InvalidRequestError, match="read-only"):
            s.commit()
    engine.dispose()
