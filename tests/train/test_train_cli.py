"""``basinlab train`` end to end on small generated data (the real CLI path through basinlab.data)."""

from __future__ import annotations

import json

import pytest
import torch

from basinlab.cli.app import main
from basinlab.data import make_dataset
from basinlab.data.dataset import DatasetSpec
from basinlab.train import TrainConfig, evaluate, load_checkpoint


def run(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_swiss_roll_smoke_run(tmp_path, capsys):
    code, out, err = run(["train", "--dataset", "swiss-roll", "--size", "120", "--epochs", "3", "--batch-size",
                          "32", "--checkpoint-epochs", "0,2", "--seed", "4", "--threads", "1",
                          "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "trained 3 epochs" in out and f"checkpoint: {tmp_path / 'model.safetensors'}" in out
    assert "swiss-roll/train: 120" in err           # progress and notes go to stderr
    assert {p.name for p in tmp_path.iterdir()} == {f"model{s}.{e}" for s in ("", "@0", "@2")
                                                    for e in ("json", "safetensors")}
    model, meta = load_checkpoint(tmp_path / "model")
    assert TrainConfig.from_dict(meta["train_config"]) == TrainConfig(
        epochs=3, batch_size=32, checkpoint_epochs=(0, 2), seed=4)
    assert meta["model_spec"]["hidden"] == [32] * 5 and len(meta["history"]) == 3
    spec = DatasetSpec.from_dict(meta["dataset_spec"])
    assert spec == DatasetSpec("swiss-roll", size=120)
    data = make_dataset(spec)
    loss, acc = evaluate(model, data.inputs, data.targets, "cross_entropy")
    assert loss == pytest.approx(meta["metrics"]["train_loss"], rel=1e-6)
    assert acc == meta["metrics"]["train_acc"]


def test_modular_mse_with_width_and_progress_bar(tmp_path, capsys):
    code, out, err = run(["train", "--dataset", "modular", "--size", "300", "--loss", "mse", "--width", "16",
                          "--epochs", "2", "--batch-size", "full", "--optimizer", "sgd", "--lr", "0.1",
                          "--out", str(tmp_path), "--name", "grok"], capsys)
    assert code == 0, err
    meta = json.loads((tmp_path / "grok.json").read_text())["metadata"]
    assert meta["model_spec"]["hidden"] == [16] and meta["train_config"]["batch_size"] is None
    assert meta["dataset_spec"]["options"] == {"targets": "onehot"}    # mse targets are one-hot rows
    assert meta["n_params"] == 194 * 16 + 16 + 16 * 97 + 97
    assert "epochs" in err                            # the rich bar was drawn on stderr


def test_digits_cnn(tmp_path, capsys):
    code, out, err = run(["train", "--dataset", "digits", "--size", "0.1", "--model", "cnn", "--hidden", "4,8",
                          "--epochs", "1", "--no-progress", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    model, meta = load_checkpoint(tmp_path / "model.json")
    assert model(torch.zeros(1, 1, 8, 8)).shape == (1, 10)


@pytest.mark.parametrize("args, match", [
    (["--dataset", "cifar100"], "dataset name 'cifar100' is unknown"),
    (["--dataset", "digits", "--size", "5000"], "dataset size 5000 is larger than"),
    (["--dataset", "digits", "--size", "lots"], "--size 'lots' is not a count"),
    (["--dataset", "digits", "--optimizer", "adam"], "--optimizer 'adam' is invalid; use 'adamw' or 'sgd'"),
    (["--dataset", "digits", "--batch-size", "-3"], "--batch-size -3 is invalid"),
    (["--dataset", "digits", "--asam"], "--asam (ASAM) needs --sam-rho > 0"),
    (["--dataset", "digits", "--model", "resnet"], "model preset 'resnet' is unknown"),
    (["--dataset", "digits", "--poison", "-1"], "poison must be a non-negative integer"),
])
def test_bad_inputs_exit_2_with_a_clear_message(tmp_path, capsys, args, match):
    code, _, err = run(["train", *args, "--epochs", "1", "--no-progress", "--out", str(tmp_path)], capsys)
    assert code == 2
    assert err.startswith("error: ")
    assert match in err
