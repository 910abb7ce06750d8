"""Seeds in rounds ("seeds auto"): how much error rate each look at the data may spend.

A runner that adds seeds until every claim is decisive looks at the data several times; testing at
the full ``alpha`` at every look would make a false verdict more likely the longer it runs (about 12 %
instead of 5 % over five looks, measured in the calibration). Here each look ``i`` of at most ``looks``
gets its own share ``alpha_i`` of the family's ``alpha``, with ``sum(alpha_i) = alpha``; the tests run at
``level = 1 - alpha_i`` (with Holm over the claims inside a look). By the union bound the chance of
any false verdict at any look is at most ``sum(alpha_i) = alpha``, whatever the dependence between
looks and whatever test decides (t, exact permutation, trend): no normal approximation of the
sequence of statistics is needed, which the exact tests would not satisfy. The price is some
conservatism against exact group-sequential boundaries (which assume that joint normality).

The shares follow Lan-DeMets spending functions of the information fraction ``t`` (by default
``look / looks``; or the seeds at each look over the seeds at the last): O'Brien-Fleming-like
``2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))`` keeps almost everything for the last look; Pocock-like
``alpha ln(1 + (e - 1) t)`` spends more evenly (stops earlier on large effects, decides less at the
end); ``uniform`` is ``alpha t`` (Bonferroni over the looks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps

from atomlab.errors import ConfigError, unknown_choice
from atomlab.stats import _checks

KINDS = ("obrien-fleming", "pocock", "uniform")


def alpha_spending(look: int, looks: int, *, alpha: float = 0.05, kind: str = "obrien-fleming",
                   information: Sequence[float] | None = None) -> float:
    """The error rate to spend at look ``look`` (1-based) of at most ``looks``.

    Parameters
    ----------
    look, looks : int
        This look and the most the run may take (fixed before the first look: the seed budget).
    alpha : float
        The family's error rate over the whole run.
    kind : {"obrien-fleming", "pocock", "uniform"}
        The spending function (see the module notes).
    information : sequence of float, optional
        Increasing sizes of the looks (e.g. seeds at each look, ``looks`` entries); the default is
        equally spaced looks.

    Returns
    -------
    float
        ``f(t_look) - f(t_{look-1})``; summed over all looks it is ``alpha``.

    Examples
    --------
    >>> [round(alpha_spending(i, 4), 5) for i in range(1, 5)]
    [9e-05, 0.00549, 0.01805, 0.02637]
    >>> round(sum(alpha_spending(i, 4, kind="pocock") for i in range(1, 5)), 12)
    0.05
    >>> alpha_spending(2, 3, kind="uniform", information=[5, 10, 20])
    0.0125
    """
    if kind not in KINDS:
        raise unknown_choice("alpha-spending kind", kind, KINDS)
    if isinstance(looks, bool) or not isinstance(looks, int | np.integer) or looks < 1:
        raise ConfigError(f"looks must be a whole number >= 1, got {looks!r}")
    if isinstance(look, bool) or not isinstance(look, int | np.integer) or not 1 <= look <= looks:
        raise ConfigError(f"look must be a whole number in 1..{looks}, got {look!r}")
    alpha = _checks.rate_(alpha, "alpha")
    if information is None:
        t = np.arange(looks + 1) / looks
    else:
        info = _checks.vector(information, "information")
        if len(info) != looks or not np.all(np.isfinite(info)) or info[0] <= 0 or np.any(np.diff(info) <= 0):
            raise ConfigError(f"information must hold {looks} increasing positive sizes (one per look), "
                              f"got {list(information)}")
        t = np.concatenate([[0.0], info / info[-1]])
    return float(_spent(t[look], alpha, kind) - _spent(t[look - 1], alpha, kind))


def sequential_level(look: int, looks: int, *, alpha: float = 0.05, kind: str = "obrien-fleming",
                     information: Sequence[float] | None = None) -> float:
    """The confidence level to run the tests at, at look ``look``: ``1 - alpha_spending(...)``.

    Examples
    --------
    >>> round(sequential_level(4, 4), 5)
    0.97363
    """
    return 1.0 - alpha_spending(look, looks, alpha=alpha, kind=kind, information=information)


def _spent(t: float, alpha: float, kind: str) -> float:
    """Cumulative error rate spent by information fraction ``t`` (0 at t = 0, alpha at t = 1)."""
    if t <= 0:
        return 0.0
    if kind == "obrien-fleming":
        return float(2.0 * sps.norm.sf(sps.norm.isf(alpha / 2) / math.sqrt(t)))
    if kind == "pocock":
        return alpha * math.log1p((math.e - 1.0) * t)
    return alpha * t
