"""The ORM: mapping, session, unit of work, loading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from . import attributes, exc, interfaces, util
from . import events as _events
from .alt_names import (
    MappedCollection,
    attribute_mapped_collection,
    column_mapped_collection,
    dynamic_loader,
    mapped_collection,
)
from .attributes import InstrumentedList, QueryableAttribute
from .base import class_mapper, object_mapper
from .collections import KeyFuncDict, attribute_keyed_dict, column_keyed_dict, keyfunc_mapping
from .criteria import LoaderCriteriaOption, with_loader_criteria
from .declarative import (
    DeclarativeBase,
    DeclarativeMeta,
    Mapped,
    MappedAsDataclass,
    MappedColumn,
    clear_mappers,
    declarative_base,
    declared_attr,
    mapped_as_dataclass,
    mapped_column,
    registry,
)
from .dynamic import AppenderQuery, DynamicMapped
from .events import (
    EXT_CONTINUE,
    EXT_STOP,
    AttributeEventToken,
    QueryContext,
)
from .inheritance import polymorphic_union
from .joinconditions import foreign, remote
from .lifecycle import make_transient_state
from .mapper import Mapper, reconstructor, validates
from .merge import merge_frozen_result
from .polymorphic import WithPolymorphic, selectin_polymorphic, with_polymorphic
from .properties import (
    ColumnProperty,
    MapperProperty,
    PropComparator,
    QueryExpressionProperty,
    SynonymProperty,
    column_property,
    composite,
    deferred,
    query_expression,
    synonym,
)
from .query import Query
from .relationships import CascadeOptions, RelationshipProperty, backref, relationship
from .retry import run_transaction
from .routing import ReplicaSet
from .scoping import scoped_session
from .session import Session, close_all_sessions, object_session, sessionmaker
from .session_events import ORMExecuteState
from .state import AttributeState, InstanceState, state_of
from .strategy_options import (
    Load,
    UserDefinedOption,
    contains_eager,
    defaultload,
    defer,
    immediateload,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    selectinload,
    subqueryload,
    undefer,
    undefer_group,
    with_expression,
)
from .util import AliasedClass, AliasedInsp, Bundle, aliased, with_parent
from .writeonly import WriteOnlyCollection, WriteOnlyMapped


def inspect(obj: Any, raiseerr: bool = True) -> Any:
    """The inspection object of ``obj``: a mapped class's `Mapper` (relationships
    configured first), a mapped object's `InstanceState` (``.pending``, ``.persistent``...),
    an ``Inspector`` of an engine's or connection's database schema, or the object itself
    for a mapper, an instrumented attribute or a state.

    Raises:
        NoInspectionAvailable: ``obj`` is none of those (unless ``raiseerr=False``: None).
    """
    from ..engine.base import Connection, Engine

    if isinstance(obj, (Engine, Connection)):
        from ..engine.reflection import Inspector

        return Inspector(obj)
    if isinstance(obj, type):
        mapper = getattr(obj, "__mapper__", None)
        if mapper is None:
            if not raiseerr:
                return None
            raise exc.NoInspectionAvailable(f"no inspection available for {obj!r}")
        mapper._ensure_configured()
        return mapper
    if isinstance(obj, (Mapper, QueryableAttribute, InstanceState)):
        return obj
    if isinstance(obj, (AliasedClass, WithPolymorphic)):
        return AliasedInsp(obj)
    st = state_of(obj)
    if st is None:
        if not raiseerr:
            return None
        raise exc.NoInspectionAvailable(
            f"no inspection available for {type(obj).__name__} object; it is not mapped"
        )
    return st


def identity_key(
    class_: type | None = None,
    ident: Any = None,
    *,
    instance: Any = None,
    identity_token: Any = None,
) -> tuple[Any, ...]:
    """The identity map key for ``class_`` and primary key ``ident`` (or of ``instance``:
    its own key when it has one), in the shard ``identity_token`` (horizontal sharding)."""
    if instance is not None:
        st = state_of(instance)
        if st is None:
            raise exc.UnmappedInstanceError(f"{instance!r} is not mapped")
        mapper = st.mapper
        pk = tuple(getattr(instance, k) for k in mapper.pk_keys)
        token = st.key[2] if st.key is not None and identity_token is None else identity_token
        return mapper.identity_key_from_pk(pk, token)
    from .lookup import mapper_of_class, normalize_pk

    mapper = mapper_of_class(class_)
    return mapper.identity_key_from_pk(normalize_pk(mapper, ident), identity_token)


# ``from sqlalchemy.orm.util import identity_key`` (form libraries import it from there)
util.identity_key = identity_key  # type: ignore[attr-defined]


def configure_mappers() -> None:
    """Configure relationships of every mapped class now (normally done on first use)."""
    from .mapper import registries

    for reg in list(registries):
        reg.configure()


if TYPE_CHECKING:
    from .seams import InternalSession


def make_transient(obj: Any) -> None:
    """Make a persistent, pending or detached object transient, as SQLAlchemy's
    ``make_transient``: it leaves its session and forgets its identity key and its pending
    changes; the attribute values it holds stay (expired ones are not loaded). Adding it
    to a session again makes it pending: the next flush INSERTs it. Fires
    ``persistent_to_transient`` for a persistent object.

    Raises:
        UnmappedInstanceError: ``obj`` is not an instance of a mapped class.
    """
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(f"{obj!r} is not mapped")
    if st.session is not None:
        if st.key is not None and st.session.dispatch.persistent_to_transient:
            _events.fire_each(st.session, "persistent_to_transient", [st])
        # the attribute history stays, as in SQLAlchemy (a versioning recipe reads it)
        committed, modified, had_key = st.committed, st.modified, st.key is not None
        # an object's session is a Session, which has the members its internals use
        make_transient_state(cast("InternalSession", st.session), st)
        if had_key:
            st.committed, st.modified = committed, modified
            st.history_kept = True
    st.key = None
    st.deleted = False
    st.was_deleted = False


def make_transient_to_detached(obj: Any) -> None:
    """Turn a transient object into a detached one, as if it had been loaded and its
    session closed: its identity key comes from its primary key attributes, its changes
    are forgotten, so ``session.add()`` makes it persistent and a later change is flushed
    as an UPDATE of that row. Attributes it has no value for load on access once it is
    in a session.

    Raises `uow_orm.exc.UnmappedInstanceError` for an unmapped object,
    `uow_orm.exc.InvalidRequestError` when it is not transient or a primary key attribute
    is unset.
    """
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(f"{obj!r} is not mapped")
    if st.session is not None or st.key is not None:
        raise exc.InvalidRequestError(f"make_transient_to_detached(): {obj!r} is not transient")
    mapper = st.mapper
    pk = tuple(obj.__dict__.get(k) for k in mapper.pk_keys)
    if any(v is None for v in pk):
        raise exc.InvalidRequestError(
            f"make_transient_to_detached(): {obj!r} has no value for its primary key "
            f"({', '.join(mapper.pk_keys)})"
        )
    st.key = mapper.identity_key_from_pk(pk)
    st.clear_changes()
    st.deleted = False
    st.was_deleted = False


def was_deleted(object_: Any) -> bool:
    """True when the object was deleted in a flush of its session (it is deleted or, after
    the commit, detached), as SQLAlchemy's ``was_deleted``.

    Raises:
        UnmappedInstanceError: ``object_`` is not mapped.
    """
    st = state_of(object_)
    if st is None:
        raise exc.UnmappedInstanceError(f"{object_!r} is not mapped")
    return bool(st.deleted or st.was_deleted)


__all__ = [
    "EXT_CONTINUE",
    "EXT_STOP",
    "AliasedClass",
    "AppenderQuery",
    "AttributeEventToken",
    "AttributeState",
    "Bundle",
    "CascadeOptions",
    "ColumnProperty",
    "DeclarativeBase",
    "DeclarativeMeta",
    "DynamicMapped",
    "InstanceState",
    "InstrumentedList",
    "KeyFuncDict",
    "Load",
    "LoaderCriteriaOption",
    "Mapped",
    "MappedAsDataclass",
    "MappedCollection",
    "MappedColumn",
    "Mapper",
    "MapperProperty",
    "ORMExecuteState",
    "PropComparator",
    "Query",
    "QueryContext",
    "QueryExpressionProperty",
    "RelationshipProperty",
    "ReplicaSet",
    "Session",
    "SynonymProperty",
    "UserDefinedOption",
    "WriteOnlyCollection",
    "WriteOnlyMapped",
    "aliased",
    "attribute_keyed_dict",
    "attribute_mapped_collection",
    "attributes",
    "backref",
    "class_mapper",
    "clear_mappers",
    "close_all_sessions",
    "column_keyed_dict",
    "column_mapped_collection",
    "column_property",
    "composite",
    "configure_mappers",
    "contains_eager",
    "declarative_base",
    "declared_attr",
    "defaultload",
    "defer",
    "deferred",
    "dynamic_loader",
    "foreign",
    "identity_key",
    "immediateload",
    "inspect",
    "interfaces",
    "joinedload",
    "keyfunc_mapping",
    "lazyload",
    "load_only",
    "make_transient",
    "make_transient_to_detached",
    "mapped_as_dataclass",
    "mapped_collection",
    "mapped_column",
    "merge_frozen_result",
    "noload",
    "object_mapper",
    "object_session",
    "polymorphic_union",
    "query_expression",
    "raiseload",
    "reconstructor",
    "registry",
    "relationship",
    "remote",
    "run_transaction",
    "scoped_session",
    "selectin_polymorphic",
    "selectinload",
    "sessionmaker",
    "subqueryload",
    "synonym",
    "undefer",
    "undefer_group",
    "validates",
    "was_deleted",
    "with_expression",
    "with_loader_criteria",
    "with_parent",
    "with_polymorphic",
]

# SQLAlchemy's other names for ORM classes and constants, and the declarative helpers
# (``as_declarative``, ``has_inherited_table``, ``synonym_for``, ``declarative_mixin``).
from ..sql.selectable import join, outerjoin  # noqa: E402
from .attributes import InstrumentedAttribute  # noqa: E402
from .base import MANYTOMANY, MANYTOONE, NO_VALUE, ONETOMANY  # noqa: E402
from .declarative_helpers import (  # noqa: E402
    as_declarative,
    declarative_mixin,
    has_inherited_table,
    synonym_for,
)
from .identity import IdentityMap  # noqa: E402
from .properties import CompositeProperty  # noqa: E402
from .relationships import Direction  # noqa: E402
from .transaction import SessionTransaction  # noqa: E402

Relationship = RelationshipProperty
RelationshipDirection = Direction
Synonym = SynonymProperty
Composite = CompositeProperty

__all__ += [
    "MANYTOMANY",
    "MANYTOONE",
    "NO_VALUE",
    "ONETOMANY",
    "Composite",
    "CompositeProperty",
    "IdentityMap",
    "InstrumentedAttribute",
    "Relationship",
    "RelationshipDirection",
    "SessionTransaction",
    "Synonym",
    "SynonymProperty",
    "as_declarative",
    "declarative_mixin",
    "has_inherited_table",
    "join",
    "outerjoin",
    "synonym_for",
]
