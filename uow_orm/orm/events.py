"""ORM events: SQLAlchemy's SessionEvents, MapperEvents, InstanceEvents, AttributeEvents.

`event.listen` reaches these dispatchers through the resolver that
`uow_orm.orm.session_events` registers; the session, mapper, flush, loading and attribute
code call the ``fire_*`` helpers below from one- or two-line dispatch sites that cost one
attribute read when nobody listens.

Called by: uow_orm.orm.* (the dispatch sites in the mapper, attribute, flush, loading
and session code; session_events resolves listen targets to these dispatchers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ..event import (
    Listener,
    check_flags,
    dispatcher_class,
)
from . import base as _base
from .state import NO_VALUE, STATE_ATTR, InstanceState

if TYPE_CHECKING:
    from .base import ObjectSession as Session
    from .mapper import Mapper


# -- session events ---------------------------------------------------------------------------
_S = ("session",)
_SI = ("session", "instance")

#: SessionEvents: name -> argument names, as SQLAlchemy 2.0 calls them.
SESSION_SIGNATURES: dict[str, tuple[str, ...]] = {
    "after_transaction_create": ("session", "transaction"),
    "after_transaction_end": ("session", "transaction"),
    "before_commit": _S,
    "after_commit": _S,
    "after_rollback": _S,
    "after_soft_rollback": ("session", "previous_transaction"),
    "before_flush": ("session", "flush_context", "instances"),
    "after_flush": ("session", "flush_context"),
    "after_flush_postexec": ("session", "flush_context"),
    "after_begin": ("session", "transaction", "connection"),
    "before_attach": _SI,
    "after_attach": _SI,
    "after_bulk_update": ("update_context",),
    "after_bulk_delete": ("delete_context",),
    "transient_to_pending": _SI,
    "pending_to_transient": _SI,
    "persistent_to_transient": _SI,
    "pending_to_persistent": _SI,
    "detached_to_persistent": _SI,
    "loaded_as_persistent": _SI,
    "persistent_to_deleted": _SI,
    "deleted_to_persistent": _SI,
    "deleted_to_detached": _SI,
    "persistent_to_detached": _SI,
    "do_orm_execute": ("orm_execute_state",),
}


def _session_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    """uow_orm's first signature for the flush and transaction events: ``fn(session)``."""

    def adapted(session: Any, *rest: Any) -> Any:
        return fn(session)

    return adapted


_LEGACY_SESSION = {
    name: {1: _session_only}
    for name in (
        "before_flush",
        "after_flush",
        "after_flush_postexec",
        "after_begin",
        "after_soft_rollback",
    )
}

_SessionDispatchBase = dispatcher_class(
    "SessionDispatch",
    SESSION_SIGNATURES,
    # a do_orm_execute listener's Result is used with or without retval=True
    retval_events=("do_orm_execute",),
    legacy=_LEGACY_SESSION,
)


class SessionDispatch(_SessionDispatchBase):  # type: ignore[valid-type,misc]
    """The session events' dispatcher (of a Session, its class, or a sessionmaker)."""

    def _rebuild(self, names: Iterable[str]) -> None:
        super()._rebuild(names)
        state.generation += 1  # cached object builders include loaded_as_persistent


def fire_session(session: Session, name: str, *args: Any) -> None:
    """Call the listeners of session event ``name`` with ``(session, *args)``."""
    for fn in session.dispatch.__dict__.get(name, ()):
        fn(session, *args)


def fire_each(session: Session, name: str, states: Iterable[InstanceState]) -> None:
    """A per-object session event (``pending_to_persistent``...) for each live object."""
    fns = session.dispatch.__dict__.get(name, ())
    for st in list(states):
        obj = st()
        if obj is not None:
            for fn in fns:
                fn(session, obj)


# -- mapper and instance events ---------------------------------------------------------------
_MCT = ("mapper", "connection", "target")

#: MapperEvents: name -> argument names.
MAPPER_SIGNATURES: dict[str, tuple[str, ...]] = {
    "before_insert": _MCT,
    "after_insert": _MCT,
    "before_update": _MCT,
    "after_update": _MCT,
    "before_delete": _MCT,
    "after_delete": _MCT,
    "instrument_class": ("mapper", "class_"),
    # (an InstrumentationEvents event in SQLAlchemy: once per mapped attribute, for the
    # class listened on and all its subclasses)
    "attribute_instrument": ("cls", "key", "inst"),
    "before_mapper_configured": ("mapper", "class_"),
    "mapper_configured": ("mapper", "class_"),
    "before_configured": (),
    "after_configured": (),
}
#: InstanceEvents: name -> argument names.
INSTANCE_SIGNATURES: dict[str, tuple[str, ...]] = {
    "init": ("target", "args", "kwargs"),
    "init_failure": ("target", "args", "kwargs"),
    "load": ("target", "context"),
    "refresh": ("target", "context", "attrs"),
    "refresh_flush": ("target", "flush_context", "attrs"),
    "expire": ("target", "attrs"),
}
CLASS_SIGNATURES = {**MAPPER_SIGNATURES, **INSTANCE_SIGNATURES}
#: events listened for on ``Mapper`` only (they are about all mappers at once)
_GLOBAL_ONLY = frozenset({"before_configured", "after_configured"})
#: where the object is in the argument list (``raw=True`` passes its state instead)
_TARGET_POS = {
    name: args.index("target") for name, args in CLASS_SIGNATURES.items() if "target" in args
}

#: What a retval=True mapper or instance listener returns to go on / to stop the listeners
#: after it (members of SQLAlchemy's `EventConstants`).
EXT_CONTINUE = _base.EXT_CONTINUE
EXT_STOP = _base.EXT_STOP


class MapperDispatch:
    """The mapper and instance event listeners that apply to one mapper (each event a
    tuple of callables, empty when nobody listens)."""

    def __init__(self, listeners: dict[str, list[Listener]]) -> None:
        for name, items in listeners.items():
            setattr(self, name, tuple(li.call for li in items))
            if any(li.retval for li in items):
                setattr(self, "_stop_" + name, True)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


for _name in CLASS_SIGNATURES:
    setattr(MapperDispatch, _name, ())
EMPTY_MAPPER_DISPATCH = MapperDispatch({})


class _ClassEntry:
    __slots__ = ("cls", "listener", "propagate")

    def __init__(self, cls: type | None, listener: Listener, propagate: bool) -> None:
        self.cls = cls  # None: every mapper (listened for on Mapper)
        self.listener = listener
        self.propagate = propagate

    def applies(self, mapper: Mapper) -> bool:
        cls = self.cls
        if cls is None or cls is mapper.class_:
            return True
        return self.propagate and cls in mapper.class_.__mro__


_class_entries: list[_ClassEntry] = []


class _State:
    """Counters read by cached builders: a change of listeners invalidates them."""

    generation = 0
    #: how many mappers have ``expire`` listeners (commit checks this once)
    expire_mappers = 0


state = _State()


def _all_mappers() -> list[Mapper]:
    from .mapper import registries

    return [m for reg in list(registries) for m in reg.mappers]


def _raw(pos: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def adapt(fn: Callable[..., Any]) -> Callable[..., Any]:
        def raw(*args: Any) -> Any:
            a = list(args)
            a[pos] = a[pos].__dict__[STATE_ATTR]
            return fn(*a)

        return raw

    return adapt


def _retval_wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A mapper listener with retval=True: EXT_STOP ends the chain (see `fire_mapper`)."""

    def call(*args: Any) -> Any:
        if fn(*args) == EXT_STOP:
            raise _Stop
        return None

    return call


class _Stop(Exception):
    pass


class _ClassHost:
    """Mapper and instance events of a class (and its subclasses with ``propagate``), or
    of every mapper (``cls`` None: listened for on ``Mapper``)."""

    def __init__(self, cls: type | None, what: str) -> None:
        self.cls = cls
        self.what = what

    def _check_name(self, identifier: str) -> None:
        if identifier not in CLASS_SIGNATURES:
            if identifier in AttributeDispatch.signatures:
                hint = "; attribute events are listened for on an attribute such as User.name"
            elif identifier in SESSION_SIGNATURES:
                hint = "; session events are listened for on Session or a sessionmaker"
            else:
                hint = ""
            raise exc.InvalidRequestError(
                f"No such event {identifier!r} for target {self.what}{hint}"
            )
        if identifier in _GLOBAL_ONLY and self.cls is not None:
            raise exc.InvalidRequestError(
                f"the {identifier!r} event is about every mapper: listen on Mapper, not on "
                f"{self.what}"
            )

    def _listen(self, identifier: str, fn: Callable[..., Any], flags: dict[str, Any]) -> None:
        self._check_name(identifier)
        allowed = {"once", "insert", "named", "propagate", "retval"}
        if identifier in _TARGET_POS:
            allowed.add("raw")
        if identifier in ("load", "refresh"):
            allowed.add("restore_load_context")
        check_flags(self.what, identifier, flags, allowed)
        adapt = None
        if flags.get("raw"):
            adapt = _raw(_TARGET_POS[identifier])
        listener = Listener(identifier, fn, CLASS_SIGNATURES[identifier], flags, adapt)
        if listener.retval:
            listener.call = _retval_wrap(listener.call)
        # attribute_instrument reaches subclasses without propagate, as in SQLAlchemy
        propagate = bool(flags.get("propagate")) or identifier == "attribute_instrument"
        _class_entries.append(_ClassEntry(self.cls, listener, propagate))
        _class_entries.sort(key=lambda e: e.listener.seq)
        refresh_mappers()

    def _find(self, identifier: str, fn: Callable[..., Any]) -> _ClassEntry | None:
        for e in _class_entries:
            if e.cls is self.cls and e.listener.identifier == identifier and e.listener.fn == fn:
                return e
        return None

    def _remove(self, identifier: str, fn: Callable[..., Any]) -> None:
        self._check_name(identifier)
        e = self._find(identifier, fn)
        if e is None:
            raise exc.InvalidRequestError(f"No listeners found for event {identifier!r} / {fn!r}")
        _class_entries.remove(e)
        refresh_mappers()

    def _contains(self, identifier: str, fn: Callable[..., Any]) -> bool:
        return self._find(identifier, fn) is not None


def _mapper_listeners(mapper: Mapper) -> dict[str, list[Listener]]:
    out: dict[str, list[Listener]] = {}
    for e in _class_entries:
        if e.applies(mapper):
            out.setdefault(e.listener.identifier, []).append(e.listener)
    return out


def refresh_mappers(mappers: Iterable[Mapper] | None = None) -> None:
    """Recompute the dispatch of ``mappers`` (default: all) after a change of listeners."""
    state.generation += 1
    for mapper in list(mappers) if mappers is not None else _all_mappers():
        _apply_mapper(mapper)
    state.expire_mappers = sum(1 for m in _all_mappers() if m.dispatch.expire)


def _apply_mapper(mapper: Mapper) -> None:
    listeners = _mapper_listeners(mapper)
    mapper.dispatch = MapperDispatch(listeners) if listeners else EMPTY_MAPPER_DISPATCH
    _install_init(mapper)
    _apply_attributes(mapper)


def mapper_created(mapper: Mapper) -> None:
    """A new mapper: give it its listeners and fire ``instrument_class``."""
    _apply_mapper(mapper)
    state.generation += 1
    for fn in mapper.dispatch.instrument_class:
        fn(mapper, mapper.class_)
    if mapper.dispatch.attribute_instrument:
        cls = mapper.class_
        for key in [*mapper.column_keys, *mapper.relationships.keys()]:
            inst = getattr(cls, key, None)
            if inst is not None:
                for fn in mapper.dispatch.attribute_instrument:
                    fn(cls, key, inst)


def fire_mapper(
    mapper: Mapper, name: str, connection: Any, states: Sequence[InstanceState]
) -> None:
    """``before_insert`` and the other persistence events: once per object, in order."""
    fns = getattr(mapper.dispatch, name)
    stops = getattr(mapper.dispatch, "_stop_" + name, False)
    for st in states:
        obj = st()
        for fn in fns:
            if stops:
                try:
                    fn(mapper, connection, obj)
                except _Stop:
                    break
            else:
                fn(mapper, connection, obj)


def _fire_class(mapper: Mapper, name: str, *args: Any) -> None:
    for fn in getattr(mapper.dispatch, name):
        try:
            fn(*args)
        except _Stop:
            break


def fire_configure(mappers: Sequence[Mapper], before: bool) -> None:
    """``before_configured`` / ``after_configured`` around a registry configuration, and
    ``mapper_configured`` for each mapper (after)."""
    if not _class_entries:
        return
    if before:
        for e in [e for e in _class_entries if e.listener.identifier == "before_configured"]:
            e.listener.call()
        for m in mappers:
            _fire_class(m, "before_mapper_configured", m, m.class_)
        return
    for m in mappers:
        _fire_class(m, "mapper_configured", m, m.class_)
    for e in [e for e in _class_entries if e.listener.identifier == "after_configured"]:
        e.listener.call()


# -- init / init_failure: a constructor wrapper, installed only while somebody listens -----------
_INIT_WRAPPER = "_uow_events_init"


def _install_init(mapper: Mapper) -> None:
    cls = mapper.class_
    current = cls.__dict__.get("__init__")
    wrapped = current is not None and getattr(current, _INIT_WRAPPER, None) is not None
    want = bool(mapper.dispatch.init or mapper.dispatch.init_failure)
    if want and not wrapped:
        original = cls.__init__  # type: ignore[misc]

        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            if type(self) is not cls:
                original(self, *args, **kw)
                return
            dispatch = mapper.dispatch
            for fn in dispatch.init:
                fn(self, args, kw)
            try:
                original(self, *args, **kw)
            except BaseException:
                for fn in dispatch.init_failure:
                    fn(self, args, kw)
                raise

        __init__.__doc__ = original.__doc__
        setattr(__init__, _INIT_WRAPPER, (current,))
        type.__setattr__(cls, "__init__", __init__)
    elif wrapped and not want:
        (before,) = getattr(current, _INIT_WRAPPER)
        if before is None:
            type.__delattr__(cls, "__init__")
        else:
            type.__setattr__(cls, "__init__", before)


# -- load / refresh / expire ----------------------------------------------------------------
class QueryContext:
    """The ``context`` of ``load`` and ``refresh`` events: the loading session (and the
    statement, when one is being run)."""

    def __init__(self, session: Session, statement: Any = None) -> None:
        self.session = session
        self.statement = statement
        self.query = statement

    @property
    def execution_options(self) -> dict[str, Any]:
        """The execution options of the statement that loaded the object."""
        opts: dict[str, Any] = getattr(self.statement, "_execution_options", None) or {}
        return opts


def on_load(mapper: Mapper, session: Session) -> Callable[[Any], Any] | None:
    """What loading runs on each new object of ``mapper``: the mapper's own hook
    (``@reconstructor``, mutable links) plus ``load`` and ``loaded_as_persistent``
    listeners, or None when there is nothing to run."""
    recon = mapper._on_load
    loads = mapper.dispatch.load
    persistent = session.dispatch.__dict__.get("loaded_as_persistent", ())
    if not loads and not persistent:
        return recon
    ctx = QueryContext(session)

    def hook(obj: Any) -> None:
        if recon is not None:
            recon(obj)
        for fn in loads:
            fn(obj, ctx)
        for fn in persistent:
            fn(session, obj)

    return hook


def fire_refresh(st: InstanceState, session: Session, attrs: Iterable[str] | None) -> None:
    """``refresh`` listeners of a reloaded object (``attrs`` None: every attribute)."""
    fns = st.mapper.dispatch.refresh
    if fns:
        ctx = QueryContext(session)
        names = frozenset(attrs) if attrs is not None else None
        obj = st()
        for fn in fns:
            fn(obj, ctx, names)


def fire_refresh_flush(states: Iterable[InstanceState], attrs: Sequence[Sequence[str]]) -> None:
    """``refresh_flush`` listeners: the flush put values the object did not give into it
    (defaults, server values by RETURNING); ``attrs`` per state, the primary key left
    out, as SQLAlchemy lists them. States with none are not reported."""
    for st, names in zip(states, attrs):
        if not names:
            continue
        ctx = FlushContext(st.session) if st.session is not None else None
        obj = st()
        for fn in st.mapper.dispatch.refresh_flush:
            fn(obj, ctx, list(names))


def fire_expire(st: InstanceState, attrs: Iterable[str] | None) -> None:
    """``expire`` listeners of an expired object (``attrs`` None: all attributes)."""
    fns = st.mapper.dispatch.expire
    if fns:
        obj = st()
        if obj is not None:
            names = list(attrs) if attrs is not None else None
            for fn in fns:
                fn(obj, names)


def fire_expire_all(states: Iterable[InstanceState]) -> None:
    """``expire`` for each state (commit / expire_all / rollback expiry)."""
    for st in list(states):
        if st.mapper.dispatch.expire:
            fire_expire(st, None)


# -- attribute events -----------------------------------------------------------------------
OP_REPLACE = "REPLACE"
OP_APPEND = "APPEND"
OP_REMOVE = "REMOVE"
OP_BULK_REPLACE = "BULK_REPLACE"
OP_MODIFIED = "MODIFIED"


class AttributeEventToken:
    """The ``initiator`` of an attribute event: which attribute (``key``) and what
    happened (``op``: OP_REPLACE, OP_APPEND, OP_REMOVE, OP_BULK_REPLACE, OP_MODIFIED)."""

    __slots__ = ("impl", "key", "op", "parent_token")

    def __init__(self, key: str, op: str) -> None:
        self.key = key
        self.op = op
        self.impl = None
        self.parent_token = self

    def __repr__(self) -> str:
        return f"<AttributeEventToken {self.key} {self.op}>"


class AttributeDispatch:
    """The attribute listeners of one attribute of one mapper."""

    signatures: dict[str, tuple[str, ...]] = {
        "set": ("target", "value", "oldvalue", "initiator"),
        "append": ("target", "value", "initiator"),
        "remove": ("target", "value", "initiator"),
        "bulk_replace": ("target", "values", "initiator"),
        "modified": ("target", "initiator"),
        "init_scalar": ("target", "value", "dict_"),
        "init_collection": ("target", "collection", "collection_adapter"),
        "dispose_collection": ("target", "collection", "collection_adapter"),
    }
    #: events whose listeners may return a replacement value (``retval=True``)
    retval_events = frozenset({"set", "append", "init_scalar"})

    def __init__(self, key: str, listeners: dict[str, list[Listener]]) -> None:
        self.key = key
        self.active_history = any(
            li.flags.get("active_history") for items in listeners.values() for li in items
        )
        self.tokens = {
            "set": AttributeEventToken(key, OP_REPLACE),
            "append": AttributeEventToken(key, OP_APPEND),
            "remove": AttributeEventToken(key, OP_REMOVE),
            "bulk_replace": AttributeEventToken(key, OP_BULK_REPLACE),
            "modified": AttributeEventToken(key, OP_MODIFIED),
        }
        for name in self.signatures:
            items = listeners.get(name, [])
            setattr(self, name, tuple((li.call, li.retval) for li in items))

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


class _AttrEntry:
    __slots__ = ("cls", "key", "listener", "propagate")

    def __init__(self, cls: type, key: str, listener: Listener, propagate: bool) -> None:
        self.cls = cls
        self.key = key
        self.listener = listener
        self.propagate = propagate

    def applies(self, mapper: Mapper) -> bool:
        if self.cls is mapper.class_:
            return True
        return self.propagate and self.cls in mapper.class_.__mro__


_attr_entries: list[_AttrEntry] = []


def _include_key(
    fn: Callable[..., Any], cls: type, key: str, identifier: str
) -> Callable[..., Any]:
    """An ``include_key=True`` attribute listener, given the collection key as SQLAlchemy
    gives it: ``key=`` to ``append`` / ``remove`` (the member's dictionary key in a keyed
    dict collection, else `NO_KEY`; a member removed by a bulk replace has `NO_KEY`),
    ``keys=`` to ``bulk_replace`` (the dictionary keys, or None), nothing to the others.
    A keyed dict's key is its key function's value for the member."""
    if identifier not in ("append", "remove", "bulk_replace"):
        return fn
    found: list[Any] = []  # [the key function, or None], found on the first call

    def keyfunc() -> Any:
        if not found:
            coll = cls.__mapper__.relationships[key]._collection  # type: ignore[attr-defined]
            found.append(coll.factory().keyfunc if coll and coll.kind == "dict" else None)
        return found[0]

    if identifier == "bulk_replace":

        def with_keys(target: Any, values: Any, initiator: Any) -> Any:
            f = keyfunc()
            return fn(target, values, initiator, keys=None if f is None else list(map(f, values)))

        return with_keys

    def with_key(target: Any, value: Any, initiator: Any) -> Any:
        if identifier == "remove" and initiator.op == OP_BULK_REPLACE:
            return fn(target, value, initiator, key=_base.NO_KEY)
        f = keyfunc()
        return fn(target, value, initiator, key=_base.NO_KEY if f is None else f(value))

    return with_key


class _AttributeHost:
    """The events of one mapped attribute (``User.name``)."""

    def __init__(self, cls: type, key: str) -> None:
        self.cls = cls
        self.key = key
        self.what = f"{cls.__name__}.{key}"

    def _check_name(self, identifier: str) -> None:
        if identifier not in AttributeDispatch.signatures:
            raise exc.InvalidRequestError(
                f"No such event {identifier!r} for target {self.what}; attribute events are "
                f"{', '.join(sorted(AttributeDispatch.signatures))}"
            )

    def _listen(self, identifier: str, fn: Callable[..., Any], flags: dict[str, Any]) -> None:
        self._check_name(identifier)
        allowed = {"once", "insert", "named", "propagate", "raw", "include_key"}
        if identifier in AttributeDispatch.retval_events:
            allowed.add("retval")
        if identifier == "set":
            allowed.add("active_history")
        check_flags(self.what, identifier, flags, allowed)
        key, cls = self.key, self.cls

        def adapt(call: Callable[..., Any]) -> Callable[..., Any]:
            if flags.get("include_key"):
                call = _include_key(call, cls, key, identifier)
            if flags.get("raw"):
                call = _raw(0)(call)
            return call

        listener = Listener(identifier, fn, AttributeDispatch.signatures[identifier], flags, adapt)
        _attr_entries.append(_AttrEntry(self.cls, key, listener, bool(flags.get("propagate"))))
        _attr_entries.sort(key=lambda e: e.listener.seq)
        refresh_mappers()

    def _find(self, identifier: str, fn: Callable[..., Any]) -> _AttrEntry | None:
        for e in _attr_entries:
            if (
                e.cls is self.cls
                and e.key == self.key
                and e.listener.identifier == identifier
                and e.listener.fn == fn
            ):
                return e
        return None

    def _remove(self, identifier: str, fn: Callable[..., Any]) -> None:
        self._check_name(identifier)
        e = self._find(identifier, fn)
        if e is None:
            raise exc.InvalidRequestError(f"No listeners found for event {identifier!r} / {fn!r}")
        _attr_entries.remove(e)
        refresh_mappers()

    def _contains(self, identifier: str, fn: Callable[..., Any]) -> bool:
        return self._find(identifier, fn) is not None


class EventSetter:
    """Stands in ``Mapper.setters`` (innermost, under ``@validates``) for an attribute
    with ``set`` or ``bulk_replace`` listeners."""

    __slots__ = ("attr", "dispatch", "key")

    def __init__(self, attr: Any, dispatch: AttributeDispatch) -> None:
        self.attr = attr
        self.key = attr.key
        self.dispatch = dispatch

    def set(self, obj: Any, value: Any) -> None:
        disp = self.dispatch
        if getattr(self.attr, "is_relationship", False) and self.attr.prop.uselist:
            # the listeners get the members: a dict's values (assigned as the dict itself)
            if isinstance(value, dict):
                members = list(value.values())
            else:
                value = members = list(value)
            if disp.bulk_replace:
                token = disp.tokens["bulk_replace"]
                for fn, _retval in disp.bulk_replace:
                    fn(obj, members, token)
            old_items = list(obj.__dict__.get(self.key, ()))
            self.attr.set(obj, value)
            if disp.dispose_collection and self.key in obj.__dict__:
                fire_collection(obj.__dict__[STATE_ATTR], self.key, "dispose_collection", old_items)
            return
        if disp.set:
            d = obj.__dict__
            key = self.key
            old = d.get(key, NO_VALUE)
            st: InstanceState = d[STATE_ATTR]
            if (
                old is NO_VALUE
                and disp.active_history
                and st.key is not None
                and st.session is not None
            ):
                old = getattr(obj, key)
            token = disp.tokens["set"]
            for fn, retval in disp.set:
                out = fn(obj, value, old, token)
                if retval:
                    value = out
        self.attr.set(obj, value)


def _base_setter(mapper: Mapper, key: str) -> tuple[Any, Any]:
    """(the object holding the innermost setter, the innermost setter) for ``key``."""
    holder: Any = None
    s: Any = mapper.setters[key]
    while hasattr(s, "attr") and not isinstance(s, EventSetter):
        holder, s = s, s.attr
    return holder, s


def _apply_attributes(mapper: Mapper) -> None:
    per_key: dict[str, dict[str, list[Listener]]] = {}
    for e in _attr_entries:
        if e.key in mapper.setters and e.applies(mapper):
            per_key.setdefault(e.key, {}).setdefault(e.listener.identifier, []).append(e.listener)
    old = mapper.__dict__.get("attr_dispatch") or {}
    new = {key: AttributeDispatch(key, ls) for key, ls in per_key.items()}
    for key in set(old) | set(new):
        holder, s = _base_setter(mapper, key)
        if isinstance(s, EventSetter):
            # unwrap first
            base = s.attr
            if holder is None:
                mapper.setters[key] = base
            else:
                holder.attr = base
            holder, s = _base_setter(mapper, key)
        disp = new.get(key)
        if disp is not None and (disp.set or disp.bulk_replace or disp.dispose_collection):
            wrapper = EventSetter(s, disp)
            if holder is None:
                mapper.setters[key] = wrapper  # type: ignore[assignment]
            else:
                holder.attr = wrapper
    if new:
        mapper.attr_dispatch = new
    else:
        mapper.__dict__.pop("attr_dispatch", None)
    if any(d.set for d in new.values()):
        mapper._init_direct = {}
    elif not (mapper.validators or mapper.mutable_keys):
        mapper._init_direct = mapper.columns


def fire_init_scalar(st: InstanceState, obj: Any, key: str) -> Any:
    """An unset scalar attribute of a transient / pending object is read: ``init_scalar``
    listeners may give (retval=True) or set (into ``dict_``) a default."""
    disp = st.mapper.attr_dispatch.get(key)
    value = None
    if disp is not None:
        d = obj.__dict__
        for fn, retval in disp.init_scalar:
            out = fn(obj, value, d)
            if retval:
                value = out
        if key in d:
            return d[key]
    return value


def fire_append(
    st: InstanceState, key: str, item: Any, initiator: AttributeEventToken | None = None
) -> Any:
    """``append`` listeners of collection ``key``; retval=True ones may replace the item.
    ``initiator``: the token of the change that caused it (a bulk replace, the other side
    of a backref); None: a plain append to this collection."""
    disp = st.mapper.attr_dispatch.get(key)
    if disp is None or not disp.append:
        return item
    obj = st()
    token = initiator if initiator is not None else disp.tokens["append"]
    for fn, retval in disp.append:
        out = fn(obj, item, token)
        if retval:
            item = out
    return item


def fire_remove(
    st: InstanceState, key: str, item: Any, initiator: AttributeEventToken | None = None
) -> None:
    """``remove`` listeners of collection ``key`` (``initiator`` as for `fire_append`)."""
    disp = st.mapper.attr_dispatch.get(key)
    if disp is not None and disp.remove:
        obj = st()
        token = initiator if initiator is not None else disp.tokens["remove"]
        for fn, _retval in disp.remove:
            fn(obj, item, token)


def fire_set(
    st: InstanceState, key: str, value: Any, old: Any, initiator: AttributeEventToken
) -> Any:
    """``set`` listeners of scalar ``key`` for a change made by the other side of a
    backref (``initiator`` is that side's token); retval=True ones may replace the value.
    The value to store."""
    disp = st.mapper.attr_dispatch.get(key)
    if disp is not None and disp.set:
        obj = st()
        for fn, retval in disp.set:
            out = fn(obj, value, old, initiator)
            if retval:
                value = out
    return value


def fire_collection(st: InstanceState, key: str, name: str, collection: Any) -> None:
    """``init_collection`` / ``dispose_collection`` listeners of collection ``key``."""
    disp = st.mapper.attr_dispatch.get(key)
    if disp is not None:
        obj = st()
        for fn, _retval in getattr(disp, name):
            fn(obj, collection, None)


def fire_modified(st: InstanceState, key: str) -> None:
    """``modified`` listeners (``flag_modified``)."""
    disp = st.mapper.attr_dispatch.get(key)
    if disp is not None:
        obj = st()
        token = disp.tokens["modified"]
        for fn, _retval in disp.modified:
            fn(obj, token)


__all__ = [
    "EXT_CONTINUE",
    "EXT_STOP",
    "INSTANCE_SIGNATURES",
    "MAPPER_SIGNATURES",
    "OP_APPEND",
    "OP_BULK_REPLACE",
    "OP_MODIFIED",
    "OP_REMOVE",
    "OP_REPLACE",
    "SESSION_SIGNATURES",
    "AttributeDispatch",
    "AttributeEventToken",
    "EventSetter",
    "MapperDispatch",
    "QueryContext",
    "SessionDispatch",
]


# -- session helpers used by the dispatch sites ----------------------------------------------------
class FlushContext:
    """The ``flush_context`` of the flush events (SQLAlchemy's ``UOWTransaction``):
    ``session``, and ``plan`` (the flush plan) once it is made."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.plan: Any = None


def fire_detach(session: Session, states: Iterable[InstanceState]) -> None:
    """Objects leaving ``session`` (expunge, close): ``pending_to_transient``,
    ``deleted_to_detached`` or ``persistent_to_detached``, by their state."""
    d = session.dispatch.__dict__
    for st in list(states):
        if st.session is not session:
            continue
        obj = st()
        if obj is None:
            continue
        if st.key is None:
            name = "pending_to_transient"
        elif st.deleted:
            name = "deleted_to_detached"
        else:
            name = "persistent_to_detached"
        for fn in d.get(name, ()):
            fn(session, obj)


def flushed_deletes(session: Session) -> list[InstanceState]:
    """The objects whose DELETE was flushed in the session's transaction (a rollback
    makes them persistent again: ``deleted_to_persistent``)."""
    out: list[InstanceState] = []
    t = session.transactions.current
    while t is not None:
        out.extend(st for st in t.deleted if st.key is not None and st.session is session)
        t = t.parent
    return out


def fire_flushed(session: Session, plan: Any) -> None:
    """After a flush: ``pending_to_persistent`` and ``persistent_to_deleted``."""
    d = session.dispatch.__dict__
    if "pending_to_persistent" in d:
        fire_each(session, "pending_to_persistent", plan.inserted)
    if "persistent_to_deleted" in d:
        fire_each(session, "persistent_to_deleted", plan.deleted_done)


# -- do_orm_execute -------------------------------------------------------------------------------
class BulkUDContext:
    """The ``update_context`` / ``delete_context`` of ``after_bulk_update`` /
    ``after_bulk_delete`` (legacy ``Query.update()`` / ``Query.delete()``)."""

    def __init__(self, session: Session, query: Any, statement: Any, result: Any) -> None:
        self.session = session
        self.query = query
        self.statement = statement
        self.result = result
        mapper = getattr(query, "_entities", [None])[0]
        self.mapper = getattr(mapper, "__mapper__", None)


def fire_bulk(session: Session, name: str, query: Any, statement: Any, result: Any) -> None:
    """``after_bulk_update`` / ``after_bulk_delete`` listeners of ``session``."""
    fns = session.dispatch.__dict__.get(name, ())
    if fns:
        ctx = BulkUDContext(session, query, statement, result)
        for fn in fns:
            fn(ctx)
