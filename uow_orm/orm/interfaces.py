"""``uow_orm.orm.interfaces``: the names ``sqlalchemy.orm.interfaces`` gives libraries.

Imported by code that inspects mappings (``prop.direction is interfaces.MANYTOONE``);
everything here is defined elsewhere in the ORM and only re-exported.

Called by: applications (``uow_orm.orm.interfaces``, as ``sqlalchemy.orm.interfaces``).
"""

from __future__ import annotations

from ..sql.elements import ExecutableOption
from .base import (
    EXT_CONTINUE,
    EXT_SKIP,
    EXT_STOP,
    NO_KEY,
    NO_VALUE,
    InspectionAttr,
    InspectionAttrInfo,
    NotExtension,
)
from .properties import ColumnProperty, MapperProperty, PropComparator
from .relationships import Direction, RelationshipProperty
from .strategy_options import LoaderOption, UserDefinedOption

#: SQLAlchemy's name of the base of the ORM's statement options.
ORMOption = ExecutableOption

#: SQLAlchemy's name of the relationship direction enum.
RelationshipDirection = Direction
#: The foreign key is on the parent's table: ``Address.user``.
MANYTOONE = Direction.MANYTOONE
#: The foreign key is on the target's table: ``User.addresses``.
ONETOMANY = Direction.ONETOMANY
#: An association (secondary) table holds both foreign keys.
MANYTOMANY = Direction.MANYTOMANY

__all__ = [
    "EXT_CONTINUE",
    "EXT_SKIP",
    "EXT_STOP",
    "MANYTOMANY",
    "MANYTOONE",
    "NO_KEY",
    "NO_VALUE",
    "ONETOMANY",
    "ColumnProperty",
    "InspectionAttr",
    "InspectionAttrInfo",
    "LoaderOption",
    "MapperProperty",
    "NotExtension",
    "ORMOption",
    "PropComparator",
    "RelationshipDirection",
    "RelationshipProperty",
    "UserDefinedOption",
]
