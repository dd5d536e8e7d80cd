"""A class mapped to a join of tables (``__table__ = join(user_table, address_table)``):
loading, querying, and the flush writing each table's row (SQLAlchemy's non-traditional
mappings guide)."""

from __future__ import annotations

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    exc,
    func,
    inspect,
    join,
    outerjoin,
    select,
)
from uow_orm.orm import DeclarativeBase, Session, column_property, joinedload, relationship

metadata = MetaData()

user_table = Table(
    "jm_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(30)),
)
address_table = Table(
    "jm_address",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("jm_user.id")),
    Column("email_address", String(50)),
)


class Base(DeclarativeBase):
    metadata = metadata


class AddressUser(Base):
    __table__ = join(user_table, address_table)

    id = column_property(user_table.c.id, address_table.c.user_id)
    address_id = address_table.c.id


class Note(Base):
    __tablename__ = "jm_note"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("jm_user.id"))
    author = relationship(
        AddressUser,
        primaryjoin="Note.user_id == AddressUser.id",
        foreign_keys="Note.user_id",
        viewonly=True,
    )


p_table = Table(
    "jm_p", metadata, Column("id", Integer, primary_key=True), Column("name", String(20))
)
q_table = Table(
    "jm_q",
    metadata,
    Column("id", Integer, ForeignKey("jm_p.id"), primary_key=True),
    Column("extra", String(20)),
)


class PtoQ(Base):
    __table__ = outerjoin(p_table, q_table)
    id = column_property(p_table.c.id, q_table.c.id)


class Other(DeclarativeBase):
    pass


class UserEmail(Other):
    """The same tables, the equated columns under two attributes (``user_id`` follows ``id``)."""

    __table__ = join(user_table, address_table)
    address_id = address_table.c.id
    uid = user_table.c.id


def _rows(session: Session) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return (
        fetch(session.bind, "SELECT id, name FROM jm_user ORDER BY id"),
        fetch(session.bind, "SELECT id, user_id, email_address FROM jm_address ORDER BY id"),
    )


def test_join_mapping_maps_equated_columns_under_one_attribute() -> None:
    mapper = inspect(AddressUser)
    assert AddressUser.__table__ is not user_table
    assert list(mapper.primary_key) == [user_table.c.id, address_table.c.id]
    assert AddressUser.id.expressions == [user_table.c.id, address_table.c.user_id]
    sql = str(select(AddressUser.name).group_by(*AddressUser.id.expressions))
    assert "GROUP BY jm_user.id, jm_address.user_id" in sql


def test_insert_writes_each_table_copying_the_key(session: Session) -> None:
    au = AddressUser(name="ann", email_address="ann@x")
    session.add(au)
    session.commit()
    users, addresses = _rows(session)
    assert users == [(au.id, "ann")]
    assert addresses == [(au.address_id, au.id, "ann@x")]
    assert inspect(au).identity == (au.id, au.address_id)


def test_update_changes_the_rows_of_both_tables(session: Session) -> None:
    au = AddressUser(name="ann", email_address="ann@x")
    session.add(au)
    session.commit()
    au.name = "bea"
    session.commit()
    au.email_address = "bea@x"
    session.commit()
    assert _rows(session) == ([(au.id, "bea")], [(au.address_id, au.id, "bea@x")])


def test_delete_removes_the_rows_of_both_tables(session: Session) -> None:
    au = AddressUser(name="ann", email_address="ann@x")
    session.add(au)
    session.commit()
    session.delete(au)
    session.commit()
    assert _rows(session) == ([], [])


def test_rows_load_and_query_from_the_join(session: Session) -> None:
    session.add_all(
        [
            AddressUser(name="ann", email_address="a1@x"),
            AddressUser(name="bob", email_address="b@x"),
        ]
    )
    session.commit()
    session.expunge_all()
    got = session.scalars(select(AddressUser).where(AddressUser.email_address == "b@x")).one()
    assert (got.name, got.email_address) == ("bob", "b@x")
    assert session.get(AddressUser, (got.id, got.address_id)) is got
    counts = session.execute(
        select(AddressUser.name, func.count()).group_by(AddressUser.name).order_by(AddressUser.name)
    ).all()
    assert [tuple(r) for r in counts] == [("ann", 1), ("bob", 1)]


def test_equated_columns_under_two_attributes_are_copied_on_insert(db: object) -> None:
    with Session(db) as session:
        ue = UserEmail(name="cy", email_address="c@x")
        session.add(ue)
        session.commit()
        assert ue.user_id == ue.uid
        assert _rows(session) == ([(ue.uid, "cy")], [(ue.address_id, ue.uid, "c@x")])


def test_same_named_columns_not_equated_are_refused() -> None:
    class Local(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="both named 'id'"):

        class Clash(Local):
            __table__ = join(user_table, address_table)


def test_relationship_to_a_join_mapped_class_loads_lazily_and_joined(session: Session) -> None:
    au = AddressUser(name="ann", email_address="ann@x")
    session.add(au)
    session.commit()
    session.add(Note(id=1, user_id=au.id))
    session.commit()
    session.expunge_all()
    assert session.get(Note, 1).author.email_address == "ann@x"
    session.expunge_all()
    note = session.scalars(select(Note).options(joinedload(Note.author))).one()
    assert "author" in note.__dict__ and note.author.name == "ann"


def test_outer_join_mapping_updates_but_does_not_insert_the_missing_row(session: Session) -> None:
    session.connection().execute(p_table.insert().values(id=1, name="a"))
    session.commit()
    row = session.scalars(select(PtoQ)).one()
    assert (row.id, row.name, row.extra) == (1, "a", None)
    row.name = "b"
    session.commit()
    assert fetch(session.bind, "SELECT id, name FROM jm_p") == [(1, "b")]
    row.extra = "x"  # no jm_q row: the UPDATE matches nothing, as in SQLAlchemy
    with pytest.raises(exc.StaleDataError):
        session.commit()
    session.rollback()
    assert fetch(session.bind, "SELECT id, extra FROM jm_q") == []
