"""Closed-form checks: a quadratic basin in high dimension and the scale-invariance toy (paper appendix A.1)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from basinlab.volume import direction_seed, measure_volume, random_direction


def test_quadratic_basin_radii_match_closed_form_to_rtol():
    # Linear model y = W x + b (50 -> 10, n = 510) fitted exactly, MSE loss: along θ0 + c·Q the mean loss is
    # c² · s with s = mean_i mean_o ((Q_W x_i + Q_b)_o)², so c* = sqrt(τ / s) and r = c*·‖P‖.
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 50, generator=g, dtype=torch.float64)
    model = nn.Linear(50, 10).double()
    with torch.no_grad():
        y = model(x)
    tau, rtol = 0.05, 1e-4
    res = measure_volume(model, x, y, thresholds=(tau,), directions=12, seed=3, loss="mse", rtol=rtol)
    xs = x.numpy()
    for k in range(12):
        q, norm = random_direction(model, direction_seed(3, k))
        qw, qb = q[0].numpy(), q[1].numpy()
        s = np.mean((xs @ qw.T + qb) ** 2)
        expected = math.sqrt(tau / s) * norm
        assert abs(res.radii[k, 0, 0] / expected - 1) <= rtol
    assert not res.censored.any()
    assert res.n_params == 510
    n = 510
    direct = np.log(np.mean(np.exp(n * np.log(res.radii[:, 0, 0]) - n * np.log(res.radii.max())))) + n * np.log(
        res.radii.max()
    )
    assert abs(res.log_volume() - direct) < 1e-9


def _toy(a: float, b: float) -> nn.Module:
    # f(x) = b·(a·x): two 1x1 weights; (a, b) -> (a·s, b/s) leaves every prediction unchanged
    model = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)).double()
    with torch.no_grad():
        model[0].weight.fill_(a)
        model[1].weight.fill_(b)
    return model


def test_scale_invariance_toy_filter_normalised_volume_is_independent_of_rescaling():
    # Filter norms of 1x1 weights are |a| and |b|, so θ(c) = (a·s·(1 + c·P_a·sign a), b/s·(1 + c·P_b·sign b))
    # and the product a·b along the ray, hence the loss, does not depend on s.
    x = torch.linspace(-2, 2, 41, dtype=torch.float64).unsqueeze(1)
    y = 1.5 * x
    kw = dict(thresholds=(0.01,), directions=16, seed=1, loss="mse", max_coefficient=1e3)
    normalised = [measure_volume(_toy(1.5 * s, 1.0 / s), x, y, **kw) for s in (0.1, 1.0, 10.0)]
    for res in normalised[1:]:
        np.testing.assert_allclose(res.radii, normalised[0].radii, rtol=1e-6)
        assert abs(res.log_volume() - normalised[0].log_volume()) < 1e-4
    # Without filter normalisation each ray meets the basin boundary elsewhere: per-direction radii change (the
    # expected area of this 2-D toy does not -- quadrature gives equal areas -- so log V is not compared here).
    raw = [measure_volume(_toy(1.5 * s, 1.0 / s), x, y, filter_normalize=False, **kw) for s in (1.0, 10.0)]
    assert np.max(np.abs(np.log(raw[1].radii / raw[0].radii))) > 0.5
