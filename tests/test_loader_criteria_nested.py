"""``with_loader_criteria`` reaches the entity wherever the statement reads it: a FROM
subquery (``Query.count()``), an IN subquery, EXISTS, a scalar subquery, a CTE, a
UNION's members, as SQLAlchemy 2.1 applies it (checked against SQLAlchemy's results)."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import ForeignKey, event, func, select, true
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    mapped_column,
    with_loader_criteria,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "lcn_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    public: Mapped[bool]


class Address(Base):
    __tablename__ = "lcn_address"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lcn_user.id"))
    public: Mapped[bool]


@pytest.fixture
def s(db: Any) -> Any:
    with Session(db) as session:
        session.add_all([User(id=1, public=True), User(id=2, public=False)])
        session.add(User(id=3, public=True))
        session.flush()
        session.add_all(
            [
                Address(id=1, user_id=1, public=True),
                Address(id=2, user_id=2, public=True),
                Address(id=3, user_id=3, public=False),
            ]
        )
        session.commit()
        yield session


PUBLIC = with_loader_criteria(User, User.public == true())


def test_count_of_an_entity_subquery_applies_the_outer_statements_criteria(s):
    stmt = select(func.count()).select_from(select(User).subquery()).options(PUBLIC)
    assert s.execute(stmt).scalar_one() == 2
    cols = select(func.count()).select_from(select(User.id).subquery()).options(PUBLIC)
    assert s.execute(cols).scalar_one() == 2
    assert s.execute(select(func.count()).select_from(select(User).subquery())).scalar() == 3


def test_query_count_applies_the_querys_criteria_and_execution_options(s):
    assert s.query(User).options(PUBLIC).count() == 2
    seen = []

    @event.listens_for(s, "do_orm_execute")
    def public_only(state: Any) -> None:
        seen.append(state.execution_options.get("include_private", False))
        if state.is_select and not state.execution_options.get("include_private", False):
            state.statement = state.statement.options(
                with_loader_criteria(User, lambda cls: cls.public == true())
            )

    assert s.query(User).count() == 2
    assert s.query(User).execution_options(include_private=True).count() == 3
    assert seen == [False, True]


def test_in_and_exists_and_scalar_subqueries_are_filtered(s):
    in_ = select(Address.id).where(Address.user_id.in_(select(User.id))).order_by(Address.id)
    assert s.scalars(in_.options(PUBLIC)).all() == [1, 3]
    ex = (
        select(Address.id)
        .where(select(User.id).where(User.id == Address.user_id).exists())
        .order_by(Address.id)
    )
    assert s.scalars(ex.options(PUBLIC)).all() == [1, 3]
    scalar = select(
        Address.id,
        select(func.count(User.id)).where(User.id == Address.user_id).scalar_subquery(),
    ).order_by(Address.id)
    assert [tuple(r) for r in s.execute(scalar.options(PUBLIC))] == [(1, 1), (2, 0), (3, 1)]


def test_cte_and_union_members_are_filtered(s):
    cte = select(func.count()).select_from(select(User).cte()).options(PUBLIC)
    assert s.execute(cte).scalar_one() == 2
    union = select(User.id).union_all(select(User.id)).subquery()
    assert s.execute(select(func.count()).select_from(union).options(PUBLIC)).scalar() == 4


def test_aliases_in_subqueries_follow_include_aliases(s):
    ua = aliased(User)
    sub = select(func.count()).select_from(select(ua).subquery())
    assert s.execute(sub.options(PUBLIC)).scalar_one() == 3  # include_aliases=False
    with_aliases = with_loader_criteria(User, lambda c: c.public == true(), include_aliases=True)
    assert s.execute(sub.options(with_aliases)).scalar_one() == 2


def test_a_table_subquery_and_the_subquerys_own_option_are_not_filtered(s):
    """As in SQLAlchemy: a Core table is no entity, and only the outermost statement's
    options count."""
    core = select(func.count()).select_from(select(User.__table__).subquery())
    assert s.execute(core.options(PUBLIC)).scalar_one() == 3
    inner = select(func.count()).select_from(select(User).options(PUBLIC).subquery())
    assert s.execute(inner).scalar_one() == 3


def test_nested_criteria_without_parameters_are_never_a_wrong_cache_hit(s):
    def count(criterion: Any) -> int:
        stmt = select(func.count()).select_from(select(User).subquery())
        return int(s.execute(stmt.options(with_loader_criteria(User, criterion))).scalar())

    assert count(User.public.is_(True)) == 2
    assert count(User.public.is_(False)) == 1
    assert count(User.public.is_(True)) == 2
    assert s.execute(select(func.count()).select_from(select(User).subquery())).scalar() == 3
