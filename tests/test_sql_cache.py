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


# -- the key holds everything that changes the SQL (issue 21) ------------------------------
def test_load_only_and_the_plain_select_do_not_share_sql(session, compiles):
    from uow_orm.orm import load_only

    only = session.scalars(select(User).where(User.id == 1).options(load_only(User.name))).one()
    assert "age" not in only.__dict__
    session.expunge_all()
    full = session.scalars(select(User).where(User.id == 1)).one()
    assert full.__dict__["age"] == 30  # loaded by the SELECT, not deferred
    assert len(compiles) == 2


def test_same_shape_with_other_columns_does_not_share_sql(session, compiles):
    by_name = session.scalars(select(User.name).where(User.id == 2)).one()
    by_age = session.scalars(select(User.age).where(User.id == 2)).one()
    assert (by_name, by_age) == ("bob", 25)
    assert len(compiles) == 2


def test_loader_criteria_on_and_off_give_their_own_rows(session, compiles):
    from uow_orm.orm import with_loader_criteria

    def names(*options):
        stmt = select(User).where(User.id > 0).order_by(User.id).options(*options)
        return [u.name for u in session.scalars(stmt)]

    older = with_loader_criteria(User, User.age > 26)
    assert names() == ["alice", "bob", "carol", "dave"]
    assert names(older) == ["alice", "carol"]
    assert names() == ["alice", "bob", "carol", "dave"]
    assert names(with_loader_criteria(User, lambda cls: cls.age < 26)) == ["bob", "dave"]
    assert names(older) == ["alice", "carol"]


def test_loader_criteria_without_propagation_still_filter_the_statement(session):
    from uow_orm.orm import with_loader_criteria

    opt = with_loader_criteria(User, User.age > 26, propagate_to_loaders=False)
    stmt = select(User).order_by(User.id).options(opt)
    assert [u.name for u in session.scalars(stmt)] == ["alice", "carol"]


def test_execution_options_are_part_of_the_key_and_still_apply(session, compiles):
    alice = session.get(User, 1)
    alice.name = "changed in memory"
    stmt = (
        select(User).where(User.id == 1).execution_options(populate_existing=True, autoflush=False)
    )
    assert session.scalars(stmt).one().name == "alice"  # overwritten from the row
    first = len(compiles)
    alice.name = "again"
    assert session.scalars(stmt).one().name == "alice"
    assert len(compiles) == first  # the second execution reused the compiled SQL


def test_each_dialect_gets_its_own_compiled_sql():
    from uow_orm.dialects.postgresql import PGDialect
    from uow_orm.dialects.sqlite import SQLiteDialect

    statement_cache.clear()
    for _ in range(2):
        on_sqlite = select(User.name).where(User.id == 1).compile(dialect=SQLiteDialect())
        on_pg = select(User.name).where(User.id == 1).compile(dialect=PGDialect())
        assert on_sqlite.sql.endswith("= ?")
        assert on_pg.sql.endswith("= %s")


def test_lazy_loads_with_and_without_criteria_give_their_own_rows(session):
    from uow_orm.orm import with_loader_criteria

    def emails(*options):
        session.expunge_all()
        stmt = select(User).where(User.id == 1).options(*options)
        return [a.email for a in session.scalars(stmt).one().addresses]

    assert emails() == ["alice@home", "alice@work"]
    assert emails(with_loader_criteria(Address, Address.email.like("%work"))) == ["alice@work"]
    assert emails() == ["alice@home", "alice@work"]


def test_lazy_load_of_each_parent_binds_its_own_key(session):
    users = session.scalars(select(User).order_by(User.id)).all()
    assert [[a.email for a in u.addresses] for u in users] == [
        ["alice@home", "alice@work"],
        ["bob@home"],
        ["carol@work"],
        [],
    ]
    assert [[r.name for r in u.reports] for u in users] == [["bob", "carol"], ["dave"], [], []]


def test_loaded_objects_have_every_state_field_set(session):
    from uow_orm.orm.state import InstanceState, new_state

    user = session.scalars(select(User).where(User.id == 3)).one()
    state = user.__dict__["_sa_instance_state"]
    # the row builder writes new_state() out: the same fields are set (an unset slot
    # would raise AttributeError; ``parents`` is set only for single_parent children)
    made = new_state(User(), User.__mapper__)
    expected = [name for name in InstanceState.__slots__ if hasattr(made, name)]
    assert "mapper" in expected and "load_strategies" in expected
    assert [name for name in InstanceState.__slots__ if hasattr(state, name)] == expected
    assert state.key[1] == (3,) and state.session is session and not state.modified


def test_correlate_none_and_the_default_do_not_share_sql():
    from uow_orm.dialects.sqlite import SQLiteDialect

    statement_cache.clear()
    dialect = SQLiteDialect()

    def outer(correlate_none):
        inner = select(func.count(Address.id)).where(Address.user_id == User.id)
        if correlate_none:
            inner = inner.correlate(None)
        return select(User.name).where(inner.scalar_subquery() > 0).compile(dialect=dialect).sql

    auto, none = outer(False), outer(True)
    assert "FROM x_addresses WHERE" in auto  # x_users correlated to the outer query
    assert "FROM x_addresses, x_users" in none or "FROM x_users, x_addresses" in none
    assert outer(False) == auto and outer(True) == none


def test_options_chained_on_a_path_share_sql_only_when_built_the_same(session, compiles):
    from uow_orm.orm import joinedload

    def run(option):
        session.expunge_all()
        stmt = select(User).where(User.id == 1).options(option)
        return [sorted(k for k in ("email", "user_id") if k in a.__dict__)
                for a in session.scalars(stmt).unique().one().addresses]  # fmt: skip

    narrowed = run(joinedload(User.addresses).load_only(Address.email))
    assert run(joinedload(User.addresses).load_only(Address.email)) == narrowed
    assert narrowed == [["email"], ["email"]]
    assert len(compiles) == 1  # the option built again: the same key
    assert run(joinedload(User.addresses)) == [["email", "user_id"], ["email", "user_id"]]
    assert len(compiles) == 2


def test_relationship_criteria_in_an_option_bind_each_query_s_values(session, compiles):
    from uow_orm.orm import joinedload

    def emails(pattern):
        session.expunge_all()
        option = joinedload(User.addresses.and_(Address.email.like(pattern)))
        stmt = select(User).where(User.id == 1).options(option)
        return [a.email for a in session.scalars(stmt).unique().one().addresses]

    assert emails("%home") == ["alice@home"]
    assert emails("%work") == ["alice@work"]
    assert emails("alice%") == ["alice@home", "alice@work"]
    assert len(compiles) == 1


def test_contains_eager_of_one_alias_shares_sql_and_another_alias_does_not(session, compiles):
    from uow_orm.orm import contains_eager

    def emails(alias):
        session.expunge_all()
        stmt = (
            select(User)
            .join(User.addresses.of_type(alias))
            .where(User.id == 1)
            .order_by(alias.id)
            .options(contains_eager(User.addresses, alias=alias))
        )
        return [a.email for a in session.scalars(stmt).unique().one().addresses]

    first = aliased(Address, name="a1")
    assert emails(first) == emails(first) == ["alice@home", "alice@work"]
    assert len(compiles) == 1
    assert emails(aliased(Address, name="a2")) == ["alice@home", "alice@work"]
    assert len(compiles) == 2


def test_statements_derived_from_one_base_keep_their_own_clauses(session, compiles):
    # where() / order_by() copy only the clause list they extend; the others are shared
    # until a later builder method of the copy copies them in turn
    base = select(User.name).where(User.id > 0).order_by(User.name)
    adults = base.where(User.age >= 30)
    by_id = adults.order_by(None).order_by(User.id.desc())
    rows_with_both = adults.where(User.name != "nobody").having(func.count() > 0)
    assert session.scalars(base).all() == ["alice", "bob", "carol", "dave"]
    assert session.scalars(adults).all() == ["alice", "carol"]
    assert session.scalars(by_id).all() == ["carol", "alice"]
    assert len(base._where) == 1 and len(base._order_by) == 1 and not base._having
    assert len(adults._where) == 2 and len(adults._order_by) == 1
    assert len(by_id._where) == 2 and len(by_id._order_by) == 1
    assert len(rows_with_both._where) == 3 and len(rows_with_both._having) == 1
    assert str(base) == str(select(User.name).where(User.id > 0).order_by(User.name))


def test_an_executed_statement_is_freed_without_the_cyclic_collector(session):
    # the compiled form a statement keeps of itself refers back to it weakly: no cycle,
    # so a query's statement, clauses and compiled form go as soon as they are dropped
    import gc
    import weakref

    gc.disable()
    try:
        stmt = select(User).where(User.id == 2, User.age >= 0)
        assert session.scalars(stmt).one().name == "bob"
        assert session.scalars(stmt).one().name == "bob"  # (its kept compiled form)
        gone = weakref.ref(stmt)
        del stmt
        assert gone() is None
    finally:
        gc.enable()


def test_compile_of_a_dropped_statement_still_prints_it(engine):
    import gc

    kept = select(User.name).where(User.id == 5)
    compiled = select(User.name).where(User.id == 5).compile(engine)
    gc.collect()
    assert compiled.statement is not None
    assert str(compiled) == str(kept.compile(engine))
    assert "WHERE x_users.id = " in str(compiled)
    assert compiled.params == {"id_1": 5}


def test_type_keys_equal_for_equal_types_and_bounded(monkeypatch):
    from uow_orm import Numeric, String
    from uow_orm.sql import cache

    def key(t):
        return cache._type_key(t, [])

    assert key(String(5)) is key(String(5))  # one token per structure
    assert key(String(5)) != key(String(6))
    assert key(Numeric(10, 2)) != key(Numeric(10, 3))
    # past the bound (types made with ever new arguments) the structure itself is the
    # key: still equal for equal types, different for different ones
    monkeypatch.setattr(cache, "_TYPE_IDS_MAX", 0)
    before = len(cache._type_ids)
    assert key(String(7001)) == key(String(7001))
    assert key(String(7001)) != key(String(7002))
    assert len(cache._type_ids) == before


def test_equal_statements_with_fresh_types_share_a_compiled_entry(session, compiles):
    from uow_orm import String, cast

    for name in ("alice", "bob"):
        stmt = select(User.id).where(cast(User.name, String(20)) == name)
        assert len(session.scalars(stmt).all()) == 1
    assert len(compiles) == 1
