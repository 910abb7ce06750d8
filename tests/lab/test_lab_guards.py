"""Bad input in Python is one ConfigError before training; the guards refuse plans too big to run;
``register_*`` never silently replaces a built-in nor accepts a non-callable."""

from __future__ import annotations

import pytest

import atomlab
from atomlab.engine import TrainSpec
from atomlab.errors import ConfigError
from atomlab.lab import DataSpec, Trial, runner
from atomlab.lab.api import run_experiment
from atomlab.lab.store import TrialStore
from atomlab.nn import MLPSpec


@pytest.fixture
def no_training(monkeypatch):
    """Any training fails the test: what is checked must be refused before it."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(runner, "_run_job", refuse)


TINY_DATA = {"name": "moons", "n_train": 40, "n_test": 20}


@pytest.mark.parametrize("call, named", [
    (lambda: atomlab.run(123), "123"),
    (lambda: atomlab.run("xor-depth", scale="smoke", workers=-1), "-1"),
    (lambda: atomlab.run("xor-depth", scale="smoke", seeds=True), "True"),
    (lambda: atomlab.run("xor-depth", scale="smoke", seeds=10**6), "1000000"),
    (lambda: atomlab.run("xor-depth", scale="smoke", steps=True), "True"),
    (lambda: atomlab.run("xor-depth", scale="smoke", steps=0), "0"),
    (lambda: atomlab.run("batch-size", scale="smoke", threshold=5), "5"),
    (lambda: atomlab.compare(dataset=TINY_DATA, vary={"activation": ["relu", "tanh"]}, train={"steps": 5}, seeds=0,
                             cache=False), "0"),
    (lambda: atomlab.compare(dataset=TINY_DATA, vary={"activation": ["relu", "tanh"]}, train={"steps": 5}, seeds=2,
                             metric="nosuch", cache=False), "nosuch"),
    (lambda: atomlab.compare(dataset=TINY_DATA, vary={"lr": [0.1, 0.01]}, train={"steps": 5, "epochs": None},
                             model={"layers": [10_000_000]}, seeds=2, cache=False), "10000000"),
])
def test_bad_python_input_is_one_config_error_before_training(call, named, no_training):
    with pytest.raises(ConfigError) as err:
        call()
    assert named in str(err.value)


def test_the_allowed_values_are_stated():
    exp = atomlab.get_experiment("batch-size")
    with pytest.raises(ConfigError, match=r"threshold \(in batch-size\) must be a number in \[0, 1\], got 5"):
        exp.config("smoke", {"threshold": "5"})
    assert exp.config("smoke", {"threshold": "0.7"})["threshold"] == 0.7
    with pytest.raises(ConfigError, match="known: abs, poly, sin"):
        atomlab.get_experiment("universal-approximation").config("smoke", {"function": "sin,nosuch"})
    with pytest.raises(ConfigError, match="seeds must be a whole number from 1 to 10,000, got -1"):
        exp.config("smoke", {"seeds": "-1"})


def test_an_arm_missing_from_an_entrys_table_is_named_with_the_declared_levels():
    exp = atomlab.get_experiment("batchnorm-surfaces")
    with pytest.raises(ConfigError, match=r"no arm for network='nosuch'; its declared levels are: plain"):
        exp.plan(exp.config("smoke", {"network": "plain,nosuch"}))


def test_mnist_entries_keep_zero_as_all_their_default_means():
    exp = atomlab.get_experiment("mnist-cnn")
    assert exp.config("smoke", {"n_test": "0"})["n_test"] == 0
    with pytest.raises(ConfigError, match="n_test must be a whole number from 1"):
        atomlab.get_experiment("activation-functions").config("smoke", {"n_test": "0"})


def test_a_huge_value_is_refused_before_it_is_parsed():
    exp = atomlab.get_experiment("activation-functions")
    for text in ("[" * 100_000, "1" * 100_000):
        with pytest.raises(ConfigError, match="100,000 characters long; at most 1,000"):
            exp.config("smoke", {"layers": text})


# -- registries -------------------------------------------------------------------------------------------

def test_registering_a_built_ins_name_needs_overwrite():
    from atomlab.nn.activations import activations

    builtin = activations.get("relu")
    with pytest.raises(ConfigError, match="activation 'relu' is already registered .*overwrite=True"):
        atomlab.register_activation("relu")(lambda x: x)
    assert activations.get("relu") is builtin
    try:
        atomlab.register_activation("relu", overwrite=True)(lambda x: x * 0)
        assert activations.get("relu") is not builtin
    finally:
        activations.register("relu", overwrite=True)(builtin)
    assert activations.get("relu") is builtin


def test_the_same_definition_registered_again_is_not_a_clash():
    def mish_guard_test(x):
        return x

    atomlab.register_activation("mish-guard-test")(mish_guard_test)
    atomlab.register_activation("mish-guard-test")(mish_guard_test)  # a re-run cell: same function

    def other(x):
        return -x

    with pytest.raises(ConfigError, match="already registered"):
        atomlab.register_activation("mish-guard-test")(other)


@pytest.mark.parametrize("register", [
    atomlab.register_activation, atomlab.register_initializer, atomlab.register_loss, atomlab.register_optimizer,
    atomlab.register_regularizer, atomlab.register_dataset,
    lambda name: runner.register_trial_kind(name),
])
@pytest.mark.parametrize("thing", [5, "relu", None])
def test_every_register_refuses_a_non_callable(register, thing):
    with pytest.raises(ConfigError, match=f"must be callable .*got {thing!r}"):
        register("not-callable-test")(thing)


# -- guards -----------------------------------------------------------------------------------------------

def _trials(layers, seeds=1, steps=10):
    data = DataSpec("moons", {"n_train": 40, "n_test": 20})
    return [Trial({}, s, data, MLPSpec(layers=layers), TrainSpec(steps=steps, lr=0.1)) for s in range(seeds)]


def test_a_plan_that_cannot_fit_in_memory_is_refused_even_when_forced(no_training):
    for force in (False, True):
        with pytest.raises(ConfigError) as err:
            runner.run_trials(_trials((100_000, 100_000)), store=TrialStore(enabled=False), workers=1, force=force)
        text = str(err.value)
        params = MLPSpec(layers=(100_000, 100_000)).n_params(input_dim=2, output_dim=2)  # moons: 2 in, 2 classes
        assert "cannot fit in memory" in text and f"{params:,} parameters" in text
        assert "--force does not override" in text and "layer widths to 100,000" in text


def test_the_memory_limit_is_the_workers_memory(monkeypatch, no_training):
    small = _trials((200, 200))
    need = runner.estimate_plan(small).member_bytes
    monkeypatch.setenv("ATOMLAB_MEMORY_GB", str(need / 2 / 2**30))
    with pytest.raises(ConfigError, match=r"more than the .* a worker may use \(\$ATOMLAB_MEMORY_GB"):
        runner.run_trials(small, store=TrialStore(enabled=False), workers=1)


def test_a_plan_over_the_time_guard_needs_force(monkeypatch):
    trials = _trials((4,), seeds=2, steps=20)
    estimate = runner.estimate_plan(trials)
    monkeypatch.setenv("ATOMLAB_TIME_LIMIT_HOURS", str(estimate.seconds / 2 / 3600))
    with pytest.raises(ConfigError) as err:
        runner.run_trials(trials, store=TrialStore(enabled=False), workers=1)
    assert "would train for about" in str(err.value) and "--force" in str(err.value)
    assert "seeds are limited to 10,000 per arm, steps and epochs to 100,000,000" in str(err.value)
    outcomes, trained = runner.run_trials(trials, store=TrialStore(enabled=False), workers=1, force=True)
    assert trained == 2 and all(not o.failed for o in outcomes)


def test_the_estimate_grows_with_the_plan():
    one = runner.estimate_plan(_trials((8,), seeds=1, steps=100))
    many = runner.estimate_plan(_trials((8,), seeds=8, steps=1000))
    wide = runner.estimate_plan(_trials((512, 512), seeds=1, steps=100))
    assert many.seconds > one.seconds and wide.member_bytes > one.member_bytes
    assert runner.estimate_plan(_trials((8,)), parallel=4).parallel == 4


def test_a_cached_plan_is_not_guarded(tmp_path, monkeypatch):
    trials = _trials((4,), seeds=2)
    store = TrialStore(tmp_path)
    runner.run_trials(trials, store=store, workers=1)
    monkeypatch.setenv("ATOMLAB_TIME_LIMIT_HOURS", "1e-12")  # nothing is left to train: nothing to refuse
    _, trained = runner.run_trials(trials, store=store, workers=1)
    assert trained == 0


def test_run_experiment_refuses_a_non_bool_force(tiny_experiment):
    with pytest.raises(ConfigError, match="force must be True or False"):
        run_experiment(tiny_experiment(), force="yes", report=False)
