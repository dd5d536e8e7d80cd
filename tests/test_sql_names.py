"""SQLAlchemy's SQL-side import paths and names: the re-export modules
(``sql.type_api``, ``sql.base``, ``sql.functions``, ``engine.row`` / ``cursor`` /
``default`` / ``interfaces``, the dialect submodules) name the uow_orm objects that mean
the same, and each works in a statement on both backends."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as real_sqlalchemy

import uow_orm
import uow_orm.schema
import uow_orm.sql.expression
from uow_orm import Column, Integer, MetaData, String, Table, func, insert, select
from uow_orm.sql import functions as F


def _people(engine: Any) -> Table:
    md = MetaData()
    t = Table(
        "sn_people",
        md,
        Column("id", Integer, primary_key=True),
        Column("name", String(30)),
        Column("nick", String(30)),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(t),
            [{"id": 1, "name": "ann", "nick": None}, {"id": 2, "name": "bob", "nick": "b"}],
        )
    return t


def test_type_api_and_sql_base_name_the_uow_classes() -> None:
    import uow_orm.schema
    from uow_orm.sql import base, type_api

    assert type_api.TypeEngine is uow_orm.types.TypeEngine
    assert type_api.TypeDecorator is uow_orm.TypeDecorator
    assert type_api.UserDefinedType is uow_orm.types.UserDefinedType
    assert type_api.NULLTYPE is uow_orm.types.NULLTYPE
    assert base.Executable is uow_orm.sql.Executable
    assert base.ColumnCollection is uow_orm.schema.ColumnCollection


def test_a_type_decorator_annotated_with_engine_dialect_round_trips(engine: Any) -> None:
    from uow_orm.engine import Dialect
    from uow_orm.engine.interfaces import Dialect as IDialect
    from uow_orm.sql.type_api import TypeDecorator

    assert Dialect is IDialect is uow_orm.dialects.base.Dialect
    seen: list[str] = []

    class Upper(TypeDecorator[str]):
        impl = String(30)
        cache_ok = True

        def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
            seen.append(dialect.name)
            return None if value is None else value.upper()

    md = MetaData()
    t = Table("sn_upper", md, Column("id", Integer, primary_key=True), Column("v", Upper()))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, v="abc"))
        assert conn.execute(select(t.c.v)).scalar_one() == "ABC"
    assert seen == [engine.dialect.name]
    assert isinstance(engine.dialect, uow_orm.engine.default.DefaultDialect)


def test_engine_row_and_cursor_name_the_result_classes(engine: Any) -> None:
    from uow_orm.engine.cursor import CursorResult
    from uow_orm.engine.row import Row, RowMapping

    t = _people(engine)
    with engine.connect() as conn:
        result = conn.execute(select(t.c.id, t.c.name).order_by(t.c.id))
        assert isinstance(result, CursorResult)
        rows = result.all()
    assert all(isinstance(r, Row) for r in rows)
    assert isinstance(rows[0]._mapping, RowMapping)
    assert [tuple(r) for r in rows] == [(1, "ann"), (2, "bob")]


def test_exception_and_execution_contexts_are_what_listeners_receive(engine: Any) -> None:
    from uow_orm import event, exc
    from uow_orm.engine.interfaces import ExceptionContext, ExecutionContext

    got: list[Any] = []
    errors: list[Any] = []
    event.listen(engine, "before_cursor_execute", lambda *a: got.append(a[4]))
    event.listen(engine, "handle_error", errors.append)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        try:
            conn.exec_driver_sql("SELECT * FROM sn_no_such_table")
        except exc.DBAPIError:
            pass
    assert isinstance(got[0], ExecutionContext)
    assert len(errors) == 1 and isinstance(errors[0], ExceptionContext)


def test_named_function_classes_are_what_func_builds(engine: Any) -> None:
    t = _people(engine)
    assert isinstance(func.count(), F.count)
    assert isinstance(func.COALESCE(t.c.nick, t.c.name), F.coalesce)
    assert F.FunctionElement is F.Function
    assert str(F.count()) == "count(*)" == str(real_sqlalchemy.sql.functions.count())
    assert str(F.current_timestamp()) == "CURRENT_TIMESTAMP"
    assert isinstance(F.max(t.c.id).type, Integer)
    with engine.connect() as conn:
        assert conn.execute(select(F.count()).select_from(t)).scalar_one() == 2
        assert conn.execute(select(F.max(t.c.id), F.min(t.c.id), F.sum(t.c.id))).one() == (
            2,
            1,
            3,
        )
        names = conn.scalars(select(F.coalesce(t.c.nick, t.c.name)).order_by(t.c.id)).all()
        assert names == ["ann", "b"]
        assert conn.scalars(select(F.char_length(t.c.name)).where(t.c.id == 1)).one() == 3
        now = conn.execute(select(F.now())).scalar_one()
        assert isinstance(now, (datetime.datetime, str))


def test_register_function_makes_func_build_the_class(engine: Any) -> None:
    from uow_orm import exc

    class upper_name(F.GenericFunction):
        name = "upper"
        type = String()
        inherit_cache = True

    F.register_function("shout", upper_name)
    assert isinstance(func.shout(), upper_name)
    t = _people(engine)
    with engine.connect() as conn:
        assert conn.scalars(select(func.shout(t.c.name)).where(t.c.id == 1)).one() == "ANN"
    try:
        F.register_function("x", upper_name, package="geo")
    except exc.ArgumentError as e:
        assert "package" in str(e)
    else:
        raise AssertionError("package= was accepted")


def test_dialect_submodules_name_the_dialect_objects() -> None:
    import importlib

    from uow_orm.dialects import postgresql, sqlite
    from uow_orm.dialects.postgresql import dml, json, ranges, types

    # package attributes named array / hstore are the functions (as in SQLAlchemy)
    array = importlib.import_module("uow_orm.dialects.postgresql.array")
    hstore = importlib.import_module("uow_orm.dialects.postgresql.hstore")
    assert callable(postgresql.array) and callable(postgresql.hstore)
    from uow_orm.dialects.sqlite import base as sqlite_base
    from uow_orm.dialects.sqlite import dml as sqlite_dml

    assert json.JSONB is postgresql.JSONB and json.JSON is postgresql.JSON
    assert array.ARRAY is postgresql.ARRAY and array.array is postgresql.array
    assert ranges.INT4RANGE is postgresql.INT4RANGE and ranges.Range is postgresql.Range
    assert types.INET is postgresql.INET and types.TSVECTOR is postgresql.TSVECTOR
    assert hstore.HSTORE is postgresql.HSTORE and hstore.hstore is postgresql.hstore
    assert dml.insert is postgresql.insert and dml.Insert is postgresql.Insert
    assert sqlite_dml.insert is sqlite.insert and sqlite_base.SQLiteDialect is sqlite.SQLiteDialect
    assert sqlite_base.DATETIME is sqlite.DATETIME


def test_dialect_dml_insert_upserts(engine: Any, backend: str) -> None:
    from uow_orm.dialects.postgresql.dml import insert as pg_insert
    from uow_orm.dialects.sqlite.dml import insert as sqlite_insert

    t = _people(engine)
    ins = (pg_insert if backend == "postgresql" else sqlite_insert)(t)
    stmt = ins.values(id=1, name="ann2").on_conflict_do_update(
        index_elements=[t.c.id], set_={"name": ins.excluded.name}
    )
    with engine.begin() as conn:
        conn.execute(stmt)
        assert conn.scalars(select(t.c.name).where(t.c.id == 1)).one() == "ann2"


# -- the class hierarchy: isinstance as in SQLAlchemy -----------------------------------------
_BASES = (
    "Selectable",
    "SelectBase",
    "GenerativeSelect",
    "ReturnsRows",
    "Executable",
    "HasCTE",
    "TableClause",
    "AliasedReturnsRows",
    "UpdateBase",
    "ValuesBase",
    "Visitable",
    "Operators",
    "FromClause",
)


def _constructs(lib: Any) -> dict[str, Any]:
    md = lib.MetaData()
    t = lib.Table("h", md, lib.Column("id", lib.Integer, primary_key=True))
    s = lib.select(t)
    return {
        "select": s,
        "union": lib.union(s, s),
        "subquery": s.subquery(),
        "cte": s.cte(),
        "alias": t.alias(),
        "table": t,
        "lightweight table": lib.table("lt", lib.column("x")),
        "insert": lib.insert(t),
        "update": lib.update(t),
        "delete": lib.delete(t),
        "text": lib.text("SELECT 1"),
        "column": t.c.id,
        "join": t.join(t.alias("h2"), lib.true()),
    }


def test_isinstance_of_the_base_classes_is_as_in_sqlalchemy() -> None:
    ours, theirs = _constructs(uow_orm), _constructs(real_sqlalchemy)
    differ = []
    for what in ours:
        for base in _BASES:
            real_base = getattr(real_sqlalchemy.sql.expression, base, None) or getattr(
                real_sqlalchemy, base
            )
            a = isinstance(ours[what], getattr(uow_orm, base))
            b = isinstance(theirs[what], real_base)
            if a != b:
                differ.append((what, base, a, b))
    # uow_orm's SELECT statements are FROM clauses too (select(...) is accepted in FROM);
    # its INSERT / UPDATE / DELETE have no cte()
    assert set(differ) == {
        ("select", "FromClause", True, False),
        ("union", "FromClause", True, False),
        *((dml, "HasCTE", False, True) for dml in ("insert", "update", "delete")),
    }


def test_the_base_classes_are_importable_from_sqlalchemys_modules() -> None:
    from uow_orm.sql import expression, selectable, visitors

    assert expression.Selectable is selectable.Selectable is uow_orm.Selectable
    assert visitors.Visitable is uow_orm.Visitable
    assert uow_orm.schema.BaseDDLElement is uow_orm.BaseDDLElement
    assert uow_orm.sql.Extract is type(uow_orm.extract("year", uow_orm.column("d")))
    assert isinstance(uow_orm.CreateTable(uow_orm.Table("z", MetaData())), uow_orm.BaseDDLElement)


def test_a_helper_typed_on_selectable_runs_statements(engine: Any) -> None:
    from uow_orm.sql.expression import Executable, Selectable

    t = _people(engine)

    def run(conn: Any, stmt: Executable) -> list[Any]:
        assert isinstance(stmt, Executable)
        return list(conn.execute(stmt)) if isinstance(stmt, Selectable) else []

    with engine.connect() as conn:
        assert run(conn, select(t.c.name).order_by(t.c.id)) == [("ann",), ("bob",)]
        assert run(conn, uow_orm.union(select(t.c.id), select(t.c.id))) != []


# -- label styles -----------------------------------------------------------------------------
def _two_tables(lib: Any, engine: Any) -> tuple[Any, Any]:
    md = lib.MetaData()
    a = lib.Table(
        "ls_a", md, lib.Column("id", lib.Integer, primary_key=True), lib.Column("x", lib.Integer)
    )
    b = lib.Table("ls_b", md, lib.Column("id", lib.Integer, primary_key=True))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(lib.insert(a), [{"id": 1, "x": 10}])
        conn.execute(lib.insert(b), [{"id": 5}])
    return a, b


def _label_style_outcomes(lib: Any, engine: Any) -> list[Any]:
    a, b = _two_tables(lib, engine)
    out: list[Any] = []
    with engine.connect() as conn:
        for name in (
            "LABEL_STYLE_TABLENAME_PLUS_COL",
            "LABEL_STYLE_NONE",
            "LABEL_STYLE_DISAMBIGUATE_ONLY",
        ):
            stmt = (
                lib.select(a.c.id, b.c.id, a.c.x, a.c.x.label("q"))
                .where(a.c.id < b.c.id)
                .set_label_style(getattr(lib, name))
            )
            sub = stmt.subquery()
            result = conn.execute(stmt)
            keys = list(result.keys())
            out.append(
                (
                    name,
                    " ".join(str(stmt).split()),
                    keys if name != "LABEL_STYLE_DISAMBIGUATE_ONLY" else None,
                    result.all(),
                    list(sub.c.keys()),
                    conn.execute(lib.select(sub)).all(),
                    stmt.get_label_style() is getattr(lib, name),
                )
            )
        stmt = lib.select(a).set_label_style(lib.LABEL_STYLE_TABLENAME_PLUS_COL)
        out.append((list(conn.execute(stmt).keys()), " ".join(str(stmt).split())))
    return out


def test_label_styles_label_columns_keys_and_subqueries_as_sqlalchemy(engine: Any) -> None:
    import sqlalchemy.pool

    oracle = real_sqlalchemy.create_engine("sqlite://", poolclass=sqlalchemy.pool.StaticPool)
    theirs = _label_style_outcomes(real_sqlalchemy, oracle)
    ours = _label_style_outcomes(uow_orm, engine)
    assert ours == theirs
    assert ours[0][2] == ["ls_a_id", "ls_b_id", "ls_a_x", "q"]


def test_label_style_default_and_bad_style() -> None:
    from uow_orm import exc
    from uow_orm.sql import LABEL_STYLE_DEFAULT, LABEL_STYLE_DISAMBIGUATE_ONLY, SelectLabelStyle

    assert LABEL_STYLE_DEFAULT is LABEL_STYLE_DISAMBIGUATE_ONLY
    assert select(uow_orm.literal(1)).get_label_style() is LABEL_STYLE_DEFAULT
    assert isinstance(LABEL_STYLE_DEFAULT, SelectLabelStyle)
    try:
        select(uow_orm.literal(1)).set_label_style("tablename")  # type: ignore[arg-type]
    except exc.ArgumentError as e:
        assert "SelectLabelStyle" in str(e)
    else:
        raise AssertionError("a string style was accepted")


def test_label_style_is_part_of_the_statement_cache_key(engine: Any) -> None:
    a, b = _two_tables(uow_orm, engine)
    plain = select(a.c.id, b.c.id)
    with engine.connect() as conn:
        for _ in range(2):  # the second round reads the compiled statements from the cache
            assert list(conn.execute(plain).keys()) == ["id", "id"]
            styled = plain.set_label_style(uow_orm.LABEL_STYLE_TABLENAME_PLUS_COL)
            assert list(conn.execute(styled).keys()) == ["ls_a_id", "ls_b_id"]
            assert conn.execute(styled).mappings().one() == {"ls_a_id": 1, "ls_b_id": 5}


# -- quoted_name --------------------------------------------------------------------------------
def test_quoted_name_is_a_str_with_its_quoting() -> None:
    from uow_orm import quoted_name

    q = quoted_name("Amt", quote=False)
    assert q == "Amt" and isinstance(q, str) and q.quote is False
    assert quoted_name(q) is q and quoted_name("x").quote is None
    assert uow_orm.sql.expression.quoted_name is quoted_name is uow_orm.sql.elements.quoted_name


def _quoted_table(lib: Any) -> Any:
    q = lib.quoted_name
    return lib.Table(
        q("QnOrder", True),
        lib.MetaData(),
        lib.Column(q("Amt", False), lib.Integer, primary_key=True),
        lib.Column("qx", lib.Integer, quote=True),
        lib.Column("Plain", lib.Integer),
    )


def test_quoted_name_forces_or_suppresses_quoting_in_ddl_select_and_dml(engine: Any) -> None:
    import sqlalchemy.schema

    ours, theirs = _quoted_table(uow_orm), _quoted_table(real_sqlalchemy)
    pairs = [
        (uow_orm.schema.CreateTable(ours), sqlalchemy.schema.CreateTable(theirs)),
        (
            select(ours).where(ours.c.qx == 1),
            real_sqlalchemy.select(theirs).where(theirs.c.qx == 1),
        ),
        (insert(ours), real_sqlalchemy.insert(theirs)),
        (uow_orm.update(ours).values(qx=2), real_sqlalchemy.update(theirs).values(qx=2)),
    ]
    for a, b in pairs:
        assert " ".join(str(a).split()) == " ".join(str(b).split())
    assert 'INTEGER NOT NULL, "qx" INTEGER' in " ".join(str(pairs[0][0]).split())
    ours.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(ours).values(Amt=1, qx=2, Plain=3))
        conn.execute(uow_orm.update(ours).values(qx=4))
        assert conn.execute(select(ours)).all() == [(1, 4, 3)]
        # the unquoted name is folded by the database: amt reads it back
        assert conn.exec_driver_sql('SELECT amt, "qx" FROM "QnOrder"').all() == [(1, 4)]
    ours.metadata.drop_all(engine)


# -- TABLESAMPLE --------------------------------------------------------------------------------
def test_tablesample_renders_as_sqlalchemy() -> None:
    from sqlalchemy.dialects import postgresql as real_pg

    from uow_orm.dialects import postgresql

    def sql(lib: Any, dialect: Any) -> list[str]:
        t = lib.table("ts", lib.column("x"))
        stmts = [
            lib.select(t.tablesample(lib.func.bernoulli(1), name="a", seed=lib.func.random())),
            lib.select(lib.tablesample(t, 10).c.x),
        ]
        return [" ".join(str(s.compile(dialect=dialect)).split()) for s in stmts]

    assert sql(uow_orm, postgresql.dialect()) == sql(real_sqlalchemy, real_pg.dialect())
    assert isinstance(uow_orm.table("ts").tablesample(5), uow_orm.TableSample)


def test_tablesample_reads_a_sample_on_postgresql_and_is_refused_on_sqlite(
    engine: Any, backend: str
) -> None:
    from uow_orm import exc

    t = _people(engine)
    everything = t.tablesample(100, name="s")
    repeatable = t.tablesample(func.bernoulli(100), name="r", seed=1)
    with engine.connect() as conn:
        if backend == "sqlite":
            try:
                conn.execute(select(everything.c.name))
            except exc.CompileError as e:
                assert "TABLESAMPLE" in str(e) and "SQLite" in str(e)
            else:
                raise AssertionError("TABLESAMPLE ran on SQLite")
            return
        assert sorted(conn.scalars(select(everything.c.name)).all()) == ["ann", "bob"]
        assert conn.scalars(select(func.count()).select_from(repeatable)).one() == 2


# -- pools --------------------------------------------------------------------------------------
def _raw(conn: Any) -> Any:
    return conn.connection.dbapi_connection


def test_singleton_thread_pool_gives_each_thread_its_own_connection(db_url: str) -> None:
    import threading

    from uow_orm import SingletonThreadPool, create_engine, text
    from uow_orm.pool import SingletonThreadPool as from_pool_module

    assert from_pool_module is SingletonThreadPool
    engine = create_engine(db_url, poolclass=SingletonThreadPool)
    try:
        assert isinstance(engine.pool, SingletonThreadPool)
        with engine.connect() as c1:
            first = _raw(c1)
        with engine.connect() as c2:
            assert _raw(c2) is first  # kept open for this thread, handed out again
            c2.execute(text("CREATE TABLE stp (x INTEGER)"))
            c2.commit()
        other: list[Any] = []

        def work() -> None:
            with engine.begin() as c:
                other.append(_raw(c))
                c.execute(text("INSERT INTO stp VALUES (1)"))

        t = threading.Thread(target=work)
        t.start()
        t.join()
        assert other and other[0] is not first
        with engine.connect() as c3:
            assert c3.execute(text("SELECT x FROM stp")).scalars().all() == [1]
    finally:
        engine.dispose()


def test_singleton_thread_pool_closes_idle_connections_past_pool_size(db_url: str) -> None:
    import threading

    from uow_orm import SingletonThreadPool, create_engine, event, text

    engine = create_engine(db_url, poolclass=SingletonThreadPool, pool_size=1)
    closed: list[Any] = []
    event.listen(engine, "close", lambda dbapi_conn, record: closed.append(dbapi_conn))
    try:
        with engine.connect() as c:
            mine = _raw(c)

        def work() -> None:
            with engine.connect() as c:
                c.execute(text("SELECT 1"))

        t = threading.Thread(target=work)
        t.start()
        t.join()
        assert closed == [mine]  # the second thread's connection pushed the idle one out
    finally:
        engine.dispose()


def test_assertion_pool_allows_one_checkout_at_a_time(db_url: str) -> None:
    from uow_orm import AssertionPool, create_engine, text

    engine = create_engine(db_url, poolclass=AssertionPool)
    try:
        with engine.connect() as c1:
            raw = _raw(c1)
            assert c1.execute(text("SELECT 1")).scalar_one() == 1
            try:
                engine.connect()
            except AssertionError as e:
                assert "already checked out" in str(e)
            else:
                raise AssertionError("a second checkout was allowed")
        with engine.connect() as c2:  # returned: the same connection again
            assert _raw(c2) is raw
    finally:
        engine.dispose()


# -- schema DDL constructs ----------------------------------------------------------------------
def _ddl_tables(lib: Any) -> tuple[Any, Any, list[Any]]:
    md = lib.MetaData()
    parent = lib.Table("dd_parent", md, lib.Column("id", lib.Integer, primary_key=True))
    child = lib.Table(
        "dd_child",
        md,
        lib.Column("id", lib.Integer, primary_key=True),
        lib.Column("a", lib.Integer, comment="the a"),
        lib.Column("pid", lib.Integer),
        comment="it's 100% the child",
    )
    made = [
        lib.UniqueConstraint(child.c.a, name="uq_dd_a"),
        lib.CheckConstraint(child.c.a > 0, name="ck_dd_a"),
        lib.ForeignKeyConstraint(["pid"], ["dd_parent.id"], name="fk_dd_p", ondelete="CASCADE"),
    ]
    return parent, child, made


def _ddl_sql(lib: Any, schema: Any) -> list[str]:
    _parent, child, made = _ddl_tables(lib)
    for con in made:  # constraints made after CREATE TABLE, as a migration adds them
        child.append_constraint(con)
    seq = lib.Sequence("dd_seq", start=5, increment=2)
    stmts = [schema.AddConstraint(c) for c in made]
    stmts += [schema.DropConstraint(made[0]), schema.DropConstraint(made[2], cascade=True)]
    stmts += [schema.CreateSequence(seq), schema.DropSequence(seq)]
    stmts += [schema.SetTableComment(child), schema.DropTableComment(child)]
    stmts += [schema.SetColumnComment(child.c.a), schema.DropColumnComment(child.c.a)]
    return [str(s).strip() for s in stmts]


def test_schema_ddl_constructs_print_as_sqlalchemy() -> None:
    import sqlalchemy.schema

    assert _ddl_sql(uow_orm, uow_orm.schema) == _ddl_sql(real_sqlalchemy, sqlalchemy.schema)


def test_schema_ddl_constructs_run_on_postgresql_and_refuse_sqlite(
    engine: Any, backend: str
) -> None:
    from uow_orm import exc, text
    from uow_orm.schema import (
        AddConstraint,
        CreateSequence,
        DropConstraint,
        DropSequence,
        SetColumnComment,
        SetTableComment,
    )

    parent, child, made = _ddl_tables(uow_orm)
    parent.metadata.create_all(engine)
    for con in made:
        child.append_constraint(con)
    seq = uow_orm.Sequence("dd_seq", start=5, increment=2)
    stmts = [AddConstraint(made[0]), CreateSequence(seq), SetTableComment(child)]
    if backend == "sqlite":
        with engine.connect() as conn:
            for stmt in [*stmts, SetColumnComment(child.c.a), DropConstraint(made[0])]:
                try:
                    conn.execute(stmt)
                except exc.CompileError as e:
                    assert "SQLite" in str(e) and type(stmt).__name__ in str(e)
                else:
                    raise AssertionError(f"{stmt} ran on SQLite")
        return
    with engine.begin() as conn:
        for con in made:
            conn.execute(AddConstraint(con))
        conn.execute(CreateSequence(seq))
        conn.execute(SetTableComment(child))
        conn.execute(SetColumnComment(child.c.a))
        conn.execute(text("INSERT INTO dd_parent VALUES (1)"))
        conn.execute(text("INSERT INTO dd_child VALUES (1, 7, 1)"))
        assert conn.execute(select(seq.next_value())).scalar_one() == 5
        assert conn.execute(select(seq.next_value())).scalar_one() == 7
    comments = uow_orm.inspect(engine)
    assert comments.get_table_comment("dd_child")["text"] == "it's 100% the child"
    for bad in ("INSERT INTO dd_child VALUES (2, 7, 1)", "INSERT INTO dd_child VALUES (3, -1, 1)"):
        with pytest.raises(exc.IntegrityError), engine.begin() as conn:
            conn.execute(text(bad))  # the unique and the check constraint hold
    with engine.begin() as conn:
        conn.execute(DropConstraint(made[0]))
        conn.execute(DropSequence(seq))
        conn.execute(text("INSERT INTO dd_child VALUES (2, 7, 1)"))  # unique dropped
        conn.execute(text("DELETE FROM dd_parent"))  # ON DELETE CASCADE of the added key
        assert conn.execute(text("SELECT count(*) FROM dd_child")).scalar_one() == 0
    parent.metadata.drop_all(engine)


# -- PostgreSQL named types: DOMAIN, ENUM ------------------------------------------------------
def _named_type_ddl(lib: Any, pg: Any) -> list[str]:
    positive = pg.DOMAIN(
        "positive_int",
        lib.Integer,
        check="VALUE > 0",
        not_null=True,
        default="1",
        constraint_name="pos",
    )
    email = pg.DOMAIN("email", lib.Text, check=lib.text("VALUE ~ '@'"), collation="C")
    ab = pg.ENUM("a", "b", name="ab")
    stmts = [
        pg.CreateDomainType(positive),
        pg.DropDomainType(positive),
        pg.CreateDomainType(email),
        pg.CreateEnumType(ab),
        pg.DropEnumType(ab),
    ]
    return [str(s.compile(dialect=pg.dialect())).strip() for s in stmts]


def test_named_type_ddl_is_as_sqlalchemy() -> None:
    import sqlalchemy.dialects.postgresql as real_pg

    from uow_orm.dialects import postgresql as pg

    assert _named_type_ddl(uow_orm, pg) == _named_type_ddl(real_sqlalchemy, real_pg)
    assert isinstance(pg.ENUM("a", name="e1"), pg.NamedType)
    assert isinstance(pg.DOMAIN("d1", Integer), pg.NamedType)


def test_domain_column_is_created_used_and_dropped(engine: Any, backend: str) -> None:
    from uow_orm import exc, text
    from uow_orm.dialects import postgresql as pg

    positive = pg.DOMAIN("sn_positive", Integer, check="VALUE > 0", not_null=True)
    md = MetaData()
    t = Table("sn_dom", md, Column("id", Integer, primary_key=True), Column("n", positive))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(t).values(id=1, n=5))
        assert conn.execute(select(t.c.n).where(t.c.n > 1)).scalar_one() == 5
    if backend == "sqlite":  # no domains: the column is the domain's data type
        with engine.connect() as conn:
            try:
                conn.execute(pg.CreateDomainType(positive))
            except exc.CompileError as e:
                assert "CreateDomainType" in str(e)
            else:
                raise AssertionError("CREATE DOMAIN ran on SQLite")
        md.drop_all(engine)
        return
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert(t).values(id=2, n=-1))  # the domain's CHECK
    exists = "SELECT count(*) FROM pg_type WHERE typname = 'sn_positive'"
    with engine.connect() as conn:
        assert conn.execute(text(exists)).scalar_one() == 1
    md.drop_all(engine)
    with engine.begin() as conn:
        assert conn.execute(text(exists)).scalar_one() == 0
        conn.execute(pg.CreateDomainType(positive))  # and explicitly
        assert conn.execute(text(exists)).scalar_one() == 1
        conn.execute(pg.DropDomainType(positive))
        assert conn.execute(text(exists)).scalar_one() == 0
