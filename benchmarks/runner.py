"""Experiment-runner benchmark: bookkeeping overhead per task, and the quickstart on each executor.

    python benchmarks/runner.py            # overhead + quickstart (quick profile) on local, process and Ray
    python benchmarks/runner.py --quick    # overhead + quickstart on the local executor only

1. Overhead: N stand-in tasks that do nothing but return one row; the time per task is what the runner adds
   (SQLite state changes in WAL mode, one Parquet file written to a temporary name and renamed).
2. The quickstart recipe's quick profile end to end on each executor (fresh run directory each), and a
   rerun into a finished directory (every task skipped after checking its output files).
The machine may be shared: compare numbers from one run only.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def noop_task(inputs, context, run_dir):
    """Stand-in task: one measures row."""
    return {"tables": {"measures": [{"model_id": context["task_id"], "epoch": -1, "measure": "noop",
                                     "value": float(inputs["i"]), "stderr": 0.0, "landscape": "", "settings": "{}"}]}}


def overhead(n: int, root: Path) -> float:
    """Seconds per task of running ``n`` no-op tasks through the local executor."""
    from basinlab.experiments import Plan, RunStore, Task, execute_plan, make_executor

    tasks = Plan([Task.make("measures", f"{__name__}:noop_task", {"i": i}) for i in range(n)])
    start = time.perf_counter()
    with RunStore.open(root / "overhead") as store:
        summary = execute_plan(tasks, store, make_executor("local"))
    assert summary.counts["done"] == n
    return (time.perf_counter() - start) / n


def quickstart(executor: str, workers: int | None, root: Path) -> tuple[float, float, int]:
    """(seconds of a fresh run, seconds of a rerun with everything done, tasks) of the quickstart quick profile."""
    from basinlab.experiments import QUICKSTART_TOML, run_experiment

    out = root / f"quickstart-{executor}"
    start = time.perf_counter()
    summary = run_experiment(QUICKSTART_TOML, out, profile="quick", executor=executor, workers=workers)
    fresh = time.perf_counter() - start
    assert summary.ok, summary.failures
    start = time.perf_counter()
    run_experiment(QUICKSTART_TOML, out, profile="quick")
    return fresh, time.perf_counter() - start, summary.counts["total"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="local executor only")
    parser.add_argument("--tasks", type=int, default=200, help="no-op tasks for the overhead measurement")
    parser.add_argument("--workers", type=int, default=2, help="workers of the process pool and local Ray")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="basinlab-runner-bench-"))
    results: dict = {}
    try:
        per_task = overhead(args.tasks, root)
        results["overhead_ms_per_task"] = 1000 * per_task
        print(f"runner overhead: {1000 * per_task:.2f} ms per task ({args.tasks} no-op tasks, local executor)")
        executors = [("local", None)] if args.quick else [("local", None), ("process", args.workers),
                                                           ("ray", args.workers)]
        for name, workers in executors:
            fresh, cached, total = quickstart(name, workers, root)
            results[f"quickstart_{name}_s"] = fresh
            results[f"quickstart_{name}_rerun_s"] = cached
            print(f"quickstart --profile quick, executor {name}{f' x{workers}' if workers else ''}: "
                  f"{fresh:.1f} s for {total} tasks; rerun with all done {cached:.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
