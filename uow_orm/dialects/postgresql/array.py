"""``uow_orm.dialects.postgresql.array``: SQLAlchemy's module path of PostgreSQL's
``ARRAY`` type, the ``array()`` literal, ``array_agg()`` and ``Any`` / ``All``; re-exports
only, defined in `uow_orm.dialects.postgresql_types` and `uow_orm.sql.typed_ops`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ...sql.typed_ops import all_array as All
from ...sql.typed_ops import any_array as Any
from ...sql.typed_ops import array, array_agg
from ..postgresql_types import ARRAY

__all__ = ["ARRAY", "All", "Any", "array", "array_agg"]
