"""Nested subsets, determinism, poisoning, imbalance and noise, checked against tiny IDX files whose rows
encode their own index (so every returned row can be traced back to the file)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

from basinlab.data import (
    DatasetSpec,
    load_dataset,
    make_dataset,
    nested_subsets,
    resolve_size,
    write_idx,
)
from basinlab.errors import ConfigError, DataError

N_TRAIN, N_TEST = 600, 50


def _images(n: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose first two pixels hold the row index (base 256); labels cycle through 0..9 unevenly."""
    rng = np.random.default_rng(offset)
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    ids = np.arange(n)
    x[:, 0, 0], x[:, 0, 1] = ids // 256, ids % 256
    y = ((ids * 7 + ids // 3) % 10).astype(np.uint8)
    return x, y


@pytest.fixture()
def tiny_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("BASINLAB_DOWNLOAD", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BASINLAB_DATA", raising=False)
    x, y = _images(N_TRAIN, 1)
    xt, yt = _images(N_TEST, 2)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x)
    write_idx(tmp_path / "train-labels-idx1-ubyte", y)  # raw and gz mixed on purpose
    write_idx(tmp_path / "t10k-images-idx3-ubyte", xt)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", yt)
    return tmp_path, x, y


def _ids(inputs: torch.Tensor) -> np.ndarray:
    """Row index in the file, read back from the two marker pixels (inputs are pixel / 255)."""
    pix = torch.round(inputs[:, 0, 0, :2] * 255).to(torch.int64).numpy()
    return pix[:, 0] * 256 + pix[:, 1]


def _mnist(tmp, **kw):
    return make_dataset(DatasetSpec("mnist", **kw), data_dir=tmp, download=False)


def test_rows_are_the_nested_subset_indices_of_the_file(tiny_mnist):
    tmp, x, y = tiny_mnist
    for seed in (0, 5):
        (index,) = nested_subsets(N_TRAIN, [123], seed)
        data = _mnist(tmp, size=123, seed=seed)
        assert np.array_equal(_ids(data.inputs), index.numpy())
        assert torch.equal(data.inputs[:, 0], torch.from_numpy(x[index.numpy()]).float() / 255)
        assert np.array_equal(data.targets.numpy(), y[index.numpy()])
        assert data.targets.dtype == torch.int64 and data.inputs.dtype == torch.float32


def test_smaller_sizes_are_prefixes_of_larger_ones(tiny_mnist):
    tmp, _, _ = tiny_mnist
    sizes = [1, 6, 60, 0.5, 599, None]
    sets = [_mnist(tmp, size=s, seed=3) for s in sizes]
    for small, large in zip(sets, sets[1:], strict=False):
        assert len(small) < len(large)
        assert torch.equal(large.inputs[: len(small)], small.inputs)
        assert torch.equal(large.targets[: len(small)], small.targets)
    index = nested_subsets(N_TRAIN, sizes, seed=3)
    assert [len(i) for i in index] == [len(s) for s in sets]
    assert all(torch.equal(index[-1][: len(i)], i) for i in index)
    assert sorted(index[-1].tolist()) == list(range(N_TRAIN))  # a permutation


def test_same_spec_gives_identical_tensors_and_seeds_differ(tiny_mnist):
    tmp, _, _ = tiny_mnist
    spec = dict(size=100, seed=11, poison=20, noise=15, imbalance=(1, 0.5) * 5)
    a, b = _mnist(tmp, **spec), _mnist(tmp, **spec)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert torch.equal(a.poisoned, b.poisoned) and torch.equal(a.noisy, b.noisy)
    c = _mnist(tmp, **{**spec, "seed": 12})
    assert not torch.equal(a.targets[:50], c.targets[:50]) or not torch.equal(a.inputs[:50], c.inputs[:50])


def test_poison_rows_are_wrong_disjoint_and_appended(tiny_mnist):
    tmp, _, y = tiny_mnist
    m = 40
    data = _mnist(tmp, size=200, seed=4, poison=m)
    assert len(data) == 200 + m
    assert data.poisoned.tolist() == [False] * 200 + [True] * m
    clean_ids, poison_ids = _ids(data.inputs[:200]), _ids(data.inputs[200:])
    assert np.array_equal(data.targets[:200].numpy(), y[clean_ids])  # clean labels are true
    assert np.all(data.targets[200:].numpy() != y[poison_ids])  # every poison label is wrong
    # the poison pool is disjoint from every clean prefix that can coexist with it
    largest_clean = _ids(_mnist(tmp, size=N_TRAIN - m, seed=4).inputs)
    assert not set(poison_ids) & set(largest_clean)
    # and the clean part does not move when poison is added
    assert torch.equal(data.inputs[:200], _mnist(tmp, size=200, seed=4).inputs)


def test_poison_labels_are_uniform_over_the_other_classes(tiny_mnist):
    tmp, _, y = tiny_mnist
    data = _mnist(tmp, size=100, seed=0, poison=450)
    true = y[_ids(data.inputs[100:])]
    shift = (data.targets[100:].numpy() - true) % 10
    counts = np.bincount(shift, minlength=10)
    assert counts[0] == 0
    assert chisquare(counts[1:]).pvalue > 1e-3  # 450 draws over 9 equally likely wrong classes


def test_poison_that_does_not_fit_is_refused(tiny_mnist):
    tmp, _, _ = tiny_mnist
    with pytest.raises(DataError, match=r"size 590 plus 20 poison examples exceeds the 600 examples.*size \+ poison "
                                        r"must be at most 600\); use at most 10 poison examples with size 590 or a "
                                        r"size of at most 580 with 20 poison examples$"):
        _mnist(tmp, size=590, poison=20)
    # more poison than rows: no size fits it, so no negative size is offered (issue 12 item 6)
    with pytest.raises(DataError, match=r"must be at most 600\); use at most 590 poison examples with size 10$"):
        _mnist(tmp, size=10, poison=700)
    assert len(_mnist(tmp, size=590, poison=10)) == 600  # the bound itself is accepted
    with pytest.raises(ConfigError, match="poison must be a non-negative integer; got -1"):
        _mnist(tmp, size=10, poison=-1)


def test_imbalance_keeps_the_requested_share_of_each_class(tiny_mnist):
    tmp, _, _ = tiny_mnist
    fractions = (1.0, 0.5, 0.0, 0.25, 1.0, 0.1, 0.9, 1.0, 0.33, 0.29)
    base = _mnist(tmp, size=400, seed=2)
    data = _mnist(tmp, size=400, seed=2, imbalance=fractions)
    base_counts = np.bincount(base.targets.numpy(), minlength=10)
    counts = np.bincount(data.targets.numpy(), minlength=10)
    expected = [int(f * n + 1e-9) for f, n in zip(fractions, base_counts.tolist(), strict=True)]
    assert counts.tolist() == expected
    assert set(_ids(data.inputs)) <= set(_ids(base.inputs))
    # nested: the imbalanced subset of a smaller prefix is a prefix of that of a larger one (the volume
    # engine's landscapes rely on this)
    for small_size in (1, 37, 150, 399):
        small = _mnist(tmp, size=small_size, seed=2, imbalance=fractions)
        assert torch.equal(data.inputs[: len(small)], small.inputs)
    with pytest.raises(ConfigError, match="one keep fraction per class"):
        _mnist(tmp, size=10, imbalance=(0.5, 0.5))


def test_noise_inputs_have_random_labels_and_the_data_statistics(tiny_mnist):
    tmp, x, _ = tiny_mnist
    data = _mnist(tmp, size=50, seed=1, noise=3000)
    assert data.noisy.sum() == 3000 and not data.noisy[:50].any() and not data.poisoned.any()
    noise = data.inputs[50:].double()
    pixels = torch.from_numpy(x).double() / 255
    assert torch.allclose(noise.mean(0)[0], pixels.mean(0), atol=0.03)
    assert torch.allclose(noise.std(0)[0], pixels.std(0), rtol=0.1)
    counts = np.bincount(data.targets[50:].numpy(), minlength=10)
    assert chisquare(counts).pvalue > 1e-3
    assert torch.equal(data.inputs[:50], _mnist(tmp, size=50, seed=1).inputs)


def test_onehot_targets_match_the_labels(tiny_mnist):
    tmp, _, _ = tiny_mnist
    index = _mnist(tmp, size=30, poison=5)
    onehot = make_dataset(DatasetSpec("mnist", size=30, poison=5, options={"targets": "onehot"}), data_dir=tmp)
    assert onehot.targets.shape == (35, 10) and onehot.targets.dtype == torch.float32
    assert torch.equal(onehot.targets.sum(1), torch.ones(35))
    assert torch.equal(onehot.targets.argmax(1), index.targets)


def test_standardisation_uses_training_statistics_for_both_splits(tiny_mnist):
    tmp, x, _ = tiny_mnist
    pixels = torch.from_numpy(x).double() / 255
    mean, std = pixels.mean(), pixels.std(correction=0)
    for split in ("train", "test"):
        unit = load_dataset("mnist", split=split, data_dir=tmp, seed=0)
        standard = load_dataset("mnist", split=split, data_dir=tmp, seed=0, normalize="standard")
        assert torch.allclose(standard.inputs.double(), (unit.inputs.double() - mean) / std, atol=1e-5)
    train = load_dataset("mnist", data_dir=tmp, normalize="standard").inputs.double()
    assert abs(train.mean().item()) < 1e-5 and abs(train.std(correction=0).item() - 1) < 1e-5


def test_resolve_size_counts_fractions_and_errors():
    assert resolve_size(None, 60000) == 60000
    assert resolve_size(0.001, 60000) == 60
    assert resolve_size(1.0, 7) == 7
    assert resolve_size(1e-9, 7) == 1  # a fraction never gives an empty set
    assert resolve_size(25, 60000) == 25
    with pytest.raises(DataError, match=r"size 70000 is larger than the 60000 examples of fashion-mnist.*at most 60000"):
        resolve_size(70000, 60000, name="fashion-mnist")
    for bad, pattern in [(0, "positive count"), (1.5, r"in \(0, 1\]"), (0.0, r"in \(0, 1\]"), ("10", "a count")]:
        with pytest.raises(ConfigError, match=pattern):
            resolve_size(bad, 100)
