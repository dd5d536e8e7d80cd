"""Expression-language fixes of issue 15, run on both backends: expanding IN parameters,
``op(precedence=)``, SQLAlchemy's ON clause order, CTE order, refused ``delete().values()``
and a compound SELECT's ``limit()`` checked when called."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Values,
    bindparam,
    column,
    delete,
    exc,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
    update,
    values,
)
from uow_orm.dialects import sqlite

md = MetaData()
parents = Table(
    "fx_parents",
    md,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("n", Integer),
)
kids = Table(
    "fx_kids",
    md,
    Column("id", Integer, primary_key=True),
    Column("parent_id", ForeignKey("fx_parents.id")),
)


@pytest.fixture
def conn(engine: Any) -> Any:
    md.create_all(engine)
    with engine.begin() as c:
        c.execute(
            insert(parents),
            [
                {"id": 1, "name": "a", "n": 2},
                {"id": 2, "name": "b", "n": 3},
                {"id": 3, "name": "c", "n": 4},
            ],
        )
        c.execute(insert(kids), [{"id": 10, "parent_id": 1}, {"id": 11, "parent_id": 3}])
        yield c


def test_expanding_bindparam_takes_a_list_of_any_length(conn: Any) -> None:
    stmt = (
        select(parents.c.name)
        .where(parents.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(parents.c.id)
    )
    assert conn.execute(stmt, {"ids": [1, 3]}).scalars().all() == ["a", "c"]
    assert conn.execute(stmt, {"ids": (2,)}).scalars().all() == ["b"]
    assert conn.execute(stmt, {"ids": []}).scalars().all() == []
    negated = select(parents.c.name).where(parents.c.name.not_in(bindparam("names")))
    assert sorted(conn.execute(negated, {"names": ["a"]}).scalars()) == ["b", "c"]
    assert sorted(conn.execute(negated, {"names": []}).scalars()) == ["a", "b", "c"]


def test_expanding_bindparam_refuses_a_string_and_a_missing_value(conn: Any) -> None:
    stmt = select(parents.c.name).where(parents.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(exc.ColumnValueError, match="expanding bindparam\\('ids'\\) takes a list"):
        conn.execute(stmt, {"ids": "12"})
    with pytest.raises(exc.ArgumentError, match="no value for bound parameter 'ids'"):
        conn.execute(stmt)
    assert str(stmt).endswith("WHERE fx_parents.id IN (__[POSTCOMPILE_ids])")


def test_bindparam_refuses_sqlalchemy_options_it_does_not_implement() -> None:
    with pytest.raises(exc.ArgumentError, match="unique"):
        bindparam("x", unique=True)
    with pytest.raises(exc.ArgumentError, match="literal_execute"):
        bindparam("x", literal_execute=True)


def test_custom_operator_precedence_decides_parentheses(conn: Any) -> None:
    loose = parents.c.n.op("*")(3).op("+")(2)  # precedence 0: (n * 3) + 2
    tight = parents.c.n.op("*", precedence=8)(3).op("+")(2)
    assert (
        str(select(loose)) == "SELECT (fx_parents.n * :n_1) + :param_1 AS anon_1 \nFROM fx_parents"
    )
    assert str(select(tight)) == "SELECT fx_parents.n * :n_1 + :param_1 AS anon_1 \nFROM fx_parents"
    # a low-precedence operator inside a tighter one keeps its parentheses
    low = parents.c.n.op("+", precedence=1)(1).op("*", precedence=8)(10)
    assert "(fx_parents.n + ?) * ?" in select(low).compile(conn).sql.replace("%s", "?")
    ordered = select(low).order_by(parents.c.id)
    assert conn.execute(ordered).scalars().all() == [30, 40, 50]
    assert conn.execute(select(tight).order_by(parents.c.id)).scalars().all() == [8, 11, 14]


def test_arithmetic_is_parenthesised_only_where_precedence_needs_it(conn: Any) -> None:
    n = parents.c.n
    assert str(n - n - 1) == "(fx_parents.n - fx_parents.n) - :param_1"
    assert str(n - (n - 1)) == "fx_parents.n - (fx_parents.n - :n_1)"
    assert str(n * n + 2) == "fx_parents.n * fx_parents.n + :param_1"
    assert str((n + n) * 2) == "(fx_parents.n + fx_parents.n) * :param_1"
    assert str(n + n + 1) == "fx_parents.n + fx_parents.n + :param_1"
    stmt = select(n - (n - 1), (n + n) * 2, n * n + 2).where(parents.c.id == 1)
    assert tuple(conn.execute(stmt).one()) == (1, 8, 6)


def test_op_precedence_must_be_an_int() -> None:
    with pytest.raises(exc.ArgumentError, match="precedence"):
        parents.c.n.op("+", precedence="high")


def test_foreign_key_join_names_the_referenced_column_first(conn: Any) -> None:
    for stmt in (select(kids.c.id).join(parents), select(parents.c.id).join(kids)):
        assert "ON fx_parents.id = fx_kids.parent_id" in str(stmt)
    rows = conn.execute(select(parents.c.name, kids.c.id).join(kids).order_by(kids.c.id)).all()
    assert [tuple(r) for r in rows] == [("a", 10), ("c", 11)]


def test_a_cte_is_written_after_the_ctes_it_uses(conn: Any) -> None:
    first = select(parents.c.id, parents.c.n).where(parents.c.n > 2).cte("first")
    second = select(first.c.id).where(first.c.n < 4).cte("second")
    stmt = select(second.c.id)
    sql = stmt.compile(conn).sql
    assert sql.index("first AS") < sql.index("second AS")
    assert conn.execute(stmt).scalars().all() == [2]


def test_delete_values_is_refused() -> None:
    with pytest.raises(exc.ArgumentError, match="takes no values"):
        delete(parents).values(name="x")


def test_compound_limit_and_offset_are_checked_when_called(conn: Any) -> None:
    u = union_all(select(parents.c.id), select(kids.c.id))
    with pytest.raises(exc.ArgumentError, match="limit\\(\\) takes an int"):
        u.limit("x")
    with pytest.raises(exc.ArgumentError, match="offset\\(\\) takes an int"):
        u.offset(1.5)
    stmt = u.order_by("id").limit("2").offset("1")
    assert conn.execute(stmt).scalars().all() == [2, 3]


def test_nowait_with_skip_locked_is_written_as_sqlalchemy_writes_it(conn: Any) -> None:
    stmt = select(parents.c.id).with_for_update(nowait=True, skip_locked=True)
    assert str(stmt).endswith("FOR UPDATE NOWAIT SKIP LOCKED")
    if conn.dialect.name == "sqlite":  # no row locks: left out, as in SQLAlchemy
        assert sorted(conn.execute(stmt).scalars()) == [1, 2, 3]
    else:  # PostgreSQL takes one of the two (as with SQLAlchemy)
        assert stmt.compile(conn).sql.endswith("FOR UPDATE NOWAIT SKIP LOCKED")
        with pytest.raises(exc.DBAPIError):
            conn.execute(stmt)


def test_literal_in_a_select_is_printed_and_run(conn: Any) -> None:
    stmt = select(literal(5), parents.c.n + 1).where(parents.c.id == 2)
    assert str(stmt) == (
        "SELECT :param_1 AS anon_1, fx_parents.n + :n_1 AS anon_2 \nFROM fx_parents "
        "\nWHERE fx_parents.id = :id_1"
    )
    assert stmt.compile().params == {"param_1": 5, "n_1": 1, "id_1": 2}
    assert tuple(conn.execute(stmt).one()) == (5, 4)


def test_values_rows_drive_an_update_from(conn: Any) -> None:
    v = values(column("id", Integer), column("n", Integer), name="v").data([(1, 10), (3, 30)])
    stmt = update(parents).values(n=v.c.n).where(parents.c.id == v.c.id)
    assert str(stmt) == (
        "UPDATE fx_parents SET n=v.n FROM (VALUES (:param_1, :param_2), (:param_3, :param_4)) "
        "AS v (id, n) WHERE fx_parents.id = v.id"
    )
    conn.execute(stmt)
    rows = conn.execute(select(parents.c.id, parents.c.n).order_by(parents.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, 10), (2, 3), (3, 30)]


def test_values_takes_a_tables_columns_as_in_the_tutorial(conn: Any) -> None:
    # the tutorial's "UPDATE..FROM" example: Values(user_table.c.id, user_table.c.name, ...)
    v = Values(parents.c.id, parents.c.n, name="my_values").data([(2, 20), (3, 33)])
    assert [(c.name, type(c.type)) for c in v.c] == [("id", Integer), ("n", Integer)]
    stmt = parents.update().values(n=v.c.n).where(parents.c.id == v.c.id)
    assert str(stmt) == (
        "UPDATE fx_parents SET n=my_values.n FROM (VALUES (:param_1, :param_2), "
        "(:param_3, :param_4)) AS my_values (id, n) WHERE fx_parents.id = my_values.id"
    )
    conn.execute(stmt)
    rows = conn.execute(select(parents.c.id, parents.c.n).order_by(parents.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, 2), (2, 20), (3, 33)]
    with pytest.raises(exc.ArgumentError, match="values\\(\\) takes column"):
        Values(parents.c.id.label("x"))


def test_postgresql_only_constructs_print_on_the_default_dialect() -> None:
    lat = select(kids.c.id).where(kids.c.parent_id == parents.c.id).lateral()
    stmt = select(parents.c.id, lat.c.id).join(lat, true())
    assert str(stmt) == (
        "SELECT fx_parents.id, anon_1.id AS id_1 \nFROM fx_parents JOIN LATERAL "
        "(SELECT fx_kids.id AS id \nFROM fx_kids \nWHERE fx_kids.parent_id = fx_parents.id) "
        "AS anon_1 ON true"
    )
    pct = select(func.percentile_cont(0.5).within_group(parents.c.n))
    assert str(pct) == (
        "SELECT percentile_cont(:percentile_cont_2) WITHIN GROUP (ORDER BY fx_parents.n) "
        "AS percentile_cont_1 \nFROM fx_parents"
    )
    assert pct.compile().params == {"percentile_cont_2": 0.5}
    with pytest.raises(exc.NotSupportedError, match="LATERAL"):
        stmt.compile(dialect=sqlite.dialect())


def test_lateral_and_within_group_run_on_postgresql(conn: Any) -> None:
    if conn.dialect.name != "postgresql":
        with pytest.raises(exc.NotSupportedError, match="within_group"):
            conn.execute(select(func.percentile_cont(0.5).within_group(parents.c.n)))
        return
    lat = select(kids.c.id).where(kids.c.parent_id == parents.c.id).lateral()
    rows = conn.execute(select(parents.c.id, lat.c.id).join(lat, true()).order_by(parents.c.id))
    assert [tuple(r) for r in rows] == [(1, 10), (3, 11)]
    median = conn.execute(select(func.percentile_cont(0.5).within_group(parents.c.n))).scalar()
    assert median == 3


def test_a_subquery_as_an_insert_value_keeps_its_columns_qualified(conn: Any) -> None:
    top = select(parents.c.id).where(parents.c.name == "b").scalar_subquery()
    stmt = insert(kids).values(id=12, parent_id=top)
    assert str(stmt) == (
        "INSERT INTO fx_kids (id, parent_id) VALUES (:id, (SELECT fx_parents.id \nFROM "
        "fx_parents \nWHERE fx_parents.name = :name_1))"
    )
    conn.execute(stmt)
    assert conn.execute(select(kids.c.parent_id).where(kids.c.id == 12)).scalar() == 2


def test_a_join_of_two_parameterised_subqueries_binds_each_its_own_values(conn: Any) -> None:
    # the right side used to be compiled first: its values went to the left's placeholders
    a = select(parents.c.id, parents.c.n).where(parents.c.n > 2).subquery("a")
    b = select(parents.c.id).where(parents.c.n < 4).subquery("b")
    stmt = select(a.c.id).select_from(a.join(b, a.c.id == b.c.id)).order_by(a.c.id)
    assert conn.execute(stmt).scalars().all() == [2]
    assert stmt.compile(conn).params == {"n_1": 2, "n_2": 4}


def test_a_timedelta_added_to_a_datetime_binds_as_an_interval(engine: Any) -> None:
    import datetime as dt

    from uow_orm import DateTime
    from uow_orm import Table as T

    md2 = MetaData()
    ev = T("fx_events", md2, Column("id", Integer, primary_key=True), Column("at", DateTime))
    md2.create_all(engine)
    recent = select(ev.c.id).where(ev.c.at >= func.now() - dt.timedelta(days=1))
    shifted = select(ev.c.id).where(ev.c.at + dt.timedelta(days=3) > func.now())
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO fx_events VALUES (1, now() - interval '2 days'), "
                    "(2, now() - interval '1 hour')"
                )
            )
            assert c.execute(recent).scalars().all() == [2]
            assert sorted(c.execute(shifted).scalars().all()) == [1, 2]
    else:  # no interval arithmetic: refused, not a silently wrong date
        with pytest.raises(exc.ColumnValueError, match="SQLite has no interval arithmetic"):
            with engine.connect() as c:
                c.execute(recent)
