"""Session transactions: the root transaction and its SAVEPOINT stack, with accounting.

Used only by the session. Each level remembers what it inserted and deleted and (for
savepoints) a snapshot of every object first changed inside it, so that rolling back a
savepoint restores objects in memory instead of expiring and reloading them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .. import exc
from ..engine.base import Connection as _Connection
from .relationships import Direction
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from ..engine.base import Connection, Engine, Transaction
    from .identity import IdentityMap
    from .session import Session


class SessionTransaction:
    """One level of a session's transaction: the root, or a ``begin_nested()`` savepoint."""

    def __init__(
        self, session: Session, parent: SessionTransaction | None = None, nested: bool = False
    ) -> None:
        self.session = session
        self.parent = parent
        self.nested = nested
        self.is_active = True
        self.failure: BaseException | None = None
        # root: bind (engine, or a Connection given as bind) -> (connection, transaction);
        # nested: bind -> savepoint
        self.connections: dict[Any, tuple[Connection, Any]] = {}
        self.savepoints: dict[Any, Transaction] = {}
        self.new: dict[InstanceState, Any] = {}
        self.deleted: dict[InstanceState, Any] = {}
        self.snapshots: dict[InstanceState, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        # objects whose loaded values may have been read inside this savepoint (expired,
        # refreshed, attached or synchronized by bulk DML before any snapshot of theirs)
        self.touched: set[InstanceState] = set()
        self.bulk_dml = False  # an ORM UPDATE / DELETE statement ran inside this savepoint
        self.prepared = False
        # primary-key changes flushed at this level: state -> its identity key before
        self.key_switches: dict[InstanceState, tuple[Any, ...]] = {}

    @property
    def root(self) -> SessionTransaction:
        t = self
        while t.parent is not None:
            t = t.parent
        return t

    def __repr__(self) -> str:
        kind = "nested" if self.nested else "root"
        return f"<SessionTransaction {kind} active={self.is_active}>"

    # -- user-facing control ----------------------------------------------------------
    def commit(self) -> None:
        """Release this savepoint, or commit the session's transaction."""
        if self.nested:
            self.session._end_nested(self, commit=True)
        elif self.is_active:
            self.session.commit()

    def rollback(self) -> None:
        """Roll back to this savepoint, or roll back the session's transaction."""
        if self.nested:
            self.session._end_nested(self, commit=False)
        elif self.is_active:
            self.session.rollback()

    def close(self) -> None:
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
            for level in self.session._nested_levels():
                level.savepoints[engine] = conn.begin_nested()
        except BaseException:
            conn.close()
            raise
        session._fire("after_begin", self, conn)
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
            for level in session._nested_levels():
                level.savepoints[conn] = conn.begin_nested()
        except BaseException:
            del root.connections[conn]
            joined.release(closing=True)
            raise
        session._fire("after_begin", self, conn)
        return conn

    # -- snapshots for savepoint rollback ---------------------------------------------------
    def snapshot(self, state: InstanceState) -> None:
        # A touched object's values may come from inside the savepoint: no snapshot, the
        # rollback expires it instead.
        if state not in self.snapshots and state not in self.touched:
            obj = state()
            if obj is None:
                return
            d = {
                k: (list(v) if isinstance(v, list) else v)
                for k, v in obj.__dict__.items()
                if k != STATE_ATTR
            }
            committed = dict(state.committed) if state.committed else None
            self.snapshots[state] = (d, committed)

    # -- merge / restore ----------------------------------------------------------------
    def merge_into_parent(self) -> None:
        parent = self.parent
        assert parent is not None
        parent.new.update(self.new)
        parent.deleted.update(self.deleted)
        for st, key in self.key_switches.items():
            parent.key_switches.setdefault(st, key)
        if parent.nested:
            # The parent's snapshots are older, hence still right; an inner snapshot of an
            # object touched in the parent holds values read inside the parent.
            psnaps = parent.snapshots
            ptouched = parent.touched
            for st in self.touched:
                if st not in psnaps:
                    ptouched.add(st)
            for st, snap in self.snapshots.items():
                if st not in psnaps and st not in ptouched:
                    psnaps[st] = snap
            parent.bulk_dml = parent.bulk_dml or self.bulk_dml

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
        """Undo in memory what happened inside this savepoint (the database already is).

        Objects changed inside get back the column values of their snapshot. Everything
        that may hold values read inside the savepoint is expired instead and reloads on
        access: objects touched inside, another object now standing for a row written
        inside (the one that wrote it was expunged), everything after an ORM bulk
        UPDATE / DELETE, the relationships of the restored objects and, on the other side
        of each relationship, what linked to a row written inside.
        """
        session = self.session
        imap = session.identity_map
        self.restore_keys()
        # rows written inside (a touched object may have been changed and flushed too)
        written = [*self.snapshots, *self.touched, *self.new, *self.deleted, *session._new]
        written_keys = [(st, st.key) for st in written if st.key is not None]
        links: list[tuple[Any, str]] = []
        for st in written:
            obj = st()
            if obj is not None:
                _links(st, obj.__dict__, imap, links)
            snap = self.snapshots.get(st)
            if snap is not None:
                _links(st, snap[0], imap, links)
        # objects inserted inside, and objects still pending: back to transient
        for st in list(self.new) + list(session._new):
            session._make_transient(st)
        # objects deleted inside: persistent again
        for st, obj in self.deleted.items():
            st.deleted = False
            if st.session is not session:
                st.was_deleted = False  # expunged by the user: stays out, its row is back
                continue
            if st.key is not None and obj is not None:
                displaced = imap.restore(st)  # a row switch's successor may hold its key
                if displaced is not None:
                    session._detach(displaced)
                st.session = session
        session._deleted.clear()
        # objects changed inside: their column values from before the savepoint
        for st, (d, committed) in self.snapshots.items():
            obj = st()
            if obj is None or st.session is not session:
                continue
            rels = st.mapper.relationships
            od = obj.__dict__
            for key in list(od):
                if key != STATE_ATTR and key in st.mapper.attrs:
                    del od[key]
            for key, value in d.items():
                if key not in rels:
                    od[key] = value
            if committed:
                committed = {k: v for k, v in committed.items() if k not in rels}
            st.committed = committed or None
            st.modified = bool(committed)
            if st.modified:
                session._modified[st] = obj
            else:
                session._modified.pop(st, None)
            _links(st, od, imap, links)
        expire = {st for st in self.touched if st not in self.snapshots}
        for st, key in written_keys:
            current = imap.state_for(key)
            if current is not None and current is not st:
                expire.add(current)
        if self.bulk_dml:
            expire.update(list(imap._states.values()))  # a copy: gc may drop entries
        for st in expire:
            if st.session is session:
                session._expire_state(st, None)
        for obj, key in links:
            other = getattr(obj, "__dict__", {}).get(STATE_ATTR)
            if other is not None and other.session is session and other.key is not None:
                obj.__dict__.pop(key, None)
        self.new.clear()
        self.deleted.clear()
        self.snapshots.clear()
        self.touched.clear()
        self.bulk_dml = False


def _links(
    st: InstanceState, d: dict[str, Any], imap: IdentityMap, out: list[tuple[Any, str]]
) -> None:
    """Collect (object, attribute) for the other side of each relationship in ``d``.

    ``d`` holds values of ``st``'s object: the objects in its relationships and, for a
    many-to-one, the object in the identity map that its foreign key names.
    """
    for prop in st.mapper.relationships.values():
        rev = prop.reverse
        if rev is None:
            continue
        value = d.get(prop.key)
        if prop.uselist:
            out.extend((o, rev.key) for o in value or ())
        elif value is not None and value is not NO_VALUE:
            out.append((value, rev.key))
        if prop.direction is Direction.MANYTOONE:
            pairs = prop.local_remote_pairs
            pk_cols = prop.mapper.pk_columns
            if len(pairs) != len(pk_cols) or any(
                rc is not pc for (_, rc), pc in zip(pairs, pk_cols)
            ):
                continue
            to_key = prop.parent.column_to_key
            fk = tuple(d.get(to_key[lc], NO_VALUE) for lc, _ in pairs)
            if any(v is None or v is NO_VALUE for v in fk):
                continue
            target = imap.get_obj(prop.mapper.identity_key_from_pk(fk))
            if target is not None:
                out.append((target, rev.key))


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


__all__ = ["JoinedTransaction", "SessionTransaction"]
