"""Custom relationship join conditions: ``primaryjoin`` / ``secondaryjoin`` as expressions,
lambdas and strings, ``foreign()`` / ``remote()``, several relationships to one table, and
the examples of SQLAlchemy's "Configuring how Relationship Joins" chapter.

Every scenario loads rows from the database with each loader strategy (lazy, selectin,
joined, subquery) and checks the flush, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    Session,
    String,
    Table,
    and_,
    backref,
    cast,
    declarative_base,
    exc,
    foreign,
    joinedload,
    relationship,
    remote,
    select,
    selectinload,
    subqueryload,
    with_parent,
)
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column

LOADERS = [None, selectinload, joinedload, subqueryload]


def _load(session: Session, entity: Any, attr: Any, loader: Any, *order: Any) -> list[Any]:
    """All ``entity`` rows with ``attr`` loaded by ``loader`` (None: lazily, on access)."""
    stmt = select(entity).order_by(*order)
    if loader is not None:
        stmt = stmt.options(loader(attr))
    objs = list(session.scalars(stmt).unique())
    for o in objs:
        getattr(o, attr.key)
    return objs


# -- alternate join conditions -------------------------------------------------------------
class _Boston:
    """User.boston_addresses: a string primaryjoin with a criterion on the target."""

    def __init__(self) -> None:
        class Base(DeclarativeBase):
            pass

        class User(Base):
            __tablename__ = "rj_user"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(String(30))
            boston_addresses: Mapped[list[Address]] = relationship(
                primaryjoin="and_(User.id == Address.user_id, Address.city == 'Boston')",
                order_by="Address.id",
            )
            addresses: Mapped[list[Address]] = relationship(order_by="Address.id")

        class Address(Base):
            __tablename__ = "rj_address"
            id: Mapped[int] = mapped_column(primary_key=True)
            user_id: Mapped[int | None] = mapped_column(ForeignKey("rj_user.id"))
            city: Mapped[str] = mapped_column(String(30))

        self.Base, self.User, self.Address = Base, User, Address

    def seed(self, engine: Any) -> None:
        self.Base.metadata.create_all(engine)
        A = self.Address
        with Session(engine) as s:
            s.add_all(
                [
                    self.User(id=1, name="ed", addresses=[A(city="Boston"), A(city="NYC")]),
                    self.User(id=2, name="wendy", addresses=[A(city="NYC")]),
                    self.User(id=3, name="jack", addresses=[A(city="Boston"), A(city="Boston")]),
                ]
            )
            s.commit()


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_string_primaryjoin_filters_every_loader(engine: Any, loader: Any) -> None:
    m = _Boston()
    m.seed(engine)
    with Session(engine) as s:
        users = _load(s, m.User, m.User.boston_addresses, loader, m.User.id)
        got = {u.name: [a.city for a in u.boston_addresses] for u in users}
        assert got == {"ed": ["Boston"], "wendy": [], "jack": ["Boston", "Boston"]}
        assert [a.city for a in users[0].addresses] == ["Boston", "NYC"]


def test_string_primaryjoin_in_join_any_and_with_parent(engine: Any) -> None:
    m = _Boston()
    m.seed(engine)
    User, Address = m.User, m.Address
    with Session(engine) as s:
        joined = s.scalars(
            select(User.name).join(User.boston_addresses).distinct().order_by(User.name)
        ).all()
        assert joined == ["ed", "jack"]
        assert s.scalars(
            select(User.name).where(User.boston_addresses.any()).order_by(User.name)
        ).all() == ["ed", "jack"]
        ed = s.get(User, 1)
        assert [
            a.city for a in s.scalars(select(Address).where(with_parent(ed, User.boston_addresses)))
        ] == ["Boston"]
        nyc = s.scalars(select(Address).where(Address.city == "NYC", Address.user_id == 1)).one()
        assert s.scalars(select(User).where(User.boston_addresses.contains(nyc))).all() == []
        assert s.scalars(select(User).where(User.addresses.contains(nyc))).all() == [ed]


def test_custom_primaryjoin_flush_sets_foreign_key(engine: Any) -> None:
    m = _Boston()
    m.seed(engine)
    with Session(engine) as s:
        wendy = s.get(m.User, 2)
        wendy.boston_addresses.append(m.Address(city="Boston"))
        s.commit()
    with Session(engine) as s:
        rows = s.execute(
            select(m.Address.user_id, m.Address.city).where(m.Address.user_id == 2)
        ).all()
        assert sorted(map(tuple, rows)) == [(2, "Boston"), (2, "NYC")]
        assert [a.city for a in s.get(m.User, 2).boston_addresses] == ["Boston"]


def test_lambda_and_expression_primaryjoin_are_the_same_relationship(engine: Any) -> None:
    Base = declarative_base()
    users = Table("rj_l_user", Base.metadata, Column("id", Integer, primary_key=True))

    class User(Base):
        __table__ = users

    class Address(Base):
        __tablename__ = "rj_l_address"
        id = Column(Integer, primary_key=True)
        user_id = Column(Integer, ForeignKey("rj_l_user.id"))
        email = Column(String(50))
        user = relationship(User, primaryjoin=user_id == users.c.id)
        gmail_user = relationship(
            User,
            primaryjoin=lambda: and_(Address.user_id == User.id, Address.email.like("%@gmail.com")),
            viewonly=True,
        )

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([User(id=1), Address(id=1, user_id=1, email="a@gmail.com")])
        s.add(Address(id=2, user_id=1, email="b@example.com"))
        s.commit()
    for loader in LOADERS:
        with Session(engine) as s:
            a1, a2 = _load(s, Address, Address.gmail_user, loader, Address.id)
            assert a1.user is a1.gmail_user is s.get(User, 1)
            assert a2.user is not None and a2.gmail_user is None


# -- multiple join paths ---------------------------------------------------------------------
def _customer_models(style: str) -> tuple[Any, Any, Any]:
    Base = declarative_base()

    class Address(Base):
        __tablename__ = "rj_c_address"
        id = Column(Integer, primary_key=True)
        city = Column(String(30))

    class Customer(Base):
        __tablename__ = "rj_customer"
        id = Column(Integer, primary_key=True)
        name = Column(String(30))
        billing_address_id = Column(Integer, ForeignKey("rj_c_address.id"))
        shipping_address_id = Column(Integer, ForeignKey("rj_c_address.id"))
        if style == "foreign_keys":
            billing_address = relationship("Address", foreign_keys=[billing_address_id])
            shipping_address = relationship("Address", foreign_keys="Customer.shipping_address_id")
        else:
            billing_address = relationship(
                "Address", primaryjoin="Address.id == Customer.billing_address_id"
            )
            shipping_address = relationship(
                Address, primaryjoin=lambda: Customer.shipping_address_id == Address.id
            )

    return Base, Customer, Address


@pytest.mark.parametrize("style", ["foreign_keys", "primaryjoin"])
@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_two_foreign_keys_to_one_table_load_their_own_rows(
    engine: Any, style: str, loader: Any
) -> None:
    Base, Customer, Address = _customer_models(style)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(
            Customer(
                id=1,
                name="c",
                billing_address=Address(city="Billing"),
                shipping_address=Address(city="Shipping"),
            )
        )
        s.commit()
    with Session(engine) as s:
        row = s.execute(select(Customer.billing_address_id, Customer.shipping_address_id)).one()
        cities = dict(s.execute(select(Address.id, Address.city)).all())
        assert (cities[row[0]], cities[row[1]]) == ("Billing", "Shipping")
        for attr in (Customer.billing_address, Customer.shipping_address):
            s.expunge_all()
            (c,) = _load(s, Customer, attr, loader)
            assert c.billing_address.city == "Billing"
            assert c.shipping_address.city == "Shipping"


def test_two_foreign_keys_without_a_choice_raise(engine: Any) -> None:
    Base = declarative_base()

    class Address(Base):
        __tablename__ = "rj_amb_address"
        id = Column(Integer, primary_key=True)

    class Customer(Base):
        __tablename__ = "rj_amb_customer"
        id = Column(Integer, primary_key=True)
        a_id = Column(Integer, ForeignKey("rj_amb_address.id"))
        b_id = Column(Integer, ForeignKey("rj_amb_address.id"))
        a = relationship(Address, primaryjoin="Address.id == Customer.a_id")
        b = relationship(Address)

    with pytest.raises(exc.AmbiguousForeignKeysError, match="foreign_keys"):
        Base.registry.configure()


# -- custom foreign conditions ---------------------------------------------------------------
@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_remote_and_foreign_on_a_cast_expression(engine: Any, loader: Any) -> None:
    """The chapter's HostEntry: a self-referential many-to-one through a CAST, with no
    foreign key constraint at all."""
    Base = declarative_base()

    class HostEntry(Base):
        __tablename__ = "rj_host"
        id = Column(Integer, primary_key=True)
        ip_address = Column(String(30))
        content = Column(String(50))
        parent_host = relationship(
            "HostEntry",
            primaryjoin=remote(ip_address) == cast(foreign(content), String(30)),
            viewonly=True,
        )

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(
            [
                HostEntry(id=1, ip_address="10.0.0.1", content="router"),
                HostEntry(id=2, ip_address="10.0.0.2", content="10.0.0.1"),
                HostEntry(id=3, ip_address="10.0.0.3", content="nothing"),
            ]
        )
        s.commit()
    with Session(engine) as s:
        hosts = _load(s, HostEntry, HostEntry.parent_host, loader, HostEntry.id)
        assert [h.parent_host.id if h.parent_host else None for h in hosts] == [None, 1, None]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_overlapping_composite_foreign_keys_sync_only_the_marked_column(
    engine: Any, loader: Any
) -> None:
    Base = declarative_base()

    class Magazine(Base):
        __tablename__ = "rj_magazine"
        id = Column(Integer, primary_key=True)

    class Writer(Base):
        __tablename__ = "rj_writer"
        id = Column(Integer, primary_key=True)
        magazine_id = Column(Integer, ForeignKey("rj_magazine.id"), primary_key=True)
        magazine = relationship("Magazine")

    class Article(Base):
        __tablename__ = "rj_article"
        article_id = Column(Integer, primary_key=True)
        magazine_id = Column(Integer, ForeignKey("rj_magazine.id"))
        writer_id = Column(Integer)
        magazine = relationship("Magazine")
        writer = relationship(
            "Writer",
            primaryjoin="and_(Writer.id == foreign(Article.writer_id), "
            "Writer.magazine_id == Article.magazine_id)",
        )
        __table_args__ = (
            ForeignKeyConstraint(
                ["writer_id", "magazine_id"], ["rj_writer.id", "rj_writer.magazine_id"]
            ),
        )

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        m1, m2 = Magazine(id=1), Magazine(id=2)
        w11, w12 = Writer(id=1, magazine=m1), Writer(id=1, magazine=m2)
        s.add_all([m1, m2, w11, w12])
        s.flush()
        s.add_all(
            [
                Article(article_id=1, magazine=m1, writer=w11),
                Article(article_id=2, magazine=m2, writer=w12),
            ]
        )
        s.commit()
        assert s.execute(
            select(Article.article_id, Article.writer_id, Article.magazine_id).order_by(
                Article.article_id
            )
        ).all() == [(1, 1, 1), (2, 1, 2)]
    with Session(engine) as s:
        arts = _load(s, Article, Article.writer, loader, Article.article_id)
        assert [(a.writer.id, a.writer.magazine_id) for a in arts] == [(1, 1), (1, 2)]


# -- materialized path (non-relational comparison) -------------------------------------------
@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_materialized_path_descendants(engine: Any, loader: Any) -> None:
    Base = declarative_base()

    class Element(Base):
        __tablename__ = "rj_element"
        path = Column(String(100), primary_key=True)
        descendants = relationship(
            "Element",
            primaryjoin=remote(foreign(path)).like(path.concat("/%")),
            viewonly=True,
            order_by=path,
        )

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(Element(path=p) for p in ["/a", "/a/b", "/a/b/c", "/a2", "/x"])
        s.commit()
    with Session(engine) as s:
        els = _load(s, Element, Element.descendants, loader, Element.path)
        got = {e.path: [d.path for d in e.descendants] for e in els}
        assert got == {
            "/a": ["/a/b", "/a/b/c"],
            "/a/b": ["/a/b/c"],
            "/a/b/c": [],
            "/a2": [],
            "/x": [],
        }


def test_condition_without_foreign_pairs_needs_viewonly() -> None:
    Base = declarative_base()

    class Element(Base):
        __tablename__ = "rj_element_rw"
        path = Column(String(100), primary_key=True)
        descendants = relationship(
            "Element", primaryjoin=remote(foreign(path)).like(path.concat("/%"))
        )

    with pytest.raises(exc.ArgumentError, match="viewonly"):
        Base.registry.configure()


def test_condition_naming_an_unrelated_table_raises() -> None:
    Base = declarative_base()
    other = Table("rj_other", Base.metadata, Column("id", Integer, primary_key=True))

    class A(Base):
        __tablename__ = "rj_a"
        id = Column(Integer, primary_key=True)

    class B(Base):
        __tablename__ = "rj_b"
        id = Column(Integer, primary_key=True)
        a_id = Column(Integer, ForeignKey("rj_a.id"))
        a = relationship(A, primaryjoin=lambda: and_(A.id == B.a_id, other.c.id == 1))

    with pytest.raises(exc.ArgumentError, match="rj_other"):
        Base.registry.configure()


def test_string_primaryjoin_with_unknown_name_raises() -> None:
    Base = declarative_base()

    class A(Base):
        __tablename__ = "rj_s_a"
        id = Column(Integer, primary_key=True)
        bs = relationship("B", primaryjoin="A.id == Nope.a_id")

    class B(Base):
        __tablename__ = "rj_s_b"
        id = Column(Integer, primary_key=True)
        a_id = Column(Integer, ForeignKey("rj_s_a.id"))

    with pytest.raises(exc.InvalidRequestError, match="Nope"):
        Base.registry.configure()


# -- self-referential many-to-many -----------------------------------------------------------
def _node_models(form: str) -> tuple[Any, Any, Any]:
    Base = declarative_base()
    node_to_node = Table(
        "rj_node_to_node",
        Base.metadata,
        Column("left_node_id", Integer, ForeignKey("rj_node.id"), primary_key=True),
        Column("right_node_id", Integer, ForeignKey("rj_node.id"), primary_key=True),
    )

    class Node(Base):
        __tablename__ = "rj_node"
        id = Column(Integer, primary_key=True)
        label = Column(String(20))
        if form == "expression":
            right_nodes = relationship(
                "Node",
                secondary=node_to_node,
                primaryjoin=id == node_to_node.c.left_node_id,
                secondaryjoin=id == node_to_node.c.right_node_id,
                backref="left_nodes",
                order_by=label,
            )
        else:
            right_nodes = relationship(
                "Node",
                secondary="rj_node_to_node",
                primaryjoin="Node.id == rj_node_to_node.c.left_node_id",
                secondaryjoin=lambda: Node.id == node_to_node.c.right_node_id,
                backref="left_nodes",
                order_by="Node.label",
            )

    return Base, Node, node_to_node


@pytest.mark.parametrize("form", ["expression", "string"])
@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: getattr(f, "__name__", "lazy"))
def test_self_referential_many_to_many(engine: Any, form: str, loader: Any) -> None:
    Base, Node, n2n = _node_models(form)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        a, b, c = Node(id=1, label="a"), Node(id=2, label="b"), Node(id=3, label="c")
        a.right_nodes = [b, c]
        c.right_nodes.append(b)
        assert b.left_nodes == [a, c]  # the backref, in memory
        s.add(a)
        s.commit()
        assert sorted(map(tuple, s.execute(select(n2n.c.left_node_id, n2n.c.right_node_id)))) == [
            (1, 2),
            (1, 3),
            (3, 2),
        ]
    with Session(engine) as s:
        nodes = _load(s, Node, Node.right_nodes, loader, Node.id)
        assert {n.label: [r.label for r in n.right_nodes] for n in nodes} == {
            "a": ["b", "c"],
            "b": [],
            "c": ["b"],
        }
        s.expunge_all()
        nodes = _load(s, Node, Node.left_nodes, loader, Node.id)
        assert {n.label: sorted(x.label for x in n.left_nodes) for n in nodes} == {
            "a": [],
            "b": ["a", "c"],
            "c": ["a"],
        }
        b = s.get(Node, 2)
        assert s.scalars(
            select(Node.label).where(Node.right_nodes.contains(b)).order_by(Node.label)
        ).all() == [
            "a",
            "c",
        ]
        a = s.get(Node, 1)
        a.right_nodes.remove(b)
        s.commit()
        assert sorted(map(tuple, s.execute(select(n2n.c.left_node_id, n2n.c.right_node_id)))) == [
            (1, 3),
            (3, 2),
        ]


# -- adjacency list --------------------------------------------------------------------------
def test_adjacency_list_custom_primaryjoin_with_remote(engine: Any) -> None:
    Base = declarative_base()

    class Node(Base):
        __tablename__ = "rj_tree"
        id = Column(Integer, primary_key=True)
        parent_id = Column(Integer, ForeignKey("rj_tree.id"))
        data = Column(String(50))
        children = relationship(
            "Node",
            primaryjoin="Node.id == remote(Node.parent_id)",
            back_populates="parent",
            order_by="Node.id",
        )
        parent = relationship(
            "Node", primaryjoin="remote(Node.id) == Node.parent_id", back_populates="children"
        )

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        root = Node(id=1, data="root")
        child = Node(id=2, data="child", parent=root)
        Node(id=3, data="grandchild", parent=child)
        assert root.children == [child]
        s.add(root)
        s.commit()
        assert s.execute(select(Node.id, Node.parent_id).order_by(Node.id)).all() == [
            (1, None),
            (2, 1),
            (3, 2),
        ]
    for loader in LOADERS:
        with Session(engine) as s:
            nodes = _load(s, Node, Node.children, loader, Node.id)
            assert [[c.data for c in n.children] for n in nodes] == [["child"], ["grandchild"], []]
            assert [n.parent.data if n.parent else None for n in nodes] == [None, "root", "child"]


def test_adjacency_list_query_joins_the_parent_through_an_alias(engine: Any) -> None:
    """The chapter's "Self-Referential Query Strategies": join a relationship to an alias."""
    from uow_orm import aliased

    Base = declarative_base()

    class Node(Base):
        __tablename__ = "rj_adj"
        id = Column(Integer, primary_key=True)
        parent_id = Column(Integer, ForeignKey("rj_adj.id"))
        data = Column(String(50))
        children = relationship("Node", backref=backref("parent", remote_side=[id]))

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        root = Node(data="root")
        child1 = Node(data="child1", parent=root)
        child2 = Node(data="child2", parent=root)
        Node(data="subchild1", parent=child2)
        Node(data="subchild1", parent=child1)
        s.add(root)
        s.commit()
        nodealias = aliased(Node)
        found = s.scalars(
            select(Node)
            .where(Node.data == "subchild1")
            .join(Node.parent.of_type(nodealias))
            .where(nodealias.data == "child2")
        ).all()
        assert [(n.data, n.parent.data) for n in found] == [("subchild1", "child2")]


def test_composite_adjacency_list_syncs_both_key_columns(engine: Any) -> None:
    Base = declarative_base()

    class Folder(Base):
        __tablename__ = "rj_folder"
        __table_args__ = (
            ForeignKeyConstraint(
                ["account_id", "parent_id"], ["rj_folder.account_id", "rj_folder.folder_id"]
            ),
        )
        account_id = Column(Integer, primary_key=True)
        folder_id = Column(Integer, primary_key=True)
        parent_id = Column(Integer)
        name = Column(String(30))
        parent_folder = relationship(
            "Folder", back_populates="child_folders", remote_side=[account_id, folder_id]
        )
        child_folders = relationship("Folder", back_populates="parent_folder")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        top = Folder(account_id=7, folder_id=1, name="top")
        top.child_folders.append(Folder(account_id=7, folder_id=2, name="sub"))
        s.add(top)
        s.commit()
        assert s.execute(
            select(Folder.folder_id, Folder.parent_id).order_by(Folder.folder_id)
        ).all() == [(1, None), (2, 1)]
    with Session(engine) as s:
        sub = s.get(Folder, (7, 2))
        assert sub.parent_folder.name == "top"
        assert [f.name for f in s.get(Folder, (7, 1)).child_folders] == ["sub"]


# -- viewonly ------------------------------------------------------------------------------------
def _viewonly_models() -> tuple[Any, Any, Any]:
    Base = declarative_base()

    class User(Base):
        __tablename__ = "rj_vo_user"
        id = Column(Integer, primary_key=True)
        addresses = relationship("Address", back_populates="user")
        current = relationship(
            "Address",
            primaryjoin="and_(User.id == Address.user_id, Address.current == 1)",
            viewonly=True,
        )

    class Address(Base):
        __tablename__ = "rj_vo_address"
        id = Column(Integer, primary_key=True)
        user_id = Column(Integer, ForeignKey("rj_vo_user.id"))
        current = Column(Integer, default=0)
        user = relationship("User", back_populates="addresses")

    return Base, User, Address


def test_viewonly_relationship_never_writes(engine: Any, sql_log: Any) -> None:
    Base, User, Address = _viewonly_models()
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        u = User(id=1)
        loose = Address(id=1, current=1)
        u.current.append(loose)  # a viewonly collection: nothing is cascaded or synced
        s.add(u)
        s.commit()
        assert loose not in s
        assert s.scalars(select(Address)).all() == []
        s.add(Address(id=2, user_id=1, current=1))
        s.add(Address(id=3, user_id=1, current=0))
        s.commit()
        s.expire_all()
        assert [a.id for a in u.current] == [2]
        log = sql_log(engine)
        u.current.clear()
        s.commit()
        assert not any(q.lstrip().upper().startswith(("UPDATE", "DELETE")) for q in log.sql)
        assert s.scalars(select(Address.user_id).order_by(Address.id)).all() == [1, 1]


def test_viewonly_with_writing_cascade_raises() -> None:
    with pytest.raises(exc.ArgumentError, match="viewonly"):
        relationship("Address", viewonly=True, cascade="all, delete-orphan")


# -- SQLAlchemy's "Basic Relationship Patterns" ----------------------------------------------
def test_basic_patterns_one_to_one_and_association_object(engine: Any) -> None:
    from typing import Optional

    class Base(DeclarativeBase):
        pass

    association_table = Table(
        "rj_bp_association",
        Base.metadata,
        Column("left_id", ForeignKey("rj_bp_left.id"), primary_key=True),
        Column("right_id", ForeignKey("rj_bp_right.id"), primary_key=True),
    )

    class Parent(Base):
        __tablename__ = "rj_bp_left"
        id: Mapped[int] = mapped_column(primary_key=True)
        child: Mapped[Child] = relationship(back_populates="parent")
        children: Mapped[list[Right]] = relationship(
            secondary=lambda: association_table, order_by="desc(Right.id)"
        )
        assocs: Mapped[list[Association]] = relationship(back_populates="parent")
        # the chapter's "combining association object with many-to-many": read-only view
        rights_view: Mapped[list[Right]] = relationship(
            secondary="rj_bp_assoc_obj", viewonly=True, order_by="Right.id"
        )

    class Child(Base):
        __tablename__ = "rj_bp_child"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("rj_bp_left.id"))  # noqa: UP045
        parent: Mapped[Parent] = relationship(back_populates="child")

    class Right(Base):
        __tablename__ = "rj_bp_right"
        id: Mapped[int] = mapped_column(primary_key=True)

    class Association(Base):
        __tablename__ = "rj_bp_assoc_obj"
        left_id: Mapped[int] = mapped_column(ForeignKey("rj_bp_left.id"), primary_key=True)
        right_id: Mapped[int] = mapped_column(ForeignKey("rj_bp_right.id"), primary_key=True)
        extra_data: Mapped[Optional[str]] = mapped_column(String(20))  # noqa: UP045
        child: Mapped[Right] = relationship()
        parent: Mapped[Parent] = relationship(back_populates="assocs")

    Base.metadata.create_all(engine)
    with Session(engine) as s:
        p = Parent(id=1, child=Child(id=1), children=[Right(id=1), Right(id=2)])
        assert p.child.parent is p
        a = Association(extra_data="x", child=s.get(Right, 1) or Right(id=3))
        p.assocs.append(a)
        s.add(p)
        s.commit()
    with Session(engine) as s:
        p = s.get(Parent, 1)
        assert isinstance(p.child, Child) and p.child.parent is p
        assert [r.id for r in p.children] == [2, 1]
        assert [(x.extra_data, x.child.id) for x in p.assocs] == [("x", 3)]
        assert [r.id for r in p.rights_view] == [3]
        p.children.remove(s.get(Right, 1))  # deleting rows from the many-to-many table
        s.commit()
        assert s.execute(select(association_table.c.right_id)).scalars().all() == [2]
