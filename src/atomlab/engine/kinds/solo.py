"""The ``solo`` trial kind: a population trial trained alone, to time one model without a population around it."""

from __future__ import annotations

import time

import torch

from atomlab.engine.outcome import Outcome
from atomlab.engine.population import Member, PopulationTrainer
from atomlab.engine.trial_kinds import register_trial_kind


@register_trial_kind("solo")
def run_solo(trials, datasets, *, device: str = "auto") -> list[Outcome]:
    """Train each trial alone (a population of one), so that its wall time is one model's time.

    A short untimed warm-up run of the same model comes first: a fresh worker process spends
    seconds on one-time set-up (libraries, kernels) that would otherwise be charged to the trial.
    The timed run uses one intra-op thread: a model this small cannot use more, and on a busy
    machine a second spinning thread makes it several times slower.

    Besides the wall time, the final row holds ``cpu_time``: the process's CPU seconds
    (:func:`time.process_time`) spent in the timed run. The wall time counts every moment the
    process waited for a core other processes held, so on a shared machine it measures the load as
    much as the model; the CPU time counts only the process's own work, and is the robust measure
    of what one model costs.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from atomlab.data import make_dataset
    >>> data = make_dataset("moons", n_train=40, n_test=20, random_state=0)
    >>> from atomlab.engine.spec import TrainSpec
    >>> from atomlab.nn import MLPSpec
    >>> trial = SimpleNamespace(levels={}, seed=0, model=MLPSpec(layers=(4,)), train=TrainSpec(steps=30), kind="solo")
    >>> out = run_solo([trial], [data])[0]
    >>> out.info["solo"], out.info["population_size"], out.final["step"]
    (True, 1, 30)
    >>> 0 < out.final["cpu_time"] < 60
    True
    """
    from dataclasses import replace

    outs = []
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        for t, d in zip(trials, datasets):
            warm = replace(t.train, steps=min(20, t.train.total_steps(d.n_train)), epochs=None,
                           record_every=None)
            PopulationTrainer([Member(t.model, warm, t.seed, d)], device=device).run()
            cpu = time.process_time()
            out = PopulationTrainer([Member(t.model, t.train, t.seed, d)], device=device).run()[0]
            cpu = time.process_time() - cpu
            if out.rows:
                out.rows[-1]["cpu_time"] = cpu
            outs.append(out)
    finally:
        torch.set_num_threads(threads)
    for out in outs:
        out.info["solo"] = True
    return outs
