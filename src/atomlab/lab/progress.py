"""What a run says while it trains: a progress bar in steps of training, and JSON-lines events for machines.

The bar counts *member-steps*: a population of 30 networks trained for 3,000 steps is 90,000 of them, so
a sweep whose arms train in one population moves as that population trains (the population trainer
reports its steps through its ``progress`` callback) and a sweep split into worker processes moves as
each job ends (its members' steps at once). Beside the bar: trials done, taken from the store (cached),
and diverged, and tqdm's estimate of the time left.

Events (``--events FILE``, or ``events=`` in Python) are one JSON object per line, flushed as written, so
another program can follow a run with ``tail -f``: ``{"event": "start", ...}`` with the configuration,
``{"event": "trial", "arm": ..., "seed": ..., "status": "trained" | "cached" | "diverged" | "failed"}``
as each trial is done, and ``{"event": "verdict", ...}`` at the end. Every event has ``time`` (Unix
seconds).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from atomlab.errors import ConfigError


class Progress:
    """A run's progress bar and event log; either may be off.

    Parameters
    ----------
    bar : bool
        Draw the bar on ``stream`` (stderr).
    events : path or file, optional
        Where to write JSON-lines events (a path is created or truncated).
    stream : file, optional
        Where the bar goes (default ``sys.stderr``).
    refresh_seconds : float
        The bar is redrawn at most this often.

    Examples
    --------
    >>> import io, json
    >>> log = io.StringIO()
    >>> p = Progress(bar=False, events=log)
    >>> p.event("start", trials=2)
    >>> p.begin(trials=2, cached=0, steps=200)
    >>> p.add_steps(150)
    >>> p.steps_done, p.steps_total
    (150, 200)
    >>> [json.loads(line)["event"] for line in log.getvalue().splitlines()]
    ['start']
    >>> p.close()
    """

    def __init__(self, *, bar: bool = True, events: str | os.PathLike | IO[str] | None = None,
                 stream: IO[str] | None = None, refresh_seconds: float = 0.5) -> None:
        self.show_bar = bool(bar)
        self.refresh_seconds = refresh_seconds
        self.stream = stream
        self._own = False
        self._events: IO[str] | None = None
        if events is not None:
            if hasattr(events, "write"):
                self._events = events  # type: ignore[assignment]
            else:
                path = Path(events)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._events = path.open("w", encoding="utf-8")
                except OSError as exc:
                    raise ConfigError(f"cannot write events to {str(path)!r}: {exc.strerror or exc}") from None
                self._own = True
        self._bar = None
        self.steps_total = 0
        self.steps_done = 0
        self.counts = {"done": 0, "cached": 0, "diverged": 0, "failed": 0}

    # ----- events ---------------------------------------------------------------------------------
    def event(self, kind: str, **fields: Any) -> None:
        """Write one event line (nothing without an event log)."""
        if self._events is None:
            return
        record = _finite({"event": kind, "time": round(time.time(), 3), **fields})
        self._events.write(json.dumps(record, default=str, allow_nan=False) + "\n")
        self._events.flush()

    # ----- the runner's hooks --------------------------------------------------------------------------
    def begin(self, *, trials: int, cached: int, steps: int) -> None:
        """A round of trials starts: ``cached`` of ``trials`` came from the store, ``steps`` member-steps to train."""
        self.counts["cached"] += cached
        self.steps_total += max(0, int(steps))
        if not self.show_bar or steps <= 0:
            return
        if self._bar is None:
            from tqdm.auto import tqdm

            stream = self.stream or sys.stderr
            tty = bool(getattr(stream, "isatty", lambda: False)())
            self._bar = tqdm(total=self.steps_total, unit="step", unit_scale=True, desc="training", leave=False,
                             mininterval=self.refresh_seconds, file=stream, dynamic_ncols=tty)
        else:
            self._bar.total = self.steps_total
            self._bar.refresh()
        self._postfix()

    def add_steps(self, n: int) -> None:
        """``n`` member-steps of training were done (the population trainer's callback, scaled by its size)."""
        n = min(int(n), self.steps_total - self.steps_done)
        if n <= 0:
            return
        self.steps_done += n
        if self._bar is not None:
            self._bar.update(n)

    def trials_done(self, records: Sequence[dict[str, Any]], *, steps: int = 0, counted: int = 0) -> None:
        """A job ended: its trials (``arm``, ``seed``, ``status`` each), ``steps`` member-steps of which ``counted``
        were already reported through :meth:`add_steps`."""
        for rec in records:
            status = rec.get("status", "trained")
            self.counts["cached" if status == "cached" else "done"] += 1  # cached: another run trained it
            if status in ("diverged", "failed"):
                self.counts[status] += 1
            self.event("trial", **rec)
        self._postfix()  # before the bar moves, so that the move shows the new counts
        self.add_steps(steps - counted)
        if self._bar is not None and records:
            self._bar.refresh()

    def cached(self, records: Sequence[dict[str, Any]]) -> None:
        """Trials served from the store (no training): one event each."""
        for rec in records:
            self.event("trial", **{**rec, "status": "cached"})

    def _postfix(self) -> None:
        if self._bar is not None:
            c = self.counts
            self._bar.set_postfix_str(f"{c['done']} trained, {c['cached']} cached, {c['diverged']} diverged"
                                      + (f", {c['failed']} failed" if c["failed"] else ""), refresh=False)

    def close(self) -> None:
        """Close the bar (and the event file, when this object opened it)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._own and self._events is not None:
            self._events.close()
            self._events = None


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities as None: strict JSON, which every reader accepts."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def trial_record(trial: Any, outcome: Any | None = None, *, status: str | None = None) -> dict[str, Any]:
    """The fields of a trial event: key, arm, seed, status and, when trained, the final metrics.

    Examples
    --------
    >>> from atomlab.engine.outcome import Outcome
    >>> from atomlab.lab.trial import DataSpec, Trial
    >>> rec = trial_record(Trial({"lr": 0.1}, 2, DataSpec("moons"), {}), Outcome(diverged_step=7))
    >>> rec["arm"], rec["seed"], rec["status"], rec["diverged_step"]
    ('lr=0.1', 2, 'diverged', 7)
    """
    rec: dict[str, Any] = {"key": trial.key, "arm": trial.arm, "seed": trial.seed}
    if outcome is not None:
        if status is None:
            status = "failed" if outcome.failed else "diverged" if outcome.diverged else "trained"
        final = {k: v for k, v in outcome.final.items() if isinstance(v, int | float) and k not in ("epoch",)}
        rec.update({"status": status, "diverged_step": outcome.diverged_step, "final": final})
    else:
        rec["status"] = status or "trained"
    return rec
