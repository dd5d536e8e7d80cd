"""Custom relationship join conditions: ``primaryjoin`` / ``secondaryjoin``, ``foreign()`` and
``remote()``, split into key-synchronising column pairs and extra criteria.

The analysis runs once per relationship (`RelationshipProperty.configure`); the split
conditions are rebuilt per use by the property's ``_primary_clause`` / ``_secondary_clause``.

Called by: relationships, mapper (custom ``primaryjoin`` and the ``foreign()`` /
``remote()`` annotations), uow_orm.orm (package).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.elements import (
    BinaryExpression,
    BooleanClauseList,
    ClauseElement,
    ColumnElement,
    Grouping,
    and_,
    coerce,
    replace_columns,
)
from ..types import NULLTYPE
from .base import Direction

if TYPE_CHECKING:
    from ..sql.compiler import Compiler
    from ..sql.schema import Column, Table
    from ..sql.selectable import FromClause

#: Column side labels of an analysed condition.
LOCAL = "local"
REMOTE = "remote"


class _Annotated(ColumnElement):
    """A column (or expression) marked by `foreign` / `remote` inside a join condition;
    compiles as the column itself."""

    __slots__ = ("element", "foreign", "key", "remote", "type")

    element: Any
    foreign: bool
    remote: bool

    def __init__(self, element: Any, foreign: bool, remote: bool) -> None:
        if isinstance(element, _Annotated):
            foreign = foreign or element.foreign
            remote = remote or element.remote
            element = element.element
        self.element = element
        self.foreign = foreign
        self.remote = remote
        self.type = getattr(element, "type", NULLTYPE)
        self.key = getattr(element, "key", None)

    def _compile(self, compiler: Compiler) -> str:
        return compiler.process(self.element)

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()  # type: ignore[no-any-return]


def _annotate(expr: Any, *, foreign: bool, remote: bool, name: str) -> ColumnElement:
    el = coerce(expr)
    if not isinstance(el, ColumnElement):
        raise exc.ArgumentError(f"{name}() takes a column or column expression, not {expr!r}")
    return _Annotated(el, foreign, remote)


def foreign(expr: Any) -> ColumnElement:
    """Mark ``expr`` as the foreign ("referencing") side of a ``primaryjoin`` condition.

    Raises:
        ArgumentError: ``expr`` is not a column expression.
    """
    return _annotate(expr, foreign=True, remote=False, name="foreign")


def remote(expr: Any) -> ColumnElement:
    """Mark ``expr`` as the remote (related-class) side of a ``primaryjoin`` condition;
    needed for self-referential conditions, where both sides are the same table.

    Raises:
        ArgumentError: ``expr`` is not a column expression.
    """
    return _annotate(expr, foreign=False, remote=True, name="remote")


class _Side(ColumnElement):
    """A column of an analysed condition with the side it belongs to (`LOCAL` / `REMOTE`);
    never compiled: the property swaps each one for a column, alias column or value."""

    __slots__ = ("column", "key", "side", "type")

    def __init__(self, column: Any, side: str) -> None:
        self.column = column
        self.side = side
        self.type = getattr(column, "type", NULLTYPE)
        self.key = getattr(column, "key", None)

    def _compile(self, compiler: Compiler) -> str:
        raise exc.InvalidRequestError("internal: an unresolved relationship join column")


def strip_annotations(expr: Any) -> Any:
    """``expr`` without `foreign` / `remote` marks (for display and backrefs)."""

    def unwrap(el: Any) -> Any:
        if isinstance(el, _Annotated):
            return strip_annotations(el.element)
        if isinstance(el, _Side):
            return el.column
        return None

    return replace_columns(expr, unwrap)


def resolve_sides(
    expr: Any, local: Callable[[Any], Any], remote: Callable[[Any], Any]
) -> ColumnElement:
    """``expr`` (an analysed condition) with each local column replaced by ``local(col)``
    and each remote one by ``remote(col)``."""

    def swap(el: Any) -> Any:
        if isinstance(el, _Side):
            return local(el.column) if el.side == LOCAL else remote(el.column)
        return None

    return replace_columns(expr, swap)  # type: ignore[no-any-return]


def sides_used(expr: Any) -> set[str]:
    """The sides (`LOCAL` / `REMOTE`) whose columns appear in ``expr``."""
    found: set[str] = set()

    def visit(el: Any) -> Any:
        if isinstance(el, _Side):
            found.add(el.side)
            return el
        return None

    replace_columns(expr, visit)
    return found


def _conjuncts(expr: Any) -> list[Any]:
    if isinstance(expr, Grouping):
        return _conjuncts(expr.element)
    if isinstance(expr, BooleanClauseList) and expr.operator == "AND":
        out: list[Any] = []
        for c in expr.clauses:
            out.extend(_conjuncts(c))
        return out
    return [expr]


def _columns_in(expr: Any) -> list[tuple[Any, bool, bool]]:
    """(column, foreign mark, remote mark) for every column occurrence of ``expr``."""
    from ..sql.schema import Column

    out: list[tuple[Any, bool, bool]] = []

    def visit(el: Any) -> Any:
        if isinstance(el, _Annotated):
            inner = el.element
            if isinstance(inner, Column):
                out.append((inner, el.foreign, el.remote))
            else:
                for col, f, r in _columns_in(inner):
                    out.append((col, f or el.foreign, r or el.remote))
            return el
        if isinstance(el, Column):
            out.append((el, False, False))
        return None

    replace_columns(expr, visit)
    return out


class JoinCondition:
    """One analysed condition: the equated column pairs (``(local, remote)``), the rest as
    an expression of `_Side` columns (``extra``, or None), and the foreign columns."""

    def __init__(
        self,
        pairs: list[tuple[Column[Any], Column[Any]]],
        extra: ColumnElement | None,
        foreign_cols: list[Column[Any]],
        foreign_sides: set[str],
    ) -> None:
        self.pairs = pairs
        self.extra = extra
        self.foreign_cols = foreign_cols
        #: which sides hold the foreign columns (decides the direction)
        self.foreign_sides = foreign_sides


def analyze(
    what: str,
    expr: Any,
    side_of: Callable[[Any, bool, bool], str],
    is_foreign: Callable[[Any, bool], bool],
) -> JoinCondition:
    """Split ``expr`` into column pairs and extra criteria.

    ``side_of(column, foreign_mark, remote_mark)`` names a column's side;
    ``is_foreign(column, foreign_mark)`` says whether it references the other side.

    Raises:
        ArgumentError: ``expr`` is not an SQL expression, or names a column of a table that
            is neither side of the relationship (``what`` names the relationship argument).
    """
    from ..sql.schema import Column

    el = coerce(expr)
    if not isinstance(el, ClauseElement):
        raise exc.ArgumentError(f"{what} must be an SQL expression, not {expr!r}")
    pairs: list[tuple[Column[Any], Column[Any]]] = []
    extras: list[Any] = []
    foreign_cols: list[Column[Any]] = []
    foreign_sides: set[str] = set()

    def mark(e: Any) -> Any:
        if isinstance(e, _Annotated):
            inner = e.element
            if isinstance(inner, Column):
                return _mark_column(inner, e.foreign, e.remote)
            return replace_columns(
                inner,
                lambda x: _mark_column(x, e.foreign, e.remote) if isinstance(x, Column) else None,
            )
        if isinstance(e, Column):
            return _mark_column(e, False, False)
        return None

    def _mark_column(col: Any, f: bool, r: bool) -> _Side:
        side = side_of(col, f, r)
        if is_foreign(col, f):
            if not any(c is col for c in foreign_cols):
                foreign_cols.append(col)
            foreign_sides.add(side)
        return _Side(col, side)

    for part in _conjuncts(el):
        marked = replace_columns(part, mark)
        pair = _key_pair(part, marked, is_foreign)
        if pair is not None:
            pairs.append(pair)
        else:
            extras.append(marked)
    extra = and_(*extras) if extras else None
    return JoinCondition(pairs, extra, foreign_cols, foreign_sides)


def _key_pair(
    part: Any, marked: Any, is_foreign: Callable[[Any, bool], bool]
) -> tuple[Any, Any] | None:
    """``(local column, remote column)`` when ``marked`` (``part`` with its columns marked
    by side) is ``a = b`` across the two sides with a foreign key among them; else None
    (the term is an extra criterion)."""
    if not (
        isinstance(marked, BinaryExpression)
        and marked.operator == "="
        and isinstance(marked.left, _Side)
        and isinstance(marked.right, _Side)
        and marked.left.side != marked.right.side
    ):
        return None
    left, right = marked.left, marked.right
    if left.side != LOCAL:
        left, right = right, left
    if is_foreign(left.column, _marked_foreign(part, left.column)) or is_foreign(
        right.column, _marked_foreign(part, right.column)
    ):
        return (left.column, right.column)
    return None


def _marked_foreign(part: Any, col: Any) -> bool:
    return any(c is col and f for c, f, _ in _columns_in(part))


def any_marks(expr: Any) -> tuple[bool, bool]:
    """Whether ``expr`` uses `foreign` anywhere, and whether it uses `remote` anywhere."""
    cols = _columns_in(coerce(expr))
    return any(f for _, f, _ in cols), any(r for _, _, r in cols)


def table_of(col: Any) -> Table | None:
    """The table a column belongs to (None for an expression)."""
    return getattr(col, "table", None)


def _contains(cols: list[Any], col: Any) -> bool:
    return any(c is col for c in cols)


def _fk_to(col: Any, tables: list[Any]) -> bool:
    names = {t.name for t in tables}
    return any(fk.target_table_name in names for fk in getattr(col, "foreign_keys", ()))


def configure_custom(
    prop: Any,
    primaryjoin: Any,
    secondaryjoin: Any,
    parent_table: Table,
    target_table: Table,
    secondary: Table | None,
    fk_cols: list[Column[Any]],
    remote_side: list[Column[Any]],
) -> None:
    """Set the direction, the key pairs and the extra criteria of ``prop`` from its
    ``primaryjoin`` / ``secondaryjoin`` (either may be None for a many-to-many, which then
    joins that half along the foreign keys).

    Raises:
        ArgumentError: a column of a table that is neither side, no foreign column (mark
            one with foreign() or pass foreign_keys=), or no column pair to keep in sync on
            a relationship that is not ``viewonly=True``.
    """
    outside = _outside_error(f"relationship {prop}", parent_table, target_table, secondary)
    if secondary is not None:
        _configure_many_to_many(
            prop,
            primaryjoin,
            secondaryjoin,
            parent_table,
            target_table,
            secondary,
            fk_cols,
            outside,
        )
    else:
        _configure_direct(
            prop, primaryjoin, parent_table, target_table, fk_cols, remote_side, outside
        )


def _outside_error(
    name: str, parent_table: Table, target_table: Table, secondary: Table | None
) -> Callable[[Any, str], exc.ArgumentError]:
    """The error for a column of a table that is neither side of the relationship."""
    from ..sql.schema import Table as _Table

    def outside(col: Any, arg: str) -> exc.ArgumentError:
        table = table_of(col)
        where = table.name if isinstance(table, _Table) else repr(table)
        return exc.ArgumentError(
            f"{name}: {arg} uses column {col} of {where!r}, which is neither the parent's "
            f"table {parent_table.name!r} nor the target's {target_table.name!r}"
            + (f" nor the secondary {secondary.name!r}" if secondary is not None else "")
            + "; relationships to aliased classes or joins are not supported"
        )

    return outside


def _secondary_half(
    name: str,
    arg: str,
    expr: Any,
    secondary: Table,
    other: Table,
    outside: Callable[[Any, str], exc.ArgumentError],
) -> JoinCondition:
    """One half of a many-to-many's join: the secondary table is the remote side."""

    def side(col: Any, f: bool, r: bool) -> str:
        t = table_of(col)
        if t is secondary:
            return REMOTE
        if t is other:
            return LOCAL
        raise outside(col, arg)

    return analyze(f"{name}: {arg}", expr, side, lambda c, f: table_of(c) is secondary)


def _configure_many_to_many(
    prop: Any,
    primaryjoin: Any,
    secondaryjoin: Any,
    parent_table: Table,
    target_table: Table,
    secondary: Table,
    fk_cols: list[Column[Any]],
    outside: Callable[[Any, str], exc.ArgumentError],
) -> None:
    from .relationships import _fk_pairs

    name = f"relationship {prop}"
    prop.secondary = secondary
    prop.direction = Direction.MANYTOMANY
    sec_pj: list[Any] = []
    if primaryjoin is not None:
        pj = _secondary_half(name, "primaryjoin", primaryjoin, secondary, parent_table, outside)
        prop.local_remote_pairs = list(pj.pairs)
        prop._pj_extra = pj.extra
        sec_pj = [sc for _, sc in pj.pairs]
    else:
        prop.local_remote_pairs = [
            (ref, sec) for sec, ref in _fk_pairs(secondary, parent_table, fk_cols)
        ]
    if secondaryjoin is not None:
        sj = _secondary_half(name, "secondaryjoin", secondaryjoin, secondary, target_table, outside)
        prop.secondary_target_pairs = list(sj.pairs)
        prop._sj_extra = sj.extra
    else:
        exclude = sec_pj or [sc for _, sc in prop.local_remote_pairs]
        prop.secondary_target_pairs = [
            (ref, sec) for sec, ref in _fk_pairs(secondary, target_table, fk_cols, exclude=exclude)
        ]
    if not prop.viewonly and (not prop.local_remote_pairs or not prop.secondary_target_pairs):
        raise exc.ArgumentError(
            f"{name}: the join conditions equate no column of {secondary.name!r} with the "
            "parent's and the target's keys, so new links could not be written; pass "
            "viewonly=True for a read-only relationship"
        )
    prop._custom = prop._pj_extra is not None or prop._sj_extra is not None


def _configure_direct(
    prop: Any,
    primaryjoin: Any,
    parent_table: Table,
    target_table: Table,
    fk_cols: list[Column[Any]],
    remote_side: list[Column[Any]],
    outside: Callable[[Any, str], exc.ArgumentError],
) -> None:
    """A one-to-many or many-to-one ``primaryjoin``: which side is foreign (from foreign()
    marks, ``foreign_keys=`` or the tables' foreign keys) decides the direction."""
    name = f"relationship {prop}"
    foreign_marked, remote_marked = any_marks(primaryjoin)
    self_ref = parent_table is target_table

    def is_foreign(col: Any, f: bool) -> bool:
        if foreign_marked:
            return f
        if fk_cols:
            return _contains(fk_cols, col)
        t = table_of(col)
        others = [parent_table, target_table]
        if not self_ref:
            others = [x for x in others if x is not t]
        return _fk_to(col, others)

    def side_of(col: Any, f: bool, r: bool) -> str:
        t = table_of(col)
        if self_ref:
            if t is not parent_table:
                raise outside(col, "primaryjoin")
            if remote_marked:
                return REMOTE if r else LOCAL
            if remote_side:
                return REMOTE if _contains(remote_side, col) else LOCAL
            return REMOTE if is_foreign(col, f) else LOCAL
        if t is target_table:
            return REMOTE
        if t is parent_table:
            return LOCAL
        raise outside(col, "primaryjoin")

    cond = analyze(f"{name}: primaryjoin", primaryjoin, side_of, is_foreign)
    direction = _direction(name, cond, is_foreign, fk_cols)
    pairs, extra = _sync_pairs(cond, direction)
    if not pairs and not prop.viewonly:
        raise exc.ArgumentError(
            f"{name}: the primaryjoin equates no foreign column with a column of the other "
            "side, so the flush could not keep the keys in sync; pass viewonly=True for a "
            "read-only relationship"
        )
    prop.direction = direction
    prop._foreign_cols = list(cond.foreign_cols)
    prop.local_remote_pairs = pairs
    prop._pj_extra = extra
    prop._custom = extra is not None


def _direction(
    name: str,
    cond: JoinCondition,
    is_foreign: Callable[[Any, bool], bool],
    fk_cols: list[Column[Any]],
) -> Direction:
    """ONETOMANY when the foreign columns are on the target's side, MANYTOONE when on the
    parent's; with foreign columns on both sides the pairs decide (remote_side= / remote())."""
    sides = cond.foreign_sides
    if sides == {REMOTE}:
        return Direction.ONETOMANY
    if sides == {LOCAL}:
        return Direction.MANYTOONE
    if sides:
        fk_remote = [p for p in cond.pairs if is_foreign(p[1], False) or _contains(fk_cols, p[1])]
        return Direction.ONETOMANY if fk_remote else Direction.MANYTOONE
    raise exc.ArgumentError(
        f"{name}: cannot tell which columns of the primaryjoin are foreign (referencing); "
        "mark them with foreign() or pass foreign_keys="
    )


def _sync_pairs(cond: JoinCondition, direction: Direction) -> tuple[list[tuple[Any, Any]], Any]:
    """The key pairs the flush keeps in sync (those whose foreign-side column is foreign),
    and the extra criteria, with the other equalities moved into them."""
    fk_side = REMOTE if direction is Direction.ONETOMANY else LOCAL
    pairs: list[tuple[Any, Any]] = []
    moved: list[Any] = []
    for local, rem in cond.pairs:
        col = rem if fk_side == REMOTE else local
        if _contains(cond.foreign_cols, col):
            pairs.append((local, rem))
        else:  # an equality the flush cannot keep in sync: a criterion only
            moved.append(_Side(local, LOCAL) == _Side(rem, REMOTE))
    extra = cond.extra
    if moved:
        extra = and_(*moved, *([extra] if extra is not None else []))
    return pairs, extra


def reverse_conditions(prop: Any) -> dict[str, Any]:
    """``primaryjoin`` / ``secondaryjoin`` for the backref of ``prop`` (a relationship with a
    custom condition): the same condition seen from the other side, every column marked
    with its side and foreignness so that a self-referential one needs no remote_side."""
    from .relationships import Direction

    if prop.direction is Direction.MANYTOMANY:
        return {"primaryjoin": prop._secondary_clause(), "secondaryjoin": prop._primary_clause()}
    fks = prop._foreign_cols

    def mark(is_remote: bool) -> Callable[[Any], Any]:
        return lambda col: _Annotated(col, _contains(fks, col), is_remote)

    return {"primaryjoin": prop._primary_clause(mark(True), mark(False))}


__all__ = [
    "JoinCondition",
    "analyze",
    "configure_custom",
    "foreign",
    "remote",
    "resolve_sides",
    "sides_used",
    "strip_annotations",
]
