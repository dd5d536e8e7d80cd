"""``extract(field, expr)``: one part (year, month, ...) of a date, time or timestamp.

Built by users (``select(extract("year", Order.created_at))``); compiled here, per
dialect, because SQLite has no EXTRACT and reads the parts with STRFTIME instead.

Called by: uow_orm.sql.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from ..types import Integer
from .elements import ColumnElement, coerce_expression

if TYPE_CHECKING:
    from .compiler import Compiler
    from .selectable import FromClause

#: STRFTIME formats for the fields SQLite can read; the rest have no SQLite form.
_SQLITE_FORMATS = {
    "year": "%Y",
    "month": "%m",
    "day": "%d",
    "hour": "%H",
    "minute": "%M",
    "second": "%S",
    "dow": "%w",
    "doy": "%j",
    "epoch": "%s",
}
_FIELDS = frozenset({*_SQLITE_FORMATS, "quarter"})


class Extract(ColumnElement):
    """``EXTRACT(field FROM expr)``, an integer on both backends."""

    __slots__ = ("expr", "field", "type")

    def __init__(self, field: str, expr: Any) -> None:
        norm = field.lower()
        if norm not in _FIELDS:
            raise exc.ArgumentError(
                f"extract() field {field!r} is not supported; use one of "
                f"{', '.join(sorted(_FIELDS))}"
            )
        self.field = norm
        self.expr = coerce_expression(expr)
        self.type = Integer()

    def _compile(self, compiler: Compiler) -> str:
        inner = compiler.process(self.expr)
        if compiler.dialect_name == "sqlite":
            if self.field == "quarter":
                return f"((CAST(STRFTIME('%m', {inner}) AS INTEGER) + 2) / 3)"
            return f"CAST(STRFTIME('{_SQLITE_FORMATS[self.field]}', {inner}) AS INTEGER)"
        # PostgreSQL's EXTRACT returns numeric (fractional seconds): whole numbers, as ints
        return f"CAST(FLOOR(EXTRACT({self.field.upper()} FROM {inner})) AS BIGINT)"

    def _from_objects(self) -> list[FromClause]:
        return self.expr._from_objects()


def extract(field: str, expr: Any) -> Extract:
    """The ``field`` part of a date/time expression, as an integer.

    Fields: ``year``, ``month``, ``day``, ``hour``, ``minute``, ``second`` (whole seconds),
    ``dow`` (0 = Sunday), ``doy``, ``quarter``, ``epoch`` (whole seconds since 1970).

    Raises:
        ArgumentError: ``field`` is not one of those.
    """
    return Extract(field, expr)


__all__ = ["Extract", "extract"]
