"""The result every test of :mod:`atomlab.stats` returns, and the rule that turns a p-value into a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The three verdicts, in the order reports list them.
VERDICTS = ("supported", "refuted", "inconclusive")
#: Fewer finite values than this are never decisive, whatever the test says.
MIN_SEEDS = 3


@dataclass(frozen=True)
class StatResult:
    """What one test concluded: an estimate, its interval, a two-sided p-value and the verdict.

    Attributes
    ----------
    estimate : float
        The statistic named by ``statistic`` (a mean paired difference, a mean Spearman rho, ...).
    low, high : float
        The confidence interval for the estimate at ``level``, inside the metric's bounds when
        given (infinite, or the bounds, when the data cannot bound it; NaN without data).
    p_value : float
        Two-sided p-value for "no effect" (the estimate equals ``null``).
    method : str
        The method that produced the p-value and the interval ("paired t", "exact sign-flip", ...).
    n : int
        Finite values (seeds, or pairs of seeds) behind the result.
    verdict : str
        One of :data:`VERDICTS`.
    level : float
        Confidence level of the interval; the test is decisive when ``p_value < 1 - level``.
    direction : int or None
        The claimed sign of the effect: +1, -1, or None for "any non-zero effect".
    statistic : str
        What ``estimate`` is, in words.
    seeds_needed : int or None
        When inconclusive: seeds that would give this test 80 % power at this level for the
        effect observed (None when decisive, or when no effect was observed).
    null : float
        The value the estimate is tested against (0 unless a margin or null shifts it).
    sizes : tuple of int
        The number of finite values of each sample (one entry for paired and one-sample tests).

    Examples
    --------
    >>> r = StatResult(0.265, 0.149, 0.379, 0.0004, "paired t", 10, "supported", 0.95, 1,
    ...                "mean paired difference a - b")
    >>> r.confidence_interval()
    (0.149, 0.379)
    >>> r.describe()
    '+0.265 [+0.149, +0.379], paired t, 10 seeds'
    """

    estimate: float
    low: float
    high: float
    p_value: float
    method: str
    n: int
    verdict: str
    level: float
    direction: int | None
    statistic: str
    seeds_needed: int | None = None
    null: float = 0.0
    sizes: tuple[int, ...] = ()

    @property
    def alpha(self) -> float:
        """The error rate the verdict was decided at: ``1 - level``."""
        return 1.0 - self.level

    @property
    def decisive(self) -> bool:
        """True when the verdict is supported or refuted."""
        return self.verdict != "inconclusive"

    def confidence_interval(self) -> tuple[float, float]:
        """The interval ``(low, high)`` at :attr:`level`."""
        return (self.low, self.high)

    def describe(self) -> str:
        """The estimate, its interval, the method and the seeds, in one phrase.

        Examples
        --------
        >>> StatResult(0.5, 0.5, 0.5, 1.0, "exact sign-flip", 1, "inconclusive", 0.95, None, "mean").describe()
        '+0.5 [+0.5, +0.5], exact sign-flip, 1 seed'
        """
        if len(self.sizes) > 1 and len(set(self.sizes)) > 1:
            seeds = " + ".join(str(s) for s in self.sizes) + " seeds"
        else:
            seeds = counted(self.n)
        if math.isnan(self.estimate):
            return f"no finite values, {self.method}, {seeds}"
        return f"{_num(self.estimate)} [{_num(self.low)}, {_num(self.high)}], {self.method}, {seeds}"


def counted(n: int, noun: str = "seed") -> str:
    """``n`` and ``noun``, the noun plural unless ``n`` is one: ``"1 seed"``, ``"10 seeds"``.

    The one place reports, captions and verdict lines count things, so that none writes "1 seeds".

    Parameters
    ----------
    n : int
        How many.
    noun : str, default "seed"
        What is counted, in the singular; the plural adds an "s".

    Returns
    -------
    str

    Examples
    --------
    >>> counted(1), counted(10), counted(0), counted(3, "test")
    ('1 seed', '10 seeds', '0 seeds', '3 tests')
    """
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _num(x: float) -> str:
    """Three significant digits with a sign; infinities as +inf / -inf."""
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.3g}"


def decide(p_value: float, side: int, *, level: float, direction: int | None, n: int) -> str:
    """The verdict from a two-sided p-value and the side of the null the data fall on.

    ``side`` is the sign of ``estimate - null`` (0 when equal). Decisive needs ``n >= MIN_SEEDS`` and
    ``p_value < 1 - level``; then supported when the side matches ``direction`` (any side when
    ``direction`` is None), refuted when it is the opposite.

    Examples
    --------
    >>> decide(0.01, +1, level=0.95, direction=-1, n=10)
    'refuted'
    >>> decide(0.01, +1, level=0.95, direction=None, n=2)
    'inconclusive'
    """
    if n < MIN_SEEDS or not p_value < 1.0 - level or side == 0:
        return "inconclusive"
    if direction is None or side == direction:
        return "supported"
    return "refuted"
