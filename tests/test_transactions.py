"""Session transactions: autobegin, begin/begin_nested, sessionmaker, commit and rollback
accounting, savepoints at any depth, and recovery from a failed flush.

Every test runs on SQLite and PostgreSQL through the ``engine`` fixture. Database state is
always checked for real: inside the session's own transaction with a query, or from a second
connection for what is committed.
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
    exc,
    func,
    inspect,
    relationship,
    select,
    sessionmaker,
    text,
)

Base = declarative_base()


class User(Base):
    __tablename__ = "tx_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, unique=True)
    score = Column(Integer, nullable=False, default=0)
    addresses = relationship(
        "Address", back_populates="user", cascade="all, delete-orphan", order_by="Address.id"
    )


class Address(Base):
    __tablename__ = "tx_addresses"

    id = Column(Integer, primary_key=True)
    email = Column(String(100), nullable=False)
    user_id = Column(Integer, ForeignKey("tx_users.id"), nullable=False)
    user = relationship("User", back_populates="addresses")


class Boom(Exception):
    """Raised by tests to leave a ``with`` block with an error."""


def committed_names(engine) -> list[str]:
    """Names committed in the database, read on a connection of its own."""
    with engine.connect() as conn:
        return sorted(row[0] for row in conn.execute(text("SELECT name FROM tx_users")))


def names_in_transaction(session) -> list[str]:
    """Names the session's own transaction sees in the database (no identity map)."""
    return sorted(session.scalars(select(User.name)).all())


def count_in_transaction(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def seed(engine, *names: str) -> dict[str, int]:
    """Commit users with the given names; return name -> id."""
    with Session(engine) as s:
        users = [User(name=n, score=10) for n in names]
        s.add_all(users)
        s.flush()
        ids = {n: u.id for n, u in zip(names, users, strict=True)}
        s.commit()
        return ids


# -- autobegin and the transaction accessors ------------------------------------------------
def test_session_autobegins_on_first_database_use(db):
    s = Session(db)
    assert not s.in_transaction()
    assert s.get_transaction() is None
    assert s.get_nested_transaction() is None

    s.scalars(select(User)).all()
    assert s.in_transaction()
    assert s.get_transaction() is not None
    assert not s.in_nested_transaction()
    assert s.get_nested_transaction() is None

    s.commit()
    assert not s.in_transaction()
    assert s.get_transaction() is None
    s.close()


def test_autobegun_transaction_commits_and_a_new_one_starts_after_commit(db):
    s = Session(db)
    s.add(User(name="a"))
    s.commit()
    assert committed_names(db) == ["a"]

    s.add(User(name="b"))
    s.flush()
    assert s.in_transaction()
    s.commit()
    assert committed_names(db) == ["a", "b"]
    s.close()


def test_begin_context_manager_commits_on_success(db):
    with Session(db) as s:
        with s.begin() as tx:
            assert s.in_transaction()
            assert s.get_transaction() is tx
            s.add(User(name="a"))
        assert not s.in_transaction()
    assert committed_names(db) == ["a"]


def test_begin_context_manager_rolls_back_on_error(db):
    with Session(db) as s:
        u = User(name="a")
        with pytest.raises(Boom):
            with s.begin():
                s.add(u)
                s.flush()
                raise Boom
        assert not s.in_transaction()
        assert inspect(u).transient
        assert u not in s
    assert committed_names(db) == []


def test_begin_nested_flushes_first_and_releases_on_success(db):
    with Session(db) as s:
        with s.begin() as outer:
            a = User(name="a")
            s.add(a)
            with s.begin_nested() as sp:
                # begin_nested() flushes pending work before the SAVEPOINT.
                assert inspect(a).persistent
                assert s.in_transaction()
                assert s.in_nested_transaction()
                assert s.get_nested_transaction() is sp
                assert s.get_transaction() is outer
                s.add(User(name="b"))
            assert not s.in_nested_transaction()
            assert s.get_nested_transaction() is None
            assert s.in_transaction()
            assert names_in_transaction(s) == ["a", "b"]
    assert committed_names(db) == ["a", "b"]


def test_begin_nested_context_manager_rolls_back_only_the_savepoint_on_error(db):
    with Session(db) as s:
        with s.begin():
            s.add(User(name="a"))
            b = User(name="b")
            with pytest.raises(Boom):
                with s.begin_nested():
                    s.add(b)
                    s.flush()
                    raise Boom
            assert s.in_transaction()
            assert not s.in_nested_transaction()
            assert inspect(b).transient
            assert names_in_transaction(s) == ["a"]
            s.add(User(name="c"))
    assert committed_names(db) == ["a", "c"]


# -- sessionmaker -----------------------------------------------------------------------------
def test_sessionmaker_keywords_apply_and_factory_overrides_them(db, sql_log):
    factory = sessionmaker(bind=db, expire_on_commit=False)

    with factory() as s:
        kept = User(name="kept")
        s.add(kept)
        s.commit()
        log = sql_log(db)
        assert not inspect(kept).expired_attributes
        assert kept.name == "kept"
        assert log.count("SELECT") == 0

    with factory(expire_on_commit=True) as s:
        expired = User(name="expired")
        s.add(expired)
        s.commit()
        assert "name" in inspect(expired).expired_attributes

    with factory(autoflush=False) as s:
        s.add(User(name="pending"))
        assert s.scalars(select(User).where(User.name == "pending")).all() == []
    assert committed_names(db) == ["expired", "kept"]


def test_sessionmaker_begin_commits_on_success_and_closes(db):
    factory = sessionmaker(bind=db)
    u = User(name="a")
    with factory.begin() as s:
        assert isinstance(s, Session)
        assert s.in_transaction()
        s.add(u)
    assert committed_names(db) == ["a"]
    assert inspect(u).detached
    assert u not in s
    assert not s.in_transaction()
    assert db.pool.checkedout() == 0


def test_sessionmaker_begin_rolls_back_on_error_and_closes(db):
    factory = sessionmaker(bind=db)
    u = User(name="a")
    with pytest.raises(Boom):
        with factory.begin() as s:
            s.add(u)
            s.flush()
            raise Boom
    assert committed_names(db) == []
    assert inspect(u).transient
    assert not s.in_transaction()
    assert db.pool.checkedout() == 0


def test_session_context_manager_closes_on_exit(db):
    with Session(db) as s:
        u = User(name="a")
        s.add(u)
        s.commit()
        assert u.name == "a"
        discarded = User(name="never-committed")
        s.add(discarded)
        s.flush()
    assert inspect(u).detached
    assert u not in s
    assert len(s.identity_map) == 0
    assert not s.in_transaction()
    assert db.pool.checkedout() == 0
    assert committed_names(db) == ["a"]


# -- commit -----------------------------------------------------------------------------------
def test_commit_expires_every_instance(db, sql_log):
    s = Session(db)
    users = [User(name=n) for n in ("a", "b", "c")]
    s.add_all(users)
    s.commit()
    for u in users:
        assert inspect(u).persistent
        assert "name" in inspect(u).expired_attributes

    with db.begin() as conn:
        conn.execute(text("UPDATE tx_users SET name = 'changed' WHERE name = 'a'"))

    log = sql_log(db)
    assert users[0].name == "changed"
    assert log.count("SELECT") == 1
    assert users[1].name == "b"
    assert log.count("SELECT") == 2
    s.close()


def test_commit_without_expire_on_commit_keeps_values_readable_after_close(db, sql_log):
    s = Session(db, expire_on_commit=False)
    u = User(name="a", score=3)
    s.add(u)
    s.commit()
    s.close()
    log = sql_log(db)
    assert inspect(u).detached
    assert u.name == "a"
    assert u.score == 3
    assert isinstance(u.id, int)
    assert len(log) == 0


# -- rollback ---------------------------------------------------------------------------------
def test_rollback_makes_objects_added_in_the_transaction_transient(db):
    seed(db, "kept")
    s = Session(db)
    kept = s.scalars(select(User)).one()
    flushed = User(name="flushed")
    unflushed = User(name="unflushed")
    s.add(flushed)
    s.flush()
    s.add(unflushed)
    s.rollback()
    assert inspect(flushed).transient
    assert inspect(unflushed).transient
    assert flushed not in s and unflushed not in s
    assert len(s.new) == 0
    assert inspect(kept).persistent
    assert committed_names(db) == ["kept"]
    s.close()


def test_rollback_expires_persistent_objects(db):
    ids = seed(db, "changed", "untouched")
    s = Session(db)
    changed = s.get(User, ids["changed"])
    untouched = s.get(User, ids["untouched"])
    changed.name = "new name"
    changed.score = 99
    s.flush()
    s.rollback()
    assert "name" in inspect(changed).expired_attributes
    assert "name" in inspect(untouched).expired_attributes
    assert changed.name == "changed"
    assert changed.score == 10
    assert untouched.name == "untouched"
    assert changed not in s.dirty
    s.close()


def test_rollback_restores_objects_deleted_in_the_transaction(db):
    ids = seed(db, "doomed")
    s = Session(db)
    doomed = s.get(User, ids["doomed"])
    s.delete(doomed)
    s.flush()
    assert inspect(doomed).deleted
    assert names_in_transaction(s) == []
    s.rollback()
    assert inspect(doomed).persistent
    assert doomed in s
    assert s.get(User, ids["doomed"]) is doomed
    assert doomed.name == "doomed"
    assert committed_names(db) == ["doomed"]
    s.close()


def test_rollback_puts_deleted_objects_back_in_their_collections(db):
    s = Session(db)
    u = User(name="owner", addresses=[Address(email="one@x"), Address(email="two@x")])
    s.add(u)
    s.commit()
    first, _second = u.addresses
    u.addresses.remove(first)  # delete-orphan
    s.flush()
    assert inspect(first).deleted
    s.rollback()
    assert inspect(first).persistent
    assert [a.email for a in u.addresses] == ["one@x", "two@x"]
    assert u.addresses[0] is first
    assert first.user is u
    s.close()


# -- savepoint rollback -----------------------------------------------------------------------
@pytest.fixture
def loaded(db):
    """A session in a transaction with three committed users loaded: keep, doomed, untouched."""
    ids = seed(db, "keep", "doomed", "untouched")
    s = Session(db)
    users = {name: s.get(User, pk) for name, pk in ids.items()}
    for u in users.values():
        assert u.name  # loaded now, inside the session's transaction
    yield s, users
    s.close()


def test_savepoint_rollback_makes_objects_added_inside_transient(loaded):
    s, _users = loaded
    sp = s.begin_nested()
    added = User(name="added")
    s.add(added)
    s.flush()
    assert inspect(added).persistent
    sp.rollback()
    assert inspect(added).transient
    assert added not in s
    assert s.in_transaction() and not s.in_nested_transaction()


def test_savepoint_rollback_restores_objects_deleted_inside(loaded):
    s, users = loaded
    doomed = users["doomed"]
    sp = s.begin_nested()
    s.delete(doomed)
    s.flush()
    assert inspect(doomed).deleted
    sp.rollback()
    assert inspect(doomed).persistent
    assert doomed in s
    assert doomed not in s.deleted
    assert doomed.name == "doomed"
    assert s.get(User, doomed.id) is doomed


def test_savepoint_rollback_restores_attributes_changed_inside(loaded, db):
    s, users = loaded
    keep = users["keep"]
    keep.name = "outer value"  # unflushed change from before the savepoint
    sp = s.begin_nested()
    keep.name = "inner value"
    keep.score = 77
    s.flush()
    sp.rollback()
    assert keep.name == "outer value"
    assert keep.score == 10
    s.commit()
    assert committed_names(db) == ["doomed", "outer value", "untouched"]


def test_savepoint_rollback_restores_collections(db):
    s = Session(db)
    u = User(name="owner", addresses=[Address(email="one@x"), Address(email="two@x")])
    s.add(u)
    s.commit()
    first, _second = u.addresses
    sp = s.begin_nested()
    u.addresses.remove(first)  # delete-orphan
    added = Address(email="three@x")
    u.addresses.append(added)
    s.flush()
    assert inspect(first).deleted
    sp.rollback()
    assert inspect(first).persistent
    assert inspect(added).transient
    assert [a.email for a in u.addresses] == ["one@x", "two@x"]
    assert u.addresses[0] is first
    s.commit()
    s.close()


def test_savepoint_rollback_does_not_reload_untouched_objects(loaded, db, sql_log):
    s, users = loaded
    sp = s.begin_nested()
    users["keep"].name = "inner"
    s.delete(users["doomed"])
    s.add(User(name="added"))
    s.flush()
    sp.rollback()

    log = sql_log(db)
    untouched = users["untouched"]
    assert not inspect(untouched).expired_attributes
    assert untouched.name == "untouched"
    assert untouched.score == 10
    assert log.count("SELECT") == 0


def test_savepoint_rollback_undoes_rows_in_the_database(loaded, db):
    s, users = loaded
    sp = s.begin_nested()
    s.add(User(name="added"))
    s.delete(users["doomed"])
    users["keep"].name = "renamed"
    s.flush()
    assert count_in_transaction(s) == 3
    assert names_in_transaction(s) == ["added", "renamed", "untouched"]
    sp.rollback()
    # Same transaction, checked in the database itself.
    assert s.in_transaction()
    assert count_in_transaction(s) == 3
    assert names_in_transaction(s) == ["doomed", "keep", "untouched"]
    s.commit()
    assert committed_names(db) == ["doomed", "keep", "untouched"]


def test_savepoint_release_merges_into_outer_transaction_and_outer_rollback_undoes_it(loaded, db):
    s, users = loaded
    keep, doomed = users["keep"], users["doomed"]
    added = User(name="added")
    with s.begin_nested():
        s.add(added)
        s.delete(doomed)
        keep.name = "renamed"
    assert not s.in_nested_transaction()
    assert inspect(added).persistent
    assert inspect(doomed).detached or inspect(doomed).deleted
    assert names_in_transaction(s) == ["added", "renamed", "untouched"]

    s.rollback()
    assert inspect(added).transient
    assert inspect(doomed).persistent
    assert doomed in s
    assert keep.name == "keep"
    assert names_in_transaction(s) == ["doomed", "keep", "untouched"]
    assert committed_names(db) == ["doomed", "keep", "untouched"]


def test_three_nested_levels_with_the_middle_one_rolled_back(db):
    s = Session(db)
    a = User(name="a")
    s.add(a)
    level1 = s.begin_nested()
    b = User(name="b")
    s.add(b)
    level2 = s.begin_nested()
    c = User(name="c")
    s.add(c)
    a.score = 2
    level3 = s.begin_nested()
    d = User(name="d")
    s.add(d)
    b.score = 3
    assert s.get_nested_transaction() is level3
    level3.commit()
    assert s.get_nested_transaction() is level2
    assert names_in_transaction(s) == ["a", "b", "c", "d"]

    level2.rollback()  # undoes level 2 and the level 3 it contained
    assert s.get_nested_transaction() is level1
    assert inspect(c).transient and inspect(d).transient
    assert inspect(a).persistent and inspect(b).persistent
    assert a.score == 0
    assert b.score == 0
    assert names_in_transaction(s) == ["a", "b"]

    level1.commit()
    assert not s.in_nested_transaction()
    s.commit()
    assert committed_names(db) == ["a", "b"]
    s.close()


def test_three_nested_context_managers_with_the_middle_one_rolled_back(db):
    with Session(db) as s:
        with s.begin():
            s.add(User(name="outer"))
            with s.begin_nested():
                s.add(User(name="level1"))
                with pytest.raises(Boom):
                    with s.begin_nested():
                        s.add(User(name="level2"))
                        with s.begin_nested():
                            s.add(User(name="level3"))
                        assert names_in_transaction(s) == ["level1", "level2", "level3", "outer"]
                        raise Boom
                assert s.in_nested_transaction()
                assert names_in_transaction(s) == ["level1", "outer"]
                s.add(User(name="level1-after"))
    assert committed_names(db) == ["level1", "level1-after", "outer"]


# -- "insert, skip duplicates" ------------------------------------------------------------------
def test_duplicate_key_inside_savepoint_rolls_back_only_that_savepoint(db):
    seed(db, "dup")
    s = Session(db)
    outer = s.scalars(select(User).where(User.name == "dup")).one()
    outer.score = 5  # outer work, flushed by the first begin_nested()
    s.add(User(name="outer-row"))

    attempted = {}
    skipped = []
    for name in ["a", "dup", "b"]:
        attempted[name] = User(name=name)
        try:
            with s.begin_nested():
                s.add(attempted[name])
        except exc.IntegrityError:
            skipped.append(name)

    assert skipped == ["dup"]
    assert inspect(attempted["dup"]).transient
    assert inspect(attempted["a"]).persistent and inspect(attempted["b"]).persistent
    assert s.in_transaction() and not s.in_nested_transaction()
    s.commit()
    assert committed_names(db) == ["a", "b", "dup", "outer-row"]
    with db.connect() as conn:
        assert conn.execute(text("SELECT score FROM tx_users WHERE name = 'dup'")).scalar() == 5


def test_duplicate_key_flushed_explicitly_inside_savepoint_keeps_outer_work(db):
    seed(db, "dup")
    s = Session(db)
    s.add(User(name="outer-row"))
    s.flush()
    with pytest.raises(exc.IntegrityError):
        with s.begin_nested():
            s.add(User(name="dup"))
            s.flush()
    # Only the savepoint was rolled back: the outer row flushed before it is still there.
    assert s.is_active
    assert names_in_transaction(s) == ["dup", "outer-row"]
    s.add(User(name="after"))
    s.commit()
    assert committed_names(db) == ["after", "dup", "outer-row"]
    s.close()


# -- failed flush ---------------------------------------------------------------------------
@pytest.fixture
def failed(db):
    """A session whose flush just failed on a unique violation.

    "kept" was committed before; "flushed" was flushed in the failed transaction.
    """
    seed(db, "kept")
    s = Session(db)
    kept = s.scalars(select(User).where(User.name == "kept")).one()
    flushed = User(name="flushed")
    s.add(flushed)
    s.flush()
    duplicate = User(name="kept")
    s.add(duplicate)
    with pytest.raises(exc.IntegrityError) as info:
        s.flush()
    yield s, info.value, {"kept": kept, "flushed": flushed, "duplicate": duplicate}
    s.close()


def test_failed_flush_rolls_back_the_database_transaction(failed, db, backend):
    _session, _error, _objs = failed
    # The failed transaction's row (and its locks) must be gone: another connection can
    # insert the same unique name at once instead of waiting on it.
    with db.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("SET LOCAL lock_timeout = '3s'"))
        conn.execute(text("INSERT INTO tx_users (id, name, score) VALUES (1000, 'flushed', 0)"))
    assert committed_names(db) == ["flushed", "kept"]


def test_failed_flush_raises_pending_rollback_error_until_rollback(failed):
    s, error, objs = failed
    assert not s.is_active
    assert issubclass(exc.PendingRollbackError, exc.InvalidRequestError)

    with pytest.raises(exc.PendingRollbackError) as info:
        s.execute(select(User))
    message = str(info.value)
    assert "IntegrityError" in message or str(error.orig).splitlines()[0] in message
    assert "rollback" in message.lower()

    with pytest.raises(exc.PendingRollbackError):
        s.scalars(select(User.name)).all()
    with pytest.raises(exc.PendingRollbackError):
        s.get(User, 123456)
    with pytest.raises(exc.PendingRollbackError):
        s.connection()
    with pytest.raises(exc.PendingRollbackError):
        s.begin_nested()
    with pytest.raises(exc.PendingRollbackError):
        s.refresh(objs["kept"])
    with pytest.raises(exc.PendingRollbackError):
        s.add(User(name="later"))
        s.flush()
    with pytest.raises(exc.PendingRollbackError):
        s.commit()
    # Still refusing: the state lasts until rollback(), not just for one call.
    with pytest.raises(exc.PendingRollbackError):
        s.execute(select(User))


def test_rollback_after_failed_flush_recovers_and_loses_nothing_committed(failed, db):
    s, _error, objs = failed
    s.rollback()
    assert s.is_active
    assert inspect(objs["flushed"]).transient
    assert inspect(objs["duplicate"]).transient
    assert inspect(objs["kept"]).persistent
    assert objs["kept"].name == "kept"
    assert committed_names(db) == ["kept"]

    s.add(User(name="after"))
    s.commit()
    assert committed_names(db) == ["after", "kept"]
    assert names_in_transaction(s) == ["after", "kept"]
