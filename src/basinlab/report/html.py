"""``write_report(run_dir)``: one self-contained HTML page (inline PNG figures and CSS, no network)."""

from __future__ import annotations

import base64
import html
import math
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.claims import check_claims, claims_frame
from ..analysis.matrix import landscape_matrix
from ..analysis.measures import correlation_table
from ..analysis.powerlaw import FIT_COLUMNS, fit_power_law
from ..analysis.run import load_run, loss_thresholds_only
from ..analysis.table import table1
from ..errors import BasinlabError, ConfigError
from ..rundir import atomic_write_text, read_manifest
from .figures import make_figures
from .provenance import manifest_table, spec_table
from .style import save_figure
from .tables import Column, ReportTable, fmt_int, fmt_number, fmt_p, fmt_percent, fmt_text

__all__ = ["write_report", "format_value"]

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#111;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;margin:1.4em 0 .3em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0;max-width:100%}
th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top}th{background:#eef2f6;font-weight:600}
th.num,td.num{text-align:right}td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
th.text,td.text{text-align:left;overflow-wrap:break-word}
td.text{min-width:4em}
figure{margin:1.2em 0;break-inside:avoid}figure svg{display:block;max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#333;margin-top:.3em}
.note{color:#7a4b00;font-size:.85em}.muted{color:#555;font-size:.9em}
.files{font-size:.85em;color:#333}.files a{margin-right:.6em}
nav ol{columns:2;font-size:.9em}dl.read dt{font-weight:600;margin-top:.5em}dl.read dd{margin-left:1.2em}
table#table-claims{width:100%}table#table-claims td:last-child{min-width:8em}tr.reproduced td:last-child{background:#d8f0d8;color:#145214}
tr.not-reproduced td:last-child{background:#f7d7d7;color:#7a1010}tr.not-testable td:last-child{background:#e6e6e6;color:#444}
table#table-spec,table#table-manifest{width:100%}
table#table-spec td:first-child,table#table-manifest td:first-child{width:28%}
details pre{background:#f6f6f6;padding:.8em;font-size:.8em;white-space:pre-wrap;overflow-wrap:break-word}
@media print{body{max-width:none}.files{display:none}}
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


HOW_TO_READ = """
<p>This page reports one run of basinlab: models trained as the spec at the end of the page says, and the
volume of the basin around each trained minimum. The results come first (paper claims, then the summary
table, the figures and the detailed tables), the run's spec and manifest last.</p>
<dl class='read'>
<dt>log V (nats)</dt><dd>Log basin volume of a minimum θ*: along K random filter-normalised directions, r is the
first radius at which the loss leaves the level τ (the threshold); log V is the log-mean of rⁿ over the directions
plus the log volume of the unit ball, n the number of parameters. Larger = wider basin. It grows with n, so compare
log V within one architecture.</dd>
<dt>landscape</dt><dd>The training loss that defines the basin: the model's own training set ("own landscape"),
or the first L examples of it ("landscape L"), so minima trained on different sets can be measured in one
landscape.</dd>
<dt>α</dt><dd>Power-law exponent: the slope of log V on log D (D = training-set size) divided by n, so V ∝ D^(α·n).
Negative α: minima trained on more data have smaller basins. Intervals are 95% bootstrap intervals over seeds.</dd>
<dt>−∞</dt><dd>A minimum whose own loss at the centre is already above τ has no basin at that level (log V = −∞).
It is counted and left out of fits and means, never silently dropped.</dd>
<dt>Verdicts</dt><dd>Each paper claim carries the rule that decides it, the paper's number, ours with its
uncertainty, and a verdict: reproduced, not reproduced, or not testable here (with the reason).</dd>
<dt>Figures and tables</dt><dd>Every series has its own marker and line style, so the figures read in grey-scale
print. Under each figure: PDF, SVG and 300-dpi PNG; under each table: CSV (full precision) and LaTeX (booktabs).
All downloads are inside this page (it can be moved alone); the same files are written beside it in
<code>figures/</code> and <code>tables/</code>.</dd>
</dl>
"""

_VERDICT_CLASS = {"reproduced": "reproduced", "not reproduced": "not-reproduced", "not testable here": "not-testable"}


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _downloads(links: list[tuple[str, str, bytes, str]]) -> str:
    """'Download: PDF · SVG …' as data-URI links (they work wherever the page is moved)."""
    anchors = "".join(f"<a download='{html.escape(fname)}' href='{_data_uri(data, mime)}'>{html.escape(label)}</a>"
                      for label, fname, data, mime in links)
    return f"<p class='files'>Download: {anchors}</p>"


def _table_block(table: ReportTable, out: Path, level: str = "h2") -> str:
    """Heading, note, the table, and its CSV/LaTeX (written to ``out/tables`` and linked as data URIs)."""
    folder = out / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    csv, tex = table.to_csv(), table.to_latex()
    atomic_write_text(folder / f"{table.name}.csv", csv)
    atomic_write_text(folder / f"{table.name}.tex", tex)
    note = f"<p class='muted'>{table.note}</p>" if table.note else ""
    files = _downloads([("CSV", f"{table.name}.csv", csv.encode(), "text/csv"),
                        ("LaTeX", f"{table.name}.tex", tex.encode(), "application/x-tex")])
    return f"<section id='{table.name}'><{level}>{html.escape(table.title)}</{level}>{note}{table.to_html()}{files}</section>"


def _claims_table(frame: pd.DataFrame) -> ReportTable:
    data = frame.assign(
        claim=[f"{k}: {s}" for k, s in zip(frame["key"], frame["statement"], strict=True)],
        verdict_text=[v + (f" ({w})" if w else "") for v, w in zip(frame["verdict"], frame["why"], strict=True)])
    counts = frame["verdict"].value_counts()
    note = html.escape(f"{counts.get('reproduced', 0)} reproduced, {counts.get('not reproduced', 0)} not reproduced, "
                       f"{counts.get('not testable here', 0)} not testable here. Each verdict follows the rule beside "
                       "it, computed from this run's tables.")
    cols = [Column("experiment", "experiment", fmt_text, text=True), Column("claim", "claim", fmt_text, text=True),
            Column("rule", "rule", fmt_text, text=True), Column("paper", "paper", fmt_text, text=True),
            Column("ours", "ours", fmt_text, text=True), Column("uncertainty", "uncertainty", fmt_text, text=True),
            Column("verdict", "verdict_text", fmt_text, text=True)]
    return ReportTable("claims", "Paper claims", data, cols, note,
                       row_class=lambda row: _VERDICT_CLASS.get(row["verdict"], "not-testable"))


def _table1(t1: pd.DataFrame) -> ReportTable:
    cols = [Column("dataset", "dataset", fmt_text), Column("variant", "variant", fmt_text),
            Column("parameters n", "n_params", fmt_int), Column("τ", "threshold"), Column("α", "alpha"),
            Column("α 95% CI", ("alpha_lo", "alpha_hi")), Column("R²", "r2"), Column("seeds", "n_seeds", fmt_int),
            Column("smallest D", "size_small", fmt_int), Column("largest D", "size_large", fmt_int),
            Column("test acc. at smallest D", "test_acc_small", fmt_percent),
            Column("test acc. at largest D", "test_acc_large", fmt_percent),
            Column("−∞ left out", "n_excluded", fmt_int)]
    note = ("α = slope of log V (nats) on log D, divided by n; 95% bootstrap interval over seeds. Test accuracy is "
            "averaged over seeds at the smallest and largest training size. '−∞ left out' = minima whose centre loss "
            "is above τ in their own landscape, left out of the fit.")
    return ReportTable("table1", "Table 1: power-law exponent and test accuracy", t1, cols, note)


def _fits_table(fits: pd.DataFrame) -> ReportTable:
    keys = [c for c in fits.columns if c not in FIT_COLUMNS]
    cols = [Column("τ" if k == "threshold" else k, k, fmt_number if k == "threshold" else fmt_text) for k in keys]
    cols += [Column("α", "alpha"), Column("α 95% CI", ("alpha_lo", "alpha_hi")),
             Column("slope (nats per log D)", "slope"), Column("slope 95% CI", ("slope_lo", "slope_hi")),
             Column("intercept (nats)", "intercept"), Column("R²", "r2"), Column("parameters n", "n_params", fmt_int),
             Column("points", "n_points", fmt_int), Column("seeds", "n_seeds", fmt_int),
             Column("sizes", "n_sizes", fmt_int), Column("−∞ left out", "n_excluded", fmt_int)]
    note = ("Least-squares fit of log V = intercept + slope · log D over every finite minimum in its own landscape; "
            "α = slope / n, intervals are 95% bootstrap intervals over seeds.")
    return ReportTable("power_law_fits", "Power-law fits (every threshold)", fits, cols, note)


def _matrix_table(matrix) -> ReportTable:
    values = matrix.values.sort_index().sort_index(axis=1)
    data = values.reset_index(names="trained_on")
    data.columns = ["trained_on", *[f"L{c}" for c in values.columns]]
    cols = [Column("trained on D \\ landscape L", "trained_on", fmt_int)]
    cols += [Column(f"L = {int(c):,}", f"L{c}") for c in values.columns]
    note = ("Mean finite log-volume (nats) over seeds; rows: training size of the minimum, columns: landscape size. "
            f"Own minimum not the largest in <b>{matrix.violations}</b> of {len(matrix.checks)} (seed, landscape) pairs.")
    return ReportTable("landscape_matrix", f"Landscape matrix (variant {matrix.variant}, τ = {matrix.threshold:g})",
                       data, cols, note)


def _correlation_table(corr: pd.DataFrame) -> ReportTable:
    cols = [Column("measure", "measure", fmt_text), Column("models", "n", fmt_int), Column("Kendall τ", "kendall_tau"),
            Column("p (Kendall)", "kendall_p", fmt_p), Column("Spearman ρ", "spearman_rho"),
            Column("p (Spearman)", "spearman_p", fmt_p), Column("granulated Kendall Ψ", "granulated_kendall")]
    return ReportTable("measures", "Measures vs generalisation gap (train acc. − test acc.)", corr, cols,
                       "Rank correlation of each measure with the generalisation gap over the final models.")


def _accuracy_table(accuracy: pd.DataFrame) -> ReportTable:
    cols = [Column("model", "model_id", fmt_text), Column("epoch", "epoch", fmt_int),
            Column("landscape", "landscape", fmt_text), Column("accuracy level", "threshold"),
            Column("centre error", "centre_loss"), Column("log V (nats)", "log_volume"),
            Column("log V 95% CI", ("log_volume_lo", "log_volume_hi")), Column("median r", "r_median"),
            Column("largest r", "r_max"), Column("censored", "n_censored", fmt_int)]
    return ReportTable("accuracy_volumes", "Accuracy-threshold volumes", accuracy, cols,
                       "Accuracy level = training-accuracy level: a ray leaves the basin where accuracy falls below "
                       "it; centre error = the centre's error rate (1 − accuracy).")


def _table(frame: pd.DataFrame) -> str:
    """Any DataFrame as a page table: text columns left, numbers formatted for people (for other sections)."""
    if frame is None or frame.empty:
        return '<p class="muted">No rows.</p>'
    cols = [Column(str(c).replace("_", " "), c, fmt_text, text=True) if frame[c].dtype == object
            else Column(str(c).replace("_", " "), c) for c in frame.columns]
    return ReportTable("extra", "", frame.reset_index(drop=True), cols).to_html().replace(" id='table-extra'", "")


_SVG_ID = re.compile(r"""(\bid=["']|url\(#|href=["']#)([^"')]+)""")


def _inline_svg(svg: str, prefix: str, title: str) -> str:
    """The SVG file as an inline element: no XML prolog, ids made unique to this figure, scaled to the page."""
    start = svg.index("<svg")
    body = _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg[start:])
    size = re.search(r'<svg[^>]*?\swidth="([0-9.]+)pt"\s+height="[^"]*"', body)
    width = f"width:{float(size.group(1)) * 4 / 3:.0f}px;" if size else ""  # its print size at 96 px per inch
    body = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", body, count=1)
    return body.replace("<svg", f"<svg role='img' aria-label='{html.escape(title)}' style='{width}'", 1)


def figure_html(fig, fig_dir: Path, name: str, title: str, caption: str, notes: tuple[str, ...] = ()) -> str:
    """Save ``fig`` as PDF/SVG/PNG in ``fig_dir`` and return its ``<figure>``: the SVG inline, the three files as
    data-URI downloads, so the page shows and offers them wherever it is moved."""
    png, svg, pdf = save_figure(fig, fig_dir, name)
    svg_text = svg.read_text(encoding="utf-8")
    files = _downloads([("PDF", pdf.name, pdf.read_bytes(), "application/pdf"),
                        ("SVG", svg.name, svg_text.encode(), "image/svg+xml"),
                        ("PNG (300 dpi)", png.name, png.read_bytes(), "image/png")])
    notes_html = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)
    return (f"<figure id='fig-{name}'><h3>{html.escape(title)}</h3>{_inline_svg(svg_text, name, title)}"
            f"<figcaption>{html.escape(caption)}</figcaption>{notes_html}{files}</figure>")


def _figure_block(item, fig_dir: Path) -> str:
    return figure_html(item.figure, fig_dir, item.name, item.title, item.caption, item.notes)


def write_report(run_dir: str | Path, *, loss_slice: bool = True, slice_resolution: int = 31,
                 threshold: float | None = None, n_boot: int = 2000, seed: int = 0, device: str | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> Path:
    """Write ``RUN_DIR/report/index.html`` (self-contained), its figures (``figures/*.pdf|svg|png``) and tables
    (``tables/*.csv|tex``).

    ``threshold`` picks the τ of the figures (default: the largest present); the tables list every τ.
    ``loss_slice`` tries the 2-D slice from the run's checkpoints (skipped with a note if they cannot be
    loaded); its loss grid is computed on ``device`` (default: cpu). Bootstrap intervals use ``n_boot`` resamples
    seeded by ``seed``. ``progress(done, total, step)`` hears each finished step (claims, fits, matrix, slice,
    each figure saved, the page); ``total`` grows once the figures are known. Returns the HTML path.
    """
    steps = {"done": 0, "total": 5 + bool(loss_slice)}  # claims, fits, matrix, (slice), figures drawn, page

    def say(step: str, more: int = 0) -> None:
        steps["done"] += 1
        steps["total"] += more
        if progress is not None:
            progress(steps["done"], steps["total"], step)

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
    say("paper claims")
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
    say("Table 1 and power-law fits")
    matrix = None
    if len(tables.volumes):
        try:
            matrix = landscape_matrix(tables.volumes, tables.models)
        except BasinlabError as exc:
            notes.append(f"landscape matrix: {exc}")
    corr = correlation_table(tables.measures, tables.models) if len(tables.measures) else None
    say("landscape matrix and measures")
    the_slice, slice_note = None, ""
    if loss_slice:
        from .slice_run import slice_from_run

        the_slice, reason = slice_from_run(tables, run_dir, resolution=slice_resolution, device=device)
        if the_slice is None:
            notes.append(f"2-D loss slice not drawn: {reason}")
        say(f"2-D loss slice ({slice_resolution}×{slice_resolution} grid)")
    figures = make_figures(tables, matrix=matrix, fits=fits, threshold=threshold, loss_slice=the_slice,
                           slice_threshold=threshold or (float(tables.volumes["threshold"].max()) if len(tables.volumes) else None),
                           slice_note=slice_note, skipped=notes)
    say(f"{len(figures)} figures drawn", more=len(figures))
    out = run_dir / "report"
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    facts = read_manifest(run_dir)
    from .. import __version__

    spec = facts.get("spec") if isinstance(facts.get("spec"), dict) else {}
    title = f"basinlab report: {spec['name']}" if spec.get("name") else "basinlab report"
    results: list[tuple[str, str, str]] = []  # (anchor, contents entry, html)
    if claims is not None:
        if claims.empty:
            results.append(("claims", "Paper claims", "<section id='claims'><h2>Paper claims</h2><p class='muted'>"
                            "Nothing in this run is testable against the paper.</p></section>"))
        else:
            results.append(("claims", "Paper claims", _table_block(_claims_table(claims), out)))
    results.append(("table1", "Table 1", _table_block(_table1(t1), out)))
    def saved(k: int, item: Any) -> str:
        block = _figure_block(item, fig_dir)
        say(f"figure {k}/{len(figures)} saved (PDF, SVG, PNG)")
        return block

    figure_html = "".join(saved(k, item) for k, item in enumerate(figures, 1)) or \
        "<p class='muted'>No figure has data in this run yet.</p>"
    results.append(("figures", "Figures", f"<section id='figures'><h2>Figures</h2>{figure_html}</section>"))
    if fits is not None:
        results.append(("power_law_fits", "Power-law fits", _table_block(_fits_table(fits), out)))
    if matrix is not None:
        results.append(("landscape_matrix", "Landscape matrix", _table_block(_matrix_table(matrix), out)))
    if len(accuracy):
        results.append(("accuracy_volumes", "Accuracy-threshold volumes", _table_block(_accuracy_table(accuracy), out)))
    if corr is not None:
        results.append(("measures", "Measures vs generalisation gap", _table_block(_correlation_table(corr), out)))
    from .preprint import preprint_section  # the preprint's studies (issue 11), when the run has them

    preprint = preprint_section(tables, run_dir, fig_dir, _table)
    if preprint:
        results.append(("preprint", "Preprint studies", f"<section id='preprint'>{preprint}</section>"))
    if notes:
        results.append(("notes", "Notes", "<section id='notes'><h2>Notes</h2><ul>"
                        + "".join(f"<li class='note'>{html.escape(n)}</li>" for n in notes) + "</ul></section>"))
    spec_tab, manifest_tab = spec_table(run_dir, facts), manifest_table(facts)
    spec_path = run_dir / "spec.toml"
    raw = spec_path.read_text(encoding="utf-8") if spec_path.exists() else ""
    if spec_tab is not None:
        extra = (f"<details><summary>spec.toml as written</summary><pre>{html.escape(raw)}</pre></details>"
                 if raw else "")
        results.append(("spec", "Spec", _table_block(spec_tab, out).replace("</section>", extra + "</section>")))
    else:
        results.append(("spec", "Spec", "<section id='spec'><h2>Spec</h2><p class='muted'>No spec.toml.</p></section>"))
    if manifest_tab is not None:
        results.append(("manifest", "Versions and manifest", _table_block(manifest_tab, out)))
    else:
        results.append(("manifest", "Versions and manifest", "<section id='manifest'><h2>Versions and manifest</h2>"
                        "<p class='muted'>No manifest.sqlite (or no key/value table in it): versions unknown."
                        "</p></section>"))
    contents = "".join(f"<li><a href='#{a}'>{html.escape(t)}</a></li>" for a, t, _ in results)
    header = (f"<h1>{html.escape(title)}</h1>"
              + (f"<p>{html.escape(str(spec['description']))}</p>" if spec.get("description") else "")
              + f"<p class='muted'>Run directory <code>{html.escape(str(run_dir.resolve()))}</code> · basinlab "
              f"{html.escape(__version__)} · {len(tables.models):,} models, {len(tables.volumes):,} volume rows, "
              f"{len(tables.radii):,} radii, {len(tables.measures):,} measure rows.</p>"
              f"<nav><ol><li><a href='#how-to-read'>How to read this report</a></li>{contents}</ol></nav>"
              f"<section id='how-to-read'><h2>How to read this report</h2>{HOW_TO_READ}</section>")
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style>"
            f"<link rel='icon' href='data:,'></head><body>{header}{''.join(h for _, _, h in results)}</body></html>\n")
    path = out / "index.html"
    atomic_write_text(path, page)
    say("page and tables written")
    return path
