"""Fault injection: lost connections, server restarts, timeouts, locked and read-only files.

PostgreSQL faults are real: the session's backend is killed with ``pg_terminate_backend`` from
an admin connection (before a flush, between two INSERT batches of one flush, between flush
and commit), the server is restarted under a pool, and ``statement_timeout`` /
``lock_timeout`` cancel statements of a flush.  SQLite faults: two writers on one file, a
read-only file, a size-limited (full) database.

Every case checks the same promises: a wrapped ``uow_orm.exc`` error that says what happened;
the session refuses further work with ``PendingRollbackError`` until ``rollback()``; the
database holds all of the transaction or none of it; the pool afterwards hands out only live
connections; and ``pool.checkedout()`` returns to 0.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    Text,
    create_engine,
    declarative_base,
    event,
    exc,
    inspect,
    relationship,
    select,
    text,
)

Base = declarative_base()


class Account(Base):
    __tablename__ = "fault_account"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, unique=True)
    balance = Column(Integer, nullable=False, default=0)
    entries = relationship("Entry", back_populates="account", cascade="all, delete-orphan")


class Entry(Base):
    __tablename__ = "fault_entry"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("fault_account.id"), nullable=False)
    amount = Column(Integer, nullable=False)
    note = Column(Text)
    account = relationship("Account", back_populates="entries")


POOL_SIZE = 2


# -- helpers ------------------------------------------------------------------------------


def committed_state(url: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Accounts {name: balance} and entries [(account name, amount)], read by a new engine."""
    reader = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with reader.connect() as conn:
            accounts = dict(conn.execute(text("SELECT name, balance FROM fault_account")).all())
            entries = sorted(
                (row[0], row[1])
                for row in conn.execute(
                    text(
                        "SELECT a.name, e.amount FROM fault_entry e "
                        "JOIN fault_account a ON a.id = e.account_id"
                    )
                ).all()
            )
        return accounts, entries
    finally:
        reader.dispose()


def assert_requires_rollback(session: Session) -> None:
    """Until rollback() every use of the failed transaction raises PendingRollbackError."""
    with pytest.raises(exc.PendingRollbackError) as info:
        session.execute(text("SELECT 1"))
    assert "rollback" in str(info.value).lower()
    with pytest.raises(exc.PendingRollbackError):
        session.scalars(select(Account)).all()
    with pytest.raises(exc.PendingRollbackError):
        session.commit()


def assert_wrapped(err: exc.DBAPIError) -> None:
    assert isinstance(err, exc.DBAPIError)
    assert err.orig is not None, "a wrapped driver error keeps the driver's exception in .orig"
    assert not isinstance(err.orig, exc.OrmError)
    assert str(err).strip(), "the error has a message"


def assert_pool_serves_live_connections(engine, count: int = POOL_SIZE) -> None:
    """Check out `count` connections at once: each must answer; then all go back."""
    conns = [engine.connect() for _ in range(count)]
    try:
        for conn in conns:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        for conn in conns:
            conn.close()
    assert engine.pool.checkedout() == 0


def backend_pid(session: Session) -> int:
    """The server process behind the session's connection (starts its transaction)."""
    with session.no_autoflush:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar())


def terminate_backend(admin, pid: int) -> None:
    """Kill a server process and wait until it is really gone."""
    with admin.connect() as conn:
        killed = conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        assert killed is True, f"no backend with pid {pid}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with admin.connect() as conn:
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar()
        if not alive:
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} still alive 10 s after pg_terminate_backend")


def seed(engine) -> None:
    with Session(engine) as session:
        session.add(Account(name="seed", balance=100, entries=[Entry(amount=100)]))
        session.commit()


SEEDED = ({"seed": 100}, [("seed", 100)])


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def admin(pg_server):
    admin_engine = create_engine(pg_server.admin_url, pool_size=1, max_overflow=0)
    yield admin_engine
    admin_engine.dispose()


@pytest.fixture
def pg_engine(pg_url):
    engine = create_engine(pg_url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=5)
    Base.metadata.create_all(engine)
    seed(engine)
    yield engine
    engine.dispose()


# -- PostgreSQL: killed backends -----------------------------------------------------------


def test_backend_killed_before_flush_raises_operational_error_and_writes_nothing(
    pg_engine, pg_url, admin
):
    session = Session(pg_engine)
    account = session.scalars(select(Account)).one()
    pid = backend_pid(session)
    account.balance = 50
    session.add(Account(name="new", entries=[Entry(amount=1)]))
    terminate_backend(admin, pid)

    with pytest.raises(exc.OperationalError) as info:
        session.flush()
    assert_wrapped(info.value)
    assert_requires_rollback(session)

    session.rollback()
    assert committed_state(pg_url) == SEEDED
    assert account.balance == 100, "rollback expired the change; the row reloads as committed"
    session.add(Account(name="retry", balance=7))
    session.commit()
    assert committed_state(pg_url) == ({"seed": 100, "retry": 7}, [("seed", 100)])
    session.close()
    assert pg_engine.pool.checkedout() == 0
    assert_pool_serves_live_connections(pg_engine)


def test_backend_killed_between_insert_batches_of_one_flush_leaves_nothing_written(
    pg_engine, pg_url, admin
):
    session = Session(pg_engine)
    pid = backend_pid(session)
    inserts: list[str] = []

    def kill_after_first_insert_batch(conn, statement, parameters, executemany):
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement)
            if len(inserts) == 2:
                terminate_backend(admin, pid)

    event.listen(pg_engine, "before_cursor_execute", kill_after_first_insert_batch)
    accounts = [
        Account(name=f"acct{i}", balance=i, entries=[Entry(amount=i), Entry(amount=-i)])
        for i in range(3)
    ]
    session.add_all(accounts)
    with pytest.raises(exc.OperationalError) as info:
        session.flush()
    assert len(inserts) == 2, "the first INSERT batch ran, the second hit the dead backend"
    assert_wrapped(info.value)
    assert info.value.statement is not None
    assert info.value.statement.lstrip().upper().startswith("INSERT")
    assert_requires_rollback(session)

    session.rollback()
    assert all(inspect(a).transient for a in accounts), "pending objects are transient again"
    assert committed_state(pg_url) == SEEDED
    session.add(Account(name="after", entries=[Entry(amount=5)]))
    session.commit()  # 3 more INSERT statements pass the listener; it fires only once
    assert committed_state(pg_url) == (
        {"seed": 100, "after": 0},
        [("after", 5), ("seed", 100)],
    )
    session.close()
    assert pg_engine.pool.checkedout() == 0
    assert_pool_serves_live_connections(pg_engine)


def test_backend_killed_between_flush_and_commit_commits_nothing(pg_engine, pg_url, admin):
    session = Session(pg_engine)
    account = session.scalars(select(Account)).one()
    account.balance = 1
    session.add(Account(name="flushed", entries=[Entry(amount=3)]))
    session.flush()
    terminate_backend(admin, backend_pid(session))

    with pytest.raises(exc.OperationalError) as info:
        session.commit()
    assert_wrapped(info.value)
    assert_requires_rollback(session)

    session.rollback()
    assert committed_state(pg_url) == SEEDED
    assert account.balance == 100
    session.close()
    assert pg_engine.pool.checkedout() == 0
    assert_pool_serves_live_connections(pg_engine)


# -- PostgreSQL: server restart ------------------------------------------------------------


def test_server_restart_under_a_busy_pool_fails_the_open_transaction_then_recovers(
    pg_server, pg_url
):
    engine = create_engine(pg_url, pool_size=POOL_SIZE + 1, max_overflow=0, pool_timeout=5)
    try:
        Base.metadata.create_all(engine)
        seed(engine)
        # Every pooled connection has been used and is idle in the pool ...
        assert_pool_serves_live_connections(engine, POOL_SIZE + 1)
        # ... and one session is in the middle of a transaction.
        session = Session(engine)
        session.add(Account(name="in flight", entries=[Entry(amount=9)]))
        session.flush()

        pg_server.restart()

        with pytest.raises(exc.OperationalError) as info:
            session.commit()
        assert_wrapped(info.value)
        assert_requires_rollback(session)
        session.rollback()
        assert committed_state(pg_url) == SEEDED

        # The disconnect was seen: the pool must not hand out the other dead connections.
        assert_pool_serves_live_connections(engine, POOL_SIZE + 1)
        session.add(Account(name="after restart", balance=3))
        session.commit()
        assert committed_state(pg_url)[0] == {"seed": 100, "after restart": 3}
        session.close()
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()


def test_server_restart_is_invisible_to_new_work_with_pool_pre_ping(pg_server, pg_url):
    engine = create_engine(pg_url, pool_size=POOL_SIZE, max_overflow=0, pool_pre_ping=True)
    try:
        Base.metadata.create_all(engine)
        seed(engine)
        assert_pool_serves_live_connections(engine)

        pg_server.restart()

        assert_pool_serves_live_connections(engine)
        with Session(engine) as session:
            session.add(Account(name="after restart", balance=4))
            session.commit()
        assert committed_state(pg_url)[0] == {"seed": 100, "after restart": 4}
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()


# -- PostgreSQL: timeouts -------------------------------------------------------------------


def test_statement_timeout_during_flush_rolls_back_the_whole_flush(pg_engine, pg_url):
    with pg_engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION fault_slow_insert() RETURNS trigger AS $$ "
                "BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER fault_slow BEFORE INSERT ON fault_entry FOR EACH ROW "
                "WHEN (NEW.note = 'slow') EXECUTE FUNCTION fault_slow_insert()"
            )
        )
    session = Session(pg_engine)
    session.execute(text("SET LOCAL statement_timeout = '200ms'"))
    account = session.scalars(select(Account)).one()
    account.balance = 0
    session.add(Account(name="fast", entries=[Entry(amount=1), Entry(amount=2, note="slow")]))

    started = time.monotonic()
    with pytest.raises(exc.OperationalError) as info:
        session.flush()
    assert time.monotonic() - started < 4, "the statement was cancelled, not waited for"
    assert_wrapped(info.value)
    assert "statement timeout" in str(info.value).lower()
    assert_requires_rollback(session)

    session.rollback()
    assert committed_state(pg_url) == SEEDED
    session.close()
    assert pg_engine.pool.checkedout() == 0
    assert_pool_serves_live_connections(pg_engine)
    # SET LOCAL ended with the transaction: the same pooled connections run long statements.
    with pg_engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(0.3)"))


def test_lock_timeout_during_flush_rolls_back_the_whole_flush(pg_engine, pg_url, admin):
    with Session(pg_engine) as session:
        session.add(Account(name="locked", balance=10))
        session.commit()
    locker = create_engine(pg_url, pool_size=1, max_overflow=0)
    blocker = locker.connect()
    try:
        blocker.begin()
        blocker.execute(text("UPDATE fault_account SET balance = balance WHERE name = 'locked'"))

        session = Session(pg_engine)
        session.execute(text("SET LOCAL lock_timeout = '200ms'"))
        seeded = session.scalars(select(Account).where(Account.name == "seed")).one()
        locked = session.scalars(select(Account).where(Account.name == "locked")).one()
        assert seeded.id < locked.id
        seeded.balance = 1  # updated first (lower id), then the locked row blocks
        locked.balance = 2
        session.add(Account(name="new"))

        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as info:
            session.flush()
        assert time.monotonic() - started < 4
        assert_wrapped(info.value)
        assert "lock timeout" in str(info.value).lower()
        assert_requires_rollback(session)
        session.rollback()
    finally:
        blocker.rollback()
        blocker.close()
        locker.dispose()

    assert committed_state(pg_url)[0] == {"seed": 100, "locked": 10}
    # With the lock gone the same work succeeds.
    seeded.balance = 1
    locked.balance = 2
    session.commit()
    assert committed_state(pg_url)[0] == {"seed": 1, "locked": 2}
    session.close()
    assert pg_engine.pool.checkedout() == 0
    assert_pool_serves_live_connections(pg_engine)


# -- SQLite ---------------------------------------------------------------------------------


def sqlite_state(path) -> tuple[dict[str, int], str]:
    """Accounts and the result of PRAGMA integrity_check, read by a new engine."""
    reader = create_engine(f"sqlite:///{path}")
    try:
        with reader.connect() as conn:
            accounts = dict(conn.execute(text("SELECT name, balance FROM fault_account")).all())
            check = conn.execute(text("PRAGMA integrity_check")).scalar()
        return accounts, check
    finally:
        reader.dispose()


@pytest.mark.timeout(60)
def test_sqlite_second_writer_gets_operational_error_after_busy_timeout(tmp_path):
    path = tmp_path / "busy.sqlite"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    try:
        Base.metadata.create_all(engine)
        seed(engine)
        first = Session(engine)
        first.add(Account(name="first", balance=1))
        first.flush()  # holds the write lock until commit

        second = Session(engine)
        second.add(Account(name="second", balance=2))
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as info:
            second.flush()
        waited = time.monotonic() - started
        assert 0.1 <= waited < 5, f"waited {waited:.2f} s for a 0.2 s busy timeout"
        assert_wrapped(info.value)
        assert "locked" in str(info.value).lower()
        assert_requires_rollback(second)
        second.rollback()

        first.commit()
        second.add(Account(name="second", balance=2))
        second.commit()
        first.close()
        second.close()
        assert engine.pool.checkedout() == 0
        assert_pool_serves_live_connections(engine)
    finally:
        engine.dispose()
    assert sqlite_state(path) == ({"seed": 100, "first": 1, "second": 2}, "ok")


@contextlib.contextmanager
def read_only_file(path):
    """Make a file read-only, also for root (which ignores permission bits)."""
    mode = os.stat(path).st_mode
    os.chmod(path, 0o444)
    immutable = False
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
            os.chmod(path, mode)
            pytest.skip("running as root without a working chattr: cannot make a file read-only")
        immutable = True
    try:
        yield
    finally:
        if immutable:
            subprocess.run([shutil.which("chattr"), "-i", str(path)], check=True)
        os.chmod(path, mode)


def test_sqlite_read_only_file_gives_clear_error_and_stays_intact(tmp_path):
    path = tmp_path / "readonly.sqlite"
    setup = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(setup)
    seed(setup)
    setup.dispose()

    with read_only_file(path):
        engine = create_engine(f"sqlite:///{path}")
        try:
            with Session(engine) as session:
                account = session.scalars(select(Account)).one()  # reading still works
                assert account.name == "seed"
                account.balance = 0
                session.add(Account(name="new"))
                with pytest.raises(exc.OperationalError) as info:
                    session.flush()
                assert_wrapped(info.value)
                assert "readonly" in str(info.value).lower().replace("-", "").replace(" ", "")
                assert_requires_rollback(session)
                session.rollback()
                assert account.balance == 100
            assert engine.pool.checkedout() == 0
        finally:
            engine.dispose()

    assert sqlite_state(path) == ({"seed": 100}, "ok")


def test_sqlite_full_database_gives_clear_error_and_stays_intact(tmp_path):
    """A size-limited database (PRAGMA max_page_count) stands in for a full disk."""
    path = tmp_path / "full.sqlite"
    engine = create_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0)
    try:
        Base.metadata.create_all(engine)
        seed(engine)
        session = Session(engine)
        pages = session.execute(text("PRAGMA page_count")).scalar()
        session.execute(text(f"PRAGMA max_page_count = {int(pages) + 2}"))
        account = session.scalars(select(Account)).one()
        account.balance = 0
        account.entries.extend(Entry(amount=i, note="x" * 4000) for i in range(100))

        with pytest.raises(exc.OperationalError) as info:
            session.flush()
        assert_wrapped(info.value)
        assert "full" in str(info.value).lower()
        assert_requires_rollback(session)
        session.rollback()
        assert account.balance == 100
        assert len(account.entries) == 1
        session.close()
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()
    assert sqlite_state(path) == ({"seed": 100}, "ok")
