"""Function-preserving reparameterisations: outputs unchanged, weight-space sharpness inflated, function-space
measure and (filter-normalised) basin volume unchanged — the Dinh et al. (2017) demonstration."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from basinlab.errors import ConfigError
from basinlab.measures import (
    check_function_preserved,
    compute_measures,
    fold_batchnorm,
    reparameterize,
    reparameterize_per_neuron,
)


def test_mlp_layer_and_per_neuron_rescaling_keep_outputs(trained_mlp, blobs):
    model, _ = trained_mlp
    x = blobs[2]
    scaled = reparameterize(model, 1, 25.0)
    assert check_function_preserved(model, scaled, x, atol=1e-5)
    g = torch.Generator().manual_seed(0)
    per = reparameterize_per_neuron(model, 0, torch.exp(torch.randn(12, generator=g) * 2))
    assert check_function_preserved(model, per, x, atol=1e-5)
    assert not torch.allclose(per[1].weight, model[1].weight)  # parameters did change
    broken = reparameterize(model, 1, 25.0)
    with torch.no_grad():
        broken[5].weight.mul_(25.0)  # undo the compensation: no longer the same function
    check = check_function_preserved(model, broken, x, atol=1e-6)
    assert not check and check.max_abs_diff > 1e-3


def test_cnn_rescaling_across_conv_pool_flatten_keeps_outputs():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6 * 2 * 2, 10), nn.ReLU(), nn.Linear(10, 3),
    )
    x = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(2)
    for layer, units in ((0, 4), (1, 6), (2, 10)):
        scales = torch.exp(torch.randn(units, generator=g))
        assert check_function_preserved(model, reparameterize_per_neuron(model, layer, scales), x, atol=1e-5), layer


def test_batchnorm_folding_keeps_eval_outputs_and_enables_rescaling():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 3)).eval()
    with torch.no_grad():
        bn = model[1]
        bn.running_mean.copy_(torch.randn(7))
        bn.running_var.copy_(torch.rand(7) + 0.5)
        bn.weight.copy_(torch.randn(7))
        bn.bias.copy_(torch.randn(7))
    x = torch.randn(32, 5)
    with pytest.raises(ConfigError, match="fold_batchnorm"):
        reparameterize(model, 0, 2.0)
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in folded.modules())
    assert check_function_preserved(model, folded, x, atol=1e-6)
    assert check_function_preserved(model, reparameterize(folded, 0, 10.0), x, atol=1e-5)


def test_bad_reparameterisation_arguments(trained_mlp):
    model, _ = trained_mlp
    with pytest.raises(ConfigError, match="layer 2 is out of range.*0..1"):
        reparameterize(model, 2, 2.0)
    with pytest.raises(ConfigError, match="positive number"):
        reparameterize(model, 0, -1.0)
    with pytest.raises(ConfigError, match="12 positive numbers"):
        reparameterize_per_neuron(model, 0, torch.ones(5))


def test_demo_sharpness_inflates_while_function_measures_stay_put(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y, xt, yt = blobs
    scaled = reparameterize(model, 0, 30.0)
    assert check_function_preserved(model, scaled, xt, atol=1e-5).argmax_agreement == 1.0
    names = ["hessian_top", "function_space", "norms", "sam"]
    settings = {"function_space": {"directions": 8}, "sam": {"directions": 4, "steps": 3}}
    a = {r["measure"]: r["value"] for r in compute_measures(model, (x, y), (xt, yt), names, settings, seed=0)}
    b = {r["measure"]: r["value"] for r in compute_measures(scaled, (x, y), (xt, yt), names, settings, seed=0)}
    assert b["hessian_top"] >= 100 * a["hessian_top"]
    assert b["sam"] > 10 * a["sam"]
    assert a["function_space"] > 0  # the measure is not trivially zero here
    assert b["function_space"] == pytest.approx(a["function_space"], abs=1e-12)
    assert b["norm_path"] == pytest.approx(a["norm_path"], rel=1e-6)
    assert b["asam"] == pytest.approx(a["asam"], rel=1e-3)


def _log_volume(model, x, y):
    from basinlab.measures.volume_measure import volume_value
    from basinlab.volume import measure_volume

    return volume_value(measure_volume(model, x, y, directions=16, seed=0))


def test_demo_filter_normalised_volume_stays_within_its_ci(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y = blobs[0], blobs[1]
    before = _log_volume(model, x, y)
    after = _log_volume(reparameterize(model, 0, 30.0), x, y)
    width = before.details["hi"] - before.details["lo"]
    assert math.isfinite(before.value) and width > 0
    # Biases are not filter-normalised (F = 1), so the volume shifts slightly (a few nats here); the shift
    # is far inside the bootstrap CI width over directions.
    assert abs(after.value - before.value) < 0.5 * width
    assert after.details["lo"] <= before.value <= after.details["hi"]


def test_volume_is_exactly_invariant_without_hidden_biases(blobs):
    from measures_testlib import fit

    x, y = blobs[0], blobs[1]
    torch.manual_seed(0)
    model = fit(nn.Sequential(nn.Flatten(), nn.Linear(6, 12, bias=False), nn.ReLU(), nn.Linear(12, 3)), x, y)
    before = _log_volume(model, x, y)
    after = _log_volume(reparameterize(model, 0, 30.0), x, y)
    assert after.value == pytest.approx(before.value, rel=1e-4)


def test_reparam_factors_setting_adds_rescaled_rows(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y, xt, yt = blobs
    rows = compute_measures(model, (x, y), (xt, yt), ["hessian_top", "norms"],
                            {"reparam_factors": [10.0], "reparam_layer": 1}, seed=0)
    by = {r["measure"]: r["value"] for r in rows}
    assert set(by) >= {"hessian_top", "hessian_top@a=10", "norm_path@a=10"}
    assert by["hessian_top@a=10"] > 10 * by["hessian_top"]
    assert by["norm_path@a=10"] == pytest.approx(by["norm_path"], rel=1e-6)
    # the function check: outputs of the rescaled float32 network equal the original's to float32 rounding
    assert 0.0 <= by["max_output_change@a=10"] < 1e-4 and by["prediction_agreement@a=10"] == 1.0
    assert "max_output_change" not in by  # only rescaled networks are compared
    broken = copy.deepcopy(model)
    with torch.no_grad():
        next(broken.parameters()).view(-1)[0] = float("nan")
    rows = compute_measures(broken, (x, y), (xt, yt), ["norms"], {"reparam_factors": [10.0], "reparam_layer": 1}, seed=0)
    by = {r["measure"]: r["value"] for r in rows}
    assert math.isnan(by["max_output_change@a=10"]) and math.isnan(by["prediction_agreement@a=10"])  # no made-up 1
    with pytest.raises(ConfigError, match="reparam_factors must be a list of positive numbers"):
        compute_measures(model, (x, y), None, ["norms"], {"reparam_factors": [0.0]}, seed=0)
