"""Relationships: many-to-one, one-to-many, many-to-many, self-referential, one-to-one,
back references kept in sync in memory, list-like collections, key synchronization and
cascades.

Every test runs on SQLite and PostgreSQL. What a flush wrote is checked with SQL inside the
session's own transaction (``rows``) or from a fresh session after commit.
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    Table,
    declarative_base,
    inspect,
    relationship,
    select,
    text,
)

Base = declarative_base()


# -- one-to-many / many-to-one, default cascade ("save-update, merge") ---------------------
class Parent(Base):
    __tablename__ = "rel_parents"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    children = relationship("Child", back_populates="parent", order_by="Child.name")


class Child(Base):
    __tablename__ = "rel_children"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("rel_parents.id"))
    parent = relationship("Parent", back_populates="children")


# -- one-to-many with cascade "all, delete-orphan" and order_by ----------------------------
class Order(Base):
    __tablename__ = "rel_orders"

    id = Column(Integer, primary_key=True)
    customer = Column(String(50), nullable=False)
    lines = relationship(
        "Line", back_populates="order", cascade="all, delete-orphan", order_by="Line.position"
    )


class Line(Base):
    __tablename__ = "rel_order_lines"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("rel_orders.id"), nullable=False)
    position = Column(Integer, nullable=False)
    description = Column(String(100), nullable=False, default="")
    order = relationship("Order", back_populates="lines")


# -- many-to-many through a secondary Table -----------------------------------------------
post_tags = Table(
    "rel_post_tags",
    Base.metadata,
    Column("post_id", Integer, ForeignKey("rel_posts.id"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("rel_tags.id"), primary_key=True),
)


class Post(Base):
    __tablename__ = "rel_posts"

    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    tags = relationship("Tag", secondary=post_tags, back_populates="posts", order_by="Tag.name")


class Tag(Base):
    __tablename__ = "rel_tags"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    posts = relationship("Post", secondary=post_tags, back_populates="tags", order_by="Post.title")


# -- self-referential tree ----------------------------------------------------------------
class Node(Base):
    __tablename__ = "rel_nodes"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    parent_id = Column(Integer, ForeignKey("rel_nodes.id"))
    children = relationship("Node", back_populates="parent", order_by="Node.name")
    parent = relationship("Node", back_populates="children", remote_side="Node.id")


# -- one-to-one ---------------------------------------------------------------------------
class Person(Base):
    __tablename__ = "rel_persons"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    passport = relationship("Passport", back_populates="person", uselist=False)


class Passport(Base):
    __tablename__ = "rel_passports"

    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False)
    person_id = Column(Integer, ForeignKey("rel_persons.id"), unique=True)
    person = relationship("Person", back_populates="passport")


# -- backref (the other side is created by the relationship) ------------------------------
class Author(Base):
    __tablename__ = "rel_authors"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    books = relationship("Book", backref="author", order_by="Book.title")


class Book(Base):
    __tablename__ = "rel_books"

    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    author_id = Column(Integer, ForeignKey("rel_authors.id"))


# -- post_update: two tables whose rows point at each other --------------------------------
class Widget(Base):
    __tablename__ = "rel_widgets"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    favorite_entry_id = Column(
        Integer, ForeignKey("rel_entries.id", use_alter=True, name="fk_widget_favorite_entry")
    )
    entries = relationship(
        "Entry", back_populates="widget", foreign_keys="Entry.widget_id", order_by="Entry.name"
    )
    favorite_entry = relationship("Entry", foreign_keys=[favorite_entry_id], post_update=True)


class Entry(Base):
    __tablename__ = "rel_entries"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    widget_id = Column(Integer, ForeignKey("rel_widgets.id"))
    widget = relationship("Widget", back_populates="entries", foreign_keys=[widget_id])


# -- passive_deletes with ON DELETE CASCADE ------------------------------------------------
class Folder(Base):
    __tablename__ = "rel_folders"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    docs = relationship(
        "Doc", back_populates="folder", cascade="all, delete-orphan", passive_deletes=True
    )


class Doc(Base):
    __tablename__ = "rel_docs"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    folder_id = Column(Integer, ForeignKey("rel_folders.id", ondelete="CASCADE"), nullable=False)
    folder = relationship("Folder", back_populates="docs")


# -- foreign_keys: two keys pointing at one table -----------------------------------------
class Customer(Base):
    __tablename__ = "rel_customers"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    billing_address_id = Column(Integer, ForeignKey("rel_postal_addresses.id"))
    shipping_address_id = Column(Integer, ForeignKey("rel_postal_addresses.id"))
    billing_address = relationship("PostalAddress", foreign_keys=[billing_address_id])
    shipping_address = relationship("PostalAddress", foreign_keys="Customer.shipping_address_id")


class PostalAddress(Base):
    __tablename__ = "rel_postal_addresses"

    id = Column(Integer, primary_key=True)
    street = Column(String(100), nullable=False)


# -- fixtures and helpers -----------------------------------------------------------------
def rows(session, sql, **params):
    """Rows of a raw SQL query run inside the session's transaction, as tuples."""
    return [tuple(row) for row in session.execute(text(sql), params).all()]


def child_parent_ids(session):
    """{child name: parent_id} as stored in the database."""
    return dict(rows(session, "SELECT name, parent_id FROM rel_children"))


@pytest.fixture
def family(session):
    """A committed Parent "p" with children a, b, c and a second, childless Parent "q"."""
    p = Parent(name="p", children=[Child(name="a"), Child(name="b"), Child(name="c")])
    q = Parent(name="q")
    session.add_all([p, q])
    session.commit()
    return p, q


# -- many-to-one / one-to-many ------------------------------------------------------------
def test_many_to_one_assignment_inserts_parent_first_and_copies_its_key(engine, session):
    p = Parent(name="p")
    c = Child(name="c", parent=p)
    session.add(c)  # the parent comes along through the save-update cascade
    assert p in session
    session.flush()
    assert p.id is not None
    assert c.parent_id == p.id
    assert rows(session, "SELECT name, parent_id FROM rel_children") == [("c", p.id)]
    cid, pid = c.id, p.id
    session.commit()

    with Session(engine) as s2:
        loaded = s2.get(Child, cid)
        assert loaded.parent.name == "p"
        assert loaded.parent is s2.get(Parent, pid)


def test_one_to_many_collection_is_inserted_and_loaded(engine, session):
    p = Parent(name="p", children=[Child(name="b"), Child(name="a")])
    session.add(p)
    session.flush()
    pid = p.id
    session.commit()

    with Session(engine) as s2:
        loaded = s2.get(Parent, pid)
        assert [c.name for c in loaded.children] == ["a", "b"]
        assert all(c.parent is loaded for c in loaded.children)
        assert {c.parent_id for c in loaded.children} == {pid}


def test_parent_key_is_copied_into_children_added_after_the_parent_was_flushed(session):
    p = Parent(name="p")
    session.add(p)
    session.flush()
    c = Child(name="late")
    p.children.append(c)
    session.flush()
    assert c.parent_id == p.id
    assert child_parent_ids(session) == {"late": p.id}


def test_persistent_child_appended_to_a_one_way_collection_gets_the_parent_key(engine):
    # no backref: nothing of the child changes until the flush copies the key, and its
    # class has no other row in that flush
    local = declarative_base()

    class Box(local):
        __tablename__ = "rel_box"
        id = Column(Integer, primary_key=True)
        items = relationship("Item")

    class Item(local):
        __tablename__ = "rel_item"
        id = Column(Integer, primary_key=True)
        box_id = Column(Integer, ForeignKey("rel_box.id"))

    local.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Box(id=1), Item(id=1), Item(id=2)])
        s.commit()
        box = s.get(Box, 1)
        box.items.append(s.get(Item, 2))
        s.commit()
        box.items.clear()
        box.items.append(s.get(Item, 1))
        s.commit()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, box_id FROM rel_item ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 1), (2, None)]


def test_collection_order_by_applies_when_loading(engine, session):
    o = Order(
        customer="x",
        lines=[
            Line(position=3, description="third"),
            Line(position=1, description="first"),
            Line(position=2, description="second"),
        ],
    )
    session.add(o)
    session.flush()
    oid = o.id
    session.commit()

    with Session(engine) as s2:
        assert [line.position for line in s2.get(Order, oid).lines] == [1, 2, 3]


# -- back references kept in sync in memory -----------------------------------------------
def test_append_to_collection_sets_many_to_one_immediately():
    p, c = Parent(name="p"), Child(name="c")
    p.children.append(c)
    assert c.parent is p


def test_setting_many_to_one_appends_to_collection_immediately():
    p, c = Parent(name="p"), Child(name="c")
    c.parent = p
    assert p.children == [c]


def test_removing_from_collection_clears_many_to_one_immediately():
    p, c = Parent(name="p"), Child(name="c")
    p.children.append(c)
    p.children.remove(c)
    assert c.parent is None


def test_setting_many_to_one_to_none_removes_from_collection_immediately():
    p, c = Parent(name="p"), Child(name="c")
    c.parent = p
    c.parent = None
    assert p.children == []


def test_many_to_many_sides_stay_in_sync_in_memory():
    post, tag = Post(title="p"), Tag(name="t")
    post.tags.append(tag)
    assert tag.posts == [post]
    other = Post(title="o")
    tag.posts.append(other)
    assert other.tags == [tag]
    post.tags.remove(tag)
    assert tag.posts == [other]


def test_one_to_one_sides_stay_in_sync_in_memory():
    person, passport = Person(name="x"), Passport(number="A1")
    passport.person = person
    assert person.passport is passport
    replacement = Passport(number="B2")
    person.passport = replacement
    assert replacement.person is person
    assert passport.person is None


def test_backref_creates_the_reverse_attribute_and_keeps_it_in_sync(engine, session):
    a, b = Author(name="a"), Book(title="t1")
    a.books.append(b)
    assert b.author is a
    b2 = Book(title="t2")
    b2.author = a
    assert a.books == [b, b2]
    session.add(a)
    session.flush()
    bid = b2.id
    session.commit()

    with Session(engine) as s2:
        assert s2.get(Book, bid).author.name == "a"


def test_append_cascades_save_and_sets_back_reference_before_any_flush(engine, session, sql_log):
    p = Parent(name="p")
    session.add(p)
    log = sql_log(engine)
    c = Child(name="c")
    p.children.append(c)
    assert c in session
    assert c in session.new
    assert inspect(c).pending
    assert c.parent is p
    assert log.sql == []


def test_append_to_loaded_collection_of_persistent_parent_cascades_without_sql(
    engine, session, family, sql_log
):
    p, _q = family
    assert len(p.children) == 3  # load the collection first
    log = sql_log(engine)
    c = Child(name="d")
    p.children.append(c)
    assert inspect(c).pending
    assert c in session.new
    assert c.parent is p
    assert log.sql == []
    session.flush()
    assert child_parent_ids(session)["d"] == p.id


def test_reassigning_many_to_one_moves_object_between_loaded_collections(session, family):
    p, q = family
    a = p.children[0]
    assert q.children == []
    a.parent = q
    assert a not in p.children
    assert q.children == [a]
    session.flush()
    assert child_parent_ids(session) == {"a": q.id, "b": p.id, "c": p.id}


def test_appending_to_another_collection_removes_from_the_old_one(session, family):
    p, q = family
    b = p.children[1]
    q.children.append(b)
    assert b.parent is q
    assert [c.name for c in p.children] == ["a", "c"]
    session.flush()
    assert child_parent_ids(session)["b"] == q.id


def test_reassigning_many_to_one_shows_in_collection_loaded_later(engine, session, family):
    p, q = family
    pid, qid = p.id, q.id
    session.close()  # end its read transaction: SQLite lets only one writer commit
    with Session(engine) as s2:
        a = s2.scalars(select(Child).where(Child.name == "a")).one()
        new_parent = s2.get(Parent, qid)
        a.parent = new_parent
        assert a in new_parent.children
        assert a not in s2.get(Parent, pid).children
        s2.commit()
        assert child_parent_ids(s2) == {"a": qid, "b": pid, "c": pid}


# -- collections behave like lists and flush what changed ---------------------------------
def test_collection_append_is_flushed(session, family):
    p, _q = family
    p.children.append(Child(name="d"))
    session.flush()
    assert [c.name for c in p.children] == ["a", "b", "c", "d"]
    assert child_parent_ids(session) == {"a": p.id, "b": p.id, "c": p.id, "d": p.id}


def test_collection_extend_is_flushed(session, family):
    p, _q = family
    d, e = Child(name="d"), Child(name="e")
    p.children.extend([d, e])
    assert d.parent is p and e.parent is p
    session.flush()
    assert child_parent_ids(session) == {n: p.id for n in "abcde"}


def test_collection_insert_is_flushed(session, family):
    p, _q = family
    z = Child(name="z")
    p.children.insert(0, z)
    assert [c.name for c in p.children] == ["z", "a", "b", "c"]
    assert z.parent is p
    session.flush()
    assert child_parent_ids(session)["z"] == p.id


def test_collection_remove_without_delete_orphan_nulls_the_key(session, family):
    p, _q = family
    b = p.children[1]
    p.children.remove(b)
    session.flush()
    assert b.parent_id is None
    assert inspect(b).persistent
    assert child_parent_ids(session) == {"a": p.id, "b": None, "c": p.id}


def test_collection_slice_assignment_is_flushed(session, family):
    p, _q = family
    a, b, c = p.children
    x, y = Child(name="x"), Child(name="y")
    p.children[0:2] = [x, y]
    assert p.children == [x, y, c]
    assert a.parent is None and b.parent is None
    assert x.parent is p and y.parent is p
    session.flush()
    assert child_parent_ids(session) == {
        "a": None,
        "b": None,
        "c": p.id,
        "x": p.id,
        "y": p.id,
    }


def test_collection_pop_and_del_are_flushed(session, family):
    p, _q = family
    a, b, c = p.children
    assert p.children.pop() is c
    del p.children[0]
    assert p.children == [b]
    assert a.parent is None and c.parent is None
    session.flush()
    assert child_parent_ids(session) == {"a": None, "b": p.id, "c": None}


def test_collection_clear_is_flushed(session, family):
    p, _q = family
    a = p.children[0]
    p.children.clear()
    assert p.children == []
    assert a.parent is None
    session.flush()
    assert child_parent_ids(session) == {"a": None, "b": None, "c": None}


def test_replacing_the_whole_collection_is_flushed(session, family):
    p, _q = family
    a, b, c = p.children
    x = Child(name="x")
    p.children = [a, x]
    assert b.parent is None and c.parent is None
    assert x.parent is p and a.parent is p
    session.flush()
    assert child_parent_ids(session) == {"a": p.id, "b": None, "c": None, "x": p.id}


# -- delete, delete-orphan and deleting parents -------------------------------------------
@pytest.fixture
def order(session):
    o = Order(
        customer="c",
        lines=[Line(position=i, description=f"line {i}") for i in (1, 2, 3)],
    )
    session.add(o)
    session.commit()
    return o


def line_positions(session):
    return [r[0] for r in rows(session, "SELECT position FROM rel_order_lines ORDER BY position")]


def test_removing_child_with_delete_orphan_deletes_its_row(session, order):
    second = order.lines[1]
    order.lines.remove(second)
    session.flush()
    assert line_positions(session) == [1, 3]
    assert second not in session
    session.commit()
    assert inspect(second).detached


def test_replacing_collection_with_delete_orphan_deletes_the_old_children(session, order):
    order.lines = [Line(position=9, description="new")]
    session.flush()
    assert line_positions(session) == [9]


def test_setting_many_to_one_to_none_with_delete_orphan_deletes_the_child(session, order):
    first = order.lines[0]
    first.order = None
    assert first not in order.lines
    session.flush()
    assert line_positions(session) == [2, 3]


def test_pending_child_removed_before_flush_is_never_inserted(engine, session, order, sql_log):
    extra = Line(position=7, description="oops")
    order.lines.append(extra)
    assert extra in session
    order.lines.remove(extra)
    assert extra not in session
    log = sql_log(engine)
    session.flush()
    assert log.count("INSERT") == 0
    assert line_positions(session) == [1, 2, 3]


def test_delete_cascade_deletes_children_whose_collection_was_not_loaded(engine, session, order):
    oid = order.id
    session.close()
    with Session(engine) as s2:
        loaded = s2.get(Order, oid)
        s2.delete(loaded)
        s2.flush()
        assert rows(s2, "SELECT count(*) FROM rel_order_lines") == [(0,)]
        assert rows(s2, "SELECT count(*) FROM rel_orders") == [(0,)]


def test_delete_cascade_marks_loaded_children_deleted(session, order):
    lines = list(order.lines)
    session.delete(order)
    session.flush()
    assert all(inspect(line).deleted for line in lines)
    assert line_positions(session) == []
    session.commit()
    assert all(inspect(line).detached for line in lines)


def test_deleting_parent_without_delete_cascade_nulls_children_keys(engine, session, family):
    p, _q = family
    pid = p.id
    child_ids = [c.id for c in p.children]
    session.close()
    with Session(engine) as s2:
        s2.delete(s2.get(Parent, pid))  # its collection is not loaded yet
        s2.flush()
        assert rows(s2, "SELECT count(*) FROM rel_parents WHERE id = :i", i=pid) == [(0,)]
        assert child_parent_ids(s2) == {"a": None, "b": None, "c": None}
        assert all(s2.get(Child, cid).parent_id is None for cid in child_ids)


# -- many-to-many -------------------------------------------------------------------------
def association_rows(session):
    return set(rows(session, "SELECT post_id, tag_id FROM rel_post_tags"))


def test_many_to_many_add_and_remove_write_association_rows(session):
    post = Post(title="p")
    t1, t2, t3 = Tag(name="t1"), Tag(name="t2"), Tag(name="t3")
    post.tags.extend([t1, t2])
    session.add_all([post, t3])
    session.flush()
    assert association_rows(session) == {(post.id, t1.id), (post.id, t2.id)}

    post.tags.remove(t1)
    post.tags.append(t3)
    session.flush()
    assert association_rows(session) == {(post.id, t2.id), (post.id, t3.id)}
    # removing the link does not delete the tag itself
    assert rows(session, "SELECT name FROM rel_tags ORDER BY name") == [("t1",), ("t2",), ("t3",)]

    post.tags.clear()
    session.flush()
    assert association_rows(session) == set()


def test_many_to_many_append_from_the_other_side_writes_association_row(session):
    post, tag = Post(title="p"), Tag(name="t")
    session.add_all([post, tag])
    session.flush()
    tag.posts.append(post)
    session.flush()
    assert association_rows(session) == {(post.id, tag.id)}


def test_many_to_many_loads_both_sides(engine, session):
    a, b = Post(title="a"), Post(title="b")
    x, y = Tag(name="x"), Tag(name="y")
    a.tags = [x, y]
    b.tags = [y]
    session.add_all([a, b])
    session.flush()
    aid, yid = a.id, y.id
    session.commit()

    with Session(engine) as s2:
        assert [t.name for t in s2.get(Post, aid).tags] == ["x", "y"]
        assert [p.title for p in s2.get(Tag, yid).posts] == ["a", "b"]


def test_deleting_many_to_many_parent_deletes_its_association_rows_only(session):
    a, b = Post(title="a"), Post(title="b")
    x = Tag(name="x")
    a.tags = [x]
    b.tags = [x]
    session.add_all([a, b])
    session.commit()
    bid, xid = b.id, x.id
    session.delete(a)
    session.flush()
    assert association_rows(session) == {(bid, xid)}
    assert rows(session, "SELECT name FROM rel_tags") == [("x",)]


# -- self-referential ---------------------------------------------------------------------
def test_self_referential_tree_inserts_and_loads(engine, session):
    root = Node(
        name="root",
        children=[
            Node(name="a", children=[Node(name="a1"), Node(name="a2")]),
            Node(name="b"),
        ],
    )
    session.add(root)
    session.commit()
    session.close()

    with Session(engine) as s2:
        loaded = s2.scalars(select(Node).where(Node.parent_id.is_(None))).one()
        assert loaded.name == "root"
        assert loaded.parent is None
        assert [n.name for n in loaded.children] == ["a", "b"]
        a, b = loaded.children
        assert [n.name for n in a.children] == ["a1", "a2"]
        assert b.children == []
        assert a.children[0].parent is a
        assert a.children[1].parent.parent is loaded


def test_self_referential_parent_added_only_through_child_is_inserted_first(session):
    leaf = Node(name="leaf", parent=Node(name="top", parent=Node(name="root")))
    session.add(leaf)
    session.flush()
    stored = dict(
        (name, (nid, parent_id))
        for nid, name, parent_id in rows(session, "SELECT id, name, parent_id FROM rel_nodes")
    )
    assert stored["root"][1] is None
    assert stored["top"][1] == stored["root"][0]
    assert stored["leaf"][1] == stored["top"][0]


def test_self_referential_many_to_one_uses_remote_side(engine, session):
    root, other = Node(name="root"), Node(name="other")
    child = Node(name="child", parent=root)
    session.add_all([root, other, child])
    session.commit()
    child.parent = other
    assert child in other.children
    assert child not in root.children
    cid, oid = child.id, other.id
    session.commit()

    with Session(engine) as s2:
        assert s2.get(Node, cid).parent.id == oid


# -- one-to-one ---------------------------------------------------------------------------
def test_one_to_one_uselist_false_is_a_scalar(engine, session):
    with_passport = Person(name="has", passport=Passport(number="A1"))
    without = Person(name="none")
    session.add_all([with_passport, without])
    session.flush()
    hid, nid = with_passport.id, without.id
    session.commit()

    with Session(engine) as s2:
        loaded = s2.get(Person, hid)
        assert isinstance(loaded.passport, Passport)
        assert loaded.passport.number == "A1"
        assert loaded.passport.person is loaded
        assert s2.get(Person, nid).passport is None


def test_one_to_one_replacement_nulls_the_old_rows_key(session):
    person = Person(name="x", passport=Passport(number="A1"))
    session.add(person)
    session.commit()
    person.passport = Passport(number="B2")
    session.flush()
    assert set(rows(session, "SELECT number, person_id FROM rel_passports")) == {
        ("A1", None),
        ("B2", person.id),
    }


# -- post_update --------------------------------------------------------------------------
def test_post_update_breaks_a_row_cycle_between_two_tables(engine, session, sql_log):
    w = Widget(name="w")
    e1, e2 = Entry(name="e1"), Entry(name="e2")
    w.entries = [e1, e2]
    w.favorite_entry = e2
    session.add(w)
    log = sql_log(engine)
    session.flush()
    assert log.count("INSERT") >= 2
    assert any(
        sql.lstrip().upper().startswith("UPDATE") and "favorite_entry_id" in sql for sql in log.sql
    )
    assert rows(session, "SELECT favorite_entry_id FROM rel_widgets") == [(e2.id,)]
    assert set(rows(session, "SELECT name, widget_id FROM rel_entries")) == {
        ("e1", w.id),
        ("e2", w.id),
    }
    wid = w.id
    session.commit()

    with Session(engine) as s2:
        loaded = s2.get(Widget, wid)
        assert loaded.favorite_entry.name == "e2"
        assert [e.name for e in loaded.entries] == ["e1", "e2"]
        for entry in loaded.entries:
            s2.delete(entry)
        s2.delete(loaded)
        s2.flush()
        assert rows(s2, "SELECT count(*) FROM rel_widgets") == [(0,)]
        assert rows(s2, "SELECT count(*) FROM rel_entries") == [(0,)]


# -- passive_deletes ----------------------------------------------------------------------
def test_passive_deletes_leaves_unloaded_children_to_on_delete_cascade(engine, session, sql_log):
    folder = Folder(name="f", docs=[Doc(name=f"d{i}") for i in range(3)])
    keep = Folder(name="keep", docs=[Doc(name="k")])
    session.add_all([folder, keep])
    session.flush()
    fid = folder.id
    session.commit()

    with Session(engine) as s2:
        loaded = s2.get(Folder, fid)
        log = sql_log(engine)
        s2.delete(loaded)
        s2.flush()
        assert log.count("SELECT") == 0  # the collection is not loaded
        assert log.count("DELETE") == 1  # only the folder row; the database does the rest
        assert rows(s2, "SELECT name FROM rel_docs") == [("k",)]
        assert rows(s2, "SELECT name FROM rel_folders") == [("keep",)]


# -- foreign_keys -------------------------------------------------------------------------
def test_foreign_keys_choose_between_two_keys_to_one_table(engine, session):
    c = Customer(
        name="c",
        billing_address=PostalAddress(street="1 Bill St"),
        shipping_address=PostalAddress(street="2 Ship Rd"),
    )
    session.add(c)
    session.flush()
    cid = c.id
    assert c.billing_address_id != c.shipping_address_id
    session.commit()

    with Session(engine) as s2:
        loaded = s2.get(Customer, cid)
        assert loaded.billing_address.street == "1 Bill St"
        assert loaded.shipping_address.street == "2 Ship Rd"
        loaded.shipping_address = loaded.billing_address
        s2.commit()
        assert rows(s2, "SELECT billing_address_id, shipping_address_id FROM rel_customers") == [
            (loaded.billing_address.id, loaded.billing_address.id)
        ]


# -- expunge / refresh-expire / merge cascades --------------------------------------------
def test_expunge_cascades_to_children_with_expunge_cascade(session, order):
    lines = list(order.lines)
    session.expunge(order)
    assert order not in session
    assert all(line not in session for line in lines)
    assert all(inspect(line).detached for line in lines)


def test_expunge_does_not_cascade_without_expunge_cascade(session, family):
    p, _q = family
    children = list(p.children)
    session.expunge(p)
    assert p not in session
    assert all(c in session for c in children)


def test_expire_cascades_to_children_with_refresh_expire_cascade(session, order):
    first = order.lines[0]
    first.description = "changed in memory"
    session.expire(order)
    assert "description" in inspect(first).expired_attributes
    assert first.description == "line 1"


def test_refresh_expires_children_with_refresh_expire_cascade(session, order):
    first = order.lines[0]
    first.description = "changed in memory"
    session.refresh(order)
    assert first.description == "line 1"


def test_expire_does_not_cascade_without_refresh_expire_cascade(session, family):
    p, _q = family
    a = p.children[0]
    a.name = "renamed in memory"
    session.expire(p)
    assert "name" not in inspect(a).expired_attributes
    assert a.name == "renamed in memory"


def test_merge_cascades_into_children(engine, session, order):
    oid = order.id
    session.close()
    with Session(engine) as s1:
        detached = s1.get(Order, oid)
        assert len(detached.lines) == 3
    assert inspect(detached).detached
    detached.lines[0].description = "edited while detached"
    detached.lines.append(Line(position=4, description="added while detached"))

    with Session(engine) as s2:
        merged = s2.merge(detached)
        assert merged is not detached
        assert inspect(merged).persistent
        assert len(merged.lines) == 4
        assert all(line in s2 for line in merged.lines)
        assert all(line is not d for line, d in zip(merged.lines, detached.lines, strict=True))
        assert merged.lines[0].description == "edited while detached"
        s2.commit()

    with Session(engine) as s3:
        assert rows(s3, "SELECT position, description FROM rel_order_lines ORDER BY position") == [
            (1, "edited while detached"),
            (2, "line 2"),
            (3, "line 3"),
            (4, "added while detached"),
        ]
