"""``uow_orm.ext.compiler``: ``@compiles`` for custom functions, columns and statements,
per dialect, and over existing constructs (``compiler.visit_insert``), run on both
backends with the rows read back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from uow_orm import Column as CoreColumn
from uow_orm import (
    DateTime,
    Integer,
    MetaData,
    Table,
    column,
    create_engine,
    exc,
    insert,
    select,
    text,
)
from uow_orm.ext.compiler import compiles, deregister
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column
from uow_orm.sql.expression import (
    ClauseElement,
    ColumnClause,
    ColumnElement,
    Executable,
    FunctionElement,
    Insert,
)


class utcnow(FunctionElement):
    type = DateTime()
    inherit_cache = True


@compiles(utcnow, "postgresql")
def _pg_utcnow(element: Any, compiler: Any, **kw: Any) -> str:
    return "TIMEZONE('utc', CURRENT_TIMESTAMP)"


@compiles(utcnow, "sqlite")
def _sqlite_utcnow(element: Any, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


class coalesce_zero(FunctionElement):
    inherit_cache = True


@compiles(coalesce_zero)
def _coalesce_zero(element: Any, compiler: Any, **kw: Any) -> str:
    return f"coalesce({compiler.process(element.clauses, **kw)}, 0)"


class Bracketed(ColumnClause):
    inherit_cache = True


@compiles(Bracketed)
def _bracketed(element: Any, compiler: Any, **kw: Any) -> str:
    return f"({element.name} * 10)"


class CountRows(Executable, ClauseElement):
    """A statement of its own: SELECT count(*) FROM <table>."""

    inherit_cache = False

    def __init__(self, table: Table) -> None:
        self.table = table


@compiles(CountRows)
def _count_rows(element: Any, compiler: Any, **kw: Any) -> str:
    return f"SELECT count(*) FROM {compiler.process(element.table, asfrom=True)}"


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "xc_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int | None]
    at = mapped_column(DateTime, server_default=utcnow())


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def test_a_custom_function_compiles_per_dialect_in_ddl_and_queries(db: Any) -> None:
    with Session(db) as s:
        s.add_all([Event(id=1), Event(id=2, n=5)])
        s.commit()
        assert all(e.at is not None for e in s.scalars(select(Event)))  # server default ran
        total = s.scalars(select(coalesce_zero(Event.n)).order_by(Event.id)).all()
        assert total == [0, 5]
        assert s.scalar(select(utcnow())) is not None
    sql = select(coalesce_zero(Event.n)).compile(db).sql
    assert "coalesce(" in sql and ", 0)" in sql
    expected = "CURRENT_TIMESTAMP" if db.dialect.name == "sqlite" else "TIMEZONE('utc'"
    assert expected in select(utcnow()).compile(db).sql
    assert str(select(coalesce_zero(Event.n))) == (
        "SELECT coalesce(xc_event.n, 0) AS anon_1 \nFROM xc_event"
    )


def test_a_custom_column_and_a_custom_statement(db: Any) -> None:
    with Session(db) as s:
        s.add(Event(id=3))
        s.commit()
    with db.connect() as conn:
        assert conn.execute(select(Bracketed("id")).select_from(Event.__table__)).scalar() == 30
        assert conn.execute(CountRows(Event.__table__)).scalar() == 1


class Sevenfold(ColumnElement):
    """An unnamed custom expression: labelled ``anon_N`` when printed."""

    type = Integer()
    inherit_cache = True


@compiles(Sevenfold)
def _sevenfold(element: Any, compiler: Any, **kw: Any) -> str:
    return "(1 * 7)"


def test_a_custom_column_clause_is_printed_unlabelled_as_sqlalchemy_prints_it() -> None:
    # a ColumnClause names itself: no "AS anon_1" (SQLAlchemy prints "SELECT (id * 10)")
    assert str(select(Bracketed("id"))) == "SELECT (id * 10)"
    assert str(select(Bracketed("id").label("x"))) == "SELECT (id * 10) AS x"
    # an unnamed ColumnElement is labelled, and the column before it takes no number
    assert str(select(Bracketed("id"), Sevenfold())) == "SELECT (id * 10), (1 * 7) AS anon_1"
    assert str(select(column("a"), column("b"))) == "SELECT a, b"


def test_a_custom_column_clause_runs_and_is_keyed_by_its_name(db: Any) -> None:
    with Session(db) as s:
        s.add(Event(id=4))
        s.commit()
    with db.connect() as conn:
        row = conn.execute(select(Bracketed("id"), Sevenfold()).select_from(Event.__table__)).one()
        assert tuple(row) == (40, 7)
        assert row.id == 40  # keyed by the column's name


@pytest.fixture
def insert_or_ignore() -> Iterator[None]:
    @compiles(Insert, "sqlite")
    def _sqlite(element: Any, compiler: Any, **kw: Any) -> str:
        return compiler.visit_insert(element, **kw).replace("INSERT", "INSERT OR IGNORE", 1)

    @compiles(Insert, "postgresql")
    def _pg(element: Any, compiler: Any, **kw: Any) -> str:
        return compiler.visit_insert(element, **kw) + " ON CONFLICT DO NOTHING"

    try:
        yield
    finally:
        deregister(Insert)


def test_overriding_insert_with_visit_insert_then_deregister(db: Any, insert_or_ignore: Any):
    md = MetaData()
    t = Table("xc_plain", md, CoreColumn("id", Integer, primary_key=True))
    md.create_all(db)
    with db.begin() as conn:
        conn.execute(insert(t).values(id=1))
        conn.execute(insert(t).values(id=1))  # ignored, not an IntegrityError
        assert conn.execute(select(t.c.id)).scalars().all() == [1]
    deregister(Insert)
    with pytest.raises(exc.IntegrityError), db.begin() as conn:
        conn.execute(insert(t).values(id=1))  # compiles as before again


def test_bad_uses_raise_clear_errors(db: Any) -> None:
    with pytest.raises(exc.ArgumentError, match="needs an SQL element class"):
        compiles(int)

    class Odd(FunctionElement):
        inherit_cache = True

    @compiles(Odd)
    def _odd(element: Any, compiler: Any, **kw: Any) -> Any:
        return 42

    with pytest.raises(exc.CompileError, match="returned 42, not a string"):
        select(Odd()).compile(db)

    class Visits(FunctionElement):
        inherit_cache = True

    @compiles(Visits)
    def _visits(element: Any, compiler: Any, **kw: Any) -> str:
        return compiler.visit_function(element, literal_binds=True)

    with pytest.raises(exc.ArgumentError, match="literal_binds"):
        select(Visits()).compile(db)
    with db.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_a_column_type_compiles_per_dialect_then_deregisters(engine: Any) -> None:
    from uow_orm.dialects.postgresql import INET

    md = MetaData()
    t = Table("xc_hosts", md, CoreColumn("id", Integer, primary_key=True), CoreColumn("ip", INET))

    @compiles(INET, "sqlite")
    def _inet_on_sqlite(type_: Any, compiler: Any, **kw: Any) -> str:
        return "VARCHAR(45)"

    try:
        assert t.c.ip.type.compile(create_engine("sqlite://").dialect) == "VARCHAR(45)"
        md.create_all(engine)  # SQLite: VARCHAR(45); PostgreSQL: its own INET
        with engine.begin() as conn:
            conn.execute(insert(t).values(id=1, ip="10.0.0.1"))
            assert str(conn.execute(select(t.c.ip)).scalar()) == "10.0.0.1"
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'xc_hosts'"))
                assert "ip VARCHAR(45)" in ddl.scalar()
            else:
                kind = conn.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns "
                        "WHERE table_name = 'xc_hosts' AND column_name = 'ip'"
                    )
                )
                assert kind.scalar() == "inet"
    finally:
        deregister(INET)
    assert t.c.ip.type.compile(create_engine("sqlite://").dialect) == "INET"
