"""CTEs, EXISTS, scalar subqueries, correlation, LATERAL and VALUES (issue 15).

Every statement runs on SQLite and PostgreSQL against the data in sqlexpr_models; the
DML tests work on their own tables.
"""

from __future__ import annotations

import pytest
from conftest import BACKENDS
from sqlexpr_models import Address, User, seeded_engine

from uow_orm import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    aliased,
    delete,
    exc,
    exists,
    func,
    literal,
    select,
    true,
    update,
)
from uow_orm.sql import column, values

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


def test_recursive_cte_walks_the_management_chain(session):
    top = (
        select(User.id, User.name, literal(0).label("depth"))
        .where(User.manager_id.is_(None))
        .cte("chain", recursive=True)
    )
    below = aliased(User)
    chain = top.union_all(
        select(below.id, below.name, top.c.depth + 1).where(below.manager_id == top.c.id)
    )
    stmt = select(chain.c.name, chain.c.depth).order_by(chain.c.depth, chain.c.name)
    assert str(stmt).startswith(
        "WITH RECURSIVE chain(id, name, depth) AS \n(SELECT x_users.id AS id"
    )
    assert [tuple(r) for r in session.execute(stmt)] == [
        ("alice", 0),
        ("bob", 1),
        ("carol", 1),
        ("dave", 2),
    ]


def test_cte_used_in_where_and_in_a_join(session):
    young = select(User.id).where(User.age < 30).cte()
    stmt = select(User.name).where(User.id.in_(select(young.c.id))).order_by(User.id)
    assert session.scalars(stmt).all() == ["bob", "dave"]
    counts = (
        select(Address.user_id, func.count().label("n")).group_by(Address.user_id).cte("counts")
    )
    stmt = (
        select(User.name, counts.c.n)
        .join(counts, counts.c.user_id == User.id)
        .where(counts.c.n > 1)
    )
    assert [tuple(r) for r in session.execute(stmt)] == [("alice", 2)]


def test_two_ctes_parameters_stay_in_order(session):
    a = select(User.id).where(User.age > 26).cte("a")
    b = select(User.id).where(User.name != "carol").cte("b")
    stmt = (
        select(User.name)
        .where(User.id.in_(select(a.c.id)), User.id.in_(select(b.c.id)), User.age < 99)
        .order_by(User.id)
    )
    assert session.scalars(stmt).all() == ["alice"]


def test_aliased_entity_over_a_cte(session):
    cte = select(User).where(User.age == 25).cte("same_age")
    ua = aliased(User, cte)
    got = session.scalars(select(ua).order_by(ua.id)).all()
    assert [u.name for u in got] == ["bob", "dave"]
    assert got[0] is session.get(User, 2)


def test_exists_function_and_method(session):
    has_address = exists().where(Address.user_id == User.id)
    assert session.scalars(select(User.name).where(~has_address).order_by(User.id)).all() == [
        "dave"
    ]
    stmt = select(User.name).where(
        select(Address.id).where(Address.user_id == User.id, Address.email.like("%work")).exists()
    )
    assert sorted(session.scalars(stmt)) == ["alice", "carol"]
    assert session.scalar(select(exists().where(User.age > 100))) in (False, 0)


def test_scalar_subquery_in_columns_where_and_order_by(session):
    n = select(func.count(Address.id)).where(Address.user_id == User.id).scalar_subquery()
    rows = session.execute(select(User.name, n.label("n")).order_by(n.desc(), User.id)).all()
    assert [tuple(r) for r in rows] == [("alice", 2), ("bob", 1), ("carol", 1), ("dave", 0)]
    assert session.scalars(select(User.name).where(n == 0)).all() == ["dave"]


def test_correlate_none_and_correlate_except(session):
    total = select(func.count(Address.id)).where(Address.user_id == User.id)
    uncorrelated = total.correlate(None).scalar_subquery()
    assert "FROM x_addresses, x_users" in str(select(User.name, uncorrelated))
    assert set(session.scalars(select(uncorrelated.label("n")).select_from(User))) == {4}
    explicit = total.correlate(User).scalar_subquery()
    assert session.scalars(select(User.id, explicit).order_by(User.id)).all() == [1, 2, 3, 4]
    assert [r[1] for r in session.execute(select(User.id, explicit).order_by(User.id))] == [
        2,
        1,
        1,
        0,
    ]
    except_ = total.correlate_except(Address).scalar_subquery()
    assert [r[1] for r in session.execute(select(User.id, except_).order_by(User.id))] == [
        2,
        1,
        1,
        0,
    ]


def test_values_as_a_from_clause(session):
    tags = values(column("id", Integer), column("tag", String), name="tags").data(
        [(1, "one"), (2, "two")]
    )
    stmt = select(User.name, tags.c.tag).join(tags, tags.c.id == User.id).order_by(User.id)
    assert [tuple(r) for r in session.execute(stmt)] == [("alice", "one"), ("bob", "two")]
    with pytest.raises(exc.ArgumentError, match="2 values for 1 columns"):
        values(column("x")).data([(1, 2)])


def test_lateral_on_postgresql_refused_on_sqlite(session, engine):
    latest = (
        select(Address.email)
        .where(Address.user_id == User.id)
        .order_by(Address.id.desc())
        .limit(1)
        .lateral("latest")
    )
    stmt = select(User.name, latest.c.email).join(latest, true()).order_by(User.id)
    if engine.dialect.name == "postgresql":
        assert [tuple(r) for r in session.execute(stmt)] == [
            ("alice", "alice@work"),
            ("bob", "bob@home"),
            ("carol", "carol@work"),
        ]
    else:
        with pytest.raises(exc.NotSupportedError, match="LATERAL"):
            session.execute(stmt)


@pytest.fixture
def scores(engine):
    md = MetaData()
    t = Table(
        "x_scores",
        md,
        Column("id", Integer, primary_key=True),
        Column("points", Integer, nullable=False),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": i, "points": i * 10} for i in range(1, 6)])
    yield t
    md.drop_all(engine)


def test_cte_in_update_and_delete(engine, scores):
    low = select(scores.c.id).where(scores.c.points < 30).cte("low")
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.id.in_(select(low.c.id))).values(points=0))
        assert conn.execute(select(scores.c.points).order_by(scores.c.id)).scalars().all() == [
            0,
            0,
            30,
            40,
            50,
        ]
        high = select(scores.c.id).where(scores.c.points > 35).cte()
        conn.execute(delete(scores).where(scores.c.id.in_(select(high.c.id))))
        assert conn.execute(select(func.count()).select_from(scores)).scalar() == 3
