"""``uow_orm.dialects.postgresql.named_types``: SQLAlchemy's module of PostgreSQL's named
types (`ENUM`, `DOMAIN`, `NamedType`, defined in `uow_orm.dialects.postgresql_types`) and
the DDL constructs that create and drop one explicitly: ``CreateEnumType`` /
``DropEnumType`` / ``CreateDomainType`` / ``DropDomainType`` (``conn.execute(...)``;
``create_all`` / ``drop_all`` do it themselves for the types of their tables).

Called by: uow_orm.dialects.postgresql (the public re-export).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import exc
from ...sql.ddl import _DDLElement
from ..postgresql_types import DOMAIN, ENUM, NamedDomainType, NamedType

if TYPE_CHECKING:
    from ..base import Dialect


class _NamedTypeDDL(_DDLElement):
    """A CREATE / DROP of a PostgreSQL named type; compiling it for SQLite raises."""

    _kind: type = NamedType

    def __init__(self, element: Any) -> None:
        if not isinstance(element, self._kind):
            raise exc.ArgumentError(
                f"{type(self).__name__}() takes a postgresql.{self._kind.__name__}, got {element!r}"
            )
        self.element: Any = element

    def compile(self, bind: Any = None, dialect: Any = None) -> Any:
        """As `BaseDDLElement.compile`.

        Raises:
            CompileError: compiled for SQLite, which has no named types.
        """
        from ...sql.elements import _dialect_of

        d = _dialect_of(bind if bind is not None else dialect)
        if d is not None and d.name == "sqlite":
            raise exc.CompileError(f"SQLite has no named types ({type(self).__name__})")
        return super().compile(bind, dialect)

    def _type_name(self) -> str:
        element = self.element
        if isinstance(element, DOMAIN):
            return NamedDomainType(element).quoted_name()
        return str(element._pg_type().quoted_name())


def _percent(sql: str, dialect: Dialect) -> str:
    # literals in SQL run without parameters still go through the driver's % format
    return sql.replace("%", "%%") if dialect.paramstyle == "format" else sql


class CreateEnumType(_NamedTypeDDL):
    """``CREATE TYPE name AS ENUM ('a', 'b')`` of a `postgresql.ENUM`."""

    _kind = ENUM

    def _sql(self, dialect: Dialect) -> str:
        labels = ", ".join("'" + str(v).replace("'", "''") + "'" for v in self.element.enums)
        return _percent(f"CREATE TYPE {self._type_name()} AS ENUM ({labels})", dialect)


class DropEnumType(_NamedTypeDDL):
    """``DROP TYPE name`` of a `postgresql.ENUM`."""

    _kind = ENUM

    def _sql(self, dialect: Dialect) -> str:
        return f"DROP TYPE {self._type_name()}"


class CreateDomainType(_NamedTypeDDL):
    """``CREATE DOMAIN name AS type ...`` of a `postgresql.DOMAIN`."""

    _kind = DOMAIN

    def _sql(self, dialect: Dialect) -> str:
        return _percent(NamedDomainType(self.element).definition(), dialect)


class DropDomainType(_NamedTypeDDL):
    """``DROP DOMAIN name`` of a `postgresql.DOMAIN`."""

    _kind = DOMAIN

    def _sql(self, dialect: Dialect) -> str:
        return f"DROP DOMAIN {self._type_name()}"


__all__ = [
    "DOMAIN",
    "ENUM",
    "CreateDomainType",
    "CreateEnumType",
    "DropDomainType",
    "DropEnumType",
    "NamedType",
]
