"""Schema objects: ``MetaData``, ``Table``, ``Column``, ``ForeignKey``, constraints, indexes.

Used by mapping (declarative builds tables), the unit of work (foreign-key dependency
order) and DDL. A ``Column`` is also an SQL expression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from . import exc
from .sql.elements import ClauseElement as ClauseElementBase
from .sql.elements import ColumnElement, TextClause
from .sql.selectable import FromClause
from .types import NULLTYPE, Integer, TypeEngine

if TYPE_CHECKING:
    from .engine.base import Connection, Engine
    from .sql.compiler import Compiler

_T = TypeVar("_T")


class ForeignKey:
    """A reference from a column to ``"table.column"`` (or to a Column)."""

    def __init__(
        self,
        column: str | Column[Any],
        *,
        ondelete: str | None = None,
        onupdate: str | None = None,
        use_alter: bool = False,
        name: str | None = None,
    ) -> None:
        self._target_spec = column
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.use_alter = use_alter
        self.name = name
        self.parent: Column[Any] | None = None
        self._column: Column[Any] | None = column if isinstance(column, Column) else None

    @property
    def target_fullname(self) -> str:
        spec = self._target_spec
        if isinstance(spec, Column):
            return f"{spec.table.name}.{spec.name}"
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
        return self._column

    @property
    def target_table_name(self) -> str:
        if self._column is not None:
            return self._column.table.name
        return str(self._target_spec).rpartition(".")[0]

    def references(self, table: Table) -> bool:
        return self.target_table_name == table.name

    def __repr__(self) -> str:
        return f"ForeignKey({self.target_fullname!r})"


class Column(ColumnElement, Generic[_T]):
    """A table column; also usable in expressions (``users.c.name == "x"``)."""

    __slots__ = (
        "__weakref__",
        "_default_is_callable",
        "_onupdate_is_callable",
        "autoincrement",
        "default",
        "foreign_keys",
        "index",
        "info",
        "key",
        "name",
        "nullable",
        "onupdate",
        "primary_key",
        "server_default",
        "table",
        "type",
        "unique",
    )

    def __init__(
        self,
        *args: Any,
        primary_key: bool = False,
        nullable: bool | None = None,
        default: Any = None,
        server_default: Any = None,
        onupdate: Any = None,
        unique: bool = False,
        index: bool = False,
        name: str | None = None,
        autoincrement: bool | str = "auto",
        key: str | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        args_list = list(args)
        if args_list and isinstance(args_list[0], str):
            name = args_list.pop(0)
        type_: TypeEngine = NULLTYPE
        fks: list[ForeignKey] = []
        for a in args_list:
            if isinstance(a, ForeignKey):
                fks.append(a)
            elif isinstance(a, TypeEngine):
                type_ = a
            elif isinstance(a, type) and issubclass(a, TypeEngine):
                type_ = a()
            else:
                raise exc.ArgumentError(
                    f"Column() got an unexpected positional argument {a!r}; expected a "
                    "name, a type and ForeignKey objects"
                )
        self.name: str = name  # type: ignore[assignment]
        self.key: str = key or name  # type: ignore[assignment]
        self.type = type_
        self.primary_key = primary_key
        self.nullable = (not primary_key) if nullable is None else nullable
        self.default = default
        self._default_is_callable = callable(default)
        self.server_default = server_default
        self.onupdate = onupdate
        self._onupdate_is_callable = callable(onupdate)
        self.unique = unique
        self.index = index
        self.autoincrement = autoincrement
        self.table: Table = None  # type: ignore[assignment]
        self.info = info or {}
        self.foreign_keys: list[ForeignKey] = fks
        for fk in fks:
            fk.parent = self

    def _set_parent(self, table: Table) -> None:
        if self.table is not None and self.table is not table:
            raise exc.ArgumentError(
                f"column {self.name!r} already belongs to table {self.table.name!r}; "
                "use a new Column object for each table"
            )
        if self.name is None:
            raise exc.ArgumentError(f"a column of table {table.name!r} has no name")
        self.key = self.key or self.name
        self.table = table

    def copy(self) -> Column[_T]:
        c: Column[_T] = Column(
            self.name,
            self.type,
            *[
                ForeignKey(
                    fk._target_spec,
                    ondelete=fk.ondelete,
                    onupdate=fk.onupdate,
                    use_alter=fk.use_alter,
                    name=fk.name,
                )
                for fk in self.foreign_keys
            ],
            primary_key=self.primary_key,
            nullable=self.nullable,
            default=self.default,
            server_default=self.server_default,
            onupdate=self.onupdate,
            unique=self.unique,
            index=self.index,
            autoincrement=self.autoincrement,
            info=dict(self.info),
        )
        return c

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
            and self.server_default is None
            and not self.foreign_keys
        )

    def _compile(self, compiler: Compiler) -> str:
        return compiler.column(self)

    def _from_objects(self) -> list[FromClause]:
        return [self.table] if self.table is not None else []

    def references(self, column: Column[Any]) -> bool:
        return any(fk.column is column for fk in self.foreign_keys)

    def __repr__(self) -> str:
        table = f"{self.table.name}." if self.table is not None else ""
        return f"Column({table}{self.name}, {self.type!r})"

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

    def __getitem__(self, key: str) -> Column[Any]:
        return self._cols[key]

    def get(self, key: str, default: Any = None) -> Any:
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
        return list(self._cols)

    def values(self) -> list[Column[Any]]:
        return list(self._cols.values())

    def items(self) -> list[tuple[str, Column[Any]]]:
        return list(self._cols.items())


class UniqueConstraint:
    def __init__(self, *columns: str | Column[Any], name: str | None = None) -> None:
        self.column_names = [c if isinstance(c, str) else c.name for c in columns]
        self.name = name


class Index:
    def __init__(self, name: str, *columns: str | Column[Any], unique: bool = False) -> None:
        self.name = name
        self.column_names = [c if isinstance(c, str) else c.name for c in columns]
        self.unique = unique
        self.table: Table | None = None


class ForeignKeyConstraint:
    """A composite foreign key: ``ForeignKeyConstraint(["a", "b"], ["t.a", "t.b"])``."""

    def __init__(
        self,
        columns: Sequence[str],
        refcolumns: Sequence[str],
        *,
        ondelete: str | None = None,
        name: str | None = None,
        use_alter: bool = False,
    ) -> None:
        self.column_names = list(columns)
        self.refcolumns = list(refcolumns)
        self.ondelete = ondelete
        self.name = name
        self.use_alter = use_alter


class Table(FromClause):
    """A table: its name, columns, keys and constraints, registered in a MetaData."""

    is_from = True

    def __init__(self, name: str, metadata: MetaData, *items: Any, **kw: Any) -> None:
        if name in metadata.tables:
            raise exc.InvalidRequestError(f"table {name!r} is already defined in this MetaData")
        self.name = name
        self.metadata = metadata
        self.c = ColumnCollection()
        self.columns = self.c
        self.primary_key: list[Column[Any]] = []
        self.constraints: list[Any] = []
        self.indexes: list[Index] = []
        self.info: dict[str, Any] = kw.pop("info", {})
        autoload_with = kw.pop("autoload_with", None)
        include_columns = kw.pop("include_columns", None)
        resolve_fks = kw.pop("resolve_fks", True)
        self.kwargs = kw
        for item in items:
            self.append(item)
        metadata._add(self)
        if autoload_with is not None:
            from .engine.reflection import Inspector, reflect_table

            try:
                reflect_table(
                    Inspector(autoload_with),
                    self,
                    include_columns=include_columns,
                    resolve_fks=resolve_fks,
                )
            except BaseException:
                metadata.tables.pop(name, None)
                raise

    def append(self, item: Any) -> None:
        if isinstance(item, Column):
            item._set_parent(self)
            self.c._add(item)
            if item.primary_key:
                self.primary_key.append(item)
        elif isinstance(item, Index):
            item.table = self
            self.indexes.append(item)
        elif isinstance(item, ForeignKeyConstraint):
            for local, remote in zip(item.column_names, item.refcolumns):
                col = self.c[local]
                fk = ForeignKey(remote, ondelete=item.ondelete, use_alter=item.use_alter)
                fk.parent = col
                col.foreign_keys.append(fk)
            self.constraints.append(item)
        elif isinstance(item, UniqueConstraint):
            self.constraints.append(item)
        else:
            raise exc.ArgumentError(f"Table() cannot take {item!r}")

    append_column = append

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for c in self.c for fk in c.foreign_keys]

    def referenced_tables(self, include_alter: bool = True) -> list[str]:
        names: list[str] = []
        for fk in self.foreign_keys:
            if fk.use_alter and not include_alter:
                continue
            n = fk.target_table_name
            if n != self.name and n not in names:
                names.append(n)
        return names

    def _compile(self, compiler: Compiler) -> str:
        return compiler.quote(self.name)

    def _from_objects(self) -> list[FromClause]:
        return [self]

    def _column_list(self) -> list[Column[Any]]:
        return list(self.c)

    def insert(self) -> Any:
        from .sql.dml import insert

        return insert(self)

    def update(self) -> Any:
        from .sql.dml import update

        return update(self)

    def delete(self) -> Any:
        from .sql.dml import delete

        return delete(self)

    def select(self) -> Any:
        from .sql.selectable import select

        return select(self)

    def __repr__(self) -> str:
        return f"Table({self.name!r})"

    def create(self, bind: Engine, checkfirst: bool = True) -> None:
        self.metadata.create_all(bind, tables=[self], checkfirst=checkfirst)

    def drop(self, bind: Engine, checkfirst: bool = True) -> None:
        self.metadata.drop_all(bind, tables=[self], checkfirst=checkfirst)


def sort_tables(tables: Sequence[Table], *, include_alter: bool = False) -> list[Table]:
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
    nodes: Sequence[Any],
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


class MetaData:
    """A collection of tables, created and dropped together in dependency order."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}

    def _add(self, table: Table) -> None:
        self.tables[table.name] = table

    @property
    def sorted_tables(self) -> list[Table]:
        """Tables with referenced tables first (``use_alter`` keys ignored)."""
        return sort_tables(list(self.tables.values()), include_alter=False)

    def create_all(
        self, bind: Engine, tables: Sequence[Table] | None = None, checkfirst: bool = True
    ) -> None:
        """Create every table (and index) that does not exist yet, in dependency order."""
        from .sql.ddl import create_statements

        todo = sort_tables(list(tables) if tables is not None else list(self.tables.values()))
        with bind.begin() as conn:
            if checkfirst:
                todo = [t for t in todo if not conn._has_table(t.name)]
            for sql in create_statements(todo, bind.dialect):
                conn._run(sql, ())

    def drop_all(
        self, bind: Engine, tables: Sequence[Table] | None = None, checkfirst: bool = True
    ) -> None:
        """Drop every table that exists, dependents first."""
        from .sql.ddl import drop_statements

        todo = sort_tables(list(tables) if tables is not None else list(self.tables.values()))
        with bind.begin() as conn:
            if checkfirst:
                todo = [t for t in todo if conn._has_table(t.name)]
            for sql in drop_statements(todo, bind.dialect):
                conn._run(sql, ())

    def reflect(
        self,
        bind: Engine | Connection,
        *,
        schema: str | None = None,
        views: bool = False,
        only: Sequence[str] | Callable[[str, MetaData], bool] | None = None,
        resolve_fks: bool = True,
    ) -> None:
        """Add a Table for each table of the database that is not in this MetaData yet
        (columns, keys, unique constraints and indexes), as SQLAlchemy's
        ``MetaData.reflect``. ``only`` is a list of names (each must exist) or a predicate
        ``fn(name, metadata)``; ``views=True`` also reflects views."""
        from .engine.reflection import Inspector, reflect_table

        if schema is not None:
            raise exc.ArgumentError(
                "MetaData.reflect(schema=...) is not supported yet: uow_orm tables have "
                "no schema option; reflect the default schema"
            )
        inspector = Inspector(bind)
        available = inspector.get_table_names()
        if views:
            available += inspector.get_view_names()
        if only is None:
            wanted = available
        elif callable(only):
            wanted = [n for n in available if only(n, self)]
        else:
            missing = [n for n in only if n not in available]
            if missing:
                raise exc.InvalidRequestError(
                    f"could not reflect: requested table(s) not available in the database: "
                    f"{', '.join(missing)}"
                )
            wanted = list(only)
        for name in wanted:
            if name not in self.tables:
                reflect_table(inspector, Table(name, self), resolve_fks=resolve_fks)

    def clear(self) -> None:
        self.tables.clear()

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __repr__(self) -> str:
        return f"MetaData(tables={list(self.tables)})"


class ColumnDefault:
    """A column's client-side default: ``arg`` is the scalar, callable or SQL expression.

    ``is_callable``, ``is_scalar`` and ``is_clause_element`` say which it is.
    """

    def __init__(self, arg: Any, for_update: bool = False) -> None:
        if isinstance(arg, ColumnDefault):
            arg = arg.arg
        self.arg: Any = arg
        self.for_update = for_update

    @property
    def is_callable(self) -> bool:
        return callable(self.arg) and not isinstance(self.arg, ClauseElementBase)

    @property
    def is_clause_element(self) -> bool:
        return isinstance(self.arg, ClauseElementBase)

    @property
    def is_scalar(self) -> bool:
        return not self.is_callable and not self.is_clause_element

    @property
    def is_sequence(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"ColumnDefault({self.arg!r})"


def server_default_sql(value: Any, dialect_name: str) -> str:
    """The SQL of a ``server_default``: text() verbatim, strings quoted, numbers as is."""
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
    "Column",
    "ColumnCollection",
    "ColumnDefault",
    "ForeignKey",
    "ForeignKeyConstraint",
    "Index",
    "MetaData",
    "Table",
    "UniqueConstraint",
    "sort_tables",
    "topological_sort",
]
