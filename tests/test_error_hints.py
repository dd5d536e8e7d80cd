"""A missing table says how to create it, with one exception class on both backends; and
what ``String(n)`` means for a longer value on each backend (see docs/sqlalchemy.md)."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    DeclarativeBase,
    Mapped,
    Session,
    String,
    create_engine,
    exc,
    mapped_column,
    select,
    text,
)


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(10))


def test_missing_table_is_a_programming_error_naming_create_all_and_migrations(
    engine: Any, backend: str
) -> None:
    with Session(engine) as session:
        with pytest.raises(exc.ProgrammingError) as info:
            session.scalars(select(Note)).all()
    message = str(info.value)
    assert "notes" in message
    assert "Base.metadata.create_all(engine)" in message
    assert "python -m uow_orm.migrate upgrade" in message
    assert info.value.orig is not None
    assert info.value.code == ("42P01" if backend == "postgresql" else "SQLITE_ERROR")
    # Plain SQL on a connection gets the same class and hint.
    with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError, match="create_all"):
            conn.execute(text("SELECT * FROM no_such_table"))


def test_other_operational_errors_get_no_missing_table_hint(engine: Any) -> None:
    with engine.connect() as conn:
        with pytest.raises(exc.DBAPIError) as info:
            conn.execute(text("SELEC 1"))
    assert "create_all" not in str(info.value)


def test_overlong_string_is_refused_by_postgresql_and_stored_whole_by_sqlite(
    engine: Any, backend: str
) -> None:
    Base.metadata.create_all(engine)
    value = "x" * 11
    with Session(engine) as session:
        session.add(Note(label=value))
        if backend == "postgresql":
            with pytest.raises(exc.DataError):
                session.flush()
            session.rollback()
        else:
            session.commit()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT label FROM notes")).all()
    assert rows == ([] if backend == "postgresql" else [(value,)])


def test_comparing_with_a_longer_string_is_not_an_error(engine: Any) -> None:
    # Why uow_orm does not check String(n) in the bind processor: the same processor binds
    # WHERE values, and comparing with a longer string is valid SQL that matches nothing.
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Note(label="short"))
        session.commit()
        found = session.scalars(select(Note).where(Note.label == "x" * 50)).all()
    assert found == []


def test_pool_timeout_message_uses_singular_for_one_second(db_url: str) -> None:
    engine = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=1)
    try:
        with engine.connect():
            with pytest.raises(exc.TimeoutError) as info:
                engine.connect()
        assert "within 1 second." in str(info.value)
    finally:
        engine.dispose()
