"""Claims the 003 and 004 entries need beyond Trend and Compare.

- :class:`Derived`: any claim, checked on the final table with columns computed from it (the
  generalisation gap ``train_acc - test_acc``, a difference between engines).
- :class:`Bound`: an exact statement about every seed ("no weight moves": ``dW_hidden <= 0``),
  for the consequences of algebra that hold with certainty or not at all; its interval is the
  range over seeds.
- :class:`Equivalent`: two arms within ``margin`` of each other, paired by seed (two one-sided
  tests: supported when the whole interval lies inside ``[-margin, margin]``, refuted when it lies
  wholly outside).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from atomlab.lab import stats
from atomlab.lab.claims import MIN_SEEDS, Claim, ClaimResult, TestResult, combine


def _key(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def select(df: pd.DataFrame, where: dict[str, Any] | None) -> pd.DataFrame:
    """Rows whose columns equal ``where``'s values (a list value means any of its items)."""
    mask = np.ones(len(df), dtype=bool)
    for k, v in (where or {}).items():
        col = df[k].map(_key)
        mask &= col.isin([_key(x) for x in v]).to_numpy() if isinstance(v, list) else (col == _key(v)).to_numpy()
    return df[mask]


def groups(df: pd.DataFrame, by: Sequence[str] | None):
    """``(label, sub-frame)`` per combination of the ``by`` columns (one group when None)."""
    if not by:
        yield "", df
        return
    frame = df.assign(**{f"__{b}": df[b].map(_key) for b in by})
    for values, sub in frame.groupby([f"__{b}" for b in by], sort=False):
        values = values if isinstance(values, tuple) else (values,)
        yield ", ".join(f"{b}={v}" for b, v in zip(by, values)), sub


@dataclass
class Derived(Claim):
    """``claim`` checked on the final table plus ``columns`` (name -> ``f(final) -> Series``)."""

    claim: Claim = None  # type: ignore[assignment]
    columns: dict[str, Callable[[pd.DataFrame], pd.Series]] = field(default_factory=dict)
    text: str = ""

    def _frame(self, final: pd.DataFrame) -> pd.DataFrame:
        return final.assign(**{k: f(final) for k, f in self.columns.items()})

    def count_tests(self, final: pd.DataFrame) -> int:
        return self.claim.count_tests(self._frame(final))

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        result = self.claim.check(self._frame(final), level)
        if self.text:
            result.text = self.text
        return result


def gap(final: pd.DataFrame) -> pd.Series:
    """Generalisation gap: training minus test accuracy."""
    return final["train_acc"] - final["test_acc"]


@dataclass
class Bound(Claim):
    """``metric`` is at most (or at least) ``bound`` for every seed of every group.

    Not a statistical claim: it is supported when every trial satisfies it and refuted by a single
    one that does not (a diverged trial, whose metric is NaN, counts as one that does not). Fewer
    than ``MIN_SEEDS`` seeds give no verdict, as for the statistical claims.
    """

    metric: str = ""
    bound: float = 0.0
    direction: str = "at_most"
    by: Sequence[str] | None = None
    where: dict[str, Any] | None = None
    text: str = ""

    def count_tests(self, final: pd.DataFrame) -> int:
        return max(1, sum(1 for _ in groups(select(final, self.where), self.by)))

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        at_most = self.direction == "at_most"
        tests = []
        for group, sub in groups(select(final, self.where), self.by):
            v = sub[self.metric].to_numpy(dtype=float)
            ok = np.isfinite(v) & ((v <= self.bound) if at_most else (v >= self.bound))
            finite = v[np.isfinite(v)]
            worst = (finite.max() if at_most else finite.min()) if len(finite) else math.nan
            n_seeds = int(sub["seed"].nunique())
            if n_seeds < MIN_SEEDS:
                verdict = "inconclusive"
            else:
                verdict = "supported" if ok.all() else "refuted"
            rng = (float(finite.min()), float(finite.max())) if len(finite) else (math.nan, math.nan)
            tests.append(TestResult(group, f"{'max' if at_most else 'min'} {self.metric} over trials", float(worst),
                                    rng, level, n_seeds, verdict,
                                    detail=f"{int(ok.sum())}/{len(v)} trials {'<=' if at_most else '>='} "
                                           f"{self.bound:g}; interval = range over trials"))
        return ClaimResult(self.text or f"{self.metric} {'<=' if at_most else '>='} {self.bound:g} for every seed",
                           combine([t.verdict for t in tests]), tests, "bound on every seed (no statistics)")


@dataclass
class Equivalent(Claim):
    """Arms ``a`` and ``b`` differ in ``metric`` by less than ``margin``, paired by seed (TOST)."""

    metric: str = ""
    a: dict[str, Any] = field(default_factory=dict)
    b: dict[str, Any] = field(default_factory=dict)
    margin: float = 0.02
    by: Sequence[str] | None = None
    where: dict[str, Any] | None = None
    text: str = ""

    def count_tests(self, final: pd.DataFrame) -> int:
        return max(1, sum(1 for _ in groups(select(final, self.where), self.by)))

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        tests = []
        for group, sub in groups(select(final, self.where), self.by):
            va = select(sub, self.a).groupby("seed")[self.metric].mean()
            vb = select(sub, self.b).groupby("seed")[self.metric].mean()
            paired = pd.concat([va, vb], axis=1, keys=["a", "b"]).dropna()
            diffs = (paired["a"] - paired["b"]).to_numpy()
            # Two one-sided tests at level alpha each = the (1 - 2 alpha) interval inside the margins.
            lo, hi = stats.mean_ci(diffs, level=1 - 2 * (1 - level))
            est = float(diffs.mean()) if len(diffs) else math.nan
            if len(diffs) < MIN_SEEDS:
                verdict = "inconclusive"
            elif -self.margin < lo and hi < self.margin:
                verdict = "supported"
            elif lo > self.margin or hi < -self.margin:
                verdict = "refuted"
            else:
                verdict = "inconclusive"
            tests.append(TestResult(group, f"mean paired difference in {self.metric}", est, (lo, hi), level,
                                    len(diffs), verdict, stats.effect_size(diffs),
                                    detail=f"equivalence margin ±{self.margin:g}; a mean "
                                           f"{paired['a'].mean():.4g}, b mean {paired['b'].mean():.4g}"))
        return ClaimResult(self.text or f"{self.a} and {self.b} within {self.margin:g} in {self.metric}",
                           combine([t.verdict for t in tests]), tests,
                           "equivalence: two one-sided tests on paired differences by seed")
