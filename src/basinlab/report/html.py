"""``write_report(run_dir)``: one self-contained HTML page (inline PNG figures and CSS, no network)."""

from __future__ import annotations

import base64
import html
import math
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.claims import check_claims, claims_frame
from ..analysis.matrix import landscape_matrix
from ..analysis.measures import correlation_table
from ..analysis.powerlaw import fit_power_law
from ..analysis.run import load_run, loss_thresholds_only
from ..analysis.table import format_table1, table1
from ..errors import BasinlabError, ConfigError
from ..rundir import read_manifest
from .figures import make_figures
from .style import save_figure

__all__ = ["write_report", "format_value"]

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#111;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85em;margin:.6em 0}th,td{border:1px solid #bbb;padding:.25em .55em;text-align:right}
th{background:#eef2f6}td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.85em;max-height:22em}
table.facts td{text-align:left;word-break:break-word}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9em;color:#333}
.note{color:#7a4b00;font-size:.85em}
table.claims td,table.claims th{text-align:left;vertical-align:top}td.reproduced{background:#d8f0d8;color:#145214}
td.not-reproduced{background:#f7d7d7;color:#7a1010}td.not-testable{background:#e6e6e6;color:#444}.muted{color:#555;font-size:.9em}
@media print{body{max-width:none}figure{break-inside:avoid}}
"""


def format_value(value: Any) -> str:
    """Table cell text: −∞ for -inf, '—' for NaN/None, 4 significant digits for floats."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "—"
    if isinstance(value, float):
        if math.isinf(value):
            return "−∞" if value < 0 else "∞"
        return f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _table(frame: pd.DataFrame, *, index: bool = False, index_name: str = "") -> str:
    if frame is None or frame.empty:
        return '<p class="muted">No rows.</p>'
    cols = ([index_name] if index else []) + [str(c) for c in frame.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for idx, row in frame.iterrows():
        cells = ([format_value(idx)] if index else []) + [format_value(v.item() if hasattr(v, "item") else v) for v in row]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def _facts(facts: dict[str, Any]) -> str:
    if not facts:
        return '<p class="muted">No manifest.sqlite (or no key/value table in it): versions unknown.</p>'
    def show(value: Any) -> str:
        if isinstance(value, dict) and all(not isinstance(v, (dict, list)) for v in value.values()):
            return ", ".join(f"{k} {v}" for k, v in value.items())
        if isinstance(value, list) and len(value) > 8:
            return f"{len(value)} entries"
        text = str(value)
        return text if len(text) <= 300 else text[:300] + " …"

    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(show(v))}</td></tr>" for k, v in facts.items())
    return f"<table class='facts'><thead><tr><th>key</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"


_VERDICT_CLASS = {"reproduced": "reproduced", "not reproduced": "not-reproduced", "not testable here": "not-testable"}


def _claims_section(frame: pd.DataFrame) -> str:
    """The "Paper claims" table: one row per claim, the verdict cell coloured by verdict."""
    head = "<h2>Paper claims</h2>"
    if frame.empty:
        return head + '<p class="muted">Nothing in this run is testable against the paper.</p>'
    counts = frame["verdict"].value_counts()
    summary = (f"{counts.get('reproduced', 0)} reproduced, {counts.get('not reproduced', 0)} not reproduced, "
               f"{counts.get('not testable here', 0)} not testable here. Each verdict follows the rule beside it, "
               "computed from this run's tables.")
    cols = ("experiment", "claim", "rule", "paper", "ours", "uncertainty", "verdict")
    rows = []
    for r in frame.itertuples(index=False):
        claim = f"<b>{html.escape(r.key)}</b><br>{html.escape(r.statement)}"
        verdict = html.escape(r.verdict) + (f"<br><small>{html.escape(r.why)}</small>" if r.why else "")
        cells = [html.escape(r.experiment), claim, html.escape(r.rule), html.escape(r.paper), html.escape(r.ours),
                 html.escape(r.uncertainty)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells)
                    + f"<td class='{_VERDICT_CLASS.get(r.verdict, 'not-testable')}'>{verdict}</td></tr>")
    return (f"{head}<p class='muted'>{html.escape(summary)}</p><div class='scroll'><table class='claims'><thead><tr>"
            + "".join(f"<th>{c}</th>" for c in cols) + f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(run_dir: str | Path, *, loss_slice: bool = True, slice_resolution: int = 31,
                 threshold: float | None = None, n_boot: int = 2000, seed: int = 0) -> Path:
    """Write ``RUN_DIR/report/index.html`` (self-contained) and ``RUN_DIR/report/figures/*.png|svg``.

    ``threshold`` picks the τ of the figures (default: the largest present); the tables list every τ.
    ``loss_slice`` tries the 2-D slice from the run's checkpoints (skipped with a note if they cannot be
    loaded). Bootstrap intervals use ``n_boot`` resamples seeded by ``seed``. Returns the HTML path.
    """
    tables = load_run(run_dir)
    run_dir = Path(run_dir)
    # figures, fits and claims are about loss thresholds; accuracy-threshold volumes get their own table
    kinds = tables.volumes.get("threshold_kind", pd.Series("loss", index=tables.volumes.index))
    accuracy = tables.volumes[kinds == "accuracy"]
    tables = loss_thresholds_only(tables)
    if threshold is not None and len(tables.volumes):
        present = sorted(float(x) for x in tables.volumes["threshold"].unique())
        if not any(math.isclose(threshold, x, rel_tol=1e-9) for x in present):
            raise ConfigError(f"--threshold {threshold:g} was not measured in {str(run_dir)!r}; use one of "
                              f"{', '.join(f'{x:g}' for x in present)} (or leave it out for the largest)")
    notes: list[str] = []
    claims = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # a claim that cannot be computed must not cost the report: note it and go on
            claims = claims_frame(check_claims(tables, seed=seed, n_boot=n_boot))
        except Exception as exc:  # noqa: BLE001 - the claims section is optional; any failure becomes a note
            notes.append(f"paper claims not computed: {type(exc).__name__}: {exc}")
    t1, fits = pd.DataFrame(), None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:  # a malformed table must not cost the whole report: say what failed and go on
            t1 = table1(tables, n_boot=n_boot, seed=seed)
            if len(tables.volumes):
                fits = fit_power_law(tables.volumes, tables.models, n_boot=n_boot, seed=seed)
        except BasinlabError as exc:
            notes.append(f"power-law fit: {exc}")
    notes += [str(w.message) for w in caught]
    matrix = None
    if len(tables.volumes):
        try:
            matrix = landscape_matrix(tables.volumes, tables.models)
        except BasinlabError as exc:
            notes.append(f"landscape matrix: {exc}")
    corr = correlation_table(tables.measures, tables.models) if len(tables.measures) else None
    the_slice, slice_note = None, ""
    if loss_slice:
        from .slice_run import slice_from_run

        the_slice, reason = slice_from_run(tables, run_dir, resolution=slice_resolution)
        if the_slice is None:
            notes.append(f"2-D loss slice not drawn: {reason}")
    figures = make_figures(tables, matrix=matrix, fits=fits, threshold=threshold, loss_slice=the_slice,
                           slice_threshold=threshold or (float(tables.volumes["threshold"].max()) if len(tables.volumes) else None),
                           slice_note=slice_note, skipped=notes)
    out = run_dir / "report"
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    spec_text = (run_dir / "spec.toml").read_text(encoding="utf-8") if (run_dir / "spec.toml").exists() else ""
    facts = read_manifest(run_dir)
    from .. import __version__

    parts = [f"<h1>basinlab report</h1><p class='muted'>Run directory <code>{html.escape(str(run_dir.resolve()))}</code>"
             f" · basinlab {html.escape(__version__)} · {len(tables.models)} models, {len(tables.volumes)} volume rows, "
             f"{len(tables.radii)} radii, {len(tables.measures)} measure rows.</p>",
             _claims_section(claims) if claims is not None else "",
             "<h2>Spec</h2>", f"<pre>{html.escape(spec_text) or '(no spec.toml)'}</pre>",
             "<h2>Versions and manifest</h2>", _facts(facts),
             "<h2>Table 1: power-law exponent and test accuracy</h2>",
             "<p class='muted'>α = slope of log V (nats) on log D / n, 95% bootstrap interval over seeds; test accuracy "
             "averaged over seeds at the smallest and largest training size; '−∞ left out' = minima whose centre loss "
             "is above τ in their own landscape (log V = −∞), left out of the fit.</p>",
             _table(format_table1(t1) if len(t1) else t1)]
    if fits is not None:
        parts += ["<h2>Power-law fits (every threshold)</h2>", _table(fits)]
    if matrix is not None:
        parts += [f"<h2>Landscape matrix (variant {html.escape(matrix.variant)}, τ = {matrix.threshold:g})</h2>",
                  "<p class='muted'>Mean finite log-volume (nats) over seeds; rows: training size of the minimum, "
                  "columns: landscape size. Own minimum not the largest in "
                  f"<b>{matrix.violations}</b> of {len(matrix.checks)} (seed, landscape) pairs.</p>",
                  _table(matrix.values, index=True, index_name="trained on \\ landscape")]
    if len(accuracy):
        cols = ["model_id", "epoch", "landscape", "threshold", "centre_loss", "log_volume", "log_volume_lo",
                "log_volume_hi", "r_median", "r_max", "n_censored"]
        parts += ["<h2>Accuracy-threshold volumes</h2>",
                  "<p class='muted'>threshold = training-accuracy level: a ray leaves the basin where accuracy falls "
                  "below it; centre_loss = the centre's error rate (1 − accuracy).</p>",
                  _table(accuracy[cols].rename(columns={"threshold": "accuracy level", "centre_loss": "centre error"}))]
    if corr is not None:
        parts += ["<h2>Measures vs generalisation gap (train_acc − test_acc)</h2>", _table(corr)]
    from .preprint import preprint_section  # the preprint's studies (issue 11), when the run has them

    parts.append(preprint_section(tables, run_dir, fig_dir, _table))
    parts.append("<h2>Figures</h2>")
    for item in figures:
        png, _, _ = save_figure(item.figure, fig_dir, item.name)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        parts.append(f"<figure id='{item.name}'><h3>{html.escape(item.title)}</h3>"
                     f"<img alt='{html.escape(item.title)}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{html.escape(item.caption)} <a href='figures/{item.name}.pdf'>PDF</a> <a href='figures/{item.name}.svg'>SVG</a></figcaption>"
                     + "".join(f"<p class='note'>{html.escape(n)}</p>" for n in item.notes) + "</figure>")
    if not figures:
        parts.append("<p class='muted'>No figure has data in this run yet.</p>")
    if notes:
        parts += ["<h2>Notes</h2>", "<ul>" + "".join(f"<li class='note'>{html.escape(n)}</li>" for n in notes) + "</ul>"]
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>basinlab report</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style>"
            f"<link rel='icon' href='data:,'></head><body>{''.join(parts)}</body></html>\n")
    path = out / "index.html"
    _atomic_write(path, page)
    return path
