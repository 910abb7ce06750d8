"""Guards: before training, refuse a plan that cannot fit in memory, or one that would train for days.

The runner estimates a plan from what it knows without training (:func:`atomlab.lab.runner.estimate_plan`):
each population member's peak memory (:func:`atomlab.engine.population.member_bytes`) and the time of its
jobs from the cost model the runner already uses to split them. A plan is refused with the estimate and
the limit in one :class:`~atomlab.errors.ConfigError` (exit status 2 on the command line):

- **memory**: one model that needs more memory than there is cannot be split further; ``--force`` never
  overrides this (a run that exhausts memory takes the machine down with it);
- **time**: a plan estimated to train longer than :data:`TIME_LIMIT_HOURS` (``$ATOMLAB_TIME_LIMIT_HOURS``)
  on the workers at hand is usually a typo (``--seeds 100000``); ``--force`` (``force=True``) runs it anyway.

Only population trials (MLPs) are estimated for memory; other kinds (a CNN, an estimator) are not.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from atomlab.engine.spec import MAX_STEPS
from atomlab.errors import ConfigError
from atomlab.lab.experiment import MAX_SEEDS
from atomlab.nn.spec import MAX_WIDTH

#: Estimated hours of training (on the workers at hand) above which a plan needs ``--force``.
TIME_LIMIT_HOURS = 24.0
LIMITS_TEXT = (f"seeds are limited to {MAX_SEEDS:,} per arm, steps and epochs to {MAX_STEPS:,}, layer widths to "
               f"{MAX_WIDTH:,}")


def available_memory() -> int:
    """Bytes of memory a run may use: ``$ATOMLAB_MEMORY_GB`` if set, else what the system has available now.

    Examples
    --------
    >>> os.environ["ATOMLAB_MEMORY_GB"] = "2"
    >>> available_memory()
    2147483648
    >>> del os.environ["ATOMLAB_MEMORY_GB"]
    """
    env = os.environ.get("ATOMLAB_MEMORY_GB")
    if env:
        try:
            value = float(env)
        except ValueError:
            value = math.nan
        if not 0 < value < math.inf:
            raise ConfigError(f"ATOMLAB_MEMORY_GB={env!r} is not allowed; give a positive number of gigabytes")
        return int(value * 2**30)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 * 2**30  # no /proc (macOS): a laptop's worth


def time_limit_seconds() -> float:
    """Seconds of estimated training above which a plan needs ``force``: ``$ATOMLAB_TIME_LIMIT_HOURS`` or 24 h.

    Examples
    --------
    >>> time_limit_seconds() == 3600 * float(os.environ.get("ATOMLAB_TIME_LIMIT_HOURS") or TIME_LIMIT_HOURS)
    True
    """
    env = os.environ.get("ATOMLAB_TIME_LIMIT_HOURS")
    if not env:
        return TIME_LIMIT_HOURS * 3600
    try:
        value = float(env)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise ConfigError(f"ATOMLAB_TIME_LIMIT_HOURS={env!r} is not allowed; give a positive number of hours")
    return value * 3600


def _bytes(n: float) -> str:
    return f"{n / 2**30:,.1f} GB" if n >= 2**28 else f"{n / 2**20:,.1f} MB"


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:,.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:,.1f} hours"
    return f"{seconds / 60:,.1f} minutes" if seconds >= 120 else f"{seconds:.0f} s"


@dataclass(frozen=True)
class PlanEstimate:
    """What a plan is expected to cost, estimated before training.

    Attributes
    ----------
    trials : int
        Trials to train.
    seconds : float
        Estimated training time on one core (the runner's cost model; within a factor of two or so).
    parallel : int
        Jobs that run at once (local worker processes, or the executor's workers).
    member_bytes : int
        Estimated peak memory of the largest model while it trains (0 when no trial is estimated).
    member : str
        That model, in words.
    memory_limit : int
        Bytes one worker may use (:func:`available_memory`, or what the executor's workers have).

    Examples
    --------
    >>> est = PlanEstimate(trials=8, seconds=7200.0, parallel=2, member_bytes=2**20, member="a small MLP",
    ...                    memory_limit=2**30)
    >>> est.wall_seconds, est.describe()
    (3600.0, '8 trials, about 60.0 minutes of training (2 at once); the largest model needs 1.0 MB of 1.0 GB')
    """

    trials: int
    seconds: float
    parallel: int
    member_bytes: int
    member: str
    memory_limit: int

    @property
    def wall_seconds(self) -> float:
        """Estimated wall time with ``parallel`` jobs at once."""
        return self.seconds / max(1, self.parallel)

    def describe(self) -> str:
        """The estimate in one line."""
        text = (f"{self.trials:,} trials, about {_duration(self.wall_seconds)} of training "
                f"({self.parallel} at once)")
        if self.member_bytes:
            text += f"; the largest model needs {_bytes(self.member_bytes)} of {_bytes(self.memory_limit)}"
        return text


def check_plan(estimate: PlanEstimate, *, force: bool = False) -> None:
    """Refuse a plan that cannot fit in memory (always) or that would train too long (unless ``force``).

    Raises
    ------
    ConfigError
        With the estimate, the limit and what to change.

    Examples
    --------
    >>> big = PlanEstimate(trials=2, seconds=10.0, parallel=1, member_bytes=160 * 2**30,
    ...                    member="layers [100000, 100000]", memory_limit=16 * 2**30)
    >>> check_plan(big, force=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: this plan cannot fit in memory: one model needs about 160.0 GB while training ...
    >>> long = PlanEstimate(trials=10**6, seconds=1e7, parallel=2, member_bytes=0, member="", memory_limit=2**30)
    >>> check_plan(long, force=True)  # forced: runs
    """
    if estimate.member_bytes > estimate.memory_limit:
        raise ConfigError(
            f"this plan cannot fit in memory: one model needs about {_bytes(estimate.member_bytes)} while training "
            f"({estimate.member}), more than the {_bytes(estimate.memory_limit)} a worker may use "
            "($ATOMLAB_MEMORY_GB sets the limit); --force does not override this. Make the model smaller "
            f"(narrower layers or a smaller batch_size); {LIMITS_TEXT}")
    limit = time_limit_seconds()
    if estimate.wall_seconds > limit and not force:
        raise ConfigError(
            f"this plan would train for about {_duration(estimate.wall_seconds)} ({estimate.trials:,} trials, "
            f"{estimate.parallel} at once), more than the {_duration(limit)} guard ($ATOMLAB_TIME_LIMIT_HOURS); "
            f"pass --force (force=True in Python) to run it anyway, or make it smaller: {LIMITS_TEXT}")
