"""The statement cache (issue 15): a SELECT built the same way twice compiles once, and
each execution still sends its own values."""

from __future__ import annotations

import pytest
from conftest import BACKENDS
from sqlexpr_models import Address, User, seeded_engine

from uow_orm import aliased, func, select, text
from uow_orm.sql import compiler as compiler_module
from uow_orm.sql.cache import StatementCache, statement_cache

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


@pytest.fixture
def compiles(monkeypatch):
    """Counts full compilations (cache misses) of top-level statements."""
    calls = []
    real = compiler_module.Compiler.process

    def counting(self, element, **kw):
        if self._depth == 0 and not kw and element.__class__.__name__ == "Select":
            calls.append(element)
        return real(self, element, **kw)

    monkeypatch.setattr(compiler_module.Compiler, "process", counting)
    statement_cache.clear()
    return calls


def test_repeated_select_compiles_once_and_binds_new_values(session, compiles):
    names = []
    for uid in (1, 2, 3, 1):
        stmt = select(User).where(User.id == uid, User.age >= 0)
        names.append(session.scalars(stmt).one().name)
    assert names == ["alice", "bob", "carol", "alice"]
    assert len(compiles) == 1
    assert statement_cache.hits >= 3


def test_limit_offset_like_and_in_values_are_per_execution(session, compiles):
    def run(pattern, limit, offset):
        stmt = (
            select(User.name)
            .where(User.name.like(pattern), User.id.in_([1, 2, 3, 4]))
            .order_by(User.id)
            .limit(limit)
            .offset(offset)
        )
        return session.scalars(stmt).all()

    assert run("%a%", 2, 0) == ["alice", "carol"]
    assert run("%a%", 1, 2) == ["dave"]
    assert run("b%", 5, 0) == ["bob"]
    assert len(compiles) == 1
    # a backslash changes the SQL (ESCAPE), so it is a different statement
    assert run("x\\%", 5, 0) == []
    assert len(compiles) == 2


def test_different_structures_do_not_share_sql(session, compiles):
    a = session.scalars(select(User.name).where(User.age > 26).order_by(User.id)).all()
    b = session.scalars(select(User.name).where(User.age < 26).order_by(User.id)).all()
    c = session.scalars(select(User.name).where(User.age > 26).order_by(User.name.desc())).all()
    assert (a, b, c) == (["alice", "carol"], ["bob", "dave"], ["carol", "alice"])
    assert len(compiles) == 3


def test_aliases_joins_and_subqueries_stay_correct(session, compiles):
    for _ in range(2):
        boss = aliased(User)
        stmt = select(User.name, boss.name).join(boss, User.manager).order_by(User.id)
        assert [tuple(r) for r in session.execute(stmt)] == [
            ("bob", "alice"),
            ("carol", "alice"),
            ("dave", "bob"),
        ]
    for n in (1, 2):
        sub = select(func.count(Address.id)).where(Address.user_id == User.id).scalar_subquery()
        stmt = select(User.name).where(sub == n)
        assert sorted(session.scalars(stmt)) == (["alice"] if n == 2 else ["bob", "carol"])


def test_text_statements_are_not_cached(session):
    statement_cache.clear()
    stmt = select(User.name).where(text("age > :a")).order_by(User.id)
    assert session.scalars(stmt, {"a": 26}).all() == ["alice", "carol"]
    assert len(statement_cache) == 0


def test_cache_is_bounded():
    cache = StatementCache(size=2)
    for n in range(5):
        cache.put(n, n)
    assert len(cache) == 2 and cache.get(4) == 4 and cache.get(0) is None
