"""Statements from SQLAlchemy's tutorial and ORM query guide that used to fail: a
subquery adapted to an entity by column names, ``select()`` of a column sub-collection, a
correlated scalar subquery built with ``scalar_subquery().correlate()``, and the
descriptions of DML statements."""

from typing import Any

import pytest

from uow_orm import ForeignKey, String, func, insert, literal, select, update
from uow_orm.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "qg_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    fullname: Mapped[str] = mapped_column(String(60))


class Address(Base):
    __tablename__ = "qg_address"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("qg_user.id"))
    email: Mapped[str] = mapped_column(String(60))


@pytest.fixture
def session(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                User(id=1, name="spongebob", fullname="Spongebob Squarepants"),
                User(id=2, name="sandy", fullname="Sandy Cheeks"),
                Address(id=1, user_id=1, email="sb@x"),
                Address(id=2, user_id=2, email="sandy@x"),
                Address(id=3, user_id=2, email="sandy@y"),
            ]
        )
        s.commit()
        yield s
    Base.metadata.drop_all(engine)


def test_aliased_adapt_on_names_loads_an_entity_from_literal_columns(session: Any) -> None:
    subq = select(
        literal(14).label("id"),
        literal("made up name").label("name"),
        literal("made up fullname").label("fullname"),
    ).subquery()
    made_up = aliased(User, subq, adapt_on_names=True)
    [user] = session.execute(select(made_up)).scalars().all()
    assert (user.id, user.name, user.fullname) == (14, "made up name", "made up fullname")
    assert isinstance(user, User)


def test_select_of_a_column_subcollection_selects_those_columns(session: Any) -> None:
    table = User.__table__
    rows = session.execute(select(table.c["name", "fullname"]).order_by(table.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("spongebob", "Spongebob Squarepants"),
        ("sandy", "Sandy Cheeks"),
    ]


def test_scalar_subquery_correlate_and_where_count_per_row(session: Any) -> None:
    counted = (
        select(func.count(Address.id))
        .where(Address.user_id == User.id)
        .scalar_subquery()
        .correlate(User)
    )
    rows = session.execute(select(User.name, counted.label("n")).order_by(User.id)).all()
    assert [tuple(r) for r in rows] == [("spongebob", 1), ("sandy", 2)]
    later = select(func.count(Address.id)).scalar_subquery().where(Address.user_id == User.id)
    rows = session.execute(select(User.name, later.label("n")).order_by(User.id)).all()
    assert [tuple(r) for r in rows] == [("spongebob", 1), ("sandy", 2)]


def test_dml_entity_and_returning_descriptions() -> None:
    stmt = update(User).values(name="x").returning(User.id, User.name)
    description = stmt.entity_description
    assert description["entity"] is User and description["name"] == "User"
    assert description["table"] is User.__table__
    assert [(d["name"], d["entity"]) for d in stmt.returning_column_descriptions] == [
        ("id", User),
        ("name", User),
    ]
    core = insert(User.__table__)
    assert core.entity_description["entity"] is None
    assert core.entity_description["name"] == "qg_user"
    assert core.returning_column_descriptions == []
