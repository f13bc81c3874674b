"""``basinlab report RUN_DIR`` (the HTML report), ``basinlab table RUN_DIR`` (Table 1 in the terminal) and
``basinlab compare RUN_A RUN_B`` (two runs of one design side by side)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basinlab.cli._options import Device, Json, Quiet, Threads, Verbose

RunDir = Annotated[Path, typer.Argument(help="Run directory written by 'basinlab run'.")]


def report(
    run_dir: RunDir,
    threshold: Annotated[float | None, typer.Option(help="Loss threshold τ of the figures (default: the largest).")] = None,
    no_slice: Annotated[bool, typer.Option("--no-slice", help="Skip the 2-D loss slice (it loads checkpoints).")] = False,
    slice_resolution: Annotated[int, typer.Option(help="Grid points per axis of the 2-D loss slice.")] = 31,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
    device: Device = "cpu",
    threads: Threads = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Write RUN_DIR/report/index.html: spec, versions, tables and every figure on one self-contained page."""
    import time

    from basinlab.cli._progress import configure, format_seconds, interruptible
    from basinlab.errors import check_at_least
    from basinlab.report import write_report
    from basinlab.runtime import limit_threads, resolve_device

    check_at_least(slice_resolution, 2, "--slice-resolution")
    resolve_device(device)  # also when the run has no checkpoint to slice
    _check_report_inputs(run_dir, threshold)  # before the first note: a bad input is the only line printed
    output = configure(quiet, verbose)
    start = time.perf_counter()
    output.note(f"report: writing figures and tables of {run_dir} ...")
    with interruptible(f"the run's results in {run_dir} are untouched; rerun: basinlab report {run_dir}"), \
            limit_threads(threads), output.bar("report", None, unit="steps", every=None) as bar:
        path = write_report(run_dir, threshold=threshold, loss_slice=not no_slice, slice_resolution=slice_resolution,
                            seed=seed, device=device, progress=lambda done, total, step: bar.update(done, total, step))
    output.note(f"report: written in {format_seconds(time.perf_counter() - start)}")
    typer.echo(str(path))


def _check_report_inputs(run_dir: Path, threshold: float | None) -> None:
    """A run directory, and a --threshold among its measured loss thresholds (as write_report checks them)."""
    import math

    from basinlab.errors import ConfigError
    from basinlab.experiments import read_table
    from basinlab.rundir.tables import check_run_dir

    check_run_dir(run_dir)
    if threshold is None:
        return
    vols = read_table(run_dir, "volumes")
    if "threshold_kind" in vols.columns:
        vols = vols[vols["threshold_kind"] == "loss"]
    present = sorted({float(x) for x in vols["threshold"]})
    if present and not any(math.isclose(threshold, x, rel_tol=1e-9) for x in present):
        raise ConfigError(f"--threshold {threshold:g} was not measured in {str(run_dir)!r}; use one of "
                          f"{', '.join(f'{x:g}' for x in present)} (or leave it out for the largest)")


def table(
    run_dir: RunDir,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
    json_path: Json = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Print the Table-1-style summary: α (with 95% CI over seeds) and test accuracy at the smallest/largest size."""
    from basinlab.analysis import format_table1, table1
    from basinlab.cli._options import frame_records, write_json
    from basinlab.cli._progress import configure

    configure(quiet, verbose)
    frame = table1(run_dir, seed=seed)
    if json_path is not None:  # the numbers, unformatted (NaN -> null)
        write_json(frame_records(frame), json_path)
        if json_path == "-":
            return
    print_frame(format_table1(frame), f"basinlab: {run_dir}", left=("dataset", "variant"))


def print_frame(frame, title: str, *, left: tuple[str, ...] = ()) -> None:
    """Print a DataFrame as a rich table (cells via ``format_value``; columns in ``left`` left-aligned)."""
    from rich.table import Table

    from basinlab.cli._tables import wide_console
    from basinlab.report.html import format_value

    out = Table(title=title, title_justify="left")
    for name in frame.columns:
        out.add_column(str(name), justify="left" if name in left else "right")
    for row in frame.itertuples(index=False):
        out.add_row(*(format_value(v.item() if hasattr(v, "item") else v) for v in row))
    wide_console().print(out)


def compare(
    run_a: RunDir,
    run_b: Annotated[Path, typer.Argument(help="A second run directory of the same design.")],
    labels: Annotated[str, typer.Option(help="Names of the two runs in the column headers, comma-separated.")] = "a,b",
    csv: Annotated[Path | None, typer.Option(help="Also write every matched cell (every seed) to this CSV file.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals of α.")] = 0,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Compare two runs of one design cell by cell: largest and median radius, their ratio b/a, and α of each."""
    from basinlab.analysis.compare import compare_power_laws, compare_runs
    from basinlab.cli._progress import configure
    from basinlab.errors import ConfigError

    configure(quiet, verbose)
    names = tuple(s.strip() for s in labels.split(","))
    if len(names) != 2 or not all(names) or names[0] == names[1]:
        raise ConfigError(f"--labels {labels!r}: give two different names separated by a comma, e.g. standard,unit")
    from basinlab.errors import check_output_file
    from basinlab.rundir import atomic_write_text

    if csv is not None:
        check_output_file(csv, "--csv")
    cells = compare_runs(run_a, run_b, labels=names)
    if csv is not None:
        atomic_write_text(csv, cells.to_csv(index=False))
    a, b = names
    keys = ["variant", "train_size", "landscape_size", "threshold"]
    cols = [f"r_max_{a}", f"r_max_{b}", "r_max_ratio", f"r_median_{a}", f"r_median_{b}", "r_median_ratio"]
    finite = cells.replace([float("inf"), float("-inf")], float("nan"))
    summary = finite.groupby(keys, as_index=False)[cols].median()
    summary.insert(len(keys), "seeds", cells.groupby(keys).size().to_numpy())
    print_frame(summary, f"radii, median over seeds: {a} = {run_a}, {b} = {run_b}")
    print_frame(compare_power_laws(run_a, run_b, labels=names, seed=seed), "power-law exponent α (95% CI over seeds)")


def register(app: typer.Typer) -> None:
    """Add ``report``, ``table`` and ``compare`` to ``app``."""
    app.command("report")(report)
    app.command("table")(table)
    app.command("compare")(compare)
