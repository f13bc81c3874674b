"""The resource guard: a model's size from its spec, and a clear refusal before allocating one too big."""

from __future__ import annotations

import pytest

from basinlab.errors import ConfigError
from basinlab.models import ModelSpec, build_model, count_parameters
from basinlab.models.size import check_fits, parse_memory, spec_parameter_count


@pytest.mark.parametrize("spec", [
    ModelSpec(kind="mlp", input_shape=(1, 28, 28), num_classes=10, hidden=(32, 16)),
    ModelSpec(kind="mlp", input_shape=(2,), num_classes=3, hidden=()),
    ModelSpec(kind="cnn", input_shape=(3, 32, 32), num_classes=10, hidden=(8, 16), options={"fc": (20,)}),
    ModelSpec(kind="cnn", input_shape=(1, 28, 28), num_classes=10, hidden=(4,), options={"kernel_size": 5}),
])
def test_parameter_count_from_the_spec_equals_the_built_models(spec):
    assert spec_parameter_count(spec) == count_parameters(build_model(spec, seed=0))


def test_a_model_too_big_is_refused_before_allocating():
    huge = ModelSpec(kind="mlp", input_shape=(784,), num_classes=10, hidden=(100_000_000,))
    with pytest.raises(ConfigError, match=r"has 79,500,000,010 parameters.*more than this machine's available") as e:
        build_model(huge, seed=0)  # would need ~1.5 TB: refused at once
    assert "\n" not in str(e.value)
    small = ModelSpec(kind="mlp", input_shape=(784,), num_classes=10, hidden=(1000,))
    with pytest.raises(ConfigError, match=r"more than the max_memory limit \(1 MB\)"):
        check_fits(small, "1M")
    assert check_fits(small, "1G") == 795_010


def test_max_memory_values():
    assert parse_memory("512M") == 512 * 2**20 and parse_memory("1.5gb") == int(1.5 * 2**30)
    assert parse_memory(4096) == 4096
    for bad in ("lots", "-1G", "0", "nanG", "3X"):
        with pytest.raises(ConfigError, match="--max-memory: .* is not a memory size"):
            parse_memory(bad)


def test_train_cli_refuses_a_huge_hidden_width_in_one_line(tmp_path, capsys):
    from basinlab.cli.app import main

    with pytest.raises(SystemExit) as exit_info:  # 500M parameters: the OOM killer took the machine before
        main(["train", "--dataset", "swiss-roll", "--hidden", "100000000", "--out", str(tmp_path / "o")])
    last = capsys.readouterr().err.splitlines()[-1]
    assert exit_info.value.code == 2 and last.startswith("error: model hidden=[100000000] has 500,000,002 parameters")
    assert "more than this machine's available memory" in last and not (tmp_path / "o").exists()


def test_memory_limit_sets_the_variable_workers_inherit_and_restores_it(monkeypatch):
    import os
    import subprocess
    import sys

    from basinlab.models.size import MAX_MEMORY_ENV, memory_limit

    monkeypatch.setenv(MAX_MEMORY_ENV, "1K")
    small = ModelSpec(kind="mlp", input_shape=(2,), num_classes=2, hidden=(4,))
    with pytest.raises(ConfigError, match=r"the --max-memory \(BASINLAB_MAX_MEMORY\) limit \(1 KB\)"):
        check_fits(small)
    with memory_limit("2G"):  # overrides the variable already set
        assert os.environ[MAX_MEMORY_ENV] == str(2 * 2**30) and check_fits(small) == 22
        child = subprocess.run([sys.executable, "-c", f"import os; print(os.environ['{MAX_MEMORY_ENV}'])"],
                               capture_output=True, text=True, check=True)
        assert child.stdout.strip() == str(2 * 2**30)  # a worker process started here is held to it
    assert os.environ[MAX_MEMORY_ENV] == "1K"
    with memory_limit(None):
        assert os.environ[MAX_MEMORY_ENV] == "1K"
    with pytest.raises(ConfigError, match="--max-memory: 'lots' is not a memory size"), memory_limit("lots"):
        pass


def test_max_memory_option_overrides_the_environment_variable(tmp_path, monkeypatch, capsys):
    """BASINLAB_MAX_MEMORY=1K refuses the spec's model; --max-memory 1G on the same command accepts it."""
    from basinlab.cli.app import main

    spec = tmp_path / "s.toml"
    spec.write_text('name = "s"\n[dataset]\nname = "swiss-roll"\nsizes = [20]\n[model]\nhidden = [4]\n'
                    "[train]\nepochs = 1\n")
    monkeypatch.setenv("BASINLAB_MAX_MEMORY", "1K")
    with pytest.raises(SystemExit) as refused:
        main(["validate", str(spec)])
    assert refused.value.code == 2 and "limit (1 KB)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as accepted:
        main(["validate", str(spec), "--max-memory", "1G"])
    assert accepted.value.code == 0 and ": valid" in capsys.readouterr().out


def test_every_command_that_builds_models_has_max_memory():
    import typer.main

    from basinlab.cli.app import app

    click_app = typer.main.get_command(app)
    for name in ("train", "volume", "measure", "run", "demo", "validate"):
        options = {o for p in click_app.commands[name].params for o in p.opts}
        assert "--max-memory" in options, name
