"""Claims an experiment makes, and how each is checked against the result table.

A claim produces one or more *tests* (one per group when ``by`` is given, e.g. one per decision
function). Each test is a confidence interval for a statistic whose sign says which way the data
point. The experiment corrects for multiple comparisons with Bonferroni: with ``m`` tests in all,
every interval is computed at level ``1 - 0.05 / m``. A test is *supported* when its interval
excludes zero in the claimed direction, *refuted* when it excludes zero the other way, and
*inconclusive* otherwise; a claim is supported when all its tests are, refuted when any is.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from atomlab.lab import stats

VERDICTS = ("supported", "refuted", "inconclusive")
#: Fewer seeds than this never give a decisive verdict, however consistent they look.
MIN_SEEDS = 3


@dataclass
class TestResult:
    """One test of a claim: the statistic, its interval, the verdict."""

    group: str
    statistic: str
    estimate: float
    ci: tuple[float, float]
    level: float
    n_seeds: int
    verdict: str
    effect_size: float = math.nan
    seeds_needed: int | None = None
    detail: str = ""


@dataclass
class ClaimResult:
    """The verdict on one claim, with the tests behind it."""

    text: str
    verdict: str
    tests: list[TestResult] = field(default_factory=list)
    method: str = ""

    @property
    def n_seeds(self) -> int:
        return min((t.n_seeds for t in self.tests), default=0)

    def summary(self) -> str:
        """One line: the verdict and the statistics behind it."""
        parts = []
        for t in self.tests:
            g = f"{t.group}: " if t.group else ""
            parts.append(f"{g}{t.statistic} = {t.estimate:+.3g} [{t.ci[0]:+.3g}, {t.ci[1]:+.3g}]")
        return f"{self.verdict} — " + "; ".join(parts) + f" ({self.n_seeds} seeds, {self.method})"


def combine(verdicts: Sequence[str]) -> str:
    """All supported -> supported; any refuted -> refuted; otherwise inconclusive."""
    if not verdicts:
        return "inconclusive"
    if any(v == "refuted" for v in verdicts):
        return "refuted"
    if all(v == "supported" for v in verdicts):
        return "supported"
    return "inconclusive"


def _select(df: pd.DataFrame, where: dict[str, Any] | None) -> pd.DataFrame:
    if not where:
        return df
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        col = df[k].map(_key)
        mask &= col.isin([_key(x) for x in v]).to_numpy() if isinstance(v, list) else (col == _key(v)).to_numpy()
    return df[mask]


def _key(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _groups(df: pd.DataFrame, by: Sequence[str] | None):
    if not by:
        yield "", df
        return
    keys = [df[b].map(_key) for b in by]
    frame = df.assign(**{f"__{b}": k for b, k in zip(by, keys)})
    for values, sub in frame.groupby([f"__{b}" for b in by], sort=False):
        values = values if isinstance(values, tuple) else (values,)
        yield ", ".join(f"{b}={v}" for b, v in zip(by, values)), sub


class Claim:
    """Base class. Subclasses implement :meth:`tests` from the table of final metrics."""

    text: str = ""
    n_tests_hint: int = 1

    def count_tests(self, final: pd.DataFrame) -> int:
        """How many tests this claim makes on ``final`` (for the Bonferroni correction)."""
        return max(1, sum(1 for _ in _groups(_select(final, getattr(self, "where", None)),
                                             getattr(self, "by", None))))

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        raise NotImplementedError


def _verdict(interval: stats.Interval, direction: int, values: np.ndarray) -> str:
    """Supported / refuted / inconclusive from the interval, with two guards for few seeds.

    Fewer than MIN_SEEDS values are never decisive. Values with no spread at all (every seed gives
    the same number, e.g. a Spearman rho of -1 over two levels) make the t interval collapse to a
    point, so they are judged by a sign test instead: decisive only if 0.5^n is below the
    interval's one-sided error rate (n >= 6 for a single test at 95%).
    """
    n = len(values)
    if n < MIN_SEEDS:
        return "inconclusive"
    if np.ptp(values) == 0 and 0.5**n >= (1 - interval.level) / 2:
        return "inconclusive"
    sign = interval.excludes_zero()
    if sign == 0:
        return "inconclusive"
    return "supported" if sign == direction else "refuted"


@dataclass
class Trend(Claim):
    """``metric`` increases (or decreases) along the levels of ``factor``.

    The statistic is the mean over seeds of the within-seed Spearman correlation between level
    order and the metric, with a t interval over seeds (a seed bootstrap from 10 seeds).
    """

    metric: str
    factor: str
    direction: str = "increasing"
    by: Sequence[str] | None = None
    where: dict[str, Any] | None = None
    levels: Sequence[Any] | None = None
    text: str = ""

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        want = 1 if self.direction == "increasing" else -1
        tests = []
        for group, sub in _groups(_select(final, self.where), self.by):
            levels = list(self.levels) if self.levels is not None else _ordered_levels(sub[self.factor])
            sub = sub.assign(__lvl=sub[self.factor].map(_key))
            pivot = sub.pivot_table(index="seed", columns="__lvl", values=self.metric, aggfunc="mean")
            pivot = pivot.reindex(columns=[_key(v) for v in levels])
            rhos = stats.spearman_per_seed(pivot.to_numpy())
            rhos = rhos[np.isfinite(rhos)]  # a seed with fewer than two finite levels says nothing
            lo, hi = stats.mean_ci(rhos, level=level)
            interval = stats.Interval(float(np.mean(rhos)) if len(rhos) else math.nan, lo, hi, level)
            verdict = _verdict(interval, want, rhos)
            means = pivot.mean(axis=0)
            detail = "means by level: " + ", ".join(f"{k}: {v:.4g}" for k, v in means.items())
            tests.append(TestResult(group, "Spearman rho", interval.estimate, (lo, hi), level, len(rhos),
                                    verdict, stats.effect_size(rhos),
                                    stats.seeds_needed(float(np.mean(rhos)), float(np.std(rhos, ddof=1)))
                                    if verdict == "inconclusive" and len(rhos) > 1 else None, detail))
        return ClaimResult(self.text or f"{self.metric} is {self.direction} in {self.factor}",
                           combine([t.verdict for t in tests]), tests,
                           "mean within-seed Spearman rho; t interval (<10 seeds) or seed bootstrap")


@dataclass
class Compare(Claim):
    """Arm ``a`` has a greater (or smaller) ``metric`` than arm ``b``, paired by seed.

    ``a`` and ``b`` are dicts of factor values. The statistic is the mean per-seed difference
    ``a - b`` (minus ``margin``) with a t interval (a seed bootstrap from 10 seeds); the effect
    size is Cohen's d_z.
    """

    metric: str
    a: dict[str, Any]
    b: dict[str, Any]
    direction: str = "greater"
    by: Sequence[str] | None = None
    where: dict[str, Any] | None = None
    margin: float = 0.0
    text: str = ""

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        want = 1 if self.direction == "greater" else -1
        tests = []
        for group, sub in _groups(_select(final, self.where), self.by):
            va = _select(sub, self.a).groupby("seed")[self.metric].mean()
            vb = _select(sub, self.b).groupby("seed")[self.metric].mean()
            paired = pd.concat([va, vb], axis=1, keys=["a", "b"]).dropna()
            diffs = (paired["a"] - paired["b"]).to_numpy() - want * self.margin
            lo, hi = stats.mean_ci(diffs, level=level)
            est = float(diffs.mean()) if len(diffs) else math.nan
            interval = stats.Interval(est, lo, hi, level)
            verdict = _verdict(interval, want, diffs)
            needed = (stats.seeds_needed(est, float(diffs.std(ddof=1)), alpha=1 - level)
                      if verdict == "inconclusive" and len(diffs) > 1 else None)
            detail = f"a mean {paired['a'].mean():.4g}, b mean {paired['b'].mean():.4g}" if len(paired) else "no pairs"
            tests.append(TestResult(group, f"mean paired difference in {self.metric}", est, (lo, hi), level,
                                    len(diffs), verdict, stats.effect_size(diffs), needed, detail))
        return ClaimResult(self.text or f"{self.a} {self.direction} than {self.b} in {self.metric}",
                           combine([t.verdict for t in tests]), tests,
                           "paired difference by seed; t interval (<10 seeds) or seed bootstrap; Cohen's d_z")


@dataclass
class Custom(Claim):
    """A claim checked by a function ``f(final, level) -> list[TestResult]``."""

    fn: Callable[[pd.DataFrame, float], list[TestResult]] = None  # type: ignore[assignment]
    text: str = ""
    method: str = "custom"
    n_tests: int = 1

    def count_tests(self, final: pd.DataFrame) -> int:
        return self.n_tests

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        tests = self.fn(final, level)
        return ClaimResult(self.text, combine([t.verdict for t in tests]), tests, self.method)


def _ordered_levels(col: pd.Series) -> list[Any]:
    seen: dict[Any, Any] = {}
    for v in col:
        seen.setdefault(_key(v), v)
    return list(seen.values())


#: While claims are checked: the run's outcomes by trial key, for claims on quantities derived from them.
_OUTCOMES: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("atomlab_outcomes", default=None)


def current_outcome(trial_key: str):
    """The outcome of trial ``trial_key`` of the run whose claims are being checked (None outside one).

    A claim sees the final table (one row per trial, with its ``trial`` key); a claim about something
    the table does not hold (weights over training, a settling time) reads the trial's outcome here,
    whether or not the run used the cache.
    """
    outcomes = _OUTCOMES.get()
    return None if outcomes is None else outcomes.get(str(trial_key))


def check_claims(claims: Sequence[Claim], final: pd.DataFrame, *, alpha: float = 0.05,
                 outcomes: dict[str, Any] | None = None) -> tuple[str, list[ClaimResult]]:
    """Check every claim with a Bonferroni correction over all their tests.

    ``outcomes`` (trial key -> :class:`~atomlab.engine.Outcome`) are what :func:`current_outcome` returns
    while the claims run. Returns the overall verdict (combined like a claim's tests) and each claim's result.
    """
    m = sum(c.count_tests(final) for c in claims) or 1
    level = 1 - alpha / m
    token = _OUTCOMES.set(outcomes)
    try:
        results = [c.check(final, level) for c in claims]
    finally:
        _OUTCOMES.reset(token)
    return combine([r.verdict for r in results]), results
