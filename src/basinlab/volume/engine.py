"""``measure_volume``: first-crossing radii of K random directions in T thresholds × L nested landscapes.

Directions are processed in batches. Within a batch every (direction, threshold, landscape) search is a
generator (:func:`~basinlab.volume.search.crossing_search`); each round collects the coefficients all searches
ask for, evaluates the new ones in one batched call (:class:`~basinlab.landscape.RayEvaluator`) and answers
every search from a per-direction memo, so thresholds and landscapes share evaluations; each search is also told
the points its direction's other searches evaluated, which it uses to choose its own probes. Later batches start
their brackets at the median crossing of the finished directions (radii of one minimum are similar). The guess and
the shared points change which points are probed, never the radius (see the search's module docstring).
"""

from __future__ import annotations

import copy
import logging
import statistics
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import DataError
from ..landscape.evaluator import DEFAULT_MEMORY_BUDGET, RayEvaluator
from ..landscape.losses import resolve_loss
from ..runtime import resolve_device
from .directions import direction_seed, draw_directions, random_direction, resolve_normalization
from .result import VolumeResult
from .search import crossing_search
from .validate import check_arguments

__all__ = ["measure_volume", "DEFAULT_MAX_COEFFICIENT", "DEFAULT_SCAN_POINTS"]

log = logging.getLogger(__name__)

DEFAULT_MAX_COEFFICIENT = 10.0
DEFAULT_SCAN_POINTS = 8  # resolution < 13% of c*: as fine as the paper's grid at typical crossings
EXIT_FACTOR = 2.0  # early exit once a partial sum proves the mean loss > EXIT_FACTOR·max(τ): points just above τ
# stay exact, so the refinement keeps its fast interpolation steps
ROWS_PER_BATCH = 16384  # auto batch: about this many (direction x example) rows of B_k per batch


def measure_volume(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    thresholds: Sequence[float] = (0.1,),
    directions: int = 500,
    seed: int = 0,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "cross_entropy",
    filter_normalize: bool = True,
    normalization: str | None = None,
    rtol: float = 1e-4,
    max_coefficient: float = DEFAULT_MAX_COEFFICIENT,
    landscapes: Sequence[int] | None = None,
    batch_directions: int | None = None,
    device: str | torch.device | None = None,
    progress: bool = False,
    scan_points: int = DEFAULT_SCAN_POINTS,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    nonnegative_loss: bool | None = None,
    general_path: bool = False,
) -> VolumeResult:
    """Monte Carlo basin volume of the minimum θ0 = ``model``'s parameters (docs/method.md §1).

    Args:
        model: any ``nn.Module`` with float parameters; evaluated in eval mode (its mode is restored) and never
            modified. ``nn.Sequential`` MLP/CNN chains use the exact first-layer fast path.
        inputs, targets: data ``(N, ...)`` and ``(N,)`` int64 labels (or ``(N, C)`` float for ``'mse'``).
        thresholds: loss levels τ > 0.  directions: K.  seed: direction k uses torch seed ``seed*1_000_003 + k``.
        loss: ``'cross_entropy'``, ``'mse'`` or a callable ``(outputs (B, C), targets (B, ...)) -> (B,)``.
        filter_normalize: scale directions by per-unit weight norms (the paper's normalisation).
        normalization: overrides ``filter_normalize``: ``'rows'`` (the paper: weight rows/filters by their norm,
            biases by 1), ``'rows_biases'`` (also biases by |b|: invariant to layer-wise rescaling of ReLU nets),
            ``'elementwise'`` (every parameter by |θ0|: invariant to every positive per-neuron and per-layer
            rescaling), ``'none'``. See docs/engine.md, "Direction normalisation".
        rtol: relative tolerance of each crossing coefficient c*.
        max_coefficient: search limit in c; no crossing below it → censored (radius is a lower bound).
        landscapes: increasing prefix sizes of the data (default: all N rows as one landscape).
        batch_directions: directions per batch (default: by size, about 16k direction×example rows).
        device: where to compute (default: the model's device); a copy of the model is moved there.
        progress: log one line per batch at INFO level (logger ``basinlab.volume.engine``).
        scan_points: scan resolution. Once the crossing is bracketed in a coarse ladder cell ``[c_lo, c_hi]``
            (``c_hi < 1.05·c*``), every gap longer than ``h = c_hi/scan_points`` between points known ≤ τ in
            ``[0, c_lo]`` is filled with grid points ``m·h``, so an excursion above τ before the crossing that is wider
            than h (< 13% of c* at the default 8, < 26% at 4) is never skipped; a narrower one may be. For comparison,
            the paper's grid ``linspace(0,1,100)²`` is ``2√c/99`` apart at c: 10% of c* at a typical c* = 0.04, finer
            below it. Cost: about ``scan_points − 1`` evaluations per direction, half of all evaluations at the
            default (``benchmarks/volume_speed.py`` prints the speed at 4 as well).
        memory_budget: bytes of activations per evaluated chunk.
        nonnegative_loss: allow early exit (proven above τ from a partial sum); default True for built-in losses,
            False for callables.
        general_path: force the general ``torch.func`` path (for testing the fast path).

    Precision: the model runs in its parameter dtype (float32 models in float32); per-sample losses are summed
    in float64. Returns a :class:`VolumeResult`.
    """
    taus, sizes = check_arguments(
        model, inputs, targets, thresholds=thresholds, directions=directions, seed=seed, rtol=rtol,
        max_coefficient=max_coefficient, landscapes=landscapes, batch_directions=batch_directions,
        scan_points=scan_points, memory_budget=memory_budget,
    )
    loss_fn, nonneg = resolve_loss(loss, nonnegative_loss)
    mode = resolve_normalization(normalization, bool(filter_normalize))
    first = next(model.parameters())
    dev = first.device if device is None else resolve_device(device)
    work = model if dev == first.device else copy.deepcopy(model).to(dev)
    was_training = model.training
    model.eval()
    work.eval()
    try:
        with torch.no_grad():
            x = inputs[: sizes[-1]].to(dev)
            if x.dtype.is_floating_point:  # float inputs run in the parameters' dtype; integer ones stay
                x = x.to(first.dtype)
            y = targets[: sizes[-1]].to(dev)
            return _measure(
                work, x, y, loss_fn, loss, taus, sizes, int(directions), int(seed), mode,
                float(rtol), float(max_coefficient), batch_directions, bool(progress), int(scan_points),
                int(memory_budget), EXIT_FACTOR * max(taus) if nonneg else None, bool(general_path),
            )
    finally:
        model.train(was_training)


def _measure(
    model, x, y, loss_fn, loss, taus, sizes, n_dirs, seed, normalization, rtol, max_c, batch_directions,
    progress, scan_points, memory_budget, tau_exit, general,
) -> VolumeResult:
    try:
        ev = RayEvaluator(
            model, x, y, loss_fn, sizes, tau_exit=tau_exit, memory_budget=memory_budget, general=general
        )
        seeds = [direction_seed(seed, k) for k in range(n_dirs)]
        q0, _ = random_direction(model, seeds[0], normalization=normalization)
        ev.set_directions([q0])
        zero = torch.zeros(1, dtype=torch.float64)
        vals, _, _ = ev.evaluate(torch.zeros(1, dtype=torch.long), zero, torch.tensor([len(sizes) - 1]),
                                 early_exit=False)
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        if isinstance(exc, DataError) or type(exc).__module__.startswith("basinlab"):
            raise
        raise DataError(
            f"the model cannot evaluate inputs of shape {tuple(x.shape)} with targets of shape "
            f"{tuple(y.shape)} and loss {loss!r}: {exc}"
        ) from exc
    centre = vals[0].numpy().copy()
    n_t, n_l = len(taus), len(sizes)
    radii = np.zeros((n_dirs, n_t, n_l))
    censored = np.zeros((n_dirs, n_t, n_l), dtype=bool)
    norms = np.zeros(n_dirs)
    finished: dict[tuple[int, int], list[float]] = {(t, li): [] for t in range(n_t) for li in range(n_l)}
    if batch_directions is None:
        per_dir = sizes[-1] * max(1, int(ev.backend.width)) * ev.itemsize
        batch = max(1, min(64, ROWS_PER_BATCH // sizes[-1], memory_budget // per_dir))
    else:
        batch = batch_directions
    nonfinite = 0
    k0 = 0
    stream = draw_directions(model, seeds, normalization=normalization)
    while k0 < n_dirs:
        # the first batch is a single pilot direction so later batches start from its crossings
        size = 1 if k0 == 0 and batch > 1 and n_dirs > 1 else min(batch, n_dirs - k0)
        ks = list(range(k0, k0 + size))
        drawn = [next(stream) for _ in ks]
        ev.set_directions([q for q, _ in drawn])
        for j, k in enumerate(ks):
            norms[k] = drawn[j][1]
        guesses = {key: (statistics.median(v) if v else None) for key, v in finished.items()}
        out, bad = _run_batch(ev, len(ks), taus, centre, guesses, max_c, rtol, scan_points)
        nonfinite += bad
        for (j, t, li), (c_star, cens) in out.items():
            radii[ks[j], t, li] = c_star * norms[ks[j]]
            censored[ks[j], t, li] = cens
            if c_star > 0 and not cens:
                finished[(t, li)].append(c_star)
        k0 += size
        if progress:
            log.info("volume: %d/%d directions done", k0, n_dirs)
    stream.close()
    counts: dict[str, Any] = {
        "points": ev.n_points, "point_rows": ev.point_rows, "direction_rows": ev.direction_rows,
        "flops": ev.flops, "nonfinite_points": nonfinite, "fast_path": bool(ev.fast), "batch_directions": batch,
    }
    return VolumeResult(
        radii=radii, censored=censored, seeds=np.array(seeds, dtype=np.int64), thresholds=np.array(taus),
        landscapes=np.array(sizes, dtype=np.int64), centre_loss=centre, norms=norms,
        n_params=sum(p.numel() for p in model.parameters()), filter_normalize=normalization != "none",
        normalization=normalization, rtol=rtol,
        max_coefficient=max_c, scan_points=scan_points, loss=loss if isinstance(loss, str) else "callable",
        counts=counts,
    )


def _run_batch(ev, n_k, taus, centre, guesses, max_c, rtol, scan_points):
    """Run every search of one direction batch; returns ``{(j, t, l): (c_star, censored)}`` and the number of
    evaluated points with a non-finite loss."""
    n_l = len(centre)
    memo: list[dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]]] = [{} for _ in range(n_k)]
    results: dict[tuple[int, int, int], tuple[float, bool]] = {}
    gens, reqs = {}, {}
    seen: dict[tuple[int, int, int], set[float]] = {}  # points each search knows
    for j in range(n_k):
        for t, tau in enumerate(taus):
            for li in range(n_l):
                if not centre[li] <= tau:  # centre above τ (or not finite): volume 0
                    results[(j, t, li)] = (0.0, False)
                    continue
                g = crossing_search(
                    tau, max_c=max_c, rtol=rtol, scan_points=scan_points, guess=guesses[(t, li)],
                    centre=float(centre[li]),
                )
                gens[(j, t, li)] = g
                reqs[(j, t, li)] = next(g)
                seen[(j, t, li)] = set()
    nonfinite = 0
    while reqs:
        need: dict[tuple[int, float], int] = {}
        for (j, _, li), cs in reqs.items():
            for c in cs:
                m = memo[j].get(c)
                if m is None or not m[2][li]:
                    need[(j, c)] = max(need.get((j, c), -1), li)
        if need:
            keys = list(need)
            vals, exact, known = ev.evaluate(
                torch.tensor([j for j, _ in keys]), torch.tensor([c for _, c in keys], dtype=torch.float64),
                torch.tensor([need[key] for key in keys]),
            )
            vals, exact, known = vals.numpy(), exact.numpy(), known.numpy()
            nonfinite += int((known & ~np.isfinite(vals)).any(axis=1).sum())
            for i, (j, c) in enumerate(keys):
                old = memo[j].get(c)
                if old is None:
                    memo[j][c] = (vals[i].copy(), exact[i].copy(), known[i].copy())
                else:
                    fill = known[i] & ~old[2]
                    old[0][fill], old[1][fill], old[2][fill] = vals[i][fill], exact[i][fill], True
        new = {}
        for key, cs in reqs.items():
            j, _, li = key
            answers = [(float(memo[j][c][0][li]), bool(memo[j][c][1][li])) for c in cs]
            seen[key].update(cs)
            # what this direction's other searches found in landscape li guides this search's probes
            extra = {c: (float(m[0][li]), bool(m[1][li])) for c, m in memo[j].items() if m[2][li] and c not in seen[key]}
            seen[key].update(extra)
            try:
                new[key] = gens[key].send((answers, extra))
            except StopIteration as stop:
                results[key] = stop.value
        reqs = new
    return results, nonfinite
