"""``batch_alter_table``: table changes SQLite cannot ALTER, done by rebuilding the table.

Called only by ``Operations.batch_alter_table``. The rebuild follows SQLite's documented
procedure (the runner has turned foreign-key enforcement off for the revision and checks
every key before it commits): create the new table under a temporary name, copy the rows,
drop the old table, rename the new one, then recreate its indexes and the views and
triggers that named it. On PostgreSQL the operations are plain ALTER statements.

Called by: uow_orm.migrate.operations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import exc
from ..sql import alter
from ..sql.ddl import create_table_sql
from ..sql.naming import conv
from ..sql.schema import Column, MetaData, Table, UniqueConstraint
from .script import MigrationError

if TYPE_CHECKING:
    from .operations import Operations


@dataclass
class _Plan:
    """The new shape of the table, built from the reflected one and the batch's changes."""

    columns: dict[str, Column[Any]]
    #: new column name -> the old column its values come from (None: a new column)
    sources: dict[str, str | None]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]]
    uniques: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    dropped_indexes: set[str] = field(default_factory=set)
    new_indexes: list[tuple[str, list[str], bool, str | None]] = field(default_factory=list)
    retyped: set[str] = field(default_factory=set)
    #: old column name -> new name (None: dropped), for the indexes kept across the rebuild
    renames: dict[str, str | None] = field(default_factory=dict)


class BatchOperations:
    """``batch_op`` inside ``with op.batch_alter_table("t") as batch_op:``: the operations
    of ``op`` without the table name, applied when the block ends."""

    def __init__(self, ops: Operations, table_name: str, recreate: str) -> None:
        self._ops = ops
        self.table_name = table_name
        self._recreate = recreate
        self._changes: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def _record(self, name: str, *args: Any, **kw: Any) -> None:
        self._changes.append((name, args, kw))

    def add_column(self, column: Column[Any]) -> None:
        """Add ``column`` (as `Operations.add_column`), applied when the block ends."""
        self._record("add_column", column)

    def drop_column(self, column_name: str) -> None:
        """Drop the column ``column_name``, applied when the block ends."""
        self._record("drop_column", column_name)

    def alter_column(self, column_name: str, **kw: Any) -> None:
        """Change the column ``column_name`` (arguments as `Operations.alter_column`), applied
        when the block ends.

        Raises:
            ArgumentError: for an argument `Operations.alter_column` does not take.
        """
        allowed = {
            "nullable",
            "server_default",
            "new_column_name",
            "type_",
            "existing_type",
            "existing_nullable",
            "existing_server_default",
            "postgresql_using",
            "comment",
            "existing_comment",
        }
        unknown = sorted(set(kw) - allowed)
        if unknown:
            raise exc.ArgumentError(f"alter_column() got unknown argument(s): {', '.join(unknown)}")
        self._record("alter_column", column_name, **kw)

    def create_foreign_key(
        self,
        constraint_name: str | None,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        **kw: Any,
    ) -> None:
        """Add a foreign key from this table's ``local_cols`` to ``referent_table``'s
        ``remote_cols`` (keywords ``ondelete``, ``onupdate``, ``deferrable``, ``initially``).

        Raises:
            ArgumentError: for any other keyword.
        """
        unknown = sorted(set(kw) - {"ondelete", "onupdate", "deferrable", "initially"})
        if unknown:
            raise exc.ArgumentError(
                f"create_foreign_key() got unknown argument(s): {', '.join(unknown)}"
            )
        self._record(
            "create_foreign_key", constraint_name, referent_table, local_cols, remote_cols, **kw
        )

    def create_unique_constraint(self, constraint_name: str | None, columns: Sequence[str]) -> None:
        """Add a UNIQUE constraint over ``columns``, applied when the block ends."""
        self._record("create_unique_constraint", constraint_name, columns)

    def create_check_constraint(self, constraint_name: str | None, condition: Any) -> None:
        """Add a CHECK constraint (``condition`` as in `Operations.create_check_constraint`)."""
        self._record("create_check_constraint", constraint_name, condition)

    def drop_constraint(self, constraint_name: str, type_: str | None = None) -> None:
        """Drop the named constraint (``type_``: "foreignkey", "unique", "check" or "primary")."""
        self._record("drop_constraint", constraint_name, type_=type_)

    def create_index(
        self, index_name: str, columns: Sequence[str], *, unique: bool = False, **kw: Any
    ) -> None:
        """Create an index on ``columns`` of this table, applied when the block ends."""
        self._record("create_index", index_name, columns, unique=unique, **kw)

    def drop_index(self, index_name: str) -> None:
        """Drop the index ``index_name``, applied when the block ends."""
        self._record("drop_index", index_name)

    # -- applying -----------------------------------------------------------------------
    def apply(self) -> None:
        """Run the recorded changes (the end of the ``with`` block calls this).

        Where the backend can ALTER (PostgreSQL, unless ``recreate="always"``) each change is an
        ordinary ALTER; on SQLite the table is rebuilt: created in its new shape, the rows
        copied, the old one dropped and the new one renamed.

        Raises:
            MigrationError: with ``recreate="never"`` on SQLite, or in offline (``sql``) mode on
                SQLite, which cannot read the table to rebuild it; or when a change names a
                column the table lacks (or adds one it has).
        """
        ops = self._ops
        if ops.dialect.name != "sqlite" and self._recreate != "always":
            for name, args, kw in self._changes:
                # op.<name> takes the table first for column operations, and after the
                # constraint or index name for the others.
                if name in ("add_column", "drop_column", "alter_column"):
                    getattr(ops, name)(self.table_name, *args, **kw)
                else:
                    getattr(ops, name)(args[0], self.table_name, *args[1:], **kw)
            return
        if self._recreate == "never":
            raise MigrationError(
                "batch_alter_table(recreate='never') cannot change a SQLite table this way"
            )
        if ops.connection is None:
            raise MigrationError(
                "batch_alter_table on SQLite reads the table from the database, which "
                "offline (sql) mode cannot do"
            )
        self._rebuild()

    def _plan(self) -> _Plan:
        from ..engine.reflection import Inspector

        conn = self._ops.connection
        assert conn is not None
        insp = Inspector(conn)
        metadata = MetaData()
        reflected = Table(self.table_name, metadata, autoload_with=conn, resolve_fks=False)
        plan = _Plan(
            columns={c.name: c for c in reflected.c},
            sources={c.name: c.name for c in reflected.c},
            primary_key=[c.name for c in reflected.primary_key],
            foreign_keys=insp.get_foreign_keys(self.table_name),
            uniques=insp.get_unique_constraints(self.table_name),
            checks=insp.get_check_constraints(self.table_name),
        )
        for name, args, kw in self._changes:
            getattr(self, f"_plan_{name}")(plan, *args, **kw)
        return plan

    def _plan_add_column(self, plan: _Plan, column: Column[Any]) -> None:
        if column.name in plan.columns:
            raise MigrationError(f"table {self.table_name!r} already has column {column.name!r}")
        plan.columns[column.name] = column
        plan.sources[column.name] = None
        if column.primary_key:
            plan.primary_key.append(column.name)
        for fk in column.foreign_keys:
            target, _, remote = fk.target_fullname.rpartition(".")
            plan.foreign_keys.append(
                {
                    "name": fk.name,
                    "constrained_columns": [column.name],
                    "referred_table": target,
                    "referred_columns": [remote],
                    "options": {
                        k: v for k, v in (("ondelete", fk.ondelete), ("onupdate", fk.onupdate)) if v
                    },
                }
            )

    def _plan_drop_column(self, plan: _Plan, column_name: str) -> None:
        if column_name not in plan.columns:
            raise MigrationError(f"table {self.table_name!r} has no column {column_name!r}")
        del plan.columns[column_name]
        source = plan.sources.pop(column_name)
        if source is not None:
            plan.renames[source] = None
        plan.primary_key = [c for c in plan.primary_key if c != column_name]
        plan.foreign_keys = [
            f for f in plan.foreign_keys if column_name not in f["constrained_columns"]
        ]
        plan.uniques = [u for u in plan.uniques if column_name not in u["column_names"]]

    def _plan_alter_column(self, plan: _Plan, column_name: str, **kw: Any) -> None:
        old = plan.columns.get(column_name)
        if old is None:
            raise MigrationError(f"table {self.table_name!r} has no column {column_name!r}")
        type_ = kw.get("type_")
        if isinstance(type_, type):
            type_ = type_()
        new_name = kw.get("new_column_name") or column_name
        nullable = kw.get("nullable")
        server_default = kw.get("server_default", False)
        column: Column[Any] = Column(
            new_name,
            type_ if type_ is not None else old.type,
            primary_key=old.primary_key,
            nullable=old.nullable if nullable is None else nullable,
            server_default=old.server_default if server_default is False else server_default,
            autoincrement=old.autoincrement,
        )
        rebuilt: dict[str, Column[Any]] = {}
        sources: dict[str, str | None] = {}
        for name, col in plan.columns.items():
            key = new_name if name == column_name else name
            rebuilt[key] = column if name == column_name else col
            sources[key] = plan.sources[name]
        plan.columns, plan.sources = rebuilt, sources
        if type_ is not None:
            plan.retyped.add(new_name)
            # The CHECK the old type wrote for the column (an Enum's or Boolean's
            # ``"col" IN (...)``, unnamed) goes with the old type; the new type writes its own.
            own_check = re.compile(rf'^"?{re.escape(column_name)}"?\s+IN\s*\(', re.I)
            plan.checks = [
                c for c in plan.checks if c["name"] is not None or not own_check.match(c["sqltext"])
            ]
        if new_name != column_name:
            source = plan.sources[new_name]
            if source is not None:
                plan.renames[source] = new_name
            rename = {column_name: new_name}
            plan.primary_key = [rename.get(c, c) for c in plan.primary_key]
            for fk in plan.foreign_keys:
                fk["constrained_columns"] = [rename.get(c, c) for c in fk["constrained_columns"]]
            for uq in plan.uniques:
                uq["column_names"] = [rename.get(c, c) for c in uq["column_names"]]

    def _plan_create_foreign_key(
        self,
        plan: _Plan,
        name: str | None,
        referent: str,
        local: Sequence[str],
        remote: Sequence[str],
        **kw: Any,
    ) -> None:
        plan.foreign_keys.append(
            {
                "name": name,
                "constrained_columns": list(local),
                "referred_table": referent,
                "referred_columns": list(remote),
                "options": {k: v for k, v in kw.items() if v is not None},
            }
        )

    def _plan_create_unique_constraint(
        self, plan: _Plan, name: str | None, columns: Sequence[str]
    ) -> None:
        plan.uniques.append({"name": name, "column_names": list(columns)})

    def _plan_create_check_constraint(self, plan: _Plan, name: str | None, condition: Any) -> None:
        from .operations import _literal_sql

        sql = (
            condition if isinstance(condition, str) else _literal_sql(condition, self._ops.dialect)
        )
        plan.checks.append({"name": name, "sqltext": sql})

    def _plan_drop_constraint(self, plan: _Plan, name: str, type_: str | None = None) -> None:
        before = len(plan.foreign_keys) + len(plan.uniques) + len(plan.checks)
        plan.foreign_keys = [f for f in plan.foreign_keys if f["name"] != name]
        plan.uniques = [u for u in plan.uniques if u["name"] != name]
        plan.checks = [c for c in plan.checks if c["name"] != name]
        if before == len(plan.foreign_keys) + len(plan.uniques) + len(plan.checks):
            raise MigrationError(
                f"table {self.table_name!r} has no constraint named {name!r} (SQLite keeps "
                "names only for constraints declared with CONSTRAINT <name>)"
            )

    def _plan_create_index(
        self, plan: _Plan, name: str, columns: Sequence[str], unique: bool = False, **kw: Any
    ) -> None:
        unknown = sorted(set(kw) - {"sqlite_where", "postgresql_where", "postgresql_concurrently"})
        if unknown:
            raise exc.ArgumentError(f"create_index() got unknown argument(s): {', '.join(unknown)}")
        plan.new_indexes.append((name, list(columns), unique, kw.get("sqlite_where")))

    def _plan_drop_index(self, plan: _Plan, name: str) -> None:
        plan.dropped_indexes.add(name)

    def _new_table(self, plan: _Plan, temp_name: str) -> str:
        """CREATE TABLE of the new shape under ``temp_name``. Foreign keys name their
        final tables (a self-reference names this table's own final name), so nothing
        needs rewriting after the rename."""
        dialect = self._ops.dialect
        columns: list[Column[Any]] = [
            Column(
                name,
                col.type,
                primary_key=name in plan.primary_key,
                nullable=col.nullable,
                server_default=col.server_default,
                autoincrement=col.autoincrement,
            )
            for name, col in plan.columns.items()
        ]
        uniques = [
            UniqueConstraint(*u["column_names"], name=conv(u["name"]) if u["name"] else None)
            for u in plan.uniques
        ]
        table = Table(temp_name, MetaData(), *columns, *uniques)
        clauses = [
            alter.foreign_key_clause(
                fk["constrained_columns"],
                fk["referred_table"],
                fk["referred_columns"],
                dialect,
                name=fk["name"],
                ondelete=fk["options"].get("ondelete"),
                onupdate=fk["options"].get("onupdate"),
                deferrable=fk["options"].get("deferrable"),
                initially=fk["options"].get("initially"),
            )
            for fk in plan.foreign_keys
        ]
        clauses += [alter.check_clause(c["name"], c["sqltext"], dialect) for c in plan.checks]
        sql = create_table_sql(table, dialect, with_alter_fks=True)
        if clauses:
            sql = sql[: sql.rindex("\n)")] + ",\n\t" + ",\n\t".join(clauses) + "\n)"
        return sql

    def _rebuild(self) -> None:
        ops = self._ops
        dialect = ops.dialect
        q = dialect.quote
        plan = self._plan()
        temp = f"_uow_batch_{self.table_name}"
        triggers, views, indexes = self._dependents(plan)
        for name, _sql in views:
            ops._run(f"DROP VIEW {q(name)}")
        ops._run(self._new_table(plan, temp))
        self._copy_rows(plan, temp)
        ops._run(f"DROP TABLE {q(self.table_name)}")
        ops._run(alter.rename_table_sql(temp, self.table_name, dialect))
        for sql in indexes:
            ops._run(sql)
        for name, columns, unique, where in plan.new_indexes:
            ops._run(
                alter.create_index_sql(
                    name, self.table_name, columns, dialect, unique=unique, where=where
                )
            )
        for _name, sql in triggers + views:
            ops._run(sql)

    def _dependents(
        self, plan: _Plan
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
        """What the rebuild must recreate: (triggers, views, index SQL). Views and triggers
        as SQLite keeps them, recreated after the rename; indexes on plain columns rebuilt
        with the columns' new names (one on a dropped column goes), expression and partial
        indexes replayed from their SQL."""
        from ..engine.reflection import Inspector

        conn = self._ops.connection
        assert conn is not None
        rows = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
            "((type IN ('index', 'trigger') AND tbl_name = ?) OR type = 'view')",
            (self.table_name,),
        ).all()
        triggers = [(n, s) for t, n, s in rows if t == "trigger"]
        views = [(n, s) for t, n, s in rows if t == "view"]
        index_sql = {n: s for t, n, s in rows if t == "index"}
        indexes: list[str] = []
        for ix in Inspector(conn).get_indexes(self.table_name):
            if ix["name"] in plan.dropped_indexes:
                continue
            if None in ix["column_names"] or ix["dialect_options"]:
                indexes.append(index_sql[ix["name"]])
                continue
            cols = [plan.renames.get(c, c) for c in ix["column_names"]]
            if None in cols:
                continue
            indexes.append(
                alter.create_index_sql(
                    ix["name"], self.table_name, cols, self._ops.dialect, unique=ix["unique"]
                )
            )
        return triggers, views, indexes

    def _copy_rows(self, plan: _Plan, temp: str) -> None:
        """INSERT .. SELECT the kept columns into the new table (retyped ones CAST)."""
        dialect = self._ops.dialect
        q = dialect.quote
        targets = [n for n, src in plan.sources.items() if src is not None]
        sources = []
        for n in targets:
            src = q(plan.sources[n])  # type: ignore[arg-type]
            if n in plan.retyped:
                src = f"CAST({src} AS {plan.columns[n].type.ddl(dialect.name)})"
            sources.append(src)
        if targets:
            self._ops._run(
                f"INSERT INTO {q(temp)} ({', '.join(q(n) for n in targets)}) "
                f"SELECT {', '.join(sources)} FROM {q(self.table_name)}"
            )


__all__ = ["BatchOperations"]
