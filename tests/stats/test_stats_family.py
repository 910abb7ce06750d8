"""Holm, Benjamini-Hochberg, seeds needed and alpha spending."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from atomlab import stats
from atomlab.errors import ConfigError

# --- multiple comparisons ------------------------------------------------------------------------------------


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, 2 x 0.03, max(0.06, 1 x 0.04): step-down keeps it monotone
    assert stats.holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])


def test_bh_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.2 with m = 4 -> 0.04, 0.04, 0.0533, 0.2, then the running minimum from the top
    assert stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).tolist() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])


def test_holm_and_bh_match_statsmodels_and_hold_their_properties():
    rng = np.random.default_rng(2)
    for m in (1, 2, 7, 30):
        p = rng.uniform(0, 0.2, m) ** 2
        holm, bh = stats.holm(p), stats.benjamini_hochberg(p)
        assert holm == pytest.approx(multipletests(p, method="holm")[1])
        assert bh == pytest.approx(multipletests(p, method="fdr_bh")[1])
        order = np.argsort(p)
        for adj in (holm, bh):
            assert np.all(adj <= 1) and np.all(adj >= p - 1e-15)
            assert np.all(np.diff(adj[order]) >= -1e-15)  # monotone in the p-values
        assert np.all(bh <= holm + 1e-15)  # FDR control is never stricter than FWER control
        # Holm's decisions by the step-down rule itself
        rejected, alpha = np.zeros(m, bool), 0.05
        for rank, i in enumerate(order):
            if p[i] > alpha / (m - rank):
                break
            rejected[i] = True
        assert np.array_equal(holm < alpha, rejected)


def test_holm_levels_reproduce_holm_decisions():
    rng = np.random.default_rng(6)
    for m in (1, 3, 8, 20):
        p = rng.uniform(0, 0.1, m) ** 1.5
        levels = stats.holm_levels(p, alpha=0.05)
        assert np.array_equal(p < 1 - levels, stats.holm(p) < 0.05)
        assert np.all((levels >= 0.95) & (levels <= 1 - 0.05 / m + 1e-15))
    # the tests themselves, re-run at their Holm levels: verdicts follow Holm and intervals agree
    a = np.array([[0.91, 0.93, 0.90, 0.94, 0.92], [0.86, 0.87, 0.84, 0.88, 0.86], [0.81, 0.85, 0.79, 0.84, 0.80]])
    b = np.array([0.85, 0.88, 0.86, 0.87, 0.84])
    first = [stats.paired_difference(x, b) for x in a]
    levels = stats.holm_levels([r.p_value for r in first])
    again = [stats.paired_difference(x, b, level=lv) for x, lv in zip(a, levels)]
    adjusted = stats.holm([r.p_value for r in first])
    for r, adj in zip(again, adjusted):
        assert (r.verdict != "inconclusive") == (adj < 0.05) == (not r.low <= 0 <= r.high)


def test_multiple_bad_input():
    for bad in ([0.1, 1.2], [-0.1], [math.nan]):
        with pytest.raises(ConfigError, match="p_values"):
            stats.holm(bad)
    with pytest.raises(ConfigError, match="alpha"):
        stats.holm([0.1], alpha=0)
    with pytest.raises(ConfigError, match="q must be"):
        stats.benjamini_hochberg([0.1], q=1)


# --- seeds needed --------------------------------------------------------------------------------------------


def noncentral_t_power(d: float, n: int, alpha: float) -> float:
    """Two-sided one-sample t power from scipy's noncentral t (independent of statsmodels)."""
    crit = sps.t.isf(alpha / 2, n - 1)
    nc = d * math.sqrt(n)
    return sps.nct.sf(crit, n - 1, nc) + sps.nct.cdf(-crit, n - 1, nc)


@pytest.mark.parametrize("d, level", [(0.3, 0.95), (1.0, 0.95), (1.0, 1 - 0.05 / 6), (2.5, 0.99)])
def test_seeds_needed_is_the_smallest_n_with_power(d, level):
    n = stats.seeds_needed(d, 1.0, level=level)
    assert noncentral_t_power(d, n, 1 - level) >= 0.8
    assert n == 3 or noncentral_t_power(d, n - 1, 1 - level) < 0.8


def test_seeds_needed_grows_with_the_correction_and_respects_floors():
    assert stats.seeds_needed(0.5, 1.0, level=1 - 0.05 / 10) > stats.seeds_needed(0.5, 1.0)
    assert stats.seeds_needed(5.0, 1.0) == 3  # never below MIN_SEEDS
    assert stats.seeds_needed(0.02, 0.0, test="sign-flip") == 6  # 2 / 2**6 < 0.05
    assert stats.seeds_needed(0.02, 0.0, test="sign-flip", level=0.995) == 9  # 2 / 2**9 < 0.005
    assert stats.seeds_needed(0.5, 0.0, test="permutation") == 4  # 2 / C(8, 4) < 0.05
    assert stats.seeds_needed(0.9, 0.1, test="trend", levels=2, null_sd=1.0) == 6
    assert stats.seeds_needed(0.0, 1.0) is None and stats.seeds_needed(0.3, math.nan) is None


def test_seeds_needed_bad_input():
    with pytest.raises(ConfigError, match="test must be"):
        stats.seeds_needed(1, 1, test="z")
    with pytest.raises(ConfigError, match="power"):
        stats.seeds_needed(1, 1, power=1.5)
    with pytest.raises(ConfigError, match="levels"):
        stats.seeds_needed(1, 1, test="trend")


# --- alpha spending ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["obrien-fleming", "pocock", "uniform"])
@pytest.mark.parametrize("looks", [1, 3, 7])
def test_spending_sums_to_alpha(kind, looks):
    spent = [stats.alpha_spending(i, looks, alpha=0.05, kind=kind) for i in range(1, looks + 1)]
    assert sum(spent) == pytest.approx(0.05) and all(s > 0 for s in spent)
    assert stats.sequential_level(1, looks, kind=kind) == pytest.approx(1 - spent[0])


def test_obrien_fleming_by_hand_and_information():
    z = sps.norm.isf(0.025)
    first = 2 * sps.norm.sf(z / math.sqrt(0.5))
    assert stats.alpha_spending(1, 2) == pytest.approx(first)
    assert stats.alpha_spending(2, 2) == pytest.approx(0.05 - first)
    # information fractions 10/40 and 40/40
    assert stats.alpha_spending(1, 2, information=[10, 40]) == pytest.approx(2 * sps.norm.sf(z / 0.5))
    assert stats.alpha_spending(1, 4) < stats.alpha_spending(1, 4, kind="pocock")  # OBF keeps alpha for later


@pytest.mark.parametrize("kwargs, message", [
    ({"look": 0, "looks": 3}, "look must be"),
    ({"look": 4, "looks": 3}, "look must be"),
    ({"look": 1, "looks": 0}, "looks must be"),
    ({"look": 1, "looks": 2, "kind": "haybittle"}, "alpha-spending kind"),
    ({"look": 1, "looks": 2, "alpha": 0.0}, "alpha"),
    ({"look": 1, "looks": 2, "information": [5, 5]}, "information"),
    ({"look": 1, "looks": 2, "information": [5]}, "information"),
])
def test_spending_bad_input(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        stats.alpha_spending(**kwargs)
