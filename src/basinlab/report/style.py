"""Figure style: Okabe–Ito colours with distinct markers and line styles, so figures survive grey-scale print."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..numbers import human_number  # noqa: F401 - part of this module's API

__all__ = ["OKABE_ITO", "MARKERS", "LINESTYLES", "FORMATS", "series_style", "styled", "new_figure", "single_axes",
           "panel_axes", "save_figure", "png_bytes", "set_caption", "caption", "size_axis", "count_axis", "human_number"]

# Okabe & Ito (2008) colour-blind-safe palette, without yellow (too light on white paper).
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)))

RC = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "axes.spines.top": False, "axes.spines.right": False,
    "svg.fonttype": "path",  # glyphs as shapes: the page and the file look the same without the font installed
    "svg.hashsalt": "basinlab", "pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType in PDF: text stays text
}
FORMATS = ("pdf", "svg", "png")  # what save_figure writes; PNG at PNG_DPI
PNG_DPI = 300


def series_style(i: int) -> dict:
    """Colour, marker and line style of the i-th series: no two of the first 49 share marker and line style,
    so series stay apart in grey-scale print (colours repeat after seven)."""
    k = i % len(OKABE_ITO)
    return {"color": OKABE_ITO[k], "marker": MARKERS[k], "linestyle": LINESTYLES[(k + i // len(OKABE_ITO)) % len(LINESTYLES)]}


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


def single_axes(ax: Any = None, *, width: float, height: float) -> tuple[Any, Any]:
    """(figure, ax): ``ax``'s own figure when an Axes is given, else a new figure of ``width × height`` inches."""
    if ax is not None:
        return ax.get_figure(), ax
    fig, (ax,) = new_figure(width=width, height=height)
    return fig, ax


def panel_axes(fig: Any = None, ncols: int = 1, nrows: int = 1, *, width: float, height: float,
               **kwargs) -> tuple[Any, list]:
    """(figure, axes): ``nrows × ncols`` panels added to ``fig`` (a Figure or SubFigure) when given, else to a new
    figure with panels of ``width × height`` inches."""
    if fig is None:
        return new_figure(ncols, nrows, width=width, height=height, **kwargs)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, [ax for row in axes for ax in row]


_SAVE_OPTIONS = {
    "pdf": {"metadata": {"CreationDate": None, "Creator": None, "Producer": None}},
    "svg": {"metadata": {"Date": None, "Creator": None}},
    "png": {"dpi": PNG_DPI, "metadata": {"Software": None}},
}


def save_figure(fig: Figure, folder: str | Path, name: str) -> tuple[Path, Path, Path]:
    """Write ``name.png`` (300 dpi), ``name.svg`` and ``name.pdf`` into ``folder``; returns (png, svg, pdf).

    Each file is written to a temporary name then renamed (an interrupted report never leaves half a figure).
    The saved bounding box is the figure's drawn content plus a small margin, so no label is cut off.
    """
    import matplotlib as mpl

    from ..rundir import atomic_path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {fmt: folder / f"{name}.{fmt}" for fmt in FORMATS}
    with mpl.rc_context(RC):
        for fmt, path in paths.items():
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, bbox_inches="tight", pad_inches=0.03, **_SAVE_OPTIONS[fmt])
    return paths["png"], paths["svg"], paths["pdf"]


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


def count_axis(ax, axis: str = "y") -> None:
    """Ticks at whole numbers only (for counts)."""
    from matplotlib.ticker import MaxNLocator

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))
