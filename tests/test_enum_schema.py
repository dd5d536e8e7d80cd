"""Where a native PostgreSQL ENUM type lives: ``Enum(schema=...)``, ``inherit_schema=True``
(also from a ``type_annotation_map`` entry), the MetaData's schema, ``Enum(metadata=...)``.
SQLite has no types of its own: the same models store VARCHAR columns there.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest
from conftest import fetch, run

from uow_orm import Column, Enum, Integer, MetaData, Session, Table, exc, select
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column


class Status(enum.Enum):
    PENDING = "pending"
    DONE = "done"


ENUM_TYPES = (
    "SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n "
    "ON n.oid = t.typnamespace WHERE t.typtype = 'e' ORDER BY t.typname"
)


def _schemas(engine: Any, backend: str, *names: str) -> None:
    """Create the PostgreSQL schemas (SQLite needs none here)."""
    for name in names:
        if backend == "postgresql":
            run(engine, f'CREATE SCHEMA "{name}"')


def _sqlite_attach(engine: Any, *names: str) -> None:
    from uow_orm import event

    @event.listens_for(engine, "connect")
    def attach(dbapi_conn: Any, record: Any) -> None:
        for name in names:
            dbapi_conn.execute(f"ATTACH DATABASE ':memory:' AS {name}")


def test_type_annotation_map_inherit_schema_puts_the_type_in_the_tables_schema(
    engine: Any, backend: str
) -> None:
    class Base(DeclarativeBase):
        metadata = MetaData(schema="my_schema")
        type_annotation_map = {enum.Enum: Enum(enum.Enum, inherit_schema=True)}

    class Job(Base):
        __tablename__ = "es_job"
        id: Mapped[int] = mapped_column(primary_key=True)
        status: Mapped[Status]

    if backend == "postgresql":
        _schemas(engine, backend, "my_schema")
    else:
        _sqlite_attach(engine, "my_schema")
        engine.dispose()
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Job(id=1, status=Status.DONE))
        s.commit()
        assert s.scalars(select(Job.status)).all() == [Status.DONE]
    if backend == "postgresql":
        assert fetch(engine, ENUM_TYPES) == [("my_schema", "status")]
        assert fetch(engine, "SELECT status::text FROM my_schema.es_job") == [("DONE",)]
        Base.metadata.drop_all(engine)
        assert fetch(engine, ENUM_TYPES) == []


def test_explicit_schema_metadata_schema_and_inherit_schema_on_columns(
    engine: Any, backend: str
) -> None:
    m = MetaData()
    t = Table(
        "es_t",
        m,
        Column("id", Integer, primary_key=True),
        Column("k", Enum("a", "b", name="kind_s2", schema="s2")),
        Column("k2", Enum("x", "y", name="kind_inherit", inherit_schema=True)),
    )
    m2 = MetaData(schema="s2" if backend == "postgresql" else None)
    t2 = Table(
        "es_t2",
        m2,
        Column("id", Integer, primary_key=True),
        Column("k", Enum("p", "q", name="kind_meta")),
    )
    _schemas(engine, backend, "s2")
    m.create_all(engine)
    m2.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert().values(id=1, k="a", k2="y"))
        conn.execute(t2.insert().values(id=1, k="q"))
        assert conn.execute(select(t.c.k, t.c.k2)).all() == [("a", "y")]
        assert conn.execute(select(t2.c.k)).all() == [("q",)]
    if backend == "postgresql":
        assert fetch(engine, ENUM_TYPES) == [
            ("public", "kind_inherit"),
            ("s2", "kind_meta"),
            ("s2", "kind_s2"),
        ]
    else:
        assert fetch(engine, "SELECT k, k2 FROM es_t") == [("a", "y")]


def test_enum_with_metadata_is_created_without_a_table(engine: Any, backend: str) -> None:
    m = MetaData()
    Enum("u", "v", name="es_standalone", metadata=m)
    m.create_all(engine)
    if backend == "postgresql":
        assert fetch(engine, ENUM_TYPES) == [("public", "es_standalone")]
        m.drop_all(engine)
        assert fetch(engine, ENUM_TYPES) == []
    else:
        assert fetch(engine, "SELECT name FROM sqlite_master WHERE type = 'table'") == []


def test_inherit_schema_with_a_schema_is_ambiguous() -> None:
    with pytest.raises(exc.ArgumentError, match="Ambiguously"):
        Enum("a", name="z", schema="x", inherit_schema=True)


def test_a_mixin_enum_column_takes_each_tables_schema() -> None:
    from uow_orm.dialects.postgresql import PGDialect

    class Base(DeclarativeBase):
        pass

    class HasStatus:
        status: Mapped[Status] = mapped_column(Enum(Status, inherit_schema=True))

    class A(HasStatus, Base):
        __tablename__ = "es_a"
        __table_args__ = {"schema": "sa"}
        id: Mapped[int] = mapped_column(primary_key=True)

    class B(HasStatus, Base):
        __tablename__ = "es_b"
        __table_args__ = {"schema": "sb"}
        id: Mapped[int] = mapped_column(primary_key=True)

    pg = PGDialect()
    assert A.__table__.c.status.type.compile(pg) == "sa.status"
    assert B.__table__.c.status.type.compile(pg) == "sb.status"
