"""Column-level mapping and loading: column_property (expressions and correlated scalar
subqueries), deferred columns and groups, the defer / undefer / undefer_group / load_only /
raiseload options, query_expression + with_expression, synonym.

Acceptance tests for issue 13 (written from SQLAlchemy's "SQL Expressions as Mapped
Attributes" and "Column Loading Options" documentation); SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    ForeignKey,
    Mapped,
    Session,
    String,
    Text,
    exc,
    func,
    mapped_column,
    relationship,
    select,
)
from uow_orm.orm import (
    DeclarativeBase,
    SynonymProperty,
    column_property,
    defer,
    deferred,
    load_only,
    query_expression,
    raiseload,
    synonym,
    undefer,
    undefer_group,
    with_expression,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    firstname: Mapped[str] = mapped_column(String(50))
    lastname: Mapped[str] = mapped_column(String(50))
    fullname: Mapped[str] = column_property(firstname + " " + lastname)
    # a column_property built on another one's .expression in the class body (as in
    # SQLAlchemy's "SQL Expressions as Mapped Attributes" guide)
    label: Mapped[str] = column_property("user: " + fullname.expression)
    addresses: Mapped[list[Address]] = relationship(back_populates="user")
    score: Mapped[int | None] = query_expression()
    first = synonym("firstname")


class Address(Base):
    __tablename__ = "address"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    email: Mapped[str] = mapped_column(String(50))
    user: Mapped[User] = relationship(back_populates="addresses")


User.address_count = column_property(
    select(func.count(Address.id)).where(Address.user_id == User.id).scalar_subquery()
)


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str] = mapped_column(Text, deferred=True)
    cover_photo: Mapped[str] = mapped_column(Text, deferred=True, deferred_group="photos")
    back_photo: Mapped[str] = mapped_column(Text, deferred=True, deferred_group="photos")
    secret: Mapped[str | None] = mapped_column(Text, deferred_raiseload=True)
    notes = deferred(mapped_column(Text, nullable=True))


@pytest.fixture
def db(db: Any) -> Any:
    with Session(db) as s:
        s.add_all(
            [
                User(
                    id=1,
                    firstname="Ann",
                    lastname="Lee",
                    addresses=[Address(id=1, email="a@x"), Address(id=2, email="b@x")],
                ),
                User(id=2, firstname="Bob", lastname="Ray"),
                Book(
                    id=1,
                    title="T",
                    summary="S",
                    cover_photo="C",
                    back_photo="B",
                    secret="Z",
                    notes="N",
                ),
            ]
        )
        s.commit()
    return db


def test_column_property_expression_loads_with_the_object(db, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        u = s.get(User, 1)
        assert u.fullname == "Ann Lee"
        assert log.count("SELECT") == 1


def test_column_property_over_another_ones_expression_loads_and_filters(db):
    with Session(db) as s:
        assert s.get(User, 1).label == "user: Ann Lee"
        got = s.scalars(select(User.id).where(User.label == "user: Bob Ray")).all()
        assert got == [2]


def test_column_property_is_usable_in_queries(db):
    with Session(db) as s:
        got = s.scalars(select(User).where(User.fullname == "Bob Ray")).one()
        assert got.id == 2
        names = s.scalars(select(User.fullname).order_by(User.fullname)).all()
        assert names == ["Ann Lee", "Bob Ray"]


def test_correlated_scalar_subquery_column_property(db):
    with Session(db) as s:
        users = s.scalars(select(User).order_by(User.id)).all()
        assert [u.address_count for u in users] == [2, 0]
        assert s.scalars(select(User.id).where(User.address_count > 1)).all() == [1]


def test_column_property_reloads_after_commit_expires_it(db):
    with Session(db) as s:
        u = s.get(User, 1)
        assert u.address_count == 2
        s.add(Address(id=3, email="c@x", user=u))
        s.commit()
        assert u.address_count == 3
        u.lastname = "Kim"
        s.commit()
        assert u.fullname == "Ann Kim"


def test_deferred_column_is_not_selected_and_loads_on_access(db, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        b = s.get(Book, 1)
        first = next(q for q in log.sql if q.startswith("SELECT"))
        assert "summary" not in first and "cover_photo" not in first
        assert "summary" not in b.__dict__
        assert b.summary == "S"
        selects = [q for q in log.sql if q.startswith("SELECT")]
        assert len(selects) == 2 and "summary" in selects[1]
        assert "cover_photo" not in selects[1]


def test_deferred_group_loads_together(db, sql_log):
    with Session(db) as s:
        b = s.get(Book, 1)
        log = sql_log(db)
        assert b.cover_photo == "C"
        assert "back_photo" in b.__dict__ and "summary" not in b.__dict__
        assert b.back_photo == "B"
        assert log.count("SELECT") == 1


def test_deferred_raiseload_raises_on_access(db):
    with Session(db) as s:
        b = s.get(Book, 1)
        with pytest.raises(exc.InvalidRequestError, match=r"Book\.secret"):
            b.secret
        b2 = s.scalars(select(Book).options(undefer(Book.secret))).one()
        assert b2.secret == "Z"


def test_deferred_function_form(db):
    with Session(db) as s:
        b = s.scalars(select(Book)).one()
        assert "notes" not in b.__dict__
        assert b.notes == "N"


def test_undefer_and_undefer_group_options(db, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        b = s.scalars(select(Book).options(undefer(Book.summary), undefer_group("photos"))).one()
        assert (b.summary, b.cover_photo, b.back_photo) == ("S", "C", "B")
        assert log.count("SELECT") == 1


def test_undefer_star_loads_every_deferred_column_in_one_select(db, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        b = s.scalars(select(Book).where(Book.id == 1).options(undefer("*"))).one()
        assert {"summary", "cover_photo", "back_photo", "secret", "notes"} <= set(b.__dict__)
        assert (b.summary, b.cover_photo, b.secret, b.notes) == ("S", "C", "Z", "N")
        assert log.count("SELECT") == 1


def test_undefer_refuses_other_strings(db):
    with pytest.raises(exc.ArgumentError, match="undefer"):
        undefer("summary")


def test_load_only_and_defer_options(db, sql_log):
    with Session(db) as s:
        log = sql_log(db)
        u = s.scalars(select(User).options(load_only(User.firstname)).where(User.id == 1)).one()
        assert "lastname" not in next(q for q in log.sql if q.startswith("SELECT"))
        assert set(u.__dict__) >= {"id", "firstname"} and "lastname" not in u.__dict__
        assert u.lastname == "Lee"  # loads on access
        s.expunge_all()
        u = s.scalars(select(User).options(defer(User.lastname)).where(User.id == 1)).one()
        assert "lastname" not in u.__dict__ and u.firstname == "Ann"


def test_raiseload_and_defer_raiseload_on_columns(db):
    with Session(db) as s:
        u = s.scalars(select(User).options(raiseload(User.lastname)).where(User.id == 1)).one()
        with pytest.raises(exc.InvalidRequestError, match=r"User\.lastname"):
            u.lastname
        s.expunge_all()
        u = s.scalars(
            select(User).options(load_only(User.firstname, raiseload=True)).where(User.id == 1)
        ).one()
        with pytest.raises(exc.InvalidRequestError):
            u.lastname


def test_defer_of_a_primary_key_is_refused(db):
    with Session(db) as s, pytest.raises(exc.ArgumentError, match="primary key"):
        s.scalars(select(User).options(defer(User.id))).all()


def test_column_options_refuse_relationships_and_strings():
    with pytest.raises(exc.ArgumentError):
        defer("lastname")
    with pytest.raises(exc.ArgumentError):
        load_only(User.addresses)


def test_query_expression_with_expression(db):
    with Session(db) as s:
        u = s.get(User, 1)
        assert u.score is None  # no SQL: the query gave no expression
        s.expunge_all()
        users = s.scalars(
            select(User).options(with_expression(User.score, User.id * 10)).order_by(User.id)
        ).all()
        assert [u.score for u in users] == [10, 20]


def test_synonym_reads_writes_and_queries(db):
    assert isinstance(User.__mapper__.properties["first"], SynonymProperty)
    with Session(db) as s:
        u = s.scalars(select(User).where(User.first == "Ann")).one()
        assert u.first == "Ann"
        u.first = "Anna"
        s.commit()
    with Session(db) as s:
        assert s.get(User, 1).firstname == "Anna"
        assert User(first="X").firstname == "X"


def test_entity_select_without_column_options_reuses_mapper_lists():
    m = User.__mapper__
    cols, keys, strategies = m.entity_columns([])
    assert cols is m.load_columns and keys is m.load_keys and strategies is None
    plain = Address.__mapper__
    assert plain.load_columns is plain.column_list
