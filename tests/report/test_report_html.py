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
    images = re.findall(r"<img [^>]*src='([^']*)'", page)
    assert len(images) == len(FIGURES) and all(src.startswith("data:image/png;base64,") for src in images)
    for name in FIGURES:
        assert f"<figure id='{name}'>" in page
        assert (fixture_report.parent / "figures" / f"{name}.png").stat().st_size > 1000
        assert (fixture_report.parent / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    assert len(re.findall(r"<figcaption>", page)) == len(FIGURES)
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page), "the report must not load anything from a network"


def test_report_header_and_tables(fixture_report):
    page = fixture_report.read_text(encoding="utf-8")
    assert "name = &quot;synthetic&quot;" in page  # spec.toml, escaped
    assert "<td>numpy</td>" in page  # versions from manifest.sqlite
    assert "Table 1" in page and "Landscape matrix" in page and "Measures vs generalisation gap" in page
    assert "−∞" in page or "n_excluded" in page
    assert "2-D loss slice not drawn" in page  # the synthetic run has no checkpoints, and says so


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
    assert "<figure id='landscape_matrix'>" in page
    assert "figure &#x27;volume_vs_size&#x27; not drawn" in page  # html-escaped quotes
