"""The one interface: rows in the measures-table columns, seeds, settings validation (ConfigError names the key)."""

from __future__ import annotations

import json
import math

import pytest

from basinlab.errors import ConfigError
from basinlab.measures import MEASURES, compute_measures, validate_measure_settings

FAST = {"examples": 120, "test_examples": 120, "hessian_trace": {"matvecs": 9}, "hessian_density": {"steps": 5,
        "probes": 2}, "sam": {"steps": 2, "directions": 3}, "eps_sharpness": {"steps": 3}, "noise": {"draws": 4},
        "pac_bayes": {"draws": 4, "rtol": 0.05}, "function_space": {"directions": 3, "refine": 1},
        "volume": {"directions": 4}}


def test_every_measure_returns_rows_in_the_table_columns(trained_mlp, blobs):
    model, init = trained_mlp
    x, y, xt, yt = blobs
    rows = compute_measures(model, (x, y), (xt, yt), "all", FAST, seed=0, init_state=init, landscape="train:240")
    names = [r["measure"] for r in rows]
    expected = [out for info in MEASURES.values() for out in info.outputs]
    assert sorted(names) == sorted(expected)
    for r in rows:
        assert set(r) == {"measure", "value", "stderr", "landscape", "settings"}
        assert r["landscape"] == "train:240"
        assert isinstance(r["value"], float) and isinstance(r["stderr"], float)
        assert json.loads(r["settings"])["seed"] == 0
        assert math.isfinite(r["value"]), r["measure"]
    by = {r["measure"]: r for r in rows}
    assert math.isnan(by["hessian_top"]["stderr"]) and by["noise"]["stderr"] > 0
    assert by["dist_init"]["value"] > 0


def test_measures_are_deterministic_under_seeds(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y, xt, yt = blobs
    names = ["hessian_trace", "noise", "sam", "pac_bayes", "function_space"]
    a = compute_measures(model, (x, y), (xt, yt), names, FAST, seed=4)
    b = compute_measures(model, (x, y), (xt, yt), names, FAST, seed=4)
    c = compute_measures(model, (x, y), (xt, yt), names, FAST, seed=5)
    assert [r["value"] for r in a] == [r["value"] for r in b]
    differs = {r["measure"] for r, s in zip(a, c, strict=True) if r["value"] != s["value"]}
    assert {"hessian_trace", "noise", "sam_avg", "pac_bayes_sigma"} <= differs


@pytest.mark.parametrize(
    ("names", "settings", "match"),
    [
        (["hessian_tops"], {}, "measure name.*hessian_tops.*unknown"),
        (["sam"], {"sam": {"radius": 0.1}}, r"measures\.sam\.radius is unknown.*'rho'"),
        (["sam"], {"sam": {"rho": "big"}}, r"measures\.sam\.rho must be of type float"),
        (["sam"], {"sam": {"rho": -0.1}}, r"measures\.sam\.rho must be positive"),
        (["noise"], {"noise": {"draws": 1.5}}, r"measures\.noise\.draws must be of type int"),
        (["noise"], {"examples": -3}, r"measures\.examples must be a non-negative integer"),
        (["noise"], {"sharpnes": {}}, r"measures\.sharpnes is unknown"),
        (["noise"], {"sam": 0.05}, r"measures\.sam must be a table"),
        (["hessian_trace"], {"hessian_trace": {"method": "exact"}}, "'hutchpp' or 'hutchinson'"),
    ],
)
def test_bad_settings_raise_config_error_naming_the_key(names, settings, match):
    with pytest.raises(ConfigError, match=match):
        validate_measure_settings(names, settings)


def test_validate_expands_all_and_accepts_good_settings():
    assert validate_measure_settings("all", {"sam": {"rho": 0.1}, "examples": 500})[0] == "hessian_top"
    assert validate_measure_settings("sam,noise", None) == ["sam", "noise"]


def test_function_space_without_test_data_is_a_config_error(trained_mlp, blobs):
    model, _ = trained_mlp
    with pytest.raises(ConfigError, match="function_space needs held-out inputs"):
        compute_measures(model, (blobs[0], blobs[1]), None, ["function_space"], FAST, seed=0)
    with pytest.raises(ConfigError, match="seed must be an integer"):
        compute_measures(model, (blobs[0], blobs[1]), None, ["noise"], FAST, seed=1.5)


def test_edge_scale_is_the_first_crossing_not_a_later_island():
    import numpy as np

    from basinlab.measures import edge_scale

    grid = np.geomspace(1e-3, 1.0, 8)
    c, censored = edge_scale(lambda c: c < 0.3 or 0.5 < c < 0.6, grid, refine=20)
    assert c == pytest.approx(0.3, abs=1e-5) and not censored
    assert edge_scale(lambda c: True, grid, refine=5) == (1.0, True)
    assert edge_scale(lambda c: False, grid, refine=5)[0] == 0.0
