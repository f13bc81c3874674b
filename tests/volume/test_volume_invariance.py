"""Direction normalisation and function-preserving rescalings of ReLU networks (docs/engine.md).

A positive rescaling that keeps every prediction multiplies each parameter by a positive factor (θ' = D·θ, D
diagonal). With Q = P ∘ |θ0| ('elementwise') the ray becomes θ'(c) = D·θ(c), so every loss along it, every
crossing and every radius is unchanged. 'rows_biases' is covariant under layer-wise factors only; the paper's
'rows' leaves biases at scale 1 and drifts.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from basinlab import measure_volume

FACTORS = (0.01, 100.0)


def _mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3)).double()


def _cnn() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 3)).double()


def _data(model: nn.Sequential):
    g = torch.Generator().manual_seed(1)
    shape = (40, 5) if isinstance(model[0], nn.Linear) else (40, 1, 6, 6)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    with torch.no_grad():
        y = model(x).argmax(dim=1)  # labels the model fits: a low centre loss
    return x, y


def _rescale(model: nn.Sequential, layer: int, factors: torch.Tensor) -> nn.Sequential:
    """Unit i of ``model[layer]`` (weights and bias) x factors[i], its outgoing weights x 1/factors[i]."""
    out = copy.deepcopy(model)
    first = out[layer]
    nxt = next(m for m in list(out)[layer + 1:] if isinstance(m, (nn.Linear, nn.Conv2d)))
    with torch.no_grad():
        shape = (-1,) + (1,) * (first.weight.dim() - 1)
        first.weight.mul_(factors.reshape(shape))
        first.bias.mul_(factors)
        if isinstance(first, nn.Conv2d) and isinstance(nxt, nn.Linear):  # flattened channel-major features
            per_feature = factors.repeat_interleave(nxt.weight.shape[1] // len(factors))
        else:
            per_feature = factors
        nxt.weight.div_(per_feature.reshape(1, -1))
    return out


def _radii(model, x, y, normalization):
    with torch.no_grad():
        centre = float(nn.functional.cross_entropy(model(x), y))
    return measure_volume(model, x, y, thresholds=(centre + 0.5,), directions=12, seed=3, rtol=1e-6,
                          normalization=normalization)


def _factors(kind: str, a: float, width: int) -> torch.Tensor:
    if kind == "layer":
        return torch.full((width,), a, dtype=torch.float64)
    g = torch.Generator().manual_seed(int(a * 100) + width)  # per neuron: each unit its own factor in [a/10, a*10]
    return a * torch.exp(torch.empty(width, dtype=torch.float64).uniform_(-2.3, 2.3, generator=g))


@pytest.mark.parametrize("build", [_mlp, _cnn], ids=["mlp", "cnn"])
@pytest.mark.parametrize("kind", ["layer", "neuron"])
@pytest.mark.parametrize("a", FACTORS)
def test_elementwise_volume_is_invariant_to_every_positive_rescaling(build, kind, a):
    model = build()
    x, y = _data(model)
    base = _radii(model, x, y, "elementwise")
    width = model[0].weight.shape[0]
    other = _rescale(model, 0, _factors(kind, a, width))
    with torch.no_grad():
        np.testing.assert_allclose(other(x).numpy(), model(x).numpy(), rtol=1e-9, atol=1e-12)  # same function
    moved = _radii(other, x, y, "elementwise")
    assert (base.radii > 0).all() and base.censored.sum() < len(base.radii)  # real crossings, not all censored
    np.testing.assert_array_equal(moved.censored, base.censored)
    np.testing.assert_allclose(moved.radii, base.radii, rtol=1e-10)
    assert abs(moved.log_volume() - base.log_volume()) <= 1e-10 * abs(base.log_volume()) + 1e-9


@pytest.mark.parametrize("build", [_mlp, _cnn], ids=["mlp", "cnn"])
@pytest.mark.parametrize("a", FACTORS)
def test_rows_biases_volume_is_invariant_to_layerwise_rescaling(build, a):
    model = build()
    x, y = _data(model)
    width = model[0].weight.shape[0]
    base = _radii(model, x, y, "rows_biases")
    moved = _radii(_rescale(model, 0, _factors("layer", a, width)), x, y, "rows_biases")
    np.testing.assert_allclose(moved.radii, base.radii, rtol=1e-10)


def test_the_papers_rows_normalisation_drifts_and_rows_biases_does_not_cover_per_neuron_factors():
    model = _mlp()
    x, y = _data(model)
    layer = _rescale(model, 0, _factors("layer", 100.0, 8))
    rows = [_radii(m, x, y, "rows") for m in (model, layer)]
    drift = np.abs(np.log(rows[1].radii / rows[0].radii)).max()
    assert drift > 0.05, drift  # biases at scale 1 while their rows grow 100x: the radii change
    neuron = _rescale(model, 0, _factors("neuron", 1.0, 8))
    rb = [_radii(m, x, y, "rows_biases") for m in (model, neuron)]
    assert np.abs(np.log(rb[1].radii / rb[0].radii)).max() > 1e-3  # per-neuron factors break row norms downstream


def test_unknown_normalization_is_a_clear_error():
    from basinlab.errors import ConfigError

    model = _mlp()
    x, y = _data(model)
    with pytest.raises(ConfigError, match="normalization 'filter' is unknown; use one of 'rows'"):
        measure_volume(model, x, y, directions=2, normalization="filter")
