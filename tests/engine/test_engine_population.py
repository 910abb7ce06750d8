"""The population engine computes what each model computes alone."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from atomlab.engine import Member, TrainSpec, train_population
from atomlab.engine.sampling import batch_indices
from atomlab.nn import MLPSpec


def train_alone_with_torch_optim(spec: MLPSpec, train: TrainSpec, seed: int, data) -> torch.nn.Module:
    """The reference: one nn.Module, torch.optim, the member's own batch order."""
    model = spec.build_module(data.input_dim, data.output_dim, seed, dtype=torch.float64)
    if train.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=train.lr)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=train.lr)
    X = torch.as_tensor(data.X_train, dtype=torch.float64)
    y = torch.as_tensor(data.y_train)
    for idx in batch_indices(train, [seed], [data.n_train]):
        xb, yb = (X, y) if idx is None else (X[idx[0]], y[idx[0]])
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
    return model


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("sampling,batch", [("random", 16), ("shuffle", 32), ("shuffle", None)])
def test_member_matches_model_trained_alone(optimizer, sampling, batch, make_blobs):
    data = make_blobs(seed=1)
    spec = MLPSpec(layers=(8, 6), activation="tanh", init="xavier", bias_init="same")
    lrs = [0.05, 0.01, 0.1, 0.02] if optimizer == "sgd" else [0.003, 0.01, 0.001, 0.005]
    seeds = [3, 7, 11, 19]
    members = [Member(spec, TrainSpec(optimizer=optimizer, lr=lr, steps=60, batch_size=batch,
                                      sampling=sampling, dtype="float64"), s, data)
               for lr, s in zip(lrs, seeds)]
    outcomes = train_population(members, device="cpu")
    for member, outcome in zip(members, outcomes):
        alone = train_alone_with_torch_optim(spec, member.train, member.seed, data)
        for k, lin in enumerate(alone.linears):
            np.testing.assert_allclose(outcome.state[f"W{k}"], lin.weight.detach().numpy().T, atol=1e-5, rtol=0)
            np.testing.assert_allclose(outcome.state[f"b{k}"], lin.bias.detach().numpy(), atol=1e-5, rtol=0)
        # and they really trained: the weights moved away from their start
        start = spec.init_params(data.input_dim, data.output_dim, member.seed)[0][0].numpy()
        assert np.abs(outcome.state["W0"] - start).max() > 1e-3


def test_member_result_does_not_depend_on_population(make_blobs):
    data = make_blobs(seed=2)
    spec = MLPSpec(layers=(5,), activation="relu", dropout=0.2)
    train = TrainSpec(steps=25, lr=0.01, batch_size=16, dtype="float64")
    big = train_population([Member(spec, train, s, data) for s in range(5)], device="cpu")
    small = train_population([Member(spec, train, 3, data)], device="cpu")
    np.testing.assert_allclose(big[3].state["W0"], small[0].state["W0"], atol=1e-12)


def test_per_member_activation_and_loss(make_blobs):
    data = make_blobs(seed=3)
    specs = [MLPSpec(layers=(6,), activation=a) for a in ("relu", "relu", "tanh", "sigmoid")]
    trains = [TrainSpec(steps=30, lr=0.01, loss=loss, dtype="float64") for loss in ("ce", "mse", "ce", "hinge")]
    members = [Member(s, t, 5, data) for s, t in zip(specs, trains)]
    outs = train_population(members, device="cpu")
    for m, o in zip(members, outs):
        alone = train_population([m], device="cpu")[0]
        np.testing.assert_allclose(o.state["W0"], alone.state["W0"], atol=1e-10)
        np.testing.assert_allclose(o.rows[-1]["train_loss"], alone.rows[-1]["train_loss"], atol=1e-10)


def test_diverging_member_is_marked_and_others_untouched(make_blobs):
    data = make_blobs(seed=4)
    spec = MLPSpec(layers=(16, 16), activation="relu", init="normal(3.0)")
    ok = TrainSpec(optimizer="sgd", lr=0.01, steps=40, record_every=5)
    boom = TrainSpec(optimizer="sgd", lr=1e6, steps=40, record_every=5)
    outs = train_population([Member(spec, ok, 0, data), Member(spec, boom, 1, data),
                             Member(spec, ok, 2, data)], device="cpu")
    alone = train_population([Member(spec, ok, 0, data), Member(spec, ok, 2, data)], device="cpu")
    assert outs[1].diverged and 1 <= outs[1].diverged_step <= 40
    assert all(r["step"] <= outs[1].diverged_step for r in outs[1].rows)
    assert not outs[0].diverged and not outs[2].diverged
    for a, b in ((outs[0], alone[0]), (outs[2], alone[1])):
        assert all(math.isfinite(r["test_loss"]) for r in a.rows)
        np.testing.assert_allclose(a.state["W1"], b.state["W1"], atol=1e-5)


def test_members_with_different_datasets_full_batch(make_blobs):
    d1, d2 = make_blobs(seed=5, n=80), make_blobs(seed=6, n=50)
    spec = MLPSpec(layers=(4,))
    train = TrainSpec(steps=20, lr=0.05, batch_size=None, dtype="float64")
    together = train_population([Member(spec, train, 0, d1), Member(spec, train, 0, d2)], device="cpu")
    apart = [train_population([Member(spec, train, 0, d)], device="cpu")[0] for d in (d1, d2)]
    for t, a in zip(together, apart):
        np.testing.assert_allclose(t.state["W0"], a.state["W0"], atol=1e-10)
        assert t.rows[-1]["test_acc"] == pytest.approx(a.rows[-1]["test_acc"])


def test_grid_snapshots_and_unit_spread(blobs):
    spec = MLPSpec(layers=(4, 4), init="zeros", activation="sigmoid")
    train = TrainSpec(steps=10, lr=0.1, grid=12, grid_every=5, snapshot_every=2, unit_spread=True)
    out = train_population([Member(spec, train, 0, blobs)], device="cpu")[0]
    assert out.artefacts["grid"].shape == (12, 12)
    assert out.artefacts["frames"].shape == (3, 12, 12)
    assert out.artefacts["snap/W0"].shape == (6, 2, 4)
    # zero init with sigmoid: units of a layer stay identical, so their spread stays 0
    assert max(abs(r["unit_spread_0"]) for r in out.rows) < 1e-6


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu", "swish", "sin", "identity"])
@pytest.mark.parametrize("case", ["plain", "residual-dropout-l2", "shared-mse-l1", "fullbatch-adam"])
def test_fastpath_matches_autograd(activation, case, make_blobs):
    data = make_blobs(seed=7, classes=3)
    kw = dict(layers=(6, 6, 6), activation=activation, init="xavier", bias_init="same")
    tkw = dict(steps=25, lr=0.05, batch_size=16, dtype="float64", optimizer="sgd")
    if case == "residual-dropout-l2":
        kw.update(residual=True, dropout=0.25)
        tkw.update(regularizer="l2", reg_lambda=0.1)
    elif case == "shared-mse-l1":
        kw.update(share_weights=True)
        tkw.update(loss="mse", regularizer="l1", reg_lambda=0.05)
    elif case == "fullbatch-adam":
        tkw.update(batch_size=None, optimizer="adam", lr=0.01, regularizer="l2_sum", reg_lambda=1e-3)
    members = [Member(MLPSpec(**kw), TrainSpec(**tkw), s, data) for s in range(3)]
    from atomlab.engine.population import PopulationTrainer

    fast = PopulationTrainer(members, device="cpu", use_fastpath=True, backend="torch").run()
    fast_np = PopulationTrainer(members, device="cpu", use_fastpath=True, backend="numpy").run()
    slow = PopulationTrainer(members, device="cpu", use_fastpath=False).run()
    for f, f_np, s in zip(fast, fast_np, slow):
        for k in s.state:
            np.testing.assert_allclose(f.state[k], s.state[k], atol=1e-10, rtol=0)
            np.testing.assert_allclose(f_np.state[k], s.state[k], atol=1e-10, rtol=0)
        assert f.rows[-1]["train_loss"] == pytest.approx(s.rows[-1]["train_loss"], abs=1e-10)
        assert f_np.rows[-1]["train_loss"] == pytest.approx(s.rows[-1]["train_loss"], abs=1e-10)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_fastpath_regression_matches_autograd(backend):
    from atomlab.data import make_dataset
    from atomlab.engine.population import PopulationTrainer

    data = make_dataset("function1d", function="sin", n_train=40)
    members = [Member(MLPSpec(layers=(5,), activation="sigmoid", bias_init="same"),
                      TrainSpec(steps=30, lr=0.01, loss="mse", batch_size=16, dtype="float64"), s, data)
               for s in range(3)]
    fast = PopulationTrainer(members, device="cpu", backend=backend).run()
    slow = PopulationTrainer(members, device="cpu", use_fastpath=False).run()
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f.state["W0"], s.state["W0"], atol=1e-10, rtol=0)
        assert f.rows[-1]["train_mse"] == pytest.approx(s.rows[-1]["train_mse"], abs=1e-10)


def test_sweep_larger_than_memory_budget_is_split(monkeypatch):
    from atomlab.engine.population import member_bytes
    from atomlab.lab import DataSpec, Trial
    from atomlab.lab.runner import run_trials
    from atomlab.lab.store import TrialStore

    spec = MLPSpec(layers=(8,))
    train = TrainSpec(steps=5, lr=0.01)
    trials = [Trial({"s": s}, s, DataSpec("moons", {"n_train": 50, "n_test": 50}), spec, train) for s in range(10)]
    from atomlab.lab.data import materialize

    each = member_bytes(Member(spec, train, 0, materialize(trials[0].data)))
    monkeypatch.setenv("ATOMLAB_MEMORY_GB", str(3.5 * each / 2**30))  # room for 3 members
    outs, trained = run_trials(trials, store=TrialStore(enabled=False), workers=1)
    assert trained == 10 and all(o.rows for o in outs)
    assert max(o.info["population_size"] for o in outs) == 3
    assert all(o.info["population_memory_bytes"] > 0 for o in outs)


def test_members_with_different_domains_predict_on_their_own_grid():
    from atomlab.data import make_dataset
    from atomlab.engine import grid_axes, population_key

    near = make_dataset("moons", random_state=0, n_train=60, n_test=20)
    far = make_dataset("moons", random_state=1, n_train=60, n_test=20, noise=0.5)
    spec, train = MLPSpec(layers=(5,), activation="tanh"), TrainSpec(steps=3, lr=0.1, grid=8)
    assert population_key(Member(spec, train, 0, near)) != population_key(Member(spec, train, 0, far))
    no_grid = TrainSpec(steps=3, lr=0.1)
    assert population_key(Member(spec, no_grid, 0, near)) == population_key(Member(spec, no_grid, 0, far))
    # the noisier sample spreads wider, so a shared grid would have cut part of its domain off
    assert np.ptp(grid_axes(far, 8)[0]) > np.ptp(grid_axes(near, 8)[0])


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_fastpath_matches_autograd_on_padded_data_of_different_sizes(loss, make_blobs):
    """Full batch over members whose data differ in size: padding is masked out of each member's mean."""
    from atomlab.engine.population import PopulationTrainer

    data = [make_blobs(seed=s, n=n, classes=3) for s, n in ((1, 30), (2, 75), (3, 50))]
    spec = MLPSpec(layers=(6, 6), activation="tanh", init="xavier", bias_init="same")
    train = TrainSpec(steps=20, lr=0.1, batch_size=None, dtype="float64", optimizer="adam", loss=loss,
                      regularizer="l2", reg_lambda=0.01)
    members = [Member(spec, train, s, d) for s, d in enumerate(data)]
    fast = PopulationTrainer(members, device="cpu", use_fastpath=True, backend="torch").run()
    slow = PopulationTrainer(members, device="cpu", use_fastpath=False).run()
    for f, s in zip(fast, slow):
        for k in f.state:
            np.testing.assert_allclose(f.state[k], s.state[k], atol=1e-10)
        assert f.rows[-1]["train_loss"] == pytest.approx(s.rows[-1]["train_loss"], abs=1e-10)
    # and each member is trained on its own data only: alone it ends at the same weights
    alone = PopulationTrainer(members[:1], device="cpu", use_fastpath=True, backend="torch").run()[0]
    np.testing.assert_allclose(alone.state["W0"], fast[0].state["W0"], atol=1e-10)


def test_threads_set_torch_and_numpys_blas_together():
    from threadpoolctl import threadpool_info

    from atomlab.engine import threads
    from atomlab.errors import ConfigError

    before = torch.get_num_threads()
    blas_before = [i["num_threads"] for i in threadpool_info()]
    with threads(1):
        assert torch.get_num_threads() == 1
        assert all(i["num_threads"] == 1 for i in threadpool_info())
    assert torch.get_num_threads() == before and [i["num_threads"] for i in threadpool_info()] == blas_before
    with pytest.raises(ConfigError, match="threads must be a positive integer; got 0"):
        with threads(0):
            pass


@pytest.mark.parametrize("name, params", [("moons", {}), ("blobs", {"centers": 3}), ("sin1d", {})])
def test_general_path_draws_the_grid_the_population_draws(name, params):
    from atomlab.data import make_dataset
    from atomlab.engine import train_module

    data = make_dataset(name, random_state=0, n_train=60, n_test=20, **params)
    spec = MLPSpec(layers=(6,), activation="tanh")
    loss = "mse" if data.task == "regression" else "cross_entropy"
    # SGD: Adam turns rounding-sized differences in near-zero gradients into whole steps of lr
    train = TrainSpec(optimizer="sgd", steps=15, lr=0.05, batch_size=None, loss=loss, grid=9, dtype="float64")
    population = train_population([Member(spec, train, 4, data)], device="cpu")[0]
    general = train_module(spec.build_module(data.input_dim, data.output_dim, 4, dtype=torch.float64), data, train,
                           seed=4, device="cpu")
    assert general.artefacts["grid"].shape == population.artefacts["grid"].shape
    expected = {"moons": (9, 9), "blobs": (9, 9, 3), "sin1d": (9,)}[name]
    assert general.artefacts["grid"].shape == expected
    np.testing.assert_allclose(general.artefacts["grid"], population.artefacts["grid"], atol=1e-6)
