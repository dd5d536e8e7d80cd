"""Views of a benchmark run: the speed-up against SQLAlchemy, a bar chart, a comparison.

Called by ``benchmarks.__main__`` (``--plot``, ``--compare``, ``--markdown``) on the JSON
document a run writes with ``--json`` or reads back with ``--from``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

CONTENDER_ORDER = ("uow", "sqla", "floor", "raw")
LABELS = {"raw": "raw DBAPI", "floor": "pure-Python floor", "uow": "uow_orm", "sqla": "SQLAlchemy"}
COLOURS = {"uow": "#2a7ab0", "sqla": "#d9822b", "raw": "#7f7f7f", "floor": "#5aa469"}
BACKEND_TITLES = {"sqlite": "SQLite (file on disk)", "postgresql": "PostgreSQL (loopback)"}


def entry_value(entry: dict[str, Any] | None) -> float | None:
    """Best seconds (or peak bytes for M) of one result cell; None when missing or failed."""
    if not entry or "error" in entry:
        return None
    value = entry.get("best", entry.get("peak_bytes"))
    return float(value) if value is not None else None


def speedup_text(uow: dict[str, Any] | None, sqla: dict[str, Any] | None, memory: bool) -> str:
    """ "5.2x faster" (uow_orm against SQLAlchemy, from the same run), or "-" without both."""
    mine, theirs = entry_value(uow), entry_value(sqla)
    if mine is None or theirs is None or mine <= 0 or theirs <= 0:
        return "-"
    ratio = theirs / mine
    if ratio >= 1:
        return f"{ratio:.1f}x {'less memory' if memory else 'faster'}"
    return f"{1 / ratio:.1f}x {'more memory' if memory else 'slower'}"


def reports_of(document: dict[str, Any], backend: str) -> list[dict[str, Any]]:
    """The per-contender reports of one backend, in the shape ``run_backend`` returns."""
    return [
        {"contender": name, **report}
        for name, report in document.get("backends", {}).get(backend, {}).items()
    ]


def workload_keys(document: dict[str, Any]) -> list[str]:
    """Every ``workload@n`` measured in the run, in the order it was run."""
    keys: list[str] = []
    for backend in document.get("backends", {}).values():
        for report in backend.values():
            for key in report.get("results", {}):
                if key not in keys:
                    keys.append(key)
    return keys


def plot(document: dict[str, Any], path: str | Path) -> Path:
    """Draw grouped bars per workload (one panel per backend) and save them to ``path``.

    Bars are each contender's time relative to raw DBAPI in the same run (raw = 1, lower is
    better), on a log scale so 1.3x and 80x are both readable; M (memory) is left out.
    Needs matplotlib (``pip install -e '.[bench]'``); raises RuntimeError without it and
    ValueError when the run holds no timings.
    """
    backends = [b for b in document.get("backends", {}) if reports_of(document, b)]
    keys = [k for k in workload_keys(document) if not k.startswith("M@")]
    if not backends or not keys:
        raise ValueError("the run has no timed workloads to plot")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter, NullFormatter
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise RuntimeError("--plot needs matplotlib: pip install -e '.[bench]'") from error

    plt.rcParams["svg.hashsalt"] = "uow_orm-benchmarks"  # the same run gives the same file
    plt.rcParams["svg.fonttype"] = "none"  # real text: smaller, searchable, selectable
    fig, axes = plt.subplots(
        len(backends), 1, figsize=(10, 3.6 * len(backends)), squeeze=False, layout="constrained"
    )
    for ax, backend in zip(axes[:, 0], backends, strict=True):
        by_name = {r["contender"]: r for r in reports_of(document, backend) if r.get("available")}
        raw = by_name.get("raw")
        names = [c for c in CONTENDER_ORDER if c in by_name]
        width = 0.8 / max(len(names), 1)
        for i, name in enumerate(names):
            heights: list[float] = []
            for key in keys:
                value = entry_value(by_name[name]["results"].get(key))
                base = entry_value(raw["results"].get(key)) if raw else None
                heights.append(value / base if value is not None and base else math.nan)
            xs = [k + (i - (len(names) - 1) / 2) * width for k in range(len(keys))]
            bars = ax.bar(
                xs,
                heights,
                width,
                label=by_name[name].get("label", LABELS[name]),
                color=COLOURS[name],
            )
            ax.bar_label(bars, labels=[_bar_text(h) for h in heights], fontsize=7, padding=1)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}x"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(range(len(keys)), [k.split("@")[0] for k in keys])
        ax.set_ylabel("time / raw DBAPI time")
        n = keys[0].split("@")[1]
        ax.set_title(f"{BACKEND_TITLES.get(backend, backend)}, N = {int(n):,}: lower is better")
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    target = Path(path)
    fig.savefig(target, metadata={"Date": None})
    plt.close(fig)
    return target


def _bar_text(height: float) -> str:
    return "" if math.isnan(height) else f"{height:.1f}"


def compare(new: dict[str, Any], old: dict[str, Any]) -> str:
    """A table of every workload of ``new`` against the saved run ``old``, per contender.

    The change is new / old of the best time (or peak memory for M); "-" where either run
    lacks the cell. Raises ValueError when the two runs share no backend.
    """
    shared = [b for b in new.get("backends", {}) if b in old.get("backends", {})]
    if not shared:
        raise ValueError("the two runs have no backend in common")
    rows = [["backend", "workload", "contender", "saved", "now", "change"]]
    for backend in shared:
        old_reports = {r["contender"]: r for r in reports_of(old, backend)}
        for key in workload_keys(new):
            memory = key.startswith("M@")
            for report in reports_of(new, backend):
                name = report["contender"]
                now = entry_value(report.get("results", {}).get(key))
                before_report = old_reports.get(name, {})
                before = entry_value(before_report.get("results", {}).get(key))
                if now is None and before is None:
                    continue
                rows.append(
                    [
                        backend,
                        key.split("@")[0],
                        LABELS.get(name, name),
                        _amount(before, memory),
                        _amount(now, memory),
                        _change(before, now),
                    ]
                )
    return _table(rows)


def _amount(value: float | None, memory: bool) -> str:
    if value is None:
        return "-"
    return f"{value / 1e6:.2f} MB" if memory else f"{value:.4f}"


def _change(before: float | None, now: float | None) -> str:
    if before is None or now is None or before <= 0:
        return "-"
    ratio = now / before
    word = "slower" if ratio > 1 else "faster"
    if abs(ratio - 1) < 0.005:
        return "same"
    return f"{ratio:.2f}x ({(ratio - 1) * 100:+.0f}%, {word})"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(document: dict[str, Any]) -> str:
    """The docs/performance.md tables of a run: seconds, ratio to raw, speed-up column."""
    out: list[str] = []
    for backend in document.get("backends", {}):
        by_name = {r["contender"]: r for r in reports_of(document, backend) if r.get("available")}
        names = [c for c in ("raw", "floor", "uow", "sqla") if c in by_name]
        keys = [
            k for k in workload_keys(document) if any(k in by_name[c]["results"] for c in names)
        ]
        if not keys:
            continue
        n = int(keys[0].split("@")[1])
        out.append(f"### {BACKEND_TITLES.get(backend, backend).split(' (')[0]}, N = {n:,}\n")
        header = ["workload"] + [by_name[c].get("label", LABELS[c]) for c in names]
        if "uow" in names and "sqla" in names:
            header.append("uow_orm vs SQLAlchemy")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + " --- |" * len(header))
        raw = by_name.get("raw")
        for key in keys:
            memory = key.startswith("M@")
            row = [key.split("@")[0]]
            base = entry_value(raw["results"].get(key)) if raw else None
            for c in names:
                value = entry_value(by_name[c]["results"].get(key))
                text = _amount(value, memory)
                if value is not None and base and c != "raw":
                    text += f" ({value / base:.1f}x)"
                row.append(text)
            if "uow" in names and "sqla" in names:
                row.append(
                    speedup_text(
                        by_name["uow"]["results"].get(key),
                        by_name["sqla"]["results"].get(key),
                        memory,
                    )
                )
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out)
