"""Statement introspection and reuse (issue 15): with_only_columns, column_descriptions,
selected_columns, subquery().c, Table.c["a", "b"], str(), compile(engine),
literal_binds, Compiled.params, Bundle.
"""

from __future__ import annotations

import pytest
from conftest import BACKENDS
from sqlexpr_models import Address, User, seeded_engine

from uow_orm import Bundle, Integer, String, aliased, exc, func, select

engine = pytest.fixture(scope="module", params=BACKENDS)(seeded_engine)


def test_with_only_columns_replaces_the_columns_and_keeps_the_where(session):
    stmt = select(User).where(User.age == 25).order_by(User.id)
    names = stmt.with_only_columns(User.name)
    assert session.scalars(names).all() == ["bob", "dave"]
    count = stmt.with_only_columns(func.count()).order_by(None)
    assert session.scalar(count) == 2


def test_selected_columns_and_subquery_columns(session):
    stmt = select(User.id, User.name.label("who"))
    assert stmt.selected_columns.keys() == ["id", "who"]
    assert isinstance(stmt.selected_columns.who.type, String)
    sub = stmt.where(User.age > 26).subquery()
    assert list(sub.c.keys()) == ["id", "who"]
    got = session.execute(select(sub.c.who).where(sub.c.id > 1)).scalars().all()
    assert got == ["carol"]


def test_column_descriptions_name_entities_and_columns():
    ua = aliased(User, name="boss")
    desc = select(User, User.name, ua, func.count().label("n")).column_descriptions
    assert desc[0] == {"name": "User", "type": User, "aliased": False, "expr": User, "entity": User}
    assert desc[1]["name"] == "name" and desc[1]["entity"] is User
    assert isinstance(desc[1]["type"], String)
    assert desc[2]["name"] == "boss" and desc[2]["aliased"] is True and desc[2]["type"] is User
    assert desc[3]["name"] == "n" and isinstance(desc[3]["type"], Integer)


def test_table_columns_by_several_keys(session):
    t = User.__table__
    cols = t.c["id", "name"]
    assert [c.name for c in cols] == ["id", "name"]
    rows = session.execute(select(*cols).where(t.c.id == 1)).all()
    assert [tuple(r) for r in rows] == [(1, "alice")]


def test_compile_for_an_engine_and_with_literal_binds(engine):
    stmt = select(User.name).where(User.name == "o'brien", User.age > 3)
    compiled = stmt.compile(engine)
    placeholder = "?" if engine.dialect.name == "sqlite" else "%(name_1)s::VARCHAR"
    assert f"x_users.name = {placeholder}" in str(compiled)
    executed = "?" if engine.dialect.name == "sqlite" else "%s"
    assert f"x_users.name = {executed}" in compiled.sql
    assert compiled.params == {"name_1": "o'brien", "age_1": 3}
    text = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    assert text.endswith("WHERE x_users.name = 'o''brien' AND x_users.age > 3")
    with pytest.raises(exc.ArgumentError, match="render_postcompile"):
        stmt.compile(engine, compile_kwargs={"render_postcompile": True})
    assert str(stmt) == (
        "SELECT x_users.name \nFROM x_users \nWHERE x_users.name = :name_1 AND x_users.age > :age_1"
    )


def test_literal_binds_sql_runs(engine):
    stmt = select(User.name).where(User.age.in_([25, 35])).order_by(User.id)
    text = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    assert "IN (25, 35)" in text
    with engine.connect() as conn:
        assert conn.exec_driver_sql(text).scalars().all() == ["bob", "carol", "dave"]


def test_bundle_groups_columns_into_one_value(session):
    b = Bundle("user", User.id, User.name)
    rows = session.execute(select(b, Address.email).join(User.addresses).order_by(Address.id)).all()
    first, email = rows[0]
    assert (first.id, first.name, email) == (1, "alice", "alice@home")
    assert tuple(first) == (1, "alice")
    assert rows[0].user.name == "alice"
    only = session.scalars(select(b).where(User.id == 3)).one()
    assert only.name == "carol"


def test_bundle_subclass_builds_its_own_objects(session):
    class Pair(Bundle):
        def create_row_processor(self, query, procs, labels):
            def proc(row):
                return {label: p(row) for label, p in zip(labels, procs)}

            return proc

    got = session.scalars(select(Pair("p", User.id, User.age)).order_by(User.id)).first()
    assert got == {"id": 1, "age": 30}
