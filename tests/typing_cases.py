"""What a type checker must understand about user code; checked by tests/test_typing.py.

Never run by pytest (the name does not start with ``test_``): mypy reads it. Each
``assert_type`` states the type mypy must infer; each ``# type: ignore[code]`` marks a line
mypy must reject (``warn_unused_ignores`` fails the run if it stops being rejected).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_type

from uow_orm import (
    JSON,
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Session,
    String,
    mapped_column,
    relationship,
    select,
)
from uow_orm.ext.hybrid import hybrid_property
from uow_orm.ext.mutable import MutableDict
from uow_orm.orm import (
    MappedAsDataclass,
    column_property,
    declared_attr,
    defer,
    load_only,
    registry,
    validates,
)
from uow_orm.sql.elements import ColumnElement


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    nickname: Mapped[str | None] = mapped_column()
    addresses: Mapped[list[Address]] = relationship("Address", back_populates="user")


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user: Mapped[User] = relationship("User", back_populates="addresses")


def session_get_is_optional(session: Session) -> None:
    assert_type(session.get(User, 1), User | None)


def scalars_of_select_yield_the_entity(session: Session) -> None:
    for user in session.scalars(select(User)):
        assert_type(user, User)
    assert_type(session.scalars(select(User)).first(), User | None)
    assert_type(session.scalars(select(User)).one(), User)
    all_users: Sequence[User] = session.scalars(select(User)).all()
    assert_type(all_users[0], User)


def class_attributes_are_expressions_instance_attributes_are_values(user: User) -> None:
    assert_type(User.name == "x", ColumnElement)
    assert_type(user.name, str)
    assert_type(user.nickname, str | None)
    assert_type(user.addresses, list[Address])
    assert_type(user.addresses[0].user, User)
    user.name = "renamed"
    user.name = None  # type: ignore[assignment]


def constructor_takes_mapped_attributes_as_keywords() -> None:
    user = User(name="ada", nickname=None)
    assert_type(user, User)
    Address(email="ada@example.org", user=user)
    User(name="ada", no_such_column=1)  # type: ignore[call-arg]
    User(name=42)  # type: ignore[arg-type]


# -- issue 13: mixins, declared_attr, column properties, hybrids, dataclasses, extensions ----


class HasOwner:
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    @declared_attr
    def owner(cls) -> Mapped[User]:
        return relationship("User")

    @declared_attr.directive
    def __tablename__(cls) -> str:
        return "gadget"


class Gadget(HasOwner, Base):
    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str] = mapped_column(String(20))
    last: Mapped[str] = mapped_column(String(20))
    fullname: Mapped[str] = column_property(first + " " + last)
    notes: Mapped[str | None] = mapped_column(deferred=True)
    data: Mapped[dict[str, int]] = mapped_column(MutableDict.as_mutable(JSON), default=dict)

    @hybrid_property
    def initials(self) -> str:
        return self.first[0] + self.last[0]

    @validates("first")
    def check_first(self, key: str, value: str) -> str:
        return value.strip()


def mixin_and_property_attributes_have_value_types(g: Gadget, session: Session) -> None:
    assert_type(g.owner, User)
    assert_type(g.owner_id, int)
    assert_type(g.fullname, str)
    assert_type(g.notes, str | None)
    assert_type(g.initials, str)
    assert_type(Gadget.__tablename__, str)
    session.scalars(select(Gadget).options(load_only(Gadget.first), defer(Gadget.notes)))
    session.scalars(select(Gadget).where(Gadget.fullname == "a b"))


class DCBase(MappedAsDataclass, DeclarativeBase):
    pass


class Tag(DCBase):
    __tablename__ = "tag"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    weight: Mapped[int] = mapped_column(default=1)


def dataclass_constructor_is_positional_with_defaults() -> None:
    tag = Tag("x")
    assert_type(tag, Tag)
    Tag("x", 2)
    Tag()  # type: ignore[call-arg]


reg = registry()


@reg.mapped
class Plain:
    __tablename__ = "plain"
    id: Mapped[int] = mapped_column(primary_key=True)


def registry_mapped_keeps_the_class(p: Plain) -> None:
    assert_type(p, Plain)
    assert_type(p.id, int)
