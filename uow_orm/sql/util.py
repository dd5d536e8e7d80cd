"""``sqlalchemy.sql.util``: `ClauseAdapter`, which aims an expression written against a
table at an alias or subquery of it (libraries adapt relationship conditions with it).

Called by: applications and libraries written for SQLAlchemy; the ORM aims its own
criteria with ``elements.replace_columns`` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import exc
from .elements import ColumnElement, replace_columns


class ClauseAdapter:
    """Rewrites expressions so that the columns ``selectable`` stands for (the table of an
    alias, the columns a subquery selects) are read from ``selectable`` instead:
    ``ClauseAdapter(users.alias("u")).traverse(users.c.id == 5)`` is ``u.id = :id_1``.

    Args:
        selectable: the alias, subquery or table to read from.
        include_fn: only columns for which it returns true are adapted.
        exclude_fn: columns for which it returns true are left alone.

    Raises:
        ArgumentError: for ``equivalents``, ``adapt_on_names``, ``anonymize_labels`` or
            ``adapt_from_selectables`` (not supported).
    """

    def __init__(
        self,
        selectable: Any,
        equivalents: Any = None,
        include_fn: Callable[[Any], bool] | None = None,
        exclude_fn: Callable[[Any], bool] | None = None,
        adapt_on_names: bool = False,
        anonymize_labels: bool = False,
        adapt_from_selectables: Any = None,
    ) -> None:
        unsupported = [
            name
            for name, value in (
                ("equivalents", equivalents),
                ("adapt_on_names", adapt_on_names),
                ("anonymize_labels", anonymize_labels),
                ("adapt_from_selectables", adapt_from_selectables),
            )
            if value
        ]
        if unsupported:
            raise exc.ArgumentError(f"ClauseAdapter({', '.join(unsupported)}=...) is not supported")
        self.selectable = selectable
        self.include_fn = include_fn
        self.exclude_fn = exclude_fn

    def replace(self, element: Any) -> Any:
        """The column of `selectable` standing for ``element``, or None to leave it."""
        if not isinstance(element, ColumnElement):
            return None
        found = self.selectable.corresponding_column(element)
        if found is None or found is element:
            return None
        if self.include_fn is not None and not self.include_fn(element):
            return None
        if self.exclude_fn is not None and self.exclude_fn(element):
            return None
        return found

    def traverse(self, obj: Any) -> Any:
        """A copy of ``obj`` reading `selectable`'s columns (unchanged parts are shared)."""
        return replace_columns(obj, self.replace)

    __call__ = traverse


__all__ = ["ClauseAdapter"]
