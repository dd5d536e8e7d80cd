"""SQLAlchemy's other spellings of ORM helpers uow_orm has under its 2.0 names.

``dynamic_loader`` and the ``*_mapped_collection`` names of the keyed-dict collections;
re-exported by ``uow_orm.orm`` (and ``uow_orm``).

Called by: uow_orm.orm (the public re-export), mapped_collection (SQLAlchemy's module path).
"""

from __future__ import annotations

from typing import Any

from .. import exc
from .collections import KeyFuncDict, attribute_keyed_dict, column_keyed_dict, keyfunc_mapping
from .relationships import relationship

#: SQLAlchemy's 1.x names of `attribute_keyed_dict`, `column_keyed_dict`,
#: `keyfunc_mapping` and `KeyFuncDict` (still documented in 2.0)
attribute_mapped_collection = attribute_keyed_dict
column_mapped_collection = column_keyed_dict
mapped_collection = keyfunc_mapping
MappedCollection = KeyFuncDict


def dynamic_loader(argument: Any = None, **kw: Any) -> Any:
    """``relationship(argument, lazy="dynamic", **kw)``: SQLAlchemy's ``dynamic_loader``.

    Raises:
        ArgumentError: ``lazy=`` is given too (it would be ignored).
    """
    if "lazy" in kw:
        raise exc.ArgumentError("dynamic_loader() is lazy='dynamic'; it takes no lazy=")
    return relationship(argument, lazy="dynamic", **kw)


__all__ = [
    "MappedCollection",
    "attribute_mapped_collection",
    "column_mapped_collection",
    "dynamic_loader",
    "mapped_collection",
]
