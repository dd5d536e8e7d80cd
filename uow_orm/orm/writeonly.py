"""Write-only relationships (``lazy="write_only"`` / ``WriteOnlyMapped``): a collection that
is never loaded whole; ``.select()`` gives a SELECT of its rows and ``.add()`` /
``.remove()`` change it.

Used by `RelationshipProperty` (the attribute returns a `WriteOnlyCollection`) and by
`uow_orm.orm.dynamic` (``lazy="dynamic"`` shares the add/remove logic).

Called by: uow_orm.orm (package), relationships, dynamic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .. import exc
from ..sql.elements import BindParameter, and_
from ..sql.selectable import Join, Select
from .declarative import Mapped
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from .relationships import RelationshipProperty

_T = TypeVar("_T")


class WriteOnlyMapped(Mapped[_T]):
    """Annotation for a write-only collection: ``addresses: WriteOnlyMapped[Address] =
    relationship()`` (implies ``lazy="write_only"``)."""

    _uow_loader = "write_only"


def _criterion(prop: RelationshipProperty, obj: Any) -> tuple[list[Any], Any]:
    """(WHERE criteria, FROM or None) selecting the rows of ``obj``'s collection."""
    from .relationships import Direction

    st: InstanceState = obj.__dict__[STATE_ATTR]
    to_key = st.mapper.column_to_key

    def bind(col: Any) -> Any:
        return BindParameter(None, getattr(obj, to_key[col]), col.type)

    if prop.direction is Direction.MANYTOMANY:
        assert prop.secondary is not None
        where = [prop._primary_clause(bind)]
        frm = Join(prop.mapper.local_table, prop.secondary, prop._secondary_clause())
        return where, frm
    return [prop._primary_clause(bind)], None


class _CollectionWriter:
    """The add / remove side shared by write-only collections and dynamic queries."""

    _prop: RelationshipProperty
    _obj: Any

    def _members(self) -> Any:
        """The full member list, when ``__dict__`` has it (a new parent's members, or a
        collection loaded for a cascade); else None."""
        return self._obj.__dict__.get(self._prop.key)

    def _full_members(self) -> Any:
        """The member list, loading the collection when the only way to record a change is
        the collection itself (a many-to-many, or no many-to-one back reference)."""
        members = self._members()
        if members is not None:
            return members
        st: InstanceState = self._obj.__dict__[STATE_ATTR]
        if st.key is None:
            return self._prop._init_collection(st)
        from .loading import lazy_load

        return lazy_load(st, self._prop)

    def _via_reverse(self) -> Any:
        from .relationships import Direction

        prop = self._prop
        rev = prop.reverse
        if (
            prop.direction is Direction.ONETOMANY
            and rev is not None
            and not rev.uselist
            and self._members() is None
            and self._obj.__dict__[STATE_ATTR].key is not None
        ):
            return rev
        return None

    def add(self, item: Any) -> None:
        """Add ``item`` to the collection (written by the next flush)."""
        rev = self._via_reverse()
        if rev is None:
            self._full_members().append(item)
            return
        self._prop._check_target(item, self._obj.__dict__[STATE_ATTR])
        st: InstanceState = self._obj.__dict__[STATE_ATTR]
        self._prop._cascade_add(st, item)
        setattr(item, rev.key, self._obj)

    def add_all(self, items: Iterable[Any]) -> None:
        """Add each of ``items``."""
        for item in list(items):
            self.add(item)

    def remove(self, item: Any) -> None:
        """Remove ``item`` from the collection: the flush clears its foreign key (or, with a
        delete-orphan cascade, deletes it).

        Raises:
            InvalidRequestError: ``item`` is not in the collection (when that is known
                without a query).
        """
        rev = self._via_reverse()
        if rev is None:
            members = self._full_members()
            if not any(m is item for m in members):
                raise exc.InvalidRequestError(f"{item!r} is not in {self._prop}")
            members.remove(item)
            return
        current = item.__dict__.get(rev.key, NO_VALUE)
        if current is not NO_VALUE and current is not self._obj:
            raise exc.InvalidRequestError(f"{item!r} is not in {self._prop}")
        setattr(item, rev.key, None)
        if "delete-orphan" in self._prop.cascade:
            session = self._obj.__dict__[STATE_ATTR].session
            ist: InstanceState = item.__dict__[STATE_ATTR]
            if session is not None and ist.key is not None:
                session.delete(item)


class WriteOnlyCollection(_CollectionWriter, Generic[_T]):
    """``parent.children`` of a write-only relationship: never loaded, never iterated.

    ``select()`` is a SELECT of the collection's rows (run it with ``session.scalars``);
    ``add()`` / ``add_all()`` / ``remove()`` change it; ``insert()`` / ``update()`` /
    ``delete()`` are DML statements aimed at its rows.
    """

    __slots__ = ("_obj", "_prop")

    def __init__(self, prop: RelationshipProperty, obj: Any) -> None:
        self._prop = prop
        self._obj = obj

    def select(self) -> Select[Any]:
        """``SELECT`` the collection's rows (in the relationship's ``order_by``)."""
        where, frm = _criterion(self._prop, self._obj)
        stmt: Select[Any] = Select(self._prop.mapper.class_)
        if frm is not None:
            stmt = stmt.select_from(frm)
        stmt = stmt.where(*where)
        if self._prop.order_by:
            stmt = stmt.order_by(*self._prop.order_by)
        return stmt

    def _direct(self, what: str) -> None:
        from .relationships import Direction

        if self._prop.direction is not Direction.ONETOMANY:
            raise exc.InvalidRequestError(
                f"{self._prop}.{what}() needs a one-to-many relationship; use select() and "
                "add() / remove() for this one"
            )

    def insert(self) -> Any:
        """An ``INSERT`` into the target table with the parent's key values filled in."""
        from ..sql.dml import insert

        self._direct("insert")
        st: InstanceState = self._obj.__dict__[STATE_ATTR]
        to_key = st.mapper.column_to_key
        target_key = self._prop.mapper.column_to_key
        values = {
            target_key[rc]: getattr(self._obj, to_key[lc])
            for lc, rc in self._prop.local_remote_pairs
        }
        return insert(self._prop.mapper.class_).values(**values)

    def update(self) -> Any:
        """An ``UPDATE`` of the collection's rows."""
        from ..sql.dml import update

        self._direct("update")
        where, _ = _criterion(self._prop, self._obj)
        return update(self._prop.mapper.class_).where(and_(*where))

    def delete(self) -> Any:
        """A ``DELETE`` of the collection's rows."""
        from ..sql.dml import delete

        self._direct("delete")
        where, _ = _criterion(self._prop, self._obj)
        return delete(self._prop.mapper.class_).where(and_(*where))

    def __iter__(self) -> Any:
        raise exc.InvalidRequestError(
            f"{self._prop} is a write-only collection: full iteration is not permitted; "
            "read its rows with session.scalars(parent.<collection>.select()). If this is "
            "a delete cascade, configure passive_deletes=True (with ON DELETE CASCADE) on "
            "the relationship"
        )

    def __repr__(self) -> str:
        return f"<WriteOnlyCollection {self._prop}>"


__all__ = ["WriteOnlyCollection", "WriteOnlyMapped"]
