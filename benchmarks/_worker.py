"""One contender on one backend, in a process of its own: ``python -m benchmarks._worker``.

Started only by ``benchmarks.__main__``, which talks to it in JSON lines over stdin/stdout: the
first request names the contender and backend (``{"contender", "backend", "traceback",
"profile"}``, answered with availability, label and version, and the profile text when asked);
each later one runs a single repeat (``{"workload", "n", "label"}``, answered with ``time`` in
seconds, ``peak_bytes``/``held_bytes`` for M, or ``error``). The orchestrator interleaves the
contenders' repeats, so a change in machine load hits all of them alike.
"""

from __future__ import annotations

import cProfile
import gc
import importlib
import io
import json
import os
import pstats
import sys
import sysconfig
import time
import traceback
import tracemalloc
from typing import Any

from ._backends import make_backend, setup, verify

MODULES = {
    "raw": "workloads_raw",
    "uow": "workloads_uow",
    "sqla": "workloads_sqla",
    "floor": "workloads_floor",
}


def _timed_run(contender: Any, backend: Any, workload: str, n: int, label: str) -> float:
    """One repeat on a fresh database: set up (untimed), time the workload, check it."""
    db = backend.fresh(label)
    try:
        inputs = setup(workload, db, n)
        handle = contender.open(db)
        try:
            fn = contender.WORKLOADS[workload]
            gc.collect()
            start = time.perf_counter()
            result = fn(handle, n, inputs)
            elapsed = time.perf_counter() - start
        finally:
            contender.close(handle)
        verify(workload, db, n, inputs, result)
        check = getattr(contender, "check", None)
        if check is not None:
            check(workload, db, result)
        del result
    finally:
        db.drop()
    return elapsed


def _memory_run(contender: Any, backend: Any, n: int) -> dict[str, int]:
    """Peak traced Python memory while loading all N items (W2), after one warm-up load."""
    db = backend.fresh("m")
    try:
        inputs = setup("M", db, n)
        handle = contender.open(db)
        try:
            load = contender.WORKLOADS["W2"]
            warm = load(handle, n, inputs)  # caches and lazy set-up are not the point here
            del warm
            gc.collect()
            tracemalloc.start()
            result = load(handle, n, inputs)
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            contender.close(handle)
        verify("M", db, n, inputs, result)
        del result
    finally:
        db.drop()
    return {"peak_bytes": peak, "held_bytes": current}


def _shorten_paths(stats: pstats.Stats) -> None:
    """Like ``strip_dirs()``, but keep the package path (``uow_orm/orm/session.py``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    prefixes = sorted(
        {
            root,
            sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"],
            sysconfig.get_paths()["stdlib"],
        },
        key=len,
        reverse=True,
    )

    def short(func: tuple[str, int, str]) -> tuple[str, int, str]:
        for prefix in prefixes:
            if func[0].startswith(prefix + os.sep):
                return (func[0][len(prefix) + 1 :], *func[1:])  # type: ignore[return-value]
        return func

    table = stats.stats  # type: ignore[attr-defined]
    stats.stats = {  # type: ignore[attr-defined]
        short(func): (cc, nc, tt, ct, {short(c): v for c, v in callers.items()})
        for func, (cc, nc, tt, ct, callers) in table.items()
    }
    stats.fcn_list = None  # type: ignore[attr-defined]


def _profile(contender: Any, backend: Any, workload: str, n: int, top: int, out: str | None) -> str:
    _timed_run(contender, backend, workload, n, f"{workload}_warm")  # warm caches first
    db = backend.fresh(f"{workload}_prof")
    try:
        inputs = setup(workload, db, n)
        handle = contender.open(db)
        try:
            fn = contender.WORKLOADS[workload]
            profiler = cProfile.Profile()
            gc.collect()
            profiler.enable()
            result = fn(handle, n, inputs)
            profiler.disable()
        finally:
            contender.close(handle)
        verify(workload, db, n, inputs, result)
    finally:
        db.drop()
    if out:
        profiler.dump_stats(out)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    _shorten_paths(stats)
    for order in ("cumulative", "tottime"):
        title = f"{contender.LABEL} {workload} n={n} on {backend.name}: top {top} by {order}"
        text.write(f"\n=== {title} ===\n")
        stats.sort_stats(order).print_stats(top)
    return text.getvalue()


def _load(name: str) -> Any:
    return importlib.import_module(f"benchmarks.{MODULES[name]}")


def _handle(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Answer one request of the orchestrator (see the module docstring)."""
    if "contender" in request:
        name = request["contender"]
        try:
            contender = _load(name)
        except Exception as err:
            return {"available": False, "error": f"{type(err).__name__}: {err}"}
        state["contender"] = contender
        state["backend"] = make_backend(request["backend"])
        state["traceback"] = request.get("traceback", False)
        reply = {"available": True, "label": contender.LABEL, "version": contender.version()}
        if request.get("profile"):
            prof = request["profile"]
            reply["profile_text"] = _profile(
                contender,
                state["backend"],
                prof["workload"],
                prof["n"],
                prof["top"],
                prof.get("out"),
            )
        return reply
    contender, backend = state["contender"], state["backend"]
    workload, n = request["workload"], request["n"]
    try:
        if workload == "M":
            return _memory_run(contender, backend, n)
        return {"time": _timed_run(contender, backend, workload, n, request["label"])}
    except Exception as err:
        if state["traceback"]:
            traceback.print_exc()
        return {"error": f"{type(err).__name__}: {err}"}


def main() -> None:
    # The protocol owns the real stdout; anything else printed lands on stderr.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    state: dict[str, Any] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = _handle(json.loads(line), state)
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
