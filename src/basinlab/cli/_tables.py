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


def make_console():
    """A rich console for stdout; 140 columns when stdout is not a terminal (logs, CI) so tables do not wrap."""
    import sys

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 140)


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
