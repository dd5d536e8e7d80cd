"""Hybrid attributes: ``hybrid_property`` and ``hybrid_method`` (Python on instances, SQL on
the class), as in ``sqlalchemy.ext.hybrid``.

Used in mapped class bodies; the class-level expression goes wherever a column expression
goes (``select(User).where(User.fullname == "a b")``, ``update(User).values(...)``).

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .. import exc
from ..orm.base import InspectionAttrExtensionType, InspectionAttrInfo, ORMDescriptor
from ..orm.properties import PropComparator
from ..sql.elements import ColumnElement, coerce_expression

_T = TypeVar("_T")
_R = TypeVar("_R")

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}


class Comparator(PropComparator, Generic[_T]):
    """Base for custom class-level behaviour of a hybrid (``@prop.comparator``).

    Override ``__eq__`` (and friends) or ``operate(op, other)``, where ``op`` is a function
    of the ``operator`` module (``operator.eq``); ``self.expression`` is the wrapped SQL.
    """

    __hash__ = object.__hash__

    def __init__(self, expression: Any) -> None:
        self.expression = expression

    def __clause_element__(self) -> Any:
        expr = self.expression
        return expr.__clause_element__() if hasattr(expr, "__clause_element__") else expr

    def _expr(self) -> ColumnElement:
        return coerce_expression(self.__clause_element__())  # type: ignore[return-value]

    def operate(self, op: Any, other: Any) -> ColumnElement:
        if callable(op):
            return op(self.__clause_element__(), other)  # type: ignore[no-any-return]
        fn = _OPS.get(op)
        if fn is not None:
            return fn(self.__clause_element__(), other)  # type: ignore[no-any-return]
        return self._expr().operate(op, other)

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self.operate(operator.eq, other)

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self.operate(operator.ne, other)

    def __lt__(self, other: Any) -> ColumnElement:
        return self.operate(operator.lt, other)

    def __le__(self, other: Any) -> ColumnElement:
        return self.operate(operator.le, other)

    def __gt__(self, other: Any) -> ColumnElement:
        return self.operate(operator.gt, other)

    def __ge__(self, other: Any) -> ColumnElement:
        return self.operate(operator.ge, other)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._expr(), name)


class _HybridExpression(Comparator[Any]):
    """``Cls.hybrid``: the expression, plus what ``update().values()`` needs."""

    def __init__(self, expression: Any, hybrid: hybrid_property[Any], owner: type) -> None:
        super().__init__(expression)
        self._hybrid = hybrid
        self._owner = owner

    def _update_pairs(self, value: Any) -> list[tuple[Any, Any]]:
        """(column, value) pairs for ``update(Cls).values({Cls.hybrid: value})``."""
        fn = self._hybrid.update_expr
        if fn is None:
            raise exc.InvalidRequestError(
                f"hybrid property {self._hybrid.__name__!r} has no @update_expression; "
                "it cannot be set in an UPDATE"
            )
        return list(fn(self._owner, value))

    def label(self, name: str) -> Any:
        return self._expr().label(name)


class HybridExtensionType(InspectionAttrExtensionType):
    """``descriptor.extension_type`` of the hybrids (as in SQLAlchemy): how a library
    walking ``inspect(Class).all_orm_descriptors`` tells them apart."""

    HYBRID_METHOD = "HYBRID_METHOD"
    HYBRID_PROPERTY = "HYBRID_PROPERTY"


class hybrid_property(InspectionAttrInfo, ORMDescriptor[_T]):
    """A property whose getter runs in Python on instances and builds SQL on the class
    (``@hybrid_property def fullname(self): return self.first + " " + self.last``).

    Refine it with ``@fullname.setter``, ``@fullname.expression`` (a classmethod-like
    function giving the SQL form), ``@fullname.comparator`` (a `Comparator`) and
    ``@fullname.update_expression`` (``(column, value)`` pairs for UPDATE).
    """

    extension_type = HybridExtensionType.HYBRID_PROPERTY
    is_attribute = True

    def __init__(
        self,
        fget: Callable[[Any], _T],
        fset: Callable[[Any, Any], None] | None = None,
        fdel: Callable[[Any], None] | None = None,
        expr: Callable[[Any], Any] | None = None,
        custom_comparator: Callable[[Any], Any] | None = None,
        update_expr: Callable[[Any, Any], Any] | None = None,
    ) -> None:
        self.fget = fget
        self.fset = fset
        self.fdel = fdel
        self.expr = expr
        self.custom_comparator = custom_comparator
        self.update_expr = update_expr
        self.__name__ = fget.__name__
        self.__doc__ = fget.__doc__

    def _copy(self, **kw: Any) -> hybrid_property[_T]:
        args: dict[str, Any] = {
            "fget": self.fget,
            "fset": self.fset,
            "fdel": self.fdel,
            "expr": self.expr,
            "custom_comparator": self.custom_comparator,
            "update_expr": self.update_expr,
        }
        args.update(kw)
        return hybrid_property(**args)

    @overload
    def __get__(self, instance: None, owner: Any) -> Any: ...
    @overload
    def __get__(self, instance: object, owner: Any) -> _T: ...
    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return self._class_level(owner)
        return self.fget(instance)

    def _class_level(self, owner: type) -> Any:
        if self.custom_comparator is not None:
            return self.custom_comparator(owner)
        fn = self.expr if self.expr is not None else self.fget
        return _HybridExpression(fn(owner), self, owner)

    def __set__(self, instance: Any, value: Any) -> None:
        if self.fset is None:
            raise AttributeError(f"hybrid property {self.__name__!r} has no setter")
        self.fset(instance, value)

    def __delete__(self, instance: Any) -> None:
        if self.fdel is None:
            raise AttributeError(f"hybrid property {self.__name__!r} has no deleter")
        self.fdel(instance)

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property[_T]:
        """The function run for ``obj.prop = value``."""
        return self._copy(fset=fset)

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property[_T]:
        """The function run for ``del obj.prop``."""
        return self._copy(fdel=fdel)

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property[_T]:
        """The function (called with the class) giving the SQL expression."""
        return self._copy(expr=getattr(expr, "__func__", expr))

    def comparator(self, comparator: Callable[[Any], Any]) -> hybrid_property[_T]:
        """The function (called with the class) giving a `Comparator` for class access."""
        return self._copy(custom_comparator=getattr(comparator, "__func__", comparator))

    def update_expression(self, meth: Callable[[Any, Any], Any]) -> hybrid_property[_T]:
        """The function ``(cls, value) -> [(column, value), ...]`` used by UPDATE."""
        return self._copy(update_expr=getattr(meth, "__func__", meth))

    if TYPE_CHECKING:

        @property
        def inplace(self) -> hybrid_property[_T]: ...

    else:

        @property
        def inplace(self) -> hybrid_property[_T]:
            """SQLAlchemy's in-place modifier form (``@prop.inplace.setter``)."""
            return _Inplace(self)  # type: ignore[return-value]


class _Inplace:
    """``@fullname.inplace.setter``: modifies the hybrid itself (returns it)."""

    def __init__(self, hybrid: hybrid_property[Any]) -> None:
        self.hybrid = hybrid

    def _set(self, attr: str, fn: Any) -> hybrid_property[Any]:
        setattr(self.hybrid, attr, fn)
        return self.hybrid

    def setter(self, fn: Any) -> hybrid_property[Any]:
        return self._set("fset", fn)

    def deleter(self, fn: Any) -> hybrid_property[Any]:
        return self._set("fdel", fn)

    def expression(self, fn: Any) -> hybrid_property[Any]:
        return self._set("expr", getattr(fn, "__func__", fn))

    def comparator(self, fn: Any) -> hybrid_property[Any]:
        return self._set("custom_comparator", getattr(fn, "__func__", fn))

    def update_expression(self, fn: Any) -> hybrid_property[Any]:
        return self._set("update_expr", getattr(fn, "__func__", fn))


class hybrid_method(InspectionAttrInfo, Generic[_R]):
    """A method that runs in Python on instances and builds SQL when called on the class
    (``User.name_is("a")`` in a WHERE clause); ``@meth.expression`` gives a separate SQL
    form."""

    extension_type = HybridExtensionType.HYBRID_METHOD
    is_attribute = True

    def __init__(self, func: Callable[..., _R], expr: Callable[..., Any] | None = None) -> None:
        self.func = func
        self.expr = expr
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, instance: Any, owner: Any) -> Callable[..., _R]:
        if instance is None:
            fn = self.expr if self.expr is not None else self.func
            return fn.__get__(owner, owner)  # type: ignore[no-any-return]
        return self.func.__get__(instance, owner)  # type: ignore[no-any-return]

    def expression(self, expr: Callable[..., Any]) -> hybrid_method[_R]:
        """The function (called with the class and the arguments) giving the SQL form."""
        return hybrid_method(self.func, getattr(expr, "__func__", expr))


__all__ = ["Comparator", "HybridExtensionType", "hybrid_method", "hybrid_property"]
