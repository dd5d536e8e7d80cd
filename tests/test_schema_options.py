"""Schema and column options: schema=, CheckConstraint, expression and partial indexes,
table comments, Identity, Sequence, Computed, server_default expressions, FetchedValue and
server-generated values read back (eager_defaults or on access).

Acceptance tests for issue 13 ("Schema and column options"); SQLite and PostgreSQL (where
a backend lacks a feature the test pins the documented behaviour).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from uow_orm import (
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    FetchedValue,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Mapped,
    MetaData,
    Sequence,
    Session,
    String,
    Table,
    create_engine,
    exc,
    func,
    insert,
    inspect,
    literal,
    mapped_column,
    relationship,
    select,
    text,
)
from uow_orm.orm import DeclarativeBase


def fetch(engine: Any, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def test_schema_qualified_tables_foreign_keys_and_orm_on_postgresql(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS app CASCADE"))
        conn.execute(text("CREATE SCHEMA app"))

    class Base(DeclarativeBase):
        metadata = MetaData(schema="app")

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        addresses: Mapped[list[Address]] = relationship(back_populates="user")

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("app.user_account.id"))
        user: Mapped[User] = relationship(back_populates="addresses")

    class Note(Base):
        __tablename__ = "note"
        __table_args__ = {"schema": "public"}
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    assert "app.user_account" in Base.metadata.tables
    assert Note.__table__.fullname == "public.note"
    Base.metadata.create_all(engine)
    Base.metadata.create_all(engine)  # checkfirst sees the tables in their schemas
    with Session(engine) as s:
        s.add(User(id=1, name="ann", addresses=[Address(id=1)]))
        s.flush()
        s.add(Note(id=1, user_id=1))
        s.commit()
    with Session(engine) as s:
        u = s.scalars(select(User).where(User.name == "ann")).one()
        assert [a.id for a in u.addresses] == [1]
        u.name = "bob"
        s.delete(u.addresses[0])
        s.commit()
    assert fetch(engine, "SELECT name FROM app.user_account") == [("bob",)]
    assert fetch(engine, "SELECT count(*) FROM app.address") == [(0,)]
    assert fetch(
        engine,
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'note'",
    ) == [("public",)]
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert(Address).values(id=9, user_id=99))
    Base.metadata.drop_all(engine)
    assert fetch(
        engine, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'app'"
    ) == [(0,)]
    engine.dispose()


def test_schema_on_sqlite_without_an_attached_database_is_refused_clearly(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    md = MetaData()
    Table("t", md, Column("id", Integer, primary_key=True), schema="other")
    with pytest.raises(exc.InvalidRequestError, match="ATTACH DATABASE"):
        md.create_all(engine)
    engine.dispose()


def test_check_constraints_on_table_and_column(engine):
    md = MetaData()
    t = Table(
        "product",
        md,
        Column("id", Integer, primary_key=True),
        Column("price", Integer, CheckConstraint("price >= 0", name="ck_price")),
        Column("qty", Integer),
        CheckConstraint("qty < 100", name="ck_qty"),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, price=5, qty=3))
    for values in ({"id": 2, "price": -1, "qty": 1}, {"id": 3, "price": 1, "qty": 500}):
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:
            conn.execute(insert(t).values(**values))
    assert fetch(engine, "SELECT id FROM product") == [(1,)]


def test_expression_index_and_partial_unique_index(engine):
    md = MetaData()
    t = Table(
        "account",
        md,
        Column("id", Integer, primary_key=True),
        Column("email", String(50)),
        Column("active", Integer),
    )
    Index("ix_account_lower_email", func.lower(t.c.email), unique=True)
    Index(
        "ix_account_active_id",
        t.c.id,
        unique=True,
        postgresql_where=t.c.active == 1,
        sqlite_where=t.c.active == 1,
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, email="A@x", active=1))
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert(t).values(id=2, email="a@X", active=0))
    assert fetch(engine, "SELECT count(*) FROM account") == [(1,)]


def test_postgresql_using_and_table_comment(pg_url):
    engine = create_engine(pg_url)
    md = MetaData()
    t = Table(
        "doc",
        md,
        Column("id", Integer, primary_key=True),
        Column("body", String(50)),
        comment="documents, one per row",
    )
    Index("ix_doc_body", t.c.body, postgresql_using="hash")
    md.drop_all(engine)
    md.create_all(engine)
    assert fetch(engine, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_doc_body'")[0][
        0
    ].endswith("USING hash (body)")
    assert fetch(engine, "SELECT obj_description('doc'::regclass, 'pg_class')") == [
        ("documents, one per row",)
    ]
    md.drop_all(engine)
    engine.dispose()


def test_unknown_index_keyword_is_refused():
    with pytest.raises(exc.ArgumentError, match="postgresql_length"):
        Index("ix", "a", postgresql_length=5)
    with pytest.raises(exc.ArgumentError, match="length"):
        Index("ix", "a", length=5)


def test_other_backends_options_are_kept_and_leave_the_ddl_alone(engine):
    # SQLAlchemy models written for MySQL carry mysql_engine= etc.; on SQLite and
    # PostgreSQL SQLAlchemy keeps and does not use them, and so does uow_orm
    class Base(DeclarativeBase):
        pass

    class Log(Base):
        __tablename__ = "other_backend_log"
        __table_args__ = (
            Index("ix_log_msg", "msg", mysql_length=10, mssql_clustered=False),
            {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mariadb_engine": "Aria"},
        )
        id: Mapped[int] = mapped_column(primary_key=True)
        msg: Mapped[str] = mapped_column(String(50))

    table = Log.__table__
    assert table.dialect_kwargs == {
        "mysql_engine": "InnoDB",
        "mysql_charset": "utf8mb4",
        "mariadb_engine": "Aria",
    }
    assert table.indexes[0].dialect_kwargs == {"mysql_length": 10, "mssql_clustered": False}
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Log(id=1, msg="hello"))
        s.commit()
    assert fetch(engine, "SELECT id, msg FROM other_backend_log") == [(1, "hello")]
    assert [i["name"] for i in inspect(engine).get_indexes("other_backend_log")] == ["ix_log_msg"]
    with pytest.raises(exc.ArgumentError, match="postgresql_bogus"):
        Table("other_backend_bad", MetaData(), Column("id", Integer), postgresql_bogus=1)


def test_identity_and_sequence_generate_keys(engine, backend):
    class Base(DeclarativeBase):
        pass

    class A(Base):
        __tablename__ = "a"
        id: Mapped[int] = mapped_column(Integer, Identity(start=100), primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    class B(Base):
        __tablename__ = "b"
        id: Mapped[int] = mapped_column(Integer, Sequence("b_id_seq", start=50), primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        a, b = A(name="x"), B()
        s.add_all([a, b])
        s.commit()
        ids = (a.id, b.id)
    # SQLite: the rowid generates the keys (Identity / Sequence options need PostgreSQL)
    assert ids == ((100, 50) if backend == "postgresql" else (1, 1))
    Base.metadata.drop_all(engine)


def test_computed_column_is_read_back_after_insert_and_update(engine, sql_log):
    class Base(DeclarativeBase):
        pass

    class Line(Base):
        __tablename__ = "line"
        id: Mapped[int] = mapped_column(primary_key=True)
        price: Mapped[int]
        qty: Mapped[int]
        total: Mapped[int | None] = mapped_column(Computed("price * qty"))

    class EagerLine(Base):
        __tablename__ = "eager_line"
        __mapper_args__ = {"eager_defaults": True}
        id: Mapped[int] = mapped_column(primary_key=True)
        price: Mapped[int]
        total: Mapped[int | None] = mapped_column(Computed("price * 2"))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        line = Line(id=1, price=3, qty=4)
        eager = EagerLine(id=1, price=5)
        s.add_all([line, eager])
        s.flush()
        # eager_defaults "auto" (the default) fetches on INSERT with RETURNING, as SQLAlchemy
        assert line.__dict__["total"] == 12
        assert eager.__dict__["total"] == 10
        line.qty = 5
        eager.price = 6
        s.flush()
        assert "total" not in line.__dict__ and line.total == 15
        assert eager.__dict__["total"] == 12
        s.commit()
    assert fetch(engine, "SELECT total FROM line") == [(15,)]


def test_server_defaults_from_functions_text_literals_and_fetched_value(engine, sql_log):
    class Base(DeclarativeBase):
        pass

    class Event(Base):
        __tablename__ = "event"
        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
        kind: Mapped[str] = mapped_column(String(10), server_default=text("'info'"))
        level: Mapped[int] = mapped_column(server_default=literal(3))
        extra: Mapped[str | None] = mapped_column(String(10), server_default=FetchedValue())

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        log = sql_log(engine)
        e = Event(id=1)
        s.add(e)
        s.commit()
        insert_sql = next(q for q in log.sql if q.startswith("INSERT"))
        # the server fills them (and RETURNING, eager_defaults "auto", fetches them back)
        written, _, returned = insert_sql.upper().partition("RETURNING")
        assert "EXTRA" not in written and "KIND" not in written
        assert "EXTRA" in returned and "KIND" in returned
        assert (e.kind, e.level, e.extra) == ("info", 3, None)
        assert isinstance(e.at, datetime)
    assert fetch(engine, "SELECT kind, level FROM event") == [("info", 3)]


def test_sqlite_schema_is_an_attached_database():
    engine = create_engine("sqlite://")  # one connection: the ATTACH stays
    with engine.begin() as conn:
        conn.execute(text("ATTACH DATABASE :f AS other"), {"f": ":memory:"})

    class Base(DeclarativeBase):
        metadata = MetaData(schema="other")

    class Owner(Base):
        __tablename__ = "owner"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(10))

    class Pet(Base):
        __tablename__ = "pet"
        id: Mapped[int] = mapped_column(primary_key=True)
        owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"))
        owner: Mapped[Owner] = relationship()

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Pet(id=1, owner=Owner(id=1, name="ann")))
        s.commit()
        assert s.scalars(select(Pet)).one().owner.name == "ann"
    assert fetch(engine, "SELECT name FROM other.owner") == [("ann",)]
    assert fetch(engine, "SELECT count(*) FROM main.sqlite_master WHERE name = 'owner'") == [(0,)]
    md = MetaData()
    Table("t", md, Column("id", Integer, primary_key=True))
    Table("u", md, Column("t_id", ForeignKey("t.id"), primary_key=True), schema="other")
    with pytest.raises(exc.NotSupportedError, match="another"):
        md.create_all(engine)
    engine.dispose()


def test_sequence_next_value_is_nextval_on_postgresql_and_refused_on_sqlite(engine, backend):
    from uow_orm import Sequence as Seq

    md = MetaData()
    seq = Seq("nv_counter", start=10)
    t = Table("nv_t", md, Column("id", Integer, seq, primary_key=True))
    md.create_all(engine)
    stmt = select(seq.next_value())
    if backend == "postgresql":
        with engine.begin() as conn:
            assert conn.execute(stmt).scalar() == 10
            assert conn.execute(stmt).scalar() == 11
            conn.execute(insert(t).values(id=seq.next_value()))
            assert conn.execute(select(t.c.id)).scalars().all() == [12]
    else:
        with pytest.raises(exc.NotSupportedError, match="SQLite has no sequences"):
            stmt.compile(engine)
    assert str(stmt) == "SELECT nextval('nv_counter') AS anon_1"


def test_blank_schema_leaves_a_table_out_of_the_metadatas_schema():
    from uow_orm import BLANK_SCHEMA

    md = MetaData(schema="remote_banks")
    inside = Table("nb_in", md, Column("id", Integer, primary_key=True))
    outside = Table("nb_out", md, Column("id", Integer, primary_key=True), schema=BLANK_SCHEMA)
    assert (inside.schema, outside.schema) == ("remote_banks", None)
    assert sorted(md.tables) == ["nb_out", "remote_banks.nb_in"]
    assert str(select(outside)) == "SELECT nb_out.id \nFROM nb_out"
