"""The 3-layer network of problem set 003, part I: input -> one hidden layer -> softmax.

Rows are examples (X has shape ``(n, d)``), so the layers read ``z = X W + b`` where 003's text writes
``W X + b``; the code 003 ran uses rows too.

    z1 = X W1 + b1          a1 = f(z1)
    z2 = a1 W2 + b2         p  = softmax(z2)
    L  = -1/n sum_n log p[n, y_n]  +  lambda/2 (||W1||^2 + ||W2||^2)

Backpropagation, by the chain rule from the loss down (003's Delta_3 and Delta_2, divided by n
because the loss is a mean):

    delta3 = dL/dz2 = (p - Y) / n                  Y one-hot; derived in activations.py
    dL/dW2 = a1^T delta3 + lambda W2               z2[n,j] = sum_i a1[n,i] W2[i,j] + b2[j], so
                                                   dL/dW2[i,j] = sum_n a1[n,i] delta3[n,j]
    dL/db2 = sum_n delta3[n]                       each bias touches every row with slope 1
    delta2 = dL/dz1 = (delta3 W2^T) * f'(z1)       dL/da1 = delta3 W2^T; f acts elementwise
    dL/dW1 = X^T delta2 + lambda W1
    dL/db1 = sum_n delta2[n]
"""

from __future__ import annotations

import numpy as np

from atomlab.errors import ConfigError
from atomlab.scratch._base import ScratchNet
from atomlab.scratch.activations import (
    cross_entropy,
    get_activation,
    softmax,
    softmax_cross_entropy_grad,
)


def problem_set_hyperparameters(
    n_samples: int, *, epsilon: float = 0.01, reg_lambda: float = 0.01
) -> dict[str, float]:
    """Translate 003's ``(epsilon, reg_lambda)`` into this package's ``(lr, reg_lambda)``.

    003's code reports ``L = (sum_n CE_n + lambda/2 ||W||^2) / n`` but steps along the gradient of
    ``n * L`` (its ``delta3 = p - Y`` is not divided by n). Here the loss is ``mean CE + lambda'/2 ||W||^2``
    and the step follows its own gradient. The two runs are the same when
    ``lr = epsilon * n`` and ``lambda' = lambda / n``; a test checks it step for step.

    Parameters
    ----------
    n_samples : int
        Training-set size n.
    epsilon, reg_lambda : float
        003's step size and regularisation strength (its defaults: 0.01 and 0.01).

    Returns
    -------
    dict
        ``{"lr": ..., "reg_lambda": ...}`` for :meth:`ThreeLayerNet.fit` / :class:`DeepNet`.

    Examples
    --------
    >>> problem_set_hyperparameters(200)
    {'lr': 2.0, 'reg_lambda': 5e-05}
    """
    return {"lr": epsilon * n_samples, "reg_lambda": reg_lambda / n_samples}


class ThreeLayerNet(ScratchNet):
    """One hidden layer with activation ``f``, softmax output, cross-entropy loss with L2.

    Parameters
    ----------
    input_dim, hidden_dim, output_dim : int
        Layer widths (003's ``nn_input_dim``, ``nn_hidden_dim``, ``nn_output_dim``); ``output_dim`` is
        the number of classes.
    activation : {"tanh", "sigmoid", "relu", "identity"}
        The hidden activation ``f`` (003's ``actFun_type``).
    reg_lambda : float
        L2 strength: the loss adds ``reg_lambda / 2 * (||W1||^2 + ||W2||^2)``; biases are not penalised.
        The default is 003's ``reg_lambda=0.01`` on its 200-point data, in this package's convention
        (see :func:`problem_set_hyperparameters`).
    seed : int
        Seeds the initialisation, which is 003's: ``W ~ N(0, 1) / sqrt(fan_in)``, ``b = 0``, drawn
        W1 then W2 from ``np.random.RandomState(seed)`` (the stream of ``np.random.seed(seed)``, so the
        weights equal those of 003's code, without touching global state).
    dtype : numpy float type
        float64 by default, which gradient checks need.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.2, random_state=0)
    >>> net = ThreeLayerNet(2, 3, 2, "tanh", seed=0).fit(X, y, num_passes=2000)
    >>> net.score(X, y) > 0.9
    True
    >>> net
    ThreeLayerNet(2, 3, 2, 'tanh', reg_lambda=5e-05, seed=0)
    >>> net.history_[0][0], net.history_[-1][0]
    (0, 2000)
    >>> net.predict_proba(X[:2]).shape, net.decision_function(X[:2]).shape
    ((2, 2), (2,))
    """

    def __init__(
        self,
        input_dim: int = 2,
        hidden_dim: int = 3,
        output_dim: int = 2,
        activation: str = "tanh",
        *,
        reg_lambda: float = 5e-5,
        seed: int = 0,
        dtype: type = np.float64,
    ) -> None:
        for name, v in (("input_dim", input_dim), ("hidden_dim", hidden_dim), ("output_dim", output_dim)):
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name} must be a positive integer; got {v!r}")
        self.act = get_activation(activation)
        self.activation, self.seed, self.dtype = activation, seed, dtype
        self.reg_lambda = float(reg_lambda)
        rng = np.random.RandomState(seed)
        W1 = rng.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        W2 = rng.randn(hidden_dim, output_dim) / np.sqrt(hidden_dim)
        self.weights = [W1.astype(dtype), W2.astype(dtype)]
        self.biases = [np.zeros(hidden_dim, dtype), np.zeros(output_dim, dtype)]
        self.history_, self.diverged_at_ = [], None

    def __repr__(self) -> str:
        d, h, k = self.W1.shape + self.W2.shape[1:]
        act, reg, seed = self.activation, self.reg_lambda, self.seed
        return f"ThreeLayerNet({d}, {h}, {k}, {act!r}, reg_lambda={reg}, seed={seed})"

    # 003's names for the parameters; the lists stay the single source of truth.
    W1 = property(lambda self: self.weights[0])
    W2 = property(lambda self: self.weights[1])
    b1 = property(lambda self: self.biases[0])
    b2 = property(lambda self: self.biases[1])

    def logits(self, X: np.ndarray) -> np.ndarray:
        """``z2`` for inputs ``X`` of shape ``(n, input_dim)``."""
        return self.act.f(X @ self.W1 + self.b1) @ self.W2 + self.b2

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Probabilities ``softmax(z2)``, shape ``(n, output_dim)``; caches ``z1, a1, z2, probs``."""
        X = np.asarray(X, dtype=self.dtype)
        self.z1 = X @ self.W1 + self.b1
        self.a1 = self.act.f(self.z1)
        self.z2 = self.a1 @ self.W2 + self.b2
        self.probs = softmax(self.z2)
        return self.probs

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        """``-1/n sum_n log p[n, y_n] + reg_lambda/2 (||W1||^2 + ||W2||^2)``."""
        X, y = self._check_Xy(X, y)
        penalty = self.reg_lambda / 2 * (np.sum(self.W1**2) + np.sum(self.W2**2))
        return cross_entropy(self.forward(X), y) + float(penalty)

    def backward(self, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of :meth:`loss` (derivation in the module docstring), keyed W1, b1, W2, b2."""
        X, y = self._check_Xy(X, y)
        probs = self.forward(X)
        delta3 = softmax_cross_entropy_grad(probs, y)
        dW2 = self.a1.T @ delta3 + self.reg_lambda * self.W2
        db2 = delta3.sum(axis=0)
        delta2 = (delta3 @ self.W2.T) * self.act.slope(self.z1, self.a1)
        dW1 = X.T @ delta2 + self.reg_lambda * self.W1
        db1 = delta2.sum(axis=0)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
