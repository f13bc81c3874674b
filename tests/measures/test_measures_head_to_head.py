"""head_to_head: Kendall/Spearman per measure against the generalisation gap, and granulated Kendall."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from basinlab.errors import ConfigError
from basinlab.measures import generalization_gap, head_to_head


def _frame(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i, (lr, bs) in enumerate([(lr, bs) for lr in (1e-3, 1e-2, 1e-1) for bs in (16, 64, 256)] * 3):
        gap = np.log10(lr) * 0.02 + np.log2(bs) * 0.01 + rng.normal(0, 0.001)
        noise = rng.normal()
        for name, value in (("aligned", gap * 3 + 1), ("reversed", -gap), ("noise", noise)):
            rows.append({"model_id": f"m{i}", "measure": name, "value": value, "generalization_gap": gap,
                         "lr": lr, "batch_size": bs})
    return pd.DataFrame(rows)


def test_perfectly_ranked_measures_get_plus_and_minus_one():
    out = head_to_head(_frame(), hyperparameters=["lr", "batch_size"]).set_index("measure")
    assert out.loc["aligned", "kendall_tau"] == pytest.approx(1.0)
    assert out.loc["aligned", "spearman_rho"] == pytest.approx(1.0)
    assert out.loc["reversed", "kendall_tau"] == pytest.approx(-1.0)
    assert out.loc["aligned", "granulated_kendall"] == pytest.approx(1.0)
    assert out.loc["reversed", "psi_lr"] == pytest.approx(-1.0)
    assert out.loc["aligned", "kendall_p"] < 1e-6
    assert out.loc["noise", "kendall_p"] > 1e-3
    assert list(out.index[:2]) == ["aligned", "reversed"] or list(out.index[:2]) == ["reversed", "aligned"]


def test_noise_measure_matches_scipy():
    frame = _frame(1)
    sub = frame[frame.measure == "noise"]
    out = head_to_head(frame).set_index("measure")
    tau = stats.kendalltau(sub["value"], sub["generalization_gap"])
    assert out.loc["noise", "kendall_tau"] == pytest.approx(tau.statistic)
    assert out.loc["noise", "kendall_p"] == pytest.approx(tau.pvalue)
    assert out.loc["noise", "n"] == len(sub)


def test_missing_columns_are_config_errors():
    with pytest.raises(ConfigError, match="columns \\['gap'\\] are missing"):
        head_to_head(_frame(), target="gap")
    with pytest.raises(ConfigError, match="train_acc"):
        generalization_gap(pd.DataFrame({"test_acc": [0.9]}))


def test_batch_size_gap_per_training_size():
    from basinlab.measures import batch_size_gap

    models = pd.DataFrame({"train_size": [100, 100, 100, 100, 1000, 1000],
                           "batch_size": [16, 16, 0, 0, 16, 0],
                           "test_acc": [0.80, 0.82, 0.75, 0.77, 0.90, 0.899]})
    out = batch_size_gap(models).set_index("train_size")
    assert out.loc[100, "gap_points"] == pytest.approx(5.0)
    assert out.loc[1000, "gap_points"] == pytest.approx(0.1)
    assert out.loc[100, "large_batch"] == 0 and out.loc[100, "n"] == 2
    with pytest.raises(ConfigError, match="at least two batch sizes"):
        batch_size_gap(models.assign(batch_size=16))


def test_head_to_head_from_a_run_directory_and_its_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import pyarrow.parquet as pq

    from basinlab.measures import head_to_head_from_run, plot_head_to_head
    from basinlab.rundir import SCHEMAS, to_arrow

    frame = _frame(2)
    models, measures = [], []
    for (mid, lr, bs, gap), g in frame.groupby(["model_id", "lr", "batch_size", "generalization_gap"]):
        row = {c: (0 if t == "int64" else 0.0 if t == "float64" else "") for c, t in SCHEMAS["models"]}
        models.append({**row, "model_id": mid, "lr": lr, "batch_size": bs, "train_acc": 1.0,
                       "test_acc": 1.0 - gap})
        measures += [{"model_id": mid, "epoch": -1, "measure": m, "value": v, "stderr": float("nan"),
                      "landscape": "train:1", "settings": "{}"} for m, v in zip(g["measure"], g["value"], strict=True)]
    for name, rows in (("models", models), ("measures", measures)):
        (tmp_path / name).mkdir()
        pq.write_table(to_arrow(name, rows), tmp_path / name / "a.parquet")
    out = head_to_head_from_run(tmp_path).set_index("measure")
    assert out.loc["aligned", "kendall_tau"] == pytest.approx(1.0)
    assert {"psi_lr", "psi_batch_size"} <= set(out.columns)  # the varied hyper-parameters only
    ax = plot_head_to_head(out.reset_index())
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "reversed"
