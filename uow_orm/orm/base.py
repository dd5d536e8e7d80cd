"""The ORM's leaf vocabulary and the seams through which lower layers call up into the session.

Called by: state, attributes, identity, tracking, relationships, loading, mapper, bulk,
transaction, savepoint, lifecycle, expiry, merge, lookup, seams, inheritance, events,
strategies, aliased_target, query, joinconditions, session, properties, util, declarative,
the package ``__init__``, interfaces and instrumentation (re-exports), ext.horizontal_shard,
ext.hybrid, ext.associationproxy and ext.automap; and by code written for SQLAlchemy
(``class_mapper``, ``object_mapper``, ``object_state``, ``object_session`` as in
``sqlalchemy.orm.base``; the inspection vocabulary, `PassiveFlag`).
Imports no other ORM module at run time.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from .. import exc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from contextlib import AbstractContextManager

    from ..engine.base import Connection
    from ..engine.result import Result
    from .identity import IdentityMap
    from .mapper import Mapper
    from .state import InstanceState


class LoaderCallableStatus(enum.Enum):
    """SQLAlchemy's markers for "what an attribute holds when it holds no value".

    uow_orm uses ``NO_VALUE`` (also ``NEVER_SET``, its 1.4+ synonym): an attribute that is
    not loaded, as `AttributeState.loaded_value` and the "previous value" of attribute
    events report it. Unlike SQLAlchemy's, ``NO_VALUE`` is falsy (uow_orm's internals test
    it that way; compare it with ``is`` as SQLAlchemy's documentation does); the other
    members are truthy, as in SQLAlchemy.
    """

    PASSIVE_NO_RESULT = 0
    PASSIVE_CLASS_MISMATCH = 1
    ATTR_WAS_SET = 2
    ATTR_EMPTY = 3
    NO_VALUE = 4
    NEVER_SET = 4  # an alias: ``NEVER_SET is NO_VALUE``
    DONT_SET = 5

    def __bool__(self) -> bool:
        return self._value_ != 4


#: The attribute of a mapped object's ``__dict__`` that holds its `InstanceState`.
STATE_ATTR = "_sa_instance_state"
#: SQLAlchemy's name of `STATE_ATTR`.
DEFAULT_STATE_ATTR = STATE_ATTR

#: "No value loaded" (an attribute not in the object's dict); falsy, compared with ``is``.
NO_VALUE: Any = LoaderCallableStatus.NO_VALUE
#: SQLAlchemy's synonym of `NO_VALUE` (the same object).
NEVER_SET: Any = LoaderCallableStatus.NEVER_SET


class PassiveFlag(enum.IntFlag):
    """What reading an unloaded attribute may do, as SQLAlchemy's ``PassiveFlag``: the
    ``passive=`` argument of `uow_orm.orm.attributes.get_history`.

    uow_orm honours two behaviours: load the unloaded attribute first (``PASSIVE_OFF``,
    ``PASSIVE_RETURN_NO_VALUE``, ``PASSIVE_ONLY_PERSISTENT``) or load nothing (any flag
    without ``CALLABLES_OK`` or ``SQL_OK``, e.g. ``PASSIVE_NO_INITIALIZE``,
    ``PASSIVE_NO_FETCH``, ``NO_CHANGE``); see `get_history` for the flags it refuses.
    """

    NO_CHANGE = 0
    CALLABLES_OK = 1
    SQL_OK = 2
    RELATED_OBJECT_OK = 4
    INIT_OK = 8
    NON_PERSISTENT_OK = 16
    LOAD_AGAINST_COMMITTED = 32
    NO_AUTOFLUSH = 64
    NO_RAISE = 128
    DEFERRED_HISTORY_LOAD = 256
    INCLUDE_PENDING_MUTATIONS = 512

    PASSIVE_OFF = RELATED_OBJECT_OK | NON_PERSISTENT_OK | INIT_OK | CALLABLES_OK | SQL_OK
    PASSIVE_RETURN_NO_VALUE = PASSIVE_OFF ^ INIT_OK
    PASSIVE_NO_INITIALIZE = PASSIVE_RETURN_NO_VALUE ^ CALLABLES_OK
    PASSIVE_NO_FETCH = PASSIVE_OFF ^ SQL_OK
    PASSIVE_NO_FETCH_RELATED = PASSIVE_OFF ^ RELATED_OBJECT_OK
    PASSIVE_ONLY_PERSISTENT = PASSIVE_OFF ^ NON_PERSISTENT_OK
    PASSIVE_MERGE = PASSIVE_OFF | NO_RAISE


NO_CHANGE = PassiveFlag.NO_CHANGE
CALLABLES_OK = PassiveFlag.CALLABLES_OK
SQL_OK = PassiveFlag.SQL_OK
RELATED_OBJECT_OK = PassiveFlag.RELATED_OBJECT_OK
INIT_OK = PassiveFlag.INIT_OK
NON_PERSISTENT_OK = PassiveFlag.NON_PERSISTENT_OK
PASSIVE_OFF = PassiveFlag.PASSIVE_OFF
PASSIVE_RETURN_NO_VALUE = PassiveFlag.PASSIVE_RETURN_NO_VALUE
PASSIVE_NO_INITIALIZE = PassiveFlag.PASSIVE_NO_INITIALIZE
PASSIVE_NO_FETCH = PassiveFlag.PASSIVE_NO_FETCH
PASSIVE_NO_FETCH_RELATED = PassiveFlag.PASSIVE_NO_FETCH_RELATED
PASSIVE_ONLY_PERSISTENT = PassiveFlag.PASSIVE_ONLY_PERSISTENT

# the bits `passive_loads` accepts; the others (NO_AUTOFLUSH, NO_RAISE,
# LOAD_AGAINST_COMMITTED, DEFERRED_HISTORY_LOAD, INCLUDE_PENDING_MUTATIONS) ask for a
# loading behaviour uow_orm does not have
_HONOURED_PASSIVE = int(PASSIVE_OFF)
_RELATED_LOAD_BITS = int(SQL_OK | RELATED_OBJECT_OK)


def passive_loads(passive: Any, what: str, relationship: bool = False) -> bool:
    """Whether a read with flag ``passive`` may load an unloaded attribute (a
    ``relationship`` one if so); None is ``PASSIVE_OFF``, uow_orm's former spelling.

    Raises:
        ArgumentError: ``passive`` is not a `PassiveFlag`, sets a bit uow_orm cannot
            honour, or asks a relationship for a load from the identity map only
            (``PASSIVE_NO_FETCH``, ``PASSIVE_NO_FETCH_RELATED``); the message names it.
    """
    if passive is None:
        return True
    if not isinstance(passive, PassiveFlag):
        raise exc.ArgumentError(f"{what}: passive={passive!r} is not a PassiveFlag")
    value = int(passive)
    extra = value & ~_HONOURED_PASSIVE
    if extra:
        names = [f.name for f in PassiveFlag if f.value & extra and f.value.bit_count() == 1]
        raise exc.ArgumentError(
            f"{what}: passive flag {' | '.join(map(str, names))} is not supported"
        )
    if not value & CALLABLES_OK:
        return False
    if relationship and (value & _RELATED_LOAD_BITS) != _RELATED_LOAD_BITS:
        # SQLAlchemy would still take a many-to-one from the identity map without SQL
        raise exc.ArgumentError(
            f"{what}: passive={passive!r} (a load from the identity map only) is not "
            "supported for a relationship; use PASSIVE_NO_INITIALIZE or PASSIVE_OFF"
        )
    return bool(value & SQL_OK)


class EventConstants(enum.Enum):
    """SQLAlchemy's event return markers: ``EXT_STOP`` returned by a mapper listener
    registered with ``retval=True`` ends the chain of listeners; ``EXT_CONTINUE`` (or
    None) lets it go on; ``NO_KEY`` is the ``key=`` an ``include_key=True`` attribute
    listener gets for a change that has no collection key (a scalar set, a list append)."""

    EXT_CONTINUE = 1
    EXT_STOP = 2
    EXT_SKIP = 3
    NO_KEY = 4


EXT_CONTINUE = EventConstants.EXT_CONTINUE
EXT_STOP = EventConstants.EXT_STOP
EXT_SKIP = EventConstants.EXT_SKIP
NO_KEY = EventConstants.NO_KEY


class InspectionAttrExtensionType(enum.Enum):
    """The base of the ``extension_type`` enums: `NotExtension`, and the hybrids' and the
    association proxy's (``HybridExtensionType``, ``AssociationProxyExtensionType``)."""


class NotExtension(InspectionAttrExtensionType):
    """The ``extension_type`` of everything the ORM itself maps (not an ext descriptor)."""

    NOT_EXTENSION = "not_extension"


class InspectionAttr:
    """The base of what ``inspect()`` and ``Mapper.all_orm_descriptors`` hand out, as in
    SQLAlchemy: its flags say what an object is without isinstance checks (``is_mapper``,
    ``is_attribute``, ``is_property``, ``is_aliased_class``, ``is_instance``, ...), and
    ``extension_type`` tells the ext descriptors (hybrids, association proxies) apart."""

    __slots__ = ()

    is_selectable = False
    is_aliased_class = False
    is_instance = False
    is_mapper = False
    is_bundle = False
    is_property = False
    is_attribute = False
    is_clause_element = False
    extension_type: InspectionAttrExtensionType = NotExtension.NOT_EXTENSION


_T_co = TypeVar("_T_co", covariant=True)


class ORMDescriptor(Generic[_T_co]):
    """The base (for typing and ``isinstance``) of the class-level descriptors that give an
    SQL expression on the class: instrumented attributes, hybrids, association proxies
    (SQLAlchemy's ``ORMDescriptor``). It adds no behaviour of its own."""

    __slots__ = ()


class _InfoDict:
    """A per-object ``info`` dict created on first read (a non-data descriptor, so
    ``obj.info = {...}`` replaces it)."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        info: dict[str, Any] = {}
        obj.__dict__["info"] = info
        return info


class InspectionAttrInfo(InspectionAttr):
    """An `InspectionAttr` with an ``info`` dictionary for the application's own data
    (``MapperProperty``, hybrids, association proxies), as in SQLAlchemy."""

    __slots__ = ()

    if TYPE_CHECKING:
        info: dict[str, Any]
    else:
        info = _InfoDict()


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


#: SQLAlchemy's name of `Direction`.
RelationshipDirection = Direction


def was_deleted(object_: Any) -> bool:
    """True when the object was deleted in a flush of its session (it is deleted or, after
    the commit, detached), as SQLAlchemy's ``was_deleted``.

    Raises:
        UnmappedInstanceError: ``object_`` is not mapped.
    """
    st = object_state(object_)
    return bool(st.deleted or st.was_deleted)


def has_identity(object_: Any) -> bool:
    """True when the object has an identity key (it is persistent or detached), as
    SQLAlchemy's ``orm.util.has_identity``.

    Raises:
        UnmappedInstanceError: ``object_`` is not mapped.
    """
    return object_state(object_).key is not None


MANYTOONE = Direction.MANYTOONE
ONETOMANY = Direction.ONETOMANY
MANYTOMANY = Direction.MANYTOMANY

__all__ = [
    "CALLABLES_OK",
    "DEFAULT_STATE_ATTR",
    "EAGER_STRATEGIES",
    "EXT_CONTINUE",
    "EXT_SKIP",
    "EXT_STOP",
    "INIT_OK",
    "LAZY_STRATEGIES",
    "MANYTOMANY",
    "MANYTOONE",
    "NEVER_SET",
    "NON_PERSISTENT_OK",
    "NO_CHANGE",
    "NO_KEY",
    "NO_VALUE",
    "ONETOMANY",
    "PASSIVE_NO_FETCH",
    "PASSIVE_NO_FETCH_RELATED",
    "PASSIVE_NO_INITIALIZE",
    "PASSIVE_OFF",
    "PASSIVE_ONLY_PERSISTENT",
    "PASSIVE_RETURN_NO_VALUE",
    "RELATED_OBJECT_OK",
    "SQL_OK",
    "STATE_ATTR",
    "AttributeLoader",
    "ChangeListener",
    "Direction",
    "EventConstants",
    "IdentityKey",
    "InspectionAttr",
    "InspectionAttrExtensionType",
    "InspectionAttrInfo",
    "LoaderCallableStatus",
    "LoaderStrategy",
    "NotExtension",
    "ORMDescriptor",
    "ObjectSession",
    "PassiveFlag",
    "RelationshipDirection",
    "class_mapper",
    "has_identity",
    "instance_dict",
    "instance_state",
    "make_identity_key",
    "object_mapper",
    "object_session",
    "object_state",
    "passive_loads",
    "state_of",
    "was_deleted",
]
