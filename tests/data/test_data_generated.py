"""Generated and shipped datasets: modular addition, swiss roll, scikit-learn digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from basinlab.data import DatasetSpec, dataset_info, load_dataset, make_dataset
from basinlab.errors import ConfigError, DataError


@pytest.mark.parametrize("p", [7, 97])
def test_modular_labels_are_the_sum_mod_p_and_splits_partition_all_pairs(p):
    train = load_dataset("modular", modulus=p)
    test = load_dataset("modular", split="test", modulus=p)
    assert train.num_classes == p and train.input_shape == (2 * p,)
    assert len(train) == math.floor(0.3 * p * p + 0.5) and len(train) + len(test) == p * p
    pairs = []
    for data in (train, test):
        x = data.inputs
        assert torch.equal(x.sum(1), torch.full((len(data),), 2.0))  # exactly two ones per row
        a, b = x[:, :p].argmax(1), x[:, p:].argmax(1)
        assert torch.equal(data.targets, (a + b) % p)
        pairs += (a * p + b).tolist()
    assert sorted(pairs) == list(range(p * p))  # every pair exactly once across the two splits


def test_modular_split_follows_the_seed_and_train_fraction():
    a = load_dataset("modular", modulus=11, seed=0)
    b = load_dataset("modular", modulus=11, seed=1)
    ids = lambda d: set((d.inputs[:, :11].argmax(1) * 11 + d.inputs[:, 11:].argmax(1)).tolist())  # noqa: E731
    assert ids(a) != ids(b)
    half = load_dataset("modular", modulus=11, train_fraction=0.5)
    assert len(half) == 61  # 60.5 rounds half up
    fixed = load_dataset("modular", modulus=11, seed=5, split_seed=0)  # split pinned, order from seed 5
    assert ids(fixed) == ids(a) and not torch.equal(fixed.inputs, a.inputs)


def test_modular_onehot_targets_for_mse():
    data = load_dataset("modular", modulus=13, targets="onehot", size=40)
    index = load_dataset("modular", modulus=13, size=40)
    assert data.targets.shape == (40, 13) and data.targets.dtype == torch.float32
    assert torch.equal(data.targets.argmax(1), index.targets)
    assert torch.equal(data.labels, index.targets)


def test_swiss_roll_shapes_balance_and_normalisation():
    train = load_dataset("swiss-roll", n_total=1001)
    assert train.inputs.shape == (1001, 2) and train.num_classes == 2
    assert sorted(np.bincount(train.targets.numpy()).tolist()) == [500, 501]
    radius = train.inputs.norm(dim=1)
    assert radius.max() < 1.0 + 5 * 0.03 and radius.mean() > 0.4  # the noiseless spirals fill the unit disc
    quiet = load_dataset("swiss-roll", noise_std=0.0, n_total=200)
    assert quiet.inputs.norm(dim=1).max() <= 1.0 + 1e-6


def test_swiss_roll_test_split_is_a_fresh_draw_of_the_same_distribution():
    train = load_dataset("swiss-roll", seed=2)
    test = load_dataset("swiss-roll", split="test", seed=2, n_test=500)
    assert len(test) == 500
    distances = torch.cdist(test.inputs, train.inputs)
    assert distances.min() > 0  # no test point repeats a training point
    nearest = train.targets[distances.argmin(1)]
    assert (nearest == test.targets).float().mean() > 0.95  # interleaved spirals: 1-NN separates them


def test_swiss_roll_is_seeded():
    a, b = load_dataset("swiss-roll", seed=1), load_dataset("swiss-roll", seed=1)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.inputs, load_dataset("swiss-roll", seed=2).inputs)


def test_digits_split_and_scaling():
    from sklearn.datasets import load_digits

    train, test = load_dataset("digits"), load_dataset("digits", split="test")
    assert train.input_shape == (1, 8, 8) and train.num_classes == 10
    assert (len(train), len(test)) == (1438, 359)  # round(0.8 * 1797) and the rest
    assert train.inputs.min() == 0.0 and train.inputs.max() == 1.0
    images, labels = load_digits(return_X_y=True)
    # every returned row is a digits image / 16 with its own label
    reference = {tuple((row / 16).astype(np.float32)): int(lab) for row, lab in zip(images, labels, strict=True)}
    for x, t in zip(test.inputs.reshape(len(test), 64).numpy(), test.targets.tolist(), strict=True):
        assert reference[tuple(x)] == t


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    from basinlab.data import generated
    from basinlab.errors import DataError

    for module in ("sklearn", "sklearn.datasets"):  # as if not installed: importing them raises ImportError
        monkeypatch.setitem(__import__("sys").modules, module, None)
    generated._digits_arrays.cache_clear()
    generated.digits.cache_clear()
    try:
        with pytest.raises(DataError, match=r"pip install 'basinlab\[digits\]'"):
            generated.digits("train", seed=0)
    finally:
        generated._digits_arrays.cache_clear()
        generated.digits.cache_clear()


def test_spec_json_round_trip_and_make_from_dict():
    spec = DatasetSpec("modular", size=0.5, seed=3, poison=4, imbalance=[1.0] * 7, noise=2,
                       options={"modulus": 7, "targets": "onehot"})
    again = DatasetSpec.from_dict(__import__("json").loads(spec.to_json()))
    assert again == spec
    a, b = make_dataset(spec), make_dataset(again.to_dict())
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert "modular/train" in a.describe() and "4 poisoned" in a.describe() and "2 noise inputs" in a.describe()


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(name="imagenet"), ConfigError, "'imagenet' is unknown; use 'swiss-roll'"),
        (dict(name="modular", size=0), ConfigError, "positive count"),
        (dict(name="modular", size=2.0), ConfigError, r"fraction must be in \(0, 1\]"),
        (dict(name="modular", poison=-3), ConfigError, "poison must be a non-negative integer"),
        (dict(name="modular", noise=-1), ConfigError, "noise must be a non-negative integer"),
        (dict(name="modular", split="val"), ConfigError, "split 'val' is unknown"),
    ],
)
def test_bad_specs_are_refused_with_a_clear_message(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        make_dataset(DatasetSpec(**kwargs))


def test_bad_sizes_and_options_name_the_dataset():
    with pytest.raises(DataError, match=r"size 5000 is larger than the 2823 examples of modular's train split"):
        load_dataset("modular", size=5000)
    with pytest.raises(ConfigError, match=r"dataset 'swiss-roll' has no option\(s\) \['modulus'\]; its options"):
        load_dataset("swiss-roll", modulus=3)
    with pytest.raises(ConfigError, match="option 'train_fraction' must be a number in"):
        load_dataset("modular", train_fraction=1.0)
    with pytest.raises(ConfigError, match="option 'targets' must be 'index'"):
        load_dataset("digits", targets="soft")


@pytest.mark.parametrize("name, options", [("swiss-roll", {"n_total": 31, "n_test": 9}), ("modular", {"modulus": 9}),
                                           ("digits", {"train_fraction": 0.5})])
def test_dataset_info_matches_the_built_datasets(name, options):
    info = dataset_info(name, **options)
    train, test = load_dataset(name, **options), load_dataset(name, split="test", **options)
    assert info == {"input_shape": train.input_shape, "num_classes": train.num_classes,
                    "train_size": len(train), "test_size": len(test)}
