"""Bad arguments to measure_volume raise basinlab errors that name the argument."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from basinlab.errors import ConfigError, DataError
from basinlab.volume import measure_volume


@pytest.fixture()
def small():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3)), torch.randn(10, 4), torch.randint(0, 3, (10,))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"thresholds": (0.0,)}, ConfigError, "thresholds"),
        ({"thresholds": (-1.0, 0.1)}, ConfigError, "thresholds"),
        ({"thresholds": ()}, ConfigError, "thresholds"),
        ({"directions": 0}, ConfigError, "directions"),
        ({"seed": -3}, ConfigError, "seed"),
        ({"rtol": 0.0}, ConfigError, "rtol"),
        ({"rtol": 0.5}, ConfigError, "rtol"),
        ({"max_coefficient": float("inf")}, ConfigError, "max_coefficient"),
        ({"landscapes": [5, 5]}, ConfigError, "strictly increasing"),
        ({"landscapes": [6, 3]}, ConfigError, "strictly increasing"),
        ({"landscapes": [5, 11]}, ConfigError, "larger than the 10 examples"),
        ({"landscapes": [0]}, ConfigError, "positive integer"),
        ({"batch_directions": 0}, ConfigError, "batch_directions"),
        ({"loss": "hinge"}, ConfigError, "loss 'hinge' is unknown"),
        ({"device": "tpu:7"}, ConfigError, "device"),
    ],
)
def test_bad_arguments(small, kwargs, error, match):
    model, x, y = small
    with pytest.raises(error, match=match):
        measure_volume(model, x, y, directions=kwargs.pop("directions", 2), **kwargs)


def test_empty_data(small):
    model, _, _ = small
    with pytest.raises(DataError, match="empty"):
        measure_volume(model, torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), directions=2)


def test_mismatched_rows(small):
    model, x, y = small
    with pytest.raises(DataError, match="same number of rows"):
        measure_volume(model, x, y[:7], directions=2)


def test_inputs_of_the_wrong_shape_for_the_model(small):
    model, _, y = small
    with pytest.raises(DataError, match="cannot evaluate inputs of shape"):
        measure_volume(model, torch.randn(10, 5), y, directions=2)


def test_non_float_parameters(small):
    _, x, y = small
    model = nn.Linear(4, 3)
    model.weight = nn.Parameter(torch.zeros(3, 4, dtype=torch.int32), requires_grad=False)
    with pytest.raises(ConfigError, match="float32 or float64"):
        measure_volume(model, x, y, directions=2)
