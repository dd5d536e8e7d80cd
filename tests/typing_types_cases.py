"""Typed model code using the types of the types guide; checked by mypy --strict in
tests/test_types_extended.py (never run by pytest: the name does not start with ``test_``).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, assert_type

from uow_orm import (
    ARRAY,
    CHAR,
    JSON,
    DeclarativeBase,
    Enum,
    Integer,
    Interval,
    Mapped,
    PickleType,
    Session,
    String,
    TypeDecorator,
    Unicode,
    UserDefinedType,
    func,
    mapped_column,
    select,
    type_coerce,
)
from uow_orm.dialects import mysql
from uow_orm.dialects import postgresql as pg
from uow_orm.types import TypeEngine


class GUID(TypeDecorator):
    impl = CHAR
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(pg.UUID())  # type: ignore[no-any-return]
        return dialect.type_descriptor(CHAR(32))  # type: ignore[no-any-return]

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value


class CaseInsensitive(TypeDecorator):
    impl = String
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator):
        def __eq__(self, other: Any) -> Any:
            return func.lower(self.expr) == func.lower(other)


class Point(UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VARCHAR(40)"


class Mood(enum.Enum):
    OK = "ok"


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[uuid.UUID] = mapped_column(GUID(), primary_key=True)
    name: Mapped[str] = mapped_column(CaseInsensitive(50))
    label: Mapped[str] = mapped_column(Unicode(20))
    mood: Mapped[Mood] = mapped_column(Enum(Mood))
    stage: Mapped[str] = mapped_column(Enum("a", "b", name="stage"))
    wait: Mapped[dt.timedelta] = mapped_column(Interval())
    blob: Mapped[Any] = mapped_column(PickleType())
    doc: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(pg.JSONB(), "postgresql"))
    tags: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    small: Mapped[int] = mapped_column(mysql.TINYINT(1))
    at: Mapped[Any] = mapped_column(Point())


def queries(session: Session) -> None:
    stmt = select(Thing).where(
        Thing.doc["a"]["b"].as_integer() == 1,
        Thing.tags.any(5),
        Thing.name == "x",
        type_coerce(Thing.label, CaseInsensitive()) == "y",
    )
    for thing in session.scalars(stmt):
        assert_type(thing, Thing)
        assert_type(thing.wait, dt.timedelta)
        assert_type(thing.mood, Mood)
