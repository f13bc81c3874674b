"""fit_power_law recovers a known exponent; −inf/NaN handling; grouping rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from basinlab.analysis import PowerLawSkipped, fit_power_law
from basinlab.errors import DataError

N_PARAMS = 1000


def _frames(alpha, *, seeds=10, sizes=(100, 300, 1000, 3000, 10000), seed_sd=5.0, point_sd=5.0, rng_seed=0,
            n_params=N_PARAMS, variant="adamw"):
    """Own-landscape volumes with log V = n·α·log D + c + seed effect + noise (nats)."""
    rng = np.random.default_rng(rng_seed)
    models, volumes = [], []
    for s in range(seeds):
        effect = seed_sd * rng.standard_normal()
        for d in sizes:
            mid = f"{variant}-{s}-{d}"
            models.append({"model_id": mid, "variant": variant, "dataset": "toy", "train_size": d, "poison": 0,
                           "imbalance": "", "model_seed": s, "data_seed": s, "test_acc": 0.5})
            log_v = n_params * alpha * np.log(d) + 40.0 + effect + point_sd * rng.standard_normal()
            volumes.append({"model_id": mid, "epoch": -1, "landscape": f"train:{d}", "landscape_size": d,
                            "threshold": 0.1, "n_params": n_params, "log_volume": log_v})
    return pd.DataFrame(volumes), pd.DataFrame(models)


def test_noise_free_fit_is_exact():
    volumes, models = _frames(-0.25, seed_sd=0.0, point_sd=0.0)
    fit = fit_power_law(volumes, models, n_boot=200).iloc[0]
    assert fit["alpha"] == pytest.approx(-0.25, abs=1e-12)
    assert fit["slope"] == pytest.approx(-0.25 * N_PARAMS, rel=1e-12)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-12)
    assert (fit["n_points"], fit["n_seeds"], fit["n_sizes"], fit["n_excluded"]) == (50, 10, 5, 0)


def test_bootstrap_interval_covers_the_true_exponent_most_of_the_time():
    # 60 independent synthetic studies with 20 seeds each: a 95% interval should cover the truth in about 57;
    # allow for the percentile bootstrap's known small-sample undercoverage and binomial noise (sd ≈ 1.7).
    covered, widths = 0, []
    for rep in range(60):
        volumes, models = _frames(-0.3, seeds=20, rng_seed=rep, seed_sd=20.0, point_sd=20.0)
        fit = fit_power_law(volumes, models, n_boot=400, seed=rep).iloc[0]
        covered += fit["alpha_lo"] <= -0.3 <= fit["alpha_hi"]
        widths.append(fit["alpha_hi"] - fit["alpha_lo"])
        assert fit["alpha_lo"] < fit["alpha"] < fit["alpha_hi"]
    assert covered >= 51, f"95% interval covered the true α in only {covered}/60 studies"
    assert 0 < np.median(widths) < 0.01  # informative: the noise is small against n·α


def test_bootstrap_is_seeded():
    volumes, models = _frames(-0.3, seed_sd=20.0, point_sd=20.0)
    a = fit_power_law(volumes, models, n_boot=300, seed=7)
    b = fit_power_law(volumes, models, n_boot=300, seed=7)
    c = fit_power_law(volumes, models, n_boot=300, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert a["alpha_lo"].iloc[0] != c["alpha_lo"].iloc[0]


def test_minus_inf_is_excluded_and_counted():
    volumes, models = _frames(-0.2, seed_sd=0.0, point_sd=0.0)
    volumes.loc[[0, 1, 7], "log_volume"] = -np.inf
    fit = fit_power_law(volumes, models, n_boot=100).iloc[0]
    assert fit["n_excluded"] == 3 and fit["n_points"] == 47
    assert fit["alpha"] == pytest.approx(-0.2, abs=1e-12)
    assert np.isfinite([fit["alpha_lo"], fit["alpha_hi"], fit["r2"]]).all()


def test_nan_log_volume_is_an_error():
    volumes, models = _frames(-0.2)
    volumes.loc[3, "log_volume"] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fit_power_law(volumes, models)


def test_one_seed_gives_a_fit_without_interval():
    volumes, models = _frames(-0.2, seeds=1)
    fit = fit_power_law(volumes, models, n_boot=100).iloc[0]
    assert fit["n_seeds"] == 1 and np.isnan(fit["alpha_lo"]) and np.isnan(fit["alpha_hi"])
    assert fit["alpha"] == pytest.approx(-0.2, abs=0.01)


def test_groups_by_variant_and_skips_single_size_groups_with_a_warning():
    v1, m1 = _frames(-0.2, seed_sd=0.0, point_sd=0.0, variant="adamw")
    v2, m2 = _frames(-0.4, seed_sd=0.0, point_sd=0.0, variant="sam")
    v3, m3 = _frames(-0.4, sizes=(500,), variant="bs16")
    volumes, models = pd.concat([v1, v2, v3]), pd.concat([m1, m2, m3])
    with pytest.warns(PowerLawSkipped, match="bs16"):
        fits = fit_power_law(volumes, models, n_boot=50)
    assert list(fits["variant"]) == ["adamw", "sam"]
    assert fits["alpha"].to_numpy() == pytest.approx([-0.2, -0.4], abs=1e-12)


def test_only_own_landscape_and_clean_models_enter_the_fit():
    volumes, models = _frames(-0.2, seed_sd=0.0, point_sd=0.0)
    # the same minima measured in a smaller landscape, and a poisoned model: both must be ignored
    extra = volumes.copy()
    extra["landscape_size"] = 50
    extra["log_volume"] = 1e6
    poisoned = models.iloc[:1].assign(model_id="p", poison=10)
    pvol = volumes.iloc[:1].assign(model_id="p", landscape_size=100 + 10, log_volume=1e6)
    fit = fit_power_law(pd.concat([volumes, extra, pvol]), pd.concat([models, poisoned]), n_boot=50).iloc[0]
    assert fit["alpha"] == pytest.approx(-0.2, abs=1e-12) and fit["n_points"] == 50


def test_mixed_parameter_counts_in_one_group_is_an_error():
    v1, m1 = _frames(-0.2, seeds=2)
    v2, m2 = _frames(-0.2, seeds=2, n_params=2000, rng_seed=1)
    m2["model_id"] = m2["model_id"] + "b"
    v2["model_id"] = v2["model_id"] + "b"
    with pytest.raises(DataError, match="n_params"):
        fit_power_law(pd.concat([v1, v2]), pd.concat([m1, m2]))
