"""random_direction: seeding, filter normalisation, independence of batching."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from basinlab.errors import ConfigError
from basinlab.volume import direction_seed, random_direction


def _model() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 5), nn.LayerNorm(5))


def test_raw_gaussian_matches_one_float32_draw_in_parameter_order():
    model = _model()
    q, norm = random_direction(model, 42, filter_normalize=False)
    g = torch.Generator().manual_seed(42)
    expected = [torch.randn(p.shape, generator=g, dtype=torch.float32) for p in model.parameters()]
    for a, b in zip(q, expected, strict=True):
        assert torch.equal(a, b)
    flat = torch.cat([e.double().ravel() for e in expected])
    assert norm == pytest.approx(float(flat.norm()), rel=1e-12)


def test_filter_normalisation_scales_rows_filters_and_leaves_1d_params():
    model = _model()
    raw, norm_raw = random_direction(model, 7, filter_normalize=False)
    q, norm = random_direction(model, 7, filter_normalize=True)
    assert norm == norm_raw
    conv_w, conv_b, lin_w, lin_b, ln_w, ln_b = list(model.parameters())
    for i in range(3):  # conv filter i scaled by ||W[i]||
        assert torch.allclose(q[0][i], raw[0][i] * conv_w[i].norm(), rtol=1e-6)
    for i in range(5):  # linear row i scaled by ||W[i, :]||
        assert torch.allclose(q[2][i], raw[2][i] * lin_w[i].norm(), rtol=1e-6)
    for j in (1, 3, 4, 5):  # biases and norm scales get 1
        assert torch.equal(q[j], raw[j])


def test_direction_is_a_pure_function_of_seed_and_dtype_independent():
    model = _model()
    a, _ = random_direction(model, 5)
    b, _ = random_direction(model, 5)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    c, _ = random_direction(_model().double(), 5)
    assert all(torch.allclose(x.double(), y, rtol=1e-6) for x, y in zip(a, c, strict=True))


def test_norm_is_about_sqrt_n_and_seeds_are_documented():
    model = nn.Linear(100, 100)
    _, norm = random_direction(model, 0)
    assert abs(norm / math.sqrt(10100) - 1) < 0.05
    assert direction_seed(3, 4) == 3 * 1_000_003 + 4


def test_bad_seed_and_integer_parameters_are_refused():
    with pytest.raises(ConfigError, match="seed"):
        direction_seed(-1, 0)
    model = nn.Linear(2, 2)
    model.weight = nn.Parameter(torch.zeros(2, 2, dtype=torch.int64), requires_grad=False)
    with pytest.raises(ConfigError, match="float"):
        random_direction(model, 0)
