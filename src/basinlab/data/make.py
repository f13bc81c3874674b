"""``make_dataset``: a pure function from a :class:`DatasetSpec` (plus files on disk) to a :class:`Dataset`.

Rows, in order:
  1. the clean prefix: the first ``size`` entries of one permutation of the split seeded by ``seed``
     (so every smaller size is a prefix of every larger one), filtered per class by ``imbalance``;
  2. ``poison`` rows taken from the END of the same permutation (disjoint from every clean prefix that fits),
     each relabelled with a class drawn uniformly from the other classes (``Dataset.poisoned`` marks them);
  3. ``noise`` Gaussian inputs with the split's per-feature mean and std and uniform random labels
     (``Dataset.noisy`` marks them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .dataset import DATASET_NAMES, Dataset, DatasetSpec
from .locate import FILE_DATASETS, find_dir
from .sources import load_raw, normaliser, resolve_options, split_moments
from .subsets import STREAM_NOISE, STREAM_POISON, permutation, resolve_size, rng
from .transforms import imbalance_keep, noise_samples, wrong_labels

__all__ = ["make_dataset", "load_dataset", "available_datasets"]


def _as_spec(spec: DatasetSpec | dict[str, Any]) -> DatasetSpec:
    if isinstance(spec, DatasetSpec):
        return spec
    if isinstance(spec, dict):
        return DatasetSpec.from_dict(spec)
    raise ConfigError(f"expected a DatasetSpec or a dict; got {type(spec).__name__}")


def make_dataset(
    spec: DatasetSpec | dict[str, Any], *, data_dir: str | Path | None = None, download: bool | None = None
) -> Dataset:
    """Build the tensors ``spec`` describes (see the module docstring for the row order).

    Args:
        spec: what to build (a dict is read with ``DatasetSpec.from_dict``).
        data_dir: folder searched first for dataset files (see :mod:`basinlab.data.locate`).
        download: fetch missing files (True), never (False), or None = unless ``$BASINLAB_DOWNLOAD=0``.

    Returns:
        inputs ``(N, *input_shape)`` float32; targets ``(N,)`` int64, or ``(N, C)`` float32 one-hot rows
        with option ``targets='onehot'`` (for an MSE loss).
    """
    spec = _as_spec(spec)
    options = resolve_options(spec.name, spec.option_dict)
    raw = load_raw(spec.name, spec.split, options, spec.seed, data_dir, download=download)
    n, num_classes = len(raw), raw.num_classes
    count = resolve_size(spec.size, n, name=f"{spec.name}'s {spec.split} split", reserved=spec.poison)
    order = permutation(n, spec.seed)
    clean = order[:count]
    if spec.imbalance is not None:
        clean = clean[imbalance_keep(raw.y[clean], spec.imbalance, num_classes)]
    pool = order[::-1][: spec.poison]
    input_shape = tuple(raw.x.shape[1:])
    affine = normaliser(spec.name, options, spec.seed, input_shape, data_dir, download=download)

    def normalise(rows: np.ndarray) -> np.ndarray:
        return rows if affine is None else (rows - affine[0]) / affine[1]

    xs = [normalise(raw.unit(clean)), normalise(raw.unit(pool))]
    ys = [raw.y[clean], wrong_labels(raw.y[pool], num_classes, rng(spec.seed, STREAM_POISON))]
    if spec.noise:
        mean, second = split_moments(raw)
        std = np.sqrt(np.maximum(second - mean**2, 0.0))
        if affine is not None:
            mean, std = (mean - affine[0]) / affine[1], std / affine[1]
        noise_x, noise_y = noise_samples(spec.noise, mean, std, num_classes, rng(spec.seed, STREAM_NOISE))
        xs.append(noise_x)
        ys.append(noise_y)
    labels = torch.from_numpy(np.concatenate(ys).astype(np.int64))
    targets = labels
    if options["targets"] == "onehot":
        targets = torch.nn.functional.one_hot(labels, num_classes).to(torch.float32)
    sizes = [len(clean), len(pool), spec.noise]
    inputs = np.concatenate(xs) if len(pool) or spec.noise else xs[0]  # skip a copy of the common case
    return Dataset(
        inputs=torch.from_numpy(inputs.astype(np.float32, copy=False)),
        targets=targets,
        num_classes=num_classes,
        spec=spec,
        poisoned=torch.repeat_interleave(torch.tensor([False, True, False]), torch.tensor(sizes)),
        noisy=torch.repeat_interleave(torch.tensor([False, False, True]), torch.tensor(sizes)),
    )


def load_dataset(
    name: str, *, split: str = "train", size: int | float | None = None, seed: int = 0,
    data_dir: str | Path | None = None, poison: int = 0, imbalance: tuple[float, ...] | None = None,
    noise: int = 0, download: bool | None = None, **options: Any,
) -> Dataset:
    """Convenience: ``make_dataset(DatasetSpec(name, split, size, seed, poison, imbalance, noise, options))``.

    Example: ``load_dataset('modular', size=0.5, modulus=13, targets='onehot')``.
    """
    spec = DatasetSpec(name=name, split=split, size=size, seed=seed, poison=poison, imbalance=imbalance,
                       noise=noise, options=options)
    return make_dataset(spec, data_dir=data_dir, download=download)


def available_datasets(data_dir: str | Path | None = None) -> dict[str, bool | Path]:
    """Each dataset name -> True (generated or shipped), the folder holding its training files, or False."""
    result: dict[str, bool | Path] = {}
    for name in DATASET_NAMES:
        result[name] = (find_dir(name, "train", data_dir) or False) if name in FILE_DATASETS else True
    return result
