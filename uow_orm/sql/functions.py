"""``uow_orm.sql.functions``: SQL function classes under SQLAlchemy's module name
(``from sqlalchemy.sql.functions import GenericFunction``); defined in
`uow_orm.sql.elements`.

Called by: user code.
"""

from __future__ import annotations

from .elements import (
    Function,
    GenericFunction,
    ReturnTypeFromArgs,
    _FunctionGenerator,
    func,
)

#: SQLAlchemy's name of the base of function calls.
FunctionElement = Function

__all__ = [
    "Function",
    "FunctionElement",
    "GenericFunction",
    "ReturnTypeFromArgs",
    "_FunctionGenerator",
    "func",
]
