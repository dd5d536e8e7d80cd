"""``uow_orm.engine.row``: SQLAlchemy's module path of ``Row`` and ``RowMapping``
(``from sqlalchemy.engine.row import Row``); re-exports only, defined in
`uow_orm.engine.result`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from .result import Row, RowMapping

__all__ = ["Row", "RowMapping"]
