"""The compiled tier: member i is model i alone bit for bit, float64 agrees with today's path, same guard."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch

from atomlab.data import make_dataset
from atomlab.engine import Member, PopulationTrainer, TrainSpec, compiled
from atomlab.engine.sampling import batch_indices, index_blocks
from atomlab.errors import ConfigError
from atomlab.nn import MLPSpec

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not installed")


def run(members, backend="kernel", **kw):
    return PopulationTrainer(members, device="cpu", backend=backend, **kw).run()


def assert_same_outcome(a, b):
    """The training bit for bit (parameters, the divergence step, what was recorded when).

    The recorded metrics come from the population's torch evaluation, which the kernel tier leaves as it
    is; its float32 products over P members are not bit-stable across population sizes (BLAS blocking),
    so they are compared to float32 rounding.
    """
    assert a.state.keys() == b.state.keys()
    for k in a.state:
        assert np.array_equal(a.state[k], b.state[k], equal_nan=True), k
    assert a.diverged_step == b.diverged_step
    assert [r.keys() for r in a.rows] == [r.keys() for r in b.rows]
    for ra, rb in zip(a.rows, b.rows):
        for c in ra:
            assert ra[c] == pytest.approx(rb[c], rel=1e-5, abs=1e-6, nan_ok=True), c


def assert_close_outcome(a, b, atol):
    for k in a.state:
        np.testing.assert_allclose(a.state[k], b.state[k], atol=atol, rtol=0, err_msg=k)
    assert [r["step"] for r in a.rows] == [r["step"] for r in b.rows]
    for ra, rb in zip(a.rows, b.rows):
        for c in ra:
            assert ra[c] == pytest.approx(rb[c], abs=atol), c
    assert a.diverged_step == b.diverged_step


# One member's recipe per case: (model, train, data) builders; together they cover every code path.
def _moons(seed=0, n=90):
    return make_dataset("moons", random_state=seed, n_train=n, n_test=40, noise=0.2)


CASES = {
    "fullbatch-adam-sigmoid-regression": lambda: (
        MLPSpec(layers=(5,), activation="sigmoid", init="xavier", bias_init="same"),
        dict(optimizer="adam", lr=0.01, steps=120, batch_size=None, loss="mse", grid=17),
        make_dataset("function1d", function="sin", n_train=30, n_test=20)),
    "shuffle-ragged-sgd-relu-l2sum": lambda: (
        MLPSpec(layers=(6, 5), activation="relu"),
        dict(optimizer="sgd", lr=0.05, epochs=4, batch_size=16, sampling="shuffle", regularizer="l2_sum",
             reg_lambda=1e-3),
        _moons()),
    "random-nesterov-tanh-mse-l1": lambda: (
        MLPSpec(layers=(7,), activation="tanh", bias_init="same"),
        dict(optimizer="momentum", optimizer_params={"nesterov": True}, lr=0.05, steps=70, batch_size=12,
             loss="mse", regularizer="l1", reg_lambda=0.01),
        _moons()),
    "residual-shuffle-sgd-relu-l2sum": lambda: (
        MLPSpec(layers=(6, 6, 6), activation="relu", residual=True),
        dict(optimizer="sgd", lr=0.05, epochs=3, batch_size=16, sampling="shuffle", regularizer="l2_sum",
             reg_lambda=1e-3),
        _moons()),
    "shared-weights-rmsprop-elu-l2": lambda: (
        MLPSpec(layers=(6, 6, 6), activation="elu", share_weights=True),
        dict(optimizer="rmsprop", lr=0.01, steps=60, batch_size=20, regularizer="l2", reg_lambda=0.05),
        _moons()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_member_is_model_alone_bit_for_bit_in_float32(case):
    model, train, data = CASES[case]()
    lrs = [train["lr"] * f for f in (1.0, 0.5, 2.0, 1.5, 0.7)]
    members = [Member(model, TrainSpec(**{**train, "lr": lr}), seed, data)
               for seed, lr in zip((3, 8, 1, 5, 2), lrs)]
    together = run(members)
    assert {o.info["backend"] for o in together} == {"kernel"}
    for member, outcome in zip(members, together):
        assert_same_outcome(outcome, run([member])[0])
    # and they trained: the weights moved
    start = model.init_params(data.input_dim, data.output_dim, members[0].seed)[0][0].numpy()
    assert np.abs(together[0].state["W0"] - start).max() > 1e-3


def test_members_with_their_own_data_sets_bit_for_bit():
    data = [_moons(seed=s) for s in range(3)]
    spec = MLPSpec(layers=(8,), activation="tanh")
    train = TrainSpec(optimizer="adam", lr=0.01, steps=50, batch_size=16)
    members = [Member(spec, train, s, d) for s, d in enumerate(data)]
    together = run(members)
    for m, o in zip(members, together):
        assert_same_outcome(o, run([m])[0])
    # their data differ, so do they
    assert not np.array_equal(together[0].state["W0"], together[1].state["W0"])


ACTIVATIONS = compiled.ACTIVATIONS


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("recipe", ["adam-ce", "sgd-mse-l1", "momentum-ce-l2", "adagrad-ce-l1sum",
                                    "fullbatch-rmsprop-mse-l2sum"])
def test_float64_matches_todays_numpy_path(activation, recipe):
    data = make_dataset("blobs", random_state=2, n_train=60, n_test=30, centers=3)
    optimizer, loss, *reg = recipe.replace("fullbatch-", "").split("-")
    # square's unbounded growth amplifies rounding: at lr 0.02 today's NumPy and autograd paths already
    # differ by 3e-10 (SGD) to 3e-6 (full-batch RMSprop) after 40 steps, and still by 3e-10 at lr 0.002
    # (with TF-style bias draws, full-batch RMSprop at 0.0005 still parts by 2e-10: square takes 0.0002)
    lr = 0.0002 if activation == "square" else 0.02
    train = dict(optimizer=optimizer, lr=lr, steps=40, batch_size=None if "fullbatch" in recipe else 16,
                 loss=loss.replace("ce", "cross_entropy"), dtype="float64", record_every=10)
    if reg:
        train.update(regularizer=reg[0].replace("sum", "_sum"), reg_lambda=0.01)
    spec = MLPSpec(layers=(6, 5), activation=activation, bias_init="same")
    members = [Member(spec, TrainSpec(**train), s, data) for s in range(3)]
    kernel, numpy_path = run(members), run(members, backend="numpy")
    assert {o.info["backend"] for o in numpy_path} == {"numpy"}
    for k, n in zip(kernel, numpy_path):
        assert_close_outcome(k, n, atol=1e-10)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sin"])
@pytest.mark.parametrize("widths,batch", [((2, 2), 16), ((2, 2), None), ((6, 6, 4), 16)])
def test_residual_connections_in_float64_match_todays_paths(activation, widths, batch):
    # (2, 2): the first layer's input has the layer's width too, so it adds the data itself (minibatches
    # and the full batch lay the data out in lanes differently)
    data = make_dataset("moons", random_state=1, n_train=60, n_test=20)
    members = [Member(MLPSpec(layers=widths, activation=activation, residual=True),
                      TrainSpec(optimizer="adam", lr=0.02, steps=40, batch_size=batch, dtype="float64",
                                regularizer="l2_sum", reg_lambda=1e-3, record_every=10), s, data) for s in range(3)]
    kernel = run(members)
    assert {o.info["backend"] for o in kernel} == {"kernel"}
    for k, n, a in zip(kernel, run(members, backend="numpy"), run(members, use_fastpath=False)):
        assert a.info["backend"] == "autograd"
        assert_close_outcome(k, n, atol=1e-10)
        assert_close_outcome(k, a, atol=1e-10)
    # the connection changes the training: without it the same members end elsewhere
    plain = run([Member(MLPSpec(layers=widths, activation=activation), members[0].train, 0, data)])[0]
    assert np.abs(plain.state["W1"] - kernel[0].state["W1"]).max() > 1e-3


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_float64_matches_autograd(optimizer):
    data = make_dataset("moons", random_state=0, n_train=50, n_test=20)
    members = [Member(MLPSpec(layers=(6, 6), activation="sigmoid"),
                      TrainSpec(optimizer=optimizer, lr=0.05, steps=30, batch_size=8, dtype="float64",
                                regularizer="l2", reg_lambda=0.01), s, data) for s in range(3)]
    for k, a in zip(run(members), run(members, use_fastpath=False)):
        assert a.info["backend"] == "autograd"
        assert_close_outcome(k, a, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_divergence_guard_as_on_todays_path(dtype):
    data = _moons()
    spec = MLPSpec(layers=(16, 16), activation="relu", init="normal(3.0)")
    ok = TrainSpec(optimizer="sgd", lr=0.01, steps=40, record_every=5, batch_size=16, dtype=dtype)
    boom = TrainSpec(optimizer="sgd", lr=1e6, steps=40, record_every=5, batch_size=16, dtype=dtype)
    members = [Member(spec, ok, 0, data), Member(spec, boom, 1, data), Member(spec, ok, 2, data)]
    kernel, numpy_path = run(members), run(members, backend="numpy")
    assert kernel[1].diverged and not kernel[0].diverged and not kernel[2].diverged
    assert [o.diverged_step for o in kernel] == [o.diverged_step for o in numpy_path]
    assert [len(o.rows) for o in kernel] == [len(o.rows) for o in numpy_path]
    # every member diverged: training stops at the first record step after the last divergence
    all_boom = run([Member(spec, boom, s, data) for s in range(2)])
    all_boom_np = run([Member(spec, boom, s, data) for s in range(2)], backend="numpy")
    assert [o.rows[-1]["step"] for o in all_boom] == [o.rows[-1]["step"] for o in all_boom_np]


def test_mixed_activations_and_losses_train_as_groups_each_as_alone():
    data = _moons()
    specs = [MLPSpec(layers=(6,), activation=a) for a in ("relu", "tanh", "relu", "sin", "tanh")]
    losses = ["cross_entropy", "mse", "cross_entropy", "cross_entropy", "cross_entropy"]
    members = [Member(s, TrainSpec(steps=30, lr=0.01, loss=lo), i, data) for i, (s, lo) in
               enumerate(zip(specs, losses))]
    together = run(members)
    for m, o in zip(members, together):
        assert_same_outcome(o, run([m])[0])


def test_snapshots_frames_and_unit_spread_on_the_kernel_tier():
    data = _moons()
    spec = MLPSpec(layers=(4, 4), activation="sigmoid")
    train = TrainSpec(steps=10, lr=0.1, grid=12, grid_every=5, snapshot_every=2, unit_spread=True, dtype="float64")
    k = run([Member(spec, train, 0, data)])[0]
    n = run([Member(spec, train, 0, data)], backend="numpy")[0]
    assert k.info["backend"] == "kernel"
    assert k.artefacts.keys() == n.artefacts.keys()
    for name in n.artefacts:
        np.testing.assert_allclose(k.artefacts[name], n.artefacts[name], atol=1e-6, err_msg=name)
    assert [r["step"] for r in k.rows] == [r["step"] for r in n.rows]


def test_auto_uses_the_kernels_where_they_apply_and_says_why_not_elsewhere(blobs):
    train = TrainSpec(steps=5, lr=0.01)
    covered = PopulationTrainer([Member(MLPSpec(layers=(8,)), train, 0, blobs)], device="cpu").run()[0]
    assert covered.info["backend"] == "kernel" and "kernel_unsupported" not in covered.info
    for spec, why in ((MLPSpec(layers=(8,), dropout=0.2), "dropout"),
                      (MLPSpec(layers=(8,), batchnorm=True), "batch norm"),
                      (MLPSpec(layers=(8,), activation="gelu"), "activation 'gelu'"),
                      (MLPSpec(layers=(100, 100)), "a 100 x 100 weight matrix"),
                      (MLPSpec(layers=(64, 64)), "278528 multiply-adds per member and step")):
        out = PopulationTrainer([Member(spec, train, 0, blobs)], device="cpu").run()[0]
        assert out.info["backend"] != "kernel"
        assert out.info["kernel_unsupported"].startswith(why)
    hinge = PopulationTrainer([Member(MLPSpec(layers=(8,)), TrainSpec(steps=5, loss="hinge"), 0, blobs)],
                              device="cpu").run()[0]
    assert hinge.info["backend"] == "kernel"  # every built-in loss is the kernels'
    residual = PopulationTrainer([Member(MLPSpec(layers=(8, 8), residual=True), train, 0, blobs)],
                                 device="cpu").run()[0]
    assert residual.info["backend"] == "kernel"


def test_narrow_layers_stay_on_the_kernels_at_any_batch_size():
    # 2-10-10-10-10-2 on 2,000 rows: 680,000 multiply-adds a step, above MAX_STEP_MACS, but every matrix is
    # narrow (at most NARROW_MATRIX weights); four layers of 40 at the same size go to BLAS
    data = make_dataset("moons", random_state=0, n_train=2000, n_test=50)
    train = TrainSpec(steps=2, lr=0.01, batch_size=None)
    narrow = PopulationTrainer([Member(MLPSpec(layers=(10,) * 4), train, 0, data)], device="cpu").run()[0]
    assert 2000 * (2 * 10 + 3 * 100 + 10 * 2) > compiled.MAX_STEP_MACS and 100 <= compiled.NARROW_MATRIX
    assert narrow.info["backend"] == "kernel"
    wide = PopulationTrainer([Member(MLPSpec(layers=(40,) * 4), train, 0, data)], device="cpu").run()[0]
    assert wide.info["backend"] != "kernel" and "multiply-adds" in wide.info["kernel_unsupported"]


def test_kernel_backend_refuses_what_it_cannot_train(blobs):
    members = [Member(MLPSpec(layers=(8,), dropout=0.5), TrainSpec(steps=3), 0, blobs)]
    with pytest.raises(ConfigError, match="kernel backend cannot train this population: dropout"):
        run(members)


def test_a_user_registered_activation_under_a_builtin_name_is_not_the_kernels(blobs, monkeypatch):
    from atomlab.nn.activations import activations

    monkeypatch.setitem(activations._entries, "tanh", lambda x: torch.tanh(x) * 2)
    out = PopulationTrainer([Member(MLPSpec(layers=(4,), activation="tanh"), TrainSpec(steps=3), 0, blobs)],
                            device="cpu").run()[0]
    assert out.info["kernel_unsupported"] == "activation 'tanh'"


def test_without_numba_the_population_trains_on_todays_path_and_says_so_once(blobs, monkeypatch):
    monkeypatch.setattr(compiled, "_K", None)
    monkeypatch.setattr(compiled, "_WARNED", False)
    monkeypatch.setitem(sys.modules, "atomlab.engine._kernels", None)  # import fails
    members = [Member(MLPSpec(layers=(4,)), TrainSpec(steps=3), 0, blobs)]
    with pytest.warns(RuntimeWarning, match="numba cannot be imported"):
        first = PopulationTrainer(members, device="cpu").run()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PopulationTrainer(members, device="cpu").run()
    assert first.info["backend"] == "numpy" and first.info["kernel_unsupported"] == "numba is not installed"


def test_index_stream_cuts_the_blocks_as_batch_indices_does():
    spec = TrainSpec(steps=23, batch_size=7, sampling="shuffle")
    stream = compiled._IndexStream(index_blocks(spec, [4, 9], [30, 30]))
    steps = list(batch_indices(spec, [4, 9], [30, 30]))
    got = []
    for k in (1, 6, 9, 7):  # stretches that straddle epochs
        idx, starts = stream.take(k)
        got += [idx[:, starts[s]:starts[s + 1]] for s in range(k)]
    assert len(got) == len(steps)
    assert all(np.array_equal(g, s.numpy()) for g, s in zip(got, steps))


def test_kernels_compile_from_an_empty_cache_in_a_fresh_process(tmp_path):
    """No test relies on a warm on-disk cache: a fresh process with an empty cache directory compiles and trains."""
    code = textwrap.dedent("""
        from atomlab.data import make_dataset
        from atomlab.engine import Member, PopulationTrainer, TrainSpec
        from atomlab.nn import MLPSpec
        data = make_dataset("moons", random_state=0, n_train=40, n_test=10)
        out = PopulationTrainer([Member(MLPSpec(layers=(4,)), TrainSpec(steps=3, dtype="float64"), 0, data)],
                                device="cpu", backend="kernel").run()[0]
        print(out.info["backend"], out.rows[-1]["step"])
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["kernel", "3"]
    assert any((tmp_path / "numba-cache").rglob("*.nbi"))  # the compiled kernels were cached there


def test_kernels_fall_back_to_a_private_cache_directory_when_none_is_writable(monkeypatch):
    """numba's cache=True raises at import where no cache directory can be written; the tier then uses a
    temporary one and says so, instead of failing."""
    import importlib

    from numba.core import config

    real = importlib.import_module
    calls = []

    def import_module(name, *args):
        if name == "atomlab.engine._kernels" and not calls:
            calls.append(name)
            raise RuntimeError("cannot cache function 'train_steps': no locator available for file '...'")
        return real(name, *args)

    monkeypatch.setattr(compiled.importlib, "import_module", import_module)
    monkeypatch.setattr(config, "CACHE_DIR", config.CACHE_DIR)  # restored afterwards
    with pytest.warns(RuntimeWarning, match="no writable numba cache directory"):
        module = compiled._import_kernels()
    assert calls and module.train_steps is not None
    assert os.path.isdir(config.CACHE_DIR) and "atomlab-numba-cache-" in config.CACHE_DIR


def test_the_evaluation_before_training_can_be_skipped(blobs):
    members = [Member(MLPSpec(layers=(4,)), TrainSpec(steps=6, record_every=3), 0, blobs)]
    full, skipped = run(members), run(members, record_start=False)
    assert [r["step"] for r in full[0].rows] == [0, 3, 6]
    assert [r["step"] for r in skipped[0].rows] == [3, 6]
    assert all(np.array_equal(full[0].state[k], skipped[0].state[k]) for k in full[0].state)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dense_products_add_in_the_documented_order_bit_for_bit(dtype):
    """The SIMD products (sums held in registers, four at a time, then the remainders) against plain NumPy
    loops that multiply and add lane by lane in the order the kernels document: any reordering or fused
    multiply-add would change the last bits of some of these sums."""
    K = compiled._kernels()
    rng = np.random.default_rng(7)
    L, i0, woff = 24, 2, 3  # 24 lanes: three float32 vectors, six float64 ones; offsets other than zero
    for B, fi, fo in [(1, 1, 1), (5, 1, 16), (8, 16, 1), (5, 3, 6), (9, 6, 3), (4, 4, 4), (7, 5, 2), (17, 9, 1),
                      (12, 10, 7), (37, 5, 8)]:
        boff = woff + fi * fo
        th = (rng.standard_normal((boff + fo + 1, L)) * rng.choice([1e-3, 1.0, 1e3], (boff + fo + 1, 1))).astype(dtype)
        inp = rng.standard_normal((i0 + B * fi, L)).astype(dtype)
        G = rng.standard_normal((B * fo, L)).astype(dtype)
        grad0 = rng.standard_normal(th.shape).astype(dtype)

        Z = np.zeros((1 + B * fo, L), dtype=dtype)
        K._dense(inp, i0, th, woff, boff, Z, 1, B, fi, fo, L)
        grad, D = grad0.copy(), np.zeros((B * fi, L), dtype=dtype)
        K._dense_backward(inp, i0, th, woff, boff, G, D, grad, B, fi, fo, L, True)

        want_Z = np.zeros_like(Z)
        want_grad, want_D = grad0.copy(), np.zeros_like(D)
        for b in range(B):
            for j in range(fo):
                acc = inp[i0 + b * fi] * th[woff + j]  # the first input's product, then the others in order
                for i in range(1, fi):
                    acc = acc + inp[i0 + b * fi + i] * th[woff + i * fo + j]
                want_Z[1 + b * fo + j] = acc + th[boff + j]
        for b in range(B):  # every gradient adds the examples' terms in order of b to what it holds
            for j in range(fo):
                want_grad[boff + j] = want_grad[boff + j] + G[b * fo + j]
                for i in range(fi):
                    w = woff + i * fo + j
                    want_grad[w] = want_grad[w] + inp[i0 + b * fi + i] * G[b * fo + j]
            for i in range(fi):  # the input's gradient sums from zero in order of j
                acc = np.zeros(L, dtype=dtype)
                for j in range(fo):
                    acc = acc + G[b * fo + j] * th[woff + i * fo + j]
                want_D[b * fi + i] = acc
        for got, want, what in ((Z, want_Z, "Z"), (grad, want_grad, "grad"), (D, want_D, "D")):
            assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), (what, B, fi, fo)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_sin_activation_is_correctly_rounded_and_leaves_its_cosine(dtype):
    """sin and its derivative's cos inside the kernels: float32 by the vectorised float64 polynomials
    (libm beyond TRIG_LIBM_ABOVE), float64 by libm; both equal to float64 libm rounded to the type
    (correct rounding: a wrong quadrant, sign or coefficient would show), infinities and NaN give NaN."""
    K = compiled._kernels()
    rng = np.random.default_rng(3)
    L, rows = 24, 500
    z0 = (rng.standard_normal((rows, L)) * rng.choice([1e-3, 1.0, 30.0, 1e4, 1e7], (rows, 1))).astype(dtype)
    z0[0, :6] = [0.0, np.inf, -np.inf, np.nan, K.TRIG_LIBM_ABOVE * 1.5, -K.TRIG_LIBM_ABOVE * 0.99]
    Z, H = z0.copy(), np.zeros_like(z0)
    K._activate(K.SIN, Z, H, 0, rows, L)
    D = rng.standard_normal(z0.shape).astype(dtype)
    G = np.zeros_like(D)
    K._activate_backward(K.SIN, D, Z, H, 0, G, rows, L)
    small = np.abs(z0) <= K.TRIG_LIBM_ABOVE  # beyond it float32 takes libm's sinf, not always correctly rounded
    with np.errstate(invalid="ignore"):
        want_sin = np.sin(z0.astype(np.float64)).astype(dtype)
        want_cos = np.cos(z0.astype(np.float64)).astype(dtype)
    np.testing.assert_array_equal(H[small], want_sin[small])
    np.testing.assert_array_equal(G[small], (D * want_cos)[small])
    np.testing.assert_allclose(H[~small & np.isfinite(z0)], want_sin[~small & np.isfinite(z0)], atol=1e-6, rtol=0)
    assert np.isnan(H[0, 1:4]).all() and np.isnan(G[0, 1:4]).all()


# ----- the built-in losses -------------------------------------------------------------------------
NEW_LOSSES = ("padded_cross_entropy", "mae", "fourth_power", "hinge", "constant", "logit_mse", "logit_mae",
              "logit_fourth_power")
REGRESSION_LOSSES = tuple(name for name in compiled.LOSSES if name not in ("cross_entropy", "padded_cross_entropy"))


def test_every_builtin_loss_is_on_the_tier():
    from atomlab.nn.losses import losses

    assert set(compiled.LOSSES) == {"cross_entropy", "mse", *NEW_LOSSES}
    assert set(compiled.LOSSES) == {n for n in losses.names() if losses.origin(n) == "atomlab.nn.losses"}


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_each_loss_and_its_gradient_as_autograd_computes_them_at_the_kinks_too(task):
    """The kernels' per-lane mean loss and d(loss)/d(outputs) against torch autograd of the registered loss,
    float64, on random outputs and at each kink: |d| = 0 for the MAEs (an output on its one-hot target, or a
    softmax saturated to exactly one-hot), a hinge margin of exactly 0; there autograd's subgradient is 0."""
    from atomlab.nn.losses import get_loss

    K = compiled._kernels()
    rng = np.random.default_rng(11)
    B, C, L, z0 = 5, 3, 8, 2
    regression = task == "regression"
    for name in REGRESSION_LOSSES if regression else compiled.LOSSES:
        out = rng.standard_normal((L, B, C)) * 2.0
        labels = rng.integers(0, C, (L, B))
        targets = rng.standard_normal((L, B, C))
        onehot = np.eye(C)[labels]
        kinks = []  # (lane, example): every output of that example sits on a kink
        if regression:
            out[0, 0] = targets[0, 0]  # d = 0
            targets[1, 0] = [2.0, -4.0, 0.5]
            out[1, 0] = 1.0 / targets[1, 0]  # hinge margin 1 - t z = 0, exactly
            kinks = [(0, 0)] if "mae" in name else ([(1, 0)] if name == "hinge" else [])
        else:
            out[0, 0] = onehot[0, 0]  # logit_mae's d = 0
            out[1, 0] = 2 * onehot[1, 0] - 1  # hinge: t z = 1
            out[2, 0] = np.where(onehot[2, 0] == 1, 0.0, -800.0)  # softmax exactly one-hot: mae's d = 0
            kinks = {"logit_mae": [(0, 0)], "hinge": [(1, 0)], "mae": [(2, 0)]}.get(name, [])
        Z = np.zeros((z0 + B * C, L))
        Z[z0:] = out.transpose(1, 2, 0).reshape(B * C, L)
        yl = np.ascontiguousarray(labels.T)
        yr = np.ascontiguousarray(targets.transpose(1, 2, 0).reshape(B * C, L))
        G, loss = np.full((B * C, L), np.nan), np.full(L, np.nan)
        code = compiled._loss_code(K, name, regression)
        K._output_loss(code, Z, z0, yl, yr, B, C, G, loss, L)

        t_out = torch.tensor(out, requires_grad=True)
        t_y = torch.tensor(targets) if regression else torch.tensor(labels)
        per_lane = get_loss(name)(t_out, t_y).mean(1)  # as the trainer: the mean over examples
        per_lane.sum().backward()
        want_G = t_out.grad.numpy().transpose(1, 2, 0).reshape(B * C, L)
        np.testing.assert_allclose(loss, per_lane.detach().numpy(), rtol=1e-14, atol=1e-16, err_msg=name)
        np.testing.assert_allclose(G, want_G, rtol=1e-12, atol=1e-16, err_msg=name)
        for lane, b in kinks:
            assert (G[b * C:(b + 1) * C, lane] == 0).all() and (want_G[b * C:(b + 1) * C, lane] == 0).all(), name
        if name != "constant":  # the gradient is not zero elsewhere
            assert np.abs(G).max() > 1e-3, name
        else:
            assert not G.any() and not loss.any()


def _loss_recipe(loss, recipe, dtype, steps=40):
    """A train recipe per loss: ``optimizer-penalty`` with an optional ``fullbatch-`` prefix."""
    optimizer, penalty = recipe.replace("fullbatch-", "").split("-")
    # the fourth powers' gradients grow as the cube of the error: on raw outputs of the blobs (inputs of size
    # 10) momentum diverges at 0.001, on the sine's targets at 0.05
    lr = {"logit_fourth_power": 0.0002, "fourth_power": 0.01}.get(loss, 0.05)
    return dict(optimizer=optimizer, lr=lr, steps=steps, batch_size=None if "fullbatch" in recipe else 16, loss=loss,
                dtype=dtype, regularizer=penalty.replace("sum", "_sum"), reg_lambda=0.01, record_every=10)


@pytest.mark.parametrize("recipe", ["sgd-l2", "adam-l2", "fullbatch-momentum-l1sum"])
@pytest.mark.parametrize("task,loss", [("classification", name) for name in NEW_LOSSES]
                         + [("regression", name) for name in REGRESSION_LOSSES if name != "mse"])
def test_float64_of_every_loss_matches_autograd(task, loss, recipe):
    data = (make_dataset("function1d", function="sin", n_train=30, n_test=20) if task == "regression"
            else make_dataset("blobs", random_state=2, n_train=60, n_test=30, centers=3))
    members = [Member(MLPSpec(layers=(6, 5), activation=a, bias_init="same"),
                      TrainSpec(**_loss_recipe(loss, recipe, "float64")), s, data)
               for s, a in enumerate(["tanh", "relu", "elu"])]
    kernel, autograd = run(members), run(members, use_fastpath=False)
    assert {o.info["backend"] for o in kernel} == {"kernel"}
    assert {o.info["backend"] for o in autograd} == {"autograd"}
    for k, a in zip(kernel, autograd):
        assert not a.diverged
        assert_close_outcome(k, a, atol=1e-10)
    start = members[0].model.init_params(data.input_dim, data.output_dim, members[0].seed)[0][0].numpy()
    assert np.abs(kernel[0].state["W0"] - start).max() > 1e-3  # they trained


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_loss_in_float32_member_is_model_alone_bit_for_bit(task):
    """Three members per loss (10 groups of lanes in one population), each equal to itself trained alone."""
    regression = task == "regression"
    data = make_dataset("function1d", function="sin", n_train=30, n_test=20) if regression else _moons()
    names = REGRESSION_LOSSES if regression else compiled.LOSSES
    members = [Member(MLPSpec(layers=(6, 5), activation="tanh"),
                      TrainSpec(**{**_loss_recipe(loss, "adam-l2", "float32", steps=30), "lr": 0.02 * (1 + i)}),
                      seed, data)
               for seed, (loss, i) in enumerate((loss, i) for loss in names for i in range(3))]
    together = run(members)
    assert {o.info["backend"] for o in together} == {"kernel"}
    for member, outcome in zip(members, together):
        assert_same_outcome(outcome, run([member])[0])


def test_unsupported_takes_every_builtin_loss_and_refuses_user_ones(blobs, monkeypatch):
    from atomlab.nn import PopulationMLP
    from atomlab.nn.losses import losses

    net = PopulationMLP([MLPSpec(layers=(8,))], [0], 2, 2)
    spec = TrainSpec(steps=1)
    for loss in compiled.LOSSES:
        assert compiled.unsupported(net, spec, [loss], "classification") is None, loss
    for loss in REGRESSION_LOSSES:
        assert compiled.unsupported(net, spec, [loss], "regression") is None, loss
    for loss in ("cross_entropy", "padded_cross_entropy"):  # they need labels
        assert compiled.unsupported(net, spec, [loss], "regression") == f"loss {loss!r} on regression"
    # a user's loss, and a user's function re-registered under a built-in name, run on today's path
    monkeypatch.setitem(losses._entries, "hinge", lambda out, y: torch.relu(1 - out).mean(-1))
    assert compiled.unsupported(net, spec, ["cross_entropy", "hinge"], "classification") == "loss 'hinge'"
    monkeypatch.setitem(losses._entries, "cube-error-kernel-test", lambda out, y: (out - 1).abs().pow(3).mean(-1))
    assert compiled.unsupported(net, spec, ["cube-error-kernel-test"], "classification") == \
        "loss 'cube-error-kernel-test'"
    out = PopulationTrainer([Member(MLPSpec(layers=(8,)), TrainSpec(steps=3, loss="hinge"), 0, blobs)],
                            device="cpu").run()[0]
    assert out.info["backend"] != "kernel" and out.info["kernel_unsupported"] == "loss 'hinge'"


def test_divergence_guard_on_a_new_loss_as_on_autograd():
    """The fourth power's cubic gradient blows up at a large step: the same step is marked as by autograd."""
    data = make_dataset("function1d", function="sin", n_train=30, n_test=20)
    spec = MLPSpec(layers=(6, 5), activation="tanh")
    members = [Member(spec, TrainSpec(optimizer="sgd", lr=lr, steps=40, batch_size=8, loss="fourth_power",
                                      dtype="float64", record_every=5), s, data)
               for s, lr in enumerate((0.01, 0.5, 0.01))]
    kernel, autograd = run(members), run(members, use_fastpath=False)
    assert [o.diverged for o in kernel] == [False, True, False]
    assert [o.diverged_step for o in kernel] == [o.diverged_step for o in autograd]
    assert [len(o.rows) for o in kernel] == [len(o.rows) for o in autograd]
