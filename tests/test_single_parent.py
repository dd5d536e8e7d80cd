"""``relationship(single_parent=True)``: a target object may be held by one parent object
at a time through the relationship, and delete-orphan cascade on a many-to-one or
many-to-many needs it, as in SQLAlchemy (same error classes; rows read back on SQLite and
PostgreSQL). Also ``relationship(active_history=True)``.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import Column, ForeignKey, Session, Table, exc
from uow_orm.orm import DeclarativeBase, Mapped, configure_mappers, mapped_column, relationship


def _many_to_one(cascade: str = "all, delete-orphan", single_parent: bool = True) -> Any:
    class Base(DeclarativeBase):
        pass

    class Profile(Base):
        __tablename__ = "sp_profile"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Account(Base):
        __tablename__ = "sp_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        profile_id: Mapped[int | None] = mapped_column(ForeignKey("sp_profile.id"))
        profile: Mapped[Profile | None] = relationship(
            cascade=cascade, single_parent=single_parent, backref="accounts"
        )

    return Base, Profile, Account


def _many_to_many(single_parent: bool) -> Any:
    class Base(DeclarativeBase):
        pass

    link = Table(
        "sp_link",
        Base.metadata,
        Column("account_id", ForeignKey("sp_account.id"), primary_key=True),
        Column("tag_id", ForeignKey("sp_tag.id"), primary_key=True),
    )

    class Tag(Base):
        __tablename__ = "sp_tag"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Account(Base):
        __tablename__ = "sp_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        tags: Mapped[list[Tag]] = relationship(
            secondary=link, cascade="all, delete-orphan", single_parent=single_parent
        )

    return Base, Tag, Account


def _refused_on_configure(base: Any, match: str) -> None:
    try:
        with pytest.raises(exc.ArgumentError, match=match):
            base.registry.configure()
    finally:
        base.registry.dispose()  # a registry that cannot configure must not stay around
    configure_mappers()  # the other registries are unaffected


def test_delete_orphan_on_many_to_one_without_single_parent_is_refused() -> None:
    base, *_ = _many_to_one(single_parent=False)
    _refused_on_configure(base, "many-to-one relationship Account.profile.*single_parent=True")


def test_delete_orphan_on_many_to_many_without_single_parent_is_refused() -> None:
    base, *_ = _many_to_many(single_parent=False)
    _refused_on_configure(base, "many-to-many relationship Account.tags")


def test_second_parent_of_a_many_to_one_target_is_refused() -> None:
    _, Profile, Account = _many_to_one()
    p = Profile(id=1)
    first = Account(id=1, profile=p)
    with pytest.raises(exc.InvalidRequestError, match="only allowed a single parent"):
        Account(id=2, profile=p)
    other = Account(id=3)
    with pytest.raises(exc.InvalidRequestError, match=r"Account\.profile"):
        other.profile = p
    assert other.profile is None
    first.profile = None  # released: another parent may take it
    other.profile = p
    assert other.profile is p


def test_second_parent_of_a_many_to_many_target_is_refused() -> None:
    _, Tag, Account = _many_to_many(single_parent=True)
    t = Tag(id=1)
    a1 = Account(id=1, tags=[t])
    a2 = Account(id=2)
    with pytest.raises(exc.InvalidRequestError, match="single parent"):
        a2.tags.append(t)
    assert a2.tags == []
    a1.tags.remove(t)
    a2.tags.append(t)
    assert a2.tags == [t]


def test_single_parent_one_to_many_refuses_a_child_in_two_collections() -> None:
    class Base(DeclarativeBase):
        pass

    class Folder(Base):
        __tablename__ = "sp_folder"
        id: Mapped[int] = mapped_column(primary_key=True)
        files: Mapped[list[File]] = relationship(single_parent=True)

    class File(Base):
        __tablename__ = "sp_file"
        id: Mapped[int] = mapped_column(primary_key=True)
        folder_id: Mapped[int | None] = mapped_column(ForeignKey("sp_folder.id"))

    f = File(id=1)
    first = Folder(id=1, files=[f])
    with pytest.raises(exc.InvalidRequestError, match=r"Folder\.files"):
        Folder(id=2, files=[f])
    first.files = [f]  # the same parent again is fine
    assert first.files == [f]


def test_many_to_one_orphan_is_deleted_when_its_parent_lets_go(engine: Any) -> None:
    Base, Profile, Account = _many_to_one()
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Account(id=1, profile=Profile(id=1)), Account(id=2, profile=Profile(id=2))])
        s.commit()
    with Session(engine) as s:
        s.get(Account, 1).profile = None  # not loaded: loaded now, to delete it
        s.delete(s.get(Account, 2))  # the delete cascade takes its profile too
        s.commit()
    assert fetch(engine, "SELECT id, profile_id FROM sp_account") == [(1, None)]
    assert fetch(engine, "SELECT id FROM sp_profile") == []


def test_many_to_many_orphan_is_deleted_with_its_link_row(engine: Any) -> None:
    Base, Tag, Account = _many_to_many(single_parent=True)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Account(id=1, tags=[Tag(id=1), Tag(id=2)]))
        s.commit()
    with Session(engine) as s:
        a = s.get(Account, 1)
        a.tags.remove(next(t for t in a.tags if t.id == 1))
        s.commit()
    assert fetch(engine, "SELECT tag_id FROM sp_link") == [(2,)]
    assert fetch(engine, "SELECT id FROM sp_tag") == [(2,)]


def test_single_parent_without_delete_orphan_still_checks() -> None:
    _, Profile, Account = _many_to_one(cascade="save-update, merge")
    p = Profile(id=1)
    Account(id=1, profile=p)
    with pytest.raises(exc.InvalidRequestError):
        Account(id=2, profile=p)


@pytest.mark.parametrize("active", [True, False])
def test_active_history_loads_the_replaced_many_to_one_for_its_history(
    engine: Any, sql_log: Any, active: bool
) -> None:
    from uow_orm import inspect

    class Base(DeclarativeBase):
        pass

    class Team(Base):
        __tablename__ = "ah_team"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Player(Base):
        __tablename__ = "ah_player"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int | None] = mapped_column(ForeignKey("ah_team.id"))
        team: Mapped[Team | None] = relationship(active_history=active)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Player(id=1, team=Team(id=1)))
        s.commit()
    with Session(engine) as s:
        p = s.get(Player, 1)
        log = sql_log(engine)
        p.team = Team(id=2)
        assert log.count("SELECT") == (1 if active else 0)
        assert [t.id for t in inspect(p).attrs.team.history.deleted] == ([1] if active else [])
        s.commit()
    assert fetch(engine, "SELECT team_id FROM ah_player") == [(2,)]


def test_sync_backref_false_leaves_the_other_side_alone_but_the_rows_follow(
    engine: Any,
) -> None:
    class Base(DeclarativeBase):
        pass

    class Crate(Base):
        __tablename__ = "sb_crate"
        id: Mapped[int] = mapped_column(primary_key=True)
        bottles: Mapped[list[Bottle]] = relationship(back_populates="crate", sync_backref=False)

    class Bottle(Base):
        __tablename__ = "sb_bottle"
        id: Mapped[int] = mapped_column(primary_key=True)
        crate_id: Mapped[int | None] = mapped_column(ForeignKey("sb_crate.id"))
        crate: Mapped[Crate | None] = relationship(back_populates="bottles")

    crate, first, second = Crate(id=1), Bottle(id=1), Bottle(id=2)
    crate.bottles.append(first)
    assert first.crate is None  # this side does not sync the other
    second.crate = crate
    assert crate.bottles == [first, second]  # the other side still syncs this one
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(crate)
        s.commit()
    assert fetch(engine, "SELECT id, crate_id FROM sb_bottle ORDER BY id") == [(1, 1), (2, 1)]
    with pytest.raises(exc.ArgumentError, match="sync_backref and viewonly"):
        relationship("Bottle", viewonly=True, sync_backref=True)
