"""``uow_orm.sql.type_api``: SQLAlchemy's module path of the type bases (``from
sqlalchemy.sql.type_api import TypeEngine, TypeDecorator, UserDefinedType``); re-exports
only, defined in `uow_orm.types` and `uow_orm._typebase`.

Called by: applications and libraries written for SQLAlchemy.
"""

from __future__ import annotations

from ..types import (
    NULLTYPE,
    ExternalType,
    TypeDecorator,
    TypeEngine,
    UserDefinedType,
    to_instance,
)

__all__ = [
    "NULLTYPE",
    "ExternalType",
    "TypeDecorator",
    "TypeEngine",
    "UserDefinedType",
    "to_instance",
]
