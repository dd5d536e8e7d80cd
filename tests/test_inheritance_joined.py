"""Joined-table inheritance (issue 16): mapping, flush, get, queries, relationships.

SQLAlchemy's documentation hierarchy on one table per class: ``employee`` (the base, with
the discriminator ``type`` and a version counter), ``manager`` / ``engineer`` whose key
references ``employee.id``, and ``director`` under ``manager``; a company they belong to
and a self-referential ``reports`` relationship declared on a subclass. Every test runs
on SQLite and PostgreSQL and reads rows back from the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    ForeignKey,
    Session,
    String,
    delete,
    exc,
    insert,
    inspect,
    relationship,
    select,
    selectinload,
    text,
    update,
    with_polymorphic,
)
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "jcompany"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    employees: Mapped[list[Employee]] = relationship(
        back_populates="company", order_by="Employee.id", cascade="all, delete-orphan"
    )
    managers: Mapped[list[Manager]] = relationship(viewonly=True, order_by="Employee.id")


class Employee(Base):
    __tablename__ = "jemployee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("jcompany.id"))
    boss_id: Mapped[int | None] = mapped_column(ForeignKey("jemployee.id"))
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
    __tablename__ = "jmanager"
    id: Mapped[int] = mapped_column(ForeignKey("jemployee.id"), primary_key=True)
    manager_name: Mapped[str] = mapped_column(String(40))
    reports: Mapped[list[Employee]] = relationship(
        back_populates="boss", foreign_keys="Employee.boss_id", order_by="Employee.id"
    )
    __mapper_args__ = {"polymorphic_identity": "manager"}


class Engineer(Employee):
    __tablename__ = "jengineer"
    id: Mapped[int] = mapped_column(ForeignKey("jemployee.id"), primary_key=True)
    engineer_info: Mapped[str | None] = mapped_column(String(40))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


class Director(Manager):
    __tablename__ = "jdirector"
    id: Mapped[int] = mapped_column(ForeignKey("jmanager.id"), primary_key=True)
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
def test_each_subclass_maps_its_own_table_joined_to_its_parent() -> None:
    em, mm, dm, en = (inspect(c) for c in (Employee, Manager, Director, Engineer))
    assert Manager.__table__.name == "jmanager" and Director.__table__.name == "jdirector"
    assert set(Manager.__table__.c.keys()) == {"id", "manager_name"}
    assert mm.local_table is Manager.__table__ and not mm.single
    assert mm.tables == [Employee.__table__, Manager.__table__]
    assert dm.tables == [Employee.__table__, Manager.__table__, Director.__table__]
    assert mm.inherits is em and dm.inherits is mm and dm.base_mapper is em
    assert em.polymorphic_map == {"employee": em, "manager": mm, "engineer": en, "director": dm}
    # the primary key of every class is the base table's
    assert mm.primary_key == (Employee.__table__.c.id,)
    assert dm.primary_key == (Employee.__table__.c.id,)
    assert {"name", "type", "manager_name", "budget", "reports", "company"} <= set(dm.attrs.keys())
    assert "manager_name" not in em.columns and "budget" not in mm.columns
    assert inspect(Director(name="x")).mapper is dm
    assert mm.get_property_by_column(Manager.__table__.c.id).key == "id"
    assert str(mm.inherit_condition) == str(Employee.__table__.c.id == Manager.__table__.c.id)


def test_discriminator_is_set_at_construction() -> None:
    assert Manager(name="m").type == "manager"
    assert Director().type == "director"
    assert Engineer(type="engineer", name="e").type == "engineer"


def test_flush_inserts_the_base_row_then_each_subclass_row(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    assert _rows(eng, "SELECT id, type, name, boss_id FROM jemployee ORDER BY id") == [
        (1, "director", "dora", None),
        (2, "manager", "mia", 1),
        (3, "engineer", "eve", 1),
        (4, "employee", "emil", None),
    ]
    assert _rows(eng, "SELECT id, manager_name FROM jmanager ORDER BY id") == [(1, "d"), (2, "m")]
    assert _rows(eng, "SELECT id, budget FROM jdirector") == [(1, 10)]
    assert _rows(eng, "SELECT id, engineer_info FROM jengineer") == [(3, "rust")]


def test_server_generated_base_key_is_copied_to_the_subclass_rows(eng: Any) -> None:
    with Session(eng) as s:
        d = Director(name="dora", manager_name="d", budget=1)
        g = Engineer(name="eve")
        s.add_all([d, g])
        s.commit()
        assert d.id is not None and g.id is not None and d.id != g.id
        ids = (d.id, g.id)
    assert _rows(eng, "SELECT id FROM jmanager") == [(ids[0],)]
    assert _rows(eng, "SELECT id FROM jdirector") == [(ids[0],)]
    assert _rows(eng, "SELECT id FROM jengineer") == [(ids[1],)]


# -- loading ---------------------------------------------------------------------------------
def test_select_base_returns_the_subclass_of_each_row(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    log = sql_log(eng)
    with Session(eng) as s:
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        assert [type(o) for o in got] == [Director, Manager, Engineer, Employee]
        assert log.count("SELECT") == 1
        # the subclass columns were not selected: they load on access, per object
        assert "manager_name" not in got[1].__dict__
        assert got[1].manager_name == "m"
        assert got[0].budget == 10 and got[0].manager_name == "d"
        assert got[2].engineer_info == "rust"


def test_select_subclass_joins_its_tables(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    log = sql_log(eng)
    with Session(eng) as s:
        managers = s.scalars(select(Manager).order_by(Manager.id)).all()
        assert [(type(m), m.id, m.name) for m in managers] == [
            (Director, 1, "dora"),
            (Manager, 2, "mia"),
        ]
        assert log.count("SELECT") == 1
        assert managers[1].__dict__["manager_name"] == "m"
        assert [e.id for e in s.scalars(select(Engineer))] == [3]
        assert [(d.id, d.budget) for d in s.scalars(select(Director))] == [(1, 10)]
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
        assert s.get(Engineer, 2) is None
        assert s.get(Director, 2) is None
    with Session(eng) as s:
        assert s.get(Engineer, 2) is None
        d = s.get(Manager, 1)
        assert type(d) is Director and d.budget == 10
        assert s.get(Employee, 1) is d


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
        assert got[0].manager_name == "d"
        assert len(log) == n  # no lazy loads
        filtered = s.scalars(select(wp).where(wp.Engineer.engineer_info == "rust")).all()
        assert filtered == [got[2]]
    with Session(eng) as s:
        every = s.scalars(select(with_polymorphic(Employee, "*")).order_by(Employee.id)).all()
        assert every[0].__dict__["budget"] == 10
        assert every[3].__dict__.get("manager_name") is None


# -- unit of work ----------------------------------------------------------------------------
def test_update_writes_only_the_tables_whose_columns_changed(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        d = s.get(Director, 1)
        log = sql_log(eng)
        d.budget = 99
        s.flush()
        updates = [q for q in log.sql if q.startswith("UPDATE")]
        # the version counter on the base table moves on with a subclass change
        assert len(updates) == 2 and "jdirector" in updates[1] and "jemployee" in updates[0]
        log.clear()
        d.manager_name = "dd"
        d.name = "dora2"
        s.flush()
        assert sorted(q.split()[1] for q in log.sql if q.startswith("UPDATE")) == [
            "jemployee",
            "jmanager",
        ]
        s.commit()
        assert d.version == 3
    assert _rows(eng, "SELECT name, version FROM jemployee WHERE id = 1") == [("dora2", 3)]
    assert _rows(eng, "SELECT manager_name FROM jmanager WHERE id = 1") == [("dd",)]
    assert _rows(eng, "SELECT budget FROM jdirector WHERE id = 1") == [(99,)]


def test_delete_removes_subclass_rows_before_the_base_row(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        s.delete(s.get(Engineer, 3))
        log = sql_log(eng)
        s.get(Manager, 2).boss = None
        s.delete(s.get(Director, 1))
        s.flush()
        deletes = [q.split()[2] for q in log.sql if q.startswith("DELETE")]
        assert deletes == ["jengineer", "jemployee", "jdirector", "jmanager", "jemployee"]
        s.commit()
    assert _rows(eng, "SELECT id FROM jemployee ORDER BY id") == [(2,), (4,)]
    assert _rows(eng, "SELECT id FROM jmanager") == [(2,)]
    assert _rows(eng, "SELECT count(*) FROM jdirector") == [(0,)]
    assert _rows(eng, "SELECT count(*) FROM jengineer") == [(0,)]


def test_stale_version_of_a_subclass_row_raises(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        mia = s.get(Manager, 2)
        s.execute(text("UPDATE jemployee SET version = 7 WHERE id = 2"))
        mia.manager_name = "late"
        with pytest.raises(exc.StaleDataError):
            s.flush()
    assert _rows(eng, "SELECT manager_name FROM jmanager WHERE id = 2") == [("m",)]


def test_flush_of_many_objects_uses_a_few_statements_per_table(eng: Any, sql_log: Any) -> None:
    log = sql_log(eng)
    with Session(eng) as s:
        s.add_all([Director(name=f"d{i}", manager_name="x", budget=i) for i in range(2000)])
        s.add_all([Engineer(id=10_000 + i, name=f"e{i}") for i in range(2000)])
        s.commit()
    tables = [q.split()[2] for q in log.sql if q.startswith("INSERT")]
    assert tables.count("jdirector") <= 2 and tables.count("jmanager") <= 2
    assert tables.count("jengineer") == 1 and tables.count("jemployee") <= 3
    assert _rows(eng, "SELECT count(*) FROM jdirector") == [(2000,)]
    assert _rows(eng, "SELECT count(*) FROM jmanager") == [(2000,)]
    assert _rows(eng, "SELECT count(*) FROM jemployee") == [(4000,)]
    log.clear()
    with Session(eng) as s:
        ds = s.scalars(select(Director)).all()
        for d in ds:
            d.budget = -1
        s.flush()
        assert log.count("UPDATE") <= 4
        log.clear()
        for d in ds:
            s.delete(d)
        s.flush()
        assert log.count("DELETE") == 3
        s.commit()
    assert _rows(eng, "SELECT count(*) FROM jemployee") == [(2000,)]


def test_row_switch_replaces_a_deleted_object_of_the_same_class(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        s.delete(s.get(Engineer, 3))
        s.add(Engineer(id=3, name="new", engineer_info="go"))
        s.commit()
        assert type(s.get(Employee, 3)) is Engineer
    assert _rows(eng, "SELECT type, name, boss_id FROM jemployee WHERE id = 3") == [
        ("engineer", "new", None)
    ]
    assert _rows(eng, "SELECT engineer_info FROM jengineer WHERE id = 3") == [("go",)]


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
    assert _rows(eng, "SELECT count(*) FROM jemployee") == [(4,)]
    assert _rows(eng, "SELECT count(*) FROM jengineer") == [(1,)]


def test_expire_and_refresh_reload_every_table(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        d = s.get(Director, 1)
        s.execute(text("UPDATE jdirector SET budget = 5 WHERE id = 1"))
        s.execute(text("UPDATE jmanager SET manager_name = 'z' WHERE id = 1"))
        s.expire(d)
        assert (d.budget, d.manager_name, d.name) == (5, "z", "dora")
        s.execute(text("UPDATE jdirector SET budget = 6 WHERE id = 1"))
        s.refresh(d)
        assert d.__dict__["budget"] == 6
        s.expire(d, ["budget"])
        s.execute(text("UPDATE jdirector SET budget = 7 WHERE id = 1"))
        assert d.budget == 7


# -- relationships -------------------------------------------------------------------------
def test_relationships_to_and_from_subclasses(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        acme = s.get(Company, 1)
        assert [type(e) for e in acme.employees] == [Director, Manager, Engineer, Employee]
        dora = s.get(Director, 1)
        assert [e.id for e in dora.reports] == [2, 3]  # declared on Manager, target the base
        assert s.get(Engineer, 3).boss is dora
        assert dora.reports[0].company is acme
        eve = s.get(Engineer, 3)
        mia = s.get(Manager, 2)
        eve.boss = mia
        assert eve in mia.reports and eve not in dora.reports
        s.commit()
    assert _rows(eng, "SELECT boss_id FROM jemployee WHERE id = 3") == [(2,)]


def test_self_referential_inserts_order_bosses_first(eng: Any) -> None:
    with Session(eng) as s:
        top = Director(name="top", manager_name="t")
        mid = Manager(name="mid", manager_name="m", boss=top)
        low = Engineer(name="low", boss=mid)
        s.add_all([low, mid, top])
        s.commit()
        ids = (top.id, mid.id, low.id)
    assert _rows(eng, f"SELECT boss_id FROM jemployee WHERE id = {ids[2]}") == [(ids[1],)]
    assert _rows(eng, f"SELECT boss_id FROM jemployee WHERE id = {ids[1]}") == [(ids[0],)]


def test_delete_cascade_from_a_parent_removes_every_table_row(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        s.delete(s.get(Company, 1))
        s.commit()
    for t in ("jemployee", "jmanager", "jengineer", "jdirector", "jcompany"):
        assert _rows(eng, f"SELECT count(*) FROM {t}") == [(0,)]


def test_join_and_selectinload_of_type(eng: Any, sql_log: Any) -> None:
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
        log = sql_log(eng)
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
        assert log.count("SELECT") == 2


def test_selectinload_of_a_subclass_relationship_from_base_queries(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        log = sql_log(eng)
        staff = s.scalars(
            select(Employee).options(selectinload(Manager.reports)).order_by(Employee.id)
        ).all()
        assert log.count("SELECT") == 2
        assert [e.id for e in staff[0].__dict__["reports"]] == [2, 3]
        assert staff[1].__dict__["reports"] == []
    with Session(eng) as s:
        comps = s.scalars(
            select(Company).options(
                selectinload(Company.employees.of_type(Manager)).selectinload(Manager.reports)
            )
        ).all()
        dora = comps[0].__dict__["employees"][0]
        assert type(dora) is Director and [e.id for e in dora.__dict__["reports"]] == [2, 3]


def test_orm_update_and_delete_of_a_subclass_change_its_own_table(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        mia = s.get(Manager, 2)
        assert mia.manager_name == "m"
        s.execute(update(Manager).where(Manager.id == 2).values(manager_name="boss"))
        assert mia.manager_name == "boss"  # synchronized in the session
        s.execute(
            update(Manager)
            .where(Manager.id == Employee.id, Employee.name == "dora")
            .values(manager_name="top")
        )
        s.execute(update(Engineer).values(engineer_info="all"))
        s.commit()
    assert _rows(eng, "SELECT id, manager_name FROM jmanager ORDER BY id") == [
        (1, "top"),
        (2, "boss"),
    ]
    assert _rows(eng, "SELECT engineer_info FROM jengineer") == [("all",)]
    with Session(eng) as s:
        # as SQLAlchemy: the UPDATE of a subclass sets its own table's columns only
        with pytest.raises(exc.CompileError, match="changes its own table 'jmanager' only"):
            s.execute(update(Manager).values({Manager.name: "x"}))
        # a WHERE on the base table without the join would match every manager row
        with pytest.raises(exc.InvalidRequestError, match="without the join"):
            s.execute(update(Manager).where(Employee.name == "mia").values(manager_name="q"))
    with Session(eng) as s:
        s.execute(delete(Engineer).where(Engineer.id == 3))
        s.commit()
    # as SQLAlchemy: the subclass row only; the base row stays
    assert _rows(eng, "SELECT count(*) FROM jengineer") == [(0,)]
    assert _rows(eng, "SELECT type FROM jemployee WHERE id = 3") == [("engineer",)]


def test_orm_update_of_the_base_reaches_subclass_objects(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        mia = s.get(Manager, 2)
        s.execute(update(Employee).where(Employee.id == 2).values(name="renamed"))
        assert mia.name == "renamed"
        s.execute(update(Employee).values(version=Employee.version + 1))
        assert mia.version == 2


def test_persistence_events_fire_once_per_object(eng: Any) -> None:
    from uow_orm import event

    seen: list[tuple[str, str]] = []

    def note(kind: str) -> Any:
        return lambda _m, _c, target: seen.append((kind, target.name))

    kinds = ("before_insert", "after_insert", "before_update", "after_update")
    fns = {kind: note(kind) for kind in kinds}
    for kind in kinds:
        event.listen(Director, kind, fns[kind])
    try:
        with Session(eng) as s:
            d = Director(id=1, name="dora", manager_name="d")
            s.add(d)
            s.flush()
            d.budget = 3
            s.flush()
    finally:
        for kind in kinds:
            event.remove(Director, kind, fns[kind])
    assert [k for k, _ in seen] == [
        "before_insert",
        "after_insert",
        "before_update",
        "after_update",
    ]


def test_aliased_subclass_entity_selects_its_joined_rows(eng: Any) -> None:
    from uow_orm import aliased

    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        m = aliased(Manager)
        assert sorted(o.id for o in s.scalars(select(m))) == [1, 2]
        assert s.scalars(select(m.name).where(m.id == 3)).all() == []


# -- polymorphic loading ---------------------------------------------------------------------
def _loading_hierarchy(load: str | None, star: bool = False, p: str = "l") -> tuple[Any, ...]:
    class B(DeclarativeBase):
        pass

    base_args: dict[str, Any] = {"polymorphic_on": "kind", "polymorphic_identity": "p"}
    if star:
        base_args["with_polymorphic"] = "*"

    class Person(B):
        __tablename__ = p + "person"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        name: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = base_args

    sub_args: dict[str, Any] = {"polymorphic_identity": "b"}
    if load is not None:
        sub_args["polymorphic_load"] = load

    class Boss(Person):
        __tablename__ = p + "boss"
        id: Mapped[int] = mapped_column(ForeignKey(p + "person.id"), primary_key=True)
        perks: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = sub_args

    class Chief(Boss):
        __tablename__ = p + "chief"
        id: Mapped[int] = mapped_column(ForeignKey(p + "boss.id"), primary_key=True)
        rank: Mapped[int]
        __mapper_args__ = {"polymorphic_identity": "c"} | (
            {"polymorphic_load": load} if load is not None else {}
        )

    class Clerk(Person):
        __tablename__ = p + "clerk"
        id: Mapped[int] = mapped_column(ForeignKey(p + "person.id"), primary_key=True)
        desk: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_identity": "k"}

    return B, Person, Boss, Chief, Clerk


def _fill(engine: Any, B: Any, Person: Any, Boss: Any, Chief: Any, Clerk: Any) -> None:
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Boss(id=1, name="b", perks="car"),
                Chief(id=2, name="c", perks="jet", rank=1),
                Clerk(id=3, name="k", desk="d1"),
                Person(id=4, name="p"),
            ]
        )
        s.commit()


def test_polymorphic_load_selectin_loads_each_subclass_with_one_more_select(
    engine: Any, sql_log: Any
) -> None:
    B, Person, Boss, Chief, Clerk = _loading_hierarchy("selectin")
    _fill(engine, B, Person, Boss, Chief, Clerk)
    log = sql_log(engine)
    with Session(engine) as s:
        got = s.scalars(select(Person).order_by(Person.id)).all()
        assert [type(o) for o in got] == [Boss, Chief, Clerk, Person]
        # the people, then the bosses (and chiefs), then the chiefs' own table
        assert log.count("SELECT") == 3
        assert got[0].__dict__["perks"] == "car"
        assert got[1].__dict__["perks"] == "jet" and got[1].__dict__["rank"] == 1
        assert "desk" not in got[2].__dict__  # Clerk is not selectin: loads on access
        n = log.count("SELECT")
        assert got[2].desk == "d1"
        assert log.count("SELECT") == n + 1


def test_selectin_polymorphic_option_names_the_subclasses(engine: Any, sql_log: Any) -> None:
    from uow_orm import selectin_polymorphic

    B, Person, Boss, Chief, Clerk = _loading_hierarchy(None)
    _fill(engine, B, Person, Boss, Chief, Clerk)
    log = sql_log(engine)
    with Session(engine) as s:
        got = s.scalars(
            select(Person).options(selectin_polymorphic(Person, [Clerk])).order_by(Person.id)
        ).all()
        assert log.count("SELECT") == 2
        assert got[2].__dict__["desk"] == "d1"
        assert "perks" not in got[0].__dict__
    with pytest.raises(exc.ArgumentError, match="not a mapped subclass of Boss"):
        selectin_polymorphic(Boss, [Clerk])


def test_polymorphic_load_inline_and_with_polymorphic_star_outer_join_the_subclasses(
    engine: Any, sql_log: Any
) -> None:
    B, Person, Boss, Chief, Clerk = _loading_hierarchy("inline")
    _fill(engine, B, Person, Boss, Chief, Clerk)
    log = sql_log(engine)
    with Session(engine) as s:
        got = s.scalars(select(Person).order_by(Person.id)).all()
        assert log.count("SELECT") == 1
        assert [type(o) for o in got] == [Boss, Chief, Clerk, Person]
        assert got[0].__dict__["perks"] == "car" and got[1].__dict__["rank"] == 1
        assert "desk" not in got[2].__dict__
    B2, Person2, Boss2, Chief2, Clerk2 = _loading_hierarchy(None, star=True, p="w")
    _fill(engine, B2, Person2, Boss2, Chief2, Clerk2)
    log.clear()
    with Session(engine) as s:
        got = s.scalars(select(Person2).order_by(Person2.id)).all()
        assert log.count("SELECT") == 1
        assert got[2].__dict__["desk"] == "d1" and got[1].__dict__["rank"] == 1
        assert "desk" not in got[3].__dict__  # a Person has no such attribute


def test_polymorphic_load_must_be_inline_or_selectin() -> None:
    with pytest.raises(exc.ArgumentError, match="must be 'inline' or 'selectin'"):
        _loading_hierarchy("eager")


# -- declaration forms ----------------------------------------------------------------------
def test_subclass_column_shadowing_a_base_column_is_combined_with_a_warning(
    engine: Any,
) -> None:
    class B(DeclarativeBase):
        pass

    class Item(B):
        __tablename__ = "sitem"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        label: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "i"}

    with pytest.warns(exc.SAWarning, match="Implicitly combining column sitem.label"):

        class Book(Item):
            __tablename__ = "sbook"
            id: Mapped[int] = mapped_column(ForeignKey("sitem.id"), primary_key=True)
            label: Mapped[str | None] = mapped_column(String(20))
            __mapper_args__ = {"polymorphic_identity": "b"}

    # SQLAlchemy's explicit form: the subclass column under another attribute name
    class Disc(Item):
        __tablename__ = "sdisc"
        id: Mapped[int] = mapped_column(ForeignKey("sitem.id"), primary_key=True)
        disc_label: Mapped[str | None] = mapped_column("label", String(20))
        __mapper_args__ = {"polymorphic_identity": "d"}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Book(id=1, label="novel"), Disc(id=2, label="base", disc_label="own")])
        s.commit()
        b = s.get(Book, 1)
        b.label = "poem"
        s.commit()
    # one attribute, both columns written
    assert _rows(engine, "SELECT label FROM sitem ORDER BY id") == [("poem",), ("base",)]
    assert _rows(engine, "SELECT label FROM sbook") == [("poem",)]
    assert _rows(engine, "SELECT label FROM sdisc") == [("own",)]
    with Session(engine) as s:
        d = s.get(Disc, 2)
        assert (d.label, d.disc_label) == ("base", "own")
        assert s.scalars(select(Book.id).where(Book.label == "poem")).all() == [1]


def test_inherit_condition_and_a_subclass_key_of_another_name(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Node(B):
        __tablename__ = "inode"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "n"}

    class Leaf(Node):
        __tablename__ = "ileaf"
        leaf_id: Mapped[int] = mapped_column(ForeignKey("inode.id"), primary_key=True)
        # a second foreign key to the parent: the join must be named
        twin_id: Mapped[int | None] = mapped_column(ForeignKey("inode.id"))
        __mapper_args__ = {
            "polymorphic_identity": "l",
            "inherit_condition": leaf_id == Node.id,
        }

    assert inspect(Leaf).primary_key == (Node.__table__.c.id,)
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Node(id=100))
        s.flush()
        leaf = Leaf(twin_id=100)
        s.add(leaf)
        s.commit()
        assert leaf.leaf_id == leaf.id  # the base key, copied to the subclass key
        key = leaf.id
    assert _rows(engine, "SELECT leaf_id, twin_id FROM ileaf") == [(key, 100)]
    with Session(engine) as s:
        assert s.get(Node, key).twin_id == 100


def test_joined_subclass_refusals_name_what_is_wrong() -> None:
    class B(DeclarativeBase):
        pass

    class Node(B):
        __tablename__ = "rnode"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "n"}

    with pytest.raises(exc.NoForeignKeysError, match="Can't find any foreign key"):

        class Loose(Node):
            __tablename__ = "rloose"
            id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.AmbiguousForeignKeysError, match="inherit_condition"):

        class Twice(Node):
            __tablename__ = "rtwice"
            a_id: Mapped[int] = mapped_column(ForeignKey("rnode.id"), primary_key=True)
            b_id: Mapped[int] = mapped_column(ForeignKey("rnode.id"), primary_key=True)

    with pytest.raises(exc.ArgumentError, match="a joined-table subclass takes"):

        class Versioned(Node):
            __tablename__ = "rversioned"
            id: Mapped[int] = mapped_column(ForeignKey("rnode.id"), primary_key=True)
            __mapper_args__ = {"version_id_col": id}


def test_polymorphic_abstract_middle_class_of_a_joined_hierarchy(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Vehicle(B):
        __tablename__ = "avehicle"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_abstract": True}

    class Car(Vehicle):
        __tablename__ = "acar"
        id: Mapped[int] = mapped_column(ForeignKey("avehicle.id"), primary_key=True)
        doors: Mapped[int]
        __mapper_args__ = {"polymorphic_identity": "car"}

    with pytest.raises(exc.InvalidRequestError, match="polymorphic_abstract"):
        Vehicle()
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Car(doors=4))
        s.commit()
    with Session(engine) as s:
        (car,) = s.scalars(select(Vehicle)).all()
        assert type(car) is Car and car.doors == 4


def test_map_imperatively_with_inherits_and_a_table_of_its_own(engine: Any) -> None:
    from uow_orm import Column, Integer, Table
    from uow_orm.orm import registry

    reg = registry()
    person = Table(
        "iperson",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("kind", String(10), nullable=False),
    )
    boss = Table(
        "iboss",
        reg.metadata,
        Column("id", Integer, ForeignKey("iperson.id"), primary_key=True),
        Column("perks", String(20)),
    )

    class Person:
        pass

    class Boss(Person):
        pass

    pm = reg.map_imperatively(
        Person, person, polymorphic_on=person.c.kind, polymorphic_identity="p"
    )
    bm = reg.map_imperatively(Boss, boss, inherits=pm, polymorphic_identity="b")
    assert bm.inherits is pm and bm.local_table is boss and bm.tables == [person, boss]
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        b = Boss()
        b.perks = "car"
        s.add(b)
        s.commit()
    assert _rows(engine, "SELECT iperson.kind, perks FROM iperson JOIN iboss USING (id)") == [
        ("b", "car")
    ]


def test_relationship_to_a_joined_subclass_loads_lazily_selectin_and_joined(
    eng: Any, sql_log: Any
) -> None:
    from uow_orm import joinedload

    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        acme = s.get(Company, 1)
        assert [(type(m), m.id) for m in acme.managers] == [(Director, 1), (Manager, 2)]
        assert s.scalars(select(Company.name).join(Company.managers)).all() == ["acme", "acme"]
    for opt in (selectinload, joinedload):
        with Session(eng) as s:
            log = sql_log(eng)
            (acme,) = s.scalars(select(Company).options(opt(Company.managers))).unique().all()
            n = log.count("SELECT")
            assert [m.id for m in acme.managers] == [1, 2]
            assert [m.manager_name for m in acme.managers] == ["d", "m"]
            assert log.count("SELECT") == n
    with Session(eng) as s:
        log = sql_log(eng)
        dora = s.scalars(select(Director).options(joinedload(Manager.reports))).unique().one()
        assert [e.id for e in dora.__dict__["reports"]] == [2, 3]


def test_bulk_methods_write_every_table(eng: Any) -> None:
    with Session(eng) as s:
        rows: list[dict[str, Any]] = [{"name": "a", "manager_name": "x", "budget": 1}]
        s.bulk_insert_mappings(Director, rows, return_defaults=True)
        s.bulk_insert_mappings(Engineer, [{"id": 50, "name": "b", "engineer_info": "i"}])
        s.bulk_save_objects([Manager(id=60, name="c", manager_name="y")])
        s.commit()
        key = rows[0]["id"]
        s.bulk_update_mappings(Director, [{"id": key, "name": "a2", "budget": 2}])
        s.commit()
    assert _rows(eng, "SELECT id, type, name FROM jemployee ORDER BY id") == [
        (key, "director", "a2"),
        (50, "engineer", "b"),
        (60, "manager", "c"),
    ]
    assert _rows(eng, "SELECT id, manager_name FROM jmanager ORDER BY id") == [
        (key, "x"),
        (60, "y"),
    ]
    assert _rows(eng, "SELECT id, budget FROM jdirector") == [(key, 2)]
    assert _rows(eng, "SELECT id, engineer_info FROM jengineer") == [(50, "i")]
    with Session(eng) as s:
        s.execute(insert(Engineer), [{"id": 70, "name": "z"}, {"id": 71, "name": "w"}])
        s.commit()
        assert [type(e) for e in s.scalars(select(Employee).where(Employee.id >= 70))] == [
            Engineer,
            Engineer,
        ]
        ids = s.scalars(insert(Engineer).returning(Engineer.id), [{"id": 72, "name": "z"}])
        assert ids.all() == [72]
        s.commit()
    assert _rows(eng, "SELECT id FROM jengineer ORDER BY id") == [(50,), (70,), (71,), (72,)]


def test_primary_key_change_of_a_joined_object_rekeys_it(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Node(B):
        __tablename__ = "knode"
        id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
        kind: Mapped[str] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "n"}

    class Leaf(Node):
        __tablename__ = "kleaf"
        # the database moves the subclass row's key with the base row's (as SQLAlchemy
        # needs too: passive_updates)
        id: Mapped[int] = mapped_column(
            ForeignKey("knode.id", onupdate="CASCADE"), primary_key=True
        )
        color: Mapped[str | None] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_identity": "l"}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Leaf(id=5, color="red"))
        s.commit()
        leaf = s.get(Node, 5)
        leaf.id = 50
        leaf.color = "blue"
        s.commit()
        assert s.get(Leaf, 50) is leaf and s.get(Node, 5) is None
    assert _rows(engine, "SELECT id, kind FROM knode") == [(50, "l")]
    assert _rows(engine, "SELECT id, color FROM kleaf") == [(50, "blue")]


def test_statement_counts_for_a_thousand_objects_of_two_classes(eng: Any, sql_log: Any) -> None:
    """The figures of the closing note: flushing and loading 1,000 objects of a two-level
    joined hierarchy (500 managers, 500 engineers, keys generated by the database)."""
    log = sql_log(eng)
    with Session(eng) as s:
        s.add_all(
            [
                Manager(name=f"m{i}", manager_name="x") if i % 2 else Engineer(name=f"e{i}")
                for i in range(1000)
            ]
        )
        s.commit()
    inserts = [q.split()[2] for q in log.sql if q.startswith("INSERT")]
    # per class: the base rows (RETURNING their keys, in chunks), then one subclass batch
    assert inserts.count("jmanager") == 1 and inserts.count("jengineer") == 1
    assert inserts.count("jemployee") <= 4
    log.clear()
    with Session(eng) as s:
        staff = s.scalars(select(with_polymorphic(Employee, "*"))).all()
        assert sum(isinstance(o, Manager) for o in staff) == 500
        assert all(o.manager_name == "x" for o in staff if isinstance(o, Manager))
        assert log.count("SELECT") == 1
    log.clear()
    with Session(eng) as s:
        managers = s.scalars(select(Manager)).all()
        assert len(managers) == 500 and log.count("SELECT") == 1
        for m in managers:
            m.manager_name = "y"
            m.name = "z"
        s.commit()
        # one executemany per table (and a version bump rides on the base table's)
        assert log.count("UPDATE") == 2


def test_subclass_table_relationships_deferred_columns_and_merge(engine: Any) -> None:
    from uow_orm import Table, column_property, defer, func
    from uow_orm.orm import deferred

    class B(DeclarativeBase):
        pass

    link_table = Table(
        "etag_link",
        B.metadata,
        mapped_column("coder_id", ForeignKey("ecoder.id"), primary_key=True).column,
        mapped_column("tag_id", ForeignKey("etag.id"), primary_key=True).column,
    )

    class Project(B):
        __tablename__ = "eproject"
        id: Mapped[int] = mapped_column(primary_key=True)
        coders: Mapped[list[Coder]] = relationship(back_populates="project")

    class Tag(B):
        __tablename__ = "etag"
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str] = mapped_column(String(10))

    class Person(B):
        __tablename__ = "eperson"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        name: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "p"}

    class Coder(Person):
        __tablename__ = "ecoder"
        id: Mapped[int] = mapped_column(ForeignKey("eperson.id"), primary_key=True)
        # a foreign key on the subclass table, a many-to-many from the subclass
        project_id: Mapped[int | None] = mapped_column(ForeignKey("eproject.id"))
        project: Mapped[Project | None] = relationship(back_populates="coders")
        tags: Mapped[list[Tag]] = relationship(secondary=link_table, order_by=Tag.id)
        bio: Mapped[str | None] = deferred(mapped_column(String(200)))
        shout = column_property(func.upper(Person.name))
        __mapper_args__ = {"polymorphic_identity": "c"}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        p = Project(id=1)
        t1, t2 = Tag(id=1, label="a"), Tag(id=2, label="b")
        s.add(Coder(id=1, name="ann", project=p, tags=[t1, t2], bio="long"))
        s.add(Person(id=2, name="bob"))
        s.commit()
    with Session(engine) as s:
        c = s.scalars(select(Coder).options(selectinload(Coder.tags))).one()
        assert "bio" not in c.__dict__ and c.bio == "long"
        assert [t.label for t in c.__dict__["tags"]] == ["a", "b"]
        assert c.shout == "ANN"
        assert [x.name for x in s.get(Project, 1).coders] == ["ann"]
        c2 = s.scalars(select(Coder).options(defer(Coder.name))).one()
        assert c2 is c
        merged = s.merge(Coder(id=1, name="ann2", project_id=1))
        assert merged is c
        s.commit()
    assert _rows(engine, "SELECT name FROM eperson WHERE id = 1") == [("ann2",)]
    assert _rows(engine, "SELECT tag_id FROM etag_link ORDER BY tag_id") == [(1,), (2,)]
    with Session(engine) as s:
        s.delete(s.get(Coder, 1))
        s.commit()
    assert _rows(engine, "SELECT count(*) FROM etag_link") == [(0,)]
    assert _rows(engine, "SELECT count(*) FROM ecoder") == [(0,)]


def test_single_table_subclass_of_a_joined_subclass(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Person(B):
        __tablename__ = "sjperson"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str] = mapped_column(String(10))
        name: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "p"}

    class Coder(Person):
        __tablename__ = "sjcoder"
        id: Mapped[int] = mapped_column(ForeignKey("sjperson.id"), primary_key=True)
        language: Mapped[str | None] = mapped_column(String(10))
        __mapper_args__ = {"polymorphic_identity": "c"}

    class Senior(Coder):  # no table: its column joins sjcoder
        level: Mapped[int | None]
        __mapper_args__ = {"polymorphic_identity": "s"}

    assert Senior.__table__ is Coder.__table__ and "level" in Coder.__table__.c
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Senior(id=1, name="a", language="c", level=3), Coder(id=2, name="b")])
        s.commit()
        sen = s.get(Senior, 1)
        sen.level = 4
        sen.name = "a2"
        s.commit()
    assert _rows(engine, "SELECT id, kind, name FROM sjperson ORDER BY id") == [
        (1, "s", "a2"),
        (2, "c", "b"),
    ]
    assert _rows(engine, "SELECT id, language, level FROM sjcoder ORDER BY id") == [
        (1, "c", 4),
        (2, None, None),
    ]
    with Session(engine) as s:
        assert [type(o) for o in s.scalars(select(Person).order_by(Person.id))] == [Senior, Coder]
        assert [o.id for o in s.scalars(select(Senior))] == [1]  # join + discriminator
        assert sorted(o.id for o in s.scalars(select(Coder))) == [1, 2]
        s.delete(s.get(Senior, 1))
        s.commit()
    assert _rows(engine, "SELECT count(*) FROM sjcoder") == [(1,)]


def _scenario(lib: Any, orm: Any, url: str) -> list[Any]:
    """One joined-table scenario, written once for both libraries (the oracle check)."""

    class B(orm.DeclarativeBase):
        pass

    class Emp(B):
        __tablename__ = "oj_emp"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20))
        type = lib.Column(lib.String(20), nullable=False)
        __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "emp"}

    class Mgr(Emp):
        __tablename__ = "oj_mgr"
        id = lib.Column(lib.Integer, lib.ForeignKey("oj_emp.id"), primary_key=True)
        data = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "mgr"}

    class Eng(Emp):
        __tablename__ = "oj_eng"
        id = lib.Column(lib.Integer, lib.ForeignKey("oj_emp.id"), primary_key=True)
        info = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "eng"}

    class Lead(Eng):
        __tablename__ = "oj_lead"
        id = lib.Column(lib.Integer, lib.ForeignKey("oj_eng.id"), primary_key=True)
        team = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "lead"}

    engine = lib.create_engine(url)
    B.metadata.create_all(engine)
    out: list[Any] = []
    with orm.Session(engine) as s:
        s.add_all(
            [
                Mgr(name="m", data="d"),
                Eng(name="e", info="i"),
                Lead(name="l", info="j", team="t"),
                Emp(name="x"),
            ]
        )
        s.commit()
        out.append([type(o).__name__ for o in s.scalars(lib.select(Emp).order_by(Emp.id))])
        out.append([o.name for o in s.scalars(lib.select(Eng).order_by(Eng.id))])
        out.append([type(s.get(Emp, 3)).__name__, s.get(Mgr, 2), s.get(Lead, 3).team])
        out.append(s.scalars(lib.select(Eng.name).where(Eng.info == "j")).all())
        wp = orm.with_polymorphic(Emp, [Mgr, Eng])
        out.append([o.name for o in s.scalars(lib.select(wp).where(wp.Mgr.data == "d"))])
        s.execute(lib.update(Eng).where(Eng.id == 2).values(info="k"))
        lead = s.get(Lead, 3)
        lead.team = "u"
        lead.name = "l2"
        s.delete(s.get(Mgr, 1))
        s.commit()
    with engine.connect() as conn:
        for t in ("oj_emp", "oj_mgr", "oj_eng", "oj_lead"):
            out.append([tuple(r) for r in conn.execute(lib.text(f"SELECT * FROM {t} ORDER BY id"))])
    engine.dispose()
    return out


def test_joined_table_scenario_matches_sqlalchemy(tmp_path: Any) -> None:
    import sqlalchemy
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.orm

    ours = _scenario(uow_orm, uow_orm.orm, f"sqlite:///{tmp_path / 'ours.db'}")
    theirs = _scenario(sqlalchemy, sqlalchemy.orm, f"sqlite:///{tmp_path / 'theirs.db'}")
    assert ours == theirs
    assert ours[0] == ["Mgr", "Eng", "Lead", "Emp"]


def test_row_switch_replaces_an_engineer_with_a_manager(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        s.delete(s.get(Engineer, 3))
        s.add(Manager(id=3, name="new", manager_name="nm"))
        mia = s.get(Manager, 2)
        mia.boss = None
        s.delete(mia)
        s.add(Employee(id=2, name="plain"))  # a joined subclass row becomes a base row
        s.commit()
        assert type(s.get(Employee, 3)) is Manager
    assert _rows(eng, "SELECT id, type, name FROM jemployee WHERE id IN (2, 3) ORDER BY id") == [
        (2, "employee", "plain"),
        (3, "manager", "new"),
    ]
    assert _rows(eng, "SELECT id, manager_name FROM jmanager ORDER BY id") == [(1, "d"), (3, "nm")]
    assert _rows(eng, "SELECT count(*) FROM jengineer") == [(0,)]
