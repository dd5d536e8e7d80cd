"""``uow_orm.ext.compiler``: SQLAlchemy's custom SQL constructs and compilation extension.

``@compiles(MyElement)`` gives a custom element (or an existing construct, per dialect)
its SQL: the function ``fn(element, compiler, **kw)`` returns the text, using
``compiler.process(sub_element)`` for the parts it contains and
``compiler.visit_<name>(element)`` for the construct's own SQL when it only adds to it.

Called by: applications (``from uow_orm.ext.compiler import compiles``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .. import exc
from ..sql.cache import statement_cache
from ..sql.compiler import Compiler, compiles_dispatcher
from ..types import TypeEngine

_F = TypeVar("_F", bound=Callable[..., str])


class _Dispatcher:
    """The compile functions registered for one class, by dialect name (``"default"``
    for all), in front of the class's own compilation."""

    def __init__(self, class_: type, original: Callable[[Any, Compiler], str]) -> None:
        self.class_ = class_
        self.original = original
        self.specs: dict[str, Callable[..., str]] = {}

    def chosen(self, dialect_name: str | None) -> Callable[..., str] | None:
        """The function registered for ``dialect_name`` (None: printing with the generic
        string dialect), else the one for every dialect, else None."""
        fn = self.specs.get(dialect_name) if dialect_name is not None else None
        return fn if fn is not None else self.specs.get("default")

    def compile(self, element: Any, compiler: Compiler) -> str:
        fn = self.chosen(None if compiler.string_dialect else compiler.dialect_name)
        if fn is None:
            return self.original(element, compiler)
        sql = fn(element, compiler)
        if not isinstance(sql, str):
            raise exc.CompileError(
                f"the @compiles function {fn.__name__} for {self.class_.__name__} returned "
                f"{sql!r}, not a string of SQL"
            )
        return sql


class TypeCompiler:
    """The ``compiler`` a `compiles` function of a column type gets: ``process(type_)``
    is a type's DDL name on this dialect, ``visit_<name>(type_)`` the type's own."""

    def __init__(self, dialect_name: str) -> None:
        self.dialect_name = dialect_name

    def process(self, type_: Any) -> str:
        """The DDL name of ``type_`` on this dialect."""
        return type_.ddl(self.dialect_name)  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("visit_"):
            raise AttributeError(name)

        def visit(type_: Any, **kw: Any) -> str:
            if kw:
                raise exc.ArgumentError(f"compiler.{name}() takes no keywords in uow_orm")
            dispatcher = compiles_dispatcher(type_)
            if dispatcher is not None:
                return dispatcher.original(type_, self.dialect_name)  # type: ignore[no-any-return]
            return self.process(type_)

        return visit


def _register_type(class_: type, fn: Callable[..., str], specs: tuple[str, ...]) -> None:
    """`compiles` for a column type: its DDL name (``TypeEngine.ddl``) per dialect."""
    dispatcher = class_.__dict__.get("_uow_compiles")
    if dispatcher is None:
        dispatcher = _Dispatcher(class_, class_.ddl)  # type: ignore[attr-defined]
        chosen, original = dispatcher.chosen, dispatcher.original

        def ddl(type_: Any, dialect_name: str) -> str:
            fn = chosen(dialect_name)
            if fn is None:
                return original(type_, dialect_name)  # type: ignore[arg-type]
            return fn(type_, TypeCompiler(dialect_name))

        type.__setattr__(class_, "_uow_compiles", dispatcher)
        type.__setattr__(class_, "ddl", ddl)
    for spec in specs or ("default",):
        dispatcher.specs[spec] = fn


def compiles(class_: type, *specs: str) -> Callable[[_F], _F]:
    """Register the decorated ``fn(element, compiler, **kw) -> str`` as the SQL of
    ``class_`` (and its subclasses) on the dialects named (``"sqlite"``,
    ``"postgresql"``), or on every dialect when none is named. Register at import time:
    the statement cache is cleared, but SQL an ORM flush already prepared is kept.

    Raises:
        ArgumentError: ``class_`` is not an SQL element class.
    """
    if isinstance(class_, type) and issubclass(class_, TypeEngine):

        def decorate_type(fn: _F) -> _F:
            _register_type(class_, fn, specs)
            statement_cache.clear()
            return fn

        return decorate_type
    if not isinstance(class_, type) or not callable(getattr(class_, "_compile", None)):
        raise exc.ArgumentError(f"@compiles() needs an SQL element class, got {class_!r}")

    def decorate(fn: _F) -> _F:
        dispatcher = class_.__dict__.get("_uow_compiles")
        if dispatcher is None:
            dispatcher = _Dispatcher(class_, class_._compile)  # type: ignore[attr-defined]
            compile_via = dispatcher.compile

            def _compile(element: Any, compiler: Compiler) -> str:
                return compile_via(element, compiler)

            type.__setattr__(class_, "_uow_compiles", dispatcher)
            type.__setattr__(class_, "_compile", _compile)
        for spec in specs or ("default",):
            dispatcher.specs[spec] = fn
        statement_cache.clear()
        return fn

    return decorate


def deregister(class_: type) -> None:
    """Remove every `compiles` function of ``class_``: it compiles as before."""
    dispatcher = class_.__dict__.get("_uow_compiles")
    if dispatcher is None:
        return
    is_type = isinstance(class_, type) and issubclass(class_, TypeEngine)
    type.__setattr__(class_, "ddl" if is_type else "_compile", dispatcher.original)
    type.__delattr__(class_, "_uow_compiles")
    statement_cache.clear()


__all__ = ["TypeCompiler", "compiles", "deregister"]
