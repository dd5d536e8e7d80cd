"""The ``sqlalchemy.ext.declarative`` import path: ``ConcreteBase``,
``AbstractConcreteBase``, ``DeferredReflection`` and the names SQLAlchemy 1.4 moved to
``sqlalchemy.orm``.

Called by: user code (``from uow_orm.ext.declarative import declarative_base``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .. import exc
from ..orm.declarative import DeclarativeMeta, declarative_base, declared_attr
from ..orm.declarative_helpers import as_declarative, has_inherited_table, synonym_for
from ..orm.inheritance import AbstractConcreteBase, ConcreteBase

if TYPE_CHECKING:
    from ..engine.base import Connection, Engine


class DeferredReflection:
    """A declarative mixin whose classes are mapped only when `prepare` reflects their
    tables from a database (SQLAlchemy's ``DeferredReflection``)::

        class Reflected(DeferredReflection):
            __abstract__ = True

        class Foo(Reflected, Base):
            __tablename__ = "foo"
            bars = relationship("Bar")

        Reflected.prepare(engine)

    A class may declare some of its columns (they are kept as declared; the other columns,
    the keys and indexes come from the database) and its relationships. Until `prepare`
    the class is not mapped. Classes declared after a `prepare` wait for the next one.
    """

    #: (class, class keywords) waiting for `prepare`, in declaration order
    _uow_deferred: ClassVar[list[tuple[type, dict[str, Any]]]] = []

    def __init_subclass__(cls, **kw: Any) -> None:
        if cls.__dict__.get("__abstract__", False) or DeferredReflection in cls.__bases__:
            super().__init_subclass__(**kw)
            return
        from ..orm.declarative import DeclarativeBase

        if not issubclass(cls, DeclarativeBase):
            raise exc.InvalidRequestError(
                f"class {cls.__name__} uses DeferredReflection without a declarative base; "
                "declare it as class X(Reflected, Base)"
            )
        DeferredReflection._uow_deferred.append((cls, kw))

    @classmethod
    def prepare(cls, bind: Engine | Connection, **reflect_kw: Any) -> None:
        """Reflect the table of every waiting subclass of this class from ``bind`` and
        map the classes (a base before its subclasses); the tables their foreign keys
        refer to are reflected too.

        Args:
            bind: an Engine or Connection.
            reflect_kw: ``views=True`` also maps classes onto views (without it a class
                whose ``__tablename__`` names a view raises, as in SQLAlchemy).

        Raises:
            ArgumentError: a keyword other than ``views``.
            NoSuchTableError: a class's table is not in the database.
            InvalidRequestError: a class names a view and ``views`` is not True.
        """
        unknown = sorted(set(reflect_kw) - {"views"})
        if unknown:
            raise exc.ArgumentError(
                f"DeferredReflection.prepare() got unsupported keyword(s) {', '.join(unknown)}"
            )
        from ..engine.reflection import Inspector

        waiting = [(c, kw) for c, kw in DeferredReflection._uow_deferred if issubclass(c, cls)]
        if not waiting:
            return
        inspector = Inspector(bind)
        reflected = []
        views = bool(reflect_kw.get("views", False))
        for klass, kw in waiting:
            table = _reflect_for(klass, inspector, views)
            DeferredReflection._uow_deferred.remove((klass, kw))
            super(DeferredReflection, klass).__init_subclass__(**kw)
            if table is not None:
                reflected.append(table)
        from ..engine.reflection import reflect_table_constraints

        for table in reflected:
            reflect_table_constraints(inspector, table, resolve_fks=True)


def _reflect_for(cls: type, inspector: Any, views: bool) -> Any:
    """The Table of a waiting class: its declared columns, then the database's other
    columns; set as ``cls.__table__`` (None for a class mapped onto its parent's table)."""
    from ..engine.reflection import reflect_table_columns
    from ..orm.declarative import _collect, _table_arguments, _tablename
    from ..sql.schema import Table

    name = _tablename(cls)
    if name is None or "__table__" in cls.__dict__:
        return None
    registry = cls._uow_registry  # type: ignore[attr-defined]
    declared = [c.name for c in _collect(cls, registry).columns.values()]
    extra, table_kw = _table_arguments(cls)
    metadata = registry.metadata
    schema = table_kw.get("schema", metadata.schema)
    fullname = f"{schema}.{name}" if schema else name
    if not views and name in inspector.get_view_names(schema):
        raise exc.InvalidRequestError(
            f"class {cls.__name__}: {fullname!r} is a view; pass views=True to prepare() to "
            "map classes onto views"
        )
    table = metadata.tables.get(fullname)
    if table is None:
        table = Table(name, metadata, *extra, **table_kw)
    reflect_table_columns(inspector, table, exclude_columns=declared)
    type.__setattr__(cls, "__table__", table)
    return table


__all__ = [
    "AbstractConcreteBase",
    "ConcreteBase",
    "DeclarativeMeta",
    "DeferredReflection",
    "as_declarative",
    "declarative_base",
    "declared_attr",
    "has_inherited_table",
    "synonym_for",
]
