"""``execution_options(schema_translate_map=...)``: every statement a connection runs
(Core, ORM reads, the flush, DDL) renders tables in the translated schemas, and no
statement compiled for one map is reused for another (SQLAlchemy's "Translation of
Schema Names")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    exc,
    func,
    insert,
    select,
    text,
)
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

SCHEMAS = ("tenant_a", "tenant_b")


@pytest.fixture
def schema_engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An engine whose database has schemas tenant_a and tenant_b (PostgreSQL schemas;
    SQLite databases attached on every connection)."""
    if backend == "postgresql":
        engine = create_engine(request.getfixturevalue("db_url"))
        with engine.begin() as conn:
            for s in SCHEMAS:
                conn.execute(text(f"CREATE SCHEMA {s}"))
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'main.db'}")

        @event.listens_for(engine, "connect")
        def attach(dbapi_conn: Any, record: Any) -> None:
            for s in SCHEMAS:
                dbapi_conn.execute(f"ATTACH DATABASE '{tmp_path / s}.db' AS {s}")

    yield engine
    engine.dispose()


def names_in(engine: Any, schema: str | None, table: str = "item") -> list[str]:
    where = f"{schema}.{table}" if schema else table
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text(f"SELECT name FROM {where} ORDER BY name"))]


def item_table() -> tuple[MetaData, Table]:
    md = MetaData()
    t = Table("item", md, Column("id", Integer, primary_key=True), Column("name", String(20)))
    return md, t


def test_create_all_and_core_statements_go_to_the_translated_schema(schema_engine):
    md, item = item_table()
    md.create_all(schema_engine)  # the untranslated one, in the default schema
    for s in SCHEMAS:
        md.create_all(schema_engine.execution_options(schema_translate_map={None: s}))
        # created already: create_all's check looks in the translated schema too
        md.create_all(schema_engine.execution_options(schema_translate_map={None: s}))
    with schema_engine.begin() as conn:
        conn.execute(insert(item), [{"id": 1, "name": "main"}])
        conn.execution_options(schema_translate_map={None: "tenant_a"})
        conn.execute(insert(item), [{"id": 1, "name": "a1"}, {"id": 2, "name": "a2"}])
        conn.execution_options(schema_translate_map={None: "tenant_b"})
        conn.execute(insert(item).values(id=1, name="b1"))
        conn.execute(item.update().where(item.c.id == 1).values(name="b1x"))
    assert names_in(schema_engine, None) == ["main"]
    assert names_in(schema_engine, "tenant_a") == ["a1", "a2"]
    assert names_in(schema_engine, "tenant_b") == ["b1x"]
    with schema_engine.begin() as conn:
        conn.execution_options(schema_translate_map={None: "tenant_a"})
        conn.execute(item.delete().where(item.c.id == 2))
    assert names_in(schema_engine, "tenant_a") == ["a1"]


def test_one_statement_run_under_different_maps_is_never_a_wrong_cache_hit(schema_engine):
    md, item = item_table()
    for s in (None, *SCHEMAS):
        eng = schema_engine.execution_options(schema_translate_map={None: s} if s else None)
        md.create_all(eng)
        with eng.begin() as conn:
            conn.execute(insert(item).values(id=1, name=s or "main"))
    stmt = select(item.c.name).where(item.c.id == 1)
    count = select(func.count()).select_from(item)
    seen = []
    with schema_engine.connect() as conn:
        for s in ("tenant_a", None, "tenant_b", "tenant_a", None):
            conn.execution_options(schema_translate_map={None: s} if s else None)
            seen.append(conn.execute(stmt).scalar_one())
            # built anew each time: the statement cache, not the statement's own
            seen.append(conn.execute(select(item.c.name).where(item.c.id == 1)).scalar_one())
            assert conn.execute(count).scalar_one() == 1
    assert seen == [
        "tenant_a",
        "tenant_a",
        "main",
        "main",
        "tenant_b",
        "tenant_b",
        "tenant_a",
        "tenant_a",
        "main",
        "main",
    ]


def test_named_schema_translates_and_other_schemas_stay(schema_engine):
    md = MetaData()
    per_user = Table(
        "item",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        schema="per_user",
    )
    fixed = Table(
        "note",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        schema="tenant_a",
    )
    eng = schema_engine.execution_options(schema_translate_map={"per_user": "tenant_b"})
    md.create_all(eng)
    with eng.begin() as conn:
        conn.execute(insert(per_user).values(id=1, name="per-user row"))
        conn.execute(insert(fixed).values(id=1, name="fixed row"))
        got = conn.execute(
            select(per_user.c.name, fixed.c.name).join_from(
                per_user, fixed, per_user.c.id == fixed.c.id
            )
        ).one()
    assert tuple(got) == ("per-user row", "fixed row")
    assert names_in(schema_engine, "tenant_b") == ["per-user row"]
    assert names_in(schema_engine, "tenant_a", "note") == ["fixed row"]


class Base(DeclarativeBase):
    pass


class Owner(Base):
    __tablename__ = "owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    pets: Mapped[list[Pet]] = relationship(back_populates="owner", cascade="all, delete-orphan")


class Pet(Base):
    __tablename__ = "pet"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"))
    name: Mapped[str] = mapped_column(String(20))
    owner: Mapped[Owner] = relationship(back_populates="pets")


def test_orm_flush_and_loads_use_the_session_binds_map(schema_engine):
    engines = {s: schema_engine.execution_options(schema_translate_map={None: s}) for s in SCHEMAS}
    for eng in engines.values():
        Base.metadata.create_all(eng)
    for s, eng in engines.items():
        with Session(eng) as session:
            session.add(Owner(id=1, name=f"{s} owner", pets=[Pet(id=1, name=f"{s} pet")]))
            session.commit()
    for s, eng in engines.items():
        with Session(eng) as session:
            owner = session.get(Owner, 1)  # session.get's cached statement
            assert owner is not None and owner.name == f"{s} owner"
            assert [p.name for p in owner.pets] == [f"{s} pet"]  # a lazy load
            owner.name = f"{s} renamed"
            owner.pets.append(Pet(id=2, name=f"{s} second"))
            session.commit()
            assert session.scalars(select(Owner.name)).all() == [f"{s} renamed"]
            session.delete(session.get(Pet, 1))
            session.commit()
    for s in SCHEMAS:
        assert names_in(schema_engine, s, "owner") == [f"{s} renamed"]
        assert names_in(schema_engine, s, "pet") == [f"{s} second"]


def test_session_connection_execution_options_translate_that_transaction(schema_engine):
    md, item = item_table()
    for s in SCHEMAS:
        md.create_all(schema_engine.execution_options(schema_translate_map={None: s}))
    with Session(schema_engine) as session:
        conn = session.connection(execution_options={"schema_translate_map": {None: "tenant_b"}})
        conn.execute(insert(item).values(id=1, name="via session"))
        assert session.execute(select(item.c.name)).scalar_one() == "via session"
        session.commit()
    assert names_in(schema_engine, "tenant_b") == ["via session"]
    assert names_in(schema_engine, "tenant_a") == []


@pytest.mark.parametrize("bad", [{1: "x"}, {None: 3}, ["tenant_a"]])
def test_bad_schema_translate_map_raises_argument_error(schema_engine, bad):
    with pytest.raises(exc.ArgumentError, match="schema_translate_map"):
        schema_engine.execution_options(schema_translate_map=bad)
    with schema_engine.connect() as conn, pytest.raises(exc.ArgumentError):
        conn.execution_options(schema_translate_map=bad)


def test_no_map_and_an_empty_map_use_the_engines_own_dialect(schema_engine):
    assert schema_engine.execution_options(schema_translate_map={}).dialect is (
        schema_engine.dialect
    )
    a1 = schema_engine.execution_options(schema_translate_map={None: "tenant_a"})
    a2 = schema_engine.execution_options(schema_translate_map={None: "tenant_a"})
    assert a1.dialect is a2.dialect  # one compiled-statement cache per distinct map
    assert a1.dialect.cache_key != schema_engine.dialect.cache_key


def test_statement_level_schema_translate_map_is_refused_not_ignored(schema_engine):
    _md, item = item_table()
    with pytest.raises(exc.ArgumentError, match="schema_translate_map"):
        select(item).execution_options(schema_translate_map={None: "tenant_a"})
    with Session(schema_engine) as session, pytest.raises(exc.ArgumentError):
        session.execute(
            select(item), execution_options={"schema_translate_map": {None: "tenant_a"}}
        )
