"""The first-crossing search on 1-D rays given as Python functions (no model involved)."""

from __future__ import annotations

import math

import pytest

from basinlab.volume.search import (
    _interpolate_crossing,
    _predict,
    coarse_ladder,
    crossing_search,
    fine_ladder,
)


def run(f, tau=0.1, *, max_c=10.0, rtol=1e-4, scan_points=8, guess=None):
    """Drive the search generator with ``f``; returns ((c_star, censored), points evaluated)."""
    gen = crossing_search(tau, max_c=max_c, rtol=rtol, scan_points=scan_points, guess=guess)
    n = 0
    try:
        req = next(gen)
        while True:
            n += len(req)
            req = gen.send([(f(c), True) for c in req])
    except StopIteration as stop:
        return stop.value, n


def quad(c: float) -> float:  # crosses 0.1 at c = 0.37 exactly
    return 0.01 + 0.09 * (c / 0.37) ** 2


@pytest.mark.parametrize("guess", [None, 0.05, 0.36, 0.4, 3.0])
def test_smooth_ray_converges_to_rtol_and_does_not_depend_on_the_guess(guess):
    (c, censored), _ = run(quad, guess=guess)
    assert not censored
    assert abs(c - 0.37) <= 1e-4 * 0.37
    (c_ref, _), _ = run(quad, guess=None)
    assert c == c_ref  # the guess changes the path, not the result


def test_refinement_is_faster_than_bisection():
    f = lambda c: 0.001 * math.exp(5 * c)  # noqa: E731  crosses at ln(100)/5
    (c, _), n = run(f, guess=0.9, scan_points=1)
    assert abs(c - math.log(100) / 5) <= 1e-4 * c
    # bisection from a 5% bracket to 1e-4 alone needs 9 points; bracketing adds 2
    assert n <= 8


def test_thin_bump_before_the_wall_is_found_where_bisection_skips_it():
    # the loss rises above tau on (0.10, 0.16), falls back, and crosses for good at 0.37
    bump = lambda c: quad(c) + (1.0 if 0.10 < c < 0.16 else 0.0)  # noqa: E731
    # naive bisection on [0, 1]: midpoints 0.5 (above), 0.25 (below), 0.375 ... never lands in the bump
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if bump(mid) > 0.1 else (mid, hi)
    assert abs(hi - 0.37) < 1e-6  # bisection reports the main wall
    (c, _), _ = run(bump, guess=0.37)
    assert abs(c - 0.10) <= 1e-4 * 0.10  # the first crossing


def test_bump_narrower_than_the_scan_resolution_is_documented_as_missable():
    bump = lambda c: quad(c) + (1.0 if 0.100 < c < 0.101 else 0.0)  # noqa: E731
    (c, _), _ = run(bump, guess=0.37, scan_points=8)  # resolution 0.37*1.05/8 = 0.049 > 0.001
    assert abs(c - 0.37) <= 1e-4
    (c, _), _ = run(bump, guess=0.37, scan_points=2000)  # resolution 0.0002 < width 0.001
    assert abs(c - 0.10) <= 1e-4 * 0.10


def test_no_crossing_is_censored_at_max_coefficient():
    (c, censored), _ = run(lambda c: 0.05, max_c=2.0)
    assert censored and c == 2.0


def test_nan_counts_as_above_threshold():
    (c, censored), _ = run(lambda c: float("nan") if c > 0.2 else 0.0, guess=0.5)
    assert not censored
    assert abs(c - 0.2) <= 1e-4 * 0.2


def test_lower_bound_answers_are_treated_as_above():
    gen = crossing_search(0.1, max_c=10.0, rtol=1e-3, scan_points=4, guess=0.37)
    try:
        req = next(gen)
        while True:  # above points only report a lower bound (early exit)
            req = gen.send([(quad(c), True) if quad(c) <= 0.1 else (0.100001, False) for c in req])
    except StopIteration as stop:
        c, censored = stop.value
    assert not censored and abs(c - 0.37) <= 1e-3 * 0.37


@pytest.mark.parametrize("rtol", [1e-2, 1e-4, 1e-7, 1e-12])
def test_fine_ladder_cells_are_within_rtol_and_floor_index_is_exact(rtol):
    fine = fine_ladder(10.0, rtol)
    assert fine.c(fine.top) == 10.0 and fine.c(0) < 10.0 * 1.0001e-8
    for c in (1e-8 * 10.0, 3.7e-3, 0.0419, 0.37, 1.0, 9.9999, 10.0):
        j = fine.floor_index(c)
        assert fine.c(j) <= c < (fine.c(j + 1) if j < fine.top else math.inf)
        if 0 <= j < fine.top:
            assert fine.c(j + 1) - fine.c(j) <= rtol * fine.c(j + 1)
    assert fine.floor_index(1e-12) == -1


def test_final_bracket_is_a_fine_cell_whatever_the_path():
    f = lambda c: 0.002 + 0.098 * (c / 0.0417) ** 2.6  # noqa: E731  crosses τ = 0.1 at c = 0.0417
    results = {run(f, guess=g, scan_points=s)[0][0] for g in (None, 0.01, 0.04, 0.0417, 0.05, 2.0) for s in (1, 4, 8)}
    assert len(results) == 1  # guess and scan density change the probes, not the radius
    (c,) = results
    assert abs(c - 0.0417) <= 1e-4 * 0.0417


def test_predictions_from_nearly_equal_losses_stay_finite():
    # three points with almost equal losses make the quadratic inverse interpolation explode (exp overflowed once)
    known = {0.0: (0.0, True), 0.3: (0.05, True), 0.2: (0.0500001, True), 0.1: (0.06, True)}
    pred = _predict(known, 0.1, 0.0)
    assert 0.025 <= pred <= 1.2
    known[0.4] = (0.2, True)
    pred, spread = _interpolate_crossing(known, 0.1, 0.0, 0.3, 0.4)
    assert 0.3 <= pred <= 0.4 and math.isfinite(spread)
    wiggly = lambda c: 0.06 if c < 0.15 else (0.05 + 1e-7 * c if c < 0.35 else 0.05 + (c - 0.35) * 2)  # noqa: E731
    (c, censored), _ = run(wiggly, guess=0.2)
    assert not censored and abs(c - 0.375) <= 1e-4 * 0.375


def _random_ray(rng):
    """A seeded random ray: ``(loss function, τ, centre loss, crossing)``."""
    tau = 10 ** rng.uniform(-3, 0)
    centre = tau * rng.uniform(0, 0.99)
    cstar = 10 ** rng.uniform(-6, 0.9)
    kind, p, a = rng.choice(["pow", "exp", "jump", "nan"]), 10 ** rng.uniform(-0.5, 1), rng.uniform(0.5, 30)

    def loss(c: float) -> float:
        if kind == "exp":
            return centre + (tau - centre) * math.expm1(min(a * c / cstar, 700)) / math.expm1(a)
        if kind == "jump":
            return centre if c <= cstar else 1.5 * tau
        if kind == "nan" and c > 1.5 * cstar:
            return float("nan")
        return centre + (tau - centre) * (c / cstar) ** p

    return loss, tau, centre, cstar


def test_random_rays_terminate_and_find_the_crossing_to_rtol():
    """600 seeded random rays: power laws, exponentials, jumps, NaN walls; tolerances from 1e-12 to 1e-2; with and
    without a guess; above-2τ points answered as lower bounds half the time."""
    import random

    rng = random.Random(0)
    for _ in range(600):
        f, tau, centre, cstar = _random_ray(rng)
        rtol = rng.choice([1e-12, 10 ** rng.uniform(-8, -2)])
        scan, guess = rng.choice([1, 4, 8, 16]), rng.choice([None, cstar * 10 ** rng.uniform(-2, 2)])
        lower_bounds = rng.random() < 0.5
        gen = crossing_search(tau, max_c=10.0, rtol=rtol, scan_points=scan, guess=guess, centre=centre)
        n = 0
        try:
            req = next(gen)
            while True:
                n += len(req)
                assert n < 500
                values = [f(c) for c in req]
                req = gen.send([(2 * tau, False) if lower_bounds and v > 2 * tau else (v, True) for v in values])
        except StopIteration as stop:
            c, censored = stop.value
        if cstar >= 10.0:
            assert censored
        else:
            assert not censored and abs(c - cstar) <= rtol * (1 + rtol) * cstar, (c, cstar, rtol)


def test_coarse_ladder_points_are_5_percent_apart_and_recognised():
    coarse = coarse_ladder(10.0)
    assert coarse.c(coarse.top) == 10.0 and coarse.c(-1) == 0.0 and coarse.c(0) < 10.0 * 1.06e-8
    for i in (0, 1, 100, coarse.top - 1):
        assert coarse.c(i + 1) / coarse.c(i) == pytest.approx(1.05, rel=1e-12)
        assert coarse.index_of(coarse.c(i)) == i and coarse.index_of(coarse.c(i) * (1 + 1e-12)) is None
    assert coarse.index_of(0.0) == -1
