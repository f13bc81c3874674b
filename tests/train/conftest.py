"""Tiny in-memory datasets for the training tests (built from tensors, no files)."""

from __future__ import annotations

import pytest
import torch

from basinlab.data.dataset import Dataset, DatasetSpec


def blobs(n: int = 96, seed: int = 0, dim: int = 4, classes: int = 3) -> Dataset:
    """``classes`` Gaussian blobs in ``dim`` dimensions, labels 0..classes-1 (easily separable)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % classes
    centres = torch.randn(classes, dim, generator=g) * 3
    x = centres[labels] + 0.5 * torch.randn(n, dim, generator=g)
    return Dataset(x.float(), labels.long(), classes, DatasetSpec("digits", seed=seed))


@pytest.fixture
def make_blobs():
    return blobs
