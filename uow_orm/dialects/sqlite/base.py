"""``uow_orm.dialects.sqlite.base``: SQLAlchemy's module path of the SQLite dialect and its
type vocabulary (``from sqlalchemy.dialects.sqlite.base import SQLiteDialect, DATETIME``);
re-exports only, defined in `uow_orm.dialects.sqlite_dialect` and
`uow_orm.dialects.sqlite_types`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..sqlite_dialect import SQLiteDialect
from ..sqlite_types import *  # noqa: F403
from ..sqlite_types import __all__ as _type_names

dialect = SQLiteDialect

__all__ = ["SQLiteDialect", "dialect", *_type_names]
