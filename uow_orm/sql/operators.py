"""``uow_orm.sql.operators``: SQLAlchemy's operator functions (``operators.eq``, ``like_op``, ...).

Used by filter-building code written for SQLAlchemy, both as ``op(column, value)`` and as
``column.operate(op, value)`` (``ColumnElement.operate`` calls a function operator with the
column). Each function only calls the column method of the same meaning.

Called by: uow_orm, uow_orm.sql.
"""

from __future__ import annotations

import operator as _py
from collections.abc import Callable
from typing import Any

from .. import exc

# Python's operators, as SQLAlchemy re-exports them: eq(a, b) is a == b, and so on.
eq = _py.eq
ne = _py.ne
lt = _py.lt
le = _py.le
gt = _py.gt
ge = _py.ge
add = _py.add
sub = _py.sub
mul = _py.mul
truediv = _py.truediv
div = _py.truediv
mod = _py.mod
neg = _py.neg
inv = _py.inv
and_ = _py.and_
or_ = _py.or_
getitem = _py.getitem


def _escape(kw: dict[str, Any], escape: str | None) -> dict[str, Any]:
    if escape is not None:
        kw["escape"] = escape
    return kw


def in_op(a: Any, b: Any) -> Any:
    """``a IN (b...)``: ``a.in_(b)``."""
    return a.in_(b)


def not_in_op(a: Any, b: Any) -> Any:
    """``a NOT IN (b...)``: ``a.not_in(b)``."""
    return a.not_in(b)


notin_op = not_in_op


def like_op(a: Any, b: Any, escape: str | None = None) -> Any:
    """``a LIKE b``."""
    return a.like(b, **_escape({}, escape))


def not_like_op(a: Any, b: Any, escape: str | None = None) -> Any:
    """``a NOT LIKE b``."""
    if escape is not None:
        raise exc.ArgumentError("not_like_op(escape=...) is not supported")
    return a.not_like(b)


notlike_op = not_like_op


def ilike_op(a: Any, b: Any, escape: str | None = None) -> Any:
    """Case-insensitive LIKE (``lower(a) LIKE lower(b)`` where there is no ILIKE)."""
    if escape is not None:
        raise exc.ArgumentError("ilike_op(escape=...) is not supported")
    return a.ilike(b)


def not_ilike_op(a: Any, b: Any, escape: str | None = None) -> Any:
    """Negated `ilike_op`."""
    if escape is not None:
        raise exc.ArgumentError("not_ilike_op(escape=...) is not supported")
    return a.not_ilike(b)


notilike_op = not_ilike_op


def _no_escape(name: str, escape: Any, autoescape: bool) -> None:
    if escape is not None or autoescape:
        raise exc.ArgumentError(
            f"{name}(escape=..., autoescape=...) is not supported; the value's LIKE "
            "wildcards are always matched literally"
        )


def startswith_op(a: Any, b: Any, escape: str | None = None, autoescape: bool = False) -> Any:
    """``a LIKE b || '%'`` (``a.startswith(b)``)."""
    _no_escape("startswith_op", escape, autoescape)
    return a.startswith(b)


def not_startswith_op(a: Any, b: Any, escape: str | None = None, autoescape: bool = False) -> Any:
    """Negated `startswith_op`."""
    _no_escape("not_startswith_op", escape, autoescape)
    return ~a.startswith(b)


def endswith_op(a: Any, b: Any, escape: str | None = None, autoescape: bool = False) -> Any:
    """``a LIKE '%' || b`` (``a.endswith(b)``)."""
    _no_escape("endswith_op", escape, autoescape)
    return a.endswith(b)


def not_endswith_op(a: Any, b: Any, escape: str | None = None, autoescape: bool = False) -> Any:
    """Negated `endswith_op`."""
    _no_escape("not_endswith_op", escape, autoescape)
    return ~a.endswith(b)


def contains_op(a: Any, b: Any, escape: str | None = None, autoescape: bool = False) -> Any:
    """``a LIKE '%' || b || '%'`` (``a.contains(b)``)."""
    _no_escape("contains_op", escape, autoescape)
    return a.contains(b)


def not_contains_op(a: Any, b: Any, escape: str | None = None, autoescape: bool = False) -> Any:
    """Negated `contains_op`."""
    _no_escape("not_contains_op", escape, autoescape)
    return ~a.contains(b)


def is_(a: Any, b: Any) -> Any:
    """``a IS b`` (``b`` is usually None)."""
    return a.is_(b)


def is_not(a: Any, b: Any) -> Any:
    """``a IS NOT b``."""
    return a.is_not(b)


isnot = is_not


def is_true(a: Any) -> Any:
    """``a IS true``."""
    return a.is_(True)


def is_false(a: Any) -> Any:
    """``a IS false``."""
    return a.is_(False)


def between_op(a: Any, b: Any, c: Any, symmetric: bool = False) -> Any:
    """``a BETWEEN b AND c``."""
    if symmetric:
        raise exc.ArgumentError("between_op(symmetric=True) is not supported")
    return a.between(b, c)


def not_between_op(a: Any, b: Any, c: Any, symmetric: bool = False) -> Any:
    """``NOT (a BETWEEN b AND c)``."""
    return ~between_op(a, b, c, symmetric)


notbetween_op = not_between_op


def desc_op(a: Any) -> Any:
    """``a DESC`` in ORDER BY."""
    return a.desc()


def asc_op(a: Any) -> Any:
    """``a ASC`` in ORDER BY."""
    return a.asc()


def nulls_first_op(a: Any) -> Any:
    """``a NULLS FIRST`` in ORDER BY."""
    return a.nulls_first()


nullsfirst_op = nulls_first_op


def nulls_last_op(a: Any) -> Any:
    """``a NULLS LAST`` in ORDER BY."""
    return a.nulls_last()


nullslast_op = nulls_last_op


def distinct_op(a: Any) -> Any:
    """``DISTINCT a``."""
    return a.distinct()


_COMPARISON: set[Callable[..., Any]] = {eq, ne, lt, le, gt, ge, in_op, not_in_op, like_op}
_COMPARISON |= {not_like_op, ilike_op}
_COMPARISON |= {not_ilike_op, startswith_op, endswith_op, contains_op, is_, is_not}
_COMPARISON |= {not_startswith_op, not_endswith_op, not_contains_op, between_op, not_between_op}
_COMPARISON |= {is_true, is_false}
_ORDERING: set[Callable[..., Any]] = {desc_op, asc_op, nulls_first_op, nulls_last_op}


def is_comparison(op: Callable[..., Any]) -> bool:
    """True for operators that produce a boolean comparison (``eq``, ``like_op``...)."""
    return op in _COMPARISON


def is_ordering_modifier(op: Callable[..., Any]) -> bool:
    """True for ORDER BY modifiers (``desc_op``, ``nulls_last_op``...)."""
    return op in _ORDERING


class custom_op:
    """A custom operator usable where the operator functions are: ``op(a, b)`` and
    ``column.operate(op, b)`` give ``a <opstring> b`` (``column.op(opstring, ...)(b)``).

    Raises:
        ArgumentError: a keyword of SQLAlchemy's uow_orm does not implement (given a value
            other than its default).
    """

    def __init__(
        self,
        opstring: str,
        *,
        precedence: int = 0,
        is_comparison: bool = False,
        return_type: Any = None,
        natural_self_precedent: bool = False,
        eager_grouping: bool = False,
        python_impl: Any = None,
    ) -> None:
        unsupported = [
            name
            for name, value in (
                ("natural_self_precedent", natural_self_precedent),
                ("eager_grouping", eager_grouping),
                ("python_impl", python_impl),
            )
            if value
        ]
        if unsupported:
            raise exc.ArgumentError(
                f"custom_op({opstring!r}): {', '.join(unsupported)} is not supported"
            )
        self.opstring = opstring
        self.precedence = precedence
        self.is_comparison = is_comparison
        self.return_type = return_type

    def __call__(self, left: Any, right: Any) -> Any:
        from .elements import coerce_expression

        expr: Any = left if hasattr(left, "op") else coerce_expression(left)
        return expr.op(
            self.opstring,
            precedence=self.precedence,
            is_comparison=self.is_comparison,
            return_type=self.return_type,
        )(right)

    def __repr__(self) -> str:
        return f"custom_op({self.opstring!r})"


__all__ = [
    "add",
    "and_",
    "asc_op",
    "between_op",
    "contains_op",
    "custom_op",
    "desc_op",
    "distinct_op",
    "div",
    "endswith_op",
    "eq",
    "ge",
    "getitem",
    "gt",
    "ilike_op",
    "in_op",
    "inv",
    "is_",
    "is_comparison",
    "is_false",
    "is_not",
    "is_ordering_modifier",
    "is_true",
    "isnot",
    "le",
    "like_op",
    "lt",
    "mod",
    "mul",
    "ne",
    "neg",
    "not_between_op",
    "not_contains_op",
    "not_endswith_op",
    "not_ilike_op",
    "not_in_op",
    "not_like_op",
    "not_startswith_op",
    "notbetween_op",
    "notilike_op",
    "notin_op",
    "notlike_op",
    "nulls_first_op",
    "nulls_last_op",
    "nullsfirst_op",
    "nullslast_op",
    "or_",
    "startswith_op",
    "sub",
    "truediv",
]
