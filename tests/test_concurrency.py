"""Bounded load test: many threads, each with its own sessions, on a small shared pool.

16 threads share a pool of 4 connections and mix reads, inserts and optimistic increments of
a few shared counter rows protected by a ``version_id_col``.  An increment reads the counter in
one transaction and writes it in the next (the optimistic "read, think, write" pattern), so
concurrent writers conflict; a conflict must surface as ``StaleDataError``, which the thread
retries.  Any other error fails the test, and at the end every counter must equal the number
of increments that reported success: no lost and no phantom updates.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter as Tally

import pytest

from uow_orm import (
    Column,
    Integer,
    Session,
    create_engine,
    declarative_base,
    exc,
    func,
    select,
    text,
)

pytestmark = pytest.mark.concurrency

Base = declarative_base()


class Counter(Base):
    __tablename__ = "conc_counter"
    id = Column(Integer, primary_key=True, autoincrement=False)
    value = Column(Integer, nullable=False)
    version = Column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}


class Event(Base):
    __tablename__ = "conc_event"
    id = Column(Integer, primary_key=True)
    thread = Column(Integer, nullable=False)
    seq = Column(Integer, nullable=False)


THREADS = 16
POOL_SIZE = 4
COUNTERS = 4
OPS_PER_THREAD = 40
TIME_BUDGET = 6.0
"""Seconds per backend after which threads start no new operation (keeps the test bounded)."""
MAX_RETRIES = 500


class Worker:
    def __init__(self, engine, number: int, deadline: float) -> None:
        self.engine = engine
        self.number = number
        self.deadline = deadline
        self.rng = random.Random(number)
        self.increments: Tally[int] = Tally()
        self.inserted = 0
        self.reads = 0
        self.stale_retries = 0
        self.ops = 0
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            for seq in range(OPS_PER_THREAD):
                if time.monotonic() > self.deadline:
                    break
                kind = self.rng.choice(["read", "insert", "increment", "increment"])
                if kind == "read":
                    self.read()
                elif kind == "insert":
                    self.insert(seq)
                else:
                    self.increment(self.rng.randrange(COUNTERS))
                self.ops += 1
        except Exception:
            self.errors.append(f"thread {self.number}: {traceback.format_exc()}")

    def read(self) -> None:
        with Session(self.engine) as session:
            counters = session.scalars(select(Counter).order_by(Counter.id)).all()
            assert [c.id for c in counters] == list(range(COUNTERS))
            for c in counters:
                assert c.value == c.version - 1, f"torn counter row: {c.value=} {c.version=}"
            assert session.scalar(select(func.count()).select_from(Event)) >= 0
        self.reads += 1

    def insert(self, seq: int) -> None:
        with Session(self.engine) as session:
            session.add(Event(thread=self.number, seq=seq))
            session.commit()
        self.inserted += 1

    def increment(self, counter_id: int) -> None:
        for _attempt in range(MAX_RETRIES):
            with Session(self.engine, expire_on_commit=False) as session:
                counter = session.get(Counter, counter_id)
                assert counter is not None
                session.commit()  # the read transaction ends; the write comes later
                time.sleep(self.rng.random() * 0.002)
                counter.value += 1
                try:
                    session.commit()
                except exc.StaleDataError:
                    self.stale_retries += 1
                    session.rollback()
                    continue
            self.increments[counter_id] += 1
            return
        raise AssertionError(f"increment of counter {counter_id} gave up after {MAX_RETRIES}")


@pytest.mark.timeout(120)
def test_threads_sharing_a_small_pool_lose_no_update(db_url):
    engine = create_engine(db_url, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=30)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add_all(Counter(id=i, value=0) for i in range(COUNTERS))
            session.commit()

        deadline = time.monotonic() + TIME_BUDGET
        workers = [Worker(engine, n, deadline) for n in range(THREADS)]
        threads = [threading.Thread(target=w.run, name=f"worker-{w.number}") for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a worker thread hangs"

        errors = [e for w in workers for e in w.errors]
        assert not errors, "\n".join(errors)

        increments: Tally[int] = Tally()
        for w in workers:
            increments.update(w.increments)
        total_ops = sum(w.ops for w in workers)
        assert total_ops >= THREADS, f"only {total_ops} operations finished in time"
        assert engine.pool.checkedout() == 0
        assert engine.pool.size() == POOL_SIZE

        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, value, version FROM conc_counter ORDER BY id"))
            for counter_id, value, version in rows.all():
                assert value == increments[counter_id], f"counter {counter_id} lost updates"
                assert version == value + 1
            events = conn.execute(text("SELECT count(*) FROM conc_event")).scalar()
        assert events == sum(w.inserted for w in workers)

        if sum(increments.values()) >= 2 * COUNTERS:
            # Enough increments ran for some to collide: the optimistic check must have fired.
            assert sum(w.stale_retries for w in workers) > 0, "no StaleDataError: no contention?"
    finally:
        engine.dispose()
