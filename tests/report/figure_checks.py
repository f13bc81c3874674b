"""Checks on a drawn matplotlib figure: nothing clipped, every series distinguishable without colour."""

from __future__ import annotations

import numpy as np


def renderer(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def clipped(fig) -> list[str]:
    """Artists (axes with their labels and ticks, legends, texts) whose drawn extent leaves the figure."""
    drawn, box = renderer(fig), fig.bbox
    out = []
    for artist in fig.get_children():
        extent = artist.get_tightbbox(drawn) if artist.get_visible() and hasattr(artist, "get_tightbbox") else None
        if extent is not None and (extent.x0 < box.x0 - 0.5 or extent.y0 < box.y0 - 0.5 or extent.x1 > box.x1 + 0.5
                                   or extent.y1 > box.y1 + 0.5):
            out.append(f"{type(artist).__name__} {getattr(artist, 'get_label', lambda: '')()!r} {extent.extents} "
                       f"outside {box.extents}")
    return out


def _grey_signature(handle):
    """What tells a legend entry apart without colour: marker shape and dash pattern (or hatch)."""
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    dashes = getattr(handle, "_unscaled_dash_pattern", (None, None))
    dashes = (dashes[0], tuple(dashes[1]) if dashes[1] is not None else None)
    if isinstance(handle, Line2D):
        marker = handle.get_marker() if handle.get_marker() not in ("", " ", "None", None) else None
        return ("line", marker, dashes if handle.get_linestyle() not in ("None", "", " ") else None)
    if isinstance(handle, PathCollection):
        return ("scatter", tuple(np.round(handle.get_paths()[0].vertices, 3).ravel()))
    return (type(handle).__name__, dashes, getattr(handle, "get_hatch", lambda: None)())


def grey_clashes(fig) -> list[str]:
    """Pairs of differently-labelled series in one panel (twin axes together) that share marker and line style."""
    out, seen = [], set()
    for ax in fig.axes:
        if ax in seen or ax.get_label() == "<colorbar>":
            continue
        group = [a for a in fig.axes if a is ax or (a.bbox.bounds == ax.bbox.bounds and a.get_label() != "<colorbar>")]
        seen.update(group)
        by_signature: dict = {}
        for a in group:
            for handle, label in zip(*a.get_legend_handles_labels(), strict=True):
                by_signature.setdefault(_grey_signature(handle), set()).add(label)
        out += [f"{sorted(labels)} share {sig}" for sig, labels in by_signature.items() if len(labels) > 1]
    return out
