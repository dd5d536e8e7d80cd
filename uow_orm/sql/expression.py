"""``uow_orm.sql.expression``: the expression language under the module name SQLAlchemy
gives it (``from sqlalchemy.sql.expression import cast``); everything is defined in
`uow_orm.sql` and only re-exported here, so the two name lists cannot drift apart.

Called by: user code.
"""

from __future__ import annotations

from . import *  # noqa: F403 (the public names of uow_orm.sql, listed once there)
from . import __all__ as _SQL_NAMES

__all__ = [n for n in _SQL_NAMES if n not in ("functions", "operators")]
