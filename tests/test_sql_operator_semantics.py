"""Operators of SQLAlchemy 2.0's operator guide, checked by the rows they give on SQLite and
PostgreSQL: true and floor division, reflected arithmetic, bitwise operators,
IS [NOT] DISTINCT FROM and full-text MATCH."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    column,
    literal,
    select,
    table,
    text,
)

metadata = MetaData()
nums = Table(
    "op_nums",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("i", Integer),
    Column("n", Numeric()),  # (a scaled Numeric(p, s) is stored in units on SQLite)
    Column("s", String(10)),
)


@pytest.fixture
def conn(engine: Any) -> Any:
    metadata.create_all(engine)
    with engine.begin() as c:
        c.execute(
            nums.insert(),
            [
                {"id": 1, "i": 5, "n": 7.5, "s": "a"},
                {"id": 2, "i": 12, "n": 2, "s": None},
            ],
        )
    with engine.connect() as c:
        yield c


def one(conn: Any, expr: Any, row_id: int = 1) -> Any:
    return conn.execute(select(expr).where(nums.c.id == row_id)).scalar_one()


def test_division_of_integers_is_true_division_as_in_python(conn):
    assert float(one(conn, nums.c.i / 2)) == 2.5
    assert float(one(conn, 10 / nums.c.i)) == 2.0
    assert float(one(conn, nums.c.i / nums.c.n)) == pytest.approx(5 / 7.5)
    assert float(one(conn, literal(1, Integer) / nums.c.i)) == 0.2


def test_floor_division_floors(conn):
    assert one(conn, nums.c.i // 2) == 2
    assert one(conn, 12 // nums.c.i) == 2
    assert float(one(conn, nums.c.n // 2)) == 3.0
    assert float(one(conn, 20 // nums.c.n)) == 2.0


def test_reflected_arithmetic_puts_the_number_on_the_left(conn):
    assert one(conn, 3 * nums.c.i) == 15
    assert one(conn, 17 % nums.c.i) == 2
    assert one(conn, 1 - nums.c.i) == -4


def test_bitwise_operators(conn):
    i = nums.c.i  # 12 = 0b1100 in row 2
    assert one(conn, i.bitwise_and(10), 2) == 8
    assert one(conn, i.bitwise_or(3), 2) == 15
    assert one(conn, i.bitwise_xor(10), 2) == 6
    assert one(conn, i.bitwise_lshift(2), 2) == 48
    assert one(conn, i.bitwise_rshift(2), 2) == 3
    assert one(conn, i.bitwise_not(), 2) == -13
    assert str(i.bitwise_not()).endswith("~op_nums.i")


def test_is_distinct_from_treats_null_as_a_value(conn):
    s = nums.c.s

    def ids(crit: Any) -> list[int]:
        return conn.execute(select(nums.c.id).where(crit).order_by(nums.c.id)).scalars().all()

    assert ids(s.is_distinct_from("a")) == [2]  # NULL differs from 'a' (s != 'a' gives none)
    assert ids(s != "a") == []
    assert ids(s.is_not_distinct_from(None)) == [2]
    assert ids(s.isnot_distinct_from("a")) == [1]
    assert ids(s.is_distinct_from(None)) == [1]


def test_match_is_full_text_search_on_each_backend(engine):
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.execute(text("CREATE VIRTUAL TABLE op_docs USING fts5(body)"))
        else:
            c.execute(text("CREATE TABLE op_docs (body TEXT)"))
        c.execute(
            text("INSERT INTO op_docs (body) VALUES (:a), (:b)"),
            {"a": "the quick brown fox", "b": "lazy dogs sleep"},
        )
    docs = table("op_docs", column("body"))
    crit = docs.c.body.match("fox")  # PostgreSQL: body @@ plainto_tsquery('fox')
    with engine.connect() as c:
        assert c.execute(select(docs.c.body).where(crit)).scalars().all() == ["the quick brown fox"]


def test_modulo_runs_on_both_drivers(conn):
    assert one(conn, nums.c.i % 3) == 2
    assert one(conn, nums.c.i % 3 + 1) == 3


def test_an_operator_on_a_label_applies_to_its_expression(conn):
    counted = (literal(1, Integer) + nums.c.i).label("bumped")
    assert one(conn, counted - 1) == 5
    stmt = select((nums.c.i * 2).label("twice")).where(nums.c.id == 1)
    assert conn.execute(stmt).one()._mapping["twice"] == 10
    assert " AS " not in str(counted - 1)
