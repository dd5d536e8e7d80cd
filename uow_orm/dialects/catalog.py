"""What a backend's catalog reader provides, and the type-name parsing both share.

Called only by ``engine/reflection.py`` (the ``Inspector``); implemented by
``sqlite_catalog.py`` and ``postgresql_catalog.py``.

Called by: uow_orm.dialects.postgresql_catalog, uow_orm.dialects.sqlite_catalog,
uow_orm.engine.reflection, uow_orm.migrate.autogenerate.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .. import types as sqltypes

if TYPE_CHECKING:
    from ..engine.base import Connection

log = logging.getLogger("uow_orm.engine")

TypeFactory = Callable[[list[int]], sqltypes.TypeEngine]


class Catalog(Protocol):
    """The catalog queries of one backend; every method takes an open connection."""

    def default_schema_name(self, conn: Connection) -> str: ...
    def get_schema_names(self, conn: Connection) -> list[str]: ...
    def get_table_names(self, conn: Connection, schema: str | None) -> list[str]: ...
    def get_view_names(self, conn: Connection, schema: str | None) -> list[str]: ...
    def get_view_definition(
        self, conn: Connection, view_name: str, schema: str | None
    ) -> str | None: ...
    def has_table(self, conn: Connection, table_name: str, schema: str | None) -> bool: ...
    def get_columns(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]: ...
    def get_pk_constraint(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]: ...
    def get_foreign_keys(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]: ...
    def get_indexes(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]: ...
    def get_unique_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]: ...
    def get_check_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]: ...
    def get_table_comment(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]: ...
    def get_sequence_names(self, conn: Connection, schema: str | None) -> list[str]: ...
    def get_enums(self, conn: Connection, schema: str | None) -> list[dict[str, Any]]: ...


_TYPE_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(([^)]*)\))?\s*(\[\])?\s*$")


def parse_type(
    spelled: str, names: Mapping[str, TypeFactory], table: str, column: str
) -> sqltypes.TypeEngine:
    """A uow_orm type for a catalog's type name such as ``VARCHAR(50)`` or
    ``numeric(10,2)``; NullType (logged) for a name ``names`` does not know."""
    m = _TYPE_NAME.match(spelled)
    if m is not None:
        base = " ".join(m.group(1).lower().split())
        args = [int(a) for a in (m.group(2) or "").split(",") if a.strip().lstrip("-").isdigit()]
        factory = names.get(base)
        if factory is not None and m.group(3) is None:
            return factory(args)
    log.warning("did not recognize type %r of column %r.%r; using NullType", spelled, table, column)
    return sqltypes.NullType()


def check_sqltext(definition: str) -> str:
    """``CHECK ((x > 0))`` -> ``x > 0``: the condition without the keyword and the
    parentheses around it."""
    text = definition.strip()
    if text[:5].upper() == "CHECK":
        text = text[5:].strip()
    while text.startswith("(") and closing_paren(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def closing_paren(text: str, start: int) -> int:
    """The index of the parenthesis that closes the one at ``start`` (-1 if none);
    parentheses inside quoted strings and identifiers do not count."""
    depth = 0
    quote: str | None = None
    for i in range(start, len(text)):
        ch = text[i]
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1
