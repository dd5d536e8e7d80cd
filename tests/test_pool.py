"""The connection pool: limits and timeouts, thread safety, reset on return, recycling,
pre-ping and invalidation of broken connections, and the shared ``sqlite://`` connection.

Issue 2 (foundation). Server-side failures (killed backends, restarts) are PostgreSQL-only.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg
import pytest

from uow_orm import create_engine, event, exc, text


@pytest.fixture
def make_engine(db_url):
    """``make_engine(**kw)`` -> an engine on the test database; disposed after the test."""
    engines = []

    def make(url=None, **kw):
        eng = create_engine(url or db_url, **kw)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


@pytest.fixture
def make_pg_engine(pg_url):
    engines = []

    def make(**kw):
        eng = create_engine(pg_url, **kw)
        engines.append(eng)
        return eng

    yield make
    for eng in engines:
        eng.dispose()


def count_connects(engine):
    connects = []
    event.listen(engine, "connect", lambda *args: connects.append(1))
    return connects


def backend_pid(conn):
    return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def terminate_backend(pg_server, pid):
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "backend did not go away"
            time.sleep(0.02)


# -- limits and timeout ---------------------------------------------------------------------
def test_pool_exhaustion_times_out_with_clear_error(make_engine):
    eng = make_engine(pool_size=2, max_overflow=1, pool_timeout=0.5)
    held = [eng.connect() for _ in range(3)]
    try:
        started = time.monotonic()
        with pytest.raises(exc.TimeoutError) as info:
            eng.connect()
        waited = time.monotonic() - started
        assert 0.4 <= waited < 5
        message = str(info.value)
        assert "pool_size" in message
        assert "max_overflow" in message
        assert "2" in message and "1" in message
        assert isinstance(info.value, exc.OrmError)
    finally:
        for conn in held:
            conn.close()
    assert eng.pool.checkedout() == 0
    # Recovers once connections are back.
    with eng.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_waiting_checkout_gets_the_connection_another_thread_returns(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=10)
    first = eng.connect()
    first.execute(text("SELECT 1"))
    releaser = threading.Timer(0.3, first.close)
    releaser.start()
    try:
        started = time.monotonic()
        with eng.connect() as second:
            assert second.execute(text("SELECT 2")).scalar() == 2
        assert time.monotonic() - started < 5
    finally:
        releaser.join()
    assert eng.pool.checkedout() == 0


def test_pool_counts_size_checkedout_checkedin_overflow(make_engine):
    eng = make_engine(pool_size=2, max_overflow=2, pool_timeout=5)
    pool = eng.pool
    assert pool.size() == 2
    assert pool.checkedout() == 0
    assert pool.checkedin() == 0
    conns = [eng.connect() for _ in range(3)]
    assert pool.checkedout() == 3
    assert pool.overflow() == 1
    conns.append(eng.connect())
    assert pool.checkedout() == 4
    assert pool.overflow() == 2
    assert pool.checkedin() == 0
    for conn in conns:
        conn.close()
    # Overflow connections are closed; pool_size of them stay for reuse.
    assert pool.checkedout() == 0
    assert pool.checkedin() == 2
    assert pool.overflow() == 0
    assert pool.size() == 2


def test_pool_connect_hands_out_driver_connections(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0)
    raw = eng.pool.connect()
    assert eng.pool.checkedout() == 1
    cur = raw.cursor()
    cur.execute("SELECT 7")
    assert cur.fetchone()[0] == 7
    cur.close()
    raw.close()
    assert eng.pool.checkedout() == 0
    assert eng.pool.checkedin() == 1


# -- thread safety --------------------------------------------------------------------------
@pytest.mark.concurrency
def test_eight_threads_share_a_pool_of_four_without_errors_or_leaks(make_engine):
    eng = make_engine(pool_size=4, max_overflow=0, pool_timeout=30)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE hits (thread INTEGER, n INTEGER, PRIMARY KEY (thread, n))"))

    lock = threading.Lock()
    out = {"now": 0, "max": 0}

    def on_checkout(*args):
        with lock:
            out["now"] += 1
            out["max"] = max(out["max"], out["now"])

    def on_checkin(*args):
        with lock:
            out["now"] -= 1

    event.listen(eng, "checkout", on_checkout)
    event.listen(eng, "checkin", on_checkin)

    errors = []
    barrier = threading.Barrier(8)

    def work(thread_no):
        try:
            barrier.wait()
            for n in range(25):
                with eng.begin() as conn:
                    conn.execute(
                        text("INSERT INTO hits (thread, n) VALUES (:t, :n)"),
                        {"t": thread_no, "n": n},
                    )
                    mine = conn.execute(
                        text("SELECT count(*) FROM hits WHERE thread = :t"), {"t": thread_no}
                    ).scalar()
                    assert mine == n + 1
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert eng.scalar(text("SELECT count(*) FROM hits")) == 200
    assert eng.pool.checkedout() == 0
    assert out["now"] == 0
    assert out["max"] <= 4
    assert eng.pool.checkedin() <= 4


# -- reset on return ------------------------------------------------------------------------
def test_connection_returned_with_uncommitted_work_is_rolled_back(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    connects = count_connects(eng)
    conn = eng.connect()
    conn.execute(text("INSERT INTO t (x) VALUES (1)"))
    assert conn.in_transaction()
    conn.close()
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    assert connects == []  # no new driver connection: the same one was reused


def test_raw_connection_returned_inside_a_transaction_is_rolled_back(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    connects = count_connects(eng)
    raw = eng.raw_connection()
    cur = raw.cursor()
    cur.execute("BEGIN")
    cur.execute("INSERT INTO t (x) VALUES (1)")
    cur.close()
    raw.close()
    with eng.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
        conn.execute(text("INSERT INTO t (x) VALUES (2)"))
        conn.commit()
    assert eng.scalar(text("SELECT count(*) FROM t")) == 1
    assert connects == []


# -- recycle, dispose, recreate -------------------------------------------------------------
def test_pool_recycle_replaces_connections_older_than_the_limit(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0, pool_recycle=1)
    connects = count_connects(eng)
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
    with eng.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(connects) == 1
    time.sleep(1.2)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert len(connects) == 2


def test_connections_are_reused_without_recycle(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0)
    connects = count_connects(eng)
    for _ in range(5):
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert len(connects) == 1


def test_dispose_and_recreate(make_engine):
    eng = make_engine(pool_size=3, max_overflow=1, pool_timeout=7)
    connects = count_connects(eng)
    conns = [eng.connect() for _ in range(2)]
    for conn in conns:
        conn.close()
    assert eng.pool.checkedin() == 2
    eng.pool.dispose()
    assert eng.pool.checkedin() == 0
    with eng.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert len(connects) == 3

    old = eng.pool
    new = old.recreate()
    try:
        assert new is not old
        assert new.size() == 3
        assert new.checkedout() == 0
        assert new.checkedin() == 0
        raw = new.connect()
        cur = raw.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone()[0] == 1
        cur.close()
        raw.close()
        assert new.checkedin() == 1
    finally:
        new.dispose()


# -- sqlite memory ----------------------------------------------------------------------------
def test_sqlite_memory_engine_shares_one_connection_across_connects():
    eng = create_engine("sqlite://")
    other = create_engine("sqlite://")
    try:
        with eng.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t (x) VALUES (1)"))
        with eng.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1
        assert eng.has_table("t")
        # Each sqlite:// engine is a private database.
        assert not other.has_table("t")
    finally:
        eng.dispose()
        other.dispose()


@pytest.mark.concurrency
def test_sqlite_memory_engine_usable_from_several_threads():
    eng = create_engine("sqlite://")
    try:
        with eng.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        errors = []
        barrier = threading.Barrier(4)

        def work(i):
            try:
                barrier.wait()
                for n in range(10):
                    with eng.begin() as conn:
                        conn.execute(text("INSERT INTO t (x) VALUES (:x)"), {"x": i * 100 + n})
                        time.sleep(0.005)  # hold the transaction so the threads overlap
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        assert eng.scalar(text("SELECT count(*) FROM t")) == 40
    finally:
        eng.dispose()


# -- broken connections (PostgreSQL) ----------------------------------------------------------
def test_pool_pre_ping_replaces_a_connection_whose_backend_was_killed(make_pg_engine, pg_server):
    eng = make_pg_engine(pool_size=1, max_overflow=0, pool_pre_ping=True)
    with eng.connect() as conn:
        old_pid = backend_pid(conn)
    terminate_backend(pg_server, old_pid)
    with eng.connect() as conn:
        new_pid = backend_pid(conn)
    assert new_pid != old_pid
    assert eng.pool.checkedout() == 0


def test_connection_broken_in_use_raises_wrapped_error_and_is_never_reused(
    make_pg_engine, pg_server
):
    eng = make_pg_engine(pool_size=1, max_overflow=0)
    connects = count_connects(eng)
    conn = eng.connect()
    old_pid = backend_pid(conn)
    conn.commit()
    terminate_backend(pg_server, old_pid)
    with pytest.raises(exc.DBAPIError) as info:
        conn.execute(text("SELECT 1"))
    assert isinstance(info.value.orig, psycopg.Error)
    assert info.value.connection_invalidated is True
    conn.close()
    assert eng.pool.checkedout() == 0
    for _ in range(3):
        with eng.connect() as fresh:
            assert backend_pid(fresh) != old_pid
    assert len(connects) == 2


def test_explicit_invalidate_discards_the_driver_connection(make_pg_engine):
    eng = make_pg_engine(pool_size=1, max_overflow=0)
    conn = eng.connect()
    old_pid = backend_pid(conn)
    conn.invalidate()
    conn.close()
    with eng.connect() as fresh:
        assert backend_pid(fresh) != old_pid


def test_server_restart_with_pre_ping_is_transparent(make_pg_engine, pg_server):
    eng = make_pg_engine(pool_size=2, max_overflow=0, pool_pre_ping=True)
    held = [eng.connect() for _ in range(2)]
    old_pids = {backend_pid(c) for c in held}
    for conn in held:
        conn.close()
    pg_server.restart()
    for _ in range(2):
        with eng.connect() as conn:
            assert backend_pid(conn) not in old_pids
    assert eng.pool.checkedout() == 0


def test_transaction_block_on_a_killed_backend_raises_the_wrapped_error(make_pg_engine, pg_server):
    eng = make_pg_engine(pool_size=1, max_overflow=0)
    with eng.connect() as conn:
        old_pid = backend_pid(conn)
    with pytest.raises(exc.DBAPIError) as info, eng.begin() as conn:
        terminate_backend(pg_server, old_pid)
        conn.execute(text("SELECT 1"))
    # The error from the statement comes out, not a second one from the rollback.
    assert info.value.statement is not None
    assert "SELECT 1" in info.value.statement
    assert eng.pool.checkedout() == 0
    with eng.connect() as conn:
        assert backend_pid(conn) != old_pid


def test_server_restart_invalidates_every_pooled_connection(make_pg_engine, pg_server):
    eng = make_pg_engine(pool_size=2, max_overflow=0)
    held = [eng.connect() for _ in range(2)]
    old_pids = {backend_pid(c) for c in held}
    for conn in held:
        conn.close()
    pg_server.restart()
    with eng.connect() as conn, pytest.raises(exc.DBAPIError) as info:
        conn.execute(text("SELECT 1"))
    assert info.value.connection_invalidated is True
    # As in SQLAlchemy, a disconnect error invalidates the whole pool: the other
    # connection made before the restart is not handed out either.
    for _ in range(2):
        with eng.connect() as conn:
            assert backend_pid(conn) not in old_pids


# -- listeners that raise (issue 11, item 6) --------------------------------------------------
class ListenerFailed(Exception):
    """Raised by a pool listener in the tests below."""


def failing_twice():
    left = [2]

    def listener(*args):
        if left[0]:
            left[0] -= 1
            raise ListenerFailed("listener failed")

    return listener


@pytest.mark.parametrize("name", ["connect", "checkout", "checkin"])
def test_a_raising_pool_listener_does_not_leak_the_pool_slot(make_engine, name):
    eng = make_engine(pool_size=2, max_overflow=0, pool_timeout=0.5)
    event.listen(eng, name, failing_twice())
    for _ in range(2):
        with pytest.raises(ListenerFailed):
            with eng.connect() as conn:
                conn.execute(text("SELECT 1"))
        assert eng.pool.checkedout() == 0
    # both slots are free: two connections at once, then more checkouts, all work
    held = [eng.connect(), eng.connect()]
    assert eng.pool.checkedout() == 2
    for conn in held:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        conn.close()
    for _ in range(3):
        with eng.connect() as conn:
            assert conn.execute(text("SELECT 2")).scalar() == 2
    assert eng.pool.checkedout() == 0
    assert eng.pool.checkedin() <= 2


def test_connection_whose_connect_listener_raised_is_closed_not_pooled(make_engine):
    eng = make_engine(pool_size=2, max_overflow=0)
    made = []

    @event.listens_for(eng, "connect")
    def remember_then_fail(dbapi_connection, connection_record):
        made.append(dbapi_connection)
        if len(made) == 1:
            raise ListenerFailed("first connection refused")

    with pytest.raises(ListenerFailed):
        eng.connect()
    with eng.connect() as conn:
        assert conn.connection.dbapi_connection is made[1]
    with pytest.raises((sqlite3.ProgrammingError, psycopg.Error)):  # closed by the pool
        made[0].cursor().execute("SELECT 1")


def test_connection_close_state_is_final_when_a_checkin_listener_raises(make_engine):
    eng = make_engine(pool_size=1, max_overflow=0, pool_timeout=0.5)
    event.listen(eng, "checkin", failing_twice())
    conn = eng.connect()
    with pytest.raises(ListenerFailed):
        conn.close()
    assert conn.closed
    conn.close()  # a second close is a no-op
    with pytest.raises(exc.ResourceClosedError):
        conn.execute(text("SELECT 1"))
    assert eng.pool.checkedout() == 0


@pytest.mark.parametrize("name", ["checkout", "checkin"])
def test_a_raising_listener_on_a_memory_engine_frees_it_for_other_threads(name):
    eng = create_engine("sqlite://", pool_timeout=1)
    try:
        with eng.begin() as conn:
            conn.execute(text("CREATE TABLE kept (x INTEGER)"))
        event.listen(eng, name, failing_twice())
        for _ in range(2):
            with pytest.raises(ListenerFailed):
                with eng.connect() as conn:
                    conn.execute(text("SELECT 1"))
            assert eng.pool.checkedout() == 0
        result = []
        worker = threading.Thread(
            target=lambda: result.append(eng.has_table("kept"))  # the same database
        )
        worker.start()
        worker.join(timeout=10)
        assert result == [True]
    finally:
        eng.dispose()
