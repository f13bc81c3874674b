"""Where tasks run: in-process, a local process pool, or Ray. All three run :func:`execute_task`.

Workers return their rows to the driver, which alone writes Parquet files and task states; the only files a
worker writes are checkpoints (atomically, via ``basinlab.train.save_checkpoint``), so on a cluster the run
directory must be on a filesystem every node sees.
"""

from __future__ import annotations

import importlib
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, describe_choices
from .planning import Task

__all__ = ["TaskResult", "execute_task", "check_executor", "make_executor", "LocalExecutor", "ProcessExecutor", "RayExecutor",
           "EXECUTORS", "available_cpus"]

EXECUTORS = ("local", "process", "ray")
# Task kinds whose results are verified not to depend on the thread count (training: tests/train/
# test_train_threads.py; the volume engine: tests/volume). Other kinds run on one thread unless the spec's
# ``[resources] num_cpus`` says otherwise, so their numbers stay the same whichever executor ran them.
THREAD_INVARIANT_KINDS = ("train", "volume")


@dataclass
class TaskResult:
    """What a worker sends back: rows per table, files it wrote (relative to the run dir), or an error."""

    task_id: str
    ok: bool
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def _resolve(fn: str):
    module, _, name = fn.partition(":")
    return getattr(importlib.import_module(module), name)


def available_cpus() -> int:
    """The cores this process may run on (its CPU affinity; ``os.cpu_count()`` where that is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def execute_task(task: Task, run_dir: str, device: str = "cpu", threads: int | None = None) -> TaskResult:
    """Run one task with its own torch thread count and one BLAS thread; never raises.

    The thread count is the spec's ``task.num_cpus`` when set, else, for the kinds in
    ``THREAD_INVARIANT_KINDS``, ``threads`` (the executor's share of the cores, default every core), else one.
    """
    from ..runtime import limit_threads

    start = time.perf_counter()
    if task.num_cpus is not None:
        torch_threads = task.num_cpus
    elif task.kind in THREAD_INVARIANT_KINDS:
        torch_threads = threads or available_cpus()
    else:
        torch_threads = 1
    try:
        with limit_threads(torch_threads=torch_threads, blas_threads=1):
            context = {**task.context, "task_id": task.task_id, "device": device}
            out = _resolve(task.fn)(task.inputs, context, run_dir)
        return TaskResult(task.task_id, True, out.get("tables", {}), list(out.get("files", [])),
                          seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - a failed task is data, reported in the manifest
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        return TaskResult(task.task_id, False, error=f"{type(exc).__name__}: {exc}{where}",
                          seconds=time.perf_counter() - start)


class LocalExecutor:
    """Runs each task in this process when :meth:`wait` is called (one at a time, on every core unless the spec's
    ``[resources] num_cpus`` says otherwise)."""

    capacity = 1

    def __init__(self) -> None:
        self._queue: list[tuple[Task, str, str]] = []

    def submit(self, task: Task, run_dir: str, device: str) -> None:
        self._queue.append((task, run_dir, device))

    def wait(self) -> list[TaskResult]:
        return [execute_task(*self._queue.pop(0))] if self._queue else []

    def shutdown(self) -> None:
        self._queue.clear()


def die_with_parent(parent_pid: int) -> None:
    """Make this process receive SIGKILL when its parent dies (Linux ``PR_SET_PDEATHSIG``), so a worker never
    outlives a killed driver; exits at once if the parent is already gone. A no-op where prctl is missing."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the driver died before the call above took effect
        os._exit(1)


class ProcessExecutor:
    """A pool of ``workers`` spawned processes (spawn: no inherited torch thread pools or locks) that die with
    the driver, also on ``kill -9`` (:func:`die_with_parent`), and whose idle threads sleep
    (:func:`basinlab.runtime.prefer_sleeping_threads`). A task gets ``[resources] num_cpus`` threads when
    the spec sets it, else an equal share of the cores (``cores // workers``, at least 1)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from ..runtime import prefer_sleeping_threads

        prefer_sleeping_threads()  # the spawned workers inherit it
        self.capacity = workers
        self.threads = max(1, available_cpus() // workers)
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=die_with_parent, initargs=(os.getpid(),))
        self._futures: dict[Any, str] = {}

    def submit(self, task: Task, run_dir: str, device: str) -> None:
        self._futures[self._pool.submit(execute_task, task, run_dir, device, self.threads)] = task.task_id

    def wait(self) -> list[TaskResult]:
        from concurrent.futures import FIRST_COMPLETED, wait

        if not self._futures:
            return []
        done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
        out = []
        for fut in done:
            tid = self._futures.pop(fut)
            try:
                out.append(fut.result())
            except Exception as exc:  # noqa: BLE001 - a crashed worker process
                out.append(TaskResult(tid, False, error=f"worker process failed: {type(exc).__name__}: {exc}"))
        return out

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    """Ships tasks to Ray: a local ``ray.init(num_cpus=workers or all cores)`` or a cluster at ``address``.

    Each task requests ``[resources] num_cpus`` (default 1) / ``num_gpus`` from Ray's scheduler and runs on as
    many torch threads as CPUs it requested. A local cluster this executor starts dies with its driver, also on
    ``kill -9`` (:mod:`basinlab.experiments.reaper`).
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigError("--executor ray needs the ray package: pip install 'basinlab[ray]'") from exc
        self._ray = ray
        self._own = not ray.is_initialized()
        self._reaper = None
        if self._own:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False}
            if address:
                ray.init(address=address, **kwargs)
            else:
                self._start_local(workers, kwargs)
        self.capacity = 10**6  # Ray's scheduler does the queueing
        self._remote = ray.remote(execute_task)
        self._refs: dict[Any, str] = {}

    def _start_local(self, workers: int | None, kwargs: dict[str, Any]) -> None:
        """``ray.init`` of a local cluster watched by a reaper that kills its processes when the driver dies."""
        from ..runtime import prefer_sleeping_threads
        from .reaper import child_pids, start_reaper

        prefer_sleeping_threads()  # the cluster's workers inherit it
        self._reaper = start_reaper()
        before = child_pids(os.getpid())
        try:
            self._ray.init(num_cpus=workers or os.cpu_count() or 1, **kwargs)
            started = child_pids(os.getpid()) - before - {self._reaper.pid}
            self._reaper.stdin.write("".join(f"{pid}\n" for pid in sorted(started)).encode())
            self._reaper.stdin.flush()
        except BaseException:
            self._stop_reaper()
            raise

    def _stop_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper.stdin.close()  # the reaper kills what is left of the cluster (e.g. its agents) and exits
            try:
                self._reaper.wait(timeout=30)
            except Exception:  # noqa: BLE001 - never block the driver's exit on the reaper
                pass
            self._reaper = None

    def submit(self, task: Task, run_dir: str, device: str) -> None:
        cpus = task.num_cpus or 1
        ref = self._remote.options(num_cpus=cpus, num_gpus=task.num_gpus, max_retries=0).remote(
            task, run_dir, device, cpus)
        self._refs[ref] = task.task_id

    def wait(self) -> list[TaskResult]:
        if not self._refs:
            return []
        ready, _ = self._ray.wait(list(self._refs), num_returns=1)
        out = []
        for ref in ready:
            tid = self._refs.pop(ref)
            try:
                out.append(self._ray.get(ref))
            except Exception as exc:  # noqa: BLE001 - a crashed Ray worker
                out.append(TaskResult(tid, False, error=f"ray worker failed: {type(exc).__name__}: {exc}"))
        return out

    def shutdown(self) -> None:
        for ref in list(self._refs):
            self._ray.cancel(ref, force=True)
        self._refs.clear()
        if self._own:
            self._ray.shutdown()
            self._stop_reaper()


def check_executor(kind: str = "local", workers: int | None = None, address: str | None = None) -> None:
    """Raise :class:`ConfigError` for options :func:`make_executor` would refuse (checked before a run starts)."""
    if kind not in EXECUTORS:
        raise ConfigError(f"executor {kind!r} is unknown; use {describe_choices(EXECUTORS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ConfigError(f"--workers must be a positive integer; got {workers}")
    if address and kind != "ray":
        raise ConfigError("--address is only used with --executor ray")


def make_executor(kind: str = "local", workers: int | None = None, address: str | None = None):
    """``'local'`` (in-process), ``'process'`` (pool of ``workers``, default 2) or ``'ray'``."""
    check_executor(kind, workers, address)
    if kind == "local":
        return LocalExecutor()
    if kind == "process":
        return ProcessExecutor(workers or 2)
    return RayExecutor(workers, address)
