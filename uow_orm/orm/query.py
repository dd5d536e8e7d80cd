"""The legacy ``Query`` API (``session.query(User).filter(...)``), built on ``select()``.

Called by: session (``Session.query()``), scoping, dynamic (``AppenderQuery``),
relationships (``relationship(query_class=)`` is checked to be a subclass),
ext.horizontal_shard (``ShardedQuery``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .. import exc
from ..sql.elements import func
from ..sql.selectable import FromStatement, Select
from . import criteria as _criteria
from . import events as _events
from .base import EAGER_STRATEGIES, ObjectSession

if TYPE_CHECKING:
    from ..engine.result import Result


class QuerySession(ObjectSession, Protocol):
    """The session a `Query` runs in (`uow_orm.orm.session.Session`): what the layers
    below the session see of it, and ``execute``."""

    def execute(self, statement: Any, params: Any = None) -> Result:
        """``Session.execute``."""


_T = TypeVar("_T")


class Query(Generic[_T]):
    """A SELECT bound to a session; each method returns a new Query."""

    def __init__(
        self,
        session: QuerySession,
        entities: tuple[Any, ...],
        stmt: Select[Any] | None = None,
        params: dict[str, Any] | None = None,
        eager: bool = True,
    ) -> None:
        self.session = session
        self._entities = entities
        self._stmt: Select[Any] = stmt if stmt is not None else Select(*entities)
        self._params: dict[str, Any] = params or {}
        self._eager = eager

    def _with(
        self, stmt: Select[Any], entities: tuple[Any, ...] | None = None, **kw: Any
    ) -> Query[_T]:
        # a copy of this query's own class (a ``query_cls`` subclass, its attributes too)
        q = object.__new__(type(self))
        q.__dict__.update(self.__dict__)
        q._entities = self._entities if entities is None else entities
        q._stmt = stmt
        q._params = kw.get("params", self._params)
        q._eager = kw.get("eager", self._eager)
        return q

    # -- columns and sources ----------------------------------------------------------
    def with_entities(self, *entities: Any) -> Query[Any]:
        """The same query selecting ``entities`` instead."""
        return self._with(self._stmt.with_only_columns(*entities), tuple(entities))

    def add_columns(self, *cols: Any) -> Query[Any]:
        """The same query selecting ``cols`` as well: rows of (entity, col, ...)."""
        return self._with(self._stmt.add_columns(*cols), (*self._entities, *cols))

    add_column = add_columns

    def add_entity(self, entity: Any) -> Query[Any]:
        """The same query selecting ``entity`` as well."""
        return self.add_columns(entity)

    def subquery(self, name: str | None = None) -> Any:
        """This query's SELECT as a named subquery (for ``select(...).select_from()``)."""
        return self._stmt.subquery(name)

    def cte(self, name: str | None = None, recursive: bool = False) -> Any:
        """This query's SELECT as a common table expression."""
        return self._stmt.cte(name, recursive=recursive)

    def _setop(self, kind: str, others: tuple[Query[Any], ...]) -> Query[_T]:
        from ..sql.selectable import CompoundSelect
        from .util import aliased

        compound = CompoundSelect(kind, self._stmt, *[o._stmt for o in others])
        sub = compound.subquery()
        ents = self._entities
        if len(ents) != 1 or not hasattr(ents[0], "__mapper__"):
            return self._with(Select(*sub.c), tuple(sub.c))
        ent = aliased(ents[0], sub)
        return self._with(Select(ent), (ent,))

    def union(self, *others: Query[Any]) -> Query[_T]:
        """``SELECT * FROM (this UNION other ...)``, giving the same kind of rows."""
        return self._setop("UNION", others)

    def union_all(self, *others: Query[Any]) -> Query[_T]:
        """As `union` with ``UNION ALL``."""
        return self._setop("UNION ALL", others)

    def intersect(self, *others: Query[Any]) -> Query[_T]:
        """As `union` with ``INTERSECT``."""
        return self._setop("INTERSECT", others)

    def except_(self, *others: Query[Any]) -> Query[_T]:
        """As `union` with ``EXCEPT``."""
        return self._setop("EXCEPT", others)

    # -- execution settings -------------------------------------------------------------
    def params(self, *args: dict[str, Any], **kw: Any) -> Query[_T]:
        """Values for the ``bindparam()`` placeholders of this query."""
        merged = dict(self._params)
        for a in args:
            merged.update(a)
        merged.update(kw)
        return self._with(self._stmt, params=merged)

    def execution_options(self, **opts: Any) -> Query[_T]:
        """The same query with execution options (``populate_existing``, ...)."""
        return self._with(self._stmt.execution_options(**opts))

    def yield_per(self, count: int) -> Query[_T]:
        """Fetch rows from the database ``count`` at a time."""
        return self.execution_options(yield_per=count)

    def enable_eagerloads(self, value: bool) -> Query[_T]:
        """With False, relationships load lazily whatever their eager settings."""
        return self._with(self._stmt, eager=bool(value))

    def slice(self, start: int, stop: int) -> Query[_T]:
        """Rows ``start`` to ``stop`` (``OFFSET start LIMIT stop - start``)."""
        q = self._with(self._stmt.offset(start) if start else self._stmt)
        return q._with(q._stmt.limit(max(stop - start, 0)))

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, slice):
            if item.step not in (None, 1):
                raise exc.ArgumentError("Query slices take no step")
            start, stop = item.start or 0, item.stop
            if start < 0 or (stop is not None and stop < 0):
                return self.all()[item]  # negative bounds: as SQLAlchemy, from the full list
            if stop is None:
                return self._with(self._stmt.offset(start)).all()
            return self.slice(start, stop).all()
        if item < 0:
            return self.all()[item]
        rows = self._with(self._stmt.offset(item) if item else self._stmt).limit(1).all()
        if not rows:
            raise IndexError(item)
        return rows[0]

    @property
    def statement(self) -> Select[Any]:
        """The `Select` this query runs (without the eager-load adjustments of
        ``enable_eagerloads(False)``), for ``session.execute(q.statement)`` or to build on."""
        return self._stmt

    def _compile_state(self) -> Any:
        """The query's entities one by one (SQLAlchemy's private ``_compile_state()``,
        which query-sorting and rendering libraries read): an
        `uow_orm.orm.context.ORMSelectCompileState`."""
        from .context import ORMSelectCompileState

        return ORMSelectCompileState(self._stmt)

    def _entity_from_pre_ent_zero(self) -> Any:
        """The mapper of the query's first entity (SQLAlchemy's private name, which
        query-building libraries call for the root class); None when it selects no
        mapped class."""
        for e in self._stmt._entities:
            m = getattr(e, "__mapper__", None)  # a class or an aliased class
            if m is None:  # a column attribute: its class's mapper
                m = getattr(getattr(e, "class_", None), "__mapper__", None)
            if m is not None:
                return m
        return None

    def filter(self, *criteria: Any) -> Query[_T]:
        """The same query with these SQL conditions added to its WHERE clause, joined by
        AND (``where`` is the same method).

        Example: ``session.query(User).filter(User.name == "ann", User.active)``.

        Raises:
            ArgumentError: for a plain string (wrap SQL text in ``text()``).
        """
        return self._with(self._stmt.where(*criteria))

    where = filter

    def filter_by(self, **kw: Any) -> Query[_T]:
        """The same query with ``attribute == value`` conditions for the keywords, on the
        attributes of the last entity joined (or the first one selected).

        Example: ``session.query(User).filter_by(name="ann")``.

        Raises:
            InvalidRequestError: for a keyword that is no attribute of that entity.
        """
        return self._with(self._stmt.filter_by(**kw))

    def order_by(self, *clauses: Any) -> Query[_T]:
        """The same query with these ORDER BY terms added (``order_by(None)`` removes the
        ordering): ``q.order_by(User.name.desc())``."""
        return self._with(self._stmt.order_by(*clauses))

    def group_by(self, *clauses: Any) -> Query[_T]:
        """The same query with these GROUP BY terms added."""
        return self._with(self._stmt.group_by(*clauses))

    def having(self, *criteria: Any) -> Query[_T]:
        """The same query with these conditions added to its HAVING clause (after
        ``group_by``), joined by AND."""
        return self._with(self._stmt.having(*criteria))

    def limit(self, n: int | None) -> Query[_T]:
        """The same query returning at most ``n`` rows (None: no limit)."""
        return self._with(self._stmt.limit(n))

    def offset(self, n: int | None) -> Query[_T]:
        """The same query skipping its first ``n`` rows (None: no offset)."""
        return self._with(self._stmt.offset(n))

    def distinct(self) -> Query[_T]:
        """The same query as ``SELECT DISTINCT``."""
        return self._with(self._stmt.distinct())

    def join(
        self, target: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Query[_T]:
        """The same query with a JOIN to ``target`` (an entity, a relationship attribute
        such as ``User.orders``, or a table), on ``onclause`` or on the foreign key between
        them; ``isouter`` / ``full`` make it a LEFT / FULL OUTER JOIN.

        Example: ``session.query(User).join(User.orders).filter(Order.total > 10)``.

        Raises:
            ArgumentError: no ``onclause`` was given and no foreign key links the two.
        """
        return self._with(self._stmt.join(target, onclause, isouter=isouter, full=full))

    def outerjoin(self, target: Any, onclause: Any = None, *, full: bool = False) -> Query[_T]:
        """As `join` with a LEFT OUTER JOIN (``full=True``: FULL OUTER JOIN)."""
        return self._with(self._stmt.outerjoin(target, onclause, full=full))

    def options(self, *opts: Any) -> Query[_T]:
        """The same query with loader options (``selectinload(User.orders)``,
        ``defer(User.bio)``, ...) added."""
        return self._with(self._stmt.options(*opts))

    def with_for_update(self, **kw: Any) -> Query[_T]:
        """The same query as ``SELECT ... FOR UPDATE`` (keywords as `Select.with_for_update`:
        ``nowait``, ``read``, ``skip_locked``, ``of``)."""
        return self._with(self._stmt.with_for_update(**kw))

    def populate_existing(self) -> Query[_T]:
        """The same query overwriting the loaded attributes of objects already in the
        session with the row's values (unflushed changes to them are lost)."""
        return self._with(self._stmt.execution_options(populate_existing=True))

    def select_from(self, *froms: Any) -> Query[_T]:
        """The same query with an explicit FROM list (tables, aliases or entities), which
        later ``join()`` calls start from."""
        return self._with(self._stmt.select_from(*froms))

    def _final(self) -> Select[Any]:
        stmt = self._stmt
        if not self._eager:
            from .strategy_options import lazyload

            lazy: list[Any] = []
            for e in self._entities:
                mapper = getattr(e, "__mapper__", None)
                if mapper is None:
                    continue
                mapper._ensure_configured()
                lazy.extend(
                    lazyload(getattr(e, p.key))
                    for p in mapper.relationships.values()
                    if p.lazy in EAGER_STRATEGIES
                )
            stmt = stmt.options(*lazy)
        return stmt

    def _result(self) -> Any:
        result = self.session.execute(self._final(), self._params or None)
        if result._require_unique:  # legacy Query de-duplicates joined eager loads itself
            result = result.unique()
        if len(self._entities) == 1 and hasattr(self._entities[0], "__mapper__"):
            return result.scalars()  # query(User) gives objects; query(User.name) gives rows
        return result

    def all(self) -> list[_T]:
        """Run the query and return every row as a list: objects for ``query(User)``,
        rows (named tuples) for several entities or columns."""
        return list(self._result().all())

    def __iter__(self) -> Iterator[_T]:
        return iter(self.all())

    def first(self) -> _T | None:
        """Run the query with ``LIMIT 1`` and return the first row, or None when there is
        none."""
        return self._with(self._stmt.limit(1))._result().first()  # type: ignore[no-any-return]

    def one(self) -> _T:
        """Run the query and return its only row.

        Raises:
            NoResultFound: no row matched.
            MultipleResultsFound: more than one row matched.
        """
        return self._result().one()  # type: ignore[no-any-return]

    def one_or_none(self) -> _T | None:
        """Run the query and return its only row, or None when none matched.

        Raises:
            MultipleResultsFound: more than one row matched.
        """
        return self._result().one_or_none()  # type: ignore[no-any-return]

    def scalar(self) -> Any:
        """Run the query and return the first column of the first row, or None when there
        is no row: ``session.query(func.count(User.id)).scalar()``."""
        return self.session.execute(self._final(), self._params or None).scalar()

    def count(self) -> int:
        """The number of rows the query returns, as ``SELECT count(*) FROM (<query>)``
        (its ORDER BY left out)."""
        sub = self._stmt.order_by(None).subquery("anon_count")
        stmt: Select[Any] = Select(func.count()).select_from(sub)
        criteria = _criteria.options_of(self._stmt)
        if criteria:  # they filter the entities of the query inside the subquery
            stmt = stmt.options(*criteria)
        if self._stmt._execution_options:  # (a do_orm_execute listener reads them)
            stmt = stmt.execution_options(**self._stmt._execution_options)
        return int(self.session.execute(stmt, self._params or None).scalar() or 0)

    def get(self, ident: Any) -> _T | None:
        """The object of the first entity with primary key ``ident`` (a value, or a tuple
        or dict for composite keys), from the identity map when it is there, else
        SELECTed; None when no such row exists (as ``Session.get``; the query's criteria
        do not apply)."""
        found: _T | None = self.session.get(self._entities[0], ident)
        return found

    def exists(self) -> Any:
        """An ``EXISTS (<query>)`` expression, for ``session.query(q.exists()).scalar()``
        or a WHERE clause."""
        return self._stmt.exists()

    def delete(self, synchronize_session: Any = "auto") -> int:
        """DELETE the rows this query matches; objects in the session are removed to match
        (``synchronize_session`` may be "auto", "evaluate", "fetch", or False to leave
        the objects as they are)."""
        from ..sql.dml import delete

        stmt = delete(self._entities[0]).where(*self._stmt._where)
        stmt = stmt.execution_options(synchronize_session=synchronize_session)
        result = self.session.execute(stmt)
        _events.fire_bulk(self.session, "after_bulk_delete", self, stmt, result)
        return result.rowcount

    def update(self, values: dict[Any, Any], synchronize_session: Any = "auto") -> int:
        """UPDATE the rows this query matches; objects in the session are updated to match
        (``synchronize_session`` may be "auto", "evaluate", "fetch", or False to leave
        the objects as they are)."""
        from ..sql.dml import update

        stmt = update(self._entities[0]).where(*self._stmt._where).values(values)
        stmt = stmt.execution_options(synchronize_session=synchronize_session)
        result = self.session.execute(stmt)
        _events.fire_bulk(self.session, "after_bulk_update", self, stmt, result)
        return result.rowcount

    def __repr__(self) -> str:
        return str(self._stmt)


__all__ = ["FromStatement", "Query"]
