"""``Session.execute()`` after its autoflush: each kind of statement to the layer that runs it.

Called by: session (``execute``, hence ``scalars`` / ``scalar``), session_events
(``do_orm_execute``'s bind mapper), ext.horizontal_shard (``first_mapper``). ORM SELECTs go to
`.loading`, ORM INSERT / UPDATE / DELETE to `.bulk`, anything else to the connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql.dml import DMLStatement
from ..sql.selectable import Select
from . import loading

if TYPE_CHECKING:
    from ..engine.result import Result
    from .mapper import Mapper
    from .seams import InternalSession


def run_statement(session: InternalSession, statement: Any, params: Any) -> Result:
    """Run ``statement`` in ``session``'s transaction (begun and autoflushed already)."""
    router = session.router
    if isinstance(statement, Select):
        if router is not None and statement._for_update is not None:
            router.writing("SELECT ... FOR UPDATE")
        mapper = first_mapper(statement._entities)
        conn = session.connection_for_bind(
            session.get_bind(mapper.class_ if mapper else None, clause=None)
        )
        return loading.execute_select(session, statement, params, conn)
    if isinstance(statement, DMLStatement):
        if router is not None:
            router.writing(type(statement).__name__.upper())
        t = session.transactions.current
        if t is not None and t.nested:
            t.record.bulk_dml = True  # rows change behind the savepoint's snapshots
        from .bulk import execute_dml

        return execute_dml(session, statement, params)
    conn = session.connection_for_bind(session.get_bind())
    return conn.execute(statement, params)


def with_execution_options(
    statement: Any,
    execution_options: Mapping[str, Any] | None,
    bind_arguments: Mapping[str, Any] | None,
) -> Any:
    """``statement`` with ``execution_options`` added to its own.

    Raises:
        ArgumentError: for ``bind_arguments`` (not supported yet), for options on a
            statement that takes none, and for a plain string.
    """
    if bind_arguments:
        raise exc.ArgumentError(
            "Session.execute(bind_arguments=...) is not supported yet; bind classes or "
            "tables with Session(binds={...}), bind_mapper() or bind_table()"
        )
    if execution_options:
        with_options = getattr(statement, "execution_options", None)
        if with_options is None:
            raise exc.ArgumentError(
                f"execution_options cannot be applied to {type(statement).__name__}"
            )
        statement = with_options(**execution_options)
    return statement


def wants_autoflush(statement: Any, execution_options: Mapping[str, Any] | None) -> bool:
    """False when ``autoflush=False`` is among the given or the statement's options.

    Raises:
        ArgumentError: ``statement`` is a plain string.
    """
    autoflush = not execution_options or execution_options.get("autoflush", True)
    if autoflush:
        options = getattr(statement, "_execution_options", None)
        autoflush = not options or options.get("autoflush", True)
    if isinstance(statement, str):
        raise exc.ArgumentError("a plain string is not an executable statement; wrap it in text()")
    return bool(autoflush)


def first_mapper(entities: Sequence[Any]) -> Mapper | None:
    """The mapper of the first entity (a class, or an attribute such as ``User.name``)."""
    for e in entities:
        m = getattr(e, "__mapper__", None)
        if m is not None and isinstance(e, type):
            return m  # type: ignore[no-any-return]
        mapper = getattr(e, "mapper", None)  # an attribute such as User.name
        if mapper is not None and hasattr(mapper, "class_"):
            return mapper  # type: ignore[no-any-return]
    return None


__all__ = ["first_mapper", "run_statement", "wants_autoflush", "with_execution_options"]
