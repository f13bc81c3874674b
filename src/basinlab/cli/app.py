"""The ``basinlab`` command.

Each command lives in its own module with a ``register(app)`` function. Command modules import only typer at
module level (torch, numpy and friends are imported inside the command body) so ``basinlab --help`` is fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

app = typer.Typer(
    name="basinlab",
    help="Measure basin volume and other loss-landscape geometry of neural-network minima.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _no_flag_metavar() -> None:
    """Flags take no value: show no ``<bool>`` type beside them in --help (typer shows one for every option)."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self, ctx):  # noqa: ANN001, ANN202 - typer's own signature
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich


_no_flag_metavar()

# Modules under basinlab.cli that define commands; each has ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = ("train_cmd", "volume_cmd", "measure_cmd", "run_cmd", "report_cmd", "claims_cmd", "export_cmd",
                   "reparam_cmd")



def _print_version(value: bool) -> None:
    if value:
        from basinlab import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                      help="Print the basinlab version and exit."),
) -> None:
    """Measure basin volume and other loss-landscape geometry of neural-network minima."""


@app.command()
def version() -> None:
    """Print the basinlab version."""
    _print_version(True)


for _name in COMMAND_MODULES:
    importlib.import_module(f"basinlab.cli.{_name}").register(app)


def _click_exceptions():
    """The click exception classes typer raises (typer >= 0.20 vendors click as ``typer._click``)."""
    try:
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; bad input of any kind (a :class:`basinlab.errors.BasinlabError`, a usage error
    of an option or argument, an OS error on a file) ends in one line ``error: ...`` on stderr and exit code 2.

    Ctrl-C: typer turns a KeyboardInterrupt inside a command into exit code 130 (returned here, so no handler of
    it belongs here); commands that keep work say what was kept through ``basinlab.cli._progress.interruptible``."""
    from basinlab.errors import BasinlabError
    from basinlab.runtime import prefer_sleeping_threads

    prefer_sleeping_threads()  # before torch is imported
    click = _click_exceptions()
    try:
        code = app(args=argv, prog_name="basinlab", standalone_mode=False)
    except click.NoArgsIsHelpError:  # bare 'basinlab' or a group without a command: the help, as typer shows it
        app(args=argv, prog_name="basinlab", standalone_mode=True)
        return
    except click.UsageError as exc:  # bad or missing option/argument, unknown command: one line, not a box
        where = exc.ctx.command_path if exc.ctx is not None else "basinlab"
        message = " ".join(exc.format_message().split())
        typer.echo(f"error: {message} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        typer.echo(f"error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("interrupted; finished work is kept and a rerun resumes", err=True)
        code = 130
    except BasinlabError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:  # the reader of stdout went away (| head): nothing to say, as typer does
        sys.exit(1)
    except OSError as exc:  # permissions, not a directory, disk full, ...: the file and the reason, no traceback
        where = f" {exc.filename!r}" if exc.filename else ""
        typer.echo(f"error: cannot use{where}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    except UnicodeDecodeError as exc:
        typer.echo(f"error: a text file (a spec or a config) is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                   "pass a TOML file", err=True)
        sys.exit(2)
    if code == 130:  # a Ctrl-C the command handled
        _forget_handled_interrupt()
    sys.exit(code if isinstance(code, int) else 0)  # typer.Exit(n) inside a command returns n


def _forget_handled_interrupt() -> None:
    """Let ``python -m basinlab`` exit 130 after a Ctrl-C it handled.

    CPython marks a KeyboardInterrupt that leaves code run from a string (``exec("...")``: dataclass and
    namedtuple creation, so lazy imports) as unhandled even when an outer ``except`` catches it; a program run
    with ``python -m`` then ends by raising SIGINT on itself (status -2) instead of with its exit code. Running a
    string clears the mark: CPython resets it before it runs one. (The ``basinlab`` script is not affected.)"""
    exec("pass")  # noqa: S102 - a constant string
