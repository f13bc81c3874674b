"""Argument checks of :func:`basinlab.volume.measure_volume`; each failure names the argument and what is accepted."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError, DataError

__all__ = ["check_arguments", "THRESHOLD_KINDS", "error_level"]

THRESHOLD_KINDS = ("loss", "accuracy")  # a crossing is the loss rising above τ, or the accuracy falling below a level
ACCURACY_SLACK = 1e-9  # error rates within this of 1 − level count as at the level (float rounding of 1 − level)


def error_level(accuracy: float) -> float:
    """The error-rate level of an accuracy level: accuracy < level ⟺ error rate > ``error_level(level)``, for fewer
    than 10⁹ examples (an accuracy exactly at the level is not below it, whatever the rounding of ``1 − level``)."""
    return 1.0 - accuracy + ACCURACY_SLACK


def _positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer; got {value!r}")


def check_arguments(
    model: nn.Module, inputs: Any, targets: Any, *, thresholds: Sequence[float], directions: int, seed: int,
    rtol: float, max_coefficient: float, landscapes: Sequence[int] | None, batch_directions: int | None,
    scan_points: int, memory_budget: int, threshold_kind: str = "loss", workers: int | None = None,
) -> tuple[list[float], list[int]]:
    """Validate the arguments; returns ``(thresholds, landscape sizes)`` as plain lists."""
    if not isinstance(model, nn.Module):
        raise ConfigError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    params = list(model.named_parameters())
    if not params:
        raise ConfigError("model has no parameters; a basin volume needs at least one float parameter")
    for name, p in params:
        if not p.dtype.is_floating_point:
            raise ConfigError(f"parameter {name!r} has dtype {p.dtype}; every parameter must be float32 or float64")
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise DataError("inputs and targets must be torch tensors (inputs (N, ...) float, targets (N,) or (N, C))")
    if inputs.dim() == 0 or inputs.shape[0] == 0:
        raise DataError(f"inputs are empty (shape {tuple(inputs.shape)}); a landscape needs at least one example")
    if targets.dim() == 0 or targets.shape[0] != inputs.shape[0]:
        raise DataError(
            f"inputs have {inputs.shape[0]} rows but targets have shape {tuple(targets.shape)}; "
            "they must have the same number of rows"
        )
    if threshold_kind not in THRESHOLD_KINDS:
        raise ConfigError(f"threshold_kind {threshold_kind!r} is unknown; use one of {', '.join(map(repr, THRESHOLD_KINDS))}")
    if isinstance(thresholds, (int, float)):
        thresholds = [thresholds]
    taus = [float(t) for t in thresholds]
    if threshold_kind == "accuracy":
        if not taus or any(not 0 < t <= 1 for t in taus):
            raise ConfigError(f"accuracy thresholds must be a non-empty list of accuracies in (0, 1]; got {list(thresholds)!r}")
    elif not taus or any(not (math.isfinite(t) and t > 0) for t in taus):
        raise ConfigError(f"thresholds must be a non-empty list of finite losses > 0; got {list(thresholds)!r}")
    if len(set(taus)) != len(taus):
        raise ConfigError(f"thresholds must be distinct; got {taus!r}")
    _positive_int("directions", directions)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer; got {seed!r}")
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)) or not 1e-12 <= rtol <= 0.1:
        raise ConfigError(f"rtol must be a relative tolerance in [1e-12, 0.1]; got {rtol!r}")
    if not isinstance(max_coefficient, (int, float)) or not (math.isfinite(max_coefficient) and max_coefficient > 0):
        raise ConfigError(f"max_coefficient must be a finite number > 0; got {max_coefficient!r}")
    _positive_int("batch_directions", batch_directions, allow_none=True)
    _positive_int("scan_points", scan_points)
    _positive_int("memory_budget", memory_budget)
    _positive_int("workers", workers, allow_none=True)
    n = int(inputs.shape[0])
    if landscapes is None:
        sizes = [n]
    else:
        sizes = list(landscapes)
        if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
            raise ConfigError(f"landscapes must be a non-empty list of positive integer sizes; got {sizes!r}")
        if any(b <= a for a, b in zip(sizes, sizes[1:], strict=False)):
            raise ConfigError(f"landscapes must be strictly increasing prefix sizes; got {sizes!r}")
        if sizes[-1] > n:
            raise ConfigError(f"landscape size {sizes[-1]} is larger than the {n} examples given; use sizes <= {n}")
    return taus, [int(s) for s in sizes]
