"""The 003 entries (network from scratch): smoke runs, the engine flag, and the engines' agreement."""

from __future__ import annotations

import numpy as np
import pytest

import atomlab
from atomlab.catalog.from_scratch import scratch_engines
from atomlab.catalog.from_scratch._recipe import SETTINGS_003, moons_data, scratch_trial
from atomlab.engine.kinds.scratch_net import train_scratch
from atomlab.lab import experiments
from atomlab.lab.data import materialize

ENTRIES = {
    # name: (expected arms at smoke scale, figures)
    "scratch-moons-activation": (6, {"boundaries", "accuracy"}),
    "scratch-moons-hidden-units": (6, {"boundaries", "accuracy"}),
    "scratch-moons-depth": (4, {"boundaries", "accuracy"}),
    "scratch-moons-width": (5, {"boundaries", "accuracy"}),
    "scratch-blobs": (10, {"boundaries-depth", "boundaries-width", "boundaries-activation", "accuracy"}),
}


def _check_outputs(result, out, n_arms: int, figures: set[str]) -> None:
    assert {f.name for f in result.figures} == figures
    assert all(f.path.exists() and f.caption for f in result.figures)
    final = result.final
    assert final["arm"].nunique() == n_arms
    assert (final.groupby("arm")["seed"].nunique() == result.config["seeds"]).all()


@pytest.mark.parametrize("name", list(ENTRIES))
def test_smoke(name, smoke):
    n_arms, figures = ENTRIES[name]
    result = smoke(name)
    _check_outputs(result, result.out_dir, n_arms, figures)
    assert {t.kind for t in result.trials} == {"scratch"}
    # Full-batch steps: every trial records its last pass, and the grid is a probability map.
    assert (result.final["step"] == result.config["passes"]).all()
    for o in result.outcomes:
        grid = o.artefacts["grid"]
        assert np.all((grid >= 0) & (grid <= 1))


def test_blobs_plan_follows_the_three_sweeps():
    exp = experiments.get("scratch-blobs")
    cfg = exp.config("paper")
    cells = {(t.levels["depth"], t.levels["width"], t.levels["activation"]) for t in exp.plan(cfg)}
    assert cells == ({(d, 4, "tanh") for d in (1, 2, 3, 4)} | {(2, w, "tanh") for w in (3, 4, 5, 10, 20)}
                     | {(2, 4, a) for a in ("tanh", "sigmoid", "relu")})
    assert all(t.data.name == "blobs" for t in exp.plan(cfg))


def test_engine_flag_runs_the_same_networks_on_the_population_engine(tmp_path):
    scratch = atomlab.run("scratch-moons-depth", scale="smoke", out=None, report=False)
    torch_run = atomlab.run("scratch-moons-depth", scale="smoke", out=None, report=False, engine="torch")
    assert {t.kind for t in torch_run.trials} == {"population"}
    # Same networks, same initial weights, same data: with one hidden layer the final losses agree to rounding.
    a = scratch.final.set_index(["depth", "seed"])["train_loss"]
    b = torch_run.final.set_index(["depth", "seed"])["train_loss"]
    assert np.abs(a - b.reindex(a.index)).loc[1].max() < 1e-12


def test_engines_agree_on_the_grid(tmp_path):
    result = atomlab.run("scratch-engines", scale="smoke", out=tmp_path)
    _check_outputs(result, tmp_path, 2 * (3 * 4 + 1), {"boundaries", "divergence"})
    kinds = {t.levels["engine"]: t.kind for t in result.trials}
    assert kinds == {"scratch": "scratch", "scratch0": "scratch_relu0", "torch": "population",
                     "autograd": "scratch_autograd", "nudged": "scratch_nudged"}
    # One hidden layer: every engine draws the scratch engine's probabilities to float32 resolution.
    for act in ("tanh", "sigmoid", "relu"):
        for engine in ("torch", "autograd", "nudged"):
            assert scratch_engines.max_grid_difference(result, "scratch", engine, activation=act, depth=1) < 1e-6
    # Four ReLU layers: 003's ReLU'(0) = 1 is what separates NumPy from PyTorch, not the engines.
    assert scratch_engines.max_grid_difference(result, "scratch0", "torch", activation="relu", depth=4) < 1e-6
    assert result.claims[0].verdict == "inconclusive"  # two seeds never decide
    assert result.claims[0].tests[0].estimate < 1e-9


def test_scratch_trials_train_in_stacks_as_they_would_alone():
    from atomlab.lab.runner import run_trials
    from atomlab.lab.store import TrialStore

    cfg = dict(SETTINGS_003)
    trials = [scratch_trial({}, s, moons_data(cfg, s), [3, 3], act, passes=40, lr=2.0, reg_lambda=5e-5,
                            record_every=20, grid=6, engine=engine)
              for act in ("tanh", "relu") for engine in ("scratch", "scratch0") for s in range(3)
              if not (engine == "scratch0" and act == "tanh")]
    outs, trained = run_trials(trials, store=TrialStore(enabled=False), workers=1)
    assert trained == len(trials) and {o.info["population_size"] for o in outs} == {3}
    for trial, out in zip(trials, outs):  # the trial alone: a stack of one
        relu0 = 0.0 if trial.kind == "scratch_relu0" else 1.0
        alone = train_scratch(trial, materialize(trial.data), relu_grad_at_zero=relu0)
        assert alone.info["population_size"] == 1 and out.info["engine"] == alone.info["engine"]
        assert out.rows == alone.rows and np.array_equal(out.artefacts["grid"], alone.artefacts["grid"])
        assert all(np.array_equal(out.state[k], alone.state[k]) for k in alone.state)
    relu = [o for t, o in zip(trials, outs) if t.model.activation == "relu"]
    assert any(a.rows[-1]["train_loss"] != b.rows[-1]["train_loss"] for a, b in zip(relu[:3], relu[3:]))
