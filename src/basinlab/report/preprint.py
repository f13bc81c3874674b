"""The report's "Preprint studies" section: head-to-head correlations, the batch gap and the reparameterisation
table, each beside the 2026 preprint's figures (arXiv:2605.05209), with one figure each.

Each part appears only when the run has what it needs: measures of ≥ 3 models (head-to-head), two batch sizes
at ≥ 1 training size (batch gap), measure rows of rescaled models ``<measure>@a=<a>`` (reparameterisation).
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.batch_gap import PAPER_BATCH_GAP, batch_size_gap, run_stop_loss
from ..analysis.preprint import head_to_head_table, reparam_table, varied_columns
from ..analysis.run import RunTables
from ..errors import BasinlabError

__all__ = ["preprint_section", "plot_head_to_head", "plot_batch_gap", "plot_reparam"]

PREPRINT = "M. T. Bennett, “Are Flat Minima an Illusion?”, arXiv:2605.05209 (2026)"


def plot_head_to_head(table: pd.DataFrame, ax=None, *, alpha: float = 0.05):
    """Horizontal bars of Kendall τ against test accuracy per measure (solid: p < ``alpha``, hatched otherwise);
    the preprint's coefficients as red diamonds. Draws into ``ax`` (else a new figure); returns the figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.28 * len(table) + 1.4))
    order = table.sort_values("kendall_tau_acc", na_position="first").reset_index(drop=True)
    for yi, r in order.iterrows():
        sig = bool(r["kendall_p_acc"] < alpha)
        ax.barh(yi, 0.0 if math.isnan(r["kendall_tau_acc"]) else r["kendall_tau_acc"],
                color="tab:blue" if sig else "none", edgecolor="tab:blue", hatch=None if sig else "//")
        if math.isfinite(r.get("paper", math.nan)):
            ax.plot(r["paper"], yi, "D", color="tab:red", label="preprint" if "preprint" not in
                    ax.get_legend_handles_labels()[1] else None)
    ax.set_yticks(np.arange(len(order)), order["measure"])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(f"Kendall τ with test accuracy (solid: p < {alpha:g})")
    if ax.get_legend_handles_labels()[1]:
        ax.legend(loc="lower right", fontsize=8)
    return ax.get_figure()


def plot_batch_gap(table: pd.DataFrame, ax=None):
    """Small − large batch test accuracy (points) per training size with its interval; the preprint's MNIST
    figures as red diamonds. Draws into ``ax`` (else a new figure); returns the figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    x = table["train_size"].to_numpy(float)
    y = table["gap_points"].to_numpy(float)
    err = np.vstack([y - table["lo"].to_numpy(float), table["hi"].to_numpy(float) - y])
    ax.errorbar(x, y, yerr=np.where(np.isfinite(err), err, 0), fmt="o-", capsize=4, label="ours (95% t interval)")
    ax.plot(list(PAPER_BATCH_GAP), list(PAPER_BATCH_GAP.values()), "D", color="tab:red", label="preprint (MNIST)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training images")
    ax.set_ylabel("small − large batch test accuracy (points)")
    ax.legend(fontsize=8)
    return ax.get_figure()


_VERDICT_MARK = {"exact": ("o", "tab:green"), "no": ("X", "tab:orange")}  # anything else: within 1e-3


def _reparam_label(r) -> str:
    """The number beside a measure's bar: its ratio when it moves, its largest relative change when it does not."""
    if r["measure"] == "prediction_agreement":
        return f"agreement {min(float(r[c]) for c in r.index if str(c).startswith('a=')):.4g}"
    if r["measure"] == "max_output_change":
        return f"|Δ output| ≤ {float(r['max_rel_change']):.1g}"
    if r["invariant"] == "no":
        return f"×{float(r['max_ratio']):,.3g}"
    return f"Δ ≤ {float(r['max_rel_change']):.1g}"


def plot_reparam(table: pd.DataFrame, ax=None, *, rtol: float = 1e-6):
    """log10 of the largest |rescaled / original| per measure (0 = unchanged), the verdict as the marker (circle:
    invariant to ``rtol``; square: to 1e-3; cross: not invariant) and the ratio or largest relative change written
    beside it. Draws into ``ax`` (else a new figure); returns the figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.28 * len(table) + 1.4))
    order = table.assign(_l=np.log10(table["max_ratio"].astype(float))).sort_values("_l", na_position="first")
    order = order.reset_index(drop=True)
    span = max(1.0, float(np.nanmax(np.abs(order["_l"].to_numpy(float)), initial=0.0)))
    for yi, r in order.iterrows():
        length = 0.0 if not math.isfinite(r["_l"]) else r["_l"]
        marker, colour = _VERDICT_MARK.get(r["invariant"], ("s", "tab:olive"))
        ax.barh(yi, length, color=colour, alpha=0.6)
        ax.plot(length, yi, marker, color=colour, markeredgecolor="black", markersize=6)
        ax.text(max(length, 0.0) + 0.03 * span, yi, _reparam_label(r), va="center", fontsize=7)
    ax.set_yticks(np.arange(len(order)), order["measure"])
    ax.axvline(0, color="black", linewidth=0.8)
    low = min(0.0, float(np.nanmin(order["_l"].to_numpy(float), initial=0.0)))
    ax.set_xlim(low - 0.05 * span, 1.45 * span)
    ax.set_xlabel(f"log10 max |rescaled / original|  (o: invariant to {rtol:g}; s: to 1e-3; X: not)")
    return ax.get_figure()


def _figure(fig, fig_dir: Path, name: str, title: str, caption: str) -> str:
    from .html import figure_html  # the report's own figure block (inline SVG, PDF/SVG/PNG downloads)

    return figure_html(fig, fig_dir, name, title, caption)


def preprint_section(tables: RunTables, run_dir: str | Path, fig_dir: Path,
                     render: Callable[[pd.DataFrame], str]) -> str:
    """HTML of the "Preprint studies" section ('' when the run has none of its studies)."""
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    parts: list[str] = []
    models, measures = tables.models, tables.measures
    dataset = str(models["dataset"].iloc[0]) if len(models) and "dataset" in models else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if len(measures) and models["model_id"].nunique() >= 3:
            table = head_to_head_table(measures, models, dataset)
            if len(table):
                varied = varied_columns(models)
                design = ("only the seeds of initialisation and data order differ" if not varied
                          else f"NOT seeds only: {', '.join(varied)} also vary")
                parts += [f"<h3>Head-to-head: every measure vs test accuracy and the gap ({len(models)} networks; "
                          f"{html.escape(design)})</h3>",
                          "<p class='muted'>Kendall τ-b and Spearman ρ with two-sided p-values over the run's final "
                          "models (analysis.correlation_table); gap = train_acc − test_acc. <b>paper</b>: the "
                          f"preprint's coefficient on {html.escape(str(dataset))} ({html.escape(PREPRINT)}; written ρ "
                          "in its abstract, target not stated; its 'sharpness' set beside hessian_top; its "
                          "'simplicity', MNIST p = 0.848, has no counterpart here). Larger weakness = predicted to "
                          "generalise better, so the preprint's claim is τ > 0 against test accuracy.</p>",
                          render(table)]
                fig = plot_head_to_head(table).figure
                parts.append(_figure(fig, fig_dir, "preprint_head_to_head", "Head-to-head: Kendall τ with test "
                                     "accuracy", "One bar per measure; red diamonds: the preprint's figures."))
                plt.close(fig)
        rp = reparam_table(measures) if len(measures) else pd.DataFrame()
        if len(rp):
            parts += ["<h3>Reparameterisation: every measure before and after a function-preserving rescaling</h3>",
                      "<p class='muted'>Rows of the rescaled models (<code>measure@a=&lt;a&gt;</code>: weight layer "
                      "× a, the next × 1/a; predictions identical), mean over models. <b>invariant</b>: 'exact' when "
                      "every rescaled value is within a relative 1e-6 of the original, 'to 0.001' within 1e-3 "
                      "(float32 measures), else 'no'. The preprint reports a ×100 Hessian "
                      "inflation.</p>", render(rp)]
            fig = plot_reparam(rp).figure
            parts.append(_figure(fig, fig_dir, "preprint_reparam", "Reparameterisation: change per measure",
                                 "log10 of the largest |rescaled / original| over models and factors."))
            plt.close(fig)
        if len(models) and models["batch_size"].replace(0, np.iinfo(np.int64).max).nunique() >= 2:
            stop = run_stop_loss(run_dir)
            try:
                gap = batch_size_gap(models, stop_loss=stop)
            except BasinlabError as exc:
                parts.append(f"<p class='note'>batch gap not computed: {html.escape(str(exc))}</p>")
                gap = pd.DataFrame()
            if len(gap):
                rule = (f"equal_loss: every model of both arms ended at training loss ≤ stop_loss = {stop:g}"
                        if stop is not None else "no stop_loss shared by both arms: equal training loss not checked")
                parts += ["<h3>Batch gap: small − large batch test accuracy per training size</h3>",
                          "<p class='muted'>Mean over seed pairs of 100·(test_acc small − large) with a 95% t "
                          f"interval (analysis.batch_size_gap); {html.escape(rule)}. <b>paper_points</b>: the "
                          "preprint's MNIST figures (+1.6 at 2,000, +0.02 at 60,000).</p>", render(gap)]
                fig = plot_batch_gap(gap).figure
                parts.append(_figure(fig, fig_dir, "preprint_batch_gap", "Batch gap per training size",
                                     "Ours with 95% t intervals; red diamonds: the preprint's MNIST figures."))
                plt.close(fig)
    if not parts:
        return ""
    return "<h2>Preprint studies</h2>" + "".join(parts)
