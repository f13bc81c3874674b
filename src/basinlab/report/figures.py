"""Every report figure of a run, in report order, with its caption; figures whose data is absent are skipped."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from matplotlib.figure import Figure

from ..analysis.matrix import LandscapeMatrix
from ..analysis.run import RunTables
from ..errors import BasinlabError
from .figures_measures import plot_measures
from .figures_size import (
    plot_fixed_landscape,
    plot_landscape_matrix,
    plot_radius_histograms,
    plot_volume_vs_size,
)
from .figures_variants import plot_batch_size, plot_grokking, plot_imbalance, plot_poison, plot_sam_vs_adamw
from .slice import LossSlice, plot_loss_slice
from .style import caption

__all__ = ["ReportFigure", "make_figures"]


@dataclass(frozen=True)
class ReportFigure:
    """One figure of the report: file stem, section title, the Figure, its one-line caption."""

    name: str
    title: str
    figure: Figure
    caption: str
    notes: tuple[str, ...] = field(default=())


def make_figures(tables: RunTables, *, matrix: LandscapeMatrix | None = None, fits=None,
                 threshold: float | None = None, loss_slice: LossSlice | None = None,
                 slice_threshold: float | None = None, slice_note: str = "",
                 skipped: list[str] | None = None) -> list[ReportFigure]:
    """Build every figure whose data is present in ``tables``; warnings raised while building are kept as notes.

    A figure whose data is malformed (a :class:`BasinlabError`) is skipped; the reason is appended to ``skipped``.
    """
    skipped = [] if skipped is None else skipped
    v, m = tables.volumes, tables.models
    builders = [
        ("volume_vs_size", "Basin volume vs dataset size (power law)",
         lambda: plot_volume_vs_size(v, m, fits=fits, threshold=threshold)),
        ("fixed_landscape", "Minima in one small landscape",
         lambda: plot_fixed_landscape(v, m, threshold=threshold)),
        ("landscape_matrix", "Cross-landscape matrix", lambda: plot_landscape_matrix(matrix)),
        ("radius_histograms", "Radius distributions", lambda: plot_radius_histograms(tables.radii, m, threshold=threshold)),
        ("loss_slice", "2-D loss slice through three minima",
         lambda: plot_loss_slice(loss_slice, threshold=slice_threshold, note=slice_note)),
        ("poison", "Poisoned vs clean minima", lambda: plot_poison(v, m, threshold=threshold)),
        ("sam_vs_adamw", "SAM vs plain training", lambda: plot_sam_vs_adamw(v, m, threshold=threshold)),
        ("batch_size", "Batch size, volume and test accuracy", lambda: plot_batch_size(v, m, threshold=threshold)),
        ("imbalance", "Class imbalance", lambda: plot_imbalance(v, m, threshold=threshold)),
        ("grokking", "Grokking", lambda: plot_grokking(tables.training, v, m, threshold=threshold)),
        ("measures", "Measures vs generalisation gap", lambda: plot_measures(tables.measures, m)),
    ]
    out = []
    for name, title, build in builders:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fig = build()
            except BasinlabError as exc:  # bad data for one figure: skip it, keep the reason
                warnings.warn(f"figure {name!r} not drawn: {exc}", stacklevel=2)
                fig = None
        if fig is not None:
            out.append(ReportFigure(name, title, fig, caption(fig), tuple(str(w.message) for w in caught)))
        else:
            skipped.extend(str(w.message) for w in caught if "not drawn" in str(w.message))
    return out
