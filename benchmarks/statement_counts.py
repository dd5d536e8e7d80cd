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
    selectin_polymorphic,
    selectinload,
    subqueryload,
    with_polymorphic,
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


# two-level hierarchies (issue 16): joined-table and single-table, each with two subclasses
class JEmployee(Base):
    __tablename__ = "sc_jemployee"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    type = Column(String(20), nullable=False)
    __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "employee"}


class JManager(JEmployee):
    __tablename__ = "sc_jmanager"
    id = Column(Integer, ForeignKey("sc_jemployee.id"), primary_key=True)
    manager_name = Column(String(50))
    __mapper_args__ = {"polymorphic_identity": "manager"}


class JEngineer(JEmployee):
    __tablename__ = "sc_jengineer"
    id = Column(Integer, ForeignKey("sc_jemployee.id"), primary_key=True)
    engineer_info = Column(String(50))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


class SEmployee(Base):
    __tablename__ = "sc_semployee"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    type = Column(String(20), nullable=False)
    __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "employee"}


class SManager(SEmployee):
    manager_name = Column(String(50))
    __mapper_args__ = {"polymorphic_identity": "manager"}


class SEngineer(SEmployee):
    engineer_info = Column(String(50))
    __mapper_args__ = {"polymorphic_identity": "engineer"}


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
    for label, base, manager, engineer in (
        ("joined", JEmployee, JManager, JEngineer),
        ("single", SEmployee, SManager, SEngineer),
    ):
        hierarchy(engine, rec, label, base, manager, engineer)
    Base.metadata.drop_all(engine)
    engine.dispose()


def hierarchy(
    engine: Any, rec: Recorder, label: str, base: Any, manager: Any, engineer: Any
) -> None:
    """Flush and load 1,000 objects of a two-level hierarchy (500 of each subclass)."""
    with Session(engine) as s:
        objs = [manager(name=f"m{i}", manager_name="m") for i in range(500)]
        objs += [engineer(name=f"e{i}", engineer_info="e") for i in range(500)]
        s.add_all(objs)
        s.flush()
        print(f"  {label}: flush of 1000 new objects:          {rec.take()}")
        for o in objs:
            o.name += "!"
            if isinstance(o, manager):
                o.manager_name = "m2"
        s.flush()
        print(f"  {label}: flush of 1000 changed (+ subclass col):{rec.take()}")
        s.commit()
        rec.take()
        for what, stmt in (
            ("select(base)", select(base)),
            ('with_polymorphic "*"', select(with_polymorphic(base, "*"))),
            (
                "selectin_polymorphic",
                select(base).options(selectin_polymorphic(base, [manager, engineer])),
            ),
        ):
            s.expunge_all()
            got = s.scalars(stmt).all()
            assert len(got) == 1000
            sum(len(o.manager_name or "") for o in got if isinstance(o, manager))
            print(f"  {label}: load 1000, {what:22s} + subclass column: {rec.take()}")
        for o in s.scalars(select(base)).all():
            s.delete(o)
        rec.take()
        s.flush()
        print(f"  {label}: flush of 1000 deleted objects:      {rec.take()}")
        s.commit()


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
