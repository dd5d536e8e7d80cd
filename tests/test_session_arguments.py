"""Session arguments of SQLAlchemy 2.0 that older and library code passes: ``future``,
``autobegin``, ``query_cls``, ``close_resets_only``, and ``Session.reset()``.

Each is checked against the database on SQLite and PostgreSQL: rows read back, the
transaction state, the exact exception.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import String, exc, select
from uow_orm.orm import DeclarativeBase, Mapped, Query, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "sa_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(40))


def test_future_true_is_the_only_session_there_is(db: Any) -> None:
    with Session(db, future=True) as s:
        s.add(Note(id=1, text="a"))
        s.commit()
    assert fetch(db, "SELECT id, text FROM sa_note") == [(1, "a")]
    with pytest.raises(exc.ArgumentError, match="'future' parameter passed to Session"):
        Session(db, future=False)


def test_autobegin_false_needs_begin(db: Any) -> None:
    s = Session(db, autobegin=False)
    with pytest.raises(exc.InvalidRequestError, match="Autobegin is disabled"):
        s.add(Note(id=1, text="a"))
    with pytest.raises(exc.InvalidRequestError, match="Autobegin is disabled"):
        s.execute(select(Note))
    assert not s.in_transaction()
    with s.begin():
        s.add(Note(id=1, text="a"))
    assert fetch(db, "SELECT id, text FROM sa_note") == [(1, "a")]
    # after the commit, the next unit of work needs begin() again
    with pytest.raises(exc.InvalidRequestError, match="Autobegin is disabled"):
        s.get(Note, 1)
    s.begin()
    assert s.get(Note, 1).text == "a"  # type: ignore[union-attr]
    s.rollback()
    s.close()


def test_autobegin_false_through_sessionmaker(db: Any) -> None:
    factory = sessionmaker(db, autobegin=False)
    with factory() as s:
        with pytest.raises(exc.InvalidRequestError, match="Autobegin is disabled"):
            s.scalars(select(Note)).all()
        with s.begin():
            s.add(Note(id=2, text="b"))
    assert fetch(db, "SELECT id FROM sa_note") == [(2,)]


class CountingQuery(Query[Any]):
    """A Query subclass, as ``query_cls`` takes."""

    def texts(self) -> list[str]:
        return sorted(n.text for n in self.all())


def test_query_cls_is_the_class_query_builds(db: Any) -> None:
    with Session(db, query_cls=CountingQuery) as s:
        s.add_all([Note(id=1, text="b"), Note(id=2, text="a")])
        s.flush()
        q = s.query(Note)
        assert type(q) is CountingQuery
        assert q.texts() == ["a", "b"]
        assert q.filter(Note.id == 2).texts() == ["a"]
    with Session(db) as s:
        assert type(s.query(Note)) is Query


def test_close_resets_only_false_closes_for_good(db: Any) -> None:
    s = Session(db, close_resets_only=False)
    s.add(Note(id=1, text="a"))
    s.commit()
    s.close()
    with pytest.raises(exc.InvalidRequestError, match="permanently closed"):
        s.get(Note, 1)
    with pytest.raises(exc.InvalidRequestError, match="permanently closed"):
        s.add(Note(id=2, text="b"))
    assert fetch(db, "SELECT id FROM sa_note") == [(1,)]


def test_reset_leaves_the_session_usable(db: Any) -> None:
    s = Session(db, close_resets_only=False)
    n = Note(id=1, text="a")
    s.add(n)
    s.flush()
    s.reset()  # rolls back the flushed row and detaches the object
    assert fetch(db, "SELECT id FROM sa_note") == []
    assert n not in s
    s.add(Note(id=3, text="c"))
    s.commit()
    assert fetch(db, "SELECT id FROM sa_note") == [(3,)]
    s.close()


def test_default_close_keeps_the_session_usable(db: Any) -> None:
    s = Session(db)
    s.add(Note(id=1, text="a"))
    s.commit()
    s.close()
    assert s.get(Note, 1).text == "a"  # type: ignore[union-attr]
    s.close()
