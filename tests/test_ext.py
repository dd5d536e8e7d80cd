"""Extensions: hybrid_property / hybrid_method, association_proxy, composite(), mutable
JSON values.

Acceptance tests for issue 13 (usage taken from SQLAlchemy's ext.hybrid,
ext.associationproxy, composites and ext.mutable documentation); SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from uow_orm import (
    JSON,
    ForeignKey,
    Mapped,
    Session,
    String,
    exc,
    func,
    mapped_column,
    relationship,
    select,
    text,
    update,
)
from uow_orm.ext.associationproxy import association_proxy
from uow_orm.ext.hybrid import Comparator, hybrid_method, hybrid_property
from uow_orm.ext.mutable import MutableDict, MutableList
from uow_orm.orm import DeclarativeBase, composite


def fetch(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


class Base(DeclarativeBase):
    pass


class CaseInsensitive(Comparator[str]):
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return func.lower(self.__clause_element__()) == func.lower(other)


class Interval(Base):
    __tablename__ = "interval"
    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[int]
    end: Mapped[int]
    first: Mapped[str] = mapped_column(String(20), default="a")
    last: Mapped[str] = mapped_column(String(20), default="b")

    @hybrid_property
    def length(self) -> int:
        return self.end - self.start

    @hybrid_method
    def contains(self, point: int) -> Any:
        return (self.start <= point) & (point <= self.end)

    @hybrid_property
    def fullname(self) -> str:
        return self.first + " " + self.last

    @fullname.setter
    def fullname(self, value: str) -> None:
        self.first, self.last = value.split(" ", 1)

    @fullname.update_expression
    def fullname(cls, value: str) -> list[tuple[Any, Any]]:
        first, last = value.split(" ", 1)
        return [(cls.first, first), (cls.last, last)]

    @hybrid_property
    def radius(self) -> float:
        return abs(self.length) / 2

    @radius.expression
    def radius(cls) -> Any:
        return func.abs(cls.end - cls.start) * 0.5

    @hybrid_property
    def word(self) -> str:
        return self.first.lower()

    @word.comparator
    def word(cls) -> CaseInsensitive:
        return CaseInsensitive(cls.first)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Vertex(Base):
    __tablename__ = "vertex"
    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[Point] = composite(mapped_column("x1"), mapped_column("y1"))
    end: Mapped[Point] = composite(mapped_column("x2"), mapped_column("y2"))


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    kw: Mapped[list[UserKeyword]] = relationship(back_populates="user")
    keywords = association_proxy("kw", "keyword_name")
    profile: Mapped[Profile | None] = relationship()
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profile.id"))
    bio = association_proxy("profile", "bio", creator=lambda v: Profile(bio=v))
    data: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON), default=dict)
    tags: Mapped[list[str]] = mapped_column(MutableList.as_mutable(JSON), default=list)


class UserKeyword(Base):
    __tablename__ = "user_keyword"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    keyword_name: Mapped[str] = mapped_column(String(20))
    user: Mapped[User | None] = relationship(back_populates="kw")


class Profile(Base):
    __tablename__ = "profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    bio: Mapped[str] = mapped_column(String(50))


# -- hybrids -----------------------------------------------------------------------------------


def test_hybrid_property_and_method_on_instances_and_in_queries(db):
    with Session(db) as s:
        s.add_all([Interval(id=1, start=5, end=10), Interval(id=2, start=1, end=20)])
        s.commit()
        iv = s.get(Interval, 1)
        assert iv.length == 5 and iv.contains(7) and not iv.contains(11)
        assert s.scalars(select(Interval.id).where(Interval.length > 10)).all() == [2]
        assert s.scalars(select(Interval.id).where(Interval.contains(15))).all() == [2]
        assert s.scalars(select(Interval.length).order_by(Interval.id)).all() == [5, 19]


def test_hybrid_setter_expression_comparator_and_update_expression(db):
    with Session(db) as s:
        iv = Interval(id=1, start=0, end=9, fullname="Ann Lee")
        assert (iv.first, iv.last) == ("Ann", "Lee")
        s.add(iv)
        s.commit()
        assert s.scalars(select(Interval.id).where(Interval.fullname == "Ann Lee")).all() == [1]
        assert s.scalars(select(Interval.id).where(Interval.radius > 4)).all() == [1]
        assert iv.radius == 4.5
        assert s.scalars(select(Interval.id).where(Interval.word == "ANN")).all() == [1]
        s.execute(update(Interval).values({Interval.fullname: "Bob Ray"}))
        s.commit()
    assert fetch(db, "SELECT first, last FROM interval") == [("Bob", "Ray")]


def test_hybrid_without_update_expression_cannot_be_updated(db):
    with pytest.raises(exc.InvalidRequestError, match="update_expression"):
        update(Interval).values({Interval.radius: 3})


# -- composites --------------------------------------------------------------------------------


def test_composite_round_trips_and_compares(db):
    with Session(db) as s:
        v = Vertex(id=1, start=Point(1, 2), end=Point(3, 4))
        s.add(v)
        s.commit()
    assert fetch(db, "SELECT x1, y1, x2, y2 FROM vertex") == [(1, 2, 3, 4)]
    with Session(db) as s:
        v = s.scalars(select(Vertex).where(Vertex.start == Point(1, 2))).one()
        assert v.end == Point(3, 4)
        v.end = Point(5, 6)
        s.commit()
    assert fetch(db, "SELECT x2, y2 FROM vertex") == [(5, 6)]
    assert [c.name for c in Vertex.__table__.c] == ["id", "x1", "y1", "x2", "y2"]


# -- association proxies -----------------------------------------------------------------------


def test_association_proxy_over_a_list_collection(db):
    with Session(db) as s:
        u = User(id=1, name="ann")
        u.keywords.append("cheese")
        u.keywords.extend(["wine", "bread"])
        assert list(u.keywords) == ["cheese", "wine", "bread"]
        assert "wine" in u.keywords and len(u.keywords) == 3
        u.keywords.remove("bread")
        s.add(u)
        s.commit()
    assert fetch(db, "SELECT user_id, keyword_name FROM user_keyword ORDER BY id") == [
        (1, "cheese"),
        (1, "wine"),
    ]
    with Session(db) as s:
        assert s.get(User, 1).keywords == ["cheese", "wine"]
        found = s.scalars(select(User.name).where(User.keywords.contains("wine"))).all()
        assert found == ["ann"]
        assert s.scalars(select(User.id).where(User.keywords.any())).all() == [1]


def test_association_proxy_over_a_scalar_relationship_with_creator(db):
    with Session(db) as s:
        u = User(id=1, name="ann")
        assert u.bio is None
        u.bio = "hello"
        assert u.profile.bio == "hello"
        u.profile.id = 5
        s.add(u)
        s.commit()
        u.bio = "changed"
        s.commit()
    assert fetch(db, "SELECT id, bio FROM profile") == [(5, "changed")]
    with Session(db) as s:
        assert s.scalars(select(User.id).where(User.bio == "changed")).all() == [1]


# -- mutable ----------------------------------------------------------------------------------


def test_mutable_dict_in_place_changes_are_flushed(db):
    with Session(db) as s:
        u = User(id=1, name="ann", data={"a": 1})
        assert isinstance(u.data, MutableDict)
        s.add(u)
        s.commit()
        u.data["b"] = 2  # loaded again after the commit expired it
        assert u in s.dirty
        s.commit()
    with Session(db) as s:
        u = s.get(User, 1)
        assert u.data == {"a": 1, "b": 2}
        del u.data["a"]
        s.commit()
    with Session(db) as s:
        assert s.get(User, 1).data == {"b": 2}


def test_mutable_list_in_place_changes_are_flushed(db):
    with Session(db, expire_on_commit=False) as s:
        u = User(id=1, name="ann")
        s.add(u)
        s.commit()
        u.tags.append("x")
        u.tags.append("y")
        s.commit()
        u.tags.remove("x")
        s.commit()
    with Session(db) as s:
        assert s.get(User, 1).tags == ["y"]
