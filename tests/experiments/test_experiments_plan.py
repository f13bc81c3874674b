"""Planner: deterministic content-hash ids, the landscape matrix, dependency order."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from basinlab.errors import ConfigError
from basinlab.experiments import canonical_json, load_spec, plan, task_id

ROOT = Path(__file__).resolve().parents[2]
SPEC = """
name = "p"
[dataset]
name = "swiss-roll"
sizes = [10, 20, 40]
[seeds]
model = [0, 1]
data = [5]
[train]
epochs = 3
[volume]
directions = 4
"""


def _ids(text: str, profile: str | None = None) -> list[str]:
    spec, _ = load_spec(text, profile=profile)
    return [t.task_id for t in plan(spec).tasks]


def test_same_spec_gives_same_ids_in_another_process():
    code = ("import sys; from basinlab.experiments import load_spec, plan; "
            "print(' '.join(t.task_id for t in plan(load_spec(sys.stdin.read())[0]).tasks))")
    out = subprocess.run([sys.executable, "-c", code], input=SPEC, capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout.split()
    assert out == _ids(SPEC)
    assert len(set(out)) == len(out) == 12


def test_task_id_is_sha256_of_canonical_inputs_and_version():
    from basinlab import __version__

    inputs = {"b": [1, 2.5], "a": {"y": None, "x": "s"}}
    blob = json.dumps({"kind": "train", "inputs": inputs, "basinlab": ".".join(__version__.split(".")[:2])},
                      sort_keys=True, separators=(",", ":"))
    assert task_id("train", inputs) == hashlib.sha256(blob.encode()).hexdigest()[:20]
    assert canonical_json({"b": 1, "a": 2}) == '{"a":2,"b":1}'


def test_ids_depend_on_inputs_but_not_on_labels():
    base = _ids(SPEC)
    assert _ids(SPEC.replace("epochs = 3", "epochs = 4"))[0] != base[0]        # train input changed
    assert _ids(SPEC.replace('name = "p"', 'name = "q"')) == base                 # experiment name is a label
    # a volume setting changes only the volume tasks
    changed = _ids(SPEC.replace("directions = 4", "directions = 5"))
    spec, _ = load_spec(SPEC)
    kinds = [t.kind for t in plan(spec).tasks]
    assert [a == b for a, b, k in zip(base, changed, kinds, strict=True)] == [k == "train" for k in kinds]


def test_own_landscapes_are_own_and_every_smaller_size():
    spec, _ = load_spec(SPEC)
    tasks = plan(spec).tasks
    vols = [t for t in tasks if t.kind == "volume"]
    sizes = [[land["data"]["size"] for land in t.inputs["landscapes"]] for t in vols]
    assert sizes == [[10], [10, 20], [10, 20, 40]] * 2
    trains = {t.task_id: t for t in tasks if t.kind == "train"}
    for v in vols:   # each volume task depends on the model it measures, which comes first
        (dep,) = v.deps
        assert v.inputs["model_id"] == dep and tasks.index(trains[dep]) < tasks.index(v)
        assert {land["data"]["seed"] for land in v.inputs["landscapes"]} == {5}


def test_all_landscapes_and_poison_own_set():
    spec, _ = load_spec(SPEC + 'landscapes = "all"\n')
    assert {len(t.inputs["landscapes"]) for t in plan(spec).tasks if t.kind == "volume"} == {3}
    text = SPEC.replace("sizes = [10, 20, 40]\n", "") + "[poison]\nbase_size = 30\namounts = [0, 3]\n"
    spec, _ = load_spec(text)
    vols = [t for t in plan(spec).tasks if t.kind == "volume"]
    kinds = [[(land["kind"], land["data"]["poison"]) for land in t.inputs["landscapes"]] for t in vols]
    assert kinds == [[("train", 0)], [("train", 0), ("own", 3)]] * 2


def test_checkpoint_epochs_give_one_volume_task_per_epoch():
    spec, _ = load_spec(SPEC.replace("epochs = 3", "epochs = 3\ncheckpoint_epochs = [1, 2]") + 'epochs = "all"\n')
    epochs = [t.inputs["epoch"] for t in plan(spec).tasks if t.kind == "volume"]
    assert epochs == [1, 2, -1] * 6
    with pytest.raises(ConfigError, match=r"volume\.epochs: 'checkpoints' needs train\.checkpoint_epochs"):
        plan(load_spec(SPEC + 'epochs = "checkpoints"\n')[0])


def test_identical_variants_are_rejected():
    text = SPEC + '[[train.variants]]\nname = "a"\n[[train.variants]]\nname = "b"\n'
    with pytest.raises(ConfigError, match="variants 'a' and 'b' have identical settings"):
        plan(load_spec(text)[0])


def test_dependants_are_transitive():
    spec, _ = load_spec(SPEC)
    p = plan(spec)
    first = p.tasks[0]
    assert p.dependants(first.task_id) == {t.task_id for t in p.tasks if first.task_id in t.deps}
