"""Mapper and instance events (SQLAlchemy's MapperEvents / InstanceEvents) and the flags
of ``event.listen``: propagate, once, insert, retval, raw, named; remove and contains.

Each test registers its listeners through the ``listen`` fixture, which removes them
afterwards (mapper listeners are global, as in SQLAlchemy). Both backends.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from uow_orm import (
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Mapper,
    Session,
    event,
    exc,
    inspect,
    literal_column,
    mapped_column,
    relationship,
    select,
    text,
)
from uow_orm.orm import configure_mappers
from uow_orm.orm.events import EXT_STOP
from uow_orm.orm.state import InstanceState


class Base(DeclarativeBase):
    pass


class Audited:
    """Mixin: the audit-column pattern of SQLAlchemy's documentation."""

    created_by: Mapped[str | None] = mapped_column(default=None)
    updated_by: Mapped[str | None] = mapped_column(default=None)


class Author(Audited, Base):
    __tablename__ = "me_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Audited, Base):
    __tablename__ = "me_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("me_author.id"))
    author: Mapped[Author | None] = relationship(back_populates="books")


class Plain(Base):
    __tablename__ = "me_plain"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str]

    def __init__(self, label: str, fail: bool = False) -> None:
        if fail:
            raise ValueError("refused")
        self.label = label


Listen = Callable[..., Any]


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


# -- persistence events ---------------------------------------------------------------------
def test_before_insert_on_a_mixin_with_propagate_stamps_rows_in_the_same_flush(db, listen):
    def stamp(mapper, connection, target):
        target.created_by = f"insert:{mapper.class_.__name__}"

    listen(Audited, "before_insert", stamp, propagate=True)
    with Session(db) as s:
        s.add(Author(name="ursula", books=[Book(title="earthsea")]))
        s.commit()
    assert rows(db, "SELECT name, created_by FROM me_author") == [("ursula", "insert:Author")]
    assert rows(db, "SELECT title, created_by FROM me_book") == [("earthsea", "insert:Book")]


def test_before_update_changes_are_included_in_the_update(db, listen):
    def stamp(mapper, connection, target):
        target.updated_by = "editor"

    listen(Author, "before_update", stamp)
    with Session(db) as s:
        a = Author(name="a")
        s.add(a)
        s.commit()
        assert rows(db, "SELECT updated_by FROM me_author") == [(None,)]
        a.name = "b"
        s.commit()
    assert rows(db, "SELECT name, updated_by FROM me_author") == [("b", "editor")]


def test_persistence_events_fire_per_object_with_mapper_connection_and_target(db, listen):
    seen: list[tuple[Any, ...]] = []
    for name in (
        "before_insert",
        "after_insert",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
    ):

        def record(mapper, connection, target, name=name):
            assert mapper is inspect(Author)
            assert connection.in_transaction()
            seen.append((name, target.name, target.id))

        listen(Author, name, record)
    with Session(db) as s:
        a, b = Author(name="a"), Author(name="b")
        s.add_all([a, b])
        s.flush()
        a.name = "a2"
        s.flush()
        s.delete(b)
        s.commit()
    assert seen == [
        ("before_insert", "a", None),
        ("before_insert", "b", None),
        ("after_insert", "a", 1),
        ("after_insert", "b", 2),
        ("before_update", "a2", 1),
        ("after_update", "a2", 1),
        ("before_delete", "b", 2),
        ("after_delete", "b", 2),
    ]


def test_connection_of_before_insert_runs_sql_in_the_flush_transaction(db, listen):
    counts: list[int] = []

    def count(mapper, connection, target):
        counts.append(connection.execute(text("SELECT count(*) FROM me_author")).scalar())

    listen(Book, "before_insert", count)
    with Session(db) as s:
        s.add(Book(title="t", author=Author(name="a")))
        s.commit()
    assert counts == [1]  # the author's INSERT, same transaction, already visible


def test_listener_on_mapper_class_sees_every_mapper(db, listen):
    seen: list[str] = []
    listen(Mapper, "before_insert", lambda m, c, t: seen.append(m.class_.__name__))
    with Session(db) as s:
        s.add(Book(title="t", author=Author(name="a")))
        s.add(Plain("x"))
        s.commit()
    assert sorted(seen) == ["Author", "Book", "Plain"]


def test_listener_on_a_mapper_equals_listener_on_its_class(db, listen):
    seen: list[str] = []
    fn = listen(inspect(Author), "after_insert", lambda m, c, t: seen.append(t.name))
    assert event.contains(inspect(Author), "after_insert", fn)
    with Session(db) as s:
        s.add(Author(name="a"))
        s.commit()
    assert seen == ["a"]


def test_base_listener_without_propagate_does_not_reach_subclasses(db, listen):
    seen: list[Any] = []
    listen(Audited, "before_insert", lambda *a: seen.append(a))
    with Session(db) as s:
        s.add(Author(name="a"))
        s.commit()
    assert seen == []


# -- flags -----------------------------------------------------------------------------------
def test_once_calls_the_listener_a_single_time(db, listen):
    seen: list[str] = []
    listen(Author, "before_insert", lambda m, c, t: seen.append(t.name), once=True)
    with Session(db) as s:
        s.add_all([Author(name="a"), Author(name="b")])
        s.commit()
    assert seen == ["a"]


def test_insert_true_puts_the_listener_first(db, listen):
    order: list[str] = []
    listen(Author, "before_insert", lambda m, c, t: order.append("first"))
    listen(Author, "before_insert", lambda m, c, t: order.append("inserted"), insert=True)
    with Session(db) as s:
        s.add(Author(name="a"))
        s.commit()
    assert order == ["inserted", "first"]


def test_named_passes_arguments_by_keyword(db, listen):
    seen: list[dict[str, Any]] = []
    listen(Author, "before_insert", lambda **kw: seen.append(kw), named=True)
    with Session(db) as s:
        a = Author(name="a")
        s.add(a)
        s.commit()
        assert sorted(seen[0]) == ["connection", "mapper", "target"]
        assert seen[0]["target"] is a


def test_raw_passes_the_instance_state(db, listen):
    seen: list[Any] = []
    listen(Author, "before_insert", lambda m, c, st: seen.append(st), raw=True)
    with Session(db) as s:
        a = Author(name="a")
        s.add(a)
        s.commit()
        assert isinstance(seen[0], InstanceState)
        assert seen[0]() is a


def test_retval_ext_stop_ends_the_listener_chain(db, listen):
    seen: list[str] = []

    def stop(mapper, connection, target):
        seen.append("stop")
        return EXT_STOP

    listen(Author, "before_insert", stop, retval=True)
    listen(Author, "before_insert", lambda m, c, t: seen.append("never"))
    with Session(db) as s:
        s.add(Author(name="a"))
        s.commit()
    assert seen == ["stop"]


def test_remove_stops_the_listener_and_contains_reports_it(db, listen):
    seen: list[str] = []

    def fn(mapper, connection, target):
        seen.append(target.name)

    listen(Author, "before_insert", fn)
    assert event.contains(Author, "before_insert", fn)
    event.remove(Author, "before_insert", fn)
    assert not event.contains(Author, "before_insert", fn)
    with Session(db) as s:
        s.add(Author(name="a"))
        s.commit()
    assert seen == []
    with pytest.raises(exc.InvalidRequestError):
        event.remove(Author, "before_insert", fn)


def test_unknown_events_and_flags_are_refused():
    with pytest.raises(exc.InvalidRequestError, match="No such event 'before_flush'"):
        event.listen(Author, "before_flush", lambda *a: None)
    with pytest.raises(exc.InvalidRequestError, match="no_such_event"):
        event.listen(Author, "no_such_event", lambda *a: None)
    with pytest.raises(exc.ArgumentError, match="active_history"):
        event.listen(Author, "before_insert", lambda *a: None, active_history=True)
    with pytest.raises(exc.ArgumentError, match="bogus"):
        event.listen(Author, "before_insert", lambda *a: None, bogus=True)
    with pytest.raises(exc.InvalidRequestError, match="Mapper"):
        event.listen(Author, "after_configured", lambda: None)


def test_listens_for_takes_the_same_flags(db, listen):
    seen: list[str] = []

    @event.listens_for(Author, "before_insert", once=True)
    def fn(mapper, connection, target):
        seen.append(target.name)

    try:
        with Session(db) as s:
            s.add_all([Author(name="a"), Author(name="b")])
            s.commit()
    finally:
        event.remove(Author, "before_insert", fn)
    assert seen == ["a"]


# -- instance events ----------------------------------------------------------------------------
def test_init_fires_before_the_constructor_with_its_arguments(db, listen):
    seen: list[tuple[Any, ...]] = []
    listen(Plain, "init", lambda target, args, kwargs: seen.append((args, dict(kwargs))))
    p = Plain("x")
    assert p.label == "x"
    assert seen == [(("x",), {})]
    Plain(label="y")
    assert seen[-1] == ((), {"label": "y"})


def test_init_failure_fires_when_the_constructor_raises(db, listen):
    seen: list[Any] = []
    listen(Plain, "init_failure", lambda target, args, kwargs: seen.append(kwargs))
    with pytest.raises(ValueError, match="refused"):
        Plain("x", fail=True)
    assert seen == [{"fail": True}]


def test_init_listener_on_declarative_constructor_and_its_removal(db, listen):
    seen: list[dict[str, Any]] = []

    def fn(target, args, kwargs):
        seen.append(dict(kwargs))

    listen(Author, "init", fn)
    Author(name="a")
    event.remove(Author, "init", fn)
    Author(name="b")
    assert seen == [{"name": "a"}]
    assert "__init__" not in Author.__dict__  # the constructor wrapper is gone again


def test_load_fires_for_objects_built_from_rows_not_for_identity_map_hits(db, listen):
    with Session(db) as s:
        s.add_all([Author(name="a"), Author(name="b")])
        s.commit()
    seen: list[tuple[str, Any]] = []
    listen(Author, "load", lambda target, context: seen.append((target.name, context.session)))
    with Session(db) as s:
        loaded = s.scalars(select(Author).order_by(Author.id)).all()
        assert [a.name for a in loaded] == ["a", "b"]
        assert seen == [("a", s), ("b", s)]
        s.scalars(select(Author)).all()
        s.get(Author, 1)
        assert len(seen) == 2
    with Session(db) as s:
        s.get(Author, 2)
        assert seen[-1] == ("b", s)


def test_refresh_fires_when_expired_attributes_are_reloaded(db, listen):
    seen: list[Any] = []
    listen(Author, "refresh", lambda target, context, attrs: seen.append(attrs))
    with Session(db) as s:
        a = Author(name="a")
        s.add(a)
        s.commit()
        assert a.name == "a"  # reload after the commit expired it: the loaded names
        s.refresh(a, ["name"])
        s.refresh(a)
        loaded = {"id", "name", "created_by", "updated_by"}
        assert seen == [loaded, {"name"}, None]  # as SQLAlchemy reports them


class Stamped(Base):
    __tablename__ = "me_stamped"
    __mapper_args__ = {"eager_defaults": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(default="x")
    n: Mapped[int] = mapped_column(server_default=text("5"))
    hits: Mapped[int] = mapped_column(default=0, onupdate=literal_column("hits + 1"))


def test_refresh_flush_reports_the_values_the_flush_filled_in(db, listen):
    # the same calls, attribute lists and order as SQLAlchemy 2.1 for this scenario
    seen: list[Any] = []

    def receive(target: Any, flush_context: Any, attrs: list[str]) -> None:
        seen.append((target.id, attrs, flush_context.session is s))

    listen(Stamped, "refresh_flush", receive)
    with Session(db) as s:
        a, b = Stamped(id=1), Stamped(id=2, label="given", n=7)
        s.add_all([a, b])
        s.flush()
        assert seen == [(1, ["n", "label", "hits"], True), (2, ["hits"], True)]
        assert (a.__dict__["n"], b.__dict__["n"]) == (5, 7)
        seen.clear()
        a.label = "y"
        s.flush()  # eager_defaults=True: the UPDATE's RETURNING brings hits back
        assert seen == [(1, ["hits"], True)]
        assert a.__dict__["hits"] == 1
        seen.clear()
        s.add(Plain("no defaults"))
        s.flush()
        assert seen == []  # Plain has no listener; nothing was filled in for it anyway
        s.commit()
    assert rows(db, "SELECT id, label, n, hits FROM me_stamped ORDER BY id") == [
        (1, "y", 5, 1),
        (2, "given", 7, 0),
    ]


def test_expire_fires_with_the_expired_attribute_names(db, listen):
    seen: list[Any] = []
    listen(Author, "expire", lambda target, attrs: seen.append(attrs))
    with Session(db) as s:
        a = Author(name="a")
        s.add(a)
        s.flush()
        s.expire(a, ["name"])
        s.expire(a)
        s.commit()
    assert seen == [["name"], None, None]


def test_configure_events_fire_around_configuration(db, listen):
    order: list[str] = []
    configure_mappers()  # other modules' classes: configured before listening

    class Local(DeclarativeBase):
        pass

    listen(Mapper, "before_configured", lambda: order.append("before"))
    listen(Mapper, "after_configured", lambda: order.append("after"))
    listen(Local, "mapper_configured", lambda m, cls: order.append(cls.__name__), propagate=True)

    class Shelf(Local):
        __tablename__ = "me_shelf"
        id: Mapped[int] = mapped_column(primary_key=True)

    configure_mappers()
    assert order == ["before", "Shelf", "after"]


def test_instrument_class_fires_for_classes_mapped_after_listening(listen):
    seen: list[str] = []

    class Local(DeclarativeBase):
        pass

    listen(Local, "instrument_class", lambda m, cls: seen.append(cls.__name__), propagate=True)

    class Crate(Local):
        __tablename__ = "me_crate"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert seen == ["Crate"]


def test_events_run_the_same_on_each_backend_with_timestamps(db, listen):
    now = datetime.datetime(2024, 1, 2, 3, 4, 5)

    def stamp(mapper, connection, target):
        target.created_by = now.isoformat()

    listen(Book, "before_insert", stamp)
    with Session(db) as s:
        s.add(Book(title="t"))
        s.commit()
        book = s.scalars(select(Book)).one()
        assert book.created_by == "2024-01-02T03:04:05"
