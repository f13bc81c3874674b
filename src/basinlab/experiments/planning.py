"""Spec -> task graph: train tasks, then volume (and other-measure) tasks on every trained model.

A task id is the sha256 of the canonical JSON of the task's inputs plus basinlab's ``major.minor`` version
(first 20 hex digits), so the same spec always plans the same ids and a rerun finds its finished work.
A train task's id is the model id used in ``checkpoints/<model_id>[@<epoch>]``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ConfigError
from .spec import ExperimentSpec

__all__ = ["Task", "Plan", "plan", "task_id", "canonical_json", "TRAIN_FN", "VOLUME_FN", "MEASURES_FN"]

TRAIN_FN = "basinlab.experiments.tasks:train_task"
VOLUME_FN = "basinlab.experiments.tasks:volume_task"
MEASURES_FN = "basinlab.experiments.tasks:measures_task"
ID_LENGTH = 20


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the byte string that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _version() -> str:
    from .. import __version__

    return ".".join(__version__.split(".")[:2])


def task_id(kind: str, inputs: dict[str, Any]) -> str:
    """Content hash of a task's inputs (``ID_LENGTH`` hex digits of sha256)."""
    blob = canonical_json({"kind": kind, "inputs": inputs, "basinlab": _version()})
    return hashlib.sha256(blob.encode()).hexdigest()[:ID_LENGTH]


@dataclass(frozen=True)
class Task:
    """One unit of work. ``inputs`` are hashed into ``task_id``; ``context`` (labels, data_dir) is not.

    ``fn`` is ``'module:function'``; the function is called as ``fn(inputs, context, run_dir)`` and returns a
    dict of table name -> list of row dicts.
    """

    task_id: str
    kind: str
    fn: str
    inputs_json: str
    context_json: str
    deps: tuple[str, ...] = ()
    num_cpus: int | None = None   # torch threads (and Ray CPUs); None: the executor's share of the cores
    num_gpus: float = 0.0
    label: str = ""

    @property
    def inputs(self) -> dict[str, Any]:
        return json.loads(self.inputs_json)

    @property
    def context(self) -> dict[str, Any]:
        return json.loads(self.context_json)

    @classmethod
    def make(cls, kind: str, fn: str, inputs: dict[str, Any], context: dict[str, Any] | None = None,
             deps: tuple[str, ...] = (), num_cpus: int | None = None, num_gpus: float = 0.0, label: str = "") -> Task:
        return cls(task_id(kind, inputs), kind, fn, canonical_json(inputs), canonical_json(context or {}),
                   tuple(deps), num_cpus, num_gpus, label)


@dataclass
class Plan:
    """Tasks in dependency order (every task after the tasks it depends on)."""

    tasks: list[Task] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(Counter(t.kind for t in self.tasks))

    def by_id(self) -> dict[str, Task]:
        return {t.task_id: t for t in self.tasks}

    def dependants(self, tid: str) -> set[str]:
        """Every task that depends on ``tid``, directly or not."""
        out: set[str] = set()
        for t in self.tasks:  # dependency order: one pass suffices
            if tid in t.deps or out.intersection(t.deps):
                out.add(t.task_id)
        return out


def _data_spec(spec: ExperimentSpec, size: Any, seed: int, poison: int = 0, split: str = "train",
               imbalance: Any = None) -> dict[str, Any]:
    """A ``DatasetSpec.to_dict()``-shaped dict."""
    return {"name": spec.dataset, "split": split, "size": size, "seed": seed, "poison": poison,
            "imbalance": None if imbalance is None else list(imbalance), "noise": 0,
            "options": {k: v for k, v in spec.dataset_options}}


def _landscapes(spec: ExperimentSpec, size: Any, seed: int, poison: int) -> list[dict[str, Any]]:
    """Landscapes for one model: [{'kind': 'train'|'own'|<extra label>, 'data': dataset dict}]."""
    choice = spec.volume.landscapes
    if choice == "own":
        sizes = [s for s in spec.sizes if s is None or size is None or s <= size] if size is not None else list(spec.sizes)
    elif choice == "all":
        sizes = list(spec.sizes)
    else:
        sizes = list(choice)
    out = [{"kind": "train", "data": _data_spec(spec, s, seed, imbalance=spec.imbalance)} for s in sizes]
    if poison > 0 and choice == "own":
        out.append({"kind": "own", "data": _data_spec(spec, size, seed, poison, imbalance=spec.imbalance)})
    for extra in spec.volume.extra_landscapes:
        out.append({"kind": extra.label, "data": _data_spec(spec, extra.size, seed, extra.poison, extra.split)})
    return out


def _validate_measures(table: dict[str, Any]) -> None:
    """The ``[measures]`` table is checked by ``basinlab.measures`` itself (it names the bad key)."""
    from ..measures import validate_measure_settings

    validate_measure_settings(None, table)


def plan(spec: ExperimentSpec) -> Plan:
    """Expand a spec into its task graph (deterministic: the same spec gives the same ids in the same order)."""
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    vol = spec.volume
    settings = {"thresholds": list(vol.thresholds), "directions": vol.directions, "rtol": vol.rtol,
                "filter_normalize": vol.filter_normalize, "max_coefficient": vol.max_coefficient,
                "seed": vol.seed, "batch_directions": vol.batch_directions}
    if vol.normalization is not None:  # only when set, so the task ids of specs without it stay as they were
        settings["normalization"] = vol.normalization
    if vol.direction_draw != "explicit":  # likewise only when not the default
        settings["direction_draw"] = vol.direction_draw
    if vol.accuracy_thresholds:  # likewise only when set
        settings["accuracy_thresholds"] = list(vol.accuracy_thresholds)
    measures = {k: v for k, v in spec.measures}
    if measures:
        _validate_measures(measures)
    model = asdict(spec.model)
    model["options"] = dict(spec.model.options)
    model["hidden"] = list(spec.model.hidden)
    test = _data_spec(spec, spec.test_size, 0, split="test") if spec.dataset else None
    for model_seed, data_seed in spec.seed_pairs:
        for size in spec.sizes:
            for poison in spec.poison:
                for variant in spec.variants:
                    config = {**variant.config_dict, "seed": model_seed}
                    data = _data_spec(spec, size, data_seed, poison, imbalance=spec.imbalance)
                    inputs = {"data": data, "test": {**test, "seed": data_seed}, "model": model,
                              "train": config, "model_seed": model_seed}
                    context = {"experiment": spec.name, "variant": variant.name, "data_dir": spec.data_dir}
                    label = f"{variant.name} size={size} poison={poison} seeds=({model_seed},{data_seed})"
                    train = Task.make("train", TRAIN_FN, inputs, context, (), spec.num_cpus, spec.num_gpus, label)
                    if train.task_id in seen:
                        raise ConfigError(f"train.variants: variants {seen[train.task_id]!r} and {variant.name!r} "
                                          "have identical settings; make them differ or drop one")
                    seen[train.task_id] = variant.name
                    tasks.append(train)
                    checkpoints = list(config.get("checkpoint_epochs", ()))
                    epochs = {"final": [-1], "checkpoints": checkpoints, "all": checkpoints + [-1]}[vol.epochs]
                    if vol.epochs != "final" and not checkpoints:
                        raise ConfigError(f"volume.epochs: {vol.epochs!r} needs train.checkpoint_epochs "
                                          f"(variant {variant.name!r} has none); use 'final' or add checkpoint epochs")
                    loss = config.get("loss", "cross_entropy")
                    for epoch in epochs:
                        common = {"model_id": train.task_id, "epoch": epoch, "loss": loss}
                        ctx = {"data_dir": spec.data_dir}
                        if spec.model.user:  # the spec names the user's model code: its tasks may rebuild it
                            ctx["factory"] = spec.model.kind
                        if vol.enabled:
                            v_inputs = {**common, "landscapes": _landscapes(spec, size, data_seed, poison),
                                        "settings": settings}
                            tasks.append(Task.make("volume", VOLUME_FN, v_inputs, ctx, (train.task_id,),
                                                   spec.num_cpus, spec.num_gpus, f"volume {label} epoch={epoch}"))
                        if measures:
                            m_inputs = {**common, "data": data, "settings": measures}
                            tasks.append(Task.make("measures", MEASURES_FN, m_inputs, ctx, (train.task_id,),
                                                   spec.num_cpus, spec.num_gpus, f"measures {label} epoch={epoch}"))
    return Plan(tasks)
