"""The rest of SQLAlchemy's type system: TypeDecorator, UserDefinedType, with_variant,
type_coerce, the uppercase SQL names, Unicode, Double, Interval, PickleType, Enum options,
generic ARRAY, JSON paths, python_type and repr.

Issues 13 ("Types") and 22 ("Types" names), on SQLite and PostgreSQL: every value is
written through a table, read back from the database and looked up with a WHERE clause.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import pickle
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import uow_orm
from uow_orm import (
    ARRAY,
    BIGINT,
    BINARY,
    BLOB,
    BOOLEAN,
    CHAR,
    CLOB,
    DATE,
    DATETIME,
    DECIMAL,
    DOUBLE,
    DOUBLE_PRECISION,
    FLOAT,
    INTEGER,
    JSON,
    NCHAR,
    NUMERIC,
    NVARCHAR,
    REAL,
    SMALLINT,
    TEXT,
    TIME,
    TIMESTAMP,
    UUID,
    VARBINARY,
    VARCHAR,
    BigInteger,
    Column,
    DeclarativeBase,
    Double,
    Enum,
    Integer,
    Interval,
    LargeBinary,
    Mapped,
    MetaData,
    Numeric,
    PickleType,
    Session,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UnicodeText,
    UserDefinedType,
    exc,
    func,
    mapped_column,
    select,
    text,
    type_coerce,
    types,
)
from uow_orm.dialects import postgresql as pg
from uow_orm.schema import ColumnDefault


class Color(enum.Enum):
    RED = "r"
    GREEN = "g"


class Size(enum.IntEnum):
    S = 1
    L = 2


def _table(type_: Any, name: str = "t") -> tuple[MetaData, Table]:
    md = MetaData()
    return md, Table(name, md, Column("id", Integer, primary_key=True), Column("v", type_))


def _store(engine: Any, type_: Any, values: list[Any]) -> tuple[Table, list[Any]]:
    """Create a one-column table of ``type_``, insert ``values``, return what reads back."""
    md, t = _table(type_)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": i, "v": v} for i, v in enumerate(values)])
        got = [r[0] for r in conn.execute(select(t.c.v).order_by(t.c.id)).all()]
    return t, got


@dataclass
class Case:
    type_: Any
    values: list[Any]
    comparable: bool = True


CASES: dict[str, Case] = {
    "Unicode": Case(Unicode(30), ["héllo wörld ✓", "日本", ""]),
    "UnicodeText": Case(UnicodeText(), ["long " * 500 + "🎉"]),
    "CHAR": Case(CHAR(3), ["abc", "xyz"]),
    "VARCHAR": Case(VARCHAR(10), ["a", "0123456789"]),
    "NVARCHAR": Case(NVARCHAR(10), ["ñ", "ü"]),
    "NCHAR": Case(NCHAR(2), ["ab"]),
    "TEXT": Case(TEXT(), ["some text"]),
    "CLOB": Case(CLOB(), ["a clob"]),
    "INTEGER": Case(INTEGER(), [0, -(2**31), 2**31 - 1]),
    "BIGINT": Case(BIGINT(), [2**62, -(2**62)]),
    "SMALLINT": Case(SMALLINT(), [32767, -32768]),
    "FLOAT": Case(FLOAT(), [1.5, -0.25]),
    "Double": Case(Double(), [3.141592653589793, -1e300]),
    "DOUBLE": Case(DOUBLE(), [2.718281828459045]),
    "DOUBLE_PRECISION": Case(DOUBLE_PRECISION(), [1e-300]),
    "REAL": Case(REAL(), [1.5, 0.25]),  # exactly representable in single precision
    "NUMERIC": Case(NUMERIC(10, 2), [decimal.Decimal("12.50"), decimal.Decimal("-0.01")]),
    "DECIMAL": Case(DECIMAL(12, 4), [decimal.Decimal("1.2345")]),
    "Numeric asdecimal=False": Case(Numeric(10, 2, asdecimal=False), [12.5, -0.25]),
    "DATE": Case(DATE(), [dt.date(2024, 2, 29)]),
    "DATETIME": Case(DATETIME(), [dt.datetime(2024, 2, 29, 13, 45, 30, 5)]),
    "TIMESTAMP": Case(TIMESTAMP(), [dt.datetime(1999, 12, 31, 23, 59, 59)]),
    "TIMESTAMP tz": Case(
        TIMESTAMP(timezone=True), [dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)]
    ),
    "TIME": Case(TIME(), [dt.time(1, 2, 3, 4)]),
    "BOOLEAN": Case(BOOLEAN(), [True, False]),
    "BINARY": Case(BINARY(4), [b"\x00\x01\x02\x03"]),
    "VARBINARY": Case(VARBINARY(8), [b"ab", b""]),
    "BLOB": Case(BLOB(), [b"\xff" * 100]),
    "UUID": Case(UUID(), [uuid.UUID(int=5), uuid.uuid4()]),
    "UUID as_uuid=False": Case(UUID(as_uuid=False), [str(uuid.UUID(int=7))]),
    "Uuid as_uuid=False": Case(uow_orm.Uuid(as_uuid=False), [str(uuid.UUID(int=8))]),
    "Uuid native_uuid=False": Case(uow_orm.Uuid(native_uuid=False), [uuid.UUID(int=9)]),
    "LargeBinary(length)": Case(LargeBinary(16), [b"\x01" * 16]),
    "Boolean(create_constraint)": Case(uow_orm.Boolean(create_constraint=True), [True, False]),
    "Interval": Case(
        Interval(),
        [dt.timedelta(days=1, seconds=3, microseconds=5), dt.timedelta(days=-40), dt.timedelta()],
    ),
    "Interval native=False": Case(Interval(native=False), [dt.timedelta(hours=-3, seconds=1)]),
    "PickleType": Case(PickleType(), [{"a": [1, 2, (3, 4)]}, {1, 2}], comparable=False),
    "Enum strings": Case(Enum("draft", "published", name="status"), ["draft", "published"]),
    "Enum class": Case(Enum(Color), [Color.RED, Color.GREEN]),
    "Enum int values": Case(Enum(Size), [Size.S, Size.L]),
    "Enum values_callable": Case(
        Enum(Color, values_callable=lambda cls: [m.name.lower() for m in cls], name="colorname"),
        [Color.GREEN, Color.RED],
    ),
    "Enum non-native": Case(Enum("x", "y", native_enum=False, name="xy"), ["x", "y"]),
    "JSON": Case(JSON(), [{"a": {"b": [1, 2]}}, [1, "x"], 5, "text"], comparable=False),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_type_round_trips_and_finds_its_row(engine, case):
    c = CASES[case]
    t, got = _store(engine, c.type_, c.values)
    assert got == c.values
    assert [type(v) for v in got] == [type(v) for v in c.values]
    if c.comparable:
        with engine.connect() as conn:
            for i, v in enumerate(c.values):
                assert conn.execute(select(t.c.id).where(t.c.v == v)).scalars().all() == [i]


def test_generic_types_are_instances_of_their_generic_classes():
    assert isinstance(VARCHAR(3), String) and isinstance(NVARCHAR(3), Unicode)
    assert isinstance(UnicodeText(), Text) and isinstance(CLOB(), Text)
    assert isinstance(BIGINT(), BigInteger) and isinstance(INTEGER(), Integer)
    assert isinstance(DOUBLE_PRECISION(), Double) and isinstance(REAL(), uow_orm.Float)
    assert isinstance(DECIMAL(), Numeric) and isinstance(TIMESTAMP(), uow_orm.DateTime)
    assert isinstance(BLOB(), LargeBinary) and isinstance(Enum("a"), String)
    assert isinstance(UUID(), uow_orm.Uuid)


def test_uppercase_types_render_a_type_each_backend_has():
    assert [VARCHAR(5).compile(d) for d in ("sqlite", "postgresql")] == ["VARCHAR(5)"] * 2
    assert NVARCHAR(5).compile("postgresql") == "VARCHAR(5)"
    assert NVARCHAR(5).compile("sqlite") == "NVARCHAR(5)"
    assert CLOB().compile("postgresql") == "TEXT"
    assert BLOB().compile("postgresql") == "BYTEA" and BLOB().compile("sqlite") == "BLOB"
    assert DATETIME().compile("postgresql") == "TIMESTAMP WITHOUT TIME ZONE"
    assert TIMESTAMP(timezone=True).compile("postgresql") == "TIMESTAMP WITH TIME ZONE"
    assert Double().compile("postgresql") == "DOUBLE PRECISION"
    assert DECIMAL(10, 2).compile("sqlite") == "DECIMAL(10, 2)"
    assert str(String(50)) == "VARCHAR(50)"


def test_boolean_create_constraint_checks_the_stored_integer(engine):
    md, _ = _table(uow_orm.Boolean(create_constraint=True, name="ck_flag"))
    md.create_all(engine)
    if engine.dialect.name == "sqlite":
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO t (id, v) VALUES (1, 2)"))


def test_uuid_native_uuid_false_stores_hex_text(engine):
    _store(engine, uow_orm.Uuid(native_uuid=False), [uuid.UUID(int=10)])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT v FROM t")).scalar() == uuid.UUID(int=10).hex


def test_time_with_timezone_is_refused():
    with pytest.raises(exc.ArgumentError, match="timezone"):
        TIME(timezone=True)


# -- Interval -----------------------------------------------------------------------------------
def test_interval_compares_and_orders_in_sql(engine):
    values = [dt.timedelta(hours=5), dt.timedelta(minutes=1), dt.timedelta(days=-1)]
    t, _ = _store(engine, Interval(), values)
    with engine.connect() as conn:
        longer = conn.execute(
            select(t.c.v).where(t.c.v > dt.timedelta(minutes=30)).order_by(t.c.v)
        ).scalars()
        assert longer.all() == [dt.timedelta(hours=5)]
        ordered = conn.execute(select(t.c.v).order_by(t.c.v)).scalars().all()
        assert ordered == sorted(values)


def test_interval_storage_is_native_on_postgresql_and_emulated_on_sqlite(engine):
    _store(engine, Interval(), [dt.timedelta(days=1, microseconds=5)])
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT v FROM t")).scalar()
    if engine.dialect.name == "sqlite":
        assert raw == "1970-01-02 00:00:00.000005"
    else:
        assert raw == dt.timedelta(days=1, microseconds=5)


def test_interval_refuses_other_values(engine):
    md, t = _table(Interval())
    md.create_all(engine)
    with engine.begin() as conn, pytest.raises(exc.ColumnValueError, match="timedelta"):
        conn.execute(t.insert(), {"id": 1, "v": 5})


@given(
    st.lists(
        st.timedeltas(min_value=dt.timedelta(days=-700000), max_value=dt.timedelta(days=700000)),
        min_size=1,
        max_size=5,
    )
)
def test_interval_round_trip_property(engine, values):
    md, t = _table(Interval(), "prop_interval")
    md.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(t.insert(), [{"id": i, "v": v} for i, v in enumerate(values)])
            got = conn.execute(select(t.c.v).order_by(t.c.id)).scalars().all()
        assert got == values
    finally:
        md.drop_all(engine)


# -- PickleType ---------------------------------------------------------------------------------
class Base(DeclarativeBase):
    pass


@dataclass(frozen=True)
class Point:
    x: int
    y: int


class Shape(Base):
    __tablename__ = "shapes"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[Any] = mapped_column(PickleType())
    span: Mapped[dt.timedelta] = mapped_column(Interval(), nullable=True)


def test_pickle_type_round_trips_objects_through_the_orm(engine):
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Shape(id=1, data={"corners": [Point(0, 0), Point(1, 2)]}, span=dt.timedelta(1)))
        s.commit()
    with Session(engine) as s:
        shape = s.get(Shape, 1)
        assert shape.data == {"corners": [Point(0, 0), Point(1, 2)]}
        assert shape.span == dt.timedelta(days=1)
        shape.data = {"corners": []}
        s.commit()
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT data FROM shapes")).scalar()
    assert pickle.loads(bytes(raw)) == {"corners": []}


def test_types_deep_copy():
    import copy

    for t in (PickleType(), LowerString(5), Enum(Color), String(3).with_variant(Text(), "sqlite")):
        clone = copy.deepcopy(t)
        assert type(clone) is type(t) and repr(clone) == repr(t)


def test_pickle_type_comparator_decides_equality():
    t = PickleType(comparator=lambda a, b: a["k"] == b["k"])
    assert t.compare_values({"k": 1, "x": 1}, {"k": 1, "x": 2})
    assert not PickleType().compare_values({"k": 1, "x": 1}, {"k": 1, "x": 2})


# -- Enum ---------------------------------------------------------------------------------------
def _pg_type_labels(engine: Any, name: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
                "WHERE t.typname = :n ORDER BY e.enumsortorder"
            ).bindparams(n=name)
        )
        return [r[0] for r in rows]


def test_native_enum_is_a_postgresql_type_created_and_dropped_with_the_table(engine):
    md, t = _table(Enum("draft", "published", name="post_state"))
    md.create_all(engine)
    if engine.dialect.name == "postgresql":
        assert _pg_type_labels(engine, "post_state") == ["draft", "published"]
    with engine.begin() as conn:
        conn.execute(t.insert(), {"id": 1, "v": "published"})
    md.drop_all(engine)
    if engine.dialect.name == "postgresql":
        assert _pg_type_labels(engine, "post_state") == []
    md.create_all(engine)  # again: the type is created again, once
    md.drop_all(engine)


def test_enum_type_shared_by_two_tables_is_created_once_and_dropped_with_the_last(engine):
    state = Enum("a", "b", name="shared_state")
    md = MetaData()
    t1 = Table("t1", md, Column("id", Integer, primary_key=True), Column("s", state))
    Table("t2", md, Column("id", Integer, primary_key=True), Column("s", state))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t1.insert(), {"id": 1, "s": "b"})
    t1.drop(engine)
    if engine.dialect.name == "postgresql":
        assert _pg_type_labels(engine, "shared_state") == ["a", "b"]
    md.drop_all(engine)
    if engine.dialect.name == "postgresql":
        assert _pg_type_labels(engine, "shared_state") == []


def test_enum_of_a_class_is_named_after_it_on_postgresql(engine):
    md, _ = _table(Enum(Color))
    md.create_all(engine)
    if engine.dialect.name == "postgresql":
        assert _pg_type_labels(engine, "color") == ["RED", "GREEN"]  # the member names
    md.drop_all(engine)


def test_enum_of_strings_without_a_name_cannot_be_native_on_postgresql(engine):
    md, _ = _table(Enum("a", "b"))
    if engine.dialect.name == "postgresql":
        with pytest.raises(exc.ArgumentError, match="needs a name"):
            md.create_all(engine)
    else:
        md.create_all(engine)


def test_enum_refuses_values_outside_the_enum(engine):
    for type_ in (Enum("a", "b", name="ab"), Enum("a", "b", name="ab2", validate_strings=True)):
        md, t = _table(type_)
        md.create_all(engine)
        with engine.begin() as conn, pytest.raises(exc.ColumnValueError, match="'c'"):
            conn.execute(t.insert(), {"id": 1, "v": "c"})
        md.drop_all(engine)


def test_enum_length_and_create_constraint(engine):
    type_ = Enum("x", "yy", name="xy", native_enum=False, length=10, create_constraint=True)
    assert type_.compile(engine.dialect) == "VARCHAR(10)"
    md, _ = _table(type_)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'yy')"))
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t (id, v) VALUES (2, 'zz')"))
    with pytest.raises(exc.ArgumentError, match="shorter"):
        Enum("long value", length=3)


def test_enum_binds_the_stored_name_of_a_member_or_the_name_itself(engine):
    t, _ = _store(engine, Enum(Color), [Color.RED, Color.GREEN])
    with engine.connect() as conn:
        assert conn.execute(select(t.c.id).where(t.c.v == "GREEN")).scalar() == 1
        assert conn.execute(text("SELECT v FROM t WHERE id = 0")).scalar() == "RED"


def test_enum_values_callable_stores_member_values(engine):
    by_value = Enum(Color, values_callable=lambda cls: [m.value for m in cls])
    t, _ = _store(engine, by_value, [Color.RED, Color.GREEN])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT v FROM t ORDER BY id")).scalars().all() == ["r", "g"]
        assert conn.execute(select(t.c.v).where(t.c.id == 1)).scalar() is Color.GREEN


def test_enum_python_type_and_unsupported_options():
    assert Enum(Color).python_type is Color and Enum("a").python_type is str
    with pytest.raises(exc.ArgumentError, match="sort_key_function"):
        Enum("a", sort_key_function=str)


# -- TypeDecorator ------------------------------------------------------------------------------
class LowerString(TypeDecorator):
    """Stores strings lower-cased; comparisons lower-case too."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value.lower()

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return f"<{value}>"


class GUID(TypeDecorator):
    """SQLAlchemy's documented backend-agnostic GUID: UUID on PostgreSQL, CHAR(32) elsewhere."""

    impl = CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(pg.UUID())
        return dialect.type_descriptor(CHAR(32))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return value
        return uuid.UUID(str(value)).hex

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


class JSONEncoded(TypeDecorator):
    """SQLAlchemy's documented JSON-as-text type, with LIKE comparing against the raw text."""

    impl = Text
    cache_ok = True

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        if op in ("LIKE", "NOT LIKE"):
            return String()
        return self

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return json.dumps(value, sort_keys=True)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return json.loads(value)


def test_type_decorator_impl_class_takes_the_constructor_arguments():
    t = LowerString(30)
    assert isinstance(t.impl, String) and t.impl.length == 30
    assert t.length == 30  # attributes of impl read through
    assert t.compile("sqlite") == "VARCHAR(30)"
    assert repr(t) == "LowerString(length=30)"
    assert t.python_type is str


def test_type_decorator_impl_instance_is_used_as_is():
    class Fixed(TypeDecorator):
        impl = CHAR(4)
        cache_ok = True

    assert Fixed().compile("postgresql") == "CHAR(4)"
    with pytest.raises(exc.ArgumentError, match="already an instance"):
        Fixed(10)


def test_type_decorator_without_impl_is_refused():
    class NoImpl(TypeDecorator):
        pass

    with pytest.raises(exc.ArgumentError, match="impl"):
        NoImpl()


def test_type_decorator_converts_binds_results_and_comparisons(engine):
    t, got = _store(engine, LowerString(20), ["HeLLo", "World"])
    assert got == ["<hello>", "<world>"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT v FROM t ORDER BY id")).scalars().all() == [
            "hello",
            "world",
        ]
        # the compared value goes through process_bind_param too
        assert conn.execute(select(t.c.id).where(t.c.v == "WORLD")).scalar() == 1
        assert conn.execute(select(t.c.id).where(t.c.v.in_(["HELLO"]))).scalar() == 0


def test_type_decorator_load_dialect_impl_picks_the_type_per_backend(engine):
    ids = [uuid.UUID(int=1), uuid.UUID(int=2)]
    t, got = _store(engine, GUID(), ids)
    assert got == ids
    expected = "UUID" if engine.dialect.name == "postgresql" else "CHAR(32)"
    assert GUID().compile(engine.dialect) == expected
    with engine.connect() as conn:
        assert conn.execute(select(t.c.id).where(t.c.v == ids[1])).scalar() == 1


def test_type_decorator_coerce_compared_value_chooses_the_comparison_type(engine):
    t, got = _store(engine, JSONEncoded(), [{"name": "ada"}, {"name": "bob"}])
    assert got == [{"name": "ada"}, {"name": "bob"}]
    with engine.connect() as conn:
        # LIKE compares against the stored text: the pattern is not JSON-encoded
        assert conn.execute(select(t.c.id).where(t.c.v.like('%"bob"%'))).scalar() == 1
        # = compares JSON-encoded values
        assert conn.execute(select(t.c.id).where(t.c.v == {"name": "ada"})).scalar() == 0


def test_type_decorator_literal_processor_uses_process_literal_param():
    class Cents(TypeDecorator):
        impl = Integer
        cache_ok = True

        def process_literal_param(self, value: Any, dialect: Any) -> Any:
            return int(value * 100)

    assert Cents().literal_processor("sqlite")(decimal.Decimal("1.25")) == "125"
    assert String().literal_processor("sqlite")("it's") == "'it''s'"


def test_type_decorator_comparator_factory_redefines_operators(engine):
    class CaseInsensitive(TypeDecorator):
        impl = String
        cache_ok = True

        class comparator_factory(TypeDecorator.Comparator):
            def __eq__(self, other: Any) -> Any:
                return func.lower(self.expr) == func.lower(other)

    t, _ = _store(engine, CaseInsensitive(20), ["Ada", "Bob"])
    expr = t.c.v == "ADA"
    assert "lower(" in str(expr)
    with engine.connect() as conn:
        assert conn.execute(select(t.c.id).where(expr)).scalar() == 0


def test_type_decorator_over_json_keeps_json_path_operators(engine):
    class Doc(TypeDecorator):
        impl = JSON
        cache_ok = True

    t, _ = _store(engine, Doc(), [{"a": {"b": 1}}, {"a": {"b": 2}}])
    with engine.connect() as conn:
        assert conn.execute(select(t.c.id).where(t.c.v["a"]["b"].as_integer() == 2)).scalar() == 1


def test_type_decorator_in_a_mapped_class(engine):
    class B(DeclarativeBase):
        pass

    class Account(B):
        __tablename__ = "accounts"
        id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True)
        handle: Mapped[str] = mapped_column(LowerString(30))

    B.metadata.create_all(engine)
    key = uuid.UUID(int=42)
    with Session(engine) as s:
        s.add(Account(id=key, handle="MiXeD"))
        s.commit()
    with Session(engine) as s:
        acct = s.get(Account, key)
        assert acct.handle == "<mixed>"
        assert s.scalars(select(Account.id).where(Account.handle == "MIXED")).one() == key


# -- UserDefinedType ----------------------------------------------------------------------------
class PointType(UserDefinedType):
    """A point stored as text 'x,y' (the shape of SQLAlchemy's UserDefinedType example)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VARCHAR(40)"

    def bind_processor(self, dialect: Any) -> Any:
        assert dialect.name in ("sqlite", "postgresql")

        def process(value: Point) -> str:
            return f"{value.x},{value.y}"

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: str) -> Point:
            x, y = value.split(",")
            return Point(int(x), int(y))

        return process


def test_user_defined_type_ddl_binds_and_results(engine):
    t, got = _store(engine, PointType(), [Point(1, 2), Point(-3, 4)])
    assert got == [Point(1, 2), Point(-3, 4)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT v FROM t WHERE id = 1")).scalar() == "-3,4"
        assert conn.execute(select(t.c.id).where(t.c.v == Point(1, 2))).scalar() == 0
    assert PointType().compile("postgresql") == "VARCHAR(40)"


# -- with_variant -------------------------------------------------------------------------------
def test_with_variant_uses_the_variant_on_the_named_dialect(engine):
    doc = JSON().with_variant(pg.JSONB(), "postgresql")
    assert isinstance(doc, JSON)
    expected = "JSONB" if engine.dialect.name == "postgresql" else "JSON"
    assert doc.compile(engine.dialect) == expected
    t, got = _store(engine, doc, [{"k": [1, 2]}])
    assert got == [{"k": [1, 2]}]
    with engine.connect() as conn:
        assert conn.execute(select(t.c.v["k"][1].as_integer())).scalar() == 2


def test_with_variant_changes_storage_per_backend(engine):
    num = String(20).with_variant(Integer(), "sqlite")
    md, t = _table(num)
    md.create_all(engine)
    value = 7 if engine.dialect.name == "sqlite" else "seven"
    with engine.begin() as conn:
        conn.execute(t.insert(), {"id": 1, "v": value})
        assert conn.execute(select(t.c.v)).scalar() == value
    assert num.compile("postgresql") == "VARCHAR(20)" and num.compile("sqlite") == "INTEGER"
    assert num.dialect_impl("sqlite").compile("sqlite") == "INTEGER"


def test_with_variant_of_a_native_enum_creates_no_type_where_the_variant_applies(engine):
    state = Enum("on", "off", name="switch_state").with_variant(String(3), "postgresql")
    md, t = _table(state)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), {"id": 1, "v": "on"})
        assert conn.execute(select(t.c.v)).scalar() == "on"
    if engine.dialect.name == "postgresql":
        assert _pg_type_labels(engine, "switch_state") == []


def test_with_variant_refuses_duplicates_and_no_dialect():
    v = String().with_variant(Text(), "postgresql")
    with pytest.raises(exc.ArgumentError, match="already has a variant"):
        v.with_variant(Integer(), "postgresql")
    with pytest.raises(exc.ArgumentError, match="dialect name"):
        String().with_variant(Text())
    chained = v.with_variant(Integer(), "sqlite")
    assert chained.compile("sqlite") == "INTEGER" and chained.compile("postgresql") == "TEXT"


# -- type_coerce --------------------------------------------------------------------------------
def test_type_coerce_reads_and_binds_as_another_type_without_a_cast(engine):
    t, _ = _store(engine, String(20), ["AbC"])
    expr = type_coerce(t.c.v, LowerString(20))
    assert "CAST" not in str(select(expr))
    with engine.connect() as conn:
        assert conn.execute(select(expr)).scalar() == "<AbC>"
        lit = type_coerce("XYZ", LowerString(10))
        assert conn.execute(select(lit)).scalar() == "<xyz>"


# -- JSON paths ---------------------------------------------------------------------------------
DOCS = [
    {"name": "ada", "age": 36, "score": 1.5, "admin": True, "tags": ["x", "y"], "a": {"b": 1}},
    {"name": "bob", "age": 41, "score": 2.25, "admin": False, "tags": ["z"], "a": {"b": 2}},
]


@pytest.fixture
def docs(engine):
    t, _ = _store(engine, JSON(), DOCS)
    return t


def test_json_index_returns_json_values(engine, docs):
    t = docs
    with engine.connect() as conn:
        assert conn.execute(select(t.c.v["a"]).order_by(t.c.id)).scalars().all() == [
            {"b": 1},
            {"b": 2},
        ]
        assert conn.execute(select(t.c.v["a"]["b"]).where(t.c.id == 1)).scalar() == 2
        assert conn.execute(select(t.c.v[("a", "b")]).where(t.c.id == 0)).scalar() == 1
        assert conn.execute(select(t.c.v["tags"][1]).where(t.c.id == 0)).scalar() == "y"
        assert conn.execute(select(t.c.v["missing"]).where(t.c.id == 0)).scalar() is None


def test_json_as_readers_cast_the_element(engine, docs):
    t = docs
    with engine.connect() as conn:

        def ids(cond: Any) -> list[int]:
            return conn.execute(select(t.c.id).where(cond).order_by(t.c.id)).scalars().all()

        assert ids(t.c.v["name"].as_string() == "bob") == [1]
        assert ids(t.c.v["age"].as_integer() > 40) == [1]
        assert ids(t.c.v["score"].as_float() < 2.0) == [0]
        assert ids(t.c.v["admin"].as_boolean()) == [0]
        assert ids(t.c.v[("a", "b")].as_integer() == 1) == [0]
        assert ids(t.c.v["a"].as_json() == {"b": 2}) == [1]
        row = conn.execute(
            select(
                t.c.v["name"].as_string(),
                t.c.v["age"].as_integer(),
                t.c.v["score"].as_float(),
                t.c.v["admin"].as_boolean(),
                t.c.v["score"].as_numeric(10, 2),
            ).where(t.c.id == 1)
        ).one()
        assert tuple(row) == ("bob", 41, 2.25, False, decimal.Decimal("2.25"))


def test_json_compares_indexed_elements_as_json(engine, docs):
    t = docs
    with engine.connect() as conn:
        assert conn.execute(select(t.c.id).where(t.c.v["age"] == 36)).scalar() == 0
        assert conn.execute(select(t.c.id).where(t.c.v["name"] == "bob")).scalar() == 1


def test_json_as_readers_need_an_indexed_element(docs):
    with pytest.raises(exc.ArgumentError, match="indexed JSON element"):
        docs.c.v.as_string()


def test_json_paths_through_orm_attributes(engine):
    class B(DeclarativeBase):
        pass

    class Item(B):
        __tablename__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        attrs: Mapped[dict[str, Any]] = mapped_column(JSON())

    B.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Item(id=1, attrs={"color": "red"}), Item(id=2, attrs={"color": "blue"})])
        s.commit()
        found = s.scalars(select(Item).where(Item.attrs["color"].as_string() == "blue")).all()
        assert [i.id for i in found] == [2]


def test_indexing_a_non_indexable_type_is_refused():
    _md, t = _table(Integer())
    with pytest.raises(exc.ArgumentError, match="does not support indexing"):
        t.c.v["x"]
    with pytest.raises(AttributeError):
        t.c.v.astext


# -- generic ARRAY ------------------------------------------------------------------------------
def test_generic_array_round_trips_on_postgresql_and_is_refused_on_sqlite(engine):
    md, t = _table(ARRAY(Integer))
    if engine.dialect.name == "sqlite":
        with pytest.raises(exc.ArgumentError, match="ARRAY columns need PostgreSQL"):
            md.create_all(engine)
        return
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": 1, "v": [1, 2, 3]}, {"id": 2, "v": [7]}])
        assert conn.execute(select(t.c.v).order_by(t.c.id)).scalars().all() == [[1, 2, 3], [7]]
        assert conn.execute(select(t.c.v[2]).where(t.c.id == 1)).scalar() == 2
        assert conn.execute(select(t.c.id).where(t.c.v.any(7))).scalar() == 2
        assert conn.execute(select(t.c.id).where(t.c.v == [1, 2, 3])).scalar() == 1
        assert conn.execute(select(t.c.id).where(uow_orm.any_(t.c.v) == 3)).scalar() == 1
    with pytest.raises(exc.ArgumentError, match=r"postgresql\.ARRAY"):
        t.c.v.contains([1])


def test_array_refuses_nested_arrays_and_non_lists():
    with pytest.raises(exc.ArgumentError, match="dimensions"):
        ARRAY(ARRAY(Integer))
    proc = ARRAY(Integer)._bind("postgresql")
    with pytest.raises(types._BadValue):
        proc("not a list")


# -- python_type and repr -----------------------------------------------------------------------
def _instances() -> list[Any]:
    out = []
    for name in types.__all__:
        obj = getattr(types, name)
        if not (isinstance(obj, type) and issubclass(obj, types.TypeEngine)):
            continue
        if obj in (types.TypeEngine, types.TypeDecorator, types.UserDefinedType):
            continue
        if obj is types.Enum:
            out.append(obj("a", "b"))
        elif obj is types.ARRAY:
            out.append(obj(Integer))
        else:
            out.append(obj())
    return out


def test_every_type_has_a_python_type():
    for t in _instances():
        assert isinstance(t.python_type, type), t


def test_python_type_and_repr_match_sqlalchemy():
    sa = pytest.importorskip("sqlalchemy")  # the oracle is optional; uow_orm is tested above
    pairs = [
        (String(50), sa.String(50)),
        (String(), sa.String()),
        (Integer(), sa.Integer()),
        (Numeric(10, 2), sa.Numeric(10, 2)),
        (uow_orm.DateTime(timezone=True), sa.DateTime(timezone=True)),
        (Unicode(20), sa.Unicode(20)),
        (VARCHAR(10), sa.VARCHAR(10)),
        (CHAR(3), sa.CHAR(3)),
        (Enum("a", "b", name="x"), sa.Enum("a", "b", name="x")),
        (Interval(), sa.Interval()),
        (ARRAY(Integer), sa.ARRAY(sa.Integer)),
        (Double(), sa.Double()),
        (TIMESTAMP(timezone=True), sa.TIMESTAMP(timezone=True)),
        (Text(), sa.Text()),
        (LargeBinary(), sa.LargeBinary()),
        (NUMERIC(5, 2), sa.NUMERIC(5, 2)),
        (uow_orm.Float(), sa.Float()),
        (UUID(), sa.UUID()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert ours.python_type is theirs.python_type, ours


def test_repr_of_our_types():
    assert repr(String(50)) == "String(length=50)"
    assert repr(Numeric(10, 2)) == "Numeric(precision=10, scale=2)"
    assert repr(Enum(Color)) == "Enum(Color)"
    assert repr(Enum("a", name="x", native_enum=False)) == "Enum('a', name='x', native_enum=False)"
    assert repr(PickleType()) == "PickleType()"


# -- names --------------------------------------------------------------------------------------
def test_type_names_are_importable_from_uow_orm_and_types():
    for name in ("TypeDecorator", "TypeEngine", "Unicode", "UnicodeText", "VARCHAR", "CHAR"):
        assert getattr(uow_orm, name) is getattr(types, name)
    assert uow_orm.types.TypeDecorator is TypeDecorator
    from uow_orm.sql import sqltypes

    assert sqltypes.Enum is Enum and sqltypes.NullType is types.NullType


def test_column_default_keeps_its_argument():
    assert ColumnDefault(5).arg == 5 and ColumnDefault(5).is_scalar
    assert ColumnDefault(dt.datetime.now).is_callable
    assert ColumnDefault(func.now()).is_clause_element
    assert ColumnDefault(ColumnDefault("x")).arg == "x"


def test_a_typed_model_using_these_types_passes_mypy_strict(tmp_path):
    pytest.importorskip("mypy")  # the harness needs mypy; test_typing.py does the same
    from test_typing import ROOT, run_mypy

    output, status = run_mypy(ROOT / "tests" / "typing_types_cases.py", tmp_path)
    assert status == 0 and not output.strip(), output


def test_adding_strings_concatenates_in_sql(engine):
    t, _ = _store(engine, String(20), ["ab"])
    with engine.connect() as conn:
        assert conn.execute(select(t.c.v + "!")).scalar() == "ab!"
        assert conn.execute(select(">" + t.c.v)).scalar() == ">ab"
        assert conn.execute(select(t.c.v + t.c.v)).scalar() == "abab"
        assert conn.execute(select(t.c.id).where(t.c.v + "c" == "abc")).scalar() == 0
        assert conn.execute(select(t.c.id + 1)).scalar() == 1  # numbers still add


def test_type_family_markers_as_in_sqlalchemy():
    assert isinstance(String(), types.Concatenable) and isinstance(ARRAY(Integer), types.Indexable)
    assert isinstance(JSON(), types.Indexable) and isinstance(Enum("a"), types.SchemaType)
    assert isinstance(uow_orm.Boolean(), types.SchemaType)
    assert isinstance(PickleType(), types.ExternalType) and types.INT is INTEGER
    assert isinstance(types.MatchType(), uow_orm.Boolean)


# -- typing.Literal and type-map Enum templates (module level: annotations are strings) --
Status = Literal["pending", "received", "completed"]


class Mood(enum.Enum):
    HAPPY = "h"
    SAD = "s"


def test_literal_annotations_map_to_non_native_enums_and_the_type_map_configures_them(engine):
    from uow_orm.orm import DeclarativeBase

    class Base(DeclarativeBase):
        type_annotation_map = {
            enum.Enum: Enum(enum.Enum, native_enum=False, length=20),
        }

    class Order(Base):
        __tablename__ = "lit_order"
        id: Mapped[int] = mapped_column(primary_key=True)
        status: Mapped[Status]
        note: Mapped[Literal["x", "yy"] | None]
        mood: Mapped[Mood]

    cols = Order.__table__.c
    assert (cols.status.type.enums, cols.status.type.native_enum) == (
        ["pending", "received", "completed"],
        False,
    )
    assert cols.status.type.compile(engine.dialect) == "VARCHAR(9)"
    assert cols.note.nullable and not cols.status.nullable
    # the enum.Enum entry configured Mood's Enum: not native, 20 long, named by the class
    assert (cols.mood.type.enum_class, cols.mood.type.native_enum) == (Mood, False)
    assert cols.mood.type.compile(engine.dialect) == "VARCHAR(20)"
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Order(id=1, status="received", note="yy", mood=Mood.SAD))
        s.commit()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, note, mood FROM lit_order")).one()
        assert tuple(row) == ("received", "yy", "SAD")
    with Session(engine) as s:
        o = s.get(Order, 1)
        assert (o.status, o.note, o.mood) == ("received", "yy", Mood.SAD)
        s.add(Order(id=2, status="bogus", mood=Mood.HAPPY))
        with pytest.raises(exc.ColumnValueError, match="bogus"):
            s.flush()


def test_a_literal_of_non_strings_needs_a_type_map_entry():
    from uow_orm.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="cannot infer a column type"):

        class Flag(Base):
            __tablename__ = "lit_flag"
            id: Mapped[int] = mapped_column(primary_key=True)
            v: Mapped[Literal[0, 1]]
