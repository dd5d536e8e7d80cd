"""Small declarative helpers SQLAlchemy code imports by name: ``as_declarative``,
``has_inherited_table``, ``synonym_for`` and ``declarative_mixin``.

Called by: uow_orm.orm (re-exported), decl_api, uow_orm.ext.declarative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .declarative import declarative_base
from .properties import synonym

_C = TypeVar("_C", bound=type)


def as_declarative(**kw: Any) -> Callable[[type], Any]:
    """Class decorator making the decorated class a declarative base, as
    ``declarative_base(cls=TheClass, name=TheClass.__name__, **kw)`` would.

    ``kw`` are `declarative_base` keywords (``metadata``, ``class_registry``,
    ``type_annotation_map``, ...); an unknown one raises ``TypeError`` there.
    """

    def decorate(cls: type) -> Any:
        return declarative_base(cls=cls, name=cls.__name__, **kw)

    return decorate


def has_inherited_table(cls: type) -> bool:
    """True when a class ``cls`` inherits from already has a mapped table (used inside
    ``declared_attr`` functions to tell a base class from its subclasses)."""
    return any(base.__dict__.get("__table__") is not None for base in cls.__mro__[1:])


def synonym_for(name: str, map_column: bool = False) -> Callable[[Any], Any]:
    """Decorator form of ``synonym(name, descriptor=...)``: the decorated property is the
    instance-level behaviour of a synonym of the mapped attribute ``name``.

    Raises:
        ArgumentError: ``map_column=True`` (not supported, as for `synonym`).
    """

    def decorate(fn: Any) -> Any:
        return synonym(name, descriptor=fn, map_column=map_column or None)

    return decorate


def declarative_mixin(cls: _C) -> _C:
    """Mark a mixin class for type checkers (SQLAlchemy's marker); returns it unchanged."""
    return cls


__all__ = ["as_declarative", "declarative_mixin", "has_inherited_table", "synonym_for"]
