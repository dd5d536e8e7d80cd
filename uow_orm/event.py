"""Event registration: ``listen``, ``listens_for``, ``remove`` and ``contains``.

Engines, pools, sessions and sessionmakers own a `Dispatcher`; mapped classes, mappers
and attributes are found by the resolver that ``uow_orm.orm.session_events`` registers here.

Called by: uow_orm.engine.*, uow_orm.orm.*, uow_orm.testing, uow_orm.sql.schema
(``Table(listeners=)``).
"""

from __future__ import annotations

import inspect
import itertools
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from . import exc

_F = TypeVar("_F", bound=Callable[..., Any])

#: Registration order of listeners across every target; ``insert=True`` counts down.
_append_seq = itertools.count(1)
_insert_seq = itertools.count(-1, -1)

#: The keyword flags ``listen`` knows.
FLAGS = (
    "propagate",
    "once",
    "insert",
    "retval",
    "raw",
    "named",
    "active_history",
    "restore_load_context",
    "include_key",
)


class Listener:
    """One ``listen()`` call: the user's function, its flags and the callable that runs.

    ``call`` takes the event's positional arguments (SQLAlchemy's signature) and adapts
    them for ``fn`` (``named=True`` keywords, ``raw=True`` states, ``once=True``).
    """

    __slots__ = ("call", "flags", "fn", "identifier", "retval", "seq")

    def __init__(
        self,
        identifier: str,
        fn: Callable[..., Any],
        argnames: tuple[str, ...],
        flags: Mapping[str, Any],
        adapt: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
    ) -> None:
        self.identifier = identifier
        self.fn = fn
        self.flags = dict(flags)
        self.retval = bool(flags.get("retval"))
        self.seq = next(_insert_seq) if flags.get("insert") else next(_append_seq)
        call: Callable[..., Any] = fn
        if flags.get("named"):
            call = _named(fn, argnames)
        if adapt is not None:
            call = adapt(call)
        if flags.get("once"):
            call = _once(call)
        self.call = call

    def __repr__(self) -> str:
        return f"<Listener {self.identifier} {self.fn!r}>"


def _named(fn: Callable[..., Any], argnames: tuple[str, ...]) -> Callable[..., Any]:
    def named(*args: Any) -> Any:
        return fn(**dict(zip(argnames, args)))

    return named


def _once(fn: Callable[..., Any]) -> Callable[..., Any]:
    done = False

    def once(*args: Any) -> Any:
        nonlocal done
        if done:
            return None
        done = True
        return fn(*args)

    return once


def positional_count(fn: Callable[..., Any]) -> int | None:
    """How many positional arguments ``fn`` takes, or None when it takes ``*args``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    n = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            n += 1
    return n


class EventHost(Protocol):
    """What a target resolves to: the place its listeners are kept."""

    def _listen(self, identifier: str, fn: Callable[..., Any], flags: dict[str, Any]) -> None: ...
    def _remove(self, identifier: str, fn: Callable[..., Any]) -> None: ...
    def _contains(self, identifier: str, fn: Callable[..., Any]) -> bool: ...


def check_flags(
    target: str, identifier: str, flags: Mapping[str, Any], allowed: Iterable[str]
) -> None:
    """ArgumentError for a flag set to True that means nothing for this event."""
    allowed = set(allowed)
    for flag, value in flags.items():
        if value and flag not in allowed:
            raise exc.ArgumentError(
                f"listen(..., {flag}=True) has no meaning for the {identifier!r} event of "
                f"{target}; it accepts {', '.join(sorted(allowed)) or 'no flags'}"
            )


class Dispatcher:
    """Listener lists for one target, keyed by event name, read as attributes.

    ``dispatch.before_flush`` is a tuple of callables (empty when nobody listens: a
    dispatch site costs one attribute read). A dispatcher may have parents (a session's
    are its class's and its sessionmaker's dispatchers) whose listeners run first; a
    change to a parent is pushed to its children, so listeners added to a sessionmaker
    later reach the sessions it already made. Events named in ``forward`` are
    registered on the first parent instead (the pool events of an engine copy made by
    ``execution_options()``: the pool is the parent engine's).
    """

    #: event name -> argument names (SQLAlchemy's signature), set by `dispatcher_class`
    _signatures: Mapping[str, tuple[str, ...]] = {}
    #: events whose listeners may return a replacement (``retval=True``)
    _retval_events: frozenset[str] = frozenset()
    #: event name -> {listener argument count: adapter} for older call signatures
    _legacy: Mapping[str, Mapping[int, Callable[[Callable[..., Any]], Callable[..., Any]]]] = {}

    def __init__(
        self,
        target: str,
        parents: Iterable[Dispatcher] = (),
        forward: frozenset[str] = frozenset(),
    ) -> None:
        self._target = target
        self._parents: list[Dispatcher] = []
        self._forward = forward
        self._own: dict[str, list[Listener]] = {}
        self._children: weakref.WeakSet[Dispatcher] | None = None
        self._active: set[str] = set()
        for p in parents:
            self._add_parent(p)

    def _add_parent(self, parent: Dispatcher) -> None:
        self._parents.append(parent)
        if parent._children is None:
            parent._children = weakref.WeakSet()
        parent._children.add(self)
        if parent._active:
            self._rebuild(parent._active)

    def _owner(self, name: str) -> Dispatcher:
        if name in self._forward and self._parents:
            return self._parents[0]._owner(name)
        return self

    def _check_name(self, name: str) -> None:
        if name not in self._signatures:
            raise exc.InvalidRequestError(
                f"No such event {name!r} for target {self._target}; known events are "
                f"{', '.join(sorted(self._signatures))}"
            )

    def _listen(self, name: str, fn: Callable[..., Any], flags: dict[str, Any]) -> None:
        self._check_name(name)
        allowed = {"once", "insert", "named"}
        if name in self._retval_events:
            allowed.add("retval")
        check_flags(self._target, name, flags, allowed)
        adapt = None
        legacy = self._legacy.get(name)
        if legacy and not flags.get("named"):
            adapt = legacy.get(positional_count(fn) or -1)
        listener = Listener(name, fn, self._signatures[name], flags, adapt)
        owner = self._owner(name)
        own = owner._own.setdefault(name, [])
        own.append(listener)
        own.sort(key=lambda li: li.seq)
        owner._rebuild({name})

    def _contains(self, name: str, fn: Callable[..., Any]) -> bool:
        """True when ``fn`` listens for ``name`` here (not counting the parents')."""
        return any(li.fn == fn for li in self._owner(name)._own.get(name, ()))

    def _remove(self, name: str, fn: Callable[..., Any]) -> None:
        self._check_name(name)
        owner = self._owner(name)
        own = owner._own.get(name, [])
        for i, li in enumerate(own):
            if li.fn == fn:
                del own[i]
                owner._rebuild({name})
                return
        raise exc.InvalidRequestError(f"No listeners found for event {name!r} / {fn!r} ")

    def _merged(self, name: str) -> tuple[Callable[..., Any], ...]:
        value: tuple[Callable[..., Any], ...] = self.__dict__.get(name, ())
        return value

    def _merged_listeners(self, name: str) -> list[Listener]:
        out: list[Listener] = []
        for p in self._parents:
            out.extend(p._merged_listeners(name))
        out.extend(self._own.get(name, ()))
        return out

    def _rebuild(self, names: Iterable[str]) -> None:
        names = set(names) & set(self._signatures)
        for name in names:
            listeners = self._merged_listeners(name)
            if listeners:
                self.__dict__[name] = tuple(li.call for li in listeners)
                self.__dict__["_retval_" + name] = tuple(li.retval for li in listeners)
                self._active.add(name)
            else:
                self.__dict__.pop(name, None)
                self.__dict__.pop("_retval_" + name, None)
                self._active.discard(name)
        if self._children:
            for child in list(self._children):
                child._rebuild(names)

    def retvals(self, name: str) -> tuple[bool, ...]:
        """Which of the listeners of ``name`` (in call order) were registered retval=True."""
        value: tuple[bool, ...] = self.__dict__.get("_retval_" + name, ())
        return value

    def has(self, name: str) -> bool:
        """True when anybody listens for ``name`` here or on a parent."""
        return name in self.__dict__

    def fire(self, name: str, *args: Any) -> None:
        """Call every listener of ``name`` with ``args`` (parents' first)."""
        for fn in self.__dict__.get(name, ()):
            fn(*args)

    if TYPE_CHECKING:  # each event name reads as a tuple of listeners

        def __getattr__(self, name: str) -> tuple[Callable[..., Any], ...]: ...


def dispatcher_class(
    name: str,
    signatures: Mapping[str, tuple[str, ...]],
    retval_events: Iterable[str] = (),
    legacy: Mapping[str, Mapping[int, Callable[[Callable[..., Any]], Callable[..., Any]]]]
    | None = None,
) -> type[Dispatcher]:
    """A `Dispatcher` subclass for one kind of target: each event an empty tuple until
    somebody listens."""
    clash = set(signatures) & set(dir(Dispatcher))
    if clash:
        raise AssertionError(f"event names clash with Dispatcher attributes: {clash}")
    ns: dict[str, Any] = dict.fromkeys(signatures, ())
    ns["_signatures"] = dict(signatures)
    ns["_retval_events"] = frozenset(retval_events)
    ns["_legacy"] = dict(legacy or {})
    return type(name, (Dispatcher,), ns)


#: Functions that turn a target into its `EventHost` (or None when they do not know it):
#: registered by the modules owning the targets, tried in order.
_resolvers: list[Callable[[Any, str], EventHost | None]] = []


def register_resolver(fn: Callable[[Any, str], EventHost | None]) -> None:
    """Let ``fn`` find the event host of targets it knows (called at import time)."""
    _resolvers.append(fn)


def _host_of(target: Any, identifier: str) -> EventHost:
    if not isinstance(identifier, str):
        raise exc.ArgumentError(f"event name must be a string, not {identifier!r}")
    for resolve in _resolvers:
        host = resolve(target, identifier)
        if host is not None:
            return host
    dispatch = getattr(target, "dispatch", None)
    if isinstance(dispatch, Dispatcher) and not isinstance(target, type):
        return dispatch
    raise exc.InvalidRequestError(
        f"No such event {identifier!r} for target {target!r}: listen on an Engine, a "
        "pool, a Session (class or instance), a sessionmaker, a scoped_session, a mapped "
        "class or its Mapper, Mapper itself, or a mapped attribute such as User.name"
    )


def listen(target: Any, identifier: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> None:
    """Call ``fn`` whenever ``target`` fires the event named ``identifier``.

    Keyword flags, as in SQLAlchemy: ``propagate`` (subclasses too), ``once`` (call
    once only), ``insert`` (run before the listeners already there), ``retval`` (the
    listener's return value replaces the event's value), ``raw`` (ORM events get the
    `InstanceState`, not the object), ``named`` (arguments passed by keyword),
    ``active_history`` (attribute ``set`` events load the old value first),
    ``restore_load_context`` and ``include_key``.

    Raises:
        InvalidRequestError: the target has no such event.
        ArgumentError: an unknown flag, or a flag that means nothing for this event.
    """
    if args:
        raise exc.ArgumentError(
            f"listen() got extra positional arguments {args!r}; flags are keywords"
        )
    unknown = sorted(set(kw) - set(FLAGS))
    if unknown:
        raise exc.ArgumentError(
            f"listen() got unknown keyword argument(s) {', '.join(unknown)}; the flags are "
            f"{', '.join(FLAGS)}"
        )
    if not callable(fn):
        raise exc.ArgumentError(f"listen() needs a callable listener, not {fn!r}")
    _host_of(target, identifier)._listen(identifier, fn, kw)


def remove(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Stop calling ``fn`` for the event ``identifier`` of ``target``.

    Raises:
        InvalidRequestError: ``fn`` does not listen there.
    """
    _host_of(target, identifier)._remove(identifier, fn)


def contains(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """True when ``fn`` listens for ``identifier`` on ``target`` itself."""
    return _host_of(target, identifier)._contains(identifier, fn)


def listens_for(target: Any, identifier: str, *args: Any, **kw: Any) -> Callable[[_F], _F]:
    """Decorator form of `listen` (same flags)."""

    def decorate(fn: _F) -> _F:
        listen(target, identifier, fn, *args, **kw)
        return fn

    return decorate


__all__ = [
    "Dispatcher",
    "Listener",
    "contains",
    "dispatcher_class",
    "listen",
    "listens_for",
    "register_resolver",
    "remove",
]
