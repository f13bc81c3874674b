"""The ``[train]`` table and its ``[[train.variants]]``: validated ``TrainConfig`` keyword arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ._check import Table

if TYPE_CHECKING:
    from ..train.config import TrainConfigError

__all__ = ["Variant", "TRAIN_KEYS", "parse_variants", "train_config_kwargs"]

# TrainConfig fields settable in [train] and in each [[train.variants]] (seed comes from the model seed).
TRAIN_KEYS = ("optimizer", "lr", "weight_decay", "momentum", "nesterov", "betas", "eps", "sam_rho", "sam_adaptive",
              "sam_eta", "batch_size", "epochs", "stop_loss", "eval_every", "schedule", "warmup_epochs", "step_size",
              "step_gamma", "swa_start", "swa_lr", "checkpoint_epochs", "loss")
# TrainConfig's words for values TOML spells otherwise (no None in TOML: leave the key out; 0 = full batch)
_TOML_WORDS = (("True or False", "true or false"), (", or None for full batch", ", or 0 for full batch"),
               (", or None (", " (or leave the key out: "), (", or None", " (or leave the key out)"))


@dataclass(frozen=True)
class Variant:
    """One named training configuration; ``config`` holds ``TrainConfig`` keyword arguments, sorted by key."""

    name: str
    config: tuple[tuple[str, Any], ...]

    @property
    def config_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.config}


def _toml_error(path: str, value: Any, exc: TrainConfigError) -> ConfigError:
    """TrainConfig's error for the spec: the key path, the value and the reason in TOML's words."""
    reason = exc.reason
    for python, toml in _TOML_WORDS:
        reason = reason.replace(python, toml)
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    return ConfigError(f"{path}: {shown} {reason}")


def _train_values(t: Table) -> dict[str, Any]:
    """The TrainConfig keyword arguments present in one table, each checked by TrainConfig's own rule
    (:func:`basinlab.train.config.check_field`); an error names the key path (``train.lr``)."""
    from ..train.config import TrainConfigError, check_field  # imports torch: only when a spec is parsed

    out: dict[str, Any] = {}
    for key in TRAIN_KEYS:
        if t.has(key):
            value = out[key] = t.raw(key)
            try:
                check_field(key, None if key == "batch_size" and type(value) is int and value == 0 else value)
            except TrainConfigError as exc:
                raise _toml_error(t.key(key), value, exc) from None
    return out


def parse_variants(root: Table) -> tuple[Variant, ...]:
    """``[train]`` defaults merged into each ``[[train.variants]]`` (one variant named after the optimiser if none)."""
    t = root.table("train", TRAIN_KEYS + ("variants",))
    base = _train_values(t)
    base_where = dict.fromkeys(base, "train")
    raw = t.raw("variants", None)
    if raw is None:
        return (_checked_variant(base, base.get("optimizer", "adamw"), base_where),)
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"train.variants: expected a non-empty list of tables ([[train.variants]]), got {raw!r}")
    variants, names = [], set()
    for i, item in enumerate(raw):
        v = Table(item, f"train.variants[{i}]", TRAIN_KEYS + ("name",))
        name = v.str("name")
        if name in names:
            raise ConfigError(f"train.variants[{i}].name: {name!r} is used twice; variant names must be unique")
        names.add(name)
        own = _train_values(v)
        variants.append(_checked_variant({**base, **own}, name, {**base_where, **dict.fromkeys(own, v.path)}))
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


def _checked_variant(values: dict[str, Any], name: str, where: dict[str, str]) -> Variant:
    """The variant ``name`` of validated ``values``, as ``TrainConfig`` normalises them (floats as floats, epoch
    lists sorted); a cross-field error (e.g. warm-up not shorter than training) names the key path it came from
    (``where[key]``: ``train`` or ``train.variants[i]``)."""
    from ..train.config import TrainConfig, TrainConfigError

    try:
        config = TrainConfig(**train_config_kwargs(Variant(name, tuple(values.items()))))
    except TrainConfigError as exc:
        raise _toml_error(f"{where.get(exc.field, 'train')}.{exc.field}", values.get(exc.field, exc.value), exc) from None
    normal = {key: getattr(config, key) for key in values}
    if normal.get("batch_size", 0) is None:
        normal["batch_size"] = 0
    return Variant(name, tuple(sorted(normal.items())))
