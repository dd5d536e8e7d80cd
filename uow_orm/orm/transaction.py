"""Session transactions: the root transaction and its SAVEPOINT stack, with accounting.

Used only by the session. Each level remembers what it inserted and deleted and (for
savepoints) a snapshot of every object first changed inside it, so that rolling back a
savepoint restores objects in memory instead of expiring and reloading them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .. import exc
from .state import STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from ..engine.base import Connection, Engine, Transaction
    from .session import Session


class SessionTransaction:
    """One level of a session's transaction: the root, or a ``begin_nested()`` savepoint."""

    def __init__(self, session: Session, parent: SessionTransaction | None = None,
                 nested: bool = False) -> None:
        self.session = session
        self.parent = parent
        self.nested = nested
        self.is_active = True
        self.failure: BaseException | None = None
        # root: engine -> (connection, its transaction); nested: engine -> savepoint
        self.connections: dict[Engine, tuple[Connection, Transaction]] = {}
        self.savepoints: dict[Engine, Transaction] = {}
        self.new: dict[InstanceState, Any] = {}
        self.deleted: dict[InstanceState, Any] = {}
        self.snapshots: dict[InstanceState, tuple[dict[str, Any], dict[str, Any] | None]] = {}
        self.touched: set[InstanceState] = set()
        self.prepared = False

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
    def connection_for(self, engine: Engine) -> Connection:
        root = self.root
        hit = root.connections.get(engine)
        if hit is not None:
            return hit[0]
        session = self.session
        if session.twophase and not engine.dialect.supports_twophase:
            raise exc.NotSupportedError(
                f"two-phase commit is not supported by the {engine.dialect.name} dialect; "
                "create the Session with twophase=False, or use PostgreSQL engines"
            )
        conn = engine.connect()
        try:
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
        session._fire("after_begin")
        return conn

    # -- snapshots for savepoint rollback ---------------------------------------------------
    def snapshot(self, state: InstanceState) -> None:
        if state not in self.snapshots:
            obj = state()
            if obj is None:
                return
            d = {k: (list(v) if isinstance(v, list) else v)
                 for k, v in obj.__dict__.items() if k != STATE_ATTR}
            committed = dict(state.committed) if state.committed else None
            self.snapshots[state] = (d, committed)

    # -- merge / restore ----------------------------------------------------------------
    def merge_into_parent(self) -> None:
        parent = self.parent
        assert parent is not None
        parent.new.update(self.new)
        parent.deleted.update(self.deleted)
        if parent.nested:
            for st, snap in self.snapshots.items():
                parent.snapshots.setdefault(st, snap)
            parent.touched |= self.touched

    def restore_savepoint(self) -> None:
        """Undo in memory what happened inside this savepoint (the database already is)."""
        session = self.session
        imap = session.identity_map
        # objects inserted inside, and objects still pending: back to transient
        for st in list(self.new) + list(session._new):
            session._make_transient(st)
        # objects deleted inside: persistent again
        for st, obj in self.deleted.items():
            st.deleted = False
            if st.key is not None and imap.state_for(st.key) is None and obj is not None:
                imap.add(st, obj)
                st.session = session
        session._deleted.clear()
        # objects changed inside: their values from before the savepoint
        for st, (d, committed) in self.snapshots.items():
            obj = st()
            if obj is None or st.session is not session:
                continue
            od = obj.__dict__
            for key in list(od):
                if key != STATE_ATTR and key in st.mapper.attrs:
                    del od[key]
            for key, value in d.items():
                if key in st.mapper.attrs:
                    if isinstance(value, list) and key in st.mapper.relationships:
                        from .attributes import InstrumentedList

                        coll: InstrumentedList[Any] = InstrumentedList(value)
                        coll._bind(st, st.mapper.relationships[key])
                        od[key] = coll
                    else:
                        od[key] = value
                else:
                    od[key] = value
            st.committed = dict(committed) if committed else None
            st.modified = bool(committed)
            if not st.modified:
                session._modified.pop(st, None)
        for st in self.touched:
            if st.session is session and st not in self.snapshots:
                session._expire_state(st, None)
        self.new.clear()
        self.deleted.clear()
        self.snapshots.clear()
        self.touched.clear()


__all__ = ["SessionTransaction"]
