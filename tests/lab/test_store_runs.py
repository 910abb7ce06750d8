"""Runs on the trial store: a kill loses nothing finished, two runs train each trial once, a killed worker
costs one retry, ``--out`` is checked and locked before training, results respect the umask, and the runs
are records (``atomlab runs``, ``atomlab report RUN``, ``atomlab store gc``)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import atomlab
from atomlab.cli import main
from atomlab.errors import ConfigError
from atomlab.lab import runner
from atomlab.lab import store as store_mod
from atomlab.lab.api import run_experiment
from atomlab.lab.outdir import OutDirLock
from atomlab.lab.store import TrialStore

SRC = str(Path(__file__).resolve().parents[2] / "src")


def env(store: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg", "ATOMLAB_CACHE": str(store),
            "ATOMLAB_WORKERS": "1", **extra}


def trial_rows(store: Path) -> dict[str, tuple[str, float]]:
    """key -> (status, created) of every trial row, read as any other process could (empty while there is none)."""
    try:
        with sqlite3.connect(f"file:{store / store_mod.STORE_FILE}?mode=ro", uri=True) as conn:
            return {k: (s, c) for k, s, c in conn.execute("SELECT key, status, created FROM trials")}
    except sqlite3.Error:  # not created yet
        return {}


# -- never lose work ------------------------------------------------------------------------------------

def test_a_run_killed_mid_way_resumes_without_retraining_or_losing_anything(tmp_path):
    store, out = tmp_path / "store", tmp_path / "out"
    cmd = [sys.executable, "-m", "atomlab.cli", "run", "universal-approximation", "--scale", "smoke", "--out",
           str(out), "--quiet"]
    # Three populations of six trials: the kill lands after the first is written.
    child = subprocess.Popen(cmd, env=env(store), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    done: dict = {}
    while time.monotonic() < deadline and child.poll() is None:
        done = {k: v for k, v in trial_rows(store).items() if v[0] == "done"}
        if done:
            break
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = {k: v for k, v in trial_rows(store).items() if v[0] == "done"}
    assert 0 < len(before) < 18, "the kill must land mid-way (18 trials at smoke scale)"

    atomlab._load_catalog()
    resumed = run_experiment("universal-approximation", scale="smoke", out=out, cache_dir=store, report=False)
    after = trial_rows(store)
    assert len(after) == 18 and {s for s, _ in after.values()} == {"done"}  # no claim left behind
    assert all(after[k] == v for k, v in before.items())  # nothing finished was trained (written) again
    final = pd.read_csv(out / "final.csv")
    assert len(final) == 18 and final["trial"].is_unique and set(final["trial"]) == set(after)
    runs = TrialStore(store).runs()
    assert [r["status"] for r in runs] == ["finished", "killed"]
    assert (runs[0]["trained"], runs[0]["reused"]) == (18 - len(before), len(before))
    assert resumed.provenance["trials_trained"] == 18 - len(before)


def test_a_run_waits_for_the_trials_another_run_is_training_and_reads_them(tmp_path, monkeypatch):
    """Deterministic: run B starts while run A holds its claims, so B must wait for A, then read A's results."""
    import threading

    from atomlab.engine.outcome import Outcome
    from atomlab.lab import DataSpec, Trial, register_trial_kind

    trainings, release = [], threading.Event()

    @register_trial_kind("gated", overwrite=True)
    def gated(trials, datasets, device="auto"):
        release.wait(30)
        trainings.extend(t.key for t in trials)
        return [Outcome(rows=[{"step": 1, "test_acc": t.seed / 10}]) for t in trials]

    monkeypatch.setattr(runner, "POLL_SECONDS", 0.02)
    trials = [Trial({}, s, DataSpec("moons", {"n_train": 20}), {}, None, kind="gated") for s in range(5)]
    results, logs = {}, []

    def run(name):
        results[name] = runner.run_trials(trials, store=TrialStore(tmp_path), workers=1, log=logs.append)

    a = threading.Thread(target=run, args=("a",))
    a.start()
    while len(trial_rows(tmp_path)) < 5:  # A's claims are in
        time.sleep(0.01)
    b = threading.Thread(target=run, args=("b",))
    b.start()
    while not any("waiting for 5 trial(s) that another run is training" in line for line in logs):
        time.sleep(0.01)
    release.set()
    a.join(30)
    b.join(30)
    assert sorted(trainings) == sorted(t.key for t in trials)  # each trained once, by A
    assert results["a"][1] == 5 and results["b"][1] == 0
    assert [o.rows for o in results["b"][0]] == [o.rows for o in results["a"][0]]


COUNTED = '''
import os, sys, time
from atomlab.engine.outcome import Outcome
from atomlab.lab import DataSpec, Experiment, Trend, Trial, register_trial_kind
from atomlab.lab.api import run_experiment

COUNTER = sys.argv[3]

@register_trial_kind("counted", overwrite=True)
def counted(trials, datasets, device="auto"):
    outs = []
    for t in trials:
        with open(COUNTER, "a") as fh:  # one line per training, from whichever process trains it
            fh.write(f"{t.key} {os.getpid()}\\n")
        time.sleep(0.05)
        outs.append(Outcome(rows=[{"step": 1, "score": t.model["a"] + t.seed / 100}]))
    return outs

exp = Experiment(name="counted", title="counted", source="test", section="test", question="q", hypothesis="h",
                 method="m", source_conclusion="c", settings={"a": [1, 2, 3], "seeds": 4}, factors=["a"],
                 make_trial=lambda cfg, levels, seed: Trial(levels, seed, DataSpec("moons", {"n_train": 20}),
                                                            {"a": levels["a"]}, None, kind="counted"),
                 claims=[Trend("score", "a", "increasing")], metric="score")
result = run_experiment(exp, out=sys.argv[1], cache_dir=sys.argv[2], report=False, workers=1)
print(result.provenance["trials_trained"], result.final["score"].tolist())
'''


def test_two_concurrent_runs_on_one_store_train_each_trial_once(tmp_path):
    script, counter = tmp_path / "counted.py", tmp_path / "trainings.txt"
    script.write_text(COUNTED)
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path / f"out{n}"), str(tmp_path / "store"),
                               str(counter)], env=env(tmp_path / "store"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in (0, 1)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    trainings = counter.read_text().split()[::2]
    assert len(trainings) == 12 and len(set(trainings)) == 12  # 3 levels x 4 seeds, each trained once
    trained = sorted(int(out.split()[0]) for out, _ in outputs)
    assert sum(trained) == 12
    assert outputs[0][0].split(" ", 1)[1] == outputs[1][0].split(" ", 1)[1]  # both runs see the same numbers


SUICIDAL = '''
import os, signal, time
from pathlib import Path
from atomlab.engine.outcome import Outcome
from atomlab.lab.runner import register_trial_kind

@register_trial_kind("suicidal", overwrite=True)
def suicidal(trials, datasets, device="auto"):
    outs = []
    for t in trials:
        marker = Path(t.model["marker"])
        if t.model["mode"] == "always":
            # wait (a while) for the "once" trial to start: had this one broken the pool first, the "once"
            # trial would meet its first kill in its retry, and the test would depend on timing
            deadline = time.monotonic() + 60
            while not Path(t.model["wait_for"]).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        if t.model["mode"] == "always" or (t.model["mode"] == "once" and not marker.exists()):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        outs.append(Outcome(rows=[{"step": 1, "test_acc": 0.5 + t.model["a"] / 10 + t.seed / 100}]))
    return outs
'''


def test_a_killed_worker_is_retried_once_then_its_trials_fail_and_the_run_goes_on(tmp_path, monkeypatch):
    from atomlab.lab import DataSpec, Experiment, Trend, Trial

    (tmp_path / "atomlab_test_suicidal.py").write_text(SUICIDAL)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers import it from the same path
    __import__("atomlab_test_suicidal")
    monkeypatch.setattr(runner, "PARALLEL_MIN_SECONDS", 0.0)

    def make_trial(cfg, levels, seed):
        mode = {(2, 0): "once", (2, 1): "always"}.get((levels["a"], seed), "never")
        return Trial(levels, seed, DataSpec("moons", {"n_train": 20}),
                     {"a": levels["a"], "mode": mode, "marker": str(tmp_path / f"killed-{levels['a']}-{seed}"),
                      "wait_for": str(tmp_path / "killed-2-0")},
                     None, kind="suicidal")

    exp = Experiment(name="suicidal", title="t", source="test", section="test", question="q", hypothesis="h",
                     method="m", source_conclusion="c", settings={"a": [1, 2], "seeds": 2}, factors=["a"],
                     make_trial=make_trial, claims=[Trend("test_acc", "a", "increasing")])
    with pytest.warns(RuntimeWarning, match=r"1 trial\(s\) failed .*killed twice.*a=2 seed 1"):
        result = run_experiment(exp, out=tmp_path / "out", cache_dir=tmp_path / "store", report=False, workers=2,
                                seeds=2)
    final = pd.read_csv(tmp_path / "out" / "final.csv")
    failed = final[final["failed"]]
    assert list(zip(failed["a"], failed["seed"])) == [(2, 1)] and failed["test_acc"].isna().all()
    assert "BrokenProcessPool" in failed["error"].iloc[0]
    assert final[~final["failed"]]["test_acc"].notna().all()  # the once-killed trial succeeded on its retry
    assert (tmp_path / "killed-2-0").exists()
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text())
    assert verdict["failed_trials"] == 1 and verdict["provenance"]["failed_trials"][0]["seed"] == 1
    assert result.claims[0].tests[0].n_seeds == 1  # a=2 kept one seed: the failed one is out of the statistics
    store = TrialStore(tmp_path / "store")
    assert store.get(result.trials[3].key) is None  # recorded as failed, never served: the next run retries it


def test_long_jobs_are_split_to_about_half_a_minute_each(monkeypatch):
    from atomlab.engine import TrainSpec
    from atomlab.lab import DataSpec, Trial
    from atomlab.lab.data import materialize
    from atomlab.nn import MLPSpec

    def population(n, steps, width):
        trials = [Trial({}, s, DataSpec("moons", {"n_train": 200, "n_test": 50}),
                        MLPSpec(layers=(width, width)), TrainSpec(steps=steps, lr=0.1, batch_size=None))
                  for s in range(n)]
        data = {i: materialize(t.data) for i, t in enumerate(trials)}
        work = {i: runner._work(t, data[i]) for i, t in enumerate(trials)}
        return trials, data, work

    def estimate(trials, data, work, idx):
        steps = max(work[i] for i in idx)
        return steps * 1e-4 + steps * len(idx) * max(runner._member_step_seconds(trials[i], data[i]) for i in idx)

    trials, data, work = population(64, 30_000, 32)  # members' arithmetic dominates: split until each fits
    whole = [("population", list(range(64)))]
    assert estimate(trials, data, work, whole[0][1]) > 60
    jobs = runner._split_long_jobs(whole, trials, data, work, 30.0)
    assert sorted(i for _, idx in jobs for i in idx) == list(range(64)) and len(jobs) > 2
    assert all(estimate(trials, data, work, idx) <= 30.0 for _, idx in jobs)
    # A tenth of the time is per-step overhead, which every part pays again: split only while that adds at
    # most a quarter to the population's time (three parts here, not the nineteen that would fit 30 s).
    trials, data, work = population(24, 200_000, 32)
    jobs = runner._split_long_jobs([("population", list(range(24)))], trials, data, work, 30.0)
    total = sum(estimate(trials, data, work, idx) for _, idx in jobs)
    assert len(jobs) == 3 and total <= 1.25 * estimate(trials, data, work, list(range(24)))
    small = runner._split_long_jobs(whole, *population(64, 50, 32), 30.0)
    assert small == whole
    monkeypatch.setenv("ATOMLAB_JOB_SECONDS", "2.5")
    assert runner.job_seconds() == 2.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        monkeypatch.setenv("ATOMLAB_JOB_SECONDS", bad)
        with pytest.raises(ConfigError, match=f"ATOMLAB_JOB_SECONDS='{bad}' is not allowed"):
            runner.job_seconds()


# -- --out: checked and locked before training, and the umask --------------------------------------------

def forbid_training(monkeypatch) -> None:
    def trained(*args, **kwargs):
        raise AssertionError("trained before the output folder was checked")

    monkeypatch.setattr(runner, "_train", trained)


@pytest.mark.parametrize("case", ["a file", "under a file", "too long", "not UTF-8", "read-only"])
def test_a_bad_out_is_refused_before_training_with_exit_2(tmp_path, monkeypatch, capsys, case):
    forbid_training(monkeypatch)
    (tmp_path / "file").write_text("x")
    ro = tmp_path / "ro"
    ro.mkdir()
    if case == "read-only":
        if os.geteuid() != 0:
            ro.chmod(0o555)
        elif subprocess.run(["chattr", "+i", str(ro)], capture_output=True).returncode != 0:
            pytest.skip("root, on a file system without chattr +i")
    out = {"a file": tmp_path / "file", "under a file": tmp_path / "file" / "run", "too long": tmp_path / ("x" * 300),
           "not UTF-8": Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff")), "read-only": ro / "run"}[case]
    try:
        code = main(["run", "universal-approximation", "--scale", "smoke", "--out", str(out), "--quiet"])
    finally:
        if case == "read-only":
            subprocess.run(["chattr", "-i", str(ro)], capture_output=True)
            ro.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot write results to" in err and out.name[:3] in err
    assert not (tmp_path / "store").exists()


HOLDER = """
import fcntl, json, os, socket, sys, time
fd = os.open(os.path.join(sys.argv[1], ".atomlab.lock"), os.O_RDWR | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": "then"}).encode())
print("locked", flush=True)
time.sleep(120)
"""


def test_a_second_run_on_the_same_out_is_refused_and_a_dead_owners_lock_is_taken_over(tmp_path, monkeypatch,
                                                                                       capsys):
    out = tmp_path / "out"
    forbid_training(monkeypatch)
    with OutDirLock(out):  # a run of this process holds it
        code = main(["run", "universal-approximation", "--scale", "smoke", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and f"is being written by another atomlab run (pid {os.getpid()} on host" in err
    assert not (out / ".atomlab.lock").exists()  # released with the run

    # A run killed while it holds the lock (a bare process holding the same flock, so the test starts fast).
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=f"pid {holder.pid} on host"):
            OutDirLock(out).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with OutDirLock(out) as lock:  # the kernel dropped the dead run's lock
        assert lock.previous["pid"] == holder.pid


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_result_files_respect_the_umask(tmp_path, umask, tiny_experiment):
    old = os.umask(umask)
    try:
        run_experiment(tiny_experiment(), out=tmp_path / "out", cache_dir=tmp_path / "store", report=False)
        (tmp_path / "plain").write_text("opened the usual way")
    finally:
        os.umask(old)
    expected = (tmp_path / "plain").stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    for name in ("results.csv", "final.csv", "verdict.json", "config.json"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == expected, name


# -- runs are records ---------------------------------------------------------------------------------

def test_runs_are_listed_rebuilt_without_training_and_collected(tmp_path, monkeypatch, capsys, tiny_experiment):
    from atomlab.lab.experiment import experiments

    exp = tiny_experiment(name="tiny-store-runs")
    monkeypatch.setitem(experiments._entries, "tiny-store-runs", exp)
    store = tmp_path / "store"
    monkeypatch.setenv("ATOMLAB_CACHE", str(store))
    first = run_experiment("tiny-store-runs", out=tmp_path / "a", report=False, seeds=3)
    second = run_experiment("tiny-store-runs", out=tmp_path / "b", report=False, seeds=3)

    assert main(["runs", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [second.provenance["run_id"], first.provenance["run_id"]]
    assert [(r["trained"], r["reused"], r["trials"], r["verdict"]) for r in listed] == [
        (0, 6, 6, second.verdict), (6, 0, 6, first.verdict)]
    assert main(["runs"]) == 0
    table = capsys.readouterr().out
    assert first.provenance["run_id"] in table and "tiny-store-runs" in table

    train, version = runner._train, store_mod.__version__
    forbid_training(monkeypatch)
    for ref in (first.provenance["run_id"], str(tmp_path / "a")):
        assert main(["report", ref, "--out", str(tmp_path / "rebuilt")]) == 0
        assert "without training" in capsys.readouterr().out
        assert (pd.read_csv(tmp_path / "rebuilt" / "final.csv").equals(pd.read_csv(tmp_path / "a" / "final.csv")))
        rebuilt = json.loads((tmp_path / "rebuilt" / "verdict.json").read_text())
        assert rebuilt["verdict"] == first.verdict and rebuilt["provenance"]["rebuilt_from_run"]
    assert main(["report", "no-such-run"]) == 2  # neither a run nor an atlas folder

    # Records of another version: kept by a dry run, removed by gc; the runs of that version go with them.
    monkeypatch.setattr(runner, "_train", train)
    monkeypatch.setattr(store_mod, "__version__", "0.0.0-old")
    run_experiment("tiny-store-runs", cache=False, report=False, seeds=3)
    monkeypatch.setattr(store_mod, "__version__", version)
    legacy = store / "trials" / "ab" / "ab12cd34ef567890.pkl"  # a file of the old pickle cache
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"never opened")
    assert main(["store", "gc", "--dry-run", "--format", "json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["trials_removed"]["other_version"] == 6 and dry["runs_removed"] == 1 and dry["legacy_pickles"] == 1
    assert len(trial_rows(store)) == 6 and legacy.exists()  # a dry run removes nothing
    assert main(["store", "gc"]) == 0
    assert "removed 6 trial records" in capsys.readouterr().out
    assert trial_rows(store) == {} and len(TrialStore(store).runs()) == 2 and not (store / "trials").exists()
    assert main(["report", first.provenance["run_id"], "--out", str(tmp_path / "again")]) == 2
    assert "no longer in the store" in capsys.readouterr().err


def test_the_allocator_the_training_ran_with_is_in_the_provenance(tiny_experiment, tmp_path):
    from atomlab.engine.allocator import allocator_in_use

    result = run_experiment(tiny_experiment(), cache=False, report=False, cache_dir=tmp_path / "store",
                            out=tmp_path / "out", workers=1)
    assert result.provenance["allocator"] == allocator_in_use()
    if sys.platform.startswith("linux") and not os.environ.get("ATOMLAB_MALLOC"):
        assert result.provenance["allocator"] == "glibc, thresholds raised"  # the run set it before training
    assert json.loads((tmp_path / "out" / "verdict.json").read_text())["provenance"]["allocator"] == allocator_in_use()
