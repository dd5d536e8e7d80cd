"""ORM-enabled INSERT / UPDATE / DELETE options: ``synchronize_session=False`` (the rows
change, the session's objects are left as they are) and ``render_nulls`` on ORM bulk INSERT
(None values are left out, so defaults apply, unless ``render_nulls=True`` sends NULL).

Behaviour taken from SQLAlchemy 2.1 on the same scenarios; rows read back on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch

from uow_orm import (
    ForeignKey,
    Session,
    String,
    delete,
    exc,
    insert,
    inspect,
    select,
    update,
)
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "dml_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(20), server_default="nowhere")
    motto: Mapped[str | None] = mapped_column(String(20), default="win")
    players: Mapped[list[Player]] = relationship()


class Player(Base):
    __tablename__ = "dml_player"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("dml_team.id"))
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def db(db: Any) -> Any:
    with Session(db) as s:
        s.add_all([Team(id=i, name=f"t{i}", city="c", motto="m") for i in (1, 2, 3)])
        s.add_all([Player(id=i, team_id=1, name=f"p{i}") for i in (1, 2)])
        s.commit()
    return db


def test_update_without_synchronize_leaves_loaded_objects_unchanged(db: Any) -> None:
    with Session(db) as s:
        t1 = s.get(Team, 1)
        stmt = update(Team).where(Team.id <= 2).values(name="N", city=Team.name + "!")
        result = s.execute(stmt.execution_options(synchronize_session=False))
        assert result.rowcount == 2
        assert t1.__dict__["name"] == "t1" and t1.__dict__["city"] == "c"
        assert inspect(t1).expired_attributes == set()
        assert s.execute(select(Team.name, Team.city).where(Team.id == 1)).one() == ("N", "t1!")
        s.refresh(t1)
        assert (t1.name, t1.city) == ("N", "t1!")


def test_delete_without_synchronize_keeps_the_object_persistent(db: Any) -> None:
    with Session(db) as s:
        p1 = s.get(Player, 1)
        result = s.execute(
            delete(Player).where(Player.id == 1),
            execution_options={"synchronize_session": False},
        )
        assert result.rowcount == 1
        assert inspect(p1).persistent and p1 in s
        s.commit()
    assert fetch(db, "SELECT id FROM dml_player") == [(2,)]


def test_legacy_query_update_and_delete_with_synchronize_false(db: Any) -> None:
    with Session(db) as s:
        t2 = s.get(Team, 2)
        assert s.query(Team).filter(Team.id == 2).update({"name": "Q"}, False) == 1
        assert t2.name == "t2"
        p2 = s.get(Player, 2)
        assert s.query(Player).filter(Player.id == 2).delete(synchronize_session=False) == 1
        assert inspect(p2).persistent
        s.commit()
    assert fetch(db, "SELECT name FROM dml_team WHERE id = 2") == [("Q",)]
    assert fetch(db, "SELECT id FROM dml_player") == [(1,)]


def test_bulk_update_by_primary_key_without_synchronize(db: Any) -> None:
    with Session(db) as s:
        t1, t3 = s.get(Team, 1), s.get(Team, 3)
        s.execute(
            update(Team).execution_options(synchronize_session=False),
            [{"id": 1, "name": "B1"}, {"id": 3, "name": "B3"}],
        )
        assert (t1.name, t3.name) == ("t1", "t3")
        s.commit()
    assert fetch(db, "SELECT name FROM dml_team ORDER BY id") == [("B1",), ("t2",), ("B3",)]


def test_delete_returning_entity_without_synchronize_is_not_marked_deleted(db: Any) -> None:
    with Session(db) as s:
        s.get(Player, 1)
        gone = s.scalars(
            delete(Player)
            .where(Player.id == 1)
            .returning(Player)
            .execution_options(synchronize_session=False)
        ).all()
        assert [p.name for p in gone] == ["p1"]
        assert inspect(gone[0]).persistent


@pytest.mark.parametrize("value", ["bogus", 0, None])
def test_unknown_synchronize_strategy_is_refused(value: Any) -> None:
    with pytest.raises(exc.ArgumentError, match="valid strategies"):
        update(Team).execution_options(synchronize_session=value)


def test_orm_insert_leaves_out_none_values_so_defaults_apply(db: Any) -> None:
    with Session(db) as s:
        s.execute(
            insert(Team),
            [
                {"id": 10, "name": "a", "city": None, "motto": None},
                {"id": 11, "name": "b", "city": "x", "motto": "y"},
            ],
        )
        s.execute(insert(Team), {"id": 12, "name": "c", "city": None})
        s.commit()
    assert fetch(db, "SELECT id, city, motto FROM dml_team WHERE id >= 10 ORDER BY id") == [
        (10, "nowhere", "win"),
        (11, "x", "y"),
        (12, "nowhere", "win"),
    ]


def test_render_nulls_inserts_null_and_batches_rows_of_the_same_keys(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        log = sql_log(db)
        s.execute(
            insert(Team).execution_options(render_nulls=True),
            [
                {"id": 10, "name": "a", "city": None, "motto": None},
                {"id": 11, "name": "b", "city": "x", "motto": "y"},
                {"id": 12, "name": "c"},
            ],
        )
        assert log.count("INSERT") == 2  # rows 10 and 11 share their keys
        s.commit()
    assert fetch(db, "SELECT id, city, motto FROM dml_team WHERE id >= 10 ORDER BY id") == [
        (10, None, None),
        (11, "x", "y"),
        (12, "nowhere", "win"),
    ]


def test_insert_returning_columns_with_many_parameter_sets_returns_every_row(db: Any) -> None:
    with Session(db) as s:
        rows = s.execute(
            insert(Team).returning(Team.id, Team.city),
            [{"id": 20, "name": "a", "city": None}, {"id": 21, "name": "b", "city": "z"}],
        ).all()
        assert [tuple(r) for r in rows] == [(20, "nowhere"), (21, "z")]


def test_render_nulls_is_refused_outside_insert() -> None:
    with pytest.raises(exc.ArgumentError, match="render_nulls"):
        select(Team).execution_options(render_nulls=True)
