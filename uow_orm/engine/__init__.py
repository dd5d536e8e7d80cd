"""Engines, connections, pools and results.

Called by: uow_orm.
"""

from __future__ import annotations

from .base import (
    Connection,
    Engine,
    NestedTransaction,
    OptionEngine,
    Transaction,
    TwoPhaseTransaction,
)
from .create import create_engine
from .pool import NullPool, Pool, QueuePool, StaticPool
from .reflection import Inspector
from .result import FrozenResult, MappingResult, Result, Row, RowMapping, ScalarResult
from .url import URL, make_url

__all__ = [
    "URL",
    "Connection",
    "Engine",
    "FrozenResult",
    "Inspector",
    "MappingResult",
    "NestedTransaction",
    "NullPool",
    "OptionEngine",
    "Pool",
    "QueuePool",
    "Result",
    "Row",
    "RowMapping",
    "ScalarResult",
    "StaticPool",
    "Transaction",
    "TwoPhaseTransaction",
    "create_engine",
    "make_url",
]

# SQLAlchemy's other names for the result class, and the configuration-file constructor.
from .create import engine_from_config

CursorResult = Result
ResultProxy = Result

__all__ += ["CursorResult", "ResultProxy", "engine_from_config"]
