"""How the runner cuts a plan into jobs: kinds' own cost estimates, and the longest jobs first."""

from __future__ import annotations

import pytest

from atomlab.catalog.from_scratch._recipe import moons_data, scratch_trial
from atomlab.engine.kinds.scratch_net import stack_step_seconds
from atomlab.engine.trial_kinds import trial_kind_step_seconds
from atomlab.errors import ConfigError
from atomlab.lab import runner
from atomlab.lab.data import materialize

CFG = {"n_train": 200, "n_test": 50, "noise": 0.2}


def _scratch(layers, seeds, passes=20_000, kind="scratch"):
    trials = [scratch_trial({"layers": str(layers)}, s, moons_data(CFG, s), layers, "tanh", passes=passes, lr=2.0,
                            reg_lambda=1e-4, engine=kind) for s in range(seeds)]
    return trials, {i: materialize(t.data) for i, t in enumerate(trials)}


def _jobs(trials, data):
    idx = list(range(len(trials)))
    work = {i: runner._work(trials[i], data[i]) for i in idx}
    return runner._make_jobs(idx, trials, data, work, 2), work


def test_a_cheap_stack_stays_one_job_and_an_expensive_one_is_cut_within_the_job_limit():
    small, small_data = _scratch([3], 10)
    jobs, _ = _jobs(small, small_data)
    # ten 2-3-2 networks x 20,000 passes: a few seconds as one stack, so one job per worker (a millisecond
    # per trial and step, the guess for kinds without an estimate, made it 200 s and cut it into pairs)
    assert [len(idx) for _, idx in jobs] == [5, 5]
    wide, wide_data = _scratch([20, 20, 20, 20], 10, passes=40_000)
    jobs, work = _jobs(wide, wide_data)
    assert len(jobs) > 1 and sorted(i for _, idx in jobs for i in idx) == list(range(10))
    limit = runner.job_seconds()
    # each part holds at most its share of the whole group's estimate, which is above the limit
    assert runner._job_seconds("scratch", list(range(10)), wide, wide_data, work) > limit
    assert all(runner._job_seconds(k, idx, wide, wide_data, work) <= 1.05 * limit for k, idx in jobs)


def test_a_kinds_own_step_seconds_decides_its_cut(monkeypatch):
    trials, data = _scratch([3], 8)
    monkeypatch.setitem(trial_kind_step_seconds, "scratch", lambda ts, ds: 1e-4 * len(ts) ** 0.5)
    jobs, _ = _jobs(trials, data)
    assert sorted(len(idx) for _, idx in jobs) == [4, 4]  # 4 s a half: one job per worker
    monkeypatch.setitem(trial_kind_step_seconds, "scratch", lambda ts, ds: 1.4e-3 * len(ts) ** 0.5)
    jobs, _ = _jobs(trials, data)
    assert sorted(len(idx) for _, idx in jobs) == [1] * 8  # a pair: 28 s x 2 ** 0.5 = 40 s, over the 30 s limit
    monkeypatch.delitem(trial_kind_step_seconds, "scratch")
    jobs, _ = _jobs(trials, data)
    assert sorted(len(idx) for _, idx in jobs) == [1] * 8  # the default guess: 20 s a trial


@pytest.mark.parametrize("bad", [float("nan"), -1.0, "fast", None, float("inf")])
def test_a_step_seconds_that_is_not_a_time_is_one_clear_error_before_training(monkeypatch, bad):
    trials, data = _scratch([3], 4)
    monkeypatch.setitem(trial_kind_step_seconds, "scratch", lambda ts, ds: bad)
    with pytest.raises(ConfigError, match=r"trial kind 'scratch': its step_seconds returned .*finite number >= 0"):
        _jobs(trials, data)


def test_jobs_start_longest_first():
    trials, data = _scratch([3], 4)
    more, more_data = _scratch([20, 20, 20, 20], 4, passes=5_000)
    autograd, autograd_data = _scratch([3], 3, passes=2_000, kind="autograd")
    everything = trials + more + autograd
    data_all = {i: d for i, d in enumerate([*data.values(), *more_data.values(), *autograd_data.values()])}
    jobs, work = _jobs(everything, data_all)
    seconds = [runner._job_seconds(k, idx, everything, data_all, work) for k, idx in jobs]
    assert seconds == sorted(seconds, reverse=True) and len(set(seconds)) > 1
    assert jobs[0][0] == "scratch" and everything[jobs[0][1][0]].model.layers == (20, 20, 20, 20)


def test_stack_estimate_grows_with_members_less_than_in_proportion():
    trials, data = _scratch([3], 10)
    one = stack_step_seconds(trials[:1], [data[0]])
    ten = stack_step_seconds(trials, list(data.values()))
    assert one < ten < 10 * one
    wide, wide_data = _scratch([20, 20, 20, 20], 1)
    assert stack_step_seconds(wide, [wide_data[0]]) > 2 * one
    assert ten == pytest.approx(stack_step_seconds(trials[:5], list(data.values())[:5]) * 2, rel=0.5)
