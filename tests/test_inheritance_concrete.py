"""Concrete table inheritance (issue 16): ``concrete=True`` subclasses and ``ConcreteBase``.

Each class of a concrete hierarchy has a complete table of its own; a `ConcreteBase` base
class queries the ``UNION ALL`` of every table (SQLAlchemy's polymorphic union). Every test
runs on SQLite and PostgreSQL and reads rows back from the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import ForeignKey, Session, String, exc, inspect, select, text, update
from uow_orm.ext.declarative import AbstractConcreteBase, ConcreteBase
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "ccompany"
    id: Mapped[int] = mapped_column(primary_key=True)
    managers: Mapped[list[Manager]] = relationship(back_populates="company")


class Employee(ConcreteBase, Base):
    __tablename__ = "cemployee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    __mapper_args__ = {"polymorphic_identity": "employee", "concrete": True}


class Manager(Employee):
    __tablename__ = "cmanager"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    manager_data: Mapped[str] = mapped_column(String(40))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("ccompany.id"))
    company: Mapped[Company | None] = relationship(back_populates="managers")
    __mapper_args__ = {"polymorphic_identity": "manager", "concrete": True}


class Engineer(Employee):
    __tablename__ = "cengineer"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    engineer_info: Mapped[str | None] = mapped_column(String(40))
    __mapper_args__ = {"polymorphic_identity": "engineer", "concrete": True}


@pytest.fixture
def eng(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def _rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).fetchall()]


def _staff(s: Session) -> None:
    s.add_all(
        [
            Employee(id=1, name="emil"),
            Manager(id=2, name="mia", manager_data="m", company=Company(id=1)),
            Engineer(id=3, name="eve", engineer_info="rust"),
        ]
    )
    s.commit()


def test_each_concrete_class_has_a_complete_table_of_its_own() -> None:
    em, mm = inspect(Employee), inspect(Manager)
    assert mm.concrete and not em.concrete
    assert mm.inherits is em and mm.base_mapper is em and mm.isa(em)
    assert set(Manager.__table__.c.keys()) == {"id", "name", "manager_data", "company_id"}
    assert mm.local_table is Manager.__table__ and mm.tables == [Manager.__table__]
    assert em.polymorphic_map == {"employee": em, "manager": mm, "engineer": inspect(Engineer)}
    assert "engineer_info" not in mm.attrs and "company" not in em.attrs


def test_flush_writes_each_class_to_its_own_table(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        mia = s.get(Manager, 2)
        mia.manager_data = "m2"
        s.delete(s.get(Engineer, 3))
        s.commit()
    assert _rows(eng, "SELECT id, name FROM cemployee") == [(1, "emil")]
    assert _rows(eng, "SELECT id, name, manager_data, company_id FROM cmanager") == [
        (2, "mia", "m2", 1)
    ]
    assert _rows(eng, "SELECT count(*) FROM cengineer") == [(0,)]


def test_base_query_reads_the_polymorphic_union(eng: Any, sql_log: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    log = sql_log(eng)
    with Session(eng) as s:
        got = s.scalars(select(Employee).order_by(Employee.id)).all()
        assert [type(o) for o in got] == [Employee, Manager, Engineer]
        assert log.count("SELECT") == 1 and "UNION ALL" in log.sql[-1]
        # every class's columns came with the union: no load on access
        assert got[1].__dict__["manager_data"] == "m" and got[2].__dict__["engineer_info"] == "rust"
        assert s.scalars(select(Employee).where(Employee.name == "eve")).one() is got[2]
        assert s.scalars(select(Employee.name).order_by(Employee.name)).all() == [
            "emil",
            "eve",
            "mia",
        ]
        assert [m.id for m in s.scalars(select(Manager))] == [2]
        assert log.count("SELECT") == 4


def test_identity_is_per_concrete_class(eng: Any) -> None:
    with Session(eng) as s:
        held = [Employee(id=1, name="e"), Manager(id=1, name="m", manager_data="x")]
        s.add_all(held)
        s.commit()
        e, m = s.get(Employee, 1), s.get(Manager, 1)
        assert [e, m] == held
        assert type(e) is Employee and type(m) is Manager and e is not m
        assert inspect(m).key[0] is Manager
        s.expunge_all()
        # two rows of the union have key 1 (SQLAlchemy raises the same)
        with pytest.raises(exc.MultipleResultsFound):
            s.get(Employee, 1)
        assert s.get(Engineer, 1) is None


def test_relationships_of_a_concrete_subclass(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
    with Session(eng) as s:
        c = s.get(Company, 1)
        assert [m.name for m in c.managers] == ["mia"]
        assert s.get(Manager, 2).company is c


def test_attributes_mapped_on_the_parent_only_are_not_inherited() -> None:
    class B(DeclarativeBase):
        pass

    class Animal(B):
        __tablename__ = "canimal"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None] = mapped_column(String(20))
        legs: Mapped[int | None]

    class Snake(Animal):
        __tablename__ = "csnake"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"concrete": True}

    assert "legs" not in inspect(Snake).attrs
    with pytest.raises(AttributeError, match="does not implement attribute 'legs'"):
        Snake(name="s").legs


def test_plain_concrete_base_queries_only_its_own_table(engine: Any) -> None:
    class B(DeclarativeBase):
        pass

    class Animal(B):
        __tablename__ = "panimal"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None] = mapped_column(String(20))

    class Snake(Animal):
        __tablename__ = "psnake"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None] = mapped_column(String(20))
        __mapper_args__ = {"concrete": True}

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Animal(id=1, name="a"), Snake(id=1, name="s")])
        s.commit()
        assert [type(o) for o in s.scalars(select(Animal))] == [Animal]
        assert [type(o) for o in s.scalars(select(Snake))] == [Snake]


def test_orm_update_of_a_concrete_base_uses_its_own_table(eng: Any) -> None:
    with Session(eng) as s:
        _staff(s)
        s.execute(update(Employee).where(Employee.__table__.c.id == 1).values(name="e2"))
        with pytest.raises(exc.InvalidRequestError, match="polymorphic union"):
            s.execute(update(Employee).where(Employee.name == "emil").values(name="x"))
        s.commit()
    assert _rows(eng, "SELECT name FROM cemployee") == [("e2",)]
    assert _rows(eng, "SELECT name FROM cmanager") == [("mia",)]


def test_abstract_concrete_base_queries_the_union_of_its_subclasses(
    engine: Any, sql_log: Any
) -> None:
    class B(DeclarativeBase):
        pass

    class Thing(AbstractConcreteBase, B):  # no table of its own
        strict_attrs = True
        name: Mapped[str] = mapped_column(String(20))

    class Rock(Thing):
        __tablename__ = "arock"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        hardness: Mapped[int]
        __mapper_args__ = {"polymorphic_identity": "rock", "concrete": True}

    class Tree(Thing):
        __tablename__ = "atree"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        __mapper_args__ = {"polymorphic_identity": "tree", "concrete": True}

    class Gadget(AbstractConcreteBase, B):  # not strict: its columns are copied
        label: Mapped[str] = mapped_column(String(20))

    class Phone(Gadget):
        __tablename__ = "aphone"
        id: Mapped[int] = mapped_column(primary_key=True)
        __mapper_args__ = {"polymorphic_identity": "phone", "concrete": True}

    tm = inspect(Thing)
    assert tm.polymorphic_abstract and inspect(Rock).inherits is tm and inspect(Tree).concrete
    assert set(tm.polymorphic_map) == {"rock", "tree"}
    assert set(B.metadata.tables) == {"arock", "atree", "aphone"}  # no table for Thing
    assert set(Phone.__table__.c.keys()) == {"id", "label"}
    with pytest.raises(exc.InvalidRequestError, match="polymorphic_abstract"):
        Thing()
    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Rock(id=1, name="r", hardness=7), Tree(id=2, name="t"), Phone(id=1, label="p")])
        s.commit()
    log = sql_log(engine)
    with Session(engine) as s:
        things = s.scalars(select(Thing).order_by(Thing.id)).all()
        assert [type(t) for t in things] == [Rock, Tree] and log.count("SELECT") == 1
        assert things[0].__dict__["hardness"] == 7
        assert s.scalars(select(Thing).where(Thing.name == "t")).one() is things[1]
        assert s.get(Thing, 2) is things[1]
        assert [g.label for g in s.scalars(select(Gadget))] == ["p"]
    with pytest.raises(exc.ArgumentError, match="has no table of its own"):

        class Other(AbstractConcreteBase, B):
            __tablename__ = "aother"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_concrete_refusals_name_what_is_wrong() -> None:
    class B(DeclarativeBase):
        pass

    class Animal(B):
        __tablename__ = "ranimal"
        id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.ArgumentError, match="needs a __tablename__"):

        class NoTable(Animal):
            __mapper_args__ = {"concrete": True}

    with pytest.raises(exc.ArgumentError, match="polymorphic_load"):

        class Loaded(Animal):
            __tablename__ = "rloaded"
            id: Mapped[int] = mapped_column(primary_key=True)
            __mapper_args__ = {"concrete": True, "polymorphic_load": "inline"}


def _scenario(lib: Any, orm: Any, declarative: Any, url: str) -> list[Any]:
    """One ConcreteBase scenario, written once for both libraries (the oracle check)."""

    class B(orm.DeclarativeBase):
        pass

    class Emp(declarative.ConcreteBase, B):
        __tablename__ = "oc_emp"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "emp", "concrete": True}

    class Mgr(Emp):
        __tablename__ = "oc_mgr"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20))
        data = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "mgr", "concrete": True}

    engine = lib.create_engine(url)
    B.metadata.create_all(engine)
    out: list[Any] = []
    with orm.Session(engine) as s:
        s.add_all([Emp(id=1, name="e"), Mgr(id=2, name="m", data="d"), Mgr(id=3, name="n")])
        s.commit()
        out.append([type(o).__name__ for o in s.scalars(lib.select(Emp).order_by(Emp.id))])
        out.append([o.id for o in s.scalars(lib.select(Emp).where(Emp.name == "m"))])
        out.append([type(s.get(Emp, 2)).__name__, s.get(Mgr, 1)])
        s.delete(s.get(Mgr, 3))
        s.commit()
    with engine.connect() as conn:
        out.append([tuple(r) for r in conn.execute(lib.text("SELECT id FROM oc_mgr"))])
    engine.dispose()
    return out


def test_concrete_base_scenario_matches_sqlalchemy(tmp_path: Any) -> None:
    import sqlalchemy
    import sqlalchemy.ext.declarative
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.ext.declarative
    import uow_orm.orm

    ours = _scenario(
        uow_orm, uow_orm.orm, uow_orm.ext.declarative, f"sqlite:///{tmp_path / 'ours.db'}"
    )
    theirs = _scenario(
        sqlalchemy,
        sqlalchemy.orm,
        sqlalchemy.ext.declarative,
        f"sqlite:///{tmp_path / 'theirs.db'}",
    )
    assert ours == theirs
    assert ours[0] == ["Emp", "Mgr", "Mgr"]


def _abstract_scenario(lib: Any, orm: Any, declarative: Any, url: str) -> list[Any]:
    """One AbstractConcreteBase scenario for both libraries (the oracle check)."""

    class B(orm.DeclarativeBase):
        pass

    class Thing(declarative.AbstractConcreteBase, B):
        strict_attrs = True
        name = lib.Column(lib.String(20))

    class Rock(Thing):
        __tablename__ = "oa_rock"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20))
        hard = lib.Column(lib.Integer)
        __mapper_args__ = {"polymorphic_identity": "rock", "concrete": True}

    class Tree(Thing):
        __tablename__ = "oa_tree"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20))
        __mapper_args__ = {"polymorphic_identity": "tree", "concrete": True}

    engine = lib.create_engine(url)
    B.metadata.create_all(engine)
    out: list[Any] = [sorted(B.metadata.tables)]
    with orm.Session(engine) as s:
        s.add_all([Rock(id=1, name="r", hard=2), Tree(id=2, name="t"), Tree(id=3, name="u")])
        s.commit()
        out.append([type(o).__name__ for o in s.scalars(lib.select(Thing).order_by(Thing.id))])
        out.append([o.id for o in s.scalars(lib.select(Thing).where(Thing.name > "s"))])
        out.append(type(s.get(Thing, 1)).__name__)
    engine.dispose()
    return out


def test_abstract_concrete_base_scenario_matches_sqlalchemy(tmp_path: Any) -> None:
    import sqlalchemy
    import sqlalchemy.ext.declarative
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.ext.declarative
    import uow_orm.orm

    ours = _abstract_scenario(
        uow_orm, uow_orm.orm, uow_orm.ext.declarative, f"sqlite:///{tmp_path / 'ours.db'}"
    )
    theirs = _abstract_scenario(
        sqlalchemy,
        sqlalchemy.orm,
        sqlalchemy.ext.declarative,
        f"sqlite:///{tmp_path / 'theirs.db'}",
    )
    assert ours == theirs
    assert ours[1] == ["Rock", "Tree", "Tree"]
