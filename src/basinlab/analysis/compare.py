"""Two runs of one design side by side (e.g. inputs standardised vs scaled to [0, 1]): radii and α per cell.

Models are matched by what defines them in the design -- (variant, train_size, poison, model_seed, data_seed) --
and volumes by (landscape_size, threshold, epoch); the runs' ``model_id`` differ because their inputs differ.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .powerlaw import PowerLawSkipped, fit_power_law, join_models
from .run import RunTables, load_run

__all__ = ["compare_runs", "compare_power_laws", "MATCH_KEYS"]

MATCH_KEYS = ("variant", "train_size", "poison", "model_seed", "data_seed", "landscape_size", "threshold", "epoch")
_VALUES = ("r_max", "r_median", "log_volume", "test_acc")


def _tables(run: str | Path | RunTables) -> RunTables:
    return run if isinstance(run, RunTables) else load_run(run)


def compare_runs(run_a: str | Path | RunTables, run_b: str | Path | RunTables, *,
                 labels: tuple[str, str] = ("a", "b")) -> pd.DataFrame:
    """One row per matched (model, landscape, τ) cell with r_max, r_median, log V (nats) and test accuracy of both.

    Columns: :data:`MATCH_KEYS`, then ``<value>_<label>`` for each value and label, and ``r_max_ratio`` /
    ``r_median_ratio`` = b / a. Cells present in only one run are left out; none in common is an error.
    """
    a, b = (join_models(t.volumes, t.models)[[*MATCH_KEYS, *_VALUES]] for t in map(_tables, (run_a, run_b)))
    merged = a.merge(b, on=list(MATCH_KEYS), suffixes=tuple(f"_{lab}" for lab in labels))
    if merged.empty:
        raise DataError("the two runs have no (variant, size, seeds, landscape, threshold) cell in common; "
                        "compare runs of the same design (e.g. two profiles of one recipe)")
    for value in ("r_max", "r_median"):
        with np.errstate(divide="ignore", invalid="ignore"):
            merged[f"{value}_ratio"] = merged[f"{value}_{labels[1]}"] / merged[f"{value}_{labels[0]}"]
    return merged.sort_values(list(MATCH_KEYS)).reset_index(drop=True)


def compare_power_laws(run_a: str | Path | RunTables, run_b: str | Path | RunTables, *,
                       labels: tuple[str, str] = ("a", "b"), n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """α with its bootstrap interval per (variant, threshold) in each run: columns ``alpha_<label>``, ``_lo``, ``_hi``."""
    fits = []
    for run, label in zip((run_a, run_b), labels, strict=True):
        tables = _tables(run)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PowerLawSkipped)
            fit = fit_power_law(tables.volumes, tables.models, n_boot=n_boot, seed=seed)
        fits.append(fit[["variant", "threshold", "alpha", "alpha_lo", "alpha_hi"]]
                    .rename(columns={c: f"{c}_{label}" for c in ("alpha", "alpha_lo", "alpha_hi")}))
    return fits[0].merge(fits[1], on=["variant", "threshold"], how="outer")
