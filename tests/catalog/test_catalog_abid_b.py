"""000's experiments 7-12 (activation functions to regularisation) at smoke scale."""

from __future__ import annotations

import numpy as np
import pytest

from atomlab.catalog.atomic_experiments import _training_studies as B
from atomlab.catalog.atomic_experiments import batch_size as BS
from atomlab.catalog.atomic_experiments import layer_convergence as LC
from atomlab.lab.data import materialize

#: name -> (number of arms at smoke scale, figure names)
ENTRIES = {
    "activation-functions": (6, {"activations"}),
    "batch-size": (3 * 3 + 3, {"batch-size", "accuracy-by-batch"}),  # 3 sizes x 3 lr rules + 3 solo
    "loss-functions": (6, {"losses"}),
    "initializers": (5 + 3, {"initializers", "zero-init"}),  # 5 inits + zeros in float64, relu x 2 dtypes
    "layer-convergence": (1, {"weights", "settle-steps"}),
    "regularization": (6, {"weights-and-accuracy", "weight-statistics"}),
}


@pytest.fixture(scope="module")
def results(smoke):
    """Every entry of the family, run once per session at smoke scale (conftest.py's ``smoke``)."""
    return {name: smoke(name) for name in ENTRIES}


def _initial(trial):
    data = materialize(trial.data)
    return trial.model.init_params(data.input_dim, data.output_dim, trial.seed)


@pytest.mark.parametrize("name", list(ENTRIES))
def test_entry_writes_outputs_with_all_arms_and_seeds(results, name):
    r = results[name]
    for f in ("report.html", "results.csv", "verdict.json", "final.csv"):
        assert (r.out_dir / f).exists(), f
    n_arms, figures = ENTRIES[name]
    assert r.final["arm"].nunique() == n_arms
    # every arm has every seed, except the solo timing arm, which times the first solo_seeds seeds
    per_arm = r.final.groupby("arm")["seed"].nunique()
    solo = per_arm.index.str.contains("run=solo")
    assert per_arm[~solo].eq(r.config["seeds"]).all()
    assert per_arm[solo].eq(min(r.config.get("solo_seeds", 0), r.config["seeds"])).all()
    assert {f.name for f in r.figures} == figures and all(f.path.exists() for f in r.figures)
    assert sum(f.main for f in r.figures) == 1 and all(f.caption.strip() for f in r.figures)
    assert not r.final["diverged"].any()


def test_sign_networks_never_change_their_hidden_weights(results):
    """sign has zero derivative: backpropagation leaves every hidden weight at its initial value."""
    for trial, out in results["activation-functions"].select(activation="sign"):
        init = _initial(trial)
        for k in range(len(trial.model.layers)):
            np.testing.assert_array_equal(out.state[f"W{k}"], init[k][0].float().numpy())
            np.testing.assert_array_equal(out.state[f"b{k}"], init[k][1].float().numpy())
        assert not np.array_equal(out.state[f"W{len(trial.model.layers)}"], init[-1][0].float().numpy())


def test_batch_size_arms_see_the_same_examples_and_solo_runs_alone(results):
    r = results["batch-size"]
    cfg = r.config
    for trial, out in zip(r.trials, r.outcomes):
        b = trial.levels["batch_size"]
        assert abs(trial.train.steps * b - cfg["epochs"] * cfg["n_train"]) <= b / 2
        assert trial.train.lr == pytest.approx(BS.lr_for(cfg, b, trial.levels["lr_rule"]))
        if trial.levels["run"] == "solo":
            assert trial.kind == "solo" and out.info["solo"] and out.info["population_size"] == 1
            assert trial.levels["lr_rule"] == "fixed"
            # the run time is measured as the process's CPU time, beside the wall time
            assert 0 < out.final["cpu_time"] and 0 < out.wall_time
    timing = next(c for c in r.claims if "run time" in c.text)
    assert "CPU" in timing.text and timing.tests[0].n_seeds == cfg["solo_seeds"]
    assert BS.lr_for(cfg, 256, "linear") == pytest.approx(4 * cfg["lr"])
    assert BS.lr_for(cfg, 16, "sqrt") == pytest.approx(cfg["lr"] / 2)


def test_constant_loss_is_a_true_negative_control(results):
    """The constant loss has zero gradient: weights and predictions never move."""
    r = results["loss-functions"]
    for trial, out in r.select(loss="constant"):
        init = _initial(trial)
        for k, (w, _) in enumerate(init):
            np.testing.assert_array_equal(out.state[f"W{k}"], w.float().numpy())
        assert out.rows[0]["test_acc"] == out.rows[-1]["test_acc"]


def test_loss_names_pick_the_source_definitions():
    assert B.loss_name("mse", "logits") == "logit_mse" and B.loss_name("mse", "probabilities") == "mse"
    assert B.loss_name("hinge", "logits") == "hinge"


def test_zero_initialisation_relu_never_moves_sigmoid_moves_as_copies(results):
    r = results["initializers"]
    f = r.final
    relu = f[(f["init"] == "zeros") & (f["activation"] == "relu")]
    assert len(relu) and (relu["moved"] == 0).all()  # 004: every weight and hidden bias stays exactly 0
    sig = f[(f["init"] == "zeros") & (f["activation"] == "sigmoid")]
    assert len(sig) and (sig["moved"] > 0).all()
    # the units of a layer stay copies (up to rounding) in both precisions
    assert (sig["param_spread"] < 1e-3).all() and (sig["max_unit_spread"] < 1e-3).all()
    xavier = f[(f["init"] == "xavier")]
    assert (xavier["max_unit_spread"] > 1e-2).all()


def test_layer_convergence_snapshots_and_settle_rule(results):
    r = results["layer-convergence"]
    cfg = r.config
    for out in r.outcomes:
        steps = out.artefacts["snapshot_steps"]
        assert len(steps) == cfg["steps"] // cfg["snapshot_every"] + 1
        assert out.artefacts["snap/W0"].shape == (len(steps), cfg["d"], cfg["layers"][0])
    assert {"settle_W0", f"settle_W{len(cfg['layers'])}"} <= set(r.final.columns)
    # a synthetic change curve: exponential decay onto a noise floor of 1 from a peak of 11
    t = np.arange(0, 1000, 2.0)
    noise = np.random.default_rng(0).normal(0, 0.05, len(t))
    fast = 1 + 10 * np.exp(-t / 20) + noise
    slow = 1 + 10 * np.exp(-t / 200) + noise
    s_fast, _ = LC.settle_step(t, fast, 0.1, 5)
    s_slow, _ = LC.settle_step(t, slow, 0.1, 5)
    assert 30 < s_fast < 60 and 380 < s_slow < 560  # 20 ln 10 = 46, 200 ln 10 = 461
    # the claim is one trend over every weight matrix, W0 ... W3, read from the long form of the table
    (claim,) = r.claims
    long = LC.settle_by_layer(r.final)
    assert sorted(long["layer"].unique()) == list(range(len(cfg["layers"]) + 1))
    assert len(long) == len(r.final) * (len(cfg["layers"]) + 1)
    row = r.final.iloc[0]
    got = long[(long["trial"] == row["trial"])].set_index("layer")["settle"]
    assert all(got[k] == row[f"settle_W{k}"] or np.isnan(got[k]) for k in got.index)
    assert "W0 to W3" in claim.text and claim.tests[0].method.startswith("within-seed")


def test_zero_strength_penalty_changes_nothing(results):
    """lambda = 0 under L1 and under L2 is the same model: identical final weights."""
    r = results["regularization"]
    l1 = {t.seed: o for t, o in r.select(regularizer="l1", reg_lambda=0.0)}
    l2 = {t.seed: o for t, o in r.select(regularizer="l2", reg_lambda=0.0)}
    assert l1.keys() == l2.keys()
    for seed in l1:
        for k, w in l1[seed].state.items():
            np.testing.assert_array_equal(w, l2[seed].state[k])
    f = r.final
    assert f["mean_abs_w"].notna().all() and f["frac_near_zero"].between(0, 1).all()
