"""``uow_orm.dialects.sqlite.dml``: SQLAlchemy's module path of SQLite's ``insert()`` with
``ON CONFLICT`` (``from sqlalchemy.dialects.sqlite.dml import insert``); re-exports only,
the statement is defined in `uow_orm.sql.upsert`.

Called by: applications.
"""

from __future__ import annotations

from ...sql.upsert import UpsertInsert as Insert
from ...sql.upsert import sqlite_insert as insert

__all__ = ["Insert", "insert"]
