"""Schema: MetaData, Table, Column, ForeignKey, keys, constraints, defaults and DDL order.

Every test runs on SQLite and PostgreSQL;
foreign keys are enforced on both.
"""

import itertools
import re

import pytest
from conftest import fetch, run

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Session,
    String,
    Table,
    declarative_base,
    exc,
)

# -- a plain-Table schema, children declared before the tables they reference ----------------


def shop_metadata() -> MetaData:
    md = MetaData()
    Table(
        "order_line",
        md,
        Column(Integer, primary_key=True, name="id"),
        Column(
            Integer,
            ForeignKey("purchase.id", ondelete="CASCADE"),
            nullable=False,
            name="purchase_id",
        ),
        Column(Integer, ForeignKey("product.id"), nullable=False, name="product_id"),
        Column(Integer, nullable=False, name="qty"),
    )
    Table(
        "purchase",
        md,
        Column(Integer, primary_key=True, name="id"),
        Column(Integer, ForeignKey("customer.id"), nullable=False, name="customer_id"),
    )
    Table(
        "product",
        md,
        Column(Integer, primary_key=True, name="id"),
        Column(String(40), unique=True, nullable=False, name="sku"),
        Column(String(100), index=True, name="title"),
    )
    Table(
        "customer",
        md,
        Column(Integer, primary_key=True, name="id"),
        Column(String(80), name="email"),
    )
    Table(
        "team_member",
        md,
        Column(Integer, primary_key=True, name="team_id"),
        Column(Integer, primary_key=True, name="person_id"),
        Column(String(20), name="role"),
    )
    return md


SHOP_TABLES = {"order_line", "purchase", "product", "customer", "team_member"}
# (child, parent) pairs: the parent must be created before and dropped after the child.
SHOP_DEPENDENCIES = [
    ("purchase", "customer"),
    ("order_line", "purchase"),
    ("order_line", "product"),
]

_DDL_TABLE = re.compile(
    r'^\s*(CREATE|DROP)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?[`"]?(\w+)[`"]?', re.I
)


def ddl_order(log, verb: str) -> list[str]:
    """Table names of the CREATE TABLE / DROP TABLE statements in the log, in order."""
    names = []
    for sql in log.sql:
        m = _DDL_TABLE.match(sql)
        if m and m.group(1).upper() == verb:
            names.append(m.group(2).lower())
    return names


def names_of(md: MetaData, tables) -> list[str]:
    by_identity = {id(table): name for name, table in md.tables.items()}
    return [by_identity[id(table)] for table in tables]


@pytest.fixture
def shop(engine):
    md = shop_metadata()
    md.create_all(engine)
    return md


# -- MetaData ----------------------------------------------------------------------------------


def test_metadata_tables_holds_every_table_by_name():
    md = shop_metadata()
    assert set(md.tables) == SHOP_TABLES
    assert len(md.sorted_tables) == len(SHOP_TABLES)


def test_sorted_tables_puts_referenced_tables_first_whatever_the_declaration_order():
    md = shop_metadata()
    order = names_of(md, md.sorted_tables)
    assert set(order) == SHOP_TABLES
    for child, parent in SHOP_DEPENDENCIES:
        assert order.index(parent) < order.index(child), order


def test_each_declarative_base_has_its_own_metadata():
    first, second = declarative_base(), declarative_base()

    class Alpha(first):
        __tablename__ = "alpha"
        id = Column(Integer, primary_key=True)

    class Beta(second):
        __tablename__ = "beta"
        id = Column(Integer, primary_key=True)

    assert set(first.metadata.tables) == {"alpha"}
    assert set(second.metadata.tables) == {"beta"}


# -- create_all / drop_all ---------------------------------------------------------------------


def test_create_all_creates_tables_in_foreign_key_order(engine, sql_log):
    md = shop_metadata()
    log = sql_log(engine)
    md.create_all(engine)
    created = ddl_order(log, "CREATE")
    assert set(created) == SHOP_TABLES
    for child, parent in SHOP_DEPENDENCIES:
        assert created.index(parent) < created.index(child), created


def test_has_table_after_create_all(engine):
    md = shop_metadata()
    assert not engine.has_table("customer")
    md.create_all(engine)
    for name in SHOP_TABLES:
        assert engine.has_table(name), name
    assert not engine.has_table("no_such_table")
    assert set(engine.table_names()) >= SHOP_TABLES


def test_create_all_twice_leaves_existing_tables_and_rows_alone(engine, shop):
    run(engine, "INSERT INTO customer (id, email) VALUES (1, 'a@example.com')")
    shop.create_all(engine)
    assert fetch(engine, "SELECT id, email FROM customer") == [(1, "a@example.com")]


def test_drop_all_drops_children_before_parents(engine, shop, sql_log):
    run(engine, "INSERT INTO customer (id, email) VALUES (1, 'a@example.com')")
    run(engine, "INSERT INTO purchase (id, customer_id) VALUES (10, 1)")
    run(engine, "INSERT INTO product (id, sku, title) VALUES (100, 'sku-1', 'Pen')")
    run(
        engine,
        "INSERT INTO order_line (id, purchase_id, product_id, qty) VALUES (1000, 10, 100, 2)",
    )
    log = sql_log(engine)
    shop.drop_all(engine)
    dropped = ddl_order(log, "DROP")
    assert set(dropped) == SHOP_TABLES
    for child, parent in SHOP_DEPENDENCIES:
        assert dropped.index(child) < dropped.index(parent), dropped
    for name in SHOP_TABLES:
        assert not engine.has_table(name), name


def test_use_alter_lets_two_tables_reference_each_other(engine):
    md = MetaData()
    Table(
        "department",
        md,
        Column(Integer, primary_key=True, name="id"),
        Column(
            Integer,
            ForeignKey("employee.id", use_alter=True, name="fk_department_manager"),
            name="manager_id",
        ),
    )
    Table(
        "employee",
        md,
        Column(Integer, primary_key=True, name="id"),
        Column(Integer, ForeignKey("department.id"), name="department_id"),
    )
    md.create_all(engine)
    assert engine.has_table("department") and engine.has_table("employee")

    run(engine, "INSERT INTO department (id, manager_id) VALUES (1, NULL)")
    run(engine, "INSERT INTO employee (id, department_id) VALUES (7, 1)")
    run(engine, "UPDATE department SET manager_id = 7 WHERE id = 1")
    # both constraints are in force, including the one added "after"
    with pytest.raises(exc.IntegrityError):
        run(engine, "UPDATE department SET manager_id = 999 WHERE id = 1")
    with pytest.raises(exc.IntegrityError):
        run(engine, "INSERT INTO employee (id, department_id) VALUES (8, 999)")

    run(engine, "UPDATE department SET manager_id = NULL")  # rows no longer form a cycle
    md.drop_all(engine)
    assert not engine.has_table("department")
    assert not engine.has_table("employee")


# -- constraints -------------------------------------------------------------------------------


def test_foreign_key_rejects_a_row_pointing_nowhere(engine, shop):
    with pytest.raises(exc.IntegrityError):
        run(engine, "INSERT INTO purchase (id, customer_id) VALUES (10, 424242)")
    assert fetch(engine, "SELECT count(*) FROM purchase") == [(0,)]


def test_foreign_key_ondelete_cascade_removes_children(engine, shop):
    run(engine, "INSERT INTO customer (id, email) VALUES (1, 'a@example.com')")
    run(engine, "INSERT INTO purchase (id, customer_id) VALUES (10, 1)")
    run(engine, "INSERT INTO purchase (id, customer_id) VALUES (11, 1)")
    run(engine, "INSERT INTO product (id, sku, title) VALUES (100, 'sku-1', 'Pen')")
    for line_id, purchase_id in [(1000, 10), (1001, 10), (1002, 11)]:
        run(
            engine,
            "INSERT INTO order_line (id, purchase_id, product_id, qty) "
            "VALUES (:id, :purchase_id, 100, 1)",
            id=line_id,
            purchase_id=purchase_id,
        )
    run(engine, "DELETE FROM purchase WHERE id = 10")
    assert fetch(engine, "SELECT id FROM order_line ORDER BY id") == [(1002,)]
    # without ondelete the reference blocks the delete
    with pytest.raises(exc.IntegrityError):
        run(engine, "DELETE FROM product WHERE id = 100")
    assert fetch(engine, "SELECT id FROM product") == [(100,)]


def test_unique_column_rejects_a_duplicate(engine, shop):
    run(engine, "INSERT INTO product (id, sku, title) VALUES (1, 'sku-1', 'Pen')")
    run(engine, "INSERT INTO product (id, sku, title) VALUES (2, 'sku-2', 'Pen')")
    with pytest.raises(exc.IntegrityError):
        run(engine, "INSERT INTO product (id, sku, title) VALUES (3, 'sku-1', 'Ink')")
    assert fetch(engine, "SELECT id FROM product ORDER BY id") == [(1,), (2,)]


def test_nullable_false_rejects_null(engine, shop):
    with pytest.raises(exc.IntegrityError):
        run(engine, "INSERT INTO product (id, sku, title) VALUES (1, NULL, 'Pen')")


def test_composite_primary_key_rejects_only_a_repeated_pair(engine, shop):
    for team, person in [(1, 1), (1, 2), (2, 1)]:
        run(
            engine,
            "INSERT INTO team_member (team_id, person_id, role) VALUES (:t, :p, 'dev')",
            t=team,
            p=person,
        )
    with pytest.raises(exc.IntegrityError):
        run(engine, "INSERT INTO team_member (team_id, person_id, role) VALUES (1, 2, 'x')")
    assert fetch(engine, "SELECT team_id, person_id FROM team_member ORDER BY 1, 2") == [
        (1, 1),
        (1, 2),
        (2, 1),
    ]


def test_index_true_creates_an_index_on_the_column(engine, shop):
    if engine.dialect.name == "sqlite":
        definitions = fetch(
            engine,
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'product' "
            "AND sql IS NOT NULL",
        )
    else:
        definitions = fetch(engine, "SELECT indexdef FROM pg_indexes WHERE tablename = 'product'")
    on_title = [d for (d,) in definitions if re.search(r"\(\s*\"?title\"?\s*\)", d)]
    assert on_title, definitions


# -- defaults ----------------------------------------------------------------------------------

DefaultsBase = declarative_base()
_serials = itertools.count(1)
_stamps = itertools.count(1)


class Ticket(DefaultsBase):
    __tablename__ = "ticket"
    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    priority = Column(Integer, default=3)
    serial = Column(Integer, default=lambda: next(_serials))
    status = Column(String(20), server_default="open")
    edited_by = Column(String(20), onupdate="editor")
    stamp = Column(Integer, onupdate=lambda: next(_stamps))


@pytest.fixture
def tickets(engine):
    DefaultsBase.metadata.create_all(engine)
    return engine


def test_python_default_value_fills_a_missing_column(tickets):
    with Session(tickets) as s:
        plain, explicit = Ticket(title="plain"), Ticket(title="explicit", priority=1)
        s.add_all([plain, explicit])
        s.flush()
        assert plain.priority == 3
        assert explicit.priority == 1
        s.commit()
    assert fetch(tickets, "SELECT title, priority FROM ticket ORDER BY title") == [
        ("explicit", 1),
        ("plain", 3),
    ]


def test_python_default_callable_is_called_for_each_row(tickets):
    with Session(tickets) as s:
        rows = [Ticket(title=f"t{i}") for i in range(3)]
        s.add_all(rows)
        s.flush()
        serials = [t.serial for t in rows]
        s.commit()
    assert len(set(serials)) == 3
    assert sorted(serials) == list(range(min(serials), min(serials) + 3))
    stored = [serial for (serial,) in fetch(tickets, "SELECT serial FROM ticket")]
    assert sorted(stored) == sorted(serials)


def test_server_default_is_in_the_ddl_and_read_back_by_the_orm(tickets):
    with Session(tickets) as s:
        defaulted, explicit = Ticket(title="d"), Ticket(title="e", status="closed")
        s.add_all([defaulted, explicit])
        s.flush()
        assert defaulted.status == "open"
        assert explicit.status == "closed"
        s.commit()
    # the default lives in the database: a plain INSERT that omits the column gets it too
    run(tickets, "INSERT INTO ticket (id, title) VALUES (99, 'raw')")
    assert fetch(tickets, "SELECT status FROM ticket WHERE id = 99") == [("open",)]


def test_onupdate_applies_on_update_only(tickets):
    with Session(tickets) as s:
        t = Ticket(title="first")
        s.add(t)
        s.flush()
        assert t.edited_by is None
        assert t.stamp is None
        tid = t.id
        s.commit()

    with Session(tickets) as s:
        t = s.get(Ticket, tid)
        t.title = "second"
        s.flush()
        assert t.edited_by == "editor"
        first_stamp = t.stamp
        assert first_stamp is not None
        t.title = "third"
        s.flush()
        assert t.stamp != first_stamp
        s.commit()
    assert fetch(tickets, "SELECT title, edited_by FROM ticket") == [("third", "editor")]


def test_onupdate_gives_way_to_an_explicit_value(tickets):
    with Session(tickets) as s:
        t = Ticket(title="first")
        s.add(t)
        s.commit()
        t.title = "second"
        t.edited_by = "alice"
        s.commit()
    assert fetch(tickets, "SELECT edited_by FROM ticket") == [("alice",)]
