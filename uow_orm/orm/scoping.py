"""``scoped_session``: one Session per thread (or per scope), reached through a proxy.

Used by web applications written for SQLAlchemy (``Session = scoped_session(factory)``,
``Session.add(obj)``, ``Session.remove()`` at the end of a request).

Called by: uow_orm.orm (package), session_events (``listen(scoped_session, ...)``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from .. import exc
from .query import Query
from .session import Session, object_session

#: Session methods and attributes reached through the proxy (SQLAlchemy's list).
_PROXIED = frozenset(
    {
        "add",
        "add_all",
        "begin",
        "begin_nested",
        "bind",
        "bind_mapper",
        "bind_table",
        "bulk_insert_mappings",
        "bulk_save_objects",
        "bulk_update_mappings",
        "close",
        "commit",
        "connection",
        "delete",
        "deleted",
        "dirty",
        "execute",
        "expire",
        "expire_all",
        "expunge",
        "expunge_all",
        "flush",
        "get",
        "get_bind",
        "get_nested_transaction",
        "get_transaction",
        "identity_map",
        "in_nested_transaction",
        "in_transaction",
        "info",
        "invalidate",
        "is_active",
        "is_modified",
        "merge",
        "new",
        "no_autoflush",
        "prepare",
        "query",
        "refresh",
        "rollback",
        "scalar",
        "scalars",
        "autoflush",
        "expire_on_commit",
    }
)


class scoped_session:
    """A registry of Sessions, one per scope, that also acts as the current Session.

    ``scoped_session(factory)`` keeps one Session per thread; ``scopefunc`` (a callable
    returning a hashable scope key, e.g. the current request) replaces the thread. Calling
    the registry returns the scope's Session, creating it on first use; ``remove()`` closes
    and forgets it. Session methods and attributes (``add``, ``commit``, ``query``, ``dirty``
    ...) called on the registry go to the current Session.

    Args:
        session_factory: a `sessionmaker` (or any callable returning a Session).
        scopefunc: the scope key function; None means "the current thread".
    """

    def __init__(
        self,
        session_factory: Callable[..., Session],
        scopefunc: Callable[[], Any] | None = None,
    ) -> None:
        if not callable(session_factory):
            raise exc.ArgumentError(
                f"scoped_session() takes a session factory such as sessionmaker(...), not "
                f"{session_factory!r}"
            )
        object.__setattr__(self, "session_factory", session_factory)
        object.__setattr__(self, "_scopefunc", scopefunc)
        object.__setattr__(self, "_local", threading.local())
        object.__setattr__(self, "_by_scope", {})

    session_factory: Callable[..., Session]
    _scopefunc: Callable[[], Any] | None
    _local: threading.local
    _by_scope: dict[Any, Session]

    # -- the registry ---------------------------------------------------------------------
    def _current(self) -> Session | None:
        if self._scopefunc is None:
            return getattr(self._local, "session", None)
        return self._by_scope.get(self._scopefunc())

    def _store(self, session: Session | None) -> None:
        if self._scopefunc is None:
            self._local.session = session
        else:
            key = self._scopefunc()
            if session is None:
                self._by_scope.pop(key, None)
            else:
                self._by_scope[key] = session

    def __call__(self, **kw: Any) -> Session:
        """The current scope's Session, created (with ``kw``) on first use.

        Raises:
            InvalidRequestError: ``kw`` given while the scope already has a Session.
        """
        session = self._current()
        if session is not None:
            if kw:
                raise exc.InvalidRequestError(
                    "Scoped session is already present; no new arguments may be specified."
                )
            return session
        session = self.session_factory(**kw)
        self._store(session)
        return session

    @property
    def registry(self) -> ScopeRegistry:
        """The registry of per-scope Sessions, as SQLAlchemy's ``scoped_session.registry``:
        call it for the current Session; ``has()``, ``set(session)`` and ``clear()``."""
        return ScopeRegistry(self)

    def has(self) -> bool:
        """True when the current scope already has a Session."""
        return self._current() is not None

    def set(self, session: Session) -> None:
        """Make ``session`` the current scope's Session."""
        self._store(session)

    def remove(self) -> None:
        """Close the current scope's Session (if any) and forget it."""
        session = self._current()
        if session is not None:
            session.close()
        self._store(None)

    def configure(self, **kw: Any) -> None:
        """Reconfigure the factory (``sessionmaker.configure``) for Sessions made later.

        Raises:
            InvalidRequestError: the current scope already has a Session.
        """
        if self.has():
            raise exc.InvalidRequestError(
                "scoped_session.configure(): the current scope already has a Session; "
                "call remove() first"
            )
        configure = getattr(self.session_factory, "configure", None)
        if configure is None:
            raise exc.ArgumentError("the session factory has no configure() method")
        configure(**kw)

    def query_property(self, query_cls: type[Query[Any]] | None = None) -> Any:
        """A class attribute giving ``Model.query`` = a Query of that class in the current
        Session (Flask-style)."""
        return QueryPropertyDescriptor(self, query_cls or Query)

    @staticmethod
    def object_session(instance: Any) -> Session | None:
        """The Session ``instance`` belongs to (SQLAlchemy's ``Session.object_session``)."""
        return object_session(instance)

    @staticmethod
    def identity_key(class_: type, ident: Any = None, *, instance: Any = None) -> Any:
        """The identity-map key of ``class_`` and ``ident`` (or of ``instance``)."""
        from . import identity_key

        return identity_key(class_, ident, instance=instance)

    # -- the proxy ------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in _PROXIED:
            return getattr(self(), name)
        raise AttributeError(f"scoped_session has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _PROXIED:
            setattr(self(), name, value)
            return
        raise AttributeError(f"scoped_session attribute {name!r} cannot be set")

    def __contains__(self, obj: object) -> bool:
        return obj in self()

    def __iter__(self) -> Iterator[Any]:
        return iter(self())

    def __repr__(self) -> str:
        return f"<scoped_session factory={self.session_factory!r}>"


class QueryPropertyDescriptor:
    """What `scoped_session.query_property` returns (SQLAlchemy's name): read on a class
    (or one of its objects), a new ``query_cls`` Query of that class in the scope's
    current Session."""

    __slots__ = ("query_cls", "registry")

    def __init__(self, registry: scoped_session, query_cls: type[Query[Any]]) -> None:
        self.registry = registry
        self.query_cls = query_cls

    def __get__(self, obj: Any, owner: type) -> Query[Any]:
        return self.query_cls(self.registry(), (owner,))


class ScopeRegistry:
    """The view of a `scoped_session`'s Sessions that SQLAlchemy calls its registry.

    ``registry()`` is the current scope's Session (made on first use), ``has()`` says
    whether the scope has one, ``set(session)`` installs one and ``clear()`` forgets it
    without closing it (``scoped_session.remove()`` closes, then clears).
    """

    __slots__ = ("_scoped",)

    def __init__(self, scoped: scoped_session) -> None:
        self._scoped = scoped

    def __call__(self) -> Session:
        return self._scoped()

    def has(self) -> bool:
        """True when the current scope already has a Session."""
        return self._scoped.has()

    def set(self, session: Session) -> None:
        """Make ``session`` the current scope's Session."""
        self._scoped.set(session)

    def clear(self) -> None:
        """Forget the current scope's Session without closing it."""
        self._scoped._store(None)  # same module: the registry is part of scoped_session


__all__ = ["QueryPropertyDescriptor", "ScopeRegistry", "scoped_session"]
