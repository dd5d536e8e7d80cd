"""A Session bound to a Connection: SQLAlchemy 2.0's ``join_transaction_mode``,
and the "test inside a transaction" pattern it exists for.

Every test runs on SQLite and PostgreSQL. What each mode does to the Connection's
transaction is checked for real: rows read back on the Connection itself and, for what is
committed, from a second connection. One test compares every mode with SQLAlchemy's table
of outcomes on the same scenarios (an oracle, extra to the direct assertions).
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    Integer,
    Session,
    String,
    declarative_base,
    exc,
    select,
    sessionmaker,
    text,
)
from uow_orm import inspect as uow_inspect

Base = declarative_base()


class Note(Base):
    __tablename__ = "jt_notes"

    id = Column(Integer, primary_key=True)
    body = Column(String(50), nullable=False)


def committed(engine) -> list[str]:
    with engine.connect() as other:
        return list(other.execute(text("SELECT body FROM jt_notes ORDER BY id")).scalars())


def on(conn) -> list[str]:
    return list(conn.execute(text("SELECT body FROM jt_notes ORDER BY id")).scalars())


# -- the test-inside-a-transaction pattern ----------------------------------------------------
def test_create_savepoint_session_commit_then_connection_rollback_leaves_database_untouched(db):
    with db.connect() as conn:
        conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        s.add(Note(body="a"))
        s.commit()
        s.add(Note(body="b"))
        s.commit()
        assert on(conn) == ["a", "b"]  # committed as far as the session can tell
        assert conn.in_transaction()  # the outer transaction is still the caller's
        s.close()
        conn.rollback()
        assert on(conn) == []
    assert committed(db) == []


def test_create_savepoint_session_rollback_undoes_only_its_own_work(db):
    with db.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO jt_notes (id, body) VALUES (1, 'setup')"))
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        s.add(Note(id=2, body="in test"))
        s.flush()
        s.rollback()
        assert on(conn) == ["setup"]
        assert conn.in_transaction() and not conn.in_nested_transaction()
        s.add(Note(id=3, body="again"))  # the next transaction is a new savepoint
        s.commit()
        assert on(conn) == ["setup", "again"]
        s.close()
        conn.rollback()
    assert committed(db) == []


def test_create_savepoint_session_close_rolls_back_its_savepoint_only(db):
    with db.connect() as conn:
        trans = conn.begin()
        conn.execute(text("INSERT INTO jt_notes (id, body) VALUES (1, 'outer')"))
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        s.add(Note(id=2, body="inner"))
        s.flush()
        s.close()
        assert on(conn) == ["outer"]
        trans.commit()
    assert committed(db) == ["outer"]


def test_pytest_fixture_style_session_begin_nested_inside_joined_savepoint(db):
    with db.connect() as conn:
        trans = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        s.add(Note(id=1, body="kept"))
        with s.begin_nested():
            s.add(Note(id=2, body="dropped"))
            s.flush()
            s.get_nested_transaction().rollback()
        s.commit()
        assert on(conn) == ["kept"]
        s.close()
        trans.rollback()
    assert committed(db) == []


def test_sessionmaker_bound_to_a_connection_makes_sessions_that_join_it(db):
    with db.connect() as conn:
        conn.begin()
        Factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint")
        with Factory() as s1:
            s1.add(Note(id=1, body="one"))
            s1.commit()
        with Factory() as s2:
            assert [n.body for n in s2.scalars(select(Note))] == ["one"]
            s2.add(Note(id=2, body="two"))
            s2.commit()
        assert on(conn) == ["one", "two"]
        conn.rollback()
    assert committed(db) == []


# -- connection not in a transaction: the session owns the one it begins ----------------------
@pytest.mark.parametrize(
    "mode", ["conditional_savepoint", "create_savepoint", "rollback_only", "control_fully"]
)
def test_session_begins_and_commits_the_transaction_of_an_idle_connection(db, mode):
    with db.connect() as conn:
        s = Session(bind=conn, join_transaction_mode=mode)
        s.add(Note(id=1, body="x"))
        s.commit()
        assert not conn.in_transaction()
        assert committed(db) == ["x"]
        conn.begin()  # the Connection is free for its own transactions again
        conn.execute(text("INSERT INTO jt_notes (id, body) VALUES (2, 'y')"))
        conn.rollback()
        s.add(Note(id=3, body="z"))
        s.rollback()
        assert not conn.in_transaction()
        assert not conn.closed  # the session never closes a Connection it was given
    assert committed(db) == ["x"]


def test_default_mode_session_rollback_ends_the_connection_transaction_it_began(db):
    with db.connect() as conn:
        s = Session(bind=conn)
        s.add(Note(id=1, body="x"))
        s.flush()
        assert conn.in_transaction()
        s.rollback()
        assert not conn.in_transaction()
        conn.begin()  # failed in earlier versions: "a transaction is already begun"
        assert on(conn) == []
        conn.rollback()


# -- connection in a transaction ---------------------------------------------------------------
def test_default_conditional_savepoint_without_savepoint_is_rollback_only(db):
    assert Session().join_transaction_mode == "conditional_savepoint"
    with db.connect() as conn:
        conn.begin()
        s = Session(bind=conn)
        s.add(Note(id=1, body="a"))
        s.commit()  # does not commit the caller's transaction
        assert conn.in_transaction()
        assert committed(db) == []
        s.add(Note(id=2, body="b"))
        s.flush()
        s.close()  # close leaves it alone
        assert on(conn) == ["a", "b"]
        s.add(Note(id=3, body="c"))
        s.flush()
        s.rollback()  # rollback rolls the caller's transaction back
        assert not conn.in_transaction()
        assert on(conn) == []
        conn.rollback()
    assert committed(db) == []


def test_default_conditional_savepoint_inside_savepoint_creates_its_own(db):
    with db.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO jt_notes (id, body) VALUES (1, 'outer')"))
        outer_sp = conn.begin_nested()
        s = Session(bind=conn)
        s.add(Note(id=2, body="session"))
        s.flush()
        s.rollback()
        assert conn.in_nested_transaction() and outer_sp.is_active
        assert on(conn) == ["outer"]
        s.add(Note(id=3, body="kept"))
        s.commit()
        assert conn.get_nested_transaction() is outer_sp
        outer_sp.commit()
        conn.commit()
    assert committed(db) == ["outer", "kept"]


def test_rollback_only_after_autobegin_commit_is_not_propagated(db):
    with db.connect() as conn:
        conn.execute(text("SELECT 1"))  # autobegun: the Connection is in a transaction
        s = Session(bind=conn, join_transaction_mode="rollback_only")
        s.add(Note(id=1, body="a"))
        s.commit()
        assert committed(db) == []
        conn.commit()  # the caller decides
    assert committed(db) == ["a"]


def test_rollback_only_inside_savepoint_rolls_back_that_savepoint(db):
    with db.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO jt_notes (id, body) VALUES (1, 'outer')"))
        conn.begin_nested()
        s = Session(bind=conn, join_transaction_mode="rollback_only")
        s.add(Note(id=2, body="inner"))
        s.flush()
        s.rollback()
        assert conn.in_transaction() and not conn.in_nested_transaction()
        assert on(conn) == ["outer"]
        conn.commit()
    assert committed(db) == ["outer"]


@pytest.mark.parametrize("mode", ["conditional_savepoint", "rollback_only"])
def test_rollback_only_commit_releases_the_sessions_savepoints_and_close_rolls_them_back(db, mode):
    with db.connect() as conn:
        conn.begin()
        s = Session(bind=conn, join_transaction_mode=mode)
        s.add(Note(id=1, body="outer"))
        s.begin_nested()
        s.add(Note(id=2, body="nested"))
        s.commit()  # the session's SAVEPOINT is released, the caller's transaction kept
        assert conn.in_transaction() and not conn.in_nested_transaction()
        assert on(conn) == ["outer", "nested"]
        s.begin_nested()
        s.add(Note(id=3, body="dropped"))
        s.flush()
        s.close()  # rolls back what the session opened, nothing of the caller's
        assert conn.in_transaction() and not conn.in_nested_transaction()
        assert on(conn) == ["outer", "nested"]
        conn.commit()
    assert committed(db) == ["outer", "nested"]


def test_control_fully_commit_commits_the_callers_transaction(db):
    with db.connect() as conn:
        trans = conn.begin()
        s = Session(bind=conn, join_transaction_mode="control_fully")
        s.add(Note(id=1, body="a"))
        s.commit()
        assert not conn.in_transaction() and not trans.is_active
        assert committed(db) == ["a"]
        conn.begin()
        s.add(Note(id=2, body="b"))
        s.flush()
        s.close()  # close rolls it back
        assert not conn.in_transaction()
    assert committed(db) == ["a"]


def test_control_fully_inside_savepoint_releases_it_and_keeps_the_outer(db):
    with db.connect() as conn:
        outer = conn.begin()
        conn.begin_nested()
        s = Session(bind=conn, join_transaction_mode="control_fully")
        s.add(Note(id=1, body="a"))
        s.commit()
        assert conn.in_transaction() and not conn.in_nested_transaction()
        assert committed(db) == []
        outer.commit()
    assert committed(db) == ["a"]


def test_objects_are_expired_and_reloaded_after_a_joined_session_commits(db):
    with db.connect() as conn:
        conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        note = Note(id=1, body="first")
        s.add(note)
        s.commit()
        assert uow_inspect(note).expired or "body" not in note.__dict__
        conn.execute(text("UPDATE jt_notes SET body = 'changed' WHERE id = 1"))
        assert note.body == "changed"  # reloaded on the caller's transaction
        s.close()
        conn.rollback()


def test_invalid_join_transaction_mode_raises_argument_error_naming_it():
    with pytest.raises(exc.ArgumentError, match="conservative_savepoint"):
        Session(join_transaction_mode="conservative_savepoint")  # type: ignore[arg-type]


def test_session_close_does_not_close_the_connection_it_was_given(db):
    with db.connect() as conn:
        s = Session(bind=conn)
        s.add(Note(id=1, body="a"))
        s.flush()
        s.close()
        assert not conn.closed
        assert conn.execute(text("SELECT count(*) FROM jt_notes")).scalar() == 0


def test_session_connection_returns_the_bound_connection(db):
    with db.connect() as conn:
        s = Session(bind=conn)
        assert s.connection() is conn
        s.close()


# -- oracle: every mode against SQLAlchemy's outcome table -----------------------------------
SCENARIOS = [
    (mode, pre, action, session_savepoint)
    for mode in ["conditional_savepoint", "create_savepoint", "rollback_only", "control_fully"]
    for pre in ["none", "begin", "autobegin", "nested"]
    for action in ["commit", "rollback", "close"]
    for session_savepoint in [False, True]
]


def _outcome(lib, session_cls, engine, mode, pre, action, session_savepoint):
    """(in_transaction, in_nested, rows seen on the Connection, rows committed)."""
    with engine.begin() as c:
        c.execute(lib.text("DELETE FROM jt_notes"))
    conn = engine.connect()
    try:
        if pre == "begin":
            conn.begin()
        elif pre == "autobegin":
            conn.execute(lib.text("SELECT 1"))
        elif pre == "nested":
            conn.begin()
            conn.begin_nested()
        s = session_cls(bind=conn, join_transaction_mode=mode)
        s.execute(lib.text("INSERT INTO jt_notes (id, body) VALUES (1, 'x')"))
        if session_savepoint:
            s.begin_nested()
            s.execute(lib.text("INSERT INTO jt_notes (id, body) VALUES (2, 'y')"))
        getattr(s, action)()
        state = (conn.in_transaction(), conn.in_nested_transaction())
        seen = conn.execute(lib.text("SELECT count(*) FROM jt_notes")).scalar()
        if conn.in_transaction():
            conn.rollback()
    finally:
        conn.close()
    with engine.connect() as c:
        kept = c.execute(lib.text("SELECT count(*) FROM jt_notes")).scalar()
    return (*state, seen, kept)


def test_every_join_mode_matches_sqlalchemy_on_postgresql(pg_url):
    sa = pytest.importorskip("sqlalchemy")  # the oracle only; the tests above stand alone
    from sqlalchemy.orm import Session as SASession

    import uow_orm

    ours = uow_orm.create_engine(pg_url)
    theirs = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        Base.metadata.create_all(ours)
        for scenario in SCENARIOS:
            expected = _outcome(sa, SASession, theirs, *scenario)
            got = _outcome(uow_orm, Session, ours, *scenario)
            assert got == expected, scenario
    finally:
        theirs.dispose()
        ours.dispose()


def test_failed_flush_in_a_joined_savepoint_leaves_the_callers_transaction_usable(db):
    with db.connect() as conn:
        conn.begin()
        conn.execute(text("INSERT INTO jt_notes (id, body) VALUES (1, 'setup')"))
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        s.add(Note(id=1, body="duplicate key"))
        with pytest.raises(exc.IntegrityError):
            s.commit()
        s.rollback()
        assert on(conn) == ["setup"]  # on PostgreSQL too: the error stayed in the savepoint
        s.add(Note(id=2, body="retry"))
        s.commit()
        assert on(conn) == ["setup", "retry"]
        s.close()
        conn.rollback()
    assert committed(db) == []
