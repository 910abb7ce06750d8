"""A monotone trend over ordered levels, measured within each seed: the within-seed permutation test.

For each seed, Spearman's rho between the level's position and the metric (midranks for ties; levels
with a non-finite value are left out of that seed, and a seed with fewer than two finite levels is
dropped). The statistic is the mean rho over seeds. Under "no trend" the values of a seed are
exchangeable across its levels, so each seed's rho is that of a uniformly random arrangement of its own
values, independently across seeds; the null distribution of the mean is the convolution of the seeds'
exact distributions (each enumerated over the k! arrangements), so the p-value is exact: four seeds
with four levels all in perfect order give ``2 (1/24)**4``. Without ties this is Page's L test (the
mean rho is an affine function of L); with ties it is Page's test on midranks, each seed weighted as
one rho. When the distribution would be too large to hold (many levels, or many differently tied
seeds) the arrangements are drawn instead (:data:`MC_DRAWS`, fixed seed).

The interval for the mean rho is ``mean +- c``, cut to [-1, 1], where ``c`` is the test's own critical
distance (the largest deviation from 0 the null distribution does not reject at ``level``): so it
excludes 0 exactly when ``p_value < 1 - level``. It is a pivot on the no-trend distribution; per-seed
rhos vary less than that near a strong trend, so there it is conservative (calibration in
docs/statistics.md).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import stats as sps

from atomlab.stats import _checks
from atomlab.stats.power import seeds_needed
from atomlab.stats.result import StatResult, decide

#: Seeds whose number of finite levels exceeds this are not enumerated (8! = 40,320 arrangements).
EXACT_LEVELS = 8
#: The exact distribution of the sum of rhos is abandoned beyond this many distinct values.
MAX_SUPPORT = 10_000
#: ... and no single convolution step may pair more values than this (the sort that merges them dominates).
MAX_PAIRS = 200_000
#: Joint arrangements drawn when the exact distribution is out of reach.
MC_DRAWS = 20_000
MC_SEED = 12
_DIGITS = 9  # rhos are rationals; sums are merged after rounding to this many decimals


def trend(values: Sequence[Sequence[float]], *, level: float = 0.95, direction: int | None = None) -> StatResult:
    """Does the metric rise (fall) along the ordered levels, consistently within seeds?

    Parameters
    ----------
    values : array-like, seeds x levels
        ``values[s, j]`` is seed s's metric at the j-th level, levels in their order. NaN (a diverged
        trial) leaves that level out of that seed.
    level : float
        Confidence level; the test is decisive when ``p_value < 1 - level``.
    direction : {+1, -1, None}
        +1 "increasing", -1 "decreasing", None "any monotone trend".

    Returns
    -------
    StatResult
        ``estimate`` is the mean within-seed Spearman rho, in [-1, 1], with its interval.

    Examples
    --------
    >>> perfect = [[0.1, 0.2, 0.3, 0.4]] * 4            # 4 seeds, 4 levels, all in order
    >>> r = trend(perfect, direction=+1)
    >>> r.verdict, f"{r.p_value:.3g}", r.describe()
    ('supported', '6.03e-06', '+1 [+0.45, +1], within-seed permutation (exact), 4 seeds')
    >>> r = trend([[1, 2, 3], [1, 2, 3], [1, 3, 2]], direction=+1)   # rho = 1, 1, 0.5
    >>> round(r.p_value, 4), r.verdict                   # 2 * 7/216: less consistent data decide less
    (0.0648, 'inconclusive')
    >>> trend([[3, 2, 1]] * 3, direction=+1).verdict     # three seeds all decreasing
    'refuted'
    """
    table = _checks.matrix(values, "values")
    level = _checks.level_(level)
    direction = _checks.direction_(direction)
    alpha = 1.0 - level
    # Each seed reduces to its midranks in level order (a seed with one finite level cannot rank anything).
    finite = np.isfinite(table)
    full = finite.all(axis=1)
    ranked = sps.rankdata(table[full], axis=1) if full.any() else np.empty((0, table.shape[1]))
    seeds = [tuple(r) for r in ranked.tolist()] + [  # complete seeds in one call, then seeds with gaps
        tuple(sps.rankdata(row[ok]).tolist()) for row, ok in zip(table[~full], finite[~full]) if ok.sum() >= 2]
    n = len(seeds)
    statistic = "mean within-seed Spearman rho"
    if n == 0:
        return StatResult(math.nan, math.nan, math.nan, 1.0, "within-seed permutation (exact)", 0,
                          "inconclusive", level, direction, statistic, None, 0.0, (0,))
    rhos = np.array([_rho(r) for r in seeds])
    total = float(rhos.sum())
    # Seeds with the same tie pattern (the same multiset of midranks) share one null distribution.
    patterns: dict[tuple[float, ...], int] = {}
    for r in seeds:
        key = tuple(sorted(r))
        patterns[key] = patterns.get(key, 0) + 1
    null = _exact_null(patterns)
    if null is not None:
        support, prob = null
        tol = 1e-7
        p = float(prob[np.abs(support) >= abs(total) - tol].sum())
        # The largest |sum| the test does not reject: P(|S| >= c) >= alpha.
        values_, tail = _upper_tail(np.abs(support), prob)
        crit = float(values_[tail >= alpha - 1e-15].max())
        name = "within-seed permutation (exact)"
    else:
        draws = _mc_null(patterns)
        ref = np.abs(np.append(draws, total))  # the observed arrangement belongs to the reference set
        p = float(np.count_nonzero(ref >= abs(total) - 1e-7) / ref.size)
        srt = np.sort(ref)[::-1]
        counts = np.arange(1, srt.size + 1) / ref.size  # P(|S| >= srt[i]) (ties resolved to the smallest index)
        crit = float(srt[np.nonzero(counts >= alpha)[0][0]])
        name = f"within-seed permutation (Monte Carlo, {MC_DRAWS} draws)"
    p = min(1.0, p)
    est = total / n
    lo, hi = max(-1.0, round((total - crit) / n, 12)), min(1.0, round((total + crit) / n, 12))
    side = 1 if lo > 0 else -1 if hi < 0 else int(np.sign(est))
    verdict = decide(p, side, level=level, direction=direction, n=n)
    needed = None
    if verdict == "inconclusive" and n >= 2:
        null_sd = math.sqrt(float(np.mean([_null_var(r) for r in seeds])))
        needed = seeds_needed(est, float(rhos.std(ddof=1)), level=level, test="trend",
                              levels=int(np.median([len(r) for r in seeds])), null_sd=null_sd)
    return StatResult(est, lo, hi, p, name, n, verdict, level, direction, statistic, needed, 0.0, (n,))


def _rho(ranks: tuple[float, ...]) -> float:
    """Spearman rho of position against value: Pearson's r of the positions and the midranks; 0 if all tie."""
    r = np.asarray(ranks) - np.mean(ranks)
    pos = np.arange(len(ranks)) - (len(ranks) - 1) / 2
    rr = float(r @ r)
    return 0.0 if rr == 0 else float(r @ pos) / math.sqrt(rr * float(pos @ pos))


@lru_cache(maxsize=16)
def _arrangements(k: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(k))), dtype=np.intp)


@lru_cache(maxsize=512)
def _seed_null(pattern: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution of a seed's rho over the k! arrangements of its midranks: (values, probabilities)."""
    ranks = np.asarray(pattern)
    if np.ptp(ranks) == 0:
        return np.zeros(1), np.ones(1)
    k = len(ranks)
    pos = np.arange(k) - (k - 1) / 2
    r = ranks - ranks.mean()
    rho = (r[_arrangements(k)] @ pos) / math.sqrt(float(r @ r) * float(pos @ pos))
    support, counts = np.unique(np.round(rho, _DIGITS), return_counts=True)
    return support, counts / counts.sum()


def _null_var(ranks: tuple[float, ...]) -> float:
    """Variance of one seed's rho when its levels are exchangeable (1 / (k - 1) for any untied seed)."""
    return 0.0 if np.ptp(ranks) == 0 else 1.0 / (len(ranks) - 1)


Dist = tuple[np.ndarray, np.ndarray]  # (values, probabilities)


def _convolve(a: Dist, b: Dist) -> Dist | None:
    """Distribution of the sum of two independent discrete variables (values merged after rounding); None if too big."""
    if a[0].size * b[0].size > MAX_PAIRS:
        return None
    sums = np.round((a[0][:, None] + b[0][None, :]).ravel(), _DIGITS)
    support, inverse = np.unique(sums, return_inverse=True)
    return support, np.bincount(inverse, weights=(a[1][:, None] * b[1][None, :]).ravel())


def _exact_null(patterns: dict[tuple[float, ...], int]) -> Dist | None:
    """Distribution of the sum of the seeds' rhos under no trend, or None when too large to hold exactly."""
    if max(len(key) for key in patterns) > EXACT_LEVELS:
        return None
    out: Dist | None = (np.zeros(1), np.ones(1))
    for key, count in sorted(patterns.items()):
        power = _pattern_sum(key, count)
        out = None if power is None else _convolve(out, power)
        if out is None or out[0].size > MAX_SUPPORT:
            return None
    return out


@lru_cache(maxsize=256)
def _pattern_sum(key: tuple[float, ...], count: int) -> Dist | None:
    """Distribution of the sum of ``count`` independent rhos of one tie pattern (repeated squaring)."""
    base: Dist | None = _seed_null(key)
    power: Dist | None = (np.zeros(1), np.ones(1))
    while count:
        if count & 1:
            power = _convolve(power, base)
        count >>= 1
        if count and power is not None:
            base = _convolve(base, base)
        if base is None or power is None or max(base[0].size, power[0].size) > MAX_SUPPORT:
            return None
    return power


def _upper_tail(x: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of |S| and P(|S| >= value) for each."""
    values, inverse = np.unique(np.round(x, _DIGITS - 2), return_inverse=True)
    mass = np.bincount(inverse, weights=prob)
    return values, np.cumsum(mass[::-1])[::-1]


def _mc_null(patterns: dict[tuple[float, ...], int]) -> np.ndarray:
    """Sums of rhos for MC_DRAWS joint arrangements (each seed's levels shuffled independently).

    A seed with at most EXACT_LEVELS levels is drawn from its exact distribution (the same law as
    shuffling it, and cheaper); longer seeds are shuffled.
    """
    rng = np.random.default_rng(MC_SEED)
    total = np.zeros(MC_DRAWS)
    for key, count in sorted(patterns.items()):
        ranks = np.asarray(key)
        if np.ptp(ranks) == 0:
            continue
        k = len(ranks)
        if k <= EXACT_LEVELS:
            support, prob = _seed_null(key)
            # `count` draws from the seed's exact distribution, by inverting its distribution function.
            cdf = np.cumsum(prob)
            idx = np.searchsorted(cdf, rng.random((MC_DRAWS, count)) * cdf[-1], side="right")
            total += support[np.minimum(idx, support.size - 1)].sum(axis=1)
            continue
        pos = np.arange(k) - (k - 1) / 2
        r = ranks - ranks.mean()
        for _ in range(count):
            shuffled = rng.permuted(np.broadcast_to(r, (MC_DRAWS, k)), axis=1)
            total += shuffled @ pos / math.sqrt(float(r @ r) * float(pos @ pos))
    return total
