"""The ``sqlalchemy.ext.declarative`` import path: ``ConcreteBase`` and
``AbstractConcreteBase``, and the names SQLAlchemy 1.4 moved to ``sqlalchemy.orm``.

Called by: user code (``from uow_orm.ext.declarative import declarative_base``).
"""

from __future__ import annotations

from ..orm.declarative import DeclarativeMeta, declarative_base, declared_attr
from ..orm.declarative_helpers import as_declarative, has_inherited_table, synonym_for
from ..orm.inheritance import AbstractConcreteBase, ConcreteBase

__all__ = [
    "AbstractConcreteBase",
    "ConcreteBase",
    "DeclarativeMeta",
    "as_declarative",
    "declarative_base",
    "declared_attr",
    "has_inherited_table",
    "synonym_for",
]
