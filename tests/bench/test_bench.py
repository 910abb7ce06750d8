"""The benchmark code runs at a tiny size (timings themselves are never asserted in tests)."""

from __future__ import annotations

import pytest

from atomlab.bench import suite, workloads


def test_suite_runs_every_in_process_contender_tiny():
    result = suite.run_suite(["W"], repeats=1, scale=0.01, only=["naive", "scikit", "NumPy scratch", "vmap",
                                                                  "population"], log=lambda m: None)
    rows = result["workloads"]["W"]["contenders"]
    names = {r["contender"] for r in rows}
    assert {"naive PyTorch (1 model at a time)", "atomlab population, fast path (NumPy)"} <= names
    for r in rows:
        if "skipped" in r:
            # only an optional contender may be skipped, and only because its library is absent
            assert r["contender"].startswith("JAX") and r["skipped"] == "not installed", r
            continue
        assert r["models_per_s"] > 0 and r["ratio_to_naive"] > 0
        assert r["peak_rss_mb"] is None or r["peak_rss_mb"] > 0
    md = suite.markdown(result)
    assert "| contender |" in md and "x naive" in md


def test_flop_count_of_workload():
    task, P = workloads.workload_w(0.01)
    # 2-10-10-10-10-2: 340 multiply-adds forward; backward twice that except the input gradient (320)
    assert task.flops_per_model() == 2 * (2 * 340 + 320) * 1000 * task.epochs
    assert P == 64


def test_catalog_entry_workload_runs_every_contender_on_the_entry_trials():
    from atomlab.bench import catalog_bench as CB

    trials = CB.catalog_trials("universal-approximation", "smoke")
    assert trials and all(t.kind == "population" for t in trials)
    result = suite.run_suite(["universal-approximation"], repeats=1, scale=0.01, log=lambda m: None)
    w = result["workloads"]["universal-approximation"]
    assert w["P"] == len(trials)
    rows = {r["contender"].split(" (")[0].split(",")[0]: r for r in w["contenders"]}
    assert set(rows) == {"naive PyTorch", "scikit-learn MLP", "atomlab runner", "JAX jit(vmap) + lax.scan"}
    for r in w["contenders"]:
        if "skipped" in r:
            assert r["contender"].startswith("JAX") and r["skipped"] == "not installed", r
            continue
        assert r["models_per_s"] > 0 and r["gflops"] > 0
    assert w["contenders"][0]["ratio_to_naive"] == 1.0
    assert "universal-approximation" in suite.markdown(result)
    only = suite.run_suite(["universal-approximation"], repeats=1, scale=0.01, only=["runner, 1"], log=lambda m: None)
    assert [r["contender"] for r in only["workloads"]["universal-approximation"]["contenders"]] == [
        "atomlab runner, 1 process"]  # --only picks a catalog entry's contenders too


def test_scikit_learn_contender_refuses_what_it_cannot_express():
    import dataclasses

    import pytest

    from atomlab.bench import catalog_bench as CB
    from atomlab.lab.data import materialize

    trial = CB.catalog_trials("activation-functions", "smoke")[0]
    sin = dataclasses.replace(trial, model=dataclasses.replace(trial.model, activation="sin"))
    assert CB.sklearn_unsupported(sin) == "activation 'sin'"
    assert CB.sklearn_unsupported(dataclasses.replace(sin, model=trial.model)) is None
    with pytest.raises(ValueError, match="activation 'sin'"):
        CB.sklearn_one_at_a_time([sin], [materialize(sin.data)])


def test_unknown_workload_lists_the_known_ones():
    import pytest

    from atomlab.errors import ConfigError

    with pytest.raises(ConfigError, match="W2"):
        suite.run_suite(["W3"], repeats=1, scale=0.01, log=lambda m: None)


def test_w_smoke_run_trains_on_the_kernel_tier_and_the_gate_fails_without_it(monkeypatch):
    """The benchmark's gate: a population the compiled tier covers but did not train fails the run."""
    import sys

    import pytest

    from atomlab.bench import contenders as C
    from atomlab.engine import compiled

    if not compiled.available():
        pytest.skip("numba is not installed")
    task, _ = workloads.workload_w(0.01)
    assert isinstance(C.atomlab_population(task, 3, backend="kernel"), float)
    assert isinstance(C.atomlab_population(task, 3), float)  # auto: passes the gate
    monkeypatch.setattr(compiled, "_K", None)
    monkeypatch.setattr(compiled, "_WARNED", True)  # the one warning is another test's subject
    monkeypatch.setitem(sys.modules, "atomlab.engine._kernels", None)
    with pytest.raises(C.KernelTierNotUsed, match=r"W: the compiled kernel tier did not train 3 of 3 .*numba is not"):
        C.atomlab_population(task, 3)


def test_kernel_contender_is_skipped_with_its_reason_where_the_tier_does_not_apply():
    from atomlab.bench import contenders as C

    task, _ = workloads.workload_w2(0.01)
    skip = C.atomlab_population(task, 2, backend="kernel")
    assert isinstance(skip, C.Skip) and skip.reason.startswith("not covered by the kernel tier: a 784 x 100")


def test_the_jax_catalog_contender_names_what_it_cannot_train_instead_of_failing_the_suite():
    from atomlab.bench import catalog_bench as CB
    from atomlab.bench import contenders as C

    trials = CB.catalog_trials("activation-surfaces", "smoke")
    reasons = {CB.jax_unsupported(t) for t in trials}
    assert "activation 'elu'" in reasons and None in reasons  # relu and tanh arms it can train
    assert {CB.jax_unsupported(t) for t in CB.catalog_trials("residual-surfaces", "smoke")} == \
        {None, "residual connections"}
    result = CB.jax_groups(trials, [None] * len(trials))  # refused before it touches any data
    if result is not None:  # None: JAX, an optional extra, is not installed
        assert isinstance(result, C.Skip) and "activation 'elu'" in result.reason


def test_the_jax_catalog_contender_records_what_atomlab_records():
    jax = pytest.importorskip("jax")  # an optional extra of the benchmark
    import jax.numpy as jnp
    import numpy as np

    from atomlab.bench.contenders import jax_trainer
    from atomlab.data import make_dataset
    from atomlab.engine import TrainSpec
    from atomlab.engine.grids import grid_points
    from atomlab.nn import MLPSpec

    data = make_dataset("moons", n_train=64, n_test=32, random_state=0)
    for train in (TrainSpec(steps=60, lr=0.5, record_every=20, grid=5),  # full batch
                  TrainSpec(epochs=4, lr=0.2, batch_size=16, record_every=5, grid=5),  # shuffled batches
                  TrainSpec(steps=30, lr=0.2, batch_size=16, sampling="random", record_every=10, grid=5)):
        run = jax_trainer(MLPSpec(layers=(8,), activation="tanh"), train, data, record=True)
        X, y = jnp.asarray(data.X_train, jnp.float32), jnp.asarray(data.y_train)
        Xt, yt = jnp.asarray(data.X_test, jnp.float32), jnp.asarray(data.y_test)
        params, rows, surface = jax.jit(run)(jax.random.PRNGKey(0), X, y, Xt, yt,
                                             jnp.asarray(grid_points(data, 5), jnp.float32))
        rows = np.asarray(rows)
        assert rows.shape == (len(train.record_steps(64)), 4) and surface.shape == (25,)
        assert rows[-1, 0] < rows[0, 0]  # the training loss fell between the first and the last record
        # the last record is the trained parameters' own training loss and accuracy, computed here apart
        h = np.tanh(np.asarray(X) @ np.asarray(params[0][0]) + np.asarray(params[0][1]))
        out = h @ np.asarray(params[1][0]) + np.asarray(params[1][1])
        shifted = out - out.max(1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        assert np.isclose(rows[-1, 0], -log_p[np.arange(64), data.y_train].mean(), rtol=1e-4)
        assert rows[-1, 1] == np.mean(out.argmax(1) == data.y_train)
    plain = jax_trainer(MLPSpec(layers=(8,)), TrainSpec(steps=5, lr=0.1), data)  # W's contender: training only
    assert len(plain(jax.random.PRNGKey(0), X, y)) == 2  # the two layers' (W, b), nothing recorded
