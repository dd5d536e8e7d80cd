"""Declarative mapping: ``DeclarativeBase``, ``declarative_base()``, ``registry``, ``Mapped``,
``mapped_column``, ``declared_attr``, ``MappedAsDataclass``.

Turns class bodies (and mixins) into a ``Table`` and a ``Mapper``, and gives mapped classes
their keyword constructor, ``__repr__`` and the ``__setattr__`` that tracks changes.

Called by: uow_orm.orm (package), declarative_helpers, properties, dynamic, writeonly,
join_mapping, decl_api (SQLAlchemy's module path), uow_orm.ext.automap,
uow_orm.ext.declarative, uow_orm.ext.associationproxy (and applications, which subclass its
bases).
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import enum
import re
import sys
import types as pytypes
import typing
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeVar,
    Union,
    overload,
)

from .. import exc
from ..sql.elements import ColumnElement, ColumnOperators
from ..sql.schema import Column, ForeignKey, MetaData, Table
from ..types import Enum, NullType, TypeEngine, type_for_python
from . import events as _events
from .base import ORMDescriptor
from .mapper import Mapper, Registry
from .properties import MapperProperty
from .relationships import RelationshipProperty, relationship
from .state import STATE_ATTR, new_state

_T = TypeVar("_T")
_R = TypeVar("_R")
_C = TypeVar("_C", bound=type)
_NO_ARG: Any = object()

#: mapped_column() / relationship() keywords that only configure the dataclass field
DATACLASS_KW = ("init", "repr", "default_factory", "kw_only", "compare", "hash")

#: __mapper_args__ keys this mapper understands (everything else is refused by name)
_MAPPER_ARGS = frozenset(
    {
        "version_id_col",
        "version_id_generator",
        "eager_defaults",
        "primary_key",
        "include_properties",
        "exclude_properties",
        "confirm_deleted_rows",
        "batch",
        "polymorphic_on",
        "polymorphic_identity",
        "polymorphic_abstract",
        "with_polymorphic",
    }
)


class Mapped(ORMDescriptor[_T]):
    """Annotation for mapped attributes: ``name: Mapped[str] = mapped_column()``.

    For type checkers, ``User.name`` is an SQL expression and ``user.name`` a ``str``.
    """

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: Any) -> InstrumentedExpr[_T]: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> _T: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...
        def __set__(self, instance: Any, value: _T) -> None: ...

        # In a class body a mapped column is an SQL expression
        # (``fullname = column_property(first + " " + last)``).
        def __eq__(self, other: Any) -> ColumnElement: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> ColumnElement: ...  # type: ignore[override]
        def __lt__(self, other: Any) -> ColumnElement: ...
        def __le__(self, other: Any) -> ColumnElement: ...
        def __gt__(self, other: Any) -> ColumnElement: ...
        def __ge__(self, other: Any) -> ColumnElement: ...
        def __add__(self, other: Any) -> ColumnElement: ...
        def __radd__(self, other: Any) -> ColumnElement: ...
        def __sub__(self, other: Any) -> ColumnElement: ...
        def __mul__(self, other: Any) -> ColumnElement: ...
        def __truediv__(self, other: Any) -> ColumnElement: ...


if TYPE_CHECKING:
    from .attributes import ColumnAttribute as InstrumentedExpr


class MappedColumn(ColumnOperators, Mapped[_T]):
    """What `mapped_column` returns: a `Column` whose type and nullability may still come
    from the ``Mapped[...]`` annotation. Usable in expressions inside the class body
    (``column_property(firstname + " " + lastname)``)."""

    __slots__ = (
        "args",
        "column",
        "dataclass_kw",
        "deferred",
        "deferred_group",
        "deferred_raiseload",
        "kw",
        "use_existing_column",
    )
    __hash__ = object.__hash__

    def __init__(self, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        self.args = args
        self.kw = kw
        self.dataclass_kw = {k: kw.pop(k) for k in DATACLASS_KW if k in kw}
        if "default" in kw:
            self.dataclass_kw["default"] = kw["default"]
        if "insert_default" in kw:  # the column's default; ``default`` stays the dataclass's
            kw["default"] = kw.pop("insert_default")
        self.deferred = bool(kw.pop("deferred", False))
        self.deferred_group: str | None = kw.pop("deferred_group", None)
        self.deferred_raiseload = bool(kw.pop("deferred_raiseload", False))
        #: a single-table subclass reuses the base table's column of this name
        self.use_existing_column = bool(kw.pop("use_existing_column", False))
        if self.deferred_group is not None or self.deferred_raiseload:
            self.deferred = True
        if "sort_order" in kw:
            raise exc.ArgumentError("mapped_column(sort_order=...) is not supported")
        self.column: Column[Any] = Column(*args, **kw)

    def operate(self, op: str, other: Any) -> ColumnElement:
        """An SQL expression of this column (used before the class is mapped, e.g. in a
        ``column_property`` of the same class body)."""
        return self.column.operate(op, other)

    def _expr(self) -> ColumnElement:
        return self.column

    def __clause_element__(self) -> Column[Any]:
        return self.column

    def make_column(
        self,
        key: str,
        py_type: Any,
        optional: bool | None,
        owner: str,
        registry: Registry,
        *,
        copy: bool = False,
    ) -> Column[Any]:
        """The column, typed from the annotation (a fresh copy for each class of a mixin)."""
        col = self.column.copy() if copy or self.column.table is not None else self.column
        if isinstance(col.type, NullType):
            t = _type_for(py_type, registry) if py_type is not None else None
            if t is not None:
                col.type = t
            elif not col.foreign_keys:
                raise exc.ArgumentError(
                    f"{owner}.{key}: cannot infer a column type from annotation "
                    f"{py_type!r}; pass a type, e.g. mapped_column(String(50))"
                )
            # else typed by its foreign key: MetaData gives it the referenced column's type
        if "nullable" not in self.kw and optional is not None and not col.primary_key:
            col.nullable = optional
        if not col.name:  # named by its attribute; else its key stays its own (SQLAlchemy)
            col.name = key
            col.key = key
        return col

    def _merged(self, other: MappedColumn[Any]) -> MappedColumn[Any]:
        """This column's arguments on top of an ``Annotated[..., mapped_column(...)]`` one."""
        args = tuple(a._copy() if isinstance(a, ForeignKey) else a for a in other.args)
        mc: MappedColumn[Any] = MappedColumn(
            (*args, *self.args), {**other.kw, **self.kw, **self.dataclass_kw}
        )
        mc.deferred = self.deferred or other.deferred
        mc.deferred_group = self.deferred_group or other.deferred_group
        mc.deferred_raiseload = self.deferred_raiseload or other.deferred_raiseload
        mc.use_existing_column = self.use_existing_column or other.use_existing_column
        return mc


def mapped_column(*args: Any, **kw: Any) -> Any:
    """A column for a ``Mapped[...]`` annotation; type and nullability come from it
    unless given (``Optional[X]`` / ``X | None`` means nullable).

    Takes `Column`'s arguments, plus ``deferred`` / ``deferred_group`` /
    ``deferred_raiseload`` (load the column only on access) and, on `MappedAsDataclass`
    classes, the dataclass field options ``init``, ``repr``, ``default``,
    ``default_factory``, ``kw_only`` and ``compare``.
    """
    return MappedColumn(args, kw)


def orm_insert_sentinel(
    name: str | None = None,
    type_: Any = None,
    *,
    default: Any = None,
    omit_from_statements: bool = True,
) -> Any:
    """`mapped_column` of an INSERT sentinel column, as SQLAlchemy's
    ``orm_insert_sentinel()`` (the ORM form of `uow_orm.insert_sentinel`): nullable,
    typed by ``type_`` or else the ``Mapped[...]`` annotation, reused from the base
    table in a single-table subclass, and left out of ``select(table)`` /
    ``returning(table)`` unless ``omit_from_statements=False``. uow_orm's batched
    INSERTs keep the parameter order without it, so it is written only with a value or
    a ``default`` (NULL otherwise).

    Raises:
        ArgumentError: at mapping, when neither ``type_`` nor an annotation types it.
    """
    args = [a for a in (name, type_) if a is not None]
    mc: MappedColumn[Any] = MappedColumn(
        tuple(args),
        {
            "default": default,
            "insert_sentinel": True,
            "use_existing_column": True,
            "nullable": True,
        },
    )
    mc.column._omit_from_statements = bool(omit_from_statements)
    return mc


def _type_for(py_type: Any, registry: Registry) -> TypeEngine | None:
    t = _annotation_type(py_type, registry)
    if isinstance(t, Enum) and t.metadata is None:
        # as in SQLAlchemy, an Enum made from an annotation does not take the MetaData's
        # schema (Enum(..., inherit_schema=True) in the type map links it to the table's)
        t._metadata_schema = False
    return t


def _annotation_type(py_type: Any, registry: Registry) -> TypeEngine | None:
    tmap = registry.type_annotation_map
    if tmap:
        try:
            hit = tmap.get(py_type)
        except TypeError:  # unhashable annotation
            hit = None
        if hit is not None:
            return hit() if isinstance(hit, type) else hit  # type: ignore[no-any-return]
    if typing.get_origin(py_type) is typing.Annotated:
        return _annotation_type(typing.get_args(py_type)[0], registry)
    if typing.get_origin(py_type) is typing.Literal:
        return _literal_type(py_type, tmap)
    if isinstance(py_type, type) and issubclass(py_type, enum.Enum) and tmap:
        # an entry for a base class (``enum.Enum: Enum(enum.Enum, native_enum=False)``)
        # configures the Enum of every subclass, as in SQLAlchemy
        for base in py_type.__mro__[1:]:
            template = tmap.get(base)
            if isinstance(template, Enum):
                return template.like(py_type)
    return type_for_python(py_type)


def _literal_type(py_type: Any, tmap: dict[Any, Any] | None) -> TypeEngine | None:
    """``Mapped[Literal["a", "b"]]``: a non-native ``Enum("a", "b")`` (configured by a
    ``typing.Literal`` entry of the type map, if any); None for non-string literals, which
    need their own entry (e.g. ``JSON``), as in SQLAlchemy."""
    values = typing.get_args(py_type)
    if not values or not all(isinstance(v, str) for v in values):
        return None
    template = tmap.get(typing.Literal) if tmap else None
    if isinstance(template, Enum):
        return template.like(*values)
    return Enum(*values, native_enum=False)


# -- declared_attr ---------------------------------------------------------------------------
class _DeclaredBase:
    """Runtime part of `declared_attr` and ``declared_attr.directive``: a function of the
    class, evaluated by declarative for each mapped class."""

    def __init__(self, fn: Callable[..., Any], cascading: bool = False) -> None:
        self.fget = fn
        self.cascading_flag = cascading
        self.__doc__ = fn.__doc__

    def __get__(self, instance: Any, owner: Any) -> Any:
        return self.fget(owner)


class declared_attr(_DeclaredBase, Generic[_T]):
    """Make a mixin attribute (or ``__tablename__`` / ``__table_args__`` /
    ``__mapper_args__``) a function of the class being mapped: ``fn(cls)`` runs once per
    mapped class, so each gets its own columns, foreign keys and relationships.

    Use ``@declared_attr.directive`` for the ``__dunder__`` names (same behaviour; it types
    the result as the plain value).
    """

    def __init__(self, fn: Callable[..., Mapped[_T]], cascading: bool = False) -> None:
        super().__init__(fn, cascading)

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: Any) -> InstrumentedExpr[_T]: ...
        @overload
        def __get__(self, instance: object, owner: Any) -> _T: ...
        def __get__(self, instance: Any, owner: Any) -> Any: ...

    @staticmethod
    def directive(fn: Callable[..., _R]) -> _DeclaredDirective[_R]:
        """``@declared_attr.directive``: a ``__tablename__`` (etc.) computed per class."""
        return _DeclaredDirective(fn)

    @staticmethod
    def cascading(fn: Callable[..., Mapped[_R]]) -> declared_attr[_R]:
        """Like `declared_attr` (every mapped class calls ``fn`` for itself)."""
        return declared_attr(fn, cascading=True)


class _DeclaredDirective(_DeclaredBase, Generic[_T]):
    def __init__(self, fn: Callable[..., _T]) -> None:
        super().__init__(fn)

    if TYPE_CHECKING:

        def __get__(self, instance: Any, owner: Any) -> _T: ...


def _is_declared(value: Any) -> bool:
    return isinstance(value, _DeclaredBase)


# -- annotations -----------------------------------------------------------------------------
class _Annotation:
    """What one class annotation says: mapped or not, the Python type, nullability,
    collection-ness, the relationship target's name, an ``Annotated`` mapped_column."""

    __slots__ = (
        "collection",
        "collection_type",
        "loader",
        "mapped",
        "mc",
        "optional",
        "py_type",
        "target",
    )

    def __init__(
        self,
        mapped: bool,
        py_type: Any = None,
        optional: bool | None = None,
        collection: bool | None = None,
        target: str | None = None,
        mc: MappedColumn[Any] | None = None,
    ) -> None:
        self.mapped = mapped
        self.py_type = py_type
        self.optional = optional
        self.collection = collection
        self.target = target
        self.mc = mc
        #: set / dict for Mapped[set[...]] / Mapped[dict[..., ...]] (None: a list)
        self.collection_type: Any = None
        #: "write_only" / "dynamic" for WriteOnlyMapped / DynamicMapped
        self.loader: str | None = None


_MAPPED_RE = re.compile(r"^\s*(?:[\w.]*\.)?(WriteOnly|Dynamic)?Mapped\[(.*)\]\s*$", re.S)
_LOADER_OF = {"WriteOnly": "write_only", "Dynamic": "dynamic"}
_COLLECTION_RE = re.compile(
    r"^\s*(?:typing\.|collections\.abc\.|abc\.)?(list|List|set|Set|dict|Dict|Mapping|"
    r"MutableMapping|Sequence|MutableSequence|AbstractSet|MutableSet)\[(.*)\]\s*$",
    re.S,
)
#: collection annotations by the kind of collection they stand for (others: a list)
_SET_NAMES = frozenset({"set", "Set", "AbstractSet", "MutableSet"})
_DICT_NAMES = frozenset({"dict", "Dict", "Mapping", "MutableMapping"})
_LIST_ORIGINS = (list, typing.List, cabc.Sequence, cabc.MutableSequence)  # noqa: UP006
_SET_ORIGINS = (set, typing.Set, cabc.Set, cabc.MutableSet)  # noqa: UP006
_DICT_ORIGINS = (dict, typing.Dict, cabc.Mapping, cabc.MutableMapping)  # noqa: UP006
_OPTIONAL_RE = re.compile(r"^\s*(?:typing\.)?Optional\[(.*)\]\s*$", re.S)
_UNMAPPED = _Annotation(False)


def _namespace(cls: type, registry: Registry) -> dict[str, Any]:
    ns: dict[str, Any] = {}
    module = sys.modules.get(cls.__module__)
    if module is not None:
        ns.update(vars(module))
    ns.update(registry.classes)
    ns.setdefault(cls.__name__, cls)
    return ns


def _parse_annotation(ann: Any, cls: type, registry: Registry) -> _Annotation:
    if isinstance(ann, str):
        m = _MAPPED_RE.match(ann)
        if m is None:
            # a plain annotation (``id: int = mapped_column(...)``): its type, not "mapped"
            try:
                value = eval(ann, _namespace(cls, registry))
            except Exception:
                return _UNMAPPED
            parsed = _unwrap(value)
            parsed.mapped = False
            return parsed
        inner = m.group(2)
        try:
            value = eval(inner, _namespace(cls, registry))
        except Exception:
            return _with_loader(_parse_inner_string(inner), _LOADER_OF.get(m.group(1) or ""))
        return _with_loader(_unwrap(value), _LOADER_OF.get(m.group(1) or ""))
    origin = typing.get_origin(ann)
    if origin is Mapped or (isinstance(origin, type) and issubclass(origin, Mapped)):
        (inner,) = typing.get_args(ann)
        loader = getattr(origin, "_uow_loader", None)
        if isinstance(inner, (str, typing.ForwardRef)):
            s = inner if isinstance(inner, str) else inner.__forward_arg__
            return _with_loader(_parse_inner_string(s), loader)
        return _with_loader(_unwrap(inner), loader)
    if ann is not None and origin is not ClassVar:
        parsed = _unwrap(ann)
        parsed.mapped = False
        return parsed
    return _UNMAPPED


def _with_loader(parsed: _Annotation, loader: str | None) -> _Annotation:
    """WriteOnlyMapped[X] / DynamicMapped[X]: a collection with that loader strategy."""
    if loader is not None:
        parsed.collection = True
        parsed.loader = loader
    return parsed


def _parse_inner_string(inner: str) -> _Annotation:
    s = inner.strip().strip("'\"")
    optional = False
    m = _OPTIONAL_RE.match(s)
    if m:
        s, optional = m.group(1), True
    if "|" in s:
        parts = [p.strip() for p in s.split("|")]
        if "None" in parts:
            optional = True
            parts.remove("None")
        s = parts[0]
    collection = False
    kind: Any = None
    m = _COLLECTION_RE.match(s)
    if m:
        s, collection = m.group(2), True
        word = m.group(1)
        kind = set if word in _SET_NAMES else dict if word in _DICT_NAMES else None
        if kind is dict:
            s = s.rpartition(",")[2]
    name = s.strip().strip("'\"")
    out = _Annotation(True, None, optional, collection, name)
    out.collection_type = kind
    return out


def _unwrap(tp: Any) -> _Annotation:
    optional = False
    mc: MappedColumn[Any] | None = None
    if typing.get_origin(tp) is typing.Annotated:
        mc = next((a for a in tp.__metadata__ if isinstance(a, MappedColumn)), None)
        if mc is not None:
            tp = typing.get_args(tp)[0]
    origin = typing.get_origin(tp)
    if origin is Union or origin is pytypes.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        if len(args) == 1:
            tp = args[0]
        elif optional:  # ``float | str | None``: the union the type map may name
            tp = Union[tuple(args)]  # noqa: UP007
        origin = typing.get_origin(tp)
        if origin is typing.Annotated and mc is None:
            mc = next((a for a in tp.__metadata__ if isinstance(a, MappedColumn)), None)
            if mc is not None:
                tp = typing.get_args(tp)[0]
                origin = typing.get_origin(tp)
    collection = False
    kind: Any = None
    if origin in _LIST_ORIGINS or origin in _SET_ORIGINS:
        collection = True
        kind = set if origin in _SET_ORIGINS else None
        (tp,) = typing.get_args(tp)
    elif origin in _DICT_ORIGINS and len(typing.get_args(tp)) == 2:
        collection, kind = True, dict
        tp = typing.get_args(tp)[1]
    name = None
    if isinstance(tp, str):
        name = tp
    elif isinstance(tp, typing.ForwardRef):
        name = tp.__forward_arg__
    elif isinstance(tp, type):
        name = tp.__name__
    out = _Annotation(True, tp, optional, collection, name, mc)
    out.collection_type = kind
    return out


# -- collecting a class body -----------------------------------------------------------------
class _Collected:
    """Columns, relationships and other properties of one class (mixins included)."""

    def __init__(self) -> None:
        self.columns: dict[str, Column[Any]] = {}
        self.rels: dict[str, RelationshipProperty] = {}
        self.props: dict[str, MapperProperty] = {}
        self.deferred: dict[str, MappedColumn[Any]] = {}
        self.by_value: dict[int, str] = {}  # id(declared object) -> key, for version_id_col
        #: keys whose mapped_column(use_existing_column=True) may reuse a parent's column
        self.use_existing: set[str] = set()
        #: keys whose nullability was given explicitly (not from the annotation)
        self.explicit_nullable: set[str] = set()


def _sources(cls: type) -> list[type]:
    """Mixins (unmapped, non-base classes in the MRO) first, the class itself last; the
    mixins of a mapped parent class are its own (a subclass does not map them again)."""
    parent = next(
        (
            b
            for b in cls.__mro__[1:]
            if "__mapper__" in b.__dict__ and "_uow_acb_values" not in b.__dict__
        ),
        None,
    )
    inherited = set(parent.__mro__) if parent is not None else ()
    sources = [
        b
        for b in reversed(cls.__mro__[1:])
        if b is not object
        and b not in inherited
        # (an AbstractConcreteBase class is mapped, yet its columns are its subclasses')
        and ("__mapper__" not in b.__dict__ or "_uow_acb_values" in b.__dict__)
        and b.__module__ != __name__
        and b is not MappedAsDataclass
    ]
    sources.append(cls)
    return sources


def _collect(cls: type, registry: Registry, values: dict[str, Any] | None = None) -> _Collected:
    out = _Collected()
    for src in _sources(cls):
        own = src is cls
        annotations = src.__dict__.get("__annotations__", {})  # noqa: RUF063 - own only
        # (annotated names first: a @declared_attr reads the columns collected before it;
        # `_order_own_first` puts the columns in their written order afterwards)
        names = list(annotations) + [k for k in src.__dict__ if k not in annotations]
        for key in names:
            if key.startswith("__") and key.endswith("__"):
                continue
            stash = src.__dict__.get("_uow_acb_values")  # an AbstractConcreteBase's own
            if own and values is not None and key in values:
                value = values[key]
            elif stash is not None and not own:
                value = stash.get(key, _NO_ARG)
            else:
                value = src.__dict__.get(key, _NO_ARG)
            ann = annotations.get(key)
            if _is_declared(value):
                fn = value.fget
                ann = ann if ann is not None else getattr(fn, "__annotations__", {}).get("return")
                value = _call_declared(value.fget, cls, out)
            parsed = _parse_annotation(ann, cls, registry) if ann is not None else _UNMAPPED
            _collect_one(cls, src, own, key, value, parsed, registry, out)
    _order_own_first(out, _sources(cls), values)
    return out


def _declaration_order(annotated: list[str], assigned: list[str]) -> list[str]:
    """The names of a class body, from its ``__dict__`` and its annotations (each in source
    order), merged the way SQLAlchemy orders a table's columns: read the assigned names up
    to one the annotations also hold, then the annotations from there (that name first) up
    to the next shared one, and so on, alternating; the rest of the last list ends it."""
    shared = set(annotated).intersection(assigned)
    out: list[str] = []
    current, other = iter(assigned), iter(annotated)
    while True:
        for name in current:
            if name in shared:
                # written by the other list, where it is met next
                shared.discard(name)
                current, other = other, current
                break
            out.append(name)
        else:
            out.extend(other)
            return out


def _call_declared(fn: Callable[[type], Any], cls: type, out: _Collected) -> Any:
    """Call a ``@declared_attr`` function with the columns collected so far readable on
    ``cls`` (``column_property(cls.x + cls.y)`` on a mixin whose ``x: Mapped[int]`` has
    no value), as SQLAlchemy's declarative scan makes them."""
    lent = [k for k in out.columns if k not in cls.__dict__]
    for k in lent:
        type.__setattr__(cls, k, out.columns[k])
    try:
        return fn(cls)
    finally:
        for k in lent:
            if cls.__dict__.get(k) is out.columns[k]:
                type.__delattr__(cls, k)


def _order_own_first(out: _Collected, sources: list[type], values: dict[str, Any] | None) -> None:
    """SQLAlchemy's column order: the class's own columns first, then each mixin's and
    the declarative base's, nearest in the MRO first (a key sits where it is first seen)."""
    order: list[str] = []
    for src in reversed(sources):
        annotations = src.__dict__.get("__annotations__", {})  # noqa: RUF063 - own only
        keys = _declaration_order(list(annotations), list(src.__dict__))
        if src is sources[-1] and values is not None:
            keys.extend(values)
        order.extend(k for k in keys if k in out.columns and k not in order)
    order.extend(k for k in out.columns if k not in order)
    out.columns = {k: out.columns[k] for k in order}


def _collect_one(
    cls: type,
    src: type,
    own: bool,
    key: str,
    value: Any,
    parsed: _Annotation,
    registry: Registry,
    out: _Collected,
) -> None:
    declared_here = own or _is_declared(src.__dict__.get(key))
    if isinstance(value, RelationshipProperty):
        _collect_relationship(cls, src, declared_here, key, value, parsed, out)
        return
    if isinstance(value, MapperProperty):
        if not declared_here:
            raise exc.InvalidRequestError(
                f"{type(value).__name__} {key!r} on mixin {src.__name__} must be declared "
                "with @declared_attr"
            )
        if getattr(value, "composite_class", 0) is None and parsed.mapped:
            value.composite_class = parsed.py_type  # type: ignore[attr-defined]
        out.props[key] = value
        out.columns.pop(key, None)
        return
    if isinstance(value, Column):
        col = value if declared_here else value.copy()
        if not col.name:  # named by its attribute; else ``table.c`` keys it by its own key
            col.name = key
            col.key = key
        out.columns[key] = col
        out.by_value[id(value)] = key
        out.explicit_nullable.add(key)
        return
    if isinstance(value, MappedColumn) or (value is _NO_ARG and parsed.mapped):
        _collect_mapped_column(cls, declared_here, key, value, parsed, registry, out)


def _collect_relationship(
    cls: type,
    src: type,
    declared_here: bool,
    key: str,
    value: RelationshipProperty,
    parsed: _Annotation,
    out: _Collected,
) -> None:
    """A ``relationship()`` of the class body (or of a mixin's ``@declared_attr``), with
    what its ``Mapped[...]`` annotation says (target, collection, loader)."""
    if not declared_here:
        raise exc.InvalidRequestError(
            f"relationship {key!r} on mixin {src.__name__}: relationships on mixins must "
            "be declared with @declared_attr (a function returning relationship(...)), "
            "so that each mapped class gets its own"
        )
    if parsed.mapped:
        if value.argument is None and parsed.target:
            value.argument = parsed.target
        if parsed.collection is not None:
            value._annotation_uselist = parsed.collection
        value._annotation_collection = parsed.collection_type
        if parsed.loader is not None and value.lazy == "select":
            value.lazy = parsed.loader
    if value.argument is None:
        raise exc.ArgumentError(
            f"relationship {cls.__name__}.{key} has no target; pass the class "
            "(or its name) or annotate Mapped[list['Target']]"
        )
    out.rels[key] = value
    out.columns.pop(key, None)


def _collect_mapped_column(
    cls: type,
    declared_here: bool,
    key: str,
    value: Any,
    parsed: _Annotation,
    registry: Registry,
    out: _Collected,
) -> None:
    """A ``mapped_column()`` (or a bare ``Mapped[...]`` annotation) made into a Column."""
    mc = value if isinstance(value, MappedColumn) else MappedColumn((), {})
    if parsed.mc is not None:
        mc = mc._merged(parsed.mc)
    if parsed.collection and isinstance(mc.column.type, NullType):
        raise exc.ArgumentError(
            f"{cls.__name__}.{key} is annotated as a collection; use relationship() for it"
        )
    if mc.dataclass_kw and not _is_dataclass_mapping(cls):
        given = ", ".join(sorted(k for k in mc.dataclass_kw if k != "default"))
        if given:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: mapped_column({given}=...) configures a dataclass "
                "field, but the class is not a MappedAsDataclass class"
            )
    out.columns[key] = mc.make_column(
        key, parsed.py_type, parsed.optional, cls.__name__, registry, copy=not declared_here
    )
    out.by_value[id(value)] = key
    if mc.use_existing_column:
        out.use_existing.add(key)
    if "nullable" in mc.kw:
        out.explicit_nullable.add(key)
    if mc.deferred:
        out.deferred[key] = mc
    out.props.pop(key, None)
    out.rels.pop(key, None)


def _class_attr(cls: type, name: str, default: Any) -> Any:
    """A ``__dunder__`` directive from the class or a mixin (declared_attr evaluated)."""
    for b in cls.__mro__:
        if name in b.__dict__:
            if "__mapper__" in b.__dict__ and b is not cls:
                return default  # a mapped parent's own settings are not inherited
            value = b.__dict__[name]
            if _is_declared(value):
                return value.fget(cls)
            return value
    return default


def _tablename(cls: type) -> str | None:
    return _class_attr(cls, "__tablename__", None)  # type: ignore[no-any-return]


def _is_dataclass_mapping(cls: type) -> bool:
    # a MappedAsDataclass subclass, or a class given to registry.mapped_as_dataclass
    return issubclass(cls, MappedAsDataclass) or cls.__dict__.get("_uow_dataclass", False)


def _mixin_repr_wins(cls: type) -> None:
    """A ``__repr__`` of a mixin listed after the declarative base wins over uow_orm's
    default one, as it does in SQLAlchemy (whose base defines none)."""
    default = _MappedInstanceMethods.__repr__
    if getattr(cls, "__repr__", None) is not default:
        return
    for klass in cls.__mro__:
        own = klass.__dict__.get("__repr__")
        if own is not None and own is not default and klass is not object:
            type.__setattr__(cls, "__repr__", own)
            return


def _map_class(cls: type, registry: Registry, values: dict[str, Any] | None = None) -> Mapper:
    """Build the table (unless ``__table__`` is given) and the mapper of ``cls``."""
    _mixin_repr_wins(cls)
    metadata = _metadata_of(cls, registry)
    from .inheritance import refuse_abstract_concrete

    refuse_abstract_concrete(cls)
    for parent in cls.__mro__[1:]:
        if "__mapper__" in parent.__dict__:
            return _map_subclass(cls, parent.__dict__["__mapper__"], registry, values)
    got = _collect(cls, registry, values)
    columns = got.columns
    table = cls.__dict__.get("__table__")
    if table is None:
        extra, table_kw = _table_arguments(cls)
        name = _tablename(cls)
        if not name:
            raise exc.InvalidRequestError(
                f"class {cls.__name__} has no __tablename__ or __table__; give it one, or set "
                "__abstract__ = True"
            )
        table = _new_table(cls, name, metadata, *columns.values(), *extra, **table_kw)
        if table is None:
            raise exc.ArgumentError(
                f"{cls.__name__}.__table_cls__ returned None for a class that inherits no "
                "mapped class (None maps a subclass onto its parent's table)"
            )
    else:
        from ..sql.selectable import Join

        if isinstance(table, Join):
            from .join_mapping import map_join

            return map_join(
                cls, table, got, registry, dict(_class_attr(cls, "__mapper_args__", {}))
            )
        from . import subquery_mapping

        if subquery_mapping.is_subquery(table):
            return _map_subquery(cls, table, got, registry, _class_attr(cls, "__mapper_args__", {}))
        if not isinstance(table, Table):
            raise exc.ArgumentError(
                f"{cls.__name__}.__table__ must be a Table, a join of tables or a subquery, "
                f"got {table!r}"
            )
        columns = _adopt_table(table, columns)
    type.__setattr__(cls, "__table__", table)  # (a declared_attr __mapper_args__ reads it)
    mapper_args = dict(_class_attr(cls, "__mapper_args__", {}))
    mapper = _make_mapper(cls, table, columns, got, registry, mapper_args)
    for key, mc in got.deferred.items():
        mapper.defer_column(key, mc.deferred_group, mc.deferred_raiseload)
    return mapper


def _map_subquery(
    cls: type, subq: Any, got: _Collected, registry: Registry, mapper_args: Any
) -> Mapper:
    """Map ``cls`` to the subquery ``subq`` (read-only): every column of it becomes an
    attribute (a class attribute naming one of its columns maps it under that key)."""
    from . import subquery_mapping

    table, by_sub = subquery_mapping.stand_in_table(cls, subq)
    args = subquery_mapping.translate_args(cls, subq, by_sub, dict(mapper_args))
    for key, value in list(cls.__dict__.items()):  # label = subq.c.name: a renamed column
        if id(value) in by_sub and getattr(value, "subquery", None) is subq:
            got.columns[key] = value
    renamed = {id(c): k for k, c in got.columns.items()}
    columns: dict[str, Column[Any]] = {}
    for sc in subq.c:
        columns[renamed.get(id(sc), sc.key)] = by_sub[id(sc)]
    stray = [k for k, c in got.columns.items() if id(c) not in by_sub]
    if stray:
        raise exc.ArgumentError(
            f"{cls.__name__} is mapped to a subquery; {stray[0]!r} is not one of its columns "
            "(a class mapped to a subquery maps the subquery's columns)"
        )
    mapper = _make_mapper(cls, table, columns, got, registry, args)
    type.__setattr__(cls, "__table__", subq)
    subquery_mapping.attach(mapper, subq)
    for key, mc in got.deferred.items():
        mapper.defer_column(key, mc.deferred_group, mc.deferred_raiseload)
    return mapper


def _new_table(cls: type, name: str, metadata: MetaData, *args: Any, **kw: Any) -> Any:
    """The class's new Table: made by its ``__table_cls__`` (a classmethod taking Table's
    arguments; it may return None: single-table inheritance) when it has one."""
    table_cls = getattr(cls, "__table_cls__", None)
    if table_cls is None:
        return Table(name, metadata, *args, **kw)
    return table_cls(name, metadata, *args, **kw)


def _metadata_of(cls: type, registry: Registry) -> MetaData:
    """The MetaData a class's table goes into: a ``metadata`` attribute of the class (or a
    class it inherits from) that is a MetaData, else the registry's (as SQLAlchemy)."""
    md = getattr(cls, "metadata", None)
    return md if isinstance(md, MetaData) else registry.metadata


def _table_arguments(cls: type) -> tuple[list[Any], dict[str, Any]]:
    """``__table_args__`` as (positional schema items, keyword arguments): it is a dict, a
    tuple, or a tuple whose last item is a dict."""
    table_args = _class_attr(cls, "__table_args__", ())
    if isinstance(table_args, dict):
        return [], dict(table_args)
    items = list(table_args) if table_args else []
    if items and isinstance(items[-1], dict):
        return items[:-1], dict(items[-1])
    return items, {}


def _adopt_table(table: Table, columns: dict[str, Column[Any]]) -> dict[str, Column[Any]]:
    """The columns of a class given ``__table__``, by attribute key: the class's columns
    that belong to no table yet join it; every column of the table is mapped (under its
    own key unless the class maps it under another)."""
    for col in columns.values():
        if getattr(col, "table", None) is None:
            table.append(col)
    by_col = {id(c): k for k, c in columns.items()}
    return {by_col.get(id(c), c.key): c for c in table.c}


def _make_mapper(
    cls: type,
    table: Table,
    columns: dict[str, Column[Any]],
    got: _Collected,
    registry: Registry,
    mapper_args: dict[str, Any],
    concrete_parent: Mapper | None = None,
) -> Mapper:
    """The `Mapper` of a class with a table of its own (a hierarchy's base, a class that
    inherits nothing, a concrete subclass of ``concrete_parent``), built from what
    `_collect` found and ``__mapper_args__``, then registered."""
    from .inheritance import is_concrete_base

    if mapper_args.get("concrete") and concrete_parent is None and is_concrete_base(cls):
        mapper_args = {k: v for k, v in mapper_args.items() if k != "concrete"}
    _check_mapper_args(cls, mapper_args)
    columns = _filter_properties(columns, mapper_args)
    column = _column_resolver(cls, table, columns, got)
    version_col, pk_cols = _key_columns(mapper_args, column)
    eager, batch = _flush_options(cls, mapper_args)
    type.__setattr__(cls, "__table__", table)
    mapper = Mapper(
        cls,
        table,
        columns,
        got.rels,
        registry,
        version_col,
        primary_key=pk_cols,
        eager_defaults=eager,
        confirm_deleted_rows=bool(mapper_args.get("confirm_deleted_rows", True)),
        batch=batch,
    )
    mapper.version_id_generator = _version_generator(cls, mapper_args, version_col)
    type.__setattr__(cls, "__mapper__", mapper)
    if concrete_parent is not None:
        from .inheritance import link_concrete

        link_concrete(mapper, concrete_parent)
    elif is_concrete_base(cls):
        from .inheritance import start_concrete_base

        start_concrete_base(mapper)
    for key, prop in got.props.items():
        mapper.add_property(key, prop)
    _apply_polymorphic_args(cls, mapper, mapper_args, column)
    if concrete_parent is not None and not mapper.polymorphic_abstract:
        type.__setattr__(cls, "__new__", staticmethod(_new_mapped))
    mapper._install_class_hooks()
    registry.add(mapper)
    _events.mapper_created(mapper)
    _concrete_registered(cls, mapper, concrete_parent)
    return mapper


def _concrete_registered(cls: type, mapper: Mapper, concrete_parent: Mapper | None) -> None:
    """After a concrete class's mapper is registered: link it into its hierarchy."""
    from .inheritance import is_concrete_base

    if concrete_parent is not None:
        from .inheritance import concrete_linked

        concrete_linked(mapper)
    elif is_concrete_base(cls):
        from .inheritance import attach_abstract_concrete

        attach_abstract_concrete(mapper)  # the first subclass of an AbstractConcreteBase


def _check_mapper_args(cls: type, mapper_args: dict[str, Any]) -> None:
    """Refuse, by name, a ``__mapper_args__`` key this mapper does not support.

    Raises:
        ArgumentError: a key not supported yet, ``inherits`` or an unknown key.
    """
    from .inheritance import NOT_YET

    for k in mapper_args:
        if k in NOT_YET:
            raise exc.ArgumentError(f"{cls.__name__}.__mapper_args__[{k!r}]: {NOT_YET[k]}")
        if k == "inherits":
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__['inherits']: a class inherits the mapped "
                "class it subclasses; declare it as a Python subclass"
            )
        if k not in _MAPPER_ARGS:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__ has unknown key {k!r}; supported are "
                + ", ".join(sorted(_MAPPER_ARGS))
            )


def _property_names(items: Any) -> set[str]:
    """The names in ``include_properties`` / ``exclude_properties`` (strings or columns)."""
    return {i if isinstance(i, str) else getattr(i, "key", i) for i in items}


def _filter_properties(
    columns: dict[str, Column[Any]], mapper_args: dict[str, Any]
) -> dict[str, Column[Any]]:
    """``columns`` less those ``include_properties`` leaves out or ``exclude_properties``
    names (by attribute key or column name)."""
    include = mapper_args.get("include_properties")
    exclude = mapper_args.get("exclude_properties")
    if include is not None:
        keep = _property_names(include)
        columns = {k: c for k, c in columns.items() if k in keep or c.name in keep}
    if exclude is not None:
        drop = _property_names(exclude)
        columns = {k: c for k, c in columns.items() if k not in drop and c.name not in drop}
    return columns


def _column_resolver(
    cls: type, table: Table, columns: dict[str, Column[Any]], got: _Collected
) -> Callable[[Any, str], Column[Any]]:
    """How ``__mapper_args__`` values that name a column (``version_id_col``,
    ``primary_key``, ``polymorphic_on``) become the `Column`: an attribute key or column
    name, a `Column`, or a ``mapped_column()`` of the class body. The function it returns
    raises `ArgumentError` naming the argument (``what``) for anything else."""

    def resolve(value: Any, what: str) -> Column[Any]:
        value = getattr(value, "column", value)
        if isinstance(value, str):
            if value in columns:
                return columns[value]
            col = table.c.get(value)
            if col is None:
                raise exc.ArgumentError(f"{cls.__name__}: {what} names no column {value!r}")
            return col  # type: ignore[no-any-return]
        if isinstance(value, Column):
            return value
        key = got.by_value.get(id(value))
        if key is not None and key in columns:
            return columns[key]
        raise exc.ArgumentError(f"{cls.__name__}: {what} must be a column, got {value!r}")

    return resolve


def _key_columns(
    mapper_args: dict[str, Any], column: Callable[[Any, str], Column[Any]]
) -> tuple[Column[Any] | None, list[Column[Any]] | None]:
    """The ``version_id_col`` and ``primary_key`` columns of ``__mapper_args__`` (None
    for each one not given)."""
    version = mapper_args.get("version_id_col")
    version_col = column(version, "version_id_col") if version is not None else None
    pk = mapper_args.get("primary_key")
    if pk is None:
        return version_col, None
    return version_col, [
        column(p, "primary_key") for p in (pk if isinstance(pk, list | tuple) else [pk])
    ]


def _version_generator(
    cls: type, mapper_args: dict[str, Any], version_col: Column[Any] | None
) -> Callable[[Any], Any] | Literal[False] | None:
    """``version_id_generator`` of ``__mapper_args__``: None (the integer counter), a
    callable given the old version (None for a new row) returning the new one, or False
    (the database or the application sets the version; the ORM only checks it).

    Raises:
        ArgumentError: it is given without ``version_id_col``, or is neither False nor a
            callable.
    """
    if "version_id_generator" not in mapper_args:
        return None
    gen = mapper_args["version_id_generator"]
    if version_col is None:
        raise exc.ArgumentError(
            f"{cls.__name__}: __mapper_args__['version_id_generator'] needs 'version_id_col'"
        )
    if gen is not False and not callable(gen):
        raise exc.ArgumentError(
            f"{cls.__name__}: version_id_generator must be a callable or False, got {gen!r}"
        )
    return gen  # type: ignore[no-any-return]


def _flush_options(cls: type, mapper_args: dict[str, Any]) -> tuple[bool | str, bool]:
    """``eager_defaults`` and ``batch`` of ``__mapper_args__``, checked.

    Raises:
        ArgumentError: ``eager_defaults`` is not True, False or "auto", or ``batch`` not a
            bool.
    """
    eager = mapper_args.get("eager_defaults", "auto")
    if eager not in (True, False, "auto"):
        raise exc.ArgumentError(
            f"{cls.__name__}: eager_defaults must be True, False or 'auto', got {eager!r}"
        )
    batch = mapper_args.get("batch", True)
    if not isinstance(batch, bool):
        raise exc.ArgumentError(f"{cls.__name__}: batch must be True or False, got {batch!r}")
    return eager, batch


def _apply_polymorphic_args(
    cls: type,
    mapper: Mapper,
    mapper_args: dict[str, Any],
    column: Callable[[Any, str], Column[Any]],
) -> None:
    """``polymorphic_on``, ``with_polymorphic``, ``polymorphic_identity`` and
    ``polymorphic_abstract`` of a hierarchy's base (or a concrete subclass).

    Raises:
        ArgumentError: ``with_polymorphic`` other than ``"*"``, or without
            ``polymorphic_on``.
    """
    if "polymorphic_on" in mapper_args:
        from .inheritance import resolve_polymorphic_on

        resolve_polymorphic_on(
            mapper, mapper_args["polymorphic_on"], lambda v: column(v, "polymorphic_on")
        )
    if "with_polymorphic" in mapper_args:
        wp = mapper_args["with_polymorphic"]
        if isinstance(wp, tuple) and len(wp) == 2 and wp[0] == "*" and wp[1] is not None:
            from .inheritance import use_polymorphic_union  # semi-classical concrete

            use_polymorphic_union(mapper, wp[1])
        elif wp not in ("*", ("*", None)):
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__['with_polymorphic']: only '*' is supported "
                f"(every subclass's columns load with the base class), got {wp!r}; use "
                "polymorphic_load='inline' on the subclasses, or with_polymorphic() in the query"
            )
        if mapper.polymorphic_on is None and "polymorphic_on" not in mapper_args:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__['with_polymorphic'] needs polymorphic_on"
            )
        mapper._with_polymorphic_all = True
    if "polymorphic_identity" in mapper_args or "polymorphic_abstract" in mapper_args:
        from .inheritance import set_identity

        set_identity(
            mapper,
            mapper_args.get("polymorphic_identity"),
            bool(mapper_args.get("polymorphic_abstract", False)),
        )


def _map_subclass(
    cls: type,
    parent: Mapper,
    registry: Registry,
    values: dict[str, Any] | None,
    imperative: tuple[_Collected, dict[str, Any]] | None = None,
) -> Mapper:
    """Map a subclass of the mapped class of ``parent`` onto the parent's table
    (single-table inheritance); its own columns join that table. ``imperative`` gives
    the collected properties and mapper arguments of ``map_imperatively``. A subclass
    with a table of its own is a joined-table or a concrete one instead."""
    from . import inheritance

    if imperative is None:
        own_table = cls.__dict__.get("__table__")
        if dict(_class_attr(cls, "__mapper_args__", {})).get("concrete"):
            return _map_concrete_subclass(cls, parent, registry, values, own_table)
        if own_table is not None and own_table is not parent.local_table:
            return _map_joined_subclass(cls, parent, registry, values, own_table)
        name = _tablename(cls)
        if name and name != parent.local_table.name:
            return _map_joined_subclass(cls, parent, registry, values, None)
        if "__table_args__" in cls.__dict__:
            raise exc.ArgumentError(
                f"Can't place __table_args__ on the inherited class {cls.__name__} with no "
                f"table of its own; give them to {parent.class_.__name__}"
            )
        mapper_args = dict(_class_attr(cls, "__mapper_args__", {}))
    else:
        mapper_args = imperative[1]
    _check_single_table_args(cls, parent, mapper_args)
    got = _collect(cls, registry, values) if imperative is None else imperative[0]
    mapper = Mapper(
        cls,
        parent.local_table,
        _single_table_columns(cls, parent, got),
        got.rels,
        registry,
        parent.version_id_col,
        primary_key=parent._pk_override,
        eager_defaults=parent.eager_defaults,
        confirm_deleted_rows=parent.confirm_deleted_rows,
        # (a single-table subclass of a joined-table subclass: its parent's tables)
        tables=parent._joined_tables,
        extra_columns=parent._extra_columns,
    )
    mapper.version_id_generator = parent.version_id_generator
    type.__setattr__(cls, "__mapper__", mapper)
    inheritance.link(mapper, parent, mapper_args.get("polymorphic_load"))
    return _complete_subclass_mapper(mapper, got, mapper_args, registry)


def _check_single_table_args(cls: type, parent: Mapper, mapper_args: dict[str, Any]) -> None:
    """Refuse, by name, a ``__mapper_args__`` key a single-table subclass does not take.

    Raises:
        ArgumentError: a key not supported yet, an ``inherits`` other than the mapped
            parent, or a key only the hierarchy's base takes.
    """
    from . import inheritance

    for k in mapper_args:
        if k in inheritance.NOT_YET:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__[{k!r}]: {inheritance.NOT_YET[k]}"
            )
        if k == "inherits" and mapper_args[k] not in (parent.class_, parent):
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__['inherits'] must be its mapped parent "
                f"{parent.class_.__name__}"
            )
        if k not in inheritance.SUBCLASS_ARGS:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__[{k!r}]: a single-table subclass takes "
                + ", ".join(sorted(inheritance.SUBCLASS_ARGS))
                + " (the rest is configured on the hierarchy's base class)"
            )


def _single_table_columns(cls: type, parent: Mapper, got: _Collected) -> dict[str, Column[Any]]:
    """The columns of a single-table subclass: its parent's, and its own, which join the
    parent's table (nullable: the table holds the other classes' rows too) unless they
    map a column the table has already (``use_existing_column``).

    Raises:
        ArgumentError: an own column conflicts with an existing one, or is a primary key.
    """
    table = parent.local_table
    columns: dict[str, Column[Any]] = dict(parent.columns.items())
    for key, col in got.columns.items():
        existing = table.c.get(col.name)
        if existing is None and key in parent.columns:
            existing = parent.columns[key]
        if existing is not None:
            if existing is not col and key not in got.use_existing:
                raise exc.ArgumentError(
                    f"Column {col.name!r} on class {cls.__name__} conflicts with existing "
                    f"column '{table.name}.{existing.name}'; use "
                    "mapped_column(use_existing_column=True) to map the existing column"
                )
            columns[key] = existing
            continue
        if col.primary_key:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: a single-table subclass cannot add primary key "
                f"columns to {table.name!r}"
            )
        if key not in got.explicit_nullable:
            col.nullable = True  # the table holds the other classes' rows too
        table.append(col)
        columns[key] = col
    return columns


def _complete_subclass_mapper(
    mapper: Mapper, got: _Collected, mapper_args: dict[str, Any], registry: Registry
) -> Mapper:
    """The rest of mapping a single-table or joined-table subclass, once its mapper is
    linked to its parent's: its other properties and deferred columns, its polymorphic
    identity, the class hooks; then the mapper is registered."""
    from . import inheritance

    for key, prop in got.props.items():
        mapper.add_property(key, prop)
    for key, mc in got.deferred.items():
        mapper.defer_column(key, mc.deferred_group, mc.deferred_raiseload)
    inheritance.set_identity(
        mapper,
        mapper_args.get("polymorphic_identity"),
        bool(mapper_args.get("polymorphic_abstract", False)),
    )
    if not mapper.polymorphic_abstract and (
        mapper.polymorphic_identity is None or mapper._poly_key is None
    ):
        type.__setattr__(mapper.class_, "__new__", staticmethod(_new_mapped))
    mapper._install_class_hooks()
    registry.add(mapper)
    _events.mapper_created(mapper)
    return mapper


def _map_joined_subclass(
    cls: type,
    parent: Mapper,
    registry: Registry,
    values: dict[str, Any] | None,
    table: Table | None,
    imperative: tuple[_Collected, dict[str, Any]] | None = None,
) -> Mapper:
    """Map a subclass with a table of its own (``__tablename__`` / ``__table__``) as a
    joined-table subclass of ``parent``: its table's primary key references the parent's;
    the object's attributes come from every table of the chain."""
    from . import inheritance

    if imperative is None:
        mapper_args = dict(_class_attr(cls, "__mapper_args__", {}))
        got = _collect(cls, registry, values)
    else:
        got, mapper_args = imperative
    inheritance.check_joined_args(cls, parent, mapper_args)
    if table is None:
        extra, table_kw = _table_arguments(cls)
        name = _tablename(cls)
        assert name
        table = _new_table(
            cls, name, _metadata_of(cls, registry), *got.columns.values(), *extra, **table_kw
        )
        if table is None:  # __table_cls__ chose single-table inheritance
            return _map_subclass(cls, parent, registry, values, (got, mapper_args))
        own = dict(got.columns)
    else:
        own = _adopt_table(table, got.columns)
    type.__setattr__(cls, "__table__", table)
    columns, extra_cols = inheritance.joined_columns(cls, parent, table, own)
    mapper = Mapper(
        cls,
        table,
        columns,
        got.rels,
        registry,
        parent.version_id_col,
        primary_key=list(parent.pk_columns),
        eager_defaults=mapper_args.get("eager_defaults", parent.eager_defaults),
        confirm_deleted_rows=parent.confirm_deleted_rows,
        tables=[*parent.tables, table],
        extra_columns=extra_cols,
    )
    mapper.version_id_generator = parent.version_id_generator
    type.__setattr__(cls, "__mapper__", mapper)
    inheritance.link_joined(
        mapper, parent, mapper_args.get("inherit_condition"), mapper_args.get("polymorphic_load")
    )
    return _complete_subclass_mapper(mapper, got, mapper_args, registry)


def _map_concrete_subclass(
    cls: type,
    parent: Mapper,
    registry: Registry,
    values: dict[str, Any] | None,
    table: Table | None,
    imperative: tuple[_Collected, dict[str, Any]] | None = None,
) -> Mapper:
    """Map a ``concrete=True`` subclass: a complete table of its own, its own columns only
    (nothing of the parent's mapping is inherited); it is part of the parent's hierarchy
    for ``isa()``, the polymorphic identities and a `ConcreteBase` union."""
    from . import inheritance

    if imperative is None:
        mapper_args = dict(_class_attr(cls, "__mapper_args__", {}))
        got = _collect(cls, registry, values)
    else:
        got, mapper_args = imperative
    inheritance.check_concrete_args(cls, mapper_args)
    if table is None:
        name = _tablename(cls)
        if not name or name == parent.local_table.name:
            raise exc.ArgumentError(
                f"{cls.__name__}: a concrete=True subclass needs a __tablename__ (or "
                "__table__) of its own"
            )
        extra, table_kw = _table_arguments(cls)
        table = Table(name, _metadata_of(cls, registry), *got.columns.values(), *extra, **table_kw)
        columns = dict(got.columns)
    else:
        columns = _adopt_table(table, got.columns)
    mapper = _make_mapper(
        cls,
        table,
        columns,
        got,
        registry,
        {k: v for k, v in mapper_args.items() if k not in inheritance.CONCRETE_ONLY},
        concrete_parent=parent,
    )
    for key, mc in got.deferred.items():
        mapper.defer_column(key, mc.deferred_group, mc.deferred_raiseload)
    return mapper


# -- the mapped class's methods --------------------------------------------------------------
def _new_mapped(cls: type, *args: Any, **kw: Any) -> Any:
    obj: Any = object.__new__(cls)
    mapper = cls.__dict__.get("__mapper__")
    if mapper is None:
        raise exc.UnmappedClassError(
            f"class {cls.__name__} is not mapped: give it a __tablename__ (and columns) to map it"
        )
    obj.__dict__[STATE_ATTR] = new_state(obj, mapper)
    return obj


def _tracked_setattr(self: Any, key: str, value: Any) -> None:
    attr = type(self).__mapper__.setters.get(key)
    if attr is None:
        object.__setattr__(self, key, value)
    else:
        attr.set(self, value)


def _declarative_constructor(self: Any, **kw: Any) -> None:
    """Set each keyword argument as a mapped attribute (unknown keywords raise TypeError)."""
    mapper = type(self).__mapper__
    if not mapper.registry.configured:
        mapper.registry.configure()
    d = self.__dict__
    columns = mapper._init_direct
    setters = mapper.setters
    cls = type(self)
    for key, value in kw.items():
        if key in columns:
            d[key] = value
        elif key in setters or hasattr(cls, key):
            setattr(self, key, value)
        else:
            raise TypeError(
                f"{key!r} is an invalid keyword argument for {cls.__name__}; "
                f"mapped attributes are {', '.join(mapper.attrs.keys())}"
            )


class _MappedInstanceMethods:
    """Constructor, ``__setattr__`` and ``__repr__`` shared by every mapped class."""

    __mapper__: ClassVar[Mapper]
    __table__: ClassVar[Table]

    if TYPE_CHECKING:

        def __new__(cls, *args: Any, **kw: Any) -> Any: ...
        def __init__(self, **kw: Any) -> None: ...

    else:
        # The functions themselves, not wrappers calling them: one Python call fewer per
        # constructed object for each, on the constructor's hot path.
        __new__ = _new_mapped
        __init__ = _declarative_constructor

    __setattr__ = _tracked_setattr

    def __repr__(self) -> str:
        mapper = type(self).__mapper__
        d = self.__dict__
        parts = [f"{k}={d[k]!r}" for k in mapper.column_keys if k in d]
        state = d.get(STATE_ATTR)
        if not parts and state is not None and state.key is not None:
            parts = [f"{k}={v!r}" for k, v in zip(mapper.pk_keys, state.key[1])]
        return f"{type(self).__name__}({', '.join(parts)})"


def _instrument_plain_class(cls: type, constructor: bool) -> None:
    """Give a class that is not a declarative subclass (``registry.mapped``,
    ``map_imperatively``) the state-creating ``__new__`` and the tracking ``__setattr__``."""
    type.__setattr__(cls, "__new__", staticmethod(_new_mapped))
    type.__setattr__(cls, "__setattr__", _tracked_setattr)
    if constructor and "__init__" not in cls.__dict__:
        type.__setattr__(cls, "__init__", _declarative_constructor)


class DeclarativeMeta(type):
    """Metaclass of declarative classes: attributes assigned to a mapped class after it
    exists (``User.addresses = relationship(...)``, ``User.nick = Column(String)``) are
    mapped, as in the class body."""

    def __setattr__(cls, key: str, value: Any) -> None:
        mapper = cls.__dict__.get("__mapper__")
        if mapper is not None and _is_mappable(value):
            _add_late(cls, mapper, key, value)
        else:
            type.__setattr__(cls, key, value)


def _is_mappable(value: Any) -> bool:
    return isinstance(value, (Column, MappedColumn, RelationshipProperty, MapperProperty))


def _add_late(cls: type, mapper: Mapper, key: str, value: Any) -> None:
    if isinstance(value, RelationshipProperty):
        if value.argument is None:
            raise exc.ArgumentError(f"relationship {cls.__name__}.{key} has no target class")
        mapper.add_relationship(key, value)
    elif isinstance(value, MapperProperty):
        mapper.add_property(key, value)
    elif isinstance(value, MappedColumn):
        col = value.make_column(key, None, None, cls.__name__, mapper.registry)
        mapper.add_column(key, col)
        if value.deferred:
            mapper.defer_column(key, value.deferred_group, value.deferred_raiseload)
    else:
        mapper.add_column(key, value)


@typing.dataclass_transform(kw_only_default=True)
class DeclarativeBase(_MappedInstanceMethods, metaclass=DeclarativeMeta):
    """Subclass once to make a declarative base (``class Base(DeclarativeBase): pass``);
    subclasses of that base with ``__tablename__`` (or ``__table__``) are mapped.

    The base may set ``metadata = MetaData(...)``, ``type_annotation_map = {...}`` or
    ``registry = registry(...)`` in its body.
    """

    metadata: ClassVar[MetaData]
    registry: ClassVar[registry]
    type_annotation_map: ClassVar[dict[Any, Any]]
    _uow_registry: ClassVar[Registry]
    _uow_is_base: ClassVar[bool] = True

    def __init_subclass__(cls, **kw: Any) -> None:
        _declarative_subclass(cls, DeclarativeBase, kw)

    if TYPE_CHECKING:

        def __init__(self, **kw: Any) -> None: ...


def _declarative_subclass(cls: type, root: type, kw: dict[str, Any]) -> None:
    """``__init_subclass__`` of `DeclarativeBase` and `DeclarativeBaseNoMeta` (``root``):
    set up a new declarative base, or map a class of one."""
    if root in cls.__bases__ or cls.__dict__.get("_uow_is_base"):
        super(root, cls).__init_subclass__(**kw)  # type: ignore[arg-type]
        _setup_base(cls)
        return
    dc_options = {k: kw.pop(k) for k in _DATACLASS_CLASS_KW if k in kw}
    super(root, cls).__init_subclass__(**kw)  # type: ignore[arg-type]
    type.__setattr__(cls, "_uow_is_base", False)
    if cls.__dict__.get("__abstract__", False):
        return
    reg: Registry = cls._uow_registry  # type: ignore[attr-defined]
    if _is_dataclass_mapping(cls):
        values = _make_dataclass(cls, dc_options)
    elif dc_options:
        raise exc.ArgumentError(
            f"class {cls.__name__}: {', '.join(sorted(dc_options))} are dataclass options; "
            "the class is not a MappedAsDataclass class"
        )
    else:
        values = None
    if "__table__" not in cls.__dict__:
        # (a subclass of a mapped class maps onto its table: inheritance)
        if not any("__mapper__" in b.__dict__ for b in cls.__mro__[1:]) and not _tablename(cls):
            from .inheritance import AbstractConcreteBase, start_abstract_concrete

            if AbstractConcreteBase in cls.__bases__:
                start_abstract_concrete(cls)  # mapped with its first subclass
                return
            raise exc.InvalidRequestError(
                f"class {cls.__name__} has no __tablename__ or __table__ and does not "
                "inherit from a mapped class; give it a __tablename__, or set "
                "__abstract__ = True for a base class that is not mapped itself"
            )
    _map_class(cls, reg, values)


class DeclarativeBaseNoMeta(_MappedInstanceMethods):
    """`DeclarativeBase` without its metaclass (SQLAlchemy's ``DeclarativeBaseNoMeta``),
    for a base that needs a metaclass of its own: subclass it once for a base, whose
    subclasses are mapped the same way; an attribute assigned to a mapped class later
    (``User.nick = mapped_column(...)``) stays a plain class attribute, as in SQLAlchemy
    (`add_mapped_attribute` maps one)."""

    metadata: ClassVar[MetaData]
    registry: ClassVar[registry]
    type_annotation_map: ClassVar[dict[Any, Any]]
    _uow_registry: ClassVar[Registry]
    _uow_is_base: ClassVar[bool] = True

    def __init_subclass__(cls, **kw: Any) -> None:
        _declarative_subclass(cls, DeclarativeBaseNoMeta, kw)

    if TYPE_CHECKING:

        def __init__(self, **kw: Any) -> None: ...


def add_mapped_attribute(target: type, key: str, attr: Any) -> None:
    """Map ``attr`` (a `Column`, `mapped_column`, `relationship` or other property) on the
    mapped class ``target`` under ``key``, as assigning it to a `DeclarativeBase` class
    does; SQLAlchemy's ``add_mapped_attribute`` (for `DeclarativeBaseNoMeta` classes).

    Raises:
        UnmappedClassError: ``target`` is not mapped.
        ArgumentError: ``attr`` is not something a mapper maps.
    """
    mapper = target.__dict__.get("__mapper__") if isinstance(target, type) else None
    if mapper is None:
        raise exc.UnmappedClassError(f"class {target!r} is not mapped")
    if not _is_mappable(attr):
        raise exc.ArgumentError(
            f"add_mapped_attribute({target.__name__}, {key!r}): {attr!r} is not a column "
            "or mapped property"
        )
    _add_late(target, mapper, key, attr)


_O_co = TypeVar("_O_co", covariant=True)


class MappedClassProtocol(Protocol[_O_co]):
    """A mapped class, for type annotations (SQLAlchemy's ``MappedClassProtocol``): it
    has ``__mapper__`` and ``__table__`` and makes ``_O_co`` objects."""

    __name__: str
    __mapper__: Mapper
    __table__: Any

    def __call__(self, **kw: Any) -> _O_co: ...


def _setup_base(cls: type) -> None:
    type.__setattr__(cls, "_uow_is_base", True)
    reg = cls.__dict__.get("registry")
    md = cls.__dict__.get("metadata")
    tmap = cls.__dict__.get("type_annotation_map")
    if reg is None:
        reg = registry(metadata=md, type_annotation_map=tmap)
    elif not isinstance(reg, Registry):
        raise exc.ArgumentError(f"{cls.__name__}.registry must be a registry(), got {reg!r}")
    else:
        if md is not None and md is not reg.metadata:
            raise exc.ArgumentError(
                f"{cls.__name__} sets both registry and metadata; give the MetaData to "
                "registry(metadata=...)"
            )
        if tmap:
            reg.type_annotation_map.update(tmap)
    type.__setattr__(cls, "registry", reg)
    type.__setattr__(cls, "_uow_registry", reg)
    type.__setattr__(cls, "metadata", reg.metadata)
    type.__setattr__(cls, "type_annotation_map", reg.type_annotation_map)


# -- dataclasses -----------------------------------------------------------------------------
_DATACLASS_CLASS_KW = (
    "init",
    "repr",
    "eq",
    "order",
    "unsafe_hash",
    "match_args",
    "kw_only",
    "dataclass_callable",
)


@typing.dataclass_transform(field_specifiers=(mapped_column, relationship, MappedColumn))
class MappedAsDataclass:
    """Mixin for a declarative base: every mapped class is also a dataclass
    (``class Base(MappedAsDataclass, DeclarativeBase)``). ``mapped_column()`` and
    ``relationship()`` take the field options ``init``, ``repr``, ``default``,
    ``default_factory``, ``kw_only`` and ``compare``; class keywords (``kw_only=True``,
    ``repr=False``, ``eq=False``, ...) go to ``dataclasses.dataclass``."""

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)


def _make_dataclass(cls: type, options: dict[str, Any]) -> dict[str, Any]:
    """Turn ``cls`` into a dataclass before mapping; returns the original attribute values
    (mapped_column / relationship objects) that mapping reads instead of the fields."""
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - own only
    originals: dict[str, Any] = {}
    for key in annotations:
        value = cls.__dict__.get(key, _NO_ARG)
        originals[key] = value
        ann = annotations[key]
        if isinstance(ann, str) and ann.startswith("ClassVar"):
            continue
        field_kw: dict[str, Any] = {}
        if isinstance(value, MappedColumn):
            field_kw = dict(value.dataclass_kw)
        elif isinstance(value, RelationshipProperty):
            field_kw = dict(getattr(value, "_dataclass_kw", {}))
        elif isinstance(value, MapperProperty):
            field_kw = dict(getattr(value, "_dataclass_kw", {}) or {"init": False})
        elif value is not _NO_ARG:
            continue  # a plain default value: the dataclass uses it as is
        if "hash" in field_kw:
            field_kw["hash"] = field_kw.pop("hash")
        type.__setattr__(cls, key, dataclasses.field(**field_kw))
    maker = options.pop("dataclass_callable", None) or dataclasses.dataclass
    maker(cls, **options)
    for key, value in originals.items():
        if value is _NO_ARG:
            if key in cls.__dict__:
                type.__delattr__(cls, key)
        else:
            type.__setattr__(cls, key, value)
    return originals


@typing.dataclass_transform(field_specifiers=(mapped_column, relationship, MappedColumn))
def mapped_as_dataclass(
    registry: registry,
    cls: Any = None,
    /,
    *,
    init: Any = _NO_ARG,
    repr: Any = _NO_ARG,
    eq: Any = _NO_ARG,
    order: Any = _NO_ARG,
    unsafe_hash: Any = _NO_ARG,
    match_args: Any = _NO_ARG,
    kw_only: Any = _NO_ARG,
    dataclass_callable: Any = _NO_ARG,
) -> Any:
    """``@mapped_as_dataclass(reg)``: the same as ``@reg.mapped_as_dataclass`` (SQLAlchemy
    2.1's spelling), with the same options."""
    return registry.mapped_as_dataclass(
        cls,
        init=init,
        repr=repr,
        eq=eq,
        order=order,
        unsafe_hash=unsafe_hash,
        match_args=match_args,
        kw_only=kw_only,
        dataclass_callable=dataclass_callable,
    )


# -- registry ----------------------------------------------------------------------------------
class registry(Registry):
    """A set of mapped classes sharing a ``MetaData``, a class-name namespace for
    relationships, and a ``type_annotation_map``.

    Map classes with `registry.mapped` (decorator), `registry.generate_base`, or
    `registry.map_imperatively` (a plain class onto an existing ``Table``).
    """

    def mapped(self, cls: _C) -> _C:
        """Class decorator: map ``cls`` declaratively (``__tablename__``, annotations)."""
        if cls.__dict__.get("__abstract__", False):
            return cls
        if "__table__" not in cls.__dict__ and not _tablename(cls):
            raise exc.InvalidRequestError(
                f"class {cls.__name__} has no __tablename__ or __table__ to map"
            )
        _instrument_plain_class(cls, constructor=True)
        if getattr(cls, "__repr__", None) is object.__repr__:  # (its own or inherited stays)
            type.__setattr__(cls, "__repr__", _MappedInstanceMethods.__repr__)
        _map_class(cls, self)
        return cls

    @typing.dataclass_transform(field_specifiers=(mapped_column, relationship, MappedColumn))
    def mapped_as_dataclass(
        self,
        cls: Any = None,
        /,
        *,
        init: Any = _NO_ARG,
        repr: Any = _NO_ARG,
        eq: Any = _NO_ARG,
        order: Any = _NO_ARG,
        unsafe_hash: Any = _NO_ARG,
        match_args: Any = _NO_ARG,
        kw_only: Any = _NO_ARG,
        dataclass_callable: Any = _NO_ARG,
    ) -> Any:
        """Class decorator: make ``cls`` a dataclass, then map it as `mapped` does
        (``@reg.mapped_as_dataclass`` or ``@reg.mapped_as_dataclass(kw_only=True)``).
        The options are ``dataclasses.dataclass``'s; ``dataclass_callable`` replaces
        ``dataclasses.dataclass`` (e.g. pydantic's)."""
        given = {
            "init": init,
            "repr": repr,
            "eq": eq,
            "order": order,
            "unsafe_hash": unsafe_hash,
            "match_args": match_args,
            "kw_only": kw_only,
            "dataclass_callable": dataclass_callable,
        }
        options = {k: v for k, v in given.items() if v is not _NO_ARG}

        def decorate(target: _C) -> _C:
            if "__table__" not in target.__dict__ and not _tablename(target):
                raise exc.InvalidRequestError(
                    f"class {target.__name__} has no __tablename__ or __table__ to map"
                )
            type.__setattr__(target, "_uow_dataclass", True)
            values = _make_dataclass(target, dict(options))
            _instrument_plain_class(target, constructor=False)
            _map_class(target, self, values)
            return target

        return decorate if cls is None else decorate(cls)

    def map_declaratively(self, cls: type) -> Mapper:
        """Map ``cls`` as `mapped` does and return its mapper."""
        return self.mapped(cls).__mapper__  # type: ignore[attr-defined, no-any-return]

    def map_imperatively(
        self,
        class_: type,
        local_table: Table | None = None,
        *,
        properties: dict[str, Any] | None = None,
        **mapper_args: Any,
    ) -> Mapper:
        """Map a plain class onto ``local_table``: every column becomes an attribute of the
        same key; ``properties`` adds relationships (``{"addresses": relationship(...)}``)
        and renamed columns (``{"name": table.c.user_name}``). Keyword arguments are the
        ``__mapper_args__`` keys. The class keeps its own ``__init__``."""
        if "__mapper__" in class_.__dict__:
            raise exc.ArgumentError(f"class {class_.__name__} is already mapped")
        inherits = mapper_args.pop("inherits", None)
        if inherits is not None:
            return self._map_inheriting(class_, local_table, properties, inherits, mapper_args)
        if local_table is None:
            raise exc.ArgumentError("map_imperatively() needs the Table to map the class onto")
        props = dict(properties or {})
        got = _Collected()
        from . import subquery_mapping

        onto_subquery = subquery_mapping.is_subquery(local_table)

        def is_column(value: Any) -> bool:  # (a subquery's columns, for a subquery mapping)
            if onto_subquery and getattr(value, "subquery", None) is local_table:
                return True
            return isinstance(value, Column)

        renamed = {id(v) for v in props.values() if is_column(v)}
        for col in local_table.c:
            if id(col) not in renamed:
                got.columns[col.key] = col
        for key, value in props.items():
            if is_column(value):
                got.columns[key] = value
            elif isinstance(value, RelationshipProperty):
                got.rels[key] = value
            elif isinstance(value, MapperProperty):
                got.props[key] = value
            else:
                raise exc.ArgumentError(
                    f"properties[{key!r}] must be a Column, relationship() or column "
                    f"property, got {value!r}"
                )
        _instrument_plain_class(class_, constructor=False)
        if onto_subquery:
            return _map_subquery(class_, local_table, got, self, mapper_args)
        return _make_mapper(class_, local_table, got.columns, got, self, mapper_args)

    def _map_inheriting(
        self,
        class_: type,
        local_table: Table | None,
        properties: dict[str, Any] | None,
        inherits: Any,
        mapper_args: dict[str, Any],
    ) -> Mapper:
        """``map_imperatively(Sub, inherits=parent)``: single-table inheritance."""

        parent = inherits if isinstance(inherits, Mapper) else getattr(inherits, "__mapper__", None)
        if not isinstance(parent, Mapper):
            raise exc.ArgumentError(
                f"map_imperatively({class_.__name__}): inherits= must be a mapped class or "
                f"its Mapper, got {inherits!r}"
            )
        if not issubclass(class_, parent.class_):
            raise exc.ArgumentError(
                f"map_imperatively({class_.__name__}, inherits={parent.class_.__name__}): "
                f"{class_.__name__} must be a Python subclass of {parent.class_.__name__}"
            )
        joined = local_table is not None and local_table is not parent.local_table
        got = _Collected()
        for key, value in (properties or {}).items():
            if isinstance(value, Column):
                got.columns[key] = value
                got.explicit_nullable.add(key)
            elif isinstance(value, RelationshipProperty):
                got.rels[key] = value
            elif isinstance(value, MapperProperty):
                got.props[key] = value
            else:
                raise exc.ArgumentError(
                    f"properties[{key!r}] must be a Column, relationship() or column "
                    f"property, got {value!r}"
                )
        _instrument_plain_class(class_, constructor=False)
        if mapper_args.get("concrete"):
            if local_table is None:
                raise exc.ArgumentError(
                    f"map_imperatively({class_.__name__}, concrete=True) needs its own Table"
                )
            return _map_concrete_subclass(
                class_, parent, self, None, local_table, (got, mapper_args)
            )
        if joined:
            assert local_table is not None
            return _map_joined_subclass(class_, parent, self, None, local_table, (got, mapper_args))
        return _map_subclass(class_, parent, self, None, (got, mapper_args))

    def generate_base(
        self, mapper: Any = None, cls: type = object, name: str = "Base", metaclass: type = type
    ) -> Any:
        """A declarative base class bound to this registry (``Base = reg.generate_base()``)."""
        if mapper is not None or metaclass is not type:
            raise exc.ArgumentError("generate_base(): mapper= and metaclass= are not supported")
        return _new_base(self, cls, name, _caller_module())


def _new_base(reg: Registry, cls: type | tuple[type, ...], name: str, module: str) -> Any:
    bases = cls if isinstance(cls, tuple) else (cls,)
    bases = (*(b for b in bases if b is not object), DeclarativeBase)
    ns: dict[str, Any] = {
        "_uow_is_base": True,
        "__module__": module,
        "registry": reg,
        "__init__": _MappedInstanceMethods.__init__,
    }
    return DeclarativeMeta(name, bases, ns)


def declarative_base(
    *,
    metadata: MetaData | None = None,
    name: str = "Base",
    cls: type | tuple[type, ...] = object,
    type_annotation_map: dict[Any, Any] | None = None,
    class_registry: dict[str, type] | None = None,
    mapper: Any = None,
    constructor: Any = _NO_ARG,
    metaclass: Any = None,
) -> Any:
    """A new declarative base class (SQLAlchemy's classic API).

    Args:
        metadata: the MetaData for its tables (a new one by default).
        name: the class name of the base.
        cls: a class (or tuple) whose methods every mapped class gets.
        type_annotation_map: Python type -> column type for ``Mapped[...]`` annotations.

    Raises:
        ArgumentError: for ``class_registry``, ``mapper``, ``constructor``, ``metaclass``
            (not supported).
    """
    unsupported = [
        n
        for n, v in (
            ("class_registry", class_registry),
            ("mapper", mapper),
            ("metaclass", metaclass),
        )
        if v is not None
    ]
    if constructor is not _NO_ARG:
        unsupported.append("constructor")
    if unsupported:
        raise exc.ArgumentError(
            f"declarative_base(): {', '.join(unsupported)} not supported; subclass "
            "DeclarativeBase for custom behaviour"
        )
    reg = registry(metadata=metadata, type_annotation_map=type_annotation_map)
    return _new_base(reg, cls, name, _caller_module())


def _caller_module() -> str:
    try:
        return str(sys._getframe(2).f_globals.get("__name__", __name__))
    except ValueError:  # pragma: no cover
        return __name__


def clear_mappers() -> None:
    """Unmap every mapped class of every registry (mostly for test suites)."""
    from .mapper import registries

    for reg in list(registries):
        reg.dispose()


__all__ = [
    "DeclarativeBase",
    "DeclarativeBaseNoMeta",
    "DeclarativeMeta",
    "Mapped",
    "MappedAsDataclass",
    "MappedClassProtocol",
    "MappedColumn",
    "add_mapped_attribute",
    "clear_mappers",
    "declarative_base",
    "declared_attr",
    "mapped_as_dataclass",
    "mapped_column",
    "orm_insert_sentinel",
    "registry",
]
