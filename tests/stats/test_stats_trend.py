"""trend: the within-seed permutation test of a monotone trend, its exact p-values and its interval."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import stats as sps

from atomlab import stats
from atomlab.errors import ConfigError


def brute_force_p(table: list[list[float]]) -> float:
    """Two-sided p of the mean within-seed Spearman rho, listing every arrangement of every seed."""
    rows = [np.asarray(r, float) for r in table]

    def rho(row):
        return 0.0 if np.ptp(row) == 0 else sps.spearmanr(np.arange(len(row)), row).statistic

    observed = np.mean([rho(r) for r in rows])
    per_seed = [[rho(r[list(p)]) for p in itertools.permutations(range(len(r)))] for r in rows]
    means = np.array([np.mean(c) for c in itertools.product(*per_seed)])
    return float(np.mean(np.abs(means) >= abs(observed) - 1e-9))


def test_perfect_order_is_decisive():
    r = stats.trend([[0.1, 0.2, 0.3, 0.4]] * 4, direction=+1)
    assert r.p_value == pytest.approx(2 * (1 / 24) ** 4, rel=1e-9)
    assert r.verdict == "supported" and r.estimate == 1.0
    assert -1 <= r.low <= r.high <= 1 and r.low > 0


def test_less_consistent_data_are_judged_by_the_same_rule():
    r = stats.trend([[1, 2, 3], [1, 2, 3], [1, 3, 2]], direction=+1)  # rho = 1, 1, 0.5
    assert r.estimate == pytest.approx(5 / 6)
    assert r.p_value == pytest.approx(2 * 7 / 216)  # P(sum >= 2.5) = (1 + 6) / 6**3, both tails
    assert r.verdict == "inconclusive"
    assert stats.trend([[1, 2, 3]] * 3, direction=+1).verdict == "supported"  # 2 / 216


def test_supported_refuted_inconclusive_and_two_sided():
    down = [[0.9, 0.8, 0.7, 0.6], [0.95, 0.7, 0.72, 0.5], [0.8, 0.75, 0.6, 0.65], [0.9, 0.85, 0.8, 0.7]]
    assert stats.trend(down, direction=-1).verdict == "supported"
    assert stats.trend(down, direction=+1).verdict == "refuted"
    assert stats.trend(down).verdict == "supported"
    flat = [[1, 3, 2, 4], [4, 2, 3, 1], [2, 1, 4, 3], [3, 4, 1, 2]]
    r = stats.trend(flat, direction=+1)
    assert r.verdict == "inconclusive"
    assert r.seeds_needed is None or r.seeds_needed >= 3


@pytest.mark.parametrize("table", [
    [[0.1, 0.3, 0.2], [0.5, 0.5, 0.9], [0.2, 0.4, 0.4]],  # ties within seeds (midranks)
    [[1, 2, 3, 4], [2, 1, 4, 3], [1, 1, 2, 2]],
    [[3, 1, 2], [1, 2], [5, 5, 5]],  # a seed with one missing level (as NaN below), a tied seed
])
def test_exact_p_matches_brute_force(table):
    width = max(len(r) for r in table)
    padded = [list(r) + [math.nan] * (width - len(r)) for r in table]
    assert stats.trend(padded).p_value == pytest.approx(brute_force_p(table), abs=1e-9)


def test_equals_page_trend_test_without_ties():
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = rng.normal(size=(5, 4)) + 0.5 * np.arange(4)
        r = stats.trend(x, direction=+1)
        page = sps.page_trend_test(x, method="exact")
        if r.estimate > 0:  # Page's one-sided test of an increase, doubled by symmetry
            assert r.p_value == pytest.approx(min(1.0, 2 * page.pvalue), rel=1e-9)


def test_interval_stays_in_range_and_agrees_with_the_p_value():
    rng = np.random.default_rng(8)
    for _ in range(40):
        n, k = int(rng.integers(2, 9)), int(rng.integers(2, 6))
        x = np.round(rng.normal(size=(n, k)) + rng.normal(0, 0.5) * np.arange(k), 1)
        level = float(rng.choice([0.9, 0.95, 0.99]))
        r = stats.trend(x, level=level)
        assert -1 <= r.low <= r.estimate <= r.high <= 1
        assert (r.p_value < 1 - level) == (not r.low <= 0 <= r.high)


def test_diverged_levels_and_seeds_are_left_out():
    x = [[0.1, math.nan, 0.3, 0.4], [0.2, 0.3, 0.4, 0.5], [0.6, math.nan, math.nan, math.nan]]
    r = stats.trend(x, direction=+1)
    assert r.n == 2 and r.estimate == 1.0  # the third seed has one finite level


def test_many_levels_use_seeded_monte_carlo():
    x = np.random.default_rng(1).normal(size=(6, 10)) + 0.3 * np.arange(10)
    r1, r2 = stats.trend(x, direction=+1), stats.trend(x, direction=+1)
    assert r1.method.startswith("within-seed permutation (Monte Carlo") and r1 == r2
    assert r1.verdict == "supported"


@pytest.mark.parametrize("table", [[[0.5, 0.5, 0.5]] * 5, [[math.nan] * 3] * 2, [[0.2, 0.4]], np.zeros((0, 3))])
def test_degenerate_tables_are_quiet(table):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = stats.trend(table, direction=+1)
    assert r.verdict == "inconclusive" and 0 <= r.p_value <= 1


def test_two_levels_need_six_agreeing_seeds():
    assert stats.trend([[0, 1]] * 5, direction=+1).verdict == "inconclusive"  # 2 / 32
    assert stats.trend([[0, 1]] * 6, direction=+1).verdict == "supported"  # 2 / 64


@pytest.mark.parametrize("values, message", [
    ([1, 2, 3], "2-D"),
    ([[1], [2]], "at least 2 levels"),
    ([[1, 2, 3], [1, 2]], "rows of equal length"),
])
def test_bad_tables(values, message):
    with pytest.raises(ConfigError, match=message):
        stats.trend(values)


def test_bad_level_and_direction():
    with pytest.raises(ConfigError, match="level"):
        stats.trend([[1, 2]] * 3, level=95)
    with pytest.raises(ConfigError, match="direction"):
        stats.trend([[1, 2]] * 3, direction=0)
