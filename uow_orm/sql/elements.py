"""SQL expression elements: columns, bound values, operators, functions, text.

Built by users (``User.name == "x"``, ``func.count()``) and by the ORM; turned into SQL
only by `uow_orm.sql.compiler`. Every literal becomes a `BindParameter`, so a
value never reaches SQL text.

Called by: uow_orm.dialects.*, uow_orm.engine.reflection, uow_orm.ext.associationproxy,
uow_orm.ext.horizontal_shard, uow_orm.ext.hybrid, uow_orm.migrate.*, uow_orm.orm.*,
uow_orm.sql.schema, uow_orm.sql, uow_orm.sql.*, uow_orm.types.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from .. import exc
from ..dialects.base import quoted_name
from ..types import (
    _OPERATOR_METHODS,
    COMPARATOR_NAMES,
    NULLTYPE,
    Boolean,
    Enum,
    Integer,
    String,
    TypeDecorator,
    TypeEngine,
    literal_type,
)

if TYPE_CHECKING:
    from .compiler import Compiler
    from .selectable import FromClause


#: the type of a comparison (``col == 5``): one shared instance, since types do not
#: change once made (a new one per comparison also cost the statement cache a key each)
_BOOLEAN = Boolean()


def coerce(obj: Any) -> Any:
    """Resolve ORM attributes and classes to their SQL elements."""
    # looked up on the class: on a column, the instance lookup would go through
    # ColumnOperators.__getattr__ and raise AttributeError (twice per comparison)
    ce = getattr(obj.__class__, "__clause_element__", None)
    if ce is not None:
        return ce(obj)
    return obj


def coerce_expression(
    obj: Any, type_: TypeEngine | None = None, label: str | None = None
) -> ClauseElement:
    """An element for ``obj``: literal Python values become bound parameters."""
    obj = coerce(obj)
    if isinstance(obj, ClauseElement):
        return obj
    if obj is None:
        return Null()
    if obj is True:
        return True_()
    if obj is False:
        return False_()
    if hasattr(obj, "_scalar_subquery"):
        return obj._scalar_subquery()  # type: ignore[no-any-return]
    return BindParameter(None, obj, type_ if type_ is not None else literal_type(obj), label)


def replace_columns(element: Any, replace: Any) -> Any:
    """A copy of ``element`` with each sub-element ``e`` for which ``replace(e)`` is not None
    swapped for that result (used to aim ON clauses and criteria at an alias).

    Unchanged branches are shared, not copied. Statements (selects) are left as they are.
    """
    hit = replace(element)
    if hit is not None:
        return hit
    if not isinstance(element, ColumnElement) or type(element).__name__ == "Column":
        return element
    changed: dict[str, Any] = {}
    for cls in type(element).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot.startswith("__") or slot in changed:
                continue
            value = getattr(element, slot, None)
            if isinstance(value, ClauseElement):
                new = replace_columns(value, replace)
                if new is not value:
                    changed[slot] = new
            elif isinstance(value, list) and any(isinstance(v, ClauseElement) for v in value):
                new_list = [replace_columns(v, replace) for v in value]
                if any(a is not b for a, b in zip(new_list, value)):
                    changed[slot] = new_list
    if not changed:
        return element
    out = copy.copy(element)
    for slot, value in changed.items():
        object.__setattr__(out, slot, value)
    return out


def _dialect_of(obj: Any) -> Any:
    """A dialect from a dialect, an engine or a connection (None stays None)."""
    if obj is None or hasattr(obj, "paramstyle"):
        return obj
    d = getattr(obj, "dialect", None)
    if d is None:
        raise exc.ArgumentError(
            f"compile() needs an engine, a connection or a dialect, got {obj!r}"
        )
    return d


class Executable:
    """Mixin of statement classes (SQLAlchemy's): ``class MyStatement(Executable,
    ClauseElement)`` with a ``@compiles`` function (`uow_orm.ext.compiler`) runs with
    ``conn.execute(MyStatement())``."""

    __slots__ = ()
    is_dml = False
    _execution_options: dict[str, Any] = {}


class ExecutableOption:
    """Base of what a statement's ``options()`` takes: loader and column options,
    ``with_loader_criteria()``, ``selectin_polymorphic()``, shard options and an
    application's own `uow_orm.orm.interfaces.UserDefinedOption` subclasses (SQLAlchemy's
    ``ExecutableOption``)."""

    __slots__ = ()


def check_options(what: str, opts: tuple[Any, ...]) -> None:
    """Refuse an ``options()`` argument that is not an option object.

    Raises:
        ArgumentError: naming the first bad argument.
    """
    for o in opts:
        if not isinstance(o, ExecutableOption):
            raise exc.ArgumentError(
                f"{what}.options() takes loader options (selectinload(), load_only(), "
                f"with_loader_criteria(), ...) or UserDefinedOption objects, got {o!r}"
            )


class Visitable:
    """Base of what `uow_orm.sql.visitors` walks: every SQL expression and statement
    (SQLAlchemy's ``Visitable``; uow_orm's column types are not among them)."""

    __slots__ = ()


class ClauseElement(Visitable):
    """Anything that compiles to a fragment of SQL."""

    __slots__ = ()
    #: Set on elements that can stand where a FROM clause goes.
    is_from = False
    #: Set on a table's ``Column`` (`uow_orm.sql.schema`, a module above this one), so
    #: lower modules can tell one apart without importing it.
    _is_table_column: ClassVar[bool] = False

    def _compile(self, compiler: Compiler) -> str:
        raise NotImplementedError(type(self).__name__)

    def _from_objects(self) -> list[FromClause]:
        return []

    def _compiled_for(self, dialect: Any) -> Any:
        """``compile(dialect)`` for running the statement now: the compiled form the
        statement keeps of itself, not the caller's own copy `compile` returns."""
        from .compiler import compile_statement

        return compile_statement(self, dialect)

    def compile(self, bind: Any = None, dialect: Any = None, compile_kwargs: Any = None) -> Any:
        """The compiled SQL for ``dialect`` (or an engine's / connection's dialect).

        ``compile_kwargs={"literal_binds": True}`` writes values into the SQL text, for
        display only. Raises `uow_orm.exc.ArgumentError` for other compile options.
        """
        from .compiler import compile_statement, compile_with_options, display_form

        d = _dialect_of(bind if bind is not None else dialect)
        name = getattr(self, "_print_dialect", None)  # postgresql.insert(): its dialect
        if d is None and name is not None:
            from .compiler import display_dialect

            d = display_dialect(name)
        if compile_kwargs:
            compiled = compile_with_options(self, d, compile_kwargs)
        elif d is not None:
            return compile_statement(self, d)._held_by(self)
        else:
            from .compiler import Compiled

            try:
                compiled = compile_statement(self, None)._held_by(self)
            except (exc.NotSupportedError, exc.CompileError):
                # PostgreSQL-only SQL: SQLAlchemy's default dialect still prints it
                compiled = Compiled(display_form(self, None, None)[0], [], "sqlite")
                compiled.statement = self
        # printed as SQLAlchemy prints it (no dialect: its default string dialect)
        compiled._display = display_form(self, d, compile_kwargs)
        return compiled

    def __str__(self) -> str:
        """The statement as SQLAlchemy's ``str(stmt)`` prints it: line breaks before
        FROM / WHERE, ``:name`` placeholders (values stay parameters)."""
        from .compiler import display_dialect, display_form

        name = getattr(self, "_print_dialect", None)  # postgresql.insert(): PostgreSQL's
        return display_form(self, display_dialect(name) if name else None, None)[0]

    def __bool__(self) -> bool:
        raise TypeError(
            f"boolean value of SQL expression {self} is not defined; combine conditions "
            "with and_(), or_() and not_() (or & | ~), not 'and' / 'or' / 'not'"
        )


class Operators:
    """Base of the classes that take SQL operators (SQLAlchemy's ``Operators``):
    `ColumnOperators`, and through it every column expression and ORM attribute."""

    __slots__ = ()


class ColumnOperators(Operators):
    """The comparison and arithmetic operators of column-like objects."""

    __slots__ = ()

    def operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        """Apply operator ``op`` (an SQL operator string, or a function from
        `uow_orm.sql.operators` called as ``op(self, *args)``)."""
        raise NotImplementedError

    def _expr(self) -> ColumnElement:
        raise NotImplementedError

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self.operate("=", other)

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self.operate("!=", other)

    def __lt__(self, other: Any) -> ColumnElement:
        return self.operate("<", other)

    def __le__(self, other: Any) -> ColumnElement:
        return self.operate("<=", other)

    def __gt__(self, other: Any) -> ColumnElement:
        return self.operate(">", other)

    def __ge__(self, other: Any) -> ColumnElement:
        return self.operate(">=", other)

    def __add__(self, other: Any) -> ColumnElement:
        return self.operate("+", other)

    def __radd__(self, other: Any) -> ColumnElement:
        typed = _type_operator(self, "__radd__")
        if typed is not None:
            return typed(other)  # type: ignore[no-any-return]
        expr = self._expr()
        op = "||" if _is_string(expr.type) else "+"
        return BinaryExpression(coerce_expression(other, expr.type), op, expr)

    def __sub__(self, other: Any) -> ColumnElement:
        return self.operate("-", other)

    def __rsub__(self, other: Any) -> ColumnElement:
        return BinaryExpression(coerce_expression(other), "-", self._expr())

    def __mul__(self, other: Any) -> ColumnElement:
        return self.operate("*", other)

    def __rmul__(self, other: Any) -> ColumnElement:
        return BinaryExpression(coerce_expression(other), "*", self._expr())

    def __truediv__(self, other: Any) -> ColumnElement:
        return self.operate("/", other)

    def __rtruediv__(self, other: Any) -> ColumnElement:
        return _division(coerce_expression(other), self._expr(), floor=False)

    def __floordiv__(self, other: Any) -> ColumnElement:
        expr = self._expr()
        return _division(expr, coerce_expression(other, None, _describe(expr)), floor=True)

    def __rfloordiv__(self, other: Any) -> ColumnElement:
        return _division(coerce_expression(other), self._expr(), floor=True)

    def __mod__(self, other: Any) -> ColumnElement:
        return self.operate("%", other)

    def __rmod__(self, other: Any) -> ColumnElement:
        return BinaryExpression(coerce_expression(other), "%", self._expr())

    # -- bitwise operators (SQLAlchemy 2.0's method names) ------------------------------
    def bitwise_and(self, other: Any) -> ColumnElement:
        """``x & other``."""
        return self._bitwise("&", other)

    def bitwise_or(self, other: Any) -> ColumnElement:
        """``x | other``."""
        return self._bitwise("|", other)

    def bitwise_xor(self, other: Any) -> ColumnElement:
        """Exclusive or: ``x # other`` on PostgreSQL, ``(x | other) - (x & other)`` on
        SQLite (which has no XOR operator)."""
        return self._bitwise("XOR", other)

    def bitwise_lshift(self, other: Any) -> ColumnElement:
        """``x << other``."""
        return self._bitwise("<<", other)

    def bitwise_rshift(self, other: Any) -> ColumnElement:
        """``x >> other``."""
        return self._bitwise(">>", other)

    def bitwise_not(self) -> ColumnElement:
        """``~x``."""
        return UnaryExpression(self._expr(), "~", None)

    def _bitwise(self, op: str, other: Any) -> ColumnElement:
        expr = self._expr()
        right = coerce_expression(other, expr.type, _describe(expr))
        return DialectOperation(expr, op, right, expr.type)

    # -- comparisons that treat NULL as a value ------------------------------------------
    def is_distinct_from(self, other: Any) -> ColumnElement:
        """``x IS DISTINCT FROM other`` (``IS NOT`` on SQLite): true when they differ,
        NULL counting as a value."""
        return self._null_safe("IS DISTINCT FROM", other)

    def is_not_distinct_from(self, other: Any) -> ColumnElement:
        """``x IS NOT DISTINCT FROM other`` (``IS`` on SQLite)."""
        return self._null_safe("IS NOT DISTINCT FROM", other)

    isnot_distinct_from = is_not_distinct_from

    def _null_safe(self, op: str, other: Any) -> ColumnElement:
        expr = self._expr()
        other = coerce(other)
        right = Null() if other is None else coerce_expression(other, expr.type, _describe(expr))
        return DialectOperation(expr, op, right, Boolean())

    def match(self, other: Any) -> ColumnElement:
        """Full-text match: ``x @@ plainto_tsquery(other)`` on PostgreSQL, ``x MATCH
        other`` on SQLite (an FTS table)."""
        expr = self._expr()
        return DialectOperation(expr, "MATCH", coerce_expression(other, expr.type), Boolean())

    def __neg__(self) -> ColumnElement:
        return UnaryExpression(self._expr(), "-", None)

    def __and__(self, other: Any) -> ColumnElement:
        return and_(self, other)

    def __or__(self, other: Any) -> ColumnElement:
        return or_(self, other)

    def __invert__(self) -> ColumnElement:
        return not_(self)

    def in_(self, values: Any) -> ColumnElement:
        """``expr IN (values)``: a list (or other iterable) of values, each a bound parameter,
        or a ``select()`` / subquery.

        An empty list gives an expression that is false for every row, as in SQLAlchemy.

        Raises:
            ArgumentError: for a string, bytes or any other non-iterable value.
        """
        return self.operate("IN", values)

    def not_in(self, values: Any) -> ColumnElement:
        """``expr NOT IN (values)`` (see `in_`; an empty list is true for every row)."""
        return self.operate("NOT IN", values)

    notin_ = not_in

    def like(self, pattern: Any, escape: str | None = None) -> ColumnElement:
        """``LIKE pattern``; ``escape`` names the character that makes ``%``/``_`` literal."""
        return _like(self, "LIKE", pattern, escape)

    def not_like(self, pattern: Any, escape: str | None = None) -> ColumnElement:
        """``NOT LIKE pattern`` (see `like`)."""
        return _like(self, "NOT LIKE", pattern, escape)

    notlike = not_like

    def ilike(self, pattern: Any, escape: str | None = None) -> ColumnElement:
        """Case-insensitive ``LIKE`` (``ILIKE`` on PostgreSQL, ``lower() LIKE lower()``)."""
        return _like(self, "ILIKE", pattern, escape)

    def not_ilike(self, pattern: Any, escape: str | None = None) -> ColumnElement:
        """``NOT ILIKE pattern`` (see `ilike`)."""
        return _like(self, "NOT ILIKE", pattern, escape)

    notilike = not_ilike

    def startswith(
        self, other: Any, escape: str | None = None, autoescape: bool = False
    ) -> ColumnElement:
        """``LIKE other || '%'``; ``autoescape=True`` makes ``%`` and ``_`` in it literal."""
        return _pattern_match(self, "LIKE", "", other, "%", escape, autoescape)

    def endswith(
        self, other: Any, escape: str | None = None, autoescape: bool = False
    ) -> ColumnElement:
        """``LIKE '%' || other`` (see `startswith` for ``escape`` and ``autoescape``)."""
        return _pattern_match(self, "LIKE", "%", other, "", escape, autoescape)

    def contains(
        self, other: Any, escape: str | None = None, autoescape: bool = False
    ) -> ColumnElement:
        """``LIKE '%' || other || '%'`` (see `startswith` for ``escape`` and ``autoescape``)."""
        typed = _type_operator(self, "contains")
        if typed is not None:  # ARRAY / JSONB / range containment
            if escape is not None or autoescape:
                raise exc.ArgumentError(
                    "contains(escape=, autoescape=) apply to LIKE; this type's contains() "
                    "is not a LIKE"
                )
            return typed(other)  # type: ignore[no-any-return]
        return _pattern_match(self, "LIKE", "%", other, "%", escape, autoescape)

    def istartswith(
        self, other: Any, escape: str | None = None, autoescape: bool = False
    ) -> ColumnElement:
        """Case-insensitive `startswith`."""
        return _pattern_match(self, "ILIKE", "", other, "%", escape, autoescape)

    def iendswith(
        self, other: Any, escape: str | None = None, autoescape: bool = False
    ) -> ColumnElement:
        """Case-insensitive `endswith`."""
        return _pattern_match(self, "ILIKE", "%", other, "", escape, autoescape)

    def icontains(
        self, other: Any, escape: str | None = None, autoescape: bool = False
    ) -> ColumnElement:
        """Case-insensitive `contains`."""
        return _pattern_match(self, "ILIKE", "%", other, "%", escape, autoescape)

    def __getitem__(self, index: Any) -> ColumnElement:
        # JSON, ARRAY and HSTORE columns define indexing on their type's comparator.
        expr = self._expr()
        return expr.type.comparator_factory(expr)[index]  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        # Methods and properties a column type adds (``col["k"].astext``, ``col.any(x)``,
        # ``col.has_key("k")``) are read from that type's comparator; only names some
        # comparator defines are looked up, so other misses stay plain AttributeErrors.
        if name not in COMPARATOR_NAMES:
            raise AttributeError(name)
        try:
            expr = self._expr()
        except Exception:
            raise AttributeError(name) from None
        comparator = expr.type.comparator_factory(expr)
        if not hasattr(type(comparator), name):
            raise AttributeError(
                f"{type(self).__name__} of type {expr.type!r} has no attribute {name!r} "
                "(it belongs to another column type)"
            )
        return getattr(comparator, name)

    def is_(self, other: Any) -> ColumnElement:
        """``expr IS other``, mostly ``is_(None)`` for ``IS NULL`` (``== None`` gives the same)."""
        return self.operate("IS", other)

    def is_not(self, other: Any) -> ColumnElement:
        """``expr IS NOT other``, mostly ``is_not(None)`` for ``IS NOT NULL``."""
        return self.operate("IS NOT", other)

    isnot = is_not

    def between(self, low: Any, high: Any) -> ColumnElement:
        """``expr BETWEEN low AND high`` (both ends included); the bounds are bound with this
        expression's type.
        """
        expr = self._expr()
        return Between(expr, coerce_expression(low, expr.type), coerce_expression(high, expr.type))

    def desc(self) -> ColumnElement:
        """``expr DESC`` for ``order_by()``."""
        return UnaryExpression(self._expr(), None, "DESC")

    def asc(self) -> ColumnElement:
        """``expr ASC`` for ``order_by()``."""
        return UnaryExpression(self._expr(), None, "ASC")

    def nulls_first(self) -> ColumnElement:
        """``expr NULLS FIRST`` (chain after `desc` / `asc`: ``col.desc().nulls_first()``)."""
        return UnaryExpression(self._expr(), None, "NULLS FIRST")

    def nulls_last(self) -> ColumnElement:
        """``expr NULLS LAST`` (chain after `desc` / `asc`)."""
        return UnaryExpression(self._expr(), None, "NULLS LAST")

    def label(self, name: str) -> Label:
        """``expr AS name``: the expression under a name, which becomes its key in result rows."""
        return Label(name, self._expr())

    def distinct(self) -> ColumnElement:
        """``DISTINCT expr``, e.g. inside an aggregate: ``func.count(col.distinct())``."""
        return UnaryExpression(self._expr(), "DISTINCT", None)

    def cast(self, type_: Any) -> ColumnElement:
        """``CAST(expr AS type)``; ``type_`` is a type class or instance."""
        return Cast(self._expr(), to_type(type_))

    def collate(self, collation: str) -> ColumnElement:
        """``expr COLLATE collation``."""
        return Collate(self._expr(), collation)

    def regexp_match(self, pattern: Any, flags: str | None = None) -> ColumnElement:
        """True where the value matches the regular expression ``pattern``."""
        return RegexpMatch(self._expr(), coerce_expression(pattern), flags)

    def regexp_replace(
        self, pattern: Any, replacement: Any, flags: str | None = None
    ) -> ColumnElement:
        """The value with matches of ``pattern`` replaced (PostgreSQL semantics: the first
        match, every match with flag ``g``)."""
        return RegexpReplace(
            self._expr(), coerce_expression(pattern), coerce_expression(replacement), flags
        )

    def any_(self) -> ColumnElement:
        """``ANY (expr)`` of an array or a scalar subquery, for a comparison:
        ``col.any_() == 5`` renders ``5 = ANY (col)``.

        Compiling it on SQLite raises ``NotSupportedError`` (it has no ``ANY``).
        """
        return AnyAll("ANY", self._expr())

    def all_(self) -> ColumnElement:
        """``ALL (expr)`` of an array or a scalar subquery (see `any_`; PostgreSQL only)."""
        return AnyAll("ALL", self._expr())

    def concat(self, other: Any) -> ColumnElement:
        """``expr || other``: string concatenation, ``other`` bound with this expression's type."""
        return BinaryExpression(self._expr(), "||", coerce_expression(other, self._expr().type))

    def bool_op(self, operator: str) -> Any:
        """A custom boolean operator: ``col.bool_op("@>")(other)`` gives ``col @> other`` typed as
        Boolean (so it can be a WHERE condition).
        """

        def apply(other: Any) -> ColumnElement:
            return BinaryExpression(self._expr(), operator, coerce_expression(other), Boolean())

        return apply

    def op(
        self,
        operator: str,
        precedence: int = 0,
        is_comparison: bool = False,
        return_type: Any = None,
    ) -> Any:
        """A custom binary operator: ``col.op("&")(mask)`` gives ``col & mask``.

        Args:
            operator: the SQL operator text, emitted as written.
            precedence: how tightly the operator binds, as in SQLAlchemy (``*`` is 8, ``+``
                7, comparisons 5, AND 3; a custom operator 0 by default): an operand binding
                less tightly (or as tightly) is parenthesised.
            is_comparison: type the result Boolean, as a comparison.
            return_type: the type of the result (by default this expression's type).
        """

        if not isinstance(precedence, int) or isinstance(precedence, bool):
            raise exc.ArgumentError(f"op(precedence=) takes an int, got {precedence!r}")

        def apply(other: Any) -> ColumnElement:
            expr = self._expr()
            if is_comparison:
                type_: TypeEngine = Boolean()
            elif return_type is not None:
                type_ = to_type(return_type)
            else:
                result = self.operate(operator, other)
                if not isinstance(result, BinaryExpression) or result.operator != operator:
                    return result  # the type's comparator redefines the operator
                return CustomOpExpression(
                    result.left, operator, result.right, result.type, precedence
                )
            right = coerce_expression(other, expr.type)
            return CustomOpExpression(expr, operator, right, type_, precedence)

        return apply

    __hash__ = object.__hash__


def _type_operator(obj: ColumnOperators, name: str) -> Any:
    """The comparator method ``name`` when the expression's type redefines it, else None."""
    try:
        expr = obj._expr()
    except NotImplementedError:
        return None
    factory = expr.type.comparator_factory
    if name in factory._overrides:
        return getattr(factory(expr), name)
    return None


def _describe(expr: Any) -> str | None:
    table = getattr(expr, "table", None)
    name = getattr(expr, "name", None)
    if table is not None and isinstance(name, str):
        return f"{table.name}.{name}"
    return name if isinstance(name, str) else None


def _check_escape(escape: Any) -> str:
    if not isinstance(escape, str) or len(escape) != 1:
        raise exc.ArgumentError(
            f"escape= takes a single character (e.g. escape='!'), got {escape!r}"
        )
    return escape


def _like(expr: ColumnOperators, op: str, pattern: Any, escape: str | None) -> ColumnElement:
    made = expr.operate(op, pattern)
    if escape is None or not isinstance(made, BinaryExpression) or made.operator != op:
        return made
    return LikeExpression(made.left, op, made.right, _check_escape(escape))


def _pattern_match(
    expr: ColumnOperators,
    op: str,
    prefix: str,
    other: Any,
    suffix: str,
    escape: str | None,
    autoescape: bool,
) -> ColumnElement:
    """``contains``/``startswith``/``endswith`` and their case-insensitive forms."""
    other = coerce(other)
    if escape is not None:
        escape = _check_escape(escape)
    if autoescape:
        if not isinstance(other, str):
            raise exc.ArgumentError(
                f"autoescape=True needs a str to escape, got {type(other).__name__}"
            )
        escape = escape or "/"
        other = (
            other.replace(escape, escape + escape)
            .replace("%", escape + "%")
            .replace("_", escape + "_")
        )
    if isinstance(other, str):
        return _like(expr, op, prefix + other + suffix, escape)
    # An expression: the wildcards are concatenated to it in SQL.
    pattern: ColumnElement = coerce_expression(other, expr._expr().type)  # type: ignore[assignment]
    if prefix:
        pattern = BinaryExpression(BindParameter(None, prefix, String()), "||", pattern)
    if suffix:
        pattern = BinaryExpression(pattern, "||", BindParameter(None, suffix, String()))
    return _like(expr, op, pattern, escape)


_LIKE_OPS = frozenset({"LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE"})

#: values that bind as themselves: no ``__clause_element__``, not None / True / False
_PLAIN_VALUES = frozenset({int, str, float})
#: the classes of values `compare_plain` takes (public: the ORM's attributes test them)
PLAIN_VALUES = _PLAIN_VALUES
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_NEGATE = {
    "=": "!=",
    "!=": "=",
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "IN": "NOT IN",
    "NOT IN": "IN",
    "LIKE": "NOT LIKE",
    "NOT LIKE": "LIKE",
    "ILIKE": "NOT ILIKE",
    "NOT ILIKE": "ILIKE",
    "IS": "IS NOT",
    "IS NOT": "IS",
}


class PlainComparisons(NamedTuple):
    """How a column compares with plain values (`plain_comparisons`): what lets an ORM
    attribute build ``User.id == 5`` without the general operator dispatch, with the
    exact expression that dispatch would build."""

    #: the column's type when this was worked out (a type replaced later, e.g. a foreign
    #: key column typed once its target resolves, makes it stale)
    type: TypeEngine
    #: the comparison operators the type's comparator leaves as SQL defines them
    operators: frozenset[str]
    #: the type binding a plain value; None: the type's coerce_compared_value() decides
    #: per value
    bind_type: TypeEngine | None
    #: what the bound value is compared with, for error messages
    label: str | None


def plain_comparisons(column: ColumnElement) -> PlainComparisons:
    """`PlainComparisons` of ``column`` (no operators when its class changes how it
    operates)."""
    t = column.type
    cls = type(column)
    ops: frozenset[str] = frozenset()
    if cls.operate is ColumnElement.operate and cls._operate is ColumnElement._operate:
        overrides = t.comparator_factory._overrides
        ops = frozenset(op for op in _COMPARISONS if _OPERATOR_METHODS.get(op) not in overrides)
    # the two coerce_compared_value()s that answer the type itself whatever the value
    same = type(t).coerce_compared_value in (TypeEngine.coerce_compared_value,
                                              TypeDecorator.coerce_compared_value)  # fmt: skip
    return PlainComparisons(t, ops, t if same else None, _describe(column))


def compare_plain(
    column: ColumnElement, op: str, value: Any, plan: PlainComparisons
) -> BinaryExpression:
    """``column <op> value`` for a plain int / str / float and an operator of
    ``plan.operators``: what `ColumnElement._operate` builds for it."""
    bind_type = plan.bind_type
    if bind_type is None:
        bind_type = column.type.coerce_compared_value(op, value)
    return BinaryExpression(column, op, BindParameter(None, value, bind_type, plan.label), _BOOLEAN)


class ColumnElement(ColumnOperators, ClauseElement):
    """An SQL expression with a type."""

    __slots__ = ()
    type: TypeEngine = NULLTYPE
    key: str | None = None

    @property
    def foreign_keys(self) -> Collection[Any]:
        """The foreign keys on this expression: none but a table column's (`Column` holds
        its own), as libraries that walk a mapping's columns read it."""
        return ()

    def _expr(self) -> ColumnElement:
        return self

    def shares_lineage(self, other: Any) -> bool:
        """True when ``other`` is this expression, or the same table column (as reached
        through an ORM attribute or ``table.c``)."""
        other = getattr(other, "_expr", lambda: other)()
        if other is self:
            return True
        table, name = getattr(self, "table", None), getattr(self, "name", None)
        return (
            table is not None
            and name is not None
            and getattr(other, "table", None) is table
            and getattr(other, "name", None) == name
        )

    @property
    def proxy_set(self) -> frozenset[ColumnElement]:
        """This column and the columns it stands for (an alias's or subquery's column
        names the table column it selects), as SQLAlchemy gives it."""
        source = getattr(self, "_proxied_source", None)
        if source is None:
            return frozenset({self})
        return frozenset({self}) | frozenset(source.proxy_set)

    @property
    def base_columns(self) -> frozenset[ColumnElement]:
        """The columns at the bottom of `proxy_set`: the table columns an expression of
        aliases and subqueries reads (itself for a table column)."""
        source = getattr(self, "_proxied_source", None)
        return frozenset({self}) if source is None else frozenset(source.base_columns)

    def operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        if op.__class__ is not str:  # a function from sql.operators: operate(eq, 5)
            return op(self, *args, **kw)  # type: ignore[no-any-return]
        (other,) = args
        overrides = self.type.comparator_factory._overrides
        if overrides:
            method = _OPERATOR_METHODS.get(op)
            if method is not None and method in overrides:
                return getattr(self.type.comparator_factory(self), method)(other)  # type: ignore[no-any-return]
        return self._operate(op, other)

    def _operate(self, op: str, other: Any) -> ColumnElement:
        """The operator as SQL defines it, whatever the type's comparator redefines."""
        if other.__class__ in _PLAIN_VALUES and op in _COMPARISONS:
            # a comparison with a plain int / str / float (``User.id == 5``, most of
            # every WHERE clause): the general path below, without its checks
            bind = BindParameter(
                None, other, self.type.coerce_compared_value(op, other), _describe(self)
            )
            return BinaryExpression(self, op, bind, _BOOLEAN)
        if op in ("IN", "NOT IN"):
            return _in_expression(self, op, other)
        other = coerce(other)
        if other is None or isinstance(other, Null):
            if op == "=":
                op = "IS"
            elif op == "!=":
                op = "IS NOT"
            return BinaryExpression(self, op, Null())
        if op == "+" and _is_string(self.type):
            op = "||"  # SQLAlchemy's String + String is concatenation
        # a factor or divisor is a plain number, not a value of this column's type
        right = coerce_expression(
            other,
            None if op in ("*", "/", "%") else self.type.coerce_compared_value(op, other),
            _describe(self),
        )
        if op == "/":
            return _division(self, right, floor=False)
        type_ = _BOOLEAN if op in _NEGATE else self.type
        return BinaryExpression(self, op, right, type_)


def _is_string(t: Any) -> bool:
    from ..types import String

    return isinstance(t, String)


def _in_expression(left: ColumnElement, op: str, values: Any) -> ColumnElement:
    values = coerce(values)
    if type(values).__name__ == "Subquery" and hasattr(values.select, "_scalar_subquery"):
        # x IN (query.subquery()): SQLAlchemy coerces the subquery to its SELECT
        values = values.select
    if isinstance(values, BindParameter):
        # as in SQLAlchemy, in_(bindparam("ids")) is an expanding parameter: a list
        return ExpandingIn(left, op, values)
    if hasattr(values, "_scalar_subquery") or isinstance(values, ClauseElement):
        # "x IN ((SELECT ...))" would make SQLite read the subquery as a scalar: one pair
        # of parentheses only.
        if hasattr(values, "_scalar_subquery"):
            return BinaryExpression(left, op, values._scalar_subquery(), Boolean())
        return BinaryExpression(left, op, Grouping(values), Boolean())
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise exc.ArgumentError(
            f"in_() takes a list of values or a select(), got {type(values).__name__}"
        )
    type_, label, plain = left.type, _describe(left), _PLAIN_VALUES
    items = [
        # plain values (the keys of a selectin load) bind directly: coerce_expression's
        # checks cost more than the BindParameter
        BindParameter(None, v, type_, label)
        if v.__class__ in plain
        else coerce_expression(v, type_, label)
        for v in values
    ]
    if not items:
        return EmptyIn(left, op)
    return InExpression(left, op, ExpressionList(items))


class BindParameter(ColumnElement):
    """A value sent to the driver as a parameter, never written into the SQL."""

    __slots__ = ("describes", "expanding", "key", "type", "value")
    #: True for a column default / onupdate whose callable value runs per execution.
    _is_default: ClassVar[bool] = False

    def __init__(
        self, key: str | None, value: Any, type_: TypeEngine | None = None, label: str | None = None
    ) -> None:
        self.key = key
        self.value = value
        self.type = type_ if type_ is not None else literal_type(value)
        self.expanding = False
        #: what the value is compared with, for error messages only (never a lookup key)
        self.describes = label

    @property
    def effective_value(self) -> Any:
        """The value the parameter is sent with (a callable value is called)."""
        return self.value() if callable(self.value) else self.value

    def _compile(self, compiler: Compiler) -> str:
        return compiler.bind(self)


class DefaultBindParameter(BindParameter):
    """A column's ``default`` / ``onupdate``: a callable value is called per execution."""

    __slots__ = ()
    _is_default: ClassVar[bool] = True


_REQUIRED = object()

# Execution options SQLAlchemy defines that uow_orm does not implement: refused rather
# than stored and ignored. Other keys (an application's own) are kept, as SQLAlchemy keeps
# them, and are readable with get_execution_options().
_UNSUPPORTED_EXECUTION_OPTIONS = frozenset(
    {
        "compiled_cache",
        "dml_strategy",
        "driver_column_names",
        "insertmanyvalues_page_size",
        "is_delete_using",
        "is_update_from",
        "isolation_level",
        "logging_token",
        "max_row_buffer",
        "no_parameters",
        "prebuffer_rows",
        "preserve_rowcount",
        "schema_translate_map",
        "stream_results",
    }
)
_SYNCHRONIZE_SESSION = ("auto", "evaluate", "fetch")  # and False (compared by identity)


def check_execution_options(owner: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` if uow_orm honours each SQLAlchemy option among them, else ArgumentError.

    ``populate_existing`` and ``autoflush`` work; ``synchronize_session`` may be "auto",
    "evaluate" or "fetch" (the session is brought in line with the rows changed) or False
    (the session's objects are left as they are).
    """
    for name, value in options.items():
        if name in _UNSUPPORTED_EXECUTION_OPTIONS:
            raise exc.ArgumentError(
                f"{owner}.execution_options({name}=...) is not supported by uow_orm yet"
                + (
                    "; isolation levels are set with create_engine(isolation_level=...)"
                    if name == "isolation_level"
                    else ""
                )
            )
        if name == "render_nulls" and owner != "insert":
            raise exc.ArgumentError(
                f"{owner}.execution_options(render_nulls=...): render_nulls applies to "
                "ORM bulk INSERT statements (insert(Entity) with a list of parameter sets)"
            )
        if name == "synchronize_session" and not (
            value is False or (isinstance(value, str) and value in _SYNCHRONIZE_SESSION)
        ):
            raise exc.ArgumentError(
                f"synchronize_session={value!r}: valid strategies for session "
                "synchronization are 'auto', 'evaluate', 'fetch' and False"
            )
    return options


def bindparam(
    key: str,
    value: Any = _REQUIRED,
    type_: TypeEngine | None = None,
    unique: bool = False,
    required: Any = None,
    quote: Any = None,
    callable_: Any = None,
    expanding: bool = False,
    isoutparam: bool = False,
    literal_execute: bool = False,
) -> BindParameter:
    """A named parameter whose value is given at execution time.

    Args:
        key: the parameter's name (``execute(stmt, {key: value})``).
        value: a default value; without one the parameter is required.
        type_: its type (else taken from what it is compared with).
        unique: SQLAlchemy's option, not implemented: refused when set.
        required: SQLAlchemy's flag; a parameter without a value always needs one, so only
            ``required=False`` without a value is refused.
        quote: not implemented: refused when set.
        callable_: not implemented: refused when set.
        expanding: a list for ``col.in_(bindparam("ids", expanding=True))`` (``in_()`` of
            any bindparam is expanding, as in SQLAlchemy); the whole list is one parameter
            (an array on PostgreSQL, JSON on SQLite), so any length runs with the same
            compiled statement.
        isoutparam: not implemented: refused when set.
        literal_execute: not implemented: refused when set.

    Raises:
        exc.ArgumentError: an option uow_orm does not implement.
    """
    refused = {
        "unique": unique,
        "quote": quote is not None,
        "callable_": callable_ is not None,
        "isoutparam": isoutparam,
        "literal_execute": literal_execute,
    }
    for name, given in refused.items():
        if given:
            raise exc.ArgumentError(f"bindparam({name}=...) is not supported by uow_orm")
    if required is False and value is _REQUIRED:
        raise exc.ArgumentError(
            "bindparam(required=False) without a value is not supported; give value=None"
        )
    bind = BindParameter(key, value, type_ or NULLTYPE)
    bind.expanding = bool(expanding)
    return bind


class Null(ColumnElement):
    """SQL ``NULL``, made by `null` (or a Python ``None`` in an expression); ``col == None``
    compiles to ``col IS NULL``.
    """

    __slots__ = ()

    def _compile(self, compiler: Compiler) -> str:
        return "NULL"


class True_(ColumnElement):
    """SQL ``true`` (``1`` on SQLite), made by `true` or a Python ``True`` in an expression."""

    __slots__ = ()
    type = Boolean()

    def _compile(self, compiler: Compiler) -> str:
        return "1" if compiler.dialect_name == "sqlite" and not compiler.string_dialect else "true"


class False_(ColumnElement):
    """SQL ``false`` (``0`` on SQLite), made by `false` or a Python ``False`` in an expression."""

    __slots__ = ()
    type = Boolean()

    def _compile(self, compiler: Compiler) -> str:
        return "0" if compiler.dialect_name == "sqlite" and not compiler.string_dialect else "false"


def null() -> Null:
    """SQL ``NULL`` (``col == null()`` compiles to ``IS NULL``)."""
    return Null()


def true() -> True_:
    """SQL ``true`` (``1`` on SQLite)."""
    return True_()


def false() -> False_:
    """SQL ``false`` (``0`` on SQLite)."""
    return False_()


class BinaryExpression(ColumnElement):
    """``left operator right``: what comparisons and arithmetic on columns build
    (``User.id == 5``); ``left``, ``operator`` and ``right`` are readable attributes.
    """

    # _orm_entities: the mapped classes whose attributes made it (``Child.parent_id ==
    # Parent.id``; None for Core columns), set by the ORM; with_loader_criteria reads it
    # to find the entities a SELECT reads through its WHERE clause (and the statement
    # cache keys on it, so a Core and an ORM spelling never share a compiled statement)
    __slots__ = ("_orm_entities", "left", "operator", "right", "type")

    def __init__(
        self,
        left: ClauseElement,
        operator: str,
        right: ClauseElement,
        type_: TypeEngine | None = None,
    ) -> None:
        self.left = left
        self.operator = operator
        self.right = right
        self.type = type_ if type_ is not None else getattr(left, "type", NULLTYPE)
        self._orm_entities: frozenset[Any] | None = None

    def _compile(self, compiler: Compiler) -> str:
        op = self.operator
        if compiler.display is not None:
            _name_bind_after(compiler, self.left, self.right)
            _name_bind_after(compiler, self.right, self.left)
            if op in ("IN", "NOT IN") and isinstance(self.left, Tuple):
                rows = _plain_rows(self.right)
                if rows is not None and not compiler.literal_binds:
                    # printed as SQLAlchemy prints it: one expanding parameter of tuples
                    bind = BindParameter(None, rows, NULLTYPE)
                    name = compiler.anon_name("param")
                    sql = (
                        f"{compiler.process(self.left)} {op} {compiler.expanding_bind(bind, name)}"
                    )
                    return f"({sql})" if op == "NOT IN" else sql
        left = _operand(compiler, self.left, self)
        right = _operand(compiler, self.right, self)
        if op not in _LIKE_OPS:
            if op == "%" and compiler.paramstyle in ("format", "pyformat"):
                op = "%%"  # psycopg reads a lone % as a placeholder
            return f"{left} {op} {right}"
        if op in ("ILIKE", "NOT ILIKE") and compiler.dialect_name != "postgresql":
            neg = "NOT " if op.startswith("NOT") else ""
            sql = f"lower({left}) {neg}LIKE lower({right})"
        else:
            sql = f"{left} {op} {right}"
        escape = self._like_escape()
        if escape is None:
            return sql
        escape = escape.replace("'", "''")
        if compiler.paramstyle == "format":
            escape = escape.replace("%", "%%")
        return f"{sql} ESCAPE '{escape}'"

    def _like_escape(self) -> str | None:
        # A backslash in a literal pattern escapes on both backends (PostgreSQL's default).
        return "\\" if _needs_escape(self.right) else None

    def _from_objects(self) -> list[FromClause]:
        return self.left._from_objects() + self.right._from_objects()

    def __bool__(self) -> bool:
        # ``col == col`` in plain Python (list.index, ``in``) compares identity.
        if self.operator == "=":
            return self.left is self.right
        if self.operator == "!=":
            return self.left is not self.right
        return ClauseElement.__bool__(self)

    def __invert__(self) -> ColumnElement:
        neg = _NEGATE.get(self.operator)
        if neg is not None:
            return BinaryExpression(self.left, neg, self.right, self.type)
        return UnaryExpression(Grouping(self), "NOT", None, Boolean())


# SQLAlchemy's operator precedence (sql/operators.py _PRECEDENCE): an operand binding less
# tightly than its operator is parenthesised; ``+ * || AND OR`` are associative
_PRECEDENCE = {
    "*": 8,
    "/": 8,
    "%": 8,
    "+": 7,
    "-": 7,
    "&": 7,
    "|": 7,
    "^": 7,
    "<<": 7,
    ">>": 7,
    "->": 15,
    "->>": 15,
    "#>": 15,
    "#>>": 15,
    "||": 5,
    "AND": 3,
    "OR": 2,
}
_ASSOCIATIVE = frozenset({"+", "*", "||", "AND", "OR"})


def _precedence(el: Any) -> int:
    custom = getattr(el, "precedence", None)
    if custom is not None:
        return custom  # type: ignore[no-any-return]
    return _PRECEDENCE.get(el.operator, 5)  # comparisons, LIKE, IN, IS: 5


def _operand(compiler: Compiler, operand: ClauseElement, parent: BinaryExpression) -> str:
    """``operand`` of ``parent``, in parentheses when it binds less tightly (SQLAlchemy's
    rule: ``(a - b) - c``, ``a + b + c``, ``(x & 1) | 2``, ``a * b + c``)."""
    if isinstance(operand, Collate) and _precedence(parent) >= 4:
        return "(" + operand._compile(compiler) + ")"  # COLLATE binds at 4 (SQLAlchemy)
    if isinstance(operand, BinaryExpression):
        op = operand.operator
        custom = type(operand) is CustomOpExpression or type(parent) is CustomOpExpression
        if (op != parent.operator or op not in _ASSOCIATIVE or custom) and _precedence(
            operand
        ) <= _precedence(parent):
            return "(" + operand._compile(compiler) + ")"
        return operand._compile(compiler)
    return compiler.process(operand, nested=True)


def _plain_rows(right: Any) -> list[tuple[Any, ...]] | None:
    """The values of ``IN ((1, 2), (3, 4))`` when every item is a plain value, else None."""
    rows = []
    for row in getattr(right, "items", ()):
        items = getattr(row, "items", None)
        if items is None or not all(type(i) is BindParameter and i.key is None for i in items):
            return None
        rows.append(tuple(i.value for i in items))
    return rows


def _name_bind_after(compiler: Compiler, bind: Any, expr: Any) -> None:
    """Printing: an anonymous parameter compared with (or added to) ``expr`` is named after
    it, as SQLAlchemy names it (``x_1`` for ``t.c.x + 5``)."""
    if type(bind) is BindParameter and bind.key is not None and bind.type is NULLTYPE:
        compiler.bind_types[id(bind)] = getattr(expr, "type", NULLTYPE)
    if type(bind) is BindParameter and bind.key is None and bind.describes is None:
        name = getattr(expr, "name", None)
        if isinstance(name, str) and getattr(expr, "table", None) is not None:
            if id(bind) not in compiler.bind_names:
                compiler.bind_name(bind, name)


class CustomOpExpression(BinaryExpression):
    """``left <op> right`` of ``op(operator, precedence=)``: parenthesised by precedence."""

    __slots__ = ("precedence",)

    def __init__(
        self,
        left: ClauseElement,
        operator: str,
        right: ClauseElement,
        type_: TypeEngine | None,
        precedence: int,
    ) -> None:
        super().__init__(left, operator, right, type_)
        self.precedence = precedence


class InExpression(BinaryExpression):
    """``left IN (v1, v2, ...)`` (or NOT IN) over a list of values.

    When a statement would carry more bound parameters than the backend allows, the
    compiler recompiles it with ``collapse_in_lists`` set: a list of plain values then
    travels as ONE parameter, ``left = ANY(%s)`` (an array) on PostgreSQL and
    ``left IN (SELECT value FROM json_each(?))`` (a JSON array) on SQLite.
    """

    __slots__ = ()

    def __init__(self, left: ClauseElement, operator: str, right: ExpressionList) -> None:
        super().__init__(left, operator, right, Boolean())

    def _compile(self, compiler: Compiler) -> str:
        items = self.right.items  # type: ignore[attr-defined]
        if compiler.display is not None and not compiler.literal_binds:
            return self._compile_display(compiler, items)
        if compiler.collapse_in_lists and all(
            type(i) is BindParameter and i.key is None for i in items
        ):
            return self._compile_collapsed(compiler, items)
        return BinaryExpression._compile(self, compiler)

    def _compile_display(self, compiler: Compiler, items: list[Any]) -> str:
        # printed as SQLAlchemy prints an "expanding" IN: one list parameter
        left = compiler.process(self.left, nested=True)
        if all(type(i) is BindParameter and i.key is None for i in items):
            name = compiler.bind_name(items[0])
            value = [i.value for i in items]
            rendered = compiler.expanding_bind(BindParameter(None, value, items[0].type), name)
        elif all(type(i) is Tuple for i in items):
            value = [tuple(getattr(c, "value", None) for c in i.clauses) for i in items]
            rendered = compiler.expanding_bind(
                BindParameter(None, value, NULLTYPE), compiler.anon_name("param")
            )
        else:
            rendered = compiler.process(self.right, nested=True)
        sql = f"{left} {self.operator} {rendered}"
        return f"({sql})" if self.operator == "NOT IN" else sql

    def _compile_collapsed(self, compiler: Compiler, items: list[BindParameter]) -> str:
        from ..types import _InListArray

        left = compiler.process(self.left, nested=True)
        param = BindParameter(
            None, [i.value for i in items], _InListArray(items[0].type), items[0].describes
        )
        placeholder = compiler.bind(param)
        negated = self.operator == "NOT IN"
        if compiler.dialect_name == "postgresql":
            array = pg_array_param(placeholder, items[0].type)
            return f"{left} != ALL({array})" if negated else f"{left} = ANY({array})"
        return f"{left} {self.operator} (SELECT value FROM json_each({placeholder}))"

    def __invert__(self) -> ColumnElement:
        return InExpression(self.left, _NEGATE[self.operator], self.right)  # type: ignore[arg-type]


def pg_array_param(placeholder: str, item_type: TypeEngine) -> str:
    """A list parameter as PostgreSQL compares it with a column: cast to an array of the
    column's own kind for integer and text columns (psycopg sends a list of ints as the
    smallest integer array that holds them, and ``int4_col = ANY(smallint[])`` is checked
    row by row against the whole array: 7x slower than an IN list over 10,000 rows, where
    ``= ANY(integer[])`` is faster than one); as psycopg adapts it for other types. Text
    is cast to ``TEXT[]``, never ``VARCHAR(n)[]``, which would cut longer values to n."""
    name = pg_array_type(item_type)
    return placeholder if name is None else f"CAST({placeholder} AS {name}[])"


def pg_array_type(item_type: TypeEngine) -> str | None:
    """The PostgreSQL element type `pg_array_param` casts a list of ``item_type`` values
    to (None: no cast)."""
    return _pg_array_types().get(type(item_type))


_PG_ARRAY_TYPES: dict[type, str] = {}


def _pg_array_types() -> dict[type, str]:
    if not _PG_ARRAY_TYPES:  # (the generic types import this module: looked up late)
        from .. import _generic_types as g
        from .. import types as t

        for cls, name in (
            (t.Integer, "INTEGER"), (t.SmallInteger, "SMALLINT"), (t.BigInteger, "BIGINT"),
            (g.INTEGER, "INTEGER"), (g.SMALLINT, "SMALLINT"), (g.BIGINT, "BIGINT"),
            (t.String, "TEXT"), (t.Text, "TEXT"), (g.Unicode, "TEXT"), (g.UnicodeText, "TEXT"),
            (g.VARCHAR, "TEXT"), (g.TEXT, "TEXT"),
        ):  # fmt: skip
            _PG_ARRAY_TYPES[cls] = name
    return _PG_ARRAY_TYPES


class _ExpandingList(TypeEngine):
    """The type of an expanding ``bindparam()``'s list: checked to be a list (not a string),
    then sent as one array (PostgreSQL) / JSON array (SQLite) of ``item_type`` values."""

    def __init__(self, key: str | None, item_type: TypeEngine) -> None:
        from ..types import _InListArray

        self.key = key
        self.item_type = item_type
        self._array = _InListArray(item_type)

    def bind_processor(self, dialect_name: str) -> Any:
        from ..types import _BadValue

        inner = self._array.bind_processor(dialect_name)
        assert inner is not None
        key = self.key

        def process(values: Any) -> Any:
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise _BadValue(
                    f"expanding bindparam({key!r}) takes a list of values, got "
                    f"{type(values).__name__}"
                )
            return inner(list(values))

        return process


class ExpandingIn(ColumnElement):
    """``left IN <list given at execution>``: ``in_(bindparam("ids", expanding=True))``.

    The list travels as one parameter: ``left = ANY(%s)`` (PostgreSQL) or ``left IN (SELECT
    value FROM json_each(?))`` (SQLite); an empty list matches nothing (NOT IN: everything).
    """

    __slots__ = ("bind", "left", "operator")
    type = Boolean()

    def __init__(self, left: ColumnElement, operator: str, bind: BindParameter) -> None:
        self.left = left
        self.operator = operator
        item_type = bind.type if bind.type is not NULLTYPE else getattr(left, "type", NULLTYPE)
        if isinstance(bind.type, _ExpandingList):
            self.bind = bind
        else:
            self.bind = BindParameter(bind.key, bind.value, _ExpandingList(bind.key, item_type))
            self.bind.expanding = True

    def _compile(self, compiler: Compiler) -> str:
        left = compiler.process(self.left, nested=True)
        negated = self.operator == "NOT IN"
        if compiler.display is not None and not compiler.literal_binds:
            rendered = compiler.expanding_bind(self.bind, compiler.bind_name(self.bind))
            sql = f"{left} {self.operator} {rendered}"
            return f"({sql})" if negated else sql
        if compiler.literal_binds and self.bind.value is not _REQUIRED:
            items = ", ".join(compiler.process(BindParameter(None, v)) for v in self.bind.value)
            return f"{left} {self.operator} ({items})"
        placeholder = compiler.bind(self.bind)
        if compiler.dialect_name == "postgresql":
            array = pg_array_param(placeholder, self.bind.type.item_type)  # type: ignore[attr-defined]
            return f"{left} != ALL({array})" if negated else f"{left} = ANY({array})"
        return f"{left} {self.operator} (SELECT value FROM json_each({placeholder}))"

    def _from_objects(self) -> list[FromClause]:
        return self.left._from_objects()

    def __invert__(self) -> ColumnElement:
        return ExpandingIn(self.left, _NEGATE[self.operator], self.bind)


class EmptyIn(ColumnElement):
    """``x IN ()`` of an empty list: always false (NOT IN: always true), even for NULL.

    Rendered as SQLAlchemy renders its "empty set" expression, keeping ``x`` (and so its
    table) in the statement.
    """

    __slots__ = ("left", "operator")
    type = Boolean()

    def __init__(self, left: ColumnElement, operator: str) -> None:
        self.left = left
        self.operator = operator

    def _compile(self, compiler: Compiler) -> str:
        left = compiler.process(self.left, nested=True)
        if compiler.display is not None and not compiler.literal_binds:
            # printed as SQLAlchemy prints it: an expanding parameter holding []
            name = getattr(self.left, "name", None)
            bind = BindParameter(None, [], NULLTYPE)
            rendered = compiler.expanding_bind(
                bind, compiler.anon_name(name if isinstance(name, str) else "param")
            )
            sql = f"{left} {self.operator} {rendered}"
            return f"({sql})" if self.operator == "NOT IN" else sql
        if compiler.dialect_name == "sqlite":
            return f"{left} {self.operator} (SELECT 1 FROM (SELECT 1) WHERE 1!=1)"
        if self.operator == "IN":
            return f"({left} IN (NULL) AND (1 != 1))"
        return f"({left} NOT IN (NULL) OR (1 = 1))"

    def _from_objects(self) -> list[FromClause]:
        return self.left._from_objects()

    def __invert__(self) -> ColumnElement:
        return EmptyIn(self.left, _NEGATE[self.operator])


class LikeExpression(BinaryExpression):
    """``left LIKE right ESCAPE 'c'`` (also NOT LIKE, ILIKE, NOT ILIKE)."""

    __slots__ = ("escape",)

    def __init__(self, left: ClauseElement, operator: str, right: ClauseElement, escape: str):
        super().__init__(left, operator, right, Boolean())
        self.escape = escape

    def _like_escape(self) -> str | None:
        return self.escape

    def __invert__(self) -> ColumnElement:
        return LikeExpression(self.left, _NEGATE[self.operator], self.right, self.escape)


def _needs_escape(right: ClauseElement) -> bool:
    return isinstance(right, BindParameter) and isinstance(right.value, str) and "\\" in right.value


class Between(ColumnElement):
    __slots__ = ("expr", "high", "low")
    type = Boolean()

    def __init__(self, expr: ClauseElement, low: ClauseElement, high: ClauseElement) -> None:
        self.expr = expr
        self.low = low
        self.high = high

    def _compile(self, compiler: Compiler) -> str:
        if compiler.display is not None:
            _name_bind_after(compiler, self.low, self.expr)
            _name_bind_after(compiler, self.high, self.expr)
        return (
            f"{compiler.process(self.expr, nested=True)} BETWEEN "
            f"{compiler.process(self.low, nested=True)} AND "
            f"{compiler.process(self.high, nested=True)}"
        )

    def _from_objects(self) -> list[FromClause]:
        return self.expr._from_objects()


def bitwise_not(expr: Any) -> ColumnElement:
    """``~expr``: the bitwise complement (``column.bitwise_not()`` as a function)."""
    return coerce_expression(expr).bitwise_not()  # type: ignore[attr-defined,no-any-return]


def _is_integer(t: Any) -> bool:
    from ..types import Integer

    return isinstance(t, Integer)


def _division(left: Any, right: Any, floor: bool) -> ColumnElement:
    """``/`` and ``//`` as SQLAlchemy 2.0 defines them: ``/`` is true division (an integer
    operand is made numeric first, so ``5 / 2`` is 2.5 as in Python), ``//`` floors
    (plain ``/`` when both sides are integers, ``FLOOR(a / b)`` otherwise)."""
    from ..types import Numeric

    ints = _is_integer(left.type), _is_integer(right.type)
    if floor:
        if all(ints):
            return BinaryExpression(left, "/", right, left.type)
        return DialectOperation(left, "FLOOR/", right, left.type)
    if any(ints):
        return DialectOperation(left, "NUMERIC/", right, Numeric())
    return BinaryExpression(left, "/", right, left.type)


class DialectOperation(BinaryExpression):
    """A binary operator whose SQL differs per dialect: true and floor division, XOR, IS
    [NOT] DISTINCT FROM, MATCH (see the ``ColumnOperators`` methods that build it)."""

    __slots__ = ()

    def _compile(self, compiler: Compiler) -> str:
        op = self.operator
        left = compiler.process(self.left, nested=True)
        right = compiler.process(self.right, nested=True)
        sqlite = compiler.dialect_name == "sqlite"
        if op == "NUMERIC/":
            return f"{left} / ({right} + 0.0)" if sqlite else f"{left} / CAST({right} AS NUMERIC)"
        if op == "FLOOR/":
            return f"FLOOR({left} / {right})"
        if op == "XOR":
            if sqlite:  # each operand written twice, so compiled (and bound) twice
                left2 = compiler.process(self.left, nested=True)
                right2 = compiler.process(self.right, nested=True)
                return f"(({left} | {right}) - ({left2} & {right2}))"
            return f"{left} {'#' if compiler.dialect_name == 'postgresql' else '^'} {right}"
        if op == "MATCH" and compiler.dialect_name == "postgresql":
            return f"{left} @@ plainto_tsquery({right})"
        if sqlite and op.endswith("DISTINCT FROM"):
            return f"{left} {'IS' if 'NOT' in op else 'IS NOT'} {right}"
        return f"{left} {op} {right}"


class UnaryExpression(ColumnElement):
    """An operator before or a modifier after one expression: ``-x``, ``NOT x``,
    ``DISTINCT x``, ``x DESC``, ``x NULLS FIRST``; made by `desc`, `asc`, `distinct`,
    ``~`` and the like.
    """

    __slots__ = ("element", "modifier", "operator", "type")

    def __init__(
        self,
        element: ClauseElement,
        operator: str | None,
        modifier: str | None,
        type_: TypeEngine | None = None,
    ) -> None:
        self.element = element
        self.operator = operator
        self.modifier = modifier
        self.type = type_ if type_ is not None else getattr(element, "type", NULLTYPE)

    def _compile(self, compiler: Compiler) -> str:
        inner = compiler.process(self.element, nested=True)
        if compiler.display is not None and self.operator == "NOT" and type(self.element) is Exists:
            inner = f"({inner})"  # as SQLAlchemy prints it: NOT (EXISTS (...))
        if self.operator:
            op = self.operator
            inner = f"{op}{inner}" if op in ("-", "~") else f"{op} {inner}"
        if self.modifier:
            inner = f"{inner} {self.modifier}"
        return inner

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()

    def __invert__(self) -> ColumnElement:
        if self.operator == "NOT":
            return self.element  # type: ignore[return-value]
        return UnaryExpression(self, "NOT", None, Boolean())


class Grouping(ColumnElement):
    """Parentheses around an element."""

    __slots__ = ("element", "type")

    def __init__(self, element: ClauseElement) -> None:
        self.element = element
        self.type = getattr(element, "type", NULLTYPE)

    def _compile(self, compiler: Compiler) -> str:
        el = self.element
        if (
            compiler.display is not None
            and getattr(el, "table", None) is not None
            and isinstance(getattr(el, "name", None), str)
            and not isinstance(el, BinaryExpression)
        ):
            return compiler.process(self.element)  # printed as SQLAlchemy prints NOT t.b
        return f"({compiler.process(self.element)})"

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


class ExpressionList(ColumnElement):
    """A parenthesized, comma-separated list (the right side of IN)."""

    __slots__ = ("items",)

    def __init__(self, items: Sequence[ClauseElement]) -> None:
        self.items = list(items)

    def _compile(self, compiler: Compiler) -> str:
        return "(" + ", ".join(compiler.process(i) for i in self.items) + ")"


class BooleanClauseList(ColumnElement):
    """Conditions joined by ``AND`` or ``OR``: made by `and_`, `or_` and ``&`` / ``|``. With no
    conditions it compiles to a constant (``1 = 1`` for AND, ``1 != 1`` for OR).
    """

    __slots__ = ("clauses", "operator")
    type = Boolean()

    def __init__(self, operator: str, clauses: Sequence[ClauseElement]) -> None:
        self.operator = operator
        self.clauses = list(clauses)

    def _compile(self, compiler: Compiler) -> str:
        if not self.clauses:
            return "1 = 1" if self.operator == "AND" else "1 != 1"
        parts = [compiler.process(c, nested=True) for c in self.clauses]
        sep = f" {self.operator} "
        if len(parts) == 1:
            return parts[0]
        return sep.join(parts)

    def _from_objects(self) -> list[FromClause]:
        out: list[FromClause] = []
        for c in self.clauses:
            out.extend(c._from_objects())
        return out


def _boolean(op: str, clauses: Sequence[Any]) -> ColumnElement:
    items: list[ClauseElement] = []
    for c in clauses:
        if c is None:
            continue
        el = coerce_expression(c)
        if isinstance(el, BooleanClauseList) and el.operator == op:
            items.extend(el.clauses)
        else:
            items.append(el)
    if len(items) == 1 and isinstance(items[0], ColumnElement):
        return items[0]
    return BooleanClauseList(op, items)


def and_(*clauses: Any) -> ColumnElement:
    """All of the conditions."""
    return _boolean("AND", clauses)


def or_(*clauses: Any) -> ColumnElement:
    """Any of the conditions."""
    return _boolean("OR", clauses)


def not_(clause: Any) -> ColumnElement:
    """The negation of a condition."""
    el = coerce_expression(clause)
    if isinstance(el, (BinaryExpression, UnaryExpression)):
        return ~el
    return UnaryExpression(Grouping(el), "NOT", None, Boolean())


def desc(column: Any) -> ColumnElement:
    """``column DESC``; a string names a label or column of the statement."""
    return UnaryExpression(coerce_order_by(column), None, "DESC")


def asc(column: Any) -> ColumnElement:
    """``column ASC``; a string names a label or column of the statement."""
    return UnaryExpression(coerce_order_by(column), None, "ASC")


class LabelReference(ColumnElement):
    """A string in ``order_by()`` / ``group_by()``: the label or column of that name.

    Resolved by the compiler against the statement's columns, then its FROM clauses (as
    SQLAlchemy does); an unknown name raises `uow_orm.exc.CompileError`.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _compile(self, compiler: Compiler) -> str:
        return compiler.label_reference(self.name)


def coerce_criterion(obj: Any) -> ClauseElement:
    """A WHERE / HAVING condition; a plain string is refused, as in SQLAlchemy (it would
    otherwise be bound as a constant, which is true for every row)."""
    if isinstance(obj, str):
        raise exc.ArgumentError(
            f"a plain string {obj!r} is not a condition; write it as text({obj!r}) or build "
            "it from columns"
        )
    return coerce_expression(obj)


def coerce_order_by(obj: Any) -> ClauseElement:
    """An ORDER BY / GROUP BY element: a string is a `LabelReference`."""
    if isinstance(obj, str):
        return LabelReference(obj)
    return coerce_expression(obj)


def literal(value: Any, type_: Any = None, literal_execute: bool = False) -> BindParameter:
    """``value`` as a bound parameter usable as a column (``select(literal(1))``)."""
    if literal_execute:
        raise exc.ArgumentError("literal(literal_execute=True) is not supported")
    return BindParameter(None, value, to_type(type_) if type_ is not None else None)


def to_type(type_: Any) -> TypeEngine:
    """A type instance from a type class (``String``) or instance (``String(20)``)."""
    if isinstance(type_, type) and issubclass(type_, TypeEngine):
        return type_()
    if isinstance(type_, TypeEngine):
        return type_
    raise exc.ArgumentError(f"expected a type such as String or Integer(), got {type_!r}")


def cast(expr: Any, type_: Any) -> Cast:
    """``CAST(expr AS type)``; ``type_`` is a type class or instance."""
    t = to_type(type_)
    return Cast(coerce_expression(expr), t)


class Cast(ColumnElement):
    """``CAST(expr AS type)``: made by `cast` or ``expr.cast(type_)``; results are converted as
    the target type.
    """

    __slots__ = ("element", "type")

    def __init__(self, element: ClauseElement, type_: TypeEngine) -> None:
        self.element = element
        self.type = type_

    def _compile(self, compiler: Compiler) -> str:
        return f"CAST({compiler.process(self.element)} AS {self.type.ddl(compiler.dialect_name)})"

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


class Label(ColumnElement):
    """``element AS name``: made by ``expr.label(name)``; ``name`` is its key in result rows and
    can be referred to by name in ``order_by()`` / ``group_by()``.
    """

    __slots__ = ("element", "name", "type")

    def __init__(self, name: str, element: ClauseElement) -> None:
        self.name = name
        self.element = element
        self.type = getattr(element, "type", NULLTYPE)

    @property
    def key(self) -> str:  # type: ignore[override]
        """The label's name, its key in result rows."""
        return self.name

    def operate(self, op: Any, *args: Any, **kw: Any) -> ColumnElement:
        """An operator on a label applies to its expression (``count(x).label("n") - 1``
        is ``count(x) - 1``, unlabelled), as in SQLAlchemy."""
        inner = self.element
        if isinstance(inner, ColumnElement):
            return inner.operate(op, *args, **kw)
        return super().operate(op, *args, **kw)

    def _compile(self, compiler: Compiler) -> str:
        if compiler.in_columns_clause:
            return f"{compiler.process(self.element, nested=True)} AS {compiler.quote(self.name)}"
        labels = getattr(compiler, "order_by_labels", None)
        if labels is None or id(self) in labels:
            return compiler.quote(self.name)
        # a label that is not a selected column (or is used in WHERE / GROUP BY): its SQL
        return compiler.process(self.element, nested=True)

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


def _func_types() -> dict[str, Any]:
    from ..types import Date, DateTime, Float, String, Time

    return {
        "count": Integer,
        "length": Integer,
        "char_length": Integer,
        "row_number": Integer,
        "rank": Integer,
        "dense_rank": Integer,
        "ntile": Integer,
        "percent_rank": Float,
        "cume_dist": Float,
        "now": DateTime,
        "current_timestamp": DateTime,
        "localtimestamp": DateTime,
        "current_date": Date,
        "current_time": Time,
        "localtime": Time,
        "concat": String,
        "current_user": String,
        "session_user": String,
        "user": String,
    }


_FUNC_TYPES: dict[str, Any] = _func_types()
_SAME_TYPE_FUNCS = frozenset(
    {
        "max",
        "min",
        "sum",
        "coalesce",
        "abs",
        "lower",
        "upper",
        "trim",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        "round",
    }
)
_TEXT_FUNCS = frozenset({"lower", "upper", "trim"})


def _text_result_type(type_: Any) -> Any:
    """The type of ``lower(x)`` / ``upper(x)`` / ``trim(x)``: plain text of ``x``'s kind.

    A decorated type, an Enum or a user's own String subclass is not carried over: its
    comparator (``lower(self.expr) == lower(other)`` in a comparator_factory would call
    itself) and its result conversion (the Enum's names) do not hold for the changed text;
    SQLAlchemy leaves these functions untyped.
    """
    if isinstance(type_, TypeDecorator):
        type_ = type_.impl
    if isinstance(type_, String) and (
        isinstance(type_, Enum) or not type(type_).__module__.startswith("uow_orm.")
    ):
        return String()
    return type_


_SQLITE_NO_CONCAT = __import__("sqlite3").sqlite_version_info < (3, 44)
#: ANSI functions written without parentheses
_NO_PARENS = frozenset(
    {
        "current_timestamp",
        "current_date",
        "current_time",
        "localtime",
        "localtimestamp",
        "current_user",
        "session_user",
        "user",
    }
)


class ClauseList(ColumnElement):
    """Clauses separated by commas (a function's arguments, ``fn.clauses``)."""

    __slots__ = ("clauses",)
    type = NULLTYPE

    def __init__(self, *clauses: Any) -> None:
        self.clauses = [coerce_expression(c) for c in clauses]

    def _compile(self, compiler: Compiler) -> str:
        return ", ".join(compiler.process(c) for c in self.clauses)

    def _from_objects(self) -> list[Any]:
        return [f for c in self.clauses for f in c._from_objects()]

    def __iter__(self) -> Any:
        return iter(self.clauses)

    def __len__(self) -> int:
        return len(self.clauses)


class Function(ColumnElement):
    """A SQL function call built by ``func.<name>(*args)``: ``func.count()``, ``func.lower(col)``.

    Its type comes from ``type_=``, else from the function (``count`` is Integer, ``now``
    DateTime, ...) or its first argument (``max``, ``sum``, ``lower``, ...); otherwise it is
    untyped.
    """

    __slots__ = ("_orm_mappers", "args", "name", "type")
    _anonymous_label = False

    def __init__(self, name: str, args: Sequence[Any], type_: TypeEngine | None = None) -> None:
        self.name = name
        #: mappers of ORM attributes among the arguments (``func.count(Manager.id)``: a
        #: SELECT of it reads only Manager rows)
        self._orm_mappers = [m for a in args if (m := getattr(a, "mapper", None)) is not None]
        self.args = [coerce_expression(a) for a in args]
        if type_ is None:
            factory = _FUNC_TYPES.get(name.lower())
            if factory is not None:
                type_ = factory()
            elif name.lower() in _SAME_TYPE_FUNCS and self.args:
                type_ = getattr(self.args[0], "type", NULLTYPE)
                if name.lower() in _TEXT_FUNCS:
                    type_ = _text_result_type(type_)
            elif self.args and name.lower() == "array_agg":
                # an ARRAY of its argument's type, as in SQLAlchemy
                item = getattr(self.args[0], "type", NULLTYPE)
                if item is not NULLTYPE and type(item).__name__ != "NullType":
                    from ..types import ARRAY

                    type_ = ARRAY(item)
        self.type = type_ if type_ is not None else NULLTYPE

    def __init_subclass__(cls, **kw: Any) -> None:
        # ``class utcnow(FunctionElement): type = DateTime()`` (SQLAlchemy's base of custom
        # functions, whose SQL a @compiles function gives): built as ``utcnow(*clauses)``
        super().__init_subclass__(**kw)
        if "__init__" not in cls.__dict__ and cls.__init__ is Function.__init__:
            # unnamed, it is labelled anon_<n> in a SELECT, as in SQLAlchemy
            cls._anonymous_label = "name" not in cls.__dict__
            cls.__init__ = _function_element_init  # type: ignore[method-assign, assignment]

    @property
    def clauses(self) -> ClauseList:
        """The arguments as one comma-separated list (``compiler.process(fn.clauses)``)."""
        return ClauseList(*self.args)

    def _compile(self, compiler: Compiler) -> str:
        if compiler.display is None:
            return self._compile_call(compiler)
        # printing: anonymous arguments are named after the function (lower_1)
        outer, compiler.bind_base = compiler.bind_base, self.name
        try:
            return self._compile_call(compiler)
        finally:
            compiler.bind_base = outer

    def _compile_call(self, compiler: Compiler) -> str:
        lname = self.name.lower()
        if not self.args:
            if lname == "count":
                return "count(*)"
            if lname in _NO_PARENS:
                return lname.upper()
            if lname == "now" and compiler.dialect_name == "sqlite" and not compiler.string_dialect:
                return "CURRENT_TIMESTAMP"
        elif (
            lname == "count"
            and compiler.display is None  # printed as SQLAlchemy prints it: count(:count_1)
            and len(self.args) == 1
            and isinstance(self.args[0], BindParameter)
            and self.args[0].value == "*"
        ):
            return "count(*)"  # func.count("*")
        elif (
            lname == "char_length"
            and compiler.dialect_name == "sqlite"
            and not compiler.string_dialect
        ):
            # SQLite has no char_length(); its length() counts characters of text
            return "length(" + ", ".join(compiler.process(a) for a in self.args) + ")"
        elif lname == "concat" and compiler.dialect_name == "sqlite" and _SQLITE_NO_CONCAT:
            # concat() arrived in SQLite 3.44; like it, NULL arguments count as ''
            return (
                "(" + " || ".join(f"coalesce({compiler.process(a)}, '')" for a in self.args) + ")"
            )
        name = (
            self.name
            if re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", self.name)
            else (compiler.quote(self.name))
        )
        if lname == "concat" and compiler.dialect_name == "postgresql":
            # concat() takes "any": a text parameter needs its type spelled out
            return (
                f"{name}("
                + ", ".join(
                    f"CAST({compiler.process(a)} AS VARCHAR)"
                    if isinstance(a, BindParameter) and isinstance(a.value, str)
                    else compiler.process(a)
                    for a in self.args
                )
                + ")"
            )
        if compiler.dialect_name == "postgresql":
            return f"{name}(" + ", ".join(_pg_function_arg(compiler, a) for a in self.args) + ")"
        return f"{name}(" + ", ".join(compiler.process(a) for a in self.args) + ")"

    def _from_objects(self) -> list[FromClause]:
        out: list[FromClause] = []
        for a in self.args:
            out.extend(a._from_objects())
        return out

    @property
    def key(self) -> str:  # type: ignore[override]
        """The function's name, its key in result rows when it is not labeled."""
        return self.name

    def over(
        self,
        partition_by: Any = None,
        order_by: Any = None,
        rows: tuple[int | None, int | None] | None = None,
        range_: tuple[int | None, int | None] | None = None,
    ) -> Over:
        """This function as a window function: ``f() OVER (PARTITION BY .. ORDER BY ..)``."""
        return Over(self, partition_by, order_by, rows, range_)

    def filter(self, *criterion: Any) -> FunctionFilter:
        """``agg(...) FILTER (WHERE criterion)``."""
        return FunctionFilter(self, and_(*criterion))

    def within_group(self, *order_by: Any) -> WithinGroup:
        """``f(...) WITHIN GROUP (ORDER BY ...)`` (ordered-set aggregates; PostgreSQL)."""
        return WithinGroup(self, order_by)

    def table_valued(
        self,
        *names: Any,
        name: str | None = None,
        with_ordinality: str | None = None,
        joins_implicitly: bool = False,
    ) -> Any:
        """This function as a FROM item with named columns (``json_each(...) AS anon_1``;
        ``tv.c.value``). ``names`` are strings or ``column(name, type)``; keywords
        ``name=``, ``with_ordinality=`` (PostgreSQL) and ``joins_implicitly=``. Returns a
        `uow_orm.sql.selectable.TableValuedAlias`."""
        from .selectable import table_valued

        return table_valued(
            self,
            *names,
            name=name,
            with_ordinality=with_ordinality,
            joins_implicitly=joins_implicitly,
        )

    def column_valued(self, name: str | None = None, joins_implicitly: bool = False) -> Any:
        """This function in FROM, selected as one column (``SELECT anon_1 FROM
        generate_series(1, 3) AS anon_1``; on SQLite its ``value`` column). Returns a
        `uow_orm.sql.selectable.TableValuedColumn`."""
        from .selectable import column_valued

        return column_valued(self, name, joins_implicitly)

    def alias(self, name: str | None = None) -> Any:
        """This function in FROM under ``name``, with no named columns (``.column`` is
        its row as a column)."""
        from .selectable import TableValuedAlias

        return TableValuedAlias(self, [], name=name)


def _pg_function_arg(compiler: Compiler, arg: Any) -> str:
    """A PostgreSQL function argument. A plain Python int or str bound as a value is
    given its type, as SQLAlchemy's ``::INTEGER`` / ``::VARCHAR``: psycopg sends small
    ints as int2 and strings untyped, and PostgreSQL cannot pick among overloads such as
    ``generate_series`` or type ``json_build_array('a')``'s argument otherwise."""
    sql = compiler.process(arg)
    if isinstance(arg, BindParameter) and sql == compiler.placeholder:
        value = arg.value
        if type(value) is int:
            return f"CAST({sql} AS INTEGER)"
        if type(value) is str:
            return f"CAST({sql} AS VARCHAR)"
    return sql


#: `GenericFunction` subclasses by lower-case identifier: ``func.<identifier>`` builds them
_generic_functions: dict[str, type[GenericFunction]] = {}


def _function_element_init(self: Function, *clauses: Any, type_: Any = None) -> None:
    """The constructor of a `Function` subclass defined by an application: its arguments
    are SQL clauses; its name is its ``name`` attribute or the class name; its type
    ``type_=`` or the class's ``type``."""
    cls = type(self)
    declared = cls.__dict__.get("type") or next(
        (k.__dict__["type"] for k in cls.__mro__ if isinstance(k.__dict__.get("type"), TypeEngine)),
        None,
    )
    chosen = to_type(type_) if type_ is not None else declared
    if isinstance(chosen, type):
        chosen = chosen()
    name = cls.__dict__.get("name") or cls.__name__
    Function.__init__(self, name, clauses, chosen)


class GenericFunction(Function):
    """A SQL function of a known name and return type, defined by subclassing; the
    subclass registers itself, so ``func.<its name>(...)`` builds it::

        class as_utc(GenericFunction):
            type = DateTime()
            inherit_cache = True

        select(func.as_utc(Event.at))

    ``name`` gives the SQL name when it differs from the class name; ``identifier`` the
    name under ``func`` (default: ``name``); ``type`` the return type (``type_=`` at the
    call overrides it).
    """

    name: str = ""
    identifier: str = ""
    inherit_cache = True

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        own = cls.__dict__
        sql_name = own.get("name") or cls.__name__
        cls.name = sql_name
        identifier = own.get("identifier") or sql_name
        cls.identifier = identifier
        _generic_functions[identifier.lower()] = cls

    def __init__(self, *args: Any, type_: Any = None) -> None:
        declared = type(self).__dict__.get("type") or getattr(type(self), "_declared_type", None)
        if type_ is not None:
            chosen: TypeEngine | None = to_type(type_)
        elif isinstance(declared, TypeEngine):
            chosen = declared
        elif isinstance(declared, type):
            chosen = declared()
        else:
            chosen = None
        Function.__init__(self, type(self).name, args, chosen)


class ReturnTypeFromArgs(GenericFunction):
    """A `GenericFunction` whose return type is its first argument's (like ``max``)."""

    def __init__(self, *args: Any, type_: Any = None) -> None:
        super().__init__(*args, type_=type_)
        if type_ is None and self.args:
            self.type = getattr(self.args[0], "type", NULLTYPE)


_generic_functions.pop("returntypefromargs", None)  # a base, not a function


class _FunctionGenerator:
    """``func.<name>(...)`` builds a SQL function call; ``func.count()`` is ``count(*)``;
    ``func.<identifier>`` of a `GenericFunction` subclass builds that class."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        generic = _generic_functions.get(name.lower())
        if generic is not None:
            return generic

        def make(*args: Any, type_: Any = None) -> Function:
            return Function(name, args, to_type(type_) if type_ is not None else None)

        return make


func = _FunctionGenerator()


# A ``:name`` parameter, or a quoted literal / identifier / dollar-quoted body to skip.
# The name is the longest run of word characters; ``:name::type`` is a parameter followed
# by a PostgreSQL cast; ``\:`` and ``::`` are never parameters.
_TEXT_TOKEN_RE = re.compile(
    r"'(?:[^']|'')*'"
    r'|"(?:[^"]|"")*"'
    r"|\$(?P<tag>[A-Za-z_]\w*|)\$.*?\$(?P=tag)\$"
    r"|(?<![:\w\\]):(?P<name>\w+)(?=::|[^\w:]|\Z)",
    re.DOTALL,
)


class TextClause(Executable, ClauseElement):
    """Literal SQL with ``:name`` parameters, e.g. ``text("SELECT * FROM t WHERE id = :id")``."""

    __slots__ = ("_bind_values", "_execution_options", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._bind_values: dict[str, Any] = {}
        self._execution_options: dict[str, Any] = {}

    def _copy(self) -> TextClause:
        t = TextClause(self.text)
        t._bind_values = dict(self._bind_values)
        t._execution_options = dict(self._execution_options)
        return t

    def bindparams(self, **values: Any) -> TextClause:
        """A copy with values for some of the ``:name`` parameters.

        Raises:
            ArgumentError: for a name the text has no ``:name`` parameter for.
        """
        names = {m.group("name") for m in _TEXT_TOKEN_RE.finditer(self.text)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise exc.ArgumentError(
                f"this text() has no bound parameter named {unknown[0]!r}; its parameters "
                f"are {sorted(n for n in names if n)}"
            )
        t = self._copy()
        t._bind_values.update(values)
        return t

    def execution_options(self, **kw: Any) -> TextClause:
        """A copy with execution options (see ``Select.execution_options``)."""
        t = self._copy()
        t._execution_options.update(check_execution_options("text", kw))
        return t

    def get_execution_options(self) -> dict[str, Any]:
        """The execution options set on this statement."""
        return dict(self._execution_options)

    def _compile(self, compiler: Compiler) -> str:
        pct = compiler.paramstyle == "format"
        out: list[str] = []
        pos = 0
        for m in _TEXT_TOKEN_RE.finditer(self.text):
            name = m.group("name")
            if name is None:
                continue  # a quoted literal: copied as it is with the next chunk
            chunk = self.text[pos : m.start()]
            out.append(chunk.replace("%", "%%") if pct else chunk)
            value = self._bind_values.get(name, _REQUIRED)
            out.append(compiler.bind(BindParameter(name, value, NULLTYPE)))
            pos = m.end()
        tail = self.text[pos:]
        out.append(tail.replace("%", "%%") if pct else tail)
        return "".join(out).replace("\\:", ":")

    def columns(self, *cols: Any, **types: Any) -> Any:
        """This text as a SELECT with known columns (``TextualSelect``): usable in
        ``from_statement()``, as a subquery and with typed results."""
        from .selectable import TextualSelect

        return TextualSelect(self, list(cols), types)


def text(sql: str) -> TextClause:
    """SQL text with named ``:param`` placeholders, bound (never interpolated)."""
    return TextClause(sql)


class Exists(ColumnElement):
    """``EXISTS (subquery)``: made by `exists` or ``Select.exists()``; ``~exists(...)`` is
    ``NOT EXISTS``.
    """

    __slots__ = ("select",)
    type = Boolean()

    def __init__(self, select: Any) -> None:
        self.select = select

    def _compile(self, compiler: Compiler) -> str:
        return f"EXISTS ({compiler.process(self.select, subquery=True)})"

    def __invert__(self) -> ColumnElement:
        return UnaryExpression(self, "NOT", None, Boolean())

    def where(self, *criteria: Any) -> Exists:
        """A copy whose subquery has these conditions added to its WHERE clause."""
        return Exists(self.select.where(*criteria))

    def select_from(self, *froms: Any) -> Exists:
        """A copy whose subquery reads from these FROM items too (``Select.select_from``)."""
        return Exists(self.select.select_from(*froms))

    def correlate(self, *froms: Any) -> Exists:
        """A copy whose subquery correlates exactly these FROM items of the enclosing
        SELECT (``Select.correlate``; ``correlate(None)``: none)."""
        return Exists(self.select.correlate(*froms))

    def correlate_except(self, *froms: Any) -> Exists:
        """A copy whose subquery correlates every enclosing FROM item but these."""
        return Exists(self.select.correlate_except(*froms))


class ScalarSelect(ColumnElement):
    """A one-column SELECT used as a value: ``(SELECT ...)``; made by
    ``Select.scalar_subquery()``. Its type is its column's.
    """

    __slots__ = ("select", "type")

    def __init__(self, select: Any) -> None:
        self.select = select
        cols = select._column_elements()
        self.type = getattr(cols[0], "type", NULLTYPE) if cols else NULLTYPE

    def _compile(self, compiler: Compiler) -> str:
        return f"({compiler.process(self.select, subquery=True)})"

    def correlate(self, *froms: Any) -> ScalarSelect:
        """The same scalar subquery, correlated to ``froms`` of the enclosing SELECT."""
        return ScalarSelect(self.select.correlate(*froms))

    def correlate_except(self, *froms: Any) -> ScalarSelect:
        """The same scalar subquery, correlated to every enclosing FROM but ``froms``."""
        return ScalarSelect(self.select.correlate_except(*froms))

    def where(self, *criteria: Any) -> ScalarSelect:
        """The same scalar subquery with more WHERE criteria."""
        return ScalarSelect(self.select.where(*criteria))


__all__ = [
    "PLAIN_VALUES",
    "BinaryExpression",
    "BindParameter",
    "ClauseElement",
    "ColumnElement",
    "ColumnOperators",
    "Exists",
    "Function",
    "Label",
    "PlainComparisons",
    "TextClause",
    "and_",
    "asc",
    "bindparam",
    "cast",
    "coerce",
    "coerce_expression",
    "compare_plain",
    "desc",
    "false",
    "func",
    "literal",
    "not_",
    "null",
    "or_",
    "pg_array_param",
    "pg_array_type",
    "plain_comparisons",
    "quoted_name",
    "text",
    "true",
]


class LiteralColumn(ColumnElement):
    """A fixed SQL fragment used as a column (e.g. ``1`` in ``SELECT 1``); never user data."""

    __slots__ = ("text", "type")

    def __init__(self, text: str, type_: Any = None) -> None:
        self.text = text
        self.type = to_type(type_) if type_ is not None else NULLTYPE

    @property
    def key(self) -> str:  # type: ignore[override]
        return self.text

    @property
    def name(self) -> str:
        return self.text

    def _compile(self, compiler: Compiler) -> str:
        if compiler.paramstyle == "format":
            return self.text.replace("%", "%%")
        return self.text


def literal_column(text: str, type_: Any = None) -> LiteralColumn:
    """The SQL fragment ``text`` as a column expression (written as is: never user data)."""
    return LiteralColumn(text, type_)


# -- more constructs --------------------------------------------------------------------------
class Case(ColumnElement):
    """``CASE WHEN cond THEN value ... ELSE else_ END`` (or ``CASE value WHEN ...``)."""

    __slots__ = ("else_", "type", "value", "whens")

    def __init__(self, whens: list[tuple[Any, Any]], value: Any, else_: Any) -> None:
        self.value = coerce_expression(value) if value is not None else None
        conds: list[tuple[ClauseElement, ClauseElement]] = []
        result_type: TypeEngine = NULLTYPE
        for cond, result in whens:
            c = (
                coerce_expression(cond, getattr(self.value, "type", None))
                if self.value is not None
                else coerce_expression(cond)
            )
            r = coerce_expression(result)
            if result_type is NULLTYPE and not isinstance(r, Null):
                result_type = getattr(r, "type", NULLTYPE)
            conds.append((c, r))
        if not conds:
            raise exc.ArgumentError("case() needs at least one (condition, value) pair")
        self.whens = conds
        self.else_ = coerce_expression(else_) if else_ is not None else None
        if result_type is NULLTYPE and self.else_ is not None:
            result_type = getattr(self.else_, "type", NULLTYPE)
        self.type = result_type

    def _compile(self, compiler: Compiler) -> str:
        parts = ["CASE"]
        if self.value is not None:
            parts.append(compiler.process(self.value, nested=True))
        for cond, result in self.whens:
            when = compiler.process(cond)
            if compiler.display is not None and self.value is None:
                when = f"({when})"  # as SQLAlchemy prints it
            parts.append(f"WHEN {when} THEN {compiler.process(result, nested=True)}")
        if self.else_ is not None:
            parts.append(f"ELSE {compiler.process(self.else_, nested=True)}")
        parts.append("END")
        return " ".join(parts)

    def _from_objects(self) -> list[FromClause]:
        out: list[FromClause] = []
        if self.value is not None:
            out.extend(self.value._from_objects())
        for cond, result in self.whens:
            out.extend(cond._from_objects())
            out.extend(result._from_objects())
        return out


def case(*whens: Any, value: Any = None, else_: Any = None) -> Case:
    """``CASE``: ``case((User.age < 18, "minor"), else_="adult")``; with ``value=``, a dict
    ``{compared: result}`` or pairs compare that expression."""
    pairs: list[tuple[Any, Any]] = []
    for w in whens:
        if isinstance(w, dict):
            if value is None:
                raise exc.ArgumentError("case() with a dict needs value=")
            pairs.extend(w.items())
        elif isinstance(w, (tuple, list)) and len(w) == 2:
            pairs.append((w[0], w[1]))
        else:
            raise exc.ArgumentError(f"case() takes (condition, value) pairs, got {w!r}")
    return Case(pairs, value, else_)


class Collate(ColumnElement):
    __slots__ = ("collation", "element", "type")

    def __init__(self, element: ClauseElement, collation: str) -> None:
        self.element = element
        self.collation = collation
        self.type = getattr(element, "type", NULLTYPE)

    def _compile(self, compiler: Compiler) -> str:
        name = self.collation
        if not re.match(r"^[a-z_][a-z0-9_]*$", name):
            name = '"' + name.replace('"', '""') + '"'  # "C", "en_US" keep their case
        return f"{compiler.process(self.element, nested=True)} COLLATE {name}"

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


def collate(expression: Any, collation: str) -> Collate:
    """``expression COLLATE collation``."""
    return Collate(coerce_expression(expression), collation)


_REGEX_FLAGS = re.compile(r"^[a-z]*$")


class RegexpMatch(ColumnElement):
    __slots__ = ("element", "flags", "pattern")
    type = Boolean()

    def __init__(self, element: ClauseElement, pattern: ClauseElement, flags: str | None) -> None:
        if flags is not None and not _REGEX_FLAGS.match(flags):
            raise exc.ArgumentError(f"regexp flags must be letters, got {flags!r}")
        self.element = element
        self.pattern = pattern
        self.flags = flags

    def _compile(self, compiler: Compiler) -> str:
        left = compiler.process(self.element, nested=True)
        if compiler.dialect_name == "postgresql":
            flags = self.flags or ""
            if flags in ("", "i"):
                op = "~*" if flags == "i" else "~"
                return f"{left} {op} {compiler.process(self.pattern, nested=True)}"
            # other flags go inline: (?flags)pattern
            return f"{left} ~ CONCAT('(?{flags})', {compiler.process(self.pattern)})"
        if compiler.dialect_name == "sqlite":
            pattern = compiler.process(self.pattern, nested=True)
            if self.flags:
                return f"{left} REGEXP ('(?{self.flags})' || {pattern})"
            return f"{left} REGEXP {pattern}"
        raise exc.NotSupportedError(f"regexp_match() on {compiler.dialect_name}")

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()

    def __invert__(self) -> ColumnElement:
        return UnaryExpression(Grouping(self), "NOT", None, Boolean())


class RegexpReplace(ColumnElement):
    __slots__ = ("element", "flags", "pattern", "replacement", "type")

    def __init__(
        self,
        element: ClauseElement,
        pattern: ClauseElement,
        replacement: ClauseElement,
        flags: str | None,
    ) -> None:
        if flags is not None and not _REGEX_FLAGS.match(flags):
            raise exc.ArgumentError(f"regexp flags must be letters, got {flags!r}")
        self.element = element
        self.pattern = pattern
        self.replacement = replacement
        self.flags = flags
        self.type = getattr(element, "type", NULLTYPE)

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name not in ("postgresql", "sqlite"):
            raise exc.NotSupportedError(f"regexp_replace() on {compiler.dialect_name}")
        args = [
            compiler.process(self.element),
            compiler.process(self.pattern),
            compiler.process(self.replacement),
        ]
        if self.flags:
            args.append("'" + self.flags + "'")
        return "REGEXP_REPLACE(" + ", ".join(args) + ")"

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


class AnyAll(ColumnElement):
    """``ANY (expr)`` / ``ALL (expr)`` on the right of a comparison (PostgreSQL)."""

    __slots__ = ("element", "kind", "type")

    def __init__(self, kind: str, element: ClauseElement) -> None:
        self.kind = kind
        self.element = element
        t = getattr(element, "type", NULLTYPE)
        self.type = getattr(t, "item_type", None) or t

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
            raise exc.NotSupportedError(
                f"{self.kind.lower()}_() needs PostgreSQL; {compiler.dialect_name} has no "
                f"{self.kind} (expr); use in_() or exists() instead"
            )
        inner = self.element
        if isinstance(inner, Grouping):
            inner = inner.element
        if isinstance(inner, ScalarSelect):  # ANY (SELECT ...): one pair of parentheses
            return f"{self.kind} ({compiler.process(inner.select, subquery=True)})"
        return f"{self.kind} ({compiler.process(inner)})"

    def operate(self, op: str, other: Any) -> ColumnElement:
        # any_(arr) == 5 is 5 = ANY (arr); all_(arr) > 5 is 5 < ALL (arr): the value goes
        # on the left, so an ordering operator is mirrored.
        mirrored = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        return BinaryExpression(coerce_expression(other, self.type), mirrored, self, Boolean())

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


def any_(expr: Any) -> AnyAll:
    """``ANY (expr)``: ``5 == any_(Model.array_col)`` or with a scalar subquery."""
    return AnyAll("ANY", coerce_expression(expr))


def all_(expr: Any) -> AnyAll:
    """``ALL (expr)``."""
    return AnyAll("ALL", coerce_expression(expr))


class Tuple(ColumnElement):
    """``(a, b)``: a row value, e.g. ``tuple_(A.x, A.y).in_([(1, 2), (3, 4)])``."""

    __slots__ = ("clauses",)

    def __init__(self, clauses: Sequence[ClauseElement]) -> None:
        self.clauses = list(clauses)

    def _compile(self, compiler: Compiler) -> str:
        return "(" + ", ".join(compiler.process(c) for c in self.clauses) + ")"

    def _from_objects(self) -> list[FromClause]:
        out: list[FromClause] = []
        for c in self.clauses:
            out.extend(c._from_objects())
        return out

    def _values(self, value: Any) -> ClauseElement:
        if isinstance(value, ClauseElement):
            return value
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise exc.ArgumentError(f"tuple_() compares with tuples of values, got {value!r}")
        items = list(value)
        if len(items) != len(self.clauses):
            raise exc.ArgumentError(
                f"tuple_() of {len(self.clauses)} columns compared with {len(items)} values"
            )
        return ExpressionList(
            [
                coerce_expression(v, getattr(c, "type", None), _describe(c))
                for c, v in zip(self.clauses, items)
            ]
        )

    def operate(self, op: str, other: Any) -> ColumnElement:
        if op in ("IN", "NOT IN"):
            other = coerce(other)
            if hasattr(other, "_scalar_subquery") or isinstance(other, ClauseElement):
                return _in_expression(self, op, other)
            rows = [self._values(v) for v in other]
            if not rows:
                return _in_expression(self, op, [])
            return BinaryExpression(self, op, ExpressionList(rows), Boolean())
        return BinaryExpression(self, op, self._values(other), Boolean())


def tuple_(*clauses: Any) -> Tuple:
    """A row value ``(a, b, ...)``."""
    return Tuple([coerce_expression(c) for c in clauses])


class TypeCoerce(ColumnElement):
    """An expression read as another type, with no CAST in the SQL."""

    __slots__ = ("element", "type")

    def __init__(self, element: ClauseElement, type_: TypeEngine) -> None:
        self.element = element
        self.type = type_

    @property
    def key(self) -> str | None:  # type: ignore[override]
        """The key of the wrapped expression (its name in result rows)."""
        return getattr(self.element, "key", None)

    def _compile(self, compiler: Compiler) -> str:
        return compiler.process(self.element)

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


def type_coerce(expression: Any, type_: Any) -> TypeCoerce:
    """``expression`` treated as ``type_`` in Python (binds and results), SQL unchanged."""
    t = to_type(type_)
    el = coerce(expression)
    if isinstance(el, BindParameter):
        return TypeCoerce(BindParameter(el.key, el.value, t), t)
    if not isinstance(el, ClauseElement):
        el = BindParameter(None, el, t)
    return TypeCoerce(el, t)


def distinct(expr: Any) -> UnaryExpression:
    """``DISTINCT expr``, e.g. ``func.count(distinct(User.name))``."""
    return UnaryExpression(coerce_expression(expr), "DISTINCT", None)


def between(expr: Any, lower_bound: Any, upper_bound: Any, symmetric: bool = False) -> Between:
    """``expr BETWEEN lower_bound AND upper_bound``."""
    if symmetric:
        raise exc.ArgumentError("between(symmetric=True) is not supported")
    el = coerce_expression(expr)
    t = getattr(el, "type", NULLTYPE)
    return Between(el, coerce_expression(lower_bound, t), coerce_expression(upper_bound, t))


def nulls_first(expr: Any) -> UnaryExpression:
    """``expr NULLS FIRST`` (in ORDER BY)."""
    return UnaryExpression(coerce_expression(expr), None, "NULLS FIRST")


def nulls_last(expr: Any) -> UnaryExpression:
    """``expr NULLS LAST`` (in ORDER BY)."""
    return UnaryExpression(coerce_expression(expr), None, "NULLS LAST")


def _frame(kind: str, bounds: tuple[int | None, int | None]) -> str:
    def bound(v: int | None, end: bool) -> str:
        if v is None:
            return "UNBOUNDED FOLLOWING" if end else "UNBOUNDED PRECEDING"
        if not isinstance(v, int) or isinstance(v, bool):
            raise exc.ArgumentError(f"window frame bounds are ints or None, got {v!r}")
        if v == 0:
            return "CURRENT ROW"
        return f"{abs(v)} PRECEDING" if v < 0 else f"{v} FOLLOWING"

    if not isinstance(bounds, tuple) or len(bounds) != 2:
        raise exc.ArgumentError(f"{kind.lower()}= takes a (start, end) pair, got {bounds!r}")
    return f"{kind} BETWEEN {bound(bounds[0], False)} AND {bound(bounds[1], True)}"


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    return [v]


class Over(ColumnElement):
    """A window function: ``func.row_number().over(partition_by=..., order_by=...)``."""

    __slots__ = ("element", "frame", "order_by", "partition_by", "type")

    def __init__(
        self,
        element: ClauseElement,
        partition_by: Any,
        order_by: Any,
        rows: tuple[int | None, int | None] | None,
        range_: tuple[int | None, int | None] | None,
    ) -> None:
        if rows is not None and range_ is not None:
            raise exc.ArgumentError("over(): give rows= or range_=, not both")
        self.element = element
        self.partition_by = [coerce_expression(c) for c in _as_list(partition_by)]
        self.order_by = [coerce_expression(c) for c in _as_list(order_by)]
        self.frame = (
            _frame("ROWS", rows)
            if rows is not None
            else (_frame("RANGE", range_) if range_ is not None else None)
        )
        self.type = getattr(element, "type", NULLTYPE)

    @property
    def key(self) -> str | None:  # type: ignore[override]
        """The key of the windowed function (its name in result rows)."""
        return getattr(self.element, "key", None)

    def _compile(self, compiler: Compiler) -> str:
        parts = []
        if self.partition_by:
            parts.append(
                "PARTITION BY " + ", ".join(compiler.process(c) for c in self.partition_by)
            )
        if self.order_by:
            parts.append("ORDER BY " + ", ".join(compiler.process(c) for c in self.order_by))
        if self.frame:
            parts.append(self.frame)
        return f"{compiler.process(self.element)} OVER ({' '.join(parts)})"

    def _from_objects(self) -> list[FromClause]:
        out = self.element._from_objects()
        for c in (*self.partition_by, *self.order_by):
            out.extend(c._from_objects())
        return out


class FunctionFilter(ColumnElement):
    """``agg(...) FILTER (WHERE ...)``."""

    __slots__ = ("criterion", "element", "type")

    def __init__(self, element: ClauseElement, criterion: ClauseElement) -> None:
        self.element = element
        self.criterion = criterion
        self.type = getattr(element, "type", NULLTYPE)

    @property
    def key(self) -> str | None:  # type: ignore[override]
        """The key of the filtered aggregate (its name in result rows)."""
        return getattr(self.element, "key", None)

    def over(
        self,
        partition_by: Any = None,
        order_by: Any = None,
        rows: tuple[int | None, int | None] | None = None,
        range_: tuple[int | None, int | None] | None = None,
    ) -> Over:
        """This filtered aggregate as a window function: ``... FILTER (WHERE ...) OVER (...)``.

        Raises:
            ArgumentError: when both ``rows`` and ``range_`` are given.
        """
        return Over(self, partition_by, order_by, rows, range_)

    def _compile(self, compiler: Compiler) -> str:
        return f"{compiler.process(self.element)} FILTER (WHERE {compiler.process(self.criterion)})"

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects() + self.criterion._from_objects()


class WithinGroup(ColumnElement):
    """``percentile_cont(0.5).within_group(col)``: an ordered-set aggregate."""

    __slots__ = ("element", "order_by", "type")

    def __init__(self, element: ClauseElement, order_by: Sequence[Any]) -> None:
        self.element = element
        self.order_by = [coerce_expression(c) for c in order_by]
        t = getattr(element, "type", NULLTYPE)
        if (
            t is NULLTYPE
            and self.order_by
            and getattr(element, "name", "")
            in (
                "percentile_disc",
                "mode",
            )
        ):
            t = getattr(self.order_by[0], "type", NULLTYPE)
        self.type = t

    @property
    def key(self) -> str | None:  # type: ignore[override]
        """The key of the ordered-set aggregate (its name in result rows)."""
        return getattr(self.element, "key", None)

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
            raise exc.NotSupportedError(
                f"within_group() (ordered-set aggregates) needs PostgreSQL, not "
                f"{compiler.dialect_name}"
            )
        order = ", ".join(compiler.process(c) for c in self.order_by)
        return f"{compiler.process(self.element)} WITHIN GROUP (ORDER BY {order})"

    def _from_objects(self) -> list[FromClause]:
        out = self.element._from_objects()
        for c in self.order_by:
            out.extend(c._from_objects())
        return out


class AggregateOrderBy(ColumnElement):
    """PostgreSQL's ``agg(expr ORDER BY ...)`` argument:
    ``func.array_agg(aggregate_order_by(t.c.a, t.c.b.desc()))``."""

    __slots__ = ("order_by", "target", "type")

    def __init__(self, target: Any, *order_by: Any) -> None:
        if not order_by:
            raise exc.ArgumentError("aggregate_order_by() needs at least one ORDER BY expression")
        self.target = coerce_expression(target)
        self.order_by = [coerce_expression(o) for o in order_by]
        self.type = getattr(self.target, "type", NULLTYPE)

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
            raise exc.NotSupportedError(
                f"aggregate_order_by() needs PostgreSQL, not {compiler.dialect_name}"
            )
        order = ", ".join(compiler.process(o) for o in self.order_by)
        return f"{compiler.process(self.target)} ORDER BY {order}"

    def _from_objects(self) -> list[FromClause]:
        out = self.target._from_objects()
        for o in self.order_by:
            out.extend(o._from_objects())
        return out
