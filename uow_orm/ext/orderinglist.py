"""``ordering_list``: a relationship list that keeps a position attribute of its members in
step with their index, as in ``sqlalchemy.ext.orderinglist``.

Used as ``relationship(collection_class=ordering_list("position"), order_by=...)``; the
relationship builds its member list with the factory `ordering_list` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex, TypeVar

from ..orm.attributes import InstrumentedList

_T = TypeVar("_T")


def count_from_0(index: int, collection: Any) -> int:
    """Numbering function: positions 0, 1, 2, ..."""
    return index


def count_from_1(index: int, collection: Any) -> int:
    """Numbering function: positions 1, 2, 3, ..."""
    return index + 1


def count_from_n_factory(start: int) -> Callable[[int, Any], int]:
    """A numbering function starting at ``start``."""

    def f(index: int, collection: Any) -> int:
        return index + start

    return f


class OrderingList(InstrumentedList[_T]):
    """A relationship list that sets ``ordering_attr`` of each member to its position.

    Appending numbers the new member (leaving an existing value unless
    ``reorder_on_append``); ``insert``, ``remove``, ``pop``, deletion and assignment renumber
    every member. Loading does not renumber: give the relationship ``order_by`` on the same
    attribute.
    """

    __slots__ = ("ordering_attr", "ordering_func", "reorder_on_append")

    def __init__(
        self,
        ordering_attr: str,
        ordering_func: Callable[[int, Any], Any] | None = None,
        reorder_on_append: bool = False,
    ) -> None:
        super().__init__()
        self.ordering_attr = ordering_attr
        self.ordering_func = ordering_func or count_from_0
        self.reorder_on_append = reorder_on_append

    def _order_entity(self, index: int, entity: Any, reorder: bool = True) -> None:
        have = getattr(entity, self.ordering_attr, None)
        if have is not None and not reorder:
            return
        should = self.ordering_func(index, self)
        if have != should:
            setattr(entity, self.ordering_attr, should)

    def reorder(self) -> None:
        """Renumber every member from its index (after changing the list in place)."""
        for index, entity in enumerate(self):
            self._order_entity(index, entity, True)

    _reorder = reorder

    def append(self, item: _T) -> None:
        super().append(item)
        self._order_entity(len(self) - 1, item, self.reorder_on_append)

    def insert(self, index: SupportsIndex, item: _T) -> None:
        super().insert(index, item)
        self._reorder()

    def remove(self, item: _T) -> None:
        super().remove(item)
        self._reorder()

    def pop(self, index: SupportsIndex = -1) -> _T:
        item = super().pop(index)
        self._reorder()
        return item

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._reorder()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._reorder()

    def _replace(self, items: Iterable[Any]) -> None:
        super()._replace(items)
        self._reorder()

    def _append_silent(self, item: Any) -> None:
        # a backref adding a member numbers it, as SQLAlchemy's appender does
        present = any(x is item for x in self)
        super()._append_silent(item)
        if not present:
            self._order_entity(len(self) - 1, item, self.reorder_on_append)

    def __reduce__(self) -> Any:
        return (list, (list(self),))


def ordering_list(
    attr: str,
    count_from: int | None = None,
    ordering_func: Callable[[int, Any], Any] | None = None,
    reorder_on_append: bool = False,
) -> Callable[[], OrderingList[Any]]:
    """A ``collection_class`` factory for `OrderingList` on attribute ``attr``.

    Args:
        count_from: the first position (0 when omitted); not with ``ordering_func``.
        ordering_func: ``f(index, collection)`` giving the position value.
        reorder_on_append: renumber an appended member even when it has a position.

    Raises:
        ArgumentError: both ``count_from`` and ``ordering_func`` are given.
    """
    from .. import exc

    if count_from is not None:
        if ordering_func is not None:
            raise exc.ArgumentError("ordering_list() takes count_from or ordering_func, not both")
        ordering_func = count_from_n_factory(count_from)

    def factory() -> OrderingList[Any]:
        return OrderingList(attr, ordering_func, reorder_on_append)

    return factory


__all__ = [
    "OrderingList",
    "count_from_0",
    "count_from_1",
    "count_from_n_factory",
    "ordering_list",
]
