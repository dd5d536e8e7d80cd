"""Relationship collection types: ``collection_class=set`` (and ``Mapped[set[...]]``),
keyed dictionaries (``attribute_keyed_dict``, ``column_keyed_dict``, ``keyfunc_mapping``,
``KeyFuncDict`` subclasses) and ``uow_orm.ext.orderinglist.ordering_list``.

Rows written by the flush and collections read back with each loader, on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import ForeignKey, Session, String, exc, joinedload, select, selectinload
from uow_orm.ext.orderinglist import ordering_list
from uow_orm.orm import (
    DeclarativeBase,
    KeyFuncDict,
    Mapped,
    attribute_keyed_dict,
    column_keyed_dict,
    keyfunc_mapping,
    mapped_column,
    relationship,
)
from uow_orm.orm.collections import InstrumentedSet


class Base(DeclarativeBase):
    pass


class UpperKeyed(KeyFuncDict[str, "Note"]):
    def __init__(self) -> None:
        super().__init__(lambda note: note.keyword.upper())


class Item(Base):
    __tablename__ = "coll_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    notes: Mapped[dict[str, Note]] = relationship(
        collection_class=attribute_keyed_dict("keyword"),
        cascade="all, delete-orphan",
        back_populates="item",
    )
    note_set: Mapped[set[Note]] = relationship(viewonly=True)
    by_column: Mapped[dict[str, Note]] = relationship(
        collection_class=column_keyed_dict(lambda: Note.__table__.c.keyword), viewonly=True
    )
    by_func: Mapped[dict[str, Note]] = relationship(
        collection_class=keyfunc_mapping(lambda n: (n.keyword, n.id)), viewonly=True
    )
    upper: Mapped[dict[str, Note]] = relationship(collection_class=UpperKeyed, viewonly=True)


class Note(Base):
    __tablename__ = "coll_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("coll_item.id"))
    keyword: Mapped[str | None] = mapped_column(String(20))
    item: Mapped[Item | None] = relationship(back_populates="notes")


class Tag(Base):
    __tablename__ = "coll_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("coll_owner.id"))


class Owner(Base):
    __tablename__ = "coll_owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    tags: Mapped[set[Tag]] = relationship()  # the annotation makes it a set


class Slide(Base):
    __tablename__ = "coll_slide"
    id: Mapped[int] = mapped_column(primary_key=True)
    bullets: Mapped[list[Bullet]] = relationship(
        order_by="Bullet.position",
        collection_class=ordering_list("position"),
        cascade="all, delete-orphan",
    )
    numbered: Mapped[list[Bullet]] = relationship(
        order_by="Bullet.position",
        collection_class=ordering_list("position", count_from=1),
        viewonly=True,
    )


class Bullet(Base):
    __tablename__ = "coll_bullet"
    id: Mapped[int] = mapped_column(primary_key=True)
    slide_id: Mapped[int | None] = mapped_column(ForeignKey("coll_slide.id"))
    position: Mapped[int | None]
    text: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


LOADERS = [None, selectinload, joinedload]


def _item(s: Session, loader: Any, attr: Any) -> Item:
    stmt = select(Item)
    if loader is not None:
        stmt = stmt.options(loader(attr))
    return s.scalars(stmt).unique().one()


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_keyed_dict_collection_writes_and_loads_by_key(db: Any, loader: Any) -> None:
    with Session(db) as s:
        item = Item(id=1)
        item.notes["a"] = Note(id=1, keyword="a")
        item.notes.set(Note(id=2, keyword="b"))
        assert sorted(item.notes) == ["a", "b"]
        assert item.notes["a"].item is item  # the backref, in memory
        s.add(item)
        s.commit()
        assert s.execute(select(Note.keyword, Note.item_id).order_by(Note.id)).all() == [
            ("a", 1),
            ("b", 1),
        ]
    with Session(db) as s:
        item = _item(s, loader, Item.notes)
        assert {k: n.id for k, n in item.notes.items()} == {"a": 1, "b": 2}
        assert item.notes == {"a": s.get(Note, 1), "b": s.get(Note, 2)}
        del item.notes["a"]  # delete-orphan: the row goes
        item.notes["b"] = Note(id=3, keyword="b")  # replaces (and orphans) note 2
        s.commit()
        assert s.scalars(select(Note.id)).all() == [3]


def test_keyed_dict_assignment_takes_a_dict_and_refuses_a_list(db: Any) -> None:
    with Session(db) as s:
        item = Item(id=1, notes={"x": Note(id=1, keyword="x")})
        s.add(item)
        s.commit()
        item.notes = {"y": Note(id=2, keyword="y")}
        s.commit()
        assert s.execute(select(Note.id, Note.item_id)).all() == [(2, 1)]
        with pytest.raises(exc.ArgumentError, match="dict"):
            item.notes = [Note(id=3, keyword="z")]  # type: ignore[assignment]
        with pytest.raises(exc.ArgumentError, match="no key"):
            item.notes.set(Note(id=4, keyword=None))


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_column_keyfunc_and_subclass_dicts_key_loaded_rows(db: Any, loader: Any) -> None:
    with Session(db) as s:
        s.add(Item(id=1, notes={"p": Note(id=1, keyword="p"), "q": Note(id=2, keyword="q")}))
        s.commit()
    with Session(db) as s:
        for attr, keys in [
            (Item.by_column, ["p", "q"]),
            (Item.by_func, [("p", 1), ("q", 2)]),
            (Item.upper, ["P", "Q"]),
        ]:
            s.expunge_all()
            item = _item(s, loader, attr)
            assert sorted(getattr(item, attr.key)) == keys


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_set_collection_from_annotation_and_argument(db: Any, loader: Any) -> None:
    with Session(db) as s:
        owner = Owner(id=1)
        t1, t2 = Tag(id=1), Tag(id=2)
        owner.tags.add(t1)
        owner.tags.add(t1)  # a set: once
        owner.tags |= {t2}
        assert isinstance(owner.tags, InstrumentedSet) and len(owner.tags) == 2
        s.add(owner)
        s.commit()
        assert s.scalars(select(Tag.owner_id).order_by(Tag.id)).all() == [1, 1]
        owner.tags.discard(t1)
        s.commit()
        assert s.scalars(select(Tag.owner_id).order_by(Tag.id)).all() == [None, 1]
        s.add(Item(id=1, notes={"a": Note(id=1, keyword="a")}))
        s.commit()
    with Session(db) as s:
        stmt = select(Owner)
        if loader is not None:
            stmt = stmt.options(loader(Owner.tags))
        owner = s.scalars(stmt).unique().one()
        assert owner.tags == {s.get(Tag, 2)}
        assert _item(s, loader, Item.note_set).note_set == {s.get(Note, 1)}


def test_dict_collection_class_without_a_key_raises() -> None:
    class B(DeclarativeBase):
        pass

    class P(B):
        __tablename__ = "coll_bad_p"
        id: Mapped[int] = mapped_column(primary_key=True)
        cs: Mapped[dict[str, C]] = relationship()

    class C(B):
        __tablename__ = "coll_bad_c"
        id: Mapped[int] = mapped_column(primary_key=True)
        p_id: Mapped[int] = mapped_column(ForeignKey("coll_bad_p.id"))

    with pytest.raises(exc.ArgumentError, match="attribute_keyed_dict"):
        B.registry.configure()


def test_ordering_list_numbers_members_and_the_flush_writes_positions(db: Any) -> None:
    with Session(db) as s:
        slide = Slide(id=1)
        slide.bullets.append(Bullet(id=1, text="a"))
        slide.bullets.append(Bullet(id=2, text="b"))
        slide.bullets.insert(0, Bullet(id=3, text="z"))
        assert [(b.text, b.position) for b in slide.bullets] == [("z", 0), ("a", 1), ("b", 2)]
        s.add(slide)
        s.commit()
    with Session(db) as s:
        slide = s.get(Slide, 1)
        assert [b.text for b in slide.bullets] == ["z", "a", "b"]
        assert [b.position for b in slide.numbered] == [0, 1, 2]  # loading never renumbers
        slide.bullets.pop(0)
        slide.bullets.append(Bullet(id=4, text="c"))
        s.commit()
        assert s.execute(select(Bullet.text, Bullet.position).order_by(Bullet.position)).all() == [
            ("a", 0),
            ("b", 1),
            ("c", 2),
        ]


def test_ordering_list_count_from_and_ordering_func_are_exclusive() -> None:
    assert ordering_list("p", count_from=1)().ordering_func(0, []) == 1
    with pytest.raises(exc.ArgumentError, match="count_from"):
        ordering_list("p", count_from=1, ordering_func=lambda i, c: i)
