"""ORM-side public names SQLAlchemy code imports: the ``sqlalchemy.orm.*`` module paths
(``decl_api``, ``relationships``, ``properties``, ``session``, ``instrumentation``, ...),
the inspection vocabulary (``InspectionAttr`` and its flags, ``extension_type``), the
``PassiveFlag`` / ``LoaderCallableStatus`` constants, transaction origins, the legacy
``create_session()``, ``DeclarativeBaseNoMeta`` and the other names of SQLAlchemy 2.0's
ORM API.

Behaviour runs on both backends (the ``session`` fixture); where cheap, the same scenario
runs through SQLAlchemy (the oracle) on an in-memory SQLite database and the results are
compared. No ``from __future__ import annotations``: the oracle's models are declared in a
function, so their annotations must be real objects.
"""

import functools
import importlib
import pickle
from typing import Any, Optional

import pytest

import uow_orm
import uow_orm.orm
from uow_orm import ForeignKey, String, event, exc, func, select, text
from uow_orm.ext.associationproxy import association_proxy
from uow_orm.ext.hybrid import hybrid_property
from uow_orm.orm import (
    DeclarativeBase,
    DeclarativeBaseNoMeta,
    Mapped,
    Session,
    attributes,
    column_property,
    interfaces,
    mapped_column,
    relationship,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "orm_names_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    bio: Mapped[Optional[str]] = mapped_column(String(100))  # noqa: UP045
    addresses: Mapped[list["Address"]] = relationship(back_populates="user")
    emails = association_proxy("addresses", "email")
    name_len = column_property(func.length(name))

    @hybrid_property
    def upper_name(self) -> str:
        return self.name.upper()


class Address(Base):
    __tablename__ = "orm_names_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(60))
    user_id: Mapped[int] = mapped_column(ForeignKey("orm_names_users.id"))
    user: Mapped["User"] = relationship(back_populates="addresses")


class NoMetaBase(DeclarativeBaseNoMeta):
    pass


class Gadget(NoMetaBase):
    __tablename__ = "orm_names_gadgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(30))


Gadget.late = mapped_column(String(10))  # type: ignore[attr-defined]  # not mapped: no metaclass
uow_orm.orm.add_mapped_attribute(Gadget, "colour", mapped_column(String(10)))

DB_BASES = (Base, NoMetaBase)


@functools.cache
def build_oracle_models() -> dict[str, Any]:
    """The same User / Address mapping declared with SQLAlchemy (the oracle)."""
    import sqlalchemy as sa
    import sqlalchemy.orm as orm
    from sqlalchemy.ext.associationproxy import association_proxy as sa_proxy
    from sqlalchemy.ext.hybrid import hybrid_property as sa_hybrid

    class SaBase(orm.DeclarativeBase):
        pass

    class SaUser(SaBase):
        __tablename__ = "orm_names_users"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(40))
        bio: orm.Mapped[Optional[str]] = orm.mapped_column(sa.String(100))  # noqa: UP045
        addresses: orm.Mapped[list["SaAddress"]] = orm.relationship(back_populates="user")
        emails = sa_proxy("addresses", "email")
        name_len = orm.column_property(sa.func.length(name))

        @sa_hybrid
        def upper_name(self) -> str:
            return self.name.upper()

    class SaAddress(SaBase):
        __tablename__ = "orm_names_addresses"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        email: orm.Mapped[str] = orm.mapped_column(sa.String(60))
        user_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("orm_names_users.id"))
        user: orm.Mapped["SaUser"] = orm.relationship(back_populates="addresses")

    SaBase.registry.configure()
    return {"Base": SaBase, "User": SaUser, "Address": SaAddress}


# -- import paths: pure re-exports -----------------------------------------------------------
def test_module_paths_reexport_the_uow_objects() -> None:
    mapped_collection = importlib.import_module("uow_orm.orm.mapped_collection")
    from uow_orm.orm import base as orm_base
    from uow_orm.orm import (
        decl_api,
        declarative,
        descriptor_props,
        instrumentation,
        properties,
        relationships,
        session,
        transaction,
        unitofwork,
        util,
    )
    from uow_orm.orm import events as orm_events

    assert decl_api.DeclarativeBase is declarative.DeclarativeBase is uow_orm.orm.DeclarativeBase
    assert decl_api.DeclarativeBaseNoMeta is DeclarativeBaseNoMeta
    assert decl_api.declared_attr is uow_orm.orm.declared_attr
    assert decl_api.as_declarative is uow_orm.orm.as_declarative
    assert decl_api.registry is uow_orm.orm.registry
    assert decl_api.MappedAsDataclass is uow_orm.orm.MappedAsDataclass
    assert decl_api.Composite is descriptor_props.CompositeProperty is uow_orm.orm.Composite
    assert descriptor_props.Synonym is descriptor_props.SynonymProperty is uow_orm.orm.Synonym
    assert relationships.Relationship is relationships.RelationshipProperty
    assert relationships.RelationshipDirection is orm_base.Direction
    assert relationships.MANYTOONE is interfaces.MANYTOONE is uow_orm.orm.MANYTOONE
    assert relationships.foreign is uow_orm.orm.foreign
    assert relationships.remote is uow_orm.orm.remote
    assert properties.RelationshipProperty is relationships.RelationshipProperty
    assert properties.MappedColumn is uow_orm.orm.MappedColumn
    assert session.make_transient is uow_orm.orm.make_transient
    assert session.make_transient_to_detached is uow_orm.orm.make_transient_to_detached
    assert session.SessionTransaction is transaction.SessionTransaction
    assert session.UOWTransaction is orm_events.FlushContext is uow_orm.orm.UOWTransaction
    assert mapped_collection.attribute_keyed_dict is uow_orm.orm.attribute_keyed_dict
    assert mapped_collection.MappedCollection is uow_orm.orm.KeyFuncDict
    assert instrumentation.instance_state is attributes.instance_state
    assert util.polymorphic_union is uow_orm.orm.polymorphic_union
    assert uow_orm.orm.mapper.configure_mappers is uow_orm.orm.configure_mappers
    assert util.was_deleted is uow_orm.orm.was_deleted
    assert uow_orm.orm.FromStatement is uow_orm.orm.query.FromStatement
    # the submodule does not shadow the function of the same name (as in SQLAlchemy)
    assert uow_orm.orm.mapped_collection is uow_orm.orm.alt_names.mapped_collection
    assert not hasattr(unitofwork, "UOWTransaction")  # the flush plan is another class


# -- the inspection vocabulary ---------------------------------------------------------------
_FLAGS = (
    "is_selectable",
    "is_aliased_class",
    "is_instance",
    "is_mapper",
    "is_bundle",
    "is_property",
    "is_attribute",
    "is_clause_element",
)


def _inspected(lib: Any, orm: Any, models: dict[str, Any], obj: Any) -> dict[str, Any]:
    """What a library walking the mapping reads: each object's InspectionAttr flags and
    its extension type, by a name that is the same in both libraries."""
    User, Address = models["User"], models["Address"]
    mapper = lib.inspect(User)
    items = {
        "mapper": mapper,
        "column": User.name,
        "relationship": User.addresses,
        "column_prop": mapper.attrs["name"],
        "rel_prop": mapper.attrs["addresses"],
        "expr_prop": mapper.attrs["name_len"],
        "aliased": lib.inspect(orm.aliased(Address)),
        "state": lib.inspect(obj),
        "bundle": orm.Bundle("b", User.id),
        "hybrid": mapper.all_orm_descriptors["upper_name"],
        "proxy": mapper.all_orm_descriptors["emails"],
    }
    out: dict[str, Any] = {}
    for name, item in items.items():
        out[name] = (
            isinstance(item, orm.InspectionAttr),
            isinstance(item, orm.ORMDescriptor),
            {f: getattr(item, f) for f in _FLAGS if getattr(item, f)},
            item.extension_type.name,
        )
    out["descriptors"] = sorted(
        (k, d.extension_type.name) for k, d in mapper.all_orm_descriptors.items()
    )
    return out


def test_inspection_flags_match_sqlalchemy() -> None:
    import sqlalchemy
    import sqlalchemy.orm

    sa_models = build_oracle_models()
    ours = _inspected(uow_orm, uow_orm.orm, {"User": User, "Address": Address}, User(name="a"))
    theirs = _inspected(sqlalchemy, sqlalchemy.orm, sa_models, sa_models["User"](name="a"))
    assert ours == theirs
    assert ours["hybrid"][3] == "HYBRID_PROPERTY" and ours["column"][3] == "NOT_EXTENSION"


def test_extension_type_enums_and_info_dicts() -> None:
    from uow_orm.ext.associationproxy import AssociationProxyExtensionType
    from uow_orm.ext.hybrid import HybridExtensionType
    from uow_orm.orm.base import InspectionAttrExtensionType, NotExtension

    for enum_cls in (HybridExtensionType, AssociationProxyExtensionType, NotExtension):
        assert issubclass(enum_cls, InspectionAttrExtensionType)
    mapper = uow_orm.inspect(User)
    hybrid = mapper.all_orm_descriptors["upper_name"]
    assert isinstance(hybrid, uow_orm.orm.InspectionAttrInfo)
    assert isinstance(hybrid, uow_orm.orm.ORMDescriptor)
    assert isinstance(User.name, uow_orm.orm.ORMDescriptor)
    hybrid.info["label"] = "Upper"  # created on first read, then kept
    assert mapper.all_orm_descriptors["upper_name"].info == {"label": "Upper"}
    prop = mapper.attrs["bio"]
    assert isinstance(prop, uow_orm.orm.InspectionAttrInfo) and prop.info == {}
    assert isinstance(mapper, uow_orm.orm.InspectionAttr)
    assert not isinstance(mapper, uow_orm.orm.InspectionAttrInfo)


def test_mapped_sql_expression_is_what_column_property_returns(session: Session) -> None:
    prop = uow_orm.inspect(User).attrs["name_len"]
    assert isinstance(prop, uow_orm.orm.MappedSQLExpression)
    assert isinstance(prop, uow_orm.orm.ColumnProperty)
    assert isinstance(uow_orm.orm.deferred(User.__table__.c.bio), uow_orm.orm.MappedSQLExpression)
    session.add(User(id=1, name="abcd"))
    session.commit()
    session.expunge_all()
    assert session.get(User, 1).name_len == 4


# -- passive flags and NO_VALUE --------------------------------------------------------------
def test_loader_callable_status_is_no_value() -> None:
    from uow_orm.orm.base import LoaderCallableStatus

    assert LoaderCallableStatus.NO_VALUE is attributes.NO_VALUE is attributes.NEVER_SET
    assert interfaces.NO_VALUE is uow_orm.orm.NO_VALUE
    assert pickle.loads(pickle.dumps(attributes.NO_VALUE)) is attributes.NO_VALUE
    flags = attributes.PassiveFlag
    assert flags.PASSIVE_NO_INITIALIZE == flags.PASSIVE_RETURN_NO_VALUE ^ flags.CALLABLES_OK
    assert flags.PASSIVE_OFF & attributes.SQL_OK and not attributes.NO_CHANGE


def _history_reads(sa: Any, orm: Any, attributes_mod: Any, User: Any, bind: Any) -> list[Any]:
    """The same get_history() calls on an expired attribute, with each library."""
    out: list[Any] = []
    with orm.Session(bind) as s:
        s.add(User(id=1, name="ann", bio="b"))
        s.commit()  # expires everything
        u = s.get(User, 1)
        s.expire(u, ["bio"])
        for flag in ("PASSIVE_NO_INITIALIZE", "NO_CHANGE", "PASSIVE_NO_FETCH"):
            h = attributes_mod.get_history(u, "bio", passive=getattr(attributes_mod, flag))
            out.append((flag, tuple(h.added), tuple(h.unchanged), tuple(h.deleted)))
        out.append(("loaded", "bio" in u.__dict__))
        h = attributes_mod.get_history(u, "bio", passive=attributes_mod.PASSIVE_OFF)
        out.append(("PASSIVE_OFF", tuple(h.added), tuple(h.unchanged), tuple(h.deleted)))
        u.bio = "c"
        h = attributes_mod.get_history(u, "bio", passive=attributes_mod.PASSIVE_NO_INITIALIZE)
        out.append(("changed", tuple(h.added), tuple(h.unchanged), tuple(h.deleted)))
    return out


def test_get_history_passive_flags_match_sqlalchemy(session: Session, sql_log: Any) -> None:
    import sqlalchemy
    import sqlalchemy.orm
    import sqlalchemy.orm.attributes as sa_attributes

    sa_models = build_oracle_models()
    sa_engine = sqlalchemy.create_engine("sqlite://")
    sa_models["Base"].metadata.create_all(sa_engine)
    theirs = _history_reads(sqlalchemy, sqlalchemy.orm, sa_attributes, sa_models["User"], sa_engine)
    sa_engine.dispose()
    log = sql_log(session.bind)
    ours = _history_reads(uow_orm, uow_orm.orm, attributes, User, session.bind)
    assert ours == theirs
    assert ("PASSIVE_OFF", (), ("b",), ()) in ours
    assert log.count("SELECT") == 2  # the get() and the PASSIVE_OFF load; no other


def test_get_history_refuses_flags_it_cannot_honour(session: Session) -> None:
    session.add(Address(id=1, email="e", user=User(id=1, name="n")))
    session.commit()
    a = session.get(Address, 1)
    with pytest.raises(exc.ArgumentError, match="NO_AUTOFLUSH"):
        attributes.get_history(a, "email", passive=attributes.PassiveFlag.NO_AUTOFLUSH)
    with pytest.raises(exc.ArgumentError, match="NO_RAISE"):
        attributes.get_history(a, "email", passive=attributes.PassiveFlag.PASSIVE_MERGE)
    with pytest.raises(exc.ArgumentError, match="not a PassiveFlag"):
        attributes.get_history(a, "email", passive="PASSIVE_NO_INITIALIZE")
    # a many-to-one from the identity map only: SQLAlchemy would answer without SQL
    with pytest.raises(exc.ArgumentError, match="identity map"):
        attributes.get_history(a, "user", passive=attributes.PASSIVE_NO_FETCH)
    h = attributes.get_history(a, "user", passive=attributes.PASSIVE_NO_INITIALIZE)
    assert h.empty() and "user" not in a.__dict__
    assert attributes.get_history(a, "user").unchanged == [session.get(User, 1)]


def test_event_constants() -> None:
    from uow_orm.orm.base import EventConstants

    assert uow_orm.orm.EXT_STOP is interfaces.EXT_STOP is EventConstants.EXT_STOP
    assert uow_orm.orm.EXT_CONTINUE is EventConstants.EXT_CONTINUE
    assert uow_orm.orm.NO_KEY is attributes.NO_KEY is EventConstants.NO_KEY


# -- session names ---------------------------------------------------------------------------
def _origins(orm: Any, User: Any, bind: Any) -> list[str]:
    out = []
    with orm.Session(bind) as s:
        s.get(User, 1)
        out.append(s.get_transaction().origin.name)
        s.rollback()
        s.begin()
        out.append(s.get_transaction().origin.name)
        nested = s.begin_nested()
        out.append(nested.origin.name)
        out.append(s.get_transaction().origin.name)
        s.rollback()
    return out


def test_session_transaction_origin_matches_sqlalchemy(session: Session) -> None:
    import sqlalchemy
    import sqlalchemy.orm

    sa_models = build_oracle_models()
    sa_engine = sqlalchemy.create_engine("sqlite://")
    sa_models["Base"].metadata.create_all(sa_engine)
    theirs = _origins(sqlalchemy.orm, sa_models["User"], sa_engine)
    sa_engine.dispose()
    assert (
        _origins(uow_orm.orm, User, session.bind)
        == theirs
        == [
            "AUTOBEGIN",
            "BEGIN",
            "BEGIN_NESTED",
            "BEGIN",
        ]
    )
    assert [m.name for m in uow_orm.orm.SessionTransactionOrigin] == [
        m.name for m in sqlalchemy.orm.SessionTransactionOrigin
    ]


def test_create_session_has_no_autoflush_and_keeps_values(session: Session, sql_log: Any) -> None:
    bind = session.bind
    with uow_orm.orm.create_session(bind) as s:
        assert isinstance(s, Session)
        assert (s.autoflush, s.expire_on_commit) == (False, False)
        s.add(User(id=5, name="pending"))
        assert s.scalars(select(User)).all() == []  # no autoflush
        s.commit()
        u = s.get(User, 5)
        log = sql_log(bind)
        assert u.name == "pending" and log.count("SELECT") == 0  # not expired by commit
    with uow_orm.orm.create_session(bind, autoflush=True) as s:
        assert s.autoflush is True
    with pytest.raises(TypeError):
        uow_orm.orm.create_session(bind, no_such_option=1)


def test_flush_context_is_the_uow_transaction(session: Session) -> None:
    seen: list[Any] = []

    def before_flush(sess: Any, flush_context: Any, instances: Any) -> None:
        seen.append((isinstance(flush_context, uow_orm.orm.UOWTransaction), flush_context.session))

    event.listen(session, "before_flush", before_flush)
    session.add(User(id=7, name="x"))
    session.flush()
    assert seen == [(True, session)]


def test_query_property_descriptor(db: Any) -> None:
    scoped = uow_orm.orm.scoped_session(uow_orm.orm.sessionmaker(db))
    descriptor = scoped.query_property()
    assert isinstance(descriptor, uow_orm.orm.QueryPropertyDescriptor)
    User.query = descriptor  # type: ignore[attr-defined]
    try:
        scoped.add(User(id=3, name="q"))
        scoped.commit()
        query = User.query  # type: ignore[attr-defined]
        assert isinstance(query, uow_orm.orm.Query) and query.session is scoped()
        assert [u.name for u in query.filter(User.id == 3)] == ["q"]
    finally:
        del User.query  # type: ignore[attr-defined]
        scoped.remove()


def test_from_statement_is_orm_from_statement(session: Session) -> None:
    session.add_all([User(id=1, name="a"), User(id=2, name="b")])
    session.commit()
    stmt = select(User).from_statement(
        text("SELECT id, name, bio FROM orm_names_users ORDER BY id DESC")
    )
    assert isinstance(stmt, uow_orm.orm.FromStatement)
    assert [u.name for u in session.scalars(stmt)] == ["b", "a"]


# -- declarative names -----------------------------------------------------------------------
def test_declarative_base_no_meta(session: Session) -> None:
    assert type(Gadget) is type  # no metaclass
    assert "late" not in uow_orm.inspect(Gadget).attrs  # a plain class attribute
    assert "colour" in uow_orm.inspect(Gadget).attrs  # add_mapped_attribute mapped it
    session.add(Gadget(id=1, label="g", colour="red"))
    session.commit()
    session.expunge_all()
    g = session.get(Gadget, 1)
    assert (g.label, g.colour) == ("g", "red")
    rows = session.execute(text("SELECT label, colour FROM orm_names_gadgets")).all()
    assert [tuple(r) for r in rows] == [("g", "red")]


def test_add_mapped_attribute_errors() -> None:
    class Plain:
        pass

    with pytest.raises(exc.UnmappedClassError):
        uow_orm.orm.add_mapped_attribute(Plain, "x", mapped_column(String))
    with pytest.raises(exc.ArgumentError, match="not a column"):
        uow_orm.orm.add_mapped_attribute(Gadget, "x", 5)


def test_is_instrumented_matches_sqlalchemy() -> None:
    import sqlalchemy.orm.instrumentation as sa_instrumentation

    from uow_orm.orm import instrumentation

    sa_models = build_oracle_models()
    keys = ("name", "addresses", "name_len", "upper_name", "emails", "nothing")
    ours = [instrumentation.is_instrumented(User(), k) for k in keys]
    theirs = [sa_instrumentation.is_instrumented(sa_models["User"](), k) for k in keys]
    assert ours == theirs
    with pytest.raises(exc.UnmappedClassError):
        instrumentation.is_instrumented(object(), "x")


def test_util_identity_helpers(session: Session) -> None:
    from uow_orm.orm import util

    u = User(id=9, name="z")
    assert not util.has_identity(u)
    session.add(u)
    session.flush()
    assert util.has_identity(u) and not util.was_deleted(u)
    session.delete(u)
    session.flush()
    assert util.was_deleted(u)
    assert util.object_mapper(u) is uow_orm.inspect(User)


# -- automap's generate_relationship hook ----------------------------------------------------
def _automap_calls(automap: Any, interfaces_mod: Any, bind: Any) -> tuple[Any, list[Any]]:
    calls: list[Any] = []

    def gen(base: Any, direction: Any, return_fn: Any, attrname: str, *classes: Any, **kw: Any):
        local_cls, referred_cls = classes
        calls.append(
            (
                direction.name,
                return_fn.__name__,
                attrname,
                local_cls.__name__,
                referred_cls.__name__,
            )
        )
        if direction is interfaces_mod.ONETOMANY:
            kw["cascade"] = "all, delete-orphan"
        return automap.generate_relationship(
            base, direction, return_fn, attrname, local_cls, referred_cls, **kw
        )

    Base = automap.automap_base()
    Base.prepare(autoload_with=bind, generate_relationship=gen)
    return Base, sorted(calls)


def test_automap_generate_relationship_hook(db: Any) -> None:
    import sqlalchemy
    import sqlalchemy.ext.automap as sa_automap
    import sqlalchemy.orm.interfaces as sa_interfaces

    from uow_orm.ext import automap

    run_sql = "INSERT INTO orm_names_users (id, name) VALUES (1, 'u')"
    with db.begin() as conn:
        conn.execute(text(run_sql))
        conn.execute(
            text("INSERT INTO orm_names_addresses (id, email, user_id) VALUES (1, 'e', 1)")
        )
    Auto, ours = _automap_calls(automap, interfaces, db)

    sa_engine = sqlalchemy.create_engine("sqlite://")
    build_oracle_models()["Base"].metadata.create_all(sa_engine)
    _sa_base, theirs = _automap_calls(sa_automap, sa_interfaces, sa_engine)
    sa_engine.dispose()
    assert ours == theirs
    assert ours[1][:3] == ("ONETOMANY", "backref", "orm_names_addresses_collection")

    users = Auto.classes.orm_names_users
    with Session(db) as s:
        user = s.get(users, 1)
        assert [a.email for a in user.orm_names_addresses_collection] == ["e"]
        s.delete(user)  # the hook's cascade deletes the address too
        s.commit()
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM orm_names_addresses")).scalar() == 0

    with pytest.raises(TypeError, match="Unknown relationship function"):
        automap.generate_relationship(Auto, interfaces.MANYTOONE, print, "x", users, users)


# -- include_key=True attribute listeners: NO_KEY and dictionary keys --------------------------
def _keys_seen(sa: Any, orm: Any, event_mod: Any) -> list[Any]:
    class KBase(orm.DeclarativeBase):
        pass

    class Parent(KBase):
        __tablename__ = "key_parents"
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(20))
        kids = orm.relationship("Kid")
        by_code = orm.relationship("Coded", collection_class=orm.attribute_keyed_dict("code"))

    class Kid(KBase):
        __tablename__ = "key_kids"
        id = sa.Column(sa.Integer, primary_key=True)
        parent_id = sa.Column(sa.ForeignKey("key_parents.id"))

    class Coded(KBase):
        __tablename__ = "key_coded"
        id = sa.Column(sa.Integer, primary_key=True)
        parent_id = sa.Column(sa.ForeignKey("key_parents.id"))
        code = sa.Column(sa.String(5))

    seen: list[Any] = []

    def recorder(name: str) -> Any:
        def record(*args: Any, **kw: Any) -> None:
            seen.append((name, {k: getattr(v, "name", v) for k, v in kw.items()}))

        return record

    event_mod.listen(Parent.name, "set", recorder("set"), include_key=True)
    for attr in (Parent.kids, Parent.by_code):
        for name in ("append", "remove", "bulk_replace", "modified"):
            event_mod.listen(attr, name, recorder(name), include_key=True)
    p = Parent()
    p.name = "x"
    kid = Kid()
    p.kids.append(kid)
    p.kids.remove(kid)
    p.kids = [Kid(), Kid()]
    p.by_code["a"] = Coded(code="a")
    del p.by_code["a"]
    p.by_code.set(Coded(code="b"))
    p.by_code = {"z": Coded(code="z")}
    orm.attributes.flag_modified(p, "kids")
    assert sorted(p.by_code) == ["z"]
    return seen


def test_include_key_listeners_get_sqlalchemys_keys() -> None:
    import sqlalchemy
    import sqlalchemy.event
    import sqlalchemy.orm

    ours = _keys_seen(uow_orm, uow_orm.orm, event)
    assert ours == _keys_seen(sqlalchemy, sqlalchemy.orm, sqlalchemy.event)
    assert ("append", {"key": "NO_KEY"}) in ours and ("append", {"key": "b"}) in ours
    assert ("bulk_replace", {"keys": ["z"]}) in ours and ("set", {}) in ours


# -- orm_insert_sentinel ---------------------------------------------------------------------
class Ticket(Base):
    __tablename__ = "orm_names_tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(10))
    _sentinel: Mapped[Optional[int]] = uow_orm.orm.orm_insert_sentinel()  # noqa: UP045


def test_orm_insert_sentinel(session: Session) -> None:
    column = Ticket.__table__.c._sentinel
    assert column.nullable and isinstance(column.type, uow_orm.Integer)
    assert [c.name for c in select(Ticket.__table__).selected_columns] == ["id", "label"]
    session.add_all([Ticket(id=1, label="a"), Ticket(id=2, label="b", _sentinel=7)])
    session.commit()
    session.expunge_all()
    got = session.scalars(select(Ticket).order_by(Ticket.id)).all()
    assert [(t.label, t._sentinel) for t in got] == [("a", None), ("b", 7)]
    kept = uow_orm.orm.orm_insert_sentinel("s", String(5), omit_from_statements=False)
    assert kept.column.name == "s" and not kept.column._omit_from_statements


# -- collection_adapter ----------------------------------------------------------------------
def _adapter_scenario(sa: Any, orm: Any, collections: Any, event_mod: Any, bind: Any) -> Any:
    class Bag:
        def __init__(self) -> None:
            self.items: list[Any] = []

        @collections.collection.appender
        def add(self, item: Any) -> None:
            self.items.append(item)

        @collections.collection.remover
        def discard(self, item: Any) -> None:
            self.items.remove(item)

        @collections.collection.iterator
        def __iter__(self) -> Any:
            return iter(self.items)

        @collections.collection.internally_instrumented
        def push(self, item: Any) -> None:
            item = collections.collection_adapter(self).fire_append_event(item, None)
            self.items.append(item)

        @collections.collection.internally_instrumented
        def drop(self, item: Any) -> None:
            collections.collection_adapter(self).fire_remove_event(item, None)
            self.items.remove(item)

    class ABase(orm.DeclarativeBase):
        pass

    class Box(ABase):
        __tablename__ = "adapter_boxes"
        id = sa.Column(sa.Integer, primary_key=True)
        things = orm.relationship("Thing", collection_class=Bag, back_populates="box")

    class Thing(ABase):
        __tablename__ = "adapter_things"
        id = sa.Column(sa.Integer, primary_key=True)
        box_id = sa.Column(sa.ForeignKey("adapter_boxes.id"))
        box = orm.relationship("Box", back_populates="things")

    seen: list[Any] = []
    event_mod.listen(Box.things, "append", lambda t, v, i: seen.append(("append", v.id)))
    event_mod.listen(Box.things, "remove", lambda t, v, i: seen.append(("remove", v.id)))
    ABase.metadata.create_all(bind)
    try:
        with orm.Session(bind) as s:
            box = Box(id=1)
            t1, t2 = Thing(id=1), Thing(id=2)
            box.things.push(t1)
            box.things.push(t2)
            adapter = collections.collection_adapter(box.things)
            out = [adapter.owner_state is sa.inspect(box), len(adapter), t1.box is box]
            s.add(box)
            s.commit()
            box.things.drop(t2)
            out.append(t2.box)
            s.commit()
            adapter = collections.collection_adapter(box.things)
            t3 = Thing(id=3)
            adapter.append_with_event(t3)  # events, backref and cascade: flushed
            out.append(([t.id for t in adapter], t3.box is box, t3 in s))
            s.commit()
            rows = s.execute(sa.text("SELECT id, box_id FROM adapter_things ORDER BY id")).all()
            out.append([tuple(r) for r in rows])
        return out, seen
    finally:
        ABase.metadata.drop_all(bind)


def test_collection_adapter_matches_sqlalchemy(session: Session) -> None:
    import sqlalchemy
    import sqlalchemy.event
    import sqlalchemy.orm
    import sqlalchemy.orm.collections as sa_collections

    from uow_orm.orm import collections

    sa_engine = sqlalchemy.create_engine("sqlite://")
    theirs = _adapter_scenario(
        sqlalchemy, sqlalchemy.orm, sa_collections, sqlalchemy.event, sa_engine
    )
    sa_engine.dispose()
    ours = _adapter_scenario(uow_orm, uow_orm.orm, collections, event, session.bind)
    assert ours == theirs
    assert ours[0][-1] == [(1, 1), (2, None), (3, 1)]
    with pytest.raises(exc.ArgumentError, match="not the collection"):
        collections.collection_adapter([])
