"""Association proxies: an attribute that reads (and writes) one attribute of the objects a
relationship points to, as in ``sqlalchemy.ext.associationproxy``.

Used in mapped class bodies: ``keywords = association_proxy("kw", "keyword")`` makes
``user.keywords`` a live list of strings over the ``user.kw`` collection.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableSequence
from typing import Any, Generic, SupportsIndex, TypeVar, overload

from .. import exc
from ..sql.elements import ColumnElement

_T = TypeVar("_T")


class AssociationProxy(Generic[_T]):
    """What `association_proxy` returns (a descriptor on the mapped class)."""

    def __init__(
        self,
        target_collection: str,
        attr: str,
        *,
        creator: Callable[[Any], Any] | None = None,
        getset_factory: Any = None,
        proxy_factory: Any = None,
    ) -> None:
        if getset_factory is not None or proxy_factory is not None:
            raise exc.ArgumentError(
                "association_proxy(getset_factory=..., proxy_factory=...) is not supported"
            )
        self.target_collection = target_collection
        self.value_attr = attr
        self.creator = creator
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def _prop(self, owner: type) -> Any:
        mapper = getattr(owner, "__mapper__", None)
        if mapper is None:
            raise exc.InvalidRequestError(f"{owner.__name__} is not mapped")
        mapper._ensure_configured()
        prop = mapper.relationships.get(self.target_collection)
        if prop is None:
            raise exc.InvalidRequestError(
                f"association_proxy {owner.__name__}.{self.key}: "
                f"{self.target_collection!r} is not a relationship of {owner.__name__}"
            )
        return prop

    def _create(self, owner: type, value: Any) -> Any:
        if self.creator is not None:
            return self.creator(value)
        target = self._prop(owner).mapper.class_
        return target(**{self.value_attr: value})

    @overload
    def __get__(self, instance: None, owner: Any) -> AssociationProxyExpr: ...
    @overload
    def __get__(self, instance: object, owner: Any) -> Any: ...
    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return AssociationProxyExpr(self, owner)
        prop = self._prop(type(instance))
        if prop.uselist:
            return _AssociationList(self, instance)
        target = getattr(instance, self.target_collection)
        return None if target is None else getattr(target, self.value_attr)

    def __set__(self, instance: Any, value: Any) -> None:
        prop = self._prop(type(instance))
        if prop.uselist:
            coll = getattr(instance, self.target_collection)
            coll[:] = [self._create(type(instance), v) for v in value]
            return
        target = getattr(instance, self.target_collection)
        if value is None:
            setattr(instance, self.target_collection, None)
        elif target is None:
            setattr(instance, self.target_collection, self._create(type(instance), value))
        else:
            setattr(target, self.value_attr, value)

    def __delete__(self, instance: Any) -> None:
        setattr(instance, self.target_collection, None)


class AssociationProxyExpr:
    """``User.keywords`` on the class: ``any()``, ``has()``, ``contains()``, ``==``."""

    __hash__ = object.__hash__

    def __init__(self, proxy: AssociationProxy[Any], owner: type) -> None:
        self.proxy = proxy
        self.owner = owner

    def _rel_attr(self) -> Any:
        self.proxy._prop(self.owner)
        return getattr(self.owner, self.proxy.target_collection)

    def _target_attr(self) -> Any:
        return getattr(self.proxy._prop(self.owner).mapper.class_, self.proxy.value_attr)

    def any(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        """EXISTS a related object whose proxied value matches ``criterion``."""
        target = self._target_attr()
        if getattr(target, "is_relationship", False):
            return self._rel_attr().any(target.any(criterion, **kw))  # type: ignore[no-any-return]
        crit = criterion if criterion is not None else target.isnot(None)
        return self._rel_attr().any(crit, **kw)  # type: ignore[no-any-return]

    def has(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        """For a scalar relationship: its object matches ``criterion``."""
        target = self._target_attr()
        crit = criterion if criterion is not None else target.isnot(None)
        return self._rel_attr().has(crit, **kw)  # type: ignore[no-any-return]

    def contains(self, value: Any) -> ColumnElement:
        """EXISTS a related object whose proxied value equals ``value``."""
        target = self._target_attr()
        if getattr(target, "is_relationship", False):
            return self._rel_attr().any(target.contains(value))  # type: ignore[no-any-return]
        return self._rel_attr().any(target == value)  # type: ignore[no-any-return]

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        prop = self.proxy._prop(self.owner)
        if prop.uselist:
            raise exc.InvalidRequestError(
                f"{self.owner.__name__}.{self.proxy.key} is a collection proxy; use "
                "contains() or any()"
            )
        return self._rel_attr().has(self._target_attr() == other)  # type: ignore[no-any-return]

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        from ..sql.elements import not_

        return not_(self == other)


class _AssociationList(MutableSequence[Any]):
    """``user.keywords``: a live list view of one attribute of a relationship collection."""

    def __init__(self, proxy: AssociationProxy[Any], instance: Any) -> None:
        self._proxy = proxy
        self._instance = instance

    @property
    def _coll(self) -> Any:
        return getattr(self._instance, self._proxy.target_collection)

    def _get(self, obj: Any) -> Any:
        return getattr(obj, self._proxy.value_attr)

    def _create(self, value: Any) -> Any:
        return self._proxy._create(type(self._instance), value)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._get(o) for o in self._coll[index]]
        return self._get(self._coll[index])

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            self._coll[index] = [self._create(v) for v in value]
        else:
            setattr(self._coll[index], self._proxy.value_attr, value)

    def __delitem__(self, index: Any) -> None:
        del self._coll[index]

    def __len__(self) -> int:
        return len(self._coll)

    def __iter__(self) -> Iterator[Any]:
        return (self._get(o) for o in list(self._coll))

    def __contains__(self, value: object) -> bool:
        return any(self._get(o) == value for o in self._coll)

    def insert(self, index: SupportsIndex, value: Any) -> None:
        self._coll.insert(index, self._create(value))

    def append(self, value: Any) -> None:
        self._coll.append(self._create(value))

    def extend(self, values: Iterable[Any]) -> None:
        for v in values:
            self.append(v)

    def remove(self, value: Any) -> None:
        for o in self._coll:
            if self._get(o) == value:
                self._coll.remove(o)
                return
        raise ValueError(f"{value!r} is not in the list")

    def clear(self) -> None:
        self._coll.clear()

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    def __ne__(self, other: object) -> bool:
        return list(self) != other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


def association_proxy(
    target_collection: str,
    attr: str,
    *,
    creator: Callable[[Any], Any] | None = None,
    getset_factory: Any = None,
    proxy_factory: Any = None,
) -> Any:
    """An attribute reading ``attr`` of the object(s) relationship ``target_collection``
    points to: a live list for a collection, the value itself for a scalar relationship.

    Appending (or assigning) a value builds the related object with ``creator(value)``,
    or ``Target(attr=value)`` when no creator is given.

    Raises:
        ArgumentError: for ``getset_factory`` / ``proxy_factory`` (not supported).
    """
    return AssociationProxy(
        target_collection,
        attr,
        creator=creator,
        getset_factory=getset_factory,
        proxy_factory=proxy_factory,
    )


__all__ = ["AssociationProxy", "AssociationProxyExpr", "association_proxy"]
