"""``uow_orm.util``: the few general helpers of ``sqlalchemy.util`` that application recipes
import (``util.OrderedDict`` in SQLAlchemy's versioned-history recipe).

Called by: user code.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any


def to_list(x: Any, default: list[Any] | None = None) -> list[Any] | None:
    """``x`` as a list: None gives ``default``, a string or other scalar a one-item list,
    any other iterable its items."""
    if x is None:
        return default
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        return [x]
    return list(x)


__all__ = ["OrderedDict", "to_list"]
