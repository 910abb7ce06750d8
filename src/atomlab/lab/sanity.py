"""Sanity checks every report shows: arms that diverged, failed, or did not learn.

A verdict on arms that never learned is a verdict on nothing: two networks stuck near chance can be
"indistinguishable" or "different" for reasons that say nothing about the question. So every report,
catalog entry or comparison, lists

* the arms that **diverged** ("lr=1e+06 diverged in 4 of 4 seeds") or whose trials **failed**;
* the arms that **did not learn**: on their own training data a classifier closed less than
  :data:`LEARNED_FRACTION` of the gap between chance (the majority class's share) and a perfect score, or
  a regressor explained less than that share of the targets' variance; or the training loss fell by less
  than :data:`LOSS_FALL` of its value at step 0;
* when every arm is in one of these lists, one line first that says so and what to try ("no arm learned:
  train longer or raise the learning rate"; "every trial diverged").

These are flags for a reader, not verdicts: the claims are still decided by :mod:`atomlab.stats`, and
the thresholds below only decide what is worth a warning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from atomlab.lab.claims import diverged_text

if TYPE_CHECKING:  # annotations only: lab.result imports this module
    from atomlab.lab.result import Result

#: An arm learned when its mean training score closed at least this share of the gap from chance to perfect
#: (half: a two-class problem at 75 % training accuracy passes; the 65 % at which both arms of the issue's
#: spirals comparison stalled does not).
LEARNED_FRACTION = 0.5
#: ... and its mean training loss fell by at least this share of its value at step 0.
LOSS_FALL = 0.1


def _label(arm: Any) -> str:
    return str(arm) if str(arm) else "the experiment"


def _baseline(result: Result, arm: str) -> tuple[str, float, float] | None:
    """``(metric, chance, perfect)`` of the training score of ``arm``: accuracy or MSE against the data."""
    from atomlab.lab.data import materialize

    trial = next((t for t in result.trials if t.arm == arm), None)
    final = result.final
    if trial is None:
        return None
    if "train_acc" in final:
        try:
            data = materialize(trial.data)
        except Exception:  # a data set that cannot be rebuilt here: no chance level, no flag
            return None
        labels = np.asarray(data.y_train).ravel()
        if labels.size == 0 or not np.issubdtype(labels.dtype, np.integer):
            return None
        return "train_acc", float(np.bincount(labels).max() / labels.size), 1.0
    if "train_mse" in final:
        try:
            data = materialize(trial.data)
        except Exception:
            return None
        y = np.asarray(data.y_train, dtype=float)
        return "train_mse", float(y.var(axis=0).mean()) if y.size else math.nan, 0.0
    return None


def _loss_ratio(table: pd.DataFrame, trials: set[str]) -> float | None:
    """Mean over the trials of (last training loss) / (training loss at step 0); None without a step 0."""
    if "train_loss" not in table or "step" not in table or not trials:
        return None
    rows = table[table["trial"].isin(trials)].sort_values("step")
    ratios = []
    for _, sub in rows.groupby("trial"):
        first, last = sub.iloc[0], sub.iloc[-1]
        if first["step"] != 0 or not (np.isfinite(first["train_loss"]) and first["train_loss"] > 0):
            return None
        ratios.append(float(last["train_loss"]) / float(first["train_loss"]))
    ratios = [r for r in ratios if np.isfinite(r)]
    return float(np.mean(ratios)) if ratios else None


def sanity_notes(result: Result) -> list[str]:
    """The sanity warnings of ``result``, most important first (empty when nothing is wrong).

    Examples
    --------
    >>> import atomlab
    >>> r = atomlab.compare("moons", vary={"lr": [0.01, 1e6]}, model={"layers": [4]},
    ...                     train={"steps": 30, "optimizer": "sgd"}, seeds=3, cache=False, device="cpu")
    >>> [n for n in sanity_notes(r) if "diverged" in n]
    ['lr=1e+06 diverged in 3 of 3 seeds']
    """
    final = result.final
    if final.empty:
        return ["no trial ran"]
    arms = list(dict.fromkeys(final["arm"]))
    notes: list[str] = []
    diverged = final["diverged"].astype(bool) if "diverged" in final else pd.Series(False, index=final.index)
    failed = final["failed"].astype(bool) if "failed" in final else pd.Series(False, index=final.index)
    bad = diverged | failed
    if bad.all():
        what = "diverged" if diverged.all() else "diverged or failed"
        advice = "lower the learning rate" if diverged.all() else "see the failed trials in the provenance"
        notes.append(f"every trial {what} ({int(bad.sum())} of {len(final)}): there is no finite result to compare; "
                     f"{advice}")
    for arm in arms:
        rows = final["arm"] == arm
        n = int(rows.sum())
        d = int((diverged & rows).sum())
        if d:
            steps = final.loc[diverged & rows, "diverged_step"].dropna()
            when = f" (first at step {int(steps.min())})" if len(steps) and d < n else ""
            notes.append(diverged_text(_arm_text(arm, result), d, n) + when)
        f = int((failed & rows).sum())
        if f:
            error = final.loc[failed & rows, "error"].iloc[0] if "error" in final else "no result"
            notes.append(f"{_arm_text(arm, result)}: {f} of {n} trials failed ({error})")
    if bad.all():
        return notes
    stalled = []
    for arm in arms:
        rows = (final["arm"] == arm) & ~bad
        if not rows.any():
            continue
        problems = []
        base = _baseline(result, arm)
        if base is not None:
            metric, chance, perfect = base
            score = float(final.loc[rows, metric].mean())
            if np.isfinite(score) and np.isfinite(chance) and chance != perfect:
                closed = (score - chance) / (perfect - chance)
                if closed < LEARNED_FRACTION:
                    if metric == "train_acc":
                        problems.append(f"training accuracy {score:.2f} is close to chance ({chance:.2f})")
                    else:
                        problems.append(f"training MSE {score:.3g} is close to the targets' variance ({chance:.3g})")
        ratio = _loss_ratio(result.table, set(final.loc[rows, "trial"]))
        if ratio is not None and ratio > 1 - LOSS_FALL:
            change = f"fell only {100 * (1 - ratio):.0f}%" if ratio <= 1 else f"rose {100 * (ratio - 1):.0f}%"
            problems.append(f"its training loss {change}")
        if problems:
            stalled.append(arm)
            notes.append(f"{_arm_text(arm, result)} did not learn: " + " and ".join(problems))
    learned_any = any(arm not in stalled and ((final["arm"] == arm) & ~bad).any() for arm in arms)
    if stalled and not learned_any:
        notes.insert(0, "no arm learned: train longer or raise the learning rate")
    return notes


def _arm_text(arm: str, result: Result) -> str:
    """``lr=1e+06``: the arm's label with numbers short (from the trial's levels)."""
    from atomlab.lab.hypothesis import level_text

    trial = next((t for t in result.trials if t.arm == arm), None)
    if trial is None or not trial.levels:
        return _label(arm)
    return ", ".join(f"{k}={level_text(v)}" for k, v in trial.levels.items())
