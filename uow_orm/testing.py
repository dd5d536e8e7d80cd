"""Test helpers: `assert_statements` counts the SQL statements a block sends.

Used by applications' test suites (and uow_orm's own); listens on the ``Engine`` class
(or one engine) for ``before_cursor_execute`` while the block runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import event, exc
from .orm.lazy_warning import LazyLoadWarning

#: Statements that only bracket work (counted only with include_transaction_control=True).
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PREPARE|END)\b", re.I)


class StatementLog:
    """The statements an `assert_statements` block sent, in order (``statements``: the SQL
    texts that counted; ``parameters``: their parameters)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.parameters: list[Any] = []

    def __len__(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:
        return f"<StatementLog {len(self.statements)} statements>"


def _listing(statements: list[str]) -> str:
    return "\n".join(f"  {i}. {s}" for i, s in enumerate(statements, 1))


@contextmanager
def assert_statements(
    max: int | None = None,
    *,
    count: int | None = None,
    match: str | re.Pattern[str] | None = None,
    bind: Any = None,
    include_transaction_control: bool = False,
) -> Iterator[StatementLog]:
    """Count the SQL statements sent inside the block; fail the test when too many.

    ``with assert_statements(max=2): ...`` raises AssertionError (listing every statement)
    when the block sends more than 2 statements; ``count=`` demands an exact number.
    ``match`` (a regular expression, searched case-insensitively) counts only the
    statements it finds, e.g. ``match=r"^SELECT"``. ``bind`` limits the count to one
    engine (default: every engine). BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE are
    not counted unless ``include_transaction_control=True``. An executemany call is one
    statement. The log of counted statements is yielded.

    Raises:
        AssertionError: the block sent more than ``max`` (or not exactly ``count``).
        ArgumentError: ``max`` or ``count`` negative, or both given.
    """
    _check_limits(max, count)
    pattern = re.compile(match, re.I) if isinstance(match, str) else match
    log = StatementLog()

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not include_transaction_control and _CONTROL.match(statement):
            return
        if pattern is not None and not pattern.search(statement):
            return
        log.statements.append(statement)
        log.parameters.append(parameters)

    if bind is None:
        from .engine.base import Engine

        target: Any = Engine
    else:
        target = bind
    event.listen(target, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(target, "before_cursor_execute", record)
    _check_count(log, max, count, pattern)


def _check_limits(max: int | None, count: int | None) -> None:
    if max is not None and count is not None:
        raise exc.ArgumentError("assert_statements() takes max= or count=, not both")
    for name, value in (("max", max), ("count", count)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise exc.ArgumentError(f"assert_statements({name}=...) must be an int >= 0")


def _check_count(
    log: StatementLog, max: int | None, count: int | None, pattern: re.Pattern[str] | None
) -> None:
    what = f" matching {pattern.pattern!r}" if pattern is not None else ""
    n = len(log.statements)
    if max is not None and n > max:
        raise AssertionError(
            f"expected at most {max} statements{what}, {n} were sent:\n{_listing(log.statements)}"
        )
    if count is not None and n != count:
        raise AssertionError(
            f"expected {count} statements{what}, {n} were sent:\n{_listing(log.statements)}"
        )


__all__ = ["LazyLoadWarning", "StatementLog", "assert_statements"]
