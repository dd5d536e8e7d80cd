"""Composite comparisons: the default ordering operators and a ``comparator_factory``
(``CompositeProperty.Comparator`` subclass) that redefines one and adds a method."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from uow_orm import and_, exc, func, select
from uow_orm.orm import (
    CompositeProperty,
    DeclarativeBase,
    Mapped,
    Session,
    composite,
    mapped_column,
)


@dataclasses.dataclass
class Point:
    x: int
    y: int


class PointComparator(CompositeProperty.Comparator):
    def __gt__(self, other: Any) -> Any:  # "greater" means: either coordinate is
        x, y = self.__clause_element__().clauses
        return (x > other.x) | (y > other.y)

    def near(self, other: Point, distance: int) -> Any:
        x, y = self.__clause_element__().clauses
        return func.abs(x - other.x) + func.abs(y - other.y) <= distance


class Base(DeclarativeBase):
    pass


class Vertex(Base):
    __tablename__ = "cc_vertex"
    id: Mapped[int] = mapped_column(primary_key=True)
    start: Mapped[Point] = composite(mapped_column("x1"), mapped_column("y1"))
    end: Mapped[Point] = composite(
        mapped_column("x2"), mapped_column("y2"), comparator_factory=PointComparator
    )


@pytest.fixture
def vertices(session: Session) -> Session:
    session.add_all(
        [
            Vertex(id=1, start=Point(1, 1), end=Point(1, 9)),
            Vertex(id=2, start=Point(5, 6), end=Point(2, 2)),
            Vertex(id=3, start=Point(7, 8), end=Point(9, 1)),
        ]
    )
    session.commit()
    return session


def _ids(session: Session, where: Any) -> list[int]:
    return list(session.scalars(select(Vertex.id).where(where).order_by(Vertex.id)))


def test_default_ordering_operators_compare_every_column(vertices: Session) -> None:
    assert _ids(vertices, Vertex.start > Point(4, 5)) == [2, 3]
    assert _ids(vertices, Vertex.start >= Point(5, 6)) == [2, 3]
    assert _ids(vertices, Vertex.start < Point(6, 7)) == [1, 2]
    assert _ids(vertices, Vertex.start <= Point(1, 1)) == [1]
    assert _ids(vertices, Vertex.start == Point(5, 6)) == [2]
    assert _ids(vertices, Vertex.start != Point(5, 6)) == [1, 3]


def test_comparator_factory_redefines_an_operator_and_adds_a_method(vertices: Session) -> None:
    assert isinstance(Vertex.end.comparator, PointComparator)
    assert Vertex.end.comparator.prop is Vertex.__mapper__.attrs["end"]
    # redefined: either coordinate greater
    assert _ids(vertices, Vertex.end > Point(8, 8)) == [1, 3]
    # inherited from the base comparator
    assert _ids(vertices, Vertex.end == Point(2, 2)) == [2]
    assert _ids(vertices, Vertex.end.near(Point(1, 1), 2)) == [2]
    both = and_(Vertex.end > Point(8, 8), Vertex.start < Point(2, 2))
    assert _ids(vertices, both) == [1]


def test_comparator_factory_must_be_a_comparator_subclass() -> None:
    with pytest.raises(exc.ArgumentError, match="comparator_factory"):
        composite(mapped_column("x"), mapped_column("y"), comparator_factory=dict)
