"""The SQL compiler: statement objects -> SQL text + positional bound parameters.

Called by connections (``Connection.execute``) and by the ORM's loading code. The output,
``Compiled``, is cached on the statement per dialect; values live only in the parameter
list, never in the SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import exc
from ..types import _BadValue
from .elements import _REQUIRED, BindParameter, ClauseElement, coerce_expression

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..schema import Column
    from .dml import Delete, Insert, Update
    from .selectable import Select


class Compiled:
    """SQL text, its parameters in order, and how to read its result columns."""

    __slots__ = (
        "_procs",
        "binds",
        "dialect_name",
        "entity_slices",
        "result_keys",
        "result_processors",
        "sql",
        "statement",
    )

    def __init__(self, sql: str, binds: list[BindParameter], dialect_name: str) -> None:
        self.sql = sql
        self.binds = binds
        self.dialect_name = dialect_name
        self.result_keys: list[str] | None = None
        self.result_processors: list[Any] | None = None
        self.entity_slices: list[tuple[Any, int, int]] = []
        self.statement: Any = None
        self._procs = [b.type._bind(dialect_name) for b in binds]

    def construct_params(self, given: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """Parameter values in placeholder order: given by name, else the bound value."""
        out = []
        for bind, proc in zip(self.binds, self._procs):
            value = bind.value
            if bind.key is not None and given and bind.key in given:
                value = given[bind.key]
            elif value is _REQUIRED:
                raise exc.ArgumentError(
                    f"no value for bound parameter {bind.key!r}; pass it in the params "
                    "dict, e.g. execute(stmt, {" + repr(bind.key) + ": ...})"
                )
            if callable(value) and getattr(bind, "_is_default", False):
                value = value()
            if proc is not None and value is not None:
                try:
                    value = proc(value)
                except _BadValue as e:
                    what = bind.describes or bind.key
                    where = (
                        f" compared with {what}"
                        if bind.describes
                        else (f" for parameter {what!r}" if what else "")
                    )
                    raise exc.ColumnValueError(f"bad value{where}: {e}") from None
            out.append(value)
        if given and not self.binds and isinstance(given, Mapping) and given:
            # text() without placeholders ignores params, as the drivers would complain.
            pass
        return tuple(out)

    def __str__(self) -> str:
        return self.sql


_DEFAULT_DIALECT: Any = None


def _default_dialect() -> Dialect:
    global _DEFAULT_DIALECT
    if _DEFAULT_DIALECT is None:
        from ..dialects.sqlite import SQLiteDialect

        _DEFAULT_DIALECT = SQLiteDialect()
    return _DEFAULT_DIALECT  # type: ignore[no-any-return]


def compile_statement(stmt: ClauseElement, dialect: Dialect | None) -> Compiled:
    """Compile ``stmt`` for ``dialect`` (cached on statements that carry a cache)."""
    if dialect is None:
        dialect = _default_dialect()
    cache = getattr(stmt, "_compiled_cache", None)
    if cache is not None:
        hit = cache.get(dialect.name)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    compiler = Compiler(dialect)
    sql = compiler.process(stmt)
    compiled = Compiled(sql, compiler.binds, dialect.name)
    compiled.result_keys = compiler.result_keys
    compiled.result_processors = compiler.result_processors
    compiled.entity_slices = compiler.entity_slices
    compiled.statement = stmt
    if cache is not None:
        cache[dialect.name] = compiled
    return compiled


class Compiler:
    """One compilation: walks the element tree, collecting bound parameters in order."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.dialect_name = dialect.name
        self.paramstyle = dialect.paramstyle
        self.placeholder = dialect.placeholder
        self.quote = dialect.quote
        self.binds: list[BindParameter] = []
        self.in_columns_clause = False
        self.qualify = True
        self.result_keys: list[str] | None = None
        self.result_processors: list[Any] | None = None
        self.entity_slices: list[tuple[Any, int, int]] = []
        self._depth = 0
        self._enclosing_froms: list[list[Any]] = []

    def process(
        self, element: Any, *, nested: bool = False, asfrom: bool = False, subquery: bool = False
    ) -> str:
        el = element
        if not isinstance(el, ClauseElement):
            el = coerce_expression(el)
        if nested and _needs_parens(el):
            return "(" + el._compile(self) + ")"
        return el._compile(self)

    def bind(self, bind: BindParameter) -> str:
        self.binds.append(bind)
        if bind.type.render_bind_cast and self.dialect_name == "postgresql":
            # psycopg types a list by its items (int2[] for small ints), and PostgreSQL has
            # no integer[] = int2[] operator: name the column's array type.
            return f"{self.placeholder}::{bind.type.ddl(self.dialect_name)}"
        return self.placeholder

    def column(self, col: Column[Any]) -> str:
        if self.qualify and col.table is not None:
            return f"{self.quote(col.table.name)}.{self.quote(col.name)}"
        return self.quote(col.name)

    # -- SELECT ------------------------------------------------------------------------
    def select(self, stmt: Select[Any]) -> str:
        toplevel = self._depth == 0
        self._depth += 1
        try:
            return self._select(stmt, toplevel)
        finally:
            self._depth -= 1

    def _select(self, stmt: Select[Any], toplevel: bool) -> str:
        from .selectable import _entity_table

        columns: list[Any] = []
        keys: list[str] = []
        slices: list[tuple[Any, int, int]] = []
        for e in stmt._entities:
            table = _entity_table(e)
            if table is not None:
                cols = e.__mapper__.column_list
                slices.append((e, len(columns), len(columns) + len(cols)))
                columns.extend(cols)
                keys.append(e.__name__)
                continue
            el = coerce_expression(e)
            if hasattr(el, "_column_list") and getattr(el, "is_from", False):
                cols = el._column_list()
                slices.append((None, len(columns), len(columns) + len(cols)))
                columns.extend(cols)
                keys.extend(getattr(c, "key", None) or "?" for c in cols)
                continue
            slices.append((None, len(columns), len(columns) + 1))
            columns.append(el)
            keys.append(getattr(el, "key", None) or getattr(el, "name", None) or f"col_{len(keys)}")
        for ec in stmt._eager_columns:
            columns.append(ec)
        froms = stmt._froms()
        if self._enclosing_froms:
            outer = [t for fl in self._enclosing_froms for f in fl for t in f._tables()]
            correlated = [f for f in froms if any(f is o for o in outer)]
            if correlated and len(correlated) < len(froms):
                froms = [f for f in froms if not any(f is c for c in correlated)]
        self._enclosing_froms.append(froms)
        try:
            outer_flag, self.in_columns_clause = self.in_columns_clause, True
            cols_sql = ", ".join(self.process(c) for c in columns)
            self.in_columns_clause = outer_flag
            sql = "SELECT " + ("DISTINCT " if stmt._distinct else "") + cols_sql
            if froms:
                sql += " FROM " + ", ".join(self.process(f, asfrom=True) for f in froms)
            if stmt._where:
                sql += " WHERE " + self._conjunction(stmt._where)
            if stmt._group_by:
                sql += " GROUP BY " + ", ".join(self.process(c) for c in stmt._group_by)
            if stmt._having:
                sql += " HAVING " + self._conjunction(stmt._having)
            if stmt._order_by:
                sql += " ORDER BY " + ", ".join(self.process(c) for c in stmt._order_by)
        finally:
            self._enclosing_froms.pop()
        if stmt._limit is not None or stmt._offset is not None:
            from ..types import Integer

            if stmt._limit is not None:
                sql += " LIMIT " + self.bind(BindParameter(None, int(stmt._limit), Integer()))
            elif self.dialect_name == "sqlite":
                sql += " LIMIT -1"
            if stmt._offset is not None:
                sql += " OFFSET " + self.bind(BindParameter(None, int(stmt._offset), Integer()))
        if stmt._for_update is not None and self.dialect.supports_for_update:
            fu = stmt._for_update
            sql += " FOR SHARE" if fu["read"] else " FOR UPDATE"
            if fu["of"] is not None:
                of = fu["of"] if isinstance(fu["of"], (list, tuple)) else [fu["of"]]
                names = []
                for o in of:
                    t = _entity_table(o)
                    if t is None:
                        t = getattr(coerce_expression(o), "table", o)
                    names.append(self.quote(t.name))
                sql += " OF " + ", ".join(names)
            if fu["nowait"]:
                sql += " NOWAIT"
            elif fu["skip_locked"]:
                sql += " SKIP LOCKED"
        if toplevel:
            self.result_keys = keys if not stmt._eager_columns else None
            procs = []
            for c in columns:
                t = getattr(c, "type", None)
                procs.append(t._result(self.dialect_name) if t is not None else None)
            self.result_processors = procs
            self.entity_slices = slices
        return sql

    def _conjunction(self, clauses: list[Any]) -> str:
        if len(clauses) == 1:
            return self.process(clauses[0])
        return " AND ".join(self.process(c, nested=True) for c in clauses)

    # -- DML ---------------------------------------------------------------------------
    def _returning(self, stmt: Any) -> str:
        cols = stmt._returning_columns()
        if not cols:
            return ""
        if not self.dialect.supports_returning:
            raise exc.NotSupportedError(
                f"{self.dialect_name} {getattr(self.dialect, 'version', '')} does not support "
                "RETURNING"
            )
        self.result_keys = [getattr(c, "key", None) or f"col_{i}" for i, c in enumerate(cols)]
        self.result_processors = [c.type._result(self.dialect_name) for c in cols]
        self.qualify = False
        try:
            return " RETURNING " + ", ".join(self.process(c) for c in cols)
        finally:
            self.qualify = True

    def _value(self, col: Column[Any], value: Any) -> str:
        if isinstance(value, ClauseElement) and not isinstance(value, BindParameter):
            return self.process(value)
        if isinstance(value, BindParameter):
            if value.type is None or type(value.type).__name__ == "NullType":
                value.type = col.type
            return self.bind(value)
        return self.bind(BindParameter(col.key, value, col.type))

    def _default_bind(self, col: Column[Any], value: Any) -> str:
        b = BindParameter(col.key, value, col.type)
        if callable(value):
            b._is_default = True  # type: ignore[attr-defined]
        return self.bind(b)

    def insert(self, stmt: Insert) -> str:
        table = stmt.table
        rows = stmt._multi_values if stmt._multi_values is not None else [stmt._values or {}]
        cols: list[Column[Any]] = []
        for r in rows:
            for c in r:
                if c not in cols:
                    cols.append(c)
        defaults = [c for c in table.c if c.default is not None and c not in cols]
        self.qualify = False
        try:
            names = [self.quote(c.name) for c in cols + defaults]
            sql = f"INSERT INTO {self.quote(table.name)}"
            if not names:
                sql += " DEFAULT VALUES" if self.dialect_name != "mysql" else " () VALUES ()"
            else:
                groups = []
                for r in rows:
                    vals = [self._value(c, r[c]) if c in r else "NULL" for c in cols]
                    vals += [self._default_bind(c, c.default) for c in defaults]
                    groups.append("(" + ", ".join(vals) + ")")
                sql += " (" + ", ".join(names) + ") VALUES " + ", ".join(groups)
        finally:
            self.qualify = True
        return sql + self._returning(stmt)

    def update(self, stmt: Update) -> str:
        table = stmt.table
        values = dict(stmt._values or {})
        for c in table.c:
            if c.onupdate is not None and c not in values:
                values[c] = c.onupdate() if c._onupdate_is_callable else c.onupdate
        if not values:
            raise exc.ArgumentError(f"update({table.name}) has no values to set; use .values()")
        sets = []
        for c, v in values.items():
            self.qualify = False
            target = self.quote(c.name)
            self.qualify = True
            sets.append(f"{target} = {self._value(c, v)}")
        sql = f"UPDATE {self.quote(table.name)} SET " + ", ".join(sets)
        if stmt._where:
            sql += " WHERE " + self._conjunction(stmt._where)
        return sql + self._returning(stmt)

    def delete(self, stmt: Delete) -> str:
        sql = f"DELETE FROM {self.quote(stmt.table.name)}"
        if stmt._where:
            sql += " WHERE " + self._conjunction(stmt._where)
        return sql + self._returning(stmt)


def _needs_parens(el: ClauseElement) -> bool:
    from .elements import BinaryExpression, BooleanClauseList

    if isinstance(el, BooleanClauseList):
        return len(el.clauses) > 1
    if isinstance(el, BinaryExpression):
        return el.operator in ("+", "-", "*", "/", "%") or False
    return getattr(el, "is_select", False) is True


__all__ = ["Compiled", "Compiler", "compile_statement"]
