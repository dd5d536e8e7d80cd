"""Walking an SQL expression tree: ``traverse()`` / ``iterate()`` as in
``sqlalchemy.sql.visitors``.

Called by: uow_orm.sql (as ``uow_orm.sql.visitors``), for applications (e.g. a sharded
session's ``execute_chooser`` that looks for comparisons in a WHERE clause),
uow_orm.sql.naming, uow_orm.orm.criteria.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ClauseElement,
    ExpressionList,
    False_,
    Null,
    TextClause,
    True_,
    UnaryExpression,
    Visitable,
)
from .selectable import FromClause, Select

#: SQLAlchemy's ``__visit_name__`` of the element classes whose name differs from the
#: class name in snake case
_VISIT_NAMES: dict[type, str] = {
    BindParameter: "bindparam",
    BinaryExpression: "binary",
    BooleanClauseList: "expression_clauselist",
    ExpressionList: "clauselist",
    UnaryExpression: "unary",
    TextClause: "textclause",
    Null: "null",
    True_: "true",
    False_: "false",
}


def visit_name(element: Any) -> str:
    """The visitor name of ``element`` (``"binary"``, ``"bindparam"``, ``"column"``, ...),
    its ``__visit_name__`` in SQLAlchemy."""
    for cls in type(element).__mro__:
        name = _VISIT_NAMES.get(cls)
        if name is not None:
            return name
        if cls.__name__ == "Column":
            return "column"
        if cls.__name__ == "Table":
            return "table"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(element).__name__).lower()


def get_children(element: Any) -> list[Any]:
    """The elements directly below ``element``: the operands of an expression, the
    columns and WHERE criteria of a SELECT; none for a column, table or parameter."""
    if isinstance(element, BindParameter) or visit_name(element) in ("column", "table"):
        return []
    if isinstance(element, Select):
        out = [e for e in element._entities if isinstance(e, ClauseElement)]
        return out + list(element._where)
    if isinstance(element, FromClause):
        return []
    out = []
    for cls in type(element).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot in ("type", "__weakref__"):
                continue
            value = getattr(element, slot, None)
            if isinstance(value, ClauseElement):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(v for v in value if isinstance(v, ClauseElement))
    return out


def iterate(element: Any, opts: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """Every element of the tree under ``element`` (itself first), breadth first, as
    SQLAlchemy's ``visitors.iterate``; ``opts`` is accepted for its signature."""
    yield element
    stack: deque[list[Any]] = deque([get_children(element)])
    while stack:
        for child in stack.popleft():
            yield child
            stack.append(get_children(child))


def traverse(
    element: Any, opts: Mapping[str, Any], visitors: Mapping[str, Callable[[Any], Any]]
) -> Any:
    """Call ``visitors[visit name]`` for each element of the tree under ``element`` (in
    `iterate` order) and return ``element``, as SQLAlchemy's ``visitors.traverse``."""
    for node in iterate(element, opts):
        fn = visitors.get(visit_name(node))
        if fn is not None:
            fn(node)
    return element


__all__ = ["Visitable", "get_children", "iterate", "traverse", "visit_name"]
