"""Two runs of one design side by side: cells matched by design keys, radii ratios, α of each run."""

from __future__ import annotations

import numpy as np
import pytest

from basinlab.analysis.compare import compare_power_laws, compare_runs
from basinlab.errors import DataError
from synthetic_run import make_synthetic_run


def test_cells_are_matched_by_design_and_ratios_are_b_over_a(tmp_path):
    a = make_synthetic_run(tmp_path / "a", alpha=-0.3, extras=False, n_inf=0, seed=0)
    b = make_synthetic_run(tmp_path / "b", alpha=-0.1, extras=False, n_inf=0, seed=0)
    cells = compare_runs(a, b, labels=("std", "unit"))
    assert len(cells) > 0 and cells[["train_size", "model_seed", "landscape_size"]].duplicated().sum() == 0
    assert {"r_max_std", "r_max_unit", "r_max_ratio", "r_median_ratio", "test_acc_std"} <= set(cells.columns)
    np.testing.assert_allclose(cells["r_max_ratio"], cells["r_max_unit"] / cells["r_max_std"])
    own = cells[cells["landscape_size"] == cells["train_size"]]
    # a shallower power law (α −0.1 vs −0.3) gives the larger training sets relatively larger radii
    big, small = own["train_size"].max(), own["train_size"].min()
    assert own.loc[own["train_size"] == big, "r_max_ratio"].median() > own.loc[own["train_size"] == small, "r_max_ratio"].median()
    fits = compare_power_laws(a, b, labels=("std", "unit"), n_boot=200)
    assert fits["alpha_std"].iloc[0] == pytest.approx(-0.3, abs=0.05)
    assert fits["alpha_unit"].iloc[0] == pytest.approx(-0.1, abs=0.05)


def test_runs_of_different_designs_are_refused(tmp_path):
    a = make_synthetic_run(tmp_path / "a", sizes=(50, 200), extras=False, n_inf=0)
    b = make_synthetic_run(tmp_path / "b", sizes=(400, 1600), extras=False, n_inf=0)
    with pytest.raises(DataError, match="no .* cell in common"):
        compare_runs(a, b)


def test_compare_command_prints_both_tables_and_writes_every_cell(tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from basinlab.cli.app import app

    a = make_synthetic_run(tmp_path / "a", alpha=-0.3, extras=False, n_inf=0)
    b = make_synthetic_run(tmp_path / "b", alpha=-0.2, extras=False, n_inf=0)
    csv = tmp_path / "cells.csv"
    result = CliRunner().invoke(app, ["compare", str(a), str(b), "--labels", "standard,unit", "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    assert "r_max_ratio" in result.output and "alpha_unit" in result.output
    assert len(pd.read_csv(csv)) == len(compare_runs(a, b))
    bad = CliRunner().invoke(app, ["compare", str(a), str(b), "--labels", "same,same"])
    assert bad.exit_code != 0 and "--labels" in str(bad.exception or bad.output)
