"""Session transactions: the root transaction, its SAVEPOINT stack, and their control.

Called by: session (which delegates begin / commit / rollback / close to
`TransactionControl` and derives from `TransactionMethods`), routing (connections of a
level), the unit of work (the current level's accounting); lifecycle and seams name the
types. Each level remembers what it inserted and deleted and (for savepoints) a snapshot of
every object first changed inside it (`.savepoint`), so that rolling back a savepoint
restores objects in memory instead of expiring and reloading them.
"""

from __future__ import annotations

import enum
import uuid
from typing import TYPE_CHECKING, Any, Literal, get_args

from .. import exc
from ..engine.base import Connection as _Connection
from . import events as _events
from .base import IdentityKey
from .expiry import expire_all_states
from .lifecycle import detach_all, expunge_all, make_transient_state
from .savepoint import SavepointRecord, restore_deleted, restore_savepoint

if TYPE_CHECKING:
    from ..engine.base import Connection, Engine, Transaction
    from .seams import InternalSession
    from .state import InstanceState


class SessionTransactionOrigin(enum.Enum):
    """How a `SessionTransaction` began (its ``origin``), as SQLAlchemy's enum: on first
    use (``AUTOBEGIN``), by ``Session.begin()`` (``BEGIN``) or ``begin_nested()``
    (``BEGIN_NESTED``). uow_orm never makes ``SUBTRANSACTION`` levels (its flush opens
    none); the member exists so that code comparing against it runs."""

    AUTOBEGIN = 0
    BEGIN = 1
    BEGIN_NESTED = 2
    SUBTRANSACTION = 3


class SessionTransaction:
    """One level of a session's transaction: the root, or a ``begin_nested()`` savepoint."""

    def __init__(
        self,
        session: InternalSession,
        parent: SessionTransaction | None = None,
        nested: bool = False,
        origin: SessionTransactionOrigin = SessionTransactionOrigin.AUTOBEGIN,
    ) -> None:
        self.session = session
        self.parent = parent
        #: how this level began (`SessionTransactionOrigin`)
        self.origin = SessionTransactionOrigin.BEGIN_NESTED if nested else origin
        # the outermost level above this one (a level's parent never changes: worked out
        # once); None for the root itself, which must not refer to itself: that cycle would
        # keep the transaction, and the deleted objects it holds, alive until the cyclic
        # garbage collector runs
        self._above_root: SessionTransaction | None = None if parent is None else parent.root
        self.nested = nested
        self.is_active = True
        self.failure: BaseException | None = None
        # root: bind (engine, or a Connection given as bind) -> (connection, transaction);
        # nested: bind -> savepoint
        self.connections: dict[Any, tuple[Connection, Any]] = {}
        self.savepoints: dict[Any, Transaction] = {}
        self.new: dict[InstanceState, Any] = {}
        self.deleted: dict[InstanceState, Any] = {}
        #: snapshots and touched objects, for rolling back a savepoint in memory
        self.record = SavepointRecord()
        self.prepared = False
        # primary-key changes flushed at this level: state -> its identity key before
        self.key_switches: dict[InstanceState, IdentityKey] = {}

    @property
    def root(self) -> SessionTransaction:
        """The outermost level."""
        above = self._above_root
        return self if above is None else above

    def __repr__(self) -> str:
        kind = "nested" if self.nested else "root"
        return f"<SessionTransaction {kind} active={self.is_active}>"

    # -- user-facing control ----------------------------------------------------------
    def commit(self) -> None:
        """Release this savepoint, or commit the session's transaction."""
        if self.nested:
            self.session.transactions.end_nested(self, commit=True)
        elif self.is_active:
            self.session.commit()

    def rollback(self) -> None:
        """Roll back to this savepoint, or roll back the session's transaction."""
        if self.nested:
            self.session.transactions.end_nested(self, commit=False)
        elif self.is_active:
            self.session.rollback()

    def close(self) -> None:
        """Roll back (a savepoint: to it; the root: the whole transaction)."""
        self.rollback()

    def __enter__(self) -> SessionTransaction:
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, tb: Any) -> None:
        if not self.is_active:
            return
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                if self.is_active:
                    self.rollback()
                raise
        else:
            self.rollback()

    # -- connections -------------------------------------------------------------------
    def connection_for(
        self, engine: Engine | Connection, execution_options: dict[str, Any] | None = None
    ) -> Connection:
        """This transaction's connection to ``engine`` (one per engine for the root
        transaction, taken and begun on first use; a Connection given as bind is joined).

        Raises:
            InvalidRequestError: ``execution_options`` given once the transaction already
                has its connection to ``engine``.
            NotSupportedError: a two-phase session on a dialect without two-phase commit.
        """
        root = self.root
        hit = root.connections.get(engine)
        if hit is not None:
            if execution_options:
                raise exc.InvalidRequestError(
                    "execution_options can only be given for the session's first use of a "
                    "connection in a transaction; this transaction already has its "
                    "connection (call commit() or rollback() first)"
                )
            return hit[0]
        if isinstance(engine, _Connection):
            return self._join(engine, execution_options)
        session = self.session
        if session.twophase and not engine.dialect.supports_twophase:
            raise exc.NotSupportedError(
                f"two-phase commit is not supported by the {engine.dialect.name} dialect; "
                "create the Session with twophase=False, or use PostgreSQL engines"
            )
        conn = engine.connect()
        try:
            if execution_options:
                conn.execution_options(**execution_options)
            txn: Transaction
            if session.twophase:
                txn = conn.begin_twophase(f"uow_{uuid.uuid4().hex}")
            else:
                txn = conn.begin()
            root.connections[engine] = (conn, txn)
            # savepoints already open in the session exist on this connection too
            for level in session.transactions.nested_levels():
                level.savepoints[engine] = conn.begin_nested()
        except BaseException:
            conn.close()
            raise
        session.fire("after_begin", self, conn)
        return conn

    def _join(self, conn: Connection, execution_options: dict[str, Any] | None) -> Connection:
        """Use a Connection given as bind, as ``join_transaction_mode`` says."""
        session = self.session
        if execution_options:
            conn.execution_options(**execution_options)
        if not conn.in_transaction():
            # the session begins the Connection's transaction, so it ends it too
            txn: Transaction = (
                conn.begin_twophase(f"uow_{uuid.uuid4().hex}") if session.twophase else conn.begin()
            )
            joined = JoinedTransaction(txn, commits=True, close_rolls_back=True)
        else:
            mode = session.join_transaction_mode
            if mode == "conditional_savepoint":
                mode = "create_savepoint" if conn.in_nested_transaction() else "rollback_only"
            if mode == "create_savepoint":
                joined = JoinedTransaction(conn.begin_nested(), True, True)
            else:
                current = conn.get_nested_transaction() or conn.get_transaction()
                assert current is not None
                full = mode == "control_fully"
                joined = JoinedTransaction(current, commits=full, close_rolls_back=full)
        root = self.root
        root.connections[conn] = (conn, joined)
        try:
            for level in session.transactions.nested_levels():
                level.savepoints[conn] = conn.begin_nested()
        except BaseException:
            del root.connections[conn]
            joined.release(closing=True)
            raise
        session.fire("after_begin", self, conn)
        return conn

    # -- savepoint accounting ------------------------------------------------------------
    def snapshot(self, state: InstanceState) -> None:
        """Snapshot ``state`` before its first change inside this savepoint."""
        self.record.snapshot(state)

    def merge_into_parent(self) -> None:
        """This savepoint was released: its parent level takes over its accounting."""
        parent = self.parent
        assert parent is not None
        parent.new.update(self.new)
        parent.deleted.update(self.deleted)
        for st, key in self.key_switches.items():
            parent.key_switches.setdefault(st, key)
        if parent.nested:
            self.record.merge_into(parent.record)

    def restore_keys(self) -> None:
        """Give objects whose primary-key change was flushed at this level (and is being
        rolled back) the identity key they had before it."""
        imap = self.session.identity_map
        for st, key in self.key_switches.items():
            if st.key is None:
                continue  # made transient since
            if st.session is self.session:
                imap.rekey(st, key)
            else:
                st.key = key
        self.key_switches.clear()

    def restore_savepoint(self) -> None:
        """Undo in memory what happened inside this savepoint (see `restore_savepoint`)."""
        self.restore_keys()
        restore_savepoint(self.session, self.record, self.new, self.deleted)
        self.new.clear()
        self.deleted.clear()
        self.record.clear()


class JoinedTransaction:
    """The session's hold on the transaction of a Connection it was given as bind.

    ``commits``: ``Session.commit()`` commits (or releases) it; ``close_rolls_back``:
    ``Session.close()`` rolls it back. ``Session.rollback()`` always rolls it back. The
    Connection itself is never closed by the session: it belongs to the caller.
    """

    __slots__ = ("close_rolls_back", "commits", "depth", "transaction")

    def __init__(self, transaction: Transaction, commits: bool, close_rolls_back: bool) -> None:
        self.transaction = transaction
        self.commits = commits
        self.close_rolls_back = close_rolls_back
        # savepoints of the Connection deeper than this are the session's (begin_nested)
        self.depth = len(transaction.connection._savepoints)

    @property
    def is_active(self) -> bool:
        """Whether the joined transaction is still open on the Connection."""
        return self.transaction.is_active

    def _end_session_savepoints(self, commit: bool) -> None:
        """Release (or roll back) the session's own savepoints, leaving the caller's."""
        inner = self.transaction.connection._savepoints[self.depth :]
        if inner and inner[0].is_active:
            if commit:
                inner[0].commit()  # releases the ones inside it too
            else:
                inner[0].rollback()

    def commit(self) -> None:
        """``Session.commit()``: release the session's savepoints; commit if the mode says."""
        if not self.transaction.is_active:
            return
        self._end_session_savepoints(commit=True)
        if self.commits:
            self.transaction.commit()

    def rollback(self) -> None:
        """``Session.rollback()``: roll the joined transaction (or savepoint) back."""
        self.transaction.rollback()

    def prepare(self) -> None:
        """First phase of two-phase commit, for a transaction the session began itself."""
        prepare = getattr(self.transaction, "prepare", None)
        if prepare is None:
            raise exc.InvalidRequestError(
                "a two-phase Session cannot prepare a transaction it joined on a Connection "
                "given as bind; pass a Connection that is not in a transaction"
            )
        prepare()

    def release(self, closing: bool) -> None:
        """The session's transaction ends without commit (``close()`` when ``closing``)."""
        if not closing or self.close_rolls_back:
            self.transaction.rollback()
        elif self.transaction.is_active:
            self._end_session_savepoints(commit=False)


class TransactionControl:
    """The session's transaction stack: begin, savepoints, commit, rollback, close.

    ``current`` is the innermost open level (None before the transaction begins). The
    session's public methods delegate here; everything that ends a level, in the database
    and in memory, is in this class.
    """

    __slots__ = ("autobegin_enabled", "closed_for_good", "current", "session")

    def __init__(self, session: InternalSession, autobegin: bool = True) -> None:
        self.session = session
        self.current: SessionTransaction | None = None
        #: ``Session(autobegin=False)``: only ``begin()`` starts a transaction
        self.autobegin_enabled = autobegin
        #: ``close()`` of a ``Session(close_resets_only=False)``: no transaction ever again
        self.closed_for_good = False

    # -- levels -----------------------------------------------------------------------
    def autobegin(
        self, origin: SessionTransactionOrigin = SessionTransactionOrigin.AUTOBEGIN
    ) -> SessionTransaction:
        """The current level, beginning the root transaction (from ``origin``) if there is
        none."""
        if self.current is None:
            if self.closed_for_good:
                raise exc.InvalidRequestError(
                    "This Session has been permanently closed (close_resets_only=False) "
                    "and is unable to handle any more transaction requests"
                )
            if not self.autobegin_enabled and origin is SessionTransactionOrigin.AUTOBEGIN:
                raise exc.InvalidRequestError(
                    "Autobegin is disabled on this Session (autobegin=False); call "
                    "session.begin() to start a new transaction"
                )
            self.current = SessionTransaction(self.session, origin=origin)
            self.session.fire("after_transaction_create", self.current)
        return self.current

    def ready(self) -> SessionTransaction:
        """`check_active` then `autobegin`: the current level, for a statement about to
        run. A root level without a failure (the usual case) needs neither."""
        t = self.current
        if t is None or t.parent is not None or t.failure is not None:
            self.check_active()
            return self.autobegin()
        return t

    def begin(self) -> SessionTransaction:
        """Begin the root transaction explicitly.

        Raises:
            InvalidRequestError: a transaction is already begun.
        """
        if self.current is not None:
            raise exc.InvalidRequestError(
                "a transaction is already begun on this Session (it begins automatically "
                "on first use); call commit() or rollback() first, or use begin_nested() "
                "for a SAVEPOINT"
            )
        return self.autobegin(SessionTransactionOrigin.BEGIN)

    def begin_nested(self) -> SessionTransaction:
        """Flush, then open a SAVEPOINT on every connection of the transaction."""
        session = self.session
        self.check_active()
        self.autobegin()
        if session.tracker.has_changes():
            session.flush()
        parent = self.current
        assert parent is not None
        txn = SessionTransaction(session, parent, nested=True)
        if session.dispatch._active:  # (guarded: once per savepoint)
            session.fire("after_transaction_create", txn)
        for engine, (conn, _t) in parent.root.connections.items():
            txn.savepoints[engine] = conn.begin_nested()
        self.current = txn
        return txn

    def nested_levels(self) -> list[SessionTransaction]:
        """The open savepoint levels, outermost first."""
        levels = []
        t = self.current
        while t is not None and t.nested:
            levels.append(t)
            t = t.parent
        return list(reversed(levels))

    def is_active(self) -> bool:
        """False while a failed flush waits for ``rollback()``."""
        t = self.current
        while t is not None:
            if t.failure is not None:
                return False
            t = t.parent
        return True

    def check_active(self) -> None:
        """Raises PendingRollbackError while a failed flush waits for ``rollback()``."""
        t = self.current
        while t is not None:
            if t.failure is not None:
                raise exc.PendingRollbackError(
                    "this Session's transaction was rolled back because of an error during "
                    "flush; call Session.rollback() (or leave the failed begin_nested() "
                    f"block) before using it again. Original error: "
                    f"{type(t.failure).__name__}: {t.failure}"
                )
            t = t.parent

    # -- savepoint accounting hooks ---------------------------------------------------------
    def note_touched(self, st: InstanceState) -> None:
        """``st``'s loaded values may now come from inside the current savepoint."""
        t = self.current
        if t is not None and t.nested:
            t.record.touch(st)

    def snapshot(self, st: InstanceState) -> None:
        """Snapshot ``st`` in the current savepoint (if any) before it changes."""
        t = self.current
        if t is not None and t.nested:
            t.record.snapshot(st)

    # -- ending the root --------------------------------------------------------------------
    def commit(self) -> None:
        """Flush, then commit the whole transaction (savepoints included)."""
        session = self.session
        t = self.autobegin()
        self.check_active()
        root = t.root
        session.fire("before_commit")
        if session.tracker.has_changes():
            session.flush()
        try:
            if session.twophase and not root.prepared:
                self._prepare(root)
            for _conn, txn in list(root.connections.values()):
                txn.commit()
        except BaseException as err:
            # The database transaction is gone; the session keeps needing rollback() so
            # that the caller sees the failure instead of silently starting afresh.
            self.release_connections(root)
            if root.is_active:
                root.failure = err
            raise
        self._finish_commit(root)
        if session.router is not None:
            session.router.transaction_ended(committed=True)
        session.fire("after_commit")
        session.fire("after_transaction_end", root)

    def prepare(self) -> None:
        """First phase of a two-phase commit: flush and PREPARE TRANSACTION everywhere."""
        session = self.session
        t = self.autobegin()
        self.check_active()
        if session.tracker.has_changes():
            session.flush()
        self._prepare(t.root)

    def release_connections(self, root: SessionTransaction, closing: bool = False) -> None:
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
            self.rollback_root(root)
            raise
        root.prepared = True

    def _finish_commit(self, root: SessionTransaction) -> None:
        session = self.session
        for conn, txn in root.connections.values():
            if not isinstance(txn, JoinedTransaction):
                conn.close()
        root.connections.clear()
        levels = [root, *self.nested_levels()]
        # savepoints still open are committed with the root: their deletions count too
        for t in levels:
            if not t.deleted:
                continue
            detach_all(session, [st for st in t.deleted if st.session is session])
            for st in t.deleted:
                st.was_deleted = True
                st.deleted = False
            if session.dispatch.deleted_to_detached:
                _events.fire_each(session, "deleted_to_detached", t.deleted)
        for t in levels:
            t.is_active = False
        self.current = None
        if session.expire_on_commit:
            expire_all_states(session)

    def rollback(self) -> None:
        """Roll back the whole transaction: the database and, in memory, every object."""
        t = self.current
        if t is None:
            return
        session = self.session
        root = t.root
        flushed_deletes = _events.flushed_deletes(session) if session.dispatch._active else ()
        self.rollback_root(root)
        session.fire("after_rollback")
        if flushed_deletes:
            _events.fire_each(session, "deleted_to_persistent", flushed_deletes)
        session.fire("after_transaction_end", root)
        session.fire("after_soft_rollback", root)

    def rollback_root(self, root: SessionTransaction) -> None:
        """Roll the root back; objects become what they were before it began."""
        session = self.session
        levels = self.nested_levels()
        try:
            self.release_connections(root)
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
            if session.dispatch.pending_to_transient:
                _events.fire_each(
                    session, "pending_to_transient", [*new_states, *session.tracker.new]
                )
            for st in [*new_states, *session.tracker.new]:
                make_transient_state(session, st)
            restore_deleted(session, deleted_states)
            root.is_active = False
            self.current = None
            if session.router is not None:
                session.router.transaction_ended(committed=False)
            expire_all_states(session)

    # -- ending a savepoint -------------------------------------------------------------
    def end_nested(self, txn: SessionTransaction, commit: bool) -> None:
        """Release (commit=True) or roll back the savepoint ``txn`` and any inside it."""
        if not txn.is_active:
            return
        while self.current is not None and self.current is not txn:
            self.end_nested(self.current, commit=False)
        if commit and txn.failure is None:
            try:
                if self.session.tracker.has_changes():
                    self.session.flush()
                for sp in txn.savepoints.values():
                    sp.commit()
            except BaseException:
                self.end_nested(txn, commit=False)
                raise
            txn.merge_into_parent()
            txn.is_active = False
            self.current = txn.parent
            if self.session.dispatch._active:  # (guarded: once per savepoint)
                self.session.fire("after_transaction_end", txn)
            return
        for sp in txn.savepoints.values():
            if sp.is_active:
                try:
                    sp.rollback()
                except exc.DBAPIError:
                    pass
        self.session.tracker.clear_collection_changes()  # all queued inside (it flushed)
        txn.restore_savepoint()
        txn.is_active = False
        self.current = txn.parent
        self.session.fire("after_transaction_end", txn)
        self.session.fire("after_soft_rollback", txn)

    def flush_failed(self, err: BaseException) -> None:
        """A flush failed: the current level needs rollback; its database work is undone."""
        t = self.current
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

    # -- closing --------------------------------------------------------------------------
    def close(self) -> None:
        """Roll back and release the connections (objects are the session's business)."""
        t = self.current
        if t is not None:
            root = t.root
            self.release_connections(root, closing=True)
            for lvl in [root, *self.nested_levels()]:
                lvl.is_active = False
            self.current = None
            if self.session.router is not None:
                self.session.router.transaction_ended(committed=False)
            self.session.fire("after_transaction_end", root)

    def invalidate(self) -> None:
        """Discard (not return) every connection of the transaction."""
        t = self.current
        if t is not None:
            for conn, txn in list(t.root.connections.values()):
                conn.invalidate()
                if not isinstance(txn, JoinedTransaction):
                    conn.close()
            t.root.connections.clear()
        self.current = None


class TransactionMethods:
    """The session's public transaction methods that need no thread guard (a base class
    of `Session`; ``commit``, ``rollback`` and ``close`` are on `Session` itself)."""

    @property
    def is_active(self: InternalSession) -> bool:
        """False while a failed flush waits for ``rollback()`` (PendingRollbackError)."""
        return self.transactions.is_active()

    def begin(self: InternalSession) -> SessionTransaction:
        """Begin the session's transaction explicitly (it otherwise begins on first use)."""
        return self.transactions.begin()

    def begin_nested(self: InternalSession) -> SessionTransaction:
        """Flush, then open a SAVEPOINT; use as a context manager or keep the handle."""
        return self.transactions.begin_nested()

    def in_transaction(self: InternalSession) -> bool:
        """Whether the session's transaction has begun."""
        return self.transactions.current is not None

    def in_nested_transaction(self: InternalSession) -> bool:
        """Whether a ``begin_nested()`` savepoint is open."""
        t = self.transactions.current
        return t is not None and t.nested

    def get_transaction(self: InternalSession) -> SessionTransaction | None:
        """The root `SessionTransaction`, or None before the transaction begins."""
        t = self.transactions.current
        return t.root if t is not None else None

    def get_nested_transaction(self: InternalSession) -> SessionTransaction | None:
        """The innermost open savepoint level, or None."""
        t = self.transactions.current
        return t if t is not None and t.nested else None

    def check_active(self: InternalSession) -> None:
        """Seam: raise PendingRollbackError while a failed flush waits for rollback()."""
        self.transactions.check_active()

    def prepare(self: InternalSession) -> None:
        """First phase of a two-phase commit: flush and PREPARE TRANSACTION everywhere."""
        if not self.twophase:
            raise exc.InvalidRequestError("prepare() needs a Session created with twophase=True")
        self.transactions.prepare()

    def invalidate(self: InternalSession) -> None:
        """Close the session, discarding (not returning) its database connections."""
        self.transactions.invalidate()
        expunge_all(self)


JoinTransactionMode = Literal[
    "conditional_savepoint", "create_savepoint", "rollback_only", "control_fully"
]
JOIN_TRANSACTION_MODES: tuple[str, ...] = get_args(JoinTransactionMode)


def check_session_arguments(
    autocommit: bool, join_transaction_mode: str, future: bool = True
) -> None:
    """Raises ArgumentError for ``autocommit=True``, ``future=False`` or an unknown
    ``join_transaction_mode``."""
    if future is not True:
        # SQLAlchemy 2.0 keeps the keyword for 1.4 code and accepts only True
        raise exc.ArgumentError(
            "the 'future' parameter passed to Session() may only be set to True"
        )
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


__all__ = [
    "JOIN_TRANSACTION_MODES",
    "JoinTransactionMode",
    "JoinedTransaction",
    "SessionTransaction",
    "SessionTransactionOrigin",
    "TransactionControl",
    "TransactionMethods",
    "check_session_arguments",
]
