"""Claims an experiment makes, and how the lab checks them against the final table.

A claim turns the final table (one row per trial) into one or more *tests*: one per group when ``by`` is
given (one per decision function, say). Every test is decided by a function of :mod:`atomlab.stats`, the one
verdict rule of the project; this module only selects the numbers, pairs them by seed and hands them over.

Over all the statistical tests of an experiment, :func:`check_claims` applies Holm's step-down correction:
the test with the smallest p-value is judged at ``alpha / m``, the next at ``alpha / (m - 1)`` and so on,
stopping at the first that fails, so the chance of any false decisive verdict in the experiment stays at most
``alpha``. Each test's interval is reported at the level Holm judged it at.

*Checks* (:class:`Check`) are claims that hold by exact arithmetic, such as an output size or a weight that
cannot move: no sampling error, so they take no part in the correction and are counted apart.

A claim is supported when all its tests are, refuted when any is, and inconclusive otherwise.

Each test is also put in words, in terms of what the data show rather than what was claimed: the arm that
wins and by how much, the direction of a trend, the arm that diverged (:meth:`ClaimTest.line`).

Examples
--------
>>> import pandas as pd
>>> final = pd.DataFrame({"seed": [0, 1, 2, 3] * 2, "width": [1] * 4 + [8] * 4,
...                       "test_acc": [.61, .64, .60, .63, .913, .936, .921, .952]})
>>> verdict, results = check_claims([Compare("test_acc", {"width": 8}, {"width": 1})], final)
>>> verdict
'supported'
>>> results[0].tests[0].method
'paired t (skew-corrected)'
>>> print(results[0].tests[0].line())
width=8 beats width=1 on test accuracy by +0.31 [+0.289, +0.331], paired t (skew-corrected), 4 seeds
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.metrics import higher_is_better, metric_bounds, metric_label
from atomlab.stats import counted

VERDICTS = stats.VERDICTS
MIN_SEEDS = stats.MIN_SEEDS


@dataclass
class ClaimTest:
    """One test of a claim: the group it covers and the statistical result that decides it.

    Attributes
    ----------
    group : str
        Which part of the table (``"function=sine"``), or ``""`` for the whole.
    result : atomlab.stats.StatResult
        Estimate, interval, p-value, method, seeds and verdict.
    detail : str
        What the numbers were (arm means, diverged seeds), in words.
    adjusted : str
        How the level was corrected for the other tests (``"Holm-adjusted over 3 tests (p = 0.012)"``),
        or ``""``.
    words : str
        What the data show, in words, with the estimate, its interval, the method and the seeds
        (``"tanh beats snake on test accuracy by +0.265 [+0.149, +0.379], paired t, 10 seeds"``); ``""``
        for a claim type that does not say (the statistic's name and numbers are shown instead).
    """

    group: str
    result: stats.StatResult
    detail: str = ""
    adjusted: str = ""
    words: str = ""

    verdict = property(lambda self: self.result.verdict)
    estimate = property(lambda self: self.result.estimate)
    ci = property(lambda self: (self.result.low, self.result.high))
    level = property(lambda self: self.result.level)
    n_seeds = property(lambda self: self.result.n)
    method = property(lambda self: self.result.method)
    statistic = property(lambda self: self.result.statistic)
    p_value = property(lambda self: self.result.p_value)
    seeds_needed = property(lambda self: self.result.seeds_needed)

    def line(self) -> str:
        """``group: what the data show, the effect [interval], method, seeds, correction`` in one line.

        An undecided test ends in ", inconclusive" (and says when it had too few seeds to decide at all);
        a test with no finite value to test (an arm that diverged in every seed) says so and nothing more.

        Examples
        --------
        >>> r = stats.StatResult(0.01, -0.02, 0.04, 0.4, "paired t", 1, "inconclusive", 0.95, 1, "mean")
        >>> print(ClaimTest("n=100", r, words="tanh vs snake: " + r.describe()).line())
        n=100: tanh vs snake: +0.01 [-0.02, +0.04], paired t, 1 seed, inconclusive (fewer than 3 seeds)
        """
        where = f"{self.group}: " if self.group else ""
        body = self.words or f"{self.result.statistic} {self.result.describe()}"
        if math.isnan(self.result.estimate) and self.verdict == "inconclusive":
            return where + body  # nothing was tested: no correction, no verdict to report
        note = f", {self.adjusted}" if self.adjusted else ""
        end = ""
        if self.verdict == "inconclusive":
            # a check's count may be trials of a deterministic statement: it words its own reasons
            few = self.n_seeds < MIN_SEEDS and self.method != "exact check"
            end = ", inconclusive" + (f" (fewer than {MIN_SEEDS} seeds)" if few else "")
        return f"{where}{body}{note}{end}"


@dataclass
class ClaimResult:
    """The verdict on one claim, with the tests behind it.

    ``check`` is True for claims that hold by exact arithmetic (see :class:`Check`).
    """

    text: str
    verdict: str
    tests: list[ClaimTest] = field(default_factory=list)
    check: bool = False

    @property
    def n_seeds(self) -> int:
        """The fewest seeds any of the claim's tests used."""
        return min((t.n_seeds for t in self.tests), default=0)

    @property
    def method(self) -> str:
        """The methods of the claim's tests (one entry per distinct method)."""
        return "; ".join(dict.fromkeys(t.method for t in self.tests)) or "not tested"

    def summary(self) -> str:
        """The claim in words, its verdict and every test's statistic, in one line."""
        kind = "check" if self.check else "claim"
        return f"{self.verdict} ({kind}: {self.text}) — " + "; ".join(t.line() for t in self.tests)


def combine(verdicts: Sequence[str]) -> str:
    """All supported -> supported; any refuted -> refuted; otherwise inconclusive.

    Examples
    --------
    >>> combine(["supported", "supported"]), combine(["supported", "refuted"]), combine([])
    ('supported', 'refuted', 'inconclusive')
    """
    if not verdicts:
        return "inconclusive"
    if any(v == "refuted" for v in verdicts):
        return "refuted"
    if all(v == "supported" for v in verdicts):
        return "supported"
    return "inconclusive"


def _bounds(metric: str, given: tuple[float, float] | None) -> tuple[float, float] | None:
    return given if given is not None else metric_bounds(metric)


def _difference_bounds(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if bounds is None else (bounds[0] - bounds[1], bounds[1] - bounds[0])


# ----- selecting rows --------------------------------------------------------------------------------------
def _key(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def select(df: pd.DataFrame, where: dict[str, Any] | None) -> pd.DataFrame:
    """Rows whose columns equal ``where``'s values (a list value means any of its items).

    Examples
    --------
    >>> df = pd.DataFrame({"depth": [1, 2, 3], "acc": [.5, .6, .7]})
    >>> select(df, {"depth": [1, 3]})["acc"].tolist()
    [0.5, 0.7]
    """
    if not where:
        return df
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        col = df[k].map(_key)
        mask &= col.isin([_key(x) for x in v]).to_numpy() if isinstance(v, list) else (col == _key(v)).to_numpy()
    return df[mask]


def groups(df: pd.DataFrame, by: Sequence[str] | None) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(label, rows)`` per combination of the ``by`` columns, in order of appearance (one group when None)."""
    if not by:
        yield "", df
        return
    frame = df.assign(**{f"__{b}": df[b].map(_key) for b in by})
    for values, sub in frame.groupby([f"__{b}" for b in by], sort=False):
        values = values if isinstance(values, tuple) else (values,)
        yield ", ".join(f"{b}={v}" for b, v in zip(by, values)), sub


def per_seed(df: pd.DataFrame, metric: str, where: dict[str, Any] | None = None) -> pd.Series:
    """Mean of ``metric`` per seed among the rows matching ``where`` (NaN where a seed's trial diverged)."""
    return select(df, where).groupby("seed")[metric].agg(lambda v: v.mean(skipna=False))


def _arm_label(where: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in where.items()) or "all"


def _fmt(v: Any) -> str:
    if isinstance(v, list | tuple):
        return "[" + ",".join(_fmt(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def diverged_text(label: str, diverged: int, seeds: int) -> str:
    """How every report names an arm whose trials diverged: ``"lr=1e+06 diverged in 4 of 4 seeds"``.

    Examples
    --------
    >>> diverged_text("lr=1e+06", 4, 4), diverged_text("the arm", 1, 1)
    ('lr=1e+06 diverged in 4 of 4 seeds', 'the arm diverged in 1 of 1 seed')
    """
    return f"{label} diverged in {diverged} of {counted(seeds)}"


def flip(result: stats.StatResult) -> stats.StatResult:
    """The same paired result read the other way round (``b - a``): estimate and interval negated.

    Examples
    --------
    >>> r = stats.StatResult(-0.2, -0.3, -0.1, 0.01, "paired t", 5, "refuted", 0.95, 1, "mean")
    >>> flip(r).describe()
    '+0.2 [+0.1, +0.3], paired t, 5 seeds'
    """
    return replace(result, estimate=-result.estimate, low=-result.high, high=-result.low,
                   null=-result.null)


def _diverged_note(df: pd.DataFrame, where: dict[str, Any] | None, label: str) -> str:
    rows = select(df, where)
    if "diverged" not in rows or not len(rows):
        return ""
    bad = rows.loc[rows["diverged"].astype(bool), "seed"].nunique()
    return diverged_text(label, bad, rows["seed"].nunique()) if bad else ""


def _untested(notes: Sequence[str], fallback: str, what: str) -> str:
    """Why a test had no finite value, naming the arms that diverged."""
    return f"{'; '.join(notes) if notes else fallback}: {what}"


def _aside(notes: Sequence[str]) -> str:
    return f" ({'; '.join(notes)})" if notes else ""


def _side(result: stats.StatResult) -> int:
    """The side of the null the estimate lies on: +1, -1 or 0."""
    return int(np.sign(result.estimate - result.null))


#: A test before its level is fixed: ``make(level) -> StatResult``, with its group and detail, and
#: ``words(result) -> str``, what the result shows in words (see :attr:`ClaimTest.words`).
@dataclass
class PendingTest:
    group: str
    make: Callable[[float], stats.StatResult]
    detail: str = ""
    words: Callable[[stats.StatResult], str] | None = None


# ----- claim types ------------------------------------------------------------------------------------------
@dataclass
class Claim:
    """Base class of the claims the lab can check.

    Subclasses implement :meth:`pending`: one :class:`PendingTest` per group, each able to compute its
    :class:`atomlab.stats.StatResult` at any confidence level (Holm decides the level). ``frame``, when
    given, reshapes the final table before the claim reads it (a quantity across arms, such as the lead of
    the networks over the best baseline per seed and size); per-trial quantities belong in the experiment's
    ``derive`` hook instead.
    """

    text: str = field(default="", kw_only=True)
    by: Sequence[str] | None = field(default=None, kw_only=True)
    where: dict[str, Any] | None = field(default=None, kw_only=True)
    frame: Callable[[pd.DataFrame], pd.DataFrame] | None = field(default=None, kw_only=True)
    #: Claims that hold by exact arithmetic are *checks*: no correction, counted apart.
    is_check = False

    def table(self, final: pd.DataFrame) -> pd.DataFrame:
        """The rows the claim reads: ``frame(final)`` if given, then ``where``."""
        return select(self.frame(final) if self.frame is not None else final, self.where)

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        raise NotImplementedError

    def describe(self) -> str:
        """The claim in words (``text`` if given)."""
        return self.text or self.__class__.__name__


@dataclass
class Trend(Claim):
    """``metric`` increases (or decreases) along the ordered levels of ``factor``.

    Decided by :func:`atomlab.stats.trend` on the seeds x levels table: within-seed rank correlation,
    tested by permuting the levels within each seed.
    """

    metric: str
    factor: str
    direction: str = "increasing"
    levels: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        _check_choice("direction", self.direction, ("increasing", "decreasing"))

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        want = 1 if self.direction == "increasing" else -1
        out = []
        for group, sub in groups(self.table(final), self.by):
            levels = list(self.levels) if self.levels is not None else _ordered_levels(sub[self.factor])
            sub = sub.assign(__lvl=sub[self.factor].map(_key))
            table = sub.pivot_table(index="seed", columns="__lvl", values=self.metric,
                                    aggfunc=lambda v: v.mean(skipna=False), dropna=False)
            table = table.reindex(columns=[_key(v) for v in levels])
            means = table.mean(axis=0)
            detail = f"{self.metric} by {self.factor}: " + ", ".join(f"{_fmt(k)}: {v:.4g}" for k, v in means.items())
            values = table.to_numpy(dtype=float)
            notes = [_diverged_note(sub, {self.factor: v}, f"{self.factor}={_fmt(v)}") for v in levels]
            out.append(PendingTest(group, lambda level, v=values: stats.trend(v, level=level, direction=want),
                                   detail, lambda r, notes=[n for n in notes if n]: self.words(r, notes)))
        return out

    def words(self, r: stats.StatResult, notes: Sequence[str] = ()) -> str:
        """What the trend test shows: the way the metric goes with the factor, or that it is unclear."""
        m, f = metric_label(self.metric), metric_label(self.factor)
        if math.isnan(r.estimate):
            return _untested(notes, "no seed has two finite levels", f"no trend of {m} to test")
        if r.decisive:
            head = f"{m} {'rises' if r.estimate > 0 else 'falls'} with {f}"
        else:
            head = f"trend of {m} with {f}"
        return f"{head}: mean Spearman rho {r.describe()}{_aside(notes)}"

    def describe(self) -> str:
        return self.text or f"{self.metric} is {self.direction} in {self.factor}"


@dataclass
class Compare(Claim):
    """Arm ``a`` has a greater (or smaller, or just a different) ``metric`` than arm ``b``, paired by seed.

    ``a`` and ``b`` are dicts of factor values; ``direction`` is ``"greater"``, ``"smaller"`` or
    ``"different"`` (two-sided: supported when the arms differ either way, never refuted; the sign of the
    estimate says which way); ``margin`` asks for a lead of at least that much (one-sided only);
    ``bounds`` is the range of the metric (default :func:`metric_bounds`: ``(0, 1)`` for an accuracy),
    which bounds the interval of the difference. Decided by :func:`atomlab.stats.paired_difference`.
    """

    metric: str
    a: dict[str, Any]
    b: dict[str, Any]
    direction: str = "greater"
    margin: float = 0.0
    bounds: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        _check_choice("direction", self.direction, ("greater", "smaller", "different"))

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        want = {"greater": 1, "smaller": -1, "different": None}[self.direction]
        diff_bounds = _difference_bounds(_bounds(self.metric, self.bounds))
        out = []
        for group, sub in groups(self.table(final), self.by):
            paired = pd.concat([per_seed(sub, self.metric, self.a), per_seed(sub, self.metric, self.b)],
                               axis=1, keys=["a", "b"])
            a, b = paired["a"].to_numpy(dtype=float), paired["b"].to_numpy(dtype=float)
            diverged = [n for n in (_diverged_note(sub, self.a, _arm_label(self.a)),
                                    _diverged_note(sub, self.b, _arm_label(self.b))) if n]
            notes = [f"{_arm_label(self.a)}: mean {np.nanmean(a) if np.isfinite(a).any() else math.nan:.4g}",
                     f"{_arm_label(self.b)}: mean {np.nanmean(b) if np.isfinite(b).any() else math.nan:.4g}",
                     *diverged]
            out.append(PendingTest(group, lambda level, a=a, b=b: stats.paired_difference(
                a, b, level=level, direction=want, margin=self.margin, bounds=diff_bounds),
                "; ".join(notes), lambda r, diverged=diverged: self.words(r, diverged)))
        return out

    def words(self, r: stats.StatResult, notes: Sequence[str] = ()) -> str:
        """What the paired difference shows: the arm that wins and by how much, or that it is unclear.

        "Beats" where the metric's better side is known (an accuracy is better high, an error or a loss
        low); otherwise which arm's metric is higher. ``notes`` name the arms that diverged.

        Examples
        --------
        >>> r = stats.StatResult(-0.265, -0.379, -0.149, 1e-4, "paired t", 10, "refuted", 0.95, 1, "mean")
        >>> Compare("test_acc", {"activation": "snake"}, {"activation": "tanh"}).words(r)
        'activation=tanh beats activation=snake on test accuracy by +0.265 [+0.149, +0.379], paired t, 10 seeds'
        >>> Compare("test_acc", {"lr": 0.01}, {"lr": 1e6}).words(
        ...     stats.paired_difference([0.9] * 4, [float("nan")] * 4), ["lr=1e+06 diverged in 4 of 4 seeds"])
        'lr=1e+06 diverged in 4 of 4 seeds: nothing to compare'
        """
        a, b, m = _arm_label(self.a), _arm_label(self.b), metric_label(self.metric)
        if math.isnan(r.estimate):
            return _untested(notes, f"no seed has a finite {m} in both arms", "nothing to compare")
        aside = _aside(notes)
        # With a margin the claim is about a - b against a shifted null; say it, and what became of it.
        claimed = f"{a} − {b} {'<' if self.direction == 'smaller' else '>'} {r.null:g}" if self.margin else ""
        tail = {"supported": f"; the claimed {claimed} holds", "refuted": f"; the claimed {claimed} fails",
                "inconclusive": f" (claimed: {claimed})"}[r.verdict] if claimed else ""
        ordered = r.low > 0 or r.high < 0  # the interval of a - b excludes 0: one arm is ahead
        if not (ordered and r.n >= MIN_SEEDS and (r.decisive or self.margin)):  # no arm shown ahead
            return f"{a} vs {b} on {m}: {r.describe()}{aside}{tail}"
        if _better_known(self.metric):
            a_wins = (r.estimate > 0) == higher_is_better(self.metric)
            winner, loser, effect = (a, b, r) if a_wins else (b, a, flip(r))
            return f"{winner} beats {loser} on {m} by {effect.describe()}{aside}{tail}"
        high, low, effect = (a, b, r) if r.estimate > 0 else (b, a, flip(r))
        return f"{m} is higher for {high} than for {low} by {effect.describe()}{aside}{tail}"

    def describe(self) -> str:
        lead = f" by more than {self.margin:g}" if self.margin else ""
        if self.direction == "different":
            return self.text or f"{_arm_label(self.a)} and {_arm_label(self.b)} differ in {self.metric}{lead}"
        word = "higher" if self.direction == "greater" else "lower"
        return self.text or f"{_arm_label(self.a)} has {word} {self.metric} than {_arm_label(self.b)}{lead}"


@dataclass
class Equivalent(Claim):
    """Arms ``a`` and ``b`` differ in ``metric`` by less than ``margin``, paired by seed.

    Decided by :func:`atomlab.stats.equivalence` (two one-sided tests).
    """

    metric: str
    a: dict[str, Any]
    b: dict[str, Any]
    margin: float = 0.02

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        out = []
        for group, sub in groups(self.table(final), self.by):
            a = per_seed(sub, self.metric, self.a).rename("a")
            b = per_seed(sub, self.metric, self.b).rename("b")
            paired = pd.concat([a, b], axis=1)
            detail = (f"margin ±{self.margin:g}; {_arm_label(self.a)}: mean {paired['a'].mean():.4g}, "
                      f"{_arm_label(self.b)}: mean {paired['b'].mean():.4g}")
            va, vb = paired["a"].to_numpy(dtype=float), paired["b"].to_numpy(dtype=float)
            diverged = [n for n in (_diverged_note(sub, self.a, _arm_label(self.a)),
                                    _diverged_note(sub, self.b, _arm_label(self.b))) if n]
            out.append(PendingTest(group, lambda level, a=va, b=vb: stats.equivalence(
                a, b, margin=self.margin, level=level), "; ".join([detail, *diverged]),
                lambda r, diverged=diverged: self.words(r, diverged)))
        return out

    def words(self, r: stats.StatResult, notes: Sequence[str] = ()) -> str:
        """What the equivalence test shows: within the margin, further apart than it, or unclear."""
        a, b, m = _arm_label(self.a), _arm_label(self.b), metric_label(self.metric)
        if math.isnan(r.estimate):
            return _untested(notes, f"no seed has a finite {m} in both arms", "nothing to compare")
        head = {"supported": f"{a} and {b} are within ±{self.margin:g} on {m}",
                "refuted": f"{a} and {b} differ by more than {self.margin:g} on {m}",
                "inconclusive": f"{a} vs {b} on {m}, margin ±{self.margin:g}"}[r.verdict]
        return f"{head}: difference {r.describe()}{_aside(notes)}"

    def describe(self) -> str:
        return self.text or (f"{_arm_label(self.a)} and {_arm_label(self.b)} are within {self.margin:g} in "
                             f"{self.metric}")


@dataclass
class AllEquivalent(Claim):
    """Every pair of the ``levels`` of ``factor`` differs in ``metric`` by less than ``margin``, paired by seed.

    "The arms end within ``margin`` of each other" (their range is below it): one equivalence test per
    pair, each decided by :func:`atomlab.stats.equivalence`.
    """

    metric: str
    factor: str
    levels: Sequence[Any]
    margin: float = 0.02

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        out = []
        levels = list(self.levels)
        for group, sub in groups(self.table(final), self.by):
            for i, first in enumerate(levels):
                for second in levels[i + 1:]:
                    pair = Equivalent(self.metric, {self.factor: first}, {self.factor: second}, self.margin)
                    for test in pair.pending(sub):
                        label = f"{self.factor}={_fmt(first)} vs {_fmt(second)}"
                        test.group = f"{group}; {label}" if group else label
                        out.append(test)
        return out

    def describe(self) -> str:
        return self.text or (f"every {self.factor} ends within {self.margin:g} of the others in {self.metric}")


@dataclass
class Reaches(Claim):
    """The mean of ``metric`` over seeds is at least (or at most) ``target``.

    For "each arm reaches the source's accuracy" or "above chance". Decided by
    :func:`atomlab.stats.one_sample` against ``target``; ``method="binomial"`` for a yes/no metric (1 when
    a seed solved the task), whose mean is the share of seeds that did.
    """

    metric: str
    target: float
    direction: str = "at_least"
    bounds: tuple[float, float] | None = None
    method: str = "auto"

    def __post_init__(self) -> None:
        _check_choice("direction", self.direction, ("at_least", "at_most"))
        _check_choice("method", self.method, ("auto", "t", "exact", "binomial"))

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        want = 1 if self.direction == "at_least" else -1
        out = []
        for group, sub in groups(self.table(final), self.by):
            v = per_seed(sub, self.metric).to_numpy(dtype=float)
            arm = _arm_label(self.where) if self.where else "the arm"
            diverged = [n for n in [_diverged_note(sub, None, arm)] if n]
            detail = f"target {self.target:.4g}; " + (diverged[0] if diverged else
                                                     f"{np.isfinite(v).sum()} finite seeds")
            out.append(PendingTest(group, lambda level, v=v: stats.one_sample(
                v, null=self.target, level=level, direction=want, bounds=_bounds(self.metric, self.bounds),
                method=self.method), detail,
                lambda r, diverged=diverged: self.words(r, diverged)))
        return out

    def words(self, r: stats.StatResult, notes: Sequence[str] = ()) -> str:
        """What the test against the target shows: the mean above it, below it, or unclear."""
        m = metric_label(self.metric)
        if math.isnan(r.estimate):
            return _untested(notes, f"no finite {m}", "nothing to test")
        if r.decisive:
            head = f"mean {m} is {'above' if _side(r) > 0 else 'below'} {self.target:.4g}"
        else:
            head = f"mean {m} against {self.target:.4g}"
        return f"{head}: {r.describe()}{_aside(notes)}"

    def describe(self) -> str:
        word = "at least" if self.direction == "at_least" else "at most"
        return self.text or f"mean {self.metric} is {word} {self.target:g}"


@dataclass
class PerSeed(Claim):
    """A per-seed quantity computed from the table is above (or below) ``null``.

    ``values(table) -> Series`` gives one number per seed (indexed by seed; NaN for a seed whose trials
    diverged), e.g. ``min(networks) - max(baselines)`` at one data set size. ``statistic`` names it in
    words. Decided by :func:`atomlab.stats.one_sample`. With ``by``, ``values`` is applied per group.
    """

    values: Callable[[pd.DataFrame], pd.Series]
    statistic: str
    direction: int = 1
    null: float = 0.0
    bounds: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        _check_choice("direction", self.direction, (1, -1))

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        out = []
        for group, sub in groups(self.table(final), self.by):
            v = np.asarray(self.values(sub), dtype=float)
            out.append(PendingTest(group, lambda level, v=v: replace(stats.one_sample(
                v, null=self.null, level=level, direction=self.direction, bounds=self.bounds),
                statistic=self.statistic), words=lambda r, v=v: self.words(r, len(v))))
        return out

    def words(self, r: stats.StatResult, seeds: int = 0) -> str:
        """What the test shows: the per-seed quantity above ``null``, below it, or unclear."""
        if math.isnan(r.estimate):
            return f"no finite {self.statistic} in {counted(seeds)}: nothing to test"
        if r.decisive:
            head = f"{self.statistic} is {'above' if _side(r) > 0 else 'below'} {self.null:g}"
        else:
            head = f"{self.statistic} against {self.null:g}"
        return f"{head}: {r.describe()}"

    def describe(self) -> str:
        return self.text or f"{self.statistic} is {'above' if self.direction > 0 else 'below'} {self.null:g}"


@dataclass
class Check(Claim):
    """An exact statement about every trial: ``metric`` is at most / at least / equal to ``bound``.

    For consequences of arithmetic that hold with certainty or not at all (a ReLU network from zeros
    never moves; a convolution's output size). Supported when every trial satisfies it; refuted when one
    is past ``refute`` (default: the bound itself; a diverged trial counts as past it); inconclusive in
    between. Fewer than :data:`MIN_SEEDS` seeds give no verdict unless ``deterministic`` (nothing random:
    one run is the answer). Decided by :func:`atomlab.stats.exact_check`; not part of the
    multiple-comparison correction.
    """

    metric: str
    bound: float = 0.0
    direction: str = "at_most"
    refute: float | None = None
    tolerance: float = 0.0
    deterministic: bool = False
    is_check = True

    def __post_init__(self) -> None:
        _check_choice("direction", self.direction, ("at_most", "at_least", "equal"))

    def pending(self, final: pd.DataFrame) -> list[PendingTest]:
        out = []
        for group, sub in groups(self.table(final), self.by):
            v = sub[self.metric].to_numpy(dtype=float)
            seeds = int(sub["seed"].nunique()) if "seed" in sub else len(v)
            out.append(PendingTest(group, lambda level, v=v, seeds=seeds: replace(stats.exact_check(
                v, bound=self.bound, direction=self.direction, refute=self.refute, tolerance=self.tolerance,
                n_seeds=None if self.deterministic else seeds), statistic=f"{self.metric} over trials"),
                words=lambda r, v=v: self.words(r, int(np.sum(~np.isfinite(v))), len(v))))
        return out

    def words(self, r: stats.StatResult, diverged: int = 0, trials: int = 0) -> str:
        """What the check found: every trial within the bound, the worst one past it, or not settled."""
        m = metric_label(self.metric)
        bound = {"at_most": f"at most {self.bound:g}", "at_least": f"at least {self.bound:g}",
                 "equal": f"{self.bound:g}" + (f" within {self.tolerance:g}" if self.tolerance else "")}[self.direction]
        worst = f"worst {r.estimate:.4g}" if not math.isnan(r.estimate) else "no finite value"
        broke = f"; {diverged} of {counted(trials, 'trial')} diverged" if diverged else ""
        few = (f"; fewer than {MIN_SEEDS} seeds decide nothing"
               if r.verdict == "inconclusive" and not self.deterministic and r.n < MIN_SEEDS else "")
        head = {"supported": f"{m} is {bound} in every trial",
                "refuted": f"{m} is not {bound} in every trial",
                "inconclusive": f"{m} against {bound}"}[r.verdict]
        return f"{head} ({worst}{broke}; {r.method}, {counted(r.n)}{few})"

    def describe(self) -> str:
        word = {"at_most": "<=", "at_least": ">=", "equal": "=="}[self.direction]
        return self.text or f"{self.metric} {word} {self.bound:g} in every trial"


def _better_known(metric: str) -> bool:
    """Whether the better side of ``metric`` is known (accuracies, errors, losses), so that one arm *beats* another."""
    return metric_bounds(metric) is not None or metric.endswith("error")


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        from atomlab.errors import unknown_choice

        raise unknown_choice(name, value, allowed)


def _ordered_levels(col: pd.Series) -> list[Any]:
    seen: dict[Any, Any] = {}
    for v in col:
        seen.setdefault(_key(v), v)
    return list(seen.values())


# ----- checking all claims of an experiment --------------------------------------------------------------------
def check_claims(claims: Sequence[Claim], final: pd.DataFrame, *, alpha: float = 0.05
                 ) -> tuple[str, list[ClaimResult]]:
    """Check every claim, with Holm's correction over all their statistical tests.

    ``alpha`` is the experiment's error rate (lower at an interim look of a sequential run). Returns the
    overall verdict (combined like a claim's tests; checks included) and each claim's result.

    Examples
    --------
    >>> final = pd.DataFrame({"seed": [0, 1, 2] * 3, "depth": [1] * 3 + [2] * 3 + [3] * 3,
    ...                       "loss": [.9, .8, .95, .5, .55, .6, .2, .3, .25]})
    >>> verdict, (res,) = check_claims([Trend("loss", "depth", "decreasing")], final)
    >>> verdict, res.tests[0].n_seeds
    ('supported', 3)
    """
    pending = [(c, c.pending(final)) for c in claims]
    statistical = [(i, j) for i, (c, tests) in enumerate(pending) if not c.is_check for j in range(len(tests))]
    # Holm: each test is run again at the level of its step (stats.holm_levels), so that its verdict and its
    # interval are Holm's decision; checks (exact arithmetic) take no share of the error rate.
    m = len(statistical)
    first = [pending[i][1][j].make(1 - alpha) for i, j in statistical]
    raw = [r.p_value for r in first]
    levels = dict(zip(statistical, stats.holm_levels(raw, alpha=alpha))) if m else {}
    adjusted = dict(zip(statistical, stats.holm(raw, alpha=alpha))) if m else {}
    results = []
    for i, (claim, tests) in enumerate(pending):
        done = []
        for j, test in enumerate(tests):
            if claim.is_check:
                res, note = test.make(1 - alpha), ""
            else:
                res = test.make(float(levels[(i, j)])) if m > 1 else first[0]
                note = f"Holm-adjusted over {m} tests (p = {adjusted[(i, j)]:.2g})" if m > 1 else ""
            done.append(ClaimTest(test.group, res, test.detail, note, test.words(res) if test.words else ""))
        results.append(ClaimResult(claim.describe(), combine([t.verdict for t in done]), done, claim.is_check))
    return combine([r.verdict for r in results]), results
