"""``Session``: the unit of work's public face, a façade over the modules that do the work.

Called by: applications, scoping, factory, retry, session_events, ext.horizontal_shard
(subclass). State transitions and cascades are `.lifecycle`, expiry `.expiry`, ``get()``
`.lookup`, ``merge()`` `.merge`, statements `.execution`, transactions `.transaction`,
``flush()`` and autoflush `.flush`, binds and connections `.binds`; lower layers call back
through `.seams`.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from .. import exc
from ..engine.base import Connection, Engine
from ..engine.result import Result, ScalarResult
from ..sql.selectable import Select
from . import events as _events
from . import expiry, lifecycle, lookup
from .base import STATE_ATTR
from .base import object_session as _object_session
from .binds import BindMethods, Binds
from .bulk import BulkMethods
from .exclusive import exclusive
from .execution import run_statement, wants_autoflush, with_execution_options
from .flush import FlushMethods
from .identity import IdentityMap
from .lifecycle import make_transient, make_transient_to_detached
from .lookup import GetPlan
from .merge import merge as merge_object
from .routing import ReplicaSet, Router, make_router
from .seams import SessionSeams
from .session_events import ORMExecuteState, orm_execute, relationship_load, session_dispatch
from .tracking import SessionViews, Tracker
from .transaction import (
    JoinTransactionMode,
    SessionTransaction,
    SessionTransactionOrigin,
    TransactionControl,
    TransactionMethods,
    check_session_arguments,
)

if TYPE_CHECKING:
    from .mapper import Mapper
    from .query import Query
    from .state import InstanceState

_T = TypeVar("_T")

SESSION_EVENTS = frozenset(_events.SESSION_SIGNATURES)


class Session(
    SessionViews, TransactionMethods, FlushMethods, BindMethods, SessionSeams, BulkMethods
):
    """Tracks objects, flushes their changes in dependency order, manages transactions."""

    _counter = itertools.count(1)
    #: True while do_orm_execute listeners' statement runs (the listeners ran already)
    _orm_execute_running = False
    #: the identity token of the rows being loaded or flushed: the shard's id while a
    #: `ShardedSession` works in one shard, else None (read once per query by loading)
    _identity_token: Any = None

    def __init__(
        self,
        bind: Engine | Connection | None = None,
        *,
        autoflush: bool = True,
        expire_on_commit: bool = True,
        twophase: bool = False,
        binds: Mapping[Any, Engine] | None = None,
        info: dict[str, Any] | None = None,
        join_transaction_mode: JoinTransactionMode = "conditional_savepoint",
        autocommit: bool = False,
        replicas: Sequence[Engine] | ReplicaSet | None = None,
        read_your_writes: bool = True,
        replica_token: str | None = None,
        read_only: bool = False,
        warn_lazy_loads: bool = False,
        future: bool = True,
        autobegin: bool = True,
        query_cls: type[Query[Any]] | None = None,
        close_resets_only: bool = True,
    ) -> None:
        check_session_arguments(autocommit, join_transaction_mode, future)
        #: ``autobegin=False``: work outside ``begin()`` raises instead of beginning
        self.autobegin = autobegin
        #: the class `query()` builds (a ``Query`` subclass)
        self.query_cls = query_cls
        #: False: `close()` leaves the session unusable (`reset()` never does)
        self.close_resets_only = close_resets_only
        #: What the session does with the transaction of a Connection given as bind (as in
        #: SQLAlchemy 2.0; see the testing guide).
        self.join_transaction_mode = join_transaction_mode
        self.bind = bind
        self.autoflush = autoflush
        self.expire_on_commit = expire_on_commit
        self.twophase = twophase
        #: warn (LazyLoadWarning) on each lazy load that sends SQL: finds N+1 queries
        self.warn_lazy_loads = warn_lazy_loads
        self.info: dict[str, Any] = dict(info or {})
        self.hash_key = next(self._counter)
        self.identity_map = IdentityMap()
        self._binds = Binds(binds)
        #: new / deleted / modified objects (seam: `.tracking.Tracker`)
        self.tracker = Tracker()
        #: the transaction stack (seam: `.transaction.TransactionControl`)
        self.transactions = TransactionControl(self, autobegin)
        self._flushing = False
        self._autoflush_disabled = 0
        self._in_use = threading.RLock()
        self._get_plans: dict[Any, GetPlan] = {}
        self._flush_context = None  # (see FlushMethods._flush_context_for)
        self.dispatch = session_dispatch(self)
        #: replica routing (seam for `.transaction`), None without replicas / read_only
        self.router: Router | None = make_router(
            bind, replicas, read_your_writes, replica_token, read_only
        )
        _live_sessions.add(self)  # (for close_all_sessions(); held weakly)

    # -- context manager, repr ----------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<Session new={len(self.tracker.new)} dirty={len(self.dirty)} "
            f"deleted={len(self.tracker.deleted)} identity_map={len(self.identity_map)}>"
        )

    # -- transactions (`TransactionControl` does the work) ----------------------------------
    @exclusive
    def commit(self) -> None:
        """Flush, then commit the whole transaction (savepoints included)."""
        self.transactions.commit()

    @exclusive
    def rollback(self) -> None:
        """Roll back the whole transaction: the database and, in memory, every object."""
        self.transactions.rollback()

    @exclusive
    def close(self) -> None:
        """Roll back, release connections and detach every object. The session is reusable
        unless it was made with ``close_resets_only=False``: then any later use that needs a
        transaction raises `InvalidRequestError`."""
        self.transactions.close()
        lifecycle.expunge_all(self)
        if not self.close_resets_only:
            self.transactions.closed_for_good = True

    def reset(self) -> None:
        """`close()` that always leaves the session reusable (SQLAlchemy 2.0.22), whatever
        ``close_resets_only`` says."""
        self.transactions.close()
        lifecycle.expunge_all(self)

    @classmethod
    def close_all(cls) -> None:
        """`close_all_sessions()` (SQLAlchemy's deprecated classmethod spelling): closes every
        Session in memory, not only this class's."""
        close_all_sessions()

    # -- object membership (`.lifecycle` does the work) ----------------------------------
    def add(self, obj: Any, _warn: bool = True) -> None:
        """Put a transient or detached object in the session (cascading along relationships)."""
        try:
            st = obj.__dict__[STATE_ATTR]
        except (AttributeError, KeyError):
            st = lifecycle.state_or_raise(obj)
        transactions = self.transactions
        if transactions.current is None:
            transactions.autobegin()
        if st.session is None and st.key is None and not self.dispatch._active:
            # the common case: a new object, nobody listening
            mapper = st.mapper
            if not mapper.registry.configured:
                mapper.registry.configure()
            st.session = self
            self.tracker.add_new(st, obj)
        else:
            lifecycle.save_or_update(self, st, obj)
        if st.mapper.relationships:
            lifecycle.cascade(self, st, "save-update", self.cascade_save)

    def add_all(self, objs: Iterable[Any]) -> None:
        """`add` each object of ``objs`` in turn (each with its save-update cascade).

        Example: ``session.add_all([User(name="ann"), User(name="bob")])``.

        Raises:
            UnmappedInstanceError: an object is not an instance of a mapped class (the
                objects before it are added).
            InvalidRequestError: an object belongs to another session.
        """
        for obj in objs:
            self.add(obj)

    def delete(self, obj: Any) -> None:
        """Mark a persistent object for deletion at the next flush (cascading ``delete``)."""
        try:
            st = obj.__dict__[STATE_ATTR]
        except (AttributeError, KeyError):
            st = lifecycle.state_or_raise(obj)
        if st.key is None:
            raise exc.InvalidRequestError(
                f"{obj!r} is not persisted (it is transient or pending); there is no row to "
                "delete. Use expunge() to discard a pending object"
            )
        transactions = self.transactions
        if transactions.current is None:  # = autobegin(), once per deleted object
            transactions.autobegin()
        if st.session is None:
            lifecycle.save_or_update(self, st, obj)
        elif st.session is not self:
            raise exc.InvalidRequestError(f"{obj!r} belongs to another Session")
        self._autoflush_disabled += 1  # no_autoflush without a context manager per object
        try:
            lifecycle.delete_cascade(self, st)
        finally:
            self._autoflush_disabled -= 1

    def expunge(self, obj: Any) -> None:
        """Remove an object (and its ``expunge`` cascade) from the session."""
        st = lifecycle.state_or_raise(obj)
        if st.session is not self:
            raise exc.InvalidRequestError(f"{obj!r} is not present in this Session")
        lifecycle.expunge_cascade(self, st)

    def expunge_all(self) -> None:
        """Detach every object."""
        lifecycle.expunge_all(self)

    def fire(self, name: str, *args: Any) -> None:
        """Seam: run the listeners of session event ``name`` with ``(self, *args)``."""
        for fn in self.dispatch.__dict__.get(name, ()):
            fn(self, *args)

    # -- flush (``flush()`` and autoflush are `FlushMethods`) ----------------------------------
    @property
    @contextmanager
    def no_autoflush(self) -> Iterator[Session]:
        """``with session.no_autoflush:`` queries inside do not flush first."""
        self._autoflush_disabled += 1
        try:
            yield self
        finally:
            self._autoflush_disabled -= 1

    # -- statements ------------------------------------------------------------------------
    @exclusive
    def execute(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> Result:
        """Run a statement in the session's transaction; SELECTs of classes give objects.

        ``execution_options`` are added to the statement's own (see
        ``Select.execution_options``); ``autoflush=False`` among them skips the autoflush.

        Raises:
            ArgumentError: for ``bind_arguments`` (not supported yet: bind classes with
                ``Session(binds=...)``) and for execution options uow_orm does not support.
        """
        if self.dispatch.do_orm_execute:
            if not self._orm_execute_running:
                if bind_arguments:
                    with_execution_options(statement, None, bind_arguments)  # raises
                return orm_execute(self, statement, params, execution_options)  # type: ignore[no-any-return]
            self._orm_execute_running = False  # (the listeners ran: this is their statement)
        if execution_options or bind_arguments:
            statement = with_execution_options(statement, execution_options, bind_arguments)
        self.transactions.ready()
        if wants_autoflush(statement, execution_options) and self.autoflush:
            self._autoflush()
        options = getattr(statement, "_execution_options", None)
        token = options.get("identity_token") if options else None
        if token is not None and token != self._identity_token:
            with self._identity_scope(token):  # the loaded objects' keys carry the token
                return run_statement(self, statement, params)
        return run_statement(self, statement, params)

    def relationship_load(
        self,
        statement: Any,
        lazy_loaded_from: InstanceState | None,
        run: Callable[[Any], Result],
        column_load: bool = False,
        mapper: Mapper | None = None,
    ) -> Result:
        """A relationship (or ``column_load``: unloaded columns) load's SELECT, run
        through the ``do_orm_execute`` listeners (loading calls this only when there are
        some; see `session_events.relationship_load`)."""
        return relationship_load(self, statement, lazy_loaded_from, run, column_load, mapper)  # type: ignore[no-any-return]

    @overload
    def scalars(
        self,
        statement: Select[tuple[_T]],
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> ScalarResult[_T]: ...
    @overload
    def scalars(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> ScalarResult[Any]: ...
    def scalars(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> ScalarResult[Any]:
        """The first column of each row (objects for ``select(User)``); see `execute`."""
        if execution_options is None and bind_arguments is None:
            return self.execute(statement, params).scalars()  # (no keywords to pass on)
        return self.execute(
            statement, params, execution_options=execution_options, bind_arguments=bind_arguments
        ).scalars()

    def scalar(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> Any:
        """The first column of the first row, or None; see `execute`."""
        if execution_options is None and bind_arguments is None:
            return self.execute(statement, params).scalar()  # (no keywords to pass on)
        return self.execute(
            statement, params, execution_options=execution_options, bind_arguments=bind_arguments
        ).scalar()

    def query(self, *entities: Any) -> Query[Any]:
        """A legacy ``Query`` (SQLAlchemy 1.x style)."""
        from .query import Query

        return (self.query_cls or Query)(self, entities)

    # -- loading -------------------------------------------------------------------------
    def get(
        self,
        entity: type[_T],
        ident: Any,
        *,
        populate_existing: bool = False,
        with_for_update: Any = None,
        options: Any = None,
        identity_token: Any = None,
    ) -> _T | None:
        """The object with this primary key: from the identity map (no SQL) or the database.

        ``identity_token``: the object with that token in its identity key (the shard of
        its row in a `ShardedSession`; what ``execution_options(identity_token=...)`` gave
        the objects a query loaded).
        """
        if identity_token is not None and identity_token != self._identity_token:
            with self._identity_scope(identity_token):
                return self.get(
                    entity,
                    ident,
                    populate_existing=populate_existing,
                    with_for_update=with_for_update,
                    options=options,
                )
        return lookup.get(  # type: ignore[no-any-return]
            self, self._get_plans, entity, ident, populate_existing, with_for_update, options
        )

    @contextmanager
    def _identity_scope(self, token: Any) -> Iterator[None]:
        """Objects loaded (and keys looked up) inside get the identity token ``token``."""
        previous = self._identity_token
        self._identity_token = token
        try:
            yield
        finally:
            self._identity_token = previous

    @classmethod
    def object_session(cls, instance: Any) -> Session | None:
        """The Session ``instance`` belongs to, or None (``Session.object_session(obj)``,
        as the module-level `object_session`)."""
        return object_session(instance)

    def in_shard_of(self, state: InstanceState) -> AbstractContextManager[None] | None:
        """Seam: the scope that makes loads for ``state`` read the shard of its row; None
        here (one database per mapper), overridden by `ShardedSession`."""
        return None

    def refresh(
        self, obj: Any, attribute_names: Iterable[str] | None = None, with_for_update: Any = None
    ) -> None:
        """Reload attributes from the database, discarding changes made in memory."""
        expiry.refresh(self, obj, attribute_names, with_for_update)

    def expire(self, obj: Any, attribute_names: Iterable[str] | None = None) -> None:
        """Mark attributes (all by default) to reload on next access."""
        expiry.expire(self, obj, attribute_names)

    def expire_all(self) -> None:
        """Expire every object in the session."""
        expiry.expire_all(self)

    def is_modified(self, obj: Any, include_collections: bool = True) -> bool:
        """True when some attribute differs from its loaded value."""
        return expiry.is_modified(lifecycle.state_or_raise(obj), include_collections)

    # -- merge ------------------------------------------------------------------------------
    def merge(self, obj: Any, load: bool = True, options: Any = None) -> Any:
        """Copy the state of ``obj`` onto the session's object with the same identity.

        With ``load`` (the default) the session autoflushes first, as in SQLAlchemy.
        Merging onto an object marked for deletion (not yet flushed) cancels its deletion.

        Raises:
            ArgumentError: for ``options`` (loader options for the load: not supported yet).
        """
        if options:
            raise exc.ArgumentError(
                "Session.merge(options=...) is not supported yet; load the object with "
                "session.get(cls, pk, options=[...]) first, then merge()"
            )
        if load and self.autoflush:
            self._autoflush()
        return merge_object(self, obj, load, {})


def object_session(instance: Any) -> Session | None:
    """The Session a mapped object belongs to, or None (transient or detached).

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    return cast("Session | None", _object_session(instance))


# ORMExecuteState is re-exported, as sqlalchemy.orm.session has it
#: every Session in memory, held weakly: what close_all_sessions() closes
_live_sessions: weakref.WeakSet[Session] = weakref.WeakSet()


def close_all_sessions() -> None:
    """Close every `Session` in memory, as SQLAlchemy's ``close_all_sessions()``: each one's
    transaction is rolled back, its connections go back to their pools and its objects are
    detached (the sessions stay usable). Test teardown is the usual caller."""
    for session in list(_live_sessions):
        session.close()


def create_session(bind: Any = None, **kwargs: Any) -> Session:
    """SQLAlchemy's legacy ``create_session()``: a `Session` on ``bind`` whose
    ``autoflush`` and ``expire_on_commit`` default to False; the other keywords are the
    Session's.

    Raises:
        TypeError: a keyword `Session` does not take.
    """
    kwargs.setdefault("autoflush", False)
    kwargs.setdefault("expire_on_commit", False)
    return Session(bind=bind, **kwargs)


#: SQLAlchemy's name of the ``flush_context`` the flush events receive
#: (``before_flush(session, flush_context, instances)``): its ``session`` and ``plan``
UOWTransaction = _events.FlushContext

__all__ = [
    "ORMExecuteState",
    "Session",
    "SessionTransaction",
    "SessionTransactionOrigin",
    "UOWTransaction",
    "close_all_sessions",
    "create_session",
    "make_transient",
    "make_transient_to_detached",
    "object_session",
    "sessionmaker",
]

# sessionmaker lives in .factory; importable from here as in SQLAlchemy
from .factory import sessionmaker  # noqa: E402
