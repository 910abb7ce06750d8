"""Hand-derived gradients against central finite differences and against PyTorch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from atomlab.scratch import ACTIVATIONS, DeepNet, ThreeLayerNet, numerical_gradient, relative_error

TORCH_ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}
ARCHS = [[2, 3, 2], [3, 5, 4], [2, 3, 3, 2], [4, 6, 2, 5, 3], [5, 3]]  # [5, 3]: no hidden layer
TOL = 1e-6


def make_net(arch: list[int], activation: str, reg_lambda: float, seed: int) -> DeepNet | ThreeLayerNet:
    """A net with random (not zero) biases and a little data, so every term of the backward pass matters."""
    net = (
        ThreeLayerNet(*arch, activation, reg_lambda=reg_lambda, seed=seed)
        if len(arch) == 3 and seed % 2 == 0
        else DeepNet(arch, activation, seed=seed, reg_lambda=reg_lambda)
    )
    rng = np.random.RandomState(100 + seed)
    weights, biases = net.get_params()
    net.set_params(weights, [rng.randn(*b.shape) * 0.5 for b in biases])
    return net


def make_data(arch: list[int], seed: int, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    return rng.randn(n, arch[0]), rng.randint(0, arch[-1], n)


CASES = [
    (arch, act, reg, seed) for seed, arch in enumerate(ARCHS) for act in ACTIVATIONS for reg in (0.0, 0.1)
]


@pytest.mark.parametrize(("arch", "activation", "reg_lambda", "seed"), CASES)
def test_backward_matches_finite_differences(arch, activation, reg_lambda, seed):
    net = make_net(arch, activation, reg_lambda, seed)
    X, y = make_data(arch, seed)
    analytic = net.backward(X, y)
    numeric = numerical_gradient(net, X, y)
    assert list(analytic) == list(net.parameters())
    for name in analytic:
        assert analytic[name].shape == net.parameters()[name].shape
        assert relative_error(analytic[name], numeric[name]) < TOL, name


def torch_loss_and_grads(net, X, y):
    """The same network, rebuilt in torch float64 from the numpy parameters."""
    weights, biases = net.get_params()
    Ws = [torch.tensor(W, requires_grad=True) for W in weights]
    bs = [torch.tensor(b, requires_grad=True) for b in biases]
    f = TORCH_ACT[net.activation]
    a = torch.tensor(X)
    for W, b in zip(Ws[:-1], bs[:-1]):
        a = f(a @ W + b)
    logits = a @ Ws[-1] + bs[-1]
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y)) + net.reg_lambda / 2 * sum(
        (W**2).sum() for W in Ws
    )
    loss.backward()
    grads = {}
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        grads[f"W{l}"], grads[f"b{l}"] = W.grad.numpy(), b.grad.numpy()
    return loss.item(), torch.softmax(logits, dim=1).detach().numpy(), grads


@pytest.mark.parametrize(("arch", "activation", "reg_lambda", "seed"), CASES)
def test_backward_matches_torch_autograd(arch, activation, reg_lambda, seed):
    net = make_net(arch, activation, reg_lambda, seed)
    X, y = make_data(arch, seed)
    loss, probs, expected = torch_loss_and_grads(net, X, y)
    assert net.loss(X, y) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(net.forward(X), probs, rtol=1e-12, atol=1e-15)
    got = net.backward(X, y)
    for name in expected:
        assert relative_error(got[name], expected[name]) < TOL, name


def test_gradient_check_has_teeth():
    """A gradient missing its L2 term is caught by both references."""
    arch = [3, 4, 2]
    X, y = make_data(arch, 0)
    net = make_net(arch, "tanh", 0.5, 1)
    numeric = numerical_gradient(net, X, y)
    _, _, autograd = torch_loss_and_grads(net, X, y)
    net.reg_lambda = 0.0
    wrong = net.backward(X, y)
    assert relative_error(wrong["W1"], numeric["W1"]) > 1e-2
    assert relative_error(wrong["W1"], autograd["W1"]) > 1e-2


def test_numerical_gradient_restores_parameters():
    net = make_net([2, 3, 2], "sigmoid", 0.1, 0)
    before = net.get_params()
    numerical_gradient(net, *make_data([2, 3, 2], 0))
    after = net.get_params()
    for a, b in zip(before[0] + before[1], after[0] + after[1]):
        np.testing.assert_array_equal(a, b)


def test_three_layer_net_is_the_two_layer_deep_net():
    """Same seed, same initial weights as 003's code draws them; same loss and gradients."""
    three, deep = ThreeLayerNet(2, 5, 3, "relu", seed=7), DeepNet([2, 5, 3], "relu", seed=7)
    np.random.seed(7)  # 003's code: global seed, then W1, then W2
    W1 = np.random.randn(2, 5) / np.sqrt(2)
    W2 = np.random.randn(5, 3) / np.sqrt(5)
    for net in (three, deep):
        np.testing.assert_array_equal(net.weights[0], W1)
        np.testing.assert_array_equal(net.weights[1], W2)
        assert all(not b.any() for b in net.biases)
    X, y = make_data([2, 5, 3], 3)
    assert three.loss(X, y) == deep.loss(X, y)
    g3, gd = three.backward(X, y), deep.backward(X, y)
    assert list(g3) == list(gd) == ["W1", "b1", "W2", "b2"]
    for name in g3:
        np.testing.assert_allclose(g3[name], gd[name], rtol=1e-14, atol=1e-16)


def test_relative_error():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(3), 2 * np.ones(3)) == pytest.approx(1 / 3)
    assert relative_error({"a": np.ones(2), "b": np.zeros(1)}, {"b": np.zeros(1), "a": np.ones(2)}) == 0.0
