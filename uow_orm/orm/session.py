"""``Session`` and ``sessionmaker``: the unit of work's public face.

The session tracks new, dirty and deleted objects, owns the identity map, runs flushes
(planned by `.unitofwork`) inside its transaction stack (`.transaction`) and
loads objects (`.loading`). It is meant for one thread at a time.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args, overload

from .. import exc
from ..engine.base import Connection, Engine
from ..engine.result import Result, ScalarResult
from ..event import Dispatcher
from ..sql.dml import DMLStatement
from ..sql.elements import BindParameter
from ..sql.selectable import Select
from ..types import _BadValue
from . import loading
from .identity import IdentityMap
from .routing import ReplicaSet, Router, make_replica_set
from .state import NO_VALUE, STATE_ATTR, InstanceState, state_of
from .transaction import JoinedTransaction, SessionTransaction
from .unitofwork import FlushPlan

if TYPE_CHECKING:
    from .mapper import Mapper
    from .query import Query

_T = TypeVar("_T")

SESSION_EVENTS = frozenset(
    {
        "before_flush",
        "after_flush",
        "after_flush_postexec",
        "after_commit",
        "after_rollback",
        "after_begin",
        "before_commit",
        "after_soft_rollback",
    }
)

_AUTOFLUSH_NOTE = (
    " (This error was raised by autoflush, which flushes pending changes before a query; "
    "use a session.no_autoflush block if the flush is happening too early.)"
)


_F = TypeVar("_F", bound=Callable[..., Any])


def _exclusive(fn: _F) -> _F:
    """Refuse to run while another thread is inside the session (a Session is not
    thread-safe; sharing one would corrupt its bookkeeping silently)."""

    @functools.wraps(fn)
    def guarded(self: Session, *args: Any, **kw: Any) -> Any:
        lock = self._in_use
        if not lock.acquire(blocking=False):
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


class _ObjectSet:
    """``session.new`` / ``dirty`` / ``deleted``: objects, compared by identity."""

    __slots__ = ("_objs",)

    def __init__(self, objs: Iterable[Any]) -> None:
        self._objs = [o for o in objs if o is not None]

    def __contains__(self, obj: object) -> bool:
        return any(o is obj for o in self._objs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._objs)

    def __len__(self) -> int:
        return len(self._objs)

    def __bool__(self) -> bool:
        return bool(self._objs)

    def __repr__(self) -> str:
        return f"IdentitySet({self._objs!r})"


def _mapper_of_class(cls: Any) -> Mapper:
    mapper = getattr(cls, "__mapper__", None) if isinstance(cls, type) else None
    if mapper is None:
        raise exc.UnmappedClassError(
            f"{cls!r} is not a mapped class; map it by subclassing a declarative base "
            "and giving it a __tablename__"
        )
    return mapper  # type: ignore[no-any-return]


def _state_or_raise(obj: Any) -> InstanceState:
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(
            f"{type(obj).__name__} object {obj!r:.60} is not an instance of a mapped class; "
            "only objects of classes mapped with a declarative base can be used in a Session"
        )
    return st


JoinTransactionMode = Literal[
    "conditional_savepoint", "create_savepoint", "rollback_only", "control_fully"
]
JOIN_TRANSACTION_MODES: tuple[str, ...] = get_args(JoinTransactionMode)


class Session:
    """Tracks objects, flushes their changes in dependency order, manages transactions."""

    _counter = itertools.count(1)

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
    ) -> None:
        if autocommit is not False:
            # SQLAlchemy 2.0 keeps the keyword for old code and accepts only False
            raise exc.ArgumentError(
                "autocommit=True is no longer supported; a Session always works in a "
                "transaction (begin one with session.begin() or let it start on first use)"
            )
        if join_transaction_mode not in JOIN_TRANSACTION_MODES:
            raise exc.ArgumentError(
                f"invalid join_transaction_mode {join_transaction_mode!r}; use one of "
                f"{', '.join(JOIN_TRANSACTION_MODES)}"
            )
        #: What the session does with the transaction of a Connection given as bind (as in
        #: SQLAlchemy 2.0; see the testing guide).
        self.join_transaction_mode = join_transaction_mode
        self.bind = bind
        self.autoflush = autoflush
        self.expire_on_commit = expire_on_commit
        self.twophase = twophase
        self.info: dict[str, Any] = dict(info or {})
        self.hash_key = next(self._counter)
        self.identity_map = IdentityMap()
        self._binds: dict[Any, Engine] = {}
        for key, engine in (binds or {}).items():
            self._binds[
                getattr(key, "__table__", None)
                if isinstance(key, type) and not hasattr(key, "__mapper__")
                else key
            ] = engine
        self._new: dict[InstanceState, Any] = {}
        self._deleted: dict[InstanceState, Any] = {}
        self._modified: dict[InstanceState, Any] = {}
        # Backref changes to collections that are not loaded yet, applied when they load:
        # state -> collection key -> [(appended?, object), ...] in order. Emptied by a
        # flush (the rows then say the same) and by expiry of the owner.
        self._pending_collections: dict[InstanceState, dict[str, list[tuple[bool, Any]]]] = {}
        self._transaction: SessionTransaction | None = None
        self._flushing = False
        self._autoflush_disabled = 0
        self._in_use = threading.RLock()
        self._get_plans: dict[Any, Any] = {}
        self._bind_cache: dict[Any, tuple[Any, Any]] = {}
        self.dispatch = Dispatcher("Session", SESSION_EVENTS)
        replica_set = make_replica_set(replicas)
        if replica_set is not None and not isinstance(bind, Engine):
            raise exc.ArgumentError("replicas= needs the primary Engine as bind=")
        self._router: Router | None = (
            Router(
                bind if isinstance(bind, Engine) else None,
                replica_set,
                read_your_writes=read_your_writes,
                token=replica_token,
                read_only=read_only,
            )
            if replica_set is not None or read_only
            else None
        )

    # -- context manager, repr ----------------------------------------------------------
    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<Session new={len(self._new)} dirty={len(self.dirty)} "
            f"deleted={len(self._deleted)} identity_map={len(self.identity_map)}>"
        )

    def _fire(self, name: str) -> None:
        if self.dispatch.has(name):
            self.dispatch.fire(name, self)

    # -- state collections ---------------------------------------------------------------
    @property
    def new(self) -> _ObjectSet:
        return _ObjectSet(st() for st in self._new)

    @property
    def dirty(self) -> _ObjectSet:
        return _ObjectSet(
            st()
            for st in self._modified
            if st.key is not None and not st.deleted and st not in self._deleted
        )

    @property
    def deleted(self) -> _ObjectSet:
        return _ObjectSet(st() for st in self._deleted)

    @property
    def is_active(self) -> bool:
        t = self._transaction
        while t is not None:
            if t.failure is not None:
                return False
            t = t.parent
        return True

    def __contains__(self, obj: object) -> bool:
        st = state_of(obj)
        if st is None:
            raise exc.UnmappedInstanceError(f"{type(obj).__name__} is not a mapped class")
        if st.session is not self:
            return False
        return st in self._new or self.identity_map.has_state(st) or st in self._deleted

    def __iter__(self) -> Iterator[Any]:
        seen = [st() for st in self._new]
        seen.extend(self.identity_map.values())
        return iter(seen)

    # -- transactions ---------------------------------------------------------------------
    def _nested_levels(self) -> list[SessionTransaction]:
        levels = []
        t = self._transaction
        while t is not None and t.nested:
            levels.append(t)
            t = t.parent
        return list(reversed(levels))

    def _autobegin(self) -> SessionTransaction:
        if self._transaction is None:
            self._transaction = SessionTransaction(self)
        return self._transaction

    def begin(self) -> SessionTransaction:
        """Begin the session's transaction explicitly (it otherwise begins on first use)."""
        if self._transaction is not None:
            raise exc.InvalidRequestError(
                "a transaction is already begun on this Session (it begins automatically "
                "on first use); call commit() or rollback() first, or use begin_nested() "
                "for a SAVEPOINT"
            )
        return self._autobegin()

    def begin_nested(self) -> SessionTransaction:
        """Flush, then open a SAVEPOINT; use as a context manager or keep the handle."""
        self._check_active()
        self._autobegin()
        if self._new or self._deleted or self._modified:
            self.flush()
        parent = self._transaction
        assert parent is not None
        txn = SessionTransaction(self, parent, nested=True)
        root = parent.root
        for engine, (conn, _t) in root.connections.items():
            txn.savepoints[engine] = conn.begin_nested()
        self._transaction = txn
        return txn

    def in_transaction(self) -> bool:
        return self._transaction is not None

    def in_nested_transaction(self) -> bool:
        return self._transaction is not None and self._transaction.nested

    def get_transaction(self) -> SessionTransaction | None:
        return self._transaction.root if self._transaction is not None else None

    def get_nested_transaction(self) -> SessionTransaction | None:
        t = self._transaction
        return t if t is not None and t.nested else None

    def _check_active(self) -> None:
        t = self._transaction
        while t is not None:
            if t.failure is not None:
                raise exc.PendingRollbackError(
                    "this Session's transaction was rolled back because of an error during "
                    "flush; call Session.rollback() (or leave the failed begin_nested() "
                    f"block) before using it again. Original error: "
                    f"{type(t.failure).__name__}: {t.failure}"
                )
            t = t.parent

    @_exclusive
    def commit(self) -> None:
        """Flush, then commit the whole transaction (savepoints included)."""
        t = self._autobegin()
        self._check_active()
        root = t.root
        self._fire("before_commit")
        if self._new or self._deleted or self._modified:
            self.flush()
        try:
            if self.twophase and not root.prepared:
                self._prepare(root)
            for _conn, txn in list(root.connections.values()):
                txn.commit()
        except BaseException as err:
            # The database transaction is gone; the session keeps needing rollback() so
            # that the caller sees the failure instead of silently starting afresh.
            self._release_connections(root)
            if root.is_active:
                root.failure = err
            raise
        self._finish_commit(root)
        if self._router is not None:
            self._router.transaction_ended(committed=True)
        self._fire("after_commit")

    def prepare(self) -> None:
        """First phase of a two-phase commit: flush and PREPARE TRANSACTION everywhere."""
        if not self.twophase:
            raise exc.InvalidRequestError("prepare() needs a Session created with twophase=True")
        t = self._autobegin()
        self._check_active()
        if self._new or self._deleted or self._modified:
            self.flush()
        self._prepare(t.root)

    def _release_connections(self, root: SessionTransaction, closing: bool = False) -> None:
        """Roll back and return every connection of the transaction (a connection whose
        rollback fails is discarded). A Connection given as bind is not closed, and is
        rolled back as ``join_transaction_mode`` says."""
        for conn, txn in list(root.connections.values()):
            if isinstance(txn, JoinedTransaction):
                txn.release(closing)
                continue
            try:
                if txn.is_active:
                    txn.rollback()
            except exc.DBAPIError:
                conn.invalidate()
            finally:
                conn.close()
        root.connections.clear()

    def _prepare(self, root: SessionTransaction) -> None:
        try:
            for _conn, txn in list(root.connections.values()):
                txn.prepare()
        except BaseException:
            self._rollback_root(root)
            raise
        root.prepared = True

    def _finish_commit(self, root: SessionTransaction) -> None:
        for conn, txn in root.connections.values():
            if not isinstance(txn, JoinedTransaction):
                conn.close()
        root.connections.clear()
        levels = [root, *self._nested_levels()]
        # savepoints still open are committed with the root: their deletions count too
        for t in levels:
            for st in list(t.deleted):
                if st.session is self:
                    self._detach(st)
                st.was_deleted = True
                st.deleted = False
        for t in levels:
            t.is_active = False
        self._transaction = None
        if self.expire_on_commit:
            self._expire_all_states()

    @_exclusive
    def rollback(self) -> None:
        """Roll back the whole transaction: the database and, in memory, every object."""
        t = self._transaction
        if t is None:
            return
        self._rollback_root(t.root)
        self._fire("after_rollback")

    def _rollback_root(self, root: SessionTransaction) -> None:
        levels = [*self._nested_levels()]
        try:
            self._release_connections(root)
        finally:
            root.connections.clear()
            new_states = dict(root.new)
            deleted_states = dict(root.deleted)
            for lvl in levels:
                new_states.update(lvl.new)
                deleted_states.update(lvl.deleted)
                lvl.is_active = False
            for lvl in reversed([root, *levels]):  # the outermost level knows the first key
                lvl.restore_keys()
            for st in [*new_states, *self._new]:
                self._make_transient(st)
            for st, obj in deleted_states.items():
                st.deleted = False
                if st.session is not self:
                    # expunged by the user after its DELETE was flushed: it stays out, a
                    # detached object whose row exists again
                    st.was_deleted = False
                    continue
                if st.key is not None and obj is not None:
                    displaced = self.identity_map.restore(st)  # a row switch's successor
                    if displaced is not None:
                        self._detach(displaced)
                    st.session = self
            self._deleted.clear()
            root.is_active = False
            self._transaction = None
            if self._router is not None:
                self._router.transaction_ended(committed=False)
            self._expire_all_states()

    def _end_nested(self, txn: SessionTransaction, commit: bool) -> None:
        """Release (commit=True) or roll back the savepoint ``txn`` and any inside it."""
        if not txn.is_active:
            return
        while self._transaction is not None and self._transaction is not txn:
            inner = self._transaction
            self._end_nested(inner, commit=False)
        if commit:
            if txn.failure is None:
                try:
                    if self._new or self._deleted or self._modified:
                        self.flush()
                    for sp in txn.savepoints.values():
                        sp.commit()
                except BaseException:
                    self._end_nested(txn, commit=False)
                    raise
                txn.merge_into_parent()
                txn.is_active = False
                self._transaction = txn.parent
                return
        for sp in txn.savepoints.values():
            if sp.is_active:
                try:
                    sp.rollback()
                except exc.DBAPIError:
                    pass
        self._pending_collections.clear()  # all queued inside (begin_nested flushed)
        txn.restore_savepoint()
        txn.is_active = False
        self._transaction = txn.parent
        self._fire("after_soft_rollback")

    @_exclusive
    def close(self) -> None:
        """Roll back, release connections and detach every object (the session is reusable)."""
        t = self._transaction
        if t is not None:
            root = t.root
            self._release_connections(root, closing=True)
            for lvl in [root, *self._nested_levels()]:
                lvl.is_active = False
            self._transaction = None
            if self._router is not None:
                self._router.transaction_ended(committed=False)
        self.expunge_all()

    def invalidate(self) -> None:
        """Close the session, discarding (not returning) its database connections."""
        t = self._transaction
        if t is not None:
            for conn, txn in list(t.root.connections.values()):
                conn.invalidate()
                if not isinstance(txn, JoinedTransaction):
                    conn.close()
            t.root.connections.clear()
        self._transaction = None
        self.expunge_all()

    # -- binds and connections --------------------------------------------------------------
    def bind_mapper(self, mapper: Any, bind: Engine) -> None:
        self._binds[mapper] = bind
        self._bind_cache.clear()

    def bind_table(self, table: Any, bind: Engine) -> None:
        self._binds[table] = bind
        self._bind_cache.clear()

    def get_bind(self, mapper: Any = None, clause: Any = None) -> Any:
        """The engine for a mapped class (``binds``, ``bind_mapper``, ``bind_table``)."""
        if mapper is not None:
            cls = (
                mapper.class_
                if hasattr(mapper, "class_") and not isinstance(mapper, type)
                else mapper
            )
            if isinstance(cls, type):
                for klass in cls.__mro__:
                    if klass in self._binds:
                        return self._binds[klass]
                table = getattr(cls, "__table__", None)
                if table is not None and table in self._binds:
                    return self._binds[table]
            elif cls in self._binds:
                return self._binds[cls]
        if clause is not None:
            table = getattr(clause, "table", None)
            if table is not None and table in self._binds:
                return self._binds[table]
        if self.bind is not None:
            return self.bind
        if len(set(self._binds.values())) == 1:
            return next(iter(self._binds.values()))
        raise exc.InvalidRequestError(
            "this Session has no bind for "
            + (f"{getattr(mapper, '__name__', mapper)}" if mapper is not None else "this statement")
            + "; create it with Session(engine), or give binds={Class: engine}"
        )

    def _connection_for_bind(self, bind: Any) -> Connection:
        txn = self._transaction or self._autobegin()
        if self._router is not None and isinstance(bind, Engine):
            return self._router.connection(txn, bind, self._flushing)
        return txn.connection_for(bind)

    @property
    def replica_token(self) -> str | None:
        """The primary's WAL position after this session's last writing commit (sessions
        with ``replicas=``): pass it as ``replica_token=`` to a later session, e.g. from a
        cookie, and that session reads only from replicas that have replayed it."""
        return self._router.token if self._router is not None else None

    def _connection_for_mapper(self, mapper: Mapper) -> Connection:
        # the bind of a mapper is looked up once per session (until binds change)
        hit = self._bind_cache.get(mapper)
        if hit is None or hit[0] is not self.bind:
            hit = self._bind_cache[mapper] = (self.bind, self.get_bind(mapper.class_))
        return self._connection_for_bind(hit[1])

    def connection(
        self,
        bind_arguments: dict[str, Any] | None = None,
        execution_options: dict[str, Any] | None = None,
    ) -> Connection:
        """The Connection this session uses (beginning the transaction if needed).

        ``bind_arguments`` may name the ``"mapper"`` whose bind is wanted.
        ``execution_options`` (e.g. ``{"isolation_level": "SERIALIZABLE"}``) apply to the
        connection when the transaction first takes it; InvalidRequestError afterwards.

        Raises:
            ArgumentError: for any ``bind_arguments`` key other than ``"mapper"``.
        """
        unknown = sorted(set(bind_arguments or {}) - {"mapper"})
        if unknown:
            raise exc.ArgumentError(
                f"Session.connection(bind_arguments=...) supports only 'mapper', got {unknown}"
            )
        self._check_active()
        mapper = (bind_arguments or {}).get("mapper")
        bind = self.get_bind(mapper)
        if execution_options:
            txn = self._transaction or self._autobegin()
            return txn.connection_for(bind, execution_options)
        return self._connection_for_bind(bind)

    # -- object membership ------------------------------------------------------------------
    def add(self, obj: Any, _warn: bool = True) -> None:
        """Put a transient or detached object in the session (cascading along relationships)."""
        try:
            st = obj.__dict__[STATE_ATTR]
        except (AttributeError, KeyError):
            st = _state_or_raise(obj)
        if self._transaction is None:
            self._autobegin()
        if st.session is None and st.key is None:  # the common case: a new object
            mapper = st.mapper
            if not mapper.registry.configured:
                mapper.registry.configure()
            st.session = self
            self._new[st] = obj
        else:
            self._save_or_update(st, obj)
        if st.mapper.relationships:
            self._cascade(st, "save-update", self._cascade_save)

    def add_all(self, objs: Iterable[Any]) -> None:
        for obj in objs:
            self.add(obj)

    def _save_or_update(self, st: InstanceState, obj: Any) -> bool:
        """Attach ``st``; True when it was not in this session before."""
        if st.deleted or (st.was_deleted and st.key is not None):
            raise exc.InvalidRequestError(
                f"{obj!r} has been deleted (its row is gone); it cannot be added back. "
                "Use uow_orm.make_transient(obj) first to insert it again as a new row"
            )
        if st.session is self:
            # add() of an object marked for deletion cancels the deletion (only its own:
            # what the delete cascaded to stays marked, as in SQLAlchemy)
            self._deleted.pop(st, None)
            return False
        if st.session is not None:
            raise exc.InvalidRequestError(
                f"{obj!r} is already attached to another Session; expunge it there first "
                "or use merge() to copy its state into this one"
            )
        st.mapper._ensure_configured()
        if st.key is None:
            st.session = self
            self._new[st] = obj
        else:
            existing = self.identity_map.state_for(st.key)
            if existing is not None and existing is not st and existing() is not None:
                raise exc.InvalidRequestError(
                    f"cannot attach {obj!r}: another object with identity key {st.key[1]} is "
                    "already in this session; use session.merge() to combine them"
                )
            st.session = self
            self.identity_map.add(st, obj)
            if st.modified:
                self._modified[st] = obj
            self._note_touched(st)  # its values are not the savepoint's to restore
        return True

    def _cascade_save(self, obj: Any) -> None:
        st = state_of(obj)
        if st is None:
            raise exc.UnmappedInstanceError(f"{obj!r} is not a mapped object")
        if st.session is self:
            return
        if self._save_or_update(st, obj):
            self._cascade(st, "save-update", self._cascade_save)

    def _cascade(
        self, st: InstanceState, cascade: str, fn: Callable[[Any], None], load: bool = False
    ) -> None:
        obj = st()
        if obj is None:
            return
        d = obj.__dict__
        for prop in st.mapper.relationships.values():
            if cascade not in prop.cascade:
                continue
            if prop.key in d:
                value = d[prop.key]
            elif (
                load
                and st.key is not None
                and st.session is self
                and not (prop.passive_deletes and cascade == "delete")
            ):
                value = getattr(obj, prop.key)
            else:
                continue
            items = list(value) if prop.uselist else ([value] if value is not None else [])
            for item in items:
                fn(item)

    def _state_modified(self, st: InstanceState) -> None:
        """Called by attribute instrumentation on an object's first change.

        A change to a persistent object begins the session's transaction (as in
        SQLAlchemy), so that ``rollback()`` covers it even when it comes right after a
        commit.
        """
        if st.key is not None:
            self._modified[st] = st()
            t = self._transaction
            if t is None:
                self._autobegin()
            elif t.nested:
                t.snapshot(st)

    def _queue_collection_change(
        self, st: InstanceState, key: str, obj: Any, appended: bool
    ) -> None:
        """Remember that the unloaded collection ``key`` of ``st`` gained (``appended``)
        or lost ``obj`` through the other side of the relationship."""
        self._pending_collections.setdefault(st, {}).setdefault(key, []).append((appended, obj))

    def _apply_collection_changes(self, st: InstanceState, key: str, coll: list[Any]) -> None:
        """Apply the queued changes of collection ``key`` to its freshly loaded ``coll``
        (called by loading; the changes are not history: the other side carries them)."""
        per_key = self._pending_collections.get(st)
        if per_key is None:
            return
        changes = per_key.pop(key, None)
        if not per_key:
            del self._pending_collections[st]
        for appended, obj in changes or ():
            present = next((i for i, x in enumerate(coll) if x is obj), None)
            if appended and present is None:
                list.append(coll, obj)
            elif not appended and present is not None:
                list.__delitem__(coll, present)

    def _forget_collection_changes(self, st: InstanceState, keys: Iterable[str] | None) -> None:
        """Drop queued collection changes of ``st`` (all, or of ``keys``): it was expired,
        expunged or made transient."""
        per_key = self._pending_collections.get(st)
        if per_key is None:
            return
        if keys is None:
            del self._pending_collections[st]
            return
        for k in keys:
            per_key.pop(k, None)
        if not per_key:
            del self._pending_collections[st]

    def delete(self, obj: Any) -> None:
        """Mark a persistent object for deletion at the next flush (cascading ``delete``)."""
        st = _state_or_raise(obj)
        if st.key is None:
            raise exc.InvalidRequestError(
                f"{obj!r} is not persisted (it is transient or pending); there is no row to "
                "delete. Use expunge() to discard a pending object"
            )
        self._autobegin()
        if st.session is None:
            self._save_or_update(st, obj)
        elif st.session is not self:
            raise exc.InvalidRequestError(f"{obj!r} belongs to another Session")
        self._delete_cascade(st)

    def _delete_cascade(self, st: InstanceState) -> None:
        if st in self._deleted or st.deleted:
            return
        self._mark_deleted(st)
        self._autoflush_disabled += 1  # loading children must not flush this delete early
        try:
            self._cascade(st, "delete", lambda o: self._delete_child(o), load=True)
        finally:
            self._autoflush_disabled -= 1

    def _delete_child(self, obj: Any) -> None:
        st = _state_or_raise(obj)
        if st.key is None:
            # a pending child of a deleted parent is simply never inserted
            if st.session is self:
                self._expunge_state(st)
            return
        if st.session is None:
            self._save_or_update(st, obj)
        self._delete_cascade(st)

    def _mark_deleted(self, st: InstanceState) -> None:
        obj = st()
        self._deleted[st] = obj
        t = self._transaction
        if t is not None and t.nested:
            t.snapshot(st)

    def expunge(self, obj: Any) -> None:
        """Remove an object (and its ``expunge`` cascade) from the session."""
        st = _state_or_raise(obj)
        if st.session is not self:
            raise exc.InvalidRequestError(f"{obj!r} is not present in this Session")
        self._expunge_state(st)
        self._cascade(st, "expunge", self._expunge_child)

    def _expunge_child(self, obj: Any) -> None:
        st = state_of(obj)
        if st is not None and st.session is self:
            self._expunge_state(st)
            self._cascade(st, "expunge", self._expunge_child)

    def _expunge_state(self, st: InstanceState) -> None:
        self._new.pop(st, None)
        self._deleted.pop(st, None)
        self._modified.pop(st, None)
        self.identity_map.remove(st)
        st.session = None
        if self._pending_collections:
            self._forget_collection_changes(st, None)
        if st.deleted:  # its DELETE was flushed: detached, and known to be deleted
            st.deleted = False
            st.was_deleted = True

    def expunge_all(self) -> None:
        for st in list(self.identity_map._states.values()):
            st.session = None
            if st.deleted:
                st.deleted = False
                st.was_deleted = True
        for st in list(self._new) + list(self._deleted) + list(self._modified):
            st.session = None
        self.identity_map.clear()
        self._new.clear()
        self._deleted.clear()
        self._modified.clear()
        self._pending_collections.clear()

    def _detach(self, st: InstanceState) -> None:
        self.identity_map.remove(st)
        self._modified.pop(st, None)
        st.session = None

    def _make_transient(self, st: InstanceState) -> None:
        self._new.pop(st, None)
        self._modified.pop(st, None)
        self._deleted.pop(st, None)
        self.identity_map.remove(st)
        if self._pending_collections:
            self._forget_collection_changes(st, None)
        if st.session is self:
            st.session = None
        st.key = None
        st.deleted = False
        st.clear_changes()

    # -- flush --------------------------------------------------------------------------------
    @_exclusive
    def flush(self, objects: Sequence[Any] | None = None) -> None:
        """Write pending changes to the database, in foreign-key dependency order."""
        if self._flushing:
            raise exc.InvalidRequestError(
                "Session is already flushing (flush() called from inside a flush event?)"
            )
        self._check_active()
        if not (self._new or self._deleted or self._modified):
            return
        txn = self._autobegin()
        if self._router is not None:
            self._router.writing("flush")
        self._fire("before_flush")
        self._flushing = True
        plan = FlushPlan(self, objects)
        try:
            plan.execute()
        except BaseException as e:
            self._flushing = False
            self._flush_failed(txn, e, plan)
            raise
        self._flushing = False
        self._finalize(plan, txn)
        self._fire("after_flush")

    def _flush_failed(self, txn: SessionTransaction, err: BaseException, plan: FlushPlan) -> None:
        # keys given to rows that no longer exist
        for st in plan.inserted:
            if st in self._new:
                st.key = None
        if plan.old_keys:
            plan.undo_key_changes()
        t = self._transaction
        assert t is not None
        t.failure = err
        if t.nested:
            for sp in t.savepoints.values():
                if sp.is_active:
                    try:
                        sp.rollback()
                    except exc.DBAPIError:
                        pass
        else:
            for conn, dbtxn in list(t.connections.values()):
                try:
                    dbtxn.rollback()
                except exc.DBAPIError:
                    conn.invalidate()

    def _finalize(self, plan: FlushPlan, txn: SessionTransaction) -> None:
        states = self.identity_map._states
        pop_new = self._new.pop
        txn_new = txn.new
        for st in plan.inserted:
            obj = pop_new(st, None)
            if obj is None:
                obj = st()
            states[st.key] = st  # type: ignore[index]
            txn_new[st] = obj
            st.committed = None
            st.modified = False
        for st in plan.deleted_done:
            obj = self._deleted.pop(st, None) or st()
            self.identity_map.remove(st)
            st.deleted = True
            txn.deleted[st] = obj
            self._modified.pop(st, None)
        if plan.moves or plan.old_keys:
            plan.finish_key_changes(txn)
        only = plan.only
        for st in list(self._modified):
            if only is None or st in only:
                st.clear_changes()
                del self._modified[st]
        if only is None:
            self._deleted.clear()
            if self._pending_collections:
                self._pending_collections.clear()  # the rows now say the same

    def _autoflush(self) -> None:
        if self._autoflush_disabled or self._flushing:
            return
        if not (self._new or self._deleted or self._modified):
            return
        try:
            self.flush()
        except exc.OrmError as e:
            if e.args and isinstance(e.args[0], str) and _AUTOFLUSH_NOTE not in e.args[0]:
                e.args = (e.args[0] + _AUTOFLUSH_NOTE, *e.args[1:])
            raise
        except Exception as e:
            e.add_note(_AUTOFLUSH_NOTE.strip())
            raise

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
    @overload
    def execute(
        self,
        statement: Select[_T],
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> Result: ...
    @overload
    def execute(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> Result: ...
    @_exclusive
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
        if bind_arguments:
            raise exc.ArgumentError(
                "Session.execute(bind_arguments=...) is not supported yet; bind classes or "
                "tables with Session(binds={...}), bind_mapper() or bind_table()"
            )
        if execution_options:
            with_options = getattr(statement, "execution_options", None)
            if with_options is None:
                raise exc.ArgumentError(
                    f"execution_options cannot be applied to {type(statement).__name__}"
                )
            statement = with_options(**execution_options)
        self._check_active()
        self._autobegin()
        autoflush = self.autoflush and (
            not execution_options or execution_options.get("autoflush", True)
        )
        if autoflush:
            options = getattr(statement, "_execution_options", None)
            autoflush = not options or options.get("autoflush", True)
        if isinstance(statement, Select):
            if autoflush:
                self._autoflush()
            if self._router is not None and statement._for_update is not None:
                self._router.writing("SELECT ... FOR UPDATE")
            mapper = _first_mapper(statement._entities)
            conn = self._connection_for_bind(
                self.get_bind(mapper.class_ if mapper else None, clause=None)
            )
            return loading.execute_select(self, statement, params, conn)
        if isinstance(statement, DMLStatement):
            if autoflush:
                self._autoflush()
            if self._router is not None:
                self._router.writing(type(statement).__name__.upper())
            t = self._transaction
            if t is not None and t.nested:
                t.bulk_dml = True  # rows change behind the savepoint's snapshots
            from .bulk import execute_dml

            return execute_dml(self, statement, params)
        if isinstance(statement, str):
            raise exc.ArgumentError(
                "a plain string is not an executable statement; wrap it in text()"
            )
        if autoflush:
            self._autoflush()
        conn = self._connection_for_bind(self.get_bind())
        return conn.execute(statement, params)

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
        return self.execute(
            statement, params, execution_options=execution_options, bind_arguments=bind_arguments
        ).scalar()

    def query(self, *entities: Any) -> Query[Any]:
        """A legacy ``Query`` (SQLAlchemy 1.x style)."""
        from .query import Query

        return Query(self, entities)

    # -- loading -------------------------------------------------------------------------
    def get(
        self,
        entity: type[_T],
        ident: Any,
        *,
        populate_existing: bool = False,
        with_for_update: Any = None,
        options: Any = None,
    ) -> _T | None:
        """The object with this primary key: from the identity map (no SQL) or the database."""
        mapper = _mapper_of_class(entity)
        pk = _normalize_pk(mapper, ident)
        key = mapper.identity_key_from_pk(pk)
        st = self.identity_map.state_for(key)
        if with_for_update and self._router is not None:
            self._router.writing("get(with_for_update=...)")
        if st is not None and not populate_existing and not with_for_update:
            obj = st()
            if obj is not None:
                if st.deleted or st in self._deleted:
                    return None
                if st.mapper is not mapper and not st.mapper.isa(mapper):
                    return None  # get(Manager, 5) of the Engineer with identity 5
                d = obj.__dict__
                if all(k in d for k in st.mapper.column_keys):
                    return obj  # type: ignore[no-any-return]
                try:
                    self._load_unloaded(st, None)
                except exc.ObjectDeletedError:
                    return None
                return obj  # type: ignore[no-any-return]
        self._check_active()
        self._autobegin()
        if self.autoflush:
            self._autoflush()
        if not (populate_existing or with_for_update or options) and not any(
            p.lazy in ("selectin", "joined") for p in mapper.relationships.values()
        ):
            return self._get_by_pk(mapper, pk)  # type: ignore[no-any-return]
        stmt: Select[Any] = Select(entity).where(*[c == v for c, v in zip(mapper.pk_columns, pk)])
        if with_for_update:
            stmt = stmt.with_for_update(
                **(with_for_update if isinstance(with_for_update, dict) else {})
            )
        if populate_existing:
            stmt = stmt.execution_options(populate_existing=True)
        if options:
            stmt = stmt.options(*(options if isinstance(options, (list, tuple)) else [options]))
        conn = self._connection_for_mapper(mapper)
        rows = loading.execute_select(self, stmt, None, conn).tuples()
        for row in rows:
            return row[0]  # type: ignore[no-any-return]
        return None

    def _get_by_pk(self, mapper: Mapper, pk: tuple[Any, ...]) -> Any:
        """SELECT one row by primary key with SQL and a row builder cached per mapper."""
        conn = self._connection_for_mapper(mapper)
        dialect = conn.dialect
        cache_key = (mapper, dialect.name)
        entry = self._get_plans.get(cache_key)
        if entry is None:
            stmt: Select[Any] = Select(mapper.class_).where(
                *[c == BindParameter(c.key, None, c.type) for c in mapper.pk_columns]
            )
            compiled = stmt.compile(dialect)
            procs = [c.type._bind(dialect.name) for c in mapper.pk_columns]
            builder = loading.instance_builder(self, mapper, 0, dialect.name)
            # a column_property may carry its own bound values: then bind by name
            extra = compiled if len(compiled.binds) != len(mapper.pk_columns) else None
            entry = self._get_plans[cache_key] = (compiled.sql, procs, builder, extra)
        sql, procs, builder, extra = entry
        try:
            if extra is not None:
                params = extra.construct_params({c.key: v for c, v in zip(mapper.pk_columns, pk)})
            else:
                params = tuple(v if p is None or v is None else p(v) for p, v in zip(procs, pk))
        except _BadValue as e:
            bad = next(i for i, (p, v) in enumerate(zip(procs, pk)) if not _binds(p, v))
            raise _bad_key(mapper, bad, e) from None
        row = conn._run(sql, params).fetchone()
        return builder(row) if row is not None else None

    def _load_unloaded(
        self,
        st: InstanceState,
        key: str | None,
        keys: Sequence[str] | None = None,
        overwrite: bool = False,
        with_for_update: Any = None,
    ) -> None:
        """SELECT the unloaded (or the given) columns of one persistent object."""
        self._check_active()
        mapper = st.mapper
        obj = st()
        d = obj.__dict__
        if keys is None:
            keys = mapper.unloaded_keys(d, key)
        if not keys:
            return
        assert st.key is not None
        cols = [mapper.load_expr(k) for k in keys]
        stmt: Select[Any] = Select(*cols).where(
            *[c == v for c, v in zip(mapper.pk_columns, st.key[1])]
        )
        if with_for_update:
            stmt = stmt.with_for_update()
        conn = self._connection_for_mapper(mapper)
        compiled = stmt.compile(conn.dialect)
        row = conn._run(compiled.sql, compiled.construct_params()).fetchone()
        if row is None:
            raise exc.ObjectDeletedError(
                f"instance {type(obj).__name__} with identity {st.key[1]} has been deleted, "
                "or its row is otherwise not present in the database; it was probably "
                "deleted by another transaction"
            )
        procs = compiled.result_processors or [None] * len(keys)
        committed = st.committed
        for k, v, p in zip(keys, row, procs):
            if overwrite or k not in d:
                d[k] = p(v) if p is not None and v is not None else v
                if committed and k in committed:
                    del committed[k]
        if committed is not None and not committed and st.modified:
            st.clear_changes()
            self._modified.pop(st, None)

    def refresh(
        self, obj: Any, attribute_names: Iterable[str] | None = None, with_for_update: Any = None
    ) -> None:
        """Reload attributes from the database, discarding changes made in memory."""
        st = _state_or_raise(obj)
        if st.key is None or st.session is not self or st.deleted:
            raise exc.InvalidRequestError(
                f"{obj!r} is not persistent within this Session (it is transient, pending, "
                "deleted or detached); only persistent objects can be refreshed"
            )
        mapper = st.mapper
        names = list(attribute_names) if attribute_names is not None else None
        for n in names or []:
            if n not in mapper.attrs:
                raise exc.InvalidRequestError(f"{type(obj).__name__} has no mapped attribute {n!r}")
        if names is None:
            self._cascade(st, "refresh-expire", lambda o: self._refresh_child(o))
        col_keys = [k for k in (names or mapper.column_keys) if k in mapper.columns]
        rel_keys = [k for k in (names or mapper.relationships.keys()) if k in mapper.relationships]
        self._check_active()
        self._load_unloaded(st, None, col_keys, overwrite=True, with_for_update=with_for_update)
        self._unload(st, rel_keys)
        self._note_touched(st)

    def _refresh_child(self, obj: Any) -> None:
        st = state_of(obj)
        if st is not None and st.session is self and st.key is not None:
            self.refresh(obj)

    def _note_touched(self, st: InstanceState) -> None:
        t = self._transaction
        if t is not None and t.nested and st not in t.snapshots:
            t.touched.add(st)

    def expire(self, obj: Any, attribute_names: Iterable[str] | None = None) -> None:
        """Mark attributes (all by default) to reload on next access."""
        st = _state_or_raise(obj)
        if st.key is None or st.session is not self:
            raise exc.InvalidRequestError(
                f"{obj!r} is not persistent within this Session; only persistent objects "
                "can be expired"
            )
        names = list(attribute_names) if attribute_names is not None else None
        for n in names or []:
            if n not in st.mapper.attrs:
                raise exc.InvalidRequestError(f"{type(obj).__name__} has no mapped attribute {n!r}")
        if names is None:
            self._cascade(st, "refresh-expire", self._expire_child)
        self._expire_state(st, names)

    def _expire_child(self, obj: Any) -> None:
        st = state_of(obj)
        if st is not None and st.session is self and st.key is not None:
            self._cascade(st, "refresh-expire", self._expire_child)
            self._expire_state(st, None)

    def _expire_state(self, st: InstanceState, names: Sequence[str] | None) -> None:
        obj = st()
        if obj is None:
            return
        d = obj.__dict__
        t = self._transaction
        if t is not None and t.nested and st not in t.snapshots:
            t.touched.add(st)
        if names is None:
            for k in st.mapper.attrs.keys():
                d.pop(k, None)
            st.clear_changes()
            self._modified.pop(st, None)
            if self._pending_collections:
                self._forget_collection_changes(st, None)
            return
        self._unload(st, names)

    def _unload(self, st: InstanceState, keys: Iterable[str]) -> None:
        """Drop loaded values and pending changes of ``keys``; a state left without
        changes is clean again."""
        d = st().__dict__
        committed = st.committed
        keys = list(keys)
        for k in keys:
            d.pop(k, None)
            if committed:
                committed.pop(k, None)
        if self._pending_collections:
            self._forget_collection_changes(st, keys)
        if committed is not None and not committed:
            st.clear_changes()
            self._modified.pop(st, None)

    def expire_all(self) -> None:
        """Expire every object in the session."""
        t = self._transaction
        if t is not None and t.nested:
            snapshots = t.snapshots
            t.touched.update(
                st for st in list(self.identity_map._states.values()) if st not in snapshots
            )
        self._expire_all_states()

    def _expire_all_states(self) -> None:
        modified = self._modified
        for st in list(self.identity_map._states.values()):
            obj = st()
            if obj is None:
                continue
            d = obj.__dict__
            for k in st.mapper.attrs.keys():
                d.pop(k, None)
            st.committed = None
            st.modified = False
        modified.clear()
        self._pending_collections.clear()

    def is_modified(self, obj: Any, include_collections: bool = True) -> bool:
        """True when some attribute differs from its loaded value."""
        st = _state_or_raise(obj)
        if not st.modified or not st.committed:
            return False
        from .persistence import changed_keys

        if changed_keys(st):
            return True
        if include_collections:
            d = obj.__dict__
            for key, old in st.committed.items():
                if key in st.mapper.relationships:
                    cur = d.get(key)
                    if old is NO_VALUE:
                        return True
                    if st.mapper.relationships[key].uselist:
                        if len(old) != len(cur or []) or any(
                            a is not b for a, b in zip(old, cur or [])
                        ):
                            return True
                    elif old is not cur:
                        return True
        return False

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
        return self._merge(obj, load, {})

    def _merge(self, obj: Any, load: bool, memo: dict[int, Any]) -> Any:
        st = _state_or_raise(obj)
        if id(obj) in memo:
            return memo[id(obj)]
        if st.session is self:
            memo[id(obj)] = obj
            return obj
        mapper = st.mapper
        mapper._ensure_configured()
        self._autobegin()
        d = obj.__dict__
        pk_vals = tuple(d.get(k) for k in mapper.pk_keys)
        if st.key is not None and any(v is None for v in pk_vals):
            pk_vals = st.key[1]
        merged = None
        key = None
        if all(v is not None for v in pk_vals):
            key = mapper.identity_key_from_pk(pk_vals)
            merged = self.identity_map.get_obj(key)
            if merged is None and load:
                merged = self.get(mapper.class_, pk_vals)
        if merged is None:
            merged = mapper.class_.__new__(mapper.class_)  # type: ignore[call-overload]
            if load or key is None:
                memo[id(obj)] = merged
                for k in mapper.column_keys:
                    if k in d:
                        setattr(merged, k, d[k])
                self.add(merged)
            else:
                if st.modified:
                    raise exc.InvalidRequestError(
                        "merge(load=False) needs an unmodified object; it has pending changes"
                    )
                memo[id(obj)] = merged
                md = merged.__dict__
                for k in mapper.column_keys:
                    if k in d:
                        md[k] = d[k]
                mst: InstanceState = md[STATE_ATTR]
                mst.key = key
                mst.session = self
                self.identity_map.add(mst, merged)
                self._note_touched(mst)
        else:
            memo[id(obj)] = merged
            # merging onto an object marked for deletion cancels the deletion, as add()
            self._deleted.pop(merged.__dict__[STATE_ATTR], None)
            for k in mapper.column_keys:
                if k in d and (k not in merged.__dict__ or merged.__dict__[k] != d[k]):
                    if load:
                        setattr(merged, k, d[k])
                    else:
                        merged.__dict__[k] = d[k]
        for prop in mapper.relationships.values():
            if "merge" not in prop.cascade or prop.key not in d:
                continue
            value = d[prop.key]
            if prop.uselist:
                items = [self._merge(v, load, memo) for v in (value or [])]
                setattr(merged, prop.key, items)
            else:
                setattr(
                    merged, prop.key, self._merge(value, load, memo) if value is not None else None
                )
        return merged

    # -- bulk -------------------------------------------------------------------------------
    def bulk_insert_mappings(
        self,
        mapper: Any,
        mappings: Iterable[Mapping[str, Any]],
        return_defaults: bool = False,
        render_nulls: bool = False,
    ) -> None:
        """INSERT rows from dicts of attribute values, in executemany batches.

        As in SQLAlchemy, a None value leaves its column out of the INSERT (so a default
        applies) unless ``render_nulls=True``, which sends NULL.
        """
        from .bulk import bulk_insert_mappings

        bulk_insert_mappings(
            self, _mapper_of_class(mapper), list(mappings), return_defaults, render_nulls
        )

    def bulk_save_objects(
        self,
        objects: Iterable[Any],
        return_defaults: bool = False,
        update_changed_only: bool = True,
        preserve_order: bool = True,
    ) -> None:
        """INSERT new and UPDATE changed objects in batches, outside the unit of work.

        New objects of one class are inserted in the order given (``preserve_order=False``
        allows any order, which uow_orm's grouping by class already is).

        Raises:
            ArgumentError: for ``update_changed_only=False`` (not supported yet).
        """
        if not update_changed_only:
            raise exc.ArgumentError(
                "bulk_save_objects(update_changed_only=False) is not supported yet: only "
                "changed attributes are updated"
            )
        from .bulk import bulk_save_objects

        bulk_save_objects(self, list(objects), return_defaults)

    def bulk_update_mappings(self, mapper: Any, mappings: Iterable[Mapping[str, Any]]) -> None:
        from .bulk import bulk_update_mappings

        bulk_update_mappings(self, _mapper_of_class(mapper), list(mappings))


def _first_mapper(entities: Sequence[Any]) -> Mapper | None:
    for e in entities:
        m = getattr(e, "__mapper__", None)
        if m is not None and isinstance(e, type):
            return m  # type: ignore[no-any-return]
        mapper = getattr(e, "mapper", None)  # an attribute such as User.name
        if mapper is not None and hasattr(mapper, "class_"):
            return mapper  # type: ignore[no-any-return]
    return None


def _normalize_pk(mapper: Mapper, ident: Any) -> tuple[Any, ...]:
    if isinstance(ident, Mapping):
        try:
            pk = tuple(ident[k] for k in mapper.pk_keys)
        except KeyError as e:
            raise exc.InvalidRequestError(
                f"get(): missing primary key value {e.args[0]!r} for {mapper.class_.__name__}"
            ) from None
    elif isinstance(ident, (tuple, list)):
        pk = tuple(ident)
    else:
        pk = (ident,)
    if len(pk) != len(mapper.pk_keys):
        raise exc.InvalidRequestError(
            f"{mapper.class_.__name__} has a primary key of {len(mapper.pk_keys)} column(s) "
            f"({', '.join(mapper.pk_keys)}); get() was given {len(pk)} value(s)"
        )
    for v in pk:
        if type(v) is str:
            # "5" for an Integer key is converted (SQLAlchemy's database would compare it
            # as 5), so that the identity map finds the object too.
            return tuple(_convert_key(mapper, i, v) for i, v in enumerate(pk))
    return pk


def _convert_key(mapper: Mapper, i: int, value: Any) -> Any:
    col = mapper.pk_columns[i]
    try:
        return col.type._coerce_identity(value)
    except _BadValue as e:
        raise _bad_key(mapper, i, e) from None


def _bad_key(mapper: Mapper, i: int, err: Exception) -> exc.ColumnValueError:
    col = mapper.pk_columns[i]
    return exc.ColumnValueError(
        f"get(): bad primary key value for {mapper.class_.__name__}.{mapper.pk_keys[i]} "
        f"({col.type!r} column {col.table.name}.{col.name}): {err}"
    )


def _binds(proc: Any, value: Any) -> bool:
    try:
        if proc is not None and value is not None:
            proc(value)
    except _BadValue:
        return False
    return True


class sessionmaker:
    """A configured Session factory: ``Session = sessionmaker(engine)``; ``Session()``."""

    def __init__(self, bind: Any = None, *, class_: type[Session] = Session, **kw: Any) -> None:
        self.kw = dict(kw)
        self.kw["bind"] = bind
        if kw.get("replicas") is not None:
            # One ReplicaSet for every session of the factory: turns and down marks shared.
            self.kw["replicas"] = make_replica_set(kw["replicas"])
        self.class_ = class_
        self.dispatch = Dispatcher("sessionmaker", SESSION_EVENTS)

    def __call__(self, **overrides: Any) -> Session:
        kw = {**self.kw, **overrides}
        session = self.class_(**kw)
        session.dispatch._parent = self.dispatch  # the factory's listeners run too
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
        self.kw.update(kw)

    def __repr__(self) -> str:
        return f"sessionmaker(bind={self.kw.get('bind')!r})"


__all__ = ["Session", "sessionmaker"]
