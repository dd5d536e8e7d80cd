"""``INSERT ... ON CONFLICT`` (upsert) for SQLite and PostgreSQL.

Re-exported as ``insert`` by `uow_orm.dialects.sqlite` and `uow_orm.dialects.postgresql`;
compiled by `uow_orm.sql.compiler` (``Compiler.insert`` appends `OnConflict` SQL).

Called by: uow_orm.dialects.postgresql, uow_orm.dialects.sqlite, uow_orm.dialects.postgresql.*,
uow_orm.dialects.sqlite.*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .. import exc
from .dml import Insert
from .elements import BindParameter, ClauseElement, ColumnElement, coerce, coerce_expression

if TYPE_CHECKING:
    from .compiler import Compiler
    from .schema import Column


class ExcludedColumn(ColumnElement):
    """``excluded.<column>``: the value the conflicting INSERT proposed."""

    __slots__ = ("column", "key", "name", "type")

    def __init__(self, column: Column[Any]) -> None:
        self.column = column
        self.key = column.key
        self.name = column.name
        self.type = column.type

    def _compile(self, compiler: Compiler) -> str:
        return f"excluded.{compiler.quote(self.name)}"


class Excluded:
    """``stmt.excluded.<key>`` for each column of the INSERT's table."""

    def __init__(self, table: Any) -> None:
        self._cols = {c.key: ExcludedColumn(c) for c in table.c}

    def __getattr__(self, key: str) -> ExcludedColumn:
        try:
            return self._cols[key]
        except KeyError:
            raise AttributeError(
                f"excluded has no column {key!r}; columns are {', '.join(self._cols)}"
            ) from None

    def __getitem__(self, key: str) -> ExcludedColumn:
        return self._cols[key]


class OnConflict:
    """The ``ON CONFLICT (...) DO NOTHING | DO UPDATE SET ... WHERE ...`` clause."""

    def __init__(
        self,
        table: Any,
        constraint: Any,
        index_elements: Any,
        index_where: Any,
        set_: Any,
        where: Any,
        update: bool,
    ) -> None:
        if constraint is not None and index_elements is not None:
            raise exc.ArgumentError("on_conflict: give constraint= or index_elements=, not both")
        if update and constraint is None and index_elements is None:
            raise exc.ArgumentError(
                "on_conflict_do_update() needs index_elements= or constraint= (the conflict target)"
            )
        if update and not set_:
            raise exc.ArgumentError("on_conflict_do_update() needs set_= (what to update)")
        self.table = table
        self.constraint = getattr(constraint, "name", constraint)
        if constraint is not None and not isinstance(self.constraint, str):
            raise exc.ArgumentError(
                f"constraint= takes a name or a named constraint, got {constraint!r}"
            )
        self.index_elements = [_target(table, e) for e in index_elements or ()]
        self.index_where = coerce_expression(index_where) if index_where is not None else None
        self.update = update
        self.set_: list[tuple[Any, Any]] = []
        if set_:
            items = set_.items() if isinstance(set_, Mapping) else set_
            for k, v in items:
                self.set_.append((_column(table, k), v))
        self.where = coerce_expression(where) if where is not None else None

    def compile(self, compiler: Compiler) -> str:
        sql = " ON CONFLICT"
        if self.constraint is not None:
            if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
                raise exc.NotSupportedError(
                    "on_conflict constraint= needs PostgreSQL; on SQLite give index_elements="
                )
            sql += f" ON CONSTRAINT {compiler.quote(self.constraint)}"
        elif self.index_elements:
            compiler.qualify = False
            try:
                sql += " (" + ", ".join(compiler.process(e) for e in self.index_elements) + ")"
                if self.index_where is not None:
                    sql += " WHERE " + compiler.process(self.index_where)
            finally:
                compiler.qualify = True
        if not self.update:
            return sql + " DO NOTHING"
        sets = []
        for col, value in self.set_:
            if isinstance(value, ClauseElement) or hasattr(value, "__clause_element__"):
                rendered = compiler.process(coerce(value))
            else:
                rendered = compiler.bind(BindParameter(None, value, col.type))
            sets.append(f"{compiler.quote(col.name)} = {rendered}")
        sql += " DO UPDATE SET " + ", ".join(sets)
        if self.where is not None:
            sql += " WHERE " + compiler.process(self.where)
        return sql


def _column(table: Any, key: Any) -> Any:
    from .schema import Column

    el = coerce(key)
    if isinstance(el, Column):
        return el
    col = table.c.get(key) if isinstance(key, str) else None
    if col is None:
        raise exc.ArgumentError(
            f"on_conflict set_: unknown column {key!r} for table {table.name!r}"
        )
    return col


def _target(table: Any, e: Any) -> Any:
    if isinstance(e, str):
        return _column(table, e)
    return coerce_expression(e)


class UpsertInsert(Insert):
    """An INSERT that may carry ``ON CONFLICT``: ``insert(User).values(...)
    .on_conflict_do_update(index_elements=[User.id], set_={"name": "x"})``."""

    _on_conflict: OnConflict | None = None
    #: the dialect ``str()`` prints the statement in (None: SQLAlchemy's default one)
    _print_dialect: str | None = None

    @property
    def excluded(self) -> Excluded:
        """The proposed row's columns, for ``set_`` and ``where``: ``stmt.excluded.name``."""
        return Excluded(self.table)

    def on_conflict_do_nothing(
        self, constraint: Any = None, index_elements: Any = None, index_where: Any = None
    ) -> UpsertInsert:
        """Skip rows that conflict (with any unique constraint, or the one given)."""
        s: UpsertInsert = self._generate()
        s._on_conflict = OnConflict(
            self.table, constraint, index_elements, index_where, None, None, False
        )
        return s

    def on_conflict_do_update(
        self,
        constraint: Any = None,
        index_elements: Any = None,
        index_where: Any = None,
        set_: Any = None,
        where: Any = None,
    ) -> UpsertInsert:
        """Update the existing row where the insert conflicts on the given target."""
        s: UpsertInsert = self._generate()
        s._on_conflict = OnConflict(
            self.table, constraint, index_elements, index_where, set_, where, True
        )
        return s


def insert(target: Any) -> UpsertInsert:
    """``INSERT`` that supports ``on_conflict_do_nothing()`` / ``on_conflict_do_update()``."""
    return UpsertInsert(target)


def _dialect_insert(dialect_name: str) -> Callable[[Any], UpsertInsert]:
    """``insert`` of a dialect module: its statements print in that dialect (``str()``),
    as SQLAlchemy prints ``postgresql.insert(...)``."""

    def insert(target: Any) -> UpsertInsert:
        """``INSERT`` that supports ``on_conflict_do_nothing()`` / ``on_conflict_do_update()``."""
        stmt = UpsertInsert(target)
        stmt._print_dialect = dialect_name
        return stmt

    return insert


postgresql_insert = _dialect_insert("postgresql")
sqlite_insert = _dialect_insert("sqlite")


__all__ = ["Excluded", "UpsertInsert", "insert", "postgresql_insert", "sqlite_insert"]
