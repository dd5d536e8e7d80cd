"""The write side's fast paths give what the general paths give.

Several hot paths of the unit of work have a written-out case for the common situation
(issue #21, "Performance, round two"): a collection append with no validator, listener
or single_parent rule; the save-update cascade of a transient object nobody listens to;
a flush of new objects only (one row: one INSERT ... RETURNING); the bookkeeping of
deleted objects at flush and commit. Each test here runs the same work once on the fast
path and once with a pass-through listener (or validator) that sends it down the general
path, and checks the rows read back from the database and the objects' states are the
same.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    declarative_base,
    event,
    exc,
    inspect,
    relationship,
    select,
    validates,
)

Base = declarative_base()


class Parent(Base):
    __tablename__ = "wfp_parent"

    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)
    children = relationship("Child", back_populates="parent", order_by="Child.id")


class Child(Base):
    __tablename__ = "wfp_child"

    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)
    parent_id = Column(Integer, ForeignKey("wfp_parent.id"))
    parent = relationship("Parent", back_populates="children")


class Other(Base):
    __tablename__ = "wfp_other"

    id = Column(Integer, primary_key=True)


#: the names the validator of VParent.kids saw
VALIDATED: list[str] = []


class VParent(Base):
    __tablename__ = "wfp_vparent"

    id = Column(Integer, primary_key=True)
    kids = relationship("VChild", back_populates="owner")

    @validates("kids")
    def check(self, key: str, value: Any) -> Any:
        VALIDATED.append(value.name)
        return value


class VChild(Base):
    __tablename__ = "wfp_vchild"

    id = Column(Integer, primary_key=True)
    name = Column(String(10))
    owner_id = Column(Integer, ForeignKey("wfp_vparent.id"))
    owner = relationship("VParent", back_populates="kids")


#: how the work is sent down the general path: nothing (the fast path), a pass-through
#: attribute listener on Parent.children, or a session listener (``dispatch._active``)
PATHS = ["fast", "attribute listener", "session listener"]


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, listen: Any) -> str:
    if request.param == "attribute listener":
        listen(Parent.children, "append", lambda target, value, initiator: None)
    return str(request.param)


def _session(db: Any, path: str, seen: list[Any] | None = None) -> Session:
    session = Session(db)
    if path == "session listener":
        event.listen(
            session, "after_attach", lambda s, obj: seen.append(obj) if seen is not None else None
        )
    return session


def _family(n: int) -> list[Parent]:
    parents = []
    for i in range(n):
        parent = Parent(name=f"p{i}")
        for j in range(3):
            parent.children.append(Child(name=f"c{i}.{j}"))
        parents.append(parent)
    return parents


def test_append_then_add_writes_the_same_rows_on_every_path(db: Any, path: str) -> None:
    seen: list[Any] = []
    with _session(db, path, seen) as session:
        parents = _family(3)
        for parent in parents:
            for child in parent.children:
                assert child.parent is parent  # the backref, set by the append
                assert inspect(child).transient
            session.add(parent)
            assert all(inspect(c).pending for c in parent.children)
        session.commit()
        keys = [(p.id, [(c.id, c.parent_id) for c in p.children]) for p in parents]
    stored = fetch(db, "SELECT id, parent_id FROM wfp_child ORDER BY id")
    assert stored == [pair for _, kids in keys for pair in kids]
    assert [pid for pid, _ in keys] == [r[0] for r in fetch(db, "SELECT id FROM wfp_parent")]
    assert fetch(db, "SELECT name FROM wfp_child ORDER BY id") == [
        (f"c{i}.{j}",) for i in range(3) for j in range(3)
    ]
    if path == "session listener":
        assert len(seen) == 12  # every parent and child was attached, with its event


def test_append_to_a_persistent_parent_on_every_path(db: Any, path: str) -> None:
    with Session(db) as session:
        session.add(Parent(name="p", children=[Child(name="old")]))
        session.commit()
    with _session(db, path) as session:
        parent = session.scalars(select(Parent)).one()
        kid = Child(name="new")
        parent.children.append(kid)  # the owner has a key: the collection keeps history
        assert kid in session.new and kid.parent is parent
        assert inspect(parent).attrs.children.history.added == [kid]
        session.commit()
    assert fetch(db, "SELECT name, parent_id FROM wfp_child ORDER BY id") == [
        ("old", 1),
        ("new", 1),
    ]


def test_append_refuses_what_the_general_path_refuses(db: Any, path: str) -> None:
    with _session(db, path) as session:
        parent = Parent(name="p")
        with pytest.raises(exc.ArgumentError, match="takes Child objects"):
            parent.children.append(Other())  # type: ignore[arg-type]
        with pytest.raises(exc.ArgumentError, match="takes Child objects"):
            parent.children.append("not mapped")  # type: ignore[arg-type]
        assert parent.children == []
        gone = Child(name="gone")
        session.add_all([parent, gone])
        session.flush()
        session.delete(gone)
        session.flush()
        with pytest.raises(exc.InvalidRequestError, match="has been deleted"):
            parent.children.append(gone)
        assert parent.children == []
        dead = Parent(name="dead")
        session.add(dead)
        session.flush()
        session.delete(dead)
        session.flush()
        with pytest.raises(exc.InvalidRequestError, match="has been deleted"):
            dead.children.append(Child(name="x"))


def test_a_validator_sees_every_append(db: Any) -> None:
    """A class with a @validates for the collection takes the general path."""
    VALIDATED.clear()
    with Session(db) as session:
        p = VParent()
        p.kids.append(VChild(name="a"))
        p.kids.append(VChild(name="b"))
        assert [k.owner for k in p.kids] == [p, p]
        session.add(p)
        session.commit()
    assert VALIDATED == ["a", "b"]
    assert fetch(db, "SELECT name, owner_id FROM wfp_vchild ORDER BY id") == [("a", 1), ("b", 1)]


@pytest.mark.parametrize("count", [1, 2, 5])
def test_flush_of_new_objects_gives_the_database_keys(db: Any, path: str, count: int) -> None:
    """One new object is one INSERT ... RETURNING of its own; several go together."""
    with _session(db, path) as session:
        for round_ in range(3):
            with session.begin_nested():
                objs = [Parent(name=f"r{round_}.{i}") for i in range(count)]
                session.add_all(objs)
            assert all(inspect(o).persistent for o in objs)
            assert [o.id for o in objs] == [
                r[0]
                for r in session.execute(
                    select(Parent.id).where(Parent.name.in_([o.name for o in objs]))
                ).all()
            ]
        session.commit()
    assert len(fetch(db, "SELECT id FROM wfp_parent")) == 3 * count


def test_deleted_objects_are_detached_after_commit(db: Any, path: str) -> None:
    with Session(db) as session:
        session.add_all([Parent(name=f"p{i}") for i in range(4)])
        session.commit()
    with _session(db, path) as session:
        parents = session.scalars(select(Parent).order_by(Parent.id)).all()
        for p in parents[:3]:
            session.delete(p)
        parents[0].name = "changed after delete()"  # a deleted object with a change
        session.flush()
        assert all(inspect(p).deleted for p in parents[:3])
        parents[1].name = "changed after the flush"
        session.commit()
        for p in parents[:3]:
            st = inspect(p)
            assert st.detached and st.was_deleted and not st.deleted
            assert p not in session
        assert not session.dirty
        assert list(session.identity_map) == [inspect(parents[3]).identity_key]
    assert fetch(db, "SELECT name FROM wfp_parent") == [("p3",)]


def test_a_row_switch_keeps_the_new_object_in_the_identity_map(db: Any, path: str) -> None:
    """The deleted object's row is taken over by a new object of the same key: detaching
    the deleted one at commit must not drop the new one."""
    with Session(db) as session:
        session.add(Parent(id=7, name="old"))
        session.commit()
    with _session(db, path) as session:
        old = session.get(Parent, 7)
        session.delete(old)
        new = Parent(id=7, name="new")
        session.add(new)
        session.commit()
        assert inspect(old).detached
        assert session.get(Parent, 7) is new
        assert new.name == "new"
    assert fetch(db, "SELECT id, name FROM wfp_parent") == [(7, "new")]


def test_first_change_inside_a_savepoint_is_rolled_back(db: Any) -> None:
    """An attribute set is the object's first change: the savepoint snapshots it first."""
    with Session(db) as session:
        session.add(Parent(name="a"))
        session.commit()
    with Session(db) as session:
        p = session.scalars(select(Parent)).one()
        sp = session.begin_nested()
        p.name = "b"
        p.name = "c"  # a second change: the first value stays the one to restore
        assert inspect(p).attrs.name.history.deleted == ["a"]
        sp.rollback()
        assert p.name == "a" and p not in session.dirty
        p.name = "d"
        session.commit()
    assert fetch(db, "SELECT name FROM wfp_parent") == [("d",)]
