"""Derived per-trial quantities that several experiments share, in the shape of ``Experiment.derive``.

An experiment's ``derive(trial, outcome, config) -> {column: value}`` runs once per finished trial, before
the claims, the figures and ``final.csv``. The functions here can be passed as they are, or combined with
:func:`combine_derived`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Derive = Callable[[Any, Any, dict[str, Any]], dict[str, Any]]


def generalisation_gap(trial: Any, outcome: Any, cfg: dict[str, Any]) -> dict[str, float]:
    """``gap``: final training accuracy minus final test accuracy (positive when the network overfits).

    Examples
    --------
    >>> from atomlab.engine.outcome import Outcome
    >>> round(generalisation_gap(None, Outcome(rows=[{"train_acc": 0.98, "test_acc": 0.91}]), {})["gap"], 2)
    0.07
    """
    last = outcome.final
    return {"gap": float(last["train_acc"]) - float(last["test_acc"])}


def combine_derived(*functions: Derive) -> Derive:
    """One derive hook that merges the columns of several (later ones win on a clash).

    Examples
    --------
    >>> both = combine_derived(lambda t, o, c: {"a": 1}, lambda t, o, c: {"b": 2})
    >>> both(None, None, {})
    {'a': 1, 'b': 2}
    """
    def derive(trial: Any, outcome: Any, cfg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for fn in functions:
            out.update(fn(trial, outcome, cfg))
        return out

    return derive
