"""SQLAlchemy's ``sql.sqltypes`` name for the type module, for code importing it that way.

Nothing in uow_orm imports this module; it re-exports `uow_orm.types`.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from ..types import *  # noqa: F403
from ..types import NULLTYPE
from ..types import __all__ as _names

__all__ = [*_names, "NULLTYPE"]
