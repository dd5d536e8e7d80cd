"""Union annotations named by a ``type_annotation_map`` entry (``float | str | bool``,
``Union[...]``, with ``| None`` or ``Optional[...]`` making the column nullable), rows
written and read back on both backends.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from uow_orm import JSON, Session, select
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column

json_list = list[int] | list[str]
json_scalar = Union[float, str, bool]  # noqa: UP007


class Base(DeclarativeBase):
    type_annotation_map = {json_list: JSON, json_scalar: JSON}


class Doc(Base):
    __tablename__ = "ua_doc"
    id: Mapped[int] = mapped_column(primary_key=True)
    list_col: Mapped[list[str] | list[int]]
    scalar_col: Mapped[json_scalar]
    scalar_col_nullable: Mapped[json_scalar | None]
    scalar_col_newstyle: Mapped[float | str | bool]
    scalar_col_mixedstyle: Mapped[Optional[float | str | bool]]  # noqa: UP045


def test_union_annotations_use_the_type_map_entry_and_none_makes_them_nullable(db: Any) -> None:
    t = Doc.__table__
    assert all(isinstance(c.type, JSON) for c in t.c if c.name != "id")
    assert {c.name: c.nullable for c in t.c if c.name != "id"} == {
        "list_col": False,
        "scalar_col": False,
        "scalar_col_nullable": True,
        "scalar_col_newstyle": False,
        "scalar_col_mixedstyle": True,
    }
    with Session(db) as s:
        s.add(Doc(id=1, list_col=[1, 2], scalar_col="a", scalar_col_newstyle=1.5))
        s.commit()
    with Session(db) as s:
        row = s.execute(select(Doc.list_col, Doc.scalar_col, Doc.scalar_col_nullable)).one()
        assert tuple(row) == ([1, 2], "a", None)
