"""Database dialects: what differs between SQLite and PostgreSQL, and nothing else.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from .base import Dialect

__all__ = ["Dialect"]
