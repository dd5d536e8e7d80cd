"""SQLite write concurrency (issue 11, item 4): BEGIN IMMEDIATE per engine, connection and
session, the engine "begin" event (and SQLAlchemy's pysqlite recipe that emits its own
BEGIN from it), the busy timeout, and the "database is locked" message.

The begin event is tested on both backends; the rest is SQLite's. The headline test: 8
threads x 40 read-modify-write transactions on one file, rollback journal and WAL, finish
with no error and no lost update in IMMEDIATE mode.
"""

from __future__ import annotations

import threading
import time

import pytest

from uow_orm import (
    Column,
    Integer,
    Session,
    create_engine,
    declarative_base,
    event,
    exc,
    select,
    sessionmaker,
    text,
)

Base = declarative_base()


class Counter(Base):
    __tablename__ = "cc_counter"

    id = Column(Integer, primary_key=True)
    value = Column(Integer, nullable=False)


@pytest.fixture
def sqlite_file(tmp_path):
    return f"sqlite:///{tmp_path / 'concurrency.db'}"


def make(url: str, journal: str = "delete", **kw):
    eng = create_engine(url, **kw)
    with eng.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        assert conn.execute(text(f"PRAGMA journal_mode={journal}")).scalar() == journal
    Base.metadata.create_all(eng)
    with Session(eng) as s:
        if s.get(Counter, 1) is None:
            s.add(Counter(id=1, value=0))
            s.commit()
    return eng


def begins(log) -> list[str]:
    return [sql for sql in log.sql if sql.startswith("BEGIN")]


# -- choosing BEGIN IMMEDIATE --------------------------------------------------------------------
def test_engine_execution_option_sqlite_begin_immediate(sqlite_file, sql_log):
    eng = make(sqlite_file, execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        log = sql_log(eng)
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        with Session(eng) as s:
            s.get(Counter, 1).value += 1
            s.commit()
        assert begins(log) == ["BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]
    finally:
        eng.dispose()


@pytest.mark.parametrize(
    ("setting", "sql"), [("IMMEDIATE", "BEGIN IMMEDIATE"), ("EXCLUSIVE", "BEGIN EXCLUSIVE")]
)
def test_sqlite3_isolation_level_connect_arg_becomes_the_begin_mode(
    sqlite_file, sql_log, setting, sql
):
    eng = create_engine(sqlite_file, connect_args={"isolation_level": setting})
    try:
        log = sql_log(eng)
        with eng.begin() as conn:
            conn.execute(text("SELECT 1"))
        assert begins(log) == [sql]
        assert eng.get_execution_options() == {"sqlite_begin": setting}
    finally:
        eng.dispose()


def test_connection_and_session_choose_begin_immediate_for_themselves(sqlite_file, sql_log):
    eng = make(sqlite_file)
    try:
        log = sql_log(eng)
        with eng.connect() as conn:
            conn.execution_options(sqlite_begin="immediate")
            conn.execute(text("SELECT 1"))
            conn.commit()
            conn.execute(text("SELECT 1"))  # every transaction of this checkout
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))  # the option ended with the checkout
        Writers = sessionmaker(bind=eng.execution_options(sqlite_begin="IMMEDIATE"))
        with Writers() as s:
            s.get(Counter, 1)
        with Session(eng) as s:
            s.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        assert begins(log) == [
            "BEGIN IMMEDIATE",
            "BEGIN IMMEDIATE",
            "BEGIN",
            "BEGIN IMMEDIATE",
            "BEGIN IMMEDIATE",
        ]
    finally:
        eng.dispose()


def test_invalid_sqlite_begin_raises_argument_error(sqlite_file):
    with pytest.raises(exc.ArgumentError, match="sqlite_begin"):
        create_engine(sqlite_file, execution_options={"sqlite_begin": "LATER"})
    with pytest.raises(exc.ArgumentError, match="isolation_level"):
        create_engine(sqlite_file, connect_args={"isolation_level": "SOMETIMES"})


def test_connect_args_and_execution_options_disagreeing_raise(sqlite_file):
    with pytest.raises(exc.ArgumentError, match="disagree"):
        create_engine(
            sqlite_file,
            connect_args={"isolation_level": "IMMEDIATE"},
            execution_options={"sqlite_begin": "EXCLUSIVE"},
        )


# -- the "begin" event ----------------------------------------------------------------------------
def test_begin_event_fires_once_per_transaction_with_the_connection(engine):
    seen: list[object] = []
    event.listen(engine, "begin", seen.append)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.execute(text("SELECT 2"))
        conn.commit()
        sp = conn.begin_nested()  # a savepoint is not a "begin"
        sp.commit()
        conn.rollback()
        assert seen == [conn, conn]
    with Session(engine) as s:
        s.execute(text("SELECT 1"))
    assert len(seen) == 3


def test_commit_and_rollback_events_fire_before_the_statement(engine):
    calls: list[str] = []
    event.listen(engine, "commit", lambda conn: calls.append("commit"))
    event.listen(engine, "rollback", lambda conn: calls.append("rollback"))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.commit()
        conn.execute(text("SELECT 1"))
    assert calls == ["commit", "rollback"]


def test_begin_listener_emitting_its_own_begin_replaces_the_engines(engine, sql_log):
    # SQLAlchemy's pysqlite recipe; on PostgreSQL the same shape picks a level.
    own = (
        "BEGIN IMMEDIATE"
        if engine.dialect.name == "sqlite"
        else "BEGIN ISOLATION LEVEL SERIALIZABLE"
    )

    @event.listens_for(engine, "connect")
    def do_connect(dbapi_connection, connection_record):
        if engine.dialect.name == "sqlite":
            dbapi_connection.isolation_level = None  # the recipe's first half: harmless

    @event.listens_for(engine, "begin")
    def do_begin(conn):
        conn.exec_driver_sql(own)

    log = sql_log(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE recipe (x INTEGER)"))
        sp = conn.begin_nested()
        conn.execute(text("INSERT INTO recipe (x) VALUES (1)"))
        sp.rollback()
        conn.execute(text("INSERT INTO recipe (x) VALUES (2)"))
    assert [s for s in log.sql if s.startswith("BEGIN")] == [own]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM recipe")).scalars().all() == [2]


# -- locks, the busy timeout and the message -------------------------------------------------------
def test_deferred_read_then_write_fails_at_once_with_a_message_naming_begin_immediate(
    sqlite_file,
):
    eng = make(sqlite_file, connect_args={"timeout": 2})
    try:
        c1, c2 = eng.connect(), eng.connect()
        c1.execute(text("SELECT value FROM cc_counter"))
        c2.execute(text("SELECT value FROM cc_counter"))
        c1.execute(text("UPDATE cc_counter SET value = 1"))
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as info:
            c2.execute(text("UPDATE cc_counter SET value = 2"))
        assert time.monotonic() - started < 1.5  # the busy timeout cannot help here
        message = str(info.value)
        assert "database is locked" in message
        assert "BEGIN IMMEDIATE" in message and "sqlite_begin" in message
        assert "timeout" in message
        c2.rollback()
        c1.commit()
        c1.close()
        c2.close()
    finally:
        eng.dispose()


@pytest.mark.concurrency
def test_begin_immediate_waits_up_to_the_busy_timeout_for_the_write_lock(sqlite_file):
    eng = make(
        sqlite_file, connect_args={"timeout": 5}, execution_options={"sqlite_begin": "IMMEDIATE"}
    )
    impatient = create_engine(
        sqlite_file, connect_args={"timeout": 0.05}, execution_options={"sqlite_begin": "IMMEDIATE"}
    )
    try:
        holder = eng.connect()
        holder.execute(text("UPDATE cc_counter SET value = value + 1"))  # holds the lock
        with impatient.connect() as conn, pytest.raises(exc.OperationalError, match="timeout"):
            conn.execute(text("SELECT value FROM cc_counter"))
        waited: list[float] = []
        running = threading.Event()

        def writer() -> None:
            running.set()
            started = time.monotonic()
            with eng.begin() as conn:
                conn.execute(text("UPDATE cc_counter SET value = value + 10"))
            waited.append(time.monotonic() - started)

        worker = threading.Thread(target=writer)
        worker.start()
        assert running.wait(10)
        time.sleep(0.3)
        holder.commit()
        holder.close()
        worker.join(timeout=10)
        assert len(waited) == 1 and waited[0] >= 0.25
        with eng.connect() as conn:
            assert conn.execute(text("SELECT value FROM cc_counter")).scalar() == 11
    finally:
        impatient.dispose()
        eng.dispose()


@pytest.mark.concurrency
@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_eight_threads_read_modify_write_lose_no_update_in_immediate_mode(sqlite_file, journal):
    eng = make(
        sqlite_file,
        journal,
        pool_size=8,
        connect_args={"timeout": 30},
        execution_options={"sqlite_begin": "IMMEDIATE"},
    )

    @event.listens_for(eng, "connect")
    def fast(dbapi_connection, connection_record):
        dbapi_connection.execute("PRAGMA synchronous=OFF")  # locking is what is tested

    Sessions = sessionmaker(bind=eng)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(40):
                if (n + i) % 2:
                    with Sessions.begin() as s:  # ORM: read, then write
                        counter = s.scalars(select(Counter).where(Counter.id == 1)).one()
                        counter.value = counter.value + 1
                else:
                    with eng.begin() as conn:  # Core: the same through a Connection
                        value = conn.execute(text("SELECT value FROM cc_counter")).scalar()
                        conn.execute(text("UPDATE cc_counter SET value = :v"), {"v": value + 1})
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        with eng.connect() as conn:
            assert conn.execute(text("SELECT value FROM cc_counter")).scalar() == 320
    finally:
        eng.dispose()


@pytest.mark.parametrize(("autocommit", "kept"), [(False, []), (True, [1])])
def test_sqlite3_autocommit_connect_arg_is_honoured(sqlite_file, autocommit, kept):
    # SQLAlchemy's documented way on Python 3.12+: connect_args={"autocommit": False}
    eng = create_engine(sqlite_file, connect_args={"autocommit": autocommit})
    try:
        with eng.begin() as conn:
            conn.execute(text("CREATE TABLE ac (x INTEGER)"))
        with eng.connect() as conn:
            conn.execute(text("INSERT INTO ac (x) VALUES (1)"))
            conn.rollback()
            assert conn.execute(text("SELECT x FROM ac")).scalars().all() == kept
    finally:
        eng.dispose()
