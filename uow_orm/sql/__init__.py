"""SQL expressions, statements and their compiler."""

from __future__ import annotations

from . import operators
from ._extract import extract
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
from .selectable import Select, Subquery, exists, select

__all__ = [
    "Delete",
    "Insert",
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
    "extract",
    "false",
    "func",
    "insert",
    "literal",
    "literal_column",
    "not_",
    "null",
    "operators",
    "or_",
    "select",
    "text",
    "true",
    "update",
]
