"""Cross-landscape matrix: every minimum measured in every landscape no larger than its training set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .powerlaw import join_models

__all__ = ["LandscapeMatrix", "landscape_matrix"]


@dataclass(frozen=True)
class LandscapeMatrix:
    """Result of :func:`landscape_matrix`.

    Attributes:
        values: mean log-volume (nats) over the seeds with a finite volume; index = training size of the
            minimum, columns = landscape size. −inf when every seed's minimum sits above the threshold there
            (volume 0); NaN = not measured.
        n_inf: per cell, how many seeds gave log V = −inf (left out of ``values``).
        per_model: the long table (model_id, seed_unit, train_size, landscape_size, log_volume).
        checks: per (seed unit, landscape): whether the minimum trained on that landscape has the largest
            log-volume in it (``own_largest``), with the largest one's training size.
        violations: number of (seed, landscape) pairs where the own minimum is not the largest.
        threshold, variant: the slice of the volumes table used.
    """

    values: pd.DataFrame
    n_inf: pd.DataFrame
    per_model: pd.DataFrame
    checks: pd.DataFrame
    violations: int
    threshold: float
    variant: str


def _finite_mean(values: pd.Series) -> float:
    """Mean of the finite log-volumes; −inf when every seed is −inf (counted separately in ``n_inf``)."""
    v = values.to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    return float(finite.mean()) if finite.size else float(v.max()) if v.size else float("nan")


def landscape_matrix(
    volumes: pd.DataFrame,
    models: pd.DataFrame,
    *,
    threshold: float | None = None,
    variant: str | None = None,
    epoch: int = -1,
) -> LandscapeMatrix:
    """Minimum × landscape log-volume matrix for one threshold and training variant (clean models only).

    ``threshold``/``variant`` default to the smallest threshold and the most common variant present.
    Landscapes are compared within one seed unit (model_seed/data_seed): their nested datasets coincide.
    """
    data = join_models(volumes, models)
    data = data[(data["epoch"] == epoch) & (data["poison"].fillna(0) == 0)
                & (data["imbalance"].fillna("").astype(str) == "")]
    if data.empty:
        raise ConfigError("landscape_matrix: no clean final-model volumes in this run; measure some models first")
    if threshold is None:
        threshold = float(data["threshold"].min())
    if variant is None:
        variant = str(data["variant"].value_counts().index[0])
    data = data[np.isclose(data["threshold"], threshold) & (data["variant"] == variant)]
    if data.empty:
        raise ConfigError(f"landscape_matrix: no volumes for threshold {threshold} and variant {variant!r}")
    long = data[["model_id", "seed_unit", "train_size", "landscape_size", "log_volume"]].reset_index(drop=True)
    values = long.pivot_table(index="train_size", columns="landscape_size", values="log_volume", aggfunc=_finite_mean)
    n_inf = (long.assign(is_inf=np.isneginf(long["log_volume"].to_numpy(dtype=float)))
             .pivot_table(index="train_size", columns="landscape_size", values="is_inf", aggfunc="sum"))
    checks = []
    for (unit, size), group in long.groupby(["seed_unit", "landscape_size"], sort=True):
        own = group[group["train_size"] == size]
        if own.empty or len(group) < 2:
            continue
        best = group.loc[group["log_volume"].idxmax()]
        own_lv = float(own["log_volume"].max())
        checks.append({"seed_unit": unit, "landscape_size": int(size), "own_log_volume": own_lv,
                       "largest_train_size": int(best["train_size"]), "largest_log_volume": float(best["log_volume"]),
                       "own_largest": bool(own_lv >= float(best["log_volume"]))})
    checks = pd.DataFrame(checks, columns=["seed_unit", "landscape_size", "own_log_volume", "largest_train_size",
                                           "largest_log_volume", "own_largest"])
    return LandscapeMatrix(values=values, n_inf=n_inf.astype("Int64"), per_model=long, checks=checks,
                           violations=int((~checks["own_largest"]).sum()) if len(checks) else 0,
                           threshold=float(threshold), variant=variant)
