"""Session core: object states, new/dirty/deleted, identity map, get, merge, expunge, misuse.

Every test runs on SQLite and PostgreSQL.
"""

import gc

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    Integer,
    Session,
    String,
    declarative_base,
    exc,
    identity_key,
    inspect,
    select,
    text,
)

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    fullname = Column(String(100))


class NotMapped:
    def __init__(self, name="x"):
        self.name = name


def seed(engine, *names) -> list[int]:
    with Session(engine) as s:
        users = [User(name=n) for n in names]
        s.add_all(users)
        s.flush()
        ids = [u.id for u in users]
        s.commit()
    return ids


# -- object states -------------------------------------------------------------------------------


def test_states_through_add_flush_commit_close(db):
    u = User(name="ann")
    st = inspect(u)
    assert st.transient
    assert (st.pending, st.persistent, st.detached, st.deleted) == (False,) * 4

    s = Session(db)
    s.add(u)
    assert st.pending and not st.transient
    assert st.session is s

    s.flush()
    assert st.persistent and not st.pending
    uid = u.id
    assert uid is not None
    assert st.identity == (uid,)

    s.commit()
    assert st.persistent
    assert st.session is s

    s.close()
    assert st.detached and not st.persistent
    assert st.session is None
    assert st.identity == (uid,)


def test_states_through_delete_flush_commit(db):
    [uid] = seed(db, "ann")
    s = Session(db)
    u = s.get(User, uid)
    st = inspect(u)
    s.delete(u)
    assert st.persistent and not st.deleted  # marked, not yet flushed
    assert u in s.deleted
    s.flush()
    assert st.deleted and not st.persistent
    s.commit()
    assert st.detached and not st.deleted
    s.close()
    assert fetch(db, "SELECT count(*) FROM users") == [(0,)]


def test_session_context_manager_closes_and_detaches(db):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        assert inspect(u).persistent
    assert inspect(u).detached
    assert u.name == "ann"  # loaded attributes stay readable


def test_commit_expires_attributes_and_next_access_reloads(db, sql_log):
    with Session(db) as s:
        u = User(name="ann")
        s.add(u)
        s.commit()
        assert "name" in inspect(u).expired_attributes
        log = sql_log(db)
        assert u.name == "ann"
        assert log.count("SELECT") == 1


def test_change_to_an_expired_attribute_after_commit_is_flushed(db):
    with Session(db) as s:
        u = User(name="ann")
        s.add(u)
        s.commit()  # expires u
        u.name = "bob"  # set without loading first
        assert u in s.dirty
        s.commit()
        assert u.name == "bob"
    assert fetch(db, "SELECT name FROM users") == [("bob",)]


def test_expire_on_commit_false_keeps_loaded_values(db, sql_log):
    with Session(db, expire_on_commit=False) as s:
        u = User(name="ann")
        s.add(u)
        s.commit()
        log = sql_log(db)
        assert u.name == "ann"
        assert log.sql == []


# -- new / dirty / deleted, membership -----------------------------------------------------------


def test_new_dirty_deleted_collections_track_pending_work(db):
    a_id, b_id = seed(db, "a", "b")
    s = Session(db)
    a, b = s.get(User, a_id), s.get(User, b_id)
    c = User(name="c")
    assert len(s.new) == len(s.dirty) == len(s.deleted) == 0

    s.add(c)
    a.name = "a2"
    s.delete(b)

    assert c in s.new and len(s.new) == 1 and list(s.new) == [c]
    assert a in s.dirty and len(s.dirty) == 1 and list(s.dirty) == [a]
    assert b in s.deleted and len(s.deleted) == 1 and list(s.deleted) == [b]
    assert a not in s.new and c not in s.dirty and a not in s.deleted

    s.flush()
    assert len(s.new) == len(s.dirty) == len(s.deleted) == 0
    s.commit()
    s.close()
    assert fetch(db, "SELECT name FROM users ORDER BY name") == [("a2",), ("c",)]


def test_obj_in_session_follows_membership(db):
    s = Session(db)
    u = User(name="ann")
    assert u not in s
    s.add(u)
    assert u in s
    s.flush()
    assert u in s
    s.commit()
    assert u in s
    s.expunge(u)
    assert u not in s
    other = Session(db)
    assert u not in other
    s.close()
    other.close()


def test_add_all_adds_every_object(db):
    with Session(db) as s:
        users = [User(name=f"u{i}") for i in range(5)]
        s.add_all(users)
        assert all(u in s.new for u in users)
        s.commit()
    assert fetch(db, "SELECT count(*) FROM users") == [(5,)]


def test_autoflush_makes_pending_objects_visible_to_queries(db):
    with Session(db) as s:
        u = User(name="auto")
        s.add(u)
        found = s.scalars(select(User).where(User.name == "auto")).one()
        assert found is u
        assert inspect(u).persistent


def test_select_where_order_by_limit_and_scalar(db):
    seed(db, "carol", "ann", "bob", "dave")
    with Session(db) as s:
        names = [u.name for u in s.scalars(select(User).order_by(User.name).limit(2))]
        assert names == ["ann", "bob"]
        assert s.scalar(select(User.name).where(User.name > "c").order_by(User.name)) == "carol"
        rows = s.execute(select(User.id, User.name).where(User.name != "ann")).all()
        assert sorted(r.name for r in rows) == ["bob", "carol", "dave"]


# -- identity map --------------------------------------------------------------------------------


def test_identity_map_holds_one_object_per_row(db):
    ids = seed(db, "ann", "bob")
    with Session(db) as s:
        ann = s.get(User, ids[0])
        assert s.get(User, ids[0]) is ann
        assert s.scalars(select(User).where(User.id == ids[0])).one() is ann
        everyone = s.scalars(select(User).order_by(User.id)).all()
        assert everyone[0] is ann
        assert s.scalars(select(User).where(User.name == "bob")).one() is everyone[1]
        assert s.identity_map[identity_key(User, ids[0])] is ann
        assert len(s.identity_map) == 2


def test_get_identity_map_hit_emits_no_sql(db, sql_log):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        log = sql_log(db)
        assert s.get(User, uid) is u
        assert s.get(User, (uid,)) is u
        assert log.sql == []


def test_get_of_a_missing_row_returns_none(db, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        assert s.get(User, 987654) is None
        assert log.count("SELECT") == 1


def test_query_does_not_overwrite_unflushed_changes(db):
    [uid] = seed(db, "original")
    with Session(db) as s:
        u = s.get(User, uid)
        u.name = "unflushed"
        with s.no_autoflush:
            again = s.scalars(select(User).where(User.id == uid)).one()
            assert again is u
            assert u.name == "unflushed"
            assert u in s.dirty
        s.commit()
    assert fetch(db, "SELECT name FROM users") == [("unflushed",)]


def test_query_does_not_refresh_loaded_attributes_from_the_row(db):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        assert u.fullname is None
        s.execute(text("UPDATE users SET fullname = 'from db' WHERE id = :id"), {"id": uid})
        assert s.scalars(select(User).where(User.id == uid)).one() is u
        assert u.fullname is None
        assert not s.is_modified(u)


def test_get_with_populate_existing_reloads_the_row(db, sql_log):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        s.execute(text("UPDATE users SET fullname = 'from db' WHERE id = :id"), {"id": uid})
        assert s.get(User, uid) is u
        assert u.fullname is None
        log = sql_log(db)
        assert s.get(User, uid, populate_existing=True) is u
        assert log.count("SELECT") == 1
        assert u.fullname == "from db"


def test_populate_existing_discards_unflushed_changes(db):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        u.name = "local edit"
        with s.no_autoflush:
            assert s.get(User, uid, populate_existing=True) is u
        assert u.name == "ann"
        assert not s.is_modified(u)


def test_identity_key_matches_inspect_and_indexes_the_identity_map(db):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        key = identity_key(User, uid)
        assert key == identity_key(User, (uid,))
        assert key == inspect(u).identity_key
        assert key in s.identity_map
        assert s.identity_map[key] is u
        assert identity_key(User, uid + 1000) not in s.identity_map


def _load_all(s):
    return len(s.scalars(select(User)).all())


def test_identity_map_releases_clean_unreferenced_objects(db):
    ids = seed(db, *[f"u{i}" for i in range(5)])
    s = Session(db)
    assert _load_all(s) == 5
    gc.collect()
    assert len(s.identity_map) == 0
    for uid in ids:
        assert identity_key(User, uid) not in s.identity_map
    # they load again on demand
    assert s.get(User, ids[0]).name == "u0"
    s.close()


def _touch(s, keep_id, drop_id, gone_id):
    keep, drop, gone = s.get(User, keep_id), s.get(User, drop_id), s.get(User, gone_id)
    keep.name = "modified"
    assert drop.name == "drop"  # loaded, read, never changed: clean
    s.delete(gone)
    s.add(User(name="fresh"))


def test_identity_map_keeps_modified_new_and_deleted_objects(db, sql_log):
    keep_id, drop_id, gone_id = seed(db, "keep", "drop", "gone")
    s = Session(db)
    _touch(s, keep_id, drop_id, gone_id)
    gc.collect()

    assert identity_key(User, keep_id) in s.identity_map
    assert identity_key(User, drop_id) not in s.identity_map
    assert len(s.new) == 1 and len(s.dirty) == 1 and len(s.deleted) == 1
    log = sql_log(db)
    assert s.get(User, keep_id).name == "modified"
    assert log.sql == []

    s.commit()
    s.close()
    assert fetch(db, "SELECT name FROM users ORDER BY name") == [
        ("drop",),
        ("fresh",),
        ("modified",),
    ]


# -- expunge -------------------------------------------------------------------------------------


def test_expunge_detaches_one_object(db, sql_log):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        s.expunge(u)
        assert u not in s
        assert inspect(u).detached
        assert identity_key(User, uid) not in s.identity_map
        log = sql_log(db)
        again = s.get(User, uid)
        assert log.count("SELECT") == 1
        assert again is not u


def test_expunge_of_a_pending_object_makes_it_transient(db):
    with Session(db) as s:
        u = User(name="never")
        s.add(u)
        s.expunge(u)
        assert inspect(u).transient
        assert u not in s.new
        s.commit()
    assert fetch(db, "SELECT count(*) FROM users") == [(0,)]


def test_expunge_all_empties_the_session(db):
    ids = seed(db, "a", "b")
    with Session(db) as s:
        loaded = [s.get(User, i) for i in ids]
        fresh = User(name="c")
        s.add(fresh)
        loaded[0].name = "changed"
        s.expunge_all()
        assert len(s.identity_map) == 0
        assert len(s.new) == len(s.dirty) == len(s.deleted) == 0
        assert all(inspect(u).detached for u in loaded)
        assert inspect(fresh).transient
        s.commit()
    assert fetch(db, "SELECT name FROM users ORDER BY name") == [("a",), ("b",)]


# -- merge ---------------------------------------------------------------------------------------


def test_merge_of_a_detached_object_copies_its_state_into_the_session(db):
    [uid] = seed(db, "ann")
    with Session(db) as first:
        u = first.get(User, uid)
    u.name = "edited offline"

    with Session(db) as s:
        m = s.merge(u)
        assert m is not u
        assert m in s and u not in s
        assert inspect(u).detached
        assert inspect(m).persistent
        assert m.name == "edited offline"
        assert s.is_modified(m)
        s.commit()
    assert fetch(db, "SELECT name FROM users") == [("edited offline",)]


def test_merge_returns_the_object_already_in_the_identity_map(db):
    [uid] = seed(db, "ann")
    with Session(db) as first:
        u = first.get(User, uid)
    u.fullname = "Ann Smith"
    with Session(db) as s:
        existing = s.get(User, uid)
        assert s.merge(u) is existing
        assert existing.fullname == "Ann Smith"
        s.commit()
    assert fetch(db, "SELECT fullname FROM users") == [("Ann Smith",)]


def test_merge_of_an_unknown_key_creates_a_pending_object(db):
    ghost = User(id=4242, name="ghost")
    with Session(db) as s:
        m = s.merge(ghost)
        assert m is not ghost
        assert inspect(m).pending
        assert m in s.new
        assert inspect(ghost).transient
        s.commit()
    assert fetch(db, "SELECT id, name FROM users") == [(4242, "ghost")]


# -- is_modified ---------------------------------------------------------------------------------


def test_is_modified_compares_with_the_loaded_value(db):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        u = s.get(User, uid)
        assert not s.is_modified(u)
        u.name = "ann"
        assert not s.is_modified(u)
        u.name = "bob"
        assert s.is_modified(u)
        u.name = "ann"
        assert not s.is_modified(u)
        u.fullname = "Ann"
        assert s.is_modified(u)
        s.flush()
        assert not s.is_modified(u)


# -- misuse --------------------------------------------------------------------------------------


def test_adding_an_unmapped_object_raises_unmapped_instance_error(db):
    with Session(db) as s:
        with pytest.raises(exc.UnmappedInstanceError):
            s.add(NotMapped())
        with pytest.raises(exc.UnmappedInstanceError):
            s.add(object())
        with pytest.raises(exc.UnmappedInstanceError):
            s.delete(NotMapped())
        assert len(s.new) == 0


def test_second_new_object_with_an_existing_identity_is_rejected(db):
    [uid] = seed(db, "ann")
    with Session(db) as s:
        original = s.get(User, uid)
        with pytest.raises((exc.FlushError, exc.InvalidRequestError)):
            s.add(User(id=uid, name="impostor"))
            s.flush()
        s.rollback()
        assert original.name == "ann"
    assert fetch(db, "SELECT id, name FROM users") == [(uid, "ann")]


def test_adding_a_detached_copy_of_a_row_already_in_the_session_is_rejected(db):
    [uid] = seed(db, "ann")
    with Session(db) as first:
        stale = first.get(User, uid)
    with Session(db) as s:
        current = s.get(User, uid)
        with pytest.raises((exc.InvalidRequestError, exc.FlushError)):
            s.add(stale)
            s.flush()
        s.rollback()
        assert s.get(User, uid) is current


def test_delete_of_a_transient_object_raises_invalid_request_error(db):
    with Session(db) as s:
        with pytest.raises(exc.InvalidRequestError):
            s.delete(User(name="never saved"))
