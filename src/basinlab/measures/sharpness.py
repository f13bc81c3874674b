"""Perturbation sharpness of the mean training loss at θ0: ε-sharpness, SAM sharpness, Gaussian-noise sensitivity.

Definitions (L = mean training loss, θ = θ0 flattened, n parameters):

- ``eps_sharpness`` (Keskar et al. 2017, eq. 3): 100 · (max_{δ∈C} L(θ+δ) − L(θ)) / (1 + L(θ)) over the box
  C = {|δ_i| ≤ ε(|θ_i| + 1)}, maximised by projected sign-gradient ascent from a seeded uniform point in C
  (the maximum over all iterates is kept, so more steps never lower it).
- ``sam`` = max_{‖δ‖₂≤ρ} L(θ+δ) − L(θ) by iterated SAM steps δ ← ρ·∇L(θ+δ)/‖∇L(θ+δ)‖ from δ = 0
  (the first is the SAM step; the largest loss over all iterates is kept); ``sam_avg`` = E_u[L(θ + ρu)] − L(θ), u uniform on the unit sphere (± stderr over directions).
- ``asam`` / ``asam_avg``: the same in the adaptive ball {δ = T u, ‖u‖₂ ≤ ρ_a}, T = diag(|θ_i| + η) (Kwon et al.
  2021). With η = 0 (default) both are exactly invariant under positive per-neuron rescalings of ReLU nets.
- ``noise`` = E_ε[L(θ + σε)] − L(θ), ε ~ N(0, I_n) (± stderr over draws).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .base import MeasureData, MeasureValue, register_measure
from .functional import FlatModel, make_flat

__all__ = ["eps_sharpness", "sam_sharpness", "noise_sensitivity", "ascent_l2", "ascent_box"]

_POS = (lambda v: v > 0, "positive")
_COUNT = (lambda v: v >= 1, "an integer ≥ 1")


def _stats(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(len(arr))) if len(arr) > 1 else math.nan


def ascent_box(flat: FlatModel, box: torch.Tensor, steps: int, generator: torch.Generator) -> float:
    """max L(θ+δ) over |δ| ≤ box by projected sign-gradient ascent (step 2.5·box/steps) from a uniform start."""
    delta = (torch.rand(flat.n, generator=generator, dtype=flat.dtype) * 2 - 1) * box
    best = flat.loss(flat.theta0 + delta)
    for _ in range(steps):
        value, g = flat.loss_and_grad(flat.theta0 + delta)
        best = max(best, value)
        delta = torch.clamp(delta + 2.5 / steps * box * torch.sign(g), -box, box)
    return max(best, flat.loss(flat.theta0 + delta))


def ascent_l2(flat: FlatModel, rho: float, steps: int, scale: torch.Tensor | None = None,
              generator: torch.Generator | None = None) -> float:
    """max L(θ + T u) over ‖u‖₂ ≤ ρ (T = diag(scale), identity if None) by iterated SAM steps.

    u₁ = ρ·Tg/‖Tg‖ at u = 0 (the SAM step), then u_{t+1} = ρ·Tg(θ+Tu_t)/‖Tg(θ+Tu_t)‖ — the fixed-point
    (power-iteration-like) ascent to the sphere; the largest loss over all iterates is kept. If the gradient
    vanishes at θ (an exact minimum) the first iterate is a seeded random point on the sphere.
    """
    t = torch.ones_like(flat.theta0) if scale is None else scale
    u = torch.zeros_like(flat.theta0)
    best = -math.inf
    for i in range(steps + 1):
        value, g = flat.loss_and_grad(flat.theta0 + t * u)
        best = max(best, value)
        if i == steps:
            break
        gu = t * g
        norm = float(torch.linalg.vector_norm(gu))
        if norm == 0.0:
            if i > 0:
                break
            gu = torch.randn(flat.n, generator=generator or torch.Generator().manual_seed(0), dtype=flat.dtype)
            norm = float(torch.linalg.vector_norm(gu))
        u = rho * gu / norm
    return best


def _sphere_average(flat: FlatModel, rho: float, count: int, generator: torch.Generator,
                    scale: torch.Tensor | None, base: float) -> tuple[float, float]:
    diffs = []
    for _ in range(count):
        u = torch.randn(flat.n, generator=generator, dtype=flat.dtype)
        u = rho * u / torch.linalg.vector_norm(u)
        diffs.append(flat.loss(flat.theta0 + (u if scale is None else scale * u)) - base)
    return _stats(diffs)


@register_measure(
    "eps_sharpness",
    {"eps": 1e-3, "steps": 20, "float64": False},
    outputs=("eps_sharpness",),
    checks={"eps": _POS, "steps": _COUNT},
)
def eps_sharpness(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """ε-sharpness (Keskar et al. 2017) in percent: 100·(max_box L − L)/(1 + L), box |δ_i| ≤ ε(|θ_i|+1)."""
    flat = make_flat(model, data, settings, settings["float64"])
    base = flat.loss()
    box = settings["eps"] * (flat.theta0.abs() + 1)
    worst = ascent_box(flat, box, settings["steps"], torch.Generator().manual_seed(seed))
    return {"eps_sharpness": MeasureValue(100 * (worst - base) / (1 + base), math.nan, {"max_loss": worst})}


@register_measure(
    "sam",
    {"rho": 0.05, "adaptive_rho": 0.5, "eta": 0.0, "steps": 10, "directions": 16, "float64": False},
    outputs=("sam", "sam_avg", "asam", "asam_avg"),
    checks={"rho": _POS, "adaptive_rho": _POS, "eta": (lambda v: v >= 0, "≥ 0"), "steps": _COUNT,
            "directions": (lambda v: v >= 2, "an integer ≥ 2")},
)
def sam_sharpness(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """SAM sharpness at radius ρ: worst case (projected ascent) and sphere average; plain and adaptive (ASAM)."""
    flat = make_flat(model, data, settings, settings["float64"])
    base = flat.loss()
    scale = flat.theta0.abs() + settings["eta"]
    rho, arho, steps = settings["rho"], settings["adaptive_rho"], settings["steps"]
    avg = _sphere_average(flat, rho, settings["directions"], torch.Generator().manual_seed(seed), None, base)
    aavg = _sphere_average(flat, arho, settings["directions"], torch.Generator().manual_seed(seed + 1), scale, base)
    return {
        "sam": MeasureValue(ascent_l2(flat, rho, steps, None, torch.Generator().manual_seed(seed + 2)) - base),
        "sam_avg": MeasureValue(*avg),
        "asam": MeasureValue(ascent_l2(flat, arho, steps, scale, torch.Generator().manual_seed(seed + 3)) - base),
        "asam_avg": MeasureValue(*aavg),
    }


@register_measure(
    "noise",
    {"sigma": 0.01, "draws": 16, "float64": False},
    outputs=("noise",),
    checks={"sigma": _POS, "draws": (lambda v: v >= 2, "an integer ≥ 2")},
)
def noise_sensitivity(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Gaussian-noise sensitivity: E[L(θ + σε)] − L(θ), ε ~ N(0, I), ± stderr over ``draws``."""
    flat = make_flat(model, data, settings, settings["float64"])
    base = flat.loss()
    g = torch.Generator().manual_seed(seed)
    diffs = [flat.loss(flat.theta0 + settings["sigma"] * torch.randn(flat.n, generator=g, dtype=flat.dtype)) - base
             for _ in range(settings["draws"])]
    return {"noise": MeasureValue(*_stats(diffs))}
