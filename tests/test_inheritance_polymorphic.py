"""Polymorphic loading of inheritance hierarchies (issue 16): aliased ``with_polymorphic()``
(``aliased=True``, ``flat=True``, ``innerjoin=True``), ``selectin_polymorphic`` below a
relationship's loader option, and ORM ``insert(Subclass).returning(...)`` of a joined-table
subclass.

The query guide's hierarchy (a company; ``employee`` with ``manager`` and ``engineer``
tables joined to it; ``paperwork`` of managers) and its single-table twin. Every test
runs on SQLite and PostgreSQL and reads the rows back from the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch, run

from uow_orm import (
    ForeignKey,
    Session,
    String,
    exc,
    insert,
    inspect,
    joinedload,
    or_,
    select,
    selectin_polymorphic,
    selectinload,
    with_polymorphic,
)
from uow_orm.orm import DeclarativeBase, Load, Mapped, mapped_column, relationship
from uow_orm.orm.polymorphic import AliasedPolymorphic


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "pcompany"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    employees: Mapped[list[Employee]] = relationship(
        back_populates="company", order_by="Employee.id"
    )


class Employee(Base):
    __tablename__ = "pemployee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("pcompany.id"))
    company: Mapped[Company | None] = relationship(back_populates="employees")
    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "employee"}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class Manager(Employee):
    __tablename__ = "pmanager"
    id: Mapped[int] = mapped_column(ForeignKey("pemployee.id"), primary_key=True)
    manager_name: Mapped[str | None] = mapped_column(String(40))
    paperwork: Mapped[list[Paperwork]] = relationship(order_by="Paperwork.id")
    __mapper_args__ = {"polymorphic_identity": "manager"}


class Engineer(Employee):
    __tablename__ = "pengineer"
    id: Mapped[int] = mapped_column(ForeignKey("pemployee.id"), primary_key=True)
    engineer_info: Mapped[str | None] = mapped_column(String(40), server_default="junior")
    __mapper_args__ = {"polymorphic_identity": "engineer"}


class Paperwork(Base):
    __tablename__ = "ppaperwork"
    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("pmanager.id"))
    document_name: Mapped[str] = mapped_column(String(40))


# the single-table twin
class SBase(DeclarativeBase):
    pass


class SEmployee(SBase):
    __tablename__ = "semployee"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    company_id: Mapped[int | None]
    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "employee"}


class SManager(SEmployee):
    manager_name: Mapped[str | None] = mapped_column(String(40))
    __mapper_args__ = {"polymorphic_identity": "manager"}


class SEngineer(SEmployee):
    engineer_info: Mapped[str | None] = mapped_column(String(40))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


DB_BASES = (Base, SBase)


def _krusty_krab(s: Session) -> None:
    s.add(
        Company(
            id=1,
            name="Krusty Krab",
            employees=[
                Manager(
                    id=1,
                    name="Mr. Krabs",
                    manager_name="Eugene H. Krabs",
                    paperwork=[Paperwork(id=1, document_name="Secret Recipes")],
                ),
                Engineer(id=2, name="SpongeBob", engineer_info="Krabby Patty Master"),
                Engineer(id=3, name="Squidward", engineer_info="Senior Engineer"),
            ],
        )
    )
    s.add(Company(id=2, name="Chum Bucket", employees=[Manager(id=4, name="Plankton")]))
    s.add_all(
        [
            SManager(id=1, name="Mr. Krabs", manager_name="Eugene", company_id=1),
            SEngineer(id=2, name="SpongeBob", engineer_info="fry cook", company_id=1),
            SEngineer(id=3, name="Squidward", engineer_info="cashier", company_id=1),
            SManager(id=4, name="Plankton", manager_name="Sheldon", company_id=2),
        ]
    )
    s.commit()


@pytest.fixture
def s(db: Any) -> Any:
    with Session(db) as s:
        _krusty_krab(s)
        if db.dialect.name == "postgresql":  # the rows above took explicit keys
            run(db, "SELECT setval(pg_get_serial_sequence('pemployee', 'id'), 4)")
        s.expunge_all()
        yield s


# -- with_polymorphic(aliased=True) ------------------------------------------------------------
@pytest.mark.parametrize("flat", [True, False])
def test_two_aliased_polymorphic_entities_join_each_other(s: Any, db: Any, flat: bool) -> None:
    managers = with_polymorphic(Employee, [Manager], aliased=True, flat=flat)
    engineers = with_polymorphic(Employee, [Engineer], aliased=True, flat=flat)
    stmt = (
        select(managers, engineers)
        .join(engineers, engineers.company_id == managers.company_id)
        .where(
            or_(managers.name == "Mr. Krabs", managers.Manager.manager_name == "Eugene H. Krabs")
        )
        .order_by(engineers.name, managers.name)
    )
    rows = s.execute(stmt).all()
    assert [(repr(m), repr(e)) for m, e in rows] == [
        ("Manager('Mr. Krabs')", "Manager('Mr. Krabs')"),
        ("Manager('Mr. Krabs')", "Engineer('SpongeBob')"),
        ("Manager('Mr. Krabs')", "Engineer('Squidward')"),
    ]
    krabs = rows[0][0]
    assert krabs is rows[0][1] and inspect(krabs).persistent  # one object per row
    # the subclass columns came with the rows: no load on access
    assert "manager_name" in krabs.__dict__ and krabs.manager_name == "Eugene H. Krabs"
    assert rows[1][1].__dict__["engineer_info"] == "Krabby Patty Master"
    sql = str(stmt)
    if flat:
        assert "pemployee AS pemployee_1 LEFT OUTER JOIN pmanager AS pmanager_1" in sql
    else:
        assert "anon_1.pmanager_manager_name" in sql and "AS anon_2" in sql


def test_flat_implies_aliased_and_innerjoin_reads_only_listed_subclasses(s: Any) -> None:
    wp = with_polymorphic(Employee, [Manager], flat=True, innerjoin=True)
    assert isinstance(wp, AliasedPolymorphic)
    sql = str(select(wp))
    assert "pemployee AS pemployee_1 JOIN pmanager AS pmanager_1" in sql
    assert "LEFT OUTER" not in sql
    got = s.scalars(select(wp).order_by(wp.id)).all()
    assert [(type(o), o.name) for o in got] == [(Manager, "Mr. Krabs"), (Manager, "Plankton")]
    plain = with_polymorphic(Employee, [Manager, Engineer], innerjoin=True)
    assert "LEFT OUTER" not in str(select(plain))
    # an inner join to both subclass tables matches no row (each row is of one class)
    assert s.scalars(select(plain)).all() == []


def test_columns_of_a_flat_alias_select_from_its_whole_join(s: Any) -> None:
    wp = with_polymorphic(Employee, "*", aliased=True, flat=True)
    stmt = select(wp.Manager.manager_name, wp.name).where(wp.type == "manager")
    assert str(stmt).count("pemployee AS pemployee_1 LEFT OUTER JOIN pmanager") == 1
    assert "FROM pmanager AS pmanager_1," not in str(stmt)  # no cartesian product
    assert sorted(s.execute(stmt).all(), key=str) == [
        ("Eugene H. Krabs", "Mr. Krabs"),
        (None, "Plankton"),
    ]


def test_aliased_polymorphic_entity_as_relationship_target(s: Any) -> None:
    wp = with_polymorphic(Employee, [Manager], aliased=True, flat=True)
    stmt = (
        select(Company.name, wp)
        .join(Company.employees.of_type(wp))
        .where(wp.Manager.manager_name.is_not(None))
        .order_by(Company.id)
    )
    assert [(c, repr(m)) for c, m in s.execute(stmt)] == [("Krusty Krab", "Manager('Mr. Krabs')")]
    insp = inspect(wp)
    assert [m.class_ for m in insp.with_polymorphic_mappers] == [Employee, Manager]


def test_aliased_polymorphic_of_a_single_table_hierarchy_aliases_the_table(s: Any) -> None:
    a = with_polymorphic(SEmployee, [SManager], aliased=True)
    b = with_polymorphic(SEmployee, [SEngineer], aliased=True)
    stmt = (
        select(a.name, b.name)
        .select_from(a)
        .join(b, b.company_id == a.company_id)
        .where(a.type == "manager", b.SEngineer.engineer_info == "cashier")
        .order_by(a.id)
    )
    assert "semployee AS semployee_1" in str(stmt)
    assert s.execute(stmt).all() == [("Mr. Krabs", "Squidward")]
    only = with_polymorphic(SManager, [], aliased=True)
    assert [o.name for o in s.scalars(select(only).order_by(only.id))] == [
        "Mr. Krabs",
        "Plankton",
    ]


def test_with_polymorphic_refuses_what_it_does_not_support() -> None:
    with pytest.raises(exc.ArgumentError, match="selectable"):
        with_polymorphic(Employee, [Manager], selectable=Employee.__table__)
    with pytest.raises(exc.ArgumentError, match="polymorphic_on"):
        with_polymorphic(Employee, [Manager], aliased=True, polymorphic_on=Employee.type)
    with pytest.raises(exc.ArgumentError, match="not a mapped subclass of Employee"):
        with_polymorphic(Employee, [Company], aliased=True)


# -- selectin_polymorphic below a relationship ------------------------------------------------
def _assert_loaded_without_sql(companies: list[Any], log: Any) -> None:
    before = log.count("SELECT")
    krusty = companies[0]
    assert [repr(e) for e in krusty.employees] == [
        "Manager('Mr. Krabs')",
        "Engineer('SpongeBob')",
        "Engineer('Squidward')",
    ]
    assert krusty.employees[0].manager_name == "Eugene H. Krabs"
    assert krusty.employees[2].engineer_info == "Senior Engineer"
    assert companies[1].employees[0].manager_name is None
    assert log.count("SELECT") == before, log


def test_chained_selectin_polymorphic_loads_subclass_columns_per_subclass(
    s: Any, db: Any, sql_log: Any
) -> None:
    log = sql_log(db)
    stmt = select(Company).order_by(Company.id)
    stmt = stmt.options(selectinload(Company.employees).selectin_polymorphic([Manager, Engineer]))
    companies = s.scalars(stmt).all()
    # companies, their employees, then one SELECT per subclass
    assert log.count("SELECT") == 4, log
    selects = [q for q in log.sql if q.startswith("SELECT")]
    assert "JOIN pmanager" in selects[2] and "JOIN pengineer" in selects[3]
    _assert_loaded_without_sql(companies, log)


def test_selectin_polymorphic_inside_options_with_a_subclass_relationship(
    s: Any, db: Any, sql_log: Any
) -> None:
    log = sql_log(db)
    stmt = select(Company).order_by(Company.id)
    stmt = stmt.options(
        selectinload(Company.employees).options(
            selectin_polymorphic(Employee, [Manager, Engineer]),
            selectinload(Manager.paperwork),
        )
    )
    companies = s.scalars(stmt).all()
    assert log.count("SELECT") == 5, log  # + the managers' paperwork
    _assert_loaded_without_sql(companies, log)
    assert [p.document_name for p in companies[0].employees[0].paperwork] == ["Secret Recipes"]
    assert companies[1].employees[0].paperwork == []
    assert log.count("SELECT") == 5


def test_joinedload_then_selectin_polymorphic(s: Any, db: Any, sql_log: Any) -> None:
    log = sql_log(db)
    stmt = select(Company).order_by(Company.id)
    stmt = stmt.options(joinedload(Company.employees).selectin_polymorphic([Manager, Engineer]))
    companies = s.scalars(stmt).unique().all()
    assert log.count("SELECT") == 3, log  # companies joined to employees, then one per subclass
    _assert_loaded_without_sql(companies, log)


@pytest.mark.parametrize("loader", ["defaultload", "lazyload", "immediateload"])
def test_selectin_polymorphic_below_a_lazy_relationship_applies_when_it_loads(
    s: Any, db: Any, sql_log: Any, loader: str
) -> None:
    import uow_orm

    option = getattr(uow_orm, loader)(Company.employees).selectin_polymorphic([Manager])
    log = sql_log(db)
    krusty = s.scalars(select(Company).where(Company.id == 1).options(option)).one()
    assert log.count("SELECT") == (3 if loader == "immediateload" else 1)
    staff = krusty.employees  # the lazy load, then the managers' columns
    assert log.count("SELECT") == 3
    assert staff[0].__dict__["manager_name"] == "Eugene H. Krabs"
    assert "engineer_info" not in staff[1].__dict__  # not named: loads on access


@pytest.mark.parametrize("aliased", [False, True])
@pytest.mark.parametrize("loader", ["contains_eager", "selectinload", "joinedload"])
def test_loader_of_type_with_polymorphic_loads_the_subclass_columns(
    s: Any, db: Any, sql_log: Any, loader: str, aliased: bool
) -> None:
    from uow_orm import contains_eager

    wp = with_polymorphic(Employee, [Manager, Engineer], aliased=aliased, flat=aliased)
    rel = Company.employees.of_type(wp)
    stmt = select(Company).where(Company.id == 1)
    if loader == "contains_eager":
        stmt = stmt.join(rel).options(contains_eager(rel)).order_by(wp.id)
    else:
        stmt = stmt.options(selectinload(rel) if loader == "selectinload" else joinedload(rel))
    log = sql_log(db)
    krusty = s.scalars(stmt).unique().one()
    n = log.count("SELECT")
    if loader == "contains_eager":
        assert n == 1  # the subclass columns came with the statement's own join
    staff = krusty.employees
    assert [(type(e), e.__dict__.get("manager_name")) for e in staff] == [
        (Manager, "Eugene H. Krabs"),
        (Engineer, None),
        (Engineer, None),
    ]
    assert staff[2].__dict__["engineer_info"] == "Senior Engineer"
    assert log.count("SELECT") == n  # nothing loaded on access


def test_load_entity_selectin_polymorphic_at_the_top(s: Any, db: Any, sql_log: Any) -> None:
    log = sql_log(db)
    stmt = select(Employee).order_by(Employee.id)
    got = s.scalars(stmt.options(Load(Employee).selectin_polymorphic([Engineer]))).all()
    assert log.count("SELECT") == 2
    assert [o.__dict__.get("engineer_info") for o in got] == [
        None,
        "Krabby Patty Master",
        "Senior Engineer",
        None,
    ]
    assert "manager_name" not in got[0].__dict__  # not asked for: loads on access
    assert got[0].manager_name == "Eugene H. Krabs" and log.count("SELECT") == 3


def test_subclass_option_under_a_base_path_needs_selectin_polymorphic_or_of_type() -> None:
    from uow_orm.orm.strategy_options import LoadTree

    def tree(option: Any) -> LoadTree:
        return LoadTree.from_options([option], Company)

    with pytest.raises(exc.ArgumentError, match=r"of_type\(Manager\)"):
        tree(selectinload(Company.employees).options(selectinload(Manager.paperwork)))
    with pytest.raises(exc.ArgumentError, match="does not link"):
        tree(selectinload(Company.employees).options(selectin_polymorphic(Company, [])))
    with pytest.raises(exc.ArgumentError, match="not a mapped subclass of Manager"):
        selectinload(Company.employees.of_type(Manager)).selectin_polymorphic([Engineer])
    # of_type(Manager) reaches Manager: its own relationships chain on
    ok = tree(selectinload(Company.employees.of_type(Manager)).selectinload(Manager.paperwork))
    assert "paperwork" in ok.children["employees"][1].children


def test_subclass_option_error_is_raised_when_the_statement_runs(s: Any) -> None:
    stmt = select(Company).options(
        selectinload(Company.employees).options(selectinload(Manager.paperwork))
    )
    with pytest.raises(exc.ArgumentError, match="does not link from the entity Employee"):
        s.scalars(stmt).all()


# -- ORM INSERT ... RETURNING of a joined-table subclass ---------------------------------------
def test_bulk_insert_returning_joined_subclass_objects(s: Any, db: Any, sql_log: Any) -> None:
    log = sql_log(db)
    managers = s.scalars(
        insert(Manager).returning(Manager),
        [
            {"name": "sandy", "manager_name": "Sandy Cheeks"},
            {"name": "ehkrabs", "manager_name": "Eugene H. Krabs"},
        ],
    ).all()
    assert [(type(m), m.name, m.manager_name, m.type) for m in managers] == [
        (Manager, "sandy", "Sandy Cheeks", "manager"),
        (Manager, "ehkrabs", "Eugene H. Krabs", "manager"),
    ]
    assert all(inspect(m).persistent and m in s for m in managers)
    ids = [m.id for m in managers]
    assert ids[0] < ids[1] and ids[0] > 4
    assert s.get(Employee, ids[0]) is managers[0]  # in the identity map
    assert log.count("INSERT") + log.count("SELECT") <= 3, (
        log
    )  # base rows, subclass rows, one SELECT of what RETURNING names
    s.commit()
    got = fetch(
        db,
        "SELECT e.id, e.type, m.manager_name FROM pemployee e JOIN pmanager m ON m.id = e.id "
        "WHERE e.id >= 5 ORDER BY e.id",
    )
    assert got == [(ids[0], "manager", "Sandy Cheeks"), (ids[1], "manager", "Eugene H. Krabs")]


def test_bulk_insert_returning_columns_in_parameter_order(s: Any, db: Any) -> None:
    rows = s.execute(
        insert(Engineer).returning(Engineer.name, Engineer.engineer_info, Engineer.id),
        [
            {"id": 30, "name": "zed", "engineer_info": "x"},
            {"id": 20, "name": "amy"},  # engineer_info: the server default
        ],
    ).all()
    assert rows == [("zed", "x", 30), ("amy", "junior", 20)]
    assert list(s.execute(insert(Engineer).returning(Engineer.id), [{"name": "n"}]).keys()) == [
        "id"
    ]
    mixed = s.execute(insert(Manager).returning(Manager, Manager.id), [{"name": "m"}]).one()
    assert isinstance(mixed[0], Manager) and mixed[0].id == mixed[1]
    s.commit()
    assert fetch(
        db, "SELECT id, engineer_info FROM pengineer WHERE id IN (20, 30) ORDER BY id"
    ) == [
        (20, "junior"),
        (30, "x"),
    ]


def test_orm_insert_of_joined_subclass_with_values_and_a_single_row(s: Any, db: Any) -> None:
    one = s.execute(insert(Manager).returning(Manager), {"name": "solo", "manager_name": "s"})
    solo = one.scalar_one()
    s.execute(insert(Manager).values(manager_name="same"), [{"name": "a"}, {"name": "b"}])
    s.execute(insert(Manager).values(name="v", manager_name="w"))
    s.commit()
    assert fetch(
        db,
        "SELECT e.name, e.type, m.manager_name FROM pemployee e JOIN pmanager m ON m.id = e.id "
        "WHERE e.id >= 5 ORDER BY e.id",
    ) == [
        ("solo", "manager", "s"),
        ("a", "manager", "same"),
        ("b", "manager", "same"),
        ("v", "manager", "w"),
    ]
    assert solo.id == fetch(db, "SELECT id FROM pemployee WHERE name = 'solo'")[0][0]


def test_orm_insert_of_joined_subclass_refuses_what_spans_tables_badly(s: Any, db: Any) -> None:
    from uow_orm import func

    with pytest.raises(exc.CompileError, match="constant values only"):
        s.execute(insert(Manager).values(name=func.lower("X")), [{"manager_name": "a"}])
    with pytest.raises(exc.CompileError, match="from_select"):
        s.execute(insert(Manager).from_select(["name"], select(Company.name)))
    with pytest.raises(exc.CompileError, match="multi-row values"):
        s.execute(insert(Manager).values([{"name": "a"}]), [{"name": "b"}])
    s.rollback()
    assert fetch(db, "SELECT count(*) FROM pemployee") == [(4,)]


def test_failed_bulk_insert_returning_leaves_the_database_as_it_was(s: Any, db: Any) -> None:
    with pytest.raises(exc.IntegrityError):
        s.execute(insert(Manager).returning(Manager), [{"id": 50, "name": "x"}, {"id": 1}])
    s.rollback()
    assert fetch(db, "SELECT count(*) FROM pemployee") == [(4,)]
    assert fetch(db, "SELECT count(*) FROM pmanager") == [(2,)]
