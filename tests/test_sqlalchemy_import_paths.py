"""SQLAlchemy import paths and names that real code uses beyond the core API: the legacy
``ext.declarative`` module, the declarative helpers, the class names of statements and
elements, ``engine_from_config``, dialect objects for ``compile(dialect=...)``, and the
column layout of declarative classes (own columns first, then mixins and the base)."""

from typing import Any

import pytest
import sqlalchemy as real_sqlalchemy
import sqlalchemy.orm as real_orm

import uow_orm
from uow_orm import Column, Integer, String, exc, func, select
from uow_orm.dialects import mysql, oracle, postgresql, sqlite
from uow_orm.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column


def test_legacy_ext_declarative_base_maps_and_round_trips(engine: Any) -> None:
    from uow_orm.ext.declarative import declarative_base

    Base = declarative_base()

    class Note(Base):
        __tablename__ = "legacy_notes"
        id = Column(Integer, primary_key=True)
        text = Column(String(50))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Note(id=1, text="kept"))
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Note.text)).all() == ["kept"]
    Base.metadata.drop_all(engine)


def test_as_declarative_and_has_inherited_table(engine: Any) -> None:
    from uow_orm.orm import as_declarative, has_inherited_table

    @as_declarative()
    class Base:
        @declared_attr
        def __tablename__(cls) -> str:
            return "ad_" + cls.__name__.lower()

        id = Column(Integer, primary_key=True)

    class Thing(Base):
        name = Column(String(20))

    assert isinstance(Base.metadata, uow_orm.MetaData)
    assert has_inherited_table(Thing) is False  # Base itself has no table
    assert Thing.__table__.name == "ad_thing"
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Thing(name="t"))
        s.commit()
        assert s.scalars(select(Thing.name).where(Thing.id == 1)).one() == "t"
    Base.metadata.drop_all(engine)


def test_synonym_for_gives_the_descriptor_and_queries_the_column(engine: Any) -> None:
    from uow_orm.orm import synonym_for

    class Base(DeclarativeBase):
        pass

    class Job(Base):
        __tablename__ = "sf_jobs"
        id: Mapped[int] = mapped_column(primary_key=True)
        _status: Mapped[str] = mapped_column("status", String(20))

        @synonym_for("_status")
        @property
        def status(self) -> str:
            return "Status: " + self._status

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Job(_status="new"), Job(_status="done")])
        s.commit()
        job = s.scalars(select(Job).where(Job.status == "done")).one()
        assert job.status == "Status: done"
    Base.metadata.drop_all(engine)


def test_columns_on_the_declarative_base_are_copied_to_each_mapped_class(engine: Any) -> None:
    class Base(DeclarativeBase):
        @declared_attr.directive
        def __tablename__(cls) -> str:
            return "bc_" + cls.__name__.lower()

        id: Mapped[int] = mapped_column(primary_key=True)

    class Address(Base):
        street: Mapped[str] = mapped_column(String(40))

    class Phone(Base):
        number: Mapped[str] = mapped_column(String(20))

    assert Address.__table__.c.id is not Phone.__table__.c.id
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Address(street="Main"), Phone(number="555")])
        s.commit()
    with Session(engine) as s:
        assert s.get(Address, 1).street == "Main"
        assert s.get(Phone, 1).number == "555"
    Base.metadata.drop_all(engine)


def _column_order(lib: Any, orm: Any) -> list[str]:
    class Base(orm.DeclarativeBase):
        on_base: orm.Mapped[int] = orm.mapped_column(nullable=True)

    class First:
        a: orm.Mapped[int] = orm.mapped_column(nullable=True)
        b = lib.Column(lib.Integer)

    class Second:
        c: orm.Mapped[int] = orm.mapped_column(nullable=True)
        a: orm.Mapped[int] = orm.mapped_column(nullable=True)

    class Model(First, Second, Base):
        __tablename__ = "order_model"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str]
        c: orm.Mapped[int] = orm.mapped_column(nullable=True)

    return list(Model.__table__.c.keys())


def test_column_order_is_own_columns_then_mixins_then_base_like_sqlalchemy() -> None:
    ours = _column_order(uow_orm, uow_orm.orm)
    assert ours == ["id", "name", "c", "a", "b", "on_base"]
    assert ours == _column_order(real_sqlalchemy, real_orm)  # the reference oracle


def test_statement_and_element_class_names_are_the_built_objects_classes() -> None:
    t = uow_orm.table("points", uow_orm.column("x", Integer), uow_orm.column("y", Integer))
    stmt = select(t.c.x)
    assert isinstance(stmt, uow_orm.Select)
    assert isinstance(uow_orm.insert(t), uow_orm.Insert)
    assert isinstance(uow_orm.update(t), uow_orm.Update)
    assert isinstance(uow_orm.delete(t), uow_orm.Delete)
    assert isinstance(stmt.subquery(), uow_orm.Subquery)
    assert isinstance(stmt.cte(), uow_orm.CTE)
    assert isinstance(t.c.x == 1, uow_orm.BinaryExpression)
    assert isinstance(t.c.x == 1, uow_orm.ColumnElement)
    assert isinstance(t, uow_orm.FromClause)
    assert isinstance(uow_orm.text("select 1"), uow_orm.TextClause)
    assert isinstance(func.count(t.c.x), uow_orm.FunctionElement)
    assert isinstance(uow_orm.label("n", t.c.x), uow_orm.Label)
    assert uow_orm.CursorResult is uow_orm.Result is uow_orm.ResultProxy
    assert uow_orm.orm.Relationship is uow_orm.orm.RelationshipProperty


def test_function_spellings_run_against_the_database(engine: Any) -> None:
    md = uow_orm.MetaData()
    scores = uow_orm.Table(
        "fs_scores",
        md,
        Column("id", Integer, primary_key=True),
        Column("team", String(10)),
        Column("points", Integer),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            scores.insert(),
            [
                {"id": 1, "team": "a", "points": 3},
                {"id": 2, "team": "a", "points": 5},
                {"id": 3, "team": "b", "points": 4},
            ],
        )
        light = uow_orm.table("fs_scores", uow_orm.column("id"), uow_orm.column("points"))
        running = uow_orm.over(
            func.sum(scores.c.points), partition_by=scores.c.team, order_by=scores.c.id
        )
        rows = conn.execute(
            select(scores.c.id, uow_orm.label("running", running)).order_by(scores.c.id)
        ).all()
        assert [tuple(r) for r in rows] == [(1, 3), (2, 8), (3, 4)]
        assert conn.execute(select(func.max(light.c.points))).scalar() == 5
        high = uow_orm.funcfilter(func.count(scores.c.id), scores.c.points > 3)
        assert conn.execute(select(high)).scalar() == 2
        aliased = uow_orm.alias(scores, "s2")
        assert conn.execute(select(func.count()).select_from(aliased)).scalar() == 3
        ordered = select(scores.c.id).order_by(uow_orm.nullslast(scores.c.points.desc()))
        assert conn.execute(ordered).scalars().all() == [2, 3, 1]
    md.drop_all(engine)


def test_engine_from_config_converts_text_options(db_url: str) -> None:
    config = {"sqlalchemy.url": db_url, "sqlalchemy.echo": "false", "other.key": "x"}
    if not db_url.startswith("sqlite:///:memory:") and db_url != "sqlite://":
        config["sqlalchemy.pool_size"] = "3"
    engine = uow_orm.engine_from_config(config)
    try:
        assert engine.echo is False
        with engine.connect() as conn:
            assert conn.execute(select(uow_orm.literal(7))).scalar() == 7
    finally:
        engine.dispose()
    with pytest.raises(exc.ArgumentError, match=r"no sqlalchemy\.url"):
        uow_orm.engine_from_config({"url": db_url})
    with pytest.raises(exc.ArgumentError, match="echo='maybe' is not a boolean"):
        uow_orm.engine_from_config({"sqlalchemy.url": db_url, "sqlalchemy.echo": "maybe"})


def test_dialect_objects_compile_for_their_backend_and_others_refuse() -> None:
    t = uow_orm.table("t", uow_orm.column("x", Integer))
    stmt = select(t.c.x).where(t.c.x == 5)
    assert str(stmt.compile(dialect=postgresql.dialect())) == (
        "SELECT t.x \nFROM t \nWHERE t.x = %(x_1)s::INTEGER"
    )
    assert stmt.compile(dialect=postgresql.dialect()).sql == "SELECT t.x FROM t WHERE t.x = %s"
    assert str(stmt.compile(dialect=sqlite.dialect())) == "SELECT t.x \nFROM t \nWHERE t.x = ?"
    with pytest.raises(exc.NotSupportedError, match="no MySQL dialect"):
        mysql.dialect()
    with pytest.raises(exc.NotSupportedError, match="no Oracle dialect"):
        oracle.dialect()
