"""The ORM: mapping, session, unit of work, loading."""

from __future__ import annotations

from typing import Any

from .. import exc
from .attributes import InstrumentedList
from .declarative import DeclarativeBase, Mapped, MappedColumn, declarative_base, mapped_column
from .query import Query
from .relationships import backref, relationship
from .retry import run_transaction
from .routing import ReplicaSet
from .session import Session, sessionmaker
from .state import InstanceState, state_of
from .strategy_options import joinedload, lazyload, noload, raiseload, selectinload


def inspect(obj: Any) -> Any:
    """The ORM state of a mapped object (``.pending``, ``.persistent``...), a class's
    mapper, or an ``Inspector`` of an engine's or connection's database schema."""
    from ..engine.base import Connection, Engine

    if isinstance(obj, (Engine, Connection)):
        from ..engine.reflection import Inspector

        return Inspector(obj)
    if isinstance(obj, type):
        mapper = getattr(obj, "__mapper__", None)
        if mapper is None:
            raise exc.NoInspectionAvailable(f"no inspection available for {obj!r}")
        return mapper
    st = state_of(obj)
    if st is None:
        raise exc.NoInspectionAvailable(
            f"no inspection available for {type(obj).__name__} object; it is not mapped"
        )
    return st


def identity_key(class_: type, ident: Any = None, *, instance: Any = None) -> tuple[Any, ...]:
    """The identity map key for ``class_`` and primary key ``ident`` (or of ``instance``)."""
    if instance is not None:
        st = state_of(instance)
        if st is None:
            raise exc.UnmappedInstanceError(f"{instance!r} is not mapped")
        mapper = st.mapper
        return mapper.identity_key_from_pk(tuple(getattr(instance, k) for k in mapper.pk_keys))
    from .session import _mapper_of_class, _normalize_pk

    mapper = _mapper_of_class(class_)
    return mapper.identity_key_from_pk(_normalize_pk(mapper, ident))


def configure_mappers() -> None:
    """Configure relationships of every mapped class now (normally done on first use)."""
    from .mapper import registries

    for registry in list(registries):
        registry.configure()


def make_transient(obj: Any) -> None:
    st = state_of(obj)
    if st is None:
        raise exc.UnmappedInstanceError(f"{obj!r} is not mapped")
    if st.session is not None:
        st.session._make_transient(st)
    st.key = None
    st.deleted = False
    st.was_deleted = False


__all__ = [
    "DeclarativeBase",
    "InstanceState",
    "InstrumentedList",
    "Mapped",
    "MappedColumn",
    "Query",
    "ReplicaSet",
    "Session",
    "backref",
    "configure_mappers",
    "declarative_base",
    "identity_key",
    "inspect",
    "joinedload",
    "lazyload",
    "make_transient",
    "mapped_column",
    "noload",
    "raiseload",
    "relationship",
    "run_transaction",
    "selectinload",
    "sessionmaker",
]
