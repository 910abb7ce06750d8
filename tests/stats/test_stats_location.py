"""paired_difference, one_sample, mean_interval, difference and equivalence: verdicts, intervals, exactness."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

from atomlab import stats
from atomlab.errors import ConfigError

A = [0.91, 0.93, 0.90, 0.94, 0.92, 0.95]
B = [0.85, 0.88, 0.86, 0.87, 0.84, 0.83]


def brute_sign_flip_p(x: np.ndarray, mu: float = 0.0) -> float:
    """Equal-tailed two-sided p of the sign-flip test of the mean, by listing every sign pattern."""
    d = np.asarray(x, float) - mu
    obs = d.sum()
    sums = np.array([np.dot(s, d) for s in itertools.product([1, -1], repeat=len(d))])
    upper = np.mean(sums >= obs - 1e-12)
    lower = np.mean(sums <= obs + 1e-12)
    return min(1.0, 2 * min(upper, lower))


# --- verdicts ---------------------------------------------------------------------------------------------------


def test_paired_difference_supported_refuted_inconclusive():
    assert stats.paired_difference(A, B, direction=+1).verdict == "supported"
    assert stats.paired_difference(A, B, direction=-1).verdict == "refuted"
    assert stats.paired_difference(A, B).verdict == "supported"  # two-sided: any difference
    noisy = [0.86, 0.89, 0.85, 0.88, 0.83, 0.84]  # differences of both signs around zero
    r = stats.paired_difference(noisy, B, direction=+1)
    assert r.verdict == "inconclusive" and r.p_value > 0.05
    assert r.seeds_needed is not None and r.seeds_needed > r.n


def test_two_sided_is_never_refuted():
    r = stats.paired_difference(B, A)
    assert r.verdict == "supported" and r.estimate < 0


def test_t_branch_matches_scipy_ttest_rel():
    rng = np.random.default_rng(3)
    for n in (2, 3, 7, 40):
        a, b = rng.normal(0.3, 1, n), rng.normal(0, 1, n)
        r = stats.paired_difference(a, b, level=0.9, method="t")
        ref = sps.ttest_rel(a, b)
        ci = ref.confidence_interval(0.9)
        assert r.method == "paired t"
        assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
        assert (r.low, r.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
        auto = stats.paired_difference(a, b, level=0.9)  # the union with Hall's t: never bolder than t
        assert auto.p_value >= r.p_value - 1e-12 and auto.low <= r.low + 1e-12 and auto.high >= r.high - 1e-12


def test_ten_equal_differences_are_decisive_two_are_not():
    ten = stats.paired_difference([0.52] * 10, [0.50] * 10, direction=+1)
    assert ten.method == "exact sign-flip"
    assert ten.p_value == pytest.approx(2 / 2**10)
    assert ten.verdict == "supported"
    assert ten.confidence_interval() == pytest.approx((0.02, 0.02))
    two = stats.paired_difference([0.52] * 2, [0.50] * 2, direction=+1)
    assert two.verdict == "inconclusive" and two.p_value == pytest.approx(0.5)
    five = stats.paired_difference([0.52] * 5, [0.50] * 5, direction=+1)  # 2/32 = 0.0625: not at 5 %
    assert five.verdict == "inconclusive"
    assert five.seeds_needed == 6


def test_exact_branch_matches_brute_force_enumeration():
    rng = np.random.default_rng(5)
    for n in (3, 6, 9):
        d = rng.integers(-3, 5, n) / 100.0  # a lattice: ties, the exact branch
        r = stats.paired_difference(d, np.zeros(n), method="exact")
        assert r.method == "exact sign-flip"
        assert r.p_value == pytest.approx(brute_sign_flip_p(d), abs=1e-12)


def test_lattice_data_use_the_exact_test_and_continuous_data_the_t_test():
    converged = [1.0, 1.0, 0.5, 1.0, 1.0, 0.5]  # each run converged (1.0) or not (0.5): two values
    assert stats.paired_difference(converged, [0.5] * 6).method == "exact sign-flip and t (skew-corrected)"
    spread = stats.paired_difference([0.995, 1.0, 0.99, 1.0], [0.985, 0.99, 0.99, 0.985])
    assert spread.method == "paired t (skew-corrected)"
    assert stats.paired_difference(A, B).method == "paired t (skew-corrected)"
    assert stats.paired_difference([0.3] * 8, [0.1] * 8).method == "exact sign-flip"  # no spread: t undefined
    assert stats.paired_difference(A, B, method="exact").method == "exact sign-flip"
    assert stats.paired_difference([1.0, 1.0, 2.0], [0, 0, 0], method="t").method == "paired t"


def test_many_tied_values_use_seeded_monte_carlo_and_are_deterministic():
    d = np.tile([0.01, 0.02, -0.005, 0.015], 6)  # 24 values: beyond enumeration
    r1 = stats.paired_difference(d, np.zeros_like(d), direction=+1)
    r2 = stats.paired_difference(d, np.zeros_like(d), direction=+1)
    assert r1.method.startswith("sign-flip (Monte Carlo") and r1 == r2
    assert r1.verdict == "supported"


@pytest.mark.parametrize("method", ["t", "exact"])
def test_interval_agrees_with_the_p_value(method):
    """The interval excludes the null exactly when p < 1 - level, on both sides of every endpoint."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        n = int(rng.integers(3, 12))
        x = np.round(rng.normal(0.4, 1, n), 1 if method == "exact" else 6)
        level = float(rng.choice([0.8, 0.95, 0.99]))
        r = stats.one_sample(x, level=level, method=method)
        assert (r.p_value < 1 - level) == (not r.low <= 0.0 <= r.high)
        for end in (r.low, r.high):
            if math.isfinite(end):
                assert stats.one_sample(x, null=end, level=level, method=method).p_value >= 1 - level - 1e-12
                step = 1e-6 * max(1.0, abs(end)) * (1 if end == r.high else -1)
                assert stats.one_sample(x, null=end + step, level=level, method=method).p_value < 1 - level


def test_margin_shifts_the_null_not_the_estimate():
    a = np.array([0.930, 0.921, 0.947, 0.915, 0.939, 0.926])
    b = a - np.array([0.0152, 0.0148, 0.0155, 0.0149, 0.0151, 0.0147])
    r = stats.paired_difference(a, b, direction=+1, margin=0.01)
    assert r.null == pytest.approx(0.01) and r.estimate == pytest.approx(0.015, abs=1e-3)
    assert r.verdict == "supported"  # beats b by more than 0.01
    assert stats.paired_difference(a, b, direction=+1, margin=0.02).verdict == "refuted"  # by less than 0.02
    # a negative margin with direction -1: "a is not more than 0.02 above b" (the null moves to +0.02)
    assert stats.paired_difference(a, b, direction=-1, margin=-0.02).verdict == "supported"


def test_nan_pairs_are_dropped():
    a = [0.9, np.nan, 0.92, 0.95, 0.91, np.inf]
    b = [0.8, 0.81, np.nan, 0.84, 0.83, 0.82]
    r = stats.paired_difference(a, b)
    assert r.n == 3 and r.estimate == pytest.approx(np.mean([0.1, 0.11, 0.08]))


def test_intervals_stay_inside_bounds():
    r = stats.paired_difference([1.0, 0.2, 1.0, 0.1], [0.0, 0.9, 0.05, 0.95], bounds=(-1, 1))
    assert -1 <= r.low <= r.high <= 1
    m, lo, hi = stats.mean_interval([0.99, 0.97, 1.0, 0.93], bounds=(0, 1))
    assert hi == 1.0 and 0 <= lo < m
    one = stats.one_sample([0.999, 0.95, 0.998], bounds=(0, 1), null=0.5)
    assert 0 <= one.low <= one.high <= 1


# --- degenerate input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], [np.nan, np.nan], [0.7], [0.5, 0.5, 0.5], [0.0] * 12])
def test_degenerate_input_is_finite_and_quiet(values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = stats.one_sample(values, bounds=(0, 1))
        m, lo, hi = stats.mean_interval(values, bounds=(0, 1))
        d = stats.paired_difference(values, values)
    assert r.verdict == "inconclusive" and d.verdict == "inconclusive"
    assert 0 <= r.p_value <= 1
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        assert math.isnan(m) and math.isnan(lo) and r.n == 0
    else:
        assert m == pytest.approx(np.mean(finite)) and 0 <= lo <= m <= hi <= 1


def test_one_value_has_an_unbounded_interval_and_a_singular_description():
    r = stats.one_sample([0.7])
    assert (r.low, r.high) == (-math.inf, math.inf)
    assert r.describe() == "+0.7 [-inf, +inf], exact sign-flip, 1 seed"
    assert stats.mean_interval([0.7], bounds=(0, 1)) == (0.7, 0.0, 1.0)


def test_describe_names_the_method_and_seeds():
    text = stats.paired_difference(A, B).describe()
    assert text.endswith("paired t (skew-corrected), 6 seeds") and text.startswith("+0.0")
    assert stats.paired_difference([], []).describe() == "no finite values, paired t, 0 seeds"


# --- one sample, mean_interval ---------------------------------------------------------------------------------


def test_one_sample_above_and_below_a_value():
    acc = [0.71, 0.64, 0.69, 0.73, 0.66, 0.70]
    assert stats.one_sample(acc, null=0.5, direction=+1).verdict == "supported"
    assert stats.one_sample(acc, null=0.9, direction=+1).verdict == "refuted"
    assert stats.one_sample(acc, null=0.69, direction=+1).verdict == "inconclusive"


def test_one_sample_widens_the_t_interval_towards_the_skewed_tail():
    x = np.array([0.8, 0.9, 1.1, 1.0, 0.95, 3.2, 1.05, 0.85])  # one long right tail
    r = stats.one_sample(x, null=1.0)
    ref = sps.ttest_1samp(x, 1.0)
    ci = ref.confidence_interval(0.95)
    assert r.method == "one-sample t (skew-corrected)"
    assert r.p_value >= ref.pvalue - 1e-12
    assert r.low == pytest.approx(ci.low) and r.high > ci.high  # Hall moves the upper end out, t keeps the lower
    symmetric = np.array([-1.0, -0.5, 0.0, 0.5, 1.0]) + 3.0
    s = stats.one_sample(symmetric, null=3.0)
    ci = sps.ttest_1samp(symmetric, 3.0).confidence_interval(0.95)
    assert (s.low, s.high) == pytest.approx((ci.low, ci.high))  # no skew: plain t


def test_one_sample_discrete_values_take_the_most_cautious_of_three_tests():
    acc = np.array([1.0] * 6 + [0.995] * 2 + [0.99, 0.96])  # a lattice piled against the ceiling
    r = stats.one_sample(acc, null=0.99, bounds=(0, 1))
    exact = stats.one_sample(acc, null=0.99, bounds=(0, 1), method="exact")
    plain = sps.ttest_1samp(acc, 0.99)
    assert r.method == "exact sign-flip and t (skew-corrected)" and exact.method == "exact sign-flip"
    assert r.p_value >= max(exact.p_value, plain.pvalue) - 1e-12
    assert r.low <= exact.low and r.high >= exact.high
    assert (r.p_value < 0.05) == (not r.low <= 0.99 <= r.high)


def test_mean_interval_is_one_sample_interval():
    x = [0.12, 0.15, 0.11, 0.19, 0.14]
    r = stats.one_sample(x, level=0.9)
    assert stats.mean_interval(x, level=0.9) == pytest.approx((r.estimate, r.low, r.high))


# --- unpaired ---------------------------------------------------------------------------------------------------


def test_difference_matches_welch_and_decides():
    a, b = [5.1, 4.8, 5.6, 5.3], [4.1, 4.5, 3.9, 4.4, 4.0, 4.25]
    r = stats.difference(a, b, direction=+1, level=0.99)
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.99)
    assert r.method == "Welch t" and r.sizes == (4, 6) and r.n == 4
    assert r.p_value == pytest.approx(ref.pvalue) and (r.low, r.high) == pytest.approx((ci.low, ci.high))
    assert r.verdict == "supported"
    assert stats.difference(a, b, direction=-1).verdict == "refuted"
    assert stats.difference(a[:3], [5.0, 5.35, 4.9], direction=+1).verdict == "inconclusive"
    assert r.describe().endswith("Welch t, 4 + 6 seeds")


def test_difference_exact_permutation_matches_enumeration():
    a = np.array([1.0, 1.0, 0.75, 1.0])
    b = np.array([0.5, 0.75, 0.5, 0.5, 0.75])
    r = stats.difference(a, b, method="exact")
    pooled = np.concatenate([a, b])
    obs = a.mean() - b.mean()
    diffs = []
    for idx in itertools.combinations(range(9), 4):
        mask = np.zeros(9, bool)
        mask[list(idx)] = True
        diffs.append(pooled[mask].mean() - pooled[~mask].mean())
    diffs = np.array(diffs)
    p = min(1.0, 2 * min(np.mean(diffs >= obs - 1e-12), np.mean(diffs <= obs + 1e-12)))
    assert r.method == "exact permutation" and r.p_value == pytest.approx(p)
    assert (r.p_value < 0.05) == (not r.low <= 0 <= r.high)
    # auto: Welch on discrete arms; the exact test only where Welch is undefined
    assert stats.difference(a, b).method == "Welch t"
    assert stats.difference([1.0] * 4, [0.5] * 4).method == "exact permutation"
    assert stats.difference([1.0], [0.5, 0.6, 0.7]).method == "exact permutation"


# --- equivalence ----------------------------------------------------------------------------------------------


def test_equivalence_three_verdicts_and_statsmodels_tost():
    a = np.array([0.912, 0.905, 0.921, 0.899, 0.915, 0.908])
    b = np.array([0.910, 0.909, 0.917, 0.901, 0.914, 0.911])
    r = stats.equivalence(a, b, margin=0.01)
    assert r.verdict == "supported" and r.method == "TOST paired t (skew-corrected)"
    assert r.p_value >= ttost_paired(a, b, -0.01, 0.01)[0] - 1e-12  # never bolder than the plain TOST
    assert -0.01 < r.low <= r.high < 0.01
    sym = b + np.array([0.001, 0.002, 0.003, 0.004, 0.005, 0.006])  # symmetric differences: plain TOST
    assert stats.equivalence(sym, b, margin=0.01).p_value == pytest.approx(ttost_paired(sym, b, -0.01, 0.01)[0])
    assert stats.equivalence(a, b - 0.05, margin=0.01).verdict == "refuted"
    assert stats.equivalence(a, b, margin=0.002).verdict == "inconclusive"
    un = stats.equivalence(a, b, margin=0.01, paired=False)
    assert un.method == "TOST Welch t"
    assert un.p_value == pytest.approx(ttost_ind(a, b, -0.01, 0.01, usevar="unequal")[0])


def test_equivalence_exact_on_tied_data():
    a = [1.0, 1.0, 0.995, 1.0, 0.995, 1.0, 1.0, 0.995]
    b = [1.0, 0.995, 1.0, 1.0, 0.995, 1.0, 0.995, 1.0]
    r = stats.equivalence(a, b, margin=0.01)
    assert r.method == "TOST exact sign-flip and t (skew-corrected)" and r.verdict == "supported"
    three = stats.equivalence([1.0, 1.0, 0.995], [1.0, 1.0, 0.995], margin=0.01)  # no spread: exact, 1/8 per side
    assert three.method == "TOST exact sign-flip" and three.verdict == "inconclusive"
    assert three.p_value == pytest.approx(1 / 8)


# --- bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, message", [
    (lambda: stats.paired_difference([1, 2, 3], [1, 2]), "same length"),
    (lambda: stats.paired_difference([[1, 2], [3]], [1, 2]), "1-D sequence"),
    (lambda: stats.paired_difference([[1, 2], [3, 4]], [[1, 2], [3, 4]]), "1-D"),
    (lambda: stats.paired_difference(A, B, level=1.0), "level"),
    (lambda: stats.paired_difference(A, B, level=0), "level"),
    (lambda: stats.paired_difference(A, B, direction=2), "direction"),
    (lambda: stats.paired_difference(A, B, direction="greater"), "direction"),
    (lambda: stats.paired_difference(A, B, margin=0.1), "needs a direction"),
    (lambda: stats.paired_difference(A, B, bounds=(1, 0)), "bounds"),
    (lambda: stats.paired_difference(A, B, bounds=(0, 0.01)), "outside bounds"),
    (lambda: stats.paired_difference(A, B, method="bca"), "method"),
    (lambda: stats.one_sample("abc"), "1-D sequence"),
    (lambda: stats.one_sample(A, null=2.0, bounds=(0, 1)), "outside bounds"),
    (lambda: stats.one_sample(A, null=math.nan), "null"),
    (lambda: stats.equivalence(A, B, margin=0), "margin must be > 0"),
    (lambda: stats.equivalence(A, B, margin=-0.1), "margin must be > 0"),
    (lambda: stats.equivalence(A, B, margin=0.1, level=0.5), "level > 0.5"),
    (lambda: stats.difference(A, B, level=1.5), "level"),
])
def test_bad_input_names_the_problem(call, message):
    with pytest.raises(ConfigError, match=message):
        call()


@pytest.mark.parametrize("n", [3, 5, 10, 20, 50])
@pytest.mark.parametrize("null", [0.5, 0.8])
def test_binomial_share_is_exact_at_every_seed_count(n, null):
    # Summed over every possible outcome, not simulated: false positives at most alpha, coverage at least 1 - alpha.
    fpr = covered = 0.0
    for k in range(n + 1):
        r = stats.one_sample([1.0] * k + [0.0] * (n - k), null=null, method="binomial")
        fpr += sps.binom.pmf(k, n, null) * (r.verdict != "inconclusive")
        covered += sps.binom.pmf(k, n, null) * (r.low <= null <= r.high)
    assert fpr <= 0.05 + 1e-12
    assert covered >= 0.95 - 1e-12


def test_binomial_share_refuses_values_that_are_not_yes_or_no():
    with pytest.raises(ConfigError, match=r"yes/no values .*0\.5"):
        stats.one_sample([1.0, 0.5, 0.0], null=0.5, method="binomial")
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        stats.one_sample([1.0, 0.0, 1.0], null=1.0, method="binomial")
