"""The one-thread-at-a-time guard on the `Session` methods that change its bookkeeping.

Called by: session (``commit``, ``rollback``, ``close``, ``execute``) and flush (``flush``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from .. import exc

_F = TypeVar("_F", bound=Callable[..., Any])


class Guarded(Protocol):
    """An object whose guarded methods share one lock (a `Session`'s, made in its
    ``__init__``)."""

    @property
    def _in_use(self) -> threading.RLock: ...


def exclusive(fn: _F) -> _F:
    """Refuse to run while another thread is inside the session (a Session is not
    thread-safe; sharing one would corrupt its bookkeeping silently).

    Raises:
        InvalidRequestError: another thread is running a guarded method of this session
            (the same thread may nest them: ``commit()`` flushes).
    """

    @functools.wraps(fn)
    def guarded(self: Guarded, *args: Any, **kw: Any) -> Any:
        lock = self._in_use
        if not lock.acquire(False):  # (blocking=False, positionally: no keyword parsing)
            raise exc.InvalidRequestError(
                f"this Session is being used by another thread right now (in "
                f"{fn.__name__}()); a Session is for one thread at a time: give each thread "
                "its own Session, e.g. one per call of a sessionmaker"
            )
        try:
            return fn(self, *args, **kw)
        finally:
            lock.release()

    return guarded  # type: ignore[return-value]


__all__ = ["Guarded", "exclusive"]
