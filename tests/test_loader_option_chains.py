"""Loader option chains: column options on a relationship path
(``selectinload(User.addresses).load_only(Address.email)``, ``joinedload(...).defer(...)``),
``defaultload(...).selectinload(...)``, ``.options(...)`` on a loader, and
``lazyload(User.addresses.and_(...))`` / ``immediateload(...and_(...))`` narrowing the rows.

Which attributes end up loaded, the rows in each collection and the SELECT counts were taken
from SQLAlchemy 2.1 on the same scenarios; every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    ForeignKey,
    Session,
    String,
    aliased,
    contains_eager,
    defaultload,
    exc,
    immediateload,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    select,
    selectinload,
    with_parent,
)
from uow_orm.orm import DeclarativeBase, Load, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "ch_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    addresses: Mapped[list[Address]] = relationship(back_populates="user", order_by="Address.id")


class Address(Base):
    __tablename__ = "ch_address"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ch_user.id"))
    user: Mapped[User | None] = relationship(back_populates="addresses")
    tags: Mapped[list[Tag]] = relationship(order_by="Tag.id")


class Tag(Base):
    __tablename__ = "ch_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("ch_address.id"))
    label: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def db(db: Any) -> Any:
    with Session(db) as s:
        for i in (1, 2):
            u = User(id=i, name=f"u{i}")
            for j in range(3):
                a = Address(id=i * 10 + j, email=f"e{i}{j}@" + ("x" if j % 2 else "y"))
                a.tags = [Tag(id=a.id * 10 + k, label=f"t{k}") for k in range(2)]
                u.addresses.append(a)
            s.add(u)
        s.commit()
    return db


def _users(s: Session, *opts: Any) -> list[User]:
    return list(s.scalars(select(User).options(*opts).order_by(User.id)).unique())


def _loaded(obj: Any, *keys: str) -> list[str]:
    return [k for k in keys if k in obj.__dict__]


@pytest.mark.parametrize(
    "option",
    [
        selectinload(User.addresses).load_only(Address.email),
        joinedload(User.addresses).load_only(Address.email),
        selectinload(User.addresses).options(load_only(Address.email)),
        Load(User).selectinload(User.addresses).options(Load(Address).load_only(Address.email)),
    ],
    ids=["selectin", "joined", "options", "Load"],
)
def test_load_only_on_a_relationship_path_narrows_the_related_objects(
    db: Any, sql_log: Any, option: Any
) -> None:
    with Session(db) as s:
        log = sql_log(db)
        users = _users(s, option)
        n = len(log)
        assert [[a.id for a in u.addresses] for u in users] == [[10, 11, 12], [20, 21, 22]]
        assert len(log) == n  # the collections were loaded by the query
        a = users[0].addresses[0]
        assert _loaded(a, "id", "email", "user_id") == ["id", "email"]
        assert _loaded(users[0], "id", "name") == ["id", "name"]  # the parents are whole
        assert a.user_id == 1  # a deferred column still loads on access
        assert len(log) == n + 1


@pytest.mark.parametrize(
    "option",
    [
        selectinload(Address.tags).load_only(Tag.label),
        selectinload(Address.tags).options(load_only(Tag.label)),
        joinedload(Address.tags).load_only(Tag.label),
        immediateload(Address.tags).load_only(Tag.label),
        lazyload(Address.tags).load_only(Tag.label),
    ],
    ids=["selectin", "options", "joined", "immediate", "lazy"],
)
def test_load_only_on_a_path_reads_each_value_from_its_own_column(db: Any, option: Any) -> None:
    # Tag's columns are (id, address_id, label): the narrowed SELECT must read label from
    # its own column, not from the position it has among all the columns
    with Session(db) as s:
        a = s.scalars(select(Address).where(Address.id == 10).options(option)).unique().one()
        assert [(t.id, t.label) for t in a.tags] == [(100, "t0"), (101, "t1")]
        assert _loaded(a.tags[0], "id", "address_id", "label") == ["id", "label"]


def test_load_only_from_load_of_the_entity_reads_each_value_from_its_own_column(
    db: Any,
) -> None:
    with Session(db) as s:
        stmt = select(Tag).where(Tag.id == 111).options(Load(Tag).load_only(Tag.label))
        tag = s.scalars(stmt).one()
        assert (tag.id, tag.label) == (111, "t1")
        assert _loaded(tag, "address_id", "label") == ["label"]


def test_defer_with_raiseload_on_a_path_raises_on_access(db: Any) -> None:
    with Session(db) as s:
        users = _users(s, selectinload(User.addresses).defer(Address.email, raiseload=True))
        a = users[0].addresses[0]
        assert "user_id" in a.__dict__
        with pytest.raises(exc.InvalidRequestError, match="raiseload"):
            _ = a.email


def test_joinedload_many_to_one_load_only(db: Any) -> None:
    with Session(db) as s:
        addresses = s.scalars(
            select(Address).options(joinedload(Address.user).load_only(User.name))
        ).all()
        assert {a.user.name for a in addresses} == {"u1", "u2"}
        assert _loaded(addresses[0].user, "id", "name") == ["id", "name"]


def test_defaultload_then_selectinload_loads_the_second_level(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        log = sql_log(db)
        users = _users(s, defaultload(User.addresses).selectinload(Address.tags))
        assert log.count("SELECT") == 1  # addresses stay lazy
        assert [a.id for a in users[0].addresses] == [10, 11, 12]
        assert log.count("SELECT") == 3  # the lazy load, and its tags with one selectin
        assert [t.label for t in users[0].addresses[2].tags] == ["t0", "t1"]
        assert log.count("SELECT") == 3


def test_defaultload_then_load_only_applies_to_the_lazy_load(db: Any) -> None:
    with Session(db) as s:
        users = _users(s, defaultload(User.addresses).load_only(Address.email))
        a = users[1].addresses[0]
        assert (a.id, a.__dict__["email"]) == (20, "e20@y")
        assert "user_id" not in a.__dict__


@pytest.mark.parametrize("eager", [selectinload, joinedload])
def test_options_on_a_loader_apply_columns_and_deeper_loaders(
    db: Any, sql_log: Any, eager: Any
) -> None:
    with Session(db) as s:
        log = sql_log(db)
        users = _users(
            s, eager(User.addresses).options(load_only(Address.email), eager(Address.tags))
        )
        n = len(log)
        assert [[t.label for t in a.tags] for a in users[1].addresses] == [["t0", "t1"]] * 3
        a = users[0].addresses[1]
        assert _loaded(a, "email", "user_id") == ["email"]
        assert len(log) == n


def test_chaining_continues_after_a_column_option(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        log = sql_log(db)
        opt = selectinload(User.addresses).load_only(Address.email).selectinload(Address.tags)
        users = _users(s, opt)
        n = len(log)
        assert [t.id for t in users[0].addresses[0].tags] == [100, 101]
        assert len(log) == n
        assert _loaded(users[0].addresses[0], "email", "user_id") == ["email"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: selectinload(User.addresses).load_only(User.name),
        lambda: selectinload(User.addresses).options(selectinload(User.addresses)),
        lambda: selectinload(User.addresses).options(load_only(User.name)),
    ],
    ids=["load_only", "options-loader", "options-column"],
)
def test_option_that_does_not_link_from_the_path_is_refused(db: Any, build: Any) -> None:
    with Session(db) as s, pytest.raises(exc.ArgumentError, match="does not link"):
        _users(s, build())


def test_options_takes_only_loader_options() -> None:
    with pytest.raises(exc.ArgumentError, match=r"Load\.options"):
        selectinload(User.addresses).options("addresses")  # type: ignore[arg-type]


@pytest.mark.parametrize("loader", [lazyload, immediateload])
def test_lazy_and_immediate_loads_apply_relationship_criteria(db: Any, loader: Any) -> None:
    with Session(db) as s:
        users = _users(s, loader(User.addresses.and_(Address.email.like("%x"))))
        assert [[a.email for a in u.addresses] for u in users] == [["e11@x"], ["e21@x"]]


def test_lazyload_criteria_leave_other_queries_alone(db: Any) -> None:
    with Session(db) as s:
        _users(s, lazyload(User.addresses.and_(Address.email.like("%x"))))
        s.expunge_all()
        assert [a.id for a in _users(s)[0].addresses] == [10, 11, 12]


@pytest.mark.parametrize("loader", [noload, raiseload])
def test_criteria_on_loaders_that_load_nothing_are_refused(db: Any, loader: Any) -> None:
    # SQLAlchemy accepts them and the criteria have no effect; uow_orm refuses an option
    # part that does nothing
    with Session(db) as s, pytest.raises(exc.ArgumentError, match="load nothing"):
        _users(s, loader(User.addresses.and_(Address.email.like("%x"))))


@pytest.mark.parametrize("style", ["of_type", "alias"])
def test_contains_eager_reads_an_aliased_join(db: Any, style: Any) -> None:
    with Session(db) as s:
        adr = aliased(Address)
        opt = (
            contains_eager(User.addresses.of_type(adr))
            if style == "of_type"
            else contains_eager(User.addresses, alias=adr)
        )
        users = (
            s.scalars(
                select(User)
                .join(User.addresses.of_type(adr))
                .where(adr.email.like("%x"))
                .options(opt)
                .order_by(User.id)
            )
            .unique()
            .all()
        )
        assert [[a.email for a in u.addresses] for u in users] == [["e11@x"], ["e21@x"]]


def test_contains_eager_of_an_alias_the_statement_does_not_join_is_refused(db: Any) -> None:
    with Session(db) as s, pytest.raises(exc.InvalidRequestError, match="join that alias"):
        s.scalars(
            select(User)
            .join(User.addresses)
            .options(contains_eager(User.addresses.of_type(aliased(Address))))
        ).all()


def test_in_takes_a_legacy_query_subquery(db: Any) -> None:
    with Session(db) as s:
        sub = s.query(Address.user_id).filter(Address.id > 20).subquery()
        assert s.query(User).filter(User.id.in_(sub)).one().id == 2


def test_comparing_with_an_object_that_has_no_key_yet_is_refused(db: Any) -> None:
    # "address.user_id IS NULL" would match the orphans: SQLAlchemy refuses it too
    with Session(db) as s:
        s.add(Address(id=99, email="orphan"))
        s.commit()
        new_user = User(name="new")
        with pytest.raises(exc.InvalidRequestError, match="Can't resolve value"):
            select(Address.id).where(Address.user == new_user)
        with pytest.raises(exc.InvalidRequestError, match="Can't resolve value"):
            select(Address.id).where(with_parent(new_user, User.addresses))
        assert s.scalars(select(Address.id).where(Address.user == None)).all() == [99]  # noqa: E711
        new_user.id = 3
        s.add(new_user)
        s.flush()  # now it has a key, and no addresses
        assert s.scalars(select(Address.id).where(Address.user == new_user)).all() == []
