"""``uow_orm.engine.default``: SQLAlchemy's module path of ``DefaultDialect``, the base of
every dialect class (``from sqlalchemy.engine.default import DefaultDialect``); re-exports
only. In uow_orm that base is `uow_orm.dialects.base.Dialect`, which the SQLite and
PostgreSQL dialects subclass.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..dialects.base import Dialect

#: SQLAlchemy's name of the base dialect class
DefaultDialect = Dialect

__all__ = ["DefaultDialect", "Dialect"]
