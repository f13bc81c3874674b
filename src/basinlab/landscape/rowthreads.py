"""A chunk's rows split across threads that each run torch on one thread.

The fast path's per-point evaluation is a few GEMMs and elementwise ops per chunk of rows. On torch's own OpenMP
threads every one of them is a parallel region: with idle threads sleeping (``OMP_WAIT_POLICY=PASSIVE``, the
``basinlab`` command's default) each region pays a thread wake-up, and on the paper's measurement task those
wake-ups cost about a quarter of the time; spinning threads avoid them but slow everything down when the machine
is shared (docs/engine.md, "Sleeping or spinning threads"). :class:`RowThreads` instead gives each of T threads a
contiguous part of the chunk's rows, with torch on one thread inside: one hand-over per chunk instead of one wake-up
per op.

Exactness: for the backends that allow splitting (``RayBackend.split_rows``) a row's value depends neither on the
aligned split (:meth:`RowThreads.split`) nor on the thread count, so every thread count gives the bits of the
whole chunk evaluated on one thread (tests/landscape pins it).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

from ..runtime import torch_thread_count

__all__ = ["RowThreads", "MIN_PART_ROWS", "PART_ALIGN", "row_threads_enabled", "torch_threads_only"]

MIN_PART_ROWS = 128  # a chunk is split only into parts of at least this many rows (a hand-over costs ~30 µs)
PART_ALIGN = 64  # parts start at multiples of this many rows from the chunk's start (see RowThreads.split)

R = TypeVar("R")
_enabled = True
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _forget_pools() -> None:  # a forked child has none of the parent's threads: it makes its own pools
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def _one_torch_thread() -> None:
    # this thread's OpenMP setting, so its ops run inline, never on a team; it also sets torch's process-wide count,
    # harmless because pool threads start inside RowThreads.one_torch_thread_each, where that count is 1 already
    torch.set_num_threads(1)


def _pool(workers: int) -> ThreadPoolExecutor:
    """The process's shared pool of ``workers`` threads (created on first use, reused by every evaluator)."""
    with _pools_lock:
        if workers not in _pools:
            _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="basinlab-rows",
                                                 initializer=_one_torch_thread)
        return _pools[workers]


class RowThreads:
    """Runs a function on T contiguous parts of a row range, in the calling thread and T − 1 pool threads.

    Use inside :meth:`one_torch_thread_each`, so that torch runs on one thread in every part."""

    def __init__(self, threads: int) -> None:
        self.threads = max(1, int(threads))

    def split(self, start: int, stop: int) -> list[tuple[int, int]]:
        """``[start, stop)`` cut into at most ``threads`` near-equal parts of ≥ ``MIN_PART_ROWS`` rows (in order).

        Every part but the last has a multiple of ``PART_ALIGN`` rows. Torch's elementwise kernels compute a
        tensor's last few elements (fewer than two SIMD vectors) with scalar code, whose ``exp``, ``log`` and fused
        multiply-adds round differently in the last bit; with aligned parts exactly the chunk's own last elements
        take that path, as when the chunk is evaluated whole on one thread, so the values are the same bits."""
        parts = max(1, min(self.threads, (stop - start) // MIN_PART_ROWS))
        cuts = [start + (stop - start) * i // parts // PART_ALIGN * PART_ALIGN for i in range(1, parts)]
        bounds = [start, *sorted(set(cuts) - {start}), stop]
        return list(zip(bounds[:-1], bounds[1:], strict=True))

    def map(self, fn: Callable[[int, int], R], parts: list[tuple[int, int]]) -> list[R]:
        """``[fn(lo, hi) for lo, hi in parts]``, the first part in the calling thread and the rest in the pool."""
        if len(parts) == 1:
            return [fn(*parts[0])]
        pool = _pool(self.threads - 1)
        futures = [pool.submit(fn, lo, hi) for lo, hi in parts[1:]]
        try:
            first = fn(*parts[0])
        finally:
            rest = [f.result() for f in futures]  # wait for every part even if this one failed
        return [first, *rest]

    def one_torch_thread_each(self) -> contextlib.AbstractContextManager[None]:
        """Within the block torch runs on one thread (its thread count is restored afterwards)."""
        return torch_thread_count(1)


def row_threads_enabled() -> bool:
    """Whether evaluators split rows across threads: yes, except inside :func:`torch_threads_only`, with
    ``BASINLAB_ROW_THREADS=off`` in the environment (for comparisons) and when the environment has OpenMP threads
    spin (``OMP_WAIT_POLICY=ACTIVE``): spinning threads pay no wake-ups (docs/engine.md, "Row threads")."""
    off = os.environ.get("BASINLAB_ROW_THREADS", "").strip().lower() in ("off", "0", "false", "no")
    return _enabled and not off and os.environ.get("OMP_WAIT_POLICY", "").strip().upper() != "ACTIVE"


@contextlib.contextmanager
def torch_threads_only() -> Iterator[None]:
    """Evaluators created within the block leave every op on torch's own threads (no row threads), as before row
    threads existed: ``benchmarks/volume_speed.py`` uses it to show what they contribute."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved
