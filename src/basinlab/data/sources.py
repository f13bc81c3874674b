"""Per-dataset options and loading of one full split (``RawSplit``), plus the documented normalisation.

Normalisation (``normalize`` option of image datasets; the same transform for train and test):
  * ``'unit'`` (default): pixels divided by 255 (digits: by 16), so inputs lie in [0, 1].
  * ``'standard'``: then per channel ``(x - mean_c) / std_c`` with mean and std of the channel over the
    WHOLE training split (independent of size and seed, so nesting is unaffected).
Swiss roll and modular addition are not rescaled (see :mod:`basinlab.data.generated`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, describe_choices
from ..usercode import is_reference
from .cifar import read_cifar10
from .generated import digits, modular_addition, swiss_roll
from .idx import read_idx
from .locate import locate
from .raw import RawSplit, feature_moments
from .svhn import read_svhn

__all__ = ["OPTION_DEFAULTS", "resolve_options", "load_raw", "normaliser", "split_moments", "dataset_info"]

_IMAGE = {"normalize": "unit"}
OPTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "swiss-roll": {"n_total": 2000, "n_test": None, "noise_std": 0.03, "turns": 1.5, "split_seed": None},
    "modular": {"modulus": 97, "train_fraction": 0.3, "split_seed": None},
    "digits": {"train_fraction": 0.8, "split_seed": None, **_IMAGE},
    "fashion-mnist": dict(_IMAGE),
    "mnist": dict(_IMAGE),
    "cifar10": dict(_IMAGE),
    "svhn": dict(_IMAGE),
}
_COMMON = {"targets": "index"}


def _int(low: int, none_ok: bool = False) -> Callable[[Any], bool]:
    return lambda v: (none_ok and v is None) or (isinstance(v, int) and not isinstance(v, bool) and v >= low)


def _real(low: float, high: float = math.inf, open_low: bool = True, open_high: bool = False):
    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        return (v > low if open_low else v >= low) and (v < high if open_high else v <= high)

    return check


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "n_total": (_int(2), "an integer >= 2"),
    "n_test": (_int(1, none_ok=True), "an integer >= 1 or None (= n_total)"),
    "noise_std": (_real(0.0, open_low=False), "a number >= 0"),
    "turns": (_real(0.0), "a number > 0"),
    "split_seed": (_int(-(2**63), none_ok=True), "an integer or None (= the spec's seed)"),
    "modulus": (_int(2), "an integer >= 2"),
    "train_fraction": (_real(0.0, 1.0, open_high=True), "a number in (0, 1)"),
    "normalize": (lambda v: v in ("unit", "standard"), "'unit' or 'standard'"),
    "targets": (lambda v: v in ("index", "onehot"), "'index' (int64 labels) or 'onehot' (float32 rows, for MSE)"),
}


def resolve_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` completed with ``name``'s defaults and validated; raises :class:`ConfigError`. A user's
    dataset (``module:callable``) takes any options (its keywords) besides the common ``targets``."""
    user = is_reference(name)
    defaults = {**({} if user else OPTION_DEFAULTS[name]), **_COMMON}
    if user:
        resolved = {**defaults, **options}
        check, accepted = _CHECKS["targets"]
        if not check(resolved["targets"]):
            raise ConfigError(f"dataset {name!r} option 'targets' must be {accepted}; got {resolved['targets']!r}")
        return resolved
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ConfigError(
            f"dataset {name!r} has no option(s) {unknown}; its options are {describe_choices(sorted(defaults))}"
        )
    resolved = {**defaults, **options}
    for key, value in resolved.items():
        check, accepted = _CHECKS[key]
        if not check(value):
            raise ConfigError(f"dataset {name!r} option {key!r} must be {accepted}; got {value!r}")
    return resolved


def _read_idx_split(images_path: Path, labels_path: Path) -> RawSplit:
    images = read_idx(images_path, ndim=3, shape=(None, 28, 28))
    labels = read_idx(labels_path, ndim=1)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise DataError(f"IDX files {images_path} and {labels_path} must hold unsigned bytes (type code 08)")
    if len(images) != len(labels):
        raise DataError(f"IDX files disagree: {images_path} has {len(images)} images, {labels_path} {len(labels)} labels")
    if len(labels) and labels.max() > 9:
        raise DataError(f"IDX labels file {labels_path} has label {labels.max()}; expected 0..9")
    return RawSplit(x=images.reshape(-1, 1, 28, 28), y=labels.astype(np.int64), num_classes=10, scale=255.0)


@functools.lru_cache(maxsize=4)
def _read_files(name: str, split: str, paths: tuple[Path, ...]) -> RawSplit:
    if name in ("fashion-mnist", "mnist"):
        return _read_idx_split(*paths)
    if name == "cifar10":
        x, y = read_cifar10(paths[0].parent, split)
    else:
        x, y = read_svhn(paths[0])
    return RawSplit(x=x, y=y, num_classes=10, scale=255.0)


def load_raw(
    name: str, split: str, options: dict[str, Any], seed: int, data_dir: str | Path | None = None, *,
    download: bool | None = None,
) -> RawSplit:
    """One whole split of ``name`` as stored; ``options`` as returned by :func:`resolve_options`."""
    split_seed = seed if options.get("split_seed") is None else options["split_seed"]
    if is_reference(name):
        from .user import user_split

        return user_split(name, split, options)
    if name == "swiss-roll":
        return swiss_roll(split, seed=split_seed, n_total=options["n_total"], n_test=options["n_test"],
                          noise_std=float(options["noise_std"]), turns=float(options["turns"]))
    if name == "modular":
        return modular_addition(split, seed=split_seed, modulus=options["modulus"],
                                train_fraction=float(options["train_fraction"]))
    if name == "digits":
        return digits(split, seed=split_seed, train_fraction=float(options["train_fraction"]))
    return _read_files(name, split, tuple(locate(name, split, data_dir, download=download)))


@functools.lru_cache(maxsize=4)
def split_moments(raw: RawSplit) -> tuple[np.ndarray, np.ndarray]:
    """Cached :func:`feature_moments` of a whole split: per-feature mean and second moment of unit inputs."""
    return feature_moments(raw)


def _channel_stats(raw: RawSplit) -> tuple[np.ndarray, np.ndarray]:
    mean, second = split_moments(raw)
    axes = tuple(range(1, mean.ndim))
    channel_mean, channel_second = mean.mean(axis=axes), second.mean(axis=axes)
    std = np.sqrt(np.maximum(channel_second - channel_mean**2, 0.0))
    return channel_mean, np.where(std > 0, std, 1.0)


def normaliser(
    name: str, options: dict[str, Any], seed: int, input_shape: tuple[int, ...],
    data_dir: str | Path | None = None, *, download: bool | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(shift, divisor)`` float32 arrays of ``input_shape`` applied after unit scaling, or None for 'unit'."""
    if options.get("normalize", "unit") == "unit":
        return None
    train = load_raw(name, "train", options, seed, data_dir, download=download)
    mean, std = _channel_stats(train)
    expand = (slice(None),) + (None,) * (len(input_shape) - 1)
    shift = np.broadcast_to(mean[expand], input_shape).astype(np.float32)
    divisor = np.broadcast_to(std[expand], input_shape).astype(np.float32)
    return shift, divisor


_FILE_SIZES = {"fashion-mnist": (60000, 10000), "mnist": (60000, 10000), "cifar10": (50000, 10000),
               "svhn": (73257, 26032)}
_FILE_SHAPES = {"fashion-mnist": (1, 28, 28), "mnist": (1, 28, 28), "cifar10": (3, 32, 32), "svhn": (3, 32, 32)}


def dataset_info(name: str, **options: Any) -> dict[str, Any]:
    """Input shape, class count and split sizes without reading any file (official sizes for file datasets; a
    user's dataset, ``module:callable``, is called).

    Returns ``{'input_shape': tuple, 'num_classes': int, 'train_size': int, 'test_size': int}``.
    """
    if name not in OPTION_DEFAULTS and not is_reference(name):
        raise ConfigError(f"dataset name {name!r} is unknown; use {describe_choices(OPTION_DEFAULTS)}")
    opts = resolve_options(name, options)
    if name in _FILE_SIZES:
        train, test = _FILE_SIZES[name]
        return {"input_shape": _FILE_SHAPES[name], "num_classes": 10, "train_size": train, "test_size": test}
    raw = {split: load_raw(name, split, opts, 0) for split in ("train", "test")}
    return {"input_shape": tuple(raw["train"].x.shape[1:]), "num_classes": raw["train"].num_classes,
            "train_size": len(raw["train"]), "test_size": len(raw["test"])}
