"""Weakness (Bennett 2023; 2026 preprint): the log-volume of completions on unseen inputs that stay compatible
with the learned function, counted in the learner's own hypothesis class (networks of the same architecture).

Public definition. Bennett ("The Optimal Choice of Hypothesis Is the Weakest, Not the Shortest", arXiv:2301.12987)
calls the weakness of a hypothesis the cardinality of its extension — how many completions of the unseen part of
a task it admits — and proves that, with tasks uniformly distributed, preferring the weakest hypothesis
maximises the probability of generalising. "Are Flat Minima an Illusion?" (arXiv:2605.05209) applies it to
networks: weakness is "the volume of completions compatible with the learned function in the learner's embodied
language". Its estimator is not public; this is ours, as close to that sentence as we can make it.

Estimator (``weakness``). θ ∈ Rⁿ are the parameters, X the training inputs, U the unseen inputs (the held-out
split, first ``test_examples``), pred_θ(x) = argmax_k f_θ(x)_k. A hypothesis θ' of the same network is
*compatible* with the learned function when pred_θ'(x) = pred_θ(x) for every x ∈ X. Compatible hypotheses are
sampled along K seeded rays of relative perturbations θ_k(c) = θ ∘ (1 + c·ε_k), ε_k ~ N(0, Iₙ): every grid scale
c (``scales`` points, geometric from ``c_min`` to ``c_max``) up to the first incompatible one, plus ``refine``
bisection points towards it (the star-shaped compatible region around θ, as the basin volume walks its rays).
Each compatible sample labels U. With L_u the set of labels seen at u ∈ U over all samples (pred_θ(u) included):

    weakness = (1/|U|) Σ_u log |L_u|      (nats per unseen input; 0 = every completion pinned down)

the log-volume of the product set Π_u L_u of completions, per unseen input. Larger = more completions left
open = weaker = predicted to generalise better (Bennett's sign). stderr: delete-one-direction jackknife.
``details``: ``total_nats`` = Σ_u log |L_u|, ``open_share`` (share of U with |L_u| ≥ 2), ``distinct`` (distinct
labellings of U among the samples), ``samples``, ``edge_scales``, ``censored`` (rays compatible up to c_max).

It is a lower estimate of the compatible region's completions, growing with K and the grid: compare networks
only at equal settings. Reparameterisation invariance: a function-preserving rescaling maps θ to Dθ (D positive
diagonal) with f_{Dφ} = f_φ for every φ, and Dθ ∘ (1 + cε) = D(θ ∘ (1 + cε)); with the same seed every compared
prediction is identical, so is the value (tested). Zero parameters are never perturbed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .base import MeasureData, MeasureValue, register_measure
from .functional import FlatModel, make_flat

__all__ = ["weakness", "weakness_from_label_sets"]


def weakness_from_label_sets(seen: np.ndarray) -> float:
    """(1/|U|) Σ_u log |L_u| from a boolean ``(|U|, classes)`` array of labels seen per unseen input."""
    counts = seen.sum(axis=1)
    if counts.size == 0 or counts.min() < 1:
        raise ValueError("every unseen input needs at least its own label")
    return float(np.log(counts).mean())


@register_measure(
    "weakness",
    {"directions": 16, "c_min": 1e-3, "c_max": 1.0, "scales": 8, "refine": 4, "float64": True},
    outputs=("weakness",),
    reads=("train", "held_out"),
    checks={"directions": (lambda v: v >= 2, "an integer ≥ 2"), "c_min": (lambda v: v > 0, "positive"),
            "c_max": (lambda v: v > 0, "positive"), "scales": (lambda v: v >= 2, "an integer ≥ 2"),
            "refine": (lambda v: v >= 0, "≥ 0")},
)
def weakness(model: Any, data: MeasureData, settings: dict[str, Any], seed: int) -> dict[str, MeasureValue]:
    """Weakness: log-volume (nats per unseen input) of the completions on unseen inputs left open by the
    hypotheses of the same network that keep every training prediction (larger = weaker)."""
    if data.test_inputs is None:
        raise ConfigError("weakness needs unseen inputs (test data); pass test_data / a landscape with a test split")
    if not settings["c_min"] < settings["c_max"]:
        raise ConfigError(f"setting measures.weakness.c_min must be below c_max; got {settings['c_min']} ≥ {settings['c_max']}")
    flat: FlatModel = make_flat(model, data, settings, settings["float64"])
    limit = int(settings["test_examples"]) or len(data.test_inputs)
    unseen = data.test_inputs[:limit].to(flat.inputs.device, flat.dtype)
    n_train = len(flat.inputs)
    both = torch.cat([flat.inputs, unseen])
    base = flat.predictions(flat.theta0, both)
    train_pred, own = base[:n_train], base[n_train:].numpy()
    logits_dim = int(flat.outputs(flat.theta0, unseen[:1]).shape[-1])
    grid = np.geomspace(settings["c_min"], settings["c_max"], settings["scales"])
    K = settings["directions"]
    seen = np.zeros((K, len(own), logits_dim), dtype=bool)  # per direction: labels seen at each unseen input
    labellings: set[bytes] = {own.astype(np.int16).tobytes()}
    edges, censored, samples = [], 0, 0

    for k in range(K):
        eps = torch.randn(flat.n, generator=torch.Generator().manual_seed(seed * 1_000_003 + k), dtype=flat.dtype)

        def visit(c: float, k: int = k, eps: torch.Tensor = eps) -> bool:
            """Label U at θ_k(c) if it is compatible; return whether it is."""
            nonlocal samples
            pred = flat.predictions(flat.theta0 * (1 + c * eps), both)
            if not bool(torch.equal(pred[:n_train], train_pred)):
                return False
            labels = pred[n_train:].numpy()
            seen[k, np.arange(len(labels)), labels] = True
            labellings.add(labels.astype(np.int16).tobytes())
            samples += 1
            return True

        lo, hi = 0.0, None
        for c in grid:
            if not visit(float(c)):
                hi = float(c)
                break
            lo = float(c)
        if hi is None:
            censored += 1
        else:
            for _ in range(settings["refine"]):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if visit(mid) else (lo, mid)
        edges.append(lo)

    own_seen = np.zeros((len(own), logits_dim), dtype=bool)
    own_seen[np.arange(len(own)), own] = True
    union = own_seen | seen.any(axis=0)
    value = weakness_from_label_sets(union)
    # delete-one-direction jackknife
    loo = np.array([weakness_from_label_sets(own_seen | np.delete(seen, k, axis=0).any(axis=0)) for k in range(K)])
    stderr = float(math.sqrt((K - 1) / K * ((loo - loo.mean()) ** 2).sum()))
    counts = union.sum(axis=1)
    details = {"total_nats": float(np.log(counts).sum()), "open_share": float((counts >= 2).mean()),
               "distinct": len(labellings), "samples": samples, "edge_scales": np.asarray(edges),
               "censored": censored, "unseen": len(own)}
    return {"weakness": MeasureValue(value, stderr, details)}
