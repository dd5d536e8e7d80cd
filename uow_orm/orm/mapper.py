"""``Mapper``: which table a class maps, its column and relationship attributes, its keys.

Built by declarative; read by everything in the ORM. Relationships are configured lazily
(``registry.configure()``), once every class they may name exists.

Called by: uow_orm.orm.* (declarative builds mappers; the rest of the ORM reads them).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .. import exc
from ..sql.schema import Column, MetaData, Table
from . import events as _events
from .attributes import ColumnAttribute, QueryableAttribute
from .base import IdentityKey, InspectionAttr, NotExtension, make_identity_key
from .properties import ColumnProperty, MapperProperty, Properties
from .relationships import Direction, RelationshipAttribute, RelationshipProperty
from .state import STATE_ATTR

if TYPE_CHECKING:
    from collections.abc import Iterator


_F = TypeVar("_F", bound=Callable[..., Any])
_V = TypeVar("_V")

#: the result key of a discriminator that is an SQL expression (never an attribute)
_POLY_EXPR_KEY = "_sa_polymorphic_on"


def validates(
    *names: str, include_removes: bool = False, include_backrefs: bool = True
) -> Callable[[_F], _F]:
    """Decorate a method ``fn(self, key, value)`` that checks (and may replace) each value
    assigned to the named column or relationship attributes, and each item appended to
    the named collections; it returns the value to store. With ``include_removes`` it
    takes a fourth argument, ``is_remove``, and also sees items leaving a collection."""
    if not names:
        raise exc.ArgumentError("validates() needs at least one attribute name")

    def decorate(fn: _F) -> _F:
        fn.__sa_validators__ = (names, include_removes, include_backrefs)  # type: ignore[attr-defined]
        return fn

    return decorate


def reconstructor(fn: _F) -> _F:
    """Decorate a method run (with no arguments) on every object loaded from the database,
    where ``__init__`` is not called."""
    fn.__sa_reconstructor__ = True  # type: ignore[attr-defined]
    return fn


class _MutableSetter:
    """Stands in ``Mapper.setters`` for a ``Mutable.as_mutable`` column: assigned values are
    coerced to the mutable class and linked to their parent."""

    __slots__ = ("attr", "key", "mutable_cls")

    def __init__(self, attr: Any, mutable_cls: Any) -> None:
        self.attr = attr
        self.key = attr.key
        self.mutable_cls = mutable_cls

    def set(self, obj: Any, value: Any) -> None:
        from .properties import attach

        value = self.mutable_cls.coerce(self.key, value)
        self.attr.set(obj, value)
        attach(value, obj.__dict__[STATE_ATTR], self.key)


class _MutableColumnAttribute(ColumnAttribute[Any]):
    """A mutable column's class attribute: a value loaded on access is linked to its
    parent too."""

    __slots__ = ()

    def __get__(self, obj: Any, owner: Any) -> Any:
        value = super().__get__(obj, owner)
        if obj is not None:
            from .properties import attach

            attach(value, obj.__dict__[STATE_ATTR], self.key)
        return value


class _ValidatingSetter:
    """Stands in ``Mapper.setters`` for a validated attribute: runs the validator, then the
    attribute's own ``set``."""

    __slots__ = ("attr", "fn", "include_removes", "key")

    def __init__(self, attr: Any, fn: Callable[..., Any], include_removes: bool) -> None:
        self.attr = attr
        self.key = attr.key
        self.fn = fn
        self.include_removes = include_removes

    def set(self, obj: Any, value: Any) -> None:
        if self.include_removes:
            value = self.fn(obj, self.key, value, False)
        else:
            value = self.fn(obj, self.key, value)
        self.attr.set(obj, value)


#: Every live registry (one per declarative base), for configure_mappers().
registries: weakref.WeakSet[Registry] = weakref.WeakSet()


def _all_registries() -> set[Registry]:
    """Every live registry (SQLAlchemy's ``orm.mapperlib._all_registries()``, which
    libraries use to find the mapper of a table)."""
    return set(registries)


class _ConfiguringProperties(Properties[_V]):
    """`Properties` of a mapper whose listings configure its registry first, as
    SQLAlchemy's ``Mapper.attrs`` / ``relationships`` do: a backref that another class
    declares is listed before the first query (libraries read them at import).

    A lookup by a key it holds stays a plain dict lookup; a missing key configures and
    looks again (``mapper.attrs["students"]`` for a backref). ``in``, ``get()``, ``len()``
    and truth (``if mapper.relationships:``, on every flush) do not configure.
    """

    __slots__ = ("registry",)

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry

    def _configured(self) -> None:
        registry = self.registry
        if not registry.configured and not registry.configuring:
            registry.configure()

    def __iter__(self) -> Iterator[_V]:  # type: ignore[override]
        self._configured()
        return iter(dict.values(self))

    def keys(self) -> list[str]:  # type: ignore[override]
        self._configured()
        return list(dict.keys(self))

    def values(self) -> list[_V]:  # type: ignore[override]
        self._configured()
        return list(dict.values(self))

    def items(self) -> list[tuple[str, _V]]:  # type: ignore[override]
        self._configured()
        return list(dict.items(self))

    def __missing__(self, key: str) -> _V:
        registry = self.registry
        if registry.configured or registry.configuring:
            raise KeyError(key)
        registry.configure()
        return dict.__getitem__(self, key)


class Registry:
    """The classes mapped by one declarative base, by name; configures relationships."""

    def __init__(
        self,
        *,
        metadata: MetaData | None = None,
        type_annotation_map: dict[Any, Any] | None = None,
    ) -> None:
        self.classes: dict[str, type] = {}
        self.mappers: list[Mapper] = []
        self.configured = True
        #: True while `configure` runs (a listing of ``Mapper.attrs`` then does not
        #: configure again)
        self.configuring = False
        #: the MetaData that declarative tables of this registry go into
        self.metadata = metadata if metadata is not None else MetaData()
        #: Python type (or ``Annotated`` alias) -> column type, consulted before the defaults
        self.type_annotation_map: dict[Any, Any] = dict(type_annotation_map or {})
        registries.add(self)

    def dispose(self) -> None:
        """Unmap every class of this registry (their instrumented attributes are removed)."""
        for m in self.mappers:
            m._dispose()
        self.mappers = []
        self.classes = {}
        self.configured = True

    def add(self, mapper: Mapper) -> None:
        """Register ``mapper`` (declarative does it for each mapped class), so that string
        arguments such as ``relationship("Address")`` find its class by name; a class of
        the same name registered before is replaced."""
        name = mapper.class_.__name__
        if name in self.classes and self.classes[name] is not mapper.class_:
            # The same name twice (e.g. in two test functions): the newest wins.
            self.mappers = [m for m in self.mappers if m.class_.__name__ != name]
        self.classes[name] = mapper.class_
        self.mappers.append(mapper)
        self.configured = False

    def configure(self) -> None:
        """Configure every mapper of this registry now (resolve relationships and backrefs,
        fire ``before_configured`` / ``after_configured``), as the first query or flush
        otherwise does; a no-op once configured.

        Raises:
            InvalidRequestError: a relationship cannot be resolved (an unknown class name,
                no foreign key between the tables, ...).
        """
        if self.configured or self.configuring:
            return
        self.configuring = True
        try:
            self._configure()
        finally:
            self.configuring = False

    def _configure(self) -> None:
        mappers = list(self.mappers)
        # configuration events fire once per mapper: a property added later (even by a
        # mapper_configured listener) configures again without firing them twice
        fresh = [m for m in mappers if not m.__dict__.get("_configure_events_fired")]
        if fresh:
            _declare_hooks(fresh, "__declare_first__")
            _events.fire_configure(fresh, before=True)
        # (a subclass mapper also lists the relationships it inherits: each is configured
        # once, by the mapper that declares it)
        for m in mappers:
            for prop in list(m.relationships.values()):
                if prop.parent is m:
                    prop.configure(self.classes)
        for m in mappers:
            for prop in list(m.relationships.values()):
                if prop.parent is m and prop.backref is not None and prop.reverse is None:
                    _make_backref(prop, self.classes)
        for m in mappers:
            for prop in m.relationships.values():
                if prop.parent is m and prop.back_populates and prop.reverse is None:
                    other = prop.mapper.relationships.get(prop.back_populates)
                    if other is None:
                        raise exc.ArgumentError(
                            f"relationship {prop}: back_populates={prop.back_populates!r} but "
                            f"{prop.mapper.class_.__name__} has no relationship of that name"
                        )
                    if prop.viewonly or other.viewonly:
                        continue  # SQLAlchemy's sync_backref: viewonly sides never sync
                    prop.reverse = other
                    other.reverse = prop
        for m in mappers:
            m._compute_dependencies()
        self.configured = True
        for m in fresh:
            m.__dict__["_configure_events_fired"] = True
        if fresh:
            _events.fire_configure(fresh, before=False)
            _declare_hooks(fresh, "__declare_last__")


def configure_mappers() -> None:
    """Configure relationships of every mapped class now (normally done on first use)."""
    for reg in list(registries):
        reg.configure()


def _declare_hooks(mappers: list[Mapper], name: str) -> None:
    """Call the declarative class hook ``name`` (``__declare_first__`` before the mappers
    are configured, ``__declare_last__`` after, as SQLAlchemy's declarative does) of each
    class that has one, once per mapper."""
    for m in mappers:
        hook = getattr(m.class_, name, None)
        if hook is not None and not m.__dict__.get(name):
            m.__dict__[name] = True
            hook()


def _key_flows(prop: RelationshipProperty, parent_side: Mapper, child_side: Mapper) -> bool:
    """Whether flushing ``prop`` copies a key of ``parent_side``'s rows into
    ``child_side``'s rows (so ``child_side`` is written after): a one-to-many of
    ``parent_side`` into ``child_side``, or a many-to-one of ``child_side`` to it."""
    if prop.viewonly or prop.post_update:
        return False
    if prop.direction is Direction.ONETOMANY:
        return prop.parent is parent_side and prop.mapper.base_mapper is child_side.base_mapper
    if prop.direction is Direction.MANYTOONE:
        return prop.parent is child_side and prop.mapper.base_mapper is parent_side.base_mapper
    return False


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
    if prop.primaryjoin_arg is not None or prop.secondaryjoin_arg is not None:
        from .joinconditions import reverse_conditions

        for k, v in reverse_conditions(prop).items():
            kw.setdefault(k, v)
    if prop.viewonly:
        kw.setdefault("viewonly", True)
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
    if prop.viewonly or rev.viewonly:
        return  # SQLAlchemy's sync_backref: viewonly sides never sync
    rev.reverse = prop
    prop.reverse = rev
    # as in SQLAlchemy, a backref pair reads as a back_populates pair once configured
    rev.back_populates = prop.key
    if prop.back_populates is None:
        prop.back_populates = name


class Mapper(InspectionAttr):
    """The mapping of one class onto one table; ``inspect(User)`` returns it.

    The inspection API follows SQLAlchemy's: ``attrs`` (every `MapperProperty`),
    ``column_attrs``, ``relationships``, ``synonyms``, ``all_orm_descriptors``, ``columns`` /
    ``c`` (the mapped `Column` objects by attribute key), ``primary_key``, ``local_table``,
    ``class_`` and the rest, each described in docs/guides/inspection.md. Those collections
    iterate over their values and are read-only by contract.
    """

    is_mapper = True
    is_property = False
    #: the mapper this one inherits from (None for a hierarchy's root)
    inherits: Mapper | None = None
    #: the discriminator: a column of the base table or an SQL expression (or None)
    polymorphic_on: Any = None
    #: the value of `polymorphic_on` that marks rows of this class
    polymorphic_identity: Any = None
    #: True for a class of the hierarchy that is never instantiated itself
    polymorphic_abstract = False
    #: "inline": queries for a parent class select this subclass's columns too
    polymorphic_load: str | None = None
    #: ``__mapper_args__["with_polymorphic"] = "*"`` on the base: every subclass is inline
    _with_polymorphic_all = False
    concrete = False
    #: True for a single-table subclass (it maps its parent's table)
    single = False
    #: a joined-table subclass: the ON clause joining its table to its parent's
    inherit_condition: Any = None
    #: a joined-table subclass's table in the flush: its key follows the base row's key
    #: by ON UPDATE CASCADE (see persistence.update_states)
    _cascaded_keys = False
    #: a `ConcreteBase` class: its queries read the polymorphic union of its hierarchy
    _concrete_union = False
    #: that union (a subquery), once a concrete subclass exists
    _union: Any = None
    #: an `AbstractConcreteBase` class: no table of its own, only the union
    _abstract_union = False
    #: the key columns queries for this class compare (the union's; None: `pk_columns`)
    _query_pk: list[Any] | None = None
    #: mapped to a subquery (read-only; see orm/subquery_mapping.py): that subquery
    _mapped_subquery: Any = None
    #: subclasses (at any depth) with polymorphic_load="selectin": queries for this class
    #: load their columns with one more SELECT each (see inheritance.selectin_targets)
    _selectin_subs: list[Mapper] = []
    #: a joined-table subclass: (parent column, own column) pairs of `inherit_condition`
    _inherit_pairs: list[tuple[Column[Any], Column[Any]]] = []
    #: mapped to a join of tables (``__table__ = join(a, b)``; see orm/join_mapping.py)
    _join_mapping = False
    #: a flush part of a join mapping: where its table's key is in the object's identity
    _key_positions: list[int] | None = None
    non_primary = False
    #: mapper and instance event listeners that apply to this mapper (see orm/events.py)
    dispatch: _events.MapperDispatch = _events.EMPTY_MAPPER_DISPATCH
    #: attribute key -> its attribute event listeners (only attributes that have some)
    attr_dispatch: dict[str, _events.AttributeDispatch] = {}
    #: attribute key of the discriminator column (set on new objects), or None
    _poly_key: str | None = None
    #: a discriminator that is an SQL expression (selected under `_POLY_EXPR_KEY`)
    _poly_expr: Any = None

    def __init__(
        self,
        class_: type,
        table: Table,
        column_attrs: dict[str, Column[Any]],
        relationships: dict[str, RelationshipProperty],
        registry: Registry,
        version_id_col: Column[Any] | None = None,
        *,
        primary_key: list[Column[Any]] | None = None,
        eager_defaults: bool | str = "auto",
        confirm_deleted_rows: bool = True,
        batch: bool = True,
        tables: list[Table] | None = None,
        extra_columns: list[tuple[str, Column[Any]]] | None = None,
    ) -> None:
        self.class_ = class_
        self.local_table = table
        #: joined-table inheritance: the tables of the chain, base first (None: one table)
        self._joined_tables = tables
        #: what entity SELECTs read from: the table, or the join of a joined subclass
        self._from: Any = table
        self.registry = registry
        #: the root of the inheritance hierarchy (the mapper itself when it inherits nothing)
        self.base_mapper: Mapper = self
        #: the mapper whose flush writes this class's rows: the hierarchy's base, except
        #: for a concrete subclass (its own table and identity: itself)
        self._flush_base: Mapper = self
        #: the class of identity-map keys: the root's, so a row has one key in the hierarchy
        self._identity_class: type = class_
        #: polymorphic identities to mappers, shared by every mapper of the hierarchy
        self.polymorphic_map: dict[Any, Mapper] = {}
        #: the mappers that inherit from this one directly
        self._children: list[Mapper] = []
        #: fetch server-generated column values right after INSERT / UPDATE (RETURNING
        #: where the backend has it) instead of on first access
        self.eager_defaults = eager_defaults
        #: warn when a DELETE matches fewer rows than objects were deleted
        self.confirm_deleted_rows = confirm_deleted_rows
        #: False: each object's INSERT / UPDATE / DELETE runs on its own, between its
        #: before_* and after_* events (read on the hierarchy's base mapper)
        self.batch = batch
        #: ``version_id_generator``: None (the integer counter), a callable (old version ->
        #: new), or False (the database or the application sets it; the ORM checks it)
        self.version_id_generator: Callable[[Any], Any] | Literal[False] | None = None
        self._map_columns(column_attrs, version_id_col, primary_key, extra_columns)
        self._init_properties()
        self._install_column_attributes(column_attrs)
        for key, prop in relationships.items():
            self.add_relationship(key, prop)
        # Filled by _compute_dependencies once relationships are configured:
        self.depends_on: set[Mapper] = set()
        self.post_update_cols: set[Column[Any]] = set()
        self.self_referential: list[RelationshipProperty] = []

    def _map_columns(
        self,
        column_attrs: dict[str, Column[Any]],
        version_id_col: Column[Any] | None,
        primary_key: list[Column[Any]] | None,
        extra_columns: list[tuple[str, Column[Any]]] | None,
    ) -> None:
        """The column side of the mapping: attribute key <-> column, the ordered column
        and primary-key lists, the version counter and the autoincrement key."""
        self.columns: Properties[Column[Any]] = Properties(column_attrs)
        self.c = self.columns
        self.column_to_key: dict[Column[Any], str] = {c: k for k, c in column_attrs.items()}
        #: more columns mapped under an attribute (a joined subclass's key column, a column
        #: that shadows a parent's of the same name): written with the attribute's value
        self._extra_columns: list[tuple[str, Column[Any]]] = list(extra_columns or ())
        for k, c in self._extra_columns:
            self.column_to_key[c] = k
        self._pk_override = list(primary_key) if primary_key is not None else None
        #: deferred column keys -> (group, raiseload); their columns are not in load_columns
        self.deferred: dict[str, tuple[str | None, bool]] = {}
        #: query_expression() keys: loaded only when a statement gives with_expression()
        self.expressions: dict[str, Any] = {}
        #: column_property() keys -> SQL expression, selected with every entity load
        self.column_properties: dict[str, Any] = {}
        self.column_list: list[Column[Any]] = []
        self.column_keys: list[str] = []
        self.pk_columns: list[Column[Any]] = []
        self.pk_keys: list[str] = []
        self.pk_positions: list[int] = []
        self._order_columns()
        self.version_id_col = version_id_col
        self.version_key = (
            self.column_to_key.get(version_id_col) if version_id_col is not None else None
        )
        autoinc = [c for c in self.pk_columns if c.is_autoincrement]
        self.autoinc_col: Column[Any] | None = autoinc[0] if autoinc else None
        self.autoinc_key = self.column_to_key[autoinc[0]] if autoinc else None

    def _init_properties(self) -> None:
        """The empty property collections (``attrs``, ``relationships``, ...), validators
        and load hooks that mapping columns and relationships fills in."""
        self.relationships: Properties[RelationshipProperty] = _ConfiguringProperties(self.registry)
        self.attrs: Properties[MapperProperty] = _ConfiguringProperties(self.registry)
        self.column_attrs: Properties[ColumnProperty[Any]] = Properties()
        self.synonyms: Properties[MapperProperty] = Properties()
        self.properties: dict[str, MapperProperty] = {}
        #: attribute key -> @validates method
        self.validators: dict[str, Callable[..., Any]] = {}
        #: relationship key -> (@validates method, include_removes, include_backrefs)
        self.relationship_validators: dict[str, tuple[Callable[..., Any], bool, bool]] = {}
        self.reconstructor: Callable[[Any], Any] | None = None
        #: run on every object built from a row (mutable links, @reconstructor), or None
        self._on_load: Callable[[Any], Any] | None = None
        self.mutable_keys: dict[str, Any] = {}
        #: constructor keywords set straight into __dict__ (none when setters do more)
        self._init_direct: dict[str, Any] = self.columns
        self.setters: dict[str, QueryableAttribute[Any]] = {}

    def _install_column_attributes(self, column_attrs: dict[str, Column[Any]]) -> None:
        """A `ColumnProperty` and an instrumented attribute on the class per column."""
        class_ = self.class_
        for key, col in column_attrs.items():
            attr: ColumnAttribute[Any] = ColumnAttribute(class_, key, self, col)
            cprop: ColumnProperty[Any] = ColumnProperty._of_column(self, key, col)
            self.attrs[key] = cprop
            self.column_attrs[key] = cprop
            self.setters[key] = attr
            type.__setattr__(class_, key, attr)

    def _order_columns(self) -> None:
        """Column lists in table order and the primary key positions (after any change)."""
        table = self.local_table
        if self._joined_tables is None:
            ordered = [c for c in table.c if c in self.column_to_key]
        else:  # one column per attribute, in the order of the chain's tables
            cols = self.columns
            ordered = [
                c
                for t in self._joined_tables
                for c in t.c
                if c in self.column_to_key and cols.get(self.column_to_key[c]) is c
            ]
            self.__dict__.pop("_table_parts", None)
        self.column_list = ordered
        self.column_keys = [self.column_to_key[c] for c in ordered]
        pk = self._mapped_primary_key()
        self.pk_columns = pk
        self.pk_keys = [self.column_to_key[c] for c in pk]
        at = {c: i for i, c in enumerate(ordered)}  # (by identity: a type's == may be SQL)
        self.pk_positions = [at[c] for c in pk]
        self._order_load_columns()
        #: columns the database changes on UPDATE (reloaded after one)
        self.server_onupdate_keys = [
            k for c, k in zip(ordered, self.column_keys) if c.server_onupdate is not None
        ]
        self.__dict__.pop("_result_procs", None)  # loading's; the flush checks column_list

    @property
    def version_from_server(self) -> bool:
        """Whether the database generates the version (``version_id_generator=False``
        with a server default or SQL expression default on its column): the flush fetches
        it after each INSERT and UPDATE."""
        vc = self.version_id_col
        if self.version_id_generator is not False or vc is None:
            return False
        return vc.server_default is not None or bool(
            getattr(vc.default, "is_clause_element", False)
        )

    def _mapped_primary_key(self) -> list[Column[Any]]:
        """The primary-key columns: ``__mapper_args__["primary_key"]`` or the table's.

        Raises:
            ArgumentError: there is none, or one of them is not mapped.
        """
        table = self.local_table
        pk = self._pk_override if self._pk_override is not None else list(table.primary_key)
        if not pk:
            raise exc.ArgumentError(
                f"class {self.class_.__name__} maps table {table.name!r}, which has no primary "
                "key; mark a column primary_key=True or give "
                "__mapper_args__ = {'primary_key': [...]}"
            )
        missing = [c.name for c in pk if c not in self.column_to_key]
        if missing:
            raise exc.ArgumentError(f"primary key columns {missing} of {table.name} not mapped")
        return pk

    def _order_load_columns(self) -> None:
        """``load_columns`` / ``load_keys`` / ``load_pk_positions``: what an entity SELECT
        of this class reads (after the column lists and primary key are ordered)."""
        ordered, pk = self.column_list, self.pk_columns
        # What an entity SELECT reads: every column unless some are deferred (then the
        # same list objects are reused, so loading pays nothing for this feature).
        deferred = getattr(self, "deferred", None)
        cprops = getattr(self, "column_properties", None)
        if deferred or cprops:
            self.load_columns: list[Any] = [
                c for c, k in zip(ordered, self.column_keys) if k not in (deferred or {})
            ]
            self.load_keys: list[str] = [k for k in self.column_keys if k not in (deferred or {})]
            for k, expr in (cprops or {}).items():
                if k not in (deferred or {}):
                    self.load_columns.append(expr)
                    self.load_keys.append(k)
            load_at = {c: i for i, c in enumerate(self.load_columns)}
            self.load_pk_positions: list[int] = [load_at[c] for c in pk]
        else:
            self.load_columns = ordered
            self.load_keys = self.column_keys
            self.load_pk_positions = self.pk_positions
        if self._union is not None:  # a ConcreteBase class: the union's columns
            from .inheritance import union_load

            self.load_columns, self.load_keys = union_load(self)
            self.load_pk_positions = [self.load_keys.index(k) for k in self.pk_keys]
        elif self._children:
            # polymorphic_load="inline" subclasses' columns, and a discriminator that is an
            # expression (under a key no attribute has), are selected with this class
            inline_cols, inline_keys = self._polymorphic_extra()
            if inline_cols:
                self.load_columns = [*self.load_columns, *inline_cols]
                self.load_keys = [*self.load_keys, *inline_keys]

    # -- what an entity SELECT reads (deferred columns, column properties, options) ------
    def entity_columns(
        self, options: list[Any]
    ) -> tuple[list[Any], list[str], dict[str, str] | None]:
        """(SQL expressions, attribute keys, per-object column strategies) of an entity
        SELECT with these statement options; the mapper's own lists when no column option
        names this class (the common case costs one scan of the option list)."""
        if not options:
            return self.load_columns, self.load_keys, None
        from .strategy_options import ColumnOption

        opts = [
            o
            for o in options
            if isinstance(o, ColumnOption) and (o.mapper is None or o.mapper is self)
        ]
        if not opts:
            return self.load_columns, self.load_keys, None
        if self._union is not None:
            raise exc.ArgumentError(
                f"column loader options ({opts[0].kind}) are not supported for the "
                f"ConcreteBase class {self.class_.__name__} (its queries read a union); give "
                "them to a query of a concrete subclass"
            )
        deferred, exprs = self._apply_column_options(opts)
        if self._poly_key is not None and self._children:
            deferred.pop(self._poly_key, None)  # rows need their discriminator to load
        cols: list[Any] = []
        keys: list[str] = []
        for c, k in zip(self.column_list, self.column_keys):
            if k not in deferred:
                cols.append(c)
                keys.append(k)
        for k, expr in [*self.column_properties.items(), *exprs.items()]:
            if k not in deferred:
                cols.append(expr)
                keys.append(k)
        if self._children:
            inline_cols, inline_keys = self._polymorphic_extra()
            cols.extend(inline_cols)
            keys.extend(inline_keys)
        strategies = {k: "raise" for k, (_g, r) in deferred.items() if r}
        for k, (_g, r) in self.deferred.items():
            if r and k in deferred and not deferred[k][1]:
                strategies[k] = "select"  # defer() without raiseload overrides the mapping
        return cols, keys, strategies or None

    def _apply_column_options(
        self, opts: list[Any]
    ) -> tuple[dict[str, tuple[str | None, bool]], dict[str, Any]]:
        """The mapping's deferred columns as ``defer()`` / ``undefer()`` /
        ``undefer_group()`` / ``load_only()`` change them (key -> (group, raiseload)),
        and the ``with_expression()`` expressions by key.

        Raises:
            ArgumentError: ``defer()`` of a primary key column.
        """
        deferred = dict(self.deferred)
        exprs: dict[str, Any] = {}
        for o in opts:
            if o.kind == "defer":
                for k in o.keys:
                    if k in self.pk_keys:
                        raise exc.ArgumentError(f"defer(): {k!r} is a primary key column")
                    deferred[k] = (None, o.raiseload)
            elif o.kind == "undefer":
                if o.keys == ["*"]:
                    deferred.clear()
                for k in o.keys:
                    deferred.pop(k, None)
            elif o.kind == "undefer_group":
                for k, (g, _r) in list(deferred.items()):
                    if g == o.group:
                        del deferred[k]
            elif o.kind == "load_only":
                keep = set(o.keys) | set(self.pk_keys)
                for k in [*self.column_keys, *self.column_properties]:
                    if k not in keep:
                        deferred[k] = (None, o.raiseload)
                    else:
                        deferred.pop(k, None)
            elif o.kind == "expression":
                exprs[o.keys[0]] = o.expr
        return deferred, exprs

    def _polymorphic_extra(self) -> tuple[list[Any], list[str]]:
        """What a polymorphic load selects beyond this mapper's own columns: the columns
        of ``polymorphic_load="inline"`` subclasses and an expression discriminator."""
        cols: list[Any] = []
        keys: list[str] = []
        every = self.base_mapper._with_polymorphic_all
        for m in self.self_and_descendants[1:]:
            if (m.polymorphic_load != "inline" and not every) or m.concrete:
                continue
            for c, k in zip(m.column_list, m.column_keys):
                if k not in self.columns and k not in keys and k not in m.deferred:
                    cols.append(c)
                    keys.append(k)
        if self._poly_expr is not None:
            cols.append(self._poly_expr)
            keys.append(_POLY_EXPR_KEY)
        return cols, keys

    def unloaded_keys(self, d: dict[str, Any], key: str | None) -> list[str]:
        """The column keys one load of an unloaded attribute fetches: every unloaded
        non-deferred column, or for a deferred ``key`` that column and its group."""
        if not self.deferred and not self.column_properties:
            return [k for k in self.column_keys if k not in d]
        if key is not None and key in self.deferred:
            group = self.deferred[key][0]
            out = [key]
            if group is not None:
                out += [
                    k
                    for k, (g, _r) in self.deferred.items()
                    if g == group and k != key and k not in d
                ]
            return out
        return [
            k
            for k in self.load_keys
            if k not in d and (k in self.columns or k in self.column_properties)
        ]

    def load_expr(self, key: str) -> Any:
        """The SQL expression that loads attribute ``key`` (a column or column property)."""
        col = self.columns.get(key)
        return col if col is not None else self.column_properties[key]

    def add_column(
        self, key: str, column: Column[Any], prop: ColumnProperty[Any] | None = None
    ) -> None:
        """Map one more column (``User.nickname = Column(String)`` after the class exists);
        the column joins the table when it has none. ``prop`` is the `ColumnProperty`
        mapping it (``column_property(Column(...))``; a plain one when not given)."""
        if getattr(column, "table", None) is None:
            if not column.name:
                column.name = key
            column.key = key
            self.local_table.append(column)
        elif column.table is not self.local_table:
            raise exc.ArgumentError(
                f"column {column!r} belongs to table {column.table.name!r}, not "
                f"{self.local_table.name!r}"
            )
        if key in self.relationships:
            raise exc.ArgumentError(f"{self.class_.__name__}.{key} is already a relationship")
        self.columns[key] = column
        self.column_to_key[column] = key
        self._order_columns()
        attr: ColumnAttribute[Any] = ColumnAttribute(self.class_, key, self, column)
        if prop is None:
            prop = ColumnProperty(column)
        prop._set_parent(self, key)
        prop.columns = [column]
        self.attrs[key] = prop
        self.column_attrs[key] = prop
        self.setters[key] = attr
        type.__setattr__(self.class_, key, attr)
        if self.single:
            from .inheritance import register_subclass_columns

            register_subclass_columns(self)
        if self._children:
            self._propagate_column(key, column)

    def _propagate_column(self, key: str, column: Column[Any]) -> None:
        for child in self._children:
            if key not in child.columns and not child.concrete:
                child.add_column(key, column, ColumnProperty(column))

    def add_property(self, key: str, prop: MapperProperty | RelationshipProperty) -> None:
        """Map ``prop`` under ``key`` (relationships, column properties, synonyms, ...)."""
        if isinstance(prop, RelationshipProperty):
            self.add_relationship(key, prop)
            return
        prop.key = key
        prop.parent = self
        self.properties[key] = prop
        prop._install(self, key)
        if self._children:
            from .inheritance import propagate

            propagate(self)

    def defer_column(self, key: str, group: str | None, raiseload: bool) -> None:
        """Leave column ``key`` out of entity SELECTs; it loads on first access (or, with
        ``raiseload``, raises), together with the other columns of its ``group``."""
        if key not in self.columns:
            raise exc.ArgumentError(f"{self.class_.__name__}.{key} is not a mapped column")
        if self.columns[key].primary_key:
            raise exc.ArgumentError(f"primary key column {key!r} cannot be deferred")
        self.deferred[key] = (group, raiseload)
        self._order_columns()
        for child in self._children:
            if key not in child.deferred and not child.concrete:
                child.defer_column(key, group, raiseload)

    def _install_class_hooks(self) -> None:
        """Find ``@validates`` and ``@reconstructor`` methods on the class (and its bases)."""
        self.reconstructor = None
        seen: set[str] = set()
        for klass in self.class_.__mro__:
            for name, fn in klass.__dict__.items():
                if name in seen or not callable(fn):
                    continue
                seen.add(name)
                if getattr(fn, "__sa_reconstructor__", False) and self.reconstructor is None:
                    self.reconstructor = fn
                spec = getattr(fn, "__sa_validators__", None)
                if spec is not None:
                    names, include_removes, include_backrefs = spec
                    for key in names:
                        self._add_validator(key, fn, include_removes, include_backrefs)
        from .properties import mutable_class_of

        mutable = {
            k: m for k, c in self.columns.items() if (m := mutable_class_of(c.type)) is not None
        }
        self.mutable_keys = mutable
        for key, mcls in mutable.items():
            self.setters[key] = _MutableSetter(self.setters[key], mcls)  # type: ignore[assignment]
            attr = _MutableColumnAttribute(self.class_, key, self, self.columns[key])
            type.__setattr__(self.class_, key, attr)
        if self.validators or mutable:
            self._init_direct = {}
        recon = self.reconstructor
        if mutable:
            from .properties import attach

            def on_load(obj: Any) -> None:
                d = obj.__dict__
                st = d[STATE_ATTR]
                for k, mcls in mutable.items():
                    if k in d:
                        v = d[k]
                        if v is not None and not isinstance(v, mcls):  # (associate_with)
                            v = d[k] = mcls.coerce(k, v)
                        attach(v, st, k)
                if recon is not None:
                    recon(obj)

            self._on_load = on_load
        else:
            self._on_load = recon

    def _add_validator(
        self, key: str, fn: Callable[..., Any], include_removes: bool, include_backrefs: bool
    ) -> None:
        if key in self.validators:
            raise exc.ArgumentError(
                f"{self.class_.__name__}.{key} has two @validates methods; use one"
            )
        prop = self.relationships.get(key)
        if prop is not None:
            # scalar and collection alike: uselist is not known before configure, and the
            # relationship runs the validator itself (also for backref-made changes). The
            # property may be shared with subclasses: the object's own mapper has the spec.
            self.relationship_validators[key] = (fn, include_removes, include_backrefs)
            prop._validator = True
        elif key in self.setters:
            self.setters[key] = _ValidatingSetter(self.setters[key], fn, include_removes)  # type: ignore[assignment]
        else:
            raise exc.ArgumentError(
                f"@validates names {key!r}, which is not a mapped attribute of "
                f"{self.class_.__name__}"
            )
        self.validators[key] = fn

    def _dispose(self) -> None:
        for key in list(dict.keys(self.attrs)):  # (no configure: it is being unmapped)
            if key in self.class_.__dict__:
                type.__delattr__(self.class_, key)
        for name in ("__mapper__",):
            if name in self.class_.__dict__:
                type.__delattr__(self.class_, name)

    def add_relationship(self, key: str, prop: RelationshipProperty) -> None:
        """Map ``prop`` as relationship attribute ``key`` (configured on next use)."""
        prop.key = key
        prop.parent = self
        self.relationships[key] = prop
        attr: RelationshipAttribute[Any] = prop._attribute_class()(self.class_, key, self, prop)
        self.attrs[key] = prop
        self.setters[key] = attr
        type.__setattr__(self.class_, key, attr)
        self.registry.configured = False
        if self._children:
            from .inheritance import propagate

            propagate(self)

    def ensure_configured(self) -> None:
        """Configure the registry's relationships now if a mapping changed since."""
        if not self.registry.configured:
            self.registry.configure()

    _ensure_configured = ensure_configured  # the name older callers use

    def _compute_dependencies(self) -> None:
        """Which mappers' rows must exist before ours (from relationships and foreign keys)."""
        # (comparing base mappers: a hierarchy's rows are flushed together, by its base)
        post: set[Column[Any]] = set()
        base = self._flush_base
        for m in self.registry.mappers:
            for prop in m.relationships.values():
                if not prop.post_update or prop.parent is not m:
                    continue
                if prop.direction is Direction.MANYTOONE and prop.parent._flush_base is base:
                    post.update(local for local, _ in prop.local_remote_pairs)
                elif prop.direction is Direction.ONETOMANY and prop.mapper._flush_base is base:
                    post.update(remote for _, remote in prop.local_remote_pairs)
        self.post_update_cols = post
        family = (
            [m for m in self.self_and_descendants if m._flush_base is self]
            if base is self
            else [self]
        )
        self.self_referential = [
            p
            for m in family
            for p in m.relationships.values()
            if (p.parent is m or m is self)
            and p.mapper._flush_base is base
            and p.direction is not Direction.MANYTOMANY
            and not p.post_update
        ]

    def _flush_tables(self) -> list[Table]:
        """The tables the flush of this mapper's rows writes: its own, and for a hierarchy's
        base those of its joined-table subclasses too."""
        if not self._children:
            return [self.local_table]
        out: list[Table] = []
        for m in self.self_and_descendants:
            if m._flush_base is self:
                out.extend(t for t in m.tables if t not in out)
        return out

    def table_dependencies(self, others: list[Mapper]) -> list[Mapper]:
        """The mappers among ``others`` whose rows ours reference: through our tables'
        foreign keys (a hierarchy's base: its joined-table subclasses' tables too), and
        through relationships whose join condition names its foreign columns with
        ``foreign()`` and has no ForeignKey behind it (a "generic foreign key":
        ``Address.parent_id`` copied from whichever parent owns the row)."""
        deps = []
        targets = {m: {t.name for t in m._flush_tables()} for m in others if m is not self}
        for table in self._flush_tables():
            for fk in table.foreign_keys:
                if fk.parent in self.post_update_cols:
                    continue
                for m, names in targets.items():
                    if fk.target_table_name in names and m not in deps:
                        deps.append(m)
        for m in others:
            if m is self or m in deps or m.base_mapper is self.base_mapper:
                continue
            props = [*m.relationships.values(), *self.relationships.values()]
            if any(_key_flows(p, m, self) for p in props):
                deps.append(m)
        return deps

    def _single_criterion(self) -> Any:
        """The discriminator criterion a query for this single-table subclass adds (None
        for other mappers); read by the SQL compiler."""
        if not self.single:
            return None
        from .inheritance import single_criterion

        return single_criterion(self)

    def identity_key_from_pk(self, pk: tuple[Any, ...], identity_token: Any = None) -> IdentityKey:
        """The identity-map key of the row with primary key values ``pk`` (keyed by the
        hierarchy's root class, so ``get(Employee, 5)`` finds the ``Manager`` it is), in
        the shard ``identity_token`` (None outside horizontal sharding)."""
        return make_identity_key(self._identity_class, pk, identity_token)

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
    def persist_selectable(self) -> Any:
        """The table rows are written to (a joined subclass: the join of its tables; a
        class mapped to a subquery: that subquery, as in SQLAlchemy, though it is read-only)."""
        if self._mapped_subquery is not None:
            return self._mapped_subquery
        if self._joined_tables is None:
            return self.local_table
        if self._join_mapping:
            return self._from
        from .inheritance import inner_join

        return inner_join(self)

    @property
    def mapped_table(self) -> Any:
        """SQLAlchemy 1.x name of `persist_selectable`."""
        return self.persist_selectable

    @property
    def selectable(self) -> Any:
        """What rows are selected from: the table, or for a joined-table subclass the join
        of its tables (with outer joins to subclasses that load inline)."""
        return self._from

    @property
    def tables(self) -> list[Table]:
        """The tables this mapper maps (a joined subclass's chain, base table first)."""
        if self._joined_tables is not None:
            return list(self._joined_tables)
        return [self.local_table]

    @property
    def primary_key(self) -> tuple[Column[Any], ...]:
        """The primary key columns, in table order."""
        return tuple(self.pk_columns)

    @property
    def self_and_descendants(self) -> list[Mapper]:
        """This mapper and every mapper inheriting from it, parents before children."""
        out = [self]
        for m in out:
            out.extend(m._children)
        return out

    def iterate_to_root(self) -> Iterator[Mapper]:
        """This mapper, its parent, ... up to `base_mapper`."""
        m: Mapper | None = self
        while m is not None:
            yield m
            m = m.inherits

    def polymorphic_iterator(self) -> Iterator[Mapper]:
        """`self_and_descendants` as an iterator (SQLAlchemy's method of that name)."""
        return iter(self.self_and_descendants)

    @property
    def iterate_properties(self) -> Iterator[MapperProperty]:
        """Every `MapperProperty` (columns and relationships)."""
        self._ensure_configured()
        return iter(self.attrs.values())

    @property
    def all_orm_descriptors(self) -> Properties[Any]:
        """Every instrumented class attribute (``User.name``, ``User.addresses``) by key,
        then the extension descriptors (hybrids, association proxies: objects with an
        ``extension_type``), as in SQLAlchemy."""
        self._ensure_configured()
        out: dict[str, Any] = {}
        for k in self.attrs.keys():
            for klass in self.class_.__mro__:  # a subclass inherits its parents' attributes
                if k in klass.__dict__:
                    out[k] = klass.__dict__[k]
                    break
        for klass in self.class_.__mro__:
            for k, v in klass.__dict__.items():
                if k in out:
                    continue
                ext = getattr(type(v), "extension_type", None)
                if ext is not None and ext is not NotExtension.NOT_EXTENSION:
                    out[k] = v
        return Properties(out)

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

    def get_property_by_column(self, column: Column[Any]) -> ColumnProperty[Any]:
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
        """True when this mapper is ``other`` or inherits from it."""
        m: Mapper | None = self
        while m is not None:
            if m is other:
                return True
            m = m.inherits
        return False

    def common_parent(self, other: Mapper) -> bool:
        """True when both mappers belong to the same inheritance hierarchy."""
        return other.base_mapper is self.base_mapper

    def __repr__(self) -> str:
        return f"<Mapper {self.class_.__name__} -> {self.local_table.name}>"


__all__ = ["Mapper", "Registry", "configure_mappers"]
