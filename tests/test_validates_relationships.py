"""``@validates`` on relationships: scalar (many-to-one) attributes, ``include_removes`` and
``include_backrefs`` on both sides of a bidirectional relationship, as SQLAlchemy calls them.

The call sequences were taken from SQLAlchemy 2.1 on the same scenarios; every database test
runs on SQLite and PostgreSQL and reads the rows back.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import ForeignKey, Mapped, Session, String, mapped_column, relationship
from uow_orm.orm import DeclarativeBase, validates


def _models(
    calls: list[tuple[Any, ...]], *, user_backrefs: bool = True, address_backrefs: bool = True
) -> tuple[Any, Any, Any]:
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        addresses: Mapped[list[Address]] = relationship(back_populates="user")

        @validates("addresses", include_removes=True, include_backrefs=user_backrefs)
        def check_address(self, key: str, address: Any, is_remove: bool) -> Any:
            calls.append(("User", self.id, key, address.id, is_remove))
            return address

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(50), default="a@x")
        user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
        user: Mapped[User | None] = relationship(back_populates="addresses")

        @validates("user", include_removes=True, include_backrefs=address_backrefs)
        def check_user(self, key: str, user: Any, is_remove: bool) -> Any:
            calls.append(("Address", self.id, key, user.id if user else None, is_remove))
            return user

    return Base, User, Address


def test_validates_runs_on_many_to_one_assignment_and_can_refuse(engine):
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = "parent"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Child(Base):
        __tablename__ = "child"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("parent.id"))
        parent: Mapped[Parent | None] = relationship()

        @validates("parent")
        def check_parent(self, key: str, parent: Any) -> Any:
            if parent is not None and parent.id < 0:
                raise ValueError(f"{key}: negative id")
            return parent if parent is not None else fallback

    fallback = Parent(id=99)
    c = Child(id=1)
    with pytest.raises(ValueError, match="parent: negative id"):
        c.parent = Parent(id=-1)
    assert c.parent is None
    c.parent = None  # the validator replaces None with a new Parent
    assert c.parent is fallback
    made = Child(id=2, parent=Parent(id=5))  # the constructor goes through it too
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([c, made])
        s.commit()
        s.get(Child, 2).parent = None
        s.commit()
    assert fetch(engine, "SELECT id, parent_id FROM child ORDER BY id") == [(1, 99), (2, 99)]
    assert fetch(engine, "SELECT id FROM parent ORDER BY id") == [(5,), (99,)]


def test_validates_sees_backref_changes_on_both_sides():
    calls: list[tuple[Any, ...]] = []
    _, User, Address = _models(calls)
    u1, u2, a = User(id=1), User(id=2), Address(id=10)
    a.user = u1
    assert calls == [("Address", 10, "user", 1, False), ("User", 1, "addresses", 10, False)]
    calls.clear()
    a.user = u2  # moves: removed from u1's collection, appended to u2's
    assert calls == [
        ("Address", 10, "user", 2, False),
        ("User", 1, "addresses", 10, True),
        ("User", 2, "addresses", 10, False),
    ]
    calls.clear()
    u2.addresses.remove(a)  # the scalar side sees itself set to None
    assert calls == [("User", 2, "addresses", 10, True), ("Address", 10, "user", None, False)]
    assert a.user is None
    calls.clear()
    u1.addresses.append(a)
    assert calls == [("User", 1, "addresses", 10, False), ("Address", 10, "user", 1, False)]
    calls.clear()
    a.user = None
    assert calls == [("Address", 10, "user", None, False), ("User", 1, "addresses", 10, True)]
    assert u1.addresses == []


def test_validates_include_backrefs_false_skips_changes_made_by_the_other_side():
    calls: list[tuple[Any, ...]] = []
    _, User, Address = _models(calls, user_backrefs=False, address_backrefs=False)
    u, a = User(id=1), Address(id=10)
    a.user = u
    assert calls == [("Address", 10, "user", 1, False)]
    calls.clear()
    u.addresses.remove(a)
    assert calls == [("User", 1, "addresses", 10, True)]
    calls.clear()
    u.addresses.append(a)
    assert calls == [("User", 1, "addresses", 10, False)]
    assert a.user is u


def test_validator_refusing_a_backref_leaves_the_collection_unchanged(engine):
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        addresses: Mapped[list[Address]] = relationship(back_populates="user")

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
        user: Mapped[User | None] = relationship(back_populates="addresses")

        @validates("user")
        def check_user(self, key: str, user: Any) -> Any:
            if user is not None and user.id == 13:
                raise ValueError("unlucky owner")
            return user

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        unlucky, a = User(id=13), Address(id=1)
        s.add_all([unlucky, a])
        with pytest.raises(ValueError, match="unlucky"):
            unlucky.addresses.append(a)
        s.commit()
    assert fetch(engine, "SELECT id, user_id FROM address") == [(1, None)]


def test_subclass_validator_on_inherited_relationship_does_not_apply_to_parent_class():
    calls: list[str] = []

    class Base(DeclarativeBase):
        pass

    class Owner(Base):
        __tablename__ = "owner"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Item(Base):
        __tablename__ = "item"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        owner_id: Mapped[int | None] = mapped_column(ForeignKey("owner.id"))
        owner: Mapped[Owner | None] = relationship()
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "item"}

    class Special(Item):
        __mapper_args__ = {"polymorphic_identity": "special"}

        @validates("owner")
        def check_owner(self, key: str, owner: Any) -> Any:
            calls.append(key)
            return owner

    Item(id=1, owner=Owner(id=1))
    assert calls == []
    Special(id=2, owner=Owner(id=2))
    assert calls == ["owner"]


def test_include_removes_sees_every_way_an_item_leaves_a_collection():
    calls: list[tuple[Any, ...]] = []
    _, User, Address = _models(calls, address_backrefs=False)
    u, a, b, c = User(id=1), Address(id=2), Address(id=3), Address(id=4)

    def removed(action: Any) -> list[int]:
        calls.clear()
        action()
        return sorted(x[3] for x in calls if x[0] == "User" and x[4])

    u.addresses.extend([a, b])
    assert removed(u.addresses.clear) == [2, 3]
    u.addresses.extend([a, b])
    assert removed(lambda: u.addresses.__delitem__(0)) == [2]
    assert removed(lambda: u.addresses.__setitem__(0, c)) == [3]
    u.addresses.append(b)
    assert removed(lambda: setattr(u, "addresses", [b, a])) == [4]
    assert removed(lambda: u.addresses.__setitem__(slice(0, 2), [c])) == [2, 3]
    assert [x.id for x in u.addresses] == [4]


def test_a_removal_validator_that_raises_keeps_the_items():
    class Base(DeclarativeBase):
        pass

    class Box(Base):
        __tablename__ = "box"
        id: Mapped[int] = mapped_column(primary_key=True)
        items: Mapped[list[Item]] = relationship()

        @validates("items", include_removes=True)
        def keep(self, key: str, item: Any, is_remove: bool) -> Any:
            if is_remove and item.id == 1:
                raise ValueError("item 1 stays")
            return item

    class Item(Base):
        __tablename__ = "item"
        id: Mapped[int] = mapped_column(primary_key=True)
        box_id: Mapped[int | None] = mapped_column(ForeignKey("box.id"))

    box = Box(id=1, items=[Item(id=1), Item(id=2)])
    for action in (
        box.items.clear,
        lambda: box.items.__delitem__(slice(0, 2)),
        lambda: setattr(box, "items", []),
        lambda: box.items.__setitem__(0, Item(id=3)),
    ):
        with pytest.raises(ValueError, match="stays"):
            action()
        assert [i.id for i in box.items] == [1, 2]
