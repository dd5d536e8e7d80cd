"""``sqlalchemy.dialects.postgresql.psycopg``: `PGDialect_psycopg`, uow_orm's PostgreSQL
dialect (it always runs on psycopg 3).

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..postgresql_dialect import PGDialect

#: the PostgreSQL dialect on psycopg 3 (uow_orm's only one)
PGDialect_psycopg = PGDialect

__all__ = ["PGDialect_psycopg"]
