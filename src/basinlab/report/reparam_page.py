"""The reparameterisation demo's page: per dataset the function check and every measure before and after a
function-preserving rescaling (tables), and one figure with a panel per dataset, beside the preprint's ×100."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..rundir import atomic_write_text
from .html import CSS, _table, figure_html
from .preprint import PREPRINT, plot_reparam

__all__ = ["write_reparam_page"]

READ = ("Each network is measured as trained (a = 1) and after its first hidden layer's weights and biases are "
        "multiplied by a and the next layer's weights by 1/a (Dinh et al. 2017): a ReLU network then computes the "
        "same function. <b>max_output_change</b>: the largest |Δ output| over every output of every training and "
        "held-out input (both networks evaluated in float64; the rescaled weights are float32, rounded once); "
        "<b>prediction_agreement</b>: the fraction of inputs whose predicted class is unchanged. Other rows: the "
        "measure's mean over models at each a; <b>max ratio</b> = largest |rescaled / original|; <b>invariant</b> = "
        "'exact' when every relative change is ≤ 1e-6 (function rows: |Δ output| ≤ 1e-4, agreement 1), 'to 0.001' "
        "within 1e-3 (float32 measures), else 'no'. The preprint ({preprint}) reports a Hessian inflation of two "
        "orders of magnitude (×100) with no prediction changed.")


def write_reparam_page(tables: dict[str, pd.DataFrame], out: str | Path, *, runs: dict[str, Path] | None = None,
                       summary: list[str] | None = None) -> Path:
    """Write ``out/index.html`` (self-contained) and its figure ``out/figures/reparam_demo.{pdf,svg,png}`` from
    dataset → :func:`basinlab.analysis.preprint.reparam_table`. Returns the HTML path."""
    import matplotlib.pyplot as plt

    out = Path(out)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    heights = [len(t) for t in tables.values()]
    fig, axes = plt.subplots(1, len(tables), figsize=(6.2 * len(tables), 0.3 * max(heights) + 1.6), squeeze=False)
    for ax, (dataset, table) in zip(axes[0], tables.items(), strict=True):
        plot_reparam(table, ax=ax)
        ax.set_title(dataset)
    fig.tight_layout()
    figure = figure_html(fig, fig_dir, "reparam_demo", "Change of every measure under the rescaling",
                         "log10 of the largest |rescaled / original| per measure and dataset (0 = unchanged; the "
                         "function rows have no ratio and sit at 0 when the function is unchanged).")
    plt.close(fig)
    parts = [f"<h1>Reparameterisation demo: {html.escape(', '.join(tables))}</h1>",
             f"<p class='muted'>{READ.format(preprint=html.escape(PREPRINT))}</p>"]
    if summary:
        parts.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary) + "</ul>")
    for dataset, table in tables.items():
        where = f" (run directory <code>{html.escape(str(runs[dataset]))}</code>)" if runs and dataset in runs else ""
        parts += [f"<h2>{html.escape(dataset)}</h2><p class='muted'>Every measure before and after{where}.</p>",
                  _table(table)]
        table.to_csv(out / f"reparam_{dataset}.csv", index=False)
    parts.append(figure)
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Reparameterisation demo</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style>"
            f"<link rel='icon' href='data:,'></head><body>{''.join(parts)}</body></html>\n")
    path = out / "index.html"
    atomic_write_text(path, page)
    return path
