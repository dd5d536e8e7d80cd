"""``with_loader_criteria``: extra WHERE criteria for every load of a class (or its base).

Applied by loading to ORM SELECTs that carry the option, and by the SQL compiler (through
the option's ``_apply_to_nested_select``) to the SELECTs nested in them; objects those
SELECTs load carry the option on to their lazy and selectin loads (``propagate_to_loaders``).

Called by: loading (``with_loader_criteria``), strategies (relationship criteria),
query (``Query.count()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from .. import exc
from ..sql.elements import ExecutableOption

if TYPE_CHECKING:
    from .state import InstanceState

#: the key of ``InstanceState.load_strategies`` carrying the options to lazy loads (not an
#: attribute name: a NUL cannot be in one)
KEY = "\0loader_criteria"


class LoaderCriteriaOption(ExecutableOption):
    """The option `with_loader_criteria` returns."""

    __slots__ = ("entity", "include_aliases", "propagate_to_loaders", "where_criteria")
    #: the statement cache's key of this option (`uow_orm.sql.cache`): the criteria reach
    #: the SQL as the WHERE clause loading adds before compiling, so they are keyed there
    #: (a lambda made anew for each query would otherwise never hit the cache)
    _cache_key_slots: ClassVar[tuple[str, ...]] = (
        "entity",
        "include_aliases",
        "propagate_to_loaders",
    )

    def __init__(
        self,
        entity: Any,
        where_criteria: Any,
        include_aliases: bool,
        propagate_to_loaders: bool,
    ) -> None:
        self.entity = entity
        self.where_criteria = where_criteria
        self.include_aliases = include_aliases
        self.propagate_to_loaders = propagate_to_loaders

    def __repr__(self) -> str:
        return f"with_loader_criteria({getattr(self.entity, '__name__', self.entity)!r}, ...)"

    def _applies(self, entity: Any) -> tuple[bool, Any]:
        """(whether this option filters ``entity``, the class or alias to call it with)."""
        aliased_mapper = getattr(entity, "_aliased_columns", None)
        if aliased_mapper is not None:
            cls = entity.__mapper__.class_
            if not self.include_aliases:
                return False, None
        elif isinstance(entity, type) and hasattr(entity, "__mapper__"):
            cls = entity
        else:
            return False, None
        target = self.entity
        target_cls = getattr(target, "class_", target)  # a Mapper gives its class
        return (isinstance(target_cls, type) and issubclass(cls, target_cls)), entity

    def _apply_to_nested_select(
        self, stmt: Any, options: list[Any], froms: list[Any] | None = None
    ) -> Any:
        """``stmt``, a SELECT nested in one that carries ``options`` (this option among
        them), with their criteria for the entities it reads; called by the compiler,
        which gives ``froms``, the FROM items the SELECT does not correlate away."""
        if stmt.__dict__.get("_criteria_applied"):
            return stmt  # the ORM's own SELECT, already filtered (LIMIT with joined eager)
        opts = [o for o in options if isinstance(o, LoaderCriteriaOption)]
        return _apply_options(stmt, opts, froms)

    def criterion(self, entity: Any) -> Any:
        """The criteria for ``entity`` (the class, or its alias): the expression given, or
        what the callable given returns for it."""
        crit = self.where_criteria
        return crit(entity) if callable(crit) else crit


def with_loader_criteria(
    entity_or_base: Any,
    where_criteria: Any | Callable[[Any], Any],
    loader_only: bool = False,
    include_aliases: bool = False,
    propagate_to_loaders: bool = True,
    track_closure_variables: bool = True,
) -> LoaderCriteriaOption:
    """Add ``where_criteria`` to every SELECT of ``entity_or_base`` (a mapped class, or a
    base class / mixin: every mapped subclass) made with this option, and, with
    ``propagate_to_loaders``, to the lazy and selectin loads of the objects it loads.

    ``where_criteria`` is an expression, or a callable taking the class (or its alias,
    with ``include_aliases``) and returning one: ``lambda cls: cls.deleted == False``.

    Raises:
        ArgumentError: ``loader_only=True`` (not supported); a bad entity.
    """
    if loader_only:
        raise exc.ArgumentError("with_loader_criteria(loader_only=True) is not supported")
    if not isinstance(entity_or_base, type) and not hasattr(entity_or_base, "class_"):
        raise exc.ArgumentError(
            f"with_loader_criteria() takes a class (mapped, a base or a mixin), not "
            f"{entity_or_base!r}"
        )
    del track_closure_variables  # lambdas are called on every use: nothing is cached
    return LoaderCriteriaOption(
        entity_or_base, where_criteria, include_aliases, propagate_to_loaders
    )


def options_of(stmt: Any) -> list[LoaderCriteriaOption]:
    """The ``with_loader_criteria`` options of a statement."""
    return [o for o in stmt._options if isinstance(o, LoaderCriteriaOption)]


def apply(stmt: Any) -> Any:
    """``stmt`` with the criteria of its ``with_loader_criteria`` options added: in WHERE
    for the entities it selects from (``select(User)``, ``select(User.id)``), in the ON
    clause for the entities it joins to (so an outer join keeps its unmatched rows)."""
    opts = options_of(stmt)
    if not opts:
        return stmt
    out = _apply_options(stmt, opts)
    if out is stmt:
        out = stmt._generate()
    out.__dict__["_criteria_applied"] = True
    return out


def _apply_options(
    stmt: Any, opts: list[LoaderCriteriaOption], froms: list[Any] | None = None
) -> Any:
    """``stmt`` with the criteria of ``opts`` for the entities it selects and joins, and
    for the mapped classes it reads from without selecting them (``select_from(Child)``,
    ``exists().where(Child.parent_id == Parent.id)``: SQLAlchemy's ORM-annotated FROM
    items) when their table is in ``froms`` (default: the statement's FROM list);
    ``stmt`` itself when none applies."""
    joined = _join_targets(stmt)
    joined_ids = {id(e) for e, _t in joined}
    where = []
    seen: set[int] = set()
    for entity in _selected_entities(stmt):
        if id(entity) in seen or id(entity) in joined_ids:
            continue
        seen.add(id(entity))
        where.extend(_criteria_for(opts, entity))
    from_entities = _from_entities(stmt)
    if from_entities:
        if froms is None:
            froms = stmt._froms()
        tables = [t for f in froms for t in f._tables()]
        for entity in from_entities:
            if id(entity) in seen or id(entity) in joined_ids:
                continue
            seen.add(id(entity))
            if getattr(entity, "_aliased_columns", None) is not None:
                table = entity.__clause_element__()  # an aliased() class: its alias
            else:
                table = entity.__mapper__.local_table
            if any(table is t for t in tables):
                where.extend(_criteria_for(opts, entity))
    on_extra: dict[int, list[Any]] = {}
    for entity, table in joined:
        crits = _criteria_for(opts, entity)
        if crits:
            on_extra.setdefault(id(table), []).extend(crits)
    out = stmt
    if on_extra:
        out = _with_join_criteria(stmt, on_extra)
    return out.where(*where) if where else out


def _criteria_for(opts: list[LoaderCriteriaOption], entity: Any) -> list[Any]:
    out = []
    for opt in opts:
        ok, arg = opt._applies(entity)
        if ok:
            out.append(opt.criterion(arg))
    return out


def _selected_entities(stmt: Any) -> list[Any]:
    """The classes (or aliases) a SELECT reads: its entities, and the owners of the
    column attributes it selects (``select(User.id)`` reads ``User``)."""
    out = []
    for e in stmt._entities:
        if isinstance(e, type) or getattr(e, "_aliased_columns", None) is not None:
            out.append(e)
            continue
        owner = getattr(e, "entity", None)  # an aliased class's column attribute
        if owner is not None and getattr(owner, "_aliased_columns", None) is not None:
            out.append(owner)
            continue
        if not getattr(e, "is_relationship", False) and hasattr(e, "mapper"):
            cls = getattr(e, "class_", None)
            if isinstance(cls, type):
                out.append(cls)
            continue
        # an SQL function of column attributes: select(func.count(User.id)) reads User
        for m in getattr(e, "_orm_mappers", ()):
            out.append(m.class_)
    return out


def _from_entities(stmt: Any) -> list[Any]:
    """The mapped classes a SELECT reads from without selecting them: those given to
    ``select_from()``, and those whose attributes built its WHERE criteria (nested
    SELECTs not entered)."""
    from ..sql.elements import BinaryExpression, ClauseElement
    from ..sql.selectable import Select
    from ..sql.visitors import get_children

    out: list[Any] = list(stmt.__dict__.get("_orm_from_entities", ()))
    stack: list[Any] = list(stmt._where)
    while stack:
        el = stack.pop()
        if isinstance(el, BinaryExpression):
            out.extend(el._orm_entities or ())
        if isinstance(el, ClauseElement) and not isinstance(el, Select):
            stack.extend(get_children(el))
    return [
        e
        for e in out
        if (isinstance(e, type) and hasattr(e, "__mapper__"))
        or getattr(e, "_aliased_columns", None) is not None
    ]


def _join_targets(stmt: Any) -> list[tuple[Any, Any]]:
    """(entity, its FROM clause) of each mapped class or alias the statement joins to."""
    out: list[tuple[Any, Any]] = []
    for target, _on, _outer, _full in stmt._joins:
        target = getattr(target, "right", target)  # join_from(a, b): b
        prop = getattr(target, "prop", None)
        if prop is not None and hasattr(target, "_join_info"):  # join(User.addresses)
            alias = getattr(target, "target_alias", None)
            if alias is not None:
                out.append((alias, alias.__clause_element__()))
            else:
                out.append((prop.mapper.class_, prop.mapper.local_table))
            continue
        if getattr(target, "_aliased_columns", None) is not None:
            out.append((target, target.__clause_element__()))
        elif isinstance(target, type) and hasattr(target, "__mapper__"):
            out.append((target, target.__mapper__.local_table))
    return out


def _with_join_criteria(stmt: Any, on_extra: dict[int, list[Any]]) -> Any:
    """``stmt`` with its joins spelled out as FROM clauses whose ON clauses carry the
    extra criteria of their right-hand tables."""
    from ..sql.elements import and_
    from ..sql.selectable import Join

    def add(f: Any) -> Any:
        if not isinstance(f, Join):
            return f
        right = add(f.right)
        on = f.onclause
        extra = on_extra.get(id(f.right))
        if extra:
            on = and_(on, *extra)
        return Join(add(f.left), right, on, f.isouter, f.full)

    froms = stmt._froms()
    explicit = {id(f) for f in stmt._select_from}
    out = stmt._generate()
    out._select_from = [add(f) for f in froms if isinstance(f, Join) or id(f) in explicit]
    out._joins = []
    return out


def propagating(stmt: Any) -> tuple[LoaderCriteriaOption, ...]:
    """The options of ``stmt`` that objects it loads carry to their own loads."""
    return tuple(o for o in options_of(stmt) if o.propagate_to_loaders)


def inherit(stmt: Any, state: InstanceState | None) -> Any:
    """A lazy / selectin load ``stmt`` of ``state``'s relationship, with the options the
    object was loaded with."""
    if state is None or not state.load_strategies:
        return stmt
    opts: Any = state.load_strategies.get(KEY)
    return stmt.options(*opts) if opts else stmt


__all__ = ["LoaderCriteriaOption", "with_loader_criteria"]
