"""What training one model produces: recorded metrics, final weights and artefacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: A loss this many times its first value (or 1, if larger) counts as diverged (:attr:`Outcome.diverged_step`).
DIVERGENCE_FACTOR = 1e4


@dataclass
class Outcome:
    """The result of training one model (one trial).

    Attributes
    ----------
    rows : list of dict
        One dict per recorded step: ``step``, ``epoch`` and the metrics (``train_loss``,
        ``test_loss`` and ``train_acc``/``test_acc`` for classification or ``train_mse``/``test_mse``
        for regression, plus probe columns).
    diverged_step : int or None
        The first step whose loss was NaN or infinite, or exceeded 10^4 times its first value (or
        10^4 if that is larger); None if training stayed finite.
    state : dict of str to ndarray
        Final parameters.
    artefacts : dict of str to ndarray
        Weight snapshots (``snap/W0`` ...), grid predictions (``grid``), animation frames, etc.
    wall_time : float
        Seconds of training attributed to this model (its population's time divided by its size).
    info : dict
        Anything else worth keeping (population size, device).
    error : str or None
        Why the trial has no result (its worker process was killed twice); None when it trained.
        A failed trial is left out of the statistics, as a diverged one is, and named in the report.

    Examples
    --------
    >>> out = Outcome(rows=[{"step": 0, "train_loss": 0.7}, {"step": 10, "train_loss": 0.3}])
    >>> out.final["train_loss"], out.diverged
    (0.3, False)
    >>> Outcome(diverged_step=4).diverged
    True
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    diverged_step: int | None = None
    state: dict[str, np.ndarray] = field(default_factory=dict)
    artefacts: dict[str, np.ndarray] = field(default_factory=dict)
    wall_time: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def diverged(self) -> bool:
        """Whether the loss became NaN or infinite."""
        return self.diverged_step is not None

    @property
    def failed(self) -> bool:
        """Whether training failed to produce a result (see ``error``)."""
        return self.error is not None

    @property
    def final(self) -> dict[str, Any]:
        """The last recorded row (empty if nothing was recorded)."""
        return dict(self.rows[-1]) if self.rows else {}
