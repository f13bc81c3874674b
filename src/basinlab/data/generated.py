"""Datasets made in memory: two-class swiss roll, modular addition, and scikit-learn's 8x8 digits."""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import DataError
from .raw import RawSplit
from .subsets import STREAM_DIGITS_SPLIT, STREAM_MODULAR_SPLIT, STREAM_SWISS_TEST, STREAM_SWISS_TRAIN, rng

__all__ = ["swiss_roll", "modular_addition", "digits"]


def _train_count(fraction: float, n: int) -> int:
    """``round(fraction * n)`` clipped so both splits keep at least one example."""
    return min(max(math.floor(fraction * n + 0.5), 1), n - 1)


@functools.lru_cache(maxsize=8)
def swiss_roll(
    split: str, *, seed: int, n_total: int = 2000, n_test: int | None = None, noise_std: float = 0.03,
    turns: float = 1.5,
) -> RawSplit:
    """Two interleaved spirals in 2-D, classes 0 and 1 (sizes differ by at most one).

    A point of class 0 at angle t is ``(t / T) * (cos t, sin t)`` with ``T = 2*pi*turns`` and
    ``t = T * sqrt(u)``, u ~ U(0, 1) (about uniform along the arc); class 1 is class 0 rotated by pi. Then
    Gaussian noise of std ``noise_std`` is added to both coordinates. Normalised: the noiseless spirals fill the
    unit disc. The test split (``n_test`` points, default ``n_total``) is drawn from another random stream.
    """
    n = n_total if split == "train" else (n_test if n_test is not None else n_total)
    g = rng(seed, STREAM_SWISS_TRAIN if split == "train" else STREAM_SWISS_TEST)
    full_angle = 2.0 * math.pi * turns
    t = full_angle * np.sqrt(g.random(n))
    y = (np.arange(n) >= (n + 1) // 2).astype(np.int64)
    sign = np.where(y == 0, 1.0, -1.0)
    radius = t / full_angle
    x = np.stack([sign * radius * np.cos(t), sign * radius * np.sin(t)], axis=1)
    x += noise_std * g.standard_normal((n, 2))
    return RawSplit(x=x.astype(np.float32), y=y, num_classes=2)


@functools.lru_cache(maxsize=8)
def modular_addition(split: str, *, seed: int, modulus: int = 97, train_fraction: float = 0.3) -> RawSplit:
    """All ``modulus**2`` pairs (a, b) with label ``(a + b) mod modulus``; inputs are two one-hot blocks.

    Input row: ``x[a] = 1`` and ``x[modulus + b] = 1``, shape ``(2 * modulus,)``. The pairs are split by a
    permutation seeded by ``seed``: the first ``round(train_fraction * modulus**2)`` are the train split.
    """
    p = int(modulus)
    order = rng(seed, STREAM_MODULAR_SPLIT).permutation(p * p)
    n_train = _train_count(train_fraction, p * p)
    pairs = order[:n_train] if split == "train" else order[n_train:]
    a, b = pairs // p, pairs % p
    x = np.zeros((len(pairs), 2 * p), dtype=np.uint8)
    rows = np.arange(len(pairs))
    x[rows, a] = 1
    x[rows, p + b] = 1
    return RawSplit(x=x, y=((a + b) % p).astype(np.int64), num_classes=p)


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("the digits dataset is read from scikit-learn, which is not installed: "
                        "pip install 'basinlab[digits]' (or pip install scikit-learn)") from None
    images, labels = load_digits(return_X_y=True)
    return images.astype(np.uint8).reshape(-1, 1, 8, 8), labels.astype(np.int64)


@functools.lru_cache(maxsize=8)
def digits(split: str, *, seed: int, train_fraction: float = 0.8) -> RawSplit:
    """scikit-learn's 1,797 8x8 digit images as ``(1, 8, 8)`` inputs, values 0..16 (scale 16 -> [0, 1]).

    Split by a permutation seeded by ``seed``: the first ``round(train_fraction * 1797)`` (default 1,438)
    are the train split, the rest (359) the test split.
    """
    images, labels = _digits_arrays()
    order = rng(seed, STREAM_DIGITS_SPLIT).permutation(len(labels))
    n_train = _train_count(train_fraction, len(labels))
    rows = order[:n_train] if split == "train" else order[n_train:]
    return RawSplit(x=images[rows], y=labels[rows], num_classes=10, scale=16.0)
