"""Speed paths must not change what is computed: batched direction draws and the points cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from basinlab.landscape.losses import points_cross_entropy
from basinlab.volume import direction_seed, random_direction
from basinlab.volume.directions import draw_directions


def test_draw_directions_is_bit_identical_to_random_direction():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 5))
    for fn in (True, False):
        seeds = [direction_seed(4, k) for k in range(5)]
        for s, (q, norm) in zip(seeds, draw_directions(model, seeds, fn), strict=True):
            q_ref, norm_ref = random_direction(model, s, fn)
            assert norm == norm_ref
            assert all(torch.equal(a, b) for a, b in zip(q, q_ref, strict=True))
    double = model.double()
    (q, _), = list(draw_directions(double, [7]))
    assert all(torch.equal(a, b) for a, b in zip(q, random_direction(double, 7)[0], strict=True))


def test_points_cross_entropy_matches_cross_entropy():
    g = torch.Generator().manual_seed(1)
    out = torch.randn(4, 50, 10, generator=g) * 6
    y = torch.randint(0, 10, (50,), generator=g)
    ref = F.cross_entropy(out.reshape(200, 10), y.repeat(4), reduction="none").reshape(4, 50)
    torch.testing.assert_close(points_cross_entropy(out, y), ref, rtol=1e-5, atol=2e-6)
    out[1, 3, 2] = float("nan")
    out[2, 5, 0] = float("inf")
    got = points_cross_entropy(out, y)
    assert torch.isnan(got[1, 3]) and not torch.isfinite(got[2, 5])
    assert torch.isfinite(got[0]).all()


def test_evaluator_sums_do_not_depend_on_chunking(mlp_problem):
    from basinlab.landscape.evaluator import RayEvaluator
    from basinlab.landscape.losses import resolve_loss

    model, x, y = mlp_problem
    big_x, big_y = x.repeat(4, 1), y.repeat(4)  # 1200 rows
    loss_fn, _ = resolve_loss("cross_entropy", None)
    q = random_direction(model, direction_seed(0, 1))[0]
    k = torch.zeros(3, dtype=torch.long)
    c = torch.tensor([0.0, 0.01, 0.03], dtype=torch.float64)
    need = torch.full((3,), 2, dtype=torch.long)
    got = []
    for budget in (2**28, 40_000, 3_000):  # one 1200-row chunk, 30-row chunks, 2-row chunks
        ev = RayEvaluator(model, big_x, big_y, loss_fn, [100, 700, 1200], tau_exit=None, memory_budget=budget)
        ev.set_directions([q])
        got.append(ev.evaluate(k, c, need, early_exit=False)[0])
    assert torch.equal(got[0], got[1])
    # with 1-2 row chunks the float32 GEMMs may take another kernel (other rounding): close, not identical
    torch.testing.assert_close(got[0], got[2], rtol=1e-6, atol=0)


def test_linear_kernel_matches_f_linear():
    from basinlab.landscape.kernels import linear

    g = torch.Generator().manual_seed(3)
    x, w, b = torch.randn(70, 33, generator=g), torch.randn(9, 33, generator=g), torch.randn(9, generator=g)
    ref = F.linear(x, w, b)
    torch.testing.assert_close(linear(x, w, b), ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(linear(x, w, b, relu=True), ref.relu(), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(linear(x, w, None), F.linear(x, w), rtol=1e-5, atol=1e-5)
    x64, w64, b64 = x.double(), w.double(), b.double()
    assert torch.equal(linear(x64, w64, b64, relu=True), F.linear(x64, w64, b64).relu())  # float64: F.linear itself


def test_per_point_and_batched_strategies_agree(mlp_problem):
    from basinlab.landscape.fastpath import SequentialRays

    model, x, y = mlp_problem
    rays = SequentialRays(model, x)
    assert rays.segment_per_point == [True]  # one 300-row landscape
    rays.set_directions([random_direction(model, direction_seed(2, k))[0] for k in range(3)])
    k = torch.tensor([2, 0, 1, 2])
    c = torch.tensor([0.05, 0.0, 0.3, 1.0], dtype=torch.float64)
    rays.prepare(k, c)
    per_point = rays.forward(0, 300, torch.arange(4))
    rays.segment_per_point = [False]
    batched = rays.forward(0, 300, torch.arange(4))
    torch.testing.assert_close(per_point, batched, rtol=1e-5, atol=1e-5)
    rays.segment_per_point = [True]
    assert torch.equal(rays.forward(40, 300, torch.tensor([3, 1])), per_point[[3, 1], 40:])  # row slices: same bits


def test_per_point_strategy_is_identical_for_any_thread_count(mlp_problem):
    from basinlab.landscape.evaluator import RayEvaluator
    from basinlab.landscape.losses import resolve_loss

    model, x, y = mlp_problem
    loss_fn, _ = resolve_loss("cross_entropy", None)
    q = [random_direction(model, direction_seed(0, k))[0] for k in range(2)]
    k, c = torch.tensor([0, 1, 1]), torch.tensor([0.01, 0.2, 2.0], dtype=torch.float64)
    previous = torch.get_num_threads()
    got = []
    try:
        for threads in (1, 2, 3):
            torch.set_num_threads(threads)
            ev = RayEvaluator(model, x.repeat(2, 1), y.repeat(2), loss_fn, [100, 600], tau_exit=None)
            ev.set_directions(q)
            got.append(ev.evaluate(k, c, torch.ones(3, dtype=torch.long), early_exit=False)[0])
    finally:
        torch.set_num_threads(previous)
    assert ev.backend.segment_per_point == [False, True]  # rows 0-99 batched, 100-299 one point at a time
    assert all(torch.equal(got[0], other) for other in got[1:])
