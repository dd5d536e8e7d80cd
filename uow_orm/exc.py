"""The whole uow_orm exception tree.

Raised everywhere in the package; driver exceptions are wrapped into the ``DBAPIError``
branch by the dialects so that callers never need to import sqlite3 or psycopg.

Called by: uow_orm, uow_orm._generic_types, uow_orm._processors, uow_orm._typebase,
uow_orm.dialects.*,
uow_orm.engine.*, uow_orm.event, uow_orm.ext.*, uow_orm.migrate.*, uow_orm.orm.*,
uow_orm.sql.schema, uow_orm.sql.*, uow_orm.testing, uow_orm.types.
"""

from __future__ import annotations

from typing import Any


class DontWrapMixin:
    """Mix into a user exception so that, raised inside a statement (e.g. by a type's
    bind processing), it propagates as itself instead of being wrapped in ``StatementError``."""


class OrmError(Exception):
    """Base class of every exception uow_orm raises (also named ``SQLAlchemyError``)."""

    code: str | None = None


#: SQLAlchemy's name for the base class: ``except exc.SQLAlchemyError`` catches everything.
SQLAlchemyError = OrmError


class ArgumentError(OrmError):
    """A function or constructor was given an argument it cannot use."""


class DuplicateColumnError(ArgumentError):
    """A column was added to a table or collection that already has one of that name."""


class ObjectNotExecutableError(ArgumentError):
    """An object that is not a statement was given to ``execute()``."""

    def __init__(self, target: Any = None) -> None:
        super().__init__(f"not an executable object: {target!r}")
        self.target = target


class NoSuchModuleError(ArgumentError):
    """A dialect or plug-in named in a URL or argument does not exist."""


class NoForeignKeysError(ArgumentError):
    """No foreign key links the two tables a join or relationship needs to link."""


class AmbiguousForeignKeysError(ArgumentError):
    """Several foreign keys could link two tables; say which (``foreign_keys=``)."""


class ConstraintColumnNotFoundError(ArgumentError):
    """A constraint names a column its table does not have."""


class CompileError(OrmError):
    """A statement could not be compiled into SQL."""


class UnsupportedCompilationError(CompileError):
    """A construct has no SQL form for the dialect it is being compiled for."""

    def __init__(self, compiler: Any = None, element_type: Any = None, message: str = "") -> None:
        super().__init__(
            message or f"compiler {compiler!r} can't render element of type {element_type!r}"
        )
        self.compiler = compiler
        self.element_type = element_type


class IdentifierError(OrmError):
    """A schema identifier is too long or otherwise invalid for the database."""


class DisconnectionError(OrmError):
    """The database connection was found dead (raised by pool checks and events)."""

    invalidate_pool: bool = False


class InvalidatePoolError(DisconnectionError):
    """Like ``DisconnectionError``, and every connection of the pool is discarded too."""

    invalidate_pool = True


class ColumnValueError(ArgumentError, TypeError, ValueError):
    """A Python value cannot be stored in a column of the given type.

    Raised before a statement is sent; the message names the class (or table) and the
    attribute. It is also a ``TypeError`` and a ``ValueError`` so that either catches it.
    """


class ResultValueError(OrmError, LookupError, ValueError):
    """A value read from the database cannot be turned into the column type's Python value.

    For example a stored string that is no member of an ``Enum`` (SQLAlchemy raises a
    ``LookupError`` there, and this is one), or JSON text that cannot be decoded. The message
    names the type and the value.
    """


class InvalidRequestError(OrmError):
    """The operation is not valid in the current state of the object or session."""


class NoJoinPathError(NoForeignKeysError, InvalidRequestError):
    """``join()`` found no foreign key between its two sides (pass the ON clause).
    SQLAlchemy raises `NoForeignKeysError` (an `ArgumentError`) joining tables and
    `InvalidRequestError` joining ORM entities; this is both, so either ``except`` works."""


class AmbiguousJoinPathError(AmbiguousForeignKeysError, InvalidRequestError):
    """``join()`` found several foreign key paths between its two sides (pass the ON
    clause); both an `AmbiguousForeignKeysError` and an `InvalidRequestError`, as for
    `NoJoinPathError`."""


class IllegalStateChangeError(InvalidRequestError):
    """A session or transaction method was called in a state that does not allow it."""


class NoDBAPILoaded(InvalidRequestError):
    """The engine's driver module could not be used."""


class NoSuchColumnError(InvalidRequestError, KeyError):
    """A row or column collection has no column of the requested name."""


class AmbiguousColumnError(InvalidRequestError):
    """A row has several columns that match the requested name."""


class NoReferenceError(InvalidRequestError):
    """A foreign key's target could not be found."""


class NoReferencedTableError(NoReferenceError):
    """A foreign key names a table that is not in its MetaData."""

    def __init__(self, message: str, tname: str | None = None) -> None:
        super().__init__(message)
        self.table_name = tname


class NoReferencedColumnError(NoReferenceError):
    """A foreign key names a column its target table does not have."""

    def __init__(self, message: str, tname: str | None = None, cname: str | None = None) -> None:
        super().__init__(message)
        self.table_name = tname
        self.column_name = cname


class NoSuchTableError(InvalidRequestError):
    """The database has no table of that name (raised by reflection)."""


class UnreflectableTableError(InvalidRequestError):
    """A table exists but cannot be reflected."""


class UnboundExecutionError(InvalidRequestError):
    """SQL was executed through an object that has no engine or connection."""


class AwaitRequired(InvalidRequestError):
    """An asyncio-only API was called without ``await`` (asyncio is not supported)."""


class MissingGreenlet(InvalidRequestError):
    """An asyncio bridge call was made outside of one (asyncio is not supported)."""


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


class UnmappedError(InvalidRequestError):
    """Base of the errors about objects, classes and columns that are not mapped."""


class UnmappedInstanceError(UnmappedError):
    """An object of a class that is not mapped was given to the session."""


class UnmappedClassError(UnmappedError):
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


class UnmappedColumnError(InvalidRequestError):
    """A column was used where a mapped column of the class was required."""


class ObjectDereferencedError(OrmError):
    """An operation needed an object that was garbage collected."""


class LoaderStrategyException(InvalidRequestError):
    """A loader option or ``lazy=`` strategy cannot apply to the attribute given."""


class MappedAnnotationError(ArgumentError):
    """A ``Mapped[...]`` annotation cannot be turned into a column or relationship."""


class StatementError(OrmError):
    """An error raised while a statement was executed, with the statement attached.

    ``statement`` and ``params`` are what was sent, ``orig`` the underlying exception.
    """

    def __init__(
        self,
        message: str,
        statement: str | None = None,
        params: Any = None,
        orig: BaseException | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.statement = statement
        self.params = params
        #: set for engines made with ``hide_parameters=True``: ``str()`` leaves them out
        self.hide_parameters = False
        self.orig = orig
        self.code = code

    def __str__(self) -> str:
        text = Exception.__str__(self)
        if self.statement is not None:
            stmt = self.statement if len(self.statement) < 500 else self.statement[:500] + "..."
            text += f"\n[SQL: {stmt}]"
            if self.hide_parameters:
                text += "\n[SQL parameters hidden due to hide_parameters=True]"
            elif self.params is not None:
                params = repr(self.params)
                if len(params) > 300:
                    params = params[:300] + "..."
                text += f"\n[parameters: {params}]"
        return text


class DBAPIError(StatementError):
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
        super().__init__(message, statement, params, orig, code)
        self.connection_invalidated = connection_invalidated

    @property
    def sqlstate(self) -> str | None:
        """The SQLSTATE or SQLite error name (alias of ``code``)."""
        return self.code


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


# -- warnings -----------------------------------------------------------------------------
class SAWarning(RuntimeWarning):
    """A warning about something that works but is probably not what was meant."""


class SADeprecationWarning(DeprecationWarning):
    """A deprecated API was used."""

    deprecated_since: str | None = None


class Base20DeprecationWarning(SADeprecationWarning):
    """An API that SQLAlchemy 2.0 deprecated was used."""


class RemovedIn20Warning(Base20DeprecationWarning):
    """An API removed in SQLAlchemy 2.0 was used (the name libraries filter)."""


class MovedIn20Warning(Base20DeprecationWarning):
    """An API that moved in SQLAlchemy 2.0 was imported from its old place."""


class LegacyAPIWarning(Base20DeprecationWarning):
    """A legacy (1.x style) API was used."""


class SAPendingDeprecationWarning(PendingDeprecationWarning):
    """An API that will be deprecated was used."""


class SATestSuiteWarning(Warning):
    """A warning from a test suite's own checks."""


__all__ = [
    "AmbiguousColumnError",
    "AmbiguousCommitError",
    "AmbiguousForeignKeysError",
    "AmbiguousJoinPathError",
    "ArgumentError",
    "AwaitRequired",
    "Base20DeprecationWarning",
    "CircularDependencyError",
    "ColumnValueError",
    "CompileError",
    "ConstraintColumnNotFoundError",
    "DBAPIError",
    "DataError",
    "DatabaseError",
    "DetachedInstanceError",
    "DisconnectionError",
    "DontWrapMixin",
    "DuplicateColumnError",
    "FlushError",
    "IdentifierError",
    "IllegalStateChangeError",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "InvalidRequestError",
    "InvalidatePoolError",
    "LegacyAPIWarning",
    "LoaderStrategyException",
    "MappedAnnotationError",
    "MissingGreenlet",
    "MovedIn20Warning",
    "MultipleResultsFound",
    "NoDBAPILoaded",
    "NoForeignKeysError",
    "NoInspectionAvailable",
    "NoJoinPathError",
    "NoReferenceError",
    "NoReferencedColumnError",
    "NoReferencedTableError",
    "NoResultFound",
    "NoSuchColumnError",
    "NoSuchModuleError",
    "NoSuchTableError",
    "NotSupportedError",
    "ObjectDeletedError",
    "ObjectDereferencedError",
    "ObjectNotExecutableError",
    "OperationalError",
    "OrmError",
    "PendingRollbackError",
    "ProgrammingError",
    "RemovedIn20Warning",
    "ResourceClosedError",
    "ResultValueError",
    "SADeprecationWarning",
    "SAPendingDeprecationWarning",
    "SATestSuiteWarning",
    "SAWarning",
    "SQLAlchemyError",
    "StaleDataError",
    "StatementError",
    "TimeoutError",
    "UnboundExecutionError",
    "UnmappedClassError",
    "UnmappedColumnError",
    "UnmappedError",
    "UnmappedInstanceError",
    "UnreflectableTableError",
    "UnsupportedCompilationError",
]
