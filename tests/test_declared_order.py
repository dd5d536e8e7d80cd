"""What serializer libraries (marshmallow-sqlalchemy, run against uow_orm with its imports
redirected) read from a mapping at import time, checked against SQLAlchemy as the oracle:

- a table's columns in the order the class body wrote them, annotated-only columns
  (``x: Mapped[int]``) and plain ``Column`` / ``mapped_column()`` mixed, read back from
  the database's own catalogue on SQLite and PostgreSQL;
- ``Mapper.attrs`` / ``relationships`` configure first, so a backref another class
  declares is listed before any query;
- ``ForeignKey(School.id)`` (an ORM attribute) and ``ForeignKeyConstraint`` given
  Column objects;
- ``SynonymProperty._proxied_object`` and ``foreign_keys`` on any column expression.
"""

# (no `from __future__ import annotations`: the models are built by a function for both
# libraries, and their annotations must be evaluated where `orm` is in scope)
from typing import Any

import pytest
import sqlalchemy
import sqlalchemy.orm
from conftest import fetch

import uow_orm
import uow_orm.orm
from uow_orm import exc, inspect


def _models(sa: Any, orm: Any) -> tuple[Any, Any, Any]:
    class Base(orm.DeclarativeBase):
        pass

    class School(Base):
        __tablename__ = "do_school"
        id = sa.Column(sa.Integer, primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(30))

    class Student(Base):
        __tablename__ = "do_student"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        nickname: orm.Mapped[str | None]
        school_id = sa.Column(sa.ForeignKey(School.id))
        school = orm.relationship(School, backref=orm.backref("students"))
        alias = orm.synonym("nickname")
        born = sa.Column(sa.Date)
        grade: orm.Mapped[int] = orm.mapped_column(default=1)
        email: orm.Mapped[str | None]

    return Base, School, Student


@pytest.fixture
def both() -> tuple[tuple[Any, Any, Any], tuple[Any, Any, Any]]:
    return _models(uow_orm, uow_orm.orm), _models(sqlalchemy, sqlalchemy.orm)


def test_table_columns_in_written_order_like_sqlalchemy(both: Any) -> None:
    (_b, _s, ours), (_sb, _ss, theirs) = both
    assert list(ours.__table__.c.keys()) == list(theirs.__table__.c.keys())
    assert list(ours.__table__.c.keys()) == [
        "id",
        "nickname",
        "school_id",
        "born",
        "grade",
        "email",
    ]


def test_created_table_has_that_order(engine: Any, backend: str) -> None:
    base, _school, _student = _models(uow_orm, uow_orm.orm)
    base.metadata.create_all(engine)
    if backend == "sqlite":
        cols = [r[1] for r in fetch(engine, "PRAGMA table_info(do_student)")]
    else:
        cols = [
            r[0]
            for r in fetch(
                engine,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'do_student' ORDER BY ordinal_position",
            )
        ]
    assert cols == ["id", "nickname", "school_id", "born", "grade", "email"]


def test_attrs_lists_a_backref_before_any_query(both: Any) -> None:
    (_b, school, _st), (_sb, sa_school, _sst) = both
    assert "students" in school.__mapper__.attrs.keys()
    assert sorted(p.key for p in school.__mapper__.attrs) == sorted(
        p.key for p in sa_school.__mapper__.attrs
    )
    assert [r.key for r in inspect(school).relationships] == ["students"]
    assert school.__mapper__.attrs["students"].direction.name == "ONETOMANY"


def test_attrs_of_a_registry_that_cannot_configure_raises(engine: Any) -> None:
    class Base(uow_orm.orm.DeclarativeBase):
        pass

    class Orphan(Base):
        __tablename__ = "do_orphan"
        id: uow_orm.orm.Mapped[int] = uow_orm.orm.mapped_column(primary_key=True)
        owner = uow_orm.orm.relationship("NoSuchClass")

    try:
        with pytest.raises(exc.InvalidRequestError, match="NoSuchClass"):
            list(Orphan.__mapper__.attrs)
    finally:
        Base.registry.dispose()


def test_foreign_key_given_an_orm_attribute(engine: Any) -> None:
    base, school, student = _models(uow_orm, uow_orm.orm)
    fk = next(iter(student.__table__.c.school_id.foreign_keys))
    assert fk.column is school.__table__.c.id
    base.metadata.create_all(engine)
    with uow_orm.orm.Session(engine) as s:
        s.add(student(id=1, school=school(id=7, name="north")))
        s.commit()
    assert fetch(engine, "SELECT id, school_id FROM do_student") == [(1, 7)]
    with pytest.raises(exc.ArgumentError, match="ForeignKey\\(\\) takes"):
        uow_orm.ForeignKey(42)  # type: ignore[arg-type]


def test_foreign_key_constraint_given_columns(engine: Any) -> None:
    md = uow_orm.MetaData()
    parent = uow_orm.Table(
        "do_parent",
        md,
        uow_orm.Column("a", uow_orm.Integer, primary_key=True),
        uow_orm.Column("b", uow_orm.Integer, primary_key=True),
    )
    pa = uow_orm.Column("pa", uow_orm.Integer)
    pb = uow_orm.Column("pb", uow_orm.Integer)
    child = uow_orm.Table(
        "do_child",
        md,
        uow_orm.Column("id", uow_orm.Integer, primary_key=True),
        pa,
        pb,
        uow_orm.ForeignKeyConstraint([pa, pb], [parent.c.a, parent.c.b]),
    )
    md.create_all(engine)
    assert {fk.column for fk in child.foreign_keys} == {parent.c.a, parent.c.b}
    with engine.begin() as conn:
        conn.execute(parent.insert(), [{"a": 1, "b": 2}])
        conn.execute(child.insert(), [{"id": 1, "pa": 1, "pb": 2}])
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(child.insert(), [{"id": 2, "pa": 9, "pb": 9}])
    assert fetch(engine, "SELECT id, pa, pb FROM do_child") == [(1, 1, 2)]
    with pytest.raises(exc.ArgumentError, match="ForeignKeyConstraint\\(\\) takes"):
        uow_orm.ForeignKeyConstraint([3], ["do_parent.a"])  # type: ignore[list-item]


def test_synonym_proxied_object_and_expression_foreign_keys(both: Any) -> None:
    (_b, _s, student), (_sb, _ss, sa_student) = both
    prop = student.__mapper__.attrs["alias"]
    assert prop._proxied_object is student.__mapper__.attrs["nickname"]
    sa_prop = sa_student.__mapper__.attrs["alias"]
    assert sa_prop._proxied_object.key == prop._proxied_object.key
    label = (student.grade + 1).label("next")
    assert list(label.foreign_keys) == [] == list(sa_student.grade.expression.foreign_keys)
    assert [fk.column.name for fk in student.__table__.c.school_id.foreign_keys] == ["id"]
