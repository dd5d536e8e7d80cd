"""Session events before_flush, after_flush, after_commit, after_rollback, listened for on a
Session instance or on a sessionmaker. Both backends.

Listeners accept ``(session, *rest)``: API.md promises the session as the first argument;
SQLAlchemy passes more (flush context, instances) to the flush events.
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    Integer,
    Session,
    String,
    declarative_base,
    event,
    exc,
    select,
    sessionmaker,
    text,
)

Base = declarative_base()


class Note(Base):
    __tablename__ = "ev_notes"

    id = Column(Integer, primary_key=True)
    body = Column(String(50), nullable=False, unique=True)


EVENTS = ("before_flush", "after_flush", "after_commit", "after_rollback")


class Recorder:
    """Listens for every session event on a target; records (event name, session)."""

    def __init__(self, target) -> None:
        self.calls: list[tuple[str, object]] = []
        for name in EVENTS:
            event.listen(target, name, self._listener(name))

    def _listener(self, name):
        def listener(session, *rest):
            self.calls.append((name, session))

        return listener

    @property
    def names(self) -> list[str]:
        return [name for name, _session in self.calls]


def committed_bodies(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(text("SELECT body FROM ev_notes")))


def test_flush_and_commit_events_fire_in_order_with_the_session(db):
    s = Session(db)
    rec = Recorder(s)
    s.add(Note(body="a"))
    s.commit()
    assert rec.names == ["before_flush", "after_flush", "after_commit"]
    assert all(session is s for _name, session in rec.calls)
    s.close()


def test_each_flush_fires_its_own_flush_events(db):
    s = Session(db)
    rec = Recorder(s)
    s.add(Note(body="a"))
    s.flush()
    s.add(Note(body="b"))
    s.commit()
    assert rec.names == [
        "before_flush",
        "after_flush",
        "before_flush",
        "after_flush",
        "after_commit",
    ]
    s.close()


def test_after_rollback_fires_on_rollback(db):
    s = Session(db)
    rec = Recorder(s)
    s.add(Note(body="a"))
    s.flush()
    s.rollback()
    assert rec.names == ["before_flush", "after_flush", "after_rollback"]
    assert rec.calls[-1][1] is s
    assert committed_bodies(db) == []
    s.close()


def test_failed_flush_fires_before_flush_and_after_rollback_but_not_after_flush(db):
    with Session(db) as s:
        s.add(Note(body="dup"))
        s.commit()
    s = Session(db)
    rec = Recorder(s)
    s.add(Note(body="dup"))
    with pytest.raises(exc.IntegrityError):
        s.flush()
    assert rec.names[0] == "before_flush"
    assert "after_flush" not in rec.names
    s.rollback()
    assert "after_rollback" in rec.names
    assert "after_commit" not in rec.names
    assert all(session is s for _name, session in rec.calls)
    s.close()


def test_before_flush_sees_pending_objects_and_its_changes_are_flushed(db):
    s = Session(db)
    seen: list[list[str]] = []

    def shout(session, *rest):
        seen.append(sorted(obj.body for obj in session.new))
        for obj in session.new:
            obj.body = obj.body.upper()

    event.listen(s, "before_flush", shout)
    note = Note(body="quiet")
    s.add(note)
    s.commit()
    assert seen == [["quiet"]]
    assert committed_bodies(db) == ["QUIET"]
    assert note.body == "QUIET"
    s.close()


def test_after_commit_listener_sees_the_data_committed(db):
    s = Session(db)
    seen: list[list[str]] = []
    event.listen(s, "after_commit", lambda session, *rest: seen.append(committed_bodies(db)))
    s.add(Note(body="a"))
    s.commit()
    assert seen == [["a"]]
    s.close()


def test_listeners_on_a_session_do_not_fire_for_another_session(db):
    s = Session(db)
    rec = Recorder(s)
    with Session(db) as other:
        other.add(Note(body="a"))
        other.commit()
    assert rec.calls == []
    s.close()


def test_listeners_on_a_sessionmaker_fire_for_each_session_it_makes(db):
    factory = sessionmaker(bind=db)
    rec = Recorder(factory)

    first = factory()
    first.add(Note(body="a"))
    first.commit()
    second = factory(expire_on_commit=False)
    second.add(Note(body="b"))
    second.flush()
    second.rollback()

    assert rec.names == [
        "before_flush",
        "after_flush",
        "after_commit",
        "before_flush",
        "after_flush",
        "after_rollback",
    ]
    sessions = [session for _name, session in rec.calls]
    assert all(session is first for session in sessions[:3])
    assert all(session is second for session in sessions[3:])
    first.close()
    second.close()


def test_sessionmaker_listeners_fire_for_factory_begin(db):
    factory = sessionmaker(bind=db)
    rec = Recorder(factory)
    with factory.begin() as s:
        s.add(Note(body="a"))
    assert rec.names == ["before_flush", "after_flush", "after_commit"]
    assert all(session is s for _name, session in rec.calls)


def test_sessionmaker_listeners_do_not_fire_for_a_plain_session(db):
    factory = sessionmaker(bind=db)
    rec = Recorder(factory)
    with Session(db) as s:
        s.add(Note(body="a"))
        s.commit()
        assert s.scalars(select(Note.body)).all() == ["a"]
    assert rec.calls == []
