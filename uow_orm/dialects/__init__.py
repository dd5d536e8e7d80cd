"""Database dialects: what differs between SQLite and PostgreSQL, and nothing else."""

from __future__ import annotations

from .base import Dialect

__all__ = ["Dialect"]
