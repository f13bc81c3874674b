"""The standalone transformations on a Dataset already in hand, and the Dataset value type."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from basinlab.data import Dataset, DatasetSpec, add_noise_inputs, imbalance, load_dataset, poison, subset
from basinlab.errors import ConfigError, DataError


def _labelled_grid(n: int = 200, classes: int = 4) -> Dataset:
    """Inputs (n, 3) whose first column is the row id, labels id % classes."""
    ids = torch.arange(n, dtype=torch.float32)
    inputs = torch.stack([ids, torch.sin(ids), torch.cos(ids)], dim=1)
    return Dataset(inputs=inputs, targets=torch.arange(n) % classes, num_classes=classes,
                   spec=DatasetSpec("swiss-roll"))


def test_subset_is_a_seeded_nested_prefix():
    data = _labelled_grid()
    small, large = subset(data, 20, seed=3), subset(data, 0.5, seed=3)
    assert len(small) == 20 and len(large) == 100
    assert torch.equal(large.inputs[:20], small.inputs)
    assert torch.equal(small.targets, small.inputs[:, 0].long() % 4)  # rows keep their labels
    assert not torch.equal(subset(data, 20, seed=4).inputs, small.inputs)
    assert small.provenance == ("subset(size=20, seed=3)",)
    with pytest.raises(DataError, match="size 201 is larger than the 200 examples"):
        subset(data, 201, seed=0)


def test_poison_appends_wrongly_labelled_pool_rows():
    data, pool = subset(_labelled_grid(), 50, seed=0), _labelled_grid()
    out = poison(data, pool, 30, seed=1)
    assert len(out) == 80 and out.poisoned.tolist() == [False] * 50 + [True] * 30
    assert torch.equal(out.inputs[50:], pool.inputs[:30])
    assert bool((out.targets[50:] != pool.targets[:30]).all())
    assert torch.equal(poison(data, pool, 30, seed=1).targets, out.targets)  # seeded
    assert "poison(count=30, seed=1)" in out.describe()
    with pytest.raises(ConfigError, match="poison count must be a non-negative integer; got -2"):
        poison(data, pool, -2, seed=0)
    with pytest.raises(DataError, match="poison count 300 is larger than the pool's 200 rows"):
        poison(data, pool, 300, seed=0)


def test_imbalance_and_noise_on_a_dataset():
    data = _labelled_grid(400)
    out = imbalance(data, (1.0, 0.5, 0.1, 0.0))
    assert np.bincount(out.targets.numpy(), minlength=4).tolist() == [100, 50, 10, 0]
    class_one = out.inputs[out.targets == 1, 0]  # every second class-1 row, spread over the whole order
    assert torch.equal(class_one, torch.arange(400)[torch.arange(400) % 4 == 1][1::2].float())
    noisy = add_noise_inputs(data, 1000, seed=0)
    assert noisy.noisy.sum() == 1000 and len(noisy) == 1400
    assert set(noisy.targets[400:].tolist()) == {0, 1, 2, 3}
    assert torch.allclose(noisy.inputs[400:].mean(0), data.inputs.mean(0), atol=0.1 * data.inputs.std(0).max())
    with pytest.raises(ConfigError, match="noise count must be a non-negative integer"):
        add_noise_inputs(data, -1, seed=0)


def test_transforms_keep_onehot_targets_onehot():
    data = load_dataset("modular", modulus=5, targets="onehot")
    pool = load_dataset("modular", modulus=5, targets="onehot", split="test")
    out = add_noise_inputs(poison(data, pool, 4, seed=0), 3, seed=0)
    assert out.targets.shape == (len(data) + 7, 5) and torch.equal(out.targets.sum(1), torch.ones(len(out)))
    assert bool((out.labels[len(data):len(data) + 4] != pool.labels[:4]).all())


def test_dataset_checks_its_masks_and_row_counts():
    spec = DatasetSpec("digits")
    with pytest.raises(ConfigError, match="inputs have 3 rows but targets 2"):
        Dataset(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long), 2, spec)
    with pytest.raises(ConfigError, match="poisoned mask has 2 rows but inputs 3"):
        Dataset(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), 2, spec, poisoned=torch.zeros(2, dtype=bool))
    data = Dataset(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), 2, spec)
    assert data.clean.all() and data.input_shape == (2,)
