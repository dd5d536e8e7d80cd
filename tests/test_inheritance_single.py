"""Single-table inheritance (issue 16): mapping, flush, get, queries, relationships.

The hierarchy is SQLAlchemy's documentation example (Employee / Manager / Engineer on one
``employee`` table, discriminator ``type``) plus a second level (Director under Manager),
a company they belong to and a self-referential ``reports`` relationship declared on a
subclass. Every test runs on SQLite and PostgreSQL and reads rows back from the database.
"""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

import pytest

from uow_orm import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Session,
    String,
    case,
    declarative_base,
    delete,
    exc,
    func,
    inspect,
    relationship,
    select,
    selectinload,
    text,
    update,
    with_polymorphic,
)
from uow_orm.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    employees: Mapped[list[Employee]] = relationship(
        back_populates="company", order_by="Employee.id"
    )
    managers: Mapped[list[Manager]] = relationship(viewonly=True, order_by="Employee.id")


class Employee(Base):
    __tablename__ = "employee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    boss_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    version: Mapped[int] = mapped_column(default=1)
    company: Mapped[Company | None] = relationship(back_populates="employees")
    boss: Mapped[Manager | None] = relationship(
        back_populates="reports", remote_side="Employee.id", foreign_keys=[boss_id]
    )
    __mapper_args__ = {
        "polymorphic_on": "type",
        "polymorphic_identity": "employee",
        "version_id_col": version,
    }


class Manager(Employee):
    manager_name: Mapped[str] = mapped_column(String(40))
    reports: Mapped[list[Employee]] = relationship(
        back_populates="boss", foreign_keys="Employee.boss_id", order_by="Employee.id"
    )
    __mapper_args__ = {"polymorphic_identity": "manager"}


class Engineer(Employee):
    engineer_info: Mapped[str | None] = mapped_column(String(40))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


class Director(Manager):
    budget: Mapped[int | None]
    __mapper_args__ = {"polymorphic_identity": "director"}


@pytest.fixture
def eng(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def _rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).fetchall()]


def _staff(s: Session) -> None:
    acme = Company(id=1, name="acme")
    boss = Director(id=1, name="dora", manager_name="d", budget=10, company=acme)
    s.add_all(
        [
            boss,
            Manager(id=2, name="mia", manager_name="m", company=acme, boss=boss),
            Engineer(id=3, name="eve", engineer_info="rust", company=acme, boss=boss),
            Employee(id=4, name="emil", company=acme),
        ]
    )
    s.commit()


# -- mapping ---------------------------------------------------------------------------------
def test_subclass_columns_join_the_base_table_and_are_nullable() -> None:
    table = Employee.__table__
    assert Manager.__table__ is table and Director.__table__ is table
    assert {"manager_name", "engineer_info", "budget"} <= set(table.c.keys())
    # Mapped[str] on a subclass: nullable, as the table holds the other classes' rows
    assert table.c.manager_name.nullable is True
    assert table.c.name.nullable is False


def test_mapper_inspection_describes_the_hierarchy() -> None:
    em, mm, dm, en = (inspect(c) for c in (Employee, Manager, Director, Engineer))
    assert mm.inherits is em and dm.inherits is mm and em.inherits is None
    assert dm.base_mapper is em and em.base_mapper is em
    assert em.polymorphic_map == {"employee": em, "manager": mm, "engineer": en, "director": dm}
    assert mm.polymorphic_map is em.polymorphic_map
    assert dm.polymorphic_identity == "director"
    assert em.polymorphic_on is Employee.__table__.c.type
    assert mm.polymorphic_on is Employee.__table__.c.type
    assert mm.single and not em.single
    assert em.self_and_descendants == [em, mm, en, dm]
    assert mm.self_and_descendants == [mm, dm]
    assert list(dm.iterate_to_root()) == [dm, mm, em]
    assert list(mm.polymorphic_iterator()) == [mm, dm]
    assert dm.isa(em) and dm.isa(mm) and not mm.isa(dm) and not en.isa(mm)
    assert en.common_parent(dm) and not en.common_parent(inspect(Company))
    assert mm.local_table is em.local_table and mm.persist_selectable is em.local_table
    assert "manager_name" in mm.columns and "manager_name" not in em.columns
    assert "company" in mm.relationships and mm.attrs["company"].parent is em
    assert "reports" in dm.relationships and "reports" not in em.relationships
    assert inspect(Director(name="x")).mapper is dm
    assert {"company", "reports", "budget", "name"} <= set(dm.all_orm_descriptors.keys())


def test_discriminator_is_set_at_construction() -> None:
    assert Manager(name="m").type == "manager"
    assert Director().type == "director"
    assert Employee().type == "employee"
    assert Engineer(type="engineer", name="e").type == "engineer"


def test_flush_inserts_the_discriminator_and_subclass_columns(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    assert _rows(
        eng, "SELECT id, type, manager_name, engineer_info, budget FROM employee ORDER BY id"
    ) == [
        (1, "director", "d", None, 10),
        (2, "manager", "m", None, None),
        (3, "engineer", None, "rust", None),
        (4, "employee", None, None, None),
    ]


# -- loading ---------------------------------------------------------------------------------
def test_select_base_returns_the_subclass_of_each_row(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        assert [type(o) for o in got] == [Director, Manager, Engineer, Employee]
        assert [inspect(o).mapper.class_ for o in got] == [Director, Manager, Engineer, Employee]
        # a subclass column the base query did not select loads on access
        assert got[1].manager_name == "m"
        assert got[0].budget == 10


def test_select_subclass_adds_the_discriminator_criterion(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    log = sql_log(eng)
    with Session(eng) as s:
        managers = s.scalars(select(Manager).order_by(Manager.id)).all()
        assert [(type(m), m.id) for m in managers] == [(Director, 1), (Manager, 2)]
        assert "employee.type IN" in log.sql[-1]
        assert [e.id for e in s.scalars(select(Engineer))] == [3]
        assert [d.id for d in s.scalars(select(Director))] == [1]
        assert s.scalars(select(Manager.name).order_by(Manager.name)).all() == ["dora", "mia"]
        assert s.scalars(select(Manager).where(Manager.manager_name == "m")).one() is managers[1]
        assert s.scalars(select(Employee).where(Employee.type == "engineer")).one().id == 3


def test_get_uses_the_base_identity(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        m = s.get(Employee, 2)
        assert type(m) is Manager
        assert s.get(Manager, 2) is m and s.get(Employee, 2) is m
        assert s.get(Engineer, 2) is None  # in the identity map, but not an engineer
        assert s.get(Director, 2) is None
    with Session(eng) as s:  # not in the identity map: the SELECT has the criterion
        assert s.get(Engineer, 2) is None
        d = s.get(Manager, 1)
        assert type(d) is Director and d.budget == 10
        assert s.get(Employee, 1) is d


def test_unknown_discriminator_value_raises(eng: Any) -> None:
    with Session(eng) as s:
        s.execute(
            text("INSERT INTO employee (id, name, type, version) VALUES (9, 'q', 'bogus', 1)")
        )
        s.commit()
        with pytest.raises(exc.InvalidRequestError, match="No such polymorphic_identity 'bogus'"):
            s.scalars(select(Employee)).all()


def test_with_polymorphic_loads_subclass_columns_in_one_query(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        log = sql_log(eng)
        wp = with_polymorphic(Employee, [Manager, Engineer])
        got = s.scalars(select(wp).order_by(wp.id)).all()
        assert [type(o) for o in got] == [Director, Manager, Engineer, Employee]
        n = len(log)
        assert got[1].manager_name == "m" and got[2].engineer_info == "rust"
        assert len(log) == n  # no lazy loads
        filtered = s.scalars(select(wp).where(wp.Engineer.engineer_info == "rust")).all()
        assert filtered == [got[2]]
    with Session(eng) as s:
        every = s.scalars(select(with_polymorphic(Employee, "*")).order_by(Employee.id)).all()
        assert every[0].__dict__["budget"] == 10


def test_with_polymorphic_refuses_a_class_outside_the_hierarchy() -> None:
    with pytest.raises(exc.ArgumentError, match="not a mapped subclass of Employee"):
        with_polymorphic(Employee, [Company])
    with pytest.raises(exc.ArgumentError, match="selectable not supported"):
        with_polymorphic(Employee, "*", selectable=Employee.__table__)


# -- relationships -------------------------------------------------------------------------
def test_relationships_to_and_from_subclasses(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        acme = s.get(Company, 1)
        assert [type(e) for e in acme.employees] == [Director, Manager, Engineer, Employee]
        assert [m.id for m in acme.managers] == [1, 2]  # the relationship's criterion
        dora = s.get(Director, 1)
        assert [e.id for e in dora.reports] == [2, 3]  # declared on Manager, target the base
        assert s.get(Engineer, 3).boss is dora
        assert dora.reports[0].company is acme
        # back_populates across levels: Manager.reports <-> Employee.boss
        eve = s.get(Engineer, 3)
        mia = s.get(Manager, 2)
        eve.boss = mia
        assert eve in mia.reports and eve not in dora.reports
        s.commit()
    assert _rows(eng, "SELECT boss_id FROM employee WHERE id = 3") == [(2,)]


def test_join_and_selectinload_of_type(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        s.add(Company(id=2, name="empty"))
        s.commit()
    with Session(eng) as s:
        names = s.scalars(
            select(Company.name).join(Company.employees.of_type(Engineer)).distinct()
        ).all()
        assert names == ["acme"]
        q = (
            select(Company)
            .join(Company.employees.of_type(Manager))
            .where(Manager.manager_name == "m")
        )
        assert [c.id for c in s.scalars(q)] == [1]
        assert s.scalars(select(Company.name).join(Company.managers)).all() == ["acme", "acme"]
        comps = s.scalars(
            select(Company).options(selectinload(Company.employees)).order_by(Company.id)
        ).all()
        assert [type(e) for e in comps[0].__dict__["employees"]] == [
            Director,
            Manager,
            Engineer,
            Employee,
        ]
        assert comps[1].__dict__["employees"] == []


def test_self_referential_inserts_order_bosses_first(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        top = Director(name="top", manager_name="t")
        mid = Manager(name="mid", manager_name="m", boss=top)
        low = Engineer(name="low", boss=mid)
        s.add_all([low, mid, top])  # added in the wrong order
        s.commit()
        ids = (top.id, mid.id, low.id)
    assert _rows(eng, f"SELECT boss_id FROM employee WHERE id = {ids[2]}") == [(ids[1],)]
    assert _rows(eng, f"SELECT boss_id FROM employee WHERE id = {ids[1]}") == [(ids[0],)]


# -- unit of work ----------------------------------------------------------------------------
def test_update_and_delete_of_subclass_objects(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        mia = s.get(Manager, 2)
        mia.manager_name = "boss"
        mia.name = "mia2"
        s.delete(s.get(Engineer, 3))
        s.commit()
        assert mia.version == 2  # the version counter lives on the base table
    assert _rows(eng, "SELECT id, name, manager_name, version FROM employee ORDER BY id") == [
        (1, "dora", "d", 1),
        (2, "mia2", "boss", 2),
        (4, "emil", None, 1),
    ]


def test_stale_version_of_a_subclass_row_raises(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        mia = s.get(Manager, 2)
        s.execute(text("UPDATE employee SET version = 7 WHERE id = 2"))
        mia.manager_name = "late"
        with pytest.raises(exc.StaleDataError):
            s.flush()


def test_orm_update_and_delete_of_a_subclass_entity_add_the_criterion(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        s.execute(update(Manager).values(name="promoted"))
        s.execute(delete(Engineer))
        s.commit()
    assert _rows(eng, "SELECT id, name FROM employee ORDER BY id") == [
        (1, "promoted"),
        (2, "promoted"),
        (4, "emil"),
    ]


def test_flush_batches_per_class_not_per_object(eng: Any, sql_log: Any) -> None:
    log = sql_log(eng)
    with Session(eng) as s:
        objs: list[Employee] = []
        for i in range(1, 301):
            cls = (Manager, Engineer, Employee)[i % 3]
            objs.append(
                cls(id=i, name=f"n{i}", manager_name="m")
                if cls is Manager
                else cls(id=i, name=f"n{i}")
            )
        s.add_all(objs)
        s.commit()
    assert log.count("INSERT") == 3
    assert _rows(eng, "SELECT type, count(*) FROM employee GROUP BY type ORDER BY type") == [
        ("employee", 100),
        ("engineer", 100),
        ("manager", 100),
    ]


def test_row_switch_replaces_an_engineer_with_a_manager(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        s.delete(s.get(Engineer, 3))
        s.add(Manager(id=3, name="new", manager_name="nm"))
        s.commit()
        assert type(s.get(Employee, 3)) is Manager
    assert _rows(eng, "SELECT type, name, manager_name FROM employee WHERE id = 3") == [
        ("manager", "new", "nm")
    ]


def test_primary_key_change_of_a_subclass_object_rekeys_it(eng: Any) -> None:
    with Session(eng) as s:
        s.add(Engineer(id=5, name="e"))
        s.commit()
        e = s.get(Employee, 5)
        e.id = 50
        s.commit()
        assert s.get(Engineer, 50) is e and s.get(Employee, 5) is None
    assert _rows(eng, "SELECT id, type FROM employee") == [(50, "engineer")]


def test_savepoint_rollback_restores_subclass_objects(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        mia = s.get(Manager, 2)
        sp = s.begin_nested()
        mia.manager_name = "changed"
        extra = Engineer(id=8, name="tmp")
        s.add(extra)
        s.flush()
        sp.rollback()
        assert mia.manager_name == "m"
        assert inspect(extra).transient
        assert s.get(Employee, 8) is None
        s.commit()
    assert _rows(eng, "SELECT count(*) FROM employee") == [(4,)]


# -- declaration forms ----------------------------------------------------------------------
def test_use_existing_column_shares_one_column_between_siblings(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "e"}

    class Eng(Emp):
        start_date: Mapped[datetime] = mapped_column(nullable=True, use_existing_column=True)
        __mapper_args__ = {"polymorphic_identity": "eng"}

    class Mgr(Emp):
        start_date: Mapped[datetime] = mapped_column(nullable=True, use_existing_column=True)
        __mapper_args__ = {"polymorphic_identity": "mgr"}

    assert Eng.__table__.c.start_date is inspect(Mgr).columns["start_date"]
    with pytest.raises(
        exc.ArgumentError, match=r"conflicts with existing column 'emp\.start_date'"
    ):

        class Other(Emp):
            start_date: Mapped[datetime] = mapped_column(nullable=True)
            __mapper_args__ = {"polymorphic_identity": "other"}

    B.metadata.create_all(engine)
    when = datetime(2024, 5, 1, 9, 30)
    with Session(engine) as s:
        s.add_all([Eng(id=1, start_date=when), Mgr(id=2, start_date=when)])
        s.commit()
    with Session(engine) as s:
        got = s.scalars(select(Emp).order_by(Emp.id)).all()
        assert [(type(o), o.start_date) for o in got] == [(Eng, when), (Mgr, when)]


def test_declared_attr_column_on_a_subclass_mixin(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp2"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "e"}

    class HasStart:
        @declared_attr
        def start_date(cls) -> Mapped[datetime]:
            return cls.__table__.c.get("start_date", Column(DateTime))  # type: ignore[attr-defined,no-any-return]

    class Eng(HasStart, Emp):
        __mapper_args__ = {"polymorphic_identity": "eng"}

    class Mgr(HasStart, Emp):
        __mapper_args__ = {"polymorphic_identity": "mgr"}

    assert inspect(Eng).columns["start_date"] is inspect(Mgr).columns["start_date"]
    B.metadata.create_all(engine)
    when = datetime(2023, 1, 2, 3, 4)
    with Session(engine) as s:
        s.add_all([Eng(id=1, start_date=when), Mgr(id=2)])
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Mgr)).one().start_date is None
        assert s.scalars(select(Eng)).one().start_date == when


def test_classic_declarative_base_and_polymorphic_abstract(engine: Any) -> None:
    B = declarative_base()

    class Vehicle(B):
        __tablename__ = "vehicle"
        id = Column(Integer, primary_key=True)
        kind = Column(String(10), nullable=False)
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_abstract": True}

    class Motorized(Vehicle):
        engine_cc = Column(Integer)
        __mapper_args__ = {"polymorphic_abstract": True}

    class Car(Motorized):
        doors = Column(Integer)
        __mapper_args__ = {"polymorphic_identity": "car"}

    class Bike(Vehicle):
        __mapper_args__ = {"polymorphic_identity": "bike"}

    with pytest.raises(exc.InvalidRequestError, match="polymorphic_abstract"):
        Vehicle()
    with pytest.raises(exc.InvalidRequestError, match="polymorphic_abstract"):
        Motorized()
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Car(id=1, engine_cc=1200, doors=5), Bike(id=2)])
        s.commit()
    with Session(engine) as s:
        assert [type(v) for v in s.scalars(select(Vehicle).order_by(Vehicle.id))] == [Car, Bike]
        assert [c.id for c in s.scalars(select(Motorized))] == [1]
        assert s.get(Vehicle, 1).doors == 5


def test_polymorphic_on_a_case_expression(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp3"
        id: Mapped[int] = mapped_column(primary_key=True)
        type: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = {
            "polymorphic_on": case(
                (type == "EngineerType", "engineer"),
                (type == "ManagerType", "manager"),
                else_="employee",
            ),
            "polymorphic_identity": "employee",
        }

    class Eng(Emp):
        __mapper_args__ = {"polymorphic_identity": "engineer"}

    class Mgr(Emp):
        __mapper_args__ = {"polymorphic_identity": "manager"}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        # an expression discriminator is not set on objects: the column value is given
        s.add_all(
            [Eng(id=1, type="EngineerType"), Mgr(id=2, type="ManagerType"), Emp(id=3, type="x")]
        )
        s.commit()
    with Session(engine) as s:
        assert [type(o) for o in s.scalars(select(Emp).order_by(Emp.id))] == [Eng, Mgr, Emp]
        assert [o.id for o in s.scalars(select(Mgr))] == [2]
        assert type(s.get(Emp, 1)) is Eng


def test_subclass_without_identity_warns_and_loads_as_its_parent() -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp4"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "e"}

    with pytest.warns(exc.SAWarning, match="does not indicate a polymorphic_identity"):

        class Plain(Emp):
            pass

    assert inspect(Plain).inherits is inspect(Emp)


# -- what is refused -----------------------------------------------------------------------
def test_concrete_and_bad_single_table_arguments_are_refused_by_name() -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp5"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "e"}

    with pytest.raises(exc.ArgumentError, match="needs a __tablename__"):

        class Concrete(Emp):
            __mapper_args__ = {"concrete": True}

    with pytest.raises(exc.ArgumentError, match="a single-table subclass takes"):

        class Versioned(Emp):
            __mapper_args__ = {"version_id_col": "kind"}

    with pytest.raises(exc.ArgumentError, match="Can't place __table_args__"):

        class WithArgs(Emp):
            __table_args__ = {"comment": "x"}

    with pytest.raises(exc.ArgumentError, match="cannot add primary key"):

        class Keyed(Emp):
            other_id: Mapped[int] = mapped_column(primary_key=True)


def test_identity_without_polymorphic_on_is_refused() -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp6"
        id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.ArgumentError, match="has no polymorphic_on"):

        class Sub(Emp):
            __mapper_args__ = {"polymorphic_identity": "sub"}


def test_no_warning_for_plain_hierarchy_without_discriminator(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Thing(B):
        __tablename__ = "thing"
        id: Mapped[int] = mapped_column(primary_key=True)
        note: Mapped[str | None]

    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Special(Thing):
            extra: Mapped[str | None]

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Special(id=1, note="n", extra="x"))
        s.commit()
    with Session(engine) as s:
        # without a discriminator every row is the base class, as in SQLAlchemy
        assert type(s.get(Thing, 1)) is Thing
        assert s.get(Special, 1).extra == "x"


def test_selectinload_of_a_subclass_relationship_from_base_queries(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        log = sql_log(eng)
        staff = s.scalars(
            select(Employee).options(selectinload(Manager.reports)).order_by(Employee.id)
        ).all()
        assert log.count("SELECT") == 2  # the employees, then all managers' reports
        assert [e.id for e in staff[0].__dict__["reports"]] == [2, 3]
        assert staff[1].__dict__["reports"] == []
        assert "reports" not in staff[2].__dict__  # an Engineer has no such attribute
    with Session(eng) as s:
        comps = s.scalars(
            select(Company).options(
                selectinload(Company.employees.of_type(Manager)).selectinload(Manager.reports)
            )
        ).all()
        dora = comps[0].__dict__["employees"][0]
        assert type(dora) is Director and [e.id for e in dora.__dict__["reports"]] == [2, 3]


def test_aliased_subclass_entity_gets_the_criterion(eng: Any) -> None:
    from uow_orm import aliased

    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        m = aliased(Manager)
        assert sorted(o.id for o in s.scalars(select(m))) == [1, 2]
        assert s.scalars(select(m.name).where(m.id == 3)).all() == []


def test_polymorphic_load_inline_selects_subclass_columns_with_the_base(
    engine: Any, sql_log: Any
) -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp7"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "e"}

    class Mgr(Emp):
        manager_name: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_identity": "m", "polymorphic_load": "inline"}

    class Eng(Emp):
        engineer_info: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_identity": "g"}

    with pytest.raises(exc.ArgumentError, match="polymorphic_load='selectin' is not supported"):

        class Other(Emp):
            __mapper_args__ = {"polymorphic_identity": "o", "polymorphic_load": "selectin"}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Mgr(id=1, manager_name="boss"), Eng(id=2, engineer_info="x"), Emp(id=3)])
        s.commit()
    log = sql_log(engine)
    with Session(engine) as s:
        mgr, eng, emp = s.scalars(select(Emp).order_by(Emp.id)).all()
        assert mgr.__dict__["manager_name"] == "boss"  # inline: loaded with the base query
        assert "engineer_info" not in eng.__dict__  # not inline: loads on access
        assert "manager_name" not in emp.__dict__
        n = log.count("SELECT")
        assert eng.engineer_info == "x"
        assert log.count("SELECT") == n + 1
        s.expire(emp)
        assert emp.id == 3


def test_map_imperatively_with_inherits(engine: Any) -> None:
    from uow_orm import MetaData, Table
    from uow_orm.orm import registry

    reg = registry()
    staff = Table(
        "staff",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("kind", String(10), nullable=False),
        Column("name", String(20)),
    )

    class Person:
        pass

    class Boss(Person):
        pass

    class Stranger:
        pass

    person_mapper = reg.map_imperatively(
        Person, staff, polymorphic_on=staff.c.kind, polymorphic_identity="person"
    )
    boss_mapper = reg.map_imperatively(
        Boss,
        inherits=person_mapper,
        polymorphic_identity="boss",
        properties={"perks": Column("perks", String(20))},
    )
    assert boss_mapper.inherits is person_mapper and "perks" in staff.c
    with pytest.raises(exc.ArgumentError, match="must be a Python subclass of Person"):
        reg.map_imperatively(Stranger, inherits=Person, polymorphic_identity="x")
    with pytest.raises(exc.NoForeignKeysError, match="needs a primary key column with a"):
        reg.map_imperatively(
            type("Other", (Person,), {}),
            Table("other", MetaData(), Column("id", Integer, primary_key=True)),
            inherits=Person,
        )
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        b = Boss()
        b.id, b.name, b.perks = 1, "b", "car"
        p = Person()
        p.id, p.name = 2, "p"
        s.add_all([b, p])
        s.commit()
    assert _rows(engine, "SELECT id, kind, perks FROM staff ORDER BY id") == [
        (1, "boss", "car"),
        (2, "person", None),
    ]
    with Session(engine) as s:
        assert [type(o) for o in s.scalars(select(Person).order_by(staff.c.id))] == [Boss, Person]


def test_bulk_inserts_of_a_subclass_set_the_discriminator(eng: Any) -> None:
    from uow_orm import func, insert

    with Session(eng) as s:
        s.bulk_insert_mappings(Manager, [{"id": 1, "name": "a", "manager_name": "x"}])
        s.execute(insert(Engineer), [{"id": 2, "name": "b"}, {"id": 3, "name": "c"}])
        s.bulk_save_objects([Director(id=4, name="d")])
        s.commit()
        assert s.scalar(select(func.count()).select_from(Manager)) == 2
        assert s.scalar(select(func.count(Manager.id))) == 2
        assert s.scalar(select(func.max(Engineer.id).label("top"))) == 3
        assert s.scalar(select(func.count()).select_from(Employee)) == 4
    assert _rows(eng, "SELECT id, type FROM employee ORDER BY id") == [
        (1, "manager"),
        (2, "engineer"),
        (3, "engineer"),
        (4, "director"),
    ]


def test_orm_update_of_the_base_expires_subclass_objects(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        mia = s.get(Manager, 2)
        s.execute(update(Employee).where(Employee.id == 2).values(name="renamed"))
        assert mia.name == "renamed"
        s.execute(update(Employee).values(version=Employee.version + 1))
        assert mia.version == 2


def _scenario(lib: Any, orm: Any, url: str) -> list[Any]:
    """One single-table scenario, written once for both libraries (the oracle check)."""

    class B(orm.DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "oracle_emp"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20))
        type = lib.Column(lib.String(20), nullable=False)
        __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "emp"}

    class Mgr(Emp):
        manager_name = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "mgr"}

    class Eng(Emp):
        info = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "eng"}

    class Lead(Eng):
        __mapper_args__ = {"polymorphic_identity": "lead"}

    engine = lib.create_engine(url)
    B.metadata.create_all(engine)
    out: list[Any] = []
    with orm.Session(engine) as s:
        s.add_all(
            [Mgr(id=1, name="m"), Eng(id=2, name="e"), Lead(id=3, name="l"), Emp(id=4, name="x")]
        )
        s.commit()
        out.append([type(o).__name__ for o in s.scalars(lib.select(Emp).order_by(Emp.id))])
        out.append([o.id for o in s.scalars(lib.select(Eng).order_by(Eng.id))])
        out.append([s.get(Eng, 1), type(s.get(Emp, 3)).__name__, s.get(Lead, 2)])
        s.execute(lib.update(Eng).values(info="i"))
        s.execute(lib.delete(Mgr))
        s.commit()
    with engine.connect() as conn:
        out.append(
            [
                tuple(r)
                for r in conn.execute(lib.text("SELECT id, type, info FROM oracle_emp ORDER BY id"))
            ]
        )
    engine.dispose()
    return out


def test_single_table_scenario_matches_sqlalchemy(tmp_path: Any) -> None:
    import sqlalchemy
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.orm

    ours = _scenario(uow_orm, uow_orm.orm, f"sqlite:///{tmp_path / 'ours.db'}")
    theirs = _scenario(sqlalchemy, sqlalchemy.orm, f"sqlite:///{tmp_path / 'theirs.db'}")
    assert ours == theirs
    assert ours[0] == ["Mgr", "Eng", "Lead", "Emp"]


def test_statement_counts_for_a_thousand_objects_of_two_classes(eng: Any, sql_log: Any) -> None:
    log = sql_log(eng)
    with Session(eng) as s:
        s.add_all(
            [
                Manager(name=f"m{i}", manager_name="x") if i % 2 else Engineer(name=f"e{i}")
                for i in range(1000)
            ]
        )
        s.commit()
    inserts = log.count("INSERT")
    log.clear()
    with Session(eng) as s:
        staff = s.scalars(select(with_polymorphic(Employee, "*"))).all()
        assert sum(isinstance(o, Manager) for o in staff) == 500
        assert all(o.manager_name == "x" for o in staff if isinstance(o, Manager))
        assert log.count("SELECT") == 1
        for o in staff:
            o.name = o.name.upper()
        log.clear()
        s.commit()
        assert log.count("UPDATE") <= 2  # one executemany per class
    assert inserts <= 2 * 2  # server-generated keys: at most two batches per class here
    assert _rows(eng, "SELECT count(*) FROM employee WHERE name LIKE 'M%'") == [(500,)]


def test_relationship_declared_on_a_subclass_with_its_foreign_key(engine: Any) -> None:
    """SQLAlchemy's "Relationships with Single Table Inheritance" example: the foreign key
    and both sides of the relationship belong to a subclass."""

    class B(DeclarativeBase):
        pass

    class Firm(B):
        __tablename__ = "firm"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        managers: Mapped[list[Boss]] = relationship(back_populates="firm")

    class Worker(B):
        __tablename__ = "worker"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        type: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "worker"}

    class Boss(Worker):
        manager_data: Mapped[str | None] = mapped_column(String(20))
        firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"))
        firm: Mapped[Firm | None] = relationship(back_populates="managers")
        __mapper_args__ = {"polymorphic_identity": "boss"}

    class Coder(Worker):
        engineer_info: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_identity": "coder"}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        f = Firm(id=1, name="f", managers=[Boss(id=1, name="b")])
        s.add_all([f, Coder(id=2, name="c")])
        s.commit()
    assert _rows(engine, "SELECT id, type, firm_id FROM worker ORDER BY id") == [
        (1, "boss", 1),
        (2, "coder", None),
    ]
    with Session(engine) as s:
        f = s.get(Firm, 1)
        assert [m.name for m in f.managers] == ["b"]
        assert f.managers[0].firm is f
        assert "firm" not in inspect(Coder).relationships
        names = s.scalars(select(Boss.name).join(Boss.firm).where(Firm.name == "f")).all()
        assert names == ["b"]


def test_any_and_has_of_a_relationship_to_a_subclass_add_the_criterion(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        assert (
            s.scalars(select(Company).where(Company.managers.any(Employee.name == "eve"))).all()
            == []
        )
        assert [
            c.id
            for c in s.scalars(select(Company).where(Company.managers.any(Employee.name == "mia")))
        ] == [1]
        assert [
            e.id
            for e in s.scalars(
                select(Employee).where(Employee.boss.has(name="dora")).order_by(Employee.id)
            )
        ] == [2, 3]


def test_eager_loads_of_relationships_to_a_subclass_hold_only_its_rows(eng: Any) -> None:
    from uow_orm.orm import contains_eager, joinedload

    with Session(eng) as s:
        _staff(s)
    for option in (joinedload, selectinload):
        with Session(eng) as s:
            c = s.scalars(select(Company).options(option(Company.managers))).unique().one()
            got = sorted((m.id, type(m).__name__) for m in c.__dict__["managers"])
            assert got == [(1, "Director"), (2, "Manager")]
    with Session(eng) as s:
        staff = (
            s.scalars(select(Employee).options(joinedload(Employee.boss)).order_by(Employee.id))
            .unique()
            .all()
        )
        assert [e.__dict__["boss"] and e.__dict__["boss"].id for e in staff] == [None, 1, 1, None]
    with Session(eng) as s:
        q = (
            select(Company)
            .join(Company.employees.of_type(Manager))
            .options(contains_eager(Company.employees))
        )
        c = s.scalars(q).unique().one()
        assert sorted(e.id for e in c.__dict__["employees"]) == [1, 2]


def test_with_polymorphic_star_mapper_argument_loads_every_subclass_column(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "emp8"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {
            "polymorphic_on": "kind",
            "polymorphic_identity": "e",
            "with_polymorphic": "*",
        }

    class Mgr(Emp):
        manager_name: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_identity": "m"}

    with pytest.raises(exc.ArgumentError, match="only '\\*' is supported"):

        class Other(B):
            __tablename__ = "emp9"
            id: Mapped[int] = mapped_column(primary_key=True)
            kind: Mapped[str] = mapped_column(String(10))
            __mapper_args__ = {"polymorphic_on": "kind", "with_polymorphic": [Mgr]}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Mgr(id=1, manager_name="boss"), Emp(id=2)])
        s.commit()
    with Session(engine) as s:
        mgr, emp = s.scalars(select(Emp).order_by(Emp.id)).all()
        assert mgr.__dict__["manager_name"] == "boss" and type(emp) is Emp


def test_load_only_of_a_base_query_still_reads_the_discriminator(eng: Any) -> None:
    from uow_orm.orm import load_only

    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        staff = s.scalars(
            select(Employee).options(load_only(Employee.name)).order_by(Employee.id)
        ).all()
        assert [type(e) for e in staff] == [Director, Manager, Engineer, Employee]
        assert "company_id" not in staff[1].__dict__


def test_a_parents_validator_runs_once_for_subclass_objects() -> None:
    from uow_orm.orm import validates

    class B(DeclarativeBase):
        pass

    seen: list[tuple[str, str]] = []

    class Emp(B):
        __tablename__ = "emp10"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        name: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "e"}

        @validates("name")
        def _check(self, key: str, value: str) -> str:
            seen.append((type(self).__name__, value))
            return value.strip()

    class Mgr(Emp):
        __mapper_args__ = {"polymorphic_identity": "m"}

    m = Mgr(name=" boss ")
    m.name = " again "
    assert m.name == "again"
    assert seen == [("Mgr", " boss "), ("Mgr", " again ")]


def test_tablename_directive_with_has_inherited_table_maps_single_table(engine: Any) -> None:
    from uow_orm.orm import has_inherited_table

    class B(DeclarativeBase):
        @declared_attr.directive
        def __tablename__(cls) -> str | None:
            return None if has_inherited_table(cls) else cls.__name__.lower()

    class Animal(B):
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "animal"}

    class Dog(Animal):
        barks: Mapped[bool | None]
        __mapper_args__ = {"polymorphic_identity": "dog"}

    assert Dog.__table__ is Animal.__table__ and Animal.__table__.name == "animal"
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Dog(id=1, barks=True), Animal(id=2)])
        s.commit()
    with Session(engine) as s:
        assert [type(a) for a in s.scalars(select(Animal).order_by(Animal.id))] == [Dog, Animal]


def test_subclass_column_in_where_of_a_base_query_restricts_to_the_subclass(
    eng: Any,
) -> None:
    """As SQLAlchemy: a single-table subclass's own column in the WHERE clause of a base
    query adds that subclass's discriminator criterion (ORDER BY does not, nor does a
    column inherited from the base)."""
    with Session(eng) as s:
        _staff(s)
        # a plain employee row that happens to hold a manager_name value
        s.execute(text("UPDATE employee SET manager_name = 'm' WHERE id = 4"))
        s.commit()
    with Session(eng) as s:
        got = s.scalars(select(Employee).where(Employee.id > 0, Manager.manager_name == "m"))
        assert [(type(o), o.id) for o in got] == [(Manager, 2)]
        both = s.scalars(
            select(Employee).where(Manager.manager_name == "m", Engineer.engineer_info == "x")
        ).all()
        assert both == []  # both criteria apply, as in SQLAlchemy
        ordered = s.scalars(select(Employee.id).order_by(Manager.manager_name, Employee.id))
        assert sorted(ordered) == [1, 2, 3, 4]
        counted = s.scalar(
            select(func.count()).select_from(Employee).where(Manager.manager_name == "m")
        )
        assert counted == 1
