"""Loader options: ``selectinload``, ``joinedload``, ``subqueryload``, ``contains_eager``,
``lazyload``, ``raiseload``, ``noload`` and the ``Load(Class)`` starting point.

Given to ``select(...).options(...)``; read by loading when the statement runs. Options
chain along a path: ``selectinload(User.orders).selectinload(Order.lines)``.

Called by: uow_orm.orm.* (loading applies the options; query, mapper, interfaces and
session_events name them).
"""

from __future__ import annotations

from typing import Any, ClassVar

from .. import exc
from ..sql.elements import ExecutableOption

_EAGER = ("selectin", "subquery", "joined", "contains_eager", "immediate")


#: path elements that are not a step along a relationship: column options for the entity
#: reached so far (``.load_only(...)``) and sub-options given to ``.options(...)``
_AT_NODE = ("columns", "options")


class LoaderOption(ExecutableOption):
    """A path of (relationship attribute, strategy) pairs starting at one class; an
    attribute may be ``"*"`` (every relationship at that point of the path). An element
    ``(ColumnOption, "columns")`` or ``(tuple of options, "options")`` applies to the
    entity the path has reached, without moving along it."""

    __slots__ = ("extras", "path")
    #: the statement cache's key of this option (`uow_orm.sql.cache`): its path (the
    #: column options, sub-options and ``rel.and_()`` criteria in it by their contents)
    #: and the extras (``innerjoin``, the ``alias`` of ``contains_eager``)
    _cache_key_slots: ClassVar[tuple[str, ...]] = ("path", "extras")

    def __init__(
        self, path: tuple[tuple[Any, str], ...], extras: tuple[dict[str, Any], ...] = ()
    ) -> None:
        last = None
        for attr, strategy in path:
            if strategy in _AT_NODE:
                continue
            if isinstance(attr, str) and attr == "*":
                if strategy == "contains_eager":
                    raise exc.ArgumentError("contains_eager() takes a relationship, not '*'")
                continue
            if not getattr(attr, "is_relationship", False):
                raise exc.ArgumentError(
                    f"loader options take relationship attributes such as User.addresses, "
                    f"not {attr!r}"
                )
            last = (attr, strategy)
        if last is not None:
            attr, strategy = last
            lazy = getattr(getattr(attr, "prop", None), "lazy", None)
            if lazy in ("dynamic", "write_only") and strategy not in ("select", "raise", "noload"):
                raise exc.InvalidRequestError(
                    f"{attr} is lazy={lazy!r}: its objects are never loaded into the "
                    "collection, so an eager loader option cannot apply to it"
                )
        self.path = path
        #: per path element: {"innerjoin": bool} and the like
        self.extras = extras or tuple({} for _ in path)

    def _then(self, attr: Any, strategy: str, **extra: Any) -> LoaderOption:
        return LoaderOption((*self.path, (attr, strategy)), (*self.extras, extra))

    def selectinload(self, attr: Any) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        select-in loading (one more SELECT ... WHERE key IN (...)), as `selectinload`.

        Example: ``selectinload(User.orders).selectinload(Order.items)``.
        """
        return self._then(attr, "selectin")

    def joinedload(self, attr: Any, innerjoin: bool = False) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        a LEFT OUTER JOIN in the same SELECT (an inner JOIN with ``innerjoin=True``), as
        `joinedload`.

        Example: ``selectinload(User.orders).joinedload(Order.items)``.
        """
        return self._then(attr, "joined", innerjoin=innerjoin)

    def lazyload(self, attr: Any) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        a SELECT on first access, as `lazyload`.

        Example: ``selectinload(User.orders).lazyload(Order.items)``.
        """
        return self._then(attr, "select")

    def raiseload(self, attr: Any, sql_only: bool = False) -> LoaderOption:
        """Chained: access to ``attr`` (a relationship, ``"*"`` or a column of the previous
        attribute's target) raises instead of loading (only when the load would need
        SQL, with ``sql_only=True``), as `raiseload`.

        Example: ``selectinload(User.orders).raiseload(Order.items)``.
        """
        if not isinstance(attr, str) and _is_column_attr(attr):
            return self._then(ColumnOption("defer", [attr], raiseload=True), "columns")
        return self._then(attr, "raise_on_sql" if sql_only else "raise")

    def noload(self, attr: Any) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        no load at all (the attribute stays empty), as `noload`.

        Example: ``selectinload(User.orders).noload(Order.items)``.
        """
        return self._then(attr, "noload")

    def subqueryload(self, attr: Any) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        a subquery load, as `subqueryload`.

        Example: ``selectinload(User.orders).subqueryload(Order.items)``.
        """
        return self._then(attr, "subquery")

    def immediateload(self, attr: Any) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        a SELECT right after the parent rows are loaded, as `immediateload`.

        Example: ``selectinload(User.orders).immediateload(Order.items)``.
        """
        return self._then(attr, "immediate")

    def defaultload(self, attr: Any) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        the relationship's own ``lazy=`` strategy, so that the chain can go on to its
        target's relationships, as `defaultload`.

        Example: ``selectinload(User.orders).defaultload(Order.items)``.
        """
        return self._then(attr, "default")

    def contains_eager(self, attr: Any, alias: Any = None) -> LoaderOption:
        """Chained: load ``attr`` (a relationship of the previous attribute's target) with
        the rows of the statement's own JOIN (to ``alias`` when given), as `contains_eager`.

        Example: ``contains_eager(User.orders).contains_eager(Order.items)``.
        """
        _check_contains_eager(attr, alias)
        return self._then(attr, "contains_eager", alias=alias)

    # -- column options and sub-options for the entity the path has reached ---------------
    def load_only(self, *attrs: Any, raiseload: bool = False) -> LoaderOption:
        """Load only these columns of the objects the path reaches (the primary key too)."""
        return self._then(load_only(*attrs, raiseload=raiseload), "columns")

    def defer(self, attr: Any, raiseload: bool = False) -> LoaderOption:
        """Leave this column of the objects the path reaches out of their SELECT."""
        return self._then(defer(attr, raiseload=raiseload), "columns")

    def undefer(self, attr: Any) -> LoaderOption:
        """Load this deferred column with the objects the path reaches."""
        return self._then(undefer(attr), "columns")

    def undefer_group(self, name: str) -> LoaderOption:
        """Load deferred group ``name`` with the objects the path reaches."""
        return self._then(undefer_group(name), "columns")

    def with_expression(self, attr: Any, expr: Any) -> LoaderOption:
        """Fill ``query_expression()`` attribute ``attr`` of the objects the path reaches."""
        return self._then(with_expression(attr, expr), "columns")

    def options(self, *opts: Any) -> LoaderOption:
        """Apply ``opts`` (loader and column options whose paths start at the entity this
        path reaches) below this path:
        ``selectinload(A.bs).options(load_only(B.x), selectinload(B.cs))``.

        Raises:
            ArgumentError: an argument is not a loader or column option, or (when the
                statement runs) does not start at the entity this path reaches.
        """
        for o in opts:
            if not isinstance(o, (LoaderOption, ColumnOption)) and not _is_polymorphic(o):
                raise exc.ArgumentError(
                    f"Loader option {o!r} is not compatible with the Load.options() method; "
                    "give loader options such as selectinload(B.cs) or load_only(B.x)"
                )
        return self._then(tuple(opts), "options")

    def selectin_polymorphic(self, classes: Any) -> LoaderOption:
        """Load the columns of ``classes`` (subclasses of the class the path has reached)
        for the objects of them with one more SELECT per subclass, as `selectin_polymorphic`:
        ``selectinload(Company.employees).selectin_polymorphic([Manager, Engineer])``.

        Raises:
            ArgumentError: a class is not a mapped subclass of the class reached, or the
                path ends at ``"*"``.
        """
        from .polymorphic import SelectinPolymorphic, subclass_mappers

        at = self._reached()
        what = f"{self!r}.selectin_polymorphic(...)"
        option = SelectinPolymorphic(at, subclass_mappers(at, classes, what))
        return self._then((option,), "options")

    def _reached(self) -> Any:
        """The mapper this path has reached (the target of its last relationship)."""
        for attr, strategy in reversed(self.path):
            if strategy in _AT_NODE:
                continue
            if isinstance(attr, str):
                raise exc.ArgumentError(f"{self!r}: a path ending at '*' reaches no one class")
            return getattr(attr, "of_mapper", None) or attr.prop.mapper
        entity = getattr(self, "entity", None)
        if entity is None:
            raise exc.ArgumentError("selectin_polymorphic() needs a path to a class")
        return entity.__mapper__

    def __repr__(self) -> str:
        return " -> ".join(f"{s}({a!r})" for a, s in self.path)


def selectinload(attr: Any, recursion_depth: int | None = None) -> LoaderOption:
    """Load this relationship for all rows with one more SELECT ... WHERE key IN (...).

    ``recursion_depth=N`` on a self-referential relationship loads it N levels down (one
    SELECT per level), as ``selectinload(Node.children).selectinload(Node.children)...``.

    Raises:
        ArgumentError: ``recursion_depth`` that is not a positive int (SQLAlchemy's -1,
            "no limit", is not supported), or given for a relationship that is not
            self-referential.
    """
    if recursion_depth is None:
        return LoaderOption(((attr, "selectin"),))
    if not isinstance(recursion_depth, int) or isinstance(recursion_depth, bool):
        raise exc.ArgumentError(f"selectinload(recursion_depth={recursion_depth!r}): give an int")
    if recursion_depth < 1:
        raise exc.ArgumentError(
            f"selectinload(recursion_depth={recursion_depth}): give the number of levels "
            "(an unlimited depth, -1, is not supported)"
        )
    prop = getattr(attr, "property", None)
    if prop is None or (not prop.mapper.isa(prop.parent) and not prop.parent.isa(prop.mapper)):
        raise exc.ArgumentError(
            f"selectinload({attr!r}, recursion_depth=...): only a self-referential "
            "relationship can be loaded recursively"
        )
    return LoaderOption(((attr, "selectin"),) * recursion_depth)


def joinedload(attr: Any, innerjoin: bool = False) -> LoaderOption:
    """Load this relationship in the same statement with a LEFT OUTER JOIN (an inner
    JOIN with ``innerjoin=True``: parents without a related row are then left out)."""
    return LoaderOption(((attr, "joined"),), ({"innerjoin": innerjoin},))


def lazyload(attr: Any) -> LoaderOption:
    """Load this relationship on first access with its own SELECT."""
    return LoaderOption(((attr, "select"),))


def immediateload(attr: Any) -> LoaderOption:
    """Load this relationship for each object as soon as it is loaded, with its own
    SELECT (SQLAlchemy's ``immediateload``)."""
    return LoaderOption(((attr, "immediate"),))


def defaultload(attr: Any) -> LoaderOption:
    """Keep this relationship's own strategy; a starting point for options deeper in the
    path: ``defaultload(User.orders).selectinload(Order.lines)``."""
    return LoaderOption(((attr, "default"),))


def raiseload(attr: Any, sql_only: bool = False) -> Any:
    """Make access to this (unloaded) relationship, or this column (then left out of the
    SELECT), raise instead of emitting SQL; ``"*"`` for every relationship. With
    ``sql_only=True`` a many-to-one found in the identity map still loads."""
    if not isinstance(attr, str) and _is_column_attr(attr):
        return ColumnOption("defer", [attr], raiseload=True)
    return LoaderOption(((attr, "raise_on_sql" if sql_only else "raise"),))


# -- column loading options ---------------------------------------------------------------------
def _is_column_attr(attr: Any) -> bool:
    return not getattr(attr, "is_relationship", False) and hasattr(attr, "mapper")


class UserDefinedOption(ExecutableOption):
    """Base of an application's own statement option (SQLAlchemy's): it carries a
    ``payload`` to ``do_orm_execute`` listeners (``orm_execute_state.user_defined_options``)
    and changes nothing in the SQL, so it is not part of the statement cache key."""

    propagate_to_loaders = False
    _cache_key_slots = ()

    def __init__(self, payload: Any = None) -> None:
        self.payload = payload


class ColumnOption(ExecutableOption):
    """A column loader option for one entity: ``defer``, ``undefer``, ``undefer_group``,
    ``load_only`` or ``with_expression``. Read by `Mapper.entity_columns`."""

    __slots__ = ("expr", "group", "keys", "kind", "mapper", "raiseload")
    #: the statement cache's key of this option (also inside a loader option's path)
    _cache_key_slots: ClassVar[tuple[str, ...]] = __slots__

    def __init__(
        self,
        kind: str,
        attrs: list[Any],
        *,
        raiseload: bool = False,
        group: str | None = None,
        expr: Any = None,
    ) -> None:
        mapper = None
        keys: list[str] = []
        for a in attrs:
            if a.__class__ is str and a == "*" and kind == "undefer":  # every deferred column
                keys.append("*")
                continue
            if isinstance(a, str) or not _is_column_attr(a):
                raise exc.ArgumentError(
                    f"{kind}() takes column attributes such as User.name, not {a!r}"
                )
            if mapper is not None and a.mapper is not mapper:
                raise exc.ArgumentError(f"{kind}() attributes must belong to one class")
            mapper = a.mapper
            keys.append(a.key)
        self.kind = kind
        self.keys = keys
        self.mapper = mapper
        self.raiseload = raiseload
        self.group = group
        self.expr = expr

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(self.keys) or self.group})"


def defer(attr: Any, *more: Any, raiseload: bool = False) -> ColumnOption:
    """Leave this column out of the SELECT; it loads on first access (or raises)."""
    if more:
        raise exc.ArgumentError("defer() takes one attribute; use several defer() options")
    return ColumnOption("defer", [attr], raiseload=raiseload)


def undefer(attr: Any, *more: Any) -> ColumnOption:
    """Load this deferred column with the object; ``undefer("*")`` loads every deferred
    column of the statement's entities."""
    if more:
        raise exc.ArgumentError("undefer() takes one attribute; use several undefer() options")
    return ColumnOption("undefer", [attr])


def undefer_group(name: str) -> ColumnOption:
    """Load every deferred column of group ``name`` with the object."""
    return ColumnOption("undefer_group", [], group=name)


def load_only(*attrs: Any, raiseload: bool = False) -> ColumnOption:
    """Load only these columns (and the primary key); the others are deferred."""
    if not attrs:
        raise exc.ArgumentError("load_only() needs at least one attribute")
    return ColumnOption("load_only", list(attrs), raiseload=raiseload)


def with_expression(attr: Any, expr: Any) -> ColumnOption:
    """Fill the ``query_expression()`` attribute ``attr`` from ``expr`` in this query."""
    opt = ColumnOption("expression", [attr], expr=expr)
    if opt.mapper is not None and attr.key not in opt.mapper.expressions:
        raise exc.ArgumentError(
            f"with_expression() needs a query_expression() attribute, not {attr!r}"
        )
    return opt


def noload(attr: Any) -> LoaderOption:
    """Never load this relationship: it reads as empty / None."""
    return LoaderOption(((attr, "noload"),))


def subqueryload(attr: Any) -> LoaderOption:
    """Load this relationship for all rows with one more SELECT, as SQLAlchemy does: the
    statement that loaded the parents becomes a subquery of their key columns, joined to
    the related rows (``SELECT child.*, anon.id FROM (SELECT parent.id FROM parent WHERE
    ...) AS anon JOIN child ON ...``); DISTINCT per ``relationship(distinct_target_key=)``.

    Objects not loaded by such a statement (below a joined load, from ``from_statement()``,
    with ``yield_per``, several entities, a custom join condition or joined-table
    inheritance) load with `selectinload`'s ``WHERE key IN (...)`` instead: the same objects.
    """
    return LoaderOption(((attr, "subquery"),))


def _check_contains_eager(attr: Any, alias: Any) -> None:
    if alias is not None and getattr(alias, "_aliased_columns", None) is None:
        raise exc.ArgumentError(
            f"contains_eager({attr!r}, alias=...) takes an aliased() class, not {alias!r}; "
            "or give the relationship as attr.of_type(alias)"
        )


def contains_eager(attr: Any, alias: Any = None) -> LoaderOption:
    """Fill this relationship from the rows of a join the statement already has:
    ``select(User).join(User.addresses).options(contains_eager(User.addresses))``.

    The target's columns are added to the SELECT; the collection (or scalar) holds exactly
    the joined rows, so a WHERE on the joined table filters the collection too. Collections
    need ``.unique()`` on the result, as with `joinedload`. For a join to an ``aliased()``
    target give ``attr.of_type(alias)`` (or the legacy ``alias=alias``): the rows are read
    from the alias's columns.

    Raises:
        ArgumentError: ``alias`` is not an ``aliased()`` class.
        InvalidRequestError: (when run) the statement does not join the target (or alias).
    """
    _check_contains_eager(attr, alias)
    return LoaderOption(((attr, "contains_eager"),), ({"alias": alias},))


class Load(LoaderOption):
    """A loader option path that starts at an entity: ``Load(User).selectinload(User.orders)``.

    On its own it changes nothing; its methods return the options to pass to ``options()``.
    """

    __slots__ = ("entity",)
    _cache_key_slots: ClassVar[tuple[str, ...]] = ("entity", "path", "extras")

    def __init__(self, entity: Any) -> None:
        if not hasattr(entity, "__mapper__"):
            raise exc.ArgumentError(f"Load() takes a mapped class, not {entity!r}")
        super().__init__(())
        self.entity = entity

    def __repr__(self) -> str:
        return f"Load({self.entity.__name__})"


class LoadTree:
    """Options arranged per relationship key: {key: (strategy, subtree)}; ``wildcard`` is
    the strategy of ``"*"`` for the relationships not named; ``columns`` the column
    options for the entity this node stands for."""

    __slots__ = (
        "children",
        "columns",
        "contains_eager",
        "criteria",
        "eager_alias",
        "innerjoin",
        "path",
        "polymorphic",
        "source",
        "wildcard",
    )

    def __init__(self) -> None:
        self.children: dict[str, tuple[str, LoadTree]] = {}
        #: ``ColumnOption``s chained on the path (``selectinload(A.bs).load_only(B.x)``)
        self.columns: list[ColumnOption] = []
        #: set by loading on the subtree of a contains_eager() relationship
        self.contains_eager = False
        #: contains_eager(rel.of_type(alias)) / (rel, alias=alias): the aliased() class
        #: whose columns hold the rows
        self.eager_alias: Any = None
        #: extra criteria from ``Parent.children.and_(...)`` in the option
        self.criteria: tuple[Any, ...] = ()
        #: joinedload(..., innerjoin=True)
        self.innerjoin = False
        self.wildcard: str | None = None
        #: ``selectin_polymorphic`` options for the entity this node stands for
        self.polymorphic: list[Any] = []
        #: set by loading when it runs this node's loads: the mappers of the objects the
        #: relationships on the way here were loaded for (join_depth, cycle stops)
        self.path: tuple[Any, ...] = ()
        #: set by loading: the statement that loaded this node's objects (a subquery load
        #: wraps it), or None
        self.source: Any = None

    def strategy_for(self, prop: Any) -> tuple[str, LoadTree] | None:
        """The (strategy, subtree) the options give ``prop``, or None for its own."""
        hit = self.children.get(prop.key)
        if hit is not None:
            if hit[0] == "default":
                return (prop.lazy, hit[1])
            return hit
        if self.wildcard is not None:
            return (self.wildcard, LoadTree())
        return None

    @classmethod
    def from_options(cls, options: list[Any], root: type) -> LoadTree:
        """The tree of the loader options among ``options`` (a statement's)."""
        tree = cls()
        for opt in options:
            if isinstance(opt, LoaderOption):
                tree._add(opt.path, opt.extras, None)
        return tree

    def _add_options(self, opts: tuple[Any, ...], at: Any) -> None:
        """Merge the options of ``.options(*opts)`` into this node (``at``: its mapper)."""
        for o in opts:
            reach = _sibling_reach(at, opts, o)
            if _is_polymorphic(o):
                _check_links(o.base, at, o)
                self.polymorphic.append(o)
            elif isinstance(o, ColumnOption):
                _check_links(o.mapper, reach, o)
                self.columns.append(o)
            else:
                if isinstance(o, Load):
                    _check_links(o.entity.__mapper__, reach, o)
                self._add(o.path, o.extras, reach)

    def _add(
        self, path: tuple[tuple[Any, str], ...], extras: tuple[dict[str, Any], ...], at: Any
    ) -> None:
        """Merge one option path into this node; ``at`` is the mapper this node stands
        for when known (below a relationship), to check that the path links from it."""
        node = self
        for (attr, strategy), extra in zip(path, extras):
            if strategy == "columns":
                _check_links(attr.mapper, at, attr)
                node.columns.append(attr)
                continue
            if strategy == "options":
                node._add_options(attr, at)
                continue
            if isinstance(attr, str) and attr == "*":
                node.wildcard = strategy
                break
            _check_links(attr.mapper, at, attr)
            key = attr.key
            existing = node.children.get(key)
            if existing is None:
                sub = LoadTree()
            else:
                # an intermediate path element repeats: keep the explicit strategy
                sub = existing[1]
                if strategy == "default":
                    strategy = existing[0]
            node.children[key] = (strategy, sub)
            criteria = getattr(attr, "criteria", ())
            if criteria:
                if strategy not in _CRITERIA_STRATEGIES:
                    raise exc.ArgumentError(
                        f"{attr}.and_(...) criteria apply to selectinload, joinedload, "
                        "subqueryload, immediateload and lazyload (noload and raiseload "
                        f"load nothing for them to narrow), not {strategy!r}"
                    )
                if getattr(attr, "target_alias", None) is not None:
                    raise exc.ArgumentError(
                        f"a loader option on {attr} with of_type() is not supported"
                    )
                sub.criteria = tuple(criteria)
            if extra.get("innerjoin"):
                sub.innerjoin = True
            if strategy == "contains_eager":
                sub.eager_alias = (
                    extra.get("alias")
                    or getattr(attr, "target_alias", None)
                    or getattr(attr, "of_polymorphic", None)  # of_type(with_polymorphic())
                )
            else:
                _polymorphic_target(sub, attr)
            node = sub
            attr.mapper._ensure_configured()
            at = getattr(attr, "of_mapper", None) or attr.prop.mapper


def _polymorphic_target(sub: LoadTree, attr: Any) -> None:
    """``rel.of_type(with_polymorphic(...))`` in a loader option other than
    contains_eager: the subclasses' columns of the related objects load with them
    (a `selectin_polymorphic` of those subclasses below the relationship)."""
    poly = getattr(attr, "of_polymorphic", None) or getattr(attr, "target_alias", None)
    classes = getattr(poly, "_classes", None) if poly is not None else None
    if not classes:
        return
    from .polymorphic import SelectinPolymorphic

    base = poly.__dict__["__mapper__"]
    subs = [m for m in classes if m is not base]
    if subs:
        sub.polymorphic.append(SelectinPolymorphic(base, subs))


def _is_polymorphic(option: Any) -> bool:
    """Whether ``option`` is a `selectin_polymorphic` option."""
    from .polymorphic import SelectinPolymorphic

    return isinstance(option, SelectinPolymorphic)


def _sibling_reach(at: Any, opts: tuple[Any, ...], option: Any) -> Any:
    """The mapper ``option`` of ``.options(*opts)`` starts at: a subclass named by a
    sibling ``selectin_polymorphic`` (``.options(selectin_polymorphic(Employee, [Manager]),
    selectinload(Manager.paperwork))``, as in SQLAlchemy), else the mapper reached."""
    if at is None:
        return at
    first = getattr(option, "mapper", None)
    if isinstance(option, Load):
        first = option.entity.__mapper__
    elif isinstance(option, LoaderOption) and option.path:
        first = getattr(option.path[0][0], "mapper", None)
    if first is None or first is at or at.isa(first):
        return at
    for o in opts:
        if _is_polymorphic(o):
            hit = next((m for m in o.classes if m.isa(first)), None)
            if hit is not None:
                return hit
    return at


#: the strategies that narrow what they load with ``rel.and_(criteria)``; noload and
#: raiseload load nothing, so criteria there would have no effect: refused (SQLAlchemy
#: accepts and ignores them), as are defaultload and contains_eager, whose rows the
#: criteria could not narrow
_CRITERIA_STRATEGIES = ("selectin", "subquery", "joined", "immediate", "select")


def _check_links(mapper: Any, at: Any, what: Any) -> None:
    """Refuse an option element for a class the path does not reach (``mapper`` of the
    element, ``at`` the mapper reached; None at the statement's root, where an option
    for an entity the statement does not load is simply not used)."""
    if at is None or mapper is None:
        return
    if mapper is at or issubclass(at.class_, mapper.class_):
        return
    hint = ""
    if mapper.isa(at):  # a subclass's attribute: SQLAlchemy's two ways to reach it
        sub, base = mapper.class_.__name__, at.class_.__name__
        hint = (
            f"; aim the relationship at the subclass with .of_type({sub}), or give the "
            f"option next to selectin_polymorphic({base}, [{sub}]) in .options(...)"
        )
    raise exc.ArgumentError(
        f'ORM mapped entity or attribute "{what!r}" does not link from the entity '
        f"{at.class_.__name__} that the loader option path has reached{hint}"
    )


#: SQLAlchemy's private base of ``Load`` and the loader options, which some libraries
#: import for type annotations (``sqlalchemy_mixins``).
_AbstractLoad = LoaderOption

__all__ = [
    "ColumnOption",
    "Load",
    "LoaderOption",
    "contains_eager",
    "defaultload",
    "defer",
    "immediateload",
    "joinedload",
    "lazyload",
    "load_only",
    "noload",
    "raiseload",
    "selectinload",
    "subqueryload",
    "undefer",
    "undefer_group",
    "with_expression",
]
