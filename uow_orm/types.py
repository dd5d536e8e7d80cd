"""Column types: DDL name and value conversion per dialect, and checks of Python values.

Used by schema (DDL), the SQL compiler (binding values, reading results) and mapping
(types inferred from ``Mapped[...]`` annotations). A processor is None when the driver's
own conversion is already right, so that hot loops can skip the call.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from . import exc
from .exc import ColumnValueError

Processor = Callable[[Any], Any] | None


class _BadValue(exc.ColumnValueError):
    """Raised by a bind processor; the caller adds which column it was for.

    Callers re-raise it as `exc.ColumnValueError` naming the attribute; being one itself, it
    is still a uow_orm error should a path forget to.
    """


class TypeEngine:
    """Base of all column types."""

    python_type: ClassVar[type] = object
    #: True for integer types that may be a server-generated primary key.
    is_integer: ClassVar[bool] = False

    def ddl(self, dialect_name: str) -> str:
        raise NotImplementedError

    def bind_processor(self, dialect_name: str) -> Processor:
        """A function checking and converting a Python value for the driver, or None."""
        return None

    def result_processor(self, dialect_name: str) -> Processor:
        """A function converting a driver value to the Python value, or None."""
        return None

    def _coerce_identity(self, value: str) -> Any:
        """A primary-key value given to ``Session.get()`` as a string, converted."""
        return value

    def _bind(self, dialect_name: str) -> Processor:
        """``bind_processor`` built once per dialect and kept on the instance."""
        cache: dict[str, Processor] = self.__dict__.setdefault("_bind_cache", {})
        try:
            return cache[dialect_name]
        except KeyError:
            proc = cache[dialect_name] = self.bind_processor(dialect_name)
            return proc

    def _result(self, dialect_name: str) -> Processor:
        """``result_processor`` built once per dialect and kept on the instance."""
        cache: dict[str, Processor] = self.__dict__.setdefault("_result_cache", {})
        try:
            return cache[dialect_name]
        except KeyError:
            proc = cache[dialect_name] = self.result_processor(dialect_name)
            return proc

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def bind_processors(types: Iterable[TypeEngine], dialect_name: str) -> list[Processor]:
    """The bind processor of each type for ``dialect_name`` (None: no conversion needed),
    built once per type and dialect."""
    return [t._bind(dialect_name) for t in types]


def result_processors(types: Iterable[TypeEngine], dialect_name: str) -> list[Processor]:
    """The result processor of each type for ``dialect_name`` (None: the driver's value is
    already right), built once per type and dialect."""
    return [t._result(dialect_name) for t in types]


def processor_items(procs: Iterable[Processor]) -> list[tuple[int, Callable[[Any], Any]]]:
    """``(position, processor)`` of the processors that do something, for `apply_processors`."""
    return [(i, p) for i, p in enumerate(procs) if p is not None]


def apply_processors(
    rows: Iterable[list[Any]],
    items: Sequence[tuple[int, Callable[[Any], Any]]],
    on_error: Callable[[int, Any, ColumnValueError], Exception] | None = None,
) -> None:
    """Convert, in place, the non-None values of each row (a list) at the positions of
    ``items`` (from `processor_items`): the one loop through which type processors run,
    bind processors on the write path and result processors on the read path.

    Args:
        rows: lists of values, changed in place.
        items: ``(position, processor)`` pairs.
        on_error: builds the exception raised for a value a bind processor refuses, from
            its position, the value and the processor's error; without it that error is
            raised as is.

    Raises:
        exc.ColumnValueError: a value the column's type refuses.
    """
    if not items:
        return
    for vals in rows:
        for i, p in items:
            v = vals[i]
            if v is not None:
                try:
                    vals[i] = p(v)
                except _BadValue as e:
                    if on_error is None:
                        raise
                    raise on_error(i, v, e) from None


def _expect(kind: str, value: Any) -> _BadValue:
    return _BadValue(f"expected {kind}, got {type(value).__name__} {value!r:.80}")


class Integer(TypeEngine):
    python_type = int
    is_integer = True
    _ddl = "INTEGER"
    _bits = 32

    def ddl(self, dialect_name: str) -> str:
        return self._ddl

    def bind_processor(self, dialect_name: str) -> Processor:
        low, high = -(2 ** (self._bits - 1)), 2 ** (self._bits - 1) - 1
        if dialect_name == "sqlite":
            # SQLite stores any 64-bit integer in any integer column.
            low, high = -(2**63), 2**63 - 1
        kind = f"an int between {low} and {high} for {type(self).__name__}"

        def check(value: Any) -> Any:
            if type(value) is int:
                if low <= value <= high:
                    return value
                raise _BadValue(f"integer {value} out of range; expected {kind}")
            if isinstance(value, int):  # bool and int subclasses (IntEnum)
                return int(value)
            raise _expect(kind, value)

        return check

    def _coerce_identity(self, value: str) -> Any:
        try:
            return int(value)
        except ValueError:
            raise _BadValue(f"{value!r} is not an integer") from None


class SmallInteger(Integer):
    _ddl = "SMALLINT"
    _bits = 16


class BigInteger(Integer):
    _ddl = "BIGINT"
    _bits = 64


class String(TypeEngine):
    python_type = str

    def __init__(self, length: int | None = None) -> None:
        self.length = length

    def ddl(self, dialect_name: str) -> str:
        return f"VARCHAR({self.length})" if self.length else "VARCHAR"

    def bind_processor(self, dialect_name: str) -> Processor:
        def check(value: Any) -> Any:
            if type(value) is str:
                return value
            if isinstance(value, str):
                return str(value)
            raise _expect("a str", value)

        return check

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.length or ''})"


class Text(String):
    def ddl(self, dialect_name: str) -> str:
        return "TEXT"


class Boolean(TypeEngine):
    python_type = bool

    def ddl(self, dialect_name: str) -> str:
        return "BOOLEAN"

    def bind_processor(self, dialect_name: str) -> Processor:
        def check(value: Any) -> Any:
            if value is True or value is False:
                return value
            if type(value) is int and value in (0, 1):
                return bool(value)
            raise _expect("a bool", value)

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        return bool if dialect_name == "sqlite" else None


class Float(TypeEngine):
    python_type = float

    def ddl(self, dialect_name: str) -> str:
        return "REAL" if dialect_name == "sqlite" else "DOUBLE PRECISION"

    def bind_processor(self, dialect_name: str) -> Processor:
        nan_ok = dialect_name != "sqlite"

        def check(value: Any) -> Any:
            if isinstance(value, (float, int)) and not isinstance(value, bool):
                value = float(value)
                if value != value and not nan_ok:
                    raise _BadValue("NaN cannot be stored in SQLite (it would become NULL)")
                return value
            if isinstance(value, decimal.Decimal):
                return float(value)
            raise _expect("a float", value)

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        return float


class Numeric(TypeEngine):
    """Exact decimal numbers, returned as `decimal.Decimal`.

    SQLite has no exact decimal type (its NUMERIC affinity keeps only 15 significant
    digits), so on SQLite ``Numeric(p, s)`` with ``p <= 18`` is stored as an INTEGER count
    of ``10**-s`` units: exact, ordered and summable in SQL. Without a scale (or with
    ``p > 18``) values with more than 15 significant digits are rejected there rather than
    rounded. Values with more decimals than ``s`` are rounded half up, as PostgreSQL does.
    """

    python_type = decimal.Decimal

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        self.precision = precision
        self.scale = scale

    @property
    def _scaled_on_sqlite(self) -> bool:
        return self.scale is not None and self.precision is not None and self.precision <= 18

    def ddl(self, dialect_name: str) -> str:
        if self.precision is None:
            return "NUMERIC"
        if self.scale is None:
            return f"NUMERIC({self.precision})"
        return f"NUMERIC({self.precision}, {self.scale})"

    def _to_decimal(self, value: Any) -> decimal.Decimal:
        if isinstance(value, decimal.Decimal):
            d = value
        elif isinstance(value, int) and not isinstance(value, bool):
            d = decimal.Decimal(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _BadValue(f"{value} is not a finite number")
            d = decimal.Decimal(repr(value))
        else:
            raise _expect("a Decimal", value)
        return d

    def bind_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite":
            to_decimal = self._to_decimal
            if self.precision is None or self.scale is None:

                def check(value: Any) -> Any:
                    return to_decimal(value)

                return check
            # Checked here so that the error names the attribute (the server's "numeric
            # field overflow" does not); rounding up to the limit is left to the server.
            integer_digits = self.precision - self.scale
            declared = f"Numeric({self.precision}, {self.scale})"

            def check_digits(value: Any) -> Any:
                d = to_decimal(value)
                if d.is_finite() and d and d.adjusted() >= integer_digits:
                    raise _BadValue(
                        f"{d} does not fit {declared}: it needs more than {integer_digits} "
                        "digits before the decimal point"
                    )
                return d

            return check_digits
        if self._scaled_on_sqlite:
            assert self.scale is not None and self.precision is not None
            scale, limit = self.scale, 10**self.precision
            quantum = decimal.Decimal(1).scaleb(-scale)

            def scaled(value: Any) -> Any:
                d = self._to_decimal(value)
                if not d.is_finite():
                    raise _BadValue(f"{d} cannot be stored in a Numeric column on SQLite")
                try:
                    units = int(d.quantize(quantum, rounding=decimal.ROUND_HALF_UP).scaleb(scale))
                except decimal.InvalidOperation:  # more digits than the decimal context has
                    units = limit
                if abs(units) >= limit:
                    raise _BadValue(
                        f"{d} does not fit Numeric({self.precision}, {scale}): it needs more "
                        f"than {self.precision} digits"
                    )
                return units

            return scaled

        def text(value: Any) -> Any:
            d = self._to_decimal(value)
            if not d.is_finite():
                raise _BadValue(f"{d} cannot be stored in a Numeric column on SQLite")
            if len(d.normalize().as_tuple().digits) > 15:
                raise _BadValue(
                    f"{d} has more than 15 significant digits, which SQLite cannot store "
                    "exactly; declare Numeric(p, s) with p <= 18 to store it exactly"
                )
            return str(d)

        return text

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite":
            return None
        scale = self.scale or 0
        quantum = decimal.Decimal(1).scaleb(-scale) if self.scale is not None else None
        scaled = self._scaled_on_sqlite

        def convert(value: Any) -> Any:
            if scaled and type(value) is int:
                return decimal.Decimal(value).scaleb(-scale)
            d = decimal.Decimal(repr(value)) if type(value) is float else decimal.Decimal(value)
            if quantum is not None and d.is_finite():
                try:
                    return d.quantize(quantum)
                except decimal.InvalidOperation:
                    return d
            return d

        return convert

    def __repr__(self) -> str:
        return f"Numeric({self.precision}, {self.scale})"


class Date(TypeEngine):
    python_type = dt.date

    def ddl(self, dialect_name: str) -> str:
        return "DATE"

    def bind_processor(self, dialect_name: str) -> Processor:
        sqlite = dialect_name == "sqlite"

        def check(value: Any) -> Any:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value.isoformat() if sqlite else value
            raise _expect("a datetime.date (not a datetime)", value)

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        return dt.date.fromisoformat if dialect_name == "sqlite" else None


class DateTime(TypeEngine):
    """Timestamps; ``timezone=True`` requires aware values, otherwise naive ones."""

    python_type = dt.datetime

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def ddl(self, dialect_name: str) -> str:
        if dialect_name == "sqlite":
            return "DATETIME"
        return "TIMESTAMP WITH TIME ZONE" if self.timezone else "TIMESTAMP WITHOUT TIME ZONE"

    def bind_processor(self, dialect_name: str) -> Processor:
        sqlite = dialect_name == "sqlite"
        aware = self.timezone

        def check(value: Any) -> Any:
            if not isinstance(value, dt.datetime):
                raise _expect("a datetime.datetime", value)
            if (value.utcoffset() is not None) != aware:
                if aware:
                    raise _BadValue(
                        f"naive datetime {value!r} given to DateTime(timezone=True); "
                        "attach a tzinfo (e.g. datetime.timezone.utc)"
                    )
                raise _BadValue(
                    f"timezone-aware datetime {value!r} given to DateTime(timezone=False); "
                    "use a naive datetime or declare DateTime(timezone=True)"
                )
            if sqlite:
                if aware:
                    # Stored in UTC, so that SQLite's text comparison and ordering are
                    # those of the instants (as on PostgreSQL).
                    value = value.astimezone(dt.UTC)
                return value.isoformat(" ")
            return value

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite":
            return None
        if not self.timezone:
            return dt.datetime.fromisoformat
        parse, utc = dt.datetime.fromisoformat, dt.UTC

        def aware_utc(value: Any) -> Any:
            d = parse(value)
            if d.tzinfo is None:
                # text without offset, e.g. from CURRENT_TIMESTAMP, which SQLite gives in UTC
                return d.replace(tzinfo=utc)
            # rows written before values were normalised may carry other offsets
            return d.astimezone(utc) if d.utcoffset() else d

        return aware_utc

    def __repr__(self) -> str:
        return f"DateTime(timezone={self.timezone})"


class Time(TypeEngine):
    python_type = dt.time

    def ddl(self, dialect_name: str) -> str:
        return "TIME"

    def bind_processor(self, dialect_name: str) -> Processor:
        sqlite = dialect_name == "sqlite"

        def check(value: Any) -> Any:
            if isinstance(value, dt.time):
                if value.tzinfo is not None:
                    raise _BadValue(
                        f"time with tzinfo {value!r} is not supported; use a naive datetime.time"
                    )
                return value.isoformat() if sqlite else value
            raise _expect("a datetime.time", value)

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        return dt.time.fromisoformat if dialect_name == "sqlite" else None


class JSON(TypeEngine):
    """JSON documents (dicts, lists, scalars). In-place mutation is not tracked."""

    python_type = dict

    def ddl(self, dialect_name: str) -> str:
        return "JSON" if dialect_name == "sqlite" else "JSONB"

    def bind_processor(self, dialect_name: str) -> Processor:
        if dialect_name == "sqlite":

            def dumps(value: Any) -> Any:
                try:
                    return json.dumps(value, allow_nan=False)
                except (TypeError, ValueError) as e:
                    raise _BadValue(f"value is not JSON serializable: {e}") from None
                except RecursionError:
                    raise _BadValue(_JSON_TOO_DEEP) from None

            return dumps
        from psycopg.types.json import Jsonb

        def wrap(value: Any) -> Any:
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as e:
                raise _BadValue(f"value is not JSON serializable: {e}") from None
            except RecursionError:
                raise _BadValue(_JSON_TOO_DEEP) from None
            return Jsonb(value)

        return wrap

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name != "sqlite":
            return None
        decode = json.loads

        def loads(value: Any) -> Any:
            try:
                return decode(value)
            except RecursionError:
                raise exc.ResultValueError(
                    f"JSON text read from the database is {_JSON_TOO_DEEP}"
                ) from None
            except ValueError as e:
                raise exc.ResultValueError(
                    f"JSON text read from the database cannot be decoded: {e}"
                ) from None

        return loads


_JSON_TOO_DEEP = "nested too deeply to encode or decode (Python's recursion limit)"


class Uuid(TypeEngine):
    python_type = uuid.UUID

    def ddl(self, dialect_name: str) -> str:
        return "CHAR(32)" if dialect_name == "sqlite" else "UUID"

    def bind_processor(self, dialect_name: str) -> Processor:
        sqlite = dialect_name == "sqlite"

        def check(value: Any) -> Any:
            if isinstance(value, uuid.UUID):
                return value.hex if sqlite else value
            raise _expect("a uuid.UUID", value)

        return check

    def _coerce_identity(self, value: str) -> Any:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _BadValue(f"{value!r} is not a UUID") from None

    def result_processor(self, dialect_name: str) -> Processor:
        if dialect_name == "sqlite":
            return lambda v: uuid.UUID(hex=v)
        return None


class LargeBinary(TypeEngine):
    python_type = bytes

    def ddl(self, dialect_name: str) -> str:
        return "BLOB" if dialect_name == "sqlite" else "BYTEA"

    def bind_processor(self, dialect_name: str) -> Processor:
        def check(value: Any) -> Any:
            if type(value) is bytes:
                return value
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            raise _expect("bytes", value)

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        return bytes


class Enum(TypeEngine):
    """A Python `enum.Enum`, stored by member *value*."""

    def __init__(self, enum_class: type[enum.Enum], length: int | None = None) -> None:
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.Enum)):
            raise TypeError(f"Enum() takes an enum.Enum subclass, got {enum_class!r}")
        self.enum_class = enum_class
        values = [m.value for m in enum_class]
        self._int_values = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        if not self._int_values and not all(isinstance(v, str) for v in values):
            raise TypeError(
                f"Enum({enum_class.__name__}) needs members whose values are all str or all int"
            )
        self.length = length or max((len(str(v)) for v in values), default=1)

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.enum_class

    def ddl(self, dialect_name: str) -> str:
        return "INTEGER" if self._int_values else f"VARCHAR({self.length})"

    def bind_processor(self, dialect_name: str) -> Processor:
        cls = self.enum_class

        def check(value: Any) -> Any:
            if isinstance(value, cls):
                return value.value
            raise _expect(f"a member of {cls.__name__}", value)

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        cls = self.enum_class
        members = {m.value: m for m in cls}.get  # faster than calling the enum class

        def member(value: Any) -> Any:
            found = members(value)
            if found is not None:
                return found
            try:
                return cls(value)  # the enum's own _missing_, if it has one
            except ValueError:
                allowed = ", ".join(repr(m.value) for m in cls)
                raise exc.ResultValueError(
                    f"{value!r} read from the database is not among the values of enum "
                    f"{cls.__name__} ({allowed}); add it to the enum or fix the row"
                ) from None

        return member

    def __repr__(self) -> str:
        return f"Enum({self.enum_class.__name__})"


class _InListArray(TypeEngine):
    """An IN list sent as one parameter: an array (PostgreSQL) or JSON text (SQLite).

    Used only by the compiler for statements over the backend's parameter limit
    (`uow_orm.sql.elements.InExpression`); each item is checked by ``item_type``.
    """

    def __init__(self, item_type: TypeEngine) -> None:
        self.item_type = item_type

    def bind_processor(self, dialect_name: str) -> Processor:
        item = self.item_type._bind(dialect_name)

        def items(values: Any) -> list[Any]:
            if item is None:
                return list(values)
            return [v if v is None else item(v) for v in values]

        if dialect_name != "sqlite":
            return items

        def as_json(values: Any) -> Any:
            checked = items(values)
            try:
                return json.dumps(checked, allow_nan=False)
            except (TypeError, ValueError) as e:
                raise _BadValue(
                    "an IN list over SQLite's parameter limit is sent as one JSON array, "
                    f"which cannot hold these values ({e}); split the list into chunks"
                ) from None

        return as_json


class NullType(TypeEngine):
    """The type of a value whose type is not known (e.g. a ``text()`` parameter)."""

    def ddl(self, dialect_name: str) -> str:
        raise TypeError("NullType has no DDL; give the column a type")


NULLTYPE = NullType()


def type_for_python(pytype: Any) -> TypeEngine | None:
    """The column type a ``Mapped[pytype]`` annotation means, or None if unknown."""
    if isinstance(pytype, type):
        if issubclass(pytype, enum.Enum):
            return Enum(pytype)
        if issubclass(pytype, bool):
            return Boolean()
        for py, factory in _PY_TYPES:
            if issubclass(pytype, py):
                return factory()
    return None


_PY_TYPES: list[tuple[type, Callable[[], TypeEngine]]] = [
    (int, Integer),
    (str, String),
    (float, Float),
    (decimal.Decimal, Numeric),
    (dt.datetime, DateTime),
    (dt.date, Date),
    (dt.time, Time),
    (bytes, LargeBinary),
    (uuid.UUID, Uuid),
    (dict, JSON),
    (list, JSON),
]


def literal_type(value: Any) -> TypeEngine:
    """The type used to bind a literal Python value compared with nothing typed."""
    t = type_for_python(type(value))
    return t if t is not None else NULLTYPE


__all__ = [
    "JSON",
    "BigInteger",
    "Boolean",
    "Date",
    "DateTime",
    "Enum",
    "Float",
    "Integer",
    "LargeBinary",
    "NullType",
    "Numeric",
    "SmallInteger",
    "String",
    "Text",
    "Time",
    "TypeEngine",
    "Uuid",
]
