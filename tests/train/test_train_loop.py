"""The training loop: determinism, stopping, history, checkpoint epochs, SWA, mse accuracy, custom modules."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from basinlab.data.dataset import Dataset, DatasetSpec
from basinlab.errors import BasinlabError, ConfigError
from basinlab.models import ModelSpec, build_model, model_preset
from basinlab.train import TrainConfig, train


def small_model(seed=0, dropout=0.0):
    return build_model(ModelSpec("mlp", (4,), 3, hidden=(16, 16), dropout=dropout), seed=seed)


def weights(model):
    return [p.detach().clone() for p in model.parameters()]


def test_same_seeds_give_bit_identical_weights(make_blobs):
    data = make_blobs()
    config = TrainConfig(epochs=4, batch_size=10, seed=5, lr=0.01)
    runs = []
    for _ in range(2):
        torch.manual_seed(1234 + len(runs))  # a different global RNG state must not matter
        model = small_model(seed=1, dropout=0.2)
        train(model, data, config)
        runs.append(weights(model))
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))
    other = small_model(seed=1, dropout=0.2)
    train(other, data, config.replace(seed=6))  # other data order and dropout masks
    assert not all(torch.equal(a, b) for a, b in zip(runs[0], weights(other), strict=True))


def test_global_rng_is_left_alone(make_blobs):
    state = torch.get_rng_state()
    train(small_model(dropout=0.5), make_blobs(), TrainConfig(epochs=2, batch_size=8))
    assert torch.equal(state, torch.get_rng_state())


def test_stop_at_loss_stops_at_the_first_epoch_below(make_blobs):
    data, test = make_blobs(seed=0), make_blobs(seed=0, n=30)
    model = small_model()
    result = train(model, data, TrainConfig(epochs=300, batch_size=16, lr=0.01, stop_loss=0.05), test=test)
    assert result.stopped_early and result.epochs_run < 300
    assert [h["epoch"] for h in result.history] == list(range(1, result.epochs_run + 1))
    assert all(h["train_loss"] >= 0.05 for h in result.history[:-1])
    # an independent float64 evaluation of the returned model agrees and is below the target
    with torch.no_grad():
        loss = F.cross_entropy(model(data.inputs).double(), data.targets).item()
    assert loss < 0.05 and loss == pytest.approx(result.final["train_loss"], rel=1e-5)
    assert 0 <= result.final["test_acc"] <= 1 and not model.training
    assert result.reached_stop_loss is True


def test_missing_the_stop_loss_is_flagged_and_warned(make_blobs):
    with pytest.warns(UserWarning, match="above stop_loss=1e-06"):
        result = train(small_model(), make_blobs(), TrainConfig(epochs=2, batch_size=16, stop_loss=1e-6))
    assert result.reached_stop_loss is False and not result.stopped_early and result.epochs_run == 2


def test_eval_every_and_history(make_blobs):
    result = train(small_model(), make_blobs(), TrainConfig(epochs=5, eval_every=2, batch_size=32))
    measured = [h["epoch"] for h in result.history if not math.isnan(h["train_loss"])]
    assert measured == [2, 4, 5]                    # every 2nd epoch and always the last
    assert all(math.isnan(h["test_acc"]) for h in result.history)   # no test set given
    assert result.final["epoch"] == 5


def test_full_batch_is_one_step_per_epoch(make_blobs):
    data = make_blobs(n=20)
    steps = []
    model = small_model()
    model.register_forward_hook(lambda m, i, o: steps.append(i[0].shape[0]) if m.training else None)
    train(model, data, TrainConfig(epochs=3, batch_size=None))
    assert steps == [20, 20, 20]
    steps.clear()
    train(model, data, TrainConfig(epochs=1, batch_size=8))
    assert steps == [8, 8, 4]                       # the last batch keeps the remainder


def test_checkpoint_epochs_callback(make_blobs):
    model = small_model()
    initial = weights(model)
    seen = {}
    train(model, make_blobs(), TrainConfig(epochs=4, checkpoint_epochs=(0, 2, 4)),
          on_checkpoint=lambda e, m, metrics: seen.update({e: (weights(m), metrics)}))
    assert sorted(seen) == [0, 2, 4]
    assert all(torch.equal(a, b) for a, b in zip(seen[0][0], initial, strict=True))
    assert not math.isnan(seen[2][1]["train_loss"])
    assert all(torch.equal(a, b) for a, b in zip(seen[4][0], weights(model), strict=True))


def test_swa_final_weights_are_the_average(make_blobs):
    model = small_model()
    snaps = {}
    train(model, make_blobs(), TrainConfig(epochs=5, swa_start=3, checkpoint_epochs=(3, 4, 5), lr=0.01),
          on_checkpoint=lambda e, m, _: snaps.update({e: weights(m)}))
    for k, p in enumerate(model.parameters()):
        mean = (snaps[3][k] + snaps[4][k] + snaps[5][k]) / 3
        torch.testing.assert_close(p.detach(), mean, rtol=1e-5, atol=1e-6)


def test_mse_on_one_hot_targets_uses_argmax_accuracy(make_blobs):
    data = make_blobs()
    onehot = Dataset(data.inputs, F.one_hot(data.targets, 3).float(), 3, data.spec)
    model = small_model()
    result = train(model, onehot, TrainConfig(epochs=3, loss="mse", batch_size=16))
    with torch.no_grad():
        acc = (model(data.inputs).argmax(1) == data.targets).double().mean().item()
        mse = F.mse_loss(model(data.inputs).double(), onehot.targets.double()).item()
    assert result.final["train_acc"] == pytest.approx(acc)
    assert result.final["train_loss"] == pytest.approx(mse, rel=1e-5)


def test_int_targets_with_mse_are_one_hot_encoded(make_blobs):
    result = train(small_model(), make_blobs(), TrainConfig(epochs=2, loss="mse"))
    assert math.isfinite(result.final["train_loss"])


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(8, 3)

    def forward(self, x):
        return self.b(torch.tanh(self.a(x)))


def test_a_users_own_module_trains(make_blobs):
    torch.manual_seed(0)
    model = Custom()
    result = train(model, make_blobs(), TrainConfig(epochs=20, lr=0.01, batch_size=16))
    assert result.final["train_acc"] > 0.9


def test_cnn_trains_on_images():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(16) % 2
    x = torch.randn(16, 1, 8, 8, generator=g) + labels.view(-1, 1, 1, 1) * 2.0
    data = Dataset(x, labels, 2, DatasetSpec("mnist"))
    model = build_model(ModelSpec("cnn", (1, 8, 8), 2, hidden=(4,)), seed=0)
    result = train(model, data, TrainConfig(epochs=10, lr=0.01, batch_size=8))
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_progress_callback_gets_every_epoch(make_blobs):
    seen = []
    train(small_model(), make_blobs(), TrainConfig(epochs=3), progress=seen.append)
    assert [(s["epoch"], s["epochs"]) for s in seen] == [(1, 3), (2, 3), (3, 3)]


def test_bad_inputs(make_blobs):
    data = make_blobs()
    with pytest.raises(ConfigError, match=r"outputs shape \(5,\) per example but the dataset has 3 classes"):
        train(build_model(model_preset("mlp", (4,), 5, hidden=(4,)), seed=0), data, TrainConfig(epochs=1))
    with pytest.raises(ConfigError, match=r"cannot take inputs of shape \(4,\)"):
        train(build_model(model_preset("mlp", (7,), 3, hidden=(4,)), seed=0), data, TrainConfig(epochs=1))
    with pytest.raises(ConfigError, match="config must be a basinlab.train.TrainConfig"):
        train(small_model(), data, {"epochs": 1})
    with pytest.raises(BasinlabError, match="training data must be torch tensors or numpy arrays"):
        train(small_model(), {"inputs": data.inputs}, TrainConfig(epochs=1))
    with pytest.raises(BasinlabError, match=r"training data has labels 0\.\.2 but the model outputs 2 classes"):
        train(build_model(model_preset("mlp", (4,), 2, hidden=(4,)), seed=0), (data.inputs, data.targets),
              TrainConfig(epochs=1))
    floats = Dataset(data.inputs, data.targets.float(), 3, data.spec)
    with pytest.raises(ConfigError, match="needs \\(N,\\) integer class targets"):
        train(small_model(), floats, TrainConfig(epochs=1))
    with pytest.raises(ConfigError, match="device 'tpu'"):
        train(small_model(), data, TrainConfig(epochs=1), device="tpu")


def test_swa_recomputes_batchnorm_statistics(make_blobs):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    data = make_blobs()
    train(model, data, TrainConfig(epochs=3, swa_start=2, batch_size=16))
    # after update_bn, running stats equal the batch statistics of the (averaged) first layer's outputs
    with torch.no_grad():
        h = model[0](data.inputs)
    torch.testing.assert_close(model[1].running_mean, h.mean(0), rtol=1e-4, atol=1e-5)


def test_top_level_exports_resolve_to_the_documented_objects():
    import basinlab
    from basinlab.train import load_checkpoint, save_checkpoint

    assert basinlab.TrainConfig is TrainConfig
    assert basinlab.save_checkpoint is save_checkpoint and basinlab.load_checkpoint is load_checkpoint
