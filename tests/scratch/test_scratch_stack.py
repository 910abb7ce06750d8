"""DeepNetStack: many scratch networks at once, each exactly as it trains alone."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_moons

from atomlab.errors import ConfigError
from atomlab.scratch import DeepNet, DeepNetStack


def _moons(seeds):
    data = [make_moons(120, noise=0.2, random_state=s) for s in seeds]
    return np.stack([d[0] for d in data]), np.stack([d[1] for d in data])


@pytest.mark.parametrize("sizes, activation", [([2, 3, 2], "tanh"), ([2, 3, 3, 3, 3, 2], "relu"),
                                                ([2, 8, 3, 2], "sigmoid")])
def test_members_train_bit_for_bit_as_alone(sizes, activation):
    X, y = _moons(range(4))
    stack = DeepNetStack([DeepNet(sizes, activation, seed=s) for s in range(4)])
    stack.fit(X, y, num_passes=150, lr=2.0, record_every=50)
    for k in range(4):
        alone = DeepNet(sizes, activation, seed=k).fit(X[k], y[k], num_passes=150, lr=2.0, record_every=50)
        for a, b in zip(alone.weights + alone.biases, stack.nets[k].weights + stack.nets[k].biases):
            assert np.array_equal(a, b)
        # recorded losses: the same quantity, summed in another order
        np.testing.assert_allclose([loss for _, loss in alone.history_], [h[1][k] for h in stack.history_],
                                   rtol=1e-12)
    assert [s for s, _ in stack.history_] == [0, 50, 100, 150]


def test_members_are_views_of_the_stack():
    X, y = _moons(range(2))
    stack = DeepNetStack([DeepNet([2, 4, 2], seed=s) for s in range(2)])
    stack.fit(X, y, num_passes=5, lr=1.0)
    stack.weights[0][1] += 1.0
    assert np.array_equal(stack.nets[1].weights[0], stack.weights[0][1])
    assert stack.nets[0].score(X[0], y[0]) == DeepNet([2, 4, 2]).set_params(*stack.nets[0].get_params()).score(
        X[0], y[0])


def test_a_diverging_member_does_not_touch_the_others():
    X, y = _moons(range(3))
    nets = [DeepNet([2, 5, 2], "relu", seed=s) for s in range(3)]
    nets[1].weights[0][:] = 1e200  # member 1 overflows at once
    stack = DeepNetStack(nets).fit(X, y, num_passes=40, lr=2.0, record_every=10)
    assert stack.diverged_at_.tolist()[1] >= 0 and stack.diverged_at_[[0, 2]].tolist() == [-1, -1]
    alone = DeepNet([2, 5, 2], "relu", seed=2).fit(X[2], y[2], num_passes=40, lr=2.0, record_every=10)
    assert np.array_equal(alone.weights[0], stack.nets[2].weights[0])


def test_bad_members_and_data_are_refused_with_the_reason():
    with pytest.raises(ConfigError, match="at least one network"):
        DeepNetStack([])
    with pytest.raises(ConfigError, match="member 1 has"):
        DeepNetStack([DeepNet([2, 3, 2]), DeepNet([2, 4, 2])])
    with pytest.raises(ConfigError, match="member 1 has"):
        DeepNetStack([DeepNet([2, 3, 2], "tanh"), DeepNet([2, 3, 2], "relu")])
    stack = DeepNetStack([DeepNet([2, 3, 2], seed=s) for s in range(2)])
    X, y = _moons(range(2))
    with pytest.raises(ConfigError, match=r"X must have shape \(2, n, 2\)"):
        stack.fit(X[:1], y[:1], num_passes=1)
    with pytest.raises(ConfigError, match="integer labels in 0..1"):
        stack.fit(X, y + 1, num_passes=1)
