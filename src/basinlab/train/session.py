"""Train one model from specs and save it as checkpoints: the one path shared by ``basinlab train`` and the
runner's training task."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

    from ..data import Dataset, DatasetSpec
    from ..models import ModelSpec
    from .config import TrainConfig
    from .loop import TrainResult
    from .progress import ProgressCallback

__all__ = ["TrainedModel", "train_to_checkpoint", "train_model"]


@dataclass
class TrainedModel:
    """What :func:`train_to_checkpoint` made: the trained model, its data, the training result, the checkpoint
    files written (relative to ``root``) and the wall time in seconds."""

    model: nn.Module
    model_spec: ModelSpec
    data: Dataset
    test: Dataset | None
    result: TrainResult
    path: Path
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


def train_to_checkpoint(
    data_spec: DatasetSpec, model: Callable[[Dataset], ModelSpec], config: TrainConfig, root: str | Path, name: str,
    *, model_seed: int, test_spec: DatasetSpec | None = None, data_dir: str | Path | None = None,
    device: str | None = None, meta: Mapping[str, Any] | None = None, final_epoch: int | None = None,
    record_history: bool = True, progress: ProgressCallback | None = None,
) -> TrainedModel:
    """Build the data of ``data_spec`` (and ``test_spec``), the model ``model(data)`` seeded by ``model_seed``, train
    it with ``config`` and save ``root/name`` (plus ``root/name@<epoch>`` at ``config.checkpoint_epochs``).

    Every checkpoint records ``model_spec``, ``train_config``, ``model_seed``, ``n_params``, ``meta``, its ``epoch`` and its
    ``metrics`` (without wall time). The final one's epoch is ``final_epoch`` (default: epochs run); with
    ``record_history`` it also holds the per-epoch ``history`` and ``stopped_early``.
    """
    import time

    from ..data import make_dataset
    from ..models import build_model, count_parameters
    from .checkpoint import save_checkpoint
    from .loop import train

    start = time.perf_counter()
    root = Path(root)
    data = make_dataset(data_spec, data_dir=data_dir)
    test = make_dataset(test_spec, data_dir=data_dir) if test_spec is not None else None
    spec = model(data)
    net = build_model(spec, seed=model_seed)
    base = {"model_spec": spec.to_dict(), "train_config": config.to_dict(), "model_seed": model_seed,
            "n_params": count_parameters(net), **(meta or {})}
    files: list[str] = []

    def save(path_name: str, epoch: int, metrics: Mapping[str, Any], **extra: Any) -> Path:
        clean = {k: v for k, v in metrics.items() if k != "seconds"}
        path = save_checkpoint(root / path_name, net, {**base, "epoch": epoch, "metrics": clean, **extra})
        files.extend([f"{path_name}.safetensors", f"{path_name}.json"])
        return path

    def on_checkpoint(epoch: int, _model: Any, metrics: dict[str, Any]) -> None:
        save(f"{name}@{epoch}", epoch, metrics)

    result = train(net, data, config, test=test, device=device, progress=progress or False,
                   on_checkpoint=on_checkpoint if config.checkpoint_epochs else None)
    extra = {"history": result.history, "stopped_early": result.stopped_early} if record_history else {}
    path = save(name, result.epochs_run if final_epoch is None else final_epoch, result.final, **extra)
    return TrainedModel(net, spec, data, test, result, path, files, time.perf_counter() - start)


def train_model(
    dataset: str, config: TrainConfig, root: str | Path, name: str = "model", *, size: int | float | None = None,
    data_seed: int = 0, poison: int = 0, model: str = "auto", hidden: tuple[int, ...] | None = None,
    width: int | None = None, dropout: float = 0.0, test: bool = True, data_dir: str | Path | None = None,
    device: str | None = None, progress: ProgressCallback | None = None,
    on_model: Callable[[Dataset, ModelSpec], None] | None = None,
) -> TrainedModel:
    """Train one model of ``model`` (a preset, ``'auto'`` or ``'module:callable'``: :func:`basinlab.models.model_spec_for`)
    on ``size`` examples of ``dataset`` (nested subset seeded by ``data_seed``, plus ``poison`` wrongly labelled ones)
    with ``config``, seeded by ``config.seed``; save ``root/name`` (:func:`train_to_checkpoint`), evaluating on the
    test split unless ``test`` is False. What ``basinlab train`` does; ``on_model(data, spec)`` hears the data and
    the model spec before training starts.
    """
    from ..data import DatasetSpec
    from ..models import model_spec_for

    options = {"targets": "onehot"} if config.loss == "mse" else {}  # measuring rebuilds the same one-hot targets
    spec = DatasetSpec(name=dataset, split="train", size=size, seed=data_seed, poison=poison, options=options)
    test_spec = DatasetSpec(name=dataset, split="test", seed=data_seed, options=options) if test else None

    def model_spec(data: Dataset) -> ModelSpec:
        found = model_spec_for(model, data.input_shape, data.num_classes, dataset=dataset, width=width,
                               hidden=hidden, dropout=dropout)
        if on_model is not None:
            on_model(data, found)
        return found

    return train_to_checkpoint(spec, model_spec, config, root, name, model_seed=config.seed, test_spec=test_spec,
                               data_dir=data_dir, device=device, progress=progress,
                               meta={"dataset_spec": spec, "test_dataset_spec": test_spec})
