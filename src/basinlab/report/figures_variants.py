"""Training-variant figures: poisoning (paper Fig. 6/7), SAM vs AdamW (Fig. 13), batch size (Fig. 26/27),
class imbalance (Fig. 12) and grokking (Fig. 14). Each returns None when its data is absent."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.powerlaw import join_models, own_landscape
from ._select import at_threshold, clean, final, pick_threshold, settings_text
from .style import panel_axes, series_style, set_caption, single_axes, size_axis, styled

__all__ = ["plot_poison", "plot_sam_vs_adamw", "plot_batch_size", "plot_imbalance", "plot_grokking"]


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[np.isfinite(frame["log_volume"].astype(float))]


def _n_inf(frame: pd.DataFrame) -> str:
    """'; k minima at −∞ (centre above τ) not drawn' or ''."""
    k = int(np.isneginf(frame["log_volume"].astype(float)).sum())
    return f"; {k} minima at −∞ (centre loss above τ) not drawn" if k else ""


def _percent(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(test_acc=frame["test_acc"] * 100)


def _mean_line(ax, frame: pd.DataFrame, x: str, y: str, style: dict, label: str, scatter: bool = True) -> None:
    if scatter:
        ax.scatter(frame[x], frame[y], color=style["color"], marker=style["marker"], s=12, alpha=0.45, linewidths=0)
    means = frame.groupby(x)[y].mean()
    ax.plot(means.index, means.values, color=style["color"], marker=style["marker"], linestyle=style["linestyle"],
            label=label)


@styled
def plot_poison(volumes: pd.DataFrame, models: pd.DataFrame, *, threshold: float | None = None,
                fig=None) -> Figure | None:
    """log V in the clean base landscape and test accuracy vs number of poisoned training examples: two panels
    added to ``fig`` (a Figure or SubFigure) or to a new figure; returns the figure or None."""
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty or not (models["poison"].fillna(0) > 0).any():
        return None
    data = at_threshold(final(join_models(volumes, models)), threshold)
    data = data[data["imbalance"].fillna("").astype(str) == ""]
    poisoned = data[data["poison"] > 0]
    if poisoned.empty:
        return None
    keys = poisoned[["dataset", "variant", "train_size"]].drop_duplicates()
    data = data.merge(keys, on=["dataset", "variant", "train_size"])
    data = data[data["landscape_size"] == data["train_size"]]  # the clean base landscape
    if data.empty:
        return None
    fig, (ax_v, ax_a) = panel_axes(fig, 2, width=3.4, height=2.8)
    for i, ((dataset, variant, size), rows) in enumerate(data.groupby(["dataset", "variant", "train_size"])):
        st = series_style(i)
        label = f"{dataset} {variant}, base {size}"
        _mean_line(ax_v, _finite(rows), "poison", "log_volume", st, label)
        _mean_line(ax_a, _percent(rows), "poison", "test_acc", st, label)
    ax_v.set_xlabel("poisoned examples added (count)")
    ax_v.set_ylabel("log V, clean base landscape (nats)")
    ax_a.set_xlabel("poisoned examples added (count)")
    ax_a.set_ylabel("test accuracy (%)")
    ax_v.legend(frameon=False)
    return set_caption(fig, (
        "Poisoned minima: log-volume in the clean base landscape (left) and test accuracy (right) vs the number "
        f"of wrongly-labelled examples added to the training set; {settings_text(data, threshold)}, "
        f"{data['seed_unit'].nunique()} seeds{_n_inf(data)}."))


@styled
def plot_sam_vs_adamw(volumes: pd.DataFrame, models: pd.DataFrame, *, threshold: float | None = None,
                      fig=None) -> Figure | None:
    """Own-landscape log V and test accuracy vs training size for SAM variants and the plain baseline: two panels
    added to ``fig`` or to a new figure; returns the figure or None."""
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty:
        return None
    data = at_threshold(own_landscape(volumes, models), threshold)
    if data.empty or not (data["sam_rho"] > 0).any() or not (data["sam_rho"] == 0).any():
        return None
    sam = sorted(data.loc[data["sam_rho"] > 0, "variant"].unique())
    plain = data[data["sam_rho"] == 0].groupby("variant")["train_size"].nunique().sort_values(ascending=False)
    variants = [str(plain.index[0])] + sam
    data = data[data["variant"].isin(variants)]
    fig, (ax_v, ax_a) = panel_axes(fig, 2, width=3.4, height=2.8)
    for i, variant in enumerate(variants):
        rows = data[data["variant"] == variant]
        rho = rows["sam_rho"].iloc[0]
        label = f"{variant} (SAM ρ = {rho:g})" if rho > 0 else f"{variant} ({rows['optimizer'].iloc[0]})"
        _mean_line(ax_v, _finite(rows), "train_size", "log_volume", series_style(i), label)
        _mean_line(ax_a, _percent(rows), "train_size", "test_acc", series_style(i), label)
    for ax in (ax_v, ax_a):
        size_axis(ax, data["train_size"])
        ax.set_xlabel("training-set size D (examples, log scale)")
    ax_v.set_ylabel("log volume, own landscape (nats)")
    ax_a.set_ylabel("test accuracy (%)")
    ax_v.legend(frameon=False)
    return set_caption(fig, (
        f"SAM vs {variants[0]}: log-volume of each minimum in its own landscape (left) and test accuracy (right) "
        f"vs training-set size; {settings_text(data, threshold)}, {data['seed_unit'].nunique()} seeds{_n_inf(data)}."))


@styled
def plot_batch_size(volumes: pd.DataFrame, models: pd.DataFrame, *, threshold: float | None = None,
                    fig=None) -> Figure | None:
    """For one fixed training set: log V vs batch size, and test accuracy vs log V coloured by batch size (two
    panels added to ``fig`` or to a new figure); returns the figure or None."""
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty:
        return None
    data = clean(at_threshold(own_landscape(volumes, models), threshold))
    data = data[data["sam_rho"].fillna(0) == 0]
    if data.empty:
        return None
    counts = data.groupby(["dataset", "train_size"])["batch_size"].nunique()
    if counts.max() < 2:
        return None
    dataset, size = counts.idxmax()
    data = data[(data["dataset"] == dataset) & (data["train_size"] == size)].copy()
    data["batch"] = np.where(data["batch_size"] == 0, size, data["batch_size"])  # 0 = full batch
    dropped = _n_inf(data)
    data = _finite(data)
    if data.empty:
        return None
    fig, (ax_v, ax_a) = panel_axes(fig, 2, width=3.4, height=2.8)
    _mean_line(ax_v, data, "batch", "log_volume", series_style(0), "log volume")
    ax_v.set_xscale("log", base=2)
    ax_v.set_xlabel("batch size (examples, log₂ scale; full batch = D)")
    ax_v.set_ylabel("log volume, own landscape (nats)")
    for i, (batch, rows) in enumerate(data.groupby("batch")):
        st = series_style(i)
        ax_a.scatter(rows["log_volume"], rows["test_acc"] * 100, color=st["color"], marker=st["marker"], s=20,
                     label=f"batch {batch}")
    ax_a.set_xlabel("log volume, own landscape (nats)")
    ax_a.set_ylabel("test accuracy (%)")
    ax_a.legend(frameon=False)
    return set_caption(fig, (
        f"Batch size on one training set ({dataset}, D = {int(size):,}): log-volume vs batch size (left) and test "
        f"accuracy vs log-volume per model (right); {settings_text(data, threshold)}, {len(data)} models{dropped}."))


@styled
def plot_imbalance(volumes: pd.DataFrame, models: pd.DataFrame, *, threshold: float | None = None,
                   ax=None) -> Figure | None:
    """log V of each minimum trained on class-imbalanced data in every landscape it was measured in, into ``ax``
    or a new figure; returns the figure or None."""
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty or not (models["imbalance"].fillna("").astype(str) != "").any():
        return None
    data = at_threshold(final(join_models(volumes, models)), threshold)
    data = data[data["imbalance"].fillna("").astype(str) != ""]
    finite = _finite(data)
    if finite.empty or finite["landscape_size"].nunique() < 2:
        return None
    fig, ax = single_axes(ax, width=4.6, height=3.0)
    for i, (_, rows) in enumerate(finite.groupby(["train_size", "seed_unit"])):
        st = series_style(i)
        rows = rows.sort_values("landscape_size")
        ax.plot(rows["landscape_size"], rows["log_volume"], color=st["color"], marker=st["marker"],
                linestyle=st["linestyle"], label=f"trained on D = {int(rows['train_size'].iloc[0]):,} (seed {rows['seed_unit'].iloc[0]})")
    own = finite[finite["landscape_size"] == finite["train_size"]].groupby("landscape_size")["log_volume"].mean()
    if len(own) >= 2:
        ax.plot(own.index, own.values, color="black", linestyle=":", linewidth=1.2, label="own landscape (mean)")
    size_axis(ax, finite["landscape_size"])
    ax.set_xlabel("landscape size (examples, log scale)")
    ax.set_ylabel("log volume (nats)")
    ax.legend(frameon=False, fontsize=7)
    n_inf = len(data) - len(finite)
    return set_caption(fig, (
        f"Class imbalance: log-volume of minima trained on class-imbalanced subsets ({data['imbalance'].iloc[0]}) in "
        f"each landscape they were measured in; {n_inf} (minimum, landscape) pairs with centre loss above τ "
        f"(−∞) not drawn; {settings_text(data, threshold)}."))


@styled
def plot_grokking(training: pd.DataFrame, volumes: pd.DataFrame, models: pd.DataFrame, *,
                  threshold: float | None = None, model_id: str | None = None, fig=None) -> Figure | None:
    """Train/test loss, accuracy and own-landscape log V vs epoch for one model measured at several epochs: three
    panels added to ``fig`` or to a new figure; returns the figure or None."""
    threshold = pick_threshold(volumes, threshold)
    if threshold is None or models.empty:
        return None
    data = at_threshold(join_models(volumes, models), threshold)
    data = data[(data["epoch"] >= 0) & (data["landscape_size"] == data["train_size"] + data["poison"].fillna(0))]
    counts = data.groupby("model_id")["epoch"].nunique()
    if counts.empty or counts.max() < 2:
        return None
    model_id = str(counts.idxmax()) if model_id is None else model_id
    measured = data[data["model_id"] == model_id]
    data = _finite(measured).sort_values("epoch")
    history = training[training["model_id"] == model_id].sort_values("epoch")
    fig, axes = panel_axes(fig, 3, width=2.9, height=2.6)
    if len(history):
        for i, column in enumerate(("train_loss", "test_loss")):
            st = series_style(i)
            ax_rows = history[np.isfinite(history[column].astype(float))]
            axes[0].plot(ax_rows["epoch"], ax_rows[column], color=st["color"], linestyle=st["linestyle"],
                         label=column.replace("_", " "))
        axes[0].set_yscale("log")
        for i, column in enumerate(("train_acc", "test_acc")):
            st = series_style(i)
            ax_rows = history[np.isfinite(history[column].astype(float))]
            axes[1].plot(ax_rows["epoch"], ax_rows[column] * 100, color=st["color"], linestyle=st["linestyle"],
                         label=column.replace("_acc", " accuracy").replace("_", " "))
    st = series_style(2)
    n_inf = int(np.isneginf(measured["log_volume"].astype(float)).sum())
    axes[2].plot(data["epoch"], data["log_volume"], color=st["color"], marker=st["marker"], linestyle=st["linestyle"])
    if data.empty:
        axes[2].text(0.5, 0.5, "log V = −∞ at every\nmeasured epoch\n(centre loss above τ)", ha="center",
                     va="center", transform=axes[2].transAxes)
        axes[2].set_yticks([])
        axes[2].set_xlim(measured["epoch"].min() - 1, measured["epoch"].max() + 1)
    axes[0].set_ylabel("loss (log scale)")
    axes[1].set_ylabel("accuracy (%)")
    axes[2].set_ylabel("log volume, own landscape (nats)")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[0].legend(frameon=False)
    axes[1].legend(frameon=False)
    info = models[models["model_id"] == model_id].iloc[0]
    return set_caption(fig, (
        f"Grokking ({info['dataset']}, variant {info['variant']}, D = {int(info['train_size']):,}): training and test "
        f"loss, accuracy, and log-volume in the training landscape vs epoch ({measured['epoch'].nunique()} measured "
        f"epochs, {n_inf} at −∞); {settings_text(measured, threshold)}."))
