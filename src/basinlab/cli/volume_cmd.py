"""``basinlab volume CHECKPOINT --landscape DATASET:SIZES``: measure a checkpoint's basin volume."""

from __future__ import annotations

from pathlib import Path

import typer


def parse_landscape(text: str) -> tuple[str, list[int]]:
    """``'fashion-mnist:60,600,2000'`` -> ``('fashion-mnist', [60, 600, 2000])`` (sizes strictly increasing)."""
    from basinlab.errors import ConfigError

    name, sep, sizes_text = text.partition(":")
    if not sep or not name or not sizes_text:
        raise ConfigError(f"--landscape {text!r} must look like DATASET:SIZE[,SIZE...], e.g. 'fashion-mnist:60,600,2000'")
    try:
        sizes = [int(s) for s in sizes_text.split(",")]
    except ValueError:
        raise ConfigError(f"--landscape {text!r}: sizes must be whole numbers separated by commas") from None
    if any(s < 1 for s in sizes) or sizes != sorted(set(sizes)):
        raise ConfigError(f"--landscape {text!r}: sizes must be positive and strictly increasing")
    return name, sizes


def volume(
    checkpoint: Path = typer.Argument(..., help="Checkpoint path (the .safetensors file or its stem)."),
    landscape: str | None = typer.Option(
        None, help="DATASET:SIZE[,SIZE...] nested landscapes; default: the checkpoint's own training set."
    ),
    threshold: list[float] | None = typer.Option(
        None, help="Threshold (repeat for several): a loss tau (default 0.1) or, with --threshold-kind accuracy, a "
                   "training-accuracy level (default 0.95)."),
    threshold_kind: str = typer.Option(
        "loss", "--threshold-kind",
        help="loss: a ray leaves the basin where the loss exceeds tau; accuracy: where training accuracy falls "
             "below the level (the research code's accuracy threshold)."),
    directions: int = typer.Option(500, min=1, help="Number of random directions K."),
    seed: int = typer.Option(0, help="Direction seed (direction k is a pure function of seed and k)."),
    data_seed: int | None = typer.Option(
        None, help="Permutation seed of the landscape; default: the checkpoint's own data seed."
    ),
    rtol: float = typer.Option(1e-4, help="Relative tolerance of each radius."),
    no_filter_norm: bool = typer.Option(False, "--no-filter-norm", help="Plain (not filter-normalised) directions."),
    normalization: str | None = typer.Option(
        None, "--normalization",
        help="Direction normalisation: rows (the paper's, default), rows_biases (also biases by |b|; invariant to "
             "layer-wise rescaling), elementwise (every parameter by |θ0|; invariant to every positive rescaling), "
             "none. Overrides --no-filter-norm."),
    data_dir: Path | None = typer.Option(None, help="Directory with dataset files."),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:N or auto."),
    out: Path | None = typer.Option(None, help="Where to save the result (default: next to the checkpoint)."),
) -> None:
    """Measure the basin volume of a checkpoint in one or more nested landscapes."""
    from basinlab.cli._tables import make_console, print_volume_summary
    from basinlab.data import DatasetSpec, make_dataset
    from basinlab.train import load_checkpoint
    from basinlab.volume import measure_volume

    console = make_console()
    model, meta = load_checkpoint(checkpoint, device=device)
    own = meta.get("dataset_spec") or {}
    if landscape is None:
        if not own:
            from basinlab.errors import ConfigError

            raise ConfigError(f"checkpoint {checkpoint} records no dataset; pass --landscape DATASET:SIZES")
        name, sizes = own["name"], None
    else:
        name, sizes = parse_landscape(landscape)
    same_data = own.get("name") == name
    spec = DatasetSpec(
        name=name,
        split="train",
        size=None if sizes is None and not same_data else (max(sizes) if sizes else own.get("size")),
        seed=data_seed if data_seed is not None else (own.get("seed", 0) if same_data else 0),
        options=own.get("options", {}) if same_data else {},
    )
    data = make_dataset(spec, data_dir=data_dir)
    result = measure_volume(
        model,
        data.inputs,
        data.targets,
        thresholds=tuple(threshold) if threshold else ((0.95,) if threshold_kind == "accuracy" else (0.1,)),
        threshold_kind=threshold_kind,
        directions=directions,
        seed=seed,
        loss=meta.get("train_config", {}).get("loss", "cross_entropy"),
        filter_normalize=not no_filter_norm,
        normalization=normalization,
        rtol=rtol,
        landscapes=sizes,
        device=device,
        progress=True,
    )
    target = out or Path(str(checkpoint).removesuffix(".safetensors") + ".volume.safetensors")
    result.save(target)
    print_volume_summary(console, result)
    console.print(f"result: {target}  (read it back with basinlab.VolumeResult.load)")


def register(app: typer.Typer) -> None:
    app.command()(volume)
