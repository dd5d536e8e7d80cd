"""Loader strategies and options beyond the basics: ``lazy="immediate"`` / ``immediateload``,
``raise`` vs ``raise_on_sql``, ``innerjoin``, ``defaultload``, ``"*"`` wildcards,
``Parent.children.and_(...)`` in options, multi-column ``order_by`` and
``passive_deletes="all"``.

Statement counts and rows read back, on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    ForeignKey,
    Session,
    String,
    defaultload,
    exc,
    immediateload,
    joinedload,
    lazyload,
    noload,
    raiseload,
    select,
    selectinload,
    text,
)
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "lo_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    books: Mapped[list[Book]] = relationship(
        back_populates="author", order_by="[Book.year.desc(), Book.title]"
    )
    eager_books: Mapped[list[Book]] = relationship(
        lazy="immediate", order_by="Book.id", viewonly=True
    )


class Book(Base):
    __tablename__ = "lo_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("lo_author.id"))
    title: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    author: Mapped[Author | None] = relationship(back_populates="books")
    chapters: Mapped[list[Chapter]] = relationship(order_by="Chapter.id")


class Chapter(Base):
    __tablename__ = "lo_chapter"
    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("lo_book.id"))


class Shelf(Base):
    __tablename__ = "lo_shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list[Item]] = relationship(
        primaryjoin="Shelf.id == foreign(Item.shelf_id)", passive_deletes="all"
    )


class Item(Base):
    __tablename__ = "lo_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int | None] = mapped_column()  # no constraint: the row stays as it is


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        a1 = Author(id=1, name="ann")
        a2 = Author(id=2, name="bob")
        s.add_all([a1, a2, Author(id=3, name="cy")])
        s.add_all(
            [
                Book(id=1, author=a1, title="b", year=2000, chapters=[Chapter(id=1)]),
                Book(id=2, author=a1, title="a", year=2000, chapters=[Chapter(id=2)]),
                Book(id=3, author=a1, title="z", year=2010),
                Book(id=4, author=a2, title="y", year=1990),
            ]
        )
        s.commit()
    return engine


def _selects(log: Any) -> int:
    return log.count("SELECT")


def test_multi_column_order_by_orders_collections(db: Any) -> None:
    with Session(db) as s:
        for loader in (None, selectinload, joinedload):
            s.expunge_all()
            stmt = select(Author).where(Author.id == 1)
            if loader is not None:
                stmt = stmt.options(loader(Author.books))
            ann = s.scalars(stmt).unique().one()
            assert [b.title for b in ann.books] == ["z", "a", "b"]


def test_immediate_relationship_and_immediateload_load_with_the_parents(
    db: Any, sql_log: Any
) -> None:
    with Session(db) as s:
        log = sql_log(db)
        authors = s.scalars(select(Author).order_by(Author.id)).all()
        assert _selects(log) == 1 + 3  # lazy="immediate": one SELECT per author, at once
        log.clear()
        assert [[b.id for b in a.eager_books] for a in authors] == [[1, 2, 3], [4], []]
        assert _selects(log) == 0
        s.expunge_all()
        log.clear()
        books = s.scalars(
            select(Book).order_by(Book.id).options(immediateload(Book.chapters))
        ).all()
        assert [[c.id for c in b.chapters] for b in books] == [[1], [2], [], []]
        assert _selects(log) == 1 + 4  # one SELECT of chapters per book


def test_raise_refuses_even_an_identity_map_hit_and_raise_on_sql_does_not(db: Any) -> None:
    lazy_authors = select(Author).options(lazyload(Author.eager_books))
    with Session(db) as s:
        ann = s.scalars(lazy_authors.where(Author.id == 1)).one()  # in the identity map now
        book = s.scalars(select(Book).where(Book.id == 1).options(raiseload(Book.author))).one()
        with pytest.raises(exc.InvalidRequestError, match="lazy='raise'"):
            book.author
        s.expunge_all()
        ann = s.scalars(lazy_authors.where(Author.id == 1)).one()
        book = s.scalars(
            select(Book).where(Book.id == 1).options(raiseload("*", sql_only=True))
        ).one()
        assert book.author is ann  # found in the identity map: no SQL needed
        with pytest.raises(exc.InvalidRequestError, match="raise_on_sql"):
            book.chapters  # a collection always needs SQL


def test_raiseload_wildcard_covers_every_relationship_not_named(db: Any) -> None:
    with Session(db) as s:
        book = s.scalars(
            select(Book).where(Book.id == 1).options(selectinload(Book.chapters), raiseload("*"))
        ).one()
        assert [c.id for c in book.chapters] == [1]
        with pytest.raises(exc.InvalidRequestError, match="raise"):
            book.author
        s.expunge_all()
        authors = s.scalars(select(Author).options(noload("*"))).all()
        assert all(a.books == [] for a in authors)  # noload: empty, no SQL


def test_lazyload_wildcard_overrides_relationship_strategies(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        log = sql_log(db)
        s.scalars(select(Author).options(lazyload("*"))).all()
        assert _selects(log) == 1  # eager_books (lazy="immediate") not loaded


def test_defaultload_keeps_the_strategy_and_reaches_deeper(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        log = sql_log(db)
        authors = s.scalars(
            select(Author)
            .order_by(Author.id)
            .options(
                lazyload(Author.eager_books),
                defaultload(Author.books).selectinload(Book.chapters),
            )
        ).all()
        assert _selects(log) == 1  # books stay lazy
        books = authors[0].books
        assert _selects(log) == 3  # the lazy load of books brought its chapters with it
        assert [[c.id for c in b.chapters] for b in books] == [[], [2], [1]]
        assert _selects(log) == 3


@pytest.mark.parametrize("loader", [selectinload, joinedload, immediateload])
def test_relationship_and_criteria_in_loader_options(db: Any, loader: Any) -> None:
    with Session(db) as s:
        authors = (
            s.scalars(
                select(Author)
                .order_by(Author.id)
                .options(loader(Author.books.and_(Book.year >= 2000)), lazyload(Author.eager_books))
            )
            .unique()
            .all()
        )
        assert [[b.title for b in a.books] for a in authors] == [["z", "a", "b"], [], []]
        s.expunge_all()
        books = (
            s.scalars(
                select(Book)
                .order_by(Book.id)
                .options(loader(Book.author.and_(Author.name == "bob")))
            )
            .unique()
            .all()
        )
        assert [b.author.name if b.author else None for b in books] == [None, None, None, "bob"]


def test_relationship_criteria_with_noload_raise(db: Any) -> None:
    with pytest.raises(exc.ArgumentError, match="and_"):
        with Session(db) as s:
            s.scalars(select(Author).options(noload(Author.books.and_(Book.year > 1)))).all()


def test_joinedload_innerjoin_drops_parents_without_rows(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        log = sql_log(db)
        books = (
            s.scalars(
                select(Book).order_by(Book.id).options(joinedload(Book.chapters, innerjoin=True))
            )
            .unique()
            .all()
        )
        assert [b.id for b in books] == [1, 2]
        sql = next(q for q in log.sql if q.startswith("SELECT"))
        assert " JOIN lo_chapter" in sql and "OUTER" not in sql
        s.expunge_all()
        log.clear()
        books = (
            s.scalars(
                select(Book)
                .order_by(Book.id)
                .options(joinedload(Book.author).joinedload(Author.books, innerjoin=True))
            )
            .unique()
            .all()
        )
        assert len(books) == 4  # an inner join under an outer one stays outer
        assert "OUTER" in next(q for q in log.sql if q.startswith("SELECT"))


def test_relationship_innerjoin_argument(engine: Any) -> None:
    class B2(DeclarativeBase):
        pass

    class P(B2):
        __tablename__ = "lo_p"
        id: Mapped[int] = mapped_column(primary_key=True)
        c_id: Mapped[int] = mapped_column(ForeignKey("lo_c.id"))
        c: Mapped[C] = relationship(lazy="joined", innerjoin=True)

    class C(B2):
        __tablename__ = "lo_c"
        id: Mapped[int] = mapped_column(primary_key=True)

    B2.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(P(id=1, c=C(id=1)))
        s.commit()
        s.expunge_all()
        (p,) = s.scalars(select(P)).all()
        assert p.c.id == 1
        assert "JOIN lo_c" in str(select(P).join(P.c))


def test_passive_deletes_all_leaves_children_untouched(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        shelf = Shelf(id=1)
        s.add_all([shelf, Item(id=1, shelf_id=1)])
        s.commit()
        shelf.items  # loaded, still not nulled
        log = sql_log(db)
        s.delete(shelf)
        s.commit()
        assert not any(q.lstrip().upper().startswith("UPDATE") for q in log.sql)
        assert s.scalars(select(Item.shelf_id)).all() == [1]


def test_passive_deletes_takes_only_true_false_or_all() -> None:
    with pytest.raises(exc.ArgumentError, match="passive_deletes"):
        relationship("X", passive_deletes="some")


def test_yield_per_streams_batches_with_their_eager_loads(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        s.add_all(Author(id=i, name=f"a{i}") for i in range(10, 30))
        s.commit()
    with Session(db) as s:
        log = sql_log(db)
        stmt = (
            select(Author)
            .order_by(Author.id)
            .options(lazyload(Author.eager_books), selectinload(Author.books))
            .execution_options(yield_per=10)
        )
        result = s.scalars(stmt)
        first = [next(result) for _ in range(10)]
        # only the first batch and its books have been read so far
        assert log.count("SELECT") == 2
        assert [a.id for a in first][:3] == [1, 2, 3]
        assert [b.title for b in first[0].books] == ["z", "a", "b"]
        if db.dialect.name == "postgresql":  # a server-side cursor is open meanwhile
            names = s.execute(text("SELECT name FROM pg_cursors")).scalars().all()
            assert any(n.startswith("uow_stream") for n in names)
        rest = list(result)
        assert len(first) + len(rest) == 23
        assert log.count("SELECT") == 4 + (db.dialect.name == "postgresql")  # 1 + 3 batches
        parts = list(
            s.execute(
                select(Author.id).order_by(Author.id).execution_options(yield_per=7)
            ).partitions()
        )
        assert [len(p) for p in parts] == [7, 7, 7, 2]


def test_yield_per_refuses_joined_eager_loads(db: Any) -> None:
    with Session(db) as s:
        stmt = select(Book).options(joinedload(Book.chapters)).execution_options(yield_per=5)
        with pytest.raises(exc.InvalidRequestError, match="yield_per"):
            s.scalars(stmt).unique().all()
