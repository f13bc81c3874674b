"""Accuracy-threshold volumes through a spec, the run's tables, the claims and the report (issue 11 item 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from basinlab.analysis.run import load_run, loss_thresholds_only
from basinlab.experiments import load_spec, plan, read_table, run_experiment

SPEC = """
name = "acc"
[dataset]
name = "swiss-roll"
options = { n_total = 200 }
sizes = [40, 80]
[model]
hidden = [8, 8]
[train]
lr = 0.01
batch_size = 20
epochs = 30
[volume]
directions = 4
thresholds = [0.6]
accuracy_thresholds = [0.9, 0.7]
landscapes = "all"
"""


def test_spec_run_tables_and_report_carry_the_threshold_kind(tmp_path):
    path = tmp_path / "acc.toml"
    path.write_text(SPEC)
    spec, _ = load_spec(path)
    assert spec.volume.accuracy_thresholds == (0.9, 0.7)
    assert all(t.inputs["settings"]["accuracy_thresholds"] == [0.9, 0.7] for t in plan(spec).tasks if t.kind == "volume")
    out = tmp_path / "run"
    run_experiment(path, out)
    volumes = read_table(out, "volumes")
    kinds = volumes.groupby("threshold_kind")["threshold"].apply(lambda s: sorted(set(s)))
    assert kinds["loss"] == [0.6] and kinds["accuracy"] == [0.7, 0.9]
    acc = volumes[volumes["threshold_kind"] == "accuracy"]
    # a lower accuracy level never gives a smaller basin; the centre error rate is 1 − training accuracy
    for (_, _), g in acc.groupby(["model_id", "landscape"]):
        lo, hi = g[g["threshold"] == 0.7].iloc[0], g[g["threshold"] == 0.9].iloc[0]
        assert lo["r_median"] >= hi["r_median"] and 0 <= lo["centre_loss"] <= 1
    assert set(read_table(out, "radii")["threshold_kind"]) == {"loss", "accuracy"}
    only = loss_thresholds_only(load_run(out))
    assert set(only.volumes["threshold_kind"]) == {"loss"} and set(only.radii["threshold_kind"]) == {"loss"}
    from basinlab.report import write_report

    page = write_report(out, loss_slice=False, n_boot=50).read_text()
    assert "Accuracy-threshold volumes" in page and "accuracy level" in page


def test_runs_written_before_the_column_read_as_loss_thresholds(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from basinlab.rundir import SCHEMAS

    old = [c for c, _ in SCHEMAS["volumes"] if c not in ("threshold_kind", "nonfinite_points")]
    row = {c: (0.5 if c not in ("model_id", "landscape", "epoch", "landscape_size", "n_params", "n_directions",
                                "n_censored") else (1 if c != "model_id" and c != "landscape" else "m")) for c in old}
    (tmp_path / "volumes").mkdir()
    pq.write_table(pa.Table.from_pylist([row]), tmp_path / "volumes" / "t.parquet")
    frame = read_table(tmp_path, "volumes")
    assert list(frame["threshold_kind"]) == ["loss"]
    assert isinstance(frame, pd.DataFrame) and np.isclose(frame["threshold"].iloc[0], 0.5)
