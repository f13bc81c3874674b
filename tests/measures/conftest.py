"""Small trained models and data shared by the measures tests (built here, no other package needed)."""

from __future__ import annotations

import pytest
import torch
from measures_testlib import fit, make_blobs  # noqa: F401  (re-exported for fixtures)
from torch import nn


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(240, seed=0)
    xt, yt = make_blobs(240, seed=1)
    return x, y, xt, yt


@pytest.fixture(scope="module")
def trained_mlp(blobs):
    x, y, _, _ = blobs
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    init = {k: v.clone() for k, v in model.state_dict().items()}
    return fit(model, x, y), init
