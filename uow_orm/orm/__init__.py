"""The ORM: mapping, session, unit of work, loading."""

from __future__ import annotations

from typing import Any

from . import attributes, exc, interfaces, util

# (imported before the function of the same name is bound below, so that the submodule does
# not shadow ``uow_orm.orm.mapped_collection``, the function, as in SQLAlchemy)
from . import mapped_collection as _mapped_collection_module  # noqa: F401
from .alt_names import (
    MappedCollection,
    attribute_mapped_collection,
    column_mapped_collection,
    dynamic_loader,
    mapped_collection,
)
from .attributes import InstrumentedList, QueryableAttribute
from .base import class_mapper, object_mapper, was_deleted
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
from .lifecycle import make_transient, make_transient_to_detached
from .mapper import Mapper, configure_mappers, reconstructor, validates
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
from ..sql.selectable import (  # noqa: E402
    FromStatement,
    join,
    outerjoin,
)
from .attributes import InstrumentedAttribute  # noqa: E402
from .base import (  # noqa: E402
    EXT_SKIP,
    MANYTOMANY,
    MANYTOONE,
    NO_KEY,
    NO_VALUE,
    ONETOMANY,
    InspectionAttr,
    InspectionAttrExtensionType,
    InspectionAttrInfo,
    LoaderCallableStatus,
    NotExtension,
    ORMDescriptor,
    PassiveFlag,
)
from .declarative import (  # noqa: E402
    DeclarativeBaseNoMeta,
    MappedClassProtocol,
    add_mapped_attribute,
    orm_insert_sentinel,
)
from .declarative_helpers import (  # noqa: E402
    as_declarative,
    declarative_mixin,
    has_inherited_table,
    synonym_for,
)
from .identity import IdentityMap  # noqa: E402
from .properties import CompositeProperty, MappedSQLExpression  # noqa: E402
from .relationships import Direction  # noqa: E402
from .scoping import QueryPropertyDescriptor  # noqa: E402
from .session import UOWTransaction, create_session  # noqa: E402
from .transaction import SessionTransaction, SessionTransactionOrigin  # noqa: E402

Relationship = RelationshipProperty
RelationshipDirection = Direction
Synonym = SynonymProperty
Composite = CompositeProperty

__all__ += [
    "EXT_SKIP",
    "MANYTOMANY",
    "MANYTOONE",
    "NO_KEY",
    "NO_VALUE",
    "ONETOMANY",
    "Composite",
    "CompositeProperty",
    "DeclarativeBaseNoMeta",
    "FromStatement",
    "IdentityMap",
    "InspectionAttr",
    "InspectionAttrExtensionType",
    "InspectionAttrInfo",
    "InstrumentedAttribute",
    "LoaderCallableStatus",
    "MappedClassProtocol",
    "MappedSQLExpression",
    "NotExtension",
    "ORMDescriptor",
    "PassiveFlag",
    "QueryPropertyDescriptor",
    "Relationship",
    "RelationshipDirection",
    "SessionTransaction",
    "SessionTransactionOrigin",
    "Synonym",
    "SynonymProperty",
    "UOWTransaction",
    "add_mapped_attribute",
    "as_declarative",
    "create_session",
    "declarative_mixin",
    "has_inherited_table",
    "join",
    "orm_insert_sentinel",
    "outerjoin",
    "synonym_for",
]
