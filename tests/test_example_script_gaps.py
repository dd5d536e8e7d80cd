"""Names and behaviours SQLAlchemy's own example scripts use: ``PrimaryKeyConstraint``,
``make_transient_to_detached``, ``PropComparator`` under a hybrid, ``sql.expression``.

Each one runs on SQLite and PostgreSQL and reads rows back.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from conftest import fetch

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    case,
    cast,
    event,
    exc,
    inspect,
    literal_column,
    make_transient,
    make_transient_to_detached,
    null,
    select,
    update,
)
from uow_orm.ext.hybrid import hybrid_property
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    backref,
    foreign,
    mapped_column,
    relationship,
    remote,
)
from uow_orm.orm.interfaces import PropComparator


class Base(DeclarativeBase):
    pass


class Version(Base):
    __tablename__ = "ex_version"
    __table_args__ = (PrimaryKeyConstraint("name", "rev", name="ex_version_pk"),)
    # the constraint orders the key (rev, name are declared the other way round)
    rev: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(String(50))


class Fact(Base):
    __tablename__ = "ex_fact"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    int_value: Mapped[int | None] = mapped_column()
    str_value: Mapped[str | None] = mapped_column(String(20))

    @hybrid_property
    def value(self) -> Any:
        return self.int_value if self.kind == "int" else self.str_value

    @value.comparator
    class value(PropComparator):  # type: ignore[no-redef]
        """Compares whichever column the row's kind says holds the value, via CASE."""

        def __init__(self, cls: Any) -> None:
            self.cls = cls

        def _case(self) -> Any:
            return case(
                (literal_column("'int'"), cast(self.cls.int_value, String)),
                (literal_column("'str'"), cast(self.cls.str_value, String)),
                value=self.cls.kind,
                else_=null(),
            )

        def __eq__(self, other: Any) -> Any:  # type: ignore[override]
            return self._case() == cast(other, String)


class Reading(Base):
    """A key with a column whose values the dialect converts (DATETIME is text on SQLite)."""

    __tablename__ = "ex_reading"
    sensor: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(primary_key=True)
    value: Mapped[int]


class GenericAddress(Base):
    """Rows owned by any parent table: no ForeignKey, a discriminator and an id."""

    __tablename__ = "ex_gaddress"
    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(20))
    discriminator: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int]


class HasAddresses:
    pass


CONFIGURED: list[str] = []


@event.listens_for(HasAddresses, "mapper_configured", propagate=True)
def _add_addresses(mapper: Any, cls: Any) -> None:
    # SQLAlchemy's generic_fk example: the relationship is added while configuring
    CONFIGURED.append(cls.__name__)
    name = cls.__name__.lower()
    cls.addresses = relationship(
        GenericAddress,
        primaryjoin=and_(
            cls.id == foreign(remote(GenericAddress.parent_id)),
            GenericAddress.discriminator == name,
        ),
        backref=backref(
            f"parent_{name}",
            primaryjoin=remote(cls.id) == foreign(GenericAddress.parent_id),
            overlaps="addresses",
        ),
        overlaps="addresses",
    )

    @event.listens_for(cls.addresses, "append")
    def _set_discriminator(target: Any, value: Any, initiator: Any) -> None:
        value.discriminator = name


class Shop(HasAddresses, Base):
    __tablename__ = "ex_shop"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


class Depot(HasAddresses, Base):
    __tablename__ = "ex_depot"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def test_generic_foreign_key_parents_are_inserted_before_their_rows(db):
    with Session(db) as s:
        s.add_all(
            [
                Shop(name="s", addresses=[GenericAddress(city="a"), GenericAddress(city="b")]),
                Depot(name="d", addresses=[GenericAddress(city="c")]),
            ]
        )
        s.commit()
        rows = fetch(db, "SELECT city, discriminator, parent_id FROM ex_gaddress ORDER BY city")
        shop = s.scalars(select(Shop)).one()
        depot = s.scalars(select(Depot)).one()
        assert rows == [("a", "shop", shop.id), ("b", "shop", shop.id), ("c", "depot", depot.id)]
        assert [a.city for a in depot.addresses] == ["c"]
        assert (
            s.scalars(select(GenericAddress).where(GenericAddress.city == "a")).one().parent_shop
            is shop
        )
    # the listener ran once per mapper, though adding the relationship configured again
    assert sorted(CONFIGURED) == ["Depot", "Shop"]


def test_primary_key_constraint_in_table_args_orders_and_names_the_key(db):
    table = Version.__table__
    assert [c.name for c in table.primary_key] == ["name", "rev"]
    assert table.primary_key.name == "ex_version_pk"
    assert list(table.primary_key.columns.keys()) == ["name", "rev"]
    assert table.c.rev.primary_key and not table.c.rev.nullable
    assert inspect(Version).primary_key[0] is table.c.name
    with Session(db) as s:
        s.add_all([Version(name="a", rev=1, body="x"), Version(name="a", rev=2, body="y")])
        s.commit()
        assert s.get(Version, ("a", 2)).body == "y"
    with Session(db) as s:
        s.add(Version(name="a", rev=1, body="dup"))
        with pytest.raises(exc.IntegrityError):
            s.commit()
    if db.dialect.name == "postgresql":
        names = fetch(
            db,
            "SELECT conname FROM pg_constraint WHERE conrelid = 'ex_version'::regclass "
            "AND contype = 'p'",
        )
        assert names == [("ex_version_pk",)]


def test_primary_key_constraint_as_a_table_item(engine):
    md = MetaData()
    t = Table(
        "ex_pair",
        md,
        Column("a", Integer),
        Column("b", Integer),
        Column("v", String(10)),
        PrimaryKeyConstraint("a", "b"),
    )
    assert [c.name for c in t.primary_key] == ["a", "b"] and t.primary_key.name is None
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"a": 1, "b": 1, "v": "x"}, {"a": 1, "b": 2, "v": "y"}])
    with engine.begin() as conn, pytest.raises(exc.IntegrityError):
        conn.execute(t.insert(), {"a": 1, "b": 2, "v": "z"})
    assert fetch(engine, "SELECT v FROM ex_pair ORDER BY b") == [("x",), ("y",)]


def test_primary_key_constraint_refuses_an_unknown_column_and_keyword():
    md = MetaData()
    with pytest.raises(exc.ArgumentError, match="nope"):
        Table("ex_bad", md, Column("a", Integer), PrimaryKeyConstraint("nope"))
    with pytest.raises(exc.ArgumentError, match="deferrable"):
        PrimaryKeyConstraint("a", deferrable=True)


def test_make_transient_to_detached_turns_a_copy_into_an_update_of_the_old_row(db):
    with Session(db) as s:
        s.add(Version(name="b", rev=1, body="old"))
        s.commit()
    with Session(db) as s:
        copy = Version(name="b", rev=1, body="stale")
        make_transient_to_detached(copy)
        st = inspect(copy)
        assert st.detached and st.identity == ("b", 1)
        s.add(copy)
        assert inspect(copy).persistent and not s.dirty
        copy.body = "new"
        s.commit()
    assert fetch(db, "SELECT body FROM ex_version WHERE name = 'b'") == [("new",)]


def test_make_transient_to_detached_after_make_transient_keeps_the_row(db):
    with Session(db) as s:
        v = Version(name="c", rev=1, body="one")
        s.add(v)
        s.commit()
        assert v.body == "one"  # loaded again after the commit expired it
        make_transient(v)
        assert inspect(v).transient
        make_transient_to_detached(v)
        assert inspect(v).detached
        s.add(v)
        assert s.get(Version, ("c", 1)) is v


def test_make_transient_to_detached_refuses_persistent_objects_and_missing_keys(db):
    with Session(db) as s:
        v = Version(name="d", rev=1)
        s.add(v)
        s.flush()
        with pytest.raises(exc.InvalidRequestError, match="not transient"):
            make_transient_to_detached(v)
    with pytest.raises(exc.InvalidRequestError, match="primary key"):
        make_transient_to_detached(Version(name="e"))
    with pytest.raises(exc.UnmappedInstanceError):
        make_transient_to_detached(object())


def test_prop_comparator_subclass_as_a_hybrid_comparator(db):
    with Session(db) as s:
        s.add_all(
            [
                Fact(id=1, kind="int", int_value=5),
                Fact(id=2, kind="str", str_value="5"),
                Fact(id=3, kind="str", str_value="x"),
            ]
        )
        s.commit()
        assert s.get(Fact, 1).value == 5
        got = s.scalars(select(Fact.id).where(Fact.value == 5).order_by(Fact.id)).all()
        assert got == [1, 2]
        assert s.scalars(select(Fact.id).where(Fact.value == "x")).all() == [3]


def test_prop_comparator_without_an_expression_says_so():
    with pytest.raises(NotImplementedError, match="__clause_element__"):
        PropComparator().__clause_element__()


def test_sql_expression_module_re_exports_the_expression_language():
    from uow_orm.sql import expression

    assert expression.cast is cast and expression.select is select
    assert set(expression.__all__) >= {"and_", "or_", "func", "text", "Select", "ColumnElement"}


def test_session_execute_of_a_whole_table_gives_every_column(db):
    with Session(db) as s:
        s.add(Version(name="t", rev=3, body="b"))
        s.commit()
        table = Version.__table__
        rows = s.execute(select(table).where(table.c.name == "t")).all()
        assert [tuple(r) for r in rows] == [(3, "t", "b")]
        assert list(rows[0]._mapping) == ["rev", "name", "body"]
        assert [tuple(r) for r in s.query(table).filter(table.c.name == "t").all()] == [
            (3, "t", "b")
        ]
        sub = select(table.c.name, table.c.body).subquery()
        assert [tuple(r) for r in s.execute(select(sub, table.c.rev))] == [("t", "b", 3)]


def test_identity_key_of_a_loaded_row_uses_converted_key_values(db):
    at = datetime.datetime(2026, 1, 2, 3, 4, 5, 600)
    with Session(db) as s:
        s.add(Reading(sensor=1, at=at, value=7))
        s.commit()
    with Session(db) as s:
        r = s.scalars(select(Reading)).one()
        assert inspect(r).identity == (1, at)
        assert s.get(Reading, (1, at)) is r  # found in the identity map, no duplicate
        assert s.scalars(select(Reading).where(Reading.sensor == 1)).one() is r
        r.value = 8
        s.commit()
    assert fetch(db, "SELECT value FROM ex_reading") == [(8,)]


def test_lazy_load_inside_before_flush_does_not_flush_again(db):
    with Session(db) as s:
        s.add(Shop(id=1, name="s", addresses=[GenericAddress(city="a")]))
        s.commit()
    calls: list[int] = []
    with Session(db) as s:

        def before_flush(session: Any, ctx: Any, instances: Any) -> None:
            calls.append(1)
            for obj in list(session.dirty):
                if isinstance(obj, Shop):
                    obj.name = obj.name + "+" + str(len(obj.addresses))  # a lazy load

        event.listen(s, "before_flush", before_flush)
        shop = s.get(Shop, 1)
        shop.name = "t"
        s.commit()
        assert calls == [1]
        with pytest.raises(exc.InvalidRequestError, match="already flushing"):
            event.listen(s, "before_flush", lambda session, c, i: session.flush())
            shop.name = "u"
            s.flush()
    assert fetch(db, "SELECT name FROM ex_shop") == [("t+1",)]


def test_attribute_events_on_a_column_property_and_attribute_instrument(db):
    class LocalBase(DeclarativeBase):
        pass

    seen: list[tuple[str, str]] = []

    def on_instrument(cls: Any, key: str, inst: Any) -> None:
        seen.append((cls.__name__, key))
        event.listen(inst, "set", lambda target, value, old, initiator: changes.append(key))

    changes: list[str] = []
    event.listen(LocalBase, "attribute_instrument", on_instrument)

    class Gadget(LocalBase):
        __tablename__ = "ex_gadget"
        id: Mapped[int] = mapped_column(primary_key=True)
        size: Mapped[int | None] = mapped_column(default=3)

    assert sorted(seen) == [("Gadget", "id"), ("Gadget", "size")]
    prop = inspect(Gadget).column_attrs.size

    def init_scalar(target: Any, value: Any, dict_: dict[str, Any]) -> Any:
        dict_["size"] = prop.columns[0].default.arg
        return dict_["size"]

    event.listen(prop, "init_scalar", init_scalar, retval=True)
    try:
        LocalBase.metadata.create_all(db)
        g = Gadget(id=1)
        assert g.size == 3  # the column default, before any flush
        g.size = 4
        with Session(db) as s:
            s.add(g)
            s.commit()
        assert changes == ["id", "size"]
        assert fetch(db, "SELECT size FROM ex_gadget") == [(4,)]
    finally:
        event.remove(prop, "init_scalar", init_scalar)
        LocalBase.metadata.drop_all(db)


def test_column_with_none_as_its_type_takes_the_foreign_keys_type(engine):
    md = MetaData()
    Table("ex_parent", md, Column("id", Integer, primary_key=True))
    child = Table(
        "ex_child",
        md,
        Column("id", Integer, primary_key=True),
        Column("parent_id", None, ForeignKey("ex_parent.id")),
    )
    md.create_all(engine)
    assert isinstance(child.c.parent_id.type, Integer)
    with engine.begin() as conn:
        conn.execute(md.tables["ex_parent"].insert(), {"id": 1})
        conn.execute(child.insert(), {"id": 1, "parent_id": 1})
    assert fetch(engine, "SELECT parent_id FROM ex_child") == [(1,)]


def test_pool_module_and_null_pool_open_a_connection_per_checkout(db_url):
    from uow_orm import create_engine, text
    from uow_orm.pool import NullPool, StaticPool

    assert StaticPool.__name__ == "StaticPool"
    opened: list[Any] = []
    eng = create_engine(db_url, poolclass=NullPool)
    event.listen(eng, "connect", lambda dbapi_conn, record: opened.append(dbapi_conn))
    try:
        for _ in range(3):
            with eng.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        assert len(opened) == 3 and len({id(c) for c in opened}) == 3
        assert eng.pool.status() == "NullPool"
    finally:
        eng.dispose()


def test_engine_logging_options(db_url, capsys):
    import logging

    from uow_orm import create_engine, text

    eng = create_engine(db_url, echo=True, echo_pool="debug", logging_name="myengine")
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        out = capsys.readouterr().out
        assert "uow_orm.engine.Engine.myengine SELECT 1" in out
        assert "uow_orm.pool" in out and "checked out from pool" in out
    finally:
        eng.dispose()
        logging.getLogger("uow_orm.pool").setLevel(logging.WARNING)
    quiet = create_engine(db_url, hide_parameters=True)
    try:
        with quiet.connect() as conn, pytest.raises(exc.DBAPIError) as info:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": "secret"})
        assert "secret" not in str(info.value)
        assert "hidden due to hide_parameters=True" in str(info.value)
    finally:
        quiet.dispose()


def test_util_module_has_the_helpers_recipes_import():
    from collections import OrderedDict

    from uow_orm import util

    assert util.OrderedDict is OrderedDict
    assert util.to_list(None) is None and util.to_list("a") == ["a"]
    assert util.to_list((1, 2)) == [1, 2] and util.to_list(None, []) == []


class Nested(Base):
    """Attributes whose columns are named otherwise (SQLAlchemy's nested_sets example)."""

    __tablename__ = "ex_nested"
    id: Mapped[int] = mapped_column(primary_key=True)
    left: Mapped[int] = mapped_column("lft")
    right = Column("rgt", Integer)
    other = Column("oth", Integer, key="okey")


def test_columns_named_apart_from_their_attribute_keep_their_own_key(db):
    table = Nested.__table__
    assert table.c.keys() == ["id", "lft", "rgt", "okey"]
    assert table.c.lft is Nested.left.property.columns[0]
    assert inspect(Nested).columns.keys() == ["id", "left", "right", "other"]
    with Session(db) as s:
        s.add(Nested(id=1, left=1, right=2, other=3))
        s.commit()
        s.execute(update(Nested).where(Nested.right == 2).values(left=5))
        s.execute(update(table).where(table.c.rgt == 2).values(okey=4))
        s.commit()
        got = s.scalars(select(Nested).where(table.c.lft == 5)).one()
        assert (got.left, got.right, got.other) == (5, 2, 4)
    assert fetch(db, "SELECT lft, rgt, oth FROM ex_nested") == [(5, 2, 4)]


class Firm(Base):
    __tablename__ = "ex_firm"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff: Mapped[list[Worker]] = relationship(back_populates="firm", order_by="Worker.id")


class Worker(Base):
    __tablename__ = "ex_worker"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    firm_id: Mapped[int] = mapped_column(ForeignKey("ex_firm.id"))
    firm: Mapped[Firm] = relationship(back_populates="staff")
    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "worker"}


class Coder(Worker):
    __tablename__ = "ex_coder"
    id: Mapped[int] = mapped_column(ForeignKey("ex_worker.id"), primary_key=True)
    language: Mapped[str] = mapped_column(String(10))
    __mapper_args__ = {"polymorphic_identity": "coder"}


def test_join_of_type_with_polymorphic_reaches_subclass_columns(db):
    from uow_orm.orm import with_polymorphic

    with Session(db) as s:
        s.add(
            Firm(id=1, staff=[Coder(id=1, language="py"), Worker(id=2), Coder(id=3, language="c")])
        )
        s.commit()
        wp = with_polymorphic(Worker, [Coder])
        stmt = select(Firm.id, wp.id).join(Firm.staff.of_type(wp)).where(wp.Coder.language == "c")
        assert [tuple(r) for r in s.execute(stmt)] == [(1, 3)]
        outer = select(wp.id).join(Firm.staff.of_type(wp)).order_by(wp.id)
        assert s.scalars(outer).all() == [1, 2, 3]  # plain workers too (outer-joined)


class TreeNode(Base):
    __tablename__ = "ex_tree"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ex_tree.id"))
    name: Mapped[str] = mapped_column(String(10))
    children: Mapped[list[TreeNode]] = relationship(order_by="TreeNode.id")


def test_selectinload_recursion_depth_loads_each_level_with_one_select(db, sql_log):
    from uow_orm.orm import selectinload

    with Session(db) as s:
        root = TreeNode(id=1, name="r")
        a = TreeNode(id=2, name="a", children=[TreeNode(id=4, name="c")])
        root.children = [a, TreeNode(id=3, name="b")]
        a.children[0].children = [TreeNode(id=5, name="d")]
        s.add(root)
        s.commit()
    with Session(db) as s:
        log = sql_log(db)
        got = s.scalars(
            select(TreeNode)
            .where(TreeNode.id == 1)
            .options(selectinload(TreeNode.children, recursion_depth=3))
        ).one()
        assert log.count("SELECT") == 4  # the root, then one per level
        names = [[g.name for g in c.children] for c in got.children]
        assert names == [["c"], []]
        assert [n.name for n in got.children[0].children[0].children] == ["d"]
        assert log.count("SELECT") == 4  # three levels were loaded up front
    with pytest.raises(exc.ArgumentError, match="recursion_depth"):
        selectinload(TreeNode.children, recursion_depth=-1)
    with pytest.raises(exc.ArgumentError, match="self-referential"):
        selectinload(Firm.staff, recursion_depth=2)
