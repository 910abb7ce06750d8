"""Worker processes do not outlive the run that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

CHILD = ("import sys, time; from atomlab.lab.runner import exit_with_parent; exit_with_parent(0.05); "
         "open(sys.argv[1], 'w').close(); time.sleep(60)")
PARENT = ("import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]]); "
          "print(p.pid, flush=True); time.sleep(60)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its new parent) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_worker_exits_when_its_parent_is_killed(tmp_path):
    ready = tmp_path / "watching"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, str(ready)], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:  # importing torch takes a while
        time.sleep(0.05)
    assert ready.exists() and _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_wide_full_batch_sweeps_are_split_into_cache_sized_populations():
    from atomlab.engine import TrainSpec
    from atomlab.lab import DataSpec, Trial
    from atomlab.lab.data import materialize
    from atomlab.lab.runner import CACHE_ELEMENTS, _population_batches
    from atomlab.nn import MLPSpec

    def sweep(n_train, width):
        data = DataSpec("moons", {"n_train": n_train, "n_test": 50})
        trials = [Trial({}, s, data, MLPSpec(layers=(width,), activation="tanh"),
                        TrainSpec(steps=2, lr=0.1, batch_size=None))
                  for s in range(12)]
        return _population_batches(trials, [materialize(t.data) for t in trials])

    small = sweep(200, 10)  # 12 x 200 x 10 elements: one population
    assert [len(b) for b in small] == [12]
    wide = sweep(2000, 100)  # 200,000 elements a member: at most CACHE_ELEMENTS per population
    assert sorted(i for b in wide for i in b) == list(range(12))
    assert len(wide) > 1 and all(len(b) * 2000 * 100 <= max(CACHE_ELEMENTS, 2000 * 100) for b in wide)


def test_worker_processes_give_the_outcomes_of_one_process(monkeypatch):
    import numpy as np

    from atomlab.engine import TrainSpec
    from atomlab.lab import DataSpec, Trial, runner
    from atomlab.lab.store import TrialStore
    from atomlab.nn import MLPSpec

    trials = [Trial({"w": w}, s, DataSpec("moons", {"n_train": 40, "n_test": 20}, seed=s),
                    MLPSpec(layers=(w,), activation="tanh"), TrainSpec(steps=20, lr=0.1, batch_size=8))
              for w in (3, 5) for s in range(3)]
    serial, _ = runner.run_trials(trials, store=TrialStore(enabled=False), workers=1)
    shipped = []
    monkeypatch.setattr(runner, "PARALLEL_MIN_SECONDS", 0.0)
    original = runner._shippable
    monkeypatch.setattr(runner, "_shippable", lambda data: shipped.append(len(data)) or original(data))
    parallel, trained = runner.run_trials(trials, store=TrialStore(enabled=False), workers=2)
    assert trained == len(trials) and sum(shipped) == len(trials)  # every job took its data along
    for a, b in zip(serial, parallel):
        assert [r["train_loss"] for r in a.rows] == [r["train_loss"] for r in b.rows]
        assert all(np.array_equal(a.state[k], b.state[k]) for k in a.state)


def test_only_small_picklable_data_is_shipped_to_workers(monkeypatch):
    import dataclasses

    from atomlab.data import make_dataset
    from atomlab.lab import runner

    data = make_dataset("moons", random_state=0, n_train=40, n_test=20)
    assert runner._shippable([data]) == [data]
    assert runner._shippable([dataclasses.replace(data, target_fn=lambda X: X)]) is None  # lambdas do not pickle
    monkeypatch.setattr(runner, "SHIP_DATA_BYTES", data.X_train.nbytes)
    assert runner._shippable([data]) is None


def _sweep(widths, activations, seeds, steps=30, n_test=20):
    from atomlab.engine import TrainSpec
    from atomlab.lab import DataSpec, Trial
    from atomlab.nn import MLPSpec

    return [Trial({"w": w, "act": a}, s, DataSpec("moons", {"n_train": 40, "n_test": n_test}, seed=s),
                  MLPSpec(layers=(w,), activation=a), TrainSpec(steps=steps, lr=0.1, batch_size=8))
            for w in widths for a in activations for s in range(seeds)]


def test_short_population_runs_share_the_cores_as_threads_with_the_outcomes_of_one_process(monkeypatch):
    import numpy as np
    import torch

    from atomlab.lab import runner
    from atomlab.lab.store import TrialStore

    # 20 sigmoid and 20 tanh members of one shape: a population big enough to be split between the
    # workers, with an odd test set (torch rounds a tensor's last elements its own way)
    trials = _sweep((3,), ("sigmoid", "tanh"), 20, n_test=23) + _sweep((12,), ("relu",), 3)
    serial, _ = runner.run_trials(trials, store=TrialStore(enabled=False), workers=1, device="cpu")
    used, original = [], runner._run_in_threads
    monkeypatch.setattr(runner, "_run_in_threads", lambda jobs, *a: used.append(len(jobs)) or original(jobs, *a))
    before = torch.get_num_threads()
    threaded, trained = runner.run_trials(trials, store=TrialStore(enabled=False), workers=2, device="cpu")
    assert used and used[0] >= 3 and trained == len(trials)  # the 40-member population was split
    assert torch.get_num_threads() == before  # the threads' single intra-op thread is not left behind
    for a, b in zip(serial, threaded):
        assert [r["train_loss"] for r in a.rows] == [r["train_loss"] for r in b.rows]
        assert [r["test_loss"] for r in a.rows] == [r["test_loss"] for r in b.rows]
        assert all(np.array_equal(a.state[k], b.state[k]) for k in a.state)


def test_an_error_in_a_threaded_job_ends_the_run_after_the_finished_jobs_are_stored(clean_registries, tmp_path):
    import threading

    import atomlab
    from atomlab.lab import runner
    from atomlab.lab.store import TrialStore

    @atomlab.register_activation("fails-in-a-thread")
    def fails(x):
        raise RuntimeError("this activation always fails")

    # the failing population is the costliest, so it starts first; of the two others one starts beside it
    # and one waits in the queue, which the failure cancels (a cancelled job never completes: the run
    # must not wait for it)
    bad = _sweep((64,), ("fails-in-a-thread",), 2, steps=2)
    good = _sweep((3,), ("tanh",), 2) + _sweep((5,), ("tanh",), 2)
    store, raised = TrialStore(tmp_path), []

    def run():
        try:
            runner.run_trials(bad + good, store=store, workers=2, device="cpu")
        except RuntimeError as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the run hung after a job failed"
    assert raised and "always fails" in str(raised[0])
    assert all(store.get(t.key) is None for t in bad)
    stored = [store.get(t.key) is not None for t in good]
    assert any(stored)  # the job trained beside the failing one is kept


def test_the_costliest_population_is_split_between_workers_at_a_whole_vector_of_lanes():
    from atomlab.engine.compiled import LANE_MULTIPLE
    from atomlab.lab.data import materialize
    from atomlab.lab.runner import _population_batches

    trials = _sweep((2, 4, 16), ("tanh",), 30)
    data = [materialize(t.data) for t in trials]
    alone = _population_batches(trials, data, split_into=1)
    assert sorted(len(b) for b in alone) == [30, 30, 30]
    shared = _population_batches(trials, data, split_into=2)
    widths = [{trials[i].model.layers[0] for i in b} for b in shared]
    assert all(len(w) == 1 for w in widths)  # a job is one population
    wide = [b for b, w in zip(shared, widths) if w == {16}]
    halves = sorted(len(b) for b in wide)
    assert len(halves) == 2 and sum(halves) == 30
    assert any(h % LANE_MULTIPLE == 0 for h in halves)  # one half fills whole vectors of lanes
    assert halves[1] - halves[0] <= LANE_MULTIPLE  # and the two are as even as that allows
    assert sorted(i for b in shared for i in b) == list(range(len(trials)))


def test_a_split_never_leaves_a_part_below_the_smallest_size():
    from atomlab.lab.data import materialize
    from atomlab.lab.runner import SMALLEST_SPLIT, _population_batches

    # 63 relu members and 1 tanh member: the group boundary is no place to cut (a one-member job)
    trials = _sweep((16,), ("relu",), 63) + _sweep((16,), ("tanh",), 1)
    data = [materialize(t.data) for t in trials]
    parts = _population_batches(trials, data, split_into=2)
    assert len(parts) == 2 and min(len(p) for p in parts) >= SMALLEST_SPLIT
