"""``GenericFunction`` subclasses (SQLAlchemy's Function API): registered under ``func``,
typed, and run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import Integer, String, column, func, literal, select, table
from uow_orm.sql.functions import FunctionElement, GenericFunction, ReturnTypeFromArgs


class shout(GenericFunction):
    name = "upper"
    identifier = "shout"
    type = String()
    inherit_cache = True


class str_len(GenericFunction):
    name = "length"
    type = Integer
    inherit_cache = True


class first_of(ReturnTypeFromArgs):
    name = "coalesce"
    identifier = "first_of"
    inherit_cache = True


t = table("t", column("s", String))


def test_generic_functions_register_under_func_with_their_types():
    call = func.shout(t.c.s)
    assert isinstance(call, shout) and isinstance(call, FunctionElement)
    assert isinstance(call.type, String)
    assert str(call).startswith("upper(")
    assert isinstance(func.length(t.c.s).type, Integer)  # identifier defaults to the name
    assert isinstance(first_of(literal(3, Integer)).type, Integer)
    assert isinstance(func.shout(t.c.s, type_=Integer).type, Integer)


@pytest.mark.parametrize("how", ["func", "class"])
def test_generic_functions_run_on_the_database(engine: Any, how: str):
    upper = func.shout if how == "func" else shout
    with engine.connect() as conn:
        row = conn.execute(
            select(upper(literal("ab")), func.length(literal("abc")), func.first_of(None, 7))
        ).one()
    assert tuple(row) == ("AB", 3, 7)
