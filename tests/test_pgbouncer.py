"""uow_orm behind PgBouncer in transaction pooling mode: the core unit-of-work cases run
through a real PgBouncer (tests/pgbouncer.py) whose two server connections are shared by
all clients, so nothing may rely on a server connection keeping state between transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pgbouncer import PgBouncer
from pgserver import PgServer

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    create_engine,
    declarative_base,
    relationship,
    run_transaction,
    select,
    selectinload,
    sessionmaker,
    text,
)

Base = declarative_base()


class Parent(Base):
    __tablename__ = "parents"
    id = Column(Integer, primary_key=True)
    name = Column(String(40), nullable=False)
    children = relationship("Child", back_populates="parent", cascade="all, delete-orphan")


class Child(Base):
    __tablename__ = "children"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parents.id"), nullable=False)
    n = Column(Integer, nullable=False)
    parent = relationship("Parent", back_populates="children")


@pytest.fixture(scope="module")
def bouncer(pg_server: PgServer) -> Iterator[PgBouncer]:
    running = PgBouncer(pg_server, pool_size=2).start()
    yield running
    running.stop()


@pytest.fixture
def engine(pg_url: str, bouncer: PgBouncer) -> Iterator[Any]:
    dbname = pg_url.rsplit("/", 1)[1]
    # prepare_threshold=None: no server-side prepared statements, which a transaction
    # pooler cannot keep for a client (the documented setting for PgBouncer < 1.21).
    eng = create_engine(
        bouncer.url(dbname), connect_args={"prepare_threshold": None}, pool_pre_ping=True
    )
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _server_pid(session: Session) -> int:
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar())


def test_unit_of_work_through_transaction_pooling(engine: Any) -> None:
    with Session(engine) as s:
        s.add_all(
            [Parent(name=f"p{i}", children=[Child(n=j) for j in range(3)]) for i in range(20)]
        )
        s.commit()
    # The same statement many times over: psycopg would prepare it after 5 runs.
    for i in range(1, 21):
        with Session(engine) as s:
            parent = s.get(Parent, i)
            assert parent is not None and len(parent.children) == 3
            parent.name = f"q{i}"
            s.commit()
    with Session(engine) as s:
        parents = s.scalars(select(Parent).options(selectinload(Parent.children))).all()
        assert sorted(p.name for p in parents) == sorted(f"q{i}" for i in range(1, 21))
        s.delete(parents[0])
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM parents")).scalar() == 19
        assert conn.execute(text("SELECT count(*) FROM children")).scalar() == 57


def test_savepoint_rollback_through_the_pooler(engine: Any) -> None:
    with Session(engine) as s:
        s.add(Parent(id=1, name="kept"))
        s.flush()
        with s.begin_nested():
            s.add(Parent(id=2, name="gone"))
            s.flush()
            s.get(Parent, 1).name = "changed"
            s.flush()
            nested = s.get_nested_transaction()
            assert nested is not None
            nested.rollback()
        assert s.get(Parent, 1).name == "kept"
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, name FROM parents")).all() == [(1, "kept")]


def test_no_session_state_is_assumed_between_transactions(
    engine: Any, bouncer: PgBouncer, pg_url: str
) -> None:
    """Two engines with different isolation levels share PgBouncer's two server
    connections: each transaction still runs at its own engine's level, because uow_orm
    sets it per transaction (BEGIN ISOLATION LEVEL ...), never per connection."""
    dbname = pg_url.rsplit("/", 1)[1]
    serializable = create_engine(
        bouncer.url(dbname),
        connect_args={"prepare_threshold": None},
        isolation_level="SERIALIZABLE",
    )
    seen_pids: set[int] = set()
    for _ in range(6):
        with Session(serializable) as s:
            assert s.execute(text("SHOW transaction_isolation")).scalar() == "serializable"
            seen_pids.add(_server_pid(s))
        with Session(engine) as s:
            assert s.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
            seen_pids.add(_server_pid(s))
    assert len(seen_pids) <= 2  # the pooler really shared its server connections
    serializable.dispose()


def test_concurrent_sessions_share_two_server_connections(engine: Any) -> None:
    factory = sessionmaker(engine)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            for j in range(10):
                run_transaction(factory, lambda s, k=k, j=j: s.add(Parent(name=f"w{k}-{j}")))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM parents")).scalar() == 60


def test_pre_ping_replaces_a_connection_the_pooler_dropped(engine: Any, bouncer: PgBouncer) -> None:
    with Session(engine) as s:
        s.add(Parent(id=1, name="a"))
        s.commit()
    # Restart PgBouncer: every client connection in uow_orm's pool is now dead.
    bouncer.restart()
    with Session(engine) as s:
        assert s.get(Parent, 1).name == "a"
