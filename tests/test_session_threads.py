"""A Session is for one thread at a time: a second thread using it while the first is
inside a flush or a query gets a clear error instead of corrupting the session."""

from __future__ import annotations

import threading

import pytest

from uow_orm import Column, Integer, Session, String, declarative_base, event, exc, select

Base = declarative_base()


class Note(Base):
    __tablename__ = "thread_notes"
    id = Column(Integer, primary_key=True)
    text = Column(String(40), nullable=False)


def test_second_thread_is_refused_while_the_first_is_flushing(db):
    inside = threading.Event()
    release = threading.Event()

    def hold(conn, statement, params, many):
        if statement.lstrip().upper().startswith("INSERT"):
            inside.set()
            release.wait(10)

    event.listen(db, "before_cursor_execute", hold)
    session = Session(db)
    session.add(Note(text="first"))
    errors: list[BaseException] = []

    def flush_in_background():
        try:
            session.flush()
        except BaseException as e:  # pragma: no cover - reported by the assertion below
            errors.append(e)

    worker = threading.Thread(target=flush_in_background)
    worker.start()
    assert inside.wait(10), "the background flush never reached its INSERT"
    try:
        for use in (session.flush, session.commit, lambda: session.execute(select(Note))):
            with pytest.raises(exc.InvalidRequestError, match="another thread"):
                use()
    finally:
        release.set()
        worker.join(10)
    event.remove(db, "before_cursor_execute", hold)
    assert errors == []
    session.commit()
    with Session(db) as other:
        assert other.scalars(select(Note.text)).all() == ["first"]
    session.close()


def test_one_thread_after_another_may_use_the_same_session(db):
    session = Session(db)
    session.add(Note(text="a"))
    t = threading.Thread(target=session.commit)
    t.start()
    t.join(10)
    assert session.scalars(select(Note.text)).all() == ["a"]
    session.close()
