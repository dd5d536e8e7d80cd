"""Names that libraries built on SQLAlchemy import (issue 22): the exception tree,
``sql.operators``, ``extract``, ``scoped_session``, ``Load`` / ``subqueryload`` /
``contains_eager``, the SQLAlchemy 1.4 keywords (``autocommit=False``, ``future=True``),
column ``doc`` / ``comment`` / ``info``, rows from ``query(Model.column)``, and a FastAPI
endpoint returning a mapped object.
"""

from __future__ import annotations

import datetime
import inspect as pyinspect
import threading
import warnings
from typing import Any

import pytest

import uow_orm
from uow_orm import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Session,
    String,
    Table,
    declarative_base,
    exc,
    relationship,
    select,
    sessionmaker,
)
from uow_orm.orm import exc as orm_exc
from uow_orm.sql import operators

Base = declarative_base()


class Team(Base):
    __tablename__ = "n_teams"
    id = Column(Integer, primary_key=True)
    slug = Column(String(20), nullable=False, comment="URL part, it's unique", doc="the slug")
    founded = Column(Date)
    members = relationship("Member", back_populates="team", order_by="Member.id")


member_badges = Table(
    "n_member_badges",
    Base.metadata,
    Column("member_id", Integer, ForeignKey("n_members.id"), primary_key=True),
    Column("badge_id", Integer, ForeignKey("n_badges.id"), primary_key=True),
)


class Member(Base):
    __tablename__ = "n_members"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False, info={"label": "Name"})
    joined_at = Column(DateTime)
    team_id = Column(Integer, ForeignKey("n_teams.id"))
    team = relationship("Team", back_populates="members")
    badges = relationship("Badge", secondary=member_badges, order_by="Badge.id")


class Badge(Base):
    __tablename__ = "n_badges"
    id = Column(Integer, primary_key=True)
    label = Column(String(20), nullable=False)


@pytest.fixture
def session(db):
    with Session(db) as s:
        s.add_all(
            [
                Team(
                    slug="red",
                    founded=datetime.date(2019, 4, 12),
                    members=[
                        Member(
                            name="ann",
                            joined_at=datetime.datetime(2020, 1, 2, 3, 4, 5),
                            badges=[Badge(label="gold"), Badge(label="silver")],
                        ),
                        Member(name="bob", joined_at=datetime.datetime(2021, 6, 7, 8, 9, 10)),
                    ],
                ),
                Team(slug="blue", founded=datetime.date(2022, 11, 30)),
            ]
        )
        s.commit()
    with Session(db) as s:
        yield s


# -- exceptions ---------------------------------------------------------------------------
def test_exception_tree_has_sqlalchemys_names_and_hierarchy():
    import sqlalchemy.exc as sa_exc

    missing, wrong = [], []
    for name, cls in vars(sa_exc).items():
        if not (pyinspect.isclass(cls) and issubclass(cls, BaseException)):
            continue
        if cls.__module__ != "sqlalchemy.exc" or name in ("EmulatedDBAPIException",):
            continue
        ours = getattr(exc, name, None)
        if ours is None:
            missing.append(name)
            continue
        for base in cls.__mro__[1:]:
            if base.__module__ == "sqlalchemy.exc" and hasattr(exc, base.__name__):
                if not issubclass(ours, getattr(exc, base.__name__)):
                    wrong.append((name, base.__name__))
            elif base in (KeyError, DeprecationWarning, RuntimeWarning, Warning):
                if not issubclass(ours, base):
                    wrong.append((name, base.__name__))
    assert missing == [] and wrong == []
    assert exc.SQLAlchemyError is exc.OrmError
    assert issubclass(exc.IntegrityError, exc.StatementError)
    assert issubclass(exc.RemovedIn20Warning, exc.SADeprecationWarning)


def test_orm_exc_names_are_the_same_classes():
    assert orm_exc.ConcurrentModificationError is exc.StaleDataError
    assert orm_exc.NoResultFound is exc.NoResultFound
    for name in (
        "UnmappedInstanceError",
        "UnmappedClassError",
        "DetachedInstanceError",
        "ObjectDeletedError",
        "FlushError",
        "StaleDataError",
        "MultipleResultsFound",
        "UnmappedColumnError",
        "ObjectDereferencedError",
        "LoaderStrategyException",
    ):
        assert getattr(orm_exc, name) is getattr(exc, name)
    assert issubclass(orm_exc.UnmappedInstanceError, orm_exc.UnmappedError)
    assert AttributeError in orm_exc.NO_STATE


def test_warnings_filter_by_sqlalchemy_names():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore", exc.SADeprecationWarning)
        warnings.simplefilter("always", exc.SAWarning)
        warnings.warn("old", exc.MovedIn20Warning, stacklevel=1)
        warnings.warn("odd", exc.SAWarning, stacklevel=1)
    assert [type(w.message) for w in caught] == [exc.SAWarning]


def test_no_result_is_catchable_by_the_orm_exc_name(session):
    with pytest.raises(orm_exc.NoResultFound):
        session.query(Team).filter_by(slug="none").one()


# -- SQLAlchemy 1.4 keywords ------------------------------------------------------------------
def test_sessionmaker_accepts_autocommit_false_only(engine):
    factory = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    s = factory()
    assert s.autoflush is False
    s.close()
    with pytest.raises(exc.ArgumentError, match="autocommit=True"):
        Session(engine, autocommit=True)
    with pytest.raises(exc.ArgumentError, match="autocommit=True"):
        sessionmaker(bind=engine, autocommit=True)()


def test_create_engine_future_true_only(db_url):
    eng = uow_orm.create_engine(db_url, future=True)
    assert eng.scalar(uow_orm.text("SELECT 1")) == 1
    eng.dispose()
    with pytest.raises(exc.ArgumentError, match="future"):
        uow_orm.create_engine(db_url, future=False)


# -- columns: doc, comment, info ------------------------------------------------------------
def test_column_doc_comment_info_are_kept_and_copied():
    c = Column("c", String(5), doc="d", comment="c", info={"k": 1})
    assert (c.doc, c.comment, c.info) == ("d", "c", {"k": 1})
    assert Column(Integer).info == {} and Column(Integer).doc is None
    copy = c.copy()
    assert (copy.doc, copy.comment, copy.info) == ("d", "c", {"k": 1})

    class Base(uow_orm.DeclarativeBase):
        pass

    class T(Base):
        __tablename__ = "t_doc_comment"
        id = uow_orm.mapped_column(Integer, primary_key=True)
        x = uow_orm.mapped_column(String(5), doc="md", comment="mc", info={"m": 2})

    col = T.__table__.c.x
    assert (col.doc, col.comment, col.info) == ("md", "mc", {"m": 2})


def test_column_comment_is_emitted_on_postgresql_and_ignored_on_sqlite(session, backend):
    if backend == "postgresql":
        got = session.execute(
            uow_orm.text(
                "SELECT col_description('n_teams'::regclass, attnum) FROM pg_attribute "
                "WHERE attrelid = 'n_teams'::regclass AND attname = 'slug'"
            )
        ).scalar()
        assert got == "URL part, it's unique"
    else:
        ddl = session.execute(
            uow_orm.text("SELECT sql FROM sqlite_master WHERE name = 'n_teams'")
        ).scalar()
        assert "URL part" not in ddl
    assert uow_orm.inspect(Team).attrs.slug.doc == "the slug"


# -- query(Model.column) rows ---------------------------------------------------------------
def test_query_of_columns_yields_rows(session):
    rows = session.query(Team.slug).order_by(Team.slug).all()
    assert [r.slug for r in rows] == ["blue", "red"]
    assert rows[0][0] == "blue" and rows[0]._mapping["slug"] == "blue"
    pairs = session.query(Team.slug, Team.id).filter(Team.slug == "red").one()
    assert pairs.slug == "red" and isinstance(pairs.id, int)
    assert session.query(Team.slug).filter_by(slug="red").first().slug == "red"
    assert [t.slug for t in session.query(Team).order_by(Team.slug)] == ["blue", "red"]


# -- operators and extract ------------------------------------------------------------------
OPS = [
    (operators.eq, ("red",), ["red"]),
    (operators.ne, ("red",), ["blue"]),
    (operators.lt, ("c",), ["blue"]),
    (operators.ge, ("c",), ["red"]),
    (operators.in_op, (["red", "x"],), ["red"]),
    (operators.notin_op, (["red"],), ["blue"]),
    (operators.not_in_op, (["blue"],), ["red"]),
    (operators.like_op, ("r%",), ["red"]),
    (operators.notlike_op, ("r%",), ["blue"]),
    (operators.ilike_op, ("R%",), ["red"]),
    (operators.startswith_op, ("bl",), ["blue"]),
    (operators.endswith_op, ("ed",), ["red"]),
    (operators.contains_op, ("lu",), ["blue"]),
    (operators.not_contains_op, ("lu",), ["red"]),
    (operators.between_op, ("a", "c"), ["blue"]),
    (operators.is_not, (None,), ["blue", "red"]),
    (operators.is_, (None,), []),
]


@pytest.mark.parametrize(("op", "args", "expected"), OPS, ids=[o[0].__name__ for o in OPS])
def test_operator_functions_filter_as_function_and_through_operate(session, op, args, expected):
    as_function = select(Team.slug).where(op(Team.slug, *args)).order_by(Team.slug)
    through_operate = select(Team.slug).where(Team.slug.operate(op, *args)).order_by(Team.slug)
    assert session.scalars(as_function).all() == expected
    assert session.scalars(through_operate).all() == expected


def test_operator_dispatch_by_name_like_filter_libraries(session):
    def apply(column: Any, name: str, value: Any) -> Any:
        return getattr(operators, name)(column, value)

    stmt = select(Team.slug).where(
        operators.and_(apply(Team.slug, "ne", "x"), apply(Team.id, "gt", 0))
    )
    assert sorted(session.scalars(stmt).all()) == ["blue", "red"]
    ordered = select(Team.slug).order_by(operators.desc_op(Team.slug))
    assert session.scalars(ordered).all() == ["red", "blue"]
    assert operators.is_comparison(operators.eq) and not operators.is_comparison(operators.add)
    with pytest.raises(exc.ArgumentError, match="escape"):
        operators.startswith_op(Team.slug, "r", autoescape=True)


def test_extract_reads_date_and_timestamp_parts(session):
    y, m, d = session.execute(
        select(
            uow_orm.extract("year", Team.founded),
            uow_orm.sql.extract("month", Team.founded),
            uow_orm.extract("day", Team.founded),
        ).where(Team.slug == "red")
    ).one()
    assert (y, m, d) == (2019, 4, 12)
    parts = session.execute(
        select(
            uow_orm.extract("hour", Member.joined_at),
            uow_orm.extract("minute", Member.joined_at),
            uow_orm.extract("second", Member.joined_at),
            uow_orm.extract("quarter", Member.joined_at),
        ).where(Member.name == "bob")
    ).one()
    assert tuple(parts) == (8, 9, 10, 2)
    assert all(type(v) is int for v in parts)
    late = select(Member.name).where(uow_orm.extract("year", Member.joined_at) >= 2021)
    assert session.scalars(late).all() == ["bob"]
    with pytest.raises(exc.ArgumentError, match="fortnight"):
        uow_orm.extract("fortnight", Member.joined_at)


# -- scoped_session ---------------------------------------------------------------------------
def test_scoped_session_gives_one_session_per_thread_and_proxies(engine):
    Base.metadata.create_all(engine)
    registry = uow_orm.scoped_session(sessionmaker(bind=engine))
    first = registry()
    assert registry() is first and registry.has()
    other: list[Session] = []
    t = threading.Thread(target=lambda: other.append(registry()))
    t.start()
    t.join()
    assert other[0] is not first
    team = Team(slug="green")
    registry.add(team)
    assert team in registry and team in registry.new
    registry.commit()
    assert registry.query(Team).filter_by(slug="green").one() is team
    assert registry.scalars(select(Team.slug)).all() == ["green"]
    assert registry.object_session(team) is first
    assert registry.identity_key(Team, team.id) == (Team, (team.id,), None)
    with pytest.raises(exc.InvalidRequestError, match="already present"):
        registry(autoflush=False)
    registry.remove()
    assert not registry.has()
    assert uow_orm.inspect(team).detached
    assert registry() is not first
    registry.remove()
    other[0].close()


def test_scoped_session_scopefunc_and_query_property(engine):
    Base.metadata.create_all(engine)
    scope = ["a"]
    registry = uow_orm.orm.scoped_session(sessionmaker(bind=engine), scopefunc=lambda: scope[0])
    sa = registry()
    scope[0] = "b"
    assert registry() is not sa
    scope[0] = "a"
    assert registry() is sa
    registry.add(Team(slug="q"))
    registry.commit()

    Team.query = registry.query_property()
    try:
        assert [t.slug for t in Team.query.filter_by(slug="q")] == ["q"]
    finally:
        del Team.query
    registry.remove()
    with pytest.raises(AttributeError):
        registry.no_such_method


def test_scoped_session_registry_has_set_and_clear_like_sqlalchemy(engine):
    Base.metadata.create_all(engine)
    scoped = uow_orm.scoped_session(sessionmaker(bind=engine))
    assert not scoped.registry.has()
    current = scoped.registry()
    assert scoped.registry.has() and scoped() is current
    mine = Session(engine)
    scoped.registry.set(mine)
    assert scoped() is mine
    team = Team(slug="kept")
    scoped.add(team)
    scoped.registry.clear()  # forgets the session without closing it
    assert not scoped.registry.has()
    assert team in mine.new  # still open, its pending object kept
    mine.commit()
    with Session(engine) as check:
        assert check.scalars(select(Team.slug).where(Team.slug == "kept")).all() == ["kept"]
    mine.close()
    current.close()


# -- Load, subqueryload, contains_eager ----------------------------------------------------
def test_subqueryload_loads_collections_like_sqlalchemy(session, engine, sql_log):
    log = sql_log(engine)
    teams = (
        session.query(Team).options(uow_orm.subqueryload(Team.members)).order_by(Team.slug).all()
    )
    n = log.count("SELECT")
    assert [(t.slug, [m.name for m in t.members]) for t in teams] == [
        ("blue", []),
        ("red", ["ann", "bob"]),
    ]
    assert log.count("SELECT") == n == 2  # the teams, then every collection in one SELECT


def test_load_entity_option_chain(session):
    stmt = select(Member).options(uow_orm.Load(Member).joinedload(Member.team))
    members = session.scalars(stmt.order_by(Member.name)).all()
    assert [m.team.slug for m in members] == ["red", "red"]
    with pytest.raises(exc.ArgumentError):
        uow_orm.Load(object)


def test_contains_eager_fills_collection_from_the_join(session, engine, sql_log):
    log = sql_log(engine)
    stmt = (
        select(Team)
        .join(Team.members)
        .where(Member.name == "bob")
        .options(uow_orm.contains_eager(Team.members))
    )
    teams = session.scalars(stmt).unique().all()
    assert log.count("SELECT") == 1
    assert [(t.slug, [m.name for m in t.members]) for t in teams] == [("red", ["bob"])]
    assert log.count("SELECT") == 1  # the collection came from the joined rows


def test_contains_eager_many_to_one_and_legacy_query(session, engine, sql_log):
    log = sql_log(engine)
    members = (
        session.query(Member)
        .join(Member.team)
        .options(uow_orm.contains_eager(Member.team))
        .order_by(Member.name)
        .all()
    )
    assert [(m.name, m.team.slug) for m in members] == [("ann", "red"), ("bob", "red")]
    assert log.count("SELECT") == 1


def test_contains_eager_outer_join_gives_empty_collections(session):
    stmt = (
        select(Team)
        .outerjoin(Team.members)
        .options(uow_orm.contains_eager(Team.members))
        .order_by(Team.slug, Member.name)
    )
    teams = session.scalars(stmt).unique().all()
    assert [(t.slug, [m.name for m in t.members]) for t in teams] == [
        ("blue", []),
        ("red", ["ann", "bob"]),
    ]


def test_contains_eager_many_to_many_and_nested_paths(session, engine, sql_log):
    log = sql_log(engine)
    stmt = (
        select(Member)
        .join(Member.badges)
        .where(Badge.label == "silver")
        .options(uow_orm.contains_eager(Member.badges))
    )
    members = session.scalars(stmt).unique().all()
    assert [(m.name, [b.label for b in m.badges]) for m in members] == [("ann", ["silver"])]
    session.expunge_all()
    nested = (
        select(Team)
        .join(Team.members)
        .join(Member.badges)
        .where(Badge.label == "gold")
        .options(uow_orm.contains_eager(Team.members).contains_eager(Member.badges))
    )
    teams = session.scalars(nested).unique().all()
    assert [
        (t.slug, [(m.name, [b.label for b in m.badges]) for m in t.members]) for t in teams
    ] == [("red", [("ann", ["gold"])])]
    assert log.count("SELECT") == 2


def test_join_and_joinedload_through_an_association_table(session):
    stmt = select(Member.name).join(Member.badges).where(Badge.label == "gold")
    assert session.scalars(stmt).all() == ["ann"]
    members = session.scalars(
        select(Member).options(uow_orm.joinedload(Member.badges)).order_by(Member.name)
    ).unique()
    assert [(m.name, [b.label for b in m.badges]) for m in members] == [
        ("ann", ["gold", "silver"]),
        ("bob", []),
    ]


def test_class_mapper_object_mapper_object_session(session):
    team = session.scalars(select(Team).where(Team.slug == "red")).one()
    assert uow_orm.class_mapper(Team) is uow_orm.inspect(Team)
    assert uow_orm.object_mapper(team) is uow_orm.inspect(Team)
    assert uow_orm.object_session(team) is session
    assert uow_orm.orm.object_session(Team(slug="x")) is None
    with pytest.raises(exc.UnmappedClassError):
        uow_orm.class_mapper(dict)
    with pytest.raises(exc.UnmappedInstanceError):
        uow_orm.object_mapper(object())
    with pytest.raises(exc.UnmappedInstanceError):
        uow_orm.object_session(object())
    from uow_orm.inspection import inspect
    from uow_orm.orm import base

    assert inspect(team) is base.instance_state(team) is base.object_state(team)
    assert base.MANYTOONE is uow_orm.orm.interfaces.MANYTOONE


def test_contains_eager_without_the_join_or_with_an_alias_raises(session):
    with pytest.raises(exc.InvalidRequestError, match="needs the statement to join"):
        session.scalars(select(Team).options(uow_orm.contains_eager(Team.members))).all()
    with pytest.raises(exc.ArgumentError, match="alias"):
        uow_orm.contains_eager(Team.members, alias=object())


def test_lazy_subquery_loads_like_selectin():
    B = declarative_base()

    class P(B):
        __tablename__ = "p"
        id = Column(Integer, primary_key=True)
        kids = relationship("K", lazy="subquery")

    class K(B):
        __tablename__ = "k"
        id = Column(Integer, primary_key=True)
        p_id = Column(Integer, ForeignKey("p.id"))

    eng = uow_orm.create_engine("sqlite://")
    B.metadata.create_all(eng)
    with Session(eng) as s:
        s.add(P(kids=[K(), K()]))
        s.commit()
        p = s.scalars(select(P)).one()
        assert "kids" in p.__dict__ and len(p.kids) == 2
    eng.dispose()


# -- FastAPI --------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using `httpx`")
def test_fastapi_endpoint_returns_mapped_object_without_response_model(engine):
    import fastapi  # in the [test] extra, with httpx for its TestClient
    from fastapi.testclient import TestClient

    Base.metadata.create_all(engine)
    factory = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    with factory() as s:
        s.add(Team(slug="api", founded=datetime.date(2024, 1, 31)))
        s.commit()
    app = fastapi.FastAPI()

    # no return annotation and no response_model: FastAPI's jsonable_encoder walks the
    # object's __dict__, skipping "_sa" keys (the state)
    @app.get("/teams/{slug}")
    def read_team(slug: str):  # type: ignore[no-untyped-def]
        with factory() as s:
            return s.query(Team).filter(Team.slug == slug).one()

    with TestClient(app) as client:
        got = client.get("/teams/api")
    assert got.status_code == 200
    body = got.json()
    assert body["slug"] == "api" and body["founded"] == "2024-01-31"
    assert not any(k.startswith("_sa") for k in body)
