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
    with pytest.raises(ConfigError, match=r"more than the --max-memory limit \(1 MB\)"):
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
