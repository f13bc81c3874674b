"""One full-batch step of SGD, SAM and ASAM through ``train`` equals the update computed by hand.

The model is a single linear layer with MSE loss, whose gradient has a closed form:
out = x W^T + b, L = mean((out - y)^2) over N*C entries, dL/dout = 2 (out - y) / (N C),
dL/dW = dout^T x, dL/db = sum_n dout.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from basinlab.data.dataset import Dataset, DatasetSpec
from basinlab.train import TrainConfig, train

LR, RHO, ETA = 0.1, 0.05, 0.01


def setup():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(8, 2, generator=g)
    model = nn.Sequential(nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.randn(2, 3, generator=g))
        model[0].bias.copy_(torch.randn(2, generator=g))
    data = Dataset(x, y, 2, DatasetSpec("modular"))
    return model, data, x.double(), y.double()


def grads(w, b, x, y):
    dout = 2 * (x @ w.T + b - y) / y.numel()
    return dout.T @ x, dout.sum(0)


def one_step(model, data, **kwargs):
    config = TrainConfig(optimizer="sgd", lr=LR, weight_decay=0.0, batch_size=None, epochs=1, loss="mse", **kwargs)
    train(model, data, config)
    return model[0].weight.detach().double(), model[0].bias.detach().double()


def test_plain_sgd_step():
    model, data, x, y = setup()
    w, b = model[0].weight.detach().double().clone(), model[0].bias.detach().double().clone()
    gw, gb = grads(w, b, x, y)
    got_w, got_b = one_step(model, data)
    torch.testing.assert_close(got_w, w - LR * gw, rtol=0, atol=1e-6)
    torch.testing.assert_close(got_b, b - LR * gb, rtol=0, atol=1e-6)


def test_sam_step():
    model, data, x, y = setup()
    w, b = model[0].weight.detach().double().clone(), model[0].bias.detach().double().clone()
    gw, gb = grads(w, b, x, y)
    norm = torch.sqrt((gw ** 2).sum() + (gb ** 2).sum())
    ew, eb = RHO * gw / norm, RHO * gb / norm
    gw2, gb2 = grads(w + ew, b + eb, x, y)
    got_w, got_b = one_step(model, data, sam_rho=RHO)
    torch.testing.assert_close(got_w, w - LR * gw2, rtol=0, atol=1e-6)
    torch.testing.assert_close(got_b, b - LR * gb2, rtol=0, atol=1e-6)
    # the perturbation matters: SAM's step differs from plain SGD's by more than the tolerance
    assert (got_w - (w - LR * gw)).abs().max() > 1e-4


def test_asam_step():
    model, data, x, y = setup()
    w, b = model[0].weight.detach().double().clone(), model[0].bias.detach().double().clone()
    gw, gb = grads(w, b, x, y)
    tw = w.abs() + ETA                       # weights: T = |w| + eta; biases: T = 1
    norm = torch.sqrt(((tw * gw) ** 2).sum() + (gb ** 2).sum())
    ew, eb = RHO * tw * tw * gw / norm, RHO * gb / norm
    gw2, gb2 = grads(w + ew, b + eb, x, y)
    got_w, got_b = one_step(model, data, sam_rho=RHO, sam_adaptive=True, sam_eta=ETA)
    torch.testing.assert_close(got_w, w - LR * gw2, rtol=0, atol=1e-6)
    torch.testing.assert_close(got_b, b - LR * gb2, rtol=0, atol=1e-6)


def test_asam_differs_from_sam():
    model_a, data, _, _ = setup()
    model_b, _, _, _ = setup()
    a = one_step(model_a, data, sam_rho=0.5)
    b = one_step(model_b, data, sam_rho=0.5, sam_adaptive=True)
    assert not torch.allclose(a[0], b[0], atol=1e-5)


def test_adamw_first_step_by_hand():
    """AdamW's first step: w <- w (1 - lr wd) - lr * m_hat / (sqrt(v_hat) + eps), with m_hat = g, v_hat = g^2."""
    model, data, x, y = setup()
    w = model[0].weight.detach().double().clone()
    gw, _ = grads(w, model[0].bias.detach().double(), x, y)
    config = TrainConfig(lr=LR, weight_decay=0.01, batch_size=None, epochs=1, loss="mse")
    train(model, data, config)
    expected = w * (1 - LR * 0.01) - LR * gw / (gw.abs() + 1e-8)
    torch.testing.assert_close(model[0].weight.detach().double(), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("adaptive", [False, True])
def test_sam_with_minibatches_runs_and_lowers_loss(make_blobs, adaptive):
    from basinlab.models import build_model, model_preset

    data = make_blobs()
    model = build_model(model_preset("mlp", (4,), 3, hidden=(16,)), seed=0)
    result = train(model, data, TrainConfig(epochs=15, batch_size=16, lr=0.01, sam_rho=0.05,
                                            sam_adaptive=adaptive))
    assert result.history[-1]["train_loss"] < 0.5 * result.history[0]["train_loss"]
