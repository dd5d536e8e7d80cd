"""``uow_orm.dialects.postgresql.hstore``: SQLAlchemy's module path of ``HSTORE`` and the
``hstore()`` constructor; re-exports only, defined in `uow_orm.dialects.postgresql_types`
and `uow_orm.sql.typed_ops`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ...sql.typed_ops import hstore
from ..postgresql_types import HSTORE

__all__ = ["HSTORE", "hstore"]
