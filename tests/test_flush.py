"""Flush: dependency order, minimal UPDATEs, batching, version counters, composite keys, errors.

On SQLite and PostgreSQL with foreign keys enforced
on both. Most models use plain foreign-key columns and client-assigned keys, so the order
comes from the tables alone; one test uses a self-referential relationship with remote_side.
SQL is observed through the engine's "before_cursor_execute" event (the sql_log fixture).
"""

import itertools
import random
import re

import pytest
from conftest import fetch, run

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    declarative_base,
    exc,
    identity_key,
    inspect,
    relationship,
    select,
)

# -- models --------------------------------------------------------------------------------------
# Declared children first, and named so that neither declaration order nor alphabetical order
# is the dependency order (region <- store <- shelf).

Base = declarative_base()


class Shelf(Base):
    __tablename__ = "shelf"
    id = Column(Integer, primary_key=True)
    store_id = Column(Integer, ForeignKey("store.id"), nullable=False)
    label = Column(String(40), nullable=False)


class Store(Base):
    __tablename__ = "store"
    id = Column(Integer, primary_key=True)
    region_id = Column(Integer, ForeignKey("region.id"), nullable=False)
    name = Column(String(40), nullable=False)


class Region(Base):
    __tablename__ = "region"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)


class Category(Base):
    __tablename__ = "category"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("category.id"))
    name = Column(String(40), nullable=False)


class Gadget(Base):
    __tablename__ = "gadget"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)
    color = Column(String(20))
    weight = Column(Integer)


BatchBase = declarative_base()


class Item(BatchBase):
    __tablename__ = "item"
    id = Column(Integer, primary_key=True)  # server-generated unless given
    label = Column(String(60), nullable=False)
    qty = Column(Integer)


VersionBase = declarative_base()


class Doc(VersionBase):
    __tablename__ = "doc"
    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    version = Column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}


KeyBase = declarative_base()


class Membership(KeyBase):
    __tablename__ = "membership"
    team_id = Column(Integer, primary_key=True)
    person_id = Column(Integer, primary_key=True)
    role = Column(String(20), nullable=False)


class Label(KeyBase):
    __tablename__ = "label"
    code = Column(String(10), primary_key=True)  # never generated: must be given
    caption = Column(String(50))


TreeBase = declarative_base()


class TreeNode(TreeBase):
    __tablename__ = "tree_node"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("tree_node.id"))
    name = Column(String(30), nullable=False)
    parent = relationship("TreeNode", remote_side=[id])


CycleBase = declarative_base()


class Writer(CycleBase):
    __tablename__ = "writer"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False)
    favorite_book_id = Column(
        Integer, ForeignKey("book.id", use_alter=True, name="fk_writer_favorite_book")
    )


class Book(CycleBase):
    __tablename__ = "book"
    id = Column(Integer, primary_key=True)
    title = Column(String(30), nullable=False)
    writer_id = Column(Integer, ForeignKey("writer.id"), nullable=False)


# -- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def batch(engine):
    BatchBase.metadata.create_all(engine)
    return engine


@pytest.fixture
def versioned(engine):
    VersionBase.metadata.create_all(engine)
    return engine


@pytest.fixture
def keyed(engine):
    KeyBase.metadata.create_all(engine)
    return engine


_DML = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"]?(\w+)[`"]?', re.I)


def dml(log) -> list[tuple[str, str]]:
    """(verb, table) of each INSERT / UPDATE / DELETE in the log, consecutive repeats merged."""
    out: list[tuple[str, str]] = []
    for sql in log.sql:
        m = _DML.match(sql)
        if m:
            entry = (m.group(1).split()[0].upper(), m.group(2).lower())
            if not out or out[-1] != entry:
                out.append(entry)
    return out


def statements(log, verb: str) -> list[str]:
    return [sql for sql in log.sql if sql.lstrip().upper().startswith(verb)]


def seed_region_store_shelves(engine) -> None:
    run(engine, "INSERT INTO region (id, name) VALUES (1, 'north')")
    run(engine, "INSERT INTO store (id, region_id, name) VALUES (1, 1, 's1')")
    run(engine, "INSERT INTO store (id, region_id, name) VALUES (2, 1, 's2')")
    for shelf_id, store_id in [(1, 1), (2, 1), (3, 2), (4, 2)]:
        run(
            engine,
            "INSERT INTO shelf (id, store_id, label) VALUES (:id, :store, 'x')",
            id=shelf_id,
            store=store_id,
        )


# -- dependency order ----------------------------------------------------------------------------


def test_foreign_keys_are_enforced_by_the_backend(db):
    with pytest.raises(exc.IntegrityError):
        run(db, "INSERT INTO store (id, region_id, name) VALUES (1, 999, 'orphan')")


def test_insert_order_follows_foreign_keys_whatever_the_add_order(db, sql_log):
    log = sql_log(db)
    orders = list(itertools.permutations(["shelf", "store", "region"]))
    for n, order in enumerate(orders, start=1):
        objects = {
            "region": Region(id=n, name=f"r{n}"),
            "store": Store(id=n, region_id=n, name=f"s{n}"),
            "shelf": Shelf(id=n, store_id=n, label=f"sh{n}"),
        }
        log.clear()
        with Session(db) as s:
            s.add_all([objects[name] for name in order])
            s.commit()
        assert dml(log) == [("INSERT", "region"), ("INSERT", "store"), ("INSERT", "shelf")], (
            order,
            log,
        )
    for table in ("region", "store", "shelf"):
        assert fetch(db, f"SELECT count(*) FROM {table}") == [(len(orders),)]


def test_many_rows_added_interleaved_across_tables_flush_in_one_go(db, sql_log):
    regions = [Region(id=r, name=f"r{r}") for r in range(1, 4)]
    stores = [Store(id=s, region_id=1 + s % 3, name=f"s{s}") for s in range(1, 10)]
    shelves = [Shelf(id=h, store_id=1 + h % 9, label=f"h{h}") for h in range(1, 31)]
    everything = regions + stores + shelves
    random.Random(3).shuffle(everything)
    log = sql_log(db)
    with Session(db) as s:
        s.add_all(everything)
        s.commit()
    assert dml(log) == [("INSERT", "region"), ("INSERT", "store"), ("INSERT", "shelf")]
    assert fetch(db, "SELECT count(*) FROM shelf") == [(30,)]


def test_parent_delete_removes_children_first(db, sql_log):
    seed_region_store_shelves(db)
    with Session(db) as s:
        region = s.get(Region, 1)
        stores = s.scalars(select(Store).order_by(Store.id)).all()
        shelves = s.scalars(select(Shelf).order_by(Shelf.id)).all()
        log = sql_log(db)
        for obj in [region, *stores, *shelves]:  # parents first on purpose
            s.delete(obj)
        s.commit()
    assert dml(log) == [("DELETE", "shelf"), ("DELETE", "store"), ("DELETE", "region")]
    for table in ("region", "store", "shelf"):
        assert fetch(db, f"SELECT count(*) FROM {table}") == [(0,)]


def test_reparenting_inserts_new_parent_first_and_deletes_old_parent_last(db, sql_log):
    run(db, "INSERT INTO region (id, name) VALUES (1, 'old')")
    run(db, "INSERT INTO store (id, region_id, name) VALUES (10, 1, 'moving')")
    with Session(db) as s:
        old, store = s.get(Region, 1), s.get(Store, 10)
        log = sql_log(db)
        s.delete(old)
        store.region_id = 2
        s.add(Region(id=2, name="new"))
        s.commit()
    assert dml(log) == [("INSERT", "region"), ("UPDATE", "store"), ("DELETE", "region")]
    assert fetch(db, "SELECT id, region_id FROM store") == [(10, 2)]
    assert fetch(db, "SELECT id, name FROM region") == [(2, "new")]


def test_self_referential_rows_with_client_keys_insert_in_reverse_add_order(db):
    # 1 <- 2 <- 3 <- 5, 1 <- 4; added leaves first
    nodes = [
        Category(id=5, parent_id=3, name="leaf"),
        Category(id=4, parent_id=1, name="side"),
        Category(id=3, parent_id=2, name="deep"),
        Category(id=2, parent_id=1, name="mid"),
        Category(id=1, parent_id=None, name="root"),
    ]
    with Session(db) as s:
        s.add_all(nodes)
        s.commit()
    assert fetch(db, "SELECT id, parent_id FROM category ORDER BY id") == [
        (1, None),
        (2, 1),
        (3, 2),
        (4, 1),
        (5, 3),
    ]


def test_self_referential_rows_delete_children_before_parents(db):
    for node_id, parent_id in [(1, None), (2, 1), (3, 2), (4, 1), (5, 3)]:
        run(
            db,
            "INSERT INTO category (id, parent_id, name) VALUES (:id, :parent, 'n')",
            id=node_id,
            parent=parent_id,
        )
    with Session(db) as s:
        for node in s.scalars(select(Category).order_by(Category.id)).all():  # root first
            s.delete(node)
        s.commit()
    assert fetch(db, "SELECT count(*) FROM category") == [(0,)]


def test_self_referential_relationship_tree_inserts_parents_first(engine, sql_log):
    TreeBase.metadata.create_all(engine)
    root = TreeNode(name="root")
    a = TreeNode(name="a", parent=root)
    b = TreeNode(name="b", parent=root)
    a1 = TreeNode(name="a1", parent=a)
    a1x = TreeNode(name="a1x", parent=a1)
    with Session(engine) as s:
        s.add_all([a1x, a1, b, a, root])  # children before parents
        s.flush()
        assert root.parent_id is None
        assert a.parent_id == root.id and b.parent_id == root.id
        assert a1.parent_id == a.id
        assert a1x.parent_id == a1.id
        s.commit()
    rows = fetch(
        engine,
        "SELECT t.name, p.name FROM tree_node t LEFT JOIN tree_node p ON p.id = t.parent_id",
    )
    assert dict(rows) == {"root": None, "a": "root", "b": "root", "a1": "a", "a1x": "a1"}


# -- minimal UPDATEs -----------------------------------------------------------------------------


def _set_clause(sql: str) -> str:
    m = re.search(r"\bSET\b(.*?)\bWHERE\b", sql, re.I | re.S)
    assert m, sql
    return m.group(1)


def test_update_sets_only_the_changed_column(db, sql_log):
    run(db, "INSERT INTO gadget (id, name, color, weight) VALUES (1, 'widget', 'red', 5)")
    with Session(db) as s:
        g = s.get(Gadget, 1)
        log = sql_log(db)
        g.color = "blue"
        s.flush()
        updates = statements(log, "UPDATE")
        assert len(updates) == 1, log
        assert log.count("INSERT") == 0 and log.count("DELETE") == 0
        assigned = _set_clause(updates[0])
        assert "color" in assigned
        assert "name" not in assigned and "weight" not in assigned
        s.commit()
    assert fetch(db, "SELECT name, color, weight FROM gadget") == [("widget", "blue", 5)]


def test_update_of_two_columns_sets_those_two(db, sql_log):
    run(db, "INSERT INTO gadget (id, name, color, weight) VALUES (1, 'widget', 'red', 5)")
    with Session(db) as s:
        g = s.get(Gadget, 1)
        log = sql_log(db)
        g.weight = 7
        g.name = "gizmo"
        s.commit()
    [update] = statements(log, "UPDATE")
    assigned = _set_clause(update)
    assert "weight" in assigned and "name" in assigned and "color" not in assigned
    assert fetch(db, "SELECT name, color, weight FROM gadget") == [("gizmo", "red", 7)]


def test_setting_an_attribute_to_its_current_value_emits_no_update(db, sql_log):
    run(db, "INSERT INTO gadget (id, name, color, weight) VALUES (1, 'widget', 'red', 5)")
    with Session(db) as s:
        g = s.get(Gadget, 1)
        log = sql_log(db)
        g.name, g.color, g.weight = "widget", "red", 5
        s.flush()
        g.color = "green"
        g.color = "red"  # back to the loaded value
        s.flush()
        s.commit()
    assert log.count("UPDATE") == 0, log


def test_flush_with_nothing_to_do_emits_nothing(db, sql_log):
    run(db, "INSERT INTO gadget (id, name, color, weight) VALUES (1, 'widget', 'red', 5)")
    with Session(db) as s:
        s.get(Gadget, 1)
        log = sql_log(db)
        s.flush()
        assert dml(log) == []


# -- batching ------------------------------------------------------------------------------------


def test_300_inserts_with_server_generated_keys_take_at_most_10_statements(batch, sql_log):
    # rows already there, with holes, the highest key among them deleted
    with Session(batch) as s:
        s.add_all([Item(label=f"old{i}", qty=i) for i in range(6)])
        s.commit()
    run(batch, "DELETE FROM item WHERE label IN ('old1', 'old3', 'old5')")

    items = [
        # labels of varying length, and a third of the rows leave qty unset
        Item(label=f"new{i:03d}" + "x" * (i % 7), **({} if i % 3 == 0 else {"qty": i * 37 % 101}))
        for i in range(300)
    ]
    log = sql_log(batch)
    with Session(batch) as s:
        s.add_all(items)
        s.flush()
        inserts = log.count("INSERT")
        expected = {item.id: (item.label, item.qty) for item in items}
        s.commit()
    assert inserts <= 10, f"{inserts} INSERT statements for 300 rows"
    assert None not in expected and len(expected) == 300
    rows = fetch(batch, "SELECT id, label, qty FROM item WHERE label LIKE 'new%'")
    assert {row[0]: (row[1], row[2]) for row in rows} == expected


def test_300_inserts_with_client_keys_take_at_most_10_statements(batch, sql_log):
    items = [Item(id=5000 + i, label=f"c{i}", qty=i) for i in range(300)]
    random.Random(7).shuffle(items)
    log = sql_log(batch)
    with Session(batch) as s:
        s.add_all(items)
        s.commit()
    assert log.count("INSERT") <= 10, log.count("INSERT")
    rows = fetch(batch, "SELECT id, label, qty FROM item")
    assert sorted(rows) == [(5000 + i, f"c{i}", i) for i in range(300)]


def _seed_items(engine, n: int) -> None:
    with Session(engine) as s:
        s.add_all([Item(label=f"item{i:03d}", qty=i) for i in range(n)])
        s.commit()


def test_updates_of_the_same_columns_are_grouped(batch, sql_log):
    _seed_items(batch, 300)
    with Session(batch) as s:
        items = s.scalars(select(Item).order_by(Item.id)).all()
        log = sql_log(batch)
        for item in items:
            item.qty = item.qty + 1000
        s.flush()
        assert log.count("UPDATE") <= 10, log.count("UPDATE")

        log.clear()
        for item in items[:150]:
            item.qty = -item.qty
        for item in items[150:]:
            item.label = item.label.upper()
        s.flush()
        assert log.count("UPDATE") <= 10, log.count("UPDATE")
        s.commit()
    rows = dict(fetch(batch, "SELECT label, qty FROM item"))
    assert len(rows) == 300
    for i in range(150):
        assert rows[f"item{i:03d}"] == -(i + 1000)
    for i in range(150, 300):
        assert rows[f"ITEM{i:03d}"] == i + 1000


def test_deletes_are_batched(batch, sql_log):
    _seed_items(batch, 300)
    with Session(batch) as s:
        items = s.scalars(select(Item).order_by(Item.id)).all()
        log = sql_log(batch)
        for item in items[:-1]:
            s.delete(item)
        s.commit()
    assert log.count("DELETE") <= 10, log.count("DELETE")
    assert fetch(batch, "SELECT label FROM item") == [("item299",)]


# -- version counter -----------------------------------------------------------------------------


def test_version_counter_starts_at_one_and_increments_on_update(versioned, sql_log):
    with Session(versioned) as s:
        d = Doc(title="v1")
        s.add(d)
        s.flush()
        assert d.version == 1
        log = sql_log(versioned)
        d.title = "v2"
        s.flush()
        assert d.version == 2
        [update] = statements(log, "UPDATE")
        where = update[re.search(r"\bWHERE\b", update, re.I).start() :]
        assert "version" in where
        d.title = "v3"
        s.flush()
        assert d.version == 3
        s.commit()
    assert fetch(versioned, "SELECT title, version FROM doc") == [("v3", 3)]


def _two_sessions_on_one_doc(engine):
    """Alice loads the doc, then Bob changes and commits it. Returns Alice's session and doc."""
    with Session(engine) as s:
        s.add(Doc(id=1, title="start"))
        s.commit()
    alice = Session(engine, expire_on_commit=False)
    mine = alice.get(Doc, 1)
    alice.commit()  # ends the read transaction; keeps the loaded version 1
    with Session(engine) as bob:
        theirs = bob.get(Doc, 1)
        theirs.title = "bob"
        bob.commit()
    return alice, mine


def test_update_of_a_stale_version_raises_stale_data_error(versioned):
    alice, mine = _two_sessions_on_one_doc(versioned)
    mine.title = "alice"
    with pytest.raises(exc.StaleDataError) as info:
        alice.flush()
    assert "doc" in str(info.value)
    alice.rollback()
    alice.close()
    assert fetch(versioned, "SELECT title, version FROM doc") == [("bob", 2)]


def test_delete_of_a_stale_version_raises_stale_data_error(versioned):
    alice, mine = _two_sessions_on_one_doc(versioned)
    alice.delete(mine)
    with pytest.raises(exc.StaleDataError) as info:
        alice.flush()
    assert "doc" in str(info.value)
    alice.rollback()
    alice.close()
    assert fetch(versioned, "SELECT title, version FROM doc") == [("bob", 2)]


# -- composite primary keys ----------------------------------------------------------------------


def test_composite_primary_key_insert_get_update_delete(keyed, sql_log):
    with Session(keyed) as s:
        s.add_all(
            [
                Membership(team_id=1, person_id=1, role="lead"),
                Membership(team_id=1, person_id=2, role="dev"),
                Membership(team_id=2, person_id=1, role="dev"),
            ]
        )
        s.commit()
    with Session(keyed) as s:
        m12 = s.get(Membership, (1, 2))
        m21 = s.get(Membership, (2, 1))
        assert (m12.team_id, m12.person_id, m12.role) == (1, 2, "dev")
        assert (m21.team_id, m21.person_id, m21.role) == (2, 1, "dev")
        assert m21 is not m12
        assert inspect(m12).identity == (1, 2)
        assert s.identity_map[identity_key(Membership, (1, 2))] is m12
        log = sql_log(keyed)
        assert s.get(Membership, (1, 2)) is m12
        assert log.sql == []
        assert s.get(Membership, (3, 3)) is None

        m12.role = "lead"
        s.delete(s.get(Membership, (1, 1)))
        s.commit()
    assert fetch(
        keyed, "SELECT team_id, person_id, role FROM membership ORDER BY team_id, person_id"
    ) == [(1, 2, "lead"), (2, 1, "dev")]


# -- errors --------------------------------------------------------------------------------------


def test_null_primary_key_after_insert_raises_flush_error(keyed):
    with Session(keyed) as s:
        s.add(Label(caption="no code"))
        with pytest.raises(exc.FlushError) as info:
            s.flush()
        assert "label" in str(info.value).lower()
        s.rollback()
    assert fetch(keyed, "SELECT count(*) FROM label") == [(0,)]


def test_table_cycle_without_post_update_raises_circular_dependency_error(engine):
    CycleBase.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                Writer(id=1, name="w", favorite_book_id=1),
                Book(id=1, title="b", writer_id=1),
            ]
        )
        with pytest.raises(exc.CircularDependencyError) as info:
            s.flush()
        s.rollback()
    message = str(info.value)
    assert "writer" in message and "book" in message, message
    assert fetch(engine, "SELECT count(*) FROM writer") == [(0,)]
    assert fetch(engine, "SELECT count(*) FROM book") == [(0,)]
