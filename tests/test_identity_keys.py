"""The identity map holds loaded rows by their bare primary key (issue 21).

A row the loader builds is held by its primary-key value alone, and its identity key
``(class, (pk,), token)`` is made the first time something reads it. These tests check
that every way of asking for identity sees the same keys and objects as before: the
state's key, ``inspect()``, the map's ``Mapping`` view, ``get()``, primary-key changes,
rollback, expunge, garbage collection and ``make_transient()``; with one-column and
composite keys, on both backends.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from uow_orm import ForeignKey, Integer, String, exc, inspect, select
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient,
    mapped_column,
    relationship,
)
from uow_orm.orm.util import identity_key


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "ik_shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
    books: Mapped[list[Book]] = relationship(back_populates="shelf", cascade="all, delete-orphan")


class Book(Base):
    __tablename__ = "ik_book"
    shelf_id: Mapped[int] = mapped_column(ForeignKey("ik_shelf.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(20))
    shelf: Mapped[Shelf] = relationship(back_populates="books")


@pytest.fixture
def filled(db: Any) -> Any:
    with Session(db) as s:
        s.add_all(
            [
                Shelf(id=i, label=f"s{i}", books=[Book(slot=j, title=f"b{i}{j}") for j in range(2)])
                for i in (1, 2, 3)
            ]
        )
        s.commit()
    return db


def test_loaded_rows_have_their_keys(filled: Any) -> None:
    with Session(filled) as s:
        shelves = s.scalars(select(Shelf).order_by(Shelf.id)).all()
        books = s.scalars(select(Book).order_by(Book.shelf_id, Book.slot)).all()
        # the map's view first, before any state was asked for its key
        assert sorted(k[1] for k in s.identity_map.keys() if k[0] is Shelf) == [(1,), (2,), (3,)]
        assert (Book, (2, 1), None) in s.identity_map
        assert s.identity_map[(Book, (2, 1), None)] is books[3]
        assert len(s.identity_map) == 9
        for obj in [*shelves, *books]:
            assert s.identity_map[identity_key(instance=obj)] is obj
        assert [s.get(Shelf, i) for i in (1, 2, 3)] == shelves
        assert s.get(Book, (3, 0)) is books[4]
        assert inspect(shelves[0]).key == (Shelf, (1,), None)
        assert inspect(shelves[0]).identity == (1,)
        assert inspect(books[1]).identity_key == (Book, (1, 1), None)
        assert inspect(books[1]).identity_token is None
        assert inspect(shelves[2]).persistent and inspect(shelves[2]).has_identity
        # a query for rows already held gives the same objects
        again = s.scalars(select(Shelf).where(Shelf.id >= 2).order_by(Shelf.id)).all()
        assert again == shelves[1:]


def test_keys_of_the_wrong_length_are_nobodys(filled: Any) -> None:
    with Session(filled) as s:
        s.scalars(select(Shelf)).all()
        s.scalars(select(Book)).all()
        assert s.identity_map.get((Shelf, (1, 0), None)) is None
        assert s.identity_map.get((Book, (1,), None)) is None
        assert (Shelf, (1,), "other-shard") not in s.identity_map


def test_a_primary_key_change_moves_a_loaded_row(filled: Any) -> None:
    with Session(filled) as s:
        book = s.scalars(select(Book).where(Book.shelf_id == 1, Book.slot == 1)).one()
        book.slot = 7
        s.flush()
        assert s.get(Book, (1, 7)) is book
        assert (Book, (1, 1), None) not in s.identity_map
        s.rollback()
        assert s.get(Book, (1, 1)) is book and book.slot == 1
        assert (Book, (1, 7), None) not in s.identity_map


def test_expunge_delete_and_garbage_collection_forget_loaded_rows(filled: Any) -> None:
    with Session(filled) as s:
        shelves = s.scalars(select(Shelf).order_by(Shelf.id)).all()
        s.expunge(shelves[0])
        assert (Shelf, (1,), None) not in s.identity_map
        assert inspect(shelves[0]).detached and inspect(shelves[0]).key == (Shelf, (1,), None)
        s.delete(shelves[1])
        s.flush()
        assert (Shelf, (2,), None) not in s.identity_map
        del shelves
        gc.collect()
        assert [k for k in s.identity_map.keys() if k[0] is Shelf] == []
        assert s.get(Shelf, 3).label == "s3"  # loaded again: a new object


def test_make_transient_of_a_loaded_row(filled: Any) -> None:
    with Session(filled) as s:
        shelf = s.scalars(select(Shelf).where(Shelf.id == 3)).one()
        make_transient(shelf)
        assert inspect(shelf).transient and inspect(shelf).key is None
        assert (Shelf, (3,), None) not in s.identity_map
        shelf.id = 9
        s.add(shelf)
        s.commit()
        assert sorted(s.scalars(select(Shelf.id))) == [1, 2, 3, 9]


def test_a_second_object_for_a_held_key_is_refused(filled: Any) -> None:
    with Session(filled) as s:
        s.scalars(select(Shelf)).all()
        s.add(Shelf(id=2, label="dup"))
        with pytest.raises(exc.IntegrityError):  # (as SQLAlchemy: the database refuses it)
            s.flush()
