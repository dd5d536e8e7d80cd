"""``uow_orm.ext.automap``: classes and relationships generated from a reflected database
work through the session like hand-written ones. Both backends."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import Column, Integer, Session, String, exc, select, text
from uow_orm.ext.automap import automap_base

# {pk}: a key the database numbers (SQLite's rowid; a sequence on PostgreSQL).
SCHEMA = (
    "CREATE TABLE users (id {pk}, name VARCHAR(20) NOT NULL)",
    "CREATE TABLE address (id {pk}, "
    "user_id INTEGER NOT NULL REFERENCES users (id), email VARCHAR(50))",
    "CREATE TABLE node (id {pk}, parent_id INTEGER REFERENCES node (id))",
    "CREATE TABLE keyword (id {pk}, word VARCHAR(20))",
    "CREATE TABLE user_keyword (user_id INTEGER NOT NULL REFERENCES users (id), "
    "keyword_id INTEGER NOT NULL REFERENCES keyword (id), PRIMARY KEY (user_id, keyword_id))",
    "CREATE TABLE audit_log (message VARCHAR(50))",
)


@pytest.fixture
def db(engine: Any, backend: str) -> Any:
    pk = "INTEGER PRIMARY KEY" if backend == "sqlite" else "SERIAL PRIMARY KEY"
    with engine.begin() as conn:
        for sql in SCHEMA:
            conn.execute(text(sql.replace("{pk}", pk)))
    return engine


def test_prepare_maps_every_table_with_a_primary_key(db: Any) -> None:
    Base = automap_base()
    Base.prepare(autoload_with=db)
    # The association table and the table without a primary key get no class.
    assert sorted(Base.classes.keys()) == ["address", "keyword", "node", "users"]
    assert "user_keyword" not in Base.classes
    assert Base.classes["users"] is Base.classes.users
    assert len(list(Base.classes)) == 4
    with pytest.raises(AttributeError, match="user_keyword"):
        Base.classes.user_keyword


def test_generated_relationships_load_and_flush(db: Any) -> None:
    Base = automap_base()
    Base.prepare(autoload_with=db)
    User, Address, Keyword = Base.classes.users, Base.classes.address, Base.classes.keyword
    with Session(db) as s:
        ada = User(name="ada")
        ada.address_collection.append(Address(email="a@x"))
        ada.keyword_collection.append(Keyword(word="math"))
        s.add(ada)
        s.commit()
    with db.connect() as conn:
        assert conn.execute(text("SELECT user_id, email FROM address")).all() == [(1, "a@x")]
        assert conn.execute(text("SELECT user_id, keyword_id FROM user_keyword")).all() == [(1, 1)]
    with Session(db) as s:
        address = s.scalars(select(Address)).one()
        assert address.users.name == "ada"  # many-to-one named after the referred class
        keyword = s.scalars(select(Keyword)).one()
        assert [u.name for u in keyword.users_collection] == ["ada"]
        # Both sides of each pair stay in sync in memory.
        other = User(name="grace")
        address.users = other
        assert address in other.address_collection


def test_self_referential_foreign_key_gives_parent_and_children(db: Any) -> None:
    Base = automap_base()
    Base.prepare(autoload_with=db)
    Node = Base.classes.node
    with Session(db) as s:
        root = Node()
        leaf = Node()
        leaf.node = root
        s.add(root)
        s.commit()
        root_id, leaf_id = root.id, leaf.id
    with Session(db) as s:
        assert [n.id for n in s.get(Node, root_id).node_collection] == [leaf_id]
        assert s.get(Node, leaf_id).node.id == root_id


def test_explicit_classes_are_kept_and_get_relationships(db: Any) -> None:
    Base = automap_base()

    class User(Base):
        __tablename__ = "users"
        id = Column(Integer, primary_key=True)
        name = Column(String(20), nullable=False)

        def greeting(self) -> str:
            return f"hello {self.name}"

    Base.prepare(autoload_with=db)
    assert Base.classes.User is User
    Address = Base.classes.address
    with Session(db) as s:
        u = User(name="ada", address_collection=[Address(email="a@x")])
        s.add(u)
        s.commit()
        # The many-to-one is named after the explicit class (User -> "user").
        assert s.scalars(select(Address)).one().user.greeting() == "hello ada"


def test_custom_names(db: Any) -> None:
    Base = automap_base()
    Base.prepare(
        autoload_with=db,
        classname_for_table=lambda base, name, table: name.capitalize(),
        name_for_scalar_relationship=lambda base, local, referred, con: (
            "parent_" + referred.__name__.lower()
        ),
        name_for_collection_relationship=lambda base, local, referred, con: (
            referred.__name__.lower() + "s"
        ),
    )
    User, Address = Base.classes.Users, Base.classes.Address
    with Session(db) as s:
        s.add(User(name="ada", addresss=[Address(email="a@x")]))
        s.commit()
        assert s.scalars(select(Address)).one().parent_users.name == "ada"


def test_a_relationship_name_that_collides_is_refused(engine: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE message (id INTEGER PRIMARY KEY, "
                "sender INTEGER REFERENCES users (id), receiver INTEGER REFERENCES users (id))"
            )
        )
    Base = automap_base()
    with pytest.raises(exc.ArgumentError, match="name_for_scalar_relationship"):
        Base.prepare(autoload_with=engine)
