"""Models and data shared by the SQL expression language tests (issue 15).

users   id name  age manager_id      addresses (user)
        1  alice 30  -               alice@home, alice@work
        2  bob   25  1               bob@home
        3  carol 35  1               carol@work
        4  dave  25  2               -
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    create_engine,
    declarative_base,
    relationship,
)

Base = declarative_base()


class User(Base):
    __tablename__ = "x_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    age = Column(Integer, nullable=False)
    manager_id = Column(Integer, ForeignKey("x_users.id"))
    addresses = relationship("Address", back_populates="user", order_by="Address.id")
    manager = relationship("User", remote_side="User.id", back_populates="reports")
    reports = relationship("User", back_populates="manager", order_by="User.id")


class Address(Base):
    __tablename__ = "x_addresses"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("x_users.id"), nullable=False)
    email = Column(String(100), nullable=False)
    user = relationship("User", back_populates="addresses")


def seed(engine: Any) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        alice = User(id=1, name="alice", age=30)
        bob = User(id=2, name="bob", age=25, manager=alice)
        carol = User(id=3, name="carol", age=35, manager=alice)
        dave = User(id=4, name="dave", age=25, manager=bob)
        s.add_all([alice, bob, carol, dave])
        s.flush()
        s.add_all(
            [
                Address(id=1, user_id=1, email="alice@home"),
                Address(id=2, user_id=1, email="alice@work"),
                Address(id=3, user_id=2, email="bob@home"),
                Address(id=4, user_id=3, email="carol@work"),
            ]
        )
        s.commit()


def seeded_engine(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Any]:
    """One seeded database per backend for a whole test module (the tests only read)."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlexpr') / 'db.sqlite'}"
        server = None
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database()
    eng = create_engine(url)
    seed(eng)
    yield eng
    eng.dispose()
    if server is not None:
        server.drop_database(url)
