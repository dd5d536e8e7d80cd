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
