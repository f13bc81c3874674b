"""Small trained models and data shared by the volume tests (CPU, a few hundred examples)."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def _blobs(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    return x, y


def _train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 300) -> nn.Module:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model


@pytest.fixture(scope="module")
def mlp_problem():
    """A 20-32-3 ReLU MLP trained to cross-entropy < 0.01 on 300 examples: (model, x, y)."""
    torch.manual_seed(0)
    x, y = _blobs(300, 20, seed=0)
    model = _train(nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3)), x, y)
    return model, x, y


@pytest.fixture(scope="module")
def cnn_problem():
    """A tiny CNN (Conv-ReLU-MaxPool-Conv-ReLU-Flatten-Linear) trained on 120 random 1x8x8 images."""
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(120, 1, 8, 8, generator=g)
    y = (x[:, 0, :4].mean(dim=(1, 2)) > 0).long()
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.ReLU(),
        nn.Flatten(), nn.Linear(16, 2),
    )
    return _train(model, x, y, steps=200), x, y


@pytest.fixture(scope="module")
def small_problem():
    """Flatten-64-16-3 ReLU MLP trained to cross-entropy < 0.01 on 24 random 1x8x8 images: (model, x, y)."""
    torch.manual_seed(3)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(24, 1, 8, 8, generator=g)
    y = torch.arange(24) % 3
    model = _train(nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 3)), x, y)
    with torch.no_grad():
        assert nn.functional.cross_entropy(model(x), y).item() < 0.01
    return model, x, y
