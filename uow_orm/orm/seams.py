"""The calls lower layers make up into the session (`.base.ObjectSession`), as a base class.

Called by: session (`Session` derives from `SessionSeams`; attribute instrumentation,
relationships and loading call these methods on ``InstanceState.session``; the session's
internal modules name `InternalSession`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from . import expiry, lifecycle
from .base import ObjectSession

if TYPE_CHECKING:
    from ..engine.result import Result
    from .routing import Router
    from .state import InstanceState
    from .tracking import Tracker
    from .transaction import TransactionControl


class InternalSession(ObjectSession, Protocol):
    """The session as the modules it delegates to see it (lifecycle, expiry, merge, lookup,
    bulk, execution, the transaction stack and savepoints): `ObjectSession` with its full
    registries, transaction control and read-replica router. The layers below the session
    see only `ObjectSession`, whose ``tracker`` and ``transactions`` are narrower."""

    @property
    def tracker(self) -> Tracker: ...
    @property
    def transactions(self) -> TransactionControl: ...
    @property
    def router(self) -> Router | None: ...

    def execute(self, statement: Any, params: Any = None) -> Result:
        """``Session.execute`` (with its ``do_orm_execute`` listeners)."""


class SessionSeams:
    """What `Session` does when an object changes, loads an attribute or gains a child."""

    # The two seams called once per changed object or attached child are the lifecycle
    # functions themselves (they take the session first): no wrapper call per object.
    #: Seam: ``state``'s object changes for the first time (attribute instrumentation).
    object_changed = lifecycle.object_changed
    #: Seam: a relationship gained ``obj``; attach it with its save-update cascade.
    cascade_save = lifecycle.cascade_save

    def expunge_state(self: InternalSession, st: InstanceState) -> None:
        """Seam: remove ``st`` alone (a pending orphan of a delete-orphan relationship)."""
        lifecycle.expunge_state(self, st)

    def load_unloaded(
        self: InternalSession,
        st: InstanceState,
        key: str | None,
        keys: Sequence[str] | None = None,
        overwrite: bool = False,
        with_for_update: Any = None,
    ) -> None:
        """Seam: SELECT the unloaded (or the given) columns of one persistent object."""
        expiry.load_unloaded(self, st, key, keys, overwrite, with_for_update)


__all__ = ["SessionSeams"]
