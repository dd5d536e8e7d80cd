"""uow_orm as a contender: the models and engine set-up; the workloads are in _orm.py.

Loaded by ``benchmarks._worker`` in its own process. Uses only the public API of
shared/API.md, exactly as a user would.
"""

from typing import Any

import uow_orm
from uow_orm import (
    ForeignKey,
    Mapped,
    Session,
    String,
    create_engine,
    declarative_base,
    inspect,
    mapped_column,
    relationship,
    select,
    selectinload,
)

from ._backends import Database
from ._orm import make_check, make_workloads

NAME = "uow"
LABEL = "uow_orm"

Base = declarative_base()


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column()
    note: Mapped[str | None] = mapped_column()


class Parent(Base):
    __tablename__ = "parent"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    children: Mapped[list["Child"]] = relationship("Child", back_populates="parent")


class Child(Base):
    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parent.id"))
    name: Mapped[str] = mapped_column(String(50))
    parent: Mapped[Parent] = relationship(Parent, back_populates="children")


def version() -> str:
    return f"uow_orm {getattr(uow_orm, 'uow_orm_version', '?')}"


def open(db: Database) -> Any:
    # SQLite foreign keys and real SAVEPOINTs are uow_orm's defaults (API.md): nothing to add.
    engine = create_engine(db.url)
    with engine.connect():
        pass  # the pool now holds one open connection, as the raw contender has
    return engine


def close(engine: Any) -> None:
    engine.dispose()


WORKLOADS = make_workloads(
    Session=Session,
    select=select,
    selectinload=selectinload,
    Item=Item,
    Parent=Parent,
    Child=Child,
)
check = make_check(inspect)
