"""Function-preserving reparameterisations of ReLU ``nn.Sequential`` networks (MLPs and CNNs).

For weight layer ℓ (the ℓ-th ``Linear``/``Conv`` in order, 0-based) and positive scales a_i per output unit,
``reparameterize_per_neuron`` multiplies unit i's incoming weights and bias by a_i and the next weight layer's
weights reading unit i by 1/a_i. Because ReLU (and max/avg pooling, flatten, dropout) is positively homogeneous,
f(x) is unchanged for every x (Dinh et al. 2017), while weight-space sharpness (e.g. the Hessian's top
eigenvalue) can change by orders of magnitude. ``fold_batchnorm`` merges eval-mode batch norms into the
preceding layer, after which rescaling applies. Every function returns a new model; inputs are not modified.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import ConfigError

__all__ = ["reparameterize", "reparameterize_per_neuron", "fold_batchnorm", "check_function_preserved",
           "FunctionCheck", "weight_layers"]

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_HOMOGENEOUS = (nn.ReLU, nn.LeakyReLU, nn.Flatten, nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d,
                nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool2d, nn.Dropout, nn.Identity)
_BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _leaves(model: nn.Module) -> list[nn.Module]:
    if not isinstance(model, nn.Sequential):
        raise ConfigError(f"reparameterisation needs an nn.Sequential model; got {type(model).__name__}")
    out: list[nn.Module] = []
    for m in model:
        out.extend(_leaves(m) if isinstance(m, nn.Sequential) else [m])
    return out


def weight_layers(model: nn.Module) -> list[int]:
    """Positions (in the flattened ``nn.Sequential``) of the Linear/Conv layers, in order."""
    return [i for i, m in enumerate(_leaves(model)) if isinstance(m, _WEIGHTED)]


def reparameterize_per_neuron(model: nn.Module, layer: int, scales: torch.Tensor) -> nn.Sequential:
    """Scale weight layer ``layer``'s unit i (weights and bias) by ``scales[i] > 0`` and the next weight layer's
    inputs from unit i by ``1/scales[i]``. Returns a new flat ``nn.Sequential`` computing the same function.

    ``layer`` counts Linear/Conv layers from 0 and may not be the last one. Between the two layers only
    positively homogeneous modules (ReLU, LeakyReLU, pooling, Flatten, Dropout, Identity) are allowed.
    """
    leaves = [copy.deepcopy(m) for m in _leaves(model)]
    positions = [i for i, m in enumerate(leaves) if isinstance(m, _WEIGHTED)]
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(positions) - 1:
        raise ConfigError(
            f"reparameterisation layer {layer!r} is out of range; this model has {len(positions)} weight layers, "
            f"so use 0..{len(positions) - 2} (the last layer has no next layer to absorb 1/a)"
        )
    first, second = leaves[positions[layer]], leaves[positions[layer + 1]]
    for between in leaves[positions[layer] + 1 : positions[layer + 1]]:
        if not isinstance(between, _HOMOGENEOUS):
            hint = "; fold batch norms first with fold_batchnorm(model)" if isinstance(between, _BATCHNORM) else ""
            raise ConfigError(f"cannot rescale across {type(between).__name__}: it is not positively homogeneous{hint}")
    scales = torch.as_tensor(scales, dtype=torch.float64).reshape(-1)
    units = first.weight.shape[0]
    if scales.numel() == 1:
        scales = scales.expand(units)
    if scales.numel() != units or not bool(torch.all(scales > 0)):
        raise ConfigError(f"reparameterisation scales must be {units} positive numbers (one per unit); got {scales.numel()}")
    with torch.no_grad():
        s = scales.to(first.weight)  # the layer's dtype and device
        first.weight.mul_(s.reshape(-1, *([1] * (first.weight.dim() - 1))))
        if first.bias is not None:
            first.bias.mul_(s)
        fan_in = second.weight.shape[1]
        if fan_in % units:
            raise ConfigError(f"next layer reads {fan_in} inputs, not a multiple of the {units} rescaled units")
        per_unit = s.repeat_interleave(fan_in // units).to(second.weight)  # conv -> flatten -> linear
        second.weight.div_(per_unit.reshape(1, -1, *([1] * (second.weight.dim() - 2))))
    return nn.Sequential(*leaves)


def reparameterize(model: nn.Module, layer: int, a: float) -> nn.Sequential:
    """Scale weight layer ``layer`` (weights and bias) by ``a > 0`` and the next weight layer's weights by 1/a."""
    if not isinstance(a, (int, float)) or isinstance(a, bool) or not a > 0:
        raise ConfigError(f"reparameterisation factor a must be a positive number; got {a!r}")
    return reparameterize_per_neuron(model, layer, torch.tensor([float(a)]))


def fold_batchnorm(model: nn.Module) -> nn.Sequential:
    """Merge each eval-mode BatchNorm directly after a Linear/Conv into it (same function in eval mode).

    A copy of the model without batch norms is returned (a model without batch norms is returned as a copy).
    """
    leaves = [copy.deepcopy(m) for m in _leaves(model)] if isinstance(model, nn.Sequential) else None
    if leaves is None:
        if any(isinstance(m, _BATCHNORM) for m in model.modules()):
            raise ConfigError("fold_batchnorm needs an nn.Sequential model when batch norms are present")
        return copy.deepcopy(model)
    out: list[nn.Module] = []
    for m in leaves:
        if isinstance(m, _BATCHNORM):
            prev = out[-1] if out else None
            if not isinstance(prev, _WEIGHTED):
                raise ConfigError(f"cannot fold {type(m).__name__}: it does not directly follow a Linear/Conv layer")
            with torch.no_grad():
                inv = torch.rsqrt(m.running_var + m.eps)
                gamma = m.weight if m.weight is not None else torch.ones_like(inv)
                beta = m.bias if m.bias is not None else torch.zeros_like(inv)
                scale = gamma * inv
                bias = prev.bias if prev.bias is not None else torch.zeros_like(m.running_mean)
                prev.weight.mul_(scale.reshape(-1, *([1] * (prev.weight.dim() - 1))))
                new_bias = (bias - m.running_mean) * scale + beta
                prev.bias = nn.Parameter(new_bias.detach().clone())
            continue
        out.append(m)
    return nn.Sequential(*out)


@dataclass(frozen=True)
class FunctionCheck:
    """Result of :func:`check_function_preserved`; truthy when ``preserved``."""

    preserved: bool
    max_abs_diff: float
    argmax_agreement: float

    def __bool__(self) -> bool:
        return self.preserved


def check_function_preserved(model_a: nn.Module, model_b: nn.Module, inputs: torch.Tensor, atol: float = 1e-6,
                             dtype: torch.dtype = torch.float64) -> FunctionCheck:
    """Compare eval-mode outputs of two models on ``inputs`` (computed in ``dtype``; float64 by default)."""
    with torch.no_grad():
        a = copy.deepcopy(model_a).to("cpu", dtype).eval()(inputs.to("cpu", dtype))
        b = copy.deepcopy(model_b).to("cpu", dtype).eval()(inputs.to("cpu", dtype))
    diff = float((a - b).abs().max())
    agree = float((a.argmax(-1) == b.argmax(-1)).double().mean())
    return FunctionCheck(diff <= atol, diff, agree)
