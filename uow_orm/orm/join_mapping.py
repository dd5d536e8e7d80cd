"""A class mapped to a join of tables (``__table__ = join(user_table, address_table)``).

Called by: declarative (`map_join`). The flush writes such a class table by table through
joined_flush, as it writes a joined-table subclass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.schema import Column, Table
from ..sql.selectable import Join
from . import events as _events
from .inheritance import condition_pairs
from .properties import ColumnProperty

if TYPE_CHECKING:
    from .declarative import _Collected
    from .mapper import Mapper, Registry


def _onclauses(join: Any) -> list[Any]:
    """The ON clauses of ``join`` and the joins nested in it."""
    out: list[Any] = []
    stack = [join]
    while stack:
        j = stack.pop()
        if isinstance(j, Join):
            out.append(j.onclause)
            stack += [j.left, j.right]
    return out


def _declared(
    cls: type, tables: list[Table], got: _Collected
) -> tuple[dict[str, Column[Any]], list[tuple[str, Column[Any]]]]:
    """The columns the class body maps itself: ``address_id = address_table.c.id`` and
    ``id = column_property(a, b)`` (taken out of ``got.props``)."""
    ids = {id(t) for t in tables}
    columns: dict[str, Column[Any]] = {}
    extras: list[tuple[str, Column[Any]]] = []
    for key, prop in list(got.props.items()):
        if isinstance(prop, ColumnProperty) and prop.several:
            first, *rest = prop.columns
            columns[key] = first
            extras += [(key, c) for c in rest]
            del got.props[key]
    for key, col in got.columns.items():
        if id(getattr(col, "table", None)) not in ids:
            raise exc.ArgumentError(
                f"{cls.__name__}.{key}: a class mapped to a join maps the join's columns; "
                f"{col!r} is not one of them"
            )
        columns[key] = col
    return columns, extras


def join_columns(
    cls: type, join: Join, got: _Collected
) -> tuple[
    list[Table],
    dict[str, Column[Any]],
    list[tuple[str, Column[Any]]],
    list[tuple[Column[Any], Column[Any]]],
    list[Column[Any]],
]:
    """How the columns of ``join`` map to attributes of ``cls``: (the tables in order, the
    attribute -> first column, the further columns under an attribute, the equated column
    pairs under different attributes (copied on INSERT), the primary key).

    Columns equated by the ON clause and named alike share one attribute, as do those
    ``column_property(a, b)`` names.

    Raises:
        ArgumentError: two columns of the join have one name and are not equated, or a
            class attribute names a column outside the join.
    """
    tables = [t for t in join._tables() if isinstance(t, Table)]
    if len(tables) != len(join._tables()):
        raise exc.ArgumentError(
            f"{cls.__name__}.__table__: a join mapping joins tables only, got {join!r}"
        )
    columns, extras = _declared(cls, tables, got)
    pairs = [p for on in _onclauses(join) for p in condition_pairs(on)]
    equated = {frozenset((id(a), id(b))) for a, b in pairs}
    mapped = {id(c) for c in columns.values()} | {id(c) for _, c in extras}
    for t in tables:
        for c in t.c:
            if id(c) in mapped:
                continue
            other = columns.get(c.key)
            if other is None:
                columns[c.key] = c
            elif frozenset((id(other), id(c))) in equated:
                extras.append((c.key, c))
            else:
                raise exc.ArgumentError(
                    f"{cls.__name__}: columns {other.table.name}.{other.name} and "
                    f"{t.name}.{c.name} of the join are both named {c.key!r}; map one under "
                    f"another attribute ({c.table.name}_{c.key} = {t.name}.c.{c.key}) or both "
                    "under one with column_property(a, b)"
                )
    key_of = {id(c): k for k, c in columns.items()} | {id(c): k for k, c in extras}
    sync = [
        (a, b) if tables.index(a.table) < tables.index(b.table) else (b, a)
        for a, b in pairs
        if key_of.get(id(a)) != key_of.get(id(b))
    ]
    pk: list[Column[Any]] = []
    for t in tables:
        for c in t.primary_key:
            if not any(key_of.get(id(p)) == key_of.get(id(c)) for p in pk):
                pk.append(c)
    return tables, columns, extras, sync, pk


def map_join(
    cls: type, join: Join, got: _Collected, registry: Registry, mapper_args: dict[str, Any]
) -> Mapper:
    """The `Mapper` of ``cls`` mapped to ``join``: rows load from the join; the flush
    INSERTs / UPDATEs / DELETEs each table's row, tables in the join's order (DELETE in
    reverse), copying equated key values forward.

    Raises:
        ArgumentError: see `join_columns`; an unsupported ``__mapper_args__`` key.
    """
    from .declarative import _check_mapper_args, _flush_options
    from .mapper import Mapper

    _check_mapper_args(cls, mapper_args)
    for key in mapper_args:
        if key not in ("eager_defaults", "batch", "confirm_deleted_rows", "primary_key"):
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__[{key!r}] is not supported for a class "
                "mapped to a join"
            )
    tables, columns, extras, sync, pk = join_columns(cls, join, got)
    if "primary_key" in mapper_args:
        given = mapper_args["primary_key"]
        items: list[Any] = list(given) if isinstance(given, list | tuple) else [given]
        pk = [c.column if hasattr(c, "column") else c for c in items]
    eager, batch = _flush_options(cls, mapper_args)
    mapper = Mapper(
        cls,
        tables[-1],
        columns,
        got.rels,
        registry,
        None,
        primary_key=pk,
        eager_defaults=eager,
        confirm_deleted_rows=bool(mapper_args.get("confirm_deleted_rows", True)),
        batch=batch,
        tables=tables,
        extra_columns=extras,
    )
    for key, col in extras:
        mapper.column_attrs[key].columns.append(col)
    mapper._from = join
    mapper._join_mapping = True
    mapper._inherit_pairs = sync
    type.__setattr__(cls, "__table__", join)
    type.__setattr__(cls, "__mapper__", mapper)
    for key, prop in got.props.items():
        mapper.add_property(key, prop)
    for key, mc in got.deferred.items():
        mapper.defer_column(key, mc.deferred_group, mc.deferred_raiseload)
    mapper._install_class_hooks()
    registry.add(mapper)
    _events.mapper_created(mapper)
    return mapper
