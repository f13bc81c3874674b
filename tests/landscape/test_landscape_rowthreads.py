"""Row threads: a chunk's one-at-a-time rows split across threads give the bits of one thread, and really run on
several threads with torch on one thread each."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest
import torch
from torch import nn

from basinlab.landscape import RayEvaluator, resolve_loss
from basinlab.landscape.kernels import onednn_available
from basinlab.landscape.rowthreads import MIN_PART_ROWS, PART_ALIGN, RowThreads, torch_threads_only

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="row threads split oneDNN rows only")


@pytest.fixture(autouse=True)
def _row_threads_allowed(monkeypatch):
    """Neither switch that turns row threads off is set, whatever the environment running the tests."""
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("BASINLAB_ROW_THREADS", raising=False)


def _problem(n: int = 1999, seed: int = 3):
    """A float32 64-48-24-10 ReLU MLP at a random point, with data and two random directions."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 24), nn.ReLU(), nn.Linear(24, 10))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 64, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    dirs = [[torch.randn(p.shape, generator=g) for p in model.parameters()] for _ in range(2)]
    return model, x, y, dirs


def _evaluate(threads: int, early_exit: bool, sizes=(100, 1000, 1999)):
    model, x, y, dirs = _problem()
    loss_fn, _ = resolve_loss("cross_entropy", None)
    # tau_exit low enough that some points stop at a checkpoint; 300-row checkpoints inside odd chunks
    ev = RayEvaluator(model, x, y, loss_fn, list(sizes), tau_exit=3.0 if early_exit else None,
                      granularity=300, threads=threads)
    ev.set_directions(dirs)
    k = torch.tensor([0, 1, 1, 0, 1])
    c = torch.tensor([0.0, 0.013, 0.21, 0.55, 1.7], dtype=torch.float64)
    need = torch.tensor([2, 2, 1, 2, 2])
    return ev, ev.evaluate(k, c, need, early_exit=early_exit)


def test_split_gives_aligned_ordered_parts_covering_the_range():
    rows = RowThreads(3)
    for start, stop in [(0, 2048), (512, 2048), (100, 1377), (7, 7 + MIN_PART_ROWS), (0, 2 * MIN_PART_ROWS - 1)]:
        parts = rows.split(start, stop)
        assert parts[0][0] == start and parts[-1][1] == stop
        assert all(hi == lo for (_, hi), (lo, _) in zip(parts, parts[1:], strict=False))
        assert all(lo < hi for lo, hi in parts) and len(parts) <= 3
        assert all((lo - start) % PART_ALIGN == 0 for lo, _ in parts)
    assert len(rows.split(0, 2048)) == 3 and len(rows.split(0, 2 * MIN_PART_ROWS - 1)) == 1
    assert RowThreads(1).split(0, 5000) == [(0, 5000)]


@needs_onednn
@pytest.mark.parametrize("early_exit", [False, True])
def test_values_are_the_same_bits_on_one_and_on_several_row_threads(early_exit):
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        ev1, one = _evaluate(threads=1, early_exit=early_exit)
        assert ev1.rows is None
        for threads in (2, 3):
            torch.set_num_threads(threads)
            ev, got = _evaluate(threads=threads, early_exit=early_exit)
            assert ev.rows is not None and ev.rows.threads == threads
            for a, b in zip(one, got, strict=True):
                assert torch.equal(a.nan_to_num(-1.0), b.nan_to_num(-1.0))
            assert torch.get_num_threads() == threads  # restored after the evaluation
    finally:
        torch.set_num_threads(previous)
    if early_exit:
        assert bool((one[2] & ~one[1]).any())  # some values are early-exit lower bounds


@needs_onednn
def test_row_parts_run_in_several_threads_with_torch_on_one_thread_each():
    seen: list[tuple[int, int, int]] = []
    model, x, y, dirs = _problem()
    loss_fn, _ = resolve_loss("cross_entropy", None)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        ev = RayEvaluator(model, x, y, loss_fn, [100, 1999], tau_exit=None)  # rows 0-99 batched, the rest split
        forward = ev.backend.forward

        def spy(start, stop, active):
            seen.append((start, threading.get_ident(), torch.get_num_threads()))
            return forward(start, stop, active)

        ev.backend.forward = spy
        ev.set_directions(dirs)
        ev.evaluate(torch.tensor([0, 1]), torch.tensor([0.1, 0.2], dtype=torch.float64), torch.tensor([1, 1]))
    finally:
        torch.set_num_threads(previous)
    assert ev.rows is not None and ev.rows.threads == 2
    assert [n for start, _, n in seen if start < 100] == [2]  # the batched chunk keeps torch's two threads
    split = [(ident, n) for start, ident, n in seen if start >= 100]
    assert len({ident for ident, _ in split}) == 2 and {n for _, n in split} == {1}


def test_backends_that_cannot_split_rows_keep_torchs_threads():
    model, x, y, dirs = _problem(n=600)
    loss_fn, _ = resolve_loss("cross_entropy", None)
    for kwargs, m, xx in [({"general": True}, model, x), ({}, model.double(), x.double())]:
        ev = RayEvaluator(m, xx, y, loss_fn, [600], tau_exit=None, threads=2, **kwargs)
        assert not ev.backend.split_rows and ev.rows is None


@needs_onednn
def test_spinning_threads_or_the_switches_turn_row_threads_off(monkeypatch):
    model, x, y, _ = _problem(n=600)
    loss_fn, _ = resolve_loss("cross_entropy", None)

    def rows():
        return RayEvaluator(model, x, y, loss_fn, [600], tau_exit=None, threads=2).rows

    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    assert rows() is not None
    with torch_threads_only():
        assert rows() is None
    assert rows() is not None
    monkeypatch.setenv("BASINLAB_ROW_THREADS", "off")
    assert rows() is None
    monkeypatch.delenv("BASINLAB_ROW_THREADS")
    monkeypatch.setenv("OMP_WAIT_POLICY", "active")
    assert rows() is None


@needs_onednn
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_evaluates_with_its_own_row_threads():
    _, (values, _, _) = _evaluate(threads=2, early_exit=False)  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:  # with the parent's dead pool threads the child would wait forever
        child = pool.apply_async(_child_values).get(timeout=60)
    assert torch.equal(values.nan_to_num(-1.0), child.nan_to_num(-1.0))


def _child_values() -> torch.Tensor:
    return _evaluate(threads=2, early_exit=False)[1][0]
