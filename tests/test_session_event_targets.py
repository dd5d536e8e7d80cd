"""Session events with SQLAlchemy's signatures, on every target SQLAlchemy allows (the
``Session`` class, a subclass, a sessionmaker, a scoped_session, an instance), the object
lifecycle events, and ``do_orm_execute`` with the soft-delete and result-caching recipes
of SQLAlchemy's documentation. Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    DeclarativeBase,
    ForeignKey,
    Mapped,
    Session,
    event,
    exc,
    mapped_column,
    relationship,
    scoped_session,
    select,
    sessionmaker,
    text,
    update,
    with_loader_criteria,
)
from uow_orm.orm import ORMExecuteState


class Base(DeclarativeBase):
    pass


class SoftDeletable:
    deleted: Mapped[bool] = mapped_column(default=False)


class Owner(SoftDeletable, Base):
    __tablename__ = "se_owner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    pets: Mapped[list[Pet]] = relationship(back_populates="owner", order_by="Pet.id")


class Pet(SoftDeletable, Base):
    __tablename__ = "se_pet"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("se_owner.id"))
    owner: Mapped[Owner | None] = relationship(back_populates="pets")


class MySession(Session):
    pass


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def names(engine: Any, table: str) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text(f"SELECT name FROM {table} ORDER BY id"))]


# -- targets --------------------------------------------------------------------------------
def test_listener_on_session_class_reaches_every_session_and_subclass(db, listen):
    seen: list[Any] = []
    listen(Session, "after_commit", seen.append)
    with Session(db) as s1, MySession(db) as s2, sessionmaker(db)() as s3:
        for s in (s1, s2, s3):
            s.add(Owner(name="x"))
            s.commit()
        assert seen == [s1, s2, s3]


def test_listener_on_a_subclass_reaches_only_its_sessions(db, listen):
    seen: list[Any] = []
    listen(MySession, "after_commit", seen.append)
    with Session(db) as s1, MySession(db) as s2:
        s1.commit()
        s2.commit()
        assert seen == [s2]


def test_listener_on_class_added_after_the_session_exists_still_fires(db, listen):
    with Session(db) as s:
        seen: list[Any] = []
        listen(Session, "after_commit", seen.append)
        s.commit()
        assert seen == [s]


def test_scoped_session_target_listens_on_its_factory(db, listen):
    registry = scoped_session(sessionmaker(db))
    seen: list[Any] = []
    listen(registry, "before_commit", seen.append)
    registry.add(Owner(name="x"))
    registry.commit()
    assert seen == [registry()]
    registry.remove()


def test_session_events_on_a_mapped_class_are_refused():
    with pytest.raises(exc.InvalidRequestError, match="before_flush"):
        event.listen(Owner, "before_flush", lambda *a: None)
    with pytest.raises(exc.ArgumentError, match="raw"):
        event.listen(Session, "before_flush", lambda *a: None, raw=True)


# -- flush and transaction events -------------------------------------------------------------
def test_before_flush_gets_flush_context_and_instances(db, listen):
    seen: list[Any] = []

    def before_flush(session, flush_context, instances):
        seen.append(
            (session, flush_context.session, instances, sorted(o.name for o in session.new))
        )

    listen(Session, "before_flush", before_flush)
    with Session(db) as s:
        a = Owner(name="a")
        s.add(a)
        s.flush()
        s.add(Owner(name="b"))
        s.flush([s.new.__iter__().__next__()])
        assert seen[0] == (s, s, None, ["a"])
        assert seen[1][2] is not None and seen[1][3] == ["b"]


def test_before_flush_validation_pattern_blocks_the_flush(db, listen):
    def validate(session, flush_context, instances):
        for obj in session.new:
            if isinstance(obj, Owner) and not obj.name:
                raise ValueError("owner needs a name")

    listen(Session, "before_flush", validate)
    with Session(db) as s:
        s.add(Owner(name=""))
        with pytest.raises(ValueError, match="needs a name"):
            s.commit()
    assert names(db, "se_owner") == []


def test_after_flush_sees_pre_flush_state_and_postexec_the_final_one(db, listen):
    seen: list[Any] = []
    listen(Session, "after_flush", lambda s, ctx: seen.append(("after_flush", len(s.new))))
    listen(
        Session,
        "after_flush_postexec",
        lambda s, ctx: seen.append(("postexec", len(s.new))),
    )
    with Session(db) as s:
        s.add(Owner(name="a"))
        s.flush()
    assert seen == [("after_flush", 1), ("postexec", 0)]


def test_transaction_events_name_the_transaction_and_connection(db, listen):
    seen: list[Any] = []
    listen(Session, "after_transaction_create", lambda s, t: seen.append(("create", t)))
    listen(Session, "after_transaction_end", lambda s, t: seen.append(("end", t)))
    listen(Session, "after_begin", lambda s, t, c: seen.append(("begin", t, c.in_transaction())))
    listen(Session, "after_soft_rollback", lambda s, t: seen.append(("soft", t)))
    with Session(db) as s:
        s.add(Owner(name="a"))
        s.flush()
        root = s.get_transaction()
        nested = s.begin_nested()
        nested.rollback()
        s.commit()
    assert seen == [
        ("create", root),
        ("begin", root, True),
        ("create", nested),
        ("end", nested),
        ("soft", nested),
        ("end", root),
    ]


def test_after_rollback_then_after_soft_rollback_on_rollback(db, listen):
    """The order SQLAlchemy uses (checked against it)."""
    seen: list[str] = []
    listen(Session, "after_rollback", lambda s: seen.append("rollback"))
    listen(Session, "after_soft_rollback", lambda s, t: seen.append("soft"))
    with Session(db) as s:
        s.add(Owner(name="a"))
        s.flush()
        s.rollback()
    assert seen == ["rollback", "soft"]


def test_old_one_argument_flush_listeners_still_work(db, listen):
    seen: list[Any] = []
    listen(Session, "before_flush", lambda s: seen.append(s))
    with Session(db) as s:
        s.add(Owner(name="a"))
        s.flush()
        assert seen == [s]


# -- object lifecycle events ---------------------------------------------------------------------
LIFECYCLE = (
    "before_attach",
    "after_attach",
    "transient_to_pending",
    "pending_to_persistent",
    "pending_to_transient",
    "persistent_to_deleted",
    "deleted_to_detached",
    "persistent_to_detached",
    "detached_to_persistent",
    "loaded_as_persistent",
)


def record_lifecycle(listen: Any, target: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for name in LIFECYCLE:
        listen(target, name, lambda s, obj, name=name: seen.append((name, obj.name)))
    return seen


def test_lifecycle_of_an_object_from_add_to_delete(db, listen):
    factory = sessionmaker(db)
    seen = record_lifecycle(listen, factory)
    with factory() as s:
        a = Owner(name="a")
        s.add(a)
        assert seen == [
            ("before_attach", "a"),
            ("after_attach", "a"),
            ("transient_to_pending", "a"),
        ]
        seen.clear()
        s.flush()
        assert seen == [("pending_to_persistent", "a")]
        seen.clear()
        s.delete(a)
        s.flush()
        assert seen == [("persistent_to_deleted", "a")]
        seen.clear()
        s.commit()
        assert seen == [("deleted_to_detached", "a")]


def test_lifecycle_of_load_expunge_and_reattach(db, listen):
    with Session(db) as s:
        s.add(Owner(name="b"))
        s.commit()
    seen = record_lifecycle(listen, Session)
    with Session(db) as s:
        b = s.scalars(select(Owner)).one()
        assert seen == [("loaded_as_persistent", "b")]
        seen.clear()
        s.expunge(b)
        assert seen == [("persistent_to_detached", "b")]
        seen.clear()
        s.add(b)
        assert seen == [
            ("before_attach", "b"),
            ("after_attach", "b"),
            ("detached_to_persistent", "b"),
        ]
        seen.clear()
        p = Owner(name="p")
        s.add(p)
        seen.clear()
        s.rollback()
        assert ("pending_to_transient", "p") in seen


def test_loaded_as_persistent_fires_for_get_too(db, listen):
    with Session(db) as s:
        s.add(Owner(name="g"))
        s.commit()
    with Session(db) as s:
        s.get(Owner, 1)  # plan cached without listeners
    seen: list[str] = []
    listen(Session, "loaded_as_persistent", lambda s, obj: seen.append(obj.name))
    with Session(db) as s:
        s.get(Owner, 1)
    assert seen == ["g"]


def test_after_bulk_update_and_delete_fire_for_legacy_query(db, listen):
    seen: list[tuple[str, int]] = []
    listen(Session, "after_bulk_update", lambda ctx: seen.append(("update", ctx.result.rowcount)))
    listen(Session, "after_bulk_delete", lambda ctx: seen.append(("delete", ctx.result.rowcount)))
    with Session(db) as s:
        s.add_all([Owner(name="a"), Owner(name="b")])
        s.commit()
        s.query(Owner).filter(Owner.name == "a").update({"name": "c"})
        s.query(Owner).filter(Owner.name == "b").delete()
        s.commit()
    assert seen == [("update", 1), ("delete", 1)]
    assert names(db, "se_owner") == ["c"]


# -- do_orm_execute --------------------------------------------------------------------------------
def soft_delete_filter(state: ORMExecuteState) -> None:
    """SQLAlchemy's documented recipe, with only the imports changed."""
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get("include_deleted", False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(
                SoftDeletable,
                lambda cls: cls.deleted == False,  # noqa: E712 (SQL, not Python)
                include_aliases=True,
            )
        )


def seed(db: Any) -> None:
    with Session(db) as s:
        s.add(Owner(name="alice", pets=[Pet(name="rex"), Pet(name="gone", deleted=True)]))
        s.add(Owner(name="hidden", deleted=True))
        s.commit()


def test_soft_delete_recipe_filters_queries_and_relationship_loads(db, listen):
    seed(db)
    listen(Session, "do_orm_execute", soft_delete_filter)
    with Session(db) as s:
        owners = s.scalars(select(Owner).order_by(Owner.id)).all()
        assert [o.name for o in owners] == ["alice"]
        assert [p.name for p in owners[0].pets] == ["rex"]  # lazy load, criteria propagated
        everyone = s.scalars(
            select(Owner).execution_options(include_deleted=True).order_by(Owner.id)
        ).all()
        assert [o.name for o in everyone] == ["alice", "hidden"]
        assert [p.name for p in s.scalars(select(Pet))] == ["rex"]


def test_soft_delete_recipe_filters_column_queries_and_joins_in_the_on_clause(db, listen):
    seed(db)
    with Session(db) as s:
        s.add(Owner(name="lonely"))
        s.commit()
    listen(Session, "do_orm_execute", soft_delete_filter)
    with Session(db) as s:
        # select(Owner.name): the owner of the selected column is filtered in WHERE
        assert s.scalars(select(Owner.name).order_by(Owner.id)).all() == ["alice", "lonely"]
        # the joined Pet is filtered in the ON clause, so the outer join keeps "lonely"
        rows = s.execute(
            select(Owner.name, Pet.name).outerjoin(Owner.pets).order_by(Owner.id, Pet.id)
        ).all()
        assert [tuple(r) for r in rows] == [("alice", "rex"), ("lonely", None)]
        rows = s.execute(
            select(Owner.name, Pet.name)
            .join(Pet, Pet.owner_id == Owner.id)
            .order_by(Owner.id, Pet.id)
        ).all()
        assert [tuple(r) for r in rows] == [("alice", "rex")]
        rows = s.execute(select(Owner.name, Pet.name).outerjoin(Pet).order_by(Owner.id)).all()
        assert [tuple(r) for r in rows] == [("alice", "rex"), ("lonely", None)]


def test_do_orm_execute_state_describes_the_statement(db, listen):
    seen: list[Any] = []

    def inspect_state(state: ORMExecuteState) -> None:
        seen.append(
            (
                state.is_select,
                state.is_update,
                state.is_orm_statement,
                [m.class_.__name__ for m in state.all_mappers],
                state.execution_options.get("tag"),
                state.bind_arguments.get("mapper") is not None,
                state.load_options._populate_existing,
            )
        )

    listen(Session, "do_orm_execute", inspect_state)
    with Session(db) as s:
        s.execute(select(Owner).execution_options(tag="q", populate_existing=True))
        s.execute(update(Owner).values(name="z"))
        s.execute(text("SELECT 1"))
    assert seen == [
        (True, False, True, ["Owner"], "q", True, True),
        (False, True, True, ["Owner"], None, True, False),
        (False, False, False, [], None, False, False),
    ]


def test_update_execution_options_reaches_the_statement(db, listen):
    seed(db)

    def include(state: ORMExecuteState) -> None:
        state.update_execution_options(include_deleted=True)

    listen(Session, "do_orm_execute", include, insert=True)
    listen(Session, "do_orm_execute", soft_delete_filter)
    with Session(db) as s:
        assert len(s.scalars(select(Owner)).all()) == 2


def test_result_caching_recipe_returns_the_cached_result(db, listen):
    seed(db)
    cache: dict[str, Any] = {}
    statements: list[str] = []
    listen(db, "before_cursor_execute", lambda c, cur, sql, p, ctx, many: statements.append(sql))

    def cached(state: ORMExecuteState) -> Any:
        key = state.execution_options.get("cache_key")
        if key is None:
            return None
        if key not in cache:
            cache[key] = state.invoke_statement().freeze()
        return cache[key]()

    listen(Session, "do_orm_execute", cached)
    with Session(db) as s:
        stmt = select(Owner.name).order_by(Owner.id).execution_options(cache_key="owners")
        first = s.execute(stmt).scalars().all()
        count = len(statements)
        second = s.execute(stmt).scalars().all()
        assert first == second == ["alice", "hidden"]
        assert len(statements) == count  # served from the cache: no SQL


def test_listener_returning_a_result_skips_later_listeners(db, listen):
    seen: list[str] = []

    def short(state: ORMExecuteState) -> Any:
        seen.append("short")
        return state.invoke_statement()

    listen(Session, "do_orm_execute", short)
    listen(Session, "do_orm_execute", lambda state: seen.append("second"))
    with Session(db) as s:
        s.execute(select(Owner)).all()
    # invoke_statement ran the listeners after "short" once, then short's result is used
    assert seen == ["short", "second"]


def test_make_transient_and_rollback_of_a_flushed_delete_fire_their_events(db, listen):
    from uow_orm import make_transient

    seen: list[tuple[str, str]] = []
    for name in ("persistent_to_transient", "deleted_to_persistent"):
        listen(Session, name, lambda s, obj, name=name: seen.append((name, obj.name)))
    with Session(db) as s:
        a, b = Owner(name="a"), Owner(name="b")
        s.add_all([a, b])
        s.commit()
        s.delete(a)
        s.flush()
        s.rollback()
        assert seen == [("deleted_to_persistent", "a")]
        make_transient(b)
        assert seen[-1] == ("persistent_to_transient", "b")


def test_events_that_uow_orm_does_not_fire_cannot_be_listened_for():
    for target, name in ((Owner, "load_on_pending"), (Owner.pets, "append_wo_mutation")):
        with pytest.raises(exc.InvalidRequestError, match="No such event"):
            event.listen(target, name, lambda *a: None)


def _event_sequence(lib: Any, orm: Any, url: str) -> list[tuple[str, str]]:
    """One add / flush / update / delete / rollback story, the session and mapper events
    it fires (SQLAlchemy's per-flush subtransaction events left out)."""

    class LBase(orm.DeclarativeBase):
        pass

    class Node(LBase):
        __tablename__ = "se_oracle_node"
        id = lib.Column(lib.Integer, primary_key=True)
        name = lib.Column(lib.String(20), nullable=False)

    engine = lib.create_engine(url)
    LBase.metadata.create_all(engine)
    log: list[tuple[str, str]] = []
    session_events = [
        "before_commit",
        "after_commit",
        "after_rollback",
        "before_flush",
        "after_flush",
        "after_flush_postexec",
        "before_attach",
        "after_attach",
        "transient_to_pending",
        "pending_to_persistent",
        "loaded_as_persistent",
        "persistent_to_deleted",
        "deleted_to_persistent",
        "deleted_to_detached",
        "persistent_to_detached",
    ]
    s = orm.Session(engine)

    def rec(name: str) -> Any:
        per_object = name.endswith(("_attach", "_pending", "_persistent", "_deleted", "_detached"))
        return lambda *a: log.append((name, type(a[1]).__name__ if per_object else ""))

    for name in session_events:
        lib.event.listen(s, name, rec(name))
    for name in ("before_insert", "after_insert", "before_update", "before_delete"):
        lib.event.listen(Node, name, lambda m, c, t, name=name: log.append((name, t.name)))
    a = Node(name="a")
    s.add(a)
    s.flush()
    a.name = "b"
    s.commit()
    b = s.scalars(lib.select(Node)).one()
    s.delete(b)
    s.flush()
    s.rollback()
    s.close()
    engine.dispose()
    return log


def test_session_event_sequence_matches_sqlalchemy():
    import sqlalchemy
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.orm

    ours = _event_sequence(uow_orm, uow_orm.orm, "sqlite://")
    theirs = _event_sequence(sqlalchemy, sqlalchemy.orm, "sqlite://")
    assert ours[:4] == [
        ("before_attach", "Node"),
        ("after_attach", "Node"),
        ("transient_to_pending", "Node"),
        ("before_flush", ""),
    ]
    assert ours == theirs


def test_do_orm_execute_accepts_retval_true(db, listen):
    seed(db)
    listen(Session, "do_orm_execute", soft_delete_filter, retval=True)
    with Session(db) as s:
        assert [o.name for o in s.scalars(select(Owner))] == ["alice"]


def test_populate_existing_gives_loaded_objects_the_new_criteria_for_lazy_loads(db):
    seed(db)
    with Session(db) as s:
        alice = s.scalars(select(Owner).where(Owner.name == "alice")).one()
        assert [p.name for p in alice.pets] == ["rex", "gone"]  # no criteria yet
        again = s.scalars(
            select(Owner)
            .where(Owner.name == "alice")
            .options(with_loader_criteria(Pet, Pet.deleted == False))  # noqa: E712
            .execution_options(populate_existing=True)
        ).one()
        assert again is alice
        assert [p.name for p in alice.pets] == ["rex"]  # loaded again, filtered


# -- do_orm_execute for the loads the ORM runs itself (as SQLAlchemy) ------------------------
def _seed_owner_with_pets(db: Any) -> None:
    with Session(db) as s:
        s.add(Owner(id=1, name="ann", pets=[Pet(id=1, name="rex"), Pet(id=2, name="hidden")]))
        s.add(Owner(id=2, name="bob", pets=[Pet(id=3, name="tom")]))
        s.commit()


def _record(seen: list[Any]) -> Any:
    def listener(state: ORMExecuteState) -> None:
        seen.append(
            (
                state.is_relationship_load,
                state.is_column_load,
                state.lazy_loaded_from.obj().name if state.lazy_loaded_from else None,
                [m.class_.__name__ for m in state.all_mappers],
            )
        )
        if state.is_relationship_load:  # the listener may change a relationship load
            state.statement = state.statement.where(Pet.name != "hidden")

    return listener


def test_lazy_and_selectin_loads_go_through_do_orm_execute(db, listen):
    from uow_orm import inspect, selectinload

    _seed_owner_with_pets(db)
    seen: list[Any] = []
    listen(Session, "do_orm_execute", _record(seen))
    with Session(db) as s:
        ann = s.get(Owner, 1)
        assert [p.name for p in ann.pets] == ["rex"]  # lazy load, changed by the listener
        assert seen == [(False, False, None, ["Owner"]), (True, False, "ann", ["Pet"])]
        assert inspect(ann).attrs.pets.loaded_value == ann.pets
        seen.clear()
        owners = s.scalars(
            select(Owner)
            .options(selectinload(Owner.pets))
            .order_by(Owner.id)
            .execution_options(populate_existing=True)
        ).all()
        assert [[p.name for p in o.pets] for o in owners] == [["rex"], ["tom"]]
        assert seen == [(False, False, None, ["Owner"]), (True, False, None, ["Pet"])]


def test_expired_attribute_load_is_a_column_load(db, listen):
    _seed_owner_with_pets(db)
    seen: list[Any] = []
    listen(Session, "do_orm_execute", _record(seen))
    with Session(db) as s:
        pet = s.scalars(select(Pet).where(Pet.id == 3)).one()
        s.expire(pet)
        assert pet.name == "tom"
        s.refresh(pet, ["name"])
    assert seen == [
        (False, False, None, ["Pet"]),
        (False, True, None, ["Pet"]),
        (False, True, None, ["Pet"]),
    ]


def test_a_listener_can_answer_a_lazy_load_from_its_cache(db, listen):
    # the caching recipe for relationship loads: the listener returns the Result
    _seed_owner_with_pets(db)
    cache: dict[Any, Any] = {}
    ran: list[str] = []

    @event.listens_for(Session, "do_orm_execute")
    def cached(state: ORMExecuteState) -> Any:
        if not state.is_relationship_load:
            return None
        key = str(state.statement.compile()), tuple(state.statement.compile().params.items())
        if key not in cache:
            ran.append("db")
            cache[key] = state.invoke_statement().freeze()
        return cache[key]()

    try:
        for _ in range(2):
            with Session(db) as s:
                owner = s.get(Owner, 2)
                assert [p.name for p in owner.pets] == ["tom"]
        assert ran == ["db"]  # the second session's lazy load came from the cache
    finally:
        event.remove(Session, "do_orm_execute", cached)
