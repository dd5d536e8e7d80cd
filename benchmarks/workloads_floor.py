"""The pure-Python floor: the least Python an identity-mapped ORM can run for each workload.

Loaded by ``benchmarks._worker`` when ``--contenders`` names ``floor``. It is not an ORM and
not a contender to beat: it is a measure of what stands between raw DBAPI and any pure-Python
unit of work that gives the workloads the objects they ask for. Written by hand for these
workloads only, it keeps just the work the ORM contract makes unavoidable:

- objects of plain classes with a ``__dict__``, one per row, held weakly by an identity map
  (a dict per class keyed by the bare primary key, the cheapest layout) through a small
  state object (a ``weakref.ref`` subclass with slots) that knows the object's key and its
  changes;
- attribute sets on loaded objects recorded (``__setattr__``), so a commit writes exactly
  the changed columns; each value bound checked against its column's Python type;
- the keys the database generates written back to new objects (``RETURNING``), a savepoint
  per ``begin_nested()``, expire-on-commit, a foreign key copied from parent to children, a
  collection append that sets the child's back reference;
- for W8, a statement built from small expression objects (``Item.id == k`` makes a
  comparison holding a bound value), a structural cache key, the SQL text looked up by it.

Everything else an ORM does (events, options, cascades in general, inheritance, error
messages) is left out, so a ratio to raw DBAPI here is a lower bound for any pure-Python
design, not a target.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

from ._backends import CHILDREN_PER_PARENT, W7_SAVEPOINTS, Database, item_row

NAME = "floor"
LABEL = "pure-Python floor"


def version() -> str:
    return "hand-written, benchmarks/workloads_floor.py"


# -- objects, states, the identity map ------------------------------------------------------
class State(weakref.ref):  # type: ignore[type-arg]
    """An object's bookkeeping: its key, the per-class map holding it, its old values."""

    __slots__ = ("committed", "key", "map")


def _gone(state: State) -> None:
    """The object was garbage collected: its entry leaves the identity map."""
    m = state.map
    if m.get(state.key) is state:
        del m[state.key]


class Model:
    """A mapped class: keyword constructor, changes of loaded objects recorded."""

    table = ""
    columns: tuple[str, ...] = ()
    types: tuple[type, ...] = ()
    typemap: dict[str, type] = {}
    nullable: frozenset[str] = frozenset()
    colset: frozenset[str] = frozenset()
    session: Floor | None = None  # the one session of a workload (set by Floor)

    def __init__(self, **kw: Any) -> None:
        colset = self.colset
        for k in kw:
            if k not in colset:
                raise TypeError(f"{k!r} is not an attribute of {type(self).__name__}")
        self.__dict__.update(kw)

    def __setattr__(self, key: str, value: Any) -> None:
        d = self.__dict__
        st = d.get("_st")
        if st is not None and key in self.colset:
            committed = st.committed
            if committed is None:
                st.committed = committed = {}
                assert self.session is not None
                self.session.dirty.append(st)
            if key not in committed:
                committed[key] = d.get(key)
        d[key] = value


def _model(name: str, table: str, columns: dict[str, type], nullable: Iterable[str]) -> Any:
    cls = type(name, (Model,), {})
    cls.table = table
    cls.columns = ("id", *columns)
    cls.types = (int, *columns.values())
    cls.nullable = frozenset(nullable)
    cls.colset = frozenset(cls.columns)
    cls.typemap = dict(zip(cls.columns, cls.types))
    return cls


Item = _model("Item", "item", {"name": str, "value": int, "note": str}, ["note"])
Child = _model("Child", "child", {"parent_id": int, "name": str}, [])


class ChildList(list):  # type: ignore[type-arg]
    """``parent.children``: an append sets the child's back reference."""

    __slots__ = ("parent",)

    def append(self, child: Any) -> None:
        child.__dict__["parent"] = self.parent
        list.append(self, child)


class _ParentBase(Model):
    def __getattr__(self, key: str) -> Any:
        # only called for a missing attribute: ``children`` not loaded yet, a lazy load
        if key != "children":
            raise AttributeError(key)
        st = self.__dict__.get("_st")
        kids = ChildList()
        kids.parent = self
        if st is not None:
            assert self.session is not None
            kids.extend(self.session.lazy_children(st.key))
        self.__dict__["children"] = kids
        return kids


Parent = type("Parent", (_ParentBase,), {})
Parent.table, Parent.columns, Parent.types = "parent", ("id", "name"), (int, str)
Parent.nullable, Parent.colset = frozenset(), frozenset(Parent.columns)
Parent.typemap = dict(zip(Parent.columns, Parent.types))


# -- a statement, for W8 ---------------------------------------------------------------------
class Bind:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Comparison:
    __slots__ = ("column", "op", "right")

    def __init__(self, column: str, op: str, right: Bind) -> None:
        self.column, self.op, self.right = column, op, right


class ColumnRef:
    """``Item.id``: comparisons make `Comparison` objects holding a `Bind`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: Any) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "=", Bind(other))

    def __ge__(self, other: Any) -> Comparison:
        return Comparison(self.name, ">=", Bind(other))

    __hash__ = object.__hash__


class Select:
    __slots__ = ("entity", "where_")

    def __init__(self, entity: Any, where_: tuple[Comparison, ...] = ()) -> None:
        self.entity, self.where_ = entity, where_

    def where(self, *criteria: Comparison) -> Select:
        return Select(self.entity, self.where_ + criteria)


ITEM_ID, ITEM_VALUE = ColumnRef("id"), ColumnRef("value")


# -- the session -----------------------------------------------------------------------------
class Floor:
    """One DBAPI connection, the identity map, new / dirty / deleted states."""

    def __init__(self, db: Database) -> None:
        self.conn = db.connect()
        self.sqlite = db.backend == "sqlite"
        self.p = db.placeholder
        self.imap: dict[type, dict[Any, State]] = {Item: {}, Parent: {}, Child: {}}
        self.new: list[Any] = []
        self.dirty: list[State] = []
        self.deleted: list[State] = []
        self.sql_cache: dict[Any, str] = {}
        self.cur: Any = None
        for cls in (Item, Parent, Child):
            cls.session = self

    # transaction
    def begin(self) -> Any:
        if self.cur is None:
            self.cur = self.conn.cursor()
            if self.sqlite:
                self.cur.execute("BEGIN")
        return self.cur

    def finish(self) -> None:
        """End the transaction without expiring anything (a read-only session closing)."""
        if self.cur is not None:
            if self.sqlite:
                self.cur.execute("COMMIT")
            else:
                self.conn.commit()
            self.cur = None

    def commit(self) -> None:
        self.flush()
        self.finish()
        for m in self.imap.values():  # expire on commit
            for st in list(m.values()):
                obj = st()
                if obj is not None:
                    d = obj.__dict__
                    for k in obj.columns:
                        d.pop(k, None)

    # loading
    def builder(self, cls: Any) -> Callable[[tuple[Any, ...]], Any]:
        m, cols, new = self.imap[cls], cls.columns, object.__new__

        def build(row: tuple[Any, ...]) -> Any:
            pk = row[0]
            st = m.get(pk)
            if st is not None:
                obj = st()
                if obj is not None:
                    return obj
            obj = new(cls)
            d = obj.__dict__
            d.update(zip(cols, row))
            st = State(obj, _gone)
            st.key, st.map, st.committed = pk, m, None
            d["_st"] = st
            m[pk] = st
            return obj

        return build

    def load(self, cls: Any, sql: str, params: Any = ()) -> list[Any]:
        cur = self.begin()
        cur.execute(sql, params)
        build = self.builder(cls)
        return [build(r) for r in cur.fetchall()]

    def lazy_children(self, parent_id: Any) -> list[Any]:
        return self.load(
            Child, f"SELECT id, parent_id, name FROM child WHERE parent_id = {self.p}", (parent_id,)
        )

    def execute_select(self, stmt: Select) -> list[Any]:
        crit = stmt.where_
        key = (stmt.entity, tuple([(c.column, c.op, c.right.value.__class__) for c in crit]))
        sql = self.sql_cache.get(key)
        if sql is None:
            cls = stmt.entity
            where = " AND ".join(f"{c.column} {c.op} {self.p}" for c in crit)
            sql = self.sql_cache[key] = (
                f"SELECT {', '.join(cls.columns)} FROM {cls.table} WHERE {where}"
            )
        return self.load(stmt.entity, sql, [c.right.value for c in crit])

    # writing
    def add(self, obj: Any) -> None:
        self.new.append(obj)

    def delete(self, obj: Any) -> None:
        self.deleted.append(obj.__dict__["_st"])

    def _values(self, cls: Any, obj: Any, cols: tuple[str, ...]) -> list[Any]:
        d = obj.__dict__
        vals = [d.get(k) for k in cols]
        for k, v, t in zip(cols, vals, [cls.typemap[c] for c in cols]):
            if v is None:
                if k not in cls.nullable:
                    raise ValueError(f"{cls.__name__}.{k} is NULL")
            elif not isinstance(v, t):
                raise TypeError(f"{cls.__name__}.{k}: {v!r}")
        return vals

    def _insert_sql(self, cls: Any, nrows: int) -> str:
        """``INSERT ... VALUES (...) x nrows RETURNING id``, made once per shape."""
        sql = self.sql_cache.get((cls, nrows))
        if sql is None:
            cols = cls.columns[1:]
            one = f"({', '.join([self.p] * len(cols))})"
            sql = self.sql_cache[(cls, nrows)] = (
                f"INSERT INTO {cls.table} ({', '.join(cols)}) VALUES "
                + ", ".join([one] * nrows)
                + " RETURNING id"
            )
        return sql

    def _insert(self, cls: Any, objs: list[Any]) -> None:
        cols = cls.columns[1:]
        rows = [self._values(cls, o, cols) for o in objs]
        cur = self.begin()
        if self.sqlite:  # multi-row VALUES ... RETURNING, keys matched in order (as uow_orm)
            per = 999 // len(cols)
            ids: list[Any] = []
            for i in range(0, len(rows), per):
                chunk = rows[i : i + per]
                cur.execute(self._insert_sql(cls, len(chunk)), [v for r in chunk for v in r])
                ids.extend(sorted(r[0] for r in cur.fetchall()))
        else:
            cur.executemany(self._insert_sql(cls, 1), rows, returning=True)
            ids = []
            while True:
                ids.append(cur.fetchone()[0])
                if not cur.nextset():
                    break
        m = self.imap[cls]
        for obj, pk in zip(objs, ids):
            d = obj.__dict__
            d["id"] = pk
            st = State(obj, _gone)
            st.key, st.map, st.committed = pk, m, None
            d["_st"] = st
            m[pk] = st

    def flush(self) -> None:
        if self.new:
            new, self.new = self.new, []
            parents = [o for o in new if isinstance(o, Parent)]
            children = [o for o in new if isinstance(o, Child)]
            for parent in parents:  # save-update cascade along parent.children
                children.extend(parent.__dict__.get("children", ()))
            for cls, objs in ((Item, [o for o in new if isinstance(o, Item)]), (Parent, parents)):
                if objs:
                    self._insert(cls, objs)
            if children:
                for child in children:  # the foreign key, copied from the parent's new key
                    child.__dict__["parent_id"] = child.__dict__["parent"].__dict__["id"]
                self._insert(Child, children)
        if self.dirty:
            dirty, self.dirty = self.dirty, []
            groups: dict[tuple[Any, tuple[str, ...]], list[list[Any]]] = {}
            for st in dirty:
                obj = st()
                cols = tuple(st.committed)
                groups.setdefault((type(obj), cols), []).append(
                    [*self._values(type(obj), obj, cols), st.key]
                )
                st.committed = None
            cur = self.begin()
            for (cls, cols), rows in groups.items():
                sets = ", ".join(f"{c} = {self.p}" for c in cols)
                cur.executemany(f"UPDATE {cls.table} SET {sets} WHERE id = {self.p}", rows)
        if self.deleted:
            deleted, self.deleted = self.deleted, []
            cur = self.begin()
            cur.executemany(f"DELETE FROM item WHERE id = {self.p}", [(st.key,) for st in deleted])
            for st in deleted:
                st.map.pop(st.key, None)

    def savepoint(self, depth: int) -> tuple[str, list[Any]]:
        name = f"sp_{depth}"
        self.begin().execute(f"SAVEPOINT {name}")
        return name, list(self.new)  # what a rollback would make transient again

    def release(self, name: str) -> None:
        self.flush()
        self.cur.execute(f"RELEASE SAVEPOINT {name}")


def open(db: Database) -> Floor:
    return Floor(db)


def close(floor: Floor) -> None:
    floor.conn.close()


# -- the workloads, as the ORMs run them -----------------------------------------------------
def w1_insert(s: Floor, n: int, inputs: dict[str, Any]) -> list[Any]:
    items = []
    for i in range(n):
        name, value, note = item_row(i)
        item = Item(name=name, value=value, note=note)
        s.add(item)
        items.append(item)
    s.commit()
    return items


def w2_load(s: Floor, n: int, inputs: dict[str, Any]) -> list[Any]:
    items = s.load(Item, "SELECT id, name, value, note FROM item")
    s.finish()
    return items


def w3_get(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    found = 0
    m = s.imap[Item]
    sql = f"SELECT id, name, value, note FROM item WHERE id = {s.p}"
    for key in inputs["keys"]:
        st = m.get(key)
        obj = st() if st is not None else None
        if obj is None:
            got = s.load(Item, sql, (key,))
            obj = got[0] if got else None
        if obj is not None:
            found += 1
    s.finish()
    return found


def w4_update(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    items = s.load(Item, "SELECT id, name, value, note FROM item")
    for item in items:
        item.value = item.value + 1
    s.commit()
    return len(items)


def w5_delete(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    items = s.load(Item, "SELECT id, name, value, note FROM item")
    for item in items:
        s.delete(item)
    s.commit()
    return len(items)


def w6a_family(s: Floor, n: int, inputs: dict[str, Any]) -> list[Any]:
    parents, children = [], []
    for i in range(n // 10):
        parent = Parent(name=f"parent {i}")
        for j in range(CHILDREN_PER_PARENT):
            child = Child(name=f"child {i}.{j}")
            parent.children.append(child)
            children.append(child)
        s.add(parent)
        parents.append(parent)
    s.commit()
    return [parents, children]


def w6b_family_load(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    parents = s.load(Parent, "SELECT id, name FROM parent")
    by_parent: dict[Any, Any] = {}
    for parent in parents:
        kids = ChildList()
        kids.parent = parent
        parent.__dict__["children"] = by_parent[parent.__dict__["id"]] = kids
    ids = list(by_parent)
    for i in range(0, len(ids), 500):  # selectin: 500 keys per IN, as the ORMs do
        chunk = ids[i : i + 500]
        marks = ", ".join([s.p] * len(chunk))
        sql = f"SELECT id, parent_id, name FROM child WHERE parent_id IN ({marks})"
        for child in s.load(Child, sql, chunk):
            list.append(by_parent[child.__dict__["parent_id"]], child)
    s.finish()
    touched = 0
    for parent in parents:
        for child in parent.children:
            child.__dict__.get("name")
            touched += 1
    return touched


def w7_savepoints(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    for i in range(W7_SAVEPOINTS):
        name, _snapshot = s.savepoint(1)
        item_name, value, note = item_row(i)
        s.add(Item(name=item_name, value=value, note=note))
        s.release(name)
    s.commit()
    return W7_SAVEPOINTS


def w8_select_one(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    found = 0
    for key in inputs["keys"]:
        stmt = Select(Item).where(ITEM_ID == key, ITEM_VALUE >= 0)  # noqa: SIM300 - as the ORMs
        got = s.execute_select(stmt)
        if len(got) != 1:
            raise AssertionError("W8: expected one row")
        found += 1
    s.finish()
    return found


def w9_lazy_children(s: Floor, n: int, inputs: dict[str, Any]) -> int:
    touched = 0
    for parent in s.load(Parent, "SELECT id, name FROM parent"):
        for child in parent.children:  # one lazy load per parent (__getattr__)
            child.__dict__["name"]
            touched += 1
    s.finish()
    return touched


def check(workload: str, db: Database, result: Any) -> None:
    """The keys given to created objects are the keys the database generated."""
    if workload not in ("W1", "W6a"):
        return
    groups = (
        [("item", result)] if workload == "W1" else [("parent", result[0]), ("child", result[1])]
    )
    conn = db.connect()
    try:
        cur = conn.cursor()
        for table, objs in groups:
            cur.execute(f"SELECT id FROM {table} ORDER BY id")
            stored = [r[0] for r in cur.fetchall()]
            if sorted(o.__dict__["_st"].key for o in objs) != stored:
                raise AssertionError(f"{workload}: keys differ from the keys in {table}")
        conn.commit()
    finally:
        conn.close()


WORKLOADS = {
    "W1": w1_insert,
    "W2": w2_load,
    "W3": w3_get,
    "W4": w4_update,
    "W5": w5_delete,
    "W6a": w6a_family,
    "W6b": w6b_family_load,
    "W7": w7_savepoints,
    "W8": w8_select_one,
    "W9": w9_lazy_children,
}
