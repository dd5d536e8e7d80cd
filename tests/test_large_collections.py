"""Collections that are never loaded whole: ``WriteOnlyMapped`` / ``lazy="write_only"``
(`WriteOnlyCollection`) and ``DynamicMapped`` / ``lazy="dynamic"`` (`AppenderQuery`).

Rows read back from the database and the statements sent, on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import ForeignKey, Session, String, exc, select, selectinload
from uow_orm.orm import (
    AppenderQuery,
    DeclarativeBase,
    DynamicMapped,
    Mapped,
    WriteOnlyCollection,
    WriteOnlyMapped,
    mapped_column,
    relationship,
)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "lc_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    entries: WriteOnlyMapped[Entry] = relationship(back_populates="account", order_by="Entry.id")
    notes: DynamicMapped[Note] = relationship(order_by="Note.id", cascade="all, delete-orphan")
    tags: Mapped[list[Tag]] = relationship(lazy="write_only", passive_deletes=True)


class Entry(Base):
    __tablename__ = "lc_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("lc_account.id"))
    amount: Mapped[int]
    account: Mapped[Account | None] = relationship(back_populates="entries")


class Note(Base):
    __tablename__ = "lc_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("lc_account.id"))
    text: Mapped[str] = mapped_column(String(20))


class Tag(Base):
    __tablename__ = "lc_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("lc_account.id", ondelete="CASCADE"))


@pytest.fixture
def db(engine: Any) -> Any:
    Base.metadata.create_all(engine)
    return engine


def _rows(s: Session, *cols: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in s.execute(select(*cols).order_by(cols[0]))]


def test_write_only_collection_adds_and_selects_without_loading(db: Any, sql_log: Any) -> None:
    with Session(db) as s:
        acct = Account(id=1)
        acct.entries.add(Entry(id=1, amount=10))  # a new parent: kept until the flush
        s.add(acct)
        s.commit()
        log = sql_log(db)
        acct.entries.add_all([Entry(id=2, amount=20), Entry(id=3, amount=30)])
        assert isinstance(acct.entries, WriteOnlyCollection)
        assert log.sql == []  # adding loads nothing
        s.flush()
        assert not any("FROM lc_entry" in q for q in log.sql)  # never loaded whole
        big = s.scalars(acct.entries.select().where(Entry.amount > 15)).all()
        assert [e.id for e in big] == [2, 3]
        acct.entries.remove(big[0])
        s.commit()
        assert _rows(s, Entry.id, Entry.account_id) == [(1, 1), (2, None), (3, 1)]
        with pytest.raises(exc.InvalidRequestError, match="write-only"):
            list(acct.entries)
        with pytest.raises(exc.InvalidRequestError, match="write-only"):
            acct.entries = []  # type: ignore[assignment]


def test_write_only_collection_bulk_statements(db: Any) -> None:
    with Session(db) as s:
        s.add_all([Account(id=1), Account(id=2)])
        s.commit()
        acct = s.get(Account, 1)
        s.execute(acct.entries.insert(), [{"id": 1, "amount": 5}, {"id": 2, "amount": 6}])
        s.add(Entry(id=3, amount=7, account_id=2))
        s.flush()
        s.execute(acct.entries.update().values(amount=Entry.amount + 100))
        s.execute(acct.entries.delete().where(Entry.amount == 106))
        s.commit()
        assert _rows(s, Entry.id, Entry.account_id, Entry.amount) == [(1, 1, 105), (3, 2, 7)]


def test_write_only_refuses_eager_loading_and_deletes_passively(db: Any, sql_log: Any) -> None:
    with pytest.raises(exc.InvalidRequestError, match="eager"):
        selectinload(Account.entries)
    with Session(db) as s:
        acct = Account(id=1)
        acct.tags.add(Tag(id=1))
        s.add(acct)
        s.commit()
        s.expunge_all()
        log = sql_log(db)
        s.delete(s.get(Account, 1))  # passive_deletes=True: the tags are not loaded
        s.commit()
        assert not any("FROM lc_tag" in q for q in log.sql)
        assert _rows(s, Tag.id) == []  # ON DELETE CASCADE removed them


def test_dynamic_relationship_is_a_query_that_appends(db: Any) -> None:
    with Session(db) as s:
        acct = Account(id=1)
        acct.notes.append(Note(id=1, text="a"))
        assert [n.text for n in acct.notes] == ["a"]  # not persistent yet: the appended ones
        s.add(acct)
        s.commit()
        s.expunge_all()
        acct = s.get(Account, 1)
        assert isinstance(acct.notes, AppenderQuery)
        acct.notes.extend([Note(id=2, text="b"), Note(id=3, text="c")])
        assert acct.notes.count() == 3  # autoflush first
        assert [n.text for n in acct.notes.filter(Note.text > "a")] == ["b", "c"]
        assert acct.notes[1].text == "b" and [n.id for n in acct.notes[1:3]] == [2, 3]
        acct.notes.remove(s.get(Note, 2))  # delete-orphan
        s.commit()
        assert _rows(s, Note.id, Note.account_id) == [(1, 1), (3, 1)]
        acct.notes = [s.get(Note, 3)]  # a dynamic collection may be replaced whole
        s.commit()
        assert _rows(s, Note.id, Note.account_id) == [(3, 1)]
        s.delete(acct)
        s.commit()
        assert _rows(s, Note.id) == []


def test_write_only_and_dynamic_take_no_collection_class() -> None:
    class B(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="collection_class"):

        class P(B):
            __tablename__ = "lc_bad"
            id: Mapped[int] = mapped_column(primary_key=True)
            cs: Mapped[list[P]] = relationship(lazy="dynamic", collection_class=set)
