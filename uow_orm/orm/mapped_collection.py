"""``uow_orm.orm.mapped_collection``: the dictionary collections under SQLAlchemy's
module path (``sqlalchemy.orm.mapped_collection``); re-exports only.

Called by: applications that import ``sqlalchemy.orm.mapped_collection`` names.
"""

from __future__ import annotations

from .alt_names import (
    MappedCollection,
    attribute_mapped_collection,
    column_mapped_collection,
    mapped_collection,
)
from .collections import (
    KeyFuncDict,
    attribute_keyed_dict,
    collection,
    collection_adapter,
    column_keyed_dict,
    keyfunc_mapping,
)

__all__ = [
    "KeyFuncDict",
    "MappedCollection",
    "attribute_keyed_dict",
    "attribute_mapped_collection",
    "collection",
    "collection_adapter",
    "column_keyed_dict",
    "column_mapped_collection",
    "keyfunc_mapping",
    "mapped_collection",
]
