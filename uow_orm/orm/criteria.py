"""``with_loader_criteria``: extra WHERE criteria for every load of a class (or its base).

Applied by loading to ORM SELECTs that carry the option; objects those SELECTs load carry
the option on to their lazy and selectin loads (``propagate_to_loaders``).

Called by: loading (``with_loader_criteria``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import exc

if TYPE_CHECKING:
    from .state import InstanceState

#: the key of ``InstanceState.load_strategies`` carrying the options to lazy loads (not an
#: attribute name: a NUL cannot be in one)
KEY = "\0loader_criteria"


class LoaderCriteriaOption:
    """The option `with_loader_criteria` returns."""

    __slots__ = ("entity", "include_aliases", "propagate_to_loaders", "where_criteria")

    def __init__(
        self,
        entity: Any,
        where_criteria: Any,
        include_aliases: bool,
        propagate_to_loaders: bool,
    ) -> None:
        self.entity = entity
        self.where_criteria = where_criteria
        self.include_aliases = include_aliases
        self.propagate_to_loaders = propagate_to_loaders

    def __repr__(self) -> str:
        return f"with_loader_criteria({getattr(self.entity, '__name__', self.entity)!r}, ...)"

    def _applies(self, entity: Any) -> tuple[bool, Any]:
        """(whether this option filters ``entity``, the class or alias to call it with)."""
        aliased_mapper = getattr(entity, "_aliased_columns", None)
        if aliased_mapper is not None:
            cls = entity.__mapper__.class_
            if not self.include_aliases:
                return False, None
        elif isinstance(entity, type) and hasattr(entity, "__mapper__"):
            cls = entity
        else:
            return False, None
        target = self.entity
        target_cls = getattr(target, "class_", target)  # a Mapper gives its class
        return (isinstance(target_cls, type) and issubclass(cls, target_cls)), entity

    def criterion(self, entity: Any) -> Any:
        crit = self.where_criteria
        return crit(entity) if callable(crit) else crit


def with_loader_criteria(
    entity_or_base: Any,
    where_criteria: Any | Callable[[Any], Any],
    loader_only: bool = False,
    include_aliases: bool = False,
    propagate_to_loaders: bool = True,
    track_closure_variables: bool = True,
) -> LoaderCriteriaOption:
    """Add ``where_criteria`` to every SELECT of ``entity_or_base`` (a mapped class, or a
    base class / mixin: every mapped subclass) made with this option, and, with
    ``propagate_to_loaders``, to the lazy and selectin loads of the objects it loads.

    ``where_criteria`` is an expression, or a callable taking the class (or its alias,
    with ``include_aliases``) and returning one: ``lambda cls: cls.deleted == False``.

    Raises:
        ArgumentError: ``loader_only=True`` (not supported); a bad entity.
    """
    if loader_only:
        raise exc.ArgumentError("with_loader_criteria(loader_only=True) is not supported")
    if not isinstance(entity_or_base, type) and not hasattr(entity_or_base, "class_"):
        raise exc.ArgumentError(
            f"with_loader_criteria() takes a class (mapped, a base or a mixin), not "
            f"{entity_or_base!r}"
        )
    del track_closure_variables  # lambdas are called on every use: nothing is cached
    return LoaderCriteriaOption(
        entity_or_base, where_criteria, include_aliases, propagate_to_loaders
    )


def options_of(stmt: Any) -> list[LoaderCriteriaOption]:
    """The ``with_loader_criteria`` options of a statement."""
    return [o for o in stmt._options if isinstance(o, LoaderCriteriaOption)]


def apply(stmt: Any) -> Any:
    """``stmt`` with the WHERE criteria of its ``with_loader_criteria`` options added."""
    opts = options_of(stmt)
    if not opts:
        return stmt
    where = []
    for opt in opts:
        for entity in stmt._entities:
            ok, arg = opt._applies(entity)
            if ok:
                where.append(opt.criterion(arg))
    return stmt.where(*where) if where else stmt


def propagating(stmt: Any) -> tuple[LoaderCriteriaOption, ...]:
    """The options of ``stmt`` that objects it loads carry to their own loads."""
    return tuple(o for o in options_of(stmt) if o.propagate_to_loaders)


def inherit(stmt: Any, state: InstanceState | None) -> Any:
    """A lazy / selectin load ``stmt`` of ``state``'s relationship, with the options the
    object was loaded with."""
    if state is None or not state.load_strategies:
        return stmt
    opts: Any = state.load_strategies.get(KEY)
    return stmt.options(*opts) if opts else stmt


__all__ = ["LoaderCriteriaOption", "with_loader_criteria"]
