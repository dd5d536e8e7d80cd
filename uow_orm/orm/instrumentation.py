"""``uow_orm.orm.instrumentation``: what uow_orm can answer of SQLAlchemy's
``sqlalchemy.orm.instrumentation`` (an object's state and dict, and whether an attribute
of it is instrumented). uow_orm has no ``ClassManager``: the mapper holds what it would,
so ``manager_of_class`` and the instrumentation factories are not provided.

Called by: libraries that import ``sqlalchemy.orm.instrumentation`` names.
"""

from __future__ import annotations

from typing import Any

from .base import class_mapper, instance_dict, instance_state


def is_instrumented(instance: Any, key: str) -> bool:
    """True when ``key`` is a mapped (instrumented) attribute of ``instance``'s class: a
    column, relationship, synonym or composite, inherited ones included.

    Raises:
        UnmappedClassError: ``instance``'s class is not mapped.
    """
    return key in class_mapper(type(instance)).attrs


__all__ = ["instance_dict", "instance_state", "is_instrumented"]
