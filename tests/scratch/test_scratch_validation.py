"""Bad input raises one ConfigError that names the bad value and the allowed ones."""

from __future__ import annotations

import numpy as np
import pytest

from atomlab.errors import ConfigError
from atomlab.scratch import DeepNet, ThreeLayerNet, get_activation


@pytest.mark.parametrize(
    "make", [lambda a: ThreeLayerNet(activation=a), lambda a: DeepNet(activation=a), get_activation]
)
def test_unknown_activation_names_the_allowed_ones(make):
    with pytest.raises(ConfigError) as err:
        make("rleu")
    message = str(err.value)
    assert "'rleu'" in message and "did you mean 'relu'" in message
    for name in ("tanh", "sigmoid", "relu", "identity"):
        assert name in message


def test_unknown_init():
    with pytest.raises(ConfigError, match=r"unknown init 'glorot'.*known: 003, he, xavier"):
        DeepNet(init="glorot")


@pytest.mark.parametrize("sizes", [[], [2], [2, 0, 2], [2, 3, -1], [2, 2.5, 2], [2, True, 2], [2, "3", 2]])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ConfigError, match="layer_sizes"):
        DeepNet(sizes)


@pytest.mark.parametrize("dims", [(0, 3, 2), (2, -3, 2), (2, 3, 1.0)])
def test_bad_three_layer_dims(dims):
    with pytest.raises(ConfigError, match="must be a positive integer"):
        ThreeLayerNet(*dims)


def test_bad_training_data():
    net = DeepNet([2, 3, 2])
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ConfigError, match=r"X must have shape \(n, 2\)"):
        net.fit(np.zeros((4, 3)), y)
    with pytest.raises(ConfigError, match=r"y must have shape \(4,\)"):
        net.loss(X, y[:3])
    with pytest.raises(ConfigError, match="integer labels in 0..1"):
        net.backward(X, np.array([0, 1, 2, 0]))
    with pytest.raises(ConfigError, match="integer labels"):
        net.fit(X, y.astype(float))


def test_set_params_checks_shapes():
    net = DeepNet([2, 3, 2])
    weights, biases = net.get_params()
    with pytest.raises(ConfigError, match="weight shapes"):
        net.set_params(weights[::-1], biases)
    with pytest.raises(ConfigError, match="bias shapes"):
        net.set_params(weights, [b[:, None] for b in biases])
