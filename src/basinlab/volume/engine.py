"""``measure_volume``: first-crossing radii of K random directions in T thresholds × L nested landscapes.

Directions are processed in batches. Within a batch every (direction, threshold, landscape) search is a
generator (:func:`~basinlab.volume.search.crossing_search`); each round collects the coefficients all searches
ask for, evaluates the new ones in one batched call (:class:`~basinlab.landscape.RayEvaluator`) and answers
every search from a per-direction memo, so thresholds and landscapes share evaluations; each search is also told
the points its direction's other searches evaluated, which it uses to choose its own probes. The searches of one direction take turns (``search.COARSE_TURN``,
``SCAN_TURN``): larger landscapes bracket first, and scans run one at a time, largest landscape and lowest level
first, so later searches find their first probe and most of their scan already evaluated. Later batches start
their brackets at the median crossings of earlier batches (radii of one minimum are similar), and on the CPU several
batches run at once on their own threads (:mod:`.batches`). The guess and the shared points change which points are
probed, never the radius (see the search's module docstring); which batches a guess comes from is fixed, so neither
changes with the thread count.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn

from ..data.tensors import as_tensors
from ..errors import DataError
from ..landscape.evaluator import DEFAULT_MEMORY_BUDGET, RayEvaluator
from ..landscape.losses import resolve_loss, zero_one_error
from ..runtime import resolve_device
from .batches import MAX_WORKERS, Guesses, batch_ranges, guess_source, run_batches
from .directions import direction_seed, draw_directions, random_direction, resolve_normalization
from .directions_rowspace import check_direction_draw, rowspace_problem
from .result import VolumeResult
from .search import COARSE_TURN, SCAN_DONE, SCAN_TURN, crossing_search
from .validate import check_arguments, error_level

__all__ = ["measure_volume", "EngineSettings", "DEFAULT_MAX_COEFFICIENT", "DEFAULT_SCAN_POINTS"]

log = logging.getLogger(__name__)

DEFAULT_MAX_COEFFICIENT = 10.0
DEFAULT_SCAN_POINTS = 8  # resolution < 13% of c*: as fine as the paper's grid at typical crossings
EXIT_FACTOR = 2.0  # early exit once a partial sum proves the mean loss > EXIT_FACTOR·max(τ): points just above τ
# stay exact, so the refinement keeps its fast interpolation steps
ROWS_PER_BATCH = 16384  # auto batch: about this many (direction x example) rows of B_k per batch
# auto batch: at most this many directions. Smaller batches keep a round's per-point weights and activations in cache:
# 500 directions, 2 threads, interleaved best of 4, ms per direction for batches of 16 / 64: 2.71 / 3.10 at 60 rows,
# 4.02 / 5.72 at 200 rows (MLP 784-256-128-10); 1 thread: 4.43 / 5.63 and 6.56 / 8.09 (300 directions);
# a small CNN on 800 digits: 20.2 / 21.9 (batches of 8 were slower: 3.22 and 4.23 at 60 and 200 rows)
MAX_BATCH_DIRECTIONS = 16


@dataclass(frozen=True)
class EngineSettings:
    """Validated settings of one :func:`measure_volume` call, as the engine uses them.

    ``levels`` are the crossing levels on the evaluated quantity: the loss thresholds τ, or, for
    ``threshold_kind='accuracy'``, the error rates ``1 − level`` (:func:`~.validate.error_level`; a ray leaves the basin where the training error
    rises above ``1 − level``, i.e. the accuracy falls below the level). ``thresholds`` are the values as given."""

    thresholds: tuple[float, ...]
    levels: tuple[float, ...]
    threshold_kind: str
    sizes: tuple[int, ...]
    directions: int
    seed: int
    normalization: str
    rtol: float
    max_coefficient: float
    scan_points: int
    batch_directions: int | None
    memory_budget: int
    tau_exit: float | None  # early-exit level (EXIT_FACTOR·max level), None without early exit
    progress: bool | Callable[[int, int], None]  # True: INFO log lines; a callable: progress(done, total)
    general_path: bool
    loss_name: str
    direction_draw: str = "explicit"  # 'explicit' | 'rowspace' (directions_rowspace.py)
    workers: int | None = None  # threads for direction batches (None: torch's thread count, at most MAX_WORKERS)


def measure_volume(
    model: nn.Module,
    inputs: Any,
    targets: Any = None,
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
    progress: bool | Callable[[int, int], None] = False,
    scan_points: int = DEFAULT_SCAN_POINTS,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    nonnegative_loss: bool | None = None,
    general_path: bool = False,
    threshold_kind: str = "loss",
    direction_draw: str = "explicit",
    workers: int | None = None,
) -> VolumeResult:
    """Monte Carlo basin volume of the minimum θ0 = ``model``'s parameters (docs/method.md §1).

    Args:
        model: any ``nn.Module`` with float parameters; evaluated in eval mode (its mode is restored) and never
            modified. ``nn.Sequential`` MLP/CNN chains use the exact first-layer fast path.
        inputs, targets: data ``(N, ...)`` and ``(N,)`` int64 labels (or ``(N, C)`` float for ``'mse'``), as
            tensors or numpy arrays; or ``inputs`` alone as an ``(X, y)`` pair, a Dataset or a DataLoader
            (:func:`basinlab.data.as_tensors`).
        thresholds: loss levels τ > 0 (or accuracy levels in (0, 1] with ``threshold_kind='accuracy'``).
        directions: K.  seed: direction k uses torch seed ``seed*1_000_003 + k``.
        loss: ``'cross_entropy'``, ``'mse'`` or a callable ``(outputs (B, C), targets (B, ...)) -> (B,)``.
        filter_normalize: scale directions by per-unit weight norms (the paper's normalisation).
        normalization: overrides ``filter_normalize``: ``'rows'`` (the paper: weight rows/filters by their norm,
            biases by 1), ``'rows_biases'`` (also biases by |b|: invariant to layer-wise rescaling of ReLU nets),
            ``'elementwise'`` (every parameter by |θ0|: invariant to every positive per-neuron and per-layer
            rescaling), ``'none'``. See docs/engine.md, "Direction normalisation".
        rtol: relative tolerance of each crossing coefficient c*.
        max_coefficient: search limit in c; no crossing below it → censored (radius is a lower bound).
        landscapes: increasing prefix sizes of the data (default: all N rows as one landscape).
        batch_directions: directions per batch (default: about 16k direction×example rows of the landscapes that have
            a search, at most 16 directions).
        device: where to compute (default: the model's device); a copy of the model is moved there.
        progress: log one line per batch at INFO level (logger ``basinlab.volume.engine``); a callable
            ``progress(done, total)`` is called with the directions done after every batch instead.
        scan_points: scan resolution. Once the crossing is bracketed in a coarse ladder cell ``[c_lo, c_hi]``
            (``c_hi < 1.05·c*``), every gap longer than ``h = c_hi/scan_points`` between points known ≤ τ in
            ``[0, c_lo]`` is filled with grid points ``m·h``, so an excursion above τ before the crossing that is wider
            than h (< 13% of c* at the default 8, < 26% at 4) is never skipped; a narrower one may be. For comparison,
            the paper's grid ``linspace(0,1,100)²`` is ``2√c/99`` apart at c: 10% of c* at a typical c* = 0.04, finer
            below it. Cost: about ``scan_points − 1`` evaluations per direction, half of all evaluations at the
            default (``benchmarks/volume_speed.py`` prints the speed at 4 as well).
        memory_budget: bytes of activations per evaluated chunk; with several workers each gets an equal share.
        nonnegative_loss: allow early exit (proven above τ from a partial sum); default True for built-in losses,
            False for callables.
        general_path: force the general ``torch.func`` path (for testing the fast path).
        threshold_kind: ``'loss'`` (default: c* is the first c where the mean loss exceeds τ) or ``'accuracy'``
            (the research code's accuracy threshold: c* is the first c where the training accuracy falls below the
            level, i.e. the error rate ``1 − accuracy`` exceeds ``1 − level``; ``loss`` is then not used, the
            predicted class is ``argmax`` of the outputs, and the result's ``centre_loss`` holds the centre's error
            rate). Same engine, ladders and guarantees.
        direction_draw: ``'explicit'`` (default: every entry of every P drawn, direction k reproducible by
            :func:`random_direction`) or ``'rowspace'``: the first Linear's Gaussian drawn only in the row space of
            the data it sees, plus a χ² for the rest of ‖P‖ — radii exactly in the explicit distribution, its own seed
            stream (the same seed gives other directions, deterministically), far fewer Gaussians when N ≪ d. Needs
            an ``nn.Sequential`` whose first layer with parameters is ``nn.Linear``, fewer rows (largest landscape)
            than its inputs, and a normalization other than ``'elementwise'``; else a ConfigError. See docs/engine.md,
            "Row-space directions".
        workers: direction batches measured at once, each on its own thread with torch on
            ``torch.get_num_threads() // workers`` threads (default: torch's thread count, at most
            :data:`~basinlab.volume.batches.MAX_WORKERS`; always 1 on a GPU and on the general path). A speed
            setting only: the radii are the same for every value (docs/engine.md, "Direction workers").

    Precision: the model runs in its parameter dtype (float32 models in float32); per-sample losses are summed
    in float64. Returns a :class:`VolumeResult`.
    """
    inputs, targets = as_tensors(inputs, targets, what="inputs")
    taus, sizes = check_arguments(
        model, inputs, targets, thresholds=thresholds, directions=directions, seed=seed, rtol=rtol,
        max_coefficient=max_coefficient, landscapes=landscapes, batch_directions=batch_directions,
        scan_points=scan_points, memory_budget=memory_budget, threshold_kind=threshold_kind, workers=workers,
    )
    if threshold_kind == "accuracy":
        loss_fn, nonneg = zero_one_error, True
        levels = [error_level(a) for a in taus]
    else:
        loss_fn, nonneg = resolve_loss(loss, nonnegative_loss)
        levels = list(taus)
    settings = EngineSettings(
        thresholds=tuple(taus), levels=tuple(levels), threshold_kind=threshold_kind, sizes=tuple(sizes),
        directions=int(directions), seed=int(seed),
        normalization=resolve_normalization(normalization, bool(filter_normalize)), rtol=float(rtol),
        max_coefficient=float(max_coefficient), scan_points=int(scan_points), batch_directions=batch_directions,
        memory_budget=int(memory_budget), tau_exit=EXIT_FACTOR * max(levels) if nonneg and max(levels) > 0 else None,
        progress=progress if callable(progress) else bool(progress), general_path=bool(general_path),
        loss_name=loss if isinstance(loss, str) else "callable", direction_draw=check_direction_draw(direction_draw),
        workers=workers,
    )
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
            return _measure(work, x, y, loss_fn, settings)
    finally:
        model.train(was_training)


def _batch_size(settings: EngineSettings, ev: RayEvaluator) -> int:
    """Directions per batch: as set, or about ``ROWS_PER_BATCH`` direction×example rows of ``ev``'s landscapes (those
    up to the last with a search) within the memory budget, at most ``MAX_BATCH_DIRECTIONS``."""
    if settings.batch_directions is not None:
        return settings.batch_directions
    n = ev.sizes[-1]
    per_dir = n * max(1, int(ev.backend.width)) * ev.itemsize
    return max(1, min(MAX_BATCH_DIRECTIONS, ROWS_PER_BATCH // n, settings.memory_budget // per_dir))


def _measure(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, settings: EngineSettings) -> VolumeResult:
    s = settings
    sizes = list(s.sizes)
    n_params = sum(p.numel() for p in model.parameters())
    draw = partial(draw_directions, model, normalization=s.normalization)
    try:
        if s.direction_draw == "rowspace":  # the same losses along every ray, on the reduced problem
            problem = rowspace_problem(model, x, s.normalization)
            model, x, draw = problem.model, problem.inputs, problem.draw
        evaluator = partial(RayEvaluator, model, x, y, loss_fn, tau_exit=s.tau_exit, memory_budget=s.memory_budget,
                            general=s.general_path)
        ev = evaluator(sizes)
        seeds = [direction_seed(s.seed, k) for k in range(s.directions)]
        q0, _ = random_direction(model, seeds[0], normalization=s.normalization)
        ev.set_directions([q0])
        zero = torch.zeros(1, dtype=torch.float64)
        vals, _, _ = ev.evaluate(torch.zeros(1, dtype=torch.long), zero, torch.tensor([len(sizes) - 1]),
                                 early_exit=False)
        centre = vals[0].numpy().copy()
        live = _live_landscapes(centre, s.levels)
        if 0 < live < len(sizes):  # rows past the last landscape with a search are never needed: not even B_k
            ev = evaluator(sizes[:live]).carry_counts(ev)
        batch = _batch_size(s, ev)  # from the rows the searches use, as a call without the landscapes past them
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        if isinstance(exc, DataError) or type(exc).__module__.startswith("basinlab"):
            raise
        raise DataError(
            f"the model cannot evaluate inputs of shape {tuple(x.shape)} with targets of shape "
            f"{tuple(y.shape)} and loss {s.loss_name!r}: {exc}"
        ) from exc
    n_dirs, n_t, n_l = s.directions, len(s.levels), len(sizes)
    radii = np.zeros((n_dirs, n_t, n_l))
    censored = np.zeros((n_dirs, n_t, n_l), dtype=bool)
    norms = np.zeros(n_dirs)
    guesses = Guesses([(t, li) for t in range(n_t) for li in range(n_l)])
    nonfinite = 0
    batches = batch_ranges(n_dirs, batch)
    stream = draw(seeds)

    def prepare(b: int):
        """Batch b's job (directions drawn here, in order; guesses from the batches before it)."""
        ks = batches[b]
        drawn = [next(stream) for _ in ks]
        for j, k in enumerate(ks):
            norms[k] = drawn[j][1]
        start = guesses.upto(guess_source(b)) if b > 0 else {key: None for key in guesses.found}

        def job(batch_ev: RayEvaluator):  # the evaluator of the thread that runs it
            if live:  # with every centre above every level no point is ever evaluated
                batch_ev.set_directions([q for q, _ in drawn])
            return _run_batch(batch_ev, len(ks), s, centre, start)

        return job

    def finish(b: int, result) -> None:
        nonlocal nonfinite
        out, bad = result
        ks = batches[b]
        nonfinite += bad
        crossings: dict[tuple[int, int], list[float]] = {key: [] for key in guesses.found}
        for (j, t, li), (c_star, cens) in sorted(out.items()):
            radii[ks[j], t, li] = c_star * norms[ks[j]]
            censored[ks[j], t, li] = cens
            if c_star > 0 and not cens:
                crossings[(t, li)].append(c_star)
        guesses.record(b, crossings)
        if callable(s.progress):
            s.progress(ks[-1] + 1, n_dirs)
        elif s.progress:
            log.info("volume: %d/%d directions done", ks[-1] + 1, n_dirs)

    try:
        finish(0, prepare(0)(ev))  # the pilot, on every thread
        workers = _workers(s, ev, len(batches) - 1, live, x.device)
        # worker evaluators split no rows (row threads switch torch's process-wide thread count); each worker's
        # torch runs on threads_each threads
        pool = [evaluator(ev.sizes, threads=1, memory_budget=max(1, s.memory_budget // workers))
                for _ in range(workers)] if workers > 1 else [ev]
        run_batches(len(batches), prepare, finish, pool, threads_each=max(1, torch.get_num_threads() // workers))
        for other in pool:
            if other is not ev:
                ev.carry_counts(other)
    finally:
        stream.close()
    counts: dict[str, Any] = {
        "points": ev.n_points, "point_rows": ev.point_rows, "direction_rows": ev.direction_rows,
        "flops": ev.flops, "nonfinite_points": nonfinite, "fast_path": bool(ev.fast), "batch_directions": batch,
        "workers": workers,
    }
    return VolumeResult(
        radii=radii, censored=censored, seeds=np.array(seeds, dtype=np.int64), thresholds=np.array(s.thresholds),
        landscapes=np.array(sizes, dtype=np.int64), centre_loss=centre, norms=norms,
        n_params=n_params, filter_normalize=s.normalization != "none",
        normalization=s.normalization, rtol=s.rtol, max_coefficient=s.max_coefficient, scan_points=s.scan_points,
        loss=s.loss_name, counts=counts, threshold_kind=s.threshold_kind,
        direction_draw=s.direction_draw,
    )


def _workers(settings: EngineSettings, ev: RayEvaluator, later_batches: int, live: int, dev: torch.device) -> int:
    """Threads the batches after the pilot run on: ``settings.workers`` or torch's thread count (at most
    ``MAX_WORKERS``), for the fast path on the CPU with at least two batches to share; else 1."""
    if not (ev.fast and live and dev.type == "cpu" and later_batches >= 2):
        return 1
    wanted = settings.workers if settings.workers is not None else torch.get_num_threads()
    return max(1, min(int(wanted), MAX_WORKERS, later_batches))


def _live_landscapes(centre: np.ndarray, levels: Sequence[float]) -> int:
    """How many leading landscapes the searches need: up to the last whose centre value is at or below some level
    (a landscape whose centre is above every level, or not finite, has volume 0 and no search)."""
    alive = np.flatnonzero(centre <= max(levels))
    return int(alive[-1]) + 1 if len(alive) else 0


def _run_batch(ev: RayEvaluator, n_k: int, settings: EngineSettings, centre: np.ndarray, guesses: dict):
    """Run every search of one direction batch; returns ``{(j, t, l): (c_star, censored)}`` and the number of
    evaluated points with a non-finite loss.

    The searches of one direction scan one after another (:data:`~.search.SCAN_TURN`), largest landscape first and,
    within a landscape, lowest level first: a point evaluated in a landscape is known in every smaller one, and the
    lowest level's scan grid is the finest and lies below the others' crossings, so later scans find most of their
    gaps already filled. Coarse brackets and refinements run concurrently."""
    n_l = len(centre)
    s = settings
    memo: list[dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]]] = [{} for _ in range(n_k)]
    results: dict[tuple[int, int, int], tuple[float, bool]] = {}
    gens, reqs = {}, {}
    # the points of direction j in the order they became known in landscape l, and how far each search has read
    fresh: list[list[list[float]]] = [[[] for _ in range(n_l)] for _ in range(n_k)]
    cursor: dict[tuple[int, int, int], int] = {}
    for j in range(n_k):
        for t, tau in enumerate(s.levels):
            for li in range(n_l):
                if not centre[li] <= tau:  # centre above τ (or not finite): volume 0
                    results[(j, t, li)] = (0.0, False)
                    continue
                g = crossing_search(
                    tau, max_c=s.max_coefficient, rtol=s.rtol, scan_points=s.scan_points, guess=guesses[(t, li)],
                    centre=float(centre[li]),
                )
                gens[(j, t, li)] = g
                reqs[(j, t, li)] = next(g)
                cursor[(j, t, li)] = 0
    rank = {key: (key[0], -key[2], s.levels[key[1]], key[1]) for key in gens}  # scan order within a direction
    scan_queue = [sorted((key for key in gens if key[0] == j), key=rank.get) for j in range(n_k)]
    bracketing = [set(queue) for queue in scan_queue]  # searches not yet past their coarse bracket
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
                    fill = known[i]
                else:
                    fill = known[i] & ~old[2]
                    old[0][fill], old[1][fill], old[2][fill] = vals[i][fill], exact[i][fill], True
                for li in np.flatnonzero(fill):
                    fresh[j][li].append(c)
        new = {}
        for key in sorted(reqs, key=rank.get):  # in scan order, so a scan finished here hands over at once
            cs, (j, _, li) = reqs[key], key
            queue = scan_queue[j]
            if (cs is SCAN_TURN and queue[0] != key) or (
                cs is COARSE_TURN and any(other[2] > li for other in bracketing[j])
            ):
                new[key] = cs  # not its turn yet
                continue
            if cs is SCAN_TURN:
                bracketing[j].discard(key)
            elif cs is SCAN_DONE:
                queue.remove(key)
            answers = [(float(memo[j][c][0][li]), bool(memo[j][c][1][li])) for c in cs]
            # what this direction's other searches found in landscape li guides this search's probes
            seen = fresh[j][li][cursor[key] :]
            cursor[key] += len(seen)
            extra = {c: (float(memo[j][c][0][li]), bool(memo[j][c][1][li])) for c in seen}
            try:
                new[key] = gens[key].send((answers, extra))
            except StopIteration as stop:
                results[key] = stop.value
                bracketing[j].discard(key)
                if key in queue:
                    queue.remove(key)
        reqs = new
    return results, nonfinite
