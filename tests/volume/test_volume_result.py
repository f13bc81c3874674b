"""VolumeResult summaries and the pickle-free file format."""

from __future__ import annotations

import math

import numpy as np
import pytest

from basinlab.errors import CheckpointError, ConfigError
from basinlab.volume import VolumeResult


def _result() -> VolumeResult:
    rng = np.random.default_rng(0)
    radii = rng.uniform(0.9, 1.1, size=(20, 2, 3))
    censored = np.zeros_like(radii, dtype=bool)
    censored[3, 1, 2] = True
    return VolumeResult(
        radii=radii, censored=censored, seeds=np.arange(20, dtype=np.int64), thresholds=np.array([0.1, 0.01]),
        landscapes=np.array([60, 600, 2000]), centre_loss=np.array([0.001, 0.005, 0.05]),
        norms=np.full(20, 30.0), n_params=1000, counts={"points": 7},
    )


def test_log_volume_is_float64_logmeanexp_and_dominated_by_the_top_radius():
    res = _result()
    r = res.radii[:, 0, 1]
    n = 1000
    expected = n * math.log(r.max()) + math.log(np.mean(np.exp(n * (np.log(r) - math.log(r.max())))))
    assert res.log_volume(0.1, 600) == pytest.approx(expected, rel=1e-12)
    share = res.top_share(0.1, 600)
    assert share == pytest.approx(1.0 / np.sum(np.exp(n * (np.log(r) - math.log(r.max())))), rel=1e-9)
    assert 0 < share <= 1
    q = res.quantiles(0.1, 600)
    assert q["min"] == r.min() and q["max"] == r.max() and q["median"] == pytest.approx(np.median(r))


def test_centre_above_threshold_gives_minus_infinity():
    res = _result()  # landscape 2000 has centre loss 0.05 > 0.01
    assert res.log_volume(0.01, 2000) == -math.inf
    assert res.bootstrap_ci(0.01, 2000) == (-math.inf, -math.inf)


def test_bootstrap_ci_brackets_the_estimate_and_is_seeded():
    res = _result()
    lo, hi = res.bootstrap_ci(0.1, 60, n_boot=500, seed=1)
    assert lo <= res.log_volume(0.1, 60) <= hi + 1e-9
    assert (lo, hi) == res.bootstrap_ci(0.1, 60, n_boot=500, seed=1)


def test_summary_and_frame_have_the_run_directory_columns():
    res = _result()
    summary = res.summary(n_boot=50)
    assert len(summary) == 6
    assert int(summary.query("threshold == 0.01 and landscape_size == 2000")["n_censored"].iloc[0]) == 1
    for col in ("log_volume", "log_volume_lo", "log_volume_hi", "r_min", "r_median", "r_mean", "r_max", "top_share",
                "n_censored", "centre_loss", "n_directions"):
        assert col in summary
    frame = res.to_frame()
    assert len(frame) == 20 * 2 * 3
    assert {"direction", "seed", "radius", "censored", "threshold", "landscape_size"} <= set(frame.columns)
    row = frame.query("direction == 3 and threshold == 0.01 and landscape_size == 2000").iloc[0]
    assert row["censored"] and row["radius"] == res.radii[3, 1, 2]


def test_save_load_round_trip(tmp_path):
    res = _result()
    path = tmp_path / "vol.safetensors"
    res.save(path)
    back = VolumeResult.load(path)
    for name in ("radii", "censored", "seeds", "thresholds", "landscapes", "centre_loss", "norms"):
        assert np.array_equal(getattr(back, name), getattr(res, name))
    assert back.n_params == res.n_params and back.counts == res.counts
    assert back.log_volume(0.1, 60) == res.log_volume(0.1, 60)


def test_tampered_truncated_and_missing_files_are_refused(tmp_path):
    path = tmp_path / "vol.safetensors"
    _result().save(path)
    data = bytearray(path.read_bytes())
    tampered = tmp_path / "tampered.safetensors"
    data[-5] ^= 0xFF  # flip bits inside the last array
    tampered.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        VolumeResult.load(tampered)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CheckpointError, match="truncated"):
        VolumeResult.load(truncated)
    with pytest.raises(CheckpointError, match="does not exist"):
        VolumeResult.load(tmp_path / "nope.safetensors")


def test_unknown_threshold_or_landscape_is_a_clear_error():
    res = _result()
    with pytest.raises(ConfigError, match="threshold 0.5 was not measured"):
        res.log_volume(0.5, 60)
    with pytest.raises(ConfigError, match="landscape 61 was not measured"):
        res.log_volume(0.1, 61)
    with pytest.raises(ConfigError, match="threshold must be given"):
        res.log_volume()


def test_summary_carries_the_nonfinite_loss_count():
    import torch
    from torch import nn

    from basinlab import measure_volume

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    x = torch.randn(20, 2, dtype=torch.float64)
    y = model(x).argmax(dim=1).detach()

    def loss(out, target):  # NaN wherever the outputs grow large: far out along every ray, never at the centre
        ce = nn.functional.cross_entropy(out, target, reduction="none")
        return torch.where(out.abs().amax(dim=1) > 3.0, torch.full_like(ce, float("nan")), ce)

    result = measure_volume(model, x, y, thresholds=(5.0,), directions=3, loss=loss)
    summary = result.summary()
    assert result.counts["nonfinite_points"] > 0
    assert (summary["nonfinite_points"] == result.counts["nonfinite_points"]).all()
    assert np.isfinite(summary["log_volume"]).all()  # NaN counts as above τ: it ends the ray, it is not a loss value
    from basinlab.experiments.volume_rows import volume_rows

    rows, _ = volume_rows(result, {20: ["train:20"]}, "m", -1, 0.0)  # the run's volumes table carries it too
    assert rows and all(r["nonfinite_points"] == result.counts["nonfinite_points"] for r in rows)


def test_save_is_temp_plus_rename_with_the_common_file_mode(tmp_path, monkeypatch):
    """VolumeResult.save goes through basinlab.rundir.atomic_path (issue 12 item 4): mode 0644 under umask 022 like
    every file, and a writer that fails half way leaves the old file whole and no temporary behind."""
    import os

    import safetensors.numpy

    from basinlab.rundir import FILE_MODE

    path = tmp_path / "vol.safetensors"
    _result().save(path)
    assert os.stat(path).st_mode & 0o777 == FILE_MODE and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    whole = path.read_bytes()

    def half_then_fail(arrays, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.numpy, "save_file", half_then_fail)
    with pytest.raises(OSError, match="No space left") as caught:
        _result().save(path)
    assert caught.value.filename == str(path)  # the error names the target, not the temporary
    assert path.read_bytes() == whole and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
