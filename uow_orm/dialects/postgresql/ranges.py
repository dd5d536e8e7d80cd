"""``uow_orm.dialects.postgresql.ranges``: SQLAlchemy's module path of ``Range`` and
the range / multirange types; re-exports only, defined in
`uow_orm.dialects.postgresql_ranges`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..postgresql_ranges import (
    DATEMULTIRANGE,
    DATERANGE,
    INT4MULTIRANGE,
    INT4RANGE,
    INT8MULTIRANGE,
    INT8RANGE,
    NUMMULTIRANGE,
    NUMRANGE,
    TSMULTIRANGE,
    TSRANGE,
    TSTZMULTIRANGE,
    TSTZRANGE,
    Range,
)

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
