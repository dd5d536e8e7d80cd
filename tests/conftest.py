"""Shared fixtures: backends (sqlite / postgresql), fresh databases, engines, sessions, SQL capture.

Every test module relies on these fixtures; read them before writing a new test module.
PostgreSQL comes from a throwaway server (tests/pgserver.py) started on first use.

The fixture chain a test module usually needs::

    backend -> db_url -> engine -> db -> session

``db`` is the engine with the requesting module's tables created (its module-level ``Base``,
or every base named in a module-level ``DB_BASES`` tuple); ``session`` is a ``Session`` on
it, closed after the test. A module that must seed data overrides the fixture and asks for
the shared one by the same name (``def db(db): seed(db); return db``). ``fetch`` and ``run``
are plain helpers for reading and writing with raw SQL on a connection of their own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pgserver import PgServer

ALL_BACKENDS = ("sqlite", "postgresql")


def _selected_backends() -> list[str]:
    raw = os.environ.get("UOW_TEST_BACKENDS", ",".join(ALL_BACKENDS))
    chosen = [name.strip().lower() for name in raw.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in ALL_BACKENDS]
    if unknown:
        raise pytest.UsageError(
            f"UOW_TEST_BACKENDS names unknown backend(s) {unknown}; use a comma list of "
            f"{', '.join(ALL_BACKENDS)}"
        )
    return chosen


BACKENDS = _selected_backends()


# -- options, markers, hypothesis profiles ------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="also run tests marked 'slow' (and use many hypothesis examples)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml; repeated so the markers exist with any rootdir.
    config.addinivalue_line("markers", "slow: long-running tests; run with --slow")
    config.addinivalue_line("markers", "concurrency: tests using several threads at once")
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # hypothesis is in the [test] extra; tolerate running without it
        return
    settings.register_profile(
        "quick",
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.register_profile(
        "slow",
        max_examples=500,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.load_profile("slow" if config.getoption("--slow") else "quick")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_slow = config.getoption("--slow")
    # PostgreSQL-only tests (pg_server / pg_url) follow UOW_TEST_BACKENDS like the others.
    run_pg_only = "postgresql" in BACKENDS
    kept, deselected = [], []
    for item in items:
        wanted = (run_slow or item.get_closest_marker("slow") is None) and (
            run_pg_only or "pg_server" not in getattr(item, "fixturenames", ())
        )
        (kept if wanted else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


# -- PostgreSQL server --------------------------------------------------------------------
_server = PgServer()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's throwaway PostgreSQL server, started on first use."""
    _server.start()
    yield _server
    _server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


# -- backends and databases ---------------------------------------------------------------
@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a fresh empty database on the current backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    import uow_orm

    eng = uow_orm.create_engine(db_url)
    yield eng
    eng.dispose()


def _module_bases(module: Any) -> tuple[Any, ...]:
    """The declarative bases whose tables ``db`` creates for ``module``."""
    bases = getattr(module, "DB_BASES", None)
    if bases is not None:
        return tuple(bases)
    base = getattr(module, "Base", None)
    return () if base is None or not hasattr(base, "metadata") else (base,)


@pytest.fixture
def db(engine: Any, request: pytest.FixtureRequest) -> Any:
    """``engine`` with the test module's tables created (``DB_BASES``, else its ``Base``)."""
    for base in _module_bases(request.module):
        base.metadata.create_all(engine)
    return engine


@pytest.fixture
def session(db: Any) -> Iterator[Any]:
    """A ``Session`` on ``db`` (the module's tables exist), closed after the test."""
    from uow_orm import Session

    with Session(db) as s:
        yield s


@pytest.fixture
def listen() -> Iterator[Callable[..., Any]]:
    """``listen(target, name, fn, **flags)``: ``event.listen`` whose listeners are removed
    after the test (event registrations on classes outlive it otherwise)."""
    from uow_orm import event

    added: list[tuple[Any, str, Any]] = []

    def do(target: Any, name: str, fn: Any, **kw: Any) -> Any:
        event.listen(target, name, fn, **kw)
        added.append((target, name, fn))
        return fn

    yield do
    for target, name, fn in reversed(added):
        if event.contains(target, name, fn):
            event.remove(target, name, fn)


# -- raw SQL helpers ----------------------------------------------------------------------
def fetch(engine: Any, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of a raw SQL query run on a connection of its own, as tuples."""
    from uow_orm import text

    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params).all()]


def run(engine: Any, sql: str, **params: Any) -> None:
    """Run one raw SQL statement in a transaction of its own and commit it."""
    from uow_orm import text

    with engine.begin() as conn:
        conn.execute(text(sql), params)


# -- SQL capture --------------------------------------------------------------------------
class SqlLog:
    """Statements an engine sent, recorded from the "before_cursor_execute" event."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any, bool]] = []
        self.active = True

    def _record(self, conn: Any, statement: str, parameters: Any, executemany: bool) -> None:
        if self.active:
            self.statements.append((statement, parameters, executemany))

    @property
    def sql(self) -> list[str]:
        return [statement for statement, _params, _many in self.statements]

    def clear(self) -> None:
        self.statements.clear()

    def count(self, prefix: str) -> int:
        wanted = prefix.strip().upper()
        return sum(1 for sql in self.sql if sql.lstrip().upper().startswith(wanted))

    def __len__(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:
        return "SqlLog(\n  " + "\n  ".join(repr(s) for s in self.sql) + "\n)"


@pytest.fixture
def sql_log() -> Iterator[Callable[[Any], SqlLog]]:
    """``log = sql_log(engine)`` records every statement that engine sends from now on."""
    from uow_orm import event

    logs: list[SqlLog] = []

    def start(target: Any) -> SqlLog:
        log = SqlLog()
        event.listen(target, "before_cursor_execute", log._record)
        logs.append(log)
        return log

    yield start
    for log in logs:
        log.active = False
