"""Table- and column-valued functions, nested CTEs, literal VALUES and string ORDER BY in
set operations (issue 15, the parts left at the last stop).

Every statement runs on SQLite and PostgreSQL against the data in sqlexpr_models (or a
JSON table of its own) and the rows are read back.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BACKENDS
from sqlexpr_models import User, seeded_engine

from uow_orm import (
    JSON,
    Column,
    Integer,
    MetaData,
    Session,
    String,
    Table,
    desc,
    exc,
    func,
    insert,
    select,
    true,
    union,
    union_all,
)
from uow_orm.sql import column, values

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


@pytest.fixture
def session(engine: Any) -> Any:
    with Session(engine) as s:
        yield s


@pytest.fixture(scope="module")
def docs(engine: Any) -> Any:
    """A table with one JSON object per row."""
    metadata = MetaData()
    table = Table("tv_docs", metadata, Column("id", Integer, primary_key=True), Column("doc", JSON))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [{"id": 1, "doc": {"a": 1, "b": 2}}, {"id": 2, "doc": {"c": 3}}],
        )
    yield table
    metadata.drop_all(engine)


def _rows(session: Any, stmt: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in session.execute(stmt)]


# -- table_valued() / column_valued() --------------------------------------------------------
def _json_each(session: Any) -> Any:
    """JSON columns are jsonb on PostgreSQL (jsonb_each) and text on SQLite (json_each)."""
    return func.jsonb_each if session.get_bind().dialect.name == "postgresql" else func.json_each


def test_table_valued_json_each_joins_each_rows_keys_and_values(session: Any, docs: Any) -> None:
    each = _json_each(session)(docs.c.doc).table_valued("key", "value")
    stmt = (
        select(docs.c.id, each.c.key, each.c.value)
        .select_from(docs)
        .join(each, true())
        .order_by(docs.c.id, each.c.key)
    )
    assert "_each(tv_docs.doc) AS anon_1" in str(stmt.compile(session.get_bind()))
    assert _rows(session, stmt) == [(1, "a", 1), (1, "b", 2), (2, "c", 3)]


def test_table_valued_named_with_typed_columns_filters_on_them(session: Any, docs: Any) -> None:
    each = _json_each(session)(docs.c.doc).table_valued(column("key", String), "value", name="kv")
    stmt = select(docs.c.id, each.c.key).where(each.c.key >= "b").order_by(each.c.key)
    assert " AS kv" in str(stmt.compile(session.get_bind()))
    assert _rows(session, stmt) == [(1, "b"), (2, "c")]
    renamed = each.alias("other")
    assert _rows(session, select(func.count()).select_from(docs).join(renamed, true())) == [(3,)]


def test_column_valued_selects_each_element_as_one_column(session: Any, docs: Any) -> None:
    backend = session.get_bind().dialect.name
    if backend == "postgresql":
        elements = func.jsonb_object_keys(docs.c.doc).column_valued("k")
        series = func.generate_series(1, 3).column_valued()
        assert _rows(session, select(series).order_by(series)) == [(1,), (2,), (3,)]
    else:  # SQLite selects json_each's value column (it cannot select the alias itself)
        elements = func.json_each(func.json_array("a", "b", "c")).column_valued("k")
    stmt = select(elements).order_by(elements)
    if backend == "postgresql":
        stmt = select(docs.c.id, elements).order_by(docs.c.id, elements)
        assert _rows(session, stmt) == [(1, "a"), (1, "b"), (2, "c")]
    else:
        assert _rows(session, stmt) == [("a",), ("b",), ("c",)]


def test_json_array_elements_column_valued_on_postgresql(pg_url: str) -> None:
    from uow_orm import create_engine

    pg = create_engine(pg_url)
    try:
        with pg.connect() as conn:
            el = func.json_array_elements_text(func.json_build_array("x", "y", "z")).column_valued(
                "x"
            )
            assert conn.execute(select(el).order_by(desc(el))).scalars().all() == ["z", "y", "x"]
            counted = (
                func.generate_series(1, 3)
                .table_valued("value", with_ordinality="ord")
                .render_derived()
            )
            assert "WITH ORDINALITY AS anon_1(value, ord)" in str(select(counted).compile(pg))
            rows = conn.execute(select(counted.c.value, counted.c.ord)).all()
            assert [tuple(r) for r in rows] == [(1, 1), (2, 2), (3, 3)]
            derived = (
                func.json_to_recordset(func.json_build_array(func.json_build_object("a", 5)))
                .table_valued(column("a", Integer))
                .render_derived(with_types=True)
            )
            assert "(a INTEGER)" in str(select(derived.c.a).compile(pg))
            assert conn.execute(select(derived.c.a)).scalars().all() == [5]
    finally:
        pg.dispose()


def test_table_valued_refusals_name_what_is_wrong(engine: Any) -> None:
    backend = engine.dialect.name
    with pytest.raises(exc.ArgumentError, match="table_valued"):
        func.json_each("[]").table_valued(42)
    if backend == "sqlite":
        ordinal = func.json_each("[1]").table_valued("value", with_ordinality="n")
        with pytest.raises(exc.NotSupportedError, match="with_ordinality"):
            select(ordinal.c.n).compile(engine)
        derived = func.json_each("[1]").table_valued("value").render_derived()
        with pytest.raises(exc.NotSupportedError, match="render_derived"):
            select(derived.c.value).compile(engine)
        with pytest.raises(exc.CompileError, match="json_array_elements"):
            select(func.json_array_elements("[1]").column_valued()).compile(engine)
    untyped = func.json_each("[1]").table_valued("value").render_derived(with_types=True)
    if backend == "postgresql":
        with pytest.raises(exc.CompileError, match="no type"):
            select(untyped.c.value).compile(engine)


# -- cte(nesting=True) -----------------------------------------------------------------------
def test_nesting_cte_is_written_inside_the_subquery_that_uses_it(session: Any) -> None:
    young = select(User.id, User.name).where(User.age < 30).cte("young", nesting=True)
    inner = select(young.c.name).where(young.c.id > 1).subquery()
    stmt = select(inner.c.name).where(inner.c.name != "zed").order_by(inner.c.name)
    sql = str(stmt.compile(session.get_bind()))
    assert sql.startswith("SELECT") and "(WITH young AS \n(SELECT" in sql
    assert session.scalars(stmt).all() == ["bob", "dave"]


def test_nesting_cte_in_a_scalar_subquery_and_in_a_union(session: Any) -> None:
    oldest = select(func.max(User.age).label("m")).cte("oldest", nesting=True)
    stmt = select(User.name).where(User.age == select(oldest.c.m).scalar_subquery())
    assert session.scalars(stmt).all() == ["carol"]
    named = select(User.name).where(User.id == 4).cte("named", nesting=True)
    both = union(select(User.name).where(User.id == 1), select(named.c.name)).subquery()
    assert session.scalars(select(both.c.name).order_by(both.c.name)).all() == ["alice", "dave"]


def test_same_name_nesting_ctes_in_two_subqueries_stay_apart(session: Any) -> None:
    first = select(User.id).where(User.id <= 2).cte("picked", nesting=True)
    second = select(User.id).where(User.id >= 4).cte("picked", nesting=True)
    a = select(first.c.id).subquery()
    b = select(second.c.id).subquery()
    stmt = union_all(select(a.c.id), select(b.c.id)).order_by("id")
    assert session.scalars(stmt).all() == [1, 2, 4]


# -- values(..., literal_binds=True) ---------------------------------------------------------
def test_values_with_literal_binds_writes_the_rows_into_the_sql(session: Any) -> None:
    rows = values(
        column("id", Integer), column("nick", String), name="nicks", literal_binds=True
    ).data([(1, "al"), (2, "o'b")])
    stmt = select(User.name, rows.c.nick).join(rows, rows.c.id == User.id).order_by(User.name)
    compiled = stmt.compile(session.get_bind())
    assert "'o''b'" in str(compiled) and compiled.params == {}
    assert _rows(session, stmt) == [("alice", "al"), ("bob", "o'b")]
    with pytest.raises(exc.ArgumentError, match="literal_binds"):
        bad = values(column("b"), literal_binds=True).data([(b"\x00",)])
        select(bad.c.b).compile(session.get_bind())


# -- order_by("name") on a union -------------------------------------------------------------
def test_union_order_by_a_string_names_the_first_selects_columns(session: Any) -> None:
    stmt = union(
        select(User.name, User.age.label("years")).where(User.age < 30),
        select(User.name, User.age).where(User.name == "carol"),
    )
    assert _rows(session, stmt.order_by("years", "name")) == [
        ("bob", 25),
        ("dave", 25),
        ("carol", 35),
    ]
    assert _rows(session, stmt.order_by(desc("name"))) == [
        ("dave", 25),
        ("carol", 35),
        ("bob", 25),
    ]
    with pytest.raises(exc.CompileError, match=r"'age'.*years"):
        stmt.order_by("age")
