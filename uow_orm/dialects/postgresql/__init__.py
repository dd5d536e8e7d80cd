"""The public ``uow_orm.dialects.postgresql`` namespace (as
``sqlalchemy.dialects.postgresql``): the dialect, PostgreSQL's type vocabulary, ranges,
``aggregate_order_by`` and ``insert()`` with ``ON CONFLICT``.

The dialect itself is `uow_orm.dialects.postgresql_dialect`; this module only re-exports,
so that the engine does not import the SQL layer through it.

Called by: applications.
"""

from __future__ import annotations

from ...sql.elements import AggregateOrderBy as aggregate_order_by

# INSERT .. ON CONFLICT lives in the SQL layer; this module is its import path
from ...sql.upsert import UpsertInsert as Insert
from ...sql.upsert import postgresql_insert as insert
from ..postgresql_dialect import PGDialect

# The PostgreSQL type vocabulary (``from uow_orm.dialects.postgresql import JSONB``).
from ..postgresql_ranges import *  # noqa: F403
from ..postgresql_ranges import __all__ as _range_names
from ..postgresql_types import *  # noqa: F403
from ..postgresql_types import __all__ as _type_names

# Imported from the submodules named like them, so that these names are the functions,
# not the submodules (importing a submodule sets the package attribute of its name).
from .array import All, Any, array, array_agg
from .hstore import hstore
from .named_types import CreateDomainType, CreateEnumType, DropDomainType, DropEnumType

dialect_class = PGDialect
#: SQLAlchemy's name: ``stmt.compile(dialect=<module>.dialect())``
dialect = PGDialect

__all__ = [
    "All",
    "Any",
    "CreateDomainType",
    "CreateEnumType",
    "DropDomainType",
    "DropEnumType",
    "Insert",
    "PGDialect",
    "aggregate_order_by",
    "array",
    "array_agg",
    "dialect",
    "dialect_class",
    "hstore",
    "insert",
    *_type_names,
    *_range_names,
]
