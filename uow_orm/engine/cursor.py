"""``uow_orm.engine.cursor``: SQLAlchemy's module path of ``CursorResult`` (``from
sqlalchemy.engine.cursor import CursorResult``); re-exports only. uow_orm has one result
class, `uow_orm.engine.result.Result`, which ``CursorResult`` and ``ResultProxy`` name.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from .result import Result, Row

#: SQLAlchemy's name of what ``Connection.execute()`` returns
CursorResult = Result
#: SQLAlchemy 1.x's name of it
ResultProxy = Result

__all__ = ["CursorResult", "Result", "ResultProxy", "Row"]
