"""SQL expressions, statements and their compiler."""

from __future__ import annotations

from .dml import Delete, Insert, Update, delete, insert, update
from .elements import (
    and_,
    asc,
    bindparam,
    cast,
    desc,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    text,
    true,
)
from .selectable import Alias, Join, Select, Subquery, exists, join, outerjoin, select

__all__ = [
    "Alias",
    "Delete",
    "Insert",
    "Join",
    "Select",
    "Subquery",
    "Update",
    "and_",
    "asc",
    "bindparam",
    "cast",
    "delete",
    "desc",
    "exists",
    "false",
    "func",
    "insert",
    "join",
    "literal",
    "literal_column",
    "not_",
    "null",
    "or_",
    "outerjoin",
    "select",
    "text",
    "true",
    "update",
]
