"""The functional measures API: PyHessian's README in a few lines, one function per registered measure."""

from __future__ import annotations

import inspect
import math

import pytest
import torch
from torch import nn
from torch.func import functional_call

import basinlab.measures as bm
from basinlab.errors import BasinlabError, ConfigError
from basinlab.measures import MEASURES, MeasureValue, register_measure


class UserNet(nn.Module):
    """A user's own module (not an nn.Sequential built by basinlab)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 6)
        self.head = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.tanh(self.body(x)))


def _dense_hessian(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The full Hessian of the mean cross-entropy in float64 (reference)."""
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def loss(t: torch.Tensor) -> torch.Tensor:
        params, start = {}, 0
        for n, s in zip(names, shapes, strict=True):
            params[n] = t[start:start + s.numel()].view(s)
            start += s.numel()
        return nn.functional.cross_entropy(functional_call(model, params, (x,)), y)

    return torch.autograd.functional.hessian(loss, theta)


def test_pyhessian_readme_top_eigenvalue_and_trace_on_a_dataloader():
    torch.manual_seed(0)
    x = torch.randn(96, 4, dtype=torch.float64)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    model = UserNet().double()
    # --- user code (PyHessian: hessian(model, criterion, dataloader).eigenvalues() / .trace()) ---
    from torch.utils.data import DataLoader, TensorDataset

    from basinlab.measures import hessian_top, hessian_trace

    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    top = hessian_top(model, loader, k=2, float64=True)
    trace = hessian_trace(model, loader, matvecs=3 * 51, float64=True)  # Hutch++ sketch spans all 51 params
    eigenvalues, trace_value = top.details["eigenvalues"], trace.value
    # --- end of user code: 6 lines ---
    reference = _dense_hessian(model, x, y)
    expected = torch.linalg.eigvalsh(reference).flip(0)[:2]
    assert top.value == pytest.approx(float(expected[0]), rel=1e-6)
    assert list(eigenvalues) == pytest.approx(expected.tolist(), rel=1e-6)
    assert trace_value == pytest.approx(float(torch.trace(reference)), rel=1e-6)
    assert float(top) == top.value and math.isnan(top.stderr) and top.settings["k"] == 2


def test_every_registered_measure_has_a_function_with_its_settings():
    for name, info in MEASURES.items():
        fn = getattr(bm, bm.python_name(name))
        params = inspect.signature(fn).parameters
        assert list(params)[:3] == ["model", "data", "targets"]
        for key, default in info.defaults.items():
            assert params[key].default == default and params[key].kind is inspect.Parameter.KEYWORD_ONLY
        assert fn.__name__ == bm.python_name(name) and "Example::" in fn.__doc__
        assert bm.python_name(name) in bm.__all__
    assert bm.python_name("sam") == "sam_sharpness" and bm.python_name("noise") == "noise_sensitivity"


def test_a_measure_registered_later_gets_its_function_without_an_edit(blobs):
    x, y, _, _ = blobs

    @register_measure("late_loss", {"scale": 1.0}, outputs=("late_loss", "late_double"))
    def late_loss(model, data, settings, seed):
        """Scaled mean loss (a measure registered after import)."""
        with torch.no_grad():
            value = float(nn.functional.cross_entropy(model(data.inputs), data.targets)) * settings["scale"]
        return {"late_loss": MeasureValue(value), "late_double": MeasureValue(2 * value, 0.5)}

    try:
        model = nn.Sequential(nn.Flatten(), nn.Linear(6, 3))
        result = bm.late_loss(model, x, y, scale=2.0)
        with torch.no_grad():
            expected = 2.0 * float(nn.functional.cross_entropy(model(x), y))
        assert result.value == pytest.approx(expected)
        assert result["late_double"].value == pytest.approx(2 * expected) and result["late_double"].stderr == 0.5
        assert "scale" in inspect.signature(bm.late_loss).parameters
        assert bm.measure("late_loss", model, (x, y)).value == pytest.approx(expected / 2)
    finally:
        MEASURES.pop("late_loss")
    with pytest.raises(AttributeError, match="no attribute 'late_loss'"):
        bm.late_loss  # noqa: B018


def test_multi_output_result_numpy_inputs_and_errors(trained_mlp, blobs):
    model, init = trained_mlp
    x, y, xt, yt = blobs
    sam = bm.sam_sharpness(model, x.numpy(), y.numpy(), directions=4, steps=2, seed=3)
    assert list(sam.outputs) == ["sam", "sam_avg", "asam", "asam_avg"] and sam.value == sam["sam"].value
    assert sam.value >= 0 and sam["sam_avg"].stderr > 0 and sam.settings["seed"] == 3
    assert repr(sam).startswith("MeasureResult(sam=") and len(repr(sam)) < 200
    again = bm.measure("sam_sharpness", model, (x, y), directions=4, steps=2, seed=3)
    assert again.outputs == sam.outputs  # same seed, same numbers; the array and tensor forms agree
    from basinlab.measures.norms import frobenius_norm

    norms = bm.norms(model, x, y, init_state=init)
    assert norms.value == pytest.approx(frobenius_norm(model)) and norms["dist_init"].value > 0
    flips = bm.function_space(model, x, y, test=xt, test_targets=yt, directions=2, refine=0, scales=3)
    assert 0 <= flips.value <= 1
    with pytest.raises(ConfigError, match=r"hessian_top\(\) got unknown setting\(s\) \['kk'\]"):
        bm.hessian_top(model, x, y, kk=3)
    with pytest.raises(ConfigError, match="k must be an integer in"):
        bm.hessian_top(model, x, y, k=0)
    with pytest.raises(BasinlabError, match="data must be torch tensors or numpy arrays.*got dict"):
        bm.hessian_top(model, {"x": x})
    with pytest.raises(ConfigError, match="measure 'hessian' is unknown"):
        bm.measure("hessian", model, x, y)
    with pytest.raises(TypeError):
        bm.hessian_top(model, x, y, 3)  # settings are keyword-only
    with pytest.raises(KeyError, match="'asam' is not an output of noise"):
        bm.noise_sensitivity(model, x, y, draws=2)["asam"]
