"""PAC-Bayes flatness: the largest isotropic noise scale σ* with E[L(θ + σ*ε)] − L(θ) ≤ bound.

The expectation is the mean over a fixed set of ``draws`` seeded Gaussian vectors ε_j (common random numbers),
so g(σ) = mean_j L(θ + σε_j) − L(θ) is one deterministic function and bisection is reproducible. The bracket
starts at [0, sigma_start] and doubles its top until g exceeds the bound (at most 60 doublings; if it never
does, σ* is reported as that top, flagged ``censored``). Bisection then keeps g(lo) ≤ bound < g(hi) and stops
when hi − lo ≤ rtol·hi. Reported rows:

- ``pac_bayes_sigma`` = σ* (= lo), stderr by the delta method under a locally quadratic g:
  se(g(σ*)) / g'(σ*), g' ≈ 2 g(σ*)/σ*, se(g) = sample std of the per-draw increases / √draws.
- ``pac_bayes_flatness`` = 1/σ*² (Jiang et al. 2020's "pacbayes.flatness"; larger = sharper).
- ``pac_bayes_kl`` = ‖θ − θ_ref‖² / (2σ*²), the KL divergence KL(N(θ, σ*²I) ‖ N(θ_ref, σ*²I)) that enters a
  PAC-Bayes bound; θ_ref = the initial parameters when ``init_state`` is given, else 0.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .base import NONFINITE_INIT, MeasureData, MeasureValue, nonfinite_state, register_measure
from .functional import FlatModel, make_flat

__all__ = ["pac_bayes_sigma", "pac_bayes"]


def pac_bayes_sigma(
    flat: FlatModel, bound: float, draws: int, *, seed: int = 0, sigma_start: float = 1e-2, rtol: float = 1e-3
) -> tuple[float, float, bool]:
    """``(σ*, stderr, censored)``: largest σ with mean_j L(θ+σε_j) − L(θ) ≤ ``bound`` (see module docstring)."""
    g = torch.Generator().manual_seed(seed)
    eps = torch.randn(draws, flat.n, generator=g, dtype=flat.dtype)
    base = flat.loss()

    def increases(sigma: float) -> torch.Tensor:
        return torch.tensor([flat.loss(flat.theta0 + sigma * e) - base for e in eps], dtype=torch.float64)

    lo, hi, censored = 0.0, sigma_start, False
    for _ in range(60):
        if float(increases(hi).mean()) > bound:
            break
        lo, hi = hi, 2 * hi
    else:
        censored = True
    while not censored and hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if float(increases(mid).mean()) > bound:
            hi = mid
        else:
            lo = mid
    sigma = lo if lo > 0 else hi
    d = increases(sigma)
    gval = float(d.mean())
    se_g = float(d.std(unbiased=True)) / math.sqrt(draws) if draws > 1 else math.nan
    stderr = se_g / (2 * gval / sigma) if gval > 0 else math.nan
    return sigma, stderr, censored


@register_measure(
    "pac_bayes",
    {"bound": 0.1, "draws": 16, "sigma_start": 0.01, "rtol": 1e-3, "float64": False},
    outputs=("pac_bayes_sigma", "pac_bayes_flatness", "pac_bayes_kl"),
    checks={"bound": (lambda v: v > 0, "positive"), "draws": (lambda v: v >= 2, "an integer ≥ 2"),
            "sigma_start": (lambda v: v > 0, "positive"), "rtol": (lambda v: 0 < v < 1, "in (0, 1)")},
)
def pac_bayes(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """PAC-Bayes flatness σ* (largest noise scale with mean loss increase ≤ bound), 1/σ*² and the KL term."""
    flat = make_flat(model, data, settings, settings["float64"])
    sigma, stderr, censored = pac_bayes_sigma(flat, settings["bound"], settings["draws"], seed=seed,
                                              sigma_start=settings["sigma_start"], rtol=settings["rtol"])
    ref = flat.flatten(dict(data.init_state)) if data.init_state is not None else torch.zeros_like(flat.theta0)
    dist2 = float(torch.sum((flat.theta0 - ref) ** 2))
    details = {"censored": censored, "reference": "init" if data.init_state is not None else "zero"}
    return {
        "pac_bayes_sigma": MeasureValue(sigma, stderr, details),
        "pac_bayes_flatness": MeasureValue(1.0 / sigma**2, 2 * stderr / sigma**3 if stderr == stderr else math.nan),
        "pac_bayes_kl": (MeasureValue(math.nan, math.nan, {**details, "reason": NONFINITE_INIT})
                         if nonfinite_state(data.init_state) else MeasureValue(dist2 / (2 * sigma**2), math.nan, details)),
    }
