"""relationship() arguments given as lambdas and strings, evaluated at configure time as
SQLAlchemy evaluates them: ``foreign_keys``, ``remote_side``, ``primaryjoin``,
``secondaryjoin``, ``order_by``, ``secondary`` (a lambda may return one column or a list).
Each form maps the same relationship: the rows read back prove which column it uses.
Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import Column, ForeignKey, Session, Table, exc
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column, relationship


def _models(kids_args: dict[str, Any], tags_args: dict[str, Any], up_args: dict[str, Any]) -> Any:
    """Parent.kids (one-to-many on Child.parent2_id, the second of two foreign keys),
    Parent.tags (many-to-many through ``assoc``), Parent.up (self-referential many-to-one).
    Each dict holds relationship() arguments; callables get the classes as arguments."""

    class Base(DeclarativeBase):
        pass

    assoc = Table(
        "rca_assoc",
        Base.metadata,
        Column("l", ForeignKey("rca_parent.id"), primary_key=True),
        Column("r", ForeignKey("rca_child.id"), primary_key=True),
    )
    ns: dict[str, Any] = {"assoc": assoc}

    def args(spec: dict[str, Any]) -> dict[str, Any]:
        return {k: (v(ns) if getattr(v, "__name__", "") == "make" else v) for k, v in spec.items()}

    class Parent(Base):
        __tablename__ = "rca_parent"
        id: Mapped[int] = mapped_column(primary_key=True)
        up_id: Mapped[int | None] = mapped_column(ForeignKey("rca_parent.id"))
        kids: Mapped[list[Child]] = relationship("Child", **args(kids_args))
        tags: Mapped[list[Child]] = relationship("Child", **args(tags_args))
        up: Mapped[Parent | None] = relationship("Parent", **args(up_args))

    class Child(Base):
        __tablename__ = "rca_child"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(default="x")
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("rca_parent.id"))
        parent2_id: Mapped[int | None] = mapped_column(ForeignKey("rca_parent.id"))

    ns.update(Parent=Parent, Child=Child)
    Base.registry.configure()
    return Base, Parent, Child


def lazy(fn: Any) -> Any:
    """A lambda that sees the classes once they exist (as a class-body lambda would)."""

    def make(ns: dict[str, Any]) -> Any:
        return lambda: fn(ns)

    return make


KIDS = {"foreign_keys": "Child.parent2_id"}
TAGS = {"secondary": "rca_assoc"}
UP = {"remote_side": "Parent.id"}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "foreign_keys lambda returning a list": (
        {"foreign_keys": lazy(lambda n: [n["Child"].parent2_id])},
        TAGS,
        UP,
    ),
    "foreign_keys lambda returning a column": (
        {"foreign_keys": lazy(lambda n: n["Child"].parent2_id)},
        TAGS,
        UP,
    ),
    "foreign_keys string": ({"foreign_keys": "Child.parent2_id"}, TAGS, UP),
    "foreign_keys string list": ({"foreign_keys": "[Child.parent2_id]"}, TAGS, UP),
    "foreign_keys table.c.column string": ({"foreign_keys": "rca_child.c.parent2_id"}, TAGS, UP),
    "primaryjoin lambda": (
        {"primaryjoin": lazy(lambda n: n["Parent"].id == n["Child"].parent2_id)},
        TAGS,
        UP,
    ),
    "primaryjoin string with foreign()": (
        {"primaryjoin": "Parent.id == foreign(Child.parent2_id)"},
        TAGS,
        UP,
    ),
    "order_by lambda returning a list": (
        {**KIDS, "order_by": lazy(lambda n: [n["Child"].name.desc()])},
        TAGS,
        UP,
    ),
    "order_by string": ({**KIDS, "order_by": "Child.name.desc()"}, TAGS, UP),
    "secondary lambda": (KIDS, {"secondary": lazy(lambda n: n["assoc"])}, UP),
    "secondary string with string joins": (
        KIDS,
        {
            "secondary": "rca_assoc",
            "primaryjoin": "Parent.id == rca_assoc.c.l",
            "secondaryjoin": "Child.id == rca_assoc.c.r",
        },
        UP,
    ),
    "secondaryjoin lambda": (
        KIDS,
        {
            "secondary": "rca_assoc",
            "primaryjoin": lazy(lambda n: n["Parent"].id == n["assoc"].c.l),
            "secondaryjoin": lazy(lambda n: n["Child"].id == n["assoc"].c.r),
        },
        UP,
    ),
    "remote_side lambda returning a list": (
        KIDS,
        TAGS,
        {"remote_side": lazy(lambda n: [n["Parent"].id])},
    ),
    "remote_side lambda returning a set": (
        KIDS,
        TAGS,
        {"remote_side": lazy(lambda n: {n["Parent"].id})},
    ),
    "remote_side string list": (KIDS, TAGS, {"remote_side": "[Parent.id]"}),
    "foreign_keys and remote_side lambdas on the self-reference": (
        KIDS,
        TAGS,
        {
            "foreign_keys": lazy(lambda n: [n["Parent"].up_id]),
            "remote_side": lazy(lambda n: [n["Parent"].id]),
        },
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_callable_and_string_arguments_map_the_relationship(engine: Any, case: str) -> None:
    base, parent_cls, child_cls = _models(*CASES[case])
    base.metadata.create_all(engine)
    with Session(engine) as s:
        p = parent_cls(id=1, kids=[child_cls(id=1, name="a"), child_cls(id=2, name="b")])
        p.tags = [child_cls(id=3)]
        p.up = parent_cls(id=2)
        s.add(p)
        s.commit()
    with Session(engine) as s:
        p = s.get(parent_cls, 1)
        kids = [(c.id, c.parent_id, c.parent2_id) for c in p.kids]
        if "order_by" in case:
            assert kids == [(2, None, 1), (1, None, 1)]  # name DESC
        else:
            assert sorted(kids) == [(1, None, 1), (2, None, 1)]
        assert [c.id for c in p.tags] == [3]
        assert p.up is s.get(parent_cls, 2) and p.up_id == 2
    with engine.connect() as conn:
        from uow_orm import text

        assert conn.execute(text("SELECT l, r FROM rca_assoc")).all() == [(1, 3)]
    base.metadata.drop_all(engine)


def test_a_lambda_returning_something_that_is_not_a_column_is_refused() -> None:
    with pytest.raises(exc.ArgumentError, match="is not a column"):
        _models({"foreign_keys": lazy(lambda n: [1])}, TAGS, UP)


def test_a_string_naming_an_unknown_class_is_refused() -> None:
    with pytest.raises(exc.InvalidRequestError, match="Nope"):
        _models({"foreign_keys": "Nope.x"}, TAGS, UP)
