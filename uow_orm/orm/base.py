"""``class_mapper``, ``object_mapper``, ``object_state``, ``object_session`` (and the names
``sqlalchemy.orm.base`` also has): lookups from objects and classes to their ORM bookkeeping.

Called by code written for SQLAlchemy (serializers, fixture factories, admin tools); each
is a thin, checked wrapper over the mapper and the per-object state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import exc
from .attributes import instance_dict, instance_state
from .relationships import Direction
from .state import NO_VALUE, InstanceState, state_of

if TYPE_CHECKING:
    from .mapper import Mapper
    from .session import Session


def class_mapper(class_: type, configure: bool = True) -> Mapper:
    """The `Mapper` of a mapped class (relationships configured unless ``configure=False``).

    Raises:
        UnmappedClassError: ``class_`` is not a mapped class.
    """
    mapper = getattr(class_, "__mapper__", None) if isinstance(class_, type) else None
    if mapper is None:
        raise exc.UnmappedClassError(f"class {class_!r} is not mapped")
    if configure:
        mapper._ensure_configured()
    return mapper  # type: ignore[no-any-return]


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


def object_session(instance: Any) -> Session | None:
    """The Session a mapped object belongs to, or None (transient or detached).

    Raises:
        UnmappedInstanceError: ``instance`` is not an instance of a mapped class.
    """
    return object_state(instance).session


MANYTOONE = Direction.MANYTOONE
ONETOMANY = Direction.ONETOMANY
MANYTOMANY = Direction.MANYTOMANY

__all__ = [
    "MANYTOMANY",
    "MANYTOONE",
    "NO_VALUE",
    "ONETOMANY",
    "class_mapper",
    "instance_dict",
    "instance_state",
    "object_mapper",
    "object_session",
    "object_state",
]
