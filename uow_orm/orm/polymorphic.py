"""Polymorphic loading options: ``with_polymorphic()`` entities (plain and aliased) and
``selectin_polymorphic()`` / ``polymorphic_load="selectin"`` subclass loads.

Called by: the ``uow_orm.orm`` package (the public names), loading (the selectin
polymorphic loads after a query's rows, and below a relationship's loader option) and
strategy_options (``Load.selectin_polymorphic()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .. import exc
from ..sql.elements import ColumnElement, ExecutableOption, and_, replace_columns
from ..sql.selectable import Alias, AliasColumn, Join, Select, Subquery, _Columns
from .mapper import Mapper
from .state import STATE_ATTR
from .util import AliasedClass

if TYPE_CHECKING:
    from .strategy_options import LoadTree


# -- with_polymorphic: the FROM and the columns -------------------------------------------
def polymorphic_columns(
    mapper: Mapper, classes: Sequence[Mapper] | None
) -> tuple[list[Any], list[str]]:
    """The entity columns of ``with_polymorphic(mapper, classes)``: the mapper's own,
    then the columns each listed subclass (every subclass for None) adds."""
    cols, keys = list(mapper.load_columns), list(mapper.load_keys)
    if mapper._union is not None:  # a ConcreteBase union selects every class's columns
        return cols, keys
    targets = mapper.self_and_descendants if classes is None else classes
    for m in targets:
        for c, k in zip(m.load_columns, m.load_keys):
            if k not in keys:
                cols.append(c)
                keys.append(k)
            elif not any(
                cols[i] is c for i, kk in enumerate(keys) if kk == k or kk.startswith(k + "\0")
            ):  # a sibling's own column under the same key (engineer.status, manager.status)
                cols.append(c)
                keys.append(f"{k}\0{id(m)}")  # (read by inheritance._entries)
    return cols, keys


def polymorphic_from(mapper: Mapper, classes: Sequence[Mapper], innerjoin: bool) -> Any:
    """What ``with_polymorphic(mapper, classes)`` selects from: the mapper's own FROM,
    joined (LEFT OUTER, or inner with ``innerjoin``) to the tables of the joined-table
    subclasses listed."""
    frm = mapper._from
    for m in classes:
        if m._joined_tables is None or m is mapper or m.single:
            continue
        for sub in reversed(list(m.iterate_to_root())):
            if sub is mapper or not sub.isa(mapper) or sub.single:
                continue
            if not any(t is sub.local_table for t in frm._tables()):
                frm = Join(frm, sub.local_table, sub.inherit_condition, not innerjoin)
    return frm


def _targets(mapper: Mapper, classes: Any) -> list[Mapper]:
    """The mappers a ``with_polymorphic(mapper, classes)`` loads: ``mapper`` and the
    subclasses named (every one for ``"*"``)."""
    if classes == "*" or classes is None:
        return mapper.self_and_descendants
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
    return targets


class _FlatColumn(AliasColumn):
    """A column of one table alias of a flat aliased `with_polymorphic`: a statement that
    names it reads from the whole join of the aliases (``select(wp.Manager.manager_name)``
    has ``FROM employee AS employee_1 LEFT OUTER JOIN manager AS manager_1 ...``)."""

    __slots__ = ("polymorphic_from",)

    def __init__(self, element: Any, alias: Alias) -> None:
        super().__init__(element, alias)
        self.polymorphic_from: Any = alias

    def _from_objects(self) -> list[Any]:
        return [self.polymorphic_from]


def _flat_alias(frm: Any) -> tuple[Any, dict[Any, Any]]:
    """``frm`` (a table or a join of tables) with each table under an anonymous alias
    (``employee AS employee_1 LEFT OUTER JOIN manager AS manager_1 ON ...``) and the map
    from each table column to its alias column."""
    tables = frm._tables()
    aliases = [Alias(t) for t in tables]
    adapted: dict[Any, Any] = {}
    for t, a in zip(tables, aliases):
        a.c = a.columns = _Columns({c.key: _FlatColumn(c, a) for c in t.c})
        for c in t.c:
            adapted[c] = a.c[c.key]

    def rebuild(f: Any) -> Any:
        if isinstance(f, Join):
            on = replace_columns(f.onclause, adapted.get)
            return Join(rebuild(f.left), rebuild(f.right), on, f.isouter, f.full)
        return aliases[next(i for i, t in enumerate(tables) if t is f)]

    out = rebuild(frm)
    if isinstance(out, Join):
        for col in adapted.values():
            col.polymorphic_from = out
    return out, adapted


def _subquery_alias(frm: Any) -> tuple[Any, dict[Any, Any]]:
    """The join ``frm`` inside an anonymous subquery whose columns are labelled
    ``<table>_<column>`` (``(SELECT employee.id AS employee_id, ...) AS anon_1``), and the
    map from each table column to its subquery column."""
    cols = [c for t in frm._tables() for c in t.c]
    sub = Subquery(
        Select(*[c.label(f"{c.table.name}_{c.name}") for c in cols]).select_from(frm), None
    )
    return sub, {c: sub.c[f"{c.table.name}_{c.name}"] for c in cols}


def _union_alias(mapper: Mapper) -> tuple[Any, dict[Any, Any]]:
    """A `ConcreteBase` class's polymorphic union under another name (``pjoin_1``), and
    the map from the union's columns and the hierarchy's tables' columns (by name) to
    the alias's."""
    union = mapper._union
    alias = Alias(union)
    adapted = {c: alias.c[c.key] for c in union.c}
    adapted.update(_union_columns(mapper, alias))
    return alias, adapted


def _union_columns(mapper: Mapper, target: Any) -> dict[Any, Any]:
    """The map from the columns of the tables of a `ConcreteBase` hierarchy to the
    same-named columns of ``target`` (its union, or an alias of it)."""
    adapted: dict[Any, Any] = {}
    for m in mapper.self_and_descendants:
        for c in m.column_list:
            if c.name in target.c:
                adapted.setdefault(c, target.c[c.name])
    return adapted


class WithPolymorphic:
    """What `with_polymorphic` returns (not aliased): selects the base class's rows with the
    columns of the named subclasses too (no load on first access); ``wp.Manager.manager_name``
    names a subclass attribute, ``wp.name`` a base one."""

    def __init__(self, mapper: Mapper, classes: list[Mapper], name: str | None, frm: Any) -> None:
        self.__dict__["__mapper__"] = mapper
        self.__dict__["_classes"] = classes
        cols, keys = polymorphic_columns(mapper, classes)
        self.__dict__["_polymorphic_columns"] = (cols, keys)
        self.__dict__["_aliased_columns"] = cols
        self.__dict__["_result_key"] = name or mapper.class_.__name__
        self.__dict__["_by_name"] = {m.class_.__name__: m.class_ for m in classes}
        self.__dict__["_selectable"] = frm
        if mapper._union is not None:  # wp.Engineer.engineer_name: the union's column
            self.__dict__["_adapted"] = _union_columns(mapper, mapper._union)
        else:  # wp.Manager.manager_name: the column, read from this entity's FROM
            adapted: dict[Any, Any] = {}
            for m in classes:
                for c in [*m.load_columns, *(x for _, x in m._extra_columns)]:
                    if c not in adapted:
                        adapted[c] = _PolymorphicColumn(c, frm)
            self.__dict__["_adapted"] = adapted

    def __getattr__(self, key: str) -> Any:
        hit = self.__dict__["_by_name"].get(key)
        if hit is not None:
            if isinstance(hit, type) and hit is not self.__dict__["__mapper__"].class_:
                hit = _PlainPolymorphicMember(self, hit.__mapper__)  # type: ignore[attr-defined]
                self.__dict__["_by_name"][key] = hit
            return hit
        return getattr(self.__dict__["__mapper__"].class_, key)

    def __clause_element__(self) -> Any:
        return self.__dict__["_selectable"]

    def _adapt(self, element: Any) -> Any:
        return element  # the base table itself: nothing to adapt

    @property
    def entity(self) -> type:
        """The base class."""
        return self.__dict__["__mapper__"].class_  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        names = ", ".join(m.class_.__name__ for m in self._classes)
        return f"with_polymorphic({self.__mapper__.class_.__name__}, [{names}])"


class _PolymorphicColumn(ColumnElement):
    """``wp.Manager.manager_name`` of a `with_polymorphic` entity that is not aliased: the
    subclass's column, read from the entity's FROM (the join of the hierarchy's tables),
    so a statement naming it has that FROM, and, for a single-table subclass, no criterion
    limiting the rows to that class (the polymorphic entity reads every class's rows)."""

    __slots__ = ("_column", "_frm", "key", "name", "type")

    def __init__(self, column: Any, frm: Any) -> None:
        self._column = column
        self._frm = frm
        self.key = getattr(column, "key", None)
        self.name = getattr(column, "name", None)
        self.type = column.type

    def _compile(self, compiler: Any) -> str:
        return str(compiler.process(self._column))

    def _from_objects(self) -> list[Any]:
        return [self._frm]

    @property
    def table(self) -> Any:
        """The column's table."""
        return getattr(self._column, "table", None)


class AliasedPolymorphic(AliasedClass):
    """What ``with_polymorphic(..., aliased=True)`` (or ``flat=True``) returns: the
    polymorphic entity over aliases of its tables, so that two of one hierarchy can be
    in one statement (a self-join). ``wp.name`` and ``wp.Manager.manager_name`` are the
    alias's columns; rows build ordinary identity-mapped objects of each row's class."""

    def __init__(
        self, mapper: Mapper, classes: list[Mapper], frm: Any, adapted: dict[Any, Any], name: Any
    ) -> None:
        d = self.__dict__
        d["__mapper__"] = mapper
        d["_selectable"] = frm
        d["_name"] = name
        d["_flat"] = True
        for key, extra in mapper._extra_columns:  # joined-table: Manager.id is manager.id
            if extra not in adapted and mapper.columns[key] in adapted:
                adapted[extra] = adapted[mapper.columns[key]]
        d["_adapted"] = adapted
        cols, keys = polymorphic_columns(mapper, classes)
        acols = [adapted[c] for c in cols]
        d["_polymorphic_columns"] = (acols, keys)
        d["_aliased_columns"] = acols
        d["_result_key"] = name or mapper.class_.__name__
        d["_attr_cache"] = {}
        d["_classes"] = classes
        d["_members"] = {m.class_.__name__: m for m in classes if m is not mapper}

    def __getattr__(self, key: str) -> Any:
        members = self.__dict__["_members"]
        hit = members.get(key)
        if hit is None:
            return super().__getattr__(key)
        if isinstance(hit, Mapper):
            hit = members[key] = _PolymorphicMember(self, hit)
        return hit

    @property
    def entity(self) -> type:
        """The base class."""
        return self.__dict__["__mapper__"].class_  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        names = ", ".join(m.class_.__name__ for m in self._classes[1:])
        return f"with_polymorphic({self.__mapper__.class_.__name__}, [{names}], aliased=True)"


class _PolymorphicMember(AliasedClass):
    """``wp.Manager`` of an aliased `with_polymorphic`: the subclass over the same aliases
    (SQLAlchemy's ``aliased(Manager)`` of the polymorphic selectable)."""

    def __init__(self, owner: Any, mapper: Mapper) -> None:
        d = self.__dict__
        adapted = owner.__dict__["_adapted"]
        for key, extra in mapper._extra_columns:
            if extra not in adapted and mapper.columns[key] in adapted:
                adapted[extra] = adapted[mapper.columns[key]]
        d["__mapper__"] = mapper
        d["_selectable"] = owner.__dict__["_selectable"]
        d["_name"] = None
        d["_flat"] = True
        d["_adapted"] = adapted
        d["_aliased_columns"] = [adapted.get(c, c) for c in mapper.load_columns]
        d["_polymorphic_columns"] = (d["_aliased_columns"], list(mapper.load_keys))
        d["_result_key"] = mapper.class_.__name__
        d["_attr_cache"] = {}


class _PlainPolymorphicMember(_PolymorphicMember):
    """``wp.Manager`` of a `with_polymorphic` that is not aliased: its columns read from
    the entity's FROM (see `_PolymorphicColumn`); its relationships and other attributes
    are the class's own (the tables are not aliased)."""

    def __getattr__(self, key: str) -> Any:
        mapper: Mapper = self.__dict__["__mapper__"]
        if key in mapper.columns:
            return super().__getattr__(key)
        return getattr(mapper.class_, key)


def _refuse(**given: Any) -> None:
    """Refuse the `with_polymorphic` arguments it does not support, when given."""
    unsupported = [n for n, v in given.items() if v is not None and v is not False]
    if unsupported:
        raise exc.ArgumentError(
            f"with_polymorphic(): {', '.join(unsupported)} not supported (the entity selects "
            "from the base table, outer-joined to joined-table subclasses' tables, or from "
            "aliases of them with aliased=True); use with_polymorphic() without it"
        )


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
        aliased: select from aliases of the tables (a subquery of the join of a
            joined-table hierarchy), so that the entity can be used twice in a statement.
        flat: alias each table of the join on its own instead of a subquery (implies
            ``aliased``, as in SQLAlchemy).
        innerjoin: INNER JOIN the subclasses' tables (rows of every listed class only).
        name: the entity's key in result rows.

    Raises:
        ArgumentError: ``base`` is not a mapped class, a class is not a subclass of it, or
            ``selectable`` / ``polymorphic_on`` / ``adapt_on_names`` is given (not
            supported).
    """
    _refuse(
        selectable=selectable,
        polymorphic_on=polymorphic_on,
        adapt_on_names=adapt_on_names,
        _use_mapper_path=_use_mapper_path,
    )
    mapper = getattr(base, "__mapper__", None) if isinstance(base, type) else None
    if mapper is None:
        raise exc.ArgumentError(f"with_polymorphic() needs a mapped class, got {base!r}")
    mapper._ensure_configured()
    targets = _targets(mapper, classes)
    frm = polymorphic_from(mapper, targets, innerjoin)
    if not (aliased or flat):
        return WithPolymorphic(mapper, targets, name, frm)
    if mapper._union is not None:
        alias, adapted = _union_alias(mapper)
    elif flat or not isinstance(frm, Join):
        alias, adapted = _flat_alias(frm)
    else:
        alias, adapted = _subquery_alias(frm)
    return AliasedPolymorphic(mapper, targets, alias, adapted, name)


# -- polymorphic_load="selectin" / selectin_polymorphic() ------------------------------------
class SelectinPolymorphic(ExecutableOption):
    """What `selectin_polymorphic` returns: a statement option naming the subclasses whose
    columns load with one more SELECT per subclass after the base rows."""

    #: the statement cache's key of it (the SQL of the statement does not depend on it)
    _cache_key_slots: ClassVar[tuple[str, ...]] = ("base", "classes")

    def __init__(self, base: Mapper, classes: list[Mapper]) -> None:
        self.base = base
        self.classes = classes

    def __repr__(self) -> str:
        names = ", ".join(m.class_.__name__ for m in self.classes)
        return f"selectin_polymorphic({self.base.class_.__name__}, [{names}])"


def subclass_mappers(mapper: Mapper, classes: Any, what: str) -> list[Mapper]:
    """The mappers of ``classes`` (a class or a list), each ``mapper`` or a mapped subclass
    of it.

    Raises:
        ArgumentError: a class is not a mapped subclass of ``mapper`` (``what`` names the
            call in the message).
    """
    targets = []
    for c in classes if isinstance(classes, (list, tuple)) else [classes]:
        m = getattr(c, "__mapper__", None) if isinstance(c, type) else None
        if m is None or not m.isa(mapper):
            raise exc.ArgumentError(
                f"{what}: {c!r} is not a mapped subclass of {mapper.class_.__name__}"
            )
        targets.append(m)
    return targets


def selectin_polymorphic(base: Any, classes: Any) -> SelectinPolymorphic:
    """A loader option: after a query for ``base`` loads its rows, the columns of each of
    ``classes`` (its subclasses) load with one SELECT per subclass for the objects of it.
    Also below a relationship's option:
    ``selectinload(Company.employees).options(selectin_polymorphic(Employee, [...]))``.

    Raises:
        ArgumentError: ``base`` is not a mapped class, or a class is not a subclass of it.
    """
    mapper = getattr(base, "__mapper__", None) if isinstance(base, type) else None
    if mapper is None:
        raise exc.ArgumentError(f"selectin_polymorphic() needs a mapped class, got {base!r}")
    what = f"selectin_polymorphic({mapper.class_.__name__}, ...)"
    return SelectinPolymorphic(mapper, subclass_mappers(mapper, classes, what))


def selectin_targets(
    mapper: Mapper, options: Sequence[Any], tree: LoadTree | None = None
) -> list[Mapper]:
    """The subclasses of ``mapper`` whose columns a query for it loads with a second
    SELECT (``polymorphic_load="selectin"``, a `selectin_polymorphic` option among the
    statement's ``options`` or in the loader option ``tree`` of the entity); empty for
    most queries (cheap: a class attribute test and one scan of the options)."""
    out: list[Mapper] = [m for m in mapper._selectin_subs if m.isa(mapper) and m is not mapper]
    found = [o for o in options if isinstance(o, SelectinPolymorphic)]
    if tree is not None:
        found.extend(tree.polymorphic)
    for o in found:
        if mapper.isa(o.base) or o.base.isa(mapper):
            out.extend(m for m in o.classes if m.isa(mapper) and m is not mapper and m not in out)
    return out


def load_selectin_polymorphic(
    session: Any, conn: Any, mapper: Mapper, objs: Sequence[Any], targets: list[Mapper]
) -> None:
    """Load the columns of ``targets`` (subclasses of ``mapper``) for the objects of them
    among ``objs``: one ``SELECT ... WHERE pk IN (...)`` per subclass (in chunks); the
    identity map fills the attributes the base query left unloaded."""
    from ..sql.elements import or_
    from .loading import execute_select

    groups: dict[Mapper, list[Any]] = {}
    for obj in objs:
        if obj is None:
            continue
        om = obj.__dict__[STATE_ATTR].mapper
        # the least specific target the object is of: that query loads the levels below
        hit = next(
            (
                t
                for t in targets
                if om.isa(t) and not any(t is not u and t.isa(u) and om.isa(u) for u in targets)
            ),
            None,
        )
        if hit is not None:
            groups.setdefault(hit, []).append(obj)
    pk_cols = mapper.pk_columns
    for target, members in groups.items():
        keys = [tuple(o.__dict__[k] for k in mapper.pk_keys) for o in members]
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            if len(pk_cols) == 1:
                crit = pk_cols[0].in_([k[0] for k in chunk])
            else:
                crit = or_(*[and_(*[c == v for c, v in zip(pk_cols, k)]) for k in chunk])
            stmt: Any = Select(target.class_).where(crit)
            execute_select(session, stmt, None, conn).all()


def selectin_after_load(
    session: Any,
    conn: Any,
    mapper: Mapper,
    options: Sequence[Any],
    objs: Sequence[Any],
    tree: LoadTree | None = None,
) -> None:
    """The loader's hook after a query's rows are built: the selectin polymorphic loads of
    the objects ``objs`` of one entity (nothing when no subclass loads that way)."""
    targets = selectin_targets(mapper, options, tree)
    if targets:
        load_selectin_polymorphic(session, conn, mapper, objs, targets)
