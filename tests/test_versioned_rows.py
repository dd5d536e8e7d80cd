"""What SQLAlchemy's versioned-rows examples need: the declarative ``__declare_first__`` /
``__declare_last__`` hooks, ``column_property(select(...))`` coerced to a scalar subquery
(with SQLAlchemy's warning), and ``set_committed_value(obj, dict_collection, {})``;
the assertions are those of ``examples/versioned_rows/versioned_rows_w_versionid.py``."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import Boolean, Column, ForeignKey, Integer, String, event, exc, func, select
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    attribute_keyed_dict,
    attributes,
    column_property,
    configure_mappers,
    make_transient,
    mapped_column,
    relationship,
)

calls: list[tuple[str, str]] = []


class Versioned:
    id = Column(Integer, primary_key=True)
    version_id = Column(Integer, primary_key=True, default=1)
    is_current_version = Column(Boolean, default=True)

    @classmethod
    def __declare_first__(cls) -> None:
        calls.append(("first", cls.__name__))

    @classmethod
    def __declare_last__(cls) -> None:
        calls.append(("last", cls.__name__))
        alias = cls.__table__.alias()  # type: ignore[attr-defined]
        with pytest.warns(exc.SAWarning, match="implicitly coercing SELECT"):
            cls.calc_is_current_version = column_property(  # type: ignore[attr-defined]
                select(func.max(alias.c.version_id) == cls.version_id).where(alias.c.id == cls.id)
            )

    def new_version(self, session: Session) -> None:
        session.query(type(self)).filter_by(id=self.id).update(
            values=dict(is_current_version=False), synchronize_session=False
        )
        make_transient(self)
        self.version_id += 1  # type: ignore[operator]


class Base(DeclarativeBase):
    pass


class Example(Versioned, Base):
    __tablename__ = "vr_example"
    data = Column(String)


@pytest.fixture
def session(db: Any) -> Any:
    def before_flush(s: Session, ctx: Any, instances: Any) -> None:
        for obj in s.dirty:
            if isinstance(obj, Versioned) and s.is_modified(obj):
                if attributes.instance_state(obj).has_identity:
                    obj.new_version(s)
                    s.add(obj)

    with Session(db) as s:
        event.listen(s, "before_flush", before_flush)
        yield s


def test_declare_hooks_run_once_around_configuration(session):
    configure_mappers()
    assert calls.count(("first", "Example")) == 1
    assert calls.count(("last", "Example")) == 1
    assert calls.index(("first", "Example")) < calls.index(("last", "Example"))
    configure_mappers()
    assert calls.count(("last", "Example")) == 1


def test_changed_row_becomes_a_new_version_and_the_calculated_flag_follows(session):
    session.add(Example(id=1, data="e1"))
    session.commit()
    e1 = session.get(Example, (1, 1))
    e1.data = "e2"
    session.commit()
    rows = session.query(
        Example.id,
        Example.version_id,
        Example.is_current_version,
        Example.calc_is_current_version,
        Example.data,
    ).order_by(Example.id, Example.version_id)
    assert [tuple(r) for r in rows.all()] == [(1, 1, False, False, "e1"), (1, 2, True, True, "e2")]


class Holder(Base):
    __tablename__ = "vr_holder"
    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[dict[str, Item]] = relationship(collection_class=attribute_keyed_dict("name"))


class Item(Base):
    __tablename__ = "vr_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("vr_holder.id"))
    name: Mapped[str] = mapped_column(String(20))


def test_set_committed_value_of_an_empty_dict_empties_a_dict_collection(session):
    session.add(Holder(id=1, items={"a": Item(id=1, name="a")}))
    session.commit()
    h = session.get(Holder, 1)
    assert list(h.items) == ["a"]
    attributes.set_committed_value(h, "items", {})
    assert dict(h.items) == {}
    assert not session.is_modified(h)
    h.items["b"] = Item(id=2, name="b")
    session.commit()
    assert sorted(session.execute(select(Item.name, Item.holder_id)).all()) == [
        ("a", 1),  # untouched: the empty dict was "loaded", not a removal
        ("b", 1),
    ]
    with pytest.raises(exc.ArgumentError, match="dictionary collection"):
        attributes.set_committed_value(h, "items", [Item(id=3, name="c")])


def test_rows_order_as_tuples_as_sqlalchemys_do(session):
    session.add_all([Item(id=1, name="b"), Item(id=2, name="a")])
    session.commit()
    rows = session.execute(select(Item.name, Item.id).order_by(Item.id)).all()
    assert sorted(rows) == [("a", 2), ("b", 1)]
    assert rows[0] > ("a", 9) and rows[0] >= rows[0] and ("a", 2) <= rows[1] < ("b", 1, 0)
    with pytest.raises(TypeError):
        rows[0] < 1  # noqa: B015 - the comparison itself is what is tested


class Config(Base):
    __tablename__ = "vr_config"
    id: Mapped[int] = mapped_column(primary_key=True)
    entries: Mapped[dict[str, Entry]] = relationship(
        collection_class=attribute_keyed_dict("name"), back_populates="config"
    )

    def new_version(self) -> None:
        """SQLAlchemy's versioned_map recipe: the same object becomes the next version,
        keeping the entries it had (new association rows) and the ones just added."""
        make_transient(self)
        self.id = None  # type: ignore[assignment]
        hist = attributes.get_history(self, "entries")
        attributes.set_committed_value(self, "entries", {})
        for e in hist.added:
            self.entries[e.name] = e
        for e in hist.unchanged:
            self.entries[e.name] = Entry(name=e.name, value=e.value)


class Entry(Base):
    __tablename__ = "vr_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int | None] = mapped_column(ForeignKey("vr_config.id"))
    name: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(20))
    config: Mapped[Config | None] = relationship(back_populates="entries")


def test_make_transient_keeps_attribute_history_as_sqlalchemy_does(session):
    session.add(Config(id=1, entries={"a": Entry(id=1, name="a", value="1")}))
    session.commit()
    c = session.get(Config, 1)
    c.entries["b"] = Entry(id=2, name="b", value="2")
    c.id = 1  # (no change)
    make_transient(c)
    hist = attributes.get_history(c, "entries")
    assert [e.name for e in hist.added] == ["b"]
    assert [e.name for e in hist.unchanged] == ["a"]
    fresh = Config(id=9)
    assert attributes.get_history(fresh, "id").added == [9]  # never loaded: all added


def test_versioned_map_recipe_keeps_the_old_version_rows(session):
    session.add(Config(id=1, entries={"a": Entry(name="a", value="1")}))
    session.commit()
    c = session.get(Config, 1)
    c.entries["b"] = Entry(name="b", value="2")
    c.new_version()
    c.id = 2
    session.add(c)
    session.commit()
    rows = session.execute(select(Entry.config_id, Entry.name, Entry.value)).all()
    assert sorted(rows) == [(1, "a", "1"), (2, "a", "1"), (2, "b", "2")]
    old = session.get(Config, 1)
    assert {k: e.value for k, e in old.entries.items()} == {"a": "1"}
    assert {k: e.value for k, e in c.entries.items()} == {"a": "1", "b": "2"}
