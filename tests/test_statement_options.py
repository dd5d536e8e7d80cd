"""What ``options()`` takes (option objects only, an application's own as
``UserDefinedOption``), and the exceptions of a join without a foreign key path."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    exc,
    join,
    select,
)
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    selectinload,
    with_loader_criteria,
)
from uow_orm.orm.interfaces import ORMOption, UserDefinedOption


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "so_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant: Mapped[int]


class Loose(Base):  # no foreign key to Item
    __tablename__ = "so_loose"
    id: Mapped[int] = mapped_column(primary_key=True)


class Tenant(UserDefinedOption):
    """An application's option: the tenant whose rows a listener keeps."""


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Item(id=1, tenant=1), Item(id=2, tenant=2), Item(id=3, tenant=1)])
        s.commit()
    return engine


@pytest.mark.parametrize("bad", [1, "selectinload", None, object()])
def test_options_refuse_what_is_not_an_option(bad: Any) -> None:
    with pytest.raises(exc.ArgumentError, match=r"options\(\) takes loader options"):
        select(Item).options(bad)
    with pytest.raises(exc.ArgumentError, match=r"options\(\) takes loader options"):
        Session().query(Item).options(bad)


def test_every_option_kind_is_an_orm_option() -> None:
    for opt in (
        selectinload("*"),
        with_loader_criteria(Item, Item.tenant == 1),
        Tenant(1),
    ):
        assert isinstance(opt, ORMOption)
    select(Item).options(Tenant(1), with_loader_criteria(Item, Item.tenant == 1))


def test_a_user_defined_option_reaches_do_orm_execute_with_its_payload(db: Any, listen: Any):
    seen: list[Any] = []

    def only_tenant(state: Any) -> None:
        mine = [o for o in state.user_defined_options if isinstance(o, Tenant)]
        seen.append([type(o).__name__ for o in state.user_defined_options])
        if state.is_select and mine:
            state.statement = state.statement.options(
                with_loader_criteria(Item, Item.tenant == mine[0].payload)
            )

    listen(Session, "do_orm_execute", only_tenant)
    with Session(db) as s:
        stmt = select(Item).order_by(Item.id)
        assert [i.id for i in s.scalars(stmt.options(Tenant(1)))] == [1, 3]
        # the payload is not in the cache key, and a different one still gives its rows
        assert [i.id for i in s.scalars(stmt.options(Tenant(2)))] == [2]
        assert [i.id for i in s.scalars(stmt)] == [1, 2, 3]
        # loader options and criteria are not user-defined options
        s.scalars(stmt.options(with_loader_criteria(Item, Item.id > 0))).all()
    assert seen == [["Tenant"], ["Tenant"], [], []]


def test_a_join_without_a_foreign_key_raises_both_sqlalchemy_exceptions() -> None:
    with pytest.raises(exc.InvalidRequestError, match="cannot find a foreign key"):
        str(select(Item).join(Loose))  # SQLAlchemy: InvalidRequestError for entities
    md = MetaData()
    a = Table("so_a", md, Column("id", Integer, primary_key=True))
    b = Table("so_b", md, Column("id", Integer, primary_key=True))
    with pytest.raises(exc.NoForeignKeysError):
        str(select(a).select_from(join(a, b)))  # SQLAlchemy: NoForeignKeysError
    with pytest.raises(exc.ArgumentError):
        str(select(a).join(b))


def test_a_join_with_two_foreign_key_paths_raises_both_sqlalchemy_exceptions() -> None:
    md = MetaData()
    a = Table("so_pa", md, Column("id", Integer, primary_key=True))
    b = Table(
        "so_pb",
        md,
        Column("id", Integer, primary_key=True),
        Column("x", ForeignKey("so_pa.id")),
        Column("y", ForeignKey("so_pa.id")),
    )
    with pytest.raises(exc.AmbiguousForeignKeysError, match="several foreign key paths"):
        str(select(a).select_from(join(a, b)))
    with pytest.raises(exc.InvalidRequestError, match="several foreign key paths"):
        str(select(a).join(b))
