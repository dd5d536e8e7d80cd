"""``uow_orm.orm.decl_api``: the declarative API under SQLAlchemy's module path
(``sqlalchemy.orm.decl_api``); re-exports only, each defined elsewhere in the ORM.

Called by: applications and libraries that import ``sqlalchemy.orm.decl_api`` names.
"""

from __future__ import annotations

from .attributes import InstrumentedAttribute
from .declarative import (
    DeclarativeBase,
    DeclarativeBaseNoMeta,
    DeclarativeMeta,
    Mapped,
    MappedAsDataclass,
    MappedClassProtocol,
    MappedColumn,
    add_mapped_attribute,
    declarative_base,
    declared_attr,
    mapped_as_dataclass,
    mapped_column,
    registry,
)
from .declarative_helpers import (
    as_declarative,
    declarative_mixin,
    has_inherited_table,
    synonym_for,
)
from .mapper import Mapper
from .properties import (
    CompositeProperty,
    SynonymProperty,
    composite,
    deferred,
    synonym,
)
from .relationships import RelationshipProperty, relationship
from .state import InstanceState

#: SQLAlchemy's 2.0 names of `CompositeProperty` and `SynonymProperty`
Composite = CompositeProperty
Synonym = SynonymProperty

__all__ = [
    "Composite",
    "DeclarativeBase",
    "DeclarativeBaseNoMeta",
    "DeclarativeMeta",
    "InstanceState",
    "InstrumentedAttribute",
    "Mapped",
    "MappedAsDataclass",
    "MappedClassProtocol",
    "MappedColumn",
    "Mapper",
    "RelationshipProperty",
    "Synonym",
    "add_mapped_attribute",
    "as_declarative",
    "composite",
    "declarative_base",
    "declarative_mixin",
    "declared_attr",
    "deferred",
    "has_inherited_table",
    "mapped_as_dataclass",
    "mapped_column",
    "registry",
    "relationship",
    "synonym",
    "synonym_for",
]
