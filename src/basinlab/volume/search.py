"""First-crossing search along one ray, written as a generator so many searches run batched.

``crossing_search`` yields lists of coefficients c it needs and receives, for each, ``(loss, exact)``
(``exact=False``: a proven lower bound above every threshold), optionally with a dict of other points already known
on the ray (evaluated for other thresholds or landscapes), which it uses to choose probes. It returns
``(c_star, censored)``.

Every point the result depends on lies on one of three canonical sets, each a function of the ray alone: the coarse
ladder ``C_i = max_c·1.05^(i-I)``, the scan grid ``m·h`` (h fixed by the coarse bracket) and the fine ladder
``F_j = max_c·ρ^(j-J)`` with ``ρ = 1/(1 - rtol)`` (neighbours are ``rtol·F_{j+1}`` apart). The starting guess and
all other known values only choose *which* of these points are probed, so the radius does not depend on the guess,
on batching or on the order of directions, unless the ray crosses τ several times.

1. Coarse bracket: probe the guess, then the coarse cell that inverse interpolation of the known points predicts
   (galloping with doubling strides and bisection of indices once the bracket stops halving), until a cell
   ``[C_i, C_{i+1}]`` has loss ≤ τ at ``C_i`` and > τ at ``C_{i+1}`` (``C_{-1}`` = 0: the centre, known ≤ τ). A point
   is "above" when its loss > τ or is NaN/Inf. No crossing up to ``max_c`` → censored.
2. Scan: with ``h = C_{i+1} / scan_points`` (< 1.05·c*/scan_points), every gap longer than h between consecutive
   points known ≤ τ in ``[0, C_i]`` (the centre, the grid, earlier probes) receives the grid points ``m·h`` inside it.
   A grid point above τ moves the bracket to its grid cell, h shrinks and the scan repeats below it. Guarantee: an
   excursion above τ wider than h is never skipped; a narrower one may be. Censored rays are scanned on [0, max_c].
3. Refine on the fine ladder: inverse interpolation of ``log c`` against ``log(L - L(0))`` through the three known
   points nearest the crossing predicts it; the two fine points around the prediction are probed together once two
   interpolants agree to within a fine cell, else the predicted point alone; bisection of fine indices whenever
   the bracket stops halving. Ends when no fine point lies inside the bracket, so ``c_hi - c_lo <= rtol·c_hi``.
   ``c_star`` is the linear interpolation of the final bracket (its midpoint if an end's value is not exact).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Generator

__all__ = ["crossing_search", "COARSE_TURN", "SCAN_TURN", "SCAN_DONE", "Turn", "Ladder", "coarse_ladder", "fine_ladder", "LADDER_RATIO", "DEFAULT_START"]

LADDER_RATIO = 1.05  # coarse ladder: neighbours 5% apart
DEFAULT_POWER = 3.0  # loss growth exponent assumed when only one point is known (prediction only)
DEFAULT_START = 0.05  # first probe when nothing is known about the radius (units of c)
LADDER_DECADES = 8.0  # the ladders span max_c·10^-8 … max_c
AGREE_CELLS = 0.25  # two interpolants this close (in fine cells) → probe the predicted fine cell's two ends
PREDICT_RANGE = 4.0  # a coarse prediction stays within this factor of the points it is made from
STALL_ROUNDS = 2  # the bracket "stalls" when it did not halve over this many rounds: bisection takes over

class Turn(list):
    """An empty request a search yields before its coarse bracket (``COARSE_TURN``) and at the start (``SCAN_TURN``)
    and end (``SCAN_DONE``) of its scan, answered like any request (``[]``, optionally with the other known points).
    A driver running several searches of one ray may hold a search at a turn until other searches got further: their
    points then place this search's first probe and fill its scan's gaps without being evaluated again
    (:func:`~basinlab.volume.engine.measure_volume` does). Turns change which points are probed, never the result."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def __repr__(self) -> str:
        return self.name


COARSE_TURN = Turn("COARSE_TURN")
SCAN_TURN = Turn("SCAN_TURN")
SCAN_DONE = Turn("SCAN_DONE")

Answer = tuple[float, bool]
Reply = list[Answer] | tuple[list[Answer], dict[float, Answer]]  # answers, or (answers, other known points)
Search = Generator[list[float], Reply, tuple[float, bool]]


class Ladder:
    """A geometric ladder ``L_i = max_c·ratio^(i - top)``, i = 0 … top (``L_top = max_c``, ``L_0 ≈ max_c·10^-8``);
    index −1 stands for c = 0 (the centre). Both the coarse bracket and the fine refinement are on ladders, so every
    point a radius depends on is a function of the ray alone."""

    def __init__(self, max_c: float, log_ratio: float) -> None:
        self.max_c = max_c
        self.log_ratio = log_ratio
        self.top = int(math.ceil(LADDER_DECADES * math.log(10.0) / log_ratio))

    def c(self, i: int) -> float:
        """The point of index i (0.0 for i < 0, ``max_c`` for i ≥ top)."""
        if i < 0:
            return 0.0
        return self.max_c if i >= self.top else self.max_c * math.exp((i - self.top) * self.log_ratio)

    def floor_index(self, c: float) -> int:
        """Largest i with ``L_i <= c`` (−1 when c is below the ladder)."""
        i = int(math.floor(math.log(c / self.max_c) / self.log_ratio)) + self.top if c > 0 else -1
        i = min(max(i, -1), self.top)
        while i >= 0 and self.c(i) > c:  # guard the float log against off-by-one
            i -= 1
        while i < self.top and self.c(i + 1) <= c:
            i += 1
        return i

    def index_of(self, c: float) -> int | None:
        """The index of c if c is a point of the ladder (0.0 → −1), else None."""
        if c == 0.0:
            return -1
        i = self.floor_index(c)
        return i if i >= 0 and self.c(i) == c else None


def coarse_ladder(max_c: float) -> Ladder:
    """The coarse ladder ``C_i = max_c·1.05^(i-I)``."""
    return Ladder(max_c, math.log(LADDER_RATIO))


def fine_ladder(max_c: float, rtol: float) -> Ladder:
    """The fine ladder ``F_j = max_c·ρ^(j-J)``, ``ρ = 1/(1 - rtol)``: neighbours are at most ``rtol·F_{j+1}`` apart."""
    # a hair inside rtol, so that rounding (relative error of a cell width ~ machine epsilon / rtol) never leaves a
    # cell wider than rtol·F_{j+1}
    shrink = min(0.5, 1e-9 + 256 * sys.float_info.epsilon / rtol)
    return Ladder(max_c, -math.log1p(-rtol * (1.0 - shrink)))


def _stalled(widths: list[int]) -> bool:
    """True when the bracket (its width in ladder cells, one entry per round) stopped halving: bisection's turn."""
    return len(widths) > STALL_ROUNDS and widths[-1] > widths[-1 - STALL_ROUNDS] // 2


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
    coarse = coarse_ladder(max_c)
    top = coarse.top
    known: dict[float, Answer] = {0.0: (centre, True)}  # the centre loss, ≤ τ

    def ask(cs: list[float]) -> Generator[list[float], Reply, None]:
        need = sorted({c for c in cs if c not in known})
        if need:
            reply = yield need
            answers, extra = reply if isinstance(reply, tuple) else (reply, {})
            known.update(zip(need, answers, strict=True))
            for c, answer in extra.items():  # points evaluated for other searches: free knowledge, never results
                known.setdefault(c, answer)

    def wait(marker: Turn) -> Generator[list[float], Reply, None]:
        reply = yield marker
        for c, answer in (reply[1] if isinstance(reply, tuple) else {}).items():
            known.setdefault(c, answer)

    # 1. coarse ladder bracket -------------------------------------------------------------------------------
    lad: dict[int, bool] = {}  # ladder index -> above τ, for every known point on the coarse ladder

    def ask_ladder(idx: list[int]) -> Generator[list[float], Reply, None]:
        yield from ask([coarse.c(i) for i in idx])
        for c, (v, _) in known.items():
            i = coarse.index_of(c)
            if i is not None and i >= 0:
                lad[i] = _above(v, tau)

    yield from wait(COARSE_TURN)  # points other searches of this ray evaluated first can place the first probe
    start = _predict(known, tau, centre)
    if start is None:
        start = guess if guess is not None and guess > 0 else DEFAULT_START
    yield from ask_ladder([max(coarse.floor_index(start), 0)])
    stride, widths = 1, []
    while True:
        above_idx = [i for i, up in lad.items() if up]
        hi = min(above_idx) if above_idx else None
        below_idx = [i for i, up in lad.items() if not up and (hi is None or i < hi)]
        lo = max(below_idx) if below_idx else -1
        if (hi is None and lo >= top) or (hi is not None and hi - lo <= 1):
            break
        upper = top + 1 if hi is None else hi
        widths.append(upper - lo)
        pred = None if _stalled(widths) else _predict(known, tau, centre)
        if pred is not None:  # probe the ladder cell the loss model predicts, inside the current bracket
            ip = coarse.floor_index(pred)
            probes = [i for i in (ip, ip + 1) if lo < i < upper and i not in lad]
            if not probes:
                probes = [min(max(ip, lo + 1), upper - 1)]
        elif hi is None:
            probes = [min(lo + stride, top)]
        elif not below_idx:
            probes = [max(hi - stride, 0)]
        else:
            probes = [(lo + hi) // 2]
        stride *= 2
        yield from ask_ladder(probes)
    a, b = (max_c, None) if hi is None else (coarse.c(lo), coarse.c(hi))

    # 2. scan below the bracket; a grid point above τ moves the bracket and the scan repeats finer ----------------
    h = (max_c if b is None else b) / scan_points
    yield from wait(SCAN_TURN)  # the points other searches scanned before this one fill gaps here for free
    while True:
        grid = _gap_points(known, tau, a, h)
        yield from ask(grid)
        first_up = next((g for g in grid if _above(known[g][0], tau)), None)
        if first_up is None:
            break
        a = max(c for c, (v, _) in known.items() if c < first_up and not _above(v, tau))
        b = first_up
        h = b / scan_points
    yield from wait(SCAN_DONE)
    if b is None:
        return max_c, True

    # 3. refine on the fine ladder -------------------------------------------------------------------------------
    a, b = yield from _refine_fine(known, ask, tau, centre, a, b, fine_ladder(max_c, rtol))
    if b - a > rtol * b:  # a bracket at the centre (c* below the ladders): Illinois on arbitrary points
        a, b = yield from _refine(known, ask, tau, a, b, rtol)
    return _interpolate(known, tau, a, b), False


def _gap_points(known: dict[float, Answer], tau: float, a: float, h: float) -> list[float]:
    """Grid points ``m·h`` filling every gap longer than h between consecutive points known ≤ τ in [0, a]."""
    checked = sorted(c for c, (v, _) in known.items() if c <= a and not _above(v, tau))
    if not checked or checked[-1] < a:  # a itself is known ≤ τ (the bracket's low end) or is max_c (censored)
        checked.append(a)
    need: list[float] = []
    for u, v in zip(checked, checked[1:], strict=False):
        if v - u > h:
            m = math.floor(u / h) + 1
            while m * h < v:
                need.append(m * h)
                m += 1
    return need


def _refine_fine(known, ask, tau: float, centre: float, a: float, b: float, fine: Ladder):
    """Shrink [a, b] (loss(a) ≤ τ < loss(b)) to a bracket holding no fine ladder point; returns it."""
    widths: list[int] = []
    while True:
        ja, jb = fine.floor_index(a) + 1, fine.floor_index(b)  # fine points strictly inside (a, b): ja..jb
        if fine.c(jb) >= b:
            jb -= 1
        if ja > jb:
            return a, b
        widths.append(jb - ja + 1)
        pred, spread = _interpolate_crossing(known, tau, centre, a, b)
        if pred is None or _stalled(widths):
            probes = [fine.c((ja + jb) // 2)]  # safeguard: bisection of fine indices
        else:
            j = fine.floor_index(pred)  # the prediction lies in the fine cell [F_j, F_{j+1}]
            if spread <= AGREE_CELLS * (fine.c(j + 1) - fine.c(j)):
                probes = sorted({fine.c(min(max(i, ja), jb)) for i in (j, j + 1)})
            else:
                nearest = j if pred - fine.c(j) <= fine.c(j + 1) - pred else j + 1
                probes = [fine.c(min(max(nearest, ja), jb))]
        yield from ask(probes)
        for p in sorted(probes):
            if a < p < b:
                if _above(known[p][0], tau):
                    b = p
                    break
                a = p


def _lagrange(xs: list[float], ys: list[float], x: float) -> float:
    """The polynomial through the points ``(xs[i], ys[i])`` (distinct xs) evaluated at x."""
    return sum(
        y * math.prod((x - xm) / (xi - xm) for m, xm in enumerate(xs) if m != i)
        for i, (xi, y) in enumerate(zip(xs, ys, strict=True))
    )


def _interpolate_crossing(known, tau: float, centre: float, a: float, b: float) -> tuple[float | None, float]:
    """Predicted crossing in (a, b) and the spread of two interpolants (a size of its error, units of c).

    Inverse interpolation of ``log c`` as a polynomial in ``log(L - L(0))`` through the known exact points nearest
    the bracket (quadratic with three points, linear with two); the spread is the distance between the two."""
    def usable(c: float) -> bool:
        v, exact = known[c]
        return c > 0 and exact and math.isfinite(v) and v > centre

    below = [c for c in sorted(known) if c <= a and usable(c)][-2:]
    above = [c for c in sorted(known) if c >= b and usable(c)][:2]
    pts = below + above
    if len(pts) < 2 or tau <= centre:
        return None, math.inf
    mid = 0.5 * (a + b)
    pts = sorted(sorted(pts, key=lambda c: abs(math.log(c / mid)))[:3])
    xs = [math.log(known[c][0] - centre) for c in pts]
    ys = [math.log(c) for c in pts]
    if len(set(xs)) < len(xs):
        return None, math.inf
    x = math.log(tau - centre)
    near = sorted(range(len(pts)), key=lambda i: abs(math.log(pts[i] / mid)))[:2]
    linear = _lagrange([xs[i] for i in near], [ys[i] for i in near], x)
    if not math.isfinite(linear):
        return None, math.inf
    lo, hi = math.log(a) if a > 0 else -math.inf, math.log(b)

    def inside(y: float) -> float:  # clamped in log space: an extrapolation must not overflow exp
        return math.exp(min(max(y, lo), hi))

    if len(pts) < 3:  # one interpolant only: no measure of its error
        return inside(linear), math.inf
    quad = _lagrange(xs, ys, x)
    if not math.isfinite(quad):
        return None, math.inf
    return inside(quad), abs(inside(quad) - inside(linear))


def _refine(known, ask, tau: float, a: float, b: float, rtol: float):
    """Illinois refinement of [a, b] (loss(a) ≤ τ < loss(b)) until b - a ≤ rtol·b; returns the bracket.

    Used only for brackets the fine ladder cannot split (a crossing below ``max_c·10^-8``)."""
    fa_scale = fb_scale = 1.0
    last_kept = None
    while b - a > rtol * b:
        va, ea = known[a] if a in known else (-math.inf, True)
        vb, eb = known[b]
        fa, fb = (va - tau) * fa_scale, (vb - tau) * fb_scale
        if a == 0.0 or not (ea and eb and math.isfinite(fa) and math.isfinite(fb)) or fb <= fa:
            x = 0.5 * (a + b)
        else:
            x = a - fa * (b - a) / (fb - fa)
        margin = min(0.25 * rtol * b, 0.25 * (b - a))
        x = min(max(x, a + margin), b - margin)
        yield from ask([x])
        kept = "a" if _above(known[x][0], tau) else "b"
        if kept == "a":
            b = x
        else:
            a = x
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
    """Crossing predicted from the known exact points whose losses are nearest τ: inverse interpolation of
    ``log c`` in ``log(L - L(0))`` (quadratic through three points, linear through two; one point: a power law
    ``L(c) = L(0) + A·c^p`` with ``p = DEFAULT_POWER``), kept within a factor ``PREDICT_RANGE`` of the points. None when no point
    is usable. Only chooses probes, never the result."""
    pts = [(c, v) for c, (v, exact) in known.items() if c > 0 and exact and math.isfinite(v) and v > centre]
    if not pts or tau <= centre:
        return None
    x = math.log(tau - centre)
    pts = sorted(pts, key=lambda p: abs(math.log(p[1] - centre) - x))[:3]
    xs = [math.log(v - centre) for _, v in pts]
    ys = [math.log(c) for c, _ in pts]
    if len(pts) == 1 or len(set(xs)) < len(xs):
        y = ys[0] + (x - xs[0]) / DEFAULT_POWER
    else:
        y = _lagrange(xs, ys, x)
    if not math.isfinite(y):
        return None
    # clamp in log space: a wild extrapolation (points with nearly equal losses) must not overflow exp
    lo = math.log(min(c for c, _ in pts) / PREDICT_RANGE)
    hi = math.log(PREDICT_RANGE * max(c for c, _ in pts))
    return math.exp(min(max(y, lo), hi))


def _interpolate(known: dict[float, Answer], tau: float, a: float, b: float) -> float:
    va, ea = known.get(a, (-math.inf, True))
    vb, eb = known[b]
    if a > 0 and ea and eb and math.isfinite(va) and math.isfinite(vb) and vb > va:
        return a + (tau - va) * (b - a) / (vb - va)
    return 0.5 * (a + b)
