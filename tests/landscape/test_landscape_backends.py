"""The landscape package on its own: both backends implement RayBackend and agree with a plain forward pass; the
per-sample losses agree with torch's; the dense kernel agrees with F.linear; segment strategies are per landscape."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from basinlab.landscape import RayBackend, RayEvaluator, resolve_loss, supports_fast_path
from basinlab.landscape.fastpath import PER_POINT_ROWS, SequentialRays
from basinlab.landscape.general import GeneralRays
from basinlab.landscape.kernels import blas_only, linear
from basinlab.landscape.losses import points_cross_entropy, zero_one_error


def _problem(seed: int = 0, n: int = 300):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (n,), generator=g)
    dirs = [[torch.randn(p.shape, generator=g, dtype=torch.float64) for p in model.parameters()] for _ in range(2)]
    return model, x, y, dirs


def _plain(model, q, c, x):
    moved = copy.deepcopy(model)
    with torch.no_grad():
        for p, d in zip(moved.parameters(), q, strict=True):
            p.add_(c * d)
        return moved(x)


@pytest.mark.parametrize("backend", ["sequential", "general"])
def test_backends_implement_the_protocol_and_equal_a_plain_forward(backend):
    model, x, y, dirs = _problem()
    sizes = [100, 300]  # segments of 100 (batched) and 200 rows (one point at a time)
    rays = SequentialRays(model, x, sizes) if backend == "sequential" else GeneralRays(model, x)
    assert isinstance(rays, RayBackend)
    rays.set_directions(dirs)
    k, c = torch.tensor([0, 1, 1]), torch.tensor([0.0, 0.2, 0.7], dtype=torch.float64)
    rays.prepare(k, c)
    for start, stop in ((0, 100), (100, 300)):
        assert rays.strategy_end(start) >= stop
        out = rays.forward(start, stop, torch.arange(3))
        assert out.shape == (3, stop - start, 3)
        for p in range(3):
            want = _plain(model, dirs[int(k[p])], float(c[p]), x[start:stop])
            torch.testing.assert_close(out[p], want, rtol=1e-10, atol=1e-12)


def test_segment_strategy_is_a_function_of_each_landscapes_rows():
    model, x, _, _ = _problem(n=PER_POINT_ROWS + 100)
    rays = SequentialRays(model.float(), x.float(), [100, PER_POINT_ROWS + 100])
    assert not rays.one_at_a_time(0) and rays.strategy_end(0) == 100
    assert rays.one_at_a_time(100) and rays.strategy_end(100) == PER_POINT_ROWS + 100
    assert not supports_fast_path(nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 2)))


def test_evaluator_nested_means_equal_each_prefix_alone():
    model, x, y, dirs = _problem()
    loss_fn, _ = resolve_loss("cross_entropy", None)
    nested = RayEvaluator(model, x, y, loss_fn, [50, 120, 300], tau_exit=None)
    nested.set_directions(dirs)
    k, c = torch.tensor([0, 1]), torch.tensor([0.1, 0.4], dtype=torch.float64)
    vals, exact, known = nested.evaluate(k, c, torch.tensor([2, 2]))
    assert exact.all() and known.all()
    for li, n in enumerate([50, 120, 300]):
        for p in range(2):
            want = F.cross_entropy(_plain(model, dirs[int(k[p])], float(c[p]), x[:n]), y[:n]).item()
            assert vals[p, li].item() == pytest.approx(want, rel=1e-10)


def test_losses_agree_with_torch():
    g = torch.Generator().manual_seed(3)
    out, y = torch.randn(4, 50, 5, generator=g), torch.randint(0, 5, (50,), generator=g)
    want = torch.stack([F.cross_entropy(o, y, reduction="none") for o in out])
    torch.testing.assert_close(points_cross_entropy(out, y), want, rtol=1e-5, atol=1e-6)
    flat = out[0].clone()
    flat[0, 0] = float("nan")
    err = zero_one_error(flat, y)
    assert err[0] == 1.0
    assert torch.equal(err[1:], (flat[1:].argmax(1) != y[1:]).float())
    assert torch.equal(zero_one_error(flat[1:], F.one_hot(y[1:], 5).float()), err[1:])


def test_dense_kernel_agrees_with_f_linear():
    g = torch.Generator().manual_seed(4)
    x, w, b = torch.randn(64, 32, generator=g), torch.randn(16, 32, generator=g), torch.randn(16, generator=g)
    torch.testing.assert_close(linear(x, w, b, relu=True), F.linear(x, w, b).relu(), rtol=1e-5, atol=1e-5)
    with blas_only():
        assert torch.equal(linear(x, w, None), F.linear(x, w))
