"""``uow_orm.inspection``: where ``sqlalchemy.inspection.inspect`` lives for code that
imports it from there (``from sqlalchemy.inspection import inspect``).

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from .orm import inspect

__all__ = ["inspect"]
