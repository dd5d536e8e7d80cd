"""``Mapper``: which table a class maps, its column and relationship attributes, its keys.

Built by declarative; read by everything in the ORM. Relationships are configured lazily
(``registry.configure()``), once every class they may name exists.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from .. import exc
from ..schema import Column, Table
from .attributes import ColumnAttribute, QueryableAttribute
from .properties import ColumnProperty, MapperProperty, Properties
from .relationships import Direction, RelationshipAttribute, RelationshipProperty

if TYPE_CHECKING:
    from collections.abc import Iterator


#: Every live registry (one per declarative base), for configure_mappers().
registries: weakref.WeakSet[Registry] = weakref.WeakSet()


class Registry:
    """The classes mapped by one declarative base, by name; configures relationships."""

    def __init__(self) -> None:
        self.classes: dict[str, type] = {}
        self.mappers: list[Mapper] = []
        self.configured = True
        registries.add(self)

    def add(self, mapper: Mapper) -> None:
        name = mapper.class_.__name__
        if name in self.classes and self.classes[name] is not mapper.class_:
            # The same name twice (e.g. in two test functions): the newest wins.
            self.mappers = [m for m in self.mappers if m.class_.__name__ != name]
        self.classes[name] = mapper.class_
        self.mappers.append(mapper)
        self.configured = False

    def configure(self) -> None:
        if self.configured:
            return
        mappers = list(self.mappers)
        for m in mappers:
            for prop in list(m.relationships.values()):
                prop.configure(self.classes)
        for m in mappers:
            for prop in list(m.relationships.values()):
                if prop.backref is not None and prop.reverse is None:
                    _make_backref(prop, self.classes)
        for m in mappers:
            for prop in m.relationships.values():
                if prop.back_populates and prop.reverse is None:
                    other = prop.mapper.relationships.get(prop.back_populates)
                    if other is None:
                        raise exc.ArgumentError(
                            f"relationship {prop}: back_populates={prop.back_populates!r} but "
                            f"{prop.mapper.class_.__name__} has no relationship of that name"
                        )
                    prop.reverse = other
                    other.reverse = prop
        for m in mappers:
            m._compute_dependencies()
        self.configured = True


def _make_backref(prop: RelationshipProperty, registry: dict[str, type]) -> None:
    name, kw = (prop.backref, {}) if isinstance(prop.backref, str) else prop.backref  # type: ignore[misc]
    target = prop.mapper
    if name in target.relationships:
        raise exc.ArgumentError(
            f"backref {name!r} of {prop} conflicts with an existing relationship on "
            f"{target.class_.__name__}"
        )
    kw = dict(kw)
    if prop.direction is Direction.MANYTOMANY:
        kw.setdefault("secondary", prop.secondary)
    if prop.foreign_keys_arg is not None:
        kw.setdefault("foreign_keys", prop.foreign_keys_arg)
    if prop.parent is prop.mapper:  # self-referential: the reverse flips remote_side
        if prop.direction is Direction.ONETOMANY:
            kw.setdefault("remote_side", [local for local, _ in prop.local_remote_pairs])
    if prop.direction is Direction.MANYTOONE and prop.uselist:
        kw.setdefault("uselist", False)
    rev = RelationshipProperty(prop.parent.class_, **kw)
    if prop.direction is Direction.ONETOMANY and prop.parent is not prop.mapper:
        rev.uselist_arg = kw.get("uselist", False) if "uselist" in kw else False
    target.add_relationship(name, rev)
    rev.configure(registry)
    rev.reverse = prop
    prop.reverse = rev
    # as in SQLAlchemy, a backref pair reads as a back_populates pair once configured
    rev.back_populates = prop.key
    if prop.back_populates is None:
        prop.back_populates = name


class Mapper:
    """The mapping of one class onto one table; ``inspect(User)`` returns it.

    The inspection API follows SQLAlchemy's: ``attrs`` (every `MapperProperty`),
    ``column_attrs``, ``relationships``, ``synonyms``, ``all_orm_descriptors``, ``columns`` /
    ``c`` (the mapped `Column` objects by attribute key), ``primary_key``, ``local_table``,
    ``class_`` and the rest, each described in docs/guides/inspection.md. Those collections
    iterate over their values and are read-only by contract.
    """

    is_mapper = True
    is_property = False
    #: Single-table mapping only: there is no inheritance hierarchy to describe.
    inherits: Mapper | None = None
    polymorphic_on: Any = None
    polymorphic_identity: Any = None
    concrete = False
    single = False
    non_primary = False

    def __init__(
        self,
        class_: type,
        table: Table,
        column_attrs: dict[str, Column[Any]],
        relationships: dict[str, RelationshipProperty],
        registry: Registry,
        version_id_col: Column[Any] | None = None,
    ) -> None:
        self.class_ = class_
        self.local_table = table
        self.registry = registry
        self.columns: Properties[Column[Any]] = Properties(column_attrs)
        self.c = self.columns
        self.column_to_key: dict[Column[Any], str] = {c: k for k, c in column_attrs.items()}
        ordered = [c for c in table.c if c in self.column_to_key]
        self.column_list: list[Column[Any]] = ordered
        self.column_keys: list[str] = [self.column_to_key[c] for c in ordered]
        self.pk_columns: list[Column[Any]] = list(table.primary_key)
        if not self.pk_columns:
            raise exc.ArgumentError(
                f"class {class_.__name__} maps table {table.name!r}, which has no primary key; "
                "mark a column primary_key=True"
            )
        missing = [c.name for c in self.pk_columns if c not in self.column_to_key]
        if missing:
            raise exc.ArgumentError(f"primary key columns {missing} of {table.name} not mapped")
        self.pk_keys: list[str] = [self.column_to_key[c] for c in self.pk_columns]
        self.pk_positions: list[int] = [self.column_list.index(c) for c in self.pk_columns]
        self.version_id_col = version_id_col
        self.version_key = (
            self.column_to_key.get(version_id_col) if version_id_col is not None else None
        )
        autoinc = [c for c in self.pk_columns if c.is_autoincrement]
        self.autoinc_col: Column[Any] | None = autoinc[0] if autoinc else None
        self.autoinc_key = self.column_to_key[autoinc[0]] if autoinc else None
        self.relationships: Properties[RelationshipProperty] = Properties()
        self.attrs: Properties[MapperProperty] = Properties()
        self.column_attrs: Properties[ColumnProperty] = Properties()
        self.synonyms: Properties[MapperProperty] = Properties()
        self.setters: dict[str, QueryableAttribute[Any]] = {}
        for key, col in column_attrs.items():
            attr: ColumnAttribute[Any] = ColumnAttribute(class_, key, self, col)
            cprop = ColumnProperty(key, self, col)
            self.attrs[key] = cprop
            self.column_attrs[key] = cprop
            self.setters[key] = attr
            setattr(class_, key, attr)
        for key, prop in relationships.items():
            self.add_relationship(key, prop)
        # Filled by _compute_dependencies once relationships are configured:
        self.depends_on: set[Mapper] = set()
        self.post_update_cols: set[Column[Any]] = set()
        self.self_referential: list[RelationshipProperty] = []

    def add_relationship(self, key: str, prop: RelationshipProperty) -> None:
        prop.key = key
        prop.parent = self
        self.relationships[key] = prop
        attr: RelationshipAttribute[Any] = RelationshipAttribute(self.class_, key, self, prop)
        self.attrs[key] = prop
        self.setters[key] = attr
        setattr(self.class_, key, attr)
        self.registry.configured = False

    def _ensure_configured(self) -> None:
        if not self.registry.configured:
            self.registry.configure()

    def _compute_dependencies(self) -> None:
        """Which mappers' rows must exist before ours (from relationships and foreign keys)."""
        post: set[Column[Any]] = set()
        for m in self.registry.mappers:
            for prop in m.relationships.values():
                if not prop.post_update:
                    continue
                if prop.direction is Direction.MANYTOONE and prop.parent is self:
                    post.update(local for local, _ in prop.local_remote_pairs)
                elif prop.direction is Direction.ONETOMANY and prop.mapper is self:
                    post.update(remote for _, remote in prop.local_remote_pairs)
        self.post_update_cols = post
        self.self_referential = [
            p
            for p in self.relationships.values()
            if p.mapper is self and p.direction is not Direction.MANYTOMANY and not p.post_update
        ]

    def table_dependencies(self, others: list[Mapper]) -> list[Mapper]:
        """The mappers among ``others`` whose tables our table's foreign keys reference."""
        deps = []
        for fk in self.local_table.foreign_keys:
            if fk.parent in self.post_update_cols:
                continue
            for m in others:
                if m is not self and m.local_table.name == fk.target_table_name and m not in deps:
                    deps.append(m)
        return deps

    def identity_key_from_pk(self, pk: tuple[Any, ...]) -> tuple[Any, ...]:
        return (self.class_, pk, None)

    # -- inspection API (SQLAlchemy's names) --------------------------------------------
    @property
    def mapper(self) -> Mapper:
        """The mapper itself (``inspect(cls).mapper`` works as for aliases and states)."""
        return self

    @property
    def entity(self) -> type:
        """The mapped class."""
        return self.class_

    @property
    def persist_selectable(self) -> Table:
        """The table rows are written to (the mapped table: no inheritance)."""
        return self.local_table

    @property
    def mapped_table(self) -> Table:
        """SQLAlchemy 1.x name of `persist_selectable`."""
        return self.local_table

    @property
    def selectable(self) -> Table:
        """The table rows are selected from."""
        return self.local_table

    @property
    def tables(self) -> list[Table]:
        """The tables this mapper maps (one)."""
        return [self.local_table]

    @property
    def primary_key(self) -> tuple[Column[Any], ...]:
        """The primary key columns, in table order."""
        return tuple(self.pk_columns)

    @property
    def base_mapper(self) -> Mapper:
        """The root of the inheritance hierarchy: the mapper itself."""
        return self

    @property
    def polymorphic_map(self) -> dict[Any, Mapper]:
        """Polymorphic identities to mappers: empty (no inheritance)."""
        return {}

    @property
    def self_and_descendants(self) -> list[Mapper]:
        """This mapper and the mappers inheriting from it (only itself)."""
        return [self]

    @property
    def iterate_properties(self) -> Iterator[MapperProperty]:
        """Every `MapperProperty` (columns and relationships)."""
        self._ensure_configured()
        return iter(self.attrs.values())

    @property
    def all_orm_descriptors(self) -> Properties[Any]:
        """Every instrumented class attribute (``User.name``, ``User.addresses``) by key."""
        self._ensure_configured()
        cls_dict = self.class_.__dict__
        return Properties({k: cls_dict[k] for k in self.attrs.keys() if k in cls_dict})

    @property
    def configured(self) -> bool:
        """True once relationships are configured."""
        return self.registry.configured

    def get_property(self, key: str) -> MapperProperty:
        """The `MapperProperty` named ``key``.

        Raises:
            InvalidRequestError: the class has no mapped attribute ``key``.
        """
        self._ensure_configured()
        prop = self.attrs.get(key)
        if prop is None:
            raise exc.InvalidRequestError(
                f"Mapper {self.class_.__name__!r} has no property {key!r}; mapped attributes "
                f"are {', '.join(self.attrs.keys())}"
            )
        return prop

    def has_property(self, key: str) -> bool:
        """True when ``key`` is a mapped attribute."""
        self._ensure_configured()
        return key in self.attrs

    def get_property_by_column(self, column: Column[Any]) -> ColumnProperty:
        """The `ColumnProperty` mapping ``column``.

        Raises:
            UnmappedColumnError: the column is not mapped by this mapper.
        """
        key = self.column_to_key.get(column)
        if key is None:
            raise exc.UnmappedColumnError(
                f"column {column!r} is not mapped by the mapper of {self.class_.__name__}"
            )
        return self.column_attrs[key]

    def isa(self, other: Mapper) -> bool:
        """True when this mapper is ``other`` (no inheritance)."""
        return other is self

    def common_parent(self, other: Mapper) -> bool:
        """True when both mappers share an inheritance root (here: are the same)."""
        return other is self

    def __repr__(self) -> str:
        return f"<Mapper {self.class_.__name__} -> {self.local_table.name}>"


__all__ = ["Mapper", "Registry"]
