"""The 004 principles entries: zero initialisation, ReLU vs sigmoid, example ordering, XOR depth."""

from __future__ import annotations

import numpy as np
import pytest

from atomlab.catalog.principles import _playground as P
from atomlab.catalog.principles.xor_depth import minimal_network

ENTRIES = {
    # name: (expected arms, figure names)
    "zero-initialization": (8, {"surfaces", "surfaces-bias-0.1", "loss", "symmetry", "weights"}),
    "relu-vs-sigmoid-speed": (2, {"speed", "surfaces", "affine"}),
    "example-ordering": (4, {"phases", "boundaries", "weights"}),
    "xor-depth": (4, {"networks", "seeds"}),
}


@pytest.fixture(scope="module")
def runs(smoke):
    """Each entry once per session at smoke scale (conftest.py's ``smoke``), with its output folder."""
    return {name: (smoke(name), smoke(name).out_dir) for name in ENTRIES}


@pytest.mark.parametrize("name", list(ENTRIES))
def test_smoke_outputs(runs, name):
    result, out = runs[name]
    n_arms, figures = ENTRIES[name]
    assert {f.name for f in result.figures} == figures
    assert all(f.path.exists() and f.caption for f in result.figures)
    assert result.final["arm"].nunique() == n_arms
    assert (result.final.groupby("arm")["seed"].nunique() == result.config["seeds"]).all()


def test_zero_initialization_invariants(runs):
    result, _ = runs["zero-initialization"]
    f = result.final.set_index(["activation", "init", "bias", "seed"]).sort_index()
    relu0, sig0 = f.loc[("relu", "zeros", "zero")], f.loc[("sigmoid", "zeros", "zero")]
    # ReLU from all zeros: no weight and no hidden bias moves, exactly; the output bias may.
    assert (relu0[["dW_hidden", "dW_out", "db_hidden"]].to_numpy() == 0).all()
    # With the playground's biases of 0.1 relu(0.1) = 0.1 carries a signal: the zero weights move, as copies.
    relu01 = f.loc[("relu", "zeros", "0.1")]
    assert (relu01["dW_out"] > 0).all()
    assert (relu01[["unit_spread_0", "unit_spread_1"]].to_numpy() <= 1e-6).all()
    # Sigmoid from zero weights: the weights move but the units of each layer stay copies, whatever the bias.
    for bias in ("zero", "0.1"):
        sig = f.loc[("sigmoid", "zeros", bias)]
        assert (sig["dW_out"] > 0).all()
        assert (sig[["unit_spread_0", "unit_spread_1"]].to_numpy() <= 1e-6).all()
    # the biases start where the arm says
    for t in result.trials:
        assert t.model.bias_init == {"zero": "zeros", "0.1": "constant(0.1)"}[t.levels["bias"]]
    # From random weights the units differ.
    assert (f.loc[("relu", "random"), "unit_spread_0"] > 1e-3).all()
    # Zero weights stay zero along the whole run, snapshot by snapshot (zero biases).
    for _, o in result.select(activation="relu", init="zeros", bias="zero"):
        assert not np.any(o.artefacts["snap/W0"]) and not np.any(o.artefacts["snap/W1"])
    assert len(sig0) == result.config["seeds"]


def test_relu_is_piecewise_affine(runs):
    result, _ = runs["relu-vs-sigmoid-speed"]
    aff = result.final.groupby("activation")["affine_fraction"]
    assert aff.min()["relu"] > 0.8 and aff.max()["sigmoid"] < 0.2
    assert set(result.final["init"]) == {"random"}


def test_ordered_sgd_follows_the_phase(runs):
    result, _ = runs["example-ordering"]
    t = result.table
    first = t[(t["order"] == "ordered") & (t["epoch"] == 0.5)]
    # After the first pass over the negatives alone, the ordered network calls (almost) nothing positive.
    assert (first["pos_rate"] <= 0.1).all()
    assert set(t["phase"]) == {"start", "negatives", "positives"}
    assert {"swing_first", "swing", "dead_units"} <= set(result.final.columns)


def test_xor_minimal_network_and_linear_bound(runs):
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert ((minimal_network(corners) > 0.5).astype(int) == [0, 1, 1, 0]).all()
    result, _ = runs["xor-depth"]
    linear = result.final[result.final["hidden"] == "none"]
    assert (linear["train_acc"] <= 0.75).all()
    assert result.claims[0].verdict == "supported"  # 3 seeds at smoke scale: the bound holds on every one
    # 004's question is whether one hidden layer computes XOR: solved = all four corners right, per seed
    f = result.final
    np.testing.assert_array_equal(f["solved"], (f["train_acc"] >= 1.0).astype(float))
    assert (f.loc[f["hidden"] == "none", "solved"] == 0).all()
    assert result.claims[1].check and result.claims[1].verdict == "supported"  # the hand-built network, exact
    shares = [c for c in result.claims if "share of seeds" in c.text]
    assert len(shares) == len(result.config["hidden"]) - 1 and all(c.tests[0].n_seeds == 3 for c in shares)


def test_probed_trials_train_as_one_population_per_activation_and_as_they_would_alone():
    from atomlab.engine.kinds.probed_population import run_probed
    from atomlab.lab.data import materialize
    from atomlab.lab.runner import run_trials
    from atomlab.lab.store import TrialStore

    cfg = {**P.PLAYGROUND_SETTINGS, "n_train": 40, "n_test": 20, "records": 4, "grid": 8}
    trials = [P.playground_trial(cfg, {"activation": act}, s, activation=act, init=init, epochs=3)
              for act in ("relu", "tanh") for init in list(P.INITS)[:2] for s in range(2)]
    outs, _ = run_trials(trials, store=TrialStore(enabled=False), workers=1)
    # one population per activation: both initialisations and both seeds
    assert [o.info["population_size"] for o in outs] == [4] * len(trials)
    for t, out in zip(trials, outs):
        alone = run_probed([t], [materialize(t.data)], device="cpu")[0]
        assert alone.info["population_size"] == 1
        assert [r["step"] for r in out.rows] == [r["step"] for r in alone.rows]
        for a, b in zip(out.rows, alone.rows):
            assert a.keys() == b.keys() and all(np.isclose(a[k], b[k], rtol=1e-6, atol=1e-9) for k in a)
        assert "epochs_to_0.3" in out.rows[-1] and out.rows[-1].keys() == alone.rows[-1].keys()
