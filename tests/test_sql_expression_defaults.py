"""Column defaults that are SQL expressions (``default=func.now()``,
``insert_default=...``, ``onupdate=func.now()``): the flush writes the expression into the
INSERT / UPDATE and the attribute loads from the row on access, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from conftest import fetch

from uow_orm import exc, func, literal, literal_column, select
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class Entry(Base):
    __tablename__ = "sd_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    created: Mapped[datetime.datetime] = mapped_column(insert_default=func.now())
    tag: Mapped[str] = mapped_column(default=func.lower(literal_column("'ABC'")))
    changed: Mapped[datetime.datetime | None] = mapped_column(onupdate=func.now())
    hits: Mapped[int] = mapped_column(default=0, onupdate=literal_column("hits + 1"))


class Bad(Base):
    __tablename__ = "sd_bad"
    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(default=func.lower(literal("X")))


def test_insert_writes_the_sql_default_and_the_attribute_loads_from_the_row(db, sql_log):
    with Session(db) as s:
        e = Entry(name="a")
        s.add_all([e, Entry(name="b")])
        log = sql_log(db)
        s.flush()
        assert log.count("INSERT") == 1  # both rows in one batch
        # fetched by the INSERT's RETURNING (eager_defaults "auto", as SQLAlchemy 2.0)
        assert isinstance(e.__dict__["created"], datetime.datetime)
        assert isinstance(e.created, datetime.datetime)
        assert e.tag == "abc"
        assert e.changed is None and e.hits == 0
        s.commit()
    rows = fetch(db, "SELECT name, tag FROM sd_entry ORDER BY id")
    assert rows == [("a", "abc"), ("b", "abc")]


def test_an_explicit_value_wins_over_the_sql_default(db):
    when = datetime.datetime(2020, 5, 6, 7, 8, 9)
    with Session(db) as s:
        s.add(Entry(name="c", created=when, tag="mine"))
        s.commit()
        got = s.scalars(select(Entry)).one()
        assert (got.created, got.tag) == (when, "mine")


def test_update_writes_the_sql_onupdate_for_columns_not_set(db):
    with Session(db) as s:
        e = Entry(name="a")
        s.add(e)
        s.commit()
        assert e.changed is None
        e.name = "b"
        s.commit()
        assert isinstance(e.changed, datetime.datetime)
        assert e.hits == 1
        e.name = "c"
        s.commit()
        assert e.hits == 2
    assert fetch(db, "SELECT name, hits FROM sd_entry") == [("c", 2)]


def test_a_sql_default_with_bound_values_is_refused_by_name(db):
    with Session(db) as s:
        s.add(Bad(id=1))
        with pytest.raises(exc.NotSupportedError, match=r"Bad\.tag"):
            s.flush()
        s.rollback()
    assert fetch(db, "SELECT count(*) FROM sd_bad") == [(0,)]
