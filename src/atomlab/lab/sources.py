"""The numbers a source reports, beside ours: our mean and interval for the same arm, and whether theirs lies inside.

An experiment declares every number its source reports as a :class:`~atomlab.lab.experiment.SourceNumber`
(a column of the final table, the value, and the arm it belongs to). :func:`beside_ours` puts each one
beside our mean over seeds for that arm and its 95 % interval (:func:`atomlab.stats.mean_interval`, inside the
metric's bounds), and says whether the source's value lies inside the interval. The same function serves
the report of a run (from its final table), the generated docs pages (from the recorded per-seed values) and
the atlas's scorecard, so the three cannot disagree.

"Inside our interval" reads: our mean over seeds is compatible with the source's number. A source usually
reports one run, and one run scatters more than a mean over seeds, so a number outside a narrow interval
can still be a typical single run; the table shows both numbers so a reader can judge by how much.

Examples
--------
>>> import pandas as pd
>>> from atomlab.lab.experiment import SourceNumber
>>> final = pd.DataFrame({"seed": [0, 1, 2, 3] * 2, "units": [2] * 4 + [16] * 4,
...                       "train_mse": [.41, .43, .40, .44, .030, .034, .031, .036]})
>>> numbers = [SourceNumber("train_mse", 0.422, {"units": 2}, "code output"),
...            SourceNumber("train_mse", 0.010, {"units": 16}, "code output")]
>>> [(b.arm, round(b.mean, 4), b.inside) for b in beside_ours(numbers, final)]
[('units=2', 0.42, True), ('units=16', 0.0328, False)]
>>> reproduced(beside_ours(numbers, final))
(1, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from atomlab import stats
from atomlab.errors import ConfigError
from atomlab.lab.claims import per_seed
from atomlab.lab.experiment import SourceNumber
from atomlab.metrics import metric_bounds

#: The confidence level of the interval a source's number is compared with.
LEVEL = 0.95


@dataclass(frozen=True)
class BesideOurs:
    """One of the source's numbers beside ours.

    Attributes
    ----------
    number : SourceNumber
        The source's number, as the experiment declares it.
    n : int
        Seeds with a finite value for that arm (0 when there is nothing to compare).
    mean, low, high : float
        Our mean over seeds and its interval at :data:`LEVEL` (NaN when there is nothing to compare).
    inside : bool or None
        Whether the source's value lies inside our interval; None when it cannot be told (no such column or
        arm in our results, or fewer than :data:`atomlab.stats.MIN_SEEDS` seeds).
    note : str
        Why there is no comparison, in words (empty when there is one).

    Examples
    --------
    >>> b = BesideOurs(SourceNumber("test_acc", 0.97, {"depth": 2}), n=5, mean=0.96, low=0.95, high=0.975,
    ...                inside=True)
    >>> b.arm, b.outcome, BesideOurs(b.number, note="no arm of ours has depth=2").outcome
    ('depth=2', 'inside', 'no arm of ours has depth=2')
    """

    number: SourceNumber
    n: int = 0
    mean: float = math.nan
    low: float = math.nan
    high: float = math.nan
    inside: bool | None = None
    note: str = ""

    @property
    def arm(self) -> str:
        """The arm, as ``key=value, ...`` (``"all"`` when the number covers every arm)."""
        return arm_label(self.number.where)

    @property
    def outcome(self) -> str:
        """``"inside"``, ``"outside"``, or the note saying why it cannot be told."""
        if self.inside is None:
            return self.note or "cannot be told"
        return "inside" if self.inside else "outside"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (for ``verdict.json`` and the atlas)."""
        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {"metric": self.number.metric, "value": self.number.value, "where": dict(self.number.where),
                "what": self.number.what, "arm": self.arm, "n": self.n, "mean": num(self.mean),
                "low": num(self.low), "high": num(self.high), "level": LEVEL, "inside": self.inside,
                "note": self.note}


def arm_label(where: dict[str, Any]) -> str:
    """``key=value, ...`` for the levels of an arm, lists as ``[a,b]``.

    Examples
    --------
    >>> arm_label({"function": "sin", "layers": (10, 10)}), arm_label({})
    ('function=sin, layers=[10,10]', 'all')
    """
    def fmt(v: Any) -> str:
        if isinstance(v, list | tuple):
            return "[" + ",".join(fmt(x) for x in v) + "]"
        return f"{v:g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in where.items()) or "all"


def beside_ours(numbers: Sequence[SourceNumber], final: pd.DataFrame, *, level: float = LEVEL) -> list[BesideOurs]:
    """Each of the source's ``numbers`` beside our mean and interval for its arm.

    Parameters
    ----------
    numbers : sequence of SourceNumber
        The source's numbers (``Experiment.source_numbers``).
    final : DataFrame
        One row per trial, with a ``seed`` column, the factor columns and the metrics (a run's final table,
        or the recorded per-seed values). The rows matching a number's ``where`` are selected as a claim's
        ``where`` selects them (a list value means any of its items; a level that is itself a list is given
        as a tuple) and averaged per seed, so a number that names only some factors is compared with the mean
        over the others.
    level : float
        Confidence level of our interval.

    Returns
    -------
    list of BesideOurs
        In the order of ``numbers``.

    Examples
    --------
    >>> final = pd.DataFrame({"seed": [0, 1, 2], "depth": [2, 2, 2], "test_acc": [0.95, 0.96, 0.97]})
    >>> [b.outcome for b in beside_ours([SourceNumber("test_acc", 0.96, {"depth": 2}),
    ...                                  SourceNumber("test_acc", 0.99, {"depth": 2}),
    ...                                  SourceNumber("test_acc", 0.99, {"depth": 3})], final)]
    ['inside', 'outside', 'no arm of ours has depth=3']
    """
    return [_one(number, final, level) for number in numbers]


def _one(number: SourceNumber, final: pd.DataFrame, level: float) -> BesideOurs:
    missing = [k for k in (number.metric, *number.where) if k not in final.columns]
    if "seed" not in final.columns or missing:
        what = missing[0] if missing else "seed"
        return BesideOurs(number, note=f"our results have no column {what!r}")
    values = per_seed(final, number.metric, number.where).to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if not len(values):
        return BesideOurs(number, note=f"no arm of ours has {arm_label(number.where)}")
    if not len(finite):
        return BesideOurs(number, note="every seed of that arm diverged or failed")
    try:
        mean, low, high = stats.mean_interval(finite, level=level, bounds=metric_bounds(number.metric))
    except ConfigError as exc:  # a value outside the metric's range: say so on the page rather than stop
        return BesideOurs(number, note=str(exc))
    if len(finite) < stats.MIN_SEEDS:
        return BesideOurs(number, n=len(finite), mean=mean, low=low, high=high,
                          note=f"too few seeds for an interval ({len(finite)})")
    return BesideOurs(number, n=len(finite), mean=mean, low=low, high=high,
                      inside=bool(low <= number.value <= high))


def reproduced(comparisons: Sequence[BesideOurs]) -> tuple[int, int]:
    """``(inside, total)``: how many of the source's numbers lie inside our interval, of how many.

    Examples
    --------
    >>> n = SourceNumber("test_acc", 0.9)
    >>> reproduced([BesideOurs(n, inside=True), BesideOurs(n, inside=False), BesideOurs(n)])
    (1, 3)
    """
    return sum(c.inside is True for c in comparisons), len(comparisons)
