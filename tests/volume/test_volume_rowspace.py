"""``direction_draw='rowspace'`` (issue 14 item 2): the reduced problem gives the same losses along a ray as the
original, the radii have the explicit stream's distribution (two-sample tests over 2,000 directions per mode, log V
within a bootstrap interval), the stream is deterministic, and the modes it cannot serve are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn
from torch.func import functional_call

from basinlab.errors import ConfigError
from basinlab.volume import VolumeResult, measure_volume
from basinlab.volume.directions_rowspace import rowspace_problem

N, SIDE = 24, 8  # the small_problem fixture (conftest): 24 images of 8x8 = 64 inputs, so rowspace applies


def _loss(model: nn.Module, params: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    names = [n for n, _ in model.named_parameters()]
    out = functional_call(model, dict(zip(names, params, strict=True)), (x,))
    return float(nn.functional.cross_entropy(out, y))


def test_reduced_problem_has_the_original_losses_along_the_ray(small_problem):
    """The reduced direction Q̃ stands for Q = (Q̃₁·Uᵀ, Q̃_rest): the loss at θ0 + c·Q in the original model equals
    the loss at θ̃0 + c·Q̃ in the reduced one (float64: to 1e-10), and ‖P‖ exceeds the drawn part by a χ²."""
    model32, x, y = small_problem
    model = nn.Sequential(*[m for m in model32]).double()
    xd = x.double()
    prob = rowspace_problem(model, xd, "rows")
    assert prob.inputs.shape == (N, N) and prob.basis.shape == (SIDE * SIDE, N)
    assert prob.chi_df == 16 * (SIDE * SIDE - N)
    (q, norm), = prob.draw([5])
    full = [q[0] @ prob.basis.T] + q[1:]
    theta0 = [p.detach() for p in model.parameters()]
    small0 = [p.detach() for p in prob.model.parameters()]
    for c in (0.0, 0.01, 0.05, 0.2):
        a = _loss(model, [p + c * d for p, d in zip(theta0, full, strict=True)], xd, y)
        b = _loss(prob.model, [p + c * d for p, d in zip(small0, q, strict=True)], prob.inputs, y)
        assert b == pytest.approx(a, rel=1e-10, abs=1e-14)
    raw_first = q[0] / prob.scales[0]  # the drawn N(0, 1) block before filter scaling by the original row norms
    drawn = float(sum(t.square().sum() for t in [raw_first] + q[1:]))  # biases and later layers unscaled ('rows')
    assert prob.scales[0].flatten() == pytest.approx(model[1].weight.detach().norm(dim=1))
    assert norm**2 - drawn > 0.5 * prob.chi_df  # the χ²(h·(d − N)) remainder is there (mean chi_df, sd ~ 45)


@pytest.mark.filterwarnings("ignore:p-value (capped|floored)")  # scipy's Anderson–Darling table ends at 0.25/0.001
def test_radii_have_the_explicit_distribution(small_problem):
    """Two-sample KS and Anderson–Darling tests over 2,000 directions per mode do not reject equal radius
    distributions, and log V agrees within the 99% bootstrap interval of the difference; a 3% scale error on the
    same radii is rejected by both tests (they can fail)."""
    model, x, y = small_problem
    k = 2000
    fast = dict(directions=k, rtol=1e-2, scan_points=2, batch_directions=500)
    explicit = measure_volume(model, x, y, seed=0, **fast)
    rowspace = measure_volume(model, x, y, seed=1, direction_draw="rowspace", **fast)
    assert rowspace.direction_draw == "rowspace" and explicit.direction_draw == "explicit"
    a, b = explicit.radii[:, 0, 0], rowspace.radii[:, 0, 0]
    assert not explicit.censored.any() and not rowspace.censored.any()
    assert stats.ks_2samp(a, b).pvalue > 0.01
    assert stats.anderson_ksamp([a, b], variant="midrank").pvalue > 0.01
    assert stats.ks_2samp(a, 1.03 * b).pvalue < 1e-3
    assert stats.anderson_ksamp([a, 1.03 * b], variant="midrank").pvalue <= 1e-3  # floored at 0.001
    assert stats.ks_2samp(explicit.norms, rowspace.norms).pvalue > 0.01  # ‖P‖ with its χ² part
    # log V: bootstrap both (independent resamples of directions) and take the interval of the difference
    n = explicit.n_params
    assert n == rowspace.n_params == sum(p.numel() for p in model.parameters())
    rng = np.random.default_rng(0)

    def boot(r: np.ndarray) -> np.ndarray:
        t = n * np.log(r[rng.integers(0, len(r), size=(2000, len(r)))])
        m = t.max(axis=1, keepdims=True)
        return m[:, 0] + np.log(np.exp(t - m).sum(axis=1)) - np.log(len(r))

    diff = boot(a) - boot(b)
    lo, hi = np.quantile(diff, [0.005, 0.995])
    assert lo <= 0 <= hi, (explicit.log_volume(), rowspace.log_volume(), lo, hi)


def test_same_seed_same_radii_own_stream(small_problem, tmp_path):
    """Rowspace radii are a pure function of the seed (bit-identical across calls and batch sizes, landscapes nested),
    differ from the explicit stream of the same seed, and the mode survives save/load."""
    model, x, y = small_problem
    kw = dict(directions=12, seed=7, landscapes=[10, N], thresholds=(0.1, 0.05), direction_draw="rowspace")
    one = measure_volume(model, x, y, **kw)
    two = measure_volume(model, x, y, batch_directions=5, **kw)
    assert np.array_equal(one.radii, two.radii) and np.array_equal(one.norms, two.norms)
    general = measure_volume(model, x, y, general_path=True, **kw)  # the reduced model is a genuine model
    assert not general.counts["fast_path"] and np.allclose(general.radii, one.radii, rtol=1e-5, atol=0)
    assert (one.radii > 0).all()
    explicit = measure_volume(model, x, y, **{**kw, "direction_draw": "explicit"})
    assert np.array_equal(one.seeds, explicit.seeds)  # direction k keeps its seed; the draw from it differs
    assert not np.isclose(one.norms, explicit.norms).any()
    assert np.array_equal(one.centre_loss, explicit.centre_loss) or np.allclose(one.centre_loss, explicit.centre_loss,
                                                                                 rtol=1e-5)
    one.save(tmp_path / "r.safetensors")
    back = VolumeResult.load(tmp_path / "r.safetensors")
    assert back.direction_draw == "rowspace" and np.array_equal(back.radii, one.radii)


def test_explicit_is_the_default(small_problem):
    """``direction_draw='explicit'`` is the default stream, bit for bit."""
    model, x, y = small_problem
    default = measure_volume(model, x, y, directions=6, seed=2)
    named = measure_volume(model, x, y, directions=6, seed=2, direction_draw="explicit")
    assert np.array_equal(default.radii, named.radii) and default.direction_draw == "explicit"


def test_refused_where_it_cannot_apply(small_problem, cnn_problem, mlp_problem):
    model, x, y = small_problem
    with pytest.raises(ConfigError, match="direction_draw 'rows' is unknown"):
        measure_volume(model, x, y, directions=2, direction_draw="rows")
    with pytest.raises(ConfigError, match="normalization='elementwise'"):
        measure_volume(model, x, y, directions=2, direction_draw="rowspace", normalization="elementwise")
    wide = torch.cat([x] * 3)  # 72 rows >= 64 inputs
    with pytest.raises(ConfigError, match="got 72 rows and 64 inputs"):
        measure_volume(model, wide, torch.cat([y] * 3), directions=2, direction_draw="rowspace")
    mlp, xm, ym = mlp_problem  # 300 rows, 20 inputs
    with pytest.raises(ConfigError, match="fewer rows than the first layer has inputs"):
        measure_volume(mlp, xm, ym, directions=2, direction_draw="rowspace")
    cnn, xc, yc = cnn_problem
    with pytest.raises(ConfigError, match="layer 0 is Conv2d"):
        measure_volume(cnn, xc[:5], yc[:5], directions=2, direction_draw="rowspace")

    class Wrapped(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = model

        def forward(self, t: torch.Tensor) -> torch.Tensor:
            return self.body(t)

    with pytest.raises(ConfigError, match="needs an nn.Sequential"):
        measure_volume(Wrapped(), x, y, directions=2, direction_draw="rowspace")
