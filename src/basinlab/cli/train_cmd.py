"""``basinlab train``: train one model on one dataset and write a checkpoint (thin over basinlab.train)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basinlab.cli._options import DataDir, Device, MaxMemory, Quiet, Threads, Verbose


def _parse_batch(text: str) -> int | None:
    from basinlab.errors import ConfigError

    if text.strip().lower() in ("full", "0", "none"):
        return None
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--batch-size {text!r} must be a positive integer or 'full'") from None


def _train_config(**choices):
    """``TrainConfig(**choices)``; its errors name this command's options (``--lr``, ``--asam``), not its fields."""
    import re

    from basinlab.errors import ConfigError
    from basinlab.train import TrainConfig
    from basinlab.train.config import FIELD_RULES, TrainConfigError

    try:
        return TrainConfig(**choices)
    except TrainConfigError as exc:
        options = {name: "--" + name.replace("_", "-") for name in FIELD_RULES} | {"sam_adaptive": "--asam"}
        reason = re.sub(r"\b(" + "|".join(options) + r")\b(?=\s*[=<>])", lambda m: options[m.group(1)], exc.reason)
        value = "" if isinstance(exc.value, bool) else f" {exc.value!r}"
        raise ConfigError(f"{options[exc.field]}{value} {reason}") from None


def train_command(
    dataset: Annotated[str, typer.Option("--dataset",
        help="Dataset: swiss-roll, modular, digits, fashion-mnist, mnist, cifar10, svhn, or MODULE:CALLABLE for "
             "your own data (called with split='train' or 'test'; runs your code).")],
    out: Annotated[Path, typer.Option("--out",
        help="Directory for the checkpoint (<out>/<name>.safetensors + .json).")],
    size: Annotated[str | None, typer.Option("--size",
        help="Training examples: count (2000), fraction (0.1), percentage (10%) or 'all' (default).")] = None,
    data_seed: Annotated[int, typer.Option("--data-seed",
        help="Seed of the nested subset permutation and poison draws.")] = 0,
    poison: Annotated[int, typer.Option("--poison", help="Extra wrongly-labelled training examples.")] = 0,
    data_dir: DataDir = None,
    model: Annotated[str, typer.Option("--model",
        help="Preset: mlp, mlp-deep, mlp-cifar, mlp-swiss, mlp-swiss-large, mlp-modular, cnn, cnn-cifar; "
        "'auto' picks by dataset; or MODULE:CALLABLE returning your own torch.nn.Module (runs your code).")] = "auto",
    hidden: Annotated[str | None, typer.Option("--hidden",
        help="Hidden widths (MLP) or channels (CNN), e.g. 256,128.")] = None,
    width: Annotated[int | None, typer.Option("--width",
        help="Set every hidden width (e.g. modular MLP).")] = None,
    dropout: Annotated[float, typer.Option("--dropout",
        help="Dropout probability after each hidden ReLU.")] = 0.0,
    optimizer: Annotated[str, typer.Option("--optimizer", help="Optimizer: adamw or sgd.")] = "adamw",
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate.")] = 1e-3,
    weight_decay: Annotated[float, typer.Option("--weight-decay",
        help="Weight decay (AdamW default 0.01).")] = 0.01,
    momentum: Annotated[float, typer.Option("--momentum", help="SGD momentum.")] = 0.0,
    nesterov: Annotated[bool, typer.Option("--nesterov", help="Nesterov momentum (SGD).")] = False,
    sam_rho: Annotated[float, typer.Option("--sam-rho", help="SAM radius; > 0 trains with SAM.")] = 0.0,
    asam: Annotated[bool, typer.Option("--asam", help="Adaptive SAM (needs --sam-rho).")] = False,
    batch_size: Annotated[str, typer.Option("--batch-size", help="Examples per step, or 'full'.")] = "64",
    epochs: Annotated[int, typer.Option("--epochs", help="Maximum epochs.")] = 100,
    stop_loss: Annotated[float | None, typer.Option("--stop-loss",
        help="Stop once the full training loss (eval mode) is below this.")] = None,
    schedule: Annotated[str, typer.Option("--schedule",
        help="Learning-rate schedule: constant, step or cosine (warm-up + cosine).")] = "constant",
    warmup_epochs: Annotated[int, typer.Option("--warmup-epochs",
        help="Warm-up epochs for --schedule cosine.")] = 0,
    swa_start: Annotated[int | None, typer.Option("--swa-start",
        help="Average weights from this epoch on.")] = None,
    loss: Annotated[str, typer.Option("--loss", help="Loss: cross_entropy or mse.")] = "cross_entropy",
    checkpoint_epochs: Annotated[str | None, typer.Option("--checkpoint-epochs",
        help="Also save <name>@<epoch> at these epochs, e.g. 0,500,1000.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of model init, data order and dropout.")] = 0,
    name: Annotated[str, typer.Option("--name", help="Checkpoint file name (without extension).")] = "model",
    device: Device = "cpu",
    threads: Threads = None,
    max_memory: MaxMemory = None,
    no_test: Annotated[bool, typer.Option("--no-test", help="Do not evaluate on the test split.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
        help="Show progress on stderr (a bar on a terminal, a line per 10% of epochs otherwise).")] = True,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Train one model and save it as a checkpoint."""
    from basinlab.cli._progress import configure, interruptible
    from basinlab.errors import check_name
    from basinlab.models import count_parameters
    from basinlab.models.size import memory_limit
    from basinlab.parse import parse_list, parse_size
    from basinlab.runtime import limit_threads
    from basinlab.train.session import train_model

    output = configure(quiet or not progress, verbose)
    check_name(name, "--name")
    from basinlab.errors import check_at_least, check_input_dir, check_output_dir
    from basinlab.runtime import resolve_device

    check_output_dir(out, "--out")  # before any work: a bad output place fails now, not after training
    check_input_dir(data_dir, "--data-dir")
    check_at_least(seed, 0, "--seed")
    check_at_least(data_seed, 0, "--data-seed")
    check_at_least(threads, 1, "--threads")
    resolve_device(device)
    config = _train_config(
        optimizer=optimizer, lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
        sam_rho=sam_rho, sam_adaptive=asam, batch_size=_parse_batch(batch_size), epochs=epochs,
        stop_loss=stop_loss, schedule=schedule, warmup_epochs=warmup_epochs, swa_start=swa_start, loss=loss,
        checkpoint_epochs=tuple(parse_list(checkpoint_epochs, int, "--checkpoint-epochs", "0,500,1000")), seed=seed,
    )

    def on_epoch(info: dict) -> None:
        loss_now, acc = info.get("train_loss", float("nan")), info.get("test_acc", float("nan"))
        note = "" if loss_now != loss_now else f"train loss {loss_now:.4f}"
        bar.update(info["epoch"], info["epochs"], note=note + ("" if acc != acc else f"  test acc {acc:.3f}"))

    kept = (f"only the checkpoints of --checkpoint-epochs already reached are kept in {out}; training does not "
            f"resume: rerun the command") if config.checkpoint_epochs else "nothing was saved; rerun the command"
    with interruptible(kept), limit_threads(threads), memory_limit(max_memory), \
            output.bar("training", epochs, unit="epochs") as bar:
        trained = train_model(
            dataset, config, out, name, size=parse_size(size), data_seed=data_seed, poison=poison, model=model,
            hidden=tuple(parse_list(hidden, int, "--hidden", "256,128")) or None, width=width, dropout=dropout,
            test=not no_test, data_dir=data_dir, device=device, progress=on_epoch,
            on_model=lambda data, _spec: output.note(f"data  {data.describe()}"))
    kind = trained.model_spec.kind
    shape = f" {kind}" if trained.model_spec.user else f" {kind} {list(trained.model_spec.hidden)}"
    output.note(f"model{shape}: {count_parameters(trained.model):,} parameters")
    f, result = trained.result.final, trained.result
    why = f" (train loss < {stop_loss:g})" if result.stopped_early else ""
    test_part = "" if no_test else f" | test loss {f['test_loss']:.4f} acc {f['test_acc']:.4f}"
    typer.echo(f"trained {result.epochs_run} epochs{why} in {trained.seconds:.3g} s | "
               f"train loss {f['train_loss']:.4g} acc {f['train_acc']:.4f}{test_part}")
    typer.echo(f"checkpoint: {trained.path}")


def register(app: typer.Typer) -> None:
    """Add ``basinlab train`` to ``app``."""
    app.command(name="train")(train_command)
