"""`TrainConfig`: every training choice, validated, JSON round-trippable."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import ConfigError, describe_choices

__all__ = ["OPTIMIZERS", "SCHEDULES", "LOSSES", "FIELD_RULES", "TrainConfig", "TrainConfigError",
           "check_field"]

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("constant", "step", "cosine")
LOSSES = ("cross_entropy", "mse")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _positive(v: Any) -> bool:
    return _is_num(v) and v > 0


def _non_negative(v: Any) -> bool:
    return _is_num(v) and v >= 0


def _betas(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_num(b) and 0 <= b < 1 for b in v)


def _epoch_list(v: Any) -> bool:
    return isinstance(v, (list, tuple, set, frozenset, range)) and all(_is_int(e) and e >= 0 for e in v)


# The one rule per training choice: field -> (test, what is accepted). TrainConfig applies them, and so does a
# spec's [train] table (basinlab.experiments.spec_train), which names its own key path in the error.
FIELD_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "optimizer": (lambda v: v in OPTIMIZERS, describe_choices(OPTIMIZERS)),
    "lr": (_positive, "a finite number > 0"),
    "weight_decay": (_non_negative, "a finite number >= 0"),
    "momentum": (_non_negative, "a finite number >= 0"),
    "nesterov": (lambda v: isinstance(v, bool), "True or False"),
    "betas": (_betas, "two numbers in [0, 1), e.g. (0.9, 0.999)"),
    "eps": (_positive, "a finite number > 0"),
    "sam_rho": (_non_negative, "a finite number >= 0 (0 = no SAM)"),
    "sam_adaptive": (lambda v: isinstance(v, bool), "True or False"),
    "sam_eta": (_non_negative, "a finite number >= 0"),
    "batch_size": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer >= 1, or None for full batch"),
    "epochs": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "stop_loss": (lambda v: v is None or _positive(v), "a finite number > 0, or None (train all epochs)"),
    "eval_every": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "schedule": (lambda v: v in SCHEDULES, describe_choices(SCHEDULES)),
    "warmup_epochs": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "step_size": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "step_gamma": (_non_negative, "a finite number >= 0"),
    "swa_start": (lambda v: v is None or (_is_int(v) and v >= 1), "an epoch >= 1, or None (no SWA)"),
    "swa_lr": (lambda v: v is None or _positive(v), "a finite number > 0, or None (keep the schedule's lr)"),
    "checkpoint_epochs": (_epoch_list, "a list of epoch numbers >= 0"),
    "loss": (lambda v: v in LOSSES, describe_choices(LOSSES)),
    "seed": (_is_int, "an integer"),
}
_FLOATS = ("lr", "weight_decay", "momentum", "eps", "sam_rho", "sam_eta", "stop_loss", "step_gamma", "swa_lr")


class TrainConfigError(ConfigError):
    """A bad training choice. ``field`` is the :class:`TrainConfig` field at fault, ``value`` its value and
    ``reason`` what is wrong and what is accepted (``'is invalid; use a finite number > 0'``); the message is
    ``train config <field>=<value> <reason>``, and a spec names its own key path instead."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(f"train config {field}={value!r} {reason}")
        self.field, self.value, self.reason = field, value, reason


def check_field(name: str, value: Any) -> None:
    """Raise :class:`TrainConfigError` unless ``value`` passes the rule of field ``name`` in :data:`FIELD_RULES`."""
    test, accepted = FIELD_RULES[name]
    if not test(value):
        raise TrainConfigError(name, value, f"is invalid; use {accepted}")


@dataclass(frozen=True)
class TrainConfig:
    """How to train one model. Epoch numbers count completed passes over the training set (1 = after the first).

    Attributes:
        optimizer: ``'adamw'`` (``torch.optim.AdamW``) or ``'sgd'`` (``torch.optim.SGD``).
        lr: peak learning rate.
        weight_decay: decoupled (AdamW) or L2 (SGD) weight decay; 0.01 is PyTorch's AdamW default.
        momentum, nesterov: SGD only.
        betas, eps: AdamW only (PyTorch defaults (0.9, 0.999) and 1e-8).
        sam_rho: > 0 wraps the optimiser in SAM with neighbourhood radius rho (Foret et al. 2021).
        sam_adaptive: use ASAM (Kwon et al. 2021) instead; see :class:`basinlab.train.SAM` for the exact rule.
        sam_eta: ASAM's eta added to ``|w|`` of weight tensors.
        batch_size: examples per step; ``None`` = full batch (one step per epoch).
        epochs: maximum number of epochs.
        stop_loss: stop after the first evaluated epoch whose full training-set loss (eval mode, float64 mean)
            is below this; ``None`` = train all ``epochs``.
        eval_every: evaluate train/test loss and accuracy every this many epochs (and always at the last
            epoch and at checkpoint epochs); ``stop_loss`` is checked at evaluated epochs only.
        schedule: ``'constant'``; ``'step'`` (lr x step_gamma every step_size epochs); ``'cosine'`` (linear
            warm-up over warmup_epochs, then cosine decay to 0 at ``epochs``). The lr is set once per epoch.
        warmup_epochs: linear warm-up length (``'cosine'`` only; 0 = none).
        step_size, step_gamma: ``'step'`` schedule parameters.
        swa_start: from this epoch on, average the weights after every epoch (``torch.optim.swa_utils``); the
            final model holds the average (BatchNorm statistics are recomputed if present). ``None`` = off.
        swa_lr: constant lr used from ``swa_start`` on; ``None`` keeps the schedule's lr.
        checkpoint_epochs: epochs after which ``on_checkpoint`` is called (0 = the initial model).
        loss: ``'cross_entropy'`` (int class targets) or ``'mse'`` (mean over examples and outputs; int
            targets are one-hot encoded).
        seed: seed of data order and dropout.
    """

    optimizer: str = "adamw"
    lr: float = 1e-3
    weight_decay: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    sam_rho: float = 0.0
    sam_adaptive: bool = False
    sam_eta: float = 0.01
    batch_size: int | None = 64
    epochs: int = 100
    stop_loss: float | None = None
    eval_every: int = 1
    schedule: str = "constant"
    warmup_epochs: int = 0
    step_size: int = 30
    step_gamma: float = 0.1
    swa_start: int | None = None
    swa_lr: float | None = None
    checkpoint_epochs: tuple[int, ...] = ()
    loss: str = "cross_entropy"
    seed: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            check_field(f.name, getattr(self, f.name))
        for name in _FLOATS:
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        object.__setattr__(self, "checkpoint_epochs", tuple(sorted(set(self.checkpoint_epochs))))

        def needs(name: str, reason: str) -> TrainConfigError:
            return TrainConfigError(name, getattr(self, name), reason)

        if self.sam_adaptive and self.sam_rho == 0:
            raise needs("sam_adaptive", "(ASAM) needs sam_rho > 0, e.g. 0.5; got sam_rho=0")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise needs("nesterov", "needs optimizer='sgd' and momentum > 0")
        if self.warmup_epochs >= self.epochs:
            raise needs("warmup_epochs", f"is invalid; use an integer in [0, epochs={self.epochs})")
        if self.swa_start is not None and self.swa_start > self.epochs:
            raise needs("swa_start", f"is invalid; use an epoch in [1, epochs={self.epochs}], or None")
        if any(e > self.epochs for e in self.checkpoint_epochs):
            raise needs("checkpoint_epochs", f"is invalid; use epoch numbers in [0, epochs={self.epochs}]")

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)
        d["checkpoint_epochs"] = list(self.checkpoint_epochs)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"train config has unknown key(s) {unknown}; allowed keys are {sorted(known)}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)
