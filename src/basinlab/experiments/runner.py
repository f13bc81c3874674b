"""Run a spec end to end: plan, skip finished tasks, execute the rest, record every outcome.

A task whose dependency failed is marked ``skipped``; independent tasks go on. A rerun of the same spec
into the same directory redoes only tasks that are not done (or whose output files are missing).
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import check_at_least, check_output_dir
from ..rundir import RunStore, open_run
from .executors import TaskResult, check_executor, make_executor
from .planning import Plan, Task, plan
from .spec import ExperimentSpec, check_runnable, load_spec

__all__ = ["RunSummary", "execute_plan", "run_experiment", "default_run_dir", "run_status"]

# on_event(event, task, result): event is 'cached' | 'started' | 'done' | 'failed' | 'skipped'
EventCallback = Callable[[str, Task, "TaskResult | None"], None]


@dataclass
class RunSummary:
    """Outcome of a run: final task counts by state, failed tasks' errors, wall time in seconds."""

    run_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)   # (task label, error)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.counts.get("failed") and not self.counts.get("skipped")


def default_run_dir(spec: ExperimentSpec) -> Path:
    """``runs/<spec name>[-<profile>]``."""
    return Path("runs") / (spec.name + (f"-{spec.profile}" if spec.profile else ""))


def execute_plan(tasks: Plan, store: RunStore, executor: Any, *, device: str = "cpu",
                 on_event: EventCallback | None = None) -> RunSummary:
    """Run every not-yet-done task of ``tasks`` on ``executor``; the driver writes all results to ``store``.

    ``on_event(event, task, result)`` hears ``'cached'``, ``'damaged'`` (done before, but a recorded output file is
    missing, truncated or changed since (size or SHA-256): ``result`` maps each such relative path to why, and
    the task runs again), ``'started'``, ``'done'``, ``'failed'`` and ``'skipped'``.
    """
    emit = on_event or (lambda *a: None)
    start = time.perf_counter()
    store.sync_plan(tasks)
    summary = RunSummary(store.root)
    done: set[str] = set()
    bad: set[str] = set()
    pending: list[Task] = []
    for t in tasks.tasks:
        problems = store.output_problems(t.task_id)  # None: not done; {}: done and every file intact
        if problems == {}:
            done.add(t.task_id)
            emit("cached", t, None)
        else:
            if problems:  # done before, but a file it wrote is gone or changed: run it again, and say so
                emit("damaged", t, problems)
            pending.append(t)
    in_flight: dict[str, Task] = {}
    run_dir = str(store.root)
    while pending or in_flight:
        for t in list(pending):
            if len(in_flight) >= executor.capacity:
                break
            failed_deps = [d for d in t.deps if d in bad]
            if failed_deps:
                pending.remove(t)
                bad.add(t.task_id)
                store.mark(t.task_id, "skipped", error=f"dependency {failed_deps[0]} did not finish")
                emit("skipped", t, None)
            elif all(d in done for d in t.deps):
                pending.remove(t)
                store.mark(t.task_id, "running")
                executor.submit(t, run_dir, device)
                in_flight[t.task_id] = t
                emit("started", t, None)
        if not in_flight:
            if pending:  # unreachable for plans in dependency order; never loop forever
                raise RuntimeError(f"tasks {[t.task_id for t in pending]} depend on tasks not in the plan")
            break
        for result in executor.wait():
            t = in_flight.pop(result.task_id)
            if result.ok:
                try:
                    outputs = store.write_tables(t.task_id, result.tables) + list(result.files)
                    store.mark(t.task_id, "done", outputs=outputs)  # records each file's size and SHA-256
                except Exception as exc:  # noqa: BLE001 - e.g. rows that do not fit the schema, a file not written
                    result = dataclasses.replace(result, ok=False, error=f"{type(exc).__name__}: {exc}")
                else:
                    done.add(t.task_id)
                    emit("done", t, result)
                    continue
            store.mark(t.task_id, "failed", error=result.error)
            bad.add(t.task_id)
            summary.failures.append((t.label or t.task_id, result.error or "unknown error"))
            emit("failed", t, result)
    summary.counts = {"done": len(done), "failed": len(summary.failures),
                      "skipped": len(bad) - len(summary.failures), "total": len(tasks.tasks)}
    summary.seconds = time.perf_counter() - start
    return summary


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    out = {"basinlab": __version__, "python": platform.python_version()}
    for pkg in ("torch", "numpy", "ray"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def run_experiment(spec_source: str | Path, out: str | Path | None = None, *, profile: str | None = None,
                   executor: str = "local", workers: int | None = None, address: str | None = None,
                   device: str = "cpu", data_dir: str | Path | None = None, on_event: EventCallback | None = None,
                   on_plan: Callable[[Plan], None] | None = None, threads: int | None = None,
                   max_memory: int | str | None = None) -> RunSummary:
    """Plan and run a spec file (or TOML text) into ``out`` (default ``runs/<name>[-<profile>]``).

    ``data_dir`` overrides the spec's ``dataset.data_dir`` (where dataset files are looked for first); it is
    not part of any task id. ``threads`` (torch threads per task, and CPUs a Ray task asks for) overrides the
    spec's ``[resources] num_cpus``; it is not part of any task id either. ``max_memory`` (bytes or e.g. ``'8G'``;
    default: ``BASINLAB_MAX_MEMORY``, else the available memory) bounds the memory one model may need to train: a
    spec whose model does not fit is refused before the run directory is made, and every task (in this process
    or a worker) is held to it.
    """
    from ..models.size import memory_limit

    with memory_limit(max_memory):
        return _run_experiment(spec_source, out, profile=profile, executor=executor, workers=workers, address=address,
                               device=device, data_dir=data_dir, on_event=on_event, on_plan=on_plan, threads=threads)


def _run_experiment(spec_source: str | Path, out: str | Path | None, *, profile: str | None, executor: str,
                    workers: int | None, address: str | None, device: str, data_dir: str | Path | None,
                    on_event: EventCallback | None, on_plan: Callable[[Plan], None] | None,
                    threads: int | None) -> RunSummary:
    from ..runtime import resolve_device

    spec, text = load_spec(spec_source, profile=profile)
    if data_dir is not None:
        spec = dataclasses.replace(spec, data_dir=str(data_dir))
    if threads is not None:
        check_at_least(threads, 1, "--threads")
        spec = dataclasses.replace(spec, num_cpus=threads)
    resolve_device(device)  # fail early on an unavailable device
    check_executor(executor, workers, address)  # and on bad executor options, before the run directory exists
    tasks = plan(spec)
    run_dir = Path(out) if out is not None else default_run_dir(spec)
    check_runnable(spec)
    check_output_dir(run_dir, "--out")  # a file, or a folder that cannot be made: refused before anything is made
    if on_plan is not None:
        on_plan(tasks)
    with RunStore.open(run_dir) as store:
        store.write_text("spec.toml", text)
        store.set_meta({"spec": _jsonable(dataclasses.asdict(spec)), "profile": profile, "versions": _versions(),
                        "planned": tasks.counts(), "task_ids": [t.task_id for t in tasks.tasks]})
        ex = make_executor(executor, workers, address)
        try:
            return execute_plan(tasks, store, ex, device=device, on_event=on_event)
        finally:
            ex.shutdown()


def run_status(run_dir: str | Path, *, verify: bool = True) -> list[dict[str, Any]]:
    """Every task of a run directory with its state and error (:meth:`basinlab.rundir.RunView.states`), read
    without writing anything; ``verify``: done tasks whose files are missing or changed show as ``'damaged'``."""
    with open_run(run_dir) as view:
        return view.states(verify=verify)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
