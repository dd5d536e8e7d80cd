"""``relationship()``: how two mapped classes are linked, kept in sync and compared.

Configured by the mapper (direction and key columns are worked out from foreign keys
once all classes exist); used by attributes (backrefs, cascades on append), the unit of
work (key synchronisation) and loading (lazy and eager loads).

Called by: uow_orm.orm.*, uow_orm.ext.automap.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload

from .. import exc
from ..sql.elements import (
    ClauseElement,
    ColumnElement,
    Exists,
    and_,
    coerce,
    coerce_expression,
)
from ..sql.schema import Column, Table
from ..sql.selectable import Join, Select
from . import collections as _collections
from . import events as _events
from .attributes import InstrumentedList, QueryableAttribute
from .base import (
    EXPRESSION_NAMESPACE,
    MANYTOMANY,
    MANYTOONE,
    NO_VALUE,
    ONETOMANY,
    STATE_ATTR,
    Direction,
    ORMDescriptor,
    state_of,
)
from .joinconditions import foreign, remote
from .properties import MapperProperty
from .state import InstanceState

if TYPE_CHECKING:
    from .declarative import Mapped
    from .mapper import Mapper

_T = TypeVar("_T")


def _same(col: Any) -> Any:
    return col


_ALL_CASCADES = frozenset(
    {"save-update", "merge", "delete", "delete-orphan", "expunge", "refresh-expire"}
)


class CascadeOptions(frozenset[str]):
    """The cascades of a relationship: a frozenset of names (``"delete" in prop.cascade``)
    with SQLAlchemy's flags as attributes (``prop.cascade.delete_orphan``)."""

    @property
    def save_update(self) -> bool:
        """True when the relationship cascades ``save-update``."""
        return "save-update" in self

    @property
    def delete(self) -> bool:
        """True when the relationship cascades ``delete``."""
        return "delete" in self

    @property
    def refresh_expire(self) -> bool:
        """True when the relationship cascades ``refresh-expire``."""
        return "refresh-expire" in self

    @property
    def merge(self) -> bool:
        """True when the relationship cascades ``merge``."""
        return "merge" in self

    @property
    def expunge(self) -> bool:
        """True when the relationship cascades ``expunge``."""
        return "expunge" in self

    @property
    def delete_orphan(self) -> bool:
        """True when the relationship cascades ``delete-orphan``."""
        return "delete-orphan" in self

    def __repr__(self) -> str:
        return f"CascadeOptions({','.join(sorted(self))!r})"


def parse_cascade(spec: str) -> CascadeOptions:
    """The cascades named by ``spec`` (``"all, delete-orphan"``).

    Raises:
        ArgumentError: an unknown cascade name.
    """
    out: set[str] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part == "all":
            out |= _ALL_CASCADES - {"delete-orphan"}
        elif part in _ALL_CASCADES:
            out.add(part)
        elif part == "none":
            continue
        else:
            raise exc.ArgumentError(
                f"unknown cascade {part!r}; valid cascades are 'all', "
                + ", ".join(sorted(_ALL_CASCADES))
            )
    return CascadeOptions(out)


_LAZY = frozenset(
    {
        "select",
        "selectin",
        "joined",
        "subquery",
        "raise",
        "noload",
        "raise_on_sql",
        "dynamic",
        "write_only",
        "immediate",
        True,
        False,
    }
)


# relationship() arguments of SQLAlchemy that uow_orm does not implement, with the value
# that means "not used" (accepted, since it asks for nothing); _ALWAYS for the dataclass
# arguments, which have no such value.
_ALWAYS = object()
_UNSUPPORTED_ARGS: dict[str, Any] = {
    "passive_updates": True,
    "enable_typechecks": True,
    "load_on_pending": False,
    "init": _ALWAYS,
    "repr": _ALWAYS,
    "default": _ALWAYS,
    "default_factory": _ALWAYS,
    "compare": _ALWAYS,
    "kw_only": _ALWAYS,
    "hash": _ALWAYS,
    "dataclass_metadata": _ALWAYS,
}


def _refuse_unsupported(given: dict[str, Any]) -> None:
    """Raise ArgumentError for a relationship() argument that would be silently ignored."""
    for name, value in given.items():
        if name not in _UNSUPPORTED_ARGS:
            raise exc.ArgumentError(f"relationship() got an unknown argument {name!r}")
        unused = _UNSUPPORTED_ARGS[name]
        if unused is not _ALWAYS and (value is unused):
            continue
        hint = "leave it out" + (
            f" (or pass its default, {unused!r})" if unused is not _ALWAYS else ""
        )
        raise exc.ArgumentError(
            f"relationship({name}=...) is not supported by uow_orm yet, and ignoring it would "
            f"give wrong results; {hint}"
        )


def _check_lazy(lazy: Any) -> str:
    """The loader strategy ``lazy=`` names (SQLAlchemy's True / False spellings mapped).

    Raises:
        ArgumentError: not a loader strategy.
    """
    if lazy not in _LAZY:
        raise exc.ArgumentError(
            f"lazy={lazy!r} is not a loader strategy; use 'select', 'selectin', "
            "'joined', 'subquery', 'immediate', 'raise', 'raise_on_sql', 'noload', "
            "'dynamic' or 'write_only'"
        )
    return {True: "select", False: "joined"}.get(lazy, lazy)  # type: ignore[no-any-return]


def _check_join_depth(join_depth: Any) -> int | None:
    """``relationship(join_depth=N)``: a positive int (or None)."""
    if join_depth is None:
        return None
    if not isinstance(join_depth, int) or isinstance(join_depth, bool) or join_depth < 1:
        raise exc.ArgumentError(
            f"relationship(join_depth={join_depth!r}): give the number of levels a "
            "self-referential eager load goes down (an int of 1 or more), or leave it out"
        )
    return join_depth


def _check_viewonly_cascade(cascade: str, viewonly: bool, sync_backref: Any) -> CascadeOptions:
    """The cascades of ``cascade`` (without save-update for a viewonly relationship).

    Raises:
        ArgumentError: a persistence cascade, or sync_backref, with viewonly=True.
    """
    parsed = parse_cascade(cascade)
    if viewonly and sync_backref:
        raise exc.ArgumentError("sync_backref and viewonly cannot both be True")
    if not viewonly:
        return parsed
    writes = sorted(parsed & {"save-update", "delete", "delete-orphan"})
    if writes and cascade != "save-update, merge":
        raise exc.ArgumentError(
            f"cascade {', '.join(writes)} applies to persistence operations and "
            "cannot be combined with viewonly=True"
        )
    # as in SQLAlchemy: objects put into a viewonly collection are not added
    return CascadeOptions(parsed - {"save-update"})


def _check_loader_args(
    lazy: str, query_class: Any, comparator_factory: Any, omit_join: Any, dtk: Any
) -> None:
    """Refuse loader-related arguments that the chosen strategy would not use.

    Raises:
        ArgumentError: ``query_class`` without ``lazy="dynamic"`` (or not a `Query`
            subclass), a ``comparator_factory`` that is not a `RelationshipProperty.Comparator`
            subclass, ``omit_join`` other than None / False, ``distinct_target_key`` not
            None / True / False.
    """
    from .query import Query

    if query_class is not None and lazy in ("write_only",):
        raise exc.ArgumentError(
            "relationship(query_class=...) is used by lazy='dynamic' only (lazy='write_only' "
            "would ignore it)"
        )
    if query_class is not None and not (
        isinstance(query_class, type) and issubclass(query_class, Query)
    ):
        raise exc.ArgumentError(
            f"relationship(query_class={query_class!r}): give a subclass of uow_orm.Query"
        )
    if comparator_factory is not None and not (
        isinstance(comparator_factory, type) and issubclass(comparator_factory, Comparator)
    ):
        raise exc.ArgumentError(
            f"relationship(comparator_factory={comparator_factory!r}): give a subclass of "
            "RelationshipProperty.Comparator"
        )
    if omit_join is not None and omit_join is not False:
        raise exc.ArgumentError(
            "relationship(omit_join=...): only False is accepted (it makes selectin loads "
            "join the parent table); setting omit_join to True is not supported, as in "
            "SQLAlchemy"
        )
    if dtk not in (None, True, False):
        raise exc.ArgumentError(
            f"relationship(distinct_target_key={dtk!r}): give None, True or False"
        )


class RelationshipProperty(MapperProperty, ORMDescriptor[Any]):
    """The configuration of one relationship, as given to `relationship`; also what
    ``inspect(User).relationships.addresses`` returns.

    Inspection attributes (SQLAlchemy's): ``direction``, ``mapper`` / ``entity`` (the target
    mapper), ``uselist``, ``local_columns``, ``remote_side``, ``local_remote_pairs``,
    ``secondary``, ``back_populates``, ``backref``, ``cascade``, ``lazy``, ``viewonly``,
    ``argument``, ``collection_class``, ``info``, ``doc``.
    """

    is_relationship = True
    _is_relationship = True
    #: the base class of ``comparator_factory=`` classes (`Comparator`)
    Comparator: ClassVar[type[Comparator]]

    def __init__(
        self,
        argument: Any,
        *,
        secondary: Any = None,
        primaryjoin: Any = None,
        secondaryjoin: Any = None,
        back_populates: str | None = None,
        backref: str | tuple[str, dict[str, Any]] | None = None,
        cascade: str = "save-update, merge",
        uselist: bool | None = None,
        order_by: Any = None,
        lazy: Any = "select",
        foreign_keys: Any = None,
        remote_side: Any = None,
        post_update: bool = False,
        passive_deletes: bool | str = False,
        passive_updates: bool = True,
        viewonly: bool = False,
        info: dict[str, Any] | None = None,
        doc: str | None = None,
        overlaps: str | None = None,
        collection_class: Any = None,
        innerjoin: bool = False,
        single_parent: bool = False,
        active_history: bool = False,
        sync_backref: bool | None = None,
        join_depth: int | None = None,
        distinct_target_key: bool | None = None,
        comparator_factory: Any = None,
        query_class: Any = None,
        omit_join: Literal[None, False] = None,
        **unsupported: Any,
    ) -> None:
        _refuse_unsupported(unsupported)
        _check_loader_args(
            _check_lazy(lazy), query_class, comparator_factory, omit_join, distinct_target_key
        )
        self.argument = argument
        self.secondary_arg, self.primaryjoin_arg = secondary, primaryjoin
        self.secondaryjoin_arg = secondaryjoin
        self.foreign_keys_arg, self.remote_side_arg = foreign_keys, remote_side
        self.back_populates, self.backref = back_populates, backref
        self.uselist_arg, self.order_by_arg = uselist, order_by
        self.info: dict[str, Any] = dict(info) if info else {}
        #: Names SQLAlchemy would warn about overlapping with; uow_orm has no such warning.
        self.doc, self.overlaps = doc, overlaps
        self._init_loading(
            lazy, innerjoin, join_depth, distinct_target_key, comparator_factory, query_class
        )
        self.omit_join = omit_join  # False: selectin loads join the parent table
        self._init_persistence(cascade, viewonly, sync_backref, passive_deletes)
        self.post_update, self.passive_updates = post_update, passive_updates
        self.single_parent, self.active_history = single_parent, active_history
        #: None (a list), set, a KeyFuncDict class or a list-subclass factory
        self.collection_class = collection_class
        self._init_configured_state()

    def _init_loading(
        self,
        lazy: Any,
        innerjoin: bool,
        join_depth: Any,
        distinct_target_key: Any,
        comparator_factory: Any,
        query_class: Any,
    ) -> None:
        """The loader arguments, checked (see `relationship`)."""
        self.lazy = _check_lazy(lazy)
        #: joined loads of this relationship use an inner JOIN (parents always have one)
        self.innerjoin = innerjoin
        #: self-referential eager loads (lazy="joined" / "selectin" / "subquery") go this
        #: many levels down; None: they stop where the target's class is already on the path
        self.join_depth = _check_join_depth(join_depth)
        #: subquery loads: DISTINCT in the inner query (None: when its columns are not the
        #: whole primary key of their table)
        self.distinct_target_key = distinct_target_key
        #: the `RelationshipProperty.Comparator` subclass giving the class attribute's
        #: operators (None: the built-in ones)
        self.comparator_factory = comparator_factory
        #: lazy="dynamic": the `Query` subclass the collection's query is made from
        self.query_class = query_class

    def _init_persistence(
        self, cascade: str, viewonly: bool, sync_backref: Any, passive_deletes: Any
    ) -> None:
        """The cascade and flush arguments, checked (see `relationship`)."""
        self.cascade = _check_viewonly_cascade(cascade, viewonly, sync_backref)
        self.cascade_spec = cascade
        self.viewonly = viewonly
        #: False: changes made on this side are not copied to the other side's attribute
        #: (changes made there still reach this one), as in SQLAlchemy
        self.sync_backref = sync_backref
        if passive_deletes not in (True, False, "all"):
            raise exc.ArgumentError(
                f"passive_deletes={passive_deletes!r}: use True, False or 'all'"
            )
        self.passive_deletes = passive_deletes
        #: post_update: break a row cycle with a second UPDATE
        self.post_update = False
        # True: the database moves referencing rows (ON UPDATE CASCADE) when a referenced
        # primary key changes; False: the unit of work UPDATEs them itself
        self.passive_updates = True
        #: a target object may be related to one parent object only through this
        #: relationship (required for delete-orphan on many-to-one and many-to-many)
        self.single_parent = False
        #: a many-to-one replaced while its old value is not loaded loads it first, so the
        #: attribute's history has the object it replaced
        self.active_history = False

    def _init_configured_state(self) -> None:
        """The attributes set when the owning class is mapped and configured (and a bad
        ``collection_class`` refused now)."""
        if self.collection_class is not None:
            from .collections import collection_kind

            collection_kind(self.collection_class, "relationship()")
        #: how the collection is presented (None: a plain list); set on configure
        self._collection: Any = None
        self._annotation_collection: Any = None
        self.key: str = ""
        self.parent: Mapper = None  # type: ignore[assignment]
        self.mapper: Mapper = None  # type: ignore[assignment]
        self.direction: Direction = Direction.MANYTOONE
        self.uselist = True
        self.secondary: Table | None = None
        #: (local, remote) column pairs as SQLAlchemy gives them: for many-to-one the local
        #: column is the foreign key; for many-to-many the (parent column, secondary column)
        #: pairs followed by the (target column, secondary column) ones
        self.local_remote_pairs: list[tuple[Column[Any], Column[Any]]] = []
        # (parent column, the column it joins: the target's, or for many-to-many the
        # secondary's): what loading and the flush use; the same list as
        # local_remote_pairs except for many-to-many (set at the end of configure)
        self._pairs: list[tuple[Column[Any], Column[Any]]] = []
        #: many-to-many: (target column, secondary column) pairs
        self.secondary_target_pairs: list[tuple[Column[Any], Column[Any]]] = []
        # the parts of a custom primaryjoin / secondaryjoin that are not column pairs
        # (joinconditions._Side columns; LOCAL = parent / target, REMOTE = the far side)
        self._pj_extra: ColumnElement | None = None
        self._sj_extra: ColumnElement | None = None
        #: True when a custom condition adds criteria beyond the key pairs
        self._custom = False
        #: an aliased() class this relationship targets (its condition: ``_alias_pj``)
        self._target_alias: Any = None
        self._alias_pj: Any = None
        self._foreign_cols: list[Column[Any]] = []
        #: the ORDER BY columns of the collection; False when none is given (SQLAlchemy's)
        self.order_by: list[Any] | Literal[False] = False
        self.reverse: RelationshipProperty | None = None
        #: True when a mapper sharing this property has a ``@validates`` method for it
        #: (``Mapper.relationship_validators`` has the method of each mapper)
        self._validator = False
        self.configured = False
        self._annotation_uselist: bool | None = None

    def __repr__(self) -> str:
        owner = self.parent.class_.__name__ if self.parent is not None else "?"
        return f"<relationship {owner}.{self.key}>"

    # -- configuration ------------------------------------------------------------------
    def _resolve_target(self, registry: dict[str, type]) -> type:
        arg = self.argument
        if callable(arg) and not isinstance(arg, type):
            arg = arg()
        if isinstance(arg, str):
            cls = registry.get(arg)
            if cls is None:
                raise exc.InvalidRequestError(
                    f"relationship {self.parent.class_.__name__}.{self.key} names class "
                    f"{arg!r}, which is not mapped with the same declarative base "
                    f"(known: {', '.join(sorted(registry))})"
                )
            return cls
        if isinstance(arg, type) and hasattr(arg, "__mapper__"):
            return arg
        if getattr(arg, "_aliased_columns", None) is not None:
            return arg  # type: ignore[no-any-return]  # (an aliased() class: configure)
        raise exc.ArgumentError(
            f"relationship {self.parent.class_.__name__}.{self.key}: target {arg!r} is not "
            "a mapped class or class name"
        )

    def _columns_arg(self, arg: Any, registry: dict[str, type]) -> list[Column[Any]]:
        if arg is None:
            return []
        items = arg if isinstance(arg, (list, tuple, set, frozenset)) else [arg]
        out: list[Column[Any]] = []
        expanded: list[Any] = []
        for item in items:
            if callable(item) and not isinstance(item, (Column, QueryableAttribute)):
                item = item()  # a lambda: evaluated now, at configure time (may be a list)
            expanded.extend(item if isinstance(item, (list, tuple, set, frozenset)) else [item])
        for item in expanded:
            if isinstance(item, str):
                item = self._eval_string(item, registry)
            if isinstance(item, (list, tuple, set, frozenset)):
                # "[A.x, A.y]" or lambda: [A.x, A.y]
                out.extend(self._columns_arg(list(item), registry))
                continue
            col = coerce(item)
            if not isinstance(col, Column) and getattr(col, "subquery", None) is not None:
                from .subquery_mapping import stand_in  # a class mapped to a subquery

                col = stand_in(col)
            if not isinstance(col, Column):
                raise exc.ArgumentError(
                    f"relationship {self.parent.class_.__name__}.{self.key}: {item!r} is not "
                    "a column"
                )
            out.append(col)
        return out

    def _named_tables(self) -> Any:
        """The tables string arguments may name: those of the parent's MetaData (for a
        class mapped to a subquery, whose table stands apart: the registry's)."""
        if self.parent._mapped_subquery is not None:
            return self.parent.registry.metadata.tables
        return self.parent.local_table.metadata.tables

    def _eval_string(self, expr: str, registry: dict[str, type]) -> Any:
        expr = expr.strip()
        if not all(p.isidentifier() for p in expr.split(".")):
            if expr.startswith("[") and expr.endswith("]") and "(" not in expr:
                return [self._eval_string(p, registry) for p in expr[1:-1].split(",") if p.strip()]
            return self._eval_python(expr, registry)  # a call, a list with calls, ...
        cls_name, _, attr = expr.partition(".")
        cls = registry.get(cls_name)
        if cls is not None and attr:
            return getattr(cls, attr)
        table = self._named_tables().get(cls_name)
        if table is not None and attr in table.c:
            return table.c[attr]  # "table.column" (uow_orm also takes "table.c.column")
        if cls_name == self.key or not attr:
            owner_attr = getattr(self.parent.class_, expr, None)
            if owner_attr is not None:
                return owner_attr
        return self._eval_python(expr, registry)

    def _eval_python(self, expr: str, registry: dict[str, type]) -> Any:
        """Evaluate a string argument as SQLAlchemy does: a Python expression over the
        declarative registry's classes, the MetaData's tables and uow_orm's functions."""
        from . import joinconditions

        ns: dict[str, Any] = dict(EXPRESSION_NAMESPACE)
        ns["foreign"] = joinconditions.foreign
        ns["remote"] = joinconditions.remote
        ns.update(self._named_tables())
        ns.update(registry)
        try:
            return eval(expr, {"__builtins__": {}}, ns)
        except NameError as e:
            raise exc.InvalidRequestError(
                f"relationship {self.parent.class_.__name__}.{self.key}: the expression "
                f"{expr!r} names something that is neither a mapped class, a table nor a "
                f"uow_orm function ({e})"
            ) from None
        except Exception as e:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key}: cannot evaluate "
                f"{expr!r}: {e}"
            ) from None

    def _join_arg(self, arg: Any, registry: dict[str, type]) -> Any:
        if isinstance(arg, str):
            arg = self._eval_python(arg, registry)
        elif callable(arg) and not isinstance(arg, (ClauseElement, QueryableAttribute)):
            arg = arg()
        if arg is not None and (
            self.parent._mapped_subquery is not None or self.mapper._mapped_subquery is not None
        ):
            from .subquery_mapping import stand_in_expression  # a class mapped to a subquery

            arg = stand_in_expression(arg)
        return arg

    def configure(self, registry: dict[str, type]) -> None:
        """Resolve the target class, the join columns and the backref (once, on configure)."""
        if self.configured:
            return
        target_cls = self._resolve_target(registry)
        if getattr(target_cls, "_aliased_columns", None) is not None:
            self._configure_aliased_target(target_cls, registry)
            return
        self.mapper = target_cls.__mapper__  # type: ignore[attr-defined]
        parent_table = self.parent.local_table
        target_table = self.mapper.local_table
        secondary = self._resolve_secondary(registry, parent_table)
        fk_cols = self._columns_arg(self.foreign_keys_arg, registry)
        remote_side = self._columns_arg(self.remote_side_arg, registry)
        if self.parent._joined_tables is not None or self.mapper._joined_tables is not None:
            from .inheritance import relationship_tables  # joined-table inheritance

            parent_table, target_table = relationship_tables(self, secondary, fk_cols)
        if self.primaryjoin_arg is not None or self.secondaryjoin_arg is not None:
            from .joinconditions import configure_custom

            if self.secondaryjoin_arg is not None and secondary is None:
                raise exc.ArgumentError(
                    f"relationship {self}: secondaryjoin= needs secondary= (the association "
                    "table it joins)"
                )
            configure_custom(
                self,
                self._join_arg(self.primaryjoin_arg, registry),
                self._join_arg(self.secondaryjoin_arg, registry),
                parent_table,
                target_table,
                secondary,
                fk_cols,
                remote_side,
            )
        elif secondary is not None:
            self._configure_secondary(parent_table, target_table, secondary, fk_cols)
        else:
            self._configure_direct(parent_table, target_table, fk_cols, remote_side)
        self._configure_collection()
        self._pairs = self.local_remote_pairs
        if self.secondary is not None:
            self.local_remote_pairs = [*self._pairs, *self.secondary_target_pairs]
        self.order_by = self._order_by(registry) or False
        if (
            self.collection_class is None
            and self._annotation_uselist
            and self.lazy not in ("dynamic", "write_only")
        ):
            # as SQLAlchemy reports it: the collection type of a Mapped[list[...]] annotation
            self.collection_class = self._annotation_collection or list
        self._check_delete_orphan()
        self.configured = True

    def _configure_aliased_target(self, alias: Any, registry: dict[str, type]) -> None:
        """``relationship(aliased(B, subquery), primaryjoin=..., viewonly=True)``."""
        from .aliased_target import configure as configure_aliased

        configure_aliased(self, alias, registry)
        self._configure_collection()
        self._pairs = self.local_remote_pairs = []
        self.order_by = self._order_by(registry) or False
        if self.collection_class is None and self._annotation_uselist:
            self.collection_class = self._annotation_collection or list
        self.configured = True

    def _resolve_secondary(self, registry: dict[str, type], parent_table: Table) -> Any:
        """The association table ``secondary=`` names (a table, a callable, a table or
        class name), or None."""
        secondary = self.secondary_arg
        if callable(secondary) and not isinstance(secondary, Table):
            secondary = secondary()
        if isinstance(secondary, str):
            name = secondary
            secondary = self._named_tables().get(name)
            if secondary is None:
                secondary = getattr(registry.get(name), "__table__", None)
            if secondary is None:
                raise exc.InvalidRequestError(
                    f"relationship {self}: secondary={name!r} names no table in the "
                    f"MetaData of {parent_table.name!r} and no mapped class"
                )
        if isinstance(secondary, type) and hasattr(secondary, "__table__"):
            secondary = secondary.__table__
        return secondary

    def _configure_secondary(
        self,
        parent_table: Table,
        target_table: Table,
        secondary: Table,
        fk_cols: list[Column[Any]],
    ) -> None:
        """A many-to-many along the association table's foreign keys."""
        self.secondary = secondary
        self.direction = Direction.MANYTOMANY
        self.local_remote_pairs = _fk_pairs(secondary, parent_table, fk_cols)
        self.secondary_target_pairs = _fk_pairs(
            secondary, target_table, fk_cols, exclude=[c for _, c in self.local_remote_pairs]
        )
        if not fk_cols:
            _refuse_ambiguous(self, self.local_remote_pairs, secondary)
            _refuse_ambiguous(self, self.secondary_target_pairs, secondary)
        if not self.local_remote_pairs or not self.secondary_target_pairs:
            raise exc.ArgumentError(
                f"relationship {self}: secondary table {secondary.name!r} needs foreign "
                f"keys to both {parent_table.name!r} and {target_table.name!r}"
            )
        # local_remote_pairs as (parent col, secondary col)
        self.local_remote_pairs = [(ref, sec) for sec, ref in self.local_remote_pairs]
        self.secondary_target_pairs = [(ref, sec) for sec, ref in self.secondary_target_pairs]

    def _configure_collection(self) -> None:
        """How the collection is kept and shown (``collection_class`` or the annotation),
        and ``uselist``."""
        cc = self.collection_class
        if cc is None and self._annotation_collection is set:
            cc = set
        elif cc is None and self._annotation_collection is dict:
            raise exc.ArgumentError(
                f"relationship {self}: a Mapped[dict[...]] collection needs collection_class="
                "attribute_keyed_dict('attr') (or column_keyed_dict / keyfunc_mapping)"
            )
        from .collections import collection_kind

        self._collection = collection_kind(cc, f"relationship {self}")
        if self._collection is not None and self._collection.kind == "custom-list":
            self._collection = None if cc is None else self._collection
        if self.uselist_arg is not None:
            self.uselist = self.uselist_arg
        elif self._annotation_uselist is not None:
            self.uselist = self._annotation_uselist
        else:
            self.uselist = self.direction is not Direction.MANYTOONE

    def _check_delete_orphan(self) -> None:
        """Refuse delete-orphan on the "many" side without single_parent (SQLAlchemy's
        message)."""
        if (
            "delete-orphan" not in self.cascade
            or self.direction is Direction.ONETOMANY
            or self.single_parent
        ):
            return
        kind = "many-to-one" if self.direction is Direction.MANYTOONE else "many-to-many"
        raise exc.ArgumentError(
            f"For {kind} relationship {self.parent.class_.__name__}.{self.key}, "
            'delete-orphan cascade is normally configured only on the "one" side of a '
            'one-to-many relationship, and not on the "many" side of a many-to-one or '
            "many-to-many relationship. To force this relationship to allow a particular "
            f'"{self.mapper.class_.__name__}" object to be referenced by only a single '
            f'"{self.parent.class_.__name__}" object at a time via the '
            f"{self.parent.class_.__name__}.{self.key} relationship, which would allow "
            "delete-orphan cascade to take place in this direction, set the "
            "single_parent=True flag"
        )

    def _order_by(self, registry: dict[str, type]) -> list[Any]:
        arg = self.order_by_arg
        if arg is None or arg is False:
            return []
        out: list[Any] = []
        for item in arg if isinstance(arg, (list, tuple)) else [arg]:
            if isinstance(item, str):
                item = self._eval_string(item, registry)
            elif callable(item) and not isinstance(item, (ColumnElement, QueryableAttribute)):
                item = item()
            items = item if isinstance(item, list) else [item]
            out.extend(coerce_expression(i) for i in items)
        return out

    def _configure_direct(
        self,
        parent_table: Table,
        target_table: Table,
        fk_cols: list[Column[Any]],
        remote_side: list[Column[Any]],
    ) -> None:
        # foreign keys on the target pointing at the parent -> one-to-many;
        # on the parent pointing at the target -> many-to-one.
        child_fks = _fk_pairs(target_table, parent_table, fk_cols)
        parent_fks = _fk_pairs(parent_table, target_table, fk_cols)
        if parent_table is target_table:
            pairs = child_fks
            if not pairs:
                raise exc.ArgumentError(f"relationship {self}: no self-referential foreign key")
            if not fk_cols:
                _refuse_ambiguous(self, pairs, parent_table)
            if remote_side and all(any(r is ref for r in remote_side) for _, ref in pairs):
                self.direction = Direction.MANYTOONE
                self.local_remote_pairs = [(fkcol, ref) for fkcol, ref in pairs]
            else:
                self.direction = Direction.ONETOMANY
                self.local_remote_pairs = [(ref, fkcol) for fkcol, ref in pairs]
            return
        if not fk_cols:
            _refuse_ambiguous(self, child_fks, target_table)
            _refuse_ambiguous(self, parent_fks, parent_table)
        if child_fks and parent_fks:
            if fk_cols:
                child_fks = [p for p in child_fks if any(p[0] is c for c in fk_cols)]
                parent_fks = [p for p in parent_fks if any(p[0] is c for c in fk_cols)]
            if child_fks and parent_fks:
                raise exc.ArgumentError(
                    f"relationship {self}: foreign keys run both ways between "
                    f"{parent_table.name!r} and {target_table.name!r}; pass foreign_keys=..."
                )
        if child_fks:
            self.direction = Direction.ONETOMANY
            self.local_remote_pairs = [(ref, fkcol) for fkcol, ref in child_fks]
        elif parent_fks:
            self.direction = Direction.MANYTOONE
            self.local_remote_pairs = [(fkcol, ref) for fkcol, ref in parent_fks]
        else:
            raise exc.ArgumentError(
                f"relationship {self}: no foreign key links {parent_table.name!r} and "
                f"{target_table.name!r}; add a ForeignKey or pass foreign_keys=..."
            )

    # -- inspection (SQLAlchemy's names) -------------------------------------------------
    @property
    def entity(self) -> Mapper:
        """The target class's mapper (SQLAlchemy returns the mapper here too)."""
        self.parent._ensure_configured()
        return self.mapper

    @property
    def local_columns(self) -> set[Column[Any]]:
        """The parent-side columns of the join condition (foreign key for many-to-one,
        primary key otherwise)."""
        self.parent._ensure_configured()
        return {local for local, _ in self._pairs}

    @property
    def remote_side(self) -> set[Column[Any]]:
        """The columns on the far side of the join: the target's referenced key for
        many-to-one, its foreign key for one-to-many, the secondary table's foreign keys
        for many-to-many."""
        self.parent._ensure_configured()
        cols = {remote for _, remote in self._pairs}
        cols.update(sec for _, sec in self.secondary_target_pairs)
        return cols

    @property
    def target(self) -> Table:
        """The target class's table."""
        self.parent._ensure_configured()
        return self.mapper.local_table

    @property
    def primaryjoin(self) -> ColumnElement:
        """The join condition from the parent's table (to the secondary for many-to-many),
        written as SQLAlchemy writes it: ``referenced column = foreign key column``."""
        self.parent._ensure_configured()
        if self.primaryjoin_arg is not None:
            return self._primary_clause()
        if self.direction is Direction.MANYTOONE:
            return and_(*[remote == local for local, remote in self.local_remote_pairs])
        return and_(*[local == remote for local, remote in self._pairs])

    @property
    def secondaryjoin(self) -> ColumnElement | None:
        """For many-to-many, the condition from the secondary table to the target's."""
        self.parent._ensure_configured()
        if self.secondary is None:
            return None
        return self._secondary_clause()

    # -- helpers for the unit of work and loading ---------------------------------------
    @property
    def is_collection(self) -> bool:
        """Whether the attribute holds a collection (one-to-many, many-to-many) or one object."""
        return self.uselist

    @property
    def target_class(self) -> type:
        """The mapped class at the other end of the relationship."""
        return self.mapper.class_

    def _check_target(self, item: Any, owner: InstanceState | None) -> None:
        """Refuse to link ``item`` to ``owner`` through this relationship when it is not
        a target object, or when either of them is deleted (its DELETE was flushed)."""
        st = state_of(item)
        if st is None or not isinstance(item, self.mapper.class_):
            raise exc.ArgumentError(
                f"{self.parent.class_.__name__}.{self.key} takes {self.mapper.class_.__name__} "
                f"objects, not {type(item).__name__}"
            )
        if st.deleted or (st.was_deleted and st.key is not None):
            self._refuse_deleted(item)
        if owner is not None and (owner.deleted or (owner.was_deleted and owner.key is not None)):
            self._refuse_deleted(owner())

    def _refuse_deleted(self, obj: Any) -> None:
        raise exc.InvalidRequestError(
            f"{obj!r} has been deleted (its DELETE was flushed), so it cannot be linked to "
            f"another object through {self.parent.class_.__name__}.{self.key}; its row is "
            "gone. Relate a live object, or use uow_orm.make_transient(obj) and add it "
            "again to insert it as a new row"
        )

    # -- single_parent=True ----------------------------------------------------------------
    def _check_single_parent(self, owner: InstanceState, item: Any) -> None:
        """Refuse to relate ``item`` to ``owner`` when another live object already holds it
        through this relationship (known in memory: a holder that is not loaded is not
        seen, as in SQLAlchemy)."""
        st: InstanceState | None = state_of(item)
        holder = getattr(st, "parents", {}).get(self) if st is not None else None
        if holder is None or holder is owner:
            return
        holder_obj = holder()
        if holder_obj is None or holder.deleted or holder.was_deleted:
            return
        current = holder_obj.__dict__.get(self.key)
        if current is None:
            return
        holds = any(x is item for x in current) if self.uselist else current is item
        if holds:
            raise exc.InvalidRequestError(
                f"Instance {item!r} is already associated with an instance of "
                f"{self.parent.class_!r} via its {self.parent.class_.__name__}.{self.key} "
                "attribute, and is only allowed a single parent (single_parent=True)"
            )

    def _note_holder(self, owner: InstanceState, item: Any, joined: bool) -> None:
        """Record (``joined``) or forget that ``owner`` holds ``item`` through this
        relationship (single_parent=True)."""
        st = state_of(item)
        if st is None:
            return
        parents = getattr(st, "parents", None)
        if joined:
            if parents is None:
                parents = st.parents = {}
            parents[self] = owner
        elif parents is not None and parents.get(self) is owner:
            del parents[self]

    # -- backrefs and cascades on change --------------------------------------------------
    def _validate(self, obj: Any, value: Any, is_remove: bool, backref: bool) -> Any:
        """Run this attribute's ``@validates`` method on ``value`` (joining or, with
        ``is_remove``, leaving it); the value to store. ``backref``: the change comes from
        the other side of a bidirectional relationship."""
        validator = obj.__dict__[STATE_ATTR].mapper.relationship_validators.get(self.key)
        if validator is None or (backref and not validator[2]):
            return value
        fn, with_removes, _ = validator
        if is_remove:
            if with_removes:
                fn(obj, self.key, value, True)
            return value
        return fn(obj, self.key, value, False) if with_removes else fn(obj, self.key, value)

    def _event_token(self, op: str) -> _events.AttributeEventToken:
        """The ``initiator`` token of a change of kind ``op`` made through this attribute
        (one per op, so listeners on both sides of a backref see the same object)."""
        tokens: dict[str, _events.AttributeEventToken] | None = self.__dict__.get("_event_tokens")
        if tokens is None:
            tokens = self.__dict__["_event_tokens"] = {}
        token = tokens.get(op)
        if token is None:
            token = tokens[op] = _events.AttributeEventToken(self.key, op)
        return token

    def _collection_added(
        self, owner: InstanceState, item: Any, initiator: _events.AttributeEventToken | None
    ) -> None:
        if self.single_parent:
            self._note_holder(owner, item, True)
        rev = self.reverse
        owner_obj = owner()
        if rev is not None and self.sync_backref is not False:
            token = initiator
            if token is None:  # = self._event_token(OP_APPEND), once per appended child
                tokens = self.__dict__.get("_event_tokens")
                token = tokens.get(_events.OP_APPEND) if tokens is not None else None
                if token is None:
                    token = self._event_token(_events.OP_APPEND)
            rev._backref_set(item, owner_obj, token)
        session = owner.session  # = self._cascade_add(owner, item)
        if session is not None and "save-update" in self.cascade and item is not None:
            session.cascade_save(item)

    def _collection_removed(
        self, owner: InstanceState, item: Any, initiator: _events.AttributeEventToken | None
    ) -> None:
        if self.single_parent:
            self._note_holder(owner, item, False)
        rev = self.reverse
        if rev is not None and self.sync_backref is not False:
            token = initiator if initiator is not None else self._event_token(_events.OP_REMOVE)
            rev._backref_unset(item, owner(), token)
        if "delete-orphan" in self.cascade:
            st = state_of(item)
            session = owner.session
            if st is not None and session is not None:
                _expunge_pending(st, session)

    def _cascade_add(self, owner: InstanceState, item: Any) -> None:
        session = owner.session
        if session is not None and "save-update" in self.cascade and item is not None:
            session.cascade_save(item)

    def _backref_set(self, obj: Any, value: Any, initiator: _events.AttributeEventToken) -> None:
        """``obj.<self.key>`` gains ``value`` because the other side changed (``initiator``:
        that side's token). As in SQLAlchemy the validators and the attribute listeners of
        this side run, for a collection also when it is not loaded (the change is then
        queued and applied when it loads)."""
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        if self.uselist:
            if self._validator:
                value = self._validate(obj, value, False, True)
            if state.mapper.attr_dispatch:
                value = _events.fire_append(state, self.key, value, initiator)
            coll = d.get(self.key)
            if coll is None:
                if state.key is not None:
                    # not loaded: remembered, and applied when the collection loads
                    session = state.session
                    if session is not None:
                        session.tracker.queue_collection_change(state, self.key, value, True)
                    return
                coll = self._init_collection(state)
            coll._append_silent(value)
        else:
            if self._validator:
                value = self._validate(obj, value, False, True)
            old = d.get(self.key, NO_VALUE)  # = self._scalar_without_sql(state, d)
            if old is NO_VALUE and state.key is not None and state.session is not None:
                old = _loading.lazy_load(state, self, no_sql=True)
            if old is value:
                return
            if state.mapper.attr_dispatch:
                value = _events.fire_set(state, self.key, value, old, initiator)
            if state.key is not None:
                state.record_change(self.key, old)
            d[self.key] = value
            if old is not NO_VALUE and old is not None and self.reverse is not None:
                # moved away from a previous owner: drop it from that owner's collection
                self.reverse._backref_unset(old, obj, initiator)

    def _scalar_without_sql(self, state: InstanceState, d: dict[str, Any]) -> Any:
        """The loaded value of this scalar relationship, else what the identity map can
        tell without a query (NO_VALUE when unknown)."""
        value = d.get(self.key, NO_VALUE)
        if value is NO_VALUE and state.key is not None and state.session is not None:
            value = _loading.lazy_load(state, self, no_sql=True)
        return value

    def _backref_unset(self, obj: Any, value: Any, initiator: _events.AttributeEventToken) -> None:
        """``obj.<self.key>`` loses ``value`` because the other side changed (``initiator``
        as for `_backref_set`)."""
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        if self.uselist:
            if self._validator:
                self._validate(obj, value, True, True)
            coll = d.get(self.key)
            if coll is not None:
                if state.mapper.attr_dispatch and any(x is value for x in coll):
                    _events.fire_remove(state, self.key, value, initiator)
                coll._remove_silent(value)
            elif state.key is not None and state.session is not None:
                if state.mapper.attr_dispatch:
                    _events.fire_remove(state, self.key, value, initiator)
                state.session.tracker.queue_collection_change(state, self.key, value, False)
        else:
            current = self._scalar_without_sql(state, d)
            if current is value:
                # as in SQLAlchemy, the scalar side sees this as being set to None
                new = None if not self._validator else self._validate(obj, None, False, True)
                if new is current:
                    return
                if state.mapper.attr_dispatch:
                    new = _events.fire_set(state, self.key, new, current, initiator)
                if state.key is not None:
                    state.record_change(self.key, value)
                d[self.key] = new

    def _attribute_class(self) -> type[RelationshipAttribute[Any]]:
        """The class attribute type: a data descriptor when users see a set / dict view
        instead of the member list kept in ``__dict__``."""
        if self.query_class is not None and self.lazy != "dynamic":
            raise exc.ArgumentError(
                f"relationship {self}: query_class= is used by lazy='dynamic' only "
                f"(lazy={self.lazy!r} would ignore it)"
            )
        if self.lazy in ("dynamic", "write_only"):
            if self.collection_class not in (None, list):
                raise exc.ArgumentError(
                    f"relationship {self}: lazy={self.lazy!r} takes no collection_class"
                )
            return QueryCollectionAttribute
        cc = self.collection_class
        if cc is set or self._annotation_collection in (set, dict):
            return ViewCollectionAttribute
        if cc is not None and cc is not list:
            from .collections import KeyFuncDict

            if isinstance(cc, type) and issubclass(cc, KeyFuncDict):
                return ViewCollectionAttribute
            if isinstance(cc, type) and issubclass(cc, InstrumentedList):
                return RelationshipAttribute
            if callable(cc) and not isinstance(cc(), InstrumentedList):
                return ViewCollectionAttribute  # a KeyFuncDict or a custom collection class
        return RelationshipAttribute

    def _new_members(self, items: Any = ()) -> InstrumentedList[Any]:
        """A new member list for this relationship's collection (a list subclass such as
        an ordering_list when collection_class makes one)."""
        kind = self._collection
        if kind is not None and kind.kind == "custom-list":
            coll: InstrumentedList[Any] = kind.factory()
            list.extend(coll, items)
            return coll
        return InstrumentedList(items)

    def _present(self, members: Any) -> Any:
        """What users see for the member list ``members``: itself, or its set / dict view."""
        kind = self._collection
        if kind is None or kind.kind == "custom-list" or members is None:
            return members
        view = members._view
        if view is None:
            view = members._view = kind.view(members)
        elif kind.kind == "custom":
            _collections.sync_view(view, members)
        return view

    def _init_collection(self, state: InstanceState) -> InstrumentedList[Any]:
        # (a plain list without the _new_members() call: a new object's first append)
        coll: InstrumentedList[Any] = (
            InstrumentedList() if self._collection is None else self._new_members()
        )
        coll._bind(state, self)
        state().__dict__[self.key] = coll
        if state.mapper.attr_dispatch:
            _events.fire_collection(state, self.key, "init_collection", coll)
        return coll

    # -- SQL ------------------------------------------------------------------------------
    def _primary_clause(
        self, local: Callable[[Any], Any] = _same, remote: Callable[[Any], Any] = _same
    ) -> ColumnElement:
        """The primary join condition with each parent-side column replaced by
        ``local(col)`` and each far-side one (target, or secondary for many-to-many) by
        ``remote(col)``: an ON clause (alias columns) or a lazy-load WHERE (bound values)."""
        if self.direction is Direction.MANYTOONE:  # SQLAlchemy's order: referenced column first
            parts: list[Any] = [remote(rc) == local(lc) for lc, rc in self._pairs]
        else:
            parts = [local(lc) == remote(rc) for lc, rc in self._pairs]
        if self._pj_extra is not None:
            parts.append(_resolve_sides(self._pj_extra, local, remote))
        return and_(*parts)

    def _secondary_clause(
        self, target: Callable[[Any], Any] = _same, secondary: Callable[[Any], Any] = _same
    ) -> ColumnElement:
        """The secondary join condition (target table to association table), with the
        same column replacement as `_primary_clause`."""
        parts: list[Any] = [target(tc) == secondary(sc) for tc, sc in self.secondary_target_pairs]
        if self._sj_extra is not None:
            parts.append(_resolve_sides(self._sj_extra, target, secondary))
        return and_(*parts)

    def _extra_criteria(
        self, local: Callable[[Any], Any] = _same, remote: Callable[[Any], Any] = _same
    ) -> list[Any]:
        """The criteria of a custom primaryjoin beyond the key pairs (an empty list for a
        relationship joined along its foreign keys)."""
        if self._pj_extra is None:
            return []
        return [_resolve_sides(self._pj_extra, local, remote)]

    def _join_info(self) -> tuple[Any, ColumnElement]:
        if self._target_alias is not None:
            from .aliased_target import join_info

            return join_info(self)
        if self.direction is Direction.MANYTOMANY:
            assert self.secondary is not None
            right = Join(self.secondary, self.mapper.local_table, self._secondary_clause())
            return right, self._primary_clause()
        on = self._primary_clause()
        if self.parent._union is not None or self.mapper._union is not None:
            from .inheritance import union_condition  # a ConcreteBase class reads its union

            on = union_condition(on, self.parent, self.mapper)
        if self.mapper.single:  # a relationship to a single-table subclass
            on = and_(on, self.mapper._single_criterion())
        return self.mapper._from, on  # (a joined-table subclass: the join of its tables)


def _resolve_sides(expr: Any, local: Callable[[Any], Any], remote: Callable[[Any], Any]) -> Any:
    from .joinconditions import resolve_sides

    return resolve_sides(expr, local, remote)


def _refuse_ambiguous(
    prop: RelationshipProperty, pairs: list[tuple[Column[Any], Column[Any]]], table: Table
) -> None:
    """Raise when two foreign key columns of ``table`` reference the same column: the
    relationship cannot tell which one it joins on."""
    seen: dict[int, Column[Any]] = {}
    for fk_col, ref in pairs:
        other = seen.get(id(ref))
        if other is not None and other is not fk_col:
            raise exc.AmbiguousForeignKeysError(
                f"relationship {prop}: {table.name}.{other.name} and {table.name}."
                f"{fk_col.name} both reference {ref.table.name}.{ref.name}, so the join "
                "condition is ambiguous; pass foreign_keys=[...] naming the column to join "
                "on, or primaryjoin= (and secondaryjoin= for a many-to-many)"
            )
        seen[id(ref)] = fk_col


def _fk_pairs(
    fk_table: Table,
    ref_table: Table,
    restrict: list[Column[Any]],
    exclude: list[Column[Any]] | None = None,
) -> list[tuple[Column[Any], Column[Any]]]:
    """(column of fk_table, referenced column of ref_table) for each foreign key."""
    pairs = []
    for col in fk_table.c:
        if restrict and not any(col is r for r in restrict):
            continue
        if exclude and any(col is e for e in exclude):
            continue
        for fk in col.foreign_keys:
            if fk.target_table_name == ref_table.name:
                pairs.append((col, fk.column))
    return pairs


class RelationshipAttribute(QueryableAttribute[_T]):
    """``User.addresses``: the instance-level value and the class-level comparator."""

    __slots__ = ("_comparator", "prop")
    is_relationship = True

    def __init__(self, class_: type, key: str, mapper: Mapper, prop: RelationshipProperty) -> None:
        super().__init__(class_, key, mapper)
        self.prop = prop
        self._comparator: Comparator | None = None

    @property
    def comparator(self) -> Comparator:
        """The `RelationshipProperty.Comparator` giving this attribute's operators (the
        relationship's ``comparator_factory``, else the built-in one)."""
        cmp = self._comparator
        if cmp is None:
            prop = self.property
            factory = prop.comparator_factory or Comparator
            cmp = self._comparator = factory(prop, self.mapper)
            cmp._attribute = self
        return cmp

    def __getattr__(self, name: str) -> Any:
        # a method the relationship's comparator_factory adds (User.addresses.my_op(...))
        if name.startswith("_"):
            raise AttributeError(name)
        prop = self.prop
        if prop.comparator_factory is not None:
            return getattr(self.comparator, name)
        raise AttributeError(
            f"{type(self).__name__!r} object (relationship {self}) has no attribute {name!r}"
        )

    @property
    def property(self) -> RelationshipProperty:
        self.mapper._ensure_configured()
        return self.prop

    @overload
    def __get__(self, obj: None, owner: Any) -> RelationshipAttribute[_T]: ...
    @overload
    def __get__(self, obj: object, owner: Any) -> _T: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        if self.key in d:
            prop = self.prop
            if prop._collection is None:
                return d[self.key]
            return prop._present(d[self.key])
        self.mapper._ensure_configured()
        prop = self.prop
        state: InstanceState = d[STATE_ATTR]
        if state.key is None:
            if prop.uselist:
                coll = prop._init_collection(state)
                return coll if prop._collection is None else prop._present(coll)
            return None
        return prop._present(_loading.lazy_load(state, prop))

    def set(self, obj: Any, value: Any) -> None:
        """Assign ``value`` (a collection, or one object / None) to ``obj``'s attribute,
        with backrefs, cascades, validators and history."""
        self.mapper._ensure_configured()
        if self.prop.uselist:
            self._set_collection(obj, value)
        else:
            self._set_scalar(obj, value)

    def _set_collection(self, obj: Any, value: Any) -> None:
        prop = self.prop
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        key = self.key
        if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise exc.ArgumentError(
                f"{self.class_.__name__}.{key} is a collection; assign a list of "
                f"{prop.mapper.class_.__name__} objects"
            )
        coll = d.get(key)
        if coll is None:
            if state.key is not None and state.session is not None:
                self.__get__(obj, type(obj))
                coll = d[key]
            else:
                coll = prop._init_collection(state)
        if coll is value or (coll._view is not None and coll._view is value):
            return
        if prop._collection is None:
            coll._replace(value)
            return
        given = value
        coll._replace(prop._collection.items_of(value, f"{self.class_.__name__}.{key}"))
        view = prop._present(coll)
        # keys given with the dict are kept, as in SQLAlchemy
        if isinstance(given, dict) and prop._collection.kind == "dict":
            view._explicit = {id(v): k for k, v in given.items()}

    def _old_scalar(self, state: InstanceState, d: dict[str, Any]) -> Any:
        """The value a scalar assignment replaces (loaded first when the flush or the
        history needs it; NO_VALUE when unknown and not needed)."""
        prop = self.prop
        old = d.get(self.key, NO_VALUE)
        if old is NO_VALUE and state.key is not None and state.session is not None:
            if (
                prop.direction is Direction.ONETOMANY
                or "delete-orphan" in prop.cascade
                or prop.active_history
            ):
                # one-to-one: the replaced row's key must be cleared; delete-orphan
                # (single_parent many-to-one): the replaced object is deleted; load it
                old = _loading.lazy_load(state, prop)
            elif prop.reverse is not None:
                old = _loading.lazy_load(state, prop, no_sql=True)
        return old

    def _set_scalar(self, obj: Any, value: Any) -> None:
        prop = self.prop
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        if prop._validator:
            value = prop._validate(obj, value, False, False)
        if value is not None:
            prop._check_target(value, state)
            if prop.single_parent:
                prop._check_single_parent(state, value)
        old = self._old_scalar(state, d)
        if old is value:
            return
        if state.key is not None:
            state.record_change(self.key, old)
        d[self.key] = value
        if prop.single_parent:
            if old is not NO_VALUE and old is not None:
                prop._note_holder(state, old, False)
            if value is not None:
                prop._note_holder(state, value, True)
        if value is not None:
            # first, so that the other side's backref finds the object in the session
            prop._cascade_add(state, value)
        try:
            self._scalar_replaced(obj, state, old, value)
        except BaseException:
            # the other side refused it (its @validates or a listener): as in SQLAlchemy
            # the assignment does not happen
            if old is NO_VALUE:
                d.pop(self.key, None)
            else:
                d[self.key] = old
            raise

    def _scalar_replaced(self, obj: Any, state: InstanceState, old: Any, value: Any) -> None:
        """After ``obj``'s scalar changed from ``old`` to ``value``: the backrefs, and
        delete-orphan of a pending replaced / detached object."""
        prop = self.prop
        rev = prop.reverse
        if rev is not None:
            sync = prop.sync_backref is not False
            if old is not NO_VALUE and old is not None:
                if sync:
                    rev._backref_unset(old, obj, prop._event_token(_events.OP_REPLACE))
                if value is None and "delete-orphan" in rev.cascade:
                    _expunge_pending(state)  # taken from its parent: never inserted
            if value is not None and sync:
                rev._backref_set(value, obj, prop._event_token(_events.OP_REPLACE))
        if (
            "delete-orphan" in prop.cascade
            and old is not NO_VALUE
            and old is not None
            and (rev is None or old.__dict__.get(rev.key) is None)
        ):
            _expunge_pending(old.__dict__[STATE_ATTR], state.session)  # a replaced one-to-one

    # -- comparisons ------------------------------------------------------------------------
    def __clause_element__(self) -> Any:
        raise exc.ArgumentError(
            f"{self} is a relationship; compare it with ==, .any() or .has(), or join on it"
        )

    def _join_info(self) -> tuple[Any, ColumnElement]:
        return self.property._join_info()

    def operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        if self.prop.comparator_factory is not None and op in ("=", "!="):
            cmp = self.comparator
            return cmp.__eq__(args[0]) if op == "=" else cmp.__ne__(args[0])
        return self._operate(op, *args, **kw)

    def _operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        if op.__class__ is not str:  # a function from sql.operators: operate(eq, obj)
            return op(self, *args, **kw)  # type: ignore[no-any-return]
        (other,) = args
        prop = self.property
        if op not in ("=", "!="):
            raise exc.ArgumentError(f"relationship {self} supports only ==, != , any(), has()")
        if prop._target_alias is not None and other is not None:
            # an aliased() target: "is related to other" is EXISTS of other's row there
            st = _state_for_compare(other, prop)
            pk = and_(*[c == _value_of(other, st, c, prop) for c in prop.mapper.pk_columns])
            crit = self._exists(pk, {})
            return crit if op == "=" else ~crit
        if prop.direction is Direction.MANYTOONE:
            if other is None:
                crit = and_(*[local.is_(None) for local, _ in prop.local_remote_pairs])
            else:
                st = _state_for_compare(other, prop)
                crit = and_(
                    *[
                        local == _value_of(other, st, remote, prop)
                        for local, remote in prop.local_remote_pairs
                    ],
                    *prop._extra_criteria(_same, lambda col: _bound_value(other, st, col, prop)),
                )
            return crit if op == "=" else ~crit
        if other is None and op == "=":  # (a one-to-one too: no any() / has() check)
            return ~self._exists(None, {})
        if other is None:
            return self._exists(None, {})
        crit = self.contains(other)
        return crit if op == "=" else ~crit

    def contains(self, other: Any) -> ColumnElement:  # type: ignore[override]
        if self.prop.comparator_factory is not None:
            return self.comparator.contains(other)
        return self._contains(other)

    def _contains(self, other: Any) -> ColumnElement:
        # a collection contains an object: no LIKE pattern, so no escape / autoescape
        prop = self.property
        st = _state_for_compare(other, prop)
        target = prop.mapper
        if prop.direction is Direction.ONETOMANY and prop._target_alias is None:
            return and_(
                *[
                    local == _value_of(other, st, remote, prop)
                    for local, remote in prop.local_remote_pairs
                ],
                *prop._extra_criteria(_same, lambda col: _bound_value(other, st, col, prop)),
            )
        pk_crit = and_(*[col == _value_of(other, st, col, prop) for col in target.pk_columns])
        return self.any(pk_crit)

    def any(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        if self.prop.comparator_factory is not None:
            return self.comparator.any(criterion, **kw)
        return self._any(criterion, **kw)

    def _any(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        prop = self.property
        if not prop.uselist:
            raise exc.InvalidRequestError(f"{self} is scalar; use has() instead of any()")
        return self._exists(criterion, kw)

    def has(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        if self.prop.comparator_factory is not None:
            return self.comparator.has(criterion, **kw)
        return self._has(criterion, **kw)

    def _has(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        prop = self.property
        if prop.uselist:
            raise exc.InvalidRequestError(f"{self} is a collection; use any() instead of has()")
        return self._exists(criterion, kw)

    def _exists(self, criterion: Any, kw: dict[str, Any]) -> ColumnElement:
        from ..sql.elements import literal_column

        prop = self.property
        if prop._target_alias is not None:
            from .aliased_target import exists_criteria

            return exists_criteria(prop, criterion, kw)  # type: ignore[no-any-return]
        target_cls = prop.mapper.class_
        target_from: Any = prop.mapper.local_table
        crits: list[Any] = []
        if prop.mapper.local_table is prop.parent.local_table:
            # self-referential: the related rows come from an alias of the same table
            from ..sql.elements import replace_columns

            target_from = target_from.alias()

            def on_target(el: Any) -> Any:
                return replace_columns(el, target_from.corresponding_column)
        else:

            def on_target(el: Any) -> Any:
                return el

        if prop.direction is Direction.MANYTOMANY:
            crits.append(prop._primary_clause())
            crits.append(prop._secondary_clause(on_target))
        else:
            crits.append(prop._primary_clause(_same, on_target))
        if criterion is not None:
            crits.append(on_target(coerce_expression(criterion)))
        for k, v in kw.items():
            crits.append(on_target(coerce_expression(getattr(target_cls, k) == v)))
        if prop.mapper.single:  # Company.managers.any(...): manager rows only
            crits.append(on_target(prop.mapper._single_criterion()))
        froms: list[Any] = [target_from]
        if prop.secondary is not None:
            froms.insert(0, prop.secondary)
        sel: Select[Any] = Select(literal_column("1")).select_from(*froms).where(*crits)
        if target_from is prop.mapper.local_table:
            # the related rows are the target class's: with_loader_criteria filters them
            sel.__dict__["_orm_from_entities"] = (target_cls,)
        return Exists(sel)

    def and_(self, *criteria: Any) -> Any:
        """This relationship's ON clause with more conditions, for ``join()``."""
        from .util import AliasedRelationshipAttribute

        return AliasedRelationshipAttribute(None, self.property, None, criteria)

    def of_type(self, cls: Any) -> Any:
        """This relationship aimed at ``cls``: an ``aliased()`` target for joins."""
        from .util import AliasedRelationshipAttribute

        return AliasedRelationshipAttribute(None, self.property, None).of_type(cls)


class Comparator:
    """The class-level operators of a relationship attribute (SQLAlchemy's
    ``RelationshipProperty.Comparator``): ``==`` / ``!=``, ``any()``, ``has()``,
    ``contains()``. Subclass it and pass ``relationship(comparator_factory=MyComparator)``
    to change them or add methods: ``User.addresses`` then uses the subclass's ``__eq__``,
    ``any`` ... and exposes its extra methods (``User.addresses.my_op(...)``); call
    ``super()`` for the built-in behaviour.

    Attributes: ``prop`` / ``property`` (the `RelationshipProperty`), ``mapper`` /
    ``entity`` (the target mapper), ``parent`` (the mapper of the attribute's class).
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        prop: RelationshipProperty,
        parentmapper: Mapper,
        adapt_to_entity: Any = None,
        of_type: Any = None,
        extra_criteria: tuple[Any, ...] = (),
    ) -> None:
        if adapt_to_entity is not None or of_type is not None or extra_criteria:
            raise exc.ArgumentError(
                "RelationshipProperty.Comparator(): adapt_to_entity, of_type and "
                "extra_criteria are not supported; use attr.of_type() / attr.and_()"
            )
        self.prop = prop
        self.parent = parentmapper
        self._attribute: RelationshipAttribute[Any] = None  # type: ignore[assignment]

    @property
    def mapper(self) -> Mapper:
        """The target class's mapper."""
        return self.prop.entity

    entity = mapper

    @property
    def property(self) -> RelationshipProperty:  # (last: the name shadows the builtin)
        """The relationship these operators belong to."""
        return self.prop

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        """The built-in ``==``: a many-to-one's foreign key equals ``other``'s key, a
        collection contains ``other``; ``== None`` means no related row."""
        return self._attribute._operate("=", other)

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        """The built-in ``!=`` (the negation of ``==``)."""
        return self._attribute._operate("!=", other)

    def any(self, criterion: Any = None, **kwargs: Any) -> ColumnElement:
        """The built-in ``any()``: EXISTS a related row (matching ``criterion``)."""
        return self._attribute._any(criterion, **kwargs)

    def has(self, criterion: Any = None, **kwargs: Any) -> ColumnElement:
        """The built-in ``has()``: EXISTS the related (scalar) row matching ``criterion``."""
        return self._attribute._has(criterion, **kwargs)

    def contains(self, other: Any, **kwargs: Any) -> ColumnElement:
        """The built-in ``contains()``: the collection holds ``other``."""
        if kwargs:
            raise exc.ArgumentError(f"contains() takes no keywords ({', '.join(kwargs)})")
        return self._attribute._contains(other)


RelationshipProperty.Comparator = Comparator


class ViewCollectionAttribute(RelationshipAttribute[_T]):
    """A relationship attribute whose users see a set or dict view of the member list
    (``collection_class=set`` / keyed dicts): a data descriptor, so reads always come
    here instead of finding the list in ``__dict__``."""

    __slots__ = ()

    def __set__(self, obj: Any, value: Any) -> None:
        self.set(obj, value)

    def __delete__(self, obj: Any) -> None:
        raise exc.InvalidRequestError(f"{self} cannot be deleted; assign an empty collection")


class QueryCollectionAttribute(RelationshipAttribute[_T]):
    """The attribute of a ``lazy="dynamic"`` / ``"write_only"`` relationship: reading it gives
    an `AppenderQuery` / `WriteOnlyCollection` bound to the object, never a loaded list."""

    __slots__ = ()

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        self.mapper._ensure_configured()
        prop = self.prop
        if prop.lazy == "dynamic":
            from .dynamic import appender_class

            return appender_class(prop.query_class)(prop, obj)
        from .writeonly import WriteOnlyCollection

        return WriteOnlyCollection(prop, obj)

    def __set__(self, obj: Any, value: Any) -> None:
        self.set(obj, value)

    def set(self, obj: Any, value: Any) -> None:
        self.mapper._ensure_configured()
        prop = self.prop
        d = obj.__dict__
        state: InstanceState = d[STATE_ATTR]
        if state.key is not None and self.key not in d:
            if prop.lazy == "write_only":
                raise exc.InvalidRequestError(
                    f"{self} is write-only: a persistent object's collection cannot be "
                    "replaced; use add_all() / remove(), or a bulk delete()"
                )
            _loading.lazy_load(state, prop)  # dynamic: replace the whole, loaded collection
        if self.key not in d:
            prop._init_collection(state)
        d[self.key]._replace(value)


def _expunge_pending(st: InstanceState, session: Any = None) -> None:
    """A pending object orphaned along a delete-orphan relationship leaves its session
    (``session``, when given, must be its session): it is simply never inserted."""
    if st.key is None and st.session is not None and (session is None or st.session is session):
        st.session.expunge_state(st)


def _state_for_compare(other: Any, prop: RelationshipProperty) -> InstanceState:
    st = state_of(other)
    if st is None:
        raise exc.ArgumentError(
            f"cannot compare relationship {prop} with {other!r}; give a mapped object or None"
        )
    return st


def _value_of(
    obj: Any,
    state: InstanceState,
    col: Column[Any],
    prop: RelationshipProperty,
) -> Any:
    mapper = state.mapper
    key = mapper.column_to_key.get(col)
    if key is None:
        raise exc.ArgumentError(f"column {col} is not mapped on {mapper.class_.__name__}")
    if key not in obj.__dict__ and state.key is not None and key in mapper.pk_keys:
        return state.key[1][mapper.pk_keys.index(key)]
    value = getattr(obj, key)
    if value is None and key in mapper.pk_keys:
        # an object without its key (transient, or pending before the flush) identifies no
        # row: comparing with it would read as "IS NULL" and match the wrong rows
        raise exc.InvalidRequestError(
            f"Can't resolve value for column {col} on object {obj!r}; no value has been set "
            "for this column (flush the object first to compare with it)"
        )
    return value


def _bound_value(obj: Any, state: InstanceState, col: Column[Any], prop: Any) -> Any:
    """``obj``'s value for column ``col`` as a bound parameter of the column's type."""
    from ..sql.elements import BindParameter

    return BindParameter(None, _value_of(obj, state, col, prop), col.type)


def relationship(argument: Any = None, **kw: Any) -> Mapped[Any]:
    """Link two mapped classes.

    ``argument`` is the target class or its name (inferred from a ``Mapped[...]``
    annotation when omitted). Keywords: ``back_populates`` / ``backref`` (keep the other
    side in sync in memory), ``secondary`` (association table for many-to-many),
    ``cascade`` (default ``"save-update, merge"``; also ``delete``, ``delete-orphan``,
    ``expunge``, ``refresh-expire``, ``all``), ``uselist`` (``False`` for one-to-one),
    ``order_by``, ``lazy`` (``"select"``, ``"selectin"``, ``"joined"``, ``"subquery"``,
    ``"immediate"``, ``"raise"``, ``"raise_on_sql"``, ``"noload"``, ``"dynamic"``,
    ``"write_only"``), ``join_depth`` (levels a self-referential eager load goes down),
    ``distinct_target_key`` (DISTINCT in a subquery load), ``comparator_factory`` (a
    `RelationshipProperty.Comparator` subclass), ``query_class`` (lazy="dynamic"),
    ``omit_join=False``, ``foreign_keys`` and ``remote_side`` (columns, or strings such as
    ``"Node.id"``), ``post_update`` (break a row cycle with a second UPDATE) and
    ``passive_deletes`` (let ``ON DELETE CASCADE`` remove unloaded children) and
    ``passive_updates`` (default True: the database's ``ON UPDATE CASCADE`` moves the
    children when a referenced primary key changes; False: the flush UPDATEs them).
    """
    dataclass_kw: dict[str, Any] = {
        k: kw.pop(k)
        for k in ("init", "repr", "default", "default_factory", "kw_only", "compare", "hash")
        if k in kw
    }
    prop = RelationshipProperty(argument, **kw)
    # read by declarative for MappedAsDataclass fields (and refused on other classes)
    prop._dataclass_kw = dataclass_kw
    return prop  # type: ignore[return-value]


def backref(name: str, **kw: Any) -> tuple[str, dict[str, Any]]:
    """The other side of a relationship, made with ``kw`` as `relationship` arguments."""
    known = set(inspect.signature(RelationshipProperty).parameters) - {"argument", "unsupported"}
    _refuse_unsupported({k: v for k, v in kw.items() if k not in known})
    return (name, kw)


#: SQLAlchemy's names of `RelationshipProperty` and `Direction` (``sqlalchemy.orm.relationships``)
Relationship = RelationshipProperty
RelationshipDirection = Direction

__all__ = [
    "MANYTOMANY",
    "MANYTOONE",
    "ONETOMANY",
    "CascadeOptions",
    "Direction",
    "Relationship",
    "RelationshipAttribute",
    "RelationshipDirection",
    "RelationshipProperty",
    "backref",
    "foreign",
    "relationship",
    "remote",
]

# at the bottom: loading imports this module (a cycle resolved at call time)
from . import loading as _loading  # noqa: E402
