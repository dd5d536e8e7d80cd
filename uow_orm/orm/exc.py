"""``uow_orm.orm.exc``: the ORM exception names that ``sqlalchemy.orm.exc`` has.

Imported by code written for SQLAlchemy (``from sqlalchemy.orm.exc import NoResultFound``).
Every class is the one in `uow_orm.exc` (this module re-exports that whole tree too), so
``except uow_orm.exc.StaleDataError`` and ``except uow_orm.orm.exc.StaleDataError`` agree.

Called by: applications (``uow_orm.orm.exc``, as ``sqlalchemy.orm.exc``).
"""

from __future__ import annotations

from ..exc import *  # noqa: F403 - the whole tree, by the same names
from ..exc import StaleDataError
from ..exc import __all__ as _exc_all

#: SQLAlchemy's older name for `StaleDataError`.
ConcurrentModificationError = StaleDataError

#: What attribute and state lookups raise for an object that is not instrumented
#: (``except NO_STATE:``), as in SQLAlchemy.
NO_STATE = (AttributeError, KeyError)

__all__ = [*_exc_all, "NO_STATE", "ConcurrentModificationError"]
