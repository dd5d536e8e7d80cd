"""``sqlalchemy.engine.interfaces``: the names libraries import from it (``Dialect``, the
DBAPI connection and cursor protocols).

Called by: applications and libraries written for SQLAlchemy (``from
sqlalchemy.engine.interfaces import Dialect``); nothing in the package imports it.
"""

from __future__ import annotations

from .._typing import DBAPIConnection, DBAPICursor
from ..dialects.base import Dialect

__all__ = ["DBAPIConnection", "DBAPICursor", "Dialect"]
