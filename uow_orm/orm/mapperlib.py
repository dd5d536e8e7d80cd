"""``sqlalchemy.orm.mapperlib``: the mapper module under the name SQLAlchemy gives it
(``from sqlalchemy.orm import mapperlib``; libraries call ``mapperlib._all_registries()``).

Called by: applications and libraries written for SQLAlchemy; nothing in the package.
"""

from __future__ import annotations

from .mapper import Mapper, _all_registries, registries

__all__ = ["Mapper", "_all_registries", "registries"]
