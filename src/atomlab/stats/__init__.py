"""Calibrated tests on per-seed numbers: the one place where atomlab decides a verdict.

Every function takes one number per seed (or a seeds x levels table for :func:`trend`), returns a
:class:`StatResult` with an estimate, its interval, a two-sided p-value, the method and a verdict, and
works on a user's own numbers as well as on atomlab's runs. The methods were chosen by simulation, and
their error rates are published: docs/statistics.md, "Calibration" (``benchmarks/calibration.py``).

Shared rules: ``direction`` is +1 (a > b / increasing / above the null), -1, or None (any non-zero
effect; never refuted). The verdict is *supported* when ``p_value < 1 - level`` and the data lie on the
claimed side, *refuted* when they lie on the other side, *inconclusive* otherwise, and always
inconclusive with fewer than :data:`MIN_SEEDS` finite values. Non-finite values (diverged trials) are
dropped. Bad arguments raise :class:`atomlab.errors.ConfigError`.

Examples
--------
>>> from atomlab import stats
>>> tanh = [0.97, 0.95, 0.96, 0.98, 0.97, 0.96, 0.95, 0.97, 0.98, 0.96]
>>> snake = [0.70, 0.72, 0.69, 0.74, 0.71, 0.66, 0.70, 0.73, 0.68, 0.71]
>>> r = stats.paired_difference(tanh, snake, direction=+1, bounds=(-1, 1))
>>> print(r.verdict, r.describe())
supported +0.261 [+0.244, +0.281], paired t (skew-corrected), 10 seeds
"""

from atomlab.stats.exact import exact_check
from atomlab.stats.location import difference, equivalence, mean_interval, one_sample, paired_difference
from atomlab.stats.multiple import benjamini_hochberg, holm, holm_levels
from atomlab.stats.power import seeds_needed
from atomlab.stats.result import MIN_SEEDS, VERDICTS, StatResult, counted
from atomlab.stats.sequential import alpha_spending, sequential_level
from atomlab.stats.trends import trend

__all__ = [
    "MIN_SEEDS",
    "VERDICTS",
    "StatResult",
    "alpha_spending",
    "benjamini_hochberg",
    "counted",
    "difference",
    "equivalence",
    "exact_check",
    "holm",
    "holm_levels",
    "mean_interval",
    "one_sample",
    "paired_difference",
    "seeds_needed",
    "sequential_level",
    "trend",
]
