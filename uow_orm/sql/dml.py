"""INSERT, UPDATE and DELETE statements: ``insert()``, ``update()``, ``delete()``.

Built by users (and executed through a connection or a session, which keeps its objects
in line) and compiled by `uow_orm.sql.compiler`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from .elements import (
    BindParameter,
    ClauseElement,
    check_execution_options,
    coerce,
    coerce_criterion,
    coerce_expression,
)

if TYPE_CHECKING:
    from ..schema import Column, Table
    from .compiler import Compiler


def _target_table(target: Any) -> Table:
    from ..schema import Table

    table = getattr(target, "__table__", None)
    if isinstance(table, Table) and isinstance(target, type):
        return table
    if isinstance(target, Table):
        return target
    raise exc.ArgumentError(f"{target!r} is not a table or mapped class")


class DMLStatement(ClauseElement):
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
        from ..schema import Column

        el = coerce(key)
        if isinstance(el, Column):
            return el
        col = self.table.c.get(key) if isinstance(key, str) else None
        if col is None:
            raise exc.ArgumentError(
                f"unknown column {key!r} for table {self.table.name!r}; columns are "
                f"{', '.join(self.table.c.keys())}"
            )
        return col  # type: ignore[no-any-return]

    def values(self, *args: Any, **kw: Any) -> Any:
        s = self._generate()
        if args and isinstance(args[0], Sequence) and not isinstance(args[0], (str, bytes)):
            rows = args[0]
            s._multi_values = [{s._column(k): v for k, v in r.items()} for r in rows]
            return s
        vals: dict[Column[Any], Any] = dict(s._values or {})
        for a in args:
            if not isinstance(a, Mapping):
                raise exc.ArgumentError("values() takes a dict, a list of dicts or keywords")
            vals.update({s._column(k): v for k, v in a.items()})
        vals.update({s._column(k): v for k, v in kw.items()})
        s._values = vals
        return s

    def where(self, *criteria: Any) -> Any:
        s = self._generate()
        s._where.extend(coerce_criterion(c) for c in criteria)
        return s

    filter = where

    def filter_by(self, **kw: Any) -> Any:
        return self.where(*[self._column(k) == v for k, v in kw.items()])

    def returning(self, *cols: Any) -> Any:
        s = self._generate()
        s._returning.extend(cols)
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

    def _returning_columns(self) -> list[Any]:
        out: list[Any] = []
        for r in self._returning:
            mapper = getattr(r, "__mapper__", None)
            if mapper is not None and isinstance(r, type):
                out.extend(mapper.column_list)
            else:
                out.append(coerce_expression(r))
        return out

    def _with_params(self, params: Mapping[str, Any]) -> Any:
        """This statement with bind parameters for ``params`` keys when no values are set."""
        return self

    def compile(self, dialect: Any = None) -> Any:
        from .compiler import compile_statement

        return compile_statement(self, dialect)


class Insert(DMLStatement):
    def _with_params(self, params: Mapping[str, Any]) -> Insert:
        if self._values is not None or self._multi_values is not None or not params:
            return self
        s: Insert = self._generate()
        s._values = {s._column(k): BindParameter(k, None, s._column(k).type) for k in params}
        return s

    def _compile(self, compiler: Compiler) -> str:
        return compiler.insert(self)


class Update(DMLStatement):
    def _with_params(self, params: Mapping[str, Any]) -> Update:
        if self._values is not None or not params:
            return self
        s: Update = self._generate()
        s._values = {
            s._column(k): BindParameter(k, None, s._column(k).type)
            for k in params
            if k in s.table.c
        }
        return s

    def _compile(self, compiler: Compiler) -> str:
        return compiler.update(self)


class Delete(DMLStatement):
    def _compile(self, compiler: Compiler) -> str:
        return compiler.delete(self)


def insert(target: Any) -> Insert:
    """``INSERT INTO`` a table or a mapped class's table."""
    return Insert(target)


def update(target: Any) -> Update:
    """``UPDATE`` a table or a mapped class's table."""
    return Update(target)


def delete(target: Any) -> Delete:
    """``DELETE FROM`` a table or a mapped class's table."""
    return Delete(target)


__all__ = ["Delete", "Insert", "Update", "delete", "insert", "update"]
