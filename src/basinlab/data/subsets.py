"""Seeded permutations and nested subsets: size k is always the first k entries of ONE permutation.

Every random choice in :mod:`basinlab.data` draws from :func:`rng` with its own stream number, so changing
e.g. the poison count never changes which rows form the clean prefix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ..errors import ConfigError, DataError

__all__ = ["rng", "permutation", "resolve_size", "nested_subsets"]

# Stream numbers for :func:`rng`; one per independent random choice.
STREAM_PERMUTATION = 0
STREAM_POISON = 1
STREAM_NOISE = 2
STREAM_SWISS_TRAIN = 10
STREAM_SWISS_TEST = 11
STREAM_MODULAR_SPLIT = 20
STREAM_DIGITS_SPLIT = 30


def rng(seed: int, stream: int) -> np.random.Generator:
    """A numpy generator for ``(seed, stream)``; any integer seed (negative ones are wrapped to 64 bits)."""
    return np.random.default_rng([int(seed) % 2**64, int(stream)])


def permutation(n_total: int, seed: int) -> np.ndarray:
    """The ``(n_total,)`` int64 permutation all nested subsets of a dataset split are prefixes of."""
    return rng(seed, STREAM_PERMUTATION).permutation(int(n_total)).astype(np.int64)


def resolve_size(
    size: int | float | None, n_available: int, *, name: str = "the dataset", reserved: int = 0
) -> int:
    """A size given as a count (int), fraction of ``n_available`` in (0, 1] (float) or ``None`` (all) -> a count.

    A fraction f gives ``round(f * n_available)`` examples (at least 1). ``reserved`` rows (e.g. the poison pool)
    are not available to the clean subset. Raises :class:`DataError` when the size does not fit.
    """
    limit = n_available - reserved
    if size is None:
        count = n_available
    elif isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise ConfigError(f"dataset size must be a count, a fraction in (0, 1] or None; got {size!r}")
    elif isinstance(size, (float, np.floating)):
        if not 0.0 < float(size) <= 1.0:
            raise ConfigError(f"dataset size as a fraction must be in (0, 1]; got {size!r}")
        count = max(1, math.floor(float(size) * n_available + 0.5))
    else:
        count = int(size)
        if count < 1:
            raise ConfigError(f"dataset size must be a positive count; got {size!r}")
    if count > limit:
        if reserved:  # size + poison <= n_available: say which poison fits this size, and which size this poison
            fits = [f"at most {n_available - count} poison examples with size {count}"] if count < n_available else []
            fits += [f"a size of at most {limit} with {reserved} poison examples"] if limit >= 1 else []
            raise DataError(
                f"dataset size {count} plus {reserved} poison examples exceeds the {n_available} examples of "
                f"{name} (the poison pool is disjoint from the clean subset, so size + poison must be at most "
                f"{n_available})" + (f"; use {' or '.join(fits)}" if fits else "")
            )
        raise DataError(
            f"dataset size {count} is larger than the {n_available} examples of {name}; "
            f"use at most {n_available} or a fraction in (0, 1]"
        )
    return count


def nested_subsets(
    n_total: int, sizes: Sequence[int | float | None], seed: int, *, name: str = "the dataset"
) -> list[torch.Tensor]:
    """Index tensors (int64) of nested subsets: entry i is the first ``resolve_size(sizes[i])`` of one permutation.

    The permutation is the one :func:`basinlab.data.make_dataset` uses for the same seed, so
    ``make_dataset(spec with size k)`` holds the rows ``nested_subsets(N, [k], seed)[0]`` of the full split.
    """
    perm = torch.from_numpy(permutation(n_total, seed))
    return [perm[: resolve_size(s, n_total, name=name)].clone() for s in sizes]
