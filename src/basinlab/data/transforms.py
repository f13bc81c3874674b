"""Dataset transformations: nested subset, poisoning, class imbalance, noise inputs.

Two layers. Array helpers (``imbalance_keep``, ``wrong_labels``, ``noise_samples``) are what
:func:`basinlab.data.make_dataset` composes from :class:`DatasetSpec` fields (the recorded, reproducible way).
The :class:`Dataset`-level functions (``subset``, ``poison``, ``imbalance``, ``add_noise_inputs``) apply one
transformation to a dataset you already hold; the spec is kept and the step is recorded in
``Dataset.provenance``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..errors import ConfigError, DataError
from .dataset import Dataset
from .subsets import STREAM_NOISE, STREAM_POISON, permutation, resolve_size, rng

__all__ = [
    "imbalance_keep",
    "wrong_labels",
    "noise_samples",
    "subset",
    "poison",
    "imbalance",
    "add_noise_inputs",
]


def _check_count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(f"{what} must be a non-negative integer; got {value!r}")
    return int(value)


def imbalance_keep(labels: np.ndarray, fractions: Sequence[float], num_classes: int) -> np.ndarray:
    """``(N,)`` bool mask keeping a share ``fractions[c]`` of each class c, spread evenly along the order.

    The j-th row of class c (j = 0, 1, ...) is kept iff ``floor((j + 1) * f) > floor(j * f)``, so of the first
    n_c rows of class c exactly ``floor(f * n_c)`` are kept. The rule depends only on a row's rank within its
    class, so applied to nested prefixes the results are nested prefixes too.
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != num_classes:
        raise ConfigError(
            f"dataset imbalance needs one keep fraction per class ({num_classes}); got {len(fractions)}"
        )
    if any(not 0.0 <= f <= 1.0 for f in fractions):
        raise ConfigError(f"dataset imbalance fractions must lie in [0, 1]; got {list(fractions)!r}")
    labels = np.asarray(labels)
    keep = np.zeros(len(labels), dtype=bool)
    for c, f in enumerate(fractions):
        rows = np.flatnonzero(labels == c)
        rank = np.arange(len(rows), dtype=np.float64)
        # 1e-9 guards products such as 0.29 * 100 = 28.999999999999996 against flooring one too low
        keep[rows[np.floor((rank + 1) * f + 1e-9) > np.floor(rank * f + 1e-9)]] = True
    return keep


def wrong_labels(labels: np.ndarray, num_classes: int, generator: np.random.Generator) -> np.ndarray:
    """For each label a different class drawn uniformly from the other ``num_classes - 1`` (int64)."""
    if num_classes < 2:
        raise ConfigError(f"poisoning needs at least 2 classes; got {num_classes}")
    labels = np.asarray(labels, dtype=np.int64)
    shift = generator.integers(1, num_classes, size=len(labels), dtype=np.int64)
    return (labels + shift) % num_classes


def noise_samples(
    count: int, mean: np.ndarray, std: np.ndarray, num_classes: int, generator: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` Gaussian inputs with per-feature ``mean``/``std`` (shape = input shape) and uniform labels.

    Returns ``(inputs (count, *shape) float32, labels (count,) int64)``; labels are drawn first.
    """
    labels = generator.integers(0, num_classes, size=count, dtype=np.int64)
    z = generator.standard_normal((count, *np.shape(mean)))
    return (z * std + mean).astype(np.float32), labels


def _labels_of(data: Dataset) -> torch.Tensor:
    return data.labels.to(torch.int64)


def _targets_like(data: Dataset, labels: torch.Tensor) -> torch.Tensor:
    if data.targets.ndim == 2:
        return torch.nn.functional.one_hot(labels, data.num_classes).to(data.targets.dtype)
    return labels


def _rows(data: Dataset, index: torch.Tensor, step: str) -> Dataset:
    return Dataset(
        inputs=data.inputs[index],
        targets=data.targets[index],
        num_classes=data.num_classes,
        spec=data.spec,
        poisoned=data.poisoned[index],
        noisy=data.noisy[index],
        provenance=(*data.provenance, step),
    )


def subset(data: Dataset, size: int | float | None, *, seed: int) -> Dataset:
    """The first ``size`` rows (count or fraction) of a permutation of ``data`` seeded by ``seed``."""
    count = resolve_size(size, len(data), name=f"{data.spec.name!r} (as given)")
    index = torch.from_numpy(permutation(len(data), seed)[:count])
    return _rows(data, index, f"subset(size={size!r}, seed={seed})")


def poison(data: Dataset, pool: Dataset, count: int, *, seed: int) -> Dataset:
    """Append the first ``count`` rows of ``pool``, each relabelled with a class drawn uniformly from the others.

    ``pool`` should be disjoint from ``data`` (e.g. the end of the permutation; :func:`make_dataset` does this
    for ``DatasetSpec.poison``). The appended rows are marked in ``poisoned``.
    """
    count = _check_count(count, "poison count")
    if count > len(pool):
        raise DataError(f"poison count {count} is larger than the pool's {len(pool)} rows; use at most {len(pool)}")
    if pool.input_shape != data.input_shape or pool.num_classes != data.num_classes:
        raise DataError(
            f"poison pool has inputs {pool.input_shape} and {pool.num_classes} classes; "
            f"the dataset has {data.input_shape} and {data.num_classes}"
        )
    labels = wrong_labels(_labels_of(pool)[:count].numpy(), data.num_classes, rng(seed, STREAM_POISON))
    return _append(data, pool.inputs[:count], labels, poisoned=True, note=f"poison(count={count}, seed={seed})")


def imbalance(data: Dataset, fractions: Sequence[float]) -> Dataset:
    """Keep ``floor(fractions[c] * n_c)`` rows of each class c, spread evenly (see :func:`imbalance_keep`)."""
    keep = imbalance_keep(_labels_of(data).numpy(), fractions, data.num_classes)
    index = torch.from_numpy(np.flatnonzero(keep))
    return _rows(data, index, "imbalance(" + "/".join(f"{float(f):g}" for f in fractions) + ")")


def add_noise_inputs(data: Dataset, count: int, *, seed: int) -> Dataset:
    """Append ``count`` Gaussian inputs matching ``data``'s per-feature mean and std, with uniform random labels."""
    count = _check_count(count, "noise count")
    x = data.inputs.double()
    mean, std = x.mean(dim=0).numpy(), x.std(dim=0, correction=0).numpy()
    inputs, labels = noise_samples(count, mean, std, data.num_classes, rng(seed, STREAM_NOISE))
    return _append(data, torch.from_numpy(inputs), labels, poisoned=False,
                   note=f"add_noise_inputs(count={count}, seed={seed})")


def _append(data: Dataset, inputs: torch.Tensor, labels: np.ndarray, *, poisoned: bool, note: str) -> Dataset:
    """``data`` with rows appended, flagged as poisoned (``poisoned=True``) or as noise (``poisoned=False``)."""
    count = len(labels)
    flags = torch.ones(count, dtype=torch.bool)
    return Dataset(
        inputs=torch.cat([data.inputs, inputs.to(data.inputs.dtype)]),
        targets=torch.cat([data.targets, _targets_like(data, torch.from_numpy(labels))]),
        num_classes=data.num_classes,
        spec=data.spec,
        poisoned=torch.cat([data.poisoned, flags if poisoned else ~flags]),
        noisy=torch.cat([data.noisy, ~flags if poisoned else flags]),
        provenance=(*data.provenance, note),
    )
