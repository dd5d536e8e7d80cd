"""``uow_orm.dialects.postgresql.types``: SQLAlchemy's module path of PostgreSQL's own
types (``from sqlalchemy.dialects.postgresql.types import INET``); re-exports only, defined
in `uow_orm.dialects.postgresql_types`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..postgresql_types import (
    BIT,
    BYTEA,
    CIDR,
    CITEXT,
    INET,
    INTERVAL,
    MACADDR,
    MACADDR8,
    MONEY,
    OID,
    REGCLASS,
    REGCONFIG,
    TIME,
    TIMESTAMP,
    TSQUERY,
    TSVECTOR,
)

__all__ = [
    "BIT",
    "BYTEA",
    "CIDR",
    "CITEXT",
    "INET",
    "INTERVAL",
    "MACADDR",
    "MACADDR8",
    "MONEY",
    "OID",
    "REGCLASS",
    "REGCONFIG",
    "TIME",
    "TIMESTAMP",
    "TSQUERY",
    "TSVECTOR",
]
