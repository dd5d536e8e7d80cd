"""``Session.merge()``: copy a detached or transient object's state onto the session's own.

Called by: session (``merge``; then recursively along the relationships with cascade
``merge``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from .base import STATE_ATTR
from .lifecycle import state_or_raise

if TYPE_CHECKING:
    from .mapper import Mapper
    from .seams import InternalSession
    from .state import InstanceState


def merge(session: InternalSession, obj: Any, load: bool, memo: dict[int, Any]) -> Any:
    """The session's object with ``obj``'s identity, given ``obj``'s values (``memo``:
    id of each object merged so far -> its result, so that cycles end)."""
    st = state_or_raise(obj)
    if id(obj) in memo:
        return memo[id(obj)]
    if st.session is session:
        memo[id(obj)] = obj
        return obj
    mapper = st.mapper
    mapper.ensure_configured()
    session.transactions.autobegin()
    d = obj.__dict__
    pk_vals = tuple(d.get(k) for k in mapper.pk_keys)
    if st.key is not None and any(v is None for v in pk_vals):
        pk_vals = st.key[1]
    merged = None
    key = None
    if all(v is not None for v in pk_vals):
        token = st.key[2] if st.key is not None else None  # the shard of a sharded row
        key = mapper.identity_key_from_pk(pk_vals, token)
        merged = session.identity_map.get_obj(key)
        if merged is None and load:
            if token is None:
                merged = session.get(mapper.class_, pk_vals)
            else:
                merged = session.get(mapper.class_, pk_vals, identity_token=token)
    if merged is None:
        merged = mapper.class_.__new__(mapper.class_)  # type: ignore[call-overload]
        memo[id(obj)] = merged
        if load or key is None:
            for k in mapper.column_keys:
                if k in d:
                    setattr(merged, k, d[k])
            session.add(merged)
        else:
            _attach_unloaded(session, st, mapper, merged, key)
    else:
        memo[id(obj)] = merged
        _copy_onto(session, mapper, d, merged, load)
    _merge_relationships(session, mapper, d, merged, load, memo)
    return merged


def _attach_unloaded(
    session: InternalSession, st: InstanceState, mapper: Mapper, merged: Any, key: Any
) -> None:
    """``merge(load=False)`` of an object not in the session: a persistent copy, no SQL.

    Raises:
        InvalidRequestError: the object has unflushed changes.
    """
    if st.modified:
        raise exc.InvalidRequestError(
            "merge(load=False) needs an unmodified object; it has pending changes"
        )
    d = st().__dict__
    md = merged.__dict__
    for k in mapper.column_keys:
        if k in d:
            md[k] = d[k]
    mst: InstanceState = md[STATE_ATTR]
    mst.key = key
    mst.session = session
    session.identity_map.add(mst, merged)
    session.transactions.note_touched(mst)


def _copy_onto(
    session: InternalSession, mapper: Mapper, d: dict[str, Any], merged: Any, load: bool
) -> None:
    """Copy column values onto the session's object (merging onto an object marked for
    deletion cancels the deletion, as add() does)."""
    session.tracker.unmark_deleted(merged.__dict__[STATE_ATTR])
    md = merged.__dict__
    for k in mapper.column_keys:
        if k in d and (k not in md or md[k] != d[k]):
            if load:
                setattr(merged, k, d[k])
            else:
                md[k] = d[k]


def _merge_relationships(
    session: InternalSession,
    mapper: Mapper,
    d: dict[str, Any],
    merged: Any,
    load: bool,
    memo: dict[int, Any],
) -> None:
    for prop in mapper.relationships.values():
        if "merge" not in prop.cascade or prop.key not in d:
            continue
        value = d[prop.key]
        if prop.uselist:
            items = [merge(session, v, load, memo) for v in (value or [])]
            setattr(merged, prop.key, items)
        else:
            setattr(
                merged,
                prop.key,
                merge(session, value, load, memo) if value is not None else None,
            )


def merge_frozen_result(session: Any, statement: Any, frozen_result: Any, load: bool = True) -> Any:
    """A `FrozenResult` like ``frozen_result`` whose mapped objects are ``session``'s own
    (each ``session.merge(obj, load=load)``, autoflush off), SQLAlchemy's
    ``merge_frozen_result`` of the result-caching recipe. ``statement`` is the statement
    the rows came from (accepted for SQLAlchemy's signature; the rows say enough).

    Raises:
        ArgumentError: ``frozen_result`` is not a `FrozenResult`.
    """
    from ..engine.result import FrozenResult, Result
    from .base import state_of

    if not isinstance(frozen_result, FrozenResult):
        raise exc.ArgumentError(
            f"merge_frozen_result() takes a FrozenResult (Result.freeze()), not "
            f"{type(frozen_result).__name__}"
        )
    del statement
    with session.no_autoflush:
        rows = [
            tuple(session.merge(v, load=load) if state_of(v) is not None else v for v in row)
            for row in frozen_result.data
        ]
    return FrozenResult(Result(frozen_result.keys, rows, rowcount=frozen_result.rowcount))


__all__ = ["merge", "merge_frozen_result"]
