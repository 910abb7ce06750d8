"""Exact (or fixed-seed Monte Carlo) permutation tests of a mean, and the intervals that invert them.

Two tests, one shape. The **sign-flip** test of a centre ``mu`` (paired differences, or one sample):
under "the values are symmetric about ``mu``" every pattern of signs of ``x - mu`` is equally likely.
The **two-sample permutation** test of a shift ``delta`` (unpaired arms): under "``a - delta`` and ``b``
come from one distribution" every split of the pooled values is equally likely. Both are exact at any
sample size, with ties, with zero spread and with discrete values, which is what the t tests are not.

Both reduce to a set of *thresholds*, one per rearrangement g (Hartigan 1969): the rearranged
statistic is at least as large as the observed one exactly when ``theta_g <= mu`` (sign-flip:
``theta_g`` is the mean of the flipped subset; two-sample: the mean of the moved ``a`` values minus the
mean of the moved ``b`` values). Hence, with N rearrangements of which ``always`` (the identity) count
whatever ``mu`` is::

    p_greater(mu) = (always + #{theta_g <= mu}) / N      # small: the centre is above mu
    p_less(mu)    = (always + #{theta_g >= mu}) / N      # small: the centre is below mu
    p(mu)         = min(1, 2 * min(p_greater, p_less))   # two-sided, equal tails

and the interval ``{mu : p(mu) >= alpha}`` is ``[theta_(k), theta_(N-k)]``, order statistics of the
thresholds. The interval and the p-value therefore agree exactly: the interval excludes ``mu`` iff
``p(mu) < alpha``. Up to :data:`EXACT_SIGN_FLIPS` values (2**16 sign patterns) and
:data:`EXACT_SPLITS` splits everything is enumerated; beyond, :data:`MC_DRAWS` rearrangements are drawn
with the fixed seed :data:`MC_SEED` (the identity is added, so the p-value stays valid: Phipson & Smyth 2010).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Enumerate all 2**n sign patterns up to this many values.
EXACT_SIGN_FLIPS = 16
#: Enumerate all splits of two samples up to this many.
EXACT_SPLITS = 70_000
#: Rearrangements drawn when there are more; enough for p-values down to about 1e-4.
MC_DRAWS = 20_000
#: The fixed seed of those draws, so the same data always give the same p-value.
MC_SEED = 12


@dataclass(frozen=True)
class Thresholds:
    """Sorted thresholds of a permutation test, with the counts that turn them into p-values."""

    theta: np.ndarray
    total: int
    always: int
    exact: bool

    def p_greater(self, mu: float) -> float:
        """One-sided p-value for "the centre is above ``mu``"."""
        return (self.always + int(np.searchsorted(self.theta, mu + _tol(self.theta, mu), side="right"))) / self.total

    def p_less(self, mu: float) -> float:
        """One-sided p-value for "the centre is below ``mu``"."""
        below = int(np.searchsorted(self.theta, mu - _tol(self.theta, mu), side="left"))
        return (self.always + len(self.theta) - below) / self.total

    def p_two_sided(self, mu: float) -> float:
        """Equal-tailed two-sided p-value for "the centre is ``mu``"."""
        return min(1.0, 2.0 * min(self.p_greater(mu), self.p_less(mu)))

    def interval(self, alpha: float, *, tails: int = 2) -> tuple[float, float]:
        """``{mu : p(mu) >= alpha}`` (``tails=2``), or each one-sided p >= alpha (``tails=1``).

        ``tails=1`` gives the ``1 - 2 alpha`` interval that a two one-sided tests (TOST) procedure inverts.
        """
        need = self._need(alpha, tails)
        if need <= 0:
            return (-math.inf, math.inf)
        if need > len(self.theta):  # alpha so large that no centre survives: the point where both tails meet
            mid = float(np.median(self.theta)) if len(self.theta) else math.nan
            return (mid, mid)
        return (float(self.theta[need - 1]), float(self.theta[len(self.theta) - need]))

    def _need(self, alpha: float, tails: int) -> int:
        """Smallest count c with p(c) >= alpha, computed with the same float expression as the p-values."""
        def p(c: int) -> float:
            one = (self.always + c) / self.total
            return min(1.0, 2.0 * one) if tails == 2 else one

        c = max(0, math.ceil(alpha * self.total / tails) - self.always - 1)
        while c > 0 and p(c - 1) >= alpha:
            c -= 1
        while p(c) < alpha:
            c += 1
        return c


def _tol(theta: np.ndarray, mu: float) -> float:
    """Thresholds within rounding of ``mu`` count as ties (subset means of equal values differ in the last bit)."""
    scale = max(abs(float(theta[0])), abs(float(theta[-1])), abs(mu)) if len(theta) else abs(mu)
    return 1e-12 * scale


@lru_cache(maxsize=32)
def _sign_patterns(n: int) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Which values each rearrangement flips (as 0/1 floats), its subset size, the empty draws, exactness."""
    if n <= EXACT_SIGN_FLIPS:
        codes = np.arange(1, 2**n, dtype=np.int64)  # every non-empty subset; the empty one is the identity
        bits = ((codes[:, None] >> np.arange(n)) & 1).astype(float)
        return bits, bits.sum(axis=1), 0, True
    bits = np.random.default_rng(MC_SEED).integers(0, 2, size=(MC_DRAWS, n)).astype(float)
    size = bits.sum(axis=1)
    keep = size > 0
    return bits[keep], size[keep], int((~keep).sum()), False


def sign_flip(x: np.ndarray) -> Thresholds:
    """Thresholds of the sign-flip test for the centre of ``x`` (finite values).

    Examples
    --------
    >>> t = sign_flip(np.full(10, 0.02))  # ten equal differences: only the identity is as extreme
    >>> round(t.p_two_sided(0.0), 6), t.interval(0.05)
    (0.001953, (0.02, 0.02))
    >>> sign_flip(np.array([0.02, 0.02])).p_two_sided(0.0)  # two are not decisive
    0.5
    """
    bits, size, empty, exact = _sign_patterns(len(x))
    # A subset mean lies between the smallest and largest value; clipping removes rounding (ten 0.02s -> 0.02).
    theta = np.sort(np.clip(bits @ x / size, x.min(), x.max())) if len(x) else np.empty(0)
    total = 2 ** len(x) if exact else MC_DRAWS + 1
    return Thresholds(theta, total, 1 + empty, exact)


@lru_cache(maxsize=32)
def _splits(na: int, nb: int) -> tuple[np.ndarray, int, bool]:
    """Which pooled values each split puts in the first arm (enumerated, or MC_DRAWS seeded draws)."""
    splits = math.comb(na + nb, na)
    if splits <= EXACT_SPLITS:
        member = np.zeros((splits, na + nb), dtype=bool)
        chosen = np.array(list(itertools.combinations(range(na + nb), na)), dtype=np.intp).reshape(splits, na)
        np.put_along_axis(member, chosen, True, axis=1)
        return member, splits, True
    keys = np.random.default_rng(MC_SEED).random((MC_DRAWS, na + nb))
    member = np.zeros((MC_DRAWS, na + nb), dtype=bool)
    np.put_along_axis(member, np.argsort(keys, axis=1)[:, :na], True, axis=1)
    return member, MC_DRAWS + 1, False


def two_sample(a: np.ndarray, b: np.ndarray) -> Thresholds:
    """Thresholds of the two-sample permutation test for the shift ``mean(a) - mean(b)``.

    Examples
    --------
    >>> t = two_sample(np.array([1.0, 1.0, 1.0, 1.0]), np.array([0.5, 0.5, 0.5, 0.5]))
    >>> round(t.p_two_sided(0.0), 4)  # the observed split is 1 of C(8, 4) = 70, on either side
    0.0286
    """
    na, nb = len(a), len(b)
    member, total, exact = _splits(na, nb)
    moved_a = ~member[:, :na]  # a's values that the split sends to b
    moved_b = member[:, na:]  # b's values that it sends to a
    k = moved_a.sum(axis=1)
    keep = k > 0
    theta = (moved_a[keep] @ a - moved_b[keep] @ b) / k[keep]
    always = int((~keep).sum()) + (0 if exact else 1)  # the identity (enumerated, or added to the draws)
    return Thresholds(np.sort(theta), total, always, exact)
