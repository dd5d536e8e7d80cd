"""The SQL compiler: statement objects -> SQL text + positional bound parameters.

Called by connections (``Connection.execute``) and by the ORM's loading code. The output,
``Compiled``, is cached on the statement per dialect; values live only in the parameter
list, never in the SQL text.

Called by: uow_orm.sql.schema, uow_orm.sql.*, uow_orm.orm.loading, uow_orm.ext.compiler,
uow_orm.orm.inheritance
(which fills ``SUBCLASS_COLUMNS``).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import exc
from ..types import apply_processors, bind_processors, processor_items
from .cache import plan_for, statement_cache, statement_key
from .elements import (
    _REQUIRED,
    BinaryExpression,
    BindParameter,
    ClauseElement,
    DefaultBindParameter,
    Label,
    coerce_expression,
)

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from .protocols import InsertStatement, TableColumn, WriteStatement
    from .selectable import Select


_NO_LABELS: set[int] = set()


class Printed(NamedTuple):
    """A statement as SQLAlchemy prints it (`display_form`)."""

    sql: str
    #: the values by parameter name
    params: dict[str, Any]
    #: the parameter name of each placeholder, in the text's order
    names: list[str]
    #: "named" (``:name``), "qmark" (``?``) or "pyformat" (``%(name)s``)
    style: str


class Compiled:
    """SQL text, its parameters in order, and how to read its result columns."""

    _display: Printed
    __slots__ = (
        "_display",
        "_proc_items",
        "_statement",
        "_statement_ref",
        "binds",
        "dialect_name",
        "entity_slices",
        "result_keys",
        "result_processors",
        "sql",
    )

    _statement: Any
    _statement_ref: weakref.ref[Any] | None

    def __init__(self, sql: str, binds: list[BindParameter], dialect_name: str) -> None:
        self.sql = sql
        self.binds = binds
        self.dialect_name = dialect_name
        self.result_keys: list[str] | None = None
        self.result_processors: list[Any] | None = None
        self.entity_slices: list[tuple[Any, int, int]] = []
        self.statement = None
        self._proc_items = processor_items(bind_processors([b.type for b in binds], dialect_name))

    @property
    def statement(self) -> Any:
        """The statement this was compiled from; None when there is none (or, for the
        compiled form a statement keeps of itself, once that statement is gone)."""
        s = self._statement
        if s is None and self._statement_ref is not None:
            s = self._statement_ref()
        return s

    @statement.setter
    def statement(self, value: Any) -> None:
        self._statement = value
        self._statement_ref = None

    def _held_weakly_by(self, stmt: Any) -> None:
        """Refer back to ``stmt`` weakly: this is kept in ``stmt``'s own cache, and a strong
        reference both ways would make every executed statement a reference cycle, garbage
        that only the cyclic collector frees (W8 made 20 such objects per query)."""
        try:
            self._statement_ref = weakref.ref(stmt)
        except TypeError:  # a statement class without weak references: keep it strongly
            return
        self._statement = None

    def _held_by(self, stmt: Any) -> Compiled:
        """A copy that holds ``stmt`` strongly (what ``stmt.compile()`` returns, so a compiled
        form outlives a statement the caller dropped)."""
        c = Compiled.__new__(Compiled)
        for name in _COMPILED_SLOTS:
            try:
                setattr(c, name, getattr(self, name))
            except AttributeError:  # (``_display``: made on first use)
                pass
        c.statement = stmt
        return c

    def construct_params(self, given: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """Parameter values in placeholder order: given by name, else the bound value,
        converted by each parameter's type.

        Raises:
            exc.ArgumentError: no value for a ``bindparam()`` without one.
            exc.ColumnValueError: a value the parameter's type refuses.
        """
        out = []
        for bind in self.binds:
            value = bind.value
            if bind.key is not None and given and bind.key in given:
                value = given[bind.key]
            elif value is _REQUIRED:
                raise exc.ArgumentError(
                    f"no value for bound parameter {bind.key!r}; pass it in the params "
                    "dict, e.g. execute(stmt, {" + repr(bind.key) + ": ...})"
                )
            if bind._is_default and callable(value):
                value = value()
            out.append(value)
        apply_processors((out,), self._proc_items, self._bad_value)
        return tuple(out)

    def _bad_value(self, index: int, value: Any, err: exc.ColumnValueError) -> Exception:
        bind = self.binds[index]
        what = bind.describes or bind.key
        where = (
            f" compared with {what}"
            if bind.describes
            else (f" for parameter {what!r}" if what else "")
        )
        return exc.ColumnValueError(f"bad value{where}: {err}")

    def __str__(self) -> str:
        """The SQL as SQLAlchemy prints it: its line breaks, and on PostgreSQL named
        ``%(name)s`` placeholders (the text executed, `sql`, is the same statement on one line
        with the driver's positional placeholders)."""
        return self._display_form()[0]

    def _display_form(self) -> Printed:
        try:
            return self._display
        except AttributeError:
            pass
        stmt = self.statement
        if stmt is None:
            out = Printed(self.sql, {}, [], "qmark" if self.dialect_name == "sqlite" else "")
        else:
            out = display_form(stmt, display_dialect(self.dialect_name), None)
        self._display = out
        return out

    @property
    def string(self) -> str:
        """``str(compiled)``: the SQL as SQLAlchemy prints it."""
        return self._display_form()[0]

    @property
    def positiontup(self) -> list[str] | None:
        """The parameter names in the order of the printed text's ``?`` placeholders
        (SQLite); None where placeholders are named (PostgreSQL, no dialect)."""
        printed = self._display_form()
        return list(printed.names) if printed.style == "qmark" else None

    @property
    def params(self) -> dict[str, Any]:
        """The bound values by name, as SQLAlchemy names them: the parameter's key, else
        ``<column>_<n>`` / ``<function>_<n>`` / ``param_<n>`` in order of appearance."""
        return dict(self._display_form()[1])


_COMPILED_SLOTS = [n for n in Compiled.__slots__ if n not in ("_statement", "_statement_ref")]

_DEFAULT_DIALECT: Any = None


def _default_dialect() -> Dialect:
    global _DEFAULT_DIALECT
    if _DEFAULT_DIALECT is None:
        from ..dialects.sqlite_dialect import SQLiteDialect

        _DEFAULT_DIALECT = SQLiteDialect()
    return _DEFAULT_DIALECT  # type: ignore[no-any-return]


def display_dialect(name: str) -> Dialect:
    """A dialect object for printing SQL of dialect ``name`` (the SQLite one for others)."""
    if name == "postgresql":
        from ..dialects.postgresql_dialect import PGDialect

        return PGDialect()
    return _default_dialect()


#: how each dialect prints its placeholders in `Compiled.__str__` (SQLAlchemy's drivers)
_DISPLAY_STYLES = {"sqlite": "qmark", "postgresql": "pyformat"}


def display_form(
    stmt: ClauseElement,
    dialect: Dialect | None,
    compile_kwargs: Mapping[str, Any] | None,
) -> Printed:
    """``stmt`` as SQLAlchemy prints it, and its parameters by name.

    ``dialect`` None is ``str(stmt)``: SQLAlchemy's default string dialect (``:name``
    placeholders, generic SQL such as ``now()`` and ``FOR UPDATE``). Uncached: printing
    only, never on the execution path.
    """
    from .selectable import Lateral, Subquery

    if isinstance(stmt, Subquery) and not isinstance(stmt, Lateral):
        stmt = stmt.select  # SQLAlchemy prints a subquery / CTE as its SELECT
    string = dialect is None
    if dialect is None:
        dialect = _default_dialect()
    compiler = Compiler(dialect)
    compiler.display = "named" if string else _DISPLAY_STYLES.get(dialect.name, "qmark")
    compiler.string_dialect = string
    compiler.nl = " \n"
    if compile_kwargs:
        compiler.literal_binds = bool(compile_kwargs.get("literal_binds"))
    sql = compiler.process(stmt)
    if compiler.ctes:
        sql, compiler.binds = compiler.with_clause(sql)
    params: dict[str, Any] = {}
    names = []
    for b in compiler.binds:
        name = compiler.bind_names[id(b)]
        names.append(name)
        params[name] = None if b.value is _REQUIRED else b.value
    return Printed(sql, params, names, compiler.display)


def compile_statement(stmt: ClauseElement, dialect: Dialect | None) -> Compiled:
    """Compile ``stmt`` for ``dialect`` (cached on statements that carry a cache)."""
    if dialect is None:
        dialect = _default_dialect()
    cache = getattr(stmt, "_compiled_cache", None)
    if cache is not None:
        hit = cache.get(dialect.cache_key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        if getattr(stmt, "is_select", False):
            got = _compile_cached_select(stmt, dialect)
            if got is not None:
                compiled, cacheable = got
                if cacheable:
                    compiled._held_weakly_by(stmt)
                    cache[dialect.cache_key] = compiled
                return compiled
    compiler = Compiler(dialect)
    sql = compiler.process(stmt)
    if len(compiler.binds) > dialect.max_bind_params:
        # Over the backend's parameter limit: send each IN list of plain values as one
        # array (PostgreSQL) / JSON (SQLite) parameter instead of one per value.
        compiler = Compiler(dialect)
        compiler.collapse_in_lists = True
        sql = compiler.process(stmt)
    if compiler.ctes:
        sql, binds = compiler.with_clause(sql)
        compiler.binds = binds
    compiled = Compiled(sql, compiler.binds, dialect.name)
    compiled.result_keys = compiler.result_keys
    compiled.result_processors = compiler.result_processors
    compiled.entity_slices = compiler.entity_slices
    compiled.statement = stmt
    if cache is not None and compiler.cacheable:
        compiled._held_weakly_by(stmt)
        cache[dialect.cache_key] = compiled
    return compiled


def _compile_cached_select(stmt: Any, dialect: Dialect) -> tuple[Compiled, bool] | None:
    """``stmt`` compiled through the statement cache, and whether it may be kept on the
    statement too (None: not cacheable by its structure)."""
    key_binds: list[BindParameter] = []
    key = statement_key(stmt, key_binds)
    if key is None:
        return None
    key = (dialect, key)
    entry = statement_cache.get(key)
    if entry is None:
        compiler = Compiler(dialect)
        sql = compiler.process(stmt)
        if len(compiler.binds) > dialect.max_bind_params:
            return None  # IN lists to collapse: compiled apart, uncached
        if compiler.ctes:
            sql, compiler.binds = compiler.with_clause(sql)
        compiled = Compiled(sql, compiler.binds, dialect.name)
        compiled.result_keys = compiler.result_keys
        compiled.result_processors = compiler.result_processors
        compiled.entity_slices = compiler.entity_slices
        compiled.statement = stmt
        if not compiler.cacheable:
            return compiled, False
        plan = plan_for(compiled, key_binds)
        if plan is not None:
            # (None: the placeholders take the key's values in the order met, as mostly)
            in_order = plan == list(range(len(key_binds)))
            statement_cache.put(key, (compiled, None if in_order else plan))
        return compiled, True
    template, plan = entry
    compiled = Compiled.__new__(Compiled)
    compiled.sql = template.sql
    compiled.dialect_name = template.dialect_name
    compiled.result_keys = template.result_keys
    compiled.result_processors = template.result_processors
    compiled.entity_slices = template.entity_slices
    compiled._proc_items = template._proc_items
    compiled._statement_ref = None
    if plan is None:
        compiled.binds = key_binds
    else:
        binds = []
        for n, tb in zip(plan, template.binds):
            if n >= 0:
                binds.append(key_binds[n])
            else:  # LIMIT / OFFSET: the new statement's number
                value = stmt._limit if n == -1 else stmt._offset
                binds.append(BindParameter(None, int(value), tb.type, tb.describes))
        compiled.binds = binds
    compiled.statement = stmt
    return compiled, True


def compile_with_options(
    stmt: ClauseElement, dialect: Dialect | None, compile_kwargs: Mapping[str, Any]
) -> Compiled:
    """Compile with SQLAlchemy's ``compile_kwargs`` (only ``literal_binds``), uncached."""
    unknown = set(compile_kwargs) - {"literal_binds"}
    if unknown:
        raise exc.ArgumentError(f"compile_kwargs {sorted(unknown)} are not supported")
    if dialect is None:
        dialect = _default_dialect()
    compiler = Compiler(dialect)
    compiler.literal_binds = bool(compile_kwargs.get("literal_binds"))
    sql = compiler.process(stmt)
    if compiler.ctes:
        sql, compiler.binds = compiler.with_clause(sql)
    compiled = Compiled(sql, compiler.binds, dialect.name)
    compiled.result_keys = compiler.result_keys
    compiled.result_processors = compiler.result_processors
    compiled.entity_slices = compiler.entity_slices
    compiled.statement = stmt
    return compiled


def render_literal(value: Any) -> str:
    """A Python value as SQL literal text (for ``literal_binds`` display only)."""
    import datetime as dt
    import decimal
    import uuid

    if value is None:
        return "NULL"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float, decimal.Decimal)):
        return repr(value) if not isinstance(value, decimal.Decimal) else str(value)
    if isinstance(value, (str, dt.date, dt.time, uuid.UUID)):
        text = value.isoformat(" ") if isinstance(value, dt.datetime) else str(value)
        return "'" + text.replace("'", "''") + "'"
    raise exc.ArgumentError(
        f"literal_binds cannot render a {type(value).__name__} value; compile without it"
    )


def compiles_dispatcher(obj: Any) -> Any:
    """The `uow_orm.ext.compiler` registrations in front of ``obj``'s class (its own or a
    base class's), or None: what ``compiler.visit_<name>(obj)`` goes around."""
    for klass in type(obj).__mro__:
        dispatcher = klass.__dict__.get("_uow_compiles")
        if dispatcher is not None:
            return dispatcher
    return None


class Compiler:
    """One compilation: walks the element tree, collecting bound parameters in order."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.dialect_name = dialect.name
        self.paramstyle = dialect.paramstyle
        self.placeholder = dialect.placeholder
        self.quote = dialect.quote
        #: ``schema_translate_map`` of the connection compiled for (None: none)
        self.schema_map = dialect.schema_translate_map
        self.binds: list[BindParameter] = []
        self.in_columns_clause = False
        self.qualify = True
        self.result_keys: list[str] | None = None
        self.result_processors: list[Any] | None = None
        self.entity_slices: list[tuple[Any, int, int]] = []
        self._depth = 0
        self._enclosing_froms: list[list[Any]] = []
        #: Set by compile_statement when the statement has too many parameters.
        self.collapse_in_lists = False
        # (columns, froms) of the SELECTs whose ORDER BY / GROUP BY is being compiled
        self._label_scopes: list[tuple[list[Any], list[Any]]] = []
        self._anon_names: dict[int, str] = {}
        #: CTEs met so far, by origin: (cte, "name AS (body)", body parameters)
        self.ctes: dict[int, Any] = {}
        #: per SELECT being compiled, its cte(nesting=True) CTEs (same shape as ``ctes``)
        self._nested_ctes: list[dict[int, Any]] = []
        #: ids of the labels ORDER BY may name (None: outside any SELECT)
        self.order_by_labels: set[int] | None = None
        self._anon_counts: dict[str, int] = {}
        self.bind_names: dict[int, str] = {}
        #: printing: the type an untyped bindparam() takes from what it is compared with
        self.bind_types: dict[int, Any] = {}
        #: the outermost SELECT's options that also filter the SELECTs nested in it
        #: (``with_loader_criteria``: subqueries, EXISTS, IN, scalar subqueries, CTEs)
        self.nested_options: list[Any] = []
        #: False once SQL was added that the statement's cache key does not describe
        #: (criteria of nested SELECTs): the result is then not cached
        self.cacheable = True

    #: printing (`display_form`): "named" / "qmark" / "pyformat" placeholders with names;
    #: None when compiling for execution
    display: str | None = None
    #: ``str(stmt)``: SQLAlchemy's generic string dialect rather than SQLite's SQL
    string_dialect = False
    #: the separator before FROM / WHERE / HAVING (SQLAlchemy's line break when printing)
    nl = " "
    #: printing: the anonymous parameter name of a function's arguments (``lower_1``)
    bind_base: str | None = None
    #: printing: the next SELECT is a FROM subquery / CTE body (plain columns get labels)
    label_columns = False
    #: executing: the next SELECT is the body of this FROM subquery / CTE, whose columns
    #: (``_sources``: id of a selected expression -> its subquery column) name what it
    #: selects: an expression without a name of its own (``count(x)``, ``x + 1``) is
    #: written ``AS`` that name, which the enclosing SELECT reads
    subquery_columns: dict[int, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        # ``compiler.visit_insert(element)`` in a @compiles function (uow_orm.ext.compiler):
        # the element's own SQL, without the functions registered for its class
        if not name.startswith("visit_"):
            raise AttributeError(name)

        def visit(element: Any, **kw: Any) -> str:
            if kw:
                raise exc.ArgumentError(
                    f"compiler.{name}() got keyword(s) {', '.join(sorted(kw))}, which "
                    "uow_orm's compiler does not take"
                )
            dispatcher = compiles_dispatcher(element)
            if dispatcher is not None:
                return dispatcher.original(element, self)  # type: ignore[no-any-return]
            return self.process(element)

        return visit

    def anon_name(self, base: str) -> str:
        """``<base>_<n>``: SQLAlchemy's anonymous name, numbered per base in this statement."""
        n = self._anon_counts.get(base, 0) + 1
        self._anon_counts[base] = n
        return f"{base}_{n}"

    def process(
        self, element: Any, *, nested: bool = False, asfrom: bool = False, subquery: bool = False
    ) -> str:
        """The SQL of ``element`` (a Python value becomes a bound parameter); ``nested`` wraps
        it in parentheses where its operator needs them.
        """
        el = element
        if not isinstance(el, ClauseElement):
            el = coerce_expression(el)
        if nested and _needs_parens(el):
            return "(" + el._compile(self) + ")"
        return el._compile(self)

    def _columns_clause(
        self, columns: list[Any], style: Any = None, named: dict[int, Any] | None = None
    ) -> str:
        """The SELECT list; a column whose name an earlier one has is labelled
        (``address.id AS id_1``), as its subquery column is keyed; ``style`` is the
        statement's `SelectLabelStyle` when not the default; ``named``: the
        `subquery_columns` of the subquery this SELECT is the body of."""
        from .selectable import disambiguated_name

        seen: set[str] = set()
        parts = []
        for c in columns:
            sql = self.process(c)
            label = (
                disambiguated_name(c, seen) if style is None else disambiguated_name(c, seen, style)
            )
            if label is None and named and not isinstance(c, Label):
                sc = named.get(id(c))
                if sc is not None and _plain_column_name(c) is None:
                    label = sc.name  # (``count(x) AS count``: the name anon_1.count reads)
            parts.append(sql if label is None else f"{sql} AS {self.quote(label)}")
        return ", ".join(parts)

    # -- WITH ----------------------------------------------------------------------------
    def cte(self, cte: Any) -> str:
        """A CTE referenced in FROM: its name here, its body into the WITH clause."""
        origin = cte._origin
        name = self.from_name(origin)
        key = id(origin)
        # cte(nesting=True): into the WITH of the innermost SELECT being compiled
        ctes = self._nested_ctes[-1] if origin.nesting and self._nested_ctes else self.ctes
        if key not in ctes:
            ctes[key] = None  # in progress: a recursive reference is just the name
            outer_binds, self.binds = self.binds, []
            self._depth += 1
            self.label_columns = self.display is not None
            if self.display is None:
                self.subquery_columns = getattr(origin, "_sources", None)
            try:
                body = self.process(cte.select, subquery=True)
            finally:
                self._depth -= 1
                self.label_columns = False
                self.subquery_columns = None
                body_binds, self.binds = self.binds, outer_binds
            cols = ""
            if cte.recursive:
                cols = "(" + ", ".join(self.quote(c.key) for c in cte.c) + ")"
            as_ = " AS \n(" if self.display is not None else " AS ("
            # after the CTEs its body uses (PostgreSQL needs them defined first)
            del ctes[key]
            ctes[key] = (cte, f"{self.quote(name)}{cols}{as_}{body})", body_binds)
        return self.quote(name)

    def with_clause(
        self, sql: str, ctes: dict[int, Any] | None = None, binds_after: list[Any] | None = None
    ) -> tuple[str, list[BindParameter]]:
        """``WITH [RECURSIVE] a AS (...), b AS (...) <sql>`` and the parameters in order
        (the statement's, or of ``ctes`` followed by ``binds_after``)."""
        entries = [e for e in (self.ctes if ctes is None else ctes).values() if e is not None]
        recursive = any(cte.recursive for cte, _, _ in entries)
        binds: list[BindParameter] = []
        for _, _, b in entries:
            binds.extend(b)
        binds.extend(self.binds if binds_after is None else binds_after)
        head = "WITH RECURSIVE " if recursive else "WITH "
        if self.display is not None:
            return head + ", \n".join(t for _, t, _ in entries) + "\n " + sql, binds
        return head + ", ".join(text for _, text, _ in entries) + " " + sql, binds

    literal_binds = False

    def bind(self, bind: BindParameter) -> str:
        """The placeholder for ``bind``, recording it in parameter order (its value as a literal
        under ``literal_binds``; on PostgreSQL with a cast for types that need one).
        """
        if self.literal_binds and bind.value is not _REQUIRED:
            return render_literal(bind.value)
        if self.display is not None:
            return self._display_bind(bind, self.bind_name(bind))
        self.binds.append(bind)
        if bind.type.render_bind_cast and self.dialect_name == "postgresql":
            # psycopg types a list by its items (int2[] for small ints), and PostgreSQL has
            # no integer[] = int2[] operator: name the column's array type.
            return f"{self.placeholder}::{bind.type.ddl(self.dialect_name)}"
        return self.placeholder

    def bind_name(self, bind: BindParameter, base: str | None = None) -> str:
        """Printing: ``bind``'s placeholder name (its key, else ``<base>_<n>``)."""
        names = self.bind_names
        name: str | None = names.get(id(bind))
        if name is None:
            if bind.key is not None:
                name = bind.key
            else:
                if base is None:
                    d = bind.describes
                    if d and d not in ("LIMIT", "OFFSET"):
                        base = d.rpartition(".")[2]
                    else:
                        base = self.bind_base or "param"
                name = self.anon_name(base)
            names[id(bind)] = name
        return name

    def _display_bind(self, bind: BindParameter, name: str) -> str:
        self.binds.append(bind)
        if self.display == "named":
            return ":" + name
        if self.display == "qmark":
            return "?"
        type_ = self.bind_types.get(id(bind), bind.type)
        return f"%({name})s" + _pg_bind_cast(type_, self.dialect_name)

    def expanding_bind(self, bind: BindParameter, name: str) -> str:
        """Printing: an IN list as SQLAlchemy prints it, ``(__[POSTCOMPILE_<name>])``."""
        self.bind_names[id(bind)] = name
        self.binds.append(bind)
        return f"(__[POSTCOMPILE_{name}])"

    def from_name(self, from_: Any) -> str:
        """The name a FROM clause goes by in this statement: given, or ``users_1``/``anon_1``."""
        name: str | None = getattr(from_, "_explicit_name", None)
        if name is not None:
            return name
        hit = self._anon_names.get(id(from_))
        if hit is None:
            base = getattr(from_, "_anon_base", None)
            if base is None:
                element = getattr(from_, "element", None)
                base = getattr(element, "name", None) if element is not None else None
                base = base if isinstance(base, str) else "anon"
            hit = self._anon_names[id(from_)] = self.anon_name(base)
        return hit

    def column(self, col: TableColumn) -> str:
        """A column's name, qualified by its table's name when the statement qualifies columns."""
        if self.qualify and col.table is not None:
            return f"{self.quote(col.table.name)}.{self.quote(col.name)}"
        return self.quote(col.name)

    # -- SELECT ------------------------------------------------------------------------
    def select(self, stmt: Select[Any]) -> str:
        """The SQL of a ``Select`` (the outermost one also sets the result keys and converters)."""
        toplevel = self._depth == 0
        if toplevel:
            if stmt._options:
                self.nested_options = [
                    o for o in stmt._options if hasattr(o, "_apply_to_nested_select")
                ]
        elif self.nested_options:
            stmt = self._nested_criteria(stmt)
        # cte(nesting=True) goes into this SELECT's own WITH, unless it is the whole
        # statement (its WITH is the statement's) or a member of a union (the union's)
        own_with = not toplevel and not self._compound_member
        self._compound_member = False
        self._depth += 1
        try:
            return self._with_nested(lambda: self._select(stmt, toplevel), own_with)
        finally:
            self._depth -= 1

    _compound_member = False

    def _nested_criteria(self, stmt: Select[Any]) -> Select[Any]:
        """A SELECT nested in the statement, with the outermost SELECT's loader criteria
        for the entities it reads (as SQLAlchemy applies them to every occurrence)."""
        froms = self._uncorrelated(stmt, stmt._froms())
        out: Select[Any] = self.nested_options[0]._apply_to_nested_select(
            stmt, self.nested_options, froms
        )
        if out is not stmt:
            self.cacheable = False
        return out

    def _with_nested(self, build: Any, own_with: bool) -> str:
        """``build()``'s SQL, prefixed with the WITH of the ``cte(nesting=True)`` CTEs it
        used when ``own_with``; their parameters go before the statement's own."""
        if not own_with:
            return build()  # type: ignore[no-any-return]
        start = len(self.binds)
        self._nested_ctes.append({})
        try:
            sql: str = build()
        finally:
            nested = self._nested_ctes.pop()
        if any(e is not None for e in nested.values()):
            sql, binds = self.with_clause(sql, nested, self.binds[start:])
            self.binds[start:] = binds
        return sql

    def _select(self, stmt: Select[Any], toplevel: bool) -> str:
        columns, keys, slices = self._select_entities(stmt)
        style = _label_style_of(stmt, toplevel)
        if style is not None and toplevel:
            keys = _styled_keys(columns, keys, slices, style)
        where = stmt._where
        single = _single_table_criteria(stmt)
        if single:
            where = [*where, *single]
        froms = stmt._froms()
        if self._enclosing_froms:
            froms = self._uncorrelated(stmt, froms)
        label_plain, self.label_columns = self.label_columns, False
        named, self.subquery_columns = self.subquery_columns, None
        nl = self.nl
        self._enclosing_froms.append(froms)
        try:
            outer_flag, self.in_columns_clause = self.in_columns_clause, True
            if self.display is None:
                cols_sql = self._columns_clause(columns, style, named)
            else:
                cols_sql = self._display_columns(columns, label_plain, style)
            self.in_columns_clause = outer_flag
            sql = "SELECT " + self._distinct(stmt) + cols_sql
            outer_labels, self.order_by_labels = self.order_by_labels, _NO_LABELS
            if froms:
                sql += nl + "FROM " + ", ".join(self.process(f, asfrom=True) for f in froms)
            if where:
                sql += nl + "WHERE " + self._conjunction(where)
            if stmt._group_by or stmt._order_by or stmt._having:
                sql += self._group_having_order(stmt, columns, froms)
            self.order_by_labels = outer_labels
        finally:
            self._enclosing_froms.pop()
        if stmt._limit is not None or stmt._offset is not None:
            sql += self._select_limit_offset(stmt)
        if stmt._for_update is not None and (
            self.dialect.supports_for_update or self.string_dialect
        ):
            sql += self._for_update_clause(stmt._for_update)
        if toplevel:
            self.result_keys = keys if not stmt._eager_columns else None
            dialect_name = self.dialect_name
            self.result_processors = [
                None if (t := getattr(c, "type", None)) is None else t._result(dialect_name)
                for c in columns
            ]
            self.entity_slices = slices
        return sql

    def _select_entities(
        self, stmt: Select[Any]
    ) -> tuple[list[Any], list[str], list[tuple[Any, int, int]]]:
        """The columns clause of a SELECT: (the column expressions, the result keys, and
        per entity (the entity or None, first column, end) its slice of the columns); a
        mapped class, `Bundle` or ``aliased()`` entity stands for several columns."""
        from .selectable import _entity_table

        columns: list[Any] = []
        keys: list[str] = []
        slices: list[tuple[Any, int, int]] = []
        for e in stmt._entities:
            table = _entity_table(e)
            if table is not None:
                cols = e.__mapper__.entity_columns(stmt._options)[0]
                slices.append((e, len(columns), len(columns) + len(cols)))
                columns.extend(cols)
                keys.append(e.__name__)
                continue
            bundle_cols = getattr(e, "_bundle_columns", None)
            if bundle_cols is not None:  # Bundle("name", col, ...): one value of many columns
                slices.append((e, len(columns), len(columns) + len(bundle_cols)))
                columns.extend(bundle_cols)
                keys.append(e.name)
                continue
            aliased_cols = getattr(e, "_aliased_columns", None)
            if aliased_cols is not None:  # aliased(User): the mapper's columns, via the alias
                slices.append((e, len(columns), len(columns) + len(aliased_cols)))
                columns.extend(aliased_cols)
                keys.append(e._result_key)
                continue
            el = coerce_expression(e)
            if hasattr(el, "_column_list") and getattr(el, "is_from", False):
                cols = el._select_columns()  # type: ignore[attr-defined]
                slices.append((None, len(columns), len(columns) + len(cols)))
                columns.extend(cols)
                keys.extend(getattr(c, "key", None) or "?" for c in cols)
                continue
            slices.append((None, len(columns), len(columns) + 1))
            columns.append(el)
            keys.append(getattr(el, "key", None) or getattr(el, "name", None) or f"col_{len(keys)}")
        if stmt._eager_columns:  # (the columns of joined eager loads)
            columns.extend(stmt._eager_columns)
        return columns, keys, slices

    def _uncorrelated(self, stmt: Select[Any], froms: list[Any]) -> list[Any]:
        """A subquery's FROM list without the FROM items it correlates to the enclosing
        statement: those the enclosing SELECTs have too (auto-correlation, unless that
        leaves no FROM), or as ``correlate()`` / ``correlate_except()`` say."""
        outer = [t for fl in self._enclosing_froms for f in fl for t in f._tables()]
        correlated = [f for f in froms if any(f is o for o in outer)]
        only = getattr(stmt, "_correlate", None)
        if only is not None:  # correlate(...): exactly these (none for correlate(None))
            correlated = [f for f in correlated if any(f is c for c in only)]
        not_these = getattr(stmt, "_correlate_except", None)
        if not_these is not None:
            correlated = [f for f in correlated if not any(f is c for c in not_these)]
        explicit = only is not None or not_these is not None
        if correlated and (explicit or len(correlated) < len(froms)):
            return [f for f in froms if not any(f is c for c in correlated)]
        return froms

    def _group_having_order(self, stmt: Select[Any], columns: list[Any], froms: list[Any]) -> str:
        """GROUP BY, HAVING and ORDER BY of a SELECT; GROUP BY and ORDER BY may name the
        labels of its columns clause (``_label_scopes``)."""
        nl = self.nl
        if not (stmt._group_by or stmt._order_by):
            return nl + "HAVING " + self._conjunction(stmt._having)
        sql = ""
        self._label_scopes.append((columns, froms))
        try:
            if stmt._group_by:
                sql += " GROUP BY " + ", ".join(self.process(c) for c in stmt._group_by)
            if stmt._having:
                sql += nl + "HAVING " + self._conjunction(stmt._having)
            if stmt._order_by:
                # ORDER BY a selected label() writes its name
                self.order_by_labels = {id(c) for c in columns if type(c) is Label}
                sql += " ORDER BY " + ", ".join(self.process(c) for c in stmt._order_by)
        finally:
            self._label_scopes.pop()
        return sql

    def _select_limit_offset(self, stmt: Select[Any]) -> str:
        """A SELECT's LIMIT / OFFSET, as bound parameters named ``LIMIT`` / ``OFFSET``
        (SQLite needs a LIMIT before an OFFSET); `_limit_offset` is a compound SELECT's."""
        from ..types import Integer

        sql = ""
        if self.display is not None:
            sql += " \n" if self.dialect_name == "postgresql" else "\n"
        if stmt._limit is not None:
            sql += " LIMIT " + self.bind(BindParameter(None, int(stmt._limit), Integer(), "LIMIT"))
        elif self.dialect_name == "sqlite":
            sql += " LIMIT -1"
        if stmt._offset is not None:
            sql += " OFFSET " + self.bind(
                BindParameter(None, int(stmt._offset), Integer(), "OFFSET")
            )
        elif self.display == "qmark" and self.dialect_name == "sqlite":
            sql += " OFFSET " + self.bind(BindParameter(None, 0, Integer()))
        return sql

    def _for_update_clause(self, fu: dict[str, Any]) -> str:
        """FOR UPDATE / FOR SHARE / FOR [NO] KEY ... with OF, NOWAIT and SKIP LOCKED."""
        from .selectable import _entity_table

        if fu.get("key_share"):
            sql = " FOR KEY SHARE" if fu["read"] else " FOR NO KEY UPDATE"
        else:
            sql = " FOR SHARE" if fu["read"] else " FOR UPDATE"
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
        if fu["skip_locked"]:
            sql += " SKIP LOCKED"
        return sql

    def _display_columns(self, columns: list[Any], label_plain: bool, style: Any = None) -> str:
        """Printing: the columns clause with SQLAlchemy's labels (``count(x) AS count_1``,
        ``anon_1`` for other expressions; plain columns of a FROM subquery ``AS name``)."""
        from .elements import Cast, Function, LiteralColumn, TextClause, TypeCoerce, WithinGroup
        from .selectable import ColumnClause, disambiguated_name

        out = []
        seen: dict[str, Any] = {}
        keys_seen: set[str] = set()
        styled = () if style is None else (style,)
        table_plus_col = style is not None and style.value == 1
        for c in columns:
            label: str | None = None
            # the label the executed SQL gives a repeated name (subqueries key columns by it)
            executed = disambiguated_name(c, keys_seen, *styled)
            if executed is not None and table_plus_col:  # every table column labelled
                out.append(f"{self.process(c)} AS {self.quote(executed)}")
                continue
            if isinstance(c, (Label, TextClause, LiteralColumn)) or (
                isinstance(c, ColumnClause) and c.table is None
            ):
                # (a table-less column("x"), or a ColumnClause subclass a @compiles
                # function writes: named by itself, unlabelled, as SQLAlchemy prints it)
                out.append(self.process(c))
                continue
            name = _plain_column_name(c)
            if name is not None and styled and not table_plus_col:  # LABEL_STYLE_NONE
                label = name if label_plain else None
            elif name is not None:
                label = self._display_column_label(c, name, executed, seen, label_plain)
            elif isinstance(c, (Cast, TypeCoerce)) and _plain_column_name(c.element) is not None:
                name = _plain_column_name(c.element)
                assert name is not None
                label = name if name not in seen else f"{name}__1"
                seen[label] = c
            elif isinstance(c, Function):
                label = self.anon_name("anon" if c._anonymous_label else c.name)
            elif isinstance(c, WithinGroup) and isinstance(c.element, Function):
                label = self.anon_name(c.element.name)
            else:
                label = self.anon_name("anon")
            sql = self.process(c)
            out.append(sql if label is None else f"{sql} AS {self.quote(label)}")
        return ", ".join(out)

    def _display_column_label(
        self, c: Any, name: str, executed: str | None, seen: dict[str, Any], label_plain: bool
    ) -> str | None:
        """Printing: the label of a plain column named ``name`` (None: unlabelled), with
        ``executed`` the label the executed SQL gives it; records it in ``seen``."""
        first = seen.get(name)
        if first is None:
            seen[name] = c
            return name if label_plain else None
        if first is c:
            n = 1
            while f"{name}__{n}" in seen:
                n += 1
            label = f"{name}__{n}"
        elif executed is not None:
            label = executed
            base, _, number = executed.rpartition("_")
            if number.isdigit():  # SQLAlchemy numbers it with the anonymous names
                count = max(self._anon_counts.get(base, 0), int(number))
                self._anon_counts[base] = count
        else:
            label = self.anon_name(name)
        seen[label] = c
        return label

    def label_reference(self, name: str) -> str:
        """SQL for a string in ORDER BY / GROUP BY: a label, else a column, of the SELECT."""
        if self._label_scopes:
            columns, froms = self._label_scopes[-1]
            for c in columns:
                if isinstance(c, Label) and c.name == name:
                    return self.quote(name)
            for c in columns:
                if not isinstance(c, Label) and name in (
                    getattr(c, "key", None),
                    getattr(c, "name", None),
                ):
                    return self.process(c)
            for f in froms:
                for c in f._column_list():
                    if name in (getattr(c, "key", None), getattr(c, "name", None)):
                        return self.process(c)
        raise exc.CompileError(
            f"can't resolve label reference {name!r} for ORDER BY / GROUP BY: the statement "
            f"has no label or column named {name!r}; use a column, or text({name!r}) for "
            "literal SQL"
        )

    def full_outer_join(self) -> str:
        """The ``FULL OUTER JOIN`` keyword, or a clear refusal where the backend lacks it."""
        if not self.dialect.supports_full_outer_join and not self.string_dialect:
            raise exc.CompileError(
                f"{self.dialect_name} {self.dialect.server_version} does not support FULL "
                "OUTER JOIN (SQLite has it from 3.39); use PostgreSQL, a newer SQLite, or a "
                "UNION of two LEFT OUTER JOINs"
            )
        return "FULL OUTER JOIN"

    def compound(self, stmt: Any) -> str:
        """``SELECT .. UNION SELECT ..``: members need no parentheses unless they carry
        their own ORDER BY / LIMIT (SQLite takes those only as a subquery)."""
        if stmt.keyword.endswith(" ALL") and stmt.keyword != "UNION ALL":
            if self.dialect_name == "sqlite" and not self.string_dialect:
                raise exc.NotSupportedError(f"SQLite has no {stmt.keyword}")
        toplevel = self._depth == 0
        return self._with_nested(lambda: self._compound(stmt, toplevel), not toplevel)

    def _compound(self, stmt: Any, toplevel: bool) -> str:
        from .selectable import Select

        parts = []
        label_plain, self.label_columns = self.label_columns, False
        for n, member in enumerate(stmt.selects):
            self._depth += 1
            self._compound_member = isinstance(member, Select)
            self.label_columns = label_plain
            try:
                inner = self.process(member, subquery=True)
            finally:
                self._depth -= 1
                self._compound_member = False
            if n == 0 and toplevel:
                self._compound_result(member)
            own = getattr(member, "_order_by", None) or getattr(member, "_limit", None) is not None
            own = own or getattr(member, "_offset", None) is not None
            if isinstance(member, type(stmt)) or own:
                if self.dialect_name == "sqlite":
                    inner = f"SELECT * FROM ({inner})"
                else:
                    inner = f"({inner})"
            parts.append(inner)
        sql = f" {stmt.keyword} ".join(parts)
        if stmt._order_by:
            sql += " ORDER BY " + ", ".join(self.process(c) for c in stmt._order_by)
        limits = self._limit_offset(stmt)
        if limits and self.display is not None:
            sql += " \n" if self.dialect_name == "postgresql" else "\n"
        return sql + limits

    def _compound_result(self, first: Any) -> None:
        # result keys and types come from the first SELECT
        from .selectable import Select

        if isinstance(first, Select):
            sub = Compiler(self.dialect)
            sub.string_dialect = self.string_dialect
            sub._select(first, True)
            self.result_keys = sub.result_keys
            self.result_processors = sub.result_processors
            self.entity_slices = sub.entity_slices
        else:
            self._compound_result(first.selects[0])

    def _limit_offset(self, stmt: Any) -> str:
        from ..types import Integer

        sql = ""
        if stmt._limit is not None:
            sql += " LIMIT " + self.bind(BindParameter(None, int(stmt._limit), Integer()))
        elif stmt._offset is not None and self.dialect_name == "sqlite":
            sql += " LIMIT -1"
        if stmt._offset is not None:
            sql += " OFFSET " + self.bind(BindParameter(None, int(stmt._offset), Integer()))
        elif sql and self.display == "qmark" and self.dialect_name == "sqlite":
            sql += " OFFSET " + self.bind(BindParameter(None, 0, Integer()))  # as SQLAlchemy
        return sql

    def _distinct(self, stmt: Select[Any]) -> str:
        on = getattr(stmt, "_distinct_on", None)
        if on and self.string_dialect:
            return "DISTINCT "  # SQLAlchemy's default dialect prints no ON (...)
        if on:
            if self.dialect_name != "postgresql" and not self.string_dialect:
                raise exc.NotSupportedError(
                    f"DISTINCT ON (select().distinct(col)) needs PostgreSQL, not "
                    f"{self.dialect_name}; use group_by() or a window function"
                )
            return "DISTINCT ON (" + ", ".join(self.process(c) for c in on) + ") "
        return "DISTINCT " if stmt._distinct else ""

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
        # UPDATE .. FROM / DELETE .. USING: other tables are in scope, names stay qualified;
        # printed, qualified as SQLAlchemy prints it (but on SQLite)
        table = getattr(stmt, "table", None)
        self.qualify = any(
            f is not table for w in getattr(stmt, "_where", ()) for f in w._from_objects()
        ) or (self.display is not None and (self.string_dialect or self.dialect_name != "sqlite"))
        try:
            return " RETURNING " + ", ".join(self.process(c) for c in cols)
        finally:
            self.qualify = True

    def _value(self, col: TableColumn, value: Any) -> str:
        if isinstance(value, ClauseElement) and not isinstance(value, BindParameter):
            # a subquery's columns are qualified even among INSERT's bare column names
            outer, self.qualify = self.qualify, True
            try:
                if getattr(value, "is_select", False):  # a SELECT as a value: scalar subquery
                    return "(" + self.process(value, subquery=True) + ")"
                return self.process(value)
            finally:
                self.qualify = outer
        if isinstance(value, BindParameter):
            if value.type is None or type(value.type).__name__ == "NullType":
                value.type = col.type
            return self.bind(value)
        return self.bind(BindParameter(col.key, value, col.type))

    def _default_bind(self, col: TableColumn, value: Any) -> str:
        if callable(value):
            return self.bind(DefaultBindParameter(col.key, value, col.type))
        return self.bind(BindParameter(col.key, value, col.type))

    def _insert_from_select(self, stmt: InsertStatement) -> str:
        cols, select = stmt._from_select  # type: ignore[misc]
        defaults = []
        if getattr(stmt, "_include_defaults", True):
            given = set(cols)  # (columns by identity: a type's comparator may make == SQL)
            defaults = [
                c
                for c in stmt.table.c
                if c.default is not None and not callable(c._default_arg) and c not in given
            ]
        names = [self.quote(c.name) for c in cols + defaults]
        # scalar defaults ride along as constant columns (their placeholders come first)
        extra = ", ".join(self.bind(BindParameter(c.key, c._default_arg, c.type)) for c in defaults)
        self._depth += 1
        try:
            body = self.process(select, subquery=True)
        finally:
            self._depth -= 1
        if defaults:
            body = f"SELECT *, {extra} FROM ({body}) AS anon_defaults"
        target = stmt.table._quoted(self.quote, self.schema_map)
        return f"INSERT INTO {target} ({', '.join(names)}) {body}"

    def insert(self, stmt: InsertStatement) -> str:
        """The SQL of an ``Insert``."""
        if getattr(stmt, "_from_select", None) is not None:
            sql = self._insert_from_select(stmt)
            on_conflict = getattr(stmt, "_on_conflict", None)
            if on_conflict is not None:
                sql += on_conflict.compile(self)
            return sql + self._returning(stmt)
        table = stmt.table
        rows = stmt._multi_values if stmt._multi_values is not None else [stmt._values or {}]
        if self.display is not None:
            rows = self._display_rows(stmt, rows)
        # each column once, first seen first; a dict tests columns by identity (``c in
        # list`` would call their ``==``, which a type's comparator may turn into SQL)
        cols: list[TableColumn] = (
            list(rows[0]) if len(rows) == 1 else list(dict.fromkeys([c for r in rows for c in r]))
        )
        if self.display is not None:
            # printed in SQLAlchemy's order, the table's (the flush sends its values in the
            # order it built them, positionally)
            cols = _in_table_order(table, cols)
        defaults = []
        if stmt._column_defaults:
            given = set(cols)
            defaults = [c for c in table.c if c.default is not None and c not in given]
        self.qualify = False
        try:
            names = [self.quote(c.name) for c in cols + defaults]
            sql = f"INSERT INTO {table._quoted(self.quote, self.schema_map)}"
            if not names:
                sql += " DEFAULT VALUES" if self.dialect_name != "mysql" else " () VALUES ()"
            else:
                groups = []
                for r in rows:
                    vals = [
                        self._value(c, r[c])
                        if c in r
                        else (
                            self._default_bind(c, c._default_arg)
                            if c.default is not None
                            else "NULL"
                        )
                        for c in cols
                    ]
                    vals += [self._default_bind(c, c._default_arg) for c in defaults]
                    groups.append("(" + ", ".join(vals) + ")")
                sql += " (" + ", ".join(names) + ") VALUES " + ", ".join(groups)
        finally:
            self.qualify = True
        on_conflict = getattr(stmt, "_on_conflict", None)
        if on_conflict is not None:
            sql += on_conflict.compile(self)
        if self.display is not None:
            sql += self._implicit_returning(stmt, rows)
        return sql + self._returning(stmt)

    def _implicit_returning(self, stmt: Any, rows: Sequence[Any]) -> str:
        """Printing: the ``RETURNING`` of the new primary key that SQLAlchemy's PostgreSQL
        dialect adds to a one-row INSERT without one."""
        if self.dialect_name != "postgresql" or self.string_dialect or len(rows) != 1:
            return ""
        if stmt._returning_columns():
            return ""
        table = stmt.table
        pk = list(getattr(table, "primary_key", ()))
        if len(pk) == 1 and pk[0] not in rows[0] and pk[0].is_autoincrement:
            return (
                f" RETURNING {table._quoted(self.quote, self.schema_map)}.{self.quote(pk[0].name)}"
            )
        return ""

    def _display_rows(self, stmt: InsertStatement, rows: Sequence[Any]) -> Sequence[Any]:
        """Printing: SQLAlchemy's parameter names for an INSERT (every column as ``:name``
        without values; ``:name_m0``, ``:name_m1`` per row of a multi-row VALUES)."""
        if len(rows) == 1 and not rows[0] and stmt._multi_values is None:
            return [
                {
                    c: BindParameter(c.key, _REQUIRED, c.type)
                    for c in stmt.table.c
                    if not getattr(c, "_omit_from_statements", False)  # insert_sentinel()
                }
            ]
        if len(rows) > 1:
            return [
                {
                    c: BindParameter(f"{c.key}_m{n}", v, c.type)
                    if not isinstance(v, ClauseElement)
                    else v
                    for c, v in r.items()
                }
                for n, r in enumerate(rows)
            ]
        return rows

    def update(self, stmt: WriteStatement) -> str:
        # subqueries in SET and WHERE correlate to the updated table
        """The SQL of an ``Update``."""
        self._enclosing_froms.append([stmt.table])
        try:
            return self._update(stmt)
        finally:
            self._enclosing_froms.pop()

    def _update(self, stmt: WriteStatement) -> str:
        table = stmt.table
        values = dict(stmt._values or {})
        onupdate = (
            [c for c in table.c if c.onupdate is not None and c not in values]
            if stmt._column_defaults
            else []
        )
        if not values and not onupdate:
            raise exc.ArgumentError(f"update({table.name}) has no values to set; use .values()")
        sets = []
        items = values.items()
        if self.display is not None and not getattr(
            stmt, "_ordered", False
        ):  # printed in the table's order
            order = {c: n for n, c in enumerate(_in_table_order(table, list(values)))}
            items = sorted(items, key=lambda kv: order[kv[0]])  # type: ignore[assignment]
        for c, v in items:
            self.qualify = False
            target = self.quote(c.name)
            self.qualify = True
            if self.display is None:
                sets.append(f"{target} = {self._value(c, v)}")
            else:  # as SQLAlchemy prints it: x=:x, x=(x + :x_1)
                value = self._value(c, v)
                if isinstance(v, BinaryExpression):
                    value = f"({value})"
                sets.append(f"{target}={value}")
        for c in onupdate:
            # A callable onupdate runs per execution (in construct_params), not once here.
            value = (
                self._default_bind(c, c.onupdate)
                if c._onupdate_is_callable
                else self._value(c, c.onupdate)
            )
            sets.append(f"{self.quote(c.name)}{' = ' if self.display is None else '='}{value}")
        sql = f"UPDATE {table._quoted(self.quote, self.schema_map)} SET " + ", ".join(sets)
        extra = self._extra_froms(stmt, list(values.values()))
        if extra:
            if self.dialect_name == "sqlite" and _sqlite_version() < (3, 33):
                raise exc.NotSupportedError("UPDATE .. FROM needs SQLite 3.33 or later")
            sql += " FROM " + ", ".join(self.process(f, asfrom=True) for f in extra)
        where = _dml_where(stmt)
        if where:
            sql += " WHERE " + self._conjunction(where)
        return sql + self._returning(stmt)

    def _extra_froms(self, stmt: Any, values: list[Any]) -> list[Any]:
        """Tables other than the target that the WHERE (or SET) clause names: UPDATE .. FROM
        / DELETE .. USING."""
        target = stmt.table
        out: list[Any] = []
        for el in [*stmt._where, *values]:
            if not isinstance(el, ClauseElement):
                continue
            for f in el._from_objects():
                if f is target or getattr(f, "is_select", False):
                    continue
                if not any(f is o for o in out):
                    out.append(f)
        return out

    def delete(self, stmt: WriteStatement) -> str:
        """The SQL of a ``Delete``."""
        self._enclosing_froms.append([stmt.table])
        try:
            return self._delete(stmt)
        finally:
            self._enclosing_froms.pop()

    def _delete(self, stmt: WriteStatement) -> str:
        sql = f"DELETE FROM {stmt.table._quoted(self.quote, self.schema_map)}"
        extra = self._extra_froms(stmt, [])
        if extra and self.string_dialect:  # as SQLAlchemy's default dialect prints it
            sql += " , " + ", ".join(self.process(f, asfrom=True) for f in extra)
        elif extra:
            if self.dialect_name != "postgresql":
                raise exc.NotSupportedError(
                    f"DELETE .. USING (a WHERE naming other tables) needs PostgreSQL, not "
                    f"{self.dialect_name}; use a subquery: "
                    "delete(t).where(t.c.id.in_(select(...)))"
                )
            sql += " USING " + ", ".join(self.process(f, asfrom=True) for f in extra)
        where = _dml_where(stmt)
        if where:
            sql += " WHERE " + self._conjunction(where)
        return sql + self._returning(stmt)


def _in_table_order(table: Any, cols: list[Any]) -> list[Any]:
    """``cols`` in the order of ``table``'s columns (others after them, as given)."""
    position = {id(c): n for n, c in enumerate(table.c)}
    if all(id(c) in position for c in cols) and len(cols) > 1:
        return sorted(cols, key=lambda c: position[id(c)])
    return cols


def _label_style_of(stmt: Any, toplevel: bool) -> Any:
    """A SELECT's `SelectLabelStyle` when it is not the default, else None; nested, a
    ``LABEL_STYLE_NONE`` SELECT disambiguates (its columns are referred to by name)."""
    style = stmt._label_style
    if style.value == 2:  # LABEL_STYLE_DISAMBIGUATE_ONLY, the default
        return None
    if style.value == 0 and not toplevel:
        return None
    return style


def _styled_keys(
    columns: list[Any], keys: list[str], slices: list[tuple[Any, int, int]], style: Any
) -> list[str]:
    """The result keys of a SELECT labelled in ``style``: a plain column's key is its
    label (``user_account_id``); entities keep theirs."""
    from .selectable import disambiguated_name

    seen: set[str] = set()
    labels = [disambiguated_name(c, seen, style) for c in columns]
    out: list[str] = []
    k = 0
    for entity, start, end in slices:
        if entity is not None:
            out.append(keys[k])
            k += 1
            continue
        for i in range(start, end):
            out.append(labels[i] or keys[k])
            k += 1
    return out


def _plain_column_name(c: Any) -> str | None:
    """A table / alias / subquery column's name (None for other expressions)."""
    from .elements import ColumnElement
    from .selectable import AliasColumn

    name = getattr(c, "name", None)
    if (
        isinstance(name, str)
        and getattr(c, "table", None) is not None
        and isinstance(c, ColumnElement)
        and (not hasattr(c, "element") or isinstance(c, AliasColumn))
    ):
        return name
    return None


def _pg_bind_cast(type_: Any, dialect_name: str) -> str:
    """Printing on PostgreSQL: the ``::TYPE`` SQLAlchemy's psycopg dialect adds to a
    placeholder (strings, integers, dates and times, arrays)."""
    if dialect_name != "postgresql" or type_ is None:
        return ""
    from .. import types as t

    if getattr(type_, "render_bind_cast", False):
        return "::" + str(type_.ddl(dialect_name))
    impl = getattr(type_, "impl", type_)
    if isinstance(impl, t.Enum):
        return ""
    if isinstance(impl, t.String):
        return "::VARCHAR"
    if isinstance(impl, t.BigInteger):
        return "::BIGINT"
    if isinstance(impl, t.SmallInteger):
        return "::SMALLINT"
    if isinstance(impl, t.Integer):
        return "::INTEGER"
    if isinstance(impl, t.DateTime):
        zone = "WITH" if getattr(impl, "timezone", False) else "WITHOUT"
        return f"::TIMESTAMP {zone} TIME ZONE"
    if isinstance(impl, t.Date):
        return "::DATE"
    names = {k.__name__ for k in type(impl).__mro__}
    if "Time" in names:
        zone = "WITH" if getattr(impl, "timezone", False) else "WITHOUT"
        return f"::TIME {zone} TIME ZONE"
    for name, cast in (("JSONB", "::JSONB"), ("JSON", "::JSON"), ("Uuid", "::UUID")):
        if name in names:
            return cast
    return ""


def _sqlite_version() -> tuple[int, ...]:
    import sqlite3

    return sqlite3.sqlite_version_info


def _needs_parens(el: ClauseElement) -> bool:
    from .elements import BinaryExpression, BooleanClauseList

    if isinstance(el, BooleanClauseList):
        return len(el.clauses) > 1
    if isinstance(el, BinaryExpression):
        return el.operator in ("+", "-", "*", "/", "%") or False
    return getattr(el, "is_select", False) is True


__all__ = ["Compiled", "Compiler", "Printed", "compile_statement", "display_form"]


#: id(column) -> (column, mapper) for the columns a single-table subclass adds to its
#: hierarchy's table (filled by uow_orm.orm.inheritance): such a column in a SELECT's WHERE
#: clause adds that subclass's discriminator criterion, as in SQLAlchemy
SUBCLASS_COLUMNS: dict[int, tuple[Any, Any]] = {}


def _where_subclass_mappers(where: list[Any]) -> list[Any]:
    """The single-table subclass mappers whose own columns the WHERE clause names (not
    looking into subqueries, which get their own criteria)."""
    from .selectable import AliasColumn

    found: list[Any] = []
    stack = list(where)
    owners = SUBCLASS_COLUMNS
    while stack:
        e = stack.pop()
        hit = owners.get(id(e))
        if hit is not None and hit[0] is e:
            if hit[1] not in found:
                found.append(hit[1])
            continue
        if getattr(e, "is_select", False) or getattr(e, "is_from", False):
            continue
        if isinstance(e, AliasColumn):
            continue  # an alias's column (aliased(Manager).x): the alias's entity has criteria
        for attr in ("left", "right", "element"):
            v = getattr(e, attr, None)
            if isinstance(v, ClauseElement):
                stack.append(v)
        for attr in ("clauses", "args"):
            v = getattr(e, attr, None)
            if isinstance(v, (list, tuple)):
                stack.extend(c for c in v if isinstance(c, ClauseElement))
    return found


def _polymorphic_entity_mappers(stmt: Any) -> list[Any]:
    """The mappers a ``with_polymorphic()`` entity of the SELECT (selected, or joined to
    through ``rel.of_type(wp)``) loads: their columns in the WHERE clause add no
    discriminator criterion (SQLAlchemy's polymorphic entity covers them)."""
    candidates = list(stmt._entities)
    for join in getattr(stmt, "_joins", ()):
        target = join[0]
        candidates += [target, getattr(target, "of_polymorphic", None)]
    out: list[Any] = []
    for e in candidates:
        classes = getattr(e, "_classes", None) if e is not None else None
        if isinstance(classes, list):
            for m in classes:
                out.extend(m.self_and_descendants)
    return out


def _single_table_criteria(stmt: Any) -> list[Any]:
    """The discriminator criteria of single-table subclass entities and columns a SELECT
    names (``select(Manager)`` reads only manager rows; so does a subclass's own column in
    the WHERE clause); empty for other statements."""
    out: list[Any] = []
    seen: list[Any] = []
    if SUBCLASS_COLUMNS and stmt._where:
        covered = _polymorphic_entity_mappers(stmt)
        for m in _where_subclass_mappers(stmt._where):
            if m in covered:
                continue  # wp.Manager.manager_name of with_polymorphic(): rows of every class
            crit = m._single_criterion()
            if crit is not None:
                seen.append((m, None))
                out.append(crit)
    for e in stmt._entities:
        adapt = None
        mapper = getattr(e, "__mapper__", None)
        if mapper is not None and not isinstance(e, type):
            adapt = getattr(e, "_adapt", None)  # aliased(Manager): aimed at the alias
        elif mapper is None and not hasattr(e, "column"):
            el = getattr(e, "element", e)  # a label of a function
            for m in getattr(el, "_orm_mappers", ()):
                if getattr(m, "single", False) and getattr(m, "is_mapper", False):
                    crit = m._single_criterion()
                    if crit is not None and (m, None) not in seen:
                        seen.append((m, None))
                        out.append(crit)
            continue
        elif mapper is None and hasattr(e, "column"):
            mapper = getattr(e, "mapper", None)
            entity = getattr(e, "entity", None)
            if entity is not None and not isinstance(entity, type):
                adapt = getattr(entity, "_adapt", None)  # aliased(Manager).name
                mapper = getattr(entity, "__mapper__", mapper)
        if mapper is None or not getattr(mapper, "single", False):
            continue
        crit = mapper._single_criterion()
        if crit is None:
            continue
        if adapt is not None:
            crit = adapt(crit)
        key = (mapper, getattr(adapt, "__self__", None))
        if key in seen:
            continue
        seen.append(key)
        out.append(crit)
    return out


def _dml_where(stmt: Any) -> list[Any]:
    """The WHERE of an UPDATE / DELETE, with the discriminator criterion of a single-table
    subclass target (``update(Manager)`` changes only manager rows)."""
    entity = getattr(stmt, "entity", None)
    mapper = getattr(entity, "__mapper__", None) if entity is not None else None
    if mapper is not None and mapper.single:
        crit = mapper._single_criterion()
        if crit is not None:
            return [*stmt._where, crit]
    return stmt._where  # type: ignore[no-any-return]
