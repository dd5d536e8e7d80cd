"""Savepoint rollback never leaves values that were read inside the savepoint.

Rolling back a ``begin_nested()`` restores objects changed inside it from snapshots. These
tests cover the ways a snapshot, or an object left alone, could hold values read inside the
savepoint (found by tests/test_uow_state_machine.py):

* an object expired, refreshed or attached inside the savepoint and changed afterwards;
* a row written inside the savepoint and loaded again as a new object (after expunge, or
  after a bulk UPDATE);
* a collection loaded inside the savepoint, on the changed object or on the other side of
  a moved child, and a many-to-one still naming an object expunged inside.

After the rollback, each of them must read what the database holds, which is what it held
when the savepoint began.
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    declarative_base,
    inspect,
    relationship,
    text,
    update,
)

Base = declarative_base()


class Parent(Base):
    __tablename__ = "spr_parent"

    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)
    children = relationship(
        "Child", back_populates="parent", cascade="all, delete-orphan", order_by="Child.id"
    )


class Child(Base):
    __tablename__ = "spr_child"

    id = Column(Integer, primary_key=True)
    value = Column(Integer, nullable=False)
    parent_id = Column(Integer, ForeignKey("spr_parent.id"), nullable=False)
    parent = relationship("Parent", back_populates="children")


@pytest.fixture
def db(db):
    """Two committed parents: "a" with one child (value 1), "b" without children."""
    with Session(db) as s:
        a = Parent(name="a", children=[Child(value=1)])
        b = Parent(name="b")
        s.add_all([a, b])
        s.commit()
        ids = {"a": a.id, "b": b.id, "kid": a.children[0].id}
    return db, ids


def child_value(session, cid):
    return session.execute(text("SELECT value FROM spr_child WHERE id = :id"), {"id": cid}).scalar()


# -- snapshots taken from values read inside the savepoint ------------------------------------
@pytest.mark.parametrize("how", ["expire", "expire_all", "refresh"])
def test_savepoint_rollback_reloads_object_expired_inside_then_changed(db, how):
    engine, ids = db
    with Session(engine) as s:
        kid = s.get(Child, ids["kid"])
        assert kid.value == 1
        sp = s.begin_nested()
        s.execute(text("UPDATE spr_child SET value = 2 WHERE id = :id"), {"id": kid.id})
        if how == "expire":
            s.expire(kid)
        elif how == "expire_all":
            s.expire_all()
        else:
            s.refresh(kid)
        assert kid.value == 2  # read inside the savepoint
        kid.value = 3
        s.flush()
        sp.rollback()
        assert child_value(s, kid.id) == 1
        assert kid.value == 1


def test_savepoint_rollback_reloads_object_expired_in_outer_savepoint_changed_in_inner(db):
    engine, ids = db
    with Session(engine) as s:
        kid = s.get(Child, ids["kid"])
        outer = s.begin_nested()
        s.execute(text("UPDATE spr_child SET value = 2 WHERE id = :id"), {"id": kid.id})
        s.expire(kid)
        assert kid.value == 2
        inner = s.begin_nested()
        kid.value = 3
        s.flush()
        inner.commit()  # the inner snapshot (value 2) now belongs to the outer savepoint
        assert kid.value == 3
        outer.rollback()
        assert kid.value == 1


def test_savepoint_rollback_reloads_detached_object_changed_before_it_was_added(db):
    engine, ids = db
    with Session(engine) as s:
        kid = s.get(Child, ids["kid"])
        s.expunge(kid)
        kid.value = 5  # changed while detached
        sp = s.begin_nested()
        s.add(kid)
        s.flush()
        assert child_value(s, kid.id) == 5
        sp.rollback()
        assert child_value(s, kid.id) == 1
        assert kid.value == 1
        assert not s.dirty


def test_savepoint_rollback_reloads_row_loaded_again_after_expunge_inside(db):
    engine, ids = db
    with Session(engine) as s:
        a = s.get(Parent, ids["a"])
        sp = s.begin_nested()
        a.name = "renamed"
        s.flush()
        s.expunge(a)
        again = s.get(Parent, ids["a"])
        assert again is not a
        assert again.name == "renamed"  # read inside the savepoint
        sp.rollback()
        assert again.name == "a"
        assert s.get(Parent, ids["a"]) is again


def test_savepoint_rollback_reloads_row_loaded_again_after_expunge_then_changed(db):
    engine, ids = db
    with Session(engine) as s:
        kid = s.get(Child, ids["kid"])
        sp = s.begin_nested()
        kid.value = 2
        s.flush()
        s.expunge(kid)
        again = s.get(Child, ids["kid"])
        assert again.value == 2
        again.value = 3
        s.flush()
        sp.rollback()
        assert child_value(s, ids["kid"]) == 1
        assert again.value == 1


def test_savepoint_rollback_reloads_row_loaded_after_bulk_update_then_changed(db):
    engine, ids = db
    with Session(engine) as s:
        s.begin()
        sp = s.begin_nested()
        s.execute(update(Child).where(Child.id == ids["kid"]).values(value=2))
        kid = s.get(Child, ids["kid"])  # first loaded after the UPDATE
        assert kid.value == 2
        kid.value = 3
        s.flush()
        sp.rollback()
        assert child_value(s, ids["kid"]) == 1
        assert kid.value == 1


# -- relationships -----------------------------------------------------------------------------
def test_savepoint_rollback_reloads_collection_loaded_inside_before_owner_changed(db):
    engine, ids = db
    with Session(engine) as s:
        a = s.get(Parent, ids["a"])
        b = s.get(Parent, ids["b"])
        kid = s.get(Child, ids["kid"])
        assert "children" not in a.__dict__ and "children" not in b.__dict__
        sp = s.begin_nested()
        kid.parent = b  # neither collection is loaded
        s.flush()
        assert a.children == []  # loaded inside the savepoint
        assert b.children == [kid]
        a.name = "renamed"  # a's snapshot now holds the collection read inside
        s.flush()
        sp.rollback()
        assert a.name == "a"
        assert a.children == [kid]
        assert b.children == []
        assert kid.parent is a
        assert kid.parent_id == a.id


def test_savepoint_rollback_reloads_collection_loaded_inside_on_unchanged_parent(db):
    engine, ids = db
    with Session(engine) as s:
        a = s.get(Parent, ids["a"])
        b = s.get(Parent, ids["b"])
        kid = a.children[0]
        sp = s.begin_nested()
        kid.parent_id = b.id  # the foreign key only: no collection is told
        s.flush()
        assert b.children == [kid]  # loaded inside the savepoint; b itself never changes
        sp.rollback()
        assert kid.parent_id == a.id
        assert b.children == []
        assert a.children == [kid]
        assert not inspect(b).modified


def test_savepoint_rollback_relinks_child_to_parent_loaded_again_after_expunge(db):
    engine, ids = db
    with Session(engine) as s:
        a = s.get(Parent, ids["a"])
        b = s.get(Parent, ids["b"])
        kid = a.children[0]
        sp = s.begin_nested()
        kid.parent = b
        s.flush()
        s.expunge(a)
        a_again = s.get(Parent, ids["a"])
        assert a_again.children == []  # loaded inside the savepoint
        sp.rollback()
        assert inspect(a).detached
        assert kid.parent is a_again
        assert a_again.children == [kid]
        assert b.children == []


def test_savepoint_rollback_keeps_restored_columns_loaded(db, sql_log):
    engine, ids = db
    with Session(engine) as s:
        a = s.get(Parent, ids["a"])
        kid = a.children[0]
        sp = s.begin_nested()
        a.name = "renamed"
        kid.value = 7
        s.flush()
        sp.rollback()
        log = sql_log(engine)
        assert a.name == "a"
        assert kid.value == 1
        assert not inspect(a).expired_attributes
        assert not inspect(kid).expired_attributes
        assert log.count("SELECT") == 0
        assert kid.parent is a
        assert a.children == [kid]
