"""``uow_orm.inspection``: where ``sqlalchemy.inspection.inspect`` lives for code that
imports it from there (``from sqlalchemy.inspection import inspect``)."""

from __future__ import annotations

from .orm import inspect

__all__ = ["inspect"]
