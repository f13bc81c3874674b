"""Your own models and datasets as ``module:callable`` (issue 13 item 1): in a spec, in ``basinlab train`` and in the
library; every mistake one line naming the field, the reference and what is accepted."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
import torch

from basinlab.errors import CheckpointError, ConfigError

MODULE = "bl_user_code_models"  # unique names: the modules stay imported for the rest of the session

SOURCE = textwrap.dedent('''
    import numpy as np
    import torch
    from torch import nn

    NOT_CALLABLE = 3
    calls = []


    def make_net(input_shape, num_classes, width=8):
        calls.append(width)
        return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(input_shape)), width), nn.ReLU(),
                             nn.Linear(width, num_classes))


    def fixed_net():  # takes neither input_shape nor num_classes: they are not passed
        return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3))


    def huge_net(input_shape, num_classes):
        return nn.Linear(100_000, 100_000)


    def not_a_module(input_shape, num_classes, **kwargs):
        return 3


    def load(split, n=90):
        rng = np.random.default_rng(0 if split == "train" else 1)
        x = rng.normal(size=(n, 2)).astype(np.float32)
        y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 1).astype(np.int64)
        return x, y


    def load_tensordataset(split):
        x, y = load(split, 40)
        return torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


    def no_split():
        return load("train")


    def text(split):
        return "not data"


    def float_labels(split):
        x, y = load(split)
        return x, y.astype(np.float32)
''')


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("usercode")
    (folder / f"{MODULE}.py").write_text(SOURCE)
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text
    return text


def test_user_model_is_built_seeded_with_its_keywords(user_module):
    from basinlab.models import ModelSpec, build_model, count_parameters, model_spec_of

    spec = ModelSpec(kind=f"{MODULE}:make_net", input_shape=(2,), num_classes=3, hidden=(), options={"width": 5})
    a, b, c = build_model(spec, seed=0), build_model(spec, seed=0), build_model(spec, seed=1)
    assert count_parameters(a) == 2 * 5 + 5 + 5 * 3 + 3
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[1].weight, c[1].weight)
    assert model_spec_of(a) == spec
    fixed = build_model(ModelSpec(kind=f"{MODULE}:fixed_net", input_shape=(2,), num_classes=3, hidden=()), seed=0)
    assert count_parameters(fixed) == 2 * 3 + 3 + 3 * 3 + 3


@pytest.mark.parametrize(("kind", "words"), [
    ("bl_no_such_module_xyz:make_net", ["model.kind", "'bl_no_such_module_xyz' is not found", "accepted:"]),
    (f"{MODULE}:missing", ["model.kind", "has no attribute 'missing'", "accepted:"]),
    (f"{MODULE}:NOT_CALLABLE", ["model.kind", "'NOT_CALLABLE' is a int, not callable", "accepted:"]),
    (f"{MODULE}:not_a_module", ["model.kind", "returned a int", "torch.nn.Module"]),
    (f"{MODULE}:make_net.x.y", ["model.kind", "accepted:"]),
])
def test_user_model_errors_are_one_line(user_module, kind, words):
    from basinlab.models import ModelSpec, build_model

    with pytest.raises(ConfigError) as exc:
        build_model(ModelSpec(kind=kind, input_shape=(2,), num_classes=3, hidden=()), seed=0)
    text = _one_line(exc.value)
    assert all(w in text for w in words), text


def test_malformed_reference_is_refused_by_the_spec():
    from basinlab.models import ModelSpec

    with pytest.raises(ConfigError, match=r"model kind 'my models:make' is not of the form module:callable"):
        ModelSpec(kind="my models:make", input_shape=(2,), num_classes=3)


def test_resource_guard_applies_to_user_models(user_module, monkeypatch):
    from basinlab.models import ModelSpec, build_model

    monkeypatch.setenv("BASINLAB_MAX_MEMORY", "1G")
    with pytest.raises(ConfigError) as exc:  # 10^10 parameters: refused on the meta device, nothing allocated
        build_model(ModelSpec(kind=f"{MODULE}:huge_net", input_shape=(2,), num_classes=3, hidden=()), seed=0)
    text = _one_line(exc.value)
    assert "10,000,100,000 parameters" in text and "(1 GB)" in text, text


def test_user_dataset_gets_nesting_poison_and_onehot(user_module):
    from basinlab.data import DatasetSpec, dataset_info, load_dataset, make_dataset

    name = f"{MODULE}:load"
    small, large = make_dataset(DatasetSpec(name, size=20, seed=3)), make_dataset(DatasetSpec(name, size=50, seed=3))
    assert torch.equal(large.inputs[:20], small.inputs) and torch.equal(large.targets[:20], small.targets)
    assert small.num_classes == 3 and small.inputs.dtype == torch.float32 and small.input_shape == (2,)
    poisoned = make_dataset(DatasetSpec(name, size=20, seed=3, poison=5))
    assert int(poisoned.poisoned.sum()) == 5 and torch.equal(poisoned.inputs[:20], small.inputs)
    onehot = load_dataset(name, split="test", targets="onehot", n=30)  # n: a keyword of the user's function
    assert onehot.targets.shape == (30, 3)
    assert dataset_info(name) == {"input_shape": (2,), "num_classes": 3, "train_size": 90, "test_size": 90}
    assert len(make_dataset(DatasetSpec(f"{MODULE}:load_tensordataset"))) == 40


@pytest.mark.parametrize(("name", "words"), [
    ("bl_no_such_module_xyz:load", ["dataset.name", "is not found", "accepted:"]),
    (f"{MODULE}:nope", ["dataset.name", "has no attribute 'nope'"]),
    (f"{MODULE}:no_split", ["dataset.name", "does not take a split keyword"]),
    (f"{MODULE}:text", ["dataset.name", "returned str", "accepted:"]),
    (f"{MODULE}:float_labels", ["dataset.name", "integer class labels"]),
])
def test_user_dataset_errors_are_one_line(user_module, name, words):
    from basinlab.data import DatasetSpec, make_dataset

    with pytest.raises(ConfigError) as exc:
        make_dataset(DatasetSpec(name))
    text = _one_line(exc.value)
    assert all(w in text for w in words), text


def test_checkpoint_of_a_user_model_needs_its_code_named(user_module, tmp_path):
    from basinlab.models import ModelSpec, build_model
    from basinlab.train import load_checkpoint, save_checkpoint

    kind = f"{MODULE}:make_net"
    model = build_model(ModelSpec(kind=kind, input_shape=(2,), num_classes=3, hidden=(), options={"width": 4}), seed=2)
    save_checkpoint(tmp_path / "net", model, {})
    with pytest.raises(CheckpointError, match=f"pass --model {kind}"):
        load_checkpoint(tmp_path / "net")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "net", factory=f"{MODULE}:fixed_net")
    loaded, _ = load_checkpoint(tmp_path / "net", factory=kind)
    assert all(torch.equal(p, q) for p, q in zip(loaded.parameters(), model.parameters(), strict=True))


SPEC = f"""
name = "mine"
[dataset]
name = "{MODULE}:load"
sizes = [30, 60]
options = {{ n = 80 }}
[model]
kind = "{MODULE}:make_net"
options = {{ width = 6 }}
[train]
lr = 0.02
batch_size = 0
epochs = 15
[volume]
directions = 3
thresholds = [0.5]
"""


def test_spec_with_user_model_and_dataset_runs(user_module, tmp_path):
    from basinlab.experiments import read_table, run_experiment
    from basinlab.rundir import read_manifest

    summary = run_experiment(SPEC, tmp_path / "run", threads=1)  # --threads: [resources] num_cpus for this run
    assert summary.ok, summary.counts
    assert read_manifest(tmp_path / "run")["spec"]["num_cpus"] == 1
    models, volumes = read_table(tmp_path / "run", "models"), read_table(tmp_path / "run", "volumes")
    assert sorted(models["train_size"]) == [30, 60] and set(models["n_params"]) == {2 * 6 + 6 + 6 * 3 + 3}
    assert len(volumes) == 3 and volumes["log_volume"].notna().all()  # own landscapes: 30 in 30; 30, 60 in 60


@pytest.mark.parametrize(("change", "words"), [
    (("{MODULE}:load", "bl_no_such_module_xyz:load"), ["dataset.name", "is not found"]),
    (("{MODULE}:make_net", "{MODULE}:not_a_module"), ["model.kind", "returned a int"]),
    (("options = {{ width = 6 }}", "hidden = [4]"), ["model.hidden", "not used by your own model"]),
    (("sizes = [30, 60]", "sizes = [30, 600]"), ["dataset.sizes", "600 examples asked"]),
])
def test_bad_user_spec_is_one_error_line_from_validate(user_module, tmp_path, capsys, change, words):
    from basinlab.cli.app import main

    old, new = (part.replace("{MODULE}", MODULE).replace("{{", "{").replace("}}", "}") for part in change)
    assert old in SPEC
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace(old, new))
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(path)])
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and err.startswith("error:") and "\n" not in err, err
    assert all(w in err for w in words), err


def test_cli_train_then_volume_and_measure_a_user_model(user_module, tmp_path, capsys):
    from basinlab.cli.app import main

    def run(*argv: str) -> int:
        with pytest.raises(SystemExit) as exit_:
            main(list(argv))
        return exit_.value.code

    assert run("train", "--dataset", f"{MODULE}:load", "--model", f"{MODULE}:make_net", "--size", "40",
               "--epochs", "5", "--batch-size", "full", "--out", str(tmp_path), "--quiet") == 0
    assert "checkpoint:" in capsys.readouterr().out
    ckpt = str(tmp_path / "model")
    assert run("volume", ckpt, "--directions", "2", "--quiet") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"pass --model {MODULE}:make_net" in err
    assert run("volume", ckpt, "--directions", "2", "--model", f"{MODULE}:make_net", "--json", "-", "--quiet") == 0
    assert '"n_params": 51' in capsys.readouterr().out
    assert run("volume", ckpt, "--directions", "2", "--model", f"{MODULE}:make_net", "--landscape",
               f"{MODULE}:load:20,40", "--json", "-", "--quiet") == 0  # DATASET:SIZES with DATASET = module:callable
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sorted({r["landscape_size"] for r in rows}) == [20, 40]
    assert run("measure", ckpt, "--measures", "norms", "--model", f"{MODULE}:make_net", "--json", "-",
               "--quiet") == 0
    assert '"norm_frobenius"' in capsys.readouterr().out
