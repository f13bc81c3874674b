"""Measure a saved checkpoint: load it, rebuild its landscape and held-out data, run :func:`compute_measures`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..parse import Landscape
from ..parse import parse_landscape as _parse_landscape

if TYPE_CHECKING:
    from ..data import Dataset, DatasetSpec
    from ..volume import VolumeResult

__all__ = ["parse_landscape", "parse_setting", "landscape_specs", "landscape_data", "measure_checkpoint",
           "checkpoint_volume"]

# progress(done, total, what): called after each unit of work (a measure, a batch of directions)
Progress = Callable[[int, int, str], None]


def parse_landscape(text: str) -> tuple[str, int | float | None]:
    """``'fashion-mnist:2000'`` → ``('fashion-mnist', 2000)``; ``'digits'`` → all rows (one size only; the
    grammar is :func:`basinlab.parse.parse_landscape`)."""
    found = _parse_landscape(text)
    if len(found.sizes) != 1:
        raise ConfigError(f"--landscape {text!r}: give one size here, e.g. 'fashion-mnist:2000'")
    return found.name, found.sizes[0]


def landscape_specs(meta: Mapping[str, Any], landscape: str | Landscape | None = None, *,
                    data_seed: int | None = None, path: str | Path = "the checkpoint") -> list[DatasetSpec]:
    """The training-set specs of a checkpoint's landscapes, smallest first.

    ``landscape`` (``DATASET[:SIZE[,SIZE...]]``, see :mod:`basinlab.parse`) names a dataset and nested sizes; the
    checkpoint's own data seed and options are kept when the dataset is the one it was trained on. ``None`` is the
    checkpoint's own training set (with its poison). ``data_seed`` overrides the permutation seed.
    """
    import dataclasses

    from ..data import DatasetSpec

    own = dict(meta.get("dataset_spec") or {})
    if landscape is None:
        if not own:
            raise ConfigError(f"checkpoint {path} records no dataset; pass --landscape DATASET[:SIZE[,SIZE...]]")
        spec = DatasetSpec.from_dict(own)
        return [spec if data_seed is None else dataclasses.replace(spec, seed=data_seed)]
    found = _parse_landscape(landscape) if isinstance(landscape, str) else landscape
    same = own.get("name") == found.name
    seed = data_seed if data_seed is not None else int(own.get("seed", 0)) if same else 0
    options = own.get("options", {}) if same else {}
    return [DatasetSpec(name=found.name, size=size, seed=seed, options=options) for size in found.sizes]


def landscape_data(specs: list[DatasetSpec], data_dir: str | Path | None = None) -> tuple[Dataset, list[int]]:
    """The data of nested landscapes ``specs`` (one dataset, one permutation): the largest one's dataset and the
    row count of each (its first rows are the smaller ones)."""
    import dataclasses

    from ..data import make_dataset
    from ..parse import resolve_sizes

    if len(specs) == 1:
        data = make_dataset(specs[0], data_dir=data_dir)
        return data, [len(data)]
    if all(isinstance(s.size, int) for s in specs):
        return make_dataset(specs[-1], data_dir=data_dir), resolve_sizes([s.size for s in specs], 10**12)
    full = make_dataset(dataclasses.replace(specs[0], size=None), data_dir=data_dir)  # fractions: of the split
    return full, resolve_sizes([s.size for s in specs], len(full))


def _scalar(raw: str) -> Any:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def parse_setting(text: str, settings: dict[str, Any]) -> None:
    """Apply ``'sam.rho=0.1'`` / ``'examples=2000'`` / ``'reparam_factors=100,0.01'`` to ``settings``.

    Values: int, float, true/false or text; a comma-separated value is a list of those.
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r} must look like MEASURE.KEY=VALUE or KEY=VALUE, e.g. sam.rho=0.1")
    raw = raw.strip()
    value: Any = [_scalar(part.strip()) for part in raw.split(",")] if "," in raw else _scalar(raw)
    parts = key.strip().split(".")
    if len(parts) == 1:
        settings[parts[0]] = value
    elif len(parts) == 2:
        settings.setdefault(parts[0], {})[parts[1]] = value
    else:
        raise ConfigError(f"--set {text!r}: the key has at most one dot (MEASURE.KEY)")


def measure_checkpoint(
    path: str | Path, names: str | Iterable[str] | None = "all", *, landscape: str | Landscape | None = None,
    settings: Mapping[str, Any] | None = None, seed: int = 0, init: str | Path | None = None,
    data_dir: str | Path | None = None, device: str | None = None, progress: Progress | None = None,
    factory: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of :func:`compute_measures` for checkpoint ``path`` (each with extra ``seconds`` and ``reason`` keys;
    ``reason`` says why a value is NaN, '' otherwise).

    The landscapes are ``landscape`` (``DATASET[:SIZE[,SIZE...]]``, each size measured on its own; same data seed
    and options as the checkpoint when the dataset matches) or the checkpoint's own training set (see
    :func:`landscape_specs`); held-out data is that dataset's test split. ``init`` is an optional checkpoint of the
    initial weights (for ``dist_init`` and ``pac_bayes_kl``). ``device``: where to compute (default: cpu).
    ``factory``: the ``module:callable`` of a model of your own (see :func:`basinlab.train.load_checkpoint`).
    ``progress(done, total, measure)`` hears every finished measure.
    """
    from basinlab.data import DatasetSpec, make_dataset
    from basinlab.train import load_checkpoint

    from .compute import compute_measures, validate_measure_settings

    resolved = validate_measure_settings(names, settings)
    model, meta = load_checkpoint(path, device=device or "cpu", factory=factory)
    specs = landscape_specs(meta, landscape, path=path)
    test = None
    if {"function_space", "weakness"} & set(resolved):
        s0 = specs[0]
        test = make_dataset(DatasetSpec(name=s0.name, split="test", seed=s0.seed, options=s0.options),
                            data_dir=data_dir)
    init_state = None
    if init is not None:
        init_model, _ = load_checkpoint(init, device=device or "cpu", factory=factory)
        init_state = init_model.state_dict()
    loss = (meta.get("train_config") or {}).get("loss")
    rows, done, total = [], 0, len(resolved) * len(specs)
    for spec in specs:
        train = make_dataset(spec, data_dir=data_dir)
        label = f"{spec.name}:{len(train)}"
        for name in resolved:
            start = time.perf_counter()
            details: dict[str, Any] = {}
            out = compute_measures(model, train, test, [name], settings, seed, init_state=init_state,
                                   landscape=label, loss=loss, details=details, device=device or "cpu")
            seconds = time.perf_counter() - start
            rows.extend({**r, "seconds": seconds, "reason": str(details[r["measure"]].details.get("reason", ""))}
                        for r in out)
            done += 1
            if progress is not None:
                progress(done, total, f"{name} in {label}")
    return rows


def checkpoint_volume(
    path: str | Path, landscape: str | Landscape | None = None, *, thresholds: Iterable[float] = (0.1,),
    threshold_kind: str = "loss",
    directions: int = 500, seed: int = 0, data_seed: int | None = None, rtol: float = 1e-4,
    normalization: str | None = None, filter_normalize: bool = True, data_dir: str | Path | None = None,
    device: str | None = None, progress: Progress | None = None, factory: str | None = None,
    direction_draw: str = "explicit",
) -> VolumeResult:
    """Basin volume of checkpoint ``path`` in nested ``landscape`` s (default: its own training set), with the loss
    it was trained with; see :func:`basinlab.volume.measure_volume` for the other arguments.

    ``progress(done, total, 'directions')`` hears every finished batch of directions. ``factory``: the
    ``module:callable`` of a model of your own (see :func:`basinlab.train.load_checkpoint`).
    """
    from ..train import load_checkpoint
    from ..train.evaluate import prepare_targets
    from ..volume import measure_volume

    model, meta = load_checkpoint(path, device=device or "cpu", factory=factory)
    specs = landscape_specs(meta, landscape, data_seed=data_seed, path=path)
    data, counts = landscape_data(specs, data_dir=data_dir)
    loss = (meta.get("train_config") or {}).get("loss", "cross_entropy")
    report = None if progress is None else (lambda done, total: progress(done, total, "directions"))
    return measure_volume(
        model, data.inputs, prepare_targets(data.targets, loss, data.num_classes), thresholds=tuple(thresholds),
        threshold_kind=threshold_kind, directions=directions, seed=seed, loss=loss, filter_normalize=filter_normalize, normalization=normalization,
        rtol=rtol, landscapes=counts, device=device, progress=report or False, direction_draw=direction_draw,
    )
