"""``basinlab measure CHECKPOINT``: every landscape measure of one checkpoint, as a table (thin over
:func:`basinlab.measures.checkpoint.measure_checkpoint`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basinlab.cli._options import DataDir, Device, Factory, Json, MaxMemory, Quiet, Threads, Verbose


def measure(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint path (the .safetensors file or its stem).")],
    measures: Annotated[list[str], typer.Option(
        "--measures", metavar="NAME[,NAME...]",
        help="Comma-separated or repeated: hessian_top, hessian_trace, hessian_density, sam, eps_sharpness, "
        "noise, pac_bayes, norms, function_space, weakness, volume, volume_elementwise; or 'all'.")] = ["all"],  # noqa: B006
    landscape: Annotated[str | None, typer.Option(
        help="DATASET[:SIZE[,SIZE...]] landscapes, each measured on its own (e.g. fashion-mnist:60,600); default: "
             "the checkpoint's own training set.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random probe, direction and noise draw.")] = 0,
    setting: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a setting, e.g. --set sam.rho=0.1 --set examples=2000 (repeatable).")] = None,
    init: Annotated[Path | None, typer.Option(help="Checkpoint of the initial weights (for dist_init).")] = None,
    factory: Factory = None,
    data_dir: DataDir = None,
    device: Device = "cpu",
    threads: Threads = None,
    max_memory: MaxMemory = None,
    json_path: Json = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Compute Hessian, sharpness, PAC-Bayes, norm, function-space and volume measures of a checkpoint."""


    from basinlab.cli._options import write_json
    from basinlab.cli._progress import configure, interruptible
    from basinlab.cli._tables import print_measure_rows, wide_console
    from basinlab.errors import check_at_least, check_input_dir, check_output_file
    from basinlab.measures.checkpoint import measure_checkpoint, parse_setting
    from basinlab.models.size import memory_limit
    from basinlab.parse import parse_list
    from basinlab.runtime import limit_threads

    check_at_least(seed, 0, "--seed")
    check_at_least(threads, 1, "--threads")
    check_input_dir(data_dir, "--data-dir")
    if json_path not in (None, "-"):
        check_output_file(json_path, "--json")  # before any work
    output = configure(quiet, verbose)
    names = parse_list(measures, str, "--measures", "hessian_top,norms")
    settings: dict = {}
    for text in setting or []:
        parse_setting(text, settings)
    with interruptible("no result was written (rerun the command)"), limit_threads(threads), memory_limit(max_memory), \
            output.bar("measures", None, unit="measures", every=None) as bar:
        rows = measure_checkpoint(checkpoint, names, landscape=landscape, settings=settings, seed=seed, init=init,
                                  data_dir=data_dir, device=device, factory=factory,
                                  progress=lambda done, total, what: bar.update(done, total, note=what))
    if json_path is not None:  # valid JSON: NaN and infinities become null
        write_json(rows, json_path)
        if json_path == "-":
            return
    print_measure_rows(wide_console(), rows, f"measures of {checkpoint}", seed)


def register(app: typer.Typer) -> None:
    """Add ``basinlab measure`` to ``app``."""
    app.command()(measure)
