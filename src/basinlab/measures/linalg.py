"""Matrix-free spectral estimators for a symmetric operator given as ``matvec: (n,) tensor -> (n,) tensor``.

Top-k eigenvalues (Lanczos via scipy ``eigsh``, BLAS limited to one thread), trace (Hutchinson, Hutch++ —
Meyer et al. 2021) and the spectral density (stochastic Lanczos quadrature, Ubaru et al. 2017). Every random
probe comes from a ``torch.Generator`` seeded with ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .base import MeasureValue

__all__ = ["rademacher", "lanczos_top", "hutchinson_trace", "hutchpp_trace", "slq", "slq_density"]

MatVec = Callable[[torch.Tensor], torch.Tensor]


def rademacher(n: int, count: int, generator: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """``(count, n)`` entries ±1 with equal probability."""
    return (torch.randint(0, 2, (count, n), generator=generator) * 2 - 1).to(dtype)


def lanczos_top(
    matvec: MatVec, n: int, k: int = 1, *, seed: int = 0, tol: float = 1e-4, max_iter: int | None = None,
    dtype: torch.dtype = torch.float32, ncv: int | None = None,
) -> np.ndarray:
    """The ``k`` largest (algebraic) eigenvalues, descending, by implicitly restarted Lanczos (scipy ``eigsh``).

    ``tol`` is eigsh's relative accuracy; the start vector is seeded; ``ncv`` Lanczos vectors per restart
    (default 8 for k = 1 — about 10 products for λmax instead of scipy's 20 — else scipy's max(2k + 1, 20)).
    Single-vector Lanczos may miss copies of an exactly repeated eigenvalue (found only through rounding). Operators with ``n <= k + 1`` are
    formed densely (n matvecs) and solved exactly.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh
    from threadpoolctl import threadpool_limits

    def mv(v: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64).reshape(-1)).to(dtype)
        return matvec(x).detach().to(torch.float64).numpy()

    with threadpool_limits(limits=1, user_api="blas"):
        if n <= k + 1 or n <= 8:
            dense = np.stack([mv(e) for e in np.eye(n)], axis=1)
            vals = np.linalg.eigvalsh((dense + dense.T) / 2)
        else:
            v0 = np.random.default_rng(seed).standard_normal(n)
            op = LinearOperator((n, n), matvec=mv, dtype=np.float64)
            ncv = min(n - 1, ncv or (8 if k == 1 else max(2 * k + 1, 20)))
            vals = eigsh(op, k=k, which="LA", tol=tol, v0=v0, ncv=ncv, maxiter=max_iter, return_eigenvectors=False)
    return np.sort(np.asarray(vals))[::-1][:k].copy()


def hutchinson_trace(
    matvec: MatVec, n: int, samples: int, *, seed: int = 0, dtype: torch.dtype = torch.float32
) -> MeasureValue:
    """Hutchinson's estimate ``mean_i z_iᵀ A z_i`` (Rademacher z); stderr = sample std / √samples."""
    g = torch.Generator().manual_seed(seed)
    z = rademacher(n, samples, g, dtype)
    quad = np.array([float(zi @ matvec(zi)) for zi in z])
    stderr = float(quad.std(ddof=1) / math.sqrt(samples)) if samples > 1 else math.nan
    return MeasureValue(float(quad.mean()), stderr, {"samples": quad, "matvecs": samples})


def hutchpp_trace(
    matvec: MatVec, n: int, matvecs: int, *, seed: int = 0, dtype: torch.dtype = torch.float32
) -> MeasureValue:
    """Hutch++ with ``matvecs`` products (split in thirds): exact trace on a sketched top subspace + Hutchinson
    on the deflated rest. stderr is the Hutchinson part's sample std / √(matvecs/3)."""
    k = max(1, matvecs // 3)
    g = torch.Generator().manual_seed(seed)
    s = rademacher(n, k, g, dtype)
    gz = rademacher(n, k, g, dtype)
    a_s = torch.stack([matvec(v) for v in s], dim=1)  # (n, k)
    q, _ = torch.linalg.qr(a_s)  # (n, k) orthonormal
    a_q = torch.stack([matvec(q[:, j]) for j in range(q.shape[1])], dim=1)
    top = float(torch.sum(q * a_q))
    resid = gz.T - q @ (q.T @ gz.T)  # (n, k): (I - QQᵀ) G
    quad = _deflated_quads(matvec, q, resid)
    stderr = float(quad.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan
    return MeasureValue(top + float(quad.mean()), stderr, {"top_part": top, "samples": quad, "matvecs": 3 * k})


def _deflated_quads(matvec: MatVec, q: torch.Tensor, resid: torch.Tensor) -> np.ndarray:
    """``r_jᵀ A r_j`` for the deflated probes r_j = (I − QQᵀ) g_j (already projected)."""
    return np.array([float(resid[:, j] @ matvec(resid[:, j])) for j in range(resid.shape[1])])


def _lanczos_tridiagonal(matvec: MatVec, v: torch.Tensor, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Lanczos with full re-orthogonalisation from unit vector ``v``: diagonal α (m,) and off-diagonal β (m-1,)."""
    basis = [v]
    alphas, betas = [], []
    w = matvec(v)
    for j in range(steps):
        alpha = float(w @ basis[-1])
        alphas.append(alpha)
        w = w - alpha * basis[-1] - (betas[-1] * basis[-2] if j > 0 else 0)
        stacked = torch.stack(basis)
        w = w - stacked.T @ (stacked @ w)  # full re-orthogonalisation (twice is enough)
        w = w - stacked.T @ (stacked @ w)
        beta = float(torch.linalg.vector_norm(w))
        if j == steps - 1 or beta < 1e-10 * max(1.0, abs(alpha)):
            break
        betas.append(beta)
        basis.append(w / beta)
        w = matvec(basis[-1])
    return np.array(alphas), np.array(betas)


def slq(
    matvec: MatVec, n: int, steps: int = 30, probes: int = 4, *, seed: int = 0, dtype: torch.dtype = torch.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stochastic Lanczos quadrature: Ritz values (nodes) and weights of the spectral measure (1/n)Σδ(λ−λ_i).

    Returns ``(nodes, weights, probe)``, 1-D arrays of equal length (all probes concatenated; ``probe`` is each
    node's probe index); weights are ``(e₁ᵀ y_j)² / probes`` and sum to 1. For one probe v, Σ w θᵖ = vᵀAᵖv / vᵀv exactly for p < 2·steps.
    """
    g = torch.Generator().manual_seed(seed)
    nodes, weights, ids = [], [], []
    for i, z in enumerate(rademacher(n, probes, g, dtype)):
        alphas, betas = _lanczos_tridiagonal(matvec, z / math.sqrt(n), min(steps, n))
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        theta, vecs = np.linalg.eigh(t)
        nodes.append(theta)
        weights.append(vecs[0] ** 2 / probes)
        ids.append(np.full(len(theta), i))
    return np.concatenate(nodes), np.concatenate(weights), np.concatenate(ids)


def slq_density(nodes: np.ndarray, weights: np.ndarray, grid: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-broadened density Σ_j w_j N(grid; node_j, σ²) on ``grid`` (integrates to Σw = 1)."""
    grid = np.asarray(grid, dtype=np.float64)[:, None]
    kern = np.exp(-0.5 * ((grid - nodes[None, :]) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return kern @ weights
