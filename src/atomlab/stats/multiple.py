"""Multiple comparisons: Holm's step-down family-wise correction and Benjamini-Hochberg's false discovery rate.

Both return *adjusted* p-values (statsmodels' ``multipletests``), so a test is decided by comparing its
adjusted p-value with the family's alpha (or q), whatever the number of tests. Holm controls the chance
of any false verdict in the family under any dependence between the tests, like Bonferroni, and is never
less powerful. Benjamini-Hochberg controls the expected share of false verdicts among the decisive ones
(valid for independent or positively dependent tests): the atlas uses it across experiments.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from statsmodels.stats.multitest import multipletests

from atomlab.errors import ConfigError
from atomlab.stats import _checks


def holm(p_values: Sequence[float], *, alpha: float = 0.05) -> np.ndarray:
    """Holm step-down adjusted p-values: test i is decisive at family-wise rate ``alpha`` iff ``adjusted[i] < alpha``.

    With the p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted value of the j-th is
    ``max_{i <= j} min(1, (m - i + 1) p_(i))``: monotone in the p-values and at most 1.

    Parameters
    ----------
    p_values : sequence of float
        One p-value per test of the family, each in [0, 1].
    alpha : float
        The family-wise error rate the caller will compare with (checked, not used in the adjustment).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> holm([]).tolist()
    []
    """
    _checks.rate_(alpha, "alpha")
    p = _p_values(p_values)
    return multipletests(p, alpha=alpha, method="holm")[1] if p.size else p


def holm_levels(p_values: Sequence[float], *, alpha: float = 0.05) -> np.ndarray:
    """The confidence level at which to run each test so that its verdict is Holm's decision.

    Holm compares the j-th smallest p-value with ``alpha / (m - j + 1)`` while every smaller one was
    decisive; the level of that step is ``1 - alpha / (m - j + 1)``. Tests from the first non-decisive
    step on all get that step's level (none of them is decisive there either). Re-running each test at
    its level gives ``p < 1 - level`` exactly when ``holm(p)[i] < alpha``, and intervals that agree with
    those verdicts.

    Examples
    --------
    >>> holm_levels([0.01, 0.04, 0.03]).round(4).tolist()  # 0.01 < 0.05/3; 0.03 >= 0.05/2: stop there
    [0.9833, 0.975, 0.975]
    >>> holm_levels([0.001, 0.004, 0.03]).round(4).tolist()
    [0.9833, 0.975, 0.95]
    """
    alpha = _checks.rate_(alpha, "alpha")
    p = _p_values(p_values)
    m = p.size
    levels = np.empty(m)
    step_level = 1.0 - alpha / m if m else 1.0
    stopped = False
    for rank, i in enumerate(np.argsort(p, kind="stable")):
        if not stopped:
            step_level = 1.0 - alpha / (m - rank)
            stopped = not p[i] < alpha / (m - rank)
        levels[i] = step_level
    return levels


def benjamini_hochberg(p_values: Sequence[float], *, q: float = 0.05) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values: test i is a discovery at false discovery rate q iff ``adjusted[i] < q``.

    With the p-values sorted, the adjusted value of the j-th is ``min_{i >= j} min(1, m p_(i) / i)``.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    """
    _checks.rate_(q, "q")
    p = _p_values(p_values)
    return multipletests(p, alpha=q, method="fdr_bh")[1] if p.size else p


def _p_values(p_values: Sequence[float]) -> np.ndarray:
    p = _checks.vector(p_values, "p_values")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ConfigError(f"p_values must all lie in [0, 1], got {p.tolist()}")
    return p
