"""insert / update / delete statements through Session.execute, which must keep the
objects already in the session truthful, and the batched bulk_* methods.

Every test runs on SQLite and PostgreSQL. Committed results are read back on a separate
connection; batching is pinned by counting statements with ``sql_log`` (an executemany
call counts as one statement).
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
    delete,
    func,
    identity_key,
    insert,
    inspect,
    select,
    text,
    update,
)

Base = declarative_base()


class User(Base):
    __tablename__ = "bulk_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    age = Column(Integer, nullable=False)


class Address(Base):
    __tablename__ = "bulk_addresses"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("bulk_users.id"), nullable=False)
    email = Column(String(100), nullable=False)


SEED = {"ann": 20, "ben": 30, "cat": 40, "dan": 50}  # ben and dan have an address


@pytest.fixture
def session(db):
    with Session(db) as s:
        users = {name: User(name=name, age=age) for name, age in SEED.items()}
        s.add_all(users.values())
        s.flush()
        s.add_all(
            [
                Address(user_id=users["ben"].id, email="ben@example.com"),
                Address(user_id=users["dan"].id, email="dan@example.com"),
            ]
        )
        s.commit()
    with Session(db) as s:
        yield s


@pytest.fixture
def loaded(session):
    """Every user loaded into the session, by name."""
    return {u.name: u for u in session.scalars(select(User)).all()}


def committed(engine, sql):
    """Rows of a query run on a separate connection (sees only committed data)."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql)).all()]


def ages(engine):
    return dict(committed(engine, "SELECT name, age FROM bulk_users"))


# -- insert -------------------------------------------------------------------------------
def test_insert_values_through_session_execute_adds_the_row(db, session):
    session.execute(insert(User).values(name="eve", age=60))
    eve = session.scalars(select(User).where(User.name == "eve")).one()
    assert eve.age == 60
    assert inspect(eve).persistent
    session.commit()
    assert ages(db) == {**SEED, "eve": 60}


def test_insert_values_with_several_rows(db, session):
    session.execute(insert(User).values([{"name": "eve", "age": 60}, {"name": "fay", "age": 70}]))
    session.commit()
    assert ages(db) == {**SEED, "eve": 60, "fay": 70}


# -- update -------------------------------------------------------------------------------
def test_update_brings_loaded_objects_in_line(db, session, loaded):
    session.execute(update(User).where(User.age < 35).values(age=99))
    assert loaded["ann"].age == 99
    assert loaded["ben"].age == 99
    assert loaded["cat"].age == 40
    assert loaded["dan"].age == 50
    session.commit()
    assert ages(db) == {"ann": 99, "ben": 99, "cat": 40, "dan": 50}


def test_update_with_expression_value_brings_loaded_objects_in_line(db, session, loaded):
    session.execute(update(User).where(User.age >= 30).values(age=User.age + 1))
    assert {name: u.age for name, u in loaded.items()} == {
        "ann": 20,
        "ben": 31,
        "cat": 41,
        "dan": 51,
    }
    session.commit()
    assert ages(db) == {"ann": 20, "ben": 31, "cat": 41, "dan": 51}


def test_update_with_sql_function_value_brings_loaded_objects_in_line(session, loaded):
    session.execute(update(User).where(User.age > 35).values(name=func.upper(User.name)))
    assert sorted(u.name for u in loaded.values()) == ["CAT", "DAN", "ann", "ben"]


def test_update_with_subquery_criteria_brings_loaded_objects_in_line(db, session, loaded):
    session.execute(update(User).where(User.id.in_(select(Address.user_id))).values(age=0))
    assert {name: u.age for name, u in loaded.items()} == {
        "ann": 20,
        "ben": 0,
        "cat": 40,
        "dan": 0,
    }
    session.commit()
    assert ages(db) == {"ann": 20, "ben": 0, "cat": 40, "dan": 0}


def test_update_leaves_the_same_objects_in_the_identity_map(session, loaded):
    session.execute(update(User).where(User.name == "ann").values(age=21))
    again = session.scalars(select(User).where(User.name == "ann")).one()
    assert again is loaded["ann"]
    assert again.age == 21


def test_update_of_rows_not_loaded_is_seen_by_later_queries(session):
    session.execute(update(User).where(User.name == "cat").values(age=44))
    assert session.scalars(select(User.age).where(User.name == "cat")).one() == 44
    assert session.scalars(select(User).where(User.name == "cat")).one().age == 44


# -- delete -------------------------------------------------------------------------------
def test_delete_removes_matching_objects_from_the_session(db, session, loaded):
    cat = loaded["cat"]
    cat_id = cat.id
    session.execute(delete(User).where(User.name == "cat"))
    assert cat not in session
    assert identity_key(User, cat_id) not in session.identity_map
    assert session.get(User, cat_id) is None
    assert all(loaded[name] in session for name in ("ann", "ben", "dan"))
    assert sorted(u.name for u in session.scalars(select(User)).all()) == ["ann", "ben", "dan"]
    session.commit()
    assert inspect(cat).detached
    assert ages(db) == {"ann": 20, "ben": 30, "dan": 50}


def test_delete_with_subquery_criteria_removes_matching_objects(db, session, loaded):
    ids = {name: u.id for name, u in loaded.items()}
    session.execute(delete(User).where(User.id.not_in(select(Address.user_id))))
    assert loaded["ann"] not in session and loaded["cat"] not in session
    assert loaded["ben"] in session and loaded["dan"] in session
    assert identity_key(User, ids["ann"]) not in session.identity_map
    assert session.get(User, ids["cat"]) is None
    session.commit()
    assert ages(db) == {"ben": 30, "dan": 50}


# -- bulk_* methods -----------------------------------------------------------------------
def test_bulk_insert_mappings_is_batched(db, session, sql_log):
    mappings = [{"name": f"u{i:03d}", "age": i} for i in range(100)]
    log = sql_log(db)
    session.bulk_insert_mappings(User, mappings)
    assert 1 <= log.count("INSERT") <= 2
    session.commit()
    stored = ages(db)
    assert len(stored) == 104
    assert all(stored[m["name"]] == m["age"] for m in mappings)


def test_bulk_insert_mappings_return_defaults_fills_in_primary_keys(db, session, backend, sql_log):
    mappings = [{"name": f"u{i:03d}", "age": i} for i in range(50)]
    log = sql_log(db)
    session.bulk_insert_mappings(User, mappings, return_defaults=True)
    if backend == "postgresql":
        # INSERT .. RETURNING in batches; SQLite does not promise RETURNING row order for a
        # multi-row INSERT, so there (as in SQLAlchemy) one statement per row is acceptable.
        assert 1 <= log.count("INSERT") <= 2
    assert all(isinstance(m["id"], int) for m in mappings)
    assert len({m["id"] for m in mappings}) == 50
    session.commit()
    by_name = dict(committed(db, "SELECT name, id FROM bulk_users"))
    assert all(by_name[m["name"]] == m["id"] for m in mappings)


def test_bulk_save_objects_inserts_new_objects_in_batches(db, session, sql_log):
    users = [User(name=f"u{i:03d}", age=i) for i in range(100)]
    log = sql_log(db)
    session.bulk_save_objects(users)
    assert 1 <= log.count("INSERT") <= 2
    session.commit()
    stored = ages(db)
    assert len(stored) == 104
    assert all(stored[f"u{i:03d}"] == i for i in range(100))


def test_bulk_save_objects_updates_changed_objects_in_batches(db, session, sql_log):
    with Session(db) as s:
        s.add_all([User(name=f"u{i:03d}", age=i) for i in range(100)])
        s.commit()
    users = session.scalars(select(User).where(User.name.like("u%"))).all()
    for u in users:
        u.age += 1000
    log = sql_log(db)
    session.bulk_save_objects(users)
    assert 1 <= log.count("UPDATE") <= 2
    assert log.count("INSERT") == 0
    session.commit()
    stored = ages(db)
    assert all(stored[f"u{i:03d}"] == i + 1000 for i in range(100))
    assert all(stored[name] == age for name, age in SEED.items())


def test_bulk_update_mappings_is_batched(db, session, sql_log):
    with Session(db) as s:
        s.add_all([User(name=f"u{i:03d}", age=i) for i in range(100)])
        s.commit()
    ids = dict(committed(db, "SELECT name, id FROM bulk_users"))
    mappings = [{"id": ids[f"u{i:03d}"], "age": -i} for i in range(100)]
    log = sql_log(db)
    session.bulk_update_mappings(User, mappings)
    assert 1 <= log.count("UPDATE") <= 2
    session.commit()
    stored = ages(db)
    assert all(stored[f"u{i:03d}"] == -i for i in range(100))
    assert all(stored[name] == age for name, age in SEED.items())
