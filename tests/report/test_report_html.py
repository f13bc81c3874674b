"""write_report writes one self-contained page with every figure; the report/table CLI commands."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from basinlab.cli.app import app
from basinlab.errors import ConfigError
from basinlab.report import write_report

FIGURES = ("volume_vs_size", "fixed_landscape", "landscape_matrix", "radius_histograms", "poison", "sam_vs_adamw",
           "batch_size", "imbalance", "grokking", "measures",
           "preprint_head_to_head", "preprint_batch_gap")  # the fixture has measures and two batch sizes


def test_report_is_self_contained_with_every_figure(fixture_report):
    page = fixture_report.read_text(encoding="utf-8")
    assert fixture_report.name == "index.html" and fixture_report.parent.name == "report"
    assert len(re.findall(r"<figure id=", page)) == len(FIGURES)
    for name in FIGURES:
        block = page[page.index(f"<figure id='fig-{name}'>"):]
        block = block[:block.index("</figure>")]
        assert "<svg role='img'" in block and "<img" not in block  # the figure itself is in the page
        for ext, mime, magic in (("pdf", "application/pdf", b"%PDF-"), ("svg", "image/svg+xml", b"<?xml"),
                                 ("png", "image/png", b"\x89PNG")):
            assert f"download='{name}.{ext}' href='data:{mime};base64," in block, (name, ext)
            assert (fixture_report.parent / "figures" / f"{name}.{ext}").read_bytes().startswith(magic)
    links = re.findall(r"(?:src|href)=['\"]([^'\"]*)['\"]", page)
    assert links and all(link.startswith(("#", "data:")) for link in links), \
        [x[:40] for x in links if not x.startswith(("#", "data:"))]  # nothing outside the page: it can move alone
    ids = re.findall(r"\bid=['\"]([^'\"]+)['\"]", page)
    assert len(ids) == len(set(ids)), "inline SVGs must not share element ids"


def test_page_order_how_to_read_results_then_spec_and_manifest(fixture_report):
    page = fixture_report.read_text(encoding="utf-8")
    order = ["id='how-to-read'", "id='claims'", "id='table1'", "id='figures'", "id='power_law_fits'",
             "id='spec'", "id='manifest'"]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert page.index("How to read this report") < page.index("Paper claims")


def test_tables_are_written_for_people_and_as_csv_and_latex(fixture_report):
    import base64

    import pandas as pd

    page = fixture_report.read_text(encoding="utf-8")
    folder = fixture_report.parent / "tables"
    names = re.findall(r"<table id='table-([a-z0-9_]+)'>", page)
    assert {"claims", "table1", "power_law_fits", "landscape_matrix", "measures", "spec", "manifest"} <= set(names)
    for name in names:
        csv = (folder / f"{name}.csv").read_text(encoding="utf-8")
        tex = (folder / f"{name}.tex").read_text(encoding="utf-8")
        table = page[page.index(f"<table id='table-{name}'>"):]
        table = table[:table.index("</table>")]
        rows = table.count("<tr") - 1
        assert len(pd.read_csv(folder / f"{name}.csv")) == rows, name
        assert all(part in tex for part in ("\\toprule", "\\midrule", "\\bottomrule", "\\begin{tabular}")), name
        assert tex.count("\\\\") == rows + 1, name  # header + one line per row
        inline = re.search(rf"download='{name}.csv' href='data:text/csv;base64,([^']*)'", page).group(1)
        assert base64.b64decode(inline).decode() == csv
        cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", table)
        if name != "claims":  # the claims' 'ours' texts are written by analysis.claims
            assert not [c for c in cells if re.search(r"\d[eE][+-]?\d", c)], name  # no 7.94e+03
        assert not [c for c in cells if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", c)] or name in ("spec", "manifest",
                                                                                               "claims", "measures"), name
    fits = page[page.index("<table id='table-power_law_fits'>"):]
    fits = fits[:fits.index("</thead>")]
    assert "slope_lo" not in fits and "n_excluded" not in fits and "α 95% CI" in fits


def test_spec_and_manifest_are_tables(fixture_report):
    page = fixture_report.read_text(encoding="utf-8")
    spec = page[page.index("<table id='table-spec'>"):]
    spec = spec[:spec.index("</table>")]
    assert re.search(r"<td class='text'>name</td><td class='text'>synthetic</td>", spec)
    manifest = page[page.index("<table id='table-manifest'>"):]
    manifest = manifest[:manifest.index("</table>")]
    assert re.search(r"<td class='text'>numpy</td><td class='text'>\d+\.\d+", manifest)  # versions
    assert "{" not in manifest and "[" not in manifest  # no dict or list repr
    assert "Table 1" in page and "Landscape matrix" in page and "Measures vs generalisation gap" in page
    assert "2-D loss slice not drawn" in page  # the synthetic run has no checkpoints, and says so


def test_latex_and_number_formatting():
    from basinlab.report.style import human_number
    from basinlab.report.tables import latex_text

    assert [human_number(v) for v in (-7940.3, 12345.6, 0.01234, 0.1, 3.14159, -0.0, 2.5e-5, 3.2e7)] == [
        "-7,940", "12,346", "0.0123", "0.1", "3.14", "0", "2.5×10⁻⁵", "3.2×10⁷"]
    assert latex_text("α 95% CI, n_params & 2.5×10⁻⁵ −∞") == \
        r"$\alpha$ 95\% CI, n\_params \& 2.5$\times$$10^{-5}$ $-$$\infty$"


def test_missing_run_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        write_report(tmp_path / "absent")
    with pytest.raises(ConfigError, match="is empty"):
        write_report(tmp_path)


def test_table_command_prints_alpha(fixture_run_dir):
    result = CliRunner().invoke(app, ["table", str(fixture_run_dir)])
    assert result.exit_code == 0, result.output
    adamw = next(line for line in result.output.splitlines() if "adamw" in line)
    alpha = float(re.search(r"│\s+(-0\.\d+)\s+│", adamw).group(1))
    assert alpha == pytest.approx(-0.3, abs=0.02)


def test_cli_errors_are_one_line(tmp_path, capsys):
    from basinlab.cli.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path / "absent")])
    assert exit_info.value.code == 2
    assert "error: run directory" in capsys.readouterr().err


def test_report_survives_a_bad_fit_group_and_says_why(tmp_path):
    import pandas as pd

    from synthetic_run import make_synthetic_run

    run_dir = make_synthetic_run(tmp_path / "run", extras=False, sizes=(20, 60, 200), seeds=(0,), n_inf=0)
    volumes = pd.read_parquet(run_dir / "volumes" / "synthetic.parquet")
    volumes.loc[volumes["landscape_size"] == 200, "n_params"] = 999  # one variant mixing two architectures
    volumes.to_parquet(run_dir / "volumes" / "synthetic.parquet", index=False)
    page = write_report(run_dir, loss_slice=False, n_boot=50).read_text(encoding="utf-8")
    assert "power-law fit: one power-law group mixes models with n_params" in page
    assert "<figure id='fig-landscape_matrix'>" in page
    assert "figure &#x27;volume_vs_size&#x27; not drawn" in page  # html-escaped quotes


def test_report_progress_hears_every_step_in_order(fixture_report_progress):
    """write_report reports each finished step (what `basinlab report` prints on stderr, one line per step when
    stderr is not a terminal): counts rise by one, the total covers every figure, the last step is the page."""
    events = fixture_report_progress
    assert [done for done, _, _ in events] == list(range(1, len(events) + 1))
    assert events[-1][0] == events[-1][1] == len(events)
    steps = [step for _, _, step in events]
    assert steps[0] == "paper claims" and steps[-1] == "page and tables written"
    drawn = next(int(s.split()[0]) for s in steps if s.endswith("figures drawn"))
    assert drawn >= 1 and f"figure {drawn}/{drawn} saved (PDF, SVG, PNG)" in steps
    assert any(s.startswith("2-D loss slice") for s in steps)
