"""Statement counts behind the issues' closing notes: how many statements a flush and each
loader strategy send, on SQLite and on a throwaway PostgreSQL.

Run: ``python -m benchmarks.statement_counts`` (counts come from the engine's
``before_cursor_execute`` event; an executemany call counts as one statement).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from typing import Any

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    create_engine,
    declarative_base,
    event,
    exc,
    immediateload,
    joinedload,
    lazyload,
    raiseload,
    relationship,
    select,
    selectinload,
    subqueryload,
)

Base = declarative_base()


class Item(Base):
    __tablename__ = "sc_item"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    value = Column(Integer, nullable=False)


class Parent(Base):
    __tablename__ = "sc_parent"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    children = relationship("Child", back_populates="parent")
    # the same rows through the query-style collections (read only here)
    children_dynamic = relationship("Child", lazy="dynamic", viewonly=True)
    children_write_only = relationship("Child", lazy="write_only", viewonly=True)


class Child(Base):
    __tablename__ = "sc_child"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("sc_parent.id"), nullable=False)
    name = Column(String(50), nullable=False)
    parent = relationship("Parent", back_populates="children")


class Recorder:
    def __init__(self, engine: Any) -> None:
        self.verbs: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn: Any, statement: str, params: Any, many: bool) -> None:
        self.verbs[statement.lstrip().split(None, 1)[0].upper()] += 1

    def take(self) -> dict[str, int]:
        out = {
            k: v
            for k, v in self.verbs.items()
            if k in ("INSERT", "UPDATE", "DELETE", "SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK")
        }
        self.verbs.clear()
        return out


def run(url: str) -> None:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    rec = Recorder(engine)
    n = 10_000
    with Session(engine) as s:
        items = [Item(name=f"item {i}", value=i) for i in range(n)]
        s.add_all(items)
        s.flush()
        print(f"  flush of {n} new rows (server keys):   {rec.take()}")
        for it in items:
            it.value += 1
        s.flush()
        print(f"  flush of {n} changed rows:             {rec.take()}")
        for it in items:
            s.delete(it)
        s.flush()
        print(f"  flush of {n} deleted rows:             {rec.take()}")
        s.commit()
        rec.take()
        # savepoint rollback: what restoring state costs
        item = Item(name="kept", value=1)
        s.add(item)
        s.commit()
        item.value  # noqa: B018 - load it
        rec.take()
        sp = s.begin_nested()
        item.value = 99
        s.add(Item(name="gone", value=2))
        s.flush()
        sp.rollback()
        assert item.value == 1
        print(f"  savepoint: change, add, flush, rollback, read again: {rec.take()}")
        s.commit()
    with Session(engine) as s:
        s.add_all(
            [
                Parent(name=f"p{i}", children=[Child(name=f"c{i}.{j}") for j in range(5)])
                for i in range(1000)
            ]
        )
        s.commit()
    rec.take()
    for label, opt in (
        ("lazy='select'", lazyload(Parent.children)),
        ("selectinload", selectinload(Parent.children)),
        ("joinedload", joinedload(Parent.children)),
        ("subqueryload", subqueryload(Parent.children)),
        ("immediateload", immediateload(Parent.children)),
    ):
        with Session(engine) as s:
            result = s.execute(select(Parent).options(opt))
            parents = result.unique().scalars().all()
            total = sum(len(p.children) for p in parents)
            assert total == 5000
            print(f"  1000 parents x 5 children, {label:14s}: {rec.take()}")
    with Session(engine) as s:
        parents = s.scalars(select(Parent).options(raiseload(Parent.children))).all()
        try:
            parents[0].children  # noqa: B018 - refused without SQL
        except exc.InvalidRequestError:
            pass
        print(f"  1000 parents x 5 children, {'raiseload':14s}: {rec.take()} (access raises)")
    with Session(engine) as s:
        parents = s.scalars(select(Parent)).all()
        total = sum(len(list(p.children_dynamic)) for p in parents)
        assert total == 5000
        print(f"  1000 parents x 5 children, {'dynamic (iter)':14s}: {rec.take()}")
    with Session(engine) as s:
        parents = s.scalars(select(Parent)).all()
        total = sum(len(s.scalars(p.children_write_only.select()).all()) for p in parents)
        assert total == 5000
        print(f"  1000 parents x 5 children, {'write_only':14s}: {rec.take()}")
    Base.metadata.drop_all(engine)
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (file):")
        run(f"sqlite:///{tmp}/counts.db")
    try:
        from tests.pgserver import PgServer
    except ImportError:
        print("PostgreSQL: tests/pgserver.py not importable; skipped")
        return
    server = PgServer().start()
    try:
        print("PostgreSQL:")
        run(server.create_database())
    finally:
        server.stop()


if __name__ == "__main__":
    main()
