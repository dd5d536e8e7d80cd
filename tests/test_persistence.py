"""The flush's statements (uow_orm.orm.persistence), on SQLite and PostgreSQL.

Every INSERT / UPDATE / DELETE of a flush is built with ``uow_orm.sql`` and compiled once
per mapper, statement shape and dialect; a mapper that gains a column gets new statements.
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    Integer,
    MetaData,
    Session,
    String,
    Table,
    declarative_base,
    exc,
    insert,
    select,
    text,
    update,
)


def _rows(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_a_column_mapped_after_the_first_flush_is_written_by_the_next(engine):
    Base = declarative_base()

    class Note(Base):
        __tablename__ = "ps_note"
        id = Column(Integer, primary_key=True)
        title = Column(String(20))

    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE ps_note (id INTEGER PRIMARY KEY, title VARCHAR(20), body VARCHAR(20))"
            )
        )
    with Session(engine) as s:
        s.add(Note(id=1, title="first"))
        s.commit()
    Note.body = Column(String(20))
    with Session(engine) as s:
        s.add(Note(id=2, title="second", body="text"))
        s.commit()
        note = s.get(Note, 1)
        note.body = "later"
        s.commit()
    assert _rows(engine, "SELECT id, title, body FROM ps_note ORDER BY id") == [
        (1, "first", "later"),
        (2, "second", "text"),
    ]


def test_repeated_flushes_send_the_same_statement_text(engine, sql_log):
    Base = declarative_base()

    class Item(Base):
        __tablename__ = "ps_item"
        id = Column(Integer, primary_key=True)
        label = Column(String(20))

    Base.metadata.create_all(engine)
    log = sql_log(engine)
    with Session(engine) as s:
        for n in range(3):
            s.add(Item(label=f"i{n}"))
            s.flush()
        for item in s.scalars(select(Item)).all():
            item.label += "!"
            s.flush()
        s.commit()
    inserts = [q for q in log.sql if q.startswith("INSERT")]
    updates = [q for q in log.sql if q.startswith("UPDATE")]
    assert len(inserts) == 3 and len(set(inserts)) == 1
    assert len(updates) == 3 and len(set(updates)) == 1
    assert sorted(r[0] for r in _rows(engine, "SELECT label FROM ps_item")) == ["i0!", "i1!", "i2!"]


def test_a_value_the_column_type_refuses_names_the_attribute_on_update(engine):
    Base = declarative_base()

    class Counter(Base):
        __tablename__ = "ps_counter"
        id = Column(Integer, primary_key=True)
        value = Column(Integer)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Counter(id=1, value=1))
        s.commit()
        s.get(Counter, 1).value = "many"
        with pytest.raises(exc.ColumnValueError, match=r"Counter\.value"):
            s.flush()
    assert _rows(engine, "SELECT value FROM ps_counter") == [(1,)]


def _defaults_table(engine):
    md = MetaData()
    t = Table(
        "ps_defaults",
        md,
        Column("id", Integer, primary_key=True),
        Column("kind", String(10), default="plain"),
        Column("stamp", String(10), onupdate="changed"),
    )
    md.create_all(engine)
    return t


def test_insert_given_values_only_leaves_out_the_other_columns_defaults(engine):
    t = _defaults_table(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1))
        conn.execute(insert(t).given_values_only().values(id=2))
    assert _rows(engine, "SELECT id, kind FROM ps_defaults ORDER BY id") == [
        (1, "plain"),
        (2, None),
    ]


def test_update_given_values_only_leaves_out_onupdate_columns(engine):
    t = _defaults_table(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1))
        conn.execute(insert(t).values(id=2))
        conn.execute(update(t).where(t.c.id == 1).values(kind="a"))
        conn.execute(update(t).given_values_only().where(t.c.id == 2).values(kind="b"))
    assert _rows(engine, "SELECT id, kind, stamp FROM ps_defaults ORDER BY id") == [
        (1, "a", "changed"),
        (2, "b", None),
    ]
