"""Checkpoints: ``<path>.safetensors`` (weights) + ``<path>.json`` (metadata). Nothing is ever unpickled.

The JSON holds the caller's metadata (model spec, dataset spec, train config, metrics, ...), the basinlab and
torch versions, the name/shape/dtype of every tensor and the SHA-256 of the weights file. Loading checks the
hash and every tensor name and shape before building anything.

Models built by :func:`basinlab.models.build_model` are rebuilt from ``metadata['model_spec']`` by
:func:`load_checkpoint`. For your own ``nn.Module``: rebuild it yourself, then ``load_weights(path, model)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import CheckpointError, ConfigError
from ..models import ModelSpec, build_model, model_spec_of
from ..rundir import atomic_path, atomic_write_text

__all__ = ["save_checkpoint", "load_checkpoint", "load_weights", "read_metadata", "checkpoint_paths"]

FORMAT = "basinlab-checkpoint"
FORMAT_VERSION = 1
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt")


def checkpoint_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """``(weights, metadata)`` paths for ``path`` given with or without ``.safetensors`` / ``.json``."""
    p = Path(path)
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, model: nn.Module, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model``'s state dict and ``metadata`` atomically (temp file + rename); returns the weights path.

    ``metadata`` values may be dataclasses/specs (stored via ``to_dict``). ``model_spec`` is filled in from a
    model built by ``build_model`` when absent. The JSON is written after the weights, so a complete pair on disk
    means both files are whole.
    """
    from safetensors.torch import save_file

    from .. import __version__

    weights, meta_path = checkpoint_paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    meta = _jsonable(dict(metadata or {}))
    if "model_spec" not in meta and model_spec_of(model) is not None:
        meta["model_spec"] = model_spec_of(model).to_dict()
    try:
        json.dumps(meta)
    except TypeError as exc:
        raise ConfigError(f"checkpoint metadata must be JSON-serialisable: {exc}") from exc
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(weights) as tmp:  # same mode as every other file (0644 under umask 022)
        save_file(state, tmp, metadata={"format": FORMAT})
    record = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "weights_file": weights.name,
        "weights_sha256": _sha256(weights),
        "tensors": {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                    for k, v in state.items()},
        "versions": {"basinlab": __version__, "torch": torch.__version__},
        "metadata": meta,
    }
    text = json.dumps(record, indent=1, sort_keys=True)
    atomic_write_text(meta_path, text)
    return weights


def _refuse_pickle(path: Path) -> None:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{path} looks like a pickled PyTorch file; basinlab never unpickles (it can run arbitrary code). "
            f"Load it yourself if you trust it, then save_checkpoint(...) to get a .safetensors + .json pair"
        )


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The full JSON record of a checkpoint (``record['metadata']`` is what was passed to save_checkpoint)."""
    _refuse_pickle(Path(path))
    weights, meta_path = checkpoint_paths(path)
    if not meta_path.is_file():
        raise CheckpointError(f"checkpoint metadata {meta_path} does not exist; a checkpoint is a pair "
                              f"<name>.safetensors + <name>.json written by save_checkpoint")
    try:
        record = json.loads(meta_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint metadata {meta_path} is not valid JSON (truncated?): {exc}") from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path} is not a basinlab checkpoint (no format={FORMAT!r})")
    if record.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{meta_path} has checkpoint format version {record.get('format_version')!r}; "
                              f"this basinlab reads version {FORMAT_VERSION}")
    _check_record(record, meta_path)
    return record


def _check_record(record: dict[str, Any], meta_path: Path) -> None:
    """The JSON's fields have the types basinlab reads (a hand-edited or foreign file fails here, by field)."""
    def bad(field: str, expected: str, value: Any) -> CheckpointError:
        return CheckpointError(f"checkpoint metadata {meta_path}: field {field!r} must be {expected}; "
                               f"got {type(value).__name__} {value!r:.60}; re-create the checkpoint")

    if not isinstance(record.get("weights_sha256"), str):
        raise bad("weights_sha256", "a SHA-256 hex string", record.get("weights_sha256"))
    tensors = record.get("tensors", {})
    if not isinstance(tensors, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("shape"), list) for v in tensors.values()):
        raise bad("tensors", "a table of name -> {shape: [...], dtype: ...}", tensors)
    meta = record.get("metadata", {})
    if not isinstance(meta, dict):
        raise bad("metadata", "a table", meta)
    for key in ("model_spec", "dataset_spec", "test_dataset_spec", "train_config"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise bad(f"metadata.{key}", "a table", meta[key])
    for key in ("dataset_spec", "test_dataset_spec"):
        options = (meta.get(key) or {}).get("options")
        if options is not None and not isinstance(options, dict):
            raise bad(f"metadata.{key}.options", "a table", options)


def _read_state(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    record = read_metadata(path)
    weights, _ = checkpoint_paths(path)
    if not weights.is_file():
        raise CheckpointError(f"checkpoint weights {weights} do not exist")
    with open(weights, "rb") as f:
        head = f.read(2)
    if head[:1] == b"\x80" or head == b"PK":
        raise CheckpointError(f"{weights} holds a pickle / torch.save archive, not safetensors; refusing to load")
    digest = _sha256(weights)
    if digest != record.get("weights_sha256"):
        raise CheckpointError(f"checkpoint weights {weights} do not match the SHA-256 in its metadata "
                              f"(truncated or modified after saving); re-create the checkpoint")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint weights {weights} cannot be read as safetensors: {exc}") from exc
    expected = {k: tuple(v["shape"]) for k, v in record.get("tensors", {}).items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        raise CheckpointError(f"checkpoint {weights} tensors {found} differ from its metadata {expected}")
    return state, record


def _load_into(model: nn.Module, state: dict[str, torch.Tensor], where: Path) -> None:
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if own != found:
        missing, extra = sorted(set(own) - set(found)), sorted(set(found) - set(own))
        wrong = sorted(k for k in set(own) & set(found) if own[k] != found[k])
        raise CheckpointError(f"checkpoint {where} does not fit the model: missing {missing}, unexpected {extra}, "
                              f"shape differs for {wrong}")
    model.load_state_dict(state, strict=True)


def load_weights(path: str | os.PathLike, model: nn.Module, *, device: Any = None) -> dict[str, Any]:
    """Load a checkpoint's weights into your own ``model`` (every name and shape must match); returns metadata."""
    from ..runtime import resolve_device

    state, record = _read_state(path)
    _load_into(model, state, checkpoint_paths(path)[0])
    model.to(resolve_device(device))
    return record["metadata"]


def load_checkpoint(path: str | os.PathLike, *, device: Any = None,
                    factory: str | None = None) -> tuple[nn.Module, dict[str, Any]]:
    """``(model in eval mode, metadata)``; the model is rebuilt from ``metadata['model_spec']``.

    A model of your own (``kind = 'module:callable'``) is rebuilt by importing and calling that code only when
    ``factory`` names the same ``module:callable``: a file never makes basinlab run code you did not name.
    """
    from ..runtime import resolve_device

    state, record = _read_state(path)
    meta = record["metadata"]
    if "model_spec" not in meta:
        raise CheckpointError(f"checkpoint {checkpoint_paths(path)[1]} has no model_spec (a custom module?); "
                              f"rebuild the module yourself and call load_weights(path, model)")
    try:
        spec = ModelSpec.from_dict(meta["model_spec"])
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {checkpoint_paths(path)[1]} has an invalid model_spec: {exc}") from exc
    if spec.user and factory != spec.kind:
        raise CheckpointError(f"checkpoint {checkpoint_paths(path)[1]} holds a model made by your code {spec.kind!r}; "
                              f"basinlab runs code a file names only when you name it too: pass --model {spec.kind} "
                              f"(load_checkpoint(..., factory={spec.kind!r}))")
    model = build_model(spec, seed=0)
    _load_into(model, state, checkpoint_paths(path)[0])
    model.to(resolve_device(device)).eval()
    return model, meta
