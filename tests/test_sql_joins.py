"""Aliases and joins (issue 15): aliased(), Table.alias(), subqueries as entities, joining
one table twice, join_from, join(Target, Parent.rel), of_type, outer joins, sql.join().

Every statement runs on SQLite and PostgreSQL against the data in sqlexpr_models.
"""

from __future__ import annotations

import pytest
from conftest import BACKENDS
from sqlexpr_models import Address, User, seeded_engine

from uow_orm import (
    aliased,
    exc,
    func,
    inspect,
    join,
    outerjoin,
    select,
)

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


def test_aliased_class_joins_the_same_table_twice(session):
    a1 = aliased(Address)
    a2 = aliased(Address)
    stmt = (
        select(User)
        .join(a1, User.addresses)
        .join(a2, User.addresses)
        .where(a1.email == "alice@home", a2.email == "alice@work")
    )
    assert "x_addresses AS x_addresses_1" in str(stmt)
    assert "x_addresses AS x_addresses_2" in str(stmt)
    assert [u.name for u in session.scalars(stmt)] == ["alice"]


def test_named_alias_selects_objects_from_the_identity_map(session):
    manager = aliased(User, name="manager")
    rows = session.execute(
        select(User.name, manager.name)
        .join(manager, User.manager_id == manager.id)
        .order_by(User.id)
    ).all()
    assert [tuple(r) for r in rows] == [("bob", "alice"), ("carol", "alice"), ("dave", "bob")]
    pairs = session.execute(
        select(User, manager).join(manager, User.manager).order_by(User.id)
    ).all()
    assert [(u.name, m.name) for u, m in pairs] == [
        ("bob", "alice"),
        ("carol", "alice"),
        ("dave", "bob"),
    ]
    alice = session.get(User, 1)
    assert pairs[0][1] is alice  # the alias builds ordinary, identity-mapped User objects
    assert inspect(pairs[0][1]).persistent
    assert list(pairs[0]._mapping) == ["User", "manager"]


def test_of_type_aims_a_relationship_join_at_an_alias(session):
    boss = aliased(User)
    stmt = select(User.name).join(User.manager.of_type(boss)).where(boss.name == "bob")
    assert session.scalars(stmt).all() == ["dave"]
    a = aliased(Address)
    stmt = select(User.name, a.email).join(User.addresses.of_type(a)).order_by(a.id)
    assert [tuple(r) for r in session.execute(stmt)] == [
        ("alice", "alice@home"),
        ("alice", "alice@work"),
        ("bob", "bob@home"),
        ("carol", "carol@work"),
    ]


def test_relationship_of_an_alias_joins_from_the_alias(session):
    m = aliased(User, name="m")
    stmt = select(m.name, User.name).join(m.reports).order_by(User.id)
    rows = [tuple(r) for r in session.execute(stmt)]
    assert rows == [("alice", "bob"), ("alice", "carol"), ("bob", "dave")]


def test_join_target_with_relationship_as_onclause(session):
    stmt = select(User.name, Address.email).join(Address, User.addresses).order_by(Address.id)
    assert [r.email for r in session.execute(stmt)] == [
        "alice@home",
        "alice@work",
        "bob@home",
        "carol@work",
    ]


def test_join_from_names_the_left_side(session):
    stmt = select(Address.email, User.name).join_from(User, Address).where(User.name == "bob")
    assert [tuple(r) for r in session.execute(stmt)] == [("bob@home", "bob")]
    stmt = select(User.name, Address.email).join_from(User, Address, isouter=True)
    got = sorted((r.name, r.email or "") for r in session.execute(stmt))
    assert ("dave", "") in got and len(got) == 5


def test_outerjoin_and_isouter_keep_rows_without_a_match(session):
    for stmt in (
        select(User.name, Address.email).outerjoin(User.addresses),
        select(User.name, Address.email).join(Address, isouter=True),
        select(User.name, Address.email).outerjoin(Address, User.id == Address.user_id),
    ):
        rows = sorted((r[0], r[1] or "-") for r in session.execute(stmt.order_by(User.id)))
        assert ("dave", "-") in rows and len(rows) == 5
        assert "LEFT OUTER JOIN" in str(stmt)


def test_table_alias_self_join(session):
    users = User.__table__
    boss = users.alias("boss")
    stmt = (
        select(users.c.name, boss.c.name.label("boss_name"))
        .select_from(users.join(boss, users.c.manager_id == boss.c.id))
        .order_by(users.c.id)
    )
    assert [tuple(r) for r in session.execute(stmt)] == [
        ("bob", "alice"),
        ("carol", "alice"),
        ("dave", "bob"),
    ]
    assert [r.boss_name for r in session.execute(stmt)] == ["alice", "alice", "bob"]


def test_anonymous_table_alias_infers_the_on_clause_from_foreign_keys(session):
    addresses = Address.__table__.alias()
    stmt = (
        select(User.name, addresses.c.email)
        .join(addresses)
        .where(addresses.c.email.like("%work"))
        .order_by(User.name)
    )
    assert "AS x_addresses_1" in str(stmt)
    assert [tuple(r) for r in session.execute(stmt)] == [
        ("alice", "alice@work"),
        ("carol", "carol@work"),
    ]


def test_sql_join_and_outerjoin_functions_as_select_from(session):
    stmt = (
        select(User.name, Address.email)
        .select_from(join(User, Address, User.addresses))
        .order_by(Address.id)
    )
    assert len(session.execute(stmt).all()) == 4
    stmt = select(User.name).select_from(outerjoin(User, Address)).where(Address.id.is_(None))
    assert session.scalars(stmt).all() == ["dave"]
    stmt = select(func.count()).select_from(User.__table__.outerjoin(Address.__table__))
    assert session.scalar(stmt) == 5


def test_aliased_subquery_loads_entities(session):
    sub = select(User).where(User.age < 30).subquery()
    young = aliased(User, sub)
    got = session.scalars(select(young).order_by(young.id)).all()
    assert [u.name for u in got] == ["bob", "dave"]
    assert got[0] is session.get(User, 2)
    named = aliased(User, sub, name="young")
    stmt = select(named.name).where(named.id > 2)
    # the name keys the entity in rows; the subquery keeps its own (anonymous) name
    assert "young" not in str(stmt)
    assert session.scalars(stmt).all() == ["dave"]
    rows = session.execute(select(named).where(named.id > 2)).all()
    assert list(rows[0]._mapping) == ["young"] and rows[0].young.name == "dave"


def test_aliased_subquery_of_some_columns_leaves_the_others_unloaded(session):
    sub = (
        select(User.id, User.name, Address.id, Address.email)
        .join_from(User, Address)
        .where(User.name == "alice")
        .order_by(Address.id)
        .subquery()
    )
    owner = aliased(User, sub, name="owner")
    addr = aliased(Address, sub, name="addr")
    rows = session.execute(select(owner, addr).order_by(addr.id)).all()
    # two columns named id in one subquery: each entity reads its own
    assert [(r.owner.id, r.addr.id, r.addr.email) for r in rows] == [
        (1, 1, "alice@home"),
        (1, 2, "alice@work"),
    ]
    first = rows[0].addr
    assert "user_id" in inspect(first).unloaded
    assert first.user_id == 1  # loaded on access by primary key
    assert "age" in inspect(rows[0].owner).unloaded and rows[0].owner.age == 30


def test_aliased_subquery_joined_to_a_relationship(session):
    sub = select(Address).where(Address.email.like("%home")).subquery()
    home = aliased(Address, sub)
    stmt = select(User.name, home.email).join(User.addresses.of_type(home)).order_by(home.id)
    assert [tuple(r) for r in session.execute(stmt)] == [
        ("alice", "alice@home"),
        ("bob", "bob@home"),
    ]


def test_subquery_with_aggregate_joined_as_a_from(session):
    counts = (
        select(Address.user_id, func.count(Address.id).label("n"))
        .group_by(Address.user_id)
        .subquery()
    )
    stmt = select(User.name, counts.c.n).join(counts, User.id == counts.c.user_id).order_by(User.id)
    assert [tuple(r) for r in session.execute(stmt)] == [("alice", 2), ("bob", 1), ("carol", 1)]


def test_filter_by_applies_to_the_last_joined_alias(session):
    a = aliased(Address)
    stmt = select(User.name).join(User.addresses.of_type(a)).filter(a.email == "bob@home")
    assert session.scalars(stmt).all() == ["bob"]


def test_aliased_rejects_an_unmapped_class_and_a_selectable_missing_columns():
    class Plain:
        pass

    with pytest.raises(exc.ArgumentError, match="mapped class"):
        aliased(Plain)
    with pytest.raises(exc.ArgumentError, match=r"primary key x_users\.id"):
        aliased(User, select(User.name, User.age).subquery())


def test_of_type_rejects_an_alias_of_another_class():
    with pytest.raises(exc.ArgumentError, match="not an alias of"):
        User.addresses.of_type(aliased(User))


def test_self_referential_any_and_has_read_the_related_rows_through_an_alias(session):
    stmt = select(User.name).where(User.reports.any(User.age < 30)).order_by(User.id)
    assert session.scalars(stmt).all() == ["alice", "bob"]
    stmt = select(User.name).where(User.manager.has(User.name == "alice")).order_by(User.id)
    assert session.scalars(stmt).all() == ["bob", "carol"]
    assert session.scalars(select(User.name).where(~User.reports.any())).all() == [
        "carol",
        "dave",
    ]


def test_self_referential_joinedload_uses_one_aliased_join(session, sql_log):
    from uow_orm import joinedload

    log = sql_log(session.get_bind())
    stmt = (
        select(User).options(joinedload(User.manager), joinedload(User.reports)).order_by(User.id)
    )
    users = session.scalars(stmt).unique().all()
    selects = [s for s in log.sql if s.startswith("SELECT")]
    assert len(selects) == 1 and "x_users AS x_users_1" in selects[0]
    got = [
        (u.name, u.manager.name if u.manager else None, [r.name for r in u.reports]) for u in users
    ]
    assert got == [
        ("alice", None, ["bob", "carol"]),
        ("bob", "alice", ["dave"]),
        ("carol", "alice", []),
        ("dave", "bob", []),
    ]
    assert len([s for s in log.sql if s.startswith("SELECT")]) == 1  # no lazy loads


def test_chained_self_referential_joinedload_joins_twice(session, sql_log):
    from uow_orm import joinedload

    log = sql_log(session.get_bind())
    stmt = select(User).options(joinedload(User.manager).joinedload(User.manager))
    dave = session.scalars(stmt.where(User.id == 4)).one()
    assert dave.manager.manager.name == "alice"
    selects = [s for s in log.sql if s.startswith("SELECT")]
    assert len(selects) == 1 and "x_users_2" in selects[0]


def test_joinedload_of_a_table_the_query_already_joins_uses_an_alias(session):
    from uow_orm import joinedload

    stmt = (
        select(User)
        .join(User.addresses)
        .where(Address.email.like("%home"))
        .options(joinedload(User.addresses))
        .order_by(User.id)
    )
    users = session.scalars(stmt).unique().all()
    assert [(u.name, [a.email for a in u.addresses]) for u in users] == [
        ("alice", ["alice@home", "alice@work"]),
        ("bob", ["bob@home"]),
    ]


def test_relationship_and_adds_criteria_to_the_on_clause(session):
    stmt = select(User.name, Address.email).join(User.addresses.and_(Address.email.like("%work")))
    assert sorted(tuple(r) for r in session.execute(stmt)) == [
        ("alice", "alice@work"),
        ("carol", "carol@work"),
    ]
    a = aliased(Address)
    stmt = select(User.name, a.email).join(User.addresses.of_type(a).and_(a.email.like("%home")))
    assert sorted(tuple(r) for r in session.execute(stmt)) == [
        ("alice", "alice@home"),
        ("bob", "bob@home"),
    ]


def test_with_parent_selects_the_related_rows(session):
    from uow_orm import with_parent

    alice = session.get(User, 1)
    stmt = select(Address.email).where(with_parent(alice, User.addresses)).order_by(Address.id)
    assert session.scalars(stmt).all() == ["alice@home", "alice@work"]
    bob = session.get(User, 2)
    assert session.scalars(select(User.name).where(with_parent(bob, User.reports))).all() == [
        "dave"
    ]


def test_join_to_an_aliased_subquery_infers_the_on_clause(session):
    sub = select(Address).where(Address.email == "bob@home").subquery()
    bob_home = aliased(Address, sub)
    rows = session.execute(select(User, bob_home).join(bob_home)).all()
    assert [(u.name, a.email) for u, a in rows] == [("bob", "bob@home")]


def test_text_columns_is_a_select_for_entities_and_subqueries(session):
    from uow_orm import text

    textual = text("SELECT id, name, age, manager_id FROM x_users ORDER BY id").columns(
        User.id, User.name, User.age, User.manager_id
    )
    users = session.scalars(select(User).from_statement(textual)).all()
    assert [u.name for u in users] == ["alice", "bob", "carol", "dave"]
    young = aliased(User, textual.subquery())
    got = session.scalars(select(young).where(young.age < 30).order_by(young.id)).all()
    assert [u.name for u in got] == ["bob", "dave"] and got[0] is users[1]
