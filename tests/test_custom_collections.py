"""Custom collection classes (``collection_class=`` a user type with ``@collection`` roles,
``__emulates__``, duck-typed list-likes, plain list / set subclasses, KeyFuncDict subclasses
with ``@collection.internally_instrumented``): changes made through the object's methods
reach the unit of work, backrefs and events; loading fills the object through its appender.

Rows written by the flush read back with raw SQL, on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    Table,
    exc,
    joinedload,
    select,
    selectinload,
)
from uow_orm.orm import DeclarativeBase, KeyFuncDict, relationship, validates
from uow_orm.orm import mapped_column as mc
from uow_orm.orm.collections import collection


class Base(DeclarativeBase):
    pass


class SetLike:
    """The guide's example: set semantics, ``append`` elected as the appender."""

    __emulates__ = set

    def __init__(self) -> None:
        self.data: set[Any] = set()

    @collection.appender
    def append(self, item: Any) -> None:
        self.data.add(item)

    def remove(self, item: Any) -> None:
        self.data.remove(item)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)


class ListLike:
    """Duck-typed: ``append`` / ``remove`` / ``extend`` are known list mutators."""

    def __init__(self) -> None:
        self.data: list[Any] = []

    def append(self, item: Any) -> None:
        self.data.append(item)

    def remove(self, item: Any) -> None:
        self.data.remove(item)

    def extend(self, items: Any) -> None:
        self.data.extend(items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)


class Bag:
    """Any shape: decorated appender, remover and iterator, and an internally
    instrumented bulk method calling the appender."""

    def __init__(self) -> None:
        self.by_name: dict[str, Any] = {}

    @collection.appender
    def put(self, item: Any) -> None:
        self.by_name[item.name] = item

    @collection.remover
    def take(self, item: Any) -> None:
        del self.by_name[item.name]

    @collection.iterator
    def each(self) -> Iterator[Any]:
        return iter(list(self.by_name.values()))

    @collection.internally_instrumented
    def put_all(self, items: Any) -> None:
        for item in items:
            self.put(item)


class NameList(list[Any]):
    """A plain list subclass."""


class NameSet(set[Any]):
    """A plain set subclass."""


class LowerKeyed(KeyFuncDict[str, Any]):
    def __init__(self) -> None:
        super().__init__(lambda child: child.name)

    @collection.internally_instrumented
    def __setitem__(self, key: str, value: Any, _sa_initiator: Any = None) -> None:
        value.name = key.lower()
        super().__setitem__(key.lower(), value, _sa_initiator)


cc_tags = Table(
    "cc_tags",
    Base.metadata,
    Column("parent_id", ForeignKey("cc_parent.id"), primary_key=True),
    Column("child_id", ForeignKey("cc_child.id"), primary_key=True),
)


class Parent(Base):
    __tablename__ = "cc_parent"
    id = mc(Integer, primary_key=True)
    setlike = relationship("Child", collection_class=SetLike, back_populates="parent")
    bag = relationship("Item", collection_class=Bag, cascade="all, delete-orphan")
    names = relationship("Item", collection_class=NameList, viewonly=True)
    tags = relationship("Child", secondary=cc_tags, collection_class=ListLike)
    tagset = relationship("Child", secondary=cc_tags, collection_class=NameSet, viewonly=True)
    lower = relationship("Item", collection_class=LowerKeyed, viewonly=True)

    @validates("bag")
    def _upper(self, key: str, item: Any) -> Any:
        item.name = item.name.upper()
        return item


class Child(Base):
    __tablename__ = "cc_child"
    id = mc(Integer, primary_key=True)
    parent_id = mc(ForeignKey("cc_parent.id"))
    parent = relationship("Parent", back_populates="setlike")


class Item(Base):
    __tablename__ = "cc_item"
    id = mc(Integer, primary_key=True)
    parent_id = mc(ForeignKey("cc_parent.id"))
    name = mc(String(20))


class Owner(Base):
    __tablename__ = "cc_owner"
    id = mc(Integer, primary_key=True)
    kids = relationship("Kid", collection_class=NameList)


class Kid(Base):
    __tablename__ = "cc_kid"
    id = mc(Integer, primary_key=True)
    owner_id = mc(ForeignKey("cc_owner.id"))


def test_elected_appender_and_default_remover_write_the_foreign_key(db: Any, listen: Any) -> None:
    seen: list[tuple[str, int]] = []
    listen(Parent.setlike, "append", lambda t, v, i: seen.append(("append", v.id)))
    listen(Parent.setlike, "remove", lambda t, v, i: seen.append(("remove", v.id)))
    with Session(db) as s:
        p = Parent(id=1)
        c1, c2 = Child(id=1), Child(id=2)
        assert type(p.setlike) is SetLike
        p.setlike.append(c1)
        assert c1.parent is p  # the backref
        c2.parent = p  # the backref fills the custom object
        assert p.setlike.data == {c1, c2}
        s.add(p)
        s.commit()
        assert fetch(db, "SELECT id, parent_id FROM cc_child ORDER BY id") == [(1, 1), (2, 1)]
        p.setlike.remove(c1)
        assert c1.parent is None
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM cc_child ORDER BY id") == [(1, None), (2, 1)]
    # as in SQLAlchemy the backref (c2.parent = p) fires the collection's append event
    assert seen == [("append", 1), ("append", 2), ("remove", 1)]


@pytest.mark.parametrize(
    "loader", [None, selectinload, joinedload], ids=["lazy", "selectin", "joined"]
)
def test_loading_fills_the_custom_object_through_its_appender(db: Any, loader: Any) -> None:
    with Session(db) as s:
        p = Parent(id=1, setlike=SetLike())
        p.setlike.append(Child(id=1))
        p.setlike.append(Child(id=2))
        s.add(p)
        s.commit()
    with Session(db) as s:
        stmt = select(Parent)
        if loader is not None:
            stmt = stmt.options(loader(Parent.setlike))
        p = s.scalars(stmt).unique().one()
        assert type(p.setlike) is SetLike
        assert sorted(c.id for c in p.setlike.data) == [1, 2]


def test_decorated_roles_and_internally_instrumented_bulk_method(db: Any) -> None:
    with Session(db) as s:
        p = Parent(id=1)
        p.bag.put_all([Item(id=1, name="a"), Item(id=2, name="b")])
        assert sorted(p.bag.by_name) == ["A", "B"]  # @validates ran once per item
        s.add(p)
        s.commit()
        assert fetch(db, "SELECT id, parent_id, name FROM cc_item ORDER BY id") == [
            (1, 1, "A"),
            (2, 1, "B"),
        ]
        p.bag.take(p.bag.by_name["A"])  # delete-orphan
        s.commit()
        assert fetch(db, "SELECT id, parent_id, name FROM cc_item ORDER BY id") == [(2, 1, "B")]
        s.expire(p)
        assert sorted(p.bag.by_name) == ["B"]
        assert sorted(p.lower) == ["B"]  # the KeyFuncDict subclass keys loaded rows
        extra = Item(id=9, name="x")
        p.lower["Q"] = extra  # through the subclass's internally instrumented __setitem__
        assert extra.name == "q" and p.lower["q"] is extra


def test_duck_typed_list_like_on_a_secondary_table(db: Any) -> None:
    with Session(db) as s:
        p = Parent(id=1)
        c1, c2, c3 = Child(id=1), Child(id=2), Child(id=3)
        p.tags.append(c1)
        p.tags.extend([c2, c3])
        s.add(p)
        s.commit()
        assert fetch(db, "SELECT child_id FROM cc_tags ORDER BY child_id") == [(1,), (2,), (3,)]
        p.tags.remove(c2)
        s.commit()
        assert fetch(db, "SELECT child_id FROM cc_tags ORDER BY child_id") == [(1,), (3,)]
    with Session(db) as s:
        p = s.get(Parent, 1)
        assert [c.id for c in p.tags.data] == [1, 3]
        assert isinstance(p.tagset, NameSet) and {c.id for c in p.tagset} == {1, 3}


def test_list_subclass_mutators_reach_the_unit_of_work(db: Any) -> None:
    with Session(db) as s:
        p = Parent(id=1)
        s.add(p)
        s.flush()
        bag_items = [Item(id=i, name=f"n{i}") for i in range(1, 5)]
        s.add_all(bag_items)
        s.flush()
        p.names.append(bag_items[0])
        p.names.extend(bag_items[1:3])
        p.names += [bag_items[3]]
        assert isinstance(p.names, NameList) and len(p.names) == 4
        del p.names[0]
        p.names.pop()
        assert [i.id for i in p.names] == [2, 3]


def test_list_subclass_writes_rows_when_not_viewonly(db: Any) -> None:
    with Session(db) as s:
        o = Owner(id=1)
        o.kids.append(Kid(id=1))
        o.kids.extend([Kid(id=2), Kid(id=3)])
        o.kids.insert(0, Kid(id=4))
        assert type(o.kids) is NameList
        s.add(o)
        s.commit()
        del o.kids[1]
        o.kids.pop()
        o.kids[0] = Kid(id=5)
        s.commit()
    # reloaded after the commit in row order [1, 2, 3, 4]: 2, 4 and 1 leave
    assert fetch(db, "SELECT id, owner_id FROM cc_kid ORDER BY id") == [
        (1, None),
        (2, None),
        (3, 1),
        (4, None),
        (5, 1),
    ]


def test_assigning_refuses_a_collection_of_another_shape(db: Any) -> None:
    with Session(db) as s:
        p = Parent(id=1)
        with pytest.raises(TypeError, match="list is not set-like"):
            p.setlike = [Child(id=1)]
        p.setlike = {Child(id=2)}
        assert [c.id for c in p.setlike.data] == [2]
        s.add(p)
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM cc_child") == [(2, 1)]


def test_a_dict_subclass_without_an_appender_is_refused() -> None:
    class Plain(dict[Any, Any]):
        pass

    class NoRoles:
        def foo(self) -> None:
            pass

    with pytest.raises(exc.ArgumentError, match="must elect an appender"):
        relationship("Item", collection_class=Plain)
    with pytest.raises(exc.ArgumentError, match="NoRoles must elect an appender"):
        relationship("Item", collection_class=NoRoles)


def test_instrumented_list_imports_from_sqlalchemys_collections_path() -> None:
    from uow_orm.orm import attributes, collections

    assert collections.InstrumentedList is attributes.InstrumentedList
    assert not hasattr(collection, "converter")  # removed in SQLAlchemy 2.0
