"""What the SQL compiler reads of a table column, a table and an INSERT / UPDATE / DELETE.

The compiler sits below `uow_orm.sql.schema` and `uow_orm.sql.dml` (both import it to
compile themselves), so it names their objects through these structural types instead of
importing the classes.

Called by: uow_orm.sql.compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..types import TypeEngine


class TableColumn(Protocol):
    """A table's ``Column`` (`uow_orm.sql.schema.Column`)."""

    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def type(self) -> TypeEngine: ...
    @property
    def table(self) -> SchemaTable | None: ...
    @property
    def default(self) -> Any: ...
    @property
    def _default_arg(self) -> Any: ...
    @property
    def onupdate(self) -> Any: ...
    @property
    def _onupdate_is_callable(self) -> bool: ...


class TableColumns(Protocol):
    """A table's ``c`` (`uow_orm.sql.schema.ColumnCollection`), iterated in table order."""

    def __iter__(self) -> Iterator[TableColumn]: ...


class SchemaTable(Protocol):
    """A ``Table`` (`uow_orm.sql.schema.Table`): its name, columns and quoted full name."""

    @property
    def name(self) -> str: ...
    @property
    def c(self) -> TableColumns: ...
    def _quoted(
        self,
        quote: Callable[[str], str],
        schema_map: Mapping[str | None, str | None] | None = None,
    ) -> str: ...


class WriteStatement(Protocol):
    """An ``Update`` or ``Delete`` (`uow_orm.sql.dml`): the target table and the values
    to SET (keyed by column; None when ``values()`` was not called)."""

    @property
    def table(self) -> SchemaTable: ...
    @property
    def _values(self) -> Mapping[Any, Any] | None: ...
    @property
    def _column_defaults(self) -> bool: ...


class InsertStatement(WriteStatement, Protocol):
    """An ``Insert`` (`uow_orm.sql.dml.Insert`): also its multi-row VALUES and its
    ``from_select()`` columns and SELECT."""

    @property
    def _multi_values(self) -> Sequence[Mapping[Any, Any]] | None: ...
    @property
    def _from_select(self) -> tuple[list[Any], Any] | None: ...
