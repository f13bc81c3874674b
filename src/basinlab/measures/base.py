"""One interface for every landscape measure: a registry of name -> function(model, data, settings, seed).

A measure function returns ``dict[str, MeasureValue]``: one entry per output row (``'sam'``, ``'sam_avg'`` …).
Its first key is the measure's primary value. Settings are declared per measure as typed defaults; unknown keys
or values of the wrong type raise :class:`~basinlab.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ConfigError, describe_choices
from ..train.config import LOSSES  # the one list of losses

__all__ = [
    "MeasureValue",
    "MeasureData",
    "MeasureInfo",
    "Measure",
    "MEASURES",
    "READS",
    "GLOBAL_SETTINGS",
    "register_measure",
    "resolve_settings",
    "nonfinite_state",
    "NONFINITE_INIT",
]



@dataclass(frozen=True)
class MeasureValue:
    """A measured number: ``value``, its standard error (NaN if exact) and extra ``details`` (arrays, counts)."""

    value: float
    stderr: float = math.nan
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class MeasureData:
    """The data a measure sees.

    Attributes:
        inputs, targets: the landscape's training examples, ``(N, *input_shape)`` float and ``(N,)`` int64 labels
            (or ``(N, C)`` float for ``loss='mse'``). The loss is the mean over these rows.
        test_inputs, test_targets: held-out examples (function-space measure), or ``None``.
        loss: ``'cross_entropy'`` or ``'mse'`` (``F.mse_loss``, mean over all elements).
        init_state: the model's ``state_dict`` at initialisation (distance from init, PAC-Bayes KL), or ``None``.
        landscape: label written to the ``measures`` table, e.g. ``'train:2000'``.
        device: where the passes over the data run (``'cpu'``, ``'cuda'``, a ``torch.device``); None = the
            model's device. The model copy and the data are moved there.
    """

    inputs: Any
    targets: Any
    test_inputs: Any = None
    test_targets: Any = None
    loss: str = "cross_entropy"
    init_state: Mapping[str, Any] | None = None
    landscape: str = ""
    device: Any = None

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ConfigError(f"measure loss {self.loss!r} is unknown; use {describe_choices(LOSSES)}")
        if len(self.inputs) != len(self.targets) or len(self.inputs) == 0:
            raise ConfigError(
                f"measure data needs as many inputs as targets and at least one row; "
                f"got {len(self.inputs)} inputs and {len(self.targets)} targets"
            )


class Measure(Protocol):
    """``fn(model, data, settings, seed) -> {row name: MeasureValue}``; settings already merged with defaults."""

    def __call__(
        self, model: Any, data: MeasureData, settings: dict[str, Any], seed: int
    ) -> dict[str, MeasureValue]: ...


# What a measure may read besides the weights (``MeasureInfo.reads``): 'train' = the landscape's examples through
# the loss, 'held_out' = the test inputs. A measure whose inputs are not finite is NaN with a reason, never run.
READS = ("train", "held_out")


@dataclass(frozen=True)
class MeasureInfo:
    """A registered measure: its function, typed default settings, per-key checks ``key -> (ok, accepted)`` and
    what it reads besides the weights (a subset of :data:`READS`)."""

    name: str
    fn: Measure
    defaults: dict[str, Any]
    checks: dict[str, tuple[Callable[[Any], bool], str]]
    outputs: tuple[str, ...]
    summary: str
    reads: tuple[str, ...] = ("train",)


MEASURES: dict[str, MeasureInfo] = {}

# Settings that apply to every measure (top level of the settings dict). examples / test_examples: use the
# first k rows of the landscape / held-out data (0 = all). reparam_factors / reparam_layer: also measure the
# function-preserving rescaling of weight layer ``reparam_layer`` by each factor (rows named ``<row>@a=<a>``).
GLOBAL_SETTINGS: dict[str, Any] = {"examples": 0, "test_examples": 0, "chunk_size": 4096,
                                   "reparam_factors": [], "reparam_layer": 0}
GLOBAL_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "examples": (lambda v: v >= 0, "a non-negative integer"),
    "test_examples": (lambda v: v >= 0, "a non-negative integer"),
    "chunk_size": (lambda v: v >= 0, "a non-negative integer"),
    "reparam_factors": (lambda v: all(isinstance(a, (int, float)) and not isinstance(a, bool) and a > 0 for a in v),
                        "a list of positive numbers"),
    "reparam_layer": (lambda v: v >= 0, "a non-negative integer"),
}


def register_measure(
    name: str,
    defaults: dict[str, Any],
    outputs: tuple[str, ...],
    checks: dict[str, tuple[Callable[[Any], bool], str]] | None = None,
    reads: tuple[str, ...] = ("train",),
) -> Callable[[Measure], Measure]:
    """Decorator adding ``fn`` to :data:`MEASURES` under ``name`` (its docstring's first line is the summary).
    ``reads``: what the measure reads besides the weights (:data:`READS`; default the training examples)."""
    unknown = sorted(set(reads) - set(READS))
    if unknown:
        raise ConfigError(f"register_measure({name!r}): reads {unknown} unknown; use any of {describe_choices(READS)}")

    def wrap(fn: Measure) -> Measure:
        summary = (fn.__doc__ or name).strip().splitlines()[0]
        MEASURES[name] = MeasureInfo(name, fn, dict(defaults), dict(checks or {}), outputs, summary, tuple(reads))
        return fn

    return wrap


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return True


def check_value(where: str, key: str, default: Any, value: Any, check: tuple[Callable[[Any], bool], str] | None):
    """Raise ConfigError unless ``value`` has the default's type and passes ``check``."""
    if not _type_ok(default, value):
        raise ConfigError(
            f"setting {where}{key} must be of type {type(default).__name__} (default {default!r}); got {value!r}"
        )
    if check is not None and not check[0](value):
        raise ConfigError(f"setting {where}{key} must be {check[1]}; got {value!r}")


def resolve_settings(name: str, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults of measure ``name`` overridden by ``settings[name]`` and the global keys (validated)."""
    info = MEASURES[name]
    merged = dict(info.defaults)
    own = dict((settings or {}).get(name) or {})
    for key, value in own.items():
        if key not in info.defaults:
            raise ConfigError(
                f"setting measures.{name}.{key} is unknown; {name} accepts {describe_choices(sorted(info.defaults))}"
            )
        check_value(f"measures.{name}.", key, info.defaults[key], value, info.checks.get(key))
        merged[key] = value
    for key, default in GLOBAL_SETTINGS.items():
        value = (settings or {}).get(key, default)
        check_value("measures.", key, default, value, GLOBAL_CHECKS[key])
        merged.setdefault(key, value)
    return merged


def nonfinite_state(state: Mapping[str, Any] | None) -> bool:
    """True when a ``state_dict`` (e.g. ``init_state``) holds a NaN or Inf floating-point value."""
    import torch

    return state is not None and any(
        torch.is_tensor(v) and v.is_floating_point() and not bool(torch.isfinite(v).all()) for v in state.values())


NONFINITE_INIT = "the initial weights (init_state) are not finite (NaN or Inf): no distance from them is defined"
