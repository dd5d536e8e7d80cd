"""DML of issue 15: insert().from_select(), multi-row values, ordered_values, UPDATE ..
FROM / DELETE .. USING, inserted_primary_key, RETURNING, upserts through
uow_orm.dialects.{sqlite,postgresql}.insert, and ORM DML returning entities.

Every test runs on SQLite and PostgreSQL and reads the rows back.
"""

from __future__ import annotations

import pytest

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    Session,
    String,
    declarative_base,
    delete,
    exc,
    func,
    insert,
    inspect,
    select,
    update,
)
from uow_orm.dialects import postgresql as pg_dialect
from uow_orm.dialects import sqlite as sqlite_dialect

Base = declarative_base()


class Team(Base):
    __tablename__ = "d_teams"

    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False, unique=True)
    score = Column(Integer, nullable=False, default=0)


class Player(Base):
    __tablename__ = "d_players"

    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("d_teams.id"), nullable=False)
    name = Column(String(30), nullable=False)
    points = Column(Integer, nullable=False, default=0)


class Archive(Base):
    __tablename__ = "d_archive"

    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False)
    note = Column(String(30), default="copied")


@pytest.fixture
def db(db):
    with db.begin() as conn:
        conn.execute(
            insert(Team).values([{"id": 1, "name": "red"}, {"id": 2, "name": "blue", "score": 5}])
        )
        conn.execute(
            insert(Player).values(
                [
                    {"id": 1, "team_id": 1, "name": "ann", "points": 3},
                    {"id": 2, "team_id": 1, "name": "ben", "points": 4},
                    {"id": 3, "team_id": 2, "name": "cid", "points": 10},
                ]
            )
        )
    return db


def upsert_insert(engine):
    return (pg_dialect if engine.dialect.name == "postgresql" else sqlite_dialect).insert


def test_insert_from_select_copies_rows_and_adds_scalar_defaults(db):
    with db.begin() as conn:
        sel = select(Player.id, Player.name).where(Player.points > 3)
        conn.execute(insert(Archive).from_select(["id", "name"], sel))
        rows = conn.execute(select(Archive.id, Archive.name, Archive.note).order_by(Archive.id))
        assert [tuple(r) for r in rows] == [(2, "ben", "copied"), (3, "cid", "copied")]
    with pytest.raises(exc.ArgumentError, match="2 column names for a SELECT of 1"):
        insert(Archive).from_select(["id", "name"], select(Player.id))


def test_select_as_an_insert_value_is_a_scalar_subquery(db):
    with db.begin() as conn:
        top = select(func.max(Player.points))
        conn.execute(
            insert(Archive).values(id=9, name="max", note=select(func.count()).select_from(Player))
        )
        conn.execute(update(Archive).where(Archive.id == 9).values(name=top))
        row = conn.execute(select(Archive.name, Archive.note).where(Archive.id == 9)).one()
        assert tuple(row) == ("10", "3")


def test_ordered_values_sets_columns_in_the_given_order(db):
    stmt = (
        update(Player).where(Player.id == 1).ordered_values((Player.points, 7), (Player.name, "al"))
    )
    assert str(stmt) == (
        "UPDATE d_players SET points=:points, name=:name WHERE d_players.id = :id_1"
    )
    with db.begin() as conn:
        conn.execute(stmt)
        assert tuple(
            conn.execute(select(Player.name, Player.points).where(Player.id == 1)).one()
        ) == ("al", 7)


def test_update_from_another_table(db):
    stmt = (
        update(Player)
        .where(Player.team_id == Team.id, Team.name == "blue")
        .values(points=Player.points + Team.score)
    )
    assert " FROM d_teams " in str(stmt)
    with db.begin() as conn:
        conn.execute(stmt)
        assert conn.execute(select(Player.points).order_by(Player.id)).scalars().all() == [3, 4, 15]


def test_delete_using_on_postgresql_refused_on_sqlite(db):
    stmt = delete(Player).where(Player.team_id == Team.id, Team.name == "red")
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(stmt)
            assert conn.execute(select(Player.name)).scalars().all() == ["cid"]
        else:
            with pytest.raises(exc.NotSupportedError, match=r"DELETE \.\. USING"):
                conn.execute(stmt)


def test_inserted_primary_key_for_generated_and_given_keys(db):
    with db.begin() as conn:
        r = conn.execute(insert(Archive).values(name="green"))
        new_id = r.inserted_primary_key[0]
        assert conn.execute(select(Archive.name).where(Archive.id == new_id)).scalar() == "green"
        given = conn.execute(insert(Archive).values(id=50, name="x")).inserted_primary_key
        assert tuple(given) == (50,)
        r = conn.execute(insert(Archive), {"name": "y"})
        assert (
            conn.execute(
                select(Archive.name).where(Archive.id == r.inserted_primary_key.id)
            ).scalar()
            == "y"
        )
        with pytest.raises(exc.InvalidRequestError, match="single-row insert"):
            conn.execute(select(Archive.id)).inserted_primary_key


def test_returning_on_insert_update_delete(db):
    with db.begin() as conn:
        got = conn.execute(insert(Team).values(id=7, name="gold").returning(Team.id, Team.score))
        assert [tuple(r) for r in got] == [(7, 0)]
        got = conn.execute(update(Team).where(Team.id < 3).values(score=9).returning(Team.name))
        assert sorted(got.scalars()) == ["blue", "red"]
        got = conn.execute(delete(Player).where(Player.points < 4).returning(Player.name))
        assert got.scalars().all() == ["ann"]


def test_upsert_do_nothing_and_do_update(db):
    ins = upsert_insert(db)
    with db.begin() as conn:
        conn.execute(ins(Team).values(id=1, name="dup").on_conflict_do_nothing())
        conn.execute(
            ins(Team).values(id=3, name="red").on_conflict_do_nothing(index_elements=["name"])
        )
        stmt = ins(Team).values(id=2, name="blue", score=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Team.id],
            set_={"score": Team.score + stmt.excluded.score, "name": stmt.excluded.name},
            where=Team.score < 100,
        )
        conn.execute(stmt)
        rows = conn.execute(select(Team.id, Team.name, Team.score).order_by(Team.id))
        assert [tuple(r) for r in rows] == [(1, "red", 0), (2, "blue", 6)]


def test_upsert_constraint_name_is_postgresql_only(db):
    ins = upsert_insert(db)
    stmt = (
        ins(Team)
        .values(id=1, name="z")
        .on_conflict_do_update(constraint="d_teams_pkey", set_={"name": "z"})
    )
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(stmt)
            assert conn.execute(select(Team.name).where(Team.id == 1)).scalar() == "z"
        else:
            with pytest.raises(exc.NotSupportedError, match="constraint="):
                conn.execute(stmt)
    with pytest.raises(exc.ArgumentError, match="needs index_elements= or constraint="):
        ins(Team).on_conflict_do_update(set_={"name": "q"})


def test_orm_upsert_refreshes_loaded_objects(db):
    ins = upsert_insert(db)
    with Session(db) as s:
        red = s.get(Team, 1)
        assert red.score == 0
        stmt = ins(Team).values(id=1, name="red", score=42)
        s.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={"score": stmt.excluded.score})
        )
        assert red.score == 42
        got = s.scalars(
            ins(Team)
            .values(id=2, name="blue", score=8)
            .on_conflict_do_update(index_elements=["id"], set_={"score": 8})
            .returning(Team)
        ).one()
        assert got is s.get(Team, 2) and got.score == 8


def test_orm_bulk_insert_returning_entities_in_parameter_order(db):
    with Session(db) as s:
        got = s.scalars(
            insert(Player).returning(Player, sort_by_parameter_order=True),
            [
                {"id": 20, "team_id": 2, "name": "zed"},
                {"id": 11, "team_id": 1, "name": "yan", "points": 2},
                {"id": 15, "team_id": 1, "name": "xi"},
            ],
        ).all()
        assert [p.name for p in got] == ["zed", "yan", "xi"]
        assert [p.points for p in got] == [0, 2, 0]
        assert all(inspect(p).persistent for p in got)
        assert s.get(Player, 11) is got[1]
        s.commit()
    with Session(db) as s:
        assert s.scalar(select(func.count()).select_from(Player)) == 6


def test_orm_update_and_delete_returning_entities(db):
    with Session(db) as s:
        ann = s.get(Player, 1)
        got = s.scalars(
            update(Player).where(Player.team_id == 1).values(points=0).returning(Player)
        ).all()
        assert sorted(p.name for p in got) == ["ann", "ben"]
        assert ann in got and ann.points == 0
        mixed = s.execute(
            update(Player).where(Player.id == 3).values(points=1).returning(Player, Player.points)
        ).one()
        assert mixed[0].name == "cid" and mixed[1] == 1
        gone = s.scalars(delete(Player).where(Player.id == 2).returning(Player)).all()
        assert [p.name for p in gone] == ["ben"] and inspect(gone[0]).deleted
        assert s.get(Player, 2) is None


def test_orm_insert_of_dicts_with_different_keys_keeps_every_value(db):
    with Session(db) as s:
        s.execute(
            insert(Player),
            [
                {"id": 30, "team_id": 1, "name": "a"},
                {"id": 31, "team_id": 2, "name": "b", "points": 9},
                {"id": 32, "team_id": 2, "name": "c"},
            ],
        )
        rows = s.execute(
            select(Player.id, Player.points).where(Player.id >= 30).order_by(Player.id)
        )
        assert [tuple(r) for r in rows] == [(30, 0), (31, 9), (32, 0)]


def test_executemany_with_a_missing_key_raises_instead_of_writing_null(db):
    with db.begin() as conn:
        with pytest.raises(exc.ArgumentError, match="no value for bound parameter 'points'"):
            conn.execute(
                insert(Player),
                [
                    {"id": 40, "team_id": 1, "name": "a", "points": 1},
                    {"id": 41, "team_id": 1, "name": "b"},
                ],
            )
