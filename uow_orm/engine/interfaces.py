"""``sqlalchemy.engine.interfaces``: the names libraries import from it (``Dialect``, the
DBAPI connection and cursor protocols, ``ExceptionContext`` and ``ExecutionContext``).

Called by: applications and libraries written for SQLAlchemy (``from
sqlalchemy.engine.interfaces import Dialect``); uow_orm.engine (the package re-export).
"""

from __future__ import annotations

from .._typing import DBAPIConnection, DBAPICursor
from ..dialects.base import Dialect
from .events import CursorExecutionContext, ExceptionContext

#: SQLAlchemy's name of the ``context`` cursor-event listeners receive
ExecutionContext = CursorExecutionContext

__all__ = ["DBAPIConnection", "DBAPICursor", "Dialect", "ExceptionContext", "ExecutionContext"]
