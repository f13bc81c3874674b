"""The ``[train]`` table and its ``[[train.variants]]``: validated ``TrainConfig`` keyword arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ._check import Table, check_float, check_int, join

__all__ = ["Variant", "TRAIN_KEYS", "parse_variants", "train_config_kwargs"]

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("constant", "step", "cosine")
LOSSES = ("cross_entropy", "mse")
# TrainConfig fields settable in [train] and in each [[train.variants]] (seed comes from the model seed).
TRAIN_KEYS = ("optimizer", "lr", "weight_decay", "momentum", "nesterov", "betas", "eps", "sam_rho", "sam_adaptive",
              "sam_eta", "batch_size", "epochs", "stop_loss", "eval_every", "schedule", "warmup_epochs", "step_size",
              "step_gamma", "swa_start", "swa_lr", "checkpoint_epochs", "loss")


@dataclass(frozen=True)
class Variant:
    """One named training configuration; ``config`` holds ``TrainConfig`` keyword arguments, sorted by key."""

    name: str
    config: tuple[tuple[str, Any], ...]

    @property
    def config_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.config}


def _train_values(t: Table) -> dict[str, Any]:
    """Validated TrainConfig keyword arguments present in one table."""
    out: dict[str, Any] = {}
    for key in TRAIN_KEYS:
        if not t.has(key):
            continue
        if key == "optimizer":
            out[key] = t.str(key, choices=OPTIMIZERS)
        elif key == "schedule":
            out[key] = t.str(key, choices=SCHEDULES)
        elif key == "loss":
            out[key] = t.str(key, choices=LOSSES)
        elif key in ("nesterov", "sam_adaptive"):
            out[key] = t.bool(key)
        elif key in ("lr", "stop_loss", "swa_lr", "eps"):
            out[key] = t.float(key, lo=0.0, lo_open=True)
        elif key in ("weight_decay", "momentum", "sam_rho", "sam_eta", "step_gamma"):
            out[key] = t.float(key, lo=0.0)
        elif key == "batch_size":  # 0 = full batch
            out[key] = t.int(key, lo=0)
        elif key in ("epochs", "eval_every", "step_size", "swa_start"):
            out[key] = t.int(key, lo=1)
        elif key == "warmup_epochs":
            out[key] = t.int(key, lo=0)
        elif key == "betas":
            values = t.list(key)
            if len(values) != 2:
                raise ConfigError(f"{t.key(key)}: expected two numbers in [0, 1) such as [0.9, 0.999], got {values!r}")
            out[key] = tuple(check_float(b, join(t.key(key), i), lo=0.0, hi=0.999999) for i, b in enumerate(values))
        elif key == "checkpoint_epochs":
            values = [check_int(v, join(t.key(key), i), lo=0) for i, v in enumerate(t.list(key, nonempty=False))]
            out[key] = tuple(sorted(set(values)))
    return out


def parse_variants(root: Table) -> tuple[Variant, ...]:
    """``[train]`` defaults merged into each ``[[train.variants]]`` (one variant named after the optimiser if none)."""
    t = root.table("train", TRAIN_KEYS + ("variants",))
    base = _train_values(t)
    raw = t.raw("variants", None)
    if raw is None:
        return (_checked_variant(Variant(base.get("optimizer", "adamw"), tuple(sorted(base.items()))), "train"),)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"train.variants: expected a non-empty list of tables ([[train.variants]]), got {raw!r}")
    variants, names = [], set()
    for i, item in enumerate(raw):
        v = Table(item, f"train.variants[{i}]", TRAIN_KEYS + ("name",))
        name = v.str("name")
        if name in names:
            raise ConfigError(f"train.variants[{i}].name: {name!r} is used twice; variant names must be unique")
        names.add(name)
        variants.append(_checked_variant(Variant(name, tuple(sorted({**base, **_train_values(v)}.items()))), v.path))
    return tuple(variants)


def train_config_kwargs(variant: Variant, seed: int = 0) -> dict[str, Any]:
    """``TrainConfig`` keyword arguments of a variant (``batch_size = 0`` means full batch, ``None``)."""
    kwargs = {**variant.config_dict, "seed": seed}
    if kwargs.get("batch_size") == 0:
        kwargs["batch_size"] = None
    for key in ("betas", "checkpoint_epochs"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    return kwargs


def _checked_variant(variant: Variant, path: str) -> Variant:
    """Cross-field checks by ``basinlab.train.TrainConfig`` itself (e.g. warm-up shorter than training)."""
    try:
        from ..train.config import TrainConfig
    except ImportError:  # training package not installed yet: per-key checks only
        return variant
    try:
        TrainConfig(**train_config_kwargs(variant))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return variant
