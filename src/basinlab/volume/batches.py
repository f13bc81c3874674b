"""Direction batches: their sizes, the crossing guesses each starts from, and running them on several threads.

The engine measures directions in batches (:func:`batch_ranges`): a single pilot direction, then batches of equal
size. A batch's searches start their coarse brackets at the median crossings of batches measured before it
(:class:`Guesses`). Batch ``b ≥ 1`` uses exactly batches ``0 … max(0, b − GUESS_LAG)``, whatever finished first,
so ``GUESS_LAG`` batches can be in flight at once and the probes, hence the radii, do not depend on how many
threads run them.

:func:`run_batches` runs the batches after the pilot on ``workers`` threads, each with its own evaluator and
torch on ``threads_each`` threads. On a 2-core CPU the engine runs two batches at once on one torch thread each:
the searches' Python bookkeeping of one batch then overlaps the other's arithmetic (docs/engine.md, "Direction
workers").
"""

from __future__ import annotations

import queue
import statistics
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import torch

from ..runtime import torch_thread_count

__all__ = ["GUESS_LAG", "MAX_WORKERS", "batch_ranges", "Guesses", "run_batches"]

GUESS_LAG = 4  # batch b >= 1 starts from the crossings of batches 0..max(0, b - GUESS_LAG)
MAX_WORKERS = GUESS_LAG  # at most this many batches can be in flight

R = TypeVar("R")
E = TypeVar("E")


def batch_ranges(n_dirs: int, batch: int) -> list[range]:
    """Direction indices of each batch: a pilot of one direction (when ``batch > 1`` and ``n_dirs > 1``), so later
    batches start from its crossings, then batches of ``batch`` (the last may be shorter)."""
    first = 1 if batch > 1 and n_dirs > 1 else min(batch, n_dirs)
    starts = [0, *range(first, n_dirs, batch)]
    return [range(a, min(n_dirs, a + (first if a == 0 else batch))) for a in starts]


def guess_source(b: int) -> int:
    """The last batch whose crossings batch ``b ≥ 1`` starts from (batch 0, the pilot, starts from none)."""
    return max(0, b - GUESS_LAG)


class Guesses:
    """Median crossings per search key (threshold, landscape) over batches ``0 … m``, recorded in batch order."""

    def __init__(self, keys: Sequence[Hashable]) -> None:
        self.found: dict[Hashable, list[float]] = {key: [] for key in keys}
        self.lengths: list[dict[Hashable, int]] = []  # after batch i, how many crossings each key had

    def record(self, b: int, crossings: dict[Hashable, list[float]]) -> None:
        """Add batch ``b``'s crossings (batches are recorded in order, once each)."""
        if b != len(self.lengths):
            raise ValueError(f"batch {b} recorded out of order (expected batch {len(self.lengths)})")
        for key, values in crossings.items():
            self.found[key].extend(values)
        self.lengths.append({key: len(v) for key, v in self.found.items()})

    def upto(self, m: int) -> dict[Hashable, float | None]:
        """Median crossing of each key over batches ``0 … m`` (None where none crossed); needs batch m recorded."""
        counts = self.lengths[m]
        return {key: statistics.median(v[: counts[key]]) if counts[key] else None for key, v in self.found.items()}


def run_batches(
    n_batches: int,
    prepare: Callable[[int], Callable[[E], R]],
    finish: Callable[[int, R], None],
    evaluators: list[E],
    *,
    threads_each: int = 1,
) -> None:
    """Run batches ``1 … n_batches − 1`` (batch 0, the pilot, is the caller's): ``prepare(b)`` (in this thread)
    returns a job, the job runs with one of ``evaluators`` (on a thread of its own when there are several), and
    ``finish(b, result)`` is called in this thread, in batch order. ``prepare(b)`` is called only after
    ``finish`` of batch :func:`guess_source` ``(b)``. Worker threads run torch on ``threads_each`` threads; torch's
    thread count is restored afterwards. The first error raised by a job is raised here once running jobs end."""
    if n_batches <= 1:
        return
    if len(evaluators) <= 1:
        for b in range(1, n_batches):
            finish(b, prepare(b)(evaluators[0]))
        return
    free: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for ev in evaluators:
        free.put(ev)

    def work(job: Callable[[E], R]) -> R:
        ev = free.get()
        try:
            return job(ev)
        finally:
            free.put(ev)

    threads_each = max(1, int(threads_each))
    pool = ThreadPoolExecutor(len(evaluators), thread_name_prefix="basinlab-batch",
                              initializer=torch.set_num_threads, initargs=(threads_each,))
    pending: dict[int, Future[R]] = {}
    done = 0  # batches 1..done are finished

    def finish_next(block: bool) -> bool:
        nonlocal done
        future = pending.get(done + 1)
        if future is None or not (block or future.done()):
            return False
        del pending[done + 1]
        done += 1
        finish(done, future.result())
        return True

    # the workers' count is also torch's process-wide one: this thread takes it for the run and restores its own
    with torch_thread_count(threads_each):
        try:
            for b in range(1, n_batches):
                while done < guess_source(b) or len(pending) >= len(evaluators):
                    finish_next(block=True)
                pending[b] = pool.submit(work, prepare(b))
                while finish_next(block=False):
                    pass
            while pending:
                finish_next(block=True)
        finally:
            for future in pending.values():
                future.cancel()
            pool.shutdown(wait=True)
