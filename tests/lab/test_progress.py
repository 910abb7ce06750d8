"""The progress bar moves in steps of training while a population trains; events are JSON lines."""

from __future__ import annotations

import io
import json

from atomlab.engine import TrainSpec
from atomlab.lab.progress import Progress
from atomlab.lab.runner import run_trials
from atomlab.lab.store import TrialStore
from atomlab.lab.trial import DataSpec, Trial
from atomlab.nn import MLPSpec


class Recorder(Progress):
    """A Progress that remembers the order of what the runner told it."""

    def __init__(self, **kw):
        super().__init__(bar=False, **kw)
        self.calls = []

    def add_steps(self, n):
        self.calls.append(("steps", n))
        super().add_steps(n)

    def trials_done(self, records, *, steps=0, counted=0):
        self.calls.append(("done", len(records)))
        super().trials_done(records, steps=steps, counted=counted)


def trials(n=3, steps=40):
    data = DataSpec("moons", {"n_train": 40, "n_test": 20})
    return [Trial({"seed_arm": "x"}, s, data, MLPSpec(layers=(4,)), TrainSpec(steps=steps, lr=0.1)) for s in range(n)]


def test_the_bar_counts_member_steps_as_one_population_trains(tmp_path):
    rec = Recorder()
    outcomes, trained = run_trials(trials(), store=TrialStore(tmp_path / "store"), progress=rec, workers=1)
    assert trained == 3 and rec.steps_total == 3 * 40 == rec.steps_done
    first_done = rec.calls.index(("done", 3))
    moved = [n for kind, n in rec.calls[:first_done] if kind == "steps"]
    assert len(moved) >= 10 and sum(moved) == 3 * 40  # it moved step by step before the population ended
    assert rec.counts["done"] == 3 and rec.counts["diverged"] == 0


def test_trials_from_the_store_are_counted_as_cached_and_logged(tmp_path):
    store = TrialStore(tmp_path / "store")
    run_trials(trials(), store=store, workers=1)
    log = io.StringIO()
    rec = Recorder(events=log)
    _, trained = run_trials(trials(), store=store, progress=rec, workers=1)
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    assert trained == 0 and rec.steps_total == 0
    assert [e["status"] for e in events] == ["cached"] * 3 and {e["seed"] for e in events} == {0, 1, 2}


def test_a_diverged_trial_is_counted_and_its_event_says_so(tmp_path):
    data = DataSpec("moons", {"n_train": 40, "n_test": 20})
    blow_up = [Trial({"lr": 1e6}, s, data, MLPSpec(layers=(4,)), TrainSpec(steps=30, lr=1e6, optimizer="sgd"))
               for s in range(2)]
    log = io.StringIO()
    rec = Recorder(events=log)
    run_trials(blow_up, store=TrialStore(enabled=False), progress=rec, workers=1)
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    assert rec.counts["diverged"] == 2 and rec.steps_done == rec.steps_total == 60  # a stopped population ends
    assert all(e["status"] == "diverged" and e["diverged_step"] >= 1 for e in events)


def test_the_bar_shows_steps_counts_and_an_eta():
    stream = io.StringIO()
    bar = Progress(bar=True, stream=stream, refresh_seconds=0)
    bar.begin(trials=4, cached=1, steps=300)
    bar.add_steps(120)
    bar.trials_done([{"arm": "a", "seed": 0, "status": "trained"}], steps=100, counted=100)
    bar.close()
    text = stream.getvalue()
    assert "/300" in text and "1 trained, 1 cached, 0 diverged" in text and "<" in text  # tqdm's ETA: [elapsed<left]
