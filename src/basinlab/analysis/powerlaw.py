"""Power law of basin volume in dataset size (docs/method.md §2): log V = slope · log D + c, α = slope / n.

Each minimum is measured in its OWN landscape (the landscape of its training set). Minima whose centre loss
is above the threshold have log V = −∞; they are left out of the fit and counted in ``n_excluded``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .bootstrap import bootstrap_weights, percentile_interval

__all__ = ["join_models", "own_landscape", "fit_power_law", "FIT_COLUMNS", "PowerLawSkipped"]


class PowerLawSkipped(UserWarning):
    """A power-law group had fewer than two training sizes with a finite volume, so it was not fitted."""

FIT_COLUMNS = (
    "slope", "slope_lo", "slope_hi", "intercept", "alpha", "alpha_lo", "alpha_hi", "r2",
    "n_params", "n_points", "n_seeds", "n_sizes", "n_excluded",
)


def join_models(volumes: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """``volumes`` rows with their model's columns (variant, train_size, seeds, accuracies, ...) joined on."""
    for name, frame, needed in (("volumes", volumes, ("model_id",)), ("models", models, ("model_id", "train_size"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(f"{name} table lacks columns {missing}; see docs/run-directory.md")
    extra = [c for c in models.columns if c not in volumes.columns or c == "model_id"]
    merged = volumes.merge(models[extra], on="model_id", how="inner")
    if len(volumes) and merged.empty:
        raise DataError("no volumes row has a model_id that appears in the models table; is the run incomplete?")
    merged["seed_unit"] = merged["model_seed"].astype(str) + "/" + merged["data_seed"].astype(str)
    return merged


def own_landscape(volumes: pd.DataFrame, models: pd.DataFrame, *, epoch: int = -1, clean_only: bool = True) -> pd.DataFrame:
    """Rows measuring each minimum in the landscape of its own training set (size = train_size + poison).

    ``clean_only`` keeps models without poison, imbalance or extra noise only (the data-size experiment).
    """
    merged = join_models(volumes, models)
    merged = merged[merged["epoch"] == epoch]
    poison = merged["poison"].fillna(0).astype(int) if "poison" in merged else 0
    merged = merged[merged["landscape_size"] == merged["train_size"] + poison]
    if clean_only:
        keep = (merged["poison"].fillna(0) == 0) & (merged["imbalance"].fillna("").astype(str) == "")
        merged = merged[keep]
    return merged.reset_index(drop=True)


def _slope_stats(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sufficient statistics (count, Σx, Σy, Σxx, Σxy) of one group's points."""
    return np.array([len(x), x.sum(), y.sum(), (x * x).sum(), (x * y).sum()])


def _slopes(stats: np.ndarray) -> np.ndarray:
    """Least-squares slopes from (..., 5) summed statistics; NaN where all x coincide."""
    n, sx, sy, sxx, sxy = np.moveaxis(stats, -1, 0)
    denom = n * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (n * sxy - sx * sy) / denom
    return np.where(np.abs(denom) > 1e-12 * np.maximum(1.0, n * sxx), slope, np.nan)


def _fit_group(frame: pd.DataFrame, n_boot: int, level: float, seed: int) -> dict:
    finite = np.isfinite(frame["log_volume"].to_numpy(dtype=float))
    n_excluded = int((~finite).sum())
    used = frame[finite]
    x = np.log(used["landscape_size"].to_numpy(dtype=float))
    y = used["log_volume"].to_numpy(dtype=float)
    n_params = used["n_params"].unique()
    if len(n_params) != 1:
        raise DataError(f"one power-law group mixes models with n_params {sorted(int(n) for n in n_params)}; "
                        "group by variant or architecture so α = slope / n uses one n")
    n = float(n_params[0])
    units = sorted(used["seed_unit"].unique())
    stats = np.stack([_slope_stats(x[used["seed_unit"].to_numpy() == u], y[used["seed_unit"].to_numpy() == u])
                      for u in units])
    slope = float(_slopes(stats.sum(axis=0)))
    intercept = float((y.sum() - slope * x.sum()) / len(x))
    resid = y - (intercept + slope * x)
    total = ((y - y.mean()) ** 2).sum()
    r2 = float(1.0 - (resid ** 2).sum() / total) if total > 0 else float("nan")
    if len(units) >= 2:
        weights = bootstrap_weights(len(units), n_boot, seed)
        lo, hi = percentile_interval(_slopes(weights @ stats), level)
    else:
        lo = hi = float("nan")
    return {
        "slope": slope, "slope_lo": lo, "slope_hi": hi, "intercept": intercept,
        "alpha": slope / n, "alpha_lo": lo / n, "alpha_hi": hi / n, "r2": r2, "n_params": int(n),
        "n_points": int(len(x)), "n_seeds": len(units), "n_sizes": int(used["landscape_size"].nunique()),
        "n_excluded": n_excluded,
    }


def fit_power_law(
    volumes: pd.DataFrame,
    models: pd.DataFrame,
    *,
    by: Sequence[str] = ("variant", "threshold"),
    epoch: int = -1,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    clean_only: bool = True,
) -> pd.DataFrame:
    """Fit log V (nats) against log D for the minima found at each training size D, in their own landscape.

    One row per group ``by`` (default: per training variant and threshold) with the least-squares slope,
    α = slope / n_params, R², and a percentile bootstrap interval (``level``) from resampling seed units
    ((model_seed, data_seed) pairs) with replacement, ``n_boot`` times, seeded by ``seed``. The interval is
    NaN when a group has a single seed. Rows with log V = −∞ are excluded and counted in ``n_excluded``;
    NaN log-volumes are an error. Groups with fewer than two distinct finite sizes are skipped with a warning.
    """
    data = own_landscape(volumes, models, epoch=epoch, clean_only=clean_only)
    by = list(by)
    missing = [c for c in by if c not in data.columns]
    if missing:
        raise ConfigError(f"fit_power_law(by=...) names unknown columns {missing}; use columns of volumes/models")
    bad = data["log_volume"].isna()
    if bad.any():
        ids = sorted(data.loc[bad, "model_id"].astype(str).unique())[:3]
        raise DataError(f"{int(bad.sum())} own-landscape log_volume values are NaN (models {ids}); "
                        "−inf is allowed (centre above threshold), NaN is not")
    rows = []
    for key, group in data.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        finite = group[np.isfinite(group["log_volume"].to_numpy(dtype=float))]
        if finite["landscape_size"].nunique() < 2:
            warnings.warn(f"power-law group {dict(zip(by, key, strict=True))} has fewer than two training sizes with a finite "
                          f"volume ({len(group) - len(finite)} rows at −inf); no fit for it",
                          PowerLawSkipped, stacklevel=2)
            continue
        rows.append({**dict(zip(by, key, strict=True)), **_fit_group(group, n_boot, level, seed)})
    return pd.DataFrame(rows, columns=[*by, *FIT_COLUMNS])
