"""Column types: every type of API.md round-trips the same Python type and value via the ORM.

On SQLite and PostgreSQL. Each type gets
its own declarative base and table, so a test creates only the table it needs. Besides fixed
examples, a hypothesis property per type stores generated values and reads them back
(the example count comes from the conftest profile: 25 by default, more with --slow).
"""

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uow_orm import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Session,
    SmallInteger,
    String,
    Text,
    Time,
    Uuid,
    declarative_base,
    select,
    text,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


# PostgreSQL text cannot hold NUL; surrogates are not valid UTF-8.
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    # large magnitudes are printed without exponent by jsonb and come back as int
    | st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
    | st.text(_chars, max_size=20)
)
_json_documents = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(_chars, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
).filter(lambda doc: isinstance(doc, (dict, list)))

IST = timezone(timedelta(hours=5, minutes=30))
PST = timezone(timedelta(hours=-8))


@dataclass
class Case:
    column_type: Any
    examples: list
    strategy: Any
    comparable: bool = True  # can be compared with == in a WHERE clause on both backends


CASES: dict[str, Case] = {
    "integer": Case(
        Integer,
        [0, 1, -1, 2**31 - 1, -(2**31)],
        st.integers(min_value=-(2**31), max_value=2**31 - 1),
    ),
    "big_integer": Case(
        BigInteger,
        [0, 2**63 - 1, -(2**63 - 1), 2**40 + 3],
        st.integers(min_value=-(2**63 - 1), max_value=2**63 - 1),
    ),
    "small_integer": Case(
        SmallInteger,
        [0, 32767, -32768, 42],
        st.integers(min_value=-32768, max_value=32767),
    ),
    "string": Case(
        String(50),
        ["hello", "", "héllo wörld ✓ 日本", "x" * 50, 'it\'s "quoted"\n\ttabbed'],
        st.text(_chars, max_size=50),
    ),
    "text": Case(
        Text,
        ["", "line one\nline two", "long " * 4000, "emoji 🎉 and ñ"],
        st.text(_chars, max_size=500),
    ),
    "boolean": Case(Boolean, [True, False], st.booleans()),
    "float": Case(
        Float,
        [0.0, 1.5, -0.1, 3.141592653589793, 1e300, -2.5e-300, 123456789.125],
        st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False),
    ),
    "numeric": Case(
        Numeric(18, 6),
        [
            Decimal("0.000000"),
            Decimal("123456789012.345678"),  # more digits than a double holds
            Decimal("-0.000001"),
            Decimal("999999999999.999999"),
            Decimal("0.100000"),
        ],
        st.decimals(
            min_value=Decimal("-999999999999.999999"),
            max_value=Decimal("999999999999.999999"),
            places=6,
            allow_nan=False,
            allow_infinity=False,
        ),
    ),
    "date": Case(
        Date,
        [date(2024, 2, 29), date(1970, 1, 1), date(1, 1, 1), date(9999, 12, 31)],
        st.dates(),
    ),
    "datetime": Case(
        DateTime,
        [
            datetime(2024, 2, 29, 13, 45, 30, 123456),
            datetime(1970, 1, 1),
            datetime(1999, 12, 31, 23, 59, 59, 999999),
        ],
        st.datetimes(),
    ),
    "datetime_tz": Case(
        DateTime(timezone=True),
        [
            datetime(2024, 2, 29, 13, 45, 30, 123456, tzinfo=UTC),
            datetime(2024, 7, 1, 8, 0, tzinfo=IST),
            datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=PST),
        ],
        st.datetimes(
            min_value=datetime(1900, 1, 1),
            max_value=datetime(2200, 1, 1),
            timezones=st.sampled_from([UTC, IST, PST]),
        ),
    ),
    "time": Case(
        Time,
        [time(13, 45, 30, 123456), time(0, 0), time(23, 59, 59, 999999)],
        st.times(),
    ),
    "json": Case(
        JSON,
        [
            {"a": [1, 2, {"b": None}], "c": "x", "d": True, "e": 1.5, "ü": "✓"},
            [1, "two", None, [3.25, False], {}],
            {"deep": {"deeper": {"deepest": [[], {}, [{"k": -7}]]}}},
            {},
        ],
        _json_documents,
        comparable=False,
    ),
    "uuid": Case(
        Uuid,
        [uuid.UUID("12345678-1234-5678-1234-567812345678"), uuid.uuid4()],
        st.uuids(),
    ),
    "large_binary": Case(
        LargeBinary,
        [b"", b"\x00\x01\xff", bytes(range(256)) * 4],
        st.binary(max_size=256),
    ),
    "enum": Case(Enum(Color), [Color.RED, Color.GREEN, Color.BLUE], st.sampled_from(Color)),
}

TYPE_NAMES = list(CASES)
COMPARABLE_TYPE_NAMES = [key for key, case in CASES.items() if case.comparable]


def _holder_class(key: str, column_type: Any):
    base = declarative_base()
    return type(
        f"Holder_{key}",
        (base,),
        {
            "__tablename__": f"holder_{key}",
            "id": Column(Integer, primary_key=True),
            "value": Column(column_type, nullable=True),
        },
    ), base


HOLDERS = {key: _holder_class(key, case.column_type) for key, case in CASES.items()}


@pytest.fixture(params=TYPE_NAMES)
def holder(request, engine):
    """(type name, mapped class) with its table created on the current backend."""
    model, base = HOLDERS[request.param]
    base.metadata.create_all(engine)
    return request.param, model


def store(engine, model, value) -> int:
    with Session(engine) as s:
        obj = model(value=value)
        s.add(obj)
        s.flush()
        pk = obj.id
        s.commit()
    return pk


def load(engine, model, pk):
    with Session(engine) as s:
        obj = s.get(model, pk)
        assert obj is not None
        return obj.value


def assert_same(loaded, expected, key: str) -> None:
    """Equal value and same Python type (recursively for JSON documents)."""
    if isinstance(expected, dict):
        assert isinstance(loaded, dict), (loaded, expected)
        assert set(loaded) == set(expected), (loaded, expected)
        for k in expected:
            assert_same(loaded[k], expected[k], key)
        return
    if isinstance(expected, list):
        assert isinstance(loaded, list), (loaded, expected)
        assert len(loaded) == len(expected), (loaded, expected)
        for a, b in zip(loaded, expected, strict=True):
            assert_same(a, b, key)
        return
    assert type(loaded) is type(expected), (key, loaded, expected)
    assert loaded == expected, (key, loaded, expected)
    if isinstance(expected, datetime):
        assert (loaded.tzinfo is None) == (expected.tzinfo is None), (key, loaded, expected)
        if expected.tzinfo is not None:
            assert loaded.utcoffset() is not None


def test_examples_and_none_round_trip_with_same_type_and_value(engine, holder):
    key, model = holder
    stored = [(store(engine, model, value), value) for value in CASES[key].examples]
    for pk, value in stored:
        assert_same(load(engine, model, pk), value, key)
    assert load(engine, model, store(engine, model, None)) is None


@pytest.mark.parametrize("holder", COMPARABLE_TYPE_NAMES, indirect=True)
def test_query_by_value_finds_the_row(engine, holder):
    key, model = holder
    case = CASES[key]
    ids = {store(engine, model, value): value for value in case.examples}
    with Session(engine) as s:
        for pk, value in ids.items():
            found = s.scalars(select(model).where(model.value == value)).all()
            assert [obj.id for obj in found] == [pk], (key, value)


def test_values_round_trip_property(engine, holder):
    key, model = holder

    @settings(database=None)
    @given(value=CASES[key].strategy)
    def round_trip(value):
        assert_same(load(engine, model, store(engine, model, value)), value, key)

    round_trip()


def test_enum_is_stored_by_member_name_as_in_sqlalchemy(engine):
    model, base = HOLDERS["enum"]
    base.metadata.create_all(engine)
    pk = store(engine, model, Color.GREEN)
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT value FROM holder_enum WHERE id = :id"), {"id": pk})
        assert raw.scalar() == "GREEN"
    with engine.begin() as conn:  # a row written by a SQLAlchemy application reads back
        conn.execute(text("INSERT INTO holder_enum (id, value) VALUES (500, 'BLUE')"))
    assert load(engine, model, 500) is Color.BLUE


def test_big_integer_column_holds_64_bits_in_the_database(engine):
    model, base = HOLDERS["big_integer"]
    base.metadata.create_all(engine)
    pk = store(engine, model, 2**63 - 2)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE holder_big_integer SET value = value + 1 WHERE id = :id"), {"id": pk}
        )
    assert_same(load(engine, model, pk), 2**63 - 1, "big_integer")


def test_numeric_values_selected_as_a_column_are_exact_decimals(engine):
    model, base = HOLDERS["numeric"]
    base.metadata.create_all(engine)
    for value in [Decimal("0.100000"), Decimal("0.200000"), Decimal("123456789012.000001")]:
        store(engine, model, value)
    with Session(engine) as s:
        values = s.scalars(select(model.value).order_by(model.value)).all()
    assert values == [Decimal("0.1"), Decimal("0.2"), Decimal("123456789012.000001")]
    assert all(type(v) is Decimal for v in values)
    assert sum(values) == Decimal("123456789012.300001")
