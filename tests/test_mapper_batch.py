"""``__mapper_args__ = {"batch": False}``: each object's INSERT / UPDATE runs between its
own before_* and after_* events, so a listener sees the rows written before it (as in
SQLAlchemy; DELETEs stay batched there and here)."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import event, exc, text
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class OneByOne(Base):
    __tablename__ = "one_by_one"
    __mapper_args__ = {"batch": False}
    id: Mapped[int] = mapped_column(primary_key=True)
    x: Mapped[int]


class Batched(Base):
    __tablename__ = "batched"
    id: Mapped[int] = mapped_column(primary_key=True)
    x: Mapped[int]


EVENTS = ("before_insert", "after_insert", "before_update", "after_update")


@pytest.fixture
def record() -> Any:
    """``record(Model)``: a list of (event, target.x, sum of x in the table as the listener
    sees it) per event; the listeners are removed after the test."""
    added: list[tuple[type, str, Any]] = []

    def start(model: type) -> list[tuple[str, int, int]]:
        seen: list[tuple[str, int, int]] = []
        table = model.__tablename__  # type: ignore[attr-defined]

        def listener(name: str) -> Any:
            def fn(mapper: Any, conn: Any, target: Any) -> None:
                total = conn.execute(text(f"SELECT coalesce(sum(x), 0) FROM {table}")).scalar()
                seen.append((name, target.x, total))

            return fn

        for name in EVENTS:
            fn = listener(name)
            event.listen(model, name, fn)
            added.append((model, name, fn))
        return seen

    yield start
    for model, name, fn in added:
        event.remove(model, name, fn)


def _flush_three(session: Session, model: type) -> None:
    objs = [model(id=i, x=i) for i in (1, 2, 3)]
    session.add_all(objs)
    session.flush()
    for o in objs:
        o.x += 10
    session.flush()


def test_batch_false_writes_each_row_between_its_events(session: Session, record: Any) -> None:
    seen = record(OneByOne)
    _flush_three(session, OneByOne)
    assert seen == [
        ("before_insert", 1, 0),
        ("after_insert", 1, 1),
        ("before_insert", 2, 1),
        ("after_insert", 2, 3),
        ("before_insert", 3, 3),
        ("after_insert", 3, 6),
        ("before_update", 11, 6),
        ("after_update", 11, 16),
        ("before_update", 12, 16),
        ("after_update", 12, 26),
        ("before_update", 13, 26),
        ("after_update", 13, 36),
    ]


def test_batch_default_fires_every_before_event_first(session: Session, record: Any) -> None:
    seen = record(Batched)
    _flush_three(session, Batched)
    assert [s for s in seen if s[0] == "before_insert"] == [
        ("before_insert", 1, 0),
        ("before_insert", 2, 0),
        ("before_insert", 3, 0),
    ]
    assert [s[2] for s in seen if s[0] == "after_insert"] == [6, 6, 6]


def test_batch_must_be_a_bool() -> None:
    with pytest.raises(exc.ArgumentError, match="batch"):

        class Bad(Base):
            __tablename__ = "bad_batch"
            __mapper_args__ = {"batch": "no"}
            id: Mapped[int] = mapped_column(primary_key=True)
