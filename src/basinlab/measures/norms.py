"""Norm-based measures of θ0. "Weight layers" are parameters with ≥ 2 dimensions (Linear/Conv weights).

- ``norm_frobenius`` = Σ_l ‖W_l‖_F² over weight layers (biases excluded).
- ``norm_spectral`` = Π_l ‖W_l‖₂, the largest singular value of each weight reshaped to ``(out, -1)`` (for a
  convolution this is a proxy: the kernel matrix, not the convolution operator's norm).
- ``norm_path`` = sqrt(Σ_k f_{θ²}(1)_k): the network evaluated with every parameter (weights and biases)
  squared on an all-ones input of the model's input shape, outputs summed (Neyshabur et al. 2015; Jiang et
  al. 2020). For a bias-free ReLU MLP this is the ℓ2 path norm sqrt(Σ_paths Π_edges w²); with biases each
  bias starts its own paths. Batch-norm layers are folded into the preceding layer first. Invariant under
  the positive rescalings of :mod:`basinlab.measures.reparam`.
- ``dist_init`` = ‖θ0 − θ_init‖₂ (only when ``init_state`` is given).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from ..errors import ConfigError
from .base import NONFINITE_INIT, MeasureData, MeasureValue, nonfinite_state, register_measure

__all__ = ["frobenius_norm", "spectral_product", "path_norm", "norms"]


def _weights(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach() for p in model.parameters() if p.dim() >= 2]


def frobenius_norm(model: nn.Module) -> float:
    """Σ_l ‖W_l‖_F² over weight layers."""
    return float(sum(torch.sum(w.double() ** 2) for w in _weights(model)))


def spectral_product(model: nn.Module) -> float:
    """Π_l ‖W_l‖₂ (weights reshaped to ``(out, -1)``)."""
    return math.prod(float(torch.linalg.matrix_norm(w.double().reshape(w.shape[0], -1), ord=2))
                     for w in _weights(model))


def path_norm(model: nn.Module, input_shape: tuple[int, ...]) -> float:
    """sqrt(Σ_k f_{θ²}(1)_k) — see the module docstring; ``input_shape`` excludes the batch dimension."""
    from .reparam import fold_batchnorm

    net = fold_batchnorm(model).to("cpu", torch.float64).eval()  # exact and cheap: on the CPU
    squared = {n: p.detach() ** 2 for n, p in net.named_parameters()}
    with torch.no_grad():
        out = functional_call(net, (squared, dict(net.named_buffers())),
                              (torch.ones((1, *input_shape), dtype=torch.float64),))
    return float(torch.sqrt(out.sum()))


@register_measure("norms", {}, outputs=("norm_frobenius", "norm_spectral", "norm_path", "dist_init"), reads=())
def norms(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Frobenius (Σ‖W‖_F²), spectral product, path norm and distance from initialisation (all exact)."""
    rows = {
        "norm_frobenius": MeasureValue(frobenius_norm(model)),
        "norm_spectral": MeasureValue(spectral_product(model)),
        "norm_path": MeasureValue(path_norm(model, tuple(data.inputs.shape[1:]))),
    }
    if nonfinite_state(data.init_state):
        rows["dist_init"] = MeasureValue(math.nan, math.nan, {"reason": NONFINITE_INIT})
    elif data.init_state is not None:
        params = dict(model.named_parameters())
        missing = sorted(set(params) - set(data.init_state))
        if missing:
            raise ConfigError(f"init_state lacks parameter(s) {missing}; pass the model's state_dict at initialisation")
        dist2 = sum(float(torch.sum((p.detach().cpu().double() - data.init_state[n].cpu().double()) ** 2))
                    for n, p in params.items())
        rows["dist_init"] = MeasureValue(math.sqrt(dist2))
    return rows
