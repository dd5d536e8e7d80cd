"""PostgreSQL range types (``INT4RANGE``, ``TSTZRANGE``...) and the ``Range`` value.

Re-exported by `uow_orm.dialects.postgresql`; values go to psycopg as its ``Range`` and
come back as `Range`, SQLAlchemy's value class of the same shape.

Called by: uow_orm.dialects.postgresql, uow_orm.dialects.postgresql.* (ranges),
uow_orm.dialects.postgresql_catalog,
uow_orm.migrate.autogenerate.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Generic, TypeVar

from .. import exc
from ..types import (
    BigInteger,
    Concatenable,
    Date,
    DateTime,
    Integer,
    Numeric,
    Processor,
    TypeEngine,
    _expect,
)

_T = TypeVar("_T")
_BOUNDS = ("[)", "(]", "[]", "()")


@dataclasses.dataclass(frozen=True)
class Range(Generic[_T]):
    """A range of values: ``Range(1, 10)`` is ``[1,10)``; ``bounds`` is one of ``"[)"``,
    ``"(]"``, ``"[]"``, ``"()"``; ``None`` bounds are infinite; ``empty=True`` is the
    empty range. Raises `exc.ArgumentError` for other bounds."""

    lower: _T | None = None
    upper: _T | None = None
    bounds: str = "[)"
    empty: bool = False

    def __post_init__(self) -> None:
        if self.bounds not in _BOUNDS:
            raise exc.ArgumentError(f"Range bounds must be one of {_BOUNDS}, got {self.bounds!r}")

    @property
    def isempty(self) -> bool:
        """True for the empty range."""
        return self.empty

    @property
    def lower_inc(self) -> bool:
        """True when the lower bound is finite and included (``[``)."""
        return not self.empty and self.lower is not None and self.bounds[0] == "["

    @property
    def upper_inc(self) -> bool:
        """True when the upper bound is finite and included (``]``)."""
        return not self.empty and self.upper is not None and self.bounds[1] == "]"

    @property
    def lower_inf(self) -> bool:
        """True when the range has no lower bound (and is not empty)."""
        return not self.empty and self.lower is None

    @property
    def upper_inf(self) -> bool:
        """True when the range has no upper bound (and is not empty)."""
        return not self.empty and self.upper is None

    def contains(self, value: Any) -> bool:
        """Whether ``value`` (a single value) lies in the range, in Python."""
        if self.empty:
            return False
        lo, hi = self.lower, self.upper
        if lo is not None and (value < lo or (value == lo and not self.lower_inc)):
            return False
        return not (hi is not None and (value > hi or (value == hi and not self.upper_inc)))

    __contains__ = contains


class _RangeType(Concatenable):
    """A PostgreSQL range of ``_item`` values, as `Range`."""

    python_type = Range
    render_bind_cast: ClassVar[bool] = True
    _ddl_name: ClassVar[str] = ""
    _item: ClassVar[type[TypeEngine]] = Integer

    class Comparator(Concatenable.Comparator):
        """The range operators."""

        __slots__ = ()

        def _binary(self, op: str, other: Any) -> Any:
            from ..sql.elements import BindParameter, ClauseElement, coerce
            from ..sql.typed_ops import CastSuffix, pg_binary

            value = coerce(other)
            if isinstance(value, (ClauseElement, Range)):
                return pg_binary(self.expr, op, value, None)
            item = self.type._item()
            bound = BindParameter(None, value, item)
            return pg_binary(self.expr, op, CastSuffix(bound, item.ddl("postgresql")), None)

        def contains(self, other: Any, **kw: Any) -> Any:
            """``col @> other`` (a value or a range)."""
            return self._binary("@>", other)

        def contained_by(self, other: Any) -> Any:
            """``col <@ other``."""
            return self._binary("<@", other)

        def overlaps(self, other: Any) -> Any:
            """``col && other``."""
            return self._binary("&&", other)

        def strictly_left_of(self, other: Any) -> Any:
            """``col << other``."""
            return self._binary("<<", other)

        def strictly_right_of(self, other: Any) -> Any:
            """``col >> other``."""
            return self._binary(">>", other)

        def not_extend_right_of(self, other: Any) -> Any:
            """``col &< other``."""
            return self._binary("&<", other)

        def not_extend_left_of(self, other: Any) -> Any:
            """``col &> other``."""
            return self._binary("&>", other)

        def adjacent_to(self, other: Any) -> Any:
            """``col -|- other``."""
            return self._binary("-|-", other)

        __lshift__ = strictly_left_of
        __rshift__ = strictly_right_of

    comparator_factory = Comparator

    def ddl(self, dialect_name: str) -> str:
        if dialect_name != "postgresql":
            raise exc.ArgumentError(f"{self._ddl_name} columns need PostgreSQL")
        return self._ddl_name

    def bind_processor(self, dialect_name: str) -> Processor:
        from psycopg.types.range import Range as PgRange

        def to_pg(value: Any) -> Any:
            if not isinstance(value, Range):
                raise _expect("a postgresql.Range", value)
            if value.empty:
                return PgRange(empty=True)
            return PgRange(value.lower, value.upper, value.bounds)

        return to_pg

    def result_processor(self, dialect_name: str) -> Processor:
        def from_pg(value: Any) -> Any:
            if value.isempty:
                return Range(empty=True)
            return Range(value.lower, value.upper, bounds=value.bounds)

        return from_pg


class INT4RANGE(_RangeType):
    """``int4range``: ranges of ``int``."""

    _ddl_name = "INT4RANGE"
    _item = Integer


class INT8RANGE(_RangeType):
    """``int8range``: ranges of 64-bit ``int``."""

    _ddl_name = "INT8RANGE"
    _item = BigInteger


class NUMRANGE(_RangeType):
    """``numrange``: ranges of `decimal.Decimal`."""

    _ddl_name = "NUMRANGE"
    _item = Numeric


class DATERANGE(_RangeType):
    """``daterange``: ranges of `datetime.date`."""

    _ddl_name = "DATERANGE"
    _item = Date


class TSRANGE(_RangeType):
    """``tsrange``: ranges of naive `datetime.datetime`."""

    _ddl_name = "TSRANGE"
    _item = DateTime


class _AwareDateTime(DateTime):
    def __init__(self) -> None:
        super().__init__(timezone=True)


class TSTZRANGE(_RangeType):
    """``tstzrange``: ranges of timezone-aware `datetime.datetime`."""

    _ddl_name = "TSTZRANGE"
    _item = _AwareDateTime


# -- multiranges (PostgreSQL 14) -----------------------------------------------------------------
class _MultiRangeType(TypeEngine):
    """A PostgreSQL multirange: a list of `Range` values of the ``_range`` type (bound as
    any iterable of `Range`, loaded as a list, as SQLAlchemy 2.0 loads them)."""

    python_type = list
    _ddl_name: ClassVar[str] = ""
    _range: ClassVar[type[_RangeType]] = _RangeType

    def ddl(self, dialect_name: str) -> str:
        if dialect_name != "postgresql":
            raise exc.ArgumentError(f"{self._ddl_name} columns need PostgreSQL")
        return self._ddl_name

    def bind_processor(self, dialect_name: str) -> Processor:
        from psycopg.types.multirange import Multirange

        one = self._range().bind_processor(dialect_name)
        assert one is not None  # (a range type always converts)

        def to_pg(value: Any) -> Any:
            if isinstance(value, (Range, str, bytes)) or not hasattr(value, "__iter__"):
                raise _expect("a list of postgresql.Range", value)
            return Multirange([one(r) for r in value])

        return to_pg

    def result_processor(self, dialect_name: str) -> Processor:
        one = self._range().result_processor(dialect_name)
        assert one is not None

        def from_pg(value: Any) -> Any:
            return [one(r) for r in value]

        return from_pg


class INT4MULTIRANGE(_MultiRangeType):
    """``int4multirange``: lists of `INT4RANGE` ranges."""

    _ddl_name = "INT4MULTIRANGE"
    _range = INT4RANGE


class INT8MULTIRANGE(_MultiRangeType):
    """``int8multirange``: lists of `INT8RANGE` ranges."""

    _ddl_name = "INT8MULTIRANGE"
    _range = INT8RANGE


class NUMMULTIRANGE(_MultiRangeType):
    """``nummultirange``: lists of `NUMRANGE` ranges."""

    _ddl_name = "NUMMULTIRANGE"
    _range = NUMRANGE


class DATEMULTIRANGE(_MultiRangeType):
    """``datemultirange``: lists of `DATERANGE` ranges."""

    _ddl_name = "DATEMULTIRANGE"
    _range = DATERANGE


class TSMULTIRANGE(_MultiRangeType):
    """``tsmultirange``: lists of `TSRANGE` ranges."""

    _ddl_name = "TSMULTIRANGE"
    _range = TSRANGE


class TSTZMULTIRANGE(_MultiRangeType):
    """``tstzmultirange``: lists of `TSTZRANGE` ranges."""

    _ddl_name = "TSTZMULTIRANGE"
    _range = TSTZRANGE


__all__ = [
    "DATEMULTIRANGE",
    "DATERANGE",
    "INT4MULTIRANGE",
    "INT4RANGE",
    "INT8MULTIRANGE",
    "INT8RANGE",
    "NUMMULTIRANGE",
    "NUMRANGE",
    "TSMULTIRANGE",
    "TSRANGE",
    "TSTZMULTIRANGE",
    "TSTZRANGE",
    "Range",
]
