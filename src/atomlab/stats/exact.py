"""Checks: statements about every trial that hold by exact arithmetic, decided without sampling error.

Some claims are not about an average over seeds but about each trial: a ReLU network from all-zero
weights never moves a weight; a convolution's output is 28 pixels wide; two units that start equal stay
copies. No interval or p-value is needed: one failing trial refutes the statement, and the verdict is
supported when every trial satisfies it. :func:`exact_check` returns the same :class:`StatResult` as the
tests, so reports show checks and tests side by side (and count them apart).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from atomlab.errors import ConfigError
from atomlab.stats.result import MIN_SEEDS, StatResult

DIRECTIONS = ("at_most", "at_least", "equal")


def exact_check(values: Sequence[float], *, bound: float, direction: str = "at_most", refute: float | None = None,
                tolerance: float = 0.0, n_seeds: int | None = None) -> StatResult:
    """Whether every value is at most / at least / equal to ``bound``.

    Parameters
    ----------
    values : sequence of float
        One number per trial; a non-finite value (a diverged trial) fails the check.
    bound : float
        The limit every value must respect (within ``tolerance`` for ``"equal"``).
    direction : {"at_most", "at_least", "equal"}
        Which side of ``bound`` the values must lie on.
    refute : float, optional
        A value past which a trial *refutes* the statement (default: ``bound`` itself). Values between
        ``bound`` and ``refute`` leave the check inconclusive: "copies if the spread is <= 1e-3, broken
        only if > 1e-2".
    tolerance : float
        For ``"equal"``: how far from ``bound`` a value may be.
    n_seeds : int, optional
        Seeds behind the values: fewer than :data:`MIN_SEEDS` give no verdict (as for every test). None
        for a deterministic check, where one run is the answer.

    Returns
    -------
    StatResult
        ``estimate`` is the worst value (the largest for ``at_most``, the smallest for ``at_least``, the
        farthest for ``equal``); ``low, high`` the range of the values; ``p_value`` 0 when supported or
        refuted and 1 otherwise (no sampling error is involved); ``method`` "exact check".

    Examples
    --------
    >>> exact_check([0.0, 0.0, 0.0], bound=0.0).verdict
    'supported'
    >>> exact_check([0.0, 0.2, 0.0], bound=0.0).verdict
    'refuted'
    >>> exact_check([0.0, 0.005, 0.0], bound=1e-3, refute=1e-2).verdict
    'inconclusive'
    >>> exact_check([608.0], bound=608, direction="equal").describe()
    '+608 [+608, +608], exact check, 1 seed'
    """
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    v = np.asarray(values, dtype=float).ravel()
    if not math.isfinite(bound) or (refute is not None and not math.isfinite(refute)):
        raise ConfigError(f"bound and refute must be finite numbers, got {bound!r} and {refute!r}")
    refute = bound if refute is None else refute
    finite = v[np.isfinite(v)]
    n = int(len(v) if n_seeds is None else n_seeds)
    if direction == "at_most":
        ok = finite <= bound
        bad = (finite > refute).any() or len(finite) < len(v)
        worst = float(finite.max()) if len(finite) else math.nan
    elif direction == "at_least":
        ok = finite >= bound
        bad = (finite < refute).any() or len(finite) < len(v)
        worst = float(finite.min()) if len(finite) else math.nan
    else:
        dist = np.abs(finite - bound)
        ok = dist <= tolerance
        bad = (dist > max(tolerance, abs(refute - bound))).any() or len(finite) < len(v)
        worst = float(finite[np.argmax(dist)]) if len(finite) else math.nan
    if not len(v) or (n_seeds is not None and n_seeds < MIN_SEEDS):
        verdict = "inconclusive"
    elif bad:
        verdict = "refuted"
    elif ok.all():
        verdict = "supported"
    else:
        verdict = "inconclusive"
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (math.nan, math.nan)
    word = {"at_most": "<=", "at_least": ">=", "equal": "=="}[direction]
    return StatResult(worst, low, high, 0.0 if verdict != "inconclusive" else 1.0, "exact check", n, verdict,
                      1.0, None, f"worst value ({word} {bound:g} required)", sizes=(len(v),))
