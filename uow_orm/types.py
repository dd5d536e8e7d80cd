"""Column types: DDL name and value conversion per dialect, and checks of Python values.

Used by schema (DDL), the SQL compiler (binding values, reading results) and mapping
(types inferred from ``Mapped[...]`` annotations). A processor is None when the driver's
own conversion is already right, so that hot loops can skip the call.

Called by: uow_orm, uow_orm._generic_types, uow_orm._typebase, uow_orm.dialects.*,
uow_orm.ext.compiler, uow_orm.ext.mutable, uow_orm.migrate.autogenerate, uow_orm.migrate.operations,
uow_orm.orm.*, uow_orm.sql.schema, uow_orm.sql.*.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Self

from . import exc

# re-exported: the SQL and ORM layers and the dialect types import them from here
from ._processors import Processor as Processor
from ._processors import _BadValue as _BadValue
from ._processors import apply_processors as apply_processors
from ._processors import processor_items as processor_items

# Operator strings of the SQL expression layer -> the Comparator method a type may override.
_OPERATOR_METHODS: dict[str, str] = {
    "=": "__eq__",
    "!=": "__ne__",
    "<": "__lt__",
    "<=": "__le__",
    ">": "__gt__",
    ">=": "__ge__",
    "+": "__add__",
    "-": "__sub__",
    "*": "__mul__",
    "/": "__truediv__",
    "%": "__mod__",
}
#: Every public name some Comparator subclass defines (``astext``, ``has_key``, ``any``...):
#: the only names column expressions look up on their type's comparator.
COMPARATOR_NAMES: set[str] = set()


_DUNDERS = frozenset(_OPERATOR_METHODS.values()) | {"__getitem__", "__radd__"}


class TypeEngine:
    """Base of all column types."""

    def __class_getitem__(cls, item: Any) -> type[Self]:
        """``TypeDecorator[str]``, as typed SQLAlchemy code subclasses it: the class itself
        (the Python type parameter documents the values; nothing checks it at run time)."""
        return cls

    class Comparator:
        """The operators a column expression gets from its type (``TypeEngine.Comparator``).

        A type's ``comparator_factory`` subclass may redefine operators (``__add__``,
        ``__eq__``...) or add methods (``astext``, ``contains``); ``self.expr`` is the
        expression, ``self.type`` its type.
        """

        __slots__ = ("expr", "type")
        #: Names a subclass defines (computed per subclass); empty for the default comparator.
        _overrides: ClassVar[frozenset[str]] = frozenset()

        def __init__(self, expr: Any) -> None:
            self.expr = expr
            self.type = expr.type

        def __init_subclass__(cls, **kw: Any) -> None:
            super().__init_subclass__(**kw)
            names: set[str] = set()
            for klass in cls.__mro__:
                if klass is TypeEngine.Comparator:
                    break
                names.update(n for n in vars(klass) if not n.startswith("_") or n in _DUNDERS)
            names.discard("operate")
            cls._overrides = frozenset(names)
            COMPARATOR_NAMES.update(n for n in names if not n.startswith("_"))

        def operate(self, op: str, other: Any) -> Any:
            """Apply the default SQL operator ``op`` (an operator string such as ``"="``)."""
            return self.expr._operate(op, other)

        def op(self, opstring: str, **kw: Any) -> Any:
            """A custom binary operator: ``self.op("@@")(other)``."""
            return self.expr.op(opstring, **kw)

        def __eq__(self, other: Any) -> Any:
            return self.operate("=", other)

        def __ne__(self, other: Any) -> Any:
            return self.operate("!=", other)

        def __lt__(self, other: Any) -> Any:
            return self.operate("<", other)

        def __le__(self, other: Any) -> Any:
            return self.operate("<=", other)

        def __gt__(self, other: Any) -> Any:
            return self.operate(">", other)

        def __ge__(self, other: Any) -> Any:
            return self.operate(">=", other)

        def __add__(self, other: Any) -> Any:
            return self.operate("+", other)

        def __sub__(self, other: Any) -> Any:
            return self.operate("-", other)

        def __mul__(self, other: Any) -> Any:
            return self.operate("*", other)

        def __truediv__(self, other: Any) -> Any:
            return self.operate("/", other)

        def __mod__(self, other: Any) -> Any:
            return self.operate("%", other)

        def __getitem__(self, index: Any) -> Any:
            raise exc.ArgumentError(
                f"{self.type!r} does not support indexing ([]); JSON, ARRAY and HSTORE types do"
            )

        __hash__ = object.__hash__

    python_type: ClassVar[type] = object
    #: True for integer types that may be a server-generated primary key.
    is_integer: ClassVar[bool] = False

    def ddl(self, dialect_name: str) -> str:
        """The column type as written in CREATE TABLE on ``dialect_name``."""
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

    # -- the SQLAlchemy TypeEngine API (see uow_orm/_typebase.py) ----------------------
    #: Column operators specific to this type (``col["key"]``, ``col.any(x)``, ...).
    comparator_factory: ClassVar[type[Comparator]] = Comparator
    #: Whether values of this type can be hashed (used by change detection).
    hashable: ClassVar[bool] = True
    #: Whether PostgreSQL needs ``placeholder::TYPE`` to read bound values right (arrays).
    render_bind_cast: ClassVar[bool] = False

    def compile(self, dialect: Any = None) -> str:
        """The DDL name of this type for ``dialect`` (a Dialect or its name; SQLite by default)."""
        return self.ddl(_dialect_name(dialect))

    def with_variant(self, type_: TypeEngine | type[TypeEngine], *dialect_names: str) -> Any:
        """A copy of this type that uses ``type_`` on the named dialects (``"postgresql"``).

        Raises `exc.ArgumentError` when no dialect name is given or one already has a variant.
        """
        from ._typebase import make_variant

        return make_variant(self, type_, dialect_names)

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine:
        """The type used to bind ``value`` when it is compared with a column of this type."""
        return self

    def compare_values(self, x: Any, y: Any) -> bool:
        """Whether two Python values of this type are equal (change detection)."""
        return bool(x == y)

    def copy(self, **kw: Any) -> TypeEngine:
        """A shallow copy without the per-dialect processor caches.

        Raises:
            exc.ArgumentError: for any keyword (SQLAlchemy's ``copy(**kw)`` takes none that
                uow_orm would honour).
        """
        if kw:
            raise exc.ArgumentError(f"TypeEngine.copy() takes no options, got {sorted(kw)}")
        import copy as _copy

        new = _copy.copy(self)
        new.__dict__.pop("_bind_cache", None)
        new.__dict__.pop("_result_cache", None)
        return new

    def dialect_impl(self, dialect: Any) -> TypeEngine:
        """The type actually used on ``dialect`` (a variant's or decorator's own impl)."""
        return self

    def literal_processor(self, dialect: Any) -> Processor:
        """A function rendering a Python value as an SQL literal for ``dialect``."""
        return _render_literal

    def _type_for(self, dialect_name: str) -> TypeEngine:
        """The type that really applies on a dialect (through variants and decorators)."""
        return self

    def _named_types(self, dialect_name: str) -> list[Any]:
        """Database-level types (PostgreSQL ENUMs) that CREATE TABLE needs to exist first."""
        return []

    def _column_check_sql(self, column_sql: str, dialect_name: str) -> str | None:
        """A CHECK condition this type adds to its column's DDL, or None."""
        return None

    @property
    def _type_affinity(self) -> type[TypeEngine]:
        """The generic type class this type belongs to (``String`` for ``VARCHAR``)."""
        for cls in type(self).__mro__:
            if cls.__module__ in _GENERIC_MODULES and not cls.__name__.isupper():
                return cls
        return type(self)

    def __repr__(self) -> str:
        from ._typebase import generic_repr

        return generic_repr(self)

    def __str__(self) -> str:
        return self.compile()


Comparator = TypeEngine.Comparator


class Concatenable(TypeEngine):
    """A type whose ``+`` is SQL concatenation (``||``): strings (and arrays)."""

    class Comparator(TypeEngine.Comparator):
        """``a + b`` renders ``a || b``."""

        __slots__ = ()

        def __add__(self, other: Any) -> Any:
            from .sql.elements import BinaryExpression, coerce_expression

            right = coerce_expression(other, self.type)
            return BinaryExpression(self.expr, "||", right, self.type)

        def __radd__(self, other: Any) -> Any:
            from .sql.elements import BinaryExpression, coerce_expression

            left = coerce_expression(other, self.type)
            return BinaryExpression(left, "||", self.expr, self.type)

    comparator_factory = Comparator


class Indexable(TypeEngine):
    """A type whose values support ``col[index]`` (JSON, ARRAY, HSTORE)."""


class SchemaType:
    """A type that may add schema objects to its table (a PostgreSQL ENUM type, a CHECK
    constraint): ``Enum`` and ``Boolean``."""


class ExternalType(TypeEngine):
    """Types written outside uow_orm: ``TypeDecorator`` and ``UserDefinedType``."""

    cache_ok: ClassVar[bool | None] = None


_GENERIC_MODULES = frozenset({"uow_orm.types", "uow_orm._generic_types"})


def _render_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, decimal.Decimal)):
        return repr(value) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _dialect_name(dialect: Any) -> str:
    if dialect is None:
        return "sqlite"
    return dialect if isinstance(dialect, str) else str(dialect.name)


def bind_processors(types: Iterable[TypeEngine], dialect_name: str) -> list[Processor]:
    """The bind processor of each type for ``dialect_name`` (None: no conversion needed),
    built once per type and dialect."""
    return [t._bind(dialect_name) for t in types]


def result_processors(types: Iterable[TypeEngine], dialect_name: str) -> list[Processor]:
    """The result processor of each type for ``dialect_name`` (None: the driver's value is
    already right), built once per type and dialect."""
    return [t._result(dialect_name) for t in types]


def _expect(kind: str, value: Any) -> _BadValue:
    return _BadValue(f"expected {kind}, got {type(value).__name__} {value!r:.80}")


class Integer(TypeEngine):
    """A 32-bit integer (``INTEGER``); Python ``int``, range-checked when bound."""

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
    """A 16-bit integer (``SMALLINT``)."""

    _ddl = "SMALLINT"
    _bits = 16


class BigInteger(Integer):
    """A 64-bit integer (``BIGINT``)."""

    _ddl = "BIGINT"
    _bits = 64


class String(Concatenable):
    """Text of an optional maximum ``length`` (``VARCHAR(n)``); Python ``str``. ``+`` is
    SQL concatenation."""

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


class Text(String):
    """Unbounded text (``TEXT``)."""

    def ddl(self, dialect_name: str) -> str:
        return "TEXT"


class Boolean(SchemaType, TypeEngine):
    """True/False; ``create_constraint=True`` adds ``CHECK (col IN (0, 1))`` where the
    boolean is stored as an integer (SQLite)."""

    python_type = bool

    def __init__(self, create_constraint: bool = False, name: str | None = None) -> None:
        self.create_constraint = create_constraint
        self.name = name

    def _column_check_sql(self, column_sql: str, dialect_name: str) -> str | None:
        if self.create_constraint and dialect_name == "sqlite":
            return f"{column_sql} IN (0, 1)"
        return None

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
    """Binary floating point; ``asdecimal=True`` returns `decimal.Decimal` values."""

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return decimal.Decimal if self.asdecimal else float

    def __init__(
        self,
        precision: int | None = None,
        asdecimal: bool = False,
        decimal_return_scale: int | None = None,
    ) -> None:
        self.precision = precision
        self.asdecimal = asdecimal
        self.decimal_return_scale = decimal_return_scale

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
        if self.asdecimal:
            scale = self.decimal_return_scale

            def to_decimal(value: Any) -> Any:
                d = decimal.Decimal(repr(float(value)))
                return d if scale is None else d.quantize(decimal.Decimal(1).scaleb(-scale))

            return to_decimal
        return float


class Numeric(TypeEngine):
    """Exact decimal numbers, returned as `decimal.Decimal`.

    SQLite has no exact decimal type (its NUMERIC affinity keeps only 15 significant
    digits), so on SQLite ``Numeric(p, s)`` with ``p <= 18`` is stored as an INTEGER count
    of ``10**-s`` units: exact, ordered and summable in SQL. Without a scale (or with
    ``p > 18``) values with more than 15 significant digits are rejected there rather than
    rounded. Values with more decimals than ``s`` are rounded half up, as PostgreSQL does.
    """

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return decimal.Decimal if self.asdecimal else float

    def __init__(
        self,
        precision: int | None = None,
        scale: int | None = None,
        *,
        decimal_return_scale: int | None = None,
        asdecimal: bool = True,
    ) -> None:
        self.precision = precision
        self.scale = scale
        self.decimal_return_scale = decimal_return_scale
        self.asdecimal = asdecimal

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
        proc = self._decimal_result_processor(dialect_name)
        if self.asdecimal:
            return proc
        if proc is None:
            return float
        return lambda value: float(proc(value))

    def _decimal_result_processor(self, dialect_name: str) -> Processor:
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


def _temporal_operand_type(type_: TypeEngine, op: Any, value: Any) -> TypeEngine:
    """``column + timedelta`` / ``func.now() - timedelta``: the timedelta binds as an
    interval (PostgreSQL ``INTERVAL``; SQLite, which has no interval arithmetic, refuses
    it by name), not as a value of the date/time column."""
    if op in ("+", "-") and isinstance(value, dt.timedelta):
        from ._generic_types import ArithmeticInterval

        return ArithmeticInterval()
    return type_


class Date(TypeEngine):
    """A calendar date (``DATE``); Python ``datetime.date``."""

    python_type = dt.date

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine:
        return _temporal_operand_type(self, op, value)

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

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine:
        return _temporal_operand_type(self, op, value)

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


class Time(TypeEngine):
    """A time of day (``TIME``); Python ``datetime.time``."""

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


class JSON(Indexable):
    """JSON documents (dicts, lists, scalars). In-place mutation is not tracked.

    ``col["key"]``, ``col[0]`` and ``col[("a", 1)]`` reach inside a document on both
    backends; ``.as_string()``, ``.as_integer()``, ``.as_float()``, ``.as_boolean()``,
    ``.as_numeric(p, s)`` and ``.as_json()`` read the element as that type.
    """

    python_type = dict

    class Comparator(Comparator):
        """JSON path access: ``col["a"]["b"]`` and the ``as_*()`` readers."""

        __slots__ = ()

        def __getitem__(self, index: Any) -> Any:
            from .sql.typed_ops import json_index

            return json_index(self.expr, index)

        def as_string(self) -> Any:
            from .sql.typed_ops import json_as

            return json_as(self.expr, "as_string", String())

        def as_integer(self) -> Any:
            from .sql.typed_ops import json_as

            return json_as(self.expr, "as_integer", Integer())

        def as_float(self) -> Any:
            from .sql.typed_ops import json_as

            return json_as(self.expr, "as_float", Float())

        def as_boolean(self) -> Any:
            from .sql.typed_ops import json_as

            return json_as(self.expr, "as_boolean", Boolean())

        def as_numeric(self, precision: int, scale: int, asdecimal: bool = True) -> Any:
            from .sql.typed_ops import json_as

            return json_as(self.expr, "as_numeric", Numeric(precision, scale, asdecimal=asdecimal))

        def as_json(self) -> Any:
            from .sql.typed_ops import json_as

            return json_as(self.expr, "as_json", None)

    comparator_factory = Comparator
    hashable = False

    def __init__(self, none_as_null: bool = False) -> None:
        self.none_as_null = none_as_null

    def ddl(self, dialect_name: str) -> str:
        return "JSON" if dialect_name == "sqlite" else "JSONB"

    def bind_processor(self, dialect_name: str) -> Processor:
        if dialect_name == "sqlite":

            def dumps(value: Any) -> Any:
                try:
                    # SQLite's JSON functions write compact UTF-8 text; writing the same
                    # form makes col["k"] == value and col == value compare as expected.
                    return json.dumps(
                        value, allow_nan=False, separators=(",", ":"), ensure_ascii=False
                    )
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
            # A top-level JSON number is stored by SQLite as a number (the JSON column has
            # NUMERIC affinity) and comes back as int or float, which is already the value.
            if not isinstance(value, str):
                return value
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
    """UUIDs: native ``UUID`` on PostgreSQL (unless ``native_uuid=False``), ``CHAR(32)``
    hex elsewhere. ``as_uuid=False`` binds and returns the canonical string form."""

    def __init__(self, as_uuid: bool = True, native_uuid: bool = True) -> None:
        self.as_uuid = as_uuid
        self.native_uuid = native_uuid

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return uuid.UUID if self.as_uuid else str

    def _hex_on(self, dialect_name: str) -> bool:
        return dialect_name == "sqlite" or not self.native_uuid

    def ddl(self, dialect_name: str) -> str:
        return "CHAR(32)" if self._hex_on(dialect_name) else "UUID"

    def bind_processor(self, dialect_name: str) -> Processor:
        sqlite = self._hex_on(dialect_name)
        from_str = not self.as_uuid

        def check(value: Any) -> Any:
            if from_str and isinstance(value, str):
                try:
                    value = uuid.UUID(value)
                except ValueError:
                    raise _BadValue(f"{value!r:.80} is not a UUID string") from None
            if isinstance(value, uuid.UUID):
                return value.hex if sqlite else value
            raise _expect("a uuid.UUID" + (" or UUID string" if from_str else ""), value)

        return check

    def _coerce_identity(self, value: str) -> Any:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _BadValue(f"{value!r} is not a UUID") from None

    def result_processor(self, dialect_name: str) -> Processor:
        if self._hex_on(dialect_name):
            if self.as_uuid:
                return lambda v: uuid.UUID(hex=v)
            return lambda v: str(uuid.UUID(hex=v))
        return None if self.as_uuid else str


class LargeBinary(TypeEngine):
    """Binary data (``BLOB`` / ``BYTEA``); ``length`` is kept for other dialects' DDL."""

    python_type = bytes

    def __init__(self, length: int | None = None) -> None:
        self.length = length

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


def _check_enum_options(kw: dict[str, Any]) -> None:
    """Refuse ``Enum()`` keywords SQLAlchemy does not have, and those uow_orm has no
    behaviour for (given a value other than None / False)."""
    unknown = sorted(set(kw) - _ENUM_SQLALCHEMY_KEYS)
    if unknown:
        raise exc.ArgumentError(f"Enum() got unknown keyword(s) {', '.join(unknown)}")
    unsupported = sorted(k for k, v in kw.items() if v not in (None, False))
    if unsupported:
        raise exc.ArgumentError(f"Enum() does not support the option(s) {', '.join(unsupported)}")


def _enum_values(
    enums: tuple[Any, ...],
    values_callable: Callable[[Any], Any] | None,
    omit_aliases: bool,
) -> tuple[type[enum.Enum] | None, list[Any], list[Any]]:
    """``(enum class or None, members, stored values)`` of ``Enum(*enums)``.

    Raises:
        ArgumentError: no values, values that are not str, or a ``values_callable``
            returning a different number of values than the class has members.
    """
    if len(enums) == 1 and isinstance(enums[0], type) and issubclass(enums[0], enum.Enum):
        cls = enums[0]
        members = list(cls.__members__.values()) if not omit_aliases else list(cls)
        values = list(values_callable(cls)) if values_callable else [m.name for m in members]
        if len(values) != len(members):
            raise exc.ArgumentError(
                f"values_callable returned {len(values)} values for the "
                f"{len(members)} members of {cls.__name__}"
            )
        return cls, members, values
    if not enums:
        raise exc.ArgumentError("Enum() needs an enum.Enum class or string values")
    bad = [e for e in enums if not isinstance(e, str)]
    if bad:
        raise exc.ArgumentError(f"Enum() takes one enum.Enum class or str values, got {bad[0]!r}")
    return None, list(enums), list(enums)


#: ``Enum(schema=...)`` not given (None given means the default schema, as in SQLAlchemy)
_NO_SCHEMA: Any = object()


class Enum(SchemaType, String):
    """A fixed set of values: a Python `enum.Enum` class (stored by member *name*, as in
    SQLAlchemy, or by ``values_callable(cls)``, e.g. ``lambda c: [m.value for m in c]``) or
    plain strings (``Enum("draft", "published", name="state")``).

    On PostgreSQL a string enum is a native ``ENUM`` type named ``name`` (by default the
    enum class's name in lower case), created before and dropped after its tables by
    ``create_all`` / ``drop_all``; ``native_enum=False`` stores a ``VARCHAR(length)``
    instead, as SQLite always does. ``create_constraint=True`` adds a CHECK constraint
    where the enum is not native. Every bound value is checked against the enum (also
    with ``validate_strings=False``).

    The native type lives in ``schema`` when given; with ``inherit_schema=True`` in the
    schema of the table its column joins; otherwise in the schema of ``metadata`` (or,
    for an Enum written in a column, of its table's MetaData, as in SQLAlchemy 2.1). An
    Enum made from a ``type_annotation_map`` entry takes no MetaData schema unless the
    entry says ``inherit_schema=True`` (or ``metadata=``). ``Enum(metadata=m)`` is also
    created and dropped by ``m.create_all()`` / ``m.drop_all()`` when no table uses it.
    SQLite has no types of its own, so these options change nothing there.

    Raises `exc.ArgumentError` for values that are not all str (or all int members),
    a ``length`` shorter than the longest value, and options uow_orm does not support.
    """

    def __init__(
        self,
        *enums: Any,
        name: str | None = None,
        native_enum: bool = True,
        create_constraint: bool = False,
        length: int | None = None,
        validate_strings: bool = False,
        values_callable: Callable[[Any], Any] | None = None,
        omit_aliases: bool = True,
        schema: Any = _NO_SCHEMA,
        inherit_schema: bool = False,
        metadata: Any = None,
        **kw: Any,
    ) -> None:
        _check_enum_options(kw)
        self._init_schema(schema, inherit_schema, metadata)
        self.enum_class, self._members, values = _enum_values(enums, values_callable, omit_aliases)
        if self.enum_class is not None and name is None:
            name = self.enum_class.__name__.lower()
        self._int_values = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        if not self._int_values and not all(isinstance(v, str) for v in values):
            raise TypeError(
                f"Enum({self.enum_class.__name__ if self.enum_class else values!r}) needs "
                "stored values that are all str or all int"
            )
        self.enums: list[Any] = values
        self.name = name
        self.native_enum = native_enum
        self.create_constraint = create_constraint
        self.validate_strings = validate_strings
        self.values_callable = values_callable
        self.omit_aliases = omit_aliases
        longest = max((len(str(v)) for v in values), default=1)
        if length is not None and length < longest:
            raise exc.ArgumentError(
                f"Enum length={length} is shorter than its longest value ({longest})"
            )
        super().__init__(length or longest)
        self._length_given = length
        self._to_stored: dict[Any, Any] = dict(zip(self._members, values))
        self._from_stored: dict[Any, Any] = dict(zip(values, self._members))
        # A value given as its stored form (``"r"`` for Color.RED) binds as itself.
        for v in values:
            self._to_stored.setdefault(v, v)

    def _init_schema(self, schema: Any, inherit_schema: bool, metadata: Any) -> None:
        if inherit_schema and schema is not _NO_SCHEMA:
            raise exc.ArgumentError(
                "Ambiguously setting inherit_schema=True while also passing a schema argument"
            )
        #: the PostgreSQL schema of the native type (None: the search path's first)
        self.schema: str | None = None if schema is _NO_SCHEMA else schema
        self._schema_given = schema is not _NO_SCHEMA
        self.inherit_schema = inherit_schema
        #: the MetaData whose schema the type takes when no schema is given
        self.metadata = metadata
        if metadata is not None:
            if not self._schema_given and not inherit_schema:
                self.schema = metadata.schema
            metadata._schema_types.append(self)
        #: False for an Enum made from an annotation: as in SQLAlchemy it does not take
        #: its MetaData's schema (only inherit_schema=True links it to its table's)
        self._metadata_schema = True

    def like(self, *enums: Any) -> Enum:
        """An Enum of ``enums`` (an enum class, or strings) with this one's options
        (``native_enum``, ``length``, ``create_constraint``, ``validate_strings``,
        ``values_callable``, ``omit_aliases``): how a ``type_annotation_map`` entry such as
        ``enum.Enum: Enum(enum.Enum, native_enum=False)`` configures each mapped enum."""
        schema_kw: dict[str, Any] = {"schema": self.schema} if self._schema_given else {}
        made = Enum(
            *enums,
            native_enum=self.native_enum,
            create_constraint=self.create_constraint,
            length=self._length_given,
            validate_strings=self.validate_strings,
            values_callable=self.values_callable,
            omit_aliases=self.omit_aliases,
            inherit_schema=self.inherit_schema,
            metadata=self.metadata,
            **schema_kw,
        )
        made._metadata_schema = self.metadata is not None
        return made

    def _copy_for_column(self) -> Enum:
        """The type for a copy of a column of this type (a mixin's column): a copy while
        no table has fixed its schema yet, so each table's column finds its own."""
        if self.metadata is not None or not (self.inherit_schema or not self._schema_given):
            return self
        import copy

        return copy.copy(self)

    def _set_table(self, table: Any) -> None:
        """Called when a column of this type joins ``table``: the native type takes the
        table's schema (``inherit_schema=True``) or, unless a schema was given, its
        MetaData's (as SQLAlchemy 2.1 does)."""
        if self.inherit_schema:
            self.schema = table.schema
            self.inherit_schema = False
            self._schema_given = True
        elif self.metadata is None and not self._schema_given and self._metadata_schema:
            self.schema = table.metadata.schema
        if self.metadata is None:
            self.metadata = table.metadata

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.enum_class if self.enum_class is not None else str

    def _native_on(self, dialect_name: str) -> bool:
        return self.native_enum and not self._int_values and dialect_name == "postgresql"

    def ddl(self, dialect_name: str) -> str:
        if self._int_values:
            return "INTEGER"
        if self._native_on(dialect_name):
            return self._pg_type().quoted_name()
        return f"VARCHAR({self.length})"

    def _pg_type(self) -> NamedEnumType:
        if not self.name:
            raise exc.ArgumentError(
                f"a native PostgreSQL ENUM needs a name: Enum({', '.join(map(repr, self.enums))}"
                ", name='...') (or native_enum=False for a VARCHAR column)"
            )
        return NamedEnumType(self.name, [str(v) for v in self.enums], self.schema)

    def _named_types(self, dialect_name: str) -> list[Any]:
        if self._native_on(dialect_name) and getattr(self, "create_type", True):
            return [self._pg_type()]
        return []

    def _column_check_sql(self, column_sql: str, dialect_name: str) -> str | None:
        if not self.create_constraint or self._native_on(dialect_name):
            return None
        return f"{column_sql} IN ({', '.join(_render_literal(v) for v in self.enums)})"

    def bind_processor(self, dialect_name: str) -> Processor:
        to_stored = self._to_stored
        what = self.enum_class.__name__ if self.enum_class is not None else repr(self.enums)

        def check(value: Any) -> Any:
            try:
                return to_stored[value]
            except (KeyError, TypeError):
                raise _BadValue(
                    f"{value!r:.80} is not among the values of Enum {self.name or what}; "
                    f"expected one of {self.enums!r}"
                    + (f" or a member of {what}" if self.enum_class is not None else "")
                ) from None

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        cls = self.enum_class
        if cls is None:
            return None
        from_stored = self._from_stored.get
        enums = self.enums

        def member(value: Any) -> Any:
            found = from_stored(value)
            if found is not None:
                return found
            try:
                return cls(value)  # the enum's own _missing_, if it has one
            except ValueError:
                allowed = ", ".join(repr(v) for v in enums)
                raise exc.ResultValueError(
                    f"{value!r} read from the database is not among the values of enum "
                    f"{cls.__name__} ({allowed}); add it to the enum or fix the row"
                ) from None

        return member

    def __repr__(self) -> str:
        parts = (
            [self.enum_class.__name__]
            if self.enum_class is not None
            else list(map(repr, self.enums))
        )
        if self.name and not (
            self.enum_class is not None and self.name == self.enum_class.__name__.lower()
        ):
            parts.append(f"name={self.name!r}")
        if not self.native_enum:
            parts.append("native_enum=False")
        if self._length_given is not None:
            parts.append(f"length={self._length_given}")
        if self.create_constraint:
            parts.append("create_constraint=True")
        return f"{type(self).__name__}({', '.join(parts)})"


#: Enum() keywords of SQLAlchemy that uow_orm takes only at their default (None / False).
_ENUM_SQLALCHEMY_KEYS = frozenset({"quote", "sort_key_function", "convert_unicode"})


class NamedEnumType:
    """A PostgreSQL ``CREATE TYPE ... AS ENUM``: created before the tables using it."""

    def __init__(self, name: str, labels: list[str], schema: str | None = None) -> None:
        self.name = name
        self.labels = labels
        self.schema = schema

    def quoted_name(self) -> str:
        """``"name"``, or ``"schema"."name"`` for a type in a named schema."""
        from ._typebase import dialect_for_name

        quote = dialect_for_name("postgresql").quote
        if self.schema:
            return f"{quote(self.schema)}.{quote(self.name)}"
        return str(quote(self.name))

    def create_sql(self) -> str:
        labels = ", ".join("'" + v.replace("'", "''").replace("%", "%%") + "'" for v in self.labels)
        # CREATE TYPE has no IF NOT EXISTS; an existing type of that name is kept.
        return (
            f"DO $$ BEGIN CREATE TYPE {self.quoted_name()} AS ENUM ({labels}); "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )

    def drop_sql(self) -> str:
        # Kept while another table still has a column of this type.
        return (
            f"DO $$ BEGIN DROP TYPE IF EXISTS {self.quoted_name()}; "
            "EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$"
        )


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

    def __str__(self) -> str:
        return "NULL"


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


# The extensible and SQL-standard types live in their own modules (imported last: they
# build on the classes above).
from ._generic_types import (  # noqa: E402
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
    Double,
    Interval,
    PickleType,
    Unicode,
    UnicodeText,
)
from ._typebase import TypeDecorator, UserDefinedType, to_instance  # noqa: E402

INT = INTEGER


class MatchType(Boolean):
    """The type of a full-text ``MATCH`` expression's result (a Boolean)."""


__all__ = [
    "ARRAY",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BOOLEAN",
    "CHAR",
    "CLOB",
    "DATE",
    "DATETIME",
    "DECIMAL",
    "DOUBLE",
    "DOUBLE_PRECISION",
    "FLOAT",
    "INT",
    "INTEGER",
    "JSON",
    "NCHAR",
    "NUMERIC",
    "NVARCHAR",
    "REAL",
    "SMALLINT",
    "TEXT",
    "TIME",
    "TIMESTAMP",
    "UUID",
    "VARBINARY",
    "VARCHAR",
    "BigInteger",
    "Boolean",
    "Comparator",
    "Concatenable",
    "Date",
    "DateTime",
    "Double",
    "Enum",
    "ExternalType",
    "Float",
    "Indexable",
    "Integer",
    "Interval",
    "LargeBinary",
    "MatchType",
    "NullType",
    "Numeric",
    "PickleType",
    "SchemaType",
    "SmallInteger",
    "String",
    "Text",
    "Time",
    "TypeDecorator",
    "TypeEngine",
    "Unicode",
    "UnicodeText",
    "UserDefinedType",
    "Uuid",
    "to_instance",
]
