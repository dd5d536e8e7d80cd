"""The read path's short cuts (issue 21) build and run exactly what the general path does.

``User.id == 5`` with a plain value skips the operator dispatch; each test here compares
what the short cut gives with what the general path gives for the same input, and reads
the rows back from the database, on both backends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from uow_orm import (
    DateTime,
    ForeignKey,
    Mapped,
    Session,
    String,
    TypeDecorator,
    bindparam,
    declarative_base,
    mapped_column,
    relationship,
    select,
    selectinload,
)
from uow_orm.sql.elements import BinaryExpression, BindParameter

Base = declarative_base()


class Lowered(TypeDecorator[str]):
    """Stores text lower-cased: comparisons bind through it too."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else value.lower()


class CaseInsensitive(String):
    """A type whose comparator redefines ``<`` (as PostgreSQL's ``~<~``)."""

    class comparator_factory(String.Comparator):
        def __lt__(self, other: Any) -> Any:
            return self.expr.op("~<~")(other)


class Reading(Base):
    __tablename__ = "reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    tag: Mapped[str] = mapped_column(Lowered(40))
    code: Mapped[str] = mapped_column(CaseInsensitive(40))
    level: Mapped[float] = mapped_column()
    taken: Mapped[dt.datetime] = mapped_column(DateTime())
    parent_id = mapped_column(ForeignKey("reading.id"), nullable=True)


def _general(attr: Any, op: str, value: Any) -> Any:
    """The expression the general operator path builds."""
    return attr.operate(op, value)


def _same_expression(fast: Any, general: Any) -> None:
    assert type(fast) is type(general)
    if isinstance(general, BinaryExpression):
        assert fast.left is general.left
        assert fast.operator == general.operator
        assert fast.type.__class__ is general.type.__class__
        assert fast._orm_entities == general._orm_entities
        assert isinstance(fast.right, BindParameter) and isinstance(general.right, BindParameter)
        assert fast.right.value == general.right.value
        assert fast.right.type is general.right.type
        assert fast.right.describes == general.right.describes
    assert str(fast) == str(general)


OPS = {
    "=": lambda a, v: a == v,
    "!=": lambda a, v: a != v,
    "<": lambda a, v: a < v,
    "<=": lambda a, v: a <= v,
    ">": lambda a, v: a > v,
    ">=": lambda a, v: a >= v,
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize(
    ("key", "value"),
    [("id", 3), ("label", "b"), ("tag", "B"), ("level", 1.5), ("code", "X"), ("level", 2)],
)
def test_comparison_with_a_plain_value_builds_the_general_expression(
    op: str, key: str, value: Any
) -> None:
    attr = getattr(Reading, key)
    _same_expression(OPS[op](attr, value), _general(attr, op, value))


def test_a_type_comparator_that_redefines_an_operator_still_runs() -> None:
    assert str(Reading.code < "X") == "reading.code ~<~ :code_1"
    assert str(Reading.code == "X") == "reading.code = :code_1"  # (not redefined)


def test_value_dependent_bind_types_are_asked_per_value() -> None:
    # DateTime picks the bound type from the value (an interval against a date, say):
    # a str compared with it is asked of the type each time, as the general path does
    for value in ("2024-01-01 00:00:00", 5):
        _same_expression(Reading.taken == value, _general(Reading.taken, "=", value))


def test_a_replaced_column_type_is_seen_by_the_next_comparison() -> None:
    column = Reading.parent_id.column
    first = Reading.parent_id == 1
    old = column.type
    try:
        column.type = String(10)
        second = Reading.parent_id == 1
        assert second.right.type is column.type
        assert first.right.type is old
    finally:
        column.type = old


def test_bool_and_none_take_the_general_path() -> None:
    assert str(Reading.id == None) == "reading.id IS NULL"  # noqa: E711
    expr, general = Reading.id == True, _general(Reading.id, "=", True)  # noqa: E712
    assert type(expr.right) is type(general.right)  # (True_, not a bound value)
    assert str(expr) == str(general)


@pytest.fixture
def filled(session: Session) -> Session:
    when = dt.datetime(2024, 5, 1, 12, 0)
    session.add_all(
        [
            Reading(id=i, label=c, tag=c.upper(), code=c, level=i / 2, taken=when)
            for i, c in enumerate("abcde", start=1)
        ]
    )
    session.commit()
    session.expunge_all()
    return session


@pytest.mark.parametrize("op", sorted(OPS))
def test_plain_comparisons_select_the_rows_the_general_path_selects(
    filled: Session, op: str
) -> None:
    for attr, value in ((Reading.id, 3), (Reading.label, "c"), (Reading.tag, "C"),
                        (Reading.level, 1.5)):  # fmt: skip
        fast = filled.scalars(select(Reading.id).where(OPS[op](attr, value))).all()
        general = filled.scalars(select(Reading.id).where(_general(attr, op, value))).all()
        assert sorted(fast) == sorted(general)
        assert fast  # (each operator matches some of the five rows)
    assert filled.scalars(select(Reading.id).where(Reading.tag == "C")).all() == [3]


def test_type_decorator_binds_through_process_bind_param(filled: Session) -> None:
    # the tag is stored lower-cased; "C" matches only because the comparison binds
    # through Lowered.process_bind_param
    assert filled.scalars(select(Reading.label).where(Reading.tag == "C")).one() == "c"


# -- eager loads' batches of keys (``_key_values`` stops at a null key) --------------------
class Shelf(Base):
    __tablename__ = "shelf"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    tagged: Mapped[str] = mapped_column(String(20), unique=True)
    books: Mapped[list[Book]] = relationship(back_populates="shelf", order_by="Book.id")
    by_code: Mapped[list[Book]] = relationship(
        primaryjoin="Shelf.code == foreign(Book.shelf_code)", viewonly=True, order_by="Book.id"
    )
    by_tag: Mapped[list[Book]] = relationship(
        primaryjoin="Shelf.tagged == foreign(Book.shelf_tag)", viewonly=True, order_by="Book.id"
    )


class Book(Base):
    __tablename__ = "book"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int | None] = mapped_column(ForeignKey("shelf.id"))
    shelf_code: Mapped[str | None] = mapped_column(String(20))
    shelf_tag: Mapped[str | None] = mapped_column(Lowered(20))
    shelf: Mapped[Shelf | None] = relationship(back_populates="books")


SHELVES = 1203  # three batches of keys (500 a batch)


@pytest.fixture
def library(session: Session) -> Session:
    for i in range(1, SHELVES + 1):
        shelf = Shelf(id=i, code=f"s{i}", tagged=f"t{i}")
        session.add(shelf)
        for j in range(i % 3):  # 0, 1 or 2 books a shelf
            session.add(Book(id=i * 10 + j, shelf=shelf, shelf_code=f"s{i}", shelf_tag=f"t{i}"))
    session.add(Book(id=7, shelf_id=None))  # a book on no shelf
    session.commit()
    session.expunge_all()
    return session


def _expected_books(i: int) -> list[int]:
    return [i * 10 + j for j in range(i % 3)]


@pytest.mark.parametrize("attr", ["books", "by_code", "by_tag"])
def test_selectin_batches_load_every_collection(library: Session, sql_log: Any, attr: str) -> None:
    log = sql_log(library.get_bind())
    rel = getattr(Shelf, attr)
    shelves = library.scalars(select(Shelf).order_by(Shelf.id).options(selectinload(rel))).all()
    assert [[b.id for b in getattr(s, attr)] for s in shelves] == [
        _expected_books(i) for i in range(1, SHELVES + 1)
    ]
    loads = [sql for sql in log.sql if "FROM book" in sql]
    assert len(loads) == 3  # one per batch of 500 keys
    on_pg = library.get_bind().dialect.name == "postgresql"
    # PostgreSQL: int and str keys of an integer or text column travel as one array of
    # the column's kind; keys for a TypeDecorator column (by_tag reads Book.shelf_tag, a
    # Lowered column) are bound one by one
    cast = {"books": "INTEGER", "by_code": "TEXT"}.get(attr) if on_pg else None
    for sql in loads:
        assert (f"= ANY(CAST(%s AS {cast}[]))" in sql) if cast else ("IN (" in sql)


def test_selectin_of_many_to_one_batches(library: Session) -> None:
    books = library.scalars(select(Book).order_by(Book.id).options(selectinload(Book.shelf))).all()
    assert [(b.id, b.shelf.id if b.shelf else None) for b in books][:4] == [
        (7, None),
        (10, 1),
        (20, 2),
        (21, 2),
    ]
    assert all(b.shelf is None or b.shelf.code == f"s{b.id // 10}" for b in books)


def test_expanding_in_matches_whole_values_only(library: Session) -> None:
    # on PostgreSQL the list is cast to TEXT[], not to the column's VARCHAR(20)[], which
    # would cut a longer value down to one that matches
    library.add(Shelf(id=5000, code="x" * 20, tagged="long"))
    library.commit()
    stmt = select(Shelf.id).where(Shelf.code.in_(bindparam("codes", expanding=True)))
    assert library.scalars(stmt, {"codes": ["x" * 20 + "yyyyy"]}).all() == []
    assert library.scalars(stmt, {"codes": ["x" * 20, "s2"]}).all() == [2, 5000]
    ids = select(Shelf.code).where(Shelf.id.in_(bindparam("ids", expanding=True)))
    assert library.scalars(ids.order_by(Shelf.id), {"ids": [3, 1, 10**6]}).all() == ["s1", "s3"]


# -- close_all_sessions() ------------------------------------------------------------------
def test_close_all_sessions_rolls_back_and_detaches_every_session(db: Any) -> None:
    from conftest import fetch

    from uow_orm import inspect
    from uow_orm.orm import close_all_sessions

    first, second = Session(db), Session(db)
    kept = Shelf(id=1, code="kept", tagged="k")
    first.add(kept)
    first.commit()
    loaded = first.get(Shelf, 1)
    first.add(Shelf(id=2, code="pending", tagged="p"))
    first.flush()  # written in first's open transaction, not committed
    second.add(Shelf(id=3, code="new", tagged="n"))
    close_all_sessions()
    for s in (first, second):
        assert not s.new and not s.identity_map and not s.in_transaction()
    assert inspect(loaded).detached
    assert fetch(db, "SELECT id FROM shelf ORDER BY id") == [(1,)]  # only the commit stayed
    # the sessions stay usable
    assert first.scalars(select(Shelf.code)).all() == ["kept"]
    first.close()
    second.close()


def test_session_close_all_is_the_classmethod_spelling(db: Any) -> None:
    s = Session(db)
    s.add(Shelf(id=9, code="x", tagged="x"))
    Session.close_all()
    assert not s.new
