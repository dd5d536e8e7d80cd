"""The throwaway PostgreSQL server fixture itself (psycopg only, no library code)."""

from __future__ import annotations

import psycopg
import pytest


def test_server_accepts_psycopg_connections_on_loopback(pg_server, pg_url):
    assert pg_server.host == "127.0.0.1"
    assert pg_server.user == "postgres"
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT current_user, inet_server_addr()::text, current_setting('fsync'),"
            " current_setting('max_prepared_transactions')::int"
        ).fetchone()
    assert row is not None
    user, addr, fsync, max_prepared = row
    assert user == "postgres"
    assert addr.startswith("127.0.0.1")
    assert fsync == "off"
    assert max_prepared >= 10


def test_each_database_is_fresh_and_isolated(pg_server):
    first = pg_server.create_database()
    second = pg_server.create_database()
    assert first != second
    try:
        with psycopg.connect(first, autocommit=True) as conn:
            conn.execute("CREATE TABLE only_here (id int)")
        with psycopg.connect(second) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (0,)
    finally:
        # A connection still open must not stop the drop.
        lingering = psycopg.connect(first)
        pg_server.drop_database(first)
        pg_server.drop_database(second)
        lingering.close()
    with psycopg.connect(pg_server.admin_url) as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert first.rsplit("/", 1)[-1] not in names
    assert second.rsplit("/", 1)[-1] not in names


def test_restart_breaks_open_connections_and_server_comes_back(pg_server, pg_url):
    conn = psycopg.connect(pg_url, autocommit=True)
    backend_pid = conn.info.backend_pid
    pg_server.restart()
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")
    conn.close()
    with psycopg.connect(pg_url) as fresh:
        assert fresh.execute("SELECT 1").fetchone() == (1,)
        assert fresh.info.backend_pid != backend_pid
