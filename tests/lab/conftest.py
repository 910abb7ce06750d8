"""Fixtures of the lab's tests."""

from __future__ import annotations

import pytest

from atomlab.engine import TrainSpec
from atomlab.lab import DataSpec, Experiment, Trend, Trial
from atomlab.nn import MLPSpec


@pytest.fixture
def tiny_experiment():
    """A factory of a six-trial experiment (two learning rates x three seeds of a small MLP on moons; ~1 s)."""

    def make(lr_levels=(0.01, 0.05), activation="tanh", name="tiny") -> Experiment:
        def make_trial(cfg, levels, seed):
            return Trial(levels, seed, DataSpec("moons", {"n_train": 80, "n_test": 80}, seed=0),
                         MLPSpec(layers=(8, 8), activation=activation),
                         TrainSpec(optimizer="sgd", lr=levels["lr"], steps=cfg["steps"], batch_size=16))

        return Experiment(
            name=name, title=name, source="test", section="test", question="q", hypothesis="h", method="m",
            source_conclusion="c", settings={"lr": list(lr_levels), "steps": 30, "seeds": 3}, factors=["lr"],
            make_trial=make_trial, claims=[Trend("test_acc", "lr", "increasing")],
        )

    return make
