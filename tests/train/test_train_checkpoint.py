"""Checkpoints: bit-exact round trip, metadata, and refusal of tampered, truncated and pickle files."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch
from torch import nn

from basinlab.data.dataset import DatasetSpec
from basinlab.errors import CheckpointError
from basinlab.models import ModelSpec, build_model, model_preset
from basinlab.train import TrainConfig, load_checkpoint, load_weights, read_metadata, save_checkpoint


def states_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) and sa[k].dtype == sb[k].dtype for k in sa)


@pytest.mark.parametrize("spec", [
    model_preset("mlp", (1, 28, 28), 10, dropout=0.1),
    ModelSpec("cnn", (3, 16, 16), 4, hidden=(4, 8), options={"fc": (16,)}),
])
def test_round_trip_is_bit_exact_with_metadata(tmp_path, spec):
    model = build_model(spec, seed=7)
    meta = {"dataset_spec": DatasetSpec("fashion-mnist", size=2000), "train_config": TrainConfig(sam_rho=0.05),
            "metrics": {"train_loss": 0.01}}
    path = save_checkpoint(tmp_path / "run" / "m", model, meta)
    assert path == tmp_path / "run" / "m.safetensors" and (tmp_path / "run" / "m.json").is_file()
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]
    loaded, got = load_checkpoint(tmp_path / "run" / "m.safetensors")
    assert states_equal(model, loaded) and not loaded.training
    assert ModelSpec.from_dict(got["model_spec"]) == spec
    assert DatasetSpec.from_dict(got["dataset_spec"]) == meta["dataset_spec"]
    assert TrainConfig.from_dict(got["train_config"]) == meta["train_config"]
    record = read_metadata(tmp_path / "run" / "m")
    assert record["versions"]["torch"] == torch.__version__ and len(record["weights_sha256"]) == 64
    x = torch.randn(2, *spec.input_shape)
    assert torch.equal(model.eval()(x), loaded(x))


def saved(tmp_path):
    model = build_model(model_preset("mlp-swiss", (2,), 2), seed=0)
    save_checkpoint(tmp_path / "m", model, {})
    return model, tmp_path / "m.safetensors", tmp_path / "m.json"


def test_tampered_weights_are_refused(tmp_path):
    _, weights, _ = saved(tmp_path)
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="do not match the SHA-256 in its metadata"):
        load_checkpoint(weights)


def test_truncated_weights_are_refused(tmp_path):
    _, weights, _ = saved(tmp_path)
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="truncated or modified"):
        load_checkpoint(weights)


def test_truncated_metadata_is_refused(tmp_path):
    _, weights, meta = saved(tmp_path)
    meta.write_text(meta.read_text()[:40])
    with pytest.raises(CheckpointError, match="is not valid JSON"):
        load_checkpoint(weights)


def test_missing_files(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nothing")
    _, weights, _ = saved(tmp_path)
    weights.unlink()
    with pytest.raises(CheckpointError, match=r"weights .*m\.safetensors do not exist"):
        load_checkpoint(tmp_path / "m")


class Boom:
    """Unpickling this would create a marker file: the tests check it never appears."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pt_pickle_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    torch.save({"w": torch.zeros(2), "boom": Boom(str(marker))}, tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match="pickled PyTorch file; basinlab never unpickles"):
        load_checkpoint(tmp_path / "model.pt")
    assert not marker.exists()


def test_pickle_disguised_as_safetensors_is_refused(tmp_path):
    marker = tmp_path / "unpickled"
    _, weights, meta = saved(tmp_path)
    weights.write_bytes(pickle.dumps(Boom(str(marker))))
    record = json.loads(meta.read_text())
    import hashlib

    record["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()  # a consistent forgery
    meta.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="holds a pickle"):
        load_checkpoint(weights)
    assert not marker.exists()


def test_not_a_basinlab_checkpoint(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "x.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="is not a basinlab checkpoint"):
        load_checkpoint(tmp_path / "x")


class Custom(nn.Module):
    def __init__(self, width=5):
        super().__init__()
        self.body = nn.Linear(2, width)
        self.head = nn.Linear(width, 2)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


def test_custom_module_round_trip_via_load_weights(tmp_path):
    torch.manual_seed(0)
    model = Custom()
    save_checkpoint(tmp_path / "c", model, {"note": "mine"})
    with pytest.raises(CheckpointError, match=r"has no model_spec .*load_weights\(path, model\)"):
        load_checkpoint(tmp_path / "c")
    torch.manual_seed(1)
    fresh = Custom()
    meta = load_weights(tmp_path / "c", fresh)
    assert meta == {"note": "mine"} and states_equal(model, fresh)
    with pytest.raises(CheckpointError, match=r"does not fit the model: .*shape differs for \['body.bias'"):
        load_weights(tmp_path / "c", Custom(width=6))


def test_spec_and_weights_that_disagree(tmp_path):
    _, weights, meta = saved(tmp_path)
    record = json.loads(meta.read_text())
    record["metadata"]["model_spec"]["hidden"] = [32, 32]
    meta.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="does not fit the model"):
        load_checkpoint(weights)
    assert os.path.exists(weights)


def test_checkpoint_files_get_the_same_mode_as_other_files(tmp_path):
    import os

    from basinlab.models import ModelSpec, build_model
    from basinlab.train import save_checkpoint

    model = build_model(ModelSpec("mlp", (2,), 2, hidden=(3,)), seed=0)
    path = save_checkpoint(tmp_path / "m", model, {})
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    mode = lambda p: os.stat(p).st_mode & 0o777  # noqa: E731
    assert mode(path) == mode(plain) and mode(path.with_suffix(".json")) == mode(plain)
