"""The trial-kind registry and the built-in kinds, driven without the lab (a trial is anything with
``levels``, ``seed``, ``model``, ``train`` and ``kind``)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from atomlab.data import make_dataset, with_domain
from atomlab.engine import Member, PopulationTrainer, TrainSpec
from atomlab.engine.kinds import conv_arithmetic, ordered_sgd, scratch_net, sklearn_estimators
from atomlab.engine.kinds.cnn_module import train_cnn_trial
from atomlab.engine.trial_kinds import register_trial_kind, trial_kind_groups, trial_kinds
from atomlab.errors import ConfigError
from atomlab.nn import MLPSpec


def trial(model, train=None, seed=0, kind="population", **levels):
    return SimpleNamespace(levels=levels, seed=seed, model=model, train=train, kind=kind)


def test_builtin_kinds_load_on_first_lookup_in_a_fresh_process():
    code = ("import sys; from atomlab.engine.trial_kinds import trial_kinds; "
            "assert 'atomlab.engine.kinds.scratch_net' not in sys.modules; "
            "print(sorted(trial_kinds))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == sorted(["conv_arithmetic", "module", "ordered_sgd", "population_probed", "scratch",
                                "scratch_autograd", "scratch_nudged", "scratch_relu0", "sklearn", "solo"])


def test_registering_a_kind_records_its_grouping():
    def run(trials, datasets, *, device="auto"):
        return []

    register_trial_kind("grouped-test-kind", overwrite=True, group_by=lambda t, d: t.seed)(run)
    assert trial_kinds.get("grouped-test-kind") is run and trial_kind_groups["grouped-test-kind"](trial({}), None) == 0
    register_trial_kind("grouped-test-kind", overwrite=True)(run)
    assert "grouped-test-kind" not in trial_kind_groups
    with pytest.raises(ConfigError, match="did you mean 'scratch'"):
        trial_kinds.get("scrach")


def test_sklearn_subsample_is_nested_and_seeded():
    a, b = sklearn_estimators.subsample(1000, 50, seed=1), sklearn_estimators.subsample(1000, 400, seed=1)
    assert np.array_equal(a, b[:50]) and len(set(b)) == 400
    assert not np.array_equal(a, sklearn_estimators.subsample(1000, 50, seed=2))
    with pytest.raises(ConfigError, match="subsample of 2000"):
        sklearn_estimators.subsample(1000, 2000, seed=0)


def test_sklearn_kind_fits_the_subsample_and_caps_an_mlp_by_its_recipe():
    data = make_dataset("moons", n_train=200, n_test=100, noise=0.1, random_state=0)
    t = trial(sklearn_estimators.sklearn_model("mlp", n_train=60, hidden_layer_sizes=(8,)),
              sklearn_estimators.mlp_classifier_recipe(max_iter=5), seed=3, kind="sklearn")
    svm = trial(sklearn_estimators.sklearn_model("svm", n_train=60), seed=3, kind="sklearn")
    out, fit = trial_kinds.get("sklearn")([t, svm], [data, data])
    assert out.final["n_train"] == 60 and out.final["n_iter"] <= 5
    assert fit.final["n_train"] == 60 and fit.final["test_acc"] > 0.8
    again = trial_kinds.get("sklearn")([t], [data])[0]
    assert again.final == out.final  # seeded: the same fit
    with pytest.raises(ConfigError, match="unknown estimator"):
        sklearn_estimators.sklearn_model("forest")


def test_module_trials_are_seeded_and_leave_global_rng_alone():
    tiny = make_dataset("mnist", source="subset", subset=[128, 64], normalize=True, random_state=0)
    model = {"name": "small_cnn", "dropout": 0.5, "channels": [4, 8], "hidden": 16, "threads": 1}
    train = TrainSpec(optimizer="adam", lr=0.01, batch_size=32, steps=6, sampling="shuffle")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = train_cnn_trial(trial(model, train, seed=7, kind="module"), tiny, device="cpu")
    assert torch.equal(torch.rand(3), expected)
    b = train_cnn_trial(trial(model, train, seed=7, kind="module"), tiny, device="cpu")
    c = train_cnn_trial(trial(model, train, seed=8, kind="module"), tiny, device="cpu")
    assert a.rows == b.rows and all(np.array_equal(a.state[k], b.state[k]) for k in a.state)
    assert not np.array_equal(a.state["0.weight"], c.state["0.weight"])
    assert a.final["n_params"] > 0


def _scratch_trial(seed, layers, activation, *, passes=60, kind="scratch", grid=None):
    model = MLPSpec(layers=tuple(layers), activation=activation, init="lecun_normal", bias_init="zeros")
    train = TrainSpec(optimizer="sgd", lr=2.0, batch_size=None, steps=passes, loss="cross_entropy",
                      regularizer="l2_sum", reg_lambda=2.5e-5, grid=grid, record_every=20, dtype="float64")
    return trial(model, train, seed=seed, kind=kind)


def _moons(seed):
    return with_domain(make_dataset("moons", n_train=200, n_test=200, noise=0.2, random_state=seed),
                       box=[[-2.0, 3.0], [-1.5, 2.0]])


def test_scratch_matches_the_population_engine_step_for_step():
    """The hand-derived NumPy backprop and PyTorch's autograd take the same steps from the same weights."""
    data = _moons(3)
    t = _scratch_trial(3, [3, 3], "tanh")
    w0, _ = scratch_net.initial_params(t.model, 2, 2, 3)
    assert np.array_equal(w0[0], t.model.init_params(2, 2, 3)[0][0].numpy())
    numpy_out = scratch_net.train_scratch(t, data)
    torch_out = PopulationTrainer([Member(t.model, t.train, 3, data)], device="cpu", use_fastpath=False).run()[0]
    for k in ("W0", "W1", "W2", "b0", "b1", "b2"):
        np.testing.assert_allclose(numpy_out.state[k], torch_out.state[k], rtol=0, atol=1e-12)
    assert [r["step"] for r in numpy_out.rows] == [r["step"] for r in torch_out.rows] == [0, 20, 40, 60]


def test_scratch_stacks_train_each_member_as_it_would_alone_and_the_controls_differ():
    trials = [_scratch_trial(s, [3, 3], "relu", passes=40, grid=6) for s in range(3)]
    data = [_moons(s) for s in range(3)]
    stacked = trial_kinds.get("scratch")(trials, data)
    assert {o.info["population_size"] for o in stacked} == {3}
    for t, d, out in zip(trials, data, stacked):
        alone = scratch_net.train_scratch(t, d)
        assert alone.info["population_size"] == 1
        assert out.rows == alone.rows and np.array_equal(out.artefacts["grid"], alone.artefacts["grid"])
    relu0 = trial_kinds.get("scratch_relu0")(trials, data)
    nudged = trial_kinds.get("scratch_nudged")(trials, data)
    assert [o.info["engine"] for o in (relu0[0], nudged[0])] == ["scratch0", "nudged"]
    assert any(a.state["W0"][0, 0] != b.state["W0"][0, 0] for a, b in zip(stacked, nudged))
    assert scratch_net.stack_size(200, [3, 3]) == 109 and trial_kind_groups["scratch"](trials[0], data[0]) == \
        trial_kind_groups["scratch"](trials[1], data[1])


def test_scratch_refuses_what_it_does_not_do():
    t = _scratch_trial(0, [3], "tanh")
    bad = trial(t.model, TrainSpec(optimizer="adam", lr=0.1, steps=5), kind="scratch")
    with pytest.raises(ConfigError, match="optimizer='sgd'"):
        scratch_net.train_scratch(bad, _moons(0))


def test_conv_arithmetic_computes_each_op_and_names_the_known_ones():
    data = make_dataset("mnist", source="subset", subset=[10, 10], normalize=False, random_state=0)
    block = [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]
    shifted = [row[-1:] + row[:-1] for row in block]
    cases = [
        {"op": "conv_params", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "expected": 608},
        {"op": "conv_size", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "padding": 0, "expected": [28, 28]},
        {"op": "conv_size", "in_shape": [32, 32, 3], "filters": 8, "kernel": 5, "padding": 0, "expected": [32, 32]},
        {"op": "pool", "pool": "avg", "images": [block], "expected": [[[1, 0.5], [0.5, 0.25]]]},
        {"op": "pool_shift", "images": [block, shifted]},
    ]
    outs = trial_kinds.get("conv_arithmetic")([trial(c, kind="conv_arithmetic") for c in cases], [data] * len(cases))
    assert [o.final["match"] for o in outs] == [1.0, 1.0, 0.0, 1.0, 1.0]
    assert outs[0].final["value"] == 608 and outs[2].final["value"] == 28
    assert outs[3].artefacts["pooled"].shape == (1, 2, 2)
    assert {o.final["mnist_out_h"] for o in outs} == {24.0}
    with pytest.raises(ConfigError, match="conv_params"):
        conv_arithmetic.compute({"op": "deconv"})


def test_ordered_epochs_visit_the_negatives_first():
    y = torch.tensor([1, 0, 1, 0, 0, 1])
    gen = torch.Generator().manual_seed(0)
    order = ordered_sgd.epoch_order(y, "ordered", gen)
    assert y[order].tolist() == [0, 0, 0, 1, 1, 1] and sorted(order.tolist()) == list(range(6))
    assert sorted(ordered_sgd.epoch_order(y, "shuffled", gen).tolist()) == list(range(6))


def test_ordered_sgd_records_each_phase_and_refuses_an_unknown_order():
    data = make_dataset("playground_circle", n_train=40, n_test=20, random_state=0)
    recipe = {"order": "ordered", "lr": 0.03, "batch_size": 10, "epochs": 2, "grid": None}
    model = {"model": MLPSpec(layers=(4,), activation="relu", init="uniform(0.5)", bias_init="zeros"),
             "recipe": recipe}
    out = trial_kinds.get("ordered_sgd")([trial(model, seed=1, kind="ordered_sgd")], [data])[0]
    assert [r["phase"] for r in out.rows] == ["start", "negatives", "positives", "negatives", "positives"]
    assert out.rows[-1]["step"] == 2 * 4 and {"swing_first", "swing", "acc_after_negatives"} <= set(out.rows[-1])
    with pytest.raises(ConfigError, match="unknown order"):
        ordered_sgd.train_ordered(trial({**model, "recipe": {**recipe, "order": "sorted"}}, kind="ordered_sgd"), data)
