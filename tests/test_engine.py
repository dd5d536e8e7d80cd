"""Engine, Connection, Transaction, text(), Result/Row, events, errors and logging.

Every test runs on SQLite and PostgreSQL through the ``backend``
fixtures unless its name says it is about one backend.
"""

from __future__ import annotations

import logging
import sqlite3

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uow_orm import create_engine, event, exc, make_url, text

ITEMS_DDL = "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(100) UNIQUE, note TEXT)"


def create_items(engine, rows=()):
    with engine.begin() as conn:
        conn.execute(text(ITEMS_DDL))
        for row_id, name in rows:
            conn.execute(
                text("INSERT INTO items (id, name) VALUES (:id, :name)"),
                {"id": row_id, "name": name},
            )


def count_items(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM items")).scalar()


@pytest.fixture
def items(engine):
    create_items(engine, [(1, "a"), (2, "b"), (3, "c")])
    return engine


# -- URLs and create_engine ---------------------------------------------------------------
def test_postgresql_url_is_parsed_and_password_is_masked():
    eng = create_engine("postgresql+psycopg://scott:s%40cret-tiger@db.example.com:5433/shop")
    try:
        url = eng.url
        assert url.username == "scott"
        assert url.password == "s@cret-tiger"
        assert url.host == "db.example.com"
        assert url.port == 5433
        assert url.database == "shop"
        assert eng.dialect.name == "postgresql"
        for shown in (repr(eng), str(url), repr(url)):
            assert "s@cret-tiger" not in shown
            assert "s%40cret-tiger" not in shown
            assert "***" in shown
            assert "scott" in shown
            assert "db.example.com" in shown
    finally:
        eng.dispose()


def test_plain_postgresql_scheme_uses_psycopg():
    eng = create_engine("postgresql://u@localhost/db")
    try:
        assert eng.dialect.name == "postgresql"
        assert eng.url.port is None
        assert eng.url.password is None
    finally:
        eng.dispose()


def test_sqlite_urls_memory_relative_and_absolute(tmp_path, monkeypatch):
    memory = create_engine("sqlite://")
    assert memory.dialect.name == "sqlite"
    assert memory.url.database in (None, "", ":memory:")
    memory.dispose()

    monkeypatch.chdir(tmp_path)
    relative = create_engine("sqlite:///rel.db")
    assert relative.url.database == "rel.db"
    with relative.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    relative.dispose()
    assert (tmp_path / "rel.db").exists()

    absolute_path = tmp_path / "sub" / "abs.db"
    absolute_path.parent.mkdir()
    absolute = create_engine(f"sqlite:///{absolute_path}")
    assert str(absolute.url).startswith("sqlite:////")
    assert absolute.url.database == str(absolute_path)
    with absolute.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    absolute.dispose()
    assert absolute_path.exists()


def test_unknown_url_scheme_raises_argument_error_naming_it():
    with pytest.raises(exc.ArgumentError, match="mysqlx"):
        create_engine("mysqlx://user:pw@localhost/db")


@pytest.mark.parametrize("scheme", ["postgresql+nosuchdriver", "sqlite+nosuchdriver"])
def test_unknown_driver_raises_argument_error_naming_it(scheme):
    with pytest.raises(exc.ArgumentError, match="nosuchdriver"):
        create_engine(f"{scheme}://user@localhost/db")


def test_unparseable_url_raises_argument_error():
    with pytest.raises(exc.ArgumentError):
        create_engine("this is not a url")


def test_argument_error_is_an_orm_error():
    assert issubclass(exc.ArgumentError, exc.OrmError)
    assert issubclass(exc.IntegrityError, exc.DatabaseError)
    assert issubclass(exc.DatabaseError, exc.DBAPIError)
    assert issubclass(exc.PendingRollbackError, exc.InvalidRequestError)


def test_dialect_name_matches_backend(engine, backend):
    assert engine.dialect.name == backend


# -- text() and parameters ----------------------------------------------------------------
def test_text_binds_named_parameters_on_every_backend(items):
    with items.connect() as conn:
        row = conn.execute(text("SELECT id, name FROM items WHERE name = :name"), {"name": "b"})
        assert row.one() == (2, "b")
        # The same name used twice, and names that are prefixes of each other.
        rows = conn.execute(
            text("SELECT id FROM items WHERE id = :i OR id = :i + :ii ORDER BY id"),
            {"i": 1, "ii": 2},
        ).all()
        assert [r[0] for r in rows] == [1, 3]


def test_percent_signs_and_question_marks_in_text_are_literal(engine):
    with engine.connect() as conn:
        value = conn.execute(text("SELECT '100% sure?' || :suffix"), {"suffix": "!"}).scalar()
    assert value == "100% sure?!"


def test_execute_with_list_of_dicts_runs_executemany(engine, sql_log):
    create_items(engine)
    log = sql_log(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO items (id, name) VALUES (:id, :name)"),
            [{"id": i, "name": f"n{i}"} for i in range(1, 6)],
        )
    assert count_items(engine) == 5
    inserts = [s for s in log.statements if s[0].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert inserts[0][2] is True


# -- Result and Row -----------------------------------------------------------------------
def test_row_supports_index_attribute_and_mapping_access(items):
    with items.connect() as conn:
        row = conn.execute(text("SELECT id, name AS label FROM items WHERE id = 1")).one()
    assert row[0] == 1
    assert row[1] == "a"
    assert row[-1] == "a"
    assert row.id == 1
    assert row.label == "a"
    assert row._mapping["label"] == "a"
    assert dict(row._mapping) == {"id": 1, "label": "a"}
    assert tuple(row) == (1, "a")
    assert row == (1, "a")
    assert len(row) == 2
    id_, label = row
    assert (id_, label) == (1, "a")


def test_result_all_first_and_iteration(items):
    with items.connect() as conn:
        q = text("SELECT id, name FROM items ORDER BY id")
        assert [tuple(r) for r in conn.execute(q).all()] == [(1, "a"), (2, "b"), (3, "c")]
        assert [r.name for r in conn.execute(q)] == ["a", "b", "c"]
        assert conn.execute(q).first() == (1, "a")
        assert conn.execute(text("SELECT id FROM items WHERE id > 99")).first() is None


def test_result_one_and_one_or_none(items):
    with items.connect() as conn:
        assert conn.execute(text("SELECT name FROM items WHERE id = 2")).one() == ("b",)
        with pytest.raises(exc.NoResultFound):
            conn.execute(text("SELECT name FROM items WHERE id = 99")).one()
        with pytest.raises(exc.MultipleResultsFound):
            conn.execute(text("SELECT name FROM items")).one()
        assert conn.execute(text("SELECT name FROM items WHERE id = 99")).one_or_none() is None
        assert conn.execute(text("SELECT name FROM items WHERE id = 3")).one_or_none() == ("c",)
        with pytest.raises(exc.MultipleResultsFound):
            conn.execute(text("SELECT name FROM items")).one_or_none()


def test_result_scalar_and_scalar_one(items):
    with items.connect() as conn:
        assert conn.execute(text("SELECT name FROM items ORDER BY id")).scalar() == "a"
        assert conn.execute(text("SELECT name FROM items WHERE id = 99")).scalar() is None
        assert conn.execute(text("SELECT count(*) FROM items")).scalar_one() == 3
        with pytest.raises(exc.NoResultFound):
            conn.execute(text("SELECT name FROM items WHERE id = 99")).scalar_one()
        with pytest.raises(exc.MultipleResultsFound):
            conn.execute(text("SELECT name FROM items")).scalar_one()


def test_result_scalars(items):
    with items.connect() as conn:
        q = text("SELECT name, id FROM items ORDER BY id")
        assert conn.execute(q).scalars().all() == ["a", "b", "c"]
        assert list(conn.execute(q).scalars()) == ["a", "b", "c"]
        assert conn.execute(q).scalars().first() == "a"
        one = text("SELECT name FROM items WHERE id = 2")
        assert conn.execute(one).scalars().one() == "b"
        assert conn.execute(one).scalars().one_or_none() == "b"
        none = text("SELECT name FROM items WHERE id = 99")
        assert conn.execute(none).scalars().one_or_none() is None
        assert conn.execute(none).scalars().first() is None
        with pytest.raises(exc.NoResultFound):
            conn.execute(none).scalars().one()
        with pytest.raises(exc.MultipleResultsFound):
            conn.execute(q).scalars().one()


def test_result_mappings(items):
    with items.connect() as conn:
        maps = conn.execute(text("SELECT id, name FROM items ORDER BY id")).mappings().all()
    assert [m["name"] for m in maps] == ["a", "b", "c"]
    assert dict(maps[0]) == {"id": 1, "name": "a"}
    assert set(maps[1].keys()) == {"id", "name"}


def test_result_unique_removes_duplicate_rows_keeping_order(items):
    q = text(
        "SELECT name FROM items UNION ALL SELECT name FROM items UNION ALL "
        "SELECT name FROM items ORDER BY 1"
    )
    with items.connect() as conn:
        assert len(conn.execute(q).all()) == 9
        assert [r[0] for r in conn.execute(q).unique().all()] == ["a", "b", "c"]
        assert conn.execute(q).scalars().unique().all() == ["a", "b", "c"]


def test_result_partitions(items):
    with items.connect() as conn:
        parts = list(conn.execute(text("SELECT id FROM items ORDER BY id")).partitions(2))
    assert [[r[0] for r in part] for part in parts] == [[1, 2], [3]]


# -- transactions ---------------------------------------------------------------------------
def test_engine_begin_commits_on_success(engine):
    create_items(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'x')"))
    assert count_items(engine) == 1


def test_engine_begin_rolls_back_on_error_and_reraises(engine):
    create_items(engine)
    with pytest.raises(ZeroDivisionError), engine.begin() as conn:
        conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'x')"))
        1 / 0
    assert count_items(engine) == 0


def test_connection_begin_context_manager_commits_and_rolls_back(engine):
    create_items(engine)
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'kept')"))
        assert not conn.in_transaction()
        with pytest.raises(RuntimeError), conn.begin():
            conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'lost')"))
            raise RuntimeError("boom")
        assert not conn.in_transaction()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM items")).scalars().all() == ["kept"]


def test_transaction_object_commit_and_rollback(engine):
    create_items(engine)
    with engine.connect() as conn:
        trans = conn.begin()
        assert conn.in_transaction()
        conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'kept')"))
        trans.commit()
        assert not conn.in_transaction()
        trans = conn.begin()
        conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'lost')"))
        trans.rollback()
    assert count_items(engine) == 1


def test_connection_autobegins_and_commit_rollback_end_it(engine):
    create_items(engine)
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'kept')"))
        assert conn.in_transaction()
        conn.commit()
        assert not conn.in_transaction()
        conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'lost')"))
        conn.rollback()
        assert not conn.in_transaction()
    assert count_items(engine) == 1


def test_closing_a_connection_rolls_back_uncommitted_work(engine):
    create_items(engine)
    conn = engine.connect()
    conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'lost')"))
    conn.close()
    assert count_items(engine) == 0


def test_savepoint_rollback_really_removes_rows_in_the_same_transaction(engine):
    create_items(engine, [(1, "before")])
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'outer')"))
            savepoint = conn.begin_nested()
            conn.execute(text("INSERT INTO items (id, name) VALUES (3, 'inner')"))
            conn.execute(text("DELETE FROM items WHERE id = 1"))
            conn.execute(text("UPDATE items SET name = 'changed' WHERE id = 2"))
            savepoint.rollback()
            assert conn.in_transaction()
            rows = conn.execute(text("SELECT id, name FROM items ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [(1, "before"), (2, "outer")]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name FROM items ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "before"), (2, "outer")]


def test_released_savepoint_is_still_undone_by_outer_rollback(engine):
    create_items(engine)
    with engine.connect() as conn:
        outer = conn.begin()
        conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'outer')"))
        with conn.begin_nested():
            conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'released')"))
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 2
        outer.rollback()
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 0
    assert count_items(engine) == 0


def test_nested_savepoints_roll_back_only_their_own_work(engine):
    create_items(engine)
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(text("INSERT INTO items (id, name) VALUES (1, 'outer')"))
            with conn.begin_nested():
                conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'level1')"))
                with pytest.raises(ValueError), conn.begin_nested():
                    conn.execute(text("INSERT INTO items (id, name) VALUES (3, 'level2')"))
                    raise ValueError("undo level2")
                conn.execute(text("INSERT INTO items (id, name) VALUES (4, 'level1b')"))
    with engine.connect() as conn:
        names = conn.execute(text("SELECT name FROM items ORDER BY id")).scalars().all()
    assert names == ["outer", "level1", "level1b"]


def test_failed_statement_inside_savepoint_is_recoverable(engine):
    create_items(engine, [(1, "taken")])
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(text("INSERT INTO items (id, name) VALUES (2, 'ok')"))
            with pytest.raises(exc.IntegrityError), conn.begin_nested():
                conn.execute(text("INSERT INTO items (id, name) VALUES (3, 'taken')"))
            conn.execute(text("INSERT INTO items (id, name) VALUES (4, 'after')"))
    assert count_items(engine) == 3


# -- engine helpers -------------------------------------------------------------------------
def test_has_table_and_table_names(engine):
    assert engine.table_names() == []
    assert not engine.has_table("alpha")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE beta (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE alpha (id INTEGER PRIMARY KEY)"))
    assert sorted(engine.table_names()) == ["alpha", "beta"]
    assert engine.has_table("alpha")
    assert engine.has_table("beta")
    assert not engine.has_table("gamma")


def test_engine_scalar(items):
    assert items.scalar(text("SELECT count(*) FROM items")) == 3
    assert items.scalar(text("SELECT name FROM items WHERE id = :id"), {"id": 3}) == "c"
    assert items.scalar(text("SELECT name FROM items WHERE id = :id"), {"id": 99}) is None


def test_raw_connection_is_a_driver_connection_returned_to_the_pool(engine):
    raw = engine.raw_connection()
    assert engine.pool.checkedout() == 1
    cur = raw.cursor()
    cur.execute("SELECT 1 + 1")
    assert cur.fetchone()[0] == 2
    cur.close()
    raw.close()
    assert engine.pool.checkedout() == 0


def test_dispose_closes_pooled_connections_and_engine_keeps_working(engine):
    connects = []
    event.listen(engine, "connect", lambda *args: connects.append(args))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(connects) == 1
    assert engine.pool.checkedin() == 1
    engine.dispose()
    assert engine.pool.checkedin() == 0
    assert engine.pool.checkedout() == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 42")).scalar() == 42
    assert len(connects) == 2


def test_sqlite_connections_enforce_foreign_keys_pragma(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with eng.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        eng.dispose()


def test_foreign_keys_are_enforced(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text("CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id))")
        )
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO child (id, pid) VALUES (1, 99)"))
    assert engine.scalar(text("SELECT count(*) FROM child")) == 0


# -- strings are bound, never interpolated --------------------------------------------------
NASTY_STRINGS = [
    "O'Reilly",
    "''",
    "'; DROP TABLE items; --",
    "Robert'); DROP TABLE items;--",
    '"double" and `back` quotes',
    "%s %(name)s %% %d {} {0}",
    "? ?? :name :id ::text $1 $$dollar$$",
    "back\\slash \\' \\\\",
    "tab\tnew\nline\r\n",
    "unicode: åäö ✓ 漢字 Ελληνικά עברית 🎉👩‍👩‍👧",
    " leading and trailing spaces ",
    "",
    "x" * 5000,
]


def test_strings_full_of_quotes_and_sql_are_stored_verbatim(engine):
    create_items(engine)
    with engine.begin() as conn:
        for i, value in enumerate(NASTY_STRINGS):
            conn.execute(
                text("INSERT INTO items (id, name, note) VALUES (:id, :name, :note)"),
                {"id": i, "name": f"n{i}", "note": value},
            )
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT note FROM items ORDER BY id")).scalars().all()
        assert stored == NASTY_STRINGS
        for value in NASTY_STRINGS:
            found = conn.execute(text("SELECT count(*) FROM items WHERE note = :v"), {"v": value})
            assert found.scalar() == 1
    assert engine.has_table("items")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_any_text_round_trips_through_bound_parameters(engine, value):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT :v"), {"v": value}).scalar() == value


# -- error wrapping -------------------------------------------------------------------------
def test_integrity_error_is_wrapped_with_orig_statement_params_and_code(engine, backend):
    create_items(engine, [(1, "dup-name")])
    with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            conn.execute(
                text("INSERT INTO items (id, name) VALUES (:id, :name)"),
                {"id": 2, "name": "dup-name"},
            )
        err = info.value
        assert isinstance(err, exc.DatabaseError)
        assert isinstance(err, exc.DBAPIError)
        assert isinstance(err, exc.OrmError)
        assert "INSERT INTO items" in err.statement
        assert "dup-name" in repr(err.params)
        if backend == "postgresql":
            assert isinstance(err.orig, psycopg.errors.UniqueViolation)
            assert err.sqlstate == "23505"
        else:
            assert isinstance(err.orig, sqlite3.IntegrityError)
            assert err.sqlstate == "SQLITE_CONSTRAINT_UNIQUE"
        assert "dup-name" in str(err) or "items" in str(err)
        conn.rollback()
        # The connection is usable after the rollback.
        assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 1


def test_bad_sql_raises_wrapped_database_error(engine, backend):
    with engine.connect() as conn:
        with pytest.raises(exc.DatabaseError) as info:
            conn.execute(text("SELECT * FROM no_such_table"))
        assert isinstance(info.value, (exc.OperationalError, exc.ProgrammingError))
        assert info.value.orig is not None
        assert "no_such_table" in info.value.statement
        if backend == "postgresql":
            assert info.value.sqlstate == "42P01"
            conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar() == 1


# -- events ---------------------------------------------------------------------------------
def test_engine_events_connect_checkout_checkin(db_url):
    eng = create_engine(db_url)
    try:
        calls = []
        event.listen(eng, "connect", lambda *a: calls.append("connect"))
        event.listen(eng, "checkout", lambda *a: calls.append("checkout"))

        @event.listens_for(eng, "checkin")
        def on_checkin(*args):
            calls.append("checkin")

        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert calls == ["connect", "checkout", "checkin"]
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert calls == ["connect", "checkout", "checkin", "checkout", "checkin"]
    finally:
        eng.dispose()


def test_before_cursor_execute_sees_every_statement_with_parameters(items):
    seen = []

    def record(conn, statement, parameters, executemany):
        seen.append((statement, parameters, executemany))

    event.listen(items, "before_cursor_execute", record)
    with items.connect() as conn:
        conn.execute(text("SELECT name FROM items WHERE id = :id"), {"id": 2}).all()
        conn.execute(text("UPDATE items SET note = :n WHERE id = 1"), {"n": "marker-value"})
        conn.commit()
    selects = [s for s in seen if "FROM items WHERE id" in s[0]]
    assert len(selects) == 1
    statement, parameters, executemany = selects[0]
    assert statement.lstrip().upper().startswith("SELECT")
    assert ":id" not in statement  # translated to the driver's paramstyle
    assert "2" in repr(parameters)
    assert executemany is False
    updates = [s for s in seen if s[0].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    assert "marker-value" in repr(updates[0][1])


def test_sql_log_fixture_counts_statements(items, sql_log):
    log = sql_log(items)
    with items.connect() as conn:
        conn.execute(text("SELECT 1")).all()
        conn.execute(text("  select 2")).all()
    assert log.count("SELECT") == 2
    log.clear()
    assert log.count("select") == 0


# -- logging --------------------------------------------------------------------------------
@pytest.fixture
def pristine_logging():
    """Logging as in a fresh process (whatever echo=True engines earlier tests made);
    the previous configuration is restored afterwards."""
    root = logging.getLogger()

    def ours():
        names = ["uow_orm", "uow_orm.engine"]
        names += [n for n in list(logging.root.manager.loggerDict) if n.startswith("uow_orm.")]
        return [logging.getLogger(n) for n in names]

    before = {lg.name: (lg.level, list(lg.handlers), lg.propagate) for lg in ours()}
    root_level = root.level
    for lg in ours():
        lg.setLevel(logging.NOTSET)
        lg.handlers[:] = [h for h in lg.handlers if isinstance(h, logging.NullHandler)]
        lg.propagate = True
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(root_level)
    for lg in ours():
        level, handlers, propagate = before.get(lg.name, (logging.NOTSET, [], True))
        lg.setLevel(level)
        lg.handlers[:] = handlers
        lg.propagate = propagate


def _messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name.startswith("uow_orm.engine")]


def test_statements_logged_at_info_without_parameters(items, caplog, pristine_logging):
    with caplog.at_level(logging.INFO, logger="uow_orm.engine"), items.connect() as conn:
        conn.execute(text("SELECT id FROM items WHERE name = :name"), {"name": "secret-xyzzy"})
    messages = _messages(caplog)
    assert any("SELECT id FROM items WHERE name" in m for m in messages)
    assert not any("secret-xyzzy" in m for m in messages)


def test_parameters_logged_at_debug(items, caplog, pristine_logging):
    with caplog.at_level(logging.DEBUG, logger="uow_orm.engine"), items.connect() as conn:
        conn.execute(text("SELECT id FROM items WHERE name = :name"), {"name": "secret-xyzzy"})
    messages = _messages(caplog)
    assert any("SELECT id FROM items WHERE name" in m for m in messages)
    assert any("secret-xyzzy" in m for m in messages)


def test_nothing_is_logged_or_printed_by_default(items, caplog, capsys, pristine_logging):
    with items.connect() as conn:
        conn.execute(text("SELECT 'quiet-marker'")).all()
    assert not any("quiet-marker" in m for m in _messages(caplog))
    out, err = capsys.readouterr()
    assert "quiet-marker" not in out
    assert "quiet-marker" not in err


def test_echo_true_attaches_a_handler_and_logs_statements(db_url, caplog, pristine_logging):
    eng = create_engine(db_url, echo=True)
    try:
        engine_loggers = [
            logging.getLogger(name)
            for name in ["uow_orm", "uow_orm.engine", *logging.root.manager.loggerDict]
            if name == "uow_orm" or name == "uow_orm.engine" or name.startswith("uow_orm.engine.")
        ]
        assert any(lg.handlers for lg in engine_loggers)
        with eng.connect() as conn:
            conn.execute(text("SELECT 'echo-marker'")).all()
        assert any("echo-marker" in m for m in _messages(caplog))
    finally:
        eng.dispose()


def test_closed_connection_cannot_execute(engine):
    conn = engine.connect()
    conn.close()
    assert engine.pool.checkedout() == 0
    with pytest.raises(exc.ResourceClosedError):
        conn.execute(text("SELECT 1"))
    conn.close()  # closing twice is harmless


def test_echo_on_one_engine_does_not_make_other_engines_log(db_url, caplog, pristine_logging):
    loud = create_engine(db_url, echo=True)
    quiet = create_engine(db_url)
    try:
        with quiet.connect() as conn:
            conn.execute(text("SELECT 'quiet-marker'")).all()
        with loud.connect() as conn:
            conn.execute(text("SELECT 'loud-marker'")).all()
        messages = _messages(caplog)
        assert any("loud-marker" in m for m in messages)
        assert not any("quiet-marker" in m for m in messages)
    finally:
        loud.dispose()
        quiet.dispose()


def test_psycopg2_url_connects_through_psycopg_3(pg_url):
    url = make_url(pg_url).set(drivername="postgresql+psycopg2")
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
            assert type(conn.connection.dbapi_connection).__module__.startswith("psycopg")
        assert eng.dialect.name == "postgresql"
    finally:
        eng.dispose()


def test_url_create_takes_a_plain_text_password_and_connects():
    from uow_orm import URL

    url = URL.create(
        "postgresql+psycopg", username="dbuser", password="kx@jj5/g", host="pghost10", port=5432
    )
    assert url.password == "kx@jj5/g"
    assert url.render_as_string(hide_password=False) == (
        "postgresql+psycopg://dbuser:kx%40jj5%2Fg@pghost10:5432"
    )
    assert str(url) == "postgresql+psycopg://dbuser:***@pghost10:5432"
    assert (url.get_backend_name(), url.get_driver_name()) == ("postgresql", "psycopg")
    assert make_url(url.render_as_string(hide_password=False)).password == "kx@jj5/g"
    engine = create_engine(URL.create("sqlite", database=":memory:"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    with pytest.raises(exc.ArgumentError, match="port must be an integer"):
        URL.create("sqlite", port="5432")
