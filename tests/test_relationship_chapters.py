"""Examples from SQLAlchemy's relationship chapters that no other test module covers:
cascades ("save-update cascade with bi-directional relationships"), join conditions
("Notes on using the viewonly relationship parameter", "Building Query-Enabled
Properties", "Relationship to Aliased Class"), basic relationships (deleting rows from
the many-to-many table) and backrefs with arguments.

Each maps the chapter's classes (imports changed), adds and flushes, and reads the rows
back on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime

import pytest
from conftest import fetch

from uow_orm import Column, ForeignKey, String, Table, and_, exc, func, inspect, select
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    backref,
    joinedload,
    mapped_column,
    object_session,
    relationship,
    selectinload,
    subqueryload,
)


class Base(DeclarativeBase):
    pass


# -- cascades.rst: save-update cascade with bi-directional relationships --------------------
class Order(Base):
    __tablename__ = "ch_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list[Item]] = relationship(back_populates="order")


class Item(Base):
    __tablename__ = "ch_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("ch_order.id"))
    order: Mapped[Order | None] = relationship(back_populates="items")


def test_append_cascades_into_the_session_but_assigning_the_backref_does_not(db):
    with Session(db) as session:
        o1 = Order()
        session.add(o1)
        i1 = Item()
        o1.items.append(i1)
        assert o1 is i1.order and i1 in session
        i2 = Item()
        i2.order = o1
        assert i2 in o1.items
        assert i2 not in session  # SQLAlchemy 2.0: no cascade along the backref
        with pytest.raises(exc.FlushError, match="not in the session"):
            session.flush()
        session.rollback()
    with Session(db) as session:
        o1 = Order(id=1)
        session.add(o1)
        i2 = Item(id=2)
        i2.order = o1
        session.add(i2)  # as the chapter says: add it explicitly
        session.commit()
    assert fetch(db, "SELECT id, order_id FROM ch_item") == [(2, 1)]


# -- join_conditions.rst: notes on using the viewonly relationship parameter ---------------
WEEK_START = datetime.datetime(2024, 1, 8)


class User(Base):
    __tablename__ = "ch_user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(30))
    all_tasks: Mapped[list[Task]] = relationship()
    current_week_tasks: Mapped[list[Task]] = relationship(
        primaryjoin=lambda: and_(User.id == Task.user_account_id, Task.task_date >= WEEK_START),
        viewonly=True,
    )


class Task(Base):
    __tablename__ = "ch_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_account_id: Mapped[int] = mapped_column(ForeignKey("ch_user_account.id"))
    description: Mapped[str | None] = mapped_column(String(30))
    task_date: Mapped[datetime.datetime] = mapped_column()


def test_viewonly_collection_reflects_changes_only_after_flush_and_expire(db):
    this_week = WEEK_START + datetime.timedelta(days=1)
    with Session(db) as sess:
        u1 = User(name="u1")
        sess.add(u1)
        sess.commit()
        assert u1.current_week_tasks == []
        t1 = Task(task_date=this_week, description="new")
        u1.all_tasks.append(t1)
        assert u1.current_week_tasks == []  # loaded already: the append is not seen
        sess.expire(u1, ["current_week_tasks"])
        assert u1.current_week_tasks == [t1]  # autoflush, then the load sees it
        old = Task(task_date=WEEK_START - datetime.timedelta(days=3), description="old")
        u1.all_tasks.append(old)
        sess.commit()
        assert [t.description for t in u1.current_week_tasks] == ["new"]
        assert sorted(t.description for t in u1.all_tasks) == ["new", "old"]
    assert sorted(r[0] for r in fetch(db, "SELECT description FROM ch_task")) == ["new", "old"]


def test_viewonly_collection_expired_by_an_append_event(db, listen):
    def expire_current(target, value, initiator):
        inspect(target).session.expire(target, ["current_week_tasks"])

    listen(User.all_tasks, "append", expire_current)
    listen(User.all_tasks, "remove", expire_current)
    with Session(db) as sess:
        u1 = User(name="u1")
        sess.add(u1)
        sess.commit()
        assert u1.current_week_tasks == []
        t1 = Task(task_date=WEEK_START, description="t1")
        u1.all_tasks.append(t1)
        assert u1.current_week_tasks == [t1]
        u1.all_tasks.remove(t1)
        sess.delete(t1)
        assert u1.current_week_tasks == []
        sess.commit()
    assert fetch(db, "SELECT count(*) FROM ch_task") == [(0,)]


def test_viewonly_collection_refuses_nothing_and_writes_nothing(db):
    with Session(db) as sess:
        u1 = User(name="u1")
        sess.add(u1)
        sess.commit()
        stray = Task(task_date=WEEK_START, description="stray")
        u1.current_week_tasks.append(stray)  # a viewonly list: changes are not flushed
        assert stray not in sess
        sess.commit()
    assert fetch(db, "SELECT count(*) FROM ch_task") == [(0,)]


# -- join_conditions.rst: building query-enabled properties ---------------------------------
class Account(Base):
    __tablename__ = "ch_account"
    id: Mapped[int] = mapped_column(primary_key=True)

    @property
    def big_entries(self) -> list[Entry]:
        return (
            object_session(self)
            .query(Entry)
            .filter(Entry.account_id == self.id)
            .filter(Entry.amount > 100)
            .order_by(Entry.id)
            .all()
        )


class Entry(Base):
    __tablename__ = "ch_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ch_account.id"))
    amount: Mapped[int] = mapped_column()


def test_query_enabled_property_reads_through_the_objects_session(db):
    with Session(db) as s:
        acct = Account(id=1)
        s.add(acct)
        s.add_all([Entry(account_id=1, amount=a) for a in (50, 150, 300)])
        s.commit()
        assert [e.amount for e in acct.big_entries] == [150, 300]


# -- join_conditions.rst: row-limited relationships with window functions -----------------
class Ay(Base):
    __tablename__ = "ch_ay"
    id: Mapped[int] = mapped_column(primary_key=True)
    bees: Mapped[list[Bee]] = relationship(order_by="Bee.id")


class Bee(Base):
    __tablename__ = "ch_bee"
    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int | None] = mapped_column(ForeignKey("ch_ay.id"))
    data: Mapped[str] = mapped_column(String(10))


class Pick(Base):
    __tablename__ = "ch_pick"
    id: Mapped[int] = mapped_column(primary_key=True)
    bee_id: Mapped[int] = mapped_column(ForeignKey("ch_bee.id"))


partition = select(
    Bee, func.row_number().over(order_by=Bee.id, partition_by=Bee.a_id).label("index")
).subquery()
partitioned_bee = aliased(Bee, partition)
# the first two bees of each Ay (the chapter keeps ten)
Ay.partitioned_bees = relationship(
    partitioned_bee,
    primaryjoin=and_(partitioned_bee.a_id == Ay.id, partition.c.index < 3),
    viewonly=True,
    order_by=Bee.id,
)
# a many-to-one to the alias: the picked bee, when it is the first of its Ay's
Pick.first_bee = relationship(
    partitioned_bee,
    primaryjoin=and_(partitioned_bee.id == Pick.bee_id, partition.c.index == 1),
    viewonly=True,
)


@pytest.fixture
def bees(db):
    with Session(db) as s:
        a1, a2, a3 = Ay(id=1), Ay(id=2), Ay(id=3)
        a1.bees = [Bee(id=i, data=f"x{i}") for i in range(1, 6)]
        a2.bees = [Bee(id=6, data="y6")]
        s.add_all([a1, a2, a3])
        s.flush()
        s.add_all([Pick(id=1, bee_id=1), Pick(id=2, bee_id=6), Pick(id=3, bee_id=2)])
        s.commit()
    return db


def _first_bees(ays):
    return [(a.id, [b.id for b in a.partitioned_bees]) for a in ays]


def test_window_function_relationship_loads_the_first_rows_per_parent(bees, sql_log):
    with Session(bees) as s:
        log = sql_log(bees)
        stmt = select(Ay).order_by(Ay.id).options(selectinload(Ay.partitioned_bees))
        assert _first_bees(s.scalars(stmt)) == [(1, [1, 2]), (2, [6]), (3, [])]
        assert log.count("SELECT") == 2
        assert "row_number() OVER (PARTITION BY" in log.sql[-1]
    with Session(bees) as s:
        # lazily, with joinedload / subqueryload (loaded with select-in: the same objects)
        assert _first_bees(s.scalars(select(Ay).order_by(Ay.id))) == [
            (1, [1, 2]),
            (2, [6]),
            (3, []),
        ]
        for opt in (joinedload(Ay.partitioned_bees), subqueryload(Ay.partitioned_bees)):
            s.expire_all()
            got = s.scalars(select(Ay).order_by(Ay.id).options(opt)).unique()
            assert _first_bees(got) == [(1, [1, 2]), (2, [6]), (3, [])]
        bee1 = s.get(Bee, 1)
        assert bee1 in s.get(Ay, 1).partitioned_bees  # the same identity-mapped objects


def test_window_function_relationship_in_joins_and_exists(bees):
    with Session(bees) as s:
        q = select(Ay.id).order_by(Ay.id)
        joined = q.join(Ay.partitioned_bees).where(partitioned_bee.data == "x2")
        assert s.scalars(joined).all() == [1]
        assert s.scalars(q.where(Ay.partitioned_bees.any(Bee.data == "x2"))).all() == [1]
        assert s.scalars(q.where(Ay.partitioned_bees.any(Bee.data == "x4"))).all() == []
        assert s.scalars(q.where(~Ay.partitioned_bees.any())).all() == [3]
        bee6, bee4 = s.get(Bee, 6), s.get(Bee, 4)
        assert s.scalars(q.where(Ay.partitioned_bees.contains(bee6))).all() == [2]
        assert s.scalars(q.where(Ay.partitioned_bees.contains(bee4))).all() == []


def test_many_to_one_to_an_aliased_class(bees, sql_log):
    rel = inspect(Pick).relationships["first_bee"]
    assert rel.direction.name == "MANYTOONE" and not rel.uselist
    with Session(bees) as s:
        picks = s.scalars(select(Pick).order_by(Pick.id)).all()
        # bee 1 is the first of Ay 1's bees, bee 6 the first of Ay 2's; bee 2 is not first
        assert [p.first_bee and p.first_bee.id for p in picks] == [1, 6, None]
        q = select(Pick.id).order_by(Pick.id)
        assert s.scalars(q.where(Pick.first_bee == s.get(Bee, 6))).all() == [2]
        assert s.scalars(q.where(Pick.first_bee.has())).all() == [1, 2]
    with Session(bees) as s:
        log = sql_log(bees)
        stmt = select(Pick).order_by(Pick.id).options(selectinload(Pick.first_bee))
        got = [p.first_bee and p.first_bee.id for p in s.scalars(stmt)]
        assert got == [1, 6, None] and log.count("SELECT") == 2


def _par_with_kids(**kw):
    """A fresh Par -> aliased(Kid) mapping, configured."""

    class B2(DeclarativeBase):
        pass

    class Kid(B2):
        __tablename__ = "ch_kid"
        id: Mapped[int] = mapped_column(primary_key=True)
        p_id: Mapped[int] = mapped_column(ForeignKey("ch_par.id"))

    class Par(B2):
        __tablename__ = "ch_par"
        id: Mapped[int] = mapped_column(primary_key=True)

    kid_alias = aliased(Kid)
    kw.setdefault("primaryjoin", kid_alias.p_id == Par.id)
    if kw["primaryjoin"] is None:
        del kw["primaryjoin"]
    Par.kids = relationship(kid_alias, **kw)
    B2.registry.configure()
    return Par


def test_relationship_to_an_aliased_class_refuses_what_it_cannot_do():
    from uow_orm.orm import with_parent

    with pytest.raises(exc.ArgumentError, match="viewonly=True"):
        _par_with_kids()
    with pytest.raises(exc.ArgumentError, match="primaryjoin"):
        _par_with_kids(viewonly=True, primaryjoin=None)
    with pytest.raises(exc.ArgumentError, match="back_populates"):
        _par_with_kids(viewonly=True, back_populates="par")
    par_cls = _par_with_kids(viewonly=True)
    with pytest.raises(exc.NotSupportedError, match="aliased"):
        with_parent(par_cls(id=1), par_cls.kids)


# -- basic_relationships.rst: deleting rows from the many-to-many table ---------------------
association_table = Table(
    "ch_association",
    Base.metadata,
    Column("left_id", ForeignKey("ch_left.id"), primary_key=True),
    Column("right_id", ForeignKey("ch_right.id"), primary_key=True),
)


class Parent(Base):
    __tablename__ = "ch_left"
    id: Mapped[int] = mapped_column(primary_key=True)
    children: Mapped[list[Child]] = relationship(
        secondary=association_table, back_populates="parents"
    )


class Child(Base):
    __tablename__ = "ch_right"
    id: Mapped[int] = mapped_column(primary_key=True)
    parents: Mapped[list[Parent]] = relationship(
        secondary=association_table, back_populates="children"
    )


def test_removing_from_or_deleting_a_many_to_many_member_deletes_its_rows(db):
    with Session(db) as s:
        p1, p2 = Parent(id=1), Parent(id=2)
        c1, c2 = Child(id=1), Child(id=2)
        p1.children = [c1, c2]
        p2.children = [c1]
        s.add_all([p1, p2])
        s.commit()
        assert sorted(fetch(db, "SELECT left_id, right_id FROM ch_association")) == [
            (1, 1),
            (1, 2),
            (2, 1),
        ]
        p1.children.remove(c2)  # the association row goes
        s.commit()
        assert c2.parents == []
        s.delete(c1)  # both of its association rows go, before the child's row
        s.commit()
        assert p1.children == [] and p2.children == []
    assert fetch(db, "SELECT left_id, right_id FROM ch_association") == []
    assert fetch(db, "SELECT id FROM ch_right") == [(2,)]


# -- backref.rst: backref() with arguments --------------------------------------------------
class Blog(Base):
    __tablename__ = "ch_blog"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(30))
    notes = relationship("Note", backref=backref("blog", lazy="joined"), order_by="Note.id")


class Note(Base):
    __tablename__ = "ch_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    blog_id: Mapped[int | None] = mapped_column(ForeignKey("ch_blog.id"))


def test_backref_with_arguments_configures_the_other_side(db, sql_log):
    assert inspect(Note).relationships["blog"].lazy == "joined"
    with Session(db) as s:
        s.add(Blog(id=1, title="b", notes=[Note(id=1), Note(id=2)]))
        s.commit()
    with Session(db) as s:
        log = sql_log(db)
        notes = s.scalars(select(Note).order_by(Note.id)).unique().all()
        assert [n.blog.title for n in notes] == ["b", "b"]
        assert log.count("SELECT") == 1  # the blog came with the notes (LEFT OUTER JOIN)
        assert "LEFT OUTER JOIN" in log.sql[-1]
        assert [n.id for n in notes[0].blog.notes] == [1, 2]


# -- basic_relationships.rst: association object combined with many-to-many ----------------
class Assoc(Base):
    __tablename__ = "ch_assoc_obj"
    left_id: Mapped[int] = mapped_column(ForeignKey("ch_aleft.id"), primary_key=True)
    right_id: Mapped[int] = mapped_column(ForeignKey("ch_aright.id"), primary_key=True)
    extra_data: Mapped[str | None] = mapped_column(String(20))
    child: Mapped[AChild] = relationship(back_populates="parent_associations")
    parent: Mapped[AParent] = relationship(back_populates="child_associations")


class AParent(Base):
    __tablename__ = "ch_aleft"
    id: Mapped[int] = mapped_column(primary_key=True)
    # the chapter's advice: the many-to-many bypassing Assoc is viewonly
    children: Mapped[list[AChild]] = relationship(
        secondary="ch_assoc_obj", back_populates="parents", viewonly=True, order_by="AChild.id"
    )
    child_associations: Mapped[list[Assoc]] = relationship(back_populates="parent")


class AChild(Base):
    __tablename__ = "ch_aright"
    id: Mapped[int] = mapped_column(primary_key=True)
    parents: Mapped[list[AParent]] = relationship(
        secondary="ch_assoc_obj", back_populates="children", viewonly=True
    )
    parent_associations: Mapped[list[Assoc]] = relationship(back_populates="child")


def test_association_object_writes_and_viewonly_many_to_many_reads(db):
    with Session(db) as s:
        p1 = AParent(id=1)
        c1, c2 = AChild(id=1), AChild(id=2)
        p1.child_associations.append(Assoc(child=c1, extra_data="first"))
        p1.child_associations.append(Assoc(child=c2, extra_data="second"))
        s.add(p1)
        s.commit()
        assert [c.id for c in p1.children] == [1, 2]  # read through the association rows
        assert [p.id for p in c2.parents] == [1]
        stray = AChild(id=3)
        p1.children.append(stray)  # viewonly: never written (no NULL extra_data row)
        s.commit()
    assert sorted(fetch(db, "SELECT left_id, right_id, extra_data FROM ch_assoc_obj")) == [
        (1, 1, "first"),
        (1, 2, "second"),
    ]
    assert fetch(db, "SELECT id FROM ch_aright ORDER BY id") == [(1,), (2,)]
