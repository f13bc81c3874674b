"""The CLI answers --help quickly and without importing torch."""

from __future__ import annotations

import subprocess
import sys


def test_help_does_not_import_torch():
    code = (
        "import sys\n"
        "from basinlab.cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'torch' not in sys.modules, 'basinlab --help imported torch'\n"
        "assert 'numpy' not in sys.modules, 'basinlab --help imported numpy'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_package_import_is_lazy():
    code = "import sys, basinlab; assert 'torch' not in sys.modules; print(basinlab.__version__)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "0.1.0"


def test_version_flag_and_command_print_the_version():
    from typer.testing import CliRunner

    from basinlab import __version__
    from basinlab.cli.app import app

    for args in (["--version"], ["version"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0 and result.output.strip() == __version__, (args, result.output)


def test_shell_completion_script_is_offered():
    from typer.testing import CliRunner

    from basinlab.cli.app import app

    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="basinlab")
    assert result.exit_code == 0 and "_basinlab_completion" in result.output, result.output


def test_ctrl_c_in_a_command_exits_130(monkeypatch, capsys):
    """typer turns a KeyboardInterrupt inside any command into exit code 130 (main has no handler of its own:
    issue 12 item 6); a command under ``interruptible`` also says what was kept."""
    import pytest
    import typer

    from basinlab.cli import app as app_module
    from basinlab.cli._progress import interruptible

    def plain() -> None:
        raise KeyboardInterrupt

    def keeping() -> None:
        with interruptible("3 of 5 tasks are kept"):
            raise KeyboardInterrupt

    test_app = typer.Typer()
    test_app.command("plain")(plain)
    test_app.command("keeping")(keeping)
    monkeypatch.setattr(app_module, "app", test_app)
    for name, said in (("plain", ""), ("keeping", "interrupted: 3 of 5 tasks are kept\n")):
        with pytest.raises(SystemExit) as exc:
            app_module.main([name])
        assert exc.value.code == 130 and capsys.readouterr().err == said, name
