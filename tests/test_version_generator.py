"""``__mapper_args__["version_id_generator"]``: a callable version, and ``False`` (versions
set by the application or the database), each checked by UPDATE / DELETE (StaleDataError)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import fetch

from uow_orm import String, exc, select, text
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class UuidDoc(Base):
    __tablename__ = "vg_uuid_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    ver: Mapped[str] = mapped_column(String(32))
    __mapper_args__ = {
        "version_id_col": ver,
        "version_id_generator": lambda version: uuid.uuid4().hex,
    }


class ServerDoc(Base):
    __tablename__ = "vg_server_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    # the database sets the version: 1 on INSERT, +10 on each UPDATE
    ver: Mapped[int] = mapped_column(server_default=text("1"), onupdate=text("ver + 10"))
    __mapper_args__ = {
        "version_id_col": ver,
        "version_id_generator": False,
        "eager_defaults": False,
    }


class AppDoc(Base):
    __tablename__ = "vg_app_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    ver: Mapped[str | None] = mapped_column(String(32))
    __mapper_args__ = {"version_id_col": ver, "version_id_generator": False}


def test_callable_generator_gives_each_insert_and_update_a_new_version(session: Session) -> None:
    doc = UuidDoc(name="a")
    session.add(doc)
    session.commit()
    first = doc.ver
    assert len(first) == 32
    assert fetch(session.bind, "SELECT ver FROM vg_uuid_doc") == [(first,)]
    doc.name = "b"
    session.commit()
    assert doc.ver != first and len(doc.ver) == 32
    assert fetch(session.bind, "SELECT name, ver FROM vg_uuid_doc") == [("b", doc.ver)]


def test_callable_generator_update_of_a_changed_row_raises_stale_data(session: Session) -> None:
    doc = UuidDoc(name="a")
    session.add(doc)
    session.commit()
    assert doc.ver  # the version this session read
    session.connection().execute(text("UPDATE vg_uuid_doc SET ver = 'elsewhere'"))
    doc.name = "b"
    with pytest.raises(exc.StaleDataError):
        session.commit()
    session.rollback()
    assert fetch(session.bind, "SELECT name FROM vg_uuid_doc") == [("a",)]


def test_callable_generator_delete_of_a_changed_row_raises_stale_data(session: Session) -> None:
    doc = UuidDoc(name="a")
    session.add(doc)
    session.commit()
    assert doc.ver
    session.connection().execute(text("UPDATE vg_uuid_doc SET ver = 'elsewhere'"))
    session.delete(doc)
    with pytest.raises(exc.StaleDataError):
        session.commit()


def test_server_side_version_is_fetched_after_insert_and_update(session: Session) -> None:
    doc = ServerDoc(name="a")
    session.add(doc)
    session.flush()
    assert doc.__dict__["ver"] == 1  # fetched in the flush, not left to load on access
    doc.name = "b"
    session.flush()
    assert doc.__dict__["ver"] == 11
    session.commit()
    assert fetch(session.bind, "SELECT name, ver FROM vg_server_doc") == [("b", 11)]


def test_server_side_version_update_of_a_changed_row_raises_stale_data(session: Session) -> None:
    doc = ServerDoc(name="a")
    session.add(doc)
    session.flush()
    doc.name = "b"
    session.flush()
    session.connection().execute(text("UPDATE vg_server_doc SET ver = 99"))
    doc.name = "c"
    with pytest.raises(exc.StaleDataError):
        session.flush()


def test_application_version_is_checked_against_the_row_and_kept_when_unset(
    session: Session,
) -> None:
    doc = AppDoc(name="a", ver="v1")
    session.add(doc)
    session.commit()
    doc.name = "b"  # the version stays as it is
    session.commit()
    assert fetch(session.bind, "SELECT name, ver FROM vg_app_doc") == [("b", "v1")]
    doc.name, doc.ver = "c", "v2"
    session.commit()
    assert fetch(session.bind, "SELECT name, ver FROM vg_app_doc") == [("c", "v2")]
    assert doc.ver == "v2"  # the version this session read
    session.connection().execute(text("UPDATE vg_app_doc SET ver = 'other'"))
    doc.ver = "v3"  # the UPDATE still matches the version the object read (v2)
    with pytest.raises(exc.StaleDataError):
        session.commit()
    session.rollback()
    assert fetch(session.bind, "SELECT name, ver FROM vg_app_doc") == [("c", "v2")]


def test_application_version_left_null_raises_flush_error(session: Session) -> None:
    session.add(AppDoc(name="a"))
    with pytest.raises(exc.FlushError, match="non-NULL version"):
        session.commit()
    session.rollback()
    assert session.scalars(select(AppDoc)).all() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"version_id_generator": False}, "needs 'version_id_col'"),
        ({"version_id_col": "ver", "version_id_generator": True}, "callable or False"),
    ],
)
def test_bad_version_id_generator_is_refused(args: dict[str, Any], message: str) -> None:
    class Local(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match=message):

        class Bad(Local):
            __tablename__ = "vg_bad"
            id: Mapped[int] = mapped_column(primary_key=True)
            ver: Mapped[int]
            __mapper_args__ = args
