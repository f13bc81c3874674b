"""First-crossing search along one ray, written as a generator so many searches run batched.

``crossing_search`` yields lists of coefficients c it needs and receives, for each, ``(loss, exact)``
(``exact=False``: a proven lower bound above every threshold). It returns ``(c_star, censored)``.

Algorithm (every point it asks for is a function of the ray alone, so the result does not depend on batching,
on the order of directions or on the starting guess unless the ray crosses τ several times):

1. Bracket on a canonical geometric ladder ``c_i = max_c·ρ^(i-I)`` (ρ = ``LADDER_RATIO``): probe the guess
   (or ``DEFAULT_START``), then the ladder cell a power-law fit ``L(c) = L(0) + A·c^p`` of the known points
   predicts (twice at most; then galloping with doubling strides and bisection of indices) to a cell ``[c_i, c_{i+1}]``
   with the loss at ``c_i`` ≤ τ and at ``c_{i+1}`` > τ (``c_{-1}`` = 0: the centre, known ≤ τ). A point is
   "above" when its loss > τ or is NaN/Inf. No crossing up to ``max_c`` → censored.
2. Scan: with ``h = c_hi / scan_points`` (c_hi = top of the ladder bracket, < ρ·c*), evaluate the grid
   ``h, 2h, … < c_lo``. Any point above τ there moves the bracket to the first such grid cell and the scan
   repeats below it with the new, smaller h. Guarantee: every interval of width > h below the bracket contains
   a checked point, so an excursion above τ narrower than ``c_hi/scan_points`` may be missed, a wider one is
   never skipped. Censored rays are scanned the same way on [0, max_c].
3. Refine the bracket with the Illinois method (regula falsi with the retained end's value halved), each step
   clamped a quarter of the tolerance inside the bracket, and bisection whenever an end's value is not exact or
   not finite, until ``c_hi - c_lo <= rtol·c_hi``. Once two successive estimates agree to within the
   tolerance, one point just past the estimate on the wide side (or both ``x ± tol/2``) closes the bracket. ``c_star`` is the linear
   interpolation of the final bracket (its midpoint if an end's value is not exact).
"""

from __future__ import annotations

import math
from collections.abc import Generator

__all__ = ["crossing_search", "LADDER_RATIO", "DEFAULT_START", "ladder_size"]

LADDER_RATIO = 1.05
DEFAULT_POWER = 3.0  # loss growth exponent assumed when only one point is known (prediction only)
DEFAULT_START = 0.05  # first probe when nothing is known about the radius (units of c)
LADDER_DECADES = 8.0  # the ladder spans max_c·10^-8 … max_c

Answer = tuple[float, bool]
Search = Generator[list[float], list[Answer], tuple[float, bool]]


def ladder_size(max_c: float) -> int:
    """Index I of the top ladder point (``c_I = max_c``)."""
    return int(math.ceil(LADDER_DECADES * math.log(10.0) / math.log(LADDER_RATIO)))


def _above(value: float, tau: float) -> bool:
    return not value <= tau  # NaN counts as above


def crossing_search(
    tau: float,
    *,
    max_c: float,
    rtol: float,
    scan_points: int,
    guess: float | None = None,
    centre: float = 0.0,
) -> Search:
    """Generator implementing the search described in the module docstring (centre assumed ≤ τ)."""
    top = ladder_size(max_c)
    known: dict[float, Answer] = {0.0: (centre, True)}  # the centre loss, ≤ τ

    def ladder(i: int) -> float:
        return 0.0 if i < 0 else (max_c if i == top else max_c * LADDER_RATIO ** (i - top))

    def ask(cs: list[float]) -> Generator[list[float], list[Answer], None]:
        need = sorted({c for c in cs if c not in known})
        if need:
            answers = yield need
            known.update(zip(need, answers, strict=True))

    # 1. ladder bracket ------------------------------------------------------------------------------------
    lad: dict[int, bool] = {}  # ladder index -> above τ

    def ask_ladder(idx: list[int]) -> Generator[list[float], list[Answer], None]:
        yield from ask([ladder(i) for i in idx])
        for i in idx:
            lad[i] = _above(known[ladder(i)][0], tau)

    start = guess if guess is not None and guess > 0 else DEFAULT_START
    i0 = min(max(int(math.floor(math.log(start / max_c) / math.log(LADDER_RATIO))) + top, 0), top)
    yield from ask_ladder([i0])
    stride, misses = 1, 0
    while True:
        above_idx = [i for i, up in lad.items() if up]
        hi = min(above_idx) if above_idx else None
        below_idx = [i for i, up in lad.items() if not up and (hi is None or i < hi)]
        lo = max(below_idx) if below_idx else -1
        if (hi is None and lo >= top) or (hi is not None and hi - lo <= 1):
            break
        upper = top + 1 if hi is None else hi
        pred = _predict(known, tau, centre) if misses < 2 else None
        if pred is not None:  # probe the ladder cell the loss model predicts, inside the current bracket
            ip = int(math.floor(math.log(max(pred, 1e-300) / max_c) / math.log(LADDER_RATIO))) + top
            probes = [i for i in (ip, ip + 1) if lo < i < upper and i not in lad]
            if not probes:
                probes = [min(max(ip, lo + 1), upper - 1)]
            misses += 1
        elif hi is None:
            probes = [min(lo + stride, top)]
        elif not below_idx:
            probes = [max(hi - stride, 0)]
        else:
            probes = [(lo + hi) // 2]
        stride *= 2
        yield from ask_ladder(probes)
    a, b = (max_c, None) if hi is None else (ladder(lo), ladder(hi))

    # 2. scan below the bracket (h fixed by the bracket top); an excursion moves the bracket and rescans finer --
    h = (max_c if b is None else b) / scan_points
    while True:
        grid = [m * h for m in range(1, scan_points + 1) if m * h < a]
        yield from ask(grid)
        first_up = next((g for g in grid if _above(known[g][0], tau)), None)
        if first_up is None:
            break
        m = grid.index(first_up) + 1
        a, b = (grid[m - 2] if m > 1 else 0.0), first_up
        h = b / scan_points
    if b is None:
        return max_c, True

    # 3. refine -------------------------------------------------------------------------------------------------
    a, b = yield from _refine(known, ask, tau, a, b, rtol)
    return _interpolate(known, tau, a, b), False


def _refine(known, ask, tau: float, a: float, b: float, rtol: float):
    """Illinois refinement of [a, b] (loss(a) ≤ τ < loss(b)) until b - a ≤ rtol·b; returns the bracket."""
    fa_scale = fb_scale = 1.0
    last_kept = None
    x_prev = None
    while b - a > rtol * b:
        tol = rtol * b
        va, ea = known[a] if a in known else (-math.inf, True)
        vb, eb = known[b]
        fa, fb = (va - tau) * fa_scale, (vb - tau) * fb_scale
        if a == 0.0 or not (ea and eb and math.isfinite(fa) and math.isfinite(fb)) or fb <= fa:
            x = 0.5 * (a + b)
        else:
            x = a - fa * (b - a) / (fb - fa)
        margin = min(0.25 * tol, 0.25 * (b - a))
        x = min(max(x, a + margin), b - margin)
        if x_prev is not None and abs(x - x_prev) < tol and x - 0.5 * tol > a and x + 0.5 * tol < b:
            # the estimate has settled: one point just past it on the side where the bracket is still wide
            # closes the bracket (the near end is within the estimate's error of the root)
            if last_kept == "b" and x - a < 0.5 * tol:
                pts = [x + 0.45 * tol]
            elif last_kept == "a" and b - x < 0.5 * tol:
                pts = [x - 0.45 * tol]
            else:
                pts = [x - 0.45 * tol, x + 0.45 * tol]
        else:
            pts = [x]
        x_prev = x
        yield from ask(pts)
        for p in pts:  # points sorted ascending; update bracket with each
            if not (a < p < b):
                continue
            if _above(known[p][0], tau):
                b = p
                kept = "a"
            else:
                a = p
                kept = "b"
            if kept == last_kept:
                if kept == "a":
                    fa_scale *= 0.5
                else:
                    fb_scale *= 0.5
            else:
                fa_scale = fb_scale = 1.0
            last_kept = kept
    return a, b


def _predict(known: dict[float, Answer], tau: float, centre: float) -> float | None:
    """Crossing predicted by a power law ``L(c) = L(0) + A·c^p`` through the known points nearest τ
    (p from two points, else ``DEFAULT_POWER``); None when no point is usable. Only chooses probes, never the result."""
    pts = sorted((c, v) for c, (v, exact) in known.items() if c > 0 and math.isfinite(v) and v > centre)
    if not pts:
        return None
    below = [(c, v) for c, v in pts if v <= tau]
    above = [(c, v) for c, v in pts if v > tau]
    near = ([below[-1]] if below else []) + ([above[0]] if above else [])
    if len(near) == 1 and len(pts) > 1:
        near = pts[-2:] if not above else pts[:2]
    (c1, v1) = near[0]
    power = DEFAULT_POWER
    if len(near) == 2 and near[1][0] != c1 and near[1][1] != v1:
        c2, v2 = near[1]
        power = math.log((v2 - centre) / (v1 - centre)) / math.log(c2 / c1)
        power = min(max(power, 0.5), 8.0)
    return c1 * ((tau - centre) / (v1 - centre)) ** (1.0 / power)


def _interpolate(known: dict[float, Answer], tau: float, a: float, b: float) -> float:
    va, ea = known.get(a, (-math.inf, True))
    vb, eb = known[b]
    if a > 0 and ea and eb and math.isfinite(va) and math.isfinite(vb) and vb > va:
        return a + (tau - va) * (b - a) / (vb - va)
    return 0.5 * (a + b)
