"""``aliased()``: a mapped class seen through an alias of its table or through a subquery.

Built by users for self-joins, joining one table twice and subqueries as entities; read by
the compiler (``_aliased_columns``) and by loading, which builds ordinary mapped objects.

Called by: uow_orm.orm (package), query, relationships, polymorphic (aliased
``with_polymorphic()`` entities are aliased classes).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .. import exc
from ..sql.elements import (
    BinaryExpression,
    ColumnElement,
    ColumnOperators,
    and_,
    coerce,
    replace_columns,
)
from ..sql.selectable import Alias, FromClause, Join, Subquery, TextualSelect
from .base import (
    InspectionAttr,
    class_mapper,
    has_identity,
    object_mapper,
    object_state,
    was_deleted,
)
from .inheritance import polymorphic_union
from .relationships import CascadeOptions

if TYPE_CHECKING:
    from .mapper import Mapper
    from .relationships import RelationshipProperty

_T = TypeVar("_T")


def _alias_selectable(mapper: Any, selectable: Any, name: str | None) -> FromClause:
    """What an ``aliased()`` entity selects from: an alias of the mapped table, or the
    subquery / CTE / alias given (a SELECT becomes a subquery)."""
    if selectable is None and mapper._joined_tables is not None:
        from .inheritance import joined_subquery  # a joined-table subclass's tables

        return joined_subquery(mapper, name)  # type: ignore[no-any-return]
    if selectable is None:
        return Alias(mapper.local_table, name)
    sel = coerce(selectable)
    if hasattr(sel, "_scalar_subquery") and not getattr(sel, "is_from", True):
        sel = sel.subquery()
    if not isinstance(sel, FromClause) or getattr(sel, "is_select", False):
        if hasattr(sel, "subquery"):
            sel = sel.subquery()
        else:
            raise exc.ArgumentError(
                f"aliased({mapper.class_.__name__}, ...) needs a subquery, CTE or "
                f"alias, got {type(selectable).__name__}"
            )
    if name is not None and not isinstance(sel, (Subquery, Alias, TextualSelect)):
        # a table gets the alias name; a subquery, CTE or alias keeps its own (the
        # name only keys the entity in result rows, as in SQLAlchemy)
        sel = Alias(sel, name)
    return sel  # type: ignore[no-any-return]


class AliasedClass:
    """A mapped class under an alias: its attributes are the alias's columns.

    Rows selected through it build ordinary instances of the class (identity-mapped).
    """

    def __init__(
        self,
        entity: Any,
        selectable: Any = None,
        *,
        name: str | None = None,
        flat: bool = False,
        adapt_on_names: bool = False,
    ) -> None:
        mapper = _mapper_of(entity)
        mapper._ensure_configured()
        base = mapper.local_table
        sel = _alias_selectable(mapper, selectable, name)
        self.__dict__["__mapper__"] = mapper
        self.__dict__["_selectable"] = sel
        self.__dict__["_name"] = name
        self.__dict__["_flat"] = flat
        adapted: dict[Any, Any] = {}
        cols = []
        keys: list[str] = []
        for col, key in zip(mapper.column_list, mapper.column_keys):
            hit = None if adapt_on_names else sel.corresponding_column(col)
            if hit is None:  # a subquery's columns go by the column keys (adapt_on_names)
                hit = sel.c.get(col.key)  # type: ignore[attr-defined]
                if hit is None:
                    hit = sel.c.get(col.name)  # type: ignore[attr-defined]
            if hit is None:
                if col.primary_key:
                    raise exc.ArgumentError(
                        f"aliased({mapper.class_.__name__}, ...): the selectable has no column "
                        f"for the primary key {base.name}.{col.name}, so rows cannot be "
                        f"identified; select it (e.g. select({mapper.class_.__name__}))"
                    )
                continue  # partial columns: the attribute stays unloaded, loaded on access
            adapted[col] = hit
            cols.append(hit)
            keys.append(key)
        if len(cols) < len(mapper.column_list):
            # the row loader reads only these attributes (what a with_polymorphic entity
            # also tells it through this name)
            self.__dict__["_polymorphic_columns"] = ([c for c in adapted], keys)
        for key, extra in mapper._extra_columns:  # joined-table: Manager.id is manager.id
            if extra not in adapted and mapper.columns[key] in adapted:
                adapted[extra] = adapted[mapper.columns[key]]
        self.__dict__["_adapted"] = adapted
        self.__dict__["_aliased_columns"] = cols
        self.__dict__["_result_key"] = name or mapper.class_.__name__
        self.__dict__["_attr_cache"] = {}

    # -- the attributes of the aliased class ------------------------------------------------
    def __getattr__(self, key: str) -> Any:
        cache = self.__dict__["_attr_cache"]
        hit = cache.get(key)
        if hit is not None:
            return hit
        mapper: Mapper = self.__dict__["__mapper__"]
        if key in mapper.columns:
            attr: Any = AliasedColumnAttribute(self, key, self._adapted[mapper.columns[key]])
        elif key in mapper.relationships:
            attr = AliasedRelationshipAttribute(self, mapper.relationships[key], None)
        else:
            # other class attributes (methods, classmethods, hybrids) bound to the alias, as
            # SQLAlchemy does: a classmethod gets the alias as ``cls``, a hybrid's
            # expression is built from the alias's columns
            for klass in mapper.class_.__mro__:
                if key in klass.__dict__:
                    raw = klass.__dict__[key]
                    get = getattr(type(raw), "__get__", None)
                    return get(raw, None, self) if get is not None else raw
            raise AttributeError(f"aliased({mapper.class_.__name__}) has no attribute {key!r}")
        cache[key] = attr
        return attr

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("aliased classes are read-only")

    def __clause_element__(self) -> FromClause:
        return self.__dict__["_selectable"]  # type: ignore[no-any-return]

    def _adapt(self, element: Any) -> Any:
        """``element`` with the mapped table's columns replaced by this alias's columns."""
        adapted = self.__dict__["_adapted"]
        return replace_columns(element, lambda c: adapted.get(c))

    @property
    def __name__(self) -> str:
        return self._result_key  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<AliasedClass {self.__mapper__.class_.__name__} as {self._result_key}>"


class AliasedInsp(InspectionAttr):
    """``inspect(aliased(User))``: what an aliased class is (SQLAlchemy's ``AliasedInsp``):
    its ``mapper``, the ``entity`` (the aliased class, or a ``with_polymorphic()``
    entity), ``class_``, the ``selectable`` its columns come from and its ``name``."""

    is_aliased_class = True
    is_mapper = False
    is_clause_element = False

    def __init__(self, entity: Any) -> None:
        self.entity = entity
        self.mapper: Mapper = entity.__dict__["__mapper__"]
        self.class_ = self.mapper.class_
        self.selectable = entity.__dict__["_selectable"]
        self.name: str = entity.__dict__["_result_key"]

    @property
    def with_polymorphic_mappers(self) -> list[Any]:
        """The mappers it selects: a `with_polymorphic` entity's base and subclasses (none
        for an alias of one class)."""
        return list(self.entity.__dict__.get("_classes", ()))

    def __repr__(self) -> str:
        return f"<AliasedInsp at {id(self):#x}; {self.name}>"


class AliasedColumnAttribute(InspectionAttr, ColumnOperators):
    """``u1.name``: a mapped column attribute read through an alias."""

    __slots__ = ("column", "entity", "key")
    is_attribute = True

    def __init__(self, entity: AliasedClass, key: str, column: Any) -> None:
        self.entity = entity
        self.key = key
        self.column = column

    def __clause_element__(self) -> ColumnElement:
        return self.column  # type: ignore[no-any-return]

    def _expr(self) -> ColumnElement:
        return self.column  # type: ignore[no-any-return]

    def operate(self, op: str, other: Any) -> ColumnElement:
        out = self.column.operate(op, other)
        if isinstance(out, BinaryExpression):
            # (with_loader_criteria(..., include_aliases=True) finds the alias by it)
            out._orm_entities = frozenset((self.entity,))
        return out  # type: ignore[no-any-return]

    @property
    def type(self) -> Any:
        return self.column.type

    @property
    def expression(self) -> Any:
        return self.column

    def __repr__(self) -> str:
        return f"{self.entity._result_key}.{self.key}"


class AliasedRelationshipAttribute(InspectionAttr):
    """``u1.addresses`` (and ``User.addresses.of_type(a1)``): a relationship whose parent
    or target side is an alias; usable in ``join()`` and ``joinedload`` paths."""

    __slots__ = ("criteria", "of_mapper", "of_polymorphic", "parent_alias", "prop", "target_alias")
    #: the statement cache's key of it in a loader option's path (`uow_orm.sql.cache`)
    _cache_key_slots: ClassVar[tuple[str, ...]] = __slots__
    is_relationship = True
    is_attribute = True

    def __init__(
        self,
        parent_alias: AliasedClass | None,
        prop: RelationshipProperty,
        target_alias: AliasedClass | None,
        criteria: tuple[Any, ...] = (),
    ) -> None:
        self.parent_alias = parent_alias
        self.prop = prop
        self.target_alias = target_alias
        self.criteria = criteria
        #: ``of_type(Subclass)`` of a single-table hierarchy: joins add its criterion
        self.of_mapper: Mapper | None = None
        #: ``of_type(with_polymorphic(...))``: joins read its FROM (the subclass tables)
        self.of_polymorphic: Any = None

    def and_(self, *criteria: Any) -> AliasedRelationshipAttribute:
        """This relationship's ON clause with more conditions: ``User.addresses.and_(
        Address.email.like("%work"))`` (aimed at the alias, for an ``of_type()`` target)."""
        out = AliasedRelationshipAttribute(
            self.parent_alias, self.prop, self.target_alias, (*self.criteria, *criteria)
        )
        out.of_mapper = self.of_mapper
        out.of_polymorphic = self.of_polymorphic
        return out

    @property
    def key(self) -> str:
        return self.prop.key

    @property
    def mapper(self) -> Mapper:
        return self.prop.parent

    @property
    def _parent_from(self) -> Any:
        if self.parent_alias is not None:
            return self.parent_alias.__clause_element__()
        return self.prop.parent._from

    def of_type(self, target: Any) -> AliasedRelationshipAttribute:
        """This relationship aimed at ``target`` (an ``aliased()`` of its target class, a
        subclass of it, or a ``with_polymorphic()`` of it)."""
        poly_mapper = target.__dict__.get("__mapper__") if hasattr(target, "_classes") else None
        if poly_mapper is not None:  # with_polymorphic(Target, [...])
            if not poly_mapper.isa(self.prop.mapper):
                raise exc.ArgumentError(
                    f"of_type({target!r}): not a polymorphic entity of "
                    f"{self.prop.mapper.class_.__name__}"
                )
            if isinstance(target, AliasedClass):  # aliased=True: the alias's columns
                return AliasedRelationshipAttribute(
                    self.parent_alias, self.prop, target, self.criteria
                )
            out = AliasedRelationshipAttribute(self.parent_alias, self.prop, None, self.criteria)
            if poly_mapper._union is None:  # (a concrete base reads its union anyway)
                out.of_polymorphic = target
            return out
        if not isinstance(target, AliasedClass):
            target_mapper = _mapper_of(target)
            if target_mapper is self.prop.mapper:
                return AliasedRelationshipAttribute(
                    self.parent_alias, self.prop, None, self.criteria
                )
            if target_mapper.isa(self.prop.mapper) and (
                target_mapper.single or target_mapper._joined_tables is not None
            ):
                out = AliasedRelationshipAttribute(
                    self.parent_alias, self.prop, None, self.criteria
                )
                out.of_mapper = target_mapper
                return out
            raise exc.ArgumentError(f"of_type({target!r}): give an aliased() target class")
        if target.__mapper__ is not self.prop.mapper:
            raise exc.ArgumentError(
                f"of_type(): {target!r} is not an alias of {self.prop.mapper.class_.__name__}"
            )
        return AliasedRelationshipAttribute(self.parent_alias, self.prop, target, self.criteria)

    def _join_info(self) -> tuple[Any, ColumnElement]:
        prop = self.prop
        parent, target = self.parent_alias, self.target_alias

        def on_parent(el: Any) -> Any:
            return parent._adapt(el) if parent is not None else el

        def on_target(el: Any) -> Any:
            return target._adapt(el) if target is not None else el

        target_from = target.__clause_element__() if target is not None else prop.mapper.local_table
        extra = [on_target(coerce(c)) for c in self.criteria]
        if prop.secondary is not None:
            sec_on = and_(prop._secondary_clause(on_target), *extra)
            on = prop._primary_clause(on_parent)
            return Join(prop.secondary, target_from, sec_on), on
        if self.of_mapper is not None and self.of_mapper.single:
            extra.append(self.of_mapper._single_criterion())
        elif self.of_mapper is not None and target is None:
            target_from = self.of_mapper._from  # a joined-table subclass: its tables
        if self.of_polymorphic is not None and target is None:
            target_from = self.of_polymorphic.__clause_element__()  # outer-joined subclasses
        return target_from, and_(prop._primary_clause(on_parent, on_target), *extra)

    def __repr__(self) -> str:
        return f"{self.prop}"

    @property
    def property(self) -> RelationshipProperty:
        return self.prop


def _mapper_of(entity: Any) -> Mapper:
    if isinstance(entity, AliasedClass):
        return entity.__mapper__  # type: ignore[no-any-return]
    mapper = getattr(entity, "__mapper__", None)
    if mapper is None or not isinstance(entity, type):
        raise exc.ArgumentError(f"aliased() needs a mapped class, got {entity!r}")
    return mapper  # type: ignore[no-any-return]


def aliased(
    element: Any,
    alias: Any = None,
    name: str | None = None,
    flat: bool = False,
    adapt_on_names: bool = False,
) -> Any:
    """The mapped class (or table) ``element`` under an alias.

    ``aliased(User)`` / ``aliased(User, name="u1")`` alias the class's table;
    ``aliased(User, subq)`` reads the class from a subquery or CTE that selects its
    columns. A ``Table`` gives ``table.alias(name)``. ``flat`` is accepted for
    compatibility (a single-table class has nothing to flatten).
    Raises `uow_orm.exc.ArgumentError` for an unmapped class or a selectable that lacks
    a mapped column.
    """
    if isinstance(element, FromClause) and not hasattr(element, "__mapper__"):
        if alias is not None:
            raise exc.ArgumentError("aliased(table, alias): give name= for a table alias")
        return element.alias(name)
    if isinstance(element, AliasedClass) and alias is None:
        element = element.__mapper__.class_
    return AliasedClass(element, alias, name=name, flat=flat, adapt_on_names=adapt_on_names)


class Bundle(InspectionAttr):
    """Several columns selected as one value: ``select(Bundle("user", User.id, User.name))``
    gives rows whose first element answers ``.id`` and ``.name``.

    Subclass and override `create_row_processor` to build other objects.
    """

    single_entity = False
    is_bundle = True

    def __init__(self, name: str, *exprs: Any, single_entity: bool = False) -> None:
        if not exprs:
            raise exc.ArgumentError(f"Bundle({name!r}) needs at least one column")
        self.name = name
        self.exprs = list(exprs)
        self.single_entity = single_entity or type(self).single_entity
        self._bundle_columns = [coerce(x) for x in exprs]
        keys = []
        for n, x in enumerate(exprs):
            k = getattr(x, "key", None) or getattr(coerce(x), "key", None) or f"col_{n}"
            keys.append(str(k))
        self._keys = keys
        self.c = self.columns = _BundleColumns(dict(zip(keys, self._bundle_columns)))

    def create_row_processor(self, query: Any, procs: list[Any], labels: list[str]) -> Any:
        """A function turning the bundle's slice of a row into its value (a keyed row)."""
        from ..engine.result import Row, _keymap

        keymap = _keymap(labels)

        def proc(row: Any) -> Any:
            return Row(tuple(p(row) for p in procs), keymap)

        return proc

    def _from_objects(self) -> list[Any]:
        out: list[Any] = []
        for c in self._bundle_columns:
            out.extend(c._from_objects())
        return out

    def label(self, name: str) -> Bundle:
        """A copy of this bundle under another name (the key of its value in result rows)."""
        b = copy.copy(self)
        b.name = name
        return b

    def __repr__(self) -> str:
        return f"Bundle({self.name!r}, {', '.join(self._keys)})"


class _BundleColumns:
    def __init__(self, cols: dict[str, Any]) -> None:
        self._cols = cols

    def __getattr__(self, key: str) -> Any:
        try:
            return self._cols[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        return self._cols[key]

    def __iter__(self) -> Any:
        return iter(self._cols.values())


def with_parent(instance: Any, prop: Any, from_entity: Any = None) -> ColumnElement:
    """The criterion selecting the objects related to ``instance`` through ``prop``:
    ``select(Address).where(with_parent(user, User.addresses))``."""
    from .relationships import _bound_value, _value_of
    from .state import state_of

    rel = getattr(prop, "property", prop)
    st = state_of(instance)
    if st is None:
        raise exc.ArgumentError(f"with_parent() needs a mapped object, got {instance!r}")
    if rel.secondary is not None:
        raise exc.NotSupportedError("with_parent() of a many-to-many relationship")
    if getattr(rel, "_target_alias", None) is not None:
        raise exc.NotSupportedError("with_parent() of a relationship to an aliased() class")
    crit = and_(
        *[
            remote == _value_of(instance, st, local, rel)
            for local, remote in rel.local_remote_pairs
        ],
        *rel._extra_criteria(lambda col: _bound_value(instance, st, col, rel)),
    )
    if from_entity is not None:
        if not isinstance(from_entity, AliasedClass):
            raise exc.ArgumentError("with_parent(from_entity=) takes an aliased() class")
        crit = from_entity._adapt(crit)
    return crit


__all__ = [
    "AliasedClass",
    "AliasedInsp",
    "Bundle",
    "CascadeOptions",
    "InspectionAttr",
    "aliased",
    "class_mapper",
    "has_identity",
    "object_mapper",
    "object_state",
    "polymorphic_union",
    "was_deleted",
    "with_parent",
]
