"""More of SQLAlchemy 2.0's documented names, with their behaviour: ``dynamic_loader``,
the ``*_mapped_collection`` spellings, ``operators.custom_op``, the ``OP_*`` initiator
constants and ``get_state_history`` of ``orm.attributes``, top-level ``CreateTable`` /
``DropTable`` / ``DefaultClause``, ``orm.UserDefinedOption`` / ``LoaderCriteriaOption`` /
``CascadeOptions``. Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    Column,
    CreateTable,
    DefaultClause,
    DropTable,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    column,
    event,
    exc,
    inspect,
    literal,
    select,
)
from uow_orm.orm import (
    CascadeOptions,
    DeclarativeBase,
    LoaderCriteriaOption,
    Mapped,
    MappedCollection,
    Session,
    UserDefinedOption,
    attribute_mapped_collection,
    attributes,
    column_mapped_collection,
    dynamic_loader,
    mapped_collection,
    mapped_column,
    relationship,
    with_loader_criteria,
)
from uow_orm.orm.collections import KeyFuncDict, attribute_keyed_dict, keyfunc_mapping
from uow_orm.sql import operators


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "mn_shelf"
    id: Mapped[int] = mapped_column(primary_key=True)
    books = dynamic_loader("Book", order_by="Book.title")
    by_title = relationship(
        "Book", collection_class=attribute_mapped_collection("title"), viewonly=True
    )


class Book(Base):
    __tablename__ = "mn_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(20))
    shelf_id: Mapped[int | None] = mapped_column(ForeignKey("mn_shelf.id"))


def test_dynamic_loader_is_a_dynamic_relationship(db: Any) -> None:
    with Session(db) as s:
        shelf = Shelf(id=1)
        shelf.books.append(Book(id=1, title="b"))
        shelf.books.append(Book(id=2, title="a"))
        s.add(shelf)
        s.commit()
        assert [b.title for b in shelf.books] == ["a", "b"]  # a query, ordered
        assert shelf.books.filter(Book.title == "b").one().id == 1
        assert set(shelf.by_title) == {"a", "b"}
    with pytest.raises(exc.ArgumentError, match="lazy"):
        dynamic_loader("Book", lazy="select")


def test_the_mapped_collection_names_are_the_keyed_dict_helpers() -> None:
    assert attribute_mapped_collection is attribute_keyed_dict
    assert mapped_collection is keyfunc_mapping
    assert MappedCollection is KeyFuncDict
    assert callable(column_mapped_collection(Book.__table__.c.title))


def test_custom_op_builds_the_operator_in_both_call_styles(db: Any) -> None:
    concat = operators.custom_op("||")
    assert str(concat(column("a"), column("b"))) == "a || b"
    matches = column("a").operate(operators.custom_op("@@", is_comparison=True), 5)
    assert str(matches).startswith("a @@ :") and matches.type._type_affinity.__name__ == "Boolean"
    with db.connect() as conn:
        joined = select(concat(literal("x"), literal("y")))
        assert conn.execute(joined).scalar() == "xy"
    with pytest.raises(exc.ArgumentError, match="python_impl"):
        operators.custom_op("~", python_impl=lambda a, b: a)


def test_attribute_op_constants_match_the_initiators_events_get(db: Any, listen: Any) -> None:
    ops: list[Any] = []
    listen(Book.title, "set", lambda t, v, o, i: ops.append(i.op))
    book = Book(title="x")
    assert ops == [attributes.OP_REPLACE]
    assert isinstance(attributes.Event("k", attributes.OP_APPEND), attributes.AttributeEventToken)
    with Session(db) as s:
        s.add(book)
        s.commit()
        assert book.title == "x"  # loaded again after the commit
        book.title = "y"
        hist = attributes.get_state_history(inspect(book), "title")
        assert (hist.added, hist.deleted) == (["y"], ["x"])


def test_create_table_drop_table_and_default_clause_at_the_top_level(engine: Any) -> None:
    md = MetaData()
    t = Table(
        "mn_plain",
        md,
        Column("id", Integer, primary_key=True),
        Column("n", Integer, server_default=DefaultClause("7")),
    )
    with engine.begin() as conn:
        conn.execute(CreateTable(t))
        conn.execute(t.insert().values(id=1))
        assert conn.execute(select(t.c.n)).scalar() == 7
        conn.execute(DropTable(t))
    assert "mn_plain" not in inspect(engine).get_table_names()


def test_orm_option_classes_are_importable_by_their_sqlalchemy_names() -> None:
    assert isinstance(with_loader_criteria(Book, Book.id > 0), LoaderCriteriaOption)
    assert isinstance(Shelf.by_title.property.cascade, CascadeOptions)

    class Tag(UserDefinedOption):
        pass

    assert Tag("x").payload == "x"


def test_event_listen_still_refuses_bad_names_on_new_targets() -> None:
    with pytest.raises(exc.InvalidRequestError):
        event.listen(Book.title, "no_such_event", lambda *a: None)


def test_merge_frozen_result_gives_the_sessions_own_objects(db: Any) -> None:
    from uow_orm import FrozenResult
    from uow_orm.orm import merge_frozen_result

    with Session(db) as s:
        s.add(Book(id=5, title="cached"))
        s.commit()
        stmt = select(Book, Book.title).where(Book.id == 5)
        frozen = s.execute(stmt).freeze()
    with Session(db) as s2:
        merged = merge_frozen_result(s2, stmt, frozen, load=False)
        assert isinstance(merged, FrozenResult)
        ((book, title),) = merged().all()
        assert title == "cached" and book in s2 and inspect(book).persistent
        assert s2.get(Book, 5) is book
        with pytest.raises(exc.ArgumentError, match="FrozenResult"):
            merge_frozen_result(s2, stmt, [("x",)])
