"""SQLAlchemy 2.x ORM as a contender: the models and engine set-up; the workloads are in _orm.py.

Loaded by ``benchmarks._worker`` in its own process, only when SQLAlchemy is importable (it is
in the ``bench`` extra, never a dependency of uow_orm).
"""

from typing import Any

import sqlalchemy
from sqlalchemy import ForeignKey, String, create_engine, event, inspect, select
from sqlalchemy.orm import (
    Mapped,
    Session,
    configure_mappers,
    declarative_base,
    mapped_column,
    relationship,
    selectinload,
)

from ._backends import Database
from ._orm import make_check, make_workloads

NAME = "sqla"
LABEL = f"SQLAlchemy {sqlalchemy.__version__}"

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


configure_mappers()


def version() -> str:
    return LABEL


def _sqlite_with_real_transactions(engine: Any) -> None:
    # SQLAlchemy's documented recipe for pysqlite on Python < 3.12: without it the driver's own
    # transaction handling breaks SAVEPOINT (W7). Foreign keys on, as for every contender.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def open(db: Database) -> Any:
    if db.backend == "sqlite":
        engine = create_engine(db.url)
        _sqlite_with_real_transactions(engine)
    else:
        engine = create_engine(db.url.replace("postgresql://", "postgresql+psycopg://", 1))
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
