"""The cost of one no-op ``before_insert`` listener on W1 (insert N items, one commit).

``python -m benchmarks.listener_cost [N] [REPEATS]`` runs W1 with and without the listener,
interleaved, on a SQLite file and on a throwaway PostgreSQL server, and prints the best
times and the difference per object.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from uow_orm import create_engine, event
from uow_orm.orm import Session

from . import workloads_uow as models
from ._backends import item_row
from ._pg import start_server


def _w1(engine: Any, n: int) -> None:
    with Session(engine) as session:
        for i in range(n):
            name, value, note = item_row(i)
            session.add(models.Item(name=name, value=value, note=note))
        session.commit()


def _noop(mapper: Any, connection: Any, target: Any) -> None:
    pass


def _best(make_url: Callable[[], str], n: int, repeats: int) -> dict[str, float]:
    best = {"none": float("inf"), "listener": float("inf")}
    for r in range(repeats):
        for mode in ("none", "listener") if r % 2 == 0 else ("listener", "none"):
            engine = create_engine(make_url())
            models.Base.metadata.create_all(engine)
            with engine.connect():
                pass  # one pooled connection open before the clock starts
            if mode == "listener":
                event.listen(models.Item, "before_insert", _noop)
            start = time.perf_counter()
            _w1(engine, n)
            elapsed = time.perf_counter() - start
            if mode == "listener":
                event.remove(models.Item, "before_insert", _noop)
            engine.dispose()
            best[mode] = min(best[mode], elapsed)
    return best


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 20000
    repeats = int(argv[1]) if len(argv) > 1 else 7
    tmp = tempfile.mkdtemp()
    files = iter(range(10**6))
    results = {"sqlite": _best(lambda: f"sqlite:///{tmp}/w1_{next(files)}.db", n, repeats)}
    server = start_server()
    try:
        create_database = getattr(server, "create_database", None)  # tests.pgserver's
        if create_database is not None:
            results["postgresql"] = _best(create_database, n, repeats)
        else:
            sys.stdout.write("postgresql: skipped (run from the repository root)\n")
    finally:
        server.stop()
    for backend, b in results.items():
        extra = b["listener"] - b["none"]
        sys.stdout.write(
            f"{backend}: W1 n={n} best of {repeats}: {b['none']:.4f} s without, "
            f"{b['listener']:.4f} s with one before_insert listener: "
            f"{1e6 * extra / n:+.2f} us per object ({100 * extra / b['none']:+.1f}%)\n"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
