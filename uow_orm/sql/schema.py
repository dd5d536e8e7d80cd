"""Schema objects: ``MetaData``, ``Table``, ``Column``, ``ForeignKey``, constraints, indexes.

Used by mapping (declarative builds tables), the unit of work (foreign-key dependency
order) and DDL. A ``Column`` is also an SQL expression.

Called by: uow_orm, uow_orm.schema (the public re-export), uow_orm.engine.reflection,
uow_orm.ext.automap, uow_orm.ext.declarative, uow_orm.migrate.*, uow_orm.orm.*, uow_orm.sql.*.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Sequence as AbcSequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, overload

from .. import exc
from ..dialects.base import quoted_name
from ..types import NULLTYPE, Integer, NullType, TypeEngine
from . import naming
from .elements import ClauseElement as ClauseElementBase
from .elements import ColumnElement, TextClause
from .selectable import FromClause, TableClause

if TYPE_CHECKING:
    from ..engine.base import Connection, Engine
    from .compiler import Compiler

if TYPE_CHECKING:
    from typing_extensions import TypeVar as _TypeVarWithDefault

    # A bare ``Column(Integer)`` is a ``Column[Any]`` to mypy instead of "Need type annotation".
    _T = _TypeVarWithDefault("_T", default=Any)
else:
    _T = TypeVar("_T")


class _UpperLayers:
    """The work done for schema objects by the modules that import this one.

    ``Table.insert()`` / ``update()`` / ``delete()``, ``MetaData.create_all()`` /
    ``drop_all()``, ``Table(..., autoload_with=...)`` and ``MetaData.reflect()`` are
    SQLAlchemy's API on schema objects, but statements are built by `uow_orm.sql.dml`, DDL is
    run by `uow_orm.sql.ddl` and reflection is `uow_orm.engine.reflection`: all three import
    this module. Each fills in its entries here when it is imported (``import uow_orm``, or
    of any module of the package, imports them all), so imports still run one way.
    """

    insert: Callable[[Table], Any]
    update: Callable[[Table], Any]
    delete: Callable[[Table], Any]
    create_all: Callable[..., None]
    drop_all: Callable[..., None]
    autoload: Callable[[Table, Engine | Connection, AbcSequence[str] | None, bool], None]
    reflect: Callable[..., None]
    #: runs a Table's / MetaData's DDL event listeners (``after_create`` ...): the event
    #: hosts of schema objects live in `uow_orm.engine.reflection`
    fire_ddl_event: Callable[[str, Any, Any], None] = staticmethod(lambda name, target, conn: None)


upper_layers = _UpperLayers()


_REFERENTIAL_ACTIONS = frozenset({"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"})


def _check_fk_options(
    what: str, ondelete: str | None, onupdate: str | None, initially: str | None
) -> None:
    """Reject referential actions and ``initially`` values the backends do not know."""
    for opt, value in (("ondelete", ondelete), ("onupdate", onupdate)):
        if value is not None and (
            not isinstance(value, str) or value.upper() not in _REFERENTIAL_ACTIONS
        ):
            raise exc.ArgumentError(
                f"{what}: {opt}={value!r} is not a referential action; use one of "
                + ", ".join(repr(a) for a in sorted(_REFERENTIAL_ACTIONS))
            )
    if initially is not None and (
        not isinstance(initially, str) or initially.upper() not in ("DEFERRED", "IMMEDIATE")
    ):
        raise exc.ArgumentError(
            f"{what}: initially={initially!r} must be 'DEFERRED' or 'IMMEDIATE'"
        )


class SchemaItem:
    """Base of the schema objects (SQLAlchemy's ``SchemaItem``): `Table`, `Column`, the
    constraints, `Index`, `ForeignKey`, `Sequence` and `MetaData`."""

    __slots__ = ()


class ForeignKey(SchemaItem):
    """A reference from a column to ``"table.column"``, to a Column, or to an ORM attribute
    standing for one (``ForeignKey(School.id)``).

    ``ondelete`` / ``onupdate`` are the referential actions emitted in the DDL
    (``"CASCADE"``, ``"SET NULL"``, ``"SET DEFAULT"``, ``"RESTRICT"``, ``"NO ACTION"``);
    ``deferrable`` / ``initially`` (``"DEFERRED"`` or ``"IMMEDIATE"``) make the constraint
    checked at commit instead of per statement. Raises `exc.ArgumentError` for any other
    action or ``initially`` value.
    """

    def __init__(
        self,
        column: str | Column[Any] | Any,
        *,
        ondelete: str | None = None,
        onupdate: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        use_alter: bool = False,
        name: str | None = None,
    ) -> None:
        if not isinstance(column, (str, Column)):
            # an ORM attribute (``ForeignKey(School.id)``) or another expression that
            # stands for one table column
            clause = getattr(column, "__clause_element__", None)
            resolved = clause() if clause is not None else None
            if not isinstance(resolved, Column):
                raise exc.ArgumentError(
                    f"ForeignKey() takes 'table.column' or a table column, got {column!r}"
                )
            column = resolved
        _check_fk_options(f"ForeignKey({column!r})", ondelete, onupdate, initially)
        self._target_spec = column
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.deferrable = deferrable
        self.initially = initially
        self.use_alter = use_alter
        self.name = name
        self.parent: Column[Any] | None = None
        #: the ForeignKeyConstraint this key is one column of (None: a key of its own)
        self.constraint: ForeignKeyConstraint | None = None
        self._column: Column[Any] | None = column if isinstance(column, Column) else None

    @property
    def target_fullname(self) -> str:
        """The referenced column as ``"table.column"`` (``"schema.table.column"`` with a schema)."""
        spec = self._target_spec
        if isinstance(spec, Column):
            return f"{spec.table.fullname}.{spec.name}"
        return spec

    @property
    def column(self) -> Column[Any]:
        """The referenced column, resolved through the parent table's MetaData."""
        if self._column is None:
            if self.parent is None or self.parent.table is None:
                raise exc.InvalidRequestError(
                    f"ForeignKey({self._target_spec!r}) is not attached to a table yet"
                )
            spec = str(self._target_spec)
            table_name, _, col_name = spec.rpartition(".")
            if not table_name:
                raise exc.ArgumentError(f"ForeignKey({spec!r}) must name 'table.column'")
            metadata = self.parent.table.metadata
            table = metadata.tables.get(table_name)
            if table is None and metadata.schema and "." not in table_name:
                table = metadata.tables.get(f"{metadata.schema}.{table_name}")
            if table is None:
                raise exc.InvalidRequestError(
                    f"ForeignKey({spec!r}) on column {self.parent.table.name}."
                    f"{self.parent.name} refers to table {table_name!r}, which is not in "
                    f"the same MetaData (tables: {', '.join(sorted(metadata.tables))})"
                )
            col = table.c.get(col_name)
            if col is None or col.name != col_name:  # "table.column" names the column
                col = next((c for c in table.c if c.name == col_name), col)
            if col is None:
                raise exc.InvalidRequestError(
                    f"ForeignKey({spec!r}): table {table_name!r} has no column {col_name!r}"
                )
            self._column = col
            if self.parent.type is NULLTYPE:
                # Column(ForeignKey("t.id")) without a type takes the referenced column's
                self.parent.type = col.type
        return self._column

    def _copy(self) -> ForeignKey:
        """The same reference, not attached to any column (for a copied column)."""
        fk = copy.copy(self)
        fk.parent = None
        fk.constraint = None  # the copy's table gives it its own ForeignKeyConstraint
        if not isinstance(self._target_spec, Column):
            fk._column = None
        return fk

    def _resolve_quietly(self) -> Column[Any] | None:
        """The referenced column, or None while its table is not defined yet."""
        try:
            col: Column[Any] = self.column
        except exc.OrmError:
            return None
        return col

    @property
    def target_table_name(self) -> str:
        """The bare name of the referenced table (no schema)."""
        if self._column is not None:
            return self._column.table.name
        # "schema.table.column" -> "table": dependency order compares bare table names
        return str(self._target_spec).rpartition(".")[0].rpartition(".")[2]

    def references(self, table: Table) -> bool:
        """True when this foreign key points at ``table``."""
        return self.target_table_name == table.name

    def __repr__(self) -> str:
        return f"ForeignKey({self.target_fullname!r})"


class FetchedValue:
    """Marks a column whose value the database generates (a trigger, a default set
    outside the model): ``server_default=FetchedValue()`` / ``server_onupdate=...``.
    Emits no DDL; the ORM leaves the column out of INSERT / UPDATE and reloads it."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Computed(FetchedValue):
    """A generated column: ``Column(Integer, Computed("price * qty"))`` renders
    ``GENERATED ALWAYS AS (price * qty) STORED`` (``persisted=False``: VIRTUAL, SQLite)."""

    def __init__(self, sqltext: Any, persisted: bool | None = None) -> None:
        self.sqltext = sqltext
        self.persisted = persisted

    def __repr__(self) -> str:
        return f"Computed({self.sqltext!r})"


class Identity(FetchedValue):
    """An identity column (PostgreSQL ``GENERATED ... AS IDENTITY``); on SQLite an integer
    primary key is the rowid, which behaves the same, and other columns are refused."""

    def __init__(
        self,
        *,
        always: bool = False,
        start: int | None = None,
        increment: int | None = None,
        minvalue: int | None = None,
        maxvalue: int | None = None,
        cycle: bool | None = None,
        cache: int | None = None,
        on_null: bool | None = None,
    ) -> None:
        if on_null is not None:
            raise exc.ArgumentError("Identity(on_null=...) is Oracle-only; not supported")
        self.always = always
        self.options = {
            "START WITH": start,
            "INCREMENT BY": increment,
            "MINVALUE": minvalue,
            "MAXVALUE": maxvalue,
            "CACHE": cache,
        }
        self.cycle = cycle

    def __repr__(self) -> str:
        return f"Identity(always={self.always})"


class Sequence(SchemaItem, FetchedValue):
    """A PostgreSQL sequence feeding a column (``Column(Integer, Sequence("user_id_seq"),
    primary_key=True)``): created before and dropped after its table. SQLite has none and
    ignores it (the rowid generates integer keys), as SQLAlchemy does."""

    def __init__(
        self,
        name: str,
        start: int | None = None,
        increment: int | None = None,
        *,
        schema: str | None = None,
        metadata: MetaData | None = None,
    ) -> None:
        self.name = name
        self.start = start
        self.increment = increment
        self.schema = schema
        self.metadata = metadata

    def next_value(self) -> NextValue:
        """``nextval('name')``: the sequence's next value as an SQL expression
        (``select(seq.next_value())``, ``server_default=seq.next_value()``); PostgreSQL
        only."""
        return NextValue(self)

    def __repr__(self) -> str:
        return f"Sequence({self.name!r})"


class NextValue(ColumnElement):
    """``nextval('seq')`` of a `Sequence` (`Sequence.next_value`)."""

    __slots__ = ("sequence",)
    type = Integer()

    def __init__(self, sequence: Sequence) -> None:
        self.sequence = sequence

    def _compile(self, compiler: Compiler) -> str:
        if compiler.dialect_name != "postgresql" and not compiler.string_dialect:
            raise exc.NotSupportedError(
                f"Sequence({self.sequence.name!r}).next_value(): SQLite has no sequences"
            )
        seq = self.sequence
        name = f"{seq.schema}.{seq.name}" if seq.schema else seq.name
        return "nextval('" + name.replace("'", "''") + "')"

    def _from_objects(self) -> list[FromClause]:
        return []


class DDLIf(NamedTuple):
    """The condition `HasConditionalDDL.ddl_if` sets: a dialect name (or several) and / or
    a callable with its ``state``."""

    dialect: str | tuple[str, ...] | None
    callable_: Callable[..., Any] | None
    state: Any


class HasConditionalDDL:
    """Schema items that ``create_all`` creates only when a condition holds
    (`ddl_if`): table constraints and indexes, as in SQLAlchemy."""

    #: the condition `ddl_if` set (None: always created)
    _ddl_if: DDLIf | None = None

    def ddl_if(
        self,
        dialect: str | AbcSequence[str] | None = None,
        callable_: Callable[..., Any] | None = None,
        state: Any = None,
    ) -> Any:
        """Create this constraint / index only on ``dialect`` (a name such as
        ``"postgresql"``, or a list / tuple / set of names) and / or when
        ``callable_(ddl, target, bind, state=state, dialect=dialect, compiler=None)`` is
        true (``bind``: the connection of ``create_all`` for an index, None for a
        constraint written inside CREATE TABLE, as in SQLAlchemy). Applies to
        ``create_all`` and to ``CreateTable``'s constraints; an explicit
        ``CreateIndex(ix)`` is not conditional. Returns the item itself.

        Raises:
            ArgumentError: ``dialect`` is not a name or a collection of names;
                ``callable_`` is not callable.
        """
        names: str | tuple[str, ...] | None
        if dialect is None or isinstance(dialect, str):
            names = dialect
        elif isinstance(dialect, (list, tuple, set, frozenset)) and all(
            isinstance(d, str) for d in dialect
        ):
            names = tuple(dialect)
        else:
            raise exc.ArgumentError(
                f"ddl_if(dialect={dialect!r}): give a dialect name or a list of names"
            )
        if callable_ is not None and not callable(callable_):
            raise exc.ArgumentError(f"ddl_if(callable_={callable_!r}) is not callable")
        self._ddl_if = DDLIf(names, callable_, state)
        return self


class Constraint(SchemaItem, HasConditionalDDL):
    """The base class of the table constraints (`PrimaryKeyConstraint`,
    `UniqueConstraint`, `CheckConstraint`, `ForeignKeyConstraint`), for ``isinstance``
    checks and `ddl_if`; make one of those.

    Raises:
        ArgumentError: instantiated itself.
    """

    def __init__(self, *args: Any, **kw: Any) -> None:
        raise exc.ArgumentError(
            "Constraint is the base class of the table constraints; use "
            "PrimaryKeyConstraint, UniqueConstraint, CheckConstraint or ForeignKeyConstraint"
        )


class CheckConstraint(Constraint):
    """``CHECK (sqltext)`` on a table (``__table_args__``) or a column (positional)."""

    def __init__(self, sqltext: Any, name: str | None = None) -> None:
        self.sqltext = sqltext
        self.name = name
        self.table: Table | None = None


def _column_arguments(
    args: list[Any], server_default: Any, server_onupdate: Any
) -> tuple[TypeEngine, list[ForeignKey], list[CheckConstraint], Any, Any]:
    """Sort ``Column()``'s positional arguments (after the name) into its type, foreign
    keys and CHECK constraints; a server-side value (``Computed``, ``Identity``, ...)
    becomes ``server_default`` (a ``Computed`` also ``server_onupdate``). Returns
    ``(type, foreign keys, checks, server_default, server_onupdate)``.

    Raises:
        ArgumentError: an argument of none of those kinds, or two server-side values.
    """
    type_: TypeEngine = NULLTYPE
    fks: list[ForeignKey] = []
    checks: list[CheckConstraint] = []
    for a in args:
        if a is None:  # Column("user_id", None, ForeignKey(...)): typed by the foreign key
            continue
        if isinstance(a, ForeignKey):
            fks.append(a)
        elif isinstance(a, CheckConstraint):
            checks.append(a)
        elif isinstance(a, FetchedValue):
            if server_default is not None:
                raise exc.ArgumentError(
                    f"Column() got both {a!r} and server_default={server_default!r}"
                )
            server_default = a
            if isinstance(a, Computed):
                server_onupdate = a
        elif isinstance(a, TypeEngine):
            type_ = a
        elif isinstance(a, type) and issubclass(a, TypeEngine):
            type_ = a()
        else:
            raise exc.ArgumentError(
                f"Column() got an unexpected positional argument {a!r}; expected a "
                "name, a type and ForeignKey objects"
            )
    return type_, fks, checks, server_default, server_onupdate


class Column(SchemaItem, ColumnElement, Generic[_T]):
    """A table column; also usable in expressions (``users.c.name == "x"``)."""

    __slots__ = (
        "__weakref__",
        "_default_arg",
        "_default_is_callable",
        "_insert_sentinel",
        "_omit_from_statements",
        "_onupdate_is_callable",
        "_quote",
        "_server_default_arg",
        "autoincrement",
        "comment",
        "constraints",
        "default",
        "doc",
        "foreign_keys",
        "index",
        "info",
        "key",
        "name",
        "nullable",
        "onupdate",
        "primary_key",
        "server_default",
        "server_onupdate",
        "table",
        "type",
        "unique",
    )
    _is_table_column = True

    def __init__(
        self,
        *args: Any,
        primary_key: bool = False,
        nullable: bool | None = None,
        default: Any = None,
        server_default: Any = None,
        onupdate: Any = None,
        server_onupdate: Any = None,
        unique: bool = False,
        index: bool = False,
        name: str | None = None,
        autoincrement: bool | str = "auto",
        key: str | None = None,
        info: dict[str, Any] | None = None,
        doc: str | None = None,
        comment: str | None = None,
        insert_sentinel: bool = False,
        quote: bool | None = None,
    ) -> None:
        args_list = list(args)
        if args_list and isinstance(args_list[0], str):
            name = args_list.pop(0)
        #: quote=True / False: the name as a quoted_name (also once named by its attribute)
        self._quote = quote
        if quote is not None and name is not None:
            name = quoted_name(name, quote)
        type_, fks, checks, server_default, server_onupdate = _column_arguments(
            args_list, server_default, server_onupdate
        )
        self.name: str = name  # type: ignore[assignment]
        self.key: str = key or name  # type: ignore[assignment]
        self.type = type_
        self.primary_key = primary_key
        self.nullable = (not primary_key) if nullable is None else nullable
        self._set_defaults(default, server_default)
        #: the database changes this column on UPDATE: the ORM reloads it afterwards
        self.server_onupdate = server_onupdate
        self.constraints: list[CheckConstraint] = checks
        self.onupdate = onupdate
        self._onupdate_is_callable = callable(onupdate)
        self.unique = unique
        self.index = index
        self.autoincrement = autoincrement
        self.table: Table = None  # type: ignore[assignment]
        self.info = info or {}
        # doc is for Python tools only; comment becomes COMMENT ON COLUMN on PostgreSQL
        self.doc = doc
        self.comment = comment
        # insert_sentinel=True (SQLAlchemy 2.0.10): SQLAlchemy's batched INSERT ... RETURNING
        # may order its rows by this column; uow_orm's rows always follow the parameter
        # order, so it is an ordinary column here (its DDL, its values)
        self._insert_sentinel = bool(insert_sentinel)
        #: insert_sentinel(): left out of select(table) and returning(table)
        self._omit_from_statements = False
        self.foreign_keys: list[ForeignKey] = fks
        for fk in fks:
            fk.parent = self

    def _set_defaults(self, default: Any, server_default: Any) -> None:
        #: a ColumnDefault (``.arg`` is the value given) or None, as in SQLAlchemy
        self.default: ColumnDefault | None = _column_default(default)
        #: the value given as ``default=`` (what the SQL layer reads)
        self._default_arg = self.default.arg if self.default is not None else None
        # the ORM's flush calls ``col.default()`` when this is set: a ColumnDefault gives
        # its value when called (the scalar, or the callable's result)
        self._default_is_callable = self.default is not None
        #: a DefaultClause (``.arg`` is the SQL or value given), or the FetchedValue given
        #: (Identity, Sequence, Computed, FetchedValue), or None
        self.server_default: Any = _server_default(server_default)
        #: the ``server_default`` as given: what DDL writes
        self._server_default_arg = (
            self.server_default.arg
            if isinstance(self.server_default, DefaultClause)
            else self.server_default
        )

    def _set_parent(self, table: Table) -> None:
        if self.table is not None and self.table is not table:
            raise exc.ArgumentError(
                f"column {self.name!r} already belongs to table {self.table.name!r}; "
                "use a new Column object for each table"
            )
        if self.name is None:
            raise exc.ArgumentError(f"a column of table {table.name!r} has no name")
        try:
            forced = self._quote
        except AttributeError:  # (made without __init__)
            forced = None
        if forced is not None and not isinstance(self.name, quoted_name):
            self.name = quoted_name(self.name, forced)  # named by its attribute
        self.key = self.key or self.name
        self.table = table
        set_table = getattr(self.type, "_set_table", None)
        if set_table is not None:  # an Enum's native type takes the table's schema
            set_table(table)

    def copy(self) -> Column[_T]:
        """A new, table-less column with the same settings (foreign keys copied too)."""
        c: Column[_T] = object.__new__(Column)
        for cls in type(self).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if slot != "__weakref__" and hasattr(self, slot):
                    object.__setattr__(c, slot, getattr(self, slot))
        c.table = None  # type: ignore[assignment]
        own_type = getattr(self.type, "_copy_for_column", None)
        if own_type is not None:  # an Enum not bound to a table yet: each copy finds its schema
            c.type = own_type()
        c.info = dict(self.info)
        c.constraints = list(self.constraints)
        c.foreign_keys = [fk._copy() for fk in self.foreign_keys]
        for fk in c.foreign_keys:
            fk.parent = c
        return c

    _copy = copy

    @property
    def is_autoincrement(self) -> bool:
        """True when the database generates this primary key column's values."""
        if not self.primary_key or self.table is None:
            return False
        if self.autoincrement is True:
            return True
        if self.autoincrement is False:
            return False
        pks = self.table.primary_key
        return (
            len(pks) == 1
            and isinstance(self.type, Integer)
            and self.default is None
            and (
                self.server_default is None or isinstance(self.server_default, (Identity, Sequence))
            )
            and not self.foreign_keys
        )

    def _compile(self, compiler: Compiler) -> str:
        return compiler.column(self)

    def _from_objects(self) -> list[FromClause]:
        return [self.table] if self.table is not None else []

    def references(self, column: Column[Any]) -> bool:
        """True when one of this column's foreign keys points at ``column``."""
        return any(fk.column is column for fk in self.foreign_keys)

    def __repr__(self) -> str:
        parts = [repr(self.name), repr(self.type)]
        parts.extend(repr(fk) for fk in self.foreign_keys)
        parts.append(f"table=<{self.table.name}>" if self.table is not None else "table=None")
        if self.key != self.name:
            parts.append(f"key={self.key!r}")
        if self.primary_key:
            parts.append("primary_key=True")
        if not self.nullable:
            parts.append("nullable=False")
        for attr in ("onupdate", "default", "server_default"):
            value = getattr(self, attr)
            if value is not None:
                parts.append(f"{attr}={value!r}")
        return f"Column({', '.join(parts)})"

    @overload
    def __get__(self, instance: None, owner: Any) -> Column[_T]: ...
    @overload
    def __get__(self, instance: object, owner: Any) -> _T: ...
    def __get__(self, instance: Any, owner: Any) -> Any:  # pragma: no cover - typing only
        # Declarative replaces Column attributes with instrumented ones; this only exists
        # so that type checkers read ``user.id`` on a Column-declared model as a value.
        return self

    def __set__(self, instance: Any, value: Any) -> None:  # pragma: no cover - typing only
        raise AttributeError("Column attributes are replaced at mapping time")


class ColumnCollection:
    """Columns of a table by key: ``table.c.name``, ``table.c["name"]``, iteration."""

    __slots__ = ("_cols",)
    #: How the modules below this one tell a column collection apart (``select(t.c)``).
    is_column_collection = True

    def __init__(self) -> None:
        self._cols: dict[str, Column[Any]] = {}

    def _add(self, col: Column[Any]) -> None:
        if col.key in self._cols:
            raise exc.ArgumentError(f"duplicate column {col.key!r}")
        self._cols[col.key] = col

    def __getattr__(self, key: str) -> Column[Any]:
        try:
            return self._cols[key]
        except KeyError:
            raise AttributeError(
                f"no column {key!r}; columns are {', '.join(self._cols)}"
            ) from None

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):  # table.c["a", "b"]: a collection of those columns
            sub = ColumnCollection()
            sub._cols = {k: self._cols[k] for k in key}
            return sub
        if isinstance(key, int):
            return list(self._cols.values())[key]
        return self._cols[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The column with key ``key``, or ``default`` when the table has none."""
        return self._cols.get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, Column):
            return any(c is key for c in self._cols.values())
        return key in self._cols

    def __iter__(self) -> Iterator[Column[Any]]:
        return iter(self._cols.values())

    def __len__(self) -> int:
        return len(self._cols)

    def keys(self) -> list[str]:
        """The column keys, in table order."""
        return list(self._cols)

    def values(self) -> list[Column[Any]]:
        """The columns, in table order."""
        return list(self._cols.values())

    def items(self) -> list[tuple[str, Column[Any]]]:
        """``(key, column)`` pairs, in table order."""
        return list(self._cols.items())


class PrimaryKeyConstraint(list, Constraint):  # type: ignore[type-arg]
    """``PRIMARY KEY (a, b)``: as a Table item or ``__table_args__`` entry it names the key's
    columns, in key order (they become ``primary_key=True``, NOT NULL); ``name=`` names the
    constraint in the DDL. ``Table.primary_key`` is one too: the key's columns, iterable
    and indexable like a list, with ``.columns`` and ``.name``.

    Raises `uow_orm.exc.ArgumentError` for a keyword it does not know and, when added to a
    table, for a column name the table does not have.
    """

    def __init__(self, *columns: str | Column[Any], name: str | None = None, **kw: Any) -> None:
        if kw:
            raise exc.ArgumentError(
                f"PrimaryKeyConstraint() got unsupported keyword argument(s) "
                f"{', '.join(sorted(kw))}; supported is name"
            )
        super().__init__()
        self.column_names = [c if isinstance(c, str) else c.name for c in columns]
        self.name = name
        self.table: Table | None = None

    @property
    def columns(self) -> ColumnCollection:
        """The key's columns as a collection (``pk.columns.keys()``, ``pk.columns["id"]``)."""
        out = ColumnCollection()
        for c in self:
            out._add(c)
        return out

    def __repr__(self) -> str:
        return f"PrimaryKeyConstraint({', '.join(repr(c.name) for c in self)})"


class UniqueConstraint(Constraint):
    """``UNIQUE (a, b)`` on a table (``__table_args__`` or a Table item)."""

    def __init__(self, *columns: str | Column[Any], name: str | None = None) -> None:
        self.column_names = [c if isinstance(c, str) else c.name for c in columns]
        self.name = name
        self.table: Table | None = None


#: Backends uow_orm has no dialect for: their ``<backend>_<option>`` keywords on a Table or
#: an Index only matter there, so they are kept and not used (as SQLAlchemy does on SQLite)
_OTHER_BACKENDS = ("mysql_", "mariadb_", "mssql_", "oracle_")


def _other_dialect_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    """Take the other backends' options out of ``kw`` (the rest are refused by the caller)."""
    taken = {k: kw.pop(k) for k in [k for k in kw if k.startswith(_OTHER_BACKENDS)]}
    return taken


#: Index keyword arguments per dialect: the DDL they render
_INDEX_DIALECT_KW = ("postgresql_where", "postgresql_using", "sqlite_where")


class Index(SchemaItem, HasConditionalDDL):
    """``CREATE [UNIQUE] INDEX name ON table (...)`` over column names, columns or SQL
    expressions (``func.lower(t.c.email)``); partial with ``postgresql_where`` /
    ``sqlite_where``, an access method with ``postgresql_using``."""

    def __init__(
        self, name: str | None, *expressions: Any, unique: bool = False, **kw: Any
    ) -> None:
        other = _other_dialect_kwargs(kw)
        unknown = [k for k in kw if k not in _INDEX_DIALECT_KW]
        if unknown:
            raise exc.ArgumentError(
                f"Index({name!r}) got unsupported keyword argument(s) {', '.join(unknown)}; "
                f"supported are unique, {', '.join(_INDEX_DIALECT_KW)}"
            )
        self.name = name
        self.expressions = list(expressions)
        self.column_names = [
            c if isinstance(c, str) else c.name for c in expressions if isinstance(c, (str, Column))
        ]
        self.unique = unique
        self.dialect_kw = kw
        #: every dialect keyword given, the other backends' ones included
        self.dialect_kwargs: dict[str, Any] = {**kw, **other}
        self.table: Table | None = None
        if self.table is None:
            for e in expressions:
                el = e.__clause_element__() if hasattr(e, "__clause_element__") else e
                froms = el._from_objects() if hasattr(el, "_from_objects") else []
                table = next((f for f in froms if isinstance(f, Table)), None)
                if table is not None:
                    table.indexes.append(self)
                    self.table = table
                    if table._named:  # Index(None, t.c.x) after the table: name it now
                        _name_constraints(table)
                    break


class ForeignKeyConstraint(Constraint):
    """A composite foreign key: ``ForeignKeyConstraint(["a", "b"], ["t.a", "t.b"])``."""

    def __init__(
        self,
        columns: AbcSequence[str],
        refcolumns: AbcSequence[str],
        *,
        ondelete: str | None = None,
        onupdate: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        name: str | None = None,
        use_alter: bool = False,
    ) -> None:
        _check_fk_options(f"ForeignKeyConstraint({list(columns)!r})", ondelete, onupdate, initially)
        # the local columns by name, or as the Column objects themselves
        self.column_names = [c if isinstance(c, str) else _column_name_of(c) for c in columns]
        self.refcolumns = list(refcolumns)
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.deferrable = deferrable
        self.initially = initially
        self.name = name
        self.use_alter = use_alter
        #: the table it is a constraint of, once added to one
        self.table: Table | None = None


def _column_name_of(column: Any) -> str:
    """The name of a local column given to ``ForeignKeyConstraint`` as an object."""
    clause = getattr(column, "__clause_element__", None)
    col = clause() if clause is not None else column
    if not isinstance(col, Column):
        raise exc.ArgumentError(
            f"ForeignKeyConstraint() takes column names or table columns, got {column!r}"
        )
    return col.name


def _refuse_table_keywords(name: str, kw: dict[str, Any]) -> None:
    """Raise for keyword arguments ``Table()`` does not take.

    Raises:
        ArgumentError: naming them and the supported ones.
    """
    raise exc.ArgumentError(
        f"Table({name!r}) got unsupported keyword argument(s) {', '.join(sorted(kw))}; "
        "supported are schema, comment, info, autoload_with, include_columns, "
        "resolve_fks, listeners, quote, quote_schema and options of other backends "
        "(mysql_*, mariadb_*, mssql_*, oracle_*)"
    )


def _quoted_names(
    name: str, schema: Any, quote: bool | None, quote_schema: bool | None
) -> tuple[str, Any]:
    """A table's name and schema as `quoted_name` objects for ``quote=`` /
    ``quote_schema=``."""
    if quote is not None:
        name = quoted_name(name, quote)
    if quote_schema is not None and isinstance(schema, str):
        schema = quoted_name(schema, quote_schema)
    return name, schema


class Table(SchemaItem, TableClause):
    """A table: its name, columns, keys and constraints, registered in a MetaData."""

    is_from = True
    _named = False  # True once the constructor's items are in: appends name themselves

    def __init__(
        self,
        name: str,
        metadata: MetaData,
        *items: Any,
        schema: str | None = None,
        comment: str | None = None,
        info: dict[str, Any] | None = None,
        autoload_with: Engine | Connection | None = None,
        include_columns: Any = None,
        resolve_fks: bool = True,
        listeners: AbcSequence[tuple[str, Any]] | None = None,
        quote: bool | None = None,
        quote_schema: bool | None = None,
        **kw: Any,
    ) -> None:
        #: ``mysql_engine="InnoDB"`` and the like: options of backends uow_orm does not run
        #: on, kept (``table.dialect_kwargs``) and, as SQLAlchemy does on other backends,
        #: not used in SQLite or PostgreSQL DDL
        self.dialect_kwargs: dict[str, Any] = _other_dialect_kwargs(kw)
        if kw:
            _refuse_table_keywords(name, kw)
        if quote is not None or quote_schema is not None:  # the names as quoted_name objects
            name, schema = _quoted_names(name, schema, quote, quote_schema)
        self.name = name
        self.schema: str | None = (
            None if schema is BLANK_SCHEMA else schema if schema is not None else metadata.schema
        )
        #: the key in ``MetaData.tables`` and in foreign key specs: ``schema.name`` or ``name``
        self.fullname = f"{self.schema}.{name}" if self.schema else name
        if self.fullname in metadata.tables:
            raise exc.InvalidRequestError(
                f"table {self.fullname!r} is already defined in this MetaData"
            )
        self.metadata = metadata
        self.comment = comment
        self.c = ColumnCollection()
        self.columns = self.c
        self.primary_key = PrimaryKeyConstraint()
        self.primary_key.table = self
        self.constraints: list[Any] = []
        self.indexes: list[Index] = []
        self.info: dict[str, Any] = info if info is not None else {}
        if listeners:  # [("column_reflect", fn)]: registered before the table is reflected
            from .. import event

            for identifier, fn in listeners:
                event.listen(self, identifier, fn)
        for item in items:
            self.append(item)
        _name_constraints(self)
        self._named = True  # later items are named as they are appended
        metadata._add(self)
        if autoload_with is not None:
            try:
                upper_layers.autoload(self, autoload_with, include_columns, resolve_fks)
            except BaseException:
                metadata.tables.pop(self.fullname, None)
                raise

    def append(self, item: Any) -> None:
        """Add a Column (or a constraint / index) to the table, as ``Table(..., item)`` would."""
        if isinstance(item, Column):
            item._set_parent(self)
            self.c._add(item)
            if item.primary_key:
                self.primary_key.append(item)
            for check in item.constraints:
                check.table = self
                self.constraints.append(check)
        elif isinstance(item, Index):
            if item.table is not self:
                item.table = self
                self.indexes.append(item)
        elif isinstance(item, ForeignKeyConstraint):
            for local, remote in zip(item.column_names, item.refcolumns):
                col = self.c[local]
                fk = ForeignKey(
                    remote,
                    ondelete=item.ondelete,
                    onupdate=item.onupdate,
                    deferrable=item.deferrable,
                    initially=item.initially,
                    use_alter=item.use_alter,
                    name=item.name,
                )
                fk.parent = col
                fk.constraint = item
                col.foreign_keys.append(fk)
            item.table = self
            self.constraints.append(item)
        elif isinstance(item, (UniqueConstraint, CheckConstraint)):
            item.table = self
            self.constraints.append(item)
        elif isinstance(item, PrimaryKeyConstraint):
            self._set_primary_key(item)
        else:
            raise exc.ArgumentError(f"Table() cannot take {item!r}")
        if self._named:
            _name_constraints(self)

    def append_constraint(self, constraint: Constraint | Index) -> None:
        """Add a constraint (or an Index) to the table, as ``Table(..., constraint)``.

        Raises:
            ArgumentError: ``constraint`` is not a constraint or an index.
        """
        if not isinstance(constraint, (Constraint, Index)):
            raise exc.ArgumentError(f"append_constraint() takes a constraint, got {constraint!r}")
        self.append(constraint)

    def _set_primary_key(self, pk: PrimaryKeyConstraint) -> None:
        missing = [n for n in pk.column_names if n not in self.c]
        if missing:
            raise exc.ArgumentError(
                f"PrimaryKeyConstraint on table {self.name!r} names column(s) "
                f"{', '.join(missing)}, which the table does not have"
            )
        for c in self.primary_key:
            c.primary_key = False
        cols = [self.c[n] for n in pk.column_names]
        for c in cols:
            c.primary_key = True
            c.nullable = False
        self.primary_key[:] = cols
        self.primary_key.name = pk.name
        if pk._ddl_if is not None:
            self.primary_key._ddl_if = pk._ddl_if
        pk.table = self

    append_column = append

    def _quoted(
        self,
        quote: Callable[[str], str],
        schema_map: Mapping[str | None, str | None] | None = None,
    ) -> str:
        """The table's name as SQL, schema-qualified when it has a schema (its schema as
        ``schema_map``, a ``schema_translate_map``, translates it)."""
        schema = self.schema
        if schema_map is not None and (schema or None) in schema_map:
            schema = schema_map[schema or None]
        if schema:
            return f"{quote(schema)}.{quote(self.name)}"
        return quote(self.name)

    @property
    def autoincrement_column(self) -> Column[Any] | None:
        """The primary key column the database generates values for, if there is one
        (``_autoincrement_column`` is SQLAlchemy's name, which libraries read)."""
        return next((c for c in self.primary_key if c.is_autoincrement), None)

    _autoincrement_column = autoincrement_column

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        """Every ForeignKey of the table's columns, in column order."""
        return [fk for c in self.c for fk in c.foreign_keys]

    def referenced_tables(self, include_alter: bool = True) -> list[str]:
        """Names of the tables this one references; ``include_alter=False`` leaves out foreign
        keys created later with ALTER TABLE (``use_alter=True``)."""
        names: list[str] = []
        for fk in self.foreign_keys:
            if fk.use_alter and not include_alter:
                continue
            n = fk.target_table_name
            if n != self.name and n not in names:
                names.append(n)
        return names

    def _compile(self, compiler: Compiler) -> str:
        return self._quoted(compiler.quote, compiler.schema_map)

    def _from_objects(self) -> list[FromClause]:
        return [self]

    def _column_list(self) -> list[Column[Any]]:
        return list(self.c)

    def _select_columns(self) -> list[Column[Any]]:
        """The columns ``select(table)`` and ``returning(table)`` stand for: all but the
        `insert_sentinel` ones (``omit_from_statements``), as in SQLAlchemy."""
        return [c for c in self.c if not c._omit_from_statements]

    def insert(self) -> Any:
        """``insert(table)``: an INSERT statement into this table."""
        return upper_layers.insert(self)

    def update(self) -> Any:
        """``update(table)``: an UPDATE statement for this table."""
        return upper_layers.update(self)

    def delete(self) -> Any:
        """``delete(table)``: a DELETE statement for this table."""
        return upper_layers.delete(self)

    def select(self) -> Any:
        """``select(table)``: a SELECT of all the table's columns."""
        from .selectable import select

        return select(self)

    def __repr__(self) -> str:
        parts = [repr(self.name), repr(self.metadata), *(repr(c) for c in self.c)]
        parts.append(f"schema={self.schema!r}")
        return f"Table({', '.join(parts)})"

    def create(self, bind: Engine, checkfirst: bool = True) -> None:
        """CREATE TABLE on ``bind`` (``checkfirst``: skip it when the table exists); the
        table's own ``before_create`` / ``after_create`` listeners run, the MetaData's
        do not (as in SQLAlchemy)."""
        upper_layers.create_all(bind, [self], checkfirst, ())

    def drop(self, bind: Engine, checkfirst: bool = True) -> None:
        """DROP TABLE on ``bind`` (``checkfirst``: skip it when the table does not exist);
        the table's own drop listeners run, the MetaData's do not."""
        upper_layers.drop_all(bind, [self], checkfirst, ())


def foreign_key_groups(table: Table) -> list[list[ForeignKey]]:
    """Foreign keys grouped into constraints (composite keys from ForeignKeyConstraint)."""
    grouped: list[list[ForeignKey]] = []
    seen: set[int] = set()
    for con in table.constraints:
        if isinstance(con, ForeignKeyConstraint):
            group = []
            for name in con.column_names:
                for fk in table.c[name].foreign_keys:
                    if fk.constraint is con and id(fk) not in seen:
                        group.append(fk)
                        seen.add(id(fk))
                        break
            if group:
                grouped.append(group)
    for fk in table.foreign_keys:
        if id(fk) not in seen:
            grouped.append([fk])
    return grouped


def _name_constraints(table: Table) -> None:
    """Name the table's unnamed primary key, unique and CHECK constraints, foreign keys and
    indexes by its MetaData's convention (names a convention made earlier are made again,
    since columns may have been added). A CHECK constraint whose template needs
    ``%(constraint_name)s`` and has none stays unnamed here; the DDL refuses it."""
    pk = table.primary_key
    if len(pk):
        pk.name = naming.make_name("pk", table, pk, pk.name, list(pk))
    for con in table.constraints:
        if isinstance(con, UniqueConstraint):
            cols = [table.c[n] for n in con.column_names if n in table.c]
            con.name = naming.make_name("uq", table, con, con.name, cols)
        elif isinstance(con, CheckConstraint):
            if con.name is None and naming.needs_given_name("ck", table):
                continue
            con.name = naming.make_name(
                "ck", table, con, con.name, naming.check_columns(con, table)
            )
    for group in foreign_key_groups(table):
        cols = [fk.parent for fk in group if fk.parent is not None]
        fk_con = group[0].constraint  # the ForeignKeyConstraint of a composite key
        name = naming.make_name("fk", table, fk_con or group[0], group[0].name, cols, group)
        for fk in group:
            fk.name = name
        if fk_con is not None:
            fk_con.name = name
    for ix in table.indexes:
        cols = [table.c[n] for n in ix.column_names if n in table.c]
        ix.name = naming.make_name("ix", table, ix, ix.name, cols) or ix.name


def sort_tables(tables: AbcSequence[Table], *, include_alter: bool = False) -> list[Table]:
    """Tables in foreign-key dependency order (referenced tables first).

    Raises `uow_orm.exc.CircularDependencyError` naming the tables of a cycle.
    """
    by_name = {t.name: t for t in tables}
    deps = {
        t.name: [n for n in t.referenced_tables(include_alter=include_alter) if n in by_name]
        for t in tables
    }
    return [by_name[n] for n in topological_sort(list(by_name), deps, what="tables")]


def topological_sort(
    nodes: AbcSequence[Any],
    deps: dict[Any, list[Any]],
    *,
    what: str = "items",
    name: Callable[[Any], str] = str,
) -> list[Any]:
    """Order ``nodes`` so that each comes after everything in ``deps[node]``.

    Stable: nodes without constraints keep their given order.
    """
    order: list[Any] = []
    state: dict[Any, int] = {}  # 1 = visiting, 2 = done

    for root in nodes:
        if state.get(root) == 2:
            continue
        stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(deps.get(root, ())))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            for dep in it:
                s = state.get(dep)
                if s == 2:
                    continue
                if s == 1:
                    cycle = [n for n, _ in stack]
                    cycle = cycle[cycle.index(dep) :]
                    raise exc.CircularDependencyError(
                        f"circular dependency between {what}: "
                        + " -> ".join(name(n) for n in [*cycle, dep])
                        + "; break it with post_update=True on one relationship "
                        "(or use_alter=True on one ForeignKey for create_all)"
                    )
                state[dep] = 1
                stack.append((dep, iter(deps.get(dep, ()))))
                break
            else:
                stack.pop()
                state[node] = 2
                order.append(node)
    return order


class _BlankSchema:
    """The type of `BLANK_SCHEMA`."""

    def __repr__(self) -> str:
        return "BLANK_SCHEMA"


#: ``Table(..., schema=BLANK_SCHEMA)``: no schema, even where the MetaData gives one
BLANK_SCHEMA: Any = _BlankSchema()


class MetaData(SchemaItem):
    """A collection of tables, created and dropped together in dependency order."""

    def __init__(
        self,
        schema: str | None = None,
        naming_convention: Mapping[Any, Any] | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.tables: dict[str, Table] = {}
        #: the default schema of tables that name none
        self.schema = schema
        #: how unnamed constraints and indexes are named (``{"uq": "uq_%(table_name)s_..."}``;
        #: SQLAlchemy's tokens and default ``{"ix": "ix_%(column_0_label)s"}``)
        self.naming_convention: dict[str, Any] = naming.normalize(naming_convention)
        self.info: dict[str, Any] = info if info is not None else {}
        # columns typed only by a foreign key whose target is not defined yet
        self._typeless_fk_columns: list[Column[Any]] = []
        #: types made with ``Enum(metadata=this)``: created and dropped with the tables
        self._schema_types: list[Any] = []

    def _add(self, table: Table) -> None:
        self.tables[table.fullname] = table
        for col in table.c:
            if col.foreign_keys and isinstance(col.type, NullType):
                self._typeless_fk_columns.append(col)
        if self._typeless_fk_columns:
            self._resolve_fk_types()

    def _resolve_fk_types(self) -> None:
        """Give columns declared only as ``Column(ForeignKey(...))`` the referenced column's
        type, as soon as the referenced table is in this MetaData (chains resolve too)."""
        progress = True
        while progress and self._typeless_fk_columns:
            progress = False
            for col in list(self._typeless_fk_columns):
                target = col.foreign_keys[0]._resolve_quietly()
                if target is None or isinstance(target.type, NullType):
                    continue
                col.type = target.type
                # (by identity: list.remove would call the column's ==)
                self._typeless_fk_columns = [c for c in self._typeless_fk_columns if c is not col]
                progress = True

    @property
    def sorted_tables(self) -> list[Table]:
        """Tables with referenced tables first (``use_alter`` keys ignored)."""
        return sort_tables(list(self.tables.values()), include_alter=False)

    def create_all(
        self, bind: Engine, tables: AbcSequence[Table] | None = None, checkfirst: bool = True
    ) -> None:
        """Create every table (and index) that does not exist yet, in dependency order,
        after the PostgreSQL ENUM types they (or ``Enum(metadata=...)``) need."""
        todo = sort_tables(list(tables) if tables is not None else list(self.tables.values()))
        upper_layers.create_all(bind, todo, checkfirst, self._schema_types, self)

    def drop_all(
        self, bind: Engine, tables: AbcSequence[Table] | None = None, checkfirst: bool = True
    ) -> None:
        """Drop every table that exists, dependents first, then the ENUM types no other
        table uses."""
        todo = sort_tables(list(tables) if tables is not None else list(self.tables.values()))
        upper_layers.drop_all(bind, todo, checkfirst, self._schema_types, self)

    def reflect(
        self,
        bind: Engine | Connection,
        *,
        schema: str | None = None,
        views: bool = False,
        only: AbcSequence[str] | Callable[[str, MetaData], bool] | None = None,
        resolve_fks: bool = True,
    ) -> None:
        """Add a Table for each table of the database that is not in this MetaData yet
        (columns, keys, unique and CHECK constraints, indexes, comments), as SQLAlchemy's
        ``MetaData.reflect``. ``schema`` reads a PostgreSQL schema or an attached SQLite
        database (tables keyed ``"schema.name"``); ``only`` is a list of names (each must
        exist) or a predicate ``fn(name, metadata)``; ``views=True`` also reflects views."""
        upper_layers.reflect(
            self, bind, schema=schema, views=views, only=only, resolve_fks=resolve_fks
        )

    def clear(self) -> None:
        """Forget every Table of this MetaData (the database is not touched)."""
        self.tables.clear()

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __repr__(self) -> str:
        return "MetaData()"


class ColumnDefault(functools.partial[Any]):
    """A column's client-side default: ``arg`` is the scalar, callable or SQL expression.

    ``Column.default`` is one of these (or None), as in SQLAlchemy; ``is_callable``,
    ``is_scalar`` and ``is_clause_element`` say which it is. Unlike SQLAlchemy, a callable
    ``arg`` is the function given, not a wrapper taking an execution context. Calling the
    ColumnDefault gives the value to insert (the scalar, or the callable's result); it is
    a ``functools.partial`` underneath so that the flush's call costs no Python frame.
    """

    arg: Any
    for_update: bool

    def __new__(cls, arg: Any, for_update: bool = False) -> ColumnDefault:
        if isinstance(arg, ColumnDefault):
            arg = arg.arg
        if callable(arg) and not isinstance(arg, ClauseElementBase):
            produce = arg
        else:
            produce = itertools.repeat(arg).__next__  # the same value, from C
        self = super().__new__(cls, produce)
        self.arg = arg
        self.for_update = for_update
        return self

    @property
    def is_callable(self) -> bool:
        """True when ``arg`` is a Python callable, called for each INSERT (or UPDATE)."""
        return callable(self.arg) and not isinstance(self.arg, ClauseElementBase)

    @property
    def is_clause_element(self) -> bool:
        """True when ``arg`` is a SQL expression, rendered into the statement."""
        return isinstance(self.arg, ClauseElementBase)

    @property
    def is_scalar(self) -> bool:
        """True when ``arg`` is a plain value."""
        return not self.is_callable and not self.is_clause_element

    @property
    def is_sequence(self) -> bool:
        """Always False: a ColumnDefault is never a `Sequence` (as in SQLAlchemy)."""
        return False

    def __repr__(self) -> str:
        return f"ColumnDefault({self.arg!r})"


def insert_sentinel(
    name: str | None = None,
    type_: Any = None,
    *,
    default: Any = None,
    omit_from_statements: bool = True,
) -> Column[Any]:
    """A nullable column (``Integer`` unless ``type_`` is given) marked as SQLAlchemy's
    INSERT sentinel (``Column(..., insert_sentinel=True)``): part of the table's DDL,
    left out of ``select(table)`` and ``returning(table)`` unless
    ``omit_from_statements=False``. SQLAlchemy may order batched INSERT ... RETURNING
    rows by it; uow_orm's rows always follow the parameter order, so the column is
    written only when given a value or a ``default`` (NULL otherwise).

    Raises:
        ArgumentError: a bad ``type_`` (as ``Column()`` raises).
    """
    args: list[Any] = [] if type_ is None else [type_]
    col: Column[Any] = Column(
        *(args or [Integer()]), name=name, nullable=True, default=default, insert_sentinel=True
    )
    col._omit_from_statements = bool(omit_from_statements)
    return col


class DefaultClause(FetchedValue):
    """A column's server-side default (``DEFAULT ...`` in its DDL): ``arg`` is the string,
    number, ``text()`` or SQL expression given as ``server_default=``.

    ``Column.server_default`` is one of these, as in SQLAlchemy (or the `FetchedValue`
    given: `Identity`, `Sequence`, `Computed`).
    """

    has_argument = True

    def __init__(self, arg: Any, for_update: bool = False) -> None:
        if isinstance(arg, DefaultClause):
            arg = arg.arg
        self.arg: Any = arg
        self.for_update = for_update

    def __repr__(self) -> str:
        return f"DefaultClause({self.arg!r}, for_update={self.for_update!r})"


def _column_default(value: Any) -> ColumnDefault | None:
    if value is None or isinstance(value, ColumnDefault):
        return value
    return ColumnDefault(value)


def _server_default(value: Any) -> Any:
    if value is None or isinstance(value, FetchedValue):
        return value  # Identity, Sequence, Computed, FetchedValue, DefaultClause
    return DefaultClause(value)


def server_default_sql(value: Any, dialect_name: str) -> str:
    """The SQL of a ``server_default``: text() verbatim, strings quoted, numbers as is."""
    if isinstance(value, DefaultClause):
        value = value.arg
    if isinstance(value, TextClause):
        return value.text
    if isinstance(value, bool):
        if dialect_name == "sqlite":
            return "1" if value else "0"
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise exc.ArgumentError(
        f"server_default must be a str, a number or text(...), got {type(value).__name__}"
    )


__all__ = [
    "BLANK_SCHEMA",
    "CheckConstraint",
    "Column",
    "ColumnCollection",
    "ColumnDefault",
    "Computed",
    "Constraint",
    "DefaultClause",
    "FetchedValue",
    "ForeignKey",
    "ForeignKeyConstraint",
    "HasConditionalDDL",
    "Identity",
    "Index",
    "MetaData",
    "NextValue",
    "PrimaryKeyConstraint",
    "SchemaItem",
    "Sequence",
    "Table",
    "UniqueConstraint",
    "insert_sentinel",
    "sort_tables",
    "topological_sort",
]
