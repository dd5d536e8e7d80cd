"""Attribute events (SQLAlchemy's AttributeEvents) listened for on ``User.name``-style
attributes: set (retval normalising, active_history), append / remove / bulk_replace on
collections, modified, init_scalar, init_collection, dispose_collection. Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Session,
    event,
    exc,
    mapped_column,
    relationship,
    select,
    text,
)
from uow_orm.orm import AttributeEventToken
from uow_orm.orm.attributes import NO_VALUE, flag_modified, get_history
from uow_orm.orm.state import InstanceState


class Base(DeclarativeBase):
    pass


class Member(Base):
    __tablename__ = "ae_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None]
    nick: Mapped[str | None]
    posts: Mapped[list[Post]] = relationship(back_populates="author")


class Post(Base):
    __tablename__ = "ae_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("ae_member.id"))
    author: Mapped[Member | None] = relationship(back_populates="posts")


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def test_set_with_retval_normalises_the_value_that_is_stored_and_written(db, listen):
    listen(Member.email, "set", lambda target, value, old, initiator: value.lower(), retval=True)
    with Session(db) as s:
        m = Member(email="Ann@Example.COM")  # constructor keywords fire set events too
        assert m.email == "ann@example.com"
        s.add(m)
        s.commit()
        m.email = "BOB@X.ORG"
        s.commit()
    with db.connect() as conn:
        assert conn.execute(text("SELECT email FROM ae_member")).scalar() == "bob@x.org"


def test_set_receives_old_value_and_an_initiator_token(db, listen):
    seen: list[tuple[Any, ...]] = []

    def record(target, value, old, initiator):
        assert isinstance(initiator, AttributeEventToken)
        seen.append((value, old, initiator.key, initiator.op))

    listen(Member.nick, "set", record)
    with Session(db) as s:
        m = Member()
        m.nick = "a"
        m.nick = "b"
        s.add(m)
        s.commit()
        m.nick = "c"  # expired by the commit and not reloaded: the old value is unknown
    assert seen == [
        ("a", NO_VALUE, "nick", "REPLACE"),
        ("b", "a", "nick", "REPLACE"),
        ("c", NO_VALUE, "nick", "REPLACE"),
    ]


def test_active_history_loads_the_old_value_first(db, listen):
    seen: list[Any] = []
    listen(Member.nick, "set", lambda t, v, old, i: seen.append(old), active_history=True)
    with Session(db) as s:
        m = Member(nick="x")
        s.add(m)
        s.commit()
        m.nick = "y"
        assert get_history(m, "nick").deleted == ["x"]
    assert seen == [NO_VALUE, "x"]


def test_raw_and_named_attribute_listeners(db, listen):
    seen: list[Any] = []
    listen(Member.nick, "set", lambda st, v, o, i: seen.append(st), raw=True)
    listen(Member.nick, "set", lambda **kw: seen.append(sorted(kw)), named=True)
    m = Member()
    m.nick = "a"
    assert isinstance(seen[0], InstanceState) and seen[0]() is m
    assert seen[1] == ["initiator", "oldvalue", "target", "value"]


def test_append_and_remove_on_a_collection_with_retval(db, listen):
    seen: list[tuple[str, str]] = []

    def on_append(target, value, initiator):
        seen.append(("append", value.title))
        value.title = value.title.strip()
        return value

    listen(Member.posts, "append", on_append, retval=True)
    listen(Member.posts, "remove", lambda t, v, i: seen.append(("remove", v.title)))
    with Session(db) as s:
        m = Member(nick="m")
        p1, p2 = Post(title=" one "), Post(title="two")
        m.posts.append(p1)
        m.posts.append(p2)
        m.posts.remove(p2)
        s.add(m)
        s.commit()
        assert [p.title for p in s.scalars(select(Post))] == ["one"]
    assert seen == [("append", " one "), ("append", "two"), ("remove", "two")]


def test_bulk_replace_sees_the_new_values_and_dispose_collection_the_old(db, listen):
    seen: list[Any] = []
    listen(
        Member.posts, "bulk_replace", lambda t, values, i: seen.append([p.title for p in values])
    )
    listen(
        Member.posts,
        "dispose_collection",
        lambda t, coll, adapter: seen.append(("disposed", [p.title for p in coll])),
    )
    m = Member()
    m.posts = [Post(title="a")]
    m.posts = [Post(title="b"), Post(title="c")]
    assert seen == [["a"], ("disposed", []), ["b", "c"], ("disposed", ["a"])]


def test_init_collection_fires_when_an_empty_collection_is_made(db, listen):
    seen: list[Any] = []
    listen(Member.posts, "init_collection", lambda t, coll, adapter: seen.append((t, coll)))
    m = Member()
    coll = m.posts
    assert seen == [(m, coll)]


def test_init_scalar_gives_a_default_for_an_unset_attribute(db, listen):
    def default(target, value, dict_):
        dict_["nick"] = "anonymous"  # stored: the flush writes it
        return "anonymous"

    listen(Member.nick, "init_scalar", default, retval=True)
    with Session(db) as s:
        m = Member()
        assert m.nick == "anonymous"
        s.add(m)
        s.commit()
    with db.connect() as conn:
        assert conn.execute(text("SELECT nick FROM ae_member")).scalar() == "anonymous"


def test_modified_fires_on_flag_modified(db, listen):
    seen: list[Any] = []
    listen(Member.nick, "modified", lambda t, initiator: seen.append(initiator.op))
    m = Member(nick="a")
    flag_modified(m, "nick")
    assert seen == ["MODIFIED"]


def test_removing_the_set_listener_restores_plain_assignment(db, listen):
    def upper(target, value, old, initiator):
        return value.upper()

    listen(Member.nick, "set", upper, retval=True)
    assert Member(nick="a").nick == "A"
    event.remove(Member.nick, "set", upper)
    assert Member(nick="a").nick == "a"
    assert not event.contains(Member.nick, "set", upper)


def test_attribute_events_are_validated():
    with pytest.raises(exc.InvalidRequestError, match="No such event 'before_insert'"):
        event.listen(Member.nick, "before_insert", lambda *a: None)
    with pytest.raises(exc.ArgumentError, match="retval"):
        event.listen(Member.posts, "remove", lambda *a: None, retval=True)
    with pytest.raises(exc.ArgumentError, match="active_history"):
        event.listen(Member.posts, "append", lambda *a: None, active_history=True)


def test_validates_runs_before_set_listeners(db, listen):
    class Local(DeclarativeBase):
        pass

    from uow_orm import validates

    class Tag(Local):
        __tablename__ = "ae_tag"
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str]

        @validates("label")
        def strip(self, key: str, value: str) -> str:
            return value.strip()

    seen: list[str] = []
    listen(Tag.label, "set", lambda t, v, o, i: seen.append(v))
    t = Tag(label="  x ")
    assert t.label == "x"
    assert seen == ["x"]
