"""The legacy ``Query`` API (``session.query(User).filter(...)``), built on ``select()``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..sql.elements import func
from ..sql.selectable import Select
from . import events as _events

if TYPE_CHECKING:
    from .session import Session

_T = TypeVar("_T")


class Query(Generic[_T]):
    """A SELECT bound to a session; each method returns a new Query."""

    def __init__(
        self, session: Session, entities: tuple[Any, ...], stmt: Select[Any] | None = None
    ) -> None:
        self.session = session
        self._entities = entities
        self._stmt: Select[Any] = stmt if stmt is not None else Select(*entities)

    def _with(self, stmt: Select[Any]) -> Query[_T]:
        return Query(self.session, self._entities, stmt)

    @property
    def statement(self) -> Select[Any]:
        return self._stmt

    def filter(self, *criteria: Any) -> Query[_T]:
        return self._with(self._stmt.where(*criteria))

    where = filter

    def filter_by(self, **kw: Any) -> Query[_T]:
        return self._with(self._stmt.filter_by(**kw))

    def order_by(self, *clauses: Any) -> Query[_T]:
        return self._with(self._stmt.order_by(*clauses))

    def group_by(self, *clauses: Any) -> Query[_T]:
        return self._with(self._stmt.group_by(*clauses))

    def having(self, *criteria: Any) -> Query[_T]:
        return self._with(self._stmt.having(*criteria))

    def limit(self, n: int | None) -> Query[_T]:
        return self._with(self._stmt.limit(n))

    def offset(self, n: int | None) -> Query[_T]:
        return self._with(self._stmt.offset(n))

    def distinct(self) -> Query[_T]:
        return self._with(self._stmt.distinct())

    def join(
        self, target: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Query[_T]:
        return self._with(self._stmt.join(target, onclause, isouter=isouter, full=full))

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Query[_T]:
        return self._with(self._stmt.outerjoin(target, onclause, full=full))

    def options(self, *opts: Any) -> Query[_T]:
        return self._with(self._stmt.options(*opts))

    def with_for_update(self, **kw: Any) -> Query[_T]:
        return self._with(self._stmt.with_for_update(**kw))

    def populate_existing(self) -> Query[_T]:
        return self._with(self._stmt.execution_options(populate_existing=True))

    def select_from(self, *froms: Any) -> Query[_T]:
        return self._with(self._stmt.select_from(*froms))

    def _result(self) -> Any:
        result = self.session.execute(self._stmt)
        if result._require_unique:  # legacy Query de-duplicates joined eager loads itself
            result = result.unique()
        if len(self._entities) == 1 and hasattr(self._entities[0], "__mapper__"):
            return result.scalars()  # query(User) gives objects; query(User.name) gives rows
        return result

    def all(self) -> list[_T]:
        return list(self._result().all())

    def __iter__(self) -> Iterator[_T]:
        return iter(self.all())

    def first(self) -> _T | None:
        return self._with(self._stmt.limit(1))._result().first()  # type: ignore[no-any-return]

    def one(self) -> _T:
        return self._result().one()  # type: ignore[no-any-return]

    def one_or_none(self) -> _T | None:
        return self._result().one_or_none()  # type: ignore[no-any-return]

    def scalar(self) -> Any:
        return self.session.execute(self._stmt).scalar()

    def count(self) -> int:
        sub = self._stmt.order_by(None).subquery("anon_count")
        return int(self.session.execute(Select(func.count()).select_from(sub)).scalar() or 0)

    def get(self, ident: Any) -> _T | None:
        return self.session.get(self._entities[0], ident)

    def exists(self) -> Any:
        return self._stmt.exists()

    def delete(self, synchronize_session: Any = "auto") -> int:
        """DELETE the rows this query matches; objects in the session are removed to match
        (``synchronize_session`` may be "auto", "evaluate" or "fetch")."""
        from ..sql.dml import delete

        stmt = delete(self._entities[0]).where(*self._stmt._where)
        stmt = stmt.execution_options(synchronize_session=synchronize_session)
        result = self.session.execute(stmt)
        _events.fire_bulk(self.session, "after_bulk_delete", self, stmt, result)
        return result.rowcount

    def update(self, values: dict[Any, Any], synchronize_session: Any = "auto") -> int:
        """UPDATE the rows this query matches; objects in the session are updated to match
        (``synchronize_session`` may be "auto", "evaluate" or "fetch")."""
        from ..sql.dml import update

        stmt = update(self._entities[0]).where(*self._stmt._where).values(values)
        stmt = stmt.execution_options(synchronize_session=synchronize_session)
        result = self.session.execute(stmt)
        _events.fire_bulk(self.session, "after_bulk_update", self, stmt, result)
        return result.rowcount

    def __repr__(self) -> str:
        return str(self._stmt)


__all__ = ["Query"]
