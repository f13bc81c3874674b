"""``basinlab train``: train one model on one dataset and write a checkpoint (thin over basinlab.train)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

AUTO_MODEL = {"swiss-roll": "mlp-swiss", "modular": "mlp-modular", "cifar10": "mlp-cifar"}


def _parse_size(text: str | None) -> int | float | None:
    """'2000' -> 2000, '0.1' -> 0.1 (fraction), '10%' -> 0.1, 'all' / None -> None."""
    from basinlab.errors import ConfigError

    if text is None or text.strip().lower() in ("", "all"):
        return None
    t = text.strip()
    try:
        if t.endswith("%"):
            return float(t[:-1]) / 100.0
        return float(t) if any(c in t for c in ".eE") else int(t)
    except ValueError:
        raise ConfigError(f"--size {text!r} is not a count (2000), a fraction (0.1), a percentage (10%) "
                          f"or 'all'") from None


def _parse_ints(text: str | None, option: str) -> tuple[int, ...] | None:
    from basinlab.errors import ConfigError

    if text is None or not text.strip():
        return None
    try:
        return tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise ConfigError(f"{option} {text!r} must be comma-separated integers, e.g. 256,128") from None


def _parse_batch(text: str) -> int | None:
    from basinlab.errors import ConfigError

    if text.strip().lower() in ("full", "0", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--batch-size {text!r} must be a positive integer or 'full'") from None


def train_command(
    dataset: Annotated[str, typer.Option("--dataset",
        help="swiss-roll, modular, digits, fashion-mnist, mnist, cifar10 or svhn.")],
    out: Annotated[Path, typer.Option("--out",
        help="Directory for the checkpoint (<out>/<name>.safetensors + .json).")],
    size: Annotated[str | None, typer.Option("--size",
        help="Training examples: count (2000), fraction (0.1), percentage (10%) or 'all' (default).")] = None,
    data_seed: Annotated[int, typer.Option("--data-seed",
        help="Seed of the nested subset permutation and poison draws.")] = 0,
    poison: Annotated[int, typer.Option("--poison", help="Extra wrongly-labelled training examples.")] = 0,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where dataset files are.")] = None,
    model: Annotated[str, typer.Option("--model",
        help="Preset: mlp, mlp-deep, mlp-cifar, mlp-swiss, mlp-swiss-large, mlp-modular, cnn, cnn-cifar; "
        "'auto' picks by dataset.")] = "auto",
    hidden: Annotated[str | None, typer.Option("--hidden",
        help="Hidden widths (MLP) or channels (CNN), e.g. 256,128.")] = None,
    width: Annotated[int | None, typer.Option("--width",
        help="Set every hidden width (e.g. modular MLP).")] = None,
    dropout: Annotated[float, typer.Option("--dropout",
        help="Dropout probability after each hidden ReLU.")] = 0.0,
    optimizer: Annotated[str, typer.Option("--optimizer", help="adamw or sgd.")] = "adamw",
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option("--weight-decay",
        help="Weight decay (AdamW default 0.01).")] = 0.01,
    momentum: Annotated[float, typer.Option("--momentum", help="SGD momentum.")] = 0.0,
    nesterov: Annotated[bool, typer.Option("--nesterov", help="Nesterov momentum (SGD).")] = False,
    sam_rho: Annotated[float, typer.Option("--sam-rho", help="> 0 trains with SAM of this radius.")] = 0.0,
    asam: Annotated[bool, typer.Option("--asam", help="Adaptive SAM (needs --sam-rho).")] = False,
    batch_size: Annotated[str, typer.Option("--batch-size", help="Examples per step, or 'full'.")] = "64",
    epochs: Annotated[int, typer.Option("--epochs", help="Maximum epochs.")] = 100,
    stop_loss: Annotated[float | None, typer.Option("--stop-loss",
        help="Stop once the full training loss (eval mode) is below this.")] = None,
    schedule: Annotated[str, typer.Option("--schedule",
        help="constant, step or cosine (warm-up + cosine).")] = "constant",
    warmup_epochs: Annotated[int, typer.Option("--warmup-epochs",
        help="Warm-up epochs for --schedule cosine.")] = 0,
    swa_start: Annotated[int | None, typer.Option("--swa-start",
        help="Average weights from this epoch on.")] = None,
    loss: Annotated[str, typer.Option("--loss", help="cross_entropy or mse.")] = "cross_entropy",
    checkpoint_epochs: Annotated[str | None, typer.Option("--checkpoint-epochs",
        help="Also save <name>@<epoch> at these epochs, e.g. 0,500,1000.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of model init, data order and dropout.")] = 0,
    name: Annotated[str, typer.Option("--name", help="Checkpoint file name (without extension).")] = "model",
    device: Annotated[str, typer.Option("--device", help="cpu, cuda, cuda:N or auto.")] = "cpu",
    threads: Annotated[int | None, typer.Option("--threads",
        help="Torch threads (default: all cores).")] = None,
    no_test: Annotated[bool, typer.Option("--no-test", help="Do not evaluate on the test split.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
        help="Show a progress bar on stderr.")] = True,
) -> None:
    """Train one model and save it as a checkpoint."""
    from basinlab.data import make_dataset
    from basinlab.data.dataset import DatasetSpec
    from basinlab.errors import check_name
    from basinlab.models import build_model, count_parameters, model_preset
    from basinlab.runtime import limit_threads
    from basinlab.train import RichProgress, TrainConfig, save_checkpoint, train

    check_name(name, "--name")
    # mse trains on one-hot rows; record that in the dataset spec so measuring rebuilds the same targets
    options = {"targets": "onehot"} if loss == "mse" else {}
    spec = DatasetSpec(name=dataset, split="train", size=_parse_size(size), seed=data_seed, poison=poison,
                       options=options)
    config = TrainConfig(
        optimizer=optimizer, lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
        sam_rho=sam_rho, sam_adaptive=asam, batch_size=_parse_batch(batch_size), epochs=epochs,
        stop_loss=stop_loss, schedule=schedule, warmup_epochs=warmup_epochs, swa_start=swa_start, loss=loss,
        checkpoint_epochs=_parse_ints(checkpoint_epochs, "--checkpoint-epochs") or (), seed=seed,
    )
    if asam and sam_rho <= 0:
        from basinlab.errors import ConfigError

        raise ConfigError("--asam needs --sam-rho > 0 (e.g. --sam-rho 0.5)")
    with limit_threads(threads):
        data = make_dataset(spec, data_dir=data_dir)
        test_spec = DatasetSpec(name=dataset, split="test", seed=data_seed, options=spec.options)
        test = None if no_test else make_dataset(test_spec, data_dir=data_dir)
        preset = AUTO_MODEL.get(dataset, "mlp") if model == "auto" else model
        model_spec = model_preset(preset, data.input_shape, data.num_classes, width=width,
                                  hidden=_parse_ints(hidden, "--hidden"), dropout=dropout)
        net = build_model(model_spec, seed=seed)
        typer.echo(f"data  {data.describe()}", err=True)
        n_params = count_parameters(net)
        typer.echo(f"model {preset} {list(model_spec.hidden)}: {n_params:,} parameters", err=True)
        meta = {"model_spec": model_spec, "dataset_spec": spec,
                "test_dataset_spec": None if no_test else test_spec,
                "train_config": config, "model_seed": seed, "n_params": n_params}

        def on_checkpoint(epoch: int, m, metrics: dict) -> None:
            save_checkpoint(out / f"{name}@{epoch}", m, {**meta, "epoch": epoch, "metrics": metrics})

        start = time.perf_counter()
        bar = RichProgress(config.epochs) if progress else None
        if bar is not None:
            with bar:
                result = train(net, data, config, test=test, device=device, progress=bar,
                               on_checkpoint=on_checkpoint)
        else:
            result = train(net, data, config, test=test, device=device, on_checkpoint=on_checkpoint)
        seconds = time.perf_counter() - start
        final_meta = {**meta, "epoch": result.epochs_run, "metrics": result.final, "history": result.history,
                      "stopped_early": result.stopped_early}
        path = save_checkpoint(out / name, net, final_meta)
    f = result.final
    why = f" (train loss < {stop_loss:g})" if result.stopped_early else ""
    test_part = "" if no_test else f" | test loss {f['test_loss']:.4f} acc {f['test_acc']:.4f}"
    typer.echo(f"trained {result.epochs_run} epochs{why} in {seconds:.3g} s | "
               f"train loss {f['train_loss']:.4g} acc {f['train_acc']:.4f}{test_part}")
    typer.echo(f"checkpoint: {path}")


def register(app: typer.Typer) -> None:
    """Add ``basinlab train`` to ``app``."""
    app.command(name="train")(train_command)
