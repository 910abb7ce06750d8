"""What 000's experiments 7-12 (activation functions to regularisation) declare in common.

000 is "Atomic Experiments in Deep Learning" (Abid, 2018); its code lives in ``experiments.py`` of
the AtomsOfDeepLearning repository. Every one of these experiments trains a sigmoid MLP with
Glorot-uniform weights *and biases*, linear outputs, Adam (lr 0.003) and a fresh random minibatch
of 64 each step, mostly on the two-Gaussian mixture. This module holds what they share:

- the names of 000's losses, computed as 000 computes them on the network's *linear outputs*
  (``logit_mse`` ... in :mod:`atomlab.nn.losses`) or on softmax probabilities (the built-ins);
- per-trial quantities derived from weights and curves (settling time of a layer, weight
  magnitudes), attached to the final table so that ordinary claims can test them over seeds;
- small statistics and figure helpers. (Models timed alone use the ``solo`` trial kind,
  :mod:`atomlab.engine.kinds.solo`.)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from atomlab.engine.outcome import Outcome
from atomlab.lab import DataSpec, figures
from atomlab.lab.cache import TrialCache
from atomlab.lab.claims import MIN_SEEDS, Claim, ClaimResult, current_outcome
from atomlab.lab.claims import TestResult as ClaimTest  # (a name pytest does not try to collect)
from atomlab.lab.figures import band, ci_text, colors, curves, dot_ci, style  # noqa: F401 (B.band ...)
from atomlab.lab.stats import effect_size, mean_ci, seeds_needed, summarize

# The figure pieces these entries share (``B.band``, ``B.save`` ...) are atomlab.lab.figures'; 100 dpi keeps
# the pages light.
save = functools.partial(figures.save, dpi=100)

SOURCE = "000"
SECTION = "Atomic Experiments in Deep Learning (Abid, 2018), experiment {n}: {title}"


#: The loss names of 000 -> registered names, for losses on the linear outputs (000's code) or on
#: softmax probabilities (atomlab's built-ins). Cross-entropy, hinge and the constant control
#: are the same in both.
LOSS_NAMES = {
    "logits": {"mse": "logit_mse", "mae": "logit_mae", "fourth_power": "logit_fourth_power"},
    "probabilities": {"mse": "mse", "mae": "mae", "fourth_power": "fourth_power"},
}
OUTPUTS = tuple(LOSS_NAMES)


def loss_name(loss: str, outputs: str) -> str:
    """The registered loss for 000's ``loss`` compared on ``outputs`` ("logits" or "probabilities")."""
    if outputs not in LOSS_NAMES:
        from atomlab.errors import unknown_choice

        raise unknown_choice("outputs", outputs, OUTPUTS)
    return LOSS_NAMES[outputs].get(loss, loss)


# ----- data -----------------------------------------------------------------------------------
def class_sep(value: Any) -> float | str:
    """A separation setting as the generator wants it: ``"1/i"`` stays a rule, numbers become floats."""
    text = str(value).replace(" ", "").lower()
    if text in ("1/i", "1/(i)", "inverse"):
        return "1/i"
    try:
        return float(text)
    except ValueError:
        from atomlab.errors import ConfigError

        raise ConfigError(f"bad class_sep {value!r}; give a number or '1/i'") from None


def mixture(cfg: dict[str, Any], seed: int) -> DataSpec:
    """000's two-Gaussian mixture for trial ``seed`` (000 draws a new mixture for every repetition)."""
    return DataSpec("gaussian_mixture", {"n_features": int(cfg["d"]), "class_sep": class_sep(cfg["class_sep"]),
                                         "n_train": int(cfg["n_train"]), "n_test": int(cfg["n_test"])},
                    seed=seed)


# ----- derived per-trial columns --------------------------------------------------------------
def cached_outcomes(final: pd.DataFrame) -> list[Outcome | None]:
    """The outcome of every row of ``final``: the checked run's own (cache or not), else the trial cache's."""
    outcomes = [current_outcome(k) for k in final["trial"]]
    if all(o is not None for o in outcomes):
        return outcomes
    cache = TrialCache()  # claims checked outside a run (a test on a saved table)
    return [o if o is not None else cache.get(str(k)) for o, k in zip(outcomes, final["trial"])]


def add_columns(final: pd.DataFrame, derive: Callable[[Outcome], dict[str, float]],
                outcomes: Sequence[Outcome | None] | None = None, *, force: bool = False) -> pd.DataFrame:
    """Add ``derive(outcome)`` as columns of ``final`` in place (NaN for diverged or missing trials).

    Done once per ``derive`` unless ``force``; ``outcomes`` default to those in the trial cache.
    """
    probe = derive.__name__
    if final.attrs.get(f"derived:{probe}") and not force:
        return final
    outcomes = cached_outcomes(final) if outcomes is None else outcomes
    rows = []
    for o in outcomes:
        rows.append({} if o is None or o.diverged else derive(o))
    cols = sorted({k for r in rows for k in r})
    for c in cols:
        final[c] = [r.get(c, math.nan) for r in rows]
    final.attrs[f"derived:{probe}"] = True
    return final


class WithColumns(Claim):
    """A claim checked after derived columns have been added to the final table.

    Parameters
    ----------
    inner : Claim
        The claim (Trend, Compare, Custom) that reads the derived columns.
    derive : callable
        ``derive(outcome) -> {column: value}``.
    """

    def __init__(self, inner: Claim, derive: Callable[[Outcome], dict[str, float]]) -> None:
        self.inner = inner
        self.derive = derive
        self.text = inner.text

    def count_tests(self, final: pd.DataFrame) -> int:
        return self.inner.count_tests(final)

    def check(self, final: pd.DataFrame, level: float) -> ClaimResult:
        add_columns(final, self.derive)
        try:
            return self.inner.check(final, level)
        except KeyError as exc:  # no outcome could be read back: nothing to test
            test = ClaimTest("", "derived per-trial quantity", math.nan, (math.nan, math.nan), level, 0,
                              "inconclusive", detail=f"derived column missing ({exc.args[0]}): the trials' "
                                                     "outcomes were not found in the default trial cache")
            return ClaimResult(self.text, "inconclusive", [test], "not tested")


def result_columns(result, derive: Callable[[Outcome], dict[str, float]]) -> pd.DataFrame:
    """``result.final`` with the derived columns (computed from ``result.outcomes`` directly)."""
    return add_columns(result.final, derive, result.outcomes, force=True)


# ----- statistics -----------------------------------------------------------------------------
def interval_test(group: str, statistic: str, values: np.ndarray, level: float, direction: int,
                  detail: str = "") -> ClaimTest:
    """A test that the mean of per-seed ``values`` is above zero (``direction=1``) or below (-1).

    The same rules as :class:`atomlab.lab.Compare`: a t interval below 10 seeds and a seed bootstrap
    from 10, never decisive below ``MIN_SEEDS`` seeds, and values without any spread judged by a sign
    test.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo, hi = mean_ci(v, level=level)
    est = float(v.mean()) if len(v) else math.nan
    if len(v) < MIN_SEEDS or not (math.isfinite(lo) and math.isfinite(hi)):
        verdict = "inconclusive"
    elif np.ptp(v) == 0 and 0.5 ** len(v) >= (1 - level) / 2:
        verdict = "inconclusive"  # no spread: a sign test decides, as atomlab's own claims do
    elif lo > 0:
        verdict = "supported" if direction > 0 else "refuted"
    elif hi < 0:
        verdict = "supported" if direction < 0 else "refuted"
    else:
        verdict = "inconclusive"
    needed = seeds_needed(est, float(v.std(ddof=1))) if verdict == "inconclusive" and len(v) > 1 else None
    return ClaimTest(group, statistic, est, (lo, hi), level, len(v), verdict, effect_size(v), needed, detail)


def per_seed(final: pd.DataFrame, metric: str, where: dict[str, Any] | None = None) -> pd.Series:
    """Mean of ``metric`` per seed among the rows matching ``where`` (factor -> value)."""
    df = final
    for k, v in (where or {}).items():
        col = df[k].map(lambda c: tuple(c) if isinstance(c, list) else c)
        df = df[col.isin(v) if isinstance(v, list) else (col == v)]
    return df.groupby("seed")[metric].mean()


def summarize_ci(values) -> tuple[float, float]:
    """The 95% interval of the mean of the finite ``values`` (t below 10 values, else bootstrap)."""
    s = summarize(np.asarray(values, dtype=float))
    return s["ci_low"], s["ci_high"]


