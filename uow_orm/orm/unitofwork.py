"""The unit of work: turn the session's new / dirty / deleted objects into an ordered plan.

Called only by ``Session.flush``. Works out cascades that happen at flush time
(orphans, children of deleted parents), synchronises foreign keys from related objects,
orders mappers by foreign-key dependency (rows of self-referential tables level by level)
and hands batches to `uow_orm.orm.persistence`. The session's bookkeeping is changed
only after every statement succeeded (``finalize``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import exc
from ..schema import topological_sort
from ..sql.ddl import foreign_key_groups
from . import persistence
from .relationships import Direction, RelationshipProperty
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from ..schema import Column
    from .mapper import Mapper
    from .session import Session
    from .transaction import SessionTransaction

log = logging.getLogger("uow_orm.orm.unitofwork")

#: A referencing foreign key column of one mapper, as seen from the referenced mapper:
#: (child mapper, [(child column, referenced column)], ORM updates it, the parent's
#: one-to-many relationship that holds the children, if any).
_KeyLink = tuple["Mapper", list[tuple["Column[Any]", "Column[Any]"]], bool, Any]

_EXPIRE: Any = object()  # an in-memory move that expires the attribute instead


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
        # Primary-key change: state -> its new identity key, applied (rekey) right after
        # the UPDATE that moves its row; rows that ON UPDATE CASCADE moves with it.
        self.key_switches: dict[InstanceState, tuple[Any, ...]] = {}
        self.cascaded_keys: dict[InstanceState, list[tuple[InstanceState, tuple[Any, ...]]]] = {}
        # identity keys states had before this flush rekeyed them (undone if it fails)
        self.old_keys: dict[InstanceState, tuple[Any, ...]] = {}
        # referencing objects whose keys the database moved: set in memory after the flush
        self.moves: list[tuple[InstanceState, dict[str, Any], dict[str, Any]]] = []
        # Row switch: new state -> the deleted state whose row it takes over (one UPDATE
        # instead of DELETE + INSERT of the same identity)
        self.row_switches: dict[InstanceState, InstanceState] = {}
        self.switched_out: set[InstanceState] = set()
        self._links: dict[Mapper, list[_KeyLink]] = {}
        self._fk_index: dict[tuple[Any, ...], dict[tuple[Any, ...], list[InstanceState]]] = {}

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
        for st in self.new:
            st.mapper._ensure_configured()
        # a primary-key change (checked per state: keep this loop lean, it sees every
        # dirty object)
        last: Mapper | None = None
        pk_keys: list[str] = []
        pk0: str | None = None
        for st in dirty:
            mapper = st.mapper
            if mapper is not last:
                mapper._ensure_configured()
                last = mapper
                pk_keys = mapper.pk_keys
                pk0 = pk_keys[0] if len(pk_keys) == 1 else None
            committed = st.committed
            if committed is not None:
                if pk0 is not None:
                    if pk0 in committed:
                        self._key_change(st)
                elif any(k in committed for k in pk_keys):
                    self._key_change(st)
        if self.key_switches:
            self._check_key_conflicts()
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
            if other is None or other is st or other() is None or other in self.key_switches:
                continue
            if other in self.deleted and other not in self.switched_out:
                # row switch: the deleted object's row becomes the new object's row
                self.row_switches[st] = other
                self.switched_out.add(other)
                log.debug("row switch: %r takes over the row of deleted %r", st, other)
            else:
                raise exc.FlushError(
                    f"new {st.mapper.class_.__name__} object with primary key {pk} conflicts "
                    "with the persistent object of that identity already in this session; "
                    "use session.merge() to update the existing object instead"
                )
        for gone in self.switched_out:
            self._row_switch_children(gone)
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

    # -- primary-key change ----------------------------------------------------------------
    def _key_change(self, st: InstanceState) -> None:
        """Plan a flushed change of ``st``'s primary key: its new identity and what the
        change does to the objects whose foreign keys reference the old one."""
        mapper = st.mapper
        assert st.key is not None
        d = st().__dict__
        old_pk = st.key[1]
        new_pk = tuple(d.get(k, o) for k, o in zip(mapper.pk_keys, old_pk))
        if new_pk == old_pk:
            return  # changed and changed back
        if any(v is None for v in new_pk):
            raise exc.FlushError(
                f"{mapper.class_.__name__} {old_pk}: its primary key "
                f"({', '.join(mapper.pk_keys)}) was set to None; a persistent object keeps "
                "a key (delete it and add a new object instead)"
            )
        if st in self.key_switches:
            return
        self.key_switches[st] = mapper.identity_key_from_pk(new_pk)
        log.debug("primary-key change: %s %r -> %r", mapper.class_.__name__, old_pk, new_pk)
        old = dict(zip(mapper.pk_columns, old_pk))
        new = dict(zip(mapper.pk_columns, new_pk))
        for link in self._key_links(mapper):
            self._referencing(st, link, old, new)

    def _referencing(
        self,
        st: InstanceState,
        link: _KeyLink,
        old: dict[Column[Any], Any],
        new: dict[Column[Any], Any],
    ) -> None:
        """Objects whose foreign key (``link``) names ``st``'s old key follow it: the flush
        UPDATEs them (``passive_updates=False``) or, as the database's ``ON UPDATE``
        action did, they are moved in memory once the flush succeeded."""
        child_mapper, pairs, orm_update, collection = link
        if all(old[pc] == new[pc] for _, pc in pairs):
            return
        session = self.session
        to_key = child_mapper.column_to_key
        fk_keys = [to_key[cc] for cc, _ in pairs]
        old_vals = [old[pc] for _, pc in pairs]
        candidates: list[InstanceState] = []
        if collection is not None:
            d = st().__dict__
            if orm_update and collection.key not in d:
                self._load_by_old_key(st, collection, old)
            value = d.get(collection.key)
            items = list(value or []) if collection.uselist else ([value] if value else [])
            candidates.extend(_state(c) for c in items)
        seen = set(candidates)
        for cs in self._referencing_index(child_mapper, fk_keys).get(tuple(old_vals), ()):
            if cs not in seen:
                candidates.append(cs)
                seen.add(cs)
        for cs in candidates:
            if cs.key is None or cs in self.deleted or cs.deleted or cs.session is not session:
                continue
            cd = cs().__dict__
            if [cd.get(k, NO_VALUE) for k in fk_keys] != old_vals:
                continue  # not loaded, or pointed elsewhere in this flush
            if orm_update:
                for (_cc, pc), key in zip(pairs, fk_keys):
                    self._set_fk(cs, key, new[pc])
                if any(cc.primary_key for cc, _ in pairs):
                    self._key_change(cs)
                continue
            values: dict[str, Any] = {}
            for (cc, pc), key in zip(pairs, fk_keys):
                action = _onupdate_action(cc, pc)
                if action == "SET NULL":
                    values[key] = None
                elif action == "SET DEFAULT":
                    values[key] = _EXPIRE
                else:  # CASCADE; with no action declared, as SQLAlchemy's passive_updates
                    values[key] = new[pc]
            self.moves.append((cs, dict(zip(fk_keys, old_vals)), values))
            if any(cc.primary_key for cc, _ in pairs):
                # the database moved that row to a new primary key too
                cm = cs.mapper
                assert cs.key is not None
                pk = dict(zip(cm.pk_keys, cs.key[1]))
                pk.update({k: v for k, v in values.items() if k in pk})
                new_key = cm.identity_key_from_pk(tuple(pk[k] for k in cm.pk_keys))
                self.cascaded_keys.setdefault(st, []).append((cs, new_key))
                c_old = dict(zip(cm.pk_columns, cs.key[1]))
                c_new = dict(zip(cm.pk_columns, new_key[1]))
                for sub in self._key_links(cm):
                    self._referencing(cs, sub, c_old, c_new)

    def _referencing_index(
        self, child_mapper: Mapper, fk_keys: list[str]
    ) -> dict[tuple[Any, ...], list[InstanceState]]:
        """The identity map's ``child_mapper`` objects by their ``fk_keys`` values, built
        once per flush (a flush changing many keys would otherwise scan it per key)."""
        index_key = (child_mapper, tuple(fk_keys))
        index = self._fk_index.get(index_key)
        if index is None:
            index = {}
            for cs in self.session.identity_map.states():
                obj = cs()
                if cs.mapper is child_mapper and obj is not None:
                    d = obj.__dict__
                    values = tuple(d.get(k, NO_VALUE) for k in fk_keys)
                    index.setdefault(values, []).append(cs)
            self._fk_index[index_key] = index
        return index

    def _load_by_old_key(
        self, st: InstanceState, prop: RelationshipProperty, old: dict[Column[Any], Any]
    ) -> None:
        """Load ``st``'s collection as the database has it now: by its old key."""
        from .loading import lazy_load

        d = st().__dict__
        to_key = st.mapper.column_to_key
        saved = {to_key[c]: d[to_key[c]] for c in old if to_key[c] in d}
        try:
            for c, v in old.items():
                d[to_key[c]] = v
            lazy_load(st, prop)
        finally:
            d.update(saved)

    def _key_links(self, mapper: Mapper) -> list[_KeyLink]:
        links = self._links.get(mapper)
        if links is None:
            links = self._links[mapper] = _key_links(mapper)
        return links

    def _check_key_conflicts(self) -> None:
        imap = self.session.identity_map
        for st, new_key in self.key_switches.items():
            other = imap.state_for(new_key)
            if (
                other is not None
                and other is not st
                and other() is not None
                and other not in self.key_switches
            ):
                raise exc.FlushError(
                    f"cannot change the primary key of {st.mapper.class_.__name__} "
                    f"{st.identity} to {new_key[1]}: another object with that identity is in "
                    "this session"
                    + (
                        " and is deleted only later in this flush; flush the delete first"
                        if other in self.deleted
                        else ""
                    )
                )

    def _rekey(self, updated: list[InstanceState]) -> None:
        """Give the objects whose primary key an UPDATE just moved their new identity (and
        the rows ON UPDATE CASCADE moved with them), so later statements find them."""
        imap = self.session.identity_map
        for st in updated:
            new_key = self.key_switches.get(st)
            if new_key is None or st.key == new_key:
                continue
            for moved, key in [(st, new_key), *self.cascaded_keys.get(st, ())]:
                if moved.key is not None and moved not in self.old_keys:
                    self.old_keys[moved] = moved.key
                imap.rekey(moved, key)

    def undo_key_changes(self) -> None:
        """The flush failed: every object rekeyed by it gets its old identity back."""
        imap = self.session.identity_map
        for st, key in self.old_keys.items():
            imap.rekey(st, key)
        self.old_keys.clear()

    def finish_key_changes(self, txn: SessionTransaction) -> None:
        """The flush succeeded: move referencing objects in memory as the database moved
        them, and let the transaction remember the old keys for rollback()."""
        for st, before, values in self.moves:
            obj = st()
            if obj is None:
                continue
            d = obj.__dict__
            if any(d.get(k, NO_VALUE) != v for k, v in before.items()):
                continue  # the flush gave it another parent: its UPDATE set the key
            if txn.nested:
                txn.snapshot(st)
            for key, value in values.items():
                if value is _EXPIRE:
                    d.pop(key, None)
                else:
                    d[key] = value
        for st, old_key in self.old_keys.items():
            txn.key_switches.setdefault(st, old_key)

    # -- row switch -----------------------------------------------------------------------
    def _row_switch_children(self, old: InstanceState) -> None:
        """A row switch never DELETEs the old row, so ON DELETE rules of the database do
        not run: children that ``passive_deletes`` left unloaded are loaded, and the
        relationship's cascade (delete, or clear their key) applies to them."""
        from .loading import lazy_load

        session = self.session
        d = old().__dict__
        for prop in old.mapper.relationships.values():
            if (
                prop.viewonly
                or prop.direction is not Direction.ONETOMANY
                or not prop.passive_deletes
                or prop.key in d
            ):
                continue
            value = lazy_load(old, prop)
            if "delete" not in prop.cascade:
                continue  # _deleted_parents clears their keys
            items = list(value or []) if prop.uselist else ([value] if value else [])
            for child in items:
                session._delete_cascade(_state(child))

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
                        session.tracker.pop_new(cs)
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
            if self.key_switches:
                self._rekey(early)
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
                if self.row_switches:
                    switched = [s for s in level if s in self.row_switches]
                    if switched:
                        pairs = [(s, self.row_switches[s]) for s in switched]
                        persistence.row_switch_states(conn, mapper, pairs)
                        self.deleted_done.extend(old for _, old in pairs)
                        level_ids = set(switched)
                        persistence.insert_states(
                            conn, mapper, [s for s in level if s not in level_ids]
                        )
                    else:
                        persistence.insert_states(conn, mapper, level)
                else:
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
                if self.key_switches:
                    self._rekey(late)
        if self.post_updates or (
            self.deleted and any(s.mapper.post_update_cols for s in self.deleted)
        ):
            self._post_updates()
        if self.m2m_add or self.m2m_remove or self.deleted:
            self._secondary()
        if not self.deleted:
            return
        for mapper in reversed(order):
            deletes = [
                s
                for s in self.deleted
                if s.mapper is mapper and s.key is not None and s not in self.switched_out
            ]
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
            if not mapper.post_update_cols or st in self.switched_out:
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
        # Association rows of deleted objects go first: a row switch's new object may add
        # rows with the same key.
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


def _key_links(mapper: Mapper) -> list[_KeyLink]:
    """The foreign keys (with or without a relationship) that reference ``mapper``'s
    primary key, one entry per referencing column set."""
    pk = set(mapper.pk_columns)
    links: dict[tuple[Any, ...], list[Any]] = {}

    def add(child: Mapper, pairs: list[Any], orm_update: bool, collection: Any) -> None:
        if not pairs or any(pc not in pk for _, pc in pairs):
            return
        key = (child, frozenset(cc for cc, _ in pairs))
        entry = links.get(key)
        if entry is None:
            links[key] = [child, pairs, orm_update, collection]
        else:
            entry[2] = entry[2] or orm_update
            entry[3] = entry[3] or collection

    for m in mapper.registry.mappers:
        for prop in m.relationships.values():
            if prop.viewonly:
                continue
            if prop.direction is Direction.MANYTOONE and prop.mapper is mapper:
                add(m, list(prop.local_remote_pairs), not prop.passive_updates, None)
            elif prop.direction is Direction.ONETOMANY and m is mapper:
                pairs = [(rc, lc) for lc, rc in prop.local_remote_pairs]
                add(prop.mapper, pairs, not prop.passive_updates, prop)
            elif (
                prop.direction is Direction.MANYTOMANY
                and not prop.passive_updates
                and mapper in (m, prop.mapper)
            ):
                raise exc.FlushError(
                    f"relationship {prop} has passive_updates=False, which uow_orm does not "
                    "support for many-to-many relationships; declare the association table's "
                    "foreign keys with onupdate='CASCADE' and keep passive_updates=True"
                )
        for group in foreign_key_groups(m.local_table):
            if group[0].references(mapper.local_table) and all(
                fk.parent in m.column_to_key for fk in group
            ):
                add(m, [(fk.parent, fk.column) for fk in group], False, None)
    return [(c, p, u, coll) for c, p, u, coll in links.values()]


def _onupdate_action(child_col: Column[Any], parent_col: Column[Any]) -> str:
    for fk in child_col.foreign_keys:
        if fk.column is parent_col:
            return (fk.onupdate or "").upper()
    return ""


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
