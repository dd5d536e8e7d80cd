"""``uow_orm.dialects.postgresql.json``: SQLAlchemy's module path of PostgreSQL's JSON
types (``from sqlalchemy.dialects.postgresql.json import JSONB``); re-exports only, defined
in `uow_orm.dialects.postgresql_types`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..postgresql_types import JSON, JSONB, JSONPATH

__all__ = [
    "JSON",
    "JSONB",
    "JSONPATH",
]
