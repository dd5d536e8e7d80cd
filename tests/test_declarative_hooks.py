"""Declarative configuration hooks of SQLAlchemy's declarative-config guide: a class's own
``metadata``, a ``declared_attr`` ``__mapper_args__`` reading ``cls.__table__``, and
``__table_cls__`` (renaming tables, or returning None for single-table inheritance)."""

from __future__ import annotations

from typing import Any, Union

import pytest
from conftest import fetch

from uow_orm import (
    JSON,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    exc,
    select,
)
from uow_orm.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, registry


def test_class_metadata_attribute_receives_its_table() -> None:
    reg = registry()

    class BaseOne:
        metadata = MetaData()

    @reg.mapped
    class ClassOne:
        __tablename__ = "dh_t1"
        id = mapped_column(Integer, primary_key=True)

    @reg.mapped
    class ClassTwo(BaseOne):
        __tablename__ = "dh_t1"
        id = mapped_column(Integer, primary_key=True)

    assert ClassOne.__table__.metadata is reg.metadata  # type: ignore[attr-defined]
    assert ClassTwo.__table__.metadata is BaseOne.metadata  # type: ignore[attr-defined]
    assert list(BaseOne.metadata.tables) == ["dh_t1"]


def test_declared_attr_mapper_args_can_read_the_table() -> None:
    class ExcludeFlagged:
        @declared_attr
        def __mapper_args__(cls) -> dict[str, Any]:
            cols = cls.__table__.c  # type: ignore[attr-defined]
            return {"exclude_properties": [c.key for c in cols if c.info.get("exclude")]}

    class Local(DeclarativeBase):
        pass

    class Thing(ExcludeFlagged, Local):
        __tablename__ = "dh_thing"
        id = mapped_column(Integer, primary_key=True)
        data = mapped_column(String(20))
        not_needed = mapped_column(String(20), info={"exclude": True})

    assert set(Thing.__mapper__.columns.keys()) == {"id", "data"}


class Base(DeclarativeBase):
    pass


class Prefixed:
    @classmethod
    def __table_cls__(cls, name: str, metadata_obj: MetaData, *arg: Any, **kw: Any) -> Table:
        return Table(f"my_{name}", metadata_obj, *arg, **kw)


class Widget(Prefixed, Base):
    __tablename__ = "dh_widget"
    id = mapped_column(Integer, primary_key=True)
    name = mapped_column(String(20))


class AutoTable:
    @classmethod
    def __table_cls__(cls, *arg: Any, **kw: Any) -> Table | None:
        for obj in arg[2:]:
            if (isinstance(obj, Column) and obj.primary_key) or isinstance(
                obj, PrimaryKeyConstraint
            ):
                return Table(*arg, **kw)
        return None


class Person(AutoTable, Base):
    __tablename__ = "dh_person"
    id = mapped_column(Integer, primary_key=True)
    kind = mapped_column(String(20))
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "person"}


class Employee(Person):
    __tablename__ = "dh_employee"
    employee_name = mapped_column(String(20))
    __mapper_args__ = {"polymorphic_identity": "employee"}


def test_table_cls_makes_the_table(session: Session) -> None:
    assert Widget.__table__.name == "my_dh_widget"
    session.add(Widget(id=1, name="w"))
    session.commit()
    assert fetch(session.bind, "SELECT id, name FROM my_dh_widget") == [(1, "w")]


def test_table_cls_returning_none_maps_single_table_inheritance(session: Session) -> None:
    assert Employee.__table__ is Person.__table__
    assert "employee_name" in Person.__table__.c
    session.add_all([Person(id=1), Employee(id=2, employee_name="e")])
    session.commit()
    rows = fetch(session.bind, "SELECT id, kind, employee_name FROM dh_person ORDER BY id")
    assert rows == [(1, "person", None), (2, "employee", "e")]
    session.expunge_all()
    assert [type(p).__name__ for p in session.scalars(select(Person).order_by(Person.id))] == [
        "Person",
        "Employee",
    ]


def test_table_cls_returning_none_for_a_base_class_is_refused() -> None:
    class Local(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="__table_cls__ returned None"):

        class Nothing(AutoTable, Local):
            __tablename__ = "dh_nothing"
            name = mapped_column(String(20))


json_scalar = Union[float, str, bool]  # noqa: UP007 - the guide's old-style union


class UnionBase(DeclarativeBase):
    type_annotation_map = {json_scalar: JSON}


class Setting(UnionBase):
    __tablename__ = "dh_setting"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[json_scalar]
    maybe: Mapped[json_scalar | None]


DB_BASES = (Base, UnionBase)


def test_optional_union_uses_the_union_entry_of_the_type_map(session: Session) -> None:
    table = Setting.__table__
    assert isinstance(table.c.maybe.type, JSON) and table.c.maybe.nullable
    assert isinstance(table.c.value.type, JSON) and not table.c.value.nullable
    session.add_all([Setting(id=1, value=1.5, maybe=None), Setting(id=2, value="x", maybe=True)])
    session.commit()
    session.expunge_all()
    got = session.execute(select(Setting.value, Setting.maybe).order_by(Setting.id)).all()
    assert [tuple(r) for r in got] == [(1.5, None), ("x", True)]
