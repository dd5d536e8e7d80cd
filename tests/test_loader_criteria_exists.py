"""``with_loader_criteria`` on the mapped classes a SELECT reads without selecting them,
as SQLAlchemy 2.1 applies it: a bare ``exists().where(Child.parent_id == Parent.id)``,
``Parent.children.any()`` / ``Child.parent.has()``, ``select_from(Child)`` in a scalar
subquery, and a class implied by the WHERE clause of the statement itself; a condition
written with Core table columns is not filtered (it names no ORM entity). Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import ForeignKey, and_, exists, func, literal, select
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    with_loader_criteria,
)


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "lce_parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    children: Mapped[list[Child]] = relationship(back_populates="parent")


class Child(Base):
    __tablename__ = "lce_child"
    id: Mapped[int] = mapped_column(primary_key=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("lce_parent.id"))
    parent: Mapped[Parent | None] = relationship(back_populates="children")


LIVE = with_loader_criteria(Child, Child.deleted == False)  # noqa: E712
SHOWN = with_loader_criteria(Parent, lambda cls: cls.hidden == False)  # noqa: E712


@pytest.fixture
def s(db: Any) -> Any:
    with Session(db) as session:
        # parent 1: only a deleted child; 2: a live child; 3: hidden, a live child; 4: none
        session.add_all(
            [
                Parent(id=1, children=[Child(id=1, deleted=True)]),
                Parent(id=2, children=[Child(id=2)]),
                Parent(id=3, hidden=True, children=[Child(id=3)]),
                Parent(id=4),
            ]
        )
        session.commit()
        yield session


def ids(s: Any, stmt: Any, *opts: Any) -> list[Any]:
    return s.execute(stmt.options(*(opts or (LIVE,)))).all()


def test_bare_exists_where_filters_the_orm_entity_inside_it(s):
    has_child = exists().where(Child.parent_id == Parent.id)
    assert ids(s, select(Parent.id).where(has_child).order_by(Parent.id)) == [(2,), (3,)]
    reversed_ = exists().where(Parent.id == Child.parent_id)
    assert ids(s, select(Parent.id).where(reversed_).order_by(Parent.id)) == [(2,), (3,)]


def test_not_exists_sees_the_filtered_rows(s):
    stmt = select(Parent.id).where(~exists().where(Child.parent_id == Parent.id))
    assert ids(s, stmt.order_by(Parent.id)) == [(1,), (4,)]


def test_exists_in_the_columns_clause_is_filtered(s):
    stmt = select(Parent.id, exists().where(Child.parent_id == Parent.id)).order_by(Parent.id)
    assert [tuple(r) for r in ids(s, stmt)] == [(1, False), (2, True), (3, True), (4, False)]


def test_exists_whose_criteria_are_combined_with_and_is_filtered(s):
    # SQLAlchemy loses the entity through and_() here and returns parent 1 too; uow_orm
    # filters every ORM spelling alike
    crit = and_(Child.id > 0, Child.parent_id == Parent.id)
    stmt = select(Parent.id).where(exists().where(crit)).order_by(Parent.id)
    assert ids(s, stmt) == [(2,), (3,)]


def test_relationship_any_and_has_are_filtered(s):
    assert ids(s, select(Parent.id).where(Parent.children.any()).order_by(Parent.id)) == [
        (2,),
        (3,),
    ]
    stmt = select(Parent.id).where(Parent.children.any(Child.id > 0)).order_by(Parent.id)
    assert ids(s, stmt) == [(2,), (3,)]
    stmt = select(Child.id).where(Child.parent.has()).order_by(Child.id)
    assert ids(s, stmt, SHOWN) == [(1,), (2,)]


def test_select_from_an_entity_in_a_scalar_subquery_is_filtered(s):
    live = (
        select(func.count())
        .select_from(Child)
        .where(Child.parent_id == Parent.id)
        .scalar_subquery()
    )
    stmt = select(Parent.id, live).order_by(Parent.id)
    assert [tuple(r) for r in ids(s, stmt)] == [(1, 0), (2, 1), (3, 1), (4, 0)]
    one = select(literal(1)).select_from(Child).where(Child.parent_id == Parent.id)
    stmt = select(Parent.id).where(one.exists()).order_by(Parent.id)
    assert ids(s, stmt) == [(2,), (3,)]


def test_an_entity_implied_by_the_statements_where_clause_is_filtered(s):
    stmt = select(Parent.id).where(Child.parent_id == Parent.id).order_by(Parent.id)
    assert ids(s, stmt) == [(2,), (3,)]


def test_the_correlated_outer_entity_is_filtered_outside_the_exists_only(s):
    stmt = select(Parent.id).where(exists().where(Child.parent_id == Parent.id))
    assert ids(s, stmt.order_by(Parent.id), LIVE, SHOWN) == [(2,)]
    inner = exists().where(Child.parent_id == Parent.id)
    stmt = select(Child.id).where(inner).order_by(Child.id)
    assert ids(s, stmt, SHOWN) == [(1,), (2,)]


def test_core_table_columns_name_no_entity_and_are_not_filtered(s):
    c = Child.__table__.c
    stmt = select(Parent.id).where(exists().where(c.parent_id == Parent.id))
    assert ids(s, stmt.order_by(Parent.id)) == [(1,), (2,), (3,)]
    # the ORM spelling of the same SQL, run next, does not reuse the cached statement
    stmt = select(Parent.id).where(exists().where(Child.parent_id == Parent.id))
    assert ids(s, stmt.order_by(Parent.id)) == [(2,), (3,)]
    core = select(Parent.id).where(
        select(literal(1)).select_from(Child.__table__).where(c.parent_id == Parent.id).exists()
    )
    assert ids(s, core.order_by(Parent.id)) == [(1,), (2,), (3,)]


def test_exists_correlate_and_select_from(s):
    stmt = select(Parent.id).where(
        exists().select_from(Child).where(Child.parent_id == Parent.id).correlate(Parent)
    )
    assert ids(s, stmt.order_by(Parent.id)) == [(2,), (3,)]
    stmt = select(Parent.id).where(
        exists().where(Child.parent_id == Parent.id).correlate_except(Child)
    )
    assert ids(s, stmt.order_by(Parent.id)) == [(2,), (3,)]


def test_an_aliased_entity_in_a_bare_exists_is_filtered_with_include_aliases(s):
    from uow_orm.orm import aliased

    kid = aliased(Child)
    stmt = select(Parent.id).where(exists().where(kid.parent_id == Parent.id)).order_by(Parent.id)
    with_aliases = with_loader_criteria(Child, lambda c: c.deleted == False, include_aliases=True)  # noqa: E712
    assert ids(s, stmt, with_aliases) == [(2,), (3,)]
    assert ids(s, stmt) == [(1,), (2,), (3,)]  # without include_aliases the alias is not
