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

    def default_schema_name(self, conn: Connection) -> str:
        """The schema unqualified names resolve to (``main`` on SQLite)."""

    def get_schema_names(self, conn: Connection) -> list[str]:
        """The schema names (on SQLite, the attached databases: ``main`` first)."""

    def get_table_names(self, conn: Connection, schema: str | None) -> list[str]:
        """The table names of ``schema`` (None: the default one), sorted."""

    def get_view_names(self, conn: Connection, schema: str | None) -> list[str]:
        """The view names of ``schema``, sorted."""

    def get_view_definition(
        self, conn: Connection, view_name: str, schema: str | None
    ) -> str | None:
        """The ``SELECT`` behind the view, or None when there is no such view."""

    def has_table(self, conn: Connection, table_name: str, schema: str | None) -> bool:
        """True when ``schema`` has a table (or view) named ``table_name``."""

    def get_columns(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        """One dict per column, in table order (the keys of `Inspector.get_columns`)."""

    def get_pk_constraint(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]:
        """``{"name": ..., "constrained_columns": [...]}`` of the primary key."""

    def get_foreign_keys(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        """One dict per foreign key (the keys of `Inspector.get_foreign_keys`)."""

    def get_indexes(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        """One dict per CREATE INDEX index (the keys of `Inspector.get_indexes`)."""

    def get_unique_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        """One dict per UNIQUE constraint: ``name`` and ``column_names``."""

    def get_check_constraints(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> list[dict[str, Any]]:
        """One dict per CHECK constraint: ``name`` and ``sqltext``."""

    def get_table_comment(
        self, conn: Connection, table_name: str, schema: str | None
    ) -> dict[str, Any]:
        """``{"text": comment or None}``."""

    def get_sequence_names(self, conn: Connection, schema: str | None) -> list[str]:
        """The sequence names of ``schema``, sorted (always empty on SQLite)."""

    def get_enums(self, conn: Connection, schema: str | None) -> list[dict[str, Any]]:
        """One dict per ENUM type (PostgreSQL; empty on SQLite)."""


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
