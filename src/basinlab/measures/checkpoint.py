"""Measure a saved checkpoint: load it, rebuild its landscape and held-out data, run :func:`compute_measures`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["parse_landscape", "parse_setting", "measure_checkpoint"]


def parse_landscape(text: str) -> tuple[str, int | float | None]:
    """``'fashion-mnist:2000'`` → ``('fashion-mnist', 2000)``; ``'digits'`` or ``'digits:all'`` → all rows;
    ``'mnist:0.1'`` → a fraction."""
    name, _, size = text.partition(":")
    size = size.strip()
    if not name:
        raise ConfigError(f"--landscape {text!r} must look like DATASET[:SIZE], e.g. 'fashion-mnist:2000'")
    if size in ("", "all"):
        return name, None
    try:
        return name, (float(size) if "." in size else int(size))
    except ValueError:
        raise ConfigError(f"--landscape {text!r}: SIZE must be a count (2000), a fraction (0.1) or 'all'") from None


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
    path: str | Path, names: str | Iterable[str] | None = "all", *, landscape: str | None = None,
    settings: Mapping[str, Any] | None = None, seed: int = 0, init: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Rows of :func:`compute_measures` for checkpoint ``path`` (each with extra ``seconds`` and ``reason`` keys;
    ``reason`` says why a value is NaN, '' otherwise).

    The landscape is ``landscape`` (``DATASET[:SIZE]``; same data seed and options as the checkpoint when the
    dataset matches) or the checkpoint's own training set; held-out data is that dataset's test split.
    ``init`` is an optional checkpoint of the initial weights (for ``dist_init`` and ``pac_bayes_kl``).
    """
    from basinlab.data import DatasetSpec, make_dataset
    from basinlab.train import load_checkpoint

    from .compute import compute_measures, validate_measure_settings

    resolved = validate_measure_settings(names, settings)
    model, meta = load_checkpoint(path)
    own = meta.get("dataset_spec") or {}
    if landscape is None:
        if not own:
            raise ConfigError(f"checkpoint {path} records no dataset; pass --landscape DATASET:SIZE")
        spec = DatasetSpec.from_dict(own)
    else:
        name, size = parse_landscape(landscape)
        same = own.get("name") == name
        spec = DatasetSpec(name=name, size=size, seed=own.get("seed", 0) if same else 0,
                           options=own.get("options", {}) if same else {})
    train = make_dataset(spec, data_dir=data_dir)
    test = None
    if {"function_space", "weakness"} & set(resolved):
        test = make_dataset(DatasetSpec(name=spec.name, split="test", seed=spec.seed, options=spec.options),
                            data_dir=data_dir)
    init_state = None
    if init is not None:
        init_model, _ = load_checkpoint(init)
        init_state = init_model.state_dict()
    loss = (meta.get("train_config") or {}).get("loss")
    label = f"{spec.name}:{len(train)}"
    rows = []
    for name in resolved:
        start = time.perf_counter()
        details: dict[str, Any] = {}
        out = compute_measures(model, train, test, [name], settings, seed, init_state=init_state,
                               landscape=label, loss=loss, details=details)
        seconds = time.perf_counter() - start
        rows.extend({**r, "seconds": seconds, "reason": str(details[r["measure"]].details.get("reason", ""))}
                    for r in out)
    return rows
