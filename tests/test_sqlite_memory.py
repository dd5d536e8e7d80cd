"""``sqlite://`` in-memory engines (issue 11, item 2): in one thread, every Connection and
Session shares the database and its one transaction, as with SQLAlchemy; other threads wait
their turn (the cross-thread guard).

SQLite only (the memory database is SQLite's). The last test replays the same scenario with
SQLAlchemy as an oracle and compares the rows.
"""

from __future__ import annotations

import threading
import time

import pytest

from uow_orm import Column, Integer, Session, create_engine, declarative_base, exc, select, text

Base = declarative_base()


class Item(Base):
    __tablename__ = "mem_items"

    id = Column(Integer, primary_key=True)


@pytest.fixture
def memory():
    eng = create_engine("sqlite://")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


def rows(conn) -> list[int]:
    return list(conn.execute(text("SELECT id FROM t ORDER BY id")).scalars())


def insert(conn, n: int) -> None:
    conn.execute(text("INSERT INTO t (id) VALUES (:n)"), {"n": n})


def test_connect_blocks_work_while_a_module_level_session_holds_a_transaction(memory):
    # The SQLAlchemy tutorial's shape: a long-lived session, and engine.connect() blocks.
    session = Session(memory)
    session.add(Item(id=1))
    session.flush()  # the session's transaction is open
    with memory.connect() as conn:  # raised "already in a transaction" before issue 11
        assert conn.execute(text("SELECT count(*) FROM mem_items")).scalar() == 1
        insert(conn, 10)
        conn.commit()
    assert session.scalars(select(Item.id)).all() == [1]
    session.commit()
    with memory.connect() as conn:
        assert rows(conn) == [10]
        assert conn.execute(text("SELECT count(*) FROM mem_items")).scalar() == 1


def test_two_connections_of_one_thread_see_each_others_uncommitted_rows(memory):
    with memory.connect() as c1, memory.connect() as c2:
        insert(c1, 1)
        assert rows(c2) == [1]  # one database connection, one transaction
        c1.rollback()
        assert rows(c2) == []


def test_commit_by_either_connection_commits_the_shared_transaction(memory):
    c1, c2 = memory.connect(), memory.connect()
    try:
        insert(c1, 1)
        insert(c2, 2)
        c2.commit()
        c1.rollback()  # nothing left to roll back: c2's commit ended the transaction
        assert rows(c2) == [1, 2]
    finally:
        c1.close()
        c2.close()


def test_rollback_by_either_connection_rolls_back_the_shared_transaction(memory):
    c1, c2 = memory.connect(), memory.connect()
    try:
        c1.begin()
        insert(c1, 3)
        c2.begin()  # joins the transaction c1 began
        insert(c2, 4)
        c2.rollback()
        c1.commit()
        assert rows(c1) == []
    finally:
        c1.close()
        c2.close()


def test_statement_after_another_connection_ended_the_transaction_begins_a_new_one(memory):
    s = Session(memory)
    s.execute(text("INSERT INTO t (id) VALUES (8)"))
    c = memory.connect()
    insert(c, 9)
    c.commit()  # commits 8 and 9
    insert(c, 10)  # a new transaction...
    s.rollback()  # ...which the session's rollback ends
    c.commit()
    c.close()
    with memory.connect() as conn:
        assert rows(conn) == [8, 9]


def test_closing_one_connection_with_a_transaction_rolls_back_the_shared_one(memory):
    s = Session(memory)
    s.execute(text("INSERT INTO t (id) VALUES (7)"))
    with memory.connect() as idle:
        assert idle.in_transaction() is False  # unused: closing it changes nothing
    s.commit()
    with memory.connect() as conn:
        assert rows(conn) == [7]
    s.execute(text("INSERT INTO t (id) VALUES (8)"))
    with memory.connect() as reader:
        rows(reader)  # begins (joins) the shared transaction; close rolls it back
    s.commit()
    with memory.connect() as conn:
        assert rows(conn) == [7]


def test_savepoints_of_two_connections_on_one_memory_database_do_not_collide(memory):
    c1, c2 = memory.connect(), memory.connect()
    try:
        c1.begin()
        sp1 = c1.begin_nested()
        insert(c1, 1)
        sp2 = c2.begin_nested()  # joins the transaction, its own savepoint name
        insert(c2, 2)
        sp2.rollback()
        assert rows(c1) == [1]
        sp1.commit()
        c1.commit()
        assert rows(c2) == [1]
    finally:
        c1.close()
        c2.close()


def test_two_sessions_of_one_thread_share_the_memory_database(memory):
    with Session(memory) as s1, Session(memory) as s2:
        s1.add(Item(id=1))
        s1.flush()
        s2.add(Item(id=2))
        s2.commit()  # commits both, as SQLAlchemy does
        s1.rollback()
    with Session(memory) as s:
        assert s.scalars(select(Item.id).order_by(Item.id)).all() == [1, 2]


@pytest.mark.concurrency
def test_another_thread_waits_until_this_thread_returns_every_checkout(memory):
    c1 = memory.connect()
    c2 = memory.connect()
    insert(c1, 1)
    got: list[object] = []

    def other() -> None:
        with memory.connect() as conn:  # waits for the thread below to give both back
            got.append(rows(conn))

    worker = threading.Thread(target=other)
    worker.start()
    time.sleep(0.1)
    assert got == []  # still waiting
    c1.commit()
    c1.close()
    time.sleep(0.05)
    assert got == []  # c2 is still out
    c2.close()
    worker.join(timeout=10)
    assert got == [[1]]


@pytest.mark.concurrency
def test_another_thread_times_out_with_a_clear_error_when_the_memory_db_stays_busy():
    eng = create_engine("sqlite://", pool_timeout=0.1)
    try:
        held = eng.connect()
        errors: list[BaseException] = []

        def other() -> None:
            try:
                eng.connect()
            except BaseException as e:
                errors.append(e)

        worker = threading.Thread(target=other)
        worker.start()
        worker.join(timeout=10)
        held.close()
        assert len(errors) == 1 and isinstance(errors[0], exc.TimeoutError)
        assert "another thread" in str(errors[0])
    finally:
        eng.dispose()


def _scenario(lib) -> list[list[int]]:
    """The same steps on a memory engine; the rows visible after each stage."""
    eng = lib.create_engine("sqlite://")
    seen: list[list[int]] = []

    def visible() -> list[int]:
        with eng.connect() as c:
            return list(c.execute(lib.text("SELECT id FROM t ORDER BY id")).scalars())

    try:
        with eng.begin() as c:
            c.execute(lib.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        c1, c2 = eng.connect(), eng.connect()
        c1.execute(lib.text("INSERT INTO t VALUES (1)"))
        c2.execute(lib.text("INSERT INTO t VALUES (2)"))
        c2.commit()
        c1.rollback()
        c1.close()
        c2.close()
        seen.append(visible())
        s = session_for(lib)(eng)
        s.execute(lib.text("INSERT INTO t VALUES (5)"))
        with eng.connect() as c3:
            c3.execute(lib.text("INSERT INTO t VALUES (6)"))
            c3.commit()
        s.rollback()
        seen.append(visible())
        s.execute(lib.text("INSERT INTO t VALUES (8)"))
        c = eng.connect()
        c.execute(lib.text("INSERT INTO t VALUES (9)"))
        c.commit()
        c.execute(lib.text("INSERT INTO t VALUES (10)"))
        s.rollback()
        c.commit()
        c.close()
        s.close()
        seen.append(visible())
    finally:
        eng.dispose()
    return seen


def session_for(lib):
    if lib.__name__ == "sqlalchemy":
        from sqlalchemy.orm import Session as SASession

        return SASession
    return Session


def test_memory_engine_in_one_thread_matches_sqlalchemy():
    import uow_orm

    ours = _scenario(uow_orm)
    assert ours == [[1, 2], [1, 2, 5, 6], [1, 2, 5, 6, 8, 9]]
    sa = pytest.importorskip("sqlalchemy")  # the oracle only
    assert _scenario(sa) == ours
