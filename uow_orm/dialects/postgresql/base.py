"""``sqlalchemy.dialects.postgresql.base``: the names libraries import from it, the
reflection type map `ischema_names` and the type compiler `PGTypeCompiler` (both
extensible, as in SQLAlchemy), the dialect class and PostgreSQL's type vocabulary.

Called by: applications and libraries written for SQLAlchemy (``from
sqlalchemy.dialects.postgresql.base import ischema_names, PGTypeCompiler``).
"""

from __future__ import annotations

from typing import ClassVar

from ..._typebase import DialectTypeCompiler
from ..postgresql_catalog import ischema_names
from ..postgresql_dialect import PGDialect
from ..postgresql_types import *  # noqa: F403
from ..postgresql_types import __all__ as _type_names


class PGTypeCompiler(DialectTypeCompiler):
    """PostgreSQL's type compiler: a ``visit_<NAME>(self, type_, **kw)`` method added to
    it gives the DDL of every `UserDefinedType` whose ``__visit_name__`` is ``NAME``
    (``PGTypeCompiler.visit_LTREE = lambda self, type_, **kw: "LTREE"``)."""

    dialect_name: ClassVar[str] = "postgresql"


__all__ = ["PGDialect", "PGTypeCompiler", "ischema_names", *_type_names]
