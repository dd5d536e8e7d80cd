"""Natural keys: a flushed primary-key change re-keys the identity map and moves references.

Issue 23, "Natural keys and row identity" item 1, on SQLite and PostgreSQL with foreign keys
enforced on both. Rows are read back through a separate connection or ``text()`` queries;
statements are observed with the ``sql_log`` fixture.
"""

from __future__ import annotations

import pytest
from conftest import fetch as rows

from uow_orm import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    Session,
    String,
    declarative_base,
    exc,
    identity_key,
    inspect,
    relationship,
)
from uow_orm.sql.ddl import create_statements

Base = declarative_base()


class User(Base):
    __tablename__ = "nk_user"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(40), nullable=False)


class Account(Base):
    __tablename__ = "nk_account"
    region = Column(String(10), primary_key=True)
    number = Column(Integer, primary_key=True, autoincrement=False)
    owner = Column(String(40))


class Author(Base):
    """Referenced with ON UPDATE CASCADE (passive_updates=True, the default)."""

    __tablename__ = "nk_author"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(40))
    books = relationship("Book", back_populates="author")


class Book(Base):
    __tablename__ = "nk_book"
    id = Column(Integer, primary_key=True, autoincrement=False)
    author_id = Column(Integer, ForeignKey("nk_author.id", onupdate="CASCADE"))
    title = Column(String(40))
    author = relationship("Author", back_populates="books")


class Team(Base):
    """Referenced by a plain foreign key: no ON UPDATE action."""

    __tablename__ = "nk_team"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(40))
    players = relationship("Player")


class Player(Base):
    __tablename__ = "nk_player"
    id = Column(Integer, primary_key=True, autoincrement=False)
    team_id = Column(Integer, ForeignKey("nk_team.id"))


class Org(Base):
    """The ORM moves the members itself (passive_updates=False); the key is deferred."""

    __tablename__ = "nk_org"
    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(40))
    members = relationship("Member", passive_updates=False, order_by="Member.id")


class Member(Base):
    __tablename__ = "nk_member"
    id = Column(Integer, primary_key=True, autoincrement=False)
    org_id = Column(Integer, ForeignKey("nk_org.id", deferrable=True, initially="DEFERRED"))


class Order(Base):
    """Referenced by part of its lines' primary key."""

    __tablename__ = "nk_order"
    id = Column(Integer, primary_key=True, autoincrement=False)
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.seq")


class OrderLine(Base):
    __tablename__ = "nk_order_line"
    order_id = Column(Integer, ForeignKey("nk_order.id", onupdate="CASCADE"), primary_key=True)
    seq = Column(Integer, primary_key=True, autoincrement=False)
    item = Column(String(20))
    order = relationship("Order", back_populates="lines")


class Shelf(Base):
    """Referenced with ON UPDATE SET NULL, by a composite foreign key."""

    __tablename__ = "nk_shelf"
    room = Column(String(10), primary_key=True)
    pos = Column(Integer, primary_key=True, autoincrement=False)


class Box(Base):
    __tablename__ = "nk_box"
    id = Column(Integer, primary_key=True, autoincrement=False)
    room = Column(String(10))
    pos = Column(Integer)
    __table_args__ = (
        ForeignKeyConstraint(
            ["room", "pos"], ["nk_shelf.room", "nk_shelf.pos"], onupdate="SET NULL"
        ),
    )


# -- the identity map follows the key --------------------------------------------------------


def test_primary_key_change_rekeys_identity_map(db, sql_log):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
    with Session(db) as s:
        u = s.get(User, 1)
        u.id = 50
        s.flush()
        assert inspect(u).key == identity_key(User, 50)
        assert inspect(u).identity == (50,)
        log = sql_log(db)
        assert s.get(User, 50) is u
        assert len(log) == 0  # an identity-map hit
        assert s.get(User, 1) is None
        assert identity_key(User, 1) not in s.identity_map
        u.name = "bea"  # the next change finds the row under its new key
        s.commit()
    assert rows(db, "SELECT id, name FROM nk_user") == [(50, "bea")]


def test_composite_primary_key_change_rekeys_identity_map(db):
    with Session(db) as s:
        s.add_all([Account(region="eu", number=1, owner="a"), Account(region="us", number=1)])
        s.commit()
    with Session(db) as s:
        acc = s.get(Account, ("eu", 1))
        acc.number = 7
        s.commit()
        assert s.get(Account, ("eu", 7)) is acc
        assert s.get(Account, ("eu", 1)) is None
        assert s.get(Account, ("us", 1)).owner is None
        acc.region = "us"  # now both key columns differ from the first key
        acc.owner = "b"
        s.commit()
        assert s.get(Account, ("us", 7)) is acc
    assert sorted(rows(db, "SELECT region, number, owner FROM nk_account")) == [
        ("us", 1, None),
        ("us", 7, "b"),
    ]


def test_primary_key_change_and_back_emits_nothing(db, sql_log):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
        u = s.get(User, 1)
        u.id = 2
        u.id = 1
        log = sql_log(db)
        s.flush()
        assert log.count("UPDATE") == 0
        assert s.get(User, 1) is u


def test_rollback_gives_back_the_old_identity(db):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
        u = s.get(User, 1)
        u.id = 50
        s.flush()
        s.rollback()
        assert inspect(u).key == identity_key(User, 1)
        assert u.id == 1
        assert s.get(User, 1) is u
        assert s.get(User, 50) is None
    assert rows(db, "SELECT id FROM nk_user") == [(1,)]


def test_savepoint_rollback_gives_back_the_old_identity(db):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
        u = s.get(User, 1)
        sp = s.begin_nested()
        u.id = 50
        s.flush()
        assert s.get(User, 50) is u
        sp.rollback()
        assert inspect(u).key == identity_key(User, 1)
        assert u.id == 1
        assert s.get(User, 1) is u
        assert s.get(User, 50) is None
        u.id = 60  # and a later change still works
        s.commit()
        assert s.get(User, 60) is u
    assert rows(db, "SELECT id FROM nk_user") == [(60,)]


def test_released_savepoint_then_rollback_gives_back_the_first_identity(db):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
        u = s.get(User, 1)
        u.id = 2
        s.flush()
        with s.begin_nested():
            u.id = 3
        assert s.get(User, 3) is u
        s.rollback()
        assert inspect(u).key == identity_key(User, 1)
        assert s.get(User, 1) is u


def test_primary_key_set_to_none_raises_flush_error(db):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
        u = s.get(User, 1)
        u.id = None
        with pytest.raises(exc.FlushError, match="set to None"):
            s.flush()
        s.rollback()
        assert u.id == 1
    assert rows(db, "SELECT id FROM nk_user") == [(1,)]


def test_primary_key_change_onto_another_objects_key_raises_flush_error(db, sql_log):
    with Session(db) as s:
        s.add_all([User(id=1, name="ann"), User(id=2, name="bob")])
        s.commit()
        u1, u2 = s.get(User, 1), s.get(User, 2)
        u1.id = 2
        log = sql_log(db)
        with pytest.raises(exc.FlushError, match="another object with that identity"):
            s.flush()
        assert log.count("UPDATE") == 0
        s.rollback()
        assert s.get(User, 1) is u1 and s.get(User, 2) is u2
    assert rows(db, "SELECT id, name FROM nk_user ORDER BY id") == [(1, "ann"), (2, "bob")]


def test_new_object_may_take_the_key_another_object_gave_up(db):
    with Session(db) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
        u = s.get(User, 1)
        u.id = 2
        fresh = User(id=1, name="new")
        s.add(fresh)
        s.commit()
        assert s.get(User, 1) is fresh and s.get(User, 2) is u
    assert rows(db, "SELECT id, name FROM nk_user ORDER BY id") == [(1, "new"), (2, "ann")]


# -- referencing rows: ON UPDATE CASCADE ---------------------------------------------------------


def test_onupdate_and_deferrable_options_are_emitted_in_the_ddl(engine):
    sql = "\n".join(create_statements(Base.metadata.sorted_tables, engine.dialect))
    assert "ON UPDATE CASCADE" in sql
    assert "ON UPDATE SET NULL" in sql
    assert "DEFERRABLE INITIALLY DEFERRED" in sql


def test_bad_referential_action_raises_argument_error():
    with pytest.raises(exc.ArgumentError, match="onupdate='CASCADES'"):
        ForeignKey("t.id", onupdate="CASCADES")
    with pytest.raises(exc.ArgumentError, match="ondelete='DROP'"):
        ForeignKey("t.id", ondelete="DROP")
    with pytest.raises(exc.ArgumentError, match="initially='LATER'"):
        ForeignKey("t.id", initially="LATER")
    with pytest.raises(exc.ArgumentError, match="onupdate='NOPE'"):
        ForeignKeyConstraint(["a"], ["t.a"], onupdate="NOPE")


def test_on_update_cascade_moves_children_in_database_and_in_memory(db, sql_log):
    with Session(db) as s:
        s.add(Author(id=1, name="a", books=[Book(id=1), Book(id=2)]))
        s.add(Author(id=2, name="b", books=[Book(id=3)]))
        s.commit()
    with Session(db) as s:
        author = s.get(Author, 1)
        loaded = list(author.books)  # through the loaded collection
        assert [b.author_id for b in loaded] == [1, 1]
        other = s.get(Book, 3)
        author.id = 50
        log = sql_log(db)
        s.flush()
        assert log.sql == [log.sql[0]] and log.count("UPDATE") == 1  # the database moves them
        log.clear()
        assert [b.author_id for b in loaded] == [50, 50]
        assert other.author_id == 2
        assert all(b.author is author for b in loaded)
        assert not s.dirty
        assert len(log) == 0  # moved in memory, nothing expired
        s.commit()
    assert rows(db, "SELECT id, author_id FROM nk_book ORDER BY id") == [(1, 50), (2, 50), (3, 2)]


def test_on_update_cascade_moves_children_of_an_unloaded_collection(db):
    with Session(db) as s:
        s.add(Author(id=1, name="a", books=[Book(id=1)]))
        s.commit()
    with Session(db, expire_on_commit=False) as s:
        book = s.get(Book, 1)
        author = s.get(Author, 1)
        assert "books" not in inspect(author).dict
        author.id = 50
        s.commit()
        assert book.author_id == 50
        assert book.author is author
    assert rows(db, "SELECT id, author_id FROM nk_book") == [(1, 50)]


def test_on_update_cascade_rekeys_children_whose_primary_key_holds_the_reference(db):
    with Session(db) as s:
        s.add(Order(id=1, lines=[OrderLine(seq=1, item="x"), OrderLine(seq=2, item="y")]))
        s.commit()
    with Session(db) as s:
        order = s.get(Order, 1)
        lines = list(order.lines)
        order.id = 9
        lines[0].item = "changed"  # UPDATEd after the row moved: found under its new key
        s.flush()
        assert [inspect(li).key for li in lines] == [
            identity_key(OrderLine, (9, 1)),
            identity_key(OrderLine, (9, 2)),
        ]
        assert s.get(OrderLine, (9, 2)) is lines[1]
        assert s.get(OrderLine, (1, 2)) is None
        s.delete(lines[1])  # and deleted under it
        s.commit()
    assert rows(db, "SELECT order_id, seq, item FROM nk_order_line") == [(9, 1, "changed")]


def test_on_update_set_null_clears_the_references_in_memory(db):
    with Session(db) as s:
        s.add_all([Shelf(room="a", pos=1), Shelf(room="b", pos=1)])
        s.add_all([Box(id=1, room="a", pos=1), Box(id=2, room="b", pos=1)])
        s.commit()
    with Session(db, expire_on_commit=False) as s:
        shelf = s.get(Shelf, ("a", 1))
        box1, box2 = s.get(Box, 1), s.get(Box, 2)
        shelf.pos = 5
        s.commit()
        assert (box1.room, box1.pos) == (None, None)
        assert (box2.room, box2.pos) == ("b", 1)
    assert rows(db, "SELECT id, room, pos FROM nk_box ORDER BY id") == [
        (1, None, None),
        (2, "b", 1),
    ]


def test_changing_a_referenced_key_without_cascade_fails_cleanly(db):
    with Session(db) as s:
        s.add(Team(id=1, name="t", players=[Player(id=1)]))
        s.commit()
    with Session(db) as s:
        team = s.get(Team, 1)
        team.id = 2
        team.name = "renamed"
        with pytest.raises(exc.IntegrityError):
            s.flush()
        with pytest.raises(exc.PendingRollbackError):
            s.get(Team, 2)
        s.rollback()
        assert inspect(team).key == identity_key(Team, 1)
        assert s.get(Team, 1) is team
        assert (team.id, team.name) == (1, "t")
        team.name = "after"  # the session works again
        s.commit()
    assert rows(db, "SELECT id, name FROM nk_team") == [(1, "after")]
    assert rows(db, "SELECT id, team_id FROM nk_player") == [(1, 1)]


# -- passive_updates=False: the flush moves the children itself ---------------------------------


def test_passive_updates_false_updates_children_in_the_same_flush(db, sql_log):
    with Session(db) as s:
        s.add(Org(id=1, name="o", members=[Member(id=1), Member(id=2)]))
        s.add(Org(id=2, name="p", members=[Member(id=3)]))
        s.commit()
    with Session(db) as s:
        org = s.get(Org, 1)
        org.id = 10
        log = sql_log(db)
        s.flush()
        # like SQLAlchemy: the children are loaded by the old key, then the parent's UPDATE,
        # then the children's (the deferred foreign key is checked at commit)
        verbs = [sql.split()[0] for sql in log.sql]
        assert verbs == ["SELECT", "UPDATE", "UPDATE"]
        assert "nk_member" in log.sql[0] and "nk_org" in log.sql[1] and "nk_member" in log.sql[2]
        assert [m.org_id for m in org.members] == [10, 10]
        assert not s.dirty
        s.commit()
    assert rows(db, "SELECT id, org_id FROM nk_member ORDER BY id") == [(1, 10), (2, 10), (3, 2)]
    assert rows(db, "SELECT id FROM nk_org ORDER BY id") == [(2,), (10,)]


def test_passive_updates_false_with_a_loaded_collection_loads_nothing(db, sql_log):
    with Session(db) as s:
        s.add(Org(id=1, name="o", members=[Member(id=1)]))
        s.commit()
    with Session(db) as s:
        org = s.get(Org, 1)
        member = org.members[0]
        org.id = 10
        log = sql_log(db)
        s.commit()
        assert log.count("SELECT") == 0 and log.count("UPDATE") == 2
        assert member.org_id == 10
    assert rows(db, "SELECT id, org_id FROM nk_member") == [(1, 10)]


def test_passive_updates_false_rolled_back_restores_keys_and_rows(db):
    with Session(db) as s:
        s.add(Org(id=1, name="o", members=[Member(id=1)]))
        s.commit()
    with Session(db) as s:
        org = s.get(Org, 1)
        member = org.members[0]
        org.id = 10
        s.flush()
        s.rollback()
        assert (org.id, member.org_id) == (1, 1)
        assert s.get(Org, 1) is org
    assert rows(db, "SELECT id, org_id FROM nk_member") == [(1, 1)]
