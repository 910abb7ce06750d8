"""Tests of a mean over seeds: paired differences, one sample against a value, two unpaired arms, equivalence.

Which method decides (``method="auto"``; measured in ``benchmarks/calibration.py``, see
docs/statistics.md, "Calibration"). A paired difference, one sample and each one-sided test of a paired
equivalence all test the centre of one set of values, with the most cautious of up to three tests (the
largest p-value, the union of the intervals), each valid under its own assumption, so that the union is
valid whenever one of them is:

* **Student's t**: exact for normal values; measured to hold its error rate on every symmetric shape the
  catalog produces from 3 seeds on, accuracies on a lattice included as long as they spread over several
  steps.
* **Hall's skewness-corrected t** (Hall 1992): values against a fixed number, and the differences of two
  arms that do differ, need not be symmetric (accuracies piled against 1.0, positive metrics with a long
  tail), and the t test then errs on the side of the tail. Measured, the union of t and Hall's t brings
  the coverage of near-ceiling accuracy differences from 0.91-0.94 to 0.94-0.95, for 7 % to 17 % less
  power at 5 to 10 seeds on symmetric data.
* **The exact sign-flip test** (:mod:`atomlab.stats.permutation`), added for *discrete* samples (at most
  half as many distinct values as values: converged-or-not outcomes, accuracies stuck at a few values,
  zero spread), where the t tests' error rate was computed to reach 2 to 3 times its nominal value (0.099
  at a nominal 0.05 with 7 differences of +-1 or 0; 0.029 at 0.01). It is exact for any symmetric null,
  however tied, and alone decides where t is undefined (no spread, or fewer than 3 discrete values).

The switch depends on the sample only through its number of distinct values, which a shift does not
change, so every interval inverts one test. ``method="t"`` (plain Student t) and ``method="exact"`` (the
sign-flip test alone) force one. Two unpaired arms use **Welch's t**, discrete or not; the exact
two-sample permutation test only where Welch is undefined (one value in an arm, or no spread in either),
see :func:`difference`. The percentile and BCa bootstraps were measured too and are not used: below 20
seeds they cover 65 % to 90 % where 95 % is promised.

In every method the interval at ``level`` is the set of centres the test does not reject, so the interval
excludes the null value exactly when ``p_value < 1 - level``. With ``bounds`` the interval is cut to the
metric's range (the true mean lies in it, so coverage is unchanged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special
from scipy import stats as scipy_stats

from atomlab.errors import ConfigError
from atomlab.stats import _checks, permutation
from atomlab.stats.power import seeds_needed
from atomlab.stats.result import MIN_SEEDS, StatResult, decide


def paired_difference(a: Sequence[float], b: Sequence[float], *, level: float = 0.95, direction: int | None = None,
                      margin: float = 0.0, bounds: Sequence[float] | None = None,
                      method: str = "auto") -> StatResult:
    """Is ``a`` greater (smaller, different) than ``b``, seed by seed?

    Parameters
    ----------
    a, b : sequence of float
        One value per seed, paired by position (``a[i]`` and ``b[i]`` ran with the same seed). A pair
        with a non-finite value on either side (a diverged trial) is dropped.
    level : float
        Confidence level of the interval; the test is decisive when ``p_value < 1 - level``.
    direction : {+1, -1, None}
        The claim: +1 "a > b", -1 "a < b", None "a and b differ" (never refuted).
    margin : float
        Shifts the null to ``direction * margin``: with direction +1 and margin 0.01 the claim is
        "a beats b by more than 0.01". Needs a direction when non-zero.
    bounds : (lo, hi), optional
        Range of ``a - b`` (``(-1, 1)`` for a difference of accuracies); the interval stays inside it.
    method : {"auto", "t", "exact"}
        "auto": the most cautious of the paired t test, Hall's skewness-corrected t and, for discrete
        differences (at most half as many distinct values as pairs), the exact sign-flip test (see the
        module notes). "t": plain Student t (it still needs some spread). "exact": the sign-flip test.

    Returns
    -------
    StatResult
        ``estimate`` is the mean of ``a - b``, with its interval; ``null`` is ``direction * margin``.

    Examples
    --------
    >>> a = [0.91, 0.93, 0.90, 0.94, 0.92]
    >>> b = [0.85, 0.88, 0.86, 0.87, 0.84]
    >>> r = paired_difference(a, b, direction=+1)
    >>> r.verdict, r.method, r.n
    ('supported', 'paired t (skew-corrected)', 5)
    >>> r.describe()                                       # symmetric differences: Hall's t is the t test
    '+0.06 [+0.0404, +0.0796], paired t (skew-corrected), 5 seeds'
    >>> paired_difference(a, b, direction=-1).verdict     # the data show the opposite
    'refuted'
    >>> paired_difference([0.02] * 10, [0.0] * 10).describe()  # ten equal differences are decisive...
    '+0.02 [+0.02, +0.02], exact sign-flip, 10 seeds'
    >>> paired_difference([0.02] * 2, [0.0] * 2).verdict      # ...two are not
    'inconclusive'
    """
    av, bv = _checks.vector(a, "a"), _checks.vector(b, "b")
    _checks.same_length(av, bv)
    direction = _checks.direction_(direction)
    margin = _checks.finite_number(margin, "margin")
    if margin != 0 and direction is None:
        raise ConfigError(f"margin={margin:g} needs a direction (+1 or -1): it shifts the null to direction * margin")
    box = _checks.bounds_(bounds)
    keep = np.isfinite(av) & np.isfinite(bv)
    d = av[keep] - bv[keep]
    _checks.inside(d, box, "a - b")
    null = (direction or 0) * margin
    if box is not None and not box[0] <= null <= box[1]:
        raise ConfigError(f"the null direction * margin = {null:g} lies outside bounds {box}")
    return _centre(d, null=null, level=_checks.level_(level), direction=direction, bounds=box,
                   method=_checks.method_(method), t_name="paired t", statistic="mean paired difference a - b")


def one_sample(values: Sequence[float], *, null: float = 0.0, level: float = 0.95, direction: int | None = None,
               bounds: Sequence[float] | None = None, method: str = "auto") -> StatResult:
    """Is the mean of ``values`` above (below, different from) the fixed value ``null``?

    The same tests as :func:`paired_difference`, on the values minus ``null``. Values against a fixed
    number are where skewness matters most (measured: plain t covers 0.88 to 0.94 of near-ceiling
    accuracies, the union with Hall's t and the sign-flip test 0.94 to 0.98).

    Parameters
    ----------
    values : sequence of float
        One value per seed; non-finite values are dropped.
    null : float
        The value the mean is tested against (0.5 for "better than chance" on two balanced classes).
    level, direction, bounds
        As in :func:`paired_difference`; ``bounds`` is the range of the values themselves.
    method : {"auto", "t", "exact", "binomial"}
        As in :func:`paired_difference`, and "binomial" for yes/no values (0 or 1 per seed): the share of
        ones, by the exact binomial test with a Clopper-Pearson interval (``bounds`` is then [0, 1]).

    Examples
    --------
    >>> acc = [0.71, 0.64, 0.69, 0.73, 0.66, 0.70]
    >>> r = one_sample(acc, null=0.5, direction=+1, bounds=(0, 1))
    >>> r.verdict, r.method
    ('supported', 'one-sample t (skew-corrected)')
    >>> one_sample([1.0, 1.0, 1.0, 0.995], null=0.5, bounds=(0, 1)).describe()  # discrete: exact; 4 cannot decide
    '+0.999 [+0, +1], exact sign-flip and t (skew-corrected), 4 seeds'

    Yes/no outcomes per seed (1 when a seed solved the task): ``method="binomial"`` tests the share with
    scipy's exact binomial test and gives the Clopper-Pearson interval, exact for any ``null`` in (0, 1):

    >>> solved = [1] * 20 + [0] * 4
    >>> r = one_sample(solved, null=0.5, direction=+1, method="binomial")
    >>> r.verdict, r.describe()
    ('supported', '+0.833 [+0.626, +0.953], exact binomial, 24 seeds')
    """
    v = _checks.vector(values, "values")
    direction = _checks.direction_(direction)
    null = _checks.finite_number(null, "null")
    if method == "binomial":
        return _binomial(v[np.isfinite(v)], null=null, level=_checks.level_(level), direction=direction)
    box = _checks.bounds_(bounds)
    _checks.inside(v, box, "values")
    if box is not None and not box[0] <= null <= box[1]:
        raise ConfigError(f"null={null:g} lies outside bounds {box}")
    return _centre(v[np.isfinite(v)], null=null, level=_checks.level_(level), direction=direction, bounds=box,
                   method=_checks.method_(method), t_name="one-sample t", statistic="mean")


def mean_interval(values: Sequence[float], *, level: float = 0.95, bounds: Sequence[float] | None = None,
                  method: str = "auto") -> tuple[float, float, float]:
    """The mean of the finite values and its interval: ``(mean, low, high)``.

    The same tests as :func:`one_sample`, cut to ``bounds``. Without enough values to bound the mean the interval
    is the bounds (infinite without them); without any finite value everything is NaN.

    Examples
    --------
    >>> m, lo, hi = mean_interval([0.97, 0.99, 0.98, 0.995], bounds=(0, 1))
    >>> round(m, 4), round(lo, 4), round(hi, 4)
    (0.9838, 0.964, 1.0)
    >>> mean_interval([float("nan")])
    (nan, nan, nan)
    """
    v = _checks.vector(values, "values")
    box = _checks.bounds_(bounds)
    _checks.inside(v, box, "values")
    r = _centre(v[np.isfinite(v)], null=0.0, level=_checks.level_(level), direction=None, bounds=box,
                method=_checks.method_(method), t_name="t", statistic="mean", power=False)
    return (r.estimate, r.low, r.high)


def difference(a: Sequence[float], b: Sequence[float], *, level: float = 0.95, direction: int | None = None,
               bounds: Sequence[float] | None = None, method: str = "auto") -> StatResult:
    """Is the mean of ``a`` greater (smaller, different) than that of ``b``, for unpaired arms?

    Welch's t test (no equal-variance assumption), discrete values included: unlike the paired t test
    it was measured to hold its error rate on discrete arms, and the permutation interval, which
    assumes the arms differ by a shift, covered too little when they differ in shape (0.90 at 5 seeds
    for converged-or-not arms). The exact two-sample permutation test decides only where Welch cannot:
    an arm with a single value, or no spread in either arm (``method="exact"`` forces it). Use
    :func:`paired_difference` when the arms share seeds: pairing removes the seed-to-seed variation.

    Parameters
    ----------
    a, b : sequence of float
        The arms' values (any lengths); non-finite values are dropped.
    level, direction, bounds, method
        As in :func:`paired_difference`; ``bounds`` is the range of ``mean(a) - mean(b)``.

    Returns
    -------
    StatResult
        ``n`` is the smaller arm's count; ``sizes`` holds both.

    Examples
    --------
    >>> r = difference([5.1, 4.8, 5.6, 5.3], [4.1, 4.5, 3.9, 4.4, 4.0], direction=+1)
    >>> r.verdict, r.method, r.sizes
    ('supported', 'Welch t', (4, 5))
    >>> difference([1.0, 1.0, 1.0], [0.5, 0.5, 0.5]).describe()  # no spread: exact, 1 split in 20 per side
    '+0.5 [-inf, +inf], exact permutation, 3 seeds'
    """
    av, bv = _checks.vector(a, "a"), _checks.vector(b, "b")
    direction = _checks.direction_(direction)
    box = _checks.bounds_(bounds)
    level = _checks.level_(level)
    method = _checks.method_(method)
    av, bv = av[np.isfinite(av)], bv[np.isfinite(bv)]
    sizes = (len(av), len(bv))
    statistic = "difference in means a - b"
    if min(sizes) == 0:
        return _empty(statistic, "Welch t", level, direction, box, sizes)
    est = float(av.mean() - bv.mean())
    if box is not None and not box[0] <= est <= box[1]:
        raise ConfigError(f"mean(a) - mean(b) = {est:g} lies outside bounds {box}")
    alpha = 1.0 - level
    use_t = _welch_possible(av, bv) and method != "exact"
    if use_t:
        se, df = _welch(av, bv)
        p = _t_p(est / se, df)
        lo, hi = _t_interval(est, se, df, alpha)
        name = "Welch t"
    else:
        th = permutation.two_sample(av, bv)
        p = th.p_two_sided(0.0)
        lo, hi = th.interval(alpha)
        name = "exact permutation" if th.exact else f"permutation (Monte Carlo, {permutation.MC_DRAWS} draws)"
    lo, hi = _cut(lo, hi, box)
    verdict = decide(p, _side(lo, hi, 0.0, est), level=level, direction=direction, n=min(sizes))
    needed = None
    if verdict == "inconclusive":
        sd = math.sqrt((_var(av) + _var(bv)) / 2)
        needed = seeds_needed(est, sd, level=level, test="welch" if use_t else "permutation",
                              ratio=sizes[1] / sizes[0])
    return StatResult(est, lo, hi, p, name, min(sizes), verdict, level, direction, statistic, needed, 0.0, sizes)


def equivalence(a: Sequence[float], b: Sequence[float], *, margin: float, level: float = 0.95, paired: bool = True,
                bounds: Sequence[float] | None = None, method: str = "auto") -> StatResult:
    """Are ``a`` and ``b`` within ``margin`` of each other? Two one-sided tests (TOST).

    Paired, each one-sided test is the most cautious of the tests of :func:`paired_difference` (at the
    margins the arms differ, so their differences need not be symmetric, and one-sided tests feel
    skewness most). Unpaired arms use Welch's t.

    *Supported* when both "a - b > -margin" and "a - b < margin" are shown at ``1 - level`` (equivalently,
    the ``1 - 2 (1 - level)`` interval, 90 % for ``level=0.95``, lies inside ``(-margin, margin)``);
    *refuted* when that interval lies wholly outside ``[-margin, margin]`` (a difference larger than the
    margin is shown); *inconclusive* otherwise.

    Parameters
    ----------
    a, b : sequence of float
        One value per seed (paired by position when ``paired``).
    margin : float
        The largest difference that counts as "the same", > 0, in the metric's units.
    level : float
        ``1 - level`` is the error rate of each one-sided test (and of the verdict).
    paired : bool
        Paired by seed (t / sign-flip on ``a - b``) or unpaired arms (Welch / two-sample permutation).
    bounds, method
        As in :func:`paired_difference`.

    Returns
    -------
    StatResult
        ``estimate`` is the mean difference, ``low``/``high`` its ``1 - 2 (1 - level)`` interval,
        ``p_value`` the TOST p-value (the larger one-sided p) or, when refuted, the one-sided p-value of
        "the difference is beyond the margin" (so that a multiple-comparison correction can weigh either
        conclusion), ``direction`` None.

    Examples
    --------
    >>> a = [0.912, 0.905, 0.921, 0.899, 0.915, 0.908]
    >>> b = [0.910, 0.909, 0.917, 0.901, 0.914, 0.911]
    >>> r = equivalence(a, b, margin=0.01)
    >>> r.verdict, r.method
    ('supported', 'TOST paired t (skew-corrected)')
    >>> equivalence(a, [x - 0.05 for x in b], margin=0.01).verdict   # 5 points apart
    'refuted'
    """
    margin = _checks.finite_number(margin, "margin")
    if margin <= 0:
        raise ConfigError(f"margin must be > 0 (the largest difference that counts as equal), got {margin!r}")
    level = _checks.level_(level)
    if level <= 0.5:
        raise ConfigError(f"equivalence needs level > 0.5 (its interval is at 2 level - 1), got {level!r}")
    method = _checks.method_(method)
    box = _checks.bounds_(bounds)
    av, bv = _checks.vector(a, "a"), _checks.vector(b, "b")
    alpha = 1.0 - level
    statistic = f"mean difference a - b (equivalent within +-{margin:g})"
    if paired:
        _checks.same_length(av, bv)
        keep = np.isfinite(av) & np.isfinite(bv)
        d = av[keep] - bv[keep]
        _checks.inside(d, box, "a - b")
        sizes: tuple[int, ...] = (len(d),)
        if len(d) == 0:
            return _empty(statistic, "TOST paired t", level, None, box, sizes)
        est, sd = float(d.mean()), _sd(d)
        parts = _components(d, method)
        name, test = "TOST " + _name(parts, "paired t"), _power_test(parts)
        # H1 "difference > -margin" and H1 "difference < margin", each one-sided at alpha, in every part.
        p = max(max(c.p_greater(-margin), c.p_less(margin)) for c in parts)
        # H1 "the difference lies beyond the margin", on the estimate's side: the p-value of a refutation.
        p_far = max(c.p_greater(margin) if est >= 0 else c.p_less(-margin) for c in parts)
        lo, hi = _hull([c.interval(alpha, tails=1) for c in parts])
    else:
        av, bv = av[np.isfinite(av)], bv[np.isfinite(bv)]
        sizes = (len(av), len(bv))
        if min(sizes) == 0:
            return _empty(statistic, "TOST Welch t", level, None, box, sizes)
        est = float(av.mean() - bv.mean())
        sd = math.sqrt((_var(av) + _var(bv)) / 2)
        if _welch_possible(av, bv) and method != "exact":
            se, df = _welch(av, bv)
            part: _Part = _TPart(est, se, df)
            name, test = "TOST Welch t", "welch"
        else:
            part = _ExactPart(permutation.two_sample(av, bv))
            name, test = "TOST " + _exact_name(part.th, "permutation"), "permutation"
        p = max(part.p_greater(-margin), part.p_less(margin))
        p_far = part.p_greater(margin) if est >= 0 else part.p_less(-margin)
        lo, hi = part.interval(alpha, tails=1)
    if box is not None and not box[0] <= est <= box[1]:
        raise ConfigError(f"the mean difference {est:g} lies outside bounds {box}")
    lo, hi = _cut(lo, hi, box)
    n = min(sizes)
    if n < MIN_SEEDS:
        verdict = "inconclusive"
    elif p < alpha:
        verdict = "supported"
    elif p_far < alpha:
        verdict = "refuted"
        p = p_far  # the p-value of the conclusion reached: a difference beyond the margin
    else:
        verdict = "inconclusive"
    needed = None
    if verdict == "inconclusive" and abs(est) < margin and not math.isnan(sd):
        # One-sided power against the nearer margin: the usual TOST approximation (exact when the far one is far).
        needed = seeds_needed(margin - abs(est), sd, level=1 - 2 * alpha, test=test,
                              ratio=sizes[-1] / sizes[0])
    return StatResult(est, lo, hi, float(p), name, n, verdict, level, None, statistic, needed, 0.0, sizes)


# --- the shared engine -------------------------------------------------------------------------------------------

def _centre(x: np.ndarray, *, null: float, level: float, direction: int | None, bounds: tuple[float, float] | None,
            method: str, t_name: str, statistic: str, power: bool = True) -> StatResult:
    """Test "the centre of the finite values ``x`` is ``null``" and give the mean's interval."""
    n = len(x)
    sizes = (n,)
    if n == 0:
        return _empty(statistic, t_name, level, direction, bounds, sizes, null)
    est = float(x.mean())
    alpha = 1.0 - level
    parts = _components(x, method)
    p = max(c.p_two_sided(null) for c in parts)
    lo, hi = _cut(*_hull([c.interval(alpha) for c in parts]), bounds)
    verdict = decide(p, _side(lo, hi, null, est), level=level, direction=direction, n=n)
    needed = None
    if power and verdict == "inconclusive" and n >= 2:
        needed = seeds_needed(est - null, _sd(x), level=level, test=_power_test(parts))
    return StatResult(est, lo, hi, p, _name(parts, t_name), n, verdict, level, direction, statistic, needed, null,
                      sizes)


def _binomial(x: np.ndarray, *, null: float, level: float, direction: int | None) -> StatResult:
    """The share of ones among 0/1 values against ``null``: scipy's exact binomial test, Clopper-Pearson interval.

    Hand-choosing nothing here: for yes/no outcomes the binomial distribution is the exact null, so neither t
    (which assumes a continuous mean) nor the sign-flip test (exact only at a null of one half) is needed.
    """
    if not 0.0 < null < 1.0:
        raise ConfigError(f"method='binomial' tests a share: null must lie strictly between 0 and 1, got {null:g}")
    if not np.isin(x, (0.0, 1.0)).all():
        bad = x[~np.isin(x, (0.0, 1.0))][:3]
        raise ConfigError(f"method='binomial' needs yes/no values (0 or 1, one per seed), got {bad.tolist()}")
    n = len(x)
    statistic = "share of seeds"
    if n == 0:
        return _empty(statistic, "exact binomial", level, direction, (0.0, 1.0), (0,), null)
    test = scipy_stats.binomtest(int(x.sum()), n, p=null)
    ci = test.proportion_ci(confidence_level=level, method="exact")
    est, lo, hi = float(x.mean()), float(ci.low), float(ci.high)
    verdict = decide(float(test.pvalue), _side(lo, hi, null, est), level=level, direction=direction, n=n)
    return StatResult(est, lo, hi, float(test.pvalue), "exact binomial", n, verdict, level, direction, statistic,
                      None, null, (n,))


# --- the tests one sample can be given, and how "auto" combines them ----------------------------------------------

class _Part:
    """One test of a centre ``mu``: one- and two-sided p-values, and the intervals that invert them."""

    def p_greater(self, mu: float) -> float:  # small: the centre is above mu
        raise NotImplementedError

    def p_less(self, mu: float) -> float:  # small: the centre is below mu
        raise NotImplementedError

    def p_two_sided(self, mu: float) -> float:
        return min(1.0, 2.0 * min(self.p_greater(mu), self.p_less(mu)))

    def interval(self, alpha: float, *, tails: int = 2) -> tuple[float, float]:
        raise NotImplementedError


class _TPart(_Part):
    """Student's t on the studentized mean ``T(mu) = (est - mu) / se``; ``g`` is Hall's transform of T (or none).

    Hall (1992): the studentized mean of skewed values is itself skewed (its Edgeworth term is
    ``gamma (2 T^2 + 1) / (6 sqrt(n))``); the increasing cubic ``g(T) = T + a T^2 + a^2 T^3 / 3 + b`` with
    ``a = gamma / (3 sqrt(n))``, ``b = gamma / (6 sqrt(n))`` removes that term, and ``g(T)`` is compared with
    Student's t. Hand-written: neither scipy nor statsmodels has it. The t quantities come from
    scipy.special's ufuncs, so p-value and interval are one computation (and a call costs microseconds).
    """

    def __init__(self, est: float, se: float, df: float, gamma: float | None = None):
        self.est, self.se, self.df = est, se, df
        self.a = self.b = 0.0
        if gamma is not None:
            self.a, self.b = gamma / (3 * math.sqrt(df + 1)), gamma / (6 * math.sqrt(df + 1))

    def _g(self, t: float) -> float:
        return t + self.a * t * t + self.a * self.a * t**3 / 3 + self.b

    def _g_inverse(self, u: float) -> float:
        if abs(self.a) < 1e-9:
            return u - self.b
        return float(np.cbrt(1 + 3 * self.a * (u - self.b)) - 1) / self.a

    def p_greater(self, mu: float) -> float:
        return float(special.stdtr(self.df, -self._g((self.est - mu) / self.se)))

    def p_less(self, mu: float) -> float:
        return float(special.stdtr(self.df, self._g((self.est - mu) / self.se)))

    def interval(self, alpha: float, *, tails: int = 2) -> tuple[float, float]:
        # {mu : both one-sided p >= alpha / tails}; g is increasing and T(mu) decreases in mu
        q = float(special.stdtrit(self.df, 1.0 - alpha / tails))
        return (self.est - self.se * self._g_inverse(q), self.est - self.se * self._g_inverse(-q))


class _ExactPart(_Part):
    """The exact permutation test behind a :class:`~atomlab.stats.permutation.Thresholds`."""

    def __init__(self, th: permutation.Thresholds):
        self.th = th

    def p_greater(self, mu: float) -> float:
        return self.th.p_greater(mu)

    def p_less(self, mu: float) -> float:
        return self.th.p_less(mu)

    def p_two_sided(self, mu: float) -> float:
        return self.th.p_two_sided(mu)

    def interval(self, alpha: float, *, tails: int = 2) -> tuple[float, float]:
        return self.th.interval(alpha, tails=tails)


def _components(x: np.ndarray, method: str) -> list[_Part]:
    """The tests that decide for this sample; "auto" keeps the most cautious of them (max p, union of intervals).

    "t": Student's t. "exact": the sign-flip test. "auto": t and Hall's skew-corrected t for continuous
    values; for discrete ones (at most half as many distinct values as values) the sign-flip test and both
    t tests; the sign-flip test alone where t is undefined (fewer than 3 values, or no spread).
    """
    n = len(x)
    spread = n >= 2 and bool(np.ptp(x) > 0)
    exact = _ExactPart(permutation.sign_flip(x))
    if method == "exact" or not spread or (method == "auto" and n < 3 and _discrete(x)):
        return [exact]
    se, df = _sd(x) / math.sqrt(n), n - 1
    t = _TPart(float(x.mean()), se, df)
    if method == "t":
        return [t]
    m, s = float(x.mean()), _sd(x)
    hall = _TPart(m, se, df, gamma=float(np.mean((x - m) ** 3)) / s**3)
    return [exact, t, hall] if _discrete(x) else [t, hall]


def _name(parts: list[_Part], t_name: str) -> str:
    exact = [c for c in parts if isinstance(c, _ExactPart)]
    exact_name = _exact_name(exact[0].th, "sign-flip") if exact else ""
    if len(parts) == 1:
        return exact_name or t_name
    skew = f"{t_name} (skew-corrected)" if t_name != "t" else "t (skew-corrected)"
    return f"{exact_name} and {skew.replace('paired ', '').replace('one-sample ', '')}" if exact else skew


def _power_test(parts: list[_Part]) -> str:
    return "sign-flip" if any(isinstance(c, _ExactPart) for c in parts) else "t"


def _hull(intervals: list[tuple[float, float]]) -> tuple[float, float]:
    return (min(lo for lo, _ in intervals), max(hi for _, hi in intervals))


def _empty(statistic: str, name: str, level: float, direction: int | None, bounds, sizes, null: float = 0.0):
    """No finite value: nothing to estimate, nothing decided."""
    return StatResult(math.nan, math.nan, math.nan, 1.0, name, min(sizes), "inconclusive", level, direction,
                      statistic, None, null, tuple(sizes))


def _side(lo: float, hi: float, null: float, est: float) -> int:
    """Which side of the null the interval (or, when it straddles, the estimate) lies on."""
    if lo > null:
        return 1
    if hi < null:
        return -1
    return int(np.sign(est - null))


def _cut(lo: float, hi: float, bounds: tuple[float, float] | None) -> tuple[float, float]:
    if bounds is None:
        return (lo, hi)
    return (min(max(lo, bounds[0]), bounds[1]), max(min(hi, bounds[1]), bounds[0]))


# Student's t from scipy.special's ufuncs rather than scipy.stats.ttest_*: the p-value and the interval come
# from the same three numbers (estimate, standard error, degrees of freedom), so they agree by construction,
# and a call costs microseconds instead of a millisecond (the calibration makes a million of them).

def _t_p(t: float, df: float) -> float:
    """Two-sided p-value of Student's t."""
    return float(min(1.0, 2.0 * special.stdtr(df, -abs(t))))


def _t_interval(est: float, se: float, df: float, alpha: float) -> tuple[float, float]:
    """``est -+ t_{1 - alpha/2, df} * se``."""
    half = float(special.stdtrit(df, 1.0 - alpha / 2.0)) * se
    return (est - half, est + half)


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Standard error of mean(a) - mean(b) and the Welch-Satterthwaite degrees of freedom."""
    va, vb = _var(a) / len(a), _var(b) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / ((va**2 / (len(a) - 1) if va else 0.0) + (vb**2 / (len(b) - 1) if vb else 0.0))
    return se, df


def _welch_possible(a: np.ndarray, b: np.ndarray) -> bool:
    """Welch's t needs two values in each arm and some spread in one of them."""
    return min(len(a), len(b)) >= 2 and bool(np.ptp(a) > 0 or np.ptp(b) > 0)


def _discrete(x: np.ndarray) -> bool:
    """At most half as many distinct values as values (up to rounding: 0.915 - 0.913 equals 0.912 - 0.910)."""
    scale = float(np.abs(x).max()) if x.size else 0.0
    distinct = np.unique(np.round(x / scale, 9)).size if scale > 0 else min(1, x.size)
    return distinct <= x.size / 2


def _sd(x: np.ndarray) -> float:
    return float(x.std(ddof=1)) if len(x) >= 2 else math.nan


def _var(x: np.ndarray) -> float:
    return float(x.var(ddof=1)) if len(x) >= 2 else 0.0


def _exact_name(th: permutation.Thresholds, kind: str) -> str:
    return f"exact {kind}" if th.exact else f"{kind} (Monte Carlo, {permutation.MC_DRAWS} draws)"
