"""FROM clauses and SELECT: ``Select``, ``Join``, ``Subquery``, ``select()``, ``exists()``.

Statements are immutable: every method returns a changed copy, so a compiled form can be
cached on the statement. Mapped classes are recognised by their ``__mapper__`` attribute
(duck typing keeps this layer free of ORM imports).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .. import exc
from .elements import (
    ClauseElement,
    ColumnElement,
    Exists,
    Label,
    ScalarSelect,
    and_,
    check_execution_options,
    coerce,
    coerce_criterion,
    coerce_expression,
    coerce_order_by,
)

if TYPE_CHECKING:
    from .compiler import Compiler

_T = TypeVar("_T")
_T1 = TypeVar("_T1")
_T2 = TypeVar("_T2")
_T3 = TypeVar("_T3")


class FromClause(ClauseElement):
    """Something that can follow FROM: a table, a join, a subquery."""

    is_from = True
    name: str = ""

    def _from_objects(self) -> list[FromClause]:
        return [self]

    def _column_list(self) -> list[Any]:
        raise NotImplementedError

    def _tables(self) -> list[FromClause]:
        """The tables (or subqueries) this FROM clause is made of."""
        return [self]


class Join(FromClause):
    def __init__(
        self,
        left: FromClause,
        right: FromClause,
        onclause: ClauseElement,
        isouter: bool = False,
        full: bool = False,
    ) -> None:
        self.left = left
        self.right = right
        self.onclause = onclause
        self.isouter = isouter
        self.full = full

    def _compile(self, compiler: Compiler) -> str:
        if self.full:
            kind = compiler.full_outer_join()
        else:
            kind = "LEFT OUTER JOIN" if self.isouter else "JOIN"
        return (
            f"{compiler.process(self.left, asfrom=True)} {kind} "
            f"{compiler.process(self.right, asfrom=True)} ON {compiler.process(self.onclause)}"
        )

    def _tables(self) -> list[FromClause]:
        return self.left._tables() + self.right._tables()

    def _column_list(self) -> list[Any]:
        return self.left._column_list() + self.right._column_list()


class SubqueryColumn(ColumnElement):
    """A column of a subquery: ``sub.c.name``."""

    __slots__ = ("key", "name", "subquery", "type")

    def __init__(self, name: str, type_: Any, subquery: Subquery) -> None:
        self.name = name
        self.key = name
        self.type = type_
        self.subquery = subquery

    def _compile(self, compiler: Compiler) -> str:
        return f"{compiler.quote(self.subquery.name)}.{compiler.quote(self.name)}"

    def _from_objects(self) -> list[FromClause]:
        return [self.subquery]


class _Columns:
    def __init__(self, cols: dict[str, ColumnElement]) -> None:
        self._cols = cols

    def __getattr__(self, key: str) -> ColumnElement:
        try:
            return self._cols[key]
        except KeyError:
            raise AttributeError(f"no column {key!r}; columns are {list(self._cols)}") from None

    def __getitem__(self, key: str) -> ColumnElement:
        return self._cols[key]

    def __iter__(self) -> Any:
        return iter(self._cols.values())

    def keys(self) -> list[str]:
        return list(self._cols)


class Subquery(FromClause):
    """``(SELECT ...) AS name``; its columns are ``sub.c.<key>``."""

    def __init__(self, select: Select[Any], name: str | None) -> None:
        self.select = select
        self.name = name or f"anon_{id(self) % 100000}"
        cols: dict[str, ColumnElement] = {}
        for col in select._column_elements():
            key = getattr(col, "key", None) or getattr(col, "name", None) or f"col{len(cols)}"
            cols.setdefault(key, SubqueryColumn(key, getattr(col, "type", None), self))
        self.c = _Columns(cols)
        self.columns = self.c

    def _compile(self, compiler: Compiler) -> str:
        return f"({compiler.process(self.select, subquery=True)}) AS {compiler.quote(self.name)}"

    def _column_list(self) -> list[Any]:
        return list(self.c)


def _int_or_none(method: str, n: Any) -> int | None:
    """The value of ``limit()`` / ``offset()``, converted as SQLAlchemy converts it."""
    if n is None:
        return None
    if isinstance(n, int) and not isinstance(n, bool):
        return int(n)
    if isinstance(n, str):
        try:
            return int(n)
        except ValueError:
            pass
    raise exc.ArgumentError(f"{method}() takes an int (or None), got {type(n).__name__} {n!r}")


def _entity_table(entity: Any) -> Any:
    mapper = getattr(entity, "__mapper__", None)
    if mapper is not None and isinstance(entity, type):
        return mapper.local_table
    return None


def _as_from(obj: Any) -> FromClause:
    table = _entity_table(obj)
    if table is not None:
        return table  # type: ignore[no-any-return]
    obj = coerce(obj)
    if isinstance(obj, FromClause):
        return obj
    raise exc.ArgumentError(f"{obj!r} cannot be used as a FROM clause")


def join_condition(left: FromClause, right: FromClause) -> ClauseElement:
    """The ON clause between two FROM clauses, inferred from their foreign keys."""
    found: list[ClauseElement] = []
    left_tables = left._tables()
    right_tables = right._tables()
    for rt in right_tables:
        for lt in left_tables:
            for a, b in ((rt, lt), (lt, rt)):
                cols = getattr(a, "c", None)
                if cols is None or not hasattr(a, "foreign_keys"):
                    continue
                pairs = [
                    fk.parent == fk.column
                    for fk in a.foreign_keys
                    if fk.target_table_name == getattr(b, "name", None)
                ]
                if len(pairs) > 1 and a is b:
                    pairs = []
                if pairs:
                    found.append(and_(*pairs))
        if found:
            break
    if not found:
        raise exc.ArgumentError(
            f"cannot find a foreign key between {_from_name(left)} and {_from_name(right)}; "
            "pass the ON clause explicitly: .join(target, onclause)"
        )
    if len(found) > 1:
        raise exc.ArgumentError(
            f"several foreign key paths join {_from_name(left)} and {_from_name(right)}; "
            "pass the ON clause explicitly: .join(target, onclause)"
        )
    return found[0]


def _from_name(f: FromClause) -> str:
    return ", ".join(getattr(t, "name", "?") for t in f._tables())


class Select(FromClause, Generic[_T]):
    """A SELECT statement. Build with `select`."""

    is_from = False
    is_select = True

    def __init__(self, *entities: Any) -> None:
        flat: list[Any] = []
        for e in entities:
            if isinstance(e, (list, tuple)):
                flat.extend(e)
            else:
                flat.append(e)
        self._entities: list[Any] = flat
        self._where: list[ClauseElement] = []
        self._order_by: list[ClauseElement] = []
        self._group_by: list[ClauseElement] = []
        self._having: list[ClauseElement] = []
        self._limit: Any = None
        self._offset: Any = None
        self._distinct = False
        self._for_update: dict[str, Any] | None = None
        self._select_from: list[FromClause] = []
        self._joins: list[tuple[Any, ClauseElement | None, bool, bool]] = []
        self._options: list[Any] = []
        self._eager_joins: list[tuple[FromClause, ClauseElement]] = []
        self._eager_columns: list[ColumnElement] = []
        self._execution_options: dict[str, Any] = {}
        self._compiled_cache: dict[str, Any] = {}

    def _generate(self) -> Select[_T]:
        s = copy.copy(self)
        for attr in (
            "_entities",
            "_where",
            "_order_by",
            "_group_by",
            "_having",
            "_select_from",
            "_joins",
            "_options",
            "_eager_joins",
            "_eager_columns",
        ):
            setattr(s, attr, list(getattr(self, attr)))
        s._execution_options = dict(self._execution_options)
        s._compiled_cache = {}
        return s

    # -- building ----------------------------------------------------------------------
    def where(self, *criteria: Any) -> Select[_T]:
        s = self._generate()
        for c in criteria:
            s._where.append(coerce_criterion(c))
        return s

    filter = where

    def filter_by(self, **kw: Any) -> Select[_T]:
        entity = self._filter_by_entity()
        crit = []
        for key, value in kw.items():
            attr = getattr(entity, key, None) if isinstance(entity, type) else None
            if attr is None:
                attr = getattr(getattr(entity, "c", None), key, None)
            if attr is None or not hasattr(attr, "__eq__"):
                raise exc.InvalidRequestError(
                    f"filter_by(): {_entity_name(entity)} has no attribute {key!r}"
                )
            crit.append(attr == value)
        return self.where(*crit)

    def _filter_by_entity(self) -> Any:
        if self._joins:
            return self._joins[-1][0]
        for e in self._entities:
            if isinstance(e, type) and hasattr(e, "__mapper__"):
                return e
            if isinstance(e, FromClause):
                return e
            table = getattr(coerce(e), "table", None)
            if table is not None:
                return table
        raise exc.InvalidRequestError("filter_by() needs a selected entity or table")

    def order_by(self, *clauses: Any) -> Select[_T]:
        s = self._generate()
        if len(clauses) == 1 and clauses[0] is None:
            s._order_by = []
            return s
        s._order_by.extend(coerce_order_by(c) for c in clauses)
        return s

    def group_by(self, *clauses: Any) -> Select[_T]:
        s = self._generate()
        s._group_by.extend(coerce_order_by(c) for c in clauses)
        return s

    def having(self, *criteria: Any) -> Select[_T]:
        s = self._generate()
        s._having.extend(coerce_criterion(c) for c in criteria)
        return s

    def limit(self, n: int | None) -> Select[_T]:
        """``LIMIT n`` (None removes it); ``n`` is an int or a string of one."""
        s = self._generate()
        s._limit = _int_or_none("limit", n)
        return s

    def offset(self, n: int | None) -> Select[_T]:
        """``OFFSET n`` (None removes it); ``n`` is an int or a string of one."""
        s = self._generate()
        s._offset = _int_or_none("offset", n)
        return s

    def distinct(self) -> Select[_T]:
        s = self._generate()
        s._distinct = True
        return s

    def with_for_update(
        self, *, nowait: bool = False, read: bool = False, skip_locked: bool = False, of: Any = None
    ) -> Select[_T]:
        s = self._generate()
        s._for_update = {"nowait": nowait, "read": read, "skip_locked": skip_locked, "of": of}
        return s

    def select_from(self, *froms: Any) -> Select[_T]:
        s = self._generate()
        s._select_from.extend(_as_from(f) for f in froms)
        return s

    def join(
        self, target: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Select[_T]:
        s = self._generate()
        s._joins.append(
            (
                target,
                coerce_expression(onclause) if onclause is not None else None,
                isouter or full,
                full,
            )
        )
        return s

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Select[_T]:
        """``LEFT OUTER JOIN`` (``full=True``: ``FULL OUTER JOIN``)."""
        return self.join(target, onclause, isouter=True, full=full)

    def options(self, *opts: Any) -> Select[_T]:
        s = self._generate()
        s._options.extend(opts)
        return s

    def execution_options(self, **kw: Any) -> Select[_T]:
        """A copy with execution options: ``populate_existing``, ``autoflush``, or an
        application's own keys; SQLAlchemy options uow_orm lacks raise ArgumentError."""
        s = self._generate()
        s._execution_options.update(check_execution_options("select", kw))
        return s

    def get_execution_options(self) -> dict[str, Any]:
        """The execution options set on this statement."""
        return dict(self._execution_options)

    def add_columns(self, *cols: Any) -> Select[Any]:
        s = self._generate()
        s._entities.extend(cols)
        return s

    def with_only_columns(self, *cols: Any) -> Select[Any]:
        s = self._generate()
        s._entities = list(cols)
        return s

    def subquery(self, name: str | None = None) -> Subquery:
        return Subquery(self, name)

    def alias(self, name: str | None = None) -> Subquery:
        return Subquery(self, name)

    def scalar_subquery(self) -> ScalarSelect:
        return ScalarSelect(self)

    def _scalar_subquery(self) -> ScalarSelect:
        return ScalarSelect(self)

    def exists(self) -> Exists:
        return Exists(self)

    def label(self, name: str) -> Label:
        return Label(name, ScalarSelect(self))

    def get_final_froms(self) -> list[FromClause]:
        return self._froms()

    # -- introspection for the compiler and the ORM -------------------------------------
    def _column_elements(self) -> list[ColumnElement]:
        cols: list[ColumnElement] = []
        for e in self._entities:
            table = _entity_table(e)
            if table is not None:
                cols.extend(e.__mapper__.column_list)
                continue
            el = coerce(e)
            if isinstance(el, FromClause):
                cols.extend(el._column_list())
            else:
                cols.append(coerce_expression(el))  # type: ignore[arg-type]
        return cols

    def _column_list(self) -> list[Any]:
        return self._column_elements()

    def _froms(self) -> list[FromClause]:
        """The FROM list: explicit froms with joins applied, then implied tables."""
        implied: list[FromClause] = []

        def add(f: FromClause) -> None:
            if not any(f is x for x in implied):
                implied.append(f)

        for e in self._entities:
            table = _entity_table(e)
            if table is not None:
                add(table)
                continue
            el = coerce(e)
            for f in el._from_objects():
                add(f)
        for w in self._where:
            for f in w._from_objects():
                add(f)
        froms: list[FromClause] = list(self._select_from)
        if self._joins:
            if froms:
                left = froms[0]
            elif implied:
                left = implied[0]
                # join(Child.parent) starts from the relationship's own table
                first = self._joins[0][0]
                owner = (
                    getattr(getattr(first, "mapper", None), "local_table", None)
                    if hasattr(first, "_join_info")
                    else None
                )
                if owner is not None:
                    left = next((f for f in implied if f is owner), left)
            else:
                raise exc.InvalidRequestError(
                    "join() needs something to join from; use select_from()"
                )
            for target, onclause, isouter, full in self._joins:
                right, on = _join_target(left, target, onclause)
                left = Join(left, right, on, isouter, full)
            if froms:
                froms[0] = left
            else:
                froms = [left]
        for ej_target, ej_on in self._eager_joins:
            base = froms[0] if froms else implied[0]
            joined = Join(base, ej_target, ej_on, True)
            if froms:
                froms[0] = joined
            else:
                froms = [joined]
        covered: list[FromClause] = []
        for f in froms:
            covered.extend(f._tables())
        for f in implied:
            if not any(f is c for c in covered):
                froms.append(f)
                covered.append(f)
        return froms

    def _compile(self, compiler: Compiler) -> str:
        return compiler.select(self)

    def __repr__(self) -> str:
        return f"<Select {self}>"


def _join_target(
    left: FromClause,
    target: Any,
    onclause: ClauseElement | None,
) -> tuple[FromClause, ClauseElement]:
    join_info = getattr(target, "_join_info", None)
    if join_info is not None:  # a relationship attribute, e.g. User.addresses
        right, on = join_info()
        if onclause is not None:
            on = onclause
        return right, on
    right = _as_from(target)
    if onclause is None:
        onclause = join_condition(left, right)
    return right, onclause


def _entity_name(entity: Any) -> str:
    return getattr(entity, "__name__", None) or getattr(entity, "name", None) or repr(entity)


@overload
def select(__ent0: type[_T1]) -> Select[tuple[_T1]]: ...
@overload
def select(__ent0: type[_T1], __ent1: type[_T2]) -> Select[tuple[_T1, _T2]]: ...
@overload
def select(
    __ent0: type[_T1],
    __ent1: type[_T2],
    __ent2: type[_T3],
) -> Select[tuple[_T1, _T2, _T3]]: ...
@overload
def select(*entities: Any) -> Select[Any]: ...
def select(*entities: Any) -> Select[Any]:
    """``SELECT`` of mapped classes, columns, tables or expressions."""
    return Select(*entities)


def exists(*args: Any) -> Exists:
    """``EXISTS (subquery)``: ``exists(select(...))`` or ``exists().where(...)``."""
    if len(args) == 1 and isinstance(args[0], Select):
        return Exists(args[0])
    from .elements import literal_column

    return Exists(Select(*args) if args else Select(literal_column("1")))


__all__ = ["FromClause", "Join", "Select", "Subquery", "exists", "join_condition", "select"]
