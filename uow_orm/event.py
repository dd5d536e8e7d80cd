"""Event registration: ``listen`` and ``listens_for``.

Engines, sessions and sessionmakers own a `Dispatcher`; this module only finds it.

Called by: uow_orm.engine.*, uow_orm.orm.*.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from . import exc

_F = TypeVar("_F", bound=Callable[..., Any])


class Dispatcher:
    """Listener lists for one target, keyed by event name.

    A dispatcher may have a parent (a session's parent is its sessionmaker's dispatcher),
    whose listeners run first; the parent is read at call time, so listeners added to a
    sessionmaker later still reach the sessions it already made. Events named in
    ``forward`` are registered on the parent instead (the pool events of an engine copy
    made by ``execution_options()``: the pool is the parent engine's).
    """

    __slots__ = ("_forward", "_listeners", "_names", "_parent", "_target")

    def __init__(
        self,
        target: str,
        names: frozenset[str],
        parent: Dispatcher | None = None,
        forward: frozenset[str] = frozenset(),
    ) -> None:
        self._target = target
        self._names = names
        self._parent = parent
        self._forward = forward
        self._listeners: dict[str, list[Callable[..., Any]]] = {}

    def _owner(self, name: str) -> Dispatcher:
        if name in self._forward and self._parent is not None:
            return self._parent._owner(name)
        return self

    def add(self, name: str, fn: Callable[..., Any]) -> None:
        """Register ``fn`` for the event ``name`` (on the parent for a forwarded event).

        Raises:
            ArgumentError: for an event name this target does not have (the message lists
                the known ones).
        """
        if name not in self._names:
            raise exc.ArgumentError(
                f"{self._target} has no event {name!r}; "
                f"known events are {', '.join(sorted(self._names))}"
            )
        owner = self._owner(name)
        owner._listeners.setdefault(name, []).append(fn)

    def contains(self, name: str, fn: Callable[..., Any]) -> bool:
        """True when ``fn`` listens for ``name`` here (not counting the parent's)."""
        return fn in self._owner(name)._listeners.get(name, ())

    def remove(self, name: str, fn: Callable[..., Any]) -> None:
        """Unregister ``fn`` for the event ``name``.

        Raises:
            InvalidRequestError: when ``fn`` is not listening for ``name`` here.
        """
        if self._owner(name) is not self:
            self._owner(name).remove(name, fn)
            return
        try:
            self._listeners[name].remove(fn)
        except (KeyError, ValueError):
            raise exc.InvalidRequestError(
                f"{fn!r} is not listening for {name!r} on this {self._target}"
            ) from None

    def has(self, name: str) -> bool:
        """True when some listener (here or on the parent) listens for ``name``; callers check
        this to skip building an event's arguments.
        """
        if self._listeners.get(name):
            return True
        return self._parent is not None and self._parent.has(name)

    def fire(self, name: str, *args: Any) -> None:
        """Call every listener for ``name`` with ``args``: the parent's first, then this
        target's, in registration order. A listener's exception propagates.
        """
        if self._parent is not None:
            self._parent.fire(name, *args)
        for fn in self._listeners.get(name, ()):
            fn(*args)


def _dispatcher_of(target: Any) -> Dispatcher:
    dispatch = getattr(target, "dispatch", None)
    if not isinstance(dispatch, Dispatcher):
        raise exc.ArgumentError(
            f"{target!r} does not accept event listeners; listen on an Engine, a Session "
            "or a sessionmaker"
        )
    return dispatch


def listen(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Call ``fn`` whenever ``target`` fires the event named ``identifier``."""
    _dispatcher_of(target).add(identifier, fn)


def remove(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Stop calling ``fn`` for the event ``identifier`` of ``target``."""
    _dispatcher_of(target).remove(identifier, fn)


def contains(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """True when ``fn`` listens for ``identifier`` on ``target`` itself."""
    return _dispatcher_of(target).contains(identifier, fn)


def listens_for(target: Any, identifier: str) -> Callable[[_F], _F]:
    """Decorator form of `listen`."""

    def decorate(fn: _F) -> _F:
        listen(target, identifier, fn)
        return fn

    return decorate


__all__ = ["Dispatcher", "contains", "listen", "listens_for", "remove"]
