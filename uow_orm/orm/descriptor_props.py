"""``uow_orm.orm.descriptor_props``: the composite and synonym properties under
SQLAlchemy's module path (``sqlalchemy.orm.descriptor_props``); re-exports only.

Called by: applications and libraries that import ``sqlalchemy.orm.descriptor_props``
names (``isinstance(prop, CompositeProperty)`` when walking ``Mapper.attrs``).
"""

from __future__ import annotations

from .properties import CompositeProperty, SynonymProperty

#: SQLAlchemy's 2.0 names of `CompositeProperty` and `SynonymProperty`
Composite = CompositeProperty
Synonym = SynonymProperty

__all__ = ["Composite", "CompositeProperty", "Synonym", "SynonymProperty"]
