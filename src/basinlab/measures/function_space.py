"""A function-space measure in the spirit of "weakness": how far held-out predictions can move while every
training prediction stays fixed.

Definition (``function_space``). Let θ ∈ Rⁿ be the parameters, X the landscape's training inputs, X' the
held-out inputs, and pred_θ(x) = argmax_k f_θ(x)_k. For directions k = 1..K draw ε_k ~ N(0, Iₙ) (seeded; ε_k
depends only on (seed, k) and n) and set

    θ_k(c) = θ ∘ (1 + c·ε_k)                     (elementwise relative perturbation of size c)

A point is *compatible* if pred_{θ_k(c)}(x) = pred_θ(x) for every x ∈ X (and, if ``tau`` > 0, its mean
training loss is ≤ tau). c_k* is the first-crossing edge of the compatible set along the ray: the first grid
scale (``scales`` points, geometric from ``c_min`` to ``c_max``) that is incompatible, refined by ``refine``
bisection steps against the last compatible one (c_k* = that compatible end; 0 if c_min already fails;
``c_max`` and counted as censored if none fails). Then

    d_k = fraction of x' ∈ X' with pred_{θ_k(c_k*)}(x') ≠ pred_θ(x')
    function_space = mean_k d_k        (stderr = std_k d_k / √K)

i.e. the expected share of held-out inputs whose predicted class can be flipped by a random perturbation that
keeps all training predictions. ``details`` adds c_k*, d_k and ``completions``: the number of distinct
held-out prediction vectors among θ and the K edge points (with their entropy in nats).

Why it depends only on the function: the reparameterisations of :mod:`basinlab.measures.reparam` map θ to Dθ
for a positive diagonal D (per-neuron rescaling) with f_{Dφ} = f_φ for *every* φ. Relative perturbations
commute with D: Dθ ∘ (1 + cε) = D(θ ∘ (1 + cε)), so every compared prediction, hence c_k*, d_k and the value,
is identical (to float rounding; float64 by default). Absolute or filter-normalised perturbation sizes do not
have this property (biases break filter normalisation). Parameters equal to 0 are never perturbed; batch-norm
folding changes the parameter layout, so it is not covered by this invariance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .base import MeasureData, MeasureValue, register_measure
from .functional import FlatModel, make_flat

__all__ = ["function_space", "edge_scale"]


def edge_scale(compatible, grid: np.ndarray, refine: int) -> tuple[float, bool]:
    """``(c*, censored)``: the compatible end of the first crossing along ``grid`` (ascending), refined by
    ``refine`` bisection steps; ``compatible(c) -> bool``."""
    lo = 0.0
    for c in grid:
        if not compatible(float(c)):
            hi = float(c)
            for _ in range(refine):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if compatible(mid) else (lo, mid)
            return lo, False
        lo = float(c)
    return lo, True


@register_measure(
    "function_space",
    {"directions": 16, "c_min": 1e-3, "c_max": 1.0, "scales": 8, "refine": 5, "tau": 0.0, "float64": True},
    outputs=("function_space",),
    reads=("train", "held_out"),
    checks={"directions": (lambda v: v >= 2, "an integer ≥ 2"), "c_min": (lambda v: v > 0, "positive"),
            "c_max": (lambda v: v > 0, "positive"), "scales": (lambda v: v >= 2, "an integer ≥ 2"),
            "refine": (lambda v: v >= 0, "≥ 0"), "tau": (lambda v: v >= 0, "≥ 0 (0 = off)")},
)
def function_space(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Expected share of held-out predictions flipped at the edge of the training-prediction-preserving set."""
    if data.test_inputs is None:
        raise ConfigError("function_space needs held-out inputs (test data); pass test_data / --landscape with a test split")
    if not settings["c_min"] < settings["c_max"]:
        raise ConfigError(f"setting measures.function_space.c_min must be below c_max; got {settings['c_min']} ≥ {settings['c_max']}")
    flat: FlatModel = make_flat(model, data, settings, settings["float64"])
    limit = int(settings["test_examples"]) or len(data.test_inputs)
    held_out = data.test_inputs[:limit].to(flat.dtype)
    train_pred = flat.predictions(flat.theta0, flat.inputs)
    test_pred = flat.predictions(flat.theta0, held_out)
    grid = np.geomspace(settings["c_min"], settings["c_max"], settings["scales"])

    def compatible_for(eps: torch.Tensor):
        def compatible(c: float) -> bool:
            theta = flat.theta0 * (1 + c * eps)
            if not bool(torch.equal(flat.predictions(theta, flat.inputs), train_pred)):
                return False
            return settings["tau"] <= 0 or flat.loss(theta) <= settings["tau"]
        return compatible

    edges, flips, censored, completions = [], [], 0, [tuple(test_pred.tolist())]
    for k in range(settings["directions"]):
        eps = torch.randn(flat.n, generator=torch.Generator().manual_seed(seed * 1_000_003 + k), dtype=flat.dtype)
        c_star, cens = edge_scale(compatible_for(eps), grid, settings["refine"])
        pred = flat.predictions(flat.theta0 * (1 + c_star * eps), held_out)
        edges.append(c_star)
        flips.append(float((pred != test_pred).double().mean()))
        censored += int(cens)
        completions.append(tuple(pred.tolist()))
    _, counts = np.unique(np.array(completions), axis=0, return_counts=True)
    p = counts / counts.sum()
    arr = np.asarray(flips)
    details = {"edge_scales": np.asarray(edges), "flip_fractions": arr, "censored": censored,
               "completions": int(len(counts)), "completion_entropy": float(-(p * np.log(p)).sum())}
    return {"function_space": MeasureValue(float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(len(arr))), details)}
