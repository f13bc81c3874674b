"""NaN / Inf never becomes a number (issue 12 item 5): every measure of the registry returns NaN with a reason when
an input it reads is not finite: the weights, the training examples or the loss at the weights, the held-out
inputs, the initial weights. The reason reaches ``basinlab measure``'s table and JSON."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
from torch import nn

from basinlab.measures import MEASURES, compute_measures
from basinlab.measures.base import NONFINITE_INIT
from basinlab.measures.compute import NONFINITE_DATA, NONFINITE_HELD_OUT, NONFINITE_REASON

# the registry as this package defines it (a plugin registered later would be checked the same way)
REGISTRY = sorted(MEASURES)
# small settings so the whole registry runs in seconds
SMALL = {"volume": {"directions": 2}, "volume_elementwise": {"directions": 2}, "function_space": {"directions": 2},
         "weakness": {"directions": 2}, "sam": {"steps": 2, "directions": 2}, "eps_sharpness": {"steps": 2},
         "noise": {"draws": 2}, "pac_bayes": {"draws": 2}, "hessian_density": {"steps": 4, "probes": 2},
         "hessian_trace": {"matvecs": 6}}


def _net(scale: float = 1.0) -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 2))
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(scale)
    return net


def _data(n: int = 24):
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 3, generator=g), torch.randint(0, 2, (n,), generator=g)


def _measure(name, net, train, test, init=None, loss=None):
    details: dict = {}
    compute_measures(net, train, test, [name], SMALL, 0, init_state=init, loss=loss, details=details)
    return details


def _all_nan_because(details, reason):
    return details and all(math.isnan(mv.value) and mv.details.get("reason") == reason for mv in details.values())


@pytest.mark.parametrize("name", REGISTRY)
def test_nan_weights_give_nan_with_the_reason(name):
    net = _net()
    with torch.no_grad():
        net[1].weight[0, 0] = float("nan")
    assert _all_nan_because(_measure(name, net, _data(), _data(8)), NONFINITE_REASON)


@pytest.mark.parametrize("name", REGISTRY)
def test_inf_training_inputs_give_nan_with_the_reason_where_the_measure_reads_them(name):
    x, y = _data()
    x[3, 1] = float("inf")
    details = _measure(name, _net(), (x, y), _data(8))
    if "train" in MEASURES[name].reads:
        assert _all_nan_because(details, NONFINITE_DATA), details
    else:  # norms read the weights only: their numbers stand
        assert all(math.isfinite(mv.value) for mv in details.values()), details


@pytest.mark.parametrize("name", [n for n in REGISTRY if "held_out" in MEASURES[n].reads])
def test_nan_held_out_inputs_give_nan_with_the_reason(name):
    tx, ty = _data(8)
    tx[0, 0] = float("nan")
    assert _all_nan_because(_measure(name, _net(), _data(), (tx, ty)), NONFINITE_HELD_OUT)


@pytest.mark.parametrize("name", [n for n in REGISTRY if "train" in MEASURES[n].reads])
def test_a_loss_that_overflows_at_finite_weights_gives_nan_with_the_reason(name):
    """Finite weights and data whose MSE overflows float32 (outputs ~1e24, squares ~1e48): no number is made up."""
    x, y = _data()
    details = _measure(name, _net(scale=1e12), (x, nn.functional.one_hot(y, 2).float()), _data(8), loss="mse")
    assert details and all(math.isnan(mv.value) and "training loss at these weights is not finite (inf)"
                           in mv.details["reason"] for mv in details.values()), details


def test_nan_initial_weights_blank_only_the_outputs_that_use_them():
    init = copy.deepcopy(_net()).state_dict()
    init["1.weight"][0, 0] = float("nan")
    net = _net(scale=0.5)
    norms = _measure("norms", net, _data(), None, init=init)
    assert math.isnan(norms["dist_init"].value) and norms["dist_init"].details["reason"] == NONFINITE_INIT
    assert all(math.isfinite(norms[k].value) for k in ("norm_frobenius", "norm_spectral", "norm_path"))
    pac = _measure("pac_bayes", net, _data(), None, init=init)
    assert math.isnan(pac["pac_bayes_kl"].value) and pac["pac_bayes_kl"].details["reason"] == NONFINITE_INIT
    assert math.isfinite(pac["pac_bayes_sigma"].value) and not pac["pac_bayes_sigma"].details.get("reason")


def test_every_measure_declares_what_it_reads():
    from basinlab.measures.base import READS

    for name in REGISTRY:
        assert set(MEASURES[name].reads) <= set(READS), name
    assert MEASURES["norms"].reads == () and "held_out" in MEASURES["function_space"].reads


def test_the_cli_shows_why_an_overflowing_checkpoint_has_no_numbers(tmp_path):
    """``basinlab measure`` of a checkpoint whose loss overflows: NaN (null in JSON) and the reason, in both outputs."""
    from typer.testing import CliRunner

    from basinlab.cli.app import app
    from basinlab.data import DatasetSpec
    from basinlab.models import ModelSpec, build_model
    from basinlab.train import save_checkpoint

    model = build_model(ModelSpec(kind="mlp", input_shape=(2,), num_classes=2, hidden=(4,)), seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1e20)
    spec = DatasetSpec(name="swiss-roll", split="train", size=20, options={"targets": "onehot"})
    save_checkpoint(tmp_path / "big", model, {"dataset_spec": spec, "train_config": {"loss": "mse"}})
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(app, ["measure", str(tmp_path / "big"), "--measures", "hessian_top,sam,norms",
                                      "--set", "sam.steps=2", "--set", "sam.directions=2", "--json", str(out)],
                                terminal_width=250)
    assert result.exit_code == 0, result.output
    rows = {r["measure"]: r for r in json.loads(out.read_text())}
    for name in ("hessian_top", "sam", "sam_avg"):
        assert rows[name]["value"] is None and "training loss at these weights is not finite" in rows[name]["reason"]
    assert rows["norm_frobenius"]["value"] > 1e19 and rows["norm_frobenius"]["reason"] == ""
    assert "why not a number" in result.output and "training loss at these weights is not" in result.output


def test_linear_algebra_failing_on_the_numbers_or_a_nan_result_get_a_reason_not_a_traceback(monkeypatch):
    import dataclasses

    import numpy as np

    from basinlab.measures.base import MeasureValue
    from basinlab.measures.compute import NONFINITE_RESULT

    def fails(model, data, settings, seed):
        raise np.linalg.LinAlgError("SVD did not converge")

    def gives_nan(model, data, settings, seed):
        return {"hessian_top": MeasureValue(float("nan"))}

    info = MEASURES["hessian_top"]
    monkeypatch.setitem(MEASURES, "hessian_top", dataclasses.replace(info, fn=fails))
    reason = _measure("hessian_top", _net(), _data(), None)["hessian_top"].details["reason"]
    assert reason.startswith("the computation failed numerically (LinAlgError: SVD did not converge)")
    monkeypatch.setitem(MEASURES, "hessian_top", dataclasses.replace(info, fn=gives_nan))
    assert _all_nan_because(_measure("hessian_top", _net(), _data(), None), NONFINITE_RESULT)
