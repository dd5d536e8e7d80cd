"""The unit of work: turn the session's new / dirty / deleted objects into an ordered plan.

Called by: uow_orm.orm.flush (``Session.flush`` builds a `FlushContext` and runs a
`FlushPlan`). Three steps: ``prepare`` (cascades that happen at flush time, with the
relationship rules of `uow_orm.orm.dependencies`; primary-key changes and row switches),
ordering (mappers by foreign-key dependency, rows of self-referential tables level by
level) and ``execute`` (batches handed to `uow_orm.orm.persistence`, keys copied by
`uow_orm.orm.sync` right before each row is written). The session's bookkeeping is changed
only after every statement succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import exc
from ..sql.schema import topological_sort
from . import persistence
from .dependencies import Dependencies
from .relationships import Direction
from .state import NO_VALUE, InstanceState, LoadedState
from .sync import KeyChanges, KeySync, state_of

if TYPE_CHECKING:
    from ..engine.base import Connection
    from .identity import IdentityMap
    from .mapper import Mapper
    from .sync import KeyChangeLevel

log = logging.getLogger("uow_orm.orm.unitofwork")


@dataclass(slots=True)
class FlushContext:
    """What a flush needs from its session, and nothing more.

    Attributes:
        owner: the session; an object belongs to this flush when its state's ``session``
            is it.
        identity_map: the session's identity map (read, and rekeyed for key changes).
        new: pending states, in the order they were added (read only).
        dirty: states with changed attributes (read only).
        deleted: states marked for deletion (read only; the flush's cascades add to it
            through ``delete_cascade``).
        connection_for: the connection that writes a mapper's rows (binds, routing).
        delete_cascade: mark a state deleted, with its relationships' delete cascade.
        discard_new: forget a pending state (an orphan that was never inserted).
        objects: ``flush(objects)``: only these objects, or None for all.
    """

    owner: object
    identity_map: IdentityMap
    new: Mapping[InstanceState, object]
    dirty: Mapping[InstanceState, object]
    deleted: Mapping[InstanceState, object]
    connection_for: Callable[[Mapper], Connection]
    delete_cascade: Callable[[InstanceState], None]
    discard_new: Callable[[InstanceState], None]
    objects: Iterable[Any] | None = None
    #: the shard this flush writes to (horizontal sharding): the token of the new keys
    identity_token: Any = None


class FlushResult(NamedTuple):
    """What a successful flush wrote, in the order it wrote it (a named tuple: made once
    per flush, it costs less than a frozen dataclass).

    Attributes:
        inserted: states whose rows were inserted (they have identity keys now).
        updated: persistent states whose rows were updated.
        deleted: states whose rows were deleted (or taken over by a row switch).
    """

    inserted: list[InstanceState]
    updated: list[InstanceState]
    deleted: list[InstanceState]


def _configured(mapper: Mapper) -> None:
    if not mapper.registry.configured:
        mapper.registry.configure()


class FlushPlan:
    """One flush: what to insert, update and delete, and in which order."""

    def __init__(self, ctx: FlushContext) -> None:
        self.ctx = ctx
        only: set[InstanceState] | None = None
        if ctx.objects is not None:
            only = {state_of(o) for o in ctx.objects}
        self.only = only
        # the new registry is a dict, so it keeps the order objects were added in
        self.new: list[InstanceState] = (
            list(ctx.new) if only is None else [s for s in ctx.new if s in only]
        )
        self.deleted: dict[InstanceState, None] = (
            dict.fromkeys(ctx.deleted)
            if only is None
            else {s: None for s in ctx.deleted if s in only}
        )
        self.inserted: list[InstanceState] = []
        self.saved: list[InstanceState] = []
        self.deleted_done: list[InstanceState] = []
        self.sync = KeySync(ctx.new)
        # primary-key changes: made by the first one (most flushes have none)
        self.keys: KeyChanges | None = None
        self.deps = Dependencies(
            ctx.owner, self.deleted, self.sync, ctx.delete_cascade, ctx.discard_new
        )
        # Row switch: new state -> the deleted state whose row it takes over (one UPDATE
        # instead of DELETE + INSERT of the same identity)
        self.row_switches: dict[InstanceState, InstanceState] = {}
        self.switched_out: set[InstanceState] = set()

    # -- what the session reads after the flush ---------------------------------------------
    @property
    def old_keys(self) -> dict[InstanceState, tuple[Any, ...]]:
        """Identity keys states had before this flush rekeyed them."""
        return self.keys.old_keys if self.keys is not None else {}

    @property
    def moves(self) -> list[tuple[InstanceState, dict[str, Any], dict[str, Any]]]:
        """Referencing objects whose keys the database moved (set in memory at the end)."""
        return self.keys.moves if self.keys is not None else []

    def undo_key_changes(self) -> None:
        """The flush failed: every object rekeyed by it gets its old identity back."""
        if self.keys is not None:
            self.keys.undo()

    def finish_key_changes(self, txn: KeyChangeLevel) -> None:
        """The flush succeeded: move referencing objects in memory as the database moved
        them, and let the transaction remember the old keys for rollback()."""
        if self.keys is not None:
            self.keys.finish(txn)

    def _key_changes(self) -> KeyChanges:
        if self.keys is None:
            self.keys = KeyChanges(self.ctx.identity_map, self.ctx.owner, self.deleted)
        return self.keys

    # -- preparation ----------------------------------------------------------------------
    def _dirty(self) -> list[InstanceState]:
        if not self.ctx.dirty:
            return []  # (most flushes of new objects: no list to build)
        only = self.only
        return [
            s
            for s in list(self.ctx.dirty)
            if s.key is not None
            and not s.deleted
            and s not in self.deleted
            and (only is None or s in only)
        ]

    def prepare(self) -> None:
        """Work out everything the statements need: key changes, row switches, orphans,
        children of deleted parents, keys to copy and association rows."""
        for st in self.new:
            registry = st.mapper.registry
            if not registry.configured:
                registry.configure()
        # (the calls below are skipped when they have nothing to look at: a flush of a
        # few new objects, such as one per savepoint, is mostly this fixed cost)
        dirty = self._dirty() if self.ctx.dirty else []
        if dirty:
            self._plan_key_changes(dirty)
        if self.keys is not None and self.keys.key_switches:
            self.keys.check_conflicts()
        if self.new:
            self._find_row_switches()
        for gone in self.switched_out:
            self.deps.row_switch_children(gone)
            dirty = self._dirty()  # (a row switch may have deleted children)
        if dirty or self.deleted or self.ctx.deleted:
            self.deps.orphans(dirty, self.ctx.deleted)
        if self.deleted:
            self.deps.deleted_parents()
        if self.ctx.dirty:
            self.deps.collect(self.new + self._dirty(), set(self.new))
        else:
            self.deps.collect(self.new, set(self.new))

    def _plan_key_changes(self, dirty: list[InstanceState]) -> None:
        """Primary-key changes (checked per state: keep this loop lean, it sees every
        dirty object)."""
        last: Mapper | None = None
        pk_keys: list[str] = []
        pk0: str | None = None
        for st in dirty:
            mapper = st.mapper
            if mapper is not last:
                _configured(mapper)
                last = mapper
                pk_keys = mapper.pk_keys
                pk0 = pk_keys[0] if len(pk_keys) == 1 else None
            committed = st.committed
            if committed is not None:
                if pk0 is not None:
                    if pk0 in committed:
                        self._key_changes().plan(st)
                elif any(k in committed for k in pk_keys):
                    self._key_changes().plan(st)

    def _find_row_switches(self) -> None:
        """A new object with the identity of an object deleted in this flush takes over its
        row; with the identity of any other object of the session it is a FlushError."""
        imap = self.ctx.identity_map
        for st in self.new:
            mapper = st.mapper
            d = st().__dict__
            autoinc = mapper.autoinc_key
            if autoinc is not None and d.get(autoinc) is None:
                continue  # the database gives it a new key: no conflict possible
            pk = tuple(d.get(k) for k in mapper.pk_keys)
            if None in pk:
                continue
            other = imap.state_for(mapper.identity_key_from_pk(pk, self.ctx.identity_token))
            if other is None or other is st or other() is None:
                continue
            if self.keys is not None and other in self.keys.key_switches:
                continue
            if other in self.deleted and other not in self.switched_out:
                # row switch: the deleted object's row becomes the new object's row
                self.row_switches[st] = other
                self.switched_out.add(other)
                log.debug("row switch: %r takes over the row of deleted %r", st, other)
            else:
                raise exc.FlushError(
                    f"new {mapper.class_.__name__} object with primary key {pk} conflicts "
                    "with the persistent object of that identity already in this session; "
                    "use session.merge() to update the existing object instead"
                )

    # -- ordering -------------------------------------------------------------------------
    def _mapper_order(self, mappers: list[Mapper]) -> list[Mapper]:
        if len(mappers) == 1:
            return mappers
        deps = {m: m.table_dependencies(mappers) for m in mappers}
        return topological_sort(mappers, deps, what="tables", name=lambda m: m.local_table.name)

    def _levels(self, states: list[InstanceState], mapper: Mapper) -> list[list[InstanceState]]:
        """Split self-referential inserts so that referenced rows go first."""
        if len(states) < 2 or not (mapper.self_referential or _self_fks(mapper)):
            return [states]
        members = set(states)
        deps: dict[InstanceState, list[InstanceState]] = {s: [] for s in states}
        for s in states:
            d = s().__dict__
            for prop in mapper.self_referential:
                if prop.direction is Direction.MANYTOONE:
                    t = d.get(prop.key)
                    if t is not None and state_of(t) in members:
                        deps[s].append(state_of(t))
            for parent, _prop in self.sync.child_syncs.get(s, ()):
                if parent in members:
                    deps[s].append(parent)
        # plain foreign key values that name another new row of the same table
        self_fks = _self_fks(mapper)
        if self_fks:
            by_pk: dict[tuple[Any, ...], InstanceState] = {}
            for s in states:
                pk = tuple(s().__dict__.get(k) for k in mapper.pk_keys)
                if None not in pk:
                    by_pk[pk] = s
            for s in states:
                for fk in self_fks:
                    key = mapper.column_to_key.get(fk.parent)
                    v = s().__dict__.get(key) if key is not None else None
                    target = by_pk.get((v,)) if v is not None else None
                    if target is not None and target is not s:
                        deps[s].append(target)
        return _layer(states, deps, mapper)

    def _delete_levels(
        self, states: list[InstanceState], mapper: Mapper
    ) -> list[list[InstanceState]]:
        """Self-referential deletes: rows that others reference go last."""
        self_fks = _self_fks(mapper)
        if not self_fks or len(states) < 2:
            return [states]
        by_pk: dict[tuple[Any, ...], InstanceState] = {
            s.key[1]: s for s in states if s.key is not None
        }
        deps: dict[InstanceState, list[InstanceState]] = {s: [] for s in states}
        for s in states:
            committed = s.committed or {}
            for fk in self_fks:
                key = mapper.column_to_key.get(fk.parent)
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
    def execute(self) -> FlushResult:
        """Prepare, order and write: UPDATEs and INSERTs per mapper in dependency order,
        then post-updates and association rows, then DELETEs in reverse order.

        Raises:
            exc.FlushError, exc.StaleDataError, exc.CircularDependencyError, exc.DBAPIError:
                the flush cannot be written; the caller rolls the transaction back.
        """
        self.prepare()
        dirty = self._dirty() if self.ctx.dirty else []
        # (rows of an inheritance hierarchy are written together, under its base mapper;
        # for other classes base_mapper is the mapper itself)
        # new states by mapper, in the order they were added (one list per mapper, found
        # again without a lookup while the same class repeats)
        new_by_mapper: dict[Mapper, list[InstanceState]] = {}
        last: Mapper | None = None
        group: list[InstanceState] = []
        for st in self.new:
            m = st.mapper._flush_base
            if m is not last:
                last = m
                found = new_by_mapper.get(m)
                if found is None:
                    found = new_by_mapper[m] = []
                group = found
            group.append(st)
        mappers: list[Mapper] = list(new_by_mapper)
        for st in [*dirty, *self.deleted, *self.sync.child_nulls]:
            if st.mapper._flush_base not in mappers:
                mappers.append(st.mapper._flush_base)
        for st in self.sync.child_syncs:  # a persistent child added to a collection: its
            if st.key is not None and st.mapper._flush_base not in mappers:  # key UPDATE
                mappers.append(st.mapper._flush_base)
        for m in mappers:  # (a loop, not any(): no generator per flush in a savepoint loop)
            if m._mapped_subquery is not None:
                from .subquery_mapping import check_flush

                check_flush(mappers)
                break
        order = mappers if len(mappers) == 1 else self._mapper_order(mappers)
        for mapper in order:
            self._write_mapper(
                mapper,
                [s for s in dirty if s.mapper._flush_base is mapper] if dirty else [],
                new_by_mapper,
            )
        if self.sync.post_updates or (self.deleted and _post_update_cols(self.deleted)):
            self._post_updates()
        if self.deps.m2m_add or self.deps.m2m_remove or self.deleted:
            self.deps.write_secondary(self.ctx.connection_for)
        if self.deleted:
            self._write_deletes(order)
        return FlushResult(self.inserted, self.saved, self.deleted_done)

    def _write_mapper(
        self,
        mapper: Mapper,
        updates: list[InstanceState],
        new_by_mapper: dict[Mapper, list[InstanceState]],
    ) -> None:
        """One mapper's UPDATEs and INSERTs."""
        conn = self.ctx.connection_for(mapper)
        sync = self.sync
        if not updates and not sync.child_nulls and not sync.child_syncs:
            # inserts only (a flush of new objects): no candidates for an UPDATE
            new = new_by_mapper.get(mapper, [])
            if len(new) == 1:  # (= _levels: one row is one level)
                self._insert_level(conn, mapper, new)
            else:
                for level in self._levels(new, mapper):
                    self._insert_level(conn, mapper, level)
            return
        seen = set(updates)
        extra: list[InstanceState] = []
        for s in [*self.sync.child_nulls, *self.sync.child_syncs]:
            if (
                s.mapper._flush_base is mapper
                and s.key is not None
                and s not in seen
                and s not in self.deleted
            ):
                seen.add(s)
                extra.append(s)
        candidates = updates + extra
        self.sync.late.clear()
        if candidates:
            self.sync.sync_all(candidates)
        # UPDATEs first (like SQLAlchemy): a replaced row gives up its unique key before
        # the new one is inserted; rows that point at new rows wait for them.
        waiting = set(self.sync.late)
        if candidates:
            self._update(conn, mapper, [s for s in candidates if s not in waiting])
        for level in self._levels(new_by_mapper.get(mapper, []), mapper):
            self._insert_level(conn, mapper, level)
        late = [s for s in candidates if s in waiting]
        if late:
            self.sync.late.clear()
            self.sync.sync_all(late)
            self._update(conn, mapper, late)

    def _update(self, conn: Connection, mapper: Mapper, states: list[InstanceState]) -> None:
        _each_class(persistence.update_states, conn, mapper, states)
        self.saved.extend(states)
        if self.keys is not None and self.keys.key_switches:
            self.keys.rekey(states)

    def _insert_level(self, conn: Connection, mapper: Mapper, level: list[InstanceState]) -> None:
        """INSERT one level of new rows (row switches as UPDATEs) and give them identities."""
        self.sync.late.clear()
        self.sync.sync_all(level)
        if self.sync.late:
            raise exc.CircularDependencyError(
                f"rows of {mapper.local_table.name!r} refer to rows that are inserted "
                "after them (a cycle between tables); set post_update=True on one "
                "of the relationships"
            )
        switched = [s for s in level if s in self.row_switches] if self.row_switches else []
        if switched:
            pairs = [(s, self.row_switches[s]) for s in switched]
            for m, group in _by_class(mapper, switched):
                spairs = [(s, self.row_switches[s]) for s in group]
                if m._joined_tables is not None or any(
                    old.mapper._joined_tables is not None for _, old in spairs
                ):
                    from .joined_flush import row_switch

                    row_switch(conn, m, spairs)  # joined-table classes: table by table
                else:
                    persistence.row_switch_states(conn, m, spairs)
            self.deleted_done.extend(old for _, old in pairs)
            level_ids = set(switched)
            _each_class(
                persistence.insert_states, conn, mapper, [s for s in level if s not in level_ids]
            )
        elif not mapper._children and not mapper._join_mapping:  # (= _each_class)
            persistence.insert_states(conn, mapper, level)
        else:
            _each_class(persistence.insert_states, conn, mapper, level)
        self.inserted.extend(level)
        _assign_keys(mapper, level, self.ctx.identity_map, self.ctx.identity_token)

    def _write_deletes(self, order: list[Mapper]) -> None:
        for mapper in reversed(order):
            deletes = [
                s
                for s in self.deleted
                if s.mapper._flush_base is mapper
                and s.key is not None
                and s not in self.switched_out
            ]
            if not deletes:
                continue
            conn = self.ctx.connection_for(mapper)
            for level in self._delete_levels(deletes, mapper):
                _each_class(persistence.delete_states, conn, mapper, level)
            self.deleted_done.extend(deletes)

    def _post_updates(self) -> None:
        by_mapper = self.sync.post_update_values(self.deleted, self.inserted)
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
            persistence.post_update(self.ctx.connection_for(mapper), mapper, pending)


def _post_update_cols(states: Iterable[InstanceState]) -> bool:
    """Whether the mapper of one of ``states`` has post_update columns (looked at once
    per run of one class: no generator step per deleted object)."""
    last: Mapper | None = None
    for st in states:
        mapper = st.mapper
        if mapper is not last:
            if mapper.post_update_cols:
                return True
            last = mapper
    return False


def _self_fks(mapper: Mapper) -> list[Any]:
    """The foreign keys of ``mapper``'s table that reference that table itself."""
    name = mapper.local_table.name
    return [fk for fk in mapper.local_table.foreign_keys if fk.target_table_name == name]


def _assign_keys(
    mapper: Mapper, level: list[InstanceState], imap: IdentityMap, token: Any = None
) -> None:
    """Inserted rows' keys are known now: give the states their identity early (keyed by
    the hierarchy's base class; ``token``: the shard written to, None outside sharding).
    A one-column key is given as a loaded row's is, by its bare value (`LoadedState`):
    the map holds it so when the flush succeeds, and no key tuple is made unless read."""
    cls = mapper._identity_class
    pk_keys = mapper.pk_keys
    if len(pk_keys) == 1:
        pk_key = pk_keys[0]
        held = imap.class_identities(cls, token, True)
        for st in level:
            v = st().__dict__[pk_key]
            if v is None:
                st.key = (cls, (v,), token)
                _check_pk(st)  # (raises)
            st.held_by, st.held_as = held, v
            st.__class__ = LoadedState
    else:
        for st in level:
            d = st().__dict__
            st.key = (cls, tuple([d[k] for k in pk_keys]), token)
            _check_pk(st)


def _by_class(mapper: Mapper, states: list[InstanceState]) -> list[tuple[Mapper, Any]]:
    """``states`` of ``mapper``'s hierarchy by their own class's mapper (one entry, the
    mapper itself, for a class without mapped subclasses)."""
    if not mapper._children:
        return [(mapper, states)]
    from .inheritance import by_mapper

    return by_mapper(states)


def _each_class(fn: Any, conn: Any, mapper: Mapper, states: list[InstanceState]) -> None:
    """Run persistence function ``fn`` once per class of ``states`` (their statements
    name that class's columns); once for a class without mapped subclasses."""
    if not mapper._children and not mapper._join_mapping:
        fn(conn, mapper, states)
        return
    for m, group in _by_class(mapper, states):
        if m._joined_tables is not None:
            from .joined_flush import joined_write

            joined_write(_KINDS[fn], fn, conn, m, group)
        else:
            fn(conn, m, group)


#: the persistence functions `_each_class` runs, by the kind of write they do
_KINDS = {
    persistence.insert_states: "insert",
    persistence.update_states: "update",
    persistence.delete_states: "delete",
}


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


__all__ = ["FlushContext", "FlushPlan", "FlushResult"]
