"""What atomlab knows about its metrics by their names: the range each can take, and their names in words.

A leaf module (no atomlab imports), so the statistics' callers, the verdict lines and the figures agree on
it: an interval or band of an accuracy never leaves [0, 1], one of an error or a loss never goes below 0,
and ``test_acc`` reads "test accuracy" everywhere.
"""

from __future__ import annotations

import math


def metric_bounds(metric: str) -> tuple[float, float] | None:
    """The range a metric can take, which its intervals must respect: accuracies in [0, 1], errors >= 0.

    Examples
    --------
    >>> metric_bounds("test_acc"), metric_bounds("train_mse"), metric_bounds("n_params")
    ((0.0, 1.0), (0.0, inf), None)
    """
    if metric.endswith("_acc") or metric.endswith("accuracy"):
        return (0.0, 1.0)
    if metric.endswith("_mse") or metric.endswith("_loss"):
        return (0.0, math.inf)
    return None


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of the metric is the better one: accuracies yes, errors and losses no.

    Examples
    --------
    >>> higher_is_better("test_acc"), higher_is_better("train_loss"), higher_is_better("test_mse")
    (True, False, False)
    """
    return not (metric.endswith("_mse") or metric.endswith("_loss") or metric.endswith("error"))


_LABELS = {"train_mse": "training MSE", "test_mse": "test MSE", "train_acc": "training accuracy",
           "test_acc": "test accuracy", "train_loss": "training loss", "test_loss": "test loss",
           "step": "training step", "epoch": "epoch"}


def metric_label(name: str) -> str:
    """A metric's (or a column's) name in words, for verdict lines, captions and axis labels.

    Examples
    --------
    >>> metric_label("test_acc"), metric_label("hidden_units")
    ('test accuracy', 'hidden units')
    """
    return _LABELS.get(name, name.replace("_", " "))
