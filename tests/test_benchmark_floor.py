"""The benchmarks' pure-Python floor (benchmarks/workloads_floor.py) does each workload's
work: every workload passes the same database checks as the ORMs, on both backends, and
the floor's identity map keeps one object per row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import BACKENDS

from benchmarks import workloads_floor as floor
from benchmarks._backends import make_backend, setup
from benchmarks._worker import _timed_run

N = 200


@pytest.fixture(params=BACKENDS)
def bench_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        return make_backend({"name": "sqlite", "tmpdir": str(tmp_path)})
    server = request.getfixturevalue("pg_server")
    return make_backend({"name": "postgresql", "admin_url": server.admin_url})


@pytest.mark.parametrize("workload", sorted(floor.WORKLOADS))
def test_floor_workload_passes_the_benchmark_checks(bench_backend: Any, workload: str) -> None:
    # _timed_run raises AssertionError when the database or the keys given are wrong
    assert _timed_run(floor, bench_backend, workload, N, workload) > 0


def test_floor_identity_map_gives_one_object_per_row(bench_backend: Any) -> None:
    db = bench_backend.fresh("imap")
    try:
        setup("W2", db, N)
        s = floor.open(db)
        try:
            first = floor.w2_load(s, N, {})
            again = s.load(floor.Item, "SELECT id, name, value, note FROM item")
            assert [id(o) for o in first] == [id(o) for o in again]
            first[0].value = -5  # a change of a loaded object is written by commit
            s.commit()
        finally:
            floor.close(s)
        conn = db.connect()
        try:
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM item WHERE value = -5")
            assert cur.fetchone()[0] == 1
            conn.commit()
        finally:
            conn.close()
    finally:
        db.drop()
