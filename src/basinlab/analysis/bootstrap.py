"""Seeded bootstrap helpers: resample groups (e.g. seeds) with replacement, percentile intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..errors import ConfigError

__all__ = ["bootstrap_weights", "percentile_interval", "bootstrap_statistic"]


def _check(n_resamples: int, level: float) -> None:
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise ConfigError(f"n_resamples must be a positive integer; got {n_resamples!r}")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"confidence level must be in (0, 1), e.g. 0.95; got {level!r}")


def bootstrap_weights(n_groups: int, n_resamples: int, seed: int) -> np.ndarray:
    """How often each of ``n_groups`` groups is drawn in each resample: int array (n_resamples, n_groups).

    Each row sums to ``n_groups`` (a draw of ``n_groups`` groups with replacement). Seeded by ``seed``.
    """
    _check(n_resamples, 0.5)
    if n_groups < 1:
        raise ConfigError(f"bootstrap needs at least one group; got {n_groups}")
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_resamples)


def percentile_interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Two-sided percentile interval of the finite ``samples``; (nan, nan) if there are none."""
    _check(1, level)
    finite = np.asarray(samples, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(finite, [tail, 100.0 - tail])
    return float(lo), float(hi)


def bootstrap_statistic(
    groups: Sequence[np.ndarray],
    statistic: Callable[[np.ndarray], float],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """(estimate, lo, hi): ``statistic`` of all groups' rows concatenated, with a group-bootstrap interval.

    ``groups`` is one array of rows per resampling unit (e.g. per seed); a resample draws units with
    replacement and concatenates their rows. Non-finite resampled statistics are left out of the interval.
    """
    _check(n_resamples, level)
    arrays = [np.asarray(g) for g in groups]
    if not arrays:
        raise ConfigError("bootstrap_statistic needs at least one group of rows")
    estimate = float(statistic(np.concatenate(arrays)))
    weights = bootstrap_weights(len(arrays), n_resamples, seed)
    samples = np.empty(n_resamples)
    for b, row in enumerate(weights):
        picked = [a for a, w in zip(arrays, row, strict=True) for _ in range(int(w))]
        samples[b] = statistic(np.concatenate(picked))
    lo, hi = percentile_interval(samples, level)
    return estimate, lo, hi
