"""Declaring, configuring, planning, caching and running experiments end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import atomlab
from atomlab.engine import TrainSpec
from atomlab.errors import ConfigError
from atomlab.lab import DataSpec, Experiment, Trend, Trial
from atomlab.lab.api import run_experiment
from atomlab.nn import MLPSpec


def tiny_experiment(lr_levels=(0.01, 0.05), activation="tanh") -> Experiment:
    def make_trial(cfg, levels, seed):
        return Trial(levels, seed, DataSpec("moons", {"n_train": 80, "n_test": 80}, seed=0),
                     MLPSpec(layers=(8, 8), activation=activation),
                     TrainSpec(optimizer="sgd", lr=levels["lr"], steps=cfg["steps"], batch_size=16))

    return Experiment(
        name="tiny", title="tiny", source="test", section="test", question="q", hypothesis="h", method="m",
        source_conclusion="c", settings={"lr": list(lr_levels), "steps": 30, "seeds": 3}, factors=["lr"],
        make_trial=make_trial, claims=[Trend("test_acc", "lr", "increasing")],
    )


def test_config_scales_overrides_and_errors():
    exp = tiny_experiment()
    cfg = exp.config("quick", {"steps": "40", "lr": "0.1,0.2"}, seeds=4)
    assert cfg["steps"] == 40 and cfg["lr"] == [0.1, 0.2] and cfg["seeds"] == 4
    with pytest.raises(ConfigError, match="did you mean 'steps'"):
        exp.config("quick", {"stpes": 3})
    with pytest.raises(ConfigError, match="known: paper, quick, smoke"):
        exp.config("huge")
    with pytest.raises(ConfigError, match="bad value for 'steps'"):
        exp.config("quick", {"steps": "lots"})


def test_plan_crosses_levels_and_seeds():
    exp = tiny_experiment()
    trials = exp.plan(exp.config("quick"))
    assert len(trials) == 2 * 3
    assert len({t.key for t in trials}) == 6
    assert trials[0].key == exp.plan(exp.config("quick"))[0].key  # stable hash


def test_run_writes_outputs_and_second_run_is_cached(tmp_path):
    exp = tiny_experiment()
    out = tmp_path / "out"
    first = run_experiment(exp, out=out, cache_dir=tmp_path / "cache", report=False, seeds=3)
    assert first.provenance["trials_trained"] == 6
    for name in ("results.csv", "final.csv", "verdict.json", "config.json"):
        assert (out / name).exists()
    verdict = json.loads((out / "verdict.json").read_text())
    assert verdict["experiment"] == "tiny" and verdict["verdict"] == first.verdict
    assert set(verdict["arms"]) == {"lr=0.01", "lr=0.05"}
    assert verdict["arms"]["lr=0.01"]["seeds"] == 3
    second = run_experiment(exp, out=out, cache_dir=tmp_path / "cache", report=False, seeds=3)
    assert second.provenance["trials_trained"] == 0
    assert second.final["test_acc"].tolist() == first.final["test_acc"].tolist()
    third = run_experiment(exp, out=out, cache_dir=tmp_path / "cache", report=False, cache=False, seeds=3)
    assert third.provenance["trials_trained"] == 6
    assert third.final["test_acc"].tolist() == first.final["test_acc"].tolist()  # reproducible


def test_diverging_arm_is_recorded_and_others_untouched(tmp_path):
    exp = tiny_experiment(lr_levels=(0.01, 0.05, 1e9), activation="relu")
    result = run_experiment(exp, cache_dir=tmp_path, report=False)
    big = result.final[result.final["lr"] == 1e9]
    small = result.final[result.final["lr"] != 1e9]
    assert big["diverged"].all() and big["diverged_step"].notna().all()
    assert not small["diverged"].any() and small["test_acc"].notna().all()
    alone = run_experiment(tiny_experiment(activation="relu"), cache_dir=tmp_path / "other", report=False)
    assert sorted(alone.final["test_acc"]) == sorted(small["test_acc"])


def test_compare_a_registered_activation(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("ATOMLAB_CACHE", str(tmp_path))

    @atomlab.register_activation("mish-test", overwrite=True)
    def mish(x):
        return x * torch.tanh(torch.nn.functional.softplus(x))

    result = atomlab.compare(dataset={"name": "surface2d", "function": "sine", "n_train": 300, "n_test": 300},
                             vary={"activation": ["relu", "mish-test"]}, model={"layers": [8, 8]},
                             train={"steps": 40, "lr": 0.01}, seeds=2, device="cpu")
    assert set(result.final["activation"]) == {"relu", "mish-test"}
    assert len(result.claims) == 1 and result.claims[0].verdict in ("supported", "refuted", "inconclusive")


def test_unknown_experiment_name_is_helpful():
    with pytest.raises(ConfigError, match="did you mean 'universal-approximation'"):
        atomlab.run("universal-aproximation")


def test_redefining_a_user_activation_changes_the_cache_key():
    import torch

    from atomlab.lab import DataSpec, Trial

    @atomlab.register_activation("cache-key-test", overwrite=True)
    def first(x):
        return torch.tanh(x)

    trial = Trial({}, 0, DataSpec("moons"), MLPSpec(layers=(4,), activation="cache-key-test"),
                  TrainSpec(steps=5))
    key1 = trial.key

    @atomlab.register_activation("cache-key-test", overwrite=True)
    def second(x):
        return torch.relu(x)

    assert trial.key != key1
    builtin = Trial({}, 0, DataSpec("moons"), MLPSpec(layers=(4,), activation="relu"), TrainSpec(steps=5))
    assert builtin.key == Trial({}, 0, DataSpec("moons"), MLPSpec(layers=(4,), activation="relu"),
                                TrainSpec(steps=5)).key


def test_a_change_to_the_training_code_changes_the_cache_key(monkeypatch):
    from atomlab.lab import DataSpec, Trial
    from atomlab.lab import trial as trial_module

    trial = Trial({}, 0, DataSpec("moons"), MLPSpec(layers=(4,), activation="relu"), TrainSpec(steps=5))
    before = trial.key
    monkeypatch.setattr(trial_module, "engine_fingerprint", lambda: "an-edited-optimizer")
    assert trial.key != before
    # the fingerprint reads the optimisers' source: the file that held the momentum bug is covered
    covered = set(trial_module.training_modules())
    assert {"atomlab.nn.optimizers", "atomlab.engine.population", "atomlab.engine.kinds.cnn_module",
            "atomlab.nn.cnn", "atomlab.lab.data"} <= covered
    # figures, reports, claims, the CLI and the catalog are not training code
    assert not any(m.startswith(("atomlab.viz", "atomlab.cli", "atomlab.catalog", "atomlab.lab.claims"))
                   for m in covered)
    # every trial kind, data set and loss atomlab ships is defined in a covered module, and none in the catalog
    from atomlab.data import datasets
    from atomlab.nn import losses

    atomlab._load_catalog()
    for registry in (_registered_kinds(), {n: datasets.get(n) for n in datasets}, {n: losses.get(n) for n in losses}):
        for name, obj in registry.items():
            module = getattr(obj, "__module__", "") or ""
            assert not module.startswith("atomlab.catalog"), (name, module)
            if module.startswith("atomlab."):
                assert module in covered, (name, module)


def _registered_kinds():
    from atomlab.lab.runner import trial_kinds

    return {name: trial_kinds.get(name) for name in trial_kinds}


def test_derived_columns_are_in_final_csv_before_claims_and_figures(tmp_path):
    """The derive hook runs once per trial, before the claims and before final.csv is written."""
    result = atomlab.run("regularization", scale="smoke", cache=False, out=tmp_path, report=False)
    derived = result.final.attrs["derived"]
    assert {"mean_abs_w", "frac_near_zero"} <= set(derived)
    on_disk = pd.read_csv(tmp_path / "final.csv")
    assert set(derived) <= set(on_disk.columns)
    assert np.allclose(on_disk["mean_abs_w"], result.final["mean_abs_w"])
    # the claims read the derived column: their per-arm means are those of the file
    trend = result.claims[0]
    assert trend.tests and all(t.n_seeds == result.config["seeds"] for t in trend.tests)


def test_derive_skips_diverged_trials_and_fills_nan():
    from atomlab.engine.outcome import Outcome
    from atomlab.lab.result import final_table
    from atomlab.lab.trial import DataSpec, Trial

    calls = []

    def derive(trial, outcome):
        calls.append(trial.seed)
        return {"double": 2 * outcome.final["train_loss"]}

    trials = [Trial({"lr": 1}, s, DataSpec("moons"), {}) for s in range(3)]
    outs = [Outcome(rows=[{"step": 5, "train_loss": 0.5}]), Outcome(rows=[{"step": 5, "train_loss": 1e9}],
                                                                     diverged_step=3),
            Outcome(rows=[{"step": 5, "train_loss": 0.25}])]
    final = final_table(trials, outs, derive=derive)
    assert calls == [0, 2]
    assert final["double"].tolist()[0] == 1.0 and np.isnan(final["double"][1]) and final["double"][2] == 0.5
