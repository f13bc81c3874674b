"""Rank correlation of a measure with generalisation: Kendall τ, Spearman ρ, granulated Kendall (Jiang et al. 2019)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError, DataError

__all__ = ["RankCorrelation", "rank_correlation", "GranulatedKendall", "granulated_kendall"]


@dataclass(frozen=True)
class RankCorrelation:
    """Kendall τ-b and Spearman ρ with two-sided p-values over ``n`` finite pairs (``n_dropped`` left out)."""

    kendall_tau: float
    kendall_p: float
    spearman_rho: float
    spearman_p: float
    n: int
    n_dropped: int


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> RankCorrelation:
    """Kendall τ-b and Spearman ρ between ``x`` and ``y`` (same length), as scipy.stats computes them.

    Pairs where either value is NaN or ±inf are dropped and counted. Fewer than 3 finite pairs is an error;
    a constant input gives NaN coefficients with a warning (no rank order to correlate).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ConfigError(f"rank_correlation needs x and y of equal length; got {x.size} and {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    n = int(keep.sum())
    if n < 3:
        raise DataError(f"rank_correlation needs at least 3 pairs with finite values; got {n} of {x.size}")
    x, y = x[keep], y[keep]
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        warnings.warn("rank_correlation: an input is constant; its coefficients are NaN", stacklevel=2)
        nan = float("nan")
        return RankCorrelation(nan, nan, nan, nan, n, int(keep.size - n))
    tau = stats.kendalltau(x, y)
    rho = stats.spearmanr(x, y)
    return RankCorrelation(float(tau.statistic), float(tau.pvalue), float(rho.statistic), float(rho.pvalue),
                           n, int(keep.size - n))


@dataclass(frozen=True)
class GranulatedKendall:
    """Ψ = mean over hyper-parameter axes of ψ_axis; ψ_axis = mean Kendall τ within groups where only it varies.

    ``per_axis`` maps axis → ψ (NaN if no group had ≥ 2 distinct values), ``n_groups`` axis → groups used.
    """

    psi: float
    per_axis: dict[str, float]
    n_groups: dict[str, int]


def granulated_kendall(
    frame: pd.DataFrame, measure: str, target: str, hyperparameters: Sequence[str]
) -> GranulatedKendall:
    """Granulated Kendall coefficient of column ``measure`` against column ``target`` (Jiang et al. 2019).

    For each axis in ``hyperparameters`` the rows are grouped by the values of all the other axes; within each
    group (only that axis, and seeds, vary) Kendall τ-b between measure and target is computed; ψ_axis is
    the mean over groups, and Ψ the mean of the defined ψ_axis. Rows with non-finite values are dropped.
    """
    hyperparameters = list(hyperparameters)
    missing = [c for c in (measure, target, *hyperparameters) if c not in frame.columns]
    if missing:
        raise ConfigError(f"granulated_kendall: columns {missing} are not in the frame; it has {list(frame.columns)}")
    if not hyperparameters:
        raise ConfigError("granulated_kendall needs at least one hyper-parameter column")
    data = frame[np.isfinite(frame[measure].astype(float)) & np.isfinite(frame[target].astype(float))]
    per_axis: dict[str, float] = {}
    n_groups: dict[str, int] = {}
    for axis in hyperparameters:
        others = [h for h in hyperparameters if h != axis]
        groups = data.groupby(others, dropna=False) if others else [((), data)]
        taus = []
        for _, group in groups:
            if group[axis].nunique() < 2 or len(group) < 2:
                continue
            m, t = group[measure].to_numpy(float), group[target].to_numpy(float)
            if np.ptp(m) == 0 or np.ptp(t) == 0:
                continue
            taus.append(float(stats.kendalltau(m, t).statistic))
        per_axis[axis] = float(np.mean(taus)) if taus else float("nan")
        n_groups[axis] = len(taus)
    defined = [v for v in per_axis.values() if np.isfinite(v)]
    if not defined:
        warnings.warn("granulated_kendall: no group had two distinct values of any axis; Ψ is NaN", stacklevel=2)
    return GranulatedKendall(float(np.mean(defined)) if defined else float("nan"), per_axis, n_groups)
