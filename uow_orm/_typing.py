"""Shared type aliases (rows, parameters, processors) and the DBAPI protocols.

Called by: uow_orm.dialects.*, uow_orm.engine.*.
The engine and the dialects program against `DBAPIConnection` / `DBAPICursor` rather than
``sqlite3`` or ``psycopg`` classes, so neither layer needs to import a driver for its types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias

#: One row as a DBAPI cursor returns it.
DBAPIRow: TypeAlias = Sequence[Any]
#: The parameters of one statement: positional (``qmark`` / ``format``) or by name.
DBAPIParams: TypeAlias = Sequence[Any] | Mapping[str, Any]
#: A bind or result processor: converts one value between Python and the driver.
Processor: TypeAlias = Callable[[Any], Any]
#: A processor, or None when the driver's own conversion is already right.
OptionalProcessor: TypeAlias = Processor | None
#: Execution options (``isolation_level``, ``stream_results``, ...) by name.
ExecutionOptions: TypeAlias = Mapping[str, Any]


class ConnectURL(Protocol):
    """What a dialect reads from a database URL to connect (`uow_orm.engine.url.URL`)."""

    @property
    def username(self) -> str | None:
        """User name, or None."""
        ...

    @property
    def password(self) -> str | None:
        """Password, or None."""
        ...

    @property
    def host(self) -> str | None:
        """Host name, or None."""
        ...

    @property
    def port(self) -> int | None:
        """Port number, or None."""
        ...

    @property
    def database(self) -> str | None:
        """Database name (a file path for SQLite), or None."""
        ...

    @property
    def query(self) -> dict[str, str]:
        """The URL's query arguments."""
        ...


class DBAPICursor(Protocol):
    """The part of a PEP 249 cursor uow_orm uses (``sqlite3`` and ``psycopg`` cursors)."""

    @property
    def description(self) -> Sequence[Sequence[Any]] | None:
        """Per result column a sequence whose first item is its name; None without rows."""
        ...

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed (-1 when the driver does not know)."""
        ...

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the last inserted row (``sqlite3`` only; psycopg has none)."""
        ...

    def execute(self, operation: Any, parameters: Any = ..., /) -> object:
        """Run one statement with its parameters."""
        ...

    def executemany(self, operation: Any, seq_of_parameters: Any, /) -> object:
        """Run one statement once per parameter set."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        ...

    def close(self) -> None:
        """Release the cursor."""
        ...


class DBAPIConnection(Protocol):
    """The part of a PEP 249 connection uow_orm uses."""

    def cursor(self) -> Any:
        """A new cursor (a `DBAPICursor`)."""
        ...

    def commit(self) -> None:
        """Commit the driver's transaction (uow_orm runs drivers in autocommit mode)."""
        ...

    def rollback(self) -> None:
        """Roll back the driver's transaction."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...
