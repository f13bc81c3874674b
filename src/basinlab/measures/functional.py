"""A model's parameters as one flat vector θ (n,) and its mean loss L(θ) over fixed data.

Every measure perturbs θ through :class:`FlatModel`; the model is copied, put in eval mode (dropout off,
batch-norm uses running statistics) and optionally cast to float64, so the caller's model is never touched.

Devices: the model copy and the data live on ``device`` (default: the model's), where every forward and backward
pass runs; parameter-space vectors (θ0, directions, gradients, Hessian-vector products) stay on the CPU, so every
random draw comes from a CPU generator and a measure gives the same numbers on CPU and CUDA up to rounding.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, jvp

__all__ = ["FlatModel", "parameter_layout"]


def parameter_layout(model: nn.Module) -> list[tuple[str, torch.Size]]:
    """``(name, shape)`` of every trainable parameter, in ``named_parameters`` order (the order of θ)."""
    return [(n, p.shape) for n, p in model.named_parameters() if p.requires_grad]


class FlatModel:
    """Mean loss of ``model`` over ``(inputs, targets)`` as a function of the flat parameter vector.

    Args:
        model: any ``nn.Module``; deep-copied and set to eval mode.
        inputs: ``(N, *input_shape)``; targets: ``(N,)`` int64 labels or ``(N, C)`` floats for ``'mse'``.
        loss: ``'cross_entropy'`` or ``'mse'`` (mean over all elements).
        dtype: ``torch.float32`` or ``torch.float64`` for parameters, inputs and arithmetic.
        chunk_size: rows per forward pass (0 = all); the loss is the row-weighted mean over chunks.
        device: where the passes over the data run (default: the model's device); θ-space vectors stay on the CPU.
    """

    def __init__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        loss: str = "cross_entropy",
        dtype: torch.dtype = torch.float32,
        chunk_size: int = 4096,
        device: torch.device | str | None = None,
    ) -> None:
        if device is None:
            device = next((p.device for p in model.parameters()), torch.device("cpu"))
        self.device = torch.device(device)
        self.model = copy.deepcopy(model).to(device=self.device, dtype=dtype).eval()
        self.dtype = dtype
        self.layout = parameter_layout(self.model)
        self.names = [n for n, _ in self.layout]
        self.theta0 = torch.cat([p.detach().reshape(-1).cpu() for n, p in self.model.named_parameters()
                                 if n in self.names])
        self.buffers = {n: b for n, b in self.model.named_buffers()}
        self.inputs = inputs.to(self.device, dtype)
        self.targets = targets.to(self.device, dtype) if loss == "mse" else targets.to(self.device)
        self.loss_name = loss
        self.chunk_size = int(chunk_size) if chunk_size else len(inputs)
        self.n = int(self.theta0.numel())
        self._forward_over_reverse = True

    # --- parameter vector <-> dict -------------------------------------------------------------------------
    def unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{name: tensor}`` views of ``theta`` (n,) with the parameters' shapes."""
        out, start = {}, 0
        for name, shape in self.layout:
            size = shape.numel()
            out[name] = theta[start : start + size].view(shape)
            start += size
        return out

    def flatten(self, tensors: dict[str, torch.Tensor]) -> torch.Tensor:
        """Concatenate per-parameter tensors (e.g. from a state dict) in θ's order, as ``self.dtype``."""
        return torch.cat([tensors[n].detach().reshape(-1).to("cpu", self.dtype) for n in self.names])

    def unit_groups(self) -> Iterator[tuple[str, slice, int]]:
        """``(name, slice of θ, rows)`` per parameter; rows = output units for weights with ≥ 2 dims, else 0."""
        start = 0
        for name, shape in self.layout:
            size = shape.numel()
            yield name, slice(start, start + size), (shape[0] if len(shape) >= 2 else 0)
            start += size

    # --- evaluation ----------------------------------------------------------------------------------------
    def outputs(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Model outputs (logits) ``(B, C)`` at parameters ``theta`` for ``inputs`` (cast to ``self.dtype``), on
        ``self.device``."""
        return functional_call(self.model, (self.unflatten(theta.to(self.device)), self.buffers),
                               (inputs.to(self.device, self.dtype),))

    def _chunk_loss(self, theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = functional_call(self.model, (self.unflatten(theta), self.buffers), (x,))
        if self.loss_name == "mse":
            return F.mse_loss(out, y)
        return F.cross_entropy(out, y)

    def _chunks(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, float]]:
        n = len(self.inputs)
        for start in range(0, n, self.chunk_size):
            x = self.inputs[start : start + self.chunk_size]
            yield x, self.targets[start : start + self.chunk_size], len(x) / n

    def loss(self, theta: torch.Tensor | None = None) -> float:
        """Mean loss L(θ) over all rows (no gradient); θ defaults to θ0."""
        theta = (self.theta0 if theta is None else theta).to(self.device)
        with torch.no_grad():
            return float(sum(w * self._chunk_loss(theta, x, y) for x, y, w in self._chunks()))

    def loss_and_grad(self, theta: torch.Tensor) -> tuple[float, torch.Tensor]:
        """``(L(θ), ∇L(θ))`` with the gradient as a flat ``(n,)`` tensor (on the CPU, like ``theta``)."""
        total, g = 0.0, torch.zeros(theta.shape, dtype=theta.dtype, device=self.device)
        for x, y, w in self._chunks():
            t = theta.detach().to(self.device).requires_grad_(True)
            value = self._chunk_loss(t, x, y)
            (gc,) = torch.autograd.grad(value, t)
            total += w * float(value.detach())
            g += w * gc
        return total, g.to(theta.device)

    def hvp(self, v: torch.Tensor, theta: torch.Tensor | None = None) -> torch.Tensor:
        """Hessian-vector product ``∇²L(θ) v`` (forward-over-reverse with ``torch.func``); θ defaults to θ0. The
        product is returned on ``v``'s device (the CPU for the measures' probes)."""
        home = v.device
        theta = (self.theta0 if theta is None else theta).to(self.device)
        v = v.to(self.device, self.dtype)
        out = torch.zeros_like(theta)
        for x, y, w in self._chunks():
            out += w * self._chunk_hvp(theta, v, x, y)
        return out.to(home)

    def _chunk_hvp(self, theta: torch.Tensor, v: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        def f(t: torch.Tensor) -> torch.Tensor:
            return self._chunk_loss(t, x, y)

        if self._forward_over_reverse:
            try:
                return jvp(grad(f), (theta,), (v,))[1]
            except RuntimeError:  # some losses lack forward-mode AD of their backward (e.g. mse_loss in 2.13)
                self._forward_over_reverse = False
        return grad(lambda t: torch.dot(grad(f)(t), v))(theta)

    def predictions(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Argmax class ``(B,)`` at θ (chunked, no gradient), on the CPU."""
        with torch.no_grad():
            return torch.cat(
                [self.outputs(theta, inputs[s : s + self.chunk_size]).argmax(-1).cpu()
                 for s in range(0, len(inputs), self.chunk_size)]
            )


def to_state(model: nn.Module) -> dict[str, Any]:
    """Detached copy of ``model.state_dict()``."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def make_flat(model: nn.Module, data: Any, settings: dict[str, Any], float64: bool = False) -> FlatModel:
    """:class:`FlatModel` over the first ``settings['examples']`` training rows of ``data`` (0 = all)."""
    limit = int(settings.get("examples", 0)) or len(data.inputs)
    return FlatModel(
        model,
        data.inputs[:limit],
        data.targets[:limit],
        loss=data.loss,
        dtype=torch.float64 if float64 else torch.float32,
        chunk_size=int(settings.get("chunk_size", 4096)),
        device=data.device,
    )
