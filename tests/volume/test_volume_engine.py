"""measure_volume on small trained models: reference agreement, invariances, fast path, edge cases."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from basinlab.landscape import RayEvaluator, resolve_loss
from basinlab.volume import direction_seed, measure_volume, random_direction
from basinlab.volume.reference import reference_grid, reference_radii


def test_agrees_with_the_dense_grid_reference_within_its_resolution(mlp_problem):
    model, x, y = mlp_problem
    res = measure_volume(model, x, y, directions=4, seed=2, max_coefficient=1.0)
    ref, ref_cens = reference_radii(model, x, y, threshold=0.1, directions=4, seed=2)
    grid = reference_grid()
    for k in range(4):
        assert not ref_cens[k] and not res.censored[k, 0, 0]
        norm = res.norms[k]
        j = int(np.argmin(np.abs(grid * norm - ref[k])))
        # the exact crossing lies in the grid cell ending at the reference's first point above τ
        assert grid[j - 1] * norm < res.radii[k, 0, 0] <= grid[j] * norm


def test_radius_of_direction_k_does_not_depend_on_k_batching_or_threads(mlp_problem):
    model, x, y = mlp_problem
    base = measure_volume(model, x, y, directions=3, thresholds=(0.1, 0.3)).radii
    variants = [
        measure_volume(model, x, y, directions=7, thresholds=(0.1, 0.3), batch_directions=1).radii[:3],
        measure_volume(model, x, y, directions=7, thresholds=(0.1, 0.3), batch_directions=5).radii[:3],
    ]
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        variants.append(measure_volume(model, x, y, directions=3, thresholds=(0.1, 0.3)).radii)
    finally:
        torch.set_num_threads(previous)
    for radii in variants:
        np.testing.assert_allclose(radii, base, rtol=1e-6)


@pytest.mark.parametrize("problem,rows", [("mlp_problem", 300), ("mlp_problem", 120), ("cnn_problem", 120)])
def test_fast_path_equals_general_path_in_float64(problem, rows, request):
    # the 300-row MLP takes the per-point strategy, the 120-row MLP and the CNN the batched one
    model, x, y = request.getfixturevalue(problem)
    x, y = x[:rows], y[:rows]
    model = copy.deepcopy(model).double()
    x = x.double()
    loss_fn, _ = resolve_loss("cross_entropy", None)
    evs = [RayEvaluator(model, x, y, loss_fn, [len(x)], tau_exit=None, general=g) for g in (False, True)]
    assert evs[0].fast and not evs[1].fast
    dirs = [random_direction(model, direction_seed(0, k))[0] for k in range(3)]
    k = torch.tensor([0, 1, 2, 0, 2])
    c = torch.tensor([0.0, 0.1, 0.3, 0.7, 1.5], dtype=torch.float64)
    out = []
    for ev in evs:
        ev.set_directions(dirs)
        out.append(ev.evaluate(k, c, torch.zeros(5, dtype=torch.long))[0])
    torch.testing.assert_close(out[0], out[1], rtol=1e-10, atol=1e-12)
    # and against a plain forward pass at the perturbed parameters
    with torch.no_grad():
        moved = copy.deepcopy(model)
        for p, q in zip(moved.parameters(), dirs[2], strict=True):
            p.add_(0.3 * q)
        plain = torch.nn.functional.cross_entropy(moved(x), y).item()
    assert abs(out[0][2, 0].item() - plain) < 1e-10
    fast = measure_volume(model, x, y, directions=3)
    general = measure_volume(model, x, y, directions=3, general_path=True)
    np.testing.assert_allclose(fast.radii, general.radii, rtol=1e-9)


def test_early_exit_does_not_change_radii_and_saves_work(mlp_problem):
    model, x, y = mlp_problem
    big_x, big_y = x.repeat(4, 1), y.repeat(4)  # 1200 rows: early-exit checkpoints at 512 and 1024
    on = measure_volume(model, big_x, big_y, directions=3)
    off = measure_volume(model, big_x, big_y, directions=3, nonnegative_loss=False)
    np.testing.assert_allclose(on.radii, off.radii, rtol=1e-6)
    # a point far above τ is proven above after the first 512-row checkpoint and reported as a lower bound
    loss_fn, _ = resolve_loss("cross_entropy", None)
    ev = RayEvaluator(model, big_x, big_y, loss_fn, [1200], tau_exit=0.2)
    ev.set_directions([random_direction(model, direction_seed(0, 0))[0]])
    k, need = torch.zeros(2, dtype=torch.long), torch.zeros(2, dtype=torch.long)
    vals, exact, known = ev.evaluate(k, torch.tensor([0.0, 5.0], dtype=torch.float64), need)
    assert known.all() and exact[0, 0] and not exact[1, 0]
    assert ev.point_rows == 1200 + 512
    full, _, _ = ev.evaluate(k, torch.tensor([0.0, 5.0], dtype=torch.float64), need, early_exit=False)
    assert 0.2 < vals[1, 0] <= full[1, 0] and vals[0, 0] == full[0, 0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nested_landscapes_equal_separate_calls(mlp_problem, dtype):
    model, x, y = mlp_problem
    model, x = copy.deepcopy(model).to(dtype), x.to(dtype)
    # alone, the 300 rows are one segment evaluated point by point; nested, the segments (50, 70, 180 rows) are
    # batched: float32 GEMM kernels differ, so float32 losses agree to rounding (~1e-7), float64 ones to 1e-12
    rel = 1e-6 if dtype == torch.float32 else 1e-12
    nested = measure_volume(model, x, y, directions=3, thresholds=(0.1, 0.2), landscapes=[50, 120, 300])
    for li, size in enumerate([50, 120, 300]):
        alone = measure_volume(model, x[:size], y[:size], directions=3, thresholds=(0.1, 0.2))
        np.testing.assert_allclose(nested.radii[:, :, li], alone.radii[:, :, 0], rtol=1e-6)
        assert nested.centre_loss[li] == pytest.approx(alone.centre_loss[0], rel=rel)


def test_rows_past_the_last_landscape_with_a_search_are_never_evaluated(mlp_problem):
    """A model measured in nested landscapes whose larger ones it does not fit (centre above every τ, as a model
    trained on 60 examples is in the paper's 6,000-example landscape): those landscapes get volume 0, the others
    the radii of a call without them, and no row past the last fitted landscape enters B_k or a point."""
    model, x, y = mlp_problem
    y_bad = y.clone()
    y_bad[120:] = (y[120:] + 1) % 3  # every row after the first 120 mislabelled: its centre loss is far above τ
    nested = measure_volume(model, x, y_bad, directions=3, thresholds=(0.1, 0.2), landscapes=[50, 120, 300])
    alone = measure_volume(model, x, y_bad, directions=3, thresholds=(0.1, 0.2), landscapes=[50, 120])
    assert nested.centre_loss[2] > 0.2 >= nested.centre_loss[1]
    np.testing.assert_array_equal(nested.radii[:, :, :2], alone.radii)
    assert (nested.radii[:, :, 2] == 0).all() and not nested.censored.any()
    assert nested.counts["direction_rows"] == 300 + 3 * 120  # the centre's pilot direction on all rows, then 120
    assert nested.counts["point_rows"] == 300 + alone.counts["point_rows"] - 120  # each centre pass, then the same
    everywhere_above = measure_volume(model, x, y_bad, directions=3, thresholds=(0.1,), landscapes=[200, 300])
    assert (everywhere_above.radii == 0).all() and everywhere_above.counts["direction_rows"] == 300


def test_the_batch_size_follows_the_rows_the_searches_use(mlp_problem):
    model, x, y = mlp_problem
    x_big = torch.cat([x[:120], x.repeat(5, 1)[: 1500 - 120]])
    y_big = torch.cat([y[:120], (y.repeat(5)[: 1500 - 120] + 1) % 3])  # rows 120.. mislabelled: no search there
    nested = measure_volume(model, x_big, y_big, directions=3, thresholds=(0.1,), landscapes=[120, 1500])
    alone = measure_volume(model, x_big[:120], y_big[:120], directions=3, thresholds=(0.1,))
    assert nested.centre_loss[1] > 0.1 and nested.radii[:, 0, 1].max() == 0
    assert nested.counts["batch_directions"] == alone.counts["batch_directions"] == 16  # not 16,384 // 1,500 = 10
    np.testing.assert_array_equal(nested.radii[:, :, 0], alone.radii[:, :, 0])


def test_searches_of_one_ray_share_brackets_and_scans(mlp_problem):
    """Three thresholds x three nested landscapes in one call: the same radii as the nine searches run one by one,
    for about half their point-rows (the searches of one ray scan largest landscape first, lowest τ first, and start
    from each other's points; without that sharing the ratio was 0.99 on this case)."""
    model, x, y = mlp_problem
    taus, sizes = (0.1, 0.05, 0.02), [50, 120, 300]
    joint = measure_volume(model, x, y, directions=4, thresholds=taus, landscapes=sizes)
    rows = 0
    for t, tau in enumerate(taus):
        for li, n in enumerate(sizes):
            alone = measure_volume(model, x[:n], y[:n], directions=4, thresholds=(tau,))
            np.testing.assert_allclose(joint.radii[:, t, li], alone.radii[:, 0, 0], rtol=1e-6)
            rows += alone.counts["point_rows"]
    assert (joint.radii > 0).all()
    assert joint.counts["point_rows"] < 0.65 * rows


def test_censored_directions_report_the_search_limit(mlp_problem):
    model, x, y = mlp_problem
    res = measure_volume(model, x, y, directions=3, max_coefficient=1e-3)
    assert res.censored.all()
    np.testing.assert_allclose(res.radii[:, 0, 0], 1e-3 * res.norms)
    assert res.summary()["n_censored"].iloc[0] == 3


def test_centre_above_threshold_gives_zero_radii_and_minus_infinite_volume(mlp_problem):
    model, x, y = mlp_problem
    res = measure_volume(model, x, y, directions=2, thresholds=(1e-9, 0.1))
    assert res.centre_loss[0] > 1e-9
    assert (res.radii[:, 0, 0] == 0).all() and (res.radii[:, 1, 0] > 0).all()
    assert res.log_volume(1e-9) == -math.inf and math.isfinite(res.log_volume(0.1))
    assert res.centre_above(1e-9) and not res.centre_above(0.1)


def test_nan_losses_count_as_above_and_are_reported(mlp_problem):
    model, x, y = mlp_problem

    def nan_beyond(outputs, targets):  # NaN once any logit is large; cross-entropy otherwise
        ce = torch.nn.functional.cross_entropy(outputs, targets, reduction="none")
        return torch.where(outputs.abs().amax(dim=1) > 40, torch.full_like(ce, float("nan")), ce)

    plain = measure_volume(model, x, y, directions=2, thresholds=(5.0,), max_coefficient=3.0)
    res = measure_volume(model, x, y, directions=2, thresholds=(5.0,), loss=nan_beyond, max_coefficient=3.0)
    assert res.counts["nonfinite_points"] > 0
    assert (res.radii <= plain.radii * (1 + 1e-4)).all()
    assert (res.radii < plain.radii).any()


def test_model_is_untouched_and_its_mode_restored(mlp_problem):
    model, x, y = mlp_problem
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    measure_volume(model, x, y, directions=2)
    assert model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    model.eval()


class _Residual(torch.nn.Module):
    """Not an nn.Sequential: measured through the general (torch.func) path."""

    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Linear(20, 20)
        self.b = torch.nn.Linear(20, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x)) + x)


def test_any_module_uses_the_general_path_and_agrees_with_the_reference(mlp_problem):
    _, x, y = mlp_problem
    torch.manual_seed(0)
    model = _Residual()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    res = measure_volume(model, x, y, directions=3, max_coefficient=1.0)
    assert not res.counts["fast_path"]
    ref, _ = reference_radii(model, x, y, threshold=0.1, directions=3)
    grid = reference_grid()
    for k in range(3):
        j = int(np.argmin(np.abs(grid * res.norms[k] - ref[k])))
        assert grid[j - 1] * res.norms[k] < res.radii[k, 0, 0] <= grid[j] * res.norms[k]
