"""Columns whose type redefines ``==`` as SQL are still told apart by identity.

A ``comparator_factory`` that makes ``col == x`` a case-insensitive match (SQLAlchemy's
"Redefining and Creating New Operators") turns ``==`` between two columns into an
expression whose truth is not defined. uow_orm never tests columns for equality with
``==`` itself (``in`` on lists, ``list.index``, ``list.remove``): these tests run the unit
of work, Core DML and schema set-up over such columns, and read the rows back, on both
backends. (SQLAlchemy 2.x raises ``TypeError`` for the foreign key below while it
configures the relationship; uow_orm runs it.)
"""

from __future__ import annotations

from typing import Any

from uow_orm import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, undefer


class CaselessText(String):
    """``col == x`` is ``col ILIKE x`` (no truth value between two columns)."""

    cache_ok = True

    class comparator_factory(String.Comparator):
        def __eq__(self, other: Any) -> Any:  # type: ignore[override]
            return self.expr.ilike(other)


class LoweredText(String):
    """``col == x`` is ``lower(col) = lower(x)``: the comparator calls ``func.lower``."""

    cache_ok = True

    class comparator_factory(String.Comparator):
        def __eq__(self, other: Any) -> Any:  # type: ignore[override]
            return func.lower(self.expr) == func.lower(other)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "cc_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(CaselessText(20), unique=True)
    name: Mapped[str] = mapped_column(CaselessText(50))
    note: Mapped[str | None] = mapped_column(CaselessText(50), default="none")
    alias: Mapped[str | None] = mapped_column(LoweredText(50), deferred=True)
    lines: Mapped[list[Line]] = relationship(back_populates="account", cascade="all, delete-orphan")


class Line(Base):
    __tablename__ = "cc_line"
    code: Mapped[str] = mapped_column(CaselessText(20), primary_key=True)
    part: Mapped[str] = mapped_column(CaselessText(20), primary_key=True)
    account_code: Mapped[str] = mapped_column(CaselessText(20), ForeignKey("cc_account.code"))
    label: Mapped[str | None] = mapped_column(CaselessText(20))
    account: Mapped[Account] = relationship(back_populates="lines")


def _accounts(s: Session) -> list[tuple[Any, ...]]:
    return sorted(s.execute(select(Account.code, Account.name, Account.note)).tuples())


def test_the_comparators_make_sql_between_columns() -> None:
    """The premise: ``==`` between two such columns has no truth value."""
    t = Account.__table__
    try:
        bool(t.c.code == t.c.name)
    except TypeError:
        pass
    else:  # pragma: no cover - the premise failed
        raise AssertionError("expected an undefined truth value")
    assert "lower(" in str(Account.alias == "X")


def test_unit_of_work_over_such_columns(db: Any) -> None:
    with Session(db) as s:
        s.add_all(
            [
                Account(
                    code=f"c{i}", name=f"N{i}", lines=[Line(code=f"k{i}", part=p) for p in "ab"]
                )
                for i in range(3)
            ]
        )
        s.add(Account(code="solo", name="One"))  # a one-row INSERT beside the batch
        s.commit()
        assert [a.code for a in s.scalars(select(Account).where(Account.name == "n1"))] == ["c1"]
        first = s.scalars(select(Account).where(Account.code == "C0")).one()
        first.name, first.note = "Al", "x"
        first.lines[0].label = "L"
        first.lines.pop()  # delete-orphan
        s.commit()
        line = s.get(Line, ("k1", "a"))
        assert line is not None
        line.part = "z"  # a primary key change
        s.commit()
        s.delete(s.scalars(select(Account).where(Account.code == "c2")).one())
        s.commit()
    with Session(db) as s:
        assert _accounts(s) == [("c0", "Al", "x"), ("c1", "N1", "none"), ("solo", "One", "none")]
        rows = sorted(s.execute(select(Line.code, Line.part, Line.label)).tuples())
        assert rows == [("k0", "a", "L"), ("k1", "b", None), ("k1", "z", None)]


def test_core_dml_and_a_deferred_column(db: Any) -> None:
    with Session(db) as s:
        s.execute(insert(Account), [{"code": "a", "name": "p"}, {"code": "b", "name": "q"}])
        s.execute(insert(Account).values(code="c", name="r", alias="Mixed"))
        s.execute(update(Account).where(Account.code == "A").values(name="P2"))
        s.execute(delete(Account).where(Account.code == "B"))
        s.commit()
        assert _accounts(s) == [("a", "P2", "none"), ("c", "r", "none")]
        got = s.scalars(
            select(Account).options(undefer(Account.alias)).where(Account.alias == "mixed")
        )
        assert [(a.code, a.__dict__["alias"]) for a in got] == [("c", "Mixed")]


def test_insert_from_select_adds_the_missing_defaults(db: Any) -> None:
    with Session(db) as s:
        s.add(Account(code="src", name="from"))
        s.commit()
        src = select(Account.code + "2", Account.name).where(Account.code == "SRC")
        s.execute(insert(Account).from_select(["code", "name"], src))
        s.commit()
        assert _accounts(s) == [("src", "from", "none"), ("src2", "from", "none")]


def test_typeless_foreign_keys_resolve_in_metadata(engine: Any) -> None:
    md = MetaData()
    Table(
        "cc_owner",
        md,
        Column("id", Integer, primary_key=True),
        Column("tag", CaselessText(9), unique=True),
    )
    child = Table(
        "cc_pet",
        md,
        Column("id", Integer, primary_key=True),
        Column("owner_tag", ForeignKey("cc_owner.tag")),  # typed by the column it references
        Column("other_tag", ForeignKey("cc_owner.tag")),
    )
    md.create_all(engine)
    assert isinstance(child.c.owner_tag.type, CaselessText)
    assert isinstance(child.c.other_tag.type, CaselessText)
    with engine.begin() as conn:
        conn.execute(insert(md.tables["cc_owner"]).values(id=1, tag="T"))
        conn.execute(insert(child).values(id=1, owner_tag="T", other_tag="T"))
        assert conn.execute(select(child.c.id).where(child.c.owner_tag == "t")).scalars().all() == [
            1
        ]


def test_lower_of_such_a_column_is_plain_text() -> None:
    """``lower()`` of a user's String subclass is plain String: its comparator (which calls
    lower() itself) is not carried over."""
    expr = func.lower(Account.__table__.c.alias)
    assert type(expr.type) is String
    assert str(func.lower(Account.alias) == "x") == "lower(cc_account.alias) = :lower_1"
