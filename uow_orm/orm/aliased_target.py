"""Relationships whose target is an ``aliased()`` class (SQLAlchemy's "Relationship to
Aliased Class", e.g. the row-limited collection over a window-function subquery).

Called by: relationships (configure, joins, ``any()`` / ``has()``), loading (lazy and
select-in loads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.elements import BindParameter, coerce_expression, replace_columns
from ..sql.schema import Column
from ..sql.selectable import Join, Select
from .base import STATE_ATTR, Direction

if TYPE_CHECKING:
    from .base import ObjectSession
    from .relationships import RelationshipProperty
    from .state import InstanceState
    from .strategy_options import LoadTree


def configure(prop: RelationshipProperty, alias: Any, registry: dict[str, type]) -> None:
    """Set up ``prop`` aimed at ``alias``: its whole ``primaryjoin`` is the join condition
    (parent columns against the alias's); the direction comes from the parent's foreign
    keys (a parent column referencing the target's table: many-to-one).

    Raises:
        ArgumentError: not ``viewonly=True``, no ``primaryjoin``, a ``secondary``, a
            backref, or a ``lazy="dynamic"`` / ``"write_only"`` strategy.
    """
    name = f"relationship {prop.parent.class_.__name__}.{prop.key}"
    if not prop.viewonly:
        raise exc.ArgumentError(
            f"{name}: a relationship to an aliased() class is read-only here; pass "
            "viewonly=True (SQLAlchemy's advice for this pattern)"
        )
    if prop.primaryjoin_arg is None:
        raise exc.ArgumentError(f"{name}: a relationship to an aliased() class needs primaryjoin=")
    for arg in ("secondary_arg", "secondaryjoin_arg", "back_populates", "backref"):
        if getattr(prop, arg) is not None:
            raise exc.ArgumentError(
                f"{name}: {arg.removesuffix('_arg')}= is not supported with an aliased() target"
            )
    if prop.lazy in ("dynamic", "write_only"):
        raise exc.ArgumentError(f"{name}: lazy={prop.lazy!r} with an aliased() target")
    prop.mapper = alias.__mapper__
    prop._target_alias = alias
    prop._alias_pj = coerce_expression(prop._join_arg(prop.primaryjoin_arg, registry))
    prop._custom = True
    parent_tables = {id(t) for t in prop.parent._from._tables()}
    target_tables = {id(t) for t in prop.mapper._from._tables()}
    many_to_one = False
    for col in _columns(prop._alias_pj):
        if id(getattr(col, "table", None)) in parent_tables:
            if any(id(fk.column.table) in target_tables for fk in col.foreign_keys):
                many_to_one = True
    prop.direction = Direction.MANYTOONE if many_to_one else Direction.ONETOMANY


def _columns(expr: Any) -> list[Column[Any]]:
    """The table columns of ``expr``."""
    found: list[Column[Any]] = []

    def visit(el: Any) -> Any:
        if isinstance(el, Column):
            found.append(el)
            return el
        return None

    replace_columns(expr, visit)
    return found


def _on_parent(prop: RelationshipProperty, replace: Any) -> Any:
    """The join condition with each parent column ``c`` replaced by ``replace(c)``."""
    parent_tables = {id(t) for t in prop.parent._from._tables()}

    def visit(el: Any) -> Any:
        if isinstance(el, Column) and id(el.table) in parent_tables:
            return replace(el)
        return None

    return replace_columns(prop._alias_pj, visit)


def _on_alias(prop: RelationshipProperty, expr: Any) -> Any:
    """``expr`` (of the target class's columns) aimed at the alias's columns."""
    adapted = prop._target_alias._adapted
    return replace_columns(coerce_expression(expr), adapted.get)


def _order_by(prop: RelationshipProperty) -> list[Any]:
    return [_on_alias(prop, c) for c in prop.order_by] if prop.order_by else []


def join_info(prop: RelationshipProperty) -> tuple[Any, Any]:
    """(what to join, ON clause) for ``join(Parent.rel)``."""
    return prop._target_alias.__clause_element__(), prop._alias_pj


def exists_criteria(prop: RelationshipProperty, criterion: Any, kw: dict[str, Any]) -> Any:
    """``Parent.rel.any(...)`` / ``has(...)``: EXISTS over the alias's rows."""
    from ..sql.elements import Exists, literal_column

    alias = prop._target_alias
    crits: list[Any] = [prop._alias_pj]
    if criterion is not None:
        crits.append(_on_alias(prop, criterion))
    for k, v in kw.items():
        crits.append(getattr(alias, k) == v)
    sel: Select[Any] = Select(literal_column("1")).select_from(alias.__clause_element__())
    return Exists(sel.where(*crits))


def lazy_select(
    session: ObjectSession,
    state: InstanceState,
    obj: Any,
    prop: RelationshipProperty,
    criteria: tuple[Any, ...],
    below: LoadTree | None,
) -> list[Any]:
    """The related objects of one parent: ``SELECT alias.* WHERE <primaryjoin with the
    parent's values bound>``."""
    from .loading import _run_entity_select

    to_key = state.mapper.column_to_key

    def bind(col: Any) -> Any:
        return BindParameter(None, getattr(obj, to_key[col]), col.type)

    stmt: Select[Any] = Select(prop._target_alias).where(
        _on_parent(prop, bind), *[_on_alias(prop, c) for c in criteria]
    )
    order = _order_by(prop)
    if order:
        stmt = stmt.order_by(*order)
    conn = session.connection_for_mapper(prop.mapper)
    target = prop.mapper
    return _run_entity_select(session, stmt, conn, target, False, below, origin=state, lazy=True)


def selectin(
    session: ObjectSession,
    prop: RelationshipProperty,
    objs: list[Any],
    sub: LoadTree,
    populate: bool,
) -> None:
    """Select-in load for ``objs``: an alias of the parent table joined to the target
    alias along the condition, the parents picked by primary key."""
    from .loading import IN_BATCH, _in_criterion, _set_loaded, relationship_select

    parent = prop.parent
    palias = parent.local_table.alias()
    on = _on_parent(prop, palias.corresponding_column)
    pk_cols = [palias.corresponding_column(c) for c in parent.pk_columns]
    frm = Join(palias, prop._target_alias.__clause_element__(), on)
    by_pk: dict[tuple[Any, ...], list[Any]] = {}
    for o in objs:
        by_pk.setdefault(tuple(o.__dict__[STATE_ATTR].key[1]), []).append(o)
    keys = list(by_pk)
    grouped: dict[tuple[Any, ...], list[Any]] = {k: [] for k in keys}
    conn = session.connection_for_mapper(prop.mapper)
    extra = [_on_alias(prop, c) for c in sub.criteria]
    for i in range(0, len(keys), IN_BATCH):
        chunk = keys[i : i + IN_BATCH]
        stmt: Select[Any] = (
            Select(prop._target_alias, *pk_cols)
            .select_from(frm)
            .where(_in_criterion(pk_cols, chunk), *extra)
        )
        order = _order_by(prop)
        if order:
            stmt = stmt.order_by(*order)
        if populate:
            stmt = stmt.execution_options(populate_existing=True)
        for row in relationship_select(session, stmt, conn, sub).unique().tuples():
            items = grouped.get(tuple(row[1:]))
            if items is not None and not any(x is row[0] for x in items):
                items.append(row[0])
    for k, owners in by_pk.items():
        for o in owners:
            _set_loaded(o, prop, grouped[k] if prop.uselist else grouped[k][:1], populate)


__all__ = ["configure", "exists_criteria", "join_info", "lazy_select", "selectin"]
