"""The two value types every package passes around: :class:`DatasetSpec` and :class:`Dataset`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .._frozen import freeze
from ..errors import ConfigError, describe_choices
from ..usercode import check_reference, is_reference

__all__ = ["DATASET_NAMES", "DatasetSpec", "Dataset"]

DATASET_NAMES = ("swiss-roll", "modular", "digits", "fashion-mnist", "mnist", "cifar10", "svhn")
SPLITS = ("train", "test")
# What a dataset name may be, for error messages.
ACCEPTED_DATASETS = (f"{describe_choices(DATASET_NAMES)}, or module:callable (your function taking split='train' or "
                     "'test' and returning (X, y) arrays or tensors, a TensorDataset, a Dataset or a DataLoader)")




@dataclass(frozen=True)
class DatasetSpec:
    """Everything that determines a dataset's tensors; JSON round-trips via :meth:`to_dict` / :meth:`from_dict`.

    Attributes:
        name: one of ``DATASET_NAMES``, or ``'module:callable'``: your own data, ``callable(split=..., **options)``
            returning anything :func:`basinlab.data.as_tensors` reads, with integer class labels (see
            :mod:`basinlab.data.user`). Subsets, poison, imbalance and noise are drawn from it as for any dataset.
        split: ``'train'`` or ``'test'``.
        size: number of clean examples (int), a fraction of the split in ``(0, 1]`` (float), or ``None`` for all.
            Sizes are nested: size k is the first k rows of one permutation seeded by ``seed``.
        seed: data seed (permutation, generation, poison and noise draws).
        poison: number of extra wrongly-labelled examples, drawn from a pool disjoint from every nested prefix.
        imbalance: per-class keep fractions in ``[0, 1]`` (length = number of classes), or ``None``.
        noise: number of extra random-noise inputs with uniformly random labels.
        options: dataset-specific settings as sorted ``(key, value)`` pairs (pass a dict; it is frozen).
    """

    name: str
    split: str = "train"
    size: int | float | None = None
    seed: int = 0
    poison: int = 0
    imbalance: tuple[float, ...] | None = None
    noise: int = 0
    options: tuple[tuple[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", freeze(dict(self.options)))
        if self.imbalance is not None:
            object.__setattr__(self, "imbalance", tuple(float(x) for x in self.imbalance))
        if is_reference(self.name):
            check_reference(self.name, "dataset name", ACCEPTED_DATASETS)
        elif self.name not in DATASET_NAMES:
            raise ConfigError(f"dataset name {self.name!r} is unknown; use {ACCEPTED_DATASETS}")
        if self.split not in SPLITS:
            raise ConfigError(f"dataset split {self.split!r} is unknown; use {describe_choices(SPLITS)}")
        if self.size is not None:
            if isinstance(self.size, bool) or not isinstance(self.size, (int, float)):
                raise ConfigError(f"dataset size must be a count, a fraction in (0, 1] or None; got {self.size!r}")
            if isinstance(self.size, float) and not 0.0 < self.size <= 1.0:
                raise ConfigError(f"dataset size as a fraction must be in (0, 1]; got {self.size!r}")
            if isinstance(self.size, int) and self.size < 1:
                raise ConfigError(f"dataset size must be a positive count; got {self.size!r}")
        for name in ("seed", "poison", "noise"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or (name != "seed" and value < 0):
                raise ConfigError(f"dataset {name} must be a non-negative integer; got {value!r}")
        if self.imbalance is not None and any(not 0.0 <= f <= 1.0 for f in self.imbalance):
            raise ConfigError(f"dataset imbalance fractions must lie in [0, 1]; got {list(self.imbalance)!r}")

    @property
    def option_dict(self) -> dict[str, Any]:
        return dict(self.options)

    def replace(self, **changes: Any) -> DatasetSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["options"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options}
        d["imbalance"] = None if self.imbalance is None else list(self.imbalance)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"dataset spec has unknown key(s) {unknown}; allowed keys are {sorted(known)}")
        if "name" not in data:
            raise ConfigError("dataset spec needs a 'name'")
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Tensors of one dataset split.

    Attributes:
        inputs: ``(N, *input_shape)`` float32.
        targets: ``(N,)`` int64 class labels, or ``(N, C)`` float32 one-hot rows (option ``targets='onehot'``, for MSE).
        num_classes: number of classes C.
        spec: the spec that produced these tensors.
        poisoned: ``(N,)`` bool, True on rows appended with a deliberately wrong label (``spec.poison``).
        noisy: ``(N,)`` bool, True on appended random-noise inputs with random labels (``spec.noise``).
        provenance: transformations applied after :func:`make_dataset` by the standalone functions
            (``subset``, ``poison``, ``imbalance``, ``add_noise_inputs``), which the spec does not record.
    """

    inputs: Any
    targets: Any
    num_classes: int
    spec: DatasetSpec
    poisoned: Any = None
    noisy: Any = None
    provenance: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.targets):
            raise ConfigError(
                f"dataset {self.spec.name!r}: inputs have {len(self.inputs)} rows but targets {len(self.targets)}"
            )
        for mask_name in ("poisoned", "noisy"):
            mask = getattr(self, mask_name)
            if mask is None:
                import torch

                object.__setattr__(self, mask_name, torch.zeros(len(self.inputs), dtype=torch.bool))
            elif len(mask) != len(self.inputs):
                raise ConfigError(
                    f"dataset {self.spec.name!r}: {mask_name} mask has {len(mask)} rows but inputs {len(self.inputs)}"
                )
        object.__setattr__(self, "provenance", tuple(self.provenance))

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.inputs.shape[1:])

    @property
    def labels(self) -> Any:
        """``(N,)`` int64 class labels, also when ``targets`` are one-hot rows."""
        return self.targets if self.targets.ndim == 1 else self.targets.argmax(dim=1)

    @property
    def clean(self) -> Any:
        """``(N,)`` bool mask of rows that are neither poisoned nor noise inputs."""
        return ~(self.poisoned | self.noisy)

    def describe(self) -> str:
        """One-line summary for the CLI, e.g. ``fashion-mnist/train: 2000 x (1, 28, 28), 10 classes, seed 0``."""
        spec = self.spec
        parts = [
            f"{spec.name}/{spec.split}: {len(self)} x {self.input_shape}",
            f"{self.num_classes} classes",
            f"seed {spec.seed}",
        ]
        n_poison, n_noise = int(self.poisoned.sum()), int(self.noisy.sum())
        if n_poison:
            parts.append(f"{n_poison} poisoned")
        if n_noise:
            parts.append(f"{n_noise} noise inputs")
        if spec.imbalance is not None:
            parts.append("imbalance " + "/".join(f"{f:g}" for f in spec.imbalance))
        if self.targets.ndim == 2:
            parts.append("one-hot targets")
        if spec.options:
            parts.append(", ".join(f"{k}={v}" for k, v in spec.options))
        parts.extend(self.provenance)
        return ", ".join(parts)
