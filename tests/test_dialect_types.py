"""Dialect type vocabularies: uow_orm.dialects.postgresql (JSONB, ARRAY, ENUM, network,
money, bit, text search, hstore, ...), uow_orm.dialects.sqlite (storage formats), and the
MySQL / SQL Server / Oracle names mapped onto the generic types.

Issues 13 and 22. PostgreSQL types are exercised on the throwaway server (rows read back
and operators evaluated by the server); the names every backend can store also run on
SQLite.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import uuid
from typing import Any

import pytest

import uow_orm
from uow_orm import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    exc,
    select,
    text,
    types,
)
from uow_orm.dialects import mssql, mysql, oracle
from uow_orm.dialects import postgresql as pg
from uow_orm.dialects import sqlite as sqlite_types


@pytest.fixture
def pg_engine(pg_url):
    eng = create_engine(pg_url)
    yield eng
    eng.dispose()


def _store(engine: Any, type_: Any, values: list[Any]) -> tuple[Table, list[Any]]:
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True), Column("v", type_))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": i, "v": v} for i, v in enumerate(values)])
        got = [r[0] for r in conn.execute(select(t.c.v).order_by(t.c.id)).all()]
    return t, got


def _ids(engine: Any, t: Table, cond: Any) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.c.id).where(cond).order_by(t.c.id)).scalars())


# -- PostgreSQL round trips ---------------------------------------------------------------------
PG_CASES: dict[str, tuple[Any, list[Any], list[Any] | None]] = {
    # name: (type, values written, values read back when the server normalizes them)
    "JSONB": (pg.JSONB(), [{"a": 1, "b": [1, 2]}, [1, "x"]], None),
    "JSON": (pg.JSON(), [{"a": {"b": None}}], None),
    "ARRAY": (pg.ARRAY(Integer), [[1, 2, 3], []], None),
    "ARRAY 2-d": (pg.ARRAY(String(5), dimensions=2), [[["a", "b"], ["c", "d"]]], None),
    "ARRAY as_tuple": (pg.ARRAY(Integer, as_tuple=True), [(1, 2)], None),
    "UUID": (pg.UUID(), [uuid.UUID(int=9)], None),
    "UUID as_uuid=False": (pg.UUID(as_uuid=False), [str(uuid.UUID(int=9))], None),
    "INET": (
        pg.INET(),
        ["10.0.0.1", "::1"],
        [ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("::1")],
    ),
    "CIDR": (pg.CIDR(), ["10.0.0.0/8"], [ipaddress.ip_network("10.0.0.0/8")]),
    "MACADDR": (pg.MACADDR(), ["08:00:2b:01:02:03"], None),
    "MONEY": (pg.MONEY(), [decimal.Decimal("12.34")], ["$12.34"]),
    "OID": (pg.OID(), [0, 2**32 - 1], None),
    "BIT": (pg.BIT(3), ["101", "010"], None),
    "BIT VARYING": (pg.BIT(8, varying=True), ["1", "1101"], None),
    "TSVECTOR": (pg.TSVECTOR(), ["a fat cat"], ["'a' 'cat' 'fat'"]),
    "INTERVAL": (pg.INTERVAL(), [dt.timedelta(days=3, hours=1)], None),
    "INTERVAL fields": (
        pg.INTERVAL(fields="DAY TO SECOND", precision=3),
        [dt.timedelta(seconds=1.5)],
        None,
    ),
    "BYTEA": (pg.BYTEA(), [b"\x00\xff"], None),
    "DATE": (pg.DATE(), [dt.date(2024, 1, 31)], None),
    "TIME": (pg.TIME(precision=3), [dt.time(1, 2, 3, 456000)], None),
    "TIMESTAMP": (pg.TIMESTAMP(), [dt.datetime(2024, 1, 31, 1, 2, 3)], None),
    "TIMESTAMP tz": (
        pg.TIMESTAMP(timezone=True, precision=6),
        [dt.datetime(2024, 1, 31, 1, 2, 3, 7, tzinfo=dt.UTC)],
        None,
    ),
    "DOUBLE_PRECISION": (pg.DOUBLE_PRECISION(), [2.5e-300], None),
    "REAL": (pg.REAL(), [0.5], None),
    "ENUM": (pg.ENUM("new", "done", name="task_state"), ["done", "new"], None),
    "HSTORE": (pg.HSTORE(), [{"a": "1", "b": None, 'we"ird\\': "x=>y"}, {}], None),
}


@pytest.mark.parametrize("case", list(PG_CASES), ids=list(PG_CASES))
def test_postgresql_type_round_trips(pg_engine, case):
    type_, values, expected = PG_CASES[case]
    if isinstance(type_, pg.HSTORE):
        with pg_engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS hstore"))
    _, got = _store(pg_engine, type_, values)
    assert got == (expected if expected is not None else values)


def test_postgresql_types_render_their_ddl():
    assert pg.TIMESTAMP(timezone=True, precision=3).compile("postgresql") == (
        "TIMESTAMP(3) WITH TIME ZONE"
    )
    assert pg.INTERVAL(fields="day to second", precision=2).compile("postgresql") == (
        "INTERVAL DAY TO SECOND(2)"
    )
    assert pg.ARRAY(Integer, dimensions=2).compile("postgresql") == "INTEGER[][]"
    assert pg.BIT(3, varying=True).compile("postgresql") == "BIT VARYING(3)"
    assert pg.JSONB().compile("postgresql") == "JSONB"
    assert pg.JSONB().compile("sqlite") == "JSON"
    assert pg.ENUM("a", name="My Enum").compile("postgresql") == '"My Enum"'


def test_postgresql_types_are_generic_types():
    assert isinstance(pg.JSONB(), types.JSON) and isinstance(pg.ARRAY(Integer), types.ARRAY)
    assert isinstance(pg.UUID(), types.Uuid) and isinstance(pg.ENUM("a", name="e"), types.Enum)
    assert isinstance(pg.TIMESTAMP(), types.DateTime) and isinstance(pg.BYTEA(), types.LargeBinary)
    assert isinstance(pg.INTERVAL(), types.Interval)
    assert pg.HSTORE().python_type is dict and pg.OID().python_type is int
    assert pg.INTERVAL().python_type is dt.timedelta and pg.ARRAY(Integer).python_type is list


def test_postgresql_types_refuse_bad_values(pg_engine):
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS hstore"))
    for type_, bad in [
        (pg.INET(), "not an address"),
        (pg.BIT(3), "12"),
        (pg.OID(), -1),
        (pg.HSTORE(), {"a": 1}),
        (pg.ARRAY(Integer), "1,2"),
    ]:
        md = MetaData()
        t = Table("bad", md, Column("id", Integer, primary_key=True), Column("v", type_))
        md.create_all(pg_engine)
        with pytest.raises(exc.ColumnValueError), pg_engine.begin() as conn:
            conn.execute(t.insert(), {"id": 1, "v": bad})
        md.drop_all(pg_engine)


# -- JSONB operators ----------------------------------------------------------------------------
@pytest.fixture
def jsonb_table(pg_engine):
    t, _ = _store(
        pg_engine,
        pg.JSONB(),
        [
            {"name": "ada", "tags": ["x", "y"], "a": {"b": "deep"}},
            {"name": "bob", "tags": ["z"], "n": 5},
        ],
    )
    return t


def test_jsonb_index_and_astext(pg_engine, jsonb_table):
    t = jsonb_table
    assert _ids(pg_engine, t, t.c.v["name"].astext == "bob") == [1]
    assert _ids(pg_engine, t, t.c.v[("a", "b")].astext == "deep") == [0]
    assert _ids(pg_engine, t, t.c.v["a"]["b"].astext == "deep") == [0]
    assert _ids(pg_engine, t, t.c.v["n"] == 5) == [1]
    with pg_engine.connect() as conn:
        assert conn.execute(select(t.c.v["tags"]).where(t.c.id == 0)).scalar() == ["x", "y"]
        assert conn.execute(select(t.c.v["name"].astext).where(t.c.id == 0)).scalar() == "ada"


def test_jsonb_containment_and_key_operators(pg_engine, jsonb_table):
    t = jsonb_table
    assert _ids(pg_engine, t, t.c.v.contains({"tags": ["z"]})) == [1]
    assert _ids(pg_engine, t, t.c.v.contained_by({"name": "bob", "tags": ["z"], "n": 5})) == [1]
    assert _ids(pg_engine, t, t.c.v.has_key("n")) == [1]
    assert _ids(pg_engine, t, t.c.v.has_all(["name", "a"])) == [0]
    assert _ids(pg_engine, t, t.c.v.has_any(["n", "a"])) == [0, 1]


def test_jsonb_operators_are_refused_on_sqlite(engine):
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True), Column("v", pg.JSONB()))
    if engine.dialect.name != "sqlite":
        return
    md.create_all(engine)
    with pytest.raises(exc.ArgumentError, match="PostgreSQL operator"), engine.connect() as conn:
        conn.execute(select(t.c.id).where(t.c.v.has_key("a")))


def test_jsonb_and_json_store_documents_on_sqlite_too(engine):
    _, got = _store(engine, pg.JSONB(), [{"a": [1, 2]}, 7])
    assert got == [{"a": [1, 2]}, 7]


# -- ARRAY operators ----------------------------------------------------------------------------
def test_array_index_slice_any_all_contains_overlap(pg_engine):
    t, _ = _store(pg_engine, pg.ARRAY(Integer), [[1, 2, 3], [3, 4], [5]])
    assert _ids(pg_engine, t, t.c.v[1] == 3) == [1]
    assert _ids(pg_engine, t, t.c.v.any(3)) == [0, 1]
    assert _ids(pg_engine, t, t.c.v.all(5)) == [2]
    assert _ids(pg_engine, t, t.c.v.any(4, operator="<")) == [0, 1]  # 4 < ANY(v)
    assert _ids(pg_engine, t, t.c.v.contains([2, 3])) == [0]
    assert _ids(pg_engine, t, t.c.v.contained_by([1, 2, 3, 4])) == [0, 1]
    assert _ids(pg_engine, t, t.c.v.overlap([4, 5])) == [1, 2]
    assert _ids(pg_engine, t, uow_orm.all_(t.c.v) >= 3) == [1, 2]
    with pg_engine.connect() as conn:
        assert conn.execute(select(t.c.v[1:2]).where(t.c.id == 0)).scalar() == [1, 2]


def test_array_zero_indexes(pg_engine):
    t, _ = _store(pg_engine, pg.ARRAY(String(3), zero_indexes=True), [["a", "b", "c"]])
    with pg_engine.connect() as conn:
        assert conn.execute(select(t.c.v[0])).scalar() == "a"
        assert conn.execute(select(t.c.v[0:2])).scalar() == ["a", "b"]


def test_array_of_text_compares_with_a_list(pg_engine):
    t, _ = _store(pg_engine, pg.ARRAY(String(10)), [["a", "b"], ["c"]])
    assert _ids(pg_engine, t, t.c.v == ["c"]) == [1]
    assert _ids(pg_engine, t, t.c.v.contains(["b"])) == [0]


# -- HSTORE operators ---------------------------------------------------------------------------
def test_hstore_index_and_key_operators(pg_engine):
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS hstore"))
    t, _ = _store(pg_engine, pg.HSTORE(), [{"color": "red", "size": "L"}, {"color": "blue"}])
    assert _ids(pg_engine, t, t.c.v["color"] == "blue") == [1]
    assert _ids(pg_engine, t, t.c.v.has_key("size")) == [0]
    assert _ids(pg_engine, t, t.c.v.has_all(["color", "size"])) == [0]
    assert _ids(pg_engine, t, t.c.v.has_any(["size", "x"])) == [0]
    assert _ids(pg_engine, t, t.c.v.contains({"color": "red"})) == [0]
    assert _ids(pg_engine, t, t.c.v.contained_by({"color": "blue", "x": "y"})) == [1]
    with pg_engine.connect() as conn:
        assert conn.execute(select(t.c.v["size"]).where(t.c.id == 0)).scalar() == "L"


# -- ENUM ---------------------------------------------------------------------------------------
def test_enum_with_create_type_false_uses_an_existing_type(pg_engine):
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')"))
    state = pg.ENUM("sad", "ok", "happy", name="mood", create_type=False)
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True), Column("v", state))
    md.create_all(pg_engine)
    with pg_engine.begin() as conn:
        conn.execute(t.insert(), {"id": 1, "v": "happy"})
        assert conn.execute(select(t.c.v).where(t.c.v == "happy")).scalar() == "happy"
    md.drop_all(pg_engine)
    with pg_engine.connect() as conn:  # not ours to drop
        assert (
            conn.execute(text("SELECT count(*) FROM pg_type WHERE typname = 'mood'")).scalar() == 1
        )


def test_enum_is_always_native():
    with pytest.raises(exc.ArgumentError, match="always native"):
        pg.ENUM("a", name="x", native_enum=False)


# -- SQLite storage formats ---------------------------------------------------------------------
def test_sqlite_datetime_storage_format_and_regexp(engine):
    type_ = sqlite_types.DATETIME(
        storage_format="%(year)04d/%(month)02d/%(day)02d %(hour)02d-%(minute)02d-%(second)02d",
        regexp=r"(\d+)/(\d+)/(\d+) (\d+)-(\d+)-(\d+)",
    )
    value = dt.datetime(2024, 3, 4, 5, 6, 7)
    t, got = _store(engine, type_, [value])
    assert got == [value]
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("SELECT v FROM t")).scalar() == "2024/03/04 05-06-07"
    assert _ids(engine, t, t.c.v == value) == [0]


def test_sqlite_date_and_time_storage_formats(engine):
    date_t = sqlite_types.DATE(
        storage_format="%(day)02d.%(month)02d.%(year)04d",
        regexp=re.compile(r"(?P<day>\d+)\.(?P<month>\d+)\.(?P<year>\d+)"),
    )
    _, got = _store(engine, date_t, [dt.date(2020, 12, 31)])
    assert got == [dt.date(2020, 12, 31)]
    time_t = sqlite_types.TIME(truncate_microseconds=True)
    md = MetaData()
    t = Table("t2", md, Column("id", Integer, primary_key=True), Column("v", time_t))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), {"id": 1, "v": dt.time(1, 2, 3, 999)})
        got_time = conn.execute(select(t.c.v)).scalar()
    expected = dt.time(1, 2, 3) if engine.dialect.name == "sqlite" else dt.time(1, 2, 3, 999)
    assert got_time == expected


def test_sqlite_storage_format_with_unknown_fields_is_refused():
    with pytest.raises(exc.ArgumentError, match="storage_format"):
        sqlite_types.DATETIME(storage_format="%(century)d")
    with pytest.raises(exc.ArgumentError, match="time zone"):
        sqlite_types.DATETIME(timezone=True, storage_format="%(year)d")


def test_sqlite_module_exports_its_vocabulary():
    for name in ("JSON", "DATETIME", "DATE", "TIME", "INTEGER", "TEXT", "BLOB", "NUMERIC"):
        assert issubclass(getattr(sqlite_types, name), types.TypeEngine)


# -- other dialects' vocabularies ---------------------------------------------------------------
VENDOR_TYPES: list[tuple[Any, type, type]] = [
    # (instance, generic class SQLAlchemy's is an instance of, python_type)
    (mysql.TINYINT(1), types.Integer, int),
    (mysql.MEDIUMINT(), types.Integer, int),
    (mysql.BIGINT(unsigned=True), types.BigInteger, int),
    (mysql.MEDIUMTEXT(), types.Text, str),
    (mysql.LONGTEXT(collation="utf8mb4_bin"), types.Text, str),
    (mysql.TINYTEXT(), types.Text, str),
    (mysql.DATETIME(fsp=6), types.DateTime, dt.datetime),
    (mysql.TIMESTAMP(fsp=3), types.DateTime, dt.datetime),
    (mysql.SET("a", "b"), types.String, str),
    (mysql.ENUM("a", "b"), types.Enum, str),
    (mysql.YEAR(), types.Integer, int),
    (mysql.BIT(8), types.Integer, int),
    (mysql.VARCHAR(20, charset="utf8mb4"), types.String, str),
    (mysql.DOUBLE(), types.Float, float),
    (mysql.DECIMAL(10, 2, unsigned=True), types.Numeric, decimal.Decimal),
    (mysql.JSON(), types.JSON, dict),
    (mysql.LONGBLOB(), types.LargeBinary, bytes),
    (mssql.UNIQUEIDENTIFIER(), types.Uuid, uuid.UUID),
    (mssql.NVARCHAR(50), types.String, str),
    (mssql.DATETIME2(precision=7), types.DateTime, dt.datetime),
    (mssql.DATETIMEOFFSET(), types.DateTime, dt.datetime),
    (mssql.BIT(), types.Boolean, bool),
    (mssql.MONEY(), types.Numeric, decimal.Decimal),
    (mssql.TINYINT(), types.Integer, int),
    (mssql.IMAGE(), types.LargeBinary, bytes),
    (mssql.NTEXT(), types.Text, str),
    (mssql.XML(), types.Text, str),
    (oracle.NUMBER(10, 2), types.Numeric, decimal.Decimal),
    (oracle.NUMBER(10), types.Integer, int),
    (oracle.VARCHAR2(30), types.String, str),
    (oracle.NVARCHAR2(30), types.String, str),
    (oracle.CLOB(), types.Text, str),
    (oracle.RAW(16), types.LargeBinary, bytes),
    (oracle.BINARY_DOUBLE(), types.Float, float),
    (oracle.DATE(), types.DateTime, dt.datetime),
    (oracle.LONG(), types.Text, str),
]


@pytest.mark.parametrize("instance,generic,pytype", VENDOR_TYPES, ids=lambda v: repr(v))
def test_vendor_types_are_their_nearest_generic_type(instance, generic, pytype):
    assert isinstance(instance, generic)
    assert instance.python_type is pytype


def test_vendor_types_render_their_own_ddl_and_the_generic_ddl_elsewhere():
    assert mysql.DATETIME(fsp=6).compile("mysql") == "DATETIME(6)"
    assert mysql.DATETIME(fsp=6).compile("postgresql") == "TIMESTAMP WITHOUT TIME ZONE"
    assert mysql.SET("a", "b").compile("mysql") == "SET('a', 'b')"
    assert oracle.NUMBER(10, 2).compile("oracle") == "NUMBER(10, 2)"
    assert oracle.VARCHAR2(30).compile("sqlite") == "VARCHAR(30)"
    assert mssql.UNIQUEIDENTIFIER().compile("postgresql") == "UUID"
    assert repr(mysql.TINYINT(1)) == "TINYINT(display_width=1)"
    assert repr(mysql.VARCHAR(20, charset="utf8")) == "VARCHAR(length=20, charset='utf8')"


def test_vendor_types_refuse_unknown_options():
    with pytest.raises(exc.ArgumentError, match="unexpected"):
        mysql.TINYINT(bogus=1)
    with pytest.raises(exc.ArgumentError, match="comma"):
        mysql.SET("a,b")


def test_vendor_types_store_values_on_our_backends(engine):
    md = MetaData()
    t = Table(
        "vendor",
        md,
        Column("id", Integer, primary_key=True),
        Column("small", mysql.TINYINT(1)),
        Column("body", mysql.LONGTEXT()),
        Column("at", mysql.DATETIME(fsp=6)),
        Column("key", mssql.UNIQUEIDENTIFIER()),
        Column("amount", oracle.NUMBER(10, 2)),
        Column("code", oracle.VARCHAR2(10)),
    )
    md.create_all(engine)
    row = {
        "id": 1,
        "small": 7,
        "body": "text " * 100,
        "at": dt.datetime(2024, 1, 2, 3, 4, 5, 6),
        "key": uuid.UUID(int=3),
        "amount": decimal.Decimal("12.34"),
        "code": "X1",
    }
    with engine.begin() as conn:
        conn.execute(t.insert(), row)
        got = conn.execute(select(t)).mappings().one()
    assert dict(got) == row


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@h/db",
        "mysql+pymysql://u@h/db",
        "mariadb://h/db",
        "mssql+pyodbc://h/db",
        "oracle://h/db",
    ],
)
def test_engines_for_other_dialects_are_refused(url):
    with pytest.raises(exc.ArgumentError, match="unknown database URL scheme"):
        create_engine(url)


def test_array_concatenation(pg_engine):
    t, _ = _store(pg_engine, pg.ARRAY(Integer), [[1, 2]])
    with pg_engine.connect() as conn:
        assert conn.execute(select(t.c.v + [3])).scalar() == [1, 2, 3]  # noqa: RUF005


# -- ranges -------------------------------------------------------------------------------------
RANGE_CASES = {
    "INT4RANGE": (pg.INT4RANGE(), [pg.Range(1, 10), pg.Range(empty=True), pg.Range(5, None)]),
    "INT8RANGE": (pg.INT8RANGE(), [pg.Range(2**40, 2**41)]),
    "NUMRANGE": (
        pg.NUMRANGE(),
        [pg.Range(decimal.Decimal("1.5"), decimal.Decimal("2"), bounds="[]")],
    ),
    "DATERANGE": (pg.DATERANGE(), [pg.Range(dt.date(2024, 1, 1), dt.date(2024, 2, 1))]),
    "TSRANGE": (
        pg.TSRANGE(),
        [pg.Range(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2), bounds="()")],
    ),
    "TSTZRANGE": (
        pg.TSTZRANGE(),
        [pg.Range(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), None)],
    ),
}


@pytest.mark.parametrize("case", list(RANGE_CASES), ids=list(RANGE_CASES))
def test_range_types_round_trip(pg_engine, case):
    type_, values = RANGE_CASES[case]
    _, got = _store(pg_engine, type_, values)
    assert got == values
    assert type_.python_type is pg.Range


def test_range_operators(pg_engine):
    t, got = _store(pg_engine, pg.INT4RANGE(), [pg.Range(1, 5), pg.Range(10, 20)])
    assert got[0].contains(4) and 5 not in got[0] and got[0].lower_inc and not got[0].upper_inc
    assert _ids(pg_engine, t, t.c.v.contains(3)) == [0]
    assert _ids(pg_engine, t, t.c.v.contains(pg.Range(11, 12))) == [1]
    assert _ids(pg_engine, t, t.c.v.overlaps(pg.Range(4, 11))) == [0, 1]
    assert _ids(pg_engine, t, t.c.v.contained_by(pg.Range(0, 6))) == [0]
    assert _ids(pg_engine, t, t.c.v.strictly_left_of(pg.Range(6, 7))) == [0]
    assert _ids(pg_engine, t, t.c.v.adjacent_to(pg.Range(5, 10))) == [0, 1]
    assert _ids(pg_engine, t, t.c.v == pg.Range(10, 20)) == [1]


def test_range_bounds_are_checked():
    with pytest.raises(exc.ArgumentError, match="bounds"):
        pg.Range(1, 2, bounds="[[")
