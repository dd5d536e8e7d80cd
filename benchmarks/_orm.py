"""The ORM side of every workload, written once against the SQLAlchemy 2.0 API.

Used by workloads_uow.py and workloads_sqla.py, which pass in their own library's ``Session``,
``select``, ``selectinload`` and models. Running the very same code for both ORMs keeps the
comparison honest: neither contender gets a workload written for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._backends import CHILDREN_PER_PARENT, W7_SAVEPOINTS, Database, item_row

Workload = Callable[[Any, int, dict[str, Any]], Any]


def make_check(inspect: Any) -> Callable[[str, Database, Any], None]:
    """Return ``check(workload, db, result)``: the keys the ORM gave the objects it created
    must be exactly the keys the database generated (checked after timing)."""

    def keys_match(objects: list[Any], db: Database, table: str, what: str) -> None:
        given = [inspect(obj).identity for obj in objects]
        if any(key is None for key in given):
            raise AssertionError(f"{what}: an object has no primary key after commit")
        given_ids = sorted(key[0] for key in given)
        conn = db.connect()
        try:
            cur = conn.cursor()
            cur.execute(f"SELECT id FROM {table} ORDER BY id")
            stored = [row[0] for row in cur.fetchall()]
            conn.commit()
        finally:
            conn.close()
        if given_ids != stored:
            raise AssertionError(f"{what}: the objects' keys differ from the keys in {table}")

    def check(workload: str, db: Database, result: Any) -> None:
        if workload == "W1":
            keys_match(result, db, "item", "W1")
        elif workload == "W6a":
            parents, children = result
            keys_match(parents, db, "parent", "W6a")
            keys_match(children, db, "child", "W6a")

    return check


def make_workloads(
    *, Session: Any, select: Any, selectinload: Any, Item: Any, Parent: Any, Child: Any
) -> dict[str, Workload]:
    """Return the workload functions ``fn(engine, n, inputs)`` for one ORM."""
    every = {
        **_write_workloads(Session=Session, select=select, Item=Item),
        **_read_workloads(Session=Session, select=select, Item=Item, Parent=Parent),
        **_family_workloads(
            Session=Session, select=select, selectinload=selectinload, Parent=Parent, Child=Child
        ),
    }
    return {
        key: every[key] for key in ("W1", "W2", "W3", "W4", "W5", "W6a", "W6b", "W7", "W8", "W9")
    }


def _write_workloads(*, Session: Any, select: Any, Item: Any) -> dict[str, Workload]:
    """The workloads that write items: W1, W4, W5, W7."""

    def w1_insert(engine: Any, n: int, inputs: dict[str, Any]) -> list[Any]:
        items = []
        with Session(engine) as session:
            for i in range(n):
                name, value, note = item_row(i)
                item = Item(name=name, value=value, note=note)
                session.add(item)
                items.append(item)
            session.commit()
        return items

    def w4_update(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        with Session(engine) as session:
            items = session.scalars(select(Item)).all()
            for item in items:
                item.value = item.value + 1
            session.commit()
        return len(items)

    def w5_delete(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        with Session(engine) as session:
            items = session.scalars(select(Item)).all()
            for item in items:
                session.delete(item)
            session.commit()
        return len(items)

    def w7_savepoints(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        with Session(engine) as session:
            for i in range(W7_SAVEPOINTS):
                with session.begin_nested():
                    name, value, note = item_row(i)
                    session.add(Item(name=name, value=value, note=note))
            session.commit()
        return W7_SAVEPOINTS

    return {
        "W1": w1_insert,
        "W4": w4_update,
        "W5": w5_delete,
        "W7": w7_savepoints,
    }


def _read_workloads(*, Session: Any, select: Any, Item: Any, Parent: Any) -> dict[str, Workload]:
    """The workloads that read: W2, W3, W8, W9."""

    def w2_load(engine: Any, n: int, inputs: dict[str, Any]) -> list[Any]:
        with Session(engine) as session:
            items = session.scalars(select(Item)).all()
        return items

    def w3_get(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        found = 0
        with Session(engine) as session:
            for key in inputs["keys"]:
                if session.get(Item, key) is not None:
                    found += 1
        return found

    def w8_select_one(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        found = 0
        with Session(engine) as session:
            for key in inputs["keys"]:
                stmt = select(Item).where(Item.id == key, Item.value >= 0)
                if session.scalars(stmt).one() is not None:
                    found += 1
        return found

    def w9_lazy_children(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        touched = 0
        with Session(engine) as session:
            for parent in session.scalars(select(Parent)).all():
                for child in parent.children:  # one lazy load per parent
                    child.name  # noqa: B018 - touching each child is the workload
                    touched += 1
        return touched

    return {
        "W2": w2_load,
        "W3": w3_get,
        "W8": w8_select_one,
        "W9": w9_lazy_children,
    }


def _family_workloads(
    *, Session: Any, select: Any, selectinload: Any, Parent: Any, Child: Any
) -> dict[str, Workload]:
    """The parent/children workloads: W6a (write), W6b (eager load)."""

    def w6a_family(engine: Any, n: int, inputs: dict[str, Any]) -> list[Any]:
        parents, children = [], []
        with Session(engine) as session:
            for i in range(n // 10):
                parent = Parent(name=f"parent {i}")
                for j in range(CHILDREN_PER_PARENT):
                    child = Child(name=f"child {i}.{j}")
                    parent.children.append(child)
                    children.append(child)
                session.add(parent)
                parents.append(parent)
            session.commit()
        return [parents, children]

    def w6b_family_load(engine: Any, n: int, inputs: dict[str, Any]) -> int:
        touched = 0
        with Session(engine) as session:
            stmt = select(Parent).options(selectinload(Parent.children))
            for parent in session.scalars(stmt).all():
                for child in parent.children:
                    child.name  # noqa: B018 - touching each child is the workload
                    touched += 1
        return touched

    return {"W6a": w6a_family, "W6b": w6b_family_load}
