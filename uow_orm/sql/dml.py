"""INSERT, UPDATE and DELETE statements: ``insert()``, ``update()``, ``delete()``.

Built by users (and executed through a connection or a session, which keeps its objects
in line) and compiled by `uow_orm.sql.compiler`.

Called by: uow_orm.migrate.operations, uow_orm.orm.*, uow_orm.sql, uow_orm.sql.upsert (and
``Table.insert()`` / ``update()`` / ``delete()`` through ``sql.schema.upper_layers``, which
it fills in).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from .elements import (
    _REQUIRED,
    BindParameter,
    ClauseElement,
    Executable,
    check_execution_options,
    coerce,
    coerce_criterion,
    coerce_expression,
)
from .schema import upper_layers
from .selectable import ReturnsRows

if TYPE_CHECKING:
    from .compiler import Compiler
    from .schema import Column, Table


def _target_table(target: Any) -> Table:
    from .schema import Table

    table = getattr(target, "__table__", None)
    if isinstance(table, Table) and isinstance(target, type):
        return table
    if isinstance(target, Table):
        return target
    from .selectable import Subquery

    if isinstance(target, type) and isinstance(table, Subquery):
        raise exc.ArgumentError(
            f"{target.__name__} is mapped to the subquery {table.name!r}, not to a table; "
            "INSERT, UPDATE and DELETE write a table (a class mapped to a subquery is read-only)"
        )
    raise exc.ArgumentError(f"{target!r} is not a table or mapped class")


class DMLStatement(Executable, ReturnsRows):
    """What `Insert`, `Update` and `Delete` share: the target table, WHERE criteria,
    ``RETURNING`` and execution options. Each method returns a new statement.
    """

    is_dml = True

    def __init__(self, target: Any) -> None:
        self.entity = target if isinstance(target, type) else None
        self.table = _target_table(target)
        self._values: dict[Column[Any], Any] | None = None
        self._multi_values: list[dict[Column[Any], Any]] | None = None
        self._where: list[ClauseElement] = []
        self._returning: list[Any] = []
        self._execution_options: dict[str, Any] = {}
        self._compiled_cache: dict[str, Any] = {}

    def _generate(self) -> Any:
        s = copy.copy(self)
        s._where = list(self._where)
        s._returning = list(self._returning)
        s._compiled_cache = {}
        return s

    def _column(self, key: Any) -> Column[Any]:
        from .schema import Column

        el = coerce(key)
        if isinstance(el, Column):
            return el
        col = None
        if isinstance(key, str):
            # update(User).values(name=...): an attribute name of the mapped class first
            # (its column may be named otherwise), then a column key of the table
            mapper = getattr(self.entity, "__mapper__", None)
            attr_col = mapper.columns.get(key) if mapper is not None else None
            col = attr_col if isinstance(attr_col, Column) else self.table.c.get(key)
        if col is None:
            raise exc.ArgumentError(
                f"unknown column {key!r} for table {self.table.name!r}; columns are "
                f"{', '.join(self.table.c.keys())}"
            )
        return col

    def values(self, *args: Any, **kw: Any) -> Any:
        """A copy with the values to INSERT or SET, as SQLAlchemy's ``values()``.

        Call forms: ``values(name="x")``, ``values({User.name: "x"})`` (keys are column names,
        columns or mapped attributes; a value may be a SQL expression such as
        ``t.c.n + 1``), or, for an INSERT, ``values([{...}, {...}])`` for a multi-row
        ``VALUES (...), (...)``. Calls add up: a later call's keys override earlier ones.

        Raises:
            ArgumentError: for a key that is no column of the table, or a positional argument
                that is neither a dict nor a list of dicts.
        """
        s = self._generate()
        if args and isinstance(args[0], Sequence) and not isinstance(args[0], (str, bytes)):
            rows = args[0]
            s._multi_values = [{s._column(k): v for k, v in r.items()} for r in rows]
            return s
        vals: dict[Column[Any], Any] = dict(s._values or {})
        for a in args:
            if not isinstance(a, Mapping):
                raise exc.ArgumentError("values() takes a dict, a list of dicts or keywords")
            for k, v in a.items():
                pairs = getattr(k, "_update_pairs", None)  # a hybrid's update_expression
                if pairs is not None:
                    vals.update({s._column(c): cv for c, cv in pairs(v)})
                else:
                    vals[s._column(k)] = v
        vals.update({s._column(k): v for k, v in kw.items()})
        s._values = vals
        return s

    def where(self, *criteria: Any) -> Any:
        """A copy with these conditions added to the WHERE clause, joined by AND (``filter()``
        is the same method).

        Raises:
            ArgumentError: for a plain string (use ``text()``).
        """
        s = self._generate()
        s._where.extend(coerce_criterion(c) for c in criteria)
        return s

    filter = where

    def filter_by(self, **kw: Any) -> Any:
        """A copy with ``column == value`` conditions for these column names, joined by AND.

        Raises:
            ArgumentError: for a name that is no column of the table.
        """
        return self.where(*[self._column(k) == v for k, v in kw.items()])

    def returning(self, *cols: Any, sort_by_parameter_order: bool = False) -> Any:
        """``RETURNING`` these columns or entities (rows always follow the parameter order,
        so ``sort_by_parameter_order`` needs no extra work)."""
        s = self._generate()
        s._returning.extend(cols)
        return s

    _column_defaults = True

    def given_values_only(self) -> Any:
        """A copy that writes only the columns given to ``values()``: the ``default``
        (INSERT) or ``onupdate`` (UPDATE) of any other column is not added. The flush uses
        this: it has applied the defaults of the mapped columns itself."""
        s = self._generate()
        s._column_defaults = False
        return s

    def execution_options(self, **kw: Any) -> Any:
        """A copy with execution options (``synchronize_session`` "auto", "evaluate" or
        "fetch", ``autoflush``, an application's own keys); others raise ArgumentError."""
        s = self._generate()
        s._execution_options = {
            **self._execution_options,
            **check_execution_options(type(self).__name__.lower(), kw),
        }
        return s

    def get_execution_options(self) -> dict[str, Any]:
        """The execution options set on this statement."""
        return dict(self._execution_options)

    @property
    def entity_description(self) -> dict[str, Any]:
        """The statement's target, as SQLAlchemy describes it: ``name``, ``type`` and
        ``entity`` (the mapped class, or None for a Table), ``expr`` and ``table``."""
        entity = self.entity
        return {
            "name": entity.__name__ if entity is not None else self.table.name,
            "type": entity if entity is not None else self.table,
            "expr": entity if entity is not None else self.table,
            "entity": entity,
            "table": self.table,
        }

    @property
    def returning_column_descriptions(self) -> list[dict[str, Any]]:
        """One dict per ``RETURNING`` entity or column, like ``Select.column_descriptions``
        (``name``, ``type``, ``aliased``, ``expr``, ``entity``)."""
        from .selectable import Select

        return Select(*self._returning).column_descriptions if self._returning else []

    def _returning_columns(self) -> list[Any]:
        out: list[Any] = []
        for r in self._returning:
            mapper = getattr(r, "__mapper__", None)
            if mapper is not None and isinstance(r, type):
                out.extend(mapper.column_list)
            elif getattr(r, "is_from", False) and hasattr(r, "_select_columns"):
                out.extend(r._select_columns())  # returning(table): its columns
            else:
                out.append(coerce_expression(r))
        return out

    def _with_params(self, params: Mapping[str, Any]) -> Any:
        """This statement with bind parameters for ``params`` keys when no values are set."""
        return self


class ValuesBase(DMLStatement):
    """Base of `Insert` and `Update`, the statements `values` applies to (SQLAlchemy's
    ``ValuesBase``)."""


class Insert(ValuesBase):
    """``INSERT INTO table``: made by `insert`; rows come from `values`, from ``from_select()``
    or from the execution parameters (``conn.execute(insert(t), [{...}, ...])``).
    """

    _from_select: tuple[list[Any], Any] | None = None
    _include_defaults = True

    def from_select(self, names: Any, select: Any, include_defaults: bool = True) -> Insert:
        """``INSERT INTO t (names) SELECT ...``: the rows of ``select``."""
        if self._values is not None or self._multi_values is not None:
            raise exc.ArgumentError("from_select() cannot be combined with values()")
        cols = [self._column(n) for n in names]
        width = len(select._column_elements())
        if width != len(cols):
            raise exc.ArgumentError(
                f"from_select(): {len(cols)} column names for a SELECT of {width} columns"
            )
        s: Insert = self._generate()
        s._from_select = (cols, select)
        s._include_defaults = include_defaults
        return s

    def _single_insert_pk(self, conn: Any, params: Any) -> Any:
        """Execute as one row and note ``Result.inserted_primary_key`` (SQLite: lastrowid;
        PostgreSQL: an implicit ``RETURNING`` of the generated key)."""
        from ..engine.result import Result, Row, _keymap

        if self._multi_values is not None or self._from_select is not None or self._returning:
            return conn._result(
                self._compiled_for(conn.dialect),
                self._run(conn, self._compiled_for(conn.dialect), params),
            )
        table = self.table
        given: dict[str, Any] = {}
        for col, v in (self._values or {}).items():
            value = v.value if isinstance(v, BindParameter) else v
            if value is not _REQUIRED:
                given[col.key] = value
        for k, v in (params or {}).items():
            given[k] = v
        missing = [c for c in table.primary_key if given.get(c.key) is None and c.default is None]
        stmt: Insert = self
        if missing and conn.dialect.name != "sqlite" and conn.dialect.supports_returning:
            stmt = self.returning(*missing)
        compiled = stmt._compiled_for(conn.dialect)
        cursor = self._run(conn, compiled, params)
        generated: dict[str, Any] = {}
        if stmt is not self:
            row = cursor.fetchone()
            generated = {c.key: v for c, v in zip(missing, row or ())}
        elif missing and conn.dialect.name == "sqlite" and len(missing) == 1:
            generated = {missing[0].key: cursor.lastrowid}
        pk = []
        for c in table.primary_key:
            if c.key in generated:
                pk.append(generated[c.key])
            elif given.get(c.key) is not None:
                pk.append(given[c.key])
            elif c.default is not None and not callable(c._default_arg):
                pk.append(c._default_arg)
            else:
                pk.append(None)
        result = Result([], [], rowcount=cursor.rowcount)
        result._inserted_pk = Row(tuple(pk), _keymap([c.key for c in table.primary_key]))
        return result

    @staticmethod
    def _run(conn: Any, compiled: Any, params: Any) -> Any:
        return conn._run(compiled.sql, compiled.construct_params(params))

    def _with_params(self, params: Mapping[str, Any]) -> Insert:
        if self._multi_values is not None or self._from_select is not None or not params:
            return self
        if self._values is not None:
            # values() plus execution parameters naming other columns: those columns too
            extra = [
                k
                for k in params
                if k in self.table.c
                and self.table.c[k] not in self._values
                and not _names_bindparam(self._values.values(), k)
            ]
            if not extra:
                return self
            s: Insert = self._generate()
            s._values = {
                **self._values,
                **{s._column(k): BindParameter(k, _REQUIRED, s._column(k).type) for k in extra},
            }
            return s
        s = self._generate()
        s._values = {s._column(k): BindParameter(k, _REQUIRED, s._column(k).type) for k in params}
        return s

    def _compile(self, compiler: Compiler) -> str:
        return compiler.insert(self)


class Update(ValuesBase):
    """``UPDATE table SET ...``: made by `update`; ``SET`` comes from `values`,
    ``ordered_values()`` or the execution parameters.
    """

    #: set by ordered_values(): SET in the given order, not the table's column order
    _ordered = False

    def ordered_values(self, *pairs: tuple[Any, Any]) -> Update:
        """``SET`` in exactly this order: ``ordered_values((t.c.a, 1), (t.c.b, t.c.a))``."""
        if self._values is not None:
            raise exc.ArgumentError("ordered_values() cannot be combined with values()")
        s: Update = self._generate()
        vals: dict[Column[Any], Any] = {}
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise exc.ArgumentError(
                    f"ordered_values() takes (column, value) pairs, got {pair!r}"
                )
            vals[s._column(pair[0])] = pair[1]
        s._values = vals
        s._ordered = True
        return s

    def _with_params(self, params: Mapping[str, Any]) -> Update:
        if self._values is not None or not params:
            return self
        s: Update = self._generate()
        s._values = {
            s._column(k): BindParameter(k, _REQUIRED, s._column(k).type)
            for k in params
            if k in s.table.c
        }
        return s

    def _compile(self, compiler: Compiler) -> str:
        return compiler.update(self)


class Delete(DMLStatement):
    """``DELETE FROM table``: made by `delete`, narrowed by ``where()``."""

    def values(self, *args: Any, **kw: Any) -> Any:
        """Refused: a DELETE sets no values (SQLAlchemy's ``Delete`` has no ``values()``).

        Raises:
            ArgumentError: always.
        """
        raise exc.ArgumentError(
            f"delete({self.table.name}) takes no values(); narrow it with where(), or use "
            "update() to change rows"
        )

    def _compile(self, compiler: Compiler) -> str:
        return compiler.delete(self)


def _names_bindparam(values: Any, key: str) -> bool:
    """True when a bindparam(key) sits among ``values`` (the key is a parameter then)."""
    from .elements import replace_columns

    hit = []

    def look(el: Any) -> None:
        if isinstance(el, BindParameter) and el.key == key:
            hit.append(el)
        return None

    for v in values:
        if isinstance(v, ClauseElement):
            replace_columns(v, look)
            sel = getattr(v, "select", None)
            if sel is not None:
                for w in getattr(sel, "_where", ()):
                    replace_columns(w, look)
    return bool(hit)


def insert(target: Any) -> Insert:
    """``INSERT INTO`` a table or a mapped class's table."""
    return Insert(target)


def update(target: Any) -> Update:
    """``UPDATE`` a table or a mapped class's table."""
    return Update(target)


def delete(target: Any) -> Delete:
    """``DELETE FROM`` a table or a mapped class's table."""
    return Delete(target)


# Table.insert() / update() / delete() call these through the schema module (which is below).
upper_layers.insert = insert
upper_layers.update = update
upper_layers.delete = delete


__all__ = ["Delete", "Insert", "Update", "delete", "insert", "update"]
