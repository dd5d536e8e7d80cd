"""Declarative mapping as SQLAlchemy 2.0 applications write it: unannotated mapped_column,
foreign-key-typed columns, mixins, declared_attr, __table_args__, __mapper_args__, late
attributes, registry(), imperative mapping, MappedAsDataclass, schema reprs.

Acceptance tests for issue 13 ("Bugs that block the most code today", "Mapping features");
every database test runs on SQLite and PostgreSQL and reads rows back.
"""

from __future__ import annotations

import dataclasses
import warnings
from datetime import datetime
from typing import Annotated, Any

import pytest
from conftest import fetch

from uow_orm import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Mapped,
    MetaData,
    Session,
    String,
    Table,
    UniqueConstraint,
    declarative_base,
    exc,
    insert,
    inspect,
    mapped_column,
    relationship,
    select,
    text,
)
from uow_orm.orm import (
    DeclarativeBase,
    MappedAsDataclass,
    clear_mappers,
    column_property,
    declared_attr,
    reconstructor,
    registry,
    validates,
)
from uow_orm.types import NullType

# -- the blocking bugs ---------------------------------------------------------------------------


def test_mapped_column_without_annotation_maps_and_round_trips(engine):
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id = mapped_column(Integer, primary_key=True)
        name = mapped_column(String(30))

    class Address(Base):
        __tablename__ = "address"
        id = mapped_column(Integer, primary_key=True)
        user_id = mapped_column(ForeignKey("user_account.id"))
        email: str = mapped_column(String(50))  # a plain (non-Mapped) annotation

    assert isinstance(Address.__table__.c.user_id.type, Integer)
    assert Address.__table__.c.email.nullable is False  # plain `str`: not Optional
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        u = User(name="ann")
        s.add(u)
        s.flush()
        s.add(Address(user_id=u.id, email="a@x"))
        s.commit()
    assert fetch(
        engine, "SELECT u.name, a.email FROM user_account u JOIN address a ON a.user_id = u.id"
    ) == [("ann", "a@x")]


def test_foreign_key_typed_column_takes_the_referenced_type_in_any_order(engine):
    md = MetaData()
    address = Table(
        "address",
        md,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("user_account.id")),  # target defined later
    )
    user = Table("user_account", md, Column("id", BigInteger, primary_key=True))
    assert isinstance(address.c.user_id.type, BigInteger)
    assert isinstance(user.c.id.type, BigInteger)
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(user).values(id=2**40))
        conn.execute(insert(address).values(id=1, user_id=2**40))
    assert fetch(engine, "SELECT user_id FROM address") == [(2**40,)]


def test_foreign_key_to_missing_table_stays_untyped():
    md = MetaData()
    t = Table("a", md, Column("id", Integer, primary_key=True), Column("x", ForeignKey("nope.id")))
    assert isinstance(t.c.x.type, NullType)


def test_column_on_a_plain_mixin_is_copied_for_each_class(engine):
    class Base(DeclarativeBase):
        pass

    class Timestamps:
        created = Column(DateTime, default=datetime(2024, 1, 2, 3, 4, 5))
        owner_id = Column(Integer, ForeignKey("owner.id"))

    class Owner(Base):
        __tablename__ = "owner"
        id = Column(Integer, primary_key=True)

    class Doc(Timestamps, Base):
        __tablename__ = "doc"
        id = Column(Integer, primary_key=True)

    class Note(Timestamps, Base):
        __tablename__ = "note"
        id = Column(Integer, primary_key=True)

    assert Doc.__table__.c.created is not Note.__table__.c.created
    assert Doc.__table__.c.owner_id.foreign_keys[0].column is Owner.__table__.c.id
    assert Note.__table__.c.owner_id.foreign_keys[0].parent is Note.__table__.c.owner_id
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Owner(id=1))
        s.flush()
        s.add_all([Doc(id=1, owner_id=1), Note(id=1)])
        s.commit()
    assert fetch(engine, "SELECT owner_id FROM doc") == [(1,)]
    assert fetch(engine, "SELECT created FROM note")[0][0] is not None


def test_relationship_secondary_given_as_table_name(engine):
    Base = declarative_base()
    Table(
        "post_tag",
        Base.metadata,
        Column("post_id", ForeignKey("post.id"), primary_key=True),
        Column("tag_id", ForeignKey("tag.id"), primary_key=True),
    )

    class Post(Base):
        __tablename__ = "post"
        id = Column(Integer, primary_key=True)
        tags = relationship("Tag", secondary="post_tag")

    class Tag(Base):
        __tablename__ = "tag"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Post(id=1, tags=[Tag(id=1, name="a"), Tag(id=2, name="b")]))
        s.commit()
    assert fetch(engine, "SELECT post_id, tag_id FROM post_tag ORDER BY tag_id") == [
        (1, 1),
        (1, 2),
    ]
    with Session(engine) as s:
        assert sorted(t.name for t in s.get(Post, 1).tags) == ["a", "b"]


def test_relationship_secondary_naming_no_table_raises():
    Base = declarative_base()

    class P(Base):
        __tablename__ = "p"
        id = Column(Integer, primary_key=True)
        qs = relationship("Q", secondary="nope")

    class Q(Base):
        __tablename__ = "q"
        id = Column(Integer, primary_key=True)

    with pytest.raises(exc.InvalidRequestError, match="nope"):
        Base._uow_registry.configure()


def test_insert_model_with_callable_default_calls_it_per_execution(engine):
    calls: list[int] = []

    def stamp() -> str:
        calls.append(1)
        return f"v{len(calls)}"

    class Base(DeclarativeBase):
        pass

    class Item(Base):
        __tablename__ = "item"
        id: Mapped[int] = mapped_column(primary_key=True)
        tag: Mapped[str] = mapped_column(String(10), default=stamp)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.execute(insert(Item).values(id=1))
        s.execute(insert(Item), [{"id": 2}, {"id": 3}])
        s.commit()
    assert fetch(engine, "SELECT id, tag FROM item ORDER BY id") == [
        (1, "v1"),
        (2, "v2"),
        (3, "v3"),
    ]


def test_relationship_added_after_class_creation_is_mapped(engine):
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    User.addresses = relationship(Address, backref="user")
    User.nickname = Column(String(20))
    User.rank = mapped_column(Integer, nullable=True)
    assert "nickname" in User.__table__.c
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, nickname="nick", rank=3, addresses=[Address(id=1), Address(id=2)]))
        s.commit()
    assert fetch(engine, "SELECT nickname, rank FROM user_account") == [("nick", 3)]
    assert fetch(engine, "SELECT id, user_id FROM address ORDER BY id") == [(1, 1), (2, 1)]
    with Session(engine) as s:
        u = s.scalars(select(User).where(User.nickname == "nick")).one()
        assert [a.id for a in u.addresses] == [1, 2]
        assert u.addresses[0].user is u


def test_mapper_args_eager_defaults_fetches_server_defaults_at_flush(engine, sql_log):
    class Base(DeclarativeBase):
        pass

    class Row(Base):
        __tablename__ = "row_t"
        __mapper_args__ = {"eager_defaults": True}
        id: Mapped[int] = mapped_column(primary_key=True)
        status: Mapped[str] = mapped_column(String(10), server_default="new")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        r = Row(id=1)
        s.add(r)
        s.flush()
        log = sql_log(engine)
        assert r.__dict__["status"] == "new"
        assert r.status == "new"
        assert log.sql == []  # already loaded: no SELECT on access


def test_mapper_args_primary_key_maps_a_table_without_one(engine):
    class Base(DeclarativeBase):
        pass

    t = Table("kv", Base.metadata, Column("k", String(10)), Column("v", Integer))

    class KV(Base):
        __table__ = t
        __mapper_args__ = {"primary_key": [t.c.k]}

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(KV(k="a", v=1))
        s.commit()
    with Session(engine) as s:
        assert s.get(KV, "a").v == 1


def test_mapper_args_include_and_exclude_properties(engine):
    class Base(DeclarativeBase):
        pass

    t = Table(
        "person",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("secret", String(20)),
    )

    class Person(Base):
        __table__ = t
        __mapper_args__ = {"exclude_properties": ["secret"]}

    class PersonName(Base):
        __table__ = t
        __mapper_args__ = {"include_properties": ["id", "name"]}

    assert set(inspect(Person).attrs.keys()) == {"id", "name"}
    assert set(inspect(PersonName).attrs.keys()) == {"id", "name"}
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Person(id=1, name="n"))
        s.commit()
    assert fetch(engine, "SELECT id, name, secret FROM person") == [(1, "n", None)]


def test_confirm_deleted_rows_warns_unless_turned_off(engine):
    class Base(DeclarativeBase):
        pass

    class A(Base):
        __tablename__ = "a"
        id: Mapped[int] = mapped_column(primary_key=True)

    class B(Base):
        __tablename__ = "b"
        __mapper_args__ = {"confirm_deleted_rows": False}
        id: Mapped[int] = mapped_column(primary_key=True)

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([A(id=1), B(id=1)])
        s.commit()
        a, b = s.get(A, 1), s.get(B, 1)
        s.execute(text("DELETE FROM a"))
        s.execute(text("DELETE FROM b"))
        s.delete(a)
        with pytest.warns(exc.SAWarning, match="expected to delete 1 row"):
            s.flush()
        s.delete(b)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s.flush()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"polymorphic_on": "type"}, "polymorphic_on names no column 'type'"),
        ({"polymorphic_identity": "x"}, "has no polymorphic_on discriminator"),
        ({"concrete": True}, "concrete=True makes a subclass with a complete table"),
        ({"polymorphic_load": "selectin"}, "unknown key 'polymorphic_load'"),
        ({"batch": "yes"}, "batch must be True or False"),
    ],
)
def test_unknown_and_unsupported_mapper_args_are_refused_by_name(args, match):
    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match=match):

        class X(Base):
            __tablename__ = "x"
            __mapper_args__ = args
            id: Mapped[int] = mapped_column(primary_key=True)


def test_schema_reprs_read_like_sqlalchemys():
    assert repr(Column(Integer)) == "Column(None, Integer(), table=None)"
    md = MetaData()
    t = Table(
        "user_account",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(30), nullable=False),
    )
    assert repr(t.c.id) == (
        "Column('id', Integer(), table=<user_account>, primary_key=True, nullable=False)"
    )
    assert repr(t) == (
        "Table('user_account', MetaData(), "
        "Column('id', Integer(), table=<user_account>, primary_key=True, nullable=False), "
        f"Column('name', {t.c.name.type!r}, table=<user_account>, nullable=False), schema=None)"
    )
    assert repr(md) == "MetaData()"


def test_unknown_table_keyword_is_refused_by_name():
    with pytest.raises(exc.ArgumentError, match="postgresql_engine"):
        Table("t", MetaData(), Column("id", Integer, primary_key=True), postgresql_engine="x")
    with pytest.raises(exc.ArgumentError, match="keep_existing"):
        Table("t", MetaData(), Column("id", Integer, primary_key=True), keep_existing=True)


# -- mixins, declared_attr, __abstract__, __table_args__, __table__ ------------------------------


def test_mixin_with_declared_attr_tablename_foreign_key_and_relationship(engine):
    class Base(DeclarativeBase):
        pass

    class Tablename:
        @declared_attr.directive
        def __tablename__(cls) -> str:
            return cls.__name__.lower()

    class HasOwner:
        owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"))

        @declared_attr
        def owner(cls) -> Mapped[Owner]:
            return relationship("Owner")

    class Owner(Tablename, Base):
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))

    class Car(Tablename, HasOwner, Base):
        id: Mapped[int] = mapped_column(primary_key=True)

    class Boat(Tablename, HasOwner, Base):
        id: Mapped[int] = mapped_column(primary_key=True)

    assert Car.__table__.name == "car" and Boat.__table__.name == "boat"
    assert Car.__table__.c.owner_id is not Boat.__table__.c.owner_id
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        o = Owner(id=1, name="ann")
        s.add_all([Car(id=1, owner=o), Boat(id=7, owner=o)])
        s.commit()
    assert fetch(engine, "SELECT owner_id FROM car") == [(1,)]
    assert fetch(engine, "SELECT owner_id FROM boat") == [(1,)]
    with Session(engine) as s:
        assert s.get(Boat, 7).owner.name == "ann"


def test_declared_attr_column_property_reads_the_mixins_annotated_columns(engine):
    # SQLAlchemy's mixins guide: x and y have only annotations; the declared_attr
    # function sees the class's own copies of them on cls
    class Base(DeclarativeBase):
        pass

    class SomethingMixin:
        x: Mapped[int]
        y: Mapped[int]

        @declared_attr
        def x_plus_y(cls) -> Mapped[int]:
            return column_property(cls.x + cls.y)

    class Something(SomethingMixin, Base):
        __tablename__ = "something"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Other(SomethingMixin, Base):
        __tablename__ = "other_thing"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert str(select(Something.x_plus_y)) == (
        "SELECT something.x + something.y AS anon_1 \nFROM something"
    )
    assert "other_thing.x + other_thing.y" in str(select(Other.x_plus_y))
    assert "x" not in SomethingMixin.__dict__  # nothing left behind on the mixin
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Something(id=1, x=2, y=3), Other(id=1, x=10, y=20)])
        s.commit()
    with Session(engine) as s:
        assert s.get(Something, 1).x_plus_y == 5
        assert s.scalars(select(Other.x_plus_y)).all() == [30]


def test_relationship_on_mixin_without_declared_attr_is_refused():
    class Base(DeclarativeBase):
        pass

    class HasOwner:
        owner = relationship("Owner")

    with pytest.raises(exc.InvalidRequestError, match="declared_attr"):

        class Car(HasOwner, Base):
            __tablename__ = "car"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_abstract_base_contributes_columns_and_is_not_mapped(engine):
    class Base(DeclarativeBase):
        pass

    class Model(Base):
        __abstract__ = True
        id: Mapped[int] = mapped_column(primary_key=True)
        created: Mapped[str] = mapped_column(String(20), default="now")

    class Thing(Model):
        __tablename__ = "thing"
        name: Mapped[str] = mapped_column(String(20))

    assert "__mapper__" not in Model.__dict__
    # SQLAlchemy's order: the class's own columns, then the abstract base's
    assert [c.name for c in Thing.__table__.c] == ["name", "id", "created"]
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Thing(id=1, name="x"))
        s.commit()
    assert fetch(engine, "SELECT id, created, name FROM thing") == [(1, "now", "x")]


def test_table_args_tuple_and_dict_forms(engine):
    class Base(DeclarativeBase):
        pass

    class A(Base):
        __tablename__ = "a"
        __table_args__ = (UniqueConstraint("x", "y", name="uq_xy"), Index("ix_a_y", "y"))
        id: Mapped[int] = mapped_column(primary_key=True)
        x: Mapped[int]
        y: Mapped[int]

    class B(Base):
        __tablename__ = "b"
        __table_args__ = {"comment": "the b table", "info": {"k": 1}}
        id: Mapped[int] = mapped_column(primary_key=True)

    class HasArgs:
        @declared_attr.directive
        def __table_args__(cls) -> Any:
            return (UniqueConstraint("code", name=f"uq_{cls.__tablename__}_code"),)

    class C(HasArgs, Base):
        __tablename__ = "c"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(5))

    assert B.__table__.comment == "the b table" and B.__table__.info == {"k": 1}
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([A(id=1, x=1, y=1), C(id=1, code="a")])
        s.commit()
    for stmt in (insert(A).values(id=2, x=1, y=1), insert(C).values(id=2, code="a")):
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:
            conn.execute(stmt)


def test_mapping_onto_an_existing_table(engine):
    class Base(DeclarativeBase):
        pass

    user_table = Table(
        "user_account",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("user_name", String(30)),
    )

    class User(Base):
        __table__ = user_table
        name = user_table.c.user_name  # renamed attribute

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
    assert fetch(engine, "SELECT user_name FROM user_account") == [("ann",)]
    with Session(engine) as s:
        assert s.scalars(select(User).where(User.name == "ann")).one().id == 1


# -- registry, declarative_base options, imperative mapping --------------------------------------


def test_registry_mapped_decorator_and_generate_base(engine):
    reg = registry()

    @reg.mapped
    class User:
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(30))

    Base = reg.generate_base()

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
        user: Mapped[User] = relationship()

    assert Base.metadata is reg.metadata
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Address(id=1, user=User(id=1, name="ann")))
        s.commit()
    assert fetch(
        engine, "SELECT a.id, u.name FROM address a JOIN user_account u ON u.id = a.user_id"
    ) == [(1, "ann")]
    with Session(engine) as s:
        u = s.get(User, 1)
        u.name = "bob"
        s.commit()
    assert fetch(engine, "SELECT name FROM user_account") == [("bob",)]


def test_map_imperatively_maps_a_plain_class(engine):
    reg = registry()
    user_table = Table(
        "user_account",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(30)),
    )
    address_table = Table(
        "address",
        reg.metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", ForeignKey("user_account.id")),
        Column("email", String(50)),
    )

    class User:
        def __init__(self, name: str) -> None:
            self.name = name

    class Address:
        pass

    reg.map_imperatively(Address, address_table)
    reg.map_imperatively(User, user_table, properties={"addresses": relationship(Address)})
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        u = User("ann")
        a = Address()
        a.email = "a@x"
        u.addresses.append(a)
        s.add(u)
        s.commit()
        assert inspect(u).persistent
    assert fetch(
        engine, "SELECT u.name, a.email FROM user_account u JOIN address a ON a.user_id = u.id"
    ) == [("ann", "a@x")]


def test_declarative_base_with_cls_metadata_and_type_annotation_map(engine):
    class Methods:
        def describe(self) -> str:
            return f"<{type(self).__name__} {self.id}>"  # type: ignore[attr-defined]

    md = MetaData()
    Base = declarative_base(
        cls=Methods, metadata=md, type_annotation_map={str: String(40), int: BigInteger}
    )

    class Thing(Base):
        __tablename__ = "thing"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    assert Base.metadata is md and "thing" in md.tables
    assert isinstance(Thing.__table__.c.id.type, BigInteger)
    assert Thing.__table__.c.name.type.length == 40
    md.create_all(engine)
    with Session(engine) as s:
        t = Thing(id=2**40, name="x")
        s.add(t)
        s.commit()
        assert t.describe() == f"<Thing {2**40}>"


str30 = Annotated[str, 30]
intpk = Annotated[int, mapped_column(primary_key=True)]


def test_declarative_base_class_with_metadata_and_type_annotation_map_and_annotated(engine):
    md = MetaData()

    class Base(DeclarativeBase):
        metadata = md
        type_annotation_map = {str30: String(30)}

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[intpk]
        name: Mapped[str30]
        nick: Mapped[str30 | None]

    assert Base.metadata is md
    assert User.__table__.c.id.primary_key
    assert User.__table__.c.name.type.length == 30 and not User.__table__.c.name.nullable
    assert User.__table__.c.nick.nullable
    md.create_all(engine)
    with Session(engine) as s:
        s.add(User(id=1, name="ann"))
        s.commit()
    assert fetch(engine, "SELECT id, name, nick FROM user_account") == [(1, "ann", None)]


def test_declarative_base_refuses_unsupported_options_by_name():
    with pytest.raises(exc.ArgumentError, match="constructor"):
        declarative_base(constructor=None)


def test_clear_mappers_unmaps_classes():
    reg = registry()

    @reg.mapped
    class Gone:
        __tablename__ = "gone"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert hasattr(Gone, "__mapper__")
    reg.dispose()
    assert "__mapper__" not in Gone.__dict__
    clear_mappers


# -- MappedAsDataclass ---------------------------------------------------------------------------


def test_mapped_as_dataclass_fields_defaults_and_init_false(engine):
    class Base(MappedAsDataclass, DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        fullname: Mapped[str | None] = mapped_column(String(50), default=None)
        secret: Mapped[str] = mapped_column(String(20), default="x", repr=False)
        addresses: Mapped[list[Address]] = relationship(default_factory=list, back_populates="user")

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        email: Mapped[str] = mapped_column(String(50))
        user_id: Mapped[int | None] = mapped_column(
            ForeignKey("user_account.id"), init=False, default=None
        )
        user: Mapped[User | None] = relationship(default=None, back_populates="addresses")

    assert [f.name for f in dataclasses.fields(User)] == [
        "id",
        "name",
        "fullname",
        "secret",
        "addresses",
    ]
    u = User("ann", addresses=[Address("a@x")])
    text_repr = repr(u)
    assert "User(id=None, name='ann', fullname=None, addresses=[" in text_repr
    assert "secret" not in text_repr  # repr=False
    with pytest.raises(TypeError):
        User(id=5, name="x")  # init=False
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(u)
        s.commit()
        assert u.id is not None
        assert u.addresses[0].user is u
    assert fetch(engine, "SELECT name, fullname, secret FROM user_account") == [("ann", None, "x")]
    assert fetch(engine, "SELECT email, user_id FROM address") == [("a@x", 1)]


def test_mapped_as_dataclass_kw_only_and_class_options(engine):
    class Base(MappedAsDataclass, DeclarativeBase):
        pass

    class Item(Base, kw_only=True, eq=False):
        __tablename__ = "item"
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str] = mapped_column(String(20), default="none")
        qty: Mapped[int] = mapped_column(default=0)

    with pytest.raises(TypeError):
        Item(1, "x")  # keyword-only
    a, b = Item(id=1), Item(id=1)
    assert a != b  # eq=False: identity comparison
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Item(id=1, qty=3))
        s.commit()
    assert fetch(engine, "SELECT id, label, qty FROM item") == [(1, "none", 3)]


def test_registry_mapped_as_dataclass_decorator_with_and_without_options(engine):
    reg = registry()

    @reg.mapped_as_dataclass
    class Author:
        __tablename__ = "dc_author"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(30))
        books: Mapped[list[Book]] = relationship(default_factory=list, back_populates="author")

    @reg.mapped_as_dataclass(kw_only=True)
    class Book:
        __tablename__ = "dc_book"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        title: Mapped[str] = mapped_column(String(30))
        author_id: Mapped[int | None] = mapped_column(
            ForeignKey("dc_author.id"), init=False, default=None
        )
        author: Mapped[Author | None] = relationship(default=None, back_populates="books")

    assert dataclasses.is_dataclass(Author) and dataclasses.is_dataclass(Book)
    with pytest.raises(TypeError):
        Book("positional")  # kw_only=True
    a = Author("ann", books=[Book(title="t1")])
    assert "Author(id=None, name='ann', books=[" in repr(a)  # the dataclass's repr
    assert "Book(id=None, title='t1', author_id=None, author=...)" in repr(a)
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(a)
        s.commit()
        assert a.books[0].author is a
    assert fetch(engine, "SELECT title, author_id FROM dc_book") == [("t1", 1)]
    with Session(engine) as s:
        loaded = s.scalars(select(Book)).one()
        assert (loaded.title, loaded.author.name) == ("t1", "ann")
    with pytest.raises(TypeError, match="frozen"):
        reg.mapped_as_dataclass(frozen=True)  # not a dataclass option uow_orm passes on


def test_mapped_as_dataclass_function_form_as_in_sqlalchemy_2_1(engine):
    from uow_orm.orm import mapped_as_dataclass

    reg = registry()

    @mapped_as_dataclass(reg, unsafe_hash=True)
    class Tag:
        __tablename__ = "dc_tag"
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str] = mapped_column(String(20), default="none")

    assert hash(Tag(1)) == hash(Tag(1))  # unsafe_hash=True reached dataclasses
    reg.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Tag(1))
        s.commit()
    assert fetch(engine, "SELECT id, label FROM dc_tag") == [(1, "none")]


def test_dataclass_field_options_without_mapped_as_dataclass_are_refused():
    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="init"):

        class X(Base):
            __tablename__ = "x"
            id: Mapped[int] = mapped_column(primary_key=True, init=False)


# -- @validates, @reconstructor ------------------------------------------------------------------


def test_validates_column_checks_and_rewrites_values(engine):
    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(50))

        @validates("email")
        def validate_email(self, key: str, value: str) -> str:
            if "@" not in value:
                raise ValueError(f"bad {key}: {value}")
            return value.lower()

    with pytest.raises(ValueError, match="bad email"):
        User(id=1, email="nope")
    u = User(id=1, email="Ann@X")
    assert u.email == "ann@x"
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(u)
        s.commit()
        u.email = "BOB@X"
        s.commit()
    assert fetch(engine, "SELECT email FROM user_account") == [("bob@x",)]


def test_validates_collection_with_include_removes(engine):
    events: list[tuple[str, bool]] = []

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "user_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        addresses: Mapped[list[Address]] = relationship()

        @validates("addresses", include_removes=True)
        def validate_address(self, key: str, address: Any, is_remove: bool) -> Any:
            events.append((address.email, is_remove))
            if not is_remove and not address.email.endswith("@x"):
                raise ValueError("foreign address")
            return address

    class Address(Base):
        __tablename__ = "address"
        id: Mapped[int] = mapped_column(primary_key=True)
        user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
        email: Mapped[str] = mapped_column(String(50))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        u = User(id=1)
        a1, a2 = Address(id=1, email="a@x"), Address(id=2, email="b@x")
        u.addresses.append(a1)
        u.addresses.append(a2)
        with pytest.raises(ValueError, match="foreign"):
            u.addresses.append(Address(id=3, email="c@y"))
        u.addresses.remove(a1)
        s.add(u)
        s.commit()
    assert events == [("a@x", False), ("b@x", False), ("c@y", False), ("a@x", True)]
    assert fetch(engine, "SELECT id FROM address") == [(2,)]


def test_validates_unknown_attribute_is_refused():
    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="nickname"):

        class User(Base):
            __tablename__ = "user_account"
            id: Mapped[int] = mapped_column(primary_key=True)

            @validates("nickname")
            def v(self, key: str, value: Any) -> Any:
                return value


def test_reconstructor_runs_on_load_not_on_construction(engine):
    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "thing"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))

        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.origin = "init"

        @reconstructor
        def init_on_load(self) -> None:
            self.origin = f"loaded {self.name}"

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        t = Thing(id=1, name="a")
        assert t.origin == "init"
        s.add(t)
        s.commit()
    with Session(engine) as s:
        assert s.get(Thing, 1).origin == "loaded a"
        assert [x.origin for x in s.scalars(select(Thing))] == ["loaded a"]


def test_class_without_tablename_fails_when_it_is_defined() -> None:
    class NoTableBase(DeclarativeBase):
        pass

    with pytest.raises(exc.InvalidRequestError, match=r"Note has no __tablename__"):

        class Note(NoTableBase):
            id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.InvalidRequestError, match=r"Plain has no __tablename__"):

        class Plain(declarative_base()):  # type: ignore[misc]
            id = Column(Integer, primary_key=True)


def test_abstract_base_and_single_table_subclass_need_no_tablename(engine: Any) -> None:
    class AbsBase(DeclarativeBase):
        pass

    class Stamped(AbsBase):
        __abstract__ = True
        created: Mapped[int] = mapped_column(default=0)

    class Animal(Stamped):
        __tablename__ = "abs_animal"
        id: Mapped[int] = mapped_column(primary_key=True)
        kind: Mapped[str]
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "animal"}

    class Dog(Animal):
        __mapper_args__ = {"polymorphic_identity": "dog"}

    assert Dog.__table__ is Animal.__table__
    AbsBase.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Dog())
        s.commit()
    assert fetch(engine, "SELECT kind, created FROM abs_animal") == [("dog", 0)]
