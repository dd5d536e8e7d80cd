"""Column expressions and functions (issue 15): case, cast, literals, tuple_, any_/all_,
DISTINCT (ON), NULLS FIRST/LAST, COLLATE, regular expressions, func.* types, window
functions, FILTER, WITHIN GROUP, labels in ORDER BY / GROUP BY.

Every statement runs on SQLite and PostgreSQL against the data in sqlexpr_models.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import BACKENDS
from sqlexpr_models import User, seeded_engine

from uow_orm import (
    DateTime,
    Integer,
    String,
    all_,
    any_,
    between,
    case,
    cast,
    collate,
    desc,
    distinct,
    exc,
    false,
    func,
    literal,
    literal_column,
    null,
    nulls_first,
    select,
    true,
    tuple_,
    type_coerce,
)
from uow_orm.types import NullType

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


def rows(session, stmt):
    return [tuple(r) for r in session.execute(stmt)]


def test_case_with_conditions_and_else(session):
    bucket = case((User.age < 30, "young"), (User.age < 35, "mid"), else_="old")
    assert rows(session, select(User.name, bucket).order_by(User.id)) == [
        ("alice", "mid"),
        ("bob", "young"),
        ("carol", "old"),
        ("dave", "young"),
    ]
    assert isinstance(bucket.type, String)


def test_case_with_value_and_mapping(session):
    stmt = select(case({1: "one", 2: "two"}, value=User.id, else_="many")).order_by(User.id)
    assert session.scalars(stmt).all() == ["one", "two", "many", "many"]


def test_case_in_where_and_order_by(session):
    first = case((User.name == "carol", 0), else_=1)
    assert session.scalars(select(User.name).order_by(first, User.id)).first() == "carol"


def test_cast_takes_a_type_class_or_instance(session):
    stmt = select(cast(User.age, String), cast(User.age, String(10)) + "y").where(User.id == 1)
    assert rows(session, stmt) == [("30", "30y")]
    assert session.scalar(select(cast("42", Integer))) == 42


def test_literals_null_true_false(session):
    stmt = select(literal(5), literal("x", String), literal_column("7", Integer), null(), true())
    assert rows(session, stmt)[0][:4] == (5, "x", 7, None)
    assert bool(rows(session, stmt)[0][4]) is True
    assert session.scalars(select(User.name).where(false())).all() == []
    assert len(session.scalars(select(User.id).where(true())).all()) == 4


def test_tuple_in_matches_row_values(session):
    stmt = select(User.name).where(tuple_(User.id, User.age).in_([(1, 30), (2, 99), (4, 25)]))
    assert sorted(session.scalars(stmt)) == ["alice", "dave"]
    with pytest.raises(exc.ArgumentError, match="2 columns compared with 3 values"):
        tuple_(User.id, User.age).in_([(1, 2, 3)])


def test_count_distinct_and_between(session):
    assert session.scalar(select(func.count(distinct(User.age)))) == 3
    assert session.scalar(select(func.count(User.age.distinct()))) == 3
    assert sorted(session.scalars(select(User.name).where(between(User.age, 26, 35)))) == [
        "alice",
        "carol",
    ]


def test_nulls_first_and_last_in_order_by(session):
    stmt = select(User.name).order_by(User.manager_id.nulls_first(), User.id)
    assert session.scalars(stmt).first() == "alice"
    stmt = select(User.name).order_by(desc(User.manager_id).nulls_last(), User.id)
    assert session.scalars(stmt).all() == ["dave", "bob", "carol", "alice"]
    stmt = select(User.name).order_by(nulls_first(desc(User.manager_id)), User.id)
    assert session.scalars(stmt).first() == "alice"


def test_collate_in_a_comparison(session, engine):
    name = "NOCASE" if engine.dialect.name == "sqlite" else "C"
    stmt = select(User.name).where(collate(User.name, name) == "bob")
    assert 'COLLATE "' in str(stmt)
    assert session.scalars(stmt).all() == ["bob"]
    assert session.scalars(select(User.name).order_by(User.name.collate(name))).first() == "alice"


def test_regexp_match_and_replace(session):
    stmt = select(User.name).where(User.name.regexp_match("^[ab]")).order_by(User.id)
    assert session.scalars(stmt).all() == ["alice", "bob"]
    stmt = select(User.name).where(User.name.regexp_match("^A", flags="i"))
    assert session.scalars(stmt).all() == ["alice"]
    stmt = select(User.name).where(~User.name.regexp_match("^[ab]")).order_by(User.id)
    assert session.scalars(stmt).all() == ["carol", "dave"]
    stmt = select(User.name.regexp_replace("[aeiou]", "_")).order_by(User.id)
    assert session.scalars(stmt).all() == ["_lice", "b_b", "c_rol", "d_ve"]
    stmt = select(User.name.regexp_replace("[aeiou]", "_", flags="g")).order_by(User.id)
    assert session.scalars(stmt).all() == ["_l_c_", "b_b", "c_r_l", "d_v_"]


def test_func_return_types_follow_sqlalchemy():
    assert isinstance(func.now().type, DateTime)
    assert isinstance(func.count(User.id).type, Integer)
    assert isinstance(func.max(User.name).type, String)
    assert isinstance(func.sum(User.age).type, Integer)
    assert isinstance(func.concat(User.name, "x").type, String)
    assert isinstance(func.something_unknown(User.age).type, NullType)
    assert isinstance(func.foo(User.age, type_=Integer).type, Integer)


def test_now_and_current_date_come_back_as_datetime_and_date(session, engine):
    stmt = select(func.now(), func.current_date(), func.current_timestamp())
    assert str(stmt) == (
        "SELECT now() AS now_1, CURRENT_DATE AS current_date_1, "
        "CURRENT_TIMESTAMP AS current_timestamp_1"
    )
    if engine.dialect.name == "sqlite":
        assert stmt.compile(engine).sql.startswith(
            "SELECT CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIMESTAMP"
        )
    now, today, ts = session.execute(stmt).one()
    assert isinstance(now, dt.datetime) and isinstance(ts, dt.datetime)
    assert isinstance(today, dt.date)


def test_concat_treats_null_as_empty(session):
    stmt = select(func.concat(User.name, "-", cast(User.manager_id, String))).order_by(User.id)
    assert session.scalars(stmt).all() == ["alice-", "bob-1", "carol-1", "dave-2"]
    assert session.scalar(select(User.name + "!").where(User.id == 2)) == "bob!"


def test_window_functions_with_partition_order_and_frames(session):
    rn = func.row_number().over(partition_by=User.age, order_by=User.id)
    assert rows(session, select(User.name, rn).order_by(User.id)) == [
        ("alice", 1),
        ("bob", 1),
        ("carol", 1),
        ("dave", 2),
    ]
    running = func.sum(User.age).over(order_by=User.id, rows=(-1, 0))
    assert session.scalars(select(running).order_by(User.id)).all() == [30, 55, 60, 60]
    total = func.sum(User.age).over(order_by=User.id, range_=(None, None))
    assert set(session.scalars(select(total))) == {115}
    rank = func.rank().over(order_by=desc(User.age)).label("rk")
    assert rows(session, select(User.name, rank).order_by(rank, User.name)) == [
        ("carol", 1),
        ("alice", 2),
        ("bob", 3),
        ("dave", 3),
    ]


def test_window_frame_rejects_bad_bounds():
    with pytest.raises(exc.ArgumentError, match="rows= or range_="):
        func.sum(User.age).over(rows=(0, 1), range_=(0, 1))
    with pytest.raises(exc.ArgumentError, match="ints or None"):
        func.sum(User.age).over(rows=("1", 0))


def test_aggregate_filter(session):
    stmt = select(func.count().filter(User.age < 30), func.count(User.id).filter(User.id > 1))
    assert rows(session, stmt) == [(2, 3)]


def test_label_in_order_by_and_group_by(session):
    n = func.count(User.id).label("n")
    age = User.age.label("a")
    stmt = select(age, n).group_by(age).order_by(desc(n), age)
    assert "ORDER BY n DESC, a" in str(stmt)
    assert rows(session, stmt) == [(25, 2), (30, 1), (35, 1)]
    # a label used only in WHERE writes its expression
    stmt = select(User.name).where(age > 28).order_by(User.id)
    assert session.scalars(stmt).all() == ["alice", "carol"]


def test_type_coerce_changes_the_python_type_not_the_sql(session):
    stmt = select(type_coerce(User.age, String))
    assert "CAST" not in str(stmt)
    assert isinstance(stmt.selected_columns[0].type, String)


def test_distinct_on_is_postgresql_only(session, engine):
    stmt = select(User.age, User.name).distinct(User.age).order_by(User.age, User.name)
    if engine.dialect.name == "postgresql":
        assert rows(session, stmt) == [(25, "bob"), (30, "alice"), (35, "carol")]
    else:
        with pytest.raises(exc.NotSupportedError, match="DISTINCT ON"):
            session.execute(stmt)
    assert sorted(session.scalars(select(User.age).distinct())) == [25, 30, 35]


def test_any_all_and_within_group_are_postgresql_only(session, engine):
    managers = select(User.manager_id).where(User.manager_id.is_not(None)).scalar_subquery()
    stmt = select(User.name).where(User.id == any_(managers)).order_by(User.id)
    stmt2 = select(User.name).where(
        User.age > all_(select(User.age).where(User.id > 1).scalar_subquery())
    )
    median = select(func.percentile_cont(0.5).within_group(User.age))
    if engine.dialect.name == "postgresql":
        assert session.scalars(stmt).all() == ["alice", "bob"]
        assert session.scalars(stmt2).all() == []
        assert session.scalar(median) == 27.5
    else:
        for st in (stmt, median):
            with pytest.raises(exc.NotSupportedError, match="PostgreSQL"):
                session.execute(st)


def test_aggregate_order_by_orders_inside_the_aggregate(session, engine):
    from uow_orm.dialects.postgresql import aggregate_order_by

    stmt = select(func.array_agg(aggregate_order_by(User.name, User.name.desc())))
    if engine.dialect.name == "postgresql":
        assert session.scalar(stmt) == ["dave", "carol", "bob", "alice"]
    else:
        with pytest.raises(exc.NotSupportedError, match="aggregate_order_by"):
            session.execute(stmt)
