"""``Session.flush()`` and autoflush (`FlushMethods`): one flush's events, its plans (one
per shard) and what their success or failure does to the session's objects.

Called by: session (`Session` derives from `FlushMethods`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from .. import exc
from . import events as _events
from . import lifecycle
from .exclusive import exclusive
from .unitofwork import FlushContext, FlushPlan

if TYPE_CHECKING:
    import threading

    from .seams import InternalSession
    from .state import InstanceState

    class _FlushingSession(InternalSession, Protocol):
        """What `FlushMethods` reads of the `Session` it is a base class of."""

        _in_use: threading.RLock
        _flushing: bool
        _autoflush_disabled: int
        _flush_context: FlushContext | None

        def _flush_context_for(self, objects: Sequence[Any] | None, token: Any) -> FlushContext: ...
        def _flush_groups(self, objects: Sequence[Any] | None) -> list[tuple[Any, Any]]: ...
        def _in_shard(self, token: Any) -> AbstractContextManager[None]: ...
        def _delete_cascade_in_flush(self, st: InstanceState) -> None: ...
        def _autoflush(self) -> None: ...


_AUTOFLUSH_NOTE = (
    " (This error was raised by autoflush, which flushes pending changes before a query; "
    "use a session.no_autoflush block if the flush is happening too early.)"
)


class FlushMethods:
    """The session's ``flush()`` and autoflush (a base class of `Session`)."""

    # the session's flush state (set in ``Session.__init__``)
    #: True while a flush runs (a flush event's query does not autoflush)
    _flushing: bool
    #: ``no_autoflush`` blocks (and ``delete()`` cascades) open now
    _autoflush_disabled: int
    #: the `FlushContext` of a whole-session flush, kept between flushes
    _flush_context: FlushContext | None

    @exclusive
    def flush(self: _FlushingSession, objects: Sequence[Any] | None = None) -> None:
        """Write pending changes to the database, in foreign-key dependency order."""
        if self._flushing:
            raise exc.InvalidRequestError(
                "Session is already flushing (flush() called from inside a flush event?)"
            )
        transactions = self.transactions
        transactions.check_active()
        if not self.tracker.has_changes():
            return
        txn = transactions.autobegin()
        if self.router is not None:
            self.router.writing("flush")
        flush_context = _events.FlushContext(self)
        self._flushing = True  # (so a lazy load in before_flush does not autoflush again)
        if self.dispatch._active:  # (each fire is guarded: a flush per savepoint in W7)
            try:
                self.fire("before_flush", flush_context, objects)
            except BaseException:
                self._flushing = False
                raise
        plans: list[FlushPlan] = []
        try:
            for group, token in self._flush_groups(objects):
                plan = flush_context.plan = FlushPlan(self._flush_context_for(group, token))
                plans.append(plan)
                if token is None:
                    plan.execute()
                else:
                    with self._in_shard(token):
                        plan.execute()
            if self.dispatch._active:
                self.fire("after_flush", flush_context)
        except BaseException as e:
            self._flushing = False
            for plan in plans:
                lifecycle.flush_failed(self, plan)
            transactions.flush_failed(e)
            raise
        self._flushing = False
        for plan in plans:
            lifecycle.flush_succeeded(self, plan, txn)
            if self.dispatch._active:
                _events.fire_flushed(self, plan)
        if self.dispatch._active:
            self.fire("after_flush_postexec", flush_context)

    def _flush_context_for(
        self: _FlushingSession, objects: Sequence[Any] | None, token: Any
    ) -> FlushContext:
        """The `FlushContext` of one flush of ``objects`` (None: everything) in the shard
        ``token``; the one of a flush of everything without a shard is kept (the same for
        every such flush)."""
        ctx = self._flush_context
        if ctx is not None and objects is None and token is None:
            return ctx
        ctx = FlushContext(
            owner=self,
            identity_map=self.identity_map,
            new=self.tracker.new,
            dirty=self.tracker.modified,
            deleted=self.tracker.deleted,
            connection_for=self.connection_for_mapper,
            delete_cascade=self._delete_cascade_in_flush,
            discard_new=self.tracker.pop_new,
            objects=objects,
            identity_token=token,
        )
        if objects is None and token is None:
            self._flush_context = ctx
        return ctx

    def _flush_groups(self, objects: Sequence[Any] | None) -> list[tuple[Any, Any]]:
        """The flushes one ``flush(objects)`` makes: (objects or None, identity token)
        pairs; one, without a token, for a Session whose mappers each have one database
        (`ShardedSession` makes one per shard)."""
        return [(objects, None)]

    def _in_shard(self, token: Any) -> AbstractContextManager[None]:
        """The scope of work in the shard ``token`` (`ShardedSession` only)."""
        raise exc.InvalidRequestError(f"this Session has no shard {token!r}")

    def _delete_cascade_in_flush(self: _FlushingSession, st: InstanceState) -> None:
        """A delete cascade the flush finds (the children of a deleted parent), with
        autoflush off as under ``no_autoflush``: loading the children must not flush."""
        self._autoflush_disabled += 1
        try:
            lifecycle.delete_cascade(self, st)
        finally:
            self._autoflush_disabled -= 1

    # -- autoflush ------------------------------------------------------------------------
    def _autoflush(self: _FlushingSession) -> None:
        if self._autoflush_disabled or self._flushing:
            return
        if not self.tracker.has_changes():
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

    def autoflush_for_load(self: _FlushingSession) -> None:
        """Seam: flush before a lazy load, when autoflush is on and no flush is running."""
        if self.autoflush and not self._flushing:
            self._autoflush()


__all__ = ["FlushMethods"]
