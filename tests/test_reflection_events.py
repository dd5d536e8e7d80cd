"""The ``column_reflect`` event (on a MetaData, a Table, the Table class, and through
``Table(listeners=...)``) and ``DeferredReflection`` (classes mapped when
``prepare(engine)`` reflects their tables), on both backends, rows read back.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import fetch, run

from uow_orm import (
    ForeignKey,
    Integer,
    MetaData,
    Session,
    Table,
    Text,
    event,
    exc,
    inspect,
    select,
)
from uow_orm.ext.declarative import DeferredReflection
from uow_orm.orm import DeclarativeBase, mapped_column, relationship


@pytest.fixture
def schema_db(engine: Any) -> Any:
    run(engine, 'CREATE TABLE rf_parent (id INTEGER PRIMARY KEY, "Name" VARCHAR(20))')
    run(
        engine,
        "CREATE TABLE rf_child (id INTEGER PRIMARY KEY, "
        "parent_id INTEGER REFERENCES rf_parent(id), note VARCHAR(10), "
        "CONSTRAINT uq_rf_child_note UNIQUE (note))",
    )
    run(engine, "CREATE INDEX ix_rf_child_parent ON rf_child (parent_id)")
    return engine


def test_metadata_listener_gives_reflected_columns_new_keys(schema_db: Any) -> None:
    m = MetaData()

    @event.listens_for(m, "column_reflect")
    def keyed(inspector: Any, table: Any, column_info: dict[str, Any]) -> None:
        column_info["key"] = f"attr_{column_info['name'].lower()}"

    child = Table("rf_child", m, autoload_with=schema_db)  # rf_parent comes with its key
    parent = m.tables["rf_parent"]
    assert list(parent.c.keys()) == ["attr_id", "attr_name"]
    assert [c.name for c in parent.c] == ["id", "Name"]
    assert list(child.c.keys()) == ["attr_id", "attr_parent_id", "attr_note"]
    assert [c.key for c in parent.primary_key.columns] == ["attr_id"]
    assert {ix.name: ix.column_names for ix in child.indexes} == {
        "ix_rf_child_parent": ["attr_parent_id"]
    }

    class Base(DeclarativeBase):
        metadata = m

    class Parent(Base):
        __table__ = parent

    with Session(schema_db) as s:
        s.add(Parent(attr_id=1, attr_name="p"))
        s.commit()
        assert s.scalars(select(Parent.attr_name)).all() == ["p"]
    assert fetch(schema_db, 'SELECT id, "Name" FROM rf_parent') == [(1, "p")]


def test_table_listener_changes_the_type_and_class_listener_sees_every_column(
    schema_db: Any,
) -> None:
    seen: list[tuple[str, str]] = []

    def as_text(inspector: Any, table: Any, column_info: dict[str, Any]) -> None:
        if column_info["name"] == "note":
            column_info["type"] = Text()

    def record(inspector: Any, table: Any, column_info: dict[str, Any]) -> None:
        seen.append((table.name, column_info["name"]))

    event.listen(Table, "column_reflect", record)
    try:
        t = Table(
            "rf_child", MetaData(), autoload_with=schema_db, listeners=[("column_reflect", as_text)]
        )
    finally:
        event.remove(Table, "column_reflect", record)
    assert isinstance(t.c.note.type, Text)
    assert sorted(seen) == [
        ("rf_child", "id"),
        ("rf_child", "note"),
        ("rf_child", "parent_id"),
        ("rf_parent", "Name"),
        ("rf_parent", "id"),
    ]
    with schema_db.begin() as conn:
        conn.execute(t.insert().values(id=1, note="x" * 8))
    assert fetch(schema_db, "SELECT note FROM rf_child") == [("x" * 8,)]


def test_listener_setting_an_unknown_key_is_refused(schema_db: Any) -> None:
    m = MetaData()
    event.listen(m, "column_reflect", lambda i, t, info: info.update(sequence=1))
    with pytest.raises(exc.ArgumentError, match="sequence"):
        Table("rf_parent", m, autoload_with=schema_db)


def test_column_reflect_is_not_an_inspector_event(schema_db: Any) -> None:
    with pytest.raises(exc.InvalidRequestError, match="column_reflect"):
        event.listen(inspect(schema_db), "column_reflect", lambda *a: None)


def test_deferred_reflection_maps_classes_at_prepare(schema_db: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Reflected(DeferredReflection):
        __abstract__ = True

    class Parent(Reflected, Base):
        __tablename__ = "rf_parent"
        children = relationship("Child", back_populates="parent")

    class Child(Reflected, Base):
        __tablename__ = "rf_child"
        parent_id = mapped_column(Integer, ForeignKey("rf_parent.id"))
        parent = relationship("Parent", back_populates="children")

    assert "__mapper__" not in Parent.__dict__  # not mapped until prepare
    Reflected.prepare(schema_db)
    assert sorted(Child.__table__.c.keys()) == ["id", "note", "parent_id"]
    assert [uc.name for uc in Child.__table__.constraints if hasattr(uc, "column_names")] == [
        "uq_rf_child_note"
    ]
    with Session(schema_db) as s:
        p = Parent(id=1, Name="p")
        p.children.append(Child(id=1, note="n"))
        s.add(p)
        s.commit()
    assert fetch(schema_db, "SELECT id, parent_id, note FROM rf_child") == [(1, 1, "n")]
    with Session(schema_db) as s:
        p = s.get(Parent, 1)
        assert [c.note for c in p.children] == ["n"] and p.children[0].parent is p


def test_deferred_reflection_with_column_reflect_and_inheritance(engine: Any) -> None:
    run(engine, "CREATE TABLE rf_emp (id INTEGER PRIMARY KEY, kind VARCHAR(10), name VARCHAR(20))")
    run(
        engine,
        'CREATE TABLE rf_mgr (id INTEGER PRIMARY KEY REFERENCES rf_emp(id), "Budget" INTEGER)',
    )

    class Base(DeclarativeBase):
        pass

    event.listen(
        Base.metadata,
        "column_reflect",
        lambda i, t, info: info.update(key=info["name"].lower()),
    )

    class Reflected(DeferredReflection):
        __abstract__ = True

    class Emp(Reflected, Base):
        __tablename__ = "rf_emp"
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "emp"}

    class Mgr(Emp):
        __tablename__ = "rf_mgr"
        __mapper_args__ = {"polymorphic_identity": "mgr"}

    class Late(Reflected, Base):
        __tablename__ = "rf_missing"

    with pytest.raises(exc.NoSuchTableError):
        Reflected.prepare(engine)
    with Session(engine) as s:
        s.add(Mgr(id=1, name="m", budget=5))
        s.commit()
    assert fetch(engine, "SELECT id, kind, name FROM rf_emp") == [(1, "mgr", "m")]
    assert fetch(engine, 'SELECT id, "Budget" FROM rf_mgr') == [(1, 5)]
    with Session(engine) as s:
        assert [(type(e).__name__, e.budget) for e in s.scalars(select(Emp))] == [("Mgr", 5)]


def test_prepare_refuses_unknown_keywords(engine: Any) -> None:
    class Reflected(DeferredReflection):
        __abstract__ = True

    with pytest.raises(exc.ArgumentError, match="schema"):
        Reflected.prepare(engine, schema="x")


def test_prepare_maps_a_view_only_with_views_true(engine: Any) -> None:
    run(engine, "CREATE TABLE rf_base (id INTEGER PRIMARY KEY, x INTEGER)")
    run(engine, "CREATE VIEW rf_view AS SELECT id, x FROM rf_base")
    run(engine, "INSERT INTO rf_base (id, x) VALUES (1, 10)")

    class Base(DeclarativeBase):
        pass

    class Reflected(DeferredReflection):
        __abstract__ = True

    class Row(Reflected, Base):
        __tablename__ = "rf_view"
        id = mapped_column(Integer, primary_key=True)

    with pytest.raises(exc.InvalidRequestError, match="views=True"):
        Reflected.prepare(engine)
    Reflected.prepare(engine, views=True)
    with Session(engine) as s:
        assert [(r.id, r.x) for r in s.scalars(select(Row))] == [(1, 10)]


def test_inspector_reflect_table_fills_a_table_leaving_out_excluded_columns(
    schema_db: Any,
) -> None:
    m = MetaData()
    child = Table("rf_child", m)
    inspect(schema_db).reflect_table(child, None, exclude_columns=["note"], resolve_fks=False)
    assert list(child.c.keys()) == ["id", "parent_id"]
    assert "rf_parent" not in m.tables
    # the unique constraint over the left-out column is left out too (as in SQLAlchemy)
    assert not [c for c in child.constraints if getattr(c, "name", None) == "uq_rf_child_note"]
    assert [ix.name for ix in child.indexes] == ["ix_rf_child_parent"]
    with pytest.raises(exc.NoSuchTableError):
        inspect(schema_db).reflect_table(Table("rf_nothing", m), None)
