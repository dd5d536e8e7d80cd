"""PostgreSQL reflection gives the dialect's type classes, as SQLAlchemy's PostgreSQL
dialect does (``INET``, ``JSONB``, ``ARRAY(INTEGER())``, ``NUMERIC(10, 2)``,
``TIMESTAMP(timezone=True)``, multiranges...), and a reflected table round-trips its
values through psycopg; the multirange types; revisions render reflected types.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import uuid
from typing import Any

import pytest

from uow_orm import Column, Integer, MetaData, Table, create_engine, exc, inspect, select, text
from uow_orm.dialects import postgresql as pg
from uow_orm.migrate.autogenerate import render_type

COLUMNS = {
    "a": ("inet", pg.INET, "INET()"),
    "b": ("cidr", pg.CIDR, "CIDR()"),
    "c": ("macaddr", pg.MACADDR, "MACADDR()"),
    "d": ("uuid", pg.UUID, "UUID()"),
    "e": ("jsonb", pg.JSONB, None),
    "f": ("integer[]", pg.ARRAY, "ARRAY(INTEGER())"),
    "g": ("varchar(20)[]", pg.ARRAY, "ARRAY(VARCHAR(length=20))"),
    "h": ("tsvector", pg.TSVECTOR, "TSVECTOR()"),
    "i": ("interval", pg.INTERVAL, "INTERVAL()"),
    "j": ("interval day to second", pg.INTERVAL, None),
    "k": ("bytea", pg.BYTEA, "BYTEA()"),
    "l": ("numeric(10,2)", pg.NUMERIC, "NUMERIC(precision=10, scale=2)"),
    "m": ("varchar(20)", pg.VARCHAR, "VARCHAR(length=20)"),
    "n": ("char(3)", pg.CHAR, "CHAR(length=3)"),
    "o": ("timestamp(3) with time zone", pg.TIMESTAMP, None),
    "p": ("timestamp", pg.TIMESTAMP, "TIMESTAMP()"),
    "q": ("double precision", pg.DOUBLE_PRECISION, None),
    "r": ("real", pg.REAL, "REAL()"),
    "s": ("bit varying(8)", pg.BIT, None),
    "t": ("int4range", pg.INT4RANGE, "INT4RANGE()"),
    "u": ("datemultirange", pg.DATEMULTIRANGE, "DATEMULTIRANGE()"),
    "v": ("macaddr8", pg.MACADDR8, "MACADDR8()"),
    "w": ("money", pg.MONEY, "MONEY()"),
    "x": ("text", pg.TEXT, "TEXT()"),
    "y": ("smallint", pg.SMALLINT, "SMALLINT()"),
    "z": ("boolean", pg.BOOLEAN, "BOOLEAN()"),
}


@pytest.fixture
def pg_engine(pg_url: str) -> Any:
    eng = create_engine(pg_url)
    cols = ", ".join(f"{name} {spelled}" for name, (spelled, _c, _r) in COLUMNS.items())
    with eng.begin() as conn:
        conn.execute(text(f"CREATE TABLE reflected (id integer PRIMARY KEY, {cols})"))
    yield eng
    eng.dispose()


def test_postgresql_types_reflect_to_the_dialect_type_classes(pg_engine: Any) -> None:
    reflected = {c["name"]: c["type"] for c in inspect(pg_engine).get_columns("reflected")}
    for name, (spelled, cls, shown) in COLUMNS.items():
        assert type(reflected[name]) is cls, (spelled, reflected[name])
        if shown is not None:
            assert repr(reflected[name]) == shown, spelled
    assert reflected["j"].fields == "day to second"
    assert reflected["o"].timezone and reflected["o"].precision == 3
    assert reflected["s"].varying and reflected["s"].length == 8
    assert isinstance(reflected["f"].item_type, pg.INTEGER)


def test_a_reflected_table_round_trips_its_values(pg_engine: Any) -> None:
    t = Table("reflected", MetaData(), autoload_with=pg_engine)
    row = {
        "id": 1,
        "a": ipaddress.ip_address("10.0.0.1"),
        "b": ipaddress.ip_network("10.0.0.0/8"),
        "d": uuid.UUID(int=7),
        "e": {"k": [1, 2]},
        "f": [1, 2, 3],
        "g": ["x", "y"],
        "i": datetime.timedelta(hours=3),
        "k": b"\x00\x01",
        "l": decimal.Decimal("12.34"),
        "o": datetime.datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=datetime.UTC),
        "s": "101",
        "t": pg.Range(1, 5),
        "u": [pg.Range(datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))],
    }
    with pg_engine.begin() as conn:
        conn.execute(t.insert().values(**row))
    with pg_engine.connect() as conn:
        got = conn.execute(select(*[t.c[k] for k in row])).one()
    assert dict(zip(row, got)) == row


def test_multirange_columns_bind_lists_of_ranges_and_refuse_other_values(pg_url: str) -> None:
    eng = create_engine(pg_url)
    md = MetaData()
    t = Table("mr", md, Column("id", Integer, primary_key=True), Column("r", pg.INT4MULTIRANGE))
    md.create_all(eng)
    with eng.begin() as conn:
        conn.execute(t.insert().values(id=1, r=[pg.Range(1, 3), pg.Range(5, 7)]))
        conn.execute(t.insert().values(id=2, r=[]))
    with eng.connect() as conn:
        assert conn.execute(select(t.c.r).order_by(t.c.id)).scalars().all() == [
            [pg.Range(1, 3), pg.Range(5, 7)],
            [],
        ]
        with pytest.raises(exc.ColumnValueError, match=r"a list of postgresql\.Range"):
            conn.execute(t.insert().values(id=3, r=pg.Range(1, 2)))
    eng.dispose()


def test_multirange_types_need_postgresql(engine: Any, backend: str) -> None:
    md = MetaData()
    Table("mr_any", md, Column("id", Integer, primary_key=True), Column("r", pg.NUMMULTIRANGE))
    if backend == "sqlite":
        with pytest.raises(exc.ArgumentError, match="NUMMULTIRANGE columns need PostgreSQL"):
            md.create_all(engine)
    else:
        md.create_all(engine)
        assert type(inspect(engine).get_columns("mr_any")[1]["type"]) is pg.NUMMULTIRANGE


def test_revisions_render_reflected_types_with_their_arguments() -> None:
    assert render_type(pg.VARCHAR(20)) == "sa.VARCHAR(length=20)"
    assert render_type(pg.NUMERIC(10, 2)) == "sa.NUMERIC(precision=10, scale=2)"
    assert render_type(pg.INET()) == "postgresql.INET()"
    assert render_type(pg.ARRAY(pg.INTEGER())) == "postgresql.ARRAY(sa.INTEGER())"
    assert render_type(pg.TIMESTAMP(True, 3)) == "postgresql.TIMESTAMP(timezone=True, precision=3)"


def test_array_constructor_array_agg_any_all_and_hstore(engine: Any, backend: str) -> None:
    from uow_orm import func
    from uow_orm.sql import operators

    md = MetaData()
    t = Table(
        "arr_fns",
        md,
        Column("id", Integer, primary_key=True),
        Column("n", Integer),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": i, "n": i * 10} for i in (1, 2, 3)])
    from uow_orm import ARRAY

    assert isinstance(func.array_agg(t.c.n).type, ARRAY)
    assert isinstance(pg.array_agg(t.c.n).type.item_type, Integer)
    if backend == "sqlite":
        with engine.connect() as conn, pytest.raises(exc.ArgumentError, match="PostgreSQL"):
            conn.execute(select(pg.array([1, 2])))
        return
    with engine.connect() as conn:
        assert conn.execute(select(pg.array([1, 2, 3]))).scalar() == [1, 2, 3]
        assert conn.execute(select(pg.array([t.c.n, 5])[2]).where(t.c.id == 1)).scalar() == 5
        assert conn.execute(select(pg.array([], type_=Integer))).scalar() == []
        agg = conn.execute(select(pg.array_agg(t.c.n))).scalar()
        assert sorted(agg) == [10, 20, 30]
        ids = pg.array([10, 30])
        got = conn.execute(select(t.c.id).where(pg.Any(t.c.n, ids)).order_by(t.c.id)).scalars()
        assert got.all() == [1, 3]
        below = select(t.c.id).where(pg.All(t.c.n, pg.array([25, 40]), operator=operators.lt))
        assert conn.execute(below.order_by(t.c.id)).scalars().all() == [1, 2]
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS hstore"))
        assert conn.execute(select(pg.hstore("k", "v"))).scalar() == {"k": "v"}
    with pytest.raises(exc.ArgumentError, match="type_"):
        pg.array([])
