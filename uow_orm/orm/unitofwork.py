"""The unit of work: turn the session's new / dirty / deleted objects into an ordered plan.

Called only by ``Session.flush``. Works out cascades that happen at flush time
(orphans, children of deleted parents), synchronises foreign keys from related objects,
orders mappers by foreign-key dependency (rows of self-referential tables level by level)
and hands batches to `uow_orm.orm.persistence`. The session's bookkeeping is changed
only after every statement succeeded (``finalize``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import exc
from ..schema import topological_sort
from . import persistence
from .relationships import Direction, RelationshipProperty
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from .mapper import Mapper
    from .session import Session


def _state(obj: Any) -> InstanceState:
    return obj.__dict__[STATE_ATTR]  # type: ignore[no-any-return]


def _difference(items: list[Any], other: list[Any]) -> list[Any]:
    """The objects of ``items`` that are not in ``other``, by identity (linear time)."""
    ids = {id(o) for o in other}
    return [o for o in items if id(o) not in ids]


class FlushPlan:
    """One flush: what to insert, update and delete, and in which order."""

    def __init__(self, session: Session, objects: Iterable[Any] | None = None) -> None:
        self.session = session
        only: set[InstanceState] | None = None
        if objects is not None:
            only = {_state(o) for o in objects}
        # session._new is a dict, so it keeps the order objects were added in
        self.new: list[InstanceState] = (
            list(session._new) if only is None else [s for s in session._new if s in only]
        )
        self.deleted: dict[InstanceState, None] = {
            s: None for s in session._deleted if only is None or s in only
        }
        self.inserted: list[InstanceState] = []
        self.saved: list[InstanceState] = []
        self.deleted_done: list[InstanceState] = []
        # child state -> [(parent state, one-to-many relationship)]
        self.child_syncs: dict[InstanceState, list[tuple[InstanceState, RelationshipProperty]]] = {}
        # child state -> [(relationship, the parent it left)]
        self.child_nulls: dict[InstanceState, list[tuple[RelationshipProperty, Any]]] = {}
        self.late: set[InstanceState] = set()
        self.m2m_add: list[tuple[RelationshipProperty, InstanceState, InstanceState]] = []
        self.m2m_remove: list[tuple[RelationshipProperty, InstanceState, InstanceState]] = []
        self.post_updates: dict[InstanceState, list[tuple[RelationshipProperty, Any, bool]]] = {}
        self.only = only

    # -- preparation ----------------------------------------------------------------------
    def _dirty(self) -> list[InstanceState]:
        only = self.only
        return [
            s
            for s in list(self.session._modified)
            if s.key is not None
            and not s.deleted
            and s not in self.deleted
            and (only is None or s in only)
        ]

    def prepare(self) -> None:
        session = self.session
        dirty = self._dirty()
        for st in self.new + dirty:
            st.mapper._ensure_configured()
        imap = session.identity_map
        for st in self.new:
            if (
                st.mapper.autoinc_key is not None
                and st().__dict__.get(st.mapper.autoinc_key) is None
            ):
                continue  # the database gives it a new key: no conflict possible
            pk = tuple(st().__dict__.get(k) for k in st.mapper.pk_keys)
            if None in pk:
                continue
            other = imap.state_for(st.mapper.identity_key_from_pk(pk))
            if (
                other is not None
                and other is not st
                and other() is not None
                and other not in self.deleted
            ):
                raise exc.FlushError(
                    f"new {st.mapper.class_.__name__} object with primary key {pk} conflicts "
                    "with the persistent object of that identity already in this session; "
                    "use session.merge() to update the existing object instead"
                )
        self._orphans()
        self._deleted_parents()
        new_set = set(self.new)
        for st in self.new + self._dirty():
            if not st.mapper.relationships:
                continue
            is_new = st in new_set
            d = st().__dict__
            committed = st.committed or {}
            for prop in st.mapper.relationships.values():
                if prop.viewonly:
                    continue
                key = prop.key
                if not is_new and key not in committed:
                    continue
                if key not in d:
                    continue
                current = d[key]
                if prop.uselist:
                    cur_items = list(current or [])
                    old = [] if is_new else committed.get(key, NO_VALUE)
                    if not old or old is NO_VALUE:  # a new collection: everything is added
                        added, removed = cur_items, []
                    else:
                        added, removed = _difference(cur_items, old), _difference(old, cur_items)
                    if prop.direction is Direction.ONETOMANY:
                        for child in added:
                            cs = _state(child)
                            self.child_syncs.setdefault(cs, []).append((st, prop))
                            self._ensure_saved(cs)
                        for child in removed:
                            cs = _state(child)
                            if cs in self.deleted or cs.deleted:
                                continue
                            if "delete-orphan" in prop.cascade:
                                continue  # handled by _orphans
                            self.child_nulls.setdefault(cs, []).append((prop, st()))
                            self._ensure_saved(cs)
                    elif prop.direction is Direction.MANYTOMANY:
                        for child in added:
                            self.m2m_add.append((prop, st, _state(child)))
                            self._ensure_saved(_state(child))
                        for child in removed:
                            self.m2m_remove.append((prop, st, _state(child)))
                else:
                    if prop.direction is Direction.ONETOMANY:  # one-to-one, FK on the target
                        old = None if is_new else committed.get(key, NO_VALUE)
                        if current is not None and current is not old:
                            cs = _state(current)
                            self.child_syncs.setdefault(cs, []).append((st, prop))
                            self._ensure_saved(cs)
                        if old not in (None, NO_VALUE) and old is not current:
                            cs = _state(old)
                            if cs not in self.deleted and not cs.deleted:
                                if "delete-orphan" not in prop.cascade:
                                    self.child_nulls.setdefault(cs, []).append((prop, st()))
                                    self._ensure_saved(cs)
                    elif current is not None:
                        self._ensure_saved(_state(current))
        _ = session

    def _ensure_saved(self, st: InstanceState) -> None:
        if st.session is not self.session:
            if st.key is None and st.session is None:
                raise exc.FlushError(
                    f"{st.mapper.class_.__name__} object {st()!r} is related to an object "
                    "being flushed but is not in the session (its relationship has no "
                    "'save-update' cascade); add it with session.add()"
                )

    def _orphans(self) -> None:
        """Children removed from a delete-orphan collection, or whose many-to-one was set to
        None, are deleted (with their own delete cascade)."""
        session = self.session
        orphans: list[InstanceState] = []
        for st in [*self._dirty(), *self.deleted]:
            committed = st.committed or {}
            if not committed:
                continue
            d = st().__dict__
            for prop in st.mapper.relationships.values():
                rev = prop.reverse
                if (
                    prop.direction is Direction.MANYTOONE
                    and rev is not None
                    and "delete-orphan" in rev.cascade
                    and prop.key in committed
                ):
                    # an unknown old value (NO_VALUE) is not a parent that was taken away
                    if (
                        d.get(prop.key) is None
                        and committed[prop.key] is not None
                        and committed[prop.key] is not NO_VALUE
                        and st not in self.deleted
                        and st.key is not None
                    ):
                        orphans.append(st)  # its parent was taken away
                    continue
                if "delete-orphan" not in prop.cascade or prop.key not in committed:
                    continue
                old = committed[prop.key]
                if old is NO_VALUE or old is None:
                    continue
                old_items = old if prop.uselist else [old]
                cur = d.get(prop.key)
                cur_items = list(cur or []) if prop.uselist else ([cur] if cur is not None else [])
                for child in _difference(list(old_items), cur_items):
                    cs = _state(child)
                    if cs.key is None:
                        session._new.pop(cs, None)
                        continue
                    rev = prop.reverse
                    if rev is not None and not rev.uselist:
                        new_parent = child.__dict__.get(rev.key)
                        if new_parent is not None and new_parent is not st():
                            continue  # moved to another parent
                    orphans.append(cs)
        for cs in orphans:
            if cs not in self.deleted and not cs.deleted:
                session._delete_cascade(cs)
        for extra in session._deleted:
            if extra not in self.deleted:
                self.deleted[extra] = None

    def _deleted_parents(self) -> None:
        """NULL the keys of children whose parent is deleted without a delete cascade."""
        for st in list(self.deleted):
            mapper = st.mapper
            mapper._ensure_configured()
            for prop in mapper.relationships.values():
                if prop.viewonly or prop.direction is not Direction.ONETOMANY:
                    continue
                if "delete" in prop.cascade:
                    continue
                d = st().__dict__
                if prop.passive_deletes and prop.key not in d:
                    continue
                value = d.get(prop.key, NO_VALUE)
                if value is NO_VALUE:
                    from .loading import lazy_load

                    value = lazy_load(st, prop)
                items = list(value or []) if prop.uselist else ([value] if value else [])
                for child in items:
                    cs = _state(child)
                    if cs in self.deleted or cs.deleted or cs.key is None:
                        continue
                    self.child_nulls.setdefault(cs, []).append((prop, st()))

    # -- synchronisation ----------------------------------------------------------------
    def _set_fk(self, st: InstanceState, key: str, value: Any) -> None:
        d = st().__dict__
        old = d.get(key, NO_VALUE)
        if old is value or (old is not NO_VALUE and old == value and type(old) is type(value)):
            return
        if st.key is not None:
            st.record_change(key, old)
        d[key] = value

    def _sync(self, st: InstanceState) -> None:
        """Copy keys of related objects into this object's foreign key attributes."""
        mapper = st.mapper
        if not mapper.relationships and st not in self.child_syncs and st not in self.child_nulls:
            return
        d = st().__dict__
        committed = st.committed or {}
        is_new = st.key is None
        for prop in mapper.relationships.values():
            if prop.viewonly or prop.direction is not Direction.MANYTOONE:
                continue
            if not is_new and prop.key not in committed:
                continue
            target = d.get(prop.key, NO_VALUE)
            if target is NO_VALUE:
                continue
            self._sync_pairs(st, prop, target, prop.local_remote_pairs, fk_on_local=True)
        for parent, prop in self.child_syncs.get(st, ()):
            rev = prop.reverse
            if (
                rev is not None
                and not rev.uselist
                and d.get(rev.key) is parent()
                and (is_new or rev.key in committed)
            ):
                continue  # the many-to-one side above already copied the same key
            pairs = [(remote, local) for local, remote in prop.local_remote_pairs]
            self._sync_pairs(st, prop, parent(), pairs, fk_on_local=True)
        for prop, old_parent in self.child_nulls.get(st, ()):
            if any(p is prop for _, p in self.child_syncs.get(st, ())):
                continue
            if self._reattached(st, prop, old_parent):
                continue
            for _, remote in prop.local_remote_pairs:
                key = mapper.column_to_key[remote]
                if remote.primary_key:
                    raise exc.FlushError(
                        f"cannot remove {mapper.class_.__name__} {st.identity} from "
                        f"{prop}: its foreign key {remote.name} is part of its primary key; "
                        "use cascade='all, delete-orphan' to delete it instead"
                    )
                self._set_fk(st, key, None)

    def _reattached(self, st: InstanceState, prop: RelationshipProperty, old_parent: Any) -> bool:
        """True when the child now belongs to another parent (which sets its key)."""
        rev = prop.reverse
        if rev is None or rev.uselist:
            return False
        parent = st().__dict__.get(rev.key)
        return parent is not None and parent is not old_parent

    def _sync_pairs(
        self,
        st: InstanceState,
        prop: RelationshipProperty,
        target: Any,
        pairs: list[Any],
        fk_on_local: bool,
    ) -> None:
        mapper = st.mapper
        if prop.post_update:
            self.post_updates.setdefault(st, []).append((prop, target, target is None))
            return
        for local, remote in pairs:
            key = mapper.column_to_key[local]
            if target is None:
                value = None
            else:
                ts = _state(target)
                rkey = ts.mapper.column_to_key[remote]
                if ts.key is None and ts in self.session._new:
                    # the target row is inserted later in this flush
                    self.late.add(st)
                    return
                value = target.__dict__.get(rkey, NO_VALUE)
                if value is NO_VALUE:
                    if ts.key is None:
                        continue
                    value = getattr(target, rkey)
                if value is None:
                    continue
            self._set_fk(st, key, value)

    # -- ordering -------------------------------------------------------------------------
    def _mapper_order(self, mappers: list[Mapper]) -> list[Mapper]:
        if len(mappers) == 1:
            return mappers
        deps = {m: m.table_dependencies(mappers) for m in mappers}
        return topological_sort(mappers, deps, what="tables", name=lambda m: m.local_table.name)

    def _levels(self, states: list[InstanceState], mapper: Mapper) -> list[list[InstanceState]]:
        """Split self-referential inserts so that referenced rows go first."""
        if len(states) < 2 or not (
            mapper.self_referential
            or any(
                fk.target_table_name == mapper.local_table.name
                for fk in mapper.local_table.foreign_keys
            )
        ):
            return [states]
        members = set(states)
        deps: dict[InstanceState, list[InstanceState]] = {s: [] for s in states}
        for s in states:
            d = s().__dict__
            for prop in mapper.self_referential:
                if prop.direction is Direction.MANYTOONE:
                    t = d.get(prop.key)
                    if t is not None and _state(t) in members:
                        deps[s].append(_state(t))
            for parent, _prop in self.child_syncs.get(s, ()):
                if parent in members:
                    deps[s].append(parent)
        # plain foreign key values that name another new row of the same table
        self_fks = [
            fk
            for fk in mapper.local_table.foreign_keys
            if fk.target_table_name == mapper.local_table.name
        ]
        if self_fks:
            by_pk: dict[tuple[Any, ...], InstanceState] = {}
            for s in states:
                pk = tuple(s().__dict__.get(k) for k in mapper.pk_keys)
                if None not in pk:
                    by_pk[pk] = s
            for s in states:
                for fk in self_fks:
                    key = mapper.column_to_key.get(fk.parent)  # type: ignore[arg-type]
                    v = s().__dict__.get(key) if key is not None else None
                    target = by_pk.get((v,)) if v is not None else None
                    if target is not None and target is not s:
                        deps[s].append(target)
        return _layer(states, deps, mapper)

    def _delete_levels(
        self, states: list[InstanceState], mapper: Mapper
    ) -> list[list[InstanceState]]:
        """Self-referential deletes: rows that others reference go last."""
        self_fks = [
            fk
            for fk in mapper.local_table.foreign_keys
            if fk.target_table_name == mapper.local_table.name
        ]
        if not self_fks or len(states) < 2:
            return [states]
        by_pk: dict[tuple[Any, ...], InstanceState] = {
            s.key[1]: s for s in states if s.key is not None
        }
        deps: dict[InstanceState, list[InstanceState]] = {s: [] for s in states}
        for s in states:
            committed = s.committed or {}
            for fk in self_fks:
                key = mapper.column_to_key.get(fk.parent)  # type: ignore[arg-type]
                if key is None:
                    continue
                v = committed.get(key, NO_VALUE)
                if v is NO_VALUE:
                    v = s().__dict__.get(key, NO_VALUE)
                if v is NO_VALUE:
                    v = getattr(s(), key)
                parent = by_pk.get((v,))
                if parent is not None and parent is not s:
                    deps[parent].append(s)  # the parent waits for its children
        return _layer(states, deps, mapper)

    # -- execution ------------------------------------------------------------------------
    def execute(self) -> None:
        session = self.session
        self.prepare()
        dirty = self._dirty()
        mappers: list[Mapper] = []
        for st in [*self.new, *dirty, *self.deleted]:
            if st.mapper not in mappers:
                mappers.append(st.mapper)
        for st in self.child_nulls:
            if st.mapper not in mappers:
                mappers.append(st.mapper)
        order = self._mapper_order(mappers)
        new_by_mapper: dict[Mapper, list[InstanceState]] = {}
        for st in self.new:
            new_by_mapper.setdefault(st.mapper, []).append(st)
        for mapper in order:
            conn = session._connection_for_mapper(mapper)
            inserts = new_by_mapper.get(mapper, [])
            updates = [s for s in dirty if s.mapper is mapper]
            seen = set(updates)
            extra: list[InstanceState] = []
            for s in [*self.child_nulls, *self.child_syncs]:
                if (
                    s.mapper is mapper
                    and s.key is not None
                    and s not in seen
                    and s not in self.deleted
                ):
                    seen.add(s)
                    extra.append(s)
            candidates = updates + extra
            self.late.clear()
            for st in candidates:
                self._sync(st)
            # UPDATEs first (like SQLAlchemy): a replaced row gives up its unique key before
            # the new one is inserted; rows that point at new rows wait for them.
            waiting = set(self.late)
            early = [s for s in candidates if s not in waiting]
            persistence.update_states(conn, mapper, early)
            self.saved.extend(early)
            for level in self._levels(inserts, mapper):
                self.late.clear()
                for st in level:
                    self._sync(st)
                if self.late:
                    raise exc.CircularDependencyError(
                        f"rows of {mapper.local_table.name!r} refer to rows that are inserted "
                        "after them (a cycle between tables); set post_update=True on one "
                        "of the relationships"
                    )
                persistence.insert_states(conn, mapper, level)
                self.inserted.extend(level)
                # their keys are known now: give them an identity early
                cls = mapper.class_
                pk_keys = mapper.pk_keys
                if len(pk_keys) == 1:
                    pk_key = pk_keys[0]
                    for st in level:
                        st.key = (cls, (st().__dict__[pk_key],), None)
                        if st.key[1][0] is None:
                            _check_pk(st)
                else:
                    for st in level:
                        d = st().__dict__
                        st.key = (cls, tuple([d[k] for k in pk_keys]), None)
                        _check_pk(st)
            late = [s for s in candidates if s in waiting]
            if late:
                self.late.clear()
                for st in late:
                    self._sync(st)
                persistence.update_states(conn, mapper, late)
                self.saved.extend(late)
        if self.post_updates or (
            self.deleted and any(s.mapper.post_update_cols for s in self.deleted)
        ):
            self._post_updates()
        if self.m2m_add or self.m2m_remove or self.deleted:
            self._secondary()
        if not self.deleted:
            return
        for mapper in reversed(order):
            deletes = [s for s in self.deleted if s.mapper is mapper and s.key is not None]
            if not deletes:
                continue
            conn = session._connection_for_mapper(mapper)
            for level in self._delete_levels(deletes, mapper):
                persistence.delete_states(conn, mapper, level)
            self.deleted_done.extend(deletes)

    def _post_updates(self) -> None:
        by_mapper: dict[Mapper, list[tuple[InstanceState, dict[str, Any]]]] = {}
        for st, items in self.post_updates.items():
            if st.key is None or st in self.deleted:
                continue
            values: dict[str, Any] = {}
            for prop, target, _is_none in items:
                if prop.direction is Direction.MANYTOONE:
                    pairs = prop.local_remote_pairs
                else:
                    pairs = [(remote, local) for local, remote in prop.local_remote_pairs]
                for local, remote in pairs:
                    key = st.mapper.column_to_key[local]
                    if target is None:
                        value = None
                    else:
                        ts = _state(target)
                        value = getattr(target, ts.mapper.column_to_key[remote])
                    if st().__dict__.get(key, NO_VALUE) != value or st in self.inserted:
                        st().__dict__[key] = value
                        values[key] = value
            if values:
                by_mapper.setdefault(st.mapper, []).append((st, values))
        # rows about to be deleted first lose their post_update references
        for st in self.deleted:
            mapper = st.mapper
            if not mapper.post_update_cols:
                continue
            nulls: dict[str, Any] = {}
            for col in mapper.post_update_cols:
                ckey = mapper.column_to_key.get(col)
                if ckey is not None and st().__dict__.get(ckey) is not None:
                    nulls[ckey] = None
            if nulls:
                by_mapper.setdefault(mapper, []).append((st, nulls))
        for mapper, pending in by_mapper.items():
            conn = self.session._connection_for_mapper(mapper)
            persistence.post_update(conn, mapper, pending)

    def _secondary(self) -> None:
        session = self.session
        for rows, delete in ((self.m2m_remove, True), (self.m2m_add, False)):
            grouped: dict[Any, list[tuple[Any, ...]]] = {}
            for prop, parent, child in rows:
                if not delete and (child in self.deleted or parent in self.deleted):
                    continue
                row = self._secondary_row(prop, parent, child)
                if row is None:
                    continue
                lst = grouped.setdefault((id(prop.secondary), prop), [])
                if row not in lst:
                    lst.append(row)
            done: set[tuple[Any, ...]] = set()
            for (_, prop), prows in grouped.items():
                cols = [sc for _, sc in prop.local_remote_pairs] + [
                    sc for _, sc in prop.secondary_target_pairs
                ]
                unique = []
                for r in prows:
                    # a pair changed from both sides (back_populates) is one row
                    canon = _canonical(prop, r)
                    if canon in done:
                        continue
                    done.add(canon)
                    unique.append(r)
                if unique:
                    conn = session._connection_for_mapper(prop.parent)
                    persistence.secondary_rows(conn, prop.secondary, cols, unique, delete)
        # association rows of deleted objects
        for st in self.deleted:
            for prop in st.mapper.relationships.values():
                if prop.direction is not Direction.MANYTOMANY or prop.viewonly:
                    continue
                cols = [sc for _, sc in prop.local_remote_pairs]
                vals = (
                    tuple(
                        st.key[1][st.mapper.pk_keys.index(st.mapper.column_to_key[lc])]
                        for lc, _ in prop.local_remote_pairs
                    )
                    if st.key
                    else None
                )
                if vals is None:
                    continue
                conn = session._connection_for_mapper(st.mapper)
                persistence.secondary_rows(conn, prop.secondary, cols, [vals], True)

    def _secondary_row(
        self, prop: RelationshipProperty, parent: InstanceState, child: InstanceState
    ) -> tuple[Any, ...] | None:
        vals = []
        for local, _ in prop.local_remote_pairs:
            v = parent().__dict__.get(parent.mapper.column_to_key[local], NO_VALUE)
            if v is NO_VALUE:
                v = getattr(parent(), parent.mapper.column_to_key[local])
            vals.append(v)
        for target, _ in prop.secondary_target_pairs:
            v = child().__dict__.get(child.mapper.column_to_key[target], NO_VALUE)
            if v is NO_VALUE:
                v = getattr(child(), child.mapper.column_to_key[target])
            vals.append(v)
        if any(v is None for v in vals):
            return None
        return tuple(vals)


def _canonical(prop: RelationshipProperty, row: tuple[Any, ...]) -> tuple[Any, ...]:
    cols = [sc for _, sc in prop.local_remote_pairs] + [sc for _, sc in prop.secondary_target_pairs]
    return (
        prop.secondary.name,  # type: ignore[union-attr]
        tuple(sorted(zip((c.name for c in cols), row), key=lambda p: p[0])),
    )


def _check_pk(st: InstanceState) -> None:
    assert st.key is not None
    if any(v is None for v in st.key[1]):
        raise exc.FlushError(
            f"{st.mapper.class_.__name__} instance has a NULL primary key after INSERT "
            f"({', '.join(st.mapper.pk_keys)}); give it a value or make the column "
            "server-generated (an Integer primary key autoincrements)"
        )


def _layer(
    states: list[InstanceState], deps: dict[InstanceState, list[InstanceState]], mapper: Mapper
) -> list[list[InstanceState]]:
    remaining = list(states)
    done: set[InstanceState] = set()
    levels: list[list[InstanceState]] = []
    while remaining:
        level = [s for s in remaining if all(d in done or d is s for d in deps[s])]
        if not level:
            raise exc.CircularDependencyError(
                f"rows of table {mapper.local_table.name!r} depend on each other in a cycle; "
                "break it with post_update=True on the self-referential relationship"
            )
        levels.append(level)
        done.update(level)
        remaining = [s for s in remaining if s not in done]
    return levels


__all__ = ["FlushPlan"]
