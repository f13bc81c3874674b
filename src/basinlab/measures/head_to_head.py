"""Head-to-head: rank correlation of every measure with the generalisation gap over many networks.

The statistics are :func:`basinlab.analysis.rank_correlation` (Kendall τ-b and Spearman ρ with two-sided
p-values) and :func:`basinlab.analysis.granulated_kendall` (Jiang et al.).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis.correlation import granulated_kendall, rank_correlation
from ..errors import ConfigError

__all__ = ["head_to_head", "generalization_gap", "head_to_head_from_run", "batch_size_gap", "plot_head_to_head",
           "HYPERPARAMETERS"]

# models-table columns that vary across a head-to-head grid (granulated Kendall axes, when they vary)
HYPERPARAMETERS = ("batch_size", "lr", "weight_decay", "train_size", "optimizer", "sam_rho")


def generalization_gap(models: pd.DataFrame) -> pd.Series:
    """``train_acc − test_acc`` per row of a ``models`` table (accuracy points in [0, 1])."""
    missing = [c for c in ("train_acc", "test_acc") if c not in models.columns]
    if missing:
        raise ConfigError(f"generalization_gap needs columns {missing} in the models table")
    return models["train_acc"] - models["test_acc"]


def _rank(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, int]:
    """(τ, p_τ, ρ, p_ρ, n); NaN coefficients when fewer than 3 finite pairs or an input is constant."""
    keep = np.isfinite(x) & np.isfinite(y)
    n = int(keep.sum())
    if n < 3 or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
        return math.nan, math.nan, math.nan, math.nan, n
    r = rank_correlation(x, y)
    return r.kendall_tau, r.kendall_p, r.spearman_rho, r.spearman_p, r.n


def _granulated(frame: pd.DataFrame, target: str, axes: list[str]) -> tuple[float, dict[str, float]]:
    """Ψ and ψ per axis of ``value`` against ``target``; NaN (silently) where no group varies an axis."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the table shows an undefined Ψ as NaN
        result = granulated_kendall(frame, "value", target, axes)
    return result.psi, result.per_axis


def head_to_head(rows: pd.DataFrame, *, target: str = "generalization_gap",
                 hyperparameters: Sequence[str] | None = None) -> pd.DataFrame:
    """Per measure: n, Kendall τ, Spearman ρ (with p-values) of ``value`` against ``target``, and the granulated
    Kendall Ψ (plus ``psi_<axis>``) over ``hyperparameters`` columns when given.

    ``rows``: long format, one row per (model, measure) with columns ``measure``, ``value``, ``target`` and the
    hyper-parameter columns (e.g. the ``measures`` table joined with ``models`` and a gap column).
    Sorted by |Kendall τ|, strongest first.
    """
    axes = list(hyperparameters or [])
    missing = [c for c in ("measure", "value", target, *axes) if c not in rows.columns]
    if missing:
        raise ConfigError(f"head_to_head: columns {missing} are missing; the frame has {list(rows.columns)}")
    out = []
    for name, group in rows.groupby("measure", sort=True):
        x = group["value"].to_numpy(dtype=float)
        y = group[target].to_numpy(dtype=float)
        tau, tau_p, rho, rho_p, n = _rank(x, y)
        rec = {"measure": name, "n": n, "kendall_tau": tau, "kendall_p": tau_p, "spearman_rho": rho,
               "spearman_p": rho_p}
        if axes:
            psi, per_axis = _granulated(group, target, axes)
            rec["granulated_kendall"] = psi
            rec.update({f"psi_{a}": v for a, v in per_axis.items()})
        out.append(rec)
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    return frame.sort_values("kendall_tau", key=lambda s: -s.abs().fillna(-1), kind="stable").reset_index(drop=True)


def head_to_head_from_run(run_dir, *, epoch: int = -1, hyperparameters: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`head_to_head` over a run directory: its ``measures`` rows joined with ``models`` and the gap
    ``train_acc − test_acc``. Axes default to the :data:`HYPERPARAMETERS` columns that take ≥ 2 values."""
    from basinlab.rundir import read_table

    measures, models = read_table(run_dir, "measures"), read_table(run_dir, "models")
    if measures.empty or models.empty:
        raise ConfigError(f"run directory {run_dir} has no measures or no models rows yet; run the spec first")
    models = models.assign(generalization_gap=generalization_gap(models))
    rows = measures[measures["epoch"] == epoch].merge(models, on="model_id", how="inner")
    if hyperparameters is None:
        hyperparameters = [c for c in HYPERPARAMETERS if c in models.columns and models[c].nunique() >= 2]
    return head_to_head(rows, hyperparameters=hyperparameters)


def batch_size_gap(models: pd.DataFrame) -> pd.DataFrame:
    """Small- vs large-batch test accuracy per training size: columns ``train_size``, ``small_batch``,
    ``large_batch``, ``small_acc``, ``large_acc`` (means over seeds), ``gap_points`` = 100·(small − large), ``n``.

    Uses the smallest and largest ``batch_size`` present (0 = full batch counts as the largest)."""
    missing = [c for c in ("train_size", "batch_size", "test_acc") if c not in models.columns]
    if missing:
        raise ConfigError(f"batch_size_gap needs columns {missing} in the models table")
    bs = models["batch_size"].replace(0, np.iinfo(np.int64).max)
    small, large = bs.min(), bs.max()
    if small == large:
        raise ConfigError(f"batch_size_gap needs at least two batch sizes; the models all use {int(small)}")
    out = []
    for size, g in models.assign(_bs=bs).groupby("train_size"):
        s_acc, l_acc = g.loc[g["_bs"] == small, "test_acc"], g.loc[g["_bs"] == large, "test_acc"]
        out.append({"train_size": int(size), "small_batch": int(small),
                    "large_batch": 0 if large == np.iinfo(np.int64).max else int(large),
                    "small_acc": float(s_acc.mean()), "large_acc": float(l_acc.mean()),
                    "gap_points": 100 * float(s_acc.mean() - l_acc.mean()), "n": int(min(len(s_acc), len(l_acc)))})
    return pd.DataFrame(out)


def plot_head_to_head(table: pd.DataFrame, ax=None, *, alpha: float = 0.05):
    """Horizontal bars of Kendall τ per measure (from :func:`head_to_head`); bars with p < ``alpha`` are solid,
    the others hatched. Returns the matplotlib ``Axes`` (a new figure when ``ax`` is None)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.3 * len(table) + 1.2))
    order = table.sort_values("kendall_tau")
    significant = order["kendall_p"].to_numpy() < alpha
    for yi, (tau, sig) in enumerate(zip(order["kendall_tau"].fillna(0.0), significant, strict=True)):
        ax.barh(yi, tau, color="tab:blue" if sig else "none", edgecolor="tab:blue", hatch=None if sig else "//")
    y = np.arange(len(order))
    ax.set_yticks(y, order["measure"])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(f"Kendall τ with the generalisation gap (solid: p < {alpha:g})")
    return ax
