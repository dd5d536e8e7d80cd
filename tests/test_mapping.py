"""Declarative mapping: Column and Mapped[...] styles, constructor, __repr__, inspect().

Every test runs on SQLite and PostgreSQL.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Mapped,
    Numeric,
    Session,
    String,
    Text,
    declarative_base,
    exc,
    identity_key,
    inspect,
    mapped_column,
    select,
)

# -- Column style ------------------------------------------------------------------------------

Base = declarative_base()


class Author(Base):
    __tablename__ = "author"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    email = Column(String(100))
    login = Column(String(30), name="login_name")


class Greeter(Base):
    """A mapped class with its own __init__."""

    __tablename__ = "greeter"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    greeting = Column(String(80))

    def __init__(self, name):
        self.name = name.upper()
        self.greeting = f"hello {name}"


# -- Mapped[...] / mapped_column style -----------------------------------------------------------

TypedBase = declarative_base()


class Post(TypedBase):
    __tablename__ = "post"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column()
    subtitle: Mapped[Optional[str]] = mapped_column(String(100))  # noqa: UP045 - the API form
    summary: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(20), nullable=True)
    views: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)
    rating: Mapped[float | None] = mapped_column()
    price: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 2))  # noqa: UP045
    created: Mapped[datetime | None] = mapped_column()
    day: Mapped[date | None] = mapped_column()
    token: Mapped[uuid.UUID | None] = mapped_column()
    payload: Mapped[bytes | None] = mapped_column()


class Comment(TypedBase):
    __tablename__ = "comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))
    body: Mapped[str] = mapped_column(Text)


DB_BASES = (Base, TypedBase)  # the tables the shared ``db`` fixture creates


# -- constructor ---------------------------------------------------------------------------------


def test_keyword_constructor_sets_attributes_and_leaves_the_rest_none():
    a = Author(name="Ann", email="ann@example.com")
    assert a.name == "Ann"
    assert a.email == "ann@example.com"
    assert a.id is None
    assert a.login is None


def test_keyword_constructor_works_for_mapped_column_style():
    p = Post(title="Hello", slug="hello", rating=4.5)
    assert (p.title, p.slug, p.rating) == ("Hello", "hello", 4.5)
    assert p.subtitle is None


def test_unknown_keyword_raises_type_error_naming_it():
    with pytest.raises(TypeError, match="nickname"):
        Author(name="Ann", nickname="annie")
    with pytest.raises(TypeError, match="colour"):
        Post(title="x", slug="x", colour="red")


def test_positional_arguments_are_rejected_by_the_generated_constructor():
    with pytest.raises(TypeError):
        Author("Ann")


def test_a_class_may_define_its_own_init(db):
    g = Greeter("bob")
    assert inspect(g).transient
    with Session(db) as s:
        s.add(g)
        s.commit()
    assert fetch(db, "SELECT name, greeting FROM greeter") == [("BOB", "hello bob")]


# -- Column style round trip -------------------------------------------------------------------


def test_column_style_object_round_trips(db):
    with Session(db) as s:
        a = Author(name="Ann", email="ann@example.com", login="ann")
        s.add(a)
        s.commit()
        aid = a.id
    with Session(db) as s:
        loaded = s.get(Author, aid)
        assert (loaded.name, loaded.email, loaded.login) == ("Ann", "ann@example.com", "ann")


def test_column_name_may_differ_from_attribute_name(db):
    with Session(db) as s:
        s.add(Author(name="Ann", login="ann01"))
        s.commit()
    assert fetch(db, "SELECT login_name FROM author") == [("ann01",)]
    with Session(db) as s:
        assert s.scalars(select(Author).where(Author.login == "ann01")).one().name == "Ann"


# -- Mapped style ------------------------------------------------------------------------------


def test_mapped_column_types_are_inferred_from_annotations(db):
    token = uuid.uuid4()
    values = dict(
        title="Typed",
        slug="typed",
        rating=4.25,
        price=Decimal("19.99"),
        created=datetime(2024, 5, 17, 8, 30, 15, 250000),
        day=date(2024, 5, 17),
        token=token,
        payload=b"\x00\xffbytes",
        published=True,
        views=12,
    )
    with Session(db) as s:
        p = Post(**values)
        s.add(p)
        s.commit()
        pid = p.id
    with Session(db) as s:
        loaded = s.get(Post, pid)
        for name, expected in values.items():
            got = getattr(loaded, name)
            assert got == expected, name
            assert type(got) is type(expected), (name, got)


def test_non_optional_annotation_means_not_null(db):
    with Session(db) as s:
        s.add(Post(slug="no-title"))  # title: Mapped[str] left unset
        with pytest.raises(exc.IntegrityError):
            s.flush()
        s.rollback()
    assert fetch(db, "SELECT count(*) FROM post") == [(0,)]


def test_optional_and_union_none_annotations_mean_nullable(db):
    with Session(db) as s:
        p = Post(title="Only title", slug="only")
        s.add(p)
        s.commit()
        pid = p.id
    with Session(db) as s:
        loaded = s.get(Post, pid)
        for name in (
            "subtitle",
            "summary",
            "note",
            "rating",
            "price",
            "created",
            "day",
            "token",
            "payload",
        ):
            assert getattr(loaded, name) is None, name


def test_mapped_column_defaults_apply_on_flush(db):
    with Session(db) as s:
        p = Post(title="Defaults", slug="defaults")
        s.add(p)
        s.flush()
        assert p.views == 0
        assert p.published is False


def test_foreign_key_in_mapped_column_is_enforced(db):
    with Session(db) as s:
        s.add(Comment(post_id=424242, body="orphan"))
        with pytest.raises(exc.IntegrityError):
            s.flush()
        s.rollback()
        p = Post(title="Parent", slug="parent")
        s.add(p)
        s.flush()
        s.add(Comment(post_id=p.id, body="child"))
        s.commit()
    assert fetch(db, "SELECT body FROM comment") == [("child",)]


def test_class_without_primary_key_is_rejected():
    with pytest.raises(exc.ArgumentError):

        class NoKey(declarative_base()):
            __tablename__ = "no_key"
            name = Column(String(10))


# -- __repr__ ----------------------------------------------------------------------------------


def test_repr_names_the_class_and_emits_no_sql(db, sql_log):
    log = sql_log(db)
    pending = Author(name="Ann")
    assert "Author" in repr(pending)
    with Session(db) as s:
        s.add(pending)
        s.commit()  # expires every attribute
        log.clear()
        text_of_expired = repr(pending)
        assert log.sql == []
        assert "Author" in text_of_expired
        assert inspect(pending).expired_attributes  # repr did not load them
    # detached and expired: repr still works and still emits nothing
    assert "Author" in repr(pending)
    assert log.sql == []


def test_repr_of_mapped_column_style_object_emits_no_sql(db, sql_log):
    with Session(db) as s:
        p = Post(title="T", slug="t")
        s.add(p)
        s.commit()
        log = sql_log(db)
        assert "Post" in repr(p)
        assert log.sql == []


# -- inspect() ---------------------------------------------------------------------------------


def test_inspect_follows_an_object_from_transient_to_persistent(db):
    a = Author(name="Ann")
    state = inspect(a)
    assert state.transient and not state.pending and not state.persistent
    assert state.identity is None
    assert state.session is None
    with Session(db) as s:
        s.add(a)
        assert state.pending and not state.transient
        assert state.session is s
        assert state.identity is None
        s.flush()
        assert state.persistent and not state.pending
        assert state.identity == (a.id,)
        assert state.identity_key == identity_key(Author, a.id)
    assert state.detached and not state.persistent
    assert state.session is None


def test_inspect_reports_expired_unloaded_and_modified_attributes(db):
    with Session(db) as s:
        a = Author(name="Ann", email="ann@example.com")
        s.add(a)
        s.commit()
        state = inspect(a)
        assert {"name", "email"} <= set(state.expired_attributes)
        assert {"name", "email"} <= set(state.unloaded)
        assert not state.modified
        assert a.name == "Ann"  # reloads
        assert "name" not in state.expired_attributes
        assert "name" not in state.unloaded
        a.email = "new@example.com"
        assert state.modified


def test_inspect_of_composite_key_object_gives_identity_tuple_in_column_order(engine):
    KeyBase = declarative_base()

    class Seat(KeyBase):
        __tablename__ = "seat"
        row: Mapped[str] = mapped_column(String(2), primary_key=True)
        number: Mapped[int] = mapped_column(primary_key=True)
        holder: Mapped[str | None] = mapped_column(String(40))

    KeyBase.metadata.create_all(engine)
    with Session(engine) as s:
        seat = Seat(row="B", number=12, holder="Ann")
        s.add(seat)
        s.flush()
        assert inspect(seat).identity == ("B", 12)
        assert inspect(seat).identity_key == identity_key(Seat, ("B", 12))
