"""Turn a ``VolumeResult`` into rows of the ``volumes`` and ``radii`` tables (docs/run-directory.md).

Summaries (log-volume, bootstrap CI with ``numpy.default_rng(0)``, quantiles, top share) are the engine's own
(:meth:`basinlab.volume.VolumeResult.summary`); this module only adds the model, epoch and landscape labels.
"""

from __future__ import annotations

from typing import Any

from ..rundir import SCHEMAS

__all__ = ["volume_rows"]

# columns taken from the engine's frames (any further columns the engine adds are not stored)
_VOLUME_COLS = [c for c, _ in SCHEMAS["volumes"] if c not in ("model_id", "epoch", "landscape", "seconds")]
_RADII_COLS = [c for c, _ in SCHEMAS["radii"] if c not in ("model_id", "epoch", "landscape")]


def volume_rows(result: Any, labels: dict[int, list[str]], model_id: str, epoch: int,
                seconds: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for every (landscape label, threshold); ``labels`` maps a landscape prefix size to its labels."""
    summary = result.summary()[_VOLUME_COLS]
    frame = result.to_frame()[_RADII_COLS]
    volumes, radii = [], []
    for row in summary.to_dict("records"):
        for label in labels[int(row["landscape_size"])]:
            volumes.append({"model_id": model_id, "epoch": int(epoch), "landscape": label, **_plain(row),
                            "seconds": float(seconds)})
    for row in frame.to_dict("records"):
        for label in labels[int(row["landscape_size"])]:
            radii.append({"model_id": model_id, "epoch": int(epoch), "landscape": label, **_plain(row)})
    return volumes, radii


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars -> Python scalars."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
