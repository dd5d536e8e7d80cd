"""``uow_orm.dialects.postgresql.dml``: SQLAlchemy's module path of PostgreSQL's
``insert()`` with ``ON CONFLICT`` (``from sqlalchemy.dialects.postgresql.dml import
insert``); re-exports only, the statement is defined in `uow_orm.sql.upsert`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ...sql.upsert import UpsertInsert as Insert
from ...sql.upsert import postgresql_insert as insert

__all__ = [
    "Insert",
    "insert",
]
