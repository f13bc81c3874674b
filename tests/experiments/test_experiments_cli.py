"""CLI smoke: validate, run (tiny real spec), status, errors as one line with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from basinlab.cli.app import app
from basinlab.errors import ConfigError
from basinlab.experiments import load_spec, plan, read_table, run_experiment

runner = CliRunner()


def test_validate_prints_planned_counts(tiny_spec):
    result = runner.invoke(app, ["validate", str(tiny_spec)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "12 tasks planned: 6 train, 6 volume" in result.output


def test_run_then_status(tmp_path, tiny_spec):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(tiny_spec), "--out", str(out), "--no-report"])
    assert result.exit_code == 0, result.output
    assert "12/12 tasks done" in result.output and "mean log-volume" in result.output
    assert len(read_table(out, "models")) == 6
    assert len(read_table(out, "volumes")) == 2 * (1 + 2 + 3) * 2   # seeds x landscapes x thresholds
    status = runner.invoke(app, ["status", str(out)])
    assert status.exit_code == 0, status.output
    assert "train" in status.output and "volume" in status.output
    again = runner.invoke(app, ["run", str(tiny_spec), "--out", str(out), "--no-report"])   # everything cached
    assert again.exit_code == 0 and "12/12 tasks done" in again.output


def test_bad_spec_is_one_line_error_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[dataset]\nname = "swiss-roll"\n[train]\noptimizer = "adam"\n')
    proc = subprocess.run([sys.executable, "-m", "basinlab", "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: train.optimizer: 'adam' is invalid; use 'adamw' or 'sgd'")


def test_failed_task_shows_in_status_and_exit_code(tmp_path, tiny_spec):
    # a landscape size beyond the data: its volume tasks fail, training and other tasks still finish
    spec = tiny_spec.read_text().replace("thresholds = [0.3, 0.6]", "thresholds = [0.3]\nlandscapes = [20, 100000]")
    path = tmp_path / "fail.toml"
    path.write_text(spec)
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--no-report"])
    assert result.exit_code == 1, result.output
    assert "6 failed" in result.output
    status = runner.invoke(app, ["status", str(out)])
    assert "failed volume" in status.output and "100000" in status.output
    assert len(read_table(out, "models")) == 6


def test_measures_table_is_filled_by_basinlab_measures(tmp_path, tiny_spec):
    text = tiny_spec.read_text() + '[measures]\nnames = ["norms"]\n'
    summary = run_experiment(text, tmp_path / "run")
    assert summary.ok and summary.counts["done"] == 18
    rows = read_table(tmp_path / "run", "measures")
    dist = rows[rows["measure"] == "dist_init"]
    assert len(dist) == 6 and (dist["value"] > 0).all()      # trained weights moved away from the rebuilt init


def test_bad_measures_table_fails_validation(tiny_spec):
    bad = tiny_spec.read_text() + '[measures]\nnames = ["curvature"]\n'
    with pytest.raises(ConfigError, match="curvature"):
        plan(load_spec(bad)[0])


def test_poison_and_extra_landscapes_end_to_end(tmp_path):
    text = """
name = "poisoned"
[dataset]
name = "swiss-roll"
options = { n_total = 200 }
[poison]
base_size = 40
amounts = [0, 6]
[model]
hidden = [8, 8]
[train]
lr = 0.01
batch_size = 0
epochs = 30
[volume]
directions = 4
thresholds = [0.7]
[[volume.extra_landscapes]]
label = "test"
split = "test"
size = 50
"""
    summary = run_experiment(text, tmp_path / "run")
    assert summary.ok, summary.failures
    models = read_table(tmp_path / "run", "models").set_index("poison")
    assert list(models["train_size"]) == [40, 40]            # clean examples, poison counted apart
    assert models.loc[0, "clean_train_loss"] == models.loc[0, "train_loss"]
    vols = read_table(tmp_path / "run", "volumes").merge(models.reset_index()[["model_id", "poison"]])
    labels = {p: sorted(vols[vols["poison"] == p]["landscape"]) for p in (0, 6)}
    assert labels == {0: ["test:50", "train:40"], 6: ["own:46", "test:50", "train:40"]}


def test_run_summary_shows_each_checkpoints_own_test_accuracy(tmp_path):
    from experiments_testlib import TINY

    spec = tmp_path / "ckpt.toml"
    spec.write_text(TINY.replace("sizes = [20, 40, 80]", "sizes = [80]").replace(
        "eval_every = 10", "eval_every = 10\ncheckpoint_epochs = [1, 30]").replace(
        "[volume]", '[volume]\nepochs = "checkpoints"'))
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(spec), "--out", str(out), "--no-report"])
    assert result.exit_code == 0, result.output
    log = read_table(out, "training")
    shown = {}
    for line in result.output.splitlines():
        cells = line.replace("│", " ").split()
        if len(cells) == 9 and cells[0] == "adamw" and cells[2] in ("1", "30") and cells[4] == "0.3":
            shown[int(cells[2])] = float(cells[-1])
    for epoch in (1, 30):
        expected = log.loc[log["epoch"] == epoch, "test_acc"].mean()
        assert shown[epoch] == pytest.approx(expected, abs=6e-4), (epoch, result.output)
    assert shown[1] != shown[30]


@pytest.mark.parametrize("options, message", [
    (["--workers", "0"], "--workers must be a positive integer; got 0"),
    (["--workers", "-1"], "--workers must be a positive integer; got -1"),
    (["--executor", "bogus"], "executor 'bogus' is unknown"),
    (["--address", "127.0.0.1:6379"], "--address is only used with --executor ray"),
])
def test_bad_run_options_leave_no_run_directory(tmp_path, tiny_spec, capsys, options, message):
    from basinlab.cli.app import main

    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tiny_spec), "--out", str(out), *options])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and err.startswith("error:") and message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_os_and_encoding_errors_are_one_line(tmp_path, tiny_spec, capsys):
    from basinlab.cli.app import main

    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x00\xff\xfe not text")
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = [(["validate", str(binary)], "is not UTF-8 text"),
             (["run", str(tiny_spec), "--out", str(a_file), "--no-report"], "is a file, not a folder"),
             (["run", str(tiny_spec), "--out", "/proc/basinlab-nope", "--no-report"], "/proc/basinlab-nope")]
    for args, message in cases:
        with pytest.raises(SystemExit) as exc:
            main(args)
        err = capsys.readouterr().err.strip()
        assert exc.value.code == 2 and err.startswith("error:") and message in err, (args, err)
        assert "Traceback" not in err and len(err.splitlines()) == 1
