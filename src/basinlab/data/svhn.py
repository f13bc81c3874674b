"""SVHN cropped digits: ``train_32x32.mat`` / ``test_32x32.mat`` (MATLAB v5 files read by scipy, no pickle)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError

__all__ = ["read_svhn", "SVHN_FILES"]

SVHN_FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}


def read_svhn(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One SVHN .mat file -> ``(images (N, 3, 32, 32) uint8, labels (N,) int64 in 0..9)``; label 10 means digit 0.

    The file holds ``X`` of shape (32, 32, 3, N) and ``y`` of shape (N, 1) with labels 1..10.
    """
    from scipy.io import loadmat

    path = Path(path)
    try:
        contents = loadmat(path, variable_names=("X", "y"))
    except FileNotFoundError as exc:
        raise DataError(f"SVHN file {path} does not exist") from exc
    except Exception as exc:  # scipy raises ValueError, MatReadError, TypeError, OSError ... on bad files
        raise DataError(f"SVHN file {path} is not a readable MATLAB file ({type(exc).__name__}: {exc})") from exc
    if "X" not in contents or "y" not in contents:
        raise DataError(f"SVHN file {path} lacks the variables 'X' and 'y'; got {sorted(k for k in contents if not k.startswith('__'))}")
    images, labels = contents["X"], np.asarray(contents["y"]).reshape(-1)
    if images.ndim != 4 or images.shape[:3] != (32, 32, 3):
        raise DataError(f"SVHN file {path}: 'X' must have shape (32, 32, 3, N); got {images.shape}")
    if len(labels) != images.shape[3]:
        raise DataError(f"SVHN file {path}: {images.shape[3]} images but {len(labels)} labels")
    if len(labels) and (labels.min() < 1 or labels.max() > 10):
        raise DataError(f"SVHN file {path}: labels must lie in 1..10; got {labels.min()}..{labels.max()}")
    images = np.ascontiguousarray(np.transpose(images, (3, 2, 0, 1))).astype(np.uint8, copy=False)
    return images, (labels.astype(np.int64) % 10)
