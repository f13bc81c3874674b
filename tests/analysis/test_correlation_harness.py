"""The one correlation harness: correlation_table (Kendall/Spearman per measure, granulated Kendall) and the
batch-gap table with its interval and equal-loss check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from basinlab.analysis import (
    batch_size_gap,
    correlation_table,
    correlation_table_from_run,
    generalization_gap,
)
from basinlab.errors import ConfigError


def _tables(seed=0):
    rng = np.random.default_rng(seed)
    models, measures = [], []
    for i, (lr, bs) in enumerate([(lr, bs) for lr in (1e-3, 1e-2, 1e-1) for bs in (16, 64, 256)] * 3):
        gap = np.log10(lr) * 0.02 + np.log2(bs) * 0.01 + rng.normal(0, 0.001) + 0.2
        models.append({"model_id": f"m{i}", "lr": lr, "batch_size": bs, "train_acc": 1.0, "test_acc": 1.0 - gap,
                       "train_loss": 0.01, "test_loss": 0.5, "train_size": 100, "poison": 0})
        for name, value in (("aligned", gap * 3 + 1), ("reversed", -gap), ("noise", rng.normal())):
            measures.append({"model_id": f"m{i}", "epoch": -1, "measure": name, "value": value,
                             "landscape": "train:100"})
    return pd.DataFrame(measures), pd.DataFrame(models)


def test_perfectly_ranked_measures_get_plus_and_minus_one():
    measures, models = _tables()
    out = correlation_table(measures, models).set_index("measure")
    assert out.loc["aligned", "kendall_tau"] == pytest.approx(1.0)
    assert out.loc["aligned", "spearman_rho"] == pytest.approx(1.0)
    assert out.loc["reversed", "kendall_tau"] == pytest.approx(-1.0)
    assert out.loc["aligned", "granulated_kendall"] == pytest.approx(1.0)  # axes lr, batch_size found by themselves
    assert out.loc["aligned", "kendall_p"] < 1e-6 and out.loc["noise", "kendall_p"] > 1e-3
    acc = correlation_table(measures, models, target="test_acc").set_index("measure")
    assert acc.loc["aligned", "kendall_tau"] == pytest.approx(-1.0)  # test_acc = 1 − gap here


def test_noise_measure_matches_scipy():
    measures, models = _tables(1)
    gap = generalization_gap(models).to_numpy()
    x = measures[measures.measure == "noise"]["value"].to_numpy()
    out = correlation_table(measures, models).set_index("measure")
    tau, rho = stats.kendalltau(x, gap), stats.spearmanr(x, gap)
    assert out.loc["noise", "kendall_tau"] == pytest.approx(tau.statistic)
    assert out.loc["noise", "kendall_p"] == pytest.approx(tau.pvalue)
    assert out.loc["noise", "spearman_p"] == pytest.approx(rho.pvalue)
    assert out.loc["noise", "n"] == len(x)


def test_bad_target_and_missing_columns_are_config_errors(tmp_path):
    measures, models = _tables()
    with pytest.raises(ConfigError, match="correlation target 'generalization_gap' is unknown"):
        correlation_table(measures, models, target="generalization_gap")
    with pytest.raises(ConfigError, match="train_acc"):
        generalization_gap(pd.DataFrame({"test_acc": [0.9]}))
    with pytest.raises(ConfigError, match="is empty"):
        correlation_table_from_run(tmp_path)


def _batch_models(losses=(0.005, 0.008)):
    rows = []
    for size, small_acc, large_acc in ((2000, (0.80, 0.82, 0.81), (0.78, 0.79, 0.80)),
                                       (60000, (0.90, 0.91, 0.90), (0.90, 0.90, 0.91))):
        for seed in range(3):
            rows.append({"train_size": size, "batch_size": 32, "test_acc": small_acc[seed], "train_loss": losses[0],
                         "model_seed": seed, "data_seed": seed})
            rows.append({"train_size": size, "batch_size": 4096, "test_acc": large_acc[seed], "train_loss": losses[1],
                         "model_seed": seed, "data_seed": seed})
    return pd.DataFrame(rows)


def test_batch_gap_pairs_seeds_and_gives_a_t_interval():
    out = batch_size_gap(_batch_models(), stop_loss=0.01).set_index("train_size")
    diffs = np.array([2.0, 3.0, 1.0])
    half = stats.t.ppf(0.975, 2) * diffs.std(ddof=1) / np.sqrt(3)
    assert out.loc[2000, "gap_points"] == pytest.approx(2.0)
    assert (out.loc[2000, "lo"], out.loc[2000, "hi"]) == pytest.approx((2.0 - half, 2.0 + half))
    assert out.loc[60000, "gap_points"] == pytest.approx(0.0, abs=1e-9)
    assert out.loc[2000, "paper_points"] == 1.6 and bool(out.loc[2000, "equal_loss"])
    assert (out.loc[2000, "small_loss_min"], out.loc[2000, "large_loss_max"]) == (0.005, 0.008)  # both arms' losses
    unequal = batch_size_gap(_batch_models((0.005, 0.3)), stop_loss=0.01)
    assert not unequal["equal_loss"].any()  # the large batch did not reach the stop loss: flagged, not hidden
    with pytest.raises(ConfigError, match="at least two batch sizes"):
        batch_size_gap(_batch_models().assign(batch_size=16))
