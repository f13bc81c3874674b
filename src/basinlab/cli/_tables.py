"""Rich tables the CLI prints (imported only inside command bodies)."""

from __future__ import annotations

import math
from typing import Any


def _fmt(value: Any, spec: str = ".4g") -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "−inf" if value < 0 else "inf"
    return format(value, spec) if isinstance(value, (int, float)) else str(value)


def wide_console():
    """A rich Console on stdout; when stdout is not a terminal (piped, captured, a log) 200 columns wide, so tables
    are not squeezed into 80 columns."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=200)


def print_measure_rows(console, rows: list[dict[str, Any]], title: str, seed: int) -> None:
    """Rows of :func:`basinlab.measures.checkpoint.measure_checkpoint` as one table: value and stderr to 4
    significant digits, the seconds once per measure, and why a value is not a number when one is not."""
    from rich.table import Table

    landscapes = list(dict.fromkeys(r["landscape"] for r in rows))
    table = Table(title=f"{title} in {', '.join(landscapes) or '?'} (seed {seed})")
    several = len(landscapes) > 1
    for col in (["landscape"] if several else []) + ["measure", "value", "± stderr", "seconds"]:
        table.add_column(col, justify="left" if col in ("landscape", "measure") else "right")
    notes = any(r.get("reason") for r in rows)
    if notes:
        table.add_column("why not a number", justify="left")
    previous = None
    for r in rows:
        err = "—" if math.isnan(r["value"]) else "exact" if math.isnan(r["stderr"]) else _fmt(r["stderr"])
        same = (r["landscape"], r["settings"]) == previous  # outputs of one measure share its time
        cells = [r["measure"], _fmt(r["value"]), err, "" if same else f"{r['seconds']:.2f}"]
        table.add_row(*([r["landscape"]] if several else []), *cells, *([r.get("reason", "")] if notes else []))
        previous = (r["landscape"], r["settings"])
    console.print(table)


def print_volume_summary(console, result) -> None:
    """One row per threshold × landscape of a :class:`basinlab.volume.VolumeResult`."""
    from rich.table import Table

    frame = result.summary()
    table = Table(title=f"basin volume  (n = {result.n_params:,} parameters, K = {len(result.seeds)} directions)")
    accuracy = getattr(result, "threshold_kind", "loss") == "accuracy"  # levels of training accuracy
    for name in ("landscape", "accuracy level" if accuracy else "τ", "centre error" if accuracy else "centre loss",
                 "log V (nats)", "95% CI", "r min", "r median", "r max",
                 "top share", "censored"):
        table.add_column(name, justify="right")
    for row in frame.itertuples(index=False):
        ci = f"[{_fmt(row.log_volume_lo, '.0f')}, {_fmt(row.log_volume_hi, '.0f')}]"
        table.add_row(
            f"{row.landscape_size:,}", _fmt(row.threshold), _fmt(row.centre_loss, ".3g"), _fmt(row.log_volume, ".1f"), ci,
            _fmt(row.r_min), _fmt(row.r_median), _fmt(row.r_max), _fmt(row.top_share, ".2f"),
            f"{row.n_censored}/{row.n_directions}",
        )
    console.print(table)
