"""PAC-Bayes bisection, SAM, noise and ε-sharpness on linear regression at an exact minimum, where
L(w + δ) − L(w) = δᵀSδ with S = XᵀX/N (closed forms for every expectation and worst case)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from basinlab.measures import compute_measures


def _exact_regression(n_rows=80, dim=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_rows, dim, generator=g, dtype=torch.float64)
    model = nn.Linear(dim, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.randn(1, dim, generator=g, dtype=torch.float64))
        y = model(x)  # zero residual: w is an exact minimum
    s = x.T @ x / n_rows
    return model, x, y, s


def test_pac_bayes_sigma_matches_closed_form():
    model, x, y, s = _exact_regression()
    bound, draws, seed = 0.1, 64, 7
    rows = {r["measure"]: r for r in compute_measures(
        model, (x, y), None, ["pac_bayes"],
        {"pac_bayes": {"bound": bound, "draws": draws, "float64": True, "rtol": 1e-5}}, seed=seed)}
    sigma = rows["pac_bayes_sigma"]["value"]
    # Exact for these draws: g(σ) = σ² · mean_j ε_jᵀSε_j, so σ* = sqrt(bound / c).
    eps = torch.randn(draws, 20, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    c = float(torch.einsum("ji,ik,jk->j", eps, s, eps).mean())
    assert sigma == pytest.approx(math.sqrt(bound / c), rel=1e-4)
    # In expectation E[εᵀSε] = tr S = mean ‖x‖²; relative sd of c is sqrt(2 tr S² / draws) / tr S.
    tr = float(torch.trace(s))
    rel_sd = math.sqrt(2 * float(torch.trace(s @ s)) / draws) / tr
    assert abs(sigma / math.sqrt(bound / tr) - 1) <= 4 * 0.5 * rel_sd
    assert rows["pac_bayes_flatness"]["value"] == pytest.approx(1 / sigma**2)
    w2 = float((model.weight**2).sum())
    assert rows["pac_bayes_kl"]["value"] == pytest.approx(w2 / (2 * sigma**2))


def test_noise_sensitivity_is_sigma_squared_trace():
    model, x, y, s = _exact_regression()
    sigma, draws = 0.05, 200
    (row,) = compute_measures(model, (x, y), None, ["noise"],
                              {"noise": {"sigma": sigma, "draws": draws, "float64": True}}, seed=1)
    expected = sigma**2 * float(torch.trace(s))
    sd = sigma**2 * math.sqrt(2 * float(torch.trace(s @ s)) / draws)
    assert abs(row["value"] - expected) <= 4 * sd
    assert 0.6 < row["stderr"] / sd < 1.5


def test_sam_worst_case_and_sphere_average_closed_forms():
    model, x, y, s = _exact_regression()
    rho = 0.1
    rows = {r["measure"]: r for r in compute_measures(
        model, (x, y), None, ["sam"], {"sam": {"rho": rho, "steps": 40, "directions": 400, "float64": True}}, seed=0)}
    lam = np.linalg.eigvalsh(s.numpy())
    worst = rho**2 * lam[-1]  # max over ‖δ‖ ≤ ρ of δᵀSδ
    assert worst * 0.97 <= rows["sam"]["value"] <= worst * (1 + 1e-9)
    avg = rho**2 * lam.sum() / len(lam)  # E over the sphere: ρ² tr S / n
    assert abs(rows["sam_avg"]["value"] - avg) <= 5 * rows["sam_avg"]["stderr"]
    assert rows["asam"]["value"] >= rows["asam_avg"]["value"] > 0


def test_eps_sharpness_bounds_and_monotone_in_eps():
    model, x, y, s = _exact_regression()
    box = (model.weight.detach().abs().reshape(-1) + 1)
    values = []
    for eps in (1e-3, 2e-3):
        (row,) = compute_measures(model, (x, y), None, ["eps_sharpness"],
                                  {"eps_sharpness": {"eps": eps, "steps": 30, "float64": True}}, seed=0)
        b = eps * box
        upper = float(b @ s.abs() @ b)  # max over the box of δᵀSδ ≤ Σ|S_ij| b_i b_j
        lower = float((b * torch.sign(torch.linalg.eigh(s).eigenvectors[:, -1])) @ s
                      @ (b * torch.sign(torch.linalg.eigh(s).eigenvectors[:, -1])))
        assert 0.5 * 100 * lower <= row["value"] <= 100 * upper * (1 + 1e-9)
        values.append(row["value"])
    assert values[1] > values[0]
