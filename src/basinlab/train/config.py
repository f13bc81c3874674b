"""`TrainConfig`: every training choice, validated, JSON round-trippable."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..errors import ConfigError, describe_choices

__all__ = ["OPTIMIZERS", "SCHEDULES", "LOSSES", "TrainConfig"]

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("constant", "step", "cosine")
LOSSES = ("cross_entropy", "mse")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


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
        def bad(name: str, accepted: str) -> ConfigError:
            return ConfigError(f"train config {name}={getattr(self, name)!r} is invalid; use {accepted}")

        for name, choices in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("loss", LOSSES)):
            if getattr(self, name) not in choices:
                raise bad(name, describe_choices(choices))
        for name in ("lr", "weight_decay", "momentum", "sam_rho", "sam_eta", "eps", "step_gamma"):
            v = getattr(self, name)
            if not _is_num(v) or v < 0 or v != v:
                raise bad(name, "a non-negative number")
            object.__setattr__(self, name, float(v))
        if self.lr == 0:
            raise bad("lr", "a positive number")
        for name in ("nesterov", "sam_adaptive"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "True or False")
        if self.sam_adaptive and self.sam_rho == 0:
            raise ConfigError("train config sam_adaptive=True (ASAM) needs sam_rho > 0, e.g. 0.5; got sam_rho=0")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum <= 0):
            raise ConfigError("train config nesterov=True needs optimizer='sgd' and momentum > 0")
        betas = tuple(self.betas) if isinstance(self.betas, (list, tuple)) else ()
        if len(betas) != 2 or not all(_is_num(b) and 0 <= b < 1 for b in betas):
            raise bad("betas", "two numbers in [0, 1), e.g. (0.9, 0.999)")
        object.__setattr__(self, "betas", tuple(float(b) for b in betas))
        if self.batch_size is not None and (not _is_int(self.batch_size) or self.batch_size < 1):
            raise bad("batch_size", "a positive integer, or None for full batch")
        for name in ("epochs", "eval_every", "step_size"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "a positive integer")
        if not _is_int(self.warmup_epochs) or not 0 <= self.warmup_epochs < self.epochs:
            raise bad("warmup_epochs", f"an integer in [0, epochs={self.epochs})")
        if self.stop_loss is not None and (not _is_num(self.stop_loss) or self.stop_loss <= 0):
            raise bad("stop_loss", "a positive number, or None")
        if self.swa_start is not None and (not _is_int(self.swa_start) or not 1 <= self.swa_start <= self.epochs):
            raise bad("swa_start", f"an epoch in [1, epochs={self.epochs}], or None")
        if self.swa_lr is not None and (not _is_num(self.swa_lr) or self.swa_lr <= 0):
            raise bad("swa_lr", "a positive number, or None")
        try:
            epochs = tuple(sorted(set(self.checkpoint_epochs)))
        except TypeError:
            raise bad("checkpoint_epochs", "a sequence of epoch numbers") from None
        if not all(_is_int(e) and 0 <= e <= self.epochs for e in epochs):
            raise bad("checkpoint_epochs", f"epoch numbers in [0, epochs={self.epochs}]")
        object.__setattr__(self, "checkpoint_epochs", epochs)
        if not _is_int(self.seed):
            raise bad("seed", "an integer")

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
