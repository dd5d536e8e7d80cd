"""``python -m benchmarks`` output from a saved run: tables, ``--plot``, ``--compare``.

Uses a tiny hand-written run document (the shape ``--json`` writes), never a real run.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import main


def _cell(best: float) -> dict[str, Any]:
    return {"times": [best * 1.1, best], "best": best}


def _report(label: str, w1: float, w2: float, m: int) -> dict[str, Any]:
    return {
        "available": True,
        "label": label,
        "results": {"W1@100": _cell(w1), "W2@100": _cell(w2), "M@100": {"peak_bytes": m}},
    }


RUN: dict[str, Any] = {
    "command": "python -m benchmarks --n 100 --backend all",
    "n": 100,
    "repeat": 2,
    "mode": "workloads",
    "notes": [],
    "backends": {
        "sqlite": {
            "raw": _report("raw DBAPI", 0.010, 0.002, 1_000_000),
            "uow": _report("uow_orm", 0.040, 0.010, 3_000_000),
            "sqla": _report("SQLAlchemy 2.1.9", 0.200, 0.005, 6_000_000),
        },
        "postgresql": {
            "raw": _report("raw DBAPI", 0.030, 0.003, 1_000_000),
            "uow": _report("uow_orm", 0.045, 0.012, 3_000_000),
            "sqla": {"available": False, "error": "not installed", "results": {}},
        },
    },
}


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(RUN), encoding="utf-8")
    return path


def test_table_shows_speedup_against_sqlalchemy_and_no_target(
    run_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--from", str(run_file)]) == 0
    out = capsys.readouterr().out
    sqlite_table = out.split("PostgreSQL")[0]
    assert "uow_orm vs SQLAlchemy" in sqlite_table
    w1 = next(line for line in sqlite_table.splitlines() if line.startswith("W1"))
    assert "0.0400 (4.0x)" in w1 and w1.rstrip().endswith("5.0x faster")
    w2 = next(line for line in sqlite_table.splitlines() if line.startswith("W2"))
    assert w2.rstrip().endswith("2.0x slower")
    m = next(line for line in sqlite_table.splitlines() if line.startswith("M "))
    assert m.rstrip().endswith("2.0x less memory")
    assert "target" not in out
    # Without a SQLAlchemy column there is nothing to compare with.
    assert "vs SQLAlchemy" not in out.split("PostgreSQL")[1]


def test_markdown_tables_carry_the_speedup_column(
    run_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--from", str(run_file), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| workload | raw DBAPI | uow_orm | SQLAlchemy 2.1.9 | uow_orm vs SQLAlchemy |" in out
    assert "| W1 | 0.0100 | 0.0400 (4.0x) | 0.2000 (20.0x) | 5.0x faster |" in out
    assert "| M | 1.00 MB | 3.00 MB (3.0x) | 6.00 MB (6.0x) | 2.0x less memory |" in out
    assert "### PostgreSQL, N = 100" in out


def test_compare_prints_the_change_of_every_workload(
    run_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = copy.deepcopy(RUN)
    saved["backends"]["sqlite"]["uow"]["results"]["W1@100"] = _cell(0.080)
    del saved["backends"]["postgresql"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(saved), encoding="utf-8")
    assert main(["--from", str(run_file), "--compare", str(old)]) == 0
    out = capsys.readouterr().out.split("Change against")[1]
    rows = [line.split() for line in out.splitlines()[3:] if line.strip()]
    assert [r[:2] for r in rows if r[2] == "uow_orm"] == [
        ["sqlite", "W1"],
        ["sqlite", "W2"],
        ["sqlite", "M"],
    ]
    w1 = next(line for line in out.splitlines() if "W1" in line and "uow_orm" in line)
    assert "0.0800" in w1 and "0.0400" in w1 and "0.50x (-50%, faster)" in w1
    w2 = next(line for line in out.splitlines() if "W2" in line and "uow_orm" in line)
    assert w2.rstrip().endswith("same")
    assert "postgresql" not in out  # the saved run has no PostgreSQL to compare with


def test_compare_with_no_backend_in_common_fails_clearly(
    run_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"backends": {}}), encoding="utf-8")
    assert main(["--from", str(run_file), "--compare", str(old)]) == 2
    assert "no backend in common" in capsys.readouterr().err


def test_plot_draws_bars_per_workload_for_both_backends(run_file: Path, tmp_path: Path) -> None:
    chart = tmp_path / "chart.svg"
    assert main(["--from", str(run_file), "--plot", str(chart)]) == 0
    svg = chart.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "SQLite (file on disk), N = 100" in svg
    assert "PostgreSQL (loopback), N = 100" in svg
    # Bar labels are the ratio to raw: uow_orm W1 on SQLite is 4.0, SQLAlchemy 20.0.
    for label in ("4.0", "20.0", "2.5", "1.5", "raw DBAPI", "uow_orm", "SQLAlchemy 2.1.9"):
        assert f">{label}<" in svg, label
    # M is memory, not time: it has no bars.
    assert ">M<" not in svg
    again = tmp_path / "again.svg"
    main(["--from", str(run_file), "--plot", str(again)])
    assert again.read_bytes() == chart.read_bytes()  # deterministic for the docs


def test_plot_of_a_run_without_timings_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"backends": {}}), encoding="utf-8")
    assert main(["--from", str(empty), "--plot", str(tmp_path / "x.svg")]) == 2
    assert "no timed workloads" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()
