"""Horizontal sharding: one Session over several databases ("shards") holding rows of the
same tables, as SQLAlchemy's ``sqlalchemy.ext.horizontal_shard``.

Called by applications (``sessionmaker(class_=ShardedSession, shards={...})``). Works
through the Session's shard seams: ``_identity_token`` (the shard being read or written,
which loading puts into identity keys), ``_flush_groups`` (one flush per shard),
``in_shard_of`` (lazy and column loads read their object's shard) and ``get_bind``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from .. import exc
from ..orm import lookup
from ..orm.base import state_of
from ..orm.execution import first_mapper
from ..orm.query import Query
from ..orm.session import Session
from ..orm.session_events import ORMExecuteState
from ..sql.elements import ExecutableOption
from ..sql.selectable import select

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from ..engine.base import Connection, Engine
    from ..engine.result import Result
    from ..orm.mapper import Mapper
    from ..orm.state import InstanceState
    from ..sql.selectable import Select

_T = TypeVar("_T")

#: a shard's name, as the keys of ``shards={...}``
ShardIdentifier = str
#: ``shard_chooser(mapper, instance, clause=None)``: the shard an object is written to
ShardChooser = Callable[..., Any]
#: ``identity_chooser(mapper, primary_key, *, lazy_loaded_from, execution_options,
#: bind_arguments, **kw)``: the shards whose identity maps may hold that primary key
IdentityChooser = Callable[..., Iterable[Any]]
#: ``execute_chooser(orm_execute_state)``: the shards a statement runs on
ExecuteChooser = Callable[[ORMExecuteState], Iterable[Any]]

#: execution options that name one shard (``_sa_shard_id`` is what ShardedQuery.set_shard
#: sets, as in SQLAlchemy; ``shard_id`` is uow_orm's readable spelling)
_SHARD_OPTIONS = ("_sa_shard_id", "shard_id", "identity_token")


class set_shard_id(ExecutableOption):
    """Statement option: run the statement on one shard only, and (as every load of the
    objects it returns reads their own shard anyway) its eager and lazy loads too.

    ``select(User).options(set_shard_id("eu"))``. ``propagate_to_loaders`` is accepted for
    SQLAlchemy compatibility; loads of an object always use the shard of its row.
    """

    __slots__ = ("propagate_to_loaders", "shard_id")

    def __init__(self, shard_id: ShardIdentifier, propagate_to_loaders: bool = True) -> None:
        self.shard_id = shard_id
        self.propagate_to_loaders = propagate_to_loaders

    def __repr__(self) -> str:
        return f"set_shard_id({self.shard_id!r})"


class ShardedQuery(Query[_T]):
    """The legacy ``Query`` of a `ShardedSession`; `set_shard` limits it to one shard."""

    def _with(
        self, stmt: Select[Any], entities: tuple[Any, ...] | None = None, **kw: Any
    ) -> Query[_T]:
        return type(self)(
            self.session,
            self._entities if entities is None else entities,
            stmt,
            kw.get("params", self._params),
            kw.get("eager", self._eager),
        )

    def set_shard(self, shard_id: ShardIdentifier) -> ShardedQuery[_T]:
        """The same query, run only on ``shard_id`` (also ``bind_arguments={"shard_id":
        ...}`` of ``Session.execute`` in 2.0 style)."""
        return self.execution_options(_sa_shard_id=shard_id)  # type: ignore[return-value]


class ShardedSession(Session):
    """A Session whose objects live in several databases (shards) of the same schema.

    Args:
        shard_chooser: ``(mapper, instance, clause=None) -> shard id``: where a new object
            is inserted (called once per object, at its first flush; the answer is kept
            as the object's ``inspect(obj).identity_token``).
        identity_chooser: ``(mapper, primary_key, *, lazy_loaded_from,
            execution_options, bind_arguments, **kw) -> shard ids`` whose identity maps
            ``get()`` searches for a primary key (``id_chooser(query, ident)``, the older
            form, is accepted with a DeprecationWarning).
        execute_chooser: ``(orm_execute_state) -> shard ids`` a statement runs on; the
            rows of all of them are returned together (``query_chooser(statement)``, the
            older form, is accepted with a DeprecationWarning).
        shards: ``{shard id: Engine}``; more with `bind_shard`.
        query_cls: the class of ``session.query()`` (a `ShardedQuery` subclass).
        **kwargs: the other `Session` arguments (``bind``/``binds`` are refused: the
            shards are the binds).

    Raises:
        ArgumentError: a chooser missing, both forms of one given, a ``query_cls`` that
            is not a ShardedQuery, or ``bind`` / ``binds`` / ``replicas`` given.
    """

    def __init__(
        self,
        shard_chooser: ShardChooser,
        identity_chooser: IdentityChooser | None = None,
        execute_chooser: ExecuteChooser | None = None,
        shards: Mapping[ShardIdentifier, Engine] | None = None,
        query_cls: type[Query[Any]] = ShardedQuery,
        *,
        id_chooser: Callable[[Query[Any], Any], Iterable[Any]] | None = None,
        query_chooser: Callable[[Any], Iterable[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        for name in ("bind", "binds", "replicas"):
            if kwargs.get(name) is not None:
                raise exc.ArgumentError(f"ShardedSession takes shards={{id: engine}}, not {name}=")
            kwargs.pop(name, None)
        super().__init__(**kwargs)
        if not (isinstance(query_cls, type) and issubclass(query_cls, ShardedQuery)):
            raise exc.ArgumentError(
                f"ShardedSession(query_cls=...) must be a ShardedQuery subclass, got {query_cls!r}"
            )
        self._query_cls = query_cls
        if shard_chooser is None or not callable(shard_chooser):
            raise exc.ArgumentError("ShardedSession needs a callable shard_chooser")
        self.shard_chooser = shard_chooser
        self.identity_chooser = self._identity_chooser_of(identity_chooser, id_chooser)
        self.execute_chooser = self._execute_chooser_of(execute_chooser, query_chooser)
        self._shards: dict[Any, Engine] = {}
        #: shards chosen for pending objects (their keys carry the shard once inserted)
        self._pending_identity_tokens: dict[InstanceState, Any] = {}
        for shard_id, engine in (shards or {}).items():
            self.bind_shard(shard_id, engine)

    def _identity_chooser_of(
        self, identity_chooser: IdentityChooser | None, id_chooser: Any
    ) -> IdentityChooser:
        if identity_chooser is not None and id_chooser is not None:
            raise exc.ArgumentError("Can't pass id_chooser and identity_chooser at the same time")
        if identity_chooser is not None:
            return identity_chooser
        if id_chooser is None:
            raise exc.ArgumentError("identity_chooser or id_chooser is required")
        warnings.warn(
            "The ``id_chooser`` parameter is deprecated; please use ``identity_chooser``.",
            DeprecationWarning,
            stacklevel=4,
        )
        legacy = id_chooser

        def from_id_chooser(mapper: Mapper, primary_key: Any, **kw: Any) -> Iterable[Any]:
            return legacy(self.query(mapper.class_), primary_key)  # type: ignore[no-any-return]

        return from_id_chooser

    @staticmethod
    def _execute_chooser_of(
        execute_chooser: ExecuteChooser | None, query_chooser: Any
    ) -> ExecuteChooser:
        if execute_chooser is not None and query_chooser is not None:
            raise exc.ArgumentError(
                "Can't pass query_chooser and execute_chooser at the same time."
            )
        if execute_chooser is not None:
            return execute_chooser
        if query_chooser is None:
            raise exc.ArgumentError("execute_chooser or query_chooser is required")
        warnings.warn(
            "The ``query_chooser`` parameter is deprecated; please use ``execute_chooser``.",
            DeprecationWarning,
            stacklevel=4,
        )
        legacy = query_chooser

        def from_query_chooser(orm_context: ORMExecuteState) -> Iterable[Any]:
            return legacy(orm_context.statement)  # type: ignore[no-any-return]

        return from_query_chooser

    # -- shards -----------------------------------------------------------------------------
    def bind_shard(self, shard_id: ShardIdentifier, bind: Engine) -> None:
        """Add (or replace) the engine of shard ``shard_id``."""
        self._shards[shard_id] = bind

    @property
    def shards(self) -> dict[Any, Engine]:
        """``{shard id: engine}`` (a copy)."""
        return dict(self._shards)

    def _bind_of(self, shard_id: Any) -> Engine:
        try:
            return self._shards[shard_id]
        except KeyError:
            raise exc.InvalidRequestError(
                f"no shard {shard_id!r} in this ShardedSession (shards: "
                f"{', '.join(map(repr, self._shards)) or 'none'})"
            ) from None

    @contextmanager
    def _in_shard(self, token: Any) -> Iterator[None]:
        """Seam: work inside reads and writes shard ``token``; rows loaded get it as
        their identity token."""
        self._bind_of(token)
        previous = self._identity_token
        self._identity_token = token
        try:
            yield
        finally:
            self._identity_token = previous

    def in_shard_of(self, state: InstanceState) -> AbstractContextManager[None] | None:
        """Seam: the scope of loads for ``state`` (its row's shard), None when the
        current scope is that shard already or the object has none yet."""
        token = state.key[2] if state.key is not None else self._pending_identity_tokens.get(state)
        if token is None or token == self._identity_token:
            return None
        return self._in_shard(token)

    def _choose_shard_and_assign(self, mapper: Any, instance: Any, **kw: Any) -> Any:
        """The shard of ``instance``: its key's token, the one chosen before, or the
        shard chooser's answer (kept for the object)."""
        st = state_of(instance) if instance is not None else None
        if st is not None:
            if st.key is not None and st.key[2] is not None:
                return st.key[2]
            token = self._pending_identity_tokens.get(st)
            if token is not None:
                return token
        m = getattr(mapper, "__mapper__", mapper)
        if st is not None and m is None:
            m = st.mapper
        shard_id = self.shard_chooser(m, instance, **kw)
        if shard_id is None:
            raise exc.InvalidRequestError(
                f"shard_chooser returned None for {instance!r}; it must name a shard"
            )
        self._bind_of(shard_id)
        if st is not None:
            self._pending_identity_tokens[st] = shard_id
        return shard_id

    def get_bind(
        self,
        mapper: Any = None,
        clause: Any = None,
        *,
        shard_id: Any = None,
        instance: Any = None,
        **kw: Any,
    ) -> Any:
        """The engine of ``shard_id``; else of the shard being worked in; else of the
        shard chooser's answer for ``mapper`` / ``instance`` / ``clause``."""
        if shard_id is None:
            shard_id = self._identity_token
        if shard_id is None:
            shard_id = self._choose_shard_and_assign(mapper, instance, clause=clause)
        return self._bind_of(shard_id)

    def connection_for_mapper(self, mapper: Mapper) -> Connection:
        """Seam: the transaction's connection to the shard being worked in."""
        return self.connection_for_bind(self.get_bind(mapper))

    def connection(
        self,
        bind_arguments: dict[str, Any] | None = None,
        execution_options: dict[str, Any] | None = None,
    ) -> Connection:
        """The transaction's connection to one shard: ``bind_arguments={"shard_id": ...}``
        (or ``"mapper"`` and ``"instance"`` for the shard chooser).

        Raises:
            ArgumentError: other ``bind_arguments`` keys.
        """
        args = dict(bind_arguments or {})
        unknown = sorted(set(args) - {"shard_id", "mapper", "instance", "clause"})
        if unknown:
            raise exc.ArgumentError(
                f"ShardedSession.connection(bind_arguments=...) got unknown keys {unknown}"
            )
        self.transactions.check_active()
        bind = self.get_bind(
            args.get("mapper"),
            args.get("clause"),
            shard_id=args.get("shard_id"),
            instance=args.get("instance"),
        )
        txn = self.transactions.autobegin()
        if execution_options:
            return txn.connection_for(bind, execution_options)
        return self.connection_for_bind(bind)

    # -- statements -------------------------------------------------------------------------
    def query(self, *entities: Any) -> Query[Any]:
        """A legacy `ShardedQuery` (or the session's ``query_cls``)."""
        return self._query_cls(self, entities)

    def execute(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> Result:
        """Run ``statement`` on one shard (``set_shard_id`` option, ``shard_id`` /
        ``identity_token`` execution option, ``bind_arguments={"shard_id": ...}``, or the
        shard being worked in), else on each shard ``execute_chooser`` names, returning
        their rows together (in shard order).

        Raises:
            InvalidRequestError: an unknown shard, or a chooser that names none.
            ArgumentError: ``bind_arguments`` other than ``shard_id``.
        """
        options = dict(execution_options or {})
        binds = dict(bind_arguments or {})
        shard_id = binds.pop("shard_id", None)
        if binds:
            raise exc.ArgumentError(
                f"ShardedSession.execute(bind_arguments=...) takes only 'shard_id', got "
                f"{sorted(binds)}"
            )
        if shard_id is None:
            shard_id = _statement_shard(statement, options)
        if shard_id is None:
            shard_id = self._identity_token  # a load inside one shard's work
        if shard_id is not None:
            with self._in_shard(shard_id):
                return self._run_here(statement, params, options)
        shard_ids = list(self.execute_chooser(self._orm_context(statement, params, options)))
        if not shard_ids:
            raise exc.InvalidRequestError(
                f"execute_chooser named no shard for {type(statement).__name__}"
            )
        results = []
        for sid in shard_ids:
            with self._in_shard(sid):
                results.append(self._run_here(statement, params, options))
        return results[0] if len(results) == 1 else results[0].merge(*results[1:])

    def _run_here(self, statement: Any, params: Any, options: dict[str, Any]) -> Result:
        """`Session.execute` in the current shard; a streamed (``yield_per``) result is
        fetched now, while its eager loads can still read this shard."""
        result = super().execute(statement, params, execution_options=options or None)
        return result.merge() if result._yield_per is not None else result

    def _orm_context(self, statement: Any, params: Any, options: dict[str, Any]) -> ORMExecuteState:
        """What ``execute_chooser`` is given (``statement``, ``execution_options``, ...)."""
        entities = list(getattr(statement, "_entities", ()) or ())
        if getattr(statement, "entity", None) is not None:
            entities.append(statement.entity)
        bind_arguments: dict[str, Any] = {"clause": statement}
        mapper = first_mapper(entities)
        if mapper is not None:
            bind_arguments["mapper"] = mapper
        return ORMExecuteState(self, statement, params, options, bind_arguments, ())

    def get(
        self,
        entity: type[_T],
        ident: Any,
        *,
        populate_existing: bool = False,
        with_for_update: Any = None,
        options: Any = None,
        identity_token: Any = None,
        execution_options: Mapping[str, Any] | None = None,
        bind_arguments: Mapping[str, Any] | None = None,
    ) -> _T | None:
        """The object with this primary key: in shard ``identity_token`` (or
        ``bind_arguments={"shard_id": ...}``) if given; else from the identity maps of
        the shards ``identity_chooser`` names, else from the database of the shards
        ``execute_chooser`` names for the primary-key SELECT (the first row found).

        Raises:
            ArgumentError: ``bind_arguments`` other than ``shard_id``.
        """
        binds = dict(bind_arguments or {})
        token = identity_token if identity_token is not None else binds.pop("shard_id", None)
        if binds:
            raise exc.ArgumentError(
                f"ShardedSession.get(bind_arguments=...) takes only 'shard_id', got {sorted(binds)}"
            )
        opts = dict(execution_options or {})
        if token is None:
            token = next((opts[k] for k in _SHARD_OPTIONS if opts.get(k) is not None), None)

        def get_here() -> Any:
            return lookup.get(
                self, self._get_plans, entity, ident, populate_existing, with_for_update, options
            )

        if token is not None:
            with self._in_shard(token):
                return get_here()  # type: ignore[no-any-return]
        mapper = lookup.mapper_of_class(entity)
        pk = lookup.normalize_pk(mapper, ident)
        if not (populate_existing or with_for_update):
            for sid in self.identity_chooser(
                mapper,
                pk,
                lazy_loaded_from=None,
                execution_options=opts,
                bind_arguments={},
            ):
                st = self.identity_map.state_for(mapper.identity_key_from_pk(pk, sid))
                if st is not None and st() is not None:
                    with self._in_shard(sid):
                        return get_here()  # type: ignore[no-any-return]
        stmt = select(entity).where(*[c == v for c, v in zip(mapper.pk_columns, pk)])
        for sid in self.execute_chooser(self._orm_context(stmt, None, opts)):
            with self._in_shard(sid):
                found = get_here()
            if found is not None:
                return found  # type: ignore[no-any-return]
        return None

    # -- loads and flushes in the shard of each object ----------------------------------
    def load_unloaded(
        self,
        st: InstanceState,
        key: str | None,
        keys: Sequence[str] | None = None,
        overwrite: bool = False,
        with_for_update: Any = None,
    ) -> None:
        """Seam: SELECT the unloaded columns of ``st``'s object from its shard."""
        scope = self.in_shard_of(st)
        if scope is None:
            super().load_unloaded(st, key, keys, overwrite, with_for_update)
            return
        with scope:
            super().load_unloaded(st, key, keys, overwrite, with_for_update)

    def refresh(
        self, obj: Any, attribute_names: Iterable[str] | None = None, with_for_update: Any = None
    ) -> None:
        """Reload attributes of ``obj`` from its shard."""
        st = state_of(obj)
        scope = self.in_shard_of(st) if st is not None else None
        if scope is None:
            super().refresh(obj, attribute_names, with_for_update)
            return
        with scope:
            super().refresh(obj, attribute_names, with_for_update)

    def _flush_groups(self, objects: Sequence[Any] | None) -> list[tuple[Any, Any]]:
        """One flush per shard: each object goes to the shard of its row, a new one to
        the shard ``shard_chooser`` picks for it."""
        tracker = self.tracker
        if objects is not None:
            states = [s for s in (state_of(o) for o in objects) if s is not None]
        else:
            states = [*tracker.new, *tracker.modified, *tracker.deleted]
        groups: dict[Any, list[Any]] = {}
        for st in states:
            obj = st()
            if obj is None:
                continue
            token = self._choose_shard_and_assign(st.mapper, obj)
            group = groups.setdefault(token, [])
            if not any(o is obj for o in group):
                group.append(obj)
        return [(objs, token) for token, objs in groups.items()] or [([], None)]

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        """Write pending changes, each object to its shard (one unit of work per shard,
        inside the one session transaction that spans them)."""
        try:
            super().flush(objects)
        finally:
            tokens = self._pending_identity_tokens
            for st in [s for s in tokens if s.key is not None or s.session is not self]:
                del tokens[st]

    def close(self) -> None:
        """`Session.close`, forgetting the shards chosen for pending objects."""
        super().close()
        self._pending_identity_tokens.clear()


def _statement_shard(statement: Any, options: dict[str, Any]) -> Any:
    """The one shard a statement names: a ``set_shard_id`` option, else a shard
    execution option (given to execute(), else on the statement), else None."""
    for opt in getattr(statement, "_options", None) or ():
        if isinstance(opt, set_shard_id):
            return opt.shard_id
    own = getattr(statement, "_execution_options", None) or {}
    for source in (options, own):
        for key in _SHARD_OPTIONS:
            if source.get(key) is not None:
                return source[key]
    return None


__all__ = ["ShardedQuery", "ShardedSession", "set_shard_id"]
