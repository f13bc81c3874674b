"""The one correlation harness: every measure of the ``measures`` table against generalisation, over a run's
final models (Kendall τ, Spearman ρ with p-values, granulated Kendall Ψ). The report, the studies and the tests
all use :func:`correlation_table`; the gap is :func:`generalization_gap`; the axes are :data:`HYPERPARAMETERS`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .correlation import granulated_kendall, rank_correlation

__all__ = ["TARGETS", "HYPERPARAMETERS", "generalization_gap", "measure_frame", "correlation_table",
           "correlation_table_from_run"]

# target name -> how it is computed from the models table (all "bigger = generalises worse" except test_acc)
TARGETS = {
    "gap": "train_acc − test_acc (generalisation gap in accuracy, fraction)",
    "loss_gap": "test_loss − train_loss (nats)",
    "test_loss": "test loss (nats)",
    "test_acc": "test accuracy (fraction)",
}
# models-table columns that may vary across a study: granulated-Kendall axes when they take ≥ 2 values
HYPERPARAMETERS = ("train_size", "batch_size", "sam_rho", "lr", "weight_decay", "optimizer", "poison", "variant")


def generalization_gap(models: pd.DataFrame) -> pd.Series:
    """The generalisation gap ``train_acc − test_acc`` per row of a ``models`` table (fractions in [0, 1])."""
    missing = [c for c in ("train_acc", "test_acc") if c not in models.columns]
    if missing:
        raise ConfigError(f"generalization_gap needs columns {missing} in the models table")
    return models["train_acc"] - models["test_acc"]


def measure_frame(measures: pd.DataFrame, models: pd.DataFrame, *, epoch: int = -1) -> pd.DataFrame:
    """One row per model: its hyper-parameters, the targets of :data:`TARGETS`, and one column per measure.

    A measure recorded in several landscapes of one model uses its own-landscape row (label ending in
    ``:<train_size + poison>``) when there is one, else the mean over its rows.
    """
    rows = measures[measures["epoch"] == epoch]
    if rows.empty:
        return pd.DataFrame()
    # a measure taken in several landscapes of one model: keep its own-landscape row ('<kind>:<train+poison>')
    own = models.set_index("model_id")["train_size"] + models.set_index("model_id")["poison"].fillna(0)
    size = pd.to_numeric(rows["landscape"].fillna("").astype(str).str.extract(r":(\d+)$")[0], errors="coerce")
    is_own = size.to_numpy() == rows["model_id"].map(own).to_numpy()
    has_own = pd.Series(is_own, index=rows.index).groupby([rows["model_id"], rows["measure"]]).transform("any")
    rows = rows[is_own | ~has_own.to_numpy()]
    wide = rows.pivot_table(index="model_id", columns="measure", values="value", aggfunc="mean")
    wide.columns = [str(c) for c in wide.columns]
    frame = models.merge(wide, left_on="model_id", right_index=True, how="inner")
    frame["gap"] = generalization_gap(frame)
    frame["loss_gap"] = frame["test_loss"] - frame["train_loss"]
    return frame


def correlation_table(measures: pd.DataFrame, models: pd.DataFrame, *, target: str = "gap",
                      hyperparameters: Sequence[str] | None = None, epoch: int = -1) -> pd.DataFrame:
    """Kendall τ, Spearman ρ (with p-values) and granulated Kendall Ψ of every measure against ``target``.

    ``hyperparameters`` default to the model columns among (train_size, batch_size, sam_rho, lr,
    weight_decay, optimizer, poison, variant) that take more than one value. Measures with fewer than three
    finite values get a row with NaN coefficients and their count, never a silent drop.
    """
    if target not in TARGETS:
        raise ConfigError(f"correlation target {target!r} is unknown; use one of {', '.join(TARGETS)}")
    frame = measure_frame(measures, models, epoch=epoch)
    columns = ["measure", "n", "kendall_tau", "kendall_p", "spearman_rho", "spearman_p", "granulated_kendall"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    if hyperparameters is None:
        hyperparameters = [h for h in HYPERPARAMETERS if h in frame and frame[h].nunique() > 1]
    out = []
    for measure in sorted(measures.loc[measures["epoch"] == epoch, "measure"].unique()):
        x = frame[measure].to_numpy(float)
        y = frame[target].to_numpy(float)
        n = int((np.isfinite(x) & np.isfinite(y)).sum())
        row = dict.fromkeys(columns, float("nan")) | {"measure": measure, "n": n}
        if n >= 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # constant inputs give NaN, shown as such in the table
                rc = rank_correlation(x, y)
                psi = granulated_kendall(frame, measure, target, hyperparameters).psi if hyperparameters else np.nan
            row |= {"kendall_tau": rc.kendall_tau, "kendall_p": rc.kendall_p, "spearman_rho": rc.spearman_rho,
                    "spearman_p": rc.spearman_p, "granulated_kendall": psi}
        out.append(row)
    return pd.DataFrame(out, columns=columns)


def correlation_table_from_run(run_dir: Any, *, target: str = "gap", epoch: int = -1) -> pd.DataFrame:
    """:func:`correlation_table` of a run directory's ``measures`` and ``models`` tables."""
    from .run import load_run

    tables = load_run(run_dir)
    if tables.measures.empty or tables.models.empty:
        raise ConfigError(f"run directory {str(run_dir)!r} has no measures or no models rows yet; run the spec first")
    return correlation_table(tables.measures, tables.models, target=target, epoch=epoch)
