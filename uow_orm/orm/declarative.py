"""Declarative mapping: ``declarative_base()``, ``DeclarativeBase``, ``Mapped``, ``mapped_column``.

Turns class bodies into a ``Table`` and a ``Mapper``, and gives mapped classes their
keyword constructor, ``__repr__`` and the ``__setattr__`` that tracks changes.
"""

from __future__ import annotations

import re
import sys
import types as pytypes
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, Union, overload

from .. import exc
from ..schema import Column, ForeignKey, MetaData, Table
from ..types import TypeEngine, type_for_python
from .mapper import Mapper, Registry
from .relationships import RelationshipProperty
from .state import STATE_ATTR, new_state

_T = TypeVar("_T")
_NO_ARG: Any = object()


class Mapped(Generic[_T]):
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


if TYPE_CHECKING:
    from .attributes import ColumnAttribute as InstrumentedExpr


class MappedColumn(Mapped[_T]):
    """What `mapped_column` returns: column arguments waiting for their annotation."""

    def __init__(self, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        self.args = args
        self.kw = kw

    def make_column(self, key: str, py_type: Any, optional: bool | None, owner: str) -> Column[Any]:
        args = list(self.args)
        kw = dict(self.kw)
        name = kw.pop("name", None)
        if args and isinstance(args[0], str):
            name = args.pop(0)
        has_type = any(
            isinstance(a, TypeEngine) or (isinstance(a, type) and issubclass(a, TypeEngine))
            for a in args
        )
        if not has_type:
            t = type_for_python(py_type) if py_type is not None else None
            if t is None:
                fk = next((a for a in args if isinstance(a, ForeignKey)), None)
                if fk is None:
                    raise exc.ArgumentError(
                        f"{owner}.{key}: cannot infer a column type from annotation "
                        f"{py_type!r}; pass a type, e.g. mapped_column(String(50))"
                    )
            else:
                args.insert(0, t)
        if kw.get("nullable") is None and optional is not None and not kw.get("primary_key"):
            kw["nullable"] = optional
        return Column(name or key, *args, key=key, **kw)


def mapped_column(*args: Any, **kw: Any) -> Any:
    """A column for a ``Mapped[...]`` annotation; type and nullability come from it
    unless given (``Optional[X]`` / ``X | None`` means nullable)."""
    return MappedColumn(args, kw)


_MAPPED_RE = re.compile(r"^\s*(?:[\w.]*\.)?Mapped\[(.*)\]\s*$", re.S)
_COLLECTION_RE = re.compile(r"^\s*(?:typing\.)?(?:list|List|set|Set)\[(.*)\]\s*$", re.S)
_OPTIONAL_RE = re.compile(r"^\s*(?:typing\.)?Optional\[(.*)\]\s*$", re.S)


def _parse_annotation(
    ann: Any, cls: type, registry: Registry
) -> tuple[bool, Any, bool | None, bool | None, str | None]:
    """(is_mapped, python type, optional, collection, target class name)."""
    if isinstance(ann, str):
        m = _MAPPED_RE.match(ann)
        if m is None:
            return (False, None, None, None, None)
        inner = m.group(1)
        ns: dict[str, Any] = {}
        module = sys.modules.get(cls.__module__)
        if module is not None:
            ns.update(vars(module))
        ns.update(registry.classes)
        ns.setdefault(cls.__name__, cls)
        try:
            value = eval(inner, ns)
        except Exception:
            return _parse_inner_string(inner)
        return (True, *_unwrap(value))
    origin = typing.get_origin(ann)
    if origin is Mapped or (isinstance(origin, type) and issubclass(origin, Mapped)):
        (inner,) = typing.get_args(ann)
        if isinstance(inner, (str, typing.ForwardRef)):
            s = inner if isinstance(inner, str) else inner.__forward_arg__
            return _parse_inner_string(s)
        return (True, *_unwrap(inner))
    return (False, None, None, None, None)


def _parse_inner_string(inner: str) -> tuple[bool, Any, bool | None, bool | None, str | None]:
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
    m = _COLLECTION_RE.match(s)
    if m:
        s, collection = m.group(1), True
    name = s.strip().strip("'\"")
    return (True, None, optional, collection, name)


def _unwrap(tp: Any) -> tuple[Any, bool, bool, str | None]:
    optional = False
    origin = typing.get_origin(tp)
    if origin is Union or origin is pytypes.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(args) < len(typing.get_args(tp))
        tp = args[0] if len(args) == 1 else tp
        origin = typing.get_origin(tp)
    collection = False
    if origin in (list, set, typing.List, typing.Set):  # noqa: UP006
        collection = True
        (tp,) = typing.get_args(tp)
    name = None
    if isinstance(tp, str):
        name = tp
    elif isinstance(tp, typing.ForwardRef):
        name = tp.__forward_arg__
    elif isinstance(tp, type):
        name = tp.__name__
    return (tp, optional, collection, name)


def _collect(
    cls: type, registry: Registry
) -> tuple[dict[str, Column[Any]], dict[str, RelationshipProperty]]:
    columns: dict[str, Column[Any]] = {}
    rels: dict[str, RelationshipProperty] = {}
    # Mixins (unmapped bases) contribute copies of their columns; the class itself last.
    sources = [
        b
        for b in reversed(cls.__mro__[1:])
        if b is not object
        and not hasattr(b, "__mapper__")
        and not getattr(b, "_uow_is_base", False)
        and b.__module__ != __name__
    ]
    sources.append(cls)
    for src in sources:
        own = src is cls
        annotations = src.__dict__.get("__annotations__", {})  # noqa: RUF063 - own only
        names = list(annotations) + [k for k in src.__dict__ if k not in annotations]
        for key in names:
            value = src.__dict__.get(key, _NO_ARG)
            ann = annotations.get(key)
            parsed = _parse_annotation(ann, cls, registry) if ann is not None else None
            if isinstance(value, RelationshipProperty):
                if not own:
                    raise exc.ArgumentError(
                        f"relationship {key!r} on mixin {src.__name__} is not supported; "
                        "declare relationships on the mapped class"
                    )
                if parsed and parsed[0]:
                    _, _, _, collection, target = parsed
                    if value.argument is None and target:
                        value.argument = target
                    if collection is not None:
                        value._annotation_uselist = collection
                if value.argument is None:
                    raise exc.ArgumentError(
                        f"relationship {cls.__name__}.{key} has no target; pass the class "
                        "(or its name) or annotate Mapped[list['Target']]"
                    )
                rels[key] = value
                continue
            if isinstance(value, Column):
                col = value if own else value.copy()
                if not col.name:
                    col.name = key
                col.key = key
                columns[key] = col
                continue
            if isinstance(value, MappedColumn) or (value is _NO_ARG and parsed and parsed[0]):
                mc = value if isinstance(value, MappedColumn) else MappedColumn((), {})
                assert parsed is not None
                _mapped, py_type, optional, collection, _target = parsed
                if collection:
                    raise exc.ArgumentError(
                        f"{cls.__name__}.{key} is annotated as a collection; use "
                        "relationship() for it"
                    )
                columns[key] = mc.make_column(key, py_type, optional, cls.__name__)
    return columns, rels


def _map_class(cls: type, base: type) -> None:
    registry: Registry = base._uow_registry  # type: ignore[attr-defined]
    metadata: MetaData = base.metadata  # type: ignore[attr-defined]
    for parent in cls.__mro__[1:]:
        if "__mapper__" in parent.__dict__:
            raise exc.ArgumentError(
                f"{cls.__name__} subclasses the mapped class {parent.__name__}: mapped "
                "inheritance is not supported; use a mixin (an unmapped base class) instead"
            )
    columns, rels = _collect(cls, registry)
    table_args = cls.__dict__.get("__table_args__", ())
    extra: list[Any] = []
    table_kw: dict[str, Any] = {}
    if isinstance(table_args, dict):
        table_kw = dict(table_args)
    elif table_args:
        items = list(table_args)
        if items and isinstance(items[-1], dict):
            table_kw = dict(items.pop())
        extra = items
    table = cls.__dict__.get("__table__")
    if table is None:
        table = Table(
            cls.__tablename__,  # type: ignore[attr-defined]
            metadata,
            *columns.values(),
            *extra,
            **table_kw,
        )
    else:
        columns = {**{c.key: c for c in table.c}, **columns}
    mapper_args = cls.__dict__.get("__mapper_args__", {})
    version = mapper_args.get("version_id_col")
    if version is not None:
        version = getattr(version, "column", version)
        if isinstance(version, str):
            version = columns[version]
        if isinstance(version, MappedColumn):
            version = next(c for k, c in columns.items() if cls.__dict__.get(k) is version)
    type.__setattr__(cls, "__table__", table)
    mapper = Mapper(cls, table, columns, rels, registry, version)
    type.__setattr__(cls, "__mapper__", mapper)
    registry.add(mapper)


class _MappedInstanceMethods:
    """Constructor, ``__setattr__`` and ``__repr__`` shared by every mapped class."""

    __mapper__: ClassVar[Mapper]
    __table__: ClassVar[Table]

    def __new__(cls, *args: Any, **kw: Any) -> Any:
        obj = object.__new__(cls)
        mapper = cls.__dict__.get("__mapper__")
        if mapper is None:
            raise exc.UnmappedClassError(
                f"class {cls.__name__} is not mapped: give it a __tablename__ (and columns) "
                "to map it"
            )
        obj.__dict__[STATE_ATTR] = new_state(obj, mapper)
        return obj

    def __init__(self, **kw: Any) -> None:
        mapper = type(self).__mapper__
        if not mapper.registry.configured:
            mapper.registry.configure()
        d = self.__dict__
        columns = mapper.columns
        setters = mapper.setters
        for key, value in kw.items():
            if key in columns:
                d[key] = value
            elif key in setters:
                setattr(self, key, value)
            else:
                raise TypeError(
                    f"{key!r} is an invalid keyword argument for {type(self).__name__}; "
                    f"mapped attributes are {', '.join(mapper.attrs)}"
                )

    def __setattr__(self, key: str, value: Any) -> None:
        attr = type(self).__mapper__.setters.get(key)
        if attr is None:
            object.__setattr__(self, key, value)
        else:
            attr.set(self, value)

    def __repr__(self) -> str:
        mapper = type(self).__mapper__
        d = self.__dict__
        parts = [f"{k}={d[k]!r}" for k in mapper.column_keys if k in d]
        state = d.get(STATE_ATTR)
        if not parts and state is not None and state.key is not None:
            parts = [f"{k}={v!r}" for k, v in zip(mapper.pk_keys, state.key[1])]
        return f"{type(self).__name__}({', '.join(parts)})"


@typing.dataclass_transform(kw_only_default=True)
class DeclarativeBase(_MappedInstanceMethods):
    """Subclass once to make a declarative base (``class Base(DeclarativeBase): pass``);
    subclasses of that base with ``__tablename__`` are mapped."""

    metadata: ClassVar[MetaData]
    _uow_registry: ClassVar[Registry]
    _uow_is_base: ClassVar[bool] = True

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if DeclarativeBase in cls.__bases__ or cls.__dict__.get("_uow_is_base"):
            type.__setattr__(cls, "_uow_is_base", True)
            if "metadata" not in cls.__dict__:
                type.__setattr__(cls, "metadata", MetaData())
            type.__setattr__(cls, "_uow_registry", Registry())
            return
        type.__setattr__(cls, "_uow_is_base", False)
        if cls.__dict__.get("__abstract__", False):
            return
        if "__tablename__" not in cls.__dict__ and "__table__" not in cls.__dict__:
            return
        base = next(b for b in cls.__mro__ if b.__dict__.get("_uow_is_base"))
        _map_class(cls, base)

    if TYPE_CHECKING:

        def __init__(self, **kw: Any) -> None: ...


def declarative_base(*, metadata: MetaData | None = None, name: str = "Base") -> Any:
    """A new declarative base class with its own ``metadata`` (SQLAlchemy's classic API)."""
    ns: dict[str, Any] = {"_uow_is_base": True, "__module__": _caller_module()}
    if metadata is not None:
        ns["metadata"] = metadata
    return type(name, (DeclarativeBase,), ns)


def _caller_module() -> str:
    try:
        return str(sys._getframe(2).f_globals.get("__name__", __name__))
    except ValueError:  # pragma: no cover
        return __name__


__all__ = ["DeclarativeBase", "Mapped", "MappedColumn", "declarative_base", "mapped_column"]
