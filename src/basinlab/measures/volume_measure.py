"""The basin volume from :func:`basinlab.volume.measure_volume`, as a measure row.

``volume`` = log-volume in nats (log mean_k exp(n·log r_k), unit-ball constant omitted) at loss threshold
``threshold`` over ``directions`` filter-normalised random directions; stderr = (hi − lo) / (2·1.96) from the
engine's 95% bootstrap CI over directions, which ``details`` also carries (``lo``, ``hi``, ``r_max``,
``censored``). ``-inf`` when the centre loss is above the threshold (not a minimum of this landscape).
"""

from __future__ import annotations

import math
from typing import Any

from .base import MeasureData, MeasureValue, register_measure

__all__ = ["volume"]


@register_measure(
    "volume",
    {"threshold": 0.1, "directions": 50, "filter_normalize": True, "normalization": None},
    outputs=("volume",),
    checks={"threshold": (lambda v: v > 0, "positive"), "directions": (lambda v: v >= 2, "an integer ≥ 2")},
)
def volume(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Log basin volume (nats) from the volume engine, ± the half-width of its 95% bootstrap CI / 1.96."""
    from basinlab.volume import measure_volume

    limit = int(settings["examples"]) or len(data.inputs)
    result = measure_volume(
        model, data.inputs[:limit], data.targets[:limit], thresholds=(settings["threshold"],),
        directions=settings["directions"], seed=seed, loss=data.loss, filter_normalize=settings["filter_normalize"],
        normalization=settings["normalization"], device=data.device,
    )
    return {"volume": volume_value(result, seed)}


def volume_value(result: Any, seed: int = 0) -> MeasureValue:
    """MeasureValue of the first threshold and landscape of a ``VolumeResult`` (log-volume, CI-derived stderr)."""
    value = float(result.log_volume())
    lo, hi = result.bootstrap_ci(seed=seed)
    stderr = (hi - lo) / (2 * 1.96) if math.isfinite(lo) and math.isfinite(hi) else math.nan
    details = {"lo": float(lo), "hi": float(hi), "r_max": result.quantiles()["max"],
               "censored": int(result.censored[:, 0, 0].sum()), "n_params": int(result.n_params)}
    return MeasureValue(value, stderr, details)


@register_measure(
    "volume_elementwise",
    {"threshold": 0.1, "directions": 50},
    outputs=("volume_elementwise",),
    checks={"threshold": (lambda v: v > 0, "positive"), "directions": (lambda v: v >= 2, "an integer ≥ 2")},
)
def volume_elementwise(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Log basin volume (nats) with ``normalization='elementwise'``: exactly invariant to every positive
    function-preserving rescaling (docs/engine.md); otherwise as ``volume``."""
    out = volume(model, data, {**settings, "filter_normalize": True, "normalization": "elementwise"}, seed)
    return {"volume_elementwise": out["volume"]}
