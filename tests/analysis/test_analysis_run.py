"""Reading run directories, Table 1 and the landscape matrix on a synthetic run with a known α."""

from __future__ import annotations

import dataclasses
import sqlite3

import numpy as np
import pandas as pd
import pytest

from basinlab.analysis import landscape_matrix, load_run, read_manifest, read_run_table, table1
from basinlab.errors import ConfigError, DataError
from synthetic_run import make_synthetic_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = make_synthetic_run(tmp_path_factory.mktemp("run") / "r", alpha=-0.3, seeds=(0, 1, 2, 3), noise=0.005)
    return load_run(path)


def test_missing_and_empty_run_directories(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_run(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="is empty"):
        load_run(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        load_run(tmp_path / "f")


def test_unknown_table_and_corrupt_parquet(tmp_path):
    with pytest.raises(ConfigError, match="table 'bogus' is unknown"):
        read_run_table(tmp_path, "bogus")
    (tmp_path / "volumes").mkdir()
    (tmp_path / "volumes" / "t1.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="t1.parquet"):
        read_run_table(tmp_path, "volumes")


def test_absent_table_is_empty_with_documented_columns(tmp_path):
    (tmp_path / "spec.toml").write_text('name = "x"\n')
    tables = load_run(tmp_path)
    assert tables.radii.empty and "radius" in tables.radii.columns
    assert table1(tables).empty


def test_table1_recovers_the_generating_exponent(run):
    t = table1(run, n_boot=300)
    row = t[t["variant"] == "adamw"].iloc[0]
    assert row["alpha"] == pytest.approx(-0.3, abs=0.01)
    assert row["n_excluded"] == 1  # the synthetic run puts one minimum above τ
    assert row["test_acc_small"] < row["test_acc_large"]
    assert (row["size_small"], row["size_large"]) == (50, 3200)
    single = t[t["variant"] == "bs16"].iloc[0]
    assert np.isnan(single["alpha"]) and single["size_small"] == single["size_large"]


def test_landscape_matrix_counts_violations(run):
    m = landscape_matrix(run.volumes, run.models)
    assert m.variant == "adamw" and m.threshold == pytest.approx(0.1)
    assert list(m.values.index) == [50, 200, 800, 3200]
    # lower triangle only: no minimum is measured in a landscape larger than its training set
    assert np.isnan(m.values.loc[50, 200]) and np.isfinite(m.values.loc[3200, 50])
    # the one −inf own minimum (seed 0, D = 50) is the only violation
    assert m.violations == 1
    bad = m.checks[~m.checks["own_largest"]].iloc[0]
    assert bad["landscape_size"] == 50 and np.isneginf(bad["own_log_volume"])
    assert m.n_inf.loc[50, 50] == 1 and np.isfinite(m.values.loc[50, 50])  # mean over the finite seeds


def test_landscape_matrix_detects_a_larger_foreign_minimum(run):
    volumes = run.volumes.copy()
    big = run.models[(run.models["train_size"] == 800) & (run.models["model_seed"] == 2)
                     & (run.models["variant"] == "adamw") & (run.models["poison"] == 0)]["model_id"].iloc[0]
    volumes.loc[(volumes["model_id"] == big) & (volumes["landscape_size"] == 200), "log_volume"] = 1e9
    m = landscape_matrix(volumes, run.models)
    assert m.violations == 2
    hit = m.checks[(m.checks["seed_unit"] == "2/2") & (m.checks["landscape_size"] == 200)].iloc[0]
    assert not hit["own_largest"] and hit["largest_train_size"] == 800


def test_landscape_matrix_rejects_absent_slice(run):
    with pytest.raises(ConfigError, match="threshold 0.5"):
        landscape_matrix(run.volumes, run.models, threshold=0.5)


def test_read_manifest_key_value_and_garbage(tmp_path, run):
    assert read_manifest(run.run_dir)["pandas"] == pd.__version__
    with sqlite3.connect(tmp_path / "manifest.sqlite") as con:
        con.execute("CREATE TABLE tasks (id TEXT, state TEXT)")
        con.executemany("INSERT INTO tasks VALUES (?, ?)", [("a", "done"), ("b", "done"), ("c", "failed")])
    con.close()
    assert read_manifest(tmp_path) == {"tasks done": 2, "tasks failed": 1}
    (tmp_path / "manifest.sqlite").write_bytes(b"garbage" * 100)
    with pytest.warns(UserWarning, match="could not be read"):
        assert read_manifest(tmp_path) == {}
    assert read_manifest(tmp_path / "none") == {}


def test_table1_when_only_checkpoint_epochs_were_measured(tmp_path):
    # grokking runs measure volumes at checkpoint epochs only (no final epoch -1): no fit, accuracies remain
    tables = load_run(make_synthetic_run(tmp_path / "r", sizes=(50, 200), seeds=(0, 1), n_inf=0, extras=False))
    table = table1(dataclasses.replace(tables, volumes=tables.volumes.assign(epoch=500)), n_boot=20)
    assert len(table) == 1
    assert np.isnan(table.loc[0, "alpha"])
    assert 0.0 <= table.loc[0, "test_acc_small"] <= table.loc[0, "test_acc_large"] <= 1.0


def test_a_run_written_before_nonfinite_points_existed_still_reads(tmp_path):
    import pandas as pd

    from basinlab.analysis import load_run
    from synthetic_run import make_synthetic_run

    run = make_synthetic_run(tmp_path / "run", extras=False, n_inf=0)
    for file in (run / "volumes").glob("*.parquet"):
        pd.read_parquet(file).drop(columns=["nonfinite_points"]).to_parquet(file)
    volumes = load_run(run).volumes
    assert len(volumes) and volumes["nonfinite_points"].isna().all()
