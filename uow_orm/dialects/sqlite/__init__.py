"""The public ``uow_orm.dialects.sqlite`` namespace (as ``sqlalchemy.dialects.sqlite``):
the dialect, SQLite's type vocabulary and ``insert()`` with ``ON CONFLICT``.

The dialect itself is `uow_orm.dialects.sqlite_dialect`; this module only re-exports, so
that the engine does not import the SQL layer through it.

Called by: applications.
"""

from __future__ import annotations

# INSERT .. ON CONFLICT lives in the SQL layer; this module is its import path
from ...sql.upsert import UpsertInsert as Insert
from ...sql.upsert import sqlite_insert as insert
from ..sqlite_dialect import SQLiteDialect

# The SQLite type vocabulary (``from uow_orm.dialects.sqlite import DATETIME``).
from ..sqlite_types import *  # noqa: F403
from ..sqlite_types import __all__ as _type_names

dialect_class = SQLiteDialect
#: SQLAlchemy's name: ``stmt.compile(dialect=<module>.dialect())``
dialect = SQLiteDialect

__all__ = ["Insert", "SQLiteDialect", "dialect", "dialect_class", "insert", *_type_names]
