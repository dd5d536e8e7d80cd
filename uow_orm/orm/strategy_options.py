"""Loader options: ``selectinload``, ``joinedload``, ``subqueryload``, ``contains_eager``,
``lazyload``, ``raiseload``, ``noload`` and the ``Load(Class)`` starting point.

Given to ``select(...).options(...)``; read by loading when the statement runs. Options
chain along a path: ``selectinload(User.orders).selectinload(Order.lines)``.
"""

from __future__ import annotations

from typing import Any

from .. import exc


class LoaderOption:
    """A path of (relationship attribute, strategy) pairs starting at one class."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[tuple[Any, str], ...]) -> None:
        for attr, _ in path:
            if not getattr(attr, "is_relationship", False):
                raise exc.ArgumentError(
                    f"loader options take relationship attributes such as User.addresses, "
                    f"not {attr!r}"
                )
        self.path = path

    def _then(self, attr: Any, strategy: str) -> LoaderOption:
        return LoaderOption((*self.path, (attr, strategy)))

    def selectinload(self, attr: Any) -> LoaderOption:
        return self._then(attr, "selectin")

    def joinedload(self, attr: Any) -> LoaderOption:
        return self._then(attr, "joined")

    def lazyload(self, attr: Any) -> LoaderOption:
        return self._then(attr, "select")

    def raiseload(self, attr: Any) -> LoaderOption:
        return self._then(attr, "raise")

    def noload(self, attr: Any) -> LoaderOption:
        return self._then(attr, "noload")

    def subqueryload(self, attr: Any) -> LoaderOption:
        return self._then(attr, "selectin")

    def contains_eager(self, attr: Any, alias: Any = None) -> LoaderOption:
        _check_contains_eager(attr, alias)
        return self._then(attr, "contains_eager")

    def __repr__(self) -> str:
        return " -> ".join(f"{s}({a!r})" for a, s in self.path)


def selectinload(attr: Any) -> LoaderOption:
    """Load this relationship for all rows with one more SELECT ... WHERE key IN (...)."""
    return LoaderOption(((attr, "selectin"),))


def joinedload(attr: Any) -> LoaderOption:
    """Load this relationship in the same statement with a LEFT OUTER JOIN."""
    return LoaderOption(((attr, "joined"),))


def lazyload(attr: Any) -> LoaderOption:
    """Load this relationship on first access with its own SELECT."""
    return LoaderOption(((attr, "select"),))


def raiseload(attr: Any) -> LoaderOption:
    """Make access to this (unloaded) relationship raise instead of emitting SQL."""
    return LoaderOption(((attr, "raise"),))


def noload(attr: Any) -> LoaderOption:
    """Never load this relationship: it reads as empty / None."""
    return LoaderOption(((attr, "noload"),))


def subqueryload(attr: Any) -> LoaderOption:
    """Load this relationship for all rows with one more SELECT.

    SQLAlchemy re-runs the original query as a subquery; uow_orm loads with the same
    ``WHERE key IN (...)`` SELECT as `selectinload`: the same objects and collections, and
    no dependence on the original query's ORDER BY / LIMIT being repeatable.
    """
    return LoaderOption(((attr, "selectin"),))


def _check_contains_eager(attr: Any, alias: Any) -> None:
    if alias is not None:
        raise exc.ArgumentError(
            f"contains_eager({attr!r}, alias=...) is not supported yet; join the relationship "
            "itself (select(Parent).join(Parent.children)) without an alias"
        )


def contains_eager(attr: Any, alias: Any = None) -> LoaderOption:
    """Fill this relationship from the rows of a join the statement already has:
    ``select(User).join(User.addresses).options(contains_eager(User.addresses))``.

    The target's columns are added to the SELECT; the collection (or scalar) holds exactly
    the joined rows, so a WHERE on the joined table filters the collection too. Collections
    need ``.unique()`` on the result, as with `joinedload`.

    Raises:
        ArgumentError: ``alias`` is given (aliased joins are not supported yet).
        InvalidRequestError: (when run) the statement does not join the target.
    """
    _check_contains_eager(attr, alias)
    return LoaderOption(((attr, "contains_eager"),))


class Load(LoaderOption):
    """A loader option path that starts at an entity: ``Load(User).selectinload(User.orders)``.

    On its own it changes nothing; its methods return the options to pass to ``options()``.
    """

    __slots__ = ("entity",)

    def __init__(self, entity: Any) -> None:
        if not hasattr(entity, "__mapper__"):
            raise exc.ArgumentError(f"Load() takes a mapped class, not {entity!r}")
        super().__init__(())
        self.entity = entity

    def __repr__(self) -> str:
        return f"Load({self.entity.__name__})"


class LoadTree:
    """Options arranged per relationship key: {key: (strategy, subtree)}."""

    __slots__ = ("children", "contains_eager")

    def __init__(self) -> None:
        self.children: dict[str, tuple[str, LoadTree]] = {}
        #: set by loading on the subtree of a contains_eager() relationship
        self.contains_eager = False

    @classmethod
    def from_options(cls, options: list[Any], root: type) -> LoadTree:
        tree = cls()
        for opt in options:
            if not isinstance(opt, LoaderOption):
                continue
            node = tree
            for attr, strategy in opt.path:
                key = attr.key
                existing = node.children.get(key)
                if existing is None:
                    sub = LoadTree()
                    node.children[key] = (strategy, sub)
                else:
                    # an intermediate path element repeats: keep the explicit strategy
                    sub = existing[1]
                    node.children[key] = (strategy, sub)
                node = sub
        return tree


__all__ = [
    "Load",
    "LoaderOption",
    "contains_eager",
    "joinedload",
    "lazyload",
    "noload",
    "raiseload",
    "selectinload",
    "subqueryload",
]
