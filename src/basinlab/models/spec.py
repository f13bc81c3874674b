"""`ModelSpec`: everything that determines a model's architecture, JSON round-trippable; plus named presets."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from .._frozen import freeze
from ..errors import ConfigError, describe_choices
from ..usercode import check_reference, is_reference

__all__ = ["MODEL_KINDS", "PRESETS", "AUTO_PRESETS", "ModelSpec", "model_preset", "model_spec_for"]

MODEL_KINDS = ("mlp", "cnn")
# What a model kind may be, for error messages.
ACCEPTED_KINDS = "'mlp', 'cnn' or module:callable (your function or class returning a torch.nn.Module)"
# Options each kind accepts, with their defaults.
KIND_OPTIONS: dict[str, dict[str, Any]] = {
    "mlp": {},
    "cnn": {"kernel_size": 3, "fc": ()},
}




def _positive_ints(name: str, values: Any) -> tuple[int, ...]:
    try:
        out = tuple(values)
    except TypeError:
        raise ConfigError(f"model {name} must be a sequence of positive integers; got {values!r}") from None
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in out):
        raise ConfigError(f"model {name} must be a sequence of positive integers; got {list(out)!r}")
    return out


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of a basinlab model.

    Attributes:
        kind: ``'mlp'`` (``Flatten, Linear, ReLU, ..., Linear``), ``'cnn'`` (``Conv2d, ReLU, MaxPool2d`` blocks,
            then ``Flatten, Linear``) or ``'module:callable'``: your own model, ``callable(**options)`` returning
            an ``nn.Module`` (also given ``input_shape`` and ``num_classes`` when it takes keywords of those
            names; ``hidden`` and ``dropout`` are not used); see :mod:`basinlab.usercode`.
        input_shape: shape of one input, e.g. ``(1, 28, 28)``, ``(3, 32, 32)``, ``(2,)``.
        num_classes: number of outputs C.
        hidden: MLP hidden widths; for a CNN the output channels of each conv block (3x3, padding 1, 2x2 pool).
        dropout: drop probability of an ``nn.Dropout`` after every hidden ReLU (0 = none), in ``[0, 1)``.
        options: kind-specific settings, sorted ``(key, value)`` pairs (pass a dict). CNN: ``kernel_size``
            (odd int, default 3), ``fc`` (hidden widths of the fully connected part, default ``()``).
    """

    kind: str
    input_shape: tuple[int, ...]
    num_classes: int
    hidden: tuple[int, ...] = (256, 128)
    dropout: float = 0.0
    options: tuple[tuple[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        if is_reference(self.kind):
            check_reference(self.kind, "model kind", ACCEPTED_KINDS)
        elif self.kind not in MODEL_KINDS:
            raise ConfigError(f"model kind {self.kind!r} is unknown; use {ACCEPTED_KINDS}")
        object.__setattr__(self, "input_shape", _positive_ints("input_shape", self.input_shape))
        object.__setattr__(self, "hidden", _positive_ints("hidden", self.hidden))
        opts = dict(self.options)
        allowed = KIND_OPTIONS.get(self.kind, {})
        unknown = [] if self.user else sorted(set(opts) - set(allowed))  # a user's model takes its own keywords
        if unknown:
            accepted = sorted(allowed) or "none"
            raise ConfigError(f"model option(s) {unknown} are unknown for kind {self.kind!r}; accepted: {accepted}")
        object.__setattr__(self, "options", freeze(opts))
        if isinstance(self.num_classes, bool) or not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise ConfigError(f"model num_classes must be a positive integer; got {self.num_classes!r}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ConfigError(f"model dropout must be a probability in [0, 1); got {self.dropout!r}")
        object.__setattr__(self, "dropout", float(self.dropout))
        if self.kind == "cnn":
            self._check_cnn()

    def _check_cnn(self) -> None:
        if len(self.input_shape) != 3:
            raise ConfigError(
                f"a 'cnn' model needs input_shape (channels, height, width); got {self.input_shape!r}"
            )
        k = self.option("kernel_size")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k % 2 == 0:
            raise ConfigError(f"cnn option kernel_size must be an odd positive integer; got {k!r}")
        _positive_ints("option fc", self.option("fc"))
        side = min(self.input_shape[1:])
        if side >> len(self.hidden) < 1:
            raise ConfigError(
                f"a cnn with {len(self.hidden)} pooling blocks needs inputs of at least {2 ** len(self.hidden)} "
                f"pixels a side; got {self.input_shape!r}. Use fewer entries in hidden."
            )

    def option(self, key: str) -> Any:
        """A kind-specific option, or its default."""
        return dict(self.options).get(key, KIND_OPTIONS.get(self.kind, {}).get(key))

    @property
    def user(self) -> bool:
        """True for a user's own model (``kind = 'module:callable'``)."""
        return is_reference(self.kind)

    @property
    def input_size(self) -> int:
        """Number of input features (product of ``input_shape``)."""
        return math.prod(self.input_shape)

    def replace(self, **changes: Any) -> ModelSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "hidden": list(self.hidden),
            "dropout": self.dropout,
            "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        if not isinstance(data, dict):
            raise ConfigError(f"a model spec must be a dict; got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"model spec has unknown key(s) {unknown}; allowed keys are {sorted(known)}")
        missing = sorted({"kind", "input_shape", "num_classes"} - set(data))
        if missing:
            raise ConfigError(f"model spec is missing key(s) {missing}")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


# name -> (kind, hidden, options). Sizes follow docs/method.md section 2.
PRESETS: dict[str, tuple[str, tuple[int, ...], dict[str, Any]]] = {
    "mlp": ("mlp", (256, 128), {}),                 # MNIST / Fashion-MNIST / SVHN: 235,146 params at 28x28x10
    "mlp-deep": ("mlp", (256, 256, 128), {}),
    "mlp-cifar": ("mlp", (512, 256), {}),
    "mlp-swiss": ("mlp", (32,) * 5, {}),
    "mlp-swiss-large": ("mlp", (32,) * 6, {}),
    "mlp-modular": ("mlp", (256,), {}),             # one hidden layer; width via model_preset(..., width=)
    "cnn": ("cnn", (32, 64), {}),                   # 28x28x1: 50,186 params
    "cnn-cifar": ("cnn", (32, 64, 128), {"fc": (256,)}),
}


def model_preset(
    name: str, input_shape: tuple[int, ...], num_classes: int, *, width: int | None = None,
    hidden: tuple[int, ...] | None = None, dropout: float = 0.0,
) -> ModelSpec:
    """The :class:`ModelSpec` of a named preset for data of ``input_shape`` with ``num_classes`` classes.

    ``width`` sets every hidden width (e.g. the modular-arithmetic MLP's); ``hidden`` replaces them outright.
    """
    if name not in PRESETS:
        raise ConfigError(f"model preset {name!r} is unknown; use {describe_choices(PRESETS)}")
    kind, sizes, options = PRESETS[name]
    if width is not None:
        sizes = tuple(width for _ in sizes)
    if hidden is not None:
        sizes = tuple(hidden)
    return ModelSpec(kind=kind, input_shape=tuple(input_shape), num_classes=num_classes, hidden=sizes,
                     dropout=dropout, options=tuple(options.items()))


# dataset -> the preset 'auto' picks for it (every other dataset: 'mlp')
AUTO_PRESETS = {"swiss-roll": "mlp-swiss", "modular": "mlp-modular", "cifar10": "mlp-cifar"}


def model_spec_for(
    name: str, input_shape: tuple[int, ...], num_classes: int, *, dataset: str | None = None,
    width: int | None = None, hidden: tuple[int, ...] | None = None, dropout: float = 0.0,
    options: dict[str, Any] | None = None,
) -> ModelSpec:
    """The :class:`ModelSpec` that ``name`` means for data of ``input_shape`` with ``num_classes`` classes: a preset
    (``'mlp'``, ``'cnn'``, ``'mlp-swiss'`` …, with ``width`` / ``hidden`` / ``dropout`` / ``options`` over its
    own), ``'auto'`` (the preset of ``dataset``: :data:`AUTO_PRESETS`, else ``'mlp'``), or ``'module:callable'``
    (your own model; ``options`` are its keywords). Used by ``basinlab train`` and the runner's training task.
    """
    if is_reference(name):
        return ModelSpec(kind=name, input_shape=tuple(input_shape), num_classes=num_classes, hidden=(),
                         options=tuple((options or {}).items()))
    if name == "auto":
        name = AUTO_PRESETS.get(str(dataset), "mlp")
    if name not in PRESETS:
        raise ConfigError(f"model preset {name!r} is unknown; use {describe_choices(PRESETS)}, 'auto' or "
                          "module:callable (your function returning a torch.nn.Module)")
    spec = model_preset(name, input_shape, num_classes, width=width, hidden=hidden, dropout=dropout)
    return spec.replace(options=tuple({**dict(spec.options), **(options or {})}.items())) if options else spec
