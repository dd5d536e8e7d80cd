"""The SQLAlchemy module paths and helpers that libraries built on it import at start-up
(sqlalchemy-utils, wtforms-alchemy were run against uow_orm with their imports
redirected): ``engine.interfaces``, ``orm.mapperlib``, ``orm.context`` through
``Query._compile_state()``, ``sql.util.ClauseAdapter`` and ``util.langhelpers.symbol``.
Each is real behaviour, checked against the database on SQLite and PostgreSQL."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from uow_orm import ForeignKey, String, exc, select
from uow_orm.engine.interfaces import Dialect
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column, mapperlib, relationship
from uow_orm.orm.context import _ColumnEntity, _MapperEntity
from uow_orm.sql.util import ClauseAdapter
from uow_orm.util.langhelpers import symbol


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "li_shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    books: Mapped[list[Book]] = relationship(back_populates="shelf")


class Book(Base):
    __tablename__ = "li_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("li_shelf.id"))
    title: Mapped[str] = mapped_column(String(20))
    shelf: Mapped[Shelf] = relationship(back_populates="books")


@pytest.fixture
def session(db: Any) -> Any:
    with Session(db) as s:
        s.add_all(
            [
                Shelf(id=1, name="top", books=[Book(id=1, title="a"), Book(id=2, title="b")]),
                Shelf(id=2, name="low", books=[Book(id=3, title="c")]),
            ]
        )
        s.commit()
        yield s


def test_engine_interfaces_dialect_is_the_engines_dialect_class(db: Any) -> None:
    assert isinstance(db.dialect, Dialect)


def test_mapperlib_lists_every_registry_and_finds_a_tables_mapper() -> None:
    mappers = {m for r in mapperlib._all_registries() for m in r.mappers}
    found = [m for m in mappers if Book.__table__ in m.tables]
    assert [m.class_ for m in found] == [Book]
    assert mapperlib.Mapper is type(Book.__mapper__)


def test_query_compile_state_lists_entities_and_mapper_zero(session: Any) -> None:
    state = session.query(Book, Shelf.name).join(Book.shelf)._compile_state()
    first, second = state._entities
    assert isinstance(first, _MapperEntity) and first.expr is Book and first.mapper.class_ is Book
    assert isinstance(second, _ColumnEntity) and second.mapper.class_ is Shelf
    assert state._mapper_zero().class_ is Book
    assert session.query(Shelf.name)._compile_state()._mapper_zero().class_ is Shelf


def test_clause_adapter_aims_a_condition_at_an_alias(session: Any) -> None:
    books = Book.__table__
    alias = books.alias("b2")
    cond = ClauseAdapter(alias).traverse(books.c.shelf_id == 1)
    assert "b2.shelf_id" in str(cond)
    rows = session.execute(select(alias.c.title).where(cond).order_by(alias.c.id)).scalars()
    assert rows.all() == ["a", "b"]
    # columns the alias does not stand for are left alone; exclude_fn keeps columns as they are
    kept = ClauseAdapter(alias, exclude_fn=lambda c: c.name == "shelf_id").traverse(
        books.c.shelf_id == 1
    )
    assert "li_book.shelf_id" in str(kept)
    with pytest.raises(exc.ArgumentError, match="adapt_on_names"):
        ClauseAdapter(alias, adapt_on_names=True)


def test_symbol_is_one_named_int_per_name() -> None:
    a = symbol("MANYTOMANY")
    assert a is symbol("MANYTOMANY") and a is not symbol("ONETOMANY")
    assert repr(a) == "symbol('MANYTOMANY')" and isinstance(a, int)
    assert symbol("X_CANON", canonical=7) == 7
    assert pickle.loads(pickle.dumps(a)) is a


# -- what sqlalchemy-utils builds on at import: PG dialect modules, DDL bases, Mutable ------
def test_postgresql_dialect_submodules_name_the_dialect_and_its_type_map() -> None:
    from uow_orm.dialects import postgresql
    from uow_orm.dialects.postgresql import base, psycopg, psycopg2

    assert base.PGDialect is postgresql.PGDialect is psycopg.PGDialect_psycopg
    assert psycopg2.PGDialect_psycopg2 is postgresql.PGDialect
    assert base.ischema_names["jsonb"] is postgresql.JSONB
    assert base.JSONB is postgresql.JSONB


def test_ischema_names_entry_is_what_postgresql_reflection_gives(pg_url: str) -> None:
    # PostgreSQL's reflection map: a PostgreSQL-only behaviour, on a PostgreSQL database
    from uow_orm import MetaData, Table, create_engine, text
    from uow_orm.dialects.postgresql.base import ischema_names
    from uow_orm.types import UserDefinedType

    db = create_engine(pg_url)

    class Ltree(UserDefinedType):
        cache_ok = True

        def get_col_spec(self, **kw: Any) -> str:
            return "LTREE"

    with db.begin() as conn:
        conn.execute(text("CREATE DOMAIN li_path AS text"))
        conn.execute(text("CREATE TABLE li_paths (id integer PRIMARY KEY, p li_path)"))
    ischema_names["li_path"] = Ltree
    try:
        t = Table("li_paths", MetaData(), autoload_with=db)
        assert isinstance(t.c.p.type, Ltree)
    finally:
        del ischema_names["li_path"]
        db.dispose()


def test_type_compiler_visit_method_gives_a_user_types_ddl(db: Any) -> None:
    from uow_orm import Column, Integer, MetaData, Table, inspect
    from uow_orm.dialects.postgresql.base import PGTypeCompiler
    from uow_orm.types import UserDefinedType

    class Label(UserDefinedType):
        __visit_name__ = "LI_LABEL"
        cache_ok = True

        def get_col_spec(self, **kw: Any) -> str:
            return "VARCHAR(10)"

    PGTypeCompiler.visit_LI_LABEL = lambda self, type_, **kw: "VARCHAR(12)"  # type: ignore[attr-defined]
    try:
        md = MetaData()
        Table("li_labels", md, Column("id", Integer, primary_key=True), Column("l", Label()))
        md.create_all(db)
        col = next(c for c in inspect(db).get_columns("li_labels") if c["name"] == "l")
        # PostgreSQL: the compiler's visit method; SQLite: get_col_spec()
        expected = 12 if db.dialect.name == "postgresql" else 10
        assert getattr(col["type"], "length", None) == expected
    finally:
        del PGTypeCompiler.visit_LI_LABEL  # type: ignore[attr-defined]


def test_a_ddl_element_subclass_runs_its_compiles_sql(db: Any) -> None:
    from uow_orm import inspect, text
    from uow_orm.ext.compiler import compiles
    from uow_orm.schema import DDLElement, _CreateDropBase

    class CreateView(DDLElement):
        def __init__(self, name: str, sql: str) -> None:
            self.name, self.sql = name, sql

    class DropThing(_CreateDropBase):
        pass

    @compiles(CreateView)
    def _create_view(element: Any, compiler: Any, **kw: Any) -> str:
        return f"CREATE VIEW {element.name} AS {element.sql}"

    @compiles(DropThing)
    def _drop(element: Any, compiler: Any, **kw: Any) -> str:
        return f"DROP VIEW {element.element}"

    Base.metadata.create_all(db)
    with db.begin() as conn:
        conn.execute(CreateView("li_titles", "SELECT title FROM li_book"))
        conn.execute(text("INSERT INTO li_shelf (id, name) VALUES (1, 's')"))
        conn.execute(text("INSERT INTO li_book (id, shelf_id, title) VALUES (1, 1, 'x')"))
        assert conn.execute(text("SELECT title FROM li_titles")).scalars().all() == ["x"]
        conn.execute(DropThing("li_titles"))
    assert "li_titles" not in inspect(db).get_view_names()

    class Unregistered(DDLElement):
        pass

    with pytest.raises(exc.CompileError, match="Unregistered"):
        with db.connect() as conn:
            conn.execute(Unregistered())


def test_mutable_associate_with_tracks_every_later_column_of_the_type(db: Any) -> None:
    from uow_orm import Column, Integer
    from uow_orm.ext.mutable import MutableDict
    from uow_orm.orm import properties
    from uow_orm.types import JSON

    class Tracked(MutableDict):  # (its own class, so the association stays this test's)
        pass

    class LocalJSON(JSON):
        cache_ok = True

    Tracked.associate_with(LocalJSON)
    try:

        class MBase(DeclarativeBase):
            pass

        class Doc(MBase):
            __tablename__ = "li_doc"
            id = Column(Integer, primary_key=True)
            data = Column(LocalJSON)

        MBase.metadata.create_all(db)
        with Session(db) as s:
            s.add(Doc(id=1, data={"a": 1}))
            s.commit()
        with Session(db) as s:
            doc = s.get(Doc, 1)
            assert isinstance(doc.data, Tracked)
            doc.data["b"] = 2  # an in-place change: the flush writes the column
            s.commit()
        with Session(db) as s:
            assert s.get(Doc, 1).data == {"a": 1, "b": 2}
        with pytest.raises(exc.ArgumentError, match="column type class"):
            Tracked.associate_with(LocalJSON())  # type: ignore[arg-type]
    finally:
        properties.MUTABLE_ASSOCIATIONS[:] = [
            a for a in properties.MUTABLE_ASSOCIATIONS if a[1] is not Tracked
        ]
