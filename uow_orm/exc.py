"""The whole uow_orm exception tree.

Raised everywhere in the package; driver exceptions are wrapped into the ``DBAPIError``
branch by the dialects so that callers never need to import sqlite3 or psycopg.
"""

from __future__ import annotations

from typing import Any


class OrmError(Exception):
    """Base class of every exception uow_orm raises."""


class ArgumentError(OrmError):
    """A function or constructor was given an argument it cannot use."""


class ColumnValueError(ArgumentError, TypeError, ValueError):
    """A Python value cannot be stored in a column of the given type.

    Raised before a statement is sent; the message names the class (or table) and the
    attribute. It is also a ``TypeError`` and a ``ValueError`` so that either catches it.
    """


class InvalidRequestError(OrmError):
    """The operation is not valid in the current state of the object or session."""


class NoSuchTableError(InvalidRequestError):
    """The database has no table of that name (raised by reflection)."""


class PendingRollbackError(InvalidRequestError):
    """A previous flush failed; the session must be rolled back before it is used again."""


class ObjectDeletedError(InvalidRequestError):
    """The row behind a persistent object no longer exists in the database."""


class DetachedInstanceError(InvalidRequestError):
    """An unloaded attribute was read on an object that belongs to no session."""


class NoResultFound(InvalidRequestError):
    """Exactly one row was required and none was found."""


class MultipleResultsFound(InvalidRequestError):
    """Exactly one row was required and several were found."""


class UnmappedInstanceError(InvalidRequestError):
    """An object of a class that is not mapped was given to the session."""


class UnmappedClassError(InvalidRequestError):
    """A class that is not mapped was used where a mapped class is required."""


class StaleDataError(OrmError):
    """An UPDATE or DELETE matched a different number of rows than expected."""


class FlushError(OrmError):
    """The unit of work could not be flushed as given."""


class CircularDependencyError(FlushError):
    """Tables or rows depend on each other in a cycle that nothing breaks."""


class NoInspectionAvailable(InvalidRequestError):
    """``inspect()`` was given something that is not mapped."""


class TimeoutError(OrmError):
    """No connection became available from the pool within ``pool_timeout``."""


class ResourceClosedError(InvalidRequestError):
    """A connection, result or session was used after it was closed."""


class DBAPIError(OrmError):
    """A driver exception, wrapped.

    ``orig`` is the driver's exception, ``statement`` and ``params`` what was sent,
    ``code`` the SQLSTATE (PostgreSQL) or SQLite error name when the driver gives one.
    """

    def __init__(
        self,
        message: str,
        statement: str | None = None,
        params: Any = None,
        orig: BaseException | None = None,
        code: str | None = None,
        connection_invalidated: bool = False,
    ) -> None:
        super().__init__(message)
        self.statement = statement
        self.params = params
        self.orig = orig
        self.code = code
        self.connection_invalidated = connection_invalidated

    @property
    def sqlstate(self) -> str | None:
        """The SQLSTATE or SQLite error name (alias of ``code``)."""
        return self.code

    def __str__(self) -> str:
        text = super().__str__()
        if self.statement is not None:
            stmt = self.statement if len(self.statement) < 500 else self.statement[:500] + "..."
            text += f"\n[SQL: {stmt}]"
            if self.params is not None:
                params = repr(self.params)
                if len(params) > 300:
                    params = params[:300] + "..."
                text += f"\n[parameters: {params}]"
        return text


class AmbiguousCommitError(OrmError):
    """The connection was lost while COMMIT was sent: the transaction may or may not have
    committed (raised by ``run_transaction`` instead of retrying)."""


class InterfaceError(DBAPIError):
    """The driver interface itself failed (e.g. a closed connection)."""


class DatabaseError(DBAPIError):
    """The database reported an error."""


class IntegrityError(DatabaseError):
    """A constraint (unique, foreign key, not null, check) was violated."""


class OperationalError(DatabaseError):
    """An error in the database's operation: lost connection, lock or timeout, disk."""


class ProgrammingError(DatabaseError):
    """The SQL was invalid for this database (syntax, missing table, wrong arguments)."""


class DataError(DatabaseError):
    """A value could not be stored: too long, out of range, invalid for the type."""


class NotSupportedError(DatabaseError):
    """The database or dialect does not support the operation requested."""


class InternalError(DatabaseError):
    """The database reported an internal error."""


__all__ = [
    "AmbiguousCommitError",
    "ArgumentError",
    "CircularDependencyError",
    "ColumnValueError",
    "DBAPIError",
    "DataError",
    "DatabaseError",
    "DetachedInstanceError",
    "FlushError",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "InvalidRequestError",
    "MultipleResultsFound",
    "NoInspectionAvailable",
    "NoResultFound",
    "NotSupportedError",
    "ObjectDeletedError",
    "OperationalError",
    "OrmError",
    "PendingRollbackError",
    "ProgrammingError",
    "ResourceClosedError",
    "StaleDataError",
    "TimeoutError",
    "UnmappedClassError",
    "UnmappedInstanceError",
]
