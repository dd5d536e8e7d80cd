"""Binds (one session over two engines) and two-phase commit.

Routing by ``binds=``, ``bind_mapper``, ``bind_table`` and ``get_bind`` runs on both backends
(two SQLite files, or two PostgreSQL databases). Two-phase commit runs on PostgreSQL: two
databases of the test server (started with max_prepared_transactions > 0); on SQLite,
``twophase=True`` must fail with a clear ``NotSupportedError``.
"""

from __future__ import annotations

import os

import pytest

from uow_orm import (
    Column,
    Integer,
    Session,
    String,
    create_engine,
    declarative_base,
    exc,
    select,
    text,
)

Base = declarative_base()

requires_postgresql = pytest.mark.skipif(
    "postgresql" not in os.environ.get("UOW_TEST_BACKENDS", "sqlite,postgresql").lower(),
    reason="PostgreSQL deselected by UOW_TEST_BACKENDS",
)


class Account(Base):
    __tablename__ = "tp_accounts"

    id = Column(Integer, primary_key=True, autoincrement=False)
    name = Column(String(50), nullable=False)


class Entry(Base):
    __tablename__ = "tp_entries"

    id = Column(Integer, primary_key=True, autoincrement=False)
    code = Column(String(50), nullable=False)


def column_values(engine, table: str, column: str) -> list:
    """Committed values of one column, read on a connection of its own."""
    with engine.connect() as conn:
        return sorted(conn.execute(text(f"SELECT {column} FROM {table}")).scalars().all())


def accounts(engine) -> list[str]:
    return column_values(engine, "tp_accounts", "name")


def entries(engine) -> list[str]:
    return column_values(engine, "tp_entries", "code")


def _rollback_leftover_prepared(url: str) -> None:
    # A prepared transaction outlives its connection and blocks DROP DATABASE; a failing
    # test must not leave one behind for the rest of the run.
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        gids = conn.execute(
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
        ).fetchall()
        for (gid,) in gids:
            conn.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))


@pytest.fixture
def two_engines(backend, tmp_path, request):
    """Two engines on two separate databases of the current backend, both with the tables."""
    if backend == "sqlite":
        urls = [f"sqlite:///{tmp_path / 'one.sqlite'}", f"sqlite:///{tmp_path / 'two.sqlite'}"]
    else:
        server = request.getfixturevalue("pg_server")
        urls = [server.create_database(), server.create_database()]
    engines = [create_engine(url) for url in urls]
    for engine in engines:
        Base.metadata.create_all(engine)
    yield engines
    for engine in engines:
        engine.dispose()
    if backend == "postgresql":
        for url in urls:
            server.drop_database(url)


@pytest.fixture
def pg_pair(pg_server):
    """Two engines on two fresh PostgreSQL databases, both with the tables."""
    urls = [pg_server.create_database(), pg_server.create_database()]
    engines = [create_engine(url) for url in urls]
    for engine in engines:
        Base.metadata.create_all(engine)
    yield engines
    for engine in engines:
        engine.dispose()
    for url in urls:
        _rollback_leftover_prepared(url)
        pg_server.drop_database(url)


def prepared_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()")
        ).scalar()


# -- binds ----------------------------------------------------------------------------------
def test_binds_route_each_class_to_its_engine(two_engines):
    first, second = two_engines
    with Session(binds={Account: first, Entry: second}) as s:
        assert s.get_bind(Account) is first
        assert s.get_bind(Entry) is second
        s.add_all([Account(id=1, name="alice"), Entry(id=1, code="deposit")])
        s.commit()

    assert accounts(first) == ["alice"] and entries(first) == []
    assert entries(second) == ["deposit"] and accounts(second) == []

    with Session(binds={Account: first, Entry: second}) as s:
        assert [a.name for a in s.scalars(select(Account)).all()] == ["alice"]
        assert [e.code for e in s.scalars(select(Entry)).all()] == ["deposit"]
        assert s.get(Entry, 1).code == "deposit"


def test_bind_mapper_and_bind_table_route_each_class(two_engines):
    first, second = two_engines
    with Session() as s:
        s.bind_mapper(Account, second)
        s.bind_table(Base.metadata.tables["tp_entries"], first)
        assert s.get_bind(Account) is second
        assert s.get_bind(Entry) is first
        s.add_all([Account(id=1, name="bob"), Entry(id=1, code="withdrawal")])
        s.commit()
        assert s.scalars(select(Account.name)).all() == ["bob"]

    assert accounts(second) == ["bob"] and accounts(first) == []
    assert entries(first) == ["withdrawal"] and entries(second) == []


def test_session_bind_is_the_default_for_classes_without_their_own(two_engines):
    first, second = two_engines
    with Session(bind=first, binds={Entry: second}) as s:
        assert s.get_bind() is first
        assert s.get_bind(Account) is first
        assert s.get_bind(Entry) is second
        s.add_all([Account(id=1, name="carol"), Entry(id=1, code="fee")])
        s.commit()
    assert accounts(first) == ["carol"] and accounts(second) == []
    assert entries(second) == ["fee"] and entries(first) == []


def test_rollback_over_two_engines_undoes_both(two_engines):
    first, second = two_engines
    with Session(binds={Account: first, Entry: second}) as s:
        s.add_all([Account(id=1, name="alice"), Entry(id=1, code="deposit")])
        s.flush()
        s.rollback()
    assert accounts(first) == [] and entries(second) == []


# -- two-phase commit (PostgreSQL) ------------------------------------------------------------
@requires_postgresql
def test_twophase_prepare_then_commit_commits_both_databases(pg_pair):
    first, second = pg_pair
    s = Session(binds={Account: first, Entry: second}, twophase=True)
    s.add_all([Account(id=1, name="alice"), Entry(id=1, code="deposit")])
    s.prepare()
    # Prepared in both databases, visible in neither yet.
    assert prepared_count(first) == 1
    assert prepared_count(second) == 1
    assert accounts(first) == [] and entries(second) == []

    s.commit()
    assert prepared_count(first) == 0 and prepared_count(second) == 0
    assert accounts(first) == ["alice"] and entries(second) == ["deposit"]
    assert accounts(second) == [] and entries(first) == []
    s.close()


@requires_postgresql
def test_twophase_commit_without_explicit_prepare_commits_both_databases(pg_pair):
    first, second = pg_pair
    with Session(binds={Account: first, Entry: second}, twophase=True) as s:
        s.add_all([Account(id=1, name="alice"), Entry(id=1, code="deposit")])
        s.commit()
        s.add(Account(id=2, name="bob"))
        s.commit()
    assert prepared_count(first) == 0 and prepared_count(second) == 0
    assert accounts(first) == ["alice", "bob"] and entries(second) == ["deposit"]


@requires_postgresql
def test_twophase_failure_at_flush_leaves_neither_database_changed(pg_pair):
    first, second = pg_pair
    with second.begin() as conn:
        conn.execute(text("INSERT INTO tp_entries (id, code) VALUES (1, 'existing')"))

    s = Session(binds={Account: first, Entry: second}, twophase=True)
    s.add(Account(id=1, name="alice"))
    s.flush()  # the first database has work in this transaction
    s.add(Entry(id=1, code="clash"))  # primary key already taken in the second
    with pytest.raises(exc.IntegrityError):
        s.commit()
    s.rollback()
    s.close()

    assert accounts(first) == []
    assert entries(second) == ["existing"]
    assert prepared_count(first) == 0 and prepared_count(second) == 0


@requires_postgresql
@pytest.mark.parametrize("failing", ["first", "second"])
def test_twophase_failure_at_prepare_leaves_neither_database_changed(pg_pair, failing):
    first, second = pg_pair
    # A deferred unique constraint is checked only when the transaction is prepared, so the
    # flush succeeds in both databases and PREPARE TRANSACTION fails in one of them. Which
    # database fails is varied, so that whichever order the session prepares in, one run
    # has to roll back a transaction that was already prepared.
    table, column = ("tp_accounts", "name") if failing == "first" else ("tp_entries", "code")
    engine = first if failing == "first" else second
    with engine.begin() as conn:
        conn.execute(
            text(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_uniq UNIQUE ({column}) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        )
        conn.execute(text(f"INSERT INTO {table} (id, {column}) VALUES (100, 'taken')"))

    s = Session(binds={Account: first, Entry: second}, twophase=True)
    s.add_all([Account(id=1, name="alice"), Entry(id=1, code="deposit")])
    s.add(Account(id=2, name="taken") if failing == "first" else Entry(id=2, code="taken"))
    s.flush()
    with pytest.raises(exc.IntegrityError):
        s.prepare()
    s.rollback()
    s.close()

    assert prepared_count(first) == 0 and prepared_count(second) == 0
    assert accounts(first) == (["taken"] if failing == "first" else [])
    assert entries(second) == (["taken"] if failing == "second" else [])


def test_twophase_on_sqlite_raises_not_supported_error_at_commit(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'twophase.sqlite'}")
    Base.metadata.create_all(engine)
    s = None
    try:
        with pytest.raises(exc.NotSupportedError) as info:
            s = Session(engine, twophase=True)
            s.add(Account(id=1, name="alice"))
            s.commit()
        message = str(info.value).lower()
        assert "sqlite" in message
        assert "two-phase" in message or "twophase" in message
        if s is not None:
            s.rollback()
            s.close()
        assert accounts(engine) == []
    finally:
        engine.dispose()


def test_twophase_on_sqlite_raises_not_supported_error_at_prepare(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'twophase.sqlite'}")
    Base.metadata.create_all(engine)
    s = None
    try:
        with pytest.raises(exc.NotSupportedError) as info:
            s = Session(engine, twophase=True)
            s.add(Account(id=1, name="alice"))
            s.prepare()
        message = str(info.value).lower()
        assert "two-phase" in message or "twophase" in message
        if s is not None:
            s.close()
        assert accounts(engine) == []
    finally:
        engine.dispose()
