"""Relationship loader strategies beyond the plain foreign-key cases of `loading`: eager
loads of custom join conditions, subquery loads, and ``lazy="immediate"``.

Called by: loading (``selectin_load`` for relationships whose join condition has criteria
beyond the key pairs, ``post_load`` for subquery and immediate loads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.result import Result
from ..sql.elements import and_
from ..sql.selectable import Join, Select
from .base import Direction
from .state import STATE_ATTR

if TYPE_CHECKING:
    from .base import ObjectSession as Session
    from .relationships import RelationshipProperty
    from .strategy_options import LoadTree


def selectin_via_parent(
    session: Session,
    prop: RelationshipProperty,
    objs: list[Any],
    sub: LoadTree,
    populate: bool,
) -> None:
    """Load ``prop`` for ``objs`` with one SELECT per batch that joins an alias of the
    parent table to the target along the whole join condition and picks the parents by
    primary key: ``SELECT target.*, p.id FROM parent AS p JOIN target ON <primaryjoin>
    WHERE p.id IN (...)``. Works for any condition, including ones with no column pairs."""
    from .loading import IN_BATCH, _in_criterion, _set_loaded, relationship_select

    parent = prop.parent
    target = prop.mapper
    palias = parent.local_table.alias()

    def on_parent(col: Any) -> Any:
        return palias.corresponding_column(col)

    pk_cols = [on_parent(c) for c in parent.pk_columns]
    if prop.secondary is not None:
        frm: Any = Join(
            Join(palias, prop.secondary, prop._primary_clause(on_parent)),
            target.local_table,
            prop._secondary_clause(),
        )
    else:
        frm = Join(palias, target.local_table, prop._primary_clause(on_parent))
    by_pk: dict[tuple[Any, ...], list[Any]] = {}
    for o in objs:
        key = o.__dict__[STATE_ATTR].key
        by_pk.setdefault(tuple(key[1]), []).append(o)
    keys = list(by_pk)
    grouped: dict[tuple[Any, ...], list[Any]] = {k: [] for k in keys}
    conn = session.connection_for_mapper(target)
    for i in range(0, len(keys), IN_BATCH):
        chunk = keys[i : i + IN_BATCH]
        stmt: Select[Any] = (
            Select(target.class_, *pk_cols)
            .select_from(frm)
            .where(_in_criterion(pk_cols, chunk), *sub.criteria)
        )
        if prop.order_by:
            stmt = stmt.order_by(*prop.order_by)
        if populate:
            stmt = stmt.execution_options(populate_existing=True)
        for row in relationship_select(session, stmt, conn, sub).unique().tuples():
            k = tuple(row[1:])
            items = grouped.get(k)
            if items is not None and not any(x is row[0] for x in items):
                items.append(row[0])
    for k, owners in by_pk.items():
        for o in owners:
            _set_loaded(o, prop, grouped[k] if prop.uselist else grouped[k][:1], populate)


def selectin_keyed(
    session: Session,
    prop: RelationshipProperty,
    chunk: list[tuple[Any, ...]],
    grouped: dict[tuple[Any, ...], list[Any]],
    conn: Any,
    sub: LoadTree,
    populate: bool,
    origin: Any,
) -> None:
    """One selectin batch of a one-to-many whose loaded columns are narrowed by column
    options: the foreign key is selected beside the entity (it may be deferred on the
    objects) and the rows are grouped by it into ``grouped``."""
    from . import criteria as _criteria
    from .loading import _in_criterion, relationship_select

    remote_cols = [rc for _, rc in prop.local_remote_pairs]
    stmt: Select[Any] = Select(prop.mapper.class_, *remote_cols).where(
        _in_criterion(remote_cols, chunk), *sub.criteria
    )
    if prop.order_by:
        stmt = stmt.order_by(*prop.order_by)
    stmt = _criteria.inherit(stmt, origin)
    if populate:
        stmt = stmt.execution_options(populate_existing=True)
    for row in relationship_select(session, stmt, conn, sub).unique().tuples():
        items = grouped.get(tuple(row[1:]))
        if items is not None and not any(x is row[0] for x in items):
            items.append(row[0])


def subquery_source(prop: RelationshipProperty, source: Any, entity_mapper: Any) -> bool:
    """Whether ``prop`` can be subquery-loaded from ``source``, the statement that loaded
    the objects: a SELECT of one plain entity (and columns), a join condition of key pairs only, no
    joined-table inheritance (the others load with select-in, the same objects)."""
    if entity_mapper._joined_tables is not None:
        return False
    return (
        isinstance(source, Select)
        # (a subquery load's own statement selects the parents' keys beside the entity)
        and not any(hasattr(e, "__mapper__") for e in source._entities[1:])
        and isinstance(source._entities[0], type)
        and getattr(source._entities[0], "__mapper__", None) is entity_mapper
        and not source._distinct_on
        and not prop._custom
        and prop.parent._joined_tables is None
        and prop.mapper._joined_tables is None
    )


def subquery_load(
    session: Session,
    prop: RelationshipProperty,
    objs: list[Any],
    sub: LoadTree,
    populate: bool,
    source: Select[Any],
) -> None:
    """``lazy="subquery"`` / ``subqueryload()``: load ``prop`` for all of ``objs`` with one
    SELECT that joins the target to ``source`` (the statement that loaded them) made a
    subquery of the parent's key columns, as SQLAlchemy does: ``SELECT child.*, anon.id FROM
    (SELECT parent.id FROM parent WHERE ...) AS anon JOIN child ON anon.id =
    child.parent_id``. The subquery keeps ORDER BY only with LIMIT / OFFSET, and is
    DISTINCT per ``distinct_target_key`` (None: when its columns are not their table's
    whole primary key, e.g. a many-to-one's foreign key)."""
    from . import criteria as _criteria
    from .loading import _key_values, _set_loaded, relationship_select

    local_cols = [lc for lc, _ in prop._pairs]
    anon = _subquery_of(source, local_cols, prop.distinct_target_key)
    anon_cols = [anon.corresponding_column(c) for c in local_cols]
    target = prop.mapper
    if prop.direction is Direction.MANYTOONE:
        on = and_(*[rc == ac for (_, rc), ac in zip(prop._pairs, anon_cols)])
        frm: Any = Join(anon, target.local_table, on)
    elif prop.secondary is not None:
        on = and_(*[ac == sc for (_, sc), ac in zip(prop._pairs, anon_cols)])
        frm = Join(Join(anon, prop.secondary, on), target.local_table, prop._secondary_clause())
    else:
        on = and_(*[ac == rc for (_, rc), ac in zip(prop._pairs, anon_cols)])
        frm = Join(anon, target.local_table, on)
    stmt: Select[Any] = Select(target.class_, *anon_cols).select_from(frm).where(*sub.criteria)
    if prop.order_by:
        stmt = stmt.order_by(*prop.order_by)
    todo = [o for o in objs if populate or prop.key not in o.__dict__]
    stmt = _criteria.inherit(stmt, todo[0].__dict__[STATE_ATTR])
    if populate:
        stmt = stmt.execution_options(populate_existing=True)
    conn = session.connection_for_mapper(target)
    grouped: dict[tuple[Any, ...], list[Any]] = {}
    for row in relationship_select(session, stmt, conn, sub).tuples():
        items = grouped.setdefault(tuple(row[1:]), [])
        if not any(x is row[0] for x in items):
            items.append(row[0])
    for o in todo:
        k = _key_values(o, o.__dict__[STATE_ATTR], local_cols)
        items = grouped.get(k, []) if k is not None else []
        _set_loaded(o, prop, items if prop.uselist else items[:1], populate)


def _subquery_of(source: Select[Any], cols: list[Any], distinct_target_key: Any) -> Any:
    """``source`` selecting only ``cols``, as a subquery: no loader options, ORDER BY only
    when LIMIT / OFFSET make it matter, DISTINCT per ``distinct_target_key``."""
    inner = source.with_only_columns(*cols)
    inner._options = []
    inner._execution_options = {}
    inner._for_update = None
    if inner._limit is None and inner._offset is None:
        inner._order_by = []
    distinct = distinct_target_key
    if distinct is None:
        tables = {id(c.table): c.table for c in cols}
        distinct = any(
            not all(any(pk is c for c in cols) for pk in t.primary_key.columns)
            for t in tables.values()
        )
    if distinct:
        inner._distinct = True
        # SELECT DISTINCT needs its ORDER BY columns selected (PostgreSQL refuses otherwise)
        extra = [c for c in map(_order_column, inner._order_by) if c is not None]
        inner._entities.extend(c for c in extra if not any(c is x for x in cols))
    return inner.subquery()


def _order_column(clause: Any) -> Any:
    """The column an ORDER BY element sorts by (``col DESC`` -> ``col``), or None."""
    from ..sql.elements import UnaryExpression
    from ..sql.schema import Column

    while isinstance(clause, UnaryExpression) and clause.modifier is not None:
        clause = clause.element
    return clause if isinstance(clause, Column) else None


def immediate_load(
    session: Session,
    prop: RelationshipProperty,
    objs: list[Any],
    sub: LoadTree,
    populate: bool,
) -> None:
    """``lazy="immediate"`` / ``immediateload()``: load ``prop`` for each of ``objs`` right
    away with its own SELECT (a many-to-one found in the identity map needs none)."""
    from .loading import _unique_objs, lazy_load, post_load

    related: list[Any] = []
    for o in objs:
        d = o.__dict__
        if prop.key not in d or populate:
            lazy_load(d[STATE_ATTR], prop, criteria=sub.criteria, tree=sub)
        value = d.get(prop.key)
        if value is not None and sub.children:
            related.extend(value if prop.uselist else [value])
    if related:
        post_load(session, prop.mapper, _unique_objs(related), sub, populate, set())


def streamed_result(
    session: Session,
    cursor: Any,
    builders: list[Any],
    keys: list[str],
    size: int,
    mapper_entities: list[tuple[int, Any]],
    trees: dict[int, LoadTree],
    populate: bool,
) -> Result:
    """A `Result` that fetches ``size`` rows at a time (``yield_per``): each batch becomes
    objects, gets its eager (selectin) loads, and is handed out before the next fetch."""
    from .base import EAGER_STRATEGIES
    from .loading import _unique_objs, post_load

    eager = [
        (i, mapper)
        for i, mapper in mapper_entities
        if trees[i].children
        or trees[i].wildcard is not None
        or any(p.lazy in EAGER_STRATEGIES for p in mapper.relationships.values())
    ]
    single = len(builders) == 1

    def batches() -> Any:
        try:
            while True:
                chunk = cursor.fetchmany(size)
                if not chunk:
                    return
                rows = [tuple(b(r) for b in builders) for r in chunk]
                for i, mapper in eager:
                    objs = _unique_objs(r[i] for r in rows)
                    if objs:
                        post_load(session, mapper, objs, trees[i], populate, set())
                yield from ((r[0] for r in rows) if single else rows)
        finally:
            cursor.close()

    result = Result.from_scalars(keys[0], batches()) if single else Result(keys, batches())
    result._yield_per = size
    return result


__all__ = [
    "immediate_load",
    "selectin_keyed",
    "selectin_via_parent",
    "streamed_result",
    "subquery_load",
    "subquery_source",
]
