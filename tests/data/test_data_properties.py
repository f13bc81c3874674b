"""Property tests (hypothesis) of the nesting invariant the volume engine relies on."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from basinlab.data import DatasetSpec, make_dataset, nested_subsets
from basinlab.data.transforms import imbalance_keep

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@SETTINGS
@given(n=st.integers(1, 500), a=st.integers(1, 500), b=st.integers(1, 500), seed=st.integers(-(2**40), 2**40))
def test_nested_subsets_are_prefixes_of_one_permutation(n, a, b, seed):
    small, large = sorted((min(a, n), min(b, n)))
    i_small, i_large = nested_subsets(n, [small, large], seed)
    assert torch.equal(i_large[:small], i_small)
    assert len(set(i_large.tolist())) == large and int(i_large.max()) < n


@SETTINGS
@given(
    labels=st.lists(st.integers(0, 3), min_size=0, max_size=300),
    fractions=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    cut=st.integers(0, 300),
)
def test_imbalance_of_a_prefix_is_a_prefix_of_the_imbalance(labels, fractions, cut):
    labels = np.array(labels, dtype=np.int64)
    cut = min(cut, len(labels))
    full = np.flatnonzero(imbalance_keep(labels, fractions, 4))
    part = np.flatnonzero(imbalance_keep(labels[:cut], fractions, 4))
    assert np.array_equal(full[: len(part)], part) and np.all(full[len(part):] >= cut)
    counts = np.bincount(labels[full], minlength=4)
    totals = np.bincount(labels, minlength=4)
    assert np.all(np.abs(counts - np.array(fractions) * totals) < 1.0 + 1e-6)


@SETTINGS
@given(size=st.integers(1, 120), extra=st.integers(0, 60), seed=st.integers(0, 10**6))
def test_make_dataset_sizes_are_prefixes(size, extra, seed):
    opts = {"modulus": 11, "train_fraction": 0.99}  # 120 training pairs
    small = make_dataset(DatasetSpec("modular", size=size, seed=seed, options=opts))
    large = make_dataset(DatasetSpec("modular", size=min(size + extra, 120), seed=seed, options=opts))
    assert torch.equal(large.inputs[:size], small.inputs) and torch.equal(large.targets[:size], small.targets)
