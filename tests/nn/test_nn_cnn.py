"""The MNIST CNNs of 003 and 004, and conv/pool arithmetic computed by building the layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from atomlab.errors import ConfigError
from atomlab.nn.cnn import build_cnn, conv_layer_facts, conv_output_size, n_params, pool2x2, sizes_through_convs


def test_mnist_cnn_is_the_source_network():
    net = build_cnn({"name": "mnist_cnn"})
    shapes = [tuple(p.shape) for p in net.parameters()]
    assert shapes == [(10, 1, 5, 5), (10,), (20, 10, 5, 5), (20,), (50, 320), (50,), (10, 50), (10,)]
    assert n_params(net) == 260 + 5020 + 16050 + 510
    # 003's statistics name layers by their index in its nn.Sequential: convolutions at 0 and 3, linears at 7, 10
    assert [i for i, m in enumerate(net) if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)] == [0, 3, 7, 10]
    # log-softmax outputs: exp sums to one
    assert torch.allclose(net(torch.randn(3, 1, 28, 28)).exp().sum(1), torch.ones(3), atol=1e-5)


def test_cnn_weights_come_from_the_generator():
    a = build_cnn({"name": "small_cnn", "channels": [4, 8], "hidden": 16}, generator=torch.Generator().manual_seed(1))
    b = build_cnn({"name": "small_cnn", "channels": [4, 8], "hidden": 16}, generator=torch.Generator().manual_seed(1))
    c = build_cnn({"name": "small_cnn", "channels": [4, 8], "hidden": 16}, generator=torch.Generator().manual_seed(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


def test_bad_cnn_specs_raise_clear_errors():
    with pytest.raises(ConfigError, match="did you mean 'dropout'"):
        build_cnn({"name": "mnist_cnn", "dropuot": 0.5})
    with pytest.raises(ConfigError, match="unknown CNN"):
        build_cnn({"name": "lenet"})


def test_conv_facts_come_from_the_layer_and_agree_with_the_formula():
    facts = conv_layer_facts((32, 32, 3), filters=8, kernel=5)
    assert facts["n_params"] == 8 * 5 * 5 * 3 + 8 and facts["n_biases"] == 8
    assert facts["out_shape"] == (28, 28, 8) and facts["formula_size"] == 28
    assert conv_layer_facts((32, 32, 3), filters=8, kernel=5, padding=2)["out_shape"][:2] == (32, 32)
    assert conv_output_size(32, 5, stride=2) == 14
    assert sizes_through_convs(28, 5, 8, padding=0) == [28, 24, 20, 16, 12, 8, 4, 0, 0]


def test_pooling_of_shifted_corner_blocks():
    block = np.zeros((4, 4))
    block[:3, :3] = 1
    shifted = np.roll(block, 1, axis=1)
    np.testing.assert_array_equal(pool2x2(block, "avg"), [[1, 0.5], [0.5, 0.25]])
    np.testing.assert_array_equal(pool2x2(block, "max"), np.ones((2, 2)))
    np.testing.assert_array_equal(pool2x2(shifted, "max"), np.ones((2, 2)))
    assert not np.array_equal(pool2x2(shifted, "avg"), pool2x2(block, "avg"))
    with pytest.raises(ConfigError, match="avg"):
        pool2x2(block, "median")
