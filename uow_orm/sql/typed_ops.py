"""Operators that belong to column types: JSON paths, ARRAY and HSTORE indexing and
containment, ``ANY``/``ALL``, and ``type_coerce``.

Built by the comparators of `uow_orm.types` (``col["key"]``, ``col.contains(...)``,
``col.any(x)``) and by users (``type_coerce``, ``any_``); compiled by `uow_orm.sql.compiler`.

Called by: uow_orm._generic_types, uow_orm.dialects.postgresql.* (array(), array_agg(),
Any(), All() and hstore(), re-exported by uow_orm.dialects.postgresql),
uow_orm.dialects.postgresql_ranges, uow_orm.dialects.postgresql_types, uow_orm.types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from ..types import NULLTYPE, Boolean, Integer, String, Text, TypeEngine
from .elements import (
    AnyAll,
    BinaryExpression,
    BindParameter,
    ClauseElement,
    ColumnElement,
    TypeCoerce,
    all_,
    any_,
    coerce,
    type_coerce,
)

if TYPE_CHECKING:
    from .compiler import Compiler
    from .selectable import FromClause


def _parens(compiler: Compiler, el: ClauseElement) -> str:
    sql = compiler.process(el)
    return sql if el._is_table_column or isinstance(el, BindParameter) else f"({sql})"


class CastSuffix(ColumnElement):
    """``<element>::<TYPE>``: a PostgreSQL cast pinning a bound value's type."""

    __slots__ = ("element", "pg_type", "type")

    def __init__(self, element: ClauseElement, pg_type: str) -> None:
        self.element = element
        self.pg_type = pg_type
        self.type = getattr(element, "type", NULLTYPE)

    def _compile(self, compiler: Compiler) -> str:
        inner = compiler.process(self.element)
        return f"{inner}::{self.pg_type}" if compiler.dialect_name == "postgresql" else inner

    def _from_objects(self) -> list[FromClause]:
        return self.element._from_objects()


def _require_postgresql(compiler: Compiler, what: str) -> None:
    if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
        raise exc.ArgumentError(
            f"{what} is a PostgreSQL operator; {compiler.dialect_name} has none"
        )


class PgBinary(BinaryExpression):
    """A PostgreSQL-only binary operator (``@>``, ``?``, ``&&``...)."""

    __slots__ = ()

    def _compile(self, compiler: Compiler) -> str:
        _require_postgresql(compiler, f"the {self.operator} operator")
        return BinaryExpression._compile(self, compiler)


def pg_binary(left: ColumnElement, op: str, right: Any, right_type: TypeEngine | None) -> PgBinary:
    """``left <op> right`` with ``right`` bound as ``right_type`` (the column's own type
    when None)."""
    value = coerce(right)
    if isinstance(value, ClauseElement):
        r: ClauseElement = value
    else:
        r = BindParameter(None, value, right_type if right_type is not None else left.type)
    return PgBinary(left, op, r, Boolean())


def text_array_bind(values: Any) -> ClauseElement:
    """A list of keys bound as ``TEXT[]`` (for ``?&``, ``?|``, ``#>``)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise exc.ArgumentError(f"expected a list of keys, got {values!r}")
    return CastSuffix(BindParameter(None, [str(v) for v in values], NULLTYPE), "TEXT[]")


# -- JSON --------------------------------------------------------------------------------------
class JSONPath(ColumnElement):
    """``col["a"][0]``: an element inside a JSON document, as JSON, as text or cast."""

    __slots__ = ("base", "mode", "path", "type")

    def __init__(
        self,
        base: ColumnElement,
        path: tuple[str | int, ...],
        type_: TypeEngine,
        mode: str = "json",
    ) -> None:
        for p in path:
            if not isinstance(p, (str, int)) or isinstance(p, bool):
                raise exc.ArgumentError(f"a JSON path element is a str key or int index, got {p!r}")
        self.base = base
        self.path = path
        self.type = type_
        #: "json" (a JSON value), "text" (the value as text) or "cast" (text cast to type)
        self.mode = mode

    def with_mode(self, mode: str, type_: TypeEngine) -> JSONPath:
        """The same path read another way: ``mode`` "json" (a JSON value), "text" or "cast"
        (text cast to ``type_``), with ``type_`` as the result type.
        """
        return JSONPath(self.base, self.path, type_, mode)

    def _compile(self, compiler: Compiler) -> str:
        base = _parens(compiler, self.base)
        if compiler.dialect_name == "postgresql":
            text = self.mode != "json"
            if len(self.path) == 1:
                key = self.path[0]
                kind = "INTEGER" if isinstance(key, int) else "TEXT"
                bind = compiler.bind(BindParameter(None, key, NULLTYPE))
                sql = f"{base} {'->>' if text else '->'} {bind}::{kind}"
            else:
                bind = compiler.bind(BindParameter(None, [str(p) for p in self.path], NULLTYPE))
                sql = f"{base} {'#>>' if text else '#>'} {bind}::TEXT[]"
            if self.mode == "cast":
                sql = f"CAST({sql} AS {self.type.ddl(compiler.dialect_name)})"
            return sql
        if compiler.dialect_name == "sqlite":
            bind = compiler.bind(BindParameter(None, _sqlite_path(self.path), NULLTYPE))
            sql = f"JSON_EXTRACT({base}, {bind})"
            if self.mode == "json":
                return f"JSON_QUOTE({sql})"
            if self.mode == "cast" and self.type._type_affinity.__name__ == "Numeric":
                return f"CAST({sql} AS TEXT)"
            return sql
        raise exc.ArgumentError(f"JSON paths are not supported on {compiler.dialect_name}")

    def _from_objects(self) -> list[FromClause]:
        return self.base._from_objects()


def _sqlite_path(path: tuple[str | int, ...]) -> str:
    out = "$"
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]" if p >= 0 else f"[#{p}]"
        else:
            if '"' in p:
                raise exc.ArgumentError(
                    f"JSON keys containing '\"' cannot be used on SQLite: {p!r}"
                )
            out += f'."{p}"'
    return out


def json_index(expr: ColumnElement, index: Any) -> JSONPath:
    """``expr[index]`` for a JSON expression: a key, an int position or a tuple path."""
    from ..types import JSON

    path = tuple(index) if isinstance(index, (tuple, list)) else (index,)
    if not path:
        raise exc.ArgumentError("an empty JSON path")
    if isinstance(expr, JSONPath) and expr.mode == "json":
        return JSONPath(expr.base, expr.path + path, expr.type)
    type_ = expr.type if isinstance(expr.type, JSON) else JSON()
    return JSONPath(expr, path, type_)


def json_as(expr: ColumnElement, method: str, type_: TypeEngine | None) -> JSONPath:
    """``col["k"].as_string()`` and friends: the indexed element read as ``type_``."""
    if not isinstance(expr, JSONPath):
        raise exc.ArgumentError(
            f"{method}() applies to an indexed JSON element, e.g. col['key'].{method}()"
        )
    if type_ is None:
        return expr.with_mode("json", expr.type)
    if isinstance(type_, String):
        return expr.with_mode("text", type_)
    return expr.with_mode("cast", type_)


def json_astext(expr: ColumnElement) -> JSONPath:
    """PostgreSQL's ``->>``: ``col["k"].astext``."""
    if not isinstance(expr, JSONPath):
        raise exc.ArgumentError("astext applies to an indexed JSON element: col['key'].astext")
    return expr.with_mode("text", Text())


# -- ARRAY / HSTORE indexing -------------------------------------------------------------------
class Subscript(ColumnElement):
    """``col[i]``, ``col[i:j]`` (ARRAY) or ``col -> key`` (HSTORE)."""

    __slots__ = ("base", "index", "kind", "type")

    def __init__(self, base: ColumnElement, index: Any, type_: TypeEngine, kind: str) -> None:
        self.base = base
        self.index = index
        self.type = type_
        self.kind = kind  # "item", "slice" or "hstore"

    def _compile(self, compiler: Compiler) -> str:
        _require_postgresql(compiler, "indexing an ARRAY or HSTORE")
        base = _parens(compiler, self.base)
        if self.kind == "hstore":
            return f"{base} -> {compiler.bind(BindParameter(None, self.index, NULLTYPE))}::TEXT"
        if self.kind == "slice":
            lo, hi = self.index
            return (
                f"{base}[{compiler.bind(BindParameter(None, lo, Integer()))}"
                f":{compiler.bind(BindParameter(None, hi, Integer()))}]"
            )
        return f"{base}[{compiler.bind(BindParameter(None, self.index, Integer()))}]"

    def _from_objects(self) -> list[FromClause]:
        return self.base._from_objects()


def array_index(expr: ColumnElement, index: Any, zero_indexes: bool) -> Subscript:
    """``expr[index]`` for an ARRAY expression (an int or a slice with both bounds)."""
    shift = 1 if zero_indexes else 0
    array_type: Any = expr.type
    if isinstance(index, slice):
        if index.step is not None or index.start is None or index.stop is None:
            raise exc.ArgumentError("ARRAY slices need a start and a stop and no step: col[1:3]")
        bounds = (index.start + shift, index.stop + shift - (1 if zero_indexes else 0))
        return Subscript(expr, bounds, array_type, "slice")
    if not isinstance(index, int) or isinstance(index, bool):
        raise exc.ArgumentError(f"an ARRAY index is an int or a slice, got {index!r}")
    item = getattr(array_type, "item_type", NULLTYPE)
    return Subscript(expr, index + shift, item, "item")


# ANY / ALL and type_coerce live in .elements (re-exported here for the comparators).


# -- PostgreSQL's array constructor and array / hstore functions (postgresql.array(), ...) --------
class ArrayLiteral(ColumnElement):
    """``ARRAY[a, b, ...]`` (`postgresql.array`): an ARRAY of its elements' type; index it
    (``array([...])[1]``) or compare it like an ARRAY column."""

    __slots__ = ("clauses", "type")

    def __init__(self, clauses: Any, type_: Any = None) -> None:
        from ..types import ARRAY, to_instance
        from .elements import coerce_expression

        items = list(clauses)
        item_type: TypeEngine
        if type_ is not None:
            item_type = to_instance(type_)
        elif items:
            item_type = getattr(coerce_expression(items[0]), "type", NULLTYPE)
        else:
            raise exc.ArgumentError("an empty postgresql.array() needs type_= (its item type)")
        self.clauses = [coerce_expression(c, item_type) for c in items]
        self.type = ARRAY(item_type)

    def _compile(self, compiler: Compiler) -> str:
        _require_postgresql(compiler, "ARRAY[...]")
        sql = "ARRAY[" + ", ".join(compiler.process(c) for c in self.clauses) + "]"
        if not self.clauses:
            sql += "::" + self.type.ddl("postgresql")
        return sql

    def _from_objects(self) -> list[FromClause]:
        return [f for c in self.clauses for f in c._from_objects()]


def array(clauses: Any, type_: Any = None) -> ArrayLiteral:
    """``ARRAY[...]`` of ``clauses`` (values or expressions), as SQLAlchemy's
    ``postgresql.array()``; ``type_`` is the item type (needed when empty).

    Raises:
        ArgumentError: an empty array without ``type_``; compiled for SQLite.
    """
    return ArrayLiteral(clauses, type_)


def array_agg(*args: Any, **kw: Any) -> Any:
    """``array_agg(expr)`` typed as an ARRAY of ``expr``'s type (``func.array_agg`` is
    typed so too), as SQLAlchemy's ``postgresql.array_agg``."""
    from .elements import func

    return func.array_agg(*args, **kw)


def any_array(other: Any, arrexpr: Any, operator: Any = None) -> Any:
    """``other = ANY (arrexpr)`` (another comparison with ``operator``, a function of
    `uow_orm.sql.operators` such as ``operators.lt``), SQLAlchemy's ``postgresql.Any``."""
    return _any_all(any_, other, arrexpr, operator)


def all_array(other: Any, arrexpr: Any, operator: Any = None) -> Any:
    """``other = ALL (arrexpr)`` (see `any_array`), SQLAlchemy's ``postgresql.All``."""
    return _any_all(all_, other, arrexpr, operator)


def _any_all(make: Any, other: Any, arrexpr: Any, operator: Any) -> Any:
    import operator as py_operator

    op = operator if operator is not None else py_operator.eq
    return op(coerce(other) if isinstance(other, ClauseElement) else other, make(arrexpr))


def hstore(keys: Any, values: Any) -> Any:
    """``hstore(keys, values)`` (two text arrays, or a key and a value) typed as HSTORE,
    SQLAlchemy's ``postgresql.hstore``."""
    from ..dialects.postgresql_types import HSTORE
    from .elements import Function

    return Function("hstore", [keys, values], HSTORE())


__all__ = [
    "AnyAll",
    "ArrayLiteral",
    "JSONPath",
    "Subscript",
    "TypeCoerce",
    "all_",
    "all_array",
    "any_",
    "any_array",
    "array",
    "array_agg",
    "array_index",
    "hstore",
    "json_as",
    "json_astext",
    "json_index",
    "pg_binary",
    "type_coerce",
]
