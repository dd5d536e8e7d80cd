"""The rest of SQLAlchemy's generic type vocabulary: the UPPERCASE SQL-standard names,
``Unicode``, ``Double``, ``Interval``, ``PickleType`` and ``ARRAY``.

Re-exported by `uow_orm.types` (and `uow_orm`); each type maps onto a storage both
backends have. Uppercase names PostgreSQL lacks (``NVARCHAR``, ``BLOB``, ``CLOB``,
``DATETIME``, ``DOUBLE``...) are rendered there as PostgreSQL's nearest type.

Called by: uow_orm.dialects.postgresql_types, uow_orm.dialects.sqlite_types, uow_orm.types,
uow_orm.sql.elements (the array types of PostgreSQL IN lists).
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable
from typing import Any, ClassVar

from . import exc
from ._typebase import TypeDecorator, to_instance
from .types import (
    BigInteger,
    Boolean,
    Concatenable,
    Date,
    DateTime,
    Float,
    Indexable,
    Integer,
    LargeBinary,
    Numeric,
    Processor,
    SmallInteger,
    String,
    Text,
    Time,
    TypeEngine,
    Uuid,
    _BadValue,
    _expect,
)


def _sized(name: str, length: int | None) -> str:
    return f"{name}({length})" if length else name


# -- strings -----------------------------------------------------------------------------------
class Unicode(String):
    """A ``String`` meant for non-ASCII text (every str is Unicode on both backends)."""


class UnicodeText(Text):
    """A ``Text`` meant for non-ASCII text."""


class VARCHAR(String):
    """SQL ``VARCHAR(n)``."""


class CHAR(String):
    """SQL ``CHAR(n)``: fixed length; PostgreSQL pads shorter values with spaces."""

    def ddl(self, dialect_name: str) -> str:
        return _sized("CHAR", self.length)


class NVARCHAR(Unicode):
    """``NVARCHAR(n)`` (``VARCHAR(n)`` on PostgreSQL, which has no N types)."""

    def ddl(self, dialect_name: str) -> str:
        return _sized("VARCHAR" if dialect_name == "postgresql" else "NVARCHAR", self.length)


class NCHAR(Unicode):
    """``NCHAR(n)`` (``CHAR(n)`` on PostgreSQL)."""

    def ddl(self, dialect_name: str) -> str:
        return _sized("CHAR" if dialect_name == "postgresql" else "NCHAR", self.length)


class TEXT(Text):
    """SQL ``TEXT``."""


class CLOB(Text):
    """``CLOB`` (``TEXT`` on PostgreSQL)."""

    def ddl(self, dialect_name: str) -> str:
        return "TEXT" if dialect_name == "postgresql" else "CLOB"


# -- numbers -----------------------------------------------------------------------------------
class INTEGER(Integer):
    """SQL ``INTEGER``."""


class BIGINT(BigInteger):
    """SQL ``BIGINT``."""


class SMALLINT(SmallInteger):
    """SQL ``SMALLINT``."""


class Double(Float):
    """A double-precision float (``DOUBLE PRECISION`` on PostgreSQL, ``DOUBLE`` on SQLite)."""

    def ddl(self, dialect_name: str) -> str:
        return "DOUBLE PRECISION" if dialect_name == "postgresql" else "DOUBLE"


class DOUBLE(Double):
    """``DOUBLE`` (``DOUBLE PRECISION`` on PostgreSQL)."""


class DOUBLE_PRECISION(Double):
    """SQL ``DOUBLE PRECISION``."""

    def ddl(self, dialect_name: str) -> str:
        return "DOUBLE PRECISION"


class FLOAT(Float):
    """SQL ``FLOAT(p)`` (double precision on PostgreSQL unless ``p <= 24``)."""

    def ddl(self, dialect_name: str) -> str:
        return _sized("FLOAT", self.precision) if dialect_name == "postgresql" else "FLOAT"


class REAL(Float):
    """SQL ``REAL``: single precision on PostgreSQL (values round to about 7 digits)."""

    def ddl(self, dialect_name: str) -> str:
        return "REAL"


class NUMERIC(Numeric):
    """SQL ``NUMERIC(p, s)``."""


class DECIMAL(Numeric):
    """SQL ``DECIMAL(p, s)``."""

    def ddl(self, dialect_name: str) -> str:
        return "DECIMAL" + super().ddl(dialect_name)[len("NUMERIC") :]


# -- dates and times ---------------------------------------------------------------------------
class DATE(Date):
    """SQL ``DATE``."""


class DATETIME(DateTime):
    """``DATETIME`` (``TIMESTAMP`` on PostgreSQL)."""


class TIMESTAMP(DateTime):
    """SQL ``TIMESTAMP``; ``timezone=True`` is ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL."""

    def ddl(self, dialect_name: str) -> str:
        return "TIMESTAMP" if dialect_name == "sqlite" else super().ddl(dialect_name)


class TIME(Time):
    """SQL ``TIME`` (naive times; ``timezone=True`` is refused)."""

    def __init__(self, timezone: bool = False) -> None:
        if timezone:
            raise exc.ArgumentError(
                "TIME(timezone=True) is not supported: time zones need a date; store a "
                "DateTime(timezone=True) instead"
            )
        self.timezone = timezone

    def ddl(self, dialect_name: str) -> str:
        return "TIME WITHOUT TIME ZONE" if dialect_name == "postgresql" else "TIME"


class BOOLEAN(Boolean):
    """SQL ``BOOLEAN``."""


# -- binary ------------------------------------------------------------------------------------
class BINARY(LargeBinary):
    """``BINARY(n)`` (``BYTEA`` on PostgreSQL)."""

    def ddl(self, dialect_name: str) -> str:
        return "BYTEA" if dialect_name == "postgresql" else _sized("BINARY", self.length)


class VARBINARY(LargeBinary):
    """``VARBINARY(n)`` (``BYTEA`` on PostgreSQL)."""

    def ddl(self, dialect_name: str) -> str:
        return "BYTEA" if dialect_name == "postgresql" else _sized("VARBINARY", self.length)


class BLOB(LargeBinary):
    """``BLOB`` (``BYTEA`` on PostgreSQL)."""


# -- UUID --------------------------------------------------------------------------------------
class UUID(Uuid):
    """SQL ``UUID`` (``CHAR(32)`` hex on SQLite); ``as_uuid=False`` for str values."""


# -- Interval ----------------------------------------------------------------------------------
_EPOCH = dt.datetime(1970, 1, 1)


class Interval(TypeEngine):
    """A `datetime.timedelta`: native ``INTERVAL`` on PostgreSQL; on SQLite (as SQLAlchemy
    does) a ``DATETIME`` holding 1970-01-01 plus the interval, so that intervals compare
    and sort in SQL. ``native=False`` uses that storage on PostgreSQL too."""

    python_type = dt.timedelta

    def __init__(
        self,
        native: bool = True,
        second_precision: int | None = None,
        day_precision: int | None = None,
    ) -> None:
        self.native = native
        self.second_precision = second_precision
        self.day_precision = day_precision

    def _native_on(self, dialect_name: str) -> bool:
        return self.native and dialect_name == "postgresql"

    def ddl(self, dialect_name: str) -> str:
        if self._native_on(dialect_name):
            return (
                "INTERVAL"
                if self.second_precision is None
                else f"INTERVAL({self.second_precision})"
            )
        return "DATETIME" if dialect_name == "sqlite" else "TIMESTAMP WITHOUT TIME ZONE"

    def bind_processor(self, dialect_name: str) -> Processor:
        native = self._native_on(dialect_name)
        as_text = dialect_name == "sqlite"

        def check(value: Any) -> Any:
            if not isinstance(value, dt.timedelta):
                raise _expect("a datetime.timedelta", value)
            if native:
                return value
            try:
                moment = _EPOCH + value
            except OverflowError:
                raise _BadValue(f"{value!r} is too large for an emulated Interval") from None
            if not as_text:
                return moment
            # strftime("%Y") does not pad years below 1000 on every platform.
            return (
                f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
                f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
            )

        return check

    def result_processor(self, dialect_name: str) -> Processor:
        if self._native_on(dialect_name):
            return None
        if dialect_name == "sqlite":
            return lambda value: dt.datetime.fromisoformat(value) - _EPOCH
        return lambda value: value - _EPOCH


class ArithmeticInterval(Interval):
    """The type of a ``timedelta`` added to or subtracted from a date/time expression:
    a native ``INTERVAL`` on PostgreSQL. SQLite has no interval arithmetic (adding the
    emulated 1970-based value would give a wrong date), so it is refused there."""

    def bind_processor(self, dialect_name: str) -> Processor:
        if dialect_name == "postgresql":
            return super().bind_processor(dialect_name)

        def refuse(value: Any) -> Any:
            raise _BadValue(
                f"{value!r} added to or subtracted from a date/time in SQL: SQLite has no "
                "interval arithmetic; compute the datetime in Python (datetime.now() - delta) "
                "or use func.datetime(col, '-1 day')"
            )

        return refuse


# -- PickleType --------------------------------------------------------------------------------
class PickleType(TypeDecorator):
    """Any picklable Python object, stored pickled in a ``LargeBinary`` (or ``impl``).

    Only unpickle data your application wrote: unpickling runs code. In-place changes to a
    loaded object are not detected; assign a new object.
    """

    impl: Any = LargeBinary
    cache_ok = True
    hashable: ClassVar[bool] = False

    def __init__(
        self,
        protocol: int = pickle.HIGHEST_PROTOCOL,
        pickler: Any = None,
        comparator: Callable[[Any, Any], bool] | None = None,
        impl: TypeEngine | type[TypeEngine] | None = None,
    ) -> None:
        super().__init__()
        if impl is not None:
            self.impl = to_instance(impl)
        self.protocol = protocol
        # None means the pickle module (kept out of the instance so types deep-copy)
        self.pickler = pickler
        self.comparator = comparator

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return object

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return (self.pickler or pickle).dumps(value, self.protocol)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return (self.pickler or pickle).loads(value)

    def compare_values(self, x: Any, y: Any) -> bool:
        if self.comparator is not None:
            return self.comparator(x, y)
        return bool(x == y)

    def __repr__(self) -> str:
        return "PickleType()"


# -- ARRAY -------------------------------------------------------------------------------------
class ARRAY(Indexable, Concatenable):
    """A PostgreSQL array of ``item_type`` values, as Python lists (tuples with
    ``as_tuple=True``). ``col[i]`` (1-based unless ``zero_indexes=True``), ``col[i:j]``,
    ``col.any(x)`` / ``col.all(x)`` work in SQL. SQLite has no arrays: creating such a
    column there raises `exc.ArgumentError`.

    Raises `exc.ArgumentError` for nested ``ARRAY`` types (use ``dimensions=``).
    """

    python_type = list
    hashable: ClassVar[bool] = False
    render_bind_cast: ClassVar[bool] = True

    class Comparator(Concatenable.Comparator):
        """Indexing, ``ANY``/``ALL`` and ``||`` of an array."""

        __slots__ = ()

        def __getitem__(self, index: Any) -> Any:
            from .sql.typed_ops import array_index

            return array_index(self.expr, index, self.type.zero_indexes)

        def any(self, other: Any, operator: str = "=") -> Any:
            """``other = ANY (col)`` (or another comparison ``operator``)."""
            from .sql.typed_ops import any_

            return any_(self.expr).operate(operator, other)

        def all(self, other: Any, operator: str = "=") -> Any:
            """``other = ALL (col)`` (or another comparison ``operator``)."""
            from .sql.typed_ops import all_

            return all_(self.expr).operate(operator, other)

        def contains(self, other: Any, **kw: Any) -> Any:
            raise exc.ArgumentError(
                "ARRAY.contains() is defined by the PostgreSQL ARRAY type: use "
                "uow_orm.dialects.postgresql.ARRAY (or any()/all())"
            )

    comparator_factory = Comparator

    def __init__(
        self,
        item_type: TypeEngine | type[TypeEngine],
        as_tuple: bool = False,
        dimensions: int | None = None,
        zero_indexes: bool = False,
    ) -> None:
        item = to_instance(item_type)
        if isinstance(item, ARRAY):
            raise exc.ArgumentError(
                "do not nest ARRAY types; ARRAY(item_type, dimensions=n) makes "
                "multi-dimensional arrays"
            )
        if getattr(item, "_int_values", True) is False and getattr(item, "native_enum", False):
            raise exc.ArgumentError(
                "ARRAY of a native PostgreSQL ENUM is not supported; use "
                "Enum(..., native_enum=False) as the item type"
            )
        self.item_type = item
        self.as_tuple = as_tuple
        self.dimensions = dimensions
        self.zero_indexes = zero_indexes

    def ddl(self, dialect_name: str) -> str:
        if dialect_name != "postgresql":
            raise exc.ArgumentError(
                f"ARRAY columns need PostgreSQL; {dialect_name} has no array type "
                "(store a JSON list instead)"
            )
        return self.item_type.ddl(dialect_name) + "[]" * (self.dimensions or 1)

    def bind_processor(self, dialect_name: str) -> Processor:
        item = self.item_type._bind(dialect_name)
        dims = self.dimensions

        def convert(value: Any, depth: int) -> list[Any]:
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
                raise _expect("a list", value)
            out = []
            for v in value:
                nested = isinstance(v, (list, tuple)) and (dims is None or depth < dims)
                if nested:
                    out.append(convert(v, depth + 1))
                elif v is None or item is None:
                    out.append(v)
                else:
                    out.append(item(v))
            return out

        return lambda value: convert(value, 1)

    def result_processor(self, dialect_name: str) -> Processor:
        item = self.item_type._result(dialect_name)
        as_tuple = self.as_tuple
        if item is None and not as_tuple:
            return None

        def convert(value: Any) -> Any:
            out = [
                convert(v) if isinstance(v, list) else (item(v) if item and v is not None else v)
                for v in value
            ]
            return tuple(out) if as_tuple else out

        return convert

    def compare_values(self, x: Any, y: Any) -> bool:
        return bool(x == y)


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
    "INTEGER",
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
    "Double",
    "Interval",
    "PickleType",
    "Unicode",
    "UnicodeText",
]
