"""Statistics over seeds: means, bootstrap confidence intervals, effect sizes, trend statistics.

Every function is deterministic: bootstrap resamples come from a fixed seed, so the same table
always gives the same interval. See docs/statistics.md for how they become verdicts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

N_BOOT = 4000


def bootstrap_ci(values: np.ndarray, *, level: float = 0.95, statistic=np.mean, n_boot: int = N_BOOT,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over the first axis of ``values``.

    ``values`` may be 2-D (seeds x levels): whole rows are resampled, which keeps the pairing of
    levels within a seed (a cluster bootstrap).

    Examples
    --------
    >>> lo, hi = bootstrap_ci(np.array([1.0, 2.0, 3.0, 4.0]))
    >>> bool(lo < 2.5 < hi)
    True
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return (math.nan, math.nan)
    if n == 1:
        v = float(statistic(values))
        return (v, v)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boots = np.array([statistic(values[i]) for i in idx]) if values.ndim > 1 or statistic is not np.mean \
        else values[idx].mean(axis=1)
    alpha = 1 - level
    lo, hi = np.nanquantile(boots, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


SMALL_SAMPLE = 10


def mean_ci(values: np.ndarray, *, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Interval for the mean of per-seed values: Student's t below 10 seeds, bootstrap from 10.

    The percentile bootstrap is too narrow with a handful of seeds (with two seeds of the same sign
    it would already exclude zero), so small samples use the t interval, which is honest about how
    little a few seeds say. Identical values give a zero-width interval.

    Examples
    --------
    >>> lo, hi = mean_ci(np.array([0.1, 0.2]))
    >>> bool(lo < 0 < hi)
    True
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return (math.nan, math.nan)
    if n == 1 or np.ptp(v) == 0:
        return (float(v.mean()), float(v.mean()))
    if n < SMALL_SAMPLE:
        half = sps.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n)
        return (float(v.mean() - half), float(v.mean() + half))
    return bootstrap_ci(v, level=level, seed=seed)


def summarize(values: np.ndarray, *, level: float = 0.95) -> dict[str, float]:
    """Mean, standard deviation, bootstrap interval and count of the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo, hi = mean_ci(v, level=level) if len(v) else (math.nan, math.nan)
    return {"mean": float(v.mean()) if len(v) else math.nan,
            "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "ci_low": lo, "ci_high": hi, "n": int(len(v))}


def effect_size(diffs: np.ndarray) -> float:
    """Cohen's d_z of paired differences: mean / standard deviation (inf when they never vary)."""
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2:
        return math.nan
    sd = d.std(ddof=1)
    if sd == 0:
        return math.copysign(math.inf, d.mean()) if d.mean() != 0 else 0.0
    return float(d.mean() / sd)


def seeds_needed(mean: float, sd: float, *, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Seeds a paired test would likely need to detect ``mean`` given spread ``sd``.

    The normal approximation ``n = ((z_{1-alpha/2} + z_power) * sd / |mean|)^2``; None when the
    observed effect is zero.

    Examples
    --------
    >>> seeds_needed(1.0, 2.0)
    32
    >>> seeds_needed(1.0, 0.1)  # never fewer than the 3 seeds a decisive verdict needs
    3
    """
    if not math.isfinite(mean) or mean == 0 or not math.isfinite(sd):
        return None
    z = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)
    return max(3, math.ceil((z * sd / abs(mean)) ** 2))


def spearman_per_seed(matrix: np.ndarray) -> np.ndarray:
    """Spearman correlation between level order and value, one per row (seed).

    ``matrix`` is seeds x levels; a row with no variation gives 0 (no trend); a row with fewer than
    two finite values (diverged trials) gives NaN, and the caller drops that seed.
    """
    out = []
    order = np.arange(matrix.shape[1])
    for row in np.asarray(matrix, dtype=float):
        ok = np.isfinite(row)
        if ok.sum() < 2:
            out.append(math.nan)
            continue
        if np.ptp(row[ok]) == 0:
            out.append(0.0)
            continue
        rho = sps.spearmanr(order[ok], row[ok]).statistic
        out.append(float(rho) if np.isfinite(rho) else 0.0)
    return np.asarray(out)


@dataclass
class Interval:
    """An estimate with its confidence interval."""

    estimate: float
    low: float
    high: float
    level: float

    def excludes_zero(self) -> int:
        """+1 if the interval is above zero, -1 if below, 0 if it contains zero."""
        if self.low > 0:
            return 1
        if self.high < 0:
            return -1
        return 0
