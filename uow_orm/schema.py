"""The public ``uow_orm.schema`` namespace (as ``sqlalchemy.schema``): schema objects.

The objects live in `uow_orm.sql.schema`; this module re-exports their public names for
applications that import ``uow_orm.schema``. Nothing inside the package imports it.

Called by: applications.
"""

from __future__ import annotations

from .sql.ddl import (
    DDL,
    BaseDDLElement,
    CreateIndex,
    CreateSchema,
    CreateTable,
    DDLElement,
    DropIndex,
    DropSchema,
    DropTable,
    ExecutableDDLElement,
)
from .sql.ddl import _CreateDropBase as _CreateDropBase  # SQLAlchemy's, for libraries' DDL
from .sql.ddl_elements import (
    AddConstraint,
    CreateSequence,
    DropColumnComment,
    DropConstraint,
    DropSequence,
    DropTableComment,
    SetColumnComment,
    SetTableComment,
)
from .sql.naming import conv
from .sql.schema import (
    BLANK_SCHEMA,
    CheckConstraint,
    Column,
    ColumnCollection,
    ColumnDefault,
    Computed,
    Constraint,
    DefaultClause,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    HasConditionalDDL,
    Identity,
    Index,
    MetaData,
    NextValue,
    PrimaryKeyConstraint,
    SchemaItem,
    Sequence,
    Table,
    UniqueConstraint,
    insert_sentinel,
    sort_tables,
    topological_sort,
)

__all__ = [
    "BLANK_SCHEMA",
    "DDL",
    "AddConstraint",
    "BaseDDLElement",
    "CheckConstraint",
    "Column",
    "ColumnCollection",
    "ColumnDefault",
    "Computed",
    "Constraint",
    "CreateIndex",
    "CreateSchema",
    "CreateSequence",
    "CreateTable",
    "DDLElement",
    "DefaultClause",
    "DropColumnComment",
    "DropConstraint",
    "DropIndex",
    "DropSchema",
    "DropSequence",
    "DropTable",
    "DropTableComment",
    "ExecutableDDLElement",
    "FetchedValue",
    "ForeignKey",
    "ForeignKeyConstraint",
    "HasConditionalDDL",
    "Identity",
    "Index",
    "MetaData",
    "NextValue",
    "PrimaryKeyConstraint",
    "SchemaItem",
    "Sequence",
    "SetColumnComment",
    "SetTableComment",
    "Table",
    "UniqueConstraint",
    "conv",
    "insert_sentinel",
    "sort_tables",
    "topological_sort",
]
