"""FROM clauses and SELECT: ``Select``, ``Join``, ``Subquery``, ``select()``, ``exists()``.

Statements are immutable: every method returns a changed copy, so a compiled form can be
cached on the statement. Mapped classes are recognised by their ``__mapper__`` attribute
(duck typing keeps this layer free of ORM imports).

Called by: uow_orm.orm, uow_orm.orm.*, uow_orm.sql.schema, uow_orm.sql, uow_orm.sql.*,
uow_orm.ext.horizontal_shard.
"""

from __future__ import annotations

import copy
import enum
import operator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .. import exc
from ..types import TypeEngine
from .elements import (
    BinaryExpression,
    ClauseElement,
    ColumnElement,
    Executable,
    Exists,
    Label,
    LiteralColumn,
    ScalarSelect,
    UnaryExpression,
    and_,
    check_execution_options,
    check_options,
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


class ReturnsRows(ClauseElement):
    """Base of the constructs with result columns (SQLAlchemy's ``ReturnsRows``): every
    `Selectable`, and INSERT / UPDATE / DELETE (rows with ``RETURNING``)."""

    __slots__ = ()


class Selectable(ReturnsRows):
    """Base of what can be selected from (SQLAlchemy's ``Selectable``): FROM clauses and
    SELECT statements."""

    __slots__ = ()


class HasCTE:
    """Mixin of the statements with ``cte()`` (SQLAlchemy's ``HasCTE``)."""

    __slots__ = ()


class SelectBase(HasCTE, Executable, Selectable):
    """Base of the SELECT statements (SQLAlchemy's ``SelectBase``): `Select`,
    `CompoundSelect` and `TextualSelect`."""

    __slots__ = ()


class GenerativeSelect(SelectBase):
    """Base of the SELECTs that take ORDER BY / LIMIT / OFFSET / FOR UPDATE (SQLAlchemy's
    ``GenerativeSelect``): `Select` and `CompoundSelect`."""

    __slots__ = ()


class FromClause(Selectable):
    """Something that can follow FROM: a table, a join, a subquery."""

    is_from = True
    name: str = ""

    def _from_objects(self) -> list[FromClause]:
        return [self]

    def _column_list(self) -> list[Any]:
        raise NotImplementedError

    def _select_columns(self) -> list[Any]:
        """The columns selecting this FROM clause as a whole stands for (a table leaves out
        its ``insert_sentinel()`` columns)."""
        return self._column_list()

    def _tables(self) -> list[FromClause]:
        """The tables (or subqueries) this FROM clause is made of."""
        return [self]

    def join(
        self, right: Any, onclause: Any = None, isouter: bool = False, full: bool = False
    ) -> Join:
        """``self JOIN right ON onclause`` (inferred from foreign keys when omitted)."""
        return join(self, right, onclause, isouter=isouter, full=full)

    def outerjoin(self, right: Any, onclause: Any = None, full: bool = False) -> Join:
        """``self LEFT OUTER JOIN right ON onclause``."""
        return join(self, right, onclause, isouter=True, full=full)

    def alias(self, name: str | None = None, flat: bool = False) -> Alias:
        """This FROM clause under another name: ``users AS u1`` (anonymous when unnamed)."""
        return Alias(self, name)

    def tablesample(self, sampling: Any, name: str | None = None, seed: Any = None) -> TableSample:
        """A sample of this table's rows (PostgreSQL ``TABLESAMPLE``): see `TableSample`."""
        return TableSample(self, sampling, name, seed)

    def corresponding_column(self, column: Any) -> Any:
        """The column of this FROM clause that stands for ``column``, or None."""
        for c in self._column_list():
            if c is column:
                return c
        return None


class Join(FromClause):
    """``left JOIN right ON onclause``: a FROM clause made by `join`, `outerjoin` or
    ``FromClause.join()``.

    ``isouter`` gives ``LEFT OUTER JOIN``, ``full`` gives ``FULL OUTER JOIN`` (which SQLite
    before 3.39 lacks: compiling it there raises ``CompileError``). A join whose right side is
    itself a join is parenthesized.
    """

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
        left = compiler.process(self.left, asfrom=True)
        right = compiler.process(self.right, asfrom=True)
        if isinstance(self.right, Join):
            # a many-to-many's (secondary JOIN target): SQLite needs the nested join in
            # parentheses ("a JOIN b JOIN c ON .. ON .." is a syntax error there)
            right = f"({right})"
        return f"{left} {kind} {right} ON {compiler.process(self.onclause)}"

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
        return f"{compiler.quote(compiler.from_name(self.subquery))}.{compiler.quote(self.name)}"

    def _from_objects(self) -> list[FromClause]:
        return [self.subquery]

    @property
    def _proxied_source(self) -> Any:
        """The expression of the subquery's SELECT this column is (None: unknown)."""
        for col, sc in self.subquery._source_pairs:
            if sc is self:
                return col if hasattr(col, "proxy_set") else None
        return None

    @property
    def table(self) -> FromClause:
        return self.subquery


class _Columns:
    is_column_collection = True

    def __init__(self, cols: dict[str, ColumnElement]) -> None:
        self._cols = cols

    def __getattr__(self, key: str) -> ColumnElement:
        try:
            return self._cols[key]
        except KeyError:
            raise AttributeError(f"no column {key!r}; columns are {list(self._cols)}") from None

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            return _Columns({k: self._cols[k] for k in key})
        if isinstance(key, int):
            return list(self._cols.values())[key]
        return self._cols[key]

    def __iter__(self) -> Any:
        return iter(self._cols.values())

    def __len__(self) -> int:
        return len(self._cols)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key in self._cols
        return any(c is key for c in self._cols.values())

    def get(self, key: str, default: Any = None) -> Any:
        """The column named ``key``, or ``default``."""
        return self._cols.get(key, default)

    def keys(self) -> list[str]:
        """The column keys, in order."""
        return list(self._cols)

    def values(self) -> list[ColumnElement]:
        """The columns, in order."""
        return list(self._cols.values())

    def items(self) -> list[tuple[str, ColumnElement]]:
        """``(key, column)`` pairs, in order."""
        return list(self._cols.items())


class SelectLabelStyle(enum.Enum):
    """How a SELECT labels its columns (`Select.set_label_style`), as in SQLAlchemy 2.0.

    ``LABEL_STYLE_DISAMBIGUATE_ONLY`` (``LABEL_STYLE_DEFAULT``): a column whose name an
    earlier one has is labelled ``id_1``; ``LABEL_STYLE_TABLENAME_PLUS_COL``: every table
    column is labelled ``<table>_<column>`` (``user_account.id AS user_account_id``), and
    the result and subquery keys are those labels; ``LABEL_STYLE_NONE``: no labels beyond
    the ones expressions need (a subquery of it still disambiguates, as in SQLAlchemy).
    """

    LABEL_STYLE_NONE = 0
    LABEL_STYLE_TABLENAME_PLUS_COL = 1
    LABEL_STYLE_DISAMBIGUATE_ONLY = 2
    LABEL_STYLE_DEFAULT = 2  # an alias of LABEL_STYLE_DISAMBIGUATE_ONLY


LABEL_STYLE_NONE = SelectLabelStyle.LABEL_STYLE_NONE
LABEL_STYLE_TABLENAME_PLUS_COL = SelectLabelStyle.LABEL_STYLE_TABLENAME_PLUS_COL
LABEL_STYLE_DISAMBIGUATE_ONLY = SelectLabelStyle.LABEL_STYLE_DISAMBIGUATE_ONLY
LABEL_STYLE_DEFAULT = SelectLabelStyle.LABEL_STYLE_DEFAULT


def _table_plus_col(col: Any) -> str | None:
    """``<table>_<column>`` for a column of a table or of a named alias, else None."""
    key = getattr(col, "key", None)
    if not isinstance(key, str):
        return None
    table = getattr(col, "table", None)
    if table is None:
        alias = getattr(col, "alias", None)
        name = getattr(alias, "_explicit_name", None) or getattr(alias, "_given_name", None)
    else:
        name = getattr(table, "name", None)
    return f"{name}_{key}" if isinstance(name, str) and name else None


def disambiguated_name(
    col: Any, seen: set[str], style: SelectLabelStyle = LABEL_STYLE_DISAMBIGUATE_ONLY
) -> str | None:
    """The label a selected column needs because an earlier column of the same SELECT has
    its name (``address.id AS id_1`` after ``user_account.id``), else None; records the
    name in ``seen``. Subqueries key their columns by it and the compiler writes it, so
    ``sub.c.id_1`` and each entity aliased over the subquery read their own column.

    With ``LABEL_STYLE_TABLENAME_PLUS_COL`` every table column gets its
    ``<table>_<column>`` label (numbered when repeated); ``LABEL_STYLE_NONE`` gives none.
    """
    if isinstance(col, Label):
        seen.add(col.name)
        return None
    if style is not LABEL_STYLE_DISAMBIGUATE_ONLY:
        if style is LABEL_STYLE_NONE:
            return None
        base = _table_plus_col(col)
        if base is not None:
            label, n = base, 0
            while label in seen:
                n += 1
                label = f"{base}_{n}"
            seen.add(label)
            return label
    key = getattr(col, "key", None)
    if not isinstance(key, str) or not hasattr(col, "table"):
        return None
    if key not in seen:
        seen.add(key)
        return None
    n = 1
    while f"{key}_{n}" in seen:
        n += 1
    label = f"{key}_{n}"
    seen.add(label)
    return label


class AliasedReturnsRows(FromClause):
    """Base of the FROM clauses that name another one (SQLAlchemy's
    ``AliasedReturnsRows``): `Alias`, `Subquery` (and `CTE`, `Lateral`) and
    `TableValuedAlias`."""


class TableClause(FromClause):
    """Base of `uow_orm.Table` (SQLAlchemy's ``TableClause``); ``table()`` builds a
    `Table` too, so ``isinstance(x, TableClause)`` holds for both."""


class Subquery(AliasedReturnsRows):
    """``(SELECT ...) AS name``; its columns are ``sub.c.<key>``."""

    def __init__(self, select: Any, name: str | None) -> None:
        self.select = select
        #: None: the compiler names it (anon_1, anon_2, ...) per statement
        self._explicit_name = name
        self.name = name or f"anon_{id(self) % 100000}"
        cols: dict[str, ColumnElement] = {}
        self._sources: dict[int, ColumnElement] = {}
        self._source_pairs: list[tuple[Any, ColumnElement]] = []
        seen: set[str] = set()
        style = getattr(select, "_label_style", LABEL_STYLE_DISAMBIGUATE_ONLY)
        if style is LABEL_STYLE_NONE:
            style = LABEL_STYLE_DISAMBIGUATE_ONLY  # as a subquery it labels repeated names
        for col in select._column_elements():
            key = getattr(col, "key", None) or getattr(col, "name", None) or f"col{len(cols)}"
            label = disambiguated_name(col, seen, style)
            if label is not None:
                key = label  # the compiler writes "t.id AS id_1" for it
            if key not in cols:
                sc = SubqueryColumn(key, getattr(col, "type", None), self)
                cols[key] = sc
                self._sources[id(col)] = sc
                self._source_pairs.append((col, sc))
        self.c = _Columns(cols)
        self.columns = self.c

    def _compile(self, compiler: Compiler) -> str:
        compiler.label_columns = compiler.display is not None
        if compiler.display is None:
            compiler.subquery_columns = self._sources
        body = compiler.process(self.select, subquery=True)
        compiler.label_columns = False  # consumed by the SELECT (or unused by a text body)
        compiler.subquery_columns = None
        return f"({body}) AS {compiler.quote(compiler.from_name(self))}"

    def _column_list(self) -> list[Any]:
        return list(self.c)

    def corresponding_column(self, column: Any) -> Any:
        """The subquery column selecting ``column`` (by identity, then by key)."""
        hit = self._sources.get(id(column))
        if hit is not None:
            return hit
        for c in self.c:
            if c is column:
                return c
        key = getattr(column, "key", None)
        return self.c.get(key) if isinstance(key, str) else None


class AliasColumn(ColumnElement):
    """A column seen through an alias: ``u1.name`` for ``users.name``."""

    __slots__ = ("alias", "element", "key", "name", "type")

    def __init__(self, element: Any, alias: Alias) -> None:
        self.element = element
        self.alias = alias
        self.key = element.key
        self.name = element.name
        self.type = element.type

    def _compile(self, compiler: Compiler) -> str:
        if not compiler.qualify:
            return compiler.quote(self.name)
        return f"{compiler.quote(compiler.from_name(self.alias))}.{compiler.quote(self.name)}"

    def _from_objects(self) -> list[FromClause]:
        return [self.alias]

    @property
    def _proxied_source(self) -> Any:
        return self.element

    @property
    def table(self) -> Alias:
        """The alias this column belongs to."""
        return self.alias

    @property
    def primary_key(self) -> bool:
        """Whether the aliased column is part of its table's primary key."""
        return bool(getattr(self.element, "primary_key", False))

    @property
    def foreign_keys(self) -> list[Any]:
        """The foreign keys of the aliased column."""
        return list(getattr(self.element, "foreign_keys", []))

    def __repr__(self) -> str:
        return f"AliasColumn({self.alias.name}.{self.name})"


class Alias(AliasedReturnsRows):
    """A table (or other FROM clause) under another name: ``users AS u1``.

    Built by ``Table.alias()`` and ``aliased()``; its columns are ``alias.c.<key>``.
    Unnamed aliases are named by the compiler (``users_1``, ``users_2``, ...).
    """

    def __init__(self, element: FromClause, name: str | None = None) -> None:
        # (the stand-in table of a class mapped to a subquery: an alias of that subquery)
        element = getattr(element, "_mapped_subquery_of", element)
        self.element = element
        self._explicit_name = name
        self.name = name or str(getattr(element, "name", None) or "anon")
        if hasattr(element, "_explicit_name"):  # a subquery: anon_1, unless it has a name
            self._anon_base = element._explicit_name or "anon"
        else:
            self._anon_base = self.name
        cols: dict[str, ColumnElement] = {}
        for col in element._column_list():
            cols[col.key] = AliasColumn(col, self)
        self.c = _Columns(cols)
        self.columns = self.c

    def _compile(self, compiler: Compiler) -> str:
        name = compiler.quote(compiler.from_name(self))
        if isinstance(self.element, Subquery):  # renamed subquery: (SELECT ...) AS name
            compiler.label_columns = compiler.display is not None
            body = compiler.process(self.element.select, subquery=True)
            compiler.label_columns = False
            return f"({body}) AS {name}"
        return f"{compiler.process(self.element, asfrom=True)} AS {name}"

    def _column_list(self) -> list[Any]:
        return list(self.c)

    @property
    def foreign_keys(self) -> list[Any]:
        """The foreign keys of the aliased table."""
        return list(getattr(self.element, "foreign_keys", []))

    @property
    def primary_key(self) -> list[Any]:
        """The primary-key columns of the aliased table."""
        return [self.c[c.key] for c in getattr(self.element, "primary_key", [])]

    def corresponding_column(self, column: Any) -> Any:
        """The alias column standing for ``column`` of the aliased table."""
        if isinstance(column, AliasColumn) and column.alias is self:
            return column
        for c in self.c:
            if c.element is column:
                return c
        inner = self.element.corresponding_column(column)
        if inner is not None and inner is not column:
            return self.corresponding_column(inner)
        return None

    def __repr__(self) -> str:
        return f"Alias({self.element!r}, {self._explicit_name!r})"


class TableSample(Alias):
    """``table AS name TABLESAMPLE method(arg) [REPEATABLE (seed)]`` (PostgreSQL): a table
    read through a sample of its rows. Built by `FromClause.tablesample` /
    ``tablesample()``; ``sampling`` is a number (``SYSTEM``'s percentage, as
    ``func.system(n)``) or a function (``func.bernoulli(10)``).

    Raises:
        CompileError: compiled for SQLite, which has no TABLESAMPLE.
    """

    def __init__(
        self, element: FromClause, sampling: Any, name: str | None = None, seed: Any = None
    ) -> None:
        from .elements import Function, coerce_expression

        super().__init__(element, name)
        self.sampling = (
            sampling if isinstance(sampling, Function) else Function("system", [sampling])
        )
        self.seed = None if seed is None else coerce_expression(seed)

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name == "sqlite" and not compiler.string_dialect:
            raise exc.CompileError("TABLESAMPLE is not supported on SQLite (tablesample())")
        sql = f"{super()._compile(compiler)} TABLESAMPLE {compiler.process(self.sampling)}"
        if self.seed is not None:
            sql += f" REPEATABLE ({compiler.process(self.seed)})"
        return sql

    def __repr__(self) -> str:
        return f"TableSample({self.element!r}, {self._explicit_name!r})"


def tablesample(
    selectable: FromClause, sampling: Any, name: str | None = None, seed: Any = None
) -> TableSample:
    """``selectable.tablesample(sampling, name, seed)``: a `TableSample` of a table."""
    return TableSample(selectable, sampling, name, seed)


def _base_table(f: Any) -> Any:
    """The table behind an alias (or the FROM clause itself)."""
    while isinstance(f, Alias):
        f = f.element
    return f


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
        return mapper._from  # the table (a join of tables for joined-table inheritance)
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
                target_name = getattr(_base_table(b), "name", None)
                # one condition per foreign key constraint: two separate keys to the same
                # table are two join paths (ambiguous), a composite key is one
                paths: dict[int, list[ClauseElement]] = {}
                for fk in a.foreign_keys:
                    if fk.target_table_name == target_name:
                        con = getattr(fk, "constraint", None)
                        paths.setdefault(id(con) if con is not None else id(fk), []).append(
                            # SQLAlchemy's order: the referenced column first
                            _seen_through(b, fk.column) == _seen_through(a, fk.parent)
                        )
                if len(paths) > 1 and a is b:
                    paths = {}
                found.extend(and_(*pairs) for pairs in paths.values())
        if found:
            break
    if not found:
        found = _subquery_join_condition(left_tables, right_tables)
    if not found:
        raise exc.NoJoinPathError(
            f"cannot find a foreign key between {_from_name(left)} and {_from_name(right)}; "
            "pass the ON clause explicitly: .join(target, onclause)"
        )
    if len(found) > 1:
        raise exc.AmbiguousJoinPathError(
            f"several foreign key paths join {_from_name(left)} and {_from_name(right)}; "
            "pass the ON clause explicitly: .join(target, onclause)"
        )
    return found[0]


def _subquery_join_condition(left: list[Any], right: list[Any]) -> list[ClauseElement]:
    """ON clauses through subqueries: a subquery column selecting a foreign key (or the
    column a foreign key refers to) joins like that column."""

    def sources(f: Any) -> list[tuple[Any, Any]]:
        f = _base_table(f)
        pairs = getattr(f, "_source_pairs", None)
        if pairs is None:  # a table: its own columns
            return [(c, c) for c in getattr(f, "c", ())]
        out = []
        for src, sc in pairs:
            while hasattr(src, "element") and not hasattr(src, "foreign_keys"):
                src = src.element  # through labels
            out.append((src, sc))
        return out

    found: list[ClauseElement] = []
    for rt in right:
        for lt in left:
            if not (
                hasattr(_base_table(rt), "_source_pairs")
                or hasattr(_base_table(lt), "_source_pairs")
            ):
                continue
            ls, rs = sources(lt), sources(rt)
            pairs = []
            for a, b in ((ls, rs), (rs, ls)):
                for src, col in a:
                    for fk in getattr(src, "foreign_keys", ()):
                        for tsrc, tcol in b:
                            if tsrc is fk.column:
                                pairs.append(tcol == col)  # referenced column first
            if pairs:
                found.append(and_(*pairs))
    return found


def _seen_through(f: Any, col: Any) -> Any:
    """``col`` as seen through the FROM clause ``f`` (its alias column for an alias)."""
    if isinstance(f, Alias):
        hit = f.corresponding_column(col)
        if hit is not None:
            return hit
    return col


def _from_name(f: FromClause) -> str:
    return ", ".join(getattr(t, "name", "?") for t in f._tables())


#: the list attributes of a Select that each generative copy gets anew
_GENERATIVE_LISTS = (
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
)
_get_lists = operator.itemgetter(*_GENERATIVE_LISTS)


class _SetOperations:
    """The set operations of ``Select`` and ``CompoundSelect``: each returns a new
    `CompoundSelect` of this statement and ``others``."""

    __slots__ = ()

    def union(self, *others: Any) -> CompoundSelect:
        """``self UNION other ...``: the rows of all, duplicates removed."""
        return CompoundSelect("UNION", self, *others)

    def union_all(self, *others: Any) -> CompoundSelect:
        """``self UNION ALL other ...``: the rows of all, duplicates kept."""
        return CompoundSelect("UNION ALL", self, *others)

    def except_(self, *others: Any) -> CompoundSelect:
        """``self EXCEPT other ...``: this statement's rows that the others lack."""
        return CompoundSelect("EXCEPT", self, *others)

    def except_all(self, *others: Any) -> CompoundSelect:
        """``self EXCEPT ALL other ...``, duplicates counted (PostgreSQL)."""
        return CompoundSelect("EXCEPT ALL", self, *others)

    def intersect(self, *others: Any) -> CompoundSelect:
        """``self INTERSECT other ...``: the rows all of them have."""
        return CompoundSelect("INTERSECT", self, *others)

    def intersect_all(self, *others: Any) -> CompoundSelect:
        """``self INTERSECT ALL other ...``, duplicates counted (PostgreSQL)."""
        return CompoundSelect("INTERSECT ALL", self, *others)


class Select(_SetOperations, FromClause, GenerativeSelect, Generic[_T]):
    """A SELECT statement. Build with `select`."""

    is_from = False
    is_select = True
    _distinct_on: list[ClauseElement] = []
    _correlate: list[FromClause] | None = None
    _correlate_except: list[FromClause] | None = None
    _label_style: SelectLabelStyle = LABEL_STYLE_DISAMBIGUATE_ONLY

    def __init__(self, *entities: Any) -> None:
        flat: list[Any] = []
        for e in entities:
            if isinstance(e, type):  # a mapped class (select(User)): nothing to unpack
                flat.append(e)
            elif isinstance(e, (list, tuple)) or _is_column_collection(e):
                flat.extend(e)  # select(table.c["a", "b"]) selects those columns
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

    def _generate(self, changing: str | None = None) -> Select[_T]:
        """A shallow copy whose clause lists are new (every builder method starts here, so
        it is written out rather than copy.copy(): W8 builds a statement per query).

        ``changing`` names the one list the caller extends (``where()``: ``_where``): only
        that one is copied, and the copy shares the others with this statement until one
        of its own builder methods copies them in turn. Callers that change anything else
        in place pass nothing."""
        s: Select[_T] = object.__new__(self.__class__)
        src = self.__dict__
        d = src.copy()  # (one C copy of the whole dict: twice as fast as update() into a new one)
        s.__dict__ = d
        if changing is not None:
            d[changing] = list(getattr(self, changing))
        else:
            try:  # the lists copied without a Python loop (all C calls)
                d.update(zip(_GENERATIVE_LISTS, map(list, _get_lists(src))))
            except KeyError:  # a list still at its class default
                for attr in _GENERATIVE_LISTS:
                    d[attr] = list(d[attr] if attr in d else getattr(self, attr))
        d["_execution_options"] = dict(self._execution_options)
        d["_compiled_cache"] = {}
        return s

    # -- building ----------------------------------------------------------------------
    def where(self, *criteria: Any) -> Select[_T]:
        """A copy with these conditions added to the WHERE clause, joined by AND.

        Each call adds to the criteria already there (as in SQLAlchemy). ``filter()`` is the
        same method.

        Args:
            *criteria: column expressions (``User.name == "x"``), ``text()`` fragments or
                Python booleans.

        Raises:
            ArgumentError: for a plain string, which would otherwise be bound as a constant
                (wrap literal SQL in ``text()``).
        """
        s = self._generate("_where")
        where = s._where
        for c in criteria:
            # (a comparison, as most criteria are, is a condition already)
            where.append(c if c.__class__ is BinaryExpression else coerce_criterion(c))
        return s

    filter = where

    @property
    def whereclause(self) -> ClauseElement | None:
        """The WHERE criteria joined by AND (one criterion as itself), or None."""
        if not self._where:
            return None
        return self._where[0] if len(self._where) == 1 else and_(*self._where)

    def filter_by(self, **kw: Any) -> Select[_T]:
        """A copy with ``key == value`` conditions on the last joined entity (or the first
        selected one), joined by AND: ``select(User).filter_by(name="x")``.

        Raises:
            InvalidRequestError: when that entity has no attribute named by a key, or
                nothing with attributes is selected.
        """
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
        """A copy with these expressions added to ORDER BY; ``order_by(None)`` removes the
        ordering.

        Args:
            *clauses: columns, ``desc()`` / ``asc()`` expressions or label names as strings.
        """
        s = self._generate("_order_by")
        if len(clauses) == 1 and clauses[0] is None:
            s._order_by = []
            return s
        s._order_by.extend(coerce_order_by(c) for c in clauses)
        return s

    def group_by(self, *clauses: Any) -> Select[_T]:
        """A copy with these expressions added to GROUP BY (a string names a label)."""
        s = self._generate("_group_by")
        s._group_by.extend(coerce_order_by(c) for c in clauses)
        return s

    def having(self, *criteria: Any) -> Select[_T]:
        """A copy with these conditions added to HAVING, joined by AND.

        Raises:
            ArgumentError: for a plain string (use ``text()``), as in `where`.
        """
        s = self._generate("_having")
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

    def distinct(self, *expr: Any) -> Select[_T]:
        """``SELECT DISTINCT``; with expressions, PostgreSQL's ``DISTINCT ON (expr, ...)``."""
        s = self._generate()
        s._distinct = True
        if expr:
            s._distinct_on = [*self._distinct_on, *(coerce_expression(e) for e in expr)]
        return s

    def with_for_update(
        self,
        *,
        nowait: bool = False,
        read: bool = False,
        skip_locked: bool = False,
        of: Any = None,
        key_share: bool = False,
    ) -> Select[_T]:
        """Lock the selected rows: ``FOR UPDATE`` (``FOR SHARE`` with ``read``; ``FOR NO KEY
        UPDATE`` / ``FOR KEY SHARE`` with ``key_share``), ``OF`` tables, ``NOWAIT`` or
        ``SKIP LOCKED``. SQLite has no row locks: the clause is left out, as in SQLAlchemy.

        ``nowait`` and ``skip_locked`` together are written both, as SQLAlchemy writes them
        (PostgreSQL then refuses the statement).
        """
        s = self._generate()
        s._for_update = {
            "nowait": nowait,
            "read": read,
            "skip_locked": skip_locked,
            "of": of,
            "key_share": key_share,
        }
        return s

    def select_from(self, *froms: Any) -> Select[_T]:
        """A copy with these FROM items added explicitly (tables, mapped classes, aliases,
        subqueries or `join` results); joins made with ``join()`` start from the first.
        """
        s = self._generate()
        s._select_from.extend(_as_from(f) for f in froms)
        for f in froms:  # select_from(Manager): only manager rows
            mapper = getattr(f, "__mapper__", None) if isinstance(f, type) else None
            if mapper is not None:
                # (with_loader_criteria filters the classes a SELECT reads from)
                s.__dict__["_orm_from_entities"] = (*s.__dict__.get("_orm_from_entities", ()), f)
            if mapper is not None and mapper.single:
                crit = mapper._single_criterion()
                if crit is not None:
                    s._where.append(crit)
        return s

    def join(  # type: ignore[override]
        self, target: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Select[_T]:
        """A copy with ``JOIN target`` added to the FROM clause, as SQLAlchemy's ``Select.join()``.

        Args:
            target: a mapped class, alias, table or subquery; or a relationship attribute
                (``User.addresses``) when no ``onclause`` is given.
            onclause: the ON condition, or a relationship attribute
                (``join(Address, User.addresses)``); inferred from the relationship or the
                foreign keys when omitted.
            isouter: ``LEFT OUTER JOIN``.
            full: ``FULL OUTER JOIN``.

        The join is resolved when the statement is compiled, which raises
        ``ArgumentError`` when no foreign key (or several) links the two sides and no ON clause
        is given, and ``InvalidRequestError`` when nothing is selected to join from (use
        `select_from`).
        """
        s = self._generate()
        s._joins.append((target, _join_onclause(onclause), isouter or full, full))
        return s

    def join_from(
        self,
        from_: Any,
        target: Any,
        onclause: Any = None,
        *,
        isouter: bool = False,
        full: bool = False,
    ) -> Select[_T]:
        """``FROM from_ JOIN target ON onclause``: the left side named explicitly
        (``full=True``: ``FULL OUTER JOIN``)."""
        s = self._generate()
        s._joins.append((_JoinFrom(from_, target), _join_onclause(onclause), isouter or full, full))
        return s

    def outerjoin_from(
        self, from_: Any, target: Any, onclause: Any = None, *, full: bool = False
    ) -> Select[_T]:
        """``FROM from_ LEFT OUTER JOIN target ON onclause`` (``full=True``: FULL OUTER)."""
        return self.join_from(from_, target, onclause, isouter=True, full=full)

    def outerjoin(  # type: ignore[override]
        self, target: Any, onclause: Any = None, *, full: bool = False
    ) -> Select[_T]:
        """``LEFT OUTER JOIN`` (``full=True``: ``FULL OUTER JOIN``)."""
        return self.join(target, onclause, isouter=True, full=full)

    def options(self, *opts: Any) -> Select[_T]:
        """A copy with loader options (``selectinload()``, ``joinedload()``, ``load_only()``,
        ...) applied when the ORM loads the selected entities.
        """
        check_options("select()", opts)
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

    def set_label_style(self, style: SelectLabelStyle) -> Select[_T]:
        """A copy that labels its columns in ``style`` (a `SelectLabelStyle`), which also
        gives the result's keys and a subquery's ``.c`` keys.

        Raises:
            ArgumentError: ``style`` is not a `SelectLabelStyle`.
        """
        if not isinstance(style, SelectLabelStyle):
            raise exc.ArgumentError(
                f"set_label_style() takes a SelectLabelStyle (LABEL_STYLE_...), got {style!r}"
            )
        s = self._generate()
        s._label_style = style
        return s

    def get_label_style(self) -> SelectLabelStyle:
        """The `SelectLabelStyle` of this statement (``LABEL_STYLE_DISAMBIGUATE_ONLY``
        unless `set_label_style` changed it)."""
        return self._label_style

    def add_columns(self, *cols: Any) -> Select[Any]:
        """A copy that also selects these columns or expressions (after the current ones)."""
        s = self._generate()
        s._entities.extend(cols)
        return s

    def with_only_columns(self, *cols: Any) -> Select[Any]:
        """A copy that selects exactly these columns, keeping WHERE, ORDER BY and the other
        clauses (SQLAlchemy's ``Select.with_only_columns()``).
        """
        s = self._generate()
        s._entities = list(cols)
        return s

    def subquery(self, name: str | None = None) -> Subquery:
        """This SELECT as a named subquery for a FROM clause: ``(SELECT ...) AS name``, its
        columns at ``sub.c.<key>`` (anonymous when ``name`` is None).
        """
        return Subquery(self, name)

    def alias(self, name: str | None = None) -> Subquery:  # type: ignore[override]
        """The same as `subquery`: this SELECT under a name, usable in a FROM clause."""
        return Subquery(self, name)

    def from_statement(self, statement: Any) -> FromStatement[_T]:
        """Load this SELECT's entities from the rows of ``statement`` (a select, a union,
        ``text()``); columns are matched by name."""
        return FromStatement(self._entities, statement)

    def scalar_subquery(self) -> ScalarSelect:
        """This SELECT (of one column) as a scalar expression: ``(SELECT ...)`` usable as a
        column or compared to one. It correlates to an enclosing SELECT's tables.
        """
        return ScalarSelect(self)

    def _scalar_subquery(self) -> ScalarSelect:
        return ScalarSelect(self)

    def exists(self) -> Exists:
        """``EXISTS (this SELECT)`` as a boolean expression."""
        return Exists(self)

    def cte(self, name: str | None = None, recursive: bool = False, nesting: bool = False) -> CTE:
        """This SELECT as a common table expression (``WITH name AS (...)``). With
        ``nesting=True`` its WITH clause is written inside the statement that uses it (a
        subquery, a member of a union) instead of at the top of the whole statement."""
        return CTE(self, name, recursive, nesting=nesting)

    def lateral(self, name: str | None = None) -> Lateral:
        """This SELECT as a ``LATERAL`` subquery (PostgreSQL)."""
        return Lateral(self, name)

    def correlate(self, *froms: Any) -> Select[_T]:
        """Correlate only these FROM items to an enclosing SELECT (``correlate(None)``:
        none, so the subquery keeps every table in its own FROM)."""
        s = self._generate()
        if len(froms) == 1 and froms[0] is None:
            s._correlate = []
        else:
            s._correlate = [*(self._correlate or []), *(_as_from(f) for f in froms)]
        return s

    def correlate_except(self, *froms: Any) -> Select[_T]:
        """Correlate every enclosing FROM item except these."""
        s = self._generate()
        if len(froms) == 1 and froms[0] is None:
            s._correlate_except = []
        else:
            s._correlate_except = [
                *(self._correlate_except or []),
                *(_as_from(f) for f in froms),
            ]
        return s

    def label(self, name: str) -> Label:
        """This SELECT as a labeled scalar subquery: ``(SELECT ...) AS name`` in a column list."""
        return Label(name, ScalarSelect(self))

    @property
    def selected_columns(self) -> _Columns:
        """The columns this SELECT returns, by key (``stmt.selected_columns.name``)."""
        cols: dict[str, ColumnElement] = {}
        for n, col in enumerate(self._column_elements()):
            key = getattr(col, "key", None) or getattr(col, "name", None) or f"col_{n}"
            cols.setdefault(str(key), col)
        return _Columns(cols)

    @property
    def exported_columns(self) -> _Columns:
        """The same as `selected_columns`."""
        return self.selected_columns

    @property
    def column_descriptions(self) -> list[dict[str, Any]]:
        """One dict per selected entity or column: ``name``, ``type``, ``aliased``,
        ``expr`` and ``entity`` (as SQLAlchemy's ``Select.column_descriptions``)."""
        out: list[dict[str, Any]] = []
        for e in self._entities:
            mapper = getattr(e, "__mapper__", None)
            if mapper is not None:
                is_alias = not isinstance(e, type)
                out.append(
                    {
                        "name": getattr(e, "_result_key", None) or mapper.class_.__name__,
                        "type": mapper.class_,
                        "aliased": is_alias,
                        "expr": e,
                        "entity": e,
                    }
                )
                continue
            el = coerce(e)
            entity = getattr(e, "entity", None) or getattr(e, "class_", None)
            if getattr(e, "_bundle_columns", None) is not None:
                out.append({"name": e.name, "type": e, "aliased": False, "expr": e, "entity": None})
                continue
            out.append(
                {
                    "name": getattr(e, "key", None) or getattr(el, "key", None),
                    "type": getattr(el, "type", None),
                    "aliased": entity is not None and not isinstance(entity, type),
                    "expr": e,
                    "entity": entity,
                }
            )
        return out

    def get_final_froms(self) -> list[FromClause]:
        """The FROM items this SELECT will render: explicit ones with joins applied, then the
        tables its columns imply.

        Raises:
            InvalidRequestError: when ``join()`` has nothing to join from.
            ArgumentError: when a join's ON clause cannot be inferred.
        """
        return self._froms()

    # -- introspection for the compiler and the ORM -------------------------------------
    def _column_elements(self) -> list[ColumnElement]:
        cols: list[ColumnElement] = []
        for e in self._entities:
            table = _entity_table(e)
            if table is not None:
                cols.extend(e.__mapper__.column_list)
                continue
            aliased_cols = getattr(e, "_aliased_columns", None)
            if aliased_cols is None:
                aliased_cols = getattr(e, "_bundle_columns", None)
            if aliased_cols is not None:
                cols.extend(aliased_cols)
                continue
            el = coerce(e)
            if isinstance(el, FromClause):
                cols.extend(el._select_columns())
            else:
                cols.append(coerce_expression(el))  # type: ignore[arg-type]
        return cols

    def _column_list(self) -> list[Any]:
        return self._column_elements()

    def _froms(self) -> list[FromClause]:
        """The FROM list: explicit froms with joins applied, then implied tables."""
        implied = self._implied_froms()
        froms: list[FromClause] = list(self._select_from)
        if self._joins:
            froms = self._joined_froms(froms, implied)
        if self._eager_joins:
            froms = self._eager_joined_froms(froms, implied)
        # then the implied FROM items nothing above covers yet
        covered: list[FromClause] = []
        for f in froms:
            covered.extend(f._tables())
        # a join implied by a joined-table entity covers its tables
        in_joins = [t for f in implied if isinstance(f, Join) for t in f._tables()]
        for f in implied:
            if isinstance(f, Join):
                tabs = f._tables()
                if all(any(t is c for c in covered) for t in tabs):
                    continue
                froms.append(f)
                covered.extend(tabs)
            elif not any(f is c for c in covered) and not any(f is t for t in in_joins):
                froms.append(f)
                covered.append(f)
        return froms

    def _eager_joined_froms(
        self, froms: list[FromClause], implied: list[FromClause]
    ) -> list[FromClause]:
        """The FROM list with the joins of joined eager loads applied to its first item."""
        for eager in self._eager_joins:
            # (target, on) is an outer join; (target, on, False) an inner one
            ej_target, ej_on = eager[0], eager[1]
            base = froms[0] if froms else implied[0]
            joined = Join(base, ej_target, ej_on, eager[2] if len(eager) > 2 else True)
            if froms:
                froms[0] = joined
            else:
                froms = [joined]
        return froms

    def _implied_froms(self) -> list[FromClause]:
        """The FROM items the columns and the WHERE clause imply, each once, in order."""
        implied: list[FromClause] = []

        def add(f: FromClause) -> None:
            if not any(f is x for x in implied):
                implied.append(f)

        for e in self._entities:
            table = _entity_table(e)
            if table is None and getattr(e, "is_attribute", False):
                # select(Manager.name) of a joined-table subclass: from the class's join
                m = getattr(e, "mapper", None)
                if getattr(m, "_joined_tables", None) is not None and hasattr(e, "column"):
                    table = m._from  # type: ignore[union-attr]
            if table is not None:
                add(table)
                continue
            el = coerce(e)
            for f in el._from_objects():
                add(f)
        for w in self._where:
            for f in w._from_objects():
                add(f)
        return implied

    def _joined_froms(self, froms: list[FromClause], implied: list[FromClause]) -> list[FromClause]:
        """The FROM list with the ``join()`` chain applied: each join extends the FROM
        item its left side is in; a join whose left side is in none starts one more."""
        left = self._join_start(froms, implied)
        extra: list[FromClause] = []
        for target, onclause, isouter, full in self._joins:
            if isinstance(target, _JoinFrom):
                start = _as_from(target.left)
                chains = [left, *extra]
                at = next(
                    (i for i, f in enumerate(chains) if any(t is start for t in f._tables())),
                    None,
                )
                if at is None:
                    # the left side is in no FROM yet: it starts one of its own
                    right, on = _join_target(start, target.right, onclause)
                    extra.append(Join(start, right, on, isouter, full))
                    continue
                right, on = _join_target(start, target.right, onclause)
                if at == 0:
                    left = Join(left, right, on, isouter, full)
                else:
                    extra[at - 1] = Join(extra[at - 1], right, on, isouter, full)
                continue
            right, on = _join_target(left, target, onclause)
            left = Join(left, right, on, isouter, full)
        if froms:
            froms[0] = left
        else:
            froms = [left]
        froms.extend(extra)
        return froms

    def _join_start(self, froms: list[FromClause], implied: list[FromClause]) -> FromClause:
        """What the first ``join()`` joins from: the first ``select_from()``, the left of
        a two-sided ``join(a, b)``, the relationship's own table for ``join(A.rel)``,
        else the first implied FROM.

        Raises:
            InvalidRequestError: there is nothing to join from.
        """
        if froms:
            return froms[0]
        first = self._joins[0][0]
        if isinstance(first, _JoinFrom):
            return _as_from(first.left)
        if not implied:
            raise exc.InvalidRequestError("join() needs something to join from; use select_from()")
        # join(Child.parent) starts from the relationship's own table
        owner = None
        if hasattr(first, "_join_info"):
            owner = getattr(first, "_parent_from", None)
            if owner is None:  # (what the class's entity reads: its table, or its union)
                owner = getattr(getattr(first, "mapper", None), "_from", None)
        if owner is not None:
            # (select(Child.id).join(Parent.children) starts from Parent, as in
            # SQLAlchemy, though only the child's columns are selected)
            start: FromClause = next((f for f in implied if f is owner), owner)
            return start
        return implied[0]

    def _compile(self, compiler: Compiler) -> str:
        return compiler.select(self)

    def __repr__(self) -> str:
        return f"<Select {self}>"


class _JoinFrom:
    """The target of ``Select.join_from(left, right)``: a join whose left side is named."""

    __slots__ = ("left", "right")

    def __init__(self, left: Any, right: Any) -> None:
        self.left = left
        self.right = right


def _join_onclause(onclause: Any) -> Any:
    if onclause is None:
        return None
    if hasattr(onclause, "_join_info"):  # join(Target, Parent.relationship)
        return onclause
    return coerce_expression(onclause)


class CompoundSelect(_SetOperations, FromClause, GenerativeSelect):
    """``SELECT ... UNION [ALL] SELECT ...`` (and EXCEPT / INTERSECT); build with `union`
    and friends or ``Select.union()``. Usable as a statement, a subquery or a CTE."""

    is_from = False
    is_select = True

    def __init__(self, keyword: str, *selects: Any) -> None:
        if not selects:
            raise exc.ArgumentError(f"{keyword.lower()}() needs at least one SELECT")
        members: list[Any] = []
        for sel in selects:
            if not isinstance(sel, (Select, CompoundSelect)):
                raise exc.ArgumentError(
                    f"{keyword.lower()}() combines select() statements, got {sel!r}"
                )
            members.append(sel)
        widths = {len(m._column_elements()) for m in members}
        if len(widths) > 1:
            raise exc.ArgumentError(
                f"{keyword.lower()}(): every SELECT must have the same number of columns "
                f"(got {sorted(widths)})"
            )
        self.keyword = keyword
        self.selects = members
        self._order_by: list[ClauseElement] = []
        self._limit: Any = None
        self._offset: Any = None
        self._execution_options: dict[str, Any] = {}
        self._compiled_cache: dict[str, Any] = {}

    def _generate(self) -> CompoundSelect:
        c = copy.copy(self)
        c._order_by = list(self._order_by)
        c._execution_options = dict(self._execution_options)
        c._compiled_cache = {}
        return c

    def order_by(self, *clauses: Any) -> CompoundSelect:
        """A copy with this ORDER BY on the combined rows; columns are referred to by their
        result-column name, as the SQL standard requires.
        """
        c = self._generate()
        c._order_by.extend(self._result_column(x) for x in clauses)
        return c

    def _result_name(self, name: str) -> _ResultName:
        """A string in ORDER BY: a result column of the first SELECT, by label, key or
        name. Raises `exc.CompileError` naming the columns when there is none."""
        names: dict[str, str] = {}
        for col in self._column_elements():
            sql_name = getattr(col, "name", None)
            if not isinstance(sql_name, str):
                continue
            names.setdefault(sql_name, sql_name)
            key = getattr(col, "key", None)
            if isinstance(key, str):
                names.setdefault(key, sql_name)
        if name not in names:
            raise exc.CompileError(
                f"can't resolve label reference {name!r} for ORDER BY of "
                f"{self.keyword.lower()}(): the first SELECT has no column named {name!r} "
                f"(its columns: {', '.join(names) or 'none named'})"
            )
        return _ResultName(names[name])

    def _result_column(self, clause: Any) -> ClauseElement:
        # ORDER BY of a compound names result columns: a column -> its name
        from .elements import LabelReference

        if isinstance(clause, str):
            return self._result_name(clause)
        if isinstance(clause, UnaryExpression) and isinstance(clause.element, LabelReference):
            return UnaryExpression(
                self._result_name(clause.element.name), clause.operator, clause.modifier
            )
        el = coerce_expression(clause)
        target = el.element if isinstance(el, UnaryExpression) else el
        name = getattr(target, "key", None) or getattr(target, "name", None)
        if not isinstance(name, str) or isinstance(target, Label):
            return el
        col = _ResultName(name)
        if isinstance(el, UnaryExpression):
            return UnaryExpression(col, el.operator, el.modifier)
        return col

    def limit(self, n: int | None) -> CompoundSelect:
        """A copy with ``LIMIT n`` on the combined rows (an int or a string of one; None
        removes it).

        Raises:
            ArgumentError: ``n`` is not an int.
        """
        c = self._generate()
        c._limit = _int_or_none("limit", n)
        return c

    def offset(self, n: int | None) -> CompoundSelect:
        """A copy with ``OFFSET n`` on the combined rows (an int or a string of one; None
        removes it).

        Raises:
            ArgumentError: ``n`` is not an int.
        """
        c = self._generate()
        c._offset = _int_or_none("offset", n)
        return c

    def execution_options(self, **kw: Any) -> CompoundSelect:
        """A copy with execution options (see ``Select.execution_options``)."""
        c = self._generate()
        c._execution_options.update(check_execution_options("union", kw))
        return c

    def _column_elements(self) -> list[ColumnElement]:
        return self.selects[0]._column_elements()  # type: ignore[no-any-return]

    def _column_list(self) -> list[Any]:
        return self._column_elements()

    @property
    def selected_columns(self) -> _Columns:
        """The result columns, named after the first SELECT's columns."""
        return self.selects[0].selected_columns  # type: ignore[no-any-return]

    def subquery(self, name: str | None = None) -> Subquery:
        """This compound SELECT as a named subquery: ``(SELECT ... UNION ...) AS name``."""
        return Subquery(self, name)

    def alias(self, name: str | None = None, flat: bool = False) -> Subquery:  # type: ignore[override]
        """The same as `subquery`."""
        return Subquery(self, name)

    def scalar_subquery(self) -> ScalarSelect:
        """This compound SELECT (of one column) as a scalar ``(SELECT ... UNION ...)``."""
        return ScalarSelect(self)

    def _scalar_subquery(self) -> ScalarSelect:
        return ScalarSelect(self)

    def exists(self) -> Exists:
        """``EXISTS (this compound SELECT)`` as a boolean expression."""
        return Exists(self)

    def cte(self, name: str | None = None, recursive: bool = False, nesting: bool = False) -> CTE:
        """This compound SELECT as a CTE (see ``Select.cte``)."""
        return CTE(self, name, recursive, nesting=nesting)

    def _froms(self) -> list[FromClause]:
        return []

    def _compile(self, compiler: Compiler) -> str:
        return compiler.compound(self)

    def __repr__(self) -> str:
        return f"<CompoundSelect {self}>"


class _ResultName(ColumnElement):
    """A result column of a compound SELECT, by name (its ORDER BY)."""

    __slots__ = ("key", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = name

    def _compile(self, compiler: Compiler) -> str:
        return compiler.quote(self.name)


def union(*selects: Any) -> CompoundSelect:
    """``SELECT ... UNION SELECT ...`` (duplicates removed)."""
    return CompoundSelect("UNION", *selects)


def union_all(*selects: Any) -> CompoundSelect:
    """``SELECT ... UNION ALL SELECT ...`` (duplicates kept)."""
    return CompoundSelect("UNION ALL", *selects)


def except_(*selects: Any) -> CompoundSelect:
    """Rows of the first SELECT not in the others (``EXCEPT``)."""
    return CompoundSelect("EXCEPT", *selects)


def except_all(*selects: Any) -> CompoundSelect:
    """``EXCEPT ALL`` (PostgreSQL)."""
    return CompoundSelect("EXCEPT ALL", *selects)


def intersect(*selects: Any) -> CompoundSelect:
    """Rows in every SELECT (``INTERSECT``)."""
    return CompoundSelect("INTERSECT", *selects)


def intersect_all(*selects: Any) -> CompoundSelect:
    """``INTERSECT ALL`` (PostgreSQL)."""
    return CompoundSelect("INTERSECT ALL", *selects)


class CTE(Subquery):
    """``WITH name AS (SELECT ...)``: referenced like a subquery, defined once at the top.

    Build with ``Select.cte()``; ``cte.union_all(select(...))`` makes the recursive form.
    """

    def __init__(
        self,
        select: Any,
        name: str | None,
        recursive: bool = False,
        origin: CTE | None = None,
        *,
        nesting: bool = False,
    ) -> None:
        super().__init__(select, name)
        self.recursive = recursive
        #: written in the WITH of the SELECT that uses it, not of the whole statement
        self.nesting: bool = origin.nesting if origin is not None else nesting
        #: the first CTE of a union_all() chain: every version shares its name
        self._origin: CTE = origin if origin is not None else self

    def _compile(self, compiler: Compiler) -> str:
        return compiler.cte(self)

    def union_all(self, *others: Any) -> CTE:
        """This CTE's body ``UNION ALL`` the given selects (a recursive CTE's second part)."""
        return self._extend("UNION ALL", others)

    def union(self, *others: Any) -> CTE:
        """This CTE's body ``UNION`` the given selects."""
        return self._extend("UNION", others)

    def _extend(self, keyword: str, others: Any) -> CTE:
        body = CompoundSelect(keyword, self.select, *others)
        # same name, own columns: the statement selecting from it names the whole body
        return CTE(body, self._explicit_name, self.recursive, self._origin)

    def alias(self, name: str | None = None, flat: bool = False) -> Alias:
        return Alias(self, name)


class Lateral(Subquery):
    """``LATERAL (SELECT ...) AS name``: a subquery that sees the FROM items left of it."""

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
            raise exc.NotSupportedError(
                f"LATERAL subqueries need PostgreSQL, not {compiler.dialect_name}"
            )
        return "LATERAL " + super()._compile(compiler)


class ColumnClause(ColumnElement):
    """A named column not tied to a table: ``column("id", Integer)`` (for ``values()``)."""

    __slots__ = ("key", "name", "table", "type")

    def __init__(self, name: str, type_: Any = None, table: Any = None) -> None:
        from ..types import NULLTYPE
        from .elements import to_type

        self.name = name
        self.key = name
        self.type = to_type(type_) if type_ is not None else NULLTYPE
        self.table = table

    def _compile(self, compiler: Compiler) -> str:
        if self.table is not None and compiler.qualify:
            return f"{compiler.quote(compiler.from_name(self.table))}.{compiler.quote(self.name)}"
        return compiler.quote(self.name)

    def _from_objects(self) -> list[FromClause]:
        return [self.table] if self.table is not None else []


def column(text: str, type_: Any = None) -> ColumnClause:
    """A column by name, e.g. for ``values(column("id", Integer), ...)``."""
    return ColumnClause(text, type_)


class Values(FromClause):
    """``(VALUES (...), (...)) AS name (a, b)``: literal rows as a FROM clause."""

    def __init__(self, *columns: ColumnElement, name: str | None = None) -> None:
        self._explicit_name = name
        self.name = name or "anon"
        self._anon_base = "anon"
        self._rows: list[tuple[Any, ...]] = []
        cols: dict[str, ColumnElement] = {}
        for c in columns:
            # column("id", Integer), or a table's column (its name and type are taken)
            if not isinstance(c, ColumnClause) and not c._is_table_column:
                raise exc.ArgumentError(
                    f"values() takes column(...) objects or table columns, got {c!r}"
                )
            col_name: str = c.name
            cols[col_name] = ColumnClause(col_name, c.type, self)
        self.c = _Columns(cols)
        self.columns = self.c

    def data(self, rows: Any) -> Values:
        """These rows (a list of tuples, one value per column)."""
        v = copy.copy(self)
        new_rows = [tuple(r) for r in rows]
        for r in new_rows:
            if len(r) != len(self.c):
                raise exc.ArgumentError(
                    f"values(): a row has {len(r)} values for {len(self.c)} columns"
                )
        v._rows = [*self._rows, *new_rows]
        v._own_columns()
        return v

    def alias(self, name: str | None = None, flat: bool = False) -> Values:  # type: ignore[override]
        v = copy.copy(self)
        v._explicit_name = name
        v._own_columns()
        return v

    def _own_columns(self) -> None:
        # a copy's columns belong to the copy (they name it in SQL)
        self.c = _Columns({k: ColumnClause(c.name, c.type, self) for k, c in self.c.items()})
        self.columns = self.c

    def _column_list(self) -> list[Any]:
        return list(self.c)

    def _compile(self, compiler: Compiler) -> str:

        if not self._rows:
            raise exc.ArgumentError("values() has no rows; add them with .data([...])")
        name = compiler.quote(compiler.from_name(self))
        cols = list(self.c)
        if self._literal_binds:
            outer, compiler.literal_binds = compiler.literal_binds, True
            try:
                return self._compile_rows(compiler, name, cols)
            finally:
                compiler.literal_binds = outer
        return self._compile_rows(compiler, name, cols)

    _literal_binds = False

    def _compile_rows(self, compiler: Compiler, name: str, cols: list[Any]) -> str:
        from .elements import BindParameter

        if compiler.dialect_name == "sqlite" and not compiler.string_dialect:
            # SQLite cannot name VALUES columns: the same rows as SELECT ... UNION ALL
            selects = []
            for n, row in enumerate(self._rows):
                parts = [compiler.bind(BindParameter(None, v, c.type)) for c, v in zip(cols, row)]
                if n == 0:
                    parts = [f"{p} AS {compiler.quote(c.name)}" for p, c in zip(parts, cols)]
                selects.append("SELECT " + ", ".join(parts))
            return f"({' UNION ALL '.join(selects)}) AS {name}"
        rows = []
        for row in self._rows:
            rows.append(
                "("
                + ", ".join(
                    compiler.bind(BindParameter(None, v, c.type)) for c, v in zip(cols, row)
                )
                + ")"
            )
        names = ", ".join(compiler.quote(c.name) for c in cols)
        return f"(VALUES {', '.join(rows)}) AS {name} ({names})"


def values(*columns: ColumnClause, name: str | None = None, literal_binds: bool = False) -> Values:
    """Literal rows as a FROM clause: ``values(column("id", Integer), name="v").data([...])``.

    With ``literal_binds=True`` the rows are written into the SQL text as literals (as
    SQLAlchemy does) instead of bound parameters; a value that has no literal form
    (bytes, a dict...) raises `exc.ArgumentError` when the statement compiles."""
    v = Values(*columns, name=name)
    v._literal_binds = bool(literal_binds)
    return v


class TextualSelect(FromClause, SelectBase):
    """``text("SELECT ...").columns(User.id, User.name)``: literal SQL whose result columns
    are known, so it can be a subquery, an entity source or give typed results."""

    is_from = False
    is_select = True

    def __init__(self, text: Any, cols: list[Any], types: dict[str, Any]) -> None:
        self.text = text
        elements: list[ColumnElement] = []
        for c in cols:
            el = coerce(c)
            if isinstance(el, str):
                el = ColumnClause(el)
            elements.append(el)
        for name, t in types.items():
            if isinstance(t, type) and issubclass(t, TypeEngine):
                t = t()
            if not isinstance(t, TypeEngine):
                raise exc.ArgumentError(
                    f"text().columns({name}=...) takes a type such as Integer, got {t!r}"
                )
            elements.append(ColumnClause(name, t))
        self._columns = elements
        self._compiled_cache: dict[str, Any] = {}
        self._execution_options: dict[str, Any] = dict(getattr(text, "_execution_options", {}))

    def _column_elements(self) -> list[ColumnElement]:
        return list(self._columns)

    def _column_list(self) -> list[Any]:
        return self._column_elements()

    def subquery(self, name: str | None = None) -> Subquery:
        """This textual SELECT as a named subquery, its columns at ``sub.c.<key>``."""
        return Subquery(self, name)

    def alias(self, name: str | None = None, flat: bool = False) -> Subquery:  # type: ignore[override]
        return Subquery(self, name)

    def cte(self, name: str | None = None, recursive: bool = False, nesting: bool = False) -> CTE:
        """This compound SELECT as a CTE (see ``Select.cte``)."""
        return CTE(self, name, recursive, nesting=nesting)

    @property
    def selected_columns(self) -> _Columns:
        """The columns given to ``text(...).columns()``, by key."""
        return _Columns({str(getattr(c, "key", n)): c for n, c in enumerate(self._columns)})

    def _froms(self) -> list[FromClause]:
        return []

    def _compile(self, compiler: Compiler) -> str:
        if compiler._depth == 0:
            compiler.result_keys = [str(getattr(c, "key", "?")) for c in self._columns]
            compiler.result_processors = [
                c.type._result(compiler.dialect_name) if getattr(c, "type", None) else None
                for c in self._columns
            ]
        return compiler.process(self.text)


class FromStatement(Select[_T]):
    """``select(User).from_statement(stmt)``: objects read from another statement's rows.

    Columns are matched to the entity's mapped columns by name.
    """

    def __init__(self, entities: list[Any], statement: Any) -> None:
        super().__init__(*entities)
        self._statement = statement

    def _compile(self, compiler: Compiler) -> str:
        return compiler.process(self._statement)


def _join_target(
    left: FromClause,
    target: Any,
    onclause: Any,
) -> tuple[FromClause, ClauseElement]:
    join_info = getattr(target, "_join_info", None)
    if join_info is not None:  # a relationship attribute, e.g. User.addresses
        right, on = join_info()
        if onclause is not None:
            on = onclause
        return right, on
    if onclause is not None and hasattr(onclause, "_join_info"):
        # join(Target, Parent.rel): the relationship gives the ON clause, aimed at Target
        of_type = getattr(onclause, "of_type", None)
        rel = of_type(target) if of_type is not None and _is_alias_entity(target) else onclause
        right, on = rel._join_info()
        if _is_alias_entity(target) or isinstance(_as_from(target), Alias):
            right = _as_from(target)
        return right, on
    right = _as_from(target)
    if onclause is None:
        onclause = join_condition(left, right)
    mapper = getattr(target, "__mapper__", None) if isinstance(target, type) else None
    if mapper is not None and mapper.single:  # join(Manager): only its rows
        crit = mapper._single_criterion()
        if crit is not None:
            onclause = and_(coerce_expression(onclause), crit)
    return right, onclause


def _is_alias_entity(obj: Any) -> bool:
    return getattr(obj, "_aliased_columns", None) is not None


def _entity_name(entity: Any) -> str:
    return getattr(entity, "__name__", None) or getattr(entity, "name", None) or repr(entity)


def _is_column_collection(obj: Any) -> bool:
    # ``subquery.c``, or a table's ``c`` (sql.schema.ColumnCollection, a module above this one)
    return getattr(type(obj), "is_column_collection", False) is True


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


def join(
    left: Any, right: Any, onclause: Any = None, isouter: bool = False, full: bool = False
) -> Join:
    """``left JOIN right ON onclause`` as a FROM clause (for ``select_from()``).

    The ON clause is inferred from the foreign keys between the two when omitted; a
    relationship attribute (``User.addresses``) may stand for it.
    """
    lf = _as_from(left)
    right_from, on = _join_target(lf, right, _join_onclause(onclause))
    return Join(lf, right_from, on, isouter or full, full)


def outerjoin(left: Any, right: Any, onclause: Any = None, full: bool = False) -> Join:
    """``left LEFT OUTER JOIN right ON onclause`` as a FROM clause."""
    return join(left, right, onclause, isouter=True, full=full)


def exists(*args: Any) -> Exists:
    """``EXISTS (subquery)``: ``exists(select(...))`` or ``exists().where(...)``."""
    if len(args) == 1 and isinstance(args[0], Select):
        return Exists(args[0])
    return Exists(Select(*args) if args else Select(_ExistsColumn("1")))


class _ExistsColumn(LiteralColumn):
    """The column of ``exists().where(...)``: ``1`` when run (valid with every FROM
    correlated away), printed ``*`` as SQLAlchemy prints it."""

    __slots__ = ()

    def _compile(self, compiler: Compiler) -> str:
        return "*" if compiler.display is not None else "1"


__all__ = [
    "Alias",
    "AliasColumn",
    "FromClause",
    "Join",
    "Select",
    "Subquery",
    "exists",
    "join",
    "join_condition",
    "outerjoin",
    "select",
]


#: SQLite's table-valued functions and the column holding each row's value (what
#: ``column_valued()`` selects there: SQLite cannot select the alias itself as a column).
_SQLITE_VALUE_COLUMNS = {"json_each": "value", "json_tree": "value", "generate_series": "value"}


class TableValuedAlias(AliasedReturnsRows):
    """A function in FROM, with named columns: ``json_each(:doc) AS anon_1``.

    Built by ``func.<name>(...).table_valued("key", "value")``; its columns are
    ``tv.c.key`` / ``tv.c.value`` (typed when given as ``column("value", Integer)``).
    ``alias(name)`` names it, ``render_derived()`` spells the column names after the
    alias (``AS anon_1(key, value)``, with ``with_types=True`` their types too), and
    ``with_ordinality="ord"`` adds PostgreSQL's ``WITH ORDINALITY`` row number column.
    """

    _anon_base = "anon"

    def __init__(
        self,
        fn: Any,
        columns: list[ColumnClause],
        *,
        name: str | None = None,
        with_ordinality: str | None = None,
        derived: bool = False,
        derived_types: bool = False,
    ) -> None:
        self.fn = fn
        self._explicit_name = name
        self.name = name or "anon"
        self.with_ordinality = with_ordinality
        self._derived = derived
        self._derived_types = derived_types
        self._names = list(columns)
        if with_ordinality is not None:
            from ..types import Integer

            self._names.append(ColumnClause(with_ordinality, Integer()))
        self._own_columns()

    def _own_columns(self) -> None:
        # each copy's columns name the copy in SQL
        self.c = _Columns({c.name: ColumnClause(c.name, c.type, self) for c in self._names})
        self.columns = self.c

    def _copy(self, **changes: Any) -> TableValuedAlias:
        tv = copy.copy(self)
        for k, v in changes.items():
            setattr(tv, k, v)
        tv._own_columns()
        return tv

    def alias(self, name: str | None = None, flat: bool = False) -> TableValuedAlias:  # type: ignore[override]
        """The same function under the name ``name`` (anonymous when None)."""
        return self._copy(_explicit_name=name, name=name or "anon")

    def render_derived(self, name: str | None = None, with_types: bool = False) -> TableValuedAlias:
        """Spell the column names (and with ``with_types`` their types) after the alias:
        ``AS name(a, b)`` / ``AS name(a INTEGER, b VARCHAR)``. Raises
        `exc.CompileError` at compile time for a column without a type when asked for types."""
        changes: dict[str, Any] = {"_derived": True, "_derived_types": with_types}
        if name is not None:
            changes.update(_explicit_name=name, name=name)
        return self._copy(**changes)

    @property
    def column(self) -> TableValuedColumn:
        """The function's row as one column (``SELECT anon_1 FROM f(...) AS anon_1``)."""
        return TableValuedColumn(self, self.fn.type)

    def _column_list(self) -> list[Any]:
        return list(self.c)

    def _compile(self, compiler: Compiler) -> str:
        sql = compiler.process(self.fn)
        if self.with_ordinality is not None:
            if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
                raise exc.NotSupportedError(
                    f"table_valued(with_ordinality=...) needs PostgreSQL, not "
                    f"{compiler.dialect_name}"
                )
            sql += " WITH ORDINALITY"
        sql += " AS " + compiler.quote(compiler.from_name(self))
        if self._derived:
            if compiler.dialect_name == "sqlite" and not compiler.string_dialect:
                raise exc.NotSupportedError(
                    "render_derived(): SQLite cannot name a table-valued function's columns "
                    "after its alias; select them as tv.c.<name> without render_derived()"
                )
            parts = []
            for c in self._names:
                part = compiler.quote(c.name)
                if self._derived_types:
                    if type(c.type).__name__ == "NullType":
                        raise exc.CompileError(
                            f"render_derived(with_types=True): column {c.name!r} of "
                            f"func.{self.fn.name}() has no type; give it as column(name, type)"
                        )
                    part += " " + c.type.ddl(compiler.dialect_name)
                parts.append(part)
            sql += "(" + ", ".join(parts) + ")"
        return sql


class TableValuedColumn(ColumnElement):
    """A table-valued function's row as a single column: ``func.generate_series(1, 3)
    .column_valued()`` selects ``anon_1`` from ``generate_series(1, 3) AS anon_1``.

    PostgreSQL selects the alias itself. SQLite cannot, so there it selects the function's
    value column (``anon_1.value`` of ``json_each`` / ``json_tree`` / ``generate_series``);
    another function raises `exc.CompileError` on SQLite naming it.
    """

    __slots__ = ("key", "name", "table", "type")

    def __init__(self, table: TableValuedAlias, type_: Any) -> None:
        self.table = table
        self.type = type_
        self.key = self.name = table._explicit_name or table.fn.name

    def _compile(self, compiler: Compiler) -> str:
        alias = compiler.quote(compiler.from_name(self.table))
        if compiler.dialect_name == "postgresql" or compiler.string_dialect:
            return alias
        value = _SQLITE_VALUE_COLUMNS.get(self.table.fn.name.lower())
        if value is None:
            raise exc.CompileError(
                f"func.{self.table.fn.name}().column_valued() on {compiler.dialect_name}: "
                "SQLite cannot select a table-valued function as one column; use "
                f"table_valued(...) and select its column (SQLite knows "
                f"{', '.join(sorted(_SQLITE_VALUE_COLUMNS))})"
            )
        return f"{alias}.{compiler.quote(value)}"

    def _from_objects(self) -> list[FromClause]:
        return [self.table]


def table_valued(
    fn: Any,
    *names: Any,
    name: str | None = None,
    with_ordinality: str | None = None,
    joins_implicitly: bool = False,
) -> TableValuedAlias:
    """``fn.table_valued(...)``: see `TableValuedAlias`. ``names`` are strings or
    ``column(name, type)``; ``joins_implicitly`` is accepted for SQLAlchemy's sake (it
    silences a cartesian-product warning uow_orm never gives). Raises
    `exc.ArgumentError` for a name that is neither."""
    del joins_implicitly
    columns = []
    for n in names:
        if isinstance(n, str):
            columns.append(ColumnClause(n))
        elif isinstance(n, ColumnClause):
            columns.append(ColumnClause(n.name, n.type))
        else:
            raise exc.ArgumentError(
                f"table_valued() takes column names or column(name, type), got {n!r}"
            )
    return TableValuedAlias(fn, columns, name=name, with_ordinality=with_ordinality)


def column_valued(fn: Any, name: str | None = None, joins_implicitly: bool = False) -> Any:
    """``fn.column_valued(name=None)``: see `TableValuedColumn`."""
    del joins_implicitly  # no cartesian-product warning in uow_orm to silence
    return TableValuedAlias(fn, [], name=name).column
