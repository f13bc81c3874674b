"""Weakness: the log-volume of completions on unseen inputs left open by compatible hypotheses of the network."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from basinlab.errors import ConfigError
from basinlab.measures import compute_measures, reparameterize, reparameterize_per_neuron
from basinlab.measures.weakness import weakness_from_label_sets

SETTINGS = {"weakness": {"directions": 6, "refine": 2}}


def _value(model, blobs, settings=SETTINGS, details=None):
    x, y, xt, yt = blobs
    rows = compute_measures(model, (x, y), (xt, yt), ["weakness"], settings, seed=3, details=details)
    return rows[0]["value"], rows[0]["stderr"]


def test_label_set_volume_by_hand():
    seen = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=bool)
    assert weakness_from_label_sets(seen) == pytest.approx((0 + math.log(2) + math.log(3)) / 3)


def test_weakness_is_positive_bounded_and_has_a_jackknife_error(trained_mlp, blobs):
    model, _ = trained_mlp
    details = {}
    value, stderr = _value(model, blobs, details=details)
    d = details["weakness"].details
    assert 0 < value <= math.log(3)  # three classes: at most log 3 nats per unseen input
    assert math.isfinite(stderr) and stderr >= 0
    assert d["open_share"] > 0 and d["samples"] > 0 and d["distinct"] >= 2
    assert d["total_nats"] == pytest.approx(value * d["unseen"])


def test_invariant_under_layer_wise_and_per_neuron_rescaling(trained_mlp, blobs):
    model, _ = trained_mlp
    base, _ = _value(model, blobs)
    layer = reparameterize(model, 0, 100.0)
    g = torch.Generator().manual_seed(1)
    neuron = reparameterize_per_neuron(model, 1, torch.exp(torch.randn(8, generator=g) * 2))
    assert _value(layer, blobs)[0] == pytest.approx(base, abs=1e-12)
    assert _value(neuron, blobs)[0] == pytest.approx(base, abs=1e-12)


def test_fewer_training_constraints_leave_more_completions_open(trained_mlp, blobs):
    model, _ = trained_mlp
    exact = {"weakness": {"directions": 6, "refine": 0}}  # grid points only: the sample sets nest exactly
    all_rows, _ = _value(model, blobs, exact)
    few, _ = _value(model, blobs, {**exact, "examples": 5})
    assert few > all_rows


def test_needs_unseen_inputs_and_ordered_scales(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y, _, _ = blobs
    with pytest.raises(ConfigError, match="weakness needs unseen inputs"):
        compute_measures(model, (x, y), None, ["weakness"], SETTINGS, seed=0)
    with pytest.raises(ConfigError, match="c_min must be below c_max"):
        _value(model, blobs, {"weakness": {"c_min": 2.0, "c_max": 1.0}})


def test_nan_weights_give_nan_not_a_number(trained_mlp, blobs):
    model, _ = trained_mlp
    broken = reparameterize(model, 0, 1.0)
    with torch.no_grad():
        broken[1].weight[0, 0] = float("nan")
    details = {}
    value, _ = _value(broken, blobs, details=details)
    assert math.isnan(value) and "not finite" in details["weakness"].details["reason"]


def test_volume_elementwise_measure_is_invariant_where_the_paper_mode_drifts(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y, _, _ = blobs
    model64 = reparameterize(model, 0, 1.0).double()
    scaled = reparameterize(model64, 0, 0.01)
    settings = {"volume": {"directions": 6, "threshold": 0.5}, "volume_elementwise": {"directions": 6, "threshold": 0.5}}

    def run(net):
        rows = compute_measures(net, (x.double(), y), None, ["volume", "volume_elementwise"], settings, seed=0)
        return {r["measure"]: r["value"] for r in rows}

    a, b = run(model64), run(scaled)
    assert math.isfinite(a["volume_elementwise"])
    assert b["volume_elementwise"] == pytest.approx(a["volume_elementwise"], rel=1e-10)
    assert abs(b["volume"] - a["volume"]) > 1e-3 * abs(a["volume"])  # the paper's rows mode moves (hidden biases)
