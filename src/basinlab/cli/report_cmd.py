"""``basinlab report RUN_DIR`` (the HTML report) and ``basinlab table RUN_DIR`` (Table 1 in the terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RunDir = Annotated[Path, typer.Argument(help="Run directory written by 'basinlab run'.")]


def report(
    run_dir: RunDir,
    threshold: Annotated[float | None, typer.Option(help="Loss threshold τ of the figures (default: the largest).")] = None,
    no_slice: Annotated[bool, typer.Option("--no-slice", help="Skip the 2-D loss slice (it loads checkpoints).")] = False,
    slice_resolution: Annotated[int, typer.Option(help="Grid points per axis of the 2-D loss slice.")] = 31,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
) -> None:
    """Write RUN_DIR/report/index.html: spec, versions, tables and every figure on one self-contained page."""
    from basinlab.report import write_report

    path = write_report(run_dir, threshold=threshold, loss_slice=not no_slice, slice_resolution=slice_resolution,
                        seed=seed)
    typer.echo(str(path))


def table(
    run_dir: RunDir,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
) -> None:
    """Print the Table-1-style summary: α (with 95% CI over seeds) and test accuracy at the smallest/largest size."""
    from rich.console import Console
    from rich.table import Table

    from basinlab.analysis import format_table1, table1

    frame = format_table1(table1(run_dir, seed=seed))
    out = Table(title=f"basinlab: {run_dir}", title_justify="left")
    for name in frame.columns:
        out.add_column(name, justify="left" if name in ("dataset", "variant") else "right")
    for row in frame.itertuples(index=False):
        out.add_row(*row)
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=160)
    console.print(out)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``table`` to ``app``."""
    app.command("report")(report)
    app.command("table")(table)
