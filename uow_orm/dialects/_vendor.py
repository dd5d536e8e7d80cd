"""Type names of backends uow_orm cannot connect to (MySQL, SQL Server, Oracle).

Used by `uow_orm.dialects.mysql`, `.mssql` and `.oracle` to build their vocabularies:
each name is a subclass of the nearest generic type, keeps its vendor options as
attributes, renders its own DDL for its dialect and the generic type's DDL elsewhere.

Called by: uow_orm.dialects.*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import exc
from .._typebase import generic_repr
from ..types import TypeEngine


def _vendor_init(
    dialect: str,
    name: str,
    base: type[TypeEngine],
    option_names: Sequence[str],
    positional: Sequence[str],
) -> Any:
    """The ``__init__`` of a vendor type: takes the vendor options off the arguments (the
    ``positional`` ones first), passes the rest to ``base`` and keeps the options."""

    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        vendor: dict[str, Any] = dict.fromkeys(option_names)
        args_list = list(args)
        for pname in positional:
            if args_list:
                vendor[pname] = args_list.pop(0)
        for key in list(kw):
            if key in option_names:
                vendor[key] = kw.pop(key)
        try:
            base.__init__(self, *args_list, **kw)
        except TypeError:
            given = [repr(a) for a in args_list] + [f"{k}=" for k in kw]
            raise exc.ArgumentError(
                f"{dialect}.{name}() got unexpected argument(s) {', '.join(given)}; it takes "
                f"{', '.join(option_names) or 'no vendor options'} besides the arguments of "
                f"{base.__name__}"
            ) from None
        self._vendor_options = {k: v for k, v in vendor.items() if v not in (None, False)}
        for k, v in vendor.items():
            setattr(self, k, v)

    __init__._vendor_init = True  # type: ignore[attr-defined]
    return __init__


def vendor_type(
    dialect: str,
    name: str,
    base: type[TypeEngine],
    doc: str,
    *,
    options: Sequence[str] = (),
    positional: Sequence[str] = (),
    python_type: type | None = None,
    ddl_args: Sequence[str] = (),
) -> Any:
    """A class ``name`` (a subclass of ``base``) for ``dialect``'s type of that name.

    ``options`` are the vendor keyword arguments (kept as attributes); ``positional``
    names vendor options that come first positionally when ``base`` takes none
    (``TINYINT(1)`` is a display width). ``ddl_args`` are the attributes shown in the
    vendor DDL (``DATETIME(6)``). Raises `exc.ArgumentError` for unknown keywords.
    """
    option_names = tuple(dict.fromkeys([*positional, *options]))
    __init__ = _vendor_init(dialect, name, base, option_names, positional)

    def ddl(self: Any, dialect_name: str) -> str:
        if dialect_name != dialect:
            return base.ddl(self, dialect_name)
        values = [getattr(self, a, None) for a in ddl_args]
        values = [v for v in values if v is not None]
        return f"{name}({', '.join(map(str, values))})" if values else name

    def __repr__(self: Any) -> str:
        inner = generic_repr(self, name=name)[len(name) + 1 : -1]
        parts = [inner] if inner else []
        parts.extend(f"{k}={v!r}" for k, v in self._vendor_options.items())
        return f"{name}({', '.join(parts)})"

    body: dict[str, Any] = {
        "__init__": __init__,
        "ddl": ddl,
        "__repr__": __repr__,
        "__doc__": doc,
        "__module__": f"uow_orm.dialects.{dialect}",
        "__qualname__": name,
    }
    if python_type is not None:
        body["python_type"] = python_type
    return type(name, (base,), body)


__all__ = ["vendor_type"]


def unsupported_dialect(backend: str) -> type:
    """The ``dialect`` name of a backend uow_orm cannot compile for: instantiating it
    (``stmt.compile(dialect=mysql.dialect())``) raises `exc.NotSupportedError`."""

    class dialect:
        __doc__ = f"{backend} has no uow_orm dialect; instantiating this raises."

        def __init__(self, *args: Any, **kw: Any) -> None:
            raise exc.NotSupportedError(
                f"uow_orm has no {backend} dialect: it compiles SQL for sqlite and postgresql "
                f"only (the {backend} type names exist so that models import)"
            )

    dialect.__qualname__ = f"{backend}.dialect"
    return dialect
