"""Pick three minima of a run (trained on ~100%, ~10%, ~1% of the largest size) and compute their loss slice.

Needs the run's checkpoints and datasets: ``basinlab.train.load_checkpoint`` and ``basinlab.data.make_dataset``.
Whatever is missing, the reason comes back as a note and the report goes on without the slice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.run import RunTables
from .slice import LossSlice, loss_slice

__all__ = ["pick_slice_models", "slice_from_run"]


def pick_slice_models(models: pd.DataFrame) -> pd.DataFrame | None:
    """Three clean models of the most common variant and first seed at sizes nearest 100%, 10%, 1% of the largest."""
    data = models[(models["poison"].fillna(0) == 0) & (models["imbalance"].fillna("").astype(str) == "")
                  & (models["checkpoint"].fillna("").astype(str) != "")]
    if data.empty:
        return None
    data = data[data["variant"] == data["variant"].value_counts().index[0]]
    data = data.sort_values(["model_seed", "data_seed"])
    first = data.iloc[0]
    data = data[(data["model_seed"] == first["model_seed"]) & (data["data_seed"] == first["data_seed"])]
    sizes = np.array(sorted(data["train_size"].unique()))
    if len(sizes) < 3:
        return None
    # largest, the middle size nearest 10% of it, and the size nearest 1% among the smaller ones
    large = int(sizes[-1])
    middle = int(min(sizes[1:-1], key=lambda s: abs(np.log(s / (0.1 * large)))))
    small = int(min(sizes[sizes < middle], key=lambda s: abs(np.log(s / (0.01 * large)))))
    chosen = [large, middle, small]
    return pd.concat([data[data["train_size"] == s].iloc[:1] for s in chosen], ignore_index=True)


def _dataset_spec(meta: dict):
    from ..data import DatasetSpec

    if isinstance(meta.get("dataset_spec"), dict):
        return DatasetSpec.from_dict(meta["dataset_spec"])
    raise KeyError(f"checkpoint metadata has no dataset spec (keys: {sorted(meta)})")


def _run_factory(run_dir: str | Path) -> str | None:
    """The run's own model code (``[model] kind = 'module:callable'`` in its spec.toml), which it may rebuild."""
    import tomllib

    from ..usercode import is_reference

    try:
        kind = tomllib.loads((Path(run_dir) / "spec.toml").read_text(encoding="utf-8")).get("model", {}).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if is_reference(kind) else None


def slice_from_run(tables: RunTables, run_dir: str | Path, *, resolution: int = 31,
                   device: str | None = None) -> tuple[LossSlice | None, str]:
    """(slice, note): the loss slice of the run's 100%/10%/1% minima in the largest and smallest landscape, its
    grid computed on ``device`` (default: cpu)."""
    rows = pick_slice_models(tables.models)
    if rows is None:
        return None, "no run with checkpoints at three clean training sizes of one seed"
    from ..data import make_dataset
    from ..train import load_checkpoint

    try:
        factory = _run_factory(run_dir)
        loaded = [load_checkpoint(Path(run_dir) / path, factory=factory) for path in rows["checkpoint"]]
        models = [m for m, _ in loaded]
        specs = [_dataset_spec(meta) for _, meta in loaded]
        data_large, data_small = make_dataset(specs[0]), make_dataset(specs[2])
        loss = str(loaded[0][1].get("train_config", {}).get("loss", "cross_entropy"))
    except Exception as exc:  # any failure of another package's loader: report and go on
        return None, f"could not load the three checkpoints or their datasets ({type(exc).__name__}: {exc})"
    sizes = [int(s) for s in rows["train_size"]]
    labels = [f"D = {s:,}" for s in sizes]
    result = loss_slice(models, data_large, data_small, resolution, labels=labels, loss=loss, device=device,
                        landscape_names=(f"landscape of {sizes[0]:,} examples", f"landscape of {sizes[2]:,} examples"))
    return result, ""
