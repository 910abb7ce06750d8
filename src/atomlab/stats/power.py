"""How many seeds a test would need: the power of the test actually used, at the level actually used.

Power comes from statsmodels (noncentral t for the t tests, a normal approximation with separate null
and alternative spreads for the trend test). The exact tests add a floor of their own: an exact
sign-flip test on n values cannot give a p-value below ``2 / 2**n`` however large the effect, so at
least ``log2(2 / alpha)`` values are needed before it can be decisive at all (6 at 5 %, 9 at 0.5 %).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from statsmodels.stats.power import TTestIndPower, TTestPower, normal_power_het

from atomlab.errors import ConfigError
from atomlab.stats import _checks
from atomlab.stats.result import MIN_SEEDS

TESTS = ("t", "sign-flip", "welch", "permutation", "trend")
#: The search gives up above this many seeds (and returns it).
MAX_SEEDS = 100_000


def seeds_needed(effect: float, sd: float, *, level: float = 0.95, power: float = 0.8, test: str = "t",
                 levels: int | None = None, null_sd: float | None = None, ratio: float = 1.0) -> int | None:
    """Seeds that give ``test`` the wanted ``power`` for a true effect ``effect`` at ``level``.

    Parameters
    ----------
    effect : float
        The effect to detect, in the metric's units (a mean difference, a mean Spearman rho).
    sd : float
        Its per-seed standard deviation (for ``"welch"`` and ``"permutation"``: the pooled one,
        ``sqrt((sd_a**2 + sd_b**2) / 2)``).
    level : float
        The confidence level the test will run at, after any correction (Holm, alpha spending).
    power : float
        Wanted probability of a decisive verdict when the effect is real.
    test : {"t", "sign-flip", "welch", "permutation", "trend"}
        The test that will decide: the paired / one-sample t test, the exact sign-flip test (t power,
        and at least the seeds it needs to reach ``1 - level`` at all), Welch's t test, the exact
        two-sample permutation test (per arm), or the within-seed permutation trend test.
    levels : int, optional
        For ``"trend"``: levels per seed (sets the smallest p-value n seeds can give).
    null_sd : float, optional
        For ``"trend"``: per-seed standard deviation of rho when there is no trend (``1 / sqrt(levels - 1)``
        without ties).
    ratio : float
        For ``"welch"`` / ``"permutation"``: seeds of b per seed of a.

    Returns
    -------
    int or None
        Seeds (per arm for the unpaired tests), at least :data:`MIN_SEEDS`; None when ``effect`` is 0 or
        not finite (no effect to detect), or when ``sd`` is unknown (NaN).

    Examples
    --------
    >>> seeds_needed(1.0, 1.0)                    # Cohen's d_z = 1, paired t at 95 %
    10
    >>> seeds_needed(1.0, 1.0, level=1 - 0.05 / 6)  # the same at a Holm / Bonferroni step of 6 tests
    16
    >>> seeds_needed(0.02, 0.0, test="sign-flip")  # no spread: the exact test's floor
    6
    >>> seeds_needed(0.8, 0.2, test="trend", levels=4, null_sd=3 ** -0.5)
    3
    """
    level = _checks.level_(level)
    power = _checks.rate_(power, "power")
    if test not in TESTS:
        raise ConfigError(f"test must be one of {', '.join(TESTS)}, got {test!r}")
    if not (math.isfinite(effect) and effect != 0) or math.isnan(sd):
        return None
    alpha = 1.0 - level
    effect, sd = abs(float(effect)), abs(float(sd))
    if test == "trend":
        if levels is None or levels < 2:
            raise ConfigError(f"test='trend' needs levels >= 2, got {levels!r}")
        spread0 = float(null_sd) if null_sd is not None else (levels - 1) ** -0.5
        floor = _smallest(lambda n: 2.0 * math.factorial(levels) ** -n.astype(float) < alpha)
        spread1 = sd if sd > 0 else 1e-12
        guess = ((-special.ndtri(alpha / 2) * spread0 + special.ndtri(power) * spread1) / effect) ** 2
        n = _smallest(lambda n: normal_power_het(effect, n, alpha, std_null=spread0,
                                                 std_alternative=spread1) >= power, guess)
        return max(floor, n, MIN_SEEDS)
    if test in ("welch", "permutation"):
        floor = 2 if test == "welch" else _smallest(
            lambda n: 2.0 / np.array([math.comb(int(k + round(k * ratio)), int(k)) for k in n], dtype=float) < alpha)
        n = floor if sd == 0 else _smallest(
            lambda n: TTestIndPower().power(effect_size=effect / sd, nobs1=n, alpha=alpha, ratio=ratio) >= power,
            _normal_guess(effect / sd, alpha, power, ratio))
        return max(floor, n, MIN_SEEDS)
    floor = 2 if test == "t" else _smallest(lambda n: 2.0 ** (1 - n.astype(float)) < alpha)
    n = floor if sd == 0 else _smallest(
        lambda n: TTestPower().power(effect_size=effect / sd, nobs=n, alpha=alpha) >= power,
        _normal_guess(effect / sd, alpha, power))
    return max(floor, n, MIN_SEEDS)


def _smallest(ok, guess: float = 2.0) -> int:
    """Smallest n >= 2 with ``ok(n)`` (``ok`` is vectorised over n and monotone in it), or MAX_SEEDS.

    Starts from ``guess`` (a normal-approximation sample size) and checks a window of n around it, so a
    call costs one or two power evaluations instead of a search from 2.
    """
    lo, width = max(2, int(min(guess, MAX_SEEDS)) - 4), 16
    while True:
        grid = np.arange(lo, min(lo + width, MAX_SEEDS + 1))
        hits = np.nonzero(np.asarray(ok(grid), dtype=bool))[0]
        if hits.size and hits[0] == 0 and lo > 2:  # the window starts too late: move it down
            lo, width = max(2, lo - width), width * 2
        elif hits.size:
            return int(grid[hits[0]])
        elif grid[-1] >= MAX_SEEDS:
            return MAX_SEEDS
        else:
            lo, width = int(grid[-1]) + 1, width * 2


def _normal_guess(effect_size: float, alpha: float, power: float, ratio: float | None = None) -> float:
    """Normal-approximation n for a t test (Guenther's +z^2/2 correction); for two arms, per arm."""
    z_a, z_b = -special.ndtri(alpha / 2), special.ndtri(power)
    if ratio is None:
        return ((z_a + z_b) / effect_size) ** 2 + z_a**2 / 2
    return (1 + 1 / ratio) * ((z_a + z_b) / effect_size) ** 2 + z_a**2 / 4
