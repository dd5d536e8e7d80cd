"""Dynamic relationships (``lazy="dynamic"`` / ``DynamicMapped``): the attribute is a legacy
`Query` of the related rows (``AppenderQuery``) that can also append and remove.

Used by `RelationshipProperty`, whose attribute returns an `AppenderQuery` for these.

Called by: relationships (the attribute of a ``lazy="dynamic"`` relationship),
uow_orm.orm (package).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .. import exc
from .declarative import Mapped
from .query import Query
from .state import STATE_ATTR, InstanceState
from .writeonly import WriteOnlyCollection, _CollectionWriter

if TYPE_CHECKING:
    from .relationships import RelationshipProperty

_T = TypeVar("_T")


class DynamicMapped(Mapped[_T]):
    """Annotation for a dynamic relationship: ``addresses: DynamicMapped[Address] =
    relationship()`` (implies ``lazy="dynamic"``)."""

    _uow_loader = "dynamic"


class AppenderQuery(_CollectionWriter, Query[_T]):
    """``parent.children`` of a ``lazy="dynamic"`` relationship: a `Query` of the related
    rows (``filter()``, ``order_by()``, ``count()``, slicing, iteration) plus ``append()``,
    ``extend()`` and ``remove()``.

    Iterating autoflushes first (as every query does), so appended objects are found; for a
    parent that is not persistent yet it gives the appended objects.
    """

    def __init__(self, prop: RelationshipProperty, obj: Any) -> None:
        st: InstanceState = obj.__dict__[STATE_ATTR]
        self._prop = prop
        self._obj = obj
        stmt = WriteOnlyCollection(prop, obj).select() if st.key is not None else None
        super().__init__(st.session, (prop.mapper.class_,), stmt)  # type: ignore[arg-type]

    def _pending(self) -> list[Any] | None:
        st: InstanceState = self._obj.__dict__[STATE_ATTR]
        if st.key is not None:
            return None
        return list(self._members() or ())

    def all(self) -> list[_T]:
        pending = self._pending()
        if pending is not None:
            return pending
        if self.session is None:
            raise exc.DetachedInstanceError(
                f"{self._prop} is a dynamic relationship and {self._obj!r} is not in a "
                "session, so it cannot be queried"
            )
        return super().all()

    def __iter__(self) -> Iterator[_T]:
        return iter(self.all())

    def __getitem__(self, index: Any) -> Any:
        pending = self._pending()
        if pending is not None:
            return pending[index]
        if isinstance(index, slice):
            start = index.start or 0
            q = self._with(self._stmt.offset(start) if start else self._stmt)
            if index.stop is not None:
                q = q._with(q._stmt.limit(index.stop - start))
            return q.all()
        rows = self._with(self._stmt.offset(index).limit(1)).all()
        if not rows:
            raise IndexError(index)
        return rows[0]

    def count(self) -> int:
        pending = self._pending()
        if pending is not None:
            return len(pending)
        return super().count()

    def append(self, item: _T) -> None:
        """Add ``item`` (written by the next flush)."""
        self.add(item)

    def extend(self, items: Iterable[_T]) -> None:
        """Add each of ``items``."""
        self.add_all(items)

    def __repr__(self) -> str:
        return f"<AppenderQuery {self._prop}>"


#: query_class -> the AppenderQuery subclass made for it
_APPENDERS: dict[type, type[AppenderQuery[Any]]] = {}


def appender_class(query_class: type | None) -> type[AppenderQuery[Any]]:
    """The class of a dynamic relationship's collection: `AppenderQuery`, or for
    ``relationship(query_class=MyQuery)`` a subclass of both (``MyQuery``'s own methods
    available on the collection, as SQLAlchemy's ``AppenderMixin`` does)."""
    if query_class is None or issubclass(query_class, AppenderQuery):
        return query_class or AppenderQuery
    cls = _APPENDERS.get(query_class)
    if cls is None:
        cls = _APPENDERS[query_class] = type(
            f"Appender{query_class.__name__}", (AppenderQuery, query_class), {}
        )
    return cls


__all__ = ["AppenderQuery", "DynamicMapped", "appender_class"]
