"""``uow_orm.testing.assert_statements`` and the opt-in N+1 warning
(``Session(warn_lazy_loads=True)``). Both backends."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest

from uow_orm import (
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Session,
    exc,
    mapped_column,
    relationship,
    select,
    selectinload,
    sessionmaker,
    text,
)
from uow_orm.testing import LazyLoadWarning, assert_statements


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "sg_shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    books: Mapped[list[Volume]] = relationship(back_populates="shelf")


class Volume(Base):
    __tablename__ = "sg_volume"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("sg_shelf.id"))
    shelf: Mapped[Shelf] = relationship(back_populates="books")


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Shelf(books=[Volume(), Volume()]) for _ in range(3)])
        s.commit()
    return engine


def test_assert_statements_passes_within_the_limit_and_logs_them(db):
    with Session(db) as s:
        with assert_statements(max=2) as log:
            shelves = s.scalars(select(Shelf).options(selectinload(Shelf.books))).all()
            assert sum(len(sh.books) for sh in shelves) == 6
    assert len(log) == 2
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in log.statements)


def test_assert_statements_fails_on_n_plus_one_listing_the_statements(db):
    with Session(db) as s:
        with pytest.raises(AssertionError, match=r"at most 2 statements, 4 were sent") as info:
            with assert_statements(max=2):
                for shelf in s.scalars(select(Shelf)).all():
                    shelf.books
    assert "sg_volume" in str(info.value)


def test_assert_statements_count_match_and_bind(db):
    with Session(db) as s:
        with assert_statements(count=1, match=r"^\s*INSERT", bind=db):
            s.add(Shelf())
            s.flush()
            s.scalars(select(Shelf)).all()
        s.rollback()
    with pytest.raises(AssertionError, match="expected 0 statements"):
        with db.connect() as conn, assert_statements(count=0):
            conn.execute(text("SELECT 1"))


def test_assert_statements_counts_transaction_control_only_when_asked(db):
    with db.connect() as conn:
        with assert_statements(count=1):
            conn.execute(text("SELECT 1"))
            conn.commit()
        with assert_statements(count=3, include_transaction_control=True):
            conn.execute(text("SELECT 1"))
            conn.commit()


def test_assert_statements_refuses_bad_arguments():
    with pytest.raises(exc.ArgumentError):
        with assert_statements(max=1, count=1):
            pass
    with pytest.raises(exc.ArgumentError):
        with assert_statements(max=-1):
            pass


def test_warn_lazy_loads_names_attribute_call_site_and_option(db):
    factory = sessionmaker(db, warn_lazy_loads=True)
    with factory() as s:
        shelves = s.scalars(select(Shelf)).all()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
            shelves[0].books
        [w] = [w for w in caught if issubclass(w.category, LazyLoadWarning)]
        text_ = str(w.message)
        assert "Shelf.books" in text_
        assert "selectinload(Shelf.books)" in text_
        assert w.filename == __file__ and w.lineno == line
        assert f"{__file__}:{line}" in text_
        vol = s.scalars(select(Volume)).first()
        s.expunge(shelves[0])
        with pytest.warns(LazyLoadWarning, match=r"joinedload\(Volume.shelf\)"):
            s.expire(vol, ["shelf"])
            vol.shelf


def test_no_warning_without_the_option_or_with_a_loader_option(db):
    with Session(db) as s, warnings.catch_warnings():
        warnings.simplefilter("error", LazyLoadWarning)
        for shelf in s.scalars(select(Shelf)).all():
            shelf.books
    with Session(db, warn_lazy_loads=True) as s, warnings.catch_warnings():
        warnings.simplefilter("error", LazyLoadWarning)
        for shelf in s.scalars(select(Shelf).options(selectinload(Shelf.books))).all():
            shelf.books
