"""Loader options: ``selectinload``, ``joinedload``, ``lazyload``, ``raiseload``, ``noload``.

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


class LoadTree:
    """Options arranged per relationship key: {key: (strategy, subtree)}."""

    __slots__ = ("children",)

    def __init__(self) -> None:
        self.children: dict[str, tuple[str, LoadTree]] = {}

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


__all__ = ["LoaderOption", "joinedload", "lazyload", "noload", "raiseload", "selectinload"]
