"""Isolation levels and execution options: ``isolation_level`` on
``create_engine``, ``Connection.execution_options`` and ``Engine.execution_options`` (a copy
sharing the pool), AUTOCOMMIT on both backends, statements that need it (``VACUUM``,
``PRAGMA journal_mode=WAL``, ``CREATE DATABASE``), and unknown options refused.
"""

from __future__ import annotations

import pytest

from uow_orm import Session, create_engine, event, exc, text


@pytest.fixture
def table(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE iso_t (id INTEGER PRIMARY KEY)"))
    return engine


def ids(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM iso_t ORDER BY id")).scalars())


def in_transaction_level(conn) -> str:
    """The level the database applies to the current transaction (PostgreSQL)."""
    return str(conn.execute(text("SHOW transaction_isolation")).scalar()).upper()


# -- AUTOCOMMIT ------------------------------------------------------------------------------
def test_autocommit_engine_keeps_a_row_inserted_then_rolled_back_and_closed(db_url, table):
    auto = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with auto.connect() as conn:
            conn.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
            assert conn.in_transaction()  # a bracket only, as in SQLAlchemy
            conn.rollback()
            conn.execute(text("INSERT INTO iso_t (id) VALUES (2)"))
        assert ids(table) == [1, 2]  # was rolled back (option ignored) in earlier versions
    finally:
        auto.dispose()


def test_autocommit_engine_sends_no_begin_commit_or_rollback(db_url, table, sql_log):
    auto = create_engine(db_url, isolation_level="autocommit")
    try:
        log = sql_log(auto)
        with auto.begin() as conn:
            conn.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
        assert log.sql == ["INSERT INTO iso_t (id) VALUES (1)"]
    finally:
        auto.dispose()


def test_connection_execution_options_autocommit_returns_the_same_connection(table):
    with table.connect() as conn:
        assert conn.execution_options(isolation_level="AUTOCOMMIT") is conn
        assert conn.get_execution_options() == {"isolation_level": "AUTOCOMMIT"}
        conn.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
        conn.rollback()
    assert ids(table) == [1]
    with table.connect() as conn:  # the option ended with the checkout
        assert conn.get_execution_options() == {}
        conn.execute(text("INSERT INTO iso_t (id) VALUES (2)"))
        conn.rollback()
    assert ids(table) == [1]


def test_connection_can_leave_autocommit_between_transactions(table):
    with table.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
        conn.commit()
        default = "SERIALIZABLE" if table.dialect.name == "sqlite" else "READ COMMITTED"
        conn.execution_options(isolation_level=default)
        conn.execute(text("INSERT INTO iso_t (id) VALUES (2)"))
        conn.rollback()
    assert ids(table) == [1]


def test_isolation_level_cannot_change_inside_a_transaction(table):
    with table.connect() as conn:
        conn.execute(text("SELECT 1"))  # autobegun
        with pytest.raises(exc.InvalidRequestError, match="isolation_level"):
            conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.rollback()
        conn.execution_options(isolation_level="AUTOCOMMIT")


def test_session_on_autocommit_engine_copy_writes_each_flush_at_once(table):
    auto = table.execution_options(isolation_level="AUTOCOMMIT")
    with Session(auto) as s:
        s.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
        s.rollback()
    assert ids(table) == [1]


# -- Engine.execution_options ------------------------------------------------------------------
def test_engine_execution_options_returns_a_copy_sharing_the_pool(table):
    auto = table.execution_options(isolation_level="AUTOCOMMIT")
    assert auto is not table and auto.pool is table.pool and auto.dialect is table.dialect
    assert auto.get_execution_options() == {"isolation_level": "AUTOCOMMIT"}
    assert table.get_execution_options() == {}
    with auto.connect() as conn:
        conn.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
    with table.connect() as conn:
        conn.execute(text("INSERT INTO iso_t (id) VALUES (2)"))
    assert ids(table) == [1]
    assert table.pool.checkedout() == 0


def test_update_execution_options_changes_the_engine_for_later_connections(table):
    before = table.connect()
    table.update_execution_options(isolation_level="AUTOCOMMIT")
    try:
        assert table.get_execution_options() == {"isolation_level": "AUTOCOMMIT"}
        with table.connect() as conn:
            conn.execute(text("INSERT INTO iso_t (id) VALUES (1)"))
            conn.rollback()
        before.execute(text("INSERT INTO iso_t (id) VALUES (2)"))  # made before: unchanged
        before.rollback()
        assert ids(table) == [1]
        with pytest.raises(exc.ArgumentError, match="'stream_results'"):
            table.update_execution_options(stream_results=True)  # SQLAlchemy's, not ours
        table.update_execution_options(app_tag=1)  # an application's own: kept, as in SQLAlchemy
        assert table.get_execution_options()["app_tag"] == 1
    finally:
        before.close()


def test_isolation_level_given_twice_differently_raises(db_url):
    with pytest.raises(exc.ArgumentError, match="disagree"):
        create_engine(
            db_url,
            isolation_level="AUTOCOMMIT",
            execution_options={"isolation_level": "SERIALIZABLE"},
        )


def test_listeners_of_an_engine_copy_see_only_its_connections(table):
    auto = table.execution_options(isolation_level="AUTOCOMMIT")
    mine: list[str] = []
    theirs: list[str] = []
    event.listen(auto, "before_cursor_execute", lambda c, s, p, m: mine.append(s))
    event.listen(table, "before_cursor_execute", lambda c, s, p, m: theirs.append(s))
    with auto.connect() as conn:
        conn.execute(text("SELECT 1"))
    with table.connect() as conn:
        conn.execute(text("SELECT 2"))
    assert mine == ["SELECT 1"]
    assert "SELECT 1" in theirs and "SELECT 2" in theirs


def test_pool_listener_added_to_an_engine_copy_follows_the_shared_pool(table):
    auto = table.execution_options(isolation_level="AUTOCOMMIT")
    checkouts: list[int] = []

    def on_checkout(*args: object) -> None:
        checkouts.append(1)

    event.listen(auto, "checkout", on_checkout)
    with table.connect():
        pass
    assert checkouts == [1]
    assert event.contains(auto, "checkout", on_checkout)
    assert event.contains(table, "checkout", on_checkout)
    event.remove(auto, "checkout", on_checkout)
    with table.connect():
        pass
    assert checkouts == [1]


# -- refusing what has no effect ---------------------------------------------------------------
def test_sqlalchemy_execution_option_uow_orm_lacks_raises_argument_error_naming_it(db_url, table):
    with pytest.raises(exc.ArgumentError, match="'stream_results'"):
        table.execution_options(stream_results=True)
    with table.connect() as conn, pytest.raises(exc.ArgumentError, match="'max_row_buffer'"):
        conn.execution_options(max_row_buffer=10)
    with pytest.raises(exc.ArgumentError, match="'logging_token'"):
        create_engine(db_url, execution_options={"logging_token": "x"})


def test_misspelt_execution_option_raises_argument_error_naming_the_real_one(table):
    with pytest.raises(exc.ArgumentError, match=r"'isolaton_level'.*'isolation_level'"):
        table.execution_options(isolaton_level="AUTOCOMMIT")
    with pytest.raises(exc.ArgumentError, match="'schema_translate_maps'"):
        table.execution_options(schema_translate_maps={None: "x"})


def test_application_execution_option_reaches_cursor_events_context(table):
    """An application's own option is kept, as SQLAlchemy keeps it: the connection's
    ``get_execution_options()`` and a cursor listener's ``context.execution_options``
    read it (SQLAlchemy's sharding example renames tables with one)."""
    tagged = table.execution_options(table_prefix="north")
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT"):
            seen.append((context.execution_options.get("table_prefix"), context.statement))

    event.listen(tagged, "before_cursor_execute", before)
    with tagged.connect() as conn:
        assert conn.get_execution_options()["table_prefix"] == "north"
        conn.execute(text("SELECT 1")).all()
        conn.execution_options(table_prefix="south").execute(text("SELECT 2")).all()
    with table.connect() as conn:
        conn.execute(text("SELECT 3")).all()  # the base engine: no listener, no option
    assert seen == [("north", "SELECT 1"), ("south", "SELECT 2")]


@pytest.mark.parametrize("bad", ["BOGUS", "READ_SOMETHING", 3])
def test_invalid_isolation_level_raises_argument_error_listing_valid_ones(db_url, bad):
    with pytest.raises(exc.ArgumentError, match=r"valid isolation levels.*AUTOCOMMIT"):
        create_engine(db_url, isolation_level=bad)


def test_sqlite_begin_option_on_postgresql_is_refused(pg_url):
    with pytest.raises(exc.ArgumentError, match="sqlite_begin"):
        create_engine(pg_url, execution_options={"sqlite_begin": "IMMEDIATE"})


# -- levels on PostgreSQL ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE", "read_uncommitted"]
)
def test_postgresql_engine_isolation_level_applies_to_every_transaction(pg_url, level):
    eng = create_engine(pg_url, isolation_level=level)
    try:
        with eng.connect() as conn:
            assert in_transaction_level(conn) == level.upper().replace("_", " ")
            conn.commit()
            assert in_transaction_level(conn) == level.upper().replace("_", " ")
            assert conn.get_isolation_level() == level.upper().replace("_", " ")
    finally:
        eng.dispose()


def test_postgresql_connection_isolation_level_overrides_the_engine_for_its_checkout(pg_url):
    eng = create_engine(pg_url, isolation_level="REPEATABLE READ")
    try:
        with eng.connect() as conn:
            conn.execution_options(isolation_level="SERIALIZABLE")
            assert in_transaction_level(conn) == "SERIALIZABLE"
        with eng.connect() as conn:
            assert in_transaction_level(conn) == "REPEATABLE READ"
        with eng.execution_options(isolation_level="READ COMMITTED").connect() as conn:
            assert in_transaction_level(conn) == "READ COMMITTED"
    finally:
        eng.dispose()


def test_postgresql_isolation_level_and_an_options_connect_arg_both_apply(pg_url):
    eng = create_engine(
        pg_url,
        isolation_level="SERIALIZABLE",
        connect_args={"options": "-c statement_timeout=4321"},
    )
    try:
        with eng.connect() as conn:
            assert in_transaction_level(conn) == "SERIALIZABLE"
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "4321ms"
    finally:
        eng.dispose()


def test_postgresql_create_database_runs_through_an_autocommit_connection(pg_url):
    eng = create_engine(pg_url)
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.rollback()
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("CREATE DATABASE uow_iso_created"))
            found = conn.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = 'uow_iso_created'")
            ).scalar()
            conn.execute(text("DROP DATABASE uow_iso_created"))
        assert found == 1
        with eng.connect() as conn, pytest.raises(exc.DBAPIError, match="AUTOCOMMIT"):
            conn.execute(text("CREATE DATABASE uow_iso_refused"))
    finally:
        eng.dispose()


def test_session_connection_execution_options_set_the_transactions_level(pg_url):
    eng = create_engine(pg_url)
    try:
        with Session(eng) as s:
            conn = s.connection(execution_options={"isolation_level": "SERIALIZABLE"})
            assert in_transaction_level(conn) == "SERIALIZABLE"
            with pytest.raises(exc.InvalidRequestError, match="execution_options"):
                s.connection(execution_options={"isolation_level": "READ COMMITTED"})
            s.commit()
            assert in_transaction_level(s.connection()) == "READ COMMITTED"
    finally:
        eng.dispose()


# -- SQLite ------------------------------------------------------------------------------------
def test_sqlite_journal_mode_wal_and_vacuum_run_through_an_autocommit_connection(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with eng.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            assert conn.execute(text("PRAGMA journal_mode=WAL")).scalar() == "wal"
            conn.execute(text("CREATE TABLE v (x INTEGER)"))
            conn.execute(text("VACUUM"))
        with eng.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            with pytest.raises(exc.OperationalError, match="AUTOCOMMIT"):
                conn.execute(text("VACUUM"))  # inside the autobegun transaction
    finally:
        eng.dispose()


def test_sqlite_read_uncommitted_sets_the_pragma_for_the_checkout_only(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'ru.db'}", pool_size=1)
    try:
        with eng.connect() as conn:
            conn.execution_options(isolation_level="READ UNCOMMITTED")
            assert conn.execute(text("PRAGMA read_uncommitted")).scalar() == 1
            assert conn.get_isolation_level() == "READ UNCOMMITTED"
        with eng.connect() as conn:  # the same pooled connection, reset
            assert conn.execute(text("PRAGMA read_uncommitted")).scalar() == 0
            assert conn.get_isolation_level() == "SERIALIZABLE"
    finally:
        eng.dispose()


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ"])
def test_sqlite_refuses_levels_it_does_not_have(tmp_path, level):
    with pytest.raises(exc.ArgumentError, match="'sqlite'"):
        create_engine(f"sqlite:///{tmp_path / 'x.db'}", isolation_level=level)


def test_the_same_option_spelt_twice_alike_is_accepted(tmp_path):
    eng = create_engine(
        f"sqlite:///{tmp_path / 'twice.db'}",
        isolation_level="autocommit",
        execution_options={"isolation_level": "AUTOCOMMIT"},
        connect_args={"isolation_level": "IMMEDIATE"},
    )
    eng.update_execution_options(sqlite_begin="immediate")
    assert eng.get_execution_options() == {
        "isolation_level": "AUTOCOMMIT",
        "sqlite_begin": "IMMEDIATE",
    }
    eng.dispose()
