"""Mapper properties: the `MapperProperty` base, `ColumnProperty` (plain columns,
``column_property()``, ``deferred()``), ``query_expression()``, ``synonym()``,
``composite()``, and the read-only `Properties` collections the inspection API returns.

The mapper builds one for every mapped attribute (declarative hands the ones made in class
bodies to `Mapper.add_property`, which calls their ``_install``); read by code that inspects
mappings (``inspect(User).attrs``) and by ``RelationshipProperty``, which subclasses the base.

Called by: uow_orm.orm.*, uow_orm.ext.hybrid, uow_orm.ext.mutable (``TrackedValue``).
"""

from __future__ import annotations

import dataclasses
import typing
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .. import exc
from ..sql.elements import ColumnElement, ColumnOperators, ExpressionList, coerce_expression
from ..sql.schema import Column
from .attributes import ColumnAttribute, QueryableAttribute
from .base import InspectionAttrInfo, ORMDescriptor

if TYPE_CHECKING:
    from .declarative import MappedColumn
    from .mapper import Mapper
    from .relationships import RelationshipProperty
    from .state import InstanceState

_T = TypeVar("_T")
_V = TypeVar("_V")


class PropComparator(ColumnOperators):
    """Base of the objects that give a mapped attribute its class-level SQL behaviour
    (``sqlalchemy.orm.interfaces.PropComparator``): subclass it for a hybrid's
    ``@prop.comparator`` and override ``__eq__`` and friends, or ``operate(op, other)``
    with ``__clause_element__()`` giving the SQL expression compared.

    ``prop``, ``parentmapper`` and ``adapt_to_entity`` are kept as attributes for
    subclasses that read them.
    """

    __hash__ = object.__hash__

    def __init__(
        self, prop: Any = None, parentmapper: Any = None, adapt_to_entity: Any = None
    ) -> None:
        self.prop = self.property = prop
        self._parententity = parentmapper
        self._adapt_to_entity = adapt_to_entity

    def __clause_element__(self) -> Any:
        """The SQL expression this comparator compares; subclasses give it."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no __clause_element__(); override the "
            "operators it supports or give the expression"
        )

    def operate(self, op: Any, other: Any) -> ColumnElement:
        """``op`` (an operator name or an ``operator`` module function) applied to this
        comparator's expression and ``other``."""
        expr = coerce_expression(self.__clause_element__())
        if callable(op):
            return op(expr, other)  # type: ignore[no-any-return]
        return expr.operate(op, other)  # type: ignore[attr-defined,no-any-return]


class Properties(dict[str, _V]):
    """SQLAlchemy's read-only properties collection: a mapping by key whose *iteration*
    yields the values (``for prop in mapper.attrs``), with attribute access by key
    (``mapper.attrs.name``) and ``keys()`` / ``items()`` / ``values()`` / ``in`` by key.

    The ORM itself fills it; it is a dict underneath so that the ORM's own lookups by key
    cost what a dict lookup costs.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[_V]:  # type: ignore[override]
        return iter(dict.values(self))

    # lists, as SQLAlchemy's collections give them (``cls.columns.keys() + [...]`` works)
    def keys(self) -> list[str]:  # type: ignore[override]
        return list(dict.keys(self))

    def values(self) -> list[_V]:  # type: ignore[override]
        return list(dict.values(self))

    def items(self) -> list[tuple[str, _V]]:  # type: ignore[override]
        return list(dict.items(self))

    def __getattr__(self, key: str) -> _V:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self) -> str:
        return f"Properties({', '.join(self.keys())})"


class MapperProperty(InspectionAttrInfo):
    """A mapped attribute of a class, as the mapper sees it (`ColumnProperty`,
    `RelationshipProperty`): its ``key``, owning mapper (``parent``), ``info`` and ``doc``."""

    is_property = True
    is_mapper = False
    is_relationship = False
    _is_relationship = False

    key: str = ""
    parent: Mapper
    info: dict[str, Any]
    doc: str | None = None
    #: dataclass field options (``init``, ``repr``, ``default``, ...) for MappedAsDataclass
    _dataclass_kw: dict[str, Any] = {}

    def _install(self, mapper: Mapper, key: str) -> None:
        """Map this property on ``mapper`` under ``key`` (class attribute and collections)."""
        raise NotImplementedError

    def _set_parent(self, mapper: Mapper, key: str) -> None:
        self.key = key
        self.parent = mapper
        if "info" not in self.__dict__:
            self.info = {}

    @property
    def class_attribute(self) -> Any:
        """The instrumented class attribute (``User.name``) of this property."""
        return self.parent.class_.__dict__[self.key]

    @property
    def property(self) -> MapperProperty:
        """The property itself (``attribute.property`` and ``prop.property`` agree)."""
        return self


def _column_of(value: Any) -> Column[Any] | None:
    col = getattr(value, "column", None) if not isinstance(value, Column) else value
    if col is None and hasattr(value, "__clause_element__"):
        col = value.__clause_element__()
    return col if isinstance(col, Column) else None


class ColumnProperty(MapperProperty, Generic[_T]):
    """A column or SQL expression mapped to an attribute: every plain column
    (``inspect(User).attrs.name``), a read-only attribute loaded from an SQL expression with
    every entity SELECT (``column_property(firstname + " " + lastname)``), or a column
    mapped with options (``column_property(Column(...), deferred=True)``, ``deferred()``).

    ``columns`` is the list of mapped columns or expressions (one), ``expression`` that
    one, ``deferred`` / ``group`` / ``raiseload`` how it loads, ``doc`` the column's ``doc``.
    """

    active_history = False
    instrument = True
    #: ``column_property(a, b)``: several table columns under one attribute (a join mapping)
    several = False

    def __init__(
        self,
        expr: Any,
        *,
        deferred: bool = False,
        group: str | None = None,
        raiseload: bool = False,
        dataclass_kw: dict[str, Any] | None = None,
    ) -> None:
        self.expr = expr
        self.deferred = deferred or group is not None or raiseload
        self.group = group
        self.raiseload = raiseload
        self._dataclass_kw = dataclass_kw or {"init": False}
        col = _column_of(expr)
        self.columns: list[Any] = [col] if col is not None else []
        self.info: dict[str, Any] = {}
        self.doc = col.doc if col is not None else None

    @classmethod
    def _of_column(cls, mapper: Mapper, key: str, column: Column[Any]) -> ColumnProperty[Any]:
        """The property of a plain mapped column (made by the mapper itself)."""
        prop: ColumnProperty[Any] = cls(column)
        prop._set_parent(mapper, key)
        return prop

    def _install(self, mapper: Mapper, key: str) -> None:
        if self.several:
            raise exc.ArgumentError(
                f"{mapper.class_.__name__}.{key}: column_property() with several columns "
                "maps a class to a join (__table__ = join(a, b)); this class maps a table"
            )
        col = _column_of(self.expr)
        if col is not None and (col.table is None or col.table is mapper.local_table):
            mapper.add_column(key, col, self)
            if self.deferred:
                mapper.defer_column(key, self.group, self.raiseload)
            return
        expr = self.expr
        if getattr(expr, "is_select", False) and hasattr(expr, "scalar_subquery"):
            warnings.warn(  # SQLAlchemy coerces it with this warning
                f"column_property {mapper.class_.__name__}.{key}: implicitly coercing SELECT "
                "object to scalar subquery; please use the .scalar_subquery() method to "
                "produce a scalar subquery.",
                exc.SAWarning,
                stacklevel=2,
            )
            expr = self.expr = expr.scalar_subquery()
        expr = coerce_expression(expr)
        if not isinstance(expr, ColumnElement):
            raise exc.ArgumentError(
                f"column_property {mapper.class_.__name__}.{key} needs an SQL expression, "
                f"got {self.expr!r}"
            )
        self._set_parent(mapper, key)
        self.columns = [expr]
        mapper.column_properties[key] = expr
        if self.deferred:
            mapper.deferred[key] = (self.group, self.raiseload)
        mapper._order_columns()
        attr: ColumnAttribute[Any] = ColumnAttribute(mapper.class_, key, mapper, expr)  # type: ignore[arg-type]
        mapper.attrs[key] = self
        mapper.column_attrs[key] = self
        type.__setattr__(mapper.class_, key, attr)

    @property
    def expression(self) -> Any:
        """The SQL expression of the attribute: its column (or column_property expression),
        also in the class body before mapping (``column_property("C:/" + f.expression)``)."""
        return self.columns[0] if self.columns else coerce_expression(self.expr)

    def __clause_element__(self) -> Any:
        return self.expression

    def __repr__(self) -> str:
        parent = getattr(self, "parent", None)
        if parent is None:
            return f"<ColumnProperty {self.expr!r}>"
        return f"<ColumnProperty {parent.class_.__name__}.{self.key}>"

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: Any) -> ColumnAttribute[_T]: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> _T: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...


class MappedSQLExpression(ColumnProperty[_T], ORMDescriptor[_T]):
    """What `column_property` and `deferred` return (SQLAlchemy's name): a `ColumnProperty`
    given in a class body, usable as the value of a ``Mapped[...]`` annotation."""


def column_property(
    expr: Any,
    *additional: Any,
    deferred: bool = False,
    group: str | None = None,
    raiseload: bool = False,
    init: bool = False,
    repr: bool = True,
) -> Any:
    """A read-only attribute computed by an SQL expression, loaded with the object.

    Args:
        expr: an SQL expression over the class's columns (a correlated
            ``select(...).scalar_subquery()`` works too), or a Column.
        deferred / group / raiseload: load it only on access (see `deferred`).

    Raises:
        ArgumentError: for additional columns (not supported).
    """
    prop: ColumnProperty[Any] = MappedSQLExpression(
        expr,
        deferred=deferred,
        group=group,
        raiseload=raiseload,
        dataclass_kw={"init": init, "repr": repr},
    )
    if additional:
        # several columns under one attribute: a class mapped to a join (see
        # declarative._map_join); every one must be a table column
        cols = [_column_of(c) for c in (expr, *additional)]
        if any(c is None for c in cols):
            raise exc.ArgumentError(
                "column_property() with several arguments takes table columns only "
                "(a class mapped to a join maps equated columns under one attribute)"
            )
        prop.columns = cols
        prop.several = True
    return prop


def deferred(
    column: Any, *additional: Any, group: str | None = None, raiseload: bool = False
) -> Any:
    """A column (or column_property expression) loaded only when first accessed, in one
    SELECT with the other unloaded columns of its ``group``; ``raiseload=True`` makes that
    access raise instead."""
    if additional:
        raise exc.ArgumentError("deferred() with several columns is not supported")
    return MappedSQLExpression(column, deferred=True, group=group, raiseload=raiseload)


class _ExpressionAttribute(ColumnAttribute[_T]):
    """Reads None (no SQL) until a query gives it a value with ``with_expression()``."""

    __slots__ = ()

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        return None


class QueryExpressionProperty(MapperProperty, ORMDescriptor[Any]):
    """What `query_expression` returns."""

    def __init__(self, default_expr: Any = None) -> None:
        self.default_expr = default_expr
        self._dataclass_kw = {"init": False}
        self.info: dict[str, Any] = {}

    def _install(self, mapper: Mapper, key: str) -> None:
        self._set_parent(mapper, key)
        mapper.expressions[key] = self.default_expr
        from ..sql.elements import Null

        expr = self.default_expr if self.default_expr is not None else Null()
        attr: _ExpressionAttribute[Any] = _ExpressionAttribute(
            mapper.class_,
            key,
            mapper,
            expr,  # type: ignore[arg-type]
        )
        mapper.attrs[key] = self
        type.__setattr__(mapper.class_, key, attr)


def query_expression(default_expr: Any = None) -> Any:
    """An attribute a query fills with ``options(with_expression(Cls.attr, expr))``;
    it reads None when the query did not."""
    if default_expr is not None:
        raise exc.ArgumentError("query_expression(default_expr=...) is not supported")
    return QueryExpressionProperty(default_expr)


class _SynonymAttribute(QueryableAttribute[Any]):
    """``Cls.alias`` is the target attribute in expressions; ``obj.alias`` reads and
    writes the target (or the given descriptor)."""

    __slots__ = ("descriptor", "name")

    def __init__(self, class_: type, key: str, mapper: Mapper, name: str, descriptor: Any) -> None:
        super().__init__(class_, key, mapper)
        self.name = name
        self.descriptor = descriptor

    def _target(self) -> Any:
        return getattr(self.class_, self.name)

    def __getattr__(self, item: str) -> Any:
        return getattr(self._target(), item)

    def operate(self, op: str, other: Any) -> ColumnElement:
        return self._target().operate(op, other)  # type: ignore[no-any-return]

    def _expr(self) -> ColumnElement:
        return self._target()._expr()  # type: ignore[no-any-return]

    def __clause_element__(self) -> Any:
        return self._target().__clause_element__()

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        if self.descriptor is not None:
            return self.descriptor.__get__(obj, owner)
        return getattr(obj, self.name)

    def set(self, obj: Any, value: Any) -> None:
        if self.descriptor is not None:
            self.descriptor.__set__(obj, value)
        else:
            setattr(obj, self.name, value)


class SynonymProperty(MapperProperty, ORMDescriptor[Any]):
    """What `synonym` returns: a second name for a mapped attribute."""

    def __init__(self, name: str, descriptor: Any = None) -> None:
        self.name = name
        self.descriptor = descriptor
        self._dataclass_kw = {"init": False}
        self.info: dict[str, Any] = {}

    def _install(self, mapper: Mapper, key: str) -> None:
        self._set_parent(mapper, key)
        attr = _SynonymAttribute(mapper.class_, key, mapper, self.name, self.descriptor)
        mapper.attrs[key] = self
        mapper.synonyms[key] = self
        mapper.setters[key] = attr
        type.__setattr__(mapper.class_, key, attr)

    @property
    def _proxied_object(self) -> Any:
        """The property this synonym names (``synonym("name")`` -> the ``name`` column's),
        under SQLAlchemy's name, which serializer libraries read to convert a synonym."""
        return self.parent.get_property(self.name)


def synonym(name: str, *, descriptor: Any = None, map_column: Any = None) -> Any:
    """Another name for the mapped attribute ``name``: reads, writes, constructor keywords
    and query expressions all go to it (``descriptor`` gives instance-level behaviour)."""
    if map_column is not None:
        raise exc.ArgumentError("synonym(map_column=...) is not supported")
    return SynonymProperty(name, descriptor)


#: SQL operator -> the comparator method that implements it on a composite
_COMPOSITE_OPS = {
    "=": "__eq__",
    "!=": "__ne__",
    "<": "__lt__",
    "<=": "__le__",
    ">": "__gt__",
    ">=": "__ge__",
}


class _CompositeAttribute(QueryableAttribute[Any]):
    """``Cls.start == Point(1, 2)`` on the class; ``obj.start`` builds the value object
    from the columns, and assigning one sets the columns. Comparisons (and any other
    method of a ``comparator_factory``) are its comparator's."""

    __slots__ = ("comparator", "composite_class", "keys")

    def __init__(
        self,
        class_: type,
        key: str,
        mapper: Mapper,
        composite_class: Any,
        keys: list[str],
        prop: CompositeProperty,
    ) -> None:
        super().__init__(class_, key, mapper)
        self.composite_class = composite_class
        self.keys = keys
        factory = prop.comparator_factory or CompositeProperty.Comparator
        self.comparator: CompositeProperty.Comparator = factory(prop, mapper)
        self.comparator._attr = self

    def __getattr__(self, name: str) -> Any:
        # a method the comparator_factory adds (``Vertex.start.near(p)``)
        if name.startswith("__") or name in _CompositeAttribute.__slots__:
            raise AttributeError(name)
        return getattr(self.comparator, name)

    def _columns(self) -> list[Any]:
        return [self.mapper.columns[k] for k in self.keys]

    def _values(self, value: Any) -> list[Any]:
        if value is None:
            return [None] * len(self.keys)
        getter = getattr(value, "__composite_values__", None)
        if getter is not None:
            return list(getter())
        if dataclasses.is_dataclass(value):
            return [getattr(value, f.name) for f in dataclasses.fields(value)]
        raise exc.ArgumentError(
            f"{self.class_.__name__}.{self.key}: {type(value).__name__} needs "
            "__composite_values__() (or must be a dataclass)"
        )

    def operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        name = _COMPOSITE_OPS.get(op) if isinstance(op, str) else None
        if name is None:
            raise exc.ArgumentError(
                f"composite {self!r} supports ==, !=, <, <=, > and >= (or the methods of "
                f"its comparator_factory), not {op}"
            )
        return getattr(self.comparator, name)(*args)  # type: ignore[no-any-return]

    def _compare(self, op: str, other: Any) -> ColumnElement:
        """The default comparison: each column with the value's, joined by AND (OR for
        ``!=``: the values differ when any column does)."""
        from ..sql.elements import and_, or_

        pairs = list(zip(self._columns(), self._values(other)))
        if op == "=":
            return and_(*[c == v for c, v in pairs])
        if op == "!=":
            return or_(*[c != v for c, v in pairs])
        return and_(*[c.operate(op, v) for c, v in pairs])

    def __clause_element__(self) -> Any:
        return _CompositeColumns(self._columns())

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        vals = [getattr(obj, k) for k in self.keys]
        if all(v is None for v in vals):
            return None
        return self.composite_class(*vals)

    def set(self, obj: Any, value: Any) -> None:
        for k, v in zip(self.keys, self._values(value)):
            setattr(obj, k, v)


class _CompositeColumns(ExpressionList):
    """A composite's columns as one expression; ``.clauses`` lists them."""

    __slots__ = ()

    @property
    def clauses(self) -> list[Any]:
        """The composite's columns, in order."""
        return self.items


class CompositeProperty(MapperProperty, ORMDescriptor[Any]):
    """What `composite` returns."""

    class Comparator:
        """How a composite attribute compares (``Vertex.start == Point(1, 2)``): each
        column with the matching value of the other side. Subclass it and give it as
        ``composite(..., comparator_factory=MyComparator)`` to redefine an operator or add
        methods; ``self.__clause_element__().clauses`` are the columns.

        Args:
            prop: the `CompositeProperty`.
            parentmapper: the mapper of the class the attribute belongs to.
            adapt_to_entity: accepted for SQLAlchemy's signature; must be None.
        """

        __hash__ = None  # type: ignore[assignment]

        def __init__(self, prop: Any, parentmapper: Any = None, adapt_to_entity: Any = None):
            if adapt_to_entity is not None:
                raise exc.ArgumentError(
                    "CompositeProperty.Comparator(adapt_to_entity=) is not supported"
                )
            self.prop = prop
            self.parentmapper = parentmapper
            self._attr: _CompositeAttribute | None = None

        def _attribute(self) -> _CompositeAttribute:
            if self._attr is None:
                raise exc.InvalidRequestError(
                    f"{type(self).__name__} is not attached to a mapped composite attribute"
                )
            return self._attr

        def __clause_element__(self) -> Any:
            """The composite's columns as one expression (``.clauses`` lists them)."""
            return self._attribute().__clause_element__()

        @property
        def clauses(self) -> list[Any]:
            """The composite's columns, in order."""
            return self.__clause_element__().clauses  # type: ignore[no-any-return]

        def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
            return self._attribute()._compare("=", other)

        def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
            return self._attribute()._compare("!=", other)

        def __lt__(self, other: Any) -> ColumnElement:
            return self._attribute()._compare("<", other)

        def __le__(self, other: Any) -> ColumnElement:
            return self._attribute()._compare("<=", other)

        def __gt__(self, other: Any) -> ColumnElement:
            return self._attribute()._compare(">", other)

        def __ge__(self, other: Any) -> ColumnElement:
            return self._attribute()._compare(">=", other)

    def __init__(
        self,
        class_: Any,
        columns: tuple[Any, ...],
        dataclass_kw: dict[str, Any],
        comparator_factory: type[CompositeProperty.Comparator] | None = None,
    ) -> None:
        self.composite_class = class_
        self.column_args = columns
        self._dataclass_kw = dataclass_kw
        self.comparator_factory = comparator_factory
        self.info: dict[str, Any] = {}

    def _install(self, mapper: Mapper, key: str) -> None:
        from .declarative import MappedColumn

        self._set_parent(mapper, key)
        if self.composite_class is None:
            raise exc.ArgumentError(
                f"composite {mapper.class_.__name__}.{key} needs its class: composite(Point, "
                "...) or annotate Mapped[Point]"
            )
        field_types: list[Any] = []
        if dataclasses.is_dataclass(self.composite_class):
            hints = typing.get_type_hints(self.composite_class)
            field_types = [hints.get(f.name) for f in dataclasses.fields(self.composite_class)]
        keys: list[str] = []
        for i, arg in enumerate(self.column_args):
            if isinstance(arg, str):
                if arg not in mapper.columns:
                    raise exc.ArgumentError(f"composite {key}: no mapped column {arg!r}")
                keys.append(arg)
                continue
            if isinstance(arg, MappedColumn):
                py_type = field_types[i] if i < len(field_types) else None
                name = arg.column.name or f"{key}_{i}"
                col = arg.make_column(name, py_type, None, mapper.class_.__name__, mapper.registry)
            else:
                found = _column_of(arg)
                if found is None:
                    raise exc.ArgumentError(
                        f"composite {key}: expected columns or attribute names, got {arg!r}"
                    )
                col = found
            existing = mapper.column_to_key.get(col)
            if existing is None:
                mapper.add_column(col.key or col.name, col)
                existing = mapper.column_to_key[col]
            keys.append(existing)
        attr = _CompositeAttribute(mapper.class_, key, mapper, self.composite_class, keys, self)
        mapper.attrs[key] = self
        mapper.setters[key] = attr
        type.__setattr__(mapper.class_, key, attr)


def composite(class_: Any = None, *attrs: Any, **kw: Any) -> Any:
    """A value object made of several columns: ``composite(Point, "x1", "y1")`` or
    ``start: Mapped[Point] = composite(mapped_column("x1"), mapped_column("y1"))``.

    The class takes the column values positionally and gives them back from
    ``__composite_values__()`` (dataclasses need neither)."""
    from .declarative import MappedColumn

    if class_ is not None and (isinstance(class_, (str, Column, MappedColumn))):
        attrs = (class_, *attrs)
        class_ = None
    dataclass_kw: dict[str, Any] = {
        k: kw.pop(k) for k in ("init", "repr", "default", "kw_only") if k in kw
    }
    factory = kw.pop("comparator_factory", None)
    if kw:
        raise exc.ArgumentError(f"composite() got unsupported arguments {sorted(kw)}")
    if factory is not None and not (
        isinstance(factory, type) and issubclass(factory, CompositeProperty.Comparator)
    ):
        raise exc.ArgumentError(
            f"composite(comparator_factory=) must be a CompositeProperty.Comparator "
            f"subclass, got {factory!r}"
        )
    return CompositeProperty(class_, attrs, dataclass_kw, factory)


class TrackedValue:
    """Base of `uow_orm.ext.mutable.Mutable`: a column value that knows the objects holding
    it, so an in-place change can mark them modified. It lives here, below the extension,
    so that the mapper and the flush link values to their parents with `attach` without
    importing ``uow_orm.ext``."""

    @property
    def _parents(self) -> dict[InstanceState, str]:
        """{parent object's state: attribute key}, created on first use. A state is a weak
        reference to its object, so holding it never keeps the parent alive."""
        try:
            return self.__dict__["_uow_parents"]  # type: ignore[no-any-return]
        except KeyError:
            parents: dict[InstanceState, str] = {}
            self.__dict__["_uow_parents"] = parents
            return parents


#: (column type class, TrackedValue class) pairs from ``Mutable.associate_with()``: every
#: column of such a type mapped afterwards holds tracked values of that class
MUTABLE_ASSOCIATIONS: list[tuple[type, type]] = []


def mutable_class_of(column_type: Any) -> Any:
    """The TrackedValue class the values of a column of ``column_type`` are (``as_mutable``
    or ``associate_with``), or None."""
    found = getattr(type(column_type), "_uow_mutable", None)
    if found is None:
        for sqltype, mutable_cls in MUTABLE_ASSOCIATIONS:
            if isinstance(column_type, sqltype):
                return mutable_cls
    return found


def attach(value: Any, state: InstanceState, key: str) -> None:
    """Record that ``value`` (when it is a `TrackedValue`) is held by attribute ``key`` of
    the object of ``state``."""
    if isinstance(value, TrackedValue):
        value._parents[state] = key


def __getattr__(name: str) -> Any:
    """``MappedColumn`` and ``RelationshipProperty`` by SQLAlchemy's import path
    (``sqlalchemy.orm.properties``); their modules import this one."""
    if name == "MappedColumn":
        from .declarative import MappedColumn

        return MappedColumn
    if name == "RelationshipProperty":
        from .relationships import RelationshipProperty

        return RelationshipProperty
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MUTABLE_ASSOCIATIONS",
    "ColumnProperty",
    "CompositeProperty",
    "MappedColumn",
    "MappedSQLExpression",
    "MapperProperty",
    "Properties",
    "QueryExpressionProperty",
    "RelationshipProperty",
    "SynonymProperty",
    "TrackedValue",
    "attach",
    "column_property",
    "composite",
    "deferred",
    "query_expression",
    "synonym",
]
