"""Mapper properties (``ColumnProperty``, the ``MapperProperty`` base) and the read-only
collections the mapper's inspection API returns them in.

Built by the mapper for every mapped attribute; read by code that inspects mappings
(``inspect(User).attrs``) and by ``RelationshipProperty``, which subclasses the base.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..schema import Column
    from .mapper import Mapper

_V = TypeVar("_V")


class Properties(dict[str, _V]):
    """SQLAlchemy's read-only properties collection: a mapping by key whose *iteration*
    yields the values (``for prop in mapper.attrs``), with attribute access by key
    (``mapper.attrs.name``) and ``keys()`` / ``items()`` / ``values()`` / ``in`` by key.

    The ORM itself fills it; it is a dict underneath so that the ORM's own lookups by key
    cost what a dict lookup costs.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[_V]:  # type: ignore[override]
        return iter(self.values())

    def __getattr__(self, key: str) -> _V:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __repr__(self) -> str:
        return f"Properties({', '.join(self.keys())})"


class MapperProperty:
    """A mapped attribute of a class, as the mapper sees it (`ColumnProperty`,
    `RelationshipProperty`): its ``key``, owning mapper (``parent``), ``info`` and ``doc``."""

    is_property = True
    is_mapper = False
    is_relationship = False
    _is_relationship = False

    key: str
    parent: Mapper
    info: dict[str, Any]
    doc: str | None

    @property
    def class_attribute(self) -> Any:
        """The instrumented class attribute (``User.name``) of this property."""
        return self.parent.class_.__dict__[self.key]

    @property
    def property(self) -> MapperProperty:
        """The property itself (``attribute.property`` and ``prop.property`` agree)."""
        return self


class ColumnProperty(MapperProperty):
    """A column mapped to an attribute: ``inspect(User).attrs.name``.

    ``columns`` is the list of mapped columns (one), ``expression`` that column, ``deferred``
    always False (every column loads with its row), ``doc`` the column's ``doc``.
    """

    deferred = False
    group = None
    active_history = False
    instrument = True
    raiseload = False

    def __init__(self, key: str, parent: Mapper, column: Column[Any]) -> None:
        self.key = key
        self.parent = parent
        self.columns: list[Column[Any]] = [column]
        self.info: dict[str, Any] = {}
        self.doc = column.doc

    @property
    def expression(self) -> Column[Any]:
        """The SQL expression of the attribute: its column."""
        return self.columns[0]

    def __clause_element__(self) -> Column[Any]:
        return self.columns[0]

    def __repr__(self) -> str:
        return f"<ColumnProperty {self.parent.class_.__name__}.{self.key}>"


__all__ = ["ColumnProperty", "MapperProperty", "Properties"]
