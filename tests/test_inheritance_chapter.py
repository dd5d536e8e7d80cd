"""SQLAlchemy's chapter "Mapping Class Inheritance Hierarchies" (issue 16), pattern by pattern.

Each test maps one of the chapter's examples with the imports changed (a fresh
declarative base per test), writes objects through the unit of work and reads the rows
back, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    exc,
    joinedload,
    select,
    selectinload,
    with_polymorphic,
)
from uow_orm.ext.declarative import ConcreteBase
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _employee(base: Any) -> Any:
    class Employee(base):
        __tablename__ = "employee"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        type: Mapped[str] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_identity": "employee", "polymorphic_on": "type"}

        def __repr__(self) -> str:
            return f"{self.__class__.__name__}({self.name!r})"

    return Employee


# -- joined table inheritance ------------------------------------------------------------------
def test_joined_table_hierarchy_of_the_chapter(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    Employee = _employee(Base)

    class Engineer(Employee):
        __tablename__ = "engineer"
        id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
        engineer_name: Mapped[str] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_identity": "engineer"}

    class Manager(Employee):
        __tablename__ = "manager"
        id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
        manager_name: Mapped[str] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_identity": "manager"}

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Employee(name="e"),
                Engineer(name="g", engineer_name="gn"),
                Manager(name="m", manager_name="mn"),
            ]
        )
        s.commit()
    with Session(engine) as s:
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        assert [repr(o) for o in got] == ["Employee('e')", "Engineer('g')", "Manager('m')"]
        assert got[2].manager_name == "mn"  # a subclass column loads on access
        assert s.scalars(select(Manager)).one() is got[2]
    assert fetch(engine, "SELECT type FROM employee ORDER BY id") == [
        ("employee",),
        ("engineer",),
        ("manager",),
    ]
    assert fetch(engine, "SELECT engineer_name FROM engineer") == [("gn",)]


def test_joined_relationship_to_the_base_and_to_a_subclass(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Company(Base):
        __tablename__ = "company"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        employees: Mapped[list[Employee]] = relationship(back_populates="company")
        managers: Mapped[list[Manager]] = relationship(
            back_populates="managed_company", overlaps="employees"
        )

    class Employee(Base):
        __tablename__ = "employee"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50))
        type: Mapped[str] = mapped_column(String(50))
        company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
        company: Mapped[Company | None] = relationship(back_populates="employees")
        __mapper_args__ = {"polymorphic_identity": "employee", "polymorphic_on": "type"}

    class Manager(Employee):
        __tablename__ = "manager"
        id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
        manager_name: Mapped[str] = mapped_column(String(50))
        # the chapter's second form: the foreign key on the subclass's own table
        managed_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
        managed_company: Mapped[Company | None] = relationship(
            back_populates="managers", foreign_keys=[managed_id], overlaps="company"
        )
        __mapper_args__ = {"polymorphic_identity": "manager"}

    class Engineer(Employee):
        __tablename__ = "engineer"
        id: Mapped[int] = mapped_column(ForeignKey("employee.id"), primary_key=True)
        __mapper_args__ = {"polymorphic_identity": "engineer"}

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        acme = Company(id=1, name="acme")
        boss = Manager(name="boss", manager_name="b", company=acme)
        acme.managers.append(boss)
        acme.employees.append(Engineer(name="eng"))
        s.add(acme)
        s.commit()
    assert fetch(engine, "SELECT company_id, type FROM employee ORDER BY id") == [
        (1, "manager"),
        (1, "engineer"),
    ]
    assert fetch(engine, "SELECT managed_id, manager_name FROM manager") == [(1, "b")]
    with Session(engine) as s:
        acme = s.scalars(select(Company).options(selectinload(Company.employees))).one()
        assert [type(e) for e in acme.employees] == [Manager, Engineer]
        assert acme.managers == [acme.employees[0]]
        assert acme.managers[0].managed_company is acme


# -- single table inheritance ------------------------------------------------------------------
def test_single_table_hierarchy_with_use_existing_column(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    Employee = _employee(Base)

    class HasStartDate:
        start_date: Mapped[datetime | None] = mapped_column(use_existing_column=True)

    class Engineer(HasStartDate, Employee):
        engineer_info: Mapped[str | None] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_identity": "engineer"}

    class Manager(HasStartDate, Employee):
        manager_data: Mapped[str | None] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_identity": "manager"}

    assert set(Employee.__table__.c.keys()) == {
        "id",
        "name",
        "type",
        "start_date",
        "engineer_info",
        "manager_data",
    }
    Base.metadata.create_all(engine)
    when = datetime(2024, 1, 2, 3, 4, 5)
    with Session(engine) as s:
        s.add_all(
            [
                Engineer(name="g", start_date=when, engineer_info="i"),
                Manager(name="m", start_date=when, manager_data="d"),
            ]
        )
        s.commit()
    assert fetch(engine, "SELECT type, start_date IS NOT NULL FROM employee ORDER BY id") in (
        [("engineer", 1), ("manager", 1)],
        [("engineer", True), ("manager", True)],
    )
    with Session(engine) as s:
        assert [m.start_date for m in s.scalars(select(Manager))] == [when]
        assert [e.engineer_info for e in s.scalars(select(Engineer))] == ["i"]


def test_polymorphic_abstract_intermediate_classes(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Company(Base):
        __tablename__ = "company"
        id = Column(Integer, primary_key=True)
        executives: Mapped[list[Executive]] = relationship(overlaps="technologists")
        technologists: Mapped[list[Technologist]] = relationship(overlaps="executives")

    class Employee(Base):
        __tablename__ = "employee"
        id: Mapped[int] = mapped_column(primary_key=True)
        company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
        name: Mapped[str] = mapped_column(String(50))
        type: Mapped[str] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_on": "type"}

    class Executive(Employee):
        executive_background: Mapped[str | None] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_abstract": True}

    class Technologist(Employee):
        competencies: Mapped[str | None] = mapped_column(String(50))
        __mapper_args__ = {"polymorphic_abstract": True}

    class Manager(Executive):
        __mapper_args__ = {"polymorphic_identity": "manager"}

    class Principal(Executive):
        __mapper_args__ = {"polymorphic_identity": "principal"}

    class Engineer(Technologist):
        __mapper_args__ = {"polymorphic_identity": "engineer"}

    class SysAdmin(Technologist):
        __mapper_args__ = {"polymorphic_identity": "sysadmin"}

    Base.metadata.create_all(engine)
    with pytest.raises(exc.InvalidRequestError, match="polymorphic_abstract"):
        Technologist(name="t")
    with Session(engine) as s:
        c = Company(id=1)
        c.executives = [Manager(name="m", executive_background="mba"), Principal(name="p")]
        c.technologists = [Engineer(name="e", competencies="java"), SysAdmin(name="s")]
        s.add(c)
        s.commit()
    assert fetch(engine, "SELECT type FROM employee ORDER BY id") == [
        ("manager",),
        ("principal",),
        ("engineer",),
        ("sysadmin",),
    ]
    with Session(engine) as s:
        techs = s.scalars(select(Technologist).order_by(Technologist.id)).all()
        assert [type(t) for t in techs] == [Engineer, SysAdmin]
        stmt = (
            select(Company)
            .join(Company.technologists)
            .where(Technologist.competencies.ilike("%java%"))
            .options(selectinload(Company.executives))
        )
        company = s.scalars(stmt).one()
        assert [type(e) for e in company.executives] == [Manager, Principal]
        assert [type(t) for t in company.technologists] == [Engineer, SysAdmin]


# -- concrete table inheritance ----------------------------------------------------------------
def test_concrete_without_a_polymorphic_base_queries_each_table(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Employee(Base):
        __tablename__ = "employee"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))

    class Manager(Employee):
        __tablename__ = "manager"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))
        manager_data = mapped_column(String(50))
        __mapper_args__ = {"concrete": True}

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Employee(id=1, name="e"), Manager(id=1, name="m", manager_data="d")])
        s.commit()
    with Session(engine) as s:
        assert [type(o) for o in s.scalars(select(Employee))] == [Employee]
        m = s.get(Manager, 1)
        assert (type(m), m.name, m.manager_data) == (Manager, "m", "d")
        assert s.get(Employee, 1) is not m
    assert fetch(engine, "SELECT id, name, manager_data FROM manager") == [(1, "m", "d")]


def test_concrete_base_relationships_to_and_from_the_polymorphic_union(engine: Any) -> None:
    # (a relationship to an AbstractConcreteBase class needs declared_attr in SQLAlchemy
    # too; the chapter shows this form with ConcreteBase)
    class Base(DeclarativeBase):
        pass

    class Company(Base):
        __tablename__ = "company"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))
        employees = relationship("Employee", back_populates="company")

    class Employee(ConcreteBase, Base):
        __tablename__ = "employee"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))
        company_id = mapped_column(ForeignKey("company.id"))
        company = relationship("Company", back_populates="employees")
        __mapper_args__ = {"polymorphic_identity": "employee", "concrete": True}

    class Manager(Employee):
        __tablename__ = "manager"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))
        manager_data = mapped_column(String(40))
        company_id = mapped_column(ForeignKey("company.id"))
        company = relationship("Company", back_populates="employees")
        __mapper_args__ = {"polymorphic_identity": "manager", "concrete": True}

    class Engineer(Employee):
        __tablename__ = "engineer"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))
        engineer_info = mapped_column(String(40))
        company_id = mapped_column(ForeignKey("company.id"))
        company = relationship("Company", back_populates="employees")
        __mapper_args__ = {"polymorphic_identity": "engineer", "concrete": True}

    Base.registry.configure()
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        acme = Company(id=1, name="acme")
        acme.employees = [
            Manager(id=1, name="m", manager_data="d"),
            Engineer(id=2, name="g", engineer_info="i"),
        ]
        s.add_all([acme, Company(id=2, name="other", employees=[Employee(id=3, name="x")])])
        s.commit()
    assert fetch(engine, "SELECT id, name, company_id FROM manager") == [(1, "m", 1)]
    assert fetch(engine, "SELECT id, company_id FROM employee") == [(3, 2)]
    assert fetch(engine, "SELECT id, engineer_info, company_id FROM engineer") == [(2, "i", 1)]
    with Session(engine) as s:
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        assert [(type(o), o.name) for o in got] == [
            (Manager, "m"),
            (Engineer, "g"),
            (Employee, "x"),
        ]
        acme = s.get(Company, 1)
        assert sorted(e.name for e in acme.employees) == ["g", "m"]  # (lazy load)
        assert all(e.company is acme for e in acme.employees)
        s.expunge_all()
        both = s.scalars(
            select(Company).options(selectinload(Company.employees)).order_by(Company.id)
        ).all()
        assert [sorted(type(e).__name__ for e in c.employees) for c in both] == [
            ["Engineer", "Manager"],
            ["Employee"],
        ]
        s.expunge_all()
        joined = s.scalars(
            select(Company).options(joinedload(Company.employees)).order_by(Company.id)
        )
        assert [sorted(e.name for e in c.employees) for c in joined.unique()] == [
            ["g", "m"],
            ["x"],
        ]
        a = with_polymorphic(Employee, "*", aliased=True)
        b = with_polymorphic(Employee, "*", aliased=True)
        pairs = (
            select(a.name, b.name)
            .join(b, a.company_id == b.company_id)
            .where(a.id < b.id)
            .order_by(a.id)
        )
        assert s.execute(pairs).all() == [("m", "g")]
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        s.delete(got[0])
        s.commit()
    assert fetch(engine, "SELECT count(*) FROM manager") == [(0,)]


def test_abstract_base_maps_nothing_and_each_class_its_table(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Employee(Base):
        __abstract__ = True

    class Manager(Employee):
        __tablename__ = "manager"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(50))

    assert "__mapper__" not in Employee.__dict__
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Manager(id=1, name="m"))
        s.commit()
    assert fetch(engine, "SELECT id, name FROM manager") == [(1, "m")]


def test_semi_classical_concrete_mapping_with_polymorphic_union(engine: Any) -> None:
    from uow_orm import Table
    from uow_orm.orm import polymorphic_union

    class Base(DeclarativeBase):
        pass

    metadata_obj = Base.metadata
    employees_table = Table(
        "employee",
        metadata_obj,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
    )
    managers_table = Table(
        "manager",
        metadata_obj,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("manager_data", String(50)),
    )
    engineers_table = Table(
        "engineer",
        metadata_obj,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("engineer_info", String(50)),
    )
    pjoin = polymorphic_union(
        {"employee": employees_table, "manager": managers_table, "engineer": engineers_table},
        "type",
        "pjoin",
    )

    class Employee(Base):
        __table__ = employees_table
        __mapper_args__ = {
            "polymorphic_on": pjoin.c.type,
            "with_polymorphic": ("*", pjoin),
            "polymorphic_identity": "employee",
        }

    class Engineer(Employee):
        __table__ = engineers_table
        __mapper_args__ = {"polymorphic_identity": "engineer", "concrete": True}

    class Manager(Employee):
        __table__ = managers_table
        __mapper_args__ = {"polymorphic_identity": "manager", "concrete": True}

    assert "AS pjoin" in str(select(Employee)) and "CAST(NULL AS VARCHAR(50))" in str(pjoin)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Employee(id=1, name="e"),
                Manager(id=2, name="m", manager_data="md"),
                Engineer(id=3, name="g", engineer_info="gi"),
            ]
        )
        s.commit()
    assert fetch(engine, "SELECT id, manager_data FROM manager") == [(2, "md")]
    with Session(engine) as s:
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        assert [(type(o), o.name) for o in got] == [
            (Employee, "e"),
            (Manager, "m"),
            (Engineer, "g"),
        ]
        assert got[1].__dict__["manager_data"] == "md"  # with the union's row
        assert s.scalars(select(Employee).where(Employee.name == "g")).one() is got[2]
        assert s.scalars(select(Manager)).all() == [got[1]]


def test_polymorphic_union_refusals() -> None:
    from uow_orm import Table
    from uow_orm.orm import polymorphic_union

    class Base(DeclarativeBase):
        pass

    t = Table("thing", Base.metadata, Column("id", Integer, primary_key=True))
    pjoin = polymorphic_union({"thing": t}, "type", "pjoin")
    with pytest.raises(exc.ArgumentError, match="needs at least one table"):
        polymorphic_union({}, "type")
    with pytest.raises(exc.ArgumentError, match="polymorphic_on"):

        class Thing(Base):
            __table__ = t
            __mapper_args__ = {"polymorphic_on": t.c.id, "with_polymorphic": ("*", pjoin)}
