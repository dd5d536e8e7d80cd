"""Loading: driver rows -> objects through the identity map; lazy and eager relationship loads.

Objects are built by filling ``__dict__`` directly, without running the attribute-change
machinery.

Called by: execution (ORM SELECTs), lookup (``get``), relationships (lazy loads),
strategies, aliased_target, inheritance, polymorphic, joined_flush, writeonly, bulk,
dependencies, sync.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import exc
from ..engine.result import Result
from ..sql.compiler import compile_statement
from ..sql.elements import BindParameter, and_, coerce, or_, pg_array_type, replace_columns
from ..sql.selectable import FromStatement, Join, Select
from . import criteria as _criteria
from . import events as _events
from . import inheritance as _inheritance
from . import polymorphic as _polymorphic
from .attributes import InstrumentedList
from .base import (
    EAGER_STRATEGIES,
    LAZY_STRATEGIES,
    NO_VALUE,
    STATE_ATTR,
    Direction,
    ObjectSession,
)
from .lazy_warning import warn_lazy_load
from .relationships import RelationshipProperty
from .state import InstanceState, LoadedState, _new_ref, _state_gone
from .strategy_options import LoadTree

if TYPE_CHECKING:
    from .mapper import Mapper

IN_BATCH = 500
#: the key values an eager load on PostgreSQL sends as one array (`_in_criterion`)
_ARRAY_KEY_VALUES = frozenset({int, str})


def _result_proc(expr: Any, dialect_name: str) -> Callable[[Any], Any] | None:
    t = getattr(expr, "type", None)
    return t._result(dialect_name) if t is not None else None


def _processors(mapper: Mapper, dialect_name: str) -> list[Callable[[Any], Any] | None]:
    return _row_plan(mapper, dialect_name, None).procs


class RowPlan(NamedTuple):
    """Where one entity's values sit in a result row and how they are converted: what
    a row builder reads. The mapper's own plan is cached per dialect; statement options
    that change the columns (`Mapper.entity_columns`) get a plan of their own.
    """

    #: attribute keys, in column order
    keys: list[str]
    #: one result processor (or None) per column
    procs: list[Callable[[Any], Any] | None]
    #: (column index, processor) for the columns that have one
    proc_items: list[tuple[int, Callable[[Any], Any]]]
    #: the primary-key columns' indexes among ``keys``
    pk_offsets: list[int]
    #: the key columns' result processors when one converts (a DATETIME key on SQLite:
    #: identity keys hold converted values, as session.get() and the flush make them),
    #: else empty
    pk_procs: list[Callable[[Any], Any] | None]
    #: ``keys`` as a set: an object that has all of them needs nothing from the row
    keyset: frozenset[str]


def _row_plan(
    mapper: Mapper, dialect_name: str, columns: tuple[list[Any], list[str]] | None
) -> RowPlan:
    if columns is None or columns[1] is mapper.load_keys:
        cache = mapper.__dict__.setdefault("_result_procs", {})  # dropped when columns change
        plan: RowPlan | None = cache.get(dialect_name)
        if plan is None:
            plan = cache[dialect_name] = _new_row_plan(
                mapper, dialect_name, mapper.load_columns, mapper.load_keys
            )
        return plan
    return _new_row_plan(mapper, dialect_name, columns[0], columns[1])


def _new_row_plan(mapper: Mapper, dialect_name: str, cols: list[Any], keys: list[str]) -> RowPlan:
    procs = [_result_proc(c, dialect_name) for c in cols]
    pk_offsets = [keys.index(k) for k in mapper.pk_keys]
    pk_procs = [procs[p] for p in pk_offsets]
    return RowPlan(
        keys,
        procs,
        [(i, p) for i, p in enumerate(procs) if p is not None],
        pk_offsets,
        pk_procs if any(pk_procs) else [],
        frozenset(keys),
    )


def instance_builder(
    session: ObjectSession,
    mapper: Mapper,
    start: int,
    dialect_name: str,
    populate_existing: bool = False,
    columns: tuple[list[Any], list[str]] | None = None,
) -> Callable[[Sequence[Any]], Any]:
    """A function turning one result row into the mapped object (new or from the map).

    ``columns`` gives (expressions, keys) when statement options changed which columns
    the entity SELECT reads (`Mapper.entity_columns`); the mapper's lists otherwise. The
    builder has ``set_strategies(dict)``: the per-object loader strategies (options) of
    the objects it makes.
    """
    if mapper._children and mapper.polymorphic_on is not None:
        # a class with mapped subclasses: the discriminator picks each row's class (the
        # choice is made here, once per query, so other mappers' rows pay nothing)
        return _inheritance.polymorphic_builder(
            session, mapper, start, dialect_name, populate_existing, columns
        )
    plan = _row_plan(mapper, dialect_name, columns)
    return _make_builder(session, mapper, start, plan, populate_existing)


def _make_builder(
    session: ObjectSession, mapper: Mapper, start: int, plan: RowPlan, populate_existing: bool
) -> Callable[[Sequence[Any]], Any]:
    """The row builder of `instance_builder` for one class (see `RowPlan`)."""
    cls, kcls = mapper.class_, mapper._identity_class  # (keys name the hierarchy's base)
    keys, proc_items, keyset = plan.keys, plan.proc_items, plan.keyset
    end = start + len(keys)
    pk_pos, pk_procs = [start + p for p in plan.pk_offsets], plan.pk_procs
    single_pk = pk_pos[0] if len(pk_pos) == 1 and not pk_procs else None
    token = session._identity_token  # a shard's rows (horizontal sharding): keys carry its id
    # this class's identity map entries, by bare primary key (a new state's key is made
    # from it when first read: loading makes no key tuples)
    held = session.identity_map.class_identities(kcls, token, len(pk_pos) == 1)
    state_for = held.get
    new_obj, new_ref, gone = object.__new__, _new_ref, _state_gone
    at_start = start == 0
    strategies: dict[str, str] | None = None
    # @reconstructor and load listeners: once per new object (only classes with one pay)
    recon = _events.on_load(mapper, session)
    values = _values_reader(cls, keys, proc_items, start, end)

    def build(row: Sequence[Any]) -> Any:
        if single_pk is not None:
            ident = row[single_pk]
            if ident is None:
                return None
        else:
            pk = _row_pk(row, pk_pos, pk_procs)
            if pk is None:
                return None
            ident = pk[0] if len(pk) == 1 else pk
        state = state_for(ident)
        if state is not None:
            obj = state()
            if obj is not None:
                if populate_existing or not obj.__dict__.keys() >= keyset:
                    _refill(session, mapper, state, obj, keys, values(row), populate_existing,
                            strategies)  # fmt: skip
                return obj
        obj = new_obj(cls)
        d: dict[str, Any] = obj.__dict__
        # zip() stops after the entity's columns, so a row that starts with them needs no slice
        d.update(zip(keys, values(row) if proc_items else (row if at_start else row[start:end])))
        state = new_ref(LoadedState, obj, gone)  # = new_state(), written out: once per row
        state.mapper, state.held_by, state.held_as, state.session = mapper, held, ident, session
        state.committed, state.load_strategies = None, strategies
        state.modified = state.deleted = state.was_deleted = False
        d[STATE_ATTR] = state
        held[ident] = state
        if recon is not None:
            recon(obj)
        return obj

    def set_strategies(s: dict[str, str] | None) -> None:
        nonlocal strategies
        strategies = s

    build.set_strategies = set_strategies  # type: ignore[attr-defined]
    return build


def _values_reader(
    cls: type,
    keys: list[str],
    proc_items: list[tuple[int, Callable[[Any], Any]]],
    start: int,
    end: int,
) -> Callable[[Sequence[Any]], list[Any]]:
    """``values(row)``: the entity's values from ``row[start:end]``, converted by their
    result processors."""

    def values(row: Sequence[Any]) -> list[Any]:
        vals = list(row[start:end])
        for i, p in proc_items:
            v = vals[i]
            if v is not None:
                try:
                    vals[i] = p(v)
                except exc.ResultValueError as e:  # name the attribute (free until raised)
                    raise exc.ResultValueError(f"{cls.__name__}.{keys[i]}: {e}") from None
        return vals

    return values


def _row_pk(
    row: Sequence[Any], positions: list[int], procs: list[Callable[[Any], Any] | None]
) -> tuple[Any, ...] | None:
    """The primary key of a row read at ``positions`` (converted by ``procs``), or None
    when all its columns are NULL (an outer join's missing row)."""
    pk = tuple([row[p] for p in positions])
    if all(v is None for v in pk):
        return None
    return _converted_key(pk, procs) if procs else pk


def _converted_key(
    pk: tuple[Any, ...], procs: list[Callable[[Any], Any] | None]
) -> tuple[Any, ...]:
    return tuple(v if f is None or v is None else f(v) for v, f in zip(pk, procs, strict=True))


def _refill(
    session: ObjectSession,
    mapper: Mapper,
    state: InstanceState,
    obj: Any,
    keys: list[str],
    values: list[Any],
    populate_existing: bool,
    strategies: dict[str, str] | None,
) -> None:
    """A row for an object already in the identity map: ``populate_existing`` overwrites
    its attributes (and forgets its changes; its relationships load again, under this
    query's options and criteria); otherwise only expired ones are filled."""
    d = obj.__dict__
    if populate_existing:
        d.update(zip(keys, values))
        for rkey in mapper.relationships.keys():
            d.pop(rkey, None)
        state.load_strategies = strategies
        state.clear_changes()
        session.tracker.unmark_modified(state)
        if mapper.dispatch.refresh:
            _events.fire_refresh(state, session, None)
        return
    holes = [k for k in keys if k not in d]
    for k, v in zip(keys, values):
        if k not in d:
            d[k] = v
    if mapper.dispatch.refresh:
        _events.fire_refresh(state, session, holes)


# -- SELECT execution -------------------------------------------------------------------------
def execute_select(
    session: ObjectSession, stmt: Select[Any], params: Any, conn: Any, tree: LoadTree | None = None
) -> Result:
    """Run an ORM-enabled SELECT and return rows of objects and values.

    ``tree`` gives loader options for the first entity directly (used by selectin loads
    that carry the rest of an option path). ``select(User)`` without options (the most
    common query) takes a short path: compile (through the statement cache), run, build.
    """
    if isinstance(stmt, FromStatement):
        return _execute_from_statement(session, stmt, params, conn)
    if tree is None and not stmt._options and not stmt._execution_options:
        entities = stmt._entities
        if len(entities) == 1 and isinstance(entities[0], type):
            mapper = getattr(entities[0], "__mapper__", None)
            if mapper is not None:
                if not mapper.registry.configured:
                    mapper.registry.configure()
                if mapper._union is not None:  # a ConcreteBase class reads its union
                    stmt = _inheritance.union_criteria(stmt, mapper)
                # (polymorphic_load="selectin" subclasses: one more SELECT after the rows)
                if not mapper._selectin_subs and not _eager_relationships(mapper):
                    return _execute_plain(session, stmt, params, conn, mapper)
    return _execute_general(session, stmt, params, conn, tree)


def _eager_relationships(mapper: Mapper) -> bool:
    """Whether loading ``mapper``'s objects (or its subclasses') runs eager loads."""
    for m in mapper.self_and_descendants if mapper._children else (mapper,):
        # dict.values(): Properties.values() builds a list (SQLAlchemy's API); hot loop
        for p in dict.values(m.relationships):
            if p.lazy in EAGER_STRATEGIES:
                return True
    return False


def _execute_plain(
    session: ObjectSession, stmt: Select[Any], params: Any, conn: Any, mapper: Mapper
) -> Result:
    """``select(User)...`` with no options: one entity, no eager loads."""
    compiled = compile_statement(stmt, conn.dialect)
    cursor = conn._run(compiled.sql, compiled.construct_params(params))
    build = plain_builder(session, mapper, conn.dialect.name)
    return Result.from_scalars(mapper.class_.__name__, _build_all(cursor, build))


def plain_builder(
    session: ObjectSession, mapper: Mapper, dialect_name: str
) -> Callable[[Sequence[Any]], Any]:
    """`instance_builder` of ``mapper``'s own columns at the start of a row, without
    options: made once per session (and shard being read: its identity token is in the
    keys the builder makes) and kept until listeners or the mapping change."""
    cache = session.identity_map.builders
    ck = (mapper, dialect_name, session._identity_token)
    hit = cache.get(ck)
    gen = _events.state.generation
    if (
        hit is not None
        and hit[0] == gen
        and hit[1] is mapper.load_keys
        and hit[2] is mapper._on_load
    ):
        return hit[3]  # type: ignore[no-any-return]
    build = instance_builder(session, mapper, 0, dialect_name)
    cache[ck] = (gen, mapper.load_keys, mapper._on_load, build)
    return build


def _build_all(cursor: Any, build: Callable[[Sequence[Any]], Any]) -> list[Any]:
    """Every row of ``cursor`` built into its object, a chunk at a time (the driver's rows
    are not all held at once; a plain list, no tuple per row)."""
    chunk = cursor.fetchmany(1000)
    if len(chunk) < 1000:
        return [build(r) for r in chunk]
    objs: list[Any] = []
    while chunk:
        objs.extend([build(r) for r in chunk])
        chunk = cursor.fetchmany(1000)
    return objs


class _SelectContext:
    """One ORM SELECT being run by `_execute_general`: its entities, their loader option
    trees and the joined eager loads it adds."""

    __slots__ = ("joins", "mapper_entities", "populate", "specs", "stmt", "trees")

    def __init__(self, stmt: Select[Any], tree: LoadTree | None) -> None:
        self.stmt = stmt
        self.populate = bool(stmt._execution_options.get("populate_existing"))
        self.mapper_entities: list[tuple[int, Mapper]] = [
            (i, e.__mapper__)
            for i, e in enumerate(stmt._entities)
            if (isinstance(e, type) and hasattr(e, "__mapper__"))
            or getattr(e, "_aliased_columns", None) is not None
        ]
        self.trees: dict[int, LoadTree] = {}
        for n, (i, mapper) in enumerate(self.mapper_entities):
            mapper._ensure_configured()
            self.trees[i] = (
                tree
                if (tree is not None and n == 0)
                else LoadTree.from_options(stmt._options, mapper.class_)
            )
        # joined eager loads: (relationship, index of the parent spec or -1, options below)
        self.specs: list[tuple[RelationshipProperty, int, LoadTree]] = []
        self.joins: list[tuple[Any, Any, list[Any], Any]] = []
        if self.mapper_entities and isinstance(stmt._entities[self.mapper_entities[0][0]], type):
            # (an aliased first entity loads its joined relationships with selectin)
            i0, m0 = self.mapper_entities[0]
            used = {id(t) for t in m0._from._tables()}  # (a joined subclass: its join)
            if stmt._joins or stmt._select_from:  # tables the query joins itself
                used.update(id(t) for f in stmt._froms() for t in f._tables())
            # LIMIT / OFFSET count joined rows, not parents: collections then load with selectin
            limited = stmt._limit is not None or stmt._offset is not None
            _collect_joined(m0, self.trees[i0], -1, used, self.specs, limited, self.joins, (m0,))

    def statement_to_run(self) -> Select[Any]:
        """The statement with the joined eager loads' joins, columns and ordering."""
        stmt = self.stmt
        if not self.specs:
            return stmt
        exec_stmt = stmt._generate()
        eager_order: list[Any] = []
        for (right, on, cols, adapt), (prop, _parent, sub) in zip(self.joins, self.specs):
            if sub.contains_eager:  # contains_eager: the statement's own join has the rows
                _check_joined(stmt, prop, sub.eager_alias)
            elif sub.innerjoin:
                exec_stmt._eager_joins.append((right, on, False))  # type: ignore[arg-type]
            else:
                exec_stmt._eager_joins.append((right, on))
            if prop.uselist and prop.order_by and not sub.contains_eager:
                eager_order.extend(adapt(c) if adapt is not None else c for c in prop.order_by)
            exec_stmt._eager_columns.extend(cols)
        if eager_order:  # a joined collection's order_by follows the statement's own
            exec_stmt = exec_stmt.order_by(*eager_order)
        return exec_stmt


def _execute_general(
    session: ObjectSession, stmt: Select[Any], params: Any, conn: Any, tree: LoadTree | None
) -> Result:
    """Any ORM SELECT: several entities, options, eager loads, ``yield_per``."""
    crit = _criteria.propagating(stmt) if stmt._options else ()
    if stmt._options:
        stmt = _criteria.apply(stmt)
    first = getattr(stmt._entities[0], "__mapper__", None) if stmt._entities else None
    if first is not None and first._union is not None:  # a ConcreteBase class's union
        stmt = _inheritance.union_criteria(stmt, first)
    ctx = _SelectContext(stmt, tree)
    chained = [c for t in ctx.trees.values() for c in t.columns]
    if chained:  # column options on a loader path: the SELECT reads what the rows build
        ctx.stmt = stmt = stmt.options(*dict.fromkeys(chained))
    yield_per = _check_yield_per(stmt, ctx.specs)
    compiled = compile_statement(ctx.statement_to_run(), conn.dialect)
    run = conn._run if yield_per is None else conn._run_streaming
    cursor = run(compiled.sql, compiled.construct_params(params))
    builders = _row_builders(session, ctx, compiled, conn.dialect.name, crit)
    keys = compiled.result_keys or _entity_keys(stmt._entities)
    if yield_per is not None:
        from .strategies import streamed_result

        return streamed_result(
            session, cursor, builders, keys, yield_per, ctx.mapper_entities, ctx.trees, ctx.populate
        )
    rows: list[tuple[Any, ...]] = []
    objs_only: list[Any] | None = None
    if len(builders) == 1 and not ctx.specs:
        objs_only = _build_all(cursor, builders[0])
    else:
        raw_rows = cursor.fetchall()
        rows = [tuple([b(r) for b in builders]) for r in raw_rows]
    joined_keys: dict[int, set[str]] = {-1: set()}
    if ctx.specs:
        offset = compiled.entity_slices[-1][2] if compiled.entity_slices else 0
        first = ctx.mapper_entities[0][0]
        _populate_joined(
            session, rows, raw_rows, ctx.specs, offset, first, conn.dialect.name, ctx.populate,
            joined_keys, (*ctx.trees[first].path, ctx.mapper_entities[0][1]),
        )  # fmt: skip
    _eager_load_entities(session, conn, ctx, rows, objs_only, joined_keys[-1])
    result = (
        Result.from_scalars(keys[0], objs_only) if objs_only is not None else Result(keys, rows)
    )
    if any(prop.uselist for prop, _, _ in ctx.specs):
        result._require_unique = True
    return result


def _check_yield_per(stmt: Select[Any], specs: list[Any]) -> int | None:
    """The statement's ``yield_per`` (checked), or None."""
    yield_per = stmt._execution_options.get("yield_per")
    if yield_per is not None:
        if not isinstance(yield_per, int) or isinstance(yield_per, bool) or yield_per < 1:
            raise exc.ArgumentError(f"yield_per={yield_per!r}: give a positive number of rows")
        if specs:
            raise exc.InvalidRequestError(
                "yield_per cannot be combined with joined eager loading (joinedload / "
                "lazy='joined'), whose rows must all be read first; use selectinload"
            )
    return yield_per


def _entity_keys(entities: Sequence[Any]) -> list[str]:
    return [
        getattr(e, "__name__", None) or getattr(e, "key", None) or f"col_{n}"
        for n, e in enumerate(entities)
    ]


def _row_builders(
    session: ObjectSession,
    ctx: _SelectContext,
    compiled: Any,
    dialect_name: str,
    crit: tuple[Any, ...],
) -> list[Callable[[Sequence[Any]], Any]]:
    """One function per selected entity or column, turning a row into its value."""
    stmt = ctx.stmt
    builders: list[Callable[[Sequence[Any]], Any]] = []
    for idx, (entity, start, end) in enumerate(compiled.entity_slices):
        if entity is not None and getattr(entity, "_bundle_columns", None) is not None:
            all_procs = compiled.result_processors or [None] * end
            getters = [_value_getter(p, all_procs[p]) for p in range(start, end)]
            builders.append(entity.create_row_processor(stmt, getters, entity._keys))
        elif entity is not None:
            emapper = entity.__mapper__
            t = ctx.trees.get(idx)
            # (the column options chained on loader paths are among the statement's now:
            # _execute_general adds them, so the compiler selects the same columns)
            cols, ckeys, col_strategies = emapper.entity_columns(stmt._options)
            poly = getattr(entity, "_polymorphic_columns", None)
            if poly is not None:  # with_polymorphic(): the subclasses' columns too
                cols, ckeys = poly
            b = instance_builder(session, emapper, start, dialect_name, ctx.populate, (cols, ckeys))
            if t is not None or col_strategies or crit:
                overrides = _object_strategies(emapper, t, col_strategies, crit)
                b.set_strategies(overrides or None)  # type: ignore[attr-defined]
            builders.append(b)
        else:  # a column, or each column of a table / subquery selected whole
            all_procs = compiled.result_processors or [None] * end
            builders.extend(_value_getter(p, all_procs[p]) for p in range(start, end))
    return builders


def _object_strategies(
    mapper: Mapper,
    tree: LoadTree | None,
    col_strategies: dict[str, str] | None,
    crit: tuple[Any, ...],
) -> dict[Any, Any]:
    """What each loaded object remembers for its later loads: relationships the options
    left lazy (and the options below them), column strategies, loader criteria."""
    overrides: dict[Any, Any] = {}
    if tree is not None:
        for k, (st, _sub) in tree.children.items():
            if st in LAZY_STRATEGIES:
                overrides[k] = st
        if tree.wildcard in LAZY_STRATEGIES:
            for rprop in dict.values(mapper.relationships):
                if rprop.key not in tree.children:
                    overrides[rprop.key] = tree.wildcard
        # options below a relationship left lazy (nested options, column options,
        # rel.and_() criteria): used when it loads
        for k, (st, sub) in tree.children.items():
            if (sub.children or sub.columns or sub.criteria or sub.polymorphic) and st in (
                "default",
                "select",
            ):
                overrides[(k, "options")] = sub
    if col_strategies:
        overrides.update(col_strategies)
    if crit:  # with_loader_criteria reaches the objects' own loads
        overrides[_criteria.KEY] = crit
    return overrides


def _eager_load_entities(
    session: ObjectSession,
    conn: Any,
    ctx: _SelectContext,
    rows: list[tuple[Any, ...]],
    objs_only: list[Any] | None,
    joined: set[str],
) -> None:
    """Selectin polymorphic loads, then selectin (and nested) loads for each entity's
    freshly loaded objects."""
    options = ctx.stmt._options
    for idx, (i, mapper) in enumerate(ctx.mapper_entities):
        tree = ctx.trees[i]
        if mapper._selectin_subs or options or tree.polymorphic:  # polymorphic_load="selectin"
            objs = objs_only if objs_only is not None else [r[i] for r in rows]
            _polymorphic.selectin_after_load(session, conn, mapper, options, objs, tree)
        if not tree.children and tree.wildcard is None and not _eager_relationships(mapper):
            continue  # nothing to load eagerly for this entity
        tree.source = ctx.stmt  # (what a subquery load wraps)
        objs = _unique_objs(objs_only if objs_only is not None else (r[i] for r in rows))
        if objs:
            post_load(session, mapper, objs, tree, ctx.populate, joined if idx == 0 else set())


def _execute_from_statement(
    session: ObjectSession, stmt: FromStatement[Any], params: Any, conn: Any
) -> Result:
    """``select(User).from_statement(other)``: run ``other``, match its columns to each
    entity's mapped columns by name, build the objects."""
    dialect = conn.dialect
    inner = stmt._statement
    compiled = inner._compiled_for(dialect)
    cursor = conn._run(compiled.sql, compiled.construct_params(params))
    names = [d[0] for d in cursor.description or ()]
    lowered = [n.lower() for n in names]
    populate = bool(stmt._execution_options.get("populate_existing"))
    getters: list[Callable[[Sequence[Any]], Any]] = []
    mappers: list[tuple[int, Mapper]] = []
    for n, e in enumerate(stmt._entities):
        mapper = getattr(e, "__mapper__", None)
        if mapper is None:
            key = getattr(e, "key", None) or getattr(e, "name", None)
            if not isinstance(key, str) or key.lower() not in lowered:
                raise exc.InvalidRequestError(
                    f"from_statement(): the statement has no column {key!r}; its columns "
                    f"are {names}"
                )
            getters.append(_value_getter(lowered.index(key.lower()), None))
            continue
        mapper._ensure_configured()
        positions = []
        for col in mapper.column_list:
            if col.name.lower() not in lowered:
                raise exc.InvalidRequestError(
                    f"from_statement(): the statement has no column {col.name!r} for "
                    f"{mapper.class_.__name__}; its columns are {names}"
                )
            positions.append(lowered.index(col.name.lower()))
        build = instance_builder(session, mapper, 0, dialect.name, populate)

        def get(row: Sequence[Any], build: Any = build, positions: list[int] = positions) -> Any:
            return build([row[p] for p in positions])

        getters.append(get)
        mappers.append((n, mapper))
    rows = [tuple(g(r) for g in getters) for r in cursor.fetchall()]
    for n, mapper in mappers:
        tree = LoadTree.from_options(stmt._options, mapper.class_)
        if tree.children or any(
            p.lazy in EAGER_STRATEGIES for p in dict.values(mapper.relationships)
        ):
            objs = _unique_objs(r[n] for r in rows)
            if objs:
                post_load(session, mapper, objs, tree, populate, set())
    keys = [
        getattr(e, "__name__", None) or getattr(e, "key", None) or f"col_{n}"
        for n, e in enumerate(stmt._entities)
    ]
    if len(getters) == 1:
        return Result.from_scalars(keys[0], [r[0] for r in rows])
    return Result(keys, rows)


def _collect_joined(
    mapper: Mapper,
    tree: LoadTree,
    parent: int,
    used: set[int],
    specs: list[tuple[RelationshipProperty, int, LoadTree]],
    limited: bool,
    joins: list[tuple[Any, Any, list[Any], Any]],
    path: tuple[Mapper, ...],
) -> None:
    """Collect joined eager loads below ``mapper``; a table already in the query is
    joined again under an alias (self-referential and repeated targets). ``path``: the
    mappers this statement's joins went through to reach ``mapper`` (``mapper`` last), for
    `default_load_stops`."""
    parent_adapt = joins[parent][3] if parent >= 0 else None
    for prop in dict.values(mapper.relationships):
        strategy, sub = _strategy(prop, tree)
        if strategy == "contains_eager":
            sub.contains_eager = True
        elif (
            strategy != "joined"
            or (limited and prop.uselist)
            or prop._target_alias is not None  # (loaded with select-in instead)
            or (not _explicit(prop, tree) and default_load_stops(prop, path))
        ):
            continue
        if prop.lazy in ("dynamic", "write_only"):
            _refuse_eager(prop)
        target, target_adapt, sec, sec_adapt = _join_aliases(prop, mapper, sub, parent_adapt, used)
        right, on = _join_clause(prop, sub, parent_adapt, target, target_adapt, sec, sec_adapt)
        # an inner join only below inner joins: under an outer one it would drop parents
        sub.innerjoin = (sub.innerjoin or prop.innerjoin) and (
            parent < 0 or specs[parent][2].innerjoin
        )
        specs.append((prop, parent, sub))
        on_target = _or_same(target_adapt)
        # column options chained on the path (joinedload(...).load_only(...))
        cols = prop.mapper.entity_columns(sub.columns)[0] if sub.columns else None
        if cols is None:
            cols = _eager_polymorphic(sub)[0] or prop.mapper.load_columns
        joins.append((right, on, [on_target(c) for c in cols], target_adapt))
        _collect_joined(
            prop.mapper, sub, len(specs) - 1, used, specs, limited, joins, (*path, prop.mapper)
        )


def _explicit(prop: RelationshipProperty, tree: LoadTree) -> bool:
    """Whether a loader option (not ``defaultload``) gives ``prop`` its strategy here."""
    hit = tree.children.get(prop.key)
    if hit is not None:
        return hit[0] != "default"
    return tree.wildcard is not None


def default_load_stops(prop: RelationshipProperty, path: tuple[Mapper, ...]) -> bool:
    """SQLAlchemy's rule for a relationship eager by its own ``lazy=`` (no option names
    it), loaded for objects reached along ``path`` (the mappers of the objects each
    relationship on the way was loaded for, the holder of ``prop`` last): with
    ``join_depth=N`` it loads within N relationships of the query's root; without, it
    stops where its target's class is already on the path (a self-referential eager load
    stops at once; a cycle back to a class already loaded stops)."""
    if prop.join_depth is not None:
        return len(path) > prop.join_depth
    target = prop.mapper
    return any(m.isa(target) for m in path)


def _join_aliases(
    prop: RelationshipProperty,
    mapper: Mapper,
    sub: LoadTree,
    parent_adapt: Callable[[Any], Any] | None,
    used: set[int],
) -> tuple[Any, Callable[[Any], Any] | None, Any, Callable[[Any], Any] | None]:
    """(target table, its adapter, secondary table, its adapter) of a joined eager load:
    a table the query already has is joined under an alias, whose adapter moves columns
    onto it (None: the table itself)."""
    target: Any = prop.mapper.local_table
    target_adapt = None
    if sub.contains_eager and sub.eager_alias is not None:
        target_adapt = sub.eager_alias._adapt  # the statement joins this alias
    elif prop.mapper._from is not target and not sub.contains_eager:
        # joined-table inheritance: the target's join (aliased table by table if needed)
        target, target_adapt = _inheritance.eager_target(prop.mapper, used)
    elif sub.contains_eager:
        if parent_adapt is not None or prop.mapper is mapper:
            raise exc.InvalidRequestError(
                f"contains_eager({prop.parent.class_.__name__}.{prop.key}) joins table "
                f"{target.name!r} a second time; join an aliased() target and give "
                "contains_eager(attr.of_type(alias))"
            )
        used.add(id(target))  # the statement's own join (checked by _check_joined)
    elif id(target) in used:
        target = target.alias()
        target_adapt = _adapter(target)
    else:
        used.add(id(target))
    sec: Any = prop.secondary
    sec_adapt = None
    if sec is not None and not sub.contains_eager:
        if id(sec) in used:
            sec = sec.alias()
            sec_adapt = _adapter(sec)
        else:
            used.add(id(sec))
    return target, target_adapt, sec, sec_adapt


def _join_clause(
    prop: RelationshipProperty,
    sub: LoadTree,
    parent_adapt: Callable[[Any], Any] | None,
    target: Any,
    target_adapt: Callable[[Any], Any] | None,
    sec: Any,
    sec_adapt: Callable[[Any], Any] | None,
) -> tuple[Any, Any]:
    """(what to join, ON clause) of a joined eager load, with the option's extra criteria
    and a single-table target's discriminator."""
    on_parent, on_target, on_sec = (
        _or_same(parent_adapt),
        _or_same(target_adapt),
        _or_same(sec_adapt),
    )
    extra = [on_target(coerce(c)) for c in sub.criteria]
    if sec is not None:
        right: Any = Join(sec, target, and_(prop._secondary_clause(on_target, on_sec), *extra))
        on = prop._primary_clause(on_parent, on_sec)
    else:
        right = target
        on = and_(prop._primary_clause(on_parent, on_target), *extra)
    if prop.mapper.single:  # a relationship to a single-table subclass: its rows only
        on = and_(on, on_target(prop.mapper._single_criterion()))
    return right, on


def _or_same(adapt: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    return adapt if adapt is not None else _same


def _same(c: Any) -> Any:
    return c


def _refuse_eager(prop: RelationshipProperty) -> None:
    raise exc.InvalidRequestError(
        f"{prop} is lazy={prop.lazy!r}: its objects are never loaded into the collection, so "
        "an eager loader option cannot apply to it; query it (.select() / the query) instead"
    )


def _adapter(alias: Any) -> Callable[[Any], Any]:
    def adapt(el: Any) -> Any:
        return replace_columns(el, alias.corresponding_column)

    return adapt


def _check_joined(stmt: Select[Any], prop: RelationshipProperty, alias: Any = None) -> None:
    """contains_eager(prop) reads the target's columns from a join the statement has (of
    ``alias``, an aliased() class, when given)."""
    if alias is not None:
        for join_target, *_rest in stmt._joins:
            if join_target is alias or getattr(join_target, "target_alias", None) is alias:
                return
            if getattr(join_target, "of_polymorphic", None) is alias:  # with_polymorphic()
                return
        raise exc.InvalidRequestError(
            f"contains_eager({prop.parent.class_.__name__}.{prop.key}) with {alias!r} needs "
            f"the statement to join that alias (e.g. .join({prop.parent.class_.__name__}."
            f"{prop.key}.of_type(alias)))"
        )
    target = prop.mapper.local_table
    for join_target, *_rest in stmt._joins:
        if hasattr(join_target, "_join_info"):  # join(Parent.children)
            table = join_target.property.mapper.local_table
        else:
            table = getattr(join_target, "__table__", join_target)
        if table is target:
            return
    raise exc.InvalidRequestError(
        f"contains_eager({prop.parent.class_.__name__}.{prop.key}) needs the statement to join "
        f"{prop.mapper.class_.__name__} (e.g. .join({prop.parent.class_.__name__}.{prop.key})); "
        "for an aliased join give contains_eager(attr.of_type(alias))"
    )


def _value_getter(pos: int, proc: Any) -> Callable[[Sequence[Any]], Any]:
    if proc is None:
        return lambda row: row[pos]
    return lambda row: proc(row[pos]) if row[pos] is not None else None


def _unique_objs(objs: Any) -> list[Any]:
    seen: set[int] = set()
    out = []
    for o in objs:
        if o is not None and id(o) not in seen:
            seen.add(id(o))
            out.append(o)
    return out


def _strategy(prop: RelationshipProperty, tree: LoadTree | None) -> tuple[str, LoadTree]:
    if tree is not None:
        hit = tree.strategy_for(prop)
        if hit is not None:
            return hit
    return prop.lazy, LoadTree()


def _populate_joined(
    session: ObjectSession,
    rows: list[tuple[Any, ...]],
    raw_rows: list[Any],
    specs: list[tuple[RelationshipProperty, int, LoadTree]],
    offset: int,
    first: int,
    dialect_name: str,
    populate: bool,
    joined_keys: dict[int, set[str]],
    path: tuple[Mapper, ...],
) -> None:
    """Fill each joined eager load's attribute from the rows, then run the loads below
    them; ``path``: the mappers before the statement's first entity, and its own."""
    pos = offset
    builders = []
    for prop, parent, sub in specs:
        if sub.columns:  # column options chained on the joinedload() path
            cols, ckeys, col_strategies = prop.mapper.entity_columns(sub.columns)
            b = instance_builder(session, prop.mapper, pos, dialect_name, populate, (cols, ckeys))
            if col_strategies:
                b.set_strategies(col_strategies)  # type: ignore[attr-defined]
            builders.append(b)
            pos += len(cols)
        else:
            pcols, pkeys = _eager_polymorphic(sub)
            poly = (pcols, pkeys) if pcols else None
            builders.append(
                instance_builder(session, prop.mapper, pos, dialect_name, populate, poly)
            )
            pos += len(pcols or prop.mapper.load_columns)
        joined_keys.setdefault(parent, set()).add(prop.key)
    per_spec: list[dict[int, tuple[Any, list[Any]]]] = [{} for _ in specs]
    for row, raw in zip(rows, raw_rows):
        built: list[Any] = []
        for n, (_prop, parent, _sub) in enumerate(specs):
            owner = row[first] if parent == -1 else built[parent]
            child = builders[n](raw)
            built.append(child)
            if owner is None:
                continue
            entry = per_spec[n].get(id(owner))
            if entry is None:
                entry = per_spec[n][id(owner)] = (owner, [])
            if child is not None and not any(c is child for c in entry[1]):
                entry[1].append(child)
    for n, (prop, _parent, sub) in enumerate(specs):
        children_all: list[Any] = []
        for owner, children in per_spec[n].values():
            _set_loaded(owner, prop, children, populate)
            children_all.extend(children)
        if children_all:
            related = _unique_objs(children_all)
            sub.path = _joined_path(specs, n, path)
            sub.source = None
            if sub.polymorphic:  # joinedload(...).selectin_polymorphic([...])
                conn = session.connection_for_mapper(prop.mapper)
                _polymorphic.selectin_after_load(session, conn, prop.mapper, (), related, sub)
            post_load(session, prop.mapper, related, sub, populate, joined_keys.get(n, set()))


def _eager_polymorphic(sub: LoadTree) -> tuple[list[Any], list[str]]:
    """The columns and keys a ``contains_eager(rel.of_type(with_polymorphic(...)))``
    reads from the statement's join (the subclasses' too); empty lists otherwise."""
    alias = sub.eager_alias if sub.contains_eager else None
    poly = getattr(alias, "_polymorphic_columns", None) if alias is not None else None
    if poly is None or getattr(alias, "_classes", None) is None:
        return [], []
    return list(poly[0]), list(poly[1])


def _joined_path(
    specs: list[tuple[RelationshipProperty, int, LoadTree]], n: int, path: tuple[Mapper, ...]
) -> tuple[Mapper, ...]:
    """The mappers before the objects of joined load ``n``: ``path``, then the targets of
    the joined loads it hangs from."""
    chain: list[Mapper] = []
    parent = specs[n][1]
    while parent >= 0:
        chain.append(specs[parent][0].mapper)
        parent = specs[parent][1]
    return (*path, *reversed(chain))


def _set_loaded(obj: Any, prop: RelationshipProperty, items: list[Any], overwrite: bool) -> None:
    d = obj.__dict__
    state: InstanceState = d[STATE_ATTR]
    if prop.key in d and not overwrite:
        return
    if state.committed and prop.key in state.committed:
        return  # changed in memory: never overwrite unflushed changes
    if prop.uselist:
        coll: InstrumentedList[Any] = prop._new_members(items)
        coll._bind(state, prop)
        d[prop.key] = coll
        session = state.session
        if session is not None and session.tracker.collections:
            session.tracker.apply_collection_changes(state, prop.key, coll)
    else:
        d[prop.key] = items[0] if items else None
    rev = prop.reverse
    if rev is not None and not rev.uselist and prop.direction is Direction.ONETOMANY:
        # the children of a loaded collection know their parent without another query
        for item in items:
            cd = item.__dict__
            if rev.key not in cd:
                cd[rev.key] = obj


def post_load(
    session: ObjectSession,
    mapper: Mapper,
    objs: list[Any],
    tree: LoadTree,
    populate: bool,
    skip: set[str],
) -> None:
    """Run selectin loads (and nested options) for freshly loaded ``objs``; ``tree.path``
    has the mappers of the objects the loads on the way here were for."""
    here = (*tree.path, mapper)
    props = dict.values(mapper.relationships)
    _post_load_props(session, props, objs, tree, populate, skip, here)
    if mapper._children:
        # relationships declared on subclasses load for the objects of those classes
        for sub_mapper in mapper.self_and_descendants[1:]:
            own = [p for p in dict.values(sub_mapper.relationships) if p.parent is sub_mapper]
            if own:
                mine = [o for o in objs if isinstance(o, sub_mapper.class_)]
                if mine:
                    _post_load_props(session, own, mine, tree, populate, skip, here)


def _post_load_props(
    session: ObjectSession,
    props: Any,
    objs: list[Any],
    tree: LoadTree,
    populate: bool,
    skip: set[str],
    here: tuple[Mapper, ...],
) -> None:
    for prop in props:
        if prop.key in skip:
            continue
        strategy, sub = _strategy(prop, tree)
        if strategy in _POST_LOADED and not _explicit(prop, tree):
            if default_load_stops(prop, here):
                continue
        sub.path = here
        if strategy == "subquery" and _subquery_from(prop, tree, here[-1]):
            from .strategies import subquery_load

            if any(populate or prop.key not in o.__dict__ for o in objs):
                subquery_load(session, prop, objs, sub, populate, tree.source)
        elif strategy in _POST_LOADED and strategy != "immediate":
            # (joined here: not joined by the statement, e.g. below a LIMIT; subquery:
            # objects not loaded by a statement it can wrap)
            selectin_load(session, prop, objs, sub, populate)
        elif strategy == "immediate":
            from .strategies import immediate_load

            immediate_load(session, prop, objs, sub, populate)
        elif sub.children:
            # options deeper in the path apply to already loaded related objects
            related: list[Any] = []
            for o in objs:
                v = o.__dict__.get(prop.key)
                if v is None:
                    continue
                related.extend(v if prop.uselist else [v])
            if related:
                sub.source = None
                post_load(session, prop.mapper, _unique_objs(related), sub, populate, set())


def _subquery_from(prop: RelationshipProperty, tree: LoadTree, mapper: Mapper) -> bool:
    """Whether the statement that loaded the objects (``tree.source``) can be wrapped for
    a subquery load of ``prop`` (else it loads with select-in)."""
    if tree.source is None:
        return False
    from .strategies import subquery_source

    return subquery_source(prop, tree.source, mapper)


#: the strategies `_post_load_props` loads with a further SELECT
_POST_LOADED = frozenset({"selectin", "subquery", "joined", "immediate"})


def _key_values(obj: Any, state: InstanceState, cols: Sequence[Any]) -> tuple[Any, ...] | None:
    mapper = state.mapper
    d = obj.__dict__
    out = []
    for col in cols:
        key = mapper.column_to_key[col]
        v = d.get(key, NO_VALUE)
        if v is NO_VALUE:
            v = getattr(obj, key)
        if v is None:
            return None  # (a null key value: nothing is related)
        out.append(v)
    return tuple(out)


def _in_criterion(
    cols: Sequence[Any], keys: Sequence[tuple[Any, ...]], dialect_name: str | None = None
) -> Any:
    """``key IN (...)`` of an eager load's batch of keys. On PostgreSQL a batch of plain
    int / str keys of an integer or text column travels as one array of the column's
    kind, ``key = ANY(CAST(%s AS INTEGER[]))``: psycopg parses a 500-placeholder query
    anew each time (it caches only short ones), the statement key reads one value
    instead of 500, and PostgreSQL runs it faster than the IN list (with an index on the
    key or without)."""
    if len(cols) == 1:
        col = cols[0]
        values = [k[0] for k in keys]
        if (
            dialect_name == "postgresql"
            and pg_array_type(col.type) is not None
            and all(v.__class__ in _ARRAY_KEY_VALUES for v in values)
        ):
            return col.in_(BindParameter("_uow_eager_keys", values, col.type))
        return col.in_(values)
    return or_(*[and_(*[c == v for c, v in zip(cols, k)]) for k in keys])


def selectin_load(
    session: ObjectSession,
    prop: RelationshipProperty,
    objs: list[Any],
    sub: LoadTree,
    populate: bool,
) -> None:
    """Load ``prop`` for ``objs`` with a ``SELECT ... WHERE key IN (...)`` per batch of
    ``IN_BATCH`` keys (objects that have it loaded keep it, unless ``populate``)."""
    if prop.lazy in ("dynamic", "write_only"):
        _refuse_eager(prop)
    todo = [o for o in objs if populate or prop.key not in o.__dict__]
    if not todo:
        return
    if prop._target_alias is not None:
        from .aliased_target import selectin

        selectin(session, prop, todo, sub, populate)
        return
    if (
        prop._custom
        or prop.omit_join is False
        or (sub.criteria and prop.direction is Direction.MANYTOONE)
    ):
        # criteria beyond the key pairs (or omit_join=False): join back to the parents
        from .strategies import selectin_via_parent

        selectin_via_parent(session, prop, todo, sub, populate)
        return
    conn = session.connection_for_mapper(prop.mapper)
    origin: InstanceState = todo[0].__dict__[STATE_ATTR]  # with_loader_criteria of the load
    if prop.direction is Direction.MANYTOONE:
        _selectin_many_to_one(session, prop, todo, sub, populate, conn, origin)
    else:
        _selectin_collections(session, prop, todo, sub, populate, conn, origin)


def _selectin_many_to_one(
    session: ObjectSession,
    prop: RelationshipProperty,
    todo: list[Any],
    sub: LoadTree,
    populate: bool,
    conn: Any,
    origin: InstanceState,
) -> None:
    """selectin of a many-to-one: the targets by key, those in the identity map without
    SQL (when the key is the target's primary key)."""
    target = prop.mapper
    local_cols = [lc for lc, _ in prop.local_remote_pairs]
    remote_cols = [rc for _, rc in prop.local_remote_pairs]
    by_key: dict[tuple[Any, ...], Any] = {}
    wanted: dict[tuple[Any, ...], None] = {}
    fk_of: list[tuple[Any, tuple[Any, ...] | None]] = []
    remote_is_pk = remote_cols == target.pk_columns
    for o in todo:
        k = _key_values(o, o.__dict__[STATE_ATTR], local_cols)
        fk_of.append((o, k))
        if k is None:
            continue
        if remote_is_pk and not populate:
            hit = session.identity_map.get_obj(
                target.identity_key_from_pk(k, session._identity_token)
            )
            if hit is not None:
                by_key[k] = hit
                continue
        wanted[k] = None
    keys = list(wanted)
    for i in range(0, len(keys), IN_BATCH):
        chunk = keys[i : i + IN_BATCH]
        stmt: Select[Any] = Select(target.class_).where(
            _in_criterion(remote_cols, chunk, conn.dialect.name), *sub.criteria
        )
        for obj in _run_entity_select(session, stmt, conn, target, populate, sub, origin):
            by_key[tuple(obj.__dict__[target.column_to_key[c]] for c in remote_cols)] = obj
    for o, k in fk_of:
        item = by_key.get(k) if k is not None else None
        _set_loaded(o, prop, [item] if item is not None else [], populate)


def _selectin_collections(
    session: ObjectSession,
    prop: RelationshipProperty,
    todo: list[Any],
    sub: LoadTree,
    populate: bool,
    conn: Any,
    origin: InstanceState,
) -> None:
    """selectin of a one-to-many or many-to-many: each parent's collection, grouped by
    the parent's key."""
    local_cols = [lc for lc, _ in prop._pairs]
    parent_keys: dict[tuple[Any, ...], list[Any]] = {}
    for o in todo:
        k = _key_values(o, o.__dict__[STATE_ATTR], local_cols)
        if k is None:
            _set_loaded(o, prop, [], populate)
            continue
        parent_keys.setdefault(k, []).append(o)
    keys = list(parent_keys)
    grouped: dict[tuple[Any, ...], list[Any]] = {k: [] for k in keys}
    for i in range(0, len(keys), IN_BATCH):
        chunk = keys[i : i + IN_BATCH]
        if prop.direction is Direction.ONETOMANY and sub.columns:
            # column options may defer the foreign key: it is selected beside the
            # entity to group the rows (as many-to-many does)
            from .strategies import selectin_keyed

            selectin_keyed(session, prop, chunk, grouped, conn, sub, populate, origin)
        elif prop.direction is Direction.ONETOMANY:
            _selectin_children(session, prop, chunk, sub, populate, conn, origin, grouped)
        else:
            _selectin_secondary(session, prop, chunk, sub, conn, origin, grouped)
    for k, parents in parent_keys.items():
        for o in parents:
            _set_loaded(o, prop, grouped[k], populate)


def _selectin_children(
    session: ObjectSession,
    prop: RelationshipProperty,
    chunk: list[tuple[Any, ...]],
    sub: LoadTree,
    populate: bool,
    conn: Any,
    origin: InstanceState,
    grouped: dict[tuple[Any, ...], list[Any]],
) -> None:
    """One batch of a one-to-many selectin: the children, grouped by their foreign key
    (the loaded one when it was changed in memory)."""
    target = prop.mapper
    remote_cols = [rc for _, rc in prop.local_remote_pairs]
    remote_keys = [target.column_to_key[c] for c in remote_cols]
    stmt: Select[Any] = Select(target.class_).where(
        _in_criterion(remote_cols, chunk, conn.dialect.name), *sub.criteria
    )
    if prop.order_by:
        stmt = stmt.order_by(*prop.order_by)
    one_key = remote_keys[0] if len(remote_keys) == 1 else None
    for obj in _run_entity_select(session, stmt, conn, target, populate, sub, origin):
        d = obj.__dict__
        st: InstanceState = d[STATE_ATTR]
        if st.committed:  # changed in memory: group by the loaded (old) key
            k = tuple(st.committed.get(rk, d.get(rk)) for rk in remote_keys)
        elif one_key is not None:
            k = (d.get(one_key),)  # (a one-column foreign key: no generator per child)
        else:
            k = tuple(d.get(rk) for rk in remote_keys)
        members = grouped.get(k)
        if members is not None:
            members.append(obj)


def _selectin_secondary(
    session: ObjectSession,
    prop: RelationshipProperty,
    chunk: list[tuple[Any, ...]],
    sub: LoadTree,
    conn: Any,
    origin: InstanceState,
    grouped: dict[tuple[Any, ...], list[Any]],
) -> None:
    """One batch of a many-to-many selectin: the targets joined to the association
    table, grouped by the association row's parent key."""
    assert prop.secondary is not None
    target = prop.mapper
    sec_cols = [sc for _, sc in prop._pairs]
    stmt: Select[Any] = (
        Select(target.class_, *sec_cols)
        .select_from(
            Join(
                target.local_table,
                prop.secondary,
                and_(*[tc == sc for tc, sc in prop.secondary_target_pairs]),
            )
        )
        .where(_in_criterion(sec_cols, chunk, conn.dialect.name), *sub.criteria)
    )
    if prop.order_by:
        stmt = stmt.order_by(*prop.order_by)
    stmt = _criteria.inherit(stmt, origin)
    result = relationship_select(session, stmt, conn, sub).unique()
    for row in result.tuples():
        k = tuple(row[1:])
        if k in grouped:
            grouped[k].append(row[0])


def relationship_select(
    session: ObjectSession,
    stmt: Select[Any],
    conn: Any,
    tree: LoadTree | None,
    lazy_loaded_from: InstanceState | None = None,
) -> Result:
    """Run a relationship load's SELECT (``tree``: the loader options of the objects it
    loads). With ``do_orm_execute`` listeners it goes through them first, as every load
    the ORM runs itself does in SQLAlchemy (``is_relationship_load``; ``lazy_loaded_from``
    names the object of a lazy load)."""
    if not session.dispatch.do_orm_execute:
        return execute_select(session, stmt, None, conn, tree)

    def run(statement: Any) -> Result:
        return execute_select(session, statement, None, conn, tree)

    return session.relationship_load(stmt, lazy_loaded_from, run)


def _run_entity_select(
    session: ObjectSession,
    stmt: Select[Any],
    conn: Any,
    mapper: Mapper,
    populate: bool,
    tree: LoadTree | None = None,
    origin: InstanceState | None = None,
    lazy: bool = False,
) -> list[Any]:
    stmt = _criteria.inherit(stmt, origin)
    if populate:
        stmt = stmt.execution_options(populate_existing=True)
    result = relationship_select(session, stmt, conn, tree, origin if lazy else None)
    if getattr(result, "_require_unique", False):
        result = result.unique()
        return [r[0] for r in result.tuples()]
    return list(result.scalars())  # (the entity column without a Row per row)


# -- lazy loads -------------------------------------------------------------------------------
def _raise_lazy(prop: RelationshipProperty, strategy: str) -> None:
    raise exc.InvalidRequestError(
        f"'{prop.parent.class_.__name__}.{prop.key}' is not available due to "
        f"lazy='{strategy}'; load it in the query with selectinload() or joinedload(), or "
        "change the relationship's lazy= setting"
    )


def _extra_for(prop: RelationshipProperty, obj: Any, state: InstanceState) -> list[Any]:
    """A custom primaryjoin's criteria beyond the key pairs, with the parent's columns
    bound to ``obj``'s values (nothing for a relationship joined on its foreign keys)."""
    if not prop._custom:
        return []
    to_key = state.mapper.column_to_key

    def bind(col: Any) -> Any:
        return BindParameter(None, getattr(obj, to_key[col]), col.type)

    return prop._extra_criteria(bind)


def lazy_load(
    state: InstanceState,
    prop: RelationshipProperty,
    no_sql: bool = False,
    criteria: tuple[Any, ...] = (),
    tree: LoadTree | None = None,
) -> Any:
    """Load ``prop`` for one persistent object (or, with ``no_sql``, only from the map);
    ``criteria`` (from ``rel.and_(...)`` in a loader option) narrow the related rows;
    ``tree``: the loader options for the loaded objects (else the object's own)."""
    obj = state()
    session = state.session
    strategy = prop.lazy
    if state.load_strategies is not None:
        strategy = state.load_strategies.get(prop.key, strategy)
    if strategy == "raise" and not no_sql:
        _raise_lazy(prop, "raise")
    if session is None:
        if no_sql:
            return NO_VALUE
        raise exc.DetachedInstanceError(
            f"relationship {prop.parent.class_.__name__}.{prop.key} is not loaded and the "
            "instance is not bound to a Session, so it cannot be lazy loaded; load it "
            "before the session closes (e.g. selectinload()) or use expire_on_commit=False"
        )
    if strategy == "noload":
        if no_sql:
            return NO_VALUE
        _set_loaded(obj, prop, [], False)
        return obj.__dict__[prop.key]
    k: tuple[Any, ...] | None = None
    if prop.direction is Direction.MANYTOONE:
        done, value, k = _many_to_one_without_sql(session, state, obj, prop, no_sql)
        if done:
            return value
    elif no_sql:
        return NO_VALUE
    if strategy == "raise_on_sql":
        _raise_lazy(prop, "raise_on_sql")
    below: Any = tree
    if below is None and state.load_strategies is not None:
        below = state.load_strategies.get((prop.key, "options"))  # type: ignore[call-overload]
        if below is not None and not criteria:
            criteria = below.criteria  # lazyload(Parent.children.and_(...))
    key = state.key
    if key is None or key[2] is not None:  # (a row without a shard token needs no scope)
        scope = session.in_shard_of(state)
        if scope is not None:  # horizontal sharding: load from the shard of the parent's row
            with scope:
                return lazy_load(state, prop, no_sql, criteria, tree)
    session.check_active()
    if session.warn_lazy_loads:
        warn_lazy_load(obj, prop)
    session.autoflush_for_load()
    if k is None:  # (a many-to-one has its key already)
        k = _key_values(obj, state, [lc for lc, _ in prop._pairs])
    items = _lazy_select(session, state, obj, prop, k, criteria, below) if k is not None else []
    _set_loaded(obj, prop, items if prop.uselist else items[:1], False)
    return obj.__dict__.get(prop.key)


def _many_to_one_without_sql(
    session: ObjectSession,
    state: InstanceState,
    obj: Any,
    prop: RelationshipProperty,
    no_sql: bool,
) -> tuple[bool, Any, tuple[Any, ...] | None]:
    """A many-to-one's value when no SELECT is needed: (True, value, key) for a null
    foreign key, a target in the identity map, or ``no_sql``; else (False, None, key)."""
    local_cols = [lc for lc, _ in prop.local_remote_pairs]
    d = obj.__dict__
    if no_sql and any(prop.parent.column_to_key[c] not in d for c in local_cols):
        return True, NO_VALUE, None
    k = _key_values(obj, state, local_cols)
    if k is None:
        if not no_sql:
            d[prop.key] = None
        return True, None, None
    target = prop.mapper
    if not prop._custom and [rc for _, rc in prop.local_remote_pairs] == target.pk_columns:
        token = state.key[2] if state.key is not None else session._identity_token
        hit = session.identity_map.get_obj(target.identity_key_from_pk(k, token))
        if hit is not None and not hit.__dict__[STATE_ATTR].deleted:
            if not no_sql:
                d[prop.key] = hit
            return True, hit, k
    if no_sql:
        return True, NO_VALUE, k
    return False, None, k


def _lazy_select(
    session: ObjectSession,
    state: InstanceState,
    obj: Any,
    prop: RelationshipProperty,
    k: tuple[Any, ...],
    criteria: tuple[Any, ...],
    below: LoadTree | None,
) -> list[Any]:
    """The related objects of ``obj`` (its key values ``k``) from one SELECT; ``below``:
    the loader options for them."""
    if prop._target_alias is not None:
        from .aliased_target import lazy_select

        if below is None:
            below = LoadTree()
        below.path = below.path or (state.mapper,)
        return lazy_select(session, state, obj, prop, criteria, below)
    target = prop.mapper
    strategies = state.load_strategies
    conn = session.connection_for_mapper(target)
    if (
        below is None
        and not criteria
        and not prop._custom
        and prop.secondary is None
        and (strategies is None or _criteria.KEY not in strategies)
        and not target._selectin_subs
        and not _eager_relationships(target)
        and not session.dispatch.do_orm_execute  # (listeners see a statement)
    ):
        return _lazy_select_plain(session, conn, prop, k)
    if below is None:
        below = LoadTree()
    if not below.path:  # a lazy load's own eager loads count from its parent's class
        below.path = (state.mapper,)
    extra = _extra_for(prop, obj, state)
    if prop.secondary is None:
        remote_cols = [rc for _, rc in prop.local_remote_pairs]
        stmt: Select[Any] = Select(target.class_).where(
            and_(*[rc == BindParameter(None, v, rc.type) for rc, v in zip(remote_cols, k)]),
            *extra,
            *criteria,
        )
    else:
        sec_cols = [sc for _, sc in prop._pairs]
        stmt = (
            Select(target.class_)
            .select_from(Join(target.local_table, prop.secondary, prop._secondary_clause()))
            .where(
                and_(*[sc == BindParameter(None, v, sc.type) for sc, v in zip(sec_cols, k)]),
                *extra,
                *criteria,
            )
        )
    if prop.order_by and prop.direction is not Direction.MANYTOONE:
        stmt = stmt.order_by(*prop.order_by)
    return _run_entity_select(session, stmt, conn, target, False, below, origin=state, lazy=True)


#: (relationship, dialect) -> (the target's load_columns it was built for, its compiled
#: lazy-load SELECT, its parameters' names); emptied when it grows past _LAZY_PLANS_SIZE
_LAZY_PLANS: dict[tuple[RelationshipProperty, Any], tuple[list[Any], Any, tuple[str, ...]]] = {}
_LAZY_PLANS_SIZE = 5000


def _lazy_select_plain(
    session: ObjectSession, conn: Any, prop: RelationshipProperty, k: tuple[Any, ...]
) -> list[Any]:
    """The common lazy load (key columns only, no options): its SELECT is compiled once
    per relationship and dialect; each load binds the key and builds the rows."""
    dialect = conn.dialect
    target = prop.mapper
    plan = _LAZY_PLANS.get((prop, dialect))
    if plan is None or plan[0] is not target.load_columns:
        if len(_LAZY_PLANS) >= _LAZY_PLANS_SIZE:
            _LAZY_PLANS.clear()
        remote_cols = [rc for _, rc in prop.local_remote_pairs]
        stmt: Select[Any] = Select(target.class_).where(
            *[rc == BindParameter(f"lazy_{n}", None, rc.type) for n, rc in enumerate(remote_cols)]
        )
        if prop.order_by and prop.direction is not Direction.MANYTOONE:
            stmt = stmt.order_by(*prop.order_by)
        if target._union is not None:  # a ConcreteBase class: the key columns of its union
            stmt = _inheritance.union_criteria(stmt, target)
        plan = _LAZY_PLANS[(prop, dialect)] = (
            target.load_columns,
            compile_statement(stmt, dialect),
            tuple(f"lazy_{n}" for n in range(len(remote_cols))),
        )
    compiled = plan[1]
    params = compiled.construct_params(dict(zip(plan[2], k)))
    cursor = conn._run(compiled.sql, params)
    return _build_all(cursor, plain_builder(session, target, dialect.name))


__all__ = ["execute_select", "instance_builder", "lazy_load", "post_load", "selectin_load"]
