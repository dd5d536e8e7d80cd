"""SQLAlchemy's ``association/dict_of_sets_with_default.py``: ``Mapped[Mapping[str, B]]``
is a collection annotation, a `KeyFuncDict` subclass's ``__missing__`` makes a member for
an absent key (as on SQLAlchemy's dict-based class), and nested association proxies give
a dict of sets that is read back from the database."""

from __future__ import annotations

import operator
from collections.abc import Mapping, MutableSequence
from typing import Any

from uow_orm import ForeignKey, select
from uow_orm.ext.associationproxy import AssociationProxy, association_proxy
from uow_orm.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from uow_orm.orm.collections import KeyFuncDict


class Base(DeclarativeBase):
    id: Mapped[int] = mapped_column(primary_key=True)


class GenDefaultCollection(KeyFuncDict[str, "B"]):
    def __missing__(self, key: str) -> B:
        self[key] = b = B(key)
        return b


class A(Base):
    __tablename__ = "dos_a"
    associations: Mapped[Mapping[str, B]] = relationship(
        "B", collection_class=lambda: GenDefaultCollection(operator.attrgetter("key"))
    )
    collections: AssociationProxy[dict[str, set[int]]] = association_proxy("associations", "values")
    notes: Mapped[MutableSequence[Note]] = relationship()


class B(Base):
    __tablename__ = "dos_b"
    a_id: Mapped[int] = mapped_column(ForeignKey("dos_a.id"))
    elements: Mapped[set[C]] = relationship("C", collection_class=set)
    key: Mapped[str]
    values: AssociationProxy[set[int]] = association_proxy("elements", "value")

    def __init__(self, key: str, values: set[int] | None = None) -> None:
        self.key = key
        if values:
            self.values = values


class C(Base):
    __tablename__ = "dos_c"
    b_id: Mapped[int] = mapped_column(ForeignKey("dos_b.id"))
    value: Mapped[int]

    def __init__(self, value: int) -> None:
        self.value = value


class Note(Base):
    __tablename__ = "dos_note"
    a_id: Mapped[int] = mapped_column(ForeignKey("dos_a.id"))


def stored(session: Any) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for key, value in session.execute(select(B.key, C.value).join_from(B, C)):
        out.setdefault(key, set()).add(value)
    return out


def test_mapping_and_sequence_annotations_are_collections(db):
    assert A.__mapper__.relationships["associations"].uselist
    assert A.__mapper__.relationships["notes"].uselist


def test_dict_of_sets_with_default_keys_round_trips(db):
    with Session(db) as session:
        session.add(A(collections={"1": {1, 2, 3}}))
        session.commit()
        a1 = session.scalars(select(A)).one()
        assert a1.collections["1"] == {1, 2, 3}
        a1.collections["1"].add(4)
        session.commit()
        a1.collections["2"].update([7, 8, 9])  # an absent key: __missing__ makes its B
        session.commit()
        assert stored(session) == {"1": {1, 2, 3, 4}, "2": {7, 8, 9}}
    with Session(db) as session:
        a1 = session.scalars(select(A)).one()
        assert {k: set(v) for k, v in a1.collections.items()} == {
            "1": {1, 2, 3, 4},
            "2": {7, 8, 9},
        }
        assert "3" not in a1.associations  # `in` does not create a member
        assert len(a1.associations) == 2
