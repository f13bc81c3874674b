"""General evaluation of many points θ0 + c·Q_k for any ``nn.Module``: ``torch.func.functional_call`` vmapped
over a batch of parameter points. Slower than the fast path but exact for every architecture."""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, vmap

__all__ = ["GeneralRays"]


class GeneralRays:
    """Outputs of ``model`` at points ``θ0 + c·Q_k``; activations ``(P, n, *out)``."""

    def __init__(self, model: nn.Module, inputs: torch.Tensor) -> None:
        self.model = model
        self.x = inputs
        self.names = [name for name, _ in model.named_parameters()]
        self.theta0 = [p.detach() for _, p in model.named_parameters()]
        self.q: list[torch.Tensor] = []
        self.k = torch.zeros(0, dtype=torch.long)
        self.c = torch.zeros(0, dtype=torch.float64)
        n_params = sum(p.numel() for p in self.theta0)
        self.flops_first = 0.0
        self.flops_upper = 2.0 * n_params  # rough: one multiply-add per parameter per sample
        self.width = max(64, int(inputs[0].numel()) * 4)
        self.split_rows = False  # vmapped functional calls: rows stay on torch's own threads

    def set_directions(self, directions: list[list[torch.Tensor]]) -> None:
        self.q = [torch.stack([d[i] for d in directions]) for i in range(len(self.names))]

    def one_at_a_time(self, row: int) -> bool:
        """Points are evaluated together (vmapped)."""
        return False

    def strategy_end(self, row: int) -> int:
        """One strategy for all rows."""
        return len(self.x)

    def prepare(self, k: torch.Tensor, c: torch.Tensor) -> None:
        """Fix the points ``θ0 + c[p]·Q_{k[p]}`` of the next :meth:`forward` calls."""
        self.k, self.c = k, c

    def forward(self, start: int, stop: int, active: torch.Tensor) -> torch.Tensor:
        """Outputs ``(len(active), stop - start, *out)`` for rows ``start:stop`` at the prepared points ``active``."""
        k, c = self.k[active], self.c[active]
        x = self.x[start:stop]
        params = {}
        for name, p0, q in zip(self.names, self.theta0, self.q, strict=True):
            cc = c.to(p0.dtype).view((-1,) + (1,) * p0.dim())
            params[name] = p0.unsqueeze(0) + cc * q[k]

        def run(p: dict[str, torch.Tensor]) -> torch.Tensor:
            return functional_call(self.model, p, (x,))

        return vmap(run)(params)
