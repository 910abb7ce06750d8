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
MAX_SUPPORT = 200_000
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
    seeds = [row[np.isfinite(row)] for row in table]
    seeds = [s for s in seeds if len(s) >= 2]  # a seed with one finite level cannot rank anything
    n = len(seeds)
    statistic = "mean within-seed Spearman rho"
    if n == 0:
        return StatResult(math.nan, math.nan, math.nan, 1.0, "within-seed permutation (exact)", 0,
                          "inconclusive", level, direction, statistic, None, 0.0, (0,))
    rhos = np.array([_rho(s) for s in seeds])
    total = float(rhos.sum())
    null = _exact_null(seeds)
    if null is not None:
        support, prob = null
        tol = 1e-7
        p = float(prob[np.abs(support) >= abs(total) - tol].sum())
        # The largest |sum| the test does not reject: P(|S| >= c) >= alpha.
        tail = _upper_tail(np.abs(support), prob)
        ok = tail[1] >= alpha - 1e-15
        crit = float(tail[0][ok].max())
        name = "within-seed permutation (exact)"
    else:
        draws = _mc_null(seeds)
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
        null_sd = math.sqrt(float(np.mean([_null_var(s) for s in seeds])))
        needed = seeds_needed(est, float(rhos.std(ddof=1)), level=level, test="trend",
                              levels=int(np.median([len(s) for s in seeds])), null_sd=null_sd)
    return StatResult(est, lo, hi, p, name, n, verdict, level, direction, statistic, needed, 0.0, (n,))


def _rho(values: np.ndarray) -> float:
    """Spearman rho of position against value, with midranks; 0 when every value is the same."""
    if np.ptp(values) == 0:
        return 0.0
    return float(sps.spearmanr(np.arange(len(values)), values).statistic)


@lru_cache(maxsize=16)
def _arrangements(k: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(k))), dtype=np.intp)


def _seed_null(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution of one seed's rho over the k! arrangements of its values: (values, probabilities)."""
    ranks = sps.rankdata(values)
    if np.ptp(ranks) == 0:
        return np.zeros(1), np.ones(1)
    k = len(values)
    pos = np.arange(k) - (k - 1) / 2
    r = ranks - ranks.mean()
    rho = (r[_arrangements(k)] @ pos) / math.sqrt(float(r @ r) * float(pos @ pos))
    support, counts = np.unique(np.round(rho, _DIGITS), return_counts=True)
    return support, counts / counts.sum()


def _null_var(values: np.ndarray) -> float:
    """Variance of one seed's rho when its levels are exchangeable (1 / (k - 1) without ties)."""
    k = len(values)
    return 0.0 if np.ptp(values) == 0 else 1.0 / (k - 1)


def _exact_null(seeds: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Distribution of the sum of the seeds' rhos under no trend, or None when too large to hold exactly."""
    if max(len(s) for s in seeds) > EXACT_LEVELS:
        return None
    support, prob = np.zeros(1), np.ones(1)
    for s in seeds:
        sv, sp = _seed_null(s)
        if support.size * sv.size > 50 * MAX_SUPPORT:
            return None
        sums = np.round((support[:, None] + sv[None, :]).ravel(), _DIGITS)
        support, inverse = np.unique(sums, return_inverse=True)
        prob = np.bincount(inverse, weights=(prob[:, None] * sp[None, :]).ravel())
        if support.size > MAX_SUPPORT:
            return None
    return support, prob


def _upper_tail(x: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of |S| and P(|S| >= value) for each."""
    values, inverse = np.unique(np.round(x, _DIGITS - 2), return_inverse=True)
    mass = np.bincount(inverse, weights=prob)
    return values, np.cumsum(mass[::-1])[::-1]


def _mc_null(seeds: list[np.ndarray]) -> np.ndarray:
    """Sums of rhos for MC_DRAWS joint arrangements (each seed's levels shuffled independently)."""
    rng = np.random.default_rng(MC_SEED)
    total = np.zeros(MC_DRAWS)
    for s in seeds:
        ranks = sps.rankdata(s)
        if np.ptp(ranks) == 0:
            continue
        k = len(s)
        pos = np.arange(k) - (k - 1) / 2
        r = ranks - ranks.mean()
        shuffled = rng.permuted(np.broadcast_to(r, (MC_DRAWS, k)), axis=1)
        total += shuffled @ pos / math.sqrt(float(r @ r) * float(pos @ pos))
    return total
