"""Attribute events fired through backrefs, as SQLAlchemy fires them: ``child.parent = p``
fires ``append`` on ``Parent.children`` (loaded or not) and ``remove`` on the old parent's
collection; appending to / removing from the collection fires ``set`` on ``Child.parent``;
a bulk replace's events carry the BULK_REPLACE initiator. Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import (
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Session,
    mapped_column,
    relationship,
    validates,
)
from uow_orm.orm.attributes import NO_VALUE


class Base(DeclarativeBase):
    pass


class Parent(Base):
    __tablename__ = "bre_parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    children: Mapped[list[Child]] = relationship(back_populates="parent")

    @validates("children", include_removes=True)
    def _check_child(self, key: str, child: Child, is_remove: bool) -> Child:
        validated.append((self.id, child.name, is_remove))
        if not is_remove and child.name == "refused":
            raise ValueError("refused child")
        return child


class Child(Base):
    __tablename__ = "bre_child"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bre_parent.id"))
    parent: Mapped[Parent | None] = relationship(back_populates="children")


validated: list[tuple[Any, ...]] = []


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Parent(id=1), Parent(id=2), Child(id=1, name="a")])
        s.commit()
    validated.clear()
    return engine


def _ident(obj: Any) -> Any:
    return obj.id if isinstance(obj, Parent) else obj


@pytest.fixture
def log(listen: Any) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    listen(
        Parent.children,
        "append",
        lambda t, v, i: seen.append(("append", t.id, v.name, i.key, i.op)),
    )
    listen(
        Parent.children,
        "remove",
        lambda t, v, i: seen.append(("remove", t.id, v.name, i.key, i.op)),
    )
    listen(
        Child.parent,
        "set",
        lambda t, v, o, i: seen.append(("set", t.name, _ident(v), _ident(o), i.key, i.op)),
    )
    return seen


def test_scalar_set_fires_append_on_the_loaded_collection_and_remove_on_the_old_one(db, log):
    with Session(db) as s:
        c = s.get(Child, 1)
        p1, p2 = s.get(Parent, 1), s.get(Parent, 2)
        assert p1.children == [] and p2.children == []
        c.parent = p1
        assert log[-1] == ("append", 1, "a", "parent", "REPLACE")
        log.clear()
        c.parent = p2
        assert log == [
            ("set", "a", 2, 1, "parent", "REPLACE"),
            ("remove", 1, "a", "parent", "REPLACE"),
            ("append", 2, "a", "parent", "REPLACE"),
        ]
        assert p1.children == [] and p2.children == [c]
        log.clear()
        c.parent = None
        assert log == [
            ("set", "a", None, 2, "parent", "REPLACE"),
            ("remove", 2, "a", "parent", "REPLACE"),
        ]
        c.parent = p2
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM bre_child") == [(1, 2)]


def test_scalar_set_fires_append_on_an_unloaded_collection_and_it_loads_with_the_child(db, log):
    with Session(db) as s:
        c = s.get(Child, 1)
        p2 = s.get(Parent, 2)
        assert "children" not in p2.__dict__
        c.parent = p2
        assert ("append", 2, "a", "parent", "REPLACE") in log
        assert validated == [(2, "a", False)]  # the collection's validator ran too
        assert "children" not in p2.__dict__  # the event did not load the collection
        assert p2.children == [c]
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM bre_child") == [(1, 2)]


def test_moving_from_an_unloaded_old_parent_fires_remove_on_its_collection(db, log):
    with Session(db) as s:
        c = s.get(Child, 1)
        p1, p2 = s.get(Parent, 1), s.get(Parent, 2)
        c.parent = p1
        s.commit()
        c.parent  # the old parent is known, its collection is not loaded
        assert "children" not in p1.__dict__
        log.clear()
        c.parent = p2
        assert log == [
            ("set", "a", 2, 1, "parent", "REPLACE"),
            ("remove", 1, "a", "parent", "REPLACE"),
            ("append", 2, "a", "parent", "REPLACE"),
        ]
        assert p1.children == [] and p2.children == [c]
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM bre_child") == [(1, 2)]


def test_collection_append_and_remove_fire_set_on_the_scalar_side(db, log):
    with Session(db) as s:
        c = s.get(Child, 1)
        p1 = s.get(Parent, 1)
        assert c.parent is None
        p1.children.append(c)
        assert log == [
            ("append", 1, "a", "children", "APPEND"),
            ("set", "a", 1, None, "children", "APPEND"),
        ]
        s.commit()
        assert fetch(db, "SELECT parent_id FROM bre_child") == [(1,)]
        assert p1.children == [c]
        log.clear()
        p1.children.remove(c)
        assert log == [
            ("remove", 1, "a", "children", "REMOVE"),
            ("set", "a", None, 1, "children", "REMOVE"),
        ]
        assert c.parent is None
        s.commit()
    assert fetch(db, "SELECT parent_id FROM bre_child") == [(None,)]


def test_bulk_replace_fires_events_for_the_items_that_come_and_go_only(db, log):
    with Session(db) as s:
        p1 = s.get(Parent, 1)
        a = s.get(Child, 1)
        b, c = Child(id=2, name="b"), Child(id=3, name="c")
        p1.children = [a, b]
        s.commit()
        assert p1.children == [a, b]
        log.clear()
        validated.clear()
        p1.children = [b, c]
        assert [e for e in log if e[0] != "set"] == [
            ("append", 1, "c", "children", "BULK_REPLACE"),
            ("remove", 1, "a", "children", "BULK_REPLACE"),
        ]
        assert sorted(e for e in log if e[0] == "set") == [
            ("set", "a", None, 1, "children", "BULK_REPLACE"),
            ("set", "c", 1, NO_VALUE, "children", "BULK_REPLACE"),
        ]
        # the validator sees every item given, as in SQLAlchemy, and the one leaving
        assert sorted(validated) == [(1, "a", True), (1, "b", False), (1, "c", False)]
        assert a.parent is None and c.parent is p1
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM bre_child ORDER BY id") == [
        (1, None),
        (2, 1),
        (3, 1),
    ]


def test_a_collection_validator_refusing_a_backref_append_raises_from_the_scalar_set(db):
    with Session(db) as s:
        p1 = s.get(Parent, 1)
        bad = Child(id=9, name="refused")
        with pytest.raises(ValueError, match="refused child"):
            bad.parent = p1
        assert bad not in p1.children
        assert bad.parent is None  # as in SQLAlchemy the assignment did not happen
        s.rollback()
    assert fetch(db, "SELECT id FROM bre_child") == [(1,)]


def test_an_append_listener_with_retval_replaces_the_item_a_backref_adds(db, listen):
    with Session(db) as s:
        p1 = s.get(Parent, 1)
        c = s.get(Child, 1)
        assert p1.children == []
        seen: list[Any] = []

        def keep(target: Any, value: Any, initiator: Any) -> Any:
            seen.append((value.name, initiator.key))
            return value

        listen(Parent.children, "append", keep, retval=True)
        c.parent = p1
        assert seen == [("a", "parent")]
        assert p1.children == [c]
        s.commit()
    assert fetch(db, "SELECT parent_id FROM bre_child") == [(1,)]
