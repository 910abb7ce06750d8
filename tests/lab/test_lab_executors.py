"""Executors: jobs shipped to a thread pool, a process pool or a Dask cluster give the local outcomes, and
come back to the one process that writes the store; a killed worker is retried, never a BrokenProcessPool."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from atomlab.engine import TrainSpec
from atomlab.errors import ConfigError
from atomlab.lab import DataSpec, Trial, runner
from atomlab.lab.api import run_experiment
from atomlab.lab.executors import resolve_executor, worker_died
from atomlab.lab.store import TrialStore
from atomlab.nn import MLPSpec


def sweep() -> list[Trial]:
    """Two widths x three seeds: two populations (jobs) to spread over the workers."""
    return [Trial({"w": w}, s, DataSpec("moons", {"n_train": 40, "n_test": 20}, seed=s),
                  MLPSpec(layers=(w,), activation="tanh"), TrainSpec(steps=20, lr=0.1, batch_size=8))
            for w in (3, 5) for s in range(3)]


def same_outcomes(a, b) -> bool:
    return all([r["train_loss"] for r in x.rows] == [r["train_loss"] for r in y.rows]
               and all(np.array_equal(x.state[k], y.state[k]) for k in x.state) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def local():
    return runner.run_trials(sweep(), store=TrialStore(enabled=False), workers=1)[0]


def test_a_thread_pool_gives_the_local_outcomes(local, tmp_path):
    store = TrialStore(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes, trained = runner.run_trials(sweep(), store=store, executor=pool)
    assert trained == 6 and same_outcomes(local, outcomes)
    # written here, by this process: a second run reads all of them back
    assert runner.run_trials(sweep(), store=store, executor="local")[1] == 0


def test_a_process_pool_gives_the_local_outcomes(local):
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        ex = resolve_executor(pool)
        assert ex.processes and ex.workers == 2 and ex.threads == 1
        outcomes, trained = runner.run_trials(sweep(), store=TrialStore(enabled=False), executor=pool)
        assert pool.submit(int, "7").result() == 7  # a pool the caller gave is left open
    assert trained == 6 and same_outcomes(local, outcomes)


def test_a_dask_local_cluster_gives_the_local_results(tiny_experiment, tmp_path):
    distributed = pytest.importorskip("distributed")
    exp = tiny_experiment()
    here = run_experiment(exp, cache=False, report=False, cache_dir=tmp_path / "a", workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        ex = resolve_executor(client)
        assert ex.workers == 2 and ex.processes and not ex.retries and ex.memory_bytes
        there = run_experiment(exp, cache=False, report=False, cache_dir=tmp_path / "b", executor=client)
        assert client.status == "running"  # a client the caller gave is left open
        # the scheduler's address works as well as the client (what --executor dask://HOST:PORT does)
        address = "dask://" + cluster.scheduler_address.removeprefix("tcp://")
        again = run_experiment(exp, cache=False, report=False, cache_dir=tmp_path / "c", executor=address)
    columns = [c for c in here.final.columns if c != "wall_time"]
    assert here.final[columns].equals(there.final[columns]) and here.final[columns].equals(again.final[columns])
    assert there.verdict == here.verdict and there.provenance["trials_trained"] == len(here.trials)


SUICIDAL = '''
import os, signal, time
from pathlib import Path
from atomlab.engine.outcome import Outcome
from atomlab.lab.runner import register_trial_kind

@register_trial_kind("suicidal-executor-test", overwrite=True)
def suicidal(trials, datasets, device="auto"):
    for t in trials:
        marker = Path(t.model["marker"])
        if t.model["mode"] == "always":
            # wait (a while) until the "once" job has started: had this one broken the pool first, the
            # "once" job would meet its first kill in its retry and fail, and the test would depend on timing
            deadline = time.monotonic() + 60
            while not Path(t.model["wait_for"]).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        if t.model["mode"] == "always" or not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    return [Outcome(rows=[{"step": 1, "test_acc": 0.5}]) for t in trials]
'''


def test_a_worker_killed_in_a_users_process_pool_is_retried_then_failed(tmp_path, monkeypatch):
    (tmp_path / "atomlab_test_suicidal_executor.py").write_text(SUICIDAL)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers import it from the same path
    __import__("atomlab_test_suicidal_executor")
    trials = [Trial({}, s, DataSpec("moons", {"n_train": 20}),
                    {"mode": mode, "marker": str(tmp_path / f"killed-{s}"),
                     "wait_for": str(tmp_path / "killed-0")}, None, kind="suicidal-executor-test")
              for s, mode in enumerate(["once", "always"])]
    notes = []
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        outcomes, trained = runner.run_trials(trials, store=TrialStore(enabled=False), executor=pool,
                                              log=notes.append)  # no BrokenProcessPool raised here
    assert trained == 2
    assert not outcomes[0].failed  # killed once (the pool broke for good): its retry in a fresh process succeeded
    assert outcomes[1].failed and "killed" in outcomes[1].error
    assert any("failed" in n for n in notes)


def test_a_worker_running_other_code_is_refused():
    with pytest.raises(ConfigError, match="install the same atomlab on every worker"):
        runner._remote_job([], ("0.0.0", "0" * 16), None, "population", [], "cpu", [])


def test_executors_are_named_or_given_and_bad_ones_are_refused(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    assert resolve_executor(None) is None and resolve_executor("local") is None
    with pytest.raises(ConfigError, match="executor must be one of local, dask://HOST:PORT, slurm"):
        resolve_executor(object())
    with pytest.raises(ConfigError, match="unknown executor 'ray'"):
        resolve_executor("ray")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ConfigError, match="(sbatch|submitit)"):
        resolve_executor("slurm")
    assert worker_died(BrokenProcessPool()) and not worker_died(RuntimeError("a bug in a trial"))


def test_a_function_defined_in_main_cannot_go_to_worker_processes(monkeypatch):
    from atomlab.nn.activations import activations

    def main_act(x):
        return x

    main_act.__module__ = "__main__"
    monkeypatch.setitem(activations._entries, "main-act-test", main_act)
    trials = [Trial({}, 0, DataSpec("moons", {"n_train": 40, "n_test": 20}), MLPSpec(layers=(3,),
                                                                                      activation="main-act-test"),
                    TrainSpec(steps=2))]
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(ConfigError, match="defined in __main__"):
            runner.run_trials(trials, store=TrialStore(enabled=False), executor=pool)
