"""Mapped class inheritance: single-table, joined-table and concrete; polymorphic loading.

Called by: declarative, mapper, loading, util, expiry, relationships, unitofwork, joined_flush,
join_mapping, subquery_mapping, the ``uow_orm.orm`` package and uow_orm.ext.declarative
(``ConcreteBase``).
Declarative maps a subclass of a mapped class (onto its table, a table of its own joined to its
parent's, or a concrete table), the mapper passes properties added to a parent to its
subclasses, loading picks one class per row, relationships find the tables of joined
hierarchies, the SQL compiler adds a subclass's discriminator criterion.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.elements import BinaryExpression, ColumnElement, and_, coerce_expression
from ..sql.schema import Column
from .base import make_identity_key
from .mapper import _POLY_EXPR_KEY, Mapper
from .state import STATE_ATTR, InstanceState, new_state

if TYPE_CHECKING:
    from ..sql.schema import Table
    from .base import ObjectSession

#: ``__mapper_args__`` keys a single-table subclass understands
SUBCLASS_ARGS = frozenset(
    {"polymorphic_identity", "polymorphic_abstract", "polymorphic_load", "inherits"}
)

#: inheritance keys that name strategies not built yet (refused with what is missing)
NOT_YET = {
    "concrete": "concrete=True makes a subclass with a complete table of its own (concrete "
    "table inheritance); it applies to a subclass of a mapped class with a __tablename__, "
    "or to the base class of a ConcreteBase hierarchy",
    "inherit_condition": "inherit_condition applies to a joined-table subclass (a subclass "
    "with a __tablename__ of its own) only",
}

#: ``__mapper_args__`` keys a joined-table subclass understands
JOINED_ARGS = SUBCLASS_ARGS | {"inherit_condition", "eager_defaults"}


def joined_table_error(cls: type, parent: type, what: str) -> exc.ArgumentError:
    """The error for a subclass that would need joined-table (or concrete) inheritance."""
    return exc.ArgumentError(
        f"class {cls.__name__} subclasses the mapped class {parent.__name__} and has {what}: "
        "joined-table inheritance (a subclass table whose primary key references the "
        "parent's) is not supported yet; remove it to map "
        f"{cls.__name__} onto {parent.__name__}'s table (single-table inheritance), or use "
        "a mixin (an unmapped base class) for two separate tables"
    )


# -- the discriminator -----------------------------------------------------------------------
def resolve_polymorphic_on(mapper: Mapper, value: Any, column_of: Callable[[Any], Any]) -> None:
    """Set ``mapper.polymorphic_on`` from ``__mapper_args__['polymorphic_on']``: a column,
    a column's attribute name or an SQL expression (``case(...)``)."""
    if isinstance(value, (str, Column)) or hasattr(value, "column"):
        col = column_of(value)
        key = mapper.column_to_key.get(col)
        if key is None:
            raise exc.ArgumentError(
                f"{mapper.class_.__name__}: polymorphic_on names column {col.name!r}, which "
                "the class does not map"
            )
        mapper.polymorphic_on = col
        mapper._poly_key = key
        return
    expr = coerce_expression(value)
    if not isinstance(expr, ColumnElement):
        raise exc.ArgumentError(
            f"{mapper.class_.__name__}: polymorphic_on must be a column, a column name or an "
            f"SQL expression, got {value!r}"
        )
    mapper.polymorphic_on = expr
    mapper._poly_expr = expr
    mapper._order_columns()


def set_identity(mapper: Mapper, identity: Any, abstract: bool) -> None:
    """Record ``polymorphic_identity`` / ``polymorphic_abstract`` of ``mapper``."""
    mapper.polymorphic_abstract = abstract
    if abstract:
        type.__setattr__(mapper.class_, "__new__", staticmethod(new_abstract))
    if identity is None:
        if mapper.inherits is not None and mapper.polymorphic_on is not None and not abstract:
            warnings.warn(
                f"Mapper {mapper.class_.__name__} does not indicate a polymorphic_identity, "
                "yet is part of an inheritance hierarchy that has a polymorphic_on "
                "discriminator; its objects load as the nearest parent class with an "
                "identity. Give it __mapper_args__ = {'polymorphic_identity': ...} or "
                "'polymorphic_abstract': True",
                exc.SAWarning,
                stacklevel=5,
            )
        return
    if abstract:
        raise exc.ArgumentError(
            f"{mapper.class_.__name__}: polymorphic_abstract=True classes have no "
            "polymorphic_identity"
        )
    if mapper.base_mapper.polymorphic_on is None and not (
        mapper.concrete or mapper.base_mapper._concrete_union
    ):
        raise exc.ArgumentError(
            f"{mapper.class_.__name__} has polymorphic_identity={identity!r} but its "
            f"hierarchy's base class {mapper.base_mapper.class_.__name__} has no "
            "polymorphic_on discriminator"
        )
    pmap = mapper.polymorphic_map
    other = pmap.get(identity)
    if other is not None and other is not mapper:
        warnings.warn(
            f"Reassigning polymorphic association for identity {identity!r} from "
            f"{other.class_.__name__} to {mapper.class_.__name__}",
            exc.SAWarning,
            stacklevel=5,
        )
    mapper.polymorphic_identity = identity
    pmap[identity] = mapper
    if mapper._poly_key is not None:
        type.__setattr__(mapper.class_, "__new__", staticmethod(_new_with_identity))
    if mapper.inherits is not None:
        for m in mapper.inherits.iterate_to_root():
            m.__dict__.pop("_sql_cache", None)


def _new_with_identity(cls: type, *args: Any, **kw: Any) -> Any:
    """``__new__`` of a class with a polymorphic identity: the discriminator attribute
    is set on construction (constructor keywords may still override it), as in
    SQLAlchemy."""
    obj: Any = object.__new__(cls)
    mapper: Mapper | None = cls.__dict__.get("__mapper__")
    if mapper is None:
        raise exc.UnmappedClassError(f"class {cls.__name__} is not mapped")
    d = obj.__dict__
    d[STATE_ATTR] = new_state(obj, mapper)
    d[mapper._poly_key] = mapper.polymorphic_identity
    return obj


def new_abstract(cls: type, *args: Any, **kw: Any) -> Any:
    """``__new__`` of a ``polymorphic_abstract`` class: refuses."""
    mapper = cls.__dict__.get("__mapper__")
    if mapper is not None and mapper.polymorphic_abstract:
        raise exc.InvalidRequestError(
            f"Can't instantiate class for {mapper}; mapper is marked polymorphic_abstract=True"
        )
    if mapper is not None:  # a mapped subclass that inherited this __new__
        if mapper._poly_key is not None and mapper.polymorphic_identity is not None:
            return _new_with_identity(cls)
        obj: Any = object.__new__(cls)
        obj.__dict__[STATE_ATTR] = new_state(obj, mapper)
        return obj
    raise exc.UnmappedClassError(f"class {cls.__name__} is not mapped")


# -- subclass mappers ----------------------------------------------------------------------
def link(sub: Mapper, parent: Mapper, polymorphic_load: Any = None) -> None:
    """Make ``sub`` a single-table subclass mapper of ``parent``; ``polymorphic_load`` is
    None or ``"inline"`` (its columns load with queries for its parents)."""
    if polymorphic_load not in (None, "inline"):
        raise exc.ArgumentError(
            f"{sub.class_.__name__}: polymorphic_load={polymorphic_load!r} is not supported "
            "for single-table inheritance; use 'inline' (or with_polymorphic() in the query)"
        )
    sub.polymorphic_load = polymorphic_load
    base = parent.base_mapper
    sub.inherits = parent
    sub.single = True
    sub.base_mapper = base
    sub._flush_base = parent._flush_base
    sub._identity_class = parent._identity_class
    sub.polymorphic_map = base.polymorphic_map
    sub.polymorphic_on = base.polymorphic_on
    sub._poly_key = base._poly_key
    sub._poly_expr = base._poly_expr
    parent._children.append(sub)
    inherit_properties(sub)
    for m in parent.iterate_to_root():
        m._order_columns()
    register_subclass_columns(sub)
    if parent._joined_tables is not None:  # under a joined-table subclass: its join
        sub._inherit_pairs = []
        _set_from(sub)


#: id(column) of columns two sibling subclasses share (use_existing_column): no one owner
_SHARED: set[int] = set()


def register_subclass_columns(sub: Mapper) -> None:
    """The columns a single-table subclass adds (not its parent's) name that subclass in a
    WHERE clause: ``select(Employee).where(Manager.manager_name == "x")`` reads manager
    rows only, as in SQLAlchemy. A column two siblings share names neither."""
    from ..sql.compiler import SUBCLASS_COLUMNS

    parent = sub.inherits
    if parent is None or not sub.single:
        return
    for key, col in sub.columns.items():
        if key in parent.columns or parent.column_to_key.get(col) is not None:
            continue
        cid = id(col)
        if cid in _SHARED:
            continue
        hit = SUBCLASS_COLUMNS.get(cid)
        if hit is not None and hit[0] is col and hit[1] is not sub:
            if not sub.isa(hit[1]):
                del SUBCLASS_COLUMNS[cid]  # a sibling maps it too
                _SHARED.add(cid)
            continue
        SUBCLASS_COLUMNS[cid] = (col, sub)


def inherit_properties(sub: Mapper) -> None:
    """Give ``sub`` every property of its parent that it does not define itself
    (relationships, column properties, synonyms, deferred settings); then its children."""
    parent = sub.inherits
    assert parent is not None
    # (dict.items: at mapping time, not the listing that configures the registry)
    for key, prop in dict.items(parent.attrs):
        if key in sub.attrs:
            continue
        sub.attrs[key] = prop
        if key in parent.relationships:
            sub.relationships[key] = parent.relationships[key]
        if key in parent.column_attrs:
            sub.column_attrs[key] = parent.column_attrs[key]
        if key in parent.synonyms:
            sub.synonyms[key] = parent.synonyms[key]
    for key, p in parent.properties.items():
        sub.properties.setdefault(key, p)
    for key, setter in parent.setters.items():
        if key not in sub.setters and key not in sub.columns:
            # the plain attribute: the subclass installs its own validators (found on the
            # parent class too) around it, so a parent's @validates runs once
            while type(setter).__name__ in ("_ValidatingSetter", "_MutableSetter"):
                setter = setter.attr
            sub.setters[key] = setter
    for key, expr in parent.column_properties.items():
        sub.column_properties.setdefault(key, expr)
    for key, spec in parent.deferred.items():
        sub.deferred.setdefault(key, spec)
    for key, expr in parent.expressions.items():
        sub.expressions.setdefault(key, expr)
    if parent.validators or parent.mutable_keys:
        sub._init_direct = {}
    sub._order_columns()
    for child in sub._children:
        if not child.concrete:
            inherit_properties(child)


def propagate(parent: Mapper) -> None:
    """A property was added to ``parent``: its (non-concrete) subclasses get it too."""
    for child in parent._children:
        if not child.concrete:
            inherit_properties(child)


def single_criterion(mapper: Mapper) -> ColumnElement | None:
    """``discriminator IN (identities of mapper and its subclasses)`` for a single-table
    subclass (None for a hierarchy's root or a class outside any hierarchy)."""
    if not mapper.single or mapper.polymorphic_on is None:
        return None
    idents = [
        m.polymorphic_identity
        for m in mapper.self_and_descendants
        if m.polymorphic_identity is not None
    ]
    on = mapper.polymorphic_on
    if not idents:
        raise exc.InvalidRequestError(
            f"{mapper.class_.__name__} is polymorphic_abstract and has no subclass with a "
            "polymorphic_identity to query"
        )
    return on.in_(idents)  # type: ignore[no-any-return]


def add_criterion(mapper: Any, on: Any) -> Any:
    """``on`` AND the discriminator criterion of ``mapper`` (``on`` alone when none)."""
    crit = single_criterion(mapper) if mapper is not None else None
    if crit is None:
        return on
    return crit if on is None else and_(on, crit)


# -- loading ---------------------------------------------------------------------------------
#: what the polymorphic row builder knows of one class: (mapper, class, [(row position,
#: attribute key, result processor)], load hook, attribute keys, identity-key class)
_Entry = tuple[Mapper, type, list[tuple[int, str, Any]], Any, list[str], type]


def _entries(
    mapper: Mapper, start: int, keys: list[str], procs: list[Any]
) -> tuple[dict[Any, _Entry], _Entry]:
    """Per polymorphic identity, what a row of that class reads (a parent's identity: the
    queried class); and the entry of the queried class itself (rows without identity)."""

    # with_polymorphic() of siblings mapping one key to columns of their own tables: the
    # second one is selected under "key\0id(mapper)" (polymorphic.polymorphic_columns)
    owned: dict[str, set[int]] = {}
    for k in keys:
        if "\0" in k:
            attr, owner = k.split("\0")
            owned.setdefault(attr, set()).add(int(owner))

    def entry(m: Mapper) -> _Entry:
        if not owned:
            own = [
                (start + i, k, procs[i])
                for i, k in enumerate(keys)
                if k != _POLY_EXPR_KEY
                and (k in m.columns or k in m.column_properties or k in m.expressions)
            ]
        else:
            own = _sibling_entry(m, start, keys, procs, owned)
        # (identity keys name the hierarchy's base class; a concrete class its own)
        return (m, m.class_, own, m._on_load, [k for _, k, _ in own], m._identity_class)

    by_identity: dict[Any, _Entry] = {}
    for ident, m in mapper.polymorphic_map.items():
        if m.isa(mapper):
            by_identity[ident] = entry(m)
        elif mapper.isa(m):
            by_identity[ident] = entry(mapper)
    return by_identity, entry(mapper)


def _sibling_entry(
    m: Mapper, start: int, keys: list[str], procs: list[Any], owned: dict[str, set[int]]
) -> list[tuple[int, str, Any]]:
    """`_entries` of class ``m`` when sibling classes map one key to different columns:
    each class reads the column of its own line of ancestors."""
    chain = {id(x) for x in m.iterate_to_root()}
    own: list[tuple[int, str, Any]] = []
    for i, k in enumerate(keys):
        if k == _POLY_EXPR_KEY:
            continue
        if "\0" in k:
            attr, owner = k.split("\0")
            if int(owner) in chain:
                own.append((start + i, attr, procs[i]))
            continue
        if k in owned and owned[k] & chain:
            continue  # this class reads its own column of that name
        if k in m.columns or k in m.column_properties or k in m.expressions:
            own.append((start + i, k, procs[i]))
    return own


def _discriminator_position(mapper: Mapper, keys: list[str]) -> int:
    """Where among ``keys`` the discriminator of ``mapper``'s hierarchy is selected.

    Raises:
        InvalidRequestError: it is not selected (deferred, left out by load_only()).
    """
    disc_key = _POLY_EXPR_KEY if mapper._poly_expr is not None else mapper._poly_key
    if disc_key not in keys:
        raise exc.InvalidRequestError(
            f"loading {mapper.class_.__name__} needs its discriminator column "
            f"{disc_key!r}; it cannot be deferred or left out with load_only()"
        )
    return keys.index(disc_key)


def _refill(
    session: ObjectSession, state: Any, d: dict[str, Any], row: Sequence[Any], hit: _Entry,
    populate_existing: bool,
) -> None:  # fmt: skip
    """An object of the identity map met again in a row: overwritten with
    ``populate_existing``, else only its expired (missing) attributes are filled."""
    items = hit[2]
    if populate_existing:
        for pos, k, p in items:
            v = row[pos]
            d[k] = p(v) if p is not None and v is not None else v
        state.clear_changes()
        session.tracker.unmark_modified(state)
    elif any(k not in d for k in hit[4]):
        for pos, k, p in items:
            if k not in d:
                v = row[pos]
                d[k] = p(v) if p is not None and v is not None else v


def _new_object(hit: _Entry, row: Sequence[Any], pk: tuple[Any, ...]) -> Any:
    """A new object of the row's class with the row's values of its attributes.

    Raises:
        InvalidRequestError: the row is of a ``polymorphic_abstract`` class.
    """
    m, cls, items = hit[0], hit[1], hit[2]
    if m.polymorphic_abstract:
        raise exc.InvalidRequestError(
            f"row with primary key {pk} is of the polymorphic_abstract class "
            f"{cls.__name__}, which has no polymorphic_identity"
        )
    obj: Any = object.__new__(cls)
    d = obj.__dict__
    for pos, k, p in items:
        v = row[pos]
        if v is not None and p is not None:
            try:
                v = p(v)
            except exc.ResultValueError as e:
                raise exc.ResultValueError(f"{cls.__name__}.{k}: {e}") from None
        d[k] = v
    return obj


def _without_identity(mapper: Mapper, disc: Any, pk: tuple[Any, ...], default: _Entry) -> _Entry:
    """The entry of a row whose discriminator names no class: the queried class's for
    NULL.

    Raises:
        InvalidRequestError: the value is no ``polymorphic_identity`` of the hierarchy.
    """
    if disc is not None:
        raise exc.InvalidRequestError(
            f"No such polymorphic_identity {disc!r} is defined (loading "
            f"{mapper.class_.__name__} with primary key {pk})"
        )
    return default


def polymorphic_builder(
    session: ObjectSession,
    mapper: Mapper,
    start: int,
    dialect_name: str,
    populate_existing: bool,
    columns: tuple[list[Any], list[str]] | None,
) -> Callable[[Sequence[Any]], Any]:
    """A row builder for a mapper with subclasses: the discriminator of each row picks the
    class (and mapper) of the object; each gets the selected columns its class maps."""
    from .loading import _result_proc

    cols, keys = columns if columns is not None else (mapper.load_columns, mapper.load_keys)
    procs = [_result_proc(c, dialect_name) for c in cols]
    di = _discriminator_position(mapper, keys)
    disc_pos, disc_proc = start + di, procs[di]
    pk_pos = [start + keys.index(k) for k in mapper.pk_keys]
    single_pk = pk_pos[0] if len(pk_pos) == 1 else None
    by_identity, default = _entries(mapper, start, keys, procs)
    state_for, hold = session.identity_map.state_for, session.identity_map.hold
    strategies: dict[str, str] | None = None
    token = session._identity_token  # the shard being read (None outside sharding)

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
        disc = row[disc_pos]
        if disc is not None and disc_proc is not None:
            disc = disc_proc(disc)
        hit = by_identity.get(disc)
        if hit is None:
            hit = _without_identity(mapper, disc, pk, default)
        key = make_identity_key(hit[5], pk, token)
        state = state_for(key)
        if state is not None:
            obj = state()
            if obj is not None:
                _refill(session, state, obj.__dict__, row, hit, populate_existing)
                return obj
        obj = _new_object(hit, row, pk)
        state = new_state(obj, hit[0], key, session, strategies)
        obj.__dict__[STATE_ATTR] = state
        hold(key, state)
        if hit[3] is not None:
            hit[3](obj)
        return obj

    def set_strategies(s: dict[str, str] | None) -> None:
        nonlocal strategies
        strategies = s

    build.set_strategies = set_strategies  # type: ignore[attr-defined]
    return build


# -- unit of work ------------------------------------------------------------------------
def by_mapper(states: Sequence[InstanceState]) -> list[tuple[Mapper, list[InstanceState]]]:
    """``states`` of one hierarchy grouped by their mapper (first-seen order; the order of
    states within a group is kept): one batch of statements per class, not per object."""
    groups: dict[Mapper, list[InstanceState]] = {}
    for st in states:
        g = groups.get(st.mapper)
        if g is None:
            g = groups[st.mapper] = []
        g.append(st)
    return list(groups.items())


# -- joined-table inheritance ----------------------------------------------------------------
def check_joined_args(cls: type, parent: Mapper, mapper_args: dict[str, Any]) -> None:
    """Refuse ``__mapper_args__`` keys a joined-table subclass does not take."""
    for k in mapper_args:
        if k == "concrete":
            raise exc.ArgumentError(f"{cls.__name__}.__mapper_args__['concrete']: {NOT_YET[k]}")
        if k == "inherits" and mapper_args[k] not in (parent.class_, parent):
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__['inherits'] must be its mapped parent "
                f"{parent.class_.__name__}"
            )
        if k not in JOINED_ARGS:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__[{k!r}]: a joined-table subclass takes "
                + ", ".join(sorted(JOINED_ARGS))
                + " (the rest is configured on the hierarchy's base class)"
            )


def _references(col: Column[Any], parent: Mapper) -> Column[Any] | None:
    """The column of ``parent``'s tables that ``col`` has a foreign key to (or None)."""
    names = {t.name for t in parent.tables}
    for fk in col.foreign_keys:
        if fk.target_table_name in names:
            target: Column[Any] = fk.column
            return target
    return None


def joined_columns(
    cls: type, parent: Mapper, table: Table, own: dict[str, Column[Any]]
) -> tuple[dict[str, Column[Any]], list[tuple[str, Column[Any]]]]:
    """The attribute columns of a joined subclass (the parent's, then the new ones of its
    table) and the extra columns that share an attribute with a parent's column (its key
    columns, same-named columns: SQLAlchemy's "implicitly combining")."""
    columns = dict(parent.columns.items())
    extra = list(parent._extra_columns)
    for key, col in own.items():
        if key in columns:
            if _references(col, parent) is not columns[key] and not col.primary_key:
                warnings.warn(
                    f"Implicitly combining column {columns[key].table.name}."
                    f"{columns[key].name} with column {table.name}.{col.name} under "
                    f"attribute {key!r}.  Please configure one or more attributes for these "
                    "same-named columns explicitly.",
                    exc.SAWarning,
                    stacklevel=6,
                )
            extra.append((key, col))
            continue
        columns[key] = col
    return columns, extra


def _inherit_condition(sub: Mapper, parent: Mapper, given: Any) -> Any:
    """The ON clause joining ``sub``'s table to ``parent``'s chain: ``inherit_condition``,
    else the foreign key from the subclass table (a key column's, when there are several)."""
    if given is not None:
        cond = coerce_expression(given)
        if not isinstance(cond, ColumnElement):
            raise exc.ArgumentError(
                f"{sub.class_.__name__}: inherit_condition must be an SQL expression, got {given!r}"
            )
        return cond
    table = sub.local_table
    found = [(c, t) for c in table.c if (t := _references(c, parent)) is not None]
    if len(found) > 1:
        found = [(c, t) for c, t in found if c.primary_key] or found
    if not found:
        raise exc.NoForeignKeysError(
            f"Can't find any foreign key relationships between "
            f"'{parent.local_table.name}' and '{table.name}': the joined-table subclass "
            f"{sub.class_.__name__} needs a primary key column with a ForeignKey to "
            f"{parent.class_.__name__}'s (or __mapper_args__['inherit_condition'])"
        )
    if len({t.table for _c, t in found}) > 1 or len(found) > len(parent.pk_columns):
        raise exc.AmbiguousForeignKeysError(
            f"Can't determine join between '{parent.local_table.name}' and '{table.name}'; "
            "tables have more than one foreign key constraint relationship between them. "
            "Please specify the 'onclause' of this join explicitly "
            "(__mapper_args__['inherit_condition'])."
        )
    return and_(*[t == c for c, t in found])


def condition_pairs(cond: Any) -> list[tuple[Column[Any], Column[Any]]]:
    """The (left, right) column pairs of the ``a = b AND c = d`` ON clause ``cond``."""
    out: list[tuple[Column[Any], Column[Any]]] = []
    stack = [cond]
    while stack:
        e = stack.pop()
        if isinstance(e, BinaryExpression) and getattr(e, "operator", None) in ("=", "=="):
            left, right = e.left, e.right
            if isinstance(left, Column) and isinstance(right, Column):
                out.append((left, right))
            continue
        stack.extend(getattr(e, "clauses", ()))
    return out


def link_joined(sub: Mapper, parent: Mapper, inherit_condition: Any, polymorphic_load: Any) -> None:
    """Make ``sub`` a joined-table subclass mapper of ``parent``: its table joins the
    parent's chain by ``inherit_condition`` (inferred from its foreign key when None)."""
    if polymorphic_load not in (None, "inline", "selectin"):
        raise exc.ArgumentError(
            f"{sub.class_.__name__}: polymorphic_load must be 'inline' or 'selectin', got "
            f"{polymorphic_load!r}"
        )
    base = parent.base_mapper
    sub.polymorphic_load = polymorphic_load
    sub.inherits = parent
    sub.base_mapper = base
    sub._flush_base = parent._flush_base
    sub._identity_class = parent._identity_class
    sub.polymorphic_map = base.polymorphic_map
    sub.polymorphic_on = base.polymorphic_on
    sub._poly_key = base._poly_key
    sub._poly_expr = base._poly_expr
    cond = _inherit_condition(sub, parent, inherit_condition)
    sub.inherit_condition = cond
    pairs = condition_pairs(cond)
    own = set(sub.local_table.c)
    #: (parent column, own column) pairs: the subclass row's key comes from the parent's
    sub._inherit_pairs = [(a, b) if b in own else (b, a) for a, b in pairs]
    for pcol, scol in sub._inherit_pairs:
        if scol not in sub.column_to_key:
            # an unmapped key column: written with the parent's attribute value
            key = parent.column_to_key.get(pcol)
            if key is not None:
                sub._extra_columns.append((key, scol))
                sub.column_to_key[scol] = key
    _own_expressions(sub)
    if polymorphic_load == "selectin":
        for m in parent.iterate_to_root():
            m._selectin_subs = [*m._selectin_subs, sub]
    parent._children.append(sub)
    inherit_properties(sub)
    for m in parent.iterate_to_root():
        m._order_columns()
    for m in sub.self_and_descendants:
        _set_from(m)
    for m in parent.iterate_to_root():
        _set_from(m)


def _own_expressions(sub: Mapper) -> None:
    """An attribute mapped by a column of the subclass's own table and a parent's (its key
    column, a same-named column) renders as the subclass's column in SQL, as in
    SQLAlchemy: ``Manager.id`` is ``manager.id``; the object's value is written to both."""
    from .attributes import ColumnAttribute

    for key, scol in sub._extra_columns:
        if scol.table is not sub.local_table:
            continue
        attr: ColumnAttribute[Any] = ColumnAttribute(sub.class_, key, sub, scol)
        type.__setattr__(sub.class_, key, attr)
        sub.setters[key] = attr
        prop = sub.column_attrs.get(key)
        if prop is not None:
            prop.columns = [scol, *[c for c in prop.columns if c is not scol]]


def inner_join(mapper: Mapper) -> Any:
    """The inner join of a joined subclass's chain of tables (its table for other mappers)."""
    if mapper._joined_tables is None or mapper.inherits is None:
        return mapper.local_table
    from ..sql.selectable import Join

    parent = inner_join(mapper.inherits)
    if mapper.single:
        return parent
    return Join(parent, mapper.local_table, mapper.inherit_condition)


def _set_from(mapper: Mapper) -> None:
    """What entity SELECTs of ``mapper`` read: its chain's inner join, with LEFT OUTER
    JOINs to the joined subclasses whose columns load inline."""
    from ..sql.selectable import Join

    frm = inner_join(mapper)
    every = mapper.base_mapper._with_polymorphic_all
    for m in mapper.self_and_descendants[1:]:
        if m._joined_tables is None or m.single:
            continue
        if m.polymorphic_load == "inline" or every:
            frm = Join(frm, m.local_table, m.inherit_condition, True)
    mapper._from = frm
    mapper.__dict__.pop("_sql_cache", None)


def relationship_tables(prop: Any, secondary: Any, fk_cols: list[Any]) -> tuple[Any, Any]:
    """The (parent, target) tables a relationship between classes of joined-table
    hierarchies joins along: the pair of their chains' tables (most specific first) that
    a foreign key links, leaving out the subclass-to-parent key references."""
    parent, target = prop.parent, prop.mapper
    inherit_fks = {
        id(c) for m in (parent, target) for mm in m.iterate_to_root() for _p, c in mm._inherit_pairs
    }

    def links(a: Any, b: Any) -> bool:
        for col in a.c:
            if fk_cols and not any(col is f for f in fk_cols):
                continue
            if id(col) in inherit_fks and not fk_cols:
                continue
            if any(fk.target_table_name == b.name for fk in col.foreign_keys):
                return True
        return False

    ptables = list(reversed(parent.tables))
    ttables = list(reversed(target.tables))
    if secondary is not None:
        pt = next((t for t in ptables if links(secondary, t)), ptables[0])
        tt = next((t for t in ttables if links(secondary, t) and t is not pt), None)
        return pt, tt if tt is not None else next(
            (t for t in ttables if links(secondary, t)), ttables[0]
        )
    for pt in ptables:
        for tt in ttables:
            if links(tt, pt) or links(pt, tt):
                return pt, tt
    return ptables[0], ttables[0]


def joined_subquery(mapper: Mapper, name: str | None) -> Any:
    """What ``aliased(Manager)`` of a joined-table subclass reads from: a subquery of the
    join of its tables, one column per attribute (labelled by the attribute key)."""
    from ..sql.selectable import Select

    cols = [c.label(k) for c, k in zip(mapper.column_list, mapper.column_keys)]
    return Select(*cols).select_from(mapper._from).subquery(name)


def eager_target(mapper: Mapper, used: set[int]) -> tuple[Any, Any]:
    """The FROM a joined eager load of a relationship to ``mapper`` (a joined-table class,
    or a base with subclasses that load inline) joins to, and the adapter of its columns
    (None when no table of it is in the query yet; else every table is aliased)."""
    from ..sql.elements import replace_columns
    from ..sql.selectable import Join

    if mapper._union is not None:
        return _union_target(mapper, used)
    frm = mapper._from
    tables = frm._tables()
    if not any(id(t) in used for t in tables):
        used.update(id(t) for t in tables)
        return frm, None
    aliases = [t.alias() for t in tables]

    def find(col: Any) -> Any:
        for a in aliases:
            hit = a.corresponding_column(col)
            if hit is not None:
                return hit
        return None

    def adapt(el: Any) -> Any:
        return replace_columns(el, find)

    def rebuild(f: Any) -> Any:
        if isinstance(f, Join):
            return Join(rebuild(f.left), rebuild(f.right), adapt(f.onclause), f.isouter, f.full)
        return aliases[next(i for i, t in enumerate(tables) if t is f)]

    used.update(id(a) for a in aliases)
    return rebuild(frm), adapt


def _union_target(mapper: Mapper, used: set[int]) -> tuple[Any, Any]:
    """`eager_target` of a `ConcreteBase` class: its union (under another name when the
    query has it already), with an adapter aiming the class's own table's columns (a
    relationship's ON clause) and the union's at it."""
    from ..sql.elements import replace_columns
    from ..sql.selectable import Alias

    union = mapper._union
    target = Alias(union) if id(union) in used else union
    used.add(id(target))
    table = mapper.local_table

    def swap(col: Any) -> Any:
        if isinstance(col, Column) and col.table is table and col.name in target.c:
            return target.c[col.name]
        if target is not union and getattr(col, "subquery", None) is union:
            return target.c[col.name]
        return None

    def adapt(el: Any) -> Any:
        return replace_columns(el, swap)

    return target, adapt


# -- concrete table inheritance --------------------------------------------------------------
class ConcreteBase:
    """A declarative mixin for the base class of a concrete hierarchy: queries for the
    base select the ``UNION ALL`` of its table and every ``concrete=True`` subclass's table
    (SQLAlchemy's polymorphic union, a subquery named ``pjoin``), with a ``type`` column
    (``_concrete_discriminator_name``) holding each row's ``polymorphic_identity``."""

    _concrete_discriminator_name = "type"


class AbstractConcreteBase(ConcreteBase):
    """A declarative mixin for a concrete hierarchy's base class that has no table of its
    own: it is mapped (``polymorphic_abstract``) once its first ``concrete=True``
    subclass is, onto the ``UNION ALL`` of its subclasses' tables (``pjoin``); its
    declared columns are copied into each subclass, as a mixin's (``strict_attrs = True``
    subclasses redeclare them)."""


CONCRETE_ONLY = frozenset({"concrete", "inherits"})


def is_concrete_base(cls: type) -> bool:
    """True for a class mapped as the base of a `ConcreteBase` hierarchy."""
    return isinstance(cls, type) and issubclass(cls, ConcreteBase)


def check_concrete_args(cls: type, mapper_args: dict[str, Any]) -> None:
    """Refuse ``__mapper_args__`` a concrete subclass does not take."""
    for k in ("polymorphic_on", "polymorphic_load", "inherit_condition", "with_polymorphic"):
        if k in mapper_args:
            raise exc.ArgumentError(
                f"{cls.__name__}.__mapper_args__[{k!r}] is not supported on a concrete=True "
                "subclass (the hierarchy's base configures polymorphic loading)"
            )


def refuse_abstract_concrete(cls: type) -> None:
    """Raise for an `AbstractConcreteBase` class given a table of its own.

    Raises:
        ArgumentError: naming AbstractConcreteBase and what to use instead.
    """
    if isinstance(cls, type) and AbstractConcreteBase in cls.__bases__:
        raise exc.ArgumentError(
            f"{cls.__name__}: an AbstractConcreteBase class has no table of its own (its "
            "queries read its subclasses' tables); remove __tablename__ / __table__, or use "
            "ConcreteBase for a base class with a table"
        )


def start_abstract_concrete(cls: type) -> None:
    """``class Thing(AbstractConcreteBase, Base)`` (no table): remember its declared
    attributes (copied into each subclass); it is mapped with its first subclass."""
    if not (isinstance(cls, type) and AbstractConcreteBase in cls.__bases__):
        return
    stash = {k: v for k, v in cls.__dict__.items() if not (k.startswith("__") and k.endswith("__"))}
    type.__setattr__(cls, "_uow_acb_values", stash)


def attach_abstract_concrete(first: Mapper) -> None:
    """The first concrete subclass of an `AbstractConcreteBase` class is mapped: map the
    abstract class (attributes: its declared columns and the key, read from the union of
    its subclasses' tables) and make ``first`` its concrete subclass."""
    from ..sql.schema import MetaData, Table

    acb = next((b for b in first.class_.__mro__[1:] if "_uow_acb_values" in b.__dict__), None)
    if acb is None or "__mapper__" in acb.__dict__:
        return
    stash = acb.__dict__["_uow_acb_values"]
    keys = [k for k in first.column_keys if k in stash or k in first.pk_keys]
    cols = {k: first.columns[k].copy() for k in keys}
    table = Table(f"_{acb.__name__}_abstract", MetaData(), *cols.values())
    mapped = {k: table.c[c.name] for k, c in cols.items()}
    mapper = Mapper(
        acb,
        table,
        mapped,
        {},
        first.registry,
        primary_key=[mapped[k] for k in first.pk_keys],
    )
    type.__setattr__(acb, "__mapper__", mapper)
    mapper._concrete_union = True
    mapper._abstract_union = True
    mapper.polymorphic_abstract = True
    type.__setattr__(acb, "__new__", staticmethod(new_abstract))
    mapper._install_class_hooks()
    first.registry.add(mapper)
    mapper.polymorphic_map.update(first.polymorphic_map)
    link_concrete(first, mapper)
    build_union(mapper)


def start_concrete_base(mapper: Mapper) -> None:
    """``class Employee(ConcreteBase, Base)``: the mapper's base queries will read the
    polymorphic union of the hierarchy's tables (built as subclasses are mapped)."""
    mapper._concrete_union = True


class _NotInherited:
    """Stands on a concrete subclass for an attribute of its parent it does not map: the
    subclass's table has no such column (SQLAlchemy raises AttributeError too)."""

    def __init__(self, cls: type, key: str) -> None:
        self.cls = cls
        self.key = key

    def __get__(self, obj: Any, owner: Any) -> Any:
        raise AttributeError(
            f"Concrete mapper {owner.__name__} does not implement attribute {self.key!r} "
            "(it is mapped on a parent class only); add it to the subclass explicitly"
        )

    def __set__(self, obj: Any, value: Any) -> None:
        self.__get__(obj, type(obj))


def link_concrete(sub: Mapper, parent: Mapper) -> None:
    """Make ``sub`` a concrete subclass mapper of ``parent``: its own table and columns,
    its own identity-map keys and flush; part of the hierarchy for ``isa()``, the
    polymorphic map and the base's union."""
    base = parent.base_mapper
    sub.concrete = True
    sub.inherits = parent
    sub.base_mapper = base
    base.polymorphic_map.update(sub.polymorphic_map)
    sub.polymorphic_map = base.polymorphic_map
    parent._children.append(sub)
    for key in dict.keys(parent.attrs):  # (mapping time: no configure)
        if key not in sub.attrs and key not in sub.class_.__dict__:
            type.__setattr__(sub.class_, key, _NotInherited(sub.class_, key))


def concrete_linked(sub: Mapper) -> None:
    """A concrete subclass is mapped: the unions of its `ConcreteBase` ancestors grow."""
    for m in sub.inherits.iterate_to_root() if sub.inherits is not None else ():
        if m._concrete_union:
            build_union(m)


def build_union(mapper: Mapper) -> None:
    """The polymorphic union of a `ConcreteBase` class: ``SELECT cols, 'identity' AS type
    FROM table UNION ALL ...`` over its table and its concrete subclasses' tables, a
    missing column as ``CAST(NULL AS type)``; the class's queries read it (subquery
    ``pjoin``) and its attributes name its columns."""
    from ..sql.elements import cast, literal, null
    from ..sql.selectable import Select, union_all

    given = mapper.__dict__.get("_given_union")
    if given is not None:  # with_polymorphic=("*", polymorphic_union(...)): the user's
        _attach_union(mapper, given, mapper.polymorphic_on)
        return
    members = [
        m
        for m in mapper.self_and_descendants
        if m.concrete or (m is mapper and not mapper._abstract_union)
    ]
    names: dict[str, Any] = {}
    for m in members:
        for c in m.column_list:
            names.setdefault(c.name, c)
    disc = getattr(mapper.class_, "_concrete_discriminator_name", "type")
    selects: list[Any] = []
    for m in members:
        own = {c.name: c for c in m.column_list}
        cols = [
            own[n].label(n) if n in own else cast(null(), proto.type).label(n)
            for n, proto in names.items()
        ]
        ident = m.polymorphic_identity
        cols.append(cast(literal(ident), literal(ident).type).label(disc))
        selects.append(Select(*cols).select_from(m.local_table))
    pjoin = (union_all(*selects) if len(selects) > 1 else selects[0]).subquery("pjoin")
    _attach_union(mapper, pjoin, pjoin.c[disc])


def _attach_union(mapper: Mapper, pjoin: Any, disc: Any) -> None:
    """Make ``mapper``'s queries read the union ``pjoin`` (discriminator column ``disc``);
    its attributes name the union's columns."""
    from .attributes import ColumnAttribute

    mapper._union = pjoin
    mapper._from = pjoin
    mapper.polymorphic_on = disc
    mapper._poly_expr = disc
    mapper._query_pk = [pjoin.c[c.name] for c in mapper.pk_columns]
    by_name = {c.name: k for k, c in mapper.columns.items()}
    for name, key in by_name.items():  # Employee.name is pjoin.name, as in SQLAlchemy
        if name not in pjoin.c:
            continue
        attr: ColumnAttribute[Any] = ColumnAttribute(mapper.class_, key, mapper, pjoin.c[name])
        type.__setattr__(mapper.class_, key, attr)
        if key in mapper.setters and type(mapper.setters[key]) is ColumnAttribute:
            mapper.setters[key] = attr
    if mapper._mapped_subquery is not None:  # mapped onto the union: its type attribute
        from .subquery_mapping import discriminator_attribute

        discriminator_attribute(mapper, pjoin)
    mapper._order_columns()
    mapper.__dict__.pop("_sql_cache", None)


def polymorphic_union(
    table_map: dict[Any, Any],
    typecolname: str | None,
    aliasname: str = "p_union",
    cast_nulls: bool = True,
) -> Any:
    """SQLAlchemy's ``polymorphic_union()``: the ``UNION ALL`` of the tables of
    ``table_map`` (polymorphic identity -> table), each with every column of all of them
    (``CAST(NULL AS type)``, or ``NULL`` without ``cast_nulls``, where a table lacks
    one) and its identity in column ``typecolname``, as a subquery named ``aliasname``;
    the selectable of a concrete hierarchy's base mapped with
    ``__mapper_args__ = {"with_polymorphic": ("*", pjoin), "polymorphic_on": pjoin.c.type}``.

    Raises:
        ArgumentError: ``table_map`` is empty.
    """
    from ..sql.elements import cast, literal, null
    from ..sql.selectable import Select, union_all

    if not table_map:
        raise exc.ArgumentError("polymorphic_union() needs at least one table")
    names: dict[str, Any] = {}
    for table in table_map.values():
        for c in table.c:
            names.setdefault(c.name, c)
    selects: list[Any] = []
    for ident, table in table_map.items():
        own = {c.name: c for c in table.c}
        cols = [
            own[n].label(n)
            if n in own
            else (cast(null(), proto.type) if cast_nulls else null()).label(n)
            for n, proto in names.items()
        ]
        if typecolname is not None:
            cols.append(cast(literal(ident), literal(ident).type).label(typecolname))
        selects.append(Select(*cols).select_from(table))
    union = union_all(*selects) if len(selects) > 1 else selects[0]
    return union.subquery(aliasname)


def use_polymorphic_union(mapper: Mapper, pjoin: Any) -> None:
    """``__mapper_args__["with_polymorphic"] = ("*", pjoin)`` on a concrete hierarchy's
    base (SQLAlchemy's semi-classical concrete mapping): its queries read ``pjoin`` (a
    `polymorphic_union`), whose discriminator is the ``polymorphic_on`` column.

    Raises:
        ArgumentError: ``pjoin`` is not a subquery, or ``polymorphic_on`` is not one of
            its columns.
    """
    from ..sql.selectable import Subquery

    disc = mapper.polymorphic_on
    if not isinstance(pjoin, Subquery) or not any(c is disc for c in pjoin.c):
        raise exc.ArgumentError(
            f"{mapper.class_.__name__}.__mapper_args__['with_polymorphic'] = ('*', "
            "selectable) takes a polymorphic_union() subquery whose type column is "
            "polymorphic_on (polymorphic_on=pjoin.c.type); or use ConcreteBase"
        )
    mapper._concrete_union = True
    mapper.__dict__["_given_union"] = pjoin
    _attach_union(mapper, pjoin, disc)


def union_criteria(stmt: Any, mapper: Mapper) -> Any:
    """``stmt`` (a SELECT of the `ConcreteBase` class ``mapper``, which reads its
    polymorphic union) with the WHERE clause's columns of the class's own table aimed at
    the union's same-named columns, as SQLAlchemy adapts them: a relationship's
    ``employee.company_id = ?`` reads ``pjoin.company_id``, not a second FROM."""
    from ..sql.elements import replace_columns

    if not stmt._where:
        return stmt
    table, pjoin = mapper.local_table, mapper._union

    def swap(col: Any) -> Any:
        if isinstance(col, Column) and col.table is table and col.name in pjoin.c:
            return pjoin.c[col.name]
        return None

    where = [replace_columns(w, swap) for w in stmt._where]
    if all(a is b for a, b in zip(where, stmt._where)):
        return stmt
    out = stmt._generate()
    out._where = where
    return out


def union_condition(on: Any, *mappers: Mapper) -> Any:
    """``on`` (a relationship's join condition) with the columns of the own table of each
    `ConcreteBase` class among ``mappers`` aimed at its union's same-named columns:
    ``join(Company.employees)`` joins ``pjoin ON company.id = pjoin.company_id``."""
    from ..sql.elements import replace_columns

    swaps = [(m.local_table, m._union) for m in mappers if m._union is not None]

    def swap(col: Any) -> Any:
        for table, pjoin in swaps:
            if isinstance(col, Column) and col.table is table and col.name in pjoin.c:
                return pjoin.c[col.name]
        return None

    return replace_columns(on, swap)


def union_load(mapper: Mapper) -> tuple[list[Any], list[str]]:
    """What an entity SELECT of a `ConcreteBase` class reads: every column of its union
    (under the attribute key of the subclass that maps it) and the discriminator."""
    pjoin = mapper._union
    keys: list[str] = []
    cols: list[Any] = []
    for m in [mapper, *[d for d in mapper.self_and_descendants if d.concrete]]:
        for c, k in zip(m.column_list, m.column_keys):
            if k not in keys and k not in m.deferred and c.name in pjoin.c:
                keys.append(k)
                cols.append(pjoin.c[c.name])
    if mapper._poly_expr is not None:  # (None: a class mapped to a plain subquery)
        cols.append(mapper._poly_expr)
        keys.append(_POLY_EXPR_KEY)
    return cols, keys
