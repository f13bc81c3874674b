"""Hessian top-k, trace and SLQ density against closed forms (linear model + MSE: H = 2XᵀX/(N·C))."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from basinlab.measures import compute_measures, hutchinson_trace, hutchpp_trace, slq, slq_density
from basinlab.measures.linalg import rademacher


def _linear_problem(n_rows=100, dim=12, outputs=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_rows, dim, generator=g) * torch.linspace(0.2, 3.0, dim)  # spread spectrum
    model = nn.Linear(dim, outputs, bias=False)
    y = torch.randn(n_rows, outputs, generator=g)
    hess_block = 2 * x.double().T @ x.double() / (n_rows * outputs)
    return model, x, y, torch.block_diag(*[hess_block] * outputs)


@pytest.mark.parametrize("outputs", [1, 2])
def test_top_eigenvalues_match_dense_spectrum(outputs):
    model, x, y, hess = _linear_problem(outputs=outputs)
    details = {}
    compute_measures(model, (x, y), None, ["hessian_top"], {"hessian_top": {"k": 3, "float64": True, "tol": 1e-10}},
                     seed=0, details=details)
    expected = np.sort(np.linalg.eigvalsh(hess.numpy()))[::-1][:3]
    np.testing.assert_allclose(details["hessian_top"].details["eigenvalues"], expected, rtol=1e-7)


def test_trace_of_linear_hessian_within_its_stderr():
    model, x, y, hess = _linear_problem()
    for method in ("hutchinson", "hutchpp"):
        rows = compute_measures(model, (x, y), None, ["hessian_trace"],
                                {"hessian_trace": {"method": method, "matvecs": 30, "float64": True}}, seed=3)
        exact = float(torch.trace(hess))
        assert abs(rows[0]["value"] - exact) <= 5 * rows[0]["stderr"] + 1e-9 * exact, method


def _known_matrix(n=40, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    eig = np.concatenate([[50.0, 20.0, 10.0], rng.uniform(-1, 2, n - 3)])
    a = torch.from_numpy((q * eig) @ q.T)
    return a, eig


def test_hutchinson_error_matches_its_variance_formula():
    a, _ = _known_matrix()
    exact = float(torch.trace(a))
    m = 25
    # Var(zᵀAz) = 2(‖A‖_F² − Σ A_ii²) for Rademacher z.
    sd = math.sqrt(2 * (float((a**2).sum()) - float((torch.diagonal(a) ** 2).sum())) / m)
    estimates = [hutchinson_trace(lambda v: a @ v, 40, m, seed=s, dtype=torch.float64) for s in range(60)]
    values = np.array([e.value for e in estimates])
    assert abs(values.mean() - exact) <= 4 * sd / math.sqrt(len(values))  # unbiased
    assert 0.6 < values.std(ddof=1) / sd < 1.5  # spread as predicted
    reported = np.array([e.stderr for e in estimates])
    assert 0.6 < reported.mean() / sd < 1.4


def test_hutchpp_beats_hutchinson_on_a_low_rank_dominated_matrix():
    a, _ = _known_matrix()
    exact = float(torch.trace(a))
    hpp = np.array([hutchpp_trace(lambda v: a @ v, 40, 24, seed=s, dtype=torch.float64).value for s in range(40)])
    hut = np.array([hutchinson_trace(lambda v: a @ v, 40, 24, seed=s, dtype=torch.float64).value for s in range(40)])
    assert abs(hpp.mean() - exact) <= 4 * hpp.std(ddof=1) / math.sqrt(len(hpp)) + 1e-9
    assert np.sqrt(np.mean((hpp - exact) ** 2)) < 0.5 * np.sqrt(np.mean((hut - exact) ** 2))


def test_slq_quadrature_reproduces_a_probes_moments_exactly():
    a, _ = _known_matrix()
    steps, n = 6, 40
    nodes, weights, _ = slq(lambda v: a @ v, n, steps=steps, probes=1, seed=5, dtype=torch.float64)
    z = rademacher(n, 1, torch.Generator().manual_seed(5), torch.float64)[0]
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    ap = z.clone()
    for p in range(2 * steps):  # Gauss quadrature with m nodes is exact for degree < 2m
        expected = float(z @ ap) / n
        assert float((weights * nodes**p).sum()) == pytest.approx(expected, rel=1e-8, abs=1e-10), p
        ap = a @ ap


def test_slq_density_integrates_to_one_and_matches_spectrum_moments():
    a, eig = _known_matrix()
    nodes, weights, _ = slq(lambda v: a @ v, 40, steps=12, probes=80, seed=0, dtype=torch.float64)
    grid = np.linspace(nodes.min() - 5, nodes.max() + 5, 20001)
    density = slq_density(nodes, weights, grid, sigma=0.5)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)
    for p in (1, 2):
        # Statistical check: per-probe moment zᵀAᵖz/n has variance 2(‖Aᵖ‖_F² − Σ diag²)/n²; 80 probes.
        ap = np.linalg.matrix_power(a.numpy(), p)
        sd = math.sqrt(2 * ((ap**2).sum() - (np.diag(ap) ** 2).sum())) / 40 / math.sqrt(80)
        assert abs((weights * nodes**p).sum() - np.mean(eig**p)) <= 5 * sd


def test_hessian_density_row_estimates_trace(trained_mlp, blobs):
    model, _ = trained_mlp
    x, y, _, _ = blobs
    details = {}
    rows = compute_measures(model, (x, y), None, ["hessian_density", "hessian_trace"],
                            {"hessian_density": {"probes": 6, "float64": True}, "hessian_trace": {"float64": True}},
                            seed=0, details=details)
    slq_tr, trace = rows[0], rows[1]
    assert abs(slq_tr["value"] - trace["value"]) <= 5 * math.hypot(slq_tr["stderr"], trace["stderr"])
    d = details["hessian_density"].details
    assert np.trapezoid(d["density"], d["grid"]) == pytest.approx(1.0, abs=1e-3)
