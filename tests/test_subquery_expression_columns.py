"""A subquery or CTE that selects an expression without a name of its own.

``select(func.count(t.c.id)).subquery()`` has a column keyed ``count``; the enclosing
SELECT reads it by that name, so the executed subquery body writes the expression ``AS``
it (``count(t.id) AS count``; SQLAlchemy writes ``AS count_1`` and reads ``anon_1.count_1``:
the rows are the same). Before, the body left it unnamed and the database refused the
outer SELECT. Rows read back on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import Column, Integer, MetaData, Table, func, insert, literal, select

md = MetaData()
nums = Table("sq_nums", md, Column("id", Integer, primary_key=True), Column("grp", Integer))


@pytest.fixture
def filled(engine: Any) -> Any:
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(nums), [{"id": i, "grp": i % 2} for i in range(1, 6)])
    return engine


def test_aggregates_and_arithmetic_in_a_subquery(filled: Any) -> None:
    by_grp = (
        select(nums.c.grp, func.count(nums.c.id), func.max(nums.c.id) + 1)
        .group_by(nums.c.grp)
        .subquery()
    )
    assert by_grp.c.keys()[:2] == ["grp", "count"]
    with filled.connect() as conn:
        rows = conn.execute(select(by_grp).order_by(by_grp.c.grp)).all()
        assert [tuple(r) for r in rows] == [(0, 2, 5), (1, 3, 6)]
        assert conn.execute(select(by_grp.c.count).where(by_grp.c.grp == 1)).scalar_one() == 3
        total = select(func.count(nums.c.id)).subquery()
        assert conn.execute(select(total)).scalar_one() == 5
        pair = select(literal(7).label("x"), literal(8)).subquery()
        assert tuple(conn.execute(select(pair)).one()) == (7, 8)


def test_a_cte_with_an_aggregate(filled: Any) -> None:
    cte = select(nums.c.grp, func.sum(nums.c.id)).group_by(nums.c.grp).cte()
    with filled.connect() as conn:
        rows = conn.execute(select(cte.c.grp, cte.c.sum).order_by(cte.c.grp)).all()
        assert [tuple(r) for r in rows] == [(0, 6), (1, 9)]
