"""Loading: driver rows -> objects through the identity map; lazy and eager relationship loads.

Called by the session (select execution, get, refresh, expired attributes) and by
relationship attributes (lazy loads). Objects are built by filling ``__dict__`` directly,
without running the attribute-change machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..engine.result import Result
from ..sql.elements import BindParameter, and_, coerce, or_, replace_columns
from ..sql.selectable import FromStatement, Join, Select
from . import criteria as _criteria
from . import events as _events
from . import inheritance as _inheritance
from .attributes import InstrumentedList
from .base import (
    EAGER_STRATEGIES,
    LAZY_STRATEGIES,
    NO_VALUE,
    STATE_ATTR,
    Direction,
    IdentityKey,
    ObjectSession,
    make_identity_key,
)
from .lazy_warning import warn_lazy_load
from .relationships import RelationshipProperty
from .state import InstanceState, new_state
from .strategy_options import LoadTree

if TYPE_CHECKING:
    from .mapper import Mapper

IN_BATCH = 500


def _result_proc(expr: Any, dialect_name: str) -> Callable[[Any], Any] | None:
    t = getattr(expr, "type", None)
    return t._result(dialect_name) if t is not None else None


def _processors(mapper: Mapper, dialect_name: str) -> list[Callable[[Any], Any] | None]:
    cache = mapper.__dict__.setdefault("_result_procs", {})
    procs = cache.get(dialect_name)
    if procs is None:
        procs = cache[dialect_name] = [_result_proc(c, dialect_name) for c in mapper.load_columns]
    return procs  # type: ignore[no-any-return]


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
    the entity SELECT reads (`Mapper.entity_columns`); the mapper's lists otherwise.
    """
    if mapper._children and mapper.polymorphic_on is not None:
        # a class with mapped subclasses: the discriminator picks each row's class (the
        # choice is made here, once per query, so other mappers' rows pay nothing)
        from .inheritance import polymorphic_builder

        return polymorphic_builder(session, mapper, start, dialect_name, populate_existing, columns)
    cls = mapper.class_
    kcls = mapper._identity_class  # identity keys name the hierarchy's base class
    if columns is None or columns[1] is mapper.load_keys:
        keys = mapper.load_keys
        procs = _processors(mapper, dialect_name)
        pk_positions = mapper.load_pk_positions
    else:
        keys = columns[1]
        procs = [_result_proc(c, dialect_name) for c in columns[0]]
        pk_positions = [keys.index(k) for k in mapper.pk_keys]
    n = len(keys)
    end = start + n
    proc_items = [(i, p) for i, p in enumerate(procs) if p is not None]
    pk_pos = [start + p for p in pk_positions]
    # a key column whose values need converting (a DATETIME key on SQLite): the identity
    # key is made of converted values, as session.get() and the flush make it
    pk_procs = [procs[p] for p in pk_positions]
    if not any(pk_procs):
        pk_procs = []
    single_pk = pk_pos[0] if len(pk_pos) == 1 and not pk_procs else None
    imap = session.identity_map
    state_for = imap.state_for
    hold = imap.hold
    mk_key = make_identity_key
    token = session._identity_token
    if token is not None:  # a shard's rows (horizontal sharding): keys carry its id

        def mk_key(class_: type, pk: tuple[Any, ...], token: Any = token) -> IdentityKey:
            return (class_, pk, token)

    new_obj = object.__new__
    mk_state = new_state
    at_start = start == 0
    strategies: dict[str, str] | None = None
    recon = _events.on_load(mapper, session)
    if recon is not None:
        # @reconstructor: runs once per new object, after its state is attached (only
        # classes that have one pay for it)
        def mk_state(
            obj: Any,
            mapper: Mapper,
            key: IdentityKey | None = None,
            session: ObjectSession | None = None,
            load_strategies: dict[str, str] | None = None,
        ) -> InstanceState:
            st = new_state(obj, mapper, key, session, load_strategies)
            obj.__dict__[STATE_ATTR] = st
            hold(key, st)  # type: ignore[arg-type]
            recon(obj)
            return st

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

    rel_keys = list(mapper.relationships.keys()) if populate_existing else []

    def build(row: Sequence[Any]) -> Any:
        if single_pk is not None:
            pkv = row[single_pk]
            if pkv is None:
                return None
            pk: tuple[Any, ...] = (pkv,)
        else:
            pk = tuple(row[p] for p in pk_pos)
            if all(v is None for v in pk):
                return None
            if pk_procs:
                pk = tuple(
                    v if f is None or v is None else f(v) for v, f in zip(pk, pk_procs, strict=True)
                )
        key = mk_key(kcls, pk)
        state = state_for(key)
        if state is not None:
            obj = state()
            if obj is not None:
                d = obj.__dict__
                if populate_existing:
                    d.update(zip(keys, values(row)))
                    # relationships load again, under this query's options and criteria
                    for rkey in rel_keys:
                        d.pop(rkey, None)
                    state.load_strategies = strategies
                    state.clear_changes()
                    session.tracker.unmark_modified(state)
                    if mapper.dispatch.refresh:
                        _events.fire_refresh(state, session, None)
                elif any(k not in d for k in keys):  # expired: fill only the holes
                    holes = [k for k in keys if k not in d]
                    for k, v in zip(keys, values(row)):
                        if k not in d:
                            d[k] = v
                    if mapper.dispatch.refresh:
                        _events.fire_refresh(state, session, holes)
                return obj
        obj = new_obj(cls)
        d = obj.__dict__
        # zip() stops after the entity's columns, so a row that starts with them needs no slice
        d.update(zip(keys, values(row) if proc_items else (row if at_start else row[start:end])))
        state = mk_state(obj, mapper, key, session, strategies)
        d[STATE_ATTR] = state
        hold(key, state)
        return obj

    def set_strategies(s: dict[str, str] | None) -> None:
        nonlocal strategies
        strategies = s

    build.set_strategies = set_strategies  # type: ignore[attr-defined]
    return build


# -- SELECT execution -------------------------------------------------------------------------
def execute_select(
    session: ObjectSession, stmt: Select[Any], params: Any, conn: Any, tree: LoadTree | None = None
) -> Result:
    """Run an ORM-enabled SELECT and return rows of objects and values.

    ``tree`` gives loader options for the first entity directly (used by selectin loads
    that carry the rest of an option path).
    """
    if isinstance(stmt, FromStatement):
        return _execute_from_statement(session, stmt, params, conn)
    crit = _criteria.propagating(stmt) if stmt._options else ()
    if crit:
        stmt = _criteria.apply(stmt)
    dialect = conn.dialect
    entities = stmt._entities
    populate = bool(stmt._execution_options.get("populate_existing"))
    mapper_entities = [
        (i, e.__mapper__)
        for i, e in enumerate(entities)
        if (isinstance(e, type) and hasattr(e, "__mapper__"))
        or getattr(e, "_aliased_columns", None) is not None
    ]
    trees: dict[int, LoadTree] = {}
    for n, (i, mapper) in enumerate(mapper_entities):
        mapper._ensure_configured()
        trees[i] = (
            tree
            if (tree is not None and n == 0)
            else LoadTree.from_options(stmt._options, mapper.class_)
        )
    # joined eager loads: (relationship, index of the parent spec or -1, options below)
    specs: list[tuple[RelationshipProperty, int, LoadTree]] = []
    if mapper_entities and isinstance(entities[mapper_entities[0][0]], type):
        # (an aliased first entity loads its joined relationships with selectin)
        i0, m0 = mapper_entities[0]
        used = {id(t) for t in m0._from._tables()}
        if stmt._joins or stmt._select_from:  # tables the query joins itself
            used.update(id(t) for f in stmt._froms() for t in f._tables())
        # LIMIT / OFFSET count joined rows, not parents: collections then load with selectin
        limited = stmt._limit is not None or stmt._offset is not None
        joins: list[tuple[Any, Any, list[Any], Any]] = []
        _collect_joined(m0, trees[i0], -1, used, specs, limited, joins, frozenset())
    exec_stmt = stmt
    if specs:
        exec_stmt = stmt._generate()
        eager_order: list[Any] = []
        for (right, on, cols, _adapt), (prop, _parent, sub) in zip(joins, specs):
            if sub.contains_eager:  # contains_eager: the statement's own join has the rows
                _check_joined(stmt, prop, sub.eager_alias)
            if prop.uselist and prop.order_by and not sub.contains_eager:
                eager_order.extend(_adapt(c) if _adapt is not None else c for c in prop.order_by)
            if sub.contains_eager:
                pass
            elif sub.innerjoin:
                exec_stmt._eager_joins.append((right, on, False))  # type: ignore[arg-type]
            else:
                exec_stmt._eager_joins.append((right, on))
            exec_stmt._eager_columns.extend(cols)
        if eager_order:  # a joined collection's order_by follows the statement's own
            exec_stmt = exec_stmt.order_by(*eager_order)
    yield_per = stmt._execution_options.get("yield_per")
    if yield_per is not None:
        if not isinstance(yield_per, int) or isinstance(yield_per, bool) or yield_per < 1:
            raise exc.ArgumentError(f"yield_per={yield_per!r}: give a positive number of rows")
        if specs:
            raise exc.InvalidRequestError(
                "yield_per cannot be combined with joined eager loading (joinedload / "
                "lazy='joined'), whose rows must all be read first; use selectinload"
            )
    compiled = exec_stmt.compile(dialect)
    if yield_per is not None:
        cursor = conn._run_streaming(compiled.sql, compiled.construct_params(params))
    else:
        cursor = conn._run(compiled.sql, compiled.construct_params(params))
    raw_rows: list[Any] = []
    slices = compiled.entity_slices
    builders: list[Callable[[Sequence[Any]], Any]] = []
    for idx, (entity, start, end) in enumerate(slices):
        if entity is not None and getattr(entity, "_bundle_columns", None) is not None:
            all_procs = compiled.result_processors or [None] * end
            builders.append(
                entity.create_row_processor(
                    stmt,
                    [_value_getter(p, all_procs[p]) for p in range(start, end)],
                    entity._keys,
                )
            )
        elif entity is not None:
            emapper = entity.__mapper__
            t = trees.get(idx)
            cols, ckeys, col_strategies = emapper.entity_columns(
                [*stmt._options, *t.columns] if t is not None and t.columns else stmt._options
            )
            poly = getattr(entity, "_polymorphic_columns", None)
            if poly is not None:  # with_polymorphic(): the subclasses' columns too
                cols, ckeys = poly
            b = instance_builder(session, emapper, start, dialect.name, populate, (cols, ckeys))
            if t is not None or col_strategies or crit:
                lazy_overrides = {
                    k: st
                    for k, (st, _) in (t.children.items() if t is not None else ())
                    if st in LAZY_STRATEGIES
                }
                if t is not None and t.wildcard in LAZY_STRATEGIES:
                    for rprop in emapper.relationships.values():
                        if rprop.key not in t.children:
                            lazy_overrides[rprop.key] = t.wildcard
                if t is not None:
                    # options below a relationship left lazy: used when it loads
                    for k, (st, sub) in t.children.items():
                        if (sub.children or sub.columns or sub.criteria) and st in (
                            "default",
                            "select",
                        ):
                            lazy_overrides[(k, "options")] = sub  # type: ignore[index,assignment]
                if col_strategies:
                    lazy_overrides.update(col_strategies)
                if crit:  # with_loader_criteria reaches the objects' own loads
                    lazy_overrides[_criteria.KEY] = crit  # type: ignore[assignment]
                b.set_strategies(lazy_overrides or None)  # type: ignore[attr-defined]
            builders.append(b)
        else:  # a column, or each column of a table / subquery selected whole
            all_procs = compiled.result_processors or [None] * end
            builders.extend(_value_getter(p, all_procs[p]) for p in range(start, end))
    rows: list[tuple[Any, ...]] = []
    objs_only: list[Any] | None = None
    if yield_per is not None:
        from .strategies import streamed_result

        keys0 = compiled.result_keys or [
            getattr(e, "__name__", None) or getattr(e, "key", None) or f"col_{n}"
            for n, e in enumerate(entities)
        ]
        return streamed_result(
            session, cursor, builders, keys0, yield_per, mapper_entities, trees, populate
        )
    if len(builders) == 1 and not specs:
        # one entity (the usual select(User)): build objects chunk by chunk, so the driver's
        # rows are not all held at once, and keep a plain list (no tuple per row)
        build = builders[0]
        objs_only = []
        while True:
            chunk = cursor.fetchmany(1000)
            if not chunk:
                break
            objs_only.extend([build(r) for r in chunk])
    else:
        raw_rows = cursor.fetchall()
        rows = [tuple(b(r) for b in builders) for r in raw_rows]
    joined_keys: dict[int, set[str]] = {-1: set()}
    if specs:
        offset = slices[-1][2] if slices else 0
        first = mapper_entities[0][0]
        _populate_joined(
            session, rows, raw_rows, specs, offset, first, dialect.name, populate, joined_keys
        )
    for idx, (i, mapper) in enumerate(mapper_entities):
        if mapper._selectin_subs or stmt._options:  # polymorphic_load="selectin"
            _inheritance.selectin_after_load(
                session, conn, mapper, stmt._options, objs_only, rows, i
            )
        if (
            not trees[i].children
            and trees[i].wildcard is None
            and not any(
                p.lazy in EAGER_STRATEGIES
                for m in (mapper.self_and_descendants if mapper._children else (mapper,))
                for p in m.relationships.values()
            )
        ):
            continue  # nothing to load eagerly for this entity
        objs = _unique_objs(objs_only if objs_only is not None else (r[i] for r in rows))
        if objs:
            post_load(
                session,
                mapper,
                objs,
                trees[i],
                populate,
                skip=joined_keys[-1] if idx == 0 else set(),
            )
    keys = compiled.result_keys or [
        getattr(e, "__name__", None) or getattr(e, "key", None) or f"col_{n}"
        for n, e in enumerate(entities)
    ]
    if objs_only is not None:
        result = Result.from_scalars(keys[0], objs_only)
    else:
        result = Result(keys, rows)
    if any(prop.uselist for prop, _, _ in specs):
        result._require_unique = True
    return result


def _execute_from_statement(
    session: ObjectSession, stmt: FromStatement[Any], params: Any, conn: Any
) -> Result:
    """``select(User).from_statement(other)``: run ``other``, match its columns to each
    entity's mapped columns by name, build the objects."""
    dialect = conn.dialect
    inner = stmt._statement
    compiled = inner.compile(dialect)
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
        if tree.children or any(p.lazy in EAGER_STRATEGIES for p in mapper.relationships.values()):
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
    path: frozenset[RelationshipProperty],
) -> None:
    """Collect joined eager loads below ``mapper``; a table already in the query is
    joined again under an alias (self-referential and repeated targets). A relationship
    already joined on the way down loads with selectin (no endless self-joins)."""
    parent_adapt = joins[parent][3] if parent >= 0 else None
    for prop in mapper.relationships.values():
        strategy, sub = _strategy(prop, tree)
        if strategy == "contains_eager":
            sub.contains_eager = True
        elif strategy != "joined" or (limited and prop.uselist):
            continue
        if prop in path and prop.key not in tree.children:
            continue  # lazy="joined" met again on its own path: stop (selectin below)
        if prop.lazy in ("dynamic", "write_only"):
            _refuse_eager(prop)
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

        def on_parent(c: Any) -> Any:
            return parent_adapt(c) if parent_adapt is not None else c

        def on_target(c: Any, f: Any = target_adapt) -> Any:
            return f(c) if f is not None else c

        def on_sec(c: Any, f: Any = sec_adapt) -> Any:
            return f(c) if f is not None else c

        extra = [on_target(coerce(c)) for c in sub.criteria]
        if sec is not None:
            right: Any = Join(sec, target, and_(prop._secondary_clause(on_target, on_sec), *extra))
            on = prop._primary_clause(on_parent, on_sec)
        else:
            right = target
            on = and_(prop._primary_clause(on_parent, on_target), *extra)
        if prop.mapper.single:  # a relationship to a single-table subclass: its rows only
            on = and_(on, on_target(prop.mapper._single_criterion()))
        # an inner join only below inner joins: under an outer one it would drop parents
        sub.innerjoin = (sub.innerjoin or prop.innerjoin) and (
            parent < 0 or specs[parent][2].innerjoin
        )
        specs.append((prop, parent, sub))
        cols = prop.mapper.entity_columns(sub.columns)[0] if sub.columns else None
        if cols is None:
            cols = prop.mapper.load_columns
        joins.append((right, on, [on_target(c) for c in cols], target_adapt))
        _collect_joined(
            prop.mapper, sub, len(specs) - 1, used, specs, limited, joins, path | {prop}
        )


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
) -> None:
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
            builders.append(instance_builder(session, prop.mapper, pos, dialect_name, populate))
            pos += len(prop.mapper.load_columns)
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
            post_load(
                session,
                prop.mapper,
                _unique_objs(children_all),
                sub,
                populate,
                joined_keys.get(n, set()),
            )


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
    """Run selectin loads (and nested options) for freshly loaded ``objs``."""
    _post_load_props(session, mapper.relationships.values(), objs, tree, populate, skip)
    if mapper._children:
        # relationships declared on subclasses load for the objects of those classes
        for sub_mapper in mapper.self_and_descendants[1:]:
            own = [p for p in sub_mapper.relationships.values() if p.parent is sub_mapper]
            if own:
                mine = [o for o in objs if isinstance(o, sub_mapper.class_)]
                if mine:
                    _post_load_props(session, own, mine, tree, populate, skip)


def _post_load_props(
    session: ObjectSession,
    props: Any,
    objs: list[Any],
    tree: LoadTree,
    populate: bool,
    skip: set[str],
) -> None:
    for prop in props:
        if prop.key in skip:
            continue
        strategy, sub = _strategy(prop, tree)
        if strategy == "selectin" or (strategy == "joined" and prop.key not in skip):
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
                post_load(session, prop.mapper, _unique_objs(related), sub, populate, set())


def _key_values(obj: Any, state: InstanceState, cols: Sequence[Any]) -> tuple[Any, ...] | None:
    mapper = state.mapper
    d = obj.__dict__
    out = []
    for col in cols:
        key = mapper.column_to_key[col]
        v = d.get(key, NO_VALUE)
        if v is NO_VALUE:
            v = getattr(obj, key)
        out.append(v)
    if any(v is None for v in out):
        return None
    return tuple(out)


def _in_criterion(cols: Sequence[Any], keys: Sequence[tuple[Any, ...]]) -> Any:
    if len(cols) == 1:
        return cols[0].in_([k[0] for k in keys])
    return or_(*[and_(*[c == v for c, v in zip(cols, k)]) for k in keys])


def selectin_load(
    session: ObjectSession,
    prop: RelationshipProperty,
    objs: list[Any],
    sub: LoadTree,
    populate: bool,
) -> None:
    if prop.lazy in ("dynamic", "write_only"):
        _refuse_eager(prop)
    target = prop.mapper
    todo = [o for o in objs if populate or prop.key not in o.__dict__]
    if not todo:
        return
    if prop._custom or (sub.criteria and prop.direction is Direction.MANYTOONE):
        # criteria beyond the key pairs: join back to the parents
        from .strategies import selectin_via_parent

        selectin_via_parent(session, prop, todo, sub, populate)
        return
    conn = session.connection_for_mapper(target)
    origin: InstanceState = todo[0].__dict__[STATE_ATTR]  # with_loader_criteria of the load
    loaded: list[Any] = []
    if prop.direction is Direction.MANYTOONE:
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
                _in_criterion(remote_cols, chunk), *sub.criteria
            )
            for obj in _run_entity_select(session, stmt, conn, target, populate, sub, origin):
                by_key[tuple(obj.__dict__[target.column_to_key[c]] for c in remote_cols)] = obj
        for o, k in fk_of:
            item = by_key.get(k) if k is not None else None
            _set_loaded(o, prop, [item] if item is not None else [], populate)
            if item is not None:
                loaded.append(item)
    else:
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
                # entity to group the rows (as many-to-many does below)
                from .strategies import selectin_keyed

                selectin_keyed(session, prop, chunk, grouped, conn, sub, populate, origin)
            elif prop.direction is Direction.ONETOMANY:
                remote_cols = [rc for _, rc in prop.local_remote_pairs]
                stmt = Select(target.class_).where(_in_criterion(remote_cols, chunk), *sub.criteria)
                if prop.order_by:
                    stmt = stmt.order_by(*prop.order_by)
                for obj in _run_entity_select(session, stmt, conn, target, populate, sub, origin):
                    d = obj.__dict__
                    k = tuple(d.get(target.column_to_key[c]) for c in remote_cols)
                    st: InstanceState = d[STATE_ATTR]
                    if st.committed:  # changed in memory: group by the loaded (old) key
                        k = tuple(
                            st.committed.get(
                                target.column_to_key[c], d.get(target.column_to_key[c])
                            )
                            for c in remote_cols
                        )
                    if k in grouped:
                        grouped[k].append(obj)
            else:
                assert prop.secondary is not None
                sec_cols = [sc for _, sc in prop._pairs]
                stmt = (
                    Select(target.class_, *sec_cols)
                    .select_from(
                        Join(
                            target.local_table,
                            prop.secondary,
                            and_(*[tc == sc for tc, sc in prop.secondary_target_pairs]),
                        )
                    )
                    .where(_in_criterion(sec_cols, chunk), *sub.criteria)
                )
                if prop.order_by:
                    stmt = stmt.order_by(*prop.order_by)
                stmt = _criteria.inherit(stmt, origin)
                result = execute_select(session, stmt, None, conn, sub).unique()
                for row in result.tuples():
                    k = tuple(row[1:])
                    if k in grouped:
                        grouped[k].append(row[0])
        for k, parents in parent_keys.items():
            for o in parents:
                _set_loaded(o, prop, grouped[k], populate)
            loaded.extend(grouped[k])
    # objects that were already loaded (identity map hits) still get the nested options
    cached = [o for o in _unique_objs(loaded) if all(k in o.__dict__ for k in sub.children)]
    del cached


def _run_entity_select(
    session: ObjectSession,
    stmt: Select[Any],
    conn: Any,
    mapper: Mapper,
    populate: bool,
    tree: LoadTree | None = None,
    origin: InstanceState | None = None,
) -> list[Any]:
    stmt = _criteria.inherit(stmt, origin)
    if populate:
        stmt = stmt.execution_options(populate_existing=True)
    result = execute_select(session, stmt, None, conn, tree)
    if result._require_unique:
        result = result.unique()
    return [r[0] for r in result.tuples()]


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
        items: list[Any] = []
        _set_loaded(obj, prop, items, False)
        return obj.__dict__[prop.key]
    target = prop.mapper
    if prop.direction is Direction.MANYTOONE:
        local_cols = [lc for lc, _ in prop.local_remote_pairs]
        remote_cols = [rc for _, rc in prop.local_remote_pairs]
        d = obj.__dict__
        keys = [prop.parent.column_to_key[c] for c in local_cols]
        if no_sql and any(k not in d for k in keys):
            return NO_VALUE
        k = _key_values(obj, state, local_cols)
        if k is None:
            if no_sql:
                return None
            d[prop.key] = None
            return None
        if remote_cols == target.pk_columns and not prop._custom:
            token = state.key[2] if state.key is not None else session._identity_token
            hit = session.identity_map.get_obj(target.identity_key_from_pk(k, token))
            if hit is not None and not hit.__dict__[STATE_ATTR].deleted:
                if not no_sql:
                    d[prop.key] = hit
                return hit
        if no_sql:
            return NO_VALUE
    elif no_sql:
        return NO_VALUE
    if strategy == "raise_on_sql":
        _raise_lazy(prop, "raise_on_sql")
    below: Any = tree
    if below is None and state.load_strategies is not None:
        below = state.load_strategies.get((prop.key, "options"))  # type: ignore[call-overload]
        if below is not None and not criteria:
            criteria = below.criteria  # lazyload(Parent.children.and_(...))
    scope = session.in_shard_of(state)
    if scope is not None:  # horizontal sharding: load from the shard of the parent's row
        with scope:
            return lazy_load(state, prop, no_sql, criteria, tree)
    session.check_active()
    if session.warn_lazy_loads:
        warn_lazy_load(obj, prop)
    session.autoflush_for_load()
    conn = session.connection_for_mapper(target)
    if prop.direction is Direction.MANYTOONE:
        assert k is not None
        stmt: Select[Any] = Select(target.class_).where(
            and_(*[rc == BindParameter(None, v, rc.type) for rc, v in zip(remote_cols, k)]),
            *_extra_for(prop, obj, state),
            *criteria,
        )
        found = _run_entity_select(session, stmt, conn, target, False, below, origin=state)
        value = found[0] if found else None
        _set_loaded(obj, prop, [value] if value is not None else [], False)
        return obj.__dict__.get(prop.key)
    local_cols = [lc for lc, _ in prop._pairs]
    k = _key_values(obj, state, local_cols)
    if k is None:
        items = []
    elif prop.direction is Direction.ONETOMANY:
        remote_cols = [rc for _, rc in prop.local_remote_pairs]
        stmt = Select(target.class_).where(
            and_(*[rc == BindParameter(None, v, rc.type) for rc, v in zip(remote_cols, k)]),
            *_extra_for(prop, obj, state),
            *criteria,
        )
        if prop.order_by:
            stmt = stmt.order_by(*prop.order_by)
        items = _run_entity_select(session, stmt, conn, target, False, below, origin=state)
    else:
        assert prop.secondary is not None
        sec_cols = [sc for _, sc in prop._pairs]
        stmt = (
            Select(target.class_)
            .select_from(Join(target.local_table, prop.secondary, prop._secondary_clause()))
            .where(
                and_(*[sc == BindParameter(None, v, sc.type) for sc, v in zip(sec_cols, k)]),
                *_extra_for(prop, obj, state),
                *criteria,
            )
        )
        if prop.order_by:
            stmt = stmt.order_by(*prop.order_by)
        items = _run_entity_select(session, stmt, conn, target, False, below, origin=state)
    if prop.uselist:
        _set_loaded(obj, prop, items, False)
    else:
        _set_loaded(obj, prop, items[:1], False)
    return obj.__dict__.get(prop.key)


__all__ = ["execute_select", "instance_builder", "lazy_load", "post_load", "selectin_load"]
