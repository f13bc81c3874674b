"""Options every command shares, declared once so names, help and behaviour match across commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only results and errors: no progress, no notes.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v",
                                       help="Also print the library's log lines (each batch of directions, ...).")]
Threads = Annotated[int | None, typer.Option("--threads", min=1, help="Torch threads (default: all cores).")]
TaskThreads = Annotated[int | None, typer.Option(
    "--threads", min=1, help="Torch threads per task (default: the spec's [resources] num_cpus, else the "
                             "executor's share of the cores).")]
Device = Annotated[str, typer.Option("--device", help="Where to compute: cpu, cuda, cuda:N or auto.")]
Json = Annotated[str | None, typer.Option("--json", metavar="FILE",
                                          help="Write the result as JSON to FILE ('-': stdout, instead of the table).")]
Factory = Annotated[str | None, typer.Option(
    "--model", metavar="MODULE:CALLABLE",
    help="Your model's code, for a checkpoint of a model made by it (basinlab runs code a file names only when "
         "you name it too).")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Directory with dataset files.")]


def _memory_size(value: str | None) -> str | None:
    """Check a --max-memory value as it is parsed (one-line error before any work)."""
    if value is not None:
        from basinlab.models.size import parse_memory

        parse_memory(value, "--max-memory")
    return value


MaxMemory = Annotated[str | None, typer.Option(
    "--max-memory", metavar="SIZE", callback=_memory_size,
    help="Refuse a model whose training would need more memory than SIZE (e.g. 8G, 512M; default: "
         "$BASINLAB_MAX_MEMORY, else the available memory).")]


def json_clean(value: Any) -> Any:
    """``value`` with NaN and infinities as None, numpy scalars as Python numbers, tuples as lists, paths as text."""
    import math

    if isinstance(value, dict):
        return {str(k): json_clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def write_json(value: Any, target: str) -> None:
    """Write ``value`` as valid JSON (NaN -> null) to stdout (``target == '-'``) or to file ``target`` (atomically)."""
    import json

    text = json.dumps(json_clean(value), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    if target == "-":
        typer.echo(text, nl=False)
        return
    from basinlab.errors import check_output_file
    from basinlab.rundir import atomic_write_text

    check_output_file(target, "--json")
    atomic_write_text(target, text)


def frame_records(frame) -> list[dict[str, Any]]:
    """A DataFrame as a list of row dicts (JSON-ready after :func:`json_clean`)."""
    return [dict(zip(map(str, frame.columns), row, strict=True)) for row in frame.itertuples(index=False)]
