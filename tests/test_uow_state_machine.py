"""Stateful property test: a Session driven at random must always agree with a plain model.

A hypothesis ``RuleBasedStateMachine`` adds, modifies, moves, orphans and deletes objects of a
one-to-many Parent/Child model (Child is a small hierarchy: even ids are single-table
``TaggedChild`` rows, odd multiples of 3 are joined-table ``JoinedChild`` rows with a row in
``sm_child_note`` too, so identity, loading, row switches and the per-table flush cross
subclasses), flushes, opens, releases and rolls back savepoints, commits,
rolls back, expires, refreshes, merges, expunges and queries.  Beside the session it keeps a
plain in-memory model with three layers:

* ``view``: what the session shows (the objects' attributes and collections);
* ``flushed``: what the database holds inside the session's transaction;
* ``committed``: what the database holds for everybody else.

After every step the session's objects must equal ``view`` and the rows seen through the
session's own connection must equal ``flushed``; after every commit and rollback a separate
connection must see exactly ``committed``.

Where SQLAlchemy flushes implicitly (before a SAVEPOINT, on its release, before ``merge``) the
machine flushes explicitly first, so the model does not depend on that choice; every other rule
runs under ``no_autoflush`` so that lazy loads never flush behind the model's back.  The
``query_parents`` rule and the merges, which autoflush as in SQLAlchemy, rely on autoflush.

Two SQLAlchemy 2.0 corners are steered around (see ``_deletable_parents`` and
``move_child_to_other_parent``): deleting a parent with pending children, and moving a pending
child between delete-orphan parents; the session-state rules
(``delete_parent_with_pending_children``, ``move_any_child_collections_unloaded``) exercise
both, where uow_orm does better (docs/sqlalchemy.md).  One promise is stricter than
SQLAlchemy: after a savepoint rollback every object shows the restored state, including collections loaded inside
the savepoint by objects not modified there (SQLAlchemy expires only modified objects).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    declarative_base,
    event,
    insert,
    inspect,
    relationship,
    select,
    text,
    with_polymorphic,
)

Base = declarative_base()


class Parent(Base):
    __tablename__ = "sm_parent"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(40), nullable=False)
    children = relationship("Child", back_populates="parent", cascade="all, delete-orphan")


class Child(Base):
    __tablename__ = "sm_child"
    id = Column(Integer, primary_key=True, autoincrement=False)
    # ON UPDATE CASCADE: the change_parent_key rule moves parents to new primary keys
    parent_id = Column(Integer, ForeignKey("sm_parent.id", onupdate="CASCADE"), nullable=False)
    value = Column(Integer, nullable=False)
    # a small single-table hierarchy: Child and TaggedChild share sm_child
    kind = Column(String(10), nullable=False)
    parent = relationship("Parent", back_populates="children")
    __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "plain"}


class TaggedChild(Child):
    tag = Column(String(12))
    __mapper_args__ = {"polymorphic_identity": "tagged"}


class JoinedChild(Child):
    # a joined-table subclass: its own table, keyed by the child's id
    __tablename__ = "sm_child_note"
    id = Column(Integer, ForeignKey("sm_child.id"), primary_key=True)
    note = Column(String(12), nullable=False)
    __mapper_args__ = {"polymorphic_identity": "joined"}


def child_class(cid: int) -> type[Child]:
    """The class of child ``cid``: even ids are TaggedChild, odd multiples of 3 JoinedChild
    (ids are never reused, so the class of a row follows from its id and the model needs
    no column for it)."""
    if cid % 2 == 0:
        return TaggedChild
    return JoinedChild if cid % 3 == 0 else Child


def new_child(cid: int, value: int) -> Child:
    """A new child of the class its id gives (see `child_class`)."""
    cls = child_class(cid)
    if cls is TaggedChild:
        return TaggedChild(id=cid, value=value, tag=f"t{cid}")
    if cls is JoinedChild:
        return JoinedChild(id=cid, value=value, note=f"n{cid}")
    return Child(id=cid, value=value)


MAX_PARENTS = 6
MAX_CHILDREN = 4
MAX_SAVEPOINT_DEPTH = 3

# Any text PostgreSQL can store: no NUL and no lone surrogates (those are test_bad_input's job).
names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
values = st.integers(min_value=-(2**31), max_value=2**31 - 1)

COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
DEFAULT_SETTINGS = settings(max_examples=25, stateful_step_count=30, **COMMON)
SLOW_SETTINGS = settings(max_examples=400, stateful_step_count=60, **COMMON)


class Rows:
    """Plain model of both tables: parents {id: name}, children {id: (parent_id, value)}."""

    def __init__(self, parents: dict | None = None, children: dict | None = None) -> None:
        self.parents: dict[int, str] = dict(parents or {})
        self.children: dict[int, tuple[int, int]] = dict(children or {})

    def copy(self) -> Rows:
        return Rows(self.parents, self.children)

    def children_of(self, pid: int) -> dict[int, int]:
        return {cid: value for cid, (p, value) in self.children.items() if p == pid}

    def delete_parent(self, pid: int) -> None:
        del self.parents[pid]
        for cid in self.children_of(pid):
            del self.children[cid]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Rows)
            and self.parents == other.parents
            and self.children == other.children
        )

    def __repr__(self) -> str:
        return f"Rows(parents={self.parents!r}, children={self.children!r})"


def read_rows(conn) -> Rows:
    parents = {row[0]: row[1] for row in conn.execute(text("SELECT id, name FROM sm_parent")).all()}
    children = {
        row[0]: (row[1], row[2])
        for row in conn.execute(text("SELECT id, parent_id, value FROM sm_child")).all()
    }
    for cid, kind, tag in conn.execute(text("SELECT id, kind, tag FROM sm_child")).all():
        cls = child_class(cid)
        expected = {TaggedChild: ("tagged", f"t{cid}"), JoinedChild: ("joined", None)}.get(
            cls, ("plain", None)
        )
        assert (kind, tag) == expected, f"child row {cid} has discriminator/tag {(kind, tag)}"
    notes = dict(conn.execute(text("SELECT id, note FROM sm_child_note")).all())
    joined = {cid: f"n{cid}" for cid in children if child_class(cid) is JoinedChild}
    assert notes == joined, f"sm_child_note rows {notes} do not match the joined children"
    return Rows(parents, children)


def _pass_through_append(target: object, value: object, initiator: object) -> None:
    """An ``append`` listener that changes nothing (it sends appends down the general
    path)."""


class SessionModelMachine(RuleBasedStateMachine):
    def __init__(self, engine) -> None:
        super().__init__()
        self.engine = engine
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sm_child_note"))
            conn.execute(text("DELETE FROM sm_child"))
            conn.execute(text("DELETE FROM sm_parent"))
        self.session = Session(engine)
        self.view = Rows()
        self.flushed = Rows()
        self.committed = Rows()
        self.savepoints: list[tuple[object, Rows]] = []
        # The objects the test holds; a row whose object was expunged is looked up again.
        self.parent_objs: dict[int, Parent] = {}
        self.child_objs: dict[int, Child] = {}
        self.last_id = 0
        # row switches not yet committed: (id, old parent, its children, new parent)
        self.row_switches: list[tuple[int, Parent, dict[int, Child], Parent]] = []

    def teardown(self) -> None:
        self.session.close()
        if event.contains(Parent.children, "append", _pass_through_append):
            event.remove(Parent.children, "append", _pass_through_append)
        assert self.engine.pool.checkedout() == 0

    # -- helpers -------------------------------------------------------------------------

    def _new_id(self) -> int:
        # Ids are never reused, so a stale reference can never alias a new row.
        self.last_id += 1
        return self.last_id

    def _parent(self, pid: int) -> Parent:
        obj = self.parent_objs.get(pid)
        if obj is None:
            obj = self.session.get(Parent, pid)
            assert obj is not None, f"Parent {pid} is in the model but session.get found nothing"
            self.parent_objs[pid] = obj
        return obj

    def _child(self, cid: int) -> Child:
        obj = self.child_objs.get(cid)
        if obj is None:
            obj = self.session.get(Child, cid)
            assert obj is not None, f"Child {cid} is in the model but session.get found nothing"
            assert type(obj) is child_class(cid), f"Child {cid} loaded as {type(obj)}"
            for other in (TaggedChild, JoinedChild):
                if type(obj) is not other:
                    assert self.session.get(other, cid) is None
            self.child_objs[cid] = obj
        return obj

    def _flush(self) -> None:
        self.session.flush()
        self.flushed = self.view.copy()

    def _persistent_parents(self) -> list[int]:
        return sorted(pid for pid in self.view.parents if pid in self.flushed.parents)

    def _persistent_children(self) -> list[int]:
        return sorted(cid for cid in self.view.children if cid in self.flushed.children)

    def _deletable_parents(self) -> list[int]:
        # SQLAlchemy's delete cascade skips pending children (they would still be INSERTed
        # and then break the foreign key), so only parents whose children are all persistent
        # are deleted; pending children leave through orphan_child instead.
        return [
            pid
            for pid in self._persistent_parents()
            if all(cid in self.flushed.children for cid in self.view.children_of(pid))
        ]

    def _clean_parents(self) -> list[int]:
        return [
            pid
            for pid in self._persistent_parents()
            if self.view.parents[pid] == self.flushed.parents[pid]
            and self.view.children_of(pid) == self.flushed.children_of(pid)
        ]

    def _clean_children(self) -> list[int]:
        return [
            cid
            for cid in self._persistent_children()
            if self.view.children[cid] == self.flushed.children[cid]
        ]

    def _new_parents_with_only_new_children(self) -> list[int]:
        return sorted(
            pid
            for pid in self.view.parents
            if pid not in self.flushed.parents
            and all(cid not in self.flushed.children for cid in self.view.children_of(pid))
        )

    def _parents_with_room(self) -> list[int]:
        return sorted(
            pid for pid in self.view.parents if len(self.view.children_of(pid)) < MAX_CHILDREN
        )

    def _check_database(self, expected: Rows) -> None:
        with self.engine.connect() as conn:
            seen = read_rows(conn)
        assert seen == expected, "another connection sees a different database than committed"

    # -- rules: changes ------------------------------------------------------------------

    @precondition(lambda self: len(self.view.parents) < MAX_PARENTS)
    @rule(name=names, child_values=st.lists(values, max_size=3))
    def add_parent_with_children(self, name, child_values):
        pid = self._new_id()
        kids = [new_child(self._new_id(), v) for v in child_values]
        parent = Parent(id=pid, name=name, children=kids)
        self.session.add(parent)
        self.parent_objs[pid] = parent
        self.view.parents[pid] = name
        for kid in kids:
            self.child_objs[kid.id] = kid
            self.view.children[kid.id] = (pid, kid.value)

    @precondition(lambda self: self._parents_with_room())
    @rule(data=st.data(), value=values)
    def append_child(self, data, value):
        pid = data.draw(st.sampled_from(self._parents_with_room()), label="parent")
        kid = new_child(self._new_id(), value)
        with self.session.no_autoflush:
            self._parent(pid).children.append(kid)
        self.child_objs[kid.id] = kid
        self.view.children[kid.id] = (pid, value)

    @precondition(lambda self: self.view.parents)
    @rule(data=st.data(), name=names)
    def rename_parent(self, data, name):
        pid = data.draw(st.sampled_from(sorted(self.view.parents)), label="parent")
        with self.session.no_autoflush:
            self._parent(pid).name = name
        self.view.parents[pid] = name

    @precondition(lambda self: self.view.children)
    @rule(data=st.data(), value=values)
    def change_child_value(self, data, value):
        cid = data.draw(st.sampled_from(sorted(self.view.children)), label="child")
        with self.session.no_autoflush:
            self._child(cid).value = value
        pid, _ = self.view.children[cid]
        self.view.children[cid] = (pid, value)

    @precondition(lambda self: self._persistent_children() and len(self.view.parents) >= 2)
    @rule(data=st.data(), through_collection=st.booleans())
    def move_child_to_other_parent(self, data, through_collection):
        """Move a persistent child, through either side of the relationship.

        Pending children are not moved: SQLAlchemy 2.0 fires the old parent's delete-orphan
        check before the new parent is recorded and expunges a pending child on the way.
        """
        cid = data.draw(st.sampled_from(self._persistent_children()), label="child")
        old_pid, value = self.view.children[cid]
        targets = [pid for pid in self._parents_with_room() if pid != old_pid]
        if not targets:
            return
        new_pid = data.draw(st.sampled_from(targets), label="new parent")
        with self.session.no_autoflush:
            kid = self._child(cid)
            new_parent = self._parent(new_pid)
            if through_collection:
                new_parent.children.append(kid)
            else:
                kid.parent = new_parent
        self.view.children[cid] = (new_pid, value)

    @precondition(lambda self: self.view.children)
    @rule(data=st.data())
    def orphan_child(self, data):
        """Removing a child from its parent's collection deletes it (delete-orphan)."""
        cid = data.draw(st.sampled_from(sorted(self.view.children)), label="child")
        pid, _ = self.view.children[cid]
        with self.session.no_autoflush:
            self._parent(pid).children.remove(self._child(cid))
        del self.view.children[cid]

    @precondition(lambda self: self._deletable_parents())
    @rule(data=st.data())
    def delete_parent(self, data):
        """Deleting a persistent parent cascades to its (persistent) children."""
        pid = data.draw(st.sampled_from(self._deletable_parents()), label="parent")
        with self.session.no_autoflush:
            self.session.delete(self._parent(pid))
        self.view.delete_parent(pid)

    # -- rules: unit of work and transactions --------------------------------------------

    @rule()
    def flush(self):
        self._flush()

    @rule()
    def query_parents(self):
        """A query autoflushes and returns the identity-mapped objects."""
        found = self.session.scalars(select(Parent).order_by(Parent.id)).all()
        self.flushed = self.view.copy()
        assert [p.id for p in found] == sorted(self.view.parents)
        for parent in found:
            held = self.parent_objs.get(parent.id)
            if held is None:
                self.parent_objs[parent.id] = parent
            else:
                assert parent is held, "a query returned a second object for the same row"

    @rule()
    def query_tagged_children(self):
        """A query for the subclass autoflushes and returns only its rows, identity-mapped
        (the same objects the base class's collections hold)."""
        found = self.session.scalars(select(TaggedChild).order_by(Child.id)).all()
        self.flushed = self.view.copy()
        assert [c.id for c in found] == sorted(c for c in self.view.children if c % 2 == 0)
        for kid in found:
            assert type(kid) is TaggedChild and kid.tag == f"t{kid.id}"
            held = self.child_objs.get(kid.id)
            if held is None:
                self.child_objs[kid.id] = kid
            else:
                assert kid is held, "a subclass query returned a second object for one row"

    @rule()
    def query_joined_children(self):
        """A query for the joined-table subclass autoflushes, joins its table and returns
        only its rows, identity-mapped, with the subclass column loaded."""
        found = self.session.scalars(select(JoinedChild).order_by(JoinedChild.id)).all()
        self.flushed = self.view.copy()
        expected = sorted(c for c in self.view.children if child_class(c) is JoinedChild)
        assert [c.id for c in found] == expected
        for kid in found:
            assert type(kid) is JoinedChild and kid.note == f"n{kid.id}"
            held = self.child_objs.get(kid.id)
            if held is None:
                self.child_objs[kid.id] = kid
            else:
                assert kid is held, "a subclass query returned a second object for one row"

    @rule(flat=st.booleans())
    def query_aliased_polymorphic_children(self, flat):
        """An aliased with_polymorphic of the hierarchy (flat or a subquery) autoflushes and
        returns every child as its class, identity-mapped, the joined columns loaded."""
        wp = with_polymorphic(Child, "*", aliased=True, flat=flat)
        found = self.session.scalars(select(wp).order_by(wp.id)).all()
        self.flushed = self.view.copy()
        assert [c.id for c in found] == sorted(self.view.children)
        for kid in found:
            assert type(kid) is child_class(kid.id)
            held = self.child_objs.get(kid.id)
            if held is None:
                self.child_objs[kid.id] = kid
            else:
                assert kid is held, "an aliased polymorphic query returned a second object"

    @precondition(lambda self: self._persistent_parents())
    @rule(data=st.data(), value_list=st.lists(values, min_size=1, max_size=2))
    def bulk_insert_joined_children(self, data, value_list):
        """ORM insert(JoinedChild).returning(JoinedChild) (after the autoflush): both tables
        get the rows, the objects come back persistent and identity-mapped; the parent's
        loaded collection does not know of them (as in SQLAlchemy) until expired."""
        self._flush()
        rooms = [
            pid
            for pid in self._persistent_parents()
            if len(self.view.children_of(pid)) + len(value_list) <= MAX_CHILDREN
        ]
        if not rooms:
            return
        pid = data.draw(st.sampled_from(rooms), label="parent")
        rows = []
        for value in value_list:
            cid = self._new_id()
            while child_class(cid) is not JoinedChild:
                cid = self._new_id()
            rows.append({"id": cid, "parent_id": pid, "value": value, "note": f"n{cid}"})
        kids = self.session.scalars(insert(JoinedChild).returning(JoinedChild), rows).all()
        assert [k.id for k in kids] == [r["id"] for r in rows]
        for kid, row in zip(kids, rows):
            assert type(kid) is JoinedChild and inspect(kid).persistent
            assert kid.note == row["note"] and kid.kind == "joined"
            assert self.session.get(Child, kid.id) is kid
            self.child_objs[kid.id] = kid
            self.view.children[kid.id] = (pid, row["value"])
        self.flushed = self.view.copy()
        self.session.expire(self._parent(pid), ["children"])

    @precondition(lambda self: len(self.savepoints) < MAX_SAVEPOINT_DEPTH)
    @rule()
    def begin_nested(self):
        self._flush()
        nested = self.session.begin_nested()
        self.savepoints.append((nested, self.view.copy()))
        assert self.session.in_nested_transaction()
        assert self.session.get_nested_transaction() is nested

    @precondition(lambda self: self.savepoints)
    @rule(release=st.booleans())
    def end_savepoint(self, release):
        """Release (commit) or roll back the innermost savepoint."""
        nested, snapshot = self.savepoints.pop()
        assert self.session.get_nested_transaction() is nested
        if release:
            self._flush()
            nested.commit()
        else:
            nested.rollback()
            # Everything done since the SAVEPOINT is undone, in the session and the database.
            self.view = snapshot.copy()
            self.flushed = snapshot.copy()
        assert self.session.in_nested_transaction() == bool(self.savepoints)
        assert self.session.in_transaction()

    @rule()
    def commit(self):
        """Commit flushes and commits the whole transaction, savepoints included."""
        self.session.commit()
        self.flushed = self.view.copy()
        self.committed = self.view.copy()
        self.savepoints.clear()
        assert not self.session.in_transaction()
        self._check_database(self.committed)

    @rule()
    def rollback(self):
        """Rollback undoes the whole transaction, savepoints included."""
        self.session.rollback()
        self.view = self.committed.copy()
        self.flushed = self.committed.copy()
        self.savepoints.clear()
        assert not self.session.in_transaction()
        self._check_database(self.committed)

    @rule()
    def close_and_reuse_session(self):
        """close() rolls back and detaches everything; the same session then starts clean."""
        held = list(self.parent_objs.values()) + list(self.child_objs.values())
        self.session.close()
        assert self.engine.pool.checkedout() == 0
        assert not self.session.in_transaction()
        assert len(self.session.identity_map) == 0
        assert all(obj not in self.session for obj in held)
        self.parent_objs.clear()
        self.child_objs.clear()
        self.view = self.committed.copy()
        self.flushed = self.committed.copy()
        self.savepoints.clear()
        self._check_database(self.committed)

    # -- rules: expiry, refresh, merge, expunge ------------------------------------------

    @precondition(lambda self: self._clean_parents() or self._clean_children())
    @rule(data=st.data(), refresh=st.booleans())
    def expire_or_refresh_clean_object(self, data, refresh):
        choices = [("parent", pid) for pid in self._clean_parents()]
        choices += [("child", cid) for cid in self._clean_children()]
        kind, key = data.draw(st.sampled_from(choices), label="object")
        with self.session.no_autoflush:
            obj = self._parent(key) if kind == "parent" else self._child(key)
            if refresh:
                self.session.refresh(obj)
                attr = "name" if kind == "parent" else "value"
                assert attr not in inspect(obj).expired_attributes
            else:
                self.session.expire(obj)
                attr = "name" if kind == "parent" else "value"
                assert attr in inspect(obj).expired_attributes

    @precondition(lambda self: self._persistent_parents() or self._persistent_children())
    @rule(data=st.data(), refresh=st.booleans())
    def expire_or_refresh_one_attribute(self, data, refresh):
        """Expiring or refreshing an attribute discards its unflushed change."""
        choices = [("parent", pid) for pid in self._persistent_parents()]
        choices += [("child", cid) for cid in self._persistent_children()]
        kind, key = data.draw(st.sampled_from(choices), label="object")
        with self.session.no_autoflush:
            if kind == "parent":
                obj, attr = self._parent(key), "name"
                self.view.parents[key] = self.flushed.parents[key]
            else:
                obj, attr = self._child(key), "value"
                pid, _ = self.view.children[key]
                self.view.children[key] = (pid, self.flushed.children[key][1])
            if refresh:
                self.session.refresh(obj, [attr])
            else:
                self.session.expire(obj, [attr])
                assert attr in inspect(obj).expired_attributes

    @rule()
    def expire_all(self):
        self._flush()
        self.session.expire_all()

    @rule(data=st.data(), name=names, value=values)
    def merge_detached_copy(self, data, name, value):
        self._flush()
        kinds = ["new parent"] if len(self.view.parents) < MAX_PARENTS else []
        if self.view.parents:
            kinds.append("existing parent")
        if self.view.children:
            kinds.append("existing child")
        if not kinds:
            return
        kind = data.draw(st.sampled_from(kinds), label="merge")
        if kind == "new parent":
            pid = self._new_id()
            merged = self.session.merge(Parent(id=pid, name=name))
            assert inspect(merged).pending
            self.parent_objs[pid] = merged
            self.view.parents[pid] = name
        elif kind == "existing parent":
            pid = data.draw(st.sampled_from(sorted(self.view.parents)), label="parent")
            merged = self.session.merge(Parent(id=pid, name=name))
            held = self.parent_objs.get(pid)
            if held is not None:
                assert merged is held, "merge returned a second object for the same row"
            self.parent_objs[pid] = merged
            self.view.parents[pid] = name
        else:
            cid = data.draw(st.sampled_from(sorted(self.view.children)), label="child")
            merged = self.session.merge(new_child(cid, value))
            held = self.child_objs.get(cid)
            if held is not None:
                assert merged is held, "merge returned a second object for the same row"
            self.child_objs[cid] = merged
            pid, _ = self.view.children[cid]
            self.view.children[cid] = (pid, value)

    @precondition(lambda self: self._clean_parents() or self._new_parents_with_only_new_children())
    @rule(data=st.data())
    def expunge_parent(self, data):
        """Expunge cascades to loaded children; a pending tree just disappears."""
        pid = data.draw(
            st.sampled_from(self._clean_parents() + self._new_parents_with_only_new_children()),
            label="parent",
        )
        with self.session.no_autoflush:
            parent = self._parent(pid)
            self.session.expunge(parent)
        assert parent not in self.session
        del self.parent_objs[pid]
        for cid in self.view.children_of(pid):
            self.child_objs.pop(cid, None)
        if pid not in self.flushed.parents:
            assert inspect(parent).transient
            self.view.delete_parent(pid)
        else:
            assert inspect(parent).detached

    # -- rules: session state ----------------------------------------------------------
    # Each rule is self-contained; together they cover what found the session state bugs:
    # a change right after a commit, merge and add onto deleted objects, expunge of a
    # flush-deleted object, many-to-one assignment with the collection unloaded,
    # delete-orphan moves and detachment of pending children, deletes inside a savepoint
    # still open at commit, and no_autoflush blocks.

    @initialize(
        expire_on_commit=st.booleans(),
        through_orm_execute=st.booleans(),
        through_append_listener=st.booleans(),
    )
    def choose_expire_on_commit(
        self, expire_on_commit, through_orm_execute, through_append_listener
    ):
        """Run the whole example with either expire_on_commit setting, and with or without
        a pass-through ``do_orm_execute`` listener (with one, get(), lazy, selectin and
        expired-column loads run through the listeners' path: the same rows must come; and
        the save-update cascade of new children, which has a fast path for a session
        nobody listens to, takes the general one), and with or without a pass-through
        ``append`` listener on Parent.children (with one, an append takes the general path
        instead of the written-out one)."""
        self.session.close()
        self.session = Session(self.engine, expire_on_commit=expire_on_commit)
        self.left_session: list[object] = []  # objects expunged: they must stay out
        if through_orm_execute:
            event.listen(self.session, "do_orm_execute", lambda state: None)
        if through_append_listener:
            event.listen(Parent.children, "append", _pass_through_append)

    def _held_objects_of(self, pid: int) -> list[object]:
        """Forget the objects held for parent ``pid`` and its children; return them."""
        out = [self.parent_objs.pop(pid)] if pid in self.parent_objs else []
        out += [
            self.child_objs.pop(cid) for cid in self.view.children_of(pid) if cid in self.child_objs
        ]
        return out

    def _commit_model(self) -> None:
        self.flushed = self.view.copy()
        self.committed = self.view.copy()
        self.savepoints.clear()

    def _rollback_model(self) -> None:
        self.view = self.committed.copy()
        self.flushed = self.committed.copy()
        self.savepoints.clear()

    @precondition(lambda self: self.view.parents)
    @rule(
        data=st.data(),
        kind=st.sampled_from(["rename", "child value", "append"]),
        name=names,
        value=values,
    )
    def modify_after_commit_then_rollback(self, data, kind, name, value):
        """A change right after a commit begins the transaction, so rollback undoes it."""
        self.session.commit()
        self._commit_model()
        assert not self.session.in_transaction()
        with self.session.no_autoflush:
            # (setting an attribute to the value it holds is no change)
            if kind == "rename":
                pid = data.draw(st.sampled_from(sorted(self.view.parents)), label="parent")
                parent = self._parent(pid)
                if name == self.view.parents[pid] and "name" in inspect(parent).dict:
                    name += "!"
                parent.name = name
            elif kind == "child value" and self.view.children:
                cid = data.draw(st.sampled_from(sorted(self.view.children)), label="child")
                kid = self._child(cid)
                if value == self.view.children[cid][1] and "value" in inspect(kid).dict:
                    value = value + 1 if value < 2**31 - 1 else value - 1
                kid.value = value
            else:
                pid = data.draw(st.sampled_from(sorted(self.view.parents)), label="parent")
                kid = new_child(self._new_id(), value)
                self._parent(pid).children.append(kid)
                assert kid in self.session.new
        assert self.session.in_transaction(), "a change after commit began no transaction"
        self.session.rollback()
        self._rollback_model()
        if kind == "append":
            assert inspect(kid).transient
        self._check_database(self.committed)

    def _childless_deletable_parents(self) -> list[int]:
        return [pid for pid in self._deletable_parents() if not self.view.children_of(pid)]

    @precondition(lambda self: self._childless_deletable_parents() or self._persistent_children())
    @rule(data=st.data())
    def delete_then_add_back(self, data):
        """add() of an object marked for deletion cancels the deletion."""
        choices = [("parent", pid) for pid in self._childless_deletable_parents()]
        choices += [("child", cid) for cid in self._persistent_children()]
        kind, key = data.draw(st.sampled_from(choices), label="object")
        with self.session.no_autoflush:
            obj = self._parent(key) if kind == "parent" else self._child(key)
            self.session.delete(obj)
            assert obj in self.session.deleted
            self.session.add(obj)
        assert obj not in self.session.deleted
        assert inspect(obj).persistent

    @precondition(lambda self: self._childless_deletable_parents())
    @rule(data=st.data(), name=names, detached_copy=st.booleans())
    def merge_onto_parent_marked_for_deletion(self, data, name, detached_copy):
        """Merge onto an object marked for deletion (no autoflush) cancels the deletion and
        the row ends with the merged value."""
        candidates = self._childless_deletable_parents()
        if detached_copy:
            candidates = [pid for pid in candidates if pid in self.committed.parents]
            if not candidates:
                return
        pid = data.draw(st.sampled_from(candidates), label="parent")
        if detached_copy:
            with Session(self.engine, expire_on_commit=False) as other:
                copy = other.get(Parent, pid)
            assert copy is not None and inspect(copy).detached
            copy.name = name
        else:
            copy = Parent(id=pid, name=name)
        with self.session.no_autoflush:
            parent = self._parent(pid)
            self.session.delete(parent)
            merged = self.session.merge(copy)
        assert merged is parent, "merge returned a second object for the same row"
        assert parent not in self.session.deleted
        self.view.parents[pid] = name

    def _flushed_since_last_savepoint(self) -> list[int]:
        """Persistent parents whose rows no rollback can bring back (inserted in the
        innermost transaction level): their object may be replaced by a new one."""
        older = self.committed.parents.keys() | {
            pid for _, snap in self.savepoints for pid in snap.parents
        }
        return [pid for pid in self._deletable_parents() if pid not in older]

    @precondition(lambda self: self._flushed_since_last_savepoint())
    @rule(data=st.data(), name=names)
    def merge_onto_parent_marked_for_deletion_with_autoflush(self, data, name):
        """With autoflush, merge flushes the deletion first (as SQLAlchemy) and the merged
        copy becomes a new pending object for the same key."""
        pid = data.draw(st.sampled_from(self._flushed_since_last_savepoint()), label="parent")
        with self.session.no_autoflush:
            old = self._parent(pid)
            self.session.delete(old)
        self._held_objects_of(pid)
        self.view.delete_parent(pid)
        merged = self.session.merge(Parent(id=pid, name=name))
        self.flushed = self.view.copy()
        self.flushed.parents.pop(pid, None)
        assert merged is not old
        assert inspect(merged).pending
        assert old not in self.session
        self.parent_objs[pid] = merged
        self.view.parents[pid] = name

    @precondition(lambda self: self.committed.parents.keys() & self.view.parents.keys())
    @rule(data=st.data(), name=names)
    def merge_detached_copy_from_other_session(self, data, name):
        """A detached copy loaded elsewhere is merged onto the session's object."""
        pid = data.draw(
            st.sampled_from(sorted(self.committed.parents.keys() & self.view.parents.keys())),
            label="parent",
        )
        with Session(self.engine, expire_on_commit=False) as other:
            copy = other.get(Parent, pid)
        assert copy is not None
        copy.name = name
        merged = self.session.merge(copy)  # autoflushes first
        self.flushed = self.view.copy()
        assert merged is not copy
        held = self.parent_objs.get(pid)
        if held is not None:
            assert merged is held, "merge returned a second object for the same row"
        self.parent_objs[pid] = merged
        self.view.parents[pid] = name

    @precondition(lambda self: self._deletable_parents())
    @rule(data=st.data())
    def expunge_after_flushed_delete(self, data):
        """An object expunged after its DELETE was flushed stays out, also after rollback."""
        pid = data.draw(st.sampled_from(self._deletable_parents()), label="parent")
        with self.session.no_autoflush:
            parent = self._parent(pid)
            self.session.delete(parent)
        held = self._held_objects_of(pid)
        self.view.delete_parent(pid)
        self._flush()
        self.session.expunge(parent)  # cascades to the (loaded, deleted) children
        assert inspect(parent).detached
        assert not inspect(parent).deleted
        self.left_session.extend(held)

    @precondition(
        lambda self: self._deletable_parents() and len(self.savepoints) < MAX_SAVEPOINT_DEPTH
    )
    @rule(data=st.data())
    def delete_in_savepoint_then_commit(self, data):
        """Deletions inside a savepoint still open at commit end detached."""
        pid = data.draw(st.sampled_from(self._deletable_parents()), label="parent")
        self._flush()
        self.session.begin_nested()
        with self.session.no_autoflush:
            parent = self._parent(pid)
            kids = list(parent.children)
            self.session.delete(parent)
        self.session.commit()
        self._held_objects_of(pid)
        self.view.delete_parent(pid)
        self._commit_model()
        for obj in [parent, *kids]:
            state = inspect(obj)
            assert state.detached and not state.deleted, f"{obj!r} is {state!r} after commit"
        self._check_database(self.committed)

    @precondition(lambda self: self._parents_with_room())
    @rule(data=st.data(), value=values, unload=st.booleans())
    def add_child_through_many_to_one(self, data, value, unload):
        """``child.parent = p`` reaches ``p.children`` even when it is not loaded."""
        pid = data.draw(st.sampled_from(self._parents_with_room()), label="parent")
        with self.session.no_autoflush:
            parent = self._parent(pid)
            if unload and pid in self._clean_parents():
                self.session.expire(parent, ["children"])
            kid = new_child(self._new_id(), value)
            kid.parent = parent
            self.session.add(kid)
            assert any(k is kid for k in parent.children)
        self.child_objs[kid.id] = kid
        self.view.children[kid.id] = (pid, value)

    @precondition(lambda self: self.view.children and len(self.view.parents) >= 2)
    @rule(data=st.data(), through_collection=st.booleans(), unload=st.booleans())
    def move_any_child_collections_unloaded(self, data, through_collection, unload):
        """Move a pending or persistent child between delete-orphan parents, with the
        collections of clean parents unloaded first: it is moved, never orphaned."""
        cid = data.draw(st.sampled_from(sorted(self.view.children)), label="child")
        old_pid, value = self.view.children[cid]
        targets = [pid for pid in self._parents_with_room() if pid != old_pid]
        if not targets:
            return
        new_pid = data.draw(st.sampled_from(targets), label="new parent")
        with self.session.no_autoflush:
            kid = self._child(cid)
            assert kid.parent is self._parent(old_pid)
            if unload:
                clean = self._clean_parents()
                for pid in (old_pid, new_pid):
                    if pid in clean:
                        self.session.expire(self._parent(pid), ["children"])
            new_parent = self._parent(new_pid)
            if through_collection:
                new_parent.children.append(kid)
            else:
                kid.parent = new_parent
            assert kid in self.session
        self.view.children[cid] = (new_pid, value)

    @precondition(lambda self: self.view.children)
    @rule(data=st.data())
    def orphan_child_through_many_to_one(self, data):
        """``child.parent = None`` orphans it: a persistent one is deleted at flush, a
        pending one leaves the session at once."""
        cid = data.draw(st.sampled_from(sorted(self.view.children)), label="child")
        pid, _ = self.view.children[cid]
        with self.session.no_autoflush:
            kid = self._child(cid)
            assert kid.parent is self._parent(pid)
            kid.parent = None
        if cid not in self.flushed.children:
            assert inspect(kid).transient
            del self.child_objs[cid]
        del self.view.children[cid]

    def _parents_with_pending_children(self) -> list[int]:
        return [
            pid
            for pid in self._persistent_parents()
            if any(cid not in self.flushed.children for cid in self.view.children_of(pid))
        ]

    @precondition(lambda self: self._parents_with_pending_children())
    @rule(data=st.data())
    def delete_parent_with_pending_children(self, data):
        """The delete cascade finds pending children too: they are never inserted."""
        pid = data.draw(st.sampled_from(self._parents_with_pending_children()), label="parent")
        pending = [cid for cid in self.view.children_of(pid) if cid not in self.flushed.children]
        with self.session.no_autoflush:
            self.session.delete(self._parent(pid))
        for cid in pending:
            assert inspect(self._child(cid)).transient
        self._held_objects_of(pid)
        self.view.delete_parent(pid)

    @precondition(lambda self: self.view.parents)
    @rule()
    def query_inside_no_autoflush(self):
        """Inside no_autoflush a query sends nothing pending and returns the held objects."""
        with self.session.no_autoflush:
            found = self.session.scalars(select(Parent).order_by(Parent.id)).all()
            assert read_rows(self.session) == self.flushed, "no_autoflush flushed"
        assert [p.id for p in found] == sorted(self.flushed.parents)
        for parent in found:
            held = self.parent_objs.get(parent.id)
            if held is not None:
                assert parent is held, "a query returned a second object for the same row"

    @invariant()
    def expunged_objects_stay_out(self):
        for obj in getattr(self, "left_session", ()):
            assert obj not in self.session, f"{obj!r} was expunged but is back in the session"
            assert inspect(obj).session is None

    # -- rules: natural keys ------------------------------------------------------------

    @precondition(lambda self: self._persistent_parents())
    @rule(data=st.data())
    def change_parent_key(self, data):
        """A flushed primary-key change re-keys the parent in the identity map; ON UPDATE
        CASCADE moves its children's rows and the session moves their keys in memory."""
        old_pid = data.draw(st.sampled_from(self._persistent_parents()), label="parent")
        new_pid = self._new_id()
        parent = self._parent(old_pid)
        with self.session.no_autoflush:
            parent.id = new_pid
        self.parent_objs[new_pid] = self.parent_objs.pop(old_pid)
        self.view.parents[new_pid] = self.view.parents.pop(old_pid)
        for cid, (pid, value) in list(self.view.children.items()):
            if pid == old_pid:
                self.view.children[cid] = (new_pid, value)
        self._flush()
        assert inspect(parent).identity == (new_pid,)
        assert self.session.get(Parent, new_pid) is parent
        assert self.session.get(Parent, old_pid) is None

    @precondition(lambda self: self._deletable_parents())
    @rule(data=st.data(), name=names, child_values=st.lists(values, max_size=2))
    def delete_and_readd_parent(self, data, name, child_values):
        """Deleting a parent and adding a new one with its key is a row switch: the row
        becomes the new parent's, the old one's children go with it (delete cascade)."""
        pid = data.draw(st.sampled_from(self._deletable_parents()), label="parent")
        with self.session.no_autoflush:
            old = self._parent(pid)
            old_kids = {cid: self._child(cid) for cid in self.view.children_of(pid)}
            self.session.delete(old)
            kids = [new_child(self._new_id(), v) for v in child_values]
            new = Parent(id=pid, name=name, children=kids)
            self.session.add(new)
        self.view.delete_parent(pid)
        self.view.parents[pid] = name
        for kid in kids:
            self.child_objs[kid.id] = kid
            self.view.children[kid.id] = (pid, kid.value)
        self.parent_objs[pid] = new
        self._flush()
        assert inspect(old).deleted
        assert all(inspect(kid).deleted for kid in old_kids.values())
        assert self.session.get(Parent, pid) is new
        self.row_switches.append((pid, old, old_kids, new))

    @invariant()
    def row_switches_rolled_back_bring_the_old_objects_back(self):
        """Runs before session_matches_model (invariants run in name order): after a
        rollback the model's ``view`` (restored by the rollback rule) describes the old
        parent of a row switch again, so the test holds that object again."""
        for entry in list(self.row_switches):
            _pid, old, old_kids, new = entry
            if inspect(new).transient:
                # rolled back; the old parent is persistent again unless it was inserted
                # inside the rolled-back savepoint too (then it is transient as well), and
                # its key may be an older one (a key change rolled back with it)
                old_pid = inspect(old).identity[0] if inspect(old).persistent else None
                if old_pid in self.view.parents:
                    assert self.session.get(Parent, old_pid) is old
                    self.parent_objs[old_pid] = old
                    for cid, kid in old_kids.items():
                        if cid in self.view.children:
                            self.child_objs[cid] = kid
                self.row_switches.remove(entry)
            elif inspect(old).detached:
                self.row_switches.remove(entry)  # committed (or the session was closed)

    @invariant()
    def children_foreign_keys_match_model(self):
        """A child whose row is flushed holds its parent's (possibly changed) key."""
        for cid, row in self.view.children.items():
            kid = self.child_objs.get(cid)
            if kid is None or self.flushed.children.get(cid) != row:
                continue
            state = inspect(kid)
            if state.persistent and "parent_id" in state.dict:
                assert kid.parent_id == row[0], f"Child {cid} holds a stale parent key"

    @invariant()
    def identity_map_agrees_with_states(self):
        """The identity map's keys are its objects' own keys (rows loaded by their bare
        primary key make their key when first read), and every persistent object of the
        model is held under its key."""
        imap = self.session.identity_map
        keys = list(imap.keys())
        assert len(keys) == len(set(keys)) == len(imap)
        for key in keys:
            obj = imap[key]
            assert inspect(obj).identity_key == key
            assert imap.get(key) is obj and key in imap
        for objs in (self.parent_objs, self.child_objs):
            for obj in objs.values():
                state = inspect(obj)
                if state.persistent:
                    assert imap.get(state.identity_key) is obj, f"{obj!r} is not held"

    # -- the invariant -------------------------------------------------------------------

    @invariant()
    def session_matches_model(self):
        session = self.session
        for cid, (pid, _) in self.view.children.items():
            assert pid in self.view.parents, f"model error: child {cid} without parent"
        with session.no_autoflush:
            assert read_rows(session) == self.flushed, (
                "the session's transaction sees different rows than were flushed"
            )
            for pid, name in self.view.parents.items():
                parent = self._parent(pid)
                state = inspect(parent)
                assert state.session is session
                assert parent in session
                if pid in self.flushed.parents:
                    assert state.persistent, f"Parent {pid} should be persistent"
                    assert session.get(Parent, pid) is parent
                else:
                    assert state.pending, f"Parent {pid} should be pending"
                    assert parent in session.new
                assert parent.name == name
                expected = self.view.children_of(pid)
                kids = list(parent.children)
                assert sorted(kid.id for kid in kids) == sorted(expected), (
                    f"Parent {pid}.children holds the wrong children"
                )
                for kid in kids:
                    held = self.child_objs.get(kid.id)
                    if held is None:
                        self.child_objs[kid.id] = kid
                    else:
                        assert kid is held, "a collection holds a second object for one row"
                    assert kid.value == expected[kid.id]
                    assert kid.parent is parent
                    assert type(kid) is child_class(kid.id)
                    kid_state = inspect(kid)
                    assert kid_state.session is session
                    if kid.id in self.flushed.children:
                        assert kid_state.persistent
                    else:
                        assert kid_state.pending


@pytest.fixture
def model_engine(engine):
    Base.metadata.create_all(engine)
    return engine


def test_random_session_operations_match_in_memory_model(model_engine):
    run_state_machine_as_test(lambda: SessionModelMachine(model_engine), settings=DEFAULT_SETTINGS)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_random_session_operations_match_in_memory_model_many_examples(model_engine):
    run_state_machine_as_test(lambda: SessionModelMachine(model_engine), settings=SLOW_SETTINGS)
