"""rank_correlation agrees with scipy and with a brute-force count; granulated Kendall on a hand example."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from basinlab.analysis import granulated_kendall, rank_correlation
from basinlab.errors import ConfigError, DataError


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scipy_on_random_data_with_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=40).astype(float)  # many ties
    y = 0.5 * x + rng.standard_normal(40)
    rc = rank_correlation(x, y)
    tau, rho = stats.kendalltau(x, y), stats.spearmanr(x, y)
    assert rc.kendall_tau == pytest.approx(tau.statistic, abs=1e-12)
    assert rc.kendall_p == pytest.approx(tau.pvalue, rel=1e-9)
    assert rc.spearman_rho == pytest.approx(rho.statistic, abs=1e-12)
    assert rc.spearman_p == pytest.approx(rho.pvalue, rel=1e-9)
    assert rc.n == 40 and rc.n_dropped == 0


def test_agrees_with_brute_force_definitions_without_ties():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(12), rng.standard_normal(12)
    pairs = list(itertools.combinations(range(12), 2))
    concordant = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs)
    rank_x, rank_y = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    rc = rank_correlation(x, y)
    assert rc.kendall_tau == pytest.approx(concordant / len(pairs), abs=1e-12)
    assert rc.spearman_rho == pytest.approx(np.corrcoef(rank_x, rank_y)[0, 1], abs=1e-12)


def test_perfect_orders():
    x = np.arange(10.0)
    assert rank_correlation(x, x ** 3).kendall_tau == pytest.approx(1.0)
    assert rank_correlation(x, -x).spearman_rho == pytest.approx(-1.0)


def test_non_finite_pairs_are_dropped_and_counted():
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0, -np.inf])
    y = np.array([2.0, 1.0, 3.0, 4.0, np.inf, 0.0])
    rc = rank_correlation(x, y)
    assert (rc.n, rc.n_dropped) == (3, 3)
    assert rc.kendall_tau == pytest.approx(stats.kendalltau([1, 2, 4], [2, 1, 4]).statistic)


def test_bad_inputs():
    with pytest.raises(DataError, match="at least 3 pairs"):
        rank_correlation([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ConfigError, match="equal length"):
        rank_correlation([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.warns(UserWarning, match="constant"):
        rc = rank_correlation([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])
    assert np.isnan(rc.kendall_tau)


def test_granulated_kendall_hand_example():
    # target t = 10a + b; measure agrees with t when a = 1 and reverses b when a = 2:
    # varying a (b fixed): 20 − b > 10 + b, concordant in all 3 groups -> ψ_a = 1;
    # varying b (a fixed): τ = +1 for a = 1, −1 for a = 2 -> ψ_b = 0; Ψ = (1 + 0) / 2.
    rows = [{"a": a, "b": b, "t": 10 * a + b, "m": 10 * a + (b if a == 1 else -b)} for a in (1, 2) for b in (1, 2, 3)]
    g = granulated_kendall(pd.DataFrame(rows), "m", "t", ["a", "b"])
    assert g.per_axis == pytest.approx({"a": 1.0, "b": 0.0})
    assert g.n_groups == {"a": 3, "b": 2}
    assert g.psi == pytest.approx(0.5)


def test_granulated_kendall_one_axis_equals_plain_kendall():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"h": np.arange(20), "m": rng.standard_normal(20), "t": rng.standard_normal(20)})
    g = granulated_kendall(frame, "m", "t", ["h"])
    assert g.psi == pytest.approx(stats.kendalltau(frame["m"], frame["t"]).statistic)


def test_granulated_kendall_names_missing_columns():
    with pytest.raises(ConfigError, match="'nope'"):
        granulated_kendall(pd.DataFrame({"m": [1.0], "t": [1.0]}), "m", "t", ["nope"])
