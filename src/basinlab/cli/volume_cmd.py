"""``basinlab volume CHECKPOINT [--landscape DATASET:SIZES]``: a checkpoint's basin volume (thin over
:func:`basinlab.measures.checkpoint.checkpoint_volume`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basinlab.cli._options import DataDir, Device, Factory, Json, MaxMemory, Quiet, Threads, Verbose


def volume(
    checkpoint: Annotated[Path, typer.Argument(help="Checkpoint path (the .safetensors file or its stem).")],
    landscape: Annotated[str | None, typer.Option(
        help="DATASET[:SIZE[,SIZE...]] nested landscapes, each SIZE a count, fraction, percentage or 'all' "
             "(e.g. fashion-mnist:60,600 or fashion-mnist:0.1); default: the checkpoint's own training set.")] = None,
    threshold: Annotated[list[str] | None, typer.Option(
        metavar="TAU[,TAU...]", help="Thresholds, comma-separated or repeated: loss levels τ (default 0.1) or, with "
        "--threshold-kind accuracy, training-accuracy levels (default 0.95).")] = None,
    threshold_kind: Annotated[str, typer.Option(
        "--threshold-kind", help="Where a ray leaves the basin: loss (where the loss exceeds τ) or accuracy (where "
        "training accuracy falls below the level, the research code's accuracy threshold).")] = "loss",
    directions: Annotated[int, typer.Option(min=1, help="Number of random directions K.")] = 500,
    seed: Annotated[int, typer.Option(help="Direction seed (direction k is a pure function of seed and k).")] = 0,
    data_seed: Annotated[int | None, typer.Option(
        help="Permutation seed of the landscape; default: the checkpoint's own data seed.")] = None,
    rtol: Annotated[float, typer.Option(help="Relative tolerance of each radius.")] = 1e-4,
    no_filter_norm: Annotated[bool, typer.Option("--no-filter-norm",
                                                 help="Plain (not filter-normalised) directions.")] = False,
    normalization: Annotated[str | None, typer.Option(
        help="Direction normalisation: rows (the paper's, default), rows_biases (also biases by |b|; invariant to "
             "layer-wise rescaling), elementwise (every parameter by |θ0|; invariant to every positive rescaling), "
             "none. Overrides --no-filter-norm.")] = None,
    factory: Factory = None,
    direction_draw: Annotated[str, typer.Option(
        "--direction-draw", help="How directions are drawn: explicit (default; every Gaussian of every direction "
        "drawn) or rowspace (the first Linear's Gaussian drawn only in the data's row space: same radius distribution, "
        "its own seed stream, much faster when the landscape has fewer rows than inputs, which it needs).")] = "explicit",
    data_dir: DataDir = None,
    device: Device = "cpu",
    threads: Threads = None,
    max_memory: MaxMemory = None,
    out: Annotated[Path | None, typer.Option(
        help="Where to save the result (default: next to the checkpoint).")] = None,
    json_path: Json = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Measure the basin volume of a checkpoint in one or more nested landscapes."""
    from basinlab.cli._options import frame_records, write_json
    from basinlab.cli._progress import configure, interruptible
    from basinlab.cli._tables import print_volume_summary, wide_console
    from basinlab.errors import check_at_least, check_input_dir, check_output_file, describe_choices, expect
    from basinlab.measures.checkpoint import checkpoint_volume
    from basinlab.models.size import memory_limit
    from basinlab.normalization import DIRECTION_DRAWS
    from basinlab.parse import parse_list
    from basinlab.runtime import limit_threads, resolve_device

    resolve_device(device)
    check_at_least(data_seed, 0, "--data-seed")
    expect(direction_draw in DIRECTION_DRAWS,
           f"--direction-draw {direction_draw!r} is unknown; use {describe_choices(DIRECTION_DRAWS)}")
    check_input_dir(data_dir, "--data-dir")
    target = out or Path(str(checkpoint).removesuffix(".safetensors").removesuffix(".json") + ".volume.safetensors")
    check_output_file(target, "--out")
    output = configure(quiet, verbose)
    thresholds = parse_list(threshold, float, "--threshold", "0.1,0.3") or (
        [0.95] if threshold_kind == "accuracy" else [0.1])
    with interruptible("no result was written (a volume is not resumable; rerun the command)"), \
            limit_threads(threads), memory_limit(max_memory), output.bar("volume", directions, unit="directions") as bar:
        result = checkpoint_volume(
            checkpoint, landscape, thresholds=thresholds, threshold_kind=threshold_kind, directions=directions, seed=seed, data_seed=data_seed,
            rtol=rtol, normalization=normalization, filter_normalize=not no_filter_norm, data_dir=data_dir,
            device=device, factory=factory, progress=lambda done, total, _what: bar.update(done, total),
            direction_draw=direction_draw,
        )
    result.save(target)
    if json_path is not None:
        write_json({"checkpoint": str(checkpoint), "result": str(target), "n_params": result.n_params,
                    "directions": len(result.seeds), "rows": frame_records(result.summary())}, json_path)
        if json_path == "-":
            return
    console = wide_console()
    print_volume_summary(console, result)
    console.print(f"result: {target}  (read it back with basinlab.VolumeResult.load)")


def register(app: typer.Typer) -> None:
    """Add ``basinlab volume`` to ``app``."""
    app.command()(volume)
