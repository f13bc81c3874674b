"""Measures' ``device`` option (issue 13): the functional API, ``compute_measures`` and ``basinlab measure`` move a
copy of the model and the data to the device given; θ-space vectors and random probes stay on the CPU."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from basinlab.measures.compute import ALL_MEASURES, compute_measures

SETTINGS = {"hessian_trace": {"matvecs": 6}, "hessian_density": {"steps": 4, "probes": 2},
            "sam": {"steps": 2, "directions": 2}, "eps_sharpness": {"steps": 2}, "noise": {"draws": 3},
            "pac_bayes": {"draws": 3}, "function_space": {"directions": 2, "scales": 3, "refine": 0},
            "weakness": {"directions": 2, "scales": 3, "refine": 0}, "volume": {"directions": 2},
            "volume_elementwise": {"directions": 2}, "reparam_factors": [2.0]}


def _problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 3, generator=g)
    y = (x[:, 0] > 0).long()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 2))
    init = {k: v + 0.1 for k, v in model.state_dict().items()}
    return model, x, y, init


def _rows(device):
    model, x, y, init = _problem()
    test = (x[:20] * 1.5, y[:20])
    rows = compute_measures(model, (x, y), test, list(ALL_MEASURES), SETTINGS, 0, init_state=init, device=device)
    return {r["measure"]: r["value"] for r in rows}


def test_every_measure_runs_on_the_device_given_with_the_same_numbers():
    default, on_cpu, auto = _rows(None), _rows("cpu"), _rows("auto")
    from basinlab.measures import MEASURES

    primary = {MEASURES[name].outputs[0] for name in ALL_MEASURES}
    assert set(default) >= primary | {"dist_init", "hessian_top@a=2"}
    for name, value in default.items():
        for other in (on_cpu, auto):
            assert other[name] == value or (math.isnan(value) and math.isnan(other[name])), name


def test_bad_device_is_one_line():
    from basinlab.errors import ConfigError
    from basinlab.measures import hessian_top

    model, x, y, _ = _problem()
    with pytest.raises(ConfigError, match="device 'gpu7' is not a device; use 'cpu', 'cuda'"):
        hessian_top(model, x, y, device="gpu7")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_every_measure_on_cuda_matches_the_cpu():
    cpu, cuda = _rows("cpu"), _rows("cuda")
    for name, value in cpu.items():
        if math.isfinite(value):
            assert cuda[name] == pytest.approx(value, rel=1e-3, abs=1e-5), name
