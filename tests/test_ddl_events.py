"""DDL events and the ``DDL`` construct, as in SQLAlchemy: ``before_create`` /
``after_create`` / ``before_drop`` / ``after_drop`` on a Table, the MetaData or their
classes, fired by ``create_all`` / ``drop_all`` / ``Table.create`` / ``drop``;
``DDL("...")`` run directly or as a listener (``%(table)s``, ``execute_if``);
``CreateSchema`` / ``DropSchema``. Both backends.
"""

from __future__ import annotations

from typing import Any

import pytest

from uow_orm import DDL, Column, ForeignKey, Integer, MetaData, String, Table, event, exc, text
from uow_orm.schema import CreateSchema, DropSchema


def _tables() -> tuple[MetaData, Table, Table]:
    md = MetaData()
    parent = Table("dde_parent", md, Column("id", Integer, primary_key=True))
    child = Table(
        "dde_child",
        md,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("dde_parent.id")),
        Column("note", String(20)),
    )
    return md, parent, child


def test_create_and_drop_events_fire_in_order_around_each_table(engine: Any, listen: Any):
    md, parent, child = _tables()
    log: list[tuple[str, str]] = []
    for name in ("before_create", "after_create", "before_drop", "after_drop"):
        for target in (md, parent, child):

            def record(target: Any, connection: Any, _n: str = name, **kw: Any) -> None:
                log.append((_n, getattr(target, "name", "metadata")))

            listen(target, name, record)
    md.create_all(engine)
    assert log == [
        ("before_create", "metadata"),
        ("before_create", "dde_parent"),
        ("after_create", "dde_parent"),
        ("before_create", "dde_child"),
        ("after_create", "dde_child"),
        ("after_create", "metadata"),
    ]
    log.clear()
    md.create_all(engine)  # everything exists: only the MetaData's events
    assert log == [("before_create", "metadata"), ("after_create", "metadata")]
    log.clear()
    child.drop(engine)  # a table on its own: its events, not the MetaData's
    assert log == [("before_drop", "dde_child"), ("after_drop", "dde_child")]
    log.clear()
    md.drop_all(engine)
    assert log == [
        ("before_drop", "metadata"),
        ("before_drop", "dde_parent"),
        ("after_drop", "dde_parent"),
        ("after_drop", "metadata"),
    ]


def test_a_ddl_listener_runs_in_the_create_transaction_with_the_table_named(engine, backend):
    md, parent, _child = _tables()
    event.listen(parent, "after_create", DDL("INSERT INTO %(table)s (id) VALUES (7)"))
    pg_only = DDL("INSERT INTO %(fullname)s (id) VALUES (8)").execute_if(dialect="postgresql")
    event.listen(parent, "after_create", pg_only)
    md.create_all(engine)
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM dde_parent ORDER BY id")).scalars().all()
    assert ids == ([7, 8] if backend == "postgresql" else [7])
    md.drop_all(engine)


def test_listening_on_the_table_class_reaches_every_table(engine: Any, listen: Any) -> None:
    md, _parent, _child = _tables()
    created: list[str] = []
    listen(Table, "after_create", lambda target, connection, **kw: created.append(target.name))
    md.create_all(engine)
    assert created == ["dde_parent", "dde_child"]
    md.drop_all(engine)


def test_ddl_runs_directly_with_percent_signs_kept(engine: Any) -> None:
    md, _parent, _child = _tables()
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(DDL("INSERT INTO dde_child (id, note) VALUES (1, '100%% sure')"))
        assert conn.execute(text("SELECT note FROM dde_child")).scalar() == "100% sure"
    assert str(DDL("CREATE VIEW v AS SELECT 1")) == "CREATE VIEW v AS SELECT 1"
    with pytest.raises(exc.ArgumentError, match="str"):
        DDL(5)  # type: ignore[arg-type]
    md.drop_all(engine)


def test_create_schema_and_drop_schema(engine: Any, backend: str) -> None:
    assert str(CreateSchema("dde_s", if_not_exists=True)) == "CREATE SCHEMA IF NOT EXISTS dde_s"
    assert str(DropSchema("dde_s", cascade=True)) == "DROP SCHEMA dde_s CASCADE"
    with engine.begin() as conn:
        if backend == "sqlite":
            with pytest.raises(exc.NotSupportedError, match="ATTACH"):
                conn.execute(CreateSchema("dde_s"))
            return
        conn.execute(CreateSchema("dde_s"))
        conn.execute(text("CREATE TABLE dde_s.t (id integer)"))
        conn.execute(DropSchema("dde_s", cascade=True))
        gone = conn.execute(
            text("SELECT count(*) FROM pg_namespace WHERE nspname = 'dde_s'")
        ).scalar()
        assert gone == 0
