"""The shared text grammars of basinlab.parse (lists, sizes, landscapes) and the CLI's progress lines."""

from __future__ import annotations

import pytest

from basinlab.errors import ConfigError
from basinlab.parse import Landscape, parse_landscape, parse_list, parse_size, resolve_sizes


def test_lists_are_comma_separated_and_flags_repeat():
    assert parse_list(["0.1,0.3", "1"], float, "--threshold") == [0.1, 0.3, 1.0]
    assert parse_list("256, 128", int, "--hidden") == [256, 128]
    assert parse_list(None, int, "--hidden") == []
    with pytest.raises(ConfigError, match=r"--threshold '0.1,x': 'x' is not accepted.*e\.g\. --threshold"):
        parse_list(["0.1,x"], float, "--threshold", "0.1,0.3")


def test_sizes():
    assert parse_size("2000") == 2000 and parse_size("0.1") == 0.1 and parse_size("10%") == 0.1
    assert parse_size("all") is None and parse_size(None) is None
    for bad in ("abc", "0", "1.5", "150%"):
        with pytest.raises(ConfigError, match="--size"):
            parse_size(bad)


def test_one_landscape_grammar():
    assert parse_landscape("fashion-mnist:60,600") == Landscape("fashion-mnist", (60, 600))
    assert parse_landscape("fashion-mnist:0.1") == Landscape("fashion-mnist", (0.1,))
    assert parse_landscape("digits") == Landscape("digits", (None,))
    assert parse_landscape("digits:10%,all") == Landscape("digits", (0.1, None))
    assert str(parse_landscape("digits:60,600")) == "digits:60,600"
    for bad in ("", ":60", "digits:", "digits:600,60", "digits:all,60", "digits:x"):
        with pytest.raises(ConfigError, match="--landscape"):
            parse_landscape(bad)
    assert resolve_sizes((60, 0.1, None), 1000) == [60, 100, 1000]
    with pytest.raises(ConfigError, match="strictly increasing"):
        resolve_sizes((600, 0.1), 1000)


def test_plain_progress_lines(capsys):
    from basinlab.cli._progress import Output

    with Output(rich=False).bar("volume", 200, unit="directions", every=25) as bar:
        for k in range(0, 201, 8):
            bar.update(k)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" elapsed")[0] for line in lines] == [
        f"volume: {k}/200 directions ({100 * k // 200}%)" for k in (56, 104, 152, 200)]
    with Output(quiet=True).bar("volume", 10) as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""


def test_no_bool_metavar_in_any_help():
    from typer.testing import CliRunner

    from basinlab.cli.app import app

    for command in ("train", "volume", "measure", "run", "status", "report", "table", "claims", "demo"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "160"})
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.output and "--quiet" in result.output, command


def test_landscape_of_a_users_dataset_takes_sizes_after_the_last_colon():
    from basinlab.parse import Landscape, parse_landscape

    assert parse_landscape("mydata:load") == Landscape("mydata:load")
    assert parse_landscape("pkg.mydata:load:60,600") == Landscape("pkg.mydata:load", (60, 600))
    assert parse_landscape("mydata:load:10%") == Landscape("mydata:load", (0.1,))
    assert parse_landscape("fashion-mnist:60") == Landscape("fashion-mnist", (60,))
    with pytest.raises(ConfigError, match="'abc' is not a count"):
        parse_landscape("fashion-mnist:abc")
