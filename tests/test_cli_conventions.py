"""One set of conventions across every command (issue 13 item 3): --help renders, every option and argument has
help in one style (sentence case, ending with a period), --quiet/--verbose everywhere, --threads/--device on every
command that computes, --json on the commands that print results."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from basinlab.cli.app import app

COMPUTING = ("train", "volume", "measure", "run", "demo", "report", "reparam-demo")  # commands that run torch work
JSON = ("volume", "measure", "status", "table", "claims")
NO_OUTPUT_OPTIONS = ("version",)  # prints one word: nothing to quiet or verbose


def _commands():
    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield " ".join(path), command

    return dict(walk(typer.main.get_command(app), ()))


COMMANDS = _commands()


def test_every_command_is_found():
    assert set(COMMANDS) >= {"train", "volume", "measure", "run", "status", "validate", "demo", "report", "table",
                             "compare", "claims", "export mlflow", "version"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_renders_and_every_text_has_one_style(name):
    result = CliRunner().invoke(app, [*name.split(), "--help"], terminal_width=120)
    assert result.exit_code == 0 and "Usage:" in result.output, result.output
    command = COMMANDS[name]
    texts = {"the command": (command.help or "").strip().split("\n\n")[0]}
    texts.update({param.name: getattr(param, "help", None) or "" for param in command.params})
    for what, text in texts.items():
        assert text, f"{name}: {what} has no help text"
        assert text[0].isupper() or not text[0].isalpha(), f"{name}: {what}: not sentence case: {text!r}"
        assert text.rstrip().endswith("."), f"{name}: {what}: does not end with a period: {text!r}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_options_every_command_shares(name):
    options = {opt for param in COMMANDS[name].params for opt in getattr(param, "opts", [])}
    if name not in NO_OUTPUT_OPTIONS:
        assert {"--quiet", "-q", "--verbose", "-v"} <= options, name
    if name in COMPUTING:
        assert {"--threads", "--device"} <= options, name
    if name in JSON:
        assert "--json" in options, name


def test_table_json_file_is_strict_json_with_null_for_nan(tmp_path):
    from synthetic_run import make_synthetic_run

    run_dir = make_synthetic_run(tmp_path / "run")
    target = tmp_path / "t1.json"
    result = CliRunner().invoke(app, ["table", str(run_dir), "--json", str(target), "--quiet"])
    assert result.exit_code == 0, result.output

    def refuse(constant):
        raise AssertionError(f"{constant} in JSON")

    rows = json.loads(target.read_text(), parse_constant=refuse)
    assert rows and all(isinstance(r, dict) for r in rows)
    assert any(v is None for r in rows for v in r.values())  # the synthetic run has undefined cells: null


def test_resume_line_keeps_threads_and_device():
    from basinlab.cli.run_cmd import _resume_command

    line = _resume_command(["run", "s.toml"], None, "quick", "local", None, None, "cpu", 2)
    assert line == "basinlab run s.toml --profile quick --threads 2"
    assert _resume_command(["demo"], None, None, "local", None, None, "cuda", None) == "basinlab demo --device cuda"


def test_the_demo_runs_a_process_pool_of_one_worker_per_core_unless_told_otherwise(monkeypatch):
    from basinlab.cli import run_cmd
    from basinlab.experiments import executors

    monkeypatch.setattr(executors, "available_cpus", lambda: 2)
    assert run_cmd._demo_executor(None, None) == ("process", 2)
    assert run_cmd._demo_executor(None, 3) == ("process", 3)
    assert run_cmd._demo_executor(None, 1) == ("local", None)
    assert run_cmd._demo_executor("local", None) == ("local", None)
    assert run_cmd._demo_executor("local", 2) == ("process", 2)  # --workers alone means a pool, as for `run`
    assert run_cmd._demo_executor("ray", None) == ("ray", None)
    monkeypatch.setattr(executors, "available_cpus", lambda: 1)
    assert run_cmd._demo_executor(None, None) == ("local", None)
    # the resume line names only what the user chose, so resuming resolves the default the same way
    assert run_cmd._resume_command(["demo"], None, None, None, None, None, "cpu") == "basinlab demo"
