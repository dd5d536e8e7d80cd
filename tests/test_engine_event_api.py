"""Engine and pool events with SQLAlchemy's signatures: before_cursor_execute rewriting
SQL with retval=True, after_cursor_execute, handle_error, engine_connect, the savepoint
events, first_connect, reset, invalidate, close, engine_disposed; listening on the
``Engine`` and ``Pool`` classes. Both backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from uow_orm import Engine, create_engine, event, exc, text
from uow_orm.engine.pool import Pool


@pytest.fixture
def listen() -> Iterator[Callable[..., Any]]:
    added: list[tuple[Any, str, Any]] = []

    def do(target: Any, name: str, fn: Any, **kw: Any) -> Any:
        event.listen(target, name, fn, **kw)
        added.append((target, name, fn))
        return fn

    yield do
    for target, name, fn in reversed(added):
        if event.contains(target, name, fn):
            event.remove(target, name, fn)


def test_before_cursor_execute_with_retval_rewrites_sql_and_parameters(engine, listen):
    def rewrite(conn, cursor, statement, parameters, context, executemany):
        if "41" in statement:
            return statement.replace("41", "42"), parameters
        return statement, parameters

    listen(engine, "before_cursor_execute", rewrite, retval=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 41")).scalar() == 42


def test_before_cursor_execute_gets_the_cursor_and_after_sees_it_executed(engine, listen):
    seen: list[Any] = []
    listen(
        engine,
        "before_cursor_execute",
        lambda conn, cur, sql, params, ctx, many: seen.append(("before", cur, many)),
    )
    listen(
        engine,
        "after_cursor_execute",
        lambda conn, cur, sql, params, ctx, many: seen.append(("after", cur, cur.description)),
    )
    with engine.connect() as conn:
        conn.execute(text("SELECT 1 AS one"))
    selects = [s for s in seen if s[0] == "after" and s[2]]
    assert selects and selects[-1][2][0][0] == "one"
    before = next(s for s in seen if s[0] == "before" and s[1] is selects[-1][1])
    assert before[2] is False


def test_retval_is_refused_where_it_means_nothing(engine):
    with pytest.raises(exc.ArgumentError, match="retval"):
        event.listen(engine, "after_cursor_execute", lambda *a: None, retval=True)
    with pytest.raises(exc.InvalidRequestError, match="No such event"):
        event.listen(engine, "before_flush", lambda *a: None)
    with pytest.raises(exc.InvalidRequestError, match="pool events"):
        event.listen(engine.pool, "before_cursor_execute", lambda *a: None)


def test_handle_error_sees_the_statement_and_may_raise_its_own_error(engine, listen):
    seen: list[Any] = []

    class AppError(Exception):
        pass

    def handle(ctx):
        seen.append((ctx.statement, type(ctx.sqlalchemy_exception), ctx.is_disconnect))
        if "nope_table" in ctx.statement:
            raise AppError("mapped")

    listen(engine, "handle_error", handle)
    with engine.connect() as conn:
        with pytest.raises(AppError):
            conn.execute(text("SELECT * FROM nope_table"))
    assert seen[0][0] == "SELECT * FROM nope_table"
    assert issubclass(seen[0][1], exc.DBAPIError)
    assert seen[0][2] is False


def test_handle_error_that_returns_lets_the_wrapped_error_through(engine, listen):
    listen(engine, "handle_error", lambda ctx: None)
    with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError):
            conn.execute(text("SELECT * FROM nope_table"))


def test_engine_connect_and_savepoint_events(engine, listen):
    seen: list[Any] = []
    listen(engine, "engine_connect", lambda conn: seen.append("connect"))
    listen(engine, "savepoint", lambda conn, name: seen.append(("savepoint", name)))
    listen(engine, "rollback_savepoint", lambda conn, name, ctx: seen.append(("rollback", name)))
    listen(engine, "release_savepoint", lambda conn, name, ctx: seen.append(("release", name)))
    with engine.connect() as conn:
        sp = conn.begin_nested()
        sp.rollback()
        sp2 = conn.begin_nested()
        sp2.commit()
    assert seen[0] == "connect"
    assert [s[0] for s in seen[1:]] == ["savepoint", "rollback", "savepoint", "release"]
    assert seen[1][1] == seen[2][1] and seen[3][1] == seen[4][1]


def test_savepoint_names_are_distinct_while_open_and_reused_once_ended(engine, listen):
    # named by depth, so a loop of savepoints sends the same SQL text (statement cache)
    begun: list[str] = []
    listen(engine, "savepoint", lambda conn, name: begun.append(name))
    with engine.connect() as conn:
        outer = conn.begin_nested()
        inner = conn.begin_nested()
        conn.execute(text("SELECT 1"))
        inner.rollback()
        again = conn.begin_nested()
        again.commit()
        outer.commit()
        for _ in range(3):
            with conn.begin_nested():
                conn.execute(text("SELECT 1"))
        conn.commit()
    assert len(set(begun[:2])) == 2  # open at once: different names
    assert begun[2] == begun[1]  # the inner one ended: its depth's name again
    assert begun[3:] == [begun[0]] * 3


def test_pool_events_first_connect_reset_invalidate_close(db_url, listen):
    engine = create_engine(db_url)
    seen: list[Any] = []
    listen(engine.pool, "first_connect", lambda dbapi, rec: seen.append("first_connect"))
    listen(engine.pool, "connect", lambda dbapi, rec: seen.append("connect"))
    listen(
        engine.pool,
        "reset",
        lambda dbapi, rec, state: seen.append(("reset", state.terminate_only)),
    )
    listen(engine.pool, "invalidate", lambda dbapi, rec, e: seen.append(("invalidate", e)))
    listen(engine.pool, "close", lambda dbapi, rec: seen.append("close"))
    try:
        with engine.connect() as c1, engine.connect() as c2:
            c1.execute(text("SELECT 1"))
            c2.execute(text("SELECT 1"))
        assert seen.count("first_connect") == 1
        assert seen.count("connect") == 2
        assert seen.count(("reset", False)) == 2
        err = RuntimeError("gone")
        with engine.connect() as c3:
            c3.invalidate(err)
        assert ("invalidate", err) in seen
        assert "close" in seen
    finally:
        engine.dispose()


def test_engine_disposed_fires_on_dispose(db_url, listen):
    engine = create_engine(db_url)
    seen: list[Any] = []
    listen(engine, "engine_disposed", seen.append)
    engine.dispose()
    assert seen == [engine]


def test_listeners_on_engine_and_pool_classes_reach_every_engine(db_url, listen):
    seen: list[str] = []
    listen(Engine, "before_cursor_execute", lambda c, cur, sql, p, ctx, m: seen.append(sql))
    listen(Pool, "connect", lambda dbapi, rec: seen.append("pool connect"))
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 7"))
    finally:
        engine.dispose()
    assert "pool connect" in seen
    assert "SELECT 7" in seen


def test_named_engine_listener(engine, listen):
    seen: list[list[str]] = []
    listen(engine, "before_cursor_execute", lambda **kw: seen.append(sorted(kw)), named=True)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert seen[-1] == ["conn", "context", "cursor", "executemany", "parameters", "statement"]
