"""Session state regressions (changes after commit, expiry, merge and flush edge cases), each
pinned on both backends.

Each test reproduces one reported scenario and checks the objects' states and the rows read
back from the database: a change made right after a commit is covered by the transaction,
an unknown old parent is no orphan, merge/add cancel a pending deletion, a many-to-one
assignment reaches an unloaded collection, a pending child detached from its delete-orphan
parent is never inserted, deletions inside an open savepoint detach at commit, an expunged
object stays out after rollback, and nothing can be linked to a flush-deleted object.
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
    exc,
    inspect,
    make_transient,
    relationship,
    select,
    selectinload,
    text,
)

Base = declarative_base()


class Parent(Base):
    __tablename__ = "ssr_parent"

    id = Column(Integer, primary_key=True)
    name = Column(String(40))
    children = relationship(
        "Child", back_populates="parent", cascade="all, delete-orphan", order_by="Child.id"
    )


class Child(Base):
    __tablename__ = "ssr_child"

    id = Column(Integer, primary_key=True)
    name = Column(String(40))
    parent_id = Column(Integer, ForeignKey("ssr_parent.id"), nullable=True)
    parent = relationship("Parent", back_populates="children")


class Owner(Base):
    """Like Parent, but the collection cascades ``all`` without delete-orphan."""

    __tablename__ = "ssr_owner"

    id = Column(Integer, primary_key=True)
    name = Column(String(40))
    items = relationship("Item", back_populates="owner", cascade="all", order_by="Item.id")


class Item(Base):
    __tablename__ = "ssr_item"

    id = Column(Integer, primary_key=True)
    name = Column(String(40))
    owner_id = Column(Integer, ForeignKey("ssr_owner.id"), nullable=False)
    owner = relationship("Owner", back_populates="items")


post_tag = Table(
    "ssr_post_tag",
    Base.metadata,
    Column("post_id", Integer, ForeignKey("ssr_post.id"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("ssr_tag.id"), primary_key=True),
)


class Post(Base):
    __tablename__ = "ssr_post"

    id = Column(Integer, primary_key=True)
    tags = relationship("Tag", secondary=post_tag, back_populates="posts")


class Tag(Base):
    __tablename__ = "ssr_tag"

    id = Column(Integer, primary_key=True)
    posts = relationship("Post", secondary=post_tag, back_populates="tags")


def rows(engine, table):
    """The rows of ``table`` as committed, read through a fresh connection."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()]


def committed_parent(engine, **kw):
    with Session(engine, expire_on_commit=False) as s:
        p = Parent(**kw)
        s.add(p)
        s.commit()
        return p.id


# -- 3. a change after commit is covered by the session transaction -------------------------
@pytest.mark.parametrize("expire_on_commit", [True, False])
def test_attribute_change_after_commit_is_undone_by_rollback(db, expire_on_commit):
    s = Session(db, expire_on_commit=expire_on_commit)
    p = Parent(name="orig")
    s.add(p)
    s.commit()
    assert not s.in_transaction()
    p.name = "changed"
    assert s.in_transaction()
    assert p in s.dirty
    s.rollback()
    assert p.name == "orig"
    assert p not in s.dirty
    s.commit()
    assert rows(db, "ssr_parent") == [(p.id, "orig")]
    s.close()


def test_collection_append_after_commit_is_undone_by_rollback(db):
    s = Session(db, expire_on_commit=False)
    p = Parent(name="p", children=[Child(name="a")])
    s.add(p)
    s.commit()
    b = Child(name="b")
    p.children.append(b)
    assert s.in_transaction()
    s.rollback()
    assert [c.name for c in p.children] == ["a"]
    assert inspect(b).transient
    s.commit()
    assert [(r[1], r[2]) for r in rows(db, "ssr_child")] == [("a", p.id)]
    s.close()


def test_attribute_change_after_commit_is_written_by_next_commit(db):
    s = Session(db)
    p = Parent(name="orig")
    s.add(p)
    s.commit()
    p.name = "changed"
    s.commit()
    assert rows(db, "ssr_parent") == [(p.id, "changed")]
    s.close()


# -- 4. an unknown old parent is not a parent taken away --------------------------------------
@pytest.mark.parametrize("expire_on_commit", [True, False])
def test_clearing_never_set_parent_keeps_child(db, expire_on_commit):
    s = Session(db, expire_on_commit=expire_on_commit)
    c = Child(name="x")
    s.add(c)
    s.commit()
    c.parent = None
    s.commit()
    assert inspect(c).persistent
    assert rows(db, "ssr_child") == [(c.id, "x", None)]
    s.close()


def test_clearing_expired_parent_keeps_child_with_null_key(db):
    # the old parent was never loaded, so it is unknown: as in SQLAlchemy, no orphan
    pid = committed_parent(db, name="p", children=[Child(name="x")])
    s = Session(db)
    c = s.scalars(select(Child)).one()
    s.expire(c)
    c.parent = None
    s.commit()
    assert inspect(c).persistent
    assert rows(db, "ssr_child") == [(c.id, "x", None)]
    assert rows(db, "ssr_parent") == [(pid, "p")]
    s.close()


def test_clearing_known_parent_deletes_orphan(db):
    committed_parent(db, name="p", children=[Child(name="x")])
    s = Session(db)
    c = s.scalars(select(Child)).one()
    assert c.parent is not None
    c.parent = None
    s.commit()
    assert inspect(c).detached
    assert rows(db, "ssr_child") == []
    s.close()


# -- 5. merge / add onto an object marked for deletion ----------------------------------------
def test_merge_onto_object_marked_for_deletion_leaves_row_with_merged_value(db):
    pid = committed_parent(db, name="orig")
    s = Session(db)
    p = s.get(Parent, pid)
    s.delete(p)
    m = s.merge(Parent(id=pid, name="new"))
    s.commit()
    assert rows(db, "ssr_parent") == [(pid, "new")]
    assert inspect(m).persistent
    assert s.get(Parent, pid) is m
    s.close()


def test_merge_onto_object_marked_for_deletion_without_autoflush_cancels_delete(db):
    pid = committed_parent(db, name="orig")
    s = Session(db)
    p = s.get(Parent, pid)
    with s.no_autoflush:
        s.delete(p)
        m = s.merge(Parent(id=pid, name="new"))
        assert m is p
        assert p not in s.deleted
        assert p in s.dirty
    s.commit()
    assert inspect(p).persistent
    assert rows(db, "ssr_parent") == [(pid, "new")]
    s.close()


def test_merge_of_detached_copy_onto_object_marked_for_deletion(db):
    pid = committed_parent(db, name="orig")
    with Session(db, expire_on_commit=False) as other:
        copy = other.get(Parent, pid)
    copy.name = "from copy"
    s = Session(db, autoflush=False)
    s.delete(s.get(Parent, pid))
    m = s.merge(copy)
    assert m is not copy
    assert m not in s.deleted
    s.commit()
    assert rows(db, "ssr_parent") == [(pid, "from copy")]
    s.close()


def test_add_of_object_marked_for_deletion_cancels_its_delete_only(db):
    # as in SQLAlchemy: what the delete cascaded to stays marked for deletion
    pid = committed_parent(db, name="p", children=[Child(name="a"), Child(name="b")])
    s = Session(db)
    p = s.get(Parent, pid)
    s.delete(p)
    assert len(s.deleted) == 3
    s.add(p)
    assert p not in s.deleted
    assert len(s.deleted) == 2
    s.commit()
    assert rows(db, "ssr_parent") == [(pid, "p")]
    assert rows(db, "ssr_child") == []
    s.close()


def test_add_of_flush_deleted_object_raises(db):
    pid = committed_parent(db, name="p")
    s = Session(db)
    p = s.get(Parent, pid)
    s.delete(p)
    s.flush()
    with pytest.raises(exc.InvalidRequestError, match="has been deleted"):
        s.add(p)
    s.commit()
    assert rows(db, "ssr_parent") == []
    s.close()


# -- 6. a many-to-one assignment reaches the unloaded collection ------------------------------
def test_many_to_one_assignment_reaches_unloaded_collection(db):
    s = Session(db)
    o = Owner(name="o")
    s.add(o)
    s.commit()
    with s.no_autoflush:
        it = Item(name="i")
        it.owner = o
        s.add(it)
        assert "items" not in inspect(o).dict
        assert o.items == [it]
    s.commit()
    assert rows(db, "ssr_item") == [(it.id, "i", o.id)]
    s.close()


def test_cascade_delete_finds_child_assigned_while_collection_unloaded(db):
    s = Session(db)
    o = Owner(name="o")
    s.add(o)
    s.commit()
    with s.no_autoflush:
        it = Item(name="i")
        it.owner = o
        s.add(it)
        s.delete(o)
    s.commit()  # the pending child is never inserted, so nothing breaks the foreign key
    assert inspect(it).transient
    assert rows(db, "ssr_owner") == []
    assert rows(db, "ssr_item") == []
    s.close()


def test_moving_child_between_unloaded_collections(db):
    s = Session(db)
    a, b = Owner(name="a"), Owner(name="b")
    it = Item(name="i", owner=a)
    s.add_all([a, b])
    s.commit()
    it = s.get(Item, it.id)
    with s.no_autoflush:
        old = it.owner
        assert "items" not in inspect(old).dict
        it.owner = s.get(Owner, b.id)
        assert old.items == []
        assert s.get(Owner, b.id).items == [it]
    s.commit()
    assert rows(db, "ssr_item") == [(it.id, "i", b.id)]
    s.close()


def test_eager_load_applies_changes_made_while_collection_unloaded(db):
    s = Session(db)
    o = Owner(name="o", items=[Item(name="old")])
    s.add(o)
    s.commit()
    with s.no_autoflush:
        it = Item(name="new", owner=o)
        s.add(it)
        (loaded,) = s.scalars(select(Owner).options(selectinload(Owner.items))).all()
        assert loaded is o
        assert [i.name for i in o.items] == ["old", "new"]
    s.close()


def test_many_to_many_append_reaches_unloaded_other_side(db):
    s = Session(db)
    post, tag = Post(), Tag()
    s.add_all([post, tag])
    s.commit()
    with s.no_autoflush:
        post.tags.append(tag)
        assert "posts" not in inspect(tag).dict
        assert tag.posts == [post]
    s.commit()
    assert rows(db, "ssr_post_tag") == [(post.id, tag.id)]
    s.close()


def test_expire_of_owner_discards_queued_collection_change(db):
    # as in SQLAlchemy: expiry forgets what was in memory; the collection then reads the
    # rows, and with autoflush the reload writes the new child first
    s = Session(db)
    o = Owner(name="o")
    s.add(o)
    s.commit()
    assert o.name == "o"  # loaded, its collection not
    with s.no_autoflush:
        it = Item(name="i", owner=o)
        s.add(it)
        s.expire(o)
        assert o.items == []
        s.expire(o)
    assert o.items == [it]
    s.close()


# -- 7. a pending child detached from its delete-orphan parent is never inserted --------------
@pytest.mark.parametrize("parent_persistent", [True, False])
@pytest.mark.parametrize("side", ["many-to-one", "collection"])
def test_pending_child_detached_from_either_side_is_expunged(db, parent_persistent, side):
    s = Session(db)
    p = Parent(name="p")
    s.add(p)
    if parent_persistent:
        s.commit()
    c = Child(name="c")
    p.children.append(c)
    assert c in s.new
    if side == "many-to-one":
        c.parent = None
    else:
        p.children.remove(c)
    assert inspect(c).transient
    assert c not in s.new
    assert p.children == []
    s.commit()
    assert rows(db, "ssr_child") == []
    assert len(rows(db, "ssr_parent")) == 1
    s.close()


@pytest.mark.parametrize("through_collection", [True, False])
def test_moving_pending_child_between_delete_orphan_parents_keeps_it(db, through_collection):
    # SQLAlchemy 2.0 expunges the child on the way; it was moved, not orphaned
    s = Session(db)
    p1, p2 = Parent(name="p1"), Parent(name="p2")
    s.add_all([p1, p2])
    s.commit()
    assert p1.children == p2.children == []  # loaded now: no autoflush below
    c = Child(name="c")
    p1.children.append(c)
    if through_collection:
        p2.children.append(c)
    else:
        c.parent = p2
    assert inspect(c).pending
    assert p1.children == []
    assert p2.children == [c]
    s.commit()
    assert rows(db, "ssr_child") == [(c.id, "c", p2.id)]
    s.close()


# -- 8. a deletion inside a savepoint still open at commit ------------------------------------
@pytest.mark.parametrize("depth", [1, 2])
def test_delete_inside_open_savepoint_is_detached_after_commit(db, depth):
    s = Session(db)
    p = Parent(name="p")
    s.add(p)
    for _ in range(depth):
        s.begin_nested()
    s.delete(p)
    s.commit()
    state = inspect(p)
    assert state.detached
    assert not state.deleted
    assert p not in s
    assert rows(db, "ssr_parent") == []
    with pytest.raises(exc.InvalidRequestError, match="has been deleted"):
        s.add(p)
    s.close()


# -- 9. an object the user expunged stays out after rollback ----------------------------------
def test_expunged_flush_deleted_object_stays_out_after_rollback(db):
    pid = committed_parent(db, name="p")
    s = Session(db)
    p = s.get(Parent, pid)
    s.delete(p)
    s.flush()
    s.expunge(p)
    assert inspect(p).detached
    assert not inspect(p).deleted
    s.rollback()
    assert p not in s
    assert inspect(p).detached
    again = s.get(Parent, pid)
    assert again is not p
    assert again.name == "p"
    s.close()


def test_expunged_flush_deleted_object_stays_out_after_savepoint_rollback(db):
    pid = committed_parent(db, name="p")
    s = Session(db)
    p = s.get(Parent, pid)
    sp = s.begin_nested()
    s.delete(p)
    s.flush()
    s.expunge(p)
    sp.rollback()
    assert p not in s
    assert inspect(p).detached
    assert s.get(Parent, pid) is not p
    s.commit()
    assert rows(db, "ssr_parent") == [(pid, "p")]
    s.close()


def test_expunged_object_can_be_added_back_once_its_delete_is_rolled_back(db):
    pid = committed_parent(db, name="p")
    s = Session(db)
    p = s.get(Parent, pid)
    s.delete(p)
    s.flush()
    s.expunge(p)
    s.rollback()
    s.add(p)  # its row exists again
    p.name = "back"
    s.commit()
    assert rows(db, "ssr_parent") == [(pid, "back")]
    s.close()


# -- 10. nothing can be linked to a flush-deleted object --------------------------------------
def test_many_to_one_to_flush_deleted_object_raises_at_assignment(db):
    s = Session(db)
    p, c = Parent(name="p"), Child(name="c")
    s.add_all([p, c])
    s.commit()
    s.delete(p)
    s.flush()
    with pytest.raises(exc.InvalidRequestError, match=r"Parent\(id=\d+, name='p'\) has been"):
        c.parent = p
    assert c.parent is None
    s.commit()  # the session is still usable and writes nothing wrong
    assert rows(db, "ssr_child") == [(c.id, "c", None)]
    s.close()


def test_append_to_collection_of_flush_deleted_object_raises(db):
    s = Session(db)
    p = Parent(name="p")
    s.add(p)
    s.commit()
    s.delete(p)
    s.flush()
    with pytest.raises(exc.InvalidRequestError, match="has been deleted"):
        p.children.append(Child(name="c"))
    s.commit()
    assert rows(db, "ssr_child") == []
    s.close()


def test_append_of_flush_deleted_object_to_collection_raises(db):
    pid = committed_parent(db, name="a", children=[Child(name="c")])
    s = Session(db)
    kid = s.scalars(select(Child)).one()
    other = Parent(name="b")
    s.add(other)
    s.delete(kid)
    s.flush()
    with pytest.raises(exc.InvalidRequestError, match=r"Child.*has been deleted"):
        other.children.append(kid)
    s.commit()
    assert rows(db, "ssr_child") == []
    assert [r[1] for r in rows(db, "ssr_parent")] == ["a", "b"]
    assert pid is not None
    s.close()


def test_relating_to_committed_deleted_object_raises_until_made_transient(db):
    s = Session(db)
    p = Parent(name="p")
    s.add(p)
    s.commit()
    s.delete(p)
    s.commit()
    c = Child(name="c")
    with pytest.raises(exc.InvalidRequestError, match="has been deleted"):
        c.parent = p
    make_transient(p)
    c.parent = p
    s.add(c)
    s.commit()
    assert rows(db, "ssr_child") == [(c.id, "c", p.id)]
    s.close()


# -- SQLAlchemy as the oracle, where uow_orm behaves the same ---------------------------------
def _library(name, url):
    """(engine, Session, inspect, text, base, Parent, Child) of one library."""
    if name == "uow_orm":
        import uow_orm as lib
        from uow_orm import orm
    else:
        lib = pytest.importorskip("sqlalchemy")
        orm = pytest.importorskip("sqlalchemy.orm")
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    base = orm.declarative_base()

    class OParent(base):
        __tablename__ = "ssr_oracle_parent"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(40))
        children = orm.relationship("OChild", back_populates="parent", cascade="all, delete-orphan")

    class OChild(base):
        __tablename__ = "ssr_oracle_child"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(40))
        parent_id = lib.Column(lib.Integer, lib.ForeignKey("ssr_oracle_parent.id"))
        parent = orm.relationship("OParent", back_populates="children")

    engine = lib.create_engine(url)
    if name != "uow_orm" and url.startswith("sqlite"):

        @lib.event.listens_for(engine, "connect")
        def _fks(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

    return engine, orm.Session, lib.inspect, lib.text, base, OParent, OChild


def _states(inspect, *objs):
    return [
        next(
            s
            for s in ("transient", "pending", "persistent", "deleted", "detached")
            if getattr(inspect(o), s)
        )
        for o in objs
    ]


def _scenario_change_after_commit(engine, Session, inspect, text, P, C):
    s = Session(engine, expire_on_commit=False)
    p = P(id=1, name="orig", children=[C(id=1, name="a")])
    s.add(p)
    s.commit()
    p.name = "changed"
    b = C(id=2, name="b")
    p.children.append(b)
    s.rollback()
    out = (s.in_transaction(), p.name, [c.name for c in p.children], _states(inspect, p, b))
    s.close()
    return out


def _scenario_unknown_parent(engine, Session, inspect, text, P, C):
    s = Session(engine)
    c = C(id=1, name="x")
    s.add(c)
    s.commit()
    c.parent = None
    s.commit()
    return _states(inspect, c)


def _scenario_savepoint_delete_commit(engine, Session, inspect, text, P, C):
    s = Session(engine)
    p = P(id=1, name="p")
    s.add(p)
    s.begin_nested()
    s.delete(p)
    s.commit()
    return _states(inspect, p)


def _scenario_expunge_then_rollback(engine, Session, inspect, text, P, C):
    s = Session(engine)
    p = P(id=1, name="p")
    s.add(p)
    s.commit()
    s.delete(p)
    s.flush()
    s.expunge(p)
    s.rollback()
    return (_states(inspect, p), p in s)


def _scenario_merge_after_delete(engine, Session, inspect, text, P, C):
    s = Session(engine)
    p = P(id=1, name="orig")
    s.add(p)
    s.commit()
    s.delete(p)
    m = s.merge(P(id=1, name="new"))
    s.commit()
    return (m is p, _states(inspect, m, p))


def _scenario_pending_child_detached(engine, Session, inspect, text, P, C):
    s = Session(engine)
    p = P(id=1, name="p")
    s.add(p)
    s.commit()
    c = C(id=1, name="c")
    p.children.append(c)
    c.parent = None
    s.commit()
    return _states(inspect, c)


def _scenario_unloaded_collection(engine, Session, inspect, text, P, C):
    s = Session(engine)
    s.add(P(id=1, name="p"))
    s.commit()
    p = s.get(P, 1)
    with s.no_autoflush:
        c = C(id=1, name="c")
        c.parent = p
        s.add(c)
        out = [x.name for x in p.children]
    s.close()
    return out


ORACLE_SCENARIOS = [
    _scenario_change_after_commit,
    _scenario_unknown_parent,
    _scenario_savepoint_delete_commit,
    _scenario_expunge_then_rollback,
    _scenario_merge_after_delete,
    _scenario_pending_child_detached,
    _scenario_unloaded_collection,
]


def test_session_state_matches_sqlalchemy(db_url):
    """Each scenario gives the same objects' states and rows with both libraries."""
    libraries = {name: _library(name, db_url) for name in ("uow_orm", "sqlalchemy")}
    try:
        for scenario in ORACLE_SCENARIOS:
            results = {}
            for name, (engine, session_, inspect_, text_, base, P, C) in libraries.items():
                base.metadata.drop_all(engine)
                base.metadata.create_all(engine)
                observed = scenario(engine, session_, inspect_, text_, P, C)
                with engine.connect() as conn:
                    parents = conn.execute(
                        text_("SELECT id, name FROM ssr_oracle_parent ORDER BY id")
                    ).all()
                    kids = conn.execute(
                        text_("SELECT id, name, parent_id FROM ssr_oracle_child ORDER BY id")
                    ).all()
                results[name] = (observed, [tuple(r) for r in parents], [tuple(r) for r in kids])
            assert results["uow_orm"] == results["sqlalchemy"], scenario.__name__
    finally:
        for engine, *_ in libraries.values():
            engine.dispose()
