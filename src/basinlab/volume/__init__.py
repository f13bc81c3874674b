"""Monte Carlo basin volume: random filter-normalised directions, first-crossing radii, volume estimates.

Public names: :func:`measure_volume`, :func:`random_direction`, :class:`VolumeResult`; the paper's dense-grid
method for comparison is :func:`basinlab.volume.reference.reference_radii`.
"""

from __future__ import annotations

from .directions import direction_seed, random_direction
from .engine import measure_volume
from .result import VolumeResult

__all__ = ["measure_volume", "random_direction", "VolumeResult", "direction_seed"]
