"""``basinlab volume --direction-draw`` reaches the engine and bad values are one-line errors naming the flag (the
spec's ``[volume] direction_draw``: tests/experiments/test_experiments_spec.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def digits_40(tmp_path_factory):
    """An MLP 64-16-10 checkpoint trained briefly on 40 digits (fewer rows than inputs)."""
    import torch

    from basinlab.data import DatasetSpec, make_dataset
    from basinlab.models import ModelSpec, build_model
    from basinlab.train import save_checkpoint

    spec = DatasetSpec("digits", size=40, seed=0)
    data = make_dataset(spec)
    model = build_model(ModelSpec("mlp", data.input_shape, data.num_classes, hidden=(16,)), seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    for _ in range(150):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(data.inputs), data.targets).backward()
        opt.step()
    root = tmp_path_factory.mktemp("ck")
    save_checkpoint(root / "digits", model, {"dataset_spec": spec, "train_config": {"loss": "cross_entropy"}})
    return root


def test_cli_direction_draw(digits_40):
    from typer.testing import CliRunner

    from basinlab.cli.app import app
    from basinlab.volume import VolumeResult

    out = digits_40 / "rowspace.volume.safetensors"
    run = CliRunner().invoke(app, ["volume", str(digits_40 / "digits"), "--directions", "4", "--direction-draw",
                                   "rowspace", "--out", str(out)])
    assert run.exit_code == 0, run.output
    result = VolumeResult.load(out)
    assert result.direction_draw == "rowspace" and (result.radii > 0).all()
    bad = CliRunner().invoke(app, ["volume", str(digits_40 / "digits"), "--directions", "4", "--direction-draw", "fast"])
    assert bad.exit_code != 0 and "--direction-draw 'fast' is unknown; use 'explicit' or 'rowspace'" in str(bad.exception)
    wide = CliRunner().invoke(app, ["volume", str(digits_40 / "digits"), "--directions", "4", "--direction-draw",
                                    "rowspace", "--landscape", "digits:100", "--out", str(digits_40 / "w.safetensors")])
    assert wide.exit_code != 0 and "got 100 rows and 64 inputs" in str(wide.exception)
