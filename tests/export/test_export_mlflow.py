"""``basinlab export mlflow``: a quick real run round-trips into MLflow's local file store, read back with
MLflow's own client (a real MLflow, not a mock)."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from basinlab.cli.app import app, main
from basinlab.errors import BasinlabError

QUICK = """
name = "quick-mlflow"
[dataset]
name = "swiss-roll"
options = { n_total = 200 }
sizes = [40]
[seeds]
model = [0, 1]
[model]
hidden = [8]
[train]
lr = 0.02
epochs = 12
eval_every = 4
[volume]
directions = 4
thresholds = [0.4, 0.7]
[measures]
names = ["norms"]
"""


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    from basinlab.experiments import run_experiment
    from basinlab.report import write_report

    out = tmp_path_factory.mktemp("mlflow") / "run"
    run_experiment(QUICK, out)
    write_report(out, loss_slice=False, n_boot=50)
    return out


def test_export_round_trips_into_a_local_file_store(quick_run, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow", reason="the dev extra installs mlflow; 'pip install -e .[dev]'")
    from basinlab.analysis import load_run

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps the file store behind this switch
    uri = (tmp_path / "mlruns").as_uri()
    result = CliRunner().invoke(app, ["export", "mlflow", str(quick_run), "--tracking-uri", uri])
    assert result.exit_code == 0, result.output
    assert "2 model(s) in MLflow" in result.output

    tables = load_run(quick_run)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("basinlab-quick-mlflow")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(r.info.run_name for r in runs) == sorted(tables.models["model_id"])
    for run in runs:
        model = tables.models.set_index("model_id").loc[run.info.run_name]
        assert run.info.status == "FINISHED" and run.data.tags["basinlab.model_id"] == run.info.run_name
        params, metrics = run.data.params, run.data.metrics
        assert params["dataset"] == "swiss-roll" and params["lr"] == str(model["lr"])
        assert params["model_seed"] == str(model["model_seed"])
        assert metrics["test_acc"] == pytest.approx(model["test_acc"])
        assert metrics["train_loss"] == pytest.approx(model["train_loss"])
        volumes = tables.volumes[tables.volumes["model_id"] == run.info.run_name]
        assert len(volumes) == 2
        for row in volumes.itertuples():
            key = f"log_volume/{row.landscape}/tau_{row.threshold:g}"
            if math.isfinite(row.log_volume):
                assert metrics[key] == pytest.approx(row.log_volume)
            else:
                assert key not in metrics  # a centre above τ: MLflow stores no -inf
        measured = tables.measures[tables.measures["model_id"] == run.info.run_name]
        norm = measured.set_index("measure").loc["norm_frobenius"]
        assert metrics[f"measure/norm_frobenius/{norm['landscape']}"] == pytest.approx(norm["value"])
        curve = client.get_metric_history(run.info.run_id, "curve/train_loss")
        assert [m.step for m in curve] == [4, 8, 12]
        artifacts = [a.path for a in client.list_artifacts(run.info.run_id, "report")]
        assert "report/index.html" in artifacts

    # exporting again resumes: nothing is duplicated
    assert CliRunner().invoke(app, ["export", "mlflow", str(quick_run), "--tracking-uri", uri]).exit_code == 0
    assert len(client.search_runs([experiment.experiment_id])) == 2


def test_export_errors_are_one_line(tmp_path, quick_run, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "mlflow", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "false")  # MLflow 3 refuses its file store unless allowed
    from basinlab.export import export_mlflow

    with pytest.raises(BasinlabError, match="MLflow refused the export to 'file:"):
        export_mlflow(quick_run, tracking_uri=(tmp_path / "refused").as_uri())
