"""The N-layer network of problem set 003, part I: ``DeepNeuralNetwork`` with lists of W and b.

With ``layer_sizes = [d_0, d_1, ..., d_L]`` (input width, hidden widths, number of classes) and
``a_0 = X``:

    z_l = a_{l-1} W_l + b_l,   a_l = f(z_l)         for l = 1 .. L-1   (hidden layers)
    z_L = a_{L-1} W_L + b_L,   p = softmax(z_L)                        (output layer)
    L   = -1/n sum_n log p[n, y_n]  +  lambda/2 sum_l ||W_l||^2

Backpropagation carries ``delta_l = dL/dz_l`` from the top down. Every step is the 3-layer one
(three_layer.py) with the indices let loose:

    delta_L     = (p - Y) / n                               softmax + mean cross-entropy
    dL/dW_l     = a_{l-1}^T delta_l + lambda W_l            z_l is linear in W_l with input a_{l-1}
    dL/db_l     = sum_n delta_l[n]
    delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})             through W_l, then through f elementwise

So the forward pass must keep every ``a_l`` (for dW) and every ``z_l`` (for f').
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from atomlab.errors import ConfigError, unknown_choice
from atomlab.scratch._base import ScratchNet
from atomlab.scratch.activations import (
    cross_entropy,
    get_activation,
    softmax,
    softmax_cross_entropy_grad,
)

# Weight initialisers: (rng, fan_in, fan_out) -> W. Biases always start at zero.
INITS: dict[str, Callable[[np.random.RandomState, int, int], np.ndarray]] = {
    # 003's code: N(0, 1) / sqrt(fan_in), i.e. variance 1/fan_in (LeCun normal).
    "003": lambda rng, fan_in, fan_out: rng.randn(fan_in, fan_out) / np.sqrt(fan_in),
    # Glorot & Bengio (2010), normal: variance 2 / (fan_in + fan_out).
    "xavier": lambda rng, fan_in, fan_out: rng.randn(fan_in, fan_out) * np.sqrt(2.0 / (fan_in + fan_out)),
    # He et al. (2015), for ReLU: variance 2 / fan_in.
    "he": lambda rng, fan_in, fan_out: rng.randn(fan_in, fan_out) * np.sqrt(2.0 / fan_in),
}


def check_layer_sizes(layer_sizes: Sequence[int]) -> list[int]:
    """Validate ``[input, hidden..., classes]``: at least two entries, all positive integers.

    Examples
    --------
    >>> check_layer_sizes([2, 3, 2])
    [2, 3, 2]
    >>> check_layer_sizes([2])
    Traceback (most recent call last):
    ...
    atomlab.errors.ConfigError: layer_sizes needs at least [input_dim, n_classes]; got [2]
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ConfigError(f"layer_sizes needs at least [input_dim, n_classes]; got {sizes}")
    for s in sizes:
        if not isinstance(s, int | np.integer) or isinstance(s, bool) or s < 1:
            raise ConfigError(f"layer_sizes must be positive integers; got {s!r} in {sizes}")
    return [int(s) for s in sizes]


class DeepNet(ScratchNet):
    """A fully connected network of any depth: activation ``f`` on hidden layers, softmax output.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[input_dim, hidden_1, ..., hidden_k, n_classes]`` (003's ``nn_layer_dims``); ``[2, 3, 2]`` is
        :class:`~atomlab.scratch.ThreeLayerNet`, and with the same seed starts from the same weights.
    activation : {"tanh", "sigmoid", "relu", "identity"}
        Hidden activation ``f``.
    seed : int
        Seeds ``np.random.RandomState``, drawn W_1, ..., W_L in order (as 003's code does).
    reg_lambda : float
        L2 strength: the loss adds ``reg_lambda / 2 * sum_l ||W_l||^2``; biases are not penalised.
        The default is 003's ``reg_lambda=0.01`` on its 200-point data, in this package's convention
        (see :func:`~atomlab.scratch.problem_set_hyperparameters`).
    init : {"003", "xavier", "he"}
        Weight initialisation; biases start at zero.
    dtype : numpy float type
        float64 by default, which gradient checks need.

    Attributes
    ----------
    weights, biases : list of ndarray
        ``W_l`` of shape ``(d_{l-1}, d_l)`` and ``b_l`` of shape ``(d_l,)``; see ``get_params`` /
        ``set_params`` to copy them to or from another engine.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(200, centers=4, random_state=0)
    >>> net = DeepNet([2, 4, 4, 4], "tanh", seed=0).fit(X, y, num_passes=1000, lr=0.5)
    >>> net.score(X, y) > 0.85
    True
    >>> net
    DeepNet([2, 4, 4, 4], 'tanh', seed=0, reg_lambda=5e-05, init='003')
    >>> [W.shape for W in net.weights]
    [(2, 4), (4, 4), (4, 4)]
    >>> net.decision_function(np.zeros((5, 5, 2))).shape   # a grid of points -> logits per point
    (5, 5, 4)
    """

    def __init__(
        self,
        layer_sizes: Sequence[int] = (2, 3, 3, 2),
        activation: str = "tanh",
        seed: int = 0,
        reg_lambda: float = 5e-5,
        init: str = "003",
        *,
        dtype: type = np.float64,
    ) -> None:
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.act = get_activation(activation)
        if init not in INITS:
            raise unknown_choice("init", init, INITS)
        self.activation, self.init, self.seed, self.dtype = activation, init, seed, dtype
        self.reg_lambda = float(reg_lambda)
        rng = np.random.RandomState(seed)
        fans = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.weights = [INITS[init](rng, fan_in, fan_out).astype(dtype) for fan_in, fan_out in fans]
        self.biases = [np.zeros(fan_out, dtype) for _, fan_out in fans]
        self.history_, self.diverged_at_ = [], None

    def __repr__(self) -> str:
        return (
            f"DeepNet({self.layer_sizes}, {self.activation!r}, seed={self.seed}, "
            f"reg_lambda={self.reg_lambda}, init={self.init!r})"
        )

    def logits(self, X: np.ndarray) -> np.ndarray:
        """``z_L`` for inputs ``X`` of shape ``(n, layer_sizes[0])``."""
        a = np.asarray(X, dtype=self.dtype)
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            a = self.act.f(a @ W + b)
        return a @ self.weights[-1] + self.biases[-1]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Probabilities ``softmax(z_L)``; caches ``zs = [z_1..z_L]`` and ``activations = [a_0..a_{L-1}]``."""
        a = np.asarray(X, dtype=self.dtype)
        self.zs, self.activations = [], [a]
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            z = a @ W + b
            self.zs.append(z)
            if l < len(self.weights):  # hidden layer; the output layer goes to the softmax instead
                a = self.act.f(z)
                self.activations.append(a)
        self.probs = softmax(self.zs[-1])
        return self.probs

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """``-1/n sum_n log p[n, y_n] + reg_lambda/2 sum_l ||W_l||^2``."""
        X, y = self._check_Xy(X, y)
        penalty = self.reg_lambda / 2 * sum(np.sum(W**2) for W in self.weights)
        return cross_entropy(self.forward(X), y) + float(penalty)

    def backward(self, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of :meth:`loss` (derivation in the module docstring), keyed W1, b1, ..., WL, bL."""
        X, y = self._check_Xy(X, y)
        delta = softmax_cross_entropy_grad(self.forward(X), y)  # delta_L
        grads: dict[str, np.ndarray] = {}
        for l in range(len(self.weights), 0, -1):  # l = L .. 1; python lists hold layer l at l - 1
            W, a_prev = self.weights[l - 1], self.activations[l - 1]
            grads[f"W{l}"] = a_prev.T @ delta + self.reg_lambda * W
            grads[f"b{l}"] = delta.sum(axis=0)
            if l > 1:
                delta = (delta @ W.T) * self.act.slope(self.zs[l - 2], a_prev)  # delta_{l-1}: z_{l-1}, a_{l-1}
        return {name: grads[name] for name in self.parameters()}  # W1, b1, ..., WL, bL
