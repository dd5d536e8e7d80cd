"""``uow_orm.ext.horizontal_shard``: one ShardedSession over several databases.

Modelled on SQLAlchemy's ``examples/sharding/separate_databases.py``: weather locations
live in the database of their continent, their reports in the database of their location;
report primary keys repeat across databases, so identity keys carry the shard id. Each
shard is its own SQLite file, or its own PostgreSQL database on the test server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import fetch

from uow_orm import ForeignKey, String, create_engine, exc, inspect, select
from uow_orm.ext.horizontal_shard import ShardedQuery, ShardedSession, set_shard_id
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from uow_orm.testing import assert_statements

SHARDS = ("north_america", "asia", "europe")
CONTINENT_SHARD = {"North America": "north_america", "Asia": "asia", "Europe": "europe"}


class Base(DeclarativeBase):
    pass


class Location(Base):
    __tablename__ = "weather_locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    continent: Mapped[str] = mapped_column(String(30))
    city: Mapped[str] = mapped_column(String(30))
    reports: Mapped[list[Report]] = relationship(back_populates="location", order_by="Report.id")


class Report(Base):
    __tablename__ = "weather_reports"
    id: Mapped[int] = mapped_column(primary_key=True)  # repeats across shards
    location_id: Mapped[int] = mapped_column(ForeignKey("weather_locations.id"))
    temperature: Mapped[float]
    location: Mapped[Location] = relationship(back_populates="reports")


def shard_chooser(mapper: Any, instance: Any, clause: Any = None) -> str:
    if isinstance(instance, Location):
        return CONTINENT_SHARD[instance.continent]
    return shard_chooser(mapper, instance.location)


def identity_chooser(mapper: Any, primary_key: Any, *, lazy_loaded_from: Any, **kw: Any) -> Any:
    return [lazy_loaded_from.identity_token] if lazy_loaded_from else list(SHARDS)


CHOSEN: list[Any] = []  # what execute_chooser was asked, per test


def execute_chooser(context: Any) -> list[str]:
    CHOSEN.append(context)
    wanted = context.execution_options.get("continents")
    return [CONTINENT_SHARD[c] for c in wanted] if wanted else list(SHARDS)


@pytest.fixture
def shard_engines(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """One fresh database per shard, with the tables created."""
    if backend == "sqlite":
        urls = [f"sqlite:///{tmp_path / (name + '.sqlite')}" for name in SHARDS]
    else:
        server = request.getfixturevalue("pg_server")
        urls = [server.create_database() for _ in SHARDS]
    engines = {name: create_engine(url) for name, url in zip(SHARDS, urls)}
    for engine in engines.values():
        Base.metadata.create_all(engine)
    yield engines
    for engine in engines.values():
        engine.dispose()
    if backend == "postgresql":
        for url in urls:
            server.drop_database(url)


@pytest.fixture
def make_session(shard_engines: Any) -> Iterator[Any]:
    CHOSEN.clear()
    maker = sessionmaker(class_=ShardedSession, shards=shard_engines)
    maker.configure(
        shard_chooser=shard_chooser,
        identity_chooser=identity_chooser,
        execute_chooser=execute_chooser,
    )
    sessions: list[Session] = []

    def make() -> ShardedSession:
        s = maker()
        sessions.append(s)
        return s  # type: ignore[no-any-return]

    yield make
    for s in sessions:
        s.close()


def _seed(session: ShardedSession) -> dict[str, Location]:
    # the same ids in different shards (ids are unique per shard only)
    cities = {
        "Tokyo": Location(id=1, continent="Asia", city="Tokyo"),
        "New York": Location(id=1, continent="North America", city="New York"),
        "Toronto": Location(id=2, continent="North America", city="Toronto"),
        "London": Location(id=1, continent="Europe", city="London"),
        "Dublin": Location(id=2, continent="Europe", city="Dublin"),
    }
    cities["Tokyo"].reports.append(Report(id=1, temperature=80.0))
    cities["New York"].reports.append(Report(id=1, temperature=75.0))
    cities["New York"].reports.append(Report(id=2, temperature=70.0))
    session.add_all(cities.values())
    session.commit()
    return cities


def test_flush_writes_each_object_to_the_database_of_its_shard(
    make_session: Any, shard_engines: Any
) -> None:
    _seed(make_session())
    q = "SELECT city FROM weather_locations ORDER BY city"
    assert fetch(shard_engines["asia"], q) == [("Tokyo",)]
    assert fetch(shard_engines["north_america"], q) == [("New York",), ("Toronto",)]
    assert fetch(shard_engines["europe"], q) == [("Dublin",), ("London",)]
    reports = "SELECT id, location_id, temperature FROM weather_reports ORDER BY id"
    assert fetch(shard_engines["asia"], reports) == [(1, 1, 80.0)]
    assert fetch(shard_engines["north_america"], reports) == [(1, 1, 75.0), (2, 1, 70.0)]
    assert fetch(shard_engines["europe"], reports) == []


def test_identity_keys_carry_the_shard_so_equal_keys_are_different_objects(
    make_session: Any,
) -> None:
    cities = _seed(make_session())
    tokyo, new_york = cities["Tokyo"], cities["New York"]
    assert inspect(tokyo).identity_key == (Location, (1,), "asia")
    assert inspect(new_york).identity_key == (Location, (1,), "north_america")
    assert inspect(new_york.reports[0]).identity_token == "north_america"
    assert inspect(tokyo.reports[0]).identity_key == (Report, (1,), "asia")
    assert tokyo is not new_york


def test_pending_object_gets_its_shard_from_the_chooser_at_flush(make_session: Any) -> None:
    session = make_session()
    paris = Location(id=7, continent="Europe", city="Paris")
    session.add(paris)
    assert inspect(paris).identity_token is None
    session.flush()
    assert inspect(paris).identity_token == "europe"
    assert inspect(paris).identity_key == (Location, (7,), "europe")


def test_select_runs_on_every_shard_the_execute_chooser_names(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    rows = session.scalars(select(Location).order_by(Location.city)).all()
    assert sorted(c.city for c in rows) == ["Dublin", "London", "New York", "Tokyo", "Toronto"]
    assert {inspect(c).identity_token for c in rows} == set(SHARDS)
    assert CHOSEN[-1].statement is not None and CHOSEN[-1].is_select
    narrowed = session.scalars(
        select(Location).execution_options(continents=["Europe", "Asia"])
    ).all()
    assert sorted(c.city for c in narrowed) == ["Dublin", "London", "Tokyo"]


def test_set_shard_id_option_limits_the_statement_to_one_shard(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    CHOSEN.clear()
    stmt = select(Location).where(Location.city.startswith("T")).options(set_shard_id("asia"))
    assert [c.city for c in session.scalars(stmt)] == ["Tokyo"]
    assert CHOSEN == []  # the chooser was not asked


@pytest.mark.parametrize("how", ["bind_arguments", "shard_id_option", "identity_token_option"])
def test_one_shard_named_by_bind_arguments_or_execution_options(
    make_session: Any, how: str
) -> None:
    _seed(make_session())
    session = make_session()
    stmt = select(Location.city).order_by(Location.city)
    if how == "bind_arguments":
        result = session.execute(stmt, bind_arguments={"shard_id": "europe"})
    elif how == "shard_id_option":
        result = session.execute(stmt.execution_options(shard_id="europe"))
    else:
        result = session.execute(stmt, execution_options={"identity_token": "europe"})
    assert result.scalars().all() == ["Dublin", "London"]


def test_sharded_query_set_shard(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    q = session.query(Location)
    assert isinstance(q, ShardedQuery)
    assert [c.city for c in q.set_shard("north_america").order_by(Location.city)] == [
        "New York",
        "Toronto",
    ]
    filtered = q.filter(Location.id == 1)
    assert isinstance(filtered, ShardedQuery)
    assert [c.city for c in filtered.set_shard("europe")] == ["London"]


def test_get_with_identity_token_loads_from_that_shard(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    london = session.get(Location, 1, identity_token="europe")
    tokyo = session.get(Location, 1, identity_token="asia")
    assert (london.city, tokyo.city) == ("London", "Tokyo")
    assert inspect(london).identity_key == (Location, (1,), "europe")
    with assert_statements(count=0):  # now in the identity map
        assert session.get(Location, 1, identity_token="europe") is london
    assert session.get(Location, 99, identity_token="asia") is None


def test_get_without_token_searches_the_chosen_shards(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    toronto = session.get(Location, 2)  # shards in chooser order: north_america first
    assert toronto.city == "Toronto"
    with assert_statements(count=0):
        assert session.get(Location, 2) is toronto  # the identity chooser's shards


def test_lazy_loads_read_the_shard_of_the_parent_row(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    new_york = session.get(Location, 1, identity_token="north_america")
    assert [r.temperature for r in new_york.reports] == [75.0, 70.0]
    tokyo = session.get(Location, 1, identity_token="asia")
    (report,) = tokyo.reports
    assert report.temperature == 80.0
    assert inspect(report).identity_key == (Report, (1,), "asia")
    with assert_statements(count=0):  # many-to-one back: the parent, in its shard's key
        assert report.location is tokyo


def test_expired_attributes_reload_from_the_objects_shard(make_session: Any) -> None:
    _seed(make_session())
    session = make_session()
    london = session.get(Location, 1, identity_token="europe")
    session.expire(london)
    assert london.city == "London"
    session.refresh(london)
    assert london.continent == "Europe"


def test_updates_and_deletes_go_to_each_objects_shard(
    make_session: Any, shard_engines: Any
) -> None:
    _seed(make_session())
    session = make_session()
    rows = session.scalars(select(Location).where(Location.id == 1)).all()
    assert len(rows) == 3
    for c in rows:
        c.city = c.city.upper()
    dublin = session.get(Location, 2, identity_token="europe")
    session.delete(dublin)
    session.commit()
    q = "SELECT id, city FROM weather_locations ORDER BY id"
    assert fetch(shard_engines["europe"], q) == [(1, "LONDON")]
    assert fetch(shard_engines["asia"], q) == [(1, "TOKYO")]
    assert fetch(shard_engines["north_america"], q) == [(1, "NEW YORK"), (2, "Toronto")]


def test_failed_flush_in_one_shard_leaves_every_shard_unchanged(
    make_session: Any, shard_engines: Any
) -> None:
    _seed(make_session())
    session = make_session()
    session.add(Location(id=5, continent="Asia", city="Osaka"))
    session.add(Location(id=1, continent="Europe", city="Clash"))  # key 1 exists in europe
    with pytest.raises(exc.IntegrityError):
        session.commit()
    session.rollback()
    assert fetch(shard_engines["asia"], "SELECT count(*) FROM weather_locations") == [(1,)]
    assert fetch(shard_engines["europe"], "SELECT count(*) FROM weather_locations") == [(2,)]


def test_unknown_shard_is_refused_by_name(make_session: Any) -> None:
    session = make_session()
    with pytest.raises(exc.InvalidRequestError, match="'mars'"):
        session.execute(select(Location), bind_arguments={"shard_id": "mars"})
    with pytest.raises(exc.ArgumentError, match="mapper"):
        session.execute(select(Location), bind_arguments={"mapper": Location})


def test_choosers_are_required_and_legacy_names_warn(shard_engines: Any) -> None:
    with pytest.raises(exc.ArgumentError, match="identity_chooser"):
        ShardedSession(shard_chooser=shard_chooser, execute_chooser=execute_chooser)
    with pytest.raises(exc.ArgumentError, match="execute_chooser"):
        ShardedSession(shard_chooser=shard_chooser, identity_chooser=identity_chooser)
    with pytest.raises(exc.ArgumentError, match="shards="):
        ShardedSession(
            shard_chooser=shard_chooser,
            identity_chooser=identity_chooser,
            execute_chooser=execute_chooser,
            bind=shard_engines["asia"],
        )
    with (
        pytest.warns(DeprecationWarning, match="id_chooser"),
        pytest.warns(DeprecationWarning, match="query_chooser"),
    ):
        legacy = ShardedSession(
            shard_chooser=shard_chooser,
            id_chooser=lambda query, ident: ["europe"],
            query_chooser=lambda stmt: ["europe"],
            shards=shard_engines,
        )
    with legacy:
        legacy.add(Location(id=3, continent="Europe", city="Rome"))
        legacy.commit()
        assert legacy.get(Location, 3).city == "Rome"
        assert [c.city for c in legacy.scalars(select(Location))] == ["Rome"]


def test_plain_session_identity_token_execution_option(engine: Any) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Location(id=1, continent="Asia", city="Tokyo"))
        s.commit()
    with Session(engine) as s:
        tenant = s.scalars(select(Location).execution_options(identity_token="t1")).one()
        assert inspect(tenant).identity_key == (Location, (1,), "t1")
        assert s.get(Location, 1, identity_token="t1") is tenant
        plain = s.get(Location, 1)
        assert plain is not tenant and inspect(plain).identity_token is None


def test_bulk_update_and_delete_run_on_the_chosen_shards(
    make_session: Any, shard_engines: Any
) -> None:
    from uow_orm import delete, func, update

    _seed(make_session())
    session = make_session()
    loaded = session.scalars(select(Location).where(Location.id == 1)).all()
    result = session.execute(update(Location).where(Location.id == 1).values(city="ONE"))
    assert result.rowcount == 3  # one row in each shard
    with assert_statements(count=0):  # the loaded objects were updated in memory
        assert [c.city for c in loaded] == ["ONE", "ONE", "ONE"]
    (report,) = session.scalars(select(Report).options(set_shard_id("asia"))).all()
    session.execute(
        delete(Report).where(Report.id == 2), bind_arguments={"shard_id": "north_america"}
    )
    session.execute(delete(Report).where(Report.id == 1), bind_arguments={"shard_id": "asia"})
    assert inspect(report).deleted or inspect(report).detached  # asia's report 1 only
    session.commit()
    q = "SELECT count(*) FROM weather_locations WHERE city = 'ONE'"
    assert [fetch(shard_engines[name], q)[0][0] for name in SHARDS] == [1, 1, 1]
    assert fetch(shard_engines["north_america"], "SELECT id FROM weather_reports") == [(1,)]
    assert fetch(shard_engines["asia"], "SELECT id FROM weather_reports") == []
    counts = session.execute(select(func.count()).select_from(Location)).scalars().all()
    assert sorted(counts) == [1, 2, 2]  # one count per shard, as SQLAlchemy merges them


def test_yield_per_with_eager_loads_across_shards(make_session: Any) -> None:
    from uow_orm.orm import selectinload

    _seed(make_session())
    session = make_session()
    stmt = (
        select(Location)
        .options(selectinload(Location.reports))
        .execution_options(yield_per=1)
        .order_by(Location.id)
    )
    got = {(c.city, tuple(r.temperature for r in c.reports)) for c in session.scalars(stmt)}
    assert ("New York", (75.0, 70.0)) in got and ("Tokyo", (80.0,)) in got
    assert len(got) == 5


def test_do_orm_execute_listeners_run_in_each_shard(make_session: Any) -> None:
    from uow_orm import event
    from uow_orm.orm import with_loader_criteria

    _seed(make_session())
    session = make_session()
    calls: list[Any] = []

    @event.listens_for(session, "do_orm_execute")
    def only_first_ids(state: Any) -> None:
        calls.append(session._identity_token)
        if state.is_select:
            state.statement = state.statement.options(
                with_loader_criteria(Location, Location.id == 1)
            )

    cities = sorted(c.city for c in session.scalars(select(Location)))
    assert cities == ["London", "New York", "Tokyo"]
    assert sorted(calls) == sorted(SHARDS)  # once per shard, inside that shard


def test_merge_of_a_detached_object_loads_it_from_its_own_shard(
    make_session: Any, shard_engines: Any
) -> None:
    _seed(make_session())
    with make_session() as first:
        london = first.get(Location, 1, identity_token="europe")
        first.expunge(london)
    london.city = "LONDON"
    session = make_session()
    merged = session.merge(london)  # id 1 also exists in north_america and asia
    assert inspect(merged).identity_key == (Location, (1,), "europe")
    session.commit()
    assert fetch(shard_engines["europe"], "SELECT city FROM weather_locations WHERE id = 1") == [
        ("LONDON",)
    ]
    assert fetch(
        shard_engines["north_america"], "SELECT city FROM weather_locations WHERE id = 1"
    ) == [("New York",)]


def test_savepoint_rollback_undoes_the_writes_of_every_shard(
    make_session: Any, shard_engines: Any
) -> None:
    _seed(make_session())
    session = make_session()
    tokyo = session.get(Location, 1, identity_token="asia")
    london = session.get(Location, 1, identity_token="europe")
    savepoint = session.begin_nested()
    tokyo.city, london.city = "X", "Y"
    session.add(Location(id=9, continent="Asia", city="Osaka"))
    session.flush()
    savepoint.rollback()
    assert (tokyo.city, london.city) == ("Tokyo", "London")
    session.commit()
    assert fetch(shard_engines["asia"], "SELECT city FROM weather_locations") == [("Tokyo",)]


def _shard_scenario(sa: Any, orm: Any, hs: Any, directory: Path) -> list[Any]:
    """The separate-databases scenario written once for both libraries: identity keys,
    cross-shard and one-shard query results, get() by token, lazy loads."""

    class LocalBase(orm.DeclarativeBase):
        pass

    class Loc(LocalBase):
        __tablename__ = "loc"
        id = sa.Column(sa.Integer, primary_key=True)
        continent = sa.Column(sa.String(20))
        city = sa.Column(sa.String(20))
        reports = orm.relationship("Rep", back_populates="loc", order_by="Rep.id")

    class Rep(LocalBase):
        __tablename__ = "rep"
        id = sa.Column(sa.Integer, primary_key=True)
        loc_id = sa.Column(sa.ForeignKey("loc.id"))
        temp = sa.Column(sa.Float)
        loc = orm.relationship(Loc, back_populates="reports")

    names = ("na", "asia")
    engines = {n: sa.create_engine(f"sqlite:///{directory / (n + '.db')}") for n in names}
    for engine in engines.values():
        LocalBase.metadata.create_all(engine)

    def chooser(mapper: Any, instance: Any, clause: Any = None) -> str:
        if isinstance(instance, Loc):
            return "asia" if instance.continent == "Asia" else "na"
        return chooser(mapper, instance.loc)

    maker = orm.sessionmaker(
        class_=hs.ShardedSession,
        shards=engines,
        shard_chooser=chooser,
        identity_chooser=lambda mapper, pk, *, lazy_loaded_from, **kw: (
            [lazy_loaded_from.identity_token] if lazy_loaded_from else list(names)
        ),
        execute_chooser=lambda ctx: list(names),
    )
    out: list[Any] = []
    with maker() as s:
        tokyo = Loc(id=1, continent="Asia", city="Tokyo")
        ny = Loc(id=1, continent="America", city="NY")
        tokyo.reports.append(Rep(id=1, temp=80.0))
        ny.reports.append(Rep(id=1, temp=75.0))
        s.add_all([tokyo, ny])
        s.commit()
        out.append(sorted(sa.inspect(o).identity_key[1:] for o in (tokyo, ny)))
        out.append(sorted(c.city for c in s.scalars(sa.select(Loc))))
        one = sa.select(Loc).options(hs.set_shard_id("asia"))
        out.append([c.city for c in s.scalars(one)])
    with maker() as s:
        got = s.get(Loc, 1, identity_token="na")
        out.append((got.city, sa.inspect(got).identity_token))
        out.append([(r.temp, sa.inspect(r).identity_token) for r in got.reports])
        out.append([sorted(r.city for r in s.query(Loc).set_shard("asia"))])
    for engine in engines.values():
        engine.dispose()
    return out


def test_sharding_scenario_matches_sqlalchemy(tmp_path: Path) -> None:
    import sqlalchemy
    import sqlalchemy.ext.horizontal_shard
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.ext.horizontal_shard
    import uow_orm.orm

    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    ours = _shard_scenario(uow_orm, uow_orm.orm, uow_orm.ext.horizontal_shard, tmp_path / "ours")
    theirs = _shard_scenario(
        sqlalchemy, sqlalchemy.orm, sqlalchemy.ext.horizontal_shard, tmp_path / "theirs"
    )
    # The one documented difference: a lazy load reads the parent's shard. SQLAlchemy asks
    # execute_chooser, which here names every shard, so NY's reports also get the asia
    # report whose loc_id is 1 too (Tokyo's).
    assert ours[4] == [(75.0, "na")]
    assert theirs[4] == [(75.0, "na"), (80.0, "asia")]
    assert ours[:4] + ours[5:] == theirs[:4] + theirs[5:]
    assert ours[0] == [((1,), "asia"), ((1,), "na")]
