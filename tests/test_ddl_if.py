"""``Constraint.ddl_if()`` / ``Index.ddl_if()``: ``create_all`` (and ``CreateTable``)
create a constraint or index only on the named dialect(s) and / or when a callable says
so, as in SQLAlchemy. Checked by what the database enforces and reflects. Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    CheckConstraint,
    Column,
    Constraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Table,
    UniqueConstraint,
    exc,
    insert,
    inspect,
)
from uow_orm.engine.base import Connection
from uow_orm.schema import CreateIndex, CreateTable
from uow_orm.sql.ddl import CreateConstraint

calls: list[tuple[Any, ...]] = []


def record(ddl: Any, target: Any, bind: Any, **kw: Any) -> bool:
    calls.append((type(ddl), target.name, bind, kw["state"], kw["dialect"].name, kw["compiler"]))
    return bool(kw["state"])


def _tables() -> tuple[MetaData, Table, Table]:
    md = MetaData()
    parent = Table("ddi_parent", md, Column("id", Integer, primary_key=True))
    child = Table(
        "ddi_child",
        md,
        Column("id", Integer, primary_key=True),
        Column("x", Integer),
        Column("y", Integer),
        Column("z", Integer),
        Column("parent_id", Integer),
        CheckConstraint("x > 0", name="ck_pg_only").ddl_if(dialect="postgresql"),
        UniqueConstraint("y", name="uq_both").ddl_if(dialect=("sqlite", "postgresql")),
        UniqueConstraint("z", name="uq_never").ddl_if(callable_=record, state=False),
        ForeignKeyConstraint(["parent_id"], ["ddi_parent.id"], name="fk_sqlite_only").ddl_if(
            dialect="sqlite"
        ),
    )
    Index("ix_pg_only", child.c.x).ddl_if(dialect="postgresql")
    Index("ix_by_callable", child.c.y, child.c.z).ddl_if(callable_=record, state=True)
    Index("ix_refused", child.c.z).ddl_if(callable_=record, state=False)
    return md, parent, child


@pytest.fixture
def tables(engine: Any) -> Any:
    calls.clear()
    md, parent, child = _tables()
    md.create_all(engine)
    yield parent, child
    md.drop_all(engine)


def test_indexes_are_created_where_their_condition_holds(engine, backend, tables):
    names = {ix["name"] for ix in inspect(engine).get_indexes("ddi_child")}
    expected = {"ix_by_callable"} | ({"ix_pg_only"} if backend == "postgresql" else set())
    assert names & {"ix_pg_only", "ix_by_callable", "ix_refused"} == expected


def test_check_constraint_for_one_dialect_is_enforced_only_there(engine, backend, tables):
    _parent, child = tables
    with engine.connect() as conn:
        if backend == "postgresql":
            with pytest.raises(exc.IntegrityError):
                conn.execute(insert(child).values(id=1, x=-1))
            conn.rollback()
        else:
            conn.execute(insert(child).values(id=1, x=-1))
            conn.commit()


def test_unique_constraints_follow_their_dialect_list_and_callable(engine, tables):
    _parent, child = tables
    with engine.connect() as conn:
        conn.execute(insert(child).values(id=1, y=1, z=5))
        conn.execute(insert(child).values(id=2, y=2, z=5))  # uq_never: not created
        conn.commit()
        with pytest.raises(exc.IntegrityError):
            conn.execute(insert(child).values(id=3, y=1))  # uq_both: created everywhere
        conn.rollback()


def test_foreign_key_constraint_for_one_dialect(engine, backend, tables):
    fks = inspect(engine).get_foreign_keys("ddi_child")
    assert [fk["referred_table"] for fk in fks] == (["ddi_parent"] if backend == "sqlite" else [])


def test_callable_gets_the_ddl_target_bind_state_and_dialect(engine, backend, tables):
    by_target = {c[1]: c for c in calls}
    # a constraint is decided while CREATE TABLE is written: no connection
    assert by_target["uq_never"] == (CreateConstraint, "uq_never", None, False, backend, None)
    ix_call = by_target["ix_by_callable"]
    assert ix_call[0] is CreateIndex and ix_call[3:] == (True, backend, None)
    assert isinstance(ix_call[2], Connection)
    assert by_target["ix_refused"][3] is False


def test_create_table_leaves_out_the_constraints_of_other_dialects(engine):
    _md, _parent, child = _tables()
    pg_sql = str(CreateTable(child).compile(dialect=_dialect(engine, "postgresql")))
    lite_sql = str(CreateTable(child).compile(dialect=_dialect(engine, "sqlite")))
    assert "ck_pg_only" in pg_sql and "ck_pg_only" not in lite_sql
    assert "fk_sqlite_only" in lite_sql and "fk_sqlite_only" not in pg_sql
    assert "uq_both" in pg_sql and "uq_both" in lite_sql
    assert "uq_never" not in pg_sql


def _dialect(engine: Any, name: str) -> Any:
    if engine.dialect.name == name:
        return engine.dialect
    from uow_orm.dialects import postgresql, sqlite

    return (postgresql if name == "postgresql" else sqlite).dialect()


def test_an_explicit_create_index_is_not_conditional(engine):
    _md, _parent, child = _tables()
    ix = next(i for i in child.indexes if i.name == "ix_pg_only")
    assert "CREATE INDEX ix_pg_only" in str(
        CreateIndex(ix).compile(dialect=_dialect(engine, "sqlite"))
    )


def test_ddl_if_returns_the_item_and_refuses_bad_arguments():
    ix = Index("ix_a", "a")
    assert ix.ddl_if(dialect="postgresql") is ix
    with pytest.raises(exc.ArgumentError, match="dialect"):
        UniqueConstraint("a").ddl_if(dialect=5)  # type: ignore[arg-type]
    with pytest.raises(exc.ArgumentError, match="callable"):
        CheckConstraint("a > 0").ddl_if(callable_="yes")  # type: ignore[arg-type]
    assert isinstance(UniqueConstraint("a"), Constraint)
    with pytest.raises(exc.ArgumentError, match="base class"):
        Constraint()
