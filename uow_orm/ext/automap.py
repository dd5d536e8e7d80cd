"""Automap: mapped classes and relationships generated from a reflected database.

Called by applications (``Base = automap_base(); Base.prepare(autoload_with=engine)``), as
SQLAlchemy's ``sqlalchemy.ext.automap``. Builds on reflection (``MetaData.reflect``) and
on ordinary declarative mapping: a generated class is what a hand-written
``class users(Base): __table__ = ...`` would be.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .. import exc
from ..orm.base import MANYTOMANY, MANYTOONE, ONETOMANY, Direction
from ..orm.declarative import declarative_base
from ..orm.relationships import backref, relationship
from ..sql.schema import ForeignKeyConstraint, MetaData, Table

if TYPE_CHECKING:
    from ..engine.base import Connection, Engine


class Classes:
    """``Base.classes``: the mapped classes by name, as attributes, keys or in a loop."""

    def __init__(self) -> None:
        self._by_name: dict[str, type] = {}

    def __getattr__(self, name: str) -> type:
        try:
            return self._by_name[name]
        except KeyError:
            raise AttributeError(
                f"no automapped class {name!r}; have: {', '.join(sorted(self._by_name))}"
            ) from None

    def __getitem__(self, name: str) -> type:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[type]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def keys(self) -> list[str]:
        """The class names, in the order the classes were made."""
        return list(self._by_name)


def classname_for_table(base: type, tablename: str, table: Table) -> str:
    """The default class name: the table's name."""
    return tablename


def name_for_scalar_relationship(
    base: type, local_cls: type, referred_cls: type, constraint: Any
) -> str:
    """The default many-to-one name: the referred class's name in lower case."""
    return referred_cls.__name__.lower()


def name_for_collection_relationship(
    base: type, local_cls: type, referred_cls: type, constraint: Any
) -> str:
    """The default one-to-many / many-to-many name: ``<class>_collection``."""
    return referred_cls.__name__.lower() + "_collection"


#: ``generate_relationship(base, direction, return_fn, attrname, local_cls, referred_cls,
#: **kw)``: makes each relationship (``return_fn`` is `relationship`) or backref
#: (``return_fn`` is `backref`) automap adds; None adds nothing
GenerateRelationshipType = Callable[..., Any]
#: ``name_for_scalar_relationship`` / ``name_for_collection_relationship``:
#: ``(base, local_cls, referred_cls, constraint) -> attribute name``
NameForScalarRelationshipType = Callable[[type, type, type, Any], str]
NameForCollectionRelationshipType = Callable[[type, type, type, Any], str]
#: ``classname_for_table``: ``(base, tablename, table) -> class name``
PythonNameForTableType = Callable[[type, str, Table], str]


def generate_relationship(
    base: type,
    direction: Direction,
    return_fn: Callable[..., Any],
    attrname: str,
    local_cls: type,
    referred_cls: type,
    **kw: Any,
) -> Any:
    """The default of ``prepare(generate_relationship=...)``, as SQLAlchemy's: a
    ``backref(attrname, **kw)`` or a ``relationship(referred_cls, **kw)``. A custom
    function usually changes ``kw`` (``cascade``, ``lazy``, ...) and calls this one.

    Raises:
        TypeError: ``return_fn`` is neither `relationship` nor `backref`.
    """
    if return_fn is backref:
        return backref(attrname, **kw)
    if return_fn is relationship:
        return relationship(referred_cls, **kw)
    raise TypeError(f"Unknown relationship function: {return_fn!r}")


class AutomapBase:
    """The mixin ``automap_base()`` puts on its declarative base."""

    classes: Classes
    metadata: MetaData

    @classmethod
    def prepare(
        cls,
        autoload_with: Engine | Connection | None = None,
        *,
        classname_for_table: Callable[[type, str, Table], str] = classname_for_table,
        name_for_scalar_relationship: Callable[
            [type, type, type, Any], str
        ] = name_for_scalar_relationship,
        name_for_collection_relationship: Callable[
            [type, type, type, Any], str
        ] = name_for_collection_relationship,
        generate_relationship: GenerateRelationshipType = generate_relationship,
    ) -> None:
        """Reflect the database (when ``autoload_with`` is given), map a class for every
        table with a primary key that no class maps yet, and add relationships along
        every foreign key: a many-to-one on the referring class and a collection on the
        referred one (its backref), kept in sync; a table holding only two foreign keys
        becomes the ``secondary`` of a many-to-many. Each relationship and backref is made
        by ``generate_relationship`` (see `generate_relationship`)."""
        if autoload_with is not None:
            cls.metadata.reflect(autoload_with)
        by_table, associations = _map_tables(cls, classname_for_table)
        names = (name_for_scalar_relationship, name_for_collection_relationship)
        _relate_foreign_keys(cls, by_table, names, generate_relationship)
        _relate_associations(
            cls, by_table, associations, name_for_collection_relationship, generate_relationship
        )


def _map_tables(
    cls: Any, classname_for_table: Callable[[type, str, Table], str]
) -> tuple[dict[str, type], dict[str, Table]]:
    """Map a class for every table with a primary key that no class maps yet; returns
    ``({table name: class}, {table name: association table})``."""
    by_table: dict[str, type] = {}
    for mapped in _mapped_subclasses(cls):
        table = mapped.__dict__.get("__table__")
        if table is not None:
            by_table[table.name] = mapped
            cls.classes._by_name.setdefault(mapped.__name__, mapped)
    associations = {
        name: t
        for name, t in cls.metadata.tables.items()
        if name not in by_table and _is_association(t)
    }
    for name, table in cls.metadata.tables.items():
        if name in by_table or name in associations or not table.primary_key:
            continue
        class_name = classname_for_table(cls, name, table)
        generated = type(class_name, (cls,), {"__table__": table, "__module__": cls.__module__})
        by_table[name] = generated
        cls.classes._by_name[class_name] = generated
    return by_table, associations


def _relate_foreign_keys(
    cls: Any,
    by_table: dict[str, type],
    names: tuple[NameForScalarRelationshipType, NameForCollectionRelationshipType],
    generate: GenerateRelationshipType,
) -> None:
    """Per foreign key: a many-to-one on the referring class, with the collection on the
    referred one as its backref."""
    name_for_scalar, name_for_collection = names
    for name, table in cls.metadata.tables.items():
        local = by_table.get(name)
        if local is None:
            continue
        for fk_cols, referred_name, constraint in _foreign_keys(table):
            referred = by_table.get(referred_name)
            if referred is None:
                continue
            scalar = name_for_scalar(cls, local, referred, constraint)
            collection = name_for_collection(cls, referred, local, constraint)
            _check_free(local, scalar)
            _check_free(referred, collection)
            backref_obj = generate(cls, ONETOMANY, backref, collection, referred, local)
            kw: dict[str, Any] = {"foreign_keys": fk_cols, "backref": backref_obj}
            if referred is local:  # self-referential: the many-to-one points at the key
                kw["remote_side"] = list(table.primary_key)
            prop = generate(cls, MANYTOONE, relationship, scalar, local, referred, **kw)
            if prop is not None:
                _attach(local, scalar, prop, referred)


def _relate_associations(
    cls: Any,
    by_table: dict[str, type],
    associations: dict[str, Table],
    name_for_collection_relationship: NameForCollectionRelationshipType,
    generate: GenerateRelationshipType,
) -> None:
    """A many-to-many collection, and its backref, through every association table."""
    for table in associations.values():
        (_c1, left_name, con1), (_c2, right_name, con2) = _foreign_keys(table)
        left, right = by_table.get(left_name), by_table.get(right_name)
        if left is None or right is None:
            continue
        left_key = name_for_collection_relationship(cls, left, right, con1)
        right_key = name_for_collection_relationship(cls, right, left, con2)
        _check_free(left, left_key)
        _check_free(right, right_key)
        backref_obj = generate(cls, MANYTOMANY, backref, right_key, right, left)
        prop = generate(
            cls,
            MANYTOMANY,
            relationship,
            left_key,
            left,
            right,
            secondary=table,
            backref=backref_obj,
        )
        if prop is not None:
            _attach(left, left_key, prop, right)


def _mapped_subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        if "__mapper__" in sub.__dict__:
            yield sub
        yield from _mapped_subclasses(sub)


def _foreign_keys(table: Table) -> list[tuple[list[Any], str, Any]]:
    """(local columns, referred table name, constraint) of each foreign key of ``table``."""
    found: list[tuple[list[Any], str, Any]] = []
    grouped: set[int] = set()
    for con in table.constraints:
        if isinstance(con, ForeignKeyConstraint):
            cols = [table.c[n] for n in con.column_names]
            found.append((cols, con.refcolumns[0].rpartition(".")[0], con))
            grouped.update(id(fk) for c in cols for fk in c.foreign_keys)
    for col in table.c:
        for fk in col.foreign_keys:
            if id(fk) not in grouped:
                found.append(([col], fk.target_table_name, fk))
    return found


def _is_association(table: Table) -> bool:
    """Two foreign keys to two other tables, and no column outside them."""
    fks = _foreign_keys(table)
    if len(fks) != 2 or fks[0][1] == fks[1][1]:
        return False
    in_keys = {c.name for cols, _t, _c in fks for c in cols}
    return in_keys == {c.name for c in table.c}


def _attach(local: type, key: str, prop: Any, referred: type) -> None:
    """Map ``prop`` as ``local.<key>``; its backref (if the hook left one) becomes the
    relationship on ``referred`` right away, the pair joined by ``back_populates``, so that
    both sides exist before mappers are configured (as when each is declared by hand)."""
    made = prop.backref
    if made is not None:
        name, kw = (made, {}) if isinstance(made, str) else made
        kw = dict(kw)
        if prop.secondary_arg is not None:
            kw.setdefault("secondary", prop.secondary_arg)
        elif prop.foreign_keys_arg is not None:
            kw.setdefault("foreign_keys", prop.foreign_keys_arg)
        prop.backref, prop.back_populates = None, name
        local.__mapper__.add_relationship(key, prop)  # type: ignore[attr-defined]
        reverse = relationship(local.__name__, back_populates=key, **kw)
        referred.__mapper__.add_relationship(name, reverse)  # type: ignore[attr-defined]
    else:
        local.__mapper__.add_relationship(key, prop)  # type: ignore[attr-defined]


def _check_free(cls: type, key: str) -> None:
    if key in cls.__mapper__.attrs:  # type: ignore[attr-defined]
        raise exc.ArgumentError(
            f"automap: {cls.__name__}.{key} is already an attribute (a column, or a "
            "relationship along another foreign key); pass name_for_scalar_relationship= / "
            "name_for_collection_relationship= to prepare() to name relationships apart"
        )


def automap_base(*, metadata: MetaData | None = None, name: str = "Base") -> Any:
    """A declarative base whose ``prepare(autoload_with=engine)`` maps the database::

    Base = automap_base()
    Base.prepare(autoload_with=engine)
    User = Base.classes.users
    session.scalars(select(User)).all()
    """
    base = declarative_base(metadata=metadata, name=name)
    return type(
        name,
        (base, AutomapBase),
        {"__abstract__": True, "classes": Classes(), "__module__": base.__module__},
    )


__all__ = [
    "AutomapBase",
    "Classes",
    "GenerateRelationshipType",
    "NameForCollectionRelationshipType",
    "NameForScalarRelationshipType",
    "PythonNameForTableType",
    "automap_base",
    "classname_for_table",
    "generate_relationship",
    "name_for_collection_relationship",
    "name_for_scalar_relationship",
]
