"""Measure-vs-generalisation scatter plots for the head-to-head of measures (issue 6's ``measures`` table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.measures import TARGETS, correlation_table, measure_frame
from .style import panel_axes, series_style, set_caption, styled

__all__ = ["plot_measures"]


@styled
def plot_measures(measures: pd.DataFrame, models: pd.DataFrame, *, target: str = "gap",
                  table: pd.DataFrame | None = None, max_panels: int = 9, fig=None) -> Figure | None:
    """One scatter panel per measure: measure value vs ``target``, coloured by training size, with τ and ρ;
    panels added to ``fig`` (a Figure or SubFigure) or to a new figure; returns the figure or None."""
    frame = measure_frame(measures, models)
    if frame.empty:
        return None
    table = correlation_table(measures, models, target=target) if table is None else table
    names = list(table["measure"])[:max_panels]
    if not names:
        return None
    ncols = min(3, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = panel_axes(fig, ncols, nrows, width=2.8, height=2.4)
    sizes = sorted(frame["train_size"].unique())
    for ax, name in zip(axes, names, strict=False):
        for i, size in enumerate(sizes):
            rows = frame[frame["train_size"] == size]
            st = series_style(i)
            ax.scatter(rows[target], rows[name], color=st["color"], marker=st["marker"], s=14, label=f"D = {int(size):,}")
        stats = table[table["measure"] == name].iloc[0]
        ax.set_title(f"{name}\nτ = {stats['kendall_tau']:.2f}, ρ = {stats['spearman_rho']:.2f}", fontsize=8)
        ax.set_xlabel(TARGETS[target].split(" (")[0])
        ax.set_ylabel(name)
        finite = frame[name][np.isfinite(frame[name].astype(float))]
        if len(finite) and (finite > 0).all() and finite.max() / finite.min() > 100:
            ax.set_yscale("log")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6), frameon=False, fontsize=7,
               title="trained on", title_fontsize=7)
    return set_caption(fig, (
        f"Each measure vs the {TARGETS[target]} over {len(frame)} final models; panel titles give Kendall τ and "
        f"Spearman ρ (table below has p-values and the granulated Kendall coefficient)."))
