"""``uow_orm.pool``: the connection pool classes under the module name SQLAlchemy gives them
(``from sqlalchemy.pool import StaticPool``); defined in `uow_orm.engine.pool`.

Called by: user code.
"""

from __future__ import annotations

from .engine.pool import ConnectionRecord, NullPool, Pool, PooledConnection, QueuePool, StaticPool

__all__ = ["ConnectionRecord", "NullPool", "Pool", "PooledConnection", "QueuePool", "StaticPool"]
