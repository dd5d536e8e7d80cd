"""The calls lower layers make up into the session (`.base.ObjectSession`), as a base class.

Called by: session (`Session` derives from `SessionSeams`); attribute instrumentation,
relationships and loading call these methods on ``InstanceState.session``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import expiry, lifecycle
from .base import ObjectSession

if TYPE_CHECKING:
    from .state import InstanceState


class SessionSeams:
    """What `Session` does when an object changes, loads an attribute or gains a child."""

    # The two seams called once per changed object or attached child are the lifecycle
    # functions themselves (they take the session first): no wrapper call per object.
    #: Seam: ``state``'s object changes for the first time (attribute instrumentation).
    object_changed = lifecycle.object_changed
    #: Seam: a relationship gained ``obj``; attach it with its save-update cascade.
    cascade_save = lifecycle.cascade_save

    def expunge_state(self: ObjectSession, st: InstanceState) -> None:
        """Seam: remove ``st`` alone (a pending orphan of a delete-orphan relationship)."""
        lifecycle.expunge_state(self, st)

    def load_unloaded(
        self: ObjectSession,
        st: InstanceState,
        key: str | None,
        keys: Sequence[str] | None = None,
        overwrite: bool = False,
        with_for_update: Any = None,
    ) -> None:
        """Seam: SELECT the unloaded (or the given) columns of one persistent object."""
        expiry.load_unloaded(self, st, key, keys, overwrite, with_for_update)


__all__ = ["SessionSeams"]
