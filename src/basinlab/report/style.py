"""Figure style: Okabe–Ito colours with distinct markers and line styles, so figures survive grey-scale print."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

__all__ = ["OKABE_ITO", "MARKERS", "LINESTYLES", "series_style", "styled", "new_figure", "save_figure", "png_bytes",
           "set_caption", "caption", "size_axis"]

# Okabe & Ito (2008) colour-blind-safe palette, without yellow (too light on white paper).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)))

RC = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none",
    "svg.hashsalt": "basinlab",
}


def series_style(i: int) -> dict:
    """Colour, marker and line style of the i-th series (cycles after seven)."""
    k = i % len(OKABE_ITO)
    return {"color": OKABE_ITO[k], "marker": MARKERS[k], "linestyle": LINESTYLES[k]}


def styles() -> Iterator[dict]:
    i = 0
    while True:
        yield series_style(i)
        i += 1


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 3.4, height: float = 2.8, **kwargs) -> tuple[Figure, list]:
    """A Figure (no pyplot, no global state) with ``nrows × ncols`` axes, each ``width × height`` inches."""
    import matplotlib as mpl

    with mpl.rc_context(RC):
        fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, [ax for row in axes for ax in row]


def save_figure(fig: Figure, folder: str | Path, name: str) -> tuple[Path, Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` into ``folder``, each to a temporary name then renamed (an
    interrupted report never leaves half a figure); returns both paths."""
    import os

    import matplotlib as mpl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    with mpl.rc_context(RC):
        for path, kwargs in ((png, {"dpi": 150, "metadata": {"Software": None}}),
                             (svg, {"metadata": {"Date": None, "Creator": None}})):
            tmp = path.with_name(f".{path.name}.tmp")
            fig.savefig(tmp, format=path.suffix[1:], **kwargs)
            os.replace(tmp, path)
    return png, svg


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (for inlining into HTML)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def styled(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a figure function inside the report's rc settings (fonts, spines) without touching global state."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib as mpl

        with mpl.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def set_caption(fig: Figure, text: str) -> Figure:
    """Attach the one-line caption (what it shows, with settings) that the HTML report prints under ``fig``."""
    fig.basinlab_caption = text  # type: ignore[attr-defined]
    return fig


def caption(fig: Figure) -> str:
    """The caption attached by :func:`set_caption` ('' if none)."""
    return str(getattr(fig, "basinlab_caption", ""))


def size_axis(ax, sizes, axis: str = "x") -> None:
    """Log-scaled size axis with one plain tick label per size present (no crowded minor labels)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ticks = sorted({int(s) for s in sizes})
    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(lambda v, _: f"{int(round(v)):,}")
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())
