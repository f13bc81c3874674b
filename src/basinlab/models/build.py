"""Build a seeded ``nn.Sequential`` from a :class:`ModelSpec`; count parameters."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from .size import check_fits, check_training_fits
from .spec import ModelSpec

__all__ = ["SPEC_ATTRIBUTE", "build_model", "count_parameters", "model_spec_of"]

# Attribute under which build_model stores the spec on the module (read by save_checkpoint).
SPEC_ATTRIBUTE = "basinlab_model_spec"


def _hidden_block(layers: list[nn.Module], dropout: float) -> None:
    layers.append(nn.ReLU())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))


def _mlp(spec: ModelSpec) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Flatten()]
    width = spec.input_size
    for h in spec.hidden:
        layers.append(nn.Linear(width, h))
        _hidden_block(layers, spec.dropout)
        width = h
    layers.append(nn.Linear(width, spec.num_classes))
    return layers


def _cnn(spec: ModelSpec) -> list[nn.Module]:
    channels, height, width = spec.input_shape
    k = spec.option("kernel_size")
    layers: list[nn.Module] = []
    for c in spec.hidden:
        layers += [nn.Conv2d(channels, c, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2)]
        channels, height, width = c, height // 2, width // 2
    layers.append(nn.Flatten())
    features = channels * height * width
    if spec.dropout > 0:
        layers.append(nn.Dropout(spec.dropout))
    for h in spec.option("fc"):
        layers.append(nn.Linear(features, h))
        _hidden_block(layers, spec.dropout)
        features = h
    layers.append(nn.Linear(features, spec.num_classes))
    return layers


def build_model(spec: ModelSpec | dict[str, Any], *, seed: int, max_memory: int | str | None = None) -> nn.Module:
    """A float32 CPU ``nn.Sequential`` for ``spec`` with PyTorch's default init drawn from ``seed``; for
    ``kind = 'module:callable'`` your own module, made by that callable under the same seeding (this imports and
    runs your code: see :mod:`basinlab.usercode`).

    The global RNG is forked, seeded and restored, so the result depends on ``(spec, seed)`` only and the
    caller's random state is untouched. The spec is kept on the module as ``basinlab_model_spec``.
    A model whose training would not fit in ``max_memory`` bytes (e.g. ``'8G'``; default: the
    ``BASINLAB_MAX_MEMORY`` environment variable, else the available memory) is refused before allocating
    (:func:`basinlab.models.size.check_fits`).
    """
    if isinstance(spec, dict):
        spec = ModelSpec.from_dict(spec)
    if not isinstance(spec, ModelSpec):
        raise ConfigError(f"build_model needs a ModelSpec or dict; got {type(spec).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"model seed must be an integer; got {seed!r}")
    if spec.user:
        model = _user_model(spec, seed, max_memory)
        setattr(model, SPEC_ATTRIBUTE, spec)
        return model
    check_fits(spec, max_memory)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers = _mlp(spec) if spec.kind == "mlp" else _cnn(spec)
        model = nn.Sequential(*layers)
    setattr(model, SPEC_ATTRIBUTE, spec)
    return model


ACCEPTED_FACTORY = "a function or class returning a torch.nn.Module, e.g. mymodels:make_net"


def _user_model(spec: ModelSpec, seed: int, max_memory: int | str | None) -> nn.Module:
    """``callable(**options)`` (plus ``input_shape`` / ``num_classes`` when it takes them) seeded by ``seed``.

    The callable is first run on the ``meta`` device, where nothing is allocated, so a model too big to train is
    refused before it exists (:func:`basinlab.models.size.check_training_fits`); a callable that cannot run there
    is built for real and checked before training.
    """
    from ..usercode import accepted_keywords, call_user, load_callable

    field = "model.kind"
    factory = load_callable(spec.kind, field, ACCEPTED_FACTORY)
    extra = {"input_shape": tuple(spec.input_shape), "num_classes": spec.num_classes}
    kwargs = {**{k: v for k, v in extra.items() if k in accepted_keywords(factory, tuple(extra))},
              **{k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.options}}

    def make() -> object:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return call_user(factory, spec.kind, field, **kwargs)

    def checked(model: object) -> nn.Module:
        if not isinstance(model, nn.Module):
            raise ConfigError(f"{field} {spec.kind!r} returned a {type(model).__name__}; accepted: {ACCEPTED_FACTORY}")
        check_training_fits(count_parameters(model), f"model {spec.kind!r}", max_memory)
        return model

    try:
        with torch.device("meta"):
            probe = make()
    except ConfigError:
        probe = None  # the callable needs real tensors (e.g. it reads a file): build it, then check
    if probe is not None:
        checked(probe)
        del probe
    return checked(make())


def model_spec_of(model: nn.Module) -> ModelSpec | None:
    """The spec a model was built from, or ``None`` for a user's own module."""
    spec = getattr(model, SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, ModelSpec) else None


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of scalar parameters n (every weight and bias)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
