"""``RawSplit``: one dataset split as stored (e.g. uint8 pixels) plus how to turn rows into float32 inputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RawSplit", "feature_moments"]


@dataclass(frozen=True, eq=False)
class RawSplit:
    """A full split before subsetting.

    Attributes:
        x: ``(N, *input_shape)`` stored values (uint8 pixels or float32 features), read-only.
        y: ``(N,)`` int64 labels in ``[0, num_classes)``.
        num_classes: number of classes.
        scale: stored value that maps to 1.0 (255 for 8-bit images, 16 for digits, 1 for generated data).
    """

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        for arr in (self.x, self.y):
            arr.flags.writeable = False

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def unit(self, index: np.ndarray | slice) -> np.ndarray:
        """Rows ``index`` as float32 divided by ``scale`` (images in [0, 1])."""
        rows = self.x[index].astype(np.float32)
        if self.scale != 1.0:
            rows /= np.float32(self.scale)
        return rows


def feature_moments(raw: RawSplit, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and second moment (float64, shape = input shape) of ``raw.unit`` over the whole split."""
    total = np.zeros(raw.x.shape[1:], dtype=np.float64)
    total_sq = np.zeros(raw.x.shape[1:], dtype=np.float64)
    for start in range(0, len(raw), chunk):
        rows = raw.unit(slice(start, start + chunk)).astype(np.float64)
        total += rows.sum(axis=0)
        total_sq += np.square(rows).sum(axis=0)
    n = max(len(raw), 1)
    return total / n, total_sq / n
