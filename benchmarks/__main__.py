"""``python -m benchmarks``: every workload for every contender, side by side with raw DBAPI.

Starts one worker process per (backend, contender) (``benchmarks._worker``), collects their
timings and prints a table of the best of ``--repeat`` runs in seconds with the ratio to raw
DBAPI and uow_orm's speed-up against SQLAlchemy; ``--json FILE`` writes everything measured,
``--from FILE`` reads such a run back instead of measuring, ``--plot``, ``--compare`` and
``--markdown`` show a run as a chart, a change against a saved run, or the docs tables
(``benchmarks._report``). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import select
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import _report

ROOT = Path(__file__).resolve().parent.parent

WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6a", "W6b", "W7", "W8", "W9", "M"]
DESCRIPTIONS = {
    "W1": "create N objects (server-generated keys), add, one commit",
    "W2": "load all N rows as objects",
    "W3": "N/4 get() by key in a fresh session",
    "W4": "load all, change one column on each, commit",
    "W5": "load all, delete all, commit",
    "W6a": "N/10 parents with 5 children each via the relationship, one commit",
    "W6b": "load all parents with children (selectinload), touch every child",
    "W7": "2,000 x (begin_nested, add one object, release), then commit",
    "W8": "N/4 x select(Item).where(Item.id == k, Item.value >= 0) .one()",
    "W9": "N/10 parents, each parent.children lazily loaded (one SELECT each)",
    "M": "peak Python memory (tracemalloc) while loading all N rows",
}
CONTENDERS = {
    "raw": "raw DBAPI",
    "uow": "uow_orm",
    "sqla": "SQLAlchemy",
    "floor": "pure-Python floor",
}
#: what runs when --contenders is not given (the floor is asked for by name)
DEFAULT_CONTENDERS = ["raw", "uow", "sqla"]
SCALING_SIZES = (2000, 20000, 200000)


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="uow_orm side by side with raw DBAPI and SQLAlchemy's ORM.",
    )
    _add_run_arguments(parser)
    _add_output_arguments(parser)
    args = parser.parse_args(argv)
    _check_args(parser, args)
    return args


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """What to measure: size, backends, workloads, contenders, repeats, scaling, profile."""
    parser.add_argument("--n", type=int, default=20000, help="rows per workload (default 20000)")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql", "all"],
        default="sqlite",
        help="database to run on (default sqlite)",
    )
    parser.add_argument(
        "--only",
        type=_csv,
        default=None,
        metavar="W1,W2",
        help=f"workloads to run (default all: {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--contenders",
        type=_csv,
        default=None,
        metavar="raw,uow,sqla",
        help="contenders to run (default raw,uow,sqla; floor, the least Python an "
        "identity-mapped ORM can run, only when named)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repeats, best is kept (default 3)")
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="W1 and W2 at N = 2,000 / 20,000 / 200,000, in microseconds per row",
    )
    parser.add_argument(
        "--scaling-sizes",
        type=_csv,
        default=None,
        metavar="2000,20000,200000",
        help="the sizes --scaling uses",
    )
    parser.add_argument(
        "--profile",
        metavar="W",
        default=None,
        help="run one workload under cProfile (uow_orm unless --contenders names another) "
        "and print the top functions by cumulative and own time",
    )
    parser.add_argument("--profile-top", type=int, default=30, help="rows per profile listing")
    parser.add_argument("--profile-out", default=None, help="also write the pstats file here")


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Where results go (JSON, plot, comparison, Markdown) and how the run is set up."""
    parser.add_argument("--json", metavar="FILE", default=None, help="write all results as JSON")
    parser.add_argument(
        "--from",
        dest="from_json",
        metavar="RUN.json",
        default=None,
        help="read a run saved with --json instead of measuring (for --plot, --compare, "
        "--markdown and the tables)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE.svg",
        default=None,
        help="draw bars per workload (time relative to raw DBAPI, both backends) with "
        "matplotlib (the bench extra)",
    )
    parser.add_argument(
        "--compare",
        metavar="OLD.json",
        default=None,
        help="print the change of every workload against a run saved with --json",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="also print the tables in the Markdown of docs/performance.md",
    )
    parser.add_argument(
        "--pg-url",
        default=None,
        help="an existing PostgreSQL server to use (a URL to a database there, e.g. "
        "postgresql://postgres@127.0.0.1:5432/postgres; needs CREATEDB) instead of "
        "starting a throwaway one",
    )
    parser.add_argument("--tmpdir", default=None, help="where the SQLite files go (on disk)")
    parser.add_argument(
        "--timeout", type=float, default=1200, help="seconds one repeat of one workload may take"
    )
    parser.add_argument(
        "--traceback", action="store_true", help="print tracebacks of failing workloads"
    )


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Check workload and contender names; fill in the derived attributes."""
    args.workloads = args.only or list(WORKLOADS)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if args.profile and args.profile not in WORKLOADS[:-1]:
        unknown.append(args.profile)
    if unknown:
        parser.error(
            f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}"
        )
    args.contender_names = args.contenders or list(DEFAULT_CONTENDERS)
    bad = [c for c in args.contender_names if c not in CONTENDERS]
    if bad:
        parser.error(f"unknown contender(s) {', '.join(bad)}; choose from {', '.join(CONTENDERS)}")
    args.backends = ["sqlite", "postgresql"] if args.backend == "all" else [args.backend]
    if args.scaling_sizes:
        args.scaling_sizes = [int(s) for s in args.scaling_sizes]
    else:
        args.scaling_sizes = list(SCALING_SIZES)


class Worker:
    """One contender's process (``benchmarks._worker``), driven one repeat at a time."""

    def __init__(self, init: dict[str, Any], timeout: float) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.info = self.request(init)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        proc = self.proc
        if proc is None:
            return {"error": "worker process is gone"}
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            return self._gone()
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
        if not ready:
            self.close()
            return {"error": f"no answer within {self.timeout:.0f} s (--timeout); stopped"}
        line = proc.stdout.readline()
        if not line:
            return self._gone()
        return dict(json.loads(line))

    def _gone(self) -> dict[str, Any]:
        assert self.proc is not None
        code = self.proc.wait()
        self.proc = None
        return {"error": f"worker process died (exit code {code})"}

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        try:
            proc.stdin.close()
            proc.wait(timeout=60)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


def run_backend(
    backend_spec: dict[str, Any],
    contenders: list[str],
    jobs: list[dict[str, Any]],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Every job for every contender on one backend; repeats interleaved across contenders."""
    tag = backend_spec["name"]
    workers: dict[str, Worker] = {}
    reports: dict[str, dict[str, Any]] = {}
    try:
        for name in contenders:
            init = {"contender": name, "backend": backend_spec, "traceback": args.traceback}
            worker = Worker(init, args.timeout)
            reports[name] = {"contender": name, "results": {}, **worker.info}
            reports[name].setdefault("available", False)
            if reports[name]["available"]:
                workers[name] = worker
            else:
                worker.close()
                print(
                    f"[{tag}] {CONTENDERS[name]} not available: {worker.info.get('error')}",
                    file=sys.stderr,
                )
        names = list(workers)
        for job in jobs:
            workload, n = job["workload"], job["n"]
            entries: dict[str, dict[str, Any]] = {name: {"times": []} for name in names}
            for r in range(1 if workload == "M" else args.repeat):
                # Rotate who goes first so that none always follows the same neighbour.
                order = names[r % len(names) :] + names[: r % len(names)] if names else []
                for name in order:
                    if "error" in entries[name]:
                        continue
                    reply = workers[name].request(
                        {"workload": workload, "n": n, "label": f"{workload}_{r}"}
                    )
                    if "error" in reply or workload == "M":
                        entries[name] = reply
                    else:
                        entries[name]["times"].append(reply["time"])
            shown = []
            for name in names:
                entry = entries[name]
                if entry.get("times"):
                    entry["best"] = min(entry["times"])
                    shown.append(f"{reports[name]['label']} {entry['best']:.4f} s")
                elif "peak_bytes" in entry:
                    shown.append(f"{reports[name]['label']} {entry['peak_bytes'] / 1e6:.2f} MB")
                else:
                    shown.append(f"{reports[name]['label']} FAILED ({entry.get('error')})")
                reports[name]["results"][f"{workload}@{n}"] = entry
            print(f"[{tag}] {workload} n={n}: " + " | ".join(shown), file=sys.stderr)
    finally:
        for worker in workers.values():
            worker.close()
    return [reports[name] for name in contenders]


# --- output ------------------------------------------------------------------------------------


def _fmt_seconds(value: float) -> str:
    return f"{value:.4f}" if value < 10 else f"{value:.2f}"


def _cell(entry: dict[str, Any] | None, raw: dict[str, Any] | None, memory: bool) -> str:
    if entry is None:
        return "-"
    if "error" in entry:
        return "error"
    value = entry["peak_bytes"] if memory else entry["best"]
    text = f"{value / 1e6:.2f} MB" if memory else _fmt_seconds(value)
    if raw and "error" not in raw:
        base = raw["peak_bytes"] if memory else raw["best"]
        if base:
            text += f" ({value / base:.1f}x)"
    return text


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_backend(backend: str, reports: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The main table for one backend, with footnotes for skipped or failing cells."""
    usable = [r for r in reports if r.get("available")]
    raw = next((r for r in usable if r["contender"] == "raw"), None)
    uow = next((r for r in usable if r["contender"] == "uow"), None)
    sqla = next((r for r in usable if r["contender"] == "sqla"), None)
    header = ["workload"] + [r.get("label", CONTENDERS[r["contender"]]) for r in usable]
    if uow and sqla:
        header.append("uow_orm vs SQLAlchemy")
    rows = [header]
    notes: list[str] = []
    for workload in args.workloads:
        key = f"{workload}@{args.n}"
        raw_entry = raw["results"].get(key) if raw else None
        row = [workload]
        for report in usable:
            entry = report["results"].get(key)
            row.append(_cell(entry, raw_entry, workload == "M"))
            if entry and "error" in entry:
                notes.append(f"{report.get('label')} {workload}: {entry['error']}")
        if uow and sqla:
            row.append(
                _report.speedup_text(
                    uow["results"].get(key), sqla["results"].get(key), workload == "M"
                )
            )
        rows.append(row)
    where = (
        "SQLite file on disk, default journal"
        if backend == "sqlite"
        else ("PostgreSQL on loopback")
    )
    title = (
        f"{where}; N = {args.n}; best of {args.repeat}; seconds (ratio to raw DBAPI); M = peak MB"
    )
    out = [title, _table(rows)]
    for report in reports:
        if not report.get("available"):
            notes.append(
                f"{CONTENDERS[report['contender']]} skipped: {report.get('error', 'unavailable')}"
            )
        elif report.get("error"):
            notes.append(f"{report.get('label')}: {report['error']}")
    out.extend(f"  note: {note}" for note in notes)
    return "\n".join(out)


def render_scaling(backend: str, reports: list[dict[str, Any]], args: argparse.Namespace) -> str:
    usable = [r for r in reports if r.get("available")]
    header = ["workload", "N"] + [r.get("label", r["contender"]) for r in usable]
    rows = [header]
    for workload in ("W1", "W2"):
        for n in args.scaling_sizes:
            row = [workload, f"{n:,}"]
            for report in usable:
                entry = report["results"].get(f"{workload}@{n}")
                if entry is None:
                    row.append("-")
                elif "error" in entry:
                    row.append("error")
                else:
                    row.append(f"{entry['best'] / n * 1e6:.2f}")
            rows.append(row)
    title = f"Scaling on {backend}: microseconds per row, best of {args.repeat}"
    return title + "\n" + _table(rows)


def describe_workloads(workloads: list[str]) -> str:
    return "\n".join(f"  {w:<4} {DESCRIPTIONS[w]}" for w in workloads)


# --- orchestration -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            document = json.load(f)
        return show(document, args)
    notes: list[str] = []
    contenders = _contenders(args, notes)

    load_before = os.getloadavg()[0]
    tmpdir = tempfile.mkdtemp(prefix="uow-bench-", dir=args.tmpdir)
    server: Any = None
    all_reports: dict[str, list[dict[str, Any]]] = {}
    try:
        backend_specs: dict[str, dict[str, Any]] = {}
        for backend in args.backends:
            if backend == "sqlite":
                backend_specs[backend] = {"name": "sqlite", "tmpdir": tmpdir}
            else:
                admin_url = args.pg_url
                if admin_url is None:
                    from ._pg import start_server

                    print("starting a throwaway PostgreSQL server ...", file=sys.stderr)
                    server = start_server()
                    admin_url = server.admin_url
                backend_specs[backend] = {"name": "postgresql", "admin_url": admin_url}

        if args.profile:
            return _run_profile(args, contenders[0], backend_specs[args.backends[0]])

        if args.scaling:
            jobs = [{"workload": w, "n": n} for w in ("W1", "W2") for n in args.scaling_sizes]
        else:
            jobs = [{"workload": w, "n": args.n} for w in args.workloads]

        for backend in args.backends:
            all_reports[backend] = run_backend(backend_specs[backend], contenders, jobs, args)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)

    document = _document(args, argv, notes, load_before, all_reports)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(document, f, indent=2)
    status = show(document, args)
    if args.json:
        print(f"\nJSON written to {args.json}")
    return status


def _contenders(args: argparse.Namespace, notes: list[str]) -> list[str]:
    """The contenders this run measures (a profile runs one; SQLAlchemy only if installed)."""
    contenders = list(args.contender_names)
    if args.profile and not args.contenders:
        contenders = ["uow"]
    if "sqla" in contenders and importlib.util.find_spec("sqlalchemy") is None:
        contenders.remove("sqla")
        notes.append("SQLAlchemy is not installed (pip install '.[bench]'): its column is skipped")
    if args.profile:
        contenders = contenders[:1]
    return contenders


def _run_profile(args: argparse.Namespace, contender: str, backend: dict[str, Any]) -> int:
    """Run ``--profile``'s workload under cProfile in a worker and print the listing."""
    init = {
        "contender": contender,
        "backend": backend,
        "traceback": True,
        "profile": {
            "workload": args.profile,
            "n": args.n,
            "top": args.profile_top,
            "out": os.path.abspath(args.profile_out) if args.profile_out else None,
        },
    }
    worker = Worker(init, args.timeout)
    worker.close()
    if "profile_text" not in worker.info:
        print(f"profile failed: {worker.info.get('error')}", file=sys.stderr)
        return 1
    print(worker.info["profile_text"])
    return 0


def _document(
    args: argparse.Namespace,
    argv: list[str] | None,
    notes: list[str],
    load_before: float,
    all_reports: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The run as the JSON document ``--json`` writes (and ``--from`` reads back)."""
    load_after = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    if max(load_before, load_after) > cpus:
        notes.append(
            f"the machine was busy (1-minute load average {load_before:.1f} before, "
            f"{load_after:.1f} after, {cpus} CPUs): timings are noisy, prefer a quieter re-run"
        )
    return {
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(load_after, 2),
        },
        "n": args.n,
        "repeat": args.repeat,
        "mode": "scaling" if args.scaling else "workloads",
        "notes": notes,
        "backends": {
            backend: {
                r["contender"]: {k: v for k, v in r.items() if k != "contender"} for r in reports
            }
            for backend, reports in all_reports.items()
        },
    }


def show(document: dict[str, Any], args: argparse.Namespace) -> int:
    """Print the tables of a run (measured now or read back), then --markdown/--plot/--compare."""
    if args.from_json:
        args.n, args.repeat = document.get("n", args.n), document.get("repeat", args.repeat)
        args.scaling = document.get("mode") == "scaling"
        measured = {k.split("@")[0] for k in _report.workload_keys(document)}
        args.workloads = [w for w in WORKLOADS if w in measured]
    print()
    for backend in document.get("backends", {}):
        reports = _report.reports_of(document, backend)
        if args.scaling:
            print(render_scaling(backend, reports, args))
        else:
            print(render_backend(backend, reports, args))
        print()
    for note in document.get("notes", []):
        print(f"note: {note}")
    if not args.scaling:
        print("workloads:\n" + describe_workloads(args.workloads))
    if args.markdown:
        print("\n" + _report.markdown(document))
    if args.compare:
        with open(args.compare) as f:
            old = json.load(f)
        try:
            table = _report.compare(document, old)
        except ValueError as error:
            print(f"--compare: {error}", file=sys.stderr)
            return 2
        print(f"\nChange against {args.compare} (now / saved; below 1 is faster):")
        print(table)
    if args.plot:
        try:
            path = _report.plot(document, args.plot)
        except (RuntimeError, ValueError) as error:
            print(f"--plot: {error}", file=sys.stderr)
            return 2
        print(f"\nchart written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
