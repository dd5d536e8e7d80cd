"""``sqlalchemy.dialects.postgresql.psycopg2``: `PGDialect_psycopg2`, for code that names
the psycopg2 dialect class (a dialect object to pass to type processors, for instance).

uow_orm talks to PostgreSQL through psycopg 3 only: the class is its PostgreSQL dialect,
and a ``postgresql+psycopg2://`` URL is refused by ``create_engine`` as before.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..postgresql_dialect import PGDialect

#: uow_orm's PostgreSQL dialect (psycopg 3), under the name SQLAlchemy's psycopg2 one has
PGDialect_psycopg2 = PGDialect

__all__ = ["PGDialect_psycopg2"]
