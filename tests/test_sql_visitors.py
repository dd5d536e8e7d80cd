"""``uow_orm.sql.visitors``: walking a statement's tree as SQLAlchemy's visitors do
(``traverse`` / ``iterate``), with ``Select.whereclause``, ``BindParameter.effective_value``
and ``ColumnElement.shares_lineage``. Pure expression tests: no database."""

from __future__ import annotations

from typing import Any

from uow_orm import Integer, String, and_, select
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column
from uow_orm.sql import visitors


class Base(DeclarativeBase):
    pass


class City(Base):
    __tablename__ = "city"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    continent: Mapped[str] = mapped_column(String(20))


def test_traverse_visits_binaries_columns_and_parameters_breadth_first() -> None:
    stmt = select(City).where(City.continent == "Asia", City.id > 3)
    seen: list[tuple[str, Any]] = []
    visitors.traverse(
        stmt.whereclause,
        {},
        {
            "binary": lambda b: seen.append(("binary", b.operator)),
            "bindparam": lambda p: seen.append(("bindparam", p.effective_value)),
            "column": lambda c: seen.append(("column", c.name)),
        },
    )
    assert seen == [
        ("binary", "="),
        ("binary", ">"),
        ("column", "continent"),
        ("bindparam", "Asia"),
        ("column", "id"),
        ("bindparam", 3),
    ]


def test_whereclause_is_none_one_criterion_or_their_and() -> None:
    assert select(City).whereclause is None
    one = City.id == 1
    assert select(City).where(one).whereclause is one
    both = select(City).where(City.id == 1, City.continent == "x").whereclause
    assert str(both) == str(and_(City.id == 1, City.continent == "x"))


def test_shares_lineage_matches_the_same_table_column() -> None:
    column = City.__table__.c.continent
    assert column.shares_lineage(City.continent)
    assert not City.__table__.c.id.shares_lineage(City.continent)


def test_iterate_starts_with_the_element_and_stops_at_columns() -> None:
    expr = City.id == 5
    nodes = list(visitors.iterate(expr))
    assert nodes[0] is expr
    assert [visitors.visit_name(n) for n in nodes] == ["binary", "column", "bindparam"]
