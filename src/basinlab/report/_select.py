"""Shared selection helpers for figure functions: default threshold, settings text, clean-model filters."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["pick_threshold", "settings_text", "clean", "at_threshold", "final"]


def pick_threshold(volumes: pd.DataFrame, threshold: float | None) -> float | None:
    """``threshold`` if given, else the largest threshold present (the paper's main τ); None if no volumes."""
    if threshold is not None:
        return float(threshold)
    if volumes.empty:
        return None
    return float(volumes["threshold"].max())


def at_threshold(frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return frame[np.isclose(frame["threshold"].astype(float), threshold)]


def final(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["epoch"] == -1]


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of models without poison and imbalance."""
    return frame[(frame["poison"].fillna(0) == 0) & (frame["imbalance"].fillna("").astype(str) == "")]


def _values(frame: pd.DataFrame, column: str) -> str:
    if column not in frame or frame.empty:
        return "?"
    values = sorted(pd.unique(frame[column].dropna()))
    return "/".join(f"{v:g}" if isinstance(v, (float, np.floating)) else str(v) for v in values) or "?"


def settings_text(frame: pd.DataFrame, threshold: float | None = None) -> str:
    """'τ = 0.1, K = 500 directions, n = 235,146' from a volumes-like frame."""
    parts = []
    if threshold is not None:
        parts.append(f"τ = {threshold:g}")
    if "n_directions" in frame:
        parts.append(f"K = {_values(frame, 'n_directions')} directions")
    if "n_params" in frame and not frame.empty:
        ns = sorted(pd.unique(frame["n_params"].dropna()))
        parts.append("n = " + "/".join(f"{int(n):,}" for n in ns))
    return ", ".join(parts)
