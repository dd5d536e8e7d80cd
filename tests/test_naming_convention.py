"""``MetaData(naming_convention=...)`` and the DDL constructs of ``uow_orm.schema``
(``CreateTable``, ``DropTable``, ``CreateIndex``, ``DropIndex``): the names the database
ends up with, read back through the inspector, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    exc,
    inspect,
)
from uow_orm.orm import DeclarativeBase, Mapped, mapped_column
from uow_orm.schema import CreateIndex, CreateTable, DropIndex, DropTable, conv

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _tables(md: MetaData) -> tuple[Table, Table]:
    parent = Table(
        "nc_parent",
        md,
        Column("id", Integer, primary_key=True),
        Column("code", String(10), unique=True),
        Column("slug", String(10), index=True),
    )
    child = Table(
        "nc_child",
        md,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("nc_parent.id")),
        Column("n", Integer),
        UniqueConstraint("n", "parent_id"),
        CheckConstraint("n > 0", name="positive"),
        Index(None, "n"),
    )
    return parent, child


def test_the_convention_names_each_constraint_object_when_the_table_is_made() -> None:
    parent, child = _tables(MetaData(naming_convention=CONVENTION))
    assert parent.primary_key.name == "pk_nc_parent"
    assert isinstance(parent.primary_key.name, conv)
    names = {type(c).__name__: c.name for c in child.constraints}
    assert names == {"UniqueConstraint": "uq_nc_child_n", "CheckConstraint": "ck_nc_child_positive"}
    assert [fk.name for fk in child.foreign_keys] == ["fk_nc_child_parent_id_nc_parent"]
    assert [ix.name for ix in child.indexes] == ["ix_nc_child_n"]


def test_the_database_gets_the_convention_names(engine: Any) -> None:
    md = MetaData(naming_convention=CONVENTION)
    _tables(md)
    md.create_all(engine)
    insp = inspect(engine)
    assert [u["name"] for u in insp.get_unique_constraints("nc_parent")] == ["uq_nc_parent_code"]
    assert [i["name"] for i in insp.get_indexes("nc_parent")] == ["ix_nc_parent_slug"]
    assert [u["name"] for u in insp.get_unique_constraints("nc_child")] == ["uq_nc_child_n"]
    assert [c["name"] for c in insp.get_check_constraints("nc_child")] == ["ck_nc_child_positive"]
    assert [f["name"] for f in insp.get_foreign_keys("nc_child")] == [
        "fk_nc_child_parent_id_nc_parent"
    ]
    assert [i["name"] for i in insp.get_indexes("nc_child")] == ["ix_nc_child_n"]
    if engine.dialect.name == "postgresql":  # SQLite keeps no primary key name
        assert insp.get_pk_constraint("nc_child")["name"] == "pk_nc_child"
    md.drop_all(engine)


def test_a_given_name_is_kept_unless_the_template_takes_it() -> None:
    md = MetaData(naming_convention={"uq": "uq_%(column_0_name)s", "ck": "ck_%(constraint_name)s"})
    t = Table(
        "nc_given",
        md,
        Column("id", Integer, primary_key=True),
        Column("a", Integer),
        UniqueConstraint("a", name="mine"),
        UniqueConstraint("id"),
        UniqueConstraint("id", "a", name=conv("exact")),
        CheckConstraint("a > 0", name="pos"),
    )
    assert [c.name for c in t.constraints] == ["mine", "uq_id", "exact", "ck_pos"]
    assert t.primary_key.name is None  # no "pk" template: unnamed, as without a convention


def test_a_template_needing_a_constraint_name_refuses_an_unnamed_check(engine: Any) -> None:
    md = MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})
    Table("nc_unnamed", md, Column("id", Integer, primary_key=True), CheckConstraint("id > 0"))
    with pytest.raises(exc.InvalidRequestError, match="requires that constraint is explicitly"):
        md.create_all(engine)
    assert not inspect(engine).has_table("nc_unnamed")


def test_column_tokens_custom_tokens_and_class_keys() -> None:
    def short(constraint: Any, table: Any) -> str:
        return table.name.upper()

    md = MetaData(
        naming_convention={
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ix": "ix_%(column_0N_name)s",
            "short": short,
            "fk": "fk_%(short)s_%(referred_column_0_name)s",
            CheckConstraint: "ck_%(column_0_name)s_%(constraint_name)s",
        }
    )
    t = Table(
        "nc_tok",
        md,
        Column("id", Integer, primary_key=True),
        Column("a", Integer),
        Column("b", ForeignKey("nc_tok.id")),
        UniqueConstraint("a", "b"),
        Index(None, "a", "b"),
        CheckConstraint(Column("zz", Integer) > 0, name="z"),
    )
    assert [type(c).__name__ + ":" + c.name for c in t.constraints] == [
        "UniqueConstraint:uq_nc_tok_a_b",
        "CheckConstraint:ck__z",  # the expression names no column of the table
    ]
    assert t.indexes[0].name == "ix_ab"
    assert t.foreign_keys[0].name == "fk_NC_TOK_id"


def test_a_bad_convention_key_is_refused() -> None:
    with pytest.raises(exc.ArgumentError, match="'unique' is not one of pk, uq, ck, fk, ix"):
        MetaData(naming_convention={"unique": "uq_%(table_name)s"})
    md = MetaData(naming_convention={"uq": "uq_%(nope)s"})
    with pytest.raises(exc.ArgumentError, match=r"token %\(nope\)s is not known"):
        Table("nc_bad", md, Column("id", Integer, primary_key=True), UniqueConstraint("id"))


def test_long_convention_names_are_cut_as_sqlalchemy_cuts_them_on_postgresql(engine: Any) -> None:
    md = MetaData(naming_convention={"uq": "uq_%(table_name)s_%(column_0_N_name)s"})
    t = Table(
        "t" * 40,
        md,
        Column("id", Integer, primary_key=True),
        Column("a" * 20, Integer),
        Column("b" * 20, Integer),
        UniqueConstraint("a" * 20, "b" * 20),
    )
    full = "uq_" + "t" * 40 + "_" + "a" * 20 + "_" + "b" * 20
    assert [c.name for c in t.constraints] == [full]
    md.create_all(engine)
    (uq,) = inspect(engine).get_unique_constraints("t" * 40)
    if engine.dialect.name == "postgresql":  # 63 characters at most: start, "_", 4 of the MD5
        assert uq["name"] == "uq_" + "t" * 40 + "_" + "a" * 11 + "_f884"
    else:
        assert uq["name"] == full
    md.drop_all(engine)


def test_declarative_models_use_their_metadatas_convention(engine: Any) -> None:
    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=CONVENTION)

    class Account(Base):
        __tablename__ = "nc_account"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(50), unique=True)

    Base.metadata.create_all(engine)
    names = [u["name"] for u in inspect(engine).get_unique_constraints("nc_account")]
    assert names == ["uq_nc_account_email"]
    assert Account.__table__.primary_key.name == "pk_nc_account"
    Base.metadata.drop_all(engine)


def test_reflected_names_are_kept_as_the_database_has_them(engine: Any) -> None:
    md = MetaData(naming_convention=CONVENTION)
    _tables(md)
    md.create_all(engine)
    reflected = MetaData(naming_convention=CONVENTION)
    child = Table("nc_child", reflected, autoload_with=engine)
    checks = [c.name for c in child.constraints if isinstance(c, CheckConstraint)]
    assert checks == ["ck_nc_child_positive"]  # not "ck_nc_child_ck_nc_child_positive"
    md.drop_all(engine)


def test_ddl_constructs_run_on_a_connection(engine: Any) -> None:
    md = MetaData()
    t = Table("nc_ddl", md, Column("id", Integer, primary_key=True), Column("c", Integer))
    ix = Index("ix_nc_ddl_c", t.c.c)
    with engine.begin() as conn:
        conn.execute(CreateTable(t))
        conn.execute(CreateTable(t, if_not_exists=True))  # already there: no error
        conn.execute(CreateIndex(ix))
        assert [i["name"] for i in inspect(conn).get_indexes("nc_ddl")] == ["ix_nc_ddl_c"]
        conn.execute(DropIndex(ix))
        conn.execute(DropTable(t))
        conn.execute(DropTable(t, if_exists=True))
        assert not inspect(conn).has_table("nc_ddl")


def test_ddl_constructs_print_as_sqlalchemy_prints_them() -> None:
    md = MetaData()
    t = Table(
        "nc_print",
        md,
        Column("id", Integer, primary_key=True),
        Column("code", String(10), nullable=False),
        Column("up", ForeignKey("nc_print.id")),
    )
    ix = Index("ix_code", t.c.code)
    assert str(CreateTable(t)) == (
        "\nCREATE TABLE nc_print (\n\tid INTEGER NOT NULL, \n\tcode VARCHAR(10) NOT NULL, "
        "\n\tup INTEGER, \n\tPRIMARY KEY (id), \n\tFOREIGN KEY(up) REFERENCES nc_print (id)\n)\n\n"
    )
    assert str(CreateIndex(ix)) == "CREATE INDEX ix_code ON nc_print (code)"
    assert str(DropTable(t, if_exists=True)) == "\nDROP TABLE IF EXISTS nc_print"
    assert str(DropIndex(ix)) == "\nDROP INDEX ix_code"
    sa = pytest.importorskip("sqlalchemy")  # the oracle only: the exact strings are above
    sa_md = sa.MetaData()
    sa_t = sa.Table(
        "nc_print",
        sa_md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("up", sa.ForeignKey("nc_print.id")),
    )
    assert str(sa.schema.CreateTable(sa_t)) == str(CreateTable(t))
    assert str(sa.schema.DropTable(sa_t, if_exists=True)) == str(DropTable(t, if_exists=True))
