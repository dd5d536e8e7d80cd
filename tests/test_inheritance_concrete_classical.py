"""Classical and semi-classical concrete inheritance, and classes mapped to a subquery.

SQLAlchemy's chapter "Mapping Class Inheritance Hierarchies" maps the base of a concrete
hierarchy onto the ``polymorphic_union()`` itself (``__table__ = pjoin``, or
``registry.map_imperatively(Employee, pjoin, ...)``); a class may also be mapped to any
``select(...).subquery()``. Such mappings read through the subquery and are read-only.
Every test runs on SQLite and PostgreSQL and reads rows back from the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch, run
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    Table,
    event,
    exc,
    func,
    inspect,
    select,
    update,
    with_polymorphic,
)
from uow_orm.orm import (
    DeclarativeBase,
    aliased,
    joinedload,
    polymorphic_union,
    registry,
    relationship,
    selectinload,
)


# -- semi-classical: the abstract base mapped onto the union ------------------------------
class Base(DeclarativeBase):
    pass


company_t = Table(
    "cc_company", Base.metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
)
manager_t = Table(
    "cc_manager",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("manager_data", String(50)),
    Column("company_id", ForeignKey("cc_company.id")),
)
engineer_t = Table(
    "cc_engineer",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("engineer_info", String(50)),
    Column("company_id", ForeignKey("cc_company.id")),
)
pjoin = polymorphic_union({"manager": manager_t, "engineer": engineer_t}, "type", "pjoin")


class Company(Base):
    __table__ = company_t
    employees = relationship("Employee", order_by=lambda: Employee.id)


class Employee(Base):
    __table__ = pjoin
    __mapper_args__ = {
        "polymorphic_on": pjoin.c.type,
        "with_polymorphic": "*",
        "polymorphic_identity": "employee",
    }


class Engineer(Employee):
    __table__ = engineer_t
    __mapper_args__ = {"polymorphic_identity": "engineer", "concrete": True}


class Manager(Employee):
    __table__ = manager_t
    __mapper_args__ = {"polymorphic_identity": "manager", "concrete": True}


# -- a class mapped to a subquery -----------------------------------------------------------
user_t = Table(
    "sq_user", Base.metadata, Column("id", Integer, primary_key=True), Column("name", String(50))
)
address_t = Table(
    "sq_address",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("sq_user.id")),
    Column("email", String(50)),
)
counts = (
    select(address_t.c.user_id, func.count(address_t.c.id).label("address_count"))
    .group_by(address_t.c.user_id)
    .subquery()
)


class User(Base):
    __table__ = user_t
    stats = relationship(
        "UserStats",
        primaryjoin=lambda: user_t.c.id == UserStats.__table__.c.user_id,
        foreign_keys=lambda: [UserStats.__table__.c.user_id],
        viewonly=True,
        uselist=False,
    )


class UserStats(Base):
    __table__ = counts
    __mapper_args__ = {"primary_key": [counts.c.user_id]}


class WorkAddress(Base):
    __table__ = select(address_t).where(address_t.c.email.like("%@work%")).subquery("work")
    user = relationship(User)


DB_BASES = [Base]


@pytest.fixture
def staff(session: Session) -> Session:
    """Two managers and an engineer of one company, committed."""
    acme = Company(id=1, name="acme")
    session.add_all(
        [
            acme,
            Manager(id=1, name="ann", manager_data="budget", company_id=1),
            Engineer(id=2, name="bob", engineer_info="rust", company_id=1),
            Manager(id=3, name="cat", manager_data="hiring"),
        ]
    )
    session.commit()
    return session


def test_base_mapped_onto_the_union_loads_each_row_as_its_class(staff: Session) -> None:
    s = staff
    s.expunge_all()
    got = s.scalars(select(Employee).order_by(Employee.id)).all()
    assert [(type(o), o.name) for o in got] == [
        (Manager, "ann"),
        (Engineer, "bob"),
        (Manager, "cat"),
    ]
    assert got[0].__dict__["manager_data"] == "budget"  # loaded from the union's row
    assert got[1].__dict__["engineer_info"] == "rust"
    assert s.scalars(select(Employee.name).where(Employee.type == "engineer")).all() == ["bob"]
    assert s.scalars(select(Employee).where(Employee.name == "cat")).one() is got[2]
    assert Employee.__table__ is pjoin
    assert inspect(Employee).persist_selectable is pjoin
    assert inspect(Employee).polymorphic_map["manager"] is inspect(Manager)
    assert "FROM (SELECT" in str(select(Employee)) and "AS pjoin" in str(select(Employee))


def test_subclass_queries_read_their_own_table(staff: Session, sql_log: Any) -> None:
    log = sql_log(staff.get_bind())
    staff.expunge_all()
    managers = staff.scalars(select(Manager).order_by(Manager.id)).all()
    assert [m.name for m in managers] == ["ann", "cat"]
    assert "pjoin" not in log.sql[-1] and "cc_manager" in log.sql[-1]
    assert staff.get(Manager, 2) is None  # 2 is an engineer: not in the manager table


def test_get_of_the_base_returns_the_subclass_object_from_the_identity_map(
    staff: Session,
) -> None:
    staff.expunge_all()
    bob = staff.get(Employee, 2)
    assert type(bob) is Engineer and bob.engineer_info == "rust"
    assert staff.get(Engineer, 2) is bob
    assert staff.get(Employee, 99) is None


def test_update_and_delete_of_concrete_subclasses_write_their_tables(staff: Session) -> None:
    s = staff
    ann = s.get(Employee, 1)
    ann.manager_data = "everything"
    s.delete(s.get(Engineer, 2))
    s.commit()
    assert fetch(s.get_bind(), "SELECT id, manager_data FROM cc_manager ORDER BY id") == [
        (1, "everything"),
        (3, "hiring"),
    ]
    assert fetch(s.get_bind(), "SELECT id FROM cc_engineer") == []
    s.expunge_all()
    assert [e.name for e in s.scalars(select(Employee).order_by(Employee.id))] == ["ann", "cat"]


def test_rollback_and_savepoint_restore_concrete_subclass_objects(staff: Session) -> None:
    s = staff
    ann = s.get(Manager, 1)
    ann.name = "changed"
    with s.begin_nested():
        s.add(Engineer(id=4, name="dan"))
    sp = s.begin_nested()
    s.add(Engineer(id=5, name="eve"))
    s.flush()
    sp.rollback()
    assert [e.id for e in s.scalars(select(Employee).order_by(Employee.id))] == [1, 2, 3, 4]
    s.rollback()
    assert ann.name == "ann"
    assert fetch(s.get_bind(), "SELECT id FROM cc_engineer ORDER BY id") == [(2,)]


def test_a_base_object_cannot_be_flushed(staff: Session) -> None:
    s = staff
    s.add(Employee(id=9, name="nobody"))
    with pytest.raises(exc.InvalidRequestError, match=r"Can't flush Employee: .*union 'pjoin'"):
        s.flush()
    s.rollback()
    assert fetch(s.get_bind(), "SELECT count(*) FROM cc_manager") == [(2,)]
    assert fetch(s.get_bind(), "SELECT count(*) FROM cc_engineer") == [(1,)]
    with pytest.raises(
        exc.ArgumentError, match="Employee is mapped to the subquery 'pjoin', not to a table"
    ):
        update(Employee).values(name="x")


def test_relationship_to_the_base_loads_and_writes_concrete_objects(staff: Session) -> None:
    s = staff
    s.expunge_all()
    acme = s.get(Company, 1)
    assert [(type(e), e.name) for e in acme.employees] == [(Manager, "ann"), (Engineer, "bob")]
    cat = s.get(Manager, 3)
    acme.employees.remove(acme.employees[1])  # bob leaves: his company_id is NULLed
    acme.employees.append(cat)
    s.commit()
    assert fetch(s.get_bind(), "SELECT id, company_id FROM cc_manager ORDER BY id") == [
        (1, 1),
        (3, 1),
    ]
    assert fetch(s.get_bind(), "SELECT company_id FROM cc_engineer") == [(None,)]
    for opt in (selectinload(Company.employees), joinedload(Company.employees)):
        s.expunge_all()
        loaded = s.scalars(select(Company).options(opt)).unique().one()
        assert "employees" in loaded.__dict__
        assert [e.name for e in loaded.employees] == ["ann", "cat"]
    found = s.scalars(select(Company.name).where(Company.employees.any(Employee.name == "cat")))
    assert found.all() == ["acme"]
    joined = select(Company.name, Employee.name).join(Company.employees).order_by(Employee.name)
    assert s.execute(joined).all() == [("acme", "ann"), ("acme", "cat")]


def test_classical_map_imperatively_of_a_concrete_hierarchy(engine: Any) -> None:
    reg = registry()
    employees_table = Table(
        "kc_employee",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
    )
    managers_table = Table(
        "kc_manager",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("manager_data", String(50)),
    )
    engineers_table = Table(
        "kc_engineer",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        Column("engineer_info", String(50)),
    )
    union = polymorphic_union(
        {"employee": employees_table, "manager": managers_table, "engineer": engineers_table},
        "type",
        "pjoin",
    )

    class Person:
        def __init__(self, **kw: Any) -> None:
            for k in kw:
                setattr(self, k, kw[k])

    class Boss(Person):
        pass

    class Coder(Person):
        pass

    person_mapper = reg.map_imperatively(
        Person, union, with_polymorphic=("*", union), polymorphic_on=union.c.type
    )
    reg.map_imperatively(
        Boss, managers_table, inherits=person_mapper, concrete=True, polymorphic_identity="manager"
    )
    reg.map_imperatively(
        Coder,
        engineers_table,
        inherits=person_mapper,
        concrete=True,
        polymorphic_identity="engineer",
    )
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [Boss(id=1, name="b", manager_data="m"), Coder(id=2, name="c", engineer_info="e")]
        )
        s.commit()
        s.expunge_all()
        got = s.scalars(select(Person).order_by(Person.id)).all()  # type: ignore[attr-defined]
        assert [(type(o), o.name) for o in got] == [(Boss, "b"), (Coder, "c")]
        got[1].engineer_info = "f"
        s.commit()
        s.add(Person(id=3, name="p"))
        with pytest.raises(exc.InvalidRequestError, match="Can't flush Person"):
            s.flush()
        s.rollback()
    run(engine, "INSERT INTO kc_employee (id, name) VALUES (7, 'plain')")
    assert fetch(engine, "SELECT engineer_info FROM kc_engineer") == [("f",)]
    with Session(engine) as s, pytest.raises(exc.InvalidRequestError, match="'employee'"):
        s.scalars(select(Person)).all()  # (Person has no identity of its own, as in SA)


# -- classes mapped to a subquery -------------------------------------------------------------
@pytest.fixture
def people(session: Session) -> Session:
    session.add_all([User(id=1, name="ann"), User(id=2, name="bob")])
    session.flush()
    session.execute(
        address_t.insert(),
        [
            {"id": 1, "user_id": 1, "email": "a@work"},
            {"id": 2, "user_id": 1, "email": "b@work"},
            {"id": 3, "user_id": 2, "email": "c@home"},
        ],
    )
    session.commit()
    return session


def test_class_mapped_to_a_subquery_reads_its_rows(people: Session) -> None:
    s = people
    rows = s.scalars(select(UserStats).order_by(UserStats.user_id)).all()
    assert [(r.user_id, r.address_count) for r in rows] == [(1, 2), (2, 1)]
    assert s.get(UserStats, 2) is rows[1]
    s.expunge_all()
    assert s.get(UserStats, 1).address_count == 2
    assert s.get(UserStats, 3) is None
    assert [w.email for w in s.scalars(select(WorkAddress).order_by(WorkAddress.id))] == [
        "a@work",
        "b@work",
    ]
    assert s.scalar(select(func.count()).select_from(WorkAddress)) == 2
    w = aliased(WorkAddress)
    assert s.execute(select(w.email).where(w.id == 2)).scalars().all() == ["b@work"]
    assert inspect(UserStats).primary_key[0].name == "user_id"
    assert UserStats.__table__ is counts


def test_refresh_and_expire_reread_the_subquery(people: Session) -> None:
    s = people
    stats = s.get(UserStats, 1)
    assert stats.address_count == 2
    s.commit()  # (the other connection's write does not wait for this transaction)
    run(s.get_bind(), "INSERT INTO sq_address (id, user_id, email) VALUES (4, 1, 'd@work')")
    s.refresh(stats)
    assert stats.address_count == 3
    s.commit()
    run(s.get_bind(), "DELETE FROM sq_address WHERE id = 4")
    assert stats.address_count == 2  # expired by the commit: loaded again on access
    s.expire(stats)
    assert stats.address_count == 2 and inspect(stats).persistent


def test_relationships_to_and_from_a_subquery_mapped_class(people: Session) -> None:
    s = people
    ann = s.get(User, 1)
    assert ann.stats.address_count == 2  # lazy load through the subquery
    for opt in (selectinload(User.stats), joinedload(User.stats)):
        s.expunge_all()
        users = s.scalars(select(User).options(opt).order_by(User.id)).all()
        assert [u.__dict__["stats"].address_count for u in users] == [2, 1]
    s.expunge_all()
    joined = select(User.name, UserStats.address_count).join(User.stats).order_by(User.id)
    assert s.execute(joined).all() == [("ann", 2), ("bob", 1)]
    assert s.scalars(
        select(User.name).where(User.stats.has(UserStats.address_count > 1))
    ).all() == ["ann"]
    works = s.scalars(select(WorkAddress).options(joinedload(WorkAddress.user))).all()
    assert {w.__dict__["user"].name for w in works} == {"ann"}
    assert s.scalars(
        select(WorkAddress.id)
        .where(WorkAddress.user.has(User.name == "ann"))
        .order_by(WorkAddress.id)
    ).all() == [1, 2]
    s.expunge_all()
    assert s.get(WorkAddress, 1).user.name == "ann"


def test_flushing_objects_of_a_subquery_mapped_class_raises(people: Session) -> None:
    s = people
    work = s.get(WorkAddress, 1)
    work.email = "z@work"
    with pytest.raises(exc.InvalidRequestError, match=r"Can't flush WorkAddress: .*'work'"):
        s.flush()
    s.rollback()
    s.delete(s.get(WorkAddress, 2))
    with pytest.raises(exc.InvalidRequestError, match="read-only"):
        s.flush()
    s.rollback()
    s.add(UserStats(user_id=5, address_count=0))
    with pytest.raises(exc.InvalidRequestError, match=r"Can't flush UserStats: .*\(anonymous\)"):
        s.commit()
    s.rollback()
    assert fetch(s.get_bind(), "SELECT id, email FROM sq_address ORDER BY id") == [
        (1, "a@work"),
        (2, "b@work"),
        (3, "c@home"),
    ]
    with pytest.raises(exc.ArgumentError, match="not to a table"):
        update(WorkAddress).values(email="x")


def test_subquery_mapping_arguments_are_checked() -> None:
    class Local(DeclarativeBase):
        pass

    sub = select(user_t).subquery("u")
    other = select(address_t).subquery("a")
    with pytest.raises(exc.ArgumentError, match=r"version_id_col.*read-only"):

        class Versioned(Local):
            __table__ = sub
            __mapper_args__ = {"version_id_col": sub.c.id}

    with pytest.raises(exc.ArgumentError, match="is not a column of the subquery"):

        class WrongKey(Local):
            __table__ = sub
            __mapper_args__ = {"primary_key": [other.c.id]}

    with pytest.raises(exc.ArgumentError, match="only name that union"):

        class WrongUnion(Local):
            __table__ = pjoin
            __mapper_args__ = {"polymorphic_on": pjoin.c.type, "with_polymorphic": ("*", other)}


def test_statement_counts_of_a_classical_concrete_hierarchy(engine: Any) -> None:
    """1,000 objects (500 of each subclass): one INSERT, UPDATE and DELETE batch per
    table; loading them through the union is one SELECT."""
    Base.metadata.create_all(engine)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as s:
            s.add_all(
                Manager(id=i, name=f"m{i}") if i % 2 else Engineer(id=i, name=f"e{i}")
                for i in range(1, 1001)
            )
            s.commit()
            inserts = [st for st in statements if st.startswith("INSERT")]
            assert len(inserts) == 2
            statements.clear()
            s.expunge_all()
            loaded = s.scalars(select(Employee)).all()
            assert len(loaded) == 1000 and {type(o) for o in loaded} == {Manager, Engineer}
            assert [st for st in statements if st.startswith("SELECT")] == statements[-1:]
            statements.clear()
            for o in loaded:
                o.name = o.name.upper()
            s.commit()
            assert len([st for st in statements if st.startswith("UPDATE")]) == 2
            statements.clear()
            for o in s.scalars(select(Employee)).all():
                s.delete(o)
            s.commit()
            assert len([st for st in statements if st.startswith("DELETE")]) == 2
            assert len([st for st in statements if st.startswith("SELECT")]) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_subquery_of_a_join_with_renamed_columns(engine: Any) -> None:
    """SQLAlchemy's "Mapping a Class against Arbitrary Subqueries" example, with a
    column renamed in the class body and one in ``map_imperatively(properties=)``."""

    class Local(DeclarativeBase):
        pass

    customers = Table(
        "sj_customer",
        Local.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
    )
    orders = Table(
        "sj_order",
        Local.metadata,
        Column("id", Integer, primary_key=True),
        Column("customer_id", ForeignKey("sj_customer.id")),
        Column("price", Integer),
    )
    subq = (
        select(
            func.count(orders.c.id).label("order_count"),
            func.max(orders.c.price).label("highest_order"),
            orders.c.customer_id,
        )
        .group_by(orders.c.customer_id)
        .subquery()
    )
    customer_select = (
        select(customers, subq)
        .join_from(customers, subq, customers.c.id == subq.c.customer_id)
        .subquery()
    )

    class Customer(Local):
        __table__ = customer_select
        top = customer_select.c.highest_order

    class Plain:
        pass

    reg = registry()
    reg.map_imperatively(
        Plain, customer_select, properties={"orders": customer_select.c.order_count}
    )
    Local.metadata.create_all(engine)
    run(engine, "INSERT INTO sj_customer (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    run(
        engine,
        "INSERT INTO sj_order (id, customer_id, price) VALUES (1, 1, 5), (2, 1, 9), (3, 2, 1)",
    )
    assert sorted(inspect(Customer).attrs.keys()) == [
        "customer_id",
        "id",
        "name",
        "order_count",
        "top",
    ]
    with Session(engine) as s:
        got = s.scalars(select(Customer).order_by(Customer.id)).all()
        assert [(c.id, c.name, c.order_count, c.top) for c in got] == [
            (1, "a", 2, 9),
            (2, "b", 1, 1),
        ]
        assert s.scalars(select(Customer.name).where(Customer.top > 4)).all() == ["a"]
        assert s.get(Customer, 3) is None  # no orders: not in the inner join
        plain = s.scalars(select(Plain).order_by(Plain.id)).all()  # type: ignore[attr-defined]
        assert [p.orders for p in plain] == [2, 1]
        got[0].name = "changed"
        with pytest.raises(exc.InvalidRequestError, match="Can't flush Customer"):
            s.flush()
    assert fetch(engine, "SELECT name FROM sj_customer WHERE id = 1") == [("a",)]


# -- random sequences against a plain model ---------------------------------------------------
_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 6), st.booleans()),
        st.tuples(st.just("rename"), st.integers(1, 6), st.text("abc", max_size=3)),
        st.tuples(st.just("delete"), st.integers(1, 6)),
        *[st.just((name,)) for name in ("flush", "savepoint", "release", "rollback_sp")],
        *[st.just((name,)) for name in ("commit", "rollback")],
    ),
    max_size=16,
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=_OPS)
@example(ops=[("savepoint",), ("add", 1, True), ("release",), ("rename", 1, "x"), ("commit",)])
@example(ops=[("add", 2, False), ("savepoint",), ("delete", 2), ("rollback_sp",), ("commit",)])
def test_random_sessions_over_the_union_agree_with_a_model(db: Any, ops: list[Any]) -> None:
    """Add / rename / delete managers and engineers with flushes, savepoints, commits and
    rollbacks: the union query for the base (and the tables) always show the model."""
    run(db, "DELETE FROM cc_manager")
    run(db, "DELETE FROM cc_engineer")
    committed: dict[int, tuple[type, str]] = {}
    with Session(db) as s:
        levels: list[dict[int, tuple[type, str]]] = [dict(committed)]  # transaction, savepoints
        savepoints: list[Any] = []
        for op in ops:
            view = levels[-1]
            if (
                op[0] == "add"
                and op[1] not in view
                and not any(
                    op[1] in lv
                    for lv in levels  # (a deleted key is reused after the flush)
                )
            ):
                cls = Manager if op[2] else Engineer
                s.add(cls(id=op[1], name=f"n{op[1]}"))
                view[op[1]] = (cls, f"n{op[1]}")
            elif op[0] == "rename" and op[1] in view:
                obj = s.get(Employee, op[1])
                obj.name = op[2]
                view[op[1]] = (view[op[1]][0], op[2])
            elif op[0] == "delete" and op[1] in view:
                s.delete(s.get(Employee, op[1]))
                s.flush()
                del view[op[1]]
            elif op[0] == "flush":
                s.flush()
            elif op[0] == "savepoint":
                savepoints.append(s.begin_nested())
                levels.append(dict(view))
            elif op[0] in ("release", "rollback_sp") and savepoints:
                sp = savepoints.pop()
                top = levels.pop()
                if op[0] == "release":
                    sp.commit()
                    levels[-1] = top
                else:
                    sp.rollback()
            elif op[0] in ("commit", "rollback"):
                if op[0] == "commit":
                    s.commit()
                    committed = dict(levels[-1])
                else:
                    s.rollback()
                levels, savepoints = [dict(committed)], []
            got = {o.id: (type(o), o.name) for o in s.scalars(select(Employee))}
            assert got == levels[-1]
        s.rollback()
    rows = fetch(db, "SELECT id, name FROM cc_manager UNION ALL SELECT id, name FROM cc_engineer")
    assert dict(rows) == {k: v[1] for k, v in committed.items()}


# -- with_polymorphic() filters over several subclasses ---------------------------------------
def test_with_polymorphic_siblings_with_a_same_named_column_of_their_own(engine: Any) -> None:
    """Joined-table siblings each with a ``status`` column of their own table: each row
    reads its own class's column."""

    class Local(DeclarativeBase):
        pass

    class Person(Local):
        __tablename__ = "wp_person"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        type = Column(String(20))
        __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "person"}

    class Coder(Person):
        __tablename__ = "wp_coder"
        id = Column(ForeignKey("wp_person.id"), primary_key=True)
        status = Column(String(20))
        language = Column(String(20))
        __mapper_args__ = {"polymorphic_identity": "coder"}

    class Boss(Person):
        __tablename__ = "wp_boss"
        id = Column(ForeignKey("wp_person.id"), primary_key=True)
        status = Column(String(20))
        __mapper_args__ = {"polymorphic_identity": "boss"}

    class BigBoss(Boss):
        __tablename__ = "wp_bigboss"
        id = Column(ForeignKey("wp_boss.id"), primary_key=True)
        __mapper_args__ = {"polymorphic_identity": "bigboss"}

    Local.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Coder(id=1, name="c", status="busy", language="py"),
                Boss(id=2, name="b", status="away"),
                BigBoss(id=3, name="bb", status="golf"),
                Person(id=4, name="p"),
            ]
        )
        s.commit()
    for wp_args in ({}, {"aliased": True}, {"flat": True}):
        with Session(engine) as s:
            wp = with_polymorphic(Person, [Coder, Boss, BigBoss], **wp_args)
            rows = s.scalars(select(wp).order_by(wp.id)).all()
            assert [(type(r).__name__, r.__dict__.get("status")) for r in rows] == [
                ("Coder", "busy"),
                ("Boss", "away"),
                ("BigBoss", "golf"),
                ("Person", None),
            ], wp_args
            found = s.scalars(select(wp.id).where(wp.Boss.status == "golf")).all()
            assert found == [3]  # (one FROM: the entity's join, no cartesian product)
            statuses = s.scalars(select(wp.Boss.status).order_by(wp.id)).all()
            assert statuses == [None, "away", "golf", None]  # every row of the entity


def test_with_polymorphic_filter_on_two_single_table_subclasses(engine: Any) -> None:
    """``wp.Coder.language == ... OR wp.Boss.perks == ...`` reads rows of both classes: the
    polymorphic entity's subclass columns add no per-class criterion."""

    class Local(DeclarativeBase):
        pass

    class Firm(Local):
        __tablename__ = "wps_firm"
        id = Column(Integer, primary_key=True)
        staff = relationship("Person")

    class Person(Local):
        __tablename__ = "wps_person"
        id = Column(Integer, primary_key=True)
        firm_id = Column(ForeignKey("wps_firm.id"))
        type = Column(String(20))
        __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "person"}

    class Coder(Person):
        language = Column(String(20))
        __mapper_args__ = {"polymorphic_identity": "coder"}

    class Boss(Person):
        perks = Column(String(20))
        __mapper_args__ = {"polymorphic_identity": "boss"}

    Local.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Firm(id=1), Coder(id=1, language="py", firm_id=1), Boss(id=2, perks="car")])
        s.commit()
        wp = with_polymorphic(Person, [Coder, Boss])
        either = (wp.Coder.language == "py") | (wp.Boss.perks == "car")
        assert s.scalars(select(wp.id).where(either).order_by(wp.id)).all() == [1, 2]
        assert s.scalars(select(Firm.id).join(Firm.staff.of_type(wp)).where(either)).all() == [1]
        assert s.scalars(select(wp).where(wp.Boss.perks.is_(None))).all() == [s.get(Coder, 1)]
        # (outside a polymorphic entity a subclass column still means rows of that class)
        assert s.scalars(select(Person.id).where(Boss.perks.is_(None))).all() == []


def test_with_polymorphic_of_a_concrete_union_filters_on_the_union(staff: Session) -> None:
    """``wp.Manager.manager_data`` of ``with_polymorphic(Employee, "*")`` names the union's
    column: no second FROM (a cartesian product) of the manager table."""
    s = staff
    wp = with_polymorphic(Employee, "*")
    cond = (wp.Manager.manager_data == "hiring") | (wp.Engineer.engineer_info == "rust")
    assert s.scalars(select(wp.name).where(cond).order_by(wp.name)).all() == ["bob", "cat"]
    joined = select(Company.name).join(Company.employees.of_type(wp)).where(cond)
    assert s.scalars(joined).all() == ["acme"]


def test_join_through_a_relationship_of_a_concrete_base_reads_the_union(engine: Any) -> None:
    """The chapter's "Relationships with Concrete Inheritance" mapping (ConcreteBase):
    ``join(Company.employees)`` and ``join(Employee.company)`` join the union."""
    from uow_orm.ext.declarative import ConcreteBase

    class Local(DeclarativeBase):
        pass

    class Firm(Local):
        __tablename__ = "cj_firm"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        staff = relationship("Worker", back_populates="firm")

    class Worker(ConcreteBase, Local):
        __tablename__ = "cj_worker"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        firm_id = Column(ForeignKey("cj_firm.id"))
        firm = relationship("Firm", back_populates="staff")
        __mapper_args__ = {"polymorphic_identity": "worker"}

    class Chief(Worker):
        __tablename__ = "cj_chief"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))
        firm_id = Column(ForeignKey("cj_firm.id"))
        firm = relationship("Firm", back_populates="staff")
        __mapper_args__ = {"polymorphic_identity": "chief", "concrete": True}

    Local.metadata.create_all(engine)
    with Session(engine) as s:
        acme = Firm(id=1, name="acme")
        acme.staff.extend([Worker(id=1, name="w"), Chief(id=2, name="c")])
        s.add_all([acme, Firm(id=2, name="empty")])
        s.commit()
        by_firm = select(Firm.name, Worker.name).join(Firm.staff).order_by(Worker.name)
        assert s.execute(by_firm).all() == [("acme", "c"), ("acme", "w")]
        by_worker = select(Worker.name, Firm.name).join(Worker.firm).order_by(Worker.name)
        assert s.execute(by_worker).all() == [("c", "acme"), ("w", "acme")]
        assert s.scalars(select(Firm.name).join(Firm.staff).where(Worker.name == "c")).all() == [
            "acme"
        ]


def test_bulk_methods_refuse_a_subquery_mapped_class(people: Session) -> None:
    s = people
    with pytest.raises(exc.InvalidRequestError, match=r"Can't bulk_insert_mappings\(\) of Work"):
        s.bulk_insert_mappings(WorkAddress, [{"id": 9, "user_id": 1, "email": "x@work"}])
    with pytest.raises(exc.InvalidRequestError, match=r"Can't bulk_update_mappings\(\) of Work"):
        s.bulk_update_mappings(WorkAddress, [{"id": 1, "email": "x@work"}])
    work = s.get(WorkAddress, 1)
    work.email = "y@work"
    with pytest.raises(exc.InvalidRequestError, match=r"Can't bulk_save_objects\(\) of Work"):
        s.bulk_save_objects([work])
    s.rollback()
    assert fetch(s.get_bind(), "SELECT email FROM sq_address WHERE id = 1") == [("a@work",)]


def test_string_arguments_of_a_relationship_on_a_subquery_mapped_class(engine: Any) -> None:
    class Local(DeclarativeBase):
        pass

    owners = Table(
        "ss_owner", Local.metadata, Column("id", Integer, primary_key=True), Column("n", String(9))
    )
    pets = Table(
        "ss_pet",
        Local.metadata,
        Column("id", Integer, primary_key=True),
        Column("owner_id", Integer),  # (no foreign key: the condition names the tables)
    )

    class Owner(Local):
        __table__ = owners

    class Pet(Local):
        __table__ = select(pets).subquery("some_pets")
        owner = relationship(
            "Owner", primaryjoin="Pet.owner_id == ss_owner.c.id", foreign_keys="Pet.owner_id"
        )

    Local.metadata.create_all(engine)
    run(engine, "INSERT INTO ss_owner (id, n) VALUES (1, 'ann')")
    run(engine, "INSERT INTO ss_pet (id, owner_id) VALUES (1, 1)")
    with Session(engine) as s:
        assert s.get(Pet, 1).owner.n == "ann"
        assert s.execute(select(Pet.id, Owner.n).join(Pet.owner)).all() == [(1, "ann")]
