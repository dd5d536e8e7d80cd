"""``eager_defaults``: server-generated values fetched back with RETURNING by the flush.

SQLAlchemy 2.0's rules: ``True`` fetches server defaults (server_default, Computed,
FetchedValue) in the INSERT and server_onupdate / Computed columns in the UPDATE;
``"auto"`` (the default) fetches on INSERT only; ``False`` fetches nothing (the attributes
load on first access). Both backends have RETURNING.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from uow_orm import Computed, DateTime, FetchedValue, Integer, String, func, select
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column
from uow_orm.testing import assert_statements


class Base(DeclarativeBase):
    pass


def _columns() -> dict[str, Any]:
    return {
        "id": mapped_column(Integer, primary_key=True),
        "x": mapped_column(Integer, default=1),
        "label": mapped_column(String(20), server_default="hello"),
        "doubled": mapped_column(Integer, Computed("x * 2")),
        "stamp": mapped_column(DateTime, server_default=func.current_timestamp()),
        "touched": mapped_column(String(20), server_default="a", server_onupdate=FetchedValue()),
    }


def _model(name: str, eager: Any) -> type:
    ns: dict[str, Any] = {
        "__tablename__": name,
        "__annotations__": {
            "id": Mapped[int],
            "x": Mapped[int],
            "label": Mapped[str],
            "doubled": Mapped[int],
            "stamp": Mapped[datetime.datetime],
            "touched": Mapped[str],
        },
        **_columns(),
    }
    if eager is not None:
        ns["__mapper_args__"] = {"eager_defaults": eager}
    return type(name.capitalize(), (Base,), ns)


Eager = _model("eager_t", True)
Auto = _model("auto_t", None)  # the default, "auto"
Lazy = _model("lazy_t", False)


class Natural(Base):
    """A primary key the application gives (no generated key to sort rows by)."""

    __tablename__ = "natural_t"
    __mapper_args__ = {"eager_defaults": True}
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    label: Mapped[str] = mapped_column(String(20), server_default="nat")


SERVER_KEYS = ("label", "doubled", "stamp", "touched")


@pytest.mark.parametrize("model", [Eager, Auto], ids=["true", "auto"])
def test_insert_returns_server_defaults_without_a_select(session: Session, model: Any) -> None:
    objs = [model(x=i) for i in range(3)]
    session.add_all(objs)
    with assert_statements(count=1) as log:
        session.flush()
    assert "RETURNING" in log.statements[0].upper()
    with assert_statements(count=0):
        for i, o in enumerate(objs):
            assert all(k in o.__dict__ for k in SERVER_KEYS)
            assert (o.label, o.doubled, o.touched) == ("hello", 2 * i, "a")
            assert isinstance(o.stamp, datetime.datetime)  # converted by the column type
    session.commit()
    rows = session.execute(select(model.id, model.doubled).order_by(model.id)).all()
    assert [(r[1]) for r in rows] == [0, 2, 4]
    assert [o.id for o in objs] == [r[0] for r in rows]


def test_eager_defaults_false_loads_server_values_on_access(session: Session) -> None:
    obj = Lazy(x=5)
    session.add(obj)
    session.flush()
    assert not any(k in obj.__dict__ for k in SERVER_KEYS)
    with assert_statements(count=1, match=r"^\s*SELECT"):
        assert (obj.label, obj.doubled, obj.touched) == ("hello", 10, "a")


def test_given_value_is_sent_not_fetched(session: Session) -> None:
    obj = Eager(x=2, label="mine")
    session.add(obj)
    session.flush()
    assert obj.label == "mine"
    assert obj.doubled == 4
    session.expire(obj)
    assert obj.label == "mine"


def test_update_with_eager_true_returns_server_onupdate_columns(session: Session) -> None:
    objs = [Eager(x=1), Eager(x=2)]
    session.add_all(objs)
    session.flush()
    objs[0].x = 10
    objs[1].x = 20
    with assert_statements(count=2, match=r"^\s*UPDATE") as log:
        session.flush()
    assert all("RETURNING" in s.upper() for s in log.statements)
    with assert_statements(count=0):
        assert [o.doubled for o in objs] == [20, 40]
        assert [o.touched for o in objs] == ["a", "a"]


def test_update_with_auto_expires_server_onupdate_columns(session: Session) -> None:
    objs = [Auto(x=1), Auto(x=2), Auto(x=3)]
    session.add_all(objs)
    session.flush()
    objs[0].x = 10
    objs[1].x = 20
    with assert_statements(count=1) as log:  # one executemany, no RETURNING
        session.flush()
    assert "RETURNING" not in log.statements[0].upper()
    assert "doubled" not in objs[0].__dict__ and "doubled" not in objs[1].__dict__
    assert "doubled" in objs[2].__dict__  # not updated: nothing to expire
    with assert_statements(count=1, match=r"^\s*SELECT"):
        assert objs[0].doubled == 20


def test_update_returning_of_a_deleted_row_raises_stale_data(session: Session, db: Any) -> None:
    from uow_orm import exc
    from uow_orm import text as sql_text

    obj = Eager(x=1)
    session.add(obj)
    session.commit()
    obj.x = 2
    with db.begin() as conn:
        conn.execute(sql_text("DELETE FROM eager_t"))
    with pytest.raises(exc.StaleDataError):
        session.flush()


def test_application_keys_get_server_defaults_in_parameter_order(session: Session) -> None:
    objs = [Natural(code=c) for c in ("b", "a", "c")]
    objs[1].label = "given"
    session.add_all(objs)
    with assert_statements(max=3):
        session.flush()
    with assert_statements(count=0):
        assert [o.label for o in objs] == ["nat", "given", "nat"]
    session.commit()
    got = session.execute(select(Natural.code, Natural.label).order_by(Natural.code)).all()
    assert [tuple(r) for r in got] == [("a", "given"), ("b", "nat"), ("c", "nat")]


def test_plain_rows_without_server_defaults_send_no_returning(session: Session) -> None:
    class_ = Natural
    objs = [class_(code=str(i), label="x") for i in range(3)]
    session.add_all(objs)
    with assert_statements(count=1) as log:
        session.flush()
    assert "RETURNING" not in log.statements[0].upper()


class Scaled(Base):
    """``default=`` / ``onupdate=`` functions of one argument get the execution context."""

    __tablename__ = "scaled_t"
    id: Mapped[int] = mapped_column(primary_key=True)
    x: Mapped[int]
    y: Mapped[int] = mapped_column(
        default=lambda ctx: ctx.get_current_parameters()["x"] * 10,
        onupdate=lambda ctx: ctx.current_parameters["x"] + 1,
    )


def test_default_functions_taking_a_context_see_the_rows_values(session: Session, db: Any) -> None:
    from conftest import fetch

    obj = Scaled(x=4)
    session.add(obj)
    session.commit()
    assert obj.y == 40
    obj.x = 7
    session.commit()
    assert fetch(db, "SELECT x, y FROM scaled_t") == [(7, 8)]


def test_identity_column_value_is_returned_by_the_insert(backend: str, engine: Any) -> None:
    from uow_orm import Identity, exc
    from uow_orm.orm import DeclarativeBase as _Base

    class Local(_Base):
        pass

    class Ticket(Local):
        __tablename__ = "ticket"
        code: Mapped[str] = mapped_column(String(10), primary_key=True)
        number: Mapped[int] = mapped_column(Integer, Identity(start=100))

    if backend == "sqlite":  # documented: SQLite has identity only as INTEGER PRIMARY KEY
        with pytest.raises(exc.NotSupportedError, match="identity"):
            Local.metadata.create_all(engine)
        return
    Local.metadata.create_all(engine)
    with Session(engine) as s:
        tickets = [Ticket(code="a"), Ticket(code="b")]
        s.add_all(tickets)
        with assert_statements(max=2, match=r"^\s*INSERT"):
            s.flush()
        with assert_statements(count=0):
            assert [t.number for t in tickets] == [100, 101]


def test_bulk_insert_mappings_call_context_defaults_too(session: Session, db: Any) -> None:
    from conftest import fetch

    session.bulk_insert_mappings(Scaled, [{"id": 1, "x": 2}, {"id": 2, "x": 3}])
    session.commit()
    assert fetch(db, "SELECT id, y FROM scaled_t ORDER BY id") == [(1, 20), (2, 30)]


def _eager_scenario(sa: Any, orm: Any, url: str, eager: Any) -> list[Any]:
    """Which server-generated attributes are loaded after INSERT and after UPDATE (no
    SQL issued to find out), written once for both libraries."""

    class LocalBase(orm.DeclarativeBase):
        pass

    class Row(LocalBase):
        __tablename__ = "oracle_row"
        __mapper_args__ = {"eager_defaults": eager}
        id = sa.Column(sa.Integer, primary_key=True)
        x = sa.Column(sa.Integer, nullable=False)
        label = sa.Column(sa.String(20), server_default="hello")
        doubled = sa.Column(sa.Integer, sa.Computed("x * 2"))
        touched = sa.Column(sa.String(20), server_default="a", server_onupdate=sa.FetchedValue())
        # SQL expression client defaults are fetched by the same rules
        stamp = sa.Column(
            sa.Integer, default=sa.literal_column("5"), onupdate=sa.literal_column("7")
        )

    engine = sa.create_engine(url)
    LocalBase.metadata.create_all(engine)
    keys = ("label", "doubled", "touched", "stamp")
    out: list[Any] = []
    with orm.Session(engine) as s:
        rows = [Row(x=i) for i in range(3)]
        s.add_all(rows)
        s.flush()
        out.append([sorted(k for k in keys if k in r.__dict__) for r in rows])
        rows[0].x = 10
        s.flush()
        out.append([sorted(k for k in keys if k in r.__dict__) for r in rows])
        out.append([(r.label, r.doubled, r.touched, r.stamp) for r in rows])
    engine.dispose()
    return out


@pytest.mark.parametrize("eager", [True, "auto", False])
def test_loaded_server_values_match_sqlalchemy(tmp_path: Any, eager: Any) -> None:
    import sqlalchemy
    import sqlalchemy.orm

    import uow_orm
    import uow_orm.orm

    ours = _eager_scenario(uow_orm, uow_orm.orm, f"sqlite:///{tmp_path / 'ours.db'}", eager)
    theirs = _eager_scenario(
        sqlalchemy, sqlalchemy.orm, f"sqlite:///{tmp_path / 'theirs.db'}", eager
    )
    assert ours == theirs
