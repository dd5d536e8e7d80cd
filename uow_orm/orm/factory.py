"""``sessionmaker``: a configured Session factory (importable from `.session` too).

Called by: session (re-exports it; scoping and applications import it from there),
session_events (``listen(sessionmaker, ...)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import events as _events
from .routing import make_replica_set
from .session import Session


class sessionmaker:
    """A configured Session factory: ``Session = sessionmaker(engine)``; ``Session()``."""

    def __init__(self, bind: Any = None, *, class_: type[Session] = Session, **kw: Any) -> None:
        self.kw = dict(kw)
        self.kw["bind"] = bind
        if kw.get("replicas") is not None:
            # One ReplicaSet for every session of the factory: turns and down marks shared.
            self.kw["replicas"] = make_replica_set(kw["replicas"])
        self.class_ = class_
        self.dispatch = _events.SessionDispatch("sessionmaker")

    def __call__(self, **overrides: Any) -> Session:
        kw = {**self.kw, **overrides}
        session = self.class_(**kw)
        session.dispatch._add_parent(self.dispatch)  # the factory's listeners run too
        return session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error, closed."""
        session = self()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def configure(self, **kw: Any) -> None:
        """Change the keyword arguments of the sessions made from now on."""
        self.kw.update(kw)

    def __repr__(self) -> str:
        return f"sessionmaker(bind={self.kw.get('bind')!r})"


__all__ = ["sessionmaker"]
