"""``uow_orm.sql.base``: SQLAlchemy's module path of the statement bases (``from
sqlalchemy.sql.base import Executable, ColumnCollection``); re-exports only, defined in
`uow_orm.sql.elements` and `uow_orm.sql.schema`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from .elements import Executable, ExecutableOption
from .schema import ColumnCollection

__all__ = ["ColumnCollection", "Executable", "ExecutableOption"]
