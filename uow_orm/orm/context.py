"""``sqlalchemy.orm.context``: the per-entity view of an ORM SELECT that libraries read
(``query._compile_state()._entities``; sqlalchemy-utils sorts and renders queries with it).

Called by: orm.query (``Query._compile_state``), and applications and libraries written
for SQLAlchemy.
"""

from __future__ import annotations

from typing import Any


class _QueryEntity:
    """One selected thing of an ORM SELECT: ``expr`` as it was given, ``entity_zero`` (the
    mapped class or alias it belongs to, or None) and its ``mapper`` (or None)."""

    def __init__(self, description: dict[str, Any]) -> None:
        self.expr = description["expr"]
        self.entity_zero = description["entity"]
        self.type = description["type"]
        self._label_name = description["name"]
        entity = self.entity_zero
        self.mapper = getattr(entity, "__mapper__", None) if entity is not None else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._label_name}>"


class _MapperEntity(_QueryEntity):
    """A mapped class (or an ``aliased()`` class) selected whole."""


class _ColumnEntity(_QueryEntity):
    """A column, column attribute or SQL expression selected on its own."""


class ORMSelectCompileState:
    """What a SELECT selects, entity by entity (SQLAlchemy's compile state, as far as
    libraries read it): ``statement``, ``_entities`` and ``_mapper_zero()``."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._entities: list[_QueryEntity] = [
            _MapperEntity(d)
            if d["entity"] is d["expr"] and getattr(d["expr"], "__mapper__", None) is not None
            else _ColumnEntity(d)
            for d in statement.column_descriptions
        ]

    def _mapper_zero(self) -> Any:
        """The mapper of the first selected entity that has one (None if none has)."""
        for e in self._entities:
            if e.mapper is not None:
                return e.mapper
        return None


__all__ = ["ORMSelectCompileState", "_ColumnEntity", "_MapperEntity", "_QueryEntity"]
