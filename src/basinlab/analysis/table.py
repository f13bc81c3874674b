"""The paper's Table 1: per model/variant, α and test accuracy at the largest and smallest training size."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .powerlaw import PowerLawSkipped, fit_power_law, own_landscape
from .run import RunTables, load_run

__all__ = ["table1", "format_table1"]

TABLE1_COLUMNS = (
    "dataset", "variant", "n_params", "threshold", "alpha", "alpha_lo", "alpha_hi", "r2", "n_seeds",
    "size_small", "size_large", "test_acc_small", "test_acc_large", "n_excluded",
)


def table1(run: str | Path | RunTables, *, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Table-1-style summary of a run (a run directory or its :class:`RunTables`).

    One row per (dataset, variant, threshold): α with its bootstrap interval across seeds (see
    :func:`fit_power_law`), R², and the mean test accuracy in [0, 1] over seeds of the clean models trained
    at the smallest and largest training size. ``n_excluded`` counts own-landscape volumes at −∞ (also where
    too few finite sizes remain for a fit, α NaN). Variants without volumes still get their accuracies.
    """
    tables = run if isinstance(run, RunTables) else load_run(run)
    models = tables.models
    if models.empty:
        return pd.DataFrame(columns=TABLE1_COLUMNS)
    clean = models[(models["poison"].fillna(0) == 0) & (models["imbalance"].fillna("").astype(str) == "")]
    accuracy = []
    for (dataset, variant), group in clean.groupby(["dataset", "variant"], sort=True):
        small, large = group["train_size"].min(), group["train_size"].max()
        accuracy.append({
            "dataset": dataset, "variant": variant, "size_small": int(small), "size_large": int(large),
            "test_acc_small": float(group.loc[group["train_size"] == small, "test_acc"].mean()),
            "test_acc_large": float(group.loc[group["train_size"] == large, "test_acc"].mean()),
        })
    accuracy = pd.DataFrame(accuracy, columns=["dataset", "variant", "size_small", "size_large",
                                               "test_acc_small", "test_acc_large"])
    with warnings.catch_warnings():  # single-size variants show as α = NaN with size_small == size_large
        warnings.simplefilter("ignore", PowerLawSkipped)
        fits = fit_power_law(tables.volumes, models, by=("dataset", "variant", "threshold"), n_boot=n_boot, seed=seed)
    keys = ["dataset", "variant", "threshold"]
    own = own_landscape(tables.volumes, models) if len(tables.volumes) else pd.DataFrame(columns=[*keys, "log_volume"])
    counts = (own.assign(n_excluded=np.isneginf(own["log_volume"].astype(float)))
              .groupby(keys, as_index=False)["n_excluded"].sum())  # −∞ counts also for groups without a fit
    # an empty fit frame (no variant with two finite sizes: single-size, imbalance-only or all −∞ runs) has
    # object-typed key columns; give both sides the same key dtypes so the merge is well defined
    fits = fits.astype({"threshold": "float64"})
    counts = counts.astype({"threshold": "float64"})
    measured = counts.merge(fits.drop(columns="n_excluded"), on=keys, how="left")
    out = accuracy.merge(measured, on=["dataset", "variant"], how="left")
    if "n_params" in out and out["n_params"].isna().any():  # variants without a fit: take n from the models
        n_by = clean.groupby(["dataset", "variant"])["n_params"].first()
        out["n_params"] = [n if pd.notna(n) else n_by.get((d, v)) for d, v, n in
                           zip(out["dataset"], out["variant"], out["n_params"], strict=True)]
    return out[list(TABLE1_COLUMNS)].reset_index(drop=True)


def _fmt(value: float, digits: int = 4) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, float) and np.isinf(value):
        return "−∞" if value < 0 else "∞"
    if isinstance(value, (int, np.integer)) or float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{float(value):.{digits}g}"


def format_table1(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`table1` as display strings: α with its interval, accuracies in percent, −∞ counts."""
    rows = []
    for r in frame.itertuples(index=False):
        ci = "—" if _fmt(r.alpha_lo) == "—" else f"[{_fmt(r.alpha_lo)}, {_fmt(r.alpha_hi)}]"
        rows.append({
            "dataset": str(r.dataset), "variant": str(r.variant), "n": _fmt(r.n_params), "τ": _fmt(r.threshold),
            "α": _fmt(r.alpha), "α 95% CI": ci, "R²": _fmt(r.r2, 3), "seeds": _fmt(r.n_seeds),
            "sizes": f"{r.size_small:,}–{r.size_large:,}",
            "test acc small": f"{100 * r.test_acc_small:.1f}%", "test acc large": f"{100 * r.test_acc_large:.1f}%",
            "−∞ left out": _fmt(r.n_excluded),
        })
    return pd.DataFrame(rows, columns=["dataset", "variant", "n", "τ", "α", "α 95% CI", "R²", "seeds", "sizes",
                                       "test acc small", "test acc large", "−∞ left out"])
