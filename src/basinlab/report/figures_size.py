"""Data-size figures: volume vs dataset size with power-law fits (paper Fig. 10 right), volumes in a fixed
small landscape (Fig. 8/10 left), radius histograms (Fig. 9) and the cross-landscape matrix heat map."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..analysis.matrix import LandscapeMatrix
from ..analysis.powerlaw import PowerLawSkipped, fit_power_law, join_models, own_landscape
from ._select import at_threshold, clean, final, pick_threshold, settings_text
from .style import count_axis, human_number, series_style, set_caption, single_axes, size_axis, styled

__all__ = ["plot_volume_vs_size", "plot_fixed_landscape", "plot_radius_histograms", "plot_landscape_matrix"]


@styled
def plot_volume_vs_size(volumes: pd.DataFrame, models: pd.DataFrame, *, fits: pd.DataFrame | None = None,
                        threshold: float | None = None, ax=None) -> Figure | None:
    """log V of each minimum in its own landscape vs its training-set size, with the power-law fit per variant.

    Draws into ``ax`` if given (else a new figure); returns the figure, or None when fewer than two sizes.
    """
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty:
        return None
    data = at_threshold(own_landscape(volumes, models), threshold)
    finite = data[np.isfinite(data["log_volume"].astype(float))]
    sizes_per_variant = finite.groupby("variant")["landscape_size"].nunique()
    variants = list(sizes_per_variant[sizes_per_variant >= 2].index)
    if not variants:
        return None
    if fits is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PowerLawSkipped)
            fits = fit_power_law(volumes, models, by=("variant", "threshold"), n_boot=500)
    fig, ax = single_axes(ax, width=4.6, height=3.2)
    for i, variant in enumerate(variants):
        st = series_style(i)
        rows = finite[finite["variant"] == variant]
        ax.scatter(rows["landscape_size"], rows["log_volume"], color=st["color"], marker=st["marker"], s=14,
                   alpha=0.5, linewidths=0)
        fit = fits[(fits["variant"] == variant) & np.isclose(fits["threshold"], threshold)]
        label = variant
        if len(fit):
            f = fit.iloc[0]
            xs = np.geomspace(rows["landscape_size"].min(), rows["landscape_size"].max(), 50)
            ci = "" if not np.isfinite(f["alpha_lo"]) else f" [{f['alpha_lo']:.3g}, {f['alpha_hi']:.3g}]"
            label = f"{variant}: α = {f['alpha']:.3g}{ci}, R² = {f['r2']:.3f}"
            ax.plot(xs, f["intercept"] + f["slope"] * np.log(xs), color=st["color"], linestyle=st["linestyle"])
        means = rows.groupby("landscape_size")["log_volume"].mean()
        ax.plot(means.index, means.values, linestyle="none", marker=st["marker"], color=st["color"],
                markeredgecolor="black", markersize=6, label=label)
    size_axis(ax, finite["landscape_size"])
    ax.set_xlabel("training-set size D (examples, log scale)")
    ax.set_ylabel("log volume (nats)")
    ax.legend(frameon=False)
    n_inf = int(np.isneginf(data["log_volume"].astype(float)).sum())
    return set_caption(fig, (
        f"Basin log-volume of each minimum in its own landscape vs training-set size, least-squares fit of "
        f"log V on log D per variant (α = slope / n, 95% bootstrap CI over seeds); {settings_text(finite, threshold)}; "
        f"large markers = seed means; {n_inf} minima with centre loss above τ (log V = −∞) left out."))


@styled
def plot_fixed_landscape(volumes: pd.DataFrame, models: pd.DataFrame, *, landscape_size: int | None = None,
                         threshold: float | None = None, variant: str | None = None, ax=None) -> Figure | None:
    """log V of minima trained on D ≥ L examples, all measured in one small landscape L, with test accuracy
    (on a twin y axis of ``ax``, or of a new figure); returns the figure or None."""
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty:
        return None
    data = clean(at_threshold(final(join_models(volumes, models)), threshold))
    if variant is not None:
        data = data[data["variant"] == variant]
    counts = data.groupby("landscape_size")["train_size"].nunique()
    candidates = counts[counts >= 2]
    if candidates.empty:
        return None
    landscape_size = int(candidates.index.min()) if landscape_size is None else int(landscape_size)
    data = data[data["landscape_size"] == landscape_size]
    if variant is None:
        variant = str(data["variant"].value_counts().index[0])
        data = data[data["variant"] == variant]
    if data["train_size"].nunique() < 2:
        return None
    fig, ax = single_axes(ax, width=4.6, height=3.2)
    vol, acc = series_style(0), series_style(1)
    finite = data[np.isfinite(data["log_volume"].astype(float))]
    ax.scatter(finite["train_size"], finite["log_volume"], color=vol["color"], marker=vol["marker"], s=14, alpha=0.5)
    means = finite.groupby("train_size")["log_volume"].mean()
    ax.plot(means.index, means.values, color=vol["color"], marker=vol["marker"], linestyle=vol["linestyle"],
            label="log volume")
    size_axis(ax, data["train_size"])
    ax.set_xlabel("training-set size D of the minimum (examples, log scale)")
    ax.set_ylabel(f"log V in landscape L = {landscape_size} (nats)", color=vol["color"])
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    accs = data.groupby("train_size")["test_acc"].mean() * 100
    twin.plot(accs.index, accs.values, color=acc["color"], marker=acc["marker"], linestyle=acc["linestyle"],
              label="test accuracy")
    twin.set_ylabel("test accuracy (%)", color=acc["color"])
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], frameon=False, loc="lower center", ncol=2,
              bbox_to_anchor=(0.5, 1.0))
    return set_caption(fig, (
        f"Minima trained on D ≥ {landscape_size} examples, all measured in the landscape of the first "
        f"{landscape_size} examples (variant {variant}): log-volume (left axis) and mean test accuracy (right axis) vs D; "
        f"{settings_text(data, threshold)}, {data['seed_unit'].nunique()} seeds; "
        f"{len(data) - len(finite)} minima at −∞ (centre loss above τ) not drawn."))


@styled
def plot_radius_histograms(radii: pd.DataFrame, models: pd.DataFrame, *, landscape_size: int | None = None,
                           threshold: float | None = None, variant: str | None = None, ax=None) -> Figure | None:
    """Histogram of direction radii per minimum (one seed, one variant) in one landscape, into ``ax`` or a new
    figure; returns the figure or None."""
    if radii.empty or models.empty:
        return None
    threshold = pick_threshold(radii, threshold)
    data = clean(at_threshold(final(join_models(radii, models)), threshold))
    if variant is None and len(data):
        variant = str(data["variant"].value_counts().index[0])
    data = data[data["variant"] == variant]
    if data.empty:
        return None
    if landscape_size is None:
        counts = data.groupby("landscape_size")["train_size"].nunique()
        landscape_size = int(counts[counts == counts.max()].index.min())  # smallest landscape with most minima
    data = data[data["landscape_size"] == landscape_size]
    unit = sorted(data["seed_unit"].unique())[0]
    data = data[data["seed_unit"] == unit]
    finite = data[np.isfinite(data["radius"].astype(float)) & (data["radius"] > 0)]
    if finite.empty:
        return None
    fig, ax = single_axes(ax, width=4.6, height=3.0)
    bins = np.linspace(finite["radius"].min(), finite["radius"].max(), 30)
    for i, (size, rows) in enumerate(finite.groupby("train_size")):
        st = series_style(i)
        censored = int(rows["censored"].astype(bool).sum())
        label = f"D = {int(size):,}" + (f" ({censored} censored)" if censored else "")
        ax.hist(rows["radius"], bins=bins, histtype="step", color=st["color"], linestyle=st["linestyle"],
                linewidth=1.4, label=label)
    ax.set_xlabel("first-crossing radius r (parameter units)")
    ax.set_ylabel("directions (count)")
    count_axis(ax)
    ax.legend(frameon=False, title="trained on")
    k = data.groupby("model_id")["direction"].nunique().max()
    return set_caption(fig, (
        f"Distribution of the first-crossing radius over {k} random directions for each minimum (seed {unit}, "
        f"variant {variant}) in the landscape of {landscape_size} examples; {settings_text(data, threshold)}."))


@styled
def plot_landscape_matrix(matrix: LandscapeMatrix | None, *, ax=None) -> Figure | None:
    """Heat map of mean log-volume: minima (rows, by training size) × landscapes (columns, by size), into ``ax``
    (its colour bar beside it) or a new figure; returns the figure or None."""
    if matrix is None or matrix.values.empty:
        return None
    values = matrix.values.sort_index().sort_index(axis=1)
    grid = values.to_numpy(dtype=float)
    fig, ax = single_axes(ax, width=max(3.6, 0.9 * grid.shape[1] + 1.8), height=max(2.8, 0.6 * grid.shape[0] + 1.2))
    shown = np.ma.masked_invalid(grid)
    image = ax.imshow(shown, cmap="cividis", aspect="auto")
    for (i, j), v in np.ndenumerate(grid):
        if np.isneginf(v):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="white", edgecolor="0.4", hatch="///"))
            ax.text(j, i, "−∞", ha="center", va="center", fontsize=8)
        elif np.isfinite(v):
            light = shown.max() - v < 0.3 * (shown.max() - shown.min() + 1e-12)
            k = matrix.n_inf.reindex(index=values.index, columns=values.columns).iloc[i, j]
            text = human_number(v) + (f"\n({int(k)}× −∞)" if pd.notna(k) and k > 0 else "")
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black" if light else "white")
    ax.set_xticks(range(grid.shape[1]), [f"{int(c):,}" for c in values.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{int(r):,}" for r in values.index])
    ax.set_xlabel("landscape size (examples)")
    ax.set_ylabel("minimum trained on D examples")
    fig.colorbar(image, ax=ax, label="mean log volume (nats)")
    return set_caption(fig, (
        f"Cross-landscape matrix: mean finite log-volume over seeds of each minimum (row) in each landscape no larger "
        f"than its training set (column); variant {matrix.variant}, τ = {matrix.threshold:g}; hatched = centre "
        f"above τ for every seed (−∞), '(k× −∞)' = seeds left out; landscapes where the own minimum is not the largest: {matrix.violations} of "
        f"{len(matrix.checks)}."))
