"""``create_engine``: from a URL to a dialect, a pool and an engine.

Called by: uow_orm.engine, uow_orm.migrate.commands.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, cast

from .. import exc
from .._typing import DBAPIConnection
from ..event import Dispatcher
from .base import Engine, logger
from .events import engine_dispatch
from .pool import NullPool, Pool, QueuePool, SingletonThreadPool, StaticPool
from .url import URL, make_url

if TYPE_CHECKING:
    from ..dialects.base import Dialect
    from ..dialects.sqlite_dialect import SQLiteDialect

_DRIVERS = {
    ("sqlite", None): "sqlite",
    ("sqlite", "pysqlite"): "sqlite",
    ("postgresql", None): "postgresql",
    ("postgresql", "psycopg"): "postgresql",
    # psycopg2 URLs (the most common in existing configuration) connect through psycopg 3,
    # uow_orm's PostgreSQL driver: same server, same libpq connection parameters
    ("postgresql", "psycopg2"): "postgresql",
    ("postgres", None): "postgresql",
}


def _dialect_for(url: URL) -> Dialect:
    key = _DRIVERS.get((url.backend, url.driver))
    if key is None:
        known = (
            "sqlite://, sqlite:///file.db, postgresql://, postgresql+psycopg:// "
            "(postgresql+psycopg2:// also connects through psycopg 3)"
        )
        if url.backend in ("sqlite", "postgresql", "postgres"):
            raise exc.ArgumentError(
                f"unknown driver {url.driver!r} for {url.backend} in URL {url}; supported: {known}"
            )
        raise exc.ArgumentError(
            f"unknown database URL scheme {url.drivername!r} in {url}; supported: {known}"
        )
    if key == "sqlite":
        from ..dialects.sqlite_dialect import SQLiteDialect

        return SQLiteDialect()
    from ..dialects.postgresql_dialect import PGDialect

    return PGDialect()


def _echo_logger(debug: bool, name: str | None = None) -> logging.Logger:
    """The logger of engines made with ``echo``: a child of ``uow_orm.engine`` with its own
    level and stdout handler, so echo applies to those engines only (``logging_name``
    names it ``uow_orm.engine.Engine.<name>``)."""
    child = f"Engine.{name}" if name else ("echo_debug" if debug else "echo")
    return _stdout_logger(logger.getChild(child), debug)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a record is logged (a redirect or a test's
    capture made after the engine still sees echo output)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def _stdout_logger(log: logging.Logger, debug: bool) -> logging.Logger:
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    if not any(getattr(h, "_uow_echo", False) for h in log.handlers):
        handler = _StdoutHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._uow_echo = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    return log


def _log_pool(engine: Engine, debug: bool) -> None:
    """``echo_pool``: new and closed connections (and, with ``"debug"``, each checkout and
    checkin) logged to ``uow_orm.pool`` on stdout."""
    from .. import event

    log = _stdout_logger(logging.getLogger("uow_orm.pool"), debug)
    event.listen(engine, "connect", lambda c, r: log.info("Created new connection %r", c))
    event.listen(engine, "close", lambda c, r: log.info("Closing connection %r", c))
    event.listen(
        engine, "checkout", lambda c, r, p: log.debug("Connection %r checked out from pool", c)
    )
    event.listen(engine, "checkin", lambda c, r: log.debug("Connection %r being returned", c))


def create_engine(
    url: str | URL,
    *,
    echo: bool | str = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    pool_recycle: float = -1,
    pool_pre_ping: bool = False,
    pool_use_lifo: bool = False,
    poolclass: type[Pool] | None = None,
    connect_args: dict[str, Any] | None = None,
    isolation_level: str | None = None,
    execution_options: dict[str, Any] | None = None,
    future: bool = True,
    echo_pool: bool | str = False,
    logging_name: str | None = None,
    hide_parameters: bool = False,
) -> Engine:
    """Make an `Engine` for ``url``.

    ``sqlite://`` gives an in-memory database on one shared connection; files and
    servers get a `QueuePool`. ``echo=True`` logs every statement (``"debug"`` also
    logs parameters) to stdout through the ``uow_orm.engine`` logger.

    ``isolation_level`` applies to every connection: ``"AUTOCOMMIT"`` (no transactions: each
    statement commits), or a level the backend has (PostgreSQL: ``"READ COMMITTED"``,
    ``"REPEATABLE READ"``, ``"SERIALIZABLE"``, ``"READ UNCOMMITTED"``; SQLite:
    ``"SERIALIZABLE"``, ``"READ UNCOMMITTED"``). ``execution_options`` are the options every
    connection starts with (see `Connection.execution_options`), e.g. ``{"sqlite_begin":
    "IMMEDIATE"}``. On SQLite, ``connect_args={"isolation_level": "IMMEDIATE"}`` (the
    ``sqlite3`` spelling) means the same. ``future`` exists for code written for SQLAlchemy
    1.4 and may only be True (the only behaviour there is). ``echo_pool`` logs new and
    closed connections (``"debug"``: every checkout and checkin) to ``uow_orm.pool``;
    ``logging_name`` names the engine's logger ``uow_orm.engine.Engine.<name>``;
    ``hide_parameters`` leaves parameters out of logs and error messages;
    ``pool_use_lifo=True`` makes the `QueuePool` lend the connection returned last.

    Raises:
        ArgumentError: an unknown URL scheme or driver, isolation level or execution
            option, or ``future=False``.
    """
    _check_future(future)
    u = make_url(url)
    dialect, args = _dialect_for(u), dict(connect_args or {})
    options = _engine_options(dialect, args, execution_options, isolation_level)
    dispatch = engine_dispatch()
    pool = _make_pool(
        poolclass,
        (u, args, dialect, dispatch),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping,
        pool_use_lifo=pool_use_lifo,
    )
    engine = Engine(u, dialect, pool, echo=bool(echo), dispatch=dispatch, execution_options=options)
    _set_logging(engine, echo, echo_pool, logging_name, hide_parameters)
    return engine


def _check_future(future: bool) -> None:
    if future is not True:
        raise exc.ArgumentError(
            "the 'future' parameter passed to create_engine() may only be set to True"
        )


def _set_logging(
    engine: Engine,
    echo: bool | str,
    echo_pool: bool | str,
    logging_name: str | None,
    hide_parameters: bool,
) -> None:
    """``echo``, ``echo_pool``, ``logging_name`` and ``hide_parameters`` of a new engine."""
    engine.hide_parameters = hide_parameters
    engine.logging_name = logging_name
    if echo:
        engine.logger = _echo_logger(echo == "debug", logging_name)
    elif logging_name:
        engine.logger = logger.getChild(f"Engine.{logging_name}")
    if echo_pool:
        _log_pool(engine, echo_pool == "debug")


def _engine_options(
    dialect: Dialect,
    connect_args: dict[str, Any],
    execution_options: dict[str, Any] | None,
    isolation_level: str | None,
) -> dict[str, Any]:
    """The engine's execution options from its three spellings (driver ``connect_args``,
    ``execution_options``, ``isolation_level``); moves uow_orm's own keys out of
    ``connect_args``.

    Raises:
        ArgumentError: two spellings of one option disagree.
    """
    options = dialect.engine_options_from_connect_args(connect_args)
    for key, value in (execution_options or {}).items():
        if key in options and options[key] != _same(dialect, key, value):
            raise exc.ArgumentError(
                f"connect_args and execution_options disagree on {key}: "
                f"{options[key]!r} and {value!r}; give it once"
            )
        options[key] = value
    if isolation_level is not None:
        given = options.get("isolation_level")
        if given is not None and _same(dialect, "isolation_level", given) != _same(
            dialect, "isolation_level", isolation_level
        ):
            raise exc.ArgumentError(
                f"isolation_level={isolation_level!r} and execution_options isolation_level="
                f"{given!r} disagree; give it once"
            )
        options["isolation_level"] = isolation_level
    return options


def _make_pool(
    poolclass: type[Pool] | None,
    target: tuple[URL, dict[str, Any], Dialect, Dispatcher],
    *,
    pool_size: int,
    max_overflow: int,
    pool_timeout: float,
    pool_recycle: float,
    pool_pre_ping: bool,
    pool_use_lifo: bool,
) -> Pool:
    """A pool of ``poolclass`` (by default `StaticPool` for an in-memory SQLite database,
    else `QueuePool`) connecting to ``target`` (URL, connect args, dialect, dispatcher),
    given the options that class takes."""
    url, connect_args, dialect, dispatch = target

    def creator() -> DBAPIConnection:
        return dialect.connect(url, connect_args)

    if poolclass is None:
        memory = dialect.name == "sqlite" and cast("SQLiteDialect", dialect).is_memory(url)
        poolclass = StaticPool if memory else QueuePool
    if poolclass is QueuePool:
        return QueuePool(
            creator,
            dialect,
            dispatch,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_recycle=pool_recycle,
            pool_pre_ping=pool_pre_ping,
            use_lifo=pool_use_lifo,
        )
    if pool_use_lifo:
        raise exc.ArgumentError(
            f"pool_use_lifo=True: {poolclass.__name__} keeps no queue of idle connections "
            "(only QueuePool has one)"
        )
    if poolclass is StaticPool:
        return StaticPool(creator, dialect, dispatch, pool_timeout=pool_timeout)
    if poolclass is NullPool:
        return NullPool(
            creator, dialect, dispatch, pool_recycle=pool_recycle, pool_pre_ping=pool_pre_ping
        )
    if poolclass is SingletonThreadPool:
        return SingletonThreadPool(creator, dialect, dispatch, pool_size=pool_size)
    return poolclass(creator, dialect, dispatch)


def _same(dialect: Dialect, key: str, value: Any) -> Any:
    """``value`` in canonical spelling, to compare two spellings of one option."""
    if key == "sqlite_begin" and dialect.name == "sqlite":
        return dialect.normalize_begin_mode(value)
    if key == "isolation_level":
        return dialect.normalize_isolation_level(value)
    return value


#: ``create_engine()`` keywords a configuration file may give as text, and their types.
_CONFIG_TYPES: dict[str, type] = {
    "echo": bool,
    "pool_size": int,
    "max_overflow": int,
    "pool_timeout": float,
    "pool_recycle": float,
    "pool_pre_ping": bool,
    "pool_use_lifo": bool,
    "future": bool,
}


def _config_value(key: str, value: Any) -> Any:
    kind = _CONFIG_TYPES.get(key)
    if kind is None or not isinstance(value, str):
        return value
    if kind is bool:
        text = value.strip().lower()
        if key == "echo" and text == "debug":
            return "debug"
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise exc.ArgumentError(f"configuration value {key}={value!r} is not a boolean")
    try:
        return kind(value)
    except ValueError:
        raise exc.ArgumentError(
            f"configuration value {key}={value!r} is not a {kind.__name__}"
        ) from None


def engine_from_config(
    configuration: dict[str, Any], prefix: str = "sqlalchemy.", **kwargs: Any
) -> Engine:
    """`create_engine` from a configuration dict (an ``.ini`` section, say): the keys that
    start with ``prefix`` (``sqlalchemy.url``, ``sqlalchemy.echo``, ``sqlalchemy.pool_size``,
    ...) with the prefix removed; text values of known options are converted
    (``"true"``, ``"5"``); ``kwargs`` override the configuration.

    Raises:
        ArgumentError: no ``<prefix>url`` key, or a value that does not convert.
    """
    options = {
        key[len(prefix) :]: value for key, value in configuration.items() if key.startswith(prefix)
    }
    if "url" not in options:
        raise exc.ArgumentError(f"engine_from_config(): the configuration has no {prefix}url key")
    url = options.pop("url")
    options = {k: _config_value(k, v) for k, v in options.items()}
    options.update(kwargs)
    return create_engine(url, **options)
