"""Figures and the self-contained HTML report of a run directory.

Each ``plot_*`` function takes run-directory DataFrames and returns a matplotlib Figure (with a one-line
caption, see :func:`caption`) or None when its data is absent. :func:`write_report` puts them all on one page.
"""

from .figures import ReportFigure, make_figures
from .figures_measures import plot_measures
from .figures_size import (
    plot_fixed_landscape,
    plot_landscape_matrix,
    plot_radius_histograms,
    plot_volume_vs_size,
)
from .figures_variants import plot_batch_size, plot_grokking, plot_imbalance, plot_poison, plot_sam_vs_adamw
from .html import write_report
from .slice import LossSlice, loss_slice, plot_loss_slice
from .style import OKABE_ITO, caption, save_figure

__all__ = [
    "write_report", "make_figures", "ReportFigure", "caption", "save_figure", "OKABE_ITO",
    "plot_volume_vs_size", "plot_fixed_landscape", "plot_radius_histograms", "plot_landscape_matrix",
    "plot_poison", "plot_sam_vs_adamw", "plot_batch_size", "plot_imbalance", "plot_grokking", "plot_measures",
    "LossSlice", "loss_slice", "plot_loss_slice",
]
