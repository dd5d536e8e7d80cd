"""Set operations (issue 15): union, union_all, except_, except_all, intersect,
intersect_all as functions and Select methods; as subqueries and ORM entity sources.

Every statement runs on SQLite and PostgreSQL against the data in sqlexpr_models.
"""

from __future__ import annotations

import pytest
from conftest import BACKENDS
from sqlexpr_models import Address, User, seeded_engine

from uow_orm import (
    aliased,
    exc,
    except_,
    except_all,
    func,
    intersect,
    intersect_all,
    select,
    text,
    union,
    union_all,
)

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


young = select(User.name).where(User.age < 30)
managers = select(User.name).where(User.reports.any())


def test_union_removes_duplicates_and_union_all_keeps_them(session):
    assert sorted(session.scalars(union(young, managers))) == ["alice", "bob", "dave"]
    assert sorted(session.scalars(union_all(young, managers))) == [
        "alice",
        "bob",
        "bob",
        "dave",
    ]
    assert sorted(session.scalars(young.union(managers))) == ["alice", "bob", "dave"]
    assert len(session.scalars(young.union_all(managers, young)).all()) == 6


def test_except_and_intersect(session):
    assert session.scalars(except_(young, managers)).all() == ["dave"]
    assert session.scalars(young.intersect(managers)).all() == ["bob"]
    assert session.scalars(intersect(young, managers)).all() == ["bob"]
    assert session.scalars(young.except_(managers)).all() == ["dave"]


def test_except_all_and_intersect_all_on_postgresql_refused_on_sqlite(session, engine):
    ages = select(User.age)
    one = select(User.age).where(User.id == 2)
    if engine.dialect.name == "postgresql":
        assert sorted(session.scalars(except_all(ages, one))) == [25, 30, 35]
        assert session.scalars(intersect_all(ages, ages.where(User.age == 25))).all() == [25, 25]
        assert sorted(session.scalars(ages.except_all(one))) == [25, 30, 35]
        assert session.scalars(ages.intersect_all(one)).all() == [25]
    else:
        with pytest.raises(exc.NotSupportedError, match="EXCEPT ALL"):
            session.execute(except_all(ages, one))


def test_compound_order_by_limit_and_member_limits(session):
    u = union(young, managers).order_by(User.name.desc()).limit(2)
    assert session.scalars(u).all() == ["dave", "bob"]
    oldest = select(User.name).order_by(User.age.desc()).limit(1)
    assert sorted(session.scalars(union_all(oldest, young))) == ["bob", "carol", "dave"]


def test_union_as_a_subquery_with_columns(session):
    sub = union_all(
        select(User.id.label("uid"), User.name.label("label")),
        select(Address.user_id, Address.email),
    ).subquery()
    stmt = select(sub.c.uid, func.count()).group_by(sub.c.uid).order_by(sub.c.uid)
    assert [tuple(r) for r in session.execute(stmt)] == [(1, 3), (2, 2), (3, 2), (4, 1)]


def test_from_statement_loads_entities_from_a_union(session):
    u = union(select(User).where(User.age < 30), select(User).where(User.id == 1))
    got = session.scalars(select(User).from_statement(u)).all()
    assert sorted(x.name for x in got) == ["alice", "bob", "dave"]
    assert session.get(User, 1) in got  # identity-mapped


def test_from_statement_with_text(session):
    stmt = select(User).from_statement(text("SELECT * FROM x_users WHERE age = :age ORDER BY id"))
    got = session.scalars(stmt, {"age": 25}).all()
    assert [u.name for u in got] == ["bob", "dave"]
    with pytest.raises(exc.InvalidRequestError, match="no column 'age'"):
        session.execute(select(User).from_statement(text("SELECT id, name FROM x_users")))


def test_aliased_entity_over_a_union_subquery(session):
    u = union(select(User).where(User.age < 30), select(User).where(User.id == 3)).subquery()
    ua = aliased(User, u)
    got = session.scalars(select(ua).where(ua.age < 35).order_by(ua.name)).all()
    assert [x.name for x in got] == ["bob", "dave"]
    assert got[0] is session.get(User, 2)


def test_union_needs_matching_column_counts():
    with pytest.raises(exc.ArgumentError, match="same number of columns"):
        union(select(User.id), select(User.id, User.name))
