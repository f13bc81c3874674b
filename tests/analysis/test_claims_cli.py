"""``basinlab claims RUN_DIR`` (table, summary line, JSON) and the report's "Paper claims" section."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from basinlab.cli.app import app
from synthetic_run import make_synthetic_run

SUMMARY = re.compile(r"^(\d+) reproduced, (\d+) not reproduced, (\d+) not testable here$", re.MULTILINE)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_synthetic_run(tmp_path_factory.mktemp("claims") / "run", seeds=(0, 1), n_directions=8,
                              thresholds=(0.1, 0.01))


def test_claims_command_prints_table_and_summary(run_dir):
    result = CliRunner().invoke(app, ["claims", str(run_dir)])
    assert result.exit_code == 0, result.output
    match = SUMMARY.search(result.output)
    assert match, result.output[-500:]
    assert sum(int(g) for g in match.groups()) > 10
    assert "data_size.ordering" in result.output and "grokking.volume_falls" in result.output


def test_claims_json_to_stdout_is_valid_with_null_for_nan(run_dir):
    result = CliRunner().invoke(app, ["claims", str(run_dir), "--json", "-", "--seed", "3"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)  # strict JSON: the output has nothing but the array
    assert "NaN" not in result.output and "Infinity" not in result.output
    assert {"key", "verdict", "rule", "paper_value", "our_value", "lo", "hi"} <= set(records[0])
    assert any(r["paper_value"] is None for r in records)
    assert not SUMMARY.search(result.output)


def test_claims_json_to_file_is_written_atomically(run_dir, tmp_path):
    target = tmp_path / "claims.json"
    result = CliRunner().invoke(app, ["claims", str(run_dir), "--json", str(target)])
    assert result.exit_code == 0, result.output
    assert SUMMARY.search(result.output)  # the table is still printed
    records = json.loads(target.read_text(encoding="utf-8"))
    assert len(records) == int(sum(int(g) for g in SUMMARY.search(result.output).groups()))
    assert [p.name for p in tmp_path.iterdir()] == ["claims.json"]


def test_missing_run_dir_is_a_one_line_error(tmp_path, capsys):
    from basinlab.cli.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["claims", str(tmp_path / "absent")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "does not exist" in err and len(err.splitlines()) == 1


def test_run_without_models_says_nothing_is_testable(tmp_path):
    (tmp_path / "spec.toml").write_text('name = "empty"\n')
    result = CliRunner().invoke(app, ["claims", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "nothing" in result.output and "testable" in result.output


def test_report_opens_with_paper_claims(run_dir):
    from basinlab.report import write_report

    page = write_report(run_dir, loss_slice=False, n_boot=50).read_text(encoding="utf-8")
    title, claims, spec = page.index("<h1>"), page.index("<h2>Paper claims</h2>"), page.index("<h2>Spec</h2>")
    assert title < claims < spec
    section = page[claims:spec]
    assert "<tr class='reproduced'>" in section and "<tr class='not-testable'>" in section  # verdict-coloured rows
    assert "not reproduced, " in section and "data_size.ordering[" in section


def test_report_survives_a_claims_failure(tmp_path, monkeypatch):
    import basinlab.report.html as report_html

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report_html, "check_claims", broken)
    run = make_synthetic_run(tmp_path / "run", sizes=(50, 200), seeds=(0, 1), n_directions=4, extras=False)
    page = report_html.write_report(run, loss_slice=False, n_boot=20).read_text(encoding="utf-8")
    assert "Paper claims" not in page and "paper claims not computed: RuntimeError: boom" in page


def test_report_refuses_a_threshold_the_run_did_not_measure(run_dir):
    from basinlab.errors import ConfigError
    from basinlab.report import write_report

    with pytest.raises(ConfigError, match=r"--threshold -1 was not measured in .*; use one of 0\.01, 0\.1"):
        write_report(run_dir, threshold=-1.0, loss_slice=False)


def test_claim_numbers_are_written_for_people(run_dir):
    """ours / uncertainty: at most 3 significant digits, no 'e-07' exponents (2.8×10⁻⁷, not 2.7999e-07), a true
    minus sign; the formatting rule itself on a few values."""
    from basinlab.analysis.claims import _g, check_claims

    assert [_g(v) for v in (2.7999e-07, -0.374694, 1234567.0, 0.1, float("-inf"))] == [
        "2.8×10⁻⁷", "−0.375", "1.23×10⁶", "0.1", "−∞"]
    assert _g(8.15e-05) == "8.15×10⁻⁵" and _g(2.7999e-07, 2) == "2.8×10⁻⁷"
    claims = check_claims(run_dir, seed=0)
    texts = [text for c in claims for text in (c.ours, c.uncertainty)]
    assert texts and not any(re.search(r"\de[-+]\d", t) for t in texts), texts
    decimals = [m for t in texts for m in re.findall(r"\d+\.\d+", t)]
    assert decimals and all(len(d.replace(".", "").lstrip("0")) <= 3 for d in decimals), decimals
    assert not any(re.search(r"(^|[\s(\[=])-\d", t) for t in texts), texts  # − not -
