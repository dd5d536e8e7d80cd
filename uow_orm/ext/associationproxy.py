"""Association proxies: an attribute that reads (and writes) one attribute of the objects a
relationship points to, as in ``sqlalchemy.ext.associationproxy``.

Used in mapped class bodies: ``keywords = association_proxy("kw", "keyword")`` makes
``user.keywords`` a live list (set, dict) of strings over the ``user.kw`` collection, and
``User.keywords`` an `AssociationProxyInstance` usable in queries.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    Iterable,
    Iterator,
    MutableMapping,
    MutableSequence,
    MutableSet,
)
from typing import Any, SupportsIndex, TypeVar, overload

from .. import exc
from ..orm.base import InspectionAttrExtensionType, InspectionAttrInfo, ORMDescriptor
from ..sql.elements import ColumnElement, or_

_T = TypeVar("_T")


class AssociationProxyExtensionType(InspectionAttrExtensionType):
    """``AssociationProxy.extension_type`` (as in SQLAlchemy), read by libraries walking
    ``inspect(Class).all_orm_descriptors``."""

    ASSOCIATION_PROXY = "ASSOCIATION_PROXY"


class AssociationProxy(InspectionAttrInfo, ORMDescriptor[_T]):
    """What `association_proxy` returns: a descriptor on the mapped class. On an object it
    gives the proxied value (scalar relationship) or a live collection of values; on the
    class, the `AssociationProxyInstance` for that class."""

    extension_type = AssociationProxyExtensionType.ASSOCIATION_PROXY
    is_attribute = True

    def __init__(
        self,
        target_collection: str,
        attr: str,
        *,
        creator: Callable[..., Any] | None = None,
        getset_factory: Any = None,
        proxy_factory: Any = None,
        proxy_bulk_set: Any = None,
        info: dict[str, Any] | None = None,
        cascade_scalar_deletes: bool = False,
        create_on_none_assignment: bool = False,
    ) -> None:
        for name, given in (
            ("getset_factory", getset_factory),
            ("proxy_factory", proxy_factory),
            ("proxy_bulk_set", proxy_bulk_set),
        ):
            if given is not None:
                raise exc.ArgumentError(f"association_proxy({name}=...) is not supported")
        #: the relationship the proxy goes through
        self.target_collection = target_collection
        #: the attribute read on each related object
        self.value_attr = attr
        self.creator = creator
        self.info: dict[str, Any] = dict(info) if info else {}
        self.cascade_scalar_deletes = cascade_scalar_deletes
        self.create_on_none_assignment = create_on_none_assignment
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def __repr__(self) -> str:
        return f"AssociationProxy({self.target_collection!r}, {self.value_attr!r})"

    def for_class(self, class_: type, obj: Any = None) -> AssociationProxyInstance:
        """The `AssociationProxyInstance` of this proxy on mapped class ``class_``."""
        return AssociationProxyInstance._make(self, class_)

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

    def _create(self, owner: type, *args: Any) -> Any:
        """A new related object for ``value`` (or ``key, value`` for a dict collection):
        ``creator(...)``, else the target class called as SQLAlchemy calls it (the value
        positionally), or with ``value_attr=value`` for the declarative constructor."""
        if self.creator is not None:
            return self.creator(*args)
        target = self._prop(owner).mapper.class_
        from ..orm.declarative import _declarative_constructor

        if getattr(target, "__init__", None) is not _declarative_constructor:
            return target(*args)
        if len(args) == 2:
            raise exc.ArgumentError(
                f"association_proxy {owner.__name__}.{self.key} proxies a dict collection; "
                "give creator=lambda key, value: ... to build its related objects"
            )
        return target(**{self.value_attr: args[0]})

    def _kind(self, owner: type) -> str:
        """ "scalar", "list", "set" or "dict": the shape of the proxied collection."""
        prop = self._prop(owner)
        if not prop.uselist:
            return "scalar"
        kind = prop._collection.kind if prop._collection is not None else "list"
        return kind if kind in ("set", "dict") else "list"

    @overload
    def __get__(self, instance: None, owner: Any) -> AssociationProxyInstance: ...
    @overload
    def __get__(self, instance: object, owner: Any) -> Any: ...
    def __get__(self, instance: Any, owner: Any) -> Any:
        if instance is None:
            return AssociationProxyInstance._make(self, owner)
        kind = self._kind(type(instance))
        if kind == "scalar":
            target = getattr(instance, self.target_collection)
            return None if target is None else getattr(target, self.value_attr)
        return _COLLECTIONS[kind](self, instance)

    def __set__(self, instance: Any, value: Any) -> None:
        owner = type(instance)
        kind = self._kind(owner)
        if kind == "scalar":
            target = getattr(instance, self.target_collection)
            if target is None:
                if value is None and not self.create_on_none_assignment:
                    return
                setattr(instance, self.target_collection, self._create(owner, value))
                return
            setattr(target, self.value_attr, value)
            if value is None and self.cascade_scalar_deletes:
                setattr(instance, self.target_collection, None)
            return
        proxy = _COLLECTIONS[kind](self, instance)
        if isinstance(value, _ProxiedCollection) and value._same_as(proxy):
            return  # ``user.tags |= {...}`` assigns the proxy to itself
        proxy._assign(value)

    def __delete__(self, instance: Any) -> None:
        if self._kind(type(instance)) == "scalar":
            target = getattr(instance, self.target_collection)
            if target is not None:
                setattr(target, self.value_attr, None)
        setattr(instance, self.target_collection, None)


class AssociationProxyInstance:
    """``User.keywords`` on the class: the proxy bound to one mapped class, with SQL
    comparisons (``any()``, ``has()``, ``contains()``, ``==``, and for a proxied column
    every column operator: ``like()``, ``in_()``, ...) that become EXISTS subqueries
    along the relationship.

    `ColumnAssociationProxyInstance` (the proxied attribute is a column) and
    `ObjectAssociationProxyInstance` (it is a relationship) are what the class attribute
    gives, as in SQLAlchemy.
    """

    __hash__ = object.__hash__

    def __init__(self, parent: AssociationProxy[Any], owning_class: type) -> None:
        self.parent = parent
        self.owning_class = owning_class
        self._rel = parent._prop(owning_class)

    @staticmethod
    def _make(parent: AssociationProxy[Any], owner: type) -> AssociationProxyInstance:
        prop = parent._prop(owner)
        remote = getattr(prop.mapper.class_, parent.value_attr)
        if getattr(remote, "is_relationship", False) or isinstance(
            remote, AssociationProxyInstance
        ):
            return ObjectAssociationProxyInstance(parent, owner)
        return ColumnAssociationProxyInstance(parent, owner)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.parent!r})"

    # -- what SQLAlchemy's instance exposes ----------------------------------------------
    @property
    def target_collection(self) -> str:
        """The name of the relationship the proxy goes through."""
        return self.parent.target_collection

    @property
    def value_attr(self) -> str:
        """The name of the attribute read on each related object."""
        return self.parent.value_attr

    @property
    def info(self) -> dict[str, Any]:
        """The proxy's ``info`` dictionary."""
        return self.parent.info

    @property
    def target_class(self) -> type:
        """The class of the related objects."""
        return self._rel.mapper.class_  # type: ignore[no-any-return]

    @property
    def scalar(self) -> bool:
        """True when the relationship is scalar (many-to-one / one-to-one)."""
        return not self._rel.uselist

    @property
    def collection_class(self) -> type | None:
        """list, set or dict: the collection type users see (None for a scalar)."""
        kind = self.parent._kind(self.owning_class)
        return {"list": list, "set": set, "dict": dict}.get(kind)

    @property
    def local_attr(self) -> Any:
        """The relationship attribute on the owning class (``User.kw``)."""
        return getattr(self.owning_class, self.target_collection)

    @property
    def remote_attr(self) -> Any:
        """The proxied attribute on the target class (``Keyword.keyword``)."""
        return getattr(self.target_class, self.value_attr)

    @property
    def attr(self) -> tuple[Any, Any]:
        """``(local_attr, remote_attr)``."""
        return (self.local_attr, self.remote_attr)

    # -- SQL ----------------------------------------------------------------------------
    def _exists(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        """EXISTS a related object (matching ``criterion``) along the relationship."""
        if self.scalar:
            return self.local_attr.has(criterion, **kw)  # type: ignore[no-any-return]
        return self.local_attr.any(criterion, **kw)  # type: ignore[no-any-return]

    def any(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        """EXISTS a related object whose proxied value matches ``criterion`` (a proxied
        relationship is searched with its own ``any()`` / ``has()``).

        Raises:
            InvalidRequestError: the proxy is scalar (use `has`).
        """
        if self.scalar:
            raise exc.InvalidRequestError(
                f"{self.owning_class.__name__}.{self.parent.key} is scalar: 'any()' is not "
                "implemented for scalar attributes; use has()"
            )
        return self.local_attr.any(self._inner(criterion, kw))  # type: ignore[no-any-return]

    def has(self, criterion: Any = None, **kw: Any) -> ColumnElement:
        """For a scalar proxy: its related object's proxied value matches ``criterion``.

        Raises:
            InvalidRequestError: the proxy is a collection (use `any`).
        """
        if not self.scalar:
            raise exc.InvalidRequestError(
                f"{self.owning_class.__name__}.{self.parent.key} is a collection: 'has()' is "
                "not implemented for collections; use any()"
            )
        return self.local_attr.has(self._inner(criterion, kw))  # type: ignore[no-any-return]

    def _inner(self, criterion: Any, kw: dict[str, Any]) -> Any:
        remote = self.remote_attr
        if getattr(remote, "is_relationship", False) or isinstance(
            remote, AssociationProxyInstance
        ):
            if (
                remote.scalar
                if isinstance(remote, AssociationProxyInstance)
                else (not remote.property.uselist)
            ):
                return remote.has(criterion, **kw)
            return remote.any(criterion, **kw)
        if kw:
            raise exc.ArgumentError(
                f"{self.owning_class.__name__}.{self.parent.key} proxies a column; give a "
                "criterion, not keyword arguments"
            )
        return criterion if criterion is not None else remote.is_not(None)


class ColumnAssociationProxyInstance(AssociationProxyInstance):
    """A proxy of a column: each column operator becomes ``EXISTS (related object whose
    column <op> value)`` (``User.keywords == "x"``, ``User.keywords.like("%x")``)."""

    def _op(self, criterion: ColumnElement) -> ColumnElement:
        return self._exists(criterion)

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        expr = self._exists(self.remote_attr == other)
        if other is None:  # also true when there is no related object at all
            return or_(expr, ~self._exists())
        return expr

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        return self._exists(self.remote_attr != other)

    def __lt__(self, other: Any) -> ColumnElement:
        return self._exists(self.remote_attr < other)

    def __le__(self, other: Any) -> ColumnElement:
        return self._exists(self.remote_attr <= other)

    def __gt__(self, other: Any) -> ColumnElement:
        return self._exists(self.remote_attr > other)

    def __ge__(self, other: Any) -> ColumnElement:
        return self._exists(self.remote_attr >= other)

    def __getattr__(self, name: str) -> Any:
        # the column's other operators (like, ilike, in_, startswith, contains, is_, ...):
        # the comparison made on the proxied column, inside EXISTS
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self.remote_attr, name)
        if not callable(method):
            raise AttributeError(name)

        def operator(*args: Any, **kw: Any) -> ColumnElement:
            return self._exists(method(*args, **kw))

        operator.__name__ = name
        return operator


class ObjectAssociationProxyInstance(AssociationProxyInstance):
    """A proxy of a relationship (``User.keywords`` over ``UserKeyword.keyword``):
    ``contains(obj)`` for collections, ``== obj`` for scalar proxies."""

    def contains(self, other: Any) -> ColumnElement:
        """EXISTS a related object whose proxied relationship holds ``other``."""
        remote = self.remote_attr
        if isinstance(remote, ObjectAssociationProxyInstance):
            inner = remote.contains(other) if not remote.scalar else remote == other
        elif isinstance(remote, AssociationProxyInstance):
            inner = remote == other  # a proxy of a proxied column
        elif remote.property.uselist:
            inner = remote.contains(other)
        else:
            inner = remote == other
        return self._exists(inner)

    def __eq__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        if not self.scalar:
            raise exc.InvalidRequestError(
                f"{self.owning_class.__name__}.{self.parent.key} is a collection proxy; "
                "compare it with contains() or any()"
            )
        if other is None:
            return or_(self.local_attr.has(self.remote_attr == None), self.local_attr == None)  # noqa: E711
        return self.local_attr.has(self.remote_attr == other)  # type: ignore[no-any-return]

    def __ne__(self, other: Any) -> ColumnElement:  # type: ignore[override]
        if not self.scalar:
            raise exc.InvalidRequestError(
                f"{self.owning_class.__name__}.{self.parent.key} is a collection proxy; "
                "compare it with contains() or any()"
            )
        return self.local_attr.has(self.remote_attr != other)  # type: ignore[no-any-return]


#: the name this module used before `AssociationProxyInstance` (kept for imports)
AssociationProxyExpr = AssociationProxyInstance


# -- the collections users see on objects -------------------------------------------------------
class _ProxiedCollection:
    """What the list, set and dict views share: the proxy and the object they belong to."""

    def __init__(self, proxy: AssociationProxy[Any], instance: Any) -> None:
        self._proxy = proxy
        self._instance = instance

    @property
    def _coll(self) -> Any:
        return getattr(self._instance, self._proxy.target_collection)

    def _get(self, obj: Any) -> Any:
        return getattr(obj, self._proxy.value_attr)

    def _create(self, *args: Any) -> Any:
        return self._proxy._create(type(self._instance), *args)

    def _same_as(self, other: _ProxiedCollection) -> bool:
        return self._proxy is other._proxy and self._instance is other._instance

    def _assign(self, value: Any) -> None:
        raise NotImplementedError


class _AssociationList(_ProxiedCollection, MutableSequence[Any]):
    """``user.keywords`` over a list: a live list of one attribute of the related objects."""

    def _assign(self, value: Any) -> None:
        self._coll[:] = [self._create(v) for v in value]

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


class _AssociationSet(_ProxiedCollection, MutableSet[Any]):
    """``user.tags`` over a ``collection_class=set`` relationship: a live set of one
    attribute of the related objects; adding a value already present adds nothing."""

    def _assign(self, value: Any) -> None:
        wanted = list(dict.fromkeys(value))
        coll = self._coll
        for o in list(coll):
            if self._get(o) not in wanted:
                coll.discard(o)
        have = {self._get(o) for o in coll}
        for v in wanted:
            if v not in have:
                coll.add(self._create(v))

    def __contains__(self, value: object) -> bool:
        return any(self._get(o) == value for o in self._coll)

    def __iter__(self) -> Iterator[Any]:
        seen: list[Any] = []
        for o in list(self._coll):
            v = self._get(o)
            if v not in seen:
                seen.append(v)
                yield v

    def __len__(self) -> int:
        return len(list(iter(self)))

    def add(self, value: Any) -> None:
        """Add ``value`` (a new related object), unless a related object has it already."""
        if value not in self:
            self._coll.add(self._create(value))

    def discard(self, value: Any) -> None:
        """Remove the related objects whose proxied value is ``value``, if any."""
        coll = self._coll
        for o in list(coll):
            if self._get(o) == value:
                coll.discard(o)

    def remove(self, value: Any) -> None:
        """Remove ``value``.

        Raises:
            KeyError: no related object has it.
        """
        if value not in self:
            raise KeyError(value)
        self.discard(value)

    def update(self, *others: Iterable[Any]) -> None:
        """Add every value of ``others``."""
        for other in others:
            for v in other:
                self.add(v)

    def clear(self) -> None:
        self._coll.clear()

    def __ior__(self, other: Any) -> _AssociationSet:  # type: ignore[misc]
        self.update(other)
        return self

    def __eq__(self, other: object) -> bool:
        return set(self) == other

    def __ne__(self, other: object) -> bool:
        return set(self) != other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(set(self))


class _AssociationDict(_ProxiedCollection, MutableMapping[Any, Any]):
    """``user.keywords`` over a keyed-dict relationship (``attribute_keyed_dict``): the
    same keys, each mapped to one attribute of its related object. Setting a new key builds
    the related object with ``creator(key, value)``; setting an existing key changes that
    object's attribute."""

    def _assign(self, value: Any) -> None:
        items = value.items() if hasattr(value, "items") else value
        self._coll.clear()
        for k, v in items:
            self[k] = v

    def __getitem__(self, key: Any) -> Any:
        return self._get(self._coll[key])

    def __setitem__(self, key: Any, value: Any) -> None:
        coll = self._coll
        if key in coll:
            setattr(coll[key], self._proxy.value_attr, value)
        else:
            coll[key] = self._create(key, value)

    def __delitem__(self, key: Any) -> None:
        del self._coll[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._coll))

    def __len__(self) -> int:
        return len(self._coll)

    def __contains__(self, key: object) -> bool:
        return key in self._coll

    def __eq__(self, other: object) -> bool:
        return dict(self.items()) == other

    def __ne__(self, other: object) -> bool:
        return dict(self.items()) != other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(dict(self.items()))


_COLLECTIONS: dict[str, type[_ProxiedCollection]] = {
    "list": _AssociationList,
    "set": _AssociationSet,
    "dict": _AssociationDict,
}


def association_proxy(
    target_collection: str,
    attr: str,
    *,
    creator: Callable[..., Any] | None = None,
    getset_factory: Any = None,
    proxy_factory: Any = None,
    proxy_bulk_set: Any = None,
    info: dict[str, Any] | None = None,
    cascade_scalar_deletes: bool = False,
    create_on_none_assignment: bool = False,
) -> Any:
    """An attribute reading ``attr`` of the object(s) relationship ``target_collection``
    points to: the value itself for a scalar relationship, else a live list, set or dict
    (after the relationship's collection type) of the values.

    Adding a value builds the related object with ``creator(value)`` (``creator(key,
    value)`` for a dict), or, without a creator, with the target class: ``Target(value)``
    when it has its own ``__init__`` (as SQLAlchemy calls it), ``Target(attr=value)``
    for the declarative constructor. Assigning None to a scalar proxy sets the related
    object's attribute to None (``cascade_scalar_deletes=True`` also unlinks the object);
    with no related object, None creates nothing unless ``create_on_none_assignment``.

    Raises:
        ArgumentError: for ``getset_factory`` / ``proxy_factory`` / ``proxy_bulk_set``
            (not supported).
    """
    return AssociationProxy(
        target_collection,
        attr,
        creator=creator,
        getset_factory=getset_factory,
        proxy_factory=proxy_factory,
        proxy_bulk_set=proxy_bulk_set,
        info=info,
        cascade_scalar_deletes=cascade_scalar_deletes,
        create_on_none_assignment=create_on_none_assignment,
    )


__all__ = [
    "AssociationProxy",
    "AssociationProxyExpr",
    "AssociationProxyExtensionType",
    "AssociationProxyInstance",
    "ColumnAssociationProxyInstance",
    "ObjectAssociationProxyInstance",
    "association_proxy",
]
