"""A mypy plugin that makes ``Base = declarative_base()`` a class mypy can subclass.

Loaded by mypy from the user's config (``plugins = ["uow_orm.ext.mypy.plugin"]``); the ORM
never imports it. Without it, mypy sees only a variable and rejects ``class User(Base)``.

Called by: no module of the package (an entry point for users).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import GDEF, Block, ClassDef, SymbolTable, SymbolTableNode, TypeInfo
from mypy.plugin import DynamicClassDefContext, Plugin
from mypy.types import Instance

_DECLARATIVE_BASE = "uow_orm.orm.declarative.declarative_base"
_BASE_CLASS = "uow_orm.orm.declarative.DeclarativeBase"


class UowOrmPlugin(Plugin):
    """Turns each module-level ``X = declarative_base(...)`` into ``class X(DeclarativeBase)``."""

    def get_dynamic_class_hook(
        self, fullname: str
    ) -> Callable[[DynamicClassDefContext], None] | None:
        """The hook for calls of ``declarative_base``; None for every other callee."""
        return _declare_base if fullname == _DECLARATIVE_BASE else None


def _declare_base(ctx: DynamicClassDefContext) -> None:
    base = ctx.api.lookup_fully_qualified_or_none(_BASE_CLASS)
    if base is None or not isinstance(base.node, TypeInfo):
        if not ctx.api.final_iteration:
            ctx.api.defer()
        return
    classdef = ClassDef(ctx.name, Block([]))
    classdef.fullname = ctx.api.qualified_name(ctx.name)
    info = TypeInfo(SymbolTable(), classdef, ctx.api.cur_mod_id)
    classdef.info = info
    info.bases = [Instance(base.node, [])]
    info.mro = [info, *base.node.mro]
    # The base class's metaclass and dataclass_transform marker come with the MRO.
    ctx.api.add_symbol_table_node(ctx.name, SymbolTableNode(GDEF, info))


def plugin(version: str) -> type[Plugin]:
    """Entry point mypy calls with its version; the plugin class for every version."""
    return UowOrmPlugin
