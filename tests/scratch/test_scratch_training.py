"""Training behaviour: it learns make_moons, it is deterministic, it matches 003's own update rule."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons

from atomlab.scratch import DeepNet, ThreeLayerNet, problem_set_hyperparameters


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    return make_moons(200, noise=0.2, random_state=0)


@pytest.mark.parametrize("make", [lambda: ThreeLayerNet(2, 3, 2, "tanh", seed=0), lambda: DeepNet([2, 3, 2])])
def test_learns_moons_with_three_tanh_units(moons, make):
    X, y = moons
    net = make().fit(X, y, num_passes=2000, lr=0.5, record_every=100)
    assert net.score(X, y) > 0.85
    steps, losses = zip(*net.history_)
    assert steps == tuple(range(0, 2001, 100))
    # A step well inside the stable range: full-batch gradient descent lowers the loss every time.
    assert all(np.diff(losses) < 0)
    assert losses[-1] < 0.25 * losses[0]
    assert net.diverged_at_ is None


def test_learns_moons_with_the_003_step(moons):
    """The default step (003's) sits at the edge of stability: the loss zig-zags but falls."""
    X, y = moons
    net = ThreeLayerNet(seed=0).fit(X, y, num_passes=2000, record_every=100)
    losses = [loss for _, loss in net.history_]
    assert net.score(X, y) > 0.85
    assert losses[-1] < 0.25 * losses[0] and max(losses[5:]) < 0.5 * losses[0]


def test_blobs_four_classes():
    X, y = make_blobs(200, centers=4, random_state=0)
    net = DeepNet([2, 4, 4, 4], "sigmoid", seed=0).fit(X, y, num_passes=3000)
    assert net.score(X, y) > 0.85
    assert net.predict_proba(X).shape == (200, 4)


def run(seed: int, X, y) -> list[np.ndarray]:
    net = DeepNet([2, 4, 3, 2], "tanh", seed=seed).fit(X, y, num_passes=300)
    weights, biases = net.get_params()
    return weights + biases


def test_same_seed_same_weights_different_seed_different(moons):
    a, b, c = run(0, *moons), run(0, *moons), run(1, *moons)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert all(not np.allclose(u, w) for u, w in zip(a, c) if u.ndim == 2)


def test_matches_003_update_rule(moons):
    """003's fit_model steps along the gradient of the *summed* loss with epsilon and reg_lambda;
    ours, with problem_set_hyperparameters, takes the same steps."""
    X, y = moons
    n, passes = len(X), 200
    np.random.seed(0)  # 003's initialisation, then its loop, written out as 003 has it
    W1 = np.random.randn(2, 3) / np.sqrt(2)
    b1 = np.zeros((1, 3))
    W2 = np.random.randn(3, 2) / np.sqrt(3)
    b2 = np.zeros((1, 2))
    for _ in range(passes):
        a1 = np.tanh(X @ W1 + b1)
        z2 = a1 @ W2 + b2
        probs = np.exp(z2) / np.sum(np.exp(z2), axis=1, keepdims=True)
        delta3 = probs.copy()
        delta3[range(n), y] -= 1
        dW2 = a1.T @ delta3 + 0.01 * W2
        db2 = np.sum(delta3, axis=0, keepdims=True)
        delta2 = delta3 @ W2.T * (1 - a1**2)
        dW1 = X.T @ delta2 + 0.01 * W1
        db1 = np.sum(delta2, axis=0)
        W1, b1, W2, b2 = W1 - 0.01 * dW1, b1 - 0.01 * db1, W2 - 0.01 * dW2, b2 - 0.01 * db2
    hp = problem_set_hyperparameters(n, epsilon=0.01, reg_lambda=0.01)
    assert hp == {"lr": 2.0, "reg_lambda": 5e-05}
    net = ThreeLayerNet(2, 3, 2, "tanh", seed=0, reg_lambda=hp["reg_lambda"])
    net.fit(X, y, num_passes=passes, lr=hp["lr"])
    for ours, theirs in zip([net.W1, net.b1, net.W2, net.b2], [W1, b1, W2, b2]):
        np.testing.assert_allclose(ours, theirs.reshape(ours.shape), rtol=1e-9, atol=1e-12)
    # 003's reported loss (sum CE + lambda/2 ||W||^2) / n is our loss under the translated lambda.
    a1 = np.tanh(X @ W1 + b1)
    z2 = a1 @ W2 + b2
    probs = np.exp(z2) / np.sum(np.exp(z2), axis=1, keepdims=True)
    loss_003 = (-np.sum(np.log(probs[range(n), y])) + 0.01 / 2 * (np.sum(W1**2) + np.sum(W2**2))) / n
    assert net.history_[-1][1] == pytest.approx(loss_003, rel=1e-9)


def test_fit_reg_lambda_overrides_and_history_resets(moons):
    X, y = moons
    net = ThreeLayerNet(seed=0).fit(X, y, num_passes=10, record_every=4, reg_lambda=0.3)
    assert net.reg_lambda == 0.3
    assert [s for s, _ in net.history_] == [0, 4, 8, 10]
    net.fit(X, y, num_passes=2, record_every=4)
    assert [s for s, _ in net.history_] == [0, 2]


def test_divergence_is_recorded_not_raised(moons):
    X, y = moons
    with np.errstate(all="ignore"):
        net = DeepNet([2, 8, 8, 2], "relu", seed=0).fit(100 * X, y, num_passes=500, lr=1e6, record_every=1)
    assert net.diverged_at_ is not None and net.diverged_at_ < 500
    assert not np.isfinite(net.history_[-1][1])
    assert net.history_[-1][0] == net.diverged_at_


def test_predictions_on_a_grid(moons):
    X, y = moons
    net = ThreeLayerNet(seed=0).fit(X, y, num_passes=500)
    xx, yy = np.meshgrid(np.linspace(-2, 3, 7), np.linspace(-1.5, 2, 5))
    grid = np.stack([xx, yy], axis=-1)  # (5, 7, 2)
    proba, score, label = net.predict_proba(grid), net.decision_function(grid), net.predict(grid)
    assert proba.shape == (5, 7, 2) and score.shape == (5, 7) and label.shape == (5, 7)
    np.testing.assert_allclose(proba.sum(axis=-1), 1.0)
    # The two-class score is the log-odds of class 1, so its sign is the prediction.
    np.testing.assert_allclose(score, np.log(proba[..., 1] / proba[..., 0]), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(label, (score > 0).astype(int))
    np.testing.assert_array_equal(net.predict_proba(grid.reshape(-1, 2)).reshape(5, 7, 2), proba)
    blobs = DeepNet([2, 4, 3], seed=0)
    assert blobs.decision_function(grid).shape == (5, 7, 3)


def test_params_round_trip_between_networks(moons):
    X, y = moons
    trained = DeepNet([2, 5, 2], "sigmoid", seed=3).fit(X, y, num_passes=100)
    weights, biases = trained.get_params()
    trained.get_params()[0][0][0, 0] += 1.0  # get_params gives copies: editing one leaves the net alone
    np.testing.assert_array_equal(trained.weights[0], weights[0])
    other = DeepNet([2, 5, 2], "sigmoid", seed=99).set_params(weights, biases)
    np.testing.assert_array_equal(other.predict_proba(X), trained.predict_proba(X))
    three = ThreeLayerNet(2, 5, 2, "sigmoid").set_params(weights, biases)
    np.testing.assert_array_equal(three.W1, trained.weights[0])
    np.testing.assert_allclose(three.predict_proba(X), trained.predict_proba(X), rtol=1e-14)


def test_float64_by_default_and_float32_on_request(moons):
    X, y = moons
    assert all(W.dtype == np.float64 for W in DeepNet().weights)
    net = DeepNet([2, 3, 2], dtype=np.float32).fit(X, y, num_passes=5)
    assert all(p.dtype == np.float32 for p in net.parameters().values())
    assert net.predict_proba(X).dtype == np.float32


def test_pickles(moons):
    X, y = moons
    net = DeepNet([2, 3, 2], "relu").fit(X, y, num_passes=5)
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.predict_proba(X), net.predict_proba(X))
