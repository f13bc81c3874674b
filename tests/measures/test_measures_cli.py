"""``basinlab measure CHECKPOINT`` and the runner entry point ``run_measures`` on a real (tiny) digits model."""

from __future__ import annotations

import json
import math

import pytest
import torch

from basinlab.errors import ConfigError


@pytest.fixture(scope="module")
def digits_checkpoint(tmp_path_factory):
    from measures_testlib import fit

    from basinlab.data import DatasetSpec, make_dataset
    from basinlab.models import ModelSpec, build_model
    from basinlab.train import save_checkpoint

    spec = DatasetSpec("digits", size=150, seed=0)
    data = make_dataset(spec)
    model = build_model(ModelSpec("mlp", data.input_shape, data.num_classes, hidden=(16,)), seed=0)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    fit(model, data.inputs, data.targets, steps=150, lr=0.01)
    root = tmp_path_factory.mktemp("ck")
    save_checkpoint(root / "digits", model, {"dataset_spec": spec, "train_config": {"loss": "cross_entropy"}})
    init_model = build_model(ModelSpec("mlp", data.input_shape, data.num_classes, hidden=(16,)), seed=0)
    init_model.load_state_dict(init)
    save_checkpoint(root / "digits@0", init_model, {"dataset_spec": spec})
    return root, model, data


def test_cli_prints_every_requested_measure(digits_checkpoint):
    from typer.testing import CliRunner

    from basinlab.cli.app import app

    root, _, _ = digits_checkpoint
    out = root / "rows.json"
    result = CliRunner().invoke(app, [
        "measure", str(root / "digits"), "--measures", "norms,noise,function_space", "--init", str(root / "digits@0"),
        "--set", "noise.draws=3", "--set", "function_space.directions=2", "--set", "test_examples=100",
        "--seed", "3", "--threads", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("norm_frobenius", "norm_path", "dist_init", "noise", "function_space", "digits:150"):
        assert name in result.output
    rows = json.loads(out.read_text())
    assert {r["measure"] for r in rows} == {"norm_frobenius", "norm_spectral", "norm_path", "dist_init", "noise",
                                            "function_space"}
    assert all(json.loads(r["settings"])["seed"] == 3 for r in rows)


def test_cli_bad_setting_is_a_one_line_error(digits_checkpoint):
    from basinlab.cli.app import main

    root, _, _ = digits_checkpoint
    with pytest.raises(SystemExit) as exc:
        main(["measure", str(root / "digits"), "--measures", "sam", "--set", "sam.radius=1"])
    assert exc.value.code == 2
    from basinlab.measures.checkpoint import parse_landscape, parse_setting

    with pytest.raises(ConfigError, match="MEASURE.KEY=VALUE"):
        parse_setting("rho", {})
    assert parse_landscape("fashion-mnist:2000") == ("fashion-mnist", 2000)
    assert parse_landscape("digits") == ("digits", None)


def test_run_measures_reads_names_and_seed_from_the_table(digits_checkpoint):
    from basinlab.measures import run_measures

    _, model, data = digits_checkpoint
    table = {"names": ["noise", "function_space"], "seed": 2, "test_examples": 80,
             "noise": {"draws": 3}, "function_space": {"directions": 2}}
    rows = run_measures(model, data, table, loss="cross_entropy", landscape="train:150")
    assert [r["measure"] for r in rows] == ["noise", "function_space"]
    assert all(r["landscape"] == "train:150" and math.isfinite(r["value"]) for r in rows)
    again = run_measures(model, data, table, loss="cross_entropy", landscape="train:150")
    assert rows == again
    with pytest.raises(ConfigError, match="measures.seed must be an integer"):
        run_measures(model, data, {**table, "seed": "x"})


def test_mse_labels_become_one_hot_rows(digits_checkpoint):
    from basinlab.measures import compute_measures

    _, model, data = digits_checkpoint
    one_hot = torch.nn.functional.one_hot(data.targets, 10).float()
    a = compute_measures(model, data, None, ["noise"], {"noise": {"draws": 2}}, seed=0, loss="mse")
    b = compute_measures(model, (data.inputs, one_hot), None, ["noise"], {"noise": {"draws": 2}}, seed=0)
    assert a[0]["value"] == b[0]["value"] and a[0]["value"] != 0


def test_volume_command_takes_a_normalization_and_records_it(digits_checkpoint):
    from typer.testing import CliRunner

    from basinlab.cli.app import app
    from basinlab.volume import VolumeResult

    root, _, _ = digits_checkpoint
    out = root / "elementwise.volume.safetensors"
    result = CliRunner().invoke(app, ["volume", str(root / "digits"), "--directions", "4", "--normalization",
                                      "elementwise", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert VolumeResult.load(out).normalization == "elementwise"
    bad = CliRunner().invoke(app, ["volume", str(root / "digits"), "--directions", "4", "--normalization", "filter"])
    assert bad.exit_code != 0 and "normalization 'filter' is unknown" in str(bad.exception)


def test_nan_weights_give_nan_with_a_reason_never_a_number(digits_checkpoint, tmp_path):
    from typer.testing import CliRunner

    from basinlab.cli.app import app
    from basinlab.measures.compute import NONFINITE_REASON
    from basinlab.train import save_checkpoint

    root, model, data = digits_checkpoint
    import copy

    broken = copy.deepcopy(model)
    with torch.no_grad():
        next(broken.parameters())[0, 0] = float("nan")
    save_checkpoint(tmp_path / "nan", broken, {"dataset_spec": data.spec, "train_config": {"loss": "cross_entropy"}})
    out = tmp_path / "rows.json"
    result = CliRunner().invoke(app, ["measure", str(tmp_path / "nan"), "--measures", "pac_bayes,function_space,norms,"
                                      "hessian_top", "--set", "function_space.directions=2", "--json", str(out)],
                                terminal_width=250)
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())  # strict JSON: NaN written as null
    assert rows and all(r["value"] is None and r["reason"] == NONFINITE_REASON for r in rows)
    assert "not finite" in result.output and "nan" in result.output


def test_train_name_may_not_leave_the_output_folder(tmp_path, capsys):
    from basinlab.cli.app import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "--dataset", "swiss-roll", "--size", "20", "--epochs", "1", "--out", str(tmp_path / "out"),
              "--name", "../../escaped"])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and err.startswith("error: --name: '../../escaped' may contain only")
    assert not (tmp_path / "escaped.safetensors").exists() and not list(tmp_path.rglob("*.safetensors"))


def test_set_takes_comma_separated_lists():
    from basinlab.measures.checkpoint import parse_setting
    from basinlab.measures.compute import validate_measure_settings

    settings: dict = {}
    for text in ("reparam_factors=100,0.01", "sam.rho=0.1", "examples=2000"):
        parse_setting(text, settings)
    assert settings == {"reparam_factors": [100, 0.01], "sam": {"rho": 0.1}, "examples": 2000}
    assert validate_measure_settings("norms", settings) == ["norms"]  # was refused: "must be of type list"


def test_one_landscape_grammar_in_volume_and_measure_and_json_on_stdout(digits_checkpoint, capsys):
    from basinlab.cli.app import main
    from basinlab.volume import VolumeResult

    root, _, _ = digits_checkpoint

    def run(argv):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        out = capsys.readouterr()
        assert exc.value.code == 0, out.err
        return out.out, out.err

    # several nested sizes in measure (each on its own), a fraction in volume: both used to be refused
    out, err = run(["measure", str(root / "digits"), "--measures", "norms", "--landscape", "digits:60,120",
                    "--json", "-", "--threads", "1"])
    rows = json.loads(out)
    assert sorted({r["landscape"] for r in rows}) == ["digits:120", "digits:60"]
    assert "measures: 2/2 measures (100%)" in err               # one progress line per measure, on stderr
    out, err = run(["volume", str(root / "digits"), "--landscape", "digits:0.05,10%", "--threshold", "0.5,1",
                    "--threshold", "2", "--directions", "4", "--json", "-", "--out", str(root / "v.safetensors")])
    found = json.loads(out)
    n = len(__import__("basinlab").data.load_dataset("digits"))
    sizes = [max(1, math.floor(f * n + 0.5)) for f in (0.05, 0.1)]
    assert sorted({(r["landscape_size"], r["threshold"]) for r in found["rows"]}) == sorted(
        (s, t) for s in sizes for t in (0.5, 1.0, 2.0))
    assert "volume: 4/4 directions (100%)" in err
    assert VolumeResult.load(root / "v.safetensors").landscapes.tolist() == sizes
    _, err = run(["volume", str(root / "digits"), "--directions", "2", "--quiet", "--out", str(root / "q.safetensors")])
    assert err == ""
