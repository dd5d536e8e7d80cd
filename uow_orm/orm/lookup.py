"""``Session.get()`` by primary key: identity normalization and the cached one-row SELECT.

Called by: session (``get``), bulk (``mapper_of_class``), the package ``__init__``
(``identity_key()``), ext.horizontal_shard (``get`` in each shard).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import exc
from ..sql.elements import BindParameter
from ..sql.selectable import Select
from ..types import _BadValue
from . import events as _events
from . import loading
from .base import EAGER_STRATEGIES

if TYPE_CHECKING:
    from .mapper import Mapper
    from .seams import InternalSession


def mapper_of_class(cls: Any) -> Mapper:
    """The mapper of a mapped class.

    Raises:
        UnmappedClassError: ``cls`` is not a mapped class.
    """
    mapper = getattr(cls, "__mapper__", None) if isinstance(cls, type) else None
    if mapper is None:
        raise exc.UnmappedClassError(
            f"{cls!r} is not a mapped class; map it by subclassing a declarative base "
            "and giving it a __tablename__"
        )
    return mapper  # type: ignore[no-any-return]


class GetPlan(NamedTuple):
    """The cached SELECT of one mapper's row by primary key, for one dialect."""

    sql: str
    procs: list[Callable[[Any], Any] | None]
    builder: Callable[[Sequence[Any]], Any]
    # a column_property may carry its own bound values: then bind by name
    compiled: Any
    #: events.state.generation when built: listeners added later need a new builder
    generation: int


def get(
    session: InternalSession,
    plans: dict[Any, GetPlan],
    entity: type,
    ident: Any,
    populate_existing: bool = False,
    with_for_update: Any = None,
    options: Any = None,
) -> Any:
    """``Session.get()``: the object with this primary key, from the identity map (no
    SQL) or the database (``plans``: the session's cache of `get_by_pk`)."""
    mapper = getattr(entity, "__mapper__", None) if isinstance(entity, type) else None
    if mapper is None:
        mapper = mapper_of_class(entity)  # raises
    if ident.__class__ is int and len(mapper.pk_keys) == 1:
        pk: tuple[Any, ...] = (ident,)  # get(User, 5): `normalize_pk`'s answer
    else:
        pk = normalize_pk(mapper, ident)
    # = mapper.identity_key_from_pk(pk, token), written out (once per get)
    key = (mapper._identity_class, pk, session._identity_token)
    st = session.identity_map.state_for(key)
    if with_for_update and session.router is not None:
        session.router.writing("get(with_for_update=...)")
    if st is not None and not populate_existing and not with_for_update:
        obj = st()
        if obj is not None:
            if st.deleted or st in session.tracker.deleted:
                return None
            if st.mapper is not mapper and not st.mapper.isa(mapper):
                return None  # get(Manager, 5) of the Engineer with identity 5
            d = obj.__dict__
            if all(k in d for k in st.mapper.column_keys):
                return obj
            try:
                session.load_unloaded(st, None)
            except exc.ObjectDeletedError:
                return None
            return obj
    session.transactions.ready()
    session.autoflush_for_load()
    if (
        not (populate_existing or with_for_update or options)
        and mapper._query_pk is None
        and not _has_eager(mapper)
        and not session.dispatch.do_orm_execute  # (listeners see get()'s SELECT)
    ):
        return get_by_pk(session, plans, mapper, pk)
    return _get_by_select(session, mapper, entity, pk, populate_existing, with_for_update, options)


def _get_by_select(
    session: InternalSession,
    mapper: Mapper,
    entity: type,
    pk: tuple[Any, ...],
    populate_existing: bool,
    with_for_update: Any,
    options: Any,
) -> Any:
    """``get()`` through a full entity SELECT: loader options, ``populate_existing``,
    ``with_for_update``, eager relationships or a `ConcreteBase` union (the uncached path)."""
    pk_cols = mapper._query_pk or mapper.pk_columns  # (a ConcreteBase class: its union's)
    stmt: Select[Any] = Select(entity).where(*[c == v for c, v in zip(pk_cols, pk)])
    if with_for_update:
        stmt = stmt.with_for_update(
            **(with_for_update if isinstance(with_for_update, dict) else {})
        )
    if populate_existing:
        stmt = stmt.execution_options(populate_existing=True)
    if options:
        stmt = stmt.options(*(options if isinstance(options, (list, tuple)) else [options]))
    if session.dispatch.do_orm_execute:
        result = session.execute(stmt)  # through the listeners, as SQLAlchemy's get()
    else:
        result = loading.execute_select(session, stmt, None, session.connection_for_mapper(mapper))
    if getattr(result, "_require_unique", False):  # a joined collection repeats the row
        result = result.unique()
    rows = result.tuples()
    if mapper._query_pk is not None:  # a ConcreteBase union: the key may repeat (as SA)
        found = list(rows)
        if len(found) > 1:
            raise exc.MultipleResultsFound(
                f"get({mapper.class_.__name__}, {pk}): {len(found)} rows of the polymorphic "
                "union have this key (concrete tables share key values); get() the subclass"
            )
        return found[0][0] if found else None
    for row in rows:
        return row[0]
    return None


def get_by_pk(
    session: InternalSession, plans: dict[Any, GetPlan], mapper: Mapper, pk: tuple[Any, ...]
) -> Any:
    """SELECT one row by primary key with SQL and a row builder cached per mapper
    (``plans`` is the session's cache)."""
    conn = session.connection_for_mapper(mapper)
    dialect = conn.dialect
    token = session._identity_token  # a shard's builder keys its rows with the shard id
    key = dialect.cache_key
    cache_key: Any = (mapper, key) if token is None else (mapper, key, token)
    entry = plans.get(cache_key)
    if entry is None or entry.generation != _events.state.generation:
        stmt: Select[Any] = Select(mapper.class_).where(
            *[c == BindParameter(c.key, None, c.type) for c in mapper.pk_columns]
        )
        compiled = stmt.compile(dialect)
        procs = [c.type._bind(dialect.name) for c in mapper.pk_columns]
        builder = loading.instance_builder(session, mapper, 0, dialect.name)
        extra = compiled if len(compiled.binds) != len(mapper.pk_columns) else None
        entry = GetPlan(compiled.sql, procs, builder, extra, _events.state.generation)
        plans[cache_key] = entry
    sql, procs, builder, extra, _gen = entry
    try:
        if extra is None and len(procs) == 1:  # a one-column key (the usual case)
            v, p = pk[0], procs[0]
            params: tuple[Any, ...] = (v if p is None or v is None else p(v),)
        elif extra is not None:
            params = extra.construct_params({c.key: v for c, v in zip(mapper.pk_columns, pk)})
        else:
            params = tuple(v if p is None or v is None else p(v) for p, v in zip(procs, pk))
    except _BadValue as e:
        bad = next(i for i, (p, v) in enumerate(zip(procs, pk)) if not _binds(p, v))
        raise _bad_key(mapper, bad, e) from None
    row = conn._run(sql, params).fetchone()
    return builder(row) if row is not None else None


def _has_eager(mapper: Mapper) -> bool:
    """Whether ``mapper`` has a relationship loaded with its objects (selectin, joined)."""
    # dict.values(): Properties.values() builds a list (SQLAlchemy's API); hot loop
    for p in dict.values(mapper.relationships):  # noqa: SIM110 - a loop: no generator per get()
        if p.lazy in EAGER_STRATEGIES:
            return True
    return False


def normalize_pk(mapper: Mapper, ident: Any) -> tuple[Any, ...]:
    """``ident``, as get() takes it, as a tuple of primary-key values.

    Raises:
        InvalidRequestError: a value is missing or the count is wrong.
        ColumnValueError: a string does not convert to the key column's type.
    """
    cls = ident.__class__
    if cls is int or cls is str:  # get(User, 5): the usual case, without the ABC check
        pk: tuple[Any, ...] = (ident,)
    elif isinstance(ident, Mapping):
        try:
            pk = tuple(ident[k] for k in mapper.pk_keys)
        except KeyError as e:
            raise exc.InvalidRequestError(
                f"get(): missing primary key value {e.args[0]!r} for {mapper.class_.__name__}"
            ) from None
    elif isinstance(ident, (tuple, list)):
        pk = tuple(ident)
    else:
        pk = (ident,)
    if len(pk) != len(mapper.pk_keys):
        raise exc.InvalidRequestError(
            f"{mapper.class_.__name__} has a primary key of {len(mapper.pk_keys)} column(s) "
            f"({', '.join(mapper.pk_keys)}); get() was given {len(pk)} value(s)"
        )
    for v in pk:
        if type(v) is str:
            # "5" for an Integer key is converted (SQLAlchemy's database would compare it
            # as 5), so that the identity map finds the object too.
            return tuple(_convert_key(mapper, i, v) for i, v in enumerate(pk))
    return pk


def _convert_key(mapper: Mapper, i: int, value: Any) -> Any:
    col = mapper.pk_columns[i]
    try:
        return col.type._coerce_identity(value)
    except _BadValue as e:
        raise _bad_key(mapper, i, e) from None


def _bad_key(mapper: Mapper, i: int, err: Exception) -> exc.ColumnValueError:
    col = mapper.pk_columns[i]
    return exc.ColumnValueError(
        f"get(): bad primary key value for {mapper.class_.__name__}.{mapper.pk_keys[i]} "
        f"({col.type!r} column {col.table.name}.{col.name}): {err}"
    )


def _binds(proc: Any, value: Any) -> bool:
    try:
        if proc is not None and value is not None:
            proc(value)
    except _BadValue:
        return False
    return True


__all__ = ["GetPlan", "get", "get_by_pk", "mapper_of_class", "normalize_pk"]
