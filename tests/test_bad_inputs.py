"""The bad-input corpus (issue 12): every input path a new user can get wrong — specs, options of every command,
checkpoints, data folders, output paths, OS-level failures — ends in exactly one stderr line ``error: ...`` that
names the offending field, file or value, exit code 2, no traceback, and nothing left behind.

Cases are data: ``(id, argv, expected text in the error)``. ``{w}`` in an argument is the shared world folder
(specs, checkpoints, a run directory); ``{s}`` a fresh scratch folder per case, where outputs are pointed. The
CLI runs in-process (``basinlab.cli.app.main``) so the whole corpus takes seconds; a few cases run the real
entry point in a subprocess. No case trains or measures: each error comes before work starts.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# ---------------------------------------------------------------------------------------------------------------
# the world: one spec, broken specs, a checkpoint and broken checkpoints, a run directory

TINY = """
name = "tiny"
[dataset]
name = "swiss-roll"
options = { n_total = 300 }
sizes = [20, 40]
[model]
hidden = [4]
[train]
lr = 0.01
batch_size = 20
epochs = 2
[volume]
directions = 2
thresholds = [0.3]
"""

# broken specs: (id, replace this, with this) applied to TINY, or full text when the first item is None
SPEC_EDITS = [
    ("no-name", 'name = "tiny"\n', "", "name: required key is missing"),
    ("name-dotdot", 'name = "tiny"', 'name = ".."', "name: '..'"),
    ("name-dot", 'name = "tiny"', 'name = "."', "name: '.'"),
    ("name-slash", 'name = "tiny"', 'name = "a/b"', "name: 'a/b'"),
    ("name-hidden", 'name = "tiny"', 'name = ".x"', "name: '.x'"),
    ("name-int", 'name = "tiny"', "name = 3", "name: expected a non-empty string"),
    ("name-empty", 'name = "tiny"', 'name = ""', "name"),
    ("unknown-top-key", 'name = "tiny"', 'name = "tiny"\nbogus = 1', "bogus: unknown key"),
    ("dataset-unknown", 'name = "swiss-roll"', 'name = "imagenet"', "dataset.name: 'imagenet'"),
    ("dataset-missing", "[dataset]\nname = \"swiss-roll\"\n", "[dataset]\n", "dataset.name: required key"),
    ("dataset-option-unknown", "n_total = 300", "n_total = 300, bogus = 2", "bogus"),
    ("dataset-options-not-table", "options = { n_total = 300 }", "options = 5", "dataset.options"),
    ("sizes-zero", "sizes = [20, 40]", "sizes = [0, 40]", "dataset.sizes[0]"),
    ("sizes-negative", "sizes = [20, 40]", "sizes = [-5]", "dataset.sizes[0]"),
    ("sizes-fraction-big", "sizes = [20, 40]", "sizes = [1.5]", "dataset.sizes[0]"),
    ("sizes-mixed", "sizes = [20, 40]", "sizes = [20, 0.5]", "dataset.sizes"),
    ("sizes-duplicate", "sizes = [20, 40]", "sizes = [20, 20]", "duplicate"),
    ("sizes-empty", "sizes = [20, 40]", "sizes = []", "dataset.sizes"),
    ("sizes-string", "sizes = [20, 40]", 'sizes = "all"', "dataset.sizes"),
    ("sizes-too-big", "sizes = [20, 40]", "sizes = [1000000000000]", "dataset.sizes"),
    ("sizes-over-n-total", "sizes = [20, 40]", "sizes = [500]", "dataset.sizes"),
    ("sizes-logspace-short", "sizes = [20, 40]", "sizes = { logspace = [10, 20] }", "logspace"),
    ("data-dir-missing", "sizes = [20, 40]", 'sizes = [20, 40]\ndata_dir = "/nonexistent-basinlab"',
     "/nonexistent-basinlab"),
    ("test-size-zero", "sizes = [20, 40]", "sizes = [20, 40]\ntest_size = 0", "dataset.test_size"),
    ("imbalance-big", "sizes = [20, 40]", "sizes = [20, 40]\nimbalance = [2.0]", "dataset.imbalance[0]"),
    ("seeds-not-int", "[model]", "[seeds]\nmodel = [\"a\"]\n[model]", "seeds.model[0]"),
    ("seeds-pairing", "[model]", "[seeds]\npairing = \"cross\"\n[model]", "seeds.pairing"),
    ("seeds-zip-lengths", "[model]", "[seeds]\nmodel = [0, 1]\ndata = [0]\npairing = \"zip\"\n[model]",
     "seeds.pairing"),
    ("model-kind", "hidden = [4]", 'hidden = [4]\nkind = "transformer"', "model.kind"),
    ("model-hidden-zero", "hidden = [4]", "hidden = [0]", "model.hidden[0]"),
    ("model-hidden-string", "hidden = [4]", 'hidden = ["wide"]', "model.hidden[0]"),
    ("model-dropout", "hidden = [4]", "hidden = [4]\ndropout = 1.0", "model.dropout"),
    ("model-unknown-key", "hidden = [4]", "hidden = [4]\nlayers = 3", "model.layers"),
    ("train-optimizer", "lr = 0.01", 'lr = 0.01\noptimizer = "adam"', "train.optimizer"),
    ("train-lr-zero", "lr = 0.01", "lr = 0", "train.lr"),
    ("train-lr-negative", "lr = 0.01", "lr = -1.0", "train.lr"),
    ("train-lr-nan", "lr = 0.01", "lr = nan", "train.lr"),
    ("train-lr-inf", "lr = 0.01", "lr = inf", "train.lr"),
    ("train-lr-string", "lr = 0.01", 'lr = "fast"', "train.lr"),
    ("train-epochs-zero", "epochs = 2", "epochs = 0", "train.epochs"),
    ("train-batch-negative", "batch_size = 20", "batch_size = -1", "train.batch_size"),
    ("train-schedule", "lr = 0.01", 'lr = 0.01\nschedule = "linear"', "train.schedule"),
    ("train-loss", "lr = 0.01", 'lr = 0.01\nloss = "hinge"', "train.loss"),
    ("train-betas", "lr = 0.01", "lr = 0.01\nbetas = [0.9]", "train.betas"),
    ("train-unknown-key", "lr = 0.01", "lr = 0.01\nlearning_rate = 0.1", "train.learning_rate"),
    ("train-warmup-too-long", "epochs = 2", 'epochs = 2\nschedule = "cosine"\nwarmup_epochs = 5', "warmup_epochs"),
    ("train-checkpoint-beyond", "epochs = 2", "epochs = 2\ncheckpoint_epochs = [50]", "checkpoint_epochs"),
    ("train-variants-empty", "epochs = 2", "epochs = 2\nvariants = []", "train.variants"),
    ("train-variant-duplicate", "epochs = 2\n",
     'epochs = 2\n[[train.variants]]\nname = "a"\n[[train.variants]]\nname = "a"\n', "used twice"),
    ("train-variant-no-name", "epochs = 2\n", "epochs = 2\n[[train.variants]]\nlr = 0.1\n",
     "train.variants[0].name"),
    ("volume-directions-zero", "directions = 2", "directions = 0", "volume.directions"),
    ("volume-threshold-zero", "thresholds = [0.3]", "thresholds = [0.0]", "volume.thresholds[0]"),
    ("volume-threshold-negative", "thresholds = [0.3]", "thresholds = [-1.0]", "volume.thresholds[0]"),
    ("volume-thresholds-empty", "thresholds = [0.3]", "thresholds = []", "volume.thresholds"),
    ("volume-rtol-big", "directions = 2", "directions = 2\nrtol = 0.5", "volume.rtol"),
    ("volume-rtol-zero", "directions = 2", "directions = 2\nrtol = 0.0", "volume.rtol"),
    ("volume-seed-negative", "directions = 2", "directions = 2\nseed = -1", "volume.seed"),
    ("volume-landscapes", "directions = 2", 'directions = 2\nlandscapes = "some"', "volume.landscapes"),
    ("volume-epochs", "directions = 2", 'directions = 2\nepochs = "best"', "volume.epochs"),
    ("volume-normalization", "directions = 2", 'directions = 2\nnormalization = "l2"', "volume.normalization"),
    ("volume-unknown-key", "directions = 2", "directions = 2\nsamples = 3", "volume.samples"),
    ("volume-batch-directions", "directions = 2", "directions = 2\nbatch_directions = 0", "volume.batch_directions"),
    ("volume-max-coefficient", "directions = 2", "directions = 2\nmax_coefficient = -1.0", "volume.max_coefficient"),
    ("volume-extra-split", "thresholds = [0.3]\n",
     'thresholds = [0.3]\n[[volume.extra_landscapes]]\nlabel = "t"\nsplit = "val"\n', "split"),
    ("poison-negative", "[model]", "[poison]\namounts = [-1]\n[model]", "poison.amounts[0]"),
    ("poison-too-much", "[model]", "[poison]\namounts = [0, 290]\n[model]",
     "poison.amounts: 290 poison examples with training size 40 need 330 rows, but the swiss-roll training split has "
     "300 (size + poison must be at most 300); use amounts up to 260"),
    ("train-stop-loss-nan", "lr = 0.01", "lr = 0.01\nstop_loss = nan", "train.stop_loss: nan is invalid"),
    ("train-stop-loss-zero", "lr = 0.01", "lr = 0.01\nstop_loss = 0.0", "train.stop_loss: 0.0 is invalid"),
    ("train-eps-zero", "lr = 0.01", "lr = 0.01\neps = 0.0", "train.eps: 0.0 is invalid; use a finite number > 0"),
    ("train-momentum-inf", "lr = 0.01", "lr = 0.01\nmomentum = inf", "train.momentum: inf is invalid"),
    ("train-nesterov-adamw", "lr = 0.01", "lr = 0.01\nnesterov = true", "train.nesterov: true needs optimizer='sgd'"),
    ("train-asam-no-rho", "lr = 0.01", "lr = 0.01\nsam_adaptive = true", "train.sam_adaptive: true (ASAM) needs sam_rho"),
    ("train-variant-lr-zero", "epochs = 2\n", 'epochs = 2\n[[train.variants]]\nname = "a"\nlr = 0\n',
     "train.variants[0].lr: 0 is invalid; use a finite number > 0"),
    ("train-checkpoint-epochs-int", "lr = 0.01", "lr = 0.01\ncheckpoint_epochs = 1", "train.checkpoint_epochs: 1"),
    ("model-too-big", "hidden = [4]", "hidden = [100000, 100000]", "model.hidden: [100000, 100000] on swiss-roll has"),
    ("model-option-unknown", "hidden = [4]", "hidden = [4]\noptions = { bogus = 1 }", "bogus"),
    ("poison-and-sizes", "[model]", "[poison]\nbase_size = 10\n[model]", "poison.base_size"),
    ("measures-unknown", "[volume]", "[measures]\nnames = [\"curvature\"]\n[volume]", "curvature"),
    ("resources-cpus", "[model]", "[resources]\nnum_cpus = 0\n[model]", "resources.num_cpus"),
    ("profiles-not-table", "[model]", "[profiles]\nquick = 3\n[model]", "profiles.quick"),
    ("profile-bad-override", "[model]", "[profiles.quick.train]\nlr = -1.0\n[model]", "profiles.quick"),
    ("toml-syntax", "[model]", "[model\n", "not valid TOML"),
    ("toml-duplicate-key", "hidden = [4]", "hidden = [4]\nhidden = [8]", "not valid TOML"),
]


def _write_checkpoint(base: Path) -> None:
    from basinlab.models import ModelSpec, build_model
    from basinlab.train import save_checkpoint

    model = build_model(ModelSpec(kind="mlp", input_shape=(2,), num_classes=2, hidden=(4,)), seed=0)
    meta = {"dataset_spec": {"name": "swiss-roll", "split": "train", "size": 40, "seed": 0, "poison": 0,
                             "imbalance": None, "noise": 0, "options": {}},
            "train_config": {"loss": "cross_entropy"}}
    save_checkpoint(base / "ck" / "model", model, meta)


# checkpoint metadata edits: (id, function on the JSON record, expected text)
def _set(path: str, value):
    def edit(record):
        *head, last = path.split(".")
        target = record
        for key in head:
            target = target[key]
        target[last] = value
    return edit


def _drop(path: str):
    def edit(record):
        *head, last = path.split(".")
        target = record
        for key in head:
            target = target[key]
        del target[last]
    return edit


CKPT_EDITS = [
    ("format-missing", _drop("format"), "not a basinlab checkpoint"),
    ("format-version", _set("format_version", 99), "format version 99"),
    ("sha-missing", _drop("weights_sha256"), "weights_sha256"),
    ("sha-wrong", _set("weights_sha256", "0" * 64), "SHA-256"),
    ("tensors-int", _set("tensors", 5), "tensors"),
    ("tensors-wrong", _set("tensors", {"x": {"shape": [1], "dtype": "float32"}}), "differ from its metadata"),
    ("metadata-list", _set("metadata", []), "metadata"),
    ("model-spec-int", _set("metadata.model_spec", 3), "model_spec"),
    ("model-spec-missing", _drop("metadata.model_spec"), "model_spec"),
    ("model-kind", _set("metadata.model_spec.kind", "transformer"), "transformer"),
    ("model-hidden-string", _set("metadata.model_spec.hidden", "abc"), "hidden"),
    ("model-hidden-shape", _set("metadata.model_spec.hidden", [16]), "does not fit the model"),
    ("model-classes", _set("metadata.model_spec.num_classes", 0), "num_classes"),
    ("model-unknown-key", _set("metadata.model_spec.layers", 3), "layers"),
    ("dataset-spec-string", _set("metadata.dataset_spec", "x"), "dataset_spec"),
    ("dataset-name", _set("metadata.dataset_spec.name", "bogus"), "bogus"),
    ("dataset-size", _set("metadata.dataset_spec.size", "big"), "size"),
    ("dataset-options-int", _set("metadata.dataset_spec.options", 5), "options"),
    ("dataset-option-unknown", _set("metadata.dataset_spec.options", {"bogus": 1}), "bogus"),
    ("train-config-int", _set("metadata.train_config", 7), "train_config"),
    ("train-config-loss", _set("metadata.train_config", {"loss": "hinge"}), "hinge"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from synthetic_run import make_synthetic_run

    w = tmp_path_factory.mktemp("world")
    (w / "tiny.toml").write_text(TINY)
    for case_id, old, new, _ in SPEC_EDITS:
        assert old in TINY, case_id
        (w / f"spec-{case_id}.toml").write_text(TINY.replace(old, new, 1))
    (w / "binary.toml").write_bytes(b"\x00\xff\xfe\x80 not text")
    (w / "empty.toml").write_text("")
    (w / "a_file").write_text("")
    (w / "folder").mkdir()
    _write_checkpoint(w)
    ck = w / "ck"
    record = json.loads((ck / "model.json").read_text())
    for case_id, edit, _ in CKPT_EDITS:
        changed = json.loads(json.dumps(record))
        edit(changed)
        (ck / f"{case_id}.json").write_text(json.dumps(changed))
        shutil.copy(ck / "model.safetensors", ck / f"{case_id}.safetensors")
    weights = (ck / "model.safetensors").read_bytes()
    for name, data in (("truncated", weights[: len(weights) // 2]), ("empty", b""), ("garbage", b"\x01" * 64)):
        (ck / f"{name}.safetensors").write_bytes(data)
        shutil.copy(ck / "model.json", ck / f"{name}.json")
    (ck / "binary-json.json").write_bytes(b"\xff\xfe\x00")
    shutil.copy(ck / "model.safetensors", ck / "binary-json.safetensors")
    (ck / "broken-json.json").write_text('{"format": ')
    shutil.copy(ck / "model.safetensors", ck / "broken-json.safetensors")
    (ck / "no-json.safetensors").write_bytes(weights)
    # a pickle that would create a file if it were ever unpickled
    marker = w / "PWNED"
    payload = pickle.dumps(_Evil(str(marker)))
    for name in ("evil.pt", "evil.pth", "evil.ckpt", "evil.pkl"):
        (ck / name).write_bytes(payload)
    (ck / "evil-renamed.safetensors").write_bytes(payload)   # a pickle under the safetensors name
    shutil.copy(ck / "model.json", ck / "evil-renamed.json")
    make_synthetic_run(w / "run", extras=False, sizes=(20, 60), seeds=(0,), n_directions=8, n_inf=0)
    return w


class _Evil:
    """Unpickling this would run ``open(path, 'w')``: the test checks the file never appears."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


# ---------------------------------------------------------------------------------------------------------------
# the corpus: (id, argv, expected text)

CASES: list[tuple[str, list[str], str]] = []


def case(case_id: str, argv: str | list[str], expected: str) -> None:
    CASES.append((case_id, argv.split() if isinstance(argv, str) else argv, expected))


# every spec edit through `validate`, a few also through `run` (which must refuse them before making anything)
for _id, _old, _new, _expected in SPEC_EDITS:
    case(f"validate-{_id}", f"validate {{w}}/spec-{_id}.toml", _expected)
for _id in ("name-dotdot", "sizes-too-big", "sizes-over-n-total", "volume-rtol-big", "volume-seed-negative",
            "data-dir-missing", "train-optimizer", "measures-unknown", "poison-too-much", "train-stop-loss-nan",
            "model-too-big"):
    case(f"run-{_id}", f"run {{w}}/spec-{_id}.toml --out {{s}}/run --no-report",
         dict((i, e) for i, _, _, e in SPEC_EDITS)[_id])

# spec files themselves
case("validate-missing-file", "validate {w}/absent.toml", "absent.toml")
case("validate-folder", "validate {w}/folder", "is a folder")
case("validate-binary", "validate {w}/binary.toml", "not UTF-8")
case("validate-empty", "validate {w}/empty.toml", "name: required key")
case("validate-no-argument", "validate", "Missing argument")
case("validate-profile-unknown", "validate {w}/tiny.toml --profile nope", "profile 'nope'")
case("validate-extra-argument", "validate {w}/tiny.toml extra", "unexpected extra argument")
case("run-missing-spec", "run {w}/absent.toml --out {s}/run", "absent.toml")
case("run-binary-spec", "run {w}/binary.toml --out {s}/run", "not UTF-8")

# run / demo options
case("run-workers-zero", "run {w}/tiny.toml --out {s}/run --workers 0", "--workers")
case("run-workers-negative", "run {w}/tiny.toml --out {s}/run --workers -1", "--workers")
case("run-workers-text", "run {w}/tiny.toml --out {s}/run --workers many", "--workers")
case("run-executor", "run {w}/tiny.toml --out {s}/run --executor bogus", "bogus")
case("run-address-without-ray", "run {w}/tiny.toml --out {s}/run --address 127.0.0.1:1", "--address")
case("run-device-unknown", "run {w}/tiny.toml --out {s}/run --device tpu", "tpu")
case("run-device-cuda", "run {w}/tiny.toml --out {s}/run --device cuda:7", "cuda")
case("run-option-data-dir-missing", "run {w}/tiny.toml --out {s}/run --data-dir {w}/absent", "absent")
case("run-data-dir-file", "run {w}/tiny.toml --out {s}/run --data-dir {w}/a_file", "a_file")
case("run-out-file", "run {w}/tiny.toml --out {w}/a_file", "a_file")
case("run-out-under-file", "run {w}/tiny.toml --out {w}/a_file/run", "a_file")
case("run-out-unwritable", "run {w}/tiny.toml --out {ro}/run", "cannot write")
case("run-profile-unknown", "run {w}/tiny.toml --out {s}/run --profile nope", "profile 'nope'")
case("run-unknown-option", "run {w}/tiny.toml --out {s}/run --fast", "--fast")
case("run-no-spec", "run", "Missing argument")
case("demo-workers-zero", "demo --out {s}/run --workers 0", "--workers")
case("demo-executor", "demo --out {s}/run --executor bogus", "bogus")
case("demo-out-file", "demo --out {w}/a_file", "a_file")
case("demo-out-under-file", "demo --out {w}/a_file/x", "a_file")
case("demo-device", "demo --out {s}/run --device tpu", "tpu")

# run directories for status / table / report / claims / compare
for _cmd in ("status", "table", "report", "claims"):
    case(f"{_cmd}-missing", f"{_cmd} {{w}}/absent", "absent")
    case(f"{_cmd}-file", f"{_cmd} {{w}}/a_file", "a_file")
    case(f"{_cmd}-not-a-run", f"{_cmd} {{w}}/folder", "folder")
    case(f"{_cmd}-no-argument", _cmd, "Missing argument")
case("report-threshold-unmeasured", "report {w}/run --threshold 0.7", "--threshold")
case("report-threshold-negative", "report {w}/run --threshold -1", "--threshold")
case("report-threshold-nan", "report {w}/run --threshold nan", "--threshold")
case("report-slice-resolution", "report {w}/run --slice-resolution 1", "resolution")
case("report-slice-resolution-text", "report {w}/run --slice-resolution fine", "--slice-resolution")
case("claims-json-folder", "claims {w}/run --json {w}/folder", "folder")
case("claims-json-missing-folder", "claims {w}/run --json {w}/absent/c.json", "absent")
case("claims-json-under-file", "claims {w}/run --json {w}/a_file/c.json", "a_file")
case("claims-json-unwritable", "claims {w}/run --json {ro}/c.json", "cannot write")
case("claims-seed-text", "claims {w}/run --seed x", "--seed")
case("table-seed-text", "table {w}/run --seed x", "--seed")
case("compare-missing", "compare {w}/run {w}/absent", "absent")
case("compare-not-a-run", "compare {w}/folder {w}/run", "folder")
case("compare-one-argument", "compare {w}/run", "Missing argument")
case("compare-labels-one", "compare {w}/run {w}/run --labels a", "--labels")
case("compare-labels-same", "compare {w}/run {w}/run --labels a,a", "--labels")
case("compare-csv-folder", "compare {w}/run {w}/run --csv {w}/folder", "folder")
case("compare-csv-missing-folder", "compare {w}/run {w}/run --csv {w}/absent/c.csv", "absent")
case("compare-csv-unwritable", "compare {w}/run {w}/run --csv {ro}/c.csv", "cannot write")
case("status-json-folder", "status {w}/run --json {w}/folder", "folder")

# checkpoints through volume and measure
for _id, _, _expected in CKPT_EDITS:
    case(f"volume-ckpt-{_id}", f"volume {{w}}/ck/{_id} --directions 2 --out {{s}}/v.safetensors", _expected)
for _id, _, _expected in CKPT_EDITS[::2]:
    case(f"measure-ckpt-{_id}", f"measure {{w}}/ck/{_id} --measures norms", _expected)
for _cmd in ("volume", "measure"):
    case(f"{_cmd}-ckpt-missing", f"{_cmd} {{w}}/ck/absent", "absent.json")
    case(f"{_cmd}-ckpt-folder", f"{_cmd} {{w}}/ck", "ck.json")
    case(f"{_cmd}-ckpt-truncated", f"{_cmd} {{w}}/ck/truncated", "truncated.safetensors")
    case(f"{_cmd}-ckpt-empty-weights", f"{_cmd} {{w}}/ck/empty", "empty.safetensors")
    case(f"{_cmd}-ckpt-garbage", f"{_cmd} {{w}}/ck/garbage", "garbage.safetensors")
    case(f"{_cmd}-ckpt-binary-json", f"{_cmd} {{w}}/ck/binary-json", "binary-json.json")
    case(f"{_cmd}-ckpt-broken-json", f"{_cmd} {{w}}/ck/broken-json", "broken-json.json")
    case(f"{_cmd}-ckpt-no-json", f"{_cmd} {{w}}/ck/no-json.safetensors", "no-json.json")
    case(f"{_cmd}-ckpt-pickle-renamed", f"{_cmd} {{w}}/ck/evil-renamed.safetensors", "evil-renamed")
    for _suffix in ("pt", "pth", "ckpt", "pkl"):
        case(f"{_cmd}-pickle-{_suffix}", f"{_cmd} {{w}}/ck/evil.{_suffix}", "never unpickles")
    case(f"{_cmd}-no-argument", _cmd, "Missing argument")

VOL = "volume {w}/ck/model --directions 2 --out {s}/v.safetensors"
for _id, _extra, _expected in [
    ("directions-zero", "--directions 0", "--directions"), ("directions-text", "--directions many", "--directions"),
    ("threshold-zero", "--threshold 0", "threshold"), ("threshold-negative", "--threshold -1", "threshold"),
    ("threshold-nan", "--threshold nan", "threshold"), ("threshold-inf", "--threshold inf", "threshold"),
    ("threshold-text", "--threshold low", "--threshold"), ("rtol-zero", "--rtol 0", "rtol"),
    ("rtol-big", "--rtol 5", "rtol"), ("rtol-nan", "--rtol nan", "rtol"), ("seed-negative", "--seed -1", "seed"),
    ("data-seed-negative", "--data-seed -1", "--data-seed"), ("landscape-zero", "--landscape swiss-roll:0", "--landscape"), ("landscape-order", "--landscape swiss-roll:10,5", "--landscape"),
    ("landscape-text", "--landscape swiss-roll:abc", "--landscape"), ("landscape-dataset", "--landscape imagenet:10", "imagenet"),
    ("landscape-too-big", "--landscape swiss-roll:100000000", "100000000"),
    ("normalization", "--normalization l2", "l2"), ("device", "--device tpu", "tpu"), ("device-cuda", "--device cuda", "cuda"),
    ("data-dir-missing", "--data-dir {w}/absent", "absent"), ("data-dir-file", "--data-dir {w}/a_file", "a_file"),
    ("unknown-option", "--fast", "--fast"),
]:
    case(f"volume-{_id}", f"{VOL} {_extra}", _expected)
case("volume-out-folder", "volume {w}/ck/model --directions 2 --out {w}/folder", "folder")
case("volume-out-missing-folder", "volume {w}/ck/model --directions 2 --out {w}/absent/v.safetensors", "absent")
case("volume-out-under-file", "volume {w}/ck/model --directions 2 --out {w}/a_file/v.safetensors", "a_file")
case("volume-out-unwritable", "volume {w}/ck/model --directions 2 --out {ro}/v.safetensors", "cannot write")

MEA = "measure {w}/ck/model --measures norms"
for _id, _extra, _expected in [
    ("measures-unknown", "--measures curvature", "curvature"), ("set-no-equals", "--set bogus", "--set 'bogus'"), ("set-type", "--set sam.rho=abc", "sam.rho"),
    ("set-unknown-measure", "--set nonsense.key=1", "nonsense"), ("set-range", "--set sam.rho=-1", "sam.rho"),
    ("landscape-dataset", "--landscape imagenet", "imagenet"), ("landscape-zero", "--landscape swiss-roll:0", "--landscape"),
    ("landscape-text", "--landscape swiss-roll:abc", "--landscape"), ("threads-zero", "--threads 0", "--threads"),
    ("threads-negative", "--threads -2", "--threads"), ("seed-negative", "--seed -1", "--seed"),
    ("init-missing", "--init {w}/ck/absent", "absent"), ("init-pickle", "--init {w}/ck/evil.pt", "never unpickles"),
    ("init-mismatch", "--init {w}/ck/model-hidden-shape", "does not fit"),
    ("json-folder", "--json {w}/folder", "folder"), ("json-missing-folder", "--json {w}/absent/m.json", "absent"),
    ("json-under-file", "--json {w}/a_file/m.json", "a_file"), ("json-unwritable", "--json {ro}/m.json", "cannot write"),
    ("data-dir-missing", "--data-dir {w}/absent", "absent"), ("data-dir-file", "--data-dir {w}/a_file", "a_file"),
]:
    case(f"measure-{_id}", [*MEA.split(), *(_extra if isinstance(_extra, list) else _extra.split())], _expected)

TRAIN = "train --dataset swiss-roll --out {s}/out --size 20 --epochs 1 --no-progress"
for _id, _extra, _expected in [
    ("dataset", "--dataset imagenet", "imagenet"), ("size-text", "--size lots", "--size"),
    ("size-negative", "--size -5", "size"), ("size-zero", "--size 0", "size"), ("size-fraction", "--size 1.5", "1.5"),
    ("size-percent", "--size 200%", "size"), ("size-too-big", "--size 100000000", "100000000"),
    ("size-nan", "--size nan", "--size"), ("epochs-zero", "--epochs 0", "--epochs 0"), ("epochs-negative", "--epochs -1", "--epochs -1"),
    ("lr-zero", "--lr 0", "--lr 0.0 is invalid"), ("lr-negative", "--lr -1", "--lr -1.0 is invalid"), ("lr-nan", "--lr nan", "--lr nan"),
    ("optimizer", "--optimizer adam", "--optimizer 'adam'"), ("model", "--model resnet", "resnet"),
    ("hidden-zero", "--hidden 0", "hidden"), ("hidden-text", "--hidden a,b", "--hidden"), ("width-zero", "--width 0", "hidden"),
    ("dropout-big", "--dropout 1.5", "dropout"), ("dropout-negative", "--dropout -0.1", "dropout"),
    ("batch-negative", "--batch-size -4", "--batch-size -4"), ("batch-text", "--batch-size some", "--batch-size"),
    ("schedule", "--schedule linear", "--schedule"), ("loss", "--loss hinge", "--loss"), ("asam-without-rho", "--asam", "--asam (ASAM) needs --sam-rho > 0"),
    ("sam-rho-negative", "--sam-rho -1", "--sam-rho -1.0"), ("momentum-negative", "--momentum -1", "--momentum -1.0"),
    ("weight-decay-negative", "--weight-decay -1", "--weight-decay -1.0"), ("warmup-negative", "--warmup-epochs -1", "--warmup-epochs -1"),
    ("swa-zero", "--swa-start 0", "--swa-start 0"), ("stop-loss-negative", "--stop-loss -1", "--stop-loss -1.0"),
    ("checkpoint-epochs-text", "--checkpoint-epochs a", "--checkpoint-epochs"),
    ("checkpoint-epochs-beyond", "--checkpoint-epochs 50", "--checkpoint-epochs (50,)"),
    ("poison-negative", "--poison -1", "poison"), ("data-seed-negative", "--data-seed -1", "--data-seed"),
    ("seed-negative", "--seed -1", "--seed"), ("device", "--device tpu", "tpu"), ("device-cuda", "--device cuda", "cuda"),
    ("threads-zero", "--threads 0", "--threads"), ("threads-negative", "--threads -1", "--threads"),
    ("name-dotdot", "--name ../escaped", "--name"), ("name-slash", "--name a/b", "--name"), ("name-hidden", "--name .x", "--name"),
    ("data-dir-missing", "--data-dir {w}/absent", "absent"), ("data-dir-file", "--data-dir {w}/a_file", "a_file"),
    ("out-file", "--out {w}/a_file", "a_file"), ("out-under-file", "--out {w}/a_file/x", "a_file"),
    ("out-unwritable", "--out {ro}/x", "cannot write"), ("cnn-on-vectors", "--model cnn", "cnn"),
    ("unknown-option", "--fast", "--fast"),
]:
    case(f"train-{_id}", f"{TRAIN} {_extra}", _expected)
case("train-no-dataset", "train --out {s}/out", "--dataset")
case("train-no-out", "train --dataset swiss-roll", "--out")

# --max-memory on every command that builds models (issue 12 item 4): a bad size, and a limit the model exceeds
# (which overrides BASINLAB_MAX_MEMORY: see tests/models/test_models_size.py)
for _cmd, _argv in (("train", TRAIN), ("volume", VOL), ("measure", MEA), ("run", "run {w}/tiny.toml --out {s}/run"),
                    ("demo", "demo --out {s}/run"), ("validate", "validate {w}/tiny.toml")):
    case(f"{_cmd}-max-memory-text", f"{_argv} --max-memory lots", "--max-memory: 'lots' is not a memory size")
    case(f"{_cmd}-max-memory-zero", f"{_argv} --max-memory 0", "--max-memory: '0' is not a memory size")
    case(f"{_cmd}-max-memory-exceeded", f"{_argv} --max-memory 1K",
         "more than the --max-memory (BASINLAB_MAX_MEMORY) limit (1 KB)")
case("train-poison-too-much", f"{TRAIN} --poison 100000",
     "must be at most 2000); use at most 1980 poison examples with size 20")
case("train-stop-loss-nan", f"{TRAIN} --stop-loss nan", "--stop-loss nan is invalid")

# the command line itself
case("unknown-command", "trian", "trian")
case("unknown-global-option", "--bogus", "--bogus")
case("version-extra-argument", "version extra", "extra")


# ---------------------------------------------------------------------------------------------------------------


def _unwritable(tmp_path: Path) -> Path:
    """A folder nobody can create files in: a mode-555 folder, or (as root, who ignores modes) /sys/kernel."""
    if os.geteuid() != 0:
        ro = tmp_path / "read-only"
        ro.mkdir()
        ro.chmod(0o555)
        return ro
    return Path("/sys/kernel")


def _tree(root: Path) -> set[str]:
    """Every path under ``root`` (SQLite's -wal / -shm companions of a run's manifest included: a reader creates
    none)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _fill(arg: str, w: Path, s: Path, ro: Path) -> str:
    return arg.replace("{w}", str(w)).replace("{s}", str(s)).replace("{ro}", str(ro))


def test_corpus_has_enough_distinct_cases():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 150, len(ids)


@pytest.mark.parametrize("argv, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_clean_error(world, tmp_path, monkeypatch, capsys, argv, expected):
    from basinlab.cli.app import main

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ro = _unwritable(tmp_path)
    monkeypatch.chdir(scratch)                    # default output places (runs/<name>) land here
    monkeypatch.setenv("BASINLAB_DOWNLOAD", "0")
    before = _tree(world)
    args = [_fill(a, world, scratch, ro) for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert exc.value.code == 2, (args, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)
    assert "Traceback" not in err
    assert _fill(expected, world, scratch, ro) in lines[0], (args, lines[0])
    assert _tree(world) == before, (args, _tree(world) ^ before)      # nothing left in the inputs' folders
    assert _tree(scratch) == set(), (args, _tree(scratch))            # no run dir, no .tmp, no partial output
    assert not (world / "PWNED").exists()                             # no pickle was ever executed


@pytest.mark.parametrize("argv, expected", [
    (["validate", "{w}/spec-sizes-over-n-total.toml"], "dataset.sizes"),
    (["volume", "{w}/ck/evil.pt"], "never unpickles"),
    (["run", "{w}/tiny.toml", "--workers", "many"], "--workers"),
    (["train", "--dataset", "swiss-roll", "--out", "{w}/a_file"], "a_file"),
])
def test_real_entry_point(world, tmp_path, argv, expected):
    """The installed entry point (python -m basinlab) behaves as in-process: one line, exit 2."""
    args = [_fill(a, world, tmp_path, tmp_path) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "basinlab", *args], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "BASINLAB_DOWNLOAD": "0"}, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_to_a_full_disk_is_one_line_and_leaves_no_temporary(world, tmp_path, capsys):
    """A full disk while writing an output (/dev/full: every write fails with ENOSPC): one line, nothing left.
    The device is written directly, never replaced by a temporary file."""
    from basinlab.cli.app import main

    before = set(Path("/dev").iterdir())
    with pytest.raises(SystemExit) as exc:
        main(["claims", str(world / "run"), "--json", "/dev/full"])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert "/dev/full" in err and "No space left" in err, err
    assert set(Path("/dev").iterdir()) == before and Path("/dev/full").is_char_device()
