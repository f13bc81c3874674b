"""The accuracy-threshold volume (issue 11): c* is the first coefficient where training accuracy falls below a level."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from basinlab.errors import ConfigError
from basinlab.volume import VolumeResult, measure_volume, random_direction
from basinlab.volume.directions import direction_seed


def accuracy_at(model, x, y, q, c):
    with torch.no_grad():
        moved = [p + c * d for p, d in zip(model.parameters(), q, strict=True)]
        names = [n for n, _ in model.named_parameters()]
        out = torch.func.functional_call(model, dict(zip(names, moved, strict=True)), (x,))
        return float((out.argmax(dim=1) == y).double().mean())


def test_accuracy_radius_is_the_first_coefficient_where_accuracy_falls_below_the_level(mlp_problem, tmp_path):
    model, x, y = mlp_problem
    res = measure_volume(model, x, y, thresholds=(0.95, 0.8), directions=4, seed=1, threshold_kind="accuracy")
    assert res.threshold_kind == "accuracy" and list(res.thresholds) == [0.95, 0.8]
    assert res.centre_loss[0] == pytest.approx(1 - accuracy_at(model, x, y, [0 * p for p in model.parameters()], 0))
    for k in range(4):
        q, norm = random_direction(model, direction_seed(1, k))
        for t, level in enumerate((0.95, 0.8)):
            c = res.radii[k, t, 0] / norm
            assert not res.censored[k, t, 0]
            # just past c* the accuracy is below the level; on a fine scan below c* it never is
            assert accuracy_at(model, x, y, q, c * (1 + 2e-4)) < level
            assert all(accuracy_at(model, x, y, q, s) >= level for s in np.linspace(0, c * (1 - 2e-4), 40))
    # a lower level is a larger basin
    assert (res.radii[:, 1, 0] >= res.radii[:, 0, 0]).all()
    frame = res.summary()
    assert set(frame["threshold_kind"]) == {"accuracy"} and not frame["centre_above"].any()
    res.save(tmp_path / "a.safetensors")
    back = VolumeResult.load(tmp_path / "a.safetensors")
    assert back.threshold_kind == "accuracy" and np.array_equal(back.radii, res.radii)
    assert measure_volume(model, x, y, directions=1).threshold_kind == "loss"


def test_a_level_above_the_centre_accuracy_gives_volume_zero(mlp_problem):
    model, x, y = mlp_problem
    bad = x.clone()
    yy = y.clone()
    yy[:30] = (yy[:30] + 1) % 3  # 10% wrong labels: centre accuracy ≤ 0.9
    res = measure_volume(model, bad, yy, thresholds=(0.99, 0.5), directions=2, threshold_kind="accuracy")
    assert res.centre_above(0.99) and not res.centre_above(0.5)
    assert (res.radii[:, 0, 0] == 0).all() and (res.radii[:, 1, 0] > 0).all()


@pytest.mark.parametrize("levels", [(0.0,), (1.5,), (-0.1,)])
def test_accuracy_levels_outside_0_1_are_refused(mlp_problem, levels):
    model, x, y = mlp_problem
    with pytest.raises(ConfigError, match="accuracies in"):
        measure_volume(model, x, y, thresholds=levels, directions=1, threshold_kind="accuracy")
    with pytest.raises(ConfigError, match="threshold_kind"):
        measure_volume(model, x, y, directions=1, threshold_kind="acc")
