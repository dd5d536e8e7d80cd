"""The statement cache: a SELECT built the same way twice is compiled once.

Called by `uow_orm.sql.compiler.compile_statement` (SELECTs: a statement's *structure*, its
elements with every bound value left out, is the key; a hit reuses the SQL text and result
plan and takes the new statement's values, in placeholder order) and by
`uow_orm.orm.persistence` (`dml_cache`: the flush's statements, by mapper, shape and dialect).

Called by: uow_orm.sql.compiler, uow_orm.orm.persistence, uow_orm.ext.compiler (clears it when a
@compiles function is registered).
"""

from __future__ import annotations

import operator
import threading
from collections import OrderedDict
from itertools import compress
from typing import TYPE_CHECKING, Any

from ..types import TypeEngine
from .elements import BinaryExpression, BindParameter, ClauseElement
from .selectable import Select

if TYPE_CHECKING:
    from .compiler import Compiled

#: how many compiled statements are kept (least recently used ones are dropped)
CACHE_SIZE = 500

_NOT_CACHEABLE = object()
_SELECT_FIELDS = (
    "_entities",
    "_where",
    "_order_by",
    "_group_by",
    "_having",
    "_distinct",
    "_distinct_on",
    "_for_update",
    "_select_from",
    "_joins",
    "_eager_joins",
    "_eager_columns",
    "_correlate",
    "_correlate_except",
)
#: the fields Select.__init__ sets, and those that stay class defaults until set
#: (_orm_from_entities: the mapped classes given to select_from(), which
#: with_loader_criteria filters in a nested SELECT)
_CLASS_DEFAULT_FIELDS = (
    "_distinct_on",
    "_correlate",
    "_correlate_except",
    "_orm_from_entities",
    "_label_style",
)
_INSTANCE_FIELDS = tuple(f for f in _SELECT_FIELDS if f not in _CLASS_DEFAULT_FIELDS)
_get_fields = operator.itemgetter(*_INSTANCE_FIELDS)
_slots_of: dict[type, tuple[str, ...]] = {}


class _Uncacheable(Exception):
    pass


def _slots(cls: type) -> tuple[str, ...]:
    hit = _slots_of.get(cls)
    if hit is None:
        names: list[str] = []
        for k in cls.__mro__:
            for s in getattr(k, "__slots__", ()):
                if s not in names and not s.startswith("__"):
                    names.append(s)
        hit = _slots_of[cls] = tuple(sorted(names))
    return hit


def statement_key(stmt: Any, binds: list[BindParameter]) -> Any:
    """The structure of a ``Select`` as a hashable tuple, its BindParameters appended to
    ``binds`` in the order met; None when the statement cannot be cached.

    Everything that can change the SQL text is in the key: every clause, the loader and
    column options (``load_only()`` changes the columns; ``with_loader_criteria`` is in
    the WHERE clause by the time the ORM compiles), the execution options (by value),
    each bound value's type and kind, and whether LIMIT / OFFSET are present. The
    dialect is added by the caller.
    """
    try:
        return _select_key(stmt, binds)
    except _Uncacheable:
        return None


def _select_key(stmt: Any, binds: list[BindParameter]) -> Any:
    if type(stmt) is not Select:
        raise _Uncacheable
    d = stmt.__dict__
    parts: list[Any] = [stmt._limit is None, stmt._offset is None]
    try:  # (the fields every Select sets, read in one C call: most are empty)
        values = _get_fields(d)
    except KeyError:  # not made by Select.__init__
        values = tuple([d.get(f) for f in _INSTANCE_FIELDS])
    for f in compress(_INSTANCE_FIELDS, values):  # (the non-empty ones, picked in C)
        v = d[f]
        parts.append(f)
        parts.append(_seq(v, binds) if v.__class__ is list else _key(v, binds))
    if not d.keys().isdisjoint(_CLASS_DEFAULT_FIELDS):  # set on few statements
        for f in _CLASS_DEFAULT_FIELDS:
            if f in d:  # set, even to an empty list: correlate(None) is not the default
                parts.append(f)
                parts.append(_key(d[f], binds))
    options = stmt._options
    if options:
        parts.append(_options_key(options, binds))
    execution_options = stmt._execution_options
    if execution_options:
        parts.append(_mapping(execution_options, binds))
    return tuple(parts)


def _options_key(options: list[Any], binds: list[BindParameter]) -> Any:
    """Loader and column options by their contents, so that the same options built again
    hit the cache and different ones never do."""
    out: list[Any] = ["options"]
    for o in options:
        cls = o.__class__
        slots = _option_slots.get(cls)
        if slots is None:
            slots = _option_slots[cls] = _option_slots_of(cls)
        if not slots:
            raise _Uncacheable  # an option whose contents cannot be read: compile apart
        out.append(cls)
        for s in slots:
            out.append(_key(getattr(o, s, None), binds))
    return tuple(out)


_option_slots: dict[type, tuple[str, ...]] = {}


def _option_slots_of(cls: type) -> tuple[str, ...]:
    """The slots that make up an option's key: ``_cache_key_slots`` when the class names
    them (leaving out what reaches the SQL another way), else all of them."""
    named = getattr(cls, "_cache_key_slots", None)
    if named is not None:
        return (*named,) or ("__class__",)
    if "__dict__" in dir(cls):
        return ()
    return _slots(cls)


def _named_slots(cls: type, slots: tuple[str, ...]) -> Any:
    """The key handler of a class that names its key's slots (``_cache_key_slots``)."""

    def by_named_slots(obj: Any, binds: list[BindParameter]) -> Any:
        return (cls, *[_key(getattr(obj, s, None), binds) for s in slots])

    return by_named_slots


def _key(obj: Any, binds: list[BindParameter]) -> Any:
    h = _handlers.get(obj.__class__)
    if h is None:
        h = _handlers[obj.__class__] = _handler_for(obj.__class__)
    return h(obj, binds)


_handlers: dict[type, Any] = {}


def _same(obj: Any, binds: list[BindParameter]) -> Any:
    return obj


def _seq(obj: Any, binds: list[BindParameter]) -> Any:
    # the dispatch of `_key` written out: lists of clauses are most of every key
    out: list[Any] = []
    handlers = _handlers
    for o in obj:
        h = handlers.get(o.__class__)
        if h is _same:
            out.append(o)
            continue
        if h is None:
            h = handlers[o.__class__] = _handler_for(o.__class__)
        out.append(h(o, binds))
    return tuple(out)


def _mapping(obj: Any, binds: list[BindParameter]) -> Any:
    return tuple(sorted((k, _key(v, binds)) for k, v in obj.items()))


def _bind(obj: Any, binds: list[BindParameter]) -> Any:
    binds.append(obj)
    v = obj.value
    t = obj.type
    try:
        tk = t._uow_cache_key
    except AttributeError:
        tk = _type_key(t, binds)
    # SQL may depend on a value's kind (LIKE ... ESCAPE, CAST of a text argument)
    return (
        obj.key,
        tk,
        obj.expanding,
        obj.describes,
        v.__class__,
        v.__class__ is str and "\\" in v,
        len(v) if obj.expanding and hasattr(v, "__len__") else None,
    )


def _never(obj: Any, binds: list[BindParameter]) -> Any:
    raise _Uncacheable


#: each distinct type structure (its class and public attributes) as one token object:
#: a type's key is hashed and compared with every statement key that holds it, and a
#: token is hashed and compared by identity. Bounded: past _TYPE_IDS_MAX structures
#: (types made on the fly with ever new arguments) the structure itself is the key.
_type_ids: dict[Any, object] = {}
_TYPE_IDS_MAX = 10000


def _type_key(obj: Any, binds: list[BindParameter]) -> Any:
    d = getattr(obj, "__dict__", None)
    if d is None:
        return obj  # a type without a __dict__: by identity
    k = d.get("_uow_cache_key")
    if k is None:
        # types do not change once made: their key is computed once and kept on them
        k = (type(obj), *[item for item in d.items() if not item[0].startswith("_")])
        try:
            token = _type_ids.get(k)
            if token is not None:
                k = token
            elif len(_type_ids) < _TYPE_IDS_MAX:
                k = _type_ids.setdefault(k, object())  # equal structures, one token
        except TypeError:  # an unhashable attribute: the object itself is the key
            k = ((type(obj), id(obj)), obj)
        d["_uow_cache_key"] = k
    return k


def _binary(obj: Any, binds: list[BindParameter]) -> Any:
    """``column <op> value`` (most of every WHERE clause): the key `by_slots` makes for a
    BinaryExpression, ``(cls, _orm_entities, left, operator, right, type)``, with the
    common case (a bound value on the right, a column on the left) written out."""
    handlers = _handlers
    left, right, t = obj.left, obj.right, obj.type
    h = handlers.get(left.__class__)
    if h is not _same:
        if h is None:
            h = handlers[left.__class__] = _handler_for(left.__class__)
        left = h(left, binds)
    try:
        tk = t._uow_cache_key
    except AttributeError:
        tk = _key(t, binds)
    entities = getattr(obj, "_orm_entities", None)
    if right.__class__ is BindParameter and right.key is None and not right.expanding:
        # ``column <op> <plain value>`` (``User.id == 5``): `_bind`'s key flattened into
        # this one, marked so that it cannot equal the nested form
        binds.append(right)
        v, rt = right.value, right.type
        try:
            rtk = rt._uow_cache_key  # type: ignore[attr-defined]
        except AttributeError:
            rtk = _type_key(rt, binds)
        vc = v.__class__
        return (_PLAIN_BIND, entities, left, obj.operator, tk, rtk, right.describes, vc,
                vc is str and "\\" in v)  # fmt: skip
    right = _bind(right, binds) if right.__class__ is BindParameter else _key(right, binds)
    return (BinaryExpression, entities, left, obj.operator, right, tk)


#: marks the key of a comparison with an unnamed, non-expanding bound value (`_binary`)
_PLAIN_BIND = object()


def _handler_for(cls: type) -> Any:
    """How a class takes part in keys: by its slots, as a nested select, by value, by
    identity, or never (it makes parameters while compiling: text(), values(), upserts)."""
    if cls in (str, int, float, bool, type(None)) or issubclass(cls, type):
        return _same
    if cls in (list, tuple):
        return _seq
    if cls is dict:
        return _mapping
    if issubclass(cls, BindParameter):
        return _bind
    if cls is Select:
        return _select_key
    if cls is BinaryExpression and _slots(cls) == _BINARY_SLOTS:
        return _binary
    if issubclass(cls, TypeEngine):
        return _type_key
    if getattr(cls, "_cache_key_slots", None) is not None:
        # an ORM option or option element inside an option's path (column options,
        # sub-options, rel.and_() criteria): by its contents, as at the top level
        return _named_slots(cls, _option_slots_of(cls))
    if getattr(cls, "__hash__", None) is None:
        return _never
    if any(hasattr(cls, a) for a in ("bindparams", "data", "on_conflict_do_update")):
        return _never
    if issubclass(cls, ClauseElement) and "__dict__" not in dir(cls):
        slots = _slots(cls)
        if not slots or ("primary_key" in slots and "table" in slots):
            return _same  # a Column (or a constant element): by identity
        return _by_slots(cls, slots)
    return _same  # tables, aliases, subqueries, mapped classes, attributes: by identity


#: the slots of BinaryExpression that `_binary` reads (it stands in for `_by_slots` only
#: while they are exactly these)
_BINARY_SLOTS = ("_orm_entities", "left", "operator", "right", "type")


def _by_slots(cls: type, slots: tuple[str, ...]) -> Any:
    """The key handler of a slotted element class: its class and each slot's key."""
    get_all = operator.attrgetter(*slots) if len(slots) > 1 else None
    handlers = _handlers

    def by_slots(obj: Any, binds: list[BindParameter]) -> Any:
        try:
            values = get_all(obj) if get_all is not None else (getattr(obj, slots[0]),)
        except AttributeError:  # a slot never set
            values = tuple(getattr(obj, s, None) for s in slots)
        out: list[Any] = [cls]
        for v in values:
            h = handlers.get(v.__class__)
            if h is _same:
                out.append(v)
                continue
            if h is _type_key:
                try:
                    out.append(v._uow_cache_key)
                    continue
                except AttributeError:
                    pass
            if h is None:
                h = handlers[v.__class__] = _handler_for(v.__class__)
            out.append(h(v, binds))
        return tuple(out)

    return by_slots


class StatementCache:
    """A bounded LRU of compiled SELECTs keyed by (dialect, structure)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Any:
        """The compiled statement cached under ``key`` (now the most recently used), or None;
        counts a hit or a miss.
        """
        # no lock: OrderedDict's get and move_to_end are each atomic (C, under the GIL);
        # put() evicting the key in between is a miss. (The counts may miss an increment
        # under threads: they are statistics.)
        entries = self._entries
        hit = entries.get(key)
        if hit is not None:
            try:
                entries.move_to_end(key)
            except KeyError:  # evicted by another thread just now
                pass
            self.hits += 1
        else:
            self.misses += 1
        return hit

    def put(self, key: Any, value: Any) -> None:
        """Cache ``value`` under ``key``, dropping the least recently used beyond ``size``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry and reset the hit and miss counts."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


statement_cache = StatementCache()


class CompiledCache:
    """Compiled statements a caller builds the same way again and again, by the caller's
    own key: the flush's INSERT / UPDATE / DELETE per (mapper or table, statement shape,
    dialect). A plain dict (a lookup is one per batch of rows); emptied when it reaches
    ``size`` entries (only a schema with that many statement shapes would get there).
    """

    def __init__(self, size: int = 20000) -> None:
        self.size = size
        self._entries: dict[Any, Compiled] = {}

    def get(self, key: Any) -> Compiled | None:
        """The compiled statement kept for ``key``, or None."""
        return self._entries.get(key)

    def put(self, key: Any, compiled: Compiled) -> None:
        """Keep ``compiled`` for ``key``."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = compiled

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: the unit of work's statements (`uow_orm.orm.persistence`)
dml_cache = CompiledCache()


def plan_for(compiled: Compiled, key_binds: list[BindParameter]) -> list[int] | None:
    """Where each placeholder's value sits among the key's BindParameters (None: some
    placeholder's value came from elsewhere, e.g. made while compiling)."""
    where = {id(b): n for n, b in enumerate(key_binds)}
    plan = []
    for b in compiled.binds:
        n = where.get(id(b))
        if n is None:
            if b.describes in ("LIMIT", "OFFSET"):
                plan.append(-1 if b.describes == "LIMIT" else -2)
                continue
            return None
        plan.append(n)
    return plan


__all__ = [
    "CACHE_SIZE",
    "CompiledCache",
    "StatementCache",
    "dml_cache",
    "plan_for",
    "statement_cache",
    "statement_key",
]
