"""The preprint's studies over run tables: head-to-head beside its figures, the reparameterisation table, and
the report section that shows them (rendered from a real run directory written by the runner's tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from basinlab.analysis.preprint import head_to_head_table, reparam_table, varied_columns


def _tables(n=12, seed=0):
    rng = np.random.default_rng(seed)
    models, measures = [], []
    for i in range(n):
        acc = 0.8 + 0.01 * i
        models.append({"model_id": f"m{i}", "dataset": "fashion-mnist", "variant": "v", "train_size": 1000,
                       "data_seed": 0, "model_seed": i, "batch_size": 64, "train_acc": 1.0, "test_acc": acc,
                       "train_loss": 0.01, "test_loss": 0.5, "poison": 0})
        for name, value in (("weakness", acc), ("hessian_top", rng.normal()), ("norm_path", 5.0)):
            measures.append({"model_id": f"m{i}", "epoch": -1, "measure": name, "value": value, "landscape": "t"})
            for a, factor in ((10.0, 1.0), (100.0, 1.0)):
                scale = a**2 if name == "hessian_top" else factor
                measures.append({"model_id": f"m{i}", "epoch": -1, "measure": f"{name}@a={a:g}",
                                 "value": value * scale, "landscape": "t"})
    return pd.DataFrame(measures), pd.DataFrame(models)


def test_head_to_head_against_accuracy_and_gap_beside_the_preprint():
    measures, models = _tables()
    out = head_to_head_table(measures, models, "fashion-mnist").set_index("measure")
    assert "weakness@a=10" not in out.index  # rescaled rows are not extra networks
    assert out.loc["weakness", "kendall_tau_acc"] == pytest.approx(1.0)
    assert out.loc["weakness", "kendall_tau_gap"] == pytest.approx(-1.0)
    assert out.loc["weakness", "paper"] == 0.384 and out.loc["weakness", "paper_p"] == 8.15e-5
    assert np.isnan(out.loc["norm_path", "kendall_tau_acc"])  # constant: NaN, not a made-up 0
    assert varied_columns(models) == [] and varied_columns(models.assign(train_size=range(12))) == ["train_size"]


def test_reparam_table_marks_what_moves():
    measures, _ = _tables()
    out = reparam_table(measures).set_index("measure")
    assert out.loc["hessian_top", "max_ratio"] == pytest.approx(1e4)
    assert out.loc["hessian_top", "invariant"] == "no"
    assert out.loc["weakness", "invariant"] == "exact" and out.loc["weakness", "max_ratio"] == 1.0
    assert reparam_table(measures[~measures.measure.str.contains("@")]).empty


def test_reparam_table_puts_the_function_check_first():
    measures, _ = _tables(n=2)
    check = [{"model_id": m, "epoch": -1, "measure": f"{name}@a={a:g}", "value": value, "landscape": "t"}
             for m in ("m0", "m1") for a in (10.0, 100.0)
             for name, value in (("max_output_change", 2e-6 if m == "m0" else 3e-5), ("prediction_agreement", 1.0))]
    out = reparam_table(pd.concat([measures, pd.DataFrame(check)], ignore_index=True))
    assert list(out["measure"][:2]) == ["max_output_change", "prediction_agreement"]
    rows = out.set_index("measure")
    assert rows.loc["max_output_change", "a=1"] == 0.0 and rows.loc["max_output_change", "a=100"] == 3e-5  # worst
    assert rows.loc["max_output_change", "invariant"] == "exact" and rows.loc["prediction_agreement", "invariant"] == "exact"
    moved = pd.DataFrame(check).assign(value=lambda f: np.where(f.measure.str.startswith("pred"), 0.99, 0.5))
    rows = reparam_table(pd.concat([measures, moved], ignore_index=True)).set_index("measure")
    assert rows.loc["max_output_change", "invariant"] == "no" and rows.loc["prediction_agreement", "invariant"] == "no"
    assert rows.loc["prediction_agreement", "a=10"] == 0.99


def test_reparam_figure_marks_each_verdict_and_writes_the_change():
    import matplotlib

    matplotlib.use("Agg")
    from basinlab.report.preprint import plot_reparam

    measures, _ = _tables(n=2)
    fig = plot_reparam(reparam_table(measures))
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "×1e+04" in texts and "Δ ≤ 0" in texts  # hessian_top moves ×a², weakness does not move
    markers = {line.get_marker() for line in fig.axes[0].lines if line.get_marker() not in (None, "None", "")}
    assert markers == {"o", "X"}


def test_report_section_renders_tables_and_figures(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from basinlab.analysis.run import RunTables
    from basinlab.report.html import _table
    from basinlab.report.preprint import preprint_section

    measures, models = _tables()
    small = models.assign(batch_size=32, model_id=[f"s{i}" for i in range(12)], test_acc=models.test_acc + 0.01)
    both = pd.concat([models, small], ignore_index=True).assign(data_seed=lambda f: f.model_seed)
    empty = pd.DataFrame()
    tables = RunTables(models=both, training=empty, volumes=empty, radii=empty, measures=measures)
    page = preprint_section(tables, tmp_path, tmp_path, _table)
    assert "Head-to-head" in page and "Reparameterisation" in page and "Batch gap" in page
    assert "no stop_loss shared by both arms" in page and (tmp_path / "preprint_batch_gap.png").exists()
    assert "NOT seeds only: data_seed, batch_size also vary" in page


def test_preprint_claims_follow_their_rules():
    from basinlab.analysis import check_claims
    from basinlab.analysis.run import RunTables

    measures, models = _tables(n=12)
    empty = pd.DataFrame()
    full = models.assign(optimizer="adamw", sam_rho=0.0, imbalance="", poison=0, n_params=100, lr=1e-3,
                         weight_decay=0.01, epochs_run=10)
    claims = {c.key: c for c in check_claims(RunTables(full, empty, empty, empty, measures))}
    assert claims["preprint.weakness"].verdict == "reproduced"  # τ = +1, p ≪ 0.05 by construction
    assert claims["preprint.hessian_top"].verdict == "not reproduced"  # random values
    mixed = full.assign(train_size=[1000] * 6 + [2000] * 6)
    claims = {c.key: c for c in check_claims(RunTables(mixed, empty, empty, empty, measures))}
    assert claims["preprint.weakness"].verdict == "not testable here"
    assert "not only in seeds" in claims["preprint.weakness"].why
