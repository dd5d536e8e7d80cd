"""SQL expression elements: columns, bound values, operators, functions, text.

Built by users (``User.name == "x"``, ``func.count()``) and by the ORM; turned into SQL
only by `uow_orm.sql.compiler`. Every literal becomes a `BindParameter`, so a
value never reaches SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..types import (
    _OPERATOR_METHODS,
    COMPARATOR_NAMES,
    NULLTYPE,
    Boolean,
    Integer,
    TypeDecorator,
    TypeEngine,
    literal_type,
)

if TYPE_CHECKING:
    from .compiler import Compiler
    from .selectable import FromClause


def coerce(obj: Any) -> Any:
    """Resolve ORM attributes and classes to their SQL elements."""
    ce = getattr(obj, "__clause_element__", None)
    if ce is not None:
        return ce()
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


class ClauseElement:
    """Anything that compiles to a fragment of SQL."""

    __slots__ = ()
    #: Set on elements that can stand where a FROM clause goes.
    is_from = False

    def _compile(self, compiler: Compiler) -> str:
        raise NotImplementedError(type(self).__name__)

    def _from_objects(self) -> list[FromClause]:
        return []

    def compile(self, dialect: Any = None) -> Any:
        from .compiler import compile_statement

        return compile_statement(self, dialect)

    def __str__(self) -> str:
        from .compiler import compile_statement

        return compile_statement(self, None).sql

    def __bool__(self) -> bool:
        raise TypeError(
            f"boolean value of SQL expression {self} is not defined; combine conditions "
            "with and_(), or_() and not_() (or & | ~), not 'and' / 'or' / 'not'"
        )


class ColumnOperators:
    """The comparison and arithmetic operators of column-like objects."""

    __slots__ = ()

    def operate(self, op: str, other: Any) -> ColumnElement:
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
        return BinaryExpression(coerce_expression(other), "+", self._expr())

    def __sub__(self, other: Any) -> ColumnElement:
        return self.operate("-", other)

    def __rsub__(self, other: Any) -> ColumnElement:
        return BinaryExpression(coerce_expression(other), "-", self._expr())

    def __mul__(self, other: Any) -> ColumnElement:
        return self.operate("*", other)

    def __truediv__(self, other: Any) -> ColumnElement:
        return self.operate("/", other)

    def __mod__(self, other: Any) -> ColumnElement:
        return self.operate("%", other)

    def __neg__(self) -> ColumnElement:
        return UnaryExpression(self._expr(), "-", None)

    def __and__(self, other: Any) -> ColumnElement:
        return and_(self, other)

    def __or__(self, other: Any) -> ColumnElement:
        return or_(self, other)

    def __invert__(self) -> ColumnElement:
        return not_(self)

    def in_(self, values: Any) -> ColumnElement:
        return self.operate("IN", values)

    def not_in(self, values: Any) -> ColumnElement:
        return self.operate("NOT IN", values)

    notin_ = not_in

    def like(self, pattern: Any, escape: str | None = None) -> ColumnElement:
        return self.operate("LIKE", pattern)

    def not_like(self, pattern: Any) -> ColumnElement:
        return self.operate("NOT LIKE", pattern)

    def ilike(self, pattern: Any) -> ColumnElement:
        return self.operate("ILIKE", pattern)

    def not_ilike(self, pattern: Any) -> ColumnElement:
        return self.operate("NOT ILIKE", pattern)

    def startswith(self, prefix: str) -> ColumnElement:
        return self.operate("LIKE", _escape_like(prefix) + "%")

    def endswith(self, suffix: str) -> ColumnElement:
        return self.operate("LIKE", "%" + _escape_like(suffix))

    def contains(self, part: Any) -> ColumnElement:
        typed = _type_operator(self, "contains")
        if typed is not None:
            return typed(part)  # type: ignore[no-any-return]
        return self.operate("LIKE", "%" + _escape_like(part) + "%")

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
        return self.operate("IS", other)

    def is_not(self, other: Any) -> ColumnElement:
        return self.operate("IS NOT", other)

    isnot = is_not

    def between(self, low: Any, high: Any) -> ColumnElement:
        expr = self._expr()
        return Between(expr, coerce_expression(low, expr.type), coerce_expression(high, expr.type))

    def desc(self) -> ColumnElement:
        return UnaryExpression(self._expr(), None, "DESC")

    def asc(self) -> ColumnElement:
        return UnaryExpression(self._expr(), None, "ASC")

    def nulls_first(self) -> ColumnElement:
        return UnaryExpression(self._expr(), None, "NULLS FIRST")

    def nulls_last(self) -> ColumnElement:
        return UnaryExpression(self._expr(), None, "NULLS LAST")

    def label(self, name: str) -> Label:
        return Label(name, self._expr())

    def distinct(self) -> ColumnElement:
        return UnaryExpression(self._expr(), "DISTINCT", None)

    def cast(self, type_: TypeEngine) -> ColumnElement:
        return Cast(self._expr(), type_)

    def op(self, operator: str) -> Any:
        def apply(other: Any) -> ColumnElement:
            return self.operate(operator, other)

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


def _escape_like(s: str) -> str:
    # LIKE wildcards in a prefix/suffix/contains argument are matched literally.
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


class ColumnElement(ColumnOperators, ClauseElement):
    """An SQL expression with a type."""

    __slots__ = ()
    type: TypeEngine = NULLTYPE
    key: str | None = None

    def _expr(self) -> ColumnElement:
        return self

    def operate(self, op: str, other: Any) -> ColumnElement:
        overrides = self.type.comparator_factory._overrides
        if overrides:
            method = _OPERATOR_METHODS.get(op)
            if method is not None and method in overrides:
                return getattr(self.type.comparator_factory(self), method)(other)  # type: ignore[no-any-return]
        return self._operate(op, other)

    def _operate(self, op: str, other: Any) -> ColumnElement:
        """The operator as SQL defines it, whatever the type's comparator redefines."""
        if op in ("IN", "NOT IN"):
            return _in_expression(self, op, other)
        other = coerce(other)
        if other is None or isinstance(other, Null):
            if op == "=":
                op = "IS"
            elif op == "!=":
                op = "IS NOT"
            return BinaryExpression(self, op, Null())
        # a factor or divisor is a plain number, not a value of this column's type
        right = coerce_expression(
            other,
            None if op in ("*", "/", "%") else self.type.coerce_compared_value(op, other),
            _describe(self),
        )
        type_ = Boolean() if op in _NEGATE else self.type
        return BinaryExpression(self, op, right, type_)


def _in_expression(left: ColumnElement, op: str, values: Any) -> ColumnElement:
    values = coerce(values)
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
    items = [coerce_expression(v, left.type, _describe(left)) for v in values]
    if not items:
        # x IN () is not valid SQL; "1 != 1" is always false (and NOT IN always true).
        return BinaryExpression(
            BindParameter(None, 1, Integer()),
            "!=" if op == "IN" else "=",
            BindParameter(None, 1, Integer()),
            Boolean(),
        )
    return BinaryExpression(left, op, ExpressionList(items), Boolean())


class BindParameter(ColumnElement):
    """A value sent to the driver as a parameter, never written into the SQL."""

    __slots__ = ("describes", "expanding", "key", "type", "value")

    def __init__(
        self, key: str | None, value: Any, type_: TypeEngine | None = None, label: str | None = None
    ) -> None:
        self.key = key
        self.value = value
        self.type = type_ if type_ is not None else literal_type(value)
        self.expanding = False
        #: what the value is compared with, for error messages only (never a lookup key)
        self.describes = label

    def _compile(self, compiler: Compiler) -> str:
        return compiler.bind(self)


_REQUIRED = object()


def bindparam(key: str, value: Any = _REQUIRED, type_: TypeEngine | None = None) -> BindParameter:
    """A named parameter whose value is given at execution time."""
    return BindParameter(key, value, type_ or NULLTYPE)


class Null(ColumnElement):
    __slots__ = ()

    def _compile(self, compiler: Compiler) -> str:
        return "NULL"


class True_(ColumnElement):
    __slots__ = ()
    type = Boolean()

    def _compile(self, compiler: Compiler) -> str:
        return "1" if compiler.dialect_name == "sqlite" else "true"


class False_(ColumnElement):
    __slots__ = ()
    type = Boolean()

    def _compile(self, compiler: Compiler) -> str:
        return "0" if compiler.dialect_name == "sqlite" else "false"


def null() -> Null:
    return Null()


def true() -> True_:
    return True_()


def false() -> False_:
    return False_()


class BinaryExpression(ColumnElement):
    __slots__ = ("left", "operator", "right", "type")

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

    def _compile(self, compiler: Compiler) -> str:
        op = self.operator
        left = compiler.process(self.left, nested=True)
        right = compiler.process(self.right, nested=True)
        if op in ("ILIKE", "NOT ILIKE") and compiler.dialect_name != "postgresql":
            neg = "NOT " if op.startswith("NOT") else ""
            return f"lower({left}) {neg}LIKE lower({right})"
        if op in ("LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE") and _needs_escape(self.right):
            return f"{left} {op} {right} ESCAPE '\\'"
        return f"{left} {op} {right}"

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
        return (
            f"{compiler.process(self.expr, nested=True)} BETWEEN "
            f"{compiler.process(self.low, nested=True)} AND "
            f"{compiler.process(self.high, nested=True)}"
        )

    def _from_objects(self) -> list[FromClause]:
        return self.expr._from_objects()


class UnaryExpression(ColumnElement):
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
        if self.operator:
            inner = f"{self.operator} {inner}" if self.operator != "-" else f"-{inner}"
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
    return UnaryExpression(coerce_expression(column), None, "DESC")


def asc(column: Any) -> ColumnElement:
    return UnaryExpression(coerce_expression(column), None, "ASC")


def literal(value: Any, type_: TypeEngine | None = None) -> BindParameter:
    return BindParameter(None, value, type_)


def cast(expr: Any, type_: TypeEngine) -> Cast:
    return Cast(coerce_expression(expr), type_)


class Cast(ColumnElement):
    __slots__ = ("element", "type")

    def __init__(self, element: ClauseElement, type_: TypeEngine) -> None:
        self.element = element
        self.type = type_

    def _compile(self, compiler: Compiler) -> str:
        return f"CAST({compiler.process(self.element)} AS {self.type.ddl(compiler.dialect_name)})"

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


class Label(ColumnElement):
    __slots__ = ("element", "name", "type")

    def __init__(self, name: str, element: ClauseElement) -> None:
        self.name = name
        self.element = element
        self.type = getattr(element, "type", NULLTYPE)

    @property
    def key(self) -> str:  # type: ignore[override]
        return self.name

    def _compile(self, compiler: Compiler) -> str:
        if compiler.in_columns_clause:
            return f"{compiler.process(self.element, nested=True)} AS {compiler.quote(self.name)}"
        return compiler.quote(self.name)

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


_FUNC_TYPES: dict[str, Any] = {
    "count": Integer,
    "length": Integer,
    "char_length": Integer,
}
_TEXT_FUNCS = frozenset({"lower", "upper", "trim"})
_SAME_TYPE_FUNCS = frozenset({"max", "min", "sum", "coalesce", "abs", "lower", "upper", "trim"})


class Function(ColumnElement):
    __slots__ = ("args", "name", "type")

    def __init__(self, name: str, args: Sequence[Any], type_: TypeEngine | None = None) -> None:
        self.name = name
        self.args = [coerce_expression(a) for a in args]
        if type_ is None:
            factory = _FUNC_TYPES.get(name.lower())
            if factory is not None:
                type_ = factory()
            elif name.lower() in _SAME_TYPE_FUNCS and self.args:
                type_ = getattr(self.args[0], "type", NULLTYPE)
                if name.lower() in _TEXT_FUNCS and isinstance(type_, TypeDecorator):
                    # lower(decorated) is plain text of the decorated type: its comparator
                    # and result conversion (which may call lower() itself) do not apply.
                    type_ = type_.impl
        self.type = type_ if type_ is not None else NULLTYPE

    def _compile(self, compiler: Compiler) -> str:
        if not self.args and self.name.lower() == "count":
            return "count(*)"
        name = (
            self.name
            if re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", self.name)
            else (compiler.quote(self.name))
        )
        return f"{name}(" + ", ".join(compiler.process(a) for a in self.args) + ")"

    def _from_objects(self) -> list[FromClause]:
        out: list[FromClause] = []
        for a in self.args:
            out.extend(a._from_objects())
        return out

    @property
    def key(self) -> str:  # type: ignore[override]
        return self.name


class _FunctionGenerator:
    """``func.<name>(...)`` builds a SQL function call; ``func.count()`` is ``count(*)``."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def make(*args: Any, type_: TypeEngine | None = None) -> Function:
            return Function(name, args, type_)

        return make


func = _FunctionGenerator()


_BIND_RE = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


class TextClause(ClauseElement):
    """Literal SQL with ``:name`` parameters, e.g. ``text("SELECT * FROM t WHERE id = :id")``."""

    __slots__ = ("_bind_values", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._bind_values: dict[str, Any] = {}

    def bindparams(self, **values: Any) -> TextClause:
        t = TextClause(self.text)
        t._bind_values = {**self._bind_values, **values}
        return t

    def _compile(self, compiler: Compiler) -> str:
        pct = compiler.paramstyle == "format"
        out: list[str] = []
        pos = 0
        for m in _BIND_RE.finditer(self.text):
            chunk = self.text[pos : m.start()]
            out.append(chunk.replace("%", "%%") if pct else chunk)
            name = m.group(1)
            value = self._bind_values.get(name, _REQUIRED)
            out.append(compiler.bind(BindParameter(name, value, NULLTYPE)))
            pos = m.end()
        tail = self.text[pos:]
        out.append(tail.replace("%", "%%") if pct else tail)
        return "".join(out).replace("\\:", ":")

    def columns(self, *cols: Any) -> TextClause:
        return self


def text(sql: str) -> TextClause:
    """SQL text with named ``:param`` placeholders, bound (never interpolated)."""
    return TextClause(sql)


class Exists(ColumnElement):
    __slots__ = ("select",)
    type = Boolean()

    def __init__(self, select: Any) -> None:
        self.select = select

    def _compile(self, compiler: Compiler) -> str:
        return f"EXISTS ({compiler.process(self.select, subquery=True)})"

    def __invert__(self) -> ColumnElement:
        return UnaryExpression(self, "NOT", None, Boolean())

    def where(self, *criteria: Any) -> Exists:
        return Exists(self.select.where(*criteria))


class ScalarSelect(ColumnElement):
    __slots__ = ("select", "type")

    def __init__(self, select: Any) -> None:
        self.select = select
        cols = select._column_elements()
        self.type = getattr(cols[0], "type", NULLTYPE) if cols else NULLTYPE

    def _compile(self, compiler: Compiler) -> str:
        return f"({compiler.process(self.select, subquery=True)})"


__all__ = [
    "BinaryExpression",
    "BindParameter",
    "ClauseElement",
    "ColumnElement",
    "ColumnOperators",
    "Exists",
    "Function",
    "Label",
    "TextClause",
    "and_",
    "asc",
    "bindparam",
    "cast",
    "coerce",
    "coerce_expression",
    "desc",
    "false",
    "func",
    "literal",
    "not_",
    "null",
    "or_",
    "text",
    "true",
]


class LiteralColumn(ColumnElement):
    """A fixed SQL fragment used as a column (e.g. ``1`` in ``SELECT 1``); never user data."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def _compile(self, compiler: Compiler) -> str:
        return self.text


def literal_column(text: str) -> LiteralColumn:
    return LiteralColumn(text)
