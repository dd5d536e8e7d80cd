"""Engine and pool events: SQLAlchemy's ``ConnectionEvents`` and ``PoolEvents`` names.

Used by ``create_engine`` (each engine gets an `EngineDispatch` whose parents are the
class-level ones) and by `event.listen` for ``Engine`` / ``Pool`` targets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import exc
from ..event import Dispatcher, EventHost, dispatcher_class, register_resolver

#: PoolEvents: name -> argument names.
POOL_SIGNATURES: dict[str, tuple[str, ...]] = {
    "connect": ("dbapi_connection", "connection_record"),
    "first_connect": ("dbapi_connection", "connection_record"),
    "checkout": ("dbapi_connection", "connection_record", "connection_proxy"),
    "checkin": ("dbapi_connection", "connection_record"),
    "reset": ("dbapi_connection", "connection_record", "reset_state"),
    "invalidate": ("dbapi_connection", "connection_record", "exception"),
    "close": ("dbapi_connection", "connection_record"),
}

#: ConnectionEvents: name -> argument names.
CONNECTION_SIGNATURES: dict[str, tuple[str, ...]] = {
    "before_cursor_execute": (
        "conn",
        "cursor",
        "statement",
        "parameters",
        "context",
        "executemany",
    ),
    "after_cursor_execute": (
        "conn",
        "cursor",
        "statement",
        "parameters",
        "context",
        "executemany",
    ),
    "handle_error": ("exception_context",),
    "engine_connect": ("conn",),
    "engine_disposed": ("engine",),
    "begin": ("conn",),
    "commit": ("conn",),
    "rollback": ("conn",),
    "savepoint": ("conn", "name"),
    "rollback_savepoint": ("conn", "name", "context"),
    "release_savepoint": ("conn", "name", "context"),
}

ENGINE_SIGNATURES = {**POOL_SIGNATURES, **CONNECTION_SIGNATURES}


def _legacy_cursor_execute(fn: Callable[..., Any]) -> Callable[..., Any]:
    """uow_orm's first signature ``fn(conn, statement, parameters, executemany)``."""

    def adapted(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> Any:
        return fn(conn, statement, parameters, many)

    return adapted


EngineDispatch = dispatcher_class(
    "EngineDispatch",
    ENGINE_SIGNATURES,
    retval_events=("before_cursor_execute",),
    legacy={"before_cursor_execute": {4: _legacy_cursor_execute}},
)
PoolDispatch = dispatcher_class("PoolDispatch", POOL_SIGNATURES)

#: Listeners on the class ``Engine`` (every engine) and ``Pool`` (every pool).
ENGINE_CLASS_DISPATCH = EngineDispatch("Engine class")
POOL_CLASS_DISPATCH = PoolDispatch("Pool class")


def engine_dispatch(parent: Dispatcher | None = None) -> Dispatcher:
    """A new engine's dispatcher; ``parent`` is the engine an ``execution_options()`` copy
    shares its pool with (pool events are registered there)."""
    if parent is not None:
        return EngineDispatch("Engine", [parent], forward=frozenset(POOL_SIGNATURES))
    return EngineDispatch("Engine", [ENGINE_CLASS_DISPATCH, POOL_CLASS_DISPATCH])


class _PoolHost:
    """A pool target: its engine's dispatcher, restricted to the pool events."""

    def __init__(self, dispatch: Dispatcher) -> None:
        self._dispatch = dispatch

    def _check(self, identifier: str) -> None:
        if identifier not in POOL_SIGNATURES:
            raise exc.InvalidRequestError(
                f"No such event {identifier!r} for a pool; pool events are "
                f"{', '.join(sorted(POOL_SIGNATURES))}"
            )

    def _listen(self, identifier: str, fn: Callable[..., Any], flags: dict[str, Any]) -> None:
        self._check(identifier)
        self._dispatch._listen(identifier, fn, flags)

    def _remove(self, identifier: str, fn: Callable[..., Any]) -> None:
        self._check(identifier)
        self._dispatch._remove(identifier, fn)

    def _contains(self, identifier: str, fn: Callable[..., Any]) -> bool:
        return self._dispatch._contains(identifier, fn)


def _resolve(target: Any, identifier: str) -> EventHost | None:
    from .base import Connection, Engine
    from .pool import Pool

    if isinstance(target, type):
        if issubclass(target, Engine):
            if target is not Engine:
                raise exc.InvalidRequestError(
                    f"listen on the Engine class or on an engine, not on {target.__name__}"
                )
            return ENGINE_CLASS_DISPATCH
        if issubclass(target, Pool):
            if target is not Pool:
                raise exc.InvalidRequestError(
                    f"listen on the Pool class or on engine.pool, not on {target.__name__}"
                )
            return POOL_CLASS_DISPATCH
        return None
    if isinstance(target, Pool):
        return _PoolHost(target._dispatch)
    if isinstance(target, Connection):
        raise exc.InvalidRequestError(
            "listening on a single Connection is not supported; listen on its engine (conn.engine)"
        )
    return None


register_resolver(_resolve)


class ExceptionContext:
    """What a ``handle_error`` listener receives (SQLAlchemy's ``ExceptionContext``).

    ``original_exception`` is the driver's error, ``sqlalchemy_exception`` the
    ``uow_orm.exc`` error about to be raised (None when the error is not the driver's);
    a listener may raise its own exception instead, or set ``invalidate_pool_on_disconnect``.
    """

    def __init__(
        self,
        connection: Any,
        engine: Any,
        cursor: Any,
        statement: str | None,
        parameters: Any,
        original_exception: BaseException,
        sqlalchemy_exception: BaseException | None,
        is_disconnect: bool,
    ) -> None:
        self.connection = connection
        self.engine = engine
        self.cursor = cursor
        self.statement = statement
        self.parameters = parameters
        self.original_exception = original_exception
        self.sqlalchemy_exception = sqlalchemy_exception
        self.is_disconnect = is_disconnect
        self.invalidate_pool_on_disconnect = True
        self.execution_context = None
        self.dialect = getattr(engine, "dialect", None)
        self.chained_exception = None
        self.is_pre_ping = False


class CursorExecutionContext:
    """The ``context`` a ``before_cursor_execute`` / ``after_cursor_execute`` listener
    receives (the part of SQLAlchemy's ``ExecutionContext`` uow_orm has).

    ``execution_options`` are the connection's options (its engine's, then its own,
    the application's own keys included); ``connection``, ``cursor``, ``dialect``,
    ``statement``, ``parameters`` and ``executemany`` describe the execution. Made only
    when a cursor listener is registered.
    """

    __slots__ = (
        "connection",
        "cursor",
        "dialect",
        "executemany",
        "execution_options",
        "parameters",
        "statement",
    )

    def __init__(
        self, connection: Any, cursor: Any, statement: str, parameters: Any, many: bool
    ) -> None:
        self.connection = connection
        self.cursor = cursor
        self.dialect = connection.dialect
        self.statement = statement
        self.parameters = parameters
        self.executemany = many
        self.execution_options: dict[str, Any] = dict(connection._execution_options)


__all__ = [
    "CONNECTION_SIGNATURES",
    "ENGINE_CLASS_DISPATCH",
    "POOL_CLASS_DISPATCH",
    "POOL_SIGNATURES",
    "CursorExecutionContext",
    "EngineDispatch",
    "ExceptionContext",
    "engine_dispatch",
]
