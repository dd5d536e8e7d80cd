"""Engines, connections, pools and results.

Called by: uow_orm.
"""

from __future__ import annotations

# SQLAlchemy's submodule paths (engine.row, engine.cursor, ...) and the dialect and
# event-context classes it names at this level
from . import cursor, default, interfaces, row
from .base import (
    Connection,
    Engine,
    NestedTransaction,
    OptionEngine,
    Transaction,
    TwoPhaseTransaction,
)
from .create import create_engine
from .interfaces import Dialect, ExceptionContext, ExecutionContext
from .pool import AssertionPool, NullPool, Pool, QueuePool, SingletonThreadPool, StaticPool
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

__all__ += ["AssertionPool", "Dialect", "ExceptionContext", "ExecutionContext"]
__all__ += ["SingletonThreadPool"]
__all__ += ["cursor", "default", "interfaces", "row"]
