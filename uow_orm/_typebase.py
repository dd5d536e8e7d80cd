"""User-extensible types: TypeDecorator, UserDefinedType, variants, reprs, dialect objects.

Imported by `uow_orm.types` (which re-exports the public names); the SQL compiler and the
ORM reach these types only through the ``TypeEngine`` interface (``_bind``/``_result``/``ddl``).

Called by: uow_orm._generic_types, uow_orm.dialects.*, uow_orm.types.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

from . import exc
from .dialects import base as _dialect_base
from .types import Comparator, ExternalType, Processor, TypeEngine

# -- dialect objects handed to user hooks ------------------------------------------------------
_DIALECTS: dict[str, Any] = {}


class _NamedDialect:
    """Stands for a backend uow_orm cannot connect to (``type.compile("mysql")``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def type_descriptor(self, typeobj: Any) -> TypeEngine:
        return to_instance(typeobj)

    def __repr__(self) -> str:
        return f"<dialect {self.name}>"


def dialect_for_name(name: str) -> Any:
    """The dialect object passed to ``process_bind_param(value, dialect)`` and friends.

    One shared instance per backend name; it has ``name`` and ``type_descriptor()``.
    """
    d = _DIALECTS.get(name)
    if d is None:
        if name == "sqlite":
            from .dialects.sqlite_dialect import SQLiteDialect

            d = SQLiteDialect()
        elif name == "postgresql":
            try:
                from .dialects.postgresql_dialect import PGDialect

                d = PGDialect()
            except exc.ArgumentError:  # psycopg not installed: compile-only use
                d = _NamedDialect(name)
        else:
            d = _NamedDialect(name)
        _DIALECTS[name] = d
    return d


def to_instance(typeobj: Any, *args: Any, **kw: Any) -> TypeEngine:
    """A type instance from a type class or instance (None means NullType)."""
    if typeobj is None:
        from .types import NULLTYPE

        return NULLTYPE
    if isinstance(typeobj, type) and issubclass(typeobj, TypeEngine):
        return typeobj(*args, **kw)
    if isinstance(typeobj, TypeEngine):
        if args or kw:
            raise exc.ArgumentError(
                f"arguments {args or ''}{kw or ''} given for a type that is already an "
                f"instance ({typeobj!r}); pass the arguments to the class instead"
            )
        return typeobj
    raise exc.ArgumentError(f"expected a type class or instance, got {typeobj!r}")


# -- repr --------------------------------------------------------------------------------------
def generic_repr(obj: Any, to_inspect: Any = None, name: str | None = None) -> str:
    """``Class(arg=value, ...)`` naming only the constructor arguments that differ from
    their defaults, read from the attributes of the same names (SQLAlchemy's format)."""
    target = obj if to_inspect is None else to_inspect
    cls_name = name or type(obj).__name__
    parts: list[str] = []
    for cls in type(target).__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_vendor_init", False):
            continue
        try:
            sig = inspect.signature(init)
        except (TypeError, ValueError):  # pragma: no cover - builtins
            break
        for p in list(sig.parameters.values())[1:]:
            if p.kind is p.VAR_POSITIONAL:
                values = getattr(target, "_repr_positional", None)
                if values:
                    parts.extend(repr(v) for v in values)
                continue
            if p.kind is p.VAR_KEYWORD:
                continue
            if not hasattr(target, p.name):
                continue
            value = getattr(target, p.name)
            if p.default is p.empty:
                parts.append(repr(value))
                continue
            if _same(value, p.default):
                continue
            parts.append(f"{p.name}={value!r}")
        break
    return f"{cls_name}({', '.join(parts)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # pragma: no cover - odd __eq__
        return False


# -- variants ----------------------------------------------------------------------------------
class _VariantMixin(TypeEngine):
    """Mixed into a copy of a type made by ``with_variant``: another type on named dialects."""

    _variant_mapping: dict[str, TypeEngine]

    def ddl(self, dialect_name: str) -> str:
        v = self._variant_mapping.get(dialect_name)
        return v.ddl(dialect_name) if v is not None else super().ddl(dialect_name)

    def _bind(self, dialect_name: str) -> Processor:
        v = self._variant_mapping.get(dialect_name)
        return v._bind(dialect_name) if v is not None else super()._bind(dialect_name)

    def _result(self, dialect_name: str) -> Processor:
        v = self._variant_mapping.get(dialect_name)
        return v._result(dialect_name) if v is not None else super()._result(dialect_name)

    def _type_for(self, dialect_name: str) -> TypeEngine:
        v = self._variant_mapping.get(dialect_name)
        return v._type_for(dialect_name) if v is not None else super()._type_for(dialect_name)

    def dialect_impl(self, dialect: Any) -> TypeEngine:
        name = dialect if isinstance(dialect, str) else dialect.name
        v = self._variant_mapping.get(name)
        return v if v is not None else super().dialect_impl(dialect)

    def _named_types(self, dialect_name: str) -> list[Any]:
        v = self._variant_mapping.get(dialect_name)
        if v is not None:
            return v._named_types(dialect_name)
        return super()._named_types(dialect_name)

    def _column_check_sql(self, column_sql: str, dialect_name: str) -> str | None:
        v = self._variant_mapping.get(dialect_name)
        if v is not None:
            return v._column_check_sql(column_sql, dialect_name)
        return super()._column_check_sql(column_sql, dialect_name)


_VARIANT_CLASSES: dict[type, type] = {}


def make_variant(
    base: TypeEngine, type_: TypeEngine | type[TypeEngine], dialect_names: Sequence[str]
) -> TypeEngine:
    """``base.with_variant(type_, *dialect_names)``: a copy of ``base`` (still an instance
    of its class) that behaves as ``type_`` on the named dialects."""
    if not dialect_names:
        raise exc.ArgumentError("with_variant() needs at least one dialect name, e.g. 'postgresql'")
    impl = to_instance(type_)
    mapping: dict[str, TypeEngine] = dict(getattr(base, "_variant_mapping", {}))
    for name in dialect_names:
        if not isinstance(name, str):
            raise exc.ArgumentError(f"with_variant() dialect names are strings, got {name!r}")
        if name in mapping:
            raise exc.ArgumentError(
                f"dialect {name!r} already has a variant ({mapping[name]!r}) on {base!r}"
            )
        mapping[name] = impl
    new = base.copy()
    cls = type(base)
    if not isinstance(base, _VariantMixin):
        variant_cls = _VARIANT_CLASSES.get(cls)
        if variant_cls is None:
            variant_cls = _VARIANT_CLASSES[cls] = type(
                cls.__name__,
                (_VariantMixin, cls),
                {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
            )
        new.__class__ = variant_cls
    new._variant_mapping = mapping  # type: ignore[attr-defined]
    return new


# -- TypeDecorator -----------------------------------------------------------------------------
class TypeDecorator(ExternalType):
    """A type built on another one (``impl``), adding Python-side conversion.

    Subclasses set ``impl`` (a type class or instance) and override some of
    ``process_bind_param(value, dialect)``, ``process_result_value(value, dialect)``,
    ``process_literal_param(value, dialect)``, ``load_dialect_impl(dialect)`` and
    ``coerce_compared_value(op, value)``. Constructor arguments are passed to ``impl``
    when it is a class (``MyString(50)`` makes ``impl`` a ``String(50)``).

    The hooks are not called for ``None``: NULL is passed through unchanged.

    Raises `exc.ArgumentError` when the subclass has no ``impl``.
    """

    #: SQLAlchemy's cache declaration; accepted for compatibility (uow_orm's statement cache
    #: never keys on type parameters, so the value changes nothing).
    cache_ok: ClassVar[bool | None] = None
    impl: Any

    class Comparator(TypeEngine.Comparator):
        """Base of the comparators of decorated types (the impl's operators stay usable)."""

        __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls_impl = type(self).__dict__.get("impl", None)
        if cls_impl is None:
            for klass in type(self).__mro__:
                if "impl" in klass.__dict__:
                    cls_impl = klass.__dict__["impl"]
                    break
        if cls_impl is None:
            raise exc.ArgumentError(
                f"TypeDecorator subclass {type(self).__name__} needs a class-level 'impl' "
                "naming the type it decorates, e.g. impl = String"
            )
        self.impl = to_instance(cls_impl, *args, **kwargs)
        self._impl_cache: dict[str, TypeEngine] = {}

    # user hooks --------------------------------------------------------------------------
    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        """Convert a Python value before it is bound (override; default unchanged)."""
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        """Convert a value read from the database (override; default unchanged)."""
        return value

    def process_literal_param(self, value: Any, dialect: Any) -> Any:
        """Convert a value rendered inline as a literal (override; default unchanged)."""
        return value

    def load_dialect_impl(self, dialect: Any) -> TypeEngine:
        """The type used on ``dialect`` (override to pick one per backend)."""
        impl: TypeEngine = self.impl
        return impl

    def coerce_compared_value(self, op: Any, value: Any) -> TypeEngine:
        """The type binding a value compared with this column: this decorator itself, so
        comparisons go through ``process_bind_param``."""
        return self

    # the TypeEngine interface --------------------------------------------------------------
    def _impl_for(self, dialect_name: str) -> TypeEngine:
        cache: dict[str, TypeEngine] = self.__dict__.setdefault("_impl_cache", {})
        impl = cache.get(dialect_name)
        if impl is None:
            impl = to_instance(self.load_dialect_impl(dialect_for_name(dialect_name)))
            cache[dialect_name] = impl
        return impl

    def _type_for(self, dialect_name: str) -> TypeEngine:
        return self._impl_for(dialect_name)._type_for(dialect_name)

    def dialect_impl(self, dialect: Any) -> TypeEngine:
        name = dialect if isinstance(dialect, str) else dialect.name
        return self._impl_for(name)

    def ddl(self, dialect_name: str) -> str:
        return self._impl_for(dialect_name).ddl(dialect_name)

    def bind_processor(self, dialect_name: str) -> Processor:
        impl_proc = self._impl_for(dialect_name)._bind(dialect_name)
        if type(self).process_bind_param is TypeDecorator.process_bind_param:
            return impl_proc
        dialect = dialect_for_name(dialect_name)
        hook = self.process_bind_param
        if impl_proc is None:
            return lambda value: hook(value, dialect)

        def process(value: Any) -> Any:
            value = hook(value, dialect)
            return impl_proc(value) if value is not None else None

        return process

    def result_processor(self, dialect_name: str) -> Processor:
        impl_proc = self._impl_for(dialect_name)._result(dialect_name)
        if type(self).process_result_value is TypeDecorator.process_result_value:
            return impl_proc
        dialect = dialect_for_name(dialect_name)
        hook = self.process_result_value
        if impl_proc is None:
            return lambda value: hook(value, dialect)
        return lambda value: hook(impl_proc(value), dialect)

    def literal_processor(self, dialect: Any) -> Processor:
        name = dialect if isinstance(dialect, str) else dialect.name
        inner = self._impl_for(name).literal_processor(name)
        hook = self.process_literal_param
        d = dialect_for_name(name)

        def render(value: Any) -> Any:
            value = hook(value, d)
            return inner(value) if inner is not None else value

        return render

    def _named_types(self, dialect_name: str) -> list[Any]:
        return self._impl_for(dialect_name)._named_types(dialect_name)

    def _column_check_sql(self, column_sql: str, dialect_name: str) -> str | None:
        return self._impl_for(dialect_name)._column_check_sql(column_sql, dialect_name)

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.impl.python_type  # type: ignore[no-any-return]

    @property
    def comparator_factory(self) -> type[TypeEngine.Comparator]:  # type: ignore[override]
        impl_cf: type[TypeEngine.Comparator] = self.impl.comparator_factory
        if issubclass(impl_cf, TypeDecorator.Comparator):
            return impl_cf
        return _decorator_comparator(impl_cf)

    def compare_values(self, x: Any, y: Any) -> bool:
        return self.impl.compare_values(x, y)  # type: ignore[no-any-return]

    def copy(self, **kw: Any) -> TypeEngine:
        new = TypeEngine.copy(self)
        new.__dict__["_impl_cache"] = {}
        return new

    def __getattr__(self, key: str) -> Any:
        # Attributes of the decorated type (``MyString(50).length``) read through.
        if key.startswith("_") or key == "impl":
            raise AttributeError(key)
        return getattr(self.impl, key)

    def __repr__(self) -> str:
        return generic_repr(self, to_inspect=self.impl)


_DECORATOR_COMPARATORS: dict[type, type[Comparator]] = {}


def _decorator_comparator(impl_cf: type[Comparator]) -> type[Comparator]:
    cf = _DECORATOR_COMPARATORS.get(impl_cf)
    if cf is None:
        cf = _DECORATOR_COMPARATORS[impl_cf] = type(
            "TDComparator", (TypeDecorator.Comparator, impl_cf), {"__slots__": ()}
        )
    return cf


# -- dialect type compilers ---------------------------------------------------------------------
class DialectTypeCompiler:
    """A dialect's type compiler as SQLAlchemy exposes it (``PGTypeCompiler``): libraries
    add ``visit_<NAME>(self, type_, **kw)`` methods to it, and a `UserDefinedType` whose
    ``__visit_name__`` is ``NAME`` takes its DDL from that method on that dialect."""

    #: the dialect whose DDL this compiler's visit methods give (set by subclasses)
    dialect_name: ClassVar[str] = ""
    _by_dialect: ClassVar[dict[str, type[DialectTypeCompiler]]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.dialect_name:
            DialectTypeCompiler._by_dialect[cls.dialect_name] = cls

    @classmethod
    def visit_for(cls, dialect_name: str, visit_name: str) -> Any:
        """The ``visit_<visit_name>`` a library added to ``dialect_name``'s compiler, bound
        to an instance of it (call it with the type), or None."""
        compiler = cls._by_dialect.get(dialect_name)
        if compiler is None or not visit_name:
            return None
        return getattr(compiler(), f"visit_{visit_name}", None)


# -- UserDefinedType ---------------------------------------------------------------------------
class UserDefinedType(ExternalType):
    """A type written from scratch: ``get_col_spec()`` gives its DDL, and the optional
    ``bind_processor(dialect)`` / ``result_processor(dialect, coltype)`` return converters
    (or None), with the dialect object as SQLAlchemy passes it."""

    cache_ok: ClassVar[bool | None] = None

    def get_col_spec(self, **kw: Any) -> str:
        """The type's name in DDL (override)."""
        raise exc.ArgumentError(f"{type(self).__name__} must define get_col_spec()")

    def ddl(self, dialect_name: str) -> str:
        visit = DialectTypeCompiler.visit_for(
            dialect_name, getattr(type(self), "__visit_name__", "")
        )
        if visit is not None:  # a visit_<NAME> a library put on the dialect's compiler
            return str(visit(self))
        return self.get_col_spec()

    def bind_processor(self, dialect: Any) -> Processor:
        """A converter for bound values on ``dialect`` or None (override)."""
        return None

    def result_processor(self, dialect: Any, coltype: Any = None) -> Processor:
        """A converter for result values on ``dialect`` or None (override)."""
        return None

    def _bind(self, dialect_name: str) -> Processor:
        cache: dict[str, Processor] = self.__dict__.setdefault("_bind_cache", {})
        if dialect_name not in cache:
            cache[dialect_name] = self.bind_processor(dialect_for_name(dialect_name))
        return cache[dialect_name]

    def _result(self, dialect_name: str) -> Processor:
        cache: dict[str, Processor] = self.__dict__.setdefault("_result_cache", {})
        if dialect_name not in cache:
            cache[dialect_name] = self.result_processor(dialect_for_name(dialect_name), None)
        return cache[dialect_name]


# Dialect.type_descriptor() (SQLAlchemy's API) calls it; the dialects sit below this module.
_dialect_base.type_instance = to_instance

__all__ = [
    "TypeDecorator",
    "UserDefinedType",
    "dialect_for_name",
    "generic_repr",
    "make_variant",
    "to_instance",
]
