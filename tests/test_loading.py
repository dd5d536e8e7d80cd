"""Relationship loading strategies and per-query loader options, pinned by statement
counts.

Data is written and committed by one session; every measurement then runs in a fresh
session, so the identity map starts empty and each count is what a real application pays.
Statements are counted with the ``sql_log`` fixture.
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    declarative_base,
    exc,
    joinedload,
    lazyload,
    raiseload,
    relationship,
    select,
    selectinload,
)

Base = declarative_base()


# -- lazy="select" (the default), three levels for chained options ------------------------
class Author(Base):
    __tablename__ = "ld_authors"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    books = relationship("Book", back_populates="author", order_by="Book.title")


class Book(Base):
    __tablename__ = "ld_books"

    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    author_id = Column(Integer, ForeignKey("ld_authors.id"), nullable=False)
    author = relationship("Author", back_populates="books")
    chapters = relationship("Chapter", back_populates="book", order_by="Chapter.title")


class Chapter(Base):
    __tablename__ = "ld_chapters"

    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    book_id = Column(Integer, ForeignKey("ld_books.id"), nullable=False)
    book = relationship("Book", back_populates="chapters")


# -- one parent/child pair per relationship-level strategy --------------------------------
class SelectinParent(Base):
    __tablename__ = "ld_selectin_parents"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    children = relationship("SelectinChild", lazy="selectin", order_by="SelectinChild.name")


class SelectinChild(Base):
    __tablename__ = "ld_selectin_children"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("ld_selectin_parents.id"), nullable=False)


class JoinedParent(Base):
    __tablename__ = "ld_joined_parents"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    children = relationship("JoinedChild", lazy="joined", order_by="JoinedChild.name")


class JoinedChild(Base):
    __tablename__ = "ld_joined_children"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("ld_joined_parents.id"), nullable=False)


class RaiseParent(Base):
    __tablename__ = "ld_raise_parents"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    children = relationship("RaiseChild", lazy="raise", order_by="RaiseChild.name")


class RaiseChild(Base):
    __tablename__ = "ld_raise_children"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("ld_raise_parents.id"), nullable=False)


class NoloadParent(Base):
    __tablename__ = "ld_noload_parents"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    children = relationship("NoloadChild", lazy="noload")


class NoloadChild(Base):
    __tablename__ = "ld_noload_children"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("ld_noload_parents.id"), nullable=False)


# -- fixtures and helpers -----------------------------------------------------------------
def seed(engine, parent_cls, child_cls, parents, children_each, prefix="p"):
    """Commit ``parents`` parents named <prefix>0000.. with ``children_each`` children each
    (named <parent>-c<j>); return {parent name: [child names]}."""
    expected = {}
    with Session(engine) as s:
        for i in range(parents):
            name = f"{prefix}{i:04d}"
            kids = [f"{name}-c{j}" for j in range(children_each)]
            expected[name] = kids
            s.add(parent_cls(name=name, children=[child_cls(name=k) for k in kids]))
        s.commit()
    return expected


@pytest.fixture
def library(db):
    """5 authors x 3 books x 2 chapters, committed; returns {author: {book: [chapters]}}."""
    expected = {}
    with Session(db) as s:
        for i in range(5):
            author = Author(name=f"a{i}")
            expected[author.name] = {}
            for j in range(3):
                book = Book(title=f"a{i}-b{j}")
                book.chapters = [Chapter(title=f"{book.title}-ch{k}") for k in range(2)]
                author.books.append(book)
                expected[author.name][book.title] = [c.title for c in book.chapters]
            s.add(author)
        s.commit()
    return expected


def statements_on(log, table):
    """Statements of the log that read ``table``."""
    return [sql for sql in log.sql if table in sql]


def selects(log):
    return [sql for sql in log.sql if sql.lstrip().upper().startswith("SELECT")]


def shape(authors):
    return {a.name: {b.title: [c.title for c in b.chapters] for b in a.books} for a in authors}


# -- lazy="select" ------------------------------------------------------------------------
def test_lazy_select_emits_one_select_per_collection_access(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        authors = s.scalars(select(Author).order_by(Author.id)).all()
        assert log.count("SELECT") == 1
        for n, author in enumerate(authors, start=1):
            assert [b.title for b in author.books] == list(library[author.name])
            assert log.count("SELECT") == 1 + n
        for author in authors:  # loaded collections cost nothing more
            assert len(author.books) == 3
        assert log.count("SELECT") == 1 + len(authors)


def test_lazy_many_to_one_whose_target_is_in_identity_map_costs_no_sql(db, library, sql_log):
    with Session(db) as s:
        authors = {a.id: a for a in s.scalars(select(Author)).all()}
        books = s.scalars(select(Book)).all()
        log = sql_log(db)
        for book in books:
            assert book.author is authors[book.author_id]
        assert log.sql == []


def test_lazy_many_to_one_loads_each_distinct_target_once(db, library, sql_log):
    with Session(db) as s:
        books = s.scalars(select(Book).order_by(Book.id)).all()
        log = sql_log(db)
        for book in books:
            assert book.title.startswith(book.author.name + "-")
        assert log.count("SELECT") == len(library)  # 5 authors, 15 books


# -- lazy="selectin" ----------------------------------------------------------------------
def test_selectin_loads_parents_and_children_in_two_statements(db, sql_log):
    expected = seed(db, SelectinParent, SelectinChild, parents=20, children_each=3)
    with Session(db) as s:
        log = sql_log(db)
        parents = s.scalars(select(SelectinParent).order_by(SelectinParent.id)).all()
        assert log.count("SELECT") == 2
        assert len(statements_on(log, "ld_selectin_children")) == 1
        assert {p.name: [c.name for c in p.children] for p in parents} == expected
        assert log.count("SELECT") == 2


def test_selectin_batches_in_lists_of_at_most_500_keys(db, sql_log):
    expected = seed(db, SelectinParent, SelectinChild, parents=1200, children_each=1)
    with Session(db) as s:
        log = sql_log(db)
        parents = s.scalars(select(SelectinParent)).all()
        assert len(parents) == 1200
        assert log.count("SELECT") == 4
        assert len(statements_on(log, "ld_selectin_children")) == 3  # 500 + 500 + 200 keys
        assert {p.name: [c.name for c in p.children] for p in parents} == expected
        assert log.count("SELECT") == 4


def test_selectin_parent_without_children_gets_empty_collection(db, sql_log):
    seed(db, SelectinParent, SelectinChild, parents=2, children_each=0)
    with Session(db) as s:
        log = sql_log(db)
        parents = s.scalars(select(SelectinParent)).all()
        assert [p.children for p in parents] == [[], []]
        assert log.count("SELECT") <= 2


# -- lazy="joined" ------------------------------------------------------------------------
def test_joined_loads_parents_and_children_in_one_statement(db, sql_log):
    expected = seed(db, JoinedParent, JoinedChild, parents=10, children_each=3)
    childless = seed(db, JoinedParent, JoinedChild, parents=1, children_each=0, prefix="e")
    with Session(db) as s:
        log = sql_log(db)
        parents = s.execute(select(JoinedParent)).unique().scalars().all()
        assert log.count("SELECT") == 1
        assert "LEFT OUTER JOIN" in selects(log)[0].upper()
        assert len(parents) == 11  # one object per parent, the childless one included
        loaded = {}
        for p in parents:
            loaded.setdefault(p.name, []).append([c.name for c in p.children])
        assert loaded == {
            name: [kids] for name, kids in list(expected.items()) + list(childless.items())
        }
        assert log.count("SELECT") == 1


def test_joined_collection_results_require_unique(db):
    seed(db, JoinedParent, JoinedChild, parents=2, children_each=2)
    with Session(db) as s:
        with pytest.raises(exc.InvalidRequestError) as info:
            s.execute(select(JoinedParent)).scalars().all()
        assert "unique" in str(info.value).lower()
        assert len(s.scalars(select(JoinedParent)).unique().all()) == 2


def test_limit_counts_parents_when_a_collection_is_joined_eagerly(db):
    # LIMIT applies to parents, not to the joined parent-child rows: every selected
    # parent still gets its whole collection.
    expected = seed(db, JoinedParent, JoinedChild, parents=4, children_each=3)
    with Session(db) as s:
        parents = (
            s.scalars(select(JoinedParent).order_by(JoinedParent.name).limit(2).offset(1))
            .unique()
            .all()
        )
        assert [p.name for p in parents] == ["p0001", "p0002"]
        for p in parents:
            assert [c.name for c in p.children] == expected[p.name]


# -- lazy="raise" -------------------------------------------------------------------------
def test_raise_access_raises_invalid_request_error_naming_the_option(db, sql_log):
    seed(db, RaiseParent, RaiseChild, parents=1, children_each=2)
    with Session(db) as s:
        parent = s.scalars(select(RaiseParent)).one()
        log = sql_log(db)
        with pytest.raises(exc.InvalidRequestError) as info:
            parent.children
        message = str(info.value)
        assert "children" in message
        assert "raise" in message.lower()
        assert log.sql == []


def test_raise_relationship_can_be_loaded_with_a_query_option(db, sql_log):
    expected = seed(db, RaiseParent, RaiseChild, parents=3, children_each=2)
    with Session(db) as s:
        log = sql_log(db)
        parents = s.scalars(select(RaiseParent).options(selectinload(RaiseParent.children))).all()
        assert {p.name: [c.name for c in p.children] for p in parents} == expected
        assert log.count("SELECT") == 2


# -- lazy="noload" ------------------------------------------------------------------------
def test_noload_collection_is_empty_without_sql(db, sql_log):
    seed(db, NoloadParent, NoloadChild, parents=1, children_each=2)
    with Session(db) as s:
        parent = s.scalars(select(NoloadParent)).one()
        log = sql_log(db)
        assert parent.children == []
        assert log.sql == []
        assert len(s.scalars(select(NoloadChild)).all()) == 2  # the rows do exist


# -- per-query options --------------------------------------------------------------------
def test_selectinload_option_loads_collection_in_one_extra_statement(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        authors = s.scalars(select(Author).options(selectinload(Author.books))).all()
        assert log.count("SELECT") == 2
        assert {a.name: list(b.title for b in a.books) for a in authors} == {
            name: list(books) for name, books in library.items()
        }
        assert log.count("SELECT") == 2


def test_joinedload_option_loads_collection_in_one_statement(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        authors = (
            s.execute(select(Author).options(joinedload(Author.books)).order_by(Author.id))
            .unique()
            .scalars()
            .all()
        )
        assert log.count("SELECT") == 1
        assert "JOIN" in selects(log)[0].upper()
        assert [a.name for a in authors] == sorted(library)
        assert {a.name: [b.title for b in a.books] for a in authors} == {
            name: list(books) for name, books in library.items()
        }
        assert log.count("SELECT") == 1


def test_joinedload_option_many_to_one(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        books = s.scalars(select(Book).options(joinedload(Book.author))).all()
        assert len(books) == 15
        assert all(b.title.startswith(b.author.name + "-") for b in books)
        assert log.count("SELECT") == 1


def test_lazyload_option_overrides_selectin_relationship(db, sql_log):
    expected = seed(db, SelectinParent, SelectinChild, parents=4, children_each=2)
    with Session(db) as s:
        log = sql_log(db)
        parents = s.scalars(select(SelectinParent).options(lazyload(SelectinParent.children))).all()
        assert log.count("SELECT") == 1
        for n, parent in enumerate(parents, start=1):
            assert [c.name for c in parent.children] == expected[parent.name]
            assert log.count("SELECT") == 1 + n


def test_raiseload_option_makes_access_raise(db, library, sql_log):
    with Session(db) as s:
        authors = s.scalars(select(Author).options(raiseload(Author.books))).all()
        log = sql_log(db)
        with pytest.raises(exc.InvalidRequestError) as info:
            authors[0].books
        assert "books" in str(info.value)
        assert "raise" in str(info.value).lower()
        assert log.sql == []


def test_raiseload_option_applies_only_to_that_query(db, library):
    with Session(db) as s:
        s.scalars(select(Author).options(raiseload(Author.books))).all()
    with Session(db) as s:
        author = s.scalars(select(Author).order_by(Author.id)).first()
        assert len(author.books) == 3


def test_chained_selectinload_loads_three_levels_in_three_statements(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        authors = s.scalars(
            select(Author)
            .order_by(Author.name)
            .options(selectinload(Author.books).selectinload(Book.chapters))
        ).all()
        assert log.count("SELECT") == 3
        assert shape(authors) == library
        assert log.count("SELECT") == 3


def test_chained_joinedload_loads_three_levels_in_one_statement(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        authors = (
            s.execute(
                select(Author)
                .order_by(Author.name)
                .options(joinedload(Author.books).joinedload(Book.chapters))
            )
            .unique()
            .scalars()
            .all()
        )
        assert log.count("SELECT") == 1
        assert shape(authors) == library
        assert log.count("SELECT") == 1


def test_selectinload_then_joinedload_uses_two_statements(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        authors = s.scalars(
            select(Author).options(selectinload(Author.books).joinedload(Book.chapters))
        ).all()
        assert log.count("SELECT") == 2
        assert shape(authors) == library
        assert log.count("SELECT") == 2


def test_selectinload_option_with_where_clause_loads_only_matching_parents(db, library, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        author = s.scalars(
            select(Author).where(Author.name == "a3").options(selectinload(Author.books))
        ).one()
        assert [b.title for b in author.books] == list(library["a3"])
        assert log.count("SELECT") == 2
