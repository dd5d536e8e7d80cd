"""``uow_orm.sql.functions``: SQL function classes under SQLAlchemy's module name
(``from sqlalchemy.sql.functions import GenericFunction, coalesce``).

The function machinery is defined in `uow_orm.sql.elements`; this module adds
SQLAlchemy's named function classes (``count``, ``coalesce``, ``now``, ...). Each is a
`GenericFunction`, so ``func.<name>(...)`` builds it (case-insensitively, as in SQLAlchemy)
and ``isinstance(func.count(), count)`` holds; its SQL and return type are those of
``func.<name>`` (worked out by name in `Function`).

Called by: uow_orm.sql (imported there, so ``func.<name>`` builds these classes whatever
the application imports), user code.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from .elements import (
    Function,
    FunctionFilter,
    GenericFunction,
    Over,
    ReturnTypeFromArgs,
    WithinGroup,
    _FunctionGenerator,
    _generic_functions,
    func,
)

#: SQLAlchemy's name of the base of function calls.
FunctionElement = Function


def register_function(identifier: str, fn: type[Function], package: str = "_default") -> None:
    """Make ``func.<identifier>(...)`` build ``fn`` (a `GenericFunction` subclass), as
    SQLAlchemy's ``register_function``; subclassing `GenericFunction` does this already.

    Raises:
        ArgumentError: ``fn`` is not a `GenericFunction` subclass, or ``package`` is not
            the default one (uow_orm has one ``func`` namespace).
    """
    if package != "_default":
        raise exc.ArgumentError(
            f"register_function(package={package!r}): uow_orm has one func namespace"
        )
    if not (isinstance(fn, type) and issubclass(fn, GenericFunction)):
        raise exc.ArgumentError(f"register_function() takes a GenericFunction subclass, got {fn!r}")
    _generic_functions[identifier.lower()] = fn


class AnsiFunction(GenericFunction):
    """Base of the SQL-standard functions written without parentheses when called without
    arguments (``CURRENT_TIMESTAMP``, ``LOCALTIME``, ``USER``, ...)."""


class OrderedSetAgg(GenericFunction):
    """Base of the ordered-set aggregates used with ``within_group()``
    (``percentile_cont(0.5).within_group(col)``)."""


class count(GenericFunction):
    """``count(expr)``; ``count()`` is ``count(*)``; Integer."""

    def __init__(self, *args: Any, type_: Any = None) -> None:
        # SQLAlchemy's count(expression=None): count() and count(None) are count(*)
        super().__init__(*(a for a in args if a is not None), type_=type_)


class coalesce(ReturnTypeFromArgs):
    """``coalesce(a, b, ...)``: the first non-NULL argument; the type of the first."""


class max(ReturnTypeFromArgs):
    """``max(expr)``: the type of its argument."""


class min(ReturnTypeFromArgs):
    """``min(expr)``: the type of its argument."""


class sum(ReturnTypeFromArgs):
    """``sum(expr)``: the type of its argument."""


class concat(GenericFunction):
    """``concat(a, b, ...)`` (on SQLite before 3.44, ``a || b`` with NULLs as '')."""


class char_length(GenericFunction):
    """``char_length(expr)``: Integer."""


class array_agg(GenericFunction):
    """``array_agg(expr)``: an ARRAY of the argument's type."""


class now(GenericFunction):
    """``now()`` (``CURRENT_TIMESTAMP`` on SQLite): DateTime."""


class random(GenericFunction):
    """``random()``."""


class rank(GenericFunction):
    """``rank()`` window function: Integer."""


class dense_rank(GenericFunction):
    """``dense_rank()`` window function: Integer."""


class percent_rank(GenericFunction):
    """``percent_rank()`` window function: Numeric."""


class cume_dist(GenericFunction):
    """``cume_dist()`` window function: Numeric."""


class mode(OrderedSetAgg):
    """``mode() WITHIN GROUP (ORDER BY expr)``."""


class percentile_cont(OrderedSetAgg):
    """``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)``."""


class percentile_disc(OrderedSetAgg):
    """``percentile_disc(fraction) WITHIN GROUP (ORDER BY expr)``."""


class cube(GenericFunction):
    """``CUBE(a, b)`` in ``group_by()``."""


class rollup(GenericFunction):
    """``ROLLUP(a, b)`` in ``group_by()``."""


class current_date(AnsiFunction):
    """``CURRENT_DATE``: Date."""


class current_time(AnsiFunction):
    """``CURRENT_TIME``: Time."""


class current_timestamp(AnsiFunction):
    """``CURRENT_TIMESTAMP``: DateTime."""


class current_user(AnsiFunction):
    """``CURRENT_USER``: String."""


class localtime(AnsiFunction):
    """``LOCALTIME``: DateTime."""


class localtimestamp(AnsiFunction):
    """``LOCALTIMESTAMP``: DateTime."""


class session_user(AnsiFunction):
    """``SESSION_USER``: String."""


class user(AnsiFunction):
    """``USER``: String."""


# bases, not functions: func.ansifunction / func.orderedsetagg stay plain calls
_generic_functions.pop("ansifunction", None)
_generic_functions.pop("orderedsetagg", None)

__all__ = [
    "AnsiFunction",
    "Function",
    "FunctionElement",
    "FunctionFilter",
    "GenericFunction",
    "OrderedSetAgg",
    "Over",
    "ReturnTypeFromArgs",
    "WithinGroup",
    "_FunctionGenerator",
    "array_agg",
    "char_length",
    "coalesce",
    "concat",
    "count",
    "cube",
    "cume_dist",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "dense_rank",
    "func",
    "localtime",
    "localtimestamp",
    "max",
    "min",
    "mode",
    "now",
    "percent_rank",
    "percentile_cont",
    "percentile_disc",
    "random",
    "rank",
    "register_function",
    "rollup",
    "session_user",
    "sum",
    "user",
]
