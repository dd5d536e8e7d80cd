"""Module-level spellings of element methods that SQLAlchemy also exports as functions:
``label()``, ``alias()``, ``lateral()``, ``over()``, ``within_group()``, ``funcfilter()``,
``nullsfirst()`` / ``nullslast()`` and the lightweight ``table()``.

Called by: uow_orm.sql (re-exported, and through it by uow_orm).
"""

from __future__ import annotations

from typing import Any

from .. import exc
from .elements import (
    ColumnElement,
    FunctionFilter,
    Label,
    Over,
    UnaryExpression,
    WithinGroup,
    coerce_expression,
    nulls_first,
    nulls_last,
)


def label(name: str, element: Any, type_: Any = None) -> Label:
    """``element AS name``; ``type_`` sets the labelled expression's type."""
    expr: ColumnElement = coerce_expression(element)  # type: ignore[assignment]
    if type_ is not None:
        from .elements import type_coerce

        expr = type_coerce(expr, type_)
    return expr.label(name)


def alias(selectable: Any, name: str | None = None, flat: bool = False) -> Any:
    """``selectable.alias(name)``: a table or subquery under another name."""
    if flat:
        return selectable.alias(name, flat=True)
    return selectable.alias(name)


def lateral(selectable: Any, name: str | None = None) -> Any:
    """``selectable.lateral(name)`` (PostgreSQL ``LATERAL``)."""
    return selectable.lateral(name)


def over(
    element: Any,
    partition_by: Any = None,
    order_by: Any = None,
    rows: Any = None,
    range_: Any = None,
) -> Over:
    """``element OVER (...)``, as ``element.over(...)``."""
    if not hasattr(element, "over"):
        raise exc.ArgumentError(f"over() needs a function or aggregate, got {element!r}")
    return element.over(  # type: ignore[no-any-return]
        partition_by=partition_by, order_by=order_by, rows=rows, range_=range_
    )


def within_group(element: Any, *order_by: Any) -> WithinGroup:
    """``element WITHIN GROUP (ORDER BY ...)``, as ``element.within_group(...)``."""
    return element.within_group(*order_by)  # type: ignore[no-any-return]


def funcfilter(func: Any, *criterion: Any) -> FunctionFilter:
    """``func FILTER (WHERE ...)``, as ``func.filter(...)``."""
    return func.filter(*criterion)  # type: ignore[no-any-return]


def nullsfirst(column: Any) -> UnaryExpression:
    """The older spelling of `nulls_first`."""
    return nulls_first(column)


def nullslast(column: Any) -> UnaryExpression:
    """The older spelling of `nulls_last`."""
    return nulls_last(column)


def table(name: str, *columns: Any, schema: str | None = None) -> Any:
    """A lightweight table for statements only: ``table("user", column("id"),
    column("name"))``. It belongs to no user MetaData and is never created."""
    from .schema import Column, MetaData, Table

    cols = []
    for c in columns:
        if not isinstance(c, ColumnElement) or not isinstance(getattr(c, "name", None), str):
            raise exc.ArgumentError(f"table() takes column() objects, got {c!r}")
        cols.append(Column(c.name, c.type))
    return Table(name, MetaData(), *cols, schema=schema)


__all__ = [
    "alias",
    "funcfilter",
    "label",
    "lateral",
    "nullsfirst",
    "nullslast",
    "over",
    "table",
    "within_group",
]
