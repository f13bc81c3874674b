"""Direction batches (volume/batches.py): the batch plan, the guesses each batch starts from, running batches on
several threads, and radii that are the same bits for every worker and thread count."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from basinlab.errors import ConfigError
from basinlab.volume import measure_volume
from basinlab.volume.batches import GUESS_LAG, Guesses, batch_ranges, guess_source, run_batches


def test_batch_ranges_start_with_a_pilot_then_equal_batches():
    assert [list(r) for r in batch_ranges(8, 3)] == [[0], [1, 2, 3], [4, 5, 6], [7]]
    assert [list(r) for r in batch_ranges(3, 1)] == [[0], [1], [2]]
    assert [list(r) for r in batch_ranges(1, 5)] == [[0]]
    assert [list(r) for r in batch_ranges(4, 64)] == [[0], [1, 2, 3]]


def test_guesses_use_exactly_the_batches_up_to_the_source():
    g = Guesses(["a"])
    g.record(0, {"a": [1.0]})
    g.record(1, {"a": [3.0, 5.0]})
    g.record(2, {"a": []})
    assert g.upto(0) == {"a": 1.0}
    assert g.upto(2) == {"a": 3.0}  # median of 1, 3, 5: batch 2 added nothing
    with pytest.raises(ValueError, match="out of order"):
        g.record(4, {"a": [2.0]})
    assert Guesses(["b"]).lengths == []
    assert [guess_source(b) for b in (1, GUESS_LAG, GUESS_LAG + 1, GUESS_LAG + 3)] == [0, 0, 1, 3]


def test_batches_run_concurrently_and_finish_in_order_after_their_sources():
    n, workers = 9, 3
    finished: list[int] = []
    prepared_after: dict[int, list[int]] = {}
    meet = threading.Barrier(workers, timeout=20)  # the first three jobs only pass if they run at the same time
    seen: dict[int, tuple[str, int]] = {}

    def prepare(b: int):
        prepared_after[b] = list(finished)

        def job(ev: str) -> int:
            if b <= workers:
                meet.wait()
            seen[b] = (threading.current_thread().name, torch.get_num_threads())
            return b * 10

        return job

    def finish(b: int, result: int) -> None:
        assert result == b * 10
        finished.append(b)

    finished.append(0)  # the pilot is the caller's
    previous = torch.get_num_threads()
    run_batches(n, prepare, finish, ["e1", "e2", "e3"], threads_each=1)
    assert finished == list(range(n))
    for b in range(1, n):
        assert guess_source(b) in prepared_after[b]  # its guesses' batches were finished before it was prepared
    assert len({name for name, _ in seen.values()}) == workers
    assert all(name.startswith("basinlab-batch") and threads == 1 for name, threads in seen.values())
    assert torch.get_num_threads() == previous


def test_an_error_in_a_batch_is_raised_and_threads_are_restored():
    previous = torch.get_num_threads()

    def prepare(b: int):
        def job(ev: str) -> int:
            if b == 3:
                raise RuntimeError("batch 3 failed")
            return b

        return job

    with pytest.raises(RuntimeError, match="batch 3 failed"):
        run_batches(8, prepare, lambda b, r: None, ["e1", "e2"], threads_each=1)
    assert torch.get_num_threads() == previous


@pytest.mark.parametrize("landscapes", [[100, 300], None])
def test_radii_are_the_same_bits_for_every_worker_and_thread_count(mlp_problem, landscapes):
    # [100, 300]: rows 0-99 batched, 100-299 one point at a time; None: one 300-row landscape
    model, x, y = mlp_problem
    kwargs = dict(thresholds=(0.05, 0.3), directions=11, batch_directions=2, landscapes=landscapes)
    previous = torch.get_num_threads()
    runs = {}
    try:
        for threads, workers in ((1, None), (2, 1), (2, None), (2, 3), (3, 2)):
            torch.set_num_threads(threads)
            res = measure_volume(model, x, y, **kwargs, workers=workers)
            runs[(threads, workers)] = res
            assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(previous)
    base = runs[(1, None)]
    assert base.counts["workers"] == 1 and runs[(2, None)].counts["workers"] == 2 and runs[(2, 3)].counts["workers"] == 3
    assert (base.radii > 0).all()
    for res in runs.values():
        np.testing.assert_array_equal(res.radii, base.radii)
        np.testing.assert_array_equal(res.censored, base.censored)
        assert res.counts["points"] == base.counts["points"]  # the same probes, not only the same answers


def test_progress_is_reported_in_order_with_workers(mlp_problem):
    model, x, y = mlp_problem
    calls: list[tuple[int, int]] = []
    measure_volume(model, x, y, directions=7, batch_directions=2, workers=2, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 7), (3, 7), (5, 7), (7, 7)]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(mlp_problem, bad):
    model, x, y = mlp_problem
    with pytest.raises(ConfigError, match="workers must be a positive integer"):
        measure_volume(model, x, y, directions=2, workers=bad)


def test_rowspace_directions_give_the_same_bits_with_workers(small_problem):
    model, x, y = small_problem  # 24 rows, 64 inputs: the row-space draw applies
    kwargs = dict(directions=12, batch_directions=2, thresholds=(0.1, 0.3), direction_draw="rowspace")
    one = measure_volume(model, x, y, **kwargs, workers=1)
    two = measure_volume(model, x, y, **kwargs, workers=2)
    assert two.counts["workers"] == 2 and (one.radii > 0).all()
    np.testing.assert_array_equal(two.radii, one.radii)
    np.testing.assert_array_equal(two.norms, one.norms)
