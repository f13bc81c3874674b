"""Every figure function renders from the fixture run, has a caption with its settings, and returns None
when its data is absent."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from figure_checks import clipped, grey_clashes, renderer
from matplotlib.figure import Figure

from basinlab.analysis import landscape_matrix, load_run
from basinlab.report import (
    caption,
    make_figures,
    plot_batch_size,
    plot_fixed_landscape,
    plot_grokking,
    plot_imbalance,
    plot_landscape_matrix,
    plot_measures,
    plot_poison,
    plot_radius_histograms,
    plot_sam_vs_adamw,
    plot_volume_vs_size,
)
from synthetic_run import make_synthetic_run


def _figures(t):
    v, m = t.volumes, t.models
    return {
        "volume_vs_size": lambda: plot_volume_vs_size(v, m),
        "fixed_landscape": lambda: plot_fixed_landscape(v, m),
        "radius_histograms": lambda: plot_radius_histograms(t.radii, m),
        "landscape_matrix": lambda: plot_landscape_matrix(landscape_matrix(v, m)),
        "poison": lambda: plot_poison(v, m),
        "sam_vs_adamw": lambda: plot_sam_vs_adamw(v, m),
        "batch_size": lambda: plot_batch_size(v, m),
        "imbalance": lambda: plot_imbalance(v, m),
        "grokking": lambda: plot_grokking(t.training, v, m),
        "measures": lambda: plot_measures(t.measures, m),
    }


NAMES = [
    "volume_vs_size", "fixed_landscape", "radius_histograms", "landscape_matrix", "poison", "sam_vs_adamw",
    "batch_size", "imbalance", "grokking", "measures"]


@pytest.mark.parametrize("name", NAMES)
def test_figure_renders_with_caption(name, fixture_tables):
    fig = _figures(fixture_tables)[name]()
    assert not clipped(fig), clipped(fig)
    assert not grey_clashes(fig), grey_clashes(fig)
    assert isinstance(fig, Figure)
    text = caption(fig)
    assert len(text) > 40 and "\n" not in text
    if name not in ("measures",):
        assert "τ = 0.1" in text
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data() and not ax.get_label() == "<colorbar>":
            twins = ax.get_shared_x_axes().get_siblings(ax)  # a twinx axis shares its partner's x label
            assert any(a.get_xlabel() for a in twins) and ax.get_ylabel(), f"{name}: unlabelled axis"


def test_power_law_figure_shows_the_fitted_exponent(fixture_tables):
    fig = plot_volume_vs_size(fixture_tables.volumes, fixture_tables.models)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    alpha = float(next(lbl for lbl in labels if lbl.startswith("adamw")).split("α = ")[1].split()[0])
    assert alpha == pytest.approx(-0.3, abs=0.02)
    assert "1 minima with centre loss above τ" in caption(fig)


def test_variant_figures_are_none_without_their_data(tmp_path):
    bare = load_run(make_synthetic_run(tmp_path / "bare", extras=False, sizes=(50, 200), seeds=(0,), n_inf=0))
    figs = _figures(bare)
    for name in ("poison", "sam_vs_adamw", "batch_size", "imbalance", "grokking", "measures"):
        assert figs[name]() is None, name
    for name in ("volume_vs_size", "fixed_landscape", "radius_histograms", "landscape_matrix"):
        assert figs[name]() is not None, name


def test_figures_are_none_for_an_empty_run(fixture_tables):
    empty = {k: getattr(fixture_tables, k).iloc[0:0] for k in ("models", "training", "volumes", "radii", "measures")}
    assert plot_volume_vs_size(empty["volumes"], empty["models"]) is None
    assert plot_radius_histograms(empty["radii"], empty["models"]) is None
    assert plot_grokking(empty["training"], empty["volumes"], empty["models"]) is None
    assert plot_measures(empty["measures"], empty["models"]) is None
    assert plot_landscape_matrix(None) is None


def test_make_figures_lists_every_present_figure(fixture_tables):
    items = make_figures(fixture_tables, matrix=landscape_matrix(fixture_tables.volumes, fixture_tables.models))
    assert [i.name for i in items] == [n for n in (
        "volume_vs_size", "fixed_landscape", "landscape_matrix", "radius_histograms", "poison", "sam_vs_adamw",
        "batch_size", "imbalance", "grokking", "measures")]
    assert all(i.caption for i in items)


def test_matrix_heat_map_marks_minus_infinity():
    import pandas as pd

    from basinlab.analysis.matrix import LandscapeMatrix

    values = pd.DataFrame([[-np.inf, np.nan], [-5.0, -9.0]], index=[10, 20], columns=[10, 20])
    n_inf = pd.DataFrame([[3, pd.NA], [0, 0]], index=[10, 20], columns=[10, 20]).astype("Int64")
    m = LandscapeMatrix(values, n_inf, pd.DataFrame(), pd.DataFrame({"own_largest": [False]}), 1, 0.1, "adamw")
    fig = plot_landscape_matrix(m)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "−∞" in texts and "-5" in texts and "-9" in texts
    assert "1 of 1" in caption(fig)


def test_imbalance_draws_one_line_per_minimum(fixture_tables):
    fig = plot_imbalance(fixture_tables.volumes, fixture_tables.models)
    n_models = (fixture_tables.models["imbalance"] != "").sum()
    assert n_models == 3 and len(fig.axes[0].get_lines()) == n_models


def test_grokking_with_every_volume_at_minus_infinity(fixture_tables):
    volumes = fixture_tables.volumes.copy()
    grok = fixture_tables.models.loc[fixture_tables.models["variant"] == "grok", "model_id"].iloc[0]
    volumes.loc[volumes["model_id"] == grok, "log_volume"] = -np.inf
    fig = plot_grokking(fixture_tables.training, volumes, fixture_tables.models)
    assert "(10 measured epochs, 10 at −∞)" in caption(fig)
    assert any("−∞" in t.get_text() for t in fig.axes[2].texts)


def test_measure_frame_prefers_the_own_landscape(fixture_tables):
    from basinlab.analysis.measures import correlation_table, measure_frame

    measures = fixture_tables.measures
    other = measures.assign(landscape="train:7", value=1e9)  # the same measures in a foreign landscape
    frame = measure_frame(pd.concat([measures, other]), fixture_tables.models)
    assert frame["hessian_trace"].max() < 100
    base = correlation_table(measures, fixture_tables.models)
    both = correlation_table(pd.concat([measures, other]), fixture_tables.models)
    pd.testing.assert_frame_equal(base, both)
    assert base.set_index("measure").loc["sam_sharpness", "kendall_tau"] > 0.5  # generated as 0.5·gap·(1 + noise)


def test_save_figure_writes_through_a_temporary_name(tmp_path, monkeypatch):
    """An interrupted save leaves the previous figure whole, never half a file under the final name."""
    import matplotlib.figure

    from basinlab.report.style import save_figure

    fig = matplotlib.figure.Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    png, svg, pdf = save_figure(fig, tmp_path, "f")
    before = png.read_bytes()
    calls = []

    def interrupted(self, fname, **kwargs):
        calls.append(str(fname))
        open(fname, "wb").write(b"half a fig")  # noqa: SIM115
        raise KeyboardInterrupt

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_figure(fig, tmp_path, "f")
    assert calls and not calls[0].endswith("/f.png")
    assert png.read_bytes() == before and svg.exists()


def test_clipping_and_grey_checks_catch_what_they_look_for():
    """The two checks above fail on a figure made to fail them (a label wider than the figure, two series in
    one colour, marker and line style)."""
    fig = Figure(figsize=(2, 1.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], "o--", color="C1", label="a")
    ax.plot([0, 1], [1, 0], "o--", color="C2", label="b")
    ax.set_xlabel("a label far too long for a figure two inches wide, so it runs off both edges")
    assert clipped(fig) and grey_clashes(fig)


def test_histogram_counts_are_ticked_at_whole_numbers(fixture_tables):
    fig = plot_radius_histograms(fixture_tables.radii, fixture_tables.models)
    renderer(fig)
    ticks = [t for t in fig.axes[0].get_yticks() if fig.axes[0].get_ylim()[0] <= t <= fig.axes[0].get_ylim()[1]]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def test_matrix_cells_are_written_for_people():
    import pandas as pd

    from basinlab.analysis.matrix import LandscapeMatrix

    values = pd.DataFrame([[-7940.3, np.nan], [-12345.0, -0.01234]], index=[1000, 20000], columns=[1000, 20000])
    n_inf = pd.DataFrame(0, index=values.index, columns=values.columns).astype("Int64")
    fig = plot_landscape_matrix(LandscapeMatrix(values, n_inf, pd.DataFrame(), pd.DataFrame(), 0, 0.1, "adamw"))
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert texts == {"-7,940", "-12,345", "-0.0123"}, texts
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1,000", "20,000"]


SINGLE = {  # functions drawing into one Axes: name -> call with ax
    "volume_vs_size": lambda t, ax: plot_volume_vs_size(t.volumes, t.models, ax=ax),
    "fixed_landscape": lambda t, ax: plot_fixed_landscape(t.volumes, t.models, ax=ax),
    "radius_histograms": lambda t, ax: plot_radius_histograms(t.radii, t.models, ax=ax),
    "landscape_matrix": lambda t, ax: plot_landscape_matrix(landscape_matrix(t.volumes, t.models), ax=ax),
    "imbalance": lambda t, ax: plot_imbalance(t.volumes, t.models, ax=ax),
}
PANELS = {  # multi-panel functions: name -> (call with fig, panels drawn)
    "poison": (lambda t, fig: plot_poison(t.volumes, t.models, fig=fig), 2),
    "sam_vs_adamw": (lambda t, fig: plot_sam_vs_adamw(t.volumes, t.models, fig=fig), 2),
    "batch_size": (lambda t, fig: plot_batch_size(t.volumes, t.models, fig=fig), 2),
    "grokking": (lambda t, fig: plot_grokking(t.training, t.volumes, t.models, fig=fig), 3),
    "measures": (lambda t, fig: plot_measures(t.measures, t.models, fig=fig), 3),
}


def test_every_plot_function_takes_ax_or_fig():
    import inspect

    import basinlab.report as report

    names = [n for n in report.__all__ if n.startswith("plot_")]
    assert len(names) == 11
    for name in names:
        params = inspect.signature(getattr(report, name)).parameters
        assert "ax" in params or "fig" in params, name
    assert {f"plot_{n}" for n in (*SINGLE, *PANELS)} | {"plot_loss_slice"} == set(names)


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_single_panel_figures_draw_into_a_given_axes(name, fixture_tables):
    user = Figure(figsize=(9, 3))
    left, right = user.subplots(1, 2)
    left.plot([0, 1], [0, 1])
    got = SINGLE[name](fixture_tables, right)
    assert got is user
    assert right.has_data() and len(left.get_lines()) == 1  # the user's other panel is left as it was
    assert right.get_visible() is not False


@pytest.mark.parametrize("name", sorted(PANELS))
def test_multi_panel_figures_fill_a_given_figure_or_subfigure(name, fixture_tables):
    call, panels = PANELS[name]
    user = Figure(figsize=(12, 6), layout="constrained")
    top, bottom = user.subfigures(2, 1)
    bottom.add_subplot().plot([0, 1], [0, 1])
    got = call(fixture_tables, top)
    assert got is top
    drawn = [ax for ax in top.axes if ax.get_visible() and ax.has_data()]
    assert len(drawn) == panels and len(user.axes) == len(top.axes) + 1
    assert call(fixture_tables, Figure()) is not None


def test_saved_figures_open_as_pdf_svg_and_300_dpi_png(tmp_path, fixture_tables):
    import xml.etree.ElementTree as ET

    from PIL import Image
    from pypdf import PdfReader

    from basinlab.report import save_figure

    fig = plot_radius_histograms(fixture_tables.radii, fixture_tables.models)
    png, svg, pdf = save_figure(fig, tmp_path, "hist")
    width, height = fig.get_size_inches()
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert "first-crossing radius" in page.extract_text()  # TrueType text, not outlines
    pdf_w, pdf_h = float(page.mediabox.width) / 72, float(page.mediabox.height) / 72
    assert 0.85 * width < pdf_w < 1.05 * width and 0.85 * height < pdf_h < 1.05 * height
    with Image.open(png) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.5)
        assert image.width == pytest.approx(pdf_w * 300, rel=0.02)
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox")


def test_size_legends_read_d_equals_with_thousands_separators(fixture_tables):
    """Every 'D = …' label (histogram, measures, grokking) is written as people write sizes: 'D = 3,200', in
    increasing order in the histogram, a censored count after it when there is one."""
    import re

    fig = plot_radius_histograms(fixture_tables.radii, fixture_tables.models)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels and all(re.fullmatch(r"D = \d{1,3}(,\d{3})*( \(\d+ censored\))?", lbl) for lbl in labels), labels
    sizes = [int(lbl.split()[2].replace(",", "")) for lbl in labels]
    assert sizes == sorted(sizes) and max(sizes) >= 1000 and f"D = {max(sizes):,}" in " ".join(labels)
    for name in ("measures",):
        fig = _figures(fixture_tables)[name]()
        found = [t for ax in fig.axes for t in ax.get_legend_handles_labels()[1]]
        assert all("D = " not in t or re.search(r"D = \d{1,3}(,\d{3})*\b", t) for t in found), found
