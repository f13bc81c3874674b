"""The research code's radius method, kept as a reference for tests and benchmarks.

One direction at a time (:func:`reference_radii`: one threshold, one landscape;
:func:`reference_curve_radii`: the paper's measurement task, every landscape its own curve, all thresholds read
from it); the coefficients ``linspace(0, 1, points)**2`` are all evaluated, each with a plain
forward pass of the whole landscape at θ0 + c·Q; the radius is the first grid coefficient whose mean loss
exceeds τ, times ‖P‖. Directions come from :func:`~basinlab.volume.random_direction` with the same seeds as
:func:`~basinlab.volume.measure_volume`, so the two are comparable direction by direction. A direction with no
grid point above τ is reported at the last coefficient (1.0) and flagged censored (the research code used 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from ..landscape.losses import resolve_loss
from .directions import direction_seed, random_direction

__all__ = ["reference_radii", "reference_grid", "reference_curve_radii"]


def reference_grid(points: int = 100) -> np.ndarray:
    """The research code's coefficients ``linspace(0, 1, points)**2`` (float64)."""
    return np.linspace(0.0, 1.0, points) ** 2


@torch.no_grad()
def reference_radii(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    threshold: float = 0.1,
    directions: int | Sequence[int] = 10,
    seed: int = 0,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "cross_entropy",
    filter_normalize: bool = True,
    points: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense-grid radii ``(radii (K,), censored (K,))`` of directions ``k`` (``range(directions)`` or a list).

    Every grid point costs one full forward pass; per-sample losses are averaged in float64.
    """
    loss_fn, _ = resolve_loss(loss, None)
    ks = list(range(directions)) if isinstance(directions, int) else list(directions)
    grid = reference_grid(points)
    names = [n for n, _ in model.named_parameters()]
    theta0 = [p.detach() for p in model.parameters()]
    was_training = model.training
    model.eval()
    radii = np.zeros(len(ks))
    censored = np.zeros(len(ks), dtype=bool)
    try:
        for i, k in enumerate(ks):
            q, norm = random_direction(model, direction_seed(seed, k), filter_normalize)
            hit = None
            for c in grid:  # every coefficient is evaluated, as in the research code
                params = {n: p0 + float(c) * qq for n, p0, qq in zip(names, theta0, q, strict=True)}
                out = functional_call(model, params, (inputs,))
                value = float(loss_fn(out, targets).double().mean())
                if hit is None and not value <= threshold:
                    hit = float(c)
            censored[i] = hit is None
            radii[i] = (grid[-1] if hit is None else hit) * norm
    finally:
        model.train(was_training)
    return radii, censored


@torch.no_grad()
def reference_curve_radii(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    thresholds: Sequence[float] = (0.1, 0.05, 0.02),
    landscapes: Sequence[int] | None = None,
    directions: int | Sequence[int] = 10,
    seed: int = 0,
    points: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """The research code's whole measurement: ``(radii (K, T, L), censored (K, T, L))``.

    Per direction and per landscape (the first ``N_l`` rows, default all), the loss curve on the grid
    ``linspace(0, 1, points)**2`` is computed with one full forward pass of that landscape per coefficient; every
    threshold's radius is the first grid coefficient above it on that one curve, times ‖P‖ (cross-entropy loss,
    filter-normalised directions)."""
    loss_fn, _ = resolve_loss("cross_entropy", None)
    ks = list(range(directions)) if isinstance(directions, int) else list(directions)
    sizes = [len(inputs)] if landscapes is None else [int(n) for n in landscapes]
    taus = np.asarray(thresholds, dtype=np.float64)
    grid = reference_grid(points)
    names = [n for n, _ in model.named_parameters()]
    theta0 = [p.detach() for p in model.parameters()]
    was_training = model.training
    model.eval()
    radii = np.zeros((len(ks), len(taus), len(sizes)))
    censored = np.zeros(radii.shape, dtype=bool)
    try:
        for i, k in enumerate(ks):
            q, norm = random_direction(model, direction_seed(seed, k))
            for li, n in enumerate(sizes):
                curve = np.empty(len(grid))
                for g, c in enumerate(grid):
                    params = {nm: p0 + float(c) * qq for nm, p0, qq in zip(names, theta0, q, strict=True)}
                    curve[g] = float(loss_fn(functional_call(model, params, (inputs[:n],)), targets[:n]).double().mean())
                above = ~(curve[None, :] <= taus[:, None])  # (T, points); NaN counts as above
                hit = above.any(axis=1)
                first = np.where(hit, above.argmax(axis=1), len(grid) - 1)
                censored[i, :, li] = ~hit
                radii[i, :, li] = grid[first] * norm
    finally:
        model.train(was_training)
    return radii, censored
