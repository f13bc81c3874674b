"""Compact text and HTML views of a :class:`~basinlab.volume.VolumeResult` (its ``repr`` and notebook cell).

One row per threshold × landscape (at most :data:`MAX_ROWS`): centre loss, log-volume in nats, median and
largest radius, censored directions. The arrays themselves stay in the object (``radii``, ``to_frame()``).
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

__all__ = ["volume_repr", "volume_html", "MAX_ROWS"]

MAX_ROWS = 12
_COLUMNS = ("threshold", "landscape", "centre loss", "log-volume (nats)", "median r", "max r", "censored")


def _num(x: float) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "-inf" if x == -math.inf else ("inf" if x == math.inf else "nan")
    return f"{x:.4g}"


def _rows(result: Any) -> tuple[list[tuple[str, ...]], int]:
    rows = []
    total = len(result.thresholds) * len(result.landscapes)
    k = len(result.seeds)
    for ti, tau in enumerate(result.thresholds):
        for li, size in enumerate(result.landscapes):
            if len(rows) == MAX_ROWS:
                return rows, total - MAX_ROWS
            r = result.radii[:, ti, li]
            above = not bool(result.centre_loss[li] <= tau)
            rows.append((
                f"{float(tau):g}", f"{int(size):,}", _num(float(result.centre_loss[li])),
                "-inf (centre above τ)" if above else f"{result.log_volume(float(tau), int(size)):.6g}",
                _num(float(np.median(r))) if k else "nan", _num(float(r.max())) if k else "nan",
                f"{int(result.censored[:, ti, li].sum())}/{k}",
            ))
    return rows, 0


def _headline(result: Any) -> str:
    return (f"VolumeResult: {len(result.seeds)} directions, n = {int(result.n_params):,} parameters, "
            f"normalization {result.normalization!r}, loss {result.loss!r}")


def volume_repr(result: Any) -> str:
    """A few lines: the settings, then one aligned row per threshold × landscape."""
    rows, more = _rows(result)
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(_COLUMNS)]
    lines = [_headline(result), "  " + "  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True))]
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    if more:
        lines.append(f"  … {more} more rows: see .summary()")
    return "\n".join(line.rstrip() for line in lines)


def volume_html(result: Any) -> str:
    """The same as a small HTML table (Jupyter's ``_repr_html_``)."""
    rows, more = _rows(result)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    foot = f"<p>… {more} more rows: see <code>.summary()</code></p>" if more else ""
    return (f"<div><p><b>{html.escape(_headline(result))}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{foot}</div>")
