"""The per-direction flush rules: what each relationship of a flushed object contributes.

Called by: uow_orm.orm.unitofwork.
One-to-many: children added to a parent get its key, children removed lose it (or, with
``delete-orphan``, are deleted), children of a deleted parent lose it too. Many-to-one: the
target must be saved too (its key is copied by `uow_orm.orm.sync`). Many-to-many: rows of
the association table to insert and delete. Deletes the flush adds (orphans, children of a
row switch) go through the session's delete cascade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .. import exc
from . import persistence
from .relationships import Direction, RelationshipProperty
from .state import NO_VALUE, STATE_ATTR, InstanceState
from .sync import KeySync, state_of

if TYPE_CHECKING:
    from ..engine.base import Connection
    from .mapper import Mapper

#: (many-to-many relationship, parent state, child state): one association row
M2MRow = tuple[RelationshipProperty, InstanceState, InstanceState]


def difference(items: list[Any], other: list[Any]) -> list[Any]:
    """The objects of ``items`` that are not in ``other``, by identity (linear time)."""
    ids = {id(o) for o in other}
    return [o for o in items if id(o) not in ids]


def _items(value: Any, uselist: bool) -> list[Any]:
    """A relationship value as a list of objects."""
    if uselist:
        return list(value or [])
    return [value] if value is not None else []


def _loaded_items(value: Any, uselist: bool) -> list[Any]:
    """A relationship value as a list of objects (a false scalar counts as none)."""
    return list(value or []) if uselist else ([value] if value else [])


class Dependencies:
    """The relationship rules of one flush and the association rows they produce."""

    def __init__(
        self,
        owner: object,
        deleted: dict[InstanceState, None],
        sync: KeySync,
        delete_cascade: Callable[[InstanceState], None],
        discard_new: Callable[[InstanceState], None],
    ) -> None:
        self.owner = owner
        self.deleted = deleted
        self.sync = sync
        self.delete_cascade = delete_cascade
        self.discard_new = discard_new
        self.m2m_add: list[M2MRow] = []
        self.m2m_remove: list[M2MRow] = []

    # -- what changed relationships contribute ----------------------------------------------
    def collect(self, states: list[InstanceState], new_set: set[InstanceState]) -> None:
        """Record, for each relationship change of ``states``, the keys to copy or clear,
        the association rows to write and the related objects that must be saved too."""
        for st in states:
            if not st.mapper.relationships:
                continue
            is_new = st in new_set
            d = st().__dict__
            committed = st.committed or {}
            # dict.values(): Properties.values() builds a list (SQLAlchemy's API); hot loop
            for prop in dict.values(st.mapper.relationships):
                if prop.viewonly:
                    continue
                key = prop.key
                if (not is_new and key not in committed) or key not in d:
                    continue
                old = (None if not prop.uselist else []) if is_new else committed.get(key, NO_VALUE)
                if prop.uselist:
                    self._collection(st, prop, d[key], old)
                elif prop.direction is Direction.ONETOMANY:  # one-to-one, FK on the target
                    self._one_to_one(st, prop, d[key], old)
                elif d[key] is not None:  # many-to-one: the target is saved
                    ts = d[key].__dict__[STATE_ATTR]  # = state_of(d[key]), once per child
                    if ts.session is not self.owner:  # (ensure_saved's first check)
                        self.ensure_saved(ts)

    def _collection(
        self, st: InstanceState, prop: RelationshipProperty, current: Any, old: Any
    ) -> None:
        cur_items = list(current or [])
        if not old or old is NO_VALUE:  # a new collection: everything is added
            added, removed = cur_items, []
        else:
            added, removed = difference(cur_items, old), difference(old, cur_items)
        if prop.direction is Direction.ONETOMANY:
            self._one_to_many(st, prop, added, removed)
        elif prop.direction is Direction.MANYTOMANY:
            for child in added:
                self.m2m_add.append((prop, st, state_of(child)))
                self.ensure_saved(state_of(child))
            for child in removed:
                self.m2m_remove.append((prop, st, state_of(child)))

    def _one_to_many(
        self, st: InstanceState, prop: RelationshipProperty, added: list[Any], removed: list[Any]
    ) -> None:
        if added:  # = self._adopt(st, prop, state_of(child)) for each, written out
            syncs = self.sync.child_syncs
            owner = self.owner
            link = (st, prop)
            for child in added:
                cs = child.__dict__[STATE_ATTR]
                links = syncs.get(cs)
                if links is None:
                    syncs[cs] = [link]
                else:
                    links.append(link)
                if cs.session is not owner:
                    self.ensure_saved(cs)
        for child in removed:
            cs = state_of(child)
            if cs in self.deleted or cs.deleted:
                continue
            if "delete-orphan" in prop.cascade:
                continue  # handled by orphans()
            self._release(st, prop, cs)

    def _one_to_one(
        self, st: InstanceState, prop: RelationshipProperty, current: Any, old: Any
    ) -> None:
        if current is not None and current is not old:
            self._adopt(st, prop, state_of(current))
        if old not in (None, NO_VALUE) and old is not current:
            cs = state_of(old)
            if cs not in self.deleted and not cs.deleted and "delete-orphan" not in prop.cascade:
                self._release(st, prop, cs)

    def _adopt(self, st: InstanceState, prop: RelationshipProperty, cs: InstanceState) -> None:
        """``cs`` joined ``st``'s one-to-many: it gets ``st``'s key."""
        self.sync.child_syncs.setdefault(cs, []).append((st, prop))
        if cs.session is not self.owner:  # (the check of ensure_saved, once per child)
            self.ensure_saved(cs)

    def _release(self, st: InstanceState, prop: RelationshipProperty, cs: InstanceState) -> None:
        """``cs`` left ``st``'s one-to-many: its key is cleared (unless it found another)."""
        self.sync.child_nulls.setdefault(cs, []).append((prop, st()))
        self.ensure_saved(cs)

    def ensure_saved(self, st: InstanceState) -> None:
        """A related object outside every session cannot be flushed with this one.

        Raises:
            exc.FlushError: ``st`` is transient (no ``save-update`` cascade brought it in).
        """
        if st.session is not self.owner and st.key is None and st.session is None:
            raise exc.FlushError(
                f"{st.mapper.class_.__name__} object {st()!r} is related to an object "
                "being flushed but is not in the session: no 'save-update' cascade brought "
                "it in (assigning the many-to-one side, child.parent = parent, does not add "
                "the child to the parent's session, as in SQLAlchemy 2.0); add it with "
                "session.add()"
            )

    # -- deletes the flush adds --------------------------------------------------------------
    def row_switch_children(self, old: InstanceState) -> None:
        """A row switch never DELETEs the old row, so ON DELETE rules of the database do
        not run: children that ``passive_deletes`` left unloaded are loaded, and the
        relationship's cascade (delete, or clear their key) applies to them."""
        from .loading import lazy_load

        d = old().__dict__
        for prop in dict.values(old.mapper.relationships):
            if (
                prop.viewonly
                or prop.direction is not Direction.ONETOMANY
                or not prop.passive_deletes
                or prop.key in d
            ):
                continue
            value = lazy_load(old, prop)
            if "delete" not in prop.cascade:
                continue  # deleted_parents() clears their keys
            for child in _loaded_items(value, prop.uselist):
                self.delete_cascade(state_of(child))

    def orphans(self, dirty: list[InstanceState], registry: Mapping[InstanceState, object]) -> None:
        """Children removed from a delete-orphan collection, or whose many-to-one was set to
        None, are deleted (with their own delete cascade); the session's deleted
        ``registry`` then holds them too."""
        if not (dirty or self.deleted or registry):
            return
        orphans: list[InstanceState] = []
        for st in [*dirty, *self.deleted]:
            committed = st.committed
            if not committed:
                continue
            rels = st.mapper.relationships
            if not rels:  # (most changed objects: no relationship, nothing to look at)
                continue
            for prop in dict.values(rels):
                orphans.extend(self._orphans_of(st, prop, committed))
        for cs in orphans:
            if cs not in self.deleted and not cs.deleted:
                self.delete_cascade(cs)
        for extra in registry:
            if extra not in self.deleted:
                self.deleted[extra] = None

    def _orphans_of(
        self, st: InstanceState, prop: RelationshipProperty, committed: dict[str, Any]
    ) -> list[InstanceState]:
        d = st().__dict__
        rev = prop.reverse
        if (
            prop.direction is Direction.MANYTOONE
            and rev is not None
            and "delete-orphan" in rev.cascade
            and prop.key in committed
        ):
            # an unknown old value (NO_VALUE) is not a parent that was taken away
            taken = (
                d.get(prop.key) is None
                and committed[prop.key] is not None
                and committed[prop.key] is not NO_VALUE
                and st not in self.deleted
                and st.key is not None
            )
            return [st] if taken else []
        if "delete-orphan" not in prop.cascade or prop.key not in committed:
            return []
        old = committed[prop.key]
        if old is NO_VALUE or old is None:
            return []
        old_items = old if prop.uselist else [old]
        out = []
        for child in difference(list(old_items), _items(d.get(prop.key), prop.uselist)):
            cs = state_of(child)
            if cs.key is None:
                self.discard_new(cs)
                continue
            if rev is not None and not rev.uselist:
                new_parent = child.__dict__.get(rev.key)
                if new_parent is not None and new_parent is not st():
                    continue  # moved to another parent
            out.append(cs)
        return out

    def deleted_parents(self) -> None:
        """NULL the keys of children whose parent is deleted without a delete cascade."""
        last: Mapper | None = None
        props: list[RelationshipProperty] = []
        for st in list(self.deleted):
            mapper = st.mapper
            if mapper is not last:  # (the rules once per run of one class)
                if not mapper.registry.configured:
                    mapper.registry.configure()
                last = mapper
                props = [
                    prop
                    for prop in dict.values(mapper.relationships)
                    if not prop.viewonly
                    and prop.direction is Direction.ONETOMANY
                    and "delete" not in prop.cascade
                ]
            for prop in props:
                d = st().__dict__
                if prop.passive_deletes == "all":
                    continue  # the database (or nobody) handles the children's keys
                if prop.passive_deletes and prop.key not in d:
                    continue
                value = d.get(prop.key, NO_VALUE)
                if value is NO_VALUE:
                    from .loading import lazy_load

                    value = lazy_load(st, prop)
                for child in _loaded_items(value, prop.uselist):
                    cs = state_of(child)
                    if cs in self.deleted or cs.deleted or cs.key is None:
                        continue
                    self.sync.child_nulls.setdefault(cs, []).append((prop, st()))

    # -- many-to-many association rows -------------------------------------------------------
    def write_secondary(self, connection_for: Callable[[Mapper], Connection]) -> None:
        """DELETE the association rows of deleted objects and of removed pairs, then
        INSERT those of added pairs (a pair changed from both sides is one row)."""
        # Association rows of deleted objects go first: a row switch's new object may add
        # rows with the same key.
        last: Mapper | None = None
        props: list[RelationshipProperty] = []
        for st in self.deleted:
            if st.key is None:
                continue
            if st.mapper is not last:  # (the many-to-many ones once per run of one class)
                last = st.mapper
                props = [
                    prop
                    for prop in dict.values(last.relationships)
                    if prop.direction is Direction.MANYTOMANY and not prop.viewonly
                ]
            for prop in props:
                cols = [sc for _, sc in prop._pairs]
                pk_keys = st.mapper.pk_keys
                to_key = st.mapper.column_to_key
                vals = tuple(st.key[1][pk_keys.index(to_key[lc])] for lc, _ in prop._pairs)
                conn = connection_for(st.mapper)
                persistence.secondary_rows(conn, prop.secondary, cols, [vals], True)
        for rows, delete in ((self.m2m_remove, True), (self.m2m_add, False)):
            self._write_pairs(rows, delete, connection_for)

    def _write_pairs(
        self, rows: list[M2MRow], delete: bool, connection_for: Callable[[Mapper], Connection]
    ) -> None:
        grouped: dict[Any, list[tuple[Any, ...]]] = {}
        for prop, parent, child in rows:
            if not delete and (child in self.deleted or parent in self.deleted):
                continue
            row = _secondary_row(prop, parent, child)
            if row is None:
                continue
            lst = grouped.setdefault((id(prop.secondary), prop), [])
            if row not in lst:
                lst.append(row)
        done: set[tuple[Any, ...]] = set()
        for (_, prop), prows in grouped.items():
            cols = [sc for _, sc in prop._pairs] + [sc for _, sc in prop.secondary_target_pairs]
            unique = []
            for r in prows:
                canon = _canonical(prop, r)  # a pair changed from both sides is one row
                if canon in done:
                    continue
                done.add(canon)
                unique.append(r)
            if unique:
                conn = connection_for(prop.parent)
                persistence.secondary_rows(conn, prop.secondary, cols, unique, delete)


def _secondary_row(
    prop: RelationshipProperty, parent: InstanceState, child: InstanceState
) -> tuple[Any, ...] | None:
    """The association row of a (parent, child) pair; None while a key is unknown."""
    vals = []
    for st, pairs in ((parent, prop._pairs), (child, prop.secondary_target_pairs)):
        to_key = st.mapper.column_to_key
        for col, _ in pairs:
            v = st().__dict__.get(to_key[col], NO_VALUE)
            if v is NO_VALUE:
                v = getattr(st(), to_key[col])
            vals.append(v)
    if any(v is None for v in vals):
        return None
    return tuple(vals)


def _canonical(prop: RelationshipProperty, row: tuple[Any, ...]) -> tuple[Any, ...]:
    cols = [sc for _, sc in prop._pairs] + [sc for _, sc in prop.secondary_target_pairs]
    return (
        prop.secondary.name,  # type: ignore[union-attr]
        tuple(sorted(zip((c.name for c in cols), row), key=lambda p: p[0])),
    )


__all__ = ["Dependencies", "M2MRow", "difference"]
