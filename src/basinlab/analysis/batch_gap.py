"""Small- vs large-batch test accuracy per training size, with a confidence interval and the equal-loss check.

The batch-gap study (issue 11; the 2026 preprint reports +1.6 points at 2,000 MNIST images falling to +0.02 at
60,000) compares the smallest and the largest ``batch_size`` of a run's ``models`` table (0 = full batch counts
as the largest). Models are paired by ``(model_seed, data_seed)``: the gap of a pair is
100·(test_acc_small − test_acc_large) in accuracy points; per training size the gap is their mean with a
two-sided Student-t interval over pairs (``confidence``). Both arms must sit at the same training loss for the
comparison to be about the batch size and not about under-training: with ``stop_loss`` given, a size is
``equal_loss`` when every model of both arms ended with ``train_loss`` ≤ ``stop_loss``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError

__all__ = ["batch_size_gap", "run_stop_loss", "PAPER_BATCH_GAP"]

# The preprint's MNIST figures (abstract of arXiv:2605.05209, "Are Flat Minima an Illusion?"): training size ->
# small − large batch test accuracy, points.
PAPER_BATCH_GAP = {2000: 1.6, 60000: 0.02}


def batch_size_gap(models: pd.DataFrame, *, stop_loss: float | None = None,
                   confidence: float = 0.95) -> pd.DataFrame:
    """One row per training size: ``small_batch``, ``large_batch``, ``small_acc``, ``large_acc`` (means),
    ``gap_points`` (mean paired difference, points), ``lo``/``hi`` (its t interval; NaN with one pair),
    ``n_pairs``, ``small_loss_min``/``small_loss_max``/``large_loss_min``/``large_loss_max`` (range of the final
    training losses per arm, so their equality shows), ``equal_loss``
    (all ≤ ``stop_loss``; None without it) and ``paper_points`` (the preprint's MNIST figure, NaN if none)."""
    need = ("train_size", "batch_size", "test_acc", "train_loss", "model_seed", "data_seed")
    missing = [c for c in need if c not in models.columns]
    if missing:
        raise ConfigError(f"batch_size_gap needs columns {missing} in the models table")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1); got {confidence!r}")
    big = np.iinfo(np.int64).max
    frame = models.assign(_bs=models["batch_size"].replace(0, big))
    small, large = frame["_bs"].min(), frame["_bs"].max()
    if small == large:
        raise ConfigError(f"batch_size_gap needs at least two batch sizes; the models all use {int(models['batch_size'].iloc[0])}")
    out = []
    for size, g in frame.groupby("train_size"):
        keys = ["model_seed", "data_seed"]
        s = g[g["_bs"] == small].set_index(keys)
        lg = g[g["_bs"] == large].set_index(keys)
        both = s.index.intersection(lg.index)
        diffs = 100 * (s.loc[both, "test_acc"].to_numpy(float) - lg.loc[both, "test_acc"].to_numpy(float))
        n = len(diffs)
        mean = float(diffs.mean()) if n else math.nan
        lo = hi = math.nan
        if n >= 2:
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * diffs.std(ddof=1) / math.sqrt(n))
            lo, hi = mean - half, mean + half
        s_loss, l_loss = float(s["train_loss"].max()), float(lg["train_loss"].max())
        equal = None if stop_loss is None else bool(max(s_loss, l_loss) <= stop_loss)
        out.append({"train_size": int(size), "small_batch": int(small), "large_batch": 0 if large == big else int(large),
                    "small_acc": float(s["test_acc"].mean()), "large_acc": float(lg["test_acc"].mean()),
                    "gap_points": mean, "lo": lo, "hi": hi, "n_pairs": n,
                    "small_loss_min": float(s["train_loss"].min()), "small_loss_max": s_loss,
                    "large_loss_min": float(lg["train_loss"].min()), "large_loss_max": l_loss, "equal_loss": equal,
                    "paper_points": PAPER_BATCH_GAP.get(int(size), math.nan)})
    return pd.DataFrame(out)


def run_stop_loss(run_dir: Any) -> float | None:
    """The ``stop_loss`` shared by every training variant of a run (from its manifest's resolved spec, profile
    applied); None when there is none, the variants disagree, or the manifest is unreadable."""
    from .run import read_manifest

    try:
        spec = read_manifest(run_dir).get("spec")
    except Exception:  # noqa: BLE001 - an unreadable manifest only means the check cannot be made
        return None
    if not isinstance(spec, dict):
        return None
    values = {dict(map(tuple, v.get("config", []))).get("stop_loss") for v in spec.get("variants", [])}
    if len(values) != 1:
        return None
    (value,) = values
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
