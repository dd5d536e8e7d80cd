"""Mapped class inheritance: single-table subclasses, the discriminator, polymorphic loading.

Called by: declarative, mapper, loading, unitofwork. Declarative maps a subclass of a
mapped class, the mapper passes properties added to a parent to its subclasses, loading
picks one class per row, the SQL compiler adds a subclass's discriminator criterion.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.elements import ColumnElement, and_, coerce_expression
from ..sql.schema import Column
from .base import make_identity_key
from .mapper import _POLY_EXPR_KEY, Mapper
from .state import STATE_ATTR, InstanceState, new_state

if TYPE_CHECKING:
    from .base import ObjectSession

#: ``__mapper_args__`` keys a single-table subclass understands
SUBCLASS_ARGS = frozenset(
    {"polymorphic_identity", "polymorphic_abstract", "polymorphic_load", "inherits"}
)

#: inheritance keys that name strategies not built yet (refused with what is missing)
NOT_YET = {
    "concrete": "concrete table inheritance (concrete=True: each class with a complete "
    "table of its own) is not supported yet; map the classes separately, or use "
    "single-table inheritance (a subclass without __tablename__)",
    "inherit_condition": "inherit_condition is not supported (it configures joined-table "
    "inheritance, which is not supported yet)",
}


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
    if mapper.base_mapper.polymorphic_on is None:
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
    sub._identity_class = base.class_
    sub.polymorphic_map = base.polymorphic_map
    sub.polymorphic_on = base.polymorphic_on
    sub._poly_key = base._poly_key
    sub._poly_expr = base._poly_expr
    parent._children.append(sub)
    inherit_properties(sub)
    for m in parent.iterate_to_root():
        m._order_columns()


def inherit_properties(sub: Mapper) -> None:
    """Give ``sub`` every property of its parent that it does not define itself
    (relationships, column properties, synonyms, deferred settings); then its children."""
    parent = sub.inherits
    assert parent is not None
    for key, prop in parent.attrs.items():
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
        inherit_properties(child)


def propagate(parent: Mapper) -> None:
    """A property was added to ``parent``: its subclasses get it too."""
    for child in parent._children:
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
    disc_key = _POLY_EXPR_KEY if mapper._poly_expr is not None else mapper._poly_key
    if disc_key not in keys:
        raise exc.InvalidRequestError(
            f"loading {mapper.class_.__name__} needs its discriminator column "
            f"{disc_key!r}; it cannot be deferred or left out with load_only()"
        )
    di = keys.index(disc_key)
    disc_pos, disc_proc = start + di, procs[di]
    pk_pos = [start + keys.index(k) for k in mapper.pk_keys]
    single_pk = pk_pos[0] if len(pk_pos) == 1 else None
    kcls = mapper._identity_class

    Entry = tuple[Mapper, type, list[tuple[int, str, Any]], Any, list[str]]

    def entry(m: Mapper) -> Entry:
        own = [
            (start + i, k, procs[i])
            for i, k in enumerate(keys)
            if k != _POLY_EXPR_KEY
            and (k in m.columns or k in m.column_properties or k in m.expressions)
        ]
        return (m, m.class_, own, m._on_load, [k for _, k, _ in own])

    by_identity: dict[Any, Entry] = {}
    for ident, m in mapper.polymorphic_map.items():
        if m.isa(mapper):
            by_identity[ident] = entry(m)
        elif mapper.isa(m):
            by_identity[ident] = entry(mapper)  # a parent's identity: the queried class
    default = entry(mapper)
    imap = session.identity_map
    state_for = imap.state_for
    hold = imap.hold
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
            if disc is not None:
                raise exc.InvalidRequestError(
                    f"No such polymorphic_identity {disc!r} is defined (loading "
                    f"{mapper.class_.__name__} with primary key {pk})"
                )
            hit = default
        m, cls, items, recon, hkeys = hit
        key = make_identity_key(kcls, pk, token)
        state = state_for(key)
        if state is not None:
            obj = state()
            if obj is not None:
                d = obj.__dict__
                if populate_existing:
                    for pos, k, p in items:
                        v = row[pos]
                        d[k] = p(v) if p is not None and v is not None else v
                    state.clear_changes()
                    session.tracker.unmark_modified(state)
                elif any(k not in d for k in hkeys):  # expired: fill only the holes
                    for pos, k, p in items:
                        if k not in d:
                            v = row[pos]
                            d[k] = p(v) if p is not None and v is not None else v
                return obj
        if m.polymorphic_abstract:
            raise exc.InvalidRequestError(
                f"row with primary key {pk} is of the polymorphic_abstract class "
                f"{cls.__name__}, which has no polymorphic_identity"
            )
        obj = object.__new__(cls)
        d = obj.__dict__
        for pos, k, p in items:
            v = row[pos]
            if v is not None and p is not None:
                try:
                    v = p(v)
                except exc.ResultValueError as e:
                    raise exc.ResultValueError(f"{cls.__name__}.{k}: {e}") from None
            d[k] = v
        state = new_state(obj, m, key, session, strategies)
        d[STATE_ATTR] = state
        hold(key, state)
        if recon is not None:
            recon(obj)
        return obj

    def set_strategies(s: dict[str, str] | None) -> None:
        nonlocal strategies
        strategies = s

    build.set_strategies = set_strategies  # type: ignore[attr-defined]
    return build


def polymorphic_columns(
    mapper: Mapper, classes: Sequence[Mapper] | None
) -> tuple[list[Any], list[str]]:
    """The entity columns of ``with_polymorphic(mapper, classes)``: the mapper's own,
    then the columns each listed subclass (every subclass for None) adds."""
    cols, keys = list(mapper.load_columns), list(mapper.load_keys)
    targets = mapper.self_and_descendants if classes is None else classes
    for m in targets:
        for c, k in zip(m.load_columns, m.load_keys):
            if k not in keys:
                cols.append(c)
                keys.append(k)
    return cols, keys


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


# -- with_polymorphic ------------------------------------------------------------------------
class WithPolymorphic:
    """What `with_polymorphic` returns for a single-table hierarchy: selects the base
    class's rows with the columns of the named subclasses too (no load on first access);
    ``wp.Manager.manager_name`` names a subclass attribute, ``wp.name`` a base one."""

    def __init__(self, mapper: Mapper, classes: list[Mapper], name: str | None) -> None:
        self.__dict__["__mapper__"] = mapper
        self.__dict__["_classes"] = classes
        cols, keys = polymorphic_columns(mapper, classes)
        self.__dict__["_polymorphic_columns"] = (cols, keys)
        self.__dict__["_aliased_columns"] = cols
        self.__dict__["_result_key"] = name or mapper.class_.__name__
        self.__dict__["_by_name"] = {m.class_.__name__: m.class_ for m in classes}

    def __getattr__(self, key: str) -> Any:
        hit = self.__dict__["_by_name"].get(key)
        if hit is not None:
            return hit
        return getattr(self.__dict__["__mapper__"].class_, key)

    def __clause_element__(self) -> Any:
        return self.__dict__["__mapper__"].local_table

    def _adapt(self, element: Any) -> Any:
        return element  # the base table itself: nothing to adapt

    @property
    def entity(self) -> type:
        """The base class."""
        return self.__dict__["__mapper__"].class_  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        names = ", ".join(m.class_.__name__ for m in self._classes)
        return f"with_polymorphic({self.__mapper__.class_.__name__}, [{names}])"


def with_polymorphic(
    base: Any,
    classes: Any,
    selectable: Any = False,
    flat: bool = False,
    polymorphic_on: Any = None,
    aliased: bool = False,
    innerjoin: bool = False,
    adapt_on_names: bool = False,
    name: str | None = None,
    _use_mapper_path: bool = False,
) -> Any:
    """An entity selecting ``base``'s rows together with the columns of ``classes`` (a
    list of subclasses, or ``"*"`` for all), so each object loads complete in one query.

    Args:
        base: the hierarchy's class whose rows are selected.
        classes: subclasses of ``base`` whose columns are added, or ``"*"``.
        flat: accepted for compatibility (it changes joined-table aliasing only).
        name: the entity's key in result rows.

    Raises:
        ArgumentError: ``base`` is not a mapped class, a class is not a subclass of it, or
            ``selectable`` / ``polymorphic_on`` / ``aliased`` / ``innerjoin`` /
            ``adapt_on_names`` is given (not supported for single-table hierarchies yet).
    """
    unsupported = [
        n
        for n, v in (
            ("selectable", selectable),
            ("polymorphic_on", polymorphic_on),
            ("aliased", aliased),
            ("innerjoin", innerjoin),
            ("adapt_on_names", adapt_on_names),
            ("_use_mapper_path", _use_mapper_path),
        )
        if v not in (False, None)
    ]
    if unsupported:
        raise exc.ArgumentError(
            f"with_polymorphic(): {', '.join(unsupported)} not supported (single-table "
            "hierarchies select from the base table itself)"
        )
    mapper = getattr(base, "__mapper__", None) if isinstance(base, type) else None
    if mapper is None:
        raise exc.ArgumentError(f"with_polymorphic() needs a mapped class, got {base!r}")
    mapper._ensure_configured()
    if classes == "*" or classes is None:
        targets = mapper.self_and_descendants
    else:
        targets = [mapper]
        for c in classes if isinstance(classes, (list, tuple)) else [classes]:
            m = getattr(c, "__mapper__", None) if isinstance(c, type) else None
            if m is None or not m.isa(mapper):
                raise exc.ArgumentError(
                    f"with_polymorphic({mapper.class_.__name__}, ...): {c!r} is not a mapped "
                    f"subclass of {mapper.class_.__name__}"
                )
            if m not in targets:
                targets.append(m)
    return WithPolymorphic(mapper, targets, name)
