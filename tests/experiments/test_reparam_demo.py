"""``basinlab reparam-demo``: one command, one run per dataset, one page with every measure before and after.

The end-to-end test runs the command on a tiny recipe with the demo's profile names (both on the digits, which
need no files, so the test takes seconds); the real recipe's demo profiles are checked to load and plan."""

from __future__ import annotations

import pandas as pd
import pytest

from basinlab.experiments.reparam_demo import DEMO_PROFILES, demo_spec

TINY_DEMO = """
name = "reparam-tiny"
[dataset]
name = "digits"
sizes = [120]
test_size = 60
[seeds]
model = [0]
data = [0]
[model]
kind = "mlp"
hidden = [12, 8]
[train]
lr = 1e-2
batch_size = 32
epochs = 60
[volume]
enabled = false
[measures]
names = ["hessian_top", "norms", "volume_elementwise", "weakness"]
reparam_factors = [10.0, 100.0]
test_examples = 0
volume_elementwise = { directions = 6 }
weakness = { directions = 3 }
[profiles.quick]
seeds = { model = [0] }
[profiles.fashion-mnist-quick]
dataset = { sizes = [150] }
"""


def test_one_command_measures_both_networks_and_writes_one_page(tmp_path, capsys):
    from basinlab.cli.app import main

    spec = tmp_path / "demo.toml"
    spec.write_text(TINY_DEMO)
    out = tmp_path / "demo"
    with pytest.raises(SystemExit) as exc:
        main(["reparam-demo", "--profile", "quick", "--spec", str(spec), "--out", str(out), "--quiet"])
    assert exc.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[-3:-1]] == ["digits", "fashion-mnist"]
    page = (out / "report" / "index.html").read_text()
    assert "<h2>digits</h2>" in page and "<h2>fashion-mnist</h2>" in page and "<svg" in page
    assert (out / "report" / "figures" / "reparam_demo.pdf").exists()
    for dataset in ("digits", "fashion-mnist"):
        assert (out / dataset / "report" / "index.html").exists()  # each run keeps its own report
        table = pd.read_csv(out / "report" / f"reparam_{dataset}.csv").set_index("measure")
        assert table.loc["prediction_agreement", "a=100"] == 1.0
        assert 0 <= table.loc["max_output_change", "a=100"] < 1e-4
        assert table.loc["hessian_top", "max_ratio"] >= 100  # λmax grows ~a² = 1e4 at a = 100
        assert table.loc["hessian_top", "invariant"] == "no"
        assert table.loc["volume_elementwise", "invariant"] == "exact"
        assert table.loc["norm_path", "invariant"] == "exact" and table.loc["norm_frobenius", "invariant"] == "no"
        assert f"{dataset}: max |Δ output|" in "\n".join(lines)


def test_demo_profiles_exist_in_the_recipe():
    from basinlab.experiments import load_spec, plan

    for profile, runs in DEMO_PROFILES.items():
        for dataset, spec_profile in runs.items():
            spec, _ = load_spec(demo_spec(), profile=spec_profile)
            assert spec.dataset == dataset, (profile, spec_profile)
            assert plan(spec).counts()["measures"] >= 1


def test_bad_demo_profile_and_missing_spec_are_one_line(tmp_path, capsys):
    from basinlab.cli.app import main

    for args, message in ((["--profile", "bogus"], "demo profile 'bogus' unknown"),
                          (["--spec", str(tmp_path / "nope.toml")], "nope.toml' not found")):
        with pytest.raises(SystemExit) as exc:
            main(["reparam-demo", "--out", str(tmp_path / "o"), *args])
        err = capsys.readouterr().err.strip()
        assert exc.value.code == 2 and err.startswith("error:") and message in err and len(err.splitlines()) == 1
        assert not (tmp_path / "o").exists()
