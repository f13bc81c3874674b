"""The task functions the planner refers to: ``fn(inputs, context, run_dir) -> {'tables': ..., 'files': ...}``.

They run inside a worker (in-process, a pool process or a Ray worker). They write only checkpoints (atomic,
``basinlab.train.save_checkpoint``) and return table rows, which the driver writes.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from .spec import Variant, train_config_kwargs
from .volume_rows import volume_rows

__all__ = ["train_task", "volume_task", "measures_task", "checkpoint_name"]


def checkpoint_name(model_id: str, epoch: int) -> str:
    """``checkpoints/<model_id>`` for the final model, ``checkpoints/<model_id>@<epoch>`` for a checkpoint."""
    return f"checkpoints/{model_id}" if epoch < 0 else f"checkpoints/{model_id}@{epoch}"


def _dataset(data: dict[str, Any], data_dir: str | None):
    from ..data import DatasetSpec, make_dataset

    return make_dataset(DatasetSpec.from_dict(data), data_dir=data_dir)


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def train_task(inputs: dict[str, Any], context: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """Train one model; save its final checkpoint (and any checkpoint epochs); rows for ``models`` and ``training``."""
    from ..data import DatasetSpec
    from ..models import ModelSpec, count_parameters, model_spec_for
    from ..train import TrainConfig, evaluate
    from ..train.evaluate import prepare_targets
    from ..train.session import train_to_checkpoint

    start = time.perf_counter()
    model_id, data_dir, root = context["task_id"], context.get("data_dir"), Path(run_dir)
    m = inputs["model"]

    def model_spec(data: Any) -> ModelSpec:  # the spec's kind, as `basinlab train --model` reads it
        return model_spec_for(m["kind"], data.input_shape, data.num_classes, hidden=tuple(m["hidden"]),
                              dropout=m["dropout"], options=dict(m["options"]))

    config = TrainConfig(**train_config_kwargs(Variant("", tuple(inputs["train"].items())), inputs["model_seed"]))
    trained = train_to_checkpoint(
        DatasetSpec.from_dict(inputs["data"]), model_spec, config, root, checkpoint_name(model_id, -1),
        model_seed=inputs["model_seed"], test_spec=DatasetSpec.from_dict(inputs["test"]) if inputs.get("test") else None,
        data_dir=data_dir, device=context.get("device"), final_epoch=-1, record_history=False,
        meta={"dataset_spec": inputs["data"], "model_id": model_id, "experiment": context.get("experiment"),
              "variant": context.get("variant")})
    model, data, result, files = trained.model, trained.data, trained.result, trained.files
    final = dict(result.final)
    clean_loss, clean_acc = final["train_loss"], final["train_acc"]
    train_size = len(data)
    if inputs["data"].get("poison", 0) or inputs["data"].get("noise", 0):
        clean = _dataset({**inputs["data"], "poison": 0, "noise": 0}, data_dir)
        train_size = len(clean)
        targets = prepare_targets(clean.targets, config.loss, clean.num_classes)
        device = next(model.parameters()).device
        clean_loss, clean_acc = evaluate(model, clean.inputs.to(device), targets.to(device), config.loss)
    d = inputs["data"]
    model_row = {
        "model_id": model_id, "experiment": context.get("experiment") or "", "variant": context.get("variant") or "",
        "dataset": d["name"], "train_size": train_size, "poison": int(d.get("poison", 0)),
        "imbalance": "" if d.get("imbalance") is None else json.dumps(d["imbalance"]),
        "model_seed": int(inputs["model_seed"]), "data_seed": int(d["seed"]), "optimizer": config.optimizer,
        "batch_size": int(config.batch_size or 0), "sam_rho": config.sam_rho, "lr": config.lr,
        "weight_decay": config.weight_decay, "epochs_run": int(result.epochs_run),
        "n_params": int(count_parameters(model)), "train_loss": _nan(final["train_loss"]),
        "train_acc": _nan(final["train_acc"]), "clean_train_loss": _nan(clean_loss), "clean_train_acc": _nan(clean_acc),
        "test_loss": _nan(final.get("test_loss")), "test_acc": _nan(final.get("test_acc")),
        "checkpoint": f"{checkpoint_name(model_id, -1)}.safetensors", "train_seconds": time.perf_counter() - start,
    }
    history = [{"model_id": model_id, "epoch": int(h["epoch"]), **{k: _nan(h.get(k)) for k in
               ("train_loss", "train_acc", "test_loss", "test_acc")}} for h in result.history
               if not math.isnan(_nan(h.get("train_loss")))]
    return {"tables": {"models": [model_row], "training": history}, "files": files}


def _load(run_dir: str, model_id: str, epoch: int, context: dict[str, Any]):
    from ..train import load_checkpoint

    return load_checkpoint(Path(run_dir) / checkpoint_name(model_id, epoch), device=context.get("device"),
                           factory=context.get("factory"))


def _landscape_groups(landscapes: list[dict[str, Any]], data_dir: str | None) -> list[tuple[Any, dict[int, list[str]]]]:
    """Group landscapes into nested families: ``[(largest dataset, {prefix size: [labels]})]``.

    Landscapes whose rows are a prefix of a larger landscape's rows are measured in one engine call.
    """
    import torch

    built = []
    for item in landscapes:
        ds = _dataset(item["data"], data_dir)
        built.append((f"{item['kind']}:{len(ds)}", ds))
    built.sort(key=lambda b: -len(b[1]))
    groups: list[tuple[Any, dict[int, list[str]]]] = []
    for label, ds in built:
        n = len(ds)
        for base, members in groups:
            if torch.equal(base.inputs[:n], ds.inputs) and torch.equal(base.targets[:n], ds.targets):
                if label not in members.setdefault(n, []):
                    members[n].append(label)
                break
        else:
            groups.append((ds, {n: [label]}))
    return groups


def volume_task(inputs: dict[str, Any], context: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """Basin volume of one model (one epoch) in each of its landscapes; rows for ``volumes`` and ``radii``."""
    from ..train.evaluate import prepare_targets
    from ..volume import measure_volume

    device = context.get("device")
    model, _ = _load(run_dir, inputs["model_id"], inputs["epoch"], context)
    s, loss = inputs["settings"], inputs["loss"]
    kwargs: dict[str, Any] = {"thresholds": tuple(s["thresholds"]), "directions": s["directions"], "seed": s["seed"],
                              "loss": loss, "filter_normalize": s["filter_normalize"], "rtol": s["rtol"],
                              "device": device}
    if s.get("normalization") is not None:
        kwargs["normalization"] = s["normalization"]
    if s.get("direction_draw") is not None:
        kwargs["direction_draw"] = s["direction_draw"]
    if s.get("max_coefficient") is not None:
        kwargs["max_coefficient"] = s["max_coefficient"]
    if s.get("batch_directions") is not None:
        kwargs["batch_directions"] = s["batch_directions"]
    volumes, radii = [], []
    for base, members in _landscape_groups(inputs["landscapes"], context.get("data_dir")):
        start = time.perf_counter()
        targets = prepare_targets(base.targets, loss, base.num_classes)
        result = measure_volume(model, base.inputs, targets, landscapes=sorted(members), **kwargs)
        v, r = volume_rows(result, members, inputs["model_id"], inputs["epoch"], time.perf_counter() - start)
        volumes += v
        radii += r
        if s.get("accuracy_thresholds"):  # the research code's accuracy-threshold volume, same engine
            start = time.perf_counter()
            result = measure_volume(model, base.inputs, targets, landscapes=sorted(members), **{
                **kwargs, "thresholds": tuple(s["accuracy_thresholds"]), "threshold_kind": "accuracy"})
            v, r = volume_rows(result, members, inputs["model_id"], inputs["epoch"], time.perf_counter() - start)
            volumes += v
            radii += r
    return {"tables": {"volumes": volumes, "radii": radii}}


def measures_task(inputs: dict[str, Any], context: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """Other landscape measures (``basinlab.measures.run_measures``) of one model in its own training landscape.

    The initial weights (distance from init, PAC-Bayes) are rebuilt from the model spec and model seed.
    """
    from ..measures import run_measures
    from ..models import ModelSpec, build_model

    data_dir = context.get("data_dir")
    model, meta = _load(run_dir, inputs["model_id"], inputs["epoch"], context)
    init = build_model(ModelSpec.from_dict(meta["model_spec"]), seed=int(meta["model_seed"]))
    data = _dataset(inputs["data"], data_dir)
    rows = run_measures(model, data, inputs["settings"], loss=inputs["loss"], landscape=f"train:{len(data)}",
                        init_state=init.state_dict(), data_dir=data_dir, device=context.get("device"))
    return {"tables": {"measures": [{"model_id": inputs["model_id"], "epoch": int(inputs["epoch"]), **row}
                                    for row in rows]}}
