"""Expire and refresh, populate_existing, rows deleted elsewhere, detached expired objects,
and autoflush / no_autoflush. Both backends, through the ``engine`` fixture.

Reloads are counted with ``sql_log``: an expired object loads all of its expired columns in
one SELECT, and never loads columns that were not expired.
"""

import pytest

from uow_orm import (
    Mapped,
    Session,
    String,
    declarative_base,
    exc,
    inspect,
    mapped_column,
    select,
    text,
)

Base = declarative_base()


class Item(Base):
    __tablename__ = "er_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    note: Mapped[str | None] = mapped_column(String(100))
    qty: Mapped[int] = mapped_column(default=0)


@pytest.fixture
def item_id(db) -> int:
    """Id of a committed item: name "widget", note "first", qty 1."""
    with Session(db) as s:
        item = Item(name="widget", note="first", qty=1)
        s.add(item)
        s.flush()
        pk = item.id
        s.commit()
    return pk


def change_elsewhere(engine, sql: str, **params) -> None:
    """Run a statement on a connection of its own and commit it."""
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def selects(log) -> list[str]:
    return [sql for sql in log.sql if sql.lstrip().upper().startswith("SELECT")]


# -- expire -----------------------------------------------------------------------------------
def test_expire_object_reloads_every_column_in_one_select(db, item_id, sql_log):
    s = Session(db)
    item = s.get(Item, item_id)
    s.execute(
        text("UPDATE er_items SET name = 'renamed', note = 'changed', qty = 7 WHERE id = :id"),
        {"id": item_id},
    )
    assert item.name == "widget"  # plain SQL does not touch the loaded object

    s.expire(item)
    assert {"name", "note", "qty"} <= set(inspect(item).expired_attributes)
    log = sql_log(db)
    assert item.name == "renamed"
    assert item.note == "changed"
    assert item.qty == 7
    assert len(selects(log)) == 1
    assert not inspect(item).expired_attributes
    s.close()


def test_expire_named_attribute_reloads_only_that_attribute(db, item_id, sql_log):
    s = Session(db)
    item = s.get(Item, item_id)
    s.execute(
        text("UPDATE er_items SET name = 'renamed', note = 'changed', qty = 7 WHERE id = :id"),
        {"id": item_id},
    )
    s.expire(item, ["name"])
    assert set(inspect(item).expired_attributes) == {"name"}

    log = sql_log(db)
    assert item.name == "renamed"
    assert item.note == "first"  # not expired: keeps its loaded value
    assert item.qty == 1
    [select_sql] = selects(log)
    assert "note" not in select_sql.lower()
    assert "qty" not in select_sql.lower()
    s.close()


def test_expire_several_named_attributes_reloads_them_in_one_select(db, item_id, sql_log):
    s = Session(db)
    item = s.get(Item, item_id)
    s.execute(
        text("UPDATE er_items SET name = 'renamed', note = 'changed', qty = 7 WHERE id = :id"),
        {"id": item_id},
    )
    s.expire(item, ["name", "note"])
    log = sql_log(db)
    assert item.note == "changed"
    assert item.name == "renamed"
    assert item.qty == 1
    [select_sql] = selects(log)
    assert "qty" not in select_sql.lower()
    s.close()


def test_expire_discards_unflushed_changes(db, item_id):
    s = Session(db)
    item = s.get(Item, item_id)
    item.name = "unsaved"
    assert item in s.dirty
    s.expire(item)
    assert item not in s.dirty
    assert item.name == "widget"
    s.close()


def test_expire_all_expires_every_instance(db, item_id, sql_log):
    s = Session(db)
    first = s.get(Item, item_id)
    second = Item(name="gadget", note="second", qty=2)
    s.add(second)
    s.flush()
    s.execute(text("UPDATE er_items SET qty = qty + 100"))

    s.expire_all()
    for obj in (first, second):
        assert "qty" in inspect(obj).expired_attributes
    log = sql_log(db)
    assert first.qty == 101
    assert second.qty == 102
    assert len(selects(log)) == 2
    s.close()


# -- refresh and populate_existing --------------------------------------------------------
def test_refresh_sees_a_change_made_by_another_connection(db, item_id, sql_log):
    s = Session(db, expire_on_commit=False)
    item = s.get(Item, item_id)
    s.commit()
    change_elsewhere(
        db, "UPDATE er_items SET name = 'elsewhere', qty = 9 WHERE id = :id", id=item_id
    )

    log = sql_log(db)
    assert item.name == "widget"  # still the loaded value: nothing expired it
    assert len(log) == 0

    s.refresh(item)
    assert len(selects(log)) == 1
    assert item.name == "elsewhere"
    assert item.qty == 9
    assert item.note == "first"
    s.close()


def test_refresh_named_attributes_loads_only_those(db, item_id):
    s = Session(db, expire_on_commit=False)
    item = s.get(Item, item_id)
    s.commit()
    change_elsewhere(
        db, "UPDATE er_items SET name = 'elsewhere', note = 'other' WHERE id = :id", id=item_id
    )
    s.refresh(item, ["name"])
    assert item.name == "elsewhere"
    assert item.note == "first"
    s.close()


def test_refresh_discards_unflushed_changes(db, item_id):
    s = Session(db)
    item = s.get(Item, item_id)
    item.qty = 50
    s.refresh(item)
    assert item.qty == 1
    assert item not in s.dirty
    s.close()


def test_refresh_with_for_update_reloads_and_locks_on_postgresql(db, item_id, backend, sql_log):
    s = Session(db)
    item = s.get(Item, item_id)
    s.execute(text("UPDATE er_items SET qty = 3 WHERE id = :id"), {"id": item_id})
    log = sql_log(db)
    s.refresh(item, with_for_update=True)
    assert item.qty == 3
    [select_sql] = selects(log)
    if backend == "postgresql":
        assert "FOR UPDATE" in select_sql.upper()
    s.close()


def test_get_with_populate_existing_overwrites_the_loaded_object(db, item_id, sql_log):
    s = Session(db, expire_on_commit=False)
    item = s.get(Item, item_id)
    s.commit()
    change_elsewhere(db, "UPDATE er_items SET name = 'elsewhere' WHERE id = :id", id=item_id)

    log = sql_log(db)
    assert s.get(Item, item_id) is item  # identity-map hit: no SQL, old value
    assert item.name == "widget"
    assert len(log) == 0

    assert s.get(Item, item_id, populate_existing=True) is item
    assert item.name == "elsewhere"
    assert len(selects(log)) == 1
    s.close()


# -- rows deleted elsewhere, detached objects ----------------------------------------------
def test_expired_attribute_of_row_deleted_elsewhere_raises_object_deleted_error(db, item_id):
    s = Session(db)
    item = s.get(Item, item_id)
    s.commit()  # expires item
    change_elsewhere(db, "DELETE FROM er_items WHERE id = :id", id=item_id)

    with pytest.raises(exc.ObjectDeletedError) as info:
        item.name
    assert isinstance(info.value, exc.InvalidRequestError)
    s.close()


def test_refresh_of_row_deleted_elsewhere_raises_object_deleted_error(db, item_id):
    s = Session(db, expire_on_commit=False)
    item = s.get(Item, item_id)
    s.commit()
    change_elsewhere(db, "DELETE FROM er_items WHERE id = :id", id=item_id)

    with pytest.raises(exc.ObjectDeletedError) as info:
        s.refresh(item)
    assert isinstance(info.value, exc.InvalidRequestError)
    s.close()


def test_expired_attribute_on_detached_object_raises_detached_instance_error(db, item_id):
    s = Session(db)
    item = s.get(Item, item_id)
    s.commit()  # expire_on_commit=True by default
    s.close()
    assert inspect(item).detached

    with pytest.raises(exc.DetachedInstanceError) as info:
        item.name
    assert "expire_on_commit" in str(info.value)


def test_expired_attribute_on_expunged_object_raises_detached_instance_error(db, item_id):
    s = Session(db)
    item = s.get(Item, item_id)
    s.expire(item, ["note"])
    s.expunge(item)
    assert item.name == "widget"  # loaded attributes stay readable
    with pytest.raises(exc.DetachedInstanceError):
        item.note
    s.close()


def test_expire_or_refresh_of_a_pending_object_raises_invalid_request_error(db):
    s = Session(db)
    pending = Item(name="pending")
    s.add(pending)
    with pytest.raises(exc.InvalidRequestError):
        s.expire(pending)
    with pytest.raises(exc.InvalidRequestError):
        s.refresh(pending)
    assert inspect(pending).pending
    s.close()


def test_expire_or_refresh_of_a_detached_object_raises_invalid_request_error(db, item_id):
    s = Session(db, expire_on_commit=False)
    item = s.get(Item, item_id)
    s.close()
    assert inspect(item).detached
    other = Session(db)
    with pytest.raises(exc.InvalidRequestError):
        other.expire(item)
    with pytest.raises(exc.InvalidRequestError):
        other.refresh(item)
    with pytest.raises(exc.InvalidRequestError):
        s.refresh(item)
    assert item.name == "widget"
    other.close()


# -- autoflush --------------------------------------------------------------------------------
def test_autoflush_before_a_query_lets_the_query_see_pending_objects(db, sql_log):
    s = Session(db)
    pending = Item(name="pending")
    s.add(pending)
    log = sql_log(db)
    found = s.scalars(select(Item).where(Item.name == "pending")).one()
    assert found is pending
    assert inspect(pending).persistent
    kinds = [sql.lstrip().split()[0].upper() for sql in log.sql]
    assert "INSERT" in kinds and "SELECT" in kinds
    assert kinds.index("INSERT") < kinds.index("SELECT")

    legacy = Item(name="legacy")
    s.add(legacy)
    assert s.query(Item).filter_by(name="legacy").one() is legacy
    s.close()


def test_no_autoflush_keeps_pending_objects_out_of_queries(db, sql_log):
    s = Session(db)
    pending = Item(name="pending")
    s.add(pending)
    log = sql_log(db)
    with s.no_autoflush:
        assert s.scalars(select(Item).where(Item.name == "pending")).all() == []
        assert inspect(pending).pending
    assert log.count("INSERT") == 0
    # Autoflush is back on after the block.
    assert s.scalars(select(Item).where(Item.name == "pending")).one() is pending
    assert log.count("INSERT") == 1
    s.close()


def test_session_with_autoflush_off_does_not_flush_before_queries(db, sql_log):
    s = Session(db, autoflush=False)
    pending = Item(name="pending")
    s.add(pending)
    log = sql_log(db)
    assert s.scalars(select(Item)).all() == []
    assert log.count("INSERT") == 0
    s.flush()
    assert s.scalars(select(Item)).all() == [pending]
    s.close()


def test_error_raised_during_autoflush_says_it_came_from_autoflush(db, item_id):
    s = Session(db)
    s.add(Item(name="widget"))  # duplicate of the committed item
    with pytest.raises(exc.IntegrityError) as info:
        s.scalars(select(Item)).all()
    assert "autoflush" in str(info.value).lower()
    s.rollback()
    assert [i.name for i in s.scalars(select(Item)).all()] == ["widget"]
    s.close()
