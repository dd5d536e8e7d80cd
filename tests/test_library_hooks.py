"""What serializer, factory and mixin libraries built on SQLAlchemy read from the ORM
(marshmallow-sqlalchemy, factory_boy, sqlalchemy-mixins were run against uow_orm with their
imports redirected; each behaviour they needed is pinned here), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from uow_orm import ForeignKey, String, inspect, select
from uow_orm.ext.hybrid import hybrid_property
from uow_orm.orm import (
    DeclarativeBase,
    Mapped,
    aliased,
    mapped_column,
    relationship,
)
from uow_orm.orm.strategy_options import Load, _AbstractLoad
from uow_orm.orm.util import AliasedInsp, identity_key


class ReprMixin:
    def __repr__(self) -> str:
        return f"<{type(self).__name__} #{self.id}>"  # type: ignore[attr-defined]

    @classmethod
    def by_name(cls, name: str) -> Any:
        return cls.name == name  # type: ignore[attr-defined]


class Base(DeclarativeBase):
    pass


class Model(Base, ReprMixin):
    __abstract__ = True


class Author(Model):
    __tablename__ = "lh_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    books: Mapped[list[Book]] = relationship(back_populates="author")

    @hybrid_property
    def shout(self) -> str:
        return self.name.upper()

    @shout.inplace.expression
    @classmethod
    def _shout(cls) -> Any:
        from uow_orm import func

        return func.upper(cls.name)


class Book(Model):
    __tablename__ = "lh_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(30))
    author_id: Mapped[int] = mapped_column(ForeignKey("lh_author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


def test_a_mixins_repr_after_the_base_wins_over_the_default(session):
    a = Author(id=1, name="ann")
    assert repr(a) == "<Author #1>"


def test_column_base_columns_and_proxy_set():
    col = Author.__table__.c.name
    assert col.base_columns == {col} and col in col.proxy_set
    sub = select(Author.id, Author.name).subquery()
    assert sub.c.name.base_columns == {col}
    assert col in sub.c.name.proxy_set and sub.c.name in sub.c.name.proxy_set
    a = Author.__table__.alias("a")
    assert a.c.name.base_columns == {col}


def test_table_autoincrement_column():
    assert Author.__table__._autoincrement_column is Author.__table__.c.id


def test_inspection_collections_give_lists_like_sqlalchemys():
    m = inspect(Author)
    keys = m.columns.keys()
    assert keys == ["id", "name"] and isinstance(keys, list)  # so keys + [...] works
    assert [p.key for p in m.relationships.values()] == ["books"]
    assert m.attrs.items()[0][0] == "id"


def test_aliased_class_binds_classmethods_and_hybrids_to_the_alias(session):
    session.add_all([Author(id=1, name="ann"), Author(id=2, name="bob")])
    session.commit()
    other = aliased(Author)
    crit = other.by_name("bob")  # the classmethod got the alias as cls
    assert session.scalars(select(other.id).where(crit)).all() == [2]
    assert session.scalars(select(other.shout).order_by(other.id)).all() == ["ANN", "BOB"]
    insp = inspect(other)
    assert isinstance(insp, AliasedInsp) and insp.mapper is inspect(Author)
    assert insp.entity is other and insp.class_ is Author and insp.is_aliased_class


def test_query_root_entity_and_identity_key(session):
    q = session.query(Book).join(Book.author)
    assert q._entity_from_pre_ent_zero().class_ is Book
    assert session.query(Author.name)._entity_from_pre_ent_zero().class_ is Author
    assert identity_key(Author, 5)[:2] == (Author, (5,))
    assert issubclass(Load, _AbstractLoad)


def test_version_is_the_sqlalchemy_api_level_and_the_release_is_separate():
    import tomllib
    from pathlib import Path

    import uow_orm

    major, minor = (int(p) for p in uow_orm.__version__.split(".")[:2])
    assert (major, minor) == (2, 0)  # libraries comparing sqlalchemy.__version__ take 2.0 paths
    meta = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert uow_orm.uow_orm_version == meta["project"]["version"]
