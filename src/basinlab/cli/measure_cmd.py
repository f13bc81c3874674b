"""``basinlab measure CHECKPOINT``: every landscape measure of one checkpoint, as a table (thin over
:func:`basinlab.measures.checkpoint.measure_checkpoint`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def measure(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint path (the .safetensors file or its stem).")],
    measures: Annotated[str, typer.Option(
        "--measures", help="Comma-separated: hessian_top, hessian_trace, hessian_density, sam, eps_sharpness, "
        "noise, pac_bayes, norms, function_space, weakness, volume, volume_elementwise; or 'all'.")] = "all",
    landscape: Annotated[str | None, typer.Option(
        help="DATASET[:SIZE] landscape; default: the checkpoint's own training set.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random probe, direction and noise draw.")] = 0,
    setting: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a setting, e.g. --set sam.rho=0.1 --set examples=2000 (repeatable).")] = None,
    init: Annotated[Path | None, typer.Option(help="Checkpoint of the initial weights (for dist_init).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Directory with dataset files.")] = None,
    threads: Annotated[int | None, typer.Option(help="Torch threads (default: all cores).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the rows to this JSON file.")] = None,
) -> None:
    """Compute Hessian, sharpness, PAC-Bayes, norm, function-space and volume measures of a checkpoint."""
    import json
    import math

    from rich.console import Console
    from rich.table import Table

    from basinlab.measures.checkpoint import measure_checkpoint, parse_setting
    from basinlab.runtime import limit_threads

    settings: dict = {}
    for text in setting or []:
        parse_setting(text, settings)
    with limit_threads(threads):
        rows = measure_checkpoint(checkpoint, measures, landscape=landscape, settings=settings, seed=seed,
                                  init=init, data_dir=data_dir)
    table = Table(title=f"measures of {checkpoint} in {rows[0]['landscape'] if rows else '?'} (seed {seed})")
    for col, justify in (("measure", "left"), ("value", "right"), ("± stderr", "right"), ("seconds", "right")):
        table.add_column(col, justify=justify)
    notes = any(r.get("reason") for r in rows)
    if notes:
        table.add_column("why not a number", justify="left")
    previous = None
    for r in rows:
        err = "—" if math.isnan(r["value"]) else "exact" if math.isnan(r["stderr"]) else f"{r['stderr']:.4g}"
        same = r["settings"] == previous  # outputs of one measure share its time
        cells = [r["measure"], f"{r['value']:.6g}", err, "" if same else f"{r['seconds']:.2f}"]
        table.add_row(*cells, *([r.get("reason", "")] if notes else []))
        previous = r["settings"]
    Console().print(table)
    if json_out is not None:  # valid JSON: NaN and infinities become null
        clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]
        json_out.write_text(json.dumps(clean, indent=1, default=str, allow_nan=False))


def register(app: typer.Typer) -> None:
    """Add ``basinlab measure`` to ``app``."""
    app.command()(measure)
