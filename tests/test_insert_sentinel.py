"""``insert_sentinel()`` and ``Column(..., insert_sentinel=True)`` (SQLAlchemy 2.0.10): the
column is in the DDL, ``select(table)`` / ``returning(table)`` leave an
``insert_sentinel()`` column out, ORM entities load it, and INSERTs (ORM flush,
executemany with RETURNING in parameter order) work. Both backends.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from uow_orm import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    bindparam,
    exc,
    insert,
    insert_sentinel,
    inspect,
    select,
    text,
    update,
)
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column
from uow_orm.schema import CreateTable


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "ins_note"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    body: Mapped[str] = mapped_column(String(20))
    _sentinel: Mapped[uuid.UUID] = mapped_column(insert_sentinel=True, default=uuid.uuid4)


class Tag(Base):
    __tablename__ = "ins_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
    sentinel = insert_sentinel("sentinel")


events = Table(
    "ins_event",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10)),
    insert_sentinel("sent"),
)


def test_the_sentinel_columns_are_in_the_ddl() -> None:
    ddl = " ".join(str(CreateTable(events)).split())
    assert "sent INTEGER" in ddl and "sent INTEGER NOT NULL" not in ddl
    assert "_sentinel CHAR(32) NOT NULL" in " ".join(str(CreateTable(Note.__table__)).split())
    assert events.c.sent.nullable and isinstance(events.c.sent.type, Integer)


def test_select_and_returning_of_the_table_leave_an_insert_sentinel_out() -> None:
    assert [c.name for c in select(events).selected_columns] == ["id", "kind"]
    assert "sent" not in str(insert(events).returning(events))
    kept = Table(
        "ins_kept",
        MetaData(),
        Column("id", Integer, primary_key=True),
        insert_sentinel("s", String(5), omit_from_statements=False),
    )
    assert [c.name for c in select(kept).selected_columns] == ["id", "s"]
    assert "sent" in str(select(events.c.sent))  # asked for by name: selected


def test_orm_flush_inserts_rows_and_loads_the_sentinel_attribute(db: Any) -> None:
    with Session(db) as s:
        s.add_all([Note(body=f"n{i}") for i in range(3)] + [Tag(label="a"), Tag(label="b")])
        s.commit()
    with Session(db) as s:
        notes = s.scalars(select(Note).order_by(Note.body)).all()
        assert [n.body for n in notes] == ["n0", "n1", "n2"]
        assert all(isinstance(n._sentinel, uuid.UUID) for n in notes)
        tags = s.scalars(select(Tag).order_by(Tag.id)).all()
        # no value given and no default: NULL (uow_orm needs no sentinel values)
        assert [(t.label, t.sentinel) for t in tags] == [("a", None), ("b", None)]
        assert "sentinel" in inspect(Tag).attrs


def test_executemany_insert_returning_gives_the_rows_in_parameter_order(db: Any) -> None:
    with db.begin() as conn:
        rows = conn.execute(
            insert(events).returning(events.c.id, events.c.kind, sort_by_parameter_order=True),
            [{"kind": k} for k in ("c", "a", "b")],
        ).all()
        assert [r.kind for r in rows] == ["c", "a", "b"]
        assert [r.id for r in rows] == sorted(r.id for r in rows)
        whole = conn.execute(insert(events).returning(events), [{"kind": "x"}, {"kind": "y"}])
        assert [tuple(r) for r in whole.all()] == [(4, "x"), (5, "y")]
    with db.connect() as conn:
        got = conn.execute(text("SELECT kind, sent FROM ins_event ORDER BY id")).all()
        assert got == [("c", None), ("a", None), ("b", None), ("x", None), ("y", None)]


def test_executemany_update_returning_is_refused(db: Any) -> None:
    with db.begin() as conn:
        conn.execute(insert(events), [{"id": 1, "kind": "a"}, {"id": 2, "kind": "b"}])
        stmt = (
            update(events)
            .where(events.c.id == bindparam("i"))
            .values(kind=bindparam("k"))
            .returning(events.c.id)
        )
        with pytest.raises(exc.InvalidRequestError, match="executemany"):
            conn.execute(stmt, [{"i": 1, "k": "q"}, {"i": 2, "k": "r"}])


def test_a_uuid_sentinel_with_a_default_is_written(db: Any) -> None:
    md = MetaData()
    t = Table(
        "ins_uuid",
        md,
        Column("id", Integer, primary_key=True),
        Column("s", Uuid, insert_sentinel=True, default=uuid.uuid4),
    )
    md.create_all(db)
    with db.begin() as conn:
        conn.execute(insert(t), [{"id": 1}, {"id": 2}])
    with db.connect() as conn:
        values = conn.execute(select(t.c.s).order_by(t.c.id)).scalars().all()
    assert len(set(values)) == 2 and all(isinstance(v, uuid.UUID) for v in values)
    md.drop_all(db)
