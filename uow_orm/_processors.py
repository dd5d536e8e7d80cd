"""The one loop that runs type processors over rows, and the error a bind processor raises.

A leaf module, so that the engine (converting result rows) and the SQL and ORM layers
(bind values) share it without the engine importing the type system.

Called by: uow_orm.types (which re-exports both names), uow_orm.engine.base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import exc
from .exc import ColumnValueError

#: A bind or result processor: converts one value; None when the value is used as is.
Processor = Callable[[Any], Any] | None


class _BadValue(exc.ColumnValueError):
    """Raised by a bind processor; the caller adds which column it was for.

    Callers re-raise it as `exc.ColumnValueError` naming the attribute; being one itself, it
    is still a uow_orm error should a path forget to.
    """


def processor_items(procs: Iterable[Processor]) -> list[tuple[int, Callable[[Any], Any]]]:
    """``(position, processor)`` of the processors that do something, for `apply_processors`."""
    return [(i, p) for i, p in enumerate(procs) if p is not None]


def apply_processors(
    rows: Iterable[list[Any]],
    items: Sequence[tuple[int, Callable[[Any], Any]]],
    on_error: Callable[[int, Any, ColumnValueError], Exception] | None = None,
) -> None:
    """Convert, in place, the non-None values of each row (a list) at the positions of
    ``items`` (from `processor_items`): the one loop through which type processors run,
    bind processors on the write path and result processors on the read path.

    Args:
        rows: lists of values, changed in place.
        items: ``(position, processor)`` pairs.
        on_error: builds the exception raised for a value a bind processor refuses, from
            its position, the value and the processor's error; without it that error is
            raised as is.

    Raises:
        exc.ColumnValueError: a value the column's type refuses.
    """
    if not items:
        return
    for vals in rows:
        for i, p in items:
            v = vals[i]
            if v is not None:
                try:
                    vals[i] = p(v)
                except _BadValue as e:
                    if on_error is None:
                        raise
                    raise on_error(i, v, e) from None


__all__ = ["Processor", "apply_processors", "processor_items"]
