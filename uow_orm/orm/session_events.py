"""Session-level event machinery: what ORM ``event.listen`` targets resolve to, the
per-class session dispatchers, and ``do_orm_execute`` (`ORMExecuteState`).

Above `uow_orm.orm.events` (the dispatchers and ``fire_*`` helpers the lower layers call),
because resolving a target means knowing ``Session``, ``sessionmaker`` and
``scoped_session``. Importing this module registers the resolver with `uow_orm.event`.

Called by: uow_orm.orm (package), session, ext.horizontal_shard.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import exc
from ..event import Dispatcher, EventHost, register_resolver
from ..sql.dml import Delete, Insert, Update
from ..sql.selectable import CompoundSelect, FromStatement, Select
from .attributes import QueryableAttribute
from .events import (
    CLASS_SIGNATURES,
    SESSION_SIGNATURES,
    AttributeDispatch,
    SessionDispatch,
    _AttributeHost,
    _ClassHost,
)
from .execution import first_mapper
from .mapper import Mapper
from .strategy_options import UserDefinedOption

if TYPE_CHECKING:
    from .session import Session
    from .state import InstanceState


_class_dispatchers: weakref.WeakKeyDictionary[type, Dispatcher] = weakref.WeakKeyDictionary()


def session_class_dispatch(cls: type) -> Dispatcher:
    """The class-level dispatcher of ``Session`` or a subclass (parent: its base's)."""
    found = _class_dispatchers.get(cls)
    if found is not None:
        return found
    from .session import Session

    parents = []
    if cls is not Session:
        base = next(b for b in cls.__mro__[1:] if issubclass(b, Session))
        parents.append(session_class_dispatch(base))
    d = SessionDispatch(f"class {cls.__name__}", parents)
    _class_dispatchers[cls] = d
    return d


def session_dispatch(session: Session) -> Dispatcher:
    """A new session's dispatcher: class-level listeners first, then its own."""
    return SessionDispatch("Session", [session_class_dispatch(type(session))])


# -- target resolution --------------------------------------------------------------------------
class _ForwardHost:
    """A target that stands for another's dispatcher (a scoped_session: its factory)."""

    def __init__(self, dispatch: Dispatcher) -> None:
        self.d = dispatch

    def _listen(self, identifier: str, fn: Callable[..., Any], flags: dict[str, Any]) -> None:
        self.d._listen(identifier, fn, flags)

    def _remove(self, identifier: str, fn: Callable[..., Any]) -> None:
        self.d._remove(identifier, fn)

    def _contains(self, identifier: str, fn: Callable[..., Any]) -> bool:
        return self.d._contains(identifier, fn)


def _resolve(target: Any, identifier: str) -> EventHost | None:
    from .factory import sessionmaker
    from .scoping import scoped_session
    from .session import Session

    if isinstance(target, type):
        if issubclass(target, Session):
            return session_class_dispatch(target)
        if target is Mapper:
            return _ClassHost(None, "Mapper")
        if identifier in SESSION_SIGNATURES and identifier not in CLASS_SIGNATURES:
            return None
        if identifier in CLASS_SIGNATURES or identifier in AttributeDispatch.signatures:
            # a mapped class, or a base / mixin whose subclasses get mapped (propagate=True)
            return _ClassHost(target, f"class {target.__name__}")
        return None
    if isinstance(target, Mapper):
        return _ClassHost(target.class_, f"Mapper[{target.class_.__name__}]")
    if isinstance(target, QueryableAttribute):
        return _AttributeHost(target.class_, target.key)
    if isinstance(getattr(target, "parent", None), Mapper) and isinstance(
        getattr(target, "key", None), str
    ):
        # a MapperProperty (mapper.column_attrs / .relationships entries): its attribute
        return _AttributeHost(target.parent.class_, target.key)
    if isinstance(target, sessionmaker):
        return target.dispatch
    if isinstance(target, scoped_session):
        factory = target.session_factory
        if not isinstance(factory, sessionmaker):
            raise exc.ArgumentError(
                "listen on a scoped_session needs one made from a sessionmaker; listen on "
                "its session class instead"
            )
        return _ForwardHost(factory.dispatch)
    return None


register_resolver(_resolve)


class LoadOptions:
    """``ORMExecuteState.load_options``: the ORM options of a SELECT, read-only."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._populate_existing = bool(options.get("populate_existing", False))
        self._autoflush = bool(options.get("autoflush", True))
        self._yield_per = options.get("yield_per")

    def __repr__(self) -> str:
        return f"<LoadOptions populate_existing={self._populate_existing}>"


class ORMExecuteState:
    """What a ``do_orm_execute`` listener receives for one ``Session.execute()`` call.

    A listener may replace ``statement`` (e.g. add ``with_loader_criteria`` options), add
    execution options with `update_execution_options`, or return a Result (typically
    built with `invoke_statement`) that the session returns instead of running the
    statement itself: the result-caching recipe.
    """

    def __init__(
        self,
        session: Session,
        statement: Any,
        parameters: Any,
        execution_options: dict[str, Any],
        bind_arguments: dict[str, Any],
        listeners: tuple[Callable[..., Any], ...],
    ) -> None:
        self.session = session
        self.statement = statement
        self.parameters = parameters
        self.local_execution_options = dict(execution_options)
        self.bind_arguments = bind_arguments
        self._listeners = listeners
        self._next = 0
        #: a relationship load the ORM runs itself (lazy, selectin, subquery, immediate)
        self.is_relationship_load = False
        #: a load of an object's expired or deferred columns (``refresh()`` too)
        self.is_column_load = False
        #: the object whose lazy load this is (None for the other relationship loads)
        self.lazy_loaded_from: InstanceState | None = None
        self.loader_strategy_path = None
        #: how a load the ORM runs itself executes its statement, with the listeners'
        #: execution options applied (None: Session.execute)
        self._runner: Callable[[Any], Any] | None = None

    def __repr__(self) -> str:
        return f"<ORMExecuteState {type(self.statement).__name__}>"

    # -- what the statement is -------------------------------------------------------------
    def _kind(self) -> str:
        st = self.statement
        if isinstance(st, (Select, FromStatement, CompoundSelect)):
            return "select"
        if isinstance(st, Insert):
            return "insert"
        if isinstance(st, Update):
            return "update"
        if isinstance(st, Delete):
            return "delete"
        return "other"

    @property
    def is_select(self) -> bool:
        """True for a SELECT (``select()``, ``from_statement``, ``union``)."""
        return self._kind() == "select"

    @property
    def is_insert(self) -> bool:
        """True for an ``insert()``."""
        return self._kind() == "insert"

    @property
    def is_update(self) -> bool:
        """True for an ``update()``."""
        return self._kind() == "update"

    @property
    def is_delete(self) -> bool:
        """True for a ``delete()``."""
        return self._kind() == "delete"

    @property
    def is_dml(self) -> bool:
        """True for INSERT, UPDATE or DELETE."""
        return self._kind() in ("insert", "update", "delete")

    @property
    def is_from_statement(self) -> bool:
        """True for ``select(User).from_statement(...)``."""
        return isinstance(self.statement, FromStatement)

    @property
    def is_executemany(self) -> bool:
        """True when ``parameters`` is a list of parameter sets."""
        return isinstance(self.parameters, list) and len(self.parameters) > 1

    @property
    def all_mappers(self) -> list[Mapper]:
        """The mappers of the classes the statement selects or changes."""
        out: list[Mapper] = []
        st = self.statement
        ents = list(getattr(st, "_entities", ()) or ())
        entity = getattr(st, "entity", None)  # update(User) / delete(User) / insert(User)
        if entity is not None:
            ents.append(entity)
        for e in ents:
            m = getattr(e, "__mapper__", None)
            if m is None:
                m = getattr(getattr(e, "class_", None), "__mapper__", None)
            if m is not None and m not in out:
                out.append(m)
        if not out and self.bind_arguments.get("mapper") is not None:  # a column load
            out.append(self.bind_arguments["mapper"])
        return out

    @property
    def bind_mapper(self) -> Mapper | None:
        """The first mapper of the statement (the one that chooses the bind)."""
        ms = self.all_mappers
        return ms[0] if ms else None

    @property
    def is_orm_statement(self) -> bool:
        """True when the statement involves mapped classes."""
        return bool(self.all_mappers)

    @property
    def execution_options(self) -> dict[str, Any]:
        """The statement's execution options merged with the ones given to execute()."""
        own: dict[str, Any] = dict(getattr(self.statement, "_execution_options", None) or {})
        own.update(self.local_execution_options)
        return own

    @property
    def load_options(self) -> LoadOptions:
        """The ORM loading options (``populate_existing``, ``autoflush``...)."""
        return LoadOptions(self.execution_options)

    @property
    def user_defined_options(self) -> list[Any]:
        """The statement's `UserDefinedOption` options (an application's own option
        objects, as SQLAlchemy's caching recipe uses)."""
        opts = getattr(self.statement, "_options", None) or []
        return [o for o in opts if isinstance(o, UserDefinedOption)]

    # -- changing and running it --------------------------------------------------------------
    def update_execution_options(self, **opts: Any) -> None:
        """Add execution options for this execution (``local_execution_options``)."""
        self.local_execution_options.update(opts)

    def invoke_statement(
        self,
        statement: Any = None,
        params: Any = None,
        execution_options: dict[str, Any] | None = None,
        bind_arguments: dict[str, Any] | None = None,
    ) -> Any:
        """Run the statement now (the listeners after this one still see it) and return
        its Result; the current listener may then return it, or a copy of it."""
        if bind_arguments:
            raise exc.ArgumentError(
                "invoke_statement(bind_arguments=...) is not supported; bind classes with "
                "Session(binds=...)"
            )
        nxt = ORMExecuteState(
            self.session,
            statement if statement is not None else self.statement,
            params if params is not None else self.parameters,
            {**self.local_execution_options, **(execution_options or {})},
            dict(self.bind_arguments),
            self._listeners,
        )
        nxt._next = self._next
        nxt.is_relationship_load = self.is_relationship_load
        nxt.is_column_load = self.is_column_load
        nxt.lazy_loaded_from = self.lazy_loaded_from
        nxt._runner = self._runner
        return nxt._run()

    def _run(self) -> Any:
        listeners = self._listeners
        while self._next < len(listeners):
            fn = listeners[self._next]
            self._next += 1
            out = fn(self)
            if out is not None:
                return out
        session = self.session
        if self._runner is not None:  # a load the ORM runs itself: not Session.execute
            statement, options = self.statement, self.local_execution_options
            return self._runner(statement.execution_options(**options) if options else statement)
        # Session.execute runs the statement without the listeners again (it clears the
        # flag on entry, so loads nested in this execution see the listeners: selectin)
        session._orm_execute_running = True
        try:
            return session.execute(
                self.statement,
                self.parameters,
                execution_options=self.local_execution_options or None,
            )
        finally:
            session._orm_execute_running = False


def orm_execute(session: Session, statement: Any, params: Any, execution_options: Any) -> Any:
    """Run ``Session.execute`` through the ``do_orm_execute`` listeners."""
    entities = list(getattr(statement, "_entities", ()) or ())
    if getattr(statement, "entity", None) is not None:
        entities.append(statement.entity)
    mapper = first_mapper(entities)
    bind_arguments: dict[str, Any] = {"clause": statement}
    if mapper is not None:
        bind_arguments["mapper"] = mapper
    state_ = ORMExecuteState(
        session,
        statement,
        params,
        dict(execution_options or {}),
        bind_arguments,
        session.dispatch.__dict__.get("do_orm_execute", ()),
    )
    return state_._run()


def relationship_load(
    session: Session,
    statement: Any,
    lazy_loaded_from: InstanceState | None,
    run: Callable[[Any], Any],
    column_load: bool = False,
    mapper: Mapper | None = None,
) -> Any:
    """Run a relationship load's SELECT (lazy, selectin, subquery, immediate) or, with
    ``column_load``, the SELECT of an object's unloaded columns, through the
    ``do_orm_execute`` listeners, as SQLAlchemy does: they see ``is_relationship_load`` /
    ``is_column_load`` (and ``lazy_loaded_from`` for a lazy load), may change the
    statement or return a Result; ``run(statement)`` executes what they leave (the
    execution options they added are on it)."""
    mapper = mapper or first_mapper(list(getattr(statement, "_entities", ()) or ()))
    bind_arguments: dict[str, Any] = {"clause": statement}
    if mapper is not None:
        bind_arguments["mapper"] = mapper
    state_ = ORMExecuteState(
        session, statement, None, {}, bind_arguments,
        session.dispatch.__dict__.get("do_orm_execute", ()),
    )  # fmt: skip
    state_.is_relationship_load = not column_load
    state_.is_column_load = column_load
    state_.lazy_loaded_from = lazy_loaded_from
    state_._runner = run
    return state_._run()


__all__ = ["LoadOptions", "ORMExecuteState", "relationship_load"]
