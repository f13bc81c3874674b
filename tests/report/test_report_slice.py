"""loss_slice: the plane is orthonormal (distances preserved), grid values equal direct evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from figure_checks import clipped, grey_clashes
from matplotlib.figure import Figure

from basinlab.errors import ConfigError
from basinlab.report import caption, loss_slice, plot_loss_slice


def _models(k=3):
    out = []
    for seed in range(k):
        torch.manual_seed(seed)
        out.append(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)))
    return out


def _data(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def _flat(m):
    return torch.cat([p.detach().reshape(-1).double() for p in m.parameters()])


def test_plane_preserves_distances_between_the_minima():
    models = _models()
    s = loss_slice(models, _data(50, 0), _data(20, 1), 5)
    pts = [np.array(p) for p in s.points.values()]
    flats = [_flat(m) for m in models]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert np.linalg.norm(pts[i] - pts[j]) == pytest.approx(float(torch.linalg.norm(flats[i] - flats[j])), rel=1e-9)


def test_grid_values_equal_direct_evaluation():
    models = _models()
    x, y = _data(70, 0)
    xs, ys = _data(9, 2)
    s = loss_slice(models, (x, y), (xs, ys), 7, batch_points=5, chunk=16, landscape_names=("big", "small"))
    flats = [_flat(m) for m in models]
    e1 = (flats[1] - flats[0]) / torch.linalg.norm(flats[1] - flats[0])
    w = flats[2] - flats[0] - ((flats[2] - flats[0]) @ e1) * e1
    e2 = w / torch.linalg.norm(w)
    probe = _models(1)[0]
    for i, j in ((0, 0), (3, 5), (6, 2)):
        theta = flats[0] + s.u[j] * e1 + s.v[i] * e2
        torch.nn.utils.vector_to_parameters(theta.float(), probe.parameters())
        with torch.no_grad():
            for name, (xx, yy) in (("big", (x, y)), ("small", (xs, ys))):
                direct = torch.nn.functional.cross_entropy(probe(xx), yy).item()
                assert s.losses[name][i, j] == pytest.approx(direct, rel=1e-5)


class _Wrapped(torch.nn.Module):
    """The same network outside nn.Sequential: the slice evaluates it whole at every grid point."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def test_first_layer_shortcut_equals_whole_network_evaluation_in_float64():
    models = [m.double() for m in _models()]
    x, y = _data(70, 0)
    x = x.double()
    fast = loss_slice(models, (x, y), (x[:9], y[:9]), 6, batch_points=4, chunk=16)  # A + u·B1 + v·B2 path
    whole = loss_slice([_Wrapped(m) for m in models], (x, y), (x[:9], y[:9]), 6, batch_points=4, chunk=16)
    for name in fast.losses:
        np.testing.assert_allclose(fast.losses[name], whole.losses[name], rtol=1e-10, atol=0)


def test_minimum_corners_have_their_model_loss():
    models = _models()
    x, y = _data(40, 0)
    s = loss_slice(models, (x, y), (x, y), 3, margin=0.0)  # grid corners (0,0) and (u_max, 0) are θ_a, θ_b
    with torch.no_grad():
        for model, (i, j) in zip(models[:2], ((0, 0), (0, 2)), strict=True):
            assert s.losses["landscape A"][i, j] == pytest.approx(
                torch.nn.functional.cross_entropy(model(x), y).item(), rel=1e-5)


def test_bad_inputs():
    models = _models()
    with pytest.raises(ConfigError, match="exactly three models"):
        loss_slice(models[:2], _data(5, 0), _data(5, 0))
    with pytest.raises(ConfigError, match="non-collinear"):
        loss_slice([models[0], models[0], models[1]], _data(5, 0), _data(5, 0))
    with pytest.raises(ConfigError, match="Dataset or an \\(inputs, targets\\)"):
        loss_slice(models, "data", _data(5, 0))
    other = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    with pytest.raises(ConfigError, match="one architecture"):
        loss_slice([models[0], models[1], other], _data(5, 0), _data(5, 0))


def test_slice_figure():
    s = loss_slice(_models(), _data(30, 0), _data(10, 1), 9, labels=("D = 30", "D = 10", "D = 3"))
    fig = plot_loss_slice(s, threshold=1.0)
    assert not clipped(fig) and not grey_clashes(fig), (clipped(fig), grey_clashes(fig))
    assert "9×9 grid" in caption(fig) and "D = 30" in caption(fig)
    assert "n = 67," in caption(fig)  # 4·8 + 8 + 8·3 + 3 parameters
    assert len([a for a in fig.axes if a.get_title()]) == 2
    assert plot_loss_slice(None) is None
    user = Figure(figsize=(8, 3))
    assert plot_loss_slice(s, fig=user) is user and len(user.axes) == 3  # two panels and the colour bar
