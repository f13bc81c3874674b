"""Export a run directory to MLflow: one MLflow run per trained model.

Each model's MLflow run (named by its ``model_id``, in the experiment named like the spec unless given) holds

- parameters: the ``models`` table's settings (dataset, variant, sizes, seeds, optimiser, lr, ...);
- metrics: its final ``train_loss``/``train_acc``/``test_loss``/``test_acc`` (and the clean-subset ones), the
  training curve (``training`` table, one step per epoch), every log-volume as
  ``log_volume/<landscape>/tau_<threshold>`` (also ``_lo``/``_hi``, the bootstrap CI) and every measure as
  ``measure/<name>/<landscape>``; rows of earlier checkpoints are logged at ``step = epoch``, the final model
  at the last epoch trained;
- tags: ``basinlab.model_id``, ``basinlab.run_dir`` and the spec name;
- artifacts: the run's report folder (``report/index.html`` and its figures) when it exists.

Re-exporting the same run directory into the same experiment skips models already exported (a model whose
MLflow run did not finish is exported again), so an interrupted export resumes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["export_mlflow", "mlflow_rows", "PARAM_COLUMNS", "METRIC_COLUMNS"]

PARAM_COLUMNS = ("experiment", "variant", "dataset", "train_size", "poison", "imbalance", "model_seed", "data_seed",
                 "optimizer", "batch_size", "sam_rho", "lr", "weight_decay", "n_params", "epochs_run", "checkpoint")
METRIC_COLUMNS = ("train_loss", "train_acc", "clean_train_loss", "clean_train_acc", "test_loss", "test_acc",
                  "train_seconds")
CURVE_COLUMNS = ("train_loss", "train_acc", "test_loss", "test_acc")
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. :/]")


def _key(text: str) -> str:
    """An MLflow metric name: letters, digits and ``_-. :/`` only."""
    return _UNSAFE.sub("_", text)


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _step(epoch: Any, final_epoch: int) -> int:
    return final_epoch if int(epoch) < 0 else int(epoch)


def mlflow_rows(run_dir: str | Path) -> list[dict[str, Any]]:
    """What :func:`export_mlflow` logs, one dict per model: ``model_id``, ``params`` {name: str},
    ``metrics`` [(key, value, step)], ``tags`` {name: str}. Reads the run directory only (no MLflow needed)."""
    from ..analysis import load_run, read_manifest

    tables = load_run(run_dir)
    spec = (read_manifest(run_dir).get("spec") or {})
    name = str(spec.get("name", "")) if isinstance(spec, dict) else ""
    out = []
    for model in tables.models.to_dict("records"):
        mid = str(model["model_id"])
        final_epoch = int(model.get("epochs_run") or 0)
        params = {c: str(model[c]) for c in PARAM_COLUMNS if c in model and model[c] is not None}
        metrics = [(c, float(model[c]), final_epoch) for c in METRIC_COLUMNS if c in model and _finite(model[c])]
        curve = tables.training[tables.training["model_id"] == mid]
        for row in curve.to_dict("records"):
            metrics += [(f"curve/{c}", float(row[c]), int(row["epoch"])) for c in CURVE_COLUMNS if _finite(row[c])]
        for row in tables.volumes[tables.volumes["model_id"] == mid].to_dict("records"):
            base = _key(f"log_volume/{row['landscape']}/tau_{float(row['threshold']):g}")
            step = _step(row["epoch"], final_epoch)
            for suffix, col in (("", "log_volume"), ("_lo", "log_volume_lo"), ("_hi", "log_volume_hi")):
                if _finite(row[col]):  # MLflow stores no infinities: a centre above τ (−inf) is left out
                    metrics.append((base + suffix, float(row[col]), step))
        for row in tables.measures[tables.measures["model_id"] == mid].to_dict("records"):
            if _finite(row["value"]):
                metrics.append((_key(f"measure/{row['measure']}/{row['landscape']}"), float(row["value"]),
                                _step(row["epoch"], final_epoch)))
        tags = {"basinlab.model_id": mid, "basinlab.run_dir": str(Path(run_dir).resolve()), "basinlab.spec": name}
        out.append({"model_id": mid, "params": params, "metrics": metrics, "tags": tags})
    return out


def _import_mlflow():
    try:
        import mlflow
    except ImportError:
        raise ConfigError("exporting to MLflow needs the mlflow package: pip install 'basinlab[mlflow]'") from None
    return mlflow


def export_mlflow(run_dir: str | Path, *, tracking_uri: str | None = None, experiment: str | None = None,
                  report: bool = True) -> list[str]:
    """Log every model of ``run_dir`` as an MLflow run (see the module docstring); returns their MLflow run ids.

    Args:
        tracking_uri: where MLflow stores runs (``sqlite:///mlflow.db``, ``file:./mlruns``, ``http://host:5000``);
            default: MLflow's own (``MLFLOW_TRACKING_URI`` or its default store).
        experiment: MLflow experiment name; default ``basinlab-<spec name>``.
        report: attach the run's ``report/`` folder as artifacts when it exists.
    """
    from ..analysis.run import as_run_dir

    root = as_run_dir(run_dir)
    rows = mlflow_rows(root)
    if not rows:
        raise ConfigError(f"run directory {str(root)!r} has no trained models yet; nothing to export")
    mlflow = _import_mlflow()
    from mlflow.entities import Metric, Param
    from mlflow.exceptions import MlflowException

    try:
        client = mlflow.MlflowClient(tracking_uri=tracking_uri)
        name = experiment or f"basinlab-{rows[0]['tags']['basinlab.spec'] or root.name}"
        found = client.get_experiment_by_name(name)
        exp_id = found.experiment_id if found is not None else client.create_experiment(name)
        done = _exported(client, exp_id, str(root.resolve()))
        report_dir = root / "report"
        ids = []
        for row in rows:
            if row["model_id"] in done:
                ids.append(done[row["model_id"]])
                continue
            run = client.create_run(exp_id, run_name=row["model_id"], tags=row["tags"])
            rid = run.info.run_id
            stamp = run.info.start_time
            metrics = [Metric(k, v, stamp, s) for k, v, s in row["metrics"]]
            params = [Param(k, v) for k, v in row["params"].items()]
            for i in range(0, len(params), 100):  # MLflow's batch limits: 100 params, 1000 metrics
                client.log_batch(rid, params=params[i:i + 100])
            for i in range(0, len(metrics), 1000):
                client.log_batch(rid, metrics=metrics[i:i + 1000])
            if report and (report_dir / "index.html").is_file():
                client.log_artifacts(rid, str(report_dir), artifact_path="report")
            client.set_terminated(rid, "FINISHED")
            ids.append(rid)
    except MlflowException as exc:
        raise ConfigError(f"MLflow refused the export to {tracking_uri or mlflow.get_tracking_uri()!r}: "
                          f"{str(exc).splitlines()[0]}") from None
    return ids


def _exported(client: Any, exp_id: str, root: str) -> dict[str, str]:
    """``{model_id: MLflow run id}`` of this run directory's models already exported and finished."""
    out: dict[str, str] = {}
    for run in client.search_runs([exp_id], max_results=50000):
        if run.data.tags.get("basinlab.run_dir") != root:
            continue
        mid = run.data.tags.get("basinlab.model_id")
        if run.info.status == "FINISHED" and mid:
            out[mid] = run.info.run_id
        elif mid:
            client.delete_run(run.info.run_id)  # an interrupted export of this model: redo it
    return out
