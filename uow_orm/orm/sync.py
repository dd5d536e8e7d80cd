"""Key synchronisation of a flush: copying keys between related states.

Called by: uow_orm.orm.unitofwork, uow_orm.orm.dependencies (which records what to copy).
`KeySync` copies a parent's primary key into the foreign key attributes of the objects
that reference it (many-to-one targets, one-to-many parents) and clears the keys of
children taken away; `KeyChanges` plans a primary-key change (natural keys): the new
identity, the referencing objects the ORM updates (``passive_updates=False``) or the
database's ``ON UPDATE`` moves, and the identity map rekeying that follows the UPDATE.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .. import exc
from ..sql.ddl import foreign_key_groups
from .relationships import Direction, RelationshipProperty
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from ..sql.schema import Column
    from .base import IdentityKey
    from .identity import IdentityMap
    from .mapper import Mapper

log = logging.getLogger("uow_orm.orm.unitofwork")


class KeyChangeLevel(Protocol):
    """The transaction level a flush ran in (`uow_orm.orm.transaction.SessionTransaction`),
    as `KeyChanges.finish` uses it: whether it is a savepoint (whose snapshot must hold an
    object's values before the flush moves them), and the old identity keys a rollback
    gives back."""

    @property
    def nested(self) -> bool: ...
    @property
    def key_switches(self) -> dict[InstanceState, IdentityKey]: ...

    def snapshot(self, state: InstanceState) -> None:
        """Keep ``state``'s current values for a rollback of this savepoint."""


#: An identity key: (class, primary key values, identity token).
Key = tuple[Any, ...]

#: (child column, referenced column) or (local column, remote column)
ColumnPair = tuple["Column[Any]", "Column[Any]"]
#: column values by column (a primary key before and after its change)
ColumnValues = dict["Column[Any]", object]
#: attribute values by attribute key
RowValues = dict[str, object]

#: A referencing foreign key column of one mapper, as seen from the referenced mapper:
#: (child mapper, [(child column, referenced column)], ORM updates it, the parent's
#: one-to-many relationship that holds the children, if any).
KeyLink = tuple["Mapper", list[ColumnPair], bool, RelationshipProperty | None]

#: a post-update item: (relationship, the target object or None, it is None)
PostUpdate = tuple[RelationshipProperty, object | None, bool]

EXPIRE = object()  # an in-memory move that expires the attribute instead


def state_of(obj: object) -> InstanceState:
    """The ORM state of a mapped object."""
    return obj.__dict__[STATE_ATTR]  # type: ignore[no-any-return]


def set_fk(st: InstanceState, key: str, value: object) -> None:
    """Set a foreign key attribute during a flush, recording the change on a persistent
    object (its UPDATE then writes it); an equal value is left alone."""
    d = st().__dict__
    old = d.get(key, NO_VALUE)
    if old is value or (old is not NO_VALUE and old == value and type(old) is type(value)):
        return
    if st.key is not None:
        st.record_change(key, old)
    d[key] = value


class KeySync:
    """Foreign keys to copy in one flush, and the copying.

    ``child_syncs`` and ``child_nulls`` are filled by `uow_orm.orm.dependencies` (children
    added to / removed from a parent's one-to-many relationship); `sync` runs on each
    state right before its row is written.
    """

    def __init__(self, pending: Mapping[InstanceState, object]) -> None:
        self.pending = pending
        # child state -> [(parent state, one-to-many relationship)]
        self.child_syncs: dict[InstanceState, list[tuple[InstanceState, RelationshipProperty]]] = {}
        # child state -> [(relationship, the parent it left)]
        self.child_nulls: dict[InstanceState, list[tuple[RelationshipProperty, object]]] = {}
        # states whose target row is inserted later in this flush (they wait for it)
        self.late: set[InstanceState] = set()
        self.post_updates: dict[InstanceState, list[PostUpdate]] = {}

    def sync_all(self, states: Iterable[InstanceState]) -> None:
        """`sync` each of ``states``; one without relationships or related parents costs
        no call (the flush runs this once per batch of rows)."""
        child_syncs, child_nulls = self.child_syncs, self.child_nulls
        if not child_syncs and not child_nulls:
            for st in states:
                if st.mapper.relationships:
                    self.sync(st)
            return
        for st in states:
            if st.mapper.relationships or st in child_syncs or st in child_nulls:
                self.sync(st)

    def sync(self, st: InstanceState) -> None:
        """Copy keys of related objects into this object's foreign key attributes."""
        mapper = st.mapper
        if not mapper.relationships and st not in self.child_syncs and st not in self.child_nulls:
            return
        d = st().__dict__
        committed = st.committed or {}
        is_new = st.key is None
        # dict.values(): Properties.values() builds a list (SQLAlchemy's API); hot loop
        for prop in dict.values(mapper.relationships):
            if prop.viewonly or prop.direction is not Direction.MANYTOONE:
                continue
            if not is_new and prop.key not in committed:
                continue
            target = d.get(prop.key, NO_VALUE)
            if target is NO_VALUE:
                continue
            self._sync_pairs(st, prop, target, prop.local_remote_pairs, d)
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
            self._sync_pairs(st, prop, parent(), pairs, d)
        if self.child_nulls:
            self._clear_removed(st)

    def _clear_removed(self, st: InstanceState) -> None:
        """NULL the foreign key of a child that left a parent's one-to-many collection."""
        mapper = st.mapper
        for prop, old_parent in self.child_nulls.get(st, ()):
            if any(p is prop for _, p in self.child_syncs.get(st, ())):
                continue
            if _reattached(st, prop, old_parent):
                continue
            for _, remote in prop.local_remote_pairs:
                key = _concrete_key(mapper, prop.mapper, remote)
                if remote.primary_key:
                    raise exc.FlushError(
                        f"cannot remove {mapper.class_.__name__} {st.identity} from "
                        f"{prop}: its foreign key {remote.name} is part of its primary key; "
                        "use cascade='all, delete-orphan' to delete it instead"
                    )
                set_fk(st, key, None)

    def _sync_pairs(
        self,
        st: InstanceState,
        prop: RelationshipProperty,
        target: object | None,
        pairs: list[ColumnPair],
        d: dict[str, Any],
    ) -> None:
        """Copy ``target``'s columns of ``pairs`` into ``st``'s (``d``: its object's
        ``__dict__``)."""
        mapper = st.mapper
        if prop.post_update:
            self.post_updates.setdefault(st, []).append((prop, target, target is None))
            return
        for local, remote in pairs:
            try:
                key = mapper.column_to_key[local]
            except KeyError:  # a concrete subclass of the relationship's class
                key = _concrete_key(mapper, prop.mapper, local)
            if target is None:
                value = None
            else:
                ts = target.__dict__[STATE_ATTR]  # = state_of(target), once per row
                try:
                    rkey = ts.mapper.column_to_key[remote]
                except KeyError:  # a concrete subclass of the relationship's target
                    rkey = _concrete_key(ts.mapper, prop.mapper, remote)
                if ts.key is None and ts in self.pending:
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
            # = set_fk(st, key, value), once per row
            old = d.get(key, NO_VALUE)
            if old is value or (old is not NO_VALUE and old == value and type(old) is type(value)):
                continue
            if st.key is not None:
                st.record_change(key, old)
            d[key] = value

    def post_update_values(
        self, deleted: Mapping[InstanceState, object], inserted: list[InstanceState]
    ) -> dict[Mapper, list[tuple[InstanceState, RowValues]]]:
        """The foreign key values ``post_update=True`` relationships write after the rows
        exist, by mapper; rows about to be deleted first lose their post-update references."""
        by_mapper: dict[Mapper, list[tuple[InstanceState, RowValues]]] = {}
        inserted_set = set(inserted)
        for st, items in self.post_updates.items():
            if st.key is None or st in deleted:
                continue
            values = _post_update_row(st, items, st in inserted_set)
            if values:
                by_mapper.setdefault(st.mapper, []).append((st, values))
        return by_mapper


def _post_update_row(st: InstanceState, items: list[PostUpdate], inserted: bool) -> RowValues:
    values: RowValues = {}
    d = st().__dict__
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
                value = getattr(target, state_of(target).mapper.column_to_key[remote])
            if d.get(key, NO_VALUE) != value or inserted:
                d[key] = value
                values[key] = value
    return values


def _reattached(st: InstanceState, prop: RelationshipProperty, old_parent: object) -> bool:
    """True when the child now belongs to another parent (which sets its key)."""
    rev = prop.reverse
    if rev is None or rev.uselist:
        return False
    parent = st().__dict__.get(rev.key)
    return parent is not None and parent is not old_parent


class KeyChanges:
    """Primary-key changes of one flush (natural keys) and what they move.

    `plan` runs for each dirty state whose key attributes changed; `rekey` right after the
    UPDATE that moved a row; `undo` when the flush failed; `finish` when it succeeded.
    """

    def __init__(
        self, identity_map: IdentityMap, owner: object, deleted: Mapping[InstanceState, object]
    ) -> None:
        self.identity_map = identity_map
        self.owner = owner
        self.deleted = deleted
        # state -> its new identity key, applied (rekey) right after the UPDATE that moves
        # its row; rows that ON UPDATE CASCADE moves with it.
        self.key_switches: dict[InstanceState, Key] = {}
        self.cascaded_keys: dict[InstanceState, list[tuple[InstanceState, Key]]] = {}
        # identity keys states had before this flush rekeyed them (undone if it fails)
        self.old_keys: dict[InstanceState, Key] = {}
        # referencing objects whose keys the database moved: set in memory after the flush
        self.moves: list[tuple[InstanceState, RowValues, RowValues]] = []
        self._links: dict[Mapper, list[KeyLink]] = {}
        self._fk_index: dict[tuple[Any, ...], dict[tuple[Any, ...], list[InstanceState]]] = {}

    def plan(self, st: InstanceState) -> None:
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
        assert st.key is not None
        self.key_switches[st] = mapper.identity_key_from_pk(new_pk, st.key[2])
        log.debug("primary-key change: %s %r -> %r", mapper.class_.__name__, old_pk, new_pk)
        old = dict(zip(mapper.pk_columns, old_pk))
        new = dict(zip(mapper.pk_columns, new_pk))
        for link in self._key_links(mapper):
            self._referencing(st, link, old, new)

    def _referencing(
        self,
        st: InstanceState,
        link: KeyLink,
        old: ColumnValues,
        new: ColumnValues,
    ) -> None:
        """Objects whose foreign key (``link``) names ``st``'s old key follow it: the flush
        UPDATEs them (``passive_updates=False``) or, as the database's ``ON UPDATE``
        action did, they are moved in memory once the flush succeeded."""
        child_mapper, pairs, orm_update, _collection = link
        if all(old[pc] == new[pc] for _, pc in pairs):
            return
        fk_keys = [child_mapper.column_to_key[cc] for cc, _ in pairs]
        old_vals = [old[pc] for _, pc in pairs]
        for cs in self._candidates(st, link, old, fk_keys, old_vals):
            if not self._follows(cs, fk_keys, old_vals):
                continue
            if orm_update:
                for (_cc, pc), key in zip(pairs, fk_keys):
                    set_fk(cs, key, new[pc])
                if any(cc.primary_key for cc, _ in pairs):
                    self.plan(cs)
                continue
            values: RowValues = {}
            for (cc, pc), key in zip(pairs, fk_keys):
                action = _onupdate_action(cc, pc)
                if action == "SET NULL":
                    values[key] = None
                elif action == "SET DEFAULT":
                    values[key] = EXPIRE
                else:  # CASCADE; with no action declared, as SQLAlchemy's passive_updates
                    values[key] = new[pc]
            self.moves.append((cs, dict(zip(fk_keys, old_vals)), values))
            if any(cc.primary_key for cc, _ in pairs):
                self._cascaded(st, cs, values)

    def _candidates(
        self,
        st: InstanceState,
        link: KeyLink,
        old: ColumnValues,
        fk_keys: list[str],
        old_vals: list[object],
    ) -> list[InstanceState]:
        """The objects that may reference ``st``'s old key through ``link``: the parent's
        collection (loaded by the old key when the ORM updates them) and the identity map's
        objects whose ``fk_keys`` hold ``old_vals``."""
        child_mapper, _pairs, orm_update, collection = link
        candidates: list[InstanceState] = []
        if collection is not None:
            d = st().__dict__
            if orm_update and collection.key not in d:
                _load_by_old_key(st, collection, old)
            value = d.get(collection.key)
            items = list(value or []) if collection.uselist else ([value] if value else [])
            candidates.extend(state_of(c) for c in items)
        seen = set(candidates)
        for cs in self._referencing_index(child_mapper, fk_keys).get(tuple(old_vals), ()):
            if cs not in seen:
                candidates.append(cs)
                seen.add(cs)
        return candidates

    def _follows(self, cs: InstanceState, fk_keys: list[str], old_vals: list[object]) -> bool:
        """True when ``cs`` is a persistent object of this session still naming the old key
        (not unloaded, nor pointed elsewhere in this flush)."""
        if cs.key is None or cs in self.deleted or cs.deleted or cs.session is not self.owner:
            return False
        cd = cs().__dict__
        return [cd.get(k, NO_VALUE) for k in fk_keys] == old_vals

    def _cascaded(self, st: InstanceState, cs: InstanceState, values: RowValues) -> None:
        """The database moved ``cs``'s row to a new primary key too (its foreign key is part
        of its key): its identity follows, and so do the rows referencing it."""
        cm = cs.mapper
        assert cs.key is not None
        pk = dict(zip(cm.pk_keys, cs.key[1]))
        pk.update({k: v for k, v in values.items() if k in pk})
        new_key = cm.identity_key_from_pk(tuple(pk[k] for k in cm.pk_keys), cs.key[2])
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
            for cs in self.identity_map.states():
                obj = cs()
                if cs.mapper is child_mapper and obj is not None:
                    d = obj.__dict__
                    values = tuple(d.get(k, NO_VALUE) for k in fk_keys)
                    index.setdefault(values, []).append(cs)
            self._fk_index[index_key] = index
        return index

    def _key_links(self, mapper: Mapper) -> list[KeyLink]:
        links = self._links.get(mapper)
        if links is None:
            links = self._links[mapper] = key_links(mapper)
        return links

    def check_conflicts(self) -> None:
        """A new key that another object of this session already has is a FlushError."""
        imap = self.identity_map
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

    def rekey(self, updated: list[InstanceState]) -> None:
        """Give the objects whose primary key an UPDATE just moved their new identity (and
        the rows ON UPDATE CASCADE moved with them), so later statements find them."""
        imap = self.identity_map
        for st in updated:
            new_key = self.key_switches.get(st)
            if new_key is None or st.key == new_key:
                continue
            for moved, key in [(st, new_key), *self.cascaded_keys.get(st, ())]:
                if moved.key is not None and moved not in self.old_keys:
                    self.old_keys[moved] = moved.key
                imap.rekey(moved, key)

    def undo(self) -> None:
        """The flush failed: every object rekeyed by it gets its old identity back."""
        for st, key in self.old_keys.items():
            self.identity_map.rekey(st, key)
        self.old_keys.clear()

    def finish(self, txn: KeyChangeLevel) -> None:
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
                if value is EXPIRE:
                    d.pop(key, None)
                else:
                    d[key] = value
        for st, old_key in self.old_keys.items():
            txn.key_switches.setdefault(st, old_key)


def _load_by_old_key(st: InstanceState, prop: RelationshipProperty, old: ColumnValues) -> None:
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


def key_links(mapper: Mapper) -> list[KeyLink]:
    """The foreign keys (with or without a relationship) that reference ``mapper``'s
    primary key, one entry per referencing column set.

    Raises:
        exc.FlushError: a many-to-many relationship with ``passive_updates=False``.
    """
    pk = set(mapper.pk_columns)
    links: dict[tuple[Any, ...], list[Any]] = {}

    def add(
        child: Mapper,
        pairs: list[ColumnPair],
        orm_update: bool,
        collection: RelationshipProperty | None,
    ) -> None:
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
        for prop in dict.values(m.relationships):
            if not prop.viewonly:
                _relationship_link(mapper, m, prop, add)
        for group in foreign_key_groups(m.local_table):
            if group[0].references(mapper.local_table) and all(
                fk.parent in m.column_to_key for fk in group
            ):
                pairs = [(fk.parent, fk.column) for fk in group if fk.parent is not None]
                add(m, pairs, False, None)
    return [(c, p, u, coll) for c, p, u, coll in links.values()]


def _relationship_link(
    mapper: Mapper,
    m: Mapper,
    prop: RelationshipProperty,
    add: Callable[[Mapper, list[ColumnPair], bool, RelationshipProperty | None], None],
) -> None:
    """The key link a relationship of ``m`` makes towards ``mapper``'s primary key (or a
    parent class's: a subclass object's key is its parent's too)."""
    if prop.parent is not m:
        return  # inherited by a subclass mapper: seen on the declaring mapper
    if prop.direction is Direction.MANYTOONE and mapper.isa(prop.mapper):
        add(m, list(prop.local_remote_pairs), not prop.passive_updates, None)
    elif prop.direction is Direction.ONETOMANY and mapper.isa(m):
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


def _onupdate_action(child_col: Column[Any], parent_col: Column[Any]) -> str:
    for fk in child_col.foreign_keys:
        if fk.column is parent_col:
            return (fk.onupdate or "").upper()
    return ""


def _concrete_key(mapper: Mapper, declared_on: Mapper, col: Column[Any]) -> str:
    """The attribute key of ``col`` for an object of ``mapper``: its own column's, or, for
    a concrete subclass of the class a relationship names (``Company.employees`` holding
    a ``Manager``), the key the relationship's class maps the column under (the
    subclass's same-named attribute, which writes its own table's column).

    Raises:
        InvalidRequestError: the subclass maps no such attribute.
    """
    key = mapper.column_to_key.get(col)
    if key is not None:
        return key
    key = declared_on.column_to_key.get(col)
    if key is None or key not in mapper.columns:
        raise exc.InvalidRequestError(
            f"{mapper.class_.__name__} has no column for {col.name!r}, which "
            f"{declared_on.class_.__name__}'s relationship sets; map it on the concrete class"
        )
    return key


__all__ = ["EXPIRE", "KeyChanges", "KeyLink", "KeySync", "key_links", "set_fk", "state_of"]
