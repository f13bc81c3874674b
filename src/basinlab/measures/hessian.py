"""Hessian measures of the mean training loss at θ0: top-k eigenvalues, trace, eigenvalue density (SLQ)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import MeasureData, MeasureValue, register_measure
from .functional import make_flat
from .linalg import hutchinson_trace, hutchpp_trace, lanczos_top, slq, slq_density

__all__ = ["hessian_top", "hessian_trace", "hessian_density"]

_POS = (lambda v: v > 0, "positive")


@register_measure(
    "hessian_top",
    {"k": 1, "tol": 1e-4, "max_iter": 1000, "float64": False},
    outputs=("hessian_top",),
    checks={"k": (lambda v: 1 <= v <= 100, "an integer in [1, 100]"), "tol": _POS, "max_iter": _POS},
)
def hessian_top(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Largest Hessian eigenvalue λmax of the mean training loss (Lanczos on Hessian-vector products).

    Row ``hessian_top`` = λ1; ``details['eigenvalues']`` holds the top ``k`` (descending). Exact up to ``tol``.
    """
    flat = make_flat(model, data, settings, settings["float64"])
    vals = lanczos_top(flat.hvp, flat.n, min(settings["k"], flat.n), seed=seed, tol=settings["tol"],
                       max_iter=settings["max_iter"], dtype=flat.dtype)
    return {"hessian_top": MeasureValue(float(vals[0]), float("nan"), {"eigenvalues": vals})}


@register_measure(
    "hessian_trace",
    {"matvecs": 60, "method": "hutchpp", "float64": False},
    outputs=("hessian_trace",),
    checks={"matvecs": (lambda v: v >= 3, "an integer ≥ 3"),
            "method": (lambda v: v in ("hutchpp", "hutchinson"), "'hutchpp' or 'hutchinson'")},
)
def hessian_trace(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Hessian trace tr(∇²L) by Hutch++ (default) or Hutchinson with ``matvecs`` Rademacher products (± stderr)."""
    flat = make_flat(model, data, settings, settings["float64"])
    est = hutchpp_trace if settings["method"] == "hutchpp" else hutchinson_trace
    return {"hessian_trace": est(flat.hvp, flat.n, settings["matvecs"], seed=seed, dtype=flat.dtype)}


@register_measure(
    "hessian_density",
    {"steps": 30, "probes": 4, "sigma": 0.0, "grid": 400, "float64": False},
    outputs=("hessian_density",),
    checks={"steps": (lambda v: v >= 2, "an integer ≥ 2"), "probes": _POS, "grid": (lambda v: v >= 10, "≥ 10"),
            "sigma": (lambda v: v >= 0, "≥ 0 (0 = 1% of the spectral range)")},
)
def hessian_density(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Hessian eigenvalue density by stochastic Lanczos quadrature (SLQ).

    Row value: the SLQ trace estimate n·Σ w_j θ_j (stderr over probes). ``details``: ``nodes``, ``weights``
    (sum 1), and ``grid``/``density`` — the Gaussian-broadened density (σ = ``sigma`` or 1% of the range).
    """
    flat = make_flat(model, data, settings, settings["float64"])
    nodes, weights, probe = slq(flat.hvp, flat.n, settings["steps"], settings["probes"], seed=seed, dtype=flat.dtype)
    lo, hi = float(nodes.min()), float(nodes.max())
    sigma = settings["sigma"] or max(1e-12, 0.01 * (hi - lo))
    grid = np.linspace(lo - 5 * sigma, hi + 5 * sigma, settings["grid"])
    per_probe = np.array([flat.n * settings["probes"] * (nodes[probe == i] @ weights[probe == i])
                          for i in range(settings["probes"])])
    stderr = float(per_probe.std(ddof=1) / np.sqrt(len(per_probe))) if len(per_probe) > 1 else float("nan")
    details = {"nodes": nodes, "weights": weights, "grid": grid, "density": slq_density(nodes, weights, grid, sigma)}
    return {"hessian_density": MeasureValue(float(per_probe.mean()), stderr, details)}
