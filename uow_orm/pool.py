"""``uow_orm.pool``: the connection pool classes under the module name SQLAlchemy gives them
(``from sqlalchemy.pool import StaticPool``); defined in `uow_orm.engine.pool`.

Called by: user code.
"""

from __future__ import annotations

from .engine.pool import (
    AssertionPool,
    ConnectionRecord,
    NullPool,
    Pool,
    PooledConnection,
    QueuePool,
    SingletonThreadPool,
    StaticPool,
)

__all__ = [
    "AssertionPool",
    "ConnectionRecord",
    "NullPool",
    "Pool",
    "PooledConnection",
    "QueuePool",
    "SingletonThreadPool",
    "StaticPool",
]
