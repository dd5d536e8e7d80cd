"""The legacy ``Query`` (``session.query(...)``) beyond the basics, and row locking with
``with_for_update`` (``select()``, ``session.get``, ``session.refresh``).

Rows read back on both backends; the lock clauses checked on PostgreSQL, where a second
connection sees the lock.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import ForeignKey, Session, String, bindparam, exc, lazyload, select
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "lq_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    addresses: Mapped[list[Address]] = relationship(lazy="joined", order_by="Address.id")


class Address(Base):
    __tablename__ = "lq_address"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lq_user.id"))
    email: Mapped[str] = mapped_column(String(30))


@pytest.fixture
def session(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        for i, name in enumerate(["ann", "bob", "cy", "di"], start=1):
            s.add(User(id=i, name=name, addresses=[Address(id=i, email=f"{name}@x")]))
        s.add(Address(id=10, user_id=1, email="ann2@x"))
        s.commit()
        yield s


def test_query_with_joined_collection_is_deduplicated(session: Any) -> None:
    users = session.query(User).order_by(User.id).all()
    assert [u.name for u in users] == ["ann", "bob", "cy", "di"]
    assert [a.email for a in users[0].addresses] == ["ann@x", "ann2@x"]


def test_query_slices_and_index(session: Any) -> None:
    q = session.query(User).order_by(User.id)
    assert [u.name for u in q[1:3]] == ["bob", "cy"]
    assert [u.name for u in q.slice(2, 4)] == ["cy", "di"]
    assert q[0].name == "ann" and q[-1].name == "di"
    assert [u.name for u in q[2:]] == ["cy", "di"]
    with pytest.raises(IndexError):
        q[10]


def test_query_with_entities_add_columns_and_rows(session: Any) -> None:
    q = session.query(User).order_by(User.id)
    assert [tuple(r) for r in q.with_entities(User.name).all()] == [
        ("ann",),
        ("bob",),
        ("cy",),
        ("di",),
    ]
    rows = q.enable_eagerloads(False).add_columns(User.name.label("n")).limit(2).all()
    assert [(u.id, n) for u, n in rows] == [(1, "ann"), (2, "bob")]
    assert session.query(User.name).filter(User.id == 2).scalar() == "bob"


def test_query_params_union_subquery_and_cte(session: Any) -> None:
    q = session.query(User).filter(User.name == bindparam("who"))
    assert q.params(who="cy").one().id == 3
    both = session.query(User).filter(User.id == 1).union(session.query(User).filter(User.id == 4))
    assert sorted(u.name for u in both) == ["ann", "di"]
    sub = session.query(Address.user_id).filter(Address.email.like("ann%")).subquery()
    assert session.query(User.name).filter(User.id.in_(select(sub.c.user_id))).all()[0][0] == (
        "ann"
    )
    cte = session.query(User.id).filter(User.id > 2).cte("big")
    assert sorted(session.execute(select(cte.c.id)).scalars()) == [3, 4]


def test_query_enable_eagerloads_false_loads_lazily(session: Any, sql_log: Any) -> None:
    log = sql_log(session.bind)
    session.expunge_all()
    (user,) = session.query(User).filter(User.id == 2).enable_eagerloads(False).all()
    assert "lq_address" not in log.sql[-1]
    assert [a.email for a in user.addresses] == ["bob@x"]


def test_query_execution_options_populate_existing(session: Any) -> None:
    user = session.get(User, 1)
    user.name = "changed"
    session.flush()
    session.execute(User.__table__.update().values(name="db"))
    assert session.query(User).filter(User.id == 1).one().name == "changed"
    q = session.query(User).filter(User.id == 1).execution_options(populate_existing=True)
    assert q.one().name == "db"
    assert session.query(User).populate_existing().filter(User.id == 1).one().name == "db"


def test_with_for_update_writes_nowait_and_skip_locked_together_as_sqlalchemy() -> None:
    stmt = select(User).with_for_update(nowait=True, skip_locked=True)
    assert str(stmt).endswith("FROM lq_user FOR UPDATE NOWAIT SKIP LOCKED")


@pytest.mark.parametrize(
    ("kw", "clause"),
    [
        ({}, "FOR UPDATE"),
        ({"read": True}, "FOR SHARE"),
        ({"key_share": True}, "FOR NO KEY UPDATE"),
        ({"read": True, "key_share": True}, "FOR KEY SHARE"),
        ({"nowait": True}, "FOR UPDATE NOWAIT"),
        ({"skip_locked": True, "of": User}, 'FOR UPDATE OF "lq_user" SKIP LOCKED'),
    ],
)
def test_with_for_update_clauses_and_sqlite_leaves_them_out(
    engine: Any, kw: dict[str, Any], clause: str
) -> None:
    sql = str(select(User).with_for_update(**kw).compile(engine))
    if engine.dialect.name == "sqlite":
        assert "FOR " not in sql
    else:
        assert sql.replace('"', "").endswith(clause.replace('"', ""))


def test_locks_are_real_on_postgresql(engine: Any, sql_log: Any) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
    log = sql_log(engine)
    with Session(engine) as s1, Session(engine) as s2:
        # (a joined eager load would put the lock on an outer join, which PostgreSQL refuses)
        user = s1.get(User, 1, with_for_update=True, options=[lazyload(User.addresses)])
        assert user is not None
        s1.refresh(user, with_for_update={"read": True})
        if engine.dialect.name == "sqlite":
            assert not any("FOR UPDATE" in q for q in log.sql)
            return
        assert any(q.rstrip().endswith("FOR UPDATE") for q in log.sql)
        assert any(q.rstrip().endswith("FOR SHARE") for q in log.sql)
        # the row is locked: another session skips it, or fails at once with nowait
        plain = select(User).options(lazyload(User.addresses))
        assert s2.scalars(plain.with_for_update(skip_locked=True)).all() == []
        # with the joined eager load, lock only the users' rows (OF)
        locked_users = select(User).with_for_update(skip_locked=True, of=User)
        assert s2.scalars(locked_users).unique().all() == []
        with pytest.raises(exc.OperationalError):
            s2.scalars(plain.with_for_update(nowait=True)).all()
