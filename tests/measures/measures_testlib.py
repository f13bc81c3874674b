"""Helpers shared by the measures tests (a uniquely named module: several test folders have a conftest)."""

from __future__ import annotations

import torch
from torch import nn


def make_blobs(n: int, seed: int, dim: int = 6, classes: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian blobs: ``(n, dim)`` float32 inputs and ``(n,)`` int64 labels."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, dim, generator=torch.Generator().manual_seed(123)) * 2.5
    y = torch.randint(0, classes, (n,), generator=g)
    return centres[y] + torch.randn(n, dim, generator=g), y


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 400, lr: float = 0.02) -> nn.Module:
    """Full-batch Adam on cross-entropy (deterministic)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval()
