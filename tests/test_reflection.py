"""Schema reflection: ``inspect(engine)`` reads back what the database holds, and
``MetaData.reflect`` / ``Table(autoload_with=...)`` build usable tables from it.

Both backends; every schema here is created with raw DDL or uow_orm's own ``create_all``
and then read back from the live catalog.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import pytest

from uow_orm import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    exc,
    insert,
    inspect,
    select,
    text,
)
from uow_orm.engine.reflection import Inspector


def _ddl(engine: Any, *statements: str) -> None:
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


SCHEMA = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL DEFAULT 'anon', "
    "email VARCHAR(100), CONSTRAINT uq_users_email UNIQUE (email), "
    "CONSTRAINT ck_users_name CHECK (length(name) > 0))",
    "CREATE TABLE addresses (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
    "street TEXT, CONSTRAINT fk_addresses_user FOREIGN KEY (user_id) REFERENCES users (id) "
    "ON DELETE CASCADE ON UPDATE CASCADE)",
    "CREATE INDEX ix_addresses_street ON addresses (street)",
    "CREATE UNIQUE INDEX ix_addresses_user_street ON addresses (user_id, street)",
    "CREATE VIEW user_names AS SELECT name FROM users",
)


@pytest.fixture
def schema_engine(engine: Any) -> Any:
    _ddl(engine, *SCHEMA)
    return engine


def test_inspect_engine_and_connection_give_an_inspector(schema_engine: Any) -> None:
    assert isinstance(inspect(schema_engine), Inspector)
    with schema_engine.connect() as conn:
        insp = inspect(conn)
        assert insp.get_table_names() == ["addresses", "users"]


def test_table_and_view_names_are_listed_separately(schema_engine: Any) -> None:
    insp = inspect(schema_engine)
    assert insp.get_table_names() == ["addresses", "users"]
    assert insp.get_view_names() == ["user_names"]
    assert insp.has_table("users") and insp.has_table("user_names")
    assert not insp.has_table("nope")
    assert "name" in insp.get_view_definition("user_names")


def test_schema_names_hold_the_default_schema(schema_engine: Any, backend: str) -> None:
    insp = inspect(schema_engine)
    default = insp.default_schema_name
    assert default == ("main" if backend == "sqlite" else "public")
    assert default in insp.get_schema_names()
    assert not any(
        n.startswith("pg_") or n == "information_schema" for n in insp.get_schema_names()
    )


def test_columns_report_type_nullability_default_and_autoincrement(
    schema_engine: Any, backend: str
) -> None:
    cols = {c["name"]: c for c in inspect(schema_engine).get_columns("users")}
    assert list(cols) == ["id", "name", "email"]
    assert isinstance(cols["id"]["type"], Integer)
    # SQLite numbers an INTEGER PRIMARY KEY itself (the rowid); PostgreSQL only a column
    # with a sequence or identity (see the SERIAL column in the enum test).
    assert cols["id"]["autoincrement"] is (backend == "sqlite")
    assert cols["id"]["nullable"] is False
    assert isinstance(cols["name"]["type"], String) and cols["name"]["type"].length == 50
    assert cols["name"]["nullable"] is False
    assert "anon" in cols["name"]["default"]
    assert cols["email"]["nullable"] is True and cols["email"]["default"] is None
    assert cols["email"]["type"].length == 100


def test_primary_and_foreign_keys_with_their_actions(schema_engine: Any) -> None:
    insp = inspect(schema_engine)
    assert insp.get_pk_constraint("users")["constrained_columns"] == ["id"]
    [fk] = insp.get_foreign_keys("addresses")
    assert fk["name"] == "fk_addresses_user"
    assert fk["constrained_columns"] == ["user_id"]
    assert fk["referred_table"] == "users"
    assert fk["referred_columns"] == ["id"]
    assert fk["referred_schema"] is None
    assert fk["options"] == {"ondelete": "CASCADE", "onupdate": "CASCADE"}


def test_composite_keys_keep_column_order(engine: Any) -> None:
    _ddl(
        engine,
        "CREATE TABLE parent (b INTEGER NOT NULL, a INTEGER NOT NULL, PRIMARY KEY (b, a))",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, pa INTEGER, pb INTEGER, "
        "FOREIGN KEY (pb, pa) REFERENCES parent (b, a))",
    )
    insp = inspect(engine)
    assert insp.get_pk_constraint("parent")["constrained_columns"] == ["b", "a"]
    [fk] = insp.get_foreign_keys("child")
    assert fk["constrained_columns"] == ["pb", "pa"]
    assert fk["referred_columns"] == ["b", "a"]
    assert fk["options"] == {}


def test_indexes_unique_constraints_and_checks(schema_engine: Any) -> None:
    insp = inspect(schema_engine)
    indexes = {ix["name"]: ix for ix in insp.get_indexes("addresses")}
    assert set(indexes) == {"ix_addresses_street", "ix_addresses_user_street"}
    assert indexes["ix_addresses_street"]["column_names"] == ["street"]
    assert indexes["ix_addresses_street"]["unique"] is False
    assert indexes["ix_addresses_user_street"]["column_names"] == ["user_id", "street"]
    assert indexes["ix_addresses_user_street"]["unique"] is True
    # The index behind a UNIQUE constraint is reported as the constraint, not as an index.
    assert insp.get_indexes("users") == []
    assert insp.get_unique_constraints("users") == [
        {"name": "uq_users_email", "column_names": ["email"]}
    ]
    [check] = insp.get_check_constraints("users")
    assert check["name"] == "ck_users_name"
    # PostgreSQL prints the condition back normalised (``length(name::text) > 0``).
    assert check["sqltext"].replace("::text", "") == "length(name) > 0"
    assert not check["sqltext"].upper().startswith("CHECK")


def test_expression_and_partial_indexes(engine: Any, backend: str) -> None:
    _ddl(
        engine,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20), n INTEGER)",
        "CREATE INDEX ix_lower ON t (lower(name), n)",
        "CREATE INDEX ix_partial ON t (n) WHERE n > 3",
    )
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("t")}
    lower = indexes["ix_lower"]
    assert lower["column_names"] == [None, "n"]
    assert lower["expressions"][0].replace(" ", "").lower().startswith("lower(")
    where = indexes["ix_partial"]["dialect_options"][f"{backend}_where"]
    assert "n > 3" in where


def test_missing_table_raises_no_such_table(engine: Any) -> None:
    insp = inspect(engine)
    with pytest.raises(exc.NoSuchTableError, match="ghost"):
        insp.get_columns("ghost")
    with pytest.raises(exc.NoSuchTableError):
        Table("ghost", MetaData(), autoload_with=engine)


def test_table_comment_is_read_on_postgresql(engine: Any, backend: str) -> None:
    _ddl(engine, "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)")
    if backend == "postgresql":
        _ddl(engine, "COMMENT ON TABLE t IS 'the t'", "COMMENT ON COLUMN t.x IS 'the x'")
    insp = inspect(engine)
    expected = "the t" if backend == "postgresql" else None
    assert insp.get_table_comment("t") == {"text": expected}
    x = next(c for c in insp.get_columns("t") if c["name"] == "x")
    assert x["comment"] == ("the x" if backend == "postgresql" else None)


def test_sequences_and_enums_on_postgresql(engine: Any, backend: str) -> None:
    if backend == "sqlite":
        insp = inspect(engine)
        assert insp.get_sequence_names() == [] and insp.get_enums() == []
        return
    _ddl(
        engine,
        "CREATE SEQUENCE order_numbers",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TABLE person (id SERIAL PRIMARY KEY, feeling mood NOT NULL)",
    )
    insp = inspect(engine)
    assert "order_numbers" in insp.get_sequence_names()
    assert "person_id_seq" in insp.get_sequence_names()
    assert insp.get_enums() == [
        {"name": "mood", "schema": "public", "visible": True, "labels": ["sad", "ok", "happy"]}
    ]
    cols = {c["name"]: c for c in insp.get_columns("person")}
    assert cols["id"]["autoincrement"] is True
    assert [m.value for m in cols["feeling"]["type"].enum_class] == ["sad", "ok", "happy"]


# -- every uow_orm type, created by create_all, read back -------------------------------
def _all_types_table(metadata: MetaData) -> Table:
    return Table(
        "everything",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("small", SmallInteger),
        Column("big", BigInteger),
        Column("name", String(40)),
        Column("body", Text),
        Column("flag", Boolean),
        Column("ratio", Float),
        Column("price", Numeric(10, 2)),
        Column("day", Date),
        Column("at", DateTime),
        Column("at_tz", DateTime(timezone=True)),
        Column("clock", Time),
        Column("doc", JSON),
        Column("token", Uuid),
        Column("blob", LargeBinary),
    )


EXPECTED_TYPES: dict[str, dict[str, tuple[type, dict[str, Any]]]] = {
    # What each backend's catalog can tell: SQLite keeps only the declared type name, so
    # Uuid comes back as CHAR(32) (a String) and both DateTime flavours as DateTime().
    "sqlite": {
        "token": (String, {"length": 32}),
        "at_tz": (DateTime, {"timezone": False}),
    },
    "postgresql": {
        "token": (Uuid, {}),
        "at_tz": (DateTime, {"timezone": True}),
    },
}


def test_every_type_round_trips_through_the_catalog(engine: Any, backend: str) -> None:
    _all_types_table(m := MetaData()).metadata.create_all(engine)
    assert m is not None
    reflected = {c["name"]: c["type"] for c in inspect(engine).get_columns("everything")}
    common: dict[str, tuple[type, dict[str, Any]]] = {
        "id": (Integer, {}),
        "small": (SmallInteger, {}),
        "big": (BigInteger, {}),
        "name": (String, {"length": 40}),
        "body": (Text, {}),
        "flag": (Boolean, {}),
        "ratio": (Float, {}),
        "price": (Numeric, {"precision": 10, "scale": 2}),
        "day": (Date, {}),
        "at": (DateTime, {"timezone": False}),
        "clock": (Time, {}),
        "doc": (JSON, {}),
        "blob": (LargeBinary, {}),
    }
    for name, (cls, attrs) in {**common, **EXPECTED_TYPES[backend]}.items():
        assert isinstance(reflected[name], cls), (name, reflected[name])
        for attr, value in attrs.items():
            assert getattr(reflected[name], attr) == value, (name, attr)


def test_reflected_table_reads_and_writes_values_of_every_type(engine: Any, backend: str) -> None:
    """A table reflected from create_all's DDL is usable: insert and select through it."""
    _all_types_table(MetaData()).metadata.create_all(engine)
    table = Table("everything", MetaData(), autoload_with=engine)
    values = {
        "id": 1,
        "small": 7,
        "big": 2**40,
        "name": "ada",
        "body": "long text",
        "flag": True,
        "ratio": 0.5,
        "price": decimal.Decimal("12.34"),
        "day": dt.date(2026, 12, 1),
        "at": dt.datetime(2026, 12, 1, 8, 30),
        "clock": dt.time(8, 30),
        "doc": {"a": [1, 2]},
        "blob": b"\x00\x01",
    }
    with engine.begin() as conn:
        conn.execute(insert(table).values(**values))
    with engine.connect() as conn:
        row = conn.execute(select(table)).one()._mapping
    for key, value in values.items():
        assert row[key] == value, key


# -- MetaData.reflect and Table(autoload_with=) ------------------------------------------
def test_metadata_reflect_builds_tables_with_keys(schema_engine: Any) -> None:
    metadata = MetaData()
    metadata.reflect(schema_engine)
    assert set(metadata.tables) == {"users", "addresses"}
    users, addresses = metadata.tables["users"], metadata.tables["addresses"]
    assert [c.name for c in users.primary_key] == ["id"]
    [fk] = addresses.c.user_id.foreign_keys
    assert fk.column is users.c.id
    assert fk.ondelete == "CASCADE" and fk.onupdate == "CASCADE"
    assert users.c.email.nullable and not users.c.name.nullable
    uniques = [c for c in users.constraints if isinstance(c, UniqueConstraint)]
    assert [(u.name, u.column_names) for u in uniques] == [("uq_users_email", ["email"])]
    assert {(i.name, tuple(i.column_names), i.unique) for i in addresses.indexes} == {
        ("ix_addresses_street", ("street",), False),
        ("ix_addresses_user_street", ("user_id", "street"), True),
    }


def test_reflected_tables_run_core_statements(schema_engine: Any) -> None:
    metadata = MetaData()
    metadata.reflect(schema_engine, only=["addresses"])
    # The referenced table came along so the foreign key resolves.
    assert set(metadata.tables) == {"addresses", "users"}
    users, addresses = metadata.tables["users"], metadata.tables["addresses"]
    with schema_engine.begin() as conn:
        conn.execute(insert(users).values(id=1, email="a@x"))
        conn.execute(insert(addresses).values(id=10, user_id=1, street="Main"))
    with schema_engine.connect() as conn:
        rows = conn.execute(
            select(users.c.name, addresses.c.street).join(
                addresses, users.c.id == addresses.c.user_id
            )
        ).all()
    # name came from the server default that reflection kept.
    assert [tuple(r) for r in rows] == [("anon", "Main")]


def test_reflect_only_unknown_table_raises(schema_engine: Any) -> None:
    with pytest.raises(exc.InvalidRequestError, match="ghost"):
        MetaData().reflect(schema_engine, only=["users", "ghost"])


def test_reflect_only_predicate_and_views(schema_engine: Any) -> None:
    metadata = MetaData()
    metadata.reflect(schema_engine, only=lambda name, md: name.startswith("user"), views=True)
    assert set(metadata.tables) == {"users", "user_names"}
    with schema_engine.connect() as conn:
        assert conn.execute(select(metadata.tables["user_names"])).all() == []


def test_reflect_skips_tables_already_present(schema_engine: Any) -> None:
    metadata = MetaData()
    users = Table("users", metadata, Column("id", Integer, primary_key=True))
    metadata.reflect(schema_engine)
    assert metadata.tables["users"] is users
    assert list(users.c.keys()) == ["id"]


def test_autoload_with_keeps_explicit_columns(schema_engine: Any) -> None:
    explicit = Column("email", String(100), nullable=False)
    users = Table("users", MetaData(), explicit, autoload_with=schema_engine)
    assert users.c.email is explicit
    assert list(users.c.keys()) == ["email", "id", "name"]


def test_autoload_with_include_columns(schema_engine: Any) -> None:
    users = Table("users", MetaData(), autoload_with=schema_engine, include_columns=["id", "name"])
    assert list(users.c.keys()) == ["id", "name"]


def test_reflected_table_can_be_mapped(schema_engine: Any) -> None:
    from uow_orm import Session, declarative_base

    metadata = MetaData()
    metadata.reflect(schema_engine)
    Base = declarative_base()

    class User(Base):
        __table__ = metadata.tables["users"]

    with Session(schema_engine) as s:
        s.add(User(id=5, name="grace", email="g@x"))
        s.commit()
    with Session(schema_engine) as s:
        assert s.get(User, 5).name == "grace"


def test_uuid_column_reflected_on_postgresql_round_trips(pg_url: str) -> None:
    from uow_orm import create_engine

    engine = create_engine(pg_url)
    _ddl(engine, "CREATE TABLE tokens (id UUID PRIMARY KEY)")
    table = Table("tokens", MetaData(), autoload_with=engine)
    token = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=token))
    with engine.connect() as conn:
        assert conn.execute(select(table.c.id)).scalar_one() == token
    engine.dispose()


# -- CHECK constraints, comments, schemas and composite key actions on reflected tables ----
def _checked_and_commented(metadata: MetaData) -> Table:
    from uow_orm import CheckConstraint

    return Table(
        "items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("qty", Integer, nullable=False, comment="units in stock"),
        CheckConstraint("qty >= 0", name="ck_items_qty"),
        comment="stock items",
    )


def test_reflected_table_keeps_check_constraints_and_comments(engine: Any, backend: str) -> None:
    from uow_orm import CheckConstraint

    _checked_and_commented(MetaData()).create(engine)
    reflected = Table("items", MetaData(), autoload_with=engine)
    checks = [c for c in reflected.constraints if isinstance(c, CheckConstraint)]
    assert [(c.name, str(c.sqltext)) for c in checks] == [("ck_items_qty", "qty >= 0")]
    if backend == "postgresql":
        assert (reflected.comment, reflected.c.qty.comment) == ("stock items", "units in stock")
    else:  # SQLite stores no comments (its DDL writes none)
        assert (reflected.comment, reflected.c.qty.comment) == (None, None)
    # The reflected Table re-creates the constraint (and comments) it read.
    _ddl(engine, "DROP TABLE items")
    reflected.create(engine)
    with pytest.raises(exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(insert(reflected).values(id=1, qty=-1))
    insp = inspect(engine)
    assert [c["name"] for c in insp.get_check_constraints("items")] == ["ck_items_qty"]
    if backend == "postgresql":
        assert insp.get_table_comment("items") == {"text": "stock items"}
        assert insp.get_columns("items")[1]["comment"] == "units in stock"


def test_reflected_composite_foreign_key_keeps_its_actions(engine: Any) -> None:
    _ddl(
        engine,
        "CREATE TABLE parent (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b))",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, pa INTEGER, pb INTEGER, "
        "CONSTRAINT fk_child_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) "
        "ON DELETE SET NULL ON UPDATE CASCADE)",
    )
    metadata = MetaData()
    child = Table("child", metadata, autoload_with=engine)
    assert {(fk.ondelete, fk.onupdate) for fk in child.foreign_keys} == {("SET NULL", "CASCADE")}
    # Rebuilt from the reflected tables, the actions still act on the rows.
    _ddl(engine, "DROP TABLE child", "DROP TABLE parent")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(metadata.tables["parent"]).values(a=1, b=1))
        conn.execute(insert(child).values(id=1, pa=1, pb=1))
        conn.execute(text("UPDATE parent SET b = 2"))
        assert conn.execute(text("SELECT pa, pb FROM child")).all() == [(1, 2)]
        conn.execute(text("DELETE FROM parent"))
        assert conn.execute(text("SELECT pa, pb FROM child")).all() == [(None, None)]


@pytest.fixture
def other_schema(backend: str, request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """An engine whose database has a second schema "other" (PostgreSQL) or attached
    database "other" (SQLite, attached on every connection) with two related tables."""
    from uow_orm import create_engine, event

    if backend == "postgresql":
        engine = create_engine(request.getfixturevalue("db_url"))
        _ddl(engine, "CREATE SCHEMA other")
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'main.db'}")
        other = str(tmp_path / "other.db")

        @event.listens_for(engine, "connect")
        def attach(dbapi_conn: Any, record: Any) -> None:
            dbapi_conn.execute("ATTACH DATABASE ? AS other", (other,))

    _ddl(
        engine,
        "CREATE TABLE other.owner (id INTEGER PRIMARY KEY, name VARCHAR(20))",
        "CREATE TABLE other.pet (id INTEGER PRIMARY KEY, "
        "owner_id INTEGER REFERENCES owner (id) ON DELETE CASCADE)"
        if backend == "sqlite"
        else "CREATE TABLE other.pet (id INTEGER PRIMARY KEY, "
        "owner_id INTEGER REFERENCES other.owner (id) ON DELETE CASCADE)",
        "INSERT INTO other.owner (id, name) VALUES (1, 'ann')",
        "INSERT INTO other.pet (id, owner_id) VALUES (7, 1)",
    )
    yield engine
    engine.dispose()


def test_reflect_schema_builds_schema_qualified_tables(other_schema: Any) -> None:
    metadata = MetaData()
    metadata.reflect(other_schema, schema="other")
    assert sorted(metadata.tables) == ["other.owner", "other.pet"]
    owner, pet = metadata.tables["other.owner"], metadata.tables["other.pet"]
    assert owner.schema == pet.schema == "other"
    (fk,) = pet.c.owner_id.foreign_keys
    assert fk.column is owner.c.id and fk.ondelete == "CASCADE"
    assert inspect(other_schema).get_table_names() == []  # nothing landed in the default
    with other_schema.begin() as conn:
        conn.execute(insert(pet).values(id=8, owner_id=1))
    with other_schema.connect() as conn:
        rows = conn.execute(
            select(owner.c.name, pet.c.id).join_from(pet, owner).order_by(pet.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [("ann", 7), ("ann", 8)]


def test_autoload_with_schema_reads_that_schema_and_its_referenced_tables(
    other_schema: Any,
) -> None:
    metadata = MetaData()
    pet = Table("pet", metadata, schema="other", autoload_with=other_schema)
    assert pet.fullname == "other.pet" and "other.owner" in metadata.tables
    with other_schema.connect() as conn:
        assert conn.execute(select(pet.c.owner_id)).scalars().all() == [1]
    with pytest.raises(exc.NoSuchTableError, match=r"other\.ghost"):
        Table("ghost", MetaData(), schema="other", autoload_with=other_schema)
    with pytest.raises(exc.InvalidRequestError, match=r"'other'.*ghost"):
        MetaData().reflect(other_schema, schema="other", only=["ghost"])
