"""Schema migrations built into uow_orm, with Alembic's operation names.

Revision files import ``op`` from here; applications and tests call the commands
(``upgrade``, ``revision``, ``check``...) with a ``Config``; the command line is
``python -m uow_orm.migrate``. See the migrations guide in the docs.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from .autogenerate import Change, Comparison, compare
from .commands import (
    Config,
    check,
    current,
    downgrade,
    heads,
    history,
    init,
    revision,
    sql,
    stamp,
    upgrade,
    verify,
)
from .operations import Operations, op
from .script import MigrationError, Revision, ScriptDirectory

__all__ = [
    "Change",
    "Comparison",
    "Config",
    "MigrationError",
    "Operations",
    "Revision",
    "ScriptDirectory",
    "check",
    "compare",
    "current",
    "downgrade",
    "heads",
    "history",
    "init",
    "op",
    "revision",
    "sql",
    "stamp",
    "upgrade",
    "verify",
]
