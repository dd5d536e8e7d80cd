"""Constraint and index names from ``MetaData(naming_convention=...)``, as SQLAlchemy
names them: ``{"uq": "uq_%(table_name)s_%(column_0_name)s", "fk": ..., "pk": ..., ...}``.

Called by: uow_orm.sql.schema (a Table names its constraints when its items are attached),
uow_orm.sql.ddl (names that need the constraint's given name, and PostgreSQL truncation),
uow_orm.engine.reflection, uow_orm.migrate.autogenerate, uow_orm.migrate.batch,
uow_orm.schema (re-exports ``conv``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .. import exc

# the schema objects (Table, Column, ForeignKey) are above this module: typed as Any
Table = Any
Column = Any
ForeignKey = Any

#: SQLAlchemy's default: only indexes are named by convention
DEFAULT_NAMING_CONVENTION: dict[str, Any] = {"ix": "ix_%(column_0_label)s"}

_KINDS = {
    "PrimaryKeyConstraint": "pk",
    "UniqueConstraint": "uq",
    "CheckConstraint": "ck",
    "ForeignKeyConstraint": "fk",
    "Index": "ix",
}


class conv(str):
    """A constraint name used exactly as written: no naming convention is applied to it
    (and names made by a convention are ``conv`` too)."""

    __slots__ = ()


class _Generated(conv):
    """A name a convention made: made again when the table's columns change."""

    __slots__ = ()


def normalize(convention: Mapping[Any, Any] | None) -> dict[str, Any]:
    """The convention keyed by ``"pk"``/``"uq"``/``"ck"``/``"fk"``/``"ix"`` (a constraint
    class as a key means its short name) and custom token names.

    Raises:
        ArgumentError: a key that is neither a kind, a constraint class nor a token name
            with a callable value, or a template that is not a string.
    """
    if convention is None:
        return dict(DEFAULT_NAMING_CONVENTION)
    out: dict[str, Any] = {}
    for key, value in convention.items():
        if isinstance(key, type):
            kind = _KINDS.get(key.__name__)
            if kind is None:
                raise exc.ArgumentError(f"naming_convention: {key.__name__} is not a constraint")
            key = kind
        if not isinstance(key, str):
            raise exc.ArgumentError(f"naming_convention: key {key!r} is not a string or class")
        if key in _KINDS.values():
            if not isinstance(value, str) and not callable(value):
                raise exc.ArgumentError(f"naming_convention[{key!r}] must be a template string")
        elif not callable(value):
            raise exc.ArgumentError(
                f"naming_convention: {key!r} is not one of pk, uq, ck, fk, ix; a custom token "
                "takes a function fn(constraint, table) -> str"
            )
        out[key] = value
    return out


class _Tokens(dict[str, str]):
    """The values of one constraint's ``%(token)s`` keys, computed when a template asks."""

    def __init__(
        self,
        convention: dict[str, Any],
        constraint: Any,
        table: Table,
        columns: list[Column],
        fks: list[ForeignKey],
        given: str | None,
    ) -> None:
        super().__init__()
        self.convention = convention
        self.constraint = constraint
        self.table = table
        self.columns = columns
        self.fks = fks
        self.given = given

    def __missing__(self, key: str) -> str:
        if key == "table_name":
            return str(self.table.name)
        if key == "constraint_name":
            if not self.given:
                raise exc.InvalidRequestError(
                    "Naming convention including %(constraint_name)s token requires that "
                    f"constraint is explicitly named (a constraint of table {self.table.name!r})"
                )
            return self.given
        fn = self.convention.get(key)
        if callable(fn):
            return str(fn(self.constraint, self.table))
        referred = key.startswith("referred_")
        rest = key[len("referred_") :] if referred else key
        if referred and rest == "table_name":
            return self.fks[0].target_table_name if self.fks else ""
        for form, attr in (("name", "name"), ("key", "key"), ("label", "label")):
            for sep_key, sep in (("0N", ""), ("0_N", "_")):
                if rest == f"column_{sep_key}_{form}":
                    return sep.join(
                        self._column_part(i, attr, referred) for i in self._range(referred)
                    )
            if rest == f"column_0_{form}":
                return self._column_part(0, attr, referred)
        raise exc.ArgumentError(f"naming convention token %({key})s is not known")

    def _range(self, referred: bool) -> range:
        return range(len(self.fks) if referred else len(self.columns))

    def _column_part(self, i: int, attr: str, referred: bool) -> str:
        if referred:
            if i >= len(self.fks):
                return ""
            spec = self.fks[i].target_fullname
            table_name, _, name = spec.rpartition(".")
            bare_table = table_name.rpartition(".")[2]
            return f"{bare_table}_{name}" if attr == "label" else name
        if i >= len(self.columns):
            return ""
        col = self.columns[i]
        if attr == "label":
            return f"{self.table.name}_{col.name}"
        return str(getattr(col, attr, None) or col.name)


def make_name(
    kind: str,
    table: Table,
    constraint: Any,
    given: str | None,
    columns: list[Column],
    fks: list[ForeignKey] | None = None,
) -> str | None:
    """The name of one constraint: ``given`` when it is a `conv` or the convention has no
    template for ``kind`` (or the template has no ``%(constraint_name)s`` and a name was
    given), else the template filled in, as a `conv`; None when unnamed and no template.

    Raises:
        InvalidRequestError: the template needs ``%(constraint_name)s`` and none was given.
    """
    template = table.metadata.naming_convention.get(kind)
    if given is not None and (isinstance(given, conv) and not isinstance(given, _Generated)):
        return given
    if given is not None and isinstance(given, _Generated):
        given = None
    if template is None:
        return given
    if callable(template):
        return _Generated(template(constraint, table))
    if given is not None and "%(constraint_name)s" not in template:
        return given
    tokens = _Tokens(table.metadata.naming_convention, constraint, table, columns, fks or [], given)
    # a given name filled into the template is final; a made one is made again later
    return conv(template % tokens) if given is not None else _Generated(template % tokens)


def check_columns(con: Any, table: Table) -> list[Column]:
    """The table's columns a CHECK expression mentions, in order (none for SQL text)."""
    from .elements import ClauseElement
    from .visitors import iterate

    if not isinstance(con.sqltext, ClauseElement):
        return []
    own = {id(c) for c in table.c}
    found: dict[int, Column] = {}
    for el in iterate(con.sqltext):
        if id(el) in own:
            found.setdefault(id(el), el)
    return list(found.values())


def column_index_name(table: Table, col: Column) -> str:
    """The name of the index ``Column(index=True)`` makes (``ix_<table>_<column>`` unless the
    convention's "ix" template says otherwise)."""
    return make_name("ix", table, None, None, [col]) or f"ix_{table.name}_{col.name}"


def column_unique_name(table: Table, col: Column) -> str | None:
    """The name of the UNIQUE constraint ``Column(unique=True)`` makes: the convention's
    "uq" template filled in, or None (unnamed) without one."""
    return make_name("uq", table, None, None, [col])


def needs_given_name(kind: str, table: Table) -> bool:
    """True when ``kind``'s template uses ``%(constraint_name)s``."""
    template = table.metadata.naming_convention.get(kind)
    return isinstance(template, str) and "%(constraint_name)s" in template


def ddl_name(name: str, max_length: int) -> str:
    """A convention-made name cut to the dialect's identifier length as SQLAlchemy cuts it
    (the start, ``_`` and four hex digits of its MD5); other names are left as given."""
    if isinstance(name, _Generated) and len(name) > max_length:
        digest = hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()
        return f"{name[: max_length - 8]}_{digest[-4:]}"
    return name
