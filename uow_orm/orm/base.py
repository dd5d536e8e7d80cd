"""The ORM's leaf vocabulary and the seams through which lower layers call up into the session.

Called by: state, attributes, identity, tracking, relationships, loading, mapper, bulk,
transaction, savepoint, lifecycle, expiry, merge, lookup, seams, inheritance, events,
strategies, aliased_target, query, joinconditions, session, the package ``__init__`` and
ext.horizontal_shard; and by code written for SQLAlchemy (``class_mapper``,
``object_mapper``, ``object_state``, ``object_session`` as in ``sqlalchemy.orm.base``).
Imports no other ORM module at run time.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .. import exc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from contextlib import AbstractContextManager

    from ..engine.base import Connection
    from ..engine.result import Result
    from .identity import IdentityMap
    from .mapper import Mapper
    from .state import InstanceState


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


#: The attribute of a mapped object's ``__dict__`` that holds its `InstanceState`.
STATE_ATTR = "_sa_instance_state"

#: "No value loaded" (an attribute not in the object's dict); falsy, compared with ``is``.
NO_VALUE: Any = _NoValue()


class Direction(enum.Enum):
    """Which side holds the foreign key (SQLAlchemy's ``RelationshipDirection``); the members
    are also ``uow_orm.orm.interfaces.MANYTOONE`` / ``ONETOMANY`` / ``MANYTOMANY``."""

    MANYTOONE = "many-to-one"
    ONETOMANY = "one-to-many"
    MANYTOMANY = "many-to-many"


#: The identity-map key of a row: (mapped class, primary-key values, identity token).
#: The token is None except in a sharded session (`uow_orm.ext.horizontal_shard`), where
#: it is the shard the row lives in, so equal primary keys of different shards are
#: different objects. Built only by `make_identity_key`, so that its shape is declared in
#: one place.
IdentityKey = tuple[type, tuple[Any, ...], Any]


def make_identity_key(class_: type, pk: tuple[Any, ...], token: Any = None) -> IdentityKey:
    """The identity-map key of the ``class_`` row whose primary-key values are ``pk``
    (in the shard ``token``, None outside sharding)."""
    return (class_, pk, token)


#: What a string argument of ``relationship()`` (``primaryjoin="and_(A.id == B.a_id)"``)
#: may name besides mapped classes and tables: every public name of ``uow_orm``, filled in
#: by the package's ``__init__`` when it is imported (the package sits above the ORM).
EXPRESSION_NAMESPACE: dict[str, Any] = {}


#: A relationship loader strategy as the loaders see it, after ``relationship(lazy=...)``
#: and loader options are normalized (True -> "select", False -> "joined").
LoaderStrategy = Literal[
    "select",
    "selectin",
    "subquery",
    "joined",
    "immediate",
    "raise",
    "raise_on_sql",
    "noload",
    "contains_eager",
    "dynamic",
    "write_only",
]

#: Strategies loaded with the parent query (not on first access).
EAGER_STRATEGIES: frozenset[str] = frozenset({"selectin", "subquery", "joined", "immediate"})
#: Strategies an option may impose on an attribute that is loaded on first access.
LAZY_STRATEGIES: frozenset[str] = frozenset({"select", "raise", "raise_on_sql", "noload"})


class ChangeListener(Protocol):
    """Told about an object's first change since it was loaded or flushed."""

    def object_changed(self, state: InstanceState) -> None:
        """``state``'s object is about to change for the first time (its values are still
        the old ones, so that a savepoint can snapshot them)."""


class AttributeLoader(Protocol):
    """Loads the unloaded column attributes of a persistent object."""

    def load_unloaded(
        self,
        st: InstanceState,
        key: str | None,
        keys: Sequence[str] | None = None,
        overwrite: bool = False,
        with_for_update: Any = None,
    ) -> None:
        """SELECT the unloaded (or the given) columns of ``st``'s object."""


class ChangeRegistry(Protocol):
    """The session's registries of changes (`uow_orm.orm.tracking.Tracker`), as the layers
    below the session use them: backref changes to unloaded collections, and "no unflushed
    changes any more"."""

    @property
    def collections(self) -> Mapping[InstanceState, Mapping[str, Any]]: ...

    def unmark_modified(self, st: InstanceState) -> None:
        """``st`` has no unflushed changes any more."""

    def queue_collection_change(
        self, st: InstanceState, key: str, obj: Any, appended: bool
    ) -> None:
        """Remember that the unloaded collection ``key`` of ``st`` gained (``appended``) or
        lost ``obj``."""

    def apply_collection_changes(self, st: InstanceState, key: str, coll: list[Any]) -> None:
        """Apply the queued changes of collection ``key`` to its freshly loaded ``coll``."""


class TransactionLevel(Protocol):
    """One level of the session's transaction stack (`uow_orm.orm.transaction.SessionTransaction`):
    the objects whose DELETE it flushed, and the level it is nested in."""

    @property
    def deleted(self) -> Iterable[InstanceState]: ...
    @property
    def parent(self) -> TransactionLevel | None: ...


class TransactionStack(Protocol):
    """The session's transaction control (`uow_orm.orm.transaction.TransactionControl`):
    its innermost level, if a transaction began."""

    @property
    def current(self) -> TransactionLevel | None: ...


class ObjectSession(ChangeListener, AttributeLoader, Protocol):
    """The session that owns an object, as the layers below the session see it.

    `InstanceState.session` has this type: attribute instrumentation, relationships,
    loading, the bulk helpers, the transaction stack and the modules the session delegates
    to (lifecycle, expiry, merge, savepoint) reach the session only through these members:
    its registries (``identity_map``, ``tracker``, ``transactions``), its settings, a few
    public methods and the seams below.
    """

    @property
    def identity_map(self) -> IdentityMap: ...
    @property
    def tracker(self) -> ChangeRegistry: ...
    @property
    def transactions(self) -> TransactionStack: ...
    @property
    def autoflush(self) -> bool: ...
    @property
    def expire_on_commit(self) -> bool: ...
    @property
    def twophase(self) -> bool: ...
    @property
    def join_transaction_mode(self) -> str: ...

    def add(self, obj: Any, _warn: bool = True) -> None:
        """``Session.add``."""

    def get(self, entity: Any, ident: Any, *, identity_token: Any = None) -> Any:
        """``Session.get``."""

    def get_bind(self, mapper: Any = None, clause: Any = None) -> Any:
        """``Session.get_bind``."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        """``Session.flush``."""

    def commit(self) -> None:
        """``Session.commit``."""

    def rollback(self) -> None:
        """``Session.rollback``."""

    @property
    def dispatch(self) -> Any: ...
    @property
    def warn_lazy_loads(self) -> bool: ...
    @property
    def _orm_execute_running(self) -> bool: ...
    @property
    def _identity_token(self) -> Any: ...

    def in_shard_of(self, state: InstanceState) -> AbstractContextManager[None] | None:
        """The scope in which loads for ``state`` read its row's shard, or None when the
        current one will do (always None outside horizontal sharding)."""

    def fire(self, name: str, *args: Any) -> None:
        """Run the listeners of session event ``name`` with ``(session, *args)``."""

    def cascade_save(self, obj: Any) -> None:
        """Attach ``obj`` (and its save-update cascade) because a relationship gained it."""

    def expunge_state(self, st: InstanceState) -> None:
        """Remove ``st`` (only it, no cascade) from the session."""

    def check_active(self) -> None:
        """Raise PendingRollbackError when a failed flush left the transaction inactive."""

    def autoflush_for_load(self) -> None:
        """Flush pending changes before a lazy load, when autoflush is on."""

    def connection_for_mapper(self, mapper: Mapper) -> Connection:
        """The transaction's connection for ``mapper``'s bind (beginning it if needed)."""

    def connection_for_bind(self, bind: Any) -> Connection:
        """The transaction's connection for ``bind`` (beginning it if needed)."""

    def relationship_load(
        self,
        statement: Any,
        lazy_loaded_from: InstanceState | None,
        run: Callable[[Any], Result],
        column_load: bool = False,
        mapper: Mapper | None = None,
    ) -> Result:
        """Run a relationship (or ``column_load``) load's SELECT through the
        ``do_orm_execute`` listeners."""


# -- sqlalchemy.orm.base's lookups ---------------------------------------------------------
def class_mapper(class_: type, configure: bool = True) -> Mapper:
    """The `Mapper` of a mapped class (relationships configured unless ``configure=False``).

    Raises:
        UnmappedClassError: ``class_`` is not a mapped class.
    """
    mapper = getattr(class_, "__mapper__", None) if isinstance(class_, type) else None
    if mapper is None:
        raise exc.UnmappedClassError(f"class {class_!r} is not mapped")
    if configure:
        mapper.ensure_configured()
    return mapper  # type: ignore[no-any-return]


def state_of(obj: Any) -> InstanceState | None:
    """The InstanceState of a mapped object, or None for anything else."""
    try:
        return obj.__dict__.get(STATE_ATTR)  # type: ignore[no-any-return]
    except AttributeError:
        return None


def object_state(instance: Any) -> InstanceState:
    """The `InstanceState` of a mapped object.

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    st = state_of(instance)
    if st is None:
        raise exc.UnmappedInstanceError(
            f"{type(instance).__name__} object is not an instance of a mapped class"
        )
    return st


def object_mapper(instance: Any) -> Mapper:
    """The `Mapper` of a mapped object's class.

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    return object_state(instance).mapper


def object_session(instance: Any) -> ObjectSession | None:
    """The Session a mapped object belongs to, or None (transient or detached).

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    return object_state(instance).session


def instance_state(instance: Any) -> InstanceState:
    """The `InstanceState` of a mapped object (what ``inspect(obj)`` returns).

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    return object_state(instance)


def instance_dict(instance: Any) -> dict[str, Any]:
    """The ``__dict__`` of a mapped object, where its loaded attribute values live.

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    object_state(instance)
    return instance.__dict__  # type: ignore[no-any-return]


MANYTOONE = Direction.MANYTOONE
ONETOMANY = Direction.ONETOMANY
MANYTOMANY = Direction.MANYTOMANY

__all__ = [
    "EAGER_STRATEGIES",
    "LAZY_STRATEGIES",
    "MANYTOMANY",
    "MANYTOONE",
    "NO_VALUE",
    "ONETOMANY",
    "STATE_ATTR",
    "AttributeLoader",
    "ChangeListener",
    "Direction",
    "IdentityKey",
    "LoaderStrategy",
    "ObjectSession",
    "class_mapper",
    "instance_dict",
    "instance_state",
    "make_identity_key",
    "object_mapper",
    "object_session",
    "object_state",
    "state_of",
]
