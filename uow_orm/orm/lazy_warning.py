"""The opt-in N+1 warning: ``Session(warn_lazy_loads=True)`` warns on each lazy load.

The warning names the attribute, the caller's line and the loader option that would have
loaded it with the query.

Called by: loading (just before a lazy load sends its SELECT), uow_orm.testing.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any

from .. import exc

if TYPE_CHECKING:
    from .relationships import RelationshipProperty

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class LazyLoadWarning(exc.SAWarning):
    """A relationship was lazy loaded (one SELECT per object: the N+1 pattern) in a
    session made with ``warn_lazy_loads=True``."""


def warn_lazy_load(obj: Any, prop: RelationshipProperty) -> None:
    """Warn that ``prop`` of ``obj`` is being lazy loaded, pointing at the caller."""
    frame = sys._getframe(1)
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "?"
    owner = prop.parent.class_.__name__
    option = "selectinload" if prop.uselist else "joinedload"
    warnings.warn(
        f"lazy load of {owner}.{prop.key} for {obj!r} at {where} sends a SELECT for this "
        f"one object (in a loop that is one query per object, the N+1 pattern); load it "
        f"with the query instead: .options({option}({owner}.{prop.key}))",
        LazyLoadWarning,
        stacklevel=level,
    )


__all__ = ["LazyLoadWarning", "warn_lazy_load"]
