"""A class mapped to a subquery (``__table__ = select(...).subquery()``, or the
``polymorphic_union()`` itself as the base of a concrete hierarchy): read-only mappings.

Called by: declarative (``_map_class``, ``Registry.map_imperatively``) to map such a class,
relationships (arguments naming the subquery's columns), inheritance (the union's
discriminator), unitofwork and bulk (refuse writing its objects; sql/dml.py refuses
``update(Cls)``). The class's mapper maps a stand-in `Table` (a private MetaData, never
created) whose columns copy the subquery's and which SQL reads as the subquery itself, so
loads, joins, ``get()``, ``refresh()`` and relationships read the subquery; a polymorphic
one loads as a `ConcreteBase` union does (inheritance.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.schema import Column, ForeignKey, MetaData, Table
from ..sql.selectable import Alias, Subquery
from ..types import NullType

if TYPE_CHECKING:
    from ..sql.compiler import Compiler
    from .mapper import Mapper


def is_subquery(selectable: Any) -> bool:
    """True for what maps as a read-only subquery: ``select(...).subquery()`` or a
    `polymorphic_union`."""
    return isinstance(selectable, Subquery)


def _source_column(col: Any) -> Column[Any] | None:
    """The table `Column` a subquery column selects (through labels), or None (an SQL
    expression such as ``count(...)`` or ``'manager' AS type``)."""
    src = col._proxied_source
    for _ in range(8):
        if isinstance(src, Column):
            return src
        src = getattr(src, "element", None)
        if src is None:
            return None
    return None


class _StandInColumn(Column[Any]):
    """A column of a stand-in table: the ORM's `Column` for a subquery's column, which
    SQL reads as that subquery column (``anon_1.user_id``, FROM the subquery)."""

    def _compile(self, compiler: Compiler) -> str:
        sub = self.table._mapped_subquery_of  # type: ignore[attr-defined]
        return f"{compiler.quote(compiler.from_name(sub))}.{compiler.quote(self.name)}"

    def _from_objects(self) -> list[Any]:
        return [self.table._mapped_subquery_of]  # type: ignore[attr-defined]


class _StandInTable(Table):
    """The `Table` a class mapped to a subquery maps (never created: a private MetaData);
    in SQL it is that subquery, so every query the ORM builds from the mapping (loads,
    joins, ``get()``, ``refresh()``, ``has()``) reads the subquery, and a statement naming
    both the table and the subquery has one FROM item."""

    _mapped_subquery_of: Subquery

    def _compile(self, compiler: Compiler) -> str:
        return compiler.process(self._mapped_subquery_of, asfrom=True)

    def _from_objects(self) -> list[Any]:
        return [self._mapped_subquery_of]

    def _tables(self) -> list[Any]:
        return [self._mapped_subquery_of]

    def alias(self, name: str | None = None, flat: bool = False) -> Any:
        """The subquery under another name."""
        return Alias(self._mapped_subquery_of, name)


def stand_in_table(cls: type, subq: Subquery) -> tuple[Table, dict[int, Column[Any]]]:
    """A `Table` with one column per column of ``subq`` (its name and type; primary key
    and foreign keys of the table column it selects), for the mapper of ``cls`` to map,
    and the map from ``id(subquery column)`` to its stand-in column."""
    cols: list[Column[Any]] = []
    by_sub: dict[int, Column[Any]] = {}
    for sc in subq.c:
        src = _source_column(sc)
        fks = [ForeignKey(fk.column) for fk in src.foreign_keys] if src is not None else []
        col: Column[Any] = _StandInColumn(
            sc.name,
            sc.type if sc.type is not None else NullType(),
            *fks,
            primary_key=bool(src is not None and src.primary_key),
            autoincrement=False,
        )
        cols.append(col)
        by_sub[id(sc)] = col
    table = _StandInTable(subq.name, MetaData(), *cols)
    table._mapped_subquery_of = subq
    return table, by_sub


def stand_in(col: Any) -> Any:
    """The stand-in column of ``col`` when it is a column of a subquery a class is mapped
    to (``UserStats.__table__.c.user_id`` in a relationship's arguments), else ``col``."""
    cols = getattr(getattr(col, "subquery", None), "_stand_in_columns", None)
    if cols is None:
        return col
    return cols.get(id(col), col)


def stand_in_expression(expr: Any) -> Any:
    """``expr`` (a relationship's ``primaryjoin``) with the columns of subqueries classes
    are mapped to replaced by their stand-ins (the relationship's join is planned on the
    mappers' columns; the queries read the subqueries again)."""
    from ..sql.elements import replace_columns

    def swap(col: Any) -> Any:
        hit = stand_in(col)
        return None if hit is col else hit

    return replace_columns(expr, swap)


def translate_args(
    cls: type, subq: Subquery, by_sub: dict[int, Column[Any]], mapper_args: dict[str, Any]
) -> dict[str, Any]:
    """``__mapper_args__`` of a class mapped to ``subq`` with the columns that name the
    subquery's (``primary_key=[subq.c.user_id]``) naming the stand-in's;
    ``with_polymorphic="*"`` (or ``("*", subq)``) reads the subquery itself.

    Raises:
        ArgumentError: ``version_id_col`` (the mapping is read-only), ``with_polymorphic``
            naming another selectable, or a key column not of the subquery.
    """
    out = dict(mapper_args)
    name = cls.__name__
    if "version_id_col" in out:
        raise exc.ArgumentError(
            f"{name}.__mapper_args__['version_id_col']: {name} is mapped to a subquery, "
            "which is read-only (nothing to version)"
        )

    def key_column(value: Any) -> Any:
        if isinstance(value, str):
            return value
        hit = by_sub.get(id(value))
        if hit is None:
            raise exc.ArgumentError(
                f"{name}.__mapper_args__['primary_key']: {value!r} is not a column of the "
                f"subquery {name} is mapped to"
            )
        return hit

    if "primary_key" in out:
        pk = out["primary_key"]
        out["primary_key"] = [key_column(p) for p in (pk if isinstance(pk, list | tuple) else [pk])]
    if "with_polymorphic" in out:
        wp = out["with_polymorphic"]
        if wp == "*" or (isinstance(wp, tuple) and len(wp) == 2 and wp[0] == "*"):
            target = wp[1] if isinstance(wp, tuple) else None
            if target is not None and target is not subq:
                raise exc.ArgumentError(
                    f"{name}.__mapper_args__['with_polymorphic']: {name} is mapped to the "
                    "polymorphic union; with_polymorphic may only name that union"
                )
            out["with_polymorphic"] = ("*", subq)
    return out


def attach(mapper: Mapper, subq: Subquery) -> None:
    """Make ``mapper`` (mapped to a stand-in of ``subq``) read ``subq``. With a
    ``polymorphic_on`` column of ``subq`` it is the base of a concrete hierarchy whose
    subclasses (``concrete=True``) map their own tables: its queries read the union as a
    `ConcreteBase` class's do, and return each row as its class."""
    from .inheritance import _attach_union

    mapper._mapped_subquery = subq
    mapper._from = subq
    if not hasattr(subq, "_stand_in_columns"):  # (two classes on one subquery: the first's)
        table = mapper.local_table
        subq._stand_in_columns = {id(sc): table.c[sc.name] for sc in subq.c}  # type: ignore[attr-defined]
    mapper.__dict__.pop("_sql_cache", None)
    if mapper.polymorphic_on is None:
        return
    mapper._abstract_union = True
    mapper._concrete_union = True
    mapper.__dict__["_given_union"] = subq
    _attach_union(mapper, subq, mapper.polymorphic_on)


def discriminator_attribute(mapper: Mapper, subq: Any) -> None:
    """``polymorphic_on=subq.c.type`` of a class mapped to ``subq`` (called as its union
    is attached): the discriminator is the attribute mapping that column (selected once,
    not again as an expression)."""
    disc = mapper.polymorphic_on
    if disc is None or subq.c.get(getattr(disc, "name", None)) is not disc:
        return
    key = next((k for k, c in mapper.columns.items() if c.name == disc.name), None)
    if key is not None:
        mapper._poly_key = key
        mapper._poly_expr = None


def read_only_error(mapper: Mapper, what: str) -> exc.InvalidRequestError:
    """The error for writing (``what``: "flush", an ORM statement) objects of a class
    mapped to a subquery."""
    name = mapper.class_.__name__
    sub = mapper._mapped_subquery
    label = repr(sub._explicit_name) if sub._explicit_name else "(anonymous)"
    if mapper.polymorphic_on is not None:
        hint = (
            f"{name} is the base of a concrete hierarchy mapped to the polymorphic union "
            f"{label}; write objects of its concrete subclasses, whose tables the union reads"
        )
    else:
        hint = f"{name} is mapped to the subquery {label}, which is read-only"
    return exc.InvalidRequestError(
        f"Can't {what} {name}: {hint}; map a class to a Table to write its rows"
    )


def check_flush(mappers: list[Mapper]) -> None:
    """Refuse a flush that would write objects of a class mapped to a subquery.

    Raises:
        InvalidRequestError: naming the class.
    """
    for m in mappers:
        if m._mapped_subquery is not None:
            raise read_only_error(m, "flush")
