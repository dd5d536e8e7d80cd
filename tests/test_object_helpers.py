"""``make_transient_to_detached()``, ``was_deleted()`` and ``Session.object_session()``
(issue 17's helper functions), against the database of each backend."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import String, exc, inspect
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
    object_session,
    was_deleted,
)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "helper_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


def test_make_transient_to_detached_attaches_as_the_existing_row(db: Any) -> None:
    with Session(db) as s:
        s.add(Item(id=1, name="stored"))
        s.commit()
    known = Item(id=1)  # a row we know exists, without loading it
    make_transient_to_detached(known)
    assert inspect(known).detached
    assert inspect(known).identity_key == (Item, (1,), None)
    with Session(db) as s:
        s.add(known)
        assert inspect(known).persistent
        assert known.name == "stored"  # unloaded: loads on access
        known.name = "changed"
        s.commit()
        assert s.get(Item, 1) is known
    with Session(db) as s:
        assert s.get(Item, 1).name == "changed"


def test_make_transient_to_detached_refuses_non_transient_or_keyless(db: Any) -> None:
    with Session(db) as s:
        item = Item(id=2, name="x")
        s.add(item)
        with pytest.raises(exc.InvalidRequestError, match="transient"):
            make_transient_to_detached(item)
    with pytest.raises(exc.InvalidRequestError, match="primary key"):
        make_transient_to_detached(Item(name="no key"))
    with pytest.raises(exc.UnmappedInstanceError):
        make_transient_to_detached(object())


def test_was_deleted_after_the_flush_and_after_commit(db: Any) -> None:
    with Session(db) as s:
        item = Item(id=3, name="gone")
        s.add(item)
        s.commit()
        s.delete(item)
        assert not was_deleted(item)  # marked, not flushed
        s.flush()
        assert was_deleted(item) and inspect(item).deleted
        s.commit()
        assert was_deleted(item) and inspect(item).detached


def test_session_object_session_classmethod(db: Any) -> None:
    with Session(db) as s:
        item = Item(id=4, name="x")
        assert Session.object_session(item) is None
        s.add(item)
        assert Session.object_session(item) is s is object_session(item)
